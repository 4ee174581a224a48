/* pi-event-stream.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-event-stream"

#include <glib/gi18n.h>

#include "pi-binding.h"
#include "pi-event-stream-private.h"

/*
 * PiEventStream is the caller's side of the events client: properties,
 * signals and the state in words. The network, the SSE parser and message
 * decoding run on a worker thread (pi-event-stream-worker.c), which hands
 * over ordered records through a GSource on the caller's main context.
 */

#define DEFAULT_PING_TIMEOUT   60

struct _PiEventStream
{
  GObject        parent_instance;

  char          *server_url;
  GPtrArray     *bindings;
  guint          ping_timeout;
  gboolean       raw;
  char          *connect_url;

  PiStreamWorker *worker;
  guint          generation;

  PiStreamState  state;
  char          *state_text;
  char          *error_message;
  char          *host;
  guint          retry_seconds;
  GSource       *countdown;

  guint64        next_sequence;
  guint64        n_messages;
  guint64        n_bytes;
  guint64        n_dropped;
  guint          n_reconnects;
  GDateTime     *last_ping;
};

G_DEFINE_FINAL_TYPE (PiEventStream, pi_event_stream, G_TYPE_OBJECT)

G_DEFINE_QUARK (pi-event-stream-error-quark, pi_event_stream_error)

G_DEFINE_BOXED_TYPE (PiRawEvent, pi_raw_event, pi_raw_event_copy, pi_raw_event_free)

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_BINDINGS,
  PROP_PING_TIMEOUT,
  PROP_RAW,
  PROP_CONNECT_URL,
  PROP_STATE,
  PROP_STATE_TEXT,
  PROP_ERROR_MESSAGE,
  PROP_RETRY_SECONDS,
  PROP_N_MESSAGES,
  PROP_N_BYTES,
  PROP_N_RECONNECTS,
  PROP_N_DROPPED,
  PROP_LAST_PING,
  N_PROPS
};

