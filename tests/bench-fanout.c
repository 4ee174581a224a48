/* bench-fanout.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Fan-out as users load it: many SSE clients on one pulse-events, each
 * bound to its own task group, plus a few firehose watchers bound to `#`,
 * while messages are published across the groups at a steady rate.
 *
 * Prints delivered events/s, publish-to-receive latency (p50/p99) for each
 * kind of client, messages lost, and the server's memory per idle client.
 *
 * The clients live in this process on non-blocking sockets (epoll); the
 * publisher runs on its own thread. With the embedded exchange it publishes
 * in batches through POST /publish; with --amqp URL it publishes to the
 * broker through librabbitmq and pulse-events bridges it.
 *
 *   bench-fanout [--server PATH] [--clients N] [--firehose N] [--rate R]
 *                [--duration S] [--amqp URL [--broker-pid PID]] [--server-arg ARG]...
 *   bench-fanout --idle N [--server PATH] [--amqp URL]
 *
 * --idle N only connects N task-group clients as fast as it can and prints
 * how long they took to get `ready` and the server's memory per idle
 * client; nothing is published.
 *
 * The machine's load average is printed with the figures: on a small machine
 * the broker, the server and this program share the cores, and whatever else
 * runs there moves the latency. With --broker-pid (RabbitMQ's beam.smp) the
 * broker's own CPU time is printed too.
 */

#include "config.h"

#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

/* Messages per POST /publish: well under the server's default --max-body
 * at the largest --payload-size used. */
#define MAX_BATCH 1000

static const char * const exchanges[] = {
  "exchange/taskcluster-queue/v1/task-pending",
  "exchange/taskcluster-queue/v1/task-running",
  "exchange/taskcluster-queue/v1/task-completed",
};

typedef struct
{
  int       fd;
  gboolean  firehose;
  guint     group;
  gboolean  head_done;
  gboolean  ready;
  gboolean  closed;
  GString  *buf;
  guint64   received;
  guint64   dropped;
  guint64   errors;
} Client;

static struct
{
  char       *server_path;
  char       *amqp_url;
  int         broker_pid;
  int         n_clients;
  int         n_firehose;
  double      rate;
  double      duration;
  int         payload_size;
  int         idle;
  char      **server_args;
} opts = { NULL, NULL, 0, 1000, 10, 5000, 10, 1024, 0, NULL };

static guint16   server_port;
static GPid      server_pid;
static GArray   *group_latency;     /* gint64 µs */
static GArray   *firehose_latency;  /* gint64 µs */
static guint64  *published_per_group;
static guint64   published_total;
static gboolean  publishing_done;
static gboolean  measuring;

/* --- server process ------------------------------------------------------------ */

static gint64
read_status_kib (GPid        pid,
                 const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(line = strstr (text, field)))
    return -1;
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

static double
read_cpu_seconds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(after = strrchr (text, ')')))
    return -1;
  fields = g_strsplit (after + 2, " ", -1);
  /* utime and stime are fields 14 and 15 of stat, 12 and 13 after the name. */
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / sysconf (_SC_CLK_TCK);
}

static char *
read_load (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  fields = g_strsplit (text, " ", 4);
  return g_strjoin (" ", fields[0], fields[1], fields[2], NULL);
}

static void
start_server (void)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *max = g_strdup_printf ("%d", opts.n_clients + opts.n_firehose + 100);
  int out_fd;
  GIOChannel *channel;
  const char *prefix = "Listening on http://127.0.0.1:";

  g_ptr_array_add (argv, opts.server_path);
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  g_ptr_array_add (argv, (char *) "--max-connections");
  g_ptr_array_add (argv, max);
  if (opts.amqp_url != NULL)
    {
      g_ptr_array_add (argv, (char *) "--amqp");
      g_ptr_array_add (argv, opts.amqp_url);
    }
  for (guint i = 0; opts.server_args != NULL && opts.server_args[i] != NULL; i++)
    g_ptr_array_add (argv, opts.server_args[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL,
                                 G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &server_pid, NULL, &out_fd, NULL, &error))
    g_error ("Cannot start %s: %s", opts.server_path, error->message);

  channel = g_io_channel_unix_new (out_fd);
  if (g_io_channel_read_line (channel, &line, NULL, NULL, &error) != G_IO_STATUS_NORMAL ||
      !g_str_has_prefix (line, prefix))
    g_error ("pulse-events did not say where it listens");
  server_port = (guint16) g_ascii_strtoull (line + strlen (prefix), NULL, 10);
  g_io_channel_unref (channel);
}

