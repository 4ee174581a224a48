/* pi-session.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-session"

#include <glib/gi18n.h>

#include "pi-binding.h"
#include "pi-credentials.h"
#include "pi-deployments.h"
#include "pi-message-feed.h"
#include "pi-session.h"
#include "pi-source-starter.h"
#include "pi-status-line.h"

/* What the window is listening to, and how that goes: the live source, the
 * store it fills, through the feed (what is held back while paused, what
 * the last Clear removed while it can be undone), the starter (the keyring
 * asked first), and the status line the header shows. Views read it; they
 * keep no state of their own about the connection or the messages.
 * GTK-free. */
struct _PiSession
{
  GObject          parent_instance;

  PiSource        *source;
  PiMessageStore  *store;
  char            *server_url;
  gboolean         ever_connected;
  /* The server the messages in the list came from, once one was live */
  char            *listened_url;
  /* Whether the network was there when last heard of */
  gboolean         network_available;

  /* Held while paused; what Clear removed, while it can be undone */
  PiMessageFeed   *feed;
  /* Connecting: the keyring is asked for a token or password first */
  PiSourceStarter *starter;
  /* The client id the stream was started for (the source has it only
   * when the keyring kept a token for it), and how often that token has
   * changed (pi_credentials_get_token_changes()) */
  char            *client_id;
  guint            token_changes;
  /* The header's title and subtitle, and the rate */
  PiStatusLine    *status;
};

G_DEFINE_FINAL_TYPE (PiSession, pi_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_STORE,
  PROP_SERVER_URL,
  PROP_PAUSED,
  PROP_N_HELD,
  PROP_RATE,
  PROP_TITLE,
  PROP_SUBTITLE,
  PROP_NARROW_SUBTITLE,
  PROP_LOCAL_ERROR,
  PROP_NEEDS_PASSWORD,
  PROP_LOST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PASSWORD_NEEDED,
  PASSWORD_NOT_KEPT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/**
 * pi_session_format_count:
 * @n: a count
 *
 * Returns: (transfer full): @n with the locale's digit grouping ("10,000")
 */
char *
pi_session_format_count (guint64 n)
{
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, n);
}

static void
on_source_notify (PiSession  *self,
                  GParamSpec *pspec,
                  PiSource   *source)
{
  const char *url;

  if (pi_source_get_state (source) != PI_STREAM_STATE_LIVE)
    return;

  self->ever_connected = TRUE;

  /* Live on another server than the messages listed: one row says so,
   * before the first of the new server's. */
  url = pi_source_get_server_url (source);
  if (self->listened_url != NULL && !pi_deployments_same_server (self->listened_url, url))
    {
      g_autofree char *name = pi_deployments_describe_url (url ? url : "");

      pi_message_feed_mark_switch (self->feed, name);
    }
  g_set_str (&self->listened_url, url);
}

static void
pi_session_dispose (GObject *object)
{
  PiSession *self = PI_SESSION (object);

  if (self->status != NULL)
    g_signal_handlers_disconnect_by_data (self->status, self);
  g_clear_object (&self->status);
  /* A keyring lookup or write still under way stops with the session, as
   * a window closed keeps nothing more. */
  if (self->starter != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->starter, self);
      g_object_run_dispose (G_OBJECT (self->starter));
    }
  g_clear_object (&self->starter);
  if (self->source != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->source, self);
      pi_source_disconnect (self->source);
    }
  g_clear_object (&self->source);
  if (self->feed != NULL)
    g_signal_handlers_disconnect_by_data (self->feed, self);
  g_clear_object (&self->feed);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (pi_session_parent_class)->dispose (object);
}

static void
pi_session_finalize (GObject *object)
{
  PiSession *self = PI_SESSION (object);

  g_free (self->server_url);
  g_free (self->listened_url);
  g_free (self->client_id);

  G_OBJECT_CLASS (pi_session_parent_class)->finalize (object);
}

