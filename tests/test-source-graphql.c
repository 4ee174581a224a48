/* test-source-graphql.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PiSource against tests/graphql-server: Taskcluster's PulseMessages
 * subscription served by the npm packages the web-server uses.
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pi-binding.h"
#include "pi-source.h"

#define EX_A "exchange/taskcluster-queue/v1/task-completed"
#define EX_B "exchange/taskcluster-queue/v1/task-failed"
#define EX_BAD "exchange/does-not-exist/v1/nothing"

typedef struct
{
  GSubprocess *proc;
  guint16      port;
  char        *url;
} Server;

typedef struct
{
  PiSource  *source;
  GPtrArray *messages;
  GPtrArray *binding_errors;   /* "exchange: text" */
} Watch;

#define WAIT_UNTIL(cond, seconds) G_STMT_START {                                    \
    gint64 _deadline = g_get_monotonic_time () + (gint64) (seconds) * G_USEC_PER_SEC; \
    while (!(cond))                                                                  \
      {                                                                              \
        if (g_get_monotonic_time () > _deadline)                                     \
          g_error ("Timed out waiting for: %s", #cond);                              \
        g_main_context_iteration (NULL, FALSE);                                      \
        g_usleep (1000);                                                             \
      }                                                                              \
  } G_STMT_END

static gboolean
have_server (void)
{
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *modules = g_build_filename (g_getenv ("PI_SOURCE_ROOT"), "tests",
                                               "graphql-server", "node_modules",
                                               "subscriptions-transport-ws", NULL);

  if (node == NULL)
    {
      g_test_skip ("node is not installed: the GraphQL test server needs Node.js");
      return FALSE;
    }
  if (!g_file_test (modules, G_FILE_TEST_IS_DIR))
    g_error ("tests/graphql-server has no node_modules: run `npm ci` there "
             "(build-aux/run-tests does)");
  return TRUE;
}

static Server *
server_start (const char *first_arg,
              ...)
{
  Server *server = g_new0 (Server, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *script = g_build_filename (g_getenv ("PI_SOURCE_ROOT"), "tests",
                                              "graphql-server", "server.js", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  va_list args;

  g_ptr_array_add (argv, (char *) "node");
  g_ptr_array_add (argv, script);
  g_ptr_array_add (argv, (char *) "--watch-stdin");
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  server->proc = g_subprocess_newv ((const char * const *) argv->pdata,
                                    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                    &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->proc));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "port "));
  server->port = (guint16) g_ascii_strtoull (line + 5, NULL, 10);
  server->url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  return server;
}

static void
server_stop (Server *server)
{
  g_subprocess_force_exit (server->proc);
  g_subprocess_wait (server->proc, NULL, NULL);
  g_object_unref (server->proc);
  g_free (server->url);
  g_free (server);
}

/* POSTs (or GETs, when @body is NULL) to the control API; returns the answer. */
static JsonNode *
control (Server     *server,
         const char *path,
         const char *body)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("%s/control/%s", server->url, path);
  g_autoptr(SoupMessage) msg = soup_message_new (body ? "POST" : "GET", url);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (body)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  return json_from_string (g_bytes_get_data (reply, NULL), &error);
}

static gint64
state_int (Server     *server,
           const char *member)
{
  g_autoptr(JsonNode) node = control (server, "state", NULL);

  return json_object_get_int_member (json_node_get_object (node), member);
}

static gint64
publish (Server     *server,
         const char *exchange,
         const char *routing_key,
         const char *payload)
{
  g_autofree char *body = g_strdup_printf ("{\"exchange\":\"%s\",\"routingKey\":\"%s\","
                                           "\"payload\":%s,\"cc\":[\"route.index.x\"],"
                                           "\"redelivered\":true}",
                                           exchange, routing_key, payload);
  g_autoptr(JsonNode) node = control (server, "publish", body);

  return json_object_get_int_member (json_node_get_object (node), "delivered");
}

static gpointer
copy_object (gconstpointer src,
             gpointer      data)
{
  return g_object_ref ((gpointer) src);
}

