/* test-message-follow.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Following the newest messages, as the user meets it: the newest row at
 * the bottom with no empty space, scrolling up leaves it at once and
 * reaches row 1, the "N new messages" pill brings you back, and so do
 * Resume and closing the filter (unless a row is selected: it stays in
 * sight). */

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

static void
wait_for_paints (Fixture *f,
                 guint    n)
{
  pi_test_wait_for_rows (f->list);
  pi_test_wait_for_frames (GTK_WIDGET (f->window), n);
}

static void
fixture_setup (Fixture *f,
               guint    capacity,
               int      width,
               int      height)
{
  f->store = pi_message_store_new (capacity);
  f->list = PI_MESSAGE_LIST (pi_message_list_new ());
  pi_message_list_set_store (f->list, f->store);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, width, height);
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
append_range (Fixture *f,
              guint64  first,
              guint    n)
{
  g_autoptr(GPtrArray) batch = fixture_batch_new (first, n, NULL);

  pi_message_list_append (f->list, batch);
}

typedef struct
{
  guint64 seq;
  double  top;
  double  bottom;
} VisibleRow;

/* The rows drawn inside the table's viewport, top to bottom, with their
 * sequence numbers and where they are. */
static GArray *
visible_rows (Fixture *f,
              double  *viewport_height)
{
  GtkWidget *list_view = pi_test_find_descendant (GTK_WIDGET (pi_message_list_get_column_view (f->list)),
                                                  GTK_TYPE_LIST_VIEW);
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (VisibleRow));
  int height = gtk_widget_get_height (list_view);

  for (GtkWidget *row = gtk_widget_get_first_child (list_view);
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      graphene_rect_t bounds;
      GtkWidget *text;
      VisibleRow v;

      if (!gtk_widget_get_child_visible (row) || !gtk_widget_get_mapped (row) ||
          !gtk_widget_compute_bounds (row, list_view, &bounds) ||
          bounds.origin.y + bounds.size.height <= 0 || bounds.origin.y >= height)
        continue;

      text = pi_test_cell_text_widget (gtk_widget_get_first_child (row));
      g_assert_nonnull (text);
      v.seq = g_ascii_strtoull (pi_test_cell_text (text), NULL, 10);
      v.top = bounds.origin.y;
      v.bottom = bounds.origin.y + bounds.size.height;
      g_array_append_val (rows, v);
    }

  /* Children are not kept in row order: sort by where they are drawn. */
  for (guint i = 0; i < rows->len; i++)
    for (guint j = i + 1; j < rows->len; j++)
      if (g_array_index (rows, VisibleRow, j).top < g_array_index (rows, VisibleRow, i).top)
        {
          VisibleRow tmp = g_array_index (rows, VisibleRow, i);

          g_array_index (rows, VisibleRow, i) = g_array_index (rows, VisibleRow, j);
          g_array_index (rows, VisibleRow, j) = tmp;
        }

  if (viewport_height != NULL)
    *viewport_height = height;

  return rows;
}

static guint64
first_visible (Fixture *f)
{
  g_autoptr(GArray) rows = visible_rows (f, NULL);

  g_assert_cmpuint (rows->len, >, 0);
  return g_array_index (rows, VisibleRow, 0).seq;
}

static guint64
last_visible (Fixture *f)
{
  g_autoptr(GArray) rows = visible_rows (f, NULL);

  g_assert_cmpuint (rows->len, >, 0);
  return g_array_index (rows, VisibleRow, rows->len - 1).seq;
}

/* The newest row is the last one drawn, at the bottom edge, and rows fill
 * the viewport above it: no row hides behind empty space. */
static void
assert_newest_at_bottom (Fixture *f,
                         guint64  newest)
{
  double height;
  g_autoptr(GArray) rows = visible_rows (f, &height);
  VisibleRow *last;

  g_assert_cmpuint (rows->len, >, 0);
  last = &g_array_index (rows, VisibleRow, rows->len - 1);
  g_assert_cmpuint (last->seq, ==, newest);
  g_assert_cmpfloat (last->bottom, <=, height + 1);
  g_assert_cmpfloat (last->bottom, >=, height - 1);
  /* Enough rows to fill it: the first one starts at or above the top. */
  g_assert_cmpfloat (g_array_index (rows, VisibleRow, 0).top, <=, 0);
}

