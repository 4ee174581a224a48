/* test-amqp-address.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-amqp-client.h"

typedef struct
{
  const char *url;
  const char *host;
  int         port;
  const char *user;
  const char *password;
  const char *vhost;
  gboolean    tls;
  const char *string;   /* pi_amqp_address_to_string() */
} Good;

static const Good good[] = {
  { "amqps://pulse.mozilla.org/", "pulse.mozilla.org", 5671, "guest", NULL, "/", TRUE, "amqps://guest@pulse.mozilla.org/" },
  { "amqps://alice@pulse.mozilla.org", "pulse.mozilla.org", 5671, "alice", NULL, "/", TRUE, "amqps://alice@pulse.mozilla.org/" },
  { "amqp://bob:s3cret@localhost:5673/ci", "localhost", 5673, "bob", "s3cret", "ci", FALSE, "amqp://bob@localhost:5673/ci" },
  { "AMQP://host", "host", 5672, "guest", NULL, "/", FALSE, "amqp://guest@host/" },
  { "amqp://u@host/%2f", "host", 5672, "u", NULL, "/", FALSE, "amqp://u@host/" },
  { "amqp://u@host/%2Fteam", "host", 5672, "u", NULL, "/team", FALSE, "amqp://u@host/%2Fteam" },
  { "amqp://us%40er:p%3Ass@host:1/", "host", 1, "us@er", "p:ss", "/", FALSE, "amqp://us%40er@host:1/" },
  { "amqp://u:p@ss@host/", "host", 5672, "u", "p@ss", "/", FALSE, "amqp://u@host/" },
  { "amqp://u:@host/", "host", 5672, "u", "", "/", FALSE, "amqp://u@host/" },
  { "amqps://u@[::1]:5671/", "::1", 5671, "u", NULL, "/", TRUE, "amqps://u@[::1]/" },
  { "amqp://127.0.0.1:65535", "127.0.0.1", 65535, "guest", NULL, "/", FALSE, "amqp://guest@127.0.0.1:65535/" },
};

static void
test_good (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PiAmqpAddress) address = pi_amqp_address_parse (good[i].url, &error);
      g_autoptr(PiAmqpAddress) copy = NULL;
      g_autoptr(PiAmqpAddress) again = NULL;
      g_autofree char *string = NULL;

      g_test_message ("%s", good[i].url);
      g_assert_no_error (error);
      g_assert_true (pi_amqp_url_is_amqp (good[i].url));
      g_assert_cmpstr (address->host, ==, good[i].host);
      g_assert_cmpint (address->port, ==, good[i].port);
      g_assert_cmpstr (address->user, ==, good[i].user);
      g_assert_cmpstr (address->password, ==, good[i].password);
      g_assert_cmpstr (address->vhost, ==, good[i].vhost);
      g_assert_cmpint (address->tls, ==, good[i].tls);

      copy = pi_amqp_address_copy (address);
      g_assert_cmpstr (copy->password, ==, address->password);
      g_assert_cmpstr (copy->vhost, ==, address->vhost);

      /* Without the password, and back to the same address. */
      string = pi_amqp_address_to_string (address);
      g_assert_cmpstr (string, ==, good[i].string);
      again = pi_amqp_address_parse (string, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (again->host, ==, address->host);
      g_assert_cmpint (again->port, ==, address->port);
      g_assert_cmpstr (again->user, ==, address->user);
      g_assert_null (again->password);
      g_assert_cmpstr (again->vhost, ==, address->vhost);
      g_assert_cmpint (again->tls, ==, address->tls);
    }
}

typedef struct
{
  const char *url;
  const char *why;   /* after "“URL” is not a valid broker URL: " */
} Bad;