/* pulse-events answers 503 to new streams until its broker is connected:
 * wait for that through /ping. */
static void
wait_for_broker (void)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;)
    {
      struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (server_port),
                                     .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
      static const char request[] = "GET /api/events/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    "Connection: close\r\n\r\n";
      g_autoptr(GString) in = g_string_new (NULL);
      char buf[4096];
      gssize n;
      int fd = socket (AF_INET, SOCK_STREAM, 0);

      if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) < 0 ||
          write (fd, request, sizeof request - 1) != (gssize) sizeof request - 1)
        g_error ("ping: %s", g_strerror (errno));
      while ((n = read (fd, buf, sizeof buf)) > 0)
        g_string_append_len (in, buf, n);
      close (fd);

      if (strstr (in->str, "\"broker\":\"connected\"") || strstr (in->str, "\"broker\":\"embedded\""))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("pulse-events did not reach its broker: %s", in->str);
      g_usleep (50 * 1000);
    }
}

/* --- clients ------------------------------------------------------------------- */

static char *
group_name (guint group)
{
  /* Task group ids are 22-character slugs; these are recognisable ones. */
  return g_strdup_printf ("benchGroup%012u", group);
}

static int
connect_client (Client *client)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (server_port),
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  g_autoptr(GString) bindings = g_string_new ("{\"bindings\":[");
  g_autofree char *escaped = NULL;
  g_autofree char *request = NULL;
  g_autofree char *group = group_name (client->group);
  int one = 1;
  int fd;

  for (guint i = 0; i < G_N_ELEMENTS (exchanges); i++)
    g_string_append_printf (bindings, "%s{\"exchange\":\"%s\",\"routingKeyPattern\":\"%s%s%s\"}",
                            i > 0 ? "," : "", exchanges[i],
                            client->firehose ? "#" : "primary.*.*.*.*.*.*.*.",
                            client->firehose ? "" : group,
                            client->firehose ? "" : ".#");
  g_string_append (bindings, "]}");
  escaped = g_uri_escape_string (bindings->str, NULL, FALSE);
  request = g_strdup_printf ("GET /api/events/v1/connect/?bindings=%s HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n", escaped);

  fd = socket (AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) < 0)
    g_error ("connect: %s", g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (write (fd, request, strlen (request)) != (gssize) strlen (request))
    g_error ("write: %s", g_strerror (errno));
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);

  client->fd = fd;
  client->buf = g_string_sized_new (4096);
  return fd;
}

static void
handle_event (Client     *client,
              const char *event,
              gsize       len,
              gint64      now)
{
  if (g_str_has_prefix (event, "event: message\n"))
    {
      const char *sent = g_strstr_len (event, len, "\"sent\":");

      client->received++;
      if (sent != NULL && measuring)
        {
          gint64 latency = now - g_ascii_strtoll (sent + 7, NULL, 10);
          g_array_append_val (client->firehose ? firehose_latency : group_latency, latency);
        }
    }
  else if (g_str_has_prefix (event, "event: ready\n"))
    client->ready = TRUE;
  else if (g_str_has_prefix (event, "event: dropped\n"))
    client->dropped += g_ascii_strtoull (event + strlen ("event: dropped\ndata: {\"count\":"), NULL, 10);
  else if (g_str_has_prefix (event, "event: error\n"))
    client->errors++;
}

