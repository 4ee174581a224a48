/* test-protocol-memory.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Which protocol worked at a root URL is remembered across runs: two runs
 * of the real pulse-listen, each with XDG_STATE_HOME in a directory of the
 * test's, against a real libsoup server that counts the paths it was asked
 * for. What a user notices: the second run does not wait for a 404 first.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "pi-source-memory.h"
#include "pi-ws-test-server.h"

#define EXCHANGE   "exchange/test/v1/thing"
#define N_MESSAGES 3
#define TIMEOUT_S  30
#define TOKEN      "s3cr3t-access-token"

typedef struct
{
  char *state_home;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->state_home = g_dir_make_tmp ("pi-protocol-memory-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  remove_tree (fixture->state_home);
  g_free (fixture->state_home);
}

static char *
memory_file (Fixture *fixture)
{
  return g_build_filename (fixture->state_home, "pulse-inspector", "protocols.ini", NULL);
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  GError   *error;
} Run;

static void
communicate_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &run->error);
  run->done = TRUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* pulse-listen at @url, with @state_home as its state directory, until
 * it has printed @n_messages messages. */
static GSubprocess *
listen_spawn (const char *state_home,
              const char *url,
              guint       n_messages,
              Run        *run)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *count = g_strdup_printf ("%u", n_messages);
  GSubprocess *process;

  g_assert_nonnull (g_getenv ("PULSE_LISTEN"));
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state_home, TRUE);
  /* Credentials go to the server, never into the memory. */
  g_subprocess_launcher_setenv (launcher, "TASKCLUSTER_CLIENT_ID", "test/client", TRUE);
  g_subprocess_launcher_setenv (launcher, "TASKCLUSTER_ACCESS_TOKEN", TOKEN, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "TASKCLUSTER_ROOT_URL");
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PULSE_LISTEN"),
                                         "--root-url", url, "--bind", EXCHANGE "=#",
                                         "--count", count, "--timeout", "20", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, run);
  return process;
}

/* Turns the main context (a test server may live in this process) until
 * pulse-listen ended; checks that it printed @n_messages messages. */
static void
listen_wait (GSubprocess *process,
             guint        n_messages,
             Run         *run)
{
  g_auto(GStrv) lines = NULL;
  gboolean timed_out = FALSE;
  guint timeout;

  timeout = g_timeout_add_seconds (TIMEOUT_S, timeout_cb, &timed_out);
  while (!run->done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout);
  g_assert_no_error (run->error);

  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    g_test_message ("pulse-listen said: %s", run->err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  lines = g_strsplit (g_strchomp (run->out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, n_messages);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_nonnull (strstr (lines[i], EXCHANGE));

  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

/* One run against a test server of this process, which sends its
 * N_MESSAGES messages to each subscription. */
static void
listen_once (const char *state_home,
             const char *url)
{
  Run run = { 0 };
  g_autoptr(GSubprocess) process = listen_spawn (state_home, url, N_MESSAGES, &run);

  listen_wait (process, N_MESSAGES, &run);
}

/* The Authorization of the last connection_init @server got, after
 * checking that it carries the run's access token (base64 of JSON). */
static char *
sent_authorization (PiWsTestServer *server)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *payload;
  const char *authorization;
  g_autofree guchar *decoded = NULL;
  g_autofree char *credentials = NULL;
  gsize len;

  g_assert_nonnull (pi_ws_test_server_get_last_init (server));
  g_assert_true (json_parser_load_from_data (parser, pi_ws_test_server_get_last_init (server), -1, NULL));
  payload = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "payload");
  authorization = json_object_get_string_member_with_default (payload, "Authorization", "");
  g_assert_true (g_str_has_prefix (authorization, "Bearer "));
  decoded = g_base64_decode (authorization + strlen ("Bearer "), &len);
  credentials = g_strndup ((const char *) decoded, len);
  g_assert_nonnull (strstr (credentials, TOKEN));
  return g_strdup (authorization);
}

/* A GraphQL-only deployment: the second run goes straight to /subscription. */
static void
test_graphql_remembered (Fixture       *fixture,
                         gconstpointer  user_data)
{
  PiWsTestScript script = { .graphql = TRUE, .n_messages = N_MESSAGES };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  g_autofree char *path = memory_file (fixture);
  g_autofree char *contents = NULL;
  g_autofree char *authorization = NULL;

  listen_once (fixture->state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription/raw"), ==, 1);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription"), ==, 1);

  /* The root URL and the protocol; nothing of the credentials, which
   * the run did hold and send. */
  authorization = sent_authorization (server);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, url));
  g_assert_nonnull (strstr (contents, "graphql"));
  g_assert_null (strstr (contents, TOKEN));
  g_assert_null (strstr (contents, "test/client"));
  g_assert_null (strstr (contents, authorization));

  listen_once (fixture->state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription/raw"), ==, 1);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription"), ==, 2);

  /* The same root with a trailing slash is the same deployment. */
  {
    g_autofree char *slash = g_strconcat (url, "/", NULL);

    listen_once (fixture->state_home, slash);
    g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription/raw"), ==, 1);
    g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription"), ==, 3);
  }
}

