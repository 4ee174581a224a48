/* test-listen-amqp.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * pulse-listen straight to a broker, as a user runs it: `pulse-listen
 * --amqp amqp://USER@HOST:PORT/ --bind EX=PATTERN` with the password in
 * PULSE_PASSWORD, against a real RabbitMQ node (tests/rabbitmq-node) and the
 * built binary. Messages with CC routes, a missing exchange among good
 * bindings, a user restricted as PulseGuardian restricts (over TLS too, and
 * TLS refused for a wrong host or an unknown CA), a wrong password,
 * the broker restarted while streaming, and a reader that stalls while the
 * broker's queue overflows. Also PiSource itself where that is simpler: the
 * address checks, the protocol's name, the credentials flag.
 */

#include "config.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>

#include "pi-rabbit-test.h"
#include "pi-source.h"

#define EXCHANGE        "exchange/pi-listen-amqp/v1/things"
#define MISSING         "exchange/pi-listen-amqp/v1/no-such-exchange"
/* Survives a restart of the node (the other one does not). */
#define DURABLE         "exchange/pi-listen-amqp/v1/durable"
#define PULSE_USER      "pulse-user"
#define PULSE_PASS      "pulse-secret"
#define TIMEOUT_S       30

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

static PiTestRabbit rabbit;
static char *amqp_port;
static char *amqps_port;
/* SSL_CERT_FILE of the next pulse-listen, or NULL for the system's CAs. */
static const char *child_ca_file;

/* --- lines of a child's output, read as they come -------------------------------- */

typedef struct
{
  GDataInputStream *in;
  GPtrArray        *lines;   /* of char * */
  gboolean          eof;
  gboolean          echo;
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
  /* Lines of a stalled reader's whole backlog: read in big gulps. */
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (self->in), 256 * 1024);
  self->lines = g_ptr_array_new_with_free_func (g_free);
  self->name = name;
  self->echo = echo;
  lines_read (self);
  return self;
}

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

  if (self == NULL)
    return 0;
  for (guint i = 0; i < self->lines->len; i++)
    n += strstr (g_ptr_array_index (self->lines, i), needle) != NULL;
  return n;
}

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* --- pulse-listen ----------------------------------------------------------------- */

typedef struct
{
  GSubprocess *process;
  Lines       *out;      /* NULL while its stdout is not read */
  Lines       *err;
} Listen;

/* @password: PULSE_PASSWORD, or NULL for none. @read_stdout: FALSE leaves
 * the pipe unread (a stalled reader) until listen_read_stdout(). */
static Listen *
listen_startv (const char         *password,
               gboolean            read_stdout,
               const char * const *args)
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

  /* stdin a pipe: not a terminal, so no prompt. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "TASKCLUSTER_ROOT_URL");
  if (child_ca_file != NULL)
    g_subprocess_launcher_setenv (launcher, "SSL_CERT_FILE", child_ca_file, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "SSL_CERT_FILE");
  if (password != NULL)
    g_subprocess_launcher_setenv (launcher, "PULSE_PASSWORD", password, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "PULSE_PASSWORD");
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  if (read_stdout)
    self->out = lines_new (g_subprocess_get_stdout_pipe (self->process), "stdout", FALSE);
  self->err = lines_new (g_subprocess_get_stderr_pipe (self->process), "stderr", TRUE);
  return self;
}

static Listen *
listen_start (const char *password,
              const char *first_arg,
              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return listen_startv (password, TRUE, (const char * const *) args->pdata);
}

static void
listen_read_stdout (Listen *self)
{
  g_assert_null (self->out);
  self->out = lines_new (g_subprocess_get_stdout_pipe (self->process), "stdout", FALSE);
}

/* Ctrl-C: a clean exit. */
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

/* Waits for pulse-listen to end by itself, with @status, within @seconds. */
static void
listen_wait_exit (Listen *self,
                  int     status,
                  guint   seconds)
{
  g_autoptr(GError) error = NULL;

  WAIT_UNTIL (self->err->eof, seconds);
  g_subprocess_wait (self->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (self->process));
  g_assert_cmpint (g_subprocess_get_exit_status (self->process), ==, status);
}

