/* test-catalog.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "pi-binding.h"
#include "pi-catalog.h"
#include "pi-topic.h"

#define QUEUE_PREFIX "exchange/taskcluster-queue/v1/"
#define TASK_ID      "fQ2GfBuzTh2xsZ6DRoZzdA"
#define GROUP_ID     "Xy8pT3JuQ3eC2cM1dS6GkA"

/* Values a real queue message carries, by word name. "_" is what the queue
 * publishes for an optional word that has no value yet.
 */
static const char *
queue_value (const char *word,
             gboolean    required)
{
  static const struct { const char *name; const char *value; } values[] = {
    { "routingKeyKind", "primary" },
    { "taskId", TASK_ID },
    { "runId", "0" },
    { "workerGroup", "us-east-1" },
    { "workerId", "i-0a1b2c3d4e5f" },
    { "provisionerId", "proj-releng" },
    { "workerType", "b-linux-large" },
    { "schedulerId", "taskcluster-ui" },
    { "taskGroupId", GROUP_ID },
    { "reserved", "_" },
  };

  /* Optional run words are "_" in a defined-but-never-run task. */
  if (!required && !g_str_equal (word, "reserved"))
    return "_";

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    if (g_str_equal (values[i].name, word))
      return values[i].value;

  g_error ("The queue has a routing-key word this test does not know: %s", word);
  return NULL;
}

static void
test_load (void)
{
  PiCatalog *catalog = pi_catalog_get_default ();
  const PiCatalogExchange *completed;
  guint n_queue = 0;

  g_assert_nonnull (catalog);
  g_assert_true (catalog == pi_catalog_get_default ());
  g_assert_cmpuint (pi_catalog_get_n_exchanges (catalog), >=, 30);

  completed = pi_catalog_lookup (catalog, QUEUE_PREFIX "task-completed");
  g_assert_nonnull (completed);
  g_assert_cmpstr (completed->short_name, ==, "task-completed");
  g_assert_cmpstr (completed->service, ==, "queue");
  g_assert_cmpstr (completed->title, ==, "Task completed");
  g_assert_cmpuint (strlen (completed->description), >, 10);
  g_assert_cmpuint (completed->n_words, ==, 10);
  g_assert_cmpstr (completed->words[0].name, ==, "routingKeyKind");
  g_assert_cmpstr (completed->words[0].constant, ==, "primary");
  g_assert_cmpstr (completed->words[1].name, ==, "taskId");
  g_assert_true (completed->words[1].required);
  g_assert_false (completed->words[1].multiple_words);
  g_assert_null (completed->words[1].constant);
  g_assert_cmpstr (completed->words[9].name, ==, "reserved");
  g_assert_true (completed->words[9].multiple_words);
  g_assert_false (completed->words[9].required);

  g_assert_null (pi_catalog_lookup (catalog, "task-completed"));
  g_assert_null (pi_catalog_lookup (catalog, "exchange/nothing/v1/x"));

  for (guint i = 0; i < pi_catalog_get_n_exchanges (catalog); i++)
    {
      const PiCatalogExchange *exchange = pi_catalog_get_exchange (catalog, i);

      g_assert_true (pi_catalog_lookup (catalog, exchange->name) == exchange);
      g_assert_true (g_str_has_suffix (exchange->name, exchange->short_name));
      g_assert_nonnull (exchange->title);
      g_assert_nonnull (exchange->description);
      g_assert_cmpuint (exchange->n_words, >, 0);
      g_assert_true (pi_binding_validate_exchange (exchange->name, NULL));
      n_queue += g_str_equal (exchange->service, "queue");
    }

  g_assert_cmpuint (n_queue, ==, 11);
}

/* The committed catalog.json must match the references it was generated
 * from (run build-aux/generate-catalog after the references change).
 */
