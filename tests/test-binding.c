/* test-binding.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <time.h>

#include "pi-binding.h"

#define QUEUE_COMPLETED "exchange/taskcluster-queue/v1/task-completed"
#define QUEUE_FAILED    "exchange/taskcluster-queue/v1/task-failed"

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           guint      *count)
{
  (*count)++;
}

static void
test_properties (void)
{
  PiBinding *binding;
  g_autofree char *exchange = NULL;
  g_autofree char *pattern = NULL;
  guint notifies = 0;

  binding = pi_binding_new (QUEUE_COMPLETED, NULL);
  g_assert_cmpstr (pi_binding_get_exchange (binding), ==, QUEUE_COMPLETED);
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding), ==, "#");

  g_object_get (binding, "exchange", &exchange, "routing-key-pattern", &pattern, NULL);
  g_assert_cmpstr (exchange, ==, QUEUE_COMPLETED);
  g_assert_cmpstr (pattern, ==, "#");

  g_signal_connect (binding, "notify", G_CALLBACK (on_notify), &notifies);
  pi_binding_set_routing_key_pattern (binding, "primary.#");
  pi_binding_set_routing_key_pattern (binding, "primary.#");   /* no change, no notify */
  g_object_set (binding, "exchange", QUEUE_FAILED, NULL);
  g_assert_cmpuint (notifies, ==, 2);
  g_assert_cmpstr (pi_binding_get_exchange (binding), ==, QUEUE_FAILED);
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding), ==, "primary.#");

  /* Listened to unless turned off; turning off twice notifies once. */
  g_assert_true (pi_binding_get_enabled (binding));
  pi_binding_set_enabled (binding, FALSE);
  g_object_set (binding, "enabled", FALSE, NULL);
  g_assert_cmpuint (notifies, ==, 3);
  g_assert_false (pi_binding_get_enabled (binding));

  g_assert_finalize_object (binding);
}

static void
test_equal (void)
{
  PiBinding *a = pi_binding_new (QUEUE_COMPLETED, "primary.#");
  PiBinding *b = pi_binding_new (QUEUE_COMPLETED, "primary.#");
  PiBinding *c = pi_binding_new (QUEUE_COMPLETED, "primary.*");
  PiBinding *d = pi_binding_new (QUEUE_FAILED, "primary.#");

  g_assert_true (pi_binding_equal (a, b));
  g_assert_false (pi_binding_equal (a, c));
  g_assert_false (pi_binding_equal (a, d));

  /* A turned-off binding is still the same binding (no duplicate). */
  pi_binding_set_enabled (b, FALSE);
  g_assert_true (pi_binding_equal (a, b));

  g_assert_finalize_object (a);
  g_assert_finalize_object (b);
  g_assert_finalize_object (c);
  g_assert_finalize_object (d);
}

static void
test_validate_pattern (void)
{
  static const char *valid[] = {
    "#", "*", "", "primary.#", "primary.*.*.*.*.*.*.*.my-group.#",
    "a..b", ".a", "a.", ".", "#.#", "route.index.project.foo.latest",
    "a=b", "café.*",
  };
  static const struct {
    const char *pattern;
    const char *message;
  } invalid[] = {
    { "a.b*", "“b*” mixes a wildcard with other characters: * and # must be whole words between dots" },
    { "#a", "“#a” mixes a wildcard with other characters: * and # must be whole words between dots" },
    { "primary.**.x", "“**” mixes a wildcard with other characters: * and # must be whole words between dots" },
    { "a.*#", "“*#” mixes a wildcard with other characters: * and # must be whole words between dots" },
    { "a.b.x#", "“x#” mixes a wildcard with other characters: * and # must be whole words between dots" },
    { "\xff", "The routing-key pattern contains bytes that are not UTF-8 text" },
  };
  g_autofree char *longest = g_strnfill (255, 'a');
  g_autofree char *too_long = g_strnfill (256, 'a');

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;

      if (!pi_binding_validate_pattern (valid[i], &error))
        g_error ("“%s” was refused: %s", valid[i], error->message);
    }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (pi_binding_validate_pattern (invalid[i].pattern, &error));
      g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_PATTERN);
      g_assert_cmpstr (error->message, ==, invalid[i].message);
    }

  g_assert_true (pi_binding_validate_pattern (longest, NULL));
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (pi_binding_validate_pattern (too_long, &error));
    g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_PATTERN);
    g_assert_cmpstr (error->message, ==,
                     "The routing-key pattern is 256 bytes long; a broker accepts at most 255");
  }
}

