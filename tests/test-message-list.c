/* test-message-list.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "pi-message-list.h"
#include "pi-message-store.h"
#include "pi-messages-fixture.h"
#include "pi-ui-test-util.h"

typedef struct
{
  GtkWindow      *window;
  PiMessageList  *list;
  PiMessageStore *store;
} Fixture;

/* Runs the main loop until @n more frames were painted. */
static void
wait_for_paints (Fixture *f,
                 guint    n)
{
  pi_test_wait_for_frames (GTK_WIDGET (f->window), n);
}

static void
fixture_setup (Fixture *f,
               guint    capacity)
{
  f->store = pi_message_store_new (capacity);
  f->list = PI_MESSAGE_LIST (pi_message_list_new ());
  pi_message_list_set_store (f->list, f->store);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 900, 400);
  gtk_window_set_child (f->window, GTK_WIDGET (f->list));
  gtk_window_present (f->window);

  wait_for_paints (f, 2);
}

static void
fixture_teardown (Fixture *f)
{
  g_object_add_weak_pointer (G_OBJECT (f->list), (gpointer *)&f->list);
  gtk_window_destroy (f->window);
  g_assert_null (f->list);
  g_assert_finalize_object (f->store);
}

static void
append_range (Fixture    *f,
              guint64     first,
              guint       n,
              const char *extra_tag)
{
  g_autoptr(GPtrArray) batch = fixture_batch_new (first, n, extra_tag);

  pi_message_list_append (f->list, batch);
}

/* What the user sees: the realized rows of the table, top to bottom, each
 * as its cells' labels, and each cell's tooltip. */
typedef struct
{
  char *cells[6];
  gboolean has_tooltip[6];
  char *classes[6];
} Row;

static void
row_free (Row *row)
{
  for (guint i = 0; i < 6; i++)
    {
      g_free (row->cells[i]);
      g_free (row->classes[i]);
    }
  g_free (row);
}

static GPtrArray *
collect_rows (Fixture *f)
{
  GtkWidget *list_view = pi_test_find_descendant (GTK_WIDGET (pi_message_list_get_column_view (f->list)),
                                                  GTK_TYPE_LIST_VIEW);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)row_free);

  g_assert_nonnull (list_view);

  for (GtkWidget *row_widget = gtk_widget_get_first_child (list_view);
       row_widget != NULL;
       row_widget = gtk_widget_get_next_sibling (row_widget))
    {
      Row *row = g_new0 (Row, 1);
      gboolean any = FALSE;
      guint i = 0;

      if (!gtk_widget_get_child_visible (row_widget) || !gtk_widget_get_mapped (row_widget))
        {
          row_free (row);
          continue;
        }

      for (GtkWidget *cell = gtk_widget_get_first_child (row_widget);
           cell != NULL && i < 6;
           cell = gtk_widget_get_next_sibling (cell), i++)
        {
          GtkWidget *label = pi_test_cell_text_widget (cell);

          if (label == NULL)
            continue;

          row->cells[i] = g_strdup (pi_test_cell_text (label));
          row->has_tooltip[i] = gtk_widget_get_has_tooltip (label);
          row->classes[i] = g_strjoinv (" ", gtk_widget_get_css_classes (label));
          any |= row->cells[i][0] != '\0';
        }

      if (any)
        g_ptr_array_add (rows, row);
      else
        row_free (row);
    }

  return rows;
}

static void
test_rows (void)
{
  Fixture f = { 0 };
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GRegex) time_re = NULL;
  g_autofree char *rk0 = NULL;
  Row *row;

  fixture_setup (&f, 1000);
  g_assert_cmpstr (pi_message_list_get_visible_page (f.list), ==, "waiting");

  batch = fixture_batch_new (0, 3, NULL);
  g_ptr_array_add (batch, pi_message_new_gap (3, g_get_real_time (), "Connection reset by peer"));
  pi_message_list_append (f.list, batch);
  wait_for_paints (&f, 2);

  g_assert_cmpstr (pi_message_list_get_visible_page (f.list), ==, "messages");
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 4);

  rows = collect_rows (&f);
  g_assert_cmpuint (rows->len, ==, 4);

  /* Message 0: a task-pending message, columns as the user reads them. */
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpstr (row->cells[0], ==, "0");
  time_re = g_regex_new ("^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}$", 0, 0, NULL);
  g_assert_true (g_regex_match (time_re, row->cells[1], 0, NULL));
  g_assert_cmpstr (row->cells[2], ==, "task-pending");
  /* The full exchange name is the tooltip (made when asked for). */
  g_assert_true (row->has_tooltip[2]);
  rk0 = g_strdup (pi_message_get_routing_key (g_ptr_array_index (batch, 0)));
  g_assert_true (g_str_has_prefix (rk0, "primary."));
  g_assert_cmpstr (row->cells[3], ==, rk0);
  g_assert_true (g_str_has_prefix (row->cells[4], "index.gecko.v2.mozilla-central.latest.firefox.linux64-opt, tc-treeherder.v2.mozilla-central."));
  g_assert_true (g_str_has_suffix (row->cells[4], ", checks"));
  /* Redelivered is an icon, shown only when true: no "No". */
  g_assert_null (row->cells[5]);

  row = g_ptr_array_index (rows, 2);
  g_assert_cmpstr (row->cells[0], ==, "2");
  g_assert_cmpstr (row->cells[2], ==, "task-completed");

  /* The gap marker is a row of its own, saying what happened. */
  row = g_ptr_array_index (rows, 3);
  g_assert_cmpstr (row->cells[0], ==, "");
  g_assert_cmpstr (row->cells[3], ==, "Connection lost — messages may be missing here");
  g_assert_nonnull (strstr (row->classes[3], "warning"));
  g_assert_null (row->cells[5]);

  fixture_teardown (&f);
}

