/* test-amqp-tls.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * pulse-events speaking amqps:// to a real RabbitMQ node with a TLS
 * listener (tests/rabbitmq-node start-tls: a CA and certificates made by
 * the test). A client that trusts the node's CA streams; one that does not
 * (an unknown CA, or only the system's CAs) and one that connects by a name
 * the certificate is not for are refused, say why in words, and leave no
 * connection on the node: nothing passes unverified. The CA file reaches
 * the server through SSL_CERT_FILE, as it would for any OpenSSL program.
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pi-rabbit-test.h"

#define EXCHANGE  "exchange/pi-tls-test/v1/things"
#define BINDINGS  "{\"bindings\":[{\"exchange\":\"" EXCHANGE "\",\"routingKeyPattern\":\"primary.#\"}]}"
#define TIMEOUT_S 20
/* The server's own words before the broker's reason (src/server/pi-server.c). */
#define UNREACHABLE "The server cannot reach its broker: "

static PiTestRabbit rabbit;
static const char *skip_reason;

/* --- the server ----------------------------------------------------------- */

typedef struct
{
  GSubprocess *process;
  guint16      port;
  SoupSession *session;
} Server;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* pulse-events on @url, trusting @ca_file only (NULL: the system's CAs). */
static Server *
server_start (const char *url,
              const char *ca_file)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *log = NULL;
  static guint n_started;
  Server *server = g_new0 (Server, 1);

  log = g_strdup_printf ("%s/pulse-events-%u.log", rabbit.dir, n_started++);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* A warning in the server must not abort it: it is under test, not a test. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  if (ca_file != NULL)
    g_subprocess_launcher_setenv (launcher, "SSL_CERT_FILE", ca_file, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "SSL_CERT_FILE");
  g_subprocess_launcher_unsetenv (launcher, "SSL_CERT_DIR");
  server->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PULSE_EVENTS"),
                                                 "--amqp", url, "--listen", "127.0.0.1:0",
                                                 "--ping-interval", "1", NULL);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Listening on http://127.0.0.1:"));
  server->port = (guint16) atoi (strrchr (line, ':') + 1);
  g_assert_cmpuint (server->port, >, 0);

  server->session = soup_session_new_with_options ("timeout", TIMEOUT_S, NULL);
  return server;
}

static void
server_stop (Server *server)
{
  soup_session_abort (server->session);
  g_object_unref (server->session);
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, NULL);
  g_object_unref (server->process);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_stop)

static char *
server_url (Server     *server,
            const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u/api/events/v1%s", server->port, path);
}

/* GET @path: the status, and the body in @body. */
static guint
server_get (Server     *server,
            const char *path,
            char      **body)
{
  g_autofree char *url = server_url (server, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = soup_session_send_and_read (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

/* A string member of the JSON object @json, or NULL. */
static char *
json_member (const char *json,
             const char *name)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (object, name))
    return NULL;
  return g_strdup (json_object_get_string_member (object, name));
}

/* Waits for the server's first verdict on its broker, past "connecting":
 * "connected", or "reconnecting" or "failed" with the reason in @broker_error. */
static char *
server_wait_broker (Server  *server,
                    char   **broker_error)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *ping = NULL;
      g_autofree char *state = NULL;

      g_assert_cmpuint (server_get (server, "/ping", &ping), ==, 200);
      state = json_member (ping, "broker");
      *broker_error = json_member (ping, "brokerError");
      if (g_strcmp0 (state, "connecting") != 0)
        return g_steal_pointer (&state);
      g_clear_pointer (broker_error, g_free);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
}

/* --- a stream --------------------------------------------------------------- */

typedef struct
{
  SoupMessage      *msg;
  GDataInputStream *lines;
} Stream;

static void
stream_free (Stream *stream)
{
  g_object_unref (stream->lines);
  g_object_unref (stream->msg);
  g_free (stream);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stream, stream_free)

/* Opens an events v1 stream on BINDINGS: its status and, on a 200, the
 * stream in @stream; on anything else the body in @body. */
static guint
stream_open (Server  *server,
             Stream **stream,
             char   **body)
{
  g_autofree char *escaped = g_uri_escape_string (BINDINGS, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/connect/?bindings=%s", escaped);
  g_autofree char *url = server_url (server, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  soup_message_headers_append (soup_message_get_request_headers (msg), "Accept", "text/event-stream");
  input = soup_session_send (server->session, msg, NULL, &error);
  g_assert_no_error (error);
  status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_OK)
    {
      *stream = g_new0 (Stream, 1);
      (*stream)->msg = g_steal_pointer (&msg);
      (*stream)->lines = g_data_input_stream_new (input);
    }
  else
    {
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

      g_output_stream_splice (out, input, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
      g_assert_no_error (error);
      *body = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                         g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
    }
  return status;
}

/* The next event but pings, whole ("event: ...\ndata: ...\n"). */
static char *
stream_next (Stream *stream)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GString) event = g_string_new (NULL);
      g_autoptr(GError) error = NULL;

      for (;;)
        {
          g_autofree char *line = g_data_input_stream_read_line_utf8 (stream->lines, NULL, NULL, &error);

          g_assert_no_error (error);
          g_assert_nonnull (line);
          if (line[0] == '\0')
            break;
          if (!g_str_has_prefix (line, "id:"))
            g_string_append_printf (event, "%s\n", line);
        }
      if (!g_str_has_prefix (event->str, "event: ping\n"))
        return g_string_free (g_steal_pointer (&event), FALSE);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
}

