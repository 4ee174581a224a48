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
#include "pi-ui-test-util.h"

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

/* A copy of a list model kept up to date from its items-changed alone: a
 * change told in steps must say exactly what changed at each step. */
/* What the pill that returns to the newest rows says. */
static const char *
pill_text (PiMessageList *list)
{
  GtkWidget *button = pi_message_list_get_new_messages_button (list);
  GtkWidget *box = gtk_button_get_child (GTK_BUTTON (button));

  return gtk_label_get_label (GTK_LABEL (gtk_widget_get_first_child (box)));
}

static gboolean
at_newest_row (PiMessageList *list)
{
  GtkAdjustment *adj = pi_message_list_get_vadjustment (list);

  return gtk_adjustment_get_upper (adj) > gtk_adjustment_get_page_size (adj) &&
         gtk_adjustment_get_value (adj) >= gtk_adjustment_get_upper (adj) -
                                            gtk_adjustment_get_page_size (adj) - 1;
}

static void
settle (PiMessageList *list,
        PiTextFilter  *filter)
{
  WAIT_UNTIL (!pi_text_filter_get_searching (filter), 10);
  pi_test_wait_for_rows (list);
  /* Frames, not time: the view lays out its rows and scrolls. */
  pi_test_wait_for_frames (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (list))), 3);
}

/* Half of a long list matches: the filter's result, and clearing it,
 * change thousands of rows. A following list stays at the newest row; a
 * selected message that shows before and after stays selected. */
static void
test_large_changes (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (100000);
  g_autoptr(GPtrArray) mirror = NULL;
  g_autoptr(PiMessage) picked = NULL;
  GtkSelectionModel *selection;
  GtkWindow *window;
  PiMessageList *list;
  PiTextFilter *filter;
  GListModel *shown;

  for (guint i = 0; i < 30000; i++)
    {
      g_autoptr(PiMessage) message = fixture_message_new (i, i % 2 == 0 ? TAG : NULL);

      pi_message_store_append (store, &message, 1);
    }

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 900, 600);
  list = PI_MESSAGE_LIST (pi_message_list_new ());
  gtk_window_set_child (window, GTK_WIDGET (list));
  pi_message_list_set_store (list, store);
  gtk_window_present (window);
  shown = pi_message_list_get_shown (list);
  filter = PI_TEXT_FILTER (shown);
  mirror = pi_test_mirror_new (shown);
  settle (list, filter);
  g_assert_true (pi_message_list_get_following (list));
  WAIT_UNTIL (at_newest_row (list), 5);

  /* Following: the result shows, and the view is at its newest row. */
  pi_message_list_set_filter_text (list, TAG);
  settle (list, filter);
  assert_shows_matches (shown, store, TAG);
  pi_test_assert_mirror (mirror, shown);
  g_assert_cmpuint (pi_message_list_get_n_shown (list), ==, 15000);
  g_assert_true (pi_message_list_get_following (list));
  WAIT_UNTIL (at_newest_row (list), 5);

  /* A longer text that only a few of them contain ("…-42" and the tag of
   * message 1,000). */
  pi_message_list_set_filter_text (list, "29998");
  settle (list, filter);
  assert_shows_matches (shown, store, "29998");
  pi_test_assert_mirror (mirror, shown);
  g_assert_true (pi_message_list_get_following (list));

  pi_message_list_set_filter_text (list, NULL);
  settle (list, filter);
  pi_test_assert_mirror (mirror, shown);
  g_assert_cmpuint (pi_message_list_get_n_shown (list), ==, 30000);
  g_assert_true (pi_message_list_get_following (list));
  WAIT_UNTIL (at_newest_row (list), 5);

  /* A message picked in the middle stays selected through the filter and
   * back. */
  selection = gtk_column_view_get_model (pi_message_list_get_column_view (list));
  gtk_selection_model_select_item (selection, 20000, TRUE);
  picked = g_object_ref (pi_message_list_get_selected_message (list));
  g_assert_cmpuint (pi_message_get_sequence (picked), ==, 20000);
  g_assert_false (pi_message_list_get_following (list));

  pi_message_list_set_filter_text (list, TAG);
  settle (list, filter);
  assert_shows_matches (shown, store, TAG);
  pi_test_assert_mirror (mirror, shown);
  g_assert_true (pi_message_list_get_selected_message (list) == picked);
  /* The rows of the text are not new messages. */
  g_assert_null (strstr (pill_text (list), "new message"));
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (selection)), ==, 10000);

  pi_message_list_set_filter_text (list, NULL);
  settle (list, filter);
  pi_test_assert_mirror (mirror, shown);
  g_assert_true (pi_message_list_get_selected_message (list) == picked);
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (selection)), ==, 20000);
  g_assert_null (strstr (pill_text (list), "new message"));

  /* Following again, the selection kept: a text the first 100 messages
   * contain (their worker ids) removes all the others. */
  g_clear_object (&picked);
  gtk_selection_model_select_item (selection, 50, TRUE);
  picked = g_object_ref (pi_message_list_get_selected_message (list));
  pi_message_list_follow (list);
  settle (list, filter);
  g_assert_true (pi_message_list_get_following (list));

  pi_message_list_set_filter_text (list, "i-0a7c3000");
  settle (list, filter);
  assert_shows_matches (shown, store, "i-0a7c3000");
  pi_test_assert_mirror (mirror, shown);
  g_assert_cmpuint (pi_message_list_get_n_shown (list), ==, 100);
  g_assert_true (pi_message_list_get_selected_message (list) == picked);
  g_assert_true (pi_message_list_get_following (list));

  pi_message_list_set_filter_text (list, NULL);
  settle (list, filter);
  pi_test_assert_mirror (mirror, shown);
  g_assert_true (pi_message_list_get_selected_message (list) == picked);
  g_assert_true (pi_message_list_get_following (list));
  WAIT_UNTIL (at_newest_row (list), 5);

  g_signal_handlers_disconnect_by_data (shown, mirror);
  gtk_window_destroy (window);
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
  g_test_add_func ("/pi/text-filter/large-changes", test_large_changes);

  return g_test_run ();
}
