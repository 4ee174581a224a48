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
 * kind of client, messages lost, the server's memory per idle client, and
 * the CPU of the server (per thread), of the broker and of this program.
 *
 * The clients live in this process on non-blocking sockets, read by
 * --readers threads (2), each with its own epoll set. A reader takes raw
 * bytes and finds only what the figures need: the event boundaries, the
 * publish time the publisher put first in each payload (`"sent":µs`), and
 * the counts of `dropped` events; nothing is parsed as JSON. Each reader's
 * CPU time is printed, so that a reader can see the benchmark was not the
 * limit. The publisher runs on its own thread: with the embedded exchange
 * it publishes in batches through POST /publish; with --amqp URL it
 * publishes to the broker through librabbitmq and pulse-events bridges it.
 *
 *   bench-fanout [--server PATH] [--clients N] [--firehose N] [--rate R]
 *                [--duration S] [--amqp URL [--broker-pid PID]] [--server-arg ARG]...
 *                [--readers N] [--rcvbuf KIB]
 *   bench-fanout --search [--rate R] [--step R] [--max-rate R] [--p99-limit MS] ...
 *   bench-fanout --targets --amqp URL [--embedded-rate R] [--target-duration S] [--rate R] [--step R] ...
 *                [--broker-alone S] [--broker-bare S]
 *   bench-fanout --idle N [--server PATH] [--amqp URL]
 *
 * --search steps the rate up from --rate by --step, each step --duration
 * seconds on the same connected clients, until a step loses a message, gets
 * a `dropped` event, cannot publish the rate asked (the broker holds the
 * publisher back) or has a p99 latency at or past --p99-limit (100 ms), and
 * prints the highest rate held (when --rate itself does not hold, it steps
 * down instead).
 *
 * Exit status: a single run fails when a message was lost or an `error`
 * event came; --search fails when no rate held; --targets only when
 * pulse-events did not exit cleanly (targets missed are figures).
 *
 * --targets runs both brokers in one run against issue 15's targets: the
 * embedded exchange at --embedded-rate (20,000/s, p99 under 50 ms, no
 * loss), then RabbitMQ at --rate (5,000/s, p99 under 100 ms, no loss, the
 * broker under half a core) and the rate search on from there. It prints a
 * summary of the targets met. The two target steps publish for
 * --target-duration (30 s): the broker's share of a core is a steady-state
 * figure, and over 10 s its per-message cost came out 10-20 % higher and
 * varied more. Before its clients connect, the RabbitMQ session publishes
 * the same traffic for --broker-alone seconds (--target-duration) with
 * nothing bound: what taking the publishes alone costs the broker, which
 * no design of pulse-events can save, apart from what our shared queue
 * adds. Then for --broker-bare seconds (--target-duration) it publishes the
 * same again to one bare consumer of this program's own: one queue bound
 * to `#` on each exchange, consumed without acks, as pulse-events' shared
 * queue is. That is the least any server taking every message from the
 * broker costs it; what pulse-events costs beyond it is ours to save.
 * tests/bench-fanout.sh starts a private RabbitMQ node and runs this.
 *
 * --rcvbuf KIB sets the firehose clients' socket receive buffers (default:
 * the kernel's autotuning); a larger one lets a client the machine did not
 * schedule in time fall further behind before the server must drop.
 *
 * --idle N only connects N task-group clients as fast as it can and prints
 * how long they took to get `ready` and the server's memory per idle
 * client; nothing is published.
 *
 * The machine's load average is printed with the figures: on a small machine
 * the broker, the server and this program share the cores, and whatever else
 * runs there moves the latency. The broker's process is found as the one
 * listening on the AMQP URL's port (or given with --broker-pid).
 */

#include "config.h"

#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>

/* Messages per POST /publish: well under the server's default --max-body
 * at the largest --payload-size used, and about 25 ms of 20,000 messages/s:
 * a late publisher catching up must not hand the server a burst past a
 * client's bounds (4,000 events, 4 MiB by default) that no steady
 * publisher would. */
#define MAX_BATCH 500

/* What a reader reads at once; a partial event is carried to the next read. */
#ifndef READ_SIZE
#define READ_SIZE (256 * 1024)
#endif

/* Latency histogram: 50 µs buckets up to 1 s, then 10 ms buckets up to 101 s. */
#define HIST_FINE_US     50
#define HIST_FINE        20000
#define HIST_COARSE_US   10000
#define HIST_COARSE      10000
#define HIST_BUCKETS     (HIST_FINE + HIST_COARSE)

static const char * const exchanges[] = {
  "exchange/taskcluster-queue/v1/task-pending",
  "exchange/taskcluster-queue/v1/task-running",
  "exchange/taskcluster-queue/v1/task-completed",
};

typedef struct
{
  guint32 counts[HIST_BUCKETS];
  guint64 n;
  gint64  max;
} Histogram;

typedef struct
{
  int       fd;
  gboolean  firehose;
  guint     group;
  gboolean  head_done;
  gboolean  ready;
  gboolean  closed;
  char     *carry;      /* the bytes of an event not yet complete */
  gsize     carry_len;
  gsize     carry_size;
  guint64   received;   /* messages of the step under way */
  guint64   late;       /* messages of an earlier step, counted lost there */
  guint64   dropped;
  guint64   errors;
  guint64   step_received;  /* at the start of the step */
  guint64   step_late;
  guint64   step_dropped;
  gint64    step_first_drop;  /* when this step's first `dropped` came, or 0 */
  gint64    step_last_drop;
  guint     step_drop_events;
} Client;

/* One reading thread and the clients on its epoll set. The lock is held
 * while it handles what one epoll_wait() returned; the main thread takes it
 * to read the clients' counts and the histograms. */
typedef struct
{
  GThread   *thread;
  int        epoll_fd;
  GMutex     lock;
  clockid_t  clock;
  gboolean   clock_ok;
  char      *buf;
  Histogram *group;
  Histogram *firehose;
  guint64    reads;
  guint64    full_reads;  /* that filled the buffer: the socket held more */
} Reader;

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
  int         n_readers;
  gboolean    search;
  gboolean    targets;
  double      step;
  double      max_rate;
  double      p99_limit_ms;
  double      embedded_rate;
  int         rcvbuf_kib;
  double      target_duration;
  double      alone_duration;
  double      bare_duration;
  char       *server_log;
} opts = { NULL, NULL, 0, 1000, 10, 5000, 10, 1024, 0, NULL, 2, FALSE, FALSE, 1000, 100000, 100, 20000, 0, 30, NAN, NAN, NULL };  /* NAN: not given */

/* The session under way: which broker, its server and clients. */
static const char *session_amqp;   /* NULL: the embedded exchange */
static int         broker_pid;
static guint16     server_port;
static GPid        server_pid;
static Client     *clients;
static int         n_total;
static Reader     *readers;
static gint        n_ready;
static gint        current_step;   /* in each payload: "step":N */
static gint        readers_stop;
static guint64    *published_per_group;
static guint64     published_total;
static double      broker_alone_share = -1;  /* the broker's share of a core with nothing bound */
static double      broker_bare_share = -1;   /* ...with one bare consumer of every message */

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

