/* pi-server-ws.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include "pi-server-private.h"
#include "pi-ws-reply.h"
#include "pi-ws-subscriptions.h"

/*
 * One client of the plain WebSocket endpoints, /subscription/raw and
 * /subscription/named, speaking the Taskcluster web-server's protocol
 * (docs/PROTOCOL.md 8): connection_init within --websocket-init-timeout,
 * then any number of subscriptions, each a broker subscription of its own
 * (pi-ws-subscriptions.c holds them).
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
 *
 * When the socket ends without a normal close by the client (1000, 1001),
 * its resumable subscriptions' sessions are held for a resume.
 */

/* After a close frame is queued, how long the client has to read what is
 * ahead of it and answer; then the connection is cut. */
#define CLOSE_GRACE_MS 10000

/* The tests' clients may read much later in a sanitizer build on a busy
 * machine: PULSE_EVENTS_WS_CLOSE_GRACE_MS stretches the grace for them. */
static guint
close_grace_ms (void)
{
  static guint grace;

  if (grace == 0)
    {
      const char *text = g_getenv ("PULSE_EVENTS_WS_CLOSE_GRACE_MS");
      guint64 value = 0;

      if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &value, NULL))
        value = CLOSE_GRACE_MS;
      grace = (guint) value;
    }

  return grace;
}

struct _PiServerWs
{
  PiServer                *server;      /* borrowed: the server outlives its clients */
  GList                    link;
  SoupWebsocketConnection *conn;
  PiHandoverStream        *stream;      /* counts what the socket took */
  PiWsEndpoint             endpoint;
  char                    *peer;
  PiWsSubscriptions       *subs;        /* owned */
  guint                    init_source;
  guint                    lifetime_source;
  guint                    abort_source;
  gint64                   opened_at;
  guint64                  queued;      /* frame bytes given to libsoup */
  gboolean                 initialized;
  gboolean                 closing;
};

/* --- sending ---------------------------------------------------------------- */

/* What the client has not read yet. */
guint64
pi_server_ws_get_pending (PiServerWs *ws)
{
  guint64 written = pi_server_ws_get_written (ws);

  return ws->queued > written ? ws->queued - written : 0;
}

/* Where the end of what was sent so far lies in the socket's output. */
guint64
pi_server_ws_get_queued (PiServerWs *ws)
{
  return ws->queued;
}

/* How much of the socket's output the connection took (the kernel has
 * it); without a counting stream, all that was sent. */
guint64
pi_server_ws_get_written (PiServerWs *ws)
{
  return ws->stream ? pi_handover_stream_get_bytes_written (ws->stream) : ws->queued;
}

void
pi_server_ws_send (PiServerWs *ws,
                   const char *text,
                   gsize       length)
{
  if (ws->closing || soup_websocket_connection_get_state (ws->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  ws->queued += pi_ws_reply_frame_size (length);
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
void
pi_server_ws_close (PiServerWs *ws,
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
  ws->abort_source = g_timeout_add (close_grace_ms (), abort_cb, ws);
}

static void
ws_send_error (PiServerWs *ws,
               const char *subscription_id,
               const char *code,
               const char *message)
{
  g_autoptr(GString) frame = pi_ws_reply_error (subscription_id, code, message);

  pi_server_ws_send (ws, frame->str, frame->len);
}

gboolean
pi_server_ws_is_closing (PiServerWs *ws)
{
  return ws->closing;
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
  pi_server_ws_close (ws, PI_SERVER_WS_CLOSE_PROTOCOL, reason);
}

/* `{"type":"connection_ack"}`, with `"resume":true` for a client that
 * asked (`"resume":true` in its init) when this server resumes. */
static void
ws_send_connection_ack (PiServerWs  *ws,
                        PiWsRequest *request)
{
  static const char ack[] = "{\"type\":\"connection_ack\"}";
  static const char resume_ack[] = "{\"type\":\"connection_ack\",\"resume\":true}";
  PiServer *self = ws->server;

  if (request->resume && self->resume_window > 0 && self->resume_buffer > 0)
    pi_server_ws_send (ws, resume_ack, strlen (resume_ack));
  else
    pi_server_ws_send (ws, ack, strlen (ack));
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
          /* No credentials are needed here: an authorization is taken
           * and not checked. A client that asks to resume learns from
           * the ack whether it may. */
          ws->initialized = TRUE;
          g_clear_handle_id (&ws->init_source, g_source_remove);
          ws_send_connection_ack (ws, request);
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
      ws_send_connection_ack (ws, request);
      break;
    case PI_WS_REQUEST_SUBSCRIBE:
      pi_ws_subscriptions_subscribe (ws->subs, request);
      break;
    case PI_WS_REQUEST_UNSUBSCRIBE:
      pi_ws_subscriptions_unsubscribe (ws->subs, request->subscription_id);
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
  pi_server_ws_close (ws, PI_SERVER_WS_CLOSE_LIFETIME, "Socket lifetime exceeded");
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

  if (ws->stream == NULL || pi_server_ws_get_pending (ws) > 0)
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
  pi_ws_subscriptions_unsubscribe_all (ws->subs);
}

void
pi_server_ws_shutdown (PiServerWs *ws,
                       const char *reason)
{
  g_autofree char *text = g_strndup (reason, 120);

  pi_server_ws_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, text);
}

/* Unlinks and frees @ws: once its connection closed, or when the server
 * goes while it is still open. */
void
pi_server_ws_finish (PiServerWs *ws)
{
  PiServer *self = ws->server;
  double seconds = (g_get_monotonic_time () - ws->opened_at) / (double) G_USEC_PER_SEC;

  gushort code = soup_websocket_connection_get_close_code (ws->conn);
  guint64 n_sent = pi_ws_subscriptions_get_n_sent (ws->subs);
  guint64 n_dropped = pi_ws_subscriptions_get_n_dropped (ws->subs);

  g_queue_unlink (&self->websockets, &ws->link);

  g_clear_handle_id (&ws->init_source, g_source_remove);
  g_clear_handle_id (&ws->lifetime_source, g_source_remove);
  g_clear_handle_id (&ws->abort_source, g_source_remove);
  /* A client that closes normally (1000, or 1001 as a page that goes
   * away) lets its subscriptions go; a socket lost without a close frame,
   * closed by us, or by a client for an error of its own (no pong in
   * time, a frame it could not read) keeps them for a resume. */
  pi_ws_subscriptions_free (g_steal_pointer (&ws->subs),
                            !ws->closing && (code == SOUP_WEBSOCKET_CLOSE_NORMAL ||
                                             code == SOUP_WEBSOCKET_CLOSE_GOING_AWAY));

  g_message ("WebSocket closed: %s (%u%s%s), after %.1f s, %" G_GUINT64_FORMAT " messages sent, %"
             G_GUINT64_FORMAT " dropped (%u open)",
             ws->peer, soup_websocket_connection_get_close_code (ws->conn),
             soup_websocket_connection_get_close_data (ws->conn) ? " " : "",
             soup_websocket_connection_get_close_data (ws->conn) ? soup_websocket_connection_get_close_data (ws->conn) : "",
             seconds, n_sent, n_dropped, self->websockets.length);

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
  ws->subs = pi_ws_subscriptions_new (self, ws, ws->peer);
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
