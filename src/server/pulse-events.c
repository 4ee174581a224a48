/* pulse-events.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pulse-events"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib-unix.h>

#include "pi-amqp-broker.h"
#include "pi-demo.h"
#include "pi-embedded-broker.h"
#include "pi-server.h"

#define EXIT_USAGE 2
#define SHUTDOWN_GRACE_MS 3000

typedef struct
{
  char     *listen;
  char     *amqp;
  gboolean  amqp_queue_per_client;
  char     *cors_origin;
  char     *tls_cert;
  char     *tls_key;
  gboolean  demo;
  double    demo_rate;
  double    ping_interval;
  gint64    queue_length;
  gboolean  queue_length_given; /* else the server and a broker queue keep their own defaults */
  gint64    max_connections;
  gint64    client_buffer;
  gint64    max_sockets;
  double    request_timeout;
  gint64    max_body;
  double    socket_lifetime;
  double    ws_init_timeout;
  double    ws_ping_interval;
  double    resume_window;
  gint64    resume_buffer;
  gint64    resume_held_buffer;
  gboolean  version;
} Options;

static Options opts = {
  .demo_rate = PI_DEMO_DEFAULT_RATE,
  .ping_interval = PI_SERVER_DEFAULT_PING_INTERVAL,
  .queue_length = PI_SERVER_DEFAULT_QUEUE_LENGTH,
  .client_buffer = PI_SERVER_DEFAULT_CLIENT_BUFFER,
  .request_timeout = PI_HTTP_FRONT_DEFAULT_REQUEST_TIMEOUT,
  .max_body = PI_HTTP_FRONT_DEFAULT_MAX_BODY,
  .socket_lifetime = PI_SERVER_DEFAULT_SOCKET_LIFETIME,
  .ws_init_timeout = PI_SERVER_DEFAULT_WS_INIT_TIMEOUT,
  .ws_ping_interval = PI_SERVER_DEFAULT_WS_PING_INTERVAL,
  .resume_window = PI_SERVER_DEFAULT_RESUME_WINDOW,
  .resume_buffer = PI_SERVER_DEFAULT_RESUME_BUFFER,
  .resume_held_buffer = PI_SERVER_DEFAULT_RESUME_HELD_BUFFER,
};

static GMainLoop *main_loop;
static PiServer *server;
static gint64 shutdown_deadline;

G_GNUC_NORETURN G_GNUC_PRINTF (1, 2) static void
usage_error (const char *format,
             ...)
{
  char *text;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  fprintf (stderr, "pulse-events: %s\nTry “pulse-events --help” for more information.\n", text);
  g_free (text);
  exit (EXIT_USAGE);
}

static gboolean
parse_double (const char *text,
              double     *value)
{
  char *end = NULL;

  errno = 0;
  *value = g_ascii_strtod (text, &end);
  return errno == 0 && end != text && *end == '\0';
}

static gboolean
demo_option_cb (const char  *name,
                const char  *value,
                gpointer     data,
                GError     **error)
{
  opts.demo = TRUE;
  if (value != NULL && (!parse_double (value, &opts.demo_rate) || opts.demo_rate <= 0 || opts.demo_rate > 1e6))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--demo: “%s” is not a rate in messages per second (a number above 0)", value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
ping_option_cb (const char  *name,
                const char  *value,
                gpointer     data,
                GError     **error)
{
  if (!parse_double (value, &opts.ping_interval) || opts.ping_interval <= 0 || opts.ping_interval > 86400)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--ping-interval: “%s” is not a number of seconds between 0 and 86400", value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
request_timeout_option_cb (const char  *name,
                           const char  *value,
                           gpointer     data,
                           GError     **error)
{
  if (!parse_double (value, &opts.request_timeout) || opts.request_timeout <= 0 || opts.request_timeout > 3600)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--request-timeout: “%s” is not a number of seconds above 0 and at most 3600", value);
      return FALSE;
    }
  return TRUE;
}

/* Seconds for the WebSocket options: @zero_ok for "never" (0). Timers
 * take milliseconds in a guint: at most 30 days. */
static gboolean
seconds_option (const char  *name,
                const char  *value,
                gboolean     zero_ok,
                double      *seconds,
                GError     **error)
{
  if (!parse_double (value, seconds) || *seconds < 0 || (*seconds == 0 && !zero_ok) || *seconds > 30 * 86400)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: “%s” is not a number of seconds %s and at most 2592000 (30 days)", name, value,
                   zero_ok ? "from 0" : "above 0");
      return FALSE;
    }
  return TRUE;
}

