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
 */

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

/* Sends a subscribe for the bindings in @set (taken), to be answered. */
static void
send_subscribe (PiStreamWorker *w,
                GArray         *set)
{
  g_autoptr(GPtrArray) bindings = g_ptr_array_sized_new (set->len);
  g_autofree char *frame = NULL;

  for (guint i = 0; i < set->len; i++)
    g_ptr_array_add (bindings, g_ptr_array_index (w->plan->bindings, g_array_index (set, guint, i)));
  frame = pi_tc_frame_build_raw_subscribe (bindings, 0, bindings->len);

  g_ptr_array_add (w->subscribe_sets, set);
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
