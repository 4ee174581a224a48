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

/* The keyring, one call at a time -------------------------------------------
 *
 * In the sandbox libsecret keeps the keyring in a file, written whole with
 * the file's tag as it was read: two writes in flight at once and the
 * second fails with "The file was externally modified" (a password typed
 * while the last one was still being kept). So this process asks the
 * keyring one thing at a time, in the order asked: a lookup made after a
 * store finds what was stored.
 *
 * A write once asked is made even if its caller stops caring (a dialog
 * closed meanwhile): the caller's cancellable only spares it the answer
 * (GTask then reports G_IO_ERROR_CANCELLED). */

typedef enum
{
  KEYRING_STORE,
  KEYRING_CLEAR,
  KEYRING_LOOKUP,
} KeyringOp;

typedef struct
{
  KeyringOp           op;
  const SecretSchema *schema;
  char               *label;
  char               *secret;
  GHashTable         *attributes;
} KeyringCall;

static void
keyring_call_free (KeyringCall *call)
{
  g_free (call->label);
  if (call->secret != NULL)
    {
      explicit_bzero (call->secret, strlen (call->secret));
      g_free (call->secret);
    }
  g_hash_table_unref (call->attributes);
  g_free (call);
}

static GQueue keyring_calls = G_QUEUE_INIT;
static gboolean keyring_busy;
static GHashTable *token_changes;  /* "SERVER\nCLIENT" → times its token was stored or forgotten */

static void keyring_call_next (void);

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

static void
count_token_change (GHashTable *attributes)
{
  char *key = g_strconcat (g_hash_table_lookup (attributes, "server"), "\n",
                           g_hash_table_lookup (attributes, "client-id"), NULL);

  if (token_changes == NULL)
    token_changes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_replace (token_changes, key,
                        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (token_changes, key)) + 1));
}

static void
on_keyring_answered (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KeyringCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean ok;

  if (call->op == KEYRING_LOOKUP)
    {
      char *secret = secret_password_lookup_finish (result, &error);

      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, secret, (GDestroyNotify) secret_password_free);
    }
  else
    {
      if (call->op == KEYRING_STORE)
        ok = secret_password_store_finish (result, &error);
      else
        ok = secret_password_clear_finish (result, &error) || error == NULL;

      if (error != NULL)
        g_task_return_error (task, error);
      else
        {
          if (call->schema == get_schema ())
            count_token_change (call->attributes);  /* before the caller hears of it */
          g_task_return_boolean (task, ok);
        }
    }

  keyring_busy = FALSE;
  keyring_call_next ();
}

static void
keyring_call_next (void)
{
  GTask *task;
  KeyringCall *call;

  if (keyring_busy || (task = g_queue_pop_head (&keyring_calls)) == NULL)
    return;

  keyring_busy = TRUE;
  call = g_task_get_task_data (task);
  if (call->op == KEYRING_STORE)
    secret_password_storev (call->schema, call->attributes, SECRET_COLLECTION_DEFAULT,
                            call->label, call->secret, NULL, on_keyring_answered, task);
  else if (call->op == KEYRING_CLEAR)
    secret_password_clearv (call->schema, call->attributes, NULL, on_keyring_answered, task);
  else
    secret_password_lookupv (call->schema, call->attributes, NULL, on_keyring_answered, task);
}

/**
 * pi_credentials_get_token_changes:
 * @server_url: the server
 * @client_id: the Taskcluster client id
 *
 * Counts the times the access token of @client_id on @server_url was
 * stored or forgotten here: a stream started before the count changed may
 * hold a token the keyring no longer keeps, and is started over rather
 * than retried with it.
 *
 * Returns: the number of changes to that token
 */
guint
pi_credentials_get_token_changes (const char *server_url,
                                  const char *client_id)
{
  g_autofree char *server = NULL;
  g_autofree char *key = NULL;

  g_return_val_if_fail (server_url != NULL, 0);
  g_return_val_if_fail (client_id != NULL, 0);

  if (token_changes == NULL)
    return 0;
  server = server_key (server_url);
  key = g_strconcat (server, "\n", client_id, NULL);
  return GPOINTER_TO_UINT (g_hash_table_lookup (token_changes, key));
}

/* Queues one call to the keyring; takes @attributes. */
static void
keyring_call (KeyringOp            op,
               const SecretSchema  *schema,
               GHashTable          *attributes,
               const char          *label,
               const char          *secret,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data,
               gpointer             source_tag)
{
  KeyringCall *call = g_new0 (KeyringCall, 1);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  call->op = op;
  call->schema = schema;
  call->label = g_strdup (label);
  call->secret = g_strdup (secret);
  call->attributes = attributes;
  g_task_set_task_data (task, call, (GDestroyNotify) keyring_call_free);

  g_queue_push_tail (&keyring_calls, task);
  keyring_call_next ();
}

static GHashTable *
attributes_new (const char *name1,
                const char *value1,
                const char *name2,
                const char *value2)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, (gpointer) name1, g_strdup (value1));
  g_hash_table_insert (attributes, (gpointer) name2, g_strdup (value2));
  return attributes;
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
  keyring_call (KEYRING_STORE, get_schema (),
                 attributes_new ("server", server, "client-id", client_id),
                 label, access_token, cancellable, callback, user_data,
                 pi_credentials_store_async);
}

gboolean
pi_credentials_store_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_async_result_is_tagged (result, pi_credentials_store_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
  keyring_call (KEYRING_LOOKUP, get_schema (),
                 attributes_new ("server", server, "client-id", client_id),
                 NULL, NULL, cancellable, callback, user_data,
                 pi_credentials_lookup_async);
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
  g_return_val_if_fail (g_async_result_is_tagged (result, pi_credentials_lookup_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
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
  g_autofree char *server = NULL;

  g_return_if_fail (server_url != NULL);
  g_return_if_fail (client_id != NULL);

  server = server_key (server_url);
  keyring_call (KEYRING_CLEAR, get_schema (),
                 attributes_new ("server", server, "client-id", client_id),
                 NULL, NULL, cancellable, callback, user_data,
                 pi_credentials_clear_async);
}

gboolean
pi_credentials_clear_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_async_result_is_tagged (result, pi_credentials_clear_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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
  keyring_call (KEYRING_STORE, get_broker_schema (),
                 attributes_new ("broker", broker, "user", user),
                 label, password, cancellable, callback, user_data,
                 pi_credentials_store_password_async);
}

gboolean
pi_credentials_store_password_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_async_result_is_tagged (result, pi_credentials_store_password_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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

  keyring_call (KEYRING_LOOKUP, get_broker_schema (),
                 attributes_new ("broker", broker, "user", user),
                 NULL, NULL, cancellable, callback, user_data,
                 pi_credentials_lookup_password_async);
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
  g_return_val_if_fail (g_async_result_is_tagged (result, pi_credentials_lookup_password_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
