/* pi-amqp-queue.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pi-amqp-private.h"

/* The queues between the client's context and its I/O thread: what the
 * thread emits (state changes, deliveries, failures), batched and
 * dispatched in the client's context, and the requests (subscribe,
 * unsubscribe, ack) going the other way, with the pipe that wakes it. */

/* --- the main-context side of the outgoing queue --------------------------- */

void
pi_amqp_outgoing_free (Io       *io,
                       Outgoing *out)
{
  if (out->sub != NULL)
    pi_amqp_subscription_unref (out->sub);
  if (out->item != NULL && out->kind == OUTGOING_DROPPED_MESSAGE)
    pi_amqp_dropped_free (out->item);
  else if (out->item != NULL && io->convert_free != NULL)
    io->convert_free (out->item);
  g_free (out->text);
  g_free (out->broker_reply);
  g_free (out);
}

void
pi_amqp_io_wake (Io *io)
{
  static const char byte = 1;

  /* A full pipe already means "wake up": EAGAIN is fine. */
  while (write (io->wake_fds[1], &byte, 1) < 0 && errno == EINTR)
    ;
}

/* Hands the consecutive deliveries of one subscription, from @first on, to
 * its callback in one array; returns the first item not taken. */
static GList *
dispatch_deliveries (Io    *io,
                     GList *first)
{
  PiAmqpSubscription *sub = ((Outgoing *) first->data)->sub;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (io->convert_free);
  guint64 last_tag = 0;
  GList *l;

  for (l = first; l != NULL; l = l->next)
    {
      Outgoing *out = l->data;

      if (out->kind != OUTGOING_DELIVERY || out->sub != sub)
        break;
      g_ptr_array_add (items, g_steal_pointer (&out->item));
      last_tag = out->number;
    }

  if (!sub->finished && sub->callbacks.deliveries != NULL)
    sub->callbacks.deliveries (items, last_tag, sub->user_data);

  return l;
}

/* Sums the consecutive drop counts of one subscription, from @first on,
 * into one call of its callback; returns the first item not taken. */
static GList *
dispatch_dropped (Io    *io,
                  GList *first)
{
  PiAmqpSubscription *sub = ((Outgoing *) first->data)->sub;
  guint64 count = 0;
  GList *l;

  for (l = first; l != NULL; l = l->next)
    {
      Outgoing *out = l->data;

      if (out->kind != OUTGOING_DROPPED || out->sub != sub)
        break;
      count += out->number;
    }

  if (!sub->finished && sub->callbacks.dropped != NULL)
    sub->callbacks.dropped (count, sub->user_data);

  return l;
}

/* Hands the consecutive dropped messages of one subscription, from @first
 * on, to its callback in one array; returns the first item not taken. */
static GList *
dispatch_dropped_messages (Io    *io,
                           GList *first)
{
  PiAmqpSubscription *sub = ((Outgoing *) first->data)->sub;
  g_autoptr(GPtrArray) drops = g_ptr_array_new_with_free_func ((GDestroyNotify) pi_amqp_dropped_free);
  GList *l;

  for (l = first; l != NULL; l = l->next)
    {
      Outgoing *out = l->data;

      if (out->kind != OUTGOING_DROPPED_MESSAGE || out->sub != sub)
        break;
      g_ptr_array_add (drops, g_steal_pointer (&out->item));
    }

  if (!sub->finished && sub->callbacks.dropped_messages != NULL)
    sub->callbacks.dropped_messages (drops, sub->user_data);

  return l;
}