static const char *
pill_text (Fixture *f)
{
  GtkWidget *button = pi_message_list_get_new_messages_button (f->list);
  GtkWidget *label = pi_test_find_descendant (button, GTK_TYPE_LABEL);

  return gtk_label_get_label (GTK_LABEL (label));
}

/* Issue 12 point 1: the view is full of rows, the newest at the bottom,
 * batch after batch, in a full ring and after a resize. */
static void
test_no_empty_space (void)
{
  Fixture f = { 0 };
  guint64 next = 0;
  static const guint sizes[] = { 1, 3, 40, 7, 250, 2, 600, 31 };

  fixture_setup (&f, 1000, 1100, 500);

  append_range (&f, next, 100);
  next += 100;
  wait_for_paints (&f, 3);
  assert_newest_at_bottom (&f, next - 1);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      append_range (&f, next, sizes[i]);
      next += sizes[i];
      wait_for_paints (&f, 3);
      g_assert_true (pi_message_list_get_following (f.list));
      assert_newest_at_bottom (&f, next - 1);
    }

  /* The ring is full now: rows leave at the top as they come. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.store)), ==, 1000);
  append_range (&f, next, 50);
  next += 50;
  wait_for_paints (&f, 3);
  assert_newest_at_bottom (&f, next - 1);

  /* A taller window shows more rows, still down to the newest. */
  gtk_window_set_default_size (f.window, 1100, 800);
  wait_for_paints (&f, 4);
  assert_newest_at_bottom (&f, next - 1);
  g_assert_true (pi_message_list_get_following (f.list));

  fixture_teardown (&f);
}

typedef struct
{
  GtkWidget *list_view;
  guint      n_rows;     /* row widgets after the last paint */
  guint      most_made;  /* the most made in one frame */
  guint      n_frames;   /* frames that made rows */
} RowsMade;

static guint
count_row_widgets (GtkWidget *list_view)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (list_view);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_visible (child) && gtk_widget_get_first_child (child) != NULL)
      n++;

  return n;
}

static void
count_rows_made_cb (GdkFrameClock *clock,
                    RowsMade      *r)
{
  guint n = count_row_widgets (r->list_view);

  if (n > r->n_rows)
    {
      r->most_made = MAX (r->most_made, n - r->n_rows);
      r->n_frames++;
    }
  r->n_rows = n;
}

/* A burst into an empty table does not freeze the window while GTK makes
 * its rows (up to 200 of them, whatever the height): they come a few in
 * each frame, and then the newest row is at the bottom as always. Before,
 * one frame made them all (150-480 ms in bench-window). */
static void
test_burst_rows_a_few_a_frame (void)
{
  Fixture f = { 0 };
  GtkWidget *list_view;
  GdkFrameClock *clock;
  RowsMade made = { 0 };
  gulong id;

  fixture_setup (&f, 5000, 1100, 500);
  list_view = pi_test_find_descendant (GTK_WIDGET (pi_message_list_get_column_view (f.list)),
                                       GTK_TYPE_LIST_VIEW);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (f.window));
  made.list_view = list_view;
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (count_rows_made_cb), &made);

  append_range (&f, 0, 3000);
  wait_for_paints (&f, 3);
  g_signal_handler_disconnect (clock, id);

  g_assert_cmpuint (made.n_rows, >=, 150);
  g_assert_cmpuint (made.most_made, >, 0);
  g_assert_cmpuint (made.most_made, <=, 16);
  g_assert_cmpuint (made.n_frames, >=, made.n_rows / 16);
  assert_newest_at_bottom (&f, 2999);
  g_assert_true (pi_message_list_get_following (f.list));
  g_assert_false (pi_message_list_get_new_messages_shown (f.list));

  fixture_teardown (&f);
}