/* A benchmark that aborts (g_error()) takes its server with it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
start_server (void)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *max = g_strdup_printf ("%d", opts.n_clients + opts.n_firehose + 100);
  int out_fd, log_fd = -1;
  GIOChannel *channel;
  const char *prefix = "Listening on http://127.0.0.1:";

  g_ptr_array_add (argv, opts.server_path);
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  g_ptr_array_add (argv, (char *) "--max-connections");
  g_ptr_array_add (argv, max);
  if (session_amqp != NULL)
    {
      g_ptr_array_add (argv, (char *) "--amqp");
      g_ptr_array_add (argv, (char *) session_amqp);
    }
  for (guint i = 0; opts.server_args != NULL && opts.server_args[i] != NULL; i++)
    g_ptr_array_add (argv, opts.server_args[i]);
  g_ptr_array_add (argv, NULL);

  /* Its log (which streams fell behind, and why) only when asked for. */
  if (opts.server_log != NULL)
    {
      log_fd = open (opts.server_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (log_fd < 0)
        g_error ("Cannot open %s: %s", opts.server_log, g_strerror (errno));
    }
  if (!g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD | (log_fd < 0 ? G_SPAWN_STDERR_TO_DEV_NULL : 0),
                                         die_with_parent, NULL, -1, -1, log_fd, NULL, NULL, 0,
                                         &server_pid, NULL, &out_fd, NULL, &error))
    g_error ("Cannot start %s: %s", opts.server_path, error->message);
  if (log_fd >= 0)
    close (log_fd);

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

/* --- CPU of the server's threads and of the broker ---------------------------- */

/* CPU seconds of each of @pid's threads, by thread id; the value is a
 * "name\tseconds" string. */
static GHashTable *
read_thread_cpu (GPid pid)
{
  GHashTable *threads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", pid);
  DIR *dir = opendir (dir_path);
  struct dirent *entry;

  if (dir == NULL)
    return threads;
  while ((entry = readdir (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      g_auto(GStrv) fields = NULL;
      const char *open, *close;

      if (entry->d_name[0] == '.')
        continue;
      path = g_strdup_printf ("%s/%s/stat", dir_path, entry->d_name);
      if (!g_file_get_contents (path, &text, NULL, NULL) ||
          !(open = strchr (text, '(')) || !(close = strrchr (text, ')')))
        continue;
      fields = g_strsplit (close + 2, " ", -1);
      if (g_strv_length (fields) < 13)
        continue;
      g_hash_table_insert (threads, g_strdup (entry->d_name),
                           g_strdup_printf ("%.*s\t%f", (int) (close - open - 1), open + 1,
                                            (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) /
                                            sysconf (_SC_CLK_TCK)));
    }
  closedir (dir);
  return threads;
}

typedef struct
{
  char   *name;
  double  seconds;
} ThreadCpu;

static int
compare_thread_cpu (gconstpointer a,
                    gconstpointer b)
{
  const ThreadCpu *x = a, *y = b;

  return x->seconds < y->seconds ? 1 : x->seconds > y->seconds ? -1 : 0;
}

/* "main 38%, pool-spawner 1%": the threads that used CPU between the two
 * readings, busiest first, in percent of one core over @seconds. */
static char *
describe_thread_cpu (GHashTable *before,
                     GHashTable *after,
                     double      seconds)
{
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (ThreadCpu));
  GString *out = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *was = g_hash_table_lookup (before, key);
      const char *tab = strchr (value, '\t');
      ThreadCpu thread;

      thread.name = g_strndup (value, tab - (const char *) value);
      thread.seconds = g_ascii_strtod (tab + 1, NULL) - (was ? g_ascii_strtod (strchr (was, '\t') + 1, NULL) : 0);
      g_array_append_val (list, thread);
    }
  g_array_sort (list, compare_thread_cpu);
  for (guint i = 0; i < list->len; i++)
    {
      ThreadCpu *thread = &g_array_index (list, ThreadCpu, i);

      if (i < 4 && thread->seconds >= 0.01 * seconds)
        g_string_append_printf (out, "%s%s %.0f%%", out->len ? ", " : "", thread->name,
                                100 * thread->seconds / seconds);
      g_free (thread->name);
    }
  if (out->len == 0)
    g_string_append (out, "none above 1%");
  return g_string_free (out, FALSE);
}

/* The socket inode listening on 127.0.0.1:@port or [::]:@port, from /proc/net. */
static guint64
find_listening_inode (guint16 port)
{
  static const char * const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (tables[t], &text, NULL, NULL))
        continue;
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 1; lines[i] != NULL; i++)
        {
          g_auto(GStrv) f = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
          g_autoptr(GPtrArray) fields = g_ptr_array_new ();
          const char *colon;

          for (guint j = 0; f[j] != NULL; j++)
            if (f[j][0] != '\0')
              g_ptr_array_add (fields, f[j]);
          /* sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode */
          if (fields->len < 10 || strcmp (fields->pdata[3], "0A") != 0 ||
              !(colon = strrchr (fields->pdata[1], ':')) || g_ascii_strtoull (colon + 1, NULL, 16) != port)
            continue;
          return g_ascii_strtoull (fields->pdata[9], NULL, 10);
        }
    }
  return 0;
}

/* The process that listens on @port (the broker of the AMQP URL), or 0. */
static int
find_listening_pid (guint16 port)
{
  guint64 inode = find_listening_inode (port);
  g_autofree char *want = g_strdup_printf ("socket:[%" G_GUINT64_FORMAT "]", inode);
  DIR *proc;
  struct dirent *entry;
  int found = 0;

  if (inode == 0 || (proc = opendir ("/proc")) == NULL)
    return 0;
  while (found == 0 && (entry = readdir (proc)) != NULL)
    {
      g_autofree char *fd_path = NULL;
      DIR *fds;
      struct dirent *fd;

      if (!g_ascii_isdigit (entry->d_name[0]))
        continue;
      fd_path = g_strdup_printf ("/proc/%s/fd", entry->d_name);
      if ((fds = opendir (fd_path)) == NULL)
        continue;
      while ((fd = readdir (fds)) != NULL)
        {
          g_autofree char *link_path = g_strdup_printf ("%s/%s", fd_path, fd->d_name);
          char target[64];
          gssize n = readlink (link_path, target, sizeof target - 1);

          if (n > 0 && (target[n] = '\0', strcmp (target, want) == 0))
            {
              found = atoi (entry->d_name);
              break;
            }
        }
      closedir (fds);
    }
  closedir (proc);
  return found;
}

static guint16
amqp_url_port (const char *url)
{
  struct amqp_connection_info info;
  g_autofree char *copy = g_strdup (url);

  if (amqp_parse_url (copy, &info) != AMQP_STATUS_OK)
    return 0;
  return (guint16) info.port;
}

static double
clock_seconds (clockid_t clock)
{
  struct timespec ts;

  if (clock_gettime (clock, &ts) != 0)
    return 0;
  return ts.tv_sec + ts.tv_nsec / 1e9;
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
  if (opts.rcvbuf_kib > 0 && client->firehose)
    {
      int size = opts.rcvbuf_kib * 1024;

      setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
  if (write (fd, request, strlen (request)) != (gssize) strlen (request))
    g_error ("write: %s", g_strerror (errno));
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);

  client->fd = fd;
  return fd;
}

static void
histogram_add (Histogram *hist,
               gint64     us)
{
  guint bucket;

  if (us < 0)
    us = 0;
  if (us < HIST_FINE * HIST_FINE_US)
    bucket = us / HIST_FINE_US;
  else
    bucket = HIST_FINE + MIN ((us - HIST_FINE * HIST_FINE_US) / HIST_COARSE_US, HIST_COARSE - 1);
  hist->counts[bucket]++;
  hist->n++;
  if (us > hist->max)
    hist->max = us;
}

static void
histogram_merge (Histogram       *into,
                 const Histogram *from)
{
  for (guint i = 0; i < HIST_BUCKETS; i++)
    into->counts[i] += from->counts[i];
  into->n += from->n;
  into->max = MAX (into->max, from->max);
}

/* The latency below which @fraction of the samples lie, in µs (the upper
 * edge of its bucket, the exact maximum for the last one). */
