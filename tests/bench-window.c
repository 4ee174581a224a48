/* bench-window.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The message list and details under the load of issue 5: a window with
 * PiMessageList and PiMessageDetails in a paned over a store of 200,000,
 * fed a burst of 200,000 real-shaped messages (~1.1 KB of JSON each), then
 * 20,000 messages/s for 30 s, then 10 s more with a search filter set.
 *
 * Messages are made and decoded on a worker thread (pi_message_new_from_data,
 * as PiSource's ingest thread does) and handed to the main thread the
 * way PiSource hands them over: everything decoded since the last
 * hand-over is one batch, taken at most every 33 ms (<= 30 batches/s), at
 * default priority.
 *
 * Measured per phase: whether the window keeps up (messages appended per
 * second, the largest backlog at a hand-over), the longest main-loop stall
 * (a G_PRIORITY_HIGH 1 ms timeout probe; and the longest gap between
 * frame-clock ticks; and, to tell our own work from waiting for a CPU on
 * a loaded machine, the main thread's CPU time within each probe gap),
 * the longest single append, and at the end of each phase VmRSS against
 * the retained messages' JSON bytes. A SUMMARY line per phase compares them with issue 5's targets (keeps up at the rate, no
 * stall over 50 ms, VmRSS <= 1.25 x JSON + 80 MB); the exit status is 0
 * only when all are met.
 *
 * Run under Xvfb:
 *   xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- BUILD/tests/bench-window
 * Options: --rate N --seconds N --burst N --capacity N --filter-seconds N
 *          --trace (each stall over 50 ms as it happens, with the monotonic
 *          clock's time, to find it in `perf record -k CLOCK_MONOTONIC`)
 */

#include "config.h"

#include <adwaita.h>
#include <stdio.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "pi-app-resources.h"
#include "pi-message-details.h"
#include "pi-message-list.h"
#include "pi-message-private.h"
#include "pi-messages-fixture.h"

#define HANDOVER_MSEC 33
#define NEEDLE        "bench-needle-7c1f"

static int rate = 20000;
static int seconds = 30;
static int burst = 200000;
static int capacity = 200000;
static int filter_seconds = 10;
static gboolean trace;
static gboolean bare;

typedef enum { PHASE_BURST, PHASE_STEADY, PHASE_FILTERED, PHASE_DONE } Phase;

static const char *phase_names[] = { "burst", "steady", "filtered" };

typedef struct
{
  gint64  max_stall;        /* probe: longest gap between 1 ms ticks, minus 1 ms */
  gint64  max_stall_cpu;    /* main-thread CPU time within that longest stall */
  guint   n_stalls_over_50;
  gint64  max_busy;         /* most main-thread CPU time within one probe gap */
  guint   n_busy_over_50;   /* probe gaps with over 50 ms of it: our own work */
  gint64  max_frame_gap;    /* frame clock: longest gap between ticks */
  guint   n_frames;
  gint64  max_append;       /* longest pi_message_list_append */
  guint64 max_backlog;      /* produced but not yet appended, at a hand-over */
  guint64 appended;
  guint64 produced;
  guint   n_batches;
  gint64  started;
  gint64  ended;
  guint64 rss;              /* VmRSS when the phase ended */
  guint64 json_bytes;       /* the retained messages' JSON then */
  guint64 malloc_in_use;    /* and what malloc had handed out */
} PhaseStats;

