/* pi-deployments.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-deployments"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "pi-deployments.h"

/* The places people listen to, offered by name in the Connect dialog. The
 * public Taskcluster deployments let anonymous users read Pulse messages. */
static const PiDeployment deployments[] = {
  { N_("Firefox CI"), "https://firefox-ci-tc.services.mozilla.com",
    N_("Mozilla’s Taskcluster for Firefox and its relatives") },
  { N_("Taskcluster Community"), "https://community-tc.services.mozilla.com",
    N_("Taskcluster for community projects") },
  { N_("Local Events Server"), PI_LOCAL_EVENTS_URL,
    N_("pulse-events on this computer, for example with --demo") },
};

/**
 * pi_deployments_get:
 * @n_deployments: (out): the number of entries
 *
 * Returns: (transfer none) (array length=n_deployments): the known deployments
 */
const PiDeployment *
pi_deployments_get (guint *n_deployments)
{
  g_return_val_if_fail (n_deployments != NULL, NULL);

  *n_deployments = G_N_ELEMENTS (deployments);
  return deployments;
}

static gboolean
same_server (const char *a,
             const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);

  while (la > 0 && a[la - 1] == '/')
    la--;
  while (lb > 0 && b[lb - 1] == '/')
    lb--;

  return la == lb && g_ascii_strncasecmp (a, b, la) == 0;
}

/**
 * pi_deployments_describe_url:
 * @url: a server URL as the user gave it
 *
 * Returns: (transfer full): what to call @url in the window's title: a known
 *   deployment's name, else its host (and port)
 */
char *
pi_deployments_describe_url (const char *url)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (deployments); i++)
    {
      if (same_server (url, deployments[i].url))
        return g_strdup (_(deployments[i].name));

      /* A root URL and its events URL are the same deployment. */
      if (g_str_has_prefix (url, deployments[i].url) &&
          g_str_has_prefix (url + strlen (deployments[i].url), "/api/"))
        return g_strdup (_(deployments[i].name));
    }

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    return g_strdup (url[0] != '\0' ? url : _("No Server"));

  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));

  return g_strdup (g_uri_get_host (uri));
}

/**
 * pi_deployments_check_url:
 * @url: what the user typed
 * @error: return location for the reason, in words
 *
 * Checks that @url can be a server: an http or https URL with a host. What
 * the server speaks is found out when connecting.
 *
 * Returns: %TRUE if @url is usable
 */
gboolean
pi_deployments_check_url (const char  *url,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;

  g_return_val_if_fail (url != NULL, FALSE);

  if (url[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter a deployment’s root URL or an events server URL"));
      return FALSE;
    }

  if (strstr (url, "://") == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The address must start with https:// or http://"));
      return FALSE;
    }

  if (!(uri = g_uri_parse (url, G_URI_FLAGS_NONE, &local_error)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("This is not a web address: %s"), local_error->message);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s:” addresses are not supported: use https:// or http://"), scheme);
      return FALSE;
    }

  if (g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The address has no host name"));
      return FALSE;
    }

  return TRUE;
}
