/* pi-amqp-address.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <glib/gi18n.h>

#include <stdlib.h>
#include <string.h>

#include "pi-amqp-client.h"

/* Broker addresses (amqp:// and amqps:// URLs) and Mozilla Pulse's names. */

static gboolean
has_scheme (const char *url,
            const char *scheme)
{
  return g_ascii_strncasecmp (url, scheme, strlen (scheme)) == 0;
}

gboolean
pi_amqp_url_is_amqp (const char *url)
{
  return url != NULL && (has_scheme (url, "amqp://") || has_scheme (url, "amqps://"));
}

/* @url as an error may show it: without what could be a password. Wherever
 * the parse failed, the user information runs from after the scheme to the
 * last "@" (a password may hold "/", "?", "#" or "@" that were not
 * escaped), and anything between its first ":" and that "@" is hidden. */
static char *
redact_password (const char *url)
{
  const char *rest = strstr (url, "://");
  const char *at, *colon;
  GString *shown;

  if (rest == NULL)
    return g_strdup (url);
  rest += 3;
  at = strrchr (rest, '@');
  if (at == NULL)
    return g_strdup (url);
  colon = memchr (rest, ':', at - rest);
  if (colon == NULL)
    return g_strdup (url);

  shown = g_string_new_len (url, colon + 1 - url);
  g_string_append (shown, "…");
  g_string_append (shown, at);
  return g_string_free (shown, FALSE);
}

static G_GNUC_PRINTF (3, 4) void
set_invalid (GError    **error,
             const char *url,
             const char *format,
             ...)
{
  g_autofree char *why = NULL;
  g_autofree char *shown = redact_password (url);
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a valid broker URL: %s"), shown, why);
}

/* Percent-decodes @len bytes of @text; NULL if an escape is broken or
 * decodes to a NUL byte or to text that is not UTF-8. */
static char *
unescape (const char *text,
          gsize       len)
{
  g_autofree char *part = g_strndup (text, len);
  g_autofree char *decoded = g_uri_unescape_string (part, NULL);

  if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
    return NULL;
  return g_steal_pointer (&decoded);
}

/**
 * pi_amqp_address_parse:
 * @url: `amqp://[USER[:PASSWORD]@]HOST[:PORT][/VHOST]` or `amqps://…`
 * @error: a #GError
 *
 * The user defaults to "guest", the port to 5672 (5671 for amqps), the
 * virtual host to "/" (an empty path too; "%2f" is "/" written out).
 * User, password and virtual host are percent-decoded.
 *
 * Returns: (transfer full): the address, or %NULL with
 *   G_IO_ERROR_INVALID_ARGUMENT saying what is wrong
 */
