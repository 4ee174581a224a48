/* pi-source.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>

#include "pi-binding.h"
#include "pi-source-private.h"

/*
 * PiSource is the caller's side of the events client: properties,
 * signals and the state in words. The network, the SSE parser and message
 * decoding run on a worker thread (pi-source-worker.c), which hands
 * over ordered records through a GSource on the caller's main context.
 *
 * This file holds the GObject and its public API; the state and the
 * records from the worker are in pi-source-state.c, the state enum,
 * PiRawEvent and where to connect in pi-source-types.c.
 */

#define DEFAULT_PING_TIMEOUT   60

G_DEFINE_FINAL_TYPE (PiSource, pi_source, G_TYPE_OBJECT)

GParamSpec *pi_source_properties[N_PROPS];
guint pi_source_signals[N_SIGNALS];

/* --- GObject ---------------------------------------------------------------------- */

static void
pi_source_dispose (GObject *object)
{
  PiSource *self = (PiSource *) object;

  pi_source_stop_worker (self);
  pi_source_stop_countdown (self);

  G_OBJECT_CLASS (pi_source_parent_class)->dispose (object);
}

static void
pi_source_finalize (GObject *object)
{
  PiSource *self = (PiSource *) object;

  g_free (self->server_url);
  g_free (self->client_id);
  g_free (self->access_token);
  g_free (self->password);
  g_free (self->protocol_name);
  g_free (self->attempt_protocol);
  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  g_free (self->named_service);
  g_strfreev (self->named_events);
  g_strfreev (self->named_routing_key);
  g_clear_pointer (&self->binding_errors, g_ptr_array_unref);
  g_free (self->connect_url);
  g_free (self->stream_url);
  g_free (self->state_text);
  g_free (self->error_message);
  g_free (self->host);
  g_clear_pointer (&self->last_ping, g_date_time_unref);

  G_OBJECT_CLASS (pi_source_parent_class)->finalize (object);
}