enum {
  SIGNAL_READY,
  SIGNAL_PING,
  SIGNAL_MESSAGES,
  SIGNAL_RAW_EVENTS,
  SIGNAL_SERVER_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GType
pi_stream_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { PI_STREAM_STATE_DISCONNECTED, "PI_STREAM_STATE_DISCONNECTED", "disconnected" },
        { PI_STREAM_STATE_CONNECTING, "PI_STREAM_STATE_CONNECTING", "connecting" },
        { PI_STREAM_STATE_WAITING_FOR_READY, "PI_STREAM_STATE_WAITING_FOR_READY", "waiting-for-ready" },
        { PI_STREAM_STATE_LIVE, "PI_STREAM_STATE_LIVE", "live" },
        { PI_STREAM_STATE_RECONNECTING, "PI_STREAM_STATE_RECONNECTING", "reconnecting" },
        { PI_STREAM_STATE_FAILED, "PI_STREAM_STATE_FAILED", "failed" },
        { 0, NULL, NULL }
      };
      GType type = g_enum_register_static (g_intern_static_string ("PiStreamState"), values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

/* --- PiRawEvent ---------------------------------------------------------- */

/**
 * pi_raw_event_new:
 * @event: the event type
 * @id: the last event ID
 * @data: the data
 * @data_len: length of @data, or -1 when NUL-terminated
 *
 * Returns: (transfer full): a new #PiRawEvent
 */
PiRawEvent *
pi_raw_event_new (const char *event,
                  const char *id,
                  const char *data,
                  gsize       data_len)
{
  PiRawEvent *raw = g_new0 (PiRawEvent, 1);

  raw->event = g_strdup (event ? event : "message");
  raw->id = g_strdup (id ? id : "");
  if (data_len == (gsize) -1)
    data_len = data ? strlen (data) : 0;
  raw->data = g_malloc (data_len + 1);
  if (data_len > 0)
    memcpy (raw->data, data, data_len);
  raw->data[data_len] = '\0';
  raw->data_len = data_len;

  return raw;
}

/**
 * pi_raw_event_copy:
 * @raw: a #PiRawEvent
 *
 * Returns: (transfer full): a copy of @raw
 */
PiRawEvent *
pi_raw_event_copy (const PiRawEvent *raw)
{
  g_return_val_if_fail (raw != NULL, NULL);

  return pi_raw_event_new (raw->event, raw->id, raw->data, raw->data_len);
}

/**
 * pi_raw_event_free:
 * @raw: (transfer full): a #PiRawEvent
 */
void
pi_raw_event_free (PiRawEvent *raw)
{
  if (raw == NULL)
    return;

  g_free (raw->event);
  g_free (raw->id);
  g_free (raw->data);
  g_free (raw);
}

/* --- Where to connect ----------------------------------------------------- */

static gboolean
path_has_suffix (const char *path,
                 gsize       len,
                 const char *suffix)
{
  gsize slen = strlen (suffix);

  return len >= slen && g_ascii_strncasecmp (path + len - slen, suffix, slen) == 0;
}

/* Parses what the user typed as an http(s) URL, with errors in words. */
static GUri *
parse_server_url (const char  *server_url,
                  char       **text_out,
                  GError     **error)
{
  g_autofree char *text = NULL;
  g_autofree char *with_scheme = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  text = g_strstrip (g_strdup (server_url ? server_url : ""));
  if (*text == '\0')
    {
      g_set_error_literal (error, PI_EVENT_STREAM_ERROR, PI_EVENT_STREAM_ERROR_INVALID_URL,
                           _("No server address given"));
      return NULL;
    }

  /* "tc.example.com" is meant as https://tc.example.com */
  if (strstr (text, "://") == NULL)
    with_scheme = g_strconcat ("https://", text, NULL);
  else
    with_scheme = g_strdup (text);

  uri = g_uri_parse (with_scheme, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (uri == NULL)
    {
      g_set_error (error, PI_EVENT_STREAM_ERROR, PI_EVENT_STREAM_ERROR_INVALID_URL,
                   _("“%s” is not a valid web address"), text);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, PI_EVENT_STREAM_ERROR, PI_EVENT_STREAM_ERROR_INVALID_URL,
                   _("“%s” is not a web address: it must start with https:// or http://"), text);
      return NULL;
    }

  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, PI_EVENT_STREAM_ERROR, PI_EVENT_STREAM_ERROR_INVALID_URL,
                   _("“%s” has no server name"), text);
      return NULL;
    }

  if (text_out != NULL)
    *text_out = g_steal_pointer (&text);

  return g_steal_pointer (&uri);
}

static char *
pi_event_stream_check_url (const char  *server_url,
                           GError     **error)
{
  g_autoptr(GUri) uri = parse_server_url (server_url, NULL, error);

  return uri ? g_uri_to_string (uri) : NULL;
}

/**
 * pi_event_stream_derive_connect_url:
 * @server_url: what the user typed: a root URL (`https://tc.example.com`),
 *   a base URL (`…/api/events/v1`), the legacy
 *   `https://events.taskcluster.net/v1`, or a full connect URL
 * @bindings: (nullable) (element-type PiBinding): the bindings; %NULL keeps
 *   the query of a full connect URL (or binds nothing)
 * @error: return location for a #PI_EVENT_STREAM_ERROR
 *
 * Derives the URL to GET for the event stream.
 *
 * Returns: (transfer full): the connect URL, or %NULL with @error set
 */
