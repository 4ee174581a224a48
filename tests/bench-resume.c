/* bench-resume.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Resuming under load (issue 15): a PiSource reads a real pulse-events
 * (embedded exchange) through a relay that resets the client's connection
 * every --kill-interval seconds, while a publisher thread sends --rate
 * messages a second for --duration seconds. Afterwards every message must
 * have arrived exactly once and in order, with no gap. Prints the counts,
 * the time from each cut to the stream being live again and to the first
 * message after it, and the load average. Exit status 0 only when nothing
 * was lost, doubled or reordered.
 *
 * With --websocket the source reads the plain WebSocket endpoint
 * (/subscription/raw) instead of the event stream, resuming its
 * subscription (docs/PROTOCOL.md 8).
 *
 *   bench-resume [--server PATH] [--rate 2000] [--duration 60] [--kill-interval 2] [--websocket]
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pi-binding.h"
#include "pi-kill-proxy.h"
#include "pi-message.h"
#include "pi-source.h"

#define EXCHANGE "exchange/bench/v1/resume"
#define BATCHES_PER_SECOND 100

static struct
{
  char   *server_path;
  double  rate;
  double  duration;
  double  kill_interval;
  gboolean websocket;
} opts = { NULL, 2000, 60, 2, FALSE };

typedef struct
{
  guint16   server_port;
  guint     n_published;     /* written by the publisher thread before it sets done */
  gboolean  publish_failed;
  gint      done;
} Publisher;

typedef struct
{
  PiSource    *source;
  PiKillProxy *proxy;
  guint64      next_expected;
  guint64      n_received;
  guint64      n_duplicates;
  guint64      n_out_of_order;
  guint64      n_missing;
  guint        n_gaps;
  guint        n_kills;
  gint64       killed_at;         /* 0 when no cut waits for its reconnect */
  gboolean     waiting_first;     /* a message after the cut not seen yet */
  GArray      *live_again_ms;     /* of double */
  GArray      *first_message_ms;  /* of double */
  gboolean     publishing;
} Bench;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocess *
server_start (guint16 *port)
{
  const char *argv[] = { opts.server_path, "--listen", "127.0.0.1:0", "--ping-interval", "5", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *prefix = "Listening on http://127.0.0.1:";
  GSubprocess *process;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL)
    g_error ("Cannot run %s: %s", opts.server_path, error->message);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, prefix))
    g_error ("%s did not say where it listens", opts.server_path);
  *port = (guint16) g_ascii_strtoull (line + strlen (prefix), NULL, 10);
  return process;
}

static gboolean
publish_batch (guint16 port,
               guint   from,
               guint   n)
{
  g_autoptr(GString) body = g_string_new ("[");
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  char answer[1024];
  gssize got;

  for (guint i = 0; i < n; i++)
    g_string_append_printf (body, "%s{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"m.%u\","
                                  "\"payload\":{\"n\":%u,\"text\":\"%s\"}}",
                            i > 0 ? "," : "", from + i, from + i,
                            "a payload of a realistic size, about the size of a small task message, "
                            "with some text in it to make it two hundred bytes or so in all");
  g_string_append_c (body, ']');
  g_string_append_printf (request, "POST /api/events/v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Connection: close\r\nContent-Type: application/json\r\n"
                                   "Content-Length: %zu\r\n\r\n%s", body->len, body->str);

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  if (connection == NULL ||
      !g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request->str, request->len, NULL, NULL, NULL))
    return FALSE;
  got = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                             answer, sizeof answer - 1, NULL, NULL);
  return got > 12 && strncmp (answer, "HTTP/1.1 200 ", 13) == 0;
}

/* Paced by the clock, not by sleeps: a late batch is followed by a larger one. */
static gpointer
publisher_thread (gpointer data)
{
  Publisher *publisher = data;
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (opts.duration * G_USEC_PER_SEC);
  guint next = 1;

  for (gint64 now = start; now < end; now = g_get_monotonic_time ())
    {
      guint due = (guint) ((now - start) / (double) G_USEC_PER_SEC * opts.rate);

      if (due >= next)
        {
          guint n = due - next + 1;

          if (!publish_batch (publisher->server_port, next, n))
            {
              publisher->publish_failed = TRUE;
              break;
            }
          next += n;
        }
      g_usleep (G_USEC_PER_SEC / BATCHES_PER_SECOND);
    }

  publisher->n_published = next - 1;
  g_atomic_int_set (&publisher->done, 1);
  return NULL;
}

