/* test-listen.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pi-capture.h"
#include "pi-fixture-server.h"

#define BIND      "--bind=exchange/taskcluster-queue/v1/task-completed=primary.#"

typedef struct
{
  int        status;
  char      *out;
  char      *err;
  GPtrArray *lines;   /* JsonNode of each stdout line */
} Run;

static void
run_free (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_ptr_array_unref (run->lines);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static const char *
pulse_listen (void)
{
  const char *path = g_getenv ("PULSE_LISTEN");

  if (path == NULL)
    g_error ("PULSE_LISTEN is not set; run through meson test");
  return path;
}

static GSubprocess *
spawn_listen (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, (char *) pulse_listen ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  return process;
}

/* Every stdout line must be one JSON object. */
static Run *
finish_run (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;
  Run *run = g_new0 (Run, 1);
  g_auto(GStrv) lines = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d\nstdout:\n%s\nstderr:\n%s", run->status, run->out, run->err);

  run->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  lines = g_strsplit (run->out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      JsonNode *node;

      if (lines[i][0] == '\0')
        {
          g_assert_null (lines[i + 1]);   /* only after the last newline */
          break;
        }
      node = json_from_string (lines[i], &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      g_ptr_array_add (run->lines, node);
    }

  g_object_unref (process);
  return run;
}

static Run *
run_listen (PiFixtureServer *server,
            const char      *first,
            ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  const char *arg;
  va_list ap;

  if (server != NULL)
    {
      g_autofree char *url = pi_fixture_server_get_url (server);

      g_ptr_array_add (args, g_strdup_printf ("--server=%s", url));
    }

  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return finish_run (spawn_listen ((const char * const *) args->pdata));
}

static JsonObject *
line (Run   *run,
      guint  i)
{
  g_assert_cmpuint (i, <, run->lines->len);
  return json_node_get_object (g_ptr_array_index (run->lines, i));
}

static char *
member_json (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  g_assert_nonnull (node);
  return json_to_string (node, FALSE);
}

static void
assert_time (JsonObject *object)
{
  const char *time = json_object_get_string_member (object, "time");
  g_autoptr(GDateTime) parsed = g_date_time_new_from_iso8601 (time, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  g_assert_nonnull (parsed);
  g_assert_true (g_str_has_suffix (time, "Z"));
  g_assert_cmpint (g_date_time_difference (now, parsed), <, 60 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (g_date_time_difference (now, parsed), >=, 0);
}

static void
assert_message_1 (JsonObject *object,
                  gint64      seq)
{
  g_autofree char *routes = member_json (object, "routes");
  g_autofree char *payload = member_json (object, "payload");

  assert_time (object);
  g_assert_cmpstr (json_object_get_string_member (object, "event"), ==, "message");
  g_assert_cmpint (json_object_get_int_member (object, "seq"), ==, seq);
  g_assert_cmpstr (json_object_get_string_member (object, "exchange"), ==,
                   "exchange/taskcluster-queue/v1/task-completed");
  g_assert_cmpstr (json_object_get_string_member (object, "routingKey"), ==,
                   "primary.fQ2.0.wg.wid.prov.wtype.sched.group._");
  g_assert_cmpstr (routes, ==, "[\"index.project.foo.latest\",\"tc-treeherder.v2.try\"]");
  g_assert_false (json_object_get_boolean_member (object, "redelivered"));
  g_assert_cmpstr (payload, ==, PAYLOAD_1);
}

static PiFixtureServer *
server_with (const char *body,
             gboolean    hold)
{
  PiFixtureServer *server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();

  pi_fixture_response_write (response, body, -1);
  if (hold)
    pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);
  return server;
}

/* --- output ---------------------------------------------------------------------- */

static void
test_messages (void)
{
  g_autoptr(PiFixtureServer) server =
    server_with (READY
                 "event: message\ndata: " MESSAGE_1 "\nid: -\n\n"
                 "event: ping\ndata: {\"time\":\"2026-11-27T10:00:00.000Z\"}\nid: -\n\n"
                 "event: message\r\ndata: " MESSAGE_2 "\r\n\r\n"
                 "event: message\ndata: [1,\ndata: \"two\"]\n\n"
                 "event: message\ndata: " MESSAGE_1 "\nid: -\n\n", TRUE);
  g_autoptr(Run) run = run_listen (server, BIND, "--count=3", NULL);
  g_autofree char *request = pi_fixture_server_dup_request (server, 0);
  g_autofree char *payload = NULL;
  JsonObject *object;

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 3);
  assert_message_1 (line (run, 0), 1);

  object = line (run, 1);
  g_assert_cmpint (json_object_get_int_member (object, "seq"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (object, "routingKey"), ==, "two");
  g_assert_true (json_object_get_boolean_member (object, "redelivered"));

  /* An old server's payload-only message (multi-line data here). */
  object = line (run, 2);
  payload = member_json (object, "payload");
  g_assert_cmpstr (payload, ==, "[1,\"two\"]");
  g_assert_true (json_object_get_null_member (object, "exchange"));
  g_assert_true (json_object_get_null_member (object, "routingKey"));

  /* Status on stderr, the bindings in the request. */
  g_assert_nonnull (strstr (run->err, "Connecting to 127.0.0.1:"));
  g_assert_nonnull (strstr (run->err, "Live"));
  g_assert_nonnull (strstr (request, "GET /api/events/v1/connect/?bindings="));
  g_assert_nonnull (strstr (request, "primary.%23"));
}

static void
test_raw (void)
{
  g_autoptr(PiFixtureServer) server =
    server_with ("event: hello\ndata: a\ndata: \"b\"\nid: 9\n\n" READY "data: x\n\n", TRUE);
  g_autofree char *base = pi_fixture_server_get_url (server);
  g_autofree char *url = NULL;
  g_autoptr(Run) run = NULL;
  g_autofree char *request = NULL;

  /* Any SSE endpoint: without --bind the URL is used as it is. */
  url = g_strdup_printf ("--server=%s/some/stream?x=1", base);
  run = run_listen (NULL, url, "--raw", "--count=3", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (line (run, 0), "event"), ==, "hello");
  g_assert_cmpstr (json_object_get_string_member (line (run, 0), "id"), ==, "9");
  g_assert_cmpstr (json_object_get_string_member (line (run, 0), "data"), ==, "a\n\"b\"");
  g_assert_cmpstr (json_object_get_string_member (line (run, 1), "event"), ==, "ready");
  g_assert_cmpstr (json_object_get_string_member (line (run, 1), "data"), ==, "{}");
  g_assert_cmpstr (json_object_get_string_member (line (run, 2), "event"), ==, "message");
  g_assert_cmpstr (json_object_get_string_member (line (run, 2), "data"), ==, "x");

  request = pi_fixture_server_dup_request (server, 0);
  g_assert_true (g_str_has_prefix (request, "GET /some/stream?x=1 "));
}

static void
test_raw_nul (void)
{
  static const char body[] = "event: hello\ndata: a\000b\xFF" "c\nid: -\n\n";
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autoptr(Run) run = NULL;

  pi_fixture_response_write (response, body, sizeof body - 1);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);
  base = pi_fixture_server_get_url (server);
  url = g_strdup_printf ("--server=%s/stream", base);

  /* U+0000 is a character like any other in an event stream: it is
   * printed escaped; only bytes that are not UTF-8 become U+FFFD. */
  run = run_listen (NULL, url, "--raw", "--count=1", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 1);
  g_assert_cmpstr (run->out, ==, "{\"event\":\"hello\",\"id\":\"-\",\"data\":\"a\\u0000b\xEF\xBF\xBD" "c\"}\n");
}

static void
test_malformed (void)
{
  g_autoptr(PiFixtureServer) server =
    server_with (READY
                 "event: message\ndata: {\"payload\": tru\n\n"
                 "event: message\ndata: {\"payload\":\"caf\xE9\",\"exchange\":\"e/x\",\"routingKey\":\"k\",\"routes\":[],\"redelivered\":false}\n\n",
                 TRUE);
  g_autoptr(Run) run = run_listen (server, BIND, "--count=2", NULL);
  JsonObject *object;

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 2);

  object = line (run, 0);
  assert_time (object);
  g_assert_cmpint (json_object_get_int_member (object, "seq"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "undecodable"), ==, "{\"payload\": tru");
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "error")), >, 5);
  g_assert_false (json_object_has_member (object, "payload"));

  /* Invalid UTF-8 never reaches stdout. */
  object = line (run, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "payload"), ==, "caf\xEF\xBF\xBD");
  g_assert_true (g_utf8_validate (run->out, -1, NULL));
}

