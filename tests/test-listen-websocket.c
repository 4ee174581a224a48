/* test-listen-websocket.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * pulse-listen against a real pulse-events over the Taskcluster plain
 * WebSocket protocol (/subscription/raw and /subscription/named), as a
 * user runs it: `pulse-listen --root-url URL --bind EX=PATTERN`. Both
 * programs are the built binaries; messages are published through the
 * embedded exchange, or through a real RabbitMQ node (tests/rabbitmq-node)
 * when one is installed. Also: the fallback of a root URL whose server
 * refuses the upgrades (to events v1), and an events v1 URL.
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <rabbitmq-c/amqp.h>

#include "pi-fixture-server.h"
#include "pi-rabbit-test.h"
#include "pi-source.h"

#define QUEUE_COMPLETED "exchange/taskcluster-queue/v1/task-completed"
#define QUEUE_FAILED    "exchange/taskcluster-queue/v1/task-failed"
#define EXCHANGE        "exchange/test/v1/things"
#define AMQP_EXCHANGE   "exchange/pi-listen-ws/v1/things"
#define AMQP_MISSING    "exchange/pi-listen-ws/v1/no-such-exchange"
#define TIMEOUT_S       20

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

/* --- lines of a child's output, read as they come -------------------------------- */

typedef struct
{
  GDataInputStream *in;
  GPtrArray        *lines;   /* of char * */
  gboolean          eof;
  gboolean          echo;    /* into the test log, for a failing run */
  const char       *name;
} Lines;

static void lines_read (Lines *self);

static void
lines_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Lines *self = user_data;
  char *line = g_data_input_stream_read_line_finish_utf8 (self->in, result, NULL, NULL);

  if (line == NULL)
    {
      self->eof = TRUE;
      return;
    }
  if (self->echo)
    g_test_message ("%s: %s", self->name, line);
  g_ptr_array_add (self->lines, line);
  lines_read (self);
}

static void
lines_read (Lines *self)
{
  g_data_input_stream_read_line_async (self->in, G_PRIORITY_DEFAULT, NULL, lines_cb, self);
}

static Lines *
lines_new (GInputStream *stream,
           const char   *name,
           gboolean      echo)
{
  Lines *self = g_new0 (Lines, 1);

  self->in = g_data_input_stream_new (stream);
  self->lines = g_ptr_array_new_with_free_func (g_free);
  self->name = name;
  self->echo = echo;
  lines_read (self);
  return self;
}

/* After its process exited: the read in flight ends at EOF. */
static void
lines_free (Lines *self)
{
  WAIT_UNTIL (self->eof, TIMEOUT_S);
  g_object_unref (self->in);
  g_ptr_array_unref (self->lines);
  g_free (self);
}

static guint
lines_count (Lines      *self,
             const char *needle)
{
  guint n = 0;

  for (guint i = 0; i < self->lines->len; i++)
    n += strstr (g_ptr_array_index (self->lines, i), needle) != NULL;
  return n;
}

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* --- pulse-events ----------------------------------------------------------------- */

typedef struct
{
  GSubprocess *process;
  Lines       *log;      /* its stderr: one line per socket and subscription */
  guint16      port;
  char        *url;
} Server;

static Server *
server_startv (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *prefix = "Listening on http://127.0.0.1:";
  Server *server = g_new0 (Server, 1);

  g_assert_nonnull (g_getenv ("PULSE_EVENTS"));
  g_ptr_array_add (argv, (char *) g_getenv ("PULSE_EVENTS"));
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, prefix));
  server->port = (guint16) g_ascii_strtoull (line + strlen (prefix), NULL, 10);
  server->url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  server->log = lines_new (g_subprocess_get_stderr_pipe (server->process), "pulse-events", FALSE);
  return server;
}

static Server *
server_start (const char *first_arg,
              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return server_startv ((const char * const *) args->pdata);
}

static void
server_stop (Server *server)
{
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, NULL);
  lines_free (server->log);
  g_object_unref (server->process);
  g_free (server->url);
  g_free (server);
}

static char *
http (Server     *server,
      const char *method,
      const char *path,
      const char *body)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("%s%s", server->url, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
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
  return g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
}

/* Through the embedded exchange. */
static void
publish (Server     *server,
         const char *exchange,
         const char *routing_key,
         const char *routes,
         const char *payload)
{
  g_autofree char *body = g_strdup_printf ("{\"exchange\":\"%s\",\"routingKey\":\"%s\",\"routes\":%s,\"payload\":%s}",
                                           exchange, routing_key, routes ? routes : "[]", payload);
  g_autofree char *answer = http (server, "POST", "/api/events/v1/publish", body);

  g_assert_nonnull (strstr (answer, "\"published\":1"));
}