static void
listen_free (Listen *self)
{
  if (self->out != NULL)
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

static void
spin (guint msec)
{
  for (gint64 until = g_get_monotonic_time () + msec * 1000; g_get_monotonic_time () < until;)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* --- the broker ---------------------------------------------------------------------- */

/* amqp://USER@127.0.0.1:PORT/: the address a user gives, no password. */
static char *
broker_url (const char *user)
{
  return g_strdup_printf ("amqp://%s@127.0.0.1:%s/", user, amqp_port);
}

static void
rabbit_ctl (const char *first_arg,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  va_list ap;
  int status;

  g_ptr_array_add (argv, rabbit.script);
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("rabbitmq-node %s failed: %s", first_arg, err);
}

/* The publisher's connection, again (after a restart of the node), with
 * the durable exchange declared. */
static void
publisher_connect (void)
{
  amqp_socket_t *socket;

  if (rabbit.publisher != NULL)
    amqp_destroy_connection (rabbit.publisher);
  rabbit.publisher = amqp_new_connection ();
  socket = amqp_tcp_socket_new (rabbit.publisher);
  g_assert_cmpint (amqp_socket_open (socket, "127.0.0.1", atoi (amqp_port)), ==, AMQP_STATUS_OK);
  g_assert_cmpint (amqp_login (rabbit.publisher, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                               "guest", "guest").reply_type, ==, AMQP_RESPONSE_NORMAL);
  amqp_channel_open (rabbit.publisher, 1);
  g_assert_cmpint (amqp_get_rpc_reply (rabbit.publisher).reply_type, ==, AMQP_RESPONSE_NORMAL);
  amqp_exchange_declare (rabbit.publisher, 1, amqp_cstring_bytes (DURABLE), amqp_cstring_bytes ("topic"),
                         FALSE, TRUE, FALSE, FALSE, amqp_empty_table);
  g_assert_cmpint (amqp_get_rpc_reply (rabbit.publisher).reply_type, ==, AMQP_RESPONSE_NORMAL);
}

static void
publish_durable (const char *routing_key,
                 const char *payload)
{
  g_assert_cmpint (amqp_basic_publish (rabbit.publisher, 1, amqp_cstring_bytes (DURABLE),
                                       amqp_cstring_bytes (routing_key), FALSE, FALSE,
                                       NULL, amqp_cstring_bytes (payload)), ==, AMQP_STATUS_OK);
}

static void
ensure_rabbit (void)
{
  if (rabbit.amqp_url != NULL)
    return;

  /* With a TLS listener too, its certificates made by tests/rabbitmq-node. */
  pi_test_rabbit_start_tls (&rabbit, g_getenv ("PI_SOURCE_ROOT"), EXCHANGE);
  amqp_port = g_strndup (strrchr (rabbit.amqp_url, ':') + 1, strspn (strrchr (rabbit.amqp_url, ':') + 1, "0123456789"));
  amqps_port = g_strndup (strrchr (rabbit.amqps_url, ':') + 1, strspn (strrchr (rabbit.amqps_url, ':') + 1, "0123456789"));
  publisher_connect ();

  /* A user as PulseGuardian makes them: its own queues and exchanges,
   * and reading every exchange. */
  rabbit_ctl ("ctl", rabbit.dir, "add_user", PULSE_USER, PULSE_PASS, NULL);
  rabbit_ctl ("ctl", rabbit.dir, "set_permissions", "-p", "/", PULSE_USER,
              "^(queue/" PULSE_USER "/.*|exchange/" PULSE_USER "/.*)",
              "^(queue/" PULSE_USER "/.*|exchange/" PULSE_USER "/.*)",
              "^(queue/" PULSE_USER "/.*|exchange/.*)", NULL);
}

/* --- without a broker -------------------------------------------------------------- */

/* A password in the address is refused in words that do not repeat it;
 * --amqp takes no --server; without PULSE_PASSWORD and a terminal, the
 * error says how to give the password. */
static void
test_address (void)
{
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = NULL;
  Listen *listen;

  pi_source_set_server_url (source, "amqps://someone:hunter2@broker.example.com/");
  g_assert_false (pi_source_connect (source, &error));
  g_assert_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL);
  g_test_message ("%s", error->message);
  g_assert_null (strstr (error->message, "hunter2"));
  g_assert_nonnull (strstr (error->message, "amqps://someone@broker.example.com/"));
  g_assert_cmpint (pi_source_get_state (source), ==, PI_STREAM_STATE_FAILED);
  g_clear_error (&error);

  /* Nor when the address is wrong otherwise. */
  g_assert_null (pi_source_check_amqp_address (" amqps://someone:hunter2@broker.example.com:port/", &error));
  g_assert_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL);
  g_test_message ("%s", error->message);
  g_assert_null (strstr (error->message, "hunter2"));
  g_clear_error (&error);

  /* Nor when the password holds what ends a URL's authority. */
  {
    static const char * const passwords[] = { "pa/ss", "pa#ss", "pa?ss", "50%off" };

    for (guint i = 0; i < G_N_ELEMENTS (passwords); i++)
      {
        g_autofree char *url = g_strdup_printf ("amqps://someone:%s@broker.example.com/", passwords[i]);

        g_assert_null (pi_source_check_amqp_address (url, &error));
        g_assert_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL);
        g_test_message ("%s", error->message);
        g_assert_null (strstr (error->message, passwords[i]));
        g_clear_error (&error);
      }
  }

  shown = pi_source_check_amqp_address ("amqps://someone@broker.example.com", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (shown, "someone@broker.example.com"));
  g_assert_cmpuint (pi_source_get_queue_length (source), ==, PI_SOURCE_DEFAULT_QUEUE_LENGTH);
  pi_source_set_queue_length (source, 50);
  g_assert_cmpuint (pi_source_get_queue_length (source), ==, 50);

  listen = listen_start ("x", "--amqp", "amqps://someone:hunter2@broker.example.com/", "-b", EXCHANGE, NULL);
  listen_wait_exit (listen, 2, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "holds a password"), ==, 1);
  g_assert_cmpuint (lines_count (listen->err, "hunter2"), ==, 0);
  listen_free (listen);

  listen = listen_start ("x", "--amqp", "amqps://someone:pa/ss@broker.example.com/", "-b", EXCHANGE, NULL);
  listen_wait_exit (listen, 2, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "pa/ss"), ==, 0);
  listen_free (listen);

  listen = listen_start ("x", "--amqp", "amqp://someone@127.0.0.1/", "--server", "http://127.0.0.1:1",
                         "-b", EXCHANGE, NULL);
  listen_wait_exit (listen, 2, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "cannot be combined with --server"), ==, 1);
  listen_free (listen);

  listen = listen_start (NULL, "--amqp", "amqp://someone@127.0.0.1/", "-b", EXCHANGE, NULL);
  listen_wait_exit (listen, 2, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "No password for the broker user “someone”"), ==, 1);
  g_assert_cmpuint (lines_count (listen->err, "PULSE_PASSWORD"), ==, 1);
  listen_free (listen);
}

