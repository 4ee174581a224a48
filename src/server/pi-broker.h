/* pi-broker.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A broker is where subscriptions get their messages: the embedded exchange
 * or a RabbitMQ connection. Every callback runs in the GMainContext that was
 * the thread-default when the broker was created (the server's main loop).
 */

typedef struct _PiSubscription PiSubscription;

typedef struct
{
  /* The queue is declared, bound and consuming: send `ready`. */
  void (*ready)   (gpointer    user_data);
  /* One complete, framed SSE `message` event ("event: message\ndata: ...\nid: -\n\n"). */
  void (*message) (GBytes     *event,
                   gpointer    user_data);
  /* The subscription is over (bad exchange, broker lost): send `error` with
   * @text as a JSON string, then end the stream. No callback follows. */
  void (*failed)  (const char *text,
                   gpointer    user_data);
  /* The broker dropped @count messages meant for this subscription (a
   * queue's length limit): send `dropped` ("too-slow"). May be NULL where
   * a broker never drops. */
  void (*dropped) (guint64     count,
                   gpointer    user_data);
} PiSubscriptionCallbacks;

#define PI_TYPE_BROKER (pi_broker_get_type ())

G_DECLARE_DERIVABLE_TYPE (PiBroker, pi_broker, PI, BROKER, GObject)

struct _PiBrokerClass
{
  GObjectClass parent_class;

  PiSubscription *(*subscribe)   (PiBroker                      *self,
                                  GPtrArray                     *bindings,
                                  const PiSubscriptionCallbacks *callbacks,
                                  gpointer                       user_data);
  void            (*unsubscribe) (PiBroker                      *self,
                                  PiSubscription                *subscription);
  gboolean        (*publish)     (PiBroker                      *self,
                                  const char                    *exchange,
                                  const char                    *routing_key,
                                  const char * const            *routes,
                                  const char                    *payload_json,
                                  GError                       **error);
  /* For /ping: e.g. "embedded", "connected", "reconnecting". */
  const char     *(*get_state)   (PiBroker                      *self);
  /* NULL while subscriptions can be served; else why not, and in how
   * many seconds to try again. NULL (never unavailable) if not set. */
  char           *(*dup_unavailable_reason) (PiBroker           *self,
                                             guint              *retry_after);
};

PiSubscription *pi_broker_subscribe   (PiBroker                      *self,
                                       GPtrArray                     *bindings,
                                       const PiSubscriptionCallbacks *callbacks,
                                       gpointer                       user_data);
void            pi_broker_unsubscribe (PiBroker                      *self,
                                       PiSubscription                *subscription);
gboolean        pi_broker_publish     (PiBroker                      *self,
                                       const char                    *exchange,
                                       const char                    *routing_key,
                                       const char * const            *routes,
                                       const char                    *payload_json,
                                       GError                       **error);
const char     *pi_broker_get_state   (PiBroker                      *self);
char           *pi_broker_dup_unavailable_reason (PiBroker            *self,
                                                  guint               *retry_after);

G_END_DECLS