/* The server's own count of open WebSocket subscriptions reached @n. */
static gboolean
server_has_subscriptions (Server *server,
                          guint   n)
{
  g_autofree char *ping = http (server, "GET", "/api/events/v1/ping", NULL);
  g_autofree char *needle = g_strdup_printf ("\"subscriptions\":%u", n);

  return strstr (ping, needle) != NULL;
}

/* --- pulse-listen ----------------------------------------------------------------- */

typedef struct
{
  GSubprocess *process;
  Lines       *out;
  Lines       *err;
} Listen;

static Listen *
listen_startv (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  Listen *self = g_new0 (Listen, 1);

  g_assert_nonnull (g_getenv ("PULSE_LISTEN"));
  g_ptr_array_add (argv, (char *) g_getenv ("PULSE_LISTEN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "TASKCLUSTER_ROOT_URL");
  g_subprocess_launcher_unsetenv (launcher, "TASKCLUSTER_CLIENT_ID");
  g_subprocess_launcher_unsetenv (launcher, "TASKCLUSTER_ACCESS_TOKEN");
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  self->out = lines_new (g_subprocess_get_stdout_pipe (self->process), "stdout", FALSE);
  self->err = lines_new (g_subprocess_get_stderr_pipe (self->process), "stderr", TRUE);
  return self;
}

static Listen *
listen_start (const char *first_arg,
              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return listen_startv ((const char * const *) args->pdata);
}

/* Ctrl-C: a clean exit, everything received printed. */
static void
listen_stop (Listen *self)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (self->process, SIGINT);
  g_subprocess_wait (self->process, NULL, &error);
  g_assert_no_error (error);
  lines_free (self->out);
  lines_free (self->err);
  g_assert_true (g_subprocess_get_if_exited (self->process));
  g_assert_cmpint (g_subprocess_get_exit_status (self->process), ==, 0);
  g_object_unref (self->process);
  g_free (self);
}

/* Waits for pulse-listen to end by itself, with @status. */
static void
listen_wait_exit (Listen *self,
                  int     status)
{
  g_autoptr(GError) error = NULL;

  WAIT_UNTIL (self->err->eof, TIMEOUT_S);
  g_subprocess_wait (self->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (self->process));
  g_assert_cmpint (g_subprocess_get_exit_status (self->process), ==, status);
}

static void
listen_free (Listen *self)
{
  lines_free (self->out);
  lines_free (self->err);
  g_object_unref (self->process);
  g_free (self);
}

/* The @n-th stdout line whose "event" is @event (0-based), as an object. */
static JsonObject *
listen_event (Listen     *self,
              const char *event,
              guint       n)
{
  for (guint i = 0; i < self->out->lines->len; i++)
    {
      g_autoptr(JsonNode) node = json_from_string (g_ptr_array_index (self->out->lines, i), NULL);
      JsonObject *object;

      /* Every line is one JSON object. */
      g_assert_nonnull (node);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      object = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member_with_default (object, "event", NULL), event) == 0 &&
          n-- == 0)
        return json_object_ref (object);
    }
  return NULL;
}

static guint
listen_n_events (Listen     *self,
                 const char *event)
{
  g_autofree char *needle = g_strdup_printf ("\"event\":\"%s\"", event);

  return lines_count (self->out, needle);
}

static char *
member_json (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  g_assert_nonnull (node);
  return json_to_string (node, FALSE);
}

/* --- embedded exchange ---------------------------------------------------------------- */

/* --root-url: the plain protocol on /subscription/raw; each line carries the
 * message as published. */