/* No broker at the address: a few attempts, said as they go, then the end
 * in words; not a silent wait for ever. */
static void
test_unreachable (void)
{
  Listen *listen = listen_start ("x", "--amqp", "amqp://guest@127.0.0.1:1/", "-b", EXCHANGE, NULL);
  const char *last;

  listen_wait_exit (listen, 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "Reconnecting in"), >=, 1);
  last = g_ptr_array_index (listen->err->lines, listen->err->lines->len - 1);
  g_assert_nonnull (strstr (last, "127.0.0.1:1"));
  g_assert_null (strstr (last, "Reconnecting"));
  listen_free (listen);
}

/* --- with a broker ------------------------------------------------------------------ */

/* Messages with CC routes as JSON Lines; a binding to an exchange that does
 * not exist says so on stderr, and the others stream. */
static void
test_messages (void)
{
  g_autofree char *url = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *routes = NULL;
  g_autofree char *payload = NULL;
  Listen *listen;

  ensure_rabbit ();
  url = broker_url ("guest");
  listen = listen_start ("guest", "--amqp", url,
                         "--bind", EXCHANGE "=primary.#",
                         "--bind", MISSING "=#", NULL);

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "pulse-listen: No messages for the binding " MISSING "=#: "), ==, 1);
  g_assert_cmpuint (lines_count (listen->err, EXCHANGE "=primary.#:"), ==, 0);

  pi_test_rabbit_publish (&rabbit, "secondary.x", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "primary.x", "route.index.foo", "{\"from\":\"rabbit\",\"n\":[1,2]}");
  pi_test_rabbit_publish (&rabbit, "primary.text", NULL, "not JSON");
  WAIT_UNTIL (listen_n_events (listen, "message") == 2, TIMEOUT_S);

  message = listen_event (listen, "message", 0);
  g_assert_cmpstr (json_object_get_string_member (message, "exchange"), ==, EXCHANGE);
  g_assert_cmpstr (json_object_get_string_member (message, "routingKey"), ==, "primary.x");
  routes = member_json (message, "routes");
  g_assert_cmpstr (routes, ==, "[\"index.foo\"]");
  g_assert_false (json_object_get_boolean_member (message, "redelivered"));
  payload = member_json (message, "payload");
  g_assert_cmpstr (payload, ==, "{\"from\":\"rabbit\",\"n\":[1,2]}");

  /* A body that is not JSON is kept whole, and says why it is not decoded. */
  second = listen_event (listen, "message", 1);
  g_assert_nonnull (strstr (json_object_get_string_member (second, "undecodable"), "not JSON"));
  g_assert_nonnull (strstr (json_object_get_string_member (second, "undecodable"), "primary.text"));
  g_assert_nonnull (json_object_get_string_member (second, "error"));

  spin (300);
  g_assert_cmpuint (lines_count (listen->out, "secondary.x"), ==, 0);
  g_assert_cmpuint (listen_n_events (listen, "message"), ==, 2);
  listen_stop (listen);
}