static void
test_validate_exchange (void)
{
  g_autofree char *longest = g_strnfill (255, 'x');
  g_autofree char *too_long = g_strnfill (300, 'x');
  g_autoptr(GError) error = NULL;
  PiBinding *binding;

  g_assert_true (pi_binding_validate_exchange (QUEUE_COMPLETED, NULL));
  g_assert_true (pi_binding_validate_exchange (longest, NULL));

  g_assert_false (pi_binding_validate_exchange ("", &error));
  g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_EXCHANGE);
  g_assert_nonnull (strstr (error->message, "exchange name is empty"));
  g_clear_error (&error);

  g_assert_false (pi_binding_validate_exchange (too_long, &error));
  g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_EXCHANGE);
  g_assert_cmpstr (error->message, ==,
                   "The exchange name is 300 bytes long; a broker accepts at most 255");
  g_clear_error (&error);

  /* The whole binding: the exchange is checked first, then the pattern. */
  binding = pi_binding_new ("", "a*");
  g_assert_false (pi_binding_validate (binding, &error));
  g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_EXCHANGE);
  g_clear_error (&error);
  pi_binding_set_exchange (binding, QUEUE_COMPLETED);
  g_assert_false (pi_binding_validate (binding, &error));
  g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_PATTERN);
  g_clear_error (&error);
  pi_binding_set_routing_key_pattern (binding, "a.*");
  g_assert_true (pi_binding_validate (binding, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (binding);
}

static void
test_spec (void)
{
  static const struct {
    const char *spec;
    const char *exchange;
    const char *pattern;
  } good[] = {
    { QUEUE_COMPLETED "=primary.#", QUEUE_COMPLETED, "primary.#" },
    { QUEUE_COMPLETED, QUEUE_COMPLETED, "#" },
    { QUEUE_COMPLETED "=", QUEUE_COMPLETED, "" },
    { "ex=route.a=b.#", "ex", "route.a=b.#" },   /* split at the first '=' */
  };
  static const struct {
    const char *spec;
    int         code;
  } bad[] = {
    { "", PI_BINDING_ERROR_INVALID_EXCHANGE },
    { "=primary.#", PI_BINDING_ERROR_INVALID_EXCHANGE },
    { QUEUE_COMPLETED "=primary.a*", PI_BINDING_ERROR_INVALID_PATTERN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      PiBinding *binding = pi_binding_new_from_spec (good[i].spec, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (pi_binding_get_exchange (binding), ==, good[i].exchange);
      g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding), ==, good[i].pattern);
      g_assert_finalize_object (binding);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (pi_binding_new_from_spec (bad[i].spec, &error));
      g_assert_error (error, PI_BINDING_ERROR, bad[i].code);
    }
}

static GPtrArray *
sample_bindings (void)
{
  GPtrArray *bindings = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (bindings, pi_binding_new (QUEUE_COMPLETED, "primary.*.*.*.*.*.*.*.my-group.#"));
  g_ptr_array_add (bindings, pi_binding_new (QUEUE_FAILED, "route.index.#"));
  /* Characters that need escaping in JSON and in URLs. */
  g_ptr_array_add (bindings, pi_binding_new ("odd \"name\"\\ & =?#+%", "a b.ü.*.\t#"));
  g_ptr_array_add (bindings, pi_binding_new ("exchange/x", ""));

  return bindings;
}

static void
assert_bindings_equal (GPtrArray *a,
                       GPtrArray *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      PiBinding *x = g_ptr_array_index (a, i);
      PiBinding *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (pi_binding_get_exchange (x), ==, pi_binding_get_exchange (y));
      g_assert_cmpstr (pi_binding_get_routing_key_pattern (x), ==,
                       pi_binding_get_routing_key_pattern (y));
    }
}