static void
test_raw (void)
{
  Server *server = server_start (NULL);
  Listen *listen = listen_start ("--root-url", server->url,
                                 "--bind", QUEUE_COMPLETED "=primary.*.0.#",
                                 "--bind", QUEUE_FAILED "=#", NULL);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *routes = NULL;
  g_autofree char *payload = NULL;

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  /* Over the WebSocket: one socket, one subscription for both bindings,
   * no SSE stream. */
  g_assert_true (server_has_subscriptions (server, 1));
  WAIT_UNTIL (lines_count (server->log, ", 2 bindings ") == 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (server->log, "WebSocket opened"), ==, 1);
  g_assert_cmpuint (lines_count (server->log, "Stream opened"), ==, 0);

  publish (server, QUEUE_COMPLETED, "primary.T1.1.wg.wid", "[\"index.foo\"]", "{\"n\":0}");
  publish (server, QUEUE_COMPLETED, "primary.T1.0.wg.wid", "[\"index.project.foo\",\"tc-treeherder.v2.try\"]",
           "{\"status\":{\"taskId\":\"T1\"},\"n\":1}");
  publish (server, QUEUE_FAILED, "primary.T2.0", NULL, "{\"n\":2}");
  WAIT_UNTIL (listen_n_events (listen, "message") == 2, TIMEOUT_S);

  first = listen_event (listen, "message", 0);
  g_assert_cmpstr (json_object_get_string_member (first, "exchange"), ==, QUEUE_COMPLETED);
  g_assert_cmpstr (json_object_get_string_member (first, "routingKey"), ==, "primary.T1.0.wg.wid");
  routes = member_json (first, "routes");
  /* The web-server's `cc` has the CC header as the publisher wrote it;
   * the routes read as over events v1, without `route.`. */
  g_assert_cmpstr (routes, ==, "[\"index.project.foo\",\"tc-treeherder.v2.try\"]");
  g_assert_true (json_object_has_member (first, "redelivered"));
  g_assert_false (json_object_get_boolean_member (first, "redelivered"));
  payload = member_json (first, "payload");
  g_assert_cmpstr (payload, ==, "{\"status\":{\"taskId\":\"T1\"},\"n\":1}");
  g_assert_cmpint (json_object_get_int_member (first, "seq"), ==, 1);

  second = listen_event (listen, "message", 1);
  g_assert_cmpstr (json_object_get_string_member (second, "exchange"), ==, QUEUE_FAILED);
  g_assert_cmpstr (json_object_get_string_member (second, "routingKey"), ==, "primary.T2.0");
  g_assert_cmpint (json_object_get_int_member (second, "seq"), ==, 2);

  listen_stop (listen);
  server_stop (server);
}

/* --event NAME --where word=value: /subscription/named with the queue's
 * event names and a routing-key filter. */
static void
test_named (void)
{
  Server *server = server_start (NULL);
  Listen *listen = listen_start ("--root-url", server->url,
                                 "--event", "taskCompleted", "--event", "taskFailed",
                                 "--where", "taskGroupId=GROUP1", NULL);
  g_autoptr(JsonObject) completed = NULL;
  g_autoptr(JsonObject) failed = NULL;

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  g_assert_true (server_has_subscriptions (server, 1));

  /* Words: kind, taskId, runId, workerGroup, workerId, provisionerId,
   * workerType, schedulerId, taskGroupId, reserved. */
  publish (server, QUEUE_COMPLETED, "primary.T0.0.wg.wid.prov.wt.sched.OTHER._", NULL, "{\"n\":0}");
  publish (server, "exchange/taskcluster-queue/v1/task-defined", "primary.T1._._._._._.sched.GROUP1._",
           NULL, "{\"n\":1}");
  publish (server, QUEUE_COMPLETED, "primary.T2.0.wg.wid.prov.wt.sched.GROUP1._", NULL, "{\"n\":2}");
  publish (server, QUEUE_FAILED, "primary.T3.0.wg.wid.prov.wt.sched.GROUP1._", NULL, "{\"n\":3}");
  WAIT_UNTIL (listen_n_events (listen, "message") == 2, TIMEOUT_S);

  completed = listen_event (listen, "message", 0);
  g_assert_cmpstr (json_object_get_string_member (completed, "exchange"), ==, QUEUE_COMPLETED);
  g_assert_cmpstr (json_object_get_string_member (completed, "routingKey"), ==,
                   "primary.T2.0.wg.wid.prov.wt.sched.GROUP1._");
  failed = listen_event (listen, "message", 1);
  g_assert_cmpstr (json_object_get_string_member (failed, "exchange"), ==, QUEUE_FAILED);

  listen_stop (listen);
  server_stop (server);
}

/* A named subscription the server refuses subscribes nothing: pulse-listen
 * fails with the server's words, never saying it is live. */
static void
test_unknown_event (void)
{
  Server *server = server_start (NULL);
  Listen *listen = listen_start ("--root-url", server->url, "--event", "taskBogus", NULL);

  listen_wait_exit (listen, 1);
  g_assert_cmpuint (lines_count (listen->err, "Unknown queue event"), >=, 1);
  g_assert_cmpuint (lines_count (listen->err, "pulse-listen: Live"), ==, 0);
  g_assert_cmpuint (listen->out->lines->len, ==, 0);
  listen_free (listen);
  server_stop (server);
}

