/* pi-message-list-follow.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-list"

#include "pi-message-cells.h"
#include "pi-message-list-private.h"

/* Following the newest row.
 *
 * The list keeps to the bottom by moving the vertical adjustment to
 * upper - page_size whenever the rows changed while we were there (on the
 * short tail model this is what gtk_column_view_scroll_to() would do, and it
 * needs the same care about layout; see pi-tail-model.c for why the tail). The list view itself moves the value while it lays out a
 * changed model (it keeps an anchor row in place), so value changes between
 * such a change and the next paint are layout, not the user; any other
 * value change is the user scrolling, and decides whether we follow. The
 * snap happens after the frame's layout (on_layout): a value set while the
 * list view allocates is not seen by it.
 *
 * While following, the table shows only the newest rows (the tail model,
 * see pi-tail-model.c): a busy list then never creates or destroys row
 * widgets, it rebinds the same few dozen rows, and its value only moves
 * when their number does. When the user scrolls up or picks a row, the
 * table switches to the whole list at the same place on screen, and back
 * to the tail when they return to the bottom. The switch happens from an
 * idle: both causes are inside the list view's own handlers, which must not
 * see their rows replaced under them; until then the tail holds still.
 */

static gboolean
is_at_bottom (GtkAdjustment *adj)
{
  double value = gtk_adjustment_get_value (adj);
  double upper = gtk_adjustment_get_upper (adj);
  double page_size = gtk_adjustment_get_page_size (adj);

  return value >= upper - page_size - 1.0;
}

static void
set_value (PiMessageList *self,
           double         value)
{
  if (gtk_adjustment_get_value (self->vadjustment) == value)
    return;

  self->snapping++;
  gtk_adjustment_set_value (self->vadjustment, value);
  self->snapping--;
}

void
_pi_message_list_scroll_to_bottom (PiMessageList *self)
{
  set_value (self, gtk_adjustment_get_upper (self->vadjustment) -
                   gtk_adjustment_get_page_size (self->vadjustment));
}

/* After a switch to the whole list, once it is long enough. */
static void
apply_pending_value (PiMessageList *self,
                     gboolean       force)
{
  double max;

  if (!self->has_pending_value)
    return;

  max = gtk_adjustment_get_upper (self->vadjustment) - gtk_adjustment_get_page_size (self->vadjustment);
  if (max < self->pending_value && !force)
    return;

  self->has_pending_value = FALSE;
  set_value (self, MIN (self->pending_value, max));
}

/* In tail mode, highlights the selected message's row if it is among
 * the newest, which move up under it with every batch. */
static void
sync_tail_selection (PiMessageList *self)
{
  guint offset = pi_tail_model_get_offset (self->tail);
  guint n_rows = g_list_model_get_n_items (G_LIST_MODEL (self->tail));
  guint row = GTK_INVALID_LIST_POSITION;

  /* Showing the whole list: the selection model keeps its selection. */
  if (!self->tail_mode)
    return;

  if (self->selected != NULL &&
      self->selected_pos != GTK_INVALID_LIST_POSITION &&
      self->selected_pos >= offset &&
      self->selected_pos - offset < n_rows)
    row = self->selected_pos - offset;

  if (gtk_single_selection_get_selected (self->selection) == row)
    return;

  self->switching++;
  gtk_single_selection_set_selected (self->selection, row);
  self->switching--;
}

static void
set_tail_mode (PiMessageList *self,
               gboolean       tail_mode)
{
  guint offset = pi_tail_model_get_offset (self->tail);
  guint n_rows = g_list_model_get_n_items (G_LIST_MODEL (self->tail));
  guint selected_pos;

  tail_mode = !!tail_mode;
  if (self->tail_mode == tail_mode)
    return;

  if (tail_mode)
    {
      selected_pos = gtk_single_selection_get_selected (self->selection);
      self->selected_pos = self->selected != NULL ? selected_pos : GTK_INVALID_LIST_POSITION;
      self->has_pending_value = FALSE;
    }
  else
    {
      /* The same rows at the same place on screen, further down a longer
       * list: rows are one line of text, all of one height. */
      if (n_rows > 0)
        {
          double row_height = gtk_adjustment_get_upper (self->vadjustment) / n_rows;

          self->pending_value = offset * row_height + gtk_adjustment_get_value (self->vadjustment);
          self->has_pending_value = TRUE;
        }
    }

  self->tail_mode = tail_mode;
  self->layout_pending = TRUE;

  self->switching++;
  if (tail_mode)
    {
      pi_tail_model_set_frozen (self->tail, FALSE);
      gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->tail));
    }
  else
    gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->filter_model));
  self->switching--;

  if (tail_mode)
    sync_tail_selection (self);
  else if (self->selected != NULL && self->selected_pos != GTK_INVALID_LIST_POSITION)
    {
      self->switching++;
      gtk_single_selection_set_selected (self->selection, self->selected_pos);
      self->switching--;
    }

  g_debug ("Showing %s", tail_mode ? "the newest rows" : "all rows");
}

/* A few rows more than fit the view: the fewer rows, the less text to lay
 * out again when they move. */
static guint
wanted_tail_rows (PiMessageList *self)
{
  guint n_rows = g_list_model_get_n_items (G_LIST_MODEL (self->tail));
  double upper = gtk_adjustment_get_upper (self->vadjustment);
  double page_size = gtk_adjustment_get_page_size (self->vadjustment);
  double row_height;

  if (!self->tail_mode || n_rows == 0 || upper <= 0 || page_size <= 0)
    return pi_tail_model_get_max_rows (self->tail);

  row_height = MAX (upper / n_rows, 8.0);

  return CLAMP ((guint)(page_size / row_height) + 12, MIN_TAIL_ROWS, MAX_TAIL_ROWS);
}