static void
pi_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PiSession *self = PI_SESSION (object);

  switch (prop_id)
    {
    case PROP_SOURCE:
      g_value_set_object (value, self->source);
      break;

    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;

    case PROP_PAUSED:
      g_value_set_boolean (value, pi_session_get_paused (self));
      break;

    case PROP_N_HELD:
      g_value_set_uint (value, pi_session_get_n_held (self));
      break;

    case PROP_RATE:
      g_value_set_double (value, pi_session_get_rate (self));
      break;

    case PROP_TITLE:
      g_value_set_string (value, pi_session_get_title (self));
      break;

    case PROP_LOCAL_ERROR:
      g_value_set_string (value, pi_session_get_local_error (self));
      break;

    case PROP_NEEDS_PASSWORD:
      g_value_set_boolean (value, pi_session_get_needs_password (self));
      break;

    case PROP_SUBTITLE:
      g_value_set_string (value, pi_session_get_subtitle (self));
      break;

    case PROP_NARROW_SUBTITLE:
      g_value_set_string (value, self->status != NULL ? pi_status_line_get_narrow_subtitle (self->status) : NULL);
      break;

    case PROP_LOST:
      g_value_set_boolean (value, pi_session_get_lost (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_session_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PiSession *self = PI_SESSION (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      pi_session_set_server_url (self, g_value_get_string (value));
      break;

    case PROP_PAUSED:
      pi_session_set_paused (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_session_class_init (PiSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_session_dispose;
  object_class->finalize = pi_session_finalize;
  object_class->get_property = pi_session_get_property;
  object_class->set_property = pi_session_set_property;

  properties[PROP_SOURCE] =
    g_param_spec_object ("source", NULL, NULL, PI_TYPE_SOURCE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, PI_TYPE_MESSAGE_STORE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_HELD] =
    g_param_spec_uint ("n-held", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RATE] =
    g_param_spec_double ("rate", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * PiSession:title:
   *
   * What is listened to, in words: a deployment's name or a host.
   */
  /**
   * PiSession:local-error:
   *
   * Why the last pi_session_connect() could not start the source (a bad
   * address), before any network; %NULL otherwise.
   */
  properties[PROP_LOCAL_ERROR] =
    g_param_spec_string ("local-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * PiSession:subtitle:
   *
   * The connection's state in one line: "Live · 7 messages/s · WebSocket",
   * "Paused · 32 held", "Reconnecting in 5 s…", "Not Connected".
   */
  properties[PROP_SUBTITLE] =
    g_param_spec_string ("subtitle", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* The same in fewer words, for a narrow header (#PiStatusLine:narrow-subtitle). */
  properties[PROP_NARROW_SUBTITLE] =
    g_param_spec_string ("narrow-subtitle", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * PiSession:needs-password:
   *
   * Whether connecting to a broker waits for its password: the keyring
   * has none, and none was typed (the password dialog is open, or was
   * cancelled). The state line says "No Password"; the window's page
   * "Not connected: …" with Enter Password… as its action.
   */
  properties[PROP_NEEDS_PASSWORD] =
    g_param_spec_boolean ("needs-password", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PiSession:lost:
   *
   * Whether the stream was lost after messages had been arriving from this
   * server: the failure reads "Lost connection to SERVER", and its action
   * reconnects at once.
   */
  properties[PROP_LOST] =
    g_param_spec_boolean ("lost", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PiSession::password-needed:
   * @self: the session
   *
   * Connecting to a broker found no password in the keyring: ask for one,
   * then pi_session_connect_with_password().
   */
  signals[PASSWORD_NEEDED] =
    g_signal_new ("password-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * PiSession::password-not-kept:
   * @self: the session
   * @message: why, in words
   *
   * The broker accepted the password but the keyring could not keep it.
   */
  signals[PASSWORD_NOT_KEPT] =
    g_signal_new ("password-not-kept", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
on_source_messages (PiSession *self,
                    GPtrArray *batch,
                    PiSource  *source)
{
  pi_session_add_messages (self, batch);
}

static void
on_local_error (PiSession       *self,
                GParamSpec      *pspec,
                PiSourceStarter *starter)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_ERROR]);
}

static void
on_needs_password (PiSession       *self,
                   GParamSpec      *pspec,
                   PiSourceStarter *starter)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_PASSWORD]);
}

static void
on_password_needed (PiSession       *self,
                    PiSourceStarter *starter)
{
  g_signal_emit (self, signals[PASSWORD_NEEDED], 0);
}

static void
on_password_not_kept (PiSession       *self,
                      const char      *message,
                      PiSourceStarter *starter)
{
  g_signal_emit (self, signals[PASSWORD_NOT_KEPT], 0, message);
}

static void
on_feed_notify (PiSession     *self,
                GParamSpec    *pspec,
                PiMessageFeed *feed)
{
  if (g_strcmp0 (pspec->name, "paused") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_HELD]);
}

/* The status line's own notifications, as the session's. */
static void
on_status_notify (PiSession    *self,
                  GParamSpec   *pspec,
                  PiStatusLine *status)
{
  if (g_strcmp0 (pspec->name, "title") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  else if (g_strcmp0 (pspec->name, "subtitle") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBTITLE]);
  else if (g_strcmp0 (pspec->name, "narrow-subtitle") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NARROW_SUBTITLE]);
  else if (g_strcmp0 (pspec->name, "lost") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOST]);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
}

/* The network is back (a laptop woke, a cable went in): a stream waiting
 * to reconnect tries at once rather than after its backoff. */
static void
on_network_changed (PiSession       *self,
                    gboolean         available,
                    GNetworkMonitor *monitor)
{
  gboolean was_available = self->network_available;

  self->network_available = available;
  if (available && !was_available &&
      pi_source_get_state (self->source) == PI_STREAM_STATE_RECONNECTING)
    {
      g_debug ("The network is back: reconnecting now");
      pi_source_reconnect_now (self->source);
    }
}

static void
pi_session_init (PiSession *self)
{
}

/**
 * pi_session_new:
 * @capacity: how many messages the store keeps
 *
 * Returns: (transfer full): a new session, not connected
 */
PiSession *
pi_session_new (guint capacity)
{
  PiSession *self = g_object_new (PI_TYPE_SESSION, NULL);

  self->source = pi_source_new ();
  self->store = pi_message_store_new (capacity);
  self->feed = pi_message_feed_new (self->store);
  /* The broker login hears of the source's state first, then the session. */
  self->starter = pi_source_starter_new (self->source);
  g_signal_connect_object (self->source, "notify::state", G_CALLBACK (on_source_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->source, "messages", G_CALLBACK (on_source_messages), self, G_CONNECT_SWAPPED);

  /* Before the notifications the session passes on: the texts are current
   * when the window hears that something changed. */
  self->status = pi_status_line_new (self->source, self->feed, self->starter);
  g_signal_connect_object (self->status, "notify::title", G_CALLBACK (on_status_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->status, "notify::subtitle", G_CALLBACK (on_status_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->status, "notify::narrow-subtitle", G_CALLBACK (on_status_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->status, "notify::rate", G_CALLBACK (on_status_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->status, "notify::lost", G_CALLBACK (on_status_notify), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->feed, "notify::paused", G_CALLBACK (on_feed_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->feed, "notify::n-held", G_CALLBACK (on_feed_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->starter, "notify::local-error", G_CALLBACK (on_local_error), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->starter, "notify::needs-password", G_CALLBACK (on_needs_password), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->starter, "password-needed", G_CALLBACK (on_password_needed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->starter, "password-not-kept", G_CALLBACK (on_password_not_kept), self, G_CONNECT_SWAPPED);

  self->network_available = g_network_monitor_get_network_available (g_network_monitor_get_default ());
  g_signal_connect_object (g_network_monitor_get_default (), "network-changed",
                           G_CALLBACK (on_network_changed), self, G_CONNECT_SWAPPED);

  return self;
}

/**
 * pi_session_get_source:
 * @self: a #PiSession
 *
 * Returns: (transfer none): the live source
 */
PiSource *
pi_session_get_source (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), NULL);

  return self->source;
}

/**
 * pi_session_get_store:
 * @self: a #PiSession
 *
 * Returns: (transfer none): the messages received
 */
PiMessageStore *
pi_session_get_store (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), NULL);

  return self->store;
}

const char *
pi_session_get_server_url (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), NULL);

  return self->server_url;
}

void
pi_session_set_server_url (PiSession  *self,
                           const char *server_url)
{
  g_autofree char *clean = NULL;

  g_return_if_fail (PI_IS_SESSION (self));

  /* A broker's password never reaches the settings (bound to this) or the
   * title: one given in an address (a command line, a hand-edited setting),
   * even one GUri cannot parse, is dropped, and asked for like any other.
   * Blanks around the address go too. */
  if (server_url != NULL)
    server_url = clean = pi_deployments_without_password (server_url);

  if (g_strcmp0 (self->server_url, server_url) == 0)
    return;

  g_free (self->server_url);
  self->server_url = g_strdup (server_url);
  pi_status_line_set_server_url (self->status, self->server_url);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_URL]);
}

gboolean
pi_session_get_paused (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), FALSE);

  return self->feed != NULL && pi_message_feed_get_paused (self->feed);
}

/**
 * pi_session_set_paused:
 * @self: a #PiSession
 * @paused: whether to hold what arrives
 *
 * Pausing holds what arrives (the connection stays); resuming appends what
 * was held to the store, in arrival order.
 */
void
pi_session_set_paused (PiSession *self,
                       gboolean   paused)
{
  g_return_if_fail (PI_IS_SESSION (self));

  pi_message_feed_set_paused (self->feed, paused);
}

/**
 * pi_session_get_n_held:
 * @self: a #PiSession
 *
 * Returns: how many messages arrived while paused
 */
guint
pi_session_get_n_held (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), 0);

  return self->feed != NULL ? pi_message_feed_get_n_held (self->feed) : 0;
}

/**
 * pi_session_add_messages:
 * @self: a #PiSession
 * @batch: (element-type PiMessage) (transfer none): messages in arrival order
 *
 * What the source delivered: appended to the store with one change of the
 * model, or held while paused.
 */
void
pi_session_add_messages (PiSession *self,
                         GPtrArray *batch)
{
  g_return_if_fail (PI_IS_SESSION (self));
  g_return_if_fail (batch != NULL);

  pi_message_feed_add (self->feed, batch);
}

/* Clearing -------------------------------------------------------------------- */

/**
 * pi_session_clear:
 * @self: a #PiSession
 *
 * Empties the store and drops what is held; what the store had is kept
 * for pi_session_undo_clear() until pi_session_forget_cleared() or the
 * next Clear.
 *
 * Returns: how many messages the store had
 */
guint
pi_session_clear (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), 0);

  return pi_message_feed_clear (self->feed);
}

