/* fuzz-connect-query.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-server-private.h"

#include "fuzz-common.h"

/*
 * Oracles for the events server's reading of a connect query
 * (pi_server_parse_connect_query() in src/server/pi-server.c), the input
 * being the query as a client sends it:
 *
 * - it gives either the decoded `bindings` value or a reason for a 400;
 * - an accepted value, percent-encoded again as the one key, reads back
 *   the same; with another key, or a second `bindings`, it is refused;
 * - bindings read from that value and written by the client's own
 *   pi_bindings_to_query() come back as pi_bindings_to_json() wrote them;
 * - with `resume` allowed (pi_server_parse_connect_query_resume()), the
 *   same `bindings`, and a resume value only when the query had the key
 *   with a valid value: `1` or `ID:NUMBER`.
 */

static char *
parse (const char  *query,
       const char **reason)
{
  char *value = pi_server_parse_connect_query (query, reason);

  FUZZ_CHECK ((value == NULL) != (*reason == NULL));
  if (value != NULL)
    FUZZ_CHECK (value[0] != '\0');
  return value;
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
  /* The query is a C string (GUri's). */
  g_autofree char *query = g_strndup ((const char *) data, size);
  g_autofree char *value = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *again_query = NULL;
  g_autofree char *again = NULL;
  g_autofree char *other_key = NULL;
  g_autofree char *twice = NULL;
  g_autofree char *refused = NULL;
  g_autoptr(GPtrArray) bindings = NULL;
  const char *reason = NULL;

  {
    g_autofree char *resume = NULL;
    g_autofree char *with_resume = pi_server_parse_connect_query_resume (query, &resume, &reason);
    g_autofree char *plain = pi_server_parse_connect_query (query, &reason);

    FUZZ_CHECK (with_resume != NULL || resume == NULL);
    if (plain != NULL)
      FUZZ_CHECK (with_resume != NULL && strcmp (plain, with_resume) == 0 && resume == NULL);
    if (resume != NULL)
      {
        const char *colon = strchr (resume, ':');

        FUZZ_CHECK (strcmp (resume, "1") == 0 || (colon != NULL && colon > resume && colon[1] != '\0'));
      }
  }

  value = parse (query, &reason);
  if (value == NULL)
    return 0;

  escaped = g_uri_escape_string (value, NULL, FALSE);
  again_query = g_strconcat ("&bindings=", escaped, "&", NULL);
  again = parse (again_query, &reason);
  FUZZ_CHECK (again != NULL && strcmp (again, value) == 0);

  other_key = g_strconcat (query, "&x=1", NULL);
  refused = parse (other_key, &reason);
  FUZZ_CHECK (refused == NULL);

  twice = g_strconcat (query, "&", query, NULL);
  g_clear_pointer (&refused, g_free);
  refused = parse (twice, &reason);
  FUZZ_CHECK (refused == NULL);

  bindings = pi_bindings_from_json (value, NULL);
  if (bindings != NULL)
    {
      g_autofree char *json = pi_bindings_to_json (bindings);
      g_autofree char *client_query = pi_bindings_to_query (bindings);
      g_autofree char *read = NULL;

      read = parse (client_query, &reason);
      FUZZ_CHECK (read != NULL && strcmp (read, json) == 0);
    }

  return 0;
}