/* A user restricted as PulseGuardian restricts: the queue is named
 * queue/USER/…, so it may declare it; it streams. */
static void
test_pulse_user (void)
{
  g_autofree char *url = NULL;
  g_autoptr(JsonObject) message = NULL;
  Listen *listen;

  ensure_rabbit ();
  url = broker_url (PULSE_USER);
  listen = listen_start (PULSE_PASS, "--amqp", url, "--bind", EXCHANGE "=#", NULL);
  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  pi_test_rabbit_publish (&rabbit, "pulse.one", "route.a.b", "{\"user\":\"pulse\"}");
  WAIT_UNTIL (listen_n_events (listen, "message") == 1, TIMEOUT_S);
  message = listen_event (listen, "message", 0);
  g_assert_cmpstr (json_object_get_string_member (message, "routingKey"), ==, "pulse.one");
  g_assert_cmpuint (lines_count (listen->err, "No messages for the binding"), ==, 0);
  listen_stop (listen);
}

/* amqps:// with a PulseGuardian-style user, the broker's certificate
 * verified against the test's CA: it streams, and PiSource names the
 * protocol "AMQP over TLS". */
static void
test_tls (void)
{
  g_autofree char *url = NULL;
  g_autofree char *routes = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  Listen *listen;

  ensure_rabbit ();
  url = g_strdup_printf ("amqps://%s@localhost:%s/", PULSE_USER, amqps_port);
  child_ca_file = rabbit.tls_ca_file;
  listen = listen_start (PULSE_PASS, "--amqp", url, "--bind", EXCHANGE "=tls.#", NULL);
  child_ca_file = NULL;
  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  pi_test_rabbit_publish (&rabbit, "tls.x", "route.over.tls", "{\"over\":\"tls\"}");
  WAIT_UNTIL (listen_n_events (listen, "message") == 1, TIMEOUT_S);
  message = listen_event (listen, "message", 0);
  routes = member_json (message, "routes");
  g_assert_cmpstr (routes, ==, "[\"over.tls\"]");
  listen_stop (listen);

  g_setenv ("SSL_CERT_FILE", rabbit.tls_ca_file, TRUE);
  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "tls.#"));
  pi_source_set_server_url (source, url);
  pi_source_set_bindings (source, bindings);
  pi_source_set_password (source, PULSE_PASS);
  g_assert_true (pi_source_connect (source, NULL));
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_LIVE, TIMEOUT_S);
  g_assert_cmpstr (pi_source_get_protocol_name (source), ==, "AMQP over TLS");
  pi_source_disconnect (source);
  g_unsetenv ("SSL_CERT_FILE");
}

