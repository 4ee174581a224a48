/* pi-source-tc-websocket.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-source-worker-private.h"

/*
 * The Taskcluster web-server's plain WebSocket protocol
 * (/subscription/raw and /subscription/named): connection_init (with the
 * credentials when set) -> connection_ack -> subscribe (bindings, at most
 * 100 to a subscribe, so more bindings are split) -> subscribe_ack per
 * subscribe, in order -> data. The acks carry the server's subscription
 * ids and nothing of ours: the order of the subscribes is what maps an id
 * to its bindings. The stream is live once every subscribe is answered.
 *
 * One subscribe is one queue on the server: when one of its exchanges
 * does not exist, the whole subscribe fails ("Error binding queue: ... no
 * exchange 'X' ..."). The bindings the error names show it, and the
 * others of that subscribe are subscribed again without them, so that
 * they keep streaming as the bindings of a GraphQL connection do.
 *
 * pulse-events resumes subscriptions (docs/PROTOCOL.md 8, our extension):
 * the init asks (`"resume":true`) when the upgrade's Server header named
 * pulse-events (so the web-server never sees it), and only when the
 * connection_ack says
 * the server does are the subscribes numbered (`"resume":true`) or resumed
 * (`"resume":"SESSION:SEQ"`, the last number seen of the session that
 * subscribe had on the socket before). Each subscribe is a session of its
 * own, known by its bindings (the key below). When every subscribe after
 * a loss went on, the loss was no gap: "resumed, nothing lost", as for an
 * event stream (pi-source-read.c); otherwise the gap is shown.
 */

typedef struct
{
  char    *session;
  guint64  seq;       /* the last message of it seen */
} WsSession;

static void
ws_session_free (WsSession *session)
{
  g_free (session->session);
  g_free (session);
}

/* In pending_subscribes and subscriptions: the index + 1 of the subscribe's
 * set of binding indices in w->subscribe_sets, or NAMED for the one
 * subscribe of a named subscription. */
#define NAMED G_MAXUINT

static GArray *
subscribe_set (PiStreamWorker *w,
               guint           tag)
{
  if (tag == NAMED || tag == 0 || tag > w->subscribe_sets->len)
    return NULL;
  return g_ptr_array_index (w->subscribe_sets, tag - 1);
}

/* What a subscribe asks for, the same on every socket: its binding
 * indices, or the one named subscription. */
static char *
subscribe_key (PiStreamWorker *w,
               guint           tag)
{
  GArray *set = subscribe_set (w, tag);
  GString *key;

  if (set == NULL)
    return tag == NAMED ? g_strdup ("named") : NULL;

  key = g_string_new (NULL);
  for (guint i = 0; i < set->len; i++)
    g_string_append_printf (key, "%s%u", i > 0 ? "," : "", g_array_index (set, guint, i));
  return g_string_free (key, FALSE);
}

/* @frame, a subscribe of @tag, asking the server to number it or to go
 * on with the session it had (a server of ours that said it resumes). */
static char *
with_resume (PiStreamWorker *w,
             guint           tag,
             char           *frame)
{
  g_autofree char *key = NULL;
  g_autofree char *owned = frame;
  WsSession *session;
  gsize len = strlen (frame);

  if (!w->ws_resume || len == 0 || frame[len - 1] != '}' || !(key = subscribe_key (w, tag)))
    return g_steal_pointer (&owned);

  frame[len - 1] = '\0';
  session = w->ws_sessions != NULL ? g_hash_table_lookup (w->ws_sessions, key) : NULL;
  if (session != NULL)
    return g_strdup_printf ("%s,\"resume\":\"%s:%" G_GUINT64_FORMAT "\"}", frame, session->session, session->seq);
  return g_strdup_printf ("%s,\"resume\":true}", frame);
}

/* The ack of subscribe @tag: a resumable one names its session, and says
 * whether it went on where it was left. */
