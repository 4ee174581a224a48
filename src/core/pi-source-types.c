/* pi-source-types.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>
#include <string.h>

#include "pi-amqp-client.h"
#include "pi-binding.h"
#include "pi-source-private.h"

/*
 * The types around PiSource (its state enum, error domain and
 * PiRawEvent) and the derivation of the URL it connects to.
 */

G_DEFINE_QUARK (pi-source-error-quark, pi_source_error)

G_DEFINE_BOXED_TYPE (PiRawEvent, pi_raw_event, pi_raw_event_copy, pi_raw_event_free)

GType
pi_stream_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { PI_STREAM_STATE_DISCONNECTED, "PI_STREAM_STATE_DISCONNECTED", "disconnected" },
        { PI_STREAM_STATE_CONNECTING, "PI_STREAM_STATE_CONNECTING", "connecting" },
        { PI_STREAM_STATE_WAITING_FOR_READY, "PI_STREAM_STATE_WAITING_FOR_READY", "waiting-for-ready" },
        { PI_STREAM_STATE_LIVE, "PI_STREAM_STATE_LIVE", "live" },
        { PI_STREAM_STATE_RECONNECTING, "PI_STREAM_STATE_RECONNECTING", "reconnecting" },
        { PI_STREAM_STATE_FAILED, "PI_STREAM_STATE_FAILED", "failed" },
        { 0, NULL, NULL }
      };
      GType type = g_enum_register_static (g_intern_static_string ("PiStreamState"), values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

/* --- PiRawEvent ---------------------------------------------------------- */

/**
 * pi_raw_event_new:
 * @event: the event type
 * @id: the last event ID
 * @data: the data
 * @data_len: length of @data, or -1 when NUL-terminated
 *
 * Returns: (transfer full): a new #PiRawEvent
 */
PiRawEvent *
pi_raw_event_new (const char *event,
                  const char *id,
                  const char *data,
                  gsize       data_len)
{
  PiRawEvent *raw = g_new0 (PiRawEvent, 1);

  raw->event = g_strdup (event ? event : "message");
  raw->id = g_strdup (id ? id : "");
  if (data_len == (gsize) -1)
    data_len = data ? strlen (data) : 0;
  raw->data = g_malloc (data_len + 1);
  if (data_len > 0)
    memcpy (raw->data, data, data_len);
  raw->data[data_len] = '\0';
  raw->data_len = data_len;

  return raw;
}

/**
 * pi_raw_event_copy:
 * @raw: a #PiRawEvent
 *
 * Returns: (transfer full): a copy of @raw
 */
PiRawEvent *
pi_raw_event_copy (const PiRawEvent *raw)
{
  g_return_val_if_fail (raw != NULL, NULL);

  return pi_raw_event_new (raw->event, raw->id, raw->data, raw->data_len);
}

/**
 * pi_raw_event_free:
 * @raw: (transfer full): a #PiRawEvent
 */
void
pi_raw_event_free (PiRawEvent *raw)
{
  if (raw == NULL)
    return;

  g_free (raw->event);
  g_free (raw->id);
  g_free (raw->data);
  g_free (raw);
}

/* --- Where to connect ----------------------------------------------------- */

static gboolean
path_has_suffix (const char *path,
                 gsize       len,
                 const char *suffix)
{
  gsize slen = strlen (suffix);

  return len >= slen && g_ascii_strncasecmp (path + len - slen, suffix, slen) == 0;
}

/* Parses what the user typed as an http(s) URL, with errors in words. */
GUri *
pi_source_parse_server_url (const char  *server_url,
                  GError     **error)
{
  g_autofree char *text = NULL;
  g_autofree char *with_scheme = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  text = g_strstrip (g_strdup (server_url ? server_url : ""));
  if (*text == '\0')
    {
      g_set_error_literal (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                           _("No server address given"));
      return NULL;
    }

  /* "tc.example.com" is meant as https://tc.example.com */
  if (strstr (text, "://") == NULL)
    with_scheme = g_strconcat ("https://", text, NULL);
  else
    with_scheme = g_strdup (text);

  uri = g_uri_parse (with_scheme, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  if (uri == NULL)
    {
      g_set_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                   _("“%s” is not a valid web address"), text);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                   _("“%s” is not a web address: it must start with https:// or http://"), text);
      return NULL;
    }

  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                   _("“%s” has no server name"), text);
      return NULL;
    }

  return pi_source_uri_escape_zone (g_steal_pointer (&uri));
}

/*
 * An IPv6 literal with a zone id (RFC 6874: http://[fe80::1%25eth0]:8080/)
 * parses to the host "fe80::1%eth0", and an encoded GUri writes its host
 * back as it is: "[fe80::1%eth0]", which no strict parser (libsoup's
 * included) takes. Every URL of a source is built from this GUri, so its
 * host keeps the zone escaped ("%25"); parsing such a URL again gives the
 * zone back for the socket. Takes @uri.
 */
GUri *
pi_source_uri_escape_zone (GUri *uri)
{
  const char *host = g_uri_get_host (uri);
  g_autofree char *escaped = NULL;
  GUri *rebuilt;

  if (host == NULL || strchr (host, ':') == NULL || strchr (host, '%') == NULL)
    return uri;

  {
    g_auto(GStrv) parts = g_strsplit (host, "%", 2);

    escaped = g_strconcat (parts[0], "%25", parts[1], NULL);
  }
  rebuilt = g_uri_build_with_user (g_uri_get_flags (uri) | G_URI_FLAGS_ENCODED,
                                   g_uri_get_scheme (uri), g_uri_get_user (uri),
                                   g_uri_get_password (uri), g_uri_get_auth_params (uri),
                                   escaped, g_uri_get_port (uri), g_uri_get_path (uri),
                                   g_uri_get_query (uri), g_uri_get_fragment (uri));
  g_uri_unref (uri);
  return rebuilt;
}

