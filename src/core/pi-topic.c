/* pi-topic.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-topic"

#include "config.h"

#include "pi-topic.h"

/* Words are walked in place: a cursor points at the first byte of a word,
 * or is NULL when there are no words left. The distinction matters because
 * empty words are real words: "a." has two words ("a" and ""), while the
 * empty string has none (this is how RabbitMQ splits topic keys).
 */

static inline const char *
first_word (const char *str)
{
  return *str == '\0' ? NULL : str;
}

static inline const char *
next_word (const char *word)
{
  while (*word != '\0' && *word != '.')
    word++;

  return *word == '.' ? word + 1 : NULL;
}

static inline gboolean
word_is (const char *word,
         char        c)
{
  return word[0] == c && (word[1] == '.' || word[1] == '\0');
}

static inline gboolean
words_equal (const char *a,
             const char *b)
{
  for (;;)
    {
      gboolean a_end = (*a == '.' || *a == '\0');
      gboolean b_end = (*b == '.' || *b == '\0');

      if (a_end || b_end)
        return a_end && b_end;
      if (*a != *b)
        return FALSE;
      a++;
      b++;
    }
}

/**
 * pi_topic_match:
 * @pattern: a binding's routing-key pattern, e.g. `primary.*.#`
 * @routing_key: a message's routing key
 *
 * Matches @routing_key against @pattern the way a RabbitMQ topic exchange
 * does: both are split into words at each `.`; `*` matches exactly one word
 * (an empty one too), `#` matches zero or more words, any other word must be
 * equal. Empty words are words: `a.*` matches `a.` but not `a`. The empty
 * string has no words, so `#` matches it and `*` does not.
 *
 * `*` and `#` are wildcards only as whole words; inside a word (`a*`) they
 * are ordinary characters.
 *
 * This runs once per message per subscriber in the embedded exchange, so it
 * allocates nothing. It works like the classic glob matcher: on a mismatch it
 * only retries the most recent `#` with one more word, which is enough
 * because a later `#` can absorb anything an earlier one could. The cost is
 * at most (words in pattern) x (words in key), never exponential.
 *
 * Returns: whether @routing_key matches @pattern
 */
gboolean
pi_topic_match (const char *pattern,
                const char *routing_key)
{
  const char *p;
  const char *k;
  const char *hash_next = NULL;  /* pattern word after the last '#' */
  const char *hash_key = NULL;   /* first key word that '#' did not take */
  gboolean have_hash = FALSE;

  g_return_val_if_fail (pattern != NULL, FALSE);
  g_return_val_if_fail (routing_key != NULL, FALSE);

  p = first_word (pattern);
  k = first_word (routing_key);

  for (;;)
    {
      if (p != NULL)
        {
          if (word_is (p, '#'))
            {
              /* Collapse "#.#": consecutive hashes match what one does. */
              do
                p = next_word (p);
              while (p != NULL && word_is (p, '#'));

              /* A trailing '#' takes whatever is left. */
              if (p == NULL)
                return TRUE;

              have_hash = TRUE;
              hash_next = p;
              hash_key = k;
              continue;
            }

          if (k != NULL && (word_is (p, '*') || words_equal (p, k)))
            {
              p = next_word (p);
              k = next_word (k);
              continue;
            }
        }
      else if (k == NULL)
        {
          return TRUE;
        }

      /* Mismatch: let the last '#' take one more key word and retry. */
      if (!have_hash || hash_key == NULL)
        return FALSE;

      hash_key = next_word (hash_key);
      k = hash_key;
      p = hash_next;
    }
}
