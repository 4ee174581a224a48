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
#include "pi-topic.h"

/*
 * An in-process topic exchange with RabbitMQ's topic semantics. Every
 * exchange name exists implicitly (there is no declare step), so only
 * malformed names and patterns fail.
 *
 * Fan-out has to stay cheap with a thousand subscribers, so bindings are
 * indexed per exchange: a pattern whose words before the first `#` contain a
 * literal word is filed under (position, word) of its last such literal,
 * since a routing key can only match it if the key has that word at that
 * position. Only patterns without such a word (`#`, `*.*`, `#.foo`) are tried
 * against every key. Candidates are confirmed with pi_topic_match(), so the
 * index never decides a match on its own.
 */

typedef struct _Exchange Exchange;

typedef struct
{
  PiSubscription *sub;
  Exchange       *exchange;
  char           *pattern;
  char           *word;      /* index word, NULL when in the scan list */
  guint           position;
} Entry;

struct _Exchange
{
  char      *name;
  GPtrArray *positions;      /* position -> GHashTable (word -> GPtrArray of Entry) or NULL */
  GPtrArray *scan;           /* Entry */
  guint      n_entries;
};

struct _PiSubscription
{
  PiEmbeddedBroker        *broker;
  GPtrArray               *bindings;
  PiSubscriptionCallbacks  callbacks;
  gpointer                 user_data;
  GSource                 *ready_source;
  char                    *failure;
  GPtrArray               *entries;
  guint64                  serial;
  gboolean                 dead;
};

struct _PiEmbeddedBroker
{
  PiBroker      parent_instance;

  GMainContext *context;
  GHashTable   *exchanges;      /* name -> Exchange */
  GHashTable   *subscriptions;  /* set of live PiSubscription */
  GPtrArray    *graveyard;      /* unsubscribed while delivering */
  guint         delivering;
  guint64       serial;
  guint64       n_published;
};

G_DEFINE_FINAL_TYPE (PiEmbeddedBroker, pi_embedded_broker, PI_TYPE_BROKER)

static void
table_unref0 (gpointer table)
{
  /* Positions without a table are NULL. */
  if (table != NULL)
    g_hash_table_unref (table);
}

static void
exchange_free (gpointer data)
{
  Exchange *exchange = data;

  g_free (exchange->name);
  g_ptr_array_unref (exchange->positions);
  g_ptr_array_unref (exchange->scan);
  g_free (exchange);
}

static Exchange *
exchange_lookup (PiEmbeddedBroker *self,
                 const char       *name,
                 gboolean          create)
{
  Exchange *exchange = g_hash_table_lookup (self->exchanges, name);

  if (exchange == NULL && create)
    {
      exchange = g_new0 (Exchange, 1);
      exchange->name = g_strdup (name);
      exchange->positions = g_ptr_array_new_with_free_func (table_unref0);
      exchange->scan = g_ptr_array_new ();
      g_hash_table_insert (self->exchanges, exchange->name, exchange);
    }

  return exchange;
}

/* Finds the last literal word before the first `#`. */
static gboolean
pattern_index_word (const char  *pattern,
                    guint       *position,
                    char       **word)
{
  g_auto(GStrv) words = g_strsplit (pattern, ".", -1);
  gboolean found = FALSE;

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (strcmp (words[i], "#") == 0)
        break;
      if (strcmp (words[i], "*") != 0)
        {
          *position = i;
          g_free (*word);
          *word = g_strdup (words[i]);
          found = TRUE;
        }
    }

  return found;
}

static void
index_add (PiEmbeddedBroker *self,
           PiSubscription   *sub,
           PiBinding        *binding)
{
  Exchange *exchange = exchange_lookup (self, pi_binding_get_exchange (binding), TRUE);
  Entry *entry = g_new0 (Entry, 1);

  entry->sub = sub;
  entry->exchange = exchange;
  entry->pattern = g_strdup (pi_binding_get_routing_key_pattern (binding));

  if (pattern_index_word (entry->pattern, &entry->position, &entry->word))
    {
      GHashTable *table;
      GPtrArray *bucket;

      if (exchange->positions->len <= entry->position)
        g_ptr_array_set_size (exchange->positions, entry->position + 1);
      table = g_ptr_array_index (exchange->positions, entry->position);
      if (table == NULL)
        {
          table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
          exchange->positions->pdata[entry->position] = table;
        }
      bucket = g_hash_table_lookup (table, entry->word);
      if (bucket == NULL)
        {
          bucket = g_ptr_array_new ();
          g_hash_table_insert (table, g_strdup (entry->word), bucket);
        }
      g_ptr_array_add (bucket, entry);
    }
  else
    {
      g_ptr_array_add (exchange->scan, entry);
    }

  exchange->n_entries++;
  g_ptr_array_add (sub->entries, entry);
}

