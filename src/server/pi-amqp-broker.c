/* pi-amqp-broker.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <stdlib.h>

#include "pi-amqp-broker.h"
#include "pi-amqp-client.h"
#include "pi-amqp-fanout.h"
#include "pi-binding.h"
#include "pi-event-format.h"

/* A RabbitMQ broker behind the PiBroker interface: a PiAmqpClient whose I/O
 * thread formats each delivery as the SSE event the streams send. Shared
 * mode (pulse-events' default): one queue for the server, fanned out in
 * process (pi-amqp-fanout.c). Per-stream mode: one queue per stream, all
 * bindings or none (events v1). */

/* Per-stream mode: each stream's queue takes a channel, and a connection
 * has channel_max of them (2047 on RabbitMQ, fewer where the operator says
 * so), one its client's own. Past that, streams go to another connection
 * to the same broker, opened when needed and closed with its last stream.
 * (Shared mode takes three channels whatever the number of streams.) */
typedef struct
{
  PiAmqpClient *client;
  guint         n_streams;
} Connection;

struct _PiAmqpBroker
{
  PiBroker             parent_instance;

  PiAmqpClient        *client;       /* the first connection's: /ping, 503s */
  PiAmqpFanout        *fanout;       /* shared mode, else NULL */
  GPtrArray           *connections;  /* per-stream mode: Connection, the first client's first */
  PiAmqpAddress       *address;
  PiAmqpClientOptions  client_options;
  char                *location;
  guint                queue_length;
};

G_DEFINE_FINAL_TYPE (PiAmqpBroker, pi_amqp_broker, PI_TYPE_BROKER)

/* One stream's subscription. Shared with the deliveries callback, which
 * may see the stream unsubscribe in the middle of a batch. */
struct _PiSubscription
{
  PiAmqpSubscription      *amqp;
  Connection              *connection; /* per-stream mode */
  PiAmqpFanoutStream      *stream;    /* shared mode */
  PiSubscriptionCallbacks  callbacks;
  gpointer                 user_data;
  gboolean                 finished;
};

static void
subscription_ready_cb (gpointer user_data)
{
  PiSubscription *sub = user_data;

  sub->callbacks.ready (sub->user_data);
}

static void
subscription_deliveries_cb (GPtrArray *items,
                            guint64    last_tag,
                            gpointer   user_data)
{
  PiSubscription *sub = g_rc_box_acquire (user_data);

  for (guint i = 0; i < items->len && !sub->finished; i++)
    sub->callbacks.message (g_ptr_array_index (items, i), sub->user_data);

  g_rc_box_release (sub);
}

static void
subscription_failed_cb (const char    *text,
                        PiAmqpFailure  failure,
                        gpointer       user_data)
{
  PiSubscription *sub = user_data;

  sub->callbacks.failed (text, sub->user_data);
}

static const PiAmqpSubscriptionCallbacks subscription_callbacks = {
  .ready = subscription_ready_cb,
  .deliveries = subscription_deliveries_cb,
  .failed = subscription_failed_cb,
};

static void
connection_free (gpointer data)
{
  Connection *connection = data;

  g_object_unref (connection->client);
  g_free (connection);
}

/* Streams a connection takes: one channel each, less the client's own. The
 * broker's limit is known once the connection is up; meanwhile the first
 * connection's, or RabbitMQ's default. */
static guint
connection_capacity (PiAmqpBroker *self,
                     Connection   *connection)
{
  guint channel_max = pi_amqp_client_get_channel_max (connection->client);

  if (channel_max == 0)
    channel_max = pi_amqp_client_get_channel_max (self->client);
  if (channel_max == 0)
    channel_max = self->client_options.channel_max > 0 ? self->client_options.channel_max : 2047;

  return MAX (channel_max, 2) - 1;
}

/* Per-stream mode opens another connection when one's channels are all
 * taken, up to this many in all. */
#define PI_AMQP_BROKER_MAX_CONNECTIONS 16

/* The first connection with a channel to spare, or a new one. */
static Connection *
connection_for_stream (PiAmqpBroker *self)
{
  g_autoptr(GError) error = NULL;
  Connection *connection;
  PiAmqpClient *client;

  for (guint i = 0; i < self->connections->len; i++)
    {
      connection = g_ptr_array_index (self->connections, i);
      if (connection->n_streams < connection_capacity (self, connection))
        return connection;
    }

  /* Bounded, as a broker bounds a user's connections: past that the first
   * connection refuses the stream in words ("Too many subscriptions"). */
  if (self->connections->len >= PI_AMQP_BROKER_MAX_CONNECTIONS)
    {
      g_message ("Not opening another connection to the broker: %u are open, the most this server opens; "
                 "the stream is refused", self->connections->len);
      return g_ptr_array_index (self->connections, 0);
    }

  /* Never fails but for the process's resources: then the first connection
   * refuses the stream in words ("Too many subscriptions"). */
  if (!(client = pi_amqp_client_new (self->address, &self->client_options, &error)))
    {
      g_warning ("Could not open another connection to the broker: %s", error->message);
      return g_ptr_array_index (self->connections, 0);
    }

  connection = g_new0 (Connection, 1);
  connection->client = client;
  g_ptr_array_add (self->connections, connection);
  g_message ("Opening connection %u to the broker: the others carry %u streams each, as many as their channels allow",
             self->connections->len, connection_capacity (self, g_ptr_array_index (self->connections, 0)));

  return connection;
}