/* --- checks ---------------------------------------------------------------- */

/* Waits until the node has no TLS client left (a server of an earlier case
 * that was just stopped), so that a count of 0 later means something. */
static void
wait_no_tls_connection (void)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_S * G_USEC_PER_SEC;

  while (pi_test_rabbit_count_tls_connections (&rabbit) > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (200 * 1000);
    }
}

static gboolean
contains_word (const char *text,
               const char *word)
{
  g_autofree char *lower = g_ascii_strdown (text, -1);

  return strstr (lower, word) != NULL;
}

/* A server refused by TLS: no stream but a 503 whose reason in words
 * (also in /ping) names the broker and holds @word; no connection on the
 * node, and none after a few retries either. */
static void
assert_refused (const char *url,
                const char *ca_file,
                const char *broker,
                const char *word)
{
  g_autoptr(Server) server = NULL;
  g_autoptr(Stream) stream = NULL;
  g_autofree char *state = NULL;
  g_autofree char *broker_error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *message = NULL;

  wait_no_tls_connection ();
  server = server_start (url, ca_file);
  state = server_wait_broker (server, &broker_error);
  g_test_message ("broker %s: %s", state, broker_error);
  /* A certificate refused is a refusal: never retried. */
  g_assert_cmpstr (state, ==, "failed");
  g_assert_nonnull (broker_error);
  g_assert_nonnull (strstr (broker_error, broker));
  g_assert_true (contains_word (broker_error, word));

  /* A new stream is told the same reason, and gets no stream at all. */
  g_assert_cmpuint (stream_open (server, &stream, &body), ==, SOUP_STATUS_SERVICE_UNAVAILABLE);
  g_assert_null (stream);
  message = json_member (body, "message");
  g_test_message ("503: %s", message);
  g_assert_true (g_str_has_prefix (message, UNREACHABLE));
  g_assert_nonnull (strstr (message, broker));
  g_assert_true (contains_word (message, word));

  /* The words a person needs: that it is about the broker's certificate. */
  g_assert_true (contains_word (broker_error, "certificate"));

  /* Never let through, and not tried again: the node never saw a
   * connection, and the server still says why. */
  g_usleep (1500 * 1000);
  g_assert_cmpuint (pi_test_rabbit_count_tls_connections (&rabbit), ==, 0);
  g_clear_pointer (&broker_error, g_free);
  g_clear_pointer (&state, g_free);
  state = server_wait_broker (server, &broker_error);
  g_assert_cmpstr (state, ==, "failed");
  g_assert_nonnull (broker_error);
}

/* --- tests ----------------------------------------------------------------- */

static gboolean
on_accept_certificate (GTlsConnection       *connection,
                       GTlsCertificate      *peer,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  *(GTlsCertificateFlags *) user_data = errors;
  return FALSE;
}

/* What GIO's TLS (GnuTLS, not the OpenSSL under test) finds wrong with the
 * node's certificate, reached by @host and trusting @ca_file; and whose
 * certificate it was, in @subject. */
static GTlsCertificateFlags
fixture_errors (const char  *host,
                const char  *ca_file,
                char       **subject)
{
  guint16 port = (guint16) atoi (strrchr (rabbit.amqps_url, ':') + 1);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) tcp = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new (host, port);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags errors = 0;

  database = g_tls_file_database_new (ca_file, &error);
  g_assert_no_error (error);
  tcp = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &error);
  g_assert_no_error (error);
  g_tls_connection_set_database (G_TLS_CONNECTION (tls), database);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (on_accept_certificate), &errors);

  if (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error))
    g_assert_cmpuint (errors, ==, 0);
  else
    g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  *subject = g_tls_certificate_get_subject_name (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls)));
  g_io_stream_close (tls, NULL, NULL);
  return errors;
}

/* Each case of the node's TLS listener is wrong in one way only, whatever
 * the client: otherwise a refusal below would prove less than it claims. */
