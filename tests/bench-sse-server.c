/* bench-sse-server.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * A pacing server for tests/bench-listen.sh: prepares an event stream of
 * N real-shaped queue messages (task-completed, with the whole status,
 * its run, task tags and routes: ~1.1 KB of JSON each) and sends it to
 * every connection as fast as the socket takes it, then closes. Prints
 * its URL, the message count and the stream size, one per line, then
 * serves until killed.
 *
 *   bench-sse-server [N]        (default 200000)
 */

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "bench-messages.h"

static GBytes *stream_bytes;

/* One `message` event: the message as data, no id (events v1 sends "-"). */
static void
append_event (GString *out,
              GRand   *rand,
              guint    i)
{
  g_string_append (out, "event: message\ndata: ");
  bench_append_message (out, rand, i, BENCH_ROUTES_EVENTS_V1);
  g_string_append (out, "\nid: -\n\n");
}

static gpointer
serve (gpointer data)
{
  g_autoptr(GSocketConnection) connection = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
  g_autoptr(GString) request = g_string_new (NULL);
  char buf[4096];
  gsize len;
  const char *bytes = g_bytes_get_data (stream_bytes, &len);
  const gsize piece = 1024 * 1024;

  while (strstr (request->str, "\r\n\r\n") == NULL)
    {
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL);

      if (n <= 0)
        return NULL;
      g_string_append_len (request, buf, n);
    }

  if (!g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL))
    return NULL;
  for (gsize done = 0; done < len; done += piece)
    if (!g_output_stream_write_all (out, bytes + done, MIN (piece, len - done), NULL, NULL, NULL))
      break;

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 200000;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GString) body = g_string_sized_new ((gsize) n * 1200 + 64);
  guint16 port;

  g_string_append (body, "event: ready\ndata: {}\nid: -\n\n");
  for (guint i = 0; i < n; i++)
    append_event (body, rand, i);
  stream_bytes = g_string_free_to_bytes (g_steal_pointer (&body));
  printf ("MESSAGES %u\nBYTES %zu\n", n, g_bytes_get_size (stream_bytes));

  {
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
    g_autoptr(GSocketAddress) effective = NULL;

    if (!g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                        NULL, &effective, &error))
      {
        fprintf (stderr, "bench-sse-server: %s\n", error->message);
        return 1;
      }
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  }
  printf ("URL http://127.0.0.1:%u/api/events/v1\n", port);
  fflush (stdout);

  for (;;)
    {
      GSocketConnection *connection = g_socket_listener_accept (listener, NULL, NULL, &error);

      if (connection == NULL)
        {
          fprintf (stderr, "bench-sse-server: %s\n", error->message);
          return 1;
        }
      g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
      g_thread_unref (g_thread_new ("serve", serve, connection));
    }

  return 0;
}