/* A broker whose certificate is for another host, or signed by an
 * authority this computer does not trust: refused in words about the
 * certificate, never retried. */
static void
test_tls_refused (void)
{
  g_autofree char *wrong_host = NULL;
  g_autofree char *good_host = NULL;
  struct { const char *url; const char *ca; } cases[2];

  ensure_rabbit ();
  wrong_host = g_strdup_printf ("amqps://guest@127.0.0.1:%s/", amqps_port);
  good_host = g_strdup_printf ("amqps://guest@localhost:%s/", amqps_port);
  cases[0].url = wrong_host;
  cases[0].ca = rabbit.tls_ca_file;
  cases[1].url = good_host;
  cases[1].ca = rabbit.tls_unknown_ca_file;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *last;
      Listen *listen;

      child_ca_file = cases[i].ca;
      listen = listen_start ("guest", "--amqp", cases[i].url, "--bind", EXCHANGE "=#", NULL);
      child_ca_file = NULL;
      listen_wait_exit (listen, 1, TIMEOUT_S);
      last = g_ptr_array_index (listen->err->lines, listen->err->lines->len - 1);
      g_assert_nonnull (strstr (last, "certificate"));
      g_assert_cmpuint (lines_count (listen->err, "Reconnecting"), ==, 0);
      g_assert_cmpuint (lines_count (listen->err, "Live"), ==, 0);
      listen_free (listen);
    }
}

/* Every binding refused: nothing would ever come, so pulse-listen ends
 * with the broker's reason in words. */
static void
test_all_refused (void)
{
  g_autofree char *url = NULL;
  Listen *listen;

  ensure_rabbit ();
  url = broker_url ("guest");
  listen = listen_start ("guest", "--amqp", url, "--bind", MISSING "=#", NULL);
  listen_wait_exit (listen, 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "does not exist"), >=, 1);
  g_assert_cmpuint (lines_count (listen->err, "Reconnecting"), ==, 0);
  listen_free (listen);
}

/* On a terminal, without PULSE_PASSWORD: the password is asked for and
 * not echoed, and it works. */
static void
test_prompt (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) terminal = g_string_new (NULL);
  g_autofree char *url = NULL;
  Listen *listen = g_new0 (Listen, 1);
  int master, slave;

  ensure_rabbit ();
  url = broker_url ("guest");
  g_assert_cmpint (openpty (&master, &slave, NULL, NULL, NULL), ==, 0);
  g_unix_set_fd_nonblocking (master, TRUE, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "PULSE_PASSWORD");
  g_subprocess_launcher_take_stdin_fd (launcher, slave);
  listen->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PULSE_LISTEN"),
                                                 "--amqp", url, "--bind", EXCHANGE "=prompt.#", NULL);
  g_assert_no_error (error);
  listen->out = lines_new (g_subprocess_get_stdout_pipe (listen->process), "stdout", FALSE);
  listen->err = lines_new (g_subprocess_get_stderr_pipe (listen->process), "stderr", TRUE);

  /* The prompt has no line end: wait for the terminal to be quiet. */
  for (gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;;)
    {
      struct termios attributes;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (tcgetattr (master, &attributes) == 0 && !(attributes.c_lflag & ECHO))
        break;
      spin (20);
    }
  g_assert_cmpint (write (master, "guest\n", 6), ==, 6);
  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "Password for amqp://guest@127.0.0.1:"), ==, 1);

  /* What the terminal showed: the line end, not the password. */
  for (;;)
    {
      char buffer[256];
      gssize n = read (master, buffer, sizeof buffer);

      if (n <= 0)
        break;
      g_string_append_len (terminal, buffer, n);
    }
  g_assert_null (strstr (terminal->str, "guest"));

  pi_test_rabbit_publish (&rabbit, "prompt.x", NULL, "{}");
  WAIT_UNTIL (listen_n_events (listen, "message") == 1, TIMEOUT_S);
  listen_stop (listen);
  close (master);
}

/* A wrong password: pulse-listen says so and exits, without trying again;
 * PiSource says that other credentials may help. */
