/* test-text-filter.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "pi-message-list.h"
#include "pi-messages-fixture.h"
#include "pi-text-filter.h"

#define TAG "planted-tag-42"

/* A list too long to match on the main thread: typing searches it on
 * worker threads, and the rows of the text appear when the search ends. */
static void
test_typing (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (100000);
  GtkWindow *window;
  PiMessageList *list;
  PiTextFilter *filter;
  GListModel *shown;

  for (guint i = 0; i < 30000; i++)
    {
      g_autoptr(PiMessage) message = fixture_message_new (i, i % 1000 == 7 ? TAG : NULL);

      pi_message_store_append (store, &message, 1);
    }

  window = GTK_WINDOW (gtk_window_new ());
  list = PI_MESSAGE_LIST (pi_message_list_new ());
  gtk_window_set_child (window, GTK_WIDGET (list));
  pi_message_list_set_store (list, store);
  gtk_window_present (window);
  shown = pi_message_list_get_shown (list);
  filter = PI_TEXT_FILTER (shown);

  /* Typed one key at a time, as a user does: each key cancels the last. */
  for (guint n = 1; n <= strlen ("PLANTED-tag-42"); n++)
    {
      g_autofree char *prefix = g_strndup ("PLANTED-tag-42", n);

      pi_message_list_set_filter_text (list, prefix);
    }
  g_assert_true (pi_text_filter_get_searching (filter));
  while (pi_text_filter_get_searching (filter))
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (pi_message_list_get_n_shown (list), ==, 30);
  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (shown, i);

      g_assert_cmpuint (pi_message_get_sequence (message), ==, i * 1000 + 7);
    }

  /* A message arriving now is matched directly. */
  {
    g_autoptr(PiMessage) late = fixture_message_new (40000, TAG);
    g_autoptr(PiMessage) other = fixture_message_new (40001, NULL);

    pi_message_store_append (store, &late, 1);
    pi_message_store_append (store, &other, 1);
    g_assert_cmpuint (pi_message_list_get_n_shown (list), ==, 31);
  }

  /* Clearing the text shows everything at once. */
  pi_message_list_set_filter_text (list, NULL);
  g_assert_false (pi_text_filter_get_searching (filter));
  g_assert_cmpuint (pi_message_list_get_n_shown (list), ==, 30002);

  gtk_window_destroy (window);
}

/* The list drops its oldest messages and appends new ones while a search
 * runs: the rows shown are those of the list when it is done. */
static void
test_evicted_while_searching (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (100000);
  g_autoptr(PiTextFilter) filter = pi_text_filter_new ();
  GListModel *shown = G_LIST_MODEL (filter);

  for (guint i = 0; i < 30000; i++)
    {
      g_autoptr(PiMessage) message = fixture_message_new (i, i % 1000 == 7 ? TAG : NULL);

      pi_message_store_append (store, &message, 1);
    }

  pi_text_filter_set_model (filter, G_LIST_MODEL (store));
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 30000);

  pi_text_filter_set_text (filter, "Planted-TAG-42");
  g_assert_true (pi_text_filter_get_searching (filter));

  /* The oldest 10,500 go (11 of them tagged); two arrive, one tagged, and
   * push out two more. */
  pi_message_store_set_capacity (store, 19500);
  {
    g_autoptr(PiMessage) late = fixture_message_new (40000, TAG);
    g_autoptr(PiMessage) other = fixture_message_new (40001, NULL);

    pi_message_store_append (store, &late, 1);
    pi_message_store_append (store, &other, 1);
  }

  while (pi_text_filter_get_searching (filter))
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 20);
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (shown, i);

      g_assert_cmpuint (pi_message_get_sequence (message), ==, i < 19 ? (i + 11) * 1000 + 7 : 40000);
    }

  /* Clearing the text shows everything again. */
  pi_text_filter_set_text (filter, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 19500);
}

/* The rows shown are the messages of @store that contain @needle, in order. */
static void
assert_shows_matches (GListModel     *shown,
                      PiMessageStore *store,
                      const char     *needle)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
  guint j = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (store), i);
      g_autoptr(PiMessage) row = NULL;

      if (!pi_message_contains_text (message, needle))
        continue;
      row = g_list_model_get_item (shown, j++);
      g_assert_true (row == message);
    }
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, j);
}

/* A longer text searches the rows of the shorter one, on workers when they
 * are many, also when the list changes meanwhile. */
static void
test_narrowing (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (100000);
  g_autoptr(PiTextFilter) filter = pi_text_filter_new ();
  GListModel *shown = G_LIST_MODEL (filter);

  for (guint i = 0; i < 30000; i++)
    {
      g_autoptr(PiMessage) message = fixture_message_new (i, NULL);

      pi_message_store_append (store, &message, 1);
    }
  pi_text_filter_set_model (filter, G_LIST_MODEL (store));

  /* Typed on while the first search runs. */
  pi_text_filter_set_text (filter, "TASK-");
  g_assert_true (pi_text_filter_get_searching (filter));
  pi_text_filter_set_text (filter, "TASK-f");
  while (pi_text_filter_get_searching (filter))
    g_main_context_iteration (NULL, TRUE);
  assert_shows_matches (shown, store, "task-f");
  g_assert_cmpuint (g_list_model_get_n_items (shown), >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (shown), <, 30000);

  /* From the rows shown, while the oldest go and new ones arrive. */
  pi_text_filter_set_text (filter, "task-");
  while (pi_text_filter_get_searching (filter))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (shown), >, 10000);
  pi_text_filter_set_text (filter, "task-failed");
  g_assert_true (pi_text_filter_get_searching (filter));
  pi_message_store_set_capacity (store, 19500);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(PiMessage) message = fixture_message_new (40000 + i, NULL);

      pi_message_store_append (store, &message, 1);
    }
  while (pi_text_filter_get_searching (filter))
    g_main_context_iteration (NULL, TRUE);
  assert_shows_matches (shown, store, "task-failed");
  g_assert_cmpuint (g_list_model_get_n_items (shown), >, 0);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/pi/text-filter/typing", test_typing);
  g_test_add_func ("/pi/text-filter/evicted-while-searching", test_evicted_while_searching);
  g_test_add_func ("/pi/text-filter/narrowing", test_narrowing);

  return g_test_run ();
}