typedef struct
{
  /* Shared with the worker, under mutex */
  GMutex            mutex;
  GCond             cond;
  GPtrArray        *pending;
  guint64           produced;
  guint             go;          /* phases the main thread allowed */
  guint             finished;    /* phases the worker finished */

  /* Main thread */
  GMainLoop        *loop;
  GtkWindow        *window;
  PiMessageList    *list;
  PiMessageDetails *details;
  PiMessageStore   *store;
  Phase             phase;
  PhaseStats        stats[PHASE_DONE];
  guint64           appended;
  gint64            last_probe;
  gint64            last_probe_cpu;
  gint64            last_frame;
  gint64            fed_from;       /* when the burst was let go; 0 before: the window showing
                                     * itself is not a stall of the burst */
  gint64            refilter_usec;
  guint             shown_after_filter;
  guint64           rss_start;
  guint64           gl_driver;      /* a bare window's VmRSS with this renderer beyond one without GL:
                                     * the GL driver, and GTK's GL renderer when it is the renderer */
  guint64           malloc_start;      /* malloc in use before feeding */
  guint64           malloc_free_start; /* and free in its arenas */
} Bench;

/* A "Name:   N kB" line of a file under /proc/self, in bytes. */
static guint64
proc_kb_field (const char *file,
               const char *name)
{
  g_autofree char *path = g_build_filename ("/proc/self", file, NULL);
  g_autofree char *text = NULL;
  g_autofree char *key = g_strconcat ("\n", name, ":", NULL);
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  if (!(line = strstr (text, key)))
    return 0;

  return g_ascii_strtoull (line + strlen (key), NULL, 10) * 1024;
}

static guint64
vm_rss_bytes (void)
{
  return proc_kb_field ("status", "VmRSS");
}

#ifdef __GLIBC__
/* What the process has allocated: malloc's blocks. */
static guint64
memory_in_use (void)
{
  struct mallinfo2 mi = mallinfo2 ();

  return mi.uordblks + mi.hblkhd;
}

/* malloc_info()'s figures per arena: the main one (GTK, the main thread)
 * and each thread's (the decode worker's holds the messages), with what
 * each holds free; freed memory stays with the arena that allocated it.
 * Arenas under 1 MB (other threads') are left out. */
static void
print_arenas (void)
{
  g_autofree char *xml = NULL;
  const char *p;
  size_t len = 0;
  FILE *f;

  if (!(f = open_memstream (&xml, &len)))
    return;
  malloc_info (0, f);
  fclose (f);

  for (p = xml; (p = strstr (p, "<heap nr=\"")); )
    {
      const char *end = strstr (p, "</heap>");
      guint64 fast = 0, rest = 0, current = 0;
      const char *q;
      int nr = atoi (p + 10);

      if (end == NULL)
        break;
      if ((q = g_strstr_len (p, end - p, "<total type=\"fast\"")) && (q = strstr (q, "size=\"")))
        fast = g_ascii_strtoull (q + 6, NULL, 10);
      if ((q = g_strstr_len (p, end - p, "<total type=\"rest\"")) && (q = strstr (q, "size=\"")))
        rest = g_ascii_strtoull (q + 6, NULL, 10);
      if ((q = g_strstr_len (p, end - p, "<system type=\"current\"")) && (q = strstr (q, "size=\"")))
        current = g_ascii_strtoull (q + 6, NULL, 10);
      if (current >= 1048576)
        printf ("  arena %d: %.1f MB from the system, %.1f MB of it free\n",
                nr, current / 1048576.0, (fast + rest) / 1048576.0);
      p = end;
    }
}
#endif

/* --- Worker thread: make and decode messages ---------------------------- */

static void
produce (Bench   *b,
         guint64  seq)
{
  g_autofree char *text = fixture_message_text (seq, seq % 100 == 0 ? NEEDLE : NULL);
  PiMessage *message = pi_message_new_from_data (text, strlen (text), seq, g_get_real_time ());

  g_mutex_lock (&b->mutex);
  g_ptr_array_add (b->pending, message);
  b->produced++;
  g_mutex_unlock (&b->mutex);
}

/* Phase n (0-based) may start once go > n; the worker sets finished to
 * n + 1 when it has produced all of phase n. */
static void
wait_for_go (Bench *b,
             Phase  phase)
{
  g_mutex_lock (&b->mutex);
  while (b->go <= phase)
    g_cond_wait (&b->cond, &b->mutex);
  g_mutex_unlock (&b->mutex);
}

