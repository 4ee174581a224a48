/* pi-amqp-client.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <glib/gi18n.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "pi-amqp-private.h"

/* The client object: its API, its state, and the plain copies of
 * deliveries and subscriptions that cross to the I/O thread (the queues
 * between the two are in pi-amqp-queue.c, the thread in pi-amqp-io.c). */

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

void
pi_amqp_dropped_free (PiAmqpDropped *dropped)
{
  if (dropped == NULL)
    return;

  g_free (dropped->exchange);
  g_free (dropped->routing_key);
  g_strfreev (dropped->routes);
  g_free (dropped);
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
      g_free (sub->declared_queue);
      g_free (sub);
    }
}

gboolean
pi_amqp_subscription_is_cancelled (PiAmqpSubscription *sub)
{
  return g_atomic_int_get (&sub->cancelled) != 0;
}

/* --- the client ------------------------------------------------------------ */

/* Called in the client's context, by the dispatch of the I/O thread's news. */
void
pi_amqp_client_set_state (PiAmqpClient      *self,
                          PiAmqpClientState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}


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
      sub->dropped_optional = options->dropped_optional;
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
  pi_amqp_io_push_request (self->io, REQUEST_SUBSCRIBE, pi_amqp_subscription_ref (sub), 0);

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
  pi_amqp_io_push_request (self->io, REQUEST_UNSUBSCRIBE, subscription, 0);
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

  pi_amqp_io_push_request (self->io, REQUEST_ACK, pi_amqp_subscription_ref (subscription), delivery_tag);
}

/**
 * pi_amqp_client_bind:
 * @self: a #PiAmqpClient
 * @subscription: a live subscription
 * @exchange: the exchange
 * @pattern: the routing key pattern
 * @func: (nullable): called when the binding is made or refused
 * @user_data: for @func
 *
 * Binds @subscription's queue to @exchange with @pattern, on the control
 * channel: a refusal does not end the subscription.
 */
void
pi_amqp_client_bind (PiAmqpClient       *self,
                     PiAmqpSubscription *subscription,
                     const char         *exchange,
                     const char         *pattern,
                     PiAmqpBindFunc      func,
                     gpointer            user_data)
{
  g_return_if_fail (PI_IS_AMQP_CLIENT (self));
  g_return_if_fail (subscription != NULL);
  g_return_if_fail (exchange != NULL && pattern != NULL);

  if (subscription->finished)
    return;

  pi_amqp_io_push_bind_request (self->io, REQUEST_BIND, pi_amqp_subscription_ref (subscription),
                                exchange, pattern, func, user_data);
}

/**
 * pi_amqp_client_unbind:
 * @self: a #PiAmqpClient
 * @subscription: a live subscription
 * @exchange: the exchange
 * @pattern: the routing key pattern
 *
 * Removes a binding of @subscription's queue.
 */
void
pi_amqp_client_unbind (PiAmqpClient       *self,
                       PiAmqpSubscription *subscription,
                       const char         *exchange,
                       const char         *pattern)
{
  g_return_if_fail (PI_IS_AMQP_CLIENT (self));
  g_return_if_fail (subscription != NULL);
  g_return_if_fail (exchange != NULL && pattern != NULL);

  if (subscription->finished)
    return;

  pi_amqp_io_push_bind_request (self->io, REQUEST_UNBIND, pi_amqp_subscription_ref (subscription),
                                exchange, pattern, NULL, NULL);
}

PiAmqpClientState
pi_amqp_client_get_state (PiAmqpClient *self)
{
  g_return_val_if_fail (PI_IS_AMQP_CLIENT (self), PI_AMQP_CLIENT_CONNECTING);

  return self->state;
}