/* While the first rows of a burst are on their way, the oldest messages
 * leave the store (it is full): the table's rows are still the first rows
 * of the list, in the same places, and then it has them all, the newest at
 * the bottom. */
static void
test_burst_rows_then_eviction (void)
{
  Fixture f = { 0 };
  GListModel *shown;
  GListModel *table;
  guint n;

  fixture_setup (&f, 1000, 1100, 500);
  shown = pi_message_list_get_shown (f.list);
  table = G_LIST_MODEL (gtk_column_view_get_model (pi_message_list_get_column_view (f.list)));

  append_range (&f, 0, 990);
  g_assert_cmpuint (g_list_model_get_n_items (table), <, 990);

  /* Ten leave at the front; the table keeps as many rows as it had. */
  append_range (&f, 990, 20);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 1000);
  n = g_list_model_get_n_items (table);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, 1000);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) a = g_list_model_get_item (shown, i);
      g_autoptr(GObject) b = g_list_model_get_item (table, i);

      g_assert_true (a == b);
    }

  wait_for_paints (&f, 3);
  g_assert_cmpuint (g_list_model_get_n_items (table), ==, 1000);
  assert_newest_at_bottom (&f, 1009);

  fixture_teardown (&f);
}

/* Scrolling up leaves the newest rows at once and reaches row 1; the pill
 * counts what arrives meanwhile and brings you back. */
static void
test_scroll_up_and_back (void)
{
  Fixture f = { 0 };
  GtkAdjustment *adj;
  guint64 top;

  fixture_setup (&f, 5000, 1100, 500);
  adj = pi_message_list_get_vadjustment (f.list);

  append_range (&f, 0, 2000);
  wait_for_paints (&f, 3);
  g_assert_true (pi_message_list_get_following (f.list));
  g_assert_false (pi_message_list_get_new_messages_shown (f.list));
  assert_newest_at_bottom (&f, 1999);

  /* A little way up: no longer following, the pill offers the way back. */
  gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) - 200);
  g_assert_false (pi_message_list_get_following (f.list));
  wait_for_paints (&f, 2);
  g_assert_true (pi_message_list_get_new_messages_shown (f.list));
  top = first_visible (&f);
  g_assert_cmpuint (last_visible (&f), <, 1999);

  /* New messages do not move the view; the pill counts them. */
  append_range (&f, 2000, 30);
  wait_for_paints (&f, 3);
  append_range (&f, 2030, 12);
  wait_for_paints (&f, 3);
  g_assert_false (pi_message_list_get_following (f.list));
  g_assert_cmpint (ABS ((gint64) first_visible (&f) - (gint64) top), <=, 1);
  g_assert_cmpstr (pill_text (&f), ==, "42 new messages");

  /* All the way up: row 1 (the oldest, number 0) is there. */
  gtk_adjustment_set_value (adj, 0);
  wait_for_paints (&f, 3);
  g_assert_cmpuint (first_visible (&f), ==, 0);
  g_assert_false (pi_message_list_get_following (f.list));

  /* The pill: back to the newest, following again. */
  g_signal_emit_by_name (pi_message_list_get_new_messages_button (f.list), "clicked");
  wait_for_paints (&f, 3);
  g_assert_true (pi_message_list_get_following (f.list));
  g_assert_false (pi_message_list_get_new_messages_shown (f.list));
  assert_newest_at_bottom (&f, 2041);
  append_range (&f, 2042, 5);
  wait_for_paints (&f, 3);
  assert_newest_at_bottom (&f, 2046);

  /* Scrolling back down to the bottom by hand follows again too. */
  gtk_adjustment_set_value (adj, 100);
  wait_for_paints (&f, 2);
  g_assert_false (pi_message_list_get_following (f.list));
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  wait_for_paints (&f, 2);
  g_assert_true (pi_message_list_get_following (f.list));

  /* Picking a row holds the view still. */
  gtk_selection_model_select_item (gtk_column_view_get_model (pi_message_list_get_column_view (f.list)),
                                   2040, TRUE);
  g_assert_false (pi_message_list_get_following (f.list));
  append_range (&f, 2047, 100);
  wait_for_paints (&f, 3);
  g_assert_cmpuint (last_visible (&f), <, 2100);
  g_assert_cmpstr (pill_text (&f), ==, "100 new messages");

  fixture_teardown (&f);
}

