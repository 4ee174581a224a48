/* test-message-list.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "pi-binding.h"
#include "pi-message-list.h"
#include "pi-message-store.h"
#include "pi-messages-fixture.h"
#include "pi-message-feed.h"
#include "pi-session.h"
#include "pi-span-cell.h"
#include "pi-ui-test-util.h"
#include "pi-window-private.h"

typedef struct
{
  GtkWindow      *window;
  PiMessageList  *list;
  PiMessageStore *store;
} Fixture;

/* Runs the main loop until the table has every row, then until @n more
 * frames were painted. */
static void
wait_for_paints (Fixture *f,
                 guint    n)
{
  pi_test_wait_for_rows (f->list);
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
  gtk_window_set_default_size (f->window, 1100, 400);
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
add_range (PiSession *session,
           guint64    first,
           guint      n)
{
  g_autoptr(GPtrArray) batch = fixture_batch_new (first, n, NULL);

  pi_session_add_messages (session, batch);
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
  /* A marker row's text, drawn across the row from its first cell */
  char *span;
  char *span_classes;
  char *accessible_label_error;   /* NULL when the row is named by the span */
  gboolean span_whole;            /* all of it drawn, inside the table */
  int span_x;
} Row;

static void
row_free (Row *row)
{
  for (guint i = 0; i < 6; i++)
    {
      g_free (row->cells[i]);
      g_free (row->classes[i]);
    }
  g_free (row->span);
  g_free (row->span_classes);
  g_free (row->accessible_label_error);
  g_free (row);
}

/* Whether @label shows all of its text: as wide as its one line, or tall
 * enough for the lines it wraps to, and not past the table's right edge. */
static gboolean
label_shows_whole_text (GtkWidget *label,
                        GtkWidget *list_view)
{
  graphene_rect_t bounds;
  int natural, height_needed;
  int width = gtk_widget_get_width (label);

  g_assert_true (gtk_widget_compute_bounds (label, list_view, &bounds));
  gtk_widget_measure (label, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &natural, NULL, NULL);
  gtk_widget_measure (label, GTK_ORIENTATION_VERTICAL, width, &height_needed, NULL, NULL, NULL);

  g_test_message ("span \"%s\": x %.0f, %d x %d px, natural width %d, needs height %d, table %d px",
                  gtk_label_get_label (GTK_LABEL (label)), bounds.origin.x, width,
                  gtk_widget_get_height (label), natural, height_needed,
                  gtk_widget_get_width (list_view));

  return gtk_widget_get_mapped (label) &&
         gtk_widget_get_child_visible (label) &&
         (width >= natural || gtk_widget_get_height (label) >= height_needed) &&
         bounds.origin.x >= 0 &&
         bounds.origin.x + bounds.size.width <= gtk_widget_get_width (list_view) + 0.5;
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
          GtkWidget *child = gtk_widget_get_first_child (cell);
          GtkWidget *label = pi_test_cell_text_widget (cell);

          if (PI_IS_SPAN_CELL (child) && pi_span_cell_get_span_label (PI_SPAN_CELL (child)))
            {
              GtkWidget *span = pi_span_cell_get_span_label (PI_SPAN_CELL (child));
              graphene_point_t p;

              g_assert_null (row->span);
              row->span = g_strdup (gtk_label_get_label (GTK_LABEL (span)));
              row->span_classes = g_strjoinv (" ", gtk_widget_get_css_classes (span));
              row->span_whole = label_shows_whole_text (span, list_view);
              g_assert_true (gtk_widget_compute_point (span, row_widget, &GRAPHENE_POINT_INIT (0, 0), &p));
              row->span_x = (int) p.x;
              row->accessible_label_error =
                gtk_test_accessible_check_property (GTK_ACCESSIBLE (row_widget),
                                                    GTK_ACCESSIBLE_PROPERTY_LABEL, row->span);
              any = TRUE;
            }

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
  /* Without the constant first word every Taskcluster key has: the room
   * goes to the words that differ (the tooltip has the whole key). */
  g_assert_cmpstr (row->cells[3], ==, rk0 + strlen ("primary."));
  g_assert_true (row->has_tooltip[3]);
  g_assert_true (g_str_has_prefix (row->cells[4], "index.gecko.v2.mozilla-central.latest.firefox.linux64-opt, tc-treeherder.v2.mozilla-central."));
  g_assert_true (g_str_has_suffix (row->cells[4], ", checks"));
  /* Redelivered is an icon, shown only when true: no "No". */
  g_assert_null (row->cells[5]);

  row = g_ptr_array_index (rows, 2);
  g_assert_cmpstr (row->cells[0], ==, "2");
  g_assert_cmpstr (row->cells[2], ==, "task-completed");

  /* The gap marker is a row of its own, saying what happened across the
   * row from the Exchange column on (the time stays in its column), and
   * named so for a screen reader. */
  row = g_ptr_array_index (rows, 3);
  g_assert_cmpstr (row->cells[0], ==, "");
  g_assert_true (g_regex_match (time_re, row->cells[1], 0, NULL));
  g_assert_cmpstr (row->cells[2], ==, "");
  g_assert_cmpstr (row->cells[3], ==, "");
  g_assert_cmpstr (row->span, ==, "Connection lost — messages may be missing here");
  g_assert_true (row->span_whole);
  g_assert_nonnull (strstr (row->span_classes, "warning"));
  g_assert_null (row->accessible_label_error);
  g_assert_null (row->cells[5]);
  /* Messages are named by their cells, as before. */
  g_assert_null (((Row *) g_ptr_array_index (rows, 0))->span);

  fixture_teardown (&f);
}

/* A failed task stands out at a glance: task-failed and task-exception
 * in the error colour, the others not (and a reused row loses it). */
static void
test_failures_stand_out (void)
{
  Fixture f = { 0 };
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) batch = fixture_batch_new (0, 10, NULL);

  fixture_setup (&f, 1000);
  pi_message_list_append (f.list, batch);
  wait_for_paints (&f, 2);

  rows = collect_rows (&f);
  g_assert_cmpuint (rows->len, ==, 10);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = g_ptr_array_index (rows, i);
      gboolean failure = g_str_equal (row->cells[2], "task-failed") || g_str_equal (row->cells[2], "task-exception");
      g_auto(GStrv) classes = g_strsplit (row->classes[2], " ", -1);

      g_assert_cmpint (g_strv_contains ((const char * const *) classes, "error"), ==, failure);
    }
  g_assert_true (g_str_equal (((Row *) g_ptr_array_index (rows, 3))->cells[2], "task-failed"));

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

