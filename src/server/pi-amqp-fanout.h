/* pi-amqp-fanout.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-amqp-client.h"
#include "pi-broker.h"

G_BEGIN_DECLS

/*
 * One broker queue for every stream of a server (pulse-events --amqp, the
 * default): the queue is bound with the de-duplicated set of the streams'
 * (exchange, pattern) pairs, reference-counted, and each delivery is
 * formatted once and matched to the streams in process (pi-topic-index.c).
 * PiAmqpBroker's shared mode; callbacks run in the client's context.
 */

/* Past this many distinct patterns on one exchange, it is bound with `#`
 * alone. Measured with bench-fanout (task-group patterns, 3,000 messages/s,
 * RabbitMQ 4.0.5 on the server's 2 cores): one queue with 100 bindings kept
 * p99 at 28 ms, with 250 it reached 1.7 s and with 1,000 2.8 s, while `#`
 * alone for 1,000 streams held 197 ms. 64 leaves a margin. */
#define PI_AMQP_FANOUT_DEFAULT_COLLAPSE 64

/* The server's one queue carries the messages of every stream, so one
 * stream's --queue-length does not bound it: it holds that times
 * PI_AMQP_FANOUT_QUEUE_FACTOR, and at least PI_AMQP_FANOUT_MIN_QUEUE_LENGTH
 * (the broker drops the oldest beyond it and dead-letters them to the
 * server, which tells each stream they were meant for: `dropped`). */
#define PI_AMQP_FANOUT_QUEUE_FACTOR     10
#define PI_AMQP_FANOUT_MIN_QUEUE_LENGTH 10000

typedef struct _PiAmqpFanout       PiAmqpFanout;
typedef struct _PiAmqpFanoutStream PiAmqpFanoutStream;

/* The client's convert func in shared mode: the event, formatted once on
 * the I/O thread, and what it is matched by. */
gpointer            pi_amqp_fanout_convert     (const PiAmqpDelivery          *delivery,
                                                gsize                         *size,
                                                gpointer                       user_data);
void                pi_amqp_fanout_item_free   (gpointer                       item);

/* @client is not referenced: the fanout goes before it. @queue_length is
 * one stream's; the queue's own is sized from it (above). */
PiAmqpFanout       *pi_amqp_fanout_new         (PiAmqpClient                  *client,
                                                guint                          queue_length,
                                                guint                          collapse_threshold);
void                pi_amqp_fanout_free        (PiAmqpFanout                  *self);
/* The queue's x-max-length itself, from the next queue opened on (tests
 * and measurements: PULSE_EVENTS_AMQP_SHARED_QUEUE_LENGTH). */
void                pi_amqp_fanout_set_max_length (PiAmqpFanout               *self,
                                                   guint                       max_length);
/* Callbacks never run from inside this call. */
PiAmqpFanoutStream *pi_amqp_fanout_subscribe   (PiAmqpFanout                  *self,
                                                const PiAmqpBinding           *bindings,
                                                guint                          n_bindings,
                                                const PiSubscriptionCallbacks *callbacks,
                                                gpointer                       user_data);
/* No callback of @stream runs after this returns. */
void                pi_amqp_fanout_unsubscribe (PiAmqpFanout                  *self,
                                                PiAmqpFanoutStream            *stream);
/* Bindings the broker holds or is asked for (for logs and tests). */
guint               pi_amqp_fanout_get_n_upstream (PiAmqpFanout               *self);

G_END_DECLS
