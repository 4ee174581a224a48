/* pi-ws-subscriptions.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-ws-reply.h"
#include "pi-ws-subscriptions.h"

/*
 * The subscriptions of one WebSocket client (pi-server-ws.c is the socket):
 * each subscribe a broker subscription of its own, acked in the order of
 * the subscribes, its messages sent as `data` frames while the client's
 * --client-buffer has room; a client too slow to read is told (`dropped`,
 * reason too-slow) and the socket closed with 1011.
 *
 * Resumable subscriptions (our extension, docs/PROTOCOL.md 8): a subscribe
 * with `"resume"` belongs to a PiServerSession (pi-server-session.c), as a
 * resumable event stream does. The session numbers the messages and keeps
 * the recent ones; the subscription sends them from there (ws_sub_fill()),
 * as far as the client's --client-buffer has room, and tries again shortly
 * when it has none, so a slow reader waits instead of being closed. When
 * the socket ends without a normal close by the client, the sessions are
 * held for a resume; an unsubscribe or the client's normal close (1000,
 * 1001) ends them. The broker's drops are not numbered: a `dropped` frame
 * counting them that the socket had not taken when it went (or when
 * another socket took the session over) is counted again by the session,
 * and the resume says it.
 */

/* How soon a resumable subscription whose client had no room tries again. */
#define FILL_RETRY_MS 20

#define LOG_BINDINGS_MAX 400

/* Open subscriptions per socket: each may hold up to --resume-buffer. */
#define MAX_SUBSCRIPTIONS 1000

typedef struct
{
  PiWsSubscriptions *set;           /* borrowed: the set owns its subscriptions */
  char              *id;
  PiSubscription    *subscription;
  gboolean           ready;         /* bound, or failed: may be acked */
  gboolean           acked;
  char              *failure;       /* reported after the ack */
  PiServerSession   *session;       /* a resumable subscription's, or NULL */
  guint64            next_seq;      /* of the session's next message to send */
  guint64            dropped_slow;  /* fell out of the session unsent, not yet told */
  guint64            dropped_large; /* larger than --client-buffer, not yet told */
  gboolean           resumed;       /* took a held session over */
  guint64            dropped_broker; /* of dropped_slow: the broker's, not numbered */
  GArray            *broker_reports; /* of BrokerReport: sent, maybe not taken by the socket */
  char              *released_id;   /* of the session let go with reports untaken */
} WsSub;

/* A `dropped` frame that counts @count of the broker's drops, taken by the
 * socket once it took @end bytes. */
typedef struct
{
  guint64 end;
  guint64 count;
} BrokerReport;

struct _PiWsSubscriptions
{
  PiServer   *server;       /* borrowed: the server outlives its clients */
  PiServerWs *ws;           /* borrowed: the socket owns the set */
  const char *peer;         /* borrowed from the socket */
  GPtrArray  *subs;         /* of WsSub, in the order of the subscribes */
  guint       fill_source;  /* resumable subscriptions waiting for room */
  guint64     n_sent;
  guint64     n_dropped;
  gboolean    end_sessions; /* the client closed normally: nothing to hold */
};

static void ws_sub_free (WsSub *sub);
static void ws_sub_fill (WsSub *sub);
static void ws_sub_report_dropped (WsSub *sub);
static void ws_sub_failed_cb (const char *text,
                              gpointer    user_data);

/* --- sending ---------------------------------------------------------------- */

static void
ws_send_error (PiWsSubscriptions *set,
               const char        *subscription_id,
               const char        *code,
               const char        *message)
{
  g_autoptr(GString) frame = pi_ws_reply_error (subscription_id, code, message);

  pi_server_ws_send (set->ws, frame->str, frame->len);
}

static void
ws_send_dropped (PiWsSubscriptions *set,
                 WsSub             *sub,
                 guint64            count,
                 const char        *reason)
{
  /* On a numbered subscription: through which number it counts, where a
   * resume goes on (not counted twice); a resume's own loss is before the
   * first message it sends. */
  guint64 seq = sub->session != NULL && strcmp (reason, "resume-window") != 0 ? sub->next_seq - 1 : 0;
  g_autoptr(GString) frame = pi_ws_reply_dropped (sub->id, count, reason, seq);

  pi_server_ws_send (set->ws, frame->str, frame->len);
}

/* --- subscriptions ---------------------------------------------------------- */

/* The broker's drops @sub was to report but the socket has not taken (it
 * was reset, or the session is being taken over): the subscription that
 * resumes the session must say them, as messages of it are never
 * numbered. What the socket took, the kernel had: if the client never
 * read it, it is lost all the same. */