/* The session holds what arrives while paused; the list shows the store. */
static void
test_pause_resume (void)
{
  Fixture f = { 0 };
  PiSession *session = pi_session_new (1000);
  PiMessageStore *store = pi_session_get_store (session);
  guint n_items;

  fixture_setup (&f, 1000);
  pi_message_list_set_store (f.list, store);
  add_range (session, 0, 10);

  pi_session_set_paused (session, TRUE);
  add_range (session, 10, 7);
  add_range (session, 17, 5);

  /* Held and counted, not shown. */
  g_assert_cmpuint (pi_session_get_n_held (session), ==, 12);
  g_assert_cmpstr (pi_session_get_subtitle (session), ==, "Paused · 12 held");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 10);
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 10);

  /* Resume appends them, in arrival order. */
  pi_session_set_paused (session, FALSE);
  g_assert_cmpuint (pi_session_get_n_held (session), ==, 0);
  n_items = g_list_model_get_n_items (G_LIST_MODEL (store));
  g_assert_cmpuint (n_items, ==, 22);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (store), i);

      g_assert_cmpuint (pi_message_get_sequence (message), ==, i);
    }
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 22);

  /* Clear drops the shown and the held messages... */
  pi_session_set_paused (session, TRUE);
  add_range (session, 22, 3);
  g_assert_cmpuint (pi_session_clear (session), ==, 22);
  g_assert_cmpuint (pi_session_get_n_held (session), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  pi_session_set_paused (session, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  g_assert_cmpstr (pi_message_list_get_visible_page (f.list), ==, "waiting");

  /* ...and Undo puts the shown ones back, before what arrived since. */
  add_range (session, 25, 2);
  g_assert_true (pi_session_get_can_undo_clear (session));
  g_assert_true (pi_session_undo_clear (session));
  g_assert_false (pi_session_get_can_undo_clear (session));
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 24);
  {
    g_autoptr(PiMessage) last = g_list_model_get_item (G_LIST_MODEL (store), 23);

    g_assert_cmpuint (pi_message_get_sequence (last), ==, 26);
  }

  fixture_teardown (&f);
  g_assert_finalize_object (session);
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
  static const int widths[] = { 1100, 900, 600, 360, 300 };

  fixture_setup (&f, 100);
  g_ptr_array_add (batch, pi_message_new_dropped (1, 12, "too-large"));
  g_ptr_array_add (batch, pi_message_new_dropped (2, 1, "too-slow"));
  g_ptr_array_add (batch, pi_message_new_gap (3, g_get_real_time (), "Connection reset by peer"));
  pi_message_list_append (f.list, batch);
  wait_for_paints (&f, 3);

  /* Whole at every width: one line when there is room, wrapped when the
   * table is narrower than the text (a phone). */
  for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
   {
    gboolean seen[3] = { FALSE, FALSE, FALSE };

    g_test_message ("window %d px wide", widths[w]);
    gtk_window_set_default_size (f.window, widths[w], 400);
    wait_for_paints (&f, 4);

  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = collect_rows (&f);
  g_assert_cmpuint (rows->len, ==, 3);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (row->span, "12 messages dropped by the server: too large for its buffer") == 0)
        seen[0] = TRUE;
      else if (g_strcmp0 (row->span, "1 message dropped by the server: this client was too slow") == 0)
        seen[1] = TRUE;
      else if (g_strcmp0 (row->span, "Connection lost — messages may be missing here") == 0)
        seen[2] = TRUE;
      g_assert_nonnull (strstr (row->span_classes, "warning"));
      g_assert_true (row->span_whole);
      g_assert_null (row->accessible_label_error);
    }
  g_assert_true (seen[0] && seen[1] && seen[2]);
   }

  fixture_teardown (&f);
}

