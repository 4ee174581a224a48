/* pi-catalog.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-catalog"

#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "pi-catalog.h"
#include "pi-core-resources.h"

#define CATALOG_RESOURCE "/io/github/pulseinspector/PulseInspector/core/catalog.json"

/**
 * PiCatalog:
 *
 * The Taskcluster exchanges the app knows, with the words of their
 * routing keys. It is read once from `catalog.json`, which
 * `build-aux/generate-catalog` writes from the Taskcluster references, and
 * lives as long as the program: the structs it hands out are never freed.
 */
struct _PiCatalog
{
  GStringChunk *strings;
  GArray       *exchanges;   /* of PiCatalogExchange */
  GHashTable   *by_name;     /* name -> PiCatalogExchange*, borrowed */
};

static const char *
intern (PiCatalog  *self,
        JsonObject *object,
        const char *member)
{
  const char *value = json_object_get_string_member_with_default (object, member, NULL);

  return value ? g_string_chunk_insert_const (self->strings, value) : NULL;
}

static void
load_word (PiCatalog     *self,
           JsonObject    *object,
           PiCatalogWord *word)
{
  word->name = intern (self, object, "name");
  word->summary = intern (self, object, "summary");
  word->constant = intern (self, object, "constant");
  word->required = json_object_get_boolean_member_with_default (object, "required", FALSE);
  word->multiple_words = json_object_get_boolean_member_with_default (object, "multipleWords", FALSE);

  if (word->name == NULL)
    word->name = "";
  if (word->summary == NULL)
    word->summary = "";
}

static void
load_exchange (PiCatalog  *self,
               JsonObject *object)
{
  PiCatalogExchange exchange = { 0 };
  JsonArray *words = NULL;
  PiCatalogWord *word_array;
  const char *slash;

  exchange.name = intern (self, object, "name");
  if (exchange.name == NULL)
    {
      g_warning ("An exchange of the catalog has no name");
      return;
    }

  slash = strrchr (exchange.name, '/');
  exchange.short_name = slash ? slash + 1 : exchange.name;
  exchange.service = intern (self, object, "service");
  exchange.title = intern (self, object, "title");
  exchange.description = intern (self, object, "description");

  if (json_object_has_member (object, "words"))
    words = json_object_get_array_member (object, "words");

  exchange.n_words = words ? json_array_get_length (words) : 0;
  word_array = g_new0 (PiCatalogWord, exchange.n_words);
  for (guint i = 0; i < exchange.n_words; i++)
    load_word (self, json_array_get_object_element (words, i), &word_array[i]);
  exchange.words = word_array;

  g_array_append_val (self->exchanges, exchange);
}

static PiCatalog *
pi_catalog_load (void)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  PiCatalog *self;
  JsonNode *root;
  JsonArray *exchanges;
  guint n;

  self = g_new0 (PiCatalog, 1);
  self->strings = g_string_chunk_new (4096);
  self->exchanges = g_array_new (FALSE, TRUE, sizeof (PiCatalogExchange));
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  /* Look in our own resource rather than the global registry: a program
   * linking the static library only registers it if something refers to
   * the generated object, and this does.
   */
  bytes = g_resource_lookup_data (pi_core_get_resource (), CATALOG_RESOURCE,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (bytes == NULL)
    {
      /* A build fault, not the user's: an empty catalog still lets the
       * app work, it just cannot name routing-key words.
       */
      g_warning ("Could not load the exchange catalog: %s", error->message);
      return self;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser,
                                   g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes),
                                   &error))
    {
      g_warning ("The exchange catalog is not valid JSON: %s", error->message);
      return self;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !json_object_has_member (json_node_get_object (root), "exchanges"))
    {
      g_warning ("The exchange catalog has no list of exchanges");
      return self;
    }

  exchanges = json_object_get_array_member (json_node_get_object (root), "exchanges");
  n = json_array_get_length (exchanges);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (exchanges, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        load_exchange (self, json_node_get_object (node));
    }

  /* The array no longer grows: pointers into it are stable from here on. */
  for (guint i = 0; i < self->exchanges->len; i++)
    {
      PiCatalogExchange *exchange = &g_array_index (self->exchanges, PiCatalogExchange, i);

      g_hash_table_insert (self->by_name, (gpointer) exchange->name, exchange);
    }

  g_debug ("Exchange catalog: %u exchanges", self->exchanges->len);

  return self;
}

