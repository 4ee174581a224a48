/* pi-source-amqp.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>

#include "pi-json-util.h"
#include "pi-source-worker-private.h"

/*
 * The worker's attempt on an amqp:// or amqps:// address: straight to the
 * broker through a PiAmqpClient made on this thread (so its callbacks run
 * here), with Mozilla Pulse's rules: a queue named queue/USER/…, bounded by
 * x-max-length, whose overflow is dead-lettered and counted (`dropped`),
 * prefetch AMQP_PREFETCH and acks batched.
 *
 * Acks follow the caller: while it keeps up (at most AMQP_EAGER_ACK_LIMIT
 * messages wait for it), deliveries are acknowledged as they are queued for
 * it, so that the broker need not wait for a round trip through the
 * caller's thread; once more wait, only what the caller has taken is
 * acknowledged (pi_stream_worker_take_records() records the last tag taken
 * and wakes this thread). A caller that stalls (a full pipe) thus leaves at
 * most AMQP_EAGER_ACK_LIMIT + AMQP_PREFETCH messages waiting in memory; the
 * broker holds the rest and, past the queue's length, drops the oldest,
 * which the list then counts. When half the window waits for the caller,
 * batches are dispatched at once rather than ~30 times a second, so the
 * window does not cap the rate.
 *
 * The client reconnects by itself; a lost connection ends the subscription,
 * which takes the usual path: a gap in the list, backoff, a new attempt
 * that subscribes again (with a new queue: the old one went with the
 * connection). A refusal (no permission, missing exchanges) and a refused
 * login or certificate fail for good.
 */

#define AMQP_PREFETCH        200
/* Messages waiting for the caller up to which deliveries are acknowledged
 * as they arrive rather than as the caller takes them. */
#define AMQP_EAGER_ACK_LIMIT AMQP_PREFETCH
#define AMQP_QUEUE_PREFIX    "pulse-inspector"

const char *
pi_stream_worker_amqp_protocol_name (PiStreamWorker *w)
{
  g_autoptr(PiAmqpAddress) address = pi_amqp_address_parse (w->plan->amqp_url, NULL);

  return address != NULL && address->tls ? _("AMQP over TLS") : _("AMQP");
}

/* On the client's I/O thread: the delivery as the message object of
 * docs/PROTOCOL.md section 4, the payload last and as it came. A body that
 * is not JSON (or not UTF-8) makes the object undecodable: the list then
 * keeps it whole, with the reason in words, rather than guess. */
static gpointer
convert_delivery (const PiAmqpDelivery *delivery,
                  gsize                *size,
                  gpointer              user_data)
{
  GString *out = g_string_sized_new (delivery->body_len + 256);

  g_string_append (out, "{\"exchange\":");
  pi_json_append_string (out, delivery->exchange ? delivery->exchange : "", -1);
  g_string_append (out, ",\"routingKey\":");
  pi_json_append_string (out, delivery->routing_key ? delivery->routing_key : "", -1);
  g_string_append (out, delivery->redelivered ? ",\"redelivered\":true,\"routes\":["
                                              : ",\"redelivered\":false,\"routes\":[");
  for (guint i = 0; delivery->routes != NULL && delivery->routes[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      pi_json_append_string (out, delivery->routes[i], -1);
    }
  g_string_append (out, "],\"payload\":");
  /* An empty body is an empty text, as pulse-events sends it. */
  if (delivery->body_len == 0)
    g_string_append (out, "\"\"");
  else
    g_string_append_len (out, (const char *) delivery->body, delivery->body_len);
  g_string_append_c (out, '}');

  *size = out->len;
  return g_string_free_to_bytes (out);
}

/* --- Acks ------------------------------------------------------------------- */

/* On this thread, after the caller took records: acknowledge what it took. */
static gboolean
ack_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;
  guint64 tag;
  guint generation;

  g_mutex_lock (&w->mutex);
  w->amqp_ack_scheduled = FALSE;
  tag = w->amqp_taken_tag;
  generation = w->amqp_taken_generation;
  g_mutex_unlock (&w->mutex);

  if (w->amqp_client != NULL && w->amqp_subscription != NULL &&
      generation == w->amqp_generation && tag > w->amqp_acked_tag)
    {
      pi_amqp_client_ack (w->amqp_client, w->amqp_subscription, tag);
      w->amqp_acked_tag = tag;
    }

  return G_SOURCE_REMOVE;
}

