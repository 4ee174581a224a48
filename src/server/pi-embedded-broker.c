/* pi-embedded-broker.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-embedded-broker"

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-embedded-broker.h"
#include "pi-event-format.h"
#include "pi-topic-index.h"

/*
 * An in-process topic exchange with RabbitMQ's topic semantics. Every
 * exchange name exists implicitly (there is no declare step), so only
 * malformed names and patterns fail. Matching is pi-topic-index.c's.
 */

struct _PiSubscription
{
  PiEmbeddedBroker        *broker;
  GPtrArray               *bindings;
  PiSubscriptionCallbacks  callbacks;
  gpointer                 user_data;
  GSource                 *ready_source;
  char                    *failure;
  PiTopicTarget           *target;
  gboolean                 dead;
};

struct _PiEmbeddedBroker
{
  PiBroker      parent_instance;

  GMainContext *context;
  PiTopicIndex *index;
  GHashTable   *subscriptions;  /* set of live PiSubscription */
  GPtrArray    *graveyard;      /* unsubscribed while delivering */
  guint         delivering;
  guint64       n_published;
};

G_DEFINE_FINAL_TYPE (PiEmbeddedBroker, pi_embedded_broker, PI_TYPE_BROKER)

static void
subscription_free (PiSubscription *sub)
{
  if (sub->ready_source != NULL)
    {
      g_source_destroy (sub->ready_source);
      g_source_unref (sub->ready_source);
    }
  g_ptr_array_unref (sub->bindings);
  g_free (sub->failure);
  g_free (sub);
}

static gboolean
subscription_ready_cb (gpointer user_data)
{
  PiSubscription *sub = user_data;
  PiEmbeddedBroker *self = sub->broker;

  g_clear_pointer (&sub->ready_source, g_source_unref);

  if (sub->failure != NULL)
    {
      /* The subscription is over; it stays allocated until unsubscribe,
       * which the callback may well call: keep the text alive. */
      g_autofree char *failure = g_steal_pointer (&sub->failure);

      sub->dead = TRUE;
      sub->callbacks.failed (failure, sub->user_data);
      return G_SOURCE_REMOVE;
    }

  /* Bind only now, so that no message arrives before `ready`. */
  sub->target = pi_topic_index_add_target (self->index, sub);
  for (guint i = 0; i < sub->bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (sub->bindings, i);

      pi_topic_index_bind (self->index, sub->target, pi_binding_get_exchange (binding),
                           pi_binding_get_routing_key_pattern (binding));
    }

  sub->callbacks.ready (sub->user_data);

  return G_SOURCE_REMOVE;
}

static PiSubscription *
pi_embedded_broker_subscribe (PiBroker                      *broker,
                              GPtrArray                     *bindings,
                              const PiSubscriptionCallbacks *callbacks,
                              gpointer                       user_data)
{
  PiEmbeddedBroker *self = PI_EMBEDDED_BROKER (broker);
  PiSubscription *sub = g_new0 (PiSubscription, 1);

  sub->broker = self;
  sub->bindings = g_ptr_array_ref (bindings);
  sub->callbacks = *callbacks;
  sub->user_data = user_data;

  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);
      g_autoptr(GError) error = NULL;

      if (!pi_binding_validate (binding, &error))
        {
          /* Worded like RabbitMQ's channel errors, which is what a client
           * of a real broker would see for a name it cannot use. */
          sub->failure = g_strdup_printf ("PRECONDITION_FAILED - %s", error->message);
          break;
        }
    }

  sub->ready_source = g_idle_source_new ();
  g_source_set_priority (sub->ready_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (sub->ready_source, subscription_ready_cb, sub, NULL);
  g_source_set_static_name (sub->ready_source, "[pi] subscription ready");
  g_source_attach (sub->ready_source, self->context);

  g_hash_table_add (self->subscriptions, sub);

  return sub;
}

static void
pi_embedded_broker_unsubscribe (PiBroker       *broker,
                                PiSubscription *sub)
{
  PiEmbeddedBroker *self = PI_EMBEDDED_BROKER (broker);

  g_return_if_fail (sub->broker == self);

  if (!g_hash_table_remove (self->subscriptions, sub))
    {
      g_critical ("Unknown subscription %p", sub);
      return;
    }

  pi_topic_index_remove_target (self->index, g_steal_pointer (&sub->target));

  if (sub->ready_source != NULL)
    {
      g_source_destroy (sub->ready_source);
      g_clear_pointer (&sub->ready_source, g_source_unref);
    }

  sub->dead = TRUE;

  /* A delivery loop may still hold a pointer to it. */
  if (self->delivering > 0)
    g_ptr_array_add (self->graveyard, sub);
  else
    subscription_free (sub);
}