static void
test_json (void)
{
  g_autoptr(GPtrArray) bindings = sample_bindings ();
  g_autoptr(GPtrArray) empty = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GPtrArray) back_empty = NULL;
  g_autoptr(GPtrArray) extra = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *empty_json = NULL;

  json = pi_bindings_to_json (bindings);
  g_assert_true (g_str_has_prefix (json, "{\"bindings\":[{\"exchange\":\"" QUEUE_COMPLETED "\","
                                   "\"routingKeyPattern\":\"primary.*.*.*.*.*.*.*.my-group.#\"},"));
  g_assert_null (strchr (json, '\n'));
  back = pi_bindings_from_json (json, &error);
  g_assert_no_error (error);
  assert_bindings_equal (bindings, back);

  empty_json = pi_bindings_to_json (empty);
  g_assert_cmpstr (empty_json, ==, "{\"bindings\":[]}");

  /* The bare array, as a capture header embeds it, is the same text. */
  {
    g_autoptr(GString) out = g_string_new ("\"bindings\":");
    g_autofree char *wrapped = NULL;

    pi_bindings_append_json_array (out, bindings);
    wrapped = g_strdup_printf ("{%s}", out->str);
    g_assert_cmpstr (wrapped, ==, json);
  }
  back_empty = pi_bindings_from_json (empty_json, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back_empty->len, ==, 0);

  /* Other members of an item are ignored; names are not validated here. */
  extra = pi_bindings_from_json ("{\"bindings\":[{\"exchange\":\"\",\"routingKeyPattern\":\"a*\","
                                 "\"note\":1}]}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (extra->len, ==, 1);
  g_assert_cmpstr (pi_binding_get_exchange (g_ptr_array_index (extra, 0)), ==, "");
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (g_ptr_array_index (extra, 0)), ==, "a*");
}

static void
test_json_errors (void)
{
  static const struct {
    const char *json;
    const char *message;
  } cases[] = {
    { "{}", "The json query should have only one key i.e. `bindings`." },
    { "[]", "The json query should have only one key i.e. `bindings`." },
    { "\"bindings\"", "The json query should have only one key i.e. `bindings`." },
    { "null", "The json query should have only one key i.e. `bindings`." },
    { "{\"bindings\":[],\"other\":1}", "The json query should have only one key i.e. `bindings`." },
    { "{\"binding\":[]}", "The json query should have only one key i.e. `bindings`." },
    { "{\"bindings\":{}}", "Bindings must be an array of {exchange, routingKeyPattern}" },
    { "{\"bindings\":\"a\"}", "Bindings must be an array of {exchange, routingKeyPattern}" },
    { "{\"bindings\":null}", "Bindings must be an array of {exchange, routingKeyPattern}" },
    { "{\"bindings\":[{\"exchange\":\"x\"}]}",
      "Binding must include `exchange` and `routingKeyPattern` fields" },
    { "{\"bindings\":[{\"routingKeyPattern\":\"#\"}]}",
      "Binding must include `exchange` and `routingKeyPattern` fields" },
    { "{\"bindings\":[{\"exchange\":\"x\",\"routingKeyPattern\":\"#\"},{}]}",
      "Binding must include `exchange` and `routingKeyPattern` fields" },
    { "{\"bindings\":[{\"exchange\":1,\"routingKeyPattern\":\"#\"}]}",
      "Binding must include `exchange` and `routingKeyPattern` fields" },
    { "{\"bindings\":[{\"exchange\":\"x\",\"routingKeyPattern\":null}]}",
      "Binding must include `exchange` and `routingKeyPattern` fields" },
    { "{\"bindings\":[\"x\"]}",
      "Binding must include `exchange` and `routingKeyPattern` fields" },
  };
  static const char *not_json[] = { "", "{", "{\"bindings\":[}", "bindings", "{\"bindings\" []}" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (pi_bindings_from_json (cases[i].json, &error));
      g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }

  /* Not JSON: the parser's own message, which is none of the above. */
  for (guint i = 0; i < G_N_ELEMENTS (not_json); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (pi_bindings_from_json (not_json[i], &error));
      g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON);
      g_test_message ("“%s”: %s", not_json[i], error->message);
      g_assert_cmpuint (strlen (error->message), >, 0);
      g_assert_null (strstr (error->message, "bindings`"));
      g_assert_null (strstr (error->message, "Binding"));
    }
}

