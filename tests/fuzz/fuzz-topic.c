/* fuzz-topic.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-topic.h"

#include "fuzz-common.h"

/*
 * Oracle: pi_topic_match() against a matcher written from RabbitMQ's topic
 * semantics, as plainly as possible: both strings are split into words at
 * every '.', the empty string having no words; a pattern word "*" matches
 * exactly one word, "#" zero or more, any other word only an equal word.
 * The input is "PATTERN\nKEY" (a NUL ends either, as it ends a C string).
 */

static char **
split_words (const char *str,
             guint      *n_words)
{
  char **words;

  /* RabbitMQ: the empty string has no words; otherwise split at every dot. */
  if (*str == '\0')
    words = g_new0 (char *, 1);
  else
    words = g_strsplit (str, ".", -1);
  *n_words = g_strv_length (words);
  return words;
}

/* can[i][j]: pattern words i.. match key words j.. (dynamic programming,
 * filled from the ends, so its cost is words x words whatever the input). */
static gboolean
reference_match (const char *pattern,
                 const char *key)
{
  guint np, nk;
  char **p = split_words (pattern, &np);
  char **k = split_words (key, &nk);
  gboolean *can = g_new0 (gboolean, (gsize) (np + 1) * (nk + 1));
  gboolean result;

#define CAN(i, j) can[(gsize) (i) * (nk + 1) + (j)]
  CAN (np, nk) = TRUE;
  for (guint i = np; i-- > 0;)
    for (guint j = nk + 1; j-- > 0;)
      {
        if (strcmp (p[i], "#") == 0)
          CAN (i, j) = CAN (i + 1, j) || (j < nk && CAN (i, j + 1));
        else if (j < nk && (strcmp (p[i], "*") == 0 || strcmp (p[i], k[j]) == 0))
          CAN (i, j) = CAN (i + 1, j + 1);
        else
          CAN (i, j) = FALSE;
      }
  result = CAN (0, 0);
#undef CAN

  g_free (can);
  g_strfreev (p);
  g_strfreev (k);
  return result;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_glib ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *newline = memchr (data, '\n', size);
  g_autofree char *pattern = NULL;
  g_autofree char *key = NULL;

  /* Patterns and keys are at most 255 bytes for a broker; the matcher
   * must stay right (and fast) beyond that, but not without bound here. */
  if (size > 4096)
    return 0;

  if (newline != NULL)
    {
      pattern = g_strndup ((const char *) data, newline - data);
      key = g_strndup ((const char *) newline + 1, size - (newline - data) - 1);
    }
  else
    {
      pattern = g_strndup ((const char *) data, size);
      key = g_strdup ("");
    }

  FUZZ_CHECK (pi_topic_match (pattern, key) == reference_match (pattern, key));
  /* Any string matches itself: its wildcard words match any word. */
  FUZZ_CHECK (pi_topic_match (key, key));
  FUZZ_CHECK (pi_topic_match (pattern, pattern));

  return 0;
}