static void
test_fixture (void)
{
  g_autofree char *good = NULL;
  g_autofree char *wrong_host = NULL;
  g_autofree char *unknown_ca = NULL;

  g_assert_cmpuint (fixture_errors ("localhost", rabbit.tls_ca_file, &good), ==, 0);
  g_assert_cmpstr (good, ==, "CN=localhost");
  g_assert_cmpuint (fixture_errors ("127.0.0.1", rabbit.tls_ca_file, &wrong_host), ==,
                    G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpstr (wrong_host, ==, "CN=wrong.example");
  g_assert_cmpuint (fixture_errors ("localhost", rabbit.tls_unknown_ca_file, &unknown_ca), ==,
                    G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_cmpstr (unknown_ca, ==, "CN=localhost");
}

/* Trusting the node's CA, by the name its certificate is for: messages flow,
 * over TLS. */
static void
test_verified (void)
{
  g_autoptr(Server) server = NULL;
  g_autoptr(Stream) stream = NULL;
  g_autofree char *broker_error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *body = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *event = NULL;

  /* The fixture's check above may still be listed for a moment. */
  wait_no_tls_connection ();
  server = server_start (rabbit.amqps_url, rabbit.tls_ca_file);
  state = server_wait_broker (server, &broker_error);
  g_assert_null (broker_error);
  g_assert_cmpstr (state, ==, "connected");
  g_assert_cmpuint (pi_test_rabbit_count_tls_connections (&rabbit), ==, 1);

  g_assert_cmpuint (stream_open (server, &stream, &body), ==, SOUP_STATUS_OK);
  ready = stream_next (stream);
  g_assert_cmpstr (ready, ==, "event: ready\ndata: {}\n");

  pi_test_rabbit_publish (&rabbit, "secondary.not.bound", NULL, "{\"n\":0}");
  pi_test_rabbit_publish (&rabbit, "primary.tls", "route.index.tls", "{\"over\":\"tls\"}");
  event = stream_next (stream);
  g_assert_cmpstr (event, ==, "event: message\ndata: {\"payload\":{\"over\":\"tls\"},\"exchange\":\"" EXCHANGE "\","
                              "\"routingKey\":\"primary.tls\",\"redelivered\":false,\"routes\":[\"index.tls\"]}\n");
}

/* A CA that did not sign the node's certificate. */
static void
test_unknown_ca (void)
{
  g_autofree char *broker = g_strdup_printf ("localhost:%s", strrchr (rabbit.amqps_url, ':') + 1);

  broker[strlen (broker) - 1] = '\0';  /* the URL's final "/" */
  assert_refused (rabbit.amqps_url, rabbit.tls_unknown_ca_file, broker, "cert");
}

/* No CA file: only the system's CAs, which know nothing of the test CA. */
static void
test_system_cas (void)
{
  g_autofree char *broker = g_strdup_printf ("localhost:%s", strrchr (rabbit.amqps_url, ':') + 1);

  broker[strlen (broker) - 1] = '\0';
  assert_refused (rabbit.amqps_url, NULL, broker, "cert");
}

/* The right CA, but the name connected to (127.0.0.1) is not the one the
 * certificate is for (wrong.example). */
static void
test_wrong_host (void)
{
  g_autofree char *broker = g_strdup_printf ("127.0.0.1:%s", strrchr (rabbit.amqps_wrong_host_url, ':') + 1);

  broker[strlen (broker) - 1] = '\0';
  assert_refused (rabbit.amqps_wrong_host_url, rabbit.tls_ca_file, broker, "host");
}

static void
test_skipped (void)
{
  g_test_skip (skip_reason);
}

int
main (int   argc,
      char *argv[])
{
  const char *source_root = g_getenv ("PI_SOURCE_ROOT");
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  int ret;

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("PULSE_EVENTS") == NULL || source_root == NULL)
    skip_reason = "PULSE_EVENTS and PI_SOURCE_ROOT are not set: run through meson test";
  else if (!g_file_test ("/usr/lib/rabbitmq/bin/rabbitmq-server", G_FILE_TEST_IS_EXECUTABLE))
    skip_reason = "rabbitmq-server is not installed";
  else if (openssl == NULL)
    skip_reason = "openssl is not installed: it makes the test certificates";
  if (skip_reason != NULL)
    {
      g_test_add_func ("/pi/amqp-tls/skipped", test_skipped);
      return g_test_run ();
    }

  g_test_add_func ("/pi/amqp-tls/fixture", test_fixture);
  g_test_add_func ("/pi/amqp-tls/verified", test_verified);
  g_test_add_func ("/pi/amqp-tls/unknown-ca", test_unknown_ca);
  g_test_add_func ("/pi/amqp-tls/system-cas", test_system_cas);
  g_test_add_func ("/pi/amqp-tls/wrong-host", test_wrong_host);

  pi_test_rabbit_start_tls (&rabbit, source_root, EXCHANGE);
  ret = g_test_run ();
  pi_test_rabbit_stop (&rabbit);

  return ret;
}
