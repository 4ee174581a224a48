/* pi-server-ws.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-json-util.h"
#include "pi-server-private.h"

/*
 * One client of the plain WebSocket endpoints, /subscription/raw and
 * /subscription/named, speaking the Taskcluster web-server's protocol
 * (docs/PROTOCOL.md 8): connection_init within --websocket-init-timeout,
 * then any number of subscriptions, each a broker subscription of its own.
 *
 * libsoup does the framing: the connection front hands the upgrade request
 * to the SoupServer like any other (it is a GET without a body, read whole),
 * and libsoup's WebSocket handler takes the connection over, so that the
 * front still counts it and learns when it closes. libsoup bounds incoming
 * frames (1009 past PI_SERVER_WS_MAX_FRAME) and pings, but queues outgoing
 * frames without bound: what the client has not read yet is the bytes sent
 * less the bytes the socket took (PiHandoverStream counts them). A message
 * that would take that past --client-buffer means a client too slow to
 * read: it is told (`dropped`, reason too-slow) and closed with 1011.
 */

/* After a close frame is queued, how long the client has to read what is
 * ahead of it and answer; then the connection is cut. */
#define CLOSE_GRACE_MS 10000

#define LOG_BINDINGS_MAX 400

typedef struct
{
  PiServerWs     *ws;
  char           *id;
  char           *data_prefix;    /* {"type":"data","subscriptionId":"…","message": */
  PiSubscription *subscription;
  gboolean        ready;          /* bound, or failed: may be acked */
  gboolean        acked;
  char           *failure;        /* reported after the ack */
} WsSub;

struct _PiServerWs
{
  PiServer                *server;      /* borrowed: the server outlives its clients */
  GList                    link;
  SoupWebsocketConnection *conn;
  PiHandoverStream        *stream;      /* counts what the socket took */
  PiWsEndpoint             endpoint;
  char                    *peer;
  GPtrArray               *subs;        /* of WsSub, in the order of the subscribes */
  guint                    init_source;
  guint                    lifetime_source;
  guint                    abort_source;
  gint64                   opened_at;
  guint64                  queued;      /* frame bytes given to libsoup */
  guint64                  n_sent;
  guint64                  n_dropped_total;
  gboolean                 initialized;
  gboolean                 closing;
};

static void ws_sub_free (WsSub *sub);

/* --- sending ---------------------------------------------------------------- */

/* What the client has not read yet. */
static guint64
ws_pending (PiServerWs *ws)
{
  guint64 written = ws->stream ? pi_handover_stream_get_bytes_written (ws->stream) : ws->queued;

  return ws->queued > written ? ws->queued - written : 0;
}

/* The bytes of an unmasked server frame carrying @length bytes. */
static gsize
frame_size (gsize length)
{
  return length + 2 + (length > 125 ? 2 : 0) + (length > 65535 ? 6 : 0);
}

