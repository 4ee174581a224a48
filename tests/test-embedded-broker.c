/* test-embedded-broker.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-embedded-broker.h"
#include "pi-event-format.h"
#include "pi-topic.h"

typedef struct
{
  GPtrArray      *bindings;
  PiSubscription *subscription;
  GPtrArray      *received;    /* event texts */
  gboolean        ready;
  char           *failure;
} Sub;

static void
sub_ready (gpointer user_data)
{
  Sub *sub = user_data;

  g_assert_false (sub->ready);
  sub->ready = TRUE;
}

static void
sub_message (GBytes   *event,
             gpointer  user_data)
{
  Sub *sub = user_data;

  g_assert_true (sub->ready);
  g_ptr_array_add (sub->received, g_strndup (g_bytes_get_data (event, NULL), g_bytes_get_size (event)));
}

static void
sub_failed (const char *text,
            gpointer    user_data)
{
  Sub *sub = user_data;

  sub->failure = g_strdup (text);
}

static const PiSubscriptionCallbacks callbacks = { sub_ready, sub_message, sub_failed };

static char *
random_words (GRand       *rand,
              const char **vocabulary,
              guint        n_vocabulary,
              guint        max_words)
{
  guint n = g_rand_int_range (rand, 1, max_words + 1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, '.');
      g_string_append (out, vocabulary[g_rand_int_range (rand, 0, n_vocabulary)]);
    }

  return g_string_free (out, FALSE);
}

/* The index must agree with pi_topic_match() on every key and route, and
 * deliver a message at most once per subscription. */
static void
test_matches_like_topic_match (void)
{
  const char *pattern_words[] = { "a", "b", "c", "*", "#", "route" };
  const char *key_words[] = { "a", "b", "c", "d" };
  const char *exchanges[] = { "exchange/x", "exchange/y" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  PiBroker *broker = pi_embedded_broker_new ();
  Sub subs[60];
  guint n_delivered = 0;

  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      guint n_bindings = g_rand_int_range (rand, 0, 4);

      subs[i] = (Sub) { 0 };
      subs[i].bindings = g_ptr_array_new_with_free_func (g_object_unref);
      subs[i].received = g_ptr_array_new_with_free_func (g_free);
      for (guint b = 0; b < n_bindings; b++)
        {
          g_autofree char *pattern = random_words (rand, pattern_words, G_N_ELEMENTS (pattern_words), 4);

          g_ptr_array_add (subs[i].bindings,
                           pi_binding_new (exchanges[g_rand_int_range (rand, 0, 2)], pattern));
        }
      subs[i].subscription = pi_broker_subscribe (broker, subs[i].bindings, &callbacks, &subs[i]);
      g_assert_false (subs[i].ready);
    }

  while (g_main_context_iteration (NULL, FALSE))
    ;

  for (guint m = 0; m < 400; m++)
    {
      const char *exchange = exchanges[g_rand_int_range (rand, 0, 2)];
      g_autofree char *key = random_words (rand, key_words, G_N_ELEMENTS (key_words), 4);
      g_autofree char *route = random_words (rand, key_words, G_N_ELEMENTS (key_words), 3);
      const char *routes[] = { route, NULL };
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
        g_ptr_array_set_size (subs[i].received, 0);

      pi_broker_publish (broker, exchange, key, m % 2 ? routes : NULL, "{}", &error);
      g_assert_no_error (error);

      for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
        {
          g_autofree char *cc = g_strconcat ("route.", route, NULL);
          gboolean expected = FALSE;

          for (guint b = 0; b < subs[i].bindings->len; b++)
            {
              PiBinding *binding = g_ptr_array_index (subs[i].bindings, b);
              const char *pattern = pi_binding_get_routing_key_pattern (binding);

              if (strcmp (pi_binding_get_exchange (binding), exchange) == 0 &&
                  (pi_topic_match (pattern, key) || (m % 2 && pi_topic_match (pattern, cc))))
                expected = TRUE;
            }
          g_assert_true (subs[i].ready);
          g_assert_cmpuint (subs[i].received->len, ==, expected ? 1 : 0);
          n_delivered += expected;
        }
    }
  /* Both outcomes were exercised, plenty of times. */
  g_assert_cmpuint (n_delivered, >, 500);
  g_assert_cmpuint (n_delivered, <, 400 * G_N_ELEMENTS (subs) - 500);

  /* Unsubscribing half: the rest keep working, the others hear nothing. */
  for (guint i = 0; i < G_N_ELEMENTS (subs); i += 2)
    pi_broker_unsubscribe (broker, g_steal_pointer (&subs[i].subscription));
  g_assert_cmpuint (pi_embedded_broker_get_n_subscriptions (PI_EMBEDDED_BROKER (broker)), ==, G_N_ELEMENTS (subs) / 2);
  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    g_ptr_array_set_size (subs[i].received, 0);
  pi_broker_publish (broker, "exchange/x", "a", NULL, "{}", NULL);
  pi_broker_publish (broker, "exchange/y", "a", NULL, "{}", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (subs); i += 2)
    g_assert_cmpuint (subs[i].received->len, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (subs); i++)
    {
      if (subs[i].subscription != NULL)
        pi_broker_unsubscribe (broker, subs[i].subscription);
      g_ptr_array_unref (subs[i].bindings);
      g_ptr_array_unref (subs[i].received);
    }
  g_assert_finalize_object (broker);
}

static void
test_bad_binding_fails (void)
{
  PiBroker *broker = pi_embedded_broker_new ();
  g_autofree char *long_name = g_strnfill (300, 'x');
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  Sub sub = { 0 };

  g_ptr_array_add (bindings, pi_binding_new (long_name, "#"));
  sub.received = g_ptr_array_new_with_free_func (g_free);
  sub.subscription = pi_broker_subscribe (broker, bindings, &callbacks, &sub);

  /* Never from inside subscribe. */
  g_assert_null (sub.failure);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (sub.ready);
  g_assert_true (g_str_has_prefix (sub.failure, "PRECONDITION_FAILED - "));

  pi_broker_unsubscribe (broker, sub.subscription);
  g_ptr_array_unref (sub.received);
  g_free (sub.failure);
  g_assert_finalize_object (broker);
}

/* Anyone who can publish to a bound exchange chooses the body: one nested
 * a million levels deep is not JSON for the stream (it goes out as a JSON
 * string), and does not crash the server in json-glib on its way. */
static void
test_deep_payload (void)
{
  const gsize depth = 1000000;
  g_autofree char *payload = g_malloc (depth);
  g_autoptr(GBytes) event = NULL;
  const char *text;
  gsize len;

  memset (payload, '[', depth);
  event = pi_event_format_message ("e", "k", NULL, FALSE, payload, depth);
  text = g_bytes_get_data (event, &len);
  g_assert_true (g_str_has_prefix (text, "event: message\ndata: "));
  g_assert_nonnull (g_strstr_len (text, len, "\"payload\":\"[[[["));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/embedded-broker/matches-like-topic-match", test_matches_like_topic_match);
  g_test_add_func ("/pi/embedded-broker/bad-binding-fails", test_bad_binding_fails);
  g_test_add_func ("/pi/embedded-broker/deep-payload", test_deep_payload);

  return g_test_run ();
}