static void
pi_source_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PiSource *self = PI_SOURCE (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;

    case PROP_BINDINGS:
      g_value_set_boxed (value, self->bindings);
      break;

    case PROP_PING_TIMEOUT:
      g_value_set_uint (value, self->ping_timeout);
      break;

    case PROP_RAW:
      g_value_set_boolean (value, self->raw);
      break;

    case PROP_CONNECT_URL:
      g_value_set_string (value, self->connect_url);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_STATE_TEXT:
      g_value_set_string (value, self->state_text);
      break;

    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;

    case PROP_RETRY_SECONDS:
      g_value_set_uint (value, self->retry_seconds);
      break;

    case PROP_N_MESSAGES:
      g_value_set_uint64 (value, self->n_messages);
      break;

    case PROP_N_BYTES:
      g_value_set_uint64 (value, self->n_bytes);
      break;

    case PROP_N_RECONNECTS:
      g_value_set_uint (value, self->n_reconnects);
      break;

    case PROP_N_DROPPED:
      g_value_set_uint64 (value, self->n_dropped);
      break;

    case PROP_LAST_PING:
      g_value_set_boxed (value, self->last_ping);
      break;

    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;

    case PROP_PROTOCOL_NAME:
      g_value_set_string (value, self->protocol_name);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_source_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  PiSource *self = PI_SOURCE (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      pi_source_set_server_url (self, g_value_get_string (value));
      break;

    case PROP_BINDINGS:
      pi_source_set_bindings (self, g_value_get_boxed (value));
      break;

    case PROP_PING_TIMEOUT:
      pi_source_set_ping_timeout (self, g_value_get_uint (value));
      break;

    case PROP_RAW:
      pi_source_set_raw (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_source_class_init (PiSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_source_dispose;
  object_class->finalize = pi_source_finalize;
  object_class->get_property = pi_source_get_property;
  object_class->set_property = pi_source_set_property;

  pi_source_properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PiSource:bindings: (type GPtrArray(PiBinding))
   */
  pi_source_properties[PROP_BINDINGS] =
    g_param_spec_boxed ("bindings", NULL, NULL, G_TYPE_PTR_ARRAY,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PiSource:ping-timeout:
   *
   * Seconds without a byte from the server after which the connection is
   * considered dead and reopened (three ping intervals by default).
   */
  pi_source_properties[PROP_PING_TIMEOUT] =
    g_param_spec_uint ("ping-timeout", NULL, NULL, 1, 24 * 3600, DEFAULT_PING_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PiSource:raw:
   *
   * Deliver every server-sent event through #PiSource::raw-events
   * instead of decoding messages; any SSE server can be read this way.
   */
  pi_source_properties[PROP_RAW] =
    g_param_spec_boolean ("raw", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_CONNECT_URL] =
    g_param_spec_string ("connect-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, PI_TYPE_STREAM_STATE, PI_STREAM_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_STATE_TEXT] =
    g_param_spec_string ("state-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_RETRY_SECONDS] =
    g_param_spec_uint ("retry-seconds", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_N_MESSAGES] =
    g_param_spec_uint64 ("n-messages", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_N_BYTES] =
    g_param_spec_uint64 ("n-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_N_RECONNECTS] =
    g_param_spec_uint ("n-reconnects", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_N_DROPPED] =
    g_param_spec_uint64 ("n-dropped", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_LAST_PING] =
    g_param_spec_boxed ("last-ping", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  pi_source_properties[PROP_CLIENT_ID] =
    g_param_spec_string ("client-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * PiSource:protocol-name:
   *
   * The protocol the source speaks, in words for people ("Events v1"),
   * once it is live; %NULL before.
   */
  pi_source_properties[PROP_PROTOCOL_NAME] =
    g_param_spec_string ("protocol-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, pi_source_properties);

  /**
   * PiSource::ready:
   *
   * The server bound the queue: messages flow from now on.
   */
  pi_source_signals[SIGNAL_READY] =
    g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * PiSource::ping:
   * @server_time: the server's time, as it sent it
   */
  pi_source_signals[SIGNAL_PING] =
    g_signal_new ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PiSource::messages:
   * @batch: (element-type PiMessage): messages in arrival order; gap
   *   markers (%PI_MESSAGE_KIND_GAP) where messages may be missing
   *
   * At most ~30 times a second. Take a reference to keep the array.
   */
  pi_source_signals[SIGNAL_MESSAGES] =
    g_signal_new ("messages", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PiSource::raw-events:
   * @batch: (element-type PiRawEvent): every event in arrival order
   *
   * Raw mode only, instead of #PiSource::messages.
   */
  pi_source_signals[SIGNAL_RAW_EVENTS] =
    g_signal_new ("raw-events", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PiSource::server-error:
   * @text: the server's error text
   *
   * The server sent an `error` event. Before `ready` it is about the
   * bindings and the stream stops (state failed); after `ready` the
   * server or its broker failed, and the stream reconnects.
   */
  pi_source_signals[SIGNAL_SERVER_ERROR] =
    g_signal_new ("server-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PiSource::binding-error:
   * @binding: (nullable): the binding the server refused, one of
   *   #PiSource:bindings; %NULL when the errors are cleared
   * @text: (nullable): the server's words, e.g. "Error binding queue: ...";
   *   %NULL when the errors are cleared
   *
   * The WebSocket and GraphQL protocols subscribe each binding (or group of
   * bindings) on its own: the server can refuse one while the others keep
   * streaming. Each new connection attempt starts clean: the signal is
   * emitted once with %NULL, %NULL, and pi_source_get_binding_error()
   * returns %NULL again. Events v1 reports bindings errors with
   * #PiSource::server-error instead.
   */
  pi_source_signals[SIGNAL_BINDING_ERROR] =
    g_signal_new ("binding-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  PI_TYPE_BINDING, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
pi_source_init (PiSource *self)
{
  self->ping_timeout = DEFAULT_PING_TIMEOUT;
  self->state = PI_STREAM_STATE_DISCONNECTED;
  self->state_text = g_strdup (_("Disconnected"));
  self->next_sequence = 1;
}

/* --- Public API --------------------------------------------------------------------- */

/**
 * pi_source_new:
 *
 * Returns: (transfer full): a new, disconnected #PiSource
 */
PiSource *
pi_source_new (void)
{
  return g_object_new (PI_TYPE_SOURCE, NULL);
}

/**
 * pi_source_get_server_url:
 * @self: a #PiSource
 *
 * Returns: (nullable): the server URL as given
 */
const char *
pi_source_get_server_url (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);

  return self->server_url;
}

/**
 * pi_source_set_server_url:
 * @self: a #PiSource
 * @server_url: (nullable): a root, base or connect URL
 *
 * Takes effect on the next pi_source_connect().
 */
void
pi_source_set_server_url (PiSource *self,
                          const char    *server_url)
{
  g_return_if_fail (PI_IS_SOURCE (self));

  if (g_strcmp0 (self->server_url, server_url) != 0)
    {
      g_free (self->server_url);
      self->server_url = g_strdup (server_url);
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_SERVER_URL]);
    }
}

/**
 * pi_source_get_bindings:
 * @self: a #PiSource
 *
 * Returns: (transfer none) (nullable) (element-type PiBinding): the bindings
 */
GPtrArray *
pi_source_get_bindings (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);

  return self->bindings;
}

/**
 * pi_source_set_bindings:
 * @self: a #PiSource
 * @bindings: (nullable) (element-type PiBinding): the bindings
 *
 * Takes effect on the next pi_source_connect(). The array is
 * referenced, not copied.
 */
void
pi_source_set_bindings (PiSource *self,
                        GPtrArray     *bindings)
{
  g_return_if_fail (PI_IS_SOURCE (self));

  if (self->bindings == bindings)
    return;

  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  if (bindings != NULL)
    self->bindings = g_ptr_array_ref (bindings);
  g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_BINDINGS]);
}

/**
 * pi_source_get_ping_timeout:
 * @self: a #PiSource
 *
 * Returns: seconds without data before reconnecting
 */
guint
pi_source_get_ping_timeout (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), 0);

  return self->ping_timeout;
}

/**
 * pi_source_set_ping_timeout:
 * @self: a #PiSource
 * @seconds: seconds without data before reconnecting (at least 1)
 */
void
pi_source_set_ping_timeout (PiSource *self,
                            guint          seconds)
{
  g_return_if_fail (PI_IS_SOURCE (self));
  g_return_if_fail (seconds > 0);

  if (self->ping_timeout != seconds)
    {
      self->ping_timeout = seconds;
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_PING_TIMEOUT]);
    }
}

/**
 * pi_source_get_raw:
 * @self: a #PiSource
 *
 * Returns: whether every event is delivered raw
 */
gboolean
pi_source_get_raw (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), FALSE);

  return self->raw;
}

/**
 * pi_source_set_raw:
 * @self: a #PiSource
 * @raw: whether to deliver every event raw
 *
 * Takes effect on the next pi_source_connect().
 */
void
pi_source_set_raw (PiSource *self,
                   gboolean       raw)
{
  g_return_if_fail (PI_IS_SOURCE (self));

  raw = !!raw;
  if (self->raw != raw)
    {
      self->raw = raw;
      g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_RAW]);
    }
}

/**
 * pi_source_get_connect_url:
 * @self: a #PiSource
 *
 * Returns: (nullable): the URL of the last connect, or %NULL
 */
const char *
pi_source_get_connect_url (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);

  return self->connect_url;
}

/**
 * pi_source_connect:
 * @self: a #PiSource
 * @error: return location for a #PI_SOURCE_ERROR
 *
 * Opens the stream on a worker thread (disconnecting first if needed).
 * Signals are emitted on the thread-default main context of the caller.
 * A bad server URL fails here, in words, and sets the failed state.
 *
 * Returns: %TRUE if connecting started
 */
gboolean
pi_source_connect (PiSource  *self,
                   GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  PiSourcePlan *plan;
  gboolean served;

  g_return_val_if_fail (PI_IS_SOURCE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  served = self->worker != NULL && self->state != PI_STREAM_STATE_FAILED &&
           self->state != PI_STREAM_STATE_DISCONNECTED;
  pi_source_stop_worker (self);

  /* The refusals were the old connection's: whatever protocol the new one
   * speaks (events v1 has none), they no longer hold. */
  if (self->binding_errors != NULL)
    {
      g_clear_pointer (&self->binding_errors, g_ptr_array_unref);
      g_signal_emit (self, pi_source_signals[SIGNAL_BINDING_ERROR], 0, NULL, NULL);
    }

  if (!(plan = pi_source_plan_new (self, &local_error)))
    {
      pi_source_set_state (self, PI_STREAM_STATE_FAILED, local_error->message, 0);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* A restart of a stream that had been live on this server and was not
   * over (new bindings while it waits to reconnect, say): the server is
   * known to be there, so the new stream keeps trying while it is away, as
   * the old one would have, where a stream never served gives up at the
   * first refusal. */
  plan->served_before = served && self->stream_served && g_strcmp0 (self->stream_url, self->server_url) == 0;
  self->stream_served = plan->served_before;
  g_set_str (&self->stream_url, self->server_url);

  g_free (self->connect_url);
  self->connect_url = g_strdup (plan->sse_url);
  g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_CONNECT_URL]);

  g_clear_pointer (&self->attempt_protocol, g_free);
  self->worker = pi_stream_worker_start (plan, self->ping_timeout, self->raw,
                                         self->next_sequence, pi_source_dispatch_cb, self);

  g_free (self->host);
  self->host = g_strdup (pi_stream_worker_get_host (self->worker));

  pi_source_set_error_message (self, NULL);
  pi_source_set_state (self, PI_STREAM_STATE_CONNECTING, NULL, 0);

  return TRUE;
}

/**
 * pi_source_disconnect:
 * @self: a #PiSource
 *
 * Stops the stream at once: the worker is cancelled and joined, and no
 * signal about the old connection is emitted after this returns. A failed
 * stream keeps its #PiSource:error-message.
 */
void
pi_source_disconnect (PiSource *self)
{
  g_return_if_fail (PI_IS_SOURCE (self));

  if (self->worker == NULL && self->state == PI_STREAM_STATE_DISCONNECTED)
    return;

  pi_source_stop_worker (self);
  pi_source_set_state (self, PI_STREAM_STATE_DISCONNECTED, NULL, 0);
}

/**
 * pi_source_reconnect_now:
 * @self: a #PiSource
 *
 * While the source waits to reconnect (%PI_STREAM_STATE_RECONNECTING), makes
 * the next attempt at once instead of after the backoff's delay. What the
 * stream was is kept (it still resumes where it was lost, and a later loss
 * backs off as before); a failed or disconnected source is left as it is.
 *
 * Returns: whether an attempt was asked for
 */
gboolean
pi_source_reconnect_now (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), FALSE);

  if (self->worker == NULL || self->state != PI_STREAM_STATE_RECONNECTING)
    return FALSE;

  pi_stream_worker_retry_now (self->worker);
  return TRUE;
}