static void
test_wrong_password (void)
{
  g_autofree char *url = NULL;
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 start = g_get_monotonic_time ();
  Listen *listen;

  ensure_rabbit ();
  url = broker_url (PULSE_USER);
  listen = listen_start ("wrong", "--amqp", url, "--bind", EXCHANGE "=#", NULL);
  listen_wait_exit (listen, 1, TIMEOUT_S);
  g_test_message ("exited after %.1f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpuint (lines_count (listen->err, "Reconnecting"), ==, 0);
  g_assert_cmpuint (lines_count (listen->err, "wrong"), ==, 0);
  /* The last line is the reason, in words that name the user. */
  g_assert_nonnull (strstr (g_ptr_array_index (listen->err->lines, listen->err->lines->len - 1), PULSE_USER));
  listen_free (listen);

  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "#"));
  pi_source_set_server_url (source, url);
  pi_source_set_bindings (source, bindings);
  pi_source_set_password (source, "wrong");
  g_assert_true (pi_source_connect (source, NULL));
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_FAILED, TIMEOUT_S);
  g_assert_true (pi_source_get_needs_credentials (source));
  g_assert_cmpuint (pi_source_get_n_reconnects (source), ==, 0);
  /* Still failed a while later: nothing tries again. */
  spin (2000);
  g_assert_cmpint (pi_source_get_state (source), ==, PI_STREAM_STATE_FAILED);
  pi_source_disconnect (source);
}

static void
count_messages (PiSource  *source,
                GPtrArray *batch,
                guint     *n)
{
  for (guint i = 0; i < batch->len; i++)
    if (pi_message_get_kind (g_ptr_array_index (batch, i)) == PI_MESSAGE_KIND_DECODED)
      (*n)++;
}

static void
count_dropped_markers (PiSource  *source,
                       GPtrArray *batch,
                       guint     *n)
{
  for (guint i = 0; i < batch->len; i++)
    if (pi_message_get_kind (g_ptr_array_index (batch, i)) == PI_MESSAGE_KIND_DROPPED)
      (*n)++;
}

/* Disconnecting from a broker that accepted the connection and says
 * nothing (the login waits up to 10 s) returns at once: the window does
 * not freeze. */
static void
test_disconnect_silent (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint16 port;
  gint64 start;
  double took;

  /* Listening, never accepting: the kernel completes the handshake. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("amqp://guest@127.0.0.1:%u/", port);
  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "silent.#"));
  pi_source_set_server_url (source, url);
  pi_source_set_bindings (source, bindings);
  pi_source_set_password (source, "guest");
  g_assert_true (pi_source_connect (source, NULL));
  spin (500);
  g_assert_cmpint (pi_source_get_state (source), !=, PI_STREAM_STATE_LIVE);

  start = g_get_monotonic_time ();
  pi_source_disconnect (source);
  took = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("disconnecting took %.3f s", took);
  g_assert_cmpfloat (took, <, 2.0);

  g_socket_listener_close (listener);
  spin (200);
}

/* PiSource itself: live as "AMQP", messages counted. */
static void
test_source (void)
{
  g_autofree char *url = NULL;
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = 0;

  ensure_rabbit ();
  url = broker_url ("guest");
  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "source.#"));
  pi_source_set_server_url (source, url);
  pi_source_set_bindings (source, bindings);
  pi_source_set_password (source, "guest");
  g_signal_connect (source, "messages", G_CALLBACK (count_messages), &n);
  g_assert_true (pi_source_connect (source, NULL));
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_LIVE, TIMEOUT_S);
  g_assert_cmpstr (pi_source_get_protocol_name (source), ==, "AMQP");
  g_assert_null (strstr (pi_source_get_connect_url (source), "guest:"));

  for (guint i = 0; i < 500; i++)
    pi_test_rabbit_publish (&rabbit, "source.x", NULL, "{\"i\":1}");
  WAIT_UNTIL (n == 500, TIMEOUT_S);
  g_assert_cmpuint (pi_source_get_n_messages (source), ==, 500);
  g_assert_cmpuint (pi_source_get_n_dropped (source), ==, 0);
  pi_source_disconnect (source);
}