static void
test_gap (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *first = pi_fixture_response_new_sse ();
  PiFixtureResponse *second = pi_fixture_response_new_sse ();
  g_autoptr(Run) run = NULL;
  JsonObject *object;

  pi_fixture_response_write (first, "retry: 50\n" READY "event: message\ndata: " MESSAGE_1 "\nid: 3\n\n", -1);
  pi_fixture_server_add (server, first);
  pi_fixture_response_write (second, READY "event: message\ndata: " MESSAGE_2 "\n\n", -1);
  pi_fixture_response_hold (second);
  pi_fixture_server_add (server, second);

  run = run_listen (server, BIND, "--count=2", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 3);
  assert_message_1 (line (run, 0), 1);
  object = line (run, 1);
  assert_time (object);
  g_assert_cmpstr (json_object_get_string_member (object, "event"), ==, "gap");
  g_assert_nonnull (strstr (json_object_get_string_member (object, "reason"), "messages may be missing"));
  g_assert_cmpstr (json_object_get_string_member (line (run, 2), "routingKey"), ==, "two");
  g_assert_nonnull (strstr (run->err, "closed the stream. Reconnecting in 1 s"));
}

/* A server that resumes (docs/PROTOCOL.md 7): the reconnect names the last
 * message seen, the stream goes on without a gap, and the status line says
 * nothing was lost. */