static void
mark_finished (Bench *b,
               Phase  phase)
{
  g_mutex_lock (&b->mutex);
  b->finished = phase + 1;
  g_mutex_unlock (&b->mutex);
}

static gpointer
worker_thread (gpointer data)
{
  Bench *b = data;
  guint64 seq = 0;

  wait_for_go (b, PHASE_BURST);
  for (; seq < (guint64)burst; seq++)
    produce (b, seq);
  mark_finished (b, PHASE_BURST);

  for (Phase phase = PHASE_STEADY; phase < PHASE_DONE; phase++)
    {
      int duration = phase == PHASE_STEADY ? seconds : filter_seconds;
      guint64 first;
      gint64 start;

      wait_for_go (b, phase);

      first = seq;
      start = g_get_monotonic_time ();
      for (;;)
        {
          gint64 elapsed = g_get_monotonic_time () - start;
          gboolean last = elapsed >= duration * G_USEC_PER_SEC;
          guint64 target;

          if (last)
            target = first + (guint64)rate * duration;
          else
            target = first + (guint64)rate * elapsed / G_USEC_PER_SEC;

          for (; seq < target; seq++)
            produce (b, seq);

          if (last)
            break;
          g_usleep (1000);
        }

      mark_finished (b, phase);
    }

  return NULL;
}

/* --- Main thread -------------------------------------------------------- */

static void
allow_phase (Bench *b,
             Phase  phase)
{
  b->phase = phase;
  if (phase < PHASE_DONE)
    b->stats[phase].started = g_get_monotonic_time ();

  g_mutex_lock (&b->mutex);
  b->go = phase + 1;
  g_cond_signal (&b->cond);
  g_mutex_unlock (&b->mutex);
}

/* The main thread's CPU time: a stall much longer than the CPU time in it
 * was the thread waiting (for the CPU, on a loaded machine, or for the GL
 * renderer's threads), not working. */
static gint64
thread_cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
probe_cb (gpointer data)
{
  Bench *b = data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_usec ();

  if (b->fed_from != 0 && b->phase < PHASE_DONE && b->last_probe != 0)
    {
      PhaseStats *s = &b->stats[b->phase];
      gint64 stall = now - b->last_probe - 1000;

      if (stall > s->max_stall)
        {
          s->max_stall = stall;
          s->max_stall_cpu = cpu - b->last_probe_cpu;
        }
      if (stall > 50000)
        {
          s->n_stalls_over_50++;
          if (trace)
            printf ("TRACE stall %.1f ms (%.1f ms CPU) ending %.3f s after the burst began (monotonic clock %.6f s), "
                    "%u rows in the table\n",
                    stall / 1000.0, (cpu - b->last_probe_cpu) / 1000.0, (now - b->fed_from) / 1e6, now / 1e6,
                    g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (pi_message_list_get_column_view (b->list)))));
        }
      s->max_busy = MAX (s->max_busy, cpu - b->last_probe_cpu);
      if (cpu - b->last_probe_cpu > 50000)
        s->n_busy_over_50++;
    }
  b->last_probe = now;
  b->last_probe_cpu = cpu;

  return G_SOURCE_CONTINUE;
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       data)
{
  Bench *b = data;
  gint64 now = g_get_monotonic_time ();

  if (b->fed_from != 0 && b->phase < PHASE_DONE && b->last_frame != 0)
    {
      PhaseStats *s = &b->stats[b->phase];

      s->max_frame_gap = MAX (s->max_frame_gap, now - b->last_frame);
      s->n_frames++;
    }
  b->last_frame = now;

  return G_SOURCE_CONTINUE;
}

static guint64
retained_json_bytes (PiMessageStore *store)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (store));
  guint64 bytes = 0;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (store), i);

      bytes += pi_message_get_size (message);
    }

  return bytes;
}