static gboolean
ws_option_cb (const char  *name,
              const char  *value,
              gpointer     data,
              GError     **error)
{
  if (strcmp (name, "--socket-lifetime") == 0)
    return seconds_option (name, value, TRUE, &opts.socket_lifetime, error);
  if (strcmp (name, "--websocket-init-timeout") == 0)
    return seconds_option (name, value, FALSE, &opts.ws_init_timeout, error);
  return seconds_option (name, value, TRUE, &opts.ws_ping_interval, error);
}

static gboolean
queue_length_option_cb (const char  *name,
                        const char  *value,
                        gpointer     data,
                        GError     **error)
{
  char *end = NULL;
  gint64 length = g_ascii_strtoll (value, &end, 10);

  if (end == value || *end != '\0' || length < 1 || length > G_MAXINT32)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: “%s” is not a length from 1 to %d", name, value, G_MAXINT32);
      return FALSE;
    }
  opts.queue_length = length;
  opts.queue_length_given = TRUE;
  return TRUE;
}

static const GOptionEntry entries[] = {
  { "listen", 'l', 0, G_OPTION_ARG_STRING, &opts.listen,
    "Address and port to listen on (default 127.0.0.1:12345; port 0 picks a free one)", "ADDR:PORT" },
  { "amqp", 0, 0, G_OPTION_ARG_STRING, &opts.amqp,
    "Bridge a RabbitMQ broker (amqp://user:pass@host:port/vhost or amqps://) instead of the embedded exchange; "
    "queues are named queue/USER/pulse-events-RANDOM, as Mozilla Pulse requires", "URL" },
  { "amqp-queue-per-client", 0, 0, G_OPTION_ARG_NONE, &opts.amqp_queue_per_client,
    "With --amqp, one queue per stream instead of one for the server (where a shared queue is not allowed, "
    "or --queue-length should bound each stream's queue)", NULL },
  { "demo", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, demo_option_cb,
    "Publish demo Taskcluster queue traffic on the embedded exchange (default 20 messages/s)", "[RATE]" },
  { "cors-origin", 0, 0, G_OPTION_ARG_STRING, &opts.cors_origin,
    "Origins allowed by CORS, separated by commas (default *)", "ORIGINS" },
  { "ping-interval", 0, 0, G_OPTION_ARG_CALLBACK, ping_option_cb,
    "Seconds between ping events (default 20)", "S" },
  { "queue-length", 0, 0, G_OPTION_ARG_CALLBACK, queue_length_option_cb,
    "Messages held for a slow client before they are dropped (default 4000; with --amqp, "
    "a broker queue's length too, there 1000 by default)", "N" },
  { "client-buffer", 0, 0, G_OPTION_ARG_INT64, &opts.client_buffer,
    "Bytes held for a slow client before messages are dropped (default 4194304)", "BYTES" },
  { "resume-window", 0, 0, G_OPTION_ARG_DOUBLE, &opts.resume_window,
    "Seconds a resumable stream is held after its connection is lost, and the oldest message kept "
    "for it (default 30; 0: no resuming)", "S" },
  { "resume-buffer", 0, 0, G_OPTION_ARG_INT64, &opts.resume_buffer,
    "Bytes of messages kept for one resumable stream, at least --client-buffer "
    "(default 8388608; 0: no resuming)", "BYTES" },
  { "resume-held-buffer", 0, 0, G_OPTION_ARG_INT64, &opts.resume_held_buffer,
    "Bytes of messages kept for all streams held for a resume together; past it the oldest held "
    "stream ends (default 268435456)", "BYTES" },
  { "max-connections", 0, 0, G_OPTION_ARG_INT64, &opts.max_connections,
    "Most event streams open at once; more get 503 (default: no limit)", "N" },
  { "max-sockets", 0, 0, G_OPTION_ARG_INT64, &opts.max_sockets,
    "Most client connections open at once, streams and other requests together; "
    "more get 503 (default: the file limit less 64; the server raises its soft file limit to the hard one)", "N" },
  { "request-timeout", 0, 0, G_OPTION_ARG_CALLBACK, request_timeout_option_cb,
    "Seconds a client has to send its whole request, or it gets 408 (default 10)", "S" },
  { "max-body", 0, 0, G_OPTION_ARG_INT64, &opts.max_body,
    "Largest request body taken, in bytes, up to 1 GiB; larger get 413 (default 8388608)", "BYTES" },
  { "socket-lifetime", 0, 0, G_OPTION_ARG_CALLBACK, ws_option_cb,
    "Seconds a WebSocket stays open before it is closed with 4408 (default 21600, 6 hours; 0 for ever)", "S" },
  { "websocket-init-timeout", 0, 0, G_OPTION_ARG_CALLBACK, ws_option_cb,
    "Seconds a WebSocket client has to send connection_init, or it is closed with 4400 (default 10)", "S" },
  { "websocket-ping-interval", 0, 0, G_OPTION_ARG_CALLBACK, ws_option_cb,
    "Seconds between WebSocket pings; a client that does not answer by the next is closed (default 30; 0 for none)", "S" },
  { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &opts.tls_cert,
    "Serve HTTPS with this PEM certificate", "FILE" },
  { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &opts.tls_key,
    "The PEM private key of --tls-cert", "FILE" },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opts.version,
    "Print the version and exit", NULL },
  { NULL }
};

