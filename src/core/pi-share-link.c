/* pi-share-link.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-share-link"

#include <string.h>

#include "pi-binding.h"
#include "pi-share-link.h"

/**
 * pi_share_link_looks_like:
 * @text: a command-line argument or pasted text
 *
 * Returns: %TRUE if @text is meant as a share link (a web URL, or a bare
 *   query with bindings) rather than a file
 */
gboolean
pi_share_link_looks_like (const char *text)
{
  g_return_val_if_fail (text != NULL, FALSE);

  return g_str_has_prefix (text, "http://") ||
         g_str_has_prefix (text, "https://") ||
         strstr (text, "bindings[") != NULL ||
         strstr (text, "bindings=") != NULL ||
         strstr (text, "bindings%5B") != NULL;
}

/**
 * pi_share_link_server_url:
 * @link: a share link
 *
 * Where @link says to listen:
 * - taskcluster-ui's page `https://HOST/pulse-messages?…` is served by the
 *   deployment itself, so its root URL is `https://HOST`;
 * - links made by this app start with the events URL
 *   (`<root>/api/events/v1?bindings…`, or a connect URL);
 * - the 2018 inspector's page on another host names no server.
 *
 * Returns: (transfer full) (nullable): the root or events URL, or %NULL
 */
char *
pi_share_link_server_url (const char *link)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *base = NULL;
  const char *path;
  gsize len;

  g_return_val_if_fail (link != NULL, NULL);

  if (!g_str_has_prefix (link, "http://") && !g_str_has_prefix (link, "https://"))
    return NULL;

  if ((uri = g_uri_parse (link, G_URI_FLAGS_ENCODED, NULL)) == NULL ||
      g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    return NULL;

  path = g_uri_get_path (uri);
  len = strlen (path);
  while (len > 0 && path[len - 1] == '/')
    len--;

  if (len >= strlen ("/pulse-messages") &&
      strncmp (path + len - strlen ("/pulse-messages"), "/pulse-messages", strlen ("/pulse-messages")) == 0)
    {
      /* Scheme, host and port only: what comes before the page is the UI's,
       * and a root URL has no path. */
      return g_uri_join (G_URI_FLAGS_ENCODED,
                         g_uri_get_scheme (uri), NULL,
                         g_uri_get_host (uri), g_uri_get_port (uri),
                         "", NULL, NULL);
    }

  base = g_strndup (link, strcspn (link, "?#"));
  len = strlen (base);
  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  if (g_str_has_suffix (base, "/connect"))
    base[len -= strlen ("/connect")] = '\0';

  if (g_str_has_suffix (base, "/api/events/v1") || g_str_has_suffix (base, "/v1"))
    return g_steal_pointer (&base);

  return NULL;
}

/**
 * pi_share_link_parse:
 * @link: a share link: a URL, or just its query
 * @error: return location for a #GError
 *
 * Reads a share link of taskcluster-ui, of the older web inspectors or of
 * this app: its bindings and, when it names one, its server.
 *
 * Returns: (transfer full) (nullable): the link's contents, or %NULL with
 *   @error set (%PI_BINDING_ERROR)
 */
PiShareLink *
pi_share_link_parse (const char  *link,
                     GError     **error)
{
  g_autofree char *stripped = NULL;
  g_autoptr(GPtrArray) bindings = NULL;
  PiShareLink *result;

  g_return_val_if_fail (link != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Pasted text often carries the line break or spaces around it. */
  stripped = g_strstrip (g_strdup (link));

  if (!(bindings = pi_bindings_from_share_link (stripped, error)))
    return NULL;

  result = g_new0 (PiShareLink, 1);
  result->server_url = pi_share_link_server_url (stripped);
  result->bindings = g_steal_pointer (&bindings);

  return result;
}

void
pi_share_link_free (PiShareLink *link)
{
  if (link == NULL)
    return;

  g_free (link->server_url);
  g_clear_pointer (&link->bindings, g_ptr_array_unref);
  g_free (link);
}
