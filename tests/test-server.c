/* test-server.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * pulse-events with its embedded exchange, as a client sees it: the real
 * binary on a free port, HTTP spoken over raw sockets, and the event stream
 * compared byte for byte with what docs/PROTOCOL.md says.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "pi-binding.h"

#define EXCHANGE "exchange/test/v1/things"
#define READY    "event: ready\ndata: {}\nid: -\n\n"

/* --- the server process ----------------------------------------------------- */

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *stdout_lines;
  GDataInputStream *stderr_lines;  /* with server_start_setup (..., TRUE, ...) only */
  guint16           port;
} Server;

/* A failed assertion aborts the test: the server must not outlive it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static Server *
server_startv (GSpawnChildSetupFunc  child_setup,
               gboolean              capture_log,
               const char           *first_arg,
               va_list               args)
{
  const char *binary = g_getenv ("PULSE_EVENTS");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *line = NULL;
  Server *server = g_new0 (Server, 1);
  const char *prefix = "Listening on http://127.0.0.1:";

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        (capture_log ? G_SUBPROCESS_FLAGS_STDERR_PIPE : 0));
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  server->stdout_lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  if (capture_log)
    server->stderr_lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (server->process));

  /* Port 0: the server picks one and says which on its first line. */
  line = g_data_input_stream_read_line (server->stdout_lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, prefix));
  g_assert_true (g_str_has_suffix (line, "/api/events/v1"));
  server->port = (guint16) g_ascii_strtoull (line + strlen (prefix), NULL, 10);
  g_assert_cmpuint (server->port, >, 0);

  return server;
}

static Server *
server_start (const char *first_arg,
              ...)
{
  Server *server;
  va_list args;

  va_start (args, first_arg);
  server = server_startv (die_with_parent, FALSE, first_arg, args);
  va_end (args);

  return server;
}

/* The same with its own setup of the child, and its log readable. */
static Server *
server_start_setup (GSpawnChildSetupFunc  child_setup,
                    const char           *first_arg,
                    ...)
{
  Server *server;
  va_list args;

  va_start (args, first_arg);
  server = server_startv (child_setup, TRUE, first_arg, args);
  va_end (args);

  return server;
}

/* Reads the server's log until a line containing @text; returns how many
 * lines before it contained @count_text. */
static guint
server_log_until (Server     *server,
                  const char *text,
                  const char *count_text)
{
  guint count = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (server->stderr_lines, NULL, NULL, &error);

      g_assert_no_error (error);
      if (line == NULL)
        g_error ("The server's log ended without “%s”", text);
      if (strstr (line, text) != NULL)
        return count;
      if (count_text != NULL && strstr (line, count_text) != NULL)
        count++;
    }
}

/* Waits for the server to exit, which it must do cleanly, and frees it. */
static void
server_reap (Server *server)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);

  g_object_unref (server->stdout_lines);
  g_clear_object (&server->stderr_lines);
  g_object_unref (server->process);
  g_free (server);
}

static void
server_stop (Server *server)
{
  g_subprocess_send_signal (server->process, SIGTERM);
  server_reap (server);
}

/* --- HTTP over a plain socket ----------------------------------------------- */

typedef struct
{
  GSocket *socket;
  GString *head;     /* status line and headers, "\r\n" ends included */
  GString *body;     /* bytes after the headers not consumed yet */
  gboolean eof;
} Conn;

static Conn *
conn_open (Server *server,
           int     receive_buffer)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, server->port);
  g_autoptr(GError) error = NULL;
  Conn *conn = g_new0 (Conn, 1);

  conn->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  if (receive_buffer > 0)
    {
      g_socket_set_option (conn->socket, SOL_SOCKET, SO_RCVBUF, receive_buffer, &error);
      g_assert_no_error (error);
    }
  g_socket_set_timeout (conn->socket, 10);
  g_socket_connect (conn->socket, address, NULL, &error);
  g_assert_no_error (error);

  conn->head = g_string_new (NULL);
  conn->body = g_string_new (NULL);

  return conn;
}

static void
conn_close (Conn *conn)
{
  g_socket_close (conn->socket, NULL);
  g_object_unref (conn->socket);
  g_string_free (conn->head, TRUE);
  g_string_free (conn->body, TRUE);
  g_free (conn);
}

static void
conn_send_len (Conn       *conn,
               const char *text,
               gsize       len)
{
  g_autoptr(GError) error = NULL;
  gsize sent = 0;

  while (sent < len)
    {
      gssize n = g_socket_send (conn->socket, text + sent, len - sent, NULL, &error);

      g_assert_no_error (error);
      sent += n;
    }
}

static void
conn_send (Conn       *conn,
           const char *text)
{
  conn_send_len (conn, text, strlen (text));
}

/* Reads once; FALSE at the end of the stream. */
static gboolean
conn_fill (Conn *conn)
{
  g_autoptr(GError) error = NULL;
  char buf[65536];
  gssize n;

  if (conn->eof)
    return FALSE;

  n = g_socket_receive (conn->socket, buf, sizeof buf, NULL, &error);
  g_assert_no_error (error);
  if (n == 0)
    {
      conn->eof = TRUE;
      return FALSE;
    }
  g_string_append_len (conn->body, buf, n);
  return TRUE;
}

static guint
conn_read_head (Conn *conn)
{
  const char *end;

  while (!(end = strstr (conn->body->str, "\r\n\r\n")))
    g_assert_true (conn_fill (conn));

  g_string_append_len (conn->head, conn->body->str, end + 4 - conn->body->str);
  g_string_erase (conn->body, 0, end + 4 - conn->body->str);

  g_assert_true (g_str_has_prefix (conn->head->str, "HTTP/1.1 "));
  return (guint) g_ascii_strtoull (conn->head->str + 9, NULL, 10);
}

/* The value of a response header, NULL if absent. */
static char *
conn_header (Conn       *conn,
             const char *name)
{
  g_auto(GStrv) lines = g_strsplit (conn->head->str, "\r\n", -1);

  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon != NULL && (gsize) (colon - lines[i]) == strlen (name) &&
          g_ascii_strncasecmp (lines[i], name, colon - lines[i]) == 0)
        return g_strstrip (g_strdup (colon + 1));
    }

  return NULL;
}

static void
conn_read_to_eof (Conn *conn)
{
  while (conn_fill (conn))
    ;
}

/* Takes the next @n whole events off the stream, exactly as sent. */
static char *
conn_take_events (Conn  *conn,
                  guint  n)
{
  gsize end = 0;
  guint found = 0;

  while (found < n)
    {
      const char *sep = strstr (conn->body->str + end, "\n\n");

      if (sep != NULL)
        {
          end = sep + 2 - conn->body->str;
          found++;
          continue;
        }
      if (!conn_fill (conn))
        g_error ("Stream ended after %u of %u events: “%s”", found, n, conn->body->str);
    }

  {
    char *events = g_strndup (conn->body->str, end);
    g_string_erase (conn->body, 0, end);
    return events;
  }
}

static char *
query_escape (const char *json)
{
  return g_uri_escape_string (json, NULL, FALSE);
}

static char *
bindings_json (const char *exchange,
               const char *pattern)
{
  return g_strdup_printf ("{\"bindings\":[{\"exchange\":\"%s\",\"routingKeyPattern\":\"%s\"}]}",
                          exchange, pattern);
}

static Conn *
stream_open_raw (Server     *server,
                 const char *path_and_query,
                 const char *extra_headers)
{
  Conn *conn = conn_open (server, 0);
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Accept: text/event-stream\r\n%s\r\n",
                                              path_and_query, server->port,
                                              extra_headers ? extra_headers : "");

  conn_send (conn, request);
  return conn;
}

static Conn *
stream_open (Server     *server,
             const char *bindings)
{
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);

  return stream_open_raw (server, path, NULL);
}

/* Opens a stream and checks everything up to and including `ready`. */
static Conn *
stream_open_ready (Server     *server,
                   const char *bindings)
{
  Conn *conn = stream_open (server, bindings);
  g_autofree char *ready = NULL;
  g_autofree char *type = NULL;
  g_autofree char *cache = NULL;

  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  type = conn_header (conn, "Content-Type");
  cache = conn_header (conn, "Cache-Control");
  g_assert_cmpstr (type, ==, "text/event-stream");
  g_assert_cmpstr (cache, ==, "no-cache");

  ready = conn_take_events (conn, 1);
  g_assert_cmpstr (ready, ==, READY);

  return conn;
}

/* A whole request/response with Connection: close. */
static Conn *
http_request (Server     *server,
              const char *method,
              const char *path,
              const char *headers,
              const char *body)
{
  Conn *conn = conn_open (server, 0);
  g_autoptr(GString) request = g_string_new (NULL);

  g_string_append_printf (request, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s",
                          method, path, server->port, headers ? headers : "");
  if (body != NULL)
    g_string_append_printf (request, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                            strlen (body));
  g_string_append_printf (request, "\r\n%s", body ? body : "");
  conn_send (conn, request->str);
  conn_read_head (conn);
  conn_read_to_eof (conn);

  return conn;
}

static void
publish (Server     *server,
         const char *json)
{
  Conn *conn = http_request (server, "POST", "/api/events/v1/publish", NULL, json);

  g_assert_true (g_str_has_prefix (conn->head->str, "HTTP/1.1 200 "));
  conn_close (conn);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);

  return json_node_ref (json_parser_get_root (parser));
}

static JsonObject *
ping_info (Server *server)
{
  Conn *conn = http_request (server, "GET", "/api/events/v1/ping", NULL, NULL);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  g_assert_true (g_str_has_prefix (conn->head->str, "HTTP/1.1 200 "));
  node = parse_json (conn->body->str);
  conn_close (conn);
  object = json_node_get_object (node);
  g_assert_true (json_object_get_boolean_member (object, "alive"));

  return json_object_ref (object);
}

/* Checks a 4xx/5xx answer: its status and a JSON body with a message. */
static void
assert_json_error (Conn *conn,
                   guint status)
{
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *type = conn_header (conn, "Content-Type");
  g_autofree char *origin = conn_header (conn, "Access-Control-Allow-Origin");
  g_autofree char *status_line = g_strdup_printf ("HTTP/1.1 %u ", status);

  g_assert_true (g_str_has_prefix (conn->head->str, status_line));
  g_assert_true (g_str_has_prefix (type, "application/json"));
  g_assert_cmpstr (origin, ==, "*");
  node = parse_json (conn->body->str);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "message"), !=, "");
}

