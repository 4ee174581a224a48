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
#include "pi-tail-model.h"
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
  g_assert_cmpstr (row->cells[5], ==, "No");

  row = g_ptr_array_index (rows, 2);
  g_assert_cmpstr (row->cells[0], ==, "2");
  g_assert_cmpstr (row->cells[2], ==, "task-completed");

  /* The gap marker is a row of its own, saying what happened. */
  row = g_ptr_array_index (rows, 3);
  g_assert_cmpstr (row->cells[0], ==, "");
  g_assert_cmpstr (row->cells[3], ==, "Connection lost — messages may be missing here");
  g_assert_nonnull (strstr (row->classes[3], "warning"));
  g_assert_cmpstr (row->cells[5], ==, "");

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

static gboolean
at_bottom (GtkAdjustment *adj)
{
  return gtk_adjustment_get_value (adj) >=
         gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) - 1;
}

static void
test_follow (void)
{
  Fixture f = { 0 };
  GtkAdjustment *adj;
  double value;

  fixture_setup (&f, 1000);
  adj = pi_message_list_get_vadjustment (f.list);

  append_range (&f, 0, 100, NULL);
  wait_for_paints (&f, 3);
  /* Following shows the newest rows, more than fit: room to scroll up. */
  g_assert_cmpfloat (gtk_adjustment_get_upper (adj), >, gtk_adjustment_get_page_size (adj) + 100);
  g_assert_true (at_bottom (adj));

  /* More rows: still at the bottom. */
  for (guint i = 0; i < 5; i++)
    {
      append_range (&f, 100 + i * 20, 20, NULL);
      wait_for_paints (&f, 2);
      g_assert_true (at_bottom (adj));
    }

  /* The user scrolls up: the view stays where they put it. */
  gtk_adjustment_set_value (adj, 200);
  wait_for_paints (&f, 2);
  g_assert_false (pi_message_list_get_following (f.list));
  value = gtk_adjustment_get_value (adj);
  append_range (&f, 200, 50, NULL);
  wait_for_paints (&f, 3);
  g_assert_false (at_bottom (adj));
  g_assert_cmpfloat (fabs (gtk_adjustment_get_value (adj) - value), <, 1);

  /* Back at the bottom: following again. */
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  wait_for_paints (&f, 2);
  g_assert_true (pi_message_list_get_following (f.list));
  append_range (&f, 250, 50, NULL);
  wait_for_paints (&f, 3);
  g_assert_true (at_bottom (adj));

  /* A full ring: the count stays the same while rows move up. */
  append_range (&f, 300, 800, NULL);
  wait_for_paints (&f, 3);
  for (guint i = 0; i < 3; i++)
    {
      append_range (&f, 1100 + i * 30, 30, NULL);
      wait_for_paints (&f, 2);
      g_assert_true (at_bottom (adj));
    }

  /* With "follow" off, new rows do not move the view. */
  pi_message_list_set_follow (f.list, FALSE);
  gtk_adjustment_set_value (adj, 100);
  wait_for_paints (&f, 2);
  value = gtk_adjustment_get_value (adj);
  pi_message_list_clear (f.list);
  append_range (&f, 2000, 300, NULL);
  wait_for_paints (&f, 3);
  g_assert_false (at_bottom (adj));

  /* Turning it on jumps to the newest. */
  pi_message_list_set_follow (f.list, TRUE);
  wait_for_paints (&f, 2);
  g_assert_true (at_bottom (adj));
  (void)value;

  fixture_teardown (&f);
}

static void
spin_msec (guint msec)
{
  gint64 until = g_get_monotonic_time () + msec * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

/* Runs the main loop for @msec, then until two more frames were painted:
 * while following a busy list, rows move at most every 80 ms. */
static void
wait_msec (Fixture *f,
           guint    msec)
{
  spin_msec (msec);
  wait_for_paints (f, 2);
}

/* The sequence numbers of the rows inside the visible part of the table,
 * top to bottom. */
static GArray *
visible_sequences (Fixture *f)
{
  GtkWidget *list_view = pi_test_find_descendant (GTK_WIDGET (pi_message_list_get_column_view (f->list)),
                                                  GTK_TYPE_LIST_VIEW);
  GArray *seqs = g_array_new (FALSE, FALSE, sizeof (guint64));
  int height = gtk_widget_get_height (list_view);
  GPtrArray *rows = g_ptr_array_new ();

  for (GtkWidget *row = gtk_widget_get_first_child (list_view);
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      graphene_rect_t bounds;

      if (!gtk_widget_get_child_visible (row) || !gtk_widget_get_mapped (row) ||
          !gtk_widget_compute_bounds (row, list_view, &bounds) ||
          bounds.origin.y + bounds.size.height <= 0 || bounds.origin.y >= height)
        continue;

      g_ptr_array_add (rows, row);
    }

  /* Children are not kept in row order: sort by where they are drawn. */
  for (guint i = 0; i < rows->len; i++)
    for (guint j = i + 1; j < rows->len; j++)
      {
        graphene_rect_t a, b;

        g_assert_true (gtk_widget_compute_bounds (rows->pdata[i], list_view, &a));
        g_assert_true (gtk_widget_compute_bounds (rows->pdata[j], list_view, &b));
        if (b.origin.y < a.origin.y)
          {
            gpointer tmp = rows->pdata[i];

            rows->pdata[i] = rows->pdata[j];
            rows->pdata[j] = tmp;
          }
      }

  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *text = pi_test_cell_text_widget (gtk_widget_get_first_child (rows->pdata[i]));
      guint64 seq;

      g_assert_nonnull (text);
      seq = g_ascii_strtoull (pi_test_cell_text (text), NULL, 10);
      g_array_append_val (seqs, seq);
    }

  g_ptr_array_unref (rows);
  return seqs;
}