static void
test_resumed (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *first = pi_fixture_response_new_sse ();
  PiFixtureResponse *second = pi_fixture_response_new_sse ();
  g_autofree char *request_1 = NULL;
  g_autofree char *request_2 = NULL;
  g_autoptr(Run) run = NULL;

  pi_fixture_response_write (first, "event: ready\ndata: {\"session\":\"s1\",\"resumed\":false}\nid: -\n\n"
                                    "event: message\ndata: " MESSAGE_1 "\nid: s1:7\n\n", -1);
  pi_fixture_server_add (server, first);
  pi_fixture_response_write (second, "event: ready\ndata: {\"session\":\"s1\",\"resumed\":true,\"lost\":0}\nid: -\n\n"
                                     "event: message\ndata: " MESSAGE_2 "\nid: s1:8\n\n", -1);
  pi_fixture_response_hold (second);
  pi_fixture_server_add (server, second);

  run = run_listen (server, BIND, "--count=2", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 2);
  assert_message_1 (line (run, 0), 1);
  g_assert_cmpstr (json_object_get_string_member (line (run, 1), "routingKey"), ==, "two");
  g_assert_nonnull (strstr (run->err, "pulse-listen: Live: reconnected, nothing lost\n"));

  request_1 = pi_fixture_server_dup_request (server, 0);
  request_2 = pi_fixture_server_dup_request (server, 1);
  g_assert_nonnull (strstr (request_1, "&resume=1 HTTP/1.1\r\n"));
  g_assert_nonnull (strstr (request_2, "&resume=s1:7 HTTP/1.1\r\n"));
}