/**
 * pi_session_undo_clear:
 * @self: a #PiSession
 *
 * Puts back what the last Clear removed, before what arrived since.
 *
 * Returns: whether there was something to put back
 */
gboolean
pi_session_undo_clear (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), FALSE);

  return pi_message_feed_undo_clear (self->feed);
}

/* The undo is gone (its toast was dismissed): let the messages go. */
void
pi_session_forget_cleared (PiSession *self)
{
  g_return_if_fail (PI_IS_SESSION (self));

  pi_message_feed_forget_cleared (self->feed);
}

gboolean
pi_session_get_can_undo_clear (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), FALSE);

  return pi_message_feed_get_can_undo_clear (self->feed);
}

double
pi_session_get_rate (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), 0);

  return self->status != NULL ? pi_status_line_get_rate (self->status) : 0;
}

/**
 * pi_session_get_ever_connected:
 * @self: a #PiSession
 *
 * Returns: whether the source was live at least once: before, counters
 *   would only be zeros
 */
gboolean
pi_session_get_ever_connected (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), FALSE);

  return self->ever_connected;
}

const char *
pi_session_get_title (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), NULL);

  return self->status != NULL ? pi_status_line_get_title (self->status) : NULL;
}

const char *
pi_session_get_subtitle (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), NULL);

  return self->status != NULL ? pi_status_line_get_subtitle (self->status) : NULL;
}

