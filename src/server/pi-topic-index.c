/* pi-topic-index.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-topic.h"
#include "pi-topic-index.h"

/*
 * Fan-out has to stay cheap with a thousand readers, so bindings are
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
  PiTopicTarget *target;
  Exchange      *exchange;
  char          *pattern;
  char          *word;      /* index word, NULL when in the scan list */
  guint          position;
} Entry;

struct _Exchange
{
  char      *name;
  GPtrArray *positions;      /* position -> GHashTable (word -> GPtrArray of Entry) or NULL */
  GPtrArray *scan;           /* Entry */
  guint      n_entries;
};

struct _PiTopicTarget
{
  gpointer   data;
  GPtrArray *entries;
  guint64    serial;         /* of the last message matched */
};

struct _PiTopicIndex
{
  GHashTable *exchanges;     /* name -> Exchange */
  guint64     serial;
};

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

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->pattern);
  g_free (entry->word);
  g_free (entry);
}

PiTopicIndex *
pi_topic_index_new (void)
{
  PiTopicIndex *index = g_new0 (PiTopicIndex, 1);

  index->exchanges = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, exchange_free);
  return index;
}

/* Targets still in the index are the caller's to remove first. */
void
pi_topic_index_free (PiTopicIndex *index)
{
  if (index == NULL)
    return;

  g_hash_table_unref (index->exchanges);
  g_free (index);
}

static Exchange *
exchange_lookup (PiTopicIndex *index,
                 const char   *name,
                 gboolean      create)
{
  Exchange *exchange = g_hash_table_lookup (index->exchanges, name);

  if (exchange == NULL && create)
    {
      exchange = g_new0 (Exchange, 1);
      exchange->name = g_strdup (name);
      exchange->positions = g_ptr_array_new_with_free_func (table_unref0);
      exchange->scan = g_ptr_array_new ();
      g_hash_table_insert (index->exchanges, exchange->name, exchange);
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

PiTopicTarget *
pi_topic_index_add_target (PiTopicIndex *index,
                           gpointer      data)
{
  PiTopicTarget *target = g_new0 (PiTopicTarget, 1);

  target->data = data;
  target->entries = g_ptr_array_new_with_free_func (entry_free);
  return target;
}

void
pi_topic_index_bind (PiTopicIndex  *index,
                     PiTopicTarget *target,
                     const char    *exchange_name,
                     const char    *pattern)
{
  Exchange *exchange = exchange_lookup (index, exchange_name, TRUE);
  Entry *entry = g_new0 (Entry, 1);

  entry->target = target;
  entry->exchange = exchange;
  entry->pattern = g_strdup (pattern);

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
  g_ptr_array_add (target->entries, entry);
}

static void
index_remove (PiTopicIndex *index,
              Entry        *entry)
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
    g_hash_table_remove (index->exchanges, exchange->name);
}

void
pi_topic_index_remove_target (PiTopicIndex  *index,
                              PiTopicTarget *target)
{
  if (target == NULL)
    return;

  for (guint i = 0; i < target->entries->len; i++)
    index_remove (index, g_ptr_array_index (target->entries, i));
  g_ptr_array_unref (target->entries);
  g_free (target);
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

      /* A message reaches a target at most once, however many of its
       * bindings (or CC routes) match. */
      if (entry->target->serial == serial)
        continue;

      if (pi_topic_match (entry->pattern, routing_key))
        {
          entry->target->serial = serial;
          g_ptr_array_add (matches, entry->target->data);
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

void
pi_topic_index_match (PiTopicIndex       *index,
                      const char         *exchange_name,
                      const char         *routing_key,
                      const char * const *routes,
                      GPtrArray          *matches)
{
  Exchange *exchange = exchange_lookup (index, exchange_name, FALSE);
  guint64 serial;

  if (exchange == NULL)
    return;

  serial = ++index->serial;
  collect_matches (exchange, routing_key, serial, matches);
  for (guint i = 0; routes != NULL && routes[i] != NULL; i++)
    {
      g_autofree char *cc = g_strconcat ("route.", routes[i], NULL);

      collect_matches (exchange, cc, serial, matches);
    }
}

gboolean
pi_topic_index_has_exchange (PiTopicIndex *index,
                             const char   *exchange)
{
  return g_hash_table_contains (index->exchanges, exchange);
}