static void
on_messages (PiSource  *source,
             GPtrArray *batch,
             Watch     *watch)
{
  g_ptr_array_extend (watch->messages, batch, copy_object, NULL);
}

static void
on_binding_error (PiSource   *source,
                  PiBinding  *binding,
                  const char *text,
                  Watch      *watch)
{
  if (binding != NULL)
    g_ptr_array_add (watch->binding_errors,
                     g_strdup_printf ("%s: %s", pi_binding_get_exchange (binding), text));
}

static Watch *
watch_new (Server     *server,
           const char *first_exchange,
           ...)
{
  Watch *watch = g_new0 (Watch, 1);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, first_exchange);
  for (const char *ex = first_exchange; ex != NULL; ex = va_arg (args, const char *))
    g_ptr_array_add (bindings, pi_binding_new (ex, "#"));
  va_end (args);

  watch->source = pi_source_new ();
  watch->messages = g_ptr_array_new_with_free_func (g_object_unref);
  watch->binding_errors = g_ptr_array_new_with_free_func (g_free);
  pi_source_set_server_url (watch->source, server->url);
  pi_source_set_bindings (watch->source, bindings);
  g_signal_connect (watch->source, "messages", G_CALLBACK (on_messages), watch);
  g_signal_connect (watch->source, "binding-error", G_CALLBACK (on_binding_error), watch);
  g_assert_true (pi_source_connect (watch->source, &error));
  g_assert_no_error (error);
  return watch;
}

static void
watch_free (Watch *watch)
{
  pi_source_disconnect (watch->source);
  g_signal_handlers_disconnect_by_data (watch->source, watch);
  g_object_unref (watch->source);
  g_ptr_array_unref (watch->messages);
  g_ptr_array_unref (watch->binding_errors);
  g_free (watch);
}

static PiMessage *
message_at (Watch *watch,
            guint  i)
{
  g_assert_cmpuint (i, <, watch->messages->len);
  return g_ptr_array_index (watch->messages, i);
}

/* Live means subscribed on the server: @n subscriptions exist there. */
static void
wait_live (Watch  *watch,
           Server *server,
           gint64  n)
{
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_LIVE, 20);
  WAIT_UNTIL (state_int (server, "subscriptions") >= n, 10);
}

static void
test_ack_data (void)
{
  Server *server;
  Watch *watch;
  PiMessage *message;
  const char * const *routes;

  if (!have_server ())
    return;
  server = server_start (NULL);
  watch = watch_new (server, EX_A, NULL);
  wait_live (watch, server, 1);
  g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "GraphQL");
  /* It tried the plain protocol first, was refused (404), fell back. */
  {
    g_autoptr(JsonNode) state = control (server, "state", NULL);
    JsonArray *refused = json_object_get_array_member (json_node_get_object (state), "refusedUpgrades");

    g_assert_cmpuint (json_array_get_length (refused), >=, 1);
    g_assert_cmpstr (json_array_get_string_element (refused, 0), ==, "/subscription/raw");
  }
  g_assert_cmpint (state_int (server, "acks"), ==, 1);

  g_assert_cmpint (publish (server, EX_A, "primary.abc.0", "{\"status\":{\"taskId\":\"abc\"}}"), ==, 1);
  WAIT_UNTIL (watch->messages->len >= 1, 10);
  message = message_at (watch, 0);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, EX_A);
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "primary.abc.0");
  g_assert_true (pi_message_get_redelivered (message));
  routes = pi_message_get_routes (message);
  g_assert_nonnull (routes);
  g_assert_nonnull (routes[0]);
  g_assert_nonnull (strstr (routes[0], "index.x"));
  g_assert_nonnull (strstr (pi_message_get_raw (message), "\"taskId\""));

  watch_free (watch);
  server_stop (server);
}