/* A file that is not a key file (or too large) is no error: it is replaced. */
static void
test_corrupt_file (Fixture       *fixture,
                   gconstpointer  user_data)
{
  PiWsTestScript script = { .graphql = TRUE, .n_messages = N_MESSAGES };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  g_autofree char *path = memory_file (fixture);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *garbage = g_strdup_printf ("\x01\xff[[[root 0\nurl=%s\nprotocol=graphql\n", url);
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, garbage, -1, NULL));

  listen_once (fixture->state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription/raw"), ==, 1);

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  listen_once (fixture->state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription/raw"), ==, 1);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription"), ==, 2);

  /* A file far larger than a hundred roots take is not read, even when
   * it says GraphQL for this root; it is replaced as well. */
  {
    g_autoptr(GString) huge = g_string_new (NULL);
    g_autofree char *contents = NULL;

    g_string_append_printf (huge, "[root 0]\nurl=%s\nprotocol=graphql\nused=%" G_GINT64_FORMAT "\n",
                            url, g_get_real_time () / G_USEC_PER_SEC);
    while (huge->len < 1024 * 1024)
      g_string_append (huge, "# padding padding padding padding padding padding padding\n");
    g_assert_true (g_file_set_contents (path, huge->str, (gssize) huge->len, NULL));

    listen_once (fixture->state_home, url);
    g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription/raw"), ==, 2);
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_cmpuint (strlen (contents), <, 4096);
  }
}

/* A state directory that cannot be made: every run probes, none fails. */
static void
test_unwritable (Fixture       *fixture,
                 gconstpointer  user_data)
{
  PiWsTestScript script = { .graphql = TRUE, .n_messages = N_MESSAGES };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  g_autofree char *file = g_build_filename (fixture->state_home, "a-file", NULL);
  g_autofree char *state_home = g_build_filename (file, "state", NULL);

  g_assert_true (g_file_set_contents (file, "", -1, NULL));

  listen_once (state_home, url);
  listen_once (state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription/raw"), ==, 2);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription"), ==, 2);
}

/* The deployment changed: GraphQL worked, now only /subscription/raw does.
 * The run that finds GraphQL gone falls back in the same attempt and
 * learns the new protocol; the run after goes straight there. */
static void
test_relearn (Fixture       *fixture,
              gconstpointer  user_data)
{
  PiWsTestScript graphql_only = { .graphql = TRUE, .n_messages = N_MESSAGES };
  PiWsTestScript raw_only = { .raw = TRUE, .n_messages = N_MESSAGES };
  PiWsTestServer *before = pi_ws_test_server_new (&graphql_only);
  g_autoptr(PiWsTestServer) after = NULL;
  g_autofree char *url = pi_ws_test_server_get_url (before);
  g_autofree char *path = memory_file (fixture);
  g_autofree char *contents = NULL;

  listen_once (fixture->state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (before, "/subscription"), ==, 1);

  /* Same address, another server. */
  raw_only.port = pi_ws_test_server_get_port (before);
  pi_ws_test_server_free (before);
  after = pi_ws_test_server_new (&raw_only);

  listen_once (fixture->state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (after, "/subscription"), ==, 1);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (after, "/subscription/raw"), ==, 1);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "websocket"));
  g_assert_null (strstr (contents, "graphql"));

  listen_once (fixture->state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (after, "/subscription"), ==, 1);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (after, "/subscription/raw"), ==, 2);
}