/* pulse-events at --max-connections answers the upgrade 503 with
 * Retry-After: a root URL's client waits and asks again for the plain
 * WebSocket, and does not fall back to another protocol (which the server
 * would refuse alike, or serve worse). */
static void
test_max_connections (void)
{
  Server *server = server_start ("--max-connections", "1", NULL);
  Listen *first = listen_start ("--root-url", server->url, "--bind", QUEUE_COMPLETED "=#", NULL);
  Listen *second;
  gint64 refused_at;

  WAIT_UNTIL (lines_count (first->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  second = listen_start ("--root-url", server->url, "--bind", QUEUE_FAILED "=#", NULL);
  WAIT_UNTIL (lines_count (second->err, "answered 503") >= 1, TIMEOUT_S);
  refused_at = g_get_monotonic_time ();
  g_assert_cmpuint (lines_count (second->err, "Reconnecting in"), >=, 1);
  listen_stop (first);

  /* No sooner than the server's Retry-After (10 s). */
  WAIT_UNTIL (lines_count (second->err, "pulse-listen: Live") == 1, 2 * TIMEOUT_S);
  g_assert_cmpint (g_get_monotonic_time () - refused_at, >=, 9 * G_USEC_PER_SEC);
  g_assert_cmpuint (lines_count (second->err, "answered 503"), ==, 1);
  g_assert_cmpuint (lines_count (server->log, "Stream opened"), ==, 0);
  g_assert_cmpuint (lines_count (server->log, "WebSocket opened"), ==, 2);

  publish (server, QUEUE_FAILED, "primary.T1", NULL, "{\"n\":1}");
  WAIT_UNTIL (listen_n_events (second, "message") == 1, TIMEOUT_S);

  listen_stop (second);
  server_stop (server);
}

/* Named events are a deployment's: with an events v1 address, bindings or
 * --raw they would be dropped silently; refused up front, in words. */
static void
test_event_usage (void)
{
  static const struct
  {
    const char *args[7];
    const char *words;
  } cases[] = {
    { { "--server", "http://127.0.0.1:9/api/events/v1", "--event", "taskCompleted", NULL },
      "need a Taskcluster deployment's root URL" },
    { { "--root-url", "http://127.0.0.1:9", "--event", "taskCompleted", "--bind", QUEUE_FAILED "=#", NULL },
      "--event cannot be combined with --bind" },
    { { "--root-url", "http://127.0.0.1:9", "--event", "taskCompleted", "--raw", NULL },
      "--event cannot be combined with --raw" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Listen *listen = listen_startv (cases[i].args);

      listen_wait_exit (listen, 2);
      g_assert_cmpuint (lines_count (listen->err, cases[i].words), ==, 1);
      listen_free (listen);
    }
}

/* 101 bindings: more than one subscribe takes (100); split, all of them work. */
static void
test_many_bindings (void)
{
  Server *server = server_start (NULL);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  Listen *listen;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) last = NULL;

  g_ptr_array_add (args, g_strdup ("--root-url"));
  g_ptr_array_add (args, g_strdup (server->url));
  for (guint i = 0; i < 101; i++)
    g_ptr_array_add (args, g_strdup_printf ("--bind=" EXCHANGE "=p%u.#", i));
  g_ptr_array_add (args, NULL);
  listen = listen_startv ((const char * const *) args->pdata);

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  g_assert_true (server_has_subscriptions (server, 2));
  WAIT_UNTIL (lines_count (server->log, ", 100 bindings ") == 1 &&
              lines_count (server->log, ", 1 bindings ") == 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "refused"), ==, 0);

  publish (server, EXCHANGE, "p0.x", NULL, "0");
  publish (server, EXCHANGE, "p100.x", NULL, "100");
  publish (server, EXCHANGE, "p101.x", NULL, "101");
  WAIT_UNTIL (listen_n_events (listen, "message") == 2, TIMEOUT_S);
  first = listen_event (listen, "message", 0);
  last = listen_event (listen, "message", 1);
  g_assert_cmpstr (json_object_get_string_member (first, "routingKey"), ==, "p0.x");
  g_assert_cmpstr (json_object_get_string_member (last, "routingKey"), ==, "p100.x");

  listen_stop (listen);
  server_stop (server);
}

/* The server closes sockets after --socket-lifetime (4408, the web-server's
 * 6 hours): pulse-listen prints a gap line, reconnects, subscribes again
 * and prints what comes after. */
static void
test_lifetime (void)
{
  /* Without resuming (a server of ours resumes across the lifetime's
   * close: tests/test-ws-resume.c), the close is a gap. */
  Server *server = server_start ("--socket-lifetime", "2", "--resume-window", "0", NULL);
  Listen *listen = listen_start ("--root-url", server->url, "--bind", EXCHANGE "=#", NULL);
  g_autoptr(JsonObject) gap = NULL;
  g_autoptr(JsonObject) after = NULL;
  const char *reason;

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  publish (server, EXCHANGE, "before", NULL, "1");
  WAIT_UNTIL (listen_n_events (listen, "message") == 1, TIMEOUT_S);

  WAIT_UNTIL (listen_n_events (listen, "gap") == 1, TIMEOUT_S);
  gap = listen_event (listen, "gap", 0);
  reason = json_object_get_string_member (gap, "reason");
  g_test_message ("gap: %s", reason);
  g_assert_nonnull (strstr (reason, "messages may be missing"));
  g_assert_nonnull (strstr (reason, "closed the connection at the end of its lifetime"));
  g_assert_nonnull (strstr (reason, server->url + strlen ("http://")));

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 2, TIMEOUT_S);
  WAIT_UNTIL (server_has_subscriptions (server, 1), TIMEOUT_S);
  publish (server, EXCHANGE, "after", NULL, "2");
  WAIT_UNTIL (listen_n_events (listen, "message") == 2, TIMEOUT_S);
  after = listen_event (listen, "message", 1);
  g_assert_cmpstr (json_object_get_string_member (after, "routingKey"), ==, "after");
  /* In order: the gap sits between the two. */
  g_assert_nonnull (strstr (g_ptr_array_index (listen->out->lines, 0), "\"before\""));
  g_assert_nonnull (strstr (g_ptr_array_index (listen->out->lines, 1), "\"gap\""));
  g_assert_nonnull (strstr (g_ptr_array_index (listen->out->lines, 2), "\"after\""));
  g_assert_cmpuint (lines_count (server->log, "WebSocket opened"), >=, 2);

  listen_stop (listen);
  server_stop (server);
}