/* Resumed, but the server no longer kept some: their count, as a gap. */
static void
test_resumed_lost (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *first = pi_fixture_response_new_sse ();
  PiFixtureResponse *second = pi_fixture_response_new_sse ();
  g_autoptr(Run) run = NULL;
  JsonObject *object;

  pi_fixture_response_write (first, "event: ready\ndata: {\"session\":\"s1\",\"resumed\":false}\nid: -\n\n"
                                    "event: message\ndata: " MESSAGE_1 "\nid: s1:1\n\n", -1);
  pi_fixture_server_add (server, first);
  pi_fixture_response_write (second, "event: ready\ndata: {\"session\":\"s1\",\"resumed\":true,\"lost\":3}\nid: -\n\n"
                                     "event: dropped\ndata: {\"count\":3,\"reason\":\"resume-window\"}\nid: -\n\n"
                                     "event: message\ndata: " MESSAGE_2 "\nid: s1:5\n\n", -1);
  pi_fixture_response_hold (second);
  pi_fixture_server_add (server, second);

  run = run_listen (server, BIND, "--count=2", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 3);
  object = line (run, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "event"), ==, "gap");
  g_assert_cmpstr (json_object_get_string_member (object, "reason"), ==,
                   "3 messages were lost while reconnecting: the server no longer kept them");
  g_assert_null (strstr (run->err, "nothing lost"));
}

/* --- ends ---------------------------------------------------------------------------- */

