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

/**
 * pi_deployments_describe_url:
 * @address: a server URL as the user gave it
 *
 * Returns: (transfer full): what to call @address in the window's title: a known
 *   deployment's name, else its host (and port)
 */
char *
pi_deployments_describe_url (const char *address)
{
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (address != NULL, NULL);

  /* Whatever is shown, a password is not. */
  url = pi_deployments_without_password (address);

  for (guint i = 0; i < G_N_ELEMENTS (deployments); i++)
    {
      if (pi_deployments_same_server (url, deployments[i].url))
        return g_strdup (_(deployments[i].name));

      /* A root URL and its events URL are the same deployment. */
      if (g_str_has_prefix (url, deployments[i].url) &&
          g_str_has_prefix (url + strlen (deployments[i].url), "/api/"))
        return g_strdup (_(deployments[i].name));
    }

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    return url[0] != '\0' ? g_steal_pointer (&url) : g_strdup (_("No Server"));

  if (pi_deployments_is_broker_url (url) &&
      g_ascii_strcasecmp (g_uri_get_host (uri), PI_PULSE_HOST) == 0)
    return g_strdup (_("Mozilla Pulse"));

  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));

  return g_strdup (g_uri_get_host (uri));
}

static gboolean
scheme_is (const char *url,
           const char *scheme)
{
  gsize len = strlen (scheme);

  return g_ascii_strncasecmp (url, scheme, len) == 0 && strncmp (url + len, "://", 3) == 0;
}

/**
 * pi_deployments_is_broker_url:
 * @url: a server URL
 *
 * Returns: whether @url names an AMQP broker (amqp:// or amqps://), which
 *   the app listens to directly, with a password from the keyring
 */
gboolean
pi_deployments_is_broker_url (const char *url)
{
  g_return_val_if_fail (url != NULL, FALSE);

  return scheme_is (url, "amqp") || scheme_is (url, "amqps");
}

/**
 * pi_deployments_check_url:
 * @url: what the user typed
 * @error: return location for the reason, in words
 *
 * Checks that @url can be a server: an http or https URL with a host, or a
 * broker's amqp or amqps URL with a host and no password (the password is
 * asked for, and kept in the keyring). What a web server speaks is found
 * out when connecting.
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
  gboolean broker;

  g_return_val_if_fail (url != NULL, FALSE);

  if (url[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter a deployment’s root URL, an events server URL or a broker’s amqps:// URL"));
      return FALSE;
    }

  if (strstr (url, "://") == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The address must start with https://, http://, amqps:// or amqp://"));
      return FALSE;
    }

  /* A password in an address ends up in the recent servers, the settings
   * and the process list: it belongs in the keyring. Found in the text, as
   * GUri cannot parse many a password (and would quote it back). */
  if (pi_deployments_is_broker_url (url))
    {
      g_autofree char *clean = pi_deployments_without_password (url);

      if (strcmp (clean, url) != 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Leave the password out of the address: type the password when asked, and it is kept in your keyring"));
          return FALSE;
        }
    }

  if (!(uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, &local_error)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("This is not a valid address: %s"), local_error->message);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  broker = g_ascii_strcasecmp (scheme, "amqp") == 0 || g_ascii_strcasecmp (scheme, "amqps") == 0;
  if (!broker && g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s:” addresses are not supported: use https://, http://, amqps:// or amqp://"), scheme);
      return FALSE;
    }

  if (g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The address has no host name"));
      return FALSE;
    }

  if (broker && g_uri_get_password (uri) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Leave the password out of the address: type the password when asked, and it is kept in your keyring"));
      return FALSE;
    }

  if (broker && (g_uri_get_user (uri) == NULL || g_uri_get_user (uri)[0] == '\0'))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Put the user name before the host, as in amqps://USER@host/"));
      return FALSE;
    }

  return TRUE;
}

/**
 * pi_deployments_pulse_url:
 * @user: a Mozilla Pulse user name, as PulseGuardian shows it
 * @error: return location for the reason, in words
 *
 * Returns: (transfer full) (nullable): the address of Mozilla Pulse for
 *   @user, "amqps://USER@pulse.mozilla.org:5671/", or %NULL if @user cannot
 *   be a user name
 */
char *
pi_deployments_pulse_url (const char  *user,
                          GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (user != NULL, NULL);

  trimmed = g_strstrip (g_strdup (user));
  if (trimmed[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter your Pulse user name"));
      return NULL;
    }

  for (const char *p = trimmed; *p != '\0'; p++)
    if (g_ascii_isspace (*p) || *p == '@' || *p == ':' || *p == '/')
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("A Pulse user name has no “%c”: enter the name PulseGuardian shows"),
                     g_ascii_isspace (*p) ? ' ' : *p);
        return NULL;
      }

  escaped = g_uri_escape_string (trimmed, NULL, FALSE);
  return g_strdup_printf ("amqps://%s@%s:%d/", escaped, PI_PULSE_HOST, PI_PULSE_PORT);
}