static PiSubscription *
pi_amqp_broker_subscribe (PiBroker                      *broker,
                          GPtrArray                     *bindings,
                          const PiSubscriptionCallbacks *callbacks,
                          gpointer                       user_data)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (broker);
  const PiAmqpAddress *address = pi_amqp_client_get_address (self->client);
  g_autofree PiAmqpBinding *amqp_bindings = g_new0 (PiAmqpBinding, MAX (bindings->len, 1));
  g_autofree char *queue_name = NULL;
  PiAmqpQueueOptions options = { 0 };
  PiSubscription *sub;

  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);

      amqp_bindings[i].exchange = pi_binding_get_exchange (binding);
      amqp_bindings[i].pattern = pi_binding_get_routing_key_pattern (binding);
    }

  /* Named as Mozilla Pulse requires (PulseGuardian lets a user create only
   * queue/USER/…), which any other RabbitMQ takes as well. */
  queue_name = pi_amqp_pulse_queue_name (address->user, "pulse-events");
  options.queue_name = queue_name;
  options.max_length = self->queue_length;
  /* No acks: the HTTP front bounds and counts what a slow client cannot
   * take (the `dropped` event). */
  options.prefetch = 0;
  options.all_or_nothing = TRUE;

  sub = g_rc_box_new0 (PiSubscription);
  sub->callbacks = *callbacks;
  sub->user_data = user_data;
  if (self->fanout != NULL)
    {
      sub->stream = pi_amqp_fanout_subscribe (self->fanout, amqp_bindings, bindings->len, callbacks, user_data);
      return sub;
    }
  sub->connection = connection_for_stream (self);
  sub->connection->n_streams++;
  sub->amqp = pi_amqp_client_subscribe (sub->connection->client, amqp_bindings, bindings->len, &options,
                                        &subscription_callbacks, sub);

  return sub;
}

static void
pi_amqp_broker_unsubscribe (PiBroker       *broker,
                            PiSubscription *sub)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (broker);

  sub->finished = TRUE;
  if (sub->stream != NULL)
    {
      pi_amqp_fanout_unsubscribe (self->fanout, sub->stream);
    }
  else
    {
      Connection *connection = sub->connection;

      pi_amqp_client_unsubscribe (connection->client, sub->amqp);
      /* An extra connection goes with its last stream. */
      if (--connection->n_streams == 0 && connection->client != self->client)
        {
          guint index = 0;

          g_ptr_array_find (self->connections, connection, &index);
          g_message ("Closing connection %u to the broker: its last stream is gone", index + 1);
          g_ptr_array_remove_index (self->connections, index);
        }
    }
  g_rc_box_release (sub);
}

static const char *
pi_amqp_broker_get_state (PiBroker *broker)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (broker);

  switch (pi_amqp_client_get_state (self->client))
    {
    case PI_AMQP_CLIENT_CONNECTING:
      return "connecting";
    case PI_AMQP_CLIENT_CONNECTED:
      return "connected";
    case PI_AMQP_CLIENT_RECONNECTING:
      return "reconnecting";
    case PI_AMQP_CLIENT_FAILED:
      return "failed";
    default:
      g_assert_not_reached ();
    }
}

static char *
pi_amqp_broker_dup_unavailable_reason (PiBroker *broker,
                                       guint    *retry_after)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (broker);
  char *reason = pi_amqp_client_dup_unavailable_reason (self->client, retry_after);

  /* Refused for good (the login): the operator must restart the server
   * with other settings; clients may as well come back in a while. */
  if (reason != NULL && retry_after != NULL && *retry_after == 0)
    *retry_after = 60;

  return reason;
}

/* Runs on the client's I/O thread: the stream's bytes, ready to write. */
static gpointer
format_event (const PiAmqpDelivery *delivery,
              gsize                *size,
              gpointer              user_data)
{
  GBytes *event = pi_event_format_message (delivery->exchange, delivery->routing_key, delivery->routes,
                                           delivery->redelivered, (const char *) delivery->body,
                                           delivery->body_len);

  *size = g_bytes_get_size (event);
  return event;
}