static void
dispatch_one (Io       *io,
              Outgoing *out)
{
  PiAmqpSubscription *sub = out->sub;

  if (out->kind == OUTGOING_STATE)
    {
      if (io->owner != NULL)
        pi_amqp_client_set_state (io->owner, (PiAmqpClientState) out->number);
      return;
    }

  /* `finished` is only touched in this context, so checking it here cannot
   * race with pi_amqp_client_unsubscribe(): after it, nothing runs. */
  if (sub->finished)
    return;

  switch (out->kind)
    {
    case OUTGOING_READY:
      if (sub->callbacks.ready != NULL)
        sub->callbacks.ready (sub->user_data);
      break;

    case OUTGOING_DROPPED:
      if (sub->callbacks.dropped != NULL)
        sub->callbacks.dropped (out->number, sub->user_data);
      break;

    case OUTGOING_BINDING_FAILED:
      if (sub->callbacks.binding_failed != NULL)
        sub->callbacks.binding_failed ((guint) out->number, out->text, sub->user_data);
      break;

    case OUTGOING_FAILED:
      sub->finished = TRUE;
      if (sub->callbacks.failed != NULL)
        sub->callbacks.failed (out->text, out->failure, sub->user_data);
      break;

    case OUTGOING_BOUND:
      if (out->bind_func != NULL)
        out->bind_func (out->text, out->broker_reply, out->bind_data);
      break;

    case OUTGOING_STATE:
    case OUTGOING_DELIVERY:
    case OUTGOING_DROPPED_MESSAGE:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
dispatch_outgoing (gpointer data)
{
  Io *io = data;
  GQueue batch = G_QUEUE_INIT;
  gboolean more, resume = FALSE;
  Outgoing *out;
  GList *l;

  /* Disarmed before looking at the queue: the I/O thread re-arms it only
   * after seeing dispatch_armed cleared under the lock, so no hand-over
   * between the two can go unnoticed. */
  g_source_set_ready_time (io->dispatch, -1);

  /* A bounded batch per turn, so that HTTP clients are served between two. */
  g_mutex_lock (&io->lock);
  while (batch.length < DISPATCH_BATCH && (out = g_queue_pop_head (&io->outgoing)))
    {
      io->outgoing_bytes -= out->size;
      g_queue_push_tail (&batch, out);
    }
  more = io->outgoing.length > 0;
  if (!more)
    io->dispatch_armed = FALSE;
  if (io->reader_paused && io->outgoing_bytes < OUTGOING_LOW_WATER)
    {
      io->reader_paused = FALSE;
      resume = TRUE;
    }
  g_mutex_unlock (&io->lock);

  /* Still armed: the rest goes on the next turn. */
  if (more)
    g_source_set_ready_time (io->dispatch, 0);
  if (resume)
    pi_amqp_io_wake (io);

  /* A callback may unsubscribe any subscription, or drop the last
   * reference to the client: the items hold the subscriptions, and the
   * object is kept alive until the batch is done. */
  if (io->owner != NULL)
    g_object_ref (io->owner);

  l = batch.head;
  while (l != NULL)
    {
      out = l->data;
      if (out->kind == OUTGOING_DELIVERY)
        {
          l = dispatch_deliveries (io, l);
        }
      else if (out->kind == OUTGOING_DROPPED)
        {
          l = dispatch_dropped (io, l);
        }
      else if (out->kind == OUTGOING_DROPPED_MESSAGE)
        {
          l = dispatch_dropped_messages (io, l);
        }
      else
        {
          dispatch_one (io, out);
          l = l->next;
        }
    }

  while ((out = g_queue_pop_head (&batch)))
    pi_amqp_outgoing_free (io, out);

  if (io->owner != NULL)
    g_object_unref (io->owner);

  return G_SOURCE_CONTINUE;
}

static gboolean
dispatch_source_dispatch (GSource     *source,
                          GSourceFunc  callback,
                          gpointer     user_data)
{
  return callback (user_data);
}

/* Ready only when its ready time says so: no prepare, no check, no fd. */
static GSourceFuncs dispatch_source_funcs = {
  NULL, NULL, dispatch_source_dispatch, NULL, NULL, NULL,
};

/* The source, attached to the client's context for its lifetime, that
 * hands over what the I/O thread emits. */
GSource *
pi_amqp_io_dispatch_source_new (Io *io)
{
  GSource *source = g_source_new (&dispatch_source_funcs, sizeof (GSource));

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[pi-amqp] dispatch");
  g_source_set_callback (source, dispatch_outgoing, io, NULL);
  return source;
}

/* Called on the I/O thread: hands the local batch to the main context. A
 * batch with anything but deliveries in it is dispatched at once, and so is
 * one with deliveries the broker wants acknowledged before it sends more;
 * other deliveries wait DISPATCH_DELAY_US for others to join them. */
static void
io_hand_over (Io       *io,
              gboolean  urgent)
{
  gboolean arm = FALSE;

  if (io->batch.length == 0)
    return;

  g_mutex_lock (&io->lock);
  /* Splices the lists: O(1) whatever the batch size. */
  if (io->outgoing.length == 0)
    {
      io->outgoing = io->batch;
    }
  else
    {
      io->outgoing.tail->next = io->batch.head;
      io->batch.head->prev = io->outgoing.tail;
      io->outgoing.tail = io->batch.tail;
      io->outgoing.length += io->batch.length;
    }
  io->outgoing_bytes += io->batch_bytes;
  if (!io->dispatch_armed && !io->quit)
    arm = io->dispatch_armed = TRUE;
  g_mutex_unlock (&io->lock);

  g_queue_init (&io->batch);
  io->batch_bytes = 0;
  if (io->batch_credit)
    urgent = TRUE;
  io->batch_credit = FALSE;

  /* Thread-safe, and wakes the main context. An urgent batch also cuts
   * short the delay of one already armed: at worst the source then fires
   * once with nothing left to do. */
  if (urgent)
    g_source_set_ready_time (io->dispatch, 0);
  else if (arm)
    g_source_set_ready_time (io->dispatch, g_get_monotonic_time () + DISPATCH_DELAY_US);
}

/* Called on the I/O thread: whatever it holds goes to the main context now
 * (before it waits for the socket or for a round trip). */
void
pi_amqp_io_flush (Io *io)
{
  io_hand_over (io, FALSE);
}

static void
io_push (Io       *io,
         Outgoing *out,
         gboolean  urgent)
{
  /* Order is kept: everything goes through the one batch. */
  g_queue_push_tail (&io->batch, out);
  io->batch_bytes += out->size;

  if (urgent)
    io_hand_over (io, TRUE);
  else if (io->batch.length >= FLUSH_BATCH)
    io_hand_over (io, FALSE);
}

/* Called on the I/O thread. Takes @text. */
Outgoing *
pi_amqp_io_emit (Io                 *io,
                 PiAmqpSubscription *sub,
                 OutgoingKind        kind,
                 guint64             number,
                 char               *text)
{
  Outgoing *out = g_new0 (Outgoing, 1);

  out->kind = kind;
  out->sub = sub != NULL ? pi_amqp_subscription_ref (sub) : NULL;
  out->number = number;
  out->text = text;
  out->size = sizeof *out;

  io_push (io, out, kind != OUTGOING_DELIVERY && kind != OUTGOING_DROPPED && kind != OUTGOING_DROPPED_MESSAGE);

  return out;
}

void
pi_amqp_io_emit_delivery (Io                   *io,
                          PiAmqpSubscription   *sub,
                          const PiAmqpDelivery *delivery)
{
  Outgoing *out = g_new0 (Outgoing, 1);
  gsize size = 0;

  out->kind = OUTGOING_DELIVERY;
  out->sub = pi_amqp_subscription_ref (sub);
  out->number = delivery->delivery_tag;
  out->item = io->convert_func (delivery, &size, io->convert_data);
  out->size = sizeof *out + size;
  /* A delay would only stall the broker, which waits for the acks. */
  if (sub->prefetch > 0)
    io->batch_credit = TRUE;

  io_push (io, out, FALSE);
}

/* One more message the broker dropped: counted into the last item if that
 * is already a drop count of the same subscription, in the local batch or,
 * when that is empty, in what the main context has not taken yet (the
 * broker dead-letters one message at a time, each read alone). */
void
pi_amqp_io_emit_dropped (Io                 *io,
                         PiAmqpSubscription *sub)
{
  Outgoing *last = g_queue_peek_tail (&io->batch);
  gboolean merged = FALSE;

  if (last != NULL && last->kind == OUTGOING_DROPPED && last->sub == sub)
    {
      last->number++;
      return;
    }

  if (last == NULL)
    {
      g_mutex_lock (&io->lock);
      last = g_queue_peek_tail (&io->outgoing);
      if (last != NULL && last->kind == OUTGOING_DROPPED && last->sub == sub)
        {
          last->number++;
          merged = TRUE;
        }
      g_mutex_unlock (&io->lock);
    }

  if (!merged)
    pi_amqp_io_emit (io, sub, OUTGOING_DROPPED, 1, NULL);
}

/* One message the broker dropped, with where it was headed: batched like
 * deliveries (the broker dead-letters one at a time). */
void
pi_amqp_io_emit_dropped_message (Io                 *io,
                                 PiAmqpSubscription *sub,
                                 PiAmqpDropped      *dropped)
{
  Outgoing *out = g_new0 (Outgoing, 1);

  out->kind = OUTGOING_DROPPED_MESSAGE;
  out->sub = pi_amqp_subscription_ref (sub);
  out->item = dropped;
  out->size = sizeof *out + sizeof *dropped + strlen (dropped->exchange) + strlen (dropped->routing_key);

  io_push (io, out, FALSE);
}

void
pi_amqp_io_emit_state (Io                *io,
                       PiAmqpClientState  state)
{
  g_atomic_int_set (&io->io_state, state);
  pi_amqp_io_emit (io, NULL, OUTGOING_STATE, state, NULL);
}

void
pi_amqp_io_fail (Io                 *io,
                 PiAmqpSubscription *sub,
                 PiAmqpFailure       failure,
                 char               *text)
{
  Outgoing *out;

  /* Once: a set-up refused and then lost, say, is told of the refusal. */
  if (sub->io_failed)
    {
      g_free (text);
      return;
    }
  sub->io_failed = TRUE;

  g_debug ("Subscription %p failed: %s", sub, text);
  out = g_new0 (Outgoing, 1);
  out->kind = OUTGOING_FAILED;
  out->sub = pi_amqp_subscription_ref (sub);
  out->failure = failure;
  out->text = text;
  out->size = sizeof *out;
  io_push (io, out, TRUE);
}

/* Called on the I/O thread: a pi_amqp_client_bind() is done. Urgent, like
 * every answer the caller waits for. */
void
pi_amqp_io_emit_bound (Io      *io,
                       Request *request,
                       char    *text,
                       char    *broker_reply)
{
  Outgoing *out = g_new0 (Outgoing, 1);

  out->kind = OUTGOING_BOUND;
  out->sub = pi_amqp_subscription_ref (request->sub);
  out->text = text;
  out->broker_reply = broker_reply;
  out->bind_func = request->bind_func;
  out->bind_data = request->bind_data;
  out->size = sizeof *out;
  io_push (io, out, TRUE);
}

/* --- requests from the main context --------------------------------------- */

void
pi_amqp_io_drain_wake (Io *io)
{
  char buf[64];

  while (read (io->wake_fds[0], buf, sizeof buf) > 0)
    ;
}

void
pi_amqp_io_push_request (Io                 *io,
                         RequestKind         kind,
                         PiAmqpSubscription *sub,
                         guint64             tag)
{
  Request *request = g_new0 (Request, 1);

  request->kind = kind;
  request->sub = sub;
  request->tag = tag;

  g_mutex_lock (&io->lock);
  g_queue_push_tail (&io->requests, request);
  g_mutex_unlock (&io->lock);

  pi_amqp_io_wake (io);
}

void
pi_amqp_io_push_bind_request (Io                 *io,
                              RequestKind         kind,
                              PiAmqpSubscription *sub,
                              const char         *exchange,
                              const char         *pattern,
                              PiAmqpBindFunc      func,
                              gpointer            user_data)
{
  Request *request = g_new0 (Request, 1);

  request->kind = kind;
  request->sub = sub;
  request->exchange = g_strdup (exchange);
  request->pattern = g_strdup (pattern);
  request->bind_func = func;
  request->bind_data = user_data;

  g_mutex_lock (&io->lock);
  g_queue_push_tail (&io->requests, request);
  g_mutex_unlock (&io->lock);

  pi_amqp_io_wake (io);
}

Request *
pi_amqp_io_pop_request (Io *io)
{
  Request *request;

  g_mutex_lock (&io->lock);
  request = g_queue_pop_head (&io->requests);
  g_mutex_unlock (&io->lock);

  return request;
}

gboolean
pi_amqp_io_has_requests (Io *io)
{
  gboolean ret;

  g_mutex_lock (&io->lock);
  ret = io->requests.length > 0 || io->quit;
  g_mutex_unlock (&io->lock);

  return ret;
}

gboolean
pi_amqp_io_should_quit (Io *io)
{
  gboolean ret;

  g_mutex_lock (&io->lock);
  ret = io->quit;
  g_mutex_unlock (&io->lock);

  return ret;
}

/* Whether the I/O thread should stop reading from the broker: the main
 * context is behind by more than OUTGOING_HIGH_WATER bytes. Reading resumes
 * below OUTGOING_LOW_WATER (dispatch_outgoing() wakes the thread). Meanwhile
 * TCP holds the broker back, and each queue's x-max-length bounds it. */
gboolean
pi_amqp_io_reading_paused (Io *io)
{
  gboolean ret;

  g_mutex_lock (&io->lock);
  if (io->outgoing_bytes > OUTGOING_HIGH_WATER)
    io->reader_paused = TRUE;
  ret = io->reader_paused;
  g_mutex_unlock (&io->lock);

  return ret;
}

void
pi_amqp_request_free (Request *request)
{
  pi_amqp_subscription_unref (request->sub);
  g_free (request->exchange);
  g_free (request->pattern);
  g_free (request);
}