PiAmqpAddress *
pi_amqp_address_parse (const char  *url,
                       GError     **error)
{
  g_autoptr(PiAmqpAddress) address = NULL;
  const char *rest, *authority_end, *at, *host, *host_end, *port_text = NULL;
  gsize scheme_len;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate (url, -1, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The broker URL is not valid UTF-8 text"));
      return NULL;
    }

  address = g_new0 (PiAmqpAddress, 1);
  if (has_scheme (url, "amqps://"))
    {
      address->tls = TRUE;
      scheme_len = strlen ("amqps://");
    }
  else if (has_scheme (url, "amqp://"))
    {
      scheme_len = strlen ("amqp://");
    }
  else
    {
      set_invalid (error, url, _("it must start with amqp:// (or amqps:// for TLS), as in "
                   "amqps://user@host/"));
      return NULL;
    }

  rest = url + scheme_len;
  if (strpbrk (rest, "?#") != NULL)
    {
      set_invalid (error, url, _("query parameters and fragments (after “?” or “#”) are not supported"));
      return NULL;
    }
  for (const char *p = rest; *p != '\0'; p++)
    {
      if ((guchar) *p <= ' ')
        {
          set_invalid (error, url, _("it contains spaces or control characters"));
          return NULL;
        }
    }

  authority_end = strchr (rest, '/');
  if (authority_end == NULL)
    authority_end = rest + strlen (rest);

  /* The last "@" ends the user information: a password may hold an "@"
   * that was not escaped. */
  at = g_strrstr_len (rest, authority_end - rest, "@");
  if (at != NULL)
    {
      const char *colon = memchr (rest, ':', at - rest);
      const char *user_end = colon != NULL ? colon : at;

      address->user = unescape (rest, user_end - rest);
      if (address->user == NULL)
        {
          set_invalid (error, url, _("the user name has a broken %%-escape"));
          return NULL;
        }
      if (address->user[0] == '\0')
        {
          set_invalid (error, url, _("the user name before “@” is empty"));
          return NULL;
        }
      if (colon != NULL)
        {
          address->password = unescape (colon + 1, at - colon - 1);
          if (address->password == NULL)
            {
              set_invalid (error, url, _("the password has a broken %%-escape"));
              return NULL;
            }
        }
      host = at + 1;
    }
  else
    {
      address->user = g_strdup ("guest");
      host = rest;
    }

  if (host[0] == '[')
    {
      const char *close = memchr (host, ']', authority_end - host);

      if (close == NULL)
        {
          set_invalid (error, url, _("the IPv6 address has no closing “]”"));
          return NULL;
        }
      address->host = g_strndup (host + 1, close - host - 1);
      host_end = close + 1;
      if (strchr (address->host, ':') == NULL ||
          strspn (address->host, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:.%_-") < strlen (address->host))
        {
          set_invalid (error, url, _("“%s” in brackets is not an IPv6 address"), address->host);
          return NULL;
        }
      if (host_end < authority_end && *host_end != ':')
        {
          set_invalid (error, url, _("“%.*s” after the IPv6 address is not a port"),
                       (int) (authority_end - host_end), host_end);
          return NULL;
        }
    }
  else
    {
      host_end = memchr (host, ':', authority_end - host);
      if (host_end == NULL)
        host_end = authority_end;
      address->host = g_strndup (host, host_end - host);
    }

  if (address->host[0] == '\0')
    {
      set_invalid (error, url, _("it names no host, as in amqps://user@host/"));
      return NULL;
    }

  if (host_end < authority_end)
    port_text = host_end + 1;   /* after the ":" */

  if (port_text != NULL)
    {
      gsize len = authority_end - port_text;
      guint64 port = 0;

      if (len == 0 || len > 5 || strspn (port_text, "0123456789") < len)
        {
          set_invalid (error, url, _("the port “%.*s” is not a number"), (int) len, port_text);
          return NULL;
        }
      for (gsize i = 0; i < len; i++)
        port = port * 10 + (port_text[i] - '0');
      if (port < 1 || port > 65535)
        {
          set_invalid (error, url, _("the port %u is not between 1 and 65535"), (guint) port);
          return NULL;
        }
      address->port = (int) port;
    }
  else
    {
      address->port = address->tls ? 5671 : 5672;
    }

  if (*authority_end == '/' && authority_end[1] != '\0')
    {
      address->vhost = unescape (authority_end + 1, strlen (authority_end + 1));
      if (address->vhost == NULL)
        {
          set_invalid (error, url, _("the virtual host has a broken %%-escape"));
          return NULL;
        }
      if (strchr (authority_end + 1, '/') != NULL)
        {
          set_invalid (error, url, _("the virtual host contains “/”: write it as %%2F"));
          return NULL;
        }
    }
  else
    {
      address->vhost = g_strdup ("/");
    }

  return g_steal_pointer (&address);
}

PiAmqpAddress *
pi_amqp_address_copy (const PiAmqpAddress *address)
{
  PiAmqpAddress *copy;

  g_return_val_if_fail (address != NULL, NULL);

  copy = g_new0 (PiAmqpAddress, 1);
  copy->host = g_strdup (address->host);
  copy->port = address->port;
  copy->user = g_strdup (address->user);
  copy->password = g_strdup (address->password);
  copy->vhost = g_strdup (address->vhost);
  copy->tls = address->tls;

  return copy;
}

void
pi_amqp_address_free (PiAmqpAddress *address)
{
  if (address == NULL)
    return;

  g_free (address->host);
  g_free (address->user);
  if (address->password != NULL)
    {
      /* Not left lying in freed memory. */
      memset (address->password, 0, strlen (address->password));
      g_free (address->password);
    }
  g_free (address->vhost);
  g_free (address);
}

/**
 * pi_amqp_address_to_string:
 * @address: an address
 *
 * Returns: (transfer full): the URL without the password, the port only if
 *   not the default and the virtual host only if not "/", e.g.
 *   "amqps://user@host/"; it parses back to the same address (less the password)
 */
char *
pi_amqp_address_to_string (const PiAmqpAddress *address)
{
  GString *out;
  g_autofree char *user = NULL;

  g_return_val_if_fail (address != NULL, NULL);

  out = g_string_new (address->tls ? "amqps://" : "amqp://");
  user = g_uri_escape_string (address->user, NULL, FALSE);
  g_string_append_printf (out, "%s@", user);
  if (strchr (address->host, ':') != NULL)
    g_string_append_printf (out, "[%s]", address->host);
  else
    g_string_append (out, address->host);
  if (address->port != (address->tls ? 5671 : 5672))
    g_string_append_printf (out, ":%d", address->port);
  g_string_append_c (out, '/');
  if (address->vhost != NULL && !g_str_equal (address->vhost, "/"))
    {
      g_autofree char *vhost = g_uri_escape_string (address->vhost, NULL, FALSE);
      g_string_append (out, vhost);
    }

  return g_string_free (out, FALSE);
}

/* --- Mozilla Pulse's names ------------------------------------------------- */

/**
 * pi_amqp_pulse_queue_name:
 * @user: the broker user
 * @prefix: what the queue is for, e.g. "pulse-inspector"
 *
 * Returns: (transfer full): "queue/USER/PREFIX-RANDOM", RANDOM being 16
 *   random hexadecimal digits, so that two clients never share a queue
 */
char *
pi_amqp_pulse_queue_name (const char *user,
                          const char *prefix)
{
  g_autofree char *uuid = g_uuid_string_random ();
  char random[17];
  guint n = 0;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (prefix != NULL, NULL);

  for (const char *p = uuid; *p != '\0' && n < sizeof random - 1; p++)
    {
      if (*p != '-')
        random[n++] = *p;
    }
  random[n] = '\0';

  return g_strdup_printf ("queue/%s/%s-%s", user, prefix, random);
}

/**
 * pi_amqp_pulse_dropped_exchange:
 * @user: the broker user
 * @queue_name: the queue's name, e.g. from pi_amqp_pulse_queue_name()
 *
 * Returns: (transfer full): "exchange/USER/NAME-dropped", NAME being
 *   @queue_name without its "queue/USER/"
 */
char *
pi_amqp_pulse_dropped_exchange (const char *user,
                                const char *queue_name)
{
  g_autofree char *prefix = NULL;
  const char *name;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (queue_name != NULL, NULL);

  prefix = g_strdup_printf ("queue/%s/", user);
  name = g_str_has_prefix (queue_name, prefix) ? queue_name + strlen (prefix) : queue_name;

  return g_strdup_printf ("exchange/%s/%s-dropped", user, name);
}
