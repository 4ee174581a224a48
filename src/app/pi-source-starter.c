/* pi-source-starter.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-session"

#include <string.h>

#include "pi-broker-login.h"
#include "pi-credentials.h"
#include "pi-deployments.h"
#include "pi-source-starter.h"

/* Starting a source takes a step before any network: the keyring is asked
 * for what the server wants, a Taskcluster token for the client id or a
 * broker's password (else the user is asked for one). This does that step
 * and then (re)starts the source; a bad address fails here, in words, as
 * local-error. GTK-free; PiSession holds one for its source. */
struct _PiSourceStarter
{
  GObject        parent_instance;

  PiSource      *source;
  /* A broker's password from the keyring, or typed and kept once accepted */
  PiBrokerLogin *login;

  /* The start under way: cancelled by the next one, a stop, or dispose */
  GCancellable  *cancellable;
  char          *server_url;
  GPtrArray     *bindings;
  char          *client_id;

  char          *local_error;    /* a failure before the source started */
  gboolean       needs_password; /* a broker's: none in the keyring, none typed */
};

G_DEFINE_FINAL_TYPE (PiSourceStarter, pi_source_starter, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LOCAL_ERROR,
  PROP_NEEDS_PASSWORD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PASSWORD_NEEDED,
  PASSWORD_NOT_KEPT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
pi_source_starter_dispose (GObject *object)
{
  PiSourceStarter *self = PI_SOURCE_STARTER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  /* A keyring write still under way holds the login: stop it too, as a
   * window closed keeps nothing more. */
  if (self->login != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->login, self);
      g_object_run_dispose (G_OBJECT (self->login));
    }
  g_clear_object (&self->login);
  if (self->source != NULL)
    g_signal_handlers_disconnect_by_data (self->source, self);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (pi_source_starter_parent_class)->dispose (object);
}

static void
pi_source_starter_finalize (GObject *object)
{
  PiSourceStarter *self = PI_SOURCE_STARTER (object);

  g_free (self->server_url);
  g_free (self->client_id);
  g_free (self->local_error);

  G_OBJECT_CLASS (pi_source_starter_parent_class)->finalize (object);
}