/**
 * pi_catalog_get_default:
 *
 * Returns the catalog, loading it on first use (thread-safe).
 *
 * Returns: (transfer none): the catalog
 */
PiCatalog *
pi_catalog_get_default (void)
{
  static PiCatalog *catalog;

  if (g_once_init_enter (&catalog))
    g_once_init_leave (&catalog, pi_catalog_load ());

  return catalog;
}

/**
 * pi_catalog_get_n_exchanges:
 * @self: the catalog
 *
 * Returns: how many exchanges the catalog knows
 */
guint
pi_catalog_get_n_exchanges (PiCatalog *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->exchanges->len;
}

/**
 * pi_catalog_get_exchange:
 * @self: the catalog
 * @position: an index below pi_catalog_get_n_exchanges()
 *
 * Returns: (transfer none): the exchange at @position, in the order of
 *   the catalog (by service, then as the service lists them)
 */
const PiCatalogExchange *
pi_catalog_get_exchange (PiCatalog *self,
                         guint      position)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (position < self->exchanges->len, NULL);

  return &g_array_index (self->exchanges, PiCatalogExchange, position);
}

/**
 * pi_catalog_lookup:
 * @self: the catalog
 * @exchange: a full exchange name, e.g.
 *   `exchange/taskcluster-queue/v1/task-completed`
 *
 * Returns: (transfer none) (nullable): the exchange, or %NULL if the
 *   catalog does not know it
 */
const PiCatalogExchange *
pi_catalog_lookup (PiCatalog  *self,
                   const char *exchange)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (exchange != NULL, NULL);

  return g_hash_table_lookup (self->by_name, exchange);
}

static void
named_word_clear (gpointer data)
{
  PiCatalogNamedWord *named = data;

  g_clear_pointer (&named->value, g_free);
}

static int
find_multi_word (const PiCatalogExchange *exchange)
{
  for (guint i = 0; i < exchange->n_words; i++)
    if (exchange->words[i].multiple_words)
      return i;

  return -1;
}

/**
 * pi_catalog_exchange_name_words:
 * @exchange: an exchange of the catalog
 * @routing_key: a routing key published on @exchange
 *
 * Names each word of @routing_key after the exchange's routing-key words:
 * `primary.fQ2….0.…` gives `routingKeyKind` = `primary`, `taskId` =
 * `fQ2…`, and so on. A word published as `_` (the service's mark for an
 * optional word with no value) is given as the empty string. The
 * multi-word word takes all the words its neighbours leave, joined with
 * `.` (possibly none, which is the empty string too).
 *
 * Returns: (transfer full) (element-type PiCatalogNamedWord) (nullable):
 *   one #PiCatalogNamedWord per word of the exchange, in order (the array
 *   frees the values), or %NULL if @routing_key does not have the
 *   exchange's shape (too few or too many words, or a constant word with
 *   another value)
 */
