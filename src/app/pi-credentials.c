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
#include "pi-deployments.h"

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

/* Broker passwords --------------------------------------------------------- */

/* Its own schema: a broker's password is no Taskcluster token, and the
 * keyring's window says which is which. */
static const SecretSchema *
get_broker_schema (void)
{
  static const SecretSchema schema = {
    "io.github.pulseinspector.PulseInspector.BrokerPassword", SECRET_SCHEMA_NONE,
    {
      { "broker", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

/* The broker as the keyring knows it, without the user: "amqps://host:5671/vhost".
 * The default port is written out, so that "amqps://u@host/" and
 * "amqps://u@host:5671/" share one password. */
static gboolean
broker_key (const char  *broker_url,
            char       **broker,
            char       **user)
{
  g_autoptr(GUri) uri = g_uri_parse (broker_url, G_URI_FLAGS_HAS_PASSWORD, NULL);
  g_autofree char *scheme = NULL;
  const char *path;
  int port;

  if (uri == NULL || !pi_deployments_is_broker_url (broker_url))
    return FALSE;

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  port = g_uri_get_port (uri);
  if (port <= 0)
    port = g_str_equal (scheme, "amqps") ? 5671 : 5672;
  path = g_uri_get_path (uri);
  if (path[0] == '\0')
    path = "/";

  *broker = g_strdup_printf ("%s://%s:%d%s", scheme, g_uri_get_host (uri), port, path);
  *user = pi_deployments_broker_user (broker_url);
  return TRUE;
}

/**
 * pi_credentials_store_password_async:
 * @broker_url: the broker, amqp:// or amqps://, with its user
 * @password: the password of that user
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when stored
 * @user_data: data for @callback
 *
 * Keeps @password in the keyring, replacing the one kept before.
 */
void
pi_credentials_store_password_async (const char          *broker_url,
                                     const char          *password,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autofree char *broker = NULL;
  g_autofree char *user = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (broker_url != NULL);
  g_return_if_fail (password != NULL);

  if (!broker_key (broker_url, &broker, &user))
    {
      g_task_report_new_error (NULL, callback, user_data, pi_credentials_store_password_async,
                               G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a broker’s address"), broker_url);
      return;
    }

  /* What the keyring's own window shows. */
  label = g_strdup_printf (_("Broker password of %s on %s"), user, broker);
  secret_password_store (get_broker_schema (), SECRET_COLLECTION_DEFAULT, label, password,
                         cancellable, callback, user_data,
                         "broker", broker,
                         "user", user,
                         NULL);
}

gboolean
pi_credentials_store_password_finish (GAsyncResult  *result,
                                      GError       **error)
{
  /* The address could not be read: reported before the keyring was asked. */
  if (g_async_result_is_tagged (result, pi_credentials_store_password_async))
    return g_task_propagate_boolean (G_TASK (result), error);

  return secret_password_store_finish (result, error);
}

/**
 * pi_credentials_lookup_password_async:
 * @broker_url: the broker, amqp:// or amqps://, with its user
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the result
 * @user_data: data for @callback
 *
 * Finds the password kept for the user of @broker_url on that broker.
 */
void
pi_credentials_lookup_password_async (const char          *broker_url,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *broker = NULL;
  g_autofree char *user = NULL;

  g_return_if_fail (broker_url != NULL);

  if (!broker_key (broker_url, &broker, &user))
    {
      g_task_report_new_error (NULL, callback, user_data, pi_credentials_lookup_password_async,
                               G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a broker’s address"), broker_url);
      return;
    }

  secret_password_lookup (get_broker_schema (), cancellable, callback, user_data,
                          "broker", broker,
                          "user", user,
                          NULL);
}

/**
 * pi_credentials_lookup_password_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the password, or %NULL when none is
 *   kept (@error unset) or the keyring failed (@error set)
 */
char *
pi_credentials_lookup_password_finish (GAsyncResult  *result,
                                       GError       **error)
{
  if (g_async_result_is_tagged (result, pi_credentials_lookup_password_async))
    return g_task_propagate_pointer (G_TASK (result), error);

  return secret_password_lookup_finish (result, error);
}
