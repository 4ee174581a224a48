/* pi-credentials.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-credentials"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include <string.h>

#include "pi-credentials.h"

/* A Taskcluster access token is a password: it lives in the desktop keyring
 * (the Secret Service), keyed by the server and the client id, and never in
 * GSettings or a file. The client id alone is no secret and is a setting. */

static const SecretSchema *
get_schema (void)
{
  /* The name stays the same in development builds, like the settings schema. */
  static const SecretSchema schema = {
    "io.github.pulseinspector.PulseInspector.Credentials", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "client-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

/**
 * pi_credentials_store_async:
 * @server_url: the server the token is for
 * @client_id: the Taskcluster client id
 * @access_token: its access token
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when stored
 * @user_data: data for @callback
 *
 * Keeps @access_token in the keyring.
 */
/* The server as the keyring knows it: "https://tc.example.com/" and
 * "https://tc.example.com" are one deployment. */
static char *
server_key (const char *server_url)
{
  char *key = g_strstrip (g_strdup (server_url));
  gsize len = strlen (key);

  while (len > 0 && key[len - 1] == '/')
    key[--len] = '\0';
  return key;
}

void
pi_credentials_store_async (const char          *server_url,
                            const char          *client_id,
                            const char          *access_token,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *label = NULL;
  g_autofree char *server = NULL;

  g_return_if_fail (server_url != NULL);
  g_return_if_fail (client_id != NULL);
  g_return_if_fail (access_token != NULL);

  server = server_key (server_url);
  /* What the keyring's own window shows. */
  label = g_strdup_printf (_("Taskcluster access token of %s on %s"), client_id, server);
  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, label, access_token,
                         cancellable, callback, user_data,
                         "server", server,
                         "client-id", client_id,
                         NULL);
}

gboolean
pi_credentials_store_finish (GAsyncResult  *result,
                             GError       **error)
{
  return secret_password_store_finish (result, error);
}

/**
 * pi_credentials_lookup_async:
 * @server_url: the server
 * @client_id: the Taskcluster client id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the result
 * @user_data: data for @callback
 *
 * Finds the access token kept for @client_id on @server_url.
 */
void
pi_credentials_lookup_async (const char          *server_url,
                             const char          *client_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autofree char *server = NULL;

  g_return_if_fail (server_url != NULL);
  g_return_if_fail (client_id != NULL);

  server = server_key (server_url);
  secret_password_lookup (get_schema (), cancellable, callback, user_data,
                          "server", server,
                          "client-id", client_id,
                          NULL);
}

/**
 * pi_credentials_lookup_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the access token, or %NULL when none
 *   is kept (@error unset) or the keyring failed (@error set)
 */
char *
pi_credentials_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  return secret_password_lookup_finish (result, error);
}

/**
 * pi_credentials_clear_async:
 * @server_url: the server
 * @client_id: the Taskcluster client id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Forgets the access token kept for @client_id on @server_url.
 */
void
pi_credentials_clear_async (const char          *server_url,
                            const char          *client_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (client_id != NULL);

  secret_password_clear (get_schema (), cancellable, callback, user_data,
                         "server", server_url,
                         "client-id", client_id,
                         NULL);
}

gboolean
pi_credentials_clear_finish (GAsyncResult  *result,
                             GError       **error)
{
  return secret_password_clear_finish (result, error);
}