static void
ws_send (PiServerWs *ws,
         const char *text,
         gsize       length)
{
  if (ws->closing || soup_websocket_connection_get_state (ws->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  ws->queued += frame_size (length);
  soup_websocket_connection_send_text (ws->conn, text);
}

static gboolean
abort_cb (gpointer user_data)
{
  PiServerWs *ws = user_data;

  ws->abort_source = 0;
  g_debug ("%s did not take its close frame: cut", ws->peer);
  g_io_stream_close (soup_websocket_connection_get_io_stream (ws->conn), NULL, NULL);
  return G_SOURCE_REMOVE;
}

/* Closes with @code after what is queued; the client has CLOSE_GRACE_MS
 * to read it. */
static void
ws_close (PiServerWs *ws,
          gushort     code,
          const char *reason)
{
  if (ws->closing)
    return;

  g_debug ("Closing %s with %u: %s", ws->peer, code, reason);
  pi_server_ws_unsubscribe_all (ws);
  g_clear_handle_id (&ws->init_source, g_source_remove);
  g_clear_handle_id (&ws->lifetime_source, g_source_remove);
  ws->closing = TRUE;

  if (soup_websocket_connection_get_state (ws->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (ws->conn, code, reason);
  ws->abort_source = g_timeout_add (CLOSE_GRACE_MS, abort_cb, ws);
}

static void
ws_send_error (PiServerWs *ws,
               const char *subscription_id,
               const char *code,
               const char *message)
{
  g_autoptr(GString) frame = g_string_new ("{\"type\":\"error\"");

  if (subscription_id != NULL)
    {
      g_string_append (frame, ",\"subscriptionId\":");
      pi_json_append_string (frame, subscription_id, -1);
    }
  g_string_append (frame, ",\"code\":");
  pi_json_append_string (frame, code, -1);
  g_string_append (frame, ",\"message\":");
  pi_json_append_string (frame, message, -1);
  g_string_append_c (frame, '}');

  ws_send (ws, frame->str, frame->len);
}

static void
ws_send_dropped (PiServerWs *ws,
                 WsSub      *sub,
                 guint64     count,
                 const char *reason)
{
  g_autoptr(GString) frame = g_string_new ("{\"type\":\"dropped\",\"subscriptionId\":");

  pi_json_append_string (frame, sub->id, -1);
  g_string_append_printf (frame, ",\"count\":%" G_GUINT64_FORMAT ",\"reason\":\"%s\"}", count, reason);
  ws_send (ws, frame->str, frame->len);
}

/* The events v1 message in @event ("event: message\ndata: {…\"routes\":[…]}\n
 * id: -\n\n", pi_event_format_message()) as the web-server's message
 * object, after @prefix: `routes` becomes `cc`, each route with its
 * `route.` prefix back, as the AMQP CC header had it. `routes` is the last
 * member, and a string cannot contain `,"routes":[` unescaped, so its last
 * occurrence is the member. */
static gboolean
append_ws_message (GString    *out,
                   GBytes     *event)
{
  static const char data_field[] = "data: ";
  static const char routes_key[] = ",\"routes\":[";
  gsize size;
  const char *text = g_bytes_get_data (event, &size);
  const char *data = memchr (text, '\n', size);
  const char *end, *routes;
  gboolean in_string = FALSE;

  if (data == NULL || !g_str_has_prefix (data + 1, data_field))
    return FALSE;
  data += 1 + strlen (data_field);
  end = memchr (data, '\n', size - (data - text));
  if (end == NULL || end == data || end[-1] != '}')
    return FALSE;
  routes = g_strrstr_len (data, end - data, routes_key);
  if (routes == NULL)
    return FALSE;

  g_string_append_len (out, data, routes - data);
  g_string_append (out, ",\"cc\":[");
  for (const char *p = routes + strlen (routes_key); p < end; p++)
    {
      g_string_append_c (out, *p);
      if (in_string && *p == '\\' && p + 1 < end)
        g_string_append_c (out, *++p);
      else if (*p == '"')
        {
          if (!in_string)
            g_string_append (out, "route.");
          in_string = !in_string;
        }
    }

  return TRUE;
}

/* --- subscriptions ---------------------------------------------------------- */

static void
ws_sub_unsubscribe (WsSub *sub)
{
  if (sub->subscription != NULL)
    pi_broker_unsubscribe (sub->ws->server->broker, g_steal_pointer (&sub->subscription));
}

static void
ws_sub_free (WsSub *sub)
{
  ws_sub_unsubscribe (sub);
  g_free (sub->id);
  g_free (sub->data_prefix);
  g_free (sub->failure);
  g_free (sub);
}

/* Acks go out in the order of the subscribes (as the web-server's do),
 * each once its queue is bound or has failed; a failure follows its ack,
 * so that the client knows the id it names. */
static void
ws_flush_acks (PiServerWs *ws)
{
  for (guint i = 0; i < ws->subs->len; i++)
    {
      WsSub *sub = g_ptr_array_index (ws->subs, i);
      g_autoptr(GString) frame = NULL;

      if (sub->acked)
        continue;
      if (!sub->ready)
        return;

      sub->acked = TRUE;
      frame = g_string_new ("{\"type\":\"subscribe_ack\",\"subscriptionId\":");
      pi_json_append_string (frame, sub->id, -1);
      g_string_append_c (frame, '}');
      ws_send (ws, frame->str, frame->len);

      if (sub->failure != NULL)
        {
          g_autofree char *failure = g_steal_pointer (&sub->failure);

          ws_send_error (ws, sub->id, "SubscriptionError", failure);
          /* Over: the id stays known (unsubscribe is idempotent), the
           * subscription goes. */
          ws_sub_unsubscribe (sub);
        }
    }
}

static void
ws_sub_ready_cb (gpointer user_data)
{
  WsSub *sub = user_data;

  sub->ready = TRUE;
  ws_flush_acks (sub->ws);
}

static void
ws_sub_message_cb (GBytes   *event,
                   gpointer  user_data)
{
  WsSub *sub = user_data;
  PiServerWs *ws = sub->ws;
  PiServer *self = ws->server;
  g_autoptr(GString) frame = NULL;
  gsize size;

  if (ws->closing)
    return;

  frame = g_string_sized_new (g_bytes_get_size (event) + 128);
  g_string_append (frame, sub->data_prefix);
  if (!append_ws_message (frame, event))
    {
      g_warning ("A message event the WebSocket endpoints cannot convert");
      return;
    }
  g_string_append_c (frame, '}');
  size = frame_size (frame->len);

  /* One message larger than the whole buffer could never be held. */
  if (size > self->client_buffer)
    {
      ws->n_dropped_total++;
      ws_send_dropped (ws, sub, 1, "too-large");
      return;
    }

  if (ws_pending (ws) + size > self->client_buffer)
    {
      ws->n_dropped_total++;
      ws_send_dropped (ws, sub, 1, "too-slow");
      ws_close (ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "WebSocket delivery failed");
      return;
    }

  ws->n_sent++;
  ws_send (ws, frame->str, frame->len);
}

static void
ws_sub_failed_cb (const char *text,
                  gpointer    user_data)
{
  WsSub *sub = user_data;
  PiServerWs *ws = sub->ws;

  /* The broker's words, as the web-server reports a queue it could not
   * bind (before ready) or a consumer it lost (after). */
  if (!sub->ready)
    {
      sub->failure = g_strdup_printf ("Error binding queue: %s", text);
      sub->ready = TRUE;
      ws_flush_acks (ws);
      return;
    }

  ws_send_error (ws, sub->id, "SubscriptionError", text);

  /* The broker went away: none of this socket's subscriptions gets
   * anything until the client subscribes again, so end the socket as SSE
   * ends its stream (the web-server's 1011), and the client reconnects. */
  if (g_str_has_prefix (text, "Lost the connection to the broker") ||
      g_strcmp0 (pi_broker_get_state (ws->server->broker), "reconnecting") == 0)
    {
      ws_close (ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "Lost the connection to the broker");
      return;
    }

  ws_sub_unsubscribe (sub);
}

/* Dropped by the broker before they reached the server (the shared
 * queue's length limit): said, the socket stays (the client was not slow). */
static void
ws_sub_dropped_cb (guint64  count,
                   gpointer user_data)
{
  WsSub *sub = user_data;

  if (sub->ws->closing)
    return;
  sub->ws->n_dropped_total += count;
  ws_send_dropped (sub->ws, sub, count, "too-slow");
}

static const PiSubscriptionCallbacks ws_sub_callbacks = {
  .ready = ws_sub_ready_cb,
  .message = ws_sub_message_cb,
  .failed = ws_sub_failed_cb,
  .dropped = ws_sub_dropped_cb,
};

/* A slugid-like id: 22 characters of URL-safe base64 of 16 random bytes. */
static char *
new_subscription_id (void)
{
  guint8 bytes[16];
  g_autofree char *base64 = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bytes); i++)
    bytes[i] = g_random_int_range (0, 256);
  base64 = g_base64_encode (bytes, sizeof bytes);
  for (char *p = base64; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  return g_strndup (base64, 22);
}

static void
ws_subscribe (PiServerWs *ws,
              GPtrArray  *bindings)
{
  WsSub *sub = g_new0 (WsSub, 1);
  g_autoptr(GString) prefix = g_string_new ("{\"type\":\"data\",\"subscriptionId\":");
  g_autofree char *text = pi_bindings_to_json (bindings);

  sub->ws = ws;
  sub->id = new_subscription_id ();
  pi_json_append_string (prefix, sub->id, -1);
  g_string_append (prefix, ",\"message\":");
  sub->data_prefix = g_string_free (g_steal_pointer (&prefix), FALSE);
  g_ptr_array_add (ws->subs, sub);

  /* One short log line, as for the event streams. */
  if (strlen (text) > LOG_BINDINGS_MAX)
    strcpy (text + LOG_BINDINGS_MAX - 3, "...");
  g_message ("WebSocket subscription %s: %s, %u bindings %s", sub->id, ws->peer, bindings->len, text);
  sub->subscription = pi_broker_subscribe (ws->server->broker, bindings, &ws_sub_callbacks, sub);
}

static void
ws_unsubscribe (PiServerWs *ws,
                const char *id)
{
  for (guint i = 0; i < ws->subs->len; i++)
    {
      WsSub *sub = g_ptr_array_index (ws->subs, i);

      /* Its ack still goes out, in order: only the subscription ends. */
      if (strcmp (sub->id, id) == 0)
        {
          ws_sub_unsubscribe (sub);
          if (!sub->ready)
            {
              sub->ready = TRUE;
              ws_flush_acks (ws);
            }
          return;
        }
    }
}

/* --- client frames ---------------------------------------------------------- */

static void
ws_protocol_error (PiServerWs *ws,
                   const char *why)
{
  g_autofree char *reason = g_strdup_printf ("Protocol error: %s", why);

  /* A close reason is at most 123 bytes. */
  if (strlen (reason) > 123)
    reason[g_utf8_find_prev_char (reason, reason + 120) - reason] = '\0';
  ws_close (ws, PI_SERVER_WS_CLOSE_PROTOCOL, reason);
}

static void
ws_message_cb (SoupWebsocketConnection *conn,
               gint                     type,
               GBytes                  *message,
               PiServerWs              *ws)
{
  g_autoptr(PiWsRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *text = g_bytes_get_data (message, &size);

  if (ws->closing)
    return;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      if (!ws->initialized)
        ws_protocol_error (ws, "frames must be text");
      else
        ws_send_error (ws, NULL, "ProtocolError", "Frames must be text");
      return;
    }

  request = pi_ws_request_parse (ws->endpoint, text, size, &error);

  if (!ws->initialized)
    {
      if (request == NULL)
        ws_protocol_error (ws, error->message);
      else if (request->type != PI_WS_REQUEST_INIT)
        ws_protocol_error (ws, "the first frame must be connection_init");
      else
        {
          static const char ack[] = "{\"type\":\"connection_ack\"}";

          /* No credentials are needed here: an authorization is taken
           * and not checked. */
          ws->initialized = TRUE;
          g_clear_handle_id (&ws->init_source, g_source_remove);
          ws_send (ws, ack, strlen (ack));
        }
      return;
    }

  if (request == NULL)
    {
      ws_send_error (ws, NULL, "ProtocolError", error->message);
      return;
    }

  switch (request->type)
    {
    case PI_WS_REQUEST_INIT:
      ws_send (ws, "{\"type\":\"connection_ack\"}", strlen ("{\"type\":\"connection_ack\"}"));
      break;
    case PI_WS_REQUEST_SUBSCRIBE:
      ws_subscribe (ws, request->bindings);
      break;
    case PI_WS_REQUEST_UNSUBSCRIBE:
      ws_unsubscribe (ws, request->subscription_id);
      break;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
init_timeout_cb (gpointer user_data)
{
  PiServerWs *ws = user_data;
  g_autofree char *why = g_strdup_printf ("no connection_init within %g seconds",
                                          ws->server->ws_init_timeout);

  ws->init_source = 0;
  ws_protocol_error (ws, why);
  return G_SOURCE_REMOVE;
}

static gboolean
lifetime_cb (gpointer user_data)
{
  PiServerWs *ws = user_data;

  ws->lifetime_source = 0;
  ws_close (ws, PI_SERVER_WS_CLOSE_LIFETIME, "Socket lifetime exceeded");
  return G_SOURCE_REMOVE;
}

static void
ws_closed_cb (SoupWebsocketConnection *conn,
              PiServerWs              *ws)
{
  pi_server_ws_finish (ws);
}

/* libsoup meets a frame over its limit before the frame is read, and cuts
 * the connection without a close frame. The web-server closes with 1009:
 * so do we, the frame written here before libsoup closes the stream, as
 * long as no frame of libsoup's is half written. The connection then
 * lingers (the rest of the big frame is read and dropped), or the client
 * would get a reset, and maybe not the close frame. */
static void
ws_close_too_big (PiServerWs *ws)
{
  static const char reason[] = "Max payload size exceeded";
  GOutputStream *output;
  guint8 frame[4 + sizeof reason];

  if (ws->stream == NULL || ws_pending (ws) > 0)
    return;

  frame[0] = 0x88;  /* FIN, close */
  frame[1] = 2 + strlen (reason);
  frame[2] = SOUP_WEBSOCKET_CLOSE_TOO_BIG >> 8;
  frame[3] = SOUP_WEBSOCKET_CLOSE_TOO_BIG & 0xff;
  memcpy (frame + 4, reason, strlen (reason));

  output = g_io_stream_get_output_stream (G_IO_STREAM (ws->stream));
  if (g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (output), frame, 4 + strlen (reason),
                                                  NULL, NULL) > 0)
    pi_handover_stream_set_linger (ws->stream, TRUE);
}

static void
ws_error_cb (SoupWebsocketConnection *conn,
             GError                  *error,
             PiServerWs              *ws)
{
  g_debug ("WebSocket %s: %s", ws->peer, error->message);

  if (g_error_matches (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG) && !ws->closing)
    {
      ws->closing = TRUE;
      ws_close_too_big (ws);
    }
}

/* --- life ------------------------------------------------------------------- */

void
pi_server_ws_unsubscribe_all (PiServerWs *ws)
{
  for (guint i = 0; i < ws->subs->len; i++)
    ws_sub_unsubscribe (g_ptr_array_index (ws->subs, i));
}

void
pi_server_ws_shutdown (PiServerWs *ws,
                       const char *reason)
{
  g_autofree char *text = g_strndup (reason, 120);

  ws_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, text);
}

/* Unlinks and frees @ws: once its connection closed, or when the server
 * goes while it is still open. */
void
pi_server_ws_finish (PiServerWs *ws)
{
  PiServer *self = ws->server;
  double seconds = (g_get_monotonic_time () - ws->opened_at) / (double) G_USEC_PER_SEC;

  g_queue_unlink (&self->websockets, &ws->link);

  g_clear_handle_id (&ws->init_source, g_source_remove);
  g_clear_handle_id (&ws->lifetime_source, g_source_remove);
  g_clear_handle_id (&ws->abort_source, g_source_remove);
  g_ptr_array_unref (ws->subs);

  g_message ("WebSocket closed: %s (%u%s%s), after %.1f s, %" G_GUINT64_FORMAT " messages sent, %"
             G_GUINT64_FORMAT " dropped (%u open)",
             ws->peer, soup_websocket_connection_get_close_code (ws->conn),
             soup_websocket_connection_get_close_data (ws->conn) ? " " : "",
             soup_websocket_connection_get_close_data (ws->conn) ? soup_websocket_connection_get_close_data (ws->conn) : "",
             seconds, ws->n_sent, ws->n_dropped_total, self->websockets.length);

  g_signal_handlers_disconnect_by_data (ws->conn, ws);
  if (soup_websocket_connection_get_state (ws->conn) != SOUP_WEBSOCKET_STATE_CLOSED)
    g_io_stream_close (soup_websocket_connection_get_io_stream (ws->conn), NULL, NULL);
  g_clear_object (&ws->conn);
  g_clear_object (&ws->stream);
  g_free (ws->peer);
  g_free (ws);
}

void
pi_server_ws_start (PiServer                *self,
                    SoupServerMessage       *msg,
                    SoupWebsocketConnection *conn,
                    PiWsEndpoint             endpoint)
{
  PiServerWs *ws = g_new0 (PiServerWs, 1);
  PiHandoverStream *stream = pi_http_front_get_message_stream (self->front, msg);

  ws->server = self;
  ws->link.data = ws;
  ws->conn = g_object_ref (conn);
  ws->stream = stream ? g_object_ref (stream) : NULL;
  ws->endpoint = endpoint;
  ws->peer = pi_server_describe_peer (msg);
  ws->subs = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_sub_free);
  ws->opened_at = g_get_monotonic_time ();
  g_queue_push_tail_link (&self->websockets, &ws->link);

  soup_websocket_connection_set_max_incoming_payload_size (conn, PI_SERVER_WS_MAX_FRAME);
  if (self->ws_ping_interval > 0)
    {
      soup_websocket_connection_set_keepalive_interval (conn, MAX (1, (guint) self->ws_ping_interval));
      /* A client that does not answer a ping by the next one is gone. */
      soup_websocket_connection_set_keepalive_pong_timeout (conn, MAX (1, (guint) self->ws_ping_interval));
    }

  g_signal_connect (conn, "message", G_CALLBACK (ws_message_cb), ws);
  g_signal_connect (conn, "closed", G_CALLBACK (ws_closed_cb), ws);
  g_signal_connect (conn, "error", G_CALLBACK (ws_error_cb), ws);

  ws->init_source = g_timeout_add ((guint) (self->ws_init_timeout * 1000), init_timeout_cb, ws);
  if (self->socket_lifetime > 0)
    ws->lifetime_source = g_timeout_add ((guint) (self->socket_lifetime * 1000), lifetime_cb, ws);

  g_message ("WebSocket opened: %s, %s (%u open)", ws->peer,
             endpoint == PI_WS_ENDPOINT_RAW ? "/subscription/raw" : "/subscription/named",
             self->websockets.length);
}
