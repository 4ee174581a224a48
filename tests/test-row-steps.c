/* test-row-steps.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib.h>

#include "pi-row-steps.h"

/* The steps from one set of rows to another, as a list view sees them: a
 * view that applies each items-changed to the rows it holds ends with the
 * new rows, each step's rows are what the change says, the rows both sets
 * start and end with never go, and neither does the kept (selected) row. */

static GArray *
rows_new (guint first,
          guint n,
          guint step)
{
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < n; i++)
    {
      guint row = first + i * step;

      g_array_append_val (rows, row);
    }

  return rows;
}

/* @rows, or all @n rows when NULL. */
static GArray *
rows_or_all (GArray *rows,
             guint   n)
{
  return rows ? g_array_copy (rows) : rows_new (0, n, 1);
}

static gboolean
is_row (guint    row,
        gpointer user_data)
{
  return row == GPOINTER_TO_UINT (user_data);
}

typedef struct
{
  guint n_steps;
  guint n_mixed;        /* steps that both remove and add rows */
  gboolean first_adds;  /* the first change adds rows, removes none */
  gboolean kept_stayed; /* the kept row was never among those removed */
  guint lowest_changed; /* the lowest position any step changed */
} Replay;

/* Applies the steps to the old rows as a view would and checks each step
 * against the rows it reports; returns what was seen. */
static Replay
replay (GArray  *old_rows,
        guint    old_len,
        GArray  *new_rows,
        guint    new_len,
        gboolean following,
        int      kept)
{
  g_autoptr(PiRowSteps) steps = NULL;
  g_autoptr(GArray) view = rows_or_all (old_rows, old_len);
  g_autoptr(GArray) expected = rows_or_all (new_rows, new_len);
  Replay seen = { 0, 0, FALSE, TRUE, G_MAXUINT };
  gboolean changed = FALSE;

  steps = pi_row_steps_new (old_rows, old_len, new_rows, new_len, following,
                            kept >= 0 ? is_row : NULL, GUINT_TO_POINTER (kept));
  seen.n_steps = pi_row_steps_get_n_steps (steps);
  g_assert_cmpuint (seen.n_steps, >=, 1);

  for (guint s = 0; s < seen.n_steps; s++)
    {
      g_autoptr(GArray) after = pi_row_steps_dup_rows (steps, s);
      g_autoptr(GArray) after_all = NULL;
      guint position;
      guint removed;
      guint added;

      pi_row_steps_get_change (steps, s, &position, &removed, &added);
      after_all = rows_or_all (after, new_len);

      g_assert_cmpuint (position + removed, <=, view->len);
      for (guint i = 0; i < removed; i++)
        if (kept >= 0 && g_array_index (view, guint, position + i) == (guint) kept)
          seen.kept_stayed = FALSE;
      g_array_remove_range (view, position, removed);
      g_assert_cmpuint (position + added, <=, after_all->len);
      g_array_insert_vals (view, position, &g_array_index (after_all, guint, position), added);
      g_assert_cmpmem (view->data, view->len * sizeof (guint),
                       after_all->data, after_all->len * sizeof (guint));

      if (removed > 0 && added > 0)
        seen.n_mixed++;
      if (!changed && (removed > 0 || added > 0))
        {
          seen.first_adds = added > 0 && removed == 0;
          changed = TRUE;
        }
      if (removed > 0 || added > 0)
        seen.lowest_changed = MIN (seen.lowest_changed, position);
    }

  g_assert_cmpmem (view->data, view->len * sizeof (guint),
                   expected->data, expected->len * sizeof (guint));
  return seen;
}

static void
test_unchanged (void)
{
  g_autoptr(GArray) rows = rows_new (0, 100, 3);
  Replay seen = replay (rows, rows->len, rows, rows->len, TRUE, -1);

  g_assert_cmpuint (seen.n_steps, ==, 1);
  g_assert_cmpuint (seen.lowest_changed, ==, G_MAXUINT);
}

/* A view that stays on its rows gets a small change in one items-changed,
 * from the first row that differs. */