/* pulse-events stops and comes back on the same port: pulse-listen says it
 * is reconnecting, prints a gap line, subscribes again and goes on. */
static void
test_server_restart (void)
{
  Server *server = server_start (NULL);
  g_autofree char *listen_arg = g_strdup_printf ("127.0.0.1:%u", server->port);
  g_autofree char *url = g_strdup (server->url);
  Listen *listen = listen_start ("--root-url", url, "--bind", EXCHANGE "=#", NULL);
  g_autoptr(JsonObject) gap = NULL;

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  publish (server, EXCHANGE, "before", NULL, "1");
  WAIT_UNTIL (listen_n_events (listen, "message") == 1, TIMEOUT_S);

  server_stop (server);
  WAIT_UNTIL (lines_count (listen->err, "Reconnecting in") >= 1, TIMEOUT_S);
  server = server_start ("--listen", listen_arg, NULL);

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 2, 60);
  WAIT_UNTIL (server_has_subscriptions (server, 1), TIMEOUT_S);
  publish (server, EXCHANGE, "after", NULL, "2");
  WAIT_UNTIL (listen_n_events (listen, "message") == 2, TIMEOUT_S);
  g_assert_cmpuint (listen_n_events (listen, "gap"), ==, 1);
  gap = listen_event (listen, "gap", 0);
  g_test_message ("gap: %s", json_object_get_string_member (gap, "reason"));
  g_assert_nonnull (strstr (g_ptr_array_index (listen->out->lines, 1), "\"gap\""));
  g_assert_nonnull (strstr (g_ptr_array_index (listen->out->lines, 2), "\"after\""));

  listen_stop (listen);
  server_stop (server);
}

/* An events v1 URL is still served over SSE. */
static void
test_events_v1_url (void)
{
  Server *server = server_start (NULL);
  g_autofree char *base = g_strdup_printf ("%s/api/events/v1", server->url);
  Listen *listen = listen_start ("--server", base, "--bind", QUEUE_COMPLETED "=#", NULL);
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *routes = NULL;

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  WAIT_UNTIL (lines_count (server->log, "Stream opened") == 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (server->log, "WebSocket opened"), ==, 0);

  publish (server, QUEUE_COMPLETED, "primary.T1", "[\"index.foo\"]", "{\"n\":1}");
  WAIT_UNTIL (listen_n_events (listen, "message") == 1, TIMEOUT_S);
  message = listen_event (listen, "message", 0);
  g_assert_cmpstr (json_object_get_string_member (message, "routingKey"), ==, "primary.T1");
  /* Events v1 strips the `route.` of the CC header. */
  routes = member_json (message, "routes");
  g_assert_cmpstr (routes, ==, "[\"index.foo\"]");

  listen_stop (listen);
  server_stop (server);
}