/**
 * pi_deployments_broker_user:
 * @url: a broker's amqp:// or amqps:// URL
 *
 * Returns: (transfer full): the user the URL names, "guest" (RabbitMQ's
 *   default) when none
 */
char *
pi_deployments_broker_user (const char *url)
{
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, NULL);
  if (uri == NULL || g_uri_get_user (uri) == NULL || g_uri_get_user (uri)[0] == '\0')
    return g_strdup ("guest");

  return g_strdup (g_uri_get_user (uri));
}

/* A broker's address without its password, found in the text itself: GUri
 * refuses many addresses a password makes (a '/', '?', '#' or '%' in it), and
 * one it refuses must not be kept as typed either. The user info runs from
 * "://" to the last '@' (a password may hold '@' and '/'; a vhost seldom
 * holds '@'), and the password from its first ':' to there. */
static char *
broker_url_without_password (const char *url)
{
  const char *authority = strstr (url, "://") + 3;
  const char *at = strrchr (authority, '@');
  const char *colon;

  if (at == NULL)
    return g_strdup (url);

  colon = memchr (authority, ':', at - authority);
  if (colon == NULL)
    return g_strdup (url);

  return g_strdup_printf ("%.*s%s", (int) (colon - url), url, at);
}

/**
 * pi_deployments_without_password:
 * @url: a server URL
 *
 * Returns: (transfer full): @url without a password, if it had one (a
 *   hand-edited setting, a command line), and without blanks around it:
 *   what may be remembered or shown
 */
char *
pi_deployments_without_password (const char *url)
{
  g_autofree char *trimmed = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) cleaned = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  trimmed = g_strstrip (g_strdup (url));
  if (pi_deployments_is_broker_url (trimmed))
    return broker_url_without_password (trimmed);

  uri = g_uri_parse (trimmed, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL || g_uri_get_password (uri) == NULL)
    return g_steal_pointer (&trimmed);

  cleaned = g_uri_build_with_user (g_uri_get_flags (uri), g_uri_get_scheme (uri),
                                   g_uri_get_user (uri), NULL, g_uri_get_auth_params (uri),
                                   g_uri_get_host (uri), g_uri_get_port (uri),
                                   g_uri_get_path (uri), g_uri_get_query (uri),
                                   g_uri_get_fragment (uri));
  return g_uri_to_string (cleaned);
}

/* @url in a form where two addresses of the same server compare equal:
 * no password, the port spelled out, "localhost" as 127.0.0.1, and an
 * events server's base path (/api/events/v1) or a trailing slash dropped. */
static char *
comparable_url (const char *url)
{
  g_autofree char *clean = pi_deployments_without_password (url);
  g_autoptr(GUri) uri = NULL;
  g_autofree char *path = NULL;
  g_autofree char *host = NULL;
  const char *scheme;
  int port;

  if (pi_deployments_is_broker_url (clean) ||
      (uri = g_uri_parse (clean, G_URI_FLAGS_ENCODED, NULL)) == NULL ||
      g_uri_get_host (uri) == NULL)
    return g_steal_pointer (&clean);

  scheme = g_uri_get_scheme (uri);
  port = g_uri_get_port (uri);
  if (port < 0)
    port = g_ascii_strcasecmp (scheme, "https") == 0 ? 443 : 80;
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  if (g_str_equal (host, "localhost"))
    g_set_str (&host, "127.0.0.1");
  path = g_strdup (g_uri_get_path (uri));
  while (g_str_has_suffix (path, "/"))
    path[strlen (path) - 1] = '\0';
  if (g_str_has_suffix (path, "/api/events/v1"))
    path[strlen (path) - strlen ("/api/events/v1")] = '\0';

  return g_strdup_printf ("%s://%s:%d%s", scheme, host, port, path);
}

/**
 * pi_deployments_same_server:
 * @a: a server's address
 * @b: another
 *
 * Whether @a and @b are the same server however they are written: with or
 * without a password, the default port spelled out or not, "localhost" or
 * 127.0.0.1, an events server's base path (/api/events/v1) or a trailing
 * slash. Compares no case.
 *
 * Returns: whether they are the same server
 */
gboolean
pi_deployments_same_server (const char *a,
                            const char *b)
{
  g_autofree char *comparable_a = NULL;
  g_autofree char *comparable_b = NULL;

  if (a == NULL || b == NULL)
    return a == b;

  comparable_a = comparable_url (a);
  comparable_b = comparable_url (b);
  return g_ascii_strcasecmp (comparable_a, comparable_b) == 0;
}

/**
 * pi_deployments_dup_chosen_server:
 * @settings: the app's settings
 *
 * The server the user chose, as the settings keep it. Until one is chosen
 * (a first start), the setting's default is a placeholder, not a choice.
 *
 * Returns: (transfer full) (nullable): the chosen server URL, or %NULL
 */
char *
pi_deployments_dup_chosen_server (GSettings *settings)
{
  g_autoptr(GVariant) chosen = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  chosen = g_settings_get_user_value (settings, "server-url");
  return chosen != NULL ? g_variant_dup_string (chosen, NULL) : NULL;
}