static void
test_scope_refusal (void)
{
  Server *server;
  Watch *watch;

  if (!have_server ())
    return;
  server = server_start ("--refuse-scopes", NULL);
  watch = watch_new (server, EX_A, NULL);
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 20);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->source), "web:read-pulse"));
  /* Never retried: after a while, still one connection. */
  for (gint64 until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC; g_get_monotonic_time () < until;)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpint (state_int (server, "connectionsTotal"), ==, 1);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_FAILED);

  watch_free (watch);
  server_stop (server);
}

static void
test_binding_error (void)
{
  Server *server;
  Watch *watch;

  if (!have_server ())
    return;
  server = server_start ("--error-exchange", EX_BAD, NULL);
  watch = watch_new (server, EX_A, EX_BAD, NULL);
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_LIVE, 20);
  WAIT_UNTIL (watch->binding_errors->len >= 1, 10);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (watch->binding_errors, 0), EX_BAD ": "));
  g_assert_nonnull (strstr (g_ptr_array_index (watch->binding_errors, 0), "Error binding queue"));
  /* The other binding keeps streaming. */
  WAIT_UNTIL (state_int (server, "subscriptions") >= 1, 10);
  g_assert_cmpint (publish (server, EX_A, "primary.abc.0", "{}"), ==, 1);
  WAIT_UNTIL (watch->messages->len >= 1, 10);
  g_assert_cmpstr (pi_message_get_exchange (message_at (watch, 0)), ==, EX_A);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
  /* Told once: no second error for it. */
  g_assert_cmpuint (watch->binding_errors->len, ==, 1);

  watch_free (watch);
  server_stop (server);
}

static void
test_close_reconnect_gap (void)
{
  Server *server;
  Watch *watch;
  g_autoptr(JsonNode) closed = NULL;
  gboolean gap = FALSE;

  if (!have_server ())
    return;
  server = server_start (NULL);
  watch = watch_new (server, EX_A, NULL);
  wait_live (watch, server, 1);
  g_assert_cmpint (publish (server, EX_A, "one", "{}"), ==, 1);
  WAIT_UNTIL (watch->messages->len >= 1, 10);
  closed = control (server, "close", "{\"code\":4408}");
  /* Reconnects (with backoff) and subscribes again. */
  WAIT_UNTIL (state_int (server, "acks") >= 2 && state_int (server, "subscriptions") >= 1, 30);
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_LIVE, 10);
  g_assert_cmpint (publish (server, EX_A, "two", "{}"), ==, 1);
  WAIT_UNTIL (watch->messages->len >= 3, 10);
  for (guint i = 1; i + 1 < watch->messages->len; i++)
    gap |= pi_message_get_kind (message_at (watch, i)) == PI_MESSAGE_KIND_GAP;
  g_assert_true (gap);
  g_assert_cmpstr (pi_message_get_routing_key (g_ptr_array_index (watch->messages,
                                                                  watch->messages->len - 1)), ==, "two");

  watch_free (watch);
  server_stop (server);
}

static void
on_communicated (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_never_ack (void)
{
  Server *server;
  Watch *watch;

  if (!have_server ())
    return;
  /* The client's wait for connection_ack, shortened for the test. */
  g_setenv ("PI_SOURCE_WS_ACK_TIMEOUT_SECONDS", "2", TRUE);
  server = server_start ("--never-ack", NULL);
  watch = watch_new (server, EX_A, NULL);
  WAIT_UNTIL (state_int (server, "inits") >= 1, 20);
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_RECONNECTING ||
              pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 20);
  g_assert_nonnull (pi_source_get_error_message (watch->source));
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->source),
                            "did not acknowledge the connection within 2 seconds"));

  watch_free (watch);
  server_stop (server);
  g_unsetenv ("PI_SOURCE_WS_ACK_TIMEOUT_SECONDS");
}

/* The server ends one subscription (`complete` with no error before it):
 * that binding says so, in words naming it; the other keeps streaming. */
