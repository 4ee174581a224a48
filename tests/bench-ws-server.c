/* bench-ws-server.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The WebSocket half of tests/bench-listen.sh: the same N messages as
 * tests/bench-sse-server, served with libsoup's own server WebSocket in
 * the Taskcluster web-server's two protocols, as fast as the socket takes
 * them, then a normal close (1000).
 *
 *   <URL>/subscription/raw            plain protocol: connection_init ->
 *                                     connection_ack, subscribe ->
 *                                     subscribe_ack, then `data` frames
 *   <URL>/graphql/subscription        GraphQL (`graphql-ws` subprotocol):
 *                                     connection_init -> connection_ack,
 *                                     start -> `data` frames (no reply to
 *                                     start, as web-server v106)
 *   <URL>/graphql/subscription/raw    404, so that a client given the
 *                                     root URL <URL>/graphql falls back
 *                                     to GraphQL as on a deployment
 *                                     without the plain protocol
 *
 * Prints its URL, the message count and each protocol's stream size (the
 * bytes on the wire of the data frames, frame headers included, the way
 * the SSE server counts its event framing), then serves until killed.
 *
 *   bench-ws-server [N] [--libsoup-frames]        (default 200000)
 *
 * The handshake, the protocol's own frames and the close are libsoup's.
 * The data frames are written by this server, a quarter megabyte at a
 * time, as bench-sse-server writes its events: libsoup writes one frame
 * per write() and per main loop turn, which costs this server about as
 * much CPU as the client spends, on the same cores, and the benchmark is
 * about the client. --libsoup-frames hands every data frame to libsoup
 * instead (soup_websocket_connection_send_message), for comparison.
 *
 * Pacing: libsoup queues every frame it is given and has no "drained"
 * signal, so queuing N frames up front would hold the whole stream in
 * memory and make the client wait for the server to queue it. Instead a
 * writability source at a lower priority than libsoup's own output source
 * runs only when libsoup's queue is empty and the socket has room: the
 * stream flows at the pace the client reads it, and frames of ours never
 * interleave with a frame of libsoup's. (libsoup would answer a client's
 * ping by writing a pong at once, possibly inside a data frame of ours
 * half written: pulse-listen pings after 30 s of a stream, a run takes a
 * few seconds.)
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bench-messages.h"

typedef enum {
  MODE_RAW,
  MODE_GRAPHQL,
} Mode;

typedef struct {
  SoupWebsocketConnection *ws;
  GPollableOutputStream   *out;
  GSource                 *pump;
  Mode                     mode;
  gboolean                 acked;
  char                    *prefix;      /* the data frame up to the message */
  const char              *suffix;
  GString                 *frame;
  GByteArray              *chunk;       /* data frames of ours being written */
  gsize                    written;     /* of chunk */
  guint                    next;        /* the next message to send */
} Client;

static GBytes  *messages;               /* N messages, one after the other */
static gsize   *offsets;                /* N + 1: where each one starts */
static guint    n_messages;
static guint    n_subscriptions;
static gboolean libsoup_frames;

#define CHUNK_SIZE (256 * 1024)

#define RAW_SUFFIX     "}"
#define GRAPHQL_SUFFIX "}}}"

static char *
raw_prefix (const char *subscription_id)
{
  return g_strdup_printf ("{\"type\":\"data\",\"subscriptionId\":\"%s\",\"message\":", subscription_id);
}

static char *
graphql_prefix (const char *id)
{
  g_autofree char *quoted = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);

  /* The client's id is echoed as it gave it: a JSON string. */
  json_node_set_string (node, id);
  quoted = json_to_string (node, FALSE);
  return g_strdup_printf ("{\"type\":\"data\",\"id\":%s,\"payload\":{\"data\":{\"pulseMessages\":", quoted);
}

/* The bytes of a data frame on the wire: header and payload (server
 * frames are not masked). */
static gsize
frame_size (gsize payload)
{
  if (payload < 126)
    return 2 + payload;
  if (payload < 65536)
    return 4 + payload;
  return 10 + payload;
}

static guint64
stream_size (const char *prefix,
             const char *suffix)
{
  guint64 total = 0;
  gsize extra = strlen (prefix) + strlen (suffix);

  for (guint i = 0; i < n_messages; i++)
    total += frame_size (offsets[i + 1] - offsets[i] + extra);
  return total;
}

static void
client_free (Client *client)
{
  if (client->pump != NULL)
    {
      g_source_destroy (client->pump);
      g_source_unref (client->pump);
    }
  g_signal_handlers_disconnect_by_data (client->ws, client);
  g_object_unref (client->ws);
  g_free (client->prefix);
  g_string_free (client->frame, TRUE);
  g_byte_array_unref (client->chunk);
  g_free (client);
}

