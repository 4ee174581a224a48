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
#include "pi-server-private.h"
#include "pi-ws-reply.h"

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
 *
 * Resumable subscriptions (our extension, docs/PROTOCOL.md 8): a subscribe
 * with `"resume"` belongs to a PiServerSession (pi-server-session.c), as a
 * resumable event stream does. The session numbers the messages and keeps
 * the recent ones; the subscription sends them from there (ws_sub_fill()),
 * as far as the client's --client-buffer has room, and tries again shortly
 * when it has none, so a slow reader waits instead of being closed. When
 * the socket ends without a normal close by the client, the sessions are
 * held for a resume; an unsubscribe or the client's normal close (1000,
 * 1001) ends them.
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

/* How soon a resumable subscription whose client had no room tries again. */
#define FILL_RETRY_MS 20

#define LOG_BINDINGS_MAX 400

/* Open subscriptions per socket: each may hold up to --resume-buffer. */
#define MAX_SUBSCRIPTIONS 1000

typedef struct
{
  PiServerWs     *ws;
  char           *id;
  PiSubscription *subscription;
  gboolean        ready;          /* bound, or failed: may be acked */
  gboolean        acked;
  char           *failure;        /* reported after the ack */
  PiServerSession *session;       /* a resumable subscription's, or NULL */
  guint64         next_seq;       /* of the session's next message to send */
  guint64         dropped_slow;   /* fell out of the session unsent, not yet told */
  guint64         dropped_large;  /* larger than --client-buffer, not yet told */
  gboolean        resumed;        /* took a held session over */
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
  guint                    fill_source; /* resumable subscriptions waiting for room */
  gint64                   opened_at;
  guint64                  queued;      /* frame bytes given to libsoup */
  guint64                  n_sent;
  guint64                  n_dropped_total;
  gboolean                 initialized;
  gboolean                 closing;
  gboolean                 end_sessions; /* the client closed normally: nothing to hold */
};

static void ws_sub_free (WsSub *sub);
static void ws_sub_fill (WsSub *sub);
static void ws_sub_report_dropped (WsSub *sub);
static void ws_sub_failed_cb (const char *text,
                              gpointer    user_data);

/* --- sending ---------------------------------------------------------------- */

/* What the client has not read yet. */
static guint64
ws_pending (PiServerWs *ws)
{
  guint64 written = ws->stream ? pi_handover_stream_get_bytes_written (ws->stream) : ws->queued;

  return ws->queued > written ? ws->queued - written : 0;
}

static void
ws_send (PiServerWs *ws,
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
  ws->abort_source = g_timeout_add (close_grace_ms (), abort_cb, ws);
}

static void
ws_send_error (PiServerWs *ws,
               const char *subscription_id,
               const char *code,
               const char *message)
{
  g_autoptr(GString) frame = pi_ws_reply_error (subscription_id, code, message);

  ws_send (ws, frame->str, frame->len);
}

static void
ws_send_dropped (PiServerWs *ws,
                 WsSub      *sub,
                 guint64     count,
                 const char *reason)
{
  /* On a numbered subscription: through which number it counts, where a
   * resume goes on (not counted twice); a resume's own loss is before the
   * first message it sends. */
  guint64 seq = sub->session != NULL && strcmp (reason, "resume-window") != 0 ? sub->next_seq - 1 : 0;
  g_autoptr(GString) frame = pi_ws_reply_dropped (sub->id, count, reason, seq);

  ws_send (ws, frame->str, frame->len);
}

/* --- subscriptions ---------------------------------------------------------- */

/* A resumable subscription's session is held for a resume when the
 * socket went without the client closing it, ended otherwise. */
static void
ws_sub_unsubscribe (WsSub *sub)
{
  if (sub->subscription != NULL)
    pi_broker_unsubscribe (sub->ws->server->broker, g_steal_pointer (&sub->subscription));
  if (sub->session != NULL)
    {
      if (sub->ws->end_sessions)
        pi_server_session_end (g_steal_pointer (&sub->session));
      else
        pi_server_session_release (g_steal_pointer (&sub->session));
    }
}