static void
start_filter (Bench *b)
{
  gint64 t0 = g_get_monotonic_time ();

  /* One refilter of everything retained: a user action, O(n) by nature. */
  pi_message_list_set_filter_text (b->list, NEEDLE);
  b->refilter_usec = g_get_monotonic_time () - t0;
  b->shown_after_filter = pi_message_list_get_n_shown (b->list);

  /* The probe would count the refilter as a stall of the next phase. */
  b->last_probe = 0;
}

static gboolean
handover_cb (gpointer data)
{
  Bench *b = data;
  g_autoptr(GPtrArray) batch = NULL;
  guint64 produced;
  guint finished;
  PhaseStats *s;

  if (b->phase == PHASE_DONE)
    return G_SOURCE_CONTINUE;

  s = &b->stats[b->phase];

  g_mutex_lock (&b->mutex);
  if (b->pending->len > 0)
    {
      batch = g_steal_pointer (&b->pending);
      b->pending = g_ptr_array_new_with_free_func (g_object_unref);
    }
  produced = b->produced;
  finished = b->finished;
  g_mutex_unlock (&b->mutex);

  if (batch != NULL)
    {
      gint64 t0 = g_get_monotonic_time ();
      gint64 took;

      /* What was produced before this hand-over and is not on screen yet. */
      s->max_backlog = MAX (s->max_backlog, produced - b->appended);

      pi_message_list_append (b->list, batch);

      took = g_get_monotonic_time () - t0;
      s->max_append = MAX (s->max_append, took);
      s->n_batches++;
      s->appended += batch->len;
      b->appended += batch->len;
      s->ended = g_get_monotonic_time ();

    }

  /* Next phase once the worker finished this one and all of it is shown. */
  if (finished == b->phase + 1 && produced == b->appended)
    {
      s->produced = s->appended;
      if (s->ended == 0)
        s->ended = g_get_monotonic_time ();

      /* Counting the bytes walks the store: not a stall of the next phase. */
      s->rss = vm_rss_bytes ();
      s->json_bytes = retained_json_bytes (b->store);
#ifdef __GLIBC__
      s->malloc_in_use = memory_in_use ();
#endif
      b->last_probe = 0;

      if (b->phase == PHASE_STEADY)
        start_filter (b);

      allow_phase (b, b->phase + 1);
      if (b->phase == PHASE_DONE)
        g_main_loop_quit (b->loop);
    }

  return G_SOURCE_CONTINUE;
}

/* Have the details pane show a real payload tree during the load: a
 * user's click, before the traffic (and drawn before it), so not counted
 * as a stall of it. */
static gboolean
click_cb (gpointer data)
{
  Bench *b = data;

  g_autofree char *text = fixture_message_text (0, NULL);
  g_autoptr(PiMessage) message = pi_message_new_from_data (text, strlen (text), 0, g_get_real_time ());

  pi_message_details_set_message (b->details, message);

  return G_SOURCE_REMOVE;
}

static gboolean
start_cb (gpointer data)
{
  Bench *b = data;

  b->rss_start = vm_rss_bytes ();
#ifdef __GLIBC__
  {
    struct mallinfo2 mi = mallinfo2 ();

    b->malloc_start = memory_in_use ();
    b->malloc_free_start = mi.fordblks;
  }
#endif
  b->fed_from = g_get_monotonic_time ();
  allow_phase (b, PHASE_BURST);

  return G_SOURCE_REMOVE;
}

/* --bare: a window with one label, drawn for a second, then its VmRSS on
 * standard output. */
static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static int
run_bare (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, 1280, 800);
  gtk_window_set_child (window, gtk_label_new ("bench-window"));
  gtk_window_present (window);
  g_timeout_add (1000, quit_cb, loop);
  g_main_loop_run (loop);
  printf ("%" G_GUINT64_FORMAT "\n", vm_rss_bytes ());
  gtk_window_destroy (window);

  return 0;
}