static double
ms_since (gint64 then)
{
  return (g_get_monotonic_time () - then) / 1000.0;
}

static void
on_messages (PiSource  *source,
             GPtrArray *batch,
             Bench     *bench)
{
  for (guint i = 0; i < batch->len; i++)
    {
      PiMessage *message = g_ptr_array_index (batch, i);
      const char *key;
      guint64 n;

      if (pi_message_get_kind (message) != PI_MESSAGE_KIND_DECODED)
        {
          bench->n_gaps++;
          g_printerr ("gap: %s\n", pi_message_get_error (message));
          continue;
        }

      key = pi_message_get_routing_key (message);
      n = g_ascii_strtoull (key + 2, NULL, 10);
      bench->n_received++;
      if (bench->waiting_first)
        {
          double ms = ms_since (bench->killed_at);

          g_array_append_val (bench->first_message_ms, ms);
          bench->waiting_first = FALSE;
          bench->killed_at = 0;
        }

      if (n == bench->next_expected)
        bench->next_expected++;
      else if (n < bench->next_expected)
        bench->n_duplicates++;
      else
        {
          bench->n_out_of_order++;
          bench->n_missing += n - bench->next_expected;
          bench->next_expected = n + 1;
        }
    }
}

static void
on_state (PiSource   *source,
          GParamSpec *pspec,
          Bench      *bench)
{
  if (pi_source_get_state (source) == PI_STREAM_STATE_LIVE && bench->killed_at != 0 && !bench->waiting_first)
    {
      double ms = ms_since (bench->killed_at);

      g_array_append_val (bench->live_again_ms, ms);
      bench->waiting_first = TRUE;
    }
}