static void
subscribe_acked (PiStreamWorker  *w,
                 guint            tag,
                 const PiTcFrame *frame)
{
  g_autofree char *key = NULL;
  WsSession *session;

  if (!w->ws_resume || frame->session == NULL || frame->id == NULL || !(key = subscribe_key (w, tag)))
    {
      w->ws_all_resumed = FALSE;
      return;
    }

  if (w->ws_sessions == NULL)
    w->ws_sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ws_session_free);
  session = g_hash_table_lookup (w->ws_sessions, key);
  if (session != NULL && frame->resumed && strcmp (session->session, frame->session) == 0)
    {
      g_debug ("Resumed subscription %s (session %s) after message %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " lost",
               frame->id, frame->session, session->seq, frame->lost);
      /* What the server no longer kept comes as a `dropped` frame next,
       * which marks the gap with its count. */
      w->ws_resume_lost += frame->lost;
    }
  else
    {
      w->ws_all_resumed = FALSE;
      session = g_new0 (WsSession, 1);
      session->session = g_strdup (frame->session);
      g_hash_table_replace (w->ws_sessions, g_steal_pointer (&key), session);
    }
  g_hash_table_replace (w->ws_sessions_by_id, g_strdup (frame->id), session);

  /* A loss is known to be a gap, or none, at the reconnect's acks. */
  if (w->resume_session == NULL)
    w->resume_session = g_strdup (frame->session);
}

/* Sends a subscribe for the bindings in @set (taken), to be answered. */
static void
send_subscribe (PiStreamWorker *w,
                GArray         *set)
{
  g_autoptr(GPtrArray) bindings = g_ptr_array_sized_new (set->len);
  g_autofree char *frame = NULL;

  for (guint i = 0; i < set->len; i++)
    g_ptr_array_add (bindings, g_ptr_array_index (w->plan->bindings, g_array_index (set, guint, i)));
  g_ptr_array_add (w->subscribe_sets, set);
  frame = with_resume (w, w->subscribe_sets->len, pi_tc_frame_build_raw_subscribe (bindings, 0, bindings->len));
  g_queue_push_tail (&w->pending_subscribes, GUINT_TO_POINTER (w->subscribe_sets->len));
  pi_stream_worker_ws_send (w, frame);
  if (w->ack_timeout == NULL)
    pi_stream_worker_ws_arm_ack_timeout (w);
}

/* Does @text name @exchange as a whole word ("no exchange 'X' in vhost")? */
gboolean
pi_stream_worker_ws_text_names_exchange (const char *text,
                                         const char *exchange)
{
  gsize len = strlen (exchange);

  if (len == 0)
    return FALSE;

  for (const char *at = strstr (text, exchange); at != NULL; at = strstr (at + 1, exchange))
    {
      char before = at > text ? at[-1] : ' ';
      char after = at[len] != '\0' ? at[len] : ' ';

      /* (strchr() finds the terminating NUL too: neither is NUL here.) */
      if (!g_ascii_isalnum (before) && !strchr ("/._-", before) &&
          !g_ascii_isalnum (after) && !strchr ("/._-", after))
        return TRUE;
    }
  return FALSE;
}

/* Is @text the server refusing the bindings of subscribe @tag (a missing
 * exchange), rather than ending a subscription it had bound (the broker
 * went away, RabbitMQ cancelled the consumer)? Only a refusal is the
 * bindings' fault; the other is over when the subscription is made again. */
static gboolean
is_binding_refusal (PiStreamWorker *w,
                    guint           tag,
                    const char     *text)
{
  GArray *set;

  if (text == NULL)
    return FALSE;
  if (g_str_has_prefix (text, "Error binding queue"))
    return TRUE;
  if ((set = subscribe_set (w, tag)) == NULL)
    return FALSE;
  for (guint i = 0; i < set->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (w->plan->bindings, g_array_index (set, guint, i));

      if (pi_stream_worker_ws_text_names_exchange (text, pi_binding_get_exchange (binding)))
        return TRUE;
    }
  return FALSE;
}

/* An error about one subscribe: the bindings it names show it and the
 * others are subscribed again; when it names none, each binding shows it.
 * A named subscription is one subscribe: refused, nothing of it can
 * stream, so the source fails with the server's words. */