static void
test_filter (void)
{
  Fixture f = { 0 };

  fixture_setup (&f, 100);

  append_range (&f, 0, 40, NULL);
  append_range (&f, 40, 10, "Nightly Needle build");
  append_range (&f, 50, 30, NULL);
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 80);

  /* Case-insensitive, in the payload text. */
  pi_message_list_set_filter_text (f.list, "NEEDLE");
  g_assert_true (pi_message_list_get_search_mode (f.list));
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 10);
  g_assert_cmpstr (pi_message_list_get_count_text (f.list), ==, "10 of 80 shown");

  /* New rows are filtered as they arrive. */
  append_range (&f, 80, 5, "another needle");
  append_range (&f, 85, 5, NULL);
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 15);
  g_assert_cmpstr (pi_message_list_get_count_text (f.list), ==, "15 of 90 shown");

  /* Evictions from a full ring take matching rows with them: 40 .. 49 go. */
  append_range (&f, 90, 60, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.store)), ==, 100);
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 5);
  g_assert_cmpstr (pi_message_list_get_count_text (f.list), ==, "5 of 100 shown");

  /* By routing key word and by route. */
  pi_message_list_set_filter_text (f.list, "task-failed");
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 20);
  pi_message_list_set_filter_text (f.list, "tc-treeherder.v2.mozilla-central");
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 100);

  /* Nothing matches: its own page. */
  pi_message_list_set_filter_text (f.list, "no message says this");
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 0);
  g_assert_cmpstr (pi_message_list_get_visible_page (f.list), ==, "no-match");
  g_assert_cmpstr (pi_message_list_get_count_text (f.list), ==, "0 of 100 shown");

  /* Typing in the search entry filters too (after the entry's short delay). */
  {
    GtkWidget *entry = pi_test_find_descendant (GTK_WIDGET (f.list), GTK_TYPE_SEARCH_ENTRY);
    gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    g_assert_nonnull (entry);
    gtk_editable_set_text (GTK_EDITABLE (entry), "Another NEEDLE");
    while (pi_message_list_get_n_shown (f.list) != 5)
      {
        g_main_context_iteration (NULL, TRUE);
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      }
    g_assert_cmpstr (pi_message_list_get_filter_text (f.list), ==, "Another NEEDLE");
    g_assert_cmpstr (pi_message_list_get_count_text (f.list), ==, "5 of 100 shown");
  }

  /* Closing the search shows everything again. */
  pi_message_list_set_search_mode (f.list, FALSE);
  g_assert_cmpstr (pi_message_list_get_filter_text (f.list), ==, "");
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 100);
  g_assert_cmpstr (pi_message_list_get_visible_page (f.list), ==, "messages");

  fixture_teardown (&f);
}

static void
test_pause_resume (void)
{
  Fixture f = { 0 };
  guint n_items;

  fixture_setup (&f, 1000);
  append_range (&f, 0, 10, NULL);

  g_object_set (f.list, "paused", TRUE, NULL);
  append_range (&f, 10, 7, NULL);
  append_range (&f, 17, 5, NULL);

  /* Held and counted, not shown. */
  g_assert_cmpuint (pi_message_list_get_n_held (f.list), ==, 12);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.store)), ==, 10);
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 10);

  /* Resume appends them, in arrival order. */
  g_object_set (f.list, "paused", FALSE, NULL);
  g_assert_cmpuint (pi_message_list_get_n_held (f.list), ==, 0);
  n_items = g_list_model_get_n_items (G_LIST_MODEL (f.store));
  g_assert_cmpuint (n_items, ==, 22);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (f.store), i);

      g_assert_cmpuint (pi_message_get_sequence (message), ==, i);
    }
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 22);

  /* Clear drops the shown and the held messages. */
  g_object_set (f.list, "paused", TRUE, NULL);
  append_range (&f, 22, 3, NULL);
  pi_message_list_clear (f.list);
  g_assert_cmpuint (pi_message_list_get_n_held (f.list), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.store)), ==, 0);
  g_object_set (f.list, "paused", FALSE, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.store)), ==, 0);
  g_assert_cmpstr (pi_message_list_get_visible_page (f.list), ==, "waiting");

  fixture_teardown (&f);
}