static void
test_complete (void)
{
  Server *server;
  Watch *watch;
  g_autoptr(JsonNode) completed = NULL;
  g_autofree char *body = g_strdup_printf ("{\"exchange\":\"%s\"}", EX_B);
  GPtrArray *bindings;
  const char *text;

  if (!have_server ())
    return;
  server = server_start (NULL);
  watch = watch_new (server, EX_A, EX_B, NULL);
  wait_live (watch, server, 2);
  completed = control (server, "complete", body);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (completed), "completed"), ==, 1);

  WAIT_UNTIL (watch->binding_errors->len >= 1, 10);
  g_assert_cmpuint (watch->binding_errors->len, ==, 1);
  text = g_ptr_array_index (watch->binding_errors, 0);
  g_test_message ("%s", text);
  g_assert_true (g_str_has_prefix (text, EX_B ": "));
  g_assert_nonnull (strstr (text, "ended the subscription to " EX_B " with the pattern #"));
  g_assert_nonnull (strstr (text, "no more of its messages will arrive"));
  bindings = pi_source_get_bindings (watch->source);
  g_assert_null (pi_source_get_binding_error (watch->source, g_ptr_array_index (bindings, 0)));
  g_assert_nonnull (strstr (pi_source_get_binding_error (watch->source, g_ptr_array_index (bindings, 1)),
                            "ended the subscription"));

  /* The other binding keeps streaming; the connection stays up. */
  g_assert_cmpint (publish (server, EX_A, "primary.after", "{}"), ==, 1);
  g_assert_cmpint (publish (server, EX_B, "primary.lost", "{}"), ==, 0);
  WAIT_UNTIL (watch->messages->len >= 1, 10);
  g_assert_cmpstr (pi_message_get_routing_key (message_at (watch, 0)), ==, "primary.after");
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
  g_assert_cmpint (state_int (server, "connectionsTotal"), ==, 1);

  watch_free (watch);
  server_stop (server);
}

static void
test_listen_root_url (void)
{
  Server *server;
  const char *listen = g_getenv ("PULSE_LISTEN");
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *root = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GBytes) stdout_bytes = NULL;
  g_autoptr(GBytes) stderr_bytes = NULL;
  GAsyncResult *result = NULL;

  if (listen == NULL)
    {
      g_test_skip ("pulse-listen is not built (-Dlisten=disabled)");
      return;
    }
  if (!have_server ())
    return;
  server = server_start (NULL);
  root = g_strdup_printf ("--root-url=%s", server->url);
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           listen, root, "--bind=" EX_A "=#", "--count=1", "--timeout=30", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_async (proc, NULL, NULL, on_communicated, &result);
  WAIT_UNTIL (state_int (server, "subscriptions") >= 1, 20);
  g_assert_cmpint (publish (server, EX_A, "primary.listen.0", "{\"from\":\"graphql\"}"), ==, 1);
  WAIT_UNTIL (result != NULL, 20);
  g_subprocess_communicate_finish (proc, result, &stdout_bytes, &stderr_bytes, &error);
  g_assert_no_error (error);
  g_object_unref (result);
  out = g_strndup (g_bytes_get_data (stdout_bytes, NULL), g_bytes_get_size (stdout_bytes));
  err = g_strndup (g_bytes_get_data (stderr_bytes, NULL), g_bytes_get_size (stderr_bytes));
  if (!g_subprocess_get_if_exited (proc) || g_subprocess_get_exit_status (proc) != 0)
    g_error ("pulse-listen failed: %s", err);
  g_assert_nonnull (strstr (out, "primary.listen.0"));
  g_assert_nonnull (strstr (out, "graphql"));

  server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/source-graphql/ack-data", test_ack_data);
  g_test_add_func ("/source-graphql/scope-refusal", test_scope_refusal);
  g_test_add_func ("/source-graphql/binding-error", test_binding_error);
  g_test_add_func ("/source-graphql/close-reconnect-gap", test_close_reconnect_gap);
  g_test_add_func ("/source-graphql/never-ack", test_never_ack);
  g_test_add_func ("/source-graphql/complete", test_complete);
  g_test_add_func ("/source-graphql/listen-root-url", test_listen_root_url);

  return g_test_run ();
}
