/* pi-row-steps.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-row-steps"

#include "pi-row-steps.h"

/*
 * How a list model shows other rows in place of those it shows: the
 * items-changed signals, in order, and the rows after each. A list of rows
 * is an array of ascending positions in the list shown from, or NULL for
 * all of its rows.
 *
 * The rows both show at the top and at the bottom stay; the selection and
 * the scroll position with them. The rows between are replaced in two
 * steps, the new ones added after the old ones, then the old ones removed,
 * because of what GTK 4.18's list view does when one items-changed removes
 * rows it tracks (those in sight, the selected one): it asks for every
 * added row and looks it up among the removed ones, and it destroys the
 * removed rows' widgets and makes new ones for the rows that come into
 * sight, on the main thread: 100-300 ms of CPU for 100,000 rows. Added
 * first, the new rows are where a following view goes (it scrolls to the
 * newest row at each change), and the widgets it leaves are bound to the
 * new rows instead; the old rows then go out of sight. The kept row (the
 * selected one), when it shows before and after, stays where it is, the
 * change made on either side of it, so that it stays selected.
 *
 * Rows only removed would take the rows in sight with them in the same
 * way: for a following view the last rows that stay are replaced by
 * themselves, added again after the removed ones, then removed with them.
 *
 * A view that does not follow stays on its rows: a small change is then
 * one items-changed, for GTK to find the rows in sight among the added.
 *
 * The rows of a step are only put together when asked for, one step at a
 * time: with a million rows each array is megabytes.
 */

/* Up to this many rows added are announced with their removed ones in one
 * items-changed. */
#define ONE_CHANGE_LIMIT 2000

/* At least this many rows (more than a tall window shows) are replaced,
 * not only removed, when the rows of a following view change. */
#define REPLACED_MIN 256

/* The last step's rows are the new rows; every other step's are these
 * ranges of the old and new rows put together. */
#define MAX_STEPS 4
#define MAX_SEGMENTS 3

typedef struct
{
  GArray *rows;
  guint   start;
  guint   n;
} Segment;

typedef struct
{
  Segment segments[MAX_SEGMENTS];
  guint   n_segments;
  guint   position;
  guint   removed;
  guint   added;
} Step;

struct _PiRowSteps
{
  GArray *old_rows;
  GArray *new_rows;
  Step    steps[MAX_STEPS];
  guint   n_steps;
};

/* The first index of @rows between @lo and @hi whose row is at or after
 * @row. */
static guint
lower_bound_in (GArray *rows,
                guint   lo,
                guint   hi,
                guint   row)
{
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (rows, guint, mid) < row)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

/* The row at index @i: @rows[i], or i itself when all are shown. */
static inline guint
row_at (GArray *rows,
        guint   i)
{
  return rows ? g_array_index (rows, guint, i) : i;
}

/* The index of @row in @rows (NULL: all) between @from and @to, or -1. */
static int
index_of_row (GArray *rows,
              guint   from,
              guint   to,
              guint   row)
{
  guint i;

  if (rows == NULL)
    return row >= from && row < to ? (int) row : -1;

  i = lower_bound_in (rows, from, to, row);
  return i < to && g_array_index (rows, guint, i) == row ? (int) i : -1;
}

/* Appends @n rows of @rows (NULL: all) from index @start. */
static void
append_rows (GArray *out,
             GArray *rows,
             guint   start,
             guint   n)
{
  guint i;

  if (rows != NULL)
    {
      g_array_append_vals (out, &g_array_index (rows, guint, start), n);
      return;
    }

  for (i = 0; i < n; i++)
    {
      guint row = start + i;

      g_array_append_val (out, row);
    }
}

static void
add_step (PiRowSteps    *self,
          const Segment *segments,
          guint          n_segments,
          guint          position,
          guint          removed,
          guint          added)
{
  Step *step;
  guint i;

  g_assert (self->n_steps < MAX_STEPS);
  g_assert (n_segments <= MAX_SEGMENTS);

  step = &self->steps[self->n_steps++];
  for (i = 0; i < n_segments; i++)
    step->segments[i] = segments[i];
  step->n_segments = n_segments;
  step->position = position;
  step->removed = removed;
  step->added = added;
}

/**
 * pi_row_steps_new:
 * @old_rows: (nullable): the rows shown, NULL when all are
 * @old_len: how many rows are shown
 * @new_rows: (nullable): the rows to show, NULL for all
 * @new_len: how many rows are to show
 * @following: whether the view keeps to the newest row
 * @is_kept: (nullable): which row to keep in place, if any
 * @user_data: for @is_kept
 *
 * Plans the change from @old_rows to @new_rows. The arrays are not
 * changed; the steps keep a reference to them.
 *
 * Returns: (transfer full): the steps, at least one
 */