static const Bad bad[] = {
  { "http://127.0.0.1:5672/", "it must start with amqp:// (or amqps:// for TLS)" },
  { "pulse.mozilla.org", "it must start with amqp://" },
  { "amqps://", "it names no host" },
  { "amqps://user@/", "it names no host" },
  { "amqp://host:0/", "the port 0 is not between 1 and 65535" },
  { "amqp://host:65536/", "the port 65536 is not between 1 and 65535" },
  { "amqp://host:56a/", "the port “56a” is not a number" },
  { "amqp://host:/", "the port “” is not a number" },
  { "amqp://host:123456/", "the port “123456” is not a number" },
  { "amqp://@host/", "the user name before “@” is empty" },
  { "amqp://host/a/b", "the virtual host contains “/”: write it as %2F" },
  { "amqp://host/%zz", "the virtual host has a broken %-escape" },
  { "amqp://host/?heartbeat=10", "query parameters and fragments" },
  { "amqp://ho st/", "it contains spaces or control characters" },
  { "amqp://[::1/", "the IPv6 address has no closing “]”" },
  { "amqp://[::1]x/", "“x” after the IPv6 address is not a port" },
  { "amqp://[[]:1", "“[” in brackets is not an IPv6 address" },
  { "amqp://[abc]/", "“abc” in brackets is not an IPv6 address" },
  { "amqp://u%00@host/", "the user name has a broken %-escape" },
};

static void
test_bad (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *prefix = g_strdup_printf ("“%s” is not a valid broker URL: %s", bad[i].url, bad[i].why);

      g_test_message ("%s", bad[i].url);
      g_assert_null (pi_amqp_address_parse (bad[i].url, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      if (!g_str_has_prefix (error->message, prefix))
        g_error ("“%s” says “%s”, not “%s…”", bad[i].url, error->message, prefix);
    }

  g_assert_false (pi_amqp_url_is_amqp ("https://host/"));
  g_assert_false (pi_amqp_url_is_amqp (NULL));
}

/* An address that does not parse is shown in the error, but never its
 * password, whatever that holds. */
static void
test_no_password_in_errors (void)
{
  static const char * const passwords[] = { "pa/ss", "pa#ss", "pa?ss", "50%off", "p@ss/w?rd" };
  /* The password goes where PASSWORD stands. */
  static const char * const forms[] = { "amqps://u:PASSWORD@host/", "amqp://u:PASSWORD@host:port/",
                                        "amqps://u:PASSWORD@[::1/", "amqps://u:PASSWORD@/",
                                        "amqp://u:PASSWORD@host/a/b" };

  for (guint i = 0; i < G_N_ELEMENTS (passwords); i++)
    for (guint j = 0; j < G_N_ELEMENTS (forms); j++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(PiAmqpAddress) address = NULL;
        g_auto(GStrv) parts = g_strsplit (forms[j], "PASSWORD", 2);
        g_autofree char *url = g_strconcat (parts[0], passwords[i], parts[1], NULL);

        address = pi_amqp_address_parse (url, &error);
        if (address != NULL)
          continue;
        g_test_message ("%s: %s", url, error->message);
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        if (strstr (error->message, passwords[i]) != NULL)
          g_error ("The error about “%s” shows the password: %s", url, error->message);
        g_assert_nonnull (strstr (error->message, "u:…@"));
      }
}

static void
test_pulse_names (void)
{
  g_autofree char *a = pi_amqp_pulse_queue_name ("alice", "pulse-inspector");
  g_autofree char *b = pi_amqp_pulse_queue_name ("alice", "pulse-inspector");
  g_autofree char *dropped = pi_amqp_pulse_dropped_exchange ("alice", a);
  g_autofree char *expected = NULL;
  const char *random = a + strlen ("queue/alice/pulse-inspector-");

  g_assert_true (g_str_has_prefix (a, "queue/alice/pulse-inspector-"));
  g_assert_cmpuint (strlen (random), >=, 8);
  g_assert_cmpuint (strspn (random, "0123456789abcdef"), ==, strlen (random));
  /* Two clients never share a queue. */
  g_assert_cmpstr (a, !=, b);

  expected = g_strdup_printf ("exchange/alice/pulse-inspector-%s-dropped", random);
  g_assert_cmpstr (dropped, ==, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/amqp-address/good", test_good);
  g_test_add_func ("/pi/amqp-address/bad", test_bad);
  g_test_add_func ("/pi/amqp-address/no-password-in-errors", test_no_password_in_errors);
  g_test_add_func ("/pi/amqp-address/pulse-names", test_pulse_names);

  return g_test_run ();
}