static void
client_read (Client *client)
{
  char buf[65536];
  gint64 now;
  gssize n;

  for (;;)
    {
      gsize start = 0;
      const char *sep;

      n = read (client->fd, buf, sizeof buf);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
      if (n <= 0)
        {
          client->closed = TRUE;
          return;
        }

      now = g_get_monotonic_time ();
      g_string_append_len (client->buf, buf, n);

      if (!client->head_done)
        {
          const char *end = strstr (client->buf->str, "\r\n\r\n");

          if (end == NULL)
            continue;
          if (!g_str_has_prefix (client->buf->str, "HTTP/1.1 200"))
            g_error ("Stream refused: %.40s", client->buf->str);
          g_string_erase (client->buf, 0, end + 4 - client->buf->str);
          client->head_done = TRUE;
        }

      while ((sep = strstr (client->buf->str + start, "\n\n")) != NULL)
        {
          gsize end = sep + 2 - client->buf->str;

          handle_event (client, client->buf->str + start, end - start, now);
          start = end;
        }
      g_string_erase (client->buf, 0, start);
    }
}

/* --- publishers ---------------------------------------------------------------- */

typedef struct
{
  int                     fd;        /* HTTP */
  amqp_connection_state_t amqp;      /* or AMQP */
  GRand                  *rand;
  GString                *pad;
  guint64                 seq;
} Publisher;

static void
publisher_connect_http (Publisher *publisher)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (server_port),
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int one = 1;

  publisher->fd = socket (AF_INET, SOCK_STREAM, 0);
  if (connect (publisher->fd, (struct sockaddr *) &address, sizeof address) < 0)
    g_error ("connect: %s", g_strerror (errno));
  setsockopt (publisher->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void
publisher_connect (Publisher *publisher)
{
  publisher->rand = g_rand_new_with_seed (42);
  publisher->pad = g_string_new (NULL);
  for (int i = 0; i < opts.payload_size - 200; i++)
    g_string_append_c (publisher->pad, "abcdefghijklmnopqrstuvwxyz"[i % 26]);

  if (opts.amqp_url != NULL)
    {
      struct amqp_connection_info info;
      g_autofree char *url = g_strdup (opts.amqp_url);
      amqp_socket_t *socket;
      amqp_rpc_reply_t reply;

      if (amqp_parse_url (url, &info) != AMQP_STATUS_OK)
        g_error ("Bad AMQP URL");
      publisher->amqp = amqp_new_connection ();
      socket = amqp_tcp_socket_new (publisher->amqp);
      if (amqp_socket_open (socket, info.host, info.port) != AMQP_STATUS_OK)
        g_error ("Cannot reach the broker");
      reply = amqp_login (publisher->amqp, info.vhost[0] ? info.vhost : "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                          info.user, info.password);
      if (reply.reply_type != AMQP_RESPONSE_NORMAL)
        g_error ("AMQP login failed");
      amqp_channel_open (publisher->amqp, 1);
      for (guint i = 0; i < G_N_ELEMENTS (exchanges); i++)
        amqp_exchange_declare (publisher->amqp, 1, amqp_cstring_bytes (exchanges[i]),
                               amqp_cstring_bytes ("topic"), 0, 0, 0, 0, amqp_empty_table);
      if (amqp_get_rpc_reply (publisher->amqp).reply_type != AMQP_RESPONSE_NORMAL)
        g_error ("Cannot declare the exchanges");
    }
  else
    {
      publisher_connect_http (publisher);
    }
}

static void
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("write: %s", g_strerror (errno));
      data += n;
      len -= n;
    }
}

/* Reads one HTTP response with a Content-Length body. Returns whether the
 * server keeps the connection open (pulse-events closes it after every
 * answer: `Connection: close`). */