static gint64
histogram_quantile (const Histogram *hist,
                    double           fraction)
{
  guint64 want = (guint64) (hist->n * fraction), seen = 0;

  for (guint i = 0; i < HIST_BUCKETS; i++)
    {
      seen += hist->counts[i];
      if (seen > want)
        {
          gint64 edge = i < HIST_FINE ? (gint64) (i + 1) * HIST_FINE_US
                                      : HIST_FINE * HIST_FINE_US + (gint64) (i - HIST_FINE + 1) * HIST_COARSE_US;
          return MIN (edge, hist->max);
        }
    }
  return hist->max;
}

/* The digits at @p, up to @end; @next is set past them. */
static gint64
parse_int (const char  *p,
           const char  *end,
           const char **next)
{
  gint64 value = 0;
  gboolean negative = p < end && *p == '-';

  for (p += negative; p < end && *p >= '0' && *p <= '9'; p++)
    value = value * 10 + (*p - '0');
  if (next != NULL)
    *next = p;
  return negative ? -value : value;
}

#define HAS_PREFIX(p, len, lit) ((len) >= sizeof lit - 1 && memcmp ((p), lit, sizeof lit - 1) == 0)

enum { EV_OTHER, EV_MESSAGE, EV_READY, EV_DROPPED, EV_ERROR };

/* Handles the complete events in @data and returns how many bytes they
 * took; what is left is an event not yet complete. Each line is found with
 * memchr(); of a message only the `"sent":` that the publisher puts first
 * in its payload is read, right after the fixed start the server frames. */
static gsize
client_parse (Reader     *reader,
              Client     *client,
              const char *data,
              gsize       len,
              gint64      now)
{
  static const char message_start[] = "data: {\"payload\":{\"sent\":";
  static const char step_field[] = ",\"step\":";
  const char *p = data, *end = data + len;
  int step_now = g_atomic_int_get (&current_step);

  if (!client->head_done)
    {
      const char *head_end = memmem (data, len, "\r\n\r\n", 4);

      if (head_end == NULL)
        return 0;
      if (!HAS_PREFIX (data, len, "HTTP/1.1 200"))
        g_error ("Stream refused: %.*s", (int) MIN (len, 80), data);
      client->head_done = TRUE;
      p = head_end + 4;
    }

  while (p < end)
    {
      const char *event_start = p;
      int kind = EV_OTHER;
      gint64 sent = -1;
      gint64 step = -1;
      guint64 count = 0;

      for (;;)
        {
          const char *nl = memchr (p, '\n', end - p);
          gsize line_len;

          if (nl == NULL)
            return event_start - data;
          line_len = nl - p;
          if (line_len == 0)
            {
              p = nl + 1;
              break;
            }
          if (HAS_PREFIX (p, line_len, "event: "))
            {
              const char *name = p + 7;
              gsize name_len = line_len - 7;

              if (name_len == 7 && memcmp (name, "message", 7) == 0)
                kind = EV_MESSAGE;
              else if (name_len == 5 && memcmp (name, "ready", 5) == 0)
                kind = EV_READY;
              else if (name_len == 7 && memcmp (name, "dropped", 7) == 0)
                kind = EV_DROPPED;
              else if (name_len == 5 && memcmp (name, "error", 5) == 0)
                kind = EV_ERROR;
            }
          else if (kind == EV_MESSAGE && HAS_PREFIX (p, line_len, "data: "))
            {
              const char *at = NULL;

              if (HAS_PREFIX (p, line_len, message_start))
                sent = parse_int (p + sizeof message_start - 1, nl, &at);
              else if ((at = memmem (p, line_len, "\"sent\":", 7)) != NULL)
                sent = parse_int (at + 7, nl, &at);
              if (at != NULL && HAS_PREFIX (at, (gsize) (nl - at), step_field))
                step = parse_int (at + sizeof step_field - 1, nl, NULL);
            }
          else if (kind == EV_DROPPED && HAS_PREFIX (p, line_len, "data: "))
            {
              const char *at = memmem (p, line_len, "\"count\":", 8);

              if (at != NULL)
                count = parse_int (at + 8, nl, NULL);
            }
          p = nl + 1;
        }

      switch (kind)
        {
        case EV_MESSAGE:
          if (step >= 0 && step != step_now)
            {
              client->late++;
              break;
            }
          client->received++;
          if (sent >= 0)
            histogram_add (client->firehose ? reader->firehose : reader->group, now - sent);
          break;
        case EV_READY:
          if (!client->ready)
            {
              client->ready = TRUE;
              g_atomic_int_inc (&n_ready);
            }
          break;
        case EV_DROPPED:
          client->dropped += count;
          if (client->step_first_drop == 0)
            client->step_first_drop = now;
          client->step_last_drop = now;
          client->step_drop_events++;
          break;
        case EV_ERROR:
          client->errors++;
          break;
        default:
          break;
        }
    }
  return p - data;
}

static void
client_read (Reader *reader,
             Client *client)
{
  for (;;)
    {
      gsize have = client->carry_len;
      gsize room, used;
      gssize n;

      if (have > READ_SIZE / 2)
        g_error ("An event of more than %d bytes", READ_SIZE / 2);
      if (have > 0)
        memcpy (reader->buf, client->carry, have);
      room = READ_SIZE - have;
      n = read (client->fd, reader->buf + have, room);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
      if (n <= 0)
        {
          if (!client->closed)
            {
              client->closed = TRUE;
              epoll_ctl (reader->epoll_fd, EPOLL_CTL_DEL, client->fd, NULL);
            }
          return;
        }

      reader->reads++;
      if ((gsize) n == room)
        reader->full_reads++;
      used = client_parse (reader, client, reader->buf, have + n, g_get_monotonic_time ());
      client->carry_len = have + n - used;
      if (client->carry_len > client->carry_size)
        {
          client->carry_size = MAX (client->carry_len, 4096);
          client->carry = g_realloc (client->carry, client->carry_size);
        }
      if (client->carry_len > 0)
        memcpy (client->carry, reader->buf + used, client->carry_len);

      /* A short read emptied the socket: epoll says when there is more. */
      if ((gsize) n < room)
        return;
    }
}

static gpointer
reader_thread (gpointer data)
{
  Reader *reader = data;
  struct epoll_event events[256];

  pthread_getcpuclockid (pthread_self (), &reader->clock);
  g_atomic_int_set (&reader->clock_ok, TRUE);
  while (!g_atomic_int_get (&readers_stop))
    {
      int n = epoll_wait (reader->epoll_fd, events, G_N_ELEMENTS (events), 100);

      g_mutex_lock (&reader->lock);
      for (int i = 0; i < n; i++)
        client_read (reader, events[i].data.ptr);
      g_mutex_unlock (&reader->lock);
    }
  return NULL;
}

static void
readers_start (void)
{
  readers = g_new0 (Reader, opts.n_readers);
  g_atomic_int_set (&readers_stop, FALSE);
  for (int i = 0; i < opts.n_readers; i++)
    {
      Reader *reader = &readers[i];

      reader->epoll_fd = epoll_create1 (0);
      g_mutex_init (&reader->lock);
      reader->buf = g_malloc (READ_SIZE);
      reader->group = g_new0 (Histogram, 1);
      reader->firehose = g_new0 (Histogram, 1);
      reader->thread = g_thread_new ("reader", reader_thread, reader);
    }
  for (int i = 0; i < opts.n_readers; i++)
    while (!g_atomic_int_get (&readers[i].clock_ok))
      g_usleep (1000);
}

static void
readers_stop_all (void)
{
  g_atomic_int_set (&readers_stop, TRUE);
  for (int i = 0; i < opts.n_readers; i++)
    {
      Reader *reader = &readers[i];

      g_thread_join (reader->thread);
      close (reader->epoll_fd);
      g_mutex_clear (&reader->lock);
      g_free (reader->buf);
      g_free (reader->group);
      g_free (reader->firehose);
    }
  g_clear_pointer (&readers, g_free);
}