static guint64
ws_sub_take_untold_broker_drops (WsSub *sub)
{
  guint64 written = pi_server_ws_get_written (sub->set->ws);
  guint64 n = sub->dropped_broker;

  sub->dropped_broker = 0;
  for (guint i = 0; sub->broker_reports != NULL && i < sub->broker_reports->len; i++)
    {
      BrokerReport *report = &g_array_index (sub->broker_reports, BrokerReport, i);

      if (report->end > written)
        n += report->count;
    }
  if (sub->broker_reports != NULL)
    g_array_set_size (sub->broker_reports, 0);
  return n;
}

/* A resumable subscription's session is held for a resume when the
 * socket went without the client closing it, ended otherwise. */
static void
ws_sub_unsubscribe (WsSub *sub)
{
  if (sub->subscription != NULL)
    pi_broker_unsubscribe (sub->set->server->broker, g_steal_pointer (&sub->subscription));
  if (sub->session != NULL)
    {
      if (sub->set->end_sessions)
        pi_server_session_end (g_steal_pointer (&sub->session));
      else
        {
          /* The socket may still take what it has (a close we started):
           * what it did not is known once it is gone (ws_sub_free()). */
          g_free (sub->released_id);
          sub->released_id = g_strdup (pi_server_session_get_id (sub->session));
          pi_server_session_release (g_steal_pointer (&sub->session));
        }
    }
}

static void
ws_sub_free (WsSub *sub)
{
  guint64 untold;

  ws_sub_unsubscribe (sub);
  untold = ws_sub_take_untold_broker_drops (sub);
  if (untold > 0 && sub->released_id != NULL)
    pi_server_session_add_dropped_by_id (sub->set->server, sub->released_id, untold);
  g_clear_pointer (&sub->broker_reports, g_array_unref);
  g_free (sub->released_id);
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
  sub->set->n_dropped += lost;
  sub->next_seq = first_seq;
  ws_send_dropped (sub->set, sub, lost, "resume-window");
}

/* Acks go out in the order of the subscribes (as the web-server's do),
 * each once its queue is bound or has failed; a failure follows its ack,
 * so that the client knows the id it names. */
