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

  /* A bounded batch per turn, so that HTTP clients are served between two. */
  g_mutex_lock (&io->lock);
  while (batch.length < DISPATCH_BATCH && (out = g_queue_pop_head (&io->outgoing)))
    {
      io->outgoing_bytes -= outgoing_size (out);
      g_queue_push_tail (&batch, out);
    }
  more = io->outgoing.length > 0;
  if (!more)
    g_clear_pointer (&io->dispatch, g_source_unref);
  if (io->reader_paused && io->outgoing_bytes < OUTGOING_LOW_WATER)
    {
      io->reader_paused = FALSE;
      resume = TRUE;
    }
  g_mutex_unlock (&io->lock);

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

  return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
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

  g_mutex_lock (&io->lock);
  g_queue_push_tail (&io->outgoing, out);
  io->outgoing_bytes += outgoing_size (out);
  /* One idle source while the queue is not empty, not one per message. */
  if (io->dispatch == NULL && !io->quit)
    {
      io->dispatch = g_idle_source_new ();
      g_source_set_priority (io->dispatch, G_PRIORITY_DEFAULT);
      g_source_set_static_name (io->dispatch, "[pi-amqp] dispatch");
      g_source_set_callback (io->dispatch, dispatch_outgoing, io, NULL);
      g_source_attach (io->dispatch, io->context);
    }
  g_mutex_unlock (&io->lock);
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

static void
io_free (Io *io)
{
  Outgoing *out;
  Request *request;

  while ((out = g_queue_pop_head (&io->outgoing)))
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
  g_free (io->last_error);
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