/* The dropped row of @rows, checked as test_marker_rows() does. */
static const char *
dropped_row_text (GPtrArray *rows)
{
  const char *text = NULL;

  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = g_ptr_array_index (rows, i);

      if (row->span == NULL)
        continue;
      g_assert_null (text);
      text = row->span;
      g_assert_true (row->span_whole);
      /* The screen reader hears the count the row shows. */
      g_assert_null (row->accessible_label_error);
    }

  return text;
}

/* Issue 12: a server dropping every large message reports each one; the
 * list shows one row counting them, which counts on as more come. */
static void
test_dropped_row_counts (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessageFeed) feed = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  fixture_setup (&f, 100);
  feed = pi_message_feed_new (f.store);

  append_range (&f, 0, 2, NULL);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      g_ptr_array_add (batch, pi_message_new_dropped (2 + i, 1, "too-large"));
      pi_message_feed_add (feed, batch);
      wait_for_paints (&f, 2);
    }

  rows = collect_rows (&f);
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_cmpstr (dropped_row_text (rows), ==,
                   "3 messages dropped by the server: too large for its buffer");

  /* Eleven more in one batch: the same row, drawn again. */
  {
    g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < 11; i++)
      g_ptr_array_add (batch, pi_message_new_dropped (5 + i, 1, "too-large"));
    pi_message_feed_add (feed, batch);
  }
  wait_for_paints (&f, 3);

  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = collect_rows (&f);
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_cmpstr (dropped_row_text (rows), ==,
                   "14 messages dropped by the server: too large for its buffer");

  g_clear_object (&feed);
  fixture_teardown (&f);
}