/* The wheel's own scroll controller on the scrolled window: ours, in the
 * capture phase, is the one that stops following. */
static GtkEventController *
capture_scroll_controller (Fixture *f)
{
  GtkWidget *scroller = gtk_widget_get_parent (GTK_WIDGET (pi_message_list_get_column_view (f->list)));
  g_autoptr(GListModel) controllers = NULL;

  g_assert_true (GTK_IS_SCROLLED_WINDOW (scroller));
  controllers = gtk_widget_observe_controllers (scroller);
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_SCROLL (controller) &&
          gtk_event_controller_get_propagation_phase (controller) == GTK_PHASE_CAPTURE)
        return controller;
    }
  g_assert_not_reached ();
}

/* The wheel moving up while following, as GTK delivers it: our controller
 * first, then the scrolled window moves the view (by @per_notch each
 * notch); after each notch @batches of 10 messages arrive, two paints
 * apart. The view must stay where the wheel took it, within @margin (the
 * pill's strip may take its height off the bottom), and the pill count
 * what arrived. */
static void
wheel_up (guint       notches,
          double      per_notch,
          guint       batches,
          double      margin,
          const char *pill)
{
  Fixture f = { 0 };
  GtkAdjustment *adj;
  GtkEventController *scroll;
  gboolean handled = FALSE;
  guint appended = 2000;
  double bottom, target;

  fixture_setup (&f, 5000, 1100, 500);
  adj = pi_message_list_get_vadjustment (f.list);
  scroll = capture_scroll_controller (&f);

  append_range (&f, 0, appended);
  wait_for_paints (&f, 3);
  g_assert_true (pi_message_list_get_following (f.list));
  bottom = gtk_adjustment_get_value (adj);

  for (guint notch = 1; notch <= notches; notch++)
    {
      g_signal_emit_by_name (scroll, "scroll", 0.0, -1.0, &handled);
      gtk_adjustment_set_value (adj, bottom - per_notch * notch);
      /* Messages keep coming while the pill's strip grows. */
      for (guint i = 0; i < batches; i++, appended += 10)
        {
          append_range (&f, appended, 10);
          wait_for_paints (&f, 2);
        }
    }
  wait_for_paints (&f, 20);

  g_assert_false (pi_message_list_get_following (f.list));
  g_assert_true (pi_message_list_get_new_messages_shown (f.list));
  g_assert_cmpstr (pill_text (&f), ==, pill);
  target = bottom - per_notch * notches;
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), <=, target + margin);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), >=, target - margin);

  fixture_teardown (&f);
}

/* The pill that appears must not pull the view back to where following
 * left it: that fought the scrolled window in every layout, until GDK gave
 * up laying out the window ("layout continuously requested") and it
 * stopped painting. */
static void
test_wheel_up_stays (void)
{
  wheel_up (3, 150.0, 1, 60.0, "30 new messages");
}

/* One notch, the view left between two pixels, and the pill appearing
 * only afterwards, as messages arrive (not while the wheel stopped
 * following: the view was still at the bottom then). Holding the rows for
 * the pill's strip at that fractional place fought the list view, which
 * lays its rows out on whole pixels, in every layout pass: GDK gave up
 * laying the window out ("layout continuously requested", a warning that
 * fails this test) and the window stopped painting until resized. */
static void
test_wheel_once_then_pill (void)
{
  wheel_up (1, 30.2, 5, 2.0, "50 new messages");
}

/* Closing the filter returns to the newest rows (Resume does too: see
 * /pi/message-list/window-resume-follows, since the session holds what
 * arrives while paused). */