/**
 * pi_source_get_state:
 * @self: a #PiSource
 *
 * Returns: the connection state
 */
PiStreamState
pi_source_get_state (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), PI_STREAM_STATE_DISCONNECTED);

  return self->state;
}

/**
 * pi_source_get_state_text:
 * @self: a #PiSource
 *
 * Returns: the state in words ("Connecting to HOST…", "Live", the reason
 *   of a failure, ...)
 */
const char *
pi_source_get_state_text (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);

  return self->state_text;
}

/**
 * pi_source_get_error_message:
 * @self: a #PiSource
 *
 * Returns: (nullable): why the stream failed or is reconnecting
 */
const char *
pi_source_get_error_message (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);

  return self->error_message;
}

/**
 * pi_source_get_retry_seconds:
 * @self: a #PiSource
 *
 * Returns: seconds left before the next attempt, while reconnecting
 */
guint
pi_source_get_retry_seconds (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), 0);

  return self->retry_seconds;
}

/**
 * pi_source_get_n_messages:
 * @self: a #PiSource
 *
 * Returns: messages delivered (raw events in raw mode), gaps not counted
 */
guint64
pi_source_get_n_messages (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), 0);

  return self->n_messages;
}

/**
 * pi_source_get_n_bytes:
 * @self: a #PiSource
 *
 * Returns: bytes of event stream received
 */