/* Connecting ------------------------------------------------------------- */

/* Whether connecting with these would start the stream the source already
 * has: the same server, bindings and client id. */
static gboolean
is_current_stream (PiSession  *self,
                   GPtrArray  *bindings,
                   const char *client_id)
{
  GPtrArray *current = pi_source_get_bindings (self->source);

  if (g_strcmp0 (self->server_url, pi_source_get_server_url (self->source)) != 0 ||
      current == NULL || current->len != bindings->len)
    return FALSE;

  if (g_strcmp0 (client_id, self->client_id) != 0)
    return FALSE;

  /* The client's token kept again since: the stream holds the old one. */
  if (client_id != NULL && self->server_url != NULL &&
      self->token_changes != pi_credentials_get_token_changes (self->server_url, client_id))
    return FALSE;

  for (guint i = 0; i < bindings->len; i++)
    if (!pi_binding_equal (g_ptr_array_index (bindings, i), g_ptr_array_index (current, i)))
      return FALSE;

  return TRUE;
}

/**
 * pi_session_connect:
 * @self: a #PiSession
 * @bindings: (element-type PiBinding): the bindings to listen to
 * @client_id: (nullable): the Taskcluster client id whose token the keyring
 *   may keep for the server, or %NULL
 *
 * (Re)starts the source on the server URL with @bindings, with the token
 * the keyring keeps for @client_id on that server, if any; on a broker,
 * with its password (see #PiSession::password-needed). While the source
 * waits to reconnect with just these, and the token was not kept again
 * since, it makes its attempt at once instead (Reconnect Now;
 * pi_source_reconnect_now()).
 */