static GtkColumnViewColumn *
find_column (PiMessageList *list,
             const char    *id)
{
  return pi_test_find_column (pi_message_list_get_column_view (list), id);
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

/* The routing-key word columns of the exchanges bound to come first in the
 * columns menu, in a section of their own; the other words are in a
 * submenu. */
static void
test_columns_menu_bound_words (void)
{
  Fixture f = { 0 };
  g_autoptr(GListStore) bindings = g_list_store_new (PI_TYPE_BINDING);
  g_autoptr(PiBinding) binding = pi_binding_new ("exchange/taskcluster-queue/v1/task-completed", "primary.#");
  static const char * const queue_words[] = {
    "taskId", "runId", "workerGroup", "workerId", "provisionerId", "workerType", "schedulerId", "taskGroupId",
  };
  GMenuModel *menu;
  GMenuModel *section;
  GMenuModel *others;
  g_autofree char *label = NULL;

  fixture_setup (&f, 100);
  menu = pi_message_list_get_columns_menu (f.list);
  g_assert_true (gtk_column_view_column_get_header_menu (find_column (f.list, "time")) == menu);

  /* Nothing bound: all the words, in a submenu after the table's columns. */
  pi_message_list_set_bindings (f.list, G_LIST_MODEL (bindings));
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 2);
  g_assert_nonnull ((others = g_menu_model_get_item_link (menu, 1, G_MENU_LINK_SUBMENU)));
  g_assert_true (g_menu_model_get_item_attribute (menu, 1, G_MENU_ATTRIBUTE_LABEL, "s", &label));
  g_assert_cmpstr (label, ==, "Routing Key Words");
  g_clear_pointer (&label, g_free);
  g_assert_cmpint (g_menu_model_get_n_items (others), >, G_N_ELEMENTS (queue_words));
  g_clear_object (&others);

  /* Bound to task-completed: its words first, in its order, whole. */
  g_list_store_append (bindings, binding);
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 3);
  g_assert_nonnull ((section = g_menu_model_get_item_link (menu, 1, G_MENU_LINK_SECTION)));
  g_assert_true (g_menu_model_get_item_attribute (menu, 1, G_MENU_ATTRIBUTE_LABEL, "s", &label));
  g_assert_cmpstr (label, ==, "Routing Key Words");
  g_clear_pointer (&label, g_free);
  g_assert_cmpint (g_menu_model_get_n_items (section), ==, G_N_ELEMENTS (queue_words));
  for (guint i = 0; i < G_N_ELEMENTS (queue_words); i++)
    {
      g_autofree char *action = NULL;
      g_autofree char *expected = g_strconcat ("columns.word-", queue_words[i], NULL);

      g_assert_true (g_menu_model_get_item_attribute (section, i, G_MENU_ATTRIBUTE_LABEL, "s", &label));
      g_assert_cmpstr (label, ==, queue_words[i]);
      g_clear_pointer (&label, g_free);
      g_assert_true (g_menu_model_get_item_attribute (section, i, G_MENU_ATTRIBUTE_ACTION, "s", &action));
      g_assert_cmpstr (action, ==, expected);
    }
  g_clear_object (&section);

  /* The others after, in a submenu: no word twice. */
  g_assert_nonnull ((others = g_menu_model_get_item_link (menu, 2, G_MENU_LINK_SUBMENU)));
  g_assert_true (g_menu_model_get_item_attribute (menu, 2, G_MENU_ATTRIBUTE_LABEL, "s", &label));
  g_assert_cmpstr (label, ==, "Other Routing Key Words");
  g_clear_pointer (&label, g_free);
  for (int i = 0; i < g_menu_model_get_n_items (others); i++)
    {
      g_assert_true (g_menu_model_get_item_attribute (others, i, G_MENU_ATTRIBUTE_LABEL, "s", &label));
      g_assert_false (g_strv_contains (queue_words, label));
      g_clear_pointer (&label, g_free);
    }
  g_assert_true (g_menu_model_get_item_attribute (others, 0, G_MENU_ATTRIBUTE_LABEL, "s", &label));
  g_assert_cmpstr (label, ==, "organization");
  g_clear_pointer (&label, g_free);
  g_clear_object (&others);

  /* The binding removed: back to one submenu. */
  g_list_store_remove_all (bindings);
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 2);

  pi_message_list_set_bindings (f.list, NULL);
  fixture_teardown (&f);
}

/* --- widths as the user meets them in the window ------------------------ */

typedef struct
{
  const char *id;
  int         width;
  char       *text;   /* what the cell shows */
} ColumnWidth;

static void
column_width_clear (gpointer data)
{
  g_free (((ColumnWidth *) data)->text);
}

/* The widths of the visible columns as drawn in a realized row, and the
 * table's width. */