static gboolean
kill_cb (gpointer user_data)
{
  Bench *bench = user_data;

  if (!bench->publishing)
    return G_SOURCE_REMOVE;

  /* Only a live stream: a cut while still reconnecting measures nothing. */
  if (pi_source_get_state (bench->source) == PI_STREAM_STATE_LIVE && pi_kill_proxy_kill_all (bench->proxy) > 0)
    {
      bench->n_kills++;
      bench->killed_at = g_get_monotonic_time ();
      bench->waiting_first = FALSE;
    }
  return G_SOURCE_CONTINUE;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
print_spread (const char *what,
              GArray     *values)
{
  if (values->len == 0)
    {
      printf ("%-30s none\n", what);
      return;
    }
  g_array_sort (values, compare_double);
  printf ("%-30s median %.0f ms, p90 %.0f ms, max %.0f ms (%u cuts)\n", what,
          g_array_index (values, double, values->len / 2),
          g_array_index (values, double, MIN (values->len - 1, values->len * 9 / 10)),
          g_array_index (values, double, values->len - 1), values->len);
}

/* CPU seconds of process @pid so far (user and system). */
static double
process_cpu (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (after_name = strrchr (text, ')')) == NULL)
    return 0;
  /* Fields from the state on: utime and stime are the 12th and 13th. */
  fields = g_strsplit (after_name + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / sysconf (_SC_CLK_TCK);
}

static char *
load_average (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  parts = g_strsplit (text, " ", 4);
  return g_strdup_printf ("%s %s %s", parts[0], parts[1], parts[2]);
}

int
main (int   argc,
      char *argv[])
{
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opts.server_path, "pulse-events to run (default: $PULSE_EVENTS)", "PATH" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opts.rate, "Messages per second (2000)", "R" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &opts.duration, "Seconds of publishing (60)", "S" },
    { "kill-interval", 0, 0, G_OPTION_ARG_DOUBLE, &opts.kill_interval, "Seconds between cuts (2)", "S" },
    { "websocket", 0, 0, G_OPTION_ARG_NONE, &opts.websocket, "Read /subscription/raw, not the event stream", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *load_before = NULL;
  g_autofree char *load_after = NULL;
  Publisher publisher = { 0 };
  Bench bench = { 0 };
  GSubprocess *server;
  GThread *thread;
  gint64 deadline, started;
  double server_cpu, client_cpu;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-resume: %s\n", error->message);
      return 2;
    }
  if (opts.server_path == NULL)
    opts.server_path = g_strdup (g_getenv ("PULSE_EVENTS"));
  if (opts.server_path == NULL)
    {
      g_printerr ("bench-resume: give --server or set PULSE_EVENTS\n");
      return 2;
    }

  load_before = load_average ();
  server = server_start (&publisher.server_port);
  bench.proxy = pi_kill_proxy_new (publisher.server_port);
  bench.next_expected = 1;
  bench.live_again_ms = g_array_new (FALSE, FALSE, sizeof (double));
  bench.first_message_ms = g_array_new (FALSE, FALSE, sizeof (double));

  /* The server's root is the plain WebSocket protocol. */
  url = g_strdup_printf ("http://127.0.0.1:%u%s", pi_kill_proxy_get_port (bench.proxy),
                         opts.websocket ? "" : "/api/events/v1");
  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "#"));
  bench.source = pi_source_new ();
  pi_source_set_server_url (bench.source, url);
  pi_source_set_bindings (bench.source, bindings);
  g_signal_connect (bench.source, "messages", G_CALLBACK (on_messages), &bench);
  g_signal_connect (bench.source, "notify::state", G_CALLBACK (on_state), &bench);
  if (!pi_source_connect (bench.source, &error))
    g_error ("%s", error->message);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (pi_source_get_state (bench.source) != PI_STREAM_STATE_LIVE && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  bench.publishing = TRUE;
  started = g_get_monotonic_time ();
  server_cpu = process_cpu (g_subprocess_get_identifier (server));
  client_cpu = process_cpu ("self");
  thread = g_thread_new ("publisher", publisher_thread, &publisher);
  g_timeout_add ((guint) (opts.kill_interval * 1000), kill_cb, &bench);

  /* Publishing, and then until everything arrived (at most 15 s more). */
  deadline = g_get_monotonic_time () + (gint64) ((opts.duration + 15) * G_USEC_PER_SEC);
  for (;;)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
      if (bench.publishing && g_atomic_int_get (&publisher.done))
        bench.publishing = FALSE;
      if (!bench.publishing && bench.next_expected > publisher.n_published)
        break;
      if (g_get_monotonic_time () > deadline)
        break;
    }
  g_thread_join (thread);
  load_after = load_average ();
  {
    double seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;

    server_cpu = (process_cpu (g_subprocess_get_identifier (server)) - server_cpu) / seconds;
    client_cpu = (process_cpu ("self") - client_cpu) / seconds;
  }

  if (bench.next_expected <= publisher.n_published)
    bench.n_missing += publisher.n_published + 1 - bench.next_expected;

  printf ("bench-resume: %.0f messages/s for %.0f s, the connection cut every %.1f s, over %s\n",
          opts.rate, opts.duration, opts.kill_interval,
          opts.websocket ? "/subscription/raw" : "the event stream");
  printf ("%-30s %u\n", "published", publisher.n_published);
  printf ("%-30s %" G_GUINT64_FORMAT "\n", "received", bench.n_received);
  printf ("%-30s %" G_GUINT64_FORMAT "\n", "missing", bench.n_missing);
  printf ("%-30s %" G_GUINT64_FORMAT "\n", "duplicates", bench.n_duplicates);
  printf ("%-30s %" G_GUINT64_FORMAT "\n", "out of order", bench.n_out_of_order);
  printf ("%-30s %u\n", "gaps shown", bench.n_gaps);
  printf ("%-30s %u (reconnects %u)\n", "cuts", bench.n_kills, pi_source_get_n_reconnects (bench.source));
  print_spread ("cut to live again", bench.live_again_ms);
  print_spread ("cut to first message after", bench.first_message_ms);
  printf ("%-30s server %.0f%%, this process (client, relay, publisher) %.0f%% of a core\n",
          "CPU", server_cpu * 100, client_cpu * 100);
  printf ("%-30s %s before, %s after\n", "load average", load_before, load_after);

  ok = !publisher.publish_failed && publisher.n_published > 0 &&
       bench.n_received == publisher.n_published && bench.n_missing == 0 &&
       bench.n_duplicates == 0 && bench.n_out_of_order == 0 && bench.n_gaps == 0 && bench.n_kills > 0;
  printf ("%s\n", ok ? "OK: every message exactly once, in order, no gap" : "FAILED");

  pi_source_disconnect (bench.source);
  g_object_unref (bench.source);
  pi_kill_proxy_free (bench.proxy);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  g_object_unref (server);
  g_array_unref (bench.live_again_ms);
  g_array_unref (bench.first_message_ms);

  return ok ? 0 : 1;
}