static void
send_text (Client     *client,
           const char *text)
{
  if (soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (client->ws, text);
}

/* Appends data frame @i, as libsoup frames a text message of a server:
 * FIN + text opcode, the shortest length encoding, no mask. */
static void
append_frame (Client *client,
              guint   i)
{
  const char *data = g_bytes_get_data (messages, NULL);
  gsize prefix_len = strlen (client->prefix);
  gsize suffix_len = strlen (client->suffix);
  gsize len = prefix_len + (offsets[i + 1] - offsets[i]) + suffix_len;
  guint8 header[10] = { 0x81 };
  gsize header_len;

  if (len < 126)
    {
      header[1] = len;
      header_len = 2;
    }
  else if (len < 65536)
    {
      header[1] = 126;
      header[2] = len >> 8;
      header[3] = len & 0xff;
      header_len = 4;
    }
  else
    {
      header[1] = 127;
      for (int b = 0; b < 8; b++)
        header[2 + b] = ((guint64) len >> (56 - 8 * b)) & 0xff;
      header_len = 10;
    }

  g_byte_array_append (client->chunk, header, header_len);
  g_byte_array_append (client->chunk, (const guint8 *) client->prefix, prefix_len);
  g_byte_array_append (client->chunk, (const guint8 *) data + offsets[i], offsets[i + 1] - offsets[i]);
  g_byte_array_append (client->chunk, (const guint8 *) client->suffix, suffix_len);
}

/* Writes data frames of ours until the socket is full; FALSE when a write
 * failed (the client went away: libsoup notices too). */
static gboolean
write_own_frames (Client *client)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (client->written == client->chunk->len)
        {
          if (client->next == n_messages)
            return TRUE;
          g_byte_array_set_size (client->chunk, 0);
          client->written = 0;
          while (client->chunk->len < CHUNK_SIZE && client->next < n_messages)
            append_frame (client, client->next++);
        }

      n = g_pollable_output_stream_write_nonblocking (client->out, client->chunk->data + client->written,
                                                      client->chunk->len - client->written, NULL, &error);
      if (n < 0)
        return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      client->written += n;
    }
}