/* The caller's main loop stalls while 3,000 messages come past a queue of
 * 100: what waited for it in memory when it resumes is a few hundred
 * messages (the window of 200 unacknowledged and as many acknowledged
 * while it kept up), not the thousands; the broker dropped the rest, and
 * they are counted. */
static void
test_source_stalled (void)
{
  const guint n = 3000;
  g_autofree char *url = NULL;
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  guint64 before, first_take;
  guint received = 0;
  guint markers = 0;

  ensure_rabbit ();
  url = broker_url ("guest");
  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "stalled.#"));
  pi_source_set_server_url (source, url);
  pi_source_set_bindings (source, bindings);
  pi_source_set_password (source, "guest");
  pi_source_set_queue_length (source, 100);
  g_signal_connect (source, "messages", G_CALLBACK (count_messages), &received);
  g_signal_connect (source, "messages", G_CALLBACK (count_dropped_markers), &markers);
  g_assert_true (pi_source_connect (source, NULL));
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_LIVE, TIMEOUT_S);

  /* Not iterating the main context: the caller is stalled. A millisecond
   * apart, so that the broker drops them one at a time. */
  for (guint i = 0; i < n; i++)
    {
      pi_test_rabbit_publish (&rabbit, "stalled.x", NULL, "{\"i\":1}");
      g_usleep (1000);
    }
  g_usleep (3 * G_USEC_PER_SEC);

  before = pi_source_get_n_messages (source);
  g_main_context_iteration (NULL, FALSE);
  first_take = pi_source_get_n_messages (source) - before;
  g_test_message ("first take after the stall: %" G_GUINT64_FORMAT " messages", first_take);
  g_assert_cmpuint (first_take, >, 0);
  g_assert_cmpuint (first_take, <=, 450);

  WAIT_UNTIL (pi_source_get_n_messages (source) + pi_source_get_n_dropped (source) >= n, TIMEOUT_S);
  spin (500);
  g_test_message ("received %u, dropped %" G_GUINT64_FORMAT, received, pi_source_get_n_dropped (source));
  g_assert_cmpuint (received + pi_source_get_n_dropped (source), ==, n);
  g_assert_cmpuint (pi_source_get_n_dropped (source), >, 0);
  /* The drops of the stall, counted in a few markers, not one each. */
  g_test_message ("%u dropped markers", markers);
  g_assert_cmpuint (markers, >=, 1);
  g_assert_cmpuint (markers, <=, 10);
  pi_source_disconnect (source);
}

/* The reader stalls (pulse-listen's stdout is not read) while N messages,
 * many more than the queue holds, are published; then it reads. Every
 * message is either printed or counted as dropped, exactly N in all. */
static void
test_stalled_reader (void)
{
  const guint n = 3000;
  const char *args[] = { "--amqp", NULL, "--queue-length", "100", "--bind", EXCHANGE "=stall.#", NULL };
  g_autofree char *url = NULL;
  g_autofree char *payload = NULL;
  guint64 printed = 0, dropped = 0;
  guint markers = 0;
  Listen *listen;

  ensure_rabbit ();
  url = broker_url ("guest");
  args[1] = url;
  listen = listen_startv ("guest", FALSE, args);
  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);

  /* 1 KiB each: the pipe holds a few dozen, pulse-listen blocks on it. */
  payload = g_strdup_printf ("{\"pad\":\"%01000d\"}", 0);
  for (guint i = 0; i < n; i++)
    {
      pi_test_rabbit_publish (&rabbit, "stall.x", NULL, payload);
      g_usleep (1000);
    }
  /* Time for the broker to drop past the length and count it. */
  spin (3000);

  listen_read_stdout (listen);
  for (gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;;)
    {
      printed = listen_n_events (listen, "message");
      dropped = 0;
      markers = 0;
      for (guint i = 0; i < listen->out->lines->len; i++)
        {
          const char *line = g_ptr_array_index (listen->out->lines, i);

          if (strstr (line, "\"event\":\"dropped\"") != NULL)
            {
              g_autoptr(JsonNode) node = json_from_string (line, NULL);

              markers++;
              dropped += json_object_get_int_member (json_node_get_object (node), "count");
            }
        }
      if (printed + dropped >= n || g_get_monotonic_time () > deadline)
        break;
      spin (100);
    }
  /* And nothing more after. */
  spin (1000);
  g_test_message ("printed %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT, printed, dropped);
  g_assert_cmpuint (listen_n_events (listen, "message"), ==, printed);
  g_assert_cmpuint (printed + dropped, ==, n);
  g_assert_cmpuint (dropped, >, 0);
  /* The drops of the stall in a few lines, not one each. */
  g_test_message ("%u dropped lines", markers);
  g_assert_cmpuint (markers, <=, 10);
  g_assert_cmpuint (printed, >, 100);
  listen_stop (listen);
}