/* --- tests -------------------------------------------------------------------- */

static void
test_ready_and_message (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "primary.#");
  Conn *conn = stream_open_ready (server, bindings);
  g_autofree char *events = NULL;
  g_autofree char *origin = conn_header (conn, "Access-Control-Allow-Origin");
  g_autofree char *connection = conn_header (conn, "Connection");

  g_assert_cmpstr (origin, ==, "*");
  /* A stream is the connection's one answer, as docs/PROTOCOL.md says. */
  g_assert_cmpstr (connection, ==, "close");

  /* Not bound: another exchange and a key the pattern does not match. */
  publish (server, "{\"exchange\":\"exchange/test/v1/other\",\"routingKey\":\"primary.a\",\"payload\":{}}");
  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"secondary.a\",\"payload\":{}}");
  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"primary.a.b\","
                   "\"routes\":[\"index.project.latest\",\"tc-treeherder.v2.try\"],"
                   "\"payload\":{\"a\":[1,2,{\"b\":\"c\"}],\"t\":true,\"s\":\"\\u00e9\\n\"}}");
  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"primary\",\"payload\":42}");

  events = conn_take_events (conn, 2);
  g_assert_cmpstr (events, ==,
                   "event: message\n"
                   "data: {\"payload\":{\"a\":[1,2,{\"b\":\"c\"}],\"t\":true,\"s\":\"\xc3\xa9\\n\"},"
                   "\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"primary.a.b\",\"redelivered\":false,"
                   "\"routes\":[\"index.project.latest\",\"tc-treeherder.v2.try\"]}\n"
                   "id: -\n\n"
                   "event: message\n"
                   "data: {\"payload\":42,\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"primary\","
                   "\"redelivered\":false,\"routes\":[]}\n"
                   "id: -\n\n");
  g_assert_cmpuint (conn->body->len, ==, 0);

  /* The end of every accepted stream is an `error` event. */
  server_stop (server);
  conn_read_to_eof (conn);
  g_assert_cmpstr (conn->body->str, ==, "event: error\ndata: \"The server is shutting down\"\nid: -\n\n");
  conn_close (conn);
}

static void
test_connect_without_slash (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "#");
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect?bindings=%s", escaped);
  Conn *conn = stream_open_raw (server, path, NULL);
  g_autofree char *ready = NULL;

  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  ready = conn_take_events (conn, 1);
  g_assert_cmpstr (ready, ==, READY);

  conn_close (conn);
  server_stop (server);
}

static void
test_cc_routes (void)
{
  Server *server = server_start (NULL);
  const char *bindings =
    "{\"bindings\":[{\"exchange\":\"" EXCHANGE "\",\"routingKeyPattern\":\"route.index.#\"},"
                   "{\"exchange\":\"" EXCHANGE "\",\"routingKeyPattern\":\"route.*.v2.try\"},"
                   "{\"exchange\":\"" EXCHANGE "\",\"routingKeyPattern\":\"primary.*\"}]}";
  Conn *conn = stream_open_ready (server, bindings);
  g_autofree char *events = NULL;

  /* Matches through its routes only: the key itself is not bound. */
  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"secondary.x\","
                   "\"routes\":[\"tc-treeherder.v2.try\"],\"payload\":1}");
  /* A route without the `route.` prefix in the pattern does not match. */
  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"secondary.x\","
                   "\"routes\":[\"other.index\"],\"payload\":2}");
  /* Key and two routes match three bindings: delivered once. */
  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"primary.x\","
                   "\"routes\":[\"index.a\",\"tc-treeherder.v2.try\"],\"payload\":3}");

  events = conn_take_events (conn, 2);
  g_assert_cmpstr (events, ==,
                   "event: message\ndata: {\"payload\":1,\"exchange\":\"" EXCHANGE "\","
                   "\"routingKey\":\"secondary.x\",\"redelivered\":false,\"routes\":[\"tc-treeherder.v2.try\"]}\nid: -\n\n"
                   "event: message\ndata: {\"payload\":3,\"exchange\":\"" EXCHANGE "\","
                   "\"routingKey\":\"primary.x\",\"redelivered\":false,\"routes\":[\"index.a\",\"tc-treeherder.v2.try\"]}\nid: -\n\n");

  /* Nothing else was queued behind them: a marker comes next. */
  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"primary.end\",\"payload\":4}");
  g_clear_pointer (&events, g_free);
  events = conn_take_events (conn, 1);
  g_assert_nonnull (strstr (events, "\"payload\":4,"));

  conn_close (conn);
  server_stop (server);
}

static void
test_ping (void)
{
  Server *server = server_start ("--ping-interval", "0.3", NULL);
  Conn *conn = stream_open_ready (server, "{\"bindings\":[]}");
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *event = conn_take_events (conn, 1);
      g_autoptr(GRegex) regex = g_regex_new ("^event: ping\ndata: \\{\"time\":\"([0-9T:.Z-]+)\"\\}\nid: -\n\n$", 0, 0, NULL);
      g_autoptr(GMatchInfo) match = NULL;
      g_autofree char *time = NULL;
      g_autoptr(GDateTime) parsed = NULL;
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      g_assert_true (g_regex_match (regex, event, 0, &match));
      time = g_match_info_fetch (match, 1);
      parsed = g_date_time_new_from_iso8601 (time, NULL);
      g_assert_nonnull (parsed);
      g_assert_cmpint (ABS (g_date_time_difference (now, parsed)), <, 5 * G_USEC_PER_SEC);
    }

  /* Two pings, 0.3 s apart: not a burst, and not late. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);

  conn_close (conn);
  server_stop (server);
}

static void
assert_stream_error (Server     *server,
                     const char *bindings,
                     const char *expected_text)
{
  Conn *conn = stream_open (server, bindings);
  g_autofree char *type = NULL;
  g_autoptr(GString) expected = g_string_new ("event: error\ndata: ");
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *quoted = NULL;

  /* 200 first: the bindings are judged after the headers went out. */
  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  type = conn_header (conn, "Content-Type");
  g_assert_cmpstr (type, ==, "text/event-stream");

  json_node_set_string (node, expected_text);
  quoted = json_to_string (node, FALSE);
  g_string_append_printf (expected, "%s\nid: -\n\n", quoted);

  conn_read_to_eof (conn);
  g_assert_cmpstr (conn->body->str, ==, expected->str);
  conn_close (conn);
}

static void
test_bad_bindings (void)
{
  Server *server = server_start (NULL);
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *long_exchange = g_strnfill (300, 'x');
  g_autofree char *long_bindings = bindings_json (long_exchange, "#");
  Conn *conn;

  assert_stream_error (server, "{\"bindings\":[],\"other\":1}",
                       "The json query should have only one key i.e. `bindings`.");
  assert_stream_error (server, "{\"bindings\":{\"exchange\":\"" EXCHANGE "\"}}",
                       "Bindings must be an array of {exchange, routingKeyPattern}");
  assert_stream_error (server, "{\"bindings\":[{\"exchange\":\"" EXCHANGE "\"}]}",
                       "Binding must include `exchange` and `routingKeyPattern` fields");

  /* Not JSON: the parser's own words. */
  none = pi_bindings_from_json ("{bindings: nope", &parse_error);
  g_assert_null (none);
  g_assert_error (parse_error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON);
  assert_stream_error (server, "{bindings: nope", parse_error->message);

  /* A name no broker takes: failed by the exchange, still in the stream. */
  conn = stream_open (server, long_bindings);
  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  conn_read_to_eof (conn);
  g_assert_true (g_str_has_prefix (conn->body->str, "event: error\ndata: \"PRECONDITION_FAILED - "));
  g_assert_true (g_str_has_suffix (conn->body->str, "\"\nid: -\n\n"));
  g_assert_null (strstr (conn->body->str, "event: ready"));
  conn_close (conn);

  server_stop (server);
}

static void
test_bad_requests (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "#");
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *good = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);
  g_autofree char *extra = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&other=1", escaped);
  g_autofree char *twice = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&bindings=%s", escaped, escaped);
  const char *bad_queries[] = {
    "/api/events/v1/connect/",
    "/api/events/v1/connect/?bindings=",
    "/api/events/v1/connect/?other=1",
    "/api/events/v1/connect/?bindings",
    extra,
    twice,
  };
  const char *last_event_ids[] = { "-", "42" };
  Conn *conn;

  for (guint i = 0; i < G_N_ELEMENTS (bad_queries); i++)
    {
      conn = http_request (server, "GET", bad_queries[i], NULL, NULL);
      assert_json_error (conn, 400);
      conn_close (conn);
    }

  /* EventSource's reconnection is refused. */
  for (guint i = 0; i < G_N_ELEMENTS (last_event_ids); i++)
    {
      g_autofree char *header = g_strdup_printf ("Last-Event-ID: %s\r\n", last_event_ids[i]);
      g_autofree char *origin = NULL;

      conn = http_request (server, "GET", good, header, NULL);
      g_assert_true (g_str_has_prefix (conn->head->str, "HTTP/1.1 204 "));
      origin = conn_header (conn, "Access-Control-Allow-Origin");
      g_assert_cmpstr (origin, ==, "*");
      g_assert_cmpuint (conn->body->len, ==, 0);
      conn_close (conn);
    }

  /* An empty Last-Event-ID is no reconnection. */
  conn = stream_open_raw (server, good, "Last-Event-ID: \r\n");
  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  {
    g_autofree char *ready = conn_take_events (conn, 1);
    g_assert_cmpstr (ready, ==, READY);
  }
  conn_close (conn);

  conn = http_request (server, "POST", good, NULL, "{}");
  assert_json_error (conn, 405);
  conn_close (conn);

  conn = http_request (server, "GET", "/api/events/v1/publish", NULL, NULL);
  assert_json_error (conn, 405);
  conn_close (conn);

  conn = http_request (server, "GET", "/api/events/v1/nothing-here", NULL, NULL);
  assert_json_error (conn, 404);
  conn_close (conn);

  /* Publishing checks its input. */
  conn = http_request (server, "POST", "/api/events/v1/publish", NULL, "not json");
  assert_json_error (conn, 400);
  conn_close (conn);
  /* Nested a million levels deep: refused, not a crash of the server in
   * json-glib (server_stop() checks that it exits cleanly). */
  {
    g_autofree char *deep = g_strnfill (1000000, '[');

    conn = http_request (server, "POST", "/api/events/v1/publish", NULL, deep);
    assert_json_error (conn, 400);
    conn_close (conn);
  }
  conn = http_request (server, "POST", "/api/events/v1/publish", NULL, "{\"exchange\":\"" EXCHANGE "\",\"payload\":1}");
  assert_json_error (conn, 400);
  conn_close (conn);
  conn = http_request (server, "POST", "/api/events/v1/publish", NULL,
                       "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"a\",\"routes\":[1],\"payload\":1}");
  assert_json_error (conn, 400);
  conn_close (conn);

  server_stop (server);
}

