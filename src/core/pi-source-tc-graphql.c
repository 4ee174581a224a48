/* pi-source-tc-graphql.c
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
 * The GraphQL subscription `pulseMessages` of every Taskcluster
 * deployment (subscriptions-transport-ws, subprotocol graphql-ws):
 * connection_init -> connection_ack -> one `start` per binding, with id
 * "1", "2", ... for bindings 0, 1, ..., so that an `error` for one binding
 * (an exchange that does not exist) is shown for that binding while the
 * others keep streaming. The server never answers `start`: the stream is
 * live once the ack came and the starts are sent. While a start runs its
 * id is in the worker's `subscriptions` (id -> binding index + 1): an
 * `error` or a `complete` ends it, and a `complete` for a subscription
 * that had no error means the server ended it on its own (it would
 * otherwise stay silent for ever): that binding shows it.
 */

/* The binding of a subscription id, or -1. */
static gint64
binding_of_id (PiStreamWorker *w,
               const char     *id)
{
  guint64 n;

  if (id == NULL || !g_ascii_string_to_unsigned (id, 10, 1, w->plan->bindings->len, &n, NULL))
    return -1;
  return (gint64) n - 1;
}

void
pi_stream_worker_graphql_opened (PiStreamWorker *w)
{
  g_autofree char *init = pi_tc_frame_build_graphql_init (w->plan->client_id, w->plan->access_token);

  pi_stream_worker_ws_send (w, init);
}

static void
send_starts (PiStreamWorker *w)
{
  for (guint i = 0; i < w->plan->bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (w->plan->bindings, i);
      g_autofree char *id = g_strdup_printf ("%u", i + 1);
      g_autofree char *frame =
        pi_tc_frame_build_graphql_start (id, pi_binding_get_exchange (binding),
                                         pi_binding_get_routing_key_pattern (binding));

      g_hash_table_replace (w->subscriptions, g_steal_pointer (&id), GUINT_TO_POINTER (i + 1));
      pi_stream_worker_ws_send (w, frame);
    }
}

/* The server ended binding @index's subscription without an error. */
static void
subscription_ended (PiStreamWorker *w,
                    guint           index)
{
  PiBinding *binding = g_ptr_array_index (w->plan->bindings, index);
  g_autofree char *text =
    g_strdup_printf (_("%s ended the subscription to %s with the pattern %s; "
                       "no more of its messages will arrive"),
                     w->host, pi_binding_get_exchange (binding),
                     pi_binding_get_routing_key_pattern (binding));

  pi_stream_worker_ws_binding_error (w, index, text);
}

void
pi_stream_worker_graphql_frame (PiStreamWorker *w,
                                const char     *text,
                                gsize           len)
{
  g_autoptr(GError) error = NULL;
  PiTcFrame frame;

  if (!pi_tc_frame_parse_graphql (text, len, &frame, &error))
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
          send_starts (w);
          pi_stream_worker_went_live (w);
          pi_stream_worker_flush_batches (w, FALSE);
          pi_stream_worker_post (w, pi_stream_record_new (PI_STREAM_RECORD_READY));
        }
      break;

    case PI_TC_FRAME_CONNECTION_ERROR:
      /* Refused (missing scope, bad credentials); the server closes next. */
      pi_stream_worker_ws_refused (w, frame.text ? frame.text : _("the server refused the connection"), TRUE);
      break;

    case PI_TC_FRAME_DATA:
      pi_stream_worker_ws_add_message (w, &frame);
      break;

    case PI_TC_FRAME_DROPPED:
      pi_stream_worker_ws_add_dropped (w, &frame);
      break;

    case PI_TC_FRAME_ERROR:
      {
        gint64 index = binding_of_id (w, frame.id);

        if (index >= 0)
          {
            PiBinding *binding = g_ptr_array_index (w->plan->bindings, index);

            /* (A `data` frame with errors is a validation error: the
             * binding's, not the connection's.) */
            if (frame.text != NULL && g_strcmp0 (frame.type_name, "error") == 0 &&
                !g_str_has_prefix (frame.text, "Error binding queue") &&
                !pi_stream_worker_ws_text_names_exchange (frame.text, pi_binding_get_exchange (binding)))
              {
                /* Not a refusal of the binding: a subscription the
                 * server had bound ended (it lost the broker, RabbitMQ
                 * cancelled the consumer). Connect and start again. */
                g_autofree char *reason =
                  g_strdup_printf (_("%s ended a subscription: %s"), w->host, frame.text);

                pi_stream_worker_ws_lose (w, reason, FAILURE_RETRY);
              }
            else
              {
                /* Ended: the `complete` that may follow is no news. */
                g_hash_table_remove (w->subscriptions, frame.id);
                pi_stream_worker_ws_binding_error (w, (guint) index, frame.text);
              }
          }
        else
          {
            g_autoptr(GError) unknown =
              g_error_new (PI_TC_ERROR, 0, _("an error for no subscription of this client: %s"),
                           frame.text ? frame.text : "");

            pi_stream_worker_ws_malformed (w, unknown);
          }
      }
      break;

    case PI_TC_FRAME_COMPLETE:
      {
        gint64 index = binding_of_id (w, frame.id);

        g_debug ("Subscription %s complete", frame.id);
        if (index >= 0 && g_hash_table_remove (w->subscriptions, frame.id))
          subscription_ended (w, (guint) index);
      }
      break;

    case PI_TC_FRAME_KA:
      break;

    case PI_TC_FRAME_UNKNOWN:
    case PI_TC_FRAME_SUBSCRIBE_ACK:
    default:
      g_debug ("Ignoring a frame of type %s", frame.type_name);
      break;
    }

  pi_tc_frame_clear (&frame);
}