guint64
pi_source_get_n_bytes (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), 0);

  return self->n_bytes;
}

/**
 * pi_source_get_n_dropped:
 * @self: a #PiSource
 *
 * Returns: messages the server reported dropped (`dropped` events)
 */
guint64
pi_source_get_n_dropped (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), 0);

  return self->n_dropped;
}

/**
 * pi_source_get_n_reconnects:
 * @self: a #PiSource
 *
 * Returns: how many times the stream was reopened
 */
guint
pi_source_get_n_reconnects (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), 0);

  return self->n_reconnects;
}

/**
 * pi_source_get_last_ping:
 * @self: a #PiSource
 *
 * Returns: (transfer none) (nullable): when the last ping arrived
 */
GDateTime *
pi_source_get_last_ping (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);

  return self->last_ping;
}

/**
 * pi_source_get_client_id:
 * @self: a #PiSource
 *
 * Returns: (nullable): the Taskcluster client id it connects with, or
 *   %NULL when anonymous
 */
const char *
pi_source_get_client_id (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);

  return self->client_id;
}

/**
 * pi_source_set_credentials:
 * @self: a #PiSource
 * @client_id: (nullable): a Taskcluster client id, or %NULL for anonymous
 * @access_token: (nullable): its access token
 *
 * Sets the credentials used from the next connection on. Protocols that
 * have no authentication (events v1) ignore them.
 */