/* A root URL whose server refuses both upgrades with 404 (the fixture
 * server refuses every WebSocket upgrade so, without counting it): the
 * plain protocol, then GraphQL, then events v1, which it serves. */
static void
test_fallback (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *sse = pi_fixture_response_new_sse ();
  g_autofree char *url = NULL;
  g_autofree char *events = NULL;
  g_autoptr(JsonObject) message = NULL;
  Listen *listen;

  pi_fixture_response_write (sse, READY "event: message\ndata: " MESSAGE_1 "\nid: -\n\n", -1);
  pi_fixture_response_hold (sse);
  pi_fixture_server_add (server, sse);
  url = pi_fixture_server_get_url (server);

  listen = listen_start ("--root-url", url, "--bind", QUEUE_COMPLETED "=#", NULL);
  WAIT_UNTIL (listen_n_events (listen, "message") == 1, TIMEOUT_S);
  message = listen_event (listen, "message", 0);
  g_assert_cmpstr (json_object_get_string_member (message, "routingKey"), ==,
                   "primary.fQ2.0.wg.wid.prov.wtype.sched.group._");

  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 1);
  events = pi_fixture_server_dup_request (server, 0);
  g_assert_true (g_str_has_prefix (events, "GET /api/events/v1/connect/?bindings="));
  /* A refused upgrade is no failure the user is told of. */
  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  /* (" 404": the server's port may hold the digits.) */
  g_assert_cmpuint (lines_count (listen->err, " 404"), ==, 0);

  listen_stop (listen);
}

/* --- the source itself, with a caller that falls behind -------------------------------- */

static void
collect_messages (PiSource  *source,
                  GPtrArray *batch,
                  GPtrArray *messages)
{
  for (guint i = 0; i < batch->len; i++)
    g_ptr_array_add (messages, g_object_ref (g_ptr_array_index (batch, i)));
}

/* While its caller's main loop is busy, a WebSocket source reads only so
 * far (PI_SOURCE_MAX_QUEUED_MESSAGES, shortened here): the server's buffer
 * for it fills, and the server's `dropped` "too-slow" reaches the list,
 * instead of every message piling up in memory. */
static void
test_slow_caller (void)
{
  /* A resumable subscription waits in its session instead (tests/test-ws-resume.c). */
  Server *server = server_start ("--client-buffer", "65536", "--resume-window", "0", NULL);
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) batch = g_string_new (NULL);
  /* Large messages: fewer frames for the client to read in the server's
   * grace period after it gave up, in a slow sanitizer build too. */
  g_autofree char *padding = g_strnfill (10000, 'x');
  const guint n_batches = 20, per_batch = 100;
  PiMessage *dropped = NULL;
  guint n_real = 0;
  gboolean gap = FALSE;

  g_setenv ("PI_SOURCE_MAX_QUEUED_MESSAGES", "50", TRUE);
  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "#"));
  pi_source_set_server_url (source, server->url);
  pi_source_set_bindings (source, bindings);
  g_signal_connect (source, "messages", G_CALLBACK (collect_messages), messages);
  g_assert_true (pi_source_connect (source, NULL));
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_LIVE, TIMEOUT_S);
  g_assert_cmpstr (pi_source_get_protocol_name (source), ==, "WebSocket");
  g_unsetenv ("PI_SOURCE_MAX_QUEUED_MESSAGES");

  /* 20 MB in 2,000 messages while this thread does not take any. */
  g_string_append_c (batch, '[');
  for (guint i = 0; i < per_batch; i++)
    g_string_append_printf (batch, "%s{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"k\",\"payload\":\"%s\"}",
                            i ? "," : "", padding);
  g_string_append_c (batch, ']');
  for (guint i = 0; i < n_batches; i++)
    g_free (http (server, "POST", "/api/events/v1/publish", batch->str));

  /* Still taking nothing (the server delivers at its own pace, slower in
   * a sanitizer build) until the server gives up on this client: it drops
   * the subscription at once, then gives the socket a grace period to
   * deliver what it holds (the `dropped` frame last). */
  for (gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;;)
    {
      if (server_has_subscriptions (server, 0))
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (G_USEC_PER_SEC / 10);
    }

  WAIT_UNTIL (pi_source_get_n_dropped (source) > 0, TIMEOUT_S);
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_LIVE && pi_source_get_n_reconnects (source) >= 1,
              TIMEOUT_S);
  for (guint i = 0; i < messages->len; i++)
    {
      PiMessage *message = g_ptr_array_index (messages, i);

      if (pi_message_get_kind (message) == PI_MESSAGE_KIND_DROPPED && dropped == NULL)
        dropped = message;
      else if (pi_message_get_kind (message) == PI_MESSAGE_KIND_GAP)
        gap = TRUE;
      else if (pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED)
        n_real++;
    }
  g_test_message ("%u of %u messages received, %" G_GUINT64_FORMAT " dropped by the server",
                  n_real, n_batches * per_batch, pi_source_get_n_dropped (source));
  g_assert_nonnull (dropped);
  g_assert_cmpstr (pi_message_get_dropped_reason (dropped), ==, "too-slow");
  g_assert_true (gap);
  g_assert_cmpuint (n_real, <, n_batches * per_batch);

  pi_source_disconnect (source);
  server_stop (server);
}