void
pi_session_connect (PiSession  *self,
                    GPtrArray  *bindings,
                    const char *client_id)
{
  g_return_if_fail (PI_IS_SESSION (self));
  g_return_if_fail (bindings != NULL);

  if (client_id != NULL && client_id[0] == '\0')
    client_id = NULL;

  /* The stream waits to reconnect to just this: the attempt is made now,
   * and the stream stays what it was (it resumes where it was lost, and
   * keeps trying while the server is away), where starting over would
   * fail at the first refused connection. */
  if (pi_source_get_state (self->source) == PI_STREAM_STATE_RECONNECTING &&
      is_current_stream (self, bindings, client_id) &&
      pi_source_reconnect_now (self->source))
    {
      g_debug ("Reconnecting now to %s", self->server_url);
      return;
    }

  g_free (self->client_id);
  self->client_id = g_strdup (client_id);
  self->token_changes = self->server_url != NULL && client_id != NULL ?
                        pi_credentials_get_token_changes (self->server_url, client_id) : 0;
  pi_source_starter_start (self->starter, self->server_url, bindings, client_id);
}

/**
 * pi_session_connect_with_password:
 * @self: a #PiSession
 * @bindings: (element-type PiBinding): the bindings to listen to
 * @password: the broker password the user typed
 *
 * (Re)starts the source on the broker with @password, and keeps @password
 * in the keyring (replacing the one kept) once the broker accepts it.
 */
void
pi_session_connect_with_password (PiSession  *self,
                                  GPtrArray  *bindings,
                                  const char *password)
{
  g_return_if_fail (PI_IS_SESSION (self));
  g_return_if_fail (bindings != NULL);
  g_return_if_fail (password != NULL);

  g_clear_pointer (&self->client_id, g_free);  /* a broker's source: no token */
  self->token_changes = 0;
  pi_source_starter_start_with_password (self->starter, self->server_url, bindings, password);
}