static gboolean
read_response (int fd)
{
  g_autoptr(GString) in = g_string_new (NULL);
  char buf[4096];
  const char *end = NULL;
  gsize need = 0;

  for (;;)
    {
      gssize n = read (fd, buf, sizeof buf);

      if (n <= 0)
        g_error ("publish: connection lost");
      g_string_append_len (in, buf, n);
      if (end == NULL && (end = strstr (in->str, "\r\n\r\n")) != NULL)
        {
          const char *length = strstr (in->str, "Content-Length: ");

          if (!g_str_has_prefix (in->str, "HTTP/1.1 200"))
            g_error ("publish refused: %s", in->str);
          need = (end + 4 - in->str) + (length ? g_ascii_strtoull (length + 16, NULL, 10) : 0);
        }
      if (end != NULL && in->len >= need)
        return strstr (in->str, "\r\nConnection: close\r\n") == NULL;
    }
}

static void
publish_batch (Publisher *publisher,
               guint      count)
{
  g_autoptr(GString) body = g_string_new ("[");

  for (guint i = 0; i < count; i++)
    {
      guint group = g_rand_int_range (publisher->rand, 0, opts.n_clients);
      const char *exchange = exchanges[g_rand_int_range (publisher->rand, 0, G_N_ELEMENTS (exchanges))];
      g_autofree char *name = group_name (group);
      g_autofree char *key = g_strdup_printf ("primary.task%018" G_GUINT64_FORMAT ".0.us-east-1.i-0bench"
                                              ".proj-bench.b-linux.bench-level-1.%s._",
                                              publisher->seq, name);
      g_autofree char *payload = g_strdup_printf ("{\"sent\":%" G_GINT64_FORMAT ",\"seq\":%" G_GUINT64_FORMAT
                                                  ",\"pad\":\"%s\"}",
                                                  g_get_monotonic_time (), publisher->seq, publisher->pad->str);

      publisher->seq++;
      published_per_group[group]++;
      published_total++;

      if (publisher->amqp != NULL)
        {
          amqp_basic_properties_t props = { 0 };
          amqp_table_entry_t cc_entry;
          amqp_field_value_t cc_values[1];
          g_autofree char *route = g_strdup_printf ("route.index.bench.%s", name);

          cc_values[0].kind = AMQP_FIELD_KIND_BYTES;
          cc_values[0].value.bytes = amqp_cstring_bytes (route);
          cc_entry.key = amqp_cstring_bytes ("CC");
          cc_entry.value.kind = AMQP_FIELD_KIND_ARRAY;
          cc_entry.value.value.array.num_entries = 1;
          cc_entry.value.value.array.entries = cc_values;
          props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG;
          props.content_type = amqp_cstring_bytes ("application/json");
          props.headers.num_entries = 1;
          props.headers.entries = &cc_entry;
          if (amqp_basic_publish (publisher->amqp, 1, amqp_cstring_bytes (exchange), amqp_cstring_bytes (key),
                                  0, 0, &props, amqp_cstring_bytes (payload)) != AMQP_STATUS_OK)
            g_error ("AMQP publish failed");
        }
      else
        {
          g_string_append_printf (body, "%s{\"exchange\":\"%s\",\"routingKey\":\"%s\","
                                  "\"routes\":[\"index.bench.%s\"],\"payload\":%s}",
                                  i > 0 ? "," : "", exchange, key, name, payload);
        }
    }

  if (publisher->amqp == NULL)
    {
      g_autofree char *head = NULL;

      g_string_append_c (body, ']');
      head = g_strdup_printf ("POST /api/events/v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", body->len);
      write_all (publisher->fd, head, strlen (head));
      write_all (publisher->fd, body->str, body->len);
      if (!read_response (publisher->fd))
        {
          close (publisher->fd);
          publisher_connect_http (publisher);
        }
    }
}

