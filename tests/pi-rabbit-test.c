/* pi-rabbit-test.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <rabbitmq-c/tcp_socket.h>

#include "pi-rabbit-test.h"

static void
new_session (gpointer data)
{
  /* Out of the test's process group: whatever kills the test must not
   * kill the clean-up with it. */
  setsid ();
}

static char *
rabbit_node (const char *script,
             const char *action,
             const char *dir)
{
  const char *argv[] = { script, action, dir, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("rabbitmq-node %s failed: %s%s", action, out, err);
  return out;
}

void
pi_test_rabbit_start (PiTestRabbit *rabbit,
                      const char   *source_root,
                      const char   *exchange)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  const char *script;
  g_autofree char *url = NULL;
  amqp_socket_t *socket;
  int port;

  rabbit->script = g_build_filename (source_root, "tests", "rabbitmq-node", NULL);
  script = rabbit->script;
  rabbit->dir = g_dir_make_tmp ("pi-rabbit-XXXXXX", &error);
  g_assert_no_error (error);
  rabbit->exchange = g_strdup (exchange);

  /* Stops the node when our end of its stdin closes, however we exit. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, new_session, NULL, NULL);
  rabbit->guardian = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c",
                                                  "cat >/dev/null; \"$0\" stop \"$1\" >/dev/null 2>&1; rm -rf \"$1\"",
                                                  script, rabbit->dir, NULL);
  g_assert_no_error (error);

  url = rabbit_node (script, rabbit->tls ? "start-tls" : "start", rabbit->dir);
  rabbit->amqp_url = g_strdup (g_strstrip (url));
  port = atoi (strrchr (rabbit->amqp_url, ':') + 1);

  rabbit->publisher = amqp_new_connection ();
  socket = amqp_tcp_socket_new (rabbit->publisher);
  g_assert_cmpint (amqp_socket_open (socket, "127.0.0.1", port), ==, AMQP_STATUS_OK);
  g_assert_cmpint (amqp_login (rabbit->publisher, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                               "guest", "guest").reply_type, ==, AMQP_RESPONSE_NORMAL);
  amqp_channel_open (rabbit->publisher, 1);
  g_assert_cmpint (amqp_get_rpc_reply (rabbit->publisher).reply_type, ==, AMQP_RESPONSE_NORMAL);
  amqp_exchange_declare (rabbit->publisher, 1, amqp_cstring_bytes (exchange), amqp_cstring_bytes ("topic"),
                         FALSE, FALSE, FALSE, FALSE, amqp_empty_table);
  g_assert_cmpint (amqp_get_rpc_reply (rabbit->publisher).reply_type, ==, AMQP_RESPONSE_NORMAL);
}

void
pi_test_rabbit_stop (PiTestRabbit *rabbit)
{
  if (rabbit->publisher != NULL)
    amqp_destroy_connection (rabbit->publisher);
  rabbit->publisher = NULL;
  if (rabbit->guardian != NULL)
    {
      g_output_stream_close (g_subprocess_get_stdin_pipe (rabbit->guardian), NULL, NULL);
      g_subprocess_wait (rabbit->guardian, NULL, NULL);
      g_clear_object (&rabbit->guardian);
    }
  g_clear_pointer (&rabbit->dir, g_free);
  g_clear_pointer (&rabbit->script, g_free);
  g_clear_pointer (&rabbit->amqp_url, g_free);
  g_clear_pointer (&rabbit->exchange, g_free);
  g_clear_pointer (&rabbit->amqps_url, g_free);
  g_clear_pointer (&rabbit->amqps_wrong_host_url, g_free);
  g_clear_pointer (&rabbit->tls_ca_file, g_free);
  g_clear_pointer (&rabbit->tls_unknown_ca_file, g_free);
  rabbit->tls = FALSE;
}

char *
pi_test_rabbit_ctl (PiTestRabbit *rabbit,
                    const char   *first_arg,
                    ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  char *out = NULL;
  va_list args;
  int status;

  g_ptr_array_add (argv, rabbit->script);
  g_ptr_array_add (argv, (char *) "ctl");
  g_ptr_array_add (argv, rabbit->dir);
  va_start (args, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("rabbitmqctl %s failed: %s%s", first_arg, out, err);
  return out;
}

void
pi_test_rabbit_add_user (PiTestRabbit *rabbit,
                         const char   *user,
                         const char   *password,
                         const char   *configure,
                         const char   *write,
                         const char   *read)
{
  g_free (pi_test_rabbit_ctl (rabbit, "add_user", user, password, NULL));
  g_free (pi_test_rabbit_ctl (rabbit, "set_permissions", "-p", "/", user, configure, write, read, NULL));
}

static void
publisher_connect (PiTestRabbit *rabbit)
{
  amqp_socket_t *socket;
  int port = atoi (strrchr (rabbit->amqp_url, ':') + 1);

  if (rabbit->publisher != NULL)
    amqp_destroy_connection (rabbit->publisher);
  rabbit->publisher = amqp_new_connection ();
  socket = amqp_tcp_socket_new (rabbit->publisher);
  g_assert_cmpint (amqp_socket_open (socket, "127.0.0.1", port), ==, AMQP_STATUS_OK);
  g_assert_cmpint (amqp_login (rabbit->publisher, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                               "guest", "guest").reply_type, ==, AMQP_RESPONSE_NORMAL);
  amqp_channel_open (rabbit->publisher, 1);
  g_assert_cmpint (amqp_get_rpc_reply (rabbit->publisher).reply_type, ==, AMQP_RESPONSE_NORMAL);
  amqp_exchange_declare (rabbit->publisher, 1, amqp_cstring_bytes (rabbit->exchange), amqp_cstring_bytes ("topic"),
                         FALSE, FALSE, FALSE, FALSE, amqp_empty_table);
  g_assert_cmpint (amqp_get_rpc_reply (rabbit->publisher).reply_type, ==, AMQP_RESPONSE_NORMAL);
}

void
pi_test_rabbit_kill (PiTestRabbit *rabbit)
{
  g_free (rabbit_node (rabbit->script, "kill", rabbit->dir));
}

void
pi_test_rabbit_restart (PiTestRabbit *rabbit)
{
  g_free (rabbit_node (rabbit->script, "restart", rabbit->dir));
  publisher_connect (rabbit);
}

void
pi_test_rabbit_publish (PiTestRabbit *rabbit,
                        const char   *routing_key,
                        const char   *cc,
                        const char   *payload)
{
  amqp_basic_properties_t properties = { 0 };
  amqp_field_value_t value;
  amqp_table_entry_t header;

  properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG;
  properties.content_type = amqp_cstring_bytes ("application/json");
  if (cc != NULL)
    {
      value.kind = AMQP_FIELD_KIND_UTF8;
      value.value.bytes = amqp_cstring_bytes (cc);
      header.key = amqp_cstring_bytes ("CC");
      header.value.kind = AMQP_FIELD_KIND_ARRAY;
      header.value.value.array.num_entries = 1;
      header.value.value.array.entries = &value;
      properties._flags |= AMQP_BASIC_HEADERS_FLAG;
      properties.headers.num_entries = 1;
      properties.headers.entries = &header;
    }
  g_assert_cmpint (amqp_basic_publish (rabbit->publisher, 1, amqp_cstring_bytes (rabbit->exchange),
                                       amqp_cstring_bytes (routing_key), FALSE, FALSE,
                                       &properties, amqp_cstring_bytes (payload)), ==, AMQP_STATUS_OK);
}

void
pi_test_rabbit_close_others (PiTestRabbit *rabbit)
{
  const char *list_argv[] = { rabbit->script, "ctl", rabbit->dir, "list_connections", "-q",
                              "--no-table-headers", "pid", "peer_port", NULL };
  struct sockaddr_storage address;
  socklen_t address_len = sizeof address;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  char publisher_port[16];
  guint n_closed = 0;
  int status;

  g_assert_cmpint (getsockname (amqp_socket_get_sockfd (amqp_get_socket (rabbit->publisher)),
                                (struct sockaddr *) &address, &address_len), ==, 0);
  g_snprintf (publisher_port, sizeof publisher_port, "%u",
              g_ntohs (((struct sockaddr_in *) &address)->sin_port));

  g_spawn_sync (NULL, (char **) list_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (g_strstrip (lines[i]), "\t", 2);
      const char *close_argv[] = { rabbit->script, "ctl", rabbit->dir, "close_connection", NULL,
                                   "test: broker gone", NULL };

      if (g_strv_length (fields) != 2 || !g_str_has_prefix (fields[0], "<") ||
          g_strcmp0 (g_strstrip (fields[1]), publisher_port) == 0)
        continue;

      close_argv[4] = fields[0];
      g_spawn_sync (NULL, (char **) close_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error);
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      n_closed++;
    }
  g_assert_cmpuint (n_closed, >=, 1);
}

/* One VALUE of NAME=VALUE in the node's DIR/env (no quoting there). */
static char *
rabbit_env (PiTestRabbit *rabbit,
            const char   *name)
{
  g_autofree char *path = g_build_filename (rabbit->dir, "env", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  gsize name_len = strlen (name);

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], name, name_len) == 0 && lines[i][name_len] == '=')
      return g_strdup (lines[i] + name_len + 1);
  g_error ("%s has no %s", path, name);
}

