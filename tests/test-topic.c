/* test-topic.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "pi-topic.h"

typedef struct
{
  const char *pattern;
  const char *key;
  gboolean    match;
} Case;

static void
check_cases (const Case *cases,
             gsize       n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      gboolean got = pi_topic_match (cases[i].pattern, cases[i].key);

      if (got != cases[i].match)
        g_error ("pattern “%s” against key “%s”: expected %s, got %s",
                 cases[i].pattern, cases[i].key,
                 cases[i].match ? "match" : "no match",
                 got ? "match" : "no match");
    }
}

static void
test_literal (void)
{
  static const Case cases[] = {
    { "a", "a", TRUE },
    { "a", "b", FALSE },
    { "a.b.c", "a.b.c", TRUE },
    { "a.b.c", "a.b", FALSE },
    { "a.b", "a.b.c", FALSE },
    { "a.b", "a.bc", FALSE },
    { "ab", "a", FALSE },
    { "a", "ab", FALSE },
    { "", "", TRUE },
    { "", "a", FALSE },
    { "a", "", FALSE },
    /* Wildcards inside a word are plain characters. */
    { "a*", "a*", TRUE },
    { "a*", "ab", FALSE },
    { "a#", "a", FALSE },
    { "#a", "#a", TRUE },
    /* Case and non-ASCII bytes compare exactly. */
    { "A", "a", FALSE },
    { "café.*", "café.x", TRUE },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_star (void)
{
  static const Case cases[] = {
    { "*", "a", TRUE },
    { "*", "a.b", FALSE },
    { "*", "", FALSE },          /* the empty key has no words */
    { "*.*", "a.b", TRUE },
    { "*.*", "a", FALSE },
    { "a.*", "a.b", TRUE },
    { "a.*", "a", FALSE },
    { "a.*", "a.b.c", FALSE },
    { "*.b.*", "a.b.c", TRUE },
    { "*.b.*", "a.x.c", FALSE },
    /* '*' against an empty word: an empty word is still a word. */
    { "a.*", "a.", TRUE },
    { "*.b", ".b", TRUE },
    { "a.*.c", "a..c", TRUE },
    { "*", ".", FALSE },         /* "." is two empty words */
    { "*.*", ".", TRUE },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_hash (void)
{
  static const Case cases[] = {
    { "#", "", TRUE },
    { "#", "a", TRUE },
    { "#", "a.b.c", TRUE },
    { "#", ".", TRUE },
    { "a.#", "a", TRUE },        /* zero words */
    { "a.#", "a.b", TRUE },
    { "a.#", "a.b.c.d", TRUE },
    { "a.#", "b.a", FALSE },
    { "a.#", "ab", FALSE },
    { "#.a", "a", TRUE },
    { "#.a", "x.y.a", TRUE },
    { "#.a", "a.x", FALSE },
    /* '#' at both ends */
    { "#.a.#", "a", TRUE },
    { "#.a.#", "x.a.y", TRUE },
    { "#.a.#", "x.y.a", TRUE },
    { "#.a.#", "x.y.z", FALSE },
    { "#.b.#", "a.b.c.b.d", TRUE },
    /* '#' in the middle */
    { "a.#.b", "a.b", TRUE },
    { "a.#.b", "a.x.y.b", TRUE },
    { "a.#.b", "a.x.y.c", FALSE },
    { "a.#.b", "a.b.b", TRUE },
    { "a.#.b.c", "a.b.x.b.c", TRUE },
    /* "#.#" is still zero or more words */
    { "#.#", "", TRUE },
    { "#.#", "a", TRUE },
    { "#.#", "a.b.c", TRUE },
    { "a.#.#.b", "a.b", TRUE },
    { "a.#.#.b", "a.x.b", TRUE },
    /* '#' next to '*': at least one word */
    { "#.*", "", FALSE },
    { "#.*", "a", TRUE },
    { "#.*", "a.b.c", TRUE },
    { "*.#", "a", TRUE },
    { "*.#", "", FALSE },
    { "*.#.*", "a", FALSE },
    { "*.#.*", "a.b", TRUE },
    { "*.#.*", "a.b.c.d", TRUE },
    /* empty words and '#' */
    { "#", "..", TRUE },
    { "a.#", "a.", TRUE },
    { "#.", "a.", TRUE },        /* pattern's last word is the empty word */
    { "#.", "a", FALSE },
    { ".#", ".x.y", TRUE },
    { ".#", "x", FALSE },
    { "a..#", "a..", TRUE },
    { "a..#", "a.b", FALSE },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_taskcluster (void)
{
  static const Case cases[] = {
    { "primary.*.*.*.*.*.*.*.my-group.#",
      "primary.fQ2GfBuzTh2xsZ6DRoZzdA.0.wg.wid.prov.wtype.sched.my-group._", TRUE },
    { "primary.*.*.*.*.*.*.*.my-group.#",
      "primary.fQ2GfBuzTh2xsZ6DRoZzdA.0.wg.wid.prov.wtype.sched.other._", FALSE },
    { "primary.fQ2GfBuzTh2xsZ6DRoZzdA.#",
      "primary.fQ2GfBuzTh2xsZ6DRoZzdA._._._.prov.wtype.sched.group._", TRUE },
    { "route.index.#", "route.index.project.foo.latest", TRUE },
    { "route.index.#", "index.project.foo.latest", FALSE },
    { "route.tc-treeherder.*.try.#", "route.tc-treeherder.v2.try.abc.1", TRUE },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

/* A long key with many words, and patterns with many '#': the matcher
 * must stay polynomial (a naive recursive matcher takes exponential time
 * on "#.#.#...x" against a key that has no "x").
 */
static void
test_long (void)
{
  g_autoptr(GString) key = g_string_new (NULL);
  g_autoptr(GString) pattern = g_string_new (NULL);
  gint64 start;
  gint64 elapsed;

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (key, "%sw%u", i ? "." : "", i % 7);

  g_assert_true (pi_topic_match ("#", key->str));
  g_assert_true (pi_topic_match ("w0.#", key->str));
  g_assert_true (pi_topic_match ("#.w4", key->str));   /* word 1999 is w4 */
  g_assert_false (pi_topic_match ("#.w5", key->str));
  g_assert_true (pi_topic_match ("#.w3.#", key->str));
  g_assert_false (pi_topic_match ("#.x.#", key->str));

  for (guint i = 0; i < 40; i++)
    g_string_append (pattern, "#.*.");
  g_string_append (pattern, "x");

  start = g_get_monotonic_time ();
  g_assert_false (pi_topic_match (pattern->str, key->str));
  g_assert_false (pi_topic_match ("#.#.#.#.#.#.#.#.#.#.#.#.x", key->str));
  g_assert_false (pi_topic_match ("#.w1.#.w2.#.w3.#.w4.#.w5.#.w6.#.x", key->str));
  g_assert_true (pi_topic_match ("#.w1.#.w2.#.w3.#.w4.#.w5.#.w6.#", key->str));
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("pathological patterns over a 2000-word key: %" G_GINT64_FORMAT " us",
                  elapsed);
  /* Generous bound: the quadratic worst case here is about 10^5 steps. */
  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC);

  /* A 255-byte key of 128 one-letter words, exact and wildcard. */
  g_string_truncate (key, 0);
  g_string_truncate (pattern, 0);
  for (guint i = 0; i < 128; i++)
    {
      g_string_append_printf (key, "%s%c", i ? "." : "", 'a' + i % 26);
      g_string_append_printf (pattern, "%s%s", i ? "." : "", i % 2 ? "*" : "#");
    }
  g_assert_cmpuint (key->len, ==, 255);
  g_assert_true (pi_topic_match (key->str, key->str));
  g_assert_true (pi_topic_match (pattern->str, key->str));
  g_string_append (key, ".z");
  g_assert_true (pi_topic_match (pattern->str, key->str));
}

/* Reference matcher: the textbook recursion over split words. Exponential
 * in the worst case, fine for the short random inputs below.
 */
static gboolean
reference_match (char **pat,
                 char **key)
{
  if (*pat == NULL)
    return *key == NULL;

  if (g_str_equal (*pat, "#"))
    return reference_match (pat + 1, key) ||
           (*key != NULL && reference_match (pat, key + 1));

  if (*key == NULL)
    return FALSE;

  if (g_str_equal (*pat, "*") || g_str_equal (*pat, *key))
    return reference_match (pat + 1, key + 1);

  return FALSE;
}

static char **
split_words (const char *str)
{
  /* RabbitMQ: the empty string has no words; otherwise split at every dot. */
  if (*str == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (str, ".", -1);
}

static void
random_topic (GRand   *rand,
              GString *out,
              gboolean pattern)
{
  static const char *key_words[] = { "a", "b", "", "ab" };
  static const char *pattern_words[] = { "a", "b", "", "ab", "*", "#", "#", "*" };
  guint n = g_rand_int_range (rand, 0, 7);

  g_string_truncate (out, 0);
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, '.');
      if (pattern)
        g_string_append (out, pattern_words[g_rand_int_range (rand, 0, G_N_ELEMENTS (pattern_words))]);
      else
        g_string_append (out, key_words[g_rand_int_range (rand, 0, G_N_ELEMENTS (key_words))]);
    }
}

static void
test_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  g_autoptr(GString) pattern = g_string_new (NULL);
  g_autoptr(GString) key = g_string_new (NULL);
  guint matches = 0;

  for (guint i = 0; i < 20000; i++)
    {
      g_auto(GStrv) pattern_words = NULL;
      g_auto(GStrv) key_words = NULL;
      gboolean expected;

      random_topic (rand, pattern, TRUE);
      random_topic (rand, key, FALSE);
      pattern_words = split_words (pattern->str);
      key_words = split_words (key->str);
      expected = reference_match (pattern_words, key_words);
      matches += expected;

      if (pi_topic_match (pattern->str, key->str) != expected)
        g_error ("pattern “%s” against key “%s”: expected %s",
                 pattern->str, key->str, expected ? "match" : "no match");
    }

  /* Both outcomes must have been exercised. */
  g_assert_cmpuint (matches, >, 1000);
  g_assert_cmpuint (matches, <, 19000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/topic/literal", test_literal);
  g_test_add_func ("/pi/topic/star", test_star);
  g_test_add_func ("/pi/topic/hash", test_hash);
  g_test_add_func ("/pi/topic/taskcluster", test_taskcluster);
  g_test_add_func ("/pi/topic/long", test_long);
  g_test_add_func ("/pi/topic/random", test_random);

  return g_test_run ();
}