static void
test_cors (void)
{
  Server *server = server_start (NULL);
  Conn *conn;
  const char *expected[][2] = {
    { "Access-Control-Allow-Origin", "*" },
    { "Access-Control-Max-Age", "900" },
    { "Access-Control-Allow-Headers",
      "X-Requested-With, Content-Type, Authorization, Accept, Origin, Cache-Control, Last-Event-ID" },
  };

  conn = http_request (server, "OPTIONS", "/api/events/v1/connect/?bindings=x",
                       "Origin: https://tools.example\r\n"
                       "Access-Control-Request-Method: GET\r\n"
                       "Access-Control-Request-Headers: cache-control, last-event-id\r\n", NULL);
  g_assert_true (g_str_has_prefix (conn->head->str, "HTTP/1.1 204 "));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *value = conn_header (conn, expected[i][0]);
      g_assert_cmpstr (value, ==, expected[i][1]);
    }
  conn_close (conn);
  server_stop (server);

  /* A configured origin is echoed to itself and to no one else. */
  server = server_start ("--cors-origin", "https://a.example, https://b.example", NULL);
  conn = http_request (server, "GET", "/api/events/v1/ping", "Origin: https://b.example\r\n", NULL);
  {
    g_autofree char *origin = conn_header (conn, "Access-Control-Allow-Origin");
    g_autofree char *vary = conn_header (conn, "Vary");
    g_assert_cmpstr (origin, ==, "https://b.example");
    g_assert_cmpstr (vary, ==, "Origin");
  }
  conn_close (conn);
  conn = http_request (server, "GET", "/api/events/v1/ping", "Origin: https://evil.example\r\n", NULL);
  {
    g_autofree char *origin = conn_header (conn, "Access-Control-Allow-Origin");
    g_autofree char *headers = conn_header (conn, "Access-Control-Allow-Headers");
    g_assert_null (origin);
    g_assert_nonnull (strstr (headers, "Cache-Control"));
  }
  conn_close (conn);
  server_stop (server);
}

static void
wait_for_connections (Server *server,
                      gint64  connections)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) info = ping_info (server);

      if (json_object_get_int_member (info, "connections") == connections &&
          json_object_get_int_member (info, "subscriptions") == connections)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

static void
test_max_connections (void)
{
  Server *server = server_start ("--max-connections", "2", NULL);
  const char *bindings = "{\"bindings\":[]}";
  Conn *first = stream_open_ready (server, bindings);
  Conn *second = stream_open_ready (server, bindings);
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);
  Conn *third = http_request (server, "GET", path, NULL, NULL);
  Conn *fourth;

  assert_json_error (third, 503);
  {
    g_autofree char *retry = conn_header (third, "Retry-After");
    g_assert_cmpstr (retry, ==, "10");
  }
  conn_close (third);

  /* A place frees up when a client leaves. */
  conn_close (first);
  wait_for_connections (server, 1);
  fourth = stream_open_ready (server, bindings);

  conn_close (second);
  conn_close (fourth);
  server_stop (server);
}

/* Ctrl-C then a SIGTERM (or timeout(1) signalling the process group too):
 * the second signal quits at once, cleanly. The test environment makes
 * criticals fatal in the server too, so a sloppy exit shows as a crash. */
static void
test_second_signal (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "#");
  Conn *conn = stream_open_ready (server, bindings);

  g_subprocess_send_signal (server->process, SIGINT);
  g_subprocess_send_signal (server->process, SIGTERM);
  server_reap (server);

  /* The stream still got its last word. */
  conn_read_to_eof (conn);
  g_assert_cmpstr (conn->body->str, ==, "event: error\ndata: \"The server is shutting down\"\nid: -\n\n");
  conn_close (conn);
}

/* A client that only half-closes (shutdown of its writing side, as some
 * netcat variants do) is still reading: its stream must end with an error
 * event, not silently. */
static void
test_half_close (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "#");
  Conn *conn = stream_open_ready (server, bindings);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_socket_shutdown (conn->socket, FALSE, TRUE, &error));
  g_assert_no_error (error);

  conn_read_to_eof (conn);
  g_assert_cmpstr (conn->body->str, ==,
                   "event: error\ndata: \"The client closed its side of the connection\"\nid: -\n\n");
  conn_close (conn);
  wait_for_connections (server, 0);

  server_stop (server);
}

static void
test_disconnect_frees (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "#");
  Conn *conns[5];

  for (guint i = 0; i < G_N_ELEMENTS (conns); i++)
    conns[i] = stream_open_ready (server, bindings);
  wait_for_connections (server, G_N_ELEMENTS (conns));

  /* No ping and no message needed: a hang-up is noticed at once. */
  for (guint i = 0; i < G_N_ELEMENTS (conns); i++)
    conn_close (conns[i]);
  wait_for_connections (server, 0);

  server_stop (server);
}

static void
test_slow_client (void)
{
  Server *server = server_start_setup (die_with_parent, "--queue-length", "16", "--client-buffer", "65536", NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "big.#");
  g_autofree char *padding = g_strnfill (16 * 1024, 'x');
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
  const guint n_batches = 40, batch = 25;
  const guint total = n_batches * batch;
  guint64 received = 0, dropped = 0, dropped_events = 0;
  gint64 last_seq = -1;
  gboolean dropped_before_last = FALSE;
  Conn *conn;
  g_autofree char *ready = NULL;

  /* A small receive window, so that the server's queue fills quickly. */
  conn = conn_open (server, 4096);
  conn_send (conn, request);
  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  ready = conn_take_events (conn, 1);
  g_assert_cmpstr (ready, ==, READY);

  /* The client stops reading; 16 MB are published at it. */
  for (guint b = 0; b < n_batches; b++)
    {
      g_autoptr(GString) json = g_string_new ("[");

      for (guint i = 0; i < batch; i++)
        g_string_append_printf (json, "%s{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"big.%u\","
                                "\"payload\":{\"seq\":%u,\"pad\":\"%s\"}}",
                                i > 0 ? "," : "", b * batch + i, b * batch + i, padding);
      g_string_append_c (json, ']');
      publish (server, json->str);
    }

  /* Then it reads everything: each message arrives or is counted. */
  while (received + dropped < total)
    {
      g_autofree char *event = conn_take_events (conn, 1);

      if (g_str_has_prefix (event, "event: message\n"))
        {
          const char *seq = strstr (event, "{\"payload\":{\"seq\":");
          gint64 value;

          g_assert_nonnull (seq);
          value = g_ascii_strtoll (seq + strlen ("{\"payload\":{\"seq\":"), NULL, 10);
          g_assert_cmpint (value, >, last_seq);
          last_seq = value;
          received++;
        }
      else if (g_str_has_prefix (event, "event: dropped\ndata: {\"count\":"))
        {
          guint64 count = g_ascii_strtoull (event + strlen ("event: dropped\ndata: {\"count\":"), NULL, 10);

          g_assert_true (g_str_has_suffix (event, ",\"reason\":\"too-slow\"}\nid: -\n\n"));
          g_assert_cmpuint (count, >, 0);
          dropped += count;
          dropped_events++;
          dropped_before_last = TRUE;
        }
      else
        {
          g_error ("Unexpected event: %.80s", event);
        }
    }

  g_assert_cmpuint (received + dropped, ==, total);
  g_assert_cmpuint (dropped, >, 0);
  g_assert_cmpuint (received, >, 0);
  g_assert_true (dropped_before_last);
  g_test_message ("%" G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT " dropped in %"
                  G_GUINT64_FORMAT " dropped events", received, dropped, dropped_events);

  /* The queue has drained: the next message comes through. */
  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"big.end\",\"payload\":\"end\"}");
  {
    g_autofree char *event = conn_take_events (conn, 1);
    g_assert_nonnull (strstr (event, "{\"payload\":\"end\","));
  }

  /* It falls behind a second time, right after catching up. */
  received = dropped = 0;
  for (guint b = 0; b < 10; b++)
    {
      g_autoptr(GString) json = g_string_new ("[");

      for (guint i = 0; i < batch; i++)
        g_string_append_printf (json, "%s{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"big.again\","
                                "\"payload\":{\"pad\":\"%s\"}}", i > 0 ? "," : "", padding);
      g_string_append_c (json, ']');
      publish (server, json->str);
    }
  while (received + dropped < 10 * batch)
    {
      g_autofree char *event = conn_take_events (conn, 1);

      if (g_str_has_prefix (event, "event: message\n"))
        received++;
      else if (g_str_has_prefix (event, "event: dropped\ndata: {\"count\":"))
        dropped += g_ascii_strtoull (event + strlen ("event: dropped\ndata: {\"count\":"), NULL, 10);
    }
  g_assert_cmpuint (dropped, >, 0);

  conn_close (conn);

  /* The operator reads it too: one line however often the queue filled
   * in these few seconds (not one for every message that fit between two
   * that did not), naming the bound it reached (the bytes: 64 KiB). */
  g_assert_cmpuint (server_log_until (server, "Stream closed: ", "fell behind: dropping what does not fit ("),
                    ==, 1);
  server_stop (server);
}

static JsonObject *
load_queue_reference (void)
{
  const char *path = g_test_get_filename (G_TEST_DIST, "..", "reference", "taskcluster",
                                          "exchanges", "queue.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static JsonObject *
find_exchange_entry (JsonObject *reference,
                     const char *exchange)
{
  const char *prefix = json_object_get_string_member (reference, "exchangePrefix");
  JsonArray *entries = json_object_get_array_member (reference, "entries");

  if (!g_str_has_prefix (exchange, prefix))
    return NULL;
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);

      if (strcmp (json_object_get_string_member (entry, "exchange"), exchange + strlen (prefix)) == 0)
        return entry;
    }

  return NULL;
}

static gboolean
is_slugid (const char *text)
{
  static GRegex *regex;

  if (regex == NULL)
    regex = g_regex_new ("^[A-Za-f][A-Za-z0-9_-]{20}[AQgw]$",
                         0, 0, NULL);
  return g_regex_match (regex, text, 0, NULL);
}

