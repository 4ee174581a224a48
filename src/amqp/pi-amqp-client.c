/* pi-amqp-client.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "pi-amqp-private.h"

/* The client object, and the queues between the caller's main context and
 * the I/O thread (pi-amqp-io.c): requests one way, outgoing items (state
 * changes, deliveries, failures) the other, dispatched here. */

struct _PiAmqpClient
{
  GObject            parent_instance;

  Io                *io;
  GThread           *thread;
  /* Main context only: the state as last dispatched, so that it and
   * notify::state agree. */
  PiAmqpClientState  state;
};

G_DEFINE_FINAL_TYPE (PiAmqpClient, pi_amqp_client, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (PiAmqpClientState, pi_amqp_client_state,
                    G_DEFINE_ENUM_VALUE (PI_AMQP_CLIENT_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (PI_AMQP_CLIENT_CONNECTED, "connected"),
                    G_DEFINE_ENUM_VALUE (PI_AMQP_CLIENT_RECONNECTING, "reconnecting"),
                    G_DEFINE_ENUM_VALUE (PI_AMQP_CLIENT_FAILED, "failed"))

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- deliveries ------------------------------------------------------------ */

void
pi_amqp_delivery_copy_free (PiAmqpDeliveryCopy *copy)
{
  if (copy == NULL)
    return;

  g_free (copy->exchange);
  g_free (copy->routing_key);
  g_strfreev (copy->routes);
  g_clear_pointer (&copy->body, g_bytes_unref);
  g_free (copy);
}

/* The convert func when the caller gives none: a plain copy. */
static gpointer
delivery_copy (const PiAmqpDelivery *delivery,
               gsize                *size,
               gpointer              user_data)
{
  PiAmqpDeliveryCopy *copy = g_new0 (PiAmqpDeliveryCopy, 1);

  copy->exchange = g_strdup (delivery->exchange);
  copy->routing_key = g_strdup (delivery->routing_key);
  copy->routes = delivery->routes != NULL ? g_strdupv ((char **) delivery->routes) : g_new0 (char *, 1);
  copy->redelivered = delivery->redelivered;
  copy->body = g_bytes_new (delivery->body, delivery->body_len);
  copy->delivery_tag = delivery->delivery_tag;
  *size = sizeof *copy + delivery->body_len + strlen (copy->exchange) + strlen (copy->routing_key);

  return copy;
}

/* --- subscriptions -------------------------------------------------------- */

PiAmqpSubscription *
pi_amqp_subscription_ref (PiAmqpSubscription *sub)
{
  g_atomic_ref_count_inc (&sub->ref_count);
  return sub;
}

static void
binding_clear (gpointer data)
{
  Binding *binding = data;

  g_free (binding->exchange);
  g_free (binding->pattern);
}

void
pi_amqp_subscription_unref (PiAmqpSubscription *sub)
{
  if (g_atomic_ref_count_dec (&sub->ref_count))
    {
      g_array_unref (sub->bindings);
      g_free (sub->queue_name);
      g_free (sub->dropped_exchange);
      g_free (sub);
    }
}

gboolean
pi_amqp_subscription_is_cancelled (PiAmqpSubscription *sub)
{
  return g_atomic_int_get (&sub->cancelled) != 0;
}

/* --- the main-context side of the outgoing queue --------------------------- */

static void
outgoing_free (Io       *io,
               Outgoing *out)
{
  if (out->sub != NULL)
    pi_amqp_subscription_unref (out->sub);
  if (out->item != NULL && io->convert_free != NULL)
    io->convert_free (out->item);
  g_free (out->text);
  g_free (out);
}

static void
io_wake (Io *io)
{
  static const char byte = 1;

  /* A full pipe already means "wake up": EAGAIN is fine. */
  while (write (io->wake_fds[1], &byte, 1) < 0 && errno == EINTR)
    ;
}

static void
client_set_state (PiAmqpClient      *self,
                  PiAmqpClientState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
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

static void
dispatch_one (Io       *io,
              Outgoing *out)
{
  PiAmqpSubscription *sub = out->sub;

  if (out->kind == OUTGOING_STATE)
    {
      if (io->owner != NULL)
        client_set_state (io->owner, (PiAmqpClientState) out->number);
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

    case OUTGOING_STATE:
    case OUTGOING_DELIVERY:
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
    io_wake (io);

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
      else
        {
          dispatch_one (io, out);
          l = l->next;
        }
    }

  while ((out = g_queue_pop_head (&batch)))
    outgoing_free (io, out);

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

/* Called on the I/O thread: hands the local batch to the main context. A
 * batch with anything but deliveries in it is dispatched at once;
 * deliveries wait DISPATCH_DELAY_US for others to join them. */
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

  io_push (io, out, kind != OUTGOING_DELIVERY && kind != OUTGOING_DROPPED);

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

  io_push (io, out, FALSE);
}

/* One more message the broker dropped: counted into the last item if that
 * is already a drop count of the same subscription. */
void
pi_amqp_io_emit_dropped (Io                 *io,
                         PiAmqpSubscription *sub)
{
  Outgoing *last = g_queue_peek_tail (&io->batch);

  if (last != NULL && last->kind == OUTGOING_DROPPED && last->sub == sub)
    last->number++;
  else
    pi_amqp_io_emit (io, sub, OUTGOING_DROPPED, 1, NULL);
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

/* --- requests from the main context --------------------------------------- */

void
pi_amqp_io_drain_wake (Io *io)
{
  char buf[64];

  while (read (io->wake_fds[0], buf, sizeof buf) > 0)
    ;
}

static void
io_push_request (Io                 *io,
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

  io_wake (io);
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
  g_free (request);
}

/* --- the client ------------------------------------------------------------ */

/**
 * pi_amqp_client_subscribe:
 * @self: a #PiAmqpClient
 * @bindings: (array length=n_bindings): exchange and pattern pairs
 * @n_bindings: how many
 * @options: (nullable): the queue's options; %NULL: a server-named queue,
 *   no length limit, no acks, all or nothing
 * @callbacks: what to call, in the client's main context
 * @user_data: for @callbacks
 *
 * Declares a queue, binds it and consumes it on a channel of its own. The
 * callbacks never run from inside this call.
 *
 * Returns: (transfer none): the subscription, valid until
 *   pi_amqp_client_unsubscribe()
 */
PiAmqpSubscription *
pi_amqp_client_subscribe (PiAmqpClient                      *self,
                          const PiAmqpBinding               *bindings,
                          guint                              n_bindings,
                          const PiAmqpQueueOptions          *options,
                          const PiAmqpSubscriptionCallbacks *callbacks,
                          gpointer                           user_data)
{
  PiAmqpSubscription *sub;

  g_return_val_if_fail (PI_IS_AMQP_CLIENT (self), NULL);
  g_return_val_if_fail (bindings != NULL || n_bindings == 0, NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);
  g_return_val_if_fail (options == NULL || options->dropped_exchange == NULL || options->queue_name != NULL, NULL);

  sub = g_new0 (PiAmqpSubscription, 1);
  g_atomic_ref_count_init (&sub->ref_count);
  sub->callbacks = *callbacks;
  sub->user_data = user_data;
  sub->bindings = g_array_sized_new (FALSE, TRUE, sizeof (Binding), n_bindings);
  g_array_set_clear_func (sub->bindings, binding_clear);
  if (options != NULL)
    {
      sub->queue_name = g_strdup (options->queue_name);
      sub->dropped_exchange = g_strdup (options->dropped_exchange);
      sub->max_length = options->max_length;
      sub->prefetch = options->prefetch;
      sub->all_or_nothing = options->all_or_nothing;
    }
  else
    {
      sub->all_or_nothing = TRUE;
    }

  /* Plain copies: the I/O thread must not touch the caller's memory. */
  for (guint i = 0; i < n_bindings; i++)
    {
      Binding copy;

      copy.exchange = g_strdup (bindings[i].exchange);
      copy.pattern = g_strdup (bindings[i].pattern);
      g_array_append_val (sub->bindings, copy);
    }

  /* One reference for the caller's handle, one for the request. */
  io_push_request (self->io, REQUEST_SUBSCRIBE, pi_amqp_subscription_ref (sub), 0);

  return sub;
}

/**
 * pi_amqp_client_unsubscribe:
 * @self: a #PiAmqpClient
 * @subscription: (transfer full): from pi_amqp_client_subscribe()
 *
 * Closes the subscription's channel (its queue goes with it). No callback
 * of @subscription runs after this returns.
 */
void
pi_amqp_client_unsubscribe (PiAmqpClient       *self,
                            PiAmqpSubscription *subscription)
{
  g_return_if_fail (PI_IS_AMQP_CLIENT (self));
  g_return_if_fail (subscription != NULL);

  subscription->finished = TRUE;
  g_atomic_int_set (&subscription->cancelled, 1);

  /* The request takes over the caller's reference. */
  io_push_request (self->io, REQUEST_UNSUBSCRIBE, subscription, 0);
}

/**
 * pi_amqp_client_ack:
 * @self: a #PiAmqpClient
 * @subscription: a subscription made with a prefetch
 * @delivery_tag: the last delivery taken
 *
 * Acknowledges every delivery of @subscription up to @delivery_tag, so
 * that the broker sends as many more.
 */
void
pi_amqp_client_ack (PiAmqpClient       *self,
                    PiAmqpSubscription *subscription,
                    guint64             delivery_tag)
{
  g_return_if_fail (PI_IS_AMQP_CLIENT (self));
  g_return_if_fail (subscription != NULL);

  if (subscription->prefetch == 0 || subscription->finished || delivery_tag == 0)
    return;

  io_push_request (self->io, REQUEST_ACK, pi_amqp_subscription_ref (subscription), delivery_tag);
}

PiAmqpClientState
pi_amqp_client_get_state (PiAmqpClient *self)
{
  g_return_val_if_fail (PI_IS_AMQP_CLIENT (self), PI_AMQP_CLIENT_CONNECTING);

  return self->state;
}

PiAmqpFailure
pi_amqp_client_get_failure (PiAmqpClient *self)
{
  PiAmqpFailure failure;

  g_return_val_if_fail (PI_IS_AMQP_CLIENT (self), PI_AMQP_FAILURE_LOST);

  if (self->state != PI_AMQP_CLIENT_FAILED)
    return PI_AMQP_FAILURE_LOST;

  g_mutex_lock (&self->io->lock);
  failure = self->io->failure;
  g_mutex_unlock (&self->io->lock);

  return failure;
}

const PiAmqpAddress *
pi_amqp_client_get_address (PiAmqpClient *self)
{
  g_return_val_if_fail (PI_IS_AMQP_CLIENT (self), NULL);

  return self->io->address;
}

/**
 * pi_amqp_client_dup_unavailable_reason:
 * @self: a #PiAmqpClient
 * @retry_after: (out) (optional): seconds until the next attempt, at least 1
 *   (0 in PI_AMQP_CLIENT_FAILED: there is none)
 *
 * Returns: (transfer full) (nullable): why the client is not connected, in
 *   words; %NULL while connected
 */
char *
pi_amqp_client_dup_unavailable_reason (PiAmqpClient *self,
                                       guint        *retry_after)
{
  Io *io;
  char *reason;
  gint64 wait;

  g_return_val_if_fail (PI_IS_AMQP_CLIENT (self), NULL);

  io = self->io;
  if (self->state == PI_AMQP_CLIENT_CONNECTED)
    return NULL;

  g_mutex_lock (&io->lock);
  if (io->unavailable_reason != NULL)
    reason = g_strdup (io->unavailable_reason);
  else
    reason = g_strdup_printf (_("Still connecting to the broker at %s:%d"), io->address->host, io->address->port);
  wait = io->next_attempt_at - g_get_monotonic_time ();
  g_mutex_unlock (&io->lock);

  /* An attempt under way may succeed any moment: 1 s, the least. */
  if (retry_after != NULL)
    {
      if (self->state == PI_AMQP_CLIENT_FAILED)
        *retry_after = 0;
      else
        *retry_after = (guint) CLAMP ((wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 1, G_MAXUINT);
    }

  return reason;
}

static void
io_free (Io *io)
{
  Outgoing *out;
  Request *request;

  while ((out = g_queue_pop_head (&io->outgoing)))
    outgoing_free (io, out);
  while ((out = g_queue_pop_head (&io->batch)))
    outgoing_free (io, out);
  while ((request = g_queue_pop_head (&io->requests)))
    pi_amqp_request_free (request);
  if (io->dispatch != NULL)
    {
      g_source_destroy (io->dispatch);
      g_source_unref (io->dispatch);
    }
  g_clear_pointer (&io->subs, g_hash_table_unref);
  g_clear_pointer (&io->context, g_main_context_unref);
  if (io->wake_fds[0] >= 0)
    close (io->wake_fds[0]);
  if (io->wake_fds[1] >= 0)
    close (io->wake_fds[1]);
  g_mutex_clear (&io->lock);
  g_clear_pointer (&io->address, pi_amqp_address_free);
  g_free (io->product);
  g_free (io->unavailable_reason);
  g_free (io);
}

static void
pi_amqp_client_finalize (GObject *object)
{
  PiAmqpClient *self = PI_AMQP_CLIENT (object);

  if (self->thread != NULL)
    {
      g_mutex_lock (&self->io->lock);
      self->io->quit = TRUE;
      g_mutex_unlock (&self->io->lock);
      io_wake (self->io);
      g_thread_join (self->thread);
    }

  if (self->io != NULL)
    {
      self->io->owner = NULL;
      g_clear_pointer (&self->io, io_free);
    }

  G_OBJECT_CLASS (pi_amqp_client_parent_class)->finalize (object);
}

static void
pi_amqp_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PiAmqpClient *self = PI_AMQP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_amqp_client_class_init (PiAmqpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pi_amqp_client_finalize;
  object_class->get_property = pi_amqp_client_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       PI_TYPE_AMQP_CLIENT_STATE, PI_AMQP_CLIENT_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_amqp_client_init (PiAmqpClient *self)
{
  self->state = PI_AMQP_CLIENT_CONNECTING;
}

/**
 * pi_amqp_client_new:
 * @address: where to connect, and as whom
 * @options: (nullable): heartbeat, product name, convert func
 * @error: a #GError
 *
 * Creates a client that connects in the background at once (and reconnects
 * after a loss, backing off from 0.5 s to 30 s). Callbacks run in the
 * thread-default main context of the caller.
 *
 * Returns: (transfer full): the client, or %NULL if its thread could not start
 */
PiAmqpClient *
pi_amqp_client_new (const PiAmqpAddress       *address,
                    const PiAmqpClientOptions *options,
                    GError                   **error)
{
  g_autoptr(PiAmqpClient) self = NULL;
  g_autoptr(GError) local_error = NULL;
  Io *io;

  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (PI_TYPE_AMQP_CLIENT, NULL);
  self->io = io = g_new0 (Io, 1);
  io->owner = self;
  io->wake_fds[0] = io->wake_fds[1] = -1;
  g_mutex_init (&io->lock);
  g_queue_init (&io->requests);
  g_queue_init (&io->outgoing);
  g_queue_init (&io->batch);
  io->subs = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) pi_amqp_subscription_unref);
  io->context = g_main_context_ref_thread_default ();
  io->address = pi_amqp_address_copy (address);
  io->io_state = PI_AMQP_CLIENT_CONNECTING;
  io->failure = PI_AMQP_FAILURE_LOST;
  /* Heartbeats are how a frozen broker or a dead network path is noticed:
   * after two silent intervals. */
  io->heartbeat = HEARTBEAT_SECONDS;
  io->convert_func = delivery_copy;
  io->convert_free = (GDestroyNotify) pi_amqp_delivery_copy_free;
  if (options != NULL)
    {
      if (options->heartbeat == PI_AMQP_HEARTBEAT_NONE)
        io->heartbeat = 0;
      else if (options->heartbeat > 0)
        io->heartbeat = (int) MIN (options->heartbeat, 3600);
      io->product = g_strdup (options->product);
      if (options->convert_func != NULL)
        {
          io->convert_func = options->convert_func;
          io->convert_data = options->convert_data;
          io->convert_free = options->convert_free;
        }
    }

  if (!g_unix_open_pipe (io->wake_fds, FD_CLOEXEC, &local_error) ||
      !g_unix_set_fd_nonblocking (io->wake_fds[0], TRUE, &local_error) ||
      !g_unix_set_fd_nonblocking (io->wake_fds[1], TRUE, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not start the broker connection: "));
      return NULL;
    }

  io->dispatch = g_source_new (&dispatch_source_funcs, sizeof (GSource));
  g_source_set_priority (io->dispatch, G_PRIORITY_DEFAULT);
  g_source_set_static_name (io->dispatch, "[pi-amqp] dispatch");
  g_source_set_callback (io->dispatch, dispatch_outgoing, io, NULL);
  g_source_attach (io->dispatch, io->context);

  self->thread = g_thread_try_new ("pi-amqp-io", pi_amqp_io_thread, io, &local_error);
  if (self->thread == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not start the broker connection: "));
      return NULL;
    }

  return g_steal_pointer (&self);
}