static void
index_remove (PiEmbeddedBroker *self,
              Entry            *entry)
{
  Exchange *exchange = entry->exchange;

  if (entry->word != NULL)
    {
      GHashTable *table = g_ptr_array_index (exchange->positions, entry->position);
      GPtrArray *bucket = g_hash_table_lookup (table, entry->word);

      g_ptr_array_remove_fast (bucket, entry);
      if (bucket->len == 0)
        g_hash_table_remove (table, entry->word);
    }
  else
    {
      g_ptr_array_remove_fast (exchange->scan, entry);
    }

  if (--exchange->n_entries == 0)
    g_hash_table_remove (self->exchanges, exchange->name);
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->pattern);
  g_free (entry->word);
  g_free (entry);
}

static void
subscription_free (PiSubscription *sub)
{
  if (sub->ready_source != NULL)
    {
      g_source_destroy (sub->ready_source);
      g_source_unref (sub->ready_source);
    }
  g_ptr_array_unref (sub->entries);
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
  for (guint i = 0; i < sub->bindings->len; i++)
    index_add (self, sub, g_ptr_array_index (sub->bindings, i));

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
  sub->entries = g_ptr_array_new_with_free_func (entry_free);

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

  for (guint i = 0; i < sub->entries->len; i++)
    index_remove (self, g_ptr_array_index (sub->entries, i));
  g_ptr_array_set_size (sub->entries, 0);

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

static void
collect_candidates (GPtrArray  *bucket,
                    const char *routing_key,
                    guint64     serial,
                    GPtrArray  *matches)
{
  for (guint i = 0; i < bucket->len; i++)
    {
      Entry *entry = g_ptr_array_index (bucket, i);

      /* A message reaches a subscription at most once, however many of its
       * bindings (or CC routes) match. */
      if (entry->sub->serial == serial)
        continue;

      if (pi_topic_match (entry->pattern, routing_key))
        {
          entry->sub->serial = serial;
          g_ptr_array_add (matches, entry->sub);
        }
    }
}

static void
collect_matches (Exchange   *exchange,
                 const char *routing_key,
                 guint64     serial,
                 GPtrArray  *matches)
{
  char stack_buf[512];
  g_autofree char *heap_buf = NULL;
  gsize len = strlen (routing_key);
  char *words;
  char *word;
  guint position = 0;

  if (exchange->positions->len > 0)
    {
      if (len < sizeof stack_buf)
        words = memcpy (stack_buf, routing_key, len + 1);
      else
        words = heap_buf = g_strdup (routing_key);

      /* Walk the key's words in place: each is NUL-terminated in turn. */
      word = words;
      while (position < exchange->positions->len)
        {
          char *dot = strchr (word, '.');
          GHashTable *table;

          if (dot != NULL)
            *dot = '\0';

          table = g_ptr_array_index (exchange->positions, position);
          if (table != NULL)
            {
              GPtrArray *bucket = g_hash_table_lookup (table, word);

              if (bucket != NULL)
                collect_candidates (bucket, routing_key, serial, matches);
            }

          if (dot == NULL)
            break;
          word = dot + 1;
          position++;
        }
    }

  collect_candidates (exchange->scan, routing_key, serial, matches);
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
  Exchange *exchange;
  guint64 serial;

  if (!pi_binding_validate_exchange (exchange_name, error))
    return FALSE;

  if (strlen (routing_key) > PI_BINDING_MAX_LENGTH)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The routing key is longer than %d bytes", PI_BINDING_MAX_LENGTH);
      return FALSE;
    }

  self->n_published++;

  exchange = exchange_lookup (self, exchange_name, FALSE);
  if (exchange == NULL)
    return TRUE;

  serial = ++self->serial;
  matches = g_ptr_array_new ();

  collect_matches (exchange, routing_key, serial, matches);
  for (guint i = 0; routes != NULL && routes[i] != NULL; i++)
    {
      g_autofree char *cc = g_strconcat ("route.", routes[i], NULL);

      collect_matches (exchange, cc, serial, matches);
    }

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
      g_hash_table_iter_steal (&iter);
      subscription_free (key);
    }
  g_hash_table_remove_all (self->exchanges);

  G_OBJECT_CLASS (pi_embedded_broker_parent_class)->dispose (object);
}

static void
pi_embedded_broker_finalize (GObject *object)
{
  PiEmbeddedBroker *self = PI_EMBEDDED_BROKER (object);

  g_hash_table_unref (self->exchanges);
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
  self->exchanges = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, exchange_free);
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