/* The VmRSS of a bare window (run_bare) in a process of its own (this
 * executable again: /proc/self/exe): with this process's renderer, or
 * with GL and Vulkan disabled. 0 when it failed. */
static guint64
bare_window_rss (gboolean without_gl)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { self, "--bare", NULL };
  int status = 0;

  if (without_gl)
    {
      const char *disabled = g_environ_getenv (env, "GDK_DISABLE");
      g_autofree char *disable = disabled && disabled[0] ? g_strconcat (disabled, ",gl,vulkan", NULL)
                                                         : g_strdup ("gl,vulkan");

      /* Vulkan too: on llvmpipe's machines it would be lavapipe, LLVM again. */
      env = g_environ_setenv (env, "GDK_DISABLE", disable, TRUE);
      env = g_environ_setenv (env, "GSK_RENDERER", "cairo", TRUE);
    }
  if (self == NULL ||
      !g_spawn_sync (NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("bench-window: a bare window could not be measured: %s\n",
                  error ? error->message : "no executable");
      return 0;
    }

  return g_ascii_strtoull (out, NULL, 10);
}

static double
memory_limit (guint64 json_bytes)
{
  return 1.25 * json_bytes + 80.0 * 1024 * 1024;
}

static void
print_phase (Bench *b,
             Phase  phase)
{
  PhaseStats *s = &b->stats[phase];
  double secs = (s->ended - s->started) / (double)G_USEC_PER_SEC;

  printf ("%-9s %9" G_GUINT64_FORMAT " msgs in %6.2f s = %8.0f msgs/s; %4u batches; "
          "max append %6.1f ms; max stall %6.1f ms (%.1f ms CPU; %u over 50 ms); max frame gap %6.1f ms (%u frames); "
          "max backlog %" G_GUINT64_FORMAT "; in use at the end %.1f MB\n",
          phase_names[phase], s->appended, secs, secs > 0 ? s->appended / secs : 0,
          s->n_batches, s->max_append / 1000.0, s->max_stall / 1000.0, s->max_stall_cpu / 1000.0,
          s->n_stalls_over_50,
          s->max_frame_gap / 1000.0, s->n_frames, s->max_backlog, s->malloc_in_use / 1048576.0);
}

