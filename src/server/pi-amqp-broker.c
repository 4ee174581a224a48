/* pi-amqp-broker.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib-unix.h>

#include "pi-amqp-private.h"
#include "pi-binding.h"

/* A RabbitMQ connection behind the PiBroker interface: the object, and the
 * queues between the main context and the I/O thread (pi-amqp-io.c). */

struct _PiAmqpBroker
{
  PiBroker  parent_instance;

  Io       *io;
  GThread  *thread;
  char     *location;
};

G_DEFINE_FINAL_TYPE (PiAmqpBroker, pi_amqp_broker, PI_TYPE_BROKER)

/* --- subscriptions -------------------------------------------------------- */

PiSubscription *
pi_amqp_subscription_ref (PiSubscription *sub)
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
pi_amqp_subscription_unref (PiSubscription *sub)
{
  if (g_atomic_ref_count_dec (&sub->ref_count))
    {
      g_array_unref (sub->bindings);
      g_free (sub);
    }
}

gboolean
pi_amqp_subscription_is_cancelled (PiSubscription *sub)
{
  return g_atomic_int_get (&sub->cancelled) != 0;
}

/* --- the main-context side of the outgoing queue --------------------------- */

static void
outgoing_free (Outgoing *out)
{
  pi_amqp_subscription_unref (out->sub);
  g_clear_pointer (&out->event, g_bytes_unref);
  g_free (out->text);
  g_free (out);
}

static gsize
outgoing_size (Outgoing *out)
{
  return sizeof *out + (out->event != NULL ? g_bytes_get_size (out->event) : 0);
}

static void
io_wake (Io *io)
{
  static const char byte = 1;

  /* A full pipe already means "wake up": EAGAIN is fine. */
  while (write (io->wake_fds[1], &byte, 1) < 0 && errno == EINTR)
    ;
}

static gboolean
dispatch_outgoing (gpointer data)
{
  Io *io = data;
  GQueue batch = G_QUEUE_INIT;
  gboolean more, resume = FALSE;
  Outgoing *out;

  /* Disarmed before looking at the queue: the I/O thread re-arms it only
   * after seeing dispatch_armed cleared under the lock, so no hand-over
   * between the two can go unnoticed. */
  g_source_set_ready_time (io->dispatch, -1);

  /* A bounded batch per turn, so that HTTP clients are served between two. */
  g_mutex_lock (&io->lock);
  while (batch.length < DISPATCH_BATCH && (out = g_queue_pop_head (&io->outgoing)))
    {
      io->outgoing_bytes -= outgoing_size (out);
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

  while ((out = g_queue_pop_head (&batch)))
    {
      PiSubscription *sub = out->sub;

      /* `finished` is only touched in this context, so checking it here
       * cannot race with pi_broker_unsubscribe(): after it, nothing runs. */
      if (!sub->finished)
        {
          switch (out->kind)
            {
            case OUTGOING_READY:
              sub->callbacks.ready (sub->user_data);
              break;

            case OUTGOING_MESSAGE:
              sub->callbacks.message (out->event, sub->user_data);
              break;

            case OUTGOING_FAILED:
              sub->finished = TRUE;
              sub->callbacks.failed (out->text, sub->user_data);
              break;

            default:
              g_assert_not_reached ();
            }
        }

      outgoing_free (out);
    }

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
 * batch with a `ready` or `failed` in it is dispatched at once; deliveries
 * wait DISPATCH_DELAY_US for others to join them. */
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

/* Called on the I/O thread. Takes @event and @text. */
void
pi_amqp_io_emit (Io             *io,
                 PiSubscription *sub,
                 OutgoingKind    kind,
                 GBytes         *event,
                 char           *text)
{
  Outgoing *out = g_new0 (Outgoing, 1);

  out->kind = kind;
  out->sub = pi_amqp_subscription_ref (sub);
  out->event = event;
  out->text = text;

  /* Order is kept: everything goes through the one batch. */
  g_queue_push_tail (&io->batch, out);
  io->batch_bytes += outgoing_size (out);

  if (kind != OUTGOING_MESSAGE)
    io_hand_over (io, TRUE);
  else if (io->batch.length >= FLUSH_BATCH)
    io_hand_over (io, FALSE);
}

void
pi_amqp_io_fail (Io             *io,
                 PiSubscription *sub,
                 char           *text)
{
  g_debug ("Subscription %p failed: %s", sub, text);
  pi_amqp_io_emit (io, sub, OUTGOING_FAILED, NULL, text);
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
io_push_request (Io             *io,
                 RequestKind     kind,
                 PiSubscription *sub)
{
  Request *request = g_new0 (Request, 1);

  request->kind = kind;
  request->sub = sub;

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

/* --- PiBroker -------------------------------------------------------------- */

static PiSubscription *
pi_amqp_broker_subscribe (PiBroker                      *broker,
                          GPtrArray                     *bindings,
                          const PiSubscriptionCallbacks *callbacks,
                          gpointer                       user_data)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (broker);
  PiSubscription *sub = g_new0 (PiSubscription, 1);

  g_atomic_ref_count_init (&sub->ref_count);
  sub->callbacks = *callbacks;
  sub->user_data = user_data;
  sub->bindings = g_array_sized_new (FALSE, TRUE, sizeof (Binding), bindings->len);
  g_array_set_clear_func (sub->bindings, binding_clear);

  /* Plain copies: the I/O thread must not touch the caller's objects. */
  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);
      Binding copy;

      copy.exchange = g_strdup (pi_binding_get_exchange (binding));
      copy.pattern = g_strdup (pi_binding_get_routing_key_pattern (binding));
      g_array_append_val (sub->bindings, copy);
    }

  /* One reference for the caller's handle, one for the request. */
  io_push_request (self->io, REQUEST_SUBSCRIBE, pi_amqp_subscription_ref (sub));

  return sub;
}

static void
pi_amqp_broker_unsubscribe (PiBroker       *broker,
                            PiSubscription *sub)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (broker);

  sub->finished = TRUE;
  g_atomic_int_set (&sub->cancelled, 1);

  /* The request takes over the caller's reference. */
  io_push_request (self->io, REQUEST_UNSUBSCRIBE, sub);
}