static void
test_query (void)
{
  g_autoptr(GPtrArray) bindings = sample_bindings ();
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *query = pi_bindings_to_query (bindings);
  g_autofree char *json = pi_bindings_to_json (bindings);

  g_assert_true (g_str_has_prefix (query, "bindings="));
  /* Nothing in the value can end it or be misread by a server. */
  g_assert_cmpuint (strcspn (query + strlen ("bindings="), "{}\"& #+=?\t"), ==,
                    strlen (query + strlen ("bindings=")));

  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (params), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (params, "bindings"), ==, json);

  back = pi_bindings_from_json (g_hash_table_lookup (params, "bindings"), &error);
  g_assert_no_error (error);
  assert_bindings_equal (bindings, back);
}

static GPtrArray *
parse_link (const char *link)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *bindings = pi_bindings_from_share_link (link, &error);

  g_assert_no_error (error);
  g_assert_nonnull (bindings);
  return bindings;
}

static void
assert_binding (GPtrArray  *bindings,
                guint       i,
                const char *exchange,
                const char *pattern)
{
  PiBinding *binding;

  g_assert_cmpuint (i, <, bindings->len);
  binding = g_ptr_array_index (bindings, i);
  g_assert_cmpstr (pi_binding_get_exchange (binding), ==, exchange);
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding), ==, pattern);
}

static void
test_share_link_read (void)
{
  g_autoptr(GPtrArray) plain = NULL;
  g_autoptr(GPtrArray) encoded = NULL;
  g_autoptr(GPtrArray) shuffled = NULL;
  g_autoptr(GPtrArray) pattern_key = NULL;
  g_autoptr(GPtrArray) json_form = NULL;
  g_autoptr(GPtrArray) bare = NULL;

  /* The tools.taskcluster.net form, brackets as they are. */
  plain = parse_link ("https://tools.taskcluster.net/pulse-inspector/?"
                      "bindings[0][exchange]=exchange%2Ftaskcluster-queue%2Fv1%2Ftask-completed"
                      "&bindings[0][routingKeyPattern]=primary.%23"
                      "&bindings[1][exchange]=exchange/taskcluster-queue/v1/task-failed"
                      "&bindings[1][routingKeyPattern]=route.index.*.%23");
  g_assert_cmpuint (plain->len, ==, 2);
  assert_binding (plain, 0, QUEUE_COMPLETED, "primary.#");
  assert_binding (plain, 1, QUEUE_FAILED, "route.index.*.#");

  /* Brackets percent-encoded, a fragment, other parameters around. */
  encoded = parse_link ("https://example.com/pulse?theme=dark&"
                        "bindings%5B0%5D%5Bexchange%5D=" QUEUE_COMPLETED
                        "&bindings%5B0%5D%5BroutingKeyPattern%5D=%23&x=1#top");
  g_assert_cmpuint (encoded->len, ==, 1);
  assert_binding (encoded, 0, QUEUE_COMPLETED, "#");

  /* Any order, gaps in N, the later inspector's [pattern], '+' as space,
   * an item with no pattern getting '#'.
   */
  shuffled = parse_link ("https://x/?bindings[7][pattern]=a+b.*"
                         "&bindings[12][exchange]=third"
                         "&bindings[2][routingKeyPattern]=first.%23"
                         "&bindings[7][exchange]=second"
                         "&bindings[2][exchange]=first");
  g_assert_cmpuint (shuffled->len, ==, 3);
  assert_binding (shuffled, 0, "first", "first.#");
  assert_binding (shuffled, 1, "second", "a b.*");
  assert_binding (shuffled, 2, "third", "#");

  pattern_key = parse_link ("https://x/pulse-messages?bindings%5B0%5D%5Bexchange%5D=e"
                            "&bindings%5B0%5D%5Bpattern%5D=p.%2A");
  assert_binding (pattern_key, 0, "e", "p.*");

  /* The `bindings` parameter holding the connect query's JSON. */
  json_form = parse_link ("https://events.example.com/v1/connect/?bindings="
                          "%7B%22bindings%22%3A%5B%7B%22exchange%22%3A%22e%22%2C"
                          "%22routingKeyPattern%22%3A%22a.%23%22%7D%5D%7D");
  g_assert_cmpuint (json_form->len, ==, 1);
  assert_binding (json_form, 0, "e", "a.#");

  bare = parse_link ("bindings[0][exchange]=e&bindings[0][routingKeyPattern]=*");
  assert_binding (bare, 0, "e", "*");
}

