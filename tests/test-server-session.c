/* test-server-session.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Resumable streams of a PiServer in process, for what pulse-events'
 * options no longer allow: a session window (--resume-buffer) smaller than
 * one client's queue (--client-buffer), set through the library.
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pi-embedded-broker.h"
#include "pi-server.h"

#define EXCHANGE "exchange/test/v1/things"

typedef struct
{
  guint16      port;
  gint         ready;       /* atomic: the stream's `ready` arrived */
  gint         done;        /* atomic: the reader finished */
  GString     *received;    /* the body after `ready`, up to the first event */
} Reader;

/* Reads the stream on @socket into @body until @text arrives (or 10 s
 * pass), from a thread of its own: the server runs on the test's main loop. */
static gboolean
read_until (GSocket    *socket,
            GString    *body,
            const char *text)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (strstr (body->str, text) == NULL)
    {
      char buffer[4096];
      gssize got;

      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_socket_set_timeout (socket, 1);
      got = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL);
      if (got == 0)
        return FALSE;
      if (got > 0)
        g_string_append_len (body, buffer, got);
    }
  return TRUE;
}

static gpointer
reader_thread (gpointer data)
{
  Reader *reader = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *escaped = g_uri_escape_string ("{\"bindings\":[{\"exchange\":\"" EXCHANGE "\",\"routingKeyPattern\":\"#\"}]}",
                                                  NULL, FALSE);
  g_autofree char *request = g_strdup_printf ("GET /api/events/v1/connect/?bindings=%s&resume=1 HTTP/1.1\r\n"
                                              "Host: x\r\n\r\n", escaped);
  GSocket *socket;
  const char *after;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", reader->port, NULL, NULL);
  g_assert_nonnull (connection);
  socket = g_socket_connection_get_socket (connection);
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, NULL), ==, (gssize) strlen (request));

  g_assert_true (read_until (socket, body, "event: ready\n"));
  g_assert_true (read_until (socket, body, "\n\n"));
  after = strstr (body->str, "event: ready\n");
  g_assert_nonnull (strstr (after, "\"session\":"));
  g_string_erase (body, 0, strstr (after, "\n\n") + 2 - body->str);
  g_atomic_int_set (&reader->ready, 1);

  /* The first event after `ready`, whole. */
  g_assert_true (read_until (socket, body, "\n\n"));
  reader->received = g_string_new (body->str);
  g_atomic_int_set (&reader->done, 1);
  g_main_context_wakeup (NULL);

  return NULL;
}

/* A message larger than the session's window, to a client that reads
 * promptly: delivered, not counted as lost. (The window used to be trimmed
 * before the client was offered the message: nothing arrived at all, as a
 * `dropped` count waits for the next message.) */
static void
test_message_larger_than_window (void)
{
  g_autoptr(PiBroker) broker = pi_embedded_broker_new ();
  g_autoptr(PiServer) server = pi_server_new (broker);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *padding = g_strnfill (4000, 'x');
  g_autofree char *payload = g_strdup_printf ("{\"pad\":\"%s\"}", padding);
  Reader reader = { 0 };
  GThread *thread;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  pi_server_set_client_buffer (server, 65536);
  pi_server_set_resume_window (server, 30, 1024);
  g_assert_true (pi_server_listen (server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  url = pi_server_get_base_url (server);
  reader.port = (guint16) g_ascii_strtoull (strrchr (url, ':') + 1, NULL, 10);

  thread = g_thread_new ("reader", reader_thread, &reader);
  while (!g_atomic_int_get (&reader.ready))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  g_assert_true (pi_broker_publish (broker, EXCHANGE, "big", NULL, payload, &error));
  g_assert_no_error (error);
  while (!g_atomic_int_get (&reader.done))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_thread_join (thread);

  g_assert_true (g_str_has_prefix (reader.received->str, "event: message\n"));
  g_assert_nonnull (strstr (reader.received->str, padding));
  g_string_free (reader.received, TRUE);

  pi_server_shutdown (server, "The test is over");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/server-session/message-larger-than-window", test_message_larger_than_window);

  return g_test_run ();
}