PiRowSteps *
pi_row_steps_new (GArray             *old_rows,
                  guint               old_len,
                  GArray             *new_rows,
                  guint               new_len,
                  gboolean            following,
                  PiRowStepsKeptFunc  is_kept,
                  gpointer            user_data)
{
  PiRowSteps *self;
  guint prefix = 0;
  guint suffix = 0;
  guint old_mid;
  guint new_mid;
  int old_kept = -1;
  int new_kept = -1;

  g_return_val_if_fail (old_rows == NULL || old_rows->len == old_len, NULL);
  g_return_val_if_fail (new_rows == NULL || new_rows->len == new_len, NULL);

  self = g_new0 (PiRowSteps, 1);
  self->old_rows = old_rows ? g_array_ref (old_rows) : NULL;
  self->new_rows = new_rows ? g_array_ref (new_rows) : NULL;

  while (prefix < old_len && prefix < new_len &&
         row_at (old_rows, prefix) == row_at (new_rows, prefix))
    prefix++;
  while (suffix < old_len - prefix && suffix < new_len - prefix &&
         row_at (old_rows, old_len - 1 - suffix) == row_at (new_rows, new_len - 1 - suffix))
    suffix++;
  old_mid = old_len - prefix - suffix;
  new_mid = new_len - prefix - suffix;

  /* Many rows only removed, in sight of a following view: the last rows
   * that stay are shown again after them, for the view to go to, and then
   * removed with them. (A few rows removed from a short list are cheaper
   * removed: the rows added would be in sight at once.) */
  if (following && old_mid >= REPLACED_MIN && new_mid < REPLACED_MIN)
    {
      guint more = MIN (prefix, REPLACED_MIN - new_mid);

      prefix -= more;
      old_mid += more;
      new_mid += more;
    }

  if (old_mid == 0 || new_mid == 0 || (!following && new_mid <= ONE_CHANGE_LIMIT))
    {
      add_step (self, NULL, 0, prefix, old_mid, new_mid);
      return self;
    }

  if (is_kept != NULL)
    {
      guint i;

      for (i = prefix; i < prefix + old_mid; i++)
        if (is_kept (row_at (old_rows, i), user_data))
          {
            new_kept = index_of_row (new_rows, prefix, prefix + new_mid, row_at (old_rows, i));
            if (new_kept >= 0)
              old_kept = i;
            break;
          }
    }

  if (old_kept < 0)
    {
      /* Old middle, new middle: add after, remove before. */
      const Segment added[] = {
        { old_rows, 0, prefix + old_mid },
        { new_rows, prefix, new_mid },
        { old_rows, prefix + old_mid, suffix },
      };

      add_step (self, added, G_N_ELEMENTS (added), prefix + old_mid, 0, new_mid);
    }
  else
    {
      guint al = old_kept - prefix;         /* old rows left of the kept one */
      guint ar = old_mid - al - 1;
      guint bl = new_kept - prefix;
      guint br = new_mid - bl - 1;
      const Segment right_added[] = {
        { old_rows, 0, old_kept + 1 + ar },
        { new_rows, new_kept + 1, br },
        { old_rows, prefix + old_mid, suffix },
      };
      const Segment right_done[] = {
        { old_rows, 0, old_kept + 1 },
        { new_rows, new_kept + 1, br + suffix },
      };
      const Segment left_added[] = {
        { old_rows, 0, old_kept },
        { new_rows, prefix, bl },
        { new_rows, new_kept, 1 + br + suffix },
      };

      if (br > 0)
        add_step (self, right_added, G_N_ELEMENTS (right_added), old_kept + 1 + ar, 0, br);
      if (ar > 0)
        add_step (self, right_done, G_N_ELEMENTS (right_done), old_kept + 1, ar, 0);
      if (bl > 0)
        add_step (self, left_added, G_N_ELEMENTS (left_added), old_kept, 0, bl);
      old_mid = al;
    }

  /* The last step: the old middle goes, and the rows are the new ones. */
  add_step (self, NULL, 0, prefix, old_mid, 0);
  return self;
}

void
pi_row_steps_free (PiRowSteps *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->old_rows, g_array_unref);
  g_clear_pointer (&self->new_rows, g_array_unref);
  g_free (self);
}

/**
 * pi_row_steps_get_n_steps:
 * @self: the steps
 *
 * Returns: how many steps there are, one items-changed each (none when
 *   the step changes no row)
 */
guint
pi_row_steps_get_n_steps (PiRowSteps *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_steps;
}

/**
 * pi_row_steps_dup_rows:
 * @self: the steps
 * @step: a step
 *
 * The rows shown after @step: the new rows after the last step, otherwise
 * an array even when all rows show before and after.
 *
 * Returns: (transfer full) (nullable): the rows, NULL for all
 */
GArray *
pi_row_steps_dup_rows (PiRowSteps *self,
                       guint       step)
{
  const Step *s;
  GArray *rows;
  guint i;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (step < self->n_steps, NULL);

  if (step + 1 == self->n_steps)
    return self->new_rows ? g_array_ref (self->new_rows) : NULL;

  s = &self->steps[step];
  rows = g_array_new (FALSE, FALSE, sizeof (guint));
  for (i = 0; i < s->n_segments; i++)
    append_rows (rows, s->segments[i].rows, s->segments[i].start, s->segments[i].n);

  return rows;
}

/**
 * pi_row_steps_get_change:
 * @self: the steps
 * @step: a step
 * @position: (out): where the rows change
 * @removed: (out): how many rows go
 * @added: (out): how many rows come
 *
 * The items-changed of @step.
 */
void
pi_row_steps_get_change (PiRowSteps *self,
                         guint       step,
                         guint      *position,
                         guint      *removed,
                         guint      *added)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (step < self->n_steps);

  *position = self->steps[step].position;
  *removed = self->steps[step].removed;
  *added = self->steps[step].added;
}