char *
pi_event_stream_derive_connect_url (const char  *server_url,
                                    GPtrArray   *bindings,
                                    GError     **error)
{
  g_autofree char *base = NULL;
  g_autofree char *query = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) result = NULL;
  const char *scheme;
  const char *path;
  gsize len;
  gboolean is_connect = FALSE;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uri = parse_server_url (server_url, NULL, error);
  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);

  /* Normalize the path: drop trailing slashes, then recognize the forms. */
  path = g_uri_get_path (uri);
  len = strlen (path);
  while (len > 0 && path[len - 1] == '/')
    len--;

  if (path_has_suffix (path, len, "/connect"))
    {
      is_connect = TRUE;
      base = g_strndup (path, len - strlen ("/connect"));
    }
  else if (path_has_suffix (path, len, "/api/events/v1") ||
           path_has_suffix (path, len, "/v1"))
    {
      /* A base URL; "/v1" alone is the legacy events.taskcluster.net form. */
      base = g_strndup (path, len);
    }
  else
    {
      g_autofree char *root = g_strndup (path, len);

      base = g_strconcat (root, "/api/events/v1", NULL);
    }

  if (bindings != NULL)
    query = pi_bindings_to_query (bindings);
  else if (is_connect && g_uri_get_query (uri) != NULL)
    query = g_strdup (g_uri_get_query (uri));
  else
    {
      g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func (g_object_unref);

      query = pi_bindings_to_query (none);
    }

  /* pi_bindings_to_query() may or may not include the key itself. */
  if (query != NULL && !g_str_has_prefix (query, "bindings="))
    {
      char *full = g_strconcat ("bindings=", query, NULL);

      g_free (query);
      query = full;
    }

  {
    g_autofree char *connect_path = g_strconcat (base, "/connect/", NULL);

    result = g_uri_build (G_URI_FLAGS_ENCODED,
                          scheme,
                          NULL,
                          g_uri_get_host (uri),
                          g_uri_get_port (uri),
                          connect_path,
                          query,
                          NULL);
  }

  return g_uri_to_string (result);
}

/* --- Main side ----------------------------------------------------------------- */

static void
pi_event_stream_stop_countdown (PiEventStream *self)
{
  if (self->countdown != NULL)
    {
      g_source_destroy (self->countdown);
      g_clear_pointer (&self->countdown, g_source_unref);
    }
}

static void
pi_event_stream_update_text (PiEventStream *self)
{
  g_autofree char *text = NULL;

  switch (self->state)
    {
    case PI_STREAM_STATE_DISCONNECTED:
      text = g_strdup (_("Disconnected"));
      break;

    case PI_STREAM_STATE_CONNECTING:
      text = g_strdup_printf (_("Connecting to %s…"), self->host ? self->host : "");
      break;

    case PI_STREAM_STATE_WAITING_FOR_READY:
      text = g_strdup (_("Waiting for the server to bind…"));
      break;

    case PI_STREAM_STATE_LIVE:
      text = g_strdup (_("Live"));
      break;

    case PI_STREAM_STATE_RECONNECTING:
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Reconnecting in %u s…",
                                           "Reconnecting in %u s…",
                                           self->retry_seconds),
                              self->retry_seconds);
      break;

    case PI_STREAM_STATE_FAILED:
      text = g_strdup (self->error_message ? self->error_message : _("Failed"));
      break;

    default:
      g_assert_not_reached ();
    }

  if (g_strcmp0 (text, self->state_text) != 0)
    {
      g_free (self->state_text);
      self->state_text = g_steal_pointer (&text);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE_TEXT]);
    }
}

static void
pi_event_stream_set_error_message (PiEventStream *self,
                                   const char    *message)
{
  if (g_strcmp0 (message, self->error_message) != 0)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
    }
}

static void
pi_event_stream_set_retry_seconds (PiEventStream *self,
                                   guint          seconds)
{
  if (self->retry_seconds != seconds)
    {
      self->retry_seconds = seconds;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_SECONDS]);
    }
}

