/* test-hangup-watch.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * PiHangupWatch: a server learns that the peer of a socket nobody reads
 * has gone, at once, and how (a half-close still reads, a reset does not).
 */

#include "config.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pi-hangup-watch.h"

typedef struct
{
  int       fds[2];     /* [0] watched, [1] the peer */
  gpointer  data;       /* last reported */
  PiHangup  hangup;
  guint     n_reports;
} Fixture;

static Fixture *current;

static void
report_cb (gpointer data,
           PiHangup hangup)
{
  current->data = data;
  current->hangup = hangup;
  current->n_reports++;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fixture->fds));
  current = fixture;
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  close (fixture->fds[0]);
  if (fixture->fds[1] >= 0)
    close (fixture->fds[1]);
  current = NULL;
}

/* Runs the main loop until a report arrives or @ms pass. */
static void
run_for (Fixture *fixture,
         guint    ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * 1000;

  while (fixture->n_reports == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
}

static void
test_half_close (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PiHangupWatch) watch = pi_hangup_watch_new (report_cb, &error);
  int tag;

  g_assert_no_error (error);
  g_assert_true (pi_hangup_watch_add (watch, fixture->fds[0], &tag, &error));
  g_assert_no_error (error);

  run_for (fixture, 100);
  g_assert_cmpuint (fixture->n_reports, ==, 0);  /* an idle peer is there */

  shutdown (fixture->fds[1], SHUT_WR);
  run_for (fixture, 2000);
  g_assert_cmpuint (fixture->n_reports, ==, 1);
  g_assert_true (fixture->data == &tag);
  g_assert_cmpint (fixture->hangup, ==, PI_HANGUP_HALF_CLOSED);

  /* Reported once: the socket is no longer watched. */
  fixture->n_reports = 0;
  run_for (fixture, 100);
  g_assert_cmpuint (fixture->n_reports, ==, 0);
}

static void
test_data (Fixture       *fixture,
           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PiHangupWatch) watch = pi_hangup_watch_new (report_cb, &error);
  char byte;
  int tag;

  g_assert_true (pi_hangup_watch_add (watch, fixture->fds[0], &tag, &error));
  g_assert_cmpint (write (fixture->fds[1], "x", 1), ==, 1);
  run_for (fixture, 2000);
  g_assert_cmpuint (fixture->n_reports, ==, 1);
  g_assert_cmpint (fixture->hangup, ==, PI_HANGUP_DATA);

  /* Only peeked: the byte is still there for whoever reads the socket. */
  g_assert_cmpint (read (fixture->fds[0], &byte, 1), ==, 1);
  g_assert_cmpint (byte, ==, 'x');
}

static void
test_removed (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PiHangupWatch) watch = pi_hangup_watch_new (report_cb, &error);
  int tag;

  g_assert_true (pi_hangup_watch_add (watch, fixture->fds[0], &tag, &error));
  pi_hangup_watch_remove (watch, fixture->fds[0]);
  close (fixture->fds[1]);
  fixture->fds[1] = -1;
  run_for (fixture, 200);
  g_assert_cmpuint (fixture->n_reports, ==, 0);
}

static void
test_not_a_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PiHangupWatch) watch = pi_hangup_watch_new (report_cb, &error);
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  /* epoll refuses a regular file: said in words, not watched. */
  g_assert_false (pi_hangup_watch_add (watch, fd, NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, !=, "");
  close (fd);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/pi/hangup-watch/half-close", Fixture, NULL, fixture_setup, test_half_close, fixture_teardown);
  g_test_add ("/pi/hangup-watch/data", Fixture, NULL, fixture_setup, test_data, fixture_teardown);
  g_test_add ("/pi/hangup-watch/removed", Fixture, NULL, fixture_setup, test_removed, fixture_teardown);
  g_test_add_func ("/pi/hangup-watch/not-a-socket", test_not_a_socket);

  return g_test_run ();
}