static void
pi_amqp_broker_finalize (GObject *object)
{
  PiAmqpBroker *self = PI_AMQP_BROKER (object);

  g_clear_pointer (&self->fanout, pi_amqp_fanout_free);
  g_clear_pointer (&self->connections, g_ptr_array_unref);
  g_clear_object (&self->client);
  g_clear_pointer (&self->address, pi_amqp_address_free);
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

static PiBroker *
amqp_broker_new (const char  *url,
                 guint        queue_length,
                 gboolean     shared,
                 GError     **error)
{
  g_autoptr(PiAmqpBroker) self = NULL;
  g_autoptr(PiAmqpAddress) address = NULL;
  PiAmqpClientOptions options = { 0 };
  const char *heartbeat = g_getenv ("PULSE_EVENTS_AMQP_HEARTBEAT");
  const char *collapse = g_getenv ("PULSE_EVENTS_AMQP_COLLAPSE");
  const char *shared_length = g_getenv ("PULSE_EVENTS_AMQP_SHARED_QUEUE_LENGTH");
  const char *channel_max = g_getenv ("PULSE_EVENTS_AMQP_CHANNEL_MAX");

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(address = pi_amqp_address_parse (url, error)))
    return NULL;

  /* Tests shorten the heartbeats. */
  if (heartbeat != NULL)
    {
      int seconds = CLAMP (atoi (heartbeat), 0, 3600);
      options.heartbeat = seconds == 0 ? PI_AMQP_HEARTBEAT_NONE : (guint) seconds;
    }
  options.product = "pulse-events";
  /* Tests make a connection run out of channels. */
  if (channel_max != NULL)
    options.channel_max = (guint) CLAMP (atoi (channel_max), 0, 65535);
  if (shared)
    {
      options.convert_func = pi_amqp_fanout_convert;
      options.convert_free = pi_amqp_fanout_item_free;
    }
  else
    {
      options.convert_func = format_event;
      options.convert_free = (GDestroyNotify) g_bytes_unref;
    }

  self = g_object_new (PI_TYPE_AMQP_BROKER, NULL);
  self->queue_length = queue_length > 0 ? queue_length : PI_AMQP_BROKER_DEFAULT_QUEUE_LENGTH;
  self->location = pi_amqp_address_to_string (address);
  if (!(self->client = pi_amqp_client_new (address, &options, error)))
    return NULL;
  self->address = g_steal_pointer (&address);
  self->client_options = options;
  self->connections = g_ptr_array_new_with_free_func (connection_free);
  if (!shared)
    {
      Connection *first = g_new0 (Connection, 1);

      first->client = g_object_ref (self->client);
      g_ptr_array_add (self->connections, first);
    }
  /* Measurements try other thresholds. */
  if (shared)
    self->fanout = pi_amqp_fanout_new (self->client, self->queue_length,
                                       collapse != NULL ? (guint) CLAMP (atoi (collapse), 0, G_MAXINT) : 0);
  /* Tests make the shared queue overflow. */
  if (shared && shared_length != NULL && atoi (shared_length) > 0)
    pi_amqp_fanout_set_max_length (self->fanout, (guint) atoi (shared_length));

  return PI_BROKER (g_steal_pointer (&self));
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
 * subscription gets its own channel (on another connection to the same
 * broker once one has no channel left) and an exclusive, auto-delete queue
 * named queue/USER/pulse-events-RANDOM (Mozilla Pulse's rule) and limited to
 * @queue_length messages. Heartbeats are 30 s unless
 * `PULSE_EVENTS_AMQP_HEARTBEAT` says otherwise (seconds, 0 for none).
 *
 * Returns: (transfer full): the broker, or %NULL if @url is not valid
 */
PiBroker *
pi_amqp_broker_new (const char  *url,
                    guint        queue_length,
                    GError     **error)
{
  return amqp_broker_new (url, queue_length, FALSE, error);
}

/**
 * pi_amqp_broker_new_shared:
 * @url: `amqp://user:password@host:port/vhost` or `amqps://...`
 * @queue_length: one stream's queue length, 0 for the default; the one
 *   queue's `x-max-length` is %PI_AMQP_FANOUT_QUEUE_FACTOR times that, and
 *   at least %PI_AMQP_FANOUT_MIN_QUEUE_LENGTH
 * @error: a #GError
 *
 * As pi_amqp_broker_new(), but every subscription is served from one queue
 * (queue/USER/pulse-events-RANDOM, while there are subscriptions and
 * a moment after), bound with the distinct bindings of all of them and
 * matched to each in process. An exchange with more than
 * %PI_AMQP_FANOUT_DEFAULT_COLLAPSE distinct patterns (or
 * `PULSE_EVENTS_AMQP_COLLAPSE`) is bound with `#`.
 *
 * Returns: (transfer full): the broker, or %NULL if @url is not valid
 */
PiBroker *
pi_amqp_broker_new_shared (const char  *url,
                           guint        queue_length,
                           GError     **error)
{
  return amqp_broker_new (url, queue_length, TRUE, error);
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