static void
test_matches_reference (void)
{
  PiCatalog *catalog = pi_catalog_get_default ();
  const char *dir_path = g_test_get_filename (G_TEST_DIST, "..", "reference", "taskcluster",
                                              "exchanges", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  guint n_seen = 0;

  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *path = NULL;
      JsonObject *root;
      JsonArray *entries;
      const char *prefix;

      if (!g_str_has_suffix (name, ".json"))
        continue;

      path = g_build_filename (dir_path, name, NULL);
      json_parser_load_from_file (parser, path, &error);
      g_assert_no_error (error);
      root = json_node_get_object (json_parser_get_root (parser));
      prefix = json_object_get_string_member (root, "exchangePrefix");
      entries = json_object_get_array_member (root, "entries");

      for (guint i = 0; i < json_array_get_length (entries); i++)
        {
          JsonObject *entry = json_array_get_object_element (entries, i);
          JsonArray *words = json_object_get_array_member (entry, "routingKey");
          g_autofree char *full = g_strconcat (prefix, json_object_get_string_member (entry, "exchange"), NULL);
          const PiCatalogExchange *exchange = pi_catalog_lookup (catalog, full);

          if (exchange == NULL)
            g_error ("%s is in the reference but not in catalog.json", full);
          g_assert_cmpstr (exchange->service, ==, json_object_get_string_member (root, "serviceName"));
          g_assert_cmpuint (exchange->n_words, ==, json_array_get_length (words));

          for (guint j = 0; j < exchange->n_words; j++)
            {
              JsonObject *word = json_array_get_object_element (words, j);

              g_assert_cmpstr (exchange->words[j].name, ==, json_object_get_string_member (word, "name"));
              g_assert_cmpint (exchange->words[j].required, ==,
                               json_object_get_boolean_member (word, "required"));
              g_assert_cmpint (exchange->words[j].multiple_words, ==,
                               json_object_get_boolean_member (word, "multipleWords"));
              g_assert_cmpstr (exchange->words[j].constant, ==,
                               json_object_get_string_member_with_default (word, "constant", NULL));
            }
          n_seen++;
        }
    }

  g_assert_cmpuint (n_seen, ==, pi_catalog_get_n_exchanges (catalog));
}

/* Every queue exchange: a routing key shaped like the ones the queue
 * publishes is named word by word.
 */
static void
test_name_words_queue (void)
{
  PiCatalog *catalog = pi_catalog_get_default ();
  guint n_checked = 0;

  for (guint i = 0; i < pi_catalog_get_n_exchanges (catalog); i++)
    {
      const PiCatalogExchange *exchange = pi_catalog_get_exchange (catalog, i);
      g_autoptr(GString) key = g_string_new (NULL);
      g_autoptr(GArray) named = NULL;

      if (!g_str_equal (exchange->service, "queue"))
        continue;

      for (guint j = 0; j < exchange->n_words; j++)
        {
          if (j > 0)
            g_string_append_c (key, '.');
          g_string_append (key, queue_value (exchange->words[j].name, exchange->words[j].required));
        }

      named = pi_catalog_exchange_name_words (exchange, key->str);
      if (named == NULL)
        g_error ("%s: the key “%s” was not recognized", exchange->name, key->str);
      g_assert_cmpuint (named->len, ==, exchange->n_words);

      for (guint j = 0; j < named->len; j++)
        {
          PiCatalogNamedWord *word = &g_array_index (named, PiCatalogNamedWord, j);
          const char *expected = queue_value (exchange->words[j].name, exchange->words[j].required);

          g_assert_true (word->word == &exchange->words[j]);
          g_assert_cmpstr (word->value, ==, g_str_equal (expected, "_") ? "" : expected);
        }

      /* The named words that carry the task or group are where a person
       * expects them.
       */
      if (g_str_has_prefix (exchange->short_name, "task-group-"))
        {
          g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 1).word->name, ==, "taskGroupId");
          g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 1).value, ==, GROUP_ID);
        }
      else
        {
          g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 1).word->name, ==, "taskId");
          g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 1).value, ==, TASK_ID);
        }

      n_checked++;
    }

  g_assert_cmpuint (n_checked, ==, 11);
}

