/* pi-broker-login.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-broker-login"

#include <string.h>

#include "pi-broker-login.h"
#include "pi-credentials.h"

/* A broker's password, between the keyring, the user and the broker: the
 * one the keyring keeps for a server (looked up), and the one the user
 * typed for a server. The typed one is used again for that server (a
 * binding added reconnects) without asking; it is kept in the keyring once
 * that broker accepts it, and forgotten if it refuses it. It is never
 * written anywhere else, and wiped when forgotten. GTK-free; PiSession
 * holds one and tells it what the source does. */
struct _PiBrokerLogin
{
  GObject       parent_instance;

  char         *typed_password;
  char         *typed_server;
  gboolean      keep_pending;    /* typed, not yet accepted or refused */
  GCancellable *keep_cancellable;
};

G_DEFINE_FINAL_TYPE (PiBrokerLogin, pi_broker_login, G_TYPE_OBJECT)

enum {
  PASSWORD_NOT_KEPT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
forget_typed (PiBrokerLogin *self)
{
  if (self->typed_password != NULL)
    memset (self->typed_password, 0, strlen (self->typed_password));
  g_clear_pointer (&self->typed_password, g_free);
  g_clear_pointer (&self->typed_server, g_free);
  self->keep_pending = FALSE;
}

static void
pi_broker_login_dispose (GObject *object)
{
  PiBrokerLogin *self = PI_BROKER_LOGIN (object);

  g_cancellable_cancel (self->keep_cancellable);
  g_clear_object (&self->keep_cancellable);

  G_OBJECT_CLASS (pi_broker_login_parent_class)->dispose (object);
}

static void
pi_broker_login_finalize (GObject *object)
{
  forget_typed (PI_BROKER_LOGIN (object));

  G_OBJECT_CLASS (pi_broker_login_parent_class)->finalize (object);
}

static void
pi_broker_login_class_init (PiBrokerLoginClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_broker_login_dispose;
  object_class->finalize = pi_broker_login_finalize;

  /**
   * PiBrokerLogin::password-not-kept:
   * @self: the login
   * @message: why, in words
   *
   * The broker accepted the password typed but the keyring could not keep it.
   */
  signals[PASSWORD_NOT_KEPT] =
    g_signal_new ("password-not-kept", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
pi_broker_login_init (PiBrokerLogin *self)
{
}

/**
 * pi_broker_login_new:
 *
 * Returns: (transfer full): a new login, with no password typed
 */
PiBrokerLogin *
pi_broker_login_new (void)
{
  return g_object_new (PI_TYPE_BROKER_LOGIN, NULL);
}

/**
 * pi_broker_login_lookup_async:
 * @self: a #PiBrokerLogin
 * @server_url: the broker's URL
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the keyring's answer
 * @user_data: for @callback
 *
 * Asks the keyring for the password it keeps for @server_url.
 */
void
pi_broker_login_lookup_async (PiBrokerLogin       *self,
                              const char          *server_url,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (PI_IS_BROKER_LOGIN (self));
  g_return_if_fail (server_url != NULL);

  pi_credentials_lookup_password_async (server_url, cancellable, callback, user_data);
}

/**
 * pi_broker_login_lookup_finish:
 * @self: a #PiBrokerLogin
 * @result: the result given to the callback
 * @error: where to put an error
 *
 * Returns: (transfer full) (nullable): the password kept (wipe it after
 *   use), or %NULL with @error set when the keyring has none or fails
 */
char *
pi_broker_login_lookup_finish (PiBrokerLogin  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (PI_IS_BROKER_LOGIN (self), NULL);

  return pi_credentials_lookup_password_finish (result, error);
}

/**
 * pi_broker_login_get_typed:
 * @self: a #PiBrokerLogin
 * @server_url: (nullable): the broker's URL
 *
 * Returns: (nullable): the password typed for @server_url in this window,
 *   if any: used again without asking
 */
const char *
pi_broker_login_get_typed (PiBrokerLogin *self,
                           const char    *server_url)
{
  g_return_val_if_fail (PI_IS_BROKER_LOGIN (self), NULL);

  if (self->typed_password != NULL && g_strcmp0 (self->typed_server, server_url) == 0)
    return self->typed_password;
  return NULL;
}

/**
 * pi_broker_login_set_typed:
 * @self: a #PiBrokerLogin
 * @server_url: (nullable): the broker's URL
 * @password: the password the user typed for it
 *
 * Remembers @password for @server_url, replacing any typed before, and
 * keeps it in the keyring (replacing the one kept) once that broker
 * accepts it: see pi_broker_login_source_changed().
 */
void
pi_broker_login_set_typed (PiBrokerLogin *self,
                           const char    *server_url,
                           const char    *password)
{
  g_return_if_fail (PI_IS_BROKER_LOGIN (self));
  g_return_if_fail (password != NULL);

  forget_typed (self);
  self->typed_password = g_strdup (password);
  self->typed_server = g_strdup (server_url);
  self->keep_pending = TRUE;
}

/**
 * pi_broker_login_drop_unchecked:
 * @self: a #PiBrokerLogin
 * @server_url: (nullable): the server about to be connected to
 *
 * A password typed for another server, and not yet accepted there, is
 * dropped: never used elsewhere, and never kept unchecked.
 */
void
pi_broker_login_drop_unchecked (PiBrokerLogin *self,
                                const char    *server_url)
{
  g_return_if_fail (PI_IS_BROKER_LOGIN (self));

  if (self->keep_pending && g_strcmp0 (self->typed_server, server_url) != 0)
    forget_typed (self);
}

static void
on_password_kept (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PiBrokerLogin) self = user_data;
  g_autoptr(GError) error = NULL;

  if (pi_credentials_store_password_finish (result, &error))
    return;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Listening goes on; only the next start asks again. Said once. */
  g_signal_emit (self, signals[PASSWORD_NOT_KEPT], 0, error->message);
}

static void
keep_password (PiBrokerLogin *self,
               gboolean       accepted)
{
  self->keep_pending = FALSE;

  /* Refused: neither kept nor used again. */
  if (!accepted)
    {
      forget_typed (self);
      return;
    }

  g_cancellable_cancel (self->keep_cancellable);
  g_clear_object (&self->keep_cancellable);
  self->keep_cancellable = g_cancellable_new ();
  pi_credentials_store_password_async (self->typed_server, self->typed_password, self->keep_cancellable,
                                       on_password_kept, g_object_ref (self));
}

/**
 * pi_broker_login_source_changed:
 * @self: a #PiBrokerLogin
 * @source: the source, whose state changed
 *
 * The broker took the password typed: keep it for next time. A refused
 * one is not kept. Only the broker it was typed for can say: another
 * server live says nothing of it.
 */
void
pi_broker_login_source_changed (PiBrokerLogin *self,
                                PiSource      *source)
{
  gboolean live;

  g_return_if_fail (PI_IS_BROKER_LOGIN (self));
  g_return_if_fail (PI_IS_SOURCE (source));

  if (!self->keep_pending)
    return;

  live = pi_source_get_state (source) == PI_STREAM_STATE_LIVE;
  if ((live || pi_source_get_needs_credentials (source)) &&
      g_strcmp0 (pi_source_get_server_url (source), self->typed_server) == 0)
    keep_password (self, live);
}