/* From pi_stream_worker_take_records(), on the caller's thread, mutex held. */
void
pi_stream_worker_amqp_taken_locked (PiStreamWorker *w)
{
  GSource *source;

  if (w->amqp_queued_tag == w->amqp_taken_tag && w->amqp_queued_generation == w->amqp_taken_generation)
    return;

  w->amqp_taken_tag = w->amqp_queued_tag;
  w->amqp_taken_generation = w->amqp_queued_generation;
  if (w->amqp_ack_scheduled || w->stopping)
    return;

  w->amqp_ack_scheduled = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, ack_cb, w, NULL);
  g_source_attach (source, w->context);
  g_source_unref (source);
}

/* --- The subscription's callbacks ------------------------------------------- */

static void
on_ready (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  g_debug ("Subscribed at %s", w->host);
  pi_stream_worker_went_live (w);
  pi_stream_worker_post (w, pi_stream_record_new (PI_STREAM_RECORD_READY));
}

static void
on_deliveries (GPtrArray *items,
               guint64    last_tag,
               gpointer   user_data)
{
  PiStreamWorker *w = user_data;
  guint64 n_bytes = 0;
  guint64 waiting;
  guint untaken;

  if (w->quitting || w->finished || w->loss_source != NULL)
    return;

  w->now = g_get_real_time ();
  for (guint i = 0; i < items->len; i++)
    {
      GBytes *object = g_ptr_array_index (items, i);
      gsize len;
      const char *text = g_bytes_get_data (object, &len);

      n_bytes += len;
      g_ptr_array_add (w->batch, pi_message_new_from_data (text, len, ++w->sequence, w->now));
    }

  /* The tag is recorded before the batch is queued: a take in between
   * acknowledges a batch a moment before the caller has it, never after. */
  g_mutex_lock (&w->mutex);
  w->n_bytes += n_bytes;
  w->amqp_queued_tag = last_tag;
  w->amqp_queued_generation = w->amqp_generation;
  waiting = w->amqp_taken_generation == w->amqp_generation ? last_tag - w->amqp_taken_tag : last_tag;
  g_mutex_unlock (&w->mutex);

  if (waiting >= AMQP_PREFETCH / 2)
    w->urgent = TRUE;
  pi_stream_worker_flush_batches (w, TRUE);
  w->urgent = FALSE;

  /* While the caller keeps up, acknowledge at once: the broker sends on
   * without a round trip through the caller's thread. Once more than
   * AMQP_EAGER_ACK_LIMIT messages wait for it, acks follow what it takes. */
  g_mutex_lock (&w->mutex);
  untaken = w->n_queued;
  g_mutex_unlock (&w->mutex);
  if (untaken <= AMQP_EAGER_ACK_LIMIT && w->amqp_subscription != NULL && last_tag > w->amqp_acked_tag)
    {
      pi_amqp_client_ack (w->amqp_client, w->amqp_subscription, last_tag);
      w->amqp_acked_tag = last_tag;
    }
}

static void
on_dropped (guint64  count,
            gpointer user_data)
{
  PiStreamWorker *w = user_data;
  PiStreamRecord *record;
  g_autofree char *reason = NULL;

  if (count == 0 || w->quitting || w->finished)
    return;

  reason = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "the broker dropped them: this connection's queue holds at most %u message",
                                         "the broker dropped them: this connection's queue holds at most %u messages",
                                         w->plan->queue_length),
                            w->plan->queue_length);
  g_debug ("The broker dropped %" G_GUINT64_FORMAT " messages", count);

  /* While the caller has not taken the last drop, and no message came after
   * it, the count goes into it: a stalled caller finds one marker for the
   * whole stretch, not one for each message the broker dropped. */
  if (w->batch->len == 0)
    {
      gboolean merged = FALSE;

      g_mutex_lock (&w->mutex);
      if (!w->stopping && w->records.length >= 2)
        {
          PiStreamRecord *tail = w->records.tail->data;
          PiStreamRecord *before = w->records.tail->prev->data;

          if (tail->kind == PI_STREAM_RECORD_DROPPED && before->kind == PI_STREAM_RECORD_MESSAGES &&
              before->batch != NULL && before->batch->len > 0)
            {
              guint last = before->batch->len - 1;
              PiMessage *marker = g_ptr_array_index (before->batch, last);

              if (pi_message_get_kind (marker) == PI_MESSAGE_KIND_DROPPED)
                {
                  PiMessage *sum = pi_message_new_dropped (pi_message_get_sequence (marker),
                                                           pi_message_get_dropped_count (marker) + count,
                                                           reason);

                  before->batch->pdata[last] = sum;
                  g_object_unref (marker);
                  tail->count += count;
                  merged = TRUE;
                }
            }
        }
      g_mutex_unlock (&w->mutex);
      if (merged)
        return;
    }

  g_ptr_array_add (w->batch, pi_message_new_dropped (++w->sequence, count, reason));
  record = pi_stream_record_new (PI_STREAM_RECORD_DROPPED);
  record->count = count;
  w->urgent = TRUE;
  pi_stream_worker_flush_batches (w, FALSE);
  w->urgent = FALSE;
  pi_stream_worker_post (w, record);
}