static void
test_share_link_errors (void)
{
  static const struct {
    const char *link;
    int         code;
    const char *message;
  } cases[] = {
    { "https://example.com/", PI_BINDING_ERROR_INVALID_LINK,
      "The link has no bindings: it has no query part after “?”" },
    { "https://example.com/?x=1", PI_BINDING_ERROR_INVALID_LINK,
      "The link has no bindings: its query has no bindings[0][exchange]" },
    { "https://example.com/?bindings[3][routingKeyPattern]=%23", PI_BINDING_ERROR_INVALID_LINK,
      "Binding 3 in the link has a routing-key pattern but no exchange" },
    { "https://example.com/?bindings[0][exchange]=a%2", PI_BINDING_ERROR_INVALID_LINK,
      "The link is damaged: its query has a broken percent escape" },
    { "https://example.com/?bindings=%7B%7D", PI_BINDING_ERROR_INVALID_JSON,
      "The json query should have only one key i.e. `bindings`." },
    /* Valid as a connect query, but a link with nothing to import. */
    { "https://example.com/?bindings=%7B%22bindings%22%3A%5B%5D%7D", PI_BINDING_ERROR_INVALID_LINK,
      "The link has no bindings: its bindings list is empty" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (pi_bindings_from_share_link (cases[i].link, &error));
      g_assert_error (error, PI_BINDING_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

/* Text json-glib takes though it is not one JSON value: refused in words,
 * never an abort (json-glib 1.10 asserts on it in an immutable parser). */
static void
test_json_trailing (void)
{
  const char *texts[] = { "1{}", "{}{}", "[]x", "{\"bindings\":[]}{}" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) bindings = pi_bindings_from_json (texts[i], &error);

      if (bindings != NULL)
        g_error ("%s was taken as bindings", texts[i]);
      g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON);
      g_assert_cmpstr (error->message, !=, "");
    }
}

/* Anyone can send a connect query or a share link: text nested a million
 * levels deep is refused, not a stack overflow that crashes the server or
 * the app. */
static void
test_json_deep (void)
{
  const gsize depth = 1000000;
  g_autoptr(GString) json = g_string_new ("{\"bindings\":");
  g_autoptr(GString) link = NULL;
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = NULL;

  for (gsize i = 0; i < depth; i++)
    g_string_append_c (json, '[');
  for (gsize i = 0; i < depth; i++)
    g_string_append_c (json, ']');
  g_string_append_c (json, '}');

  bindings = pi_bindings_from_json (json->str, &error);
  g_assert_null (bindings);
  g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON);
  g_assert_nonnull (strstr (error->message, "nested deeper than 512 levels"));
  g_clear_error (&error);

  escaped = g_uri_escape_string (json->str, NULL, FALSE);
  link = g_string_new ("https://x/?bindings=");
  g_string_append (link, escaped);
  bindings = pi_bindings_from_share_link (link->str, &error);
  g_assert_null (bindings);
  g_assert_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON);
  g_clear_error (&error);

  /* Deep but within the limit, and JSON: read as before. */
  g_string_assign (json, "{\"bindings\":[{\"exchange\":\"e\",\"routingKeyPattern\":\"#\",\"x\":");
  for (gsize i = 0; i < 500; i++)
    g_string_append_c (json, '[');
  for (gsize i = 0; i < 500; i++)
    g_string_append_c (json, ']');
  g_string_append (json, "}]}");
  bindings = pi_bindings_from_json (json->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bindings->len, ==, 1);
}

static void
test_share_link_round_trip (void)
{
  g_autoptr(GPtrArray) bindings = sample_bindings ();
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GPtrArray) back2 = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *link = NULL;
  g_autofree char *link2 = NULL;

  link = pi_bindings_to_share_link ("https://tools.example.com/pulse-inspector/", bindings);
  g_assert_true (g_str_has_prefix (link, "https://tools.example.com/pulse-inspector/?bindings%5B0%5D"
                                   "%5Bexchange%5D=exchange%2Ftaskcluster-queue%2Fv1%2Ftask-completed"
                                   "&bindings%5B0%5D%5BroutingKeyPattern%5D=primary."));

  /* A strict URI parser accepts it. */
  uri = g_uri_parse (link, G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_uri_get_host (uri), ==, "tools.example.com");
  g_assert_null (g_uri_get_fragment (uri));

  back = pi_bindings_from_share_link (link, &error);
  g_assert_no_error (error);
  assert_bindings_equal (bindings, back);

  /* A base that already has a query gets '&'. */
  link2 = pi_bindings_to_share_link ("https://x/?lang=en", bindings);
  g_assert_true (g_str_has_prefix (link2, "https://x/?lang=en&bindings%5B0%5D"));
  back2 = pi_bindings_from_share_link (link2, &error);
  g_assert_no_error (error);
  assert_bindings_equal (bindings, back2);
}