static const char *
pi_amqp_broker_get_state (PiBroker *broker)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (broker);

  switch ((BrokerState) g_atomic_int_get (&self->io->state))
    {
    case STATE_CONNECTING:
      return "connecting";
    case STATE_CONNECTED:
      return "connected";
    case STATE_RECONNECTING:
      return "reconnecting";
    default:
      g_assert_not_reached ();
    }
}

static char *
pi_amqp_broker_dup_unavailable_reason (PiBroker *broker,
                                       guint    *retry_after)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (broker);
  Io *io = self->io;
  char *reason;
  gint64 wait;

  if ((BrokerState) g_atomic_int_get (&io->state) == STATE_CONNECTED)
    return NULL;

  g_mutex_lock (&io->lock);
  if (io->unavailable_reason != NULL)
    reason = g_strdup (io->unavailable_reason);
  else
    reason = g_strdup_printf ("Still connecting to the broker at %s:%d", io->host, io->port);
  wait = io->next_attempt_at - g_get_monotonic_time ();
  g_mutex_unlock (&io->lock);

  /* An attempt under way may succeed any moment: 1 s, the least. */
  if (retry_after != NULL)
    *retry_after = (guint) CLAMP ((wait + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 1, G_MAXUINT);

  return reason;
}

static void
io_free (Io *io)
{
  Outgoing *out;
  Request *request;

  while ((out = g_queue_pop_head (&io->outgoing)))
    outgoing_free (out);
  while ((out = g_queue_pop_head (&io->batch)))
    outgoing_free (out);
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
  g_free (io->host);
  g_free (io->user);
  g_free (io->password);
  g_free (io->vhost);
  g_free (io->unavailable_reason);
  g_free (io);
}

static void
pi_amqp_broker_finalize (GObject *object)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (object);

  if (self->thread != NULL)
    {
      g_mutex_lock (&self->io->lock);
      self->io->quit = TRUE;
      g_mutex_unlock (&self->io->lock);
      io_wake (self->io);
      g_thread_join (self->thread);
    }

  g_clear_pointer (&self->io, io_free);
  g_free (self->location);

  G_OBJECT_CLASS (pi_amqp_broker_parent_class)->finalize (object);
}

static void
pi_amqp_broker_class_init (PiAmqpBrokerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PiBrokerClass *broker_class = PI_BROKER_CLASS (klass);

  object_class->finalize = pi_amqp_broker_finalize;

  broker_class->subscribe = pi_amqp_broker_subscribe;
  broker_class->unsubscribe = pi_amqp_broker_unsubscribe;
  broker_class->get_state = pi_amqp_broker_get_state;
  broker_class->dup_unavailable_reason = pi_amqp_broker_dup_unavailable_reason;
}