static void
on_binding_failed (guint       index,
                   const char *text,
                   gpointer    user_data)
{
  PiStreamWorker *w = user_data;

  pi_stream_worker_ws_binding_error (w, index, text);
}

static FailureKind
failure_kind (PiAmqpFailure failure)
{
  switch (failure)
    {
    case PI_AMQP_FAILURE_LOST:
      return FAILURE_RETRY;
    case PI_AMQP_FAILURE_CREDENTIALS:
      return FAILURE_CREDENTIALS;
    case PI_AMQP_FAILURE_REFUSED:
    case PI_AMQP_FAILURE_TLS:
    default:
      return FAILURE_PERMANENT;
    }
}

static void
on_failed (const char    *text,
           PiAmqpFailure  failure,
           gpointer       user_data)
{
  PiStreamWorker *w = user_data;

  g_debug ("Subscription ended (%d): %s", failure, text);
  if (w->quitting || w->finished)
    return;
  /* Ended after this callback returns: the subscription goes with it. */
  pi_stream_worker_ws_lose (w, text ? text : _("The broker ended the subscription"), failure_kind (failure));
}

static const PiAmqpSubscriptionCallbacks subscription_callbacks = {
  .ready = on_ready,
  .deliveries = on_deliveries,
  .dropped = on_dropped,
  .binding_failed = on_binding_failed,
  .failed = on_failed,
};

/* --- The attempt -------------------------------------------------------------- */

static void
subscribe (PiStreamWorker *w)
{
  g_autofree PiAmqpBinding *bindings = NULL;
  g_autofree char *queue_name = NULL;
  g_autofree char *dropped_exchange = NULL;
  const PiAmqpAddress *address = pi_amqp_client_get_address (w->amqp_client);
  PiAmqpQueueOptions options = { 0 };
  guint n = w->plan->bindings->len;

  w->amqp_waiting = FALSE;

  bindings = g_new0 (PiAmqpBinding, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      PiBinding *binding = g_ptr_array_index (w->plan->bindings, i);

      bindings[i].exchange = pi_binding_get_exchange (binding);
      bindings[i].pattern = pi_binding_get_routing_key_pattern (binding);
    }

  /* Pulse lets a user create only queue/USER/… and exchange/USER/…; a new
   * name each time, as the old queue went with its connection. */
  queue_name = pi_amqp_pulse_queue_name (address->user, AMQP_QUEUE_PREFIX);
  dropped_exchange = pi_amqp_pulse_dropped_exchange (address->user, queue_name);
  options.queue_name = queue_name;
  options.max_length = w->plan->queue_length;
  options.dropped_exchange = dropped_exchange;
  options.prefetch = AMQP_PREFETCH;
  options.all_or_nothing = FALSE;

  g_mutex_lock (&w->mutex);
  w->amqp_generation++;
  g_mutex_unlock (&w->mutex);
  w->amqp_acked_tag = 0;

  /* Connected: the queue is declared and bound now. */
  pi_stream_worker_post_state (w, PI_STREAM_STATE_WAITING_FOR_READY, NULL, 0);
  g_debug ("Subscribing %u bindings with the queue %s", n, queue_name);
  w->amqp_subscription = pi_amqp_client_subscribe (w->amqp_client, bindings, n, &options,
                                                   &subscription_callbacks, w);
}