static gboolean
pump_cb (GObject  *stream,
         gpointer  user_data)
{
  Client *client = user_data;
  const char *data = g_bytes_get_data (messages, NULL);

  if (soup_websocket_connection_get_state (client->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    {
      g_clear_pointer (&client->pump, g_source_unref);
      return G_SOURCE_REMOVE;
    }

  if (!libsoup_frames)
    {
      if (!write_own_frames (client))
        {
          g_clear_pointer (&client->pump, g_source_unref);
          return G_SOURCE_REMOVE;
        }
      if (client->next < n_messages || client->written < client->chunk->len)
        return G_SOURCE_CONTINUE;
    }

  /* This source runs only when libsoup's output source, of a higher
   * priority, has nothing to write: everything given so far is on the wire,
   * and a close now cannot overtake a data frame. */
  if (client->next == n_messages && client->written == client->chunk->len)
    {
      soup_websocket_connection_close (client->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_pointer (&client->pump, g_source_unref);
      return G_SOURCE_REMOVE;
    }

  /* libsoup writes a frame as soon as it is given one when its queue is
   * empty; once the socket is full the frame waits in its queue and so do
   * we, until the socket drains. Asking the socket costs a poll(), so ask
   * every few frames: a few frames more in libsoup's queue do no harm. */
  do
    {
      guint burst = MIN (n_messages - client->next, 16);

      for (; burst > 0; burst--)
        {
          guint i = client->next++;
          g_autoptr(GBytes) frame = NULL;

          g_string_truncate (client->frame, 0);
          g_string_append (client->frame, client->prefix);
          g_string_append_len (client->frame, data + offsets[i], offsets[i + 1] - offsets[i]);
          g_string_append (client->frame, client->suffix);
          frame = g_bytes_new_static (client->frame->str, client->frame->len);
          soup_websocket_connection_send_message (client->ws, SOUP_WEBSOCKET_DATA_TEXT, frame);
        }
    }
  while (client->next < n_messages &&
         soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN &&
         g_pollable_output_stream_is_writable (client->out));

  return G_SOURCE_CONTINUE;
}

static void
start_stream (Client     *client,
              char       *prefix,
              const char *suffix)
{
  if (client->pump != NULL)
    {
      g_free (prefix);
      return;
    }

  client->prefix = prefix;
  client->suffix = suffix;
  client->pump = g_pollable_output_stream_create_source (client->out, NULL);
  g_source_set_priority (client->pump, G_PRIORITY_LOW);
  g_source_set_callback (client->pump, G_SOURCE_FUNC (pump_cb), client, NULL);
  g_source_attach (client->pump, NULL);
}

static void
on_message (SoupWebsocketConnection *ws,
            SoupWebsocketDataType    type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  Client *client = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  JsonObject *frame;
  const char *frame_type;

  if (type != SOUP_WEBSOCKET_DATA_TEXT || !json_parser_load_from_data (parser, text, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      soup_websocket_connection_close (ws, 4400, "Protocol error: not a JSON object");
      return;
    }
  frame = json_node_get_object (json_parser_get_root (parser));
  frame_type = json_object_get_string_member_with_default (frame, "type", "");

  if (!client->acked)
    {
      if (g_strcmp0 (frame_type, "connection_init") != 0)
        {
          soup_websocket_connection_close (ws, 4400, "Protocol error: expected connection_init");
          return;
        }
      client->acked = TRUE;
      send_text (client, "{\"type\":\"connection_ack\"}");
      return;
    }

  if (client->mode == MODE_RAW && g_strcmp0 (frame_type, "subscribe") == 0)
    {
      g_autofree char *id = g_strdup_printf ("bench-subscription-%04u", ++n_subscriptions);
      g_autofree char *ack = g_strdup_printf ("{\"type\":\"subscribe_ack\",\"subscriptionId\":\"%s\"}", id);

      send_text (client, ack);
      start_stream (client, raw_prefix (id), RAW_SUFFIX);
    }
  else if (client->mode == MODE_GRAPHQL && g_strcmp0 (frame_type, "start") == 0 &&
           json_object_get_string_member_with_default (frame, "id", NULL) != NULL)
    {
      start_stream (client, graphql_prefix (json_object_get_string_member (frame, "id")), GRAPHQL_SUFFIX);
    }
  else if (client->mode == MODE_GRAPHQL && g_strcmp0 (frame_type, "connection_terminate") == 0)
    {
      soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  /* Anything else (stop, unsubscribe) does not matter to a benchmark. */
}

static void
on_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  client_free (user_data);
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  Client *client = g_new0 (Client, 1);

  client->ws = g_object_ref (ws);
  client->mode = GPOINTER_TO_INT (user_data);
  client->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (soup_websocket_connection_get_io_stream (ws)));
  client->frame = g_string_sized_new (4096);
  client->chunk = g_byte_array_sized_new (CHUNK_SIZE + 4096);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), client);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), client);
}

static void
not_found_cb (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

int
main (int   argc,
      char *argv[])
{
  static const char *graphql_protocols[] = { "graphql-ws", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GString) body = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *raw = raw_prefix ("bench-subscription-0001");
  g_autofree char *graphql = graphql_prefix ("1");
  GSList *uris;

  n_messages = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 200000;
  libsoup_frames = argc > 2 && strcmp (argv[2], "--libsoup-frames") == 0;
  body = g_string_sized_new ((gsize) n_messages * 1200 + 64);
  offsets = g_new (gsize, n_messages + 1);
  for (guint i = 0; i < n_messages; i++)
    {
      offsets[i] = body->len;
      bench_append_message (body, rand, i, BENCH_ROUTES_CC);
    }
  offsets[n_messages] = body->len;
  messages = g_string_free_to_bytes (g_steal_pointer (&body));

  printf ("MESSAGES %u\n", n_messages);
  /* Subscription ids are numbered per server, all of the same length. */
  printf ("BYTES_RAW %" G_GUINT64_FORMAT "\n", stream_size (raw, RAW_SUFFIX));
  printf ("BYTES_GRAPHQL %" G_GUINT64_FORMAT "\n", stream_size (graphql, GRAPHQL_SUFFIX));

  server = soup_server_new ("server-header", "bench-ws-server", NULL);
  soup_server_add_websocket_handler (server, "/subscription/raw", NULL, NULL,
                                     websocket_cb, GINT_TO_POINTER (MODE_RAW), NULL);
  soup_server_add_websocket_handler (server, "/graphql/subscription", NULL, (char **) graphql_protocols,
                                     websocket_cb, GINT_TO_POINTER (MODE_GRAPHQL), NULL);
  soup_server_add_handler (server, "/graphql/subscription/raw", not_found_cb, NULL, NULL);

  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      fprintf (stderr, "bench-ws-server: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  printf ("URL http://127.0.0.1:%d\n", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);

  return 0;
}