/* Events v1 worked at this root in an earlier run (the file says so), but
 * its server now answers 404 there: forgotten, the usual order finds GraphQL. */
static void
test_events_v1_gone (Fixture       *fixture,
                     gconstpointer  user_data)
{
  PiWsTestScript script = { .graphql = TRUE, .n_messages = N_MESSAGES };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  g_autofree char *path = memory_file (fixture);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *text = g_strdup_printf ("[root 0]\nurl=%s\nprotocol=events-v1\nused=1000000\n", url);
  g_autofree char *contents = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));

  listen_once (fixture->state_home, url);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/api/events/v1/connect/"), ==, 1);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription/raw"), ==, 1);
  g_assert_cmpuint (pi_ws_test_server_get_n_requests (server, "/subscription"), ==, 1);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "protocol=graphql\n"));
  g_assert_null (strstr (contents, "events-v1"));
}

/* --- against tests/graphql-server: Taskcluster's PulseMessages on Node ---------- */

typedef struct
{
  GSubprocess *process;
  char        *url;
} Node;

static Node *
node_start (void)
{
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *dir = g_build_filename (g_getenv ("PI_SOURCE_ROOT"), "tests", "graphql-server", NULL);
  g_autofree char *modules = g_build_filename (dir, "node_modules", "subscriptions-transport-ws", NULL);
  g_autofree char *script = g_build_filename (dir, "server.js", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  Node *self;

  if (node == NULL)
    {
      g_test_skip ("node is not installed: the GraphQL test server needs Node.js");
      return NULL;
    }
  if (!g_file_test (modules, G_FILE_TEST_IS_DIR))
    g_error ("tests/graphql-server has no node_modules: run `npm ci` there (build-aux/run-tests does)");

  self = g_new0 (Node, 1);
  /* It exits when its standard input closes, however this test ends. */
  self->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                    node, script, "--watch-stdin", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "port "));
  self->url = g_strdup_printf ("http://127.0.0.1:%s", line + 5);
  return self;
}

static void
node_stop (Node *self)
{
  g_subprocess_force_exit (self->process);
  g_subprocess_wait (self->process, NULL, NULL);
  g_object_unref (self->process);
  g_free (self->url);
  g_free (self);
}

/* Its control API: GET state when @body is NULL, else POST @body. */
static JsonObject *
node_control (Node       *self,
              const char *what,
              const char *body)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("%s/control/%s", self->url, what);
  g_autoptr(SoupMessage) msg = soup_message_new (body != NULL ? "POST" : "GET", url);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL), (gssize) g_bytes_get_size (reply), &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Upgrades it refused (/subscription/raw: it serves GraphQL only). */
static guint
node_refused_upgrades (Node *self)
{
  g_autoptr(JsonObject) state = node_control (self, "state", NULL);

  return json_array_get_length (json_object_get_array_member (state, "refusedUpgrades"));
}

/* A GraphQL-only deployment as Taskcluster's own packages serve it: the
 * second run opens /subscription at once. */