static GArray *
measure_columns (PiMessageList *list,
                 int           *table_width)
{
  GtkColumnView *view = pi_message_list_get_column_view (list);
  GtkWidget *list_view = pi_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW);
  GListModel *columns = gtk_column_view_get_columns (view);
  GArray *widths = g_array_new (FALSE, TRUE, sizeof (ColumnWidth));
  GtkWidget *row;

  g_array_set_clear_func (widths, column_width_clear);

  g_assert_nonnull (list_view);
  for (row = gtk_widget_get_first_child (list_view); row != NULL; row = gtk_widget_get_next_sibling (row))
    if (gtk_widget_get_mapped (row) && gtk_widget_get_child_visible (row))
      break;
  g_assert_nonnull (row);

  /* A row has one cell per visible column, in the columns' order. */
  {
    GtkWidget *cell = gtk_widget_get_first_child (row);

    for (guint i = 0; i < g_list_model_get_n_items (columns) && cell != NULL; i++)
      {
        g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
        ColumnWidth w;

        if (!gtk_column_view_column_get_visible (column))
          continue;
        w.id = gtk_column_view_column_get_id (column);
        w.width = gtk_widget_get_width (cell);
        w.text = g_strdup (pi_test_cell_text (cell));
        g_array_append_val (widths, w);
        cell = gtk_widget_get_next_sibling (cell);
      }
  }

  *table_width = gtk_widget_get_width (list_view);

  return widths;
}

static int
column_width (GArray     *widths,
              const char *id)
{
  for (guint i = 0; i < widths->len; i++)
    if (g_strcmp0 (g_array_index (widths, ColumnWidth, i).id, id) == 0)
      return g_array_index (widths, ColumnWidth, i).width;

  return 0;
}

static const char *
column_text (GArray     *widths,
             const char *id)
{
  for (guint i = 0; i < widths->len; i++)
    if (g_strcmp0 (g_array_index (widths, ColumnWidth, i).id, id) == 0)
      return g_array_index (widths, ColumnWidth, i).text;

  return NULL;
}

static void
print_widths (const char *what,
              GArray     *widths,
              int         table_width)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, "%s: table %d px:", what, table_width);
  for (guint i = 0; i < widths->len; i++)
    g_string_append_printf (s, " %s %d", g_array_index (widths, ColumnWidth, i).id,
                            g_array_index (widths, ColumnWidth, i).width);
  g_test_message ("%s", s->str);
}

static PiApplication *app;

/* A window whose content is @width x @height (the decorations' border
 * under Xvfb taken off), with @n messages. */
static PiWindow *
window_with_messages (int   width,
                      int   height,
                      guint n)
{
  g_autoptr(GPtrArray) batch = fixture_batch_new (0, n, NULL);
  PiWindow *window = pi_test_window_new (app);
  int border;

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  border = width - gtk_widget_get_width (GTK_WIDGET (window));
  if (border != 0)
    {
      gtk_window_set_default_size (GTK_WINDOW (window), width + border, height + border);
      WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) == width, 5);
    }

  pi_message_list_append (window->message_list, batch);
  pi_test_wait_for_rows (window->message_list);
  pi_test_wait_for_frames (GTK_WIDGET (window), 5);

  return window;
}

/* Issue 12: the Routing Key, the column people read, takes the room at
 * every width, the details pane open or not. At 800 and 1024 px, two
 * thirds of the table less a little: the time (HH:MM:SS.mmm), the short
 * exchange name and the redelivered icon need some 250 px of 800, and
 * nothing else is worth the key's room there (the number and the routes
 * are a click away in the Columns menu). Nor is the first word every
 * Taskcluster key shares ("primary."): it is not drawn. */