/* One line per phase with what issue 5 asks for, against its targets. */
static gboolean
print_summary (Bench *b,
               Phase  phase)
{
  PhaseStats *s = &b->stats[phase];
  double secs = (s->ended - s->started) / (double)G_USEC_PER_SEC;
  double achieved = secs > 0 ? s->appended / secs : 0;
  double limit = memory_limit (s->json_bytes);
  gboolean keeps_up = phase == PHASE_BURST || achieved >= 0.98 * rate;
  gboolean no_stall = s->max_stall <= 50000;
  guint64 counted = s->rss - MIN (s->rss, b->gl_driver);
  gboolean memory_ok = counted <= limit;

  printf ("SUMMARY %-8s rate %7.0f/s (%s); longest stall %6.1f ms, %3u > 50 ms (%s; "
          "main-thread CPU in one stall at most %5.1f ms, %u > 50 ms); "
          "VmRSS %6.1f MB (%s), less GL's %5.1f MB on a bare window = %6.1f MB for %6.1f MB JSON = %.2fx JSON, "
          "target %6.1f MB (%s)\n",
          phase_names[phase], achieved,
          phase == PHASE_BURST ? "as fast as it goes" : keeps_up ? "keeps up" : "FALLS BEHIND",
          s->max_stall / 1000.0, s->n_stalls_over_50, no_stall ? "ok" : "OVER",
          s->max_busy / 1000.0, s->n_busy_over_50,
          s->rss / 1048576.0, s->rss <= limit ? "ok" : "over", b->gl_driver / 1048576.0,
          counted / 1048576.0, s->json_bytes / 1048576.0,
          s->json_bytes ? (double)counted / s->json_bytes : 0,
          limit / 1048576.0, memory_ok ? "ok" : "OVER");

  return keeps_up && no_stall && memory_ok;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "rate", 0, 0, G_OPTION_ARG_INT, &rate, "Messages per second after the burst", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Seconds at that rate", "N" },
    { "burst", 0, 0, G_OPTION_ARG_INT, &burst, "Messages in the first burst", "N" },
    { "capacity", 0, 0, G_OPTION_ARG_INT, &capacity, "Messages kept", "N" },
    { "trace", 0, 0, G_OPTION_ARG_NONE, &trace,
      "Print each stall over 50 ms as it happens: when, its CPU time, the rows in the table", NULL },
    { "filter-seconds", 0, 0, G_OPTION_ARG_INT, &filter_seconds, "Seconds at that rate with a filter set", "N" },
    { "bare", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &bare, "Show a bare window and print its VmRSS", NULL },
    { NULL }
  };
  Bench b = { 0 };
  GtkWidget *paned;
  GThread *worker;
  gboolean ok;

  context = g_option_context_new ("- the message list under load");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  gtk_init ();
  if (bare)
    return run_bare ();

  /* What the GL driver GDK loads takes, measured on bare windows: the
   * target's 80 MB are for the window's own memory. On a machine without
   * a GPU the driver is llvmpipe, some 50-110 MB of it (README). */
  {
    guint64 with_renderer = bare_window_rss (FALSE);
    guint64 without_gl = bare_window_rss (TRUE);

    if (with_renderer == 0 || without_gl == 0)
      return 2;
    b.gl_driver = with_renderer - MIN (with_renderer, without_gl);
    printf ("bare window: VmRSS %.1f MB with this renderer, %.1f MB with GL disabled: GL takes %.1f MB\n",
            with_renderer / 1048576.0, without_gl / 1048576.0, b.gl_driver / 1048576.0);
  }

  adw_init ();
  g_assert_nonnull (pi_app_get_resource ());

  g_mutex_init (&b.mutex);
  g_cond_init (&b.cond);
  b.pending = g_ptr_array_new_with_free_func (g_object_unref);
  b.loop = g_main_loop_new (NULL, FALSE);
  b.store = pi_message_store_new (capacity);
  b.list = PI_MESSAGE_LIST (pi_message_list_new ());
  pi_message_list_set_store (b.list, b.store);
  b.details = PI_MESSAGE_DETAILS (pi_message_details_new ());

  paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  gtk_paned_set_start_child (GTK_PANED (paned), GTK_WIDGET (b.list));
  gtk_paned_set_end_child (GTK_PANED (paned), GTK_WIDGET (b.details));
  gtk_paned_set_position (GTK_PANED (paned), 800);

  b.window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (b.window, "bench-window");
  gtk_window_set_default_size (b.window, 1280, 800);
  gtk_window_set_child (b.window, paned);
  gtk_window_present (b.window);

  gtk_widget_add_tick_callback (GTK_WIDGET (b.list), tick_cb, &b, NULL);
  if (!g_getenv ("BENCH_NO_PROBE"))
    g_timeout_add_full (G_PRIORITY_HIGH, 1, probe_cb, &b, NULL);
  g_timeout_add (HANDOVER_MSEC, handover_cb, &b);
  g_timeout_add (500, click_cb, &b);
  g_timeout_add (1000, start_cb, &b);

  worker = g_thread_new ("bench-decode", worker_thread, &b);

  printf ("bench-window: capacity %d, burst %d, then %d msgs/s for %d s, then %d s filtered; "
          "messages decoded on a worker thread, handed over every %d ms\n",
          capacity, burst, rate, seconds, filter_seconds, HANDOVER_MSEC);

  g_main_loop_run (b.loop);
  g_thread_join (worker);

  for (Phase phase = PHASE_BURST; phase < PHASE_DONE; phase++)
    print_phase (&b, phase);
  printf ("refilter of %u rows for \"%s\": %.1f ms, %u shown\n",
          g_list_model_get_n_items (G_LIST_MODEL (b.store)), NEEDLE,
          b.refilter_usec / 1000.0, b.shown_after_filter);
  /* VmRSS counts the pages of mapped files (libraries, the GL driver's
   * code) whole, though other processes share them; Pss divides those
   * among their users. */
  printf ("memory at the end: VmRSS %.1f MB = %.1f MB anonymous + %.1f MB of files + %.1f MB shared memory; "
          "Pss %.1f MB\n",
          vm_rss_bytes () / 1048576.0, proc_kb_field ("status", "RssAnon") / 1048576.0,
          proc_kb_field ("status", "RssFile") / 1048576.0, proc_kb_field ("status", "RssShmem") / 1048576.0,
          proc_kb_field ("smaps_rollup", "Pss") / 1048576.0);
  printf ("memory: %.1f MB VmRSS before feeding; renderer %s, accessibility %s\n",
          b.rss_start / 1048576.0,
          g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default",
          g_getenv ("GTK_A11Y") ? g_getenv ("GTK_A11Y") : "default");