static guint64
last_visible (Fixture *f)
{
  g_autoptr(GArray) seqs = visible_sequences (f);

  g_assert_cmpuint (seqs->len, >, 0);
  return g_array_index (seqs, guint64, seqs->len - 1);
}

static guint64
first_visible (Fixture *f)
{
  g_autoptr(GArray) seqs = visible_sequences (f);

  g_assert_cmpuint (seqs->len, >, 0);
  return g_array_index (seqs, guint64, 0);
}

/* Following a long list shows its newest rows with a fixed set of row
 * widgets; scrolling up or selecting shows the whole list at the same
 * place, and every row can be reached. */
static void
test_tail (void)
{
  Fixture f = { 0 };
  GtkColumnView *view;
  GtkAdjustment *adj;
  GListModel *shown;
  GtkWidget *list_view;
  g_autoptr(GPtrArray) widgets = g_ptr_array_new ();
  guint64 top;
  guint n_rows;
  guint i;

  fixture_setup (&f, 5000);
  view = pi_message_list_get_column_view (f.list);
  adj = pi_message_list_get_vadjustment (f.list);
  shown = G_LIST_MODEL (gtk_column_view_get_model (view));
  list_view = pi_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW);

  append_range (&f, 0, 1000, NULL);
  wait_msec (&f, 100);
  g_assert_true (pi_message_list_get_following (f.list));
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 1000);
  n_rows = g_list_model_get_n_items (shown);
  g_assert_cmpuint (n_rows, <, 1000);
  g_assert_cmpuint (last_visible (&f), ==, 999);

  /* Batches move the rows through the same widgets. */
  for (GtkWidget *w = gtk_widget_get_first_child (list_view); w; w = gtk_widget_get_next_sibling (w))
    g_ptr_array_add (widgets, w);
  for (i = 0; i < 5; i++)
    {
      append_range (&f, 1000 + i * 300, 300, NULL);
      wait_msec (&f, 100);
      g_assert_cmpuint (last_visible (&f), ==, 1000 + i * 300 + 299);
    }
  i = 0;
  for (GtkWidget *w = gtk_widget_get_first_child (list_view); w; w = gtk_widget_get_next_sibling (w), i++)
    g_assert_true (i < widgets->len && widgets->pdata[i] == w);
  g_assert_cmpuint (i, ==, widgets->len);

  /* The user scrolls up a little: the whole list, the same rows on screen. */
  gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) - 100);
  wait_for_paints (&f, 1);
  top = first_visible (&f);
  wait_for_paints (&f, 3);
  g_assert_false (pi_message_list_get_following (f.list));
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 2500);
  g_assert_cmpint ((gint64)first_visible (&f) - (gint64)top, <=, 1);
  g_assert_cmpint ((gint64)top - (gint64)first_visible (&f), <=, 1);

  /* ... and can reach the oldest row. */
  gtk_adjustment_set_value (adj, 0);
  wait_for_paints (&f, 3);
  g_assert_cmpuint (first_visible (&f), ==, 0);

  /* Back at the bottom: following the newest again. */
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  wait_for_paints (&f, 3);
  g_assert_true (pi_message_list_get_following (f.list));
  append_range (&f, 2500, 100, NULL);
  wait_msec (&f, 100);
  g_assert_true (pi_message_list_get_following (f.list));
  g_assert_cmpuint (g_list_model_get_n_items (shown), <, 2600);
  g_assert_cmpuint (last_visible (&f), ==, 2599);

  /* Scrolling up just as a batch arrives is the user's doing, not layout. */
  append_range (&f, 2600, 50, NULL);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) - 60);
  wait_for_paints (&f, 3);
  g_assert_false (pi_message_list_get_following (f.list));
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 2650);
  g_assert_cmpuint (last_visible (&f), <, 2649);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  wait_for_paints (&f, 3);
  g_assert_true (pi_message_list_get_following (f.list));
  wait_msec (&f, 100);
  g_assert_cmpuint (last_visible (&f), ==, 2649);

  /* Picking a row stops following and keeps it selected in the whole list. */
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (shown), g_list_model_get_n_items (shown) - 2, TRUE);
  g_assert_cmpuint (pi_message_get_sequence (pi_message_list_get_selected_message (f.list)), ==, 2648);
  g_assert_false (pi_message_list_get_following (f.list));
  append_range (&f, 2650, 100, NULL);
  wait_for_paints (&f, 3);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 2750);
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (shown)), ==, 2648);
  g_assert_cmpuint (pi_message_get_sequence (pi_message_list_get_selected_message (f.list)), ==, 2648);
  g_assert_cmpuint (last_visible (&f), <, 2700);

  fixture_teardown (&f);
}