static void
test_graphql_server (Fixture       *fixture,
                     gconstpointer  user_data)
{
  Node *node = node_start ();

  if (node == NULL)
    return;

  for (guint i = 1; i <= 2; i++)
    {
      Run run = { 0 };
      g_autoptr(GSubprocess) process = listen_spawn (fixture->state_home, node->url, 1, &run);
      g_autoptr(JsonObject) published = NULL;
      g_autoptr(JsonObject) state = NULL;
      gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

      /* Subscribed: then one message for it. */
      for (;;)
        {
          g_autoptr(JsonObject) now = node_control (node, "state", NULL);

          if (json_object_get_int_member (now, "starts") >= i)
            break;
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_assert_false (run.done);
          g_main_context_iteration (NULL, FALSE);
          g_usleep (20 * 1000);
        }
      published = node_control (node, "publish",
                                "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"key.1\","
                                "\"payload\":{\"run\":true}}");
      g_assert_cmpint (json_object_get_int_member (published, "delivered"), ==, 1);
      listen_wait (process, 1, &run);

      state = node_control (node, "state", NULL);
      g_assert_cmpint (json_object_get_int_member (state, "connectionsTotal"), ==, i);
      /* Only the first run asked for /subscription/raw. */
      g_assert_cmpuint (node_refused_upgrades (node), ==, 1);
    }

  node_stop (node);
}

/* The file keeps the most recently used roots, at most a hundred: one
 * more pushes out the least recently used. In this process (the memory is
 * read once per process: the only test here that calls it directly). */
static void
test_bounded (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *path = memory_file (fixture);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) groups = NULL;

  g_setenv ("XDG_STATE_HOME", fixture->state_home, TRUE);
  g_reload_user_special_dirs_cache ();
  g_assert_cmpstr (g_get_user_state_dir (), ==, fixture->state_home);

  /* root 0 used longest ago. */
  for (guint i = 0; i < PI_SOURCE_MEMORY_MAX_ROOTS; i++)
    g_string_append_printf (text, "[root %u]\nurl=https://tc%u.example\nprotocol=graphql\nused=%u\n\n",
                            i, i, 1000000 + i);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text->str, -1, NULL));

  g_assert_cmpint (pi_source_memory_recall ("https://tc0.example"), ==, PI_SOURCE_PROTOCOL_GRAPHQL);
  g_assert_cmpint (pi_source_memory_recall ("https://tc99.example"), ==, PI_SOURCE_PROTOCOL_GRAPHQL);
  g_assert_cmpint (pi_source_memory_recall ("https://new.example"), ==, PI_SOURCE_PROTOCOL_AUTO);

  pi_source_memory_remember ("https://new.example", PI_SOURCE_PROTOCOL_WEBSOCKET);

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  groups = g_key_file_get_groups (key_file, NULL);
  g_assert_cmpuint (g_strv_length (groups), ==, PI_SOURCE_MEMORY_MAX_ROOTS);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "url=https://new.example\n"));
  g_assert_null (strstr (contents, "url=https://tc0.example\n"));
  g_assert_nonnull (strstr (contents, "url=https://tc1.example\n"));
  g_assert_cmpint (pi_source_memory_recall ("https://tc0.example"), ==, PI_SOURCE_PROTOCOL_AUTO);
  g_assert_cmpint (pi_source_memory_recall ("https://new.example"), ==, PI_SOURCE_PROTOCOL_WEBSOCKET);

  pi_source_memory_forget ("https://new.example");
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "new.example"));
  g_assert_cmpint (pi_source_memory_recall ("https://new.example"), ==, PI_SOURCE_PROTOCOL_AUTO);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/pi/protocol-memory/graphql-remembered", Fixture, NULL,
              fixture_set_up, test_graphql_remembered, fixture_tear_down);
  g_test_add ("/pi/protocol-memory/graphql-server", Fixture, NULL,
              fixture_set_up, test_graphql_server, fixture_tear_down);
  g_test_add ("/pi/protocol-memory/corrupt-file", Fixture, NULL,
              fixture_set_up, test_corrupt_file, fixture_tear_down);
  g_test_add ("/pi/protocol-memory/unwritable", Fixture, NULL,
              fixture_set_up, test_unwritable, fixture_tear_down);
  g_test_add ("/pi/protocol-memory/relearn", Fixture, NULL,
              fixture_set_up, test_relearn, fixture_tear_down);
  g_test_add ("/pi/protocol-memory/events-v1-gone", Fixture, NULL,
              fixture_set_up, test_events_v1_gone, fixture_tear_down);
  g_test_add ("/pi/protocol-memory/bounded", Fixture, NULL,
              fixture_set_up, test_bounded, fixture_tear_down);

  return g_test_run ();
}
