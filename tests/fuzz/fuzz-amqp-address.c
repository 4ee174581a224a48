/* fuzz-amqp-address.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pi-amqp-client.h"

#include "fuzz-common.h"

/*
 * Oracle: pi_amqp_address_parse() either fails with
 * G_IO_ERROR_INVALID_ARGUMENT and words, or gives an address whose fields
 * are sane (a host, a port from 1 to 65535, a user, a virtual host, all
 * UTF-8) and whose pi_amqp_address_to_string() parses back to the same
 * address without the password. The input is the URL (up to a NUL).
 */

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
  g_autofree char *url = NULL;
  g_autoptr(PiAmqpAddress) address = NULL;
  g_autoptr(PiAmqpAddress) copy = NULL;
  g_autoptr(PiAmqpAddress) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *string = NULL;

  if (size > 4096)
    return 0;

  url = g_strndup ((const char *) data, size);
  address = pi_amqp_address_parse (url, &error);
  if (address == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
      FUZZ_CHECK (error->message[0] != '\0');
      FUZZ_CHECK (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (pi_amqp_url_is_amqp (url));
  FUZZ_CHECK (address->host != NULL && address->host[0] != '\0');
  FUZZ_CHECK (address->port >= 1 && address->port <= 65535);
  FUZZ_CHECK (address->user != NULL && address->user[0] != '\0');
  FUZZ_CHECK (address->vhost != NULL && address->vhost[0] != '\0');
  FUZZ_CHECK (g_utf8_validate (address->host, -1, NULL));
  FUZZ_CHECK (g_utf8_validate (address->user, -1, NULL));
  FUZZ_CHECK (g_utf8_validate (address->vhost, -1, NULL));
  FUZZ_CHECK (address->password == NULL || g_utf8_validate (address->password, -1, NULL));

  copy = pi_amqp_address_copy (address);
  FUZZ_CHECK (g_strcmp0 (copy->password, address->password) == 0);

  string = pi_amqp_address_to_string (address);
  again = pi_amqp_address_parse (string, &error);
  if (again == NULL)
    fprintf (stderr, "“%s” gave “%s”, which does not parse: %s\n", url, string, error->message);
  FUZZ_CHECK (again != NULL);
  FUZZ_CHECK (g_str_equal (again->host, address->host));
  FUZZ_CHECK (again->port == address->port);
  FUZZ_CHECK (g_str_equal (again->user, address->user));
  FUZZ_CHECK (g_str_equal (again->vhost, address->vhost));
  FUZZ_CHECK (again->tls == address->tls);
  FUZZ_CHECK (again->password == NULL);

  return 0;
}