static void
test_small_change_in_one (void)
{
  g_autoptr(GArray) new_rows = rows_new (0, 500, 2);
  Replay seen = replay (NULL, 1000, new_rows, new_rows->len, FALSE, -1);

  g_assert_cmpuint (seen.n_steps, ==, 1);
  g_assert_cmpuint (seen.n_mixed, ==, 1);
  g_assert_cmpuint (seen.lowest_changed, ==, 1);
}

/* A following view gets the new rows added before the old ones go. */
static void
test_following_adds_first (void)
{
  g_autoptr(GArray) old_rows = rows_new (0, 5000, 2);
  g_autoptr(GArray) new_rows = rows_new (0, 3000, 3);
  Replay seen = replay (old_rows, old_rows->len, new_rows, new_rows->len, TRUE, -1);

  g_assert_cmpuint (seen.n_steps, ==, 2);
  g_assert_cmpuint (seen.n_mixed, ==, 0);
  g_assert_true (seen.first_adds);
  /* Row 0 shows in both: it stays. */
  g_assert_cmpuint (seen.lowest_changed, ==, 1);
}

/* All rows showing again after a search: added first all the same, when
 * the view follows, and in one change when it does not. */
static void
test_back_to_all (void)
{
  g_autoptr(GArray) old_rows = rows_new (10, 100, 7);
  Replay seen = replay (old_rows, old_rows->len, NULL, 20000, TRUE, -1);

  g_assert_true (seen.first_adds);
  g_assert_cmpuint (seen.n_mixed, ==, 0);

  seen = replay (old_rows, old_rows->len, NULL, 700, FALSE, -1);
  g_assert_cmpuint (seen.n_steps, ==, 1);
}

/* Many rows only removed from a following view: the last rows that stay
 * are added again after them, so the view has rows to go to. */
static void
test_following_only_removed (void)
{
  Replay seen = replay (NULL, 10000, NULL, 1000, TRUE, -1);

  g_assert_true (seen.first_adds);
  g_assert_cmpuint (seen.n_mixed, ==, 0);
  g_assert_cmpuint (seen.lowest_changed, <, 1000);

  /* Not following: simply removed. */
  seen = replay (NULL, 10000, NULL, 1000, FALSE, -1);
  g_assert_cmpuint (seen.n_steps, ==, 1);
  g_assert_false (seen.first_adds);
  g_assert_cmpuint (seen.lowest_changed, ==, 1000);
}

/* The selected row, showing before and after, is never removed, so the
 * selection stays on it; one showing only before goes like any other. */
static void
test_kept_row_stays (void)
{
  g_autoptr(GArray) old_rows = rows_new (0, 6000, 1);
  g_autoptr(GArray) new_rows = rows_new (0, 2000, 3);
  Replay seen;

  seen = replay (old_rows, old_rows->len, new_rows, new_rows->len, TRUE, 3000);
  g_assert_true (seen.kept_stayed);
  g_assert_cmpuint (seen.n_mixed, ==, 0);

  seen = replay (old_rows, old_rows->len, new_rows, new_rows->len, TRUE, 3001);
  g_assert_false (seen.kept_stayed);

  /* At either end of the rows that change. */
  seen = replay (old_rows, old_rows->len, new_rows, new_rows->len, TRUE, 3);
  g_assert_true (seen.kept_stayed);
  seen = replay (old_rows, old_rows->len, new_rows, new_rows->len, TRUE, 5997);
  g_assert_true (seen.kept_stayed);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/row-steps/unchanged", test_unchanged);
  g_test_add_func ("/pi/row-steps/small-change-in-one", test_small_change_in_one);
  g_test_add_func ("/pi/row-steps/following-adds-first", test_following_adds_first);
  g_test_add_func ("/pi/row-steps/back-to-all", test_back_to_all);
  g_test_add_func ("/pi/row-steps/following-only-removed", test_following_only_removed);
  g_test_add_func ("/pi/row-steps/kept-row-stays", test_kept_row_stays);

  return g_test_run ();
}