/*
 * The client reconnects by itself, with a backoff of its own, and tells of
 * a change of state only: a second failed attempt in a row says nothing.
 * So an attempt of the worker that finds the client unable to connect ends
 * as a loss (the usual backoff, the usual count of failures before the
 * first `ready`), and the next attempt looks again; when the client
 * connects, an attempt waiting for it subscribes at once, and a worker
 * waiting out its backoff starts one at once.
 */
static void
on_client_state (PiAmqpClient *client,
                 GParamSpec   *pspec,
                 gpointer      user_data)
{
  PiStreamWorker *w = user_data;
  PiAmqpClientState state = pi_amqp_client_get_state (client);
  g_autofree char *reason = NULL;

  if (w->quitting || w->finished)
    return;

  switch (state)
    {
    case PI_AMQP_CLIENT_CONNECTED:
      if (w->amqp_waiting)
        subscribe (w);
      else if (w->retry_source != NULL)
        {
          /* The broker is back: no need to wait out the backoff. */
          g_source_destroy (w->retry_source);
          g_clear_pointer (&w->retry_source, g_source_unref);
          pi_stream_worker_post (w, pi_stream_record_new (PI_STREAM_RECORD_RECONNECT));
          pi_stream_worker_start_attempt (w);
        }
      break;

    case PI_AMQP_CLIENT_RECONNECTING:
      if (!w->amqp_waiting)
        break;
      w->amqp_waiting = FALSE;
      reason = pi_amqp_client_dup_unavailable_reason (client, NULL);
      if (reason == NULL)
        reason = g_strdup_printf (_("The connection to %s was lost"), w->host);
      pi_stream_worker_lost (w, reason, FAILURE_RETRY);
      break;

    case PI_AMQP_CLIENT_FAILED:
      /* Refused for good (the login, the certificate): whatever the worker
       * was doing. */
      reason = pi_amqp_client_dup_unavailable_reason (client, NULL);
      if (reason == NULL)
        reason = g_strdup_printf (_("%s refused the connection"), w->host);
      w->amqp_waiting = FALSE;
      pi_stream_worker_lost (w, reason, failure_kind (pi_amqp_client_get_failure (client)));
      break;

    case PI_AMQP_CLIENT_CONNECTING:
    default:
      break;
    }
}

void
pi_stream_worker_amqp_start_attempt (PiStreamWorker *w)
{
  if (w->amqp_client == NULL)
    {
      g_autoptr(PiAmqpAddress) address = NULL;
      g_autoptr(GError) error = NULL;
      PiAmqpClientOptions options = {
        .product = "pulse-inspector",
        .convert_func = convert_delivery,
        .convert_free = (GDestroyNotify) g_bytes_unref,
      };

      address = pi_amqp_address_parse (w->plan->amqp_url, &error);
      if (address != NULL)
        {
          g_free (address->password);
          address->password = g_strdup (w->plan->password);
          /* Made here: its callbacks run in this thread's context. */
          w->amqp_client = pi_amqp_client_new (address, &options, &error);
        }
      if (w->amqp_client == NULL)
        {
          pi_stream_worker_fail (w, error->message);
          return;
        }
      g_signal_connect (w->amqp_client, "notify::state", G_CALLBACK (on_client_state), w);
    }

  w->amqp_waiting = TRUE;
  if (pi_amqp_client_get_state (w->amqp_client) != PI_AMQP_CLIENT_CONNECTING)
    on_client_state (w->amqp_client, NULL, w);
}

void
pi_stream_worker_amqp_end_attempt (PiStreamWorker *w)
{
  w->amqp_waiting = FALSE;
  if (w->amqp_subscription != NULL)
    {
      pi_amqp_client_unsubscribe (w->amqp_client, w->amqp_subscription);
      w->amqp_subscription = NULL;
    }
}

/* At the end of the thread: the client goes (and its I/O thread). */
void
pi_stream_worker_amqp_finish (PiStreamWorker *w)
{
  pi_stream_worker_amqp_end_attempt (w);
  if (w->amqp_client != NULL)
    {
      g_signal_handlers_disconnect_by_data (w->amqp_client, w);
      g_clear_object (&w->amqp_client);
    }
}