static gboolean
pi_embedded_broker_publish (PiBroker            *broker,
                            const char          *exchange_name,
                            const char          *routing_key,
                            const char * const  *routes,
                            const char          *payload_json,
                            GError             **error)
{
  PiEmbeddedBroker *self = PI_EMBEDDED_BROKER (broker);
  g_autoptr(GPtrArray) matches = NULL;
  g_autoptr(GBytes) event = NULL;

  if (!pi_binding_validate_exchange (exchange_name, error))
    return FALSE;

  if (strlen (routing_key) > PI_BINDING_MAX_LENGTH)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The routing key is longer than %d bytes", PI_BINDING_MAX_LENGTH);
      return FALSE;
    }

  self->n_published++;

  if (!pi_topic_index_has_exchange (self->index, exchange_name))
    return TRUE;

  matches = g_ptr_array_new ();
  pi_topic_index_match (self->index, exchange_name, routing_key, routes, matches);

  if (matches->len == 0)
    return TRUE;

  /* Framed once; every subscriber gets the same bytes. */
  event = pi_event_format_message (exchange_name, routing_key, routes, FALSE,
                                   payload_json, strlen (payload_json));

  self->delivering++;
  for (guint i = 0; i < matches->len; i++)
    {
      PiSubscription *sub = g_ptr_array_index (matches, i);

      if (!sub->dead)
        sub->callbacks.message (event, sub->user_data);
    }
  if (--self->delivering == 0 && self->graveyard->len > 0)
    g_ptr_array_set_size (self->graveyard, 0);

  return TRUE;
}

static const char *
pi_embedded_broker_get_state (PiBroker *broker)
{
  return "embedded";
}

static void
pi_embedded_broker_dispose (GObject *object)
{
  PiEmbeddedBroker *self = PI_EMBEDDED_BROKER (object);
  GHashTableIter iter;
  gpointer key;

  /* Whoever still holds a subscription gets no callback from now on. */
  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      PiSubscription *sub = key;

      g_hash_table_iter_steal (&iter);
      pi_topic_index_remove_target (self->index, g_steal_pointer (&sub->target));
      subscription_free (sub);
    }

  G_OBJECT_CLASS (pi_embedded_broker_parent_class)->dispose (object);
}

static void
pi_embedded_broker_finalize (GObject *object)
{
  PiEmbeddedBroker *self = PI_EMBEDDED_BROKER (object);

  pi_topic_index_free (self->index);
  g_hash_table_unref (self->subscriptions);
  g_ptr_array_unref (self->graveyard);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (pi_embedded_broker_parent_class)->finalize (object);
}

static void
pi_embedded_broker_class_init (PiEmbeddedBrokerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  PiBrokerClass *broker_class = PI_BROKER_CLASS (klass);

  object_class->dispose = pi_embedded_broker_dispose;
  object_class->finalize = pi_embedded_broker_finalize;

  broker_class->subscribe = pi_embedded_broker_subscribe;
  broker_class->unsubscribe = pi_embedded_broker_unsubscribe;
  broker_class->publish = pi_embedded_broker_publish;
  broker_class->get_state = pi_embedded_broker_get_state;
}

static void
pi_embedded_broker_init (PiEmbeddedBroker *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->index = pi_topic_index_new ();
  self->subscriptions = g_hash_table_new (NULL, NULL);
  self->graveyard = g_ptr_array_new_with_free_func ((GDestroyNotify) subscription_free);
}

/**
 * pi_embedded_broker_new:
 *
 * Creates an in-process topic exchange. Its callbacks run in the
 * thread-default main context of the caller.
 *
 * Returns: (transfer full): a new #PiBroker
 */
PiBroker *
pi_embedded_broker_new (void)
{
  return g_object_new (PI_TYPE_EMBEDDED_BROKER, NULL);
}

/**
 * pi_embedded_broker_get_n_subscriptions:
 * @self: a #PiEmbeddedBroker
 *
 * Returns: how many subscriptions are alive (for /ping and tests)
 */
guint
pi_embedded_broker_get_n_subscriptions (PiEmbeddedBroker *self)
{
  g_return_val_if_fail (PI_IS_EMBEDDED_BROKER (self), 0);

  return g_hash_table_size (self->subscriptions);
}

/**
 * pi_embedded_broker_get_n_published:
 * @self: a #PiEmbeddedBroker
 *
 * Returns: how many messages were published so far
 */
guint64
pi_embedded_broker_get_n_published (PiEmbeddedBroker *self)
{
  g_return_val_if_fail (PI_IS_EMBEDDED_BROKER (self), 0);

  return self->n_published;
}