static void
test_resume_and_filter_return (void)
{
  Fixture f = { 0 };
  GtkAdjustment *adj;

  fixture_setup (&f, 5000, 1100, 500);
  adj = pi_message_list_get_vadjustment (f.list);

  append_range (&f, 0, 1000);
  wait_for_paints (&f, 3);
  gtk_adjustment_set_value (adj, 0);
  wait_for_paints (&f, 2);
  g_assert_false (pi_message_list_get_following (f.list));

  append_range (&f, 1000, 40);
  pi_message_list_follow (f.list);
  wait_for_paints (&f, 3);
  g_assert_true (pi_message_list_get_following (f.list));
  assert_newest_at_bottom (&f, 1039);

  pi_message_list_set_filter_text (f.list, "task-completed");
  wait_for_paints (&f, 3);
  gtk_adjustment_set_value (adj, 0);
  wait_for_paints (&f, 2);
  g_assert_false (pi_message_list_get_following (f.list));
  pi_message_list_set_search_mode (f.list, FALSE);
  wait_for_paints (&f, 3);
  g_assert_true (pi_message_list_get_following (f.list));
  assert_newest_at_bottom (&f, 1039);

  fixture_teardown (&f);
}

/* The selected row's bounds in the window, if it is drawn. */
static gboolean
selected_row_bounds (Fixture         *f,
                     graphene_rect_t *bounds)
{
  GtkWidget *list_view = pi_test_find_descendant (GTK_WIDGET (pi_message_list_get_column_view (f->list)),
                                                  GTK_TYPE_LIST_VIEW);

  for (GtkWidget *row = gtk_widget_get_first_child (list_view);
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (gtk_widget_get_child_visible (row) && gtk_widget_get_mapped (row) &&
        (gtk_widget_get_state_flags (row) & GTK_STATE_FLAG_SELECTED) != 0)
      return gtk_widget_compute_bounds (row, GTK_WIDGET (f->window), bounds);

  return FALSE;
}

/* The part of the table's rows the user can see, in the window. */
static void
viewport_bounds (Fixture         *f,
                 graphene_rect_t *bounds)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (GTK_WIDGET (pi_message_list_get_column_view (f->list)),
                                                 GTK_TYPE_SCROLLED_WINDOW);

  g_assert_true (gtk_widget_compute_bounds (scroller, GTK_WIDGET (f->window), bounds));
}

/* Issue 12: the "N new messages" pill never covers the selected row, and
 * a selected row in sight stays in sight when the pill appears. */
static void
test_pill_clear_of_selection (void)
{
  Fixture f = { 0 };
  GtkSelectionModel *selection;
  GtkWidget *pill;
  graphene_rect_t pill_box, row_box, view_box;
  double bottom;

  fixture_setup (&f, 5000, 1100, 500);
  selection = gtk_column_view_get_model (pi_message_list_get_column_view (f.list));
  pill = pi_message_list_get_new_messages_button (f.list);

  append_range (&f, 0, 300);
  wait_for_paints (&f, 3);
  assert_newest_at_bottom (&f, 299);

  /* The newest row, at the very bottom where the pill appears, selected;
   * messages keep coming: the pill shows, the row stays in sight, above
   * it. */
  gtk_selection_model_select_item (selection, 299, TRUE);
  wait_for_paints (&f, 2);
  g_assert_true (selected_row_bounds (&f, &row_box));
  bottom = row_box.origin.y + row_box.size.height;
  append_range (&f, 300, 5);
  wait_for_paints (&f, 20);
  g_assert_true (pi_message_list_get_new_messages_shown (f.list));
  g_assert_cmpstr (pill_text (&f), ==, "5 new messages");
  g_assert_true (gtk_widget_compute_bounds (pill, GTK_WIDGET (f.window), &pill_box));
  g_assert_true (selected_row_bounds (&f, &row_box));
  viewport_bounds (&f, &view_box);
  g_test_message ("pill y %.0f-%.0f, selected row y %.0f-%.0f (was bottom %.0f), rows' viewport y %.0f-%.0f",
                  pill_box.origin.y, pill_box.origin.y + pill_box.size.height,
                  row_box.origin.y, row_box.origin.y + row_box.size.height, bottom,
                  view_box.origin.y, view_box.origin.y + view_box.size.height);
  g_assert_false (graphene_rect_intersection (&pill_box, &row_box, NULL));
  g_assert_true (graphene_rect_contains_rect (&view_box, &row_box));
  /* The pill is not over any row at all. */
  g_assert_cmpfloat (pill_box.origin.y, >=, view_box.origin.y + view_box.size.height);
  g_assert_false (pi_message_list_get_following (f.list));

  /* Scrolled up by the user, then picking the row just above the pill. */
  gtk_adjustment_set_value (pi_message_list_get_vadjustment (f.list),
                            gtk_adjustment_get_value (pi_message_list_get_vadjustment (f.list)) - 300);
  wait_for_paints (&f, 3);
  gtk_selection_model_select_item (selection, last_visible (&f), TRUE);
  wait_for_paints (&f, 3);
  g_assert_true (pi_message_list_get_new_messages_shown (f.list));
  g_assert_true (gtk_widget_compute_bounds (pill, GTK_WIDGET (f.window), &pill_box));
  g_assert_true (selected_row_bounds (&f, &row_box));
  viewport_bounds (&f, &view_box);
  /* What is drawn of the row (the last one may be cut by the view's edge). */
  g_assert_true (graphene_rect_intersection (&row_box, &view_box, &row_box));
  g_assert_false (graphene_rect_intersection (&pill_box, &row_box, NULL));

  /* The pill gone (back to the newest): the rows have the room again. */
  g_signal_emit_by_name (pill, "clicked");
  wait_for_paints (&f, 20);
  g_assert_false (pi_message_list_get_new_messages_shown (f.list));
  viewport_bounds (&f, &view_box);
  g_assert_cmpfloat (view_box.origin.y + view_box.size.height, >=,
                     gtk_widget_get_height (GTK_WIDGET (f.window)) - 1);
  assert_newest_at_bottom (&f, 304);

  fixture_teardown (&f);
}

