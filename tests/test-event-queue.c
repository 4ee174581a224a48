/* test-event-queue.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * PiEventQueue: the bytes a stream's reader gets, whole and in order,
 * across a socket that takes only part of them at a time; and the counts
 * a server's flow control weighs going down as the reader takes them.
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pi-event-format.h"
#include "pi-event-queue.h"

typedef struct
{
  int            fds[2];   /* [1] written by the queue, [0] read here */
  GIOStream     *stream;
  GOutputStream *output;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fixture->fds));
  g_assert_no_errno (fcntl (fixture->fds[0], F_SETFL, O_NONBLOCK));
  socket = g_socket_new_from_fd (fixture->fds[1], &error);
  g_assert_no_error (error);
  fixture->stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  fixture->output = g_io_stream_get_output_stream (fixture->stream);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_clear_object (&fixture->stream);
  close (fixture->fds[0]);
}

/* Everything the socket holds now. */
static char *
drain (Fixture *fixture)
{
  GString *out = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  while ((n = read (fixture->fds[0], buffer, sizeof buffer)) > 0)
    g_string_append_len (out, buffer, n);

  return g_string_free (out, FALSE);
}

static void
test_numbered (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(PiEventQueue) queue = pi_event_queue_new ();
  g_autoptr(GBytes) event = pi_event_format ("message", "{\"n\":1}");
  g_autoptr(GBytes) ready = pi_event_format ("ready", "{}");
  g_autoptr(GError) error = NULL;
  g_autofree char *received = NULL;
  g_autofree char *plain = g_strndup (g_bytes_get_data (event, NULL), g_bytes_get_size (event));

  g_assert_true (pi_event_queue_is_empty (queue));
  g_assert_cmpint (pi_event_queue_write (queue, G_POLLABLE_OUTPUT_STREAM (fixture->output), &error), ==,
                   PI_EVENT_QUEUE_EMPTY);

  pi_event_queue_push (queue, ready);
  pi_event_queue_push_numbered (queue, event, "abc", 7);
  pi_event_queue_push (queue, event);
  g_assert_cmpuint (pi_event_queue_get_events (queue), ==, 3);

  g_assert_cmpint (pi_event_queue_write (queue, G_POLLABLE_OUTPUT_STREAM (fixture->output), &error), ==,
                   PI_EVENT_QUEUE_TOOK_ALL);
  g_assert_no_error (error);
  g_assert_true (pi_event_queue_is_empty (queue));
  g_assert_cmpuint (pi_event_queue_get_events (queue), ==, 0);
  g_assert_cmpuint (pi_event_queue_get_bytes (queue), ==, 0);

  /* The numbered copy says its session and number; the shared event
   * itself still says `id: -`. */
  received = drain (fixture);
  g_assert_true (g_str_has_prefix (received, "event: ready\n"));
  g_assert_nonnull (strstr (received, "data: {\"n\":1}\nid: abc:7\n\n"));
  g_assert_true (g_str_has_suffix (received, plain));
  g_assert_true (g_str_has_suffix (plain, "\nid: -\n\n"));
}

static void
test_partial (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(PiEventQueue) queue = pi_event_queue_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = g_strnfill (3000, 'x');
  g_autofree char *data = g_strdup_printf ("{\"p\":\"%s\"}", payload);
  g_autoptr(GBytes) event = pi_event_format ("message", data);
  g_autoptr(GString) received = g_string_new (NULL);
  gsize size = g_bytes_get_size (event);
  guint n_events = 100;
  guint64 last_bytes;
  PiEventQueueResult result;
  int capacity = 4096;

  /* A socket that holds little: the events go in many writes. */
  g_assert_no_errno (setsockopt (fixture->fds[1], SOL_SOCKET, SO_SNDBUF, &capacity, sizeof capacity));
  g_assert_no_errno (setsockopt (fixture->fds[0], SOL_SOCKET, SO_RCVBUF, &capacity, sizeof capacity));

  for (guint i = 0; i < n_events; i++)
    pi_event_queue_push (queue, event);
  g_assert_cmpuint (pi_event_queue_get_bytes (queue), ==, n_events * size);
  last_bytes = pi_event_queue_get_bytes (queue);

  /* A full socket takes part, then nothing until it is read. */
  result = pi_event_queue_write (queue, G_POLLABLE_OUTPUT_STREAM (fixture->output), &error);
  g_assert_cmpint (result, ==, PI_EVENT_QUEUE_TOOK_SOME);
  g_assert_cmpuint (pi_event_queue_get_bytes (queue), <, last_bytes);
  g_assert_cmpuint (pi_event_queue_get_events (queue), <, n_events);
  g_assert_cmpuint (pi_event_queue_get_events (queue), >, n_events / 2);
  g_assert_cmpint (pi_event_queue_write (queue, G_POLLABLE_OUTPUT_STREAM (fixture->output), &error), ==,
                   PI_EVENT_QUEUE_WOULD_BLOCK);
  g_assert_no_error (error);

  while (!pi_event_queue_is_empty (queue))
    {
      g_autofree char *chunk = drain (fixture);

      g_string_append (received, chunk);
      last_bytes = pi_event_queue_get_bytes (queue);
      result = pi_event_queue_write (queue, G_POLLABLE_OUTPUT_STREAM (fixture->output), &error);
      g_assert_no_error (error);
      g_assert_cmpint (result, !=, PI_EVENT_QUEUE_FAILED);
      g_assert_cmpuint (pi_event_queue_get_bytes (queue), <, last_bytes);
    }
  {
    g_autofree char *rest = drain (fixture);

    g_string_append (received, rest);
  }

  /* Every event whole, in order, nothing more. */
  g_assert_cmpuint (pi_event_queue_get_events (queue), ==, 0);
  g_assert_cmpuint (received->len, ==, n_events * size);
  for (guint i = 0; i < n_events; i++)
    g_assert_cmpmem (received->str + i * size, size, g_bytes_get_data (event, NULL), size);
}

static void
test_failed (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr(PiEventQueue) queue = pi_event_queue_new ();
  g_autoptr(GBytes) event = pi_event_format ("message", "{}");
  g_autoptr(GError) error = NULL;

  /* The reader is gone: said in words. */
  shutdown (fixture->fds[0], SHUT_RD);
  close (fixture->fds[0]);
  fixture->fds[0] = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  pi_event_queue_push (queue, event);
  g_assert_cmpint (pi_event_queue_write (queue, G_POLLABLE_OUTPUT_STREAM (fixture->output), &error), ==,
                   PI_EVENT_QUEUE_FAILED);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);

  pi_event_queue_clear (queue);
  g_assert_true (pi_event_queue_is_empty (queue));
  g_assert_cmpuint (pi_event_queue_get_bytes (queue), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/pi/event-queue/numbered", Fixture, NULL, fixture_setup, test_numbered, fixture_teardown);
  g_test_add ("/pi/event-queue/partial", Fixture, NULL, fixture_setup, test_partial, fixture_teardown);
  g_test_add ("/pi/event-queue/failed", Fixture, NULL, fixture_setup, test_failed, fixture_teardown);

  return g_test_run ();
}