static void
ws_flush_acks (PiWsSubscriptions *set)
{
  for (guint i = 0; i < set->subs->len; i++)
    {
      WsSub *sub = g_ptr_array_index (set->subs, i);
      g_autoptr(GString) frame = NULL;

      if (sub->acked)
        continue;
      if (!sub->ready)
        return;

      sub->acked = TRUE;
      frame = ws_sub_ack (sub);
      pi_server_ws_send (set->ws, frame->str, frame->len);
      if (sub->session != NULL && sub->failure == NULL)
        ws_sub_report_resume_loss (sub);

      if (sub->failure != NULL)
        {
          g_autofree char *failure = g_steal_pointer (&sub->failure);

          ws_send_error (set, sub->id, "SubscriptionError", failure);
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
  ws_flush_acks (sub->set);
}

static void
ws_sub_message_cb (GBytes   *event,
                   gpointer  user_data)
{
  WsSub *sub = user_data;
  PiWsSubscriptions *set = sub->set;
  PiServer *self = set->server;
  g_autoptr(GString) frame = NULL;
  gsize size;

  if (pi_server_ws_is_closing (set->ws))
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
      set->n_dropped++;
      ws_send_dropped (set, sub, 1, "too-large");
      return;
    }

  if (pi_server_ws_get_pending (set->ws) + size > self->client_buffer)
    {
      set->n_dropped++;
      ws_send_dropped (set, sub, 1, "too-slow");
      pi_server_ws_close (set->ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "WebSocket delivery failed");
      return;
    }

  set->n_sent++;
  pi_server_ws_send (set->ws, frame->str, frame->len);
}

/* Tells what a resumable subscription lost: messages that waited in its
 * session past the window (the client read too slowly) or that were
 * larger than --client-buffer. */
static void
ws_sub_report_dropped (WsSub *sub)
{
  if (sub->dropped_slow > 0)
    {
      PiServerWs *ws = sub->set->ws;
      guint64 queued = pi_server_ws_get_queued (ws);

      ws_send_dropped (sub->set, sub, sub->dropped_slow, "too-slow");
      sub->dropped_slow = 0;

      /* Until the socket takes the frame, the broker's part of the count
       * is not said: a socket lost before then leaves it to the resume. A
       * frame the socket would not send at all is not said either. */
      if (sub->dropped_broker > 0 && pi_server_ws_get_queued (ws) > queued)
        {
          BrokerReport report = { pi_server_ws_get_queued (ws), sub->dropped_broker };
          guint64 written = pi_server_ws_get_written (ws);

          if (sub->broker_reports == NULL)
            sub->broker_reports = g_array_new (FALSE, FALSE, sizeof (BrokerReport));
          while (sub->broker_reports->len > 0 &&
                 g_array_index (sub->broker_reports, BrokerReport, 0).end <= written)
            g_array_remove_index (sub->broker_reports, 0);
          g_array_append_val (sub->broker_reports, report);
          sub->dropped_broker = 0;
        }
    }
  if (sub->dropped_large > 0)
    {
      ws_send_dropped (sub->set, sub, sub->dropped_large, "too-large");
      sub->dropped_large = 0;
    }
}

static gboolean
fill_retry_cb (gpointer user_data)
{
  PiWsSubscriptions *set = user_data;

  set->fill_source = 0;
  for (guint i = 0; i < set->subs->len; i++)
    ws_sub_fill (g_ptr_array_index (set->subs, i));
  return G_SOURCE_REMOVE;
}

/* Sends what of its session's history @sub has not sent yet, each message
 * numbered (`"seq"`), as far as the client's buffer has room; the rest
 * waits in the session (a retry is scheduled), and what falls out of the
 * session's window meanwhile is counted as dropped. */
static void
ws_sub_fill (WsSub *sub)
{
  PiWsSubscriptions *set = sub->set;
  PiServer *self = set->server;
  PiServerSession *session = sub->session;
  guint64 first_seq;

  if (session == NULL || !sub->acked || pi_server_ws_is_closing (set->ws))
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
          set->n_dropped += first_seq - sub->next_seq;
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
          set->n_dropped++;
          sub->next_seq++;
          continue;
        }
      if (pi_server_ws_get_pending (set->ws) + size > self->client_buffer)
        {
          if (set->fill_source == 0)
            set->fill_source = g_timeout_add (FILL_RETRY_MS, fill_retry_cb, set);
          return;
        }

      ws_sub_report_dropped (sub);
      set->n_sent++;
      pi_server_ws_send (set->ws, frame->str, frame->len);
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
  ws_flush_acks (sub->set);
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
  if (pi_server_ws_is_closing (sub->set->ws))
    {
      if (sub->session != NULL)
        pi_server_session_add_dropped (sub->session, count);
      return;
    }
  sub->dropped_slow += count;
  sub->dropped_broker += count;
  sub->set->n_dropped += count;
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
  PiWsSubscriptions *set = sub->set;

  /* The broker's words, as the web-server reports a queue it could not
   * bind (before ready) or a consumer it lost (after). */
  if (!sub->ready)
    {
      sub->failure = g_strdup_printf ("Error binding queue: %s", text);
      sub->ready = TRUE;
      ws_flush_acks (set);
      return;
    }

  ws_send_error (set, sub->id, "SubscriptionError", text);

  /* The broker went away: none of this socket's subscriptions gets
   * anything until the client subscribes again, so end the socket as SSE
   * ends its stream (the web-server's 1011), and the client reconnects. */
  if (g_str_has_prefix (text, "Lost the connection to the broker") ||
      g_strcmp0 (pi_broker_get_state (set->server->broker), "reconnecting") == 0)
    {
      pi_server_ws_close (set->ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "Lost the connection to the broker");
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

  if (pi_server_ws_is_closing (sub->set->ws))
    return;
  sub->set->n_dropped += count;
  /* Not before the subscription's ack: the client would not know the id. */
  if (!sub->acked)
    {
      sub->dropped_slow += count;
      return;
    }
  ws_send_dropped (sub->set, sub, count, "too-slow");
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
  PiWsSubscriptions *set = sub->set;
  PiServer *self = set->server;
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
                   sub->id, set->peer, resume_from, pi_server_session_get_id (sub->session));
      pi_server_session_subscribe (sub->session, bindings);
      return;
    }

  /* The old socket may not be known to be gone yet: that subscription
   * gets nothing more. What the broker dropped and it did not say, this
   * one says. */
  old = pi_server_session_attach (session, sub);
  if (old != NULL)
    {
      guint64 untold = ws_sub_take_untold_broker_drops (old);

      old->session = NULL;
      if (untold > 0)
        ws_session_dropped (sub, untold);
    }

  sub->session = session;
  sub->resumed = TRUE;
  first_seq = pi_server_session_get_first_seq (session);
  last_seq = pi_server_session_get_last_seq (session);
  sub->next_seq = MIN (last_seen, last_seq) + 1;

  g_message ("WebSocket subscription %s of %s resumed: session %s after message %" G_GUINT64_FORMAT
             ", %" G_GUINT64_FORMAT " to replay%s", sub->id, set->peer, pi_server_session_get_id (session),
             last_seen, last_seq - (sub->next_seq - 1), sub->next_seq < first_seq ? ", some no longer kept" : "");

  if (pi_server_session_is_ready (session))
    {
      sub->ready = TRUE;
      ws_flush_acks (set);
    }
}