/* The rows' viewport in the window: the part of the table under its
 * header where rows are drawn. */
static void
rows_viewport_bounds (Fixture         *f,
                      graphene_rect_t *bounds)
{
  GtkWidget *list_view = pi_test_find_descendant (GTK_WIDGET (pi_message_list_get_column_view (f->list)),
                                                  GTK_TYPE_LIST_VIEW);

  g_assert_true (gtk_widget_compute_bounds (list_view, GTK_WIDGET (f->window), bounds));
}

/* 1,000 messages, filtered, scrolled up to the first results and one of
 * them picked; returns the search entry. */
static GtkWidget *
filter_and_pick_far_up (Fixture *f)
{
  GtkSingleSelection *selection =
    GTK_SINGLE_SELECTION (gtk_column_view_get_model (pi_message_list_get_column_view (f->list)));
  GtkAdjustment *adj = pi_message_list_get_vadjustment (f->list);

  append_range (f, 0, 1000);
  wait_for_paints (f, 3);
  assert_newest_at_bottom (f, 999);

  pi_message_list_set_filter_text (f->list, "task-completed");
  wait_for_paints (f, 3);
  g_assert_true (pi_message_list_get_search_mode (f->list));
  g_assert_cmpuint (pi_message_list_get_n_shown (f->list), <, 1000);
  gtk_adjustment_set_value (adj, 0);
  wait_for_paints (f, 2);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (selection), 1, TRUE);
  wait_for_paints (f, 2);

  return pi_test_find_descendant (GTK_WIDGET (f->list), GTK_TYPE_SEARCH_ENTRY);
}

/* Issue 12: a message picked among the filter's results, far up, stays
 * selected and in sight when the filter closes (Escape), among all the
 * messages again; the view does not jump to the newest rows. */
