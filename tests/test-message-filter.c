/* test-message-filter.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "pi-message-filter.h"
#include "pi-message-store.h"
#include "pi-messages-fixture.h"

#define TAG "planted-Tag-42"

/* 30,000 messages, every 1,000th with the tag: more chunks than threads. */
static PiMessageStore *
make_store (void)
{
  PiMessageStore *store = pi_message_store_new (100000);

  for (guint i = 0; i < 30000; i++)
    {
      g_autoptr(PiMessage) message = fixture_message_new (i, i % 1000 == 7 ? TAG : NULL);

      pi_message_store_append (store, &message, 1);
    }

  return store;
}

static void
on_done (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_positions (void)
{
  g_autoptr(PiMessageStore) store = make_store ();
  g_autoptr(PiMessageMatches) matches = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PiMessage) late = fixture_message_new (99999, TAG);
  const guint *positions;
  guint n;

  /* Case-insensitive, like pi_message_contains_text(). */
  pi_message_filter_search_async (G_LIST_MODEL (store), "planted-tag-42", NULL, on_done, &result);

  /* A message added after the search started is not searched. */
  pi_message_store_append (store, &late, 1);

  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  matches = pi_message_filter_search_finish (result, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (pi_message_matches_get_n_searched (matches), ==, 30000);
  positions = pi_message_matches_get_positions (matches, &n);
  g_assert_cmpuint (n, ==, 30);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (positions[i], ==, i * 1000 + 7);
}

static void
test_cancel (void)
{
  g_autoptr(PiMessageStore) store = make_store ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PiMessageMatches *matches;

  pi_message_filter_search_async (G_LIST_MODEL (store), "nowhere", cancellable, on_done, &result);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  matches = pi_message_filter_search_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (matches);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/message-filter/positions", test_positions);
  g_test_add_func ("/pi/message-filter/cancel", test_cancel);

  return g_test_run ();
}