/* Each reader's CPU seconds so far. */
static void
readers_cpu (double *seconds)
{
  for (int i = 0; i < opts.n_readers; i++)
    seconds[i] = clock_seconds (readers[i].clock);
}

static void
readers_lock (void)
{
  for (int i = 0; i < opts.n_readers; i++)
    g_mutex_lock (&readers[i].lock);
}

static void
readers_unlock (void)
{
  for (int i = 0; i < opts.n_readers; i++)
    g_mutex_unlock (&readers[i].lock);
}

/* --- publishers ---------------------------------------------------------------- */

typedef struct
{
  int                     fd;        /* HTTP */
  amqp_connection_state_t amqp;      /* or AMQP */
  GRand                  *rand;
  GString                *pad;
  guint64                 seq;
  double                  rate;      /* of the step under way */
  double                  duration;
  double                  cpu_seconds;
  gint                    done;
  int                     unsent_max;  /* bytes in the AMQP socket not yet taken by the broker */
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

/* A connection to the session's broker with channel 1 open. */
static amqp_connection_state_t
amqp_open (const char *amqp_url)
{
  struct amqp_connection_info info;
  g_autofree char *url = g_strdup (amqp_url);
  amqp_connection_state_t conn;
  amqp_socket_t *socket;
  amqp_rpc_reply_t reply;

  if (amqp_parse_url (url, &info) != AMQP_STATUS_OK)
    g_error ("Bad AMQP URL");
  conn = amqp_new_connection ();
  socket = amqp_tcp_socket_new (conn);
  if (amqp_socket_open (socket, info.host, info.port) != AMQP_STATUS_OK)
    g_error ("Cannot reach the broker");
  reply = amqp_login (conn, info.vhost[0] ? info.vhost : "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                      info.user, info.password);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL)
    g_error ("AMQP login failed");
  amqp_channel_open (conn, 1);
  return conn;
}

static void
publisher_connect (Publisher *publisher)
{
  publisher->rand = g_rand_new_with_seed (42);
  publisher->pad = g_string_new (NULL);
  for (int i = 0; i < opts.payload_size - 200; i++)
    g_string_append_c (publisher->pad, "abcdefghijklmnopqrstuvwxyz"[i % 26]);

  if (session_amqp != NULL)
    {
      publisher->amqp = amqp_open (session_amqp);
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
      g_autofree char *payload = g_strdup_printf ("{\"sent\":%" G_GINT64_FORMAT ",\"step\":%d,\"seq\":%" G_GUINT64_FORMAT
                                                  ",\"pad\":\"%s\"}",
                                                  g_get_monotonic_time (), g_atomic_int_get (&current_step),
                                                  publisher->seq, publisher->pad->str);

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

/* Publishes until *@sent reaches @due or the clock @deadline, in requests
 * the server takes: a late publisher catches up in several, not in one body
 * past the server's --max-body, nor in one burst to every firehose client. */
static void
publish_up_to (Publisher *publisher,
               guint64   *sent,
               guint64    due,
               gint64     deadline)
{
  while (due > *sent && g_get_monotonic_time () < deadline)
    {
      guint count = (guint) MIN (due - *sent, MAX_BATCH);

      publish_batch (publisher, count);
      *sent += count;
    }
}

static gpointer
publisher_thread (gpointer data)
{
  Publisher *publisher = data;
  const gint64 tick = 10 * 1000;  /* a batch every 10 ms */
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (publisher->duration * G_USEC_PER_SEC);
  gint64 next = start;
  guint64 sent = 0;
  double cpu_start = clock_seconds (CLOCK_THREAD_CPUTIME_ID);

  publisher->unsent_max = 0;

  while (g_get_monotonic_time () < end)
    {
      /* Catch up with the clock, so that the rate holds even when a
       * batch or a sleep runs long. */
      guint64 due = (guint64) (publisher->rate * (g_get_monotonic_time () - start) / G_USEC_PER_SEC);

      publish_up_to (publisher, &sent, due, end);

      /* Where RabbitMQ holds a publisher back: in its socket. */
      if (publisher->amqp != NULL)
        {
          int unsent = 0;

          if (ioctl (amqp_get_sockfd (publisher->amqp), SIOCOUTQ, &unsent) == 0)
            publisher->unsent_max = MAX (publisher->unsent_max, unsent);
        }

      next += tick;
      if (next > g_get_monotonic_time ())
        g_usleep (next - g_get_monotonic_time ());
    }

  /* The last tick's messages when its sleep ran past the end; a publisher
   * that fell further behind stays short, and the step says so. */
  {
    guint64 total = (guint64) (publisher->rate * publisher->duration);

    /* In requests of MAX_BATCH too: one body of thousands would reach
     * every firehose client in one turn, past its bound for a slow client,
     * which is a burst, not the rate asked for. */
    if (total > sent && total - sent <= MAX (total / 20, 1))
      {
        if (total - sent > MAX_BATCH)
          printf ("  publisher: %" G_GUINT64_FORMAT " messages late at the end, published %d at a time\n",
                  total - sent, MAX_BATCH);
        publish_up_to (publisher, &sent, total, G_MAXINT64);
      }
  }

  publisher->cpu_seconds = clock_seconds (CLOCK_THREAD_CPUTIME_ID) - cpu_start;
  return NULL;
}

/* --- steps: one rate for --duration on the connected clients ------------------- */

typedef struct
{
  double      rate;
  double      seconds;
  guint64     published;
  guint64     delivered;
  guint64     group_expected, group_received, fire_expected, fire_received;
  guint64     lost, dropped, errors, late;
  guint       drop_clients, drop_firehose, drop_events;
  double      drop_first, drop_last;  /* seconds into the step */
  guint64     drop_min, drop_max;     /* to one client */
  Histogram  *group;
  Histogram  *firehose;
  double      server_cpu;
  double      broker_cpu;      /* < 0: unknown */
  double      reader_cpu_max;  /* the busiest reader, seconds */
  double      reader_cpu_sum;
  guint64     reads, full_reads;
  double      publisher_cpu;
  int         publisher_unsent_max;  /* < 0: not RabbitMQ */
  double      process_cpu;
  gint64      rss_peak;
  char       *server_threads;
  char       *load_before;
  char       *load_after;
  gboolean    held;
} Step;

static void
step_free (Step *step)
{
  g_free (step->group);
  g_free (step->firehose);
  g_free (step->server_threads);
  g_free (step->load_before);
  g_free (step->load_after);
  g_free (step);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Step, step_free)

static double
step_p99_ms (const Step *step)
{
  return MAX (histogram_quantile (step->group, 0.99), histogram_quantile (step->firehose, 0.99)) / 1000.0;
}

/* Publishes at @rate for @duration seconds, waits for the clients to get
 * everything (or 5 s without progress: the rest is lost) and counts. */
static Step *
run_step (Publisher *publisher,
          double     rate,
          double     duration)
{
  Step *step = g_new0 (Step, 1);
  g_autofree guint64 *base_per_group = g_memdup2 (published_per_group, opts.n_clients * sizeof (guint64));
  guint64 base_total = published_total;
  g_autoptr(GHashTable) threads_before = NULL;
  g_autoptr(GHashTable) threads_after = NULL;
  g_autofree double *readers_before = g_new0 (double, opts.n_readers);
  g_autofree double *readers_after = g_new0 (double, opts.n_readers);
  double cpu_before, broker_before = -1, process_before;
  gint64 t0, t_end, deadline;
  guint64 last_got = 0;
  GThread *thread;

  step->rate = rate;
  step->group = g_new0 (Histogram, 1);
  step->firehose = g_new0 (Histogram, 1);

  readers_lock ();
  for (int i = 0; i < opts.n_readers; i++)
    {
      memset (readers[i].group, 0, sizeof (Histogram));
      memset (readers[i].firehose, 0, sizeof (Histogram));
      readers[i].reads = readers[i].full_reads = 0;
    }
  for (int i = 0; i < n_total; i++)
    {
      clients[i].step_received = clients[i].received;
      clients[i].step_late = clients[i].late;
      clients[i].step_dropped = clients[i].dropped;
      clients[i].step_first_drop = clients[i].step_last_drop = 0;
      clients[i].step_drop_events = 0;
    }
  /* Messages of an earlier step that arrive from now on were counted lost
   * in it: they are counted apart, not in this one. */
  g_atomic_int_inc (&current_step);
  readers_unlock ();

  step->load_before = read_load ();
  threads_before = read_thread_cpu (server_pid);
  cpu_before = read_cpu_seconds (server_pid);
  if (broker_pid > 0)
    broker_before = read_cpu_seconds (broker_pid);
  readers_cpu (readers_before);
  process_before = read_cpu_seconds (getpid ());

  publisher->rate = rate;
  publisher->duration = duration;
  t0 = g_get_monotonic_time ();
  thread = g_thread_new ("publisher", publisher_thread, publisher);
  g_thread_join (thread);
  t_end = g_get_monotonic_time ();

  /* The CPU over the publishing only: the drain below may last longer
   * when something fell behind. */
  step->seconds = (t_end - t0) / 1e6;
  step->server_cpu = read_cpu_seconds (server_pid) - cpu_before;
  threads_after = read_thread_cpu (server_pid);
  step->server_threads = describe_thread_cpu (threads_before, threads_after, step->seconds);
  step->broker_cpu = broker_before >= 0 ? read_cpu_seconds (broker_pid) - broker_before : -1;
  readers_cpu (readers_after);
  for (int i = 0; i < opts.n_readers; i++)
    {
      step->reader_cpu_max = MAX (step->reader_cpu_max, readers_after[i] - readers_before[i]);
      step->reader_cpu_sum += readers_after[i] - readers_before[i];
    }
  step->publisher_cpu = publisher->cpu_seconds;
  step->publisher_unsent_max = publisher->amqp != NULL ? publisher->unsent_max : -1;
  step->process_cpu = read_cpu_seconds (getpid ()) - process_before;
  step->load_after = read_load ();
  step->published = published_total - base_total;

  /* Drain: until everything expected arrived, or 10 s without progress. A
   * message still in flight after that is lost. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      guint64 got = 0, want = 0;

      readers_lock ();
      for (int i = 0; i < n_total; i++)
        {
          Client *c = &clients[i];

          got += c->received - c->step_received + c->dropped - c->step_dropped;
          want += c->firehose ? published_total - base_total : published_per_group[c->group] - base_per_group[c->group];
        }
      readers_unlock ();
      if (got >= want)
        break;
      if (got > last_got)
        deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      last_got = got;
      g_usleep (20 * 1000);
    }
  step->rss_peak = read_status_kib (server_pid, "VmHWM:");

  readers_lock ();
  for (int i = 0; i < opts.n_readers; i++)
    {
      histogram_merge (step->group, readers[i].group);
      histogram_merge (step->firehose, readers[i].firehose);
      step->reads += readers[i].reads;
      step->full_reads += readers[i].full_reads;
    }
  for (int i = 0; i < n_total; i++)
    {
      Client *c = &clients[i];
      guint64 want = c->firehose ? published_total - base_total : published_per_group[c->group] - base_per_group[c->group];
      guint64 got = c->received - c->step_received, dropped = c->dropped - c->step_dropped;

      step->delivered += got;
      step->late += c->late - c->step_late;
      step->dropped += dropped;
      if (dropped > 0)
        {
          /* A `dropped` event read while the step's figures were taken,
           * just before t0, counts as at its start. */
          double first = MAX (0, (c->step_first_drop - t0) / 1e6), last = MAX (0, (c->step_last_drop - t0) / 1e6);

          step->drop_first = step->drop_clients == 0 ? first : MIN (step->drop_first, first);
          step->drop_last = MAX (step->drop_last, last);
          step->drop_min = step->drop_clients == 0 ? dropped : MIN (step->drop_min, dropped);
          step->drop_max = MAX (step->drop_max, dropped);
          step->drop_clients++;
          step->drop_firehose += c->firehose;
          step->drop_events += c->step_drop_events;
        }
      step->errors += c->errors;
      if (want > got + dropped)
        step->lost += want - got - dropped;
      if (c->firehose)
        step->fire_expected += want, step->fire_received += got;
      else
        step->group_expected += want, step->group_received += got;
    }
  readers_unlock ();

  step->held = step->lost == 0 && step->dropped == 0 && step->errors == 0 &&
               step->published >= 0.97 * rate * duration &&
               step_p99_ms (step) < opts.p99_limit_ms;
  return step;
}

static void
print_latency (const char      *kind,
               const Histogram *hist)
{
  if (hist->n == 0)
    {
      printf ("  %-10s latency: no samples\n", kind);
      return;
    }
  printf ("  %-10s latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%" G_GUINT64_FORMAT " samples)\n", kind,
          histogram_quantile (hist, 0.5) / 1000.0, histogram_quantile (hist, 0.99) / 1000.0,
          hist->max / 1000.0, hist->n);
}

static void
print_step (const Step *step)
{
  printf ("  published %" G_GUINT64_FORMAT " messages in %.2f s (%.0f/s of %.0f/s asked)\n",
          step->published, step->seconds, step->published / step->seconds, step->rate);
  printf ("  delivered %" G_GUINT64_FORMAT " events (%.0f/s): %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
          " to task-group clients, %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " to firehose clients\n",
          step->delivered, step->delivered / step->seconds, step->group_received, step->group_expected,
          step->fire_received, step->fire_expected);
  print_latency ("task-group", step->group);
  print_latency ("firehose", step->firehose);
  printf ("  lost %" G_GUINT64_FORMAT ", reported dropped %" G_GUINT64_FORMAT ", error events %" G_GUINT64_FORMAT "\n",
          step->lost, step->dropped, step->errors);
  if (step->drop_clients > 0)
    printf ("  dropped to %u clients (%u firehose), %" G_GUINT64_FORMAT "–%" G_GUINT64_FORMAT " each, told in %u events "
            "between %.2f and %.2f s into the step\n",
            step->drop_clients, step->drop_firehose, step->drop_min, step->drop_max, step->drop_events,
            step->drop_first, step->drop_last);
  if (step->late > 0)
    printf ("  %" G_GUINT64_FORMAT " messages of earlier steps arrived during this one (counted lost there)\n",
            step->late);
  printf ("  server CPU %.2f s for %.2f s (%.0f%% of one core; threads: %s), peak RSS %" G_GINT64_FORMAT " KiB\n",
          step->server_cpu, step->seconds, 100 * step->server_cpu / step->seconds, step->server_threads,
          step->rss_peak);
  if (step->broker_cpu >= 0)
    printf ("  broker CPU %.2f s for %.2f s (%.0f%% of one core, %.0f µs per message published)\n",
            step->broker_cpu, step->seconds, 100 * step->broker_cpu / step->seconds,
            step->published ? 1e6 * step->broker_cpu / step->published : 0);
  if (step->publisher_unsent_max >= 0)
    printf ("  publisher: at most %d KiB published but not yet taken by the broker (its socket's send queue)\n",
            step->publisher_unsent_max / 1024);
  printf ("  benchmark CPU: %d readers %.0f%% of one core in all (the busiest %.0f%%), publisher %.0f%%, "
          "whole process %.0f%%\n",
          opts.n_readers, 100 * step->reader_cpu_sum / step->seconds, 100 * step->reader_cpu_max / step->seconds,
          100 * step->publisher_cpu / step->seconds, 100 * step->process_cpu / step->seconds);
  printf ("  benchmark reads: %" G_GUINT64_FORMAT ", of which %" G_GUINT64_FORMAT " found %d KiB or more waiting\n",
          step->reads, step->full_reads, READ_SIZE / 1024);
  if (step->reader_cpu_max > 0.7 * step->seconds)
    printf ("  WARNING: a reader thread was busy %.0f%% of the time: these figures may measure the benchmark, "
            "not the server (try --readers %d)\n",
            100 * step->reader_cpu_max / step->seconds, opts.n_readers + 1);
  printf ("  load average %s at the start of publishing, %s at its end (%d cores)\n",
          step->load_before, step->load_after, (int) sysconf (_SC_NPROCESSORS_ONLN));
}

/* --- sessions: one server and its clients -------------------------------------- */

static const char *
broker_name (void)
{
  return session_amqp ? "RabbitMQ" : "embedded exchange";
}

/* Starts pulse-events on @amqp_url (NULL: the embedded exchange), connects
 * the clients and waits for every one's `ready`. */
/* The broker's share of a core while @publisher publishes at @rate for
 * @duration seconds; prints it as @what. */
static double
measure_broker (Publisher  *publisher,
                double      rate,
                double      duration,
                const char *what)
{
  double before, cpu, seconds;
  guint64 base = published_total;
  GThread *thread;
  gint64 t0;

  before = read_cpu_seconds (broker_pid);
  publisher->rate = rate;
  publisher->duration = duration;
  t0 = g_get_monotonic_time ();
  thread = g_thread_new ("publisher", publisher_thread, publisher);
  g_thread_join (thread);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  cpu = read_cpu_seconds (broker_pid) - before;
  printf ("  broker %s: %" G_GUINT64_FORMAT " messages in %.2f s, "
          "broker CPU %.2f s (%.0f%% of one core, %.0f µs per message published)\n",
          what, published_total - base, seconds, cpu, 100 * cpu / seconds,
          published_total > base ? 1e6 * cpu / (published_total - base) : 0);
  fflush (stdout);
  return cpu / seconds;
}

/* One bare consumer of every message: what pulse-events' shared queue is
 * to the broker (a queue of the server's length bound, `#` on each
 * exchange, no acks), with nothing done with what arrives. */
typedef struct
{
  amqp_connection_state_t conn;
  gint                    stop;
  guint64                 received;
} BareConsumer;

static gpointer
bare_consumer_thread (gpointer data)
{
  BareConsumer *bare = data;

  while (!g_atomic_int_get (&bare->stop))
    {
      struct timeval timeout = { 0, 100 * 1000 };
      amqp_envelope_t envelope;
      amqp_rpc_reply_t reply;

      amqp_maybe_release_buffers (bare->conn);
      reply = amqp_consume_message (bare->conn, &envelope, &timeout, 0);
      if (reply.reply_type == AMQP_RESPONSE_NORMAL)
        {
          bare->received++;
          amqp_destroy_envelope (&envelope);
        }
      else if (reply.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION || reply.library_error != AMQP_STATUS_TIMEOUT)
        g_error ("The bare consumer lost the broker");
    }
  return NULL;
}

static void
measure_broker_bare (Publisher *publisher,
                     double     rate,
                     double     duration)
{
  BareConsumer bare = { amqp_open (session_amqp), 0, 0 };
  amqp_table_entry_t length = { amqp_cstring_bytes ("x-max-length"), { AMQP_FIELD_KIND_I32, { .i32 = 10000 } } };
  amqp_table_t arguments = { 1, &length };
  amqp_queue_declare_ok_t *declared;
  amqp_bytes_t queue;
  guint64 base = published_total;
  GThread *thread;

  declared = amqp_queue_declare (bare.conn, 1, amqp_empty_bytes, 0, 0, 1, 1, arguments);
  if (declared == NULL)
    g_error ("The bare consumer could not declare its queue");
  queue = amqp_bytes_malloc_dup (declared->queue);
  for (guint i = 0; i < G_N_ELEMENTS (exchanges); i++)
    amqp_queue_bind (bare.conn, 1, queue, amqp_cstring_bytes (exchanges[i]), amqp_cstring_bytes ("#"),
                     amqp_empty_table);
  amqp_basic_consume (bare.conn, 1, queue, amqp_empty_bytes, 0, 1, 1, amqp_empty_table);
  if (amqp_get_rpc_reply (bare.conn).reply_type != AMQP_RESPONSE_NORMAL)
    g_error ("The bare consumer could not bind or consume");
  amqp_bytes_free (queue);

  thread = g_thread_new ("bare consumer", bare_consumer_thread, &bare);
  broker_bare_share = measure_broker (publisher, rate, duration,
                                      "with one bare consumer of every message (a queue bound to # on each "
                                      "exchange, no acks)");
  g_usleep (G_USEC_PER_SEC);
  g_atomic_int_set (&bare.stop, 1);
  g_thread_join (thread);
  printf ("  the bare consumer received %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " messages\n",
          bare.received, published_total - base);
  amqp_connection_close (bare.conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection (bare.conn);
}

static void
session_start (const char *amqp_url,
               Publisher  *publisher,
               double      rate)
{
  gint64 rss_before, rss_idle, t0, deadline;
  double cpu_before, process_before;
  g_autofree char *load = NULL;

  session_amqp = amqp_url;
  published_total = 0;
  published_per_group = g_new0 (guint64, opts.n_clients);
  memset (publisher, 0, sizeof *publisher);

  start_server ();
  wait_for_broker ();
  g_usleep (200 * 1000);
  rss_before = read_status_kib (server_pid, "VmRSS:");

  broker_pid = 0;
  if (session_amqp != NULL)
    broker_pid = opts.broker_pid > 0 ? opts.broker_pid : find_listening_pid (amqp_url_port (session_amqp));

  load = read_load ();
  if (opts.idle > 0)
    {
      printf ("pulse-events idle clients (%s): %d task-group clients, load average %s (%d cores)\n",
              broker_name (), opts.idle, load, (int) sysconf (_SC_NPROCESSORS_ONLN));
    }
  else
    {
      printf ("pulse-events fan-out (%s): %d task-group clients + %d firehose clients, "
              "%.0f messages/s for %.0f s, %d-byte payloads, %d reader threads, load average %s\n",
              broker_name (), opts.n_clients, opts.n_firehose, rate, opts.duration, opts.payload_size,
              opts.n_readers, load);

      /* Before the clients: with RabbitMQ this declares the exchanges they bind to. */
      publisher_connect (publisher);
    }
  if (session_amqp != NULL)
    {
      if (broker_pid > 0)
        printf ("  broker process %d (listening on the AMQP URL's port)\n", broker_pid);
      else
        printf ("  broker process not found (give --broker-pid): its CPU is not measured\n");
      /* Whatever pulse-events does, a broker that takes these publishes
       * pays this: the same traffic with nothing bound... */
      if (broker_pid > 0 && opts.idle == 0 && opts.alone_duration > 0)
        broker_alone_share = measure_broker (publisher, rate, opts.alone_duration,
                                             "taking the publishes alone (nothing bound yet)");
      /* ...and any server taking every message through one queue this. */
      if (broker_pid > 0 && opts.idle == 0 && opts.bare_duration > 0)
        measure_broker_bare (publisher, rate, opts.bare_duration);
    }

  readers_start ();
  g_atomic_int_set (&n_ready, 0);
  clients = g_new0 (Client, n_total);
  cpu_before = read_cpu_seconds (server_pid);
  process_before = read_cpu_seconds (getpid ());
  t0 = g_get_monotonic_time ();
  for (int i = 0; i < n_total; i++)
    {
      struct epoll_event event = { .events = EPOLLIN, .data.ptr = &clients[i] };

      clients[i].firehose = i >= opts.n_clients;
      clients[i].group = i;
      connect_client (&clients[i]);
      epoll_ctl (readers[i % opts.n_readers].epoll_fd, EPOLL_CTL_ADD, clients[i].fd, &event);
    }

  /* All bound before the first message. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&n_ready) < n_total)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Only %d of %d clients got `ready`", g_atomic_int_get (&n_ready), n_total);
      g_usleep (10 * 1000);
    }
  printf ("  %d streams ready in %.2f s (server CPU %.2f s, this process %.2f s)\n", n_total,
          (g_get_monotonic_time () - t0) / 1e6, read_cpu_seconds (server_pid) - cpu_before,
          read_cpu_seconds (getpid ()) - process_before);

  /* Until the server and the broker are quiet: with RabbitMQ the bindings
   * may still be settling after every `ready`. */
  t0 = g_get_monotonic_time ();
  for (;;)
    {
      double before = read_cpu_seconds (server_pid) + (broker_pid > 0 ? read_cpu_seconds (broker_pid) : 0);
      double busy;

      g_usleep (500 * 1000);
      busy = read_cpu_seconds (server_pid) + (broker_pid > 0 ? read_cpu_seconds (broker_pid) : 0) - before;
      if (busy < 0.05 || g_get_monotonic_time () - t0 > 15 * G_USEC_PER_SEC)
        {
          printf ("  server%s quiet after %.1f s more (%.0f%% of a core in the last 0.5 s)\n",
                  broker_pid > 0 ? " and broker" : "", (g_get_monotonic_time () - t0) / 1e6, 100 * busy / 0.5);
          break;
        }
    }
  rss_idle = read_status_kib (server_pid, "VmRSS:");
  printf ("  server memory: %" G_GINT64_FORMAT " KiB before clients, %" G_GINT64_FORMAT
          " KiB with %d idle clients: %.1f KiB per idle client\n",
          rss_before, rss_idle, n_total, (rss_idle - rss_before) / (double) n_total);
}

/* Returns whether pulse-events exited cleanly. */
static gboolean
session_stop (Publisher *publisher)
{
  int status = 0;

  readers_stop_all ();
  for (int i = 0; i < n_total; i++)
    {
      close (clients[i].fd);
      g_free (clients[i].carry);
    }
  g_clear_pointer (&clients, g_free);
  g_clear_pointer (&published_per_group, g_free);
  if (publisher->fd > 0)
    close (publisher->fd);
  g_clear_pointer (&publisher->rand, g_rand_free);
  if (publisher->pad != NULL)
    g_string_free (publisher->pad, TRUE);
  kill (server_pid, SIGTERM);
  waitpid (server_pid, &status, 0);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    printf ("  pulse-events did not exit cleanly (wait status %d)\n", status);
  if (publisher->amqp != NULL)
    {
      amqp_channel_close (publisher->amqp, 1, AMQP_REPLY_SUCCESS);
      amqp_connection_close (publisher->amqp, AMQP_REPLY_SUCCESS);
      amqp_destroy_connection (publisher->amqp);
    }
  memset (publisher, 0, sizeof *publisher);
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

static void
print_search_row (const Step *step)
{
  printf ("  | %8.0f | %8.0f | %6.1f / %6.1f ms | %6" G_GUINT64_FORMAT " | %7" G_GUINT64_FORMAT " | %4.0f%% | ",
          step->rate, step->published / step->seconds,
          histogram_quantile (step->group, 0.99) / 1000.0, histogram_quantile (step->firehose, 0.99) / 1000.0,
          step->lost, step->dropped, 100 * step->server_cpu / step->seconds);
  if (step->broker_cpu >= 0)
    printf ("%4.0f%% | ", 100 * step->broker_cpu / step->seconds);
  else
    printf ("   – | ");
  printf ("%4.0f%% | %s | %s |\n", 100 * step->reader_cpu_max / step->seconds,
          step->held ? "held" : "not held", step->load_after);
}

/* Steps from @start up by --step while a rate holds, or down while it does
 * not; takes the Step of @start when it has been run (@first). Returns the
 * highest rate held (0: none) and sets @failed to the first step above it. */
static double
search (Publisher *publisher,
        double     start,
        Step      *first,
        Step     **failed)
{
  g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  double rate = start, best = 0;
  gboolean going_up = TRUE;

  *failed = NULL;
  printf ("rate search (%s): up by %.0f/s from %.0f/s while p99 < %.0f ms, nothing lost or dropped and "
          "the rate published\n", broker_name (), opts.step, start, opts.p99_limit_ms);
  for (guint i = 0;; i++)
    {
      Step *step;

      if (i == 0 && first != NULL)
        step = first;
      else
        {
          printf ("step %.0f messages/s:\n", rate);
          step = run_step (publisher, rate, opts.duration);
          print_step (step);
          fflush (stdout);
        }
      g_ptr_array_add (steps, step);

      if (i == 0)
        going_up = step->held;
      if (step->held)
        best = MAX (best, rate);
      else if (*failed == NULL || rate < (*failed)->rate)
        *failed = step;

      if (going_up ? !step->held : step->held)
        break;
      rate += going_up ? opts.step : -opts.step;
      if (rate > opts.max_rate || rate <= 0)
        break;
    }

  printf ("rate search (%s), %d + %d clients, %.0f s a step:\n", broker_name (), opts.n_clients,
          opts.n_firehose, opts.duration);
  printf ("  | asked/s | published/s | p99 task-group / firehose | lost | dropped | server | broker | busiest reader | "
          "result | load at the end |\n  |---|---|---|---|---|---|---|---|---|---|\n");
  for (guint i = 0; i < steps->len; i++)
    print_search_row (steps->pdata[i]);
  if (best > 0)
    printf ("  highest rate held: %.0f messages/s\n", best);
  else
    printf ("  no rate held\n");

  /* The caller's first step and the failed one stay readable: steal them. */
  if (first != NULL)
    g_ptr_array_index (steps, 0) = NULL;
  if (*failed != NULL && *failed != first)
    {
      for (guint i = 0; i < steps->len; i++)
        if (steps->pdata[i] == *failed)
          steps->pdata[i] = NULL;
    }
  g_ptr_array_set_free_func (steps, NULL);
  for (guint i = 0; i < steps->len; i++)
    if (steps->pdata[i] != NULL)
      step_free (steps->pdata[i]);
  return best;
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
    { "server-log", 0, 0, G_OPTION_ARG_FILENAME, &opts.server_log,
      "Append pulse-events' log to FILE (default: discarded)", "FILE" },
    { "broker-pid", 0, 0, G_OPTION_ARG_INT, &opts.broker_pid,
      "The broker's process, for its CPU time (default: the one listening on the URL's port)", "PID" },
    { "clients", 0, 0, G_OPTION_ARG_INT, &opts.n_clients, "Task-group clients (1000)", "N" },
    { "firehose", 0, 0, G_OPTION_ARG_INT, &opts.n_firehose, "Clients bound to # (10)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opts.rate, "Messages per second (5000); where a search starts", "R" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &opts.duration, "Seconds of publishing, of each step (10)", "S" },
    { "payload-size", 0, 0, G_OPTION_ARG_INT, &opts.payload_size, "Bytes per payload (1024)", "N" },
    { "readers", 0, 0, G_OPTION_ARG_INT, &opts.n_readers, "Threads reading the clients (2)", "N" },
    { "rcvbuf", 0, 0, G_OPTION_ARG_INT, &opts.rcvbuf_kib,
      "Receive buffer of each firehose client's socket, KiB (default: the system's, autotuned)", "KIB" },
    { "search", 0, 0, G_OPTION_ARG_NONE, &opts.search, "Step the rate up until it no longer holds", NULL },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &opts.step, "Rate step of the search (1000)", "R" },
    { "max-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opts.max_rate, "Highest rate the search tries (100000)", "R" },
    { "p99-limit", 0, 0, G_OPTION_ARG_DOUBLE, &opts.p99_limit_ms, "p99 latency a rate must stay under (100)", "MS" },
    { "targets", 0, 0, G_OPTION_ARG_NONE, &opts.targets,
      "Both brokers in one run against issue 15's targets (needs --amqp)", NULL },
    { "embedded-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opts.embedded_rate, "The embedded exchange's rate in --targets (20000)", "R" },
    { "target-duration", 0, 0, G_OPTION_ARG_DOUBLE, &opts.target_duration,
      "Seconds of publishing of the two target steps in --targets (30); the search's steps take --duration", "S" },
    { "broker-alone", 0, 0, G_OPTION_ARG_DOUBLE, &opts.alone_duration,
      "Seconds of publishing to the broker before the clients connect, to measure what taking the publishes "
      "alone costs it (--target-duration in --targets, else 0)", "S" },
    { "broker-bare", 0, 0, G_OPTION_ARG_DOUBLE, &opts.bare_duration,
      "Seconds of publishing to one bare consumer of every message before the clients connect, to measure "
      "the least a server taking every message costs the broker (--target-duration in --targets, else 0)", "S" },
    { "idle", 0, 0, G_OPTION_ARG_INT, &opts.idle, "Only connect N idle task-group clients, measure time and memory", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  struct rlimit limit;
  Publisher publisher = { 0 };
  gboolean clean = TRUE;
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
  if (opts.targets && opts.amqp_url == NULL)
    {
      fprintf (stderr, "bench-fanout: --targets runs both brokers: give --amqp URL too\n");
      return 2;
    }
  if (opts.n_readers < 1 || opts.step <= 0 || opts.rate <= 0 || opts.duration <= 0 ||
      opts.target_duration <= 0)
    {
      fprintf (stderr, "bench-fanout: --readers, --step, --rate, --duration and --target-duration must be positive\n");
      return 2;
    }

  if (opts.alone_duration < 0 || opts.bare_duration < 0)
    {
      fprintf (stderr, "bench-fanout: --broker-alone and --broker-bare take seconds, 0 or more\n");
      return 2;
    }
  if (isnan (opts.alone_duration))
    opts.alone_duration = opts.targets ? opts.target_duration : 0;
  if (isnan (opts.bare_duration))
    opts.bare_duration = opts.targets ? opts.target_duration : 0;

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

  if (opts.idle > 0)
    {
      g_autofree char *load = NULL;

      session_start (opts.amqp_url, &publisher, 0);
      load = read_load ();
      printf ("  load average %s at the end\n", load);
      return session_stop (&publisher) ? 0 : 1;
    }

  if (opts.targets)
    {
      g_autoptr(Step) embedded = NULL;
      g_autoptr(Step) rabbit = NULL;
      g_autoptr(Step) failed = NULL;
      Step *failed_borrowed = NULL;
      double best, embedded_p99, rabbit_p99, broker_share;
      gboolean embedded_met, rabbit_met;

      session_start (NULL, &publisher, opts.embedded_rate);
      printf ("step %.0f messages/s:\n", opts.embedded_rate);
      embedded = run_step (&publisher, opts.embedded_rate, opts.target_duration);
      print_step (embedded);
      fflush (stdout);
      clean &= session_stop (&publisher);

      session_start (opts.amqp_url, &publisher, opts.rate);
      printf ("step %.0f messages/s:\n", opts.rate);
      rabbit = run_step (&publisher, opts.rate, opts.target_duration);
      print_step (rabbit);
      fflush (stdout);
      best = search (&publisher, opts.rate, rabbit, &failed_borrowed);
      if (failed_borrowed != rabbit)
        failed = failed_borrowed;
      clean &= session_stop (&publisher);

      embedded_p99 = step_p99_ms (embedded);
      embedded_met = embedded->lost == 0 && embedded->dropped == 0 && embedded->errors == 0 && embedded_p99 < 50 &&
                     embedded->published >= 0.97 * opts.embedded_rate * opts.target_duration;
      rabbit_p99 = step_p99_ms (rabbit);
      broker_share = rabbit->broker_cpu >= 0 ? rabbit->broker_cpu / rabbit->seconds : -1;
      rabbit_met = rabbit->held && rabbit_p99 < 100 && broker_share >= 0 && broker_share < 0.5;

      printf ("issue 15 targets, %d + %d clients, the targets %.0f s each, the search's steps %.0f s:\n",
              opts.n_clients, opts.n_firehose, opts.target_duration, opts.duration);
      printf ("  embedded, %.0f messages/s: published %.0f/s, p99 %.1f ms (target < 50 ms), lost %" G_GUINT64_FORMAT
              ", dropped %" G_GUINT64_FORMAT ", server %.0f%% of a core, busiest reader %.0f%%: %s\n",
              opts.embedded_rate, embedded->published / embedded->seconds, embedded_p99, embedded->lost,
              embedded->dropped, 100 * embedded->server_cpu / embedded->seconds,
              100 * embedded->reader_cpu_max / embedded->seconds, embedded_met ? "met" : "NOT met");
      printf ("  RabbitMQ, %.0f messages/s: published %.0f/s, p99 %.1f ms (target < 100 ms), lost %" G_GUINT64_FORMAT
              ", dropped %" G_GUINT64_FORMAT ", broker %.0f%% of a core (target < 50%%), server %.0f%%, "
              "busiest reader %.0f%%: %s\n",
              opts.rate, rabbit->published / rabbit->seconds, rabbit_p99, rabbit->lost, rabbit->dropped,
              100 * broker_share, 100 * rabbit->server_cpu / rabbit->seconds,
              100 * rabbit->reader_cpu_max / rabbit->seconds, rabbit_met ? "met" : "NOT met");
      if (broker_alone_share >= 0 && broker_share >= 0)
        printf ("  RabbitMQ, the broker's share: %.0f%% of a core taking the same publishes with nothing bound, "
                "%.0f%% more routing and delivering them to pulse-events' shared queue\n",
                100 * broker_alone_share, 100 * (broker_share - broker_alone_share));
      if (broker_bare_share >= 0 && broker_share >= 0)
        printf ("  RabbitMQ, the same publishes to one bare consumer of every message: %.0f%% of a core "
                "(pulse-events %+.0f points)\n",
                100 * broker_bare_share, 100 * (broker_share - broker_bare_share));
      printf ("  RabbitMQ, highest rate holding p99 < %.0f ms with nothing lost: %.0f messages/s", opts.p99_limit_ms, best);
      if (failed_borrowed != NULL)
        printf (" (at %.0f/s: published %.0f/s, p99 %.1f ms, lost %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT
                ", broker %.0f%%, server %.0f%%)",
                failed_borrowed->rate, failed_borrowed->published / failed_borrowed->seconds,
                step_p99_ms (failed_borrowed), failed_borrowed->lost, failed_borrowed->dropped,
                100 * failed_borrowed->broker_cpu / failed_borrowed->seconds,
                100 * failed_borrowed->server_cpu / failed_borrowed->seconds);
      printf ("\n");
      return clean ? 0 : 1;
    }

  session_start (opts.amqp_url, &publisher, opts.rate);
  if (opts.search)
    {
      g_autoptr(Step) failed = NULL;
      double best = search (&publisher, opts.rate, NULL, &failed);

      clean = session_stop (&publisher);
      return best > 0 && clean ? 0 : 1;
    }
  else
    {
      g_autoptr(Step) step = run_step (&publisher, opts.rate, opts.duration);

      print_step (step);
      clean = session_stop (&publisher);
      /* No latency samples where messages arrived: the publish time was not found. */
      if ((step->group_received > 0 && step->group->n == 0) || (step->fire_received > 0 && step->firehose->n == 0))
        printf ("  no publish time found in the events received\n");
      status = step->lost == 0 && step->errors == 0 && clean &&
               step->group->n == step->group_received && step->firehose->n == step->fire_received ? 0 : 1;
    }
  return status;
}