static void
test_widths (void)
{
  static const struct {
    int      width;
    int      height;
    gboolean details;
  } sizes[] = {
    { 1400, 900, FALSE },
    { 1400, 900, TRUE },
    { 1024, 768, FALSE },
    { 800, 600, FALSE },
    { 360, 720, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      PiWindow *window = window_with_messages (sizes[i].width, sizes[i].height, 30);
      g_autoptr(GArray) widths = NULL;
      g_autofree char *what = NULL;
      int table_width;

      if (sizes[i].details)
        {
          GtkSelectionModel *selection = gtk_column_view_get_model (pi_message_list_get_column_view (window->message_list));

          gtk_selection_model_select_item (selection, 20, TRUE);
          WAIT_UNTIL (adw_overlay_split_view_get_show_sidebar (window->details_split), 5);
          pi_test_wait_for_frames (GTK_WIDGET (window), 30);
        }

      widths = measure_columns (window->message_list, &table_width);
      what = g_strdup_printf ("%dx%d%s", sizes[i].width, sizes[i].height,
                              sizes[i].details ? " with details" : "");
      print_widths (what, widths, table_width);

      /* The routing key has more than half of the table, and two and a
       * half times what any other column has. */
      g_assert_cmpint (column_width (widths, "routing-key") * 2, >, table_width);
      if (sizes[i].width == 800 || sizes[i].width == 1024)
        g_assert_cmpint (column_width (widths, "routing-key") * 100, >=, table_width * 60);
      g_assert_nonnull (column_text (widths, "routing-key"));
      g_assert_false (g_str_has_prefix (column_text (widths, "routing-key"), "primary."));
      g_assert_cmpuint (strlen (column_text (widths, "routing-key")), >, 22);
      for (guint c = 0; c < widths->len; c++)
        if (g_strcmp0 (g_array_index (widths, ColumnWidth, c).id, "routing-key") != 0)
          g_assert_cmpint (g_array_index (widths, ColumnWidth, c).width * 5, <, column_width (widths, "routing-key") * 2);

      /* The columns that gave their room are a click away in the header
       * menu, which says what the table shows. */
      if (column_width (widths, "routes") == 0)
        {
          GtkWidget *list = GTK_WIDGET (window->message_list);
          g_autoptr(GArray) shown = NULL;

          GActionGroup *actions = pi_message_list_get_column_actions (window->message_list);
          g_autoptr(GVariant) state = g_action_group_get_action_state (actions, "routes");

          g_assert_false (g_variant_get_boolean (state));
          g_assert_true (gtk_widget_activate_action (list, "columns.routes", NULL));
          pi_test_wait_for_frames (GTK_WIDGET (window), 3);
          shown = measure_columns (window->message_list, &table_width);
          g_assert_cmpint (column_width (shown, "routes"), >, 0);
          g_clear_pointer (&state, g_variant_unref);
          state = g_action_group_get_action_state (actions, "routes");
          g_assert_true (g_variant_get_boolean (state));
          g_assert_true (gtk_widget_activate_action (list, "columns.routes", NULL));
          pi_test_wait_for_frames (GTK_WIDGET (window), 3);
          g_clear_pointer (&shown, g_array_unref);
          shown = measure_columns (window->message_list, &table_width);
          g_assert_cmpint (column_width (shown, "routes"), ==, 0);
        }

      pi_test_window_destroy (window);
    }
}

/* The item of an open menu that reads @text, drawn. */
static GtkWidget *
find_menu_item (GtkWidget  *widget,
                const char *text)
{
  GType model_button = g_type_from_name ("GtkModelButton");

  if (!gtk_widget_get_mapped (widget))
    return NULL;

  if (model_button != 0 && G_TYPE_CHECK_INSTANCE_TYPE (widget, model_button))
    {
      g_autofree char *item_text = NULL;

      g_object_get (widget, "text", &item_text, NULL);
      if (g_strcmp0 (item_text, text) == 0)
        return widget;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_menu_item (child, text);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Issue 12: showing and hiding columns needs no right click: a Columns
 * button in the header bar, reached with Tab, opens the menu, and its
 * items toggle the columns. Its words come from the window's bindings. */
static void
test_columns_button (void)
{
  PiWindow *window = window_with_messages (1024, 768, 30);
  GMenuModel *menu = pi_message_list_get_columns_menu (window->message_list);
  GtkWidget *button = pi_test_find_menu_button (GTK_WIDGET (window), menu);
  GtkWidget *focus = NULL;
  GtkPopover *popover;
  GtkWidget *item;
  g_autoptr(GArray) widths = NULL;
  g_autoptr(PiBinding) binding = NULL;
  int table_width;
  gboolean reached = FALSE;

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_mapped (button));

  /* Reached from the keyboard. */
  for (guint i = 0; i < 200 && !reached; i++)
    {
      gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD);
      focus = gtk_root_get_focus (GTK_ROOT (window));
      reached = focus != NULL && (focus == button || gtk_widget_is_ancestor (focus, button));
    }
  g_assert_true (reached);

  /* At 1024 px the routes gave their room to the routing key: shown from
   * the menu, which says so. */
  widths = measure_columns (window->message_list, &table_width);
  g_assert_cmpint (column_width (widths, "routes"), ==, 0);
  g_clear_pointer (&widths, g_array_unref);

  g_assert_true (gtk_widget_activate (focus));
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (button));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (popover)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_nonnull (find_menu_item (GTK_WIDGET (popover), "Time"));
  g_assert_nonnull ((item = find_menu_item (GTK_WIDGET (popover), "Routes")));
  g_signal_emit_by_name (item, "clicked");
  pi_test_wait_for_frames (GTK_WIDGET (window), 5);
  widths = measure_columns (window->message_list, &table_width);
  g_assert_cmpint (column_width (widths, "routes"), >, 0);
  g_clear_pointer (&widths, g_array_unref);

  /* And hidden again the same way. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (popover)))
    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (popover)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_nonnull ((item = find_menu_item (GTK_WIDGET (popover), "Routes")));
  g_signal_emit_by_name (item, "clicked");
  pi_test_wait_for_frames (GTK_WIDGET (window), 5);
  widths = measure_columns (window->message_list, &table_width);
  g_assert_cmpint (column_width (widths, "routes"), ==, 0);
  g_clear_pointer (&widths, g_array_unref);
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));

  /* A binding added in the sidebar puts its exchange's words first: the
   * menu shows workerType on its first page. */
  binding = pi_binding_new ("exchange/taskcluster-queue/v1/task-completed", "primary.#");
  g_assert_true (pi_bindings_sidebar_add (window->bindings_sidebar, binding));
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (popover)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_nonnull (find_menu_item (GTK_WIDGET (popover), "workerType"));
  g_assert_null (find_menu_item (GTK_WIDGET (popover), "organization"));
  g_assert_nonnull (find_menu_item (GTK_WIDGET (popover), "Other Routing Key Words"));
  /* To look at (the popover is a surface of its own). */
  if (g_getenv ("PI_SCREENSHOT_DIR") != NULL)
    pi_test_save_png (popover, g_getenv ("PI_SCREENSHOT_DIR"), "columns-menu.png");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));

  pi_test_window_destroy (window);
}