static gpointer
publisher_thread (gpointer data)
{
  Publisher *publisher = data;
  const gint64 tick = 10 * 1000;  /* a batch every 10 ms */
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (opts.duration * G_USEC_PER_SEC);
  gint64 next = start;
  guint64 sent = 0;

  while (g_get_monotonic_time () < end)
    {
      /* Catch up with the clock, so that the rate holds even when a
       * batch or a sleep runs long. */
      guint64 due = (guint64) (opts.rate * (g_get_monotonic_time () - start) / G_USEC_PER_SEC);

      /* In requests the server takes: a late publisher catches up in
       * several, not in one body past the server's --max-body. */
      while (due > sent)
        {
          guint count = (guint) MIN (due - sent, MAX_BATCH);

          publish_batch (publisher, count);
          sent += count;
        }

      next += tick;
      if (next > g_get_monotonic_time ())
        g_usleep (next - g_get_monotonic_time ());
    }

  g_atomic_int_set (&publishing_done, TRUE);
  return NULL;
}

/* --- figures ------------------------------------------------------------------- */

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
print_latency (const char *kind,
               GArray     *samples)
{
  if (samples->len == 0)
    {
      printf ("  %-9s latency: no samples\n", kind);
      return;
    }
  g_array_sort (samples, compare_gint64);
  printf ("  %-9s latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%u samples)\n", kind,
          g_array_index (samples, gint64, samples->len / 2) / 1000.0,
          g_array_index (samples, gint64, (guint) (samples->len * 0.99)) / 1000.0,
          g_array_index (samples, gint64, samples->len - 1) / 1000.0,
          samples->len);
}

static void
poll_clients (int     epoll_fd,
              int     timeout_ms)
{
  struct epoll_event events[256];
  int n = epoll_wait (epoll_fd, events, G_N_ELEMENTS (events), timeout_ms);

  for (int i = 0; i < n; i++)
    client_read (events[i].data.ptr);
}

