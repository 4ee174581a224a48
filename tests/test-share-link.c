/* test-share-link.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "pi-binding.h"
#include "pi-share-link.h"

/* A link copied from Firefox CI's taskcluster-ui opens bound to Firefox CI. */
static void
test_taskcluster_ui (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PiShareLink) link = NULL;
  PiBinding *binding;

  link = pi_share_link_parse ("https://firefox-ci-tc.services.mozilla.com/pulse-messages?"
                              "bindings%5B0%5D%5Bexchange%5D=exchange%2Ftaskcluster-queue%2Fv1%2Ftask-completed"
                              "&bindings%5B0%5D%5Bpattern%5D=%23"
                              "&bindings[1][exchange]=exchange/taskcluster-queue/v1/task-failed"
                              "&bindings[1][pattern]=primary.*.gecko-3.%23#fragment",
                              &error);
  g_assert_no_error (error);
  g_assert_nonnull (link);
  g_assert_cmpstr (link->server_url, ==, "https://firefox-ci-tc.services.mozilla.com");
  g_assert_cmpuint (link->bindings->len, ==, 2);

  binding = g_ptr_array_index (link->bindings, 0);
  g_assert_cmpstr (pi_binding_get_exchange (binding), ==, "exchange/taskcluster-queue/v1/task-completed");
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding), ==, "#");
  binding = g_ptr_array_index (link->bindings, 1);
  g_assert_cmpstr (pi_binding_get_exchange (binding), ==, "exchange/taskcluster-queue/v1/task-failed");
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding), ==, "primary.*.gecko-3.#");
}

/* The root URL keeps a port and drops the UI's path, query and fragment. */
static void
test_root_url_forms (void)
{
  static const struct {
    const char *link;
    const char *server;
  } cases[] = {
    { "https://community-tc.services.mozilla.com/pulse-messages/?bindings[0][exchange]=e&bindings[0][pattern]=%23",
      "https://community-tc.services.mozilla.com" },
    { "http://localhost:5080/pulse-messages?bindings[0][exchange]=e&bindings[0][pattern]=a.b#top",
      "http://localhost:5080" },
    { "https://tc.example.com/ui/pulse-messages?bindings[0][exchange]=e&bindings[0][pattern]=a",
      "https://tc.example.com" },
    /* Links of this app name the events URL. */
    { "http://127.0.0.1:12345/api/events/v1?bindings%5B0%5D%5Bexchange%5D=e&bindings%5B0%5D%5BroutingKeyPattern%5D=a",
      "http://127.0.0.1:12345/api/events/v1" },
    { "https://events.example.com/api/events/v1/connect/?bindings[0][exchange]=e&bindings[0][routingKeyPattern]=a",
      "https://events.example.com/api/events/v1" },
    /* The 2018 inspector's own page names no server. */
    { "https://tools.taskcluster.net/pulse-inspector?bindings[0][exchange]=e&bindings[0][routingKeyPattern]=a",
      NULL },
    { "bindings[0][exchange]=e&bindings[0][pattern]=a", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PiShareLink) link = pi_share_link_parse (cases[i].link, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (link->server_url, ==, cases[i].server);
      g_assert_cmpuint (link->bindings->len, ==, 1);
    }
}

/* A link without bindings is refused in words, and names no server. */
static void
test_bad_links (void)
{
  static const char * const links[] = {
    "https://firefox-ci-tc.services.mozilla.com/pulse-messages",
    "https://firefox-ci-tc.services.mozilla.com/pulse-messages?foo=bar",
    "not a link at all",
    "https://firefox-ci-tc.services.mozilla.com/pulse-messages?bindings[0][exchange]=%zz",
  };

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PiShareLink) link = pi_share_link_parse (links[i], &error);

      g_assert_null (link);
      g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_LINK);
      g_assert_cmpstr (error->message, !=, "");
    }

  g_assert_null (pi_share_link_server_url ("https:///pulse-messages?bindings[0][exchange]=e"));
  g_assert_null (pi_share_link_server_url ("ftp://tc.example.com/pulse-messages"));
}

/* What the command line treats as a link and what as a capture file. */
static void
test_looks_like (void)
{
  g_assert_true (pi_share_link_looks_like ("https://firefox-ci-tc.services.mozilla.com/pulse-messages?x"));
  g_assert_true (pi_share_link_looks_like ("bindings[0][exchange]=e"));
  g_assert_true (pi_share_link_looks_like ("bindings%5B0%5D%5Bexchange%5D=e"));
  g_assert_false (pi_share_link_looks_like ("capture.pulse"));
  g_assert_false (pi_share_link_looks_like ("/tmp/traffic.jsonl"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/share-link/taskcluster-ui", test_taskcluster_ui);
  g_test_add_func ("/pi/share-link/root-url-forms", test_root_url_forms);
  g_test_add_func ("/pi/share-link/bad-links", test_bad_links);
  g_test_add_func ("/pi/share-link/looks-like", test_looks_like);

  return g_test_run ();
}