/* --- RabbitMQ ---------------------------------------------------------------------- */

static PiTestRabbit rabbit;

static Server *
rabbit_server (void)
{
  Server *server = server_start ("--amqp", rabbit.amqp_url, NULL);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *ping = http (server, "GET", "/api/events/v1/ping", NULL);

      if (strstr (ping, "\"broker\":\"connected\"") != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
  return server;
}

/* Through RabbitMQ: routes from the CC header; a binding to an exchange
 * that does not exist gives a binding error line and the other binding
 * keeps streaming. */
static void
test_rabbitmq (void)
{
  Server *server;
  Listen *listen;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autofree char *routes = NULL;
  g_autofree char *payload = NULL;

  pi_test_rabbit_start (&rabbit, g_getenv ("PI_SOURCE_ROOT"), AMQP_EXCHANGE);
  server = rabbit_server ();
  listen = listen_start ("--root-url", server->url,
                                 "--bind", AMQP_EXCHANGE "=primary.#",
                                 "--bind", AMQP_MISSING "=#", NULL);

  WAIT_UNTIL (lines_count (listen->err, AMQP_MISSING) >= 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "pulse-listen: No messages for the binding " AMQP_MISSING "=#: Error binding queue"), ==, 1);
  g_assert_cmpuint (lines_count (listen->err, "no exchange '" AMQP_MISSING "'"), ==, 1);
  g_assert_cmpuint (lines_count (listen->err, AMQP_EXCHANGE "=primary.#:"), ==, 0);

  /* The other binding was subscribed again on its own. Its ack does not
   * show outside: publish until its queue is bound. */
  WAIT_UNTIL (lines_count (server->log, ", 1 bindings ") == 1, TIMEOUT_S);
  for (gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;
       listen_n_events (listen, "message") == 0;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      pi_test_rabbit_publish (&rabbit, "secondary.x", NULL, "{}");
      pi_test_rabbit_publish (&rabbit, "primary.x", "route.index.foo", "{\"from\":\"rabbit\"}");
      for (gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 5; g_get_monotonic_time () < until;)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
    }
  message = listen_event (listen, "message", 0);
  g_assert_cmpstr (json_object_get_string_member (message, "exchange"), ==, AMQP_EXCHANGE);
  g_assert_cmpstr (json_object_get_string_member (message, "routingKey"), ==, "primary.x");
  routes = member_json (message, "routes");
  g_assert_cmpstr (routes, ==, "[\"index.foo\"]");
  g_assert_false (json_object_get_boolean_member (message, "redelivered"));
  payload = member_json (message, "payload");
  g_assert_cmpstr (payload, ==, "{\"from\":\"rabbit\"}");

  pi_test_rabbit_publish (&rabbit, "primary.after", NULL, "2");
  WAIT_UNTIL (lines_count (listen->out, "\"primary.after\"") == 1, TIMEOUT_S);
  after = listen_event (listen, "message", listen_n_events (listen, "message") - 1);
  g_assert_cmpstr (json_object_get_string_member (after, "routingKey"), ==, "primary.after");
  /* Only what the binding matches, only from the exchange that exists. */
  g_assert_cmpuint (lines_count (listen->out, "secondary.x"), ==, 0);
  g_assert_cmpuint (lines_count (listen->out, AMQP_MISSING), ==, 0);
  g_assert_cmpuint (lines_count (listen->err, "pulse-listen: Live"), ==, 1);

  listen_stop (listen);
  server_stop (server);
}