static gboolean
pi_event_stream_countdown_cb (gpointer user_data)
{
  PiEventStream *self = user_data;

  if (self->retry_seconds > 1)
    {
      pi_event_stream_set_retry_seconds (self, self->retry_seconds - 1);
      pi_event_stream_update_text (self);
      return G_SOURCE_CONTINUE;
    }

  g_clear_pointer (&self->countdown, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
pi_event_stream_set_state (PiEventStream *self,
                           PiStreamState  state,
                           const char    *reason,
                           guint          retry_msec)
{
  g_object_freeze_notify (G_OBJECT (self));

  pi_event_stream_stop_countdown (self);

  if (state == PI_STREAM_STATE_RECONNECTING)
    {
      pi_event_stream_set_retry_seconds (self, (retry_msec + 999) / 1000);
      if (self->retry_seconds > 1 && self->worker != NULL)
        {
          self->countdown = g_timeout_source_new_seconds (1);
          g_source_set_callback (self->countdown, pi_event_stream_countdown_cb, self, NULL);
          g_source_attach (self->countdown, pi_stream_worker_get_main_context (self->worker));
        }
    }
  else
    pi_event_stream_set_retry_seconds (self, 0);

  if (reason != NULL)
    pi_event_stream_set_error_message (self, reason);
  else if (state == PI_STREAM_STATE_LIVE)
    pi_event_stream_set_error_message (self, NULL);

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }

  pi_event_stream_update_text (self);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
pi_event_stream_apply (PiEventStream *self,
                       PiStreamRecord *record)
{
  switch (record->kind)
    {
    case PI_STREAM_RECORD_STATE:
      pi_event_stream_set_state (self, record->state, record->text, record->retry_msec);
      break;

    case PI_STREAM_RECORD_MESSAGES:
      {
        guint n_real = 0;
        guint i;

        for (i = 0; i < record->batch->len; i++)
          {
            PiMessage *message = g_ptr_array_index (record->batch, i);

            if (pi_message_get_kind (message) != PI_MESSAGE_KIND_GAP)
              n_real++;
            self->next_sequence = pi_message_get_sequence (message) + 1;
          }
        self->n_messages += n_real;
        if (n_real > 0)
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MESSAGES]);
        g_signal_emit (self, signals[SIGNAL_MESSAGES], 0, record->batch);
      }
      break;

    case PI_STREAM_RECORD_RAW:
      self->n_messages += record->batch->len;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MESSAGES]);
      g_signal_emit (self, signals[SIGNAL_RAW_EVENTS], 0, record->batch);
      break;

    case PI_STREAM_RECORD_READY:
      g_signal_emit (self, signals[SIGNAL_READY], 0);
      break;

    case PI_STREAM_RECORD_PING:
      g_clear_pointer (&self->last_ping, g_date_time_unref);
      self->last_ping = g_date_time_new_now_utc ();
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_PING]);
      g_signal_emit (self, signals[SIGNAL_PING], 0, record->text);
      break;

    case PI_STREAM_RECORD_SERVER_ERROR:
      pi_event_stream_set_error_message (self, record->text);
      g_signal_emit (self, signals[SIGNAL_SERVER_ERROR], 0, record->text);
      break;

    case PI_STREAM_RECORD_DROPPED:
      self->n_dropped += record->count;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DROPPED]);
      break;

    case PI_STREAM_RECORD_RECONNECT:
      self->n_reconnects++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_RECONNECTS]);
      break;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
pi_event_stream_dispatch_cb (gpointer user_data)
{
  PiEventStream *self = user_data;
  g_autoptr(PiEventStream) hold = g_object_ref (self);
  GQueue records = G_QUEUE_INIT;
  guint generation = self->generation;
  PiStreamRecord *record;
  guint64 n_bytes;

  pi_stream_worker_take_records (self->worker, &records, &n_bytes);

  if (self->n_bytes != n_bytes)
    {
      self->n_bytes = n_bytes;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_BYTES]);
    }

  /* A handler may disconnect (and even connect again): stop at once,
   * nothing of the old connection after it. */
  while (self->generation == generation && (record = g_queue_pop_head (&records)) != NULL)
    {
      pi_event_stream_apply (self, record);
      pi_stream_record_free (record);
    }

  g_queue_clear_full (&records, (GDestroyNotify) pi_stream_record_free);

  return G_SOURCE_CONTINUE;
}

static void
pi_event_stream_stop_worker (PiEventStream *self)
{
  PiStreamWorker *worker = g_steal_pointer (&self->worker);

  if (worker == NULL)
    return;

  self->generation++;
  pi_stream_worker_stop (worker);
}

/* --- GObject ---------------------------------------------------------------------- */

static void
pi_event_stream_dispose (GObject *object)
{
  PiEventStream *self = (PiEventStream *) object;

  pi_event_stream_stop_worker (self);
  pi_event_stream_stop_countdown (self);

  G_OBJECT_CLASS (pi_event_stream_parent_class)->dispose (object);
}

