/* test-row-pacer.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* PiRowPacer as the table sees it: every change it announces leaves a copy
 * kept by applying them equal to the model, whose rows are always the
 * first rows of the model beneath; a burst comes 16 rows a frame; a change
 * among the rows shown goes through as it is, without taking the held rows
 * with it (the filter's steps rely on that: pi-row-steps.c). */

#include "config.h"

#include <adwaita.h>

#include "pi-row-pacer.h"
#include "pi-ui-test-util.h"

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct
{
  GtkWindow  *window;
  GListStore *store;
  PiRowPacer *pacer;
  GPtrArray  *mirror;      /* the rows, as the announced changes make them (pi_test_mirror_new) */
  GArray     *changes;     /* Change: those announced since the last mark() */
  guint       n_changes;
  gboolean    append_once; /* a handler changing the model beneath */
  guint       next;
} Fixture;

static void
append_items (Fixture *f,
              guint    position,
              guint    n)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("row %u", f->next++);

      g_ptr_array_add (items, gtk_string_object_new (name));
    }
  g_list_store_splice (f->store, position, 0, items->pdata, items->len);
}

static void
on_items_changed (Fixture    *f,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GListModel *model)
{
  g_array_append_val (f->changes, ((Change) { position, removed, added }));
  f->n_changes++;

  if (f->append_once)
    {
      f->append_once = FALSE;
      append_items (f, g_list_model_get_n_items (G_LIST_MODEL (f->store)), 7);
    }
}

static void
mark (Fixture *f)
{
  g_array_set_size (f->changes, 0);
}

/* The first change announced since mark(). */
static void
assert_first_change (Fixture *f,
                     guint    position,
                     guint    removed,
                     guint    added)
{
  Change *first;

  g_assert_cmpuint (f->changes->len, >, 0);
  first = &g_array_index (f->changes, Change, 0);
  g_assert_cmpuint (first->position, ==, position);
  g_assert_cmpuint (first->removed, ==, removed);
  g_assert_cmpuint (first->added, ==, added);
}

/* The copy is the model, and the model is the first rows beneath. */
static void
assert_consistent (Fixture *f)
{
  GListModel *rows = G_LIST_MODEL (f->pacer);
  guint n = g_list_model_get_n_items (rows);

  pi_test_assert_mirror (f->mirror, rows);
  g_assert_cmpuint (n + pi_row_pacer_get_n_held (f->pacer), ==,
                    g_list_model_get_n_items (G_LIST_MODEL (f->store)));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) beneath = g_list_model_get_item (G_LIST_MODEL (f->store), i);

      g_assert_true (g_ptr_array_index (f->mirror, i) == beneath);
    }
  g_assert_null (g_list_model_get_item (rows, n));
}

static void
fixture_setup (Fixture *f)
{
  GtkWidget *label = gtk_label_new ("rows");

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_child (f->window, label);
  gtk_window_present (f->window);
  pi_test_wait_for_frames (GTK_WIDGET (f->window), 2);

  f->store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  f->pacer = pi_row_pacer_new ();
  pi_row_pacer_set_widget (f->pacer, label);
  /* The copy first: the other handler may change the model beneath. */
  f->mirror = pi_test_mirror_new (G_LIST_MODEL (f->pacer));
  g_signal_connect_swapped (f->pacer, "items-changed", G_CALLBACK (on_items_changed), f);
  pi_row_pacer_set_model (f->pacer, G_LIST_MODEL (f->store));
}

static void
fixture_teardown (Fixture *f)
{
  g_assert_finalize_object (f->pacer);
  g_object_unref (f->store);
  g_ptr_array_unref (f->mirror);
  g_array_unref (f->changes);
  gtk_window_destroy (f->window);
}

typedef struct
{
  Fixture *f;
  guint    n_rows;
  guint    most;
} PerFrame;

static void
count_per_frame_cb (GdkFrameClock *clock,
                    PerFrame      *p)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (p->f->pacer));

  if (p->n_rows < 240)
    p->most = MAX (p->most, n - p->n_rows);
  p->n_rows = n;
}

/* A burst into an empty table: 16 rows at once, 16 a frame after that,
 * then the rest when the table has 256. */
static void
test_burst (void)
{
  Fixture f = { 0 };
  GdkFrameClock *clock;
  PerFrame p = { &f, 0, 0 };
  gulong id;

  fixture_setup (&f);
  append_items (&f, 0, 3000);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.pacer)), ==, 16);
  g_assert_cmpuint (pi_row_pacer_get_n_held (f.pacer), ==, 2984);
  assert_consistent (&f);

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (f.window));
  p.n_rows = 16;
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (count_per_frame_cb), &p);
  WAIT_UNTIL (pi_row_pacer_get_n_held (f.pacer) == 0, 10);
  g_signal_handler_disconnect (clock, id);
  g_assert_cmpuint (p.most, <=, 16);
  assert_consistent (&f);

  /* A long table takes what comes as it comes. */
  append_items (&f, 3000, 100);
  g_assert_cmpuint (pi_row_pacer_get_n_held (f.pacer), ==, 0);
  assert_consistent (&f);

  fixture_teardown (&f);
}