/* Publishes "primary.<key>" until pulse-listen has printed @n messages. */
static void
publish_until (Listen     *listen,
               const char *key,
               guint       n)
{
  for (gint64 deadline = g_get_monotonic_time () + 2 * TIMEOUT_S * G_USEC_PER_SEC;
       listen_n_events (listen, "message") < n;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      pi_test_rabbit_publish (&rabbit, key, NULL, "{}");
      for (gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 5; g_get_monotonic_time () < until;)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (1000);
        }
    }
}

/* pulse-events loses RabbitMQ while pulse-listen streams over WebSocket:
 * pulse-listen says so (a gap), reconnects once pulse-events has the
 * broker again, subscribes again, and streams on. Not "Live" for good
 * with nothing coming. */
static void
test_rabbitmq_broker_lost (void)
{
  Server *server;
  Listen *listen;
  g_autoptr(JsonObject) gap = NULL;

  if (rabbit.amqp_url == NULL)
    pi_test_rabbit_start (&rabbit, g_getenv ("PI_SOURCE_ROOT"), AMQP_EXCHANGE);
  server = rabbit_server ();
  listen = listen_start ("--root-url", server->url, "--bind", AMQP_EXCHANGE "=primary.#", NULL);
  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  publish_until (listen, "primary.before", 1);

  pi_test_rabbit_close_others (&rabbit);
  WAIT_UNTIL (listen_n_events (listen, "gap") == 1, TIMEOUT_S);
  gap = listen_event (listen, "gap", 0);
  g_test_message ("gap: %s", json_object_get_string_member (gap, "reason"));
  g_assert_nonnull (strstr (json_object_get_string_member (gap, "reason"), "Lost the connection to the broker"));

  /* Live again on a new socket, with a new subscription. */
  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 2, 2 * TIMEOUT_S);
  publish_until (listen, "primary.after", listen_n_events (listen, "message") + 1);
  g_assert_cmpuint (lines_count (listen->out, "\"primary.after\""), >=, 1);
  g_assert_cmpuint (lines_count (listen->err, "No messages for the binding"), ==, 0);

  listen_stop (listen);
  server_stop (server);
}

static void
test_skipped (void)
{
  g_test_skip ("rabbitmq-server is not installed");
}

int
main (int   argc,
      char *argv[])
{
  const char *source_root = g_getenv ("PI_SOURCE_ROOT");
  gboolean with_rabbit;
  int ret;

  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);

  /* A client that stopped reading gets its `dropped` frame however late it
   * reads again (a sanitizer build on a busy machine): the server's grace
   * for it to read its close frame is stretched. */
  g_setenv ("PULSE_EVENTS_WS_CLOSE_GRACE_MS", "300000", TRUE);

  g_test_add_func ("/pi/listen-websocket/raw", test_raw);
  g_test_add_func ("/pi/listen-websocket/named", test_named);
  g_test_add_func ("/pi/listen-websocket/many-bindings", test_many_bindings);
  g_test_add_func ("/pi/listen-websocket/lifetime", test_lifetime);
  g_test_add_func ("/pi/listen-websocket/server-restart", test_server_restart);
  g_test_add_func ("/pi/listen-websocket/events-v1-url", test_events_v1_url);
  g_test_add_func ("/pi/listen-websocket/fallback", test_fallback);
  g_test_add_func ("/pi/listen-websocket/slow-caller", test_slow_caller);
  g_test_add_func ("/pi/listen-websocket/unknown-event", test_unknown_event);
  g_test_add_func ("/pi/listen-websocket/event-usage", test_event_usage);
  g_test_add_func ("/pi/listen-websocket/max-connections", test_max_connections);

  with_rabbit = source_root != NULL &&
                g_file_test ("/usr/lib/rabbitmq/bin/rabbitmq-server", G_FILE_TEST_IS_EXECUTABLE);
  g_test_add_func ("/pi/listen-websocket/rabbitmq", with_rabbit ? test_rabbitmq : test_skipped);
  g_test_add_func ("/pi/listen-websocket/rabbitmq-broker-lost", with_rabbit ? test_rabbitmq_broker_lost : test_skipped);

  ret = g_test_run ();

  pi_test_rabbit_stop (&rabbit);
  return ret;
}