guint
pi_amqp_client_get_channel_max (PiAmqpClient *self)
{
  g_return_val_if_fail (PI_IS_AMQP_CLIENT (self), 0);

  return (guint) g_atomic_int_get (&self->io->channel_max_known);
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

/* Called by the client (main context) and by the I/O thread as it ends,
 * whichever is last frees. */
void
pi_amqp_io_unref (Io *io)
{
  Outgoing *out;
  Request *request;

  if (!g_atomic_ref_count_dec (&io->ref_count))
    return;

  while ((out = g_queue_pop_head (&io->outgoing)))
    pi_amqp_outgoing_free (io, out);
  while ((out = g_queue_pop_head (&io->batch)))
    pi_amqp_outgoing_free (io, out);
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
  g_cond_clear (&io->done_cond);
  g_clear_pointer (&io->address, pi_amqp_address_free);
  g_free (io->product);
  g_free (io->unavailable_reason);
  g_free (io);
}

/* Waits at most FINALIZE_WAIT_US for the I/O thread, which may be in a
 * blocking call of librabbitmq for seconds (a connect, a login or an RPC to
 * a silent broker): it is told to quit, its socket is shut down for
 * reading, which cuts a wait for the broker short and still lets it say
 * goodbye, and it frees what it shares with the client as it ends. No
 * callback runs after this: the dispatch source goes first. */
static void
pi_amqp_client_finalize (GObject *object)
{
  PiAmqpClient *self = PI_AMQP_CLIENT (object);
  Io *io = self->io;

  if (io != NULL)
    {
      gint64 deadline = g_get_monotonic_time () + FINALIZE_WAIT_US;
      gboolean done;

      if (io->dispatch != NULL)
        g_source_destroy (io->dispatch);
      io->owner = NULL;

      g_mutex_lock (&io->lock);
      io->quit = TRUE;
      if (io->sockfd >= 0)
        shutdown (io->sockfd, SHUT_RD);
      g_mutex_unlock (&io->lock);
      pi_amqp_io_wake (io);

      /* A broker that answers lets the thread say goodbye in milliseconds:
       * wait that long, and join it, so that a program ending right after
       * (pulse-listen on Ctrl-C) ends with its TLS state freed. A silent
       * one is not waited for beyond FINALIZE_WAIT_US. */
      g_mutex_lock (&io->lock);
      while (!io->thread_done)
        if (!g_cond_wait_until (&io->done_cond, &io->lock, deadline))
          break;
      done = io->thread_done;
      g_mutex_unlock (&io->lock);

      if (done)
        g_thread_join (g_steal_pointer (&self->thread));
      else
        g_clear_pointer (&self->thread, g_thread_unref);
      g_clear_pointer (&self->io, pi_amqp_io_unref);
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
  g_atomic_ref_count_init (&io->ref_count);
  io->sockfd = -1;
  io->owner = self;
  io->wake_fds[0] = io->wake_fds[1] = -1;
  g_mutex_init (&io->lock);
  g_cond_init (&io->done_cond);
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
      io->channel_max_asked = (int) MIN (options->channel_max, 65535);
      if (options->convert_func != NULL)
        {
          io->convert_func = options->convert_func;
          io->convert_data = options->convert_data;
          io->convert_free = options->convert_free;
        }
    }

  if (!g_unix_open_pipe (io->wake_fds, O_CLOEXEC, &local_error) ||
      !g_unix_set_fd_nonblocking (io->wake_fds[0], TRUE, &local_error) ||
      !g_unix_set_fd_nonblocking (io->wake_fds[1], TRUE, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not start the broker connection: "));
      return NULL;
    }

  io->dispatch = pi_amqp_io_dispatch_source_new (io);
  g_source_attach (io->dispatch, io->context);

  /* The thread's reference. */
  g_atomic_ref_count_inc (&io->ref_count);
  self->thread = g_thread_try_new ("pi-amqp-io", pi_amqp_io_thread, io, &local_error);
  if (self->thread == NULL)
    {
      g_atomic_ref_count_dec (&io->ref_count);
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not start the broker connection: "));
      return NULL;
    }

  return g_steal_pointer (&self);
}