static void
test_filter_close_keeps_selection (void)
{
  Fixture f = { 0 };
  GtkSingleSelection *selection;
  GtkWidget *entry;
  PiMessage *picked;
  graphene_rect_t row_box, view_box;

  fixture_setup (&f, 5000, 1100, 500);
  selection = GTK_SINGLE_SELECTION (gtk_column_view_get_model (pi_message_list_get_column_view (f.list)));

  /* Filtered, up to the first result, and picked. */
  entry = filter_and_pick_far_up (&f);
  picked = pi_message_list_get_selected_message (f.list);
  g_assert_nonnull (picked);
  g_assert_cmpuint (pi_message_get_sequence (picked), <, 30);

  /* Escape in the search entry closes the filter. */
  g_signal_emit_by_name (entry, "stop-search");
  wait_for_paints (&f, 20);
  g_assert_false (pi_message_list_get_search_mode (f.list));
  g_assert_cmpuint (pi_message_list_get_n_shown (f.list), ==, 1000);

  /* Still selected, and drawn whole where the rows are seen. */
  g_assert_true (pi_message_list_get_selected_message (f.list) == picked);
  g_assert_true (gtk_single_selection_get_selected_item (selection) == (gpointer) picked);
  g_assert_true (selected_row_bounds (&f, &row_box));
  rows_viewport_bounds (&f, &view_box);
  g_test_message ("selected row y %.0f-%.0f, rows' viewport y %.0f-%.0f",
                  row_box.origin.y, row_box.origin.y + row_box.size.height,
                  view_box.origin.y, view_box.origin.y + view_box.size.height);
  g_assert_true (graphene_rect_contains_rect (&view_box, &row_box));
  g_assert_false (pi_message_list_get_following (f.list));
  /* The way back to the newest rows is offered. */
  g_assert_true (pi_message_list_get_new_messages_shown (f.list));

  /* Messages keep coming: the row stays where the user sees it. */
  append_range (&f, 1000, 20);
  wait_for_paints (&f, 10);
  g_assert_true (selected_row_bounds (&f, &row_box));
  g_assert_true (graphene_rect_contains_rect (&view_box, &row_box));

  fixture_teardown (&f);
}

/* Closing the filter, then opening it again at once (Escape, Ctrl+F):
 * bringing the picked row into sight stops there, and never takes the
 * focus from the search entry the user is typing into. */
static void
test_filter_reopen_keeps_focus (void)
{
  Fixture f = { 0 };
  GtkWidget *entry;
  GtkWidget *focus;
  GtkAdjustment *adj;

  fixture_setup (&f, 5000, 1100, 500);
  adj = pi_message_list_get_vadjustment (f.list);
  entry = filter_and_pick_far_up (&f);

  g_signal_emit_by_name (entry, "stop-search");
  pi_message_list_set_search_mode (f.list, TRUE);
  gtk_widget_grab_focus (entry);
  /* The view elsewhere (scrolled by the user, or not there yet): nothing
   * pulls it back to the row, nor the focus with it. */
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) / 2);
  wait_for_paints (&f, 40);

  g_assert_true (pi_message_list_get_search_mode (f.list));
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), >, gtk_adjustment_get_upper (adj) / 4);
  focus = gtk_root_get_focus (GTK_ROOT (f.window));
  g_assert_nonnull (focus);
  g_assert_true (focus == entry || gtk_widget_is_ancestor (focus, entry));

  fixture_teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  pi_test_ui_init (&argc, &argv);

  g_test_add_func ("/pi/message-follow/no-empty-space", test_no_empty_space);
  g_test_add_func ("/pi/message-follow/burst-rows-a-few-a-frame", test_burst_rows_a_few_a_frame);
  g_test_add_func ("/pi/message-follow/burst-rows-then-eviction", test_burst_rows_then_eviction);
  g_test_add_func ("/pi/message-follow/scroll-up-and-back", test_scroll_up_and_back);
  g_test_add_func ("/pi/message-follow/wheel-up-stays", test_wheel_up_stays);
  g_test_add_func ("/pi/message-follow/wheel-once-then-pill", test_wheel_once_then_pill);
  g_test_add_func ("/pi/message-follow/resume-and-filter", test_resume_and_filter_return);
  g_test_add_func ("/pi/message-follow/pill-clear-of-selection", test_pill_clear_of_selection);
  g_test_add_func ("/pi/message-follow/filter-close-keeps-selection", test_filter_close_keeps_selection);
  g_test_add_func ("/pi/message-follow/filter-reopen-keeps-focus", test_filter_reopen_keeps_focus);

  return g_test_run ();
}