int
main (int   argc,
      char *argv[])
{
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opts.server_path, "pulse-events to run", "PATH" },
    { "amqp", 0, 0, G_OPTION_ARG_STRING, &opts.amqp_url, "Publish through this RabbitMQ and bridge it", "URL" },
    { "server-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts.server_args,
      "One more argument for pulse-events, e.g. --server-arg=--amqp-queue-per-client (repeatable)", "ARG" },
    { "broker-pid", 0, 0, G_OPTION_ARG_INT, &opts.broker_pid, "The broker's process, for its CPU time", "PID" },
    { "clients", 0, 0, G_OPTION_ARG_INT, &opts.n_clients, "Task-group clients (1000)", "N" },
    { "firehose", 0, 0, G_OPTION_ARG_INT, &opts.n_firehose, "Clients bound to # (10)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opts.rate, "Messages per second (5000)", "R" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &opts.duration, "Seconds of publishing (10)", "S" },
    { "payload-size", 0, 0, G_OPTION_ARG_INT, &opts.payload_size, "Bytes per payload (1024)", "N" },
    { "idle", 0, 0, G_OPTION_ARG_INT, &opts.idle, "Only connect N idle task-group clients, measure time and memory", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  struct rlimit limit;
  Client *clients;
  int n_total, epoll_fd;
  gint64 rss_before, rss_idle, rss_peak, t0, t_end, deadline;
  double cpu_before, cpu_after, broker_cpu_before = -1, broker_cpu_after = -1;
  g_autofree char *load_before = NULL;
  g_autofree char *load_after = NULL;
  guint64 delivered = 0, expected = 0, lost = 0, dropped = 0, errors = 0;
  guint64 group_expected = 0, group_received = 0, fire_expected = 0, fire_received = 0;
  Publisher publisher = { 0 };
  GThread *thread;
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-fanout: %s\n", error->message);
      return 2;
    }
  if (opts.server_path == NULL)
    opts.server_path = g_strdup (g_getenv ("PULSE_EVENTS"));
  if (opts.server_path == NULL)
    {
      fprintf (stderr, "bench-fanout: give --server PATH (or PULSE_EVENTS)\n");
      return 2;
    }

  signal (SIGPIPE, SIG_IGN);
  if (opts.idle > 0)
    {
      opts.n_clients = opts.idle;
      opts.n_firehose = 0;
    }
  n_total = opts.n_clients + opts.n_firehose;

  /* Each client is a descriptor here and one in the server (which inherits this). */
  getrlimit (RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit (RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < (rlim_t) n_total + 64)
    g_error ("RLIMIT_NOFILE is %lu, need %d", (unsigned long) limit.rlim_cur, n_total + 64);

  start_server ();
  wait_for_broker ();
  g_usleep (200 * 1000);
  rss_before = read_status_kib (server_pid, "VmRSS:");

  group_latency = g_array_new (FALSE, FALSE, sizeof (gint64));
  firehose_latency = g_array_new (FALSE, FALSE, sizeof (gint64));
  published_per_group = g_new0 (guint64, opts.n_clients);

  if (opts.idle > 0)
    {
      g_autofree char *load = read_load ();

      printf ("pulse-events idle clients (%s): %d task-group clients, load average %s (%d cores)\n",
              opts.amqp_url ? "RabbitMQ" : "embedded exchange", opts.idle, load,
              (int) sysconf (_SC_NPROCESSORS_ONLN));
    }
  else
    {
      printf ("pulse-events fan-out (%s): %d task-group clients + %d firehose clients, "
              "%.0f messages/s for %.0f s, %d-byte payloads\n",
              opts.amqp_url ? "RabbitMQ" : "embedded exchange",
              opts.n_clients, opts.n_firehose, opts.rate, opts.duration, opts.payload_size);

      /* Before the clients: with RabbitMQ this declares the exchanges they bind to. */
      publisher_connect (&publisher);
    }

  epoll_fd = epoll_create1 (0);
  clients = g_new0 (Client, n_total);
  cpu_before = read_cpu_seconds (server_pid);
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < n_total; i++)
    {
      struct epoll_event event = { .events = EPOLLIN, .data.ptr = &clients[i] };

      clients[i].firehose = i >= opts.n_clients;
      clients[i].group = i;
      epoll_ctl (epoll_fd, EPOLL_CTL_ADD, connect_client (&clients[i]), &event);
      poll_clients (epoll_fd, 0);
    }

  /* All bound before the first message. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  for (;;)
    {
      int n_ready = 0;

      for (int i = 0; i < n_total; i++)
        n_ready += clients[i].ready;
      if (n_ready == n_total)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("Only %d of %d clients got `ready`", n_ready, n_total);
      poll_clients (epoll_fd, 100);
    }
  printf ("  %d streams ready in %.2f s (server CPU %.2f s, this process %.2f s)\n", n_total,
          (g_get_monotonic_time () - t0) / 1e6, read_cpu_seconds (server_pid) - cpu_before,
          read_cpu_seconds (getpid ()));

  g_usleep (500 * 1000);
  rss_idle = read_status_kib (server_pid, "VmRSS:");
  printf ("  server memory: %" G_GINT64_FORMAT " KiB before clients, %" G_GINT64_FORMAT
          " KiB with %d idle clients: %.1f KiB per idle client\n",
          rss_before, rss_idle, n_total, (rss_idle - rss_before) / (double) n_total);

  if (opts.idle > 0)
    {
      g_autofree char *load = read_load ();

      printf ("  load average %s at the end\n", load);
      measuring = FALSE;
      g_atomic_int_set (&publishing_done, TRUE);
      goto done;
    }

  load_before = read_load ();
  cpu_before = read_cpu_seconds (server_pid);
  if (opts.broker_pid > 0)
    broker_cpu_before = read_cpu_seconds (opts.broker_pid);
  measuring = TRUE;
  t0 = g_get_monotonic_time ();
  thread = g_thread_new ("publisher", publisher_thread, &publisher);

  while (!g_atomic_int_get (&publishing_done))
    poll_clients (epoll_fd, 50);
  t_end = g_get_monotonic_time ();
  g_thread_join (thread);
  /* The server's and the broker's CPU over the publishing only: the drain
   * below may last longer when they fell behind. */
  cpu_after = read_cpu_seconds (server_pid);
  if (opts.broker_pid > 0)
    broker_cpu_after = read_cpu_seconds (opts.broker_pid);
  load_after = read_load ();

  /* Drain: until everything expected arrived, or 5 s of silence. A message
   * still in flight after that is lost; a late one only shows in latency. */
  {
    guint64 last_got = 0;

    deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
    while (g_get_monotonic_time () < deadline)
      {
        guint64 got = 0, want = 0;

        for (int i = 0; i < n_total; i++)
          {
            got += clients[i].received + clients[i].dropped;
            want += clients[i].firehose ? published_total : published_per_group[clients[i].group];
          }
        if (got >= want)
          break;
        if (got > last_got)
          deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
        last_got = got;
        poll_clients (epoll_fd, 50);
      }
  }
  rss_peak = read_status_kib (server_pid, "VmHWM:");

  for (int i = 0; i < n_total; i++)
    {
      guint64 want = clients[i].firehose ? published_total : published_per_group[clients[i].group];

      delivered += clients[i].received;
      dropped += clients[i].dropped;
      errors += clients[i].errors;
      expected += want;
      if (want > clients[i].received + clients[i].dropped)
        lost += want - clients[i].received - clients[i].dropped;
      if (clients[i].firehose)
        fire_expected += want, fire_received += clients[i].received;
      else
        group_expected += want, group_received += clients[i].received;
    }

  printf ("  published %" G_GUINT64_FORMAT " messages in %.2f s (%.0f/s)\n",
          published_total, (t_end - t0) / 1e6, published_total / ((t_end - t0) / 1e6));
  printf ("  delivered %" G_GUINT64_FORMAT " events (%.0f/s): %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
          " to task-group clients, %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " to firehose clients\n",
          delivered, delivered / ((t_end - t0) / 1e6), group_received, group_expected, fire_received, fire_expected);
  print_latency ("task-group", group_latency);
  print_latency ("firehose", firehose_latency);
  printf ("  lost %" G_GUINT64_FORMAT ", reported dropped %" G_GUINT64_FORMAT ", error events %" G_GUINT64_FORMAT "\n",
          lost, dropped, errors);
  printf ("  server CPU %.2f s for %.2f s (%.0f%% of one core), peak RSS %" G_GINT64_FORMAT " KiB\n",
          cpu_after - cpu_before, (t_end - t0) / 1e6,
          100 * (cpu_after - cpu_before) / ((t_end - t0) / 1e6), rss_peak);
  if (broker_cpu_before >= 0 && broker_cpu_after >= 0)
    printf ("  broker CPU %.2f s for %.2f s (%.0f%% of one core)\n",
            broker_cpu_after - broker_cpu_before, (t_end - t0) / 1e6,
            100 * (broker_cpu_after - broker_cpu_before) / ((t_end - t0) / 1e6));
  printf ("  load average %s at the start of publishing, %s at its end (%d cores)\n",
          load_before, load_after, (int) sysconf (_SC_NPROCESSORS_ONLN));

done:
  for (int i = 0; i < n_total; i++)
    {
      close (clients[i].fd);
      g_string_free (clients[i].buf, TRUE);
    }
  g_free (clients);
  g_free (published_per_group);
  g_array_unref (group_latency);
  g_array_unref (firehose_latency);
  close (epoll_fd);
  if (publisher.fd > 0)
    close (publisher.fd);
  g_clear_pointer (&publisher.rand, g_rand_free);
  if (publisher.pad != NULL)
    g_string_free (publisher.pad, TRUE);
  kill (server_pid, SIGTERM);
  waitpid (server_pid, &status, 0);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    printf ("  pulse-events did not exit cleanly (wait status %d)\n", status);

  if (publisher.amqp != NULL)
    {
      amqp_channel_close (publisher.amqp, 1, AMQP_REPLY_SUCCESS);
      amqp_connection_close (publisher.amqp, AMQP_REPLY_SUCCESS);
      amqp_destroy_connection (publisher.amqp);
    }

  return lost == 0 && errors == 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : 1;
}