static void
test_name_words_shapes (void)
{
  PiCatalog *catalog = pi_catalog_get_default ();
  const PiCatalogExchange *completed = pi_catalog_lookup (catalog, QUEUE_PREFIX "task-completed");
  const PiCatalogExchange *defined = pi_catalog_lookup (catalog, QUEUE_PREFIX "task-defined");
  const PiCatalogExchange *notification =
    pi_catalog_lookup (catalog, "exchange/taskcluster-notify/v1/notification");
  const PiCatalogExchange *push = pi_catalog_lookup (catalog, "exchange/taskcluster-github/v1/push");
  const PiCatalogExchange *role = pi_catalog_lookup (catalog, "exchange/taskcluster-auth/v1/role-created");
  GArray *named;

  /* A defined task that never ran: "_" words are shown empty. */
  named = pi_catalog_exchange_name_words (defined,
                                          "primary." TASK_ID "._._._.prov.wtype.sched." GROUP_ID "._");
  g_assert_nonnull (named);
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 2).word->name, ==, "runId");
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 2).value, ==, "");
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 5).value, ==, "prov");
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 9).value, ==, "");
  g_array_unref (named);

  /* The multi-word tail takes the rest, joined with dots, or nothing. */
  named = pi_catalog_exchange_name_words (completed,
                                          "primary." TASK_ID ".1.wg.wid.prov.wtype.sched." GROUP_ID ".x.y.z");
  g_assert_nonnull (named);
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 9).value, ==, "x.y.z");
  g_array_unref (named);

  named = pi_catalog_exchange_name_words (completed,
                                          "primary." TASK_ID ".1.wg.wid.prov.wtype.sched." GROUP_ID);
  g_assert_nonnull (named);
  g_assert_cmpuint (named->len, ==, 10);
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 8).value, ==, GROUP_ID);
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 9).value, ==, "");
  g_array_unref (named);

  /* notify: the topic is the multi-word word. */
  named = pi_catalog_exchange_name_words (notification, "primary.my.topic.on-failed");
  g_assert_nonnull (named);
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 1).word->name, ==, "topic");
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 1).value, ==, "my.topic.on-failed");
  g_array_unref (named);

  /* github: no multi-word word, so the count is exact. */
  named = pi_catalog_exchange_name_words (push, "primary.mozilla%mobile.fenix");
  g_assert_nonnull (named);
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 1).word->name, ==, "organization");
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 1).value, ==, "mozilla%mobile");
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 2).value, ==, "fenix");
  g_array_unref (named);

  named = pi_catalog_exchange_name_words (role, "");
  g_assert_nonnull (named);
  g_assert_cmpuint (named->len, ==, 1);
  g_assert_cmpstr (g_array_index (named, PiCatalogNamedWord, 0).value, ==, "");
  g_array_unref (named);

  /* Keys that do not have the exchange's shape. */
  g_assert_null (pi_catalog_exchange_name_words (completed, "primary." TASK_ID ".1"));
  g_assert_null (pi_catalog_exchange_name_words (completed, ""));
  g_assert_null (pi_catalog_exchange_name_words (completed,
                                                 "route." TASK_ID ".1.wg.wid.prov.wtype.sched." GROUP_ID "._"));
  g_assert_null (pi_catalog_exchange_name_words (push, "primary.org"));
  g_assert_null (pi_catalog_exchange_name_words (push, "primary.org.repo.extra"));
}

static void
check_pattern (const PiCatalogExchange *exchange,
               const char * const      *values,
               const char              *expected)
{
  g_autofree char *pattern = pi_catalog_exchange_build_pattern (exchange, values);

  g_assert_cmpstr (pattern, ==, expected);
  g_assert_true (pi_binding_validate_pattern (pattern, NULL));
}