static void
test_demo (void)
{
  Server *server = server_start ("--demo", "400", NULL);
  g_autoptr(JsonObject) reference = load_queue_reference ();
  g_autoptr(GString) bindings = g_string_new ("{\"bindings\":[");
  g_autoptr(GHashTable) exchanges_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *names[] = { "task-defined", "task-pending", "task-running", "artifact-created",
                          "task-completed", "task-failed", "task-exception" };
  gsize total_size = 0;
  guint n_messages = 150;
  Conn *conn;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_string_append_printf (bindings, "%s{\"exchange\":\"exchange/taskcluster-queue/v1/%s\",\"routingKeyPattern\":\"#\"}",
                            i > 0 ? "," : "", names[i]);
  g_string_append (bindings, "]}");
  conn = stream_open_ready (server, bindings->str);

  for (guint n = 0; n < n_messages; n++)
    {
      g_autofree char *event = conn_take_events (conn, 1);
      g_autoptr(JsonNode) node = NULL;
      g_auto(GStrv) words = NULL;
      JsonObject *message, *payload, *status, *entry;
      JsonArray *key_words, *routes;
      const char *exchange, *routing_key;
      gboolean treeherder = FALSE;

      g_assert_true (g_str_has_prefix (event, "event: message\ndata: "));
      g_assert_true (g_str_has_suffix (event, "\nid: -\n\n"));
      event[strlen (event) - strlen ("\nid: -\n\n")] = '\0';
      node = parse_json (event + strlen ("event: message\ndata: "));
      message = json_node_get_object (node);

      /* The routing key has the words the exchange reference lists. */
      exchange = json_object_get_string_member (message, "exchange");
      entry = find_exchange_entry (reference, exchange);
      g_assert_nonnull (entry);
      g_hash_table_add (exchanges_seen, g_strdup (exchange));
      routing_key = json_object_get_string_member (message, "routingKey");
      words = g_strsplit (routing_key, ".", -1);
      key_words = json_object_get_array_member (entry, "routingKey");
      g_assert_cmpuint (g_strv_length (words), ==, json_array_get_length (key_words));
      for (guint i = 0; i < json_array_get_length (key_words); i++)
        {
          JsonObject *word = json_array_get_object_element (key_words, i);
          const char *constant = json_object_get_string_member_with_default (word, "constant", NULL);

          if (constant != NULL)
            g_assert_cmpstr (words[i], ==, constant);
          if (json_object_get_boolean_member (word, "required"))
            g_assert_cmpstr (words[i], !=, "_");
          g_assert_cmpstr (words[i], !=, "");
        }
      g_assert_true (is_slugid (words[1]));
      g_assert_true (is_slugid (words[8]));
      g_assert_false (json_object_get_boolean_member (message, "redelivered"));

      /* The payload is shaped like the queue's message schemas. */
      payload = json_object_get_object_member (message, "payload");
      g_assert_cmpint (json_object_get_int_member (payload, "version"), ==, 1);
      status = json_object_get_object_member (payload, "status");
      g_assert_nonnull (status);
      g_assert_cmpstr (json_object_get_string_member (status, "taskId"), ==, words[1]);
      g_assert_cmpstr (json_object_get_string_member (status, "taskGroupId"), ==, words[8]);
      g_assert_cmpstr (json_object_get_string_member (status, "provisionerId"), ==, words[5]);
      g_assert_cmpstr (json_object_get_string_member (status, "workerType"), ==, words[6]);
      g_assert_cmpstr (json_object_get_string_member (status, "schedulerId"), ==, words[7]);
      g_assert_true (json_object_has_member (status, "runs"));
      g_assert_true (json_object_has_member (status, "deadline"));
      if (strcmp (words[2], "_") != 0)
        {
          JsonArray *runs = json_object_get_array_member (status, "runs");
          guint run_id = (guint) g_ascii_strtoull (words[2], NULL, 10);

          g_assert_cmpint (json_object_get_int_member (payload, "runId"), ==, run_id);
          g_assert_cmpuint (json_array_get_length (runs), ==, run_id + 1);
        }
      if (strcmp (words[3], "_") != 0)
        {
          g_assert_cmpstr (json_object_get_string_member (payload, "workerGroup"), ==, words[3]);
          g_assert_cmpstr (json_object_get_string_member (payload, "workerId"), ==, words[4]);
        }
      if (g_str_has_suffix (exchange, "/artifact-created"))
        g_assert_true (json_object_has_member (payload, "artifact"));

      routes = json_object_get_array_member (message, "routes");
      g_assert_cmpuint (json_array_get_length (routes), >, 0);
      for (guint i = 0; i < json_array_get_length (routes); i++)
        if (g_str_has_prefix (json_array_get_string_element (routes, i), "tc-treeherder.v2."))
          treeherder = TRUE;
      g_assert_true (treeherder);

      total_size += strlen (event);
    }

  /* A life cycle, not one kind of message; about a kilobyte each. */
  g_assert_cmpuint (g_hash_table_size (exchanges_seen), >=, 4);
  g_assert_cmpuint (total_size / n_messages, >, 600);
  g_assert_cmpuint (total_size / n_messages, <, 3000);

  conn_close (conn);
  server_stop (server);
}

/* --- limits ------------------------------------------------------------------ */

static guint
server_count_fds (Server *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", g_subprocess_get_identifier (server->process));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

/* A field of /proc/PID/status in kB, e.g. VmHWM (the peak resident size). */
static guint64
server_status_kb (Server     *server,
                  const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (server->process));
  g_autofree char *text = NULL;
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, key);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (key), NULL, 10);
}

static void
wait_for_fds (Server *server,
              guint   at_most)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (server_count_fds (server) > at_most)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The server still has %u descriptors open, %u at the start",
                 server_count_fds (server), at_most);
      g_usleep (20 * 1000);
    }
}

/* Short requests on keep-alive connections that their clients close: none
 * may leave a descriptor behind (libsoup 3.2 leaked one per connection). */
static void
test_short_requests_close (void)
{
  Server *server = server_start (NULL);
  guint before, closing = 0;

  /* One request first: whatever the server opens once (its first
   * connection's buffers, GLib's worker) is not a leak. */
  conn_close (http_request (server, "GET", "/api/events/v1/ping", NULL, NULL));
  before = server_count_fds (server);

  for (guint i = 0; i < 300; i++)
    {
      Conn *conn = conn_open (server, 0);
      g_autofree char *request = g_strdup_printf ("GET /api/events/v1/ping HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n",
                                                  server->port);
      g_autofree char *connection = NULL;
      g_autofree char *length = NULL;

      conn_send (conn, request);
      g_assert_cmpuint (conn_read_head (conn), ==, 200);
      connection = conn_header (conn, "Connection");
      if (g_strcmp0 (connection, "close") == 0)
        closing++;
      length = conn_header (conn, "Content-Length");
      while (conn->body->len < g_ascii_strtoull (length, NULL, 10))
        g_assert_true (conn_fill (conn));
      conn_close (conn);
    }

  wait_for_fds (server, before);
  g_test_message ("%u descriptors open after 300 pings, %u before", server_count_fds (server), before);
  /* And the client is told not to send another request on it. */
  g_assert_cmpuint (closing, ==, 300);

  server_stop (server);
}

static char *
big_batch (guint n,
           gsize pad_size)
{
  g_autofree char *pad = g_strnfill (pad_size, 'x');
  GString *json = g_string_new ("[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (json, "%s{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"big.%u\","
                            "\"payload\":{\"pad\":\"%s\"}}", i > 0 ? "," : "", i, pad);
  g_string_append_c (json, ']');

  return g_string_free (json, FALSE);
}

/* A batch published at once reaches a stream in one turn, and goes out in
 * as few writes as the socket allows: every event, whole and in order,
 * more than one write's worth of them (pi-server-client.c). */
static void
test_batch_in_order (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "big.#");
  g_autofree char *batch = big_batch (600, 100);
  Conn *conns[2];
  Conn *conn;

  for (guint c = 0; c < G_N_ELEMENTS (conns); c++)
    conns[c] = stream_open_ready (server, bindings);

  conn = http_request (server, "POST", "/api/events/v1/publish", NULL, batch);
  g_assert_true (g_str_has_prefix (conn->head->str, "HTTP/1.1 200 "));
  conn_close (conn);

  for (guint c = 0; c < G_N_ELEMENTS (conns); c++)
    {
      g_autofree char *events = conn_take_events (conns[c], 600);
      g_auto(GStrv) each = g_strsplit (events, "\n\n", -1);

      g_assert_cmpuint (g_strv_length (each), ==, 601);
      for (guint i = 0; i < 600; i++)
        {
          g_autofree char *key = g_strdup_printf ("\"routingKey\":\"big.%u\"", i);

          g_assert_true (g_str_has_prefix (each[i], "event: message\ndata: {\"payload\":{\"pad\":\""));
          g_assert_nonnull (strstr (each[i], key));
          g_assert_true (g_str_has_suffix (each[i], "}\nid: -"));
        }
      g_assert_cmpstr (each[600], ==, "");
      conn_close (conns[c]);
    }

  server_stop (server);
}

static const char *
json_error_message (Conn *conn)
{
  static char message[1024];
  g_autoptr(JsonNode) node = parse_json (conn->body->str);

  g_strlcpy (message, json_object_get_string_member (json_node_get_object (node), "message"), sizeof message);
  return message;
}

/* A body past --max-body is refused from its Content-Length, before it is
 * read; a message no client could take is refused instead of dropped. */