static void
parse_listen (const char  *text,
              char       **address,
              guint       *port)
{
  const char *colon;
  guint64 value;
  g_autoptr(GError) error = NULL;

  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close == NULL || close[1] != ':')
        usage_error ("--listen: “%s” is not [ADDRESS]:PORT", text);
      *address = g_strndup (text + 1, close - text - 1);
      colon = close + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL || colon == text)
        usage_error ("--listen: “%s” is not ADDRESS:PORT (e.g. 127.0.0.1:12345)", text);
      *address = g_strndup (text, colon - text);
    }

  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, &error))
    usage_error ("--listen: “%s” is not a port number from 0 to 65535", colon + 1);
  *port = value;

  if (g_ascii_strcasecmp (*address, "localhost") != 0 && !g_hostname_is_ip_address (*address))
    usage_error ("--listen: “%s” is not an IP address", *address);
}

/* Every client connection is a descriptor: take all the file limit the
 * system grants (the soft limit up to the hard one), so that thousands of
 * idle streams fit without a ulimit in every start script. Linux has no
 * unlimited descriptors: an unlimited hard limit stops at fs.nr_open. */
static void
raise_file_limit (void)
{
  struct rlimit limit;
  rlim_t before, target;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return;

  before = limit.rlim_cur;
  target = limit.rlim_max;
  if (target == RLIM_INFINITY)
    {
      g_autofree char *text = NULL;

      target = 1024 * 1024;
      if (g_file_get_contents ("/proc/sys/fs/nr_open", &text, NULL, NULL) &&
          g_ascii_strtoull (text, NULL, 10) > 0)
        target = g_ascii_strtoull (text, NULL, 10);
    }

  if (before != RLIM_INFINITY && before >= target)
    {
      g_info ("File limit: %" G_GUINT64_FORMAT " descriptors, already the hard limit", (guint64) before);
      return;
    }

  limit.rlim_cur = target;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    {
      g_info ("File limit: %" G_GUINT64_FORMAT " descriptors; could not raise it to %" G_GUINT64_FORMAT ": %s",
              (guint64) before, (guint64) target, g_strerror (errno));
      return;
    }

  g_info ("File limit raised from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " descriptors",
          (guint64) before, (guint64) target);
}