static gboolean
sync_mode_cb (gpointer data)
{
  PiMessageList *self = data;

  self->sync_mode_id = 0;
  set_tail_mode (self, self->follow && self->following);
  pi_tail_model_set_max_rows (self->tail, wanted_tail_rows (self));

  return G_SOURCE_REMOVE;
}

void
_pi_message_list_queue_sync_mode (PiMessageList *self)
{
  /* Hold the tail still until the switch: the rows the user sees now are
   * the ones the whole list must show at the same place. */
  if (self->tail_mode && !(self->follow && self->following))
    pi_tail_model_set_frozen (self->tail, TRUE);

  if (self->sync_mode_id != 0)
    return;

  if (self->tail_mode != (self->follow && self->following) ||
      pi_tail_model_get_max_rows (self->tail) != wanted_tail_rows (self))
    self->sync_mode_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, sync_mode_cb, self, NULL);
}

static void
on_vadjustment_changed (PiMessageList *self,
                        GtkAdjustment *adj)
{
  /* Snapped to the bottom in on_layout: the list view ignores a value set
   * while it allocates (it is inside its size_allocate now) and would draw
   * its rows where they were while the adjustment says otherwise. */
  if (self->follow && self->following)
    self->layout_pending = TRUE;

  /* The window changed size: as many tail rows as now fit. */
  _pi_message_list_queue_sync_mode (self);
}

static void
on_vadjustment_value_changed (PiMessageList *self,
                              GtkAdjustment *adj)
{
  if (self->snapping > 0 || self->layout_pending)
    return;

  self->following = is_at_bottom (adj);
  _pi_message_list_queue_sync_mode (self);
}

/* After the widgets were allocated, in the same frame: a value set here
 * makes the list view lay out again before anything is painted. */
void
_pi_message_list_layout (PiMessageList *self,
                         GdkFrameClock *frame_clock)
{
  if (!self->layout_pending)
    return;

  if (self->follow && self->following)
    {
      if (!is_at_bottom (self->vadjustment))
        _pi_message_list_scroll_to_bottom (self);
    }
  else
    apply_pending_value (self, FALSE);
}

void
_pi_message_list_after_paint (PiMessageList *self,
                              GdkFrameClock *frame_clock)
{
  if (!self->layout_pending)
    return;

  self->layout_pending = FALSE;

  if (self->follow && self->following && !is_at_bottom (self->vadjustment))
    _pi_message_list_scroll_to_bottom (self);
  else
    apply_pending_value (self, TRUE);
}

/* Keeps selected_pos on the selected message while the tail is shown
 * (otherwise the selection model does it), and drops the selection when
 * the message leaves the list, as GtkSingleSelection would. */
static void
on_filter_items_changed (PiMessageList *self,
                         guint          position,
                         guint          removed,
                         guint          added,
                         GListModel    *model)
{
  if (!self->tail_mode)
    return;

  if (self->selected != NULL && self->selected_pos != GTK_INVALID_LIST_POSITION)
    {
      if (position + removed <= self->selected_pos)
        self->selected_pos = self->selected_pos - removed + added;
      else if (position <= self->selected_pos)
        {
          guint found = GTK_INVALID_LIST_POSITION;

          for (guint i = 0; i < added && found == GTK_INVALID_LIST_POSITION; i++)
            {
              g_autoptr(PiMessage) item = g_list_model_get_item (model, position + i);

              if (item == self->selected)
                found = position + i;
            }

          self->selected_pos = found;
        }
    }

  if (self->selected != NULL && self->selected_pos == GTK_INVALID_LIST_POSITION)
    _pi_message_list_set_selected (self, NULL);

  sync_tail_selection (self);
}

void
_pi_message_list_selected_item_changed (PiMessageList      *self,
                                        GParamSpec         *pspec,
                                        GtkSingleSelection *selection)
{
  PiMessage *message;

  if (self->switching > 0)
    return;

  message = pi_message_cells_get_message (gtk_single_selection_get_selected_item (selection));

  if (self->tail_mode)
    {
      self->selected_pos = message != NULL
        ? pi_tail_model_get_offset (self->tail) + gtk_single_selection_get_selected (selection)
        : GTK_INVALID_LIST_POSITION;

      /* The user picked a row: hold the view still so that it stays in
       * sight, on the whole list. */
      if (message != NULL)
        {
          self->following = FALSE;
          _pi_message_list_queue_sync_mode (self);
        }
    }

  _pi_message_list_set_selected (self, message);
}

/* While the tail is shown, only a change in its number of rows moves the
 * list view's value: between the others, a value change is the user. */
static void
on_tail_items_changed (PiMessageList *self,
                       guint          position,
                       guint          removed,
                       guint          added,
                       GListModel    *model)
{
  if (self->tail_mode && removed != added)
    self->layout_pending = TRUE;
}

void
_pi_message_list_follow_init (PiMessageList *self)
{
  self->selected_pos = GTK_INVALID_LIST_POSITION;

  /* The tail first: the selection tracking below looks at its rows. */
  self->tail = pi_tail_model_new (MIN_TAIL_ROWS);
  pi_tail_model_set_model (self->tail, G_LIST_MODEL (self->filter_model));
  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (on_filter_items_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->tail, "items-changed",
                           G_CALLBACK (on_tail_items_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->tail, "moved",
                           G_CALLBACK (sync_tail_selection), self,
                           G_CONNECT_SWAPPED);
  set_tail_mode (self, TRUE);

  g_signal_connect_object (self->vadjustment, "changed",
                           G_CALLBACK (on_vadjustment_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->vadjustment, "value-changed",
                           G_CALLBACK (on_vadjustment_value_changed), self,
                           G_CONNECT_SWAPPED);
}