/* The node is killed and started again while pulse-listen streams: a gap,
 * then messages again on a new connection and queue. */
static void
test_broker_restart (void)
{
  g_autofree char *url = NULL;
  g_autoptr(JsonObject) gap = NULL;
  Listen *listen;

  ensure_rabbit ();
  url = broker_url ("guest");
  listen = listen_start ("guest", "--amqp", url, "--bind", DURABLE "=#", NULL);
  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 1, TIMEOUT_S);
  publish_durable ("before", "{\"n\":1}");
  WAIT_UNTIL (listen_n_events (listen, "message") == 1, TIMEOUT_S);

  rabbit_ctl ("kill", rabbit.dir, NULL);
  WAIT_UNTIL (listen_n_events (listen, "gap") == 1, TIMEOUT_S);
  gap = listen_event (listen, "gap", 0);
  g_test_message ("gap: %s", json_object_get_string_member (gap, "reason"));
  rabbit_ctl ("restart", rabbit.dir, NULL);
  publisher_connect ();

  WAIT_UNTIL (lines_count (listen->err, "pulse-listen: Live") == 2, 3 * TIMEOUT_S);
  publish_durable ("after", "{\"n\":2}");
  WAIT_UNTIL (lines_count (listen->out, "\"routingKey\":\"after\"") == 1, TIMEOUT_S);
  g_assert_cmpuint (lines_count (listen->err, "No messages for the binding"), ==, 0);
  /* The gap lies between the two. */
  g_assert_nonnull (strstr (g_ptr_array_index (listen->out->lines, 1), "\"event\":\"gap\""));
  listen_stop (listen);
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

  with_rabbit = source_root != NULL &&
                g_file_test ("/usr/lib/rabbitmq/bin/rabbitmq-server", G_FILE_TEST_IS_EXECUTABLE);

  g_test_add_func ("/pi/listen-amqp/address", test_address);
  g_test_add_func ("/pi/listen-amqp/unreachable", test_unreachable);
  g_test_add_func ("/pi/listen-amqp/disconnect-silent", test_disconnect_silent);
  g_test_add_func ("/pi/listen-amqp/messages", with_rabbit ? test_messages : test_skipped);
  g_test_add_func ("/pi/listen-amqp/pulse-user", with_rabbit ? test_pulse_user : test_skipped);
  g_test_add_func ("/pi/listen-amqp/tls", with_rabbit ? test_tls : test_skipped);
  g_test_add_func ("/pi/listen-amqp/tls-refused", with_rabbit ? test_tls_refused : test_skipped);
  g_test_add_func ("/pi/listen-amqp/all-refused", with_rabbit ? test_all_refused : test_skipped);
  g_test_add_func ("/pi/listen-amqp/prompt", with_rabbit ? test_prompt : test_skipped);
  g_test_add_func ("/pi/listen-amqp/wrong-password", with_rabbit ? test_wrong_password : test_skipped);
  g_test_add_func ("/pi/listen-amqp/source", with_rabbit ? test_source : test_skipped);
  g_test_add_func ("/pi/listen-amqp/source-stalled", with_rabbit ? test_source_stalled : test_skipped);
  g_test_add_func ("/pi/listen-amqp/stalled-reader", with_rabbit ? test_stalled_reader : test_skipped);
  /* Last: it kills the node. */
  g_test_add_func ("/pi/listen-amqp/broker-restart", with_rabbit ? test_broker_restart : test_skipped);

  ret = g_test_run ();
  pi_test_rabbit_stop (&rabbit);
  g_free (amqp_port);
  g_free (amqps_port);
  return ret;
}