static void
count_cb (guint *counter)
{
  (*counter)++;
}

static void
test_selection (void)
{
  Fixture f = { 0 };
  GtkSelectionModel *selection;
  guint notified = 0;
  PiMessage *selected;

  fixture_setup (&f, 5);
  append_range (&f, 0, 5, NULL);
  g_assert_null (pi_message_list_get_selected_message (f.list));

  g_signal_connect_swapped (f.list, "notify::selected-message",
                            G_CALLBACK (count_cb), &notified);
  selection = gtk_column_view_get_model (pi_message_list_get_column_view (f.list));
  gtk_selection_model_select_item (selection, 3, TRUE);
  selected = pi_message_list_get_selected_message (f.list);
  g_assert_nonnull (selected);
  g_assert_cmpuint (pi_message_get_sequence (selected), ==, 3);
  g_assert_cmpuint (notified, ==, 1);

  /* A batch that does not evict it keeps it selected. */
  pi_message_list_set_filter_text (f.list, "task");
  g_assert_true (pi_message_list_get_selected_message (f.list) == selected);

  /* Evicted: nothing is selected any more. */
  append_range (&f, 5, 5, NULL);
  g_assert_null (pi_message_list_get_selected_message (f.list));
  g_assert_cmpuint (notified, ==, 2);

  fixture_teardown (&f);
}

/* Issue 12 point 7: a dropped event says how many and why, apart from a
 * lost connection. */
static void
test_marker_rows (void)
{
  Fixture f = { 0 };
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) rows = NULL;
  gboolean seen[3] = { FALSE, FALSE, FALSE };

  fixture_setup (&f, 100);
  g_ptr_array_add (batch, pi_message_new_dropped (1, 12, "too-large"));
  g_ptr_array_add (batch, pi_message_new_dropped (2, 1, "too-slow"));
  g_ptr_array_add (batch, pi_message_new_gap (3, g_get_real_time (), "Connection reset by peer"));
  pi_message_list_append (f.list, batch);
  wait_for_paints (&f, 3);

  rows = collect_rows (&f);
  g_assert_cmpuint (rows->len, ==, 3);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (row->cells[3], "12 messages dropped by the server: too large for its buffer") == 0)
        seen[0] = TRUE;
      else if (g_strcmp0 (row->cells[3], "1 message dropped by the server: this client was too slow") == 0)
        seen[1] = TRUE;
      else if (g_strcmp0 (row->cells[3], "Connection lost — messages may be missing here") == 0)
        seen[2] = TRUE;
      g_assert_nonnull (strstr (row->classes[3], "warning"));
      g_assert_true (row->has_tooltip[3]);
    }
  g_assert_true (seen[0] && seen[1] && seen[2]);

  fixture_teardown (&f);
}

static GtkColumnViewColumn *
find_column (PiMessageList *list,
             const char    *id)
{
  GListModel *columns = gtk_column_view_get_columns (pi_message_list_get_column_view (list));

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      if (g_strcmp0 (gtk_column_view_column_get_id (column), id) == 0)
        return column;
    }

  return NULL;
}

/* The header menu shows and hides columns, routing-key words included,
 * and the next list remembers it. */
static void
test_columns (void)
{
  Fixture f = { 0 };
  PiMessageList *other;

  fixture_setup (&f, 100);
  g_assert_nonnull (gtk_column_view_column_get_header_menu (find_column (f.list, "routing-key")));
  g_assert_true (gtk_column_view_column_get_visible (find_column (f.list, "routes")));
  g_assert_false (gtk_column_view_column_get_visible (find_column (f.list, "word-workerType")));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.list), "columns.routes", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.list), "columns.word-workerType", NULL));
  g_assert_false (gtk_column_view_column_get_visible (find_column (f.list, "routes")));
  g_assert_true (gtk_column_view_column_get_visible (find_column (f.list, "word-workerType")));

  other = g_object_ref_sink (PI_MESSAGE_LIST (pi_message_list_new ()));
  g_assert_false (gtk_column_view_column_get_visible (find_column (other, "routes")));
  g_assert_true (gtk_column_view_column_get_visible (find_column (other, "word-workerType")));
  g_assert_finalize_object (other);

  /* Back as they were for the other tests. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.list), "columns.routes", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.list), "columns.word-workerType", NULL));
  g_assert_true (gtk_column_view_column_get_visible (find_column (f.list, "routes")));

  fixture_teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  pi_test_ui_init (&argc, &argv);

  g_test_add_func ("/pi/message-list/rows", test_rows);
  g_test_add_func ("/pi/message-list/filter", test_filter);
  g_test_add_func ("/pi/message-list/pause-resume-clear", test_pause_resume);
  g_test_add_func ("/pi/message-list/selection", test_selection);
  g_test_add_func ("/pi/message-list/marker-rows", test_marker_rows);
  g_test_add_func ("/pi/message-list/columns", test_columns);

  return g_test_run ();
}