/* The Columns button is there while the table is: not over the status
 * pages of an empty window, nor over the details that cover the table in
 * a narrow window; back on the table, it is back. */
static void
test_columns_button_with_table (void)
{
  PiWindow *window = window_with_messages (1024, 768, 0);
  GMenuModel *menu = pi_message_list_get_columns_menu (window->message_list);
  GtkWidget *button = pi_test_find_menu_button (GTK_WIDGET (window), menu);
  GtkColumnView *view = pi_message_list_get_column_view (window->message_list);
  g_autoptr(GPtrArray) batch = fixture_batch_new (0, 20, NULL);

  /* Nothing received: a status page, and no table to choose columns of. */
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), !=, "messages");
  g_assert_false (gtk_widget_get_mapped (button));

  pi_message_list_append (window->message_list, batch);
  WAIT_UNTIL (g_strcmp0 (gtk_stack_get_visible_child_name (window->main_stack), "messages") == 0, 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  g_assert_true (gtk_widget_get_mapped (button));

  /* At 700 px a message's details are a page over the table. */
  gtk_window_set_default_size (GTK_WINDOW (window), 700, 768);
  WAIT_UNTIL (adw_overlay_split_view_get_collapsed (window->details_split), 5);
  gtk_selection_model_select_item (gtk_column_view_get_model (view), 3, TRUE);
  WAIT_UNTIL (adw_overlay_split_view_get_show_sidebar (window->details_split), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->back_button)));
  g_assert_false (gtk_widget_get_mapped (button));

  /* Back to the table: the button too. */
  gtk_widget_activate (GTK_WIDGET (window->back_button));
  WAIT_UNTIL (!adw_overlay_split_view_get_show_sidebar (window->details_split), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  g_assert_true (gtk_widget_get_mapped (button));

  pi_test_window_destroy (window);
}

/* Selecting a row near the newest at 1400 px opens the details beside the
 * list; messages keep coming: the row stays in sight, clear of the
 * "new messages" pill. */