static void
pi_source_starter_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PiSourceStarter *self = PI_SOURCE_STARTER (object);

  switch (prop_id)
    {
    case PROP_LOCAL_ERROR:
      g_value_set_string (value, self->local_error);
      break;

    case PROP_NEEDS_PASSWORD:
      g_value_set_boolean (value, self->needs_password);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_source_starter_class_init (PiSourceStarterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_source_starter_dispose;
  object_class->finalize = pi_source_starter_finalize;
  object_class->get_property = pi_source_starter_get_property;

  /**
   * PiSourceStarter:local-error:
   *
   * Why the last start could not start the source (a bad address),
   * before any network; %NULL otherwise.
   */
  properties[PROP_LOCAL_ERROR] =
    g_param_spec_string ("local-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PiSourceStarter:needs-password:
   *
   * Whether starting on a broker waits for its password: the keyring has
   * none, and none was typed.
   */
  properties[PROP_NEEDS_PASSWORD] =
    g_param_spec_boolean ("needs-password", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PiSourceStarter::password-needed:
   * @self: the starter
   *
   * Starting on a broker found no password in the keyring: ask for one,
   * then pi_source_starter_start_with_password().
   */
  signals[PASSWORD_NEEDED] =
    g_signal_new ("password-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * PiSourceStarter::password-not-kept:
   * @self: the starter
   * @message: why, in words
   *
   * The broker accepted the password but the keyring could not keep it.
   */
  signals[PASSWORD_NOT_KEPT] =
    g_signal_new ("password-not-kept", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
on_password_not_kept (PiSourceStarter *self,
                      const char      *message,
                      PiBrokerLogin   *login)
{
  g_signal_emit (self, signals[PASSWORD_NOT_KEPT], 0, message);
}

/* The broker took the password typed, or refused it. */
static void
on_source_state (PiSourceStarter *self,
                 GParamSpec      *pspec,
                 PiSource        *source)
{
  pi_broker_login_source_changed (self->login, source);
}

static void
pi_source_starter_init (PiSourceStarter *self)
{
  self->login = pi_broker_login_new ();
  g_signal_connect_object (self->login, "password-not-kept", G_CALLBACK (on_password_not_kept), self, G_CONNECT_SWAPPED);
}

/**
 * pi_source_starter_new:
 * @source: the source to start
 *
 * Returns: (transfer full): a starter for @source
 */
PiSourceStarter *
pi_source_starter_new (PiSource *source)
{
  PiSourceStarter *self;

  g_return_val_if_fail (PI_IS_SOURCE (source), NULL);

  self = g_object_new (PI_TYPE_SOURCE_STARTER, NULL);
  self->source = g_object_ref (source);
  g_signal_connect_object (source, "notify::state", G_CALLBACK (on_source_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (source, "notify::state-text", G_CALLBACK (on_source_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (source, "notify::protocol-name", G_CALLBACK (on_source_state), self, G_CONNECT_SWAPPED);

  return self;
}

static void
set_local_error (PiSourceStarter *self,
                 const char      *local_error)
{
  if (g_strcmp0 (self->local_error, local_error) == 0)
    return;

  g_free (self->local_error);
  self->local_error = g_strdup (local_error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_ERROR]);
}

static void
set_needs_password (PiSourceStarter *self,
                    gboolean         needs_password)
{
  if (self->needs_password == needs_password)
    return;

  self->needs_password = needs_password;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_PASSWORD]);
}

/* A new start, or a stop: what the last one waited for is not wanted. */
static void
begin (PiSourceStarter *self,
       const char      *server_url,
       GPtrArray       *bindings)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  if (bindings != NULL)
    self->bindings = g_ptr_array_ref (bindings);
  if (server_url != self->server_url)
    {
      g_free (self->server_url);
      self->server_url = g_strdup (server_url);
    }
}

static void
start_source (PiSourceStarter *self)
{
  g_autoptr(GPtrArray) bindings = g_steal_pointer (&self->bindings);
  g_autoptr(GError) error = NULL;

  /* Connecting again restarts the source with the URL and bindings given.
   * A bad URL fails here, before any network: said once, as local-error. */
  pi_source_set_server_url (self->source, self->server_url ? self->server_url : "");
  pi_source_set_bindings (self->source, bindings);

  set_local_error (self, NULL);
  if (!pi_source_connect (self->source, &error))
    set_local_error (self, error->message);
}

static void
on_token_looked_up (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PiSourceStarter) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = pi_credentials_lookup_finish (result, &error);

  /* Cancelled: stopped, started again, or gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->source == NULL)
    return;

  /* Without the keyring, or without a token kept for this server, listen
   * anonymously: public deployments need nothing more. */
  if (error != NULL)
    g_debug ("No access token from the keyring: %s", error->message);

  if (token != NULL)
    pi_source_set_credentials (self->source, self->client_id, token);
  else
    pi_source_set_credentials (self->source, NULL, NULL);
  start_source (self);
}

static void
on_password_looked_up (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(PiSourceStarter) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;

  if (self->login != NULL)
    password = pi_broker_login_lookup_finish (self->login, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->source == NULL)
    return;

  if (error != NULL)
    g_debug ("No broker password from the keyring: %s", error->message);

  if (password != NULL)
    {
      pi_source_set_password (self->source, password);
      memset (password, 0, strlen (password));
      start_source (self);
      return;
    }

  /* Nothing to log in with: stop listening to the previous server, and
   * ask the user. */
  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  pi_source_disconnect (self->source);
  set_needs_password (self, TRUE);
  g_signal_emit (self, signals[PASSWORD_NEEDED], 0);
}

/**
 * pi_source_starter_start:
 * @self: a #PiSourceStarter
 * @server_url: (nullable): the server
 * @bindings: (element-type PiBinding): the bindings to listen to
 * @client_id: (nullable): the Taskcluster client id whose token the keyring
 *   may keep for the server, or %NULL
 *
 * (Re)starts the source on @server_url with @bindings: on a broker, with
 * the password typed for it in this window or kept in the keyring (else
 * #PiSourceStarter::password-needed); elsewhere with the token the keyring
 * keeps for @client_id on that server, if any.
 */
void
pi_source_starter_start (PiSourceStarter *self,
                         const char      *server_url,
                         GPtrArray       *bindings,
                         const char      *client_id)
{
  g_return_if_fail (PI_IS_SOURCE_STARTER (self));
  g_return_if_fail (bindings != NULL);

  begin (self, server_url, bindings);
  set_needs_password (self, FALSE);

  /* A password typed for another server, and not yet accepted there, is
   * dropped: never used elsewhere, and never kept unchecked. */
  pi_broker_login_drop_unchecked (self->login, server_url);

  /* A broker: its password is in the keyring, or asked for. */
  if (server_url != NULL && pi_deployments_is_broker_url (server_url))
    {
      g_autoptr(GError) error = NULL;
      const char *typed;

      pi_source_set_credentials (self->source, NULL, NULL);
      if (!pi_deployments_check_url (server_url, &error))
        {
          g_clear_pointer (&self->bindings, g_ptr_array_unref);
          pi_source_disconnect (self->source);
          set_local_error (self, error->message);
          return;
        }

      /* Typed for this server in this window: not asked again. */
      typed = pi_broker_login_get_typed (self->login, server_url);
      if (typed != NULL)
        {
          pi_source_set_password (self->source, typed);
          start_source (self);
          return;
        }

      self->cancellable = g_cancellable_new ();
      pi_broker_login_lookup_async (self->login, server_url, self->cancellable,
                                    on_password_looked_up, g_object_ref (self));
      return;
    }

  pi_source_set_password (self->source, NULL);
  if (client_id == NULL || client_id[0] == '\0' ||
      server_url == NULL || server_url[0] == '\0')
    {
      pi_source_set_credentials (self->source, NULL, NULL);
      start_source (self);
      return;
    }

  /* The token is in the keyring: ask for it, then connect. The client id
   * goes with it; the token is set once found. */
  g_free (self->client_id);
  self->client_id = g_strdup (client_id);
  self->cancellable = g_cancellable_new ();
  pi_credentials_lookup_async (server_url, client_id, self->cancellable,
                               on_token_looked_up, g_object_ref (self));
}

/**
 * pi_source_starter_start_with_password:
 * @self: a #PiSourceStarter
 * @server_url: (nullable): the broker
 * @bindings: (element-type PiBinding): the bindings to listen to
 * @password: the broker password the user typed
 *
 * (Re)starts the source on the broker with @password, and keeps @password
 * in the keyring (replacing the one kept) once the broker accepts it.
 */
void
pi_source_starter_start_with_password (PiSourceStarter *self,
                                       const char      *server_url,
                                       GPtrArray       *bindings,
                                       const char      *password)
{
  g_return_if_fail (PI_IS_SOURCE_STARTER (self));
  g_return_if_fail (bindings != NULL);
  g_return_if_fail (password != NULL);

  begin (self, server_url, bindings);
  set_needs_password (self, FALSE);

  pi_broker_login_set_typed (self->login, server_url, password);

  pi_source_set_credentials (self->source, NULL, NULL);
  pi_source_set_password (self->source, password);
  start_source (self);
}

/**
 * pi_source_starter_stop:
 * @self: a #PiSourceStarter
 *
 * Stops the source, and a start still waiting for the keyring.
 */
void
pi_source_starter_stop (PiSourceStarter *self)
{
  g_return_if_fail (PI_IS_SOURCE_STARTER (self));

  begin (self, self->server_url, NULL);
  set_local_error (self, NULL);
  set_needs_password (self, FALSE);
  pi_source_disconnect (self->source);
}

/**
 * pi_source_starter_get_local_error:
 * @self: a #PiSourceStarter
 *
 * Returns: (nullable): see #PiSourceStarter:local-error
 */
const char *
pi_source_starter_get_local_error (PiSourceStarter *self)
{
  g_return_val_if_fail (PI_IS_SOURCE_STARTER (self), NULL);

  return self->local_error;
}

/**
 * pi_source_starter_get_needs_password:
 * @self: a #PiSourceStarter
 *
 * Returns: see #PiSourceStarter:needs-password
 */
gboolean
pi_source_starter_get_needs_password (PiSourceStarter *self)
{
  g_return_val_if_fail (PI_IS_SOURCE_STARTER (self), FALSE);

  return self->needs_password;
}