static void
test_publish_too_large (void)
{
  Server *server = server_start (NULL);
  g_autofree char *huge = big_batch (800, 16000);  /* 12.9 MB */
  g_autofree char *one = NULL;
  g_autofree char *bindings = bindings_json (EXCHANGE, "#");
  Conn *stream = stream_open_ready (server, bindings);
  g_autofree char *event = NULL;
  Conn *conn;
  guint64 peak;

  conn = http_request (server, "POST", "/api/events/v1/publish", NULL, huge);
  assert_json_error (conn, 413);
  g_assert_nonnull (strstr (json_error_message (conn), "8388608 bytes at most"));
  conn_close (conn);
  peak = server_status_kb (server, "VmHWM");
  g_test_message ("Peak RSS of the server after a %zu-byte body: %" G_GUINT64_FORMAT " kB", strlen (huge), peak);
  g_assert_cmpuint (peak, <, 40 * 1024);

  /* 5.9 MB in one message: fits in the body limit, not in a client's 4 MiB
   * buffer. Nothing is published. */
  one = big_batch (1, 5900000);
  conn = http_request (server, "POST", "/api/events/v1/publish", NULL, one);
  assert_json_error (conn, 413);
  g_assert_nonnull (strstr (json_error_message (conn), "--client-buffer"));
  conn_close (conn);

  /* 3 MB fits a client's buffer by default, and arrives whole. */
  g_clear_pointer (&one, g_free);
  one = big_batch (1, 3000000);
  publish (server, one);
  event = conn_take_events (stream, 1);
  g_assert_nonnull (strstr (event, "\"routingKey\":\"big.0\""));
  g_assert_cmpuint (strlen (event), >, 3000000);
  g_clear_pointer (&event, g_free);

  publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"after\",\"payload\":1}");
  event = conn_take_events (stream, 1);
  g_assert_nonnull (strstr (event, "\"routingKey\":\"after\""));
  conn_close (stream);
  server_stop (server);

  /* The limits follow the options. */
  server = server_start ("--max-body", "2000", "--client-buffer", "3000", NULL);
  g_clear_pointer (&one, g_free);
  one = big_batch (1, 2500);
  conn = http_request (server, "POST", "/api/events/v1/publish", NULL, one);
  assert_json_error (conn, 413);
  g_assert_nonnull (strstr (json_error_message (conn), "2000 bytes at most"));
  conn_close (conn);
  g_clear_pointer (&one, g_free);
  one = big_batch (1, 1500);
  publish (server, one);
  server_stop (server);
}

/* A client that sends its request a byte at a time (slowloris) gets a 408
 * once --request-timeout is up, and its connection is closed. */
static void
test_slow_request (void)
{
  Server *server = server_start ("--request-timeout", "0.5", NULL);
  const char *request = "GET /api/events/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;
  Conn *conn = conn_open (server, 0);
  Conn *idle;

  for (const char *p = request; *p != '\0' && !conn->eof; p++)
    {
      char byte[2] = { *p, '\0' };
      GPollFD poll_fd = { g_socket_get_fd (conn->socket), G_IO_IN, 0 };

      conn_send (conn, byte);
      /* The pace of the attack: one byte every 50 ms, or the answer. */
      if (g_poll (&poll_fd, 1, 50) > 0)
        break;
    }

  g_assert_cmpuint (conn_read_head (conn), ==, 408);
  conn_read_to_eof (conn);
  elapsed = g_get_monotonic_time () - start;
  assert_json_error (conn, 408);
  g_test_message ("A slow request was answered and closed after %.2f s", elapsed / (double) G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, >=, 400 * 1000);
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
  conn_close (conn);

  /* A connection that says nothing at all is closed the same way. */
  idle = conn_open (server, 0);
  g_assert_cmpuint (conn_read_head (idle), ==, 408);
  conn_read_to_eof (idle);
  conn_close (idle);

  server_stop (server);
}

/* --max-sockets bounds every connection, not only streams. */
static void
test_max_sockets (void)
{
  Server *server = server_start ("--max-sockets", "3", NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "#");
  Conn *stream = stream_open_ready (server, bindings);
  Conn *idle[2];
  Conn *conn;
  g_autofree char *retry = NULL;
  gint64 deadline;

  for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
    idle[i] = conn_open (server, 0);

  conn = http_request (server, "GET", "/api/events/v1/ping", NULL, NULL);
  assert_json_error (conn, 503);
  retry = conn_header (conn, "Retry-After");
  g_assert_cmpstr (retry, ==, "10");
  conn_close (conn);

  /* A client still sending when it is refused gets the 503 too, not a
   * reset: the server reads and drops what it sends meanwhile. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strnfill (1024 * 1024, ' ');

      conn = http_request (server, "POST", "/api/events/v1/publish", NULL, body);
      assert_json_error (conn, 503);
      conn_close (conn);
    }

  /* A place frees up when a client leaves. */
  conn_close (idle[0]);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  for (;;)
    {
      conn = http_request (server, "GET", "/api/events/v1/ping", NULL, NULL);
      if (g_str_has_prefix (conn->head->str, "HTTP/1.1 200 "))
        break;
      conn_close (conn);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
  conn_close (conn);

  conn_close (idle[1]);
  conn_close (stream);
  server_stop (server);
}

/* A low file limit, as a shell or a service manager may set: soft 100
 * under a hard 200. */
#define LOW_SOFT_LIMIT 100
#define LOW_HARD_LIMIT 200

static void
low_file_limit (gpointer user_data)
{
  struct rlimit limit = { LOW_SOFT_LIMIT, LOW_HARD_LIMIT };

  die_with_parent (user_data);
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    _exit (99);
}

/* The soft limit of "Max open files" in /proc/PID/limits. */
static guint64
server_file_limit (Server *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/limits", g_subprocess_get_identifier (server->process));
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "Max open files");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("Max open files"), NULL, 10);
}

/* The server raises its soft file limit to the hard one by itself, takes
 * connections up to it less its reserve, says once when it is near, and
 * refuses past it with a 503 rather than failing to accept. */
static void
test_file_limit (void)
{
  const guint limit = LOW_HARD_LIMIT - 64;  /* the reserve of pi-http-front.c */
  g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_close);
  g_autofree char *warning = g_strdup_printf ("near the limit of %u (the file limit less 64)", limit);
  struct rlimit own;
  Server *server;
  Conn *conn;
  guint warnings;

  /* The test's own connections count too, and a lower hard limit cannot
   * be raised to the one the server is given. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &own), ==, 0);
  if (own.rlim_max < LOW_HARD_LIMIT + 64)
    {
      g_test_skip ("The hard file limit is too low for this test");
      return;
    }
  if (own.rlim_cur < LOW_HARD_LIMIT + 64)
    {
      own.rlim_cur = own.rlim_max;
      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &own), ==, 0);
    }

  server = server_start_setup (low_file_limit, "--request-timeout", "60", NULL);

  g_assert_cmpuint (server_file_limit (server), ==, LOW_HARD_LIMIT);

  /* Past 90%: one warning that names the limit and how to raise it. */
  for (guint i = 0; i < limit * 9 / 10 + 1; i++)
    g_ptr_array_add (idle, conn_open (server, 0));
  warnings = server_log_until (server, warning, NULL);
  g_assert_cmpuint (warnings, ==, 0);

  /* Full: every connection taken, the next one refused in words. */
  while (idle->len < limit)
    g_ptr_array_add (idle, conn_open (server, 0));
  for (guint i = 0; i < 3; i++)
    {
      conn = http_request (server, "GET", "/api/events/v1/ping", NULL, NULL);
      assert_json_error (conn, 503);
      conn_close (conn);
    }

  /* Back under 80%, said once; the warning was not repeated meanwhile,
   * and comes again on the next rise. */
  g_ptr_array_remove_range (idle, 0, limit / 4);
  warnings = server_log_until (server, "back under 80% of the limit", warning);
  g_assert_cmpuint (warnings, ==, 0);
  while (idle->len < limit * 9 / 10 + 1)
    g_ptr_array_add (idle, conn_open (server, 0));
  server_log_until (server, warning, NULL);

  g_ptr_array_set_size (idle, 0);
  server_stop (server);
}

/* Idle streams cost the server little memory: 1,000 of them, each bound to
 * its own task group, under 16 KiB each (issue 15's bound; libsoup alone
 * kept 16 KiB per open response before the streams were taken from it). */
#define IDLE_STREAMS 1000

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

static void
test_idle_memory (void)
{
  g_autoptr(GPtrArray) streams = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_close);
  struct rlimit own;
  Server *server;
  guint64 before, after;

#ifdef SANITIZED
  g_test_skip ("AddressSanitizer's own memory per allocation is not the server's");
  return;
#endif

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &own), ==, 0);
  if (own.rlim_max < IDLE_STREAMS + 64)
    {
      g_test_skip ("The hard file limit is too low for this test");
      return;
    }
  own.rlim_cur = own.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &own), ==, 0);

  server = server_start (NULL);
  /* One stream first: what every server has once it served one. */
  {
    g_autofree char *bindings = bindings_json (EXCHANGE, "primary.*.first.#");

    g_ptr_array_add (streams, stream_open_ready (server, bindings));
  }
  before = server_status_kb (server, "VmRSS");

  for (guint i = 0; i < IDLE_STREAMS; i++)
    {
      g_autofree char *pattern = g_strdup_printf ("primary.*.group%06u.#", i);
      g_autofree char *bindings = bindings_json (EXCHANGE, pattern);

      g_ptr_array_add (streams, stream_open_ready (server, bindings));
    }
  after = server_status_kb (server, "VmRSS");

  g_test_message ("%u idle streams: %.1f KiB each", IDLE_STREAMS, (after - before) / (double) IDLE_STREAMS);
  g_assert_cmpuint (after - MIN (before, after), <, 16 * IDLE_STREAMS);

  g_ptr_array_set_size (streams, 0);
  server_stop (server);
}

/* Requests past libsoup's head limit get an answer with a reason, not a
 * reset; under it, they work. */
static void
test_long_request (void)
{
  Server *server = server_start (NULL);
  g_autoptr(GString) bindings = g_string_new ("{\"bindings\":[");
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *cookie = NULL;
  g_autofree char *cookie_value = g_strnfill (100 * 1024, 'c');
  g_autofree char *out = NULL;
  const char *argv[] = { g_getenv ("PULSE_EVENTS"), "--help", NULL };
  Conn *conn;
  guint n = 0;

  /* As many bindings as fit: they all get through. */
  for (;;)
    {
      g_autofree char *binding = g_strdup_printf ("%s{\"exchange\":\"" EXCHANGE "\",\"routingKeyPattern\":\"k%u.#\"}",
                                                  n > 0 ? "," : "", n);
      g_autoptr(GString) next = g_string_new (bindings->str);
      g_autofree char *next_escaped = NULL;

      g_string_append_printf (next, "%s]}", binding);
      next_escaped = query_escape (next->str);
      if (strlen (next_escaped) > 65536 - 200)
        break;
      g_string_append (bindings, binding);
      n++;
    }
  g_string_append (bindings, "]}");
  g_test_message ("%u bindings fit in a connect URL", n);
  g_assert_cmpuint (n, >, 400);
  conn = stream_open_ready (server, bindings->str);
  conn_close (conn);

  /* Twice as many: 414, with the limit in words. */
  g_string_truncate (bindings, bindings->len - 2);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (bindings, ",{\"exchange\":\"" EXCHANGE "\",\"routingKeyPattern\":\"m%u.#\"}", i);
  g_string_append (bindings, "]}");
  escaped = query_escape (bindings->str);
  path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);
  conn = http_request (server, "GET", path, NULL, NULL);
  assert_json_error (conn, 414);
  g_assert_nonnull (strstr (json_error_message (conn), "65536 bytes"));
  conn_close (conn);

  /* Large headers: 431. */
  cookie = g_strdup_printf ("Cookie: c=%s\r\n", cookie_value);
  conn = http_request (server, "GET", "/api/events/v1/ping", cookie, NULL);
  assert_json_error (conn, 431);
  conn_close (conn);

  server_stop (server);

  /* The limit is documented where users look. */
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, NULL, NULL));
  g_assert_nonnull (strstr (out, "65536 bytes"));
  g_assert_nonnull (strstr (out, "--request-timeout"));
  g_assert_nonnull (strstr (out, "--max-body"));
  g_assert_nonnull (strstr (out, "--max-sockets"));
}