/**
 * pi_session_get_needs_password:
 * @self: a #PiSession
 *
 * Returns: see #PiSession:needs-password
 */
gboolean
pi_session_get_needs_password (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), FALSE);

  return self->starter != NULL && pi_source_starter_get_needs_password (self->starter);
}

/**
 * pi_session_disconnect:
 * @self: a #PiSession
 *
 * Stops the source, and a connection still waiting for the keyring.
 */
void
pi_session_disconnect (PiSession *self)
{
  g_return_if_fail (PI_IS_SESSION (self));

  pi_source_starter_stop (self->starter);
}

/**
 * pi_session_get_local_error:
 * @self: a #PiSession
 *
 * Returns: (nullable): see #PiSession:local-error
 */
const char *
pi_session_get_local_error (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), NULL);

  return self->starter != NULL ? pi_source_starter_get_local_error (self->starter) : NULL;
}

/**
 * pi_session_get_failure:
 * @self: a #PiSession
 * @remedy: (out) (optional): what fixes it
 *
 * The failure to tell, if any, and its one remedy: a bad address is fixed
 * by choosing another server; a refused password or token by giving
 * another; a refusal or a lost connection by trying again.
 *
 * Returns: (nullable): the failure in words, or %NULL
 */
const char *
pi_session_get_failure (PiSession       *self,
                        PiSessionRemedy *remedy)
{
  PiSessionRemedy unused;
  PiStreamState state;
  const char *error_message;
  const char *reason;

  g_return_val_if_fail (PI_IS_SESSION (self), NULL);

  if (remedy == NULL)
    remedy = &unused;
  *remedy = PI_SESSION_REMEDY_NONE;

  state = pi_source_get_state (self->source);
  error_message = pi_source_get_error_message (self->source);
  reason = error_message != NULL ? error_message : pi_source_get_state_text (self->source);

  if (pi_session_get_local_error (self) != NULL)
    {
      *remedy = PI_SESSION_REMEDY_CHANGE_SERVER;
      return pi_session_get_local_error (self);
    }

  /* A broker without a password: nothing was tried, nothing failed. */
  if (pi_session_get_needs_password (self))
    {
      *remedy = PI_SESSION_REMEDY_ENTER_PASSWORD;
      return _("Not connected: the broker sends nothing before its user logs in with a password.");
    }

  /* Retrying with the same password cannot help: ask for another. */
  if (state == PI_STREAM_STATE_FAILED && pi_source_get_needs_credentials (self->source) &&
      self->server_url != NULL && pi_deployments_is_broker_url (self->server_url))
    {
      *remedy = PI_SESSION_REMEDY_ENTER_PASSWORD;
      return reason;
    }

  /* Retrying with the same credentials cannot help: the Connect dialog
   * takes a client id and token. */
  if (state == PI_STREAM_STATE_FAILED && pi_source_get_needs_credentials (self->source))
    {
      *remedy = PI_SESSION_REMEDY_ENTER_CREDENTIALS;
      return reason;
    }

  if (state == PI_STREAM_STATE_FAILED)
    {
      *remedy = pi_session_get_lost (self) ? PI_SESSION_REMEDY_RECONNECT_NOW : PI_SESSION_REMEDY_RETRY;
      return reason;
    }

  if (state == PI_STREAM_STATE_RECONNECTING && error_message != NULL)
    {
      *remedy = pi_session_get_lost (self) ? PI_SESSION_REMEDY_RECONNECT_NOW : PI_SESSION_REMEDY_RETRY_NOW;
      return error_message;
    }

  return NULL;
}

/**
 * pi_session_get_lost:
 * @self: a #PiSession
 *
 * Returns: see #PiSession:lost
 */
gboolean
pi_session_get_lost (PiSession *self)
{
  g_return_val_if_fail (PI_IS_SESSION (self), FALSE);

  return self->status != NULL && pi_status_line_get_lost (self->status);
}