static void
pi_event_stream_finalize (GObject *object)
{
  PiEventStream *self = (PiEventStream *) object;

  g_free (self->server_url);
  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  g_free (self->connect_url);
  g_free (self->state_text);
  g_free (self->error_message);
  g_free (self->host);
  g_clear_pointer (&self->last_ping, g_date_time_unref);

  G_OBJECT_CLASS (pi_event_stream_parent_class)->finalize (object);
}

static void
pi_event_stream_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PiEventStream *self = PI_EVENT_STREAM (object);

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

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_event_stream_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PiEventStream *self = PI_EVENT_STREAM (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      pi_event_stream_set_server_url (self, g_value_get_string (value));
      break;

    case PROP_BINDINGS:
      pi_event_stream_set_bindings (self, g_value_get_boxed (value));
      break;

    case PROP_PING_TIMEOUT:
      pi_event_stream_set_ping_timeout (self, g_value_get_uint (value));
      break;

    case PROP_RAW:
      pi_event_stream_set_raw (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_event_stream_class_init (PiEventStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_event_stream_dispose;
  object_class->finalize = pi_event_stream_finalize;
  object_class->get_property = pi_event_stream_get_property;
  object_class->set_property = pi_event_stream_set_property;

  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PiEventStream:bindings: (type GPtrArray(PiBinding))
   */
  properties[PROP_BINDINGS] =
    g_param_spec_boxed ("bindings", NULL, NULL, G_TYPE_PTR_ARRAY,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PiEventStream:ping-timeout:
   *
   * Seconds without a byte from the server after which the connection is
   * considered dead and reopened (three ping intervals by default).
   */
  properties[PROP_PING_TIMEOUT] =
    g_param_spec_uint ("ping-timeout", NULL, NULL, 1, 24 * 3600, DEFAULT_PING_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PiEventStream:raw:
   *
   * Deliver every server-sent event through #PiEventStream::raw-events
   * instead of decoding messages; any SSE server can be read this way.
   */
  properties[PROP_RAW] =
    g_param_spec_boolean ("raw", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_CONNECT_URL] =
    g_param_spec_string ("connect-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, PI_TYPE_STREAM_STATE, PI_STREAM_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_STATE_TEXT] =
    g_param_spec_string ("state-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_RETRY_SECONDS] =
    g_param_spec_uint ("retry-seconds", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_N_MESSAGES] =
    g_param_spec_uint64 ("n-messages", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_N_BYTES] =
    g_param_spec_uint64 ("n-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_N_RECONNECTS] =
    g_param_spec_uint ("n-reconnects", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_N_DROPPED] =
    g_param_spec_uint64 ("n-dropped", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  properties[PROP_LAST_PING] =
    g_param_spec_boxed ("last-ping", NULL, NULL, G_TYPE_DATE_TIME,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PiEventStream::ready:
   *
   * The server bound the queue: messages flow from now on.
   */
  signals[SIGNAL_READY] =
    g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * PiEventStream::ping:
   * @server_time: the server's time, as it sent it
   */
  signals[SIGNAL_PING] =
    g_signal_new ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PiEventStream::messages:
   * @batch: (element-type PiMessage): messages in arrival order; gap
   *   markers (%PI_MESSAGE_KIND_GAP) where messages may be missing
   *
   * At most ~30 times a second. Take a reference to keep the array.
   */
  signals[SIGNAL_MESSAGES] =
    g_signal_new ("messages", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PiEventStream::raw-events:
   * @batch: (element-type PiRawEvent): every event in arrival order
   *
   * Raw mode only, instead of #PiEventStream::messages.
   */
  signals[SIGNAL_RAW_EVENTS] =
    g_signal_new ("raw-events", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * PiEventStream::server-error:
   * @text: the server's error text
   *
   * The server sent an `error` event; the stream stops (state failed).
   */
  signals[SIGNAL_SERVER_ERROR] =
    g_signal_new ("server-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
pi_event_stream_init (PiEventStream *self)
{
  self->ping_timeout = DEFAULT_PING_TIMEOUT;
  self->state = PI_STREAM_STATE_DISCONNECTED;
  self->state_text = g_strdup (_("Disconnected"));
  self->next_sequence = 1;
}

/* --- Public API --------------------------------------------------------------------- */

/**
 * pi_event_stream_new:
 *
 * Returns: (transfer full): a new, disconnected #PiEventStream
 */
PiEventStream *
pi_event_stream_new (void)
{
  return g_object_new (PI_TYPE_EVENT_STREAM, NULL);
}

/**
 * pi_event_stream_get_server_url:
 * @self: a #PiEventStream
 *
 * Returns: (nullable): the server URL as given
 */
const char *
pi_event_stream_get_server_url (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), NULL);

  return self->server_url;
}

/**
 * pi_event_stream_set_server_url:
 * @self: a #PiEventStream
 * @server_url: (nullable): a root, base or connect URL
 *
 * Takes effect on the next pi_event_stream_connect().
 */
void
pi_event_stream_set_server_url (PiEventStream *self,
                                const char    *server_url)
{
  g_return_if_fail (PI_IS_EVENT_STREAM (self));

  if (g_strcmp0 (self->server_url, server_url) != 0)
    {
      g_free (self->server_url);
      self->server_url = g_strdup (server_url);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_URL]);
    }
}

/**
 * pi_event_stream_get_bindings:
 * @self: a #PiEventStream
 *
 * Returns: (transfer none) (nullable) (element-type PiBinding): the bindings
 */
GPtrArray *
pi_event_stream_get_bindings (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), NULL);

  return self->bindings;
}

/**
 * pi_event_stream_set_bindings:
 * @self: a #PiEventStream
 * @bindings: (nullable) (element-type PiBinding): the bindings
 *
 * Takes effect on the next pi_event_stream_connect(). The array is
 * referenced, not copied.
 */
void
pi_event_stream_set_bindings (PiEventStream *self,
                              GPtrArray     *bindings)
{
  g_return_if_fail (PI_IS_EVENT_STREAM (self));

  if (self->bindings == bindings)
    return;

  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  if (bindings != NULL)
    self->bindings = g_ptr_array_ref (bindings);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BINDINGS]);
}

/**
 * pi_event_stream_get_ping_timeout:
 * @self: a #PiEventStream
 *
 * Returns: seconds without data before reconnecting
 */
guint
pi_event_stream_get_ping_timeout (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), 0);

  return self->ping_timeout;
}

/**
 * pi_event_stream_set_ping_timeout:
 * @self: a #PiEventStream
 * @seconds: seconds without data before reconnecting (at least 1)
 */
void
pi_event_stream_set_ping_timeout (PiEventStream *self,
                                  guint          seconds)
{
  g_return_if_fail (PI_IS_EVENT_STREAM (self));
  g_return_if_fail (seconds > 0);

  if (self->ping_timeout != seconds)
    {
      self->ping_timeout = seconds;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PING_TIMEOUT]);
    }
}

/**
 * pi_event_stream_get_raw:
 * @self: a #PiEventStream
 *
 * Returns: whether every event is delivered raw
 */
gboolean
pi_event_stream_get_raw (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), FALSE);

  return self->raw;
}