void
pi_ws_subscriptions_subscribe (PiWsSubscriptions *set,
                               PiWsRequest       *request)
{
  GPtrArray *bindings = request->bindings;
  PiServer *self = set->server;
  gboolean resumable = request->resume && self->resume_window > 0 && self->resume_buffer > 0;
  WsSub *sub = g_new0 (WsSub, 1);
  g_autofree char *text = pi_bindings_to_json (bindings);
  /* The key a resume must match: kept whole. */
  g_autofree char *bindings_json = resumable ? g_strdup (text) : NULL;
  guint n_open = 0;

  /* Subscriptions that are over (acked, unsubscribed or failed) go: an
   * unsubscribe of an id no longer known is as silent. */
  for (guint i = set->subs->len; i > 0; i--)
    {
      WsSub *other = g_ptr_array_index (set->subs, i - 1);

      if (other->acked && other->subscription == NULL && other->session == NULL && other->failure == NULL)
        g_ptr_array_remove_index (set->subs, i - 1);
      else
        n_open++;
    }

  sub->set = set;
  sub->id = new_subscription_id ();
  g_ptr_array_add (set->subs, sub);

  /* Acked, then refused in words, as a subscription the broker refuses. */
  if (n_open >= MAX_SUBSCRIPTIONS)
    {
      g_message ("WebSocket subscription %s of %s refused: %u subscriptions open on the socket",
                 sub->id, set->peer, n_open);
      sub->failure = g_strdup_printf ("Too many subscriptions on one socket: at most %u; unsubscribe one first",
                                      MAX_SUBSCRIPTIONS);
      sub->ready = TRUE;
      ws_flush_acks (set);
      return;
    }

  /* One short log line, as for the event streams. */
  if (strlen (text) > LOG_BINDINGS_MAX)
    strcpy (text + LOG_BINDINGS_MAX - 3, "...");
  g_message ("WebSocket subscription %s: %s, %u bindings %s%s", sub->id, set->peer, bindings->len, text,
             resumable ? ", resumable" : "");

  if (resumable)
    ws_sub_start_session (sub, request->resume_from, bindings_json, bindings);
  else
    sub->subscription = pi_broker_subscribe (self->broker, bindings, &ws_sub_callbacks, sub);
}

void
pi_ws_subscriptions_unsubscribe (PiWsSubscriptions *set,
                                 const char        *id)
{
  for (guint i = 0; i < set->subs->len; i++)
    {
      WsSub *sub = g_ptr_array_index (set->subs, i);

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
              ws_flush_acks (set);
            }
          return;
        }
    }
}
/* --- life ------------------------------------------------------------------- */

PiWsSubscriptions *
pi_ws_subscriptions_new (PiServer   *server,
                         PiServerWs *ws,
                         const char *peer)
{
  PiWsSubscriptions *set = g_new0 (PiWsSubscriptions, 1);

  set->server = server;
  set->ws = ws;
  set->peer = peer;
  set->subs = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_sub_free);
  return set;
}

/* Resumable subscriptions' sessions are held for a resume, or ended when
 * @end_sessions (the client closed the socket normally). */
void
pi_ws_subscriptions_free (PiWsSubscriptions *set,
                          gboolean           end_sessions)
{
  g_clear_handle_id (&set->fill_source, g_source_remove);
  set->end_sessions = end_sessions;
  g_ptr_array_unref (set->subs);
  g_free (set);
}

/* The socket closes: no subscription gets anything more; sessions are
 * held for a resume. */
void
pi_ws_subscriptions_unsubscribe_all (PiWsSubscriptions *set)
{
  for (guint i = 0; i < set->subs->len; i++)
    ws_sub_unsubscribe (g_ptr_array_index (set->subs, i));
}

guint64
pi_ws_subscriptions_get_n_sent (PiWsSubscriptions *set)
{
  return set->n_sent;
}

guint64
pi_ws_subscriptions_get_n_dropped (PiWsSubscriptions *set)
{
  return set->n_dropped;
}