GArray *
pi_catalog_exchange_name_words (const PiCatalogExchange *exchange,
                                const char              *routing_key)
{
  g_autoptr(GArray) named = NULL;
  g_auto(GStrv) key_words = NULL;
  guint n_key;
  int multi;
  guint multi_len = 0;
  guint k = 0;

  g_return_val_if_fail (exchange != NULL, NULL);
  g_return_val_if_fail (routing_key != NULL, NULL);

  /* As a broker splits: the empty key has no words, "a." has two. */
  key_words = *routing_key ? g_strsplit (routing_key, ".", -1) : g_new0 (char *, 1);
  n_key = g_strv_length (key_words);

  multi = find_multi_word (exchange);
  if (multi < 0)
    {
      if (n_key != exchange->n_words)
        return NULL;
    }
  else
    {
      if (n_key + 1 < exchange->n_words)
        return NULL;
      multi_len = n_key + 1 - exchange->n_words;
    }

  named = g_array_sized_new (FALSE, TRUE, sizeof (PiCatalogNamedWord), exchange->n_words);
  g_array_set_clear_func (named, named_word_clear);

  for (guint i = 0; i < exchange->n_words; i++)
    {
      const PiCatalogWord *word = &exchange->words[i];
      PiCatalogNamedWord item = { word, NULL };

      if ((int) i == multi)
        {
          GString *joined = g_string_new (NULL);

          for (guint j = 0; j < multi_len; j++)
            {
              if (j > 0)
                g_string_append_c (joined, '.');
              g_string_append (joined, key_words[k + j]);
            }
          k += multi_len;

          if (g_str_equal (joined->str, "_"))
            g_string_truncate (joined, 0);
          item.value = g_string_free (joined, FALSE);
        }
      else
        {
          const char *value = key_words[k++];

          if (word->constant != NULL && !g_str_equal (value, word->constant))
            return NULL;

          item.value = g_strdup (g_str_equal (value, "_") ? "" : value);
        }

      g_array_append_val (named, item);
    }

  return g_steal_pointer (&named);
}

static inline gboolean
value_is_set (const char * const *values,
              guint               i)
{
  return values != NULL && values[i] != NULL && values[i][0] != '\0';
}

/**
 * pi_catalog_exchange_build_pattern:
 * @exchange: an exchange of the catalog
 * @values: (nullable) (array): one value per word of @exchange
 *   (`exchange->n_words` entries); %NULL or "" leaves a word unset, and
 *   %NULL for @values leaves all of them unset
 *
 * Builds a routing-key pattern that matches the messages of @exchange
 * whose words have the given values: an unset word becomes `*`, an unset
 * constant word its constant (`primary`), and an unset multi-word word
 * `#`. Values are used as they are (a value may itself be `*`).
 *
 * When the exchange ends with its multi-word word, the run of unset words
 * before it collapses into that one `#`: with only `taskId` set on
 * `task-completed` the pattern is `primary.TASKID.#` rather than
 * `primary.TASKID.*.*.*.*.*.*.*.#`. For keys the exchange publishes (they
 * always have all their words) both match the same messages; the short one
 * is easier to read and to edit. Exchanges without a multi-word word keep
 * their `*`s, since there the word count is part of what matches.
 *
 * Returns: (transfer full): the pattern
 */
char *
pi_catalog_exchange_build_pattern (const PiCatalogExchange *exchange,
                                   const char * const      *values)
{
  GString *pattern;
  guint keep;

  g_return_val_if_fail (exchange != NULL, NULL);

  keep = exchange->n_words;
  if (keep > 0 &&
      exchange->words[keep - 1].multiple_words &&
      !value_is_set (values, keep - 1))
    {
      /* Walk back over unset, non-constant words: "#" stands for them. */
      keep--;
      while (keep > 0 &&
             !value_is_set (values, keep - 1) &&
             exchange->words[keep - 1].constant == NULL)
        keep--;
    }

  pattern = g_string_new (NULL);
  for (guint i = 0; i < keep; i++)
    {
      const PiCatalogWord *word = &exchange->words[i];

      if (i > 0)
        g_string_append_c (pattern, '.');

      if (value_is_set (values, i))
        g_string_append (pattern, values[i]);
      else if (word->constant != NULL)
        g_string_append (pattern, word->constant);
      else if (word->multiple_words)
        g_string_append_c (pattern, '#');
      else
        g_string_append_c (pattern, '*');
    }

  if (keep < exchange->n_words)
    g_string_append (pattern, keep > 0 ? ".#" : "#");

  return g_string_free (pattern, FALSE);
}