#ifdef __GLIBC__
  {
    /* Where the memory is: what malloc hands out (messages, GTK), what it
     * holds free (fragmentation, per-thread arenas), and the rest of VmRSS
     * (libraries, the GL renderer, mapped fonts). */
    struct mallinfo2 mi = mallinfo2 ();
    guint64 rss = vm_rss_bytes ();

    guint n = g_list_model_get_n_items (G_LIST_MODEL (b.store));
    guint64 json = retained_json_bytes (b.store);

    guint64 in_use = memory_in_use ();

    printf ("malloc: %.1f MB in use, %.1f MB free in arenas, %.1f MB in mmapped blocks; "
            "VmRSS %.1f MB, of which %.1f MB outside them\n",
            mi.uordblks / 1048576.0, mi.fordblks / 1048576.0, mi.hblkhd / 1048576.0,
            rss / 1048576.0,
            ((double)rss - mi.uordblks - mi.fordblks - mi.hblkhd) / 1048576.0);
    print_arenas ();
    /* What the messages cost beyond their JSON: the growth of memory in
     * use since before feeding, less the JSON, per retained message. It
     * includes what GTK keeps for the window meanwhile (caches, rows):
     * about 10 MB, measured with a capacity of 50,000 against 200,000. */
    printf ("before feeding: %.1f MB in use, malloc %.1f MB free; since then %.1f MB more in use "
            "for %u messages of %.1f MB JSON: %.0f bytes a message beyond its JSON\n",
            b.malloc_start / 1048576.0, b.malloc_free_start / 1048576.0,
            ((double) in_use - b.malloc_start) / 1048576.0, n, json / 1048576.0,
            n ? ((double) in_use - b.malloc_start - json) / n : 0);
  }
#endif

#ifdef __GLIBC__
  {
    /* How much of VmRSS is free memory malloc could give back (after
     * the phases' figures, so not counted in them). */
    guint64 rss_before = vm_rss_bytes ();
    gint64 t0 = g_get_monotonic_time ();

    malloc_trim (0);
    printf ("malloc_trim(0) took %.1f ms and gave back %.1f MB of VmRSS\n",
            (g_get_monotonic_time () - t0) / 1000.0,
            ((double) rss_before - vm_rss_bytes ()) / 1048576.0);
  }
#endif

  ok = TRUE;
  for (Phase phase = PHASE_BURST; phase < PHASE_DONE; phase++)
    ok &= print_summary (&b, phase);
  printf ("RESULT %s\n", ok ? "all targets met" : "some targets missed");

  gtk_window_destroy (b.window);
  g_clear_object (&b.store);
  g_clear_pointer (&b.pending, g_ptr_array_unref);
  g_main_loop_unref (b.loop);

  return ok ? 0 : 1;
}