/* Changes while rows are held: each announced as it is, the copy and the
 * model beneath agreeing after each. */
static void
test_changes_while_held (void)
{
  Fixture f = { 0 };
  g_autoptr(GListStore) other = g_list_store_new (GTK_TYPE_STRING_OBJECT);

  fixture_setup (&f);
  append_items (&f, 0, 1000);
  assert_consistent (&f);

  /* Among the rows shown: as it is; the rows it removed make room for
   * as many held ones, at once. */
  mark (&f);
  g_list_store_splice (f.store, 2, 5, NULL, 0);
  assert_first_change (&f, 2, 5, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.pacer)), ==, 16);
  assert_consistent (&f);
  mark (&f);
  append_items (&f, 3, 4);
  assert_first_change (&f, 3, 0, 4);
  assert_consistent (&f);

  /* From the rows shown into those held. */
  g_list_store_splice (f.store, 10, 30, NULL, 0);
  assert_consistent (&f);
  g_assert_cmpuint (pi_row_pacer_get_n_held (f.pacer), >, 0);

  /* Among the rows held: nothing to announce. */
  {
    guint n_changes = f.n_changes;
    guint n = g_list_model_get_n_items (G_LIST_MODEL (f.pacer));

    g_list_store_splice (f.store, 500, 10, NULL, 0);
    append_items (&f, 600, 3);
    g_assert_cmpuint (f.n_changes, ==, n_changes);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.pacer)), ==, n);
    assert_consistent (&f);
  }

  /* A handler changing the model beneath while a change is announced. */
  f.append_once = TRUE;
  g_list_store_remove (f.store, 0);
  assert_consistent (&f);

  /* Another model: what was shown goes, the new one comes paced. */
  pi_row_pacer_set_model (f.pacer, G_LIST_MODEL (other));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f.pacer)), ==, 0);
  g_assert_cmpuint (f.mirror->len, ==, 0);
  pi_row_pacer_set_model (f.pacer, G_LIST_MODEL (f.store));
  assert_consistent (&f);

  /* Without a widget to pace by, nothing is held. */
  pi_row_pacer_set_widget (f.pacer, NULL);
  g_assert_cmpuint (pi_row_pacer_get_n_held (f.pacer), ==, 0);
  assert_consistent (&f);

  fixture_teardown (&f);
}

/* The filter's way of showing everything again (pi-row-steps.c): the rows
 * after those shown come first, then the rows shown go. The second change
 * removes just those: it does not take the held rows with it. */
static void
test_filter_steps (void)
{
  Fixture f = { 0 };

  fixture_setup (&f);
  append_items (&f, 0, 10);
  assert_consistent (&f);

  append_items (&f, 10, 5000);
  g_assert_cmpuint (pi_row_pacer_get_n_held (f.pacer), >, 4900);
  mark (&f);
  g_list_store_splice (f.store, 0, 10, NULL, 0);
  assert_first_change (&f, 0, 10, 0);
  for (guint i = 1; i < f.changes->len; i++)
    {
      g_assert_cmpuint (g_array_index (f.changes, Change, i).removed, ==, 0);
      g_assert_cmpuint (g_array_index (f.changes, Change, i).added, <=, 16);
    }
  assert_consistent (&f);

  WAIT_UNTIL (pi_row_pacer_get_n_held (f.pacer) == 0, 10);
  assert_consistent (&f);

  fixture_teardown (&f);
}

/* A full store evicts at the front as fast as rows come at the end, more
 * than the table takes in a frame, while it is short (a search closed
 * during a busy stream): the table still catches up. */
static void
test_eviction_while_held (void)
{
  Fixture f = { 0 };
  guint frames = 0;

  fixture_setup (&f);
  append_items (&f, 0, 2000);
  while (pi_row_pacer_get_n_held (f.pacer) > 0 && frames < 60)
    {
      append_items (&f, g_list_model_get_n_items (G_LIST_MODEL (f.store)), 40);
      g_list_store_splice (f.store, 0, 40, NULL, 0);
      assert_consistent (&f);
      pi_test_wait_for_frames (GTK_WIDGET (f.window), 1);
      frames++;
    }
  g_test_message ("caught up after %u frames", frames);
  g_assert_cmpuint (pi_row_pacer_get_n_held (f.pacer), ==, 0);
  g_assert_cmpuint (frames, <=, 20);
  assert_consistent (&f);

  fixture_teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  pi_test_ui_init (&argc, &argv);

  g_test_add_func ("/pi/row-pacer/burst", test_burst);
  g_test_add_func ("/pi/row-pacer/changes-while-held", test_changes_while_held);
  g_test_add_func ("/pi/row-pacer/filter-steps", test_filter_steps);
  g_test_add_func ("/pi/row-pacer/eviction-while-held", test_eviction_while_held);

  return g_test_run ();
}