/**
 * pi_event_stream_set_raw:
 * @self: a #PiEventStream
 * @raw: whether to deliver every event raw
 *
 * Takes effect on the next pi_event_stream_connect().
 */
void
pi_event_stream_set_raw (PiEventStream *self,
                         gboolean       raw)
{
  g_return_if_fail (PI_IS_EVENT_STREAM (self));

  raw = !!raw;
  if (self->raw != raw)
    {
      self->raw = raw;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RAW]);
    }
}

/**
 * pi_event_stream_get_connect_url:
 * @self: a #PiEventStream
 *
 * Returns: (nullable): the URL of the last connect, or %NULL
 */
const char *
pi_event_stream_get_connect_url (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), NULL);

  return self->connect_url;
}

/**
 * pi_event_stream_connect:
 * @self: a #PiEventStream
 * @error: return location for a #PI_EVENT_STREAM_ERROR
 *
 * Opens the stream on a worker thread (disconnecting first if needed).
 * Signals are emitted on the thread-default main context of the caller.
 * A bad server URL fails here, in words, and sets the failed state.
 *
 * Returns: %TRUE if connecting started
 */
gboolean
pi_event_stream_connect (PiEventStream  *self,
                         GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url = NULL;
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  pi_event_stream_stop_worker (self);

  /* Raw mode without bindings reads any SSE endpoint: the URL as given. */
  if (self->raw && self->bindings == NULL)
    url = pi_event_stream_check_url (self->server_url, &local_error);
  else
    url = pi_event_stream_derive_connect_url (self->server_url, self->bindings, &local_error);
  if (url == NULL)
    {
      pi_event_stream_set_state (self, PI_STREAM_STATE_FAILED, local_error->message, 0);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_free (self->connect_url);
  self->connect_url = g_steal_pointer (&url);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECT_URL]);

  self->worker = pi_stream_worker_start (self->connect_url, self->ping_timeout, self->raw,
                                         self->next_sequence, pi_event_stream_dispatch_cb, self);

  g_free (self->host);
  self->host = g_strdup (pi_stream_worker_get_host (self->worker));

  pi_event_stream_set_error_message (self, NULL);
  pi_event_stream_set_state (self, PI_STREAM_STATE_CONNECTING, NULL, 0);

  return TRUE;
}