/* @url without the ":PASSWORD" of its user part, or NULL when it has none:
 * an address that does not parse must not show its password either. The
 * user part runs to the last "@": a password may hold "/", "?", "#" or "@"
 * that were not escaped. */
static char *
strip_password (const char *url)
{
  const char *authority = strstr (url, "://");
  const char *at, *colon;

  if (authority == NULL)
    return NULL;
  authority += 3;
  at = strrchr (authority, '@');
  if (at == NULL)
    return NULL;
  colon = memchr (authority, ':', at - authority);
  if (colon == NULL)
    return NULL;

  {
    GString *shown = g_string_new_len (url, colon - url);

    g_string_append (shown, at);
    return g_string_free (shown, FALSE);
  }
}

/**
 * pi_source_check_amqp_address:
 * @server_url: an amqp:// or amqps:// address
 * @error: return location for a #PI_SOURCE_ERROR
 *
 * Checks a broker address as pi_source_set_server_url() takes it, with
 * errors in words. It must not hold a password: addresses are shown.
 *
 * Returns: (transfer full): the address as shown, or %NULL with @error set
 */
char *
pi_source_check_amqp_address (const char  *server_url,
                          GError     **error)
{
  g_autofree char *text = g_strstrip (g_strdup (server_url ? server_url : ""));
  g_autofree char *without = strip_password (text);
  g_autoptr(PiAmqpAddress) address = NULL;
  g_autoptr(GError) local_error = NULL;

  /* The address is shown (the window, a capture, logs): the password would
   * be too. It is asked for, and kept apart. */
  if (without != NULL)
    {
      g_set_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                   _("The broker address holds a password, and addresses are shown: "
                     "give it without (%s); the password is asked for separately"), without);
      return NULL;
    }

  address = pi_amqp_address_parse (text, &local_error);
  if (address == NULL)
    {
      g_set_error_literal (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL, local_error->message);
      return NULL;
    }

  /* A password %-encoded past the check above, say. */
  if (address->password != NULL)
    {
      g_autofree char *shown = NULL;

      g_clear_pointer (&address->password, g_free);
      shown = pi_amqp_address_to_string (address);
      g_set_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL,
                   _("The broker address holds a password, and addresses are shown: "
                     "give it without (%s); the password is asked for separately"), shown);
      return NULL;
    }

  return pi_amqp_address_to_string (address);
}

char *
pi_source_check_url (const char  *server_url,
                     GError     **error)
{
  g_autoptr(GUri) uri = pi_source_parse_server_url (server_url, error);

  return uri ? g_uri_to_string (uri) : NULL;
}

/**
 * pi_source_derive_connect_url:
 * @server_url: what the user typed: a root URL (`https://tc.example.com`),
 *   a base URL (`…/api/events/v1`), the legacy
 *   `https://events.taskcluster.net/v1`, or a full connect URL
 * @bindings: (nullable) (element-type PiBinding): the bindings; %NULL keeps
 *   the query of a full connect URL (or binds nothing)
 * @error: return location for a #PI_SOURCE_ERROR
 *
 * Derives the URL to GET for the event stream.
 *
 * Returns: (transfer full): the connect URL, or %NULL with @error set
 */
char *
pi_source_derive_connect_url (const char  *server_url,
                              GPtrArray   *bindings,
                              GError     **error)
{
  g_autofree char *base = NULL;
  g_autofree char *query = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) result = NULL;
  const char *scheme;
  const char *path;
  gsize len;
  gboolean is_connect = FALSE;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uri = pi_source_parse_server_url (server_url, error);
  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);

  /* Normalize the path: drop trailing slashes, then recognize the forms. */
  path = g_uri_get_path (uri);
  len = strlen (path);
  while (len > 0 && path[len - 1] == '/')
    len--;

  if (path_has_suffix (path, len, "/connect"))
    {
      is_connect = TRUE;
      base = g_strndup (path, len - strlen ("/connect"));
    }
  else if (path_has_suffix (path, len, "/api/events/v1") ||
           path_has_suffix (path, len, "/v1"))
    {
      /* A base URL; "/v1" alone is the legacy events.taskcluster.net form. */
      base = g_strndup (path, len);
    }
  else
    {
      g_autofree char *root = g_strndup (path, len);

      base = g_strconcat (root, "/api/events/v1", NULL);
    }

  if (bindings != NULL)
    query = pi_bindings_to_query (bindings);
  else if (is_connect && g_uri_get_query (uri) != NULL)
    {
      const char *given = g_uri_get_query (uri);

      /* Kept as given; a query without the key is taken as the bindings' value. */
      if (g_str_has_prefix (given, "bindings="))
        query = g_strdup (given);
      else
        query = g_strconcat ("bindings=", given, NULL);
    }
  else
    {
      g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func (g_object_unref);

      query = pi_bindings_to_query (none);
    }

  {
    g_autofree char *connect_path = g_strconcat (base, "/connect/", NULL);

    result = g_uri_build (G_URI_FLAGS_ENCODED,
                          scheme,
                          NULL,
                          g_uri_get_host (uri),
                          g_uri_get_port (uri),
                          connect_path,
                          query,
                          NULL);
  }

  return g_uri_to_string (result);
}
