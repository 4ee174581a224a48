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

static GBytes *stream_bytes;

static void
append_slugid (GString *out,
               GRand   *rand)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  g_string_append_c (out, '"');
  for (int i = 0; i < 22; i++)
    g_string_append_c (out, alphabet[g_rand_int_range (rand, 0, 64)]);
  g_string_append_c (out, '"');
}

static void
append_time (GString *out,
             gint64   base,
             gint64   offset_ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc ((base + offset_ms) / 1000);

  g_string_append_printf (out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"",
                          g_date_time_get_year (dt), g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt),
                          (int) ((base + offset_ms) % 1000));
}

/* One `message` event shaped like a real task-completed delivery. */
static void
append_event (GString *out,
              GRand   *rand,
              guint    i)
{
  static const char *kinds[] = { "build", "test", "lint", "signing", "beetmover" };
  static const char *platforms[] = { "linux64", "windows11-64", "macosx1015-64", "android-em-7.0-x86_64" };
  g_autoptr(GString) task_id = g_string_new (NULL);
  g_autoptr(GString) group_id = g_string_new (NULL);
  gint64 base = 1795000000000 + (gint64) i * 37;
  const char *kind = kinds[i % G_N_ELEMENTS (kinds)];
  const char *platform = platforms[i % G_N_ELEMENTS (platforms)];
  guint worker = g_rand_int_range (rand, 100000000, 999999999);
  guint push = 40000 + i / 500;

  append_slugid (task_id, rand);
  append_slugid (group_id, rand);

  g_string_append (out, "event: message\ndata: {\"payload\":{\"version\":1,\"status\":{\"taskId\":");
  g_string_append (out, task_id->str);
  g_string_append (out, ",\"provisionerId\":\"gecko-3\",\"workerType\":\"b-linux-gcp\","
                        "\"schedulerId\":\"gecko-level-3\","
                        "\"projectId\":\"none\",\"taskGroupId\":");
  g_string_append (out, group_id->str);
  g_string_append (out, ",\"deadline\":");
  append_time (out, base, 86400000);
  g_string_append (out, ",\"retriesLeft\":5,\"state\":\"completed\",\"runs\":[{\"runId\":0,"
                        "\"state\":\"completed\",\"reasonCreated\":\"scheduled\","
                        "\"reasonResolved\":\"completed\",\"workerGroup\":\"us-central1-b\",\"workerId\":\"");
  g_string_append_printf (out, "%u", worker);
  g_string_append (out, "\",\"scheduled\":");
  append_time (out, base, 0);
  g_string_append (out, ",\"started\":");
  append_time (out, base, 4100);
  g_string_append (out, ",\"resolved\":");
  append_time (out, base, 912345);
  g_string_append_printf (out, "}]},\"task\":{\"tags\":{\"kind\":\"%s\",\"label\":\"%s-%s/opt-%u\","
                               "\"os\":\"linux\",\"createdForUser\":\"dev%u@example.com\","
                               "\"retrigger\":\"false\"}},"
                               "\"runId\":0,\"workerGroup\":\"us-central1-b\",\"workerId\":\"%u\"},",
                          kind, kind, platform, i % 97, i % 13, worker);
  g_string_append (out, "\"exchange\":\"exchange/taskcluster-queue/v1/task-completed\",\"routingKey\":\"primary.");
  g_string_append_len (out, task_id->str + 1, 22);
  g_string_append_printf (out, ".0.us-central1-b.%u.gecko-3.b-linux-gcp.gecko-level-3.", worker);
  g_string_append_len (out, group_id->str + 1, 22);
  g_string_append_printf (out, "._\",\"redelivered\":false,\"routes\":["
                               "\"index.gecko.v2.autoland.latest.firefox.%s-opt\","
                               "\"tc-treeherder.v2.autoland.%08x%08x.%u\"]}\nid: -\n\n",
                          platform, g_rand_int (rand), g_rand_int (rand), push);
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