/**
 * pi_event_stream_disconnect:
 * @self: a #PiEventStream
 *
 * Stops the stream at once: the worker is cancelled and joined, and no
 * signal about the old connection is emitted after this returns. A failed
 * stream keeps its #PiEventStream:error-message.
 */
void
pi_event_stream_disconnect (PiEventStream *self)
{
  g_return_if_fail (PI_IS_EVENT_STREAM (self));

  if (self->worker == NULL && self->state == PI_STREAM_STATE_DISCONNECTED)
    return;

  pi_event_stream_stop_worker (self);
  pi_event_stream_set_state (self, PI_STREAM_STATE_DISCONNECTED, NULL, 0);
}

/**
 * pi_event_stream_get_state:
 * @self: a #PiEventStream
 *
 * Returns: the connection state
 */
PiStreamState
pi_event_stream_get_state (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), PI_STREAM_STATE_DISCONNECTED);

  return self->state;
}

/**
 * pi_event_stream_get_state_text:
 * @self: a #PiEventStream
 *
 * Returns: the state in words ("Connecting to HOST…", "Live", the reason
 *   of a failure, ...)
 */
const char *
pi_event_stream_get_state_text (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), NULL);

  return self->state_text;
}

/**
 * pi_event_stream_get_error_message:
 * @self: a #PiEventStream
 *
 * Returns: (nullable): why the stream failed or is reconnecting
 */
const char *
pi_event_stream_get_error_message (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), NULL);

  return self->error_message;
}

/**
 * pi_event_stream_get_retry_seconds:
 * @self: a #PiEventStream
 *
 * Returns: seconds left before the next attempt, while reconnecting
 */
guint
pi_event_stream_get_retry_seconds (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), 0);

  return self->retry_seconds;
}

/**
 * pi_event_stream_get_n_messages:
 * @self: a #PiEventStream
 *
 * Returns: messages delivered (raw events in raw mode), gaps not counted
 */
guint64
pi_event_stream_get_n_messages (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), 0);

  return self->n_messages;
}

/**
 * pi_event_stream_get_n_bytes:
 * @self: a #PiEventStream
 *
 * Returns: bytes of event stream received
 */
guint64
pi_event_stream_get_n_bytes (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), 0);

  return self->n_bytes;
}

/**
 * pi_event_stream_get_n_dropped:
 * @self: a #PiEventStream
 *
 * Returns: messages the server reported dropped (`dropped` events)
 */
guint64
pi_event_stream_get_n_dropped (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), 0);

  return self->n_dropped;
}

/**
 * pi_event_stream_get_n_reconnects:
 * @self: a #PiEventStream
 *
 * Returns: how many times the stream was reopened
 */
guint
pi_event_stream_get_n_reconnects (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), 0);

  return self->n_reconnects;
}

/**
 * pi_event_stream_get_last_ping:
 * @self: a #PiEventStream
 *
 * Returns: (transfer none) (nullable): when the last ping arrived
 */
GDateTime *
pi_event_stream_get_last_ping (PiEventStream *self)
{
  g_return_val_if_fail (PI_IS_EVENT_STREAM (self), NULL);

  return self->last_ping;
}