/* Sends a request of @len bytes, NULs included, and reads the whole answer. */
static Conn *
raw_request (Server     *server,
             const char *request,
             gsize       len)
{
  Conn *conn = conn_open (server, 0);

  conn_send_len (conn, request, len);
  conn_read_head (conn);
  conn_read_to_eof (conn);

  return conn;
}

#define PUBLISH_LINE "POST /api/events/v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n"
#define RAW(text)    { text, sizeof text - 1 }

/* The front bounds a request body by the length libsoup will read: a head
 * it cannot be sure of is refused, not handed over. libsoup 3.2 drops NUL
 * bytes from a head and reads on, so a header after one counts. */
static void
test_request_framing (void)
{
  Server *server = server_start ("--request-timeout", "5", NULL);
  const struct { const char *text; gsize len; } refused[] = {
    RAW (PUBLISH_LINE "X-Note: a\0\r\nContent-Length: 100000000000\r\n\r\n"),
    RAW (PUBLISH_LINE "X-Note: a\0\r\nTransfer-Encoding: chunked\r\n\r\n"),
    RAW (PUBLISH_LINE "\0Content-Length: 100000000000\r\n\r\n"),
    RAW (PUBLISH_LINE "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}"),
    RAW (PUBLISH_LINE "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}"),
    RAW (PUBLISH_LINE "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}"),
  };
  const char *message = "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"expect\",\"payload\":1}";
  g_autofree char *head = g_strdup_printf (PUBLISH_LINE "Content-Type: application/json\r\n"
                                           "Content-Length: %zu\r\nExpect: 100-continue\r\n\r\n",
                                           strlen (message));
  GPollFD poll_fd;
  guint status;
  Conn *conn;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      conn = raw_request (server, refused[i].text, refused[i].len);
      assert_json_error (conn, 400);
      conn_close (conn);
    }

  /* As curl sends a body: the head alone, then the body once the server
   * said 100 Continue (curl waits a second for it, then sends anyway). */
  conn = conn_open (server, 0);
  conn_send (conn, head);
  poll_fd = (GPollFD) { g_socket_get_fd (conn->socket), G_IO_IN, 0 };
  g_assert_cmpint (g_poll (&poll_fd, 1, 5000), ==, 1);
  g_assert_cmpuint (conn_read_head (conn), ==, 100);
  conn_send (conn, message);
  /* libsoup may say 100 Continue again: any number may come first. */
  do
    {
      g_string_truncate (conn->head, 0);
      status = conn_read_head (conn);
    }
  while (status == 100);
  g_assert_cmpuint (status, ==, 200);
  conn_read_to_eof (conn);
  g_assert_cmpstr (conn->body->str, ==, "{\"published\":1}");
  conn_close (conn);

  server_stop (server);
}

/* Header fields as libsoup reads them: a name with a blank before its colon
 * is no field, and a line that starts with a blank continues the field
 * before it. Read otherwise, the front waited for a body libsoup does not
 * read (a 408 for a request libsoup would answer), or refused one it does. */
static void
test_header_syntax (void)
{
  Server *server = server_start ("--request-timeout", "2", NULL);
  const char *no_body[] = {
    "Content-Length : 5\r\n",
    "X-Note: a\r\n Content-Length: 5\r\n",
    "X-Note: a\r\n\tTransfer-Encoding: chunked\r\n",
  };
  const char *message = "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"folded\",\"payload\":1}";
  g_autofree char *folded = g_strdup_printf (PUBLISH_LINE "Content-Type: application/json\r\n"
                                             "Content-Length:\r\n  %zu\r\n\r\n%s",
                                             strlen (message), message);
  Conn *conn;

  for (guint i = 0; i < G_N_ELEMENTS (no_body); i++)
    {
      g_autofree char *request = g_strdup_printf ("GET /api/events/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
                                                  no_body[i]);

      g_autofree char *status_line = NULL;

      conn = raw_request (server, request, strlen (request));
      status_line = g_strndup (conn->head->str, strcspn (conn->head->str, "\r"));
      g_assert_cmpstr (status_line, ==, "HTTP/1.1 200 OK");
      conn_close (conn);
    }

  /* A folded value is the value. */
  conn = raw_request (server, folded, strlen (folded));
  g_assert_true (g_str_has_prefix (conn->head->str, "HTTP/1.1 200 "));
  g_assert_cmpstr (conn->body->str, ==, "{\"published\":1}");
  conn_close (conn);

  server_stop (server);
}

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
set_flag_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

/* pulse-events must refuse @option and @value at once: exit status 2, a
 * message naming @expected, nothing on stdout. A server that starts
 * instead fails the test rather than hanging it. */
static void
assert_usage_error (const char *option,
                    const char *value,
                    const char *expected)
{
  const char *argv[] = { g_getenv ("PULSE_EVENTS"), option, value, NULL };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gboolean timed_out = FALSE;
  guint timeout;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, &result);
  timeout = g_timeout_add_seconds (10, set_flag_cb, &timed_out);
  while (result == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    {
      g_subprocess_force_exit (process);
      g_error ("pulse-events %s %s did not exit: it took the value", option, value ? value : "");
    }
  g_source_remove (timeout);

  g_subprocess_communicate_utf8_finish (process, result, &out, &err, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 2);
  g_assert_nonnull (strstr (err, expected));
  g_assert_cmpstr (out, ==, "");
}