static void
ws_sub_free (WsSub *sub)
{
  ws_sub_unsubscribe (sub);
  g_free (sub->id);
  g_free (sub->failure);
  g_free (sub);
}

/* The ack of a resumable subscription names its session and says whether
 * it goes on where the client left it, and how many messages of it the
 * window no longer held (`lost`). */
static GString *
ws_sub_ack (WsSub *sub)
{
  guint64 first_seq;

  if (sub->session == NULL || sub->failure != NULL)
    return pi_ws_reply_subscribe_ack (sub->id, NULL, FALSE, 0);

  first_seq = pi_server_session_get_first_seq (sub->session);
  return pi_ws_reply_subscribe_ack (sub->id, pi_server_session_get_id (sub->session), sub->resumed,
                                    sub->next_seq < first_seq ? first_seq - sub->next_seq : 0);
}

/* Right after a resume's ack: what fell out of the window meanwhile is
 * said, never silent. */
static void
ws_sub_report_resume_loss (WsSub *sub)
{
  guint64 first_seq = pi_server_session_get_first_seq (sub->session);
  guint64 lost;

  if (!sub->resumed || sub->next_seq >= first_seq)
    return;

  lost = first_seq - sub->next_seq;
  sub->ws->n_dropped_total += lost;
  sub->next_seq = first_seq;
  ws_send_dropped (sub->ws, sub, lost, "resume-window");
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
      frame = ws_sub_ack (sub);
      ws_send (ws, frame->str, frame->len);
      if (sub->session != NULL && sub->failure == NULL)
        ws_sub_report_resume_loss (sub);

      if (sub->failure != NULL)
        {
          g_autofree char *failure = g_steal_pointer (&sub->failure);

          ws_send_error (ws, sub->id, "SubscriptionError", failure);
          /* Over: the id stays known (unsubscribe is idempotent), the
           * subscription goes. */
          ws_sub_unsubscribe (sub);
        }
      else if (sub->session == NULL)
        ws_sub_report_dropped (sub);  /* what the broker dropped before the ack */
      else
        ws_sub_fill (sub);
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

  if (!(frame = pi_ws_reply_data (sub->id, 0, event)))
    {
      g_warning ("A message event the WebSocket endpoints cannot convert");
      return;
    }
  size = pi_ws_reply_frame_size (frame->len);

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

/* Tells what a resumable subscription lost: messages that waited in its
 * session past the window (the client read too slowly) or that were
 * larger than --client-buffer. */
static void
ws_sub_report_dropped (WsSub *sub)
{
  if (sub->dropped_slow > 0)
    {
      ws_send_dropped (sub->ws, sub, sub->dropped_slow, "too-slow");
      sub->dropped_slow = 0;
    }
  if (sub->dropped_large > 0)
    {
      ws_send_dropped (sub->ws, sub, sub->dropped_large, "too-large");
      sub->dropped_large = 0;
    }
}

static gboolean
fill_retry_cb (gpointer user_data)
{
  PiServerWs *ws = user_data;

  ws->fill_source = 0;
  for (guint i = 0; i < ws->subs->len; i++)
    ws_sub_fill (g_ptr_array_index (ws->subs, i));
  return G_SOURCE_REMOVE;
}

/* Sends what of its session's history @sub has not sent yet, each message
 * numbered (`"seq"`), as far as the client's buffer has room; the rest
 * waits in the session (a retry is scheduled), and what falls out of the
 * session's window meanwhile is counted as dropped. */
static void
ws_sub_fill (WsSub *sub)
{
  PiServerWs *ws = sub->ws;
  PiServer *self = ws->server;
  PiServerSession *session = sub->session;
  guint64 first_seq;

  if (session == NULL || !sub->acked || ws->closing)
    return;

  first_seq = pi_server_session_get_first_seq (session);
  while (sub->next_seq <= pi_server_session_get_last_seq (session))
    {
      g_autoptr(GString) frame = NULL;
      GBytes *event;
      gsize size;

      if (sub->next_seq < first_seq)
        {
          sub->dropped_slow += first_seq - sub->next_seq;
          ws->n_dropped_total += first_seq - sub->next_seq;
          sub->next_seq = first_seq;
          continue;
        }

      event = pi_server_session_get_message (session, sub->next_seq);
      if (!(frame = pi_ws_reply_data (sub->id, sub->next_seq, event)))
        {
          g_warning ("A message event the WebSocket endpoints cannot convert");
          sub->next_seq++;
          continue;
        }
      size = pi_ws_reply_frame_size (frame->len);

      if (size > self->client_buffer)
        {
          sub->dropped_large++;
          ws->n_dropped_total++;
          sub->next_seq++;
          continue;
        }
      if (ws_pending (ws) + size > self->client_buffer)
        {
          if (ws->fill_source == 0)
            ws->fill_source = g_timeout_add (FILL_RETRY_MS, fill_retry_cb, ws);
          return;
        }

      ws_sub_report_dropped (sub);
      ws->n_sent++;
      ws_send (ws, frame->str, frame->len);
      sub->next_seq++;
    }

  ws_sub_report_dropped (sub);
}

/* What a session tells its WebSocket subscription. */
static void
ws_session_ready (gpointer owner)
{
  WsSub *sub = owner;

  sub->ready = TRUE;
  ws_flush_acks (sub->ws);
}

static void
ws_session_fill (gpointer owner)
{
  ws_sub_fill (owner);
}

static void
ws_session_lose (gpointer owner)
{
  WsSub *sub = owner;

  sub->session = NULL;
}

static void
ws_session_fail (gpointer    owner,
                 const char *text)
{
  ws_sub_failed_cb (text, owner);
}

/* Dropped by the broker before the session numbered them: told with
 * those the client was too slow for, after the subscription's ack. */
static void
ws_session_dropped (gpointer owner,
                    guint64  count)
{
  WsSub *sub = owner;

  /* Closing: the subscription that resumes the session hears of them. */
  if (sub->ws->closing)
    {
      if (sub->session != NULL)
        pi_server_session_add_dropped (sub->session, count);
      return;
    }
  sub->dropped_slow += count;
  sub->ws->n_dropped_total += count;
  ws_sub_fill (sub);
}

static const PiServerSessionOwner ws_session_owner = {
  .ready = ws_session_ready,
  .fill = ws_session_fill,
  .lose = ws_session_lose,
  .fail = ws_session_fail,
  .dropped = ws_session_dropped,
};

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
  /* Not before the subscription's ack: the client would not know the id. */
  if (!sub->acked)
    {
      sub->dropped_slow += count;
      return;
    }
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

/* A subscribe with `"resume"`: a new session, or the held one that
 * @resume_from names (with the same bindings) taken over. */
static void
ws_sub_start_session (WsSub      *sub,
                      const char *resume_from,
                      const char *bindings_json,
                      GPtrArray  *bindings)
{
  PiServerWs *ws = sub->ws;
  PiServer *self = ws->server;
  guint64 last_seen = 0;
  PiServerSession *session = NULL;
  WsSub *old;
  guint64 first_seq, last_seq;

  if (resume_from != NULL)
    session = pi_server_session_find (self, &ws_session_owner, resume_from, bindings_json, &last_seen);

  if (session == NULL)
    {
      sub->session = pi_server_session_new (self, &ws_session_owner, bindings_json, sub);
      sub->next_seq = 1;
      if (resume_from != NULL)
        g_message ("WebSocket subscription %s of %s not resumed: no session %s here (any more); session %s",
                   sub->id, ws->peer, resume_from, pi_server_session_get_id (sub->session));
      pi_server_session_subscribe (sub->session, bindings);
      return;
    }

  /* The old socket may not be known to be gone yet: that subscription
   * gets nothing more. */
  old = pi_server_session_attach (session, sub);
  if (old != NULL)
    old->session = NULL;

  sub->session = session;
  sub->resumed = TRUE;
  first_seq = pi_server_session_get_first_seq (session);
  last_seq = pi_server_session_get_last_seq (session);
  sub->next_seq = MIN (last_seen, last_seq) + 1;

  g_message ("WebSocket subscription %s of %s resumed: session %s after message %" G_GUINT64_FORMAT
             ", %" G_GUINT64_FORMAT " to replay%s", sub->id, ws->peer, pi_server_session_get_id (session),
             last_seen, last_seq - (sub->next_seq - 1), sub->next_seq < first_seq ? ", some no longer kept" : "");

  if (pi_server_session_is_ready (session))
    {
      sub->ready = TRUE;
      ws_flush_acks (ws);
    }
}

static void
ws_subscribe (PiServerWs  *ws,
              PiWsRequest *request)
{
  GPtrArray *bindings = request->bindings;
  PiServer *self = ws->server;
  gboolean resumable = request->resume && self->resume_window > 0 && self->resume_buffer > 0;
  WsSub *sub = g_new0 (WsSub, 1);
  g_autofree char *text = pi_bindings_to_json (bindings);
  /* The key a resume must match: kept whole. */
  g_autofree char *bindings_json = resumable ? g_strdup (text) : NULL;
  guint n_open = 0;

  /* Subscriptions that are over (acked, unsubscribed or failed) go: an
   * unsubscribe of an id no longer known is as silent. */
  for (guint i = ws->subs->len; i > 0; i--)
    {
      WsSub *other = g_ptr_array_index (ws->subs, i - 1);

      if (other->acked && other->subscription == NULL && other->session == NULL && other->failure == NULL)
        g_ptr_array_remove_index (ws->subs, i - 1);
      else
        n_open++;
    }

  sub->ws = ws;
  sub->id = new_subscription_id ();
  g_ptr_array_add (ws->subs, sub);

  /* Acked, then refused in words, as a subscription the broker refuses. */
  if (n_open >= MAX_SUBSCRIPTIONS)
    {
      g_message ("WebSocket subscription %s of %s refused: %u subscriptions open on the socket",
                 sub->id, ws->peer, n_open);
      sub->failure = g_strdup_printf ("Too many subscriptions on one socket: at most %u; unsubscribe one first",
                                      MAX_SUBSCRIPTIONS);
      sub->ready = TRUE;
      ws_flush_acks (ws);
      return;
    }

  /* One short log line, as for the event streams. */
  if (strlen (text) > LOG_BINDINGS_MAX)
    strcpy (text + LOG_BINDINGS_MAX - 3, "...");
  g_message ("WebSocket subscription %s: %s, %u bindings %s%s", sub->id, ws->peer, bindings->len, text,
             resumable ? ", resumable" : "");

  if (resumable)
    ws_sub_start_session (sub, request->resume_from, bindings_json, bindings);
  else
    sub->subscription = pi_broker_subscribe (self->broker, bindings, &ws_sub_callbacks, sub);
}

static void
ws_unsubscribe (PiServerWs *ws,
                const char *id)
{
  for (guint i = 0; i < ws->subs->len; i++)
    {
      WsSub *sub = g_ptr_array_index (ws->subs, i);

      /* Its ack still goes out, in order: only the subscription ends
       * (its session too: the client let it go). */
      if (strcmp (sub->id, id) == 0)
        {
          if (sub->session != NULL)
            pi_server_session_end (g_steal_pointer (&sub->session));
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
    ws_send (ws, resume_ack, strlen (resume_ack));
  else
    ws_send (ws, ack, strlen (ack));
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
      ws_subscribe (ws, request);
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

  gushort code = soup_websocket_connection_get_close_code (ws->conn);

  g_queue_unlink (&self->websockets, &ws->link);

  g_clear_handle_id (&ws->init_source, g_source_remove);
  g_clear_handle_id (&ws->lifetime_source, g_source_remove);
  g_clear_handle_id (&ws->abort_source, g_source_remove);
  g_clear_handle_id (&ws->fill_source, g_source_remove);
  /* A client that closes normally (1000, or 1001 as a page that goes
   * away) lets its subscriptions go; a socket lost without a close frame,
   * closed by us, or by a client for an error of its own (no pong in
   * time, a frame it could not read) keeps them for a resume. */
  if (!ws->closing && (code == SOUP_WEBSOCKET_CLOSE_NORMAL || code == SOUP_WEBSOCKET_CLOSE_GOING_AWAY))
    ws->end_sessions = TRUE;
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