/* Builds the link of @n bindings the way a hand-edited or generated link
 * may come: highest index first, and each pattern before its exchange. */
static char *
large_share_link (guint n)
{
  GString *link = g_string_new ("https://tools.example.com/pulse-inspector/?");

  for (guint i = n; i-- > 0;)
    g_string_append_printf (link, "bindings%%5B%u%%5D%%5BroutingKeyPattern%%5D=route.group-%u.%%23&"
                            "bindings%%5B%u%%5D%%5Bexchange%%5D=exchange%%2Fqueue%%2Fv1%%2Fx-%u&",
                            i, i, i, i);
  return g_string_free (link, FALSE);
}

/* The processor time of one parse of @link, in seconds: time this thread
 * spent waiting for the processor (other tests, other programs) does not
 * count. */
static double
time_share_link (const char *link,
                 guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) bindings = NULL;
  struct timespec start;
  struct timespec end;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &start);
  bindings = pi_bindings_from_share_link (link, &error);
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &end);
  g_assert_no_error (error);
  g_assert_cmpuint (bindings->len, ==, n);

  return (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
}

static void
test_share_link_large (void)
{
  g_autofree char *small_link = large_share_link (2000);
  g_autofree char *large_link = large_share_link (20000);
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GError) error = NULL;
  double small_time;
  double large_time;

  /* Every binding comes out, in order of its index, with its own fields. */
  bindings = pi_bindings_from_share_link (large_link, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bindings->len, ==, 20000);
  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);
      g_autofree char *exchange = g_strdup_printf ("exchange/queue/v1/x-%u", i);
      g_autofree char *pattern = g_strdup_printf ("route.group-%u.#", i);

      g_assert_cmpstr (pi_binding_get_exchange (binding), ==, exchange);
      g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding), ==, pattern);
    }

  /* Ten times the bindings must cost about ten times the time, not a
   * hundred (a search of every binding so far for each index). A ratio
   * rather than a time, machines being noisy: the best of several runs of
   * each, taken in turns so that a busy moment hits both sizes. */
  small_time = large_time = G_MAXDOUBLE;
  for (guint round = 0; round < 5; round++)
    {
      for (guint i = 0; i < 3; i++)
        small_time = MIN (small_time, time_share_link (small_link, 2000));
      large_time = MIN (large_time, time_share_link (large_link, 20000));
    }
  g_test_message ("share link: 2,000 bindings %.2f ms, 20,000 bindings %.2f ms, ratio %.1f",
                  small_time * 1000, large_time * 1000, large_time / small_time);
  g_assert_cmpfloat (large_time / small_time, <, 30);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/binding/properties", test_properties);
  g_test_add_func ("/pi/binding/equal", test_equal);
  g_test_add_func ("/pi/binding/validate-pattern", test_validate_pattern);
  g_test_add_func ("/pi/binding/validate-exchange", test_validate_exchange);
  g_test_add_func ("/pi/binding/spec", test_spec);
  g_test_add_func ("/pi/binding/json", test_json);
  g_test_add_func ("/pi/binding/json-errors", test_json_errors);
  g_test_add_func ("/pi/binding/json-deep", test_json_deep);
  g_test_add_func ("/pi/binding/json-trailing", test_json_trailing);
  g_test_add_func ("/pi/binding/query", test_query);
  g_test_add_func ("/pi/binding/share-link-read", test_share_link_read);
  g_test_add_func ("/pi/binding/share-link-errors", test_share_link_errors);
  g_test_add_func ("/pi/binding/share-link-round-trip", test_share_link_round_trip);
  g_test_add_func ("/pi/binding/share-link-large", test_share_link_large);

  return g_test_run ();
}