static void
test_build_pattern (void)
{
  PiCatalog *catalog = pi_catalog_get_default ();
  const PiCatalogExchange *completed = pi_catalog_lookup (catalog, QUEUE_PREFIX "task-completed");
  const PiCatalogExchange *push = pi_catalog_lookup (catalog, "exchange/taskcluster-github/v1/push");
  const PiCatalogExchange *role = pi_catalog_lookup (catalog, "exchange/taskcluster-auth/v1/role-created");
  const char *only_task[] = { NULL, TASK_ID, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
  const char *only_group[] = { NULL, "", NULL, NULL, NULL, NULL, NULL, NULL, GROUP_ID, NULL };
  const char *middle[] = { NULL, NULL, NULL, NULL, NULL, "proj-releng", "b-linux", NULL, NULL, NULL };
  const char *with_tail[] = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "x.y" };
  const char *repo[] = { NULL, NULL, "fenix" };
  const char *org[] = { NULL, "mozilla", NULL };
  const char *matching_key = "primary." TASK_ID ".0.wg.wid.proj-releng.b-linux.sched." GROUP_ID "._";
  const char *other_task_key = "primary.AAAAAAAAAAAAAAAAAAAAAA.0.wg.wid.proj-releng.b-linux.sched." GROUP_ID "._";

  check_pattern (completed, NULL, "primary.#");
  check_pattern (completed, only_task, "primary." TASK_ID ".#");
  check_pattern (completed, only_group, "primary.*.*.*.*.*.*.*." GROUP_ID ".#");
  check_pattern (completed, middle, "primary.*.*.*.*.proj-releng.b-linux.#");
  check_pattern (completed, with_tail, "primary.*.*.*.*.*.*.*.*.x.y");
  check_pattern (push, NULL, "primary.*.*");
  check_pattern (push, repo, "primary.*.fenix");
  check_pattern (push, org, "primary.mozilla.*");
  check_pattern (role, NULL, "#");

  /* The patterns select what a person means. */
  {
    g_autofree char *by_task = pi_catalog_exchange_build_pattern (completed, only_task);
    g_autofree char *by_group = pi_catalog_exchange_build_pattern (completed, only_group);
    g_autofree char *by_pool = pi_catalog_exchange_build_pattern (completed, middle);

    g_assert_true (pi_topic_match (by_task, matching_key));
    g_assert_false (pi_topic_match (by_task, other_task_key));
    g_assert_true (pi_topic_match (by_group, matching_key));
    g_assert_true (pi_topic_match (by_group, other_task_key));
    g_assert_true (pi_topic_match (by_pool, matching_key));
    g_assert_false (pi_topic_match (by_pool, "primary." TASK_ID ".0.wg.wid.proj-releng.b-win.sched." GROUP_ID "._"));
  }

  /* Round trip: the words named from a key build a pattern that matches it. */
  for (guint i = 0; i < pi_catalog_get_n_exchanges (catalog); i++)
    {
      const PiCatalogExchange *exchange = pi_catalog_get_exchange (catalog, i);
      g_autoptr(GString) key = g_string_new (NULL);
      g_autoptr(GArray) named = NULL;
      g_autofree const char **values = NULL;
      g_autofree char *pattern = NULL;

      for (guint j = 0; j < exchange->n_words; j++)
        {
          const PiCatalogWord *word = &exchange->words[j];

          if (j > 0)
            g_string_append_c (key, '.');
          if (word->constant)
            g_string_append (key, word->constant);
          else if (word->multiple_words)
            g_string_append (key, "_");
          else
            g_string_append_printf (key, "v%u", j);
        }

      named = pi_catalog_exchange_name_words (exchange, key->str);
      g_assert_nonnull (named);
      values = g_new0 (const char *, exchange->n_words);
      for (guint j = 0; j < named->len; j++)
        values[j] = g_array_index (named, PiCatalogNamedWord, j).value;

      pattern = pi_catalog_exchange_build_pattern (exchange, values);
      if (!pi_topic_match (pattern, key->str))
        g_error ("%s: pattern “%s” does not match key “%s”", exchange->name, pattern, key->str);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/catalog/load", test_load);
  g_test_add_func ("/pi/catalog/matches-reference", test_matches_reference);
  g_test_add_func ("/pi/catalog/name-words-queue", test_name_words_queue);
  g_test_add_func ("/pi/catalog/name-words-shapes", test_name_words_shapes);
  g_test_add_func ("/pi/catalog/build-pattern", test_build_pattern);

  return g_test_run ();
}
