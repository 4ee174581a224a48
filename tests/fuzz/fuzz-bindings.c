/* fuzz-bindings.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-binding.h"

#include "fuzz-common.h"

/*
 * Oracles for bindings (pi-binding.c, pi-binding-list.c), with the input
 * read in every form a person or a client can give it:
 *
 * - as the connect query's JSON: what is read writes back (to_json) to
 *   text that reads as the same bindings, and so does the connect query;
 * - as a share link: what is read writes back to a link that reads as the
 *   same bindings;
 * - as a command-line spec EXCHANGE=PATTERN: what is accepted validates,
 *   and its pattern's wildcards are whole words.
 */

static void
check_same (GPtrArray *a,
            GPtrArray *b)
{
  FUZZ_CHECK (a != NULL && b != NULL);
  FUZZ_CHECK (a->len == b->len);
  for (guint i = 0; i < a->len; i++)
    FUZZ_CHECK (pi_binding_equal (a->pdata[i], b->pdata[i]));
}

static gboolean
all_utf8 (GPtrArray *bindings)
{
  for (guint i = 0; i < bindings->len; i++)
    if (!g_utf8_validate (pi_binding_get_exchange (bindings->pdata[i]), -1, NULL) ||
        !g_utf8_validate (pi_binding_get_routing_key_pattern (bindings->pdata[i]), -1, NULL))
      return FALSE;
  return TRUE;
}

static void
check_json_round_trip (GPtrArray *bindings)
{
  g_autofree char *json = NULL;
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GError) error = NULL;

  /* JSON is UTF-8: a link can decode to other bytes, which validation
   * refuses before any caller writes them as JSON. */
  if (!all_utf8 (bindings))
    return;

  json = pi_bindings_to_json (bindings);
  back = pi_bindings_from_json (json, &error);
  if (back == NULL)
    fprintf (stderr, "%s: %s\n", json, error->message);
  check_same (bindings, back);
}

static void
check_link_round_trip (GPtrArray  *bindings,
                       const char *base)
{
  g_autofree char *link = pi_bindings_to_share_link (base, bindings);
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GError) error = NULL;

  back = pi_bindings_from_share_link (link, &error);
  if (bindings->len == 0)
    {
      /* No binding, no link to read (and no crash making it). */
      FUZZ_CHECK (back == NULL);
      return;
    }
  if (back == NULL)
    fprintf (stderr, "%s: %s\n", link, error->message);
  check_same (bindings, back);
}

static void
check_pattern_words (const char *pattern)
{
  g_auto(GStrv) words = g_strsplit (pattern, ".", -1);

  for (guint i = 0; words[i] != NULL; i++)
    if (strchr (words[i], '*') != NULL || strchr (words[i], '#') != NULL)
      FUZZ_CHECK (strcmp (words[i], "*") == 0 || strcmp (words[i], "#") == 0);
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
  /* Every reader takes a C string: the input up to its first NUL. */
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GPtrArray) from_json = NULL;
  g_autoptr(GPtrArray) from_link = NULL;
  g_autoptr(PiBinding) from_spec = NULL;
  g_autoptr(GError) error = NULL;

  from_json = pi_bindings_from_json (text, &error);
  FUZZ_CHECK ((from_json == NULL) == (error != NULL));
  if (from_json != NULL)
    {
      check_json_round_trip (from_json);
      check_link_round_trip (from_json, "https://x/?a=b");
    }
  else
    FUZZ_CHECK (g_error_matches (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON));
  g_clear_error (&error);

  from_link = pi_bindings_from_share_link (text, &error);
  FUZZ_CHECK ((from_link == NULL) == (error != NULL));
  if (from_link != NULL)
    {
      FUZZ_CHECK (from_link->len > 0);
      check_json_round_trip (from_link);
      check_link_round_trip (from_link, "https://tools.example.com/pulse-inspector/");
      check_link_round_trip (from_link, "");
    }
  else
    FUZZ_CHECK (g_error_matches (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_LINK) ||
                g_error_matches (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON));
  g_clear_error (&error);

  from_spec = pi_binding_new_from_spec (text, &error);
  FUZZ_CHECK ((from_spec == NULL) == (error != NULL));
  if (from_spec != NULL)
    {
      const char *exchange = pi_binding_get_exchange (from_spec);
      const char *pattern = pi_binding_get_routing_key_pattern (from_spec);
      g_autofree char *spec = g_strconcat (exchange, "=", pattern, NULL);
      g_autoptr(PiBinding) again = pi_binding_new_from_spec (spec, NULL);

      FUZZ_CHECK (pi_binding_validate (from_spec, NULL));
      FUZZ_CHECK (strchr (exchange, '=') == NULL);
      FUZZ_CHECK (again != NULL && pi_binding_equal (from_spec, again));
      check_pattern_words (pattern);
    }
  else
    FUZZ_CHECK (g_error_matches (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_EXCHANGE) ||
                g_error_matches (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_PATTERN));
  g_clear_error (&error);

  /* The pattern check alone, on the whole input. */
  if (pi_binding_validate_pattern (text, NULL))
    check_pattern_words (text);

  return 0;
}