static void
test_failures (void)
{
  static const struct {
    const char *body;
    guint       status;
    const char *content_type;
    const char *stderr_text;
  } cases[] = {
    { "{\"message\":\"Bad bindings\"}", 400, "application/json", "answered 400 Bad Request: Bad bindings" },
    { "oops", 500, "text/plain", "answered 500 Internal Server Error" },
    { "<html></html>", 200, "text/html", "answered with text/html, not an event stream" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
      g_autoptr(Run) run = NULL;

      pi_fixture_server_add (server,
                             pi_fixture_response_new_status (cases[i].status,
                                                             cases[i].status == 400 ? "Bad Request" :
                                                             cases[i].status == 500 ? "Internal Server Error" : "OK",
                                                             cases[i].content_type, cases[i].body));
      run = run_listen (server, BIND, NULL);
      g_assert_cmpint (run->status, ==, 1);
      g_assert_nonnull (strstr (run->err, cases[i].stderr_text));
      g_assert_cmpstr (run->out, ==, "");
    }
}

/* A 503 (pulse-events while its broker is away) passes: pulse-listen says
 * why in the server's words, waits, and goes on. */
static void
test_unavailable (void)
{
  static const char unavailable[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Retry-After: 1\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"message\":\"The server cannot reach its broker: Could not connect to the broker "
    "at 127.0.0.1:5673: Connection refused\"}";
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *refused = pi_fixture_response_new ();
  PiFixtureResponse *ok = pi_fixture_response_new_sse ();
  g_autoptr(Run) run = NULL;

  pi_fixture_response_write (refused, unavailable, -1);
  pi_fixture_server_add (server, refused);
  pi_fixture_response_write (ok, READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_hold (ok);
  pi_fixture_server_add (server, ok);

  run = run_listen (server, BIND, "--count=1", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_nonnull (strstr (run->err, "answered 503 Service Unavailable: The server cannot reach its broker: "
                                      "Could not connect to the broker at 127.0.0.1:5673: Connection refused. "
                                      "Reconnecting in "));
  g_assert_cmpuint (run->lines->len, ==, 1);
  assert_message_1 (line (run, 0), 1);
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 2);
}

static void
test_server_error (void)
{
  g_autoptr(PiFixtureServer) server =
    server_with ("event: error\ndata: \"Binding must include `exchange` and `routingKeyPattern` fields\"\nid: -\n\n",
                 TRUE);
  g_autoptr(Run) run = run_listen (server, BIND, NULL);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_nonnull (strstr (run->err, "The server reported an error: Binding must include "
                                      "`exchange` and `routingKeyPattern` fields\n"));
  g_assert_cmpuint (run->lines->len, ==, 0);
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 1);
}

static void
test_oversize (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autoptr(GString) big = g_string_new ("event: message\ndata: ");
  g_autoptr(Run) run = NULL;

  for (guint i = 0; i < 20 * 1024; i++)
    g_string_append_printf (big, "%01023u,", i);
  g_string_append (big, "\n\n");
  pi_fixture_response_write (response, READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_write (response, big->str, big->len);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  run = run_listen (server, BIND, NULL);
  g_assert_cmpint (run->status, ==, 1);
  g_assert_nonnull (strstr (run->err, "sent an event larger than 16 MB; the connection was closed"));
  g_assert_cmpuint (run->lines->len, ==, 1);
  assert_message_1 (line (run, 0), 1);
}

static void
test_not_bound (void)
{
  g_autoptr(PiFixtureServer) server = server_with ("retry: 10\n\n", FALSE);
  g_autoptr(Run) run = run_listen (server, BIND, NULL);

  g_assert_cmpint (run->status, ==, 1);
  /* A reason that is a question is followed by the next sentence alone. */
  g_assert_nonnull (strstr (run->err, "does the exchange exist? Reconnecting in 1 s"));
  g_assert_null (strstr (run->err, "?."));
  g_assert_true (g_str_has_suffix (run->err,
                                   "pulse-listen: The server closed the stream before binding; "
                                   "does the exchange exist?\n"));
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 4);
}

/* A server's error after `ready` ends as the server wrote it; the line
 * adds one full stop only where the reason did not end its sentence. */
static void
test_reconnect_sentence (void)
{
  static const char *errors[] = {
    "Shutting down for maintenance.",
    "Back soon!",
    "Is the broker there?",
    "Lost the broker: connection reset",
    "Lost the broker:",
  };
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *last = pi_fixture_response_new_sse ();
  g_autoptr(Run) run = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (errors); i++)
    {
      PiFixtureResponse *response = pi_fixture_response_new_sse ();
      g_autofree char *body = g_strdup_printf ("retry: 10\n" READY "event: error\ndata: \"%s\"\nid: -\n\n",
                                               errors[i]);

      pi_fixture_response_write (response, body, -1);
      pi_fixture_server_add (server, response);
    }
  pi_fixture_response_write (last, READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_hold (last);
  pi_fixture_server_add (server, last);

  run = run_listen (server, BIND, "--count=1", NULL);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_nonnull (strstr (run->err, "pulse-listen: Shutting down for maintenance. Reconnecting in 1 s"));
  g_assert_nonnull (strstr (run->err, "pulse-listen: Back soon! Reconnecting in 1 s"));
  g_assert_nonnull (strstr (run->err, "pulse-listen: Is the broker there? Reconnecting in 1 s"));
  g_assert_nonnull (strstr (run->err, "pulse-listen: Lost the broker: connection reset. Reconnecting in 1 s"));
  g_assert_nonnull (strstr (run->err, "pulse-listen: Lost the broker. Reconnecting in 1 s"));
  g_assert_null (strstr (run->err, ".."));
  g_assert_null (strstr (run->err, "!."));
  g_assert_null (strstr (run->err, "?."));
  g_assert_null (strstr (run->err, ":."));
}

static void
test_refused (void)
{
  g_autofree char *server = g_strdup_printf ("--server=http://127.0.0.1:%u", pi_fixture_closed_port ());
  g_autoptr(Run) run = run_listen (NULL, server, BIND, NULL);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_nonnull (strstr (run->err, "Could not connect to 127.0.0.1:"));
  g_assert_nonnull (strstr (run->err, ": connection refused\n"));
}

static void
test_stall (void)
{
  g_autoptr(PiFixtureServer) server = server_with ("retry: 30000\n" READY, TRUE);
  g_autoptr(Run) run = run_listen (server, BIND, "--ping-timeout=1", "--timeout=2", NULL);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_nonnull (strstr (run->err, "No data from 127.0.0.1:"));
  g_assert_nonnull (strstr (run->err, "for 1 second. Reconnecting in 3"));
  g_assert_cmpuint (run->lines->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (line (run, 0), "event"), ==, "gap");
}

static void
test_timeout (void)
{
  g_autoptr(PiFixtureServer) server = server_with (READY "event: message\ndata: " MESSAGE_1 "\n\n", TRUE);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(Run) run = run_listen (server, BIND, "--timeout=1", NULL);
  gint64 elapsed = g_get_monotonic_time () - start;

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpint (elapsed, >=, 900 * 1000);
  g_assert_cmpint (elapsed, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (run->lines->len, ==, 1);
  assert_message_1 (line (run, 0), 1);
  /* The client closed its connection on exit. */
  g_assert_cmpuint (pi_fixture_server_get_n_closed (server), <=, 1);
}

static void
test_sigint (void)
{
  g_autoptr(PiFixtureServer) server =
    server_with (READY "event: message\ndata: " MESSAGE_1 "\n\n" "event: message\ndata: " MESSAGE_2 "\n\n", TRUE);
  g_autofree char *base = pi_fixture_server_get_url (server);
  g_autofree char *url = g_strdup_printf ("--server=%s", base);
  const char *args[] = { url, BIND, NULL };
  GSubprocess *process = spawn_listen (args);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  g_autoptr(Run) run = NULL;

  /* Wait until it is connected and has had time to print, then Ctrl-C. */
  while (pi_fixture_server_get_n_requests (server) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_usleep (300 * 1000);
  g_subprocess_send_signal (process, SIGINT);

  run = finish_run (process);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 2);
  assert_message_1 (line (run, 0), 1);
  g_assert_cmpstr (json_object_get_string_member (line (run, 1), "routingKey"), ==, "two");
}

static void
test_closed_output (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autofree char *base = pi_fixture_server_get_url (server);
  g_autofree char *url = g_strdup_printf ("--server=%s", base);
  const char *args[] = { url, BIND, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;

  pi_fixture_response_write (response, READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  for (guint i = 0; i < 50; i++)
    {
      pi_fixture_response_sleep (response, 100);
      pi_fixture_response_write (response, "event: message\ndata: " MESSAGE_2 "\n\n", -1);
    }
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  /* `pulse-listen … | head -1`: the reader goes away; a clean exit. */
  process = g_subprocess_newv ((const char * const[]) { pulse_listen (), args[0], args[1], NULL },
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  first = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, "{\"time\":"));
  g_input_stream_close (g_subprocess_get_stdout_pipe (process), NULL, NULL);
  g_clear_object (&out);

  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

static void
test_share_link (void)
{
  g_autoptr(PiFixtureServer) server = server_with (READY "event: message\ndata: " MESSAGE_1 "\n\n", TRUE);
  g_autoptr(Run) run =
    run_listen (server, "--count=1",
                "https://tools.taskcluster.net/pulse-inspector?bindings%5B0%5D%5Bexchange%5D="
                "exchange%2Ftaskcluster-queue%2Fv1%2Ftask-failed&bindings%5B0%5D%5BroutingKeyPattern%5D=route.%23",
                NULL);
  g_autofree char *request = pi_fixture_server_dup_request (server, 0);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 1);
  g_assert_nonnull (strstr (request, "task-failed"));
  g_assert_nonnull (strstr (request, "route.%23"));
}

static void
test_usage (void)
{
  static const struct { const char *args[4]; const char *text; } cases[] = {
    { { BIND, NULL }, "--server" },
    { { "--server=http://127.0.0.1:1", NULL }, "--bind" },
    { { "--server=http://127.0.0.1:1", "--bind==primary.#", NULL }, "Bad --bind" },
    { { "--server=ftp://example.com", BIND, NULL }, "https://" },
    { { "--server=http://127.0.0.1:1", BIND, "--count=-3", NULL }, "--count" },
    { { "--server=http://127.0.0.1:1", BIND, "--frobnicate", NULL }, "frobnicate" },
    { { "--server=http://127.0.0.1:1", "--raw", "--output=/tmp/x", NULL }, "--raw" },
    { { "--server=http://127.0.0.1:1", "not a link", NULL }, "share link" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Run) run = finish_run (spawn_listen (cases[i].args));

      g_assert_cmpint (run->status, ==, 2);
      g_assert_true (g_str_has_prefix (run->err, "pulse-listen: "));
      g_assert_nonnull (strstr (run->err, cases[i].text));
      g_assert_cmpstr (run->out, ==, "");
    }
}

static void
test_help (void)
{
  const char *args[] = { "--help", NULL };
  g_autoptr(GError) error = NULL;
  GSubprocess *process = spawn_listen (args);
  g_autofree char *out = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_nonnull (strstr (out, "--bind"));
  g_assert_nonnull (strstr (out, "Examples:"));
  g_assert_nonnull (strstr (out, "pulse-listen --server https://tc.example.com"));
  g_object_unref (process);
}

/* --- captures -------------------------------------------------------------------------- */

static void
test_output (void)
{
  g_autoptr(PiFixtureServer) server =
    server_with (READY "event: message\ndata: " MESSAGE_1 "\n\n"
                 "event: message\ndata: {\"payload\": tru\n\n"
                 "event: message\ndata: " MESSAGE_2 "\n\n", TRUE);
  g_autofree char *dir = g_dir_make_tmp ("pulse-listen-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "capture.jsonl", NULL);
  g_autofree char *output = g_strdup_printf ("--output=%s", path);
  g_autoptr(Run) run = run_listen (server, BIND, "--count=3", output, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(PiCaptureInfo) info = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *warning = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *bindings;
  PiMessage *message;

  g_assert_cmpint (run->status, ==, 0);
  /* stdout stays JSON Lines. */
  g_assert_cmpuint (run->lines->len, ==, 3);

  messages = pi_capture_load (file, &info, &warning, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (warning);
  g_assert_cmpuint (messages->len, ==, 3);

  g_assert_true (g_str_has_prefix (pi_capture_info_get_server_url (info), "http://127.0.0.1:"));
  bindings = pi_capture_info_get_bindings (info);
  g_assert_cmpuint (bindings->len, ==, 1);

  message = g_ptr_array_index (messages, 0);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "primary.fQ2.0.wg.wid.prov.wtype.sched.group._");
  g_assert_cmpuint (pi_message_get_sequence (message), ==, 1);
  message = g_ptr_array_index (messages, 1);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_UNDECODABLE);
  message = g_ptr_array_index (messages, 2);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "exchange/x/v1/two");

  g_unlink (path);
  g_rmdir (dir);
}

/* --- end to end ------------------------------------------------------------------------- */

static void
test_end_to_end (void)
{
  const char *events = g_getenv ("PULSE_EVENTS");
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) server_out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listening = NULL;
  g_autofree char *base = NULL;
  g_autofree char *server_arg = NULL;
  const char *args[5];
  GSubprocess *listener;
  g_autoptr(Run) run = NULL;
  gint64 deadline;
  JsonObject *object;
  g_autofree char *payload = NULL;
  g_autofree char *routes = NULL;

  if (events == NULL || !g_file_test (events, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("pulse-events is not built");
      return;
    }

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                             events, "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);
  server_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));

  /* "Listening on http://ADDR:PORT/api/events/v1" */
  while ((listening = g_data_input_stream_read_line_utf8 (server_out, NULL, NULL, &error)) != NULL)
    {
      const char *url = strstr (listening, "http://");

      if (g_str_has_prefix (listening, "Listening on ") && url != NULL)
        {
          base = g_strdup (url);
          break;
        }
      g_clear_pointer (&listening, g_free);
    }
  g_assert_no_error (error);
  if (base == NULL)
    {
      g_subprocess_force_exit (server);
      g_test_skip ("pulse-events did not say where it listens");
      return;
    }

  server_arg = g_strdup_printf ("--server=%s", base);
  args[0] = server_arg;
  args[1] = "--bind=exchange/pulse-listen-test/v1/x=primary.#";
  args[2] = "--count=2";
  args[3] = "--timeout=20";
  args[4] = NULL;
  listener = spawn_listen (args);

  /* Publish until the listener has bound (the server only delivers after `ready`). */
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  {
    g_autoptr(GSocketClient) client = g_socket_client_new ();
    g_autofree char *publish = g_strconcat (base, "/publish", NULL);
    g_autoptr(GUri) uri = g_uri_parse (publish, G_URI_FLAGS_NONE, NULL);
    guint sent = 0;

    while (g_get_monotonic_time () < deadline && g_subprocess_get_identifier (listener) != NULL)
      {
        g_autoptr(GSocketConnection) connection = NULL;
        g_autofree char *body = NULL;
        g_autofree char *request = NULL;
        char reply[512] = "";

        body = g_strdup_printf ("{\"exchange\":\"exchange/pulse-listen-test/v1/x\",\"routingKey\":\"primary.k%u\","
                                "\"routes\":[\"index.a.b\"],\"payload\":{\"n\":%u,\"s\":\"é\"}}", sent, sent);
        request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                                   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                                   g_uri_get_path (uri), g_uri_get_host (uri), g_uri_get_port (uri),
                                   strlen (body), body);
        connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri),
                                                      NULL, &error);
        g_assert_no_error (error);
        g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                   request, strlen (request), NULL, NULL, &error);
        g_assert_no_error (error);
        g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                 reply, sizeof reply - 1, NULL, NULL, NULL);
        g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 2"));
        sent++;
        g_usleep (100 * 1000);
      }
  }

  run = finish_run (listener);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (run->lines->len, ==, 2);
  object = line (run, 0);
  assert_time (object);
  g_assert_cmpstr (json_object_get_string_member (object, "event"), ==, "message");
  g_assert_cmpint (json_object_get_int_member (object, "seq"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "exchange"), ==, "exchange/pulse-listen-test/v1/x");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "routingKey"), "primary.k"));
  routes = member_json (object, "routes");
  g_assert_cmpstr (routes, ==, "[\"index.a.b\"]");
  payload = member_json (object, "payload");
  g_assert_true (g_str_has_suffix (payload, ",\"s\":\"é\"}"));
  g_assert_nonnull (strstr (run->err, "Live"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/listen/messages", test_messages);
  g_test_add_func ("/pi/listen/raw", test_raw);
  g_test_add_func ("/pi/listen/raw-nul", test_raw_nul);
  g_test_add_func ("/pi/listen/malformed", test_malformed);
  g_test_add_func ("/pi/listen/gap", test_gap);
  g_test_add_func ("/pi/listen/resumed", test_resumed);
  g_test_add_func ("/pi/listen/resumed-lost", test_resumed_lost);
  g_test_add_func ("/pi/listen/failures", test_failures);
  g_test_add_func ("/pi/listen/unavailable", test_unavailable);
  g_test_add_func ("/pi/listen/server-error", test_server_error);
  g_test_add_func ("/pi/listen/oversize", test_oversize);
  g_test_add_func ("/pi/listen/not-bound", test_not_bound);
  g_test_add_func ("/pi/listen/reconnect-sentence", test_reconnect_sentence);
  g_test_add_func ("/pi/listen/refused", test_refused);
  g_test_add_func ("/pi/listen/stall", test_stall);
  g_test_add_func ("/pi/listen/timeout", test_timeout);
  g_test_add_func ("/pi/listen/sigint", test_sigint);
  g_test_add_func ("/pi/listen/closed-output", test_closed_output);
  g_test_add_func ("/pi/listen/share-link", test_share_link);
  g_test_add_func ("/pi/listen/usage", test_usage);
  g_test_add_func ("/pi/listen/help", test_help);
  g_test_add_func ("/pi/listen/output", test_output);
  g_test_add_func ("/pi/listen/end-to-end", test_end_to_end);

  return g_test_run ();
}