static void
test_usage_errors (void)
{
  const char *cases[][3] = {
    { "--ping-interval", "soon", "--ping-interval" },
    { "--listen", "nowhere", "--listen" },
    { "--listen", "127.0.0.1:99999", "port" },
    { "--queue-length", "0", "--queue-length" },
    { "--demo=-3", NULL, "--demo" },
    { "--request-timeout", "0", "--request-timeout" },
    { "--max-sockets", "-1", "--max-sockets" },
    { "--max-body", "-5", "--max-body" },
    /* Request buffers are indexed with 32 bits: past 4 GiB they wrap. */
    { "--max-body", "5000000000", "--max-body: 5000000000 is more than 1 GiB" },
    { "--max-body", "1073741825", "--max-body: 1073741825 is more than 1 GiB" },
    { "--resume-window", "-1", "--resume-window" },
    { "--resume-buffer", "-1", "--resume-buffer" },
    { "--resume-held-buffer", "-1", "--resume-held-buffer" },
    /* Below one client's queue (4 MiB by default): a stream would lose
     * what a connected client could still be sent. */
    { "--resume-buffer", "1000", "--resume-buffer: 1000 bytes is less than --client-buffer" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_usage_error (cases[i][0], cases[i][1], cases[i][2]);
}

/* --- resuming (docs/PROTOCOL.md 7) ----------------------------------------------- */

static void
wait_for_streams (Server *server,
                  gint64  streams)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JsonObject) info = ping_info (server);

      if (json_object_get_int_member (info, "connections") == streams)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

/* Opens a resumable stream (`resume=1`, or `resume=SESSION:SEQ`) and reads
 * its `ready`; returns the session it names and whether it resumed. */
static Conn *
stream_open_resume (Server      *server,
                    const char  *bindings,
                    const char  *resume,
                    char       **session,
                    gboolean    *resumed)
{
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=%s", escaped, resume);
  Conn *conn = stream_open_raw (server, path, NULL);
  g_autofree char *ready = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *data;
  const char *line;

  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  ready = conn_take_events (conn, 1);
  g_assert_true (g_str_has_prefix (ready, "event: ready\ndata: "));
  g_assert_true (g_str_has_suffix (ready, "\nid: -\n\n"));
  line = ready + strlen ("event: ready\ndata: ");
  {
    g_autofree char *json = g_strndup (line, strchr (line, '\n') - line);
    node = parse_json (json);
  }
  data = json_node_get_object (node);
  *session = g_strdup (json_object_get_string_member (data, "session"));
  *resumed = json_object_get_boolean_member (data, "resumed");
  /* 128 bits from the CSPRNG (whoever knows an id can take its stream
   * over): 32 hex digits. */
  g_assert_cmpuint (strlen (*session), ==, 32);
  g_assert_cmpuint (strspn (*session, "0123456789abcdef"), ==, 32);

  return conn;
}

static char *
numbered_message (const char *session,
                  guint       n,
                  guint64     seq)
{
  return g_strdup_printf ("event: message\n"
                          "data: {\"payload\":{\"n\":%u},\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"k.%u\","
                          "\"redelivered\":false,\"routes\":[]}\n"
                          "id: %s:%" G_GUINT64_FORMAT "\n\n", n, n, session, seq);
}

static void
publish_n (Server *server,
           guint   from,
           guint   to)
{
  g_autoptr(GString) batch = g_string_new ("[");

  for (guint n = from; n <= to; n++)
    g_string_append_printf (batch, "%s{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"k.%u\",\"payload\":{\"n\":%u}}",
                            n > from ? "," : "", n, n);
  g_string_append_c (batch, ']');
  publish (server, batch->str);
}

/* The connection goes as a dead network or a killed proxy ends it: a reset,
 * no goodbye. */
static void
conn_abort (Conn *conn)
{
  struct linger linger = { .l_onoff = 1, .l_linger = 0 };

  g_assert_cmpint (setsockopt (g_socket_get_fd (conn->socket), SOL_SOCKET, SO_LINGER, &linger, sizeof linger), ==, 0);
  conn_close (conn);
}

/* Inside the window: what was published while the client was away, and
 * what it had not received, arrive exactly once and in order, numbered on. */
static void
test_resume (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "k.*");
  g_autofree char *session = NULL, *again = NULL, *events = NULL, *resume = NULL;
  g_autoptr(GString) expected = g_string_new (NULL);
  gboolean resumed = TRUE;
  Conn *conn;

  conn = stream_open_resume (server, bindings, "1", &session, &resumed);
  g_assert_false (resumed);

  publish_n (server, 1, 3);
  events = conn_take_events (conn, 3);
  for (guint n = 1; n <= 3; n++)
    {
      g_autofree char *one = numbered_message (session, n, n);
      g_string_append (expected, one);
    }
  g_assert_cmpstr (events, ==, expected->str);

  conn_abort (conn);
  wait_for_streams (server, 0);
  {
    /* Held: no connection, but its subscription stays. */
    g_autoptr(JsonObject) info = ping_info (server);

    g_assert_cmpint (json_object_get_int_member (info, "heldStreams"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (info, "subscriptions"), ==, 1);
  }
  publish_n (server, 4, 6);

  /* Message 3 was on its way when the connection went: asked again. */
  resume = g_strdup_printf ("%s:2", session);
  conn = stream_open_resume (server, bindings, resume, &again, &resumed);
  g_assert_true (resumed);
  g_assert_cmpstr (again, ==, session);

  publish_n (server, 7, 7);
  g_clear_pointer (&events, g_free);
  events = conn_take_events (conn, 5);
  g_string_truncate (expected, 0);
  for (guint n = 3; n <= 7; n++)
    {
      g_autofree char *one = numbered_message (session, n, n);
      g_string_append (expected, one);
    }
  g_assert_cmpstr (events, ==, expected->str);
  g_assert_cmpuint (conn->body->len, ==, 0);

  /* A resumed session is resumed again, and a plain request with a
   * Last-Event-ID still gets 204, resume or not. */
  conn_abort (conn);
  wait_for_streams (server, 0);
  g_clear_pointer (&resume, g_free);
  resume = g_strdup_printf ("%s:7", session);
  {
    g_autofree char *escaped = query_escape (bindings);
    g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=%s", escaped, resume);
    Conn *refused = stream_open_raw (server, path, "Last-Event-ID: -\r\n");

    g_assert_cmpuint (conn_read_head (refused), ==, 204);
    conn_close (refused);
  }
  g_clear_pointer (&again, g_free);
  conn = stream_open_resume (server, bindings, resume, &again, &resumed);
  g_assert_true (resumed);
  publish_n (server, 8, 8);
  g_clear_pointer (&events, g_free);
  events = conn_take_events (conn, 1);
  {
    g_autofree char *one = numbered_message (session, 8, 8);
    g_assert_cmpstr (events, ==, one);
  }

  server_stop (server);
  conn_read_to_eof (conn);
  g_assert_cmpstr (conn->body->str, ==, "event: error\ndata: \"The server is shutting down\"\nid: -\n\n");
  conn_close (conn);
}

/* Outside the window: a fresh stream that says so (`resumed: false`, which
 * clients of ours show as a gap); past the window's bytes: the count of
 * what is lost, then the rest. Never silence. */
static void
test_resume_outside_window (void)
{
  Server *server = server_start ("--resume-window", "0.5", "--client-buffer", "1024", "--resume-buffer", "1024", NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "k.*");
  g_autofree char *session = NULL, *again = NULL, *events = NULL, *resume = NULL;
  gboolean resumed = TRUE;
  guint64 lost;
  Conn *conn;

  conn = stream_open_resume (server, bindings, "1", &session, &resumed);
  publish_n (server, 1, 1);
  events = conn_take_events (conn, 1);
  conn_abort (conn);
  wait_for_streams (server, 0);

  /* Twenty messages of about 130 bytes: the window keeps 1,024 bytes. */
  publish_n (server, 2, 21);
  resume = g_strdup_printf ("%s:1", session);
  conn = stream_open_resume (server, bindings, resume, &again, &resumed);
  g_assert_true (resumed);
  g_clear_pointer (&events, g_free);
  events = conn_take_events (conn, 1);
  g_assert_true (g_str_has_prefix (events, "event: dropped\ndata: {\"count\":"));
  g_assert_true (g_str_has_suffix (events, ",\"reason\":\"resume-window\"}\nid: -\n\n"));
  lost = g_ascii_strtoull (events + strlen ("event: dropped\ndata: {\"count\":"), NULL, 10);
  g_assert_cmpuint (lost, >, 0);
  g_assert_cmpuint (lost, <, 20);
  for (guint64 seq = 2 + lost; seq <= 21; seq++)
    {
      g_autofree char *one = numbered_message (session, seq, seq);
      g_clear_pointer (&events, g_free);
      events = conn_take_events (conn, 1);
      g_assert_cmpstr (events, ==, one);
    }
  conn_abort (conn);
  wait_for_streams (server, 0);

  /* Held for half a second only: then its subscription goes too. */
  g_usleep (G_USEC_PER_SEC);
  {
    g_autoptr(JsonObject) info = ping_info (server);

    g_assert_cmpint (json_object_get_int_member (info, "heldStreams"), ==, 0);
    g_assert_cmpint (json_object_get_int_member (info, "subscriptions"), ==, 0);
  }
  publish_n (server, 22, 22);
  g_clear_pointer (&resume, g_free);
  g_clear_pointer (&again, g_free);
  resume = g_strdup_printf ("%s:21", session);
  conn = stream_open_resume (server, bindings, resume, &again, &resumed);
  g_assert_false (resumed);
  g_assert_cmpstr (again, !=, session);
  publish_n (server, 23, 23);
  g_clear_pointer (&events, g_free);
  events = conn_take_events (conn, 1);
  {
    g_autofree char *one = numbered_message (again, 23, 1);
    g_assert_cmpstr (events, ==, one);
  }
  conn_close (conn);

  /* Another stream's bindings do not resume a session either. */
  {
    g_autofree char *other = bindings_json (EXCHANGE, "#");
    g_autofree char *third = NULL;
    g_autofree char *resume_again = g_strdup_printf ("%s:1", again);

    conn = stream_open_resume (server, other, resume_again, &third, &resumed);
    g_assert_false (resumed);
    g_assert_cmpstr (third, !=, again);
    conn_close (conn);
  }

  server_stop (server);
}

/* A malformed `resume` is a 400 like any other bad query; `--resume-window 0`
 * switches resuming off: the stream is a plain one, `ready` is `{}`. */
static void
test_resume_refused (void)
{
  Server *server = server_start ("--resume-window", "0", NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "#");
  g_autofree char *escaped = query_escape (bindings);
  const char *bad[] = { "", "2", "abc", "abc:", ":5", "abc:5x", "ab-c:5" };
  Conn *conn;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=%s", escaped, bad[i]);

      conn = stream_open_raw (server, path, NULL);
      g_assert_cmpuint (conn_read_head (conn), ==, 400);
      conn_read_to_eof (conn);
      assert_json_error (conn, 400);
      conn_close (conn);
    }

  {
    g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=1", escaped);
    g_autofree char *ready = NULL;

    conn = stream_open_raw (server, path, NULL);
    g_assert_cmpuint (conn_read_head (conn), ==, 200);
    ready = conn_take_events (conn, 1);
    g_assert_cmpstr (ready, ==, READY);
    publish (server, "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"a\",\"payload\":1}");
    g_clear_pointer (&ready, g_free);
    ready = conn_take_events (conn, 1);
    g_assert_true (g_str_has_suffix (ready, "\nid: -\n\n"));
    conn_close (conn);
  }

  server_stop (server);
}

/* Session ids are not guessable from others: every stream gets its own
 * 32 hex digits, with no two alike and no shared halves (two 32-bit draws
 * of one generator used to make them). */
static void
test_session_ids (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "k.*");
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) halves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *session = NULL;
      gboolean resumed = TRUE;
      Conn *conn = stream_open_resume (server, bindings, "1", &session, &resumed);

      g_assert_false (resumed);
      g_assert_false (g_hash_table_contains (seen, session));
      for (guint h = 0; h < 2; h++)
        {
          char *half = g_strndup (session + 16 * h, 16);

          g_assert_false (g_hash_table_contains (halves, half));
          g_hash_table_add (halves, half);
        }
      g_hash_table_add (seen, g_steal_pointer (&session));
      conn_close (conn);
    }

  server_stop (server);
}

static gint64
held_streams (Server *server)
{
  g_autoptr(JsonObject) info = ping_info (server);

  return json_object_get_int_member (info, "heldStreams");
}

/* What held streams keep together is bounded (--resume-held-buffer): past
 * it the oldest held stream ends, and a resume of it gets a fresh stream
 * that says so; the newer one still resumes with all it missed. */
static void
test_resume_held_budget (void)
{
  Server *server = server_start ("--resume-held-buffer", "1000", NULL);
  g_autofree char *older_bindings = bindings_json (EXCHANGE, "k.*");
  g_autofree char *newer_bindings = bindings_json (EXCHANGE, "k.#");
  g_autofree char *older = NULL, *newer = NULL, *again = NULL, *resume = NULL, *events = NULL;
  g_autoptr(GString) expected = g_string_new (NULL);
  gboolean resumed = TRUE;
  Conn *conn_older, *conn_newer;

  conn_older = stream_open_resume (server, older_bindings, "1", &older, &resumed);
  conn_newer = stream_open_resume (server, newer_bindings, "1", &newer, &resumed);
  conn_abort (conn_older);
  wait_for_streams (server, 1);

  /* Four messages of about 135 bytes each: 540 held, within 1,000. */
  publish_n (server, 1, 4);
  events = conn_take_events (conn_newer, 4);
  g_assert_cmpint (held_streams (server), ==, 1);

  /* The newer one held too: 1,080 bytes, so the older one ends. */
  conn_abort (conn_newer);
  wait_for_streams (server, 0);
  for (gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC; held_streams (server) != 1;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }

  resume = g_strdup_printf ("%s:0", newer);
  conn_newer = stream_open_resume (server, newer_bindings, resume, &again, &resumed);
  g_assert_true (resumed);
  g_assert_cmpstr (again, ==, newer);
  g_clear_pointer (&events, g_free);
  events = conn_take_events (conn_newer, 4);
  for (guint n = 1; n <= 4; n++)
    {
      g_autofree char *one = numbered_message (newer, n, n);
      g_string_append (expected, one);
    }
  g_assert_cmpstr (events, ==, expected->str);

  g_clear_pointer (&resume, g_free);
  g_clear_pointer (&again, g_free);
  resume = g_strdup_printf ("%s:0", older);
  conn_older = stream_open_resume (server, older_bindings, resume, &again, &resumed);
  g_assert_false (resumed);
  g_assert_cmpstr (again, !=, older);

  conn_close (conn_older);
  conn_close (conn_newer);
  server_stop (server);
}