static guint64
tail_row_sequence (PiTailModel *tail,
                   guint        i)
{
  g_autoptr(PiTailRow) row = g_list_model_get_item (G_LIST_MODEL (tail), i);

  return pi_message_get_sequence (pi_tail_row_get_message (row));
}

static void
count_changed (guint *counter)
{
  (*counter)++;
}

/* The tail model on its own: the newest rows, moved in place. */
static void
test_tail_model (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (10);
  PiTailModel *tail = pi_tail_model_new (4);
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(PiTailRow) first = NULL;
  guint changed = 0;

  pi_tail_model_set_model (tail, G_LIST_MODEL (store));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tail)), ==, 0);

  batch = fixture_batch_new (0, 3, NULL);
  pi_message_store_append (store, (PiMessage **)batch->pdata, batch->len);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tail)), ==, 3);
  g_assert_cmpuint (tail_row_sequence (tail, 0), ==, 0);
  g_assert_cmpuint (pi_tail_model_get_offset (tail), ==, 0);

  /* Full: the same row objects show newer messages, at most every 80 ms. */
  first = g_list_model_get_item (G_LIST_MODEL (tail), 0);
  g_signal_connect_swapped (first, "changed", G_CALLBACK (count_changed), &changed);
  g_clear_pointer (&batch, g_ptr_array_unref);
  batch = fixture_batch_new (3, 9, NULL);
  pi_message_store_append (store, (PiMessage **)batch->pdata, batch->len);
  spin_msec (100);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tail)), ==, 4);
  g_assert_cmpuint (pi_tail_model_get_offset (tail), ==, 6);
  g_assert_cmpuint (tail_row_sequence (tail, 0), ==, 8);
  g_assert_cmpuint (tail_row_sequence (tail, 3), ==, 11);
  g_assert_true (g_list_model_get_item (G_LIST_MODEL (tail), 0) == (gpointer)first);
  g_object_unref (first);
  g_assert_cmpuint (changed, >, 0);

  /* Frozen: newer messages leave the rows alone; the oldest leaving moves
   * the offset only. Thawed: the newest at once. */
  pi_tail_model_set_frozen (tail, TRUE);
  g_clear_pointer (&batch, g_ptr_array_unref);
  batch = fixture_batch_new (12, 2, NULL);
  pi_message_store_append (store, (PiMessage **)batch->pdata, batch->len);
  spin_msec (100);
  g_assert_cmpuint (tail_row_sequence (tail, 3), ==, 11);
  g_assert_cmpuint (pi_tail_model_get_offset (tail), ==, 4);
  pi_tail_model_set_frozen (tail, FALSE);
  g_assert_cmpuint (tail_row_sequence (tail, 3), ==, 13);
  g_assert_cmpuint (pi_tail_model_get_offset (tail), ==, 6);

  /* Cleared: no rows, at once. */
  pi_message_store_clear (store);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tail)), ==, 0);

  g_assert_finalize_object (tail);
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

int
main (int   argc,
      char *argv[])
{
  pi_test_ui_init (&argc, &argv);

  g_test_add_func ("/pi/message-list/rows", test_rows);
  g_test_add_func ("/pi/message-list/filter", test_filter);
  g_test_add_func ("/pi/message-list/pause-resume-clear", test_pause_resume);
  g_test_add_func ("/pi/message-list/follow", test_follow);
  g_test_add_func ("/pi/message-list/selection", test_selection);
  g_test_add_func ("/pi/message-list/tail", test_tail);
  g_test_add_func ("/pi/message-list/tail-model", test_tail_model);

  return g_test_run ();
}