void
pi_source_set_credentials (PiSource   *self,
                           const char *client_id,
                           const char *access_token)
{
  g_return_if_fail (PI_IS_SOURCE (self));
  g_return_if_fail ((client_id == NULL) == (access_token == NULL));

  g_free (self->access_token);
  self->access_token = g_strdup (access_token);

  if (g_set_str (&self->client_id, client_id))
    g_object_notify_by_pspec (G_OBJECT (self), pi_source_properties[PROP_CLIENT_ID]);
}

/**
 * pi_source_set_password:
 * @self: a #PiSource
 * @password: (nullable): the broker password for an amqp:// or amqps://
 *   server URL (its user is in the URL), or %NULL
 *
 * Sets the password used from the next connection on. Only the AMQP
 * protocol uses it; it is never part of a URL, a log line or the state text.
 */
void
pi_source_set_password (PiSource   *self,
                        const char *password)
{
  g_return_if_fail (PI_IS_SOURCE (self));

  g_free (self->password);
  self->password = g_strdup (password);
}

/**
 * pi_source_get_queue_length:
 * @self: a #PiSource
 *
 * Returns: the length limit of an AMQP source's queue
 */
guint
pi_source_get_queue_length (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), PI_SOURCE_DEFAULT_QUEUE_LENGTH);

  return self->queue_length > 0 ? self->queue_length : PI_SOURCE_DEFAULT_QUEUE_LENGTH;
}

/**
 * pi_source_set_queue_length:
 * @self: a #PiSource
 * @queue_length: the most messages the broker keeps for this source while
 *   it has not taken them, or 0 for %PI_SOURCE_DEFAULT_QUEUE_LENGTH
 *
 * Bounds the queue of an amqp:// or amqps:// source (`x-max-length`): past
 * it the broker drops the oldest messages, which are counted as dropped.
 * Mozilla Pulse deletes queues that grow too long. Takes effect on the next
 * pi_source_connect().
 */
void
pi_source_set_queue_length (PiSource *self,
                            guint     queue_length)
{
  g_return_if_fail (PI_IS_SOURCE (self));

  self->queue_length = queue_length;
}

/**
 * pi_source_set_named_subscription:
 * @self: a #PiSource
 * @service: (nullable): the Taskcluster service ("queue"), or %NULL to
 *   subscribe to the bindings instead
 * @event_names: (nullable) (array zero-terminated=1): the service's event
 *   names, e.g. "taskCompleted"
 * @routing_key: (nullable) (array zero-terminated=1): routing-key filters
 *   as "word=value", e.g. "taskGroupId=abc"
 *
 * Subscribes to a service's named events (`/subscription/named` of the
 * plain WebSocket protocol) instead of the bindings. Takes effect on the
 * next pi_source_connect(); needs a deployment root URL that serves it.
 */
void
pi_source_set_named_subscription (PiSource           *self,
                                  const char         *service,
                                  const char * const *event_names,
                                  const char * const *routing_key)
{
  g_return_if_fail (PI_IS_SOURCE (self));

  g_set_str (&self->named_service, service);
  g_strfreev (self->named_events);
  self->named_events = g_strdupv ((char **) event_names);
  g_strfreev (self->named_routing_key);
  self->named_routing_key = g_strdupv ((char **) routing_key);
}

/**
 * pi_source_get_binding_error:
 * @self: a #PiSource
 * @binding: one of #PiSource:bindings
 *
 * Returns: (nullable): what the server said when it refused @binding on
 *   the current connection, or %NULL
 */
const char *
pi_source_get_binding_error (PiSource  *self,
                             PiBinding *binding)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);
  g_return_val_if_fail (PI_IS_BINDING (binding), NULL);

  if (self->binding_errors == NULL || self->bindings == NULL)
    return NULL;

  for (guint i = 0; i < self->bindings->len && i < self->binding_errors->len; i++)
    if (g_ptr_array_index (self->bindings, i) == binding)
      return g_ptr_array_index (self->binding_errors, i);

  return NULL;
}

/**
 * pi_source_get_needs_credentials:
 * @self: a #PiSource
 *
 * Returns: whether the source failed because the server refused its
 *   credentials (none, wrong or expired) or their scopes: other
 *   credentials may help where retrying will not
 */
gboolean
pi_source_get_needs_credentials (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), FALSE);

  return self->state == PI_STREAM_STATE_FAILED && self->needs_credentials;
}

/**
 * pi_source_get_protocol_name:
 * @self: a #PiSource
 *
 * Returns: (nullable): the live protocol in words, or %NULL when not live
 */
const char *
pi_source_get_protocol_name (PiSource *self)
{
  g_return_val_if_fail (PI_IS_SOURCE (self), NULL);

  return self->protocol_name;
}