/* Held streams count against --max-connections: a new stream ends the
 * oldest held one rather than being refused, a resume of a held one takes
 * no more room, and with nothing held the next stream gets 503. */
static void
test_resume_held_max_connections (void)
{
  Server *server = server_start ("--max-connections", "2", NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "k.*");
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);
  g_autofree char *first = NULL, *second = NULL, *again = NULL, *resume = NULL;
  gboolean resumed = TRUE;
  Conn *held, *plain, *other, *refused;

  held = stream_open_resume (server, bindings, "1", &first, &resumed);
  conn_abort (held);
  wait_for_streams (server, 0);
  g_assert_cmpint (held_streams (server), ==, 1);

  plain = stream_open_ready (server, bindings);
  other = stream_open_ready (server, bindings);
  g_assert_cmpint (held_streams (server), ==, 0);
  refused = http_request (server, "GET", path, NULL, NULL);
  assert_json_error (refused, 503);
  conn_close (refused);

  conn_close (other);
  wait_for_streams (server, 1);
  held = stream_open_resume (server, bindings, "1", &second, &resumed);
  conn_abort (held);
  wait_for_streams (server, 1);
  g_assert_cmpint (held_streams (server), ==, 1);
  resume = g_strdup_printf ("%s:0", second);
  held = stream_open_resume (server, bindings, resume, &again, &resumed);
  g_assert_true (resumed);
  g_assert_cmpstr (again, ==, second);

  conn_close (held);
  conn_close (plain);
  server_stop (server);
}

/* `--resume-buffer 0` keeps nothing for a resume: resuming is off, as with
 * `--resume-window 0`, and every message reaches a prompt reader (it used
 * to fall out of an empty window before the client was offered it, so the
 * stream carried only `dropped` counts). */
static void
test_resume_buffer_zero (void)
{
  Server *server = server_start ("--resume-buffer", "0", NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "k.*");
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=1", escaped);
  g_autofree char *ready = NULL, *events = NULL;
  Conn *conn;

  conn = stream_open_raw (server, path, NULL);
  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  ready = conn_take_events (conn, 1);
  g_assert_cmpstr (ready, ==, READY);
  publish_n (server, 1, 3);
  events = conn_take_events (conn, 3);
  for (guint n = 1; n <= 3; n++)
    {
      g_autofree char *one = g_strdup_printf ("event: message\n"
                                              "data: {\"payload\":{\"n\":%u},\"exchange\":\"" EXCHANGE "\","
                                              "\"routingKey\":\"k.%u\",\"redelivered\":false,\"routes\":[]}\n"
                                              "id: -\n\n", n, n);

      g_assert_nonnull (strstr (events, one));
    }
  conn_close (conn);
  server_stop (server);
}

/* A resumable stream whose reader stalls: what does not fit its queue waits
 * in the session (bounded by --resume-buffer) instead of being dropped;
 * only what falls out of that is counted, and said. */
static void
test_resume_slow_client (void)
{
  Server *server = server_start ("--queue-length", "16", "--client-buffer", "65536",
                                 "--resume-buffer", "4194304", NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "big.#");
  g_autofree char *padding = g_strnfill (16 * 1024, 'x');
  g_autofree char *escaped = query_escape (bindings);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=1", escaped);
  g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
  /* 200 messages of 16 KiB fit the 4 MiB kept; 600 more do not. */
  const guint rounds[2] = { 200, 600 };
  guint next = 0;
  guint64 numbered = 0;  /* messages of the session before this round */
  Conn *conn;
  g_autofree char *ready = NULL;
  g_autofree char *id_prefix = NULL;

  conn = conn_open (server, 4096);
  conn_send (conn, request);
  g_assert_cmpuint (conn_read_head (conn), ==, 200);
  ready = conn_take_events (conn, 1);
  g_assert_true (g_str_has_prefix (ready, "event: ready\ndata: {\"session\":"));
  id_prefix = g_strdup_printf (",\"reason\":\"too-slow\"}\nid: %.32s:",
                               ready + strlen ("event: ready\ndata: {\"session\":\""));

  for (guint r = 0; r < G_N_ELEMENTS (rounds); r++)
    {
      guint64 received = 0, dropped = 0;
      gint64 last = -1;
      guint first = next;

      for (guint b = 0; b < rounds[r] / 25; b++)
        {
          g_autoptr(GString) json = g_string_new ("[");

          for (guint i = 0; i < 25; i++, next++)
            g_string_append_printf (json, "%s{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"big.%u\","
                                    "\"payload\":{\"seq\":%u,\"pad\":\"%s\"}}",
                                    i > 0 ? "," : "", next, next, padding);
          g_string_append_c (json, ']');
          publish (server, json->str);
        }

      while (received + dropped < rounds[r])
        {
          g_autofree char *event = conn_take_events (conn, 1);

          if (g_str_has_prefix (event, "event: message\n"))
            {
              const char *seq = strstr (event, "{\"payload\":{\"seq\":");
              gint64 value = g_ascii_strtoll (seq + strlen ("{\"payload\":{\"seq\":"), NULL, 10);

              g_assert_cmpint (value, >, last);
              g_assert_cmpint (value, >=, first);
              last = value;
              received++;
            }
          else if (g_str_has_prefix (event, "event: dropped\ndata: {\"count\":"))
            {
              const char *id = strstr (event, id_prefix);

              dropped += g_ascii_strtoull (event + strlen ("event: dropped\ndata: {\"count\":"), NULL, 10);
              /* Numbered: the last message it covers, where a resume
               * would go on. */
              g_assert_nonnull (id);
              g_assert_cmpuint (g_ascii_strtoull (id + strlen (id_prefix), NULL, 10), ==,
                                numbered + received + dropped);
            }
          else
            g_error ("Unexpected event: %.80s", event);
        }

      g_assert_cmpuint (received + dropped, ==, rounds[r]);
      numbered += rounds[r];
      if (r == 0)
        g_assert_cmpuint (dropped, ==, 0);
      else
        {
          g_assert_cmpuint (dropped, >, 0);
          /* What the session kept came through: about 4 MiB of it. */
          g_assert_cmpuint (received, >=, 200);
        }
    }

  conn_close (conn);
  server_stop (server);
}

/* A resume while the server still thinks the old connection open (a dead
 * network it has not noticed): the new connection takes the stream over
 * and the old one is closed, so no message goes to both. */
static void
test_resume_takeover (void)
{
  Server *server = server_start (NULL);
  g_autofree char *bindings = bindings_json (EXCHANGE, "k.*");
  g_autofree char *session = NULL, *again = NULL, *events = NULL, *resume = NULL;
  gboolean resumed = FALSE;
  Conn *old, *conn;

  old = stream_open_resume (server, bindings, "1", &session, &resumed);
  publish_n (server, 1, 2);
  events = conn_take_events (old, 2);

  resume = g_strdup_printf ("%s:2", session);
  conn = stream_open_resume (server, bindings, resume, &again, &resumed);
  g_assert_true (resumed);
  g_assert_cmpstr (again, ==, session);

  /* The old connection ends, with nothing more on it. */
  conn_read_to_eof (old);
  g_assert_cmpstr (old->body->str, ==, "");
  conn_close (old);

  publish_n (server, 3, 3);
  g_clear_pointer (&events, g_free);
  events = conn_take_events (conn, 1);
  {
    g_autofree char *one = numbered_message (session, 3, 3);
    g_assert_cmpstr (events, ==, one);
  }
  wait_for_streams (server, 1);

  conn_close (conn);
  server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("PULSE_EVENTS") == NULL)
    {
      g_test_skip ("PULSE_EVENTS is not set");
      return g_test_run ();
    }

  g_test_add_func ("/pi/server/ready-and-message", test_ready_and_message);
  g_test_add_func ("/pi/server/connect-without-slash", test_connect_without_slash);
  g_test_add_func ("/pi/server/cc-routes", test_cc_routes);
  g_test_add_func ("/pi/server/ping", test_ping);
  g_test_add_func ("/pi/server/bad-bindings", test_bad_bindings);
  g_test_add_func ("/pi/server/bad-requests", test_bad_requests);
  g_test_add_func ("/pi/server/cors", test_cors);
  g_test_add_func ("/pi/server/half-close", test_half_close);
  g_test_add_func ("/pi/server/second-signal", test_second_signal);
  g_test_add_func ("/pi/server/max-connections", test_max_connections);
  g_test_add_func ("/pi/server/disconnect-frees", test_disconnect_frees);
  g_test_add_func ("/pi/server/slow-client", test_slow_client);
  g_test_add_func ("/pi/server/demo", test_demo);
  g_test_add_func ("/pi/server/usage-errors", test_usage_errors);
  g_test_add_func ("/pi/server/short-requests-close", test_short_requests_close);
  g_test_add_func ("/pi/server/publish-too-large", test_publish_too_large);
  g_test_add_func ("/pi/server/batch-in-order", test_batch_in_order);
  g_test_add_func ("/pi/server/slow-request", test_slow_request);
  g_test_add_func ("/pi/server/max-sockets", test_max_sockets);
  g_test_add_func ("/pi/server/file-limit", test_file_limit);
  g_test_add_func ("/pi/server/idle-memory", test_idle_memory);
  g_test_add_func ("/pi/server/long-request", test_long_request);
  g_test_add_func ("/pi/server/request-framing", test_request_framing);
  g_test_add_func ("/pi/server/header-syntax", test_header_syntax);
  g_test_add_func ("/pi/server/resume", test_resume);
  g_test_add_func ("/pi/server/resume-outside-window", test_resume_outside_window);
  g_test_add_func ("/pi/server/resume-refused", test_resume_refused);
  g_test_add_func ("/pi/server/resume-buffer-zero", test_resume_buffer_zero);
  g_test_add_func ("/pi/server/session-ids", test_session_ids);
  g_test_add_func ("/pi/server/resume-held-budget", test_resume_held_budget);
  g_test_add_func ("/pi/server/resume-held-max-connections", test_resume_held_max_connections);
  g_test_add_func ("/pi/server/resume-slow-client", test_resume_slow_client);
  g_test_add_func ("/pi/server/resume-takeover", test_resume_takeover);

  return g_test_run ();
}