void
pi_test_rabbit_start_tls (PiTestRabbit *rabbit,
                          const char   *source_root,
                          const char   *exchange)
{
  rabbit->tls = TRUE;
  pi_test_rabbit_start (rabbit, source_root, exchange);

  rabbit->amqps_url = rabbit_env (rabbit, "AMQPS_URL");
  rabbit->amqps_wrong_host_url = rabbit_env (rabbit, "AMQPS_WRONG_HOST_URL");
  rabbit->tls_ca_file = rabbit_env (rabbit, "TLS_CA_FILE");
  rabbit->tls_unknown_ca_file = rabbit_env (rabbit, "TLS_UNKNOWN_CA_FILE");
  g_assert_true (g_str_has_prefix (rabbit->amqps_url, "amqps://guest:guest@localhost:"));
  g_assert_true (g_file_test (rabbit->tls_ca_file, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (rabbit->tls_unknown_ca_file, G_FILE_TEST_IS_REGULAR));
}

guint
pi_test_rabbit_count_tls_connections (PiTestRabbit *rabbit)
{
  const char *argv[] = { rabbit->script, "ctl", rabbit->dir, "list_connections", "-q",
                         "--no-table-headers", "ssl", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("rabbitmqctl list_connections failed: %s%s", out, err);

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_equal (g_strstrip (lines[i]), "true"))
      n++;
  return n;
}