static gboolean
wait_for_streams_cb (gpointer user_data)
{
  if (pi_server_get_n_connections (server) == 0 || g_get_monotonic_time () >= shutdown_deadline)
    {
      g_main_loop_quit (main_loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
signal_cb (gpointer user_data)
{
  /* A second signal (a second Ctrl-C, or timeout(1) signalling the whole
   * process group too) quits at once. The source stays: main() removes it. */
  if (shutdown_deadline != 0)
    {
      g_main_loop_quit (main_loop);
      return G_SOURCE_CONTINUE;
    }

  g_message ("Shutting down: ending %u streams", pi_server_get_n_connections (server));

  /* Every accepted stream ends with an `error` event, this one included;
   * every WebSocket with a close 1001. */
  pi_server_shutdown (server, "The server is shutting down");
  shutdown_deadline = g_get_monotonic_time () + SHUTDOWN_GRACE_MS * 1000;
  g_timeout_add (20, wait_for_streams_cb, NULL);

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PiBroker) broker = NULL;
  g_autoptr(PiDemo) demo = NULL;
  g_autofree char *address = NULL;
  g_autofree char *base_url = NULL;
  guint port = 12345;
  guint sigint_id, sigterm_id;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
    "Serve Taskcluster events (v1, Server-Sent Events) from a RabbitMQ broker\n"
    "or from an embedded topic exchange, and the Taskcluster web-server's plain\n"
    "WebSocket protocol on /subscription/raw and /subscription/named.");
  g_option_context_set_description (context,
    "Limits: a request's line and headers may take 65536 bytes together (a longer\n"
    "URL gets 414, longer headers 431), so a connect URL has room for about 600\n"
    "short bindings. A body larger than --max-body gets 413, and so does a\n"
    "published message larger than --client-buffer once framed as an event.\n"
    "A WebSocket client may send frames of 262144 bytes (larger: close 1009); one\n"
    "that falls --client-buffer bytes behind is closed with 1011.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    usage_error ("%s", error->message);

  if (opts.version)
    {
      printf ("pulse-events %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  /* `--demo 50` as well as `--demo=50`: GOption only attaches `=` values. */
  if (opts.demo && argc == 2 && parse_double (argv[1], &opts.demo_rate))
    {
      if (opts.demo_rate <= 0 || opts.demo_rate > 1e6)
        usage_error ("--demo: “%s” is not a rate in messages per second (a number above 0)", argv[1]);
      argc--;
    }
  if (argc > 1)
    usage_error ("unexpected argument “%s”", argv[1]);

  if (opts.max_connections < 0 || opts.max_connections > G_MAXINT32)
    usage_error ("--max-connections: %" G_GINT64_FORMAT " is not a count from 0 (no limit) to %d",
                 opts.max_connections, G_MAXINT32);
  if (opts.max_sockets < 0 || opts.max_sockets > G_MAXINT32)
    usage_error ("--max-sockets: %" G_GINT64_FORMAT " is not a count from 0 (the default) to %d",
                 opts.max_sockets, G_MAXINT32);
  if (opts.max_body < 0)
    usage_error ("--max-body: %" G_GINT64_FORMAT " is not a number of bytes", opts.max_body);
  if (opts.max_body > PI_HTTP_FRONT_MAX_BODY_LIMIT)
    usage_error ("--max-body: %" G_GINT64_FORMAT " is more than 1 GiB (%d bytes), the most a request body may take",
                 opts.max_body, PI_HTTP_FRONT_MAX_BODY_LIMIT);
  if (opts.client_buffer < 1024)
    usage_error ("--client-buffer: %" G_GINT64_FORMAT " is below 1024 bytes", opts.client_buffer);
  if (opts.resume_window < 0 || opts.resume_window > 24 * 3600)
    usage_error ("--resume-window: %g is not a number of seconds from 0 to 86400", opts.resume_window);
  if (opts.resume_buffer < 0)
    usage_error ("--resume-buffer: %" G_GINT64_FORMAT " is not a number of bytes", opts.resume_buffer);
  if (opts.resume_held_buffer < 0)
    usage_error ("--resume-held-buffer: %" G_GINT64_FORMAT " is not a number of bytes", opts.resume_held_buffer);
  /* Less than one client's queue would lose on every reconnect what a
   * connected client could still have been sent. */
  if (opts.resume_buffer > 0 && opts.resume_buffer < opts.client_buffer)
    usage_error ("--resume-buffer: %" G_GINT64_FORMAT " bytes is less than --client-buffer (%" G_GINT64_FORMAT
                 " bytes); give at least that, or 0 to turn resuming off",
                 opts.resume_buffer, opts.client_buffer);
  if (opts.demo && opts.amqp != NULL)
    usage_error ("--demo publishes on the embedded exchange and cannot be combined with --amqp");
  if (opts.tls_key != NULL && opts.tls_cert == NULL)
    usage_error ("--tls-key needs --tls-cert");

  parse_listen (opts.listen ? opts.listen : "127.0.0.1:12345", &address, &port);
  raise_file_limit ();

  if (opts.amqp != NULL)
    {
      /* Unless given, a broker queue has its own length: Pulse deletes
       * queues past 20,000 messages, and the shared one is ten times it. */
      guint broker_length = opts.queue_length_given ? (guint) opts.queue_length : 0;

      if (!(broker = opts.amqp_queue_per_client ? pi_amqp_broker_new (opts.amqp, broker_length, &error)
                                                : pi_amqp_broker_new_shared (opts.amqp, broker_length, &error)))
        usage_error ("--amqp: %s", error->message);
    }
  else
    {
      broker = pi_embedded_broker_new ();
    }

  server = pi_server_new (broker);
  pi_server_set_ping_interval (server, opts.ping_interval);
  pi_server_set_queue_length (server, (guint) opts.queue_length);
  pi_server_set_client_buffer (server, opts.client_buffer);
  pi_server_set_resume_window (server, opts.resume_window, opts.resume_buffer);
  pi_server_set_resume_held_buffer (server, opts.resume_held_buffer);
  pi_server_set_max_connections (server, opts.max_connections);
  pi_server_set_socket_lifetime (server, opts.socket_lifetime);
  pi_server_set_websocket_init_timeout (server, opts.ws_init_timeout);
  pi_server_set_websocket_ping_interval (server, opts.ws_ping_interval);
  pi_http_front_set_max_sockets (pi_server_get_front (server), opts.max_sockets);
  pi_http_front_set_request_timeout (pi_server_get_front (server), opts.request_timeout);
  pi_http_front_set_max_body (pi_server_get_front (server), opts.max_body);
  if (opts.cors_origin != NULL)
    pi_server_set_cors_origins (server, opts.cors_origin);

  if (opts.tls_cert != NULL &&
      !pi_http_front_set_tls_files (pi_server_get_front (server), opts.tls_cert, opts.tls_key, &error))
    usage_error ("--tls-cert: %s", error->message);

  if (!pi_server_listen (server, address, port, &error))
    {
      fprintf (stderr, "pulse-events: cannot listen on %s:%u: %s\n", address, port, error->message);
      return EXIT_FAILURE;
    }

  base_url = pi_server_get_base_url (server);
  printf ("Listening on %s\n", base_url);
  fflush (stdout);

  if (opts.demo)
    {
      demo = pi_demo_new (broker, opts.demo_rate);
      pi_demo_start (demo);
      g_message ("Publishing demo traffic, %g messages/s", opts.demo_rate);
    }

  main_loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, NULL);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, NULL);
  signal (SIGPIPE, SIG_IGN);

  g_main_loop_run (main_loop);

  /* Quit by a second signal, the streams' error events may still be queued:
   * give them a few turns to reach their sockets. */
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  if (demo != NULL)
    pi_demo_stop (demo);
  g_clear_object (&server);
  g_main_loop_unref (main_loop);

  g_free (opts.listen);
  g_free (opts.amqp);
  g_free (opts.cors_origin);
  g_free (opts.tls_cert);
  g_free (opts.tls_key);

  return EXIT_SUCCESS;
}
