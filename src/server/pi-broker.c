/* pi-broker.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-broker"

#include "config.h"

#include "pi-broker.h"

G_DEFINE_ABSTRACT_TYPE (PiBroker, pi_broker, G_TYPE_OBJECT)

static void
pi_broker_class_init (PiBrokerClass *klass)
{
}

static void
pi_broker_init (PiBroker *self)
{
}

/**
 * pi_broker_subscribe:
 * @self: a #PiBroker
 * @bindings: (element-type PiBinding): what to bind
 * @callbacks: (not nullable): called in the broker's main context
 * @user_data: passed to @callbacks
 *
 * Starts a subscription. Its `ready` or `failed` callback follows later,
 * never from inside this call.
 *
 * Returns: (transfer none): a handle for pi_broker_unsubscribe()
 */
PiSubscription *
pi_broker_subscribe (PiBroker                      *self,
                     GPtrArray                     *bindings,
                     const PiSubscriptionCallbacks *callbacks,
                     gpointer                       user_data)
{
  g_return_val_if_fail (PI_IS_BROKER (self), NULL);
  g_return_val_if_fail (bindings != NULL, NULL);
  g_return_val_if_fail (callbacks != NULL, NULL);

  return PI_BROKER_GET_CLASS (self)->subscribe (self, bindings, callbacks, user_data);
}

/**
 * pi_broker_unsubscribe:
 * @self: a #PiBroker
 * @subscription: (transfer full): from pi_broker_subscribe()
 *
 * Ends a subscription and frees everything it holds, its broker queue
 * included. No callback runs for it afterwards. Valid after `failed` too.
 */
void
pi_broker_unsubscribe (PiBroker       *self,
                       PiSubscription *subscription)
{
  g_return_if_fail (PI_IS_BROKER (self));
  g_return_if_fail (subscription != NULL);

  PI_BROKER_GET_CLASS (self)->unsubscribe (self, subscription);
}

/**
 * pi_broker_publish:
 * @self: a #PiBroker
 * @exchange: exchange name
 * @routing_key: routing key
 * @routes: (nullable) (array zero-terminated=1): routes, without `route.`
 * @payload_json: the payload, as JSON text
 * @error: a #GError
 *
 * Publishes a message, for brokers that accept it (the embedded exchange).
 *
 * Returns: %TRUE if the message was published
 */
gboolean
pi_broker_publish (PiBroker            *self,
                   const char          *exchange,
                   const char          *routing_key,
                   const char * const  *routes,
                   const char          *payload_json,
                   GError             **error)
{
  g_return_val_if_fail (PI_IS_BROKER (self), FALSE);
  g_return_val_if_fail (exchange != NULL, FALSE);
  g_return_val_if_fail (routing_key != NULL, FALSE);
  g_return_val_if_fail (payload_json != NULL, FALSE);

  if (PI_BROKER_GET_CLASS (self)->publish == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Publishing is only available on the embedded exchange");
      return FALSE;
    }

  return PI_BROKER_GET_CLASS (self)->publish (self, exchange, routing_key, routes, payload_json, error);
}

/**
 * pi_broker_get_state:
 * @self: a #PiBroker
 *
 * Returns: the broker's state in one word, for `/ping`
 */
const char *
pi_broker_get_state (PiBroker *self)
{
  g_return_val_if_fail (PI_IS_BROKER (self), NULL);

  return PI_BROKER_GET_CLASS (self)->get_state (self);
}

/**
 * pi_broker_dup_unavailable_reason:
 * @self: a #PiBroker
 * @retry_after: (out) (optional): seconds until the broker tries again,
 *   at least 1
 *
 * Tells whether a subscription started now could be served: a broker that
 * is not connected (still connecting, or reconnecting after a loss) would
 * only refuse it.
 *
 * Returns: (transfer full) (nullable): %NULL if subscriptions can be
 *   served, else why not, in words
 */
char *
pi_broker_dup_unavailable_reason (PiBroker *self,
                                  guint    *retry_after)
{
  PiBrokerClass *klass;

  g_return_val_if_fail (PI_IS_BROKER (self), NULL);

  if (retry_after != NULL)
    *retry_after = 0;

  klass = PI_BROKER_GET_CLASS (self);
  if (klass->dup_unavailable_reason == NULL)
    return NULL;

  return klass->dup_unavailable_reason (self, retry_after);
}