static void
pi_amqp_broker_init (PiAmqpBroker *self)
{
}

/**
 * pi_amqp_broker_new:
 * @url: `amqp://user:password@host:port/vhost` or `amqps://...`
 * @queue_length: `x-max-length` of each subscription's queue, 0 for the default
 * @error: a #GError
 *
 * Creates a broker that bridges a RabbitMQ server. It connects in the
 * background (and reconnects after a loss, backing off from 0.5 s to 30 s);
 * callbacks run in the thread-default main context of the caller. Each
 * subscription gets its own channel and an exclusive, auto-delete,
 * server-named queue limited to @queue_length messages. Heartbeats are 30 s
 * unless `PULSE_EVENTS_AMQP_HEARTBEAT` says otherwise (seconds, 0 for none).
 *
 * Returns: (transfer full): the broker, or %NULL if @url is not valid
 */
PiBroker *
pi_amqp_broker_new (const char  *url,
                    guint        queue_length,
                    GError     **error)
{
  g_autoptr(PiAmqpBroker) self = NULL;
  g_autofree char *copy = NULL;
  g_autoptr(GError) local_error = NULL;
  struct amqp_connection_info info;
  Io *io;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  copy = g_strdup (url);
  amqp_default_connection_info (&info);
  if (!(g_str_has_prefix (url, "amqp://") || g_str_has_prefix (url, "amqps://")) ||
      amqp_parse_url (copy, &info) != AMQP_STATUS_OK ||
      info.host == NULL || info.host[0] == '\0' ||
      info.port <= 0 || info.port > 65535)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a valid broker URL: expected amqp://user:password@host:port/vhost "
                   "(or amqps:// for TLS)", url);
      return NULL;
    }

  self = g_object_new (PI_TYPE_AMQP_BROKER, NULL);
  self->io = io = g_new0 (Io, 1);
  io->wake_fds[0] = io->wake_fds[1] = -1;
  g_mutex_init (&io->lock);
  g_queue_init (&io->requests);
  g_queue_init (&io->outgoing);
  g_queue_init (&io->batch);
  io->subs = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) pi_amqp_subscription_unref);
  io->context = g_main_context_ref_thread_default ();
  io->host = g_strdup (info.host);
  io->port = info.port;
  io->user = g_strdup (info.user);
  io->password = g_strdup (info.password);
  /* "amqp://host:5672/" parses to the empty vhost name, which nobody means
   * and RabbitMQ does not have: take it as the default vhost "/". */
  io->vhost = g_strdup (info.vhost != NULL && info.vhost[0] != '\0' ? info.vhost : "/");
  io->ssl = info.ssl;
  io->queue_length = queue_length > 0 ? queue_length : PI_AMQP_BROKER_DEFAULT_QUEUE_LENGTH;
  io->state = STATE_CONNECTING;
  /* Heartbeats are how a frozen broker or a dead network path is noticed:
   * after two silent intervals. Tests shorten them. */
  io->heartbeat = HEARTBEAT_SECONDS;
  if (g_getenv ("PULSE_EVENTS_AMQP_HEARTBEAT") != NULL)
    io->heartbeat = CLAMP (atoi (g_getenv ("PULSE_EVENTS_AMQP_HEARTBEAT")), 0, 3600);

  self->location = g_strdup_printf ("%s://%s@%s:%d/%s", io->ssl ? "amqps" : "amqp",
                                    io->user, io->host, io->port,
                                    g_str_equal (io->vhost, "/") ? "" : io->vhost);

  if (!g_unix_open_pipe (io->wake_fds, FD_CLOEXEC, &local_error) ||
      !g_unix_set_fd_nonblocking (io->wake_fds[0], TRUE, &local_error) ||
      !g_unix_set_fd_nonblocking (io->wake_fds[1], TRUE, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "Could not start the broker connection: ");
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
                                  "Could not start the broker connection: ");
      return NULL;
    }

  return PI_BROKER (g_steal_pointer (&self));
}

/**
 * pi_amqp_broker_get_location:
 * @self: a #PiAmqpBroker
 *
 * Returns: the broker's URL without the password, for logs
 */
const char *
pi_amqp_broker_get_location (PiAmqpBroker *self)
{
  g_return_val_if_fail (PI_IS_AMQP_BROKER (self), NULL);

  return self->location;
}