static void
subscribe_failed (PiStreamWorker *w,
                  guint           tag,
                  const char     *text)
{
  GArray *set;
  g_autoptr(GArray) rest = NULL;
  guint n_named = 0;

  if (tag == NAMED)
    {
      g_autofree char *reason =
        g_strdup_printf (_("%s refused the subscription: %s"), w->host,
                         text ? text : _("the server did not say why"));

      pi_stream_worker_ws_lose (w, reason, FAILURE_PERMANENT);
      return;
    }

  if ((set = subscribe_set (w, tag)) == NULL)
    return;

  rest = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < set->len; i++)
    {
      guint index = g_array_index (set, guint, i);
      PiBinding *binding = g_ptr_array_index (w->plan->bindings, index);

      if (text != NULL && pi_stream_worker_ws_text_names_exchange (text, pi_binding_get_exchange (binding)))
        n_named++;
      else
        g_array_append_val (rest, index);
    }

  for (guint i = 0; i < set->len; i++)
    {
      guint index = g_array_index (set, guint, i);
      PiBinding *binding = g_ptr_array_index (w->plan->bindings, index);

      if (n_named == 0 || pi_stream_worker_ws_text_names_exchange (text, pi_binding_get_exchange (binding)))
        pi_stream_worker_ws_binding_error (w, index, text);
    }

  if (n_named > 0 && rest->len > 0)
    {
      g_debug ("Subscribing %u bindings again without the %u the server refused", rest->len, n_named);
      send_subscribe (w, g_steal_pointer (&rest));
    }
}

static void
maybe_live (PiStreamWorker *w)
{
  /* Ending: the subscribes are not all there. */
  if (w->loss_source != NULL)
    return;

  if (g_queue_is_empty (&w->pending_subscribes))
    pi_stream_worker_ws_disarm_ack_timeout (w);

  if (w->acked && g_queue_is_empty (&w->pending_subscribes) && !w->live)
    {
      /* Every subscription went on: the loss was no gap. */
      if (w->ws_resume && w->ws_all_resumed && w->lost_reason != NULL)
        {
          g_clear_pointer (&w->lost_reason, g_free);
          w->resumed = w->ws_resume_lost == 0;
        }
      pi_stream_worker_went_live (w);
      pi_stream_worker_flush_batches (w, FALSE);
      pi_stream_worker_post (w, pi_stream_record_new (PI_STREAM_RECORD_READY));
    }
}

static void
send_subscribes (PiStreamWorker *w)
{
  GPtrArray *bindings = w->plan->bindings;

  if (w->plan->named_service != NULL)
    {
      g_autofree char *frame =
        with_resume (w, NAMED,
                     pi_tc_frame_build_named_subscribe (w->plan->named_service,
                                                        (const char * const *) w->plan->named_events,
                                                        (const char * const *) w->plan->named_routing_key));

      g_queue_push_tail (&w->pending_subscribes, GUINT_TO_POINTER (NAMED));
      pi_stream_worker_ws_send (w, frame);
      pi_stream_worker_ws_arm_ack_timeout (w);
      return;
    }

  for (guint first = 0; first < bindings->len; first += MAX_BINDINGS_PER_SUBSCRIBE)
    {
      guint n = MIN (MAX_BINDINGS_PER_SUBSCRIBE, bindings->len - first);
      GArray *set = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);

      for (guint i = first; i < first + n; i++)
        g_array_append_val (set, i);
      send_subscribe (w, set);
    }
}

void
pi_stream_worker_plain_opened (PiStreamWorker *w)
{
  g_autofree char *init = pi_tc_frame_build_plain_init (w->plan->client_id, w->plan->access_token);
  gsize len = strlen (init);

  w->ws_resume = FALSE;
  w->ws_all_resumed = TRUE;
  w->ws_resume_lost = 0;
  w->resumed = FALSE;
  if (w->ws_sessions_by_id == NULL)
    w->ws_sessions_by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_remove_all (w->ws_sessions_by_id);

  /* Asked of pulse-events only (its upgrade's Server header): the
   * web-server never sees the member. Raw mode uses no extension. */
  if (w->ws_server_ours && !w->raw && len > 0 && init[len - 1] == '}')
    {
      g_autofree char *plain = g_steal_pointer (&init);

      plain[len - 1] = '\0';
      init = g_strdup_printf ("%s,\"resume\":true}", plain);
    }
  pi_stream_worker_ws_send (w, init);
}

