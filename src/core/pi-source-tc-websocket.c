/* pi-source-tc-websocket.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

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
 */

/* In pending_subscribes and subscriptions: the first binding index + 1,
 * or NAMED for the one subscribe of a named subscription. */
#define NAMED G_MAXUINT

static void
binding_range (PiStreamWorker *w,
               guint           tag,
               guint          *first,
               guint          *n)
{
  if (tag == NAMED || tag == 0)
    {
      *first = 0;
      *n = 0;
      return;
    }
  *first = tag - 1;
  *n = MIN (MAX_BINDINGS_PER_SUBSCRIBE, w->plan->bindings->len - *first);
}

/* An error about one subscribe: each of its bindings shows it. */
static void
subscribe_failed (PiStreamWorker *w,
                  guint           tag,
                  const char     *text)
{
  guint first, n;

  if (tag == NAMED)
    {
      PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_SERVER_ERROR);

      record->text = g_strdup (text);
      pi_stream_worker_flush_batches (w, FALSE);
      pi_stream_worker_post (w, record);
      return;
    }

  binding_range (w, tag, &first, &n);
  for (guint i = first; i < first + n; i++)
    pi_stream_worker_ws_binding_error (w, i, text);
}

static void
maybe_live (PiStreamWorker *w)
{
  if (w->acked && g_queue_is_empty (&w->pending_subscribes) && !w->live)
    {
      pi_stream_worker_ws_disarm_ack_timeout (w);
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
        pi_tc_frame_build_named_subscribe (w->plan->named_service,
                                           (const char * const *) w->plan->named_events,
                                           (const char * const *) w->plan->named_routing_key);

      g_queue_push_tail (&w->pending_subscribes, GUINT_TO_POINTER (NAMED));
      pi_stream_worker_ws_send (w, frame);
      return;
    }

  for (guint first = 0; first < bindings->len; first += MAX_BINDINGS_PER_SUBSCRIBE)
    {
      guint n = MIN (MAX_BINDINGS_PER_SUBSCRIBE, bindings->len - first);
      g_autofree char *frame = pi_tc_frame_build_raw_subscribe (bindings, first, n);

      g_queue_push_tail (&w->pending_subscribes, GUINT_TO_POINTER (first + 1));
      pi_stream_worker_ws_send (w, frame);
    }
}

void
pi_stream_worker_plain_opened (PiStreamWorker *w)
{
  g_autofree char *init = pi_tc_frame_build_plain_init (w->plan->client_id, w->plan->access_token);

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
          send_subscribes (w);
          pi_stream_worker_ws_arm_ack_timeout (w);
          maybe_live (w);
        }
      break;

    case PI_TC_FRAME_SUBSCRIBE_ACK:
      {
        guint tag = GPOINTER_TO_UINT (g_queue_pop_head (&w->pending_subscribes));

        if (tag != 0 && frame.id != NULL)
          g_hash_table_replace (w->subscriptions, g_strdup (frame.id), GUINT_TO_POINTER (tag));
        maybe_live (w);
      }
      break;

    case PI_TC_FRAME_DATA:
      pi_stream_worker_ws_add_message (w, &frame);
      break;

    case PI_TC_FRAME_DROPPED:
      pi_stream_worker_ws_add_dropped (w, &frame);
      break;

    case PI_TC_FRAME_ERROR:
      {
        const char *text_or_code = frame.text ? frame.text : frame.code;
        guint tag;

        if (frame.id != NULL &&
            (tag = GPOINTER_TO_UINT (g_hash_table_lookup (w->subscriptions, frame.id))) != 0)
          {
            /* One subscription failed (e.g. its exchange does not exist);
             * the others keep streaming. */
            subscribe_failed (w, tag, text_or_code);
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