static void
test_selection_beside_details (void)
{
  PiWindow *window = window_with_messages (1400, 900, 300);
  GtkColumnView *view = pi_message_list_get_column_view (window->message_list);
  GtkWidget *scroller = gtk_widget_get_ancestor (GTK_WIDGET (view), GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *pill = pi_message_list_get_new_messages_button (window->message_list);
  GtkWidget *list_view = pi_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW);
  graphene_rect_t row_box = { 0 }, view_box, pill_box;
  gboolean found = FALSE;

  /* One message every few frames, as live traffic comes, while the
   * details slide in. */
  gtk_selection_model_select_item (gtk_column_view_get_model (view), 297, TRUE);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GPtrArray) batch = fixture_batch_new (300 + i, 1, NULL);

      pi_message_list_append (window->message_list, batch);
      pi_test_wait_for_frames (GTK_WIDGET (window), 3);
    }
  g_assert_true (adw_overlay_split_view_get_show_sidebar (window->details_split));
  pi_test_wait_for_frames (GTK_WIDGET (window), 30);
  g_assert_true (pi_message_list_get_new_messages_shown (window->message_list));

  for (GtkWidget *row = gtk_widget_get_first_child (list_view); row != NULL; row = gtk_widget_get_next_sibling (row))
    if (gtk_widget_get_child_visible (row) && gtk_widget_get_mapped (row) &&
        (gtk_widget_get_state_flags (row) & GTK_STATE_FLAG_SELECTED) != 0)
      found = gtk_widget_compute_bounds (row, GTK_WIDGET (window), &row_box);
  g_assert_true (found);
  g_assert_true (gtk_widget_compute_bounds (scroller, GTK_WIDGET (window), &view_box));
  g_assert_true (gtk_widget_compute_bounds (pill, GTK_WIDGET (window), &pill_box));
  g_test_message ("selected row y %.0f-%.0f, rows' viewport y %.0f-%.0f, pill y %.0f-%.0f",
                  row_box.origin.y, row_box.origin.y + row_box.size.height,
                  view_box.origin.y, view_box.origin.y + view_box.size.height,
                  pill_box.origin.y, pill_box.origin.y + pill_box.size.height);
  g_assert_true (graphene_rect_contains_rect (&view_box, &row_box));
  g_assert_false (graphene_rect_intersection (&pill_box, &row_box, NULL));

  pi_test_window_destroy (window);
}

/* Resume returns to the newest rows (issue 12 point 6): what the session
 * held comes in, and the view follows again from wherever it was. */
static void
test_window_resume_follows (void)
{
  PiWindow *window = window_with_messages (1400, 900, 1000);
  GtkAdjustment *adj = pi_message_list_get_vadjustment (window->message_list);
  g_autoptr(GPtrArray) batch = fixture_batch_new (1000, 40, NULL);

  gtk_adjustment_set_value (adj, 0);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_false (pi_message_list_get_following (window->message_list));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.pause", NULL);
  g_assert_true (pi_session_get_paused (window->session));
  pi_session_add_messages (window->session, batch);
  g_assert_cmpuint (pi_session_get_n_held (window->session), ==, 40);
  g_assert_cmpuint (pi_test_n_stored (window), ==, 1000);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.pause", NULL);
  g_assert_false (pi_session_get_paused (window->session));
  g_assert_cmpuint (pi_test_n_stored (window), ==, 1040);
  pi_test_wait_for_frames (GTK_WIDGET (window), 5);
  g_assert_true (pi_message_list_get_following (window->message_list));
  g_assert_cmpfloat (gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj), >=,
                     gtk_adjustment_get_upper (adj) - 1);

  pi_test_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  pi_test_ui_init (&argc, &argv);
  app = pi_test_application_new ();

  g_test_add_func ("/pi/message-list/rows", test_rows);
  g_test_add_func ("/pi/message-list/failures-stand-out", test_failures_stand_out);
  g_test_add_func ("/pi/message-list/filter", test_filter);
  g_test_add_func ("/pi/message-list/pause-resume-clear", test_pause_resume);
  g_test_add_func ("/pi/message-list/selection", test_selection);
  g_test_add_func ("/pi/message-list/marker-rows", test_marker_rows);
  g_test_add_func ("/pi/message-list/dropped-row-counts", test_dropped_row_counts);
  g_test_add_func ("/pi/message-list/columns", test_columns);
  g_test_add_func ("/pi/message-list/columns-menu-bound-words", test_columns_menu_bound_words);
  g_test_add_func ("/pi/message-list/widths", test_widths);
  g_test_add_func ("/pi/message-list/columns-button", test_columns_button);
  g_test_add_func ("/pi/message-list/columns-button-with-table", test_columns_button_with_table);
  g_test_add_func ("/pi/message-list/selection-beside-details", test_selection_beside_details);
  g_test_add_func ("/pi/message-list/window-resume-follows", test_window_resume_follows);

  status = g_test_run ();
  g_clear_object (&app);

  return status;
}