void
pi_stream_worker_plain_frame (PiStreamWorker *w,
                              const char     *text,
                              gsize           len)
{
  g_autoptr(GError) error = NULL;
  PiTcFrame frame;

  if (!pi_tc_frame_parse_plain (text, len, &frame, &error))
    {
      pi_stream_worker_ws_malformed (w, error);
      return;
    }

  switch (frame.type)
    {
    case PI_TC_FRAME_CONNECTION_ACK:
      if (!w->acked)
        {
          pi_stream_worker_ws_disarm_ack_timeout (w);
          w->acked = TRUE;
          /* Only a server of ours says so; with any other nothing
           * resumes, and a loss is a gap. */
          w->ws_resume = frame.resume;
          if (!w->ws_resume)
            {
              g_clear_pointer (&w->resume_session, g_free);
              if (w->ws_sessions != NULL)
                g_hash_table_remove_all (w->ws_sessions);
            }
          send_subscribes (w);
          maybe_live (w);
        }
      break;

    case PI_TC_FRAME_SUBSCRIBE_ACK:
      {
        guint tag = GPOINTER_TO_UINT (g_queue_pop_head (&w->pending_subscribes));

        if (tag != 0 && frame.id != NULL)
          g_hash_table_replace (w->subscriptions, g_strdup (frame.id), GUINT_TO_POINTER (tag));
        if (tag != 0)
          subscribe_acked (w, tag, &frame);
        maybe_live (w);
      }
      break;

    case PI_TC_FRAME_DATA:
      if (frame.seq != 0 && frame.id != NULL)
        {
          WsSession *session = g_hash_table_lookup (w->ws_sessions_by_id, frame.id);

          if (session != NULL)
            session->seq = frame.seq;
        }
      pi_stream_worker_ws_add_message (w, &frame);
      break;

    case PI_TC_FRAME_DROPPED:
      /* Counted through message SEQ: a resume goes on after it, so the
       * window does not count the same messages again. */
      if (frame.seq != 0 && frame.id != NULL)
        {
          WsSession *session = g_hash_table_lookup (w->ws_sessions_by_id, frame.id);

          if (session != NULL)
            session->seq = MAX (session->seq, frame.seq);
        }
      pi_stream_worker_ws_add_dropped (w, &frame);
      break;

    case PI_TC_FRAME_ERROR:
      {
        const char *text_or_code = frame.text ? frame.text : frame.code;
        guint tag;

        if (frame.id != NULL &&
            (tag = GPOINTER_TO_UINT (g_hash_table_lookup (w->subscriptions, frame.id))) != 0)
          {
            if (is_binding_refusal (w, tag, text_or_code))
              {
                /* One subscription failed (e.g. its exchange does not
                 * exist); the others keep streaming. */
                subscribe_failed (w, tag, text_or_code);
              }
            else
              {
                /* A subscription the server had bound ended (it lost the
                 * broker, RabbitMQ cancelled the consumer): what it would
                 * have sent meanwhile is lost. Connect and subscribe again. */
                g_autofree char *reason =
                  g_strdup_printf (_("%s ended a subscription: %s"), w->host,
                                   text_or_code ? text_or_code : _("the server did not say why"));

                pi_stream_worker_ws_lose (w, reason, FAILURE_RETRY);
              }
          }
        else if (g_strcmp0 (frame.code, "ProtocolError") == 0 && w->acked &&
                 !g_queue_is_empty (&w->pending_subscribes))
          {
            /* A refused subscribe gets no ack: it is the oldest one waiting. */
            tag = GPOINTER_TO_UINT (g_queue_pop_head (&w->pending_subscribes));
            subscribe_failed (w, tag, text_or_code);
            maybe_live (w);
          }
        else
          {
            /* About the connection (credentials, scopes): a close follows. */
            gboolean final = g_strcmp0 (frame.code, "InternalError") != 0;

            pi_stream_worker_ws_refused (w, text_or_code, final);
          }
      }
      break;

    case PI_TC_FRAME_UNKNOWN:
      g_debug ("Ignoring a frame of type %s", frame.type_name);
      break;

    case PI_TC_FRAME_CONNECTION_ERROR:
      pi_stream_worker_ws_refused (w, frame.text, TRUE);
      break;

    case PI_TC_FRAME_COMPLETE:
    case PI_TC_FRAME_KA:
    default:
      break;
    }

  pi_tc_frame_clear (&frame);
}
