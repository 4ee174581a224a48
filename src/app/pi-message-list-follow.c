/* pi-message-list-follow.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-list"

#include <glib/gi18n.h>
#include <math.h>

#include "pi-message-cells.h"
#include "pi-message-list-private.h"

/* Following the newest row.
 *
 * The table always shows the whole list. While following, every change of
 * the rows asks the column view to scroll the last row into view
 * (gtk_column_view_scroll_to: it anchors the view on that row, so the
 * newest row sits at the bottom edge and the rows above fill the page;
 * nothing hides behind empty space).
 *
 * The user leaving the bottom stops following at once. Input says so
 * first: the wheel or touchpad moving up, the keys that move up, a press
 * on the scrollbar. Any other change of the scroll position counts too,
 * unless the list itself is moving it: between a change of the rows (or of
 * the view's size) and the next paint the column view moves the value
 * while it lays the rows out again, and that is not the user. Reaching the
 * bottom again (or the pill "N new messages", or Resume, or closing the
 * filter with no row selected) follows again. Closing the filter with a
 * row selected brings that row into sight instead.
 *
 * The pill sits in a strip under the rows (pi-message-list.ui), so it
 * never covers a row. The strip takes its height from the bottom of the
 * view without moving the rows (the list view would keep its bottom row in
 * place and push the others up), except that a selected row that was in
 * sight when the pill appeared is scrolled up just enough to stay in sight
 * above it. The user scrolling ends both.
 */

/* How often in a row the list may fail to reach the bottom before we stop
 * asking (each try costs a frame). */
#define MAX_RETRIES 4

static gboolean
is_at_bottom (GtkAdjustment *adj)
{
  double value = gtk_adjustment_get_value (adj);
  double upper = gtk_adjustment_get_upper (adj);
  double page_size = gtk_adjustment_get_page_size (adj);

  return value >= upper - page_size - 1.0;
}

static void
scroll_to_newest (PiMessageList *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));

  if (n == 0)
    return;

  self->layout_pending = TRUE;
  self->snapping++;
  gtk_column_view_scroll_to (self->column_view, n - 1, NULL, GTK_LIST_SCROLL_NONE, NULL);
  self->snapping--;
}

/* The column view's rows, under its header. */
static GtkWidget *
get_list_view (PiMessageList *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      return child;

  return NULL;
}

/* The selected row's place relative to @target, if it is laid out. */
static gboolean
get_selected_row_bounds_in (PiMessageList   *self,
                            GtkWidget       *target,
                            graphene_rect_t *bounds)
{
  GtkWidget *list_view = get_list_view (self);

  if (list_view == NULL || self->selected == NULL)
    return FALSE;

  for (GtkWidget *row = gtk_widget_get_first_child (list_view);
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      if (gtk_widget_get_child_visible (row) && gtk_widget_get_mapped (row) &&
          (gtk_widget_get_state_flags (row) & GTK_STATE_FLAG_SELECTED) != 0)
        return gtk_widget_compute_bounds (row, target ? target : list_view, bounds);
    }

  return FALSE;
}

/* The selected row's place in the scrolled window, if it is laid out. */
static gboolean
get_selected_row_bounds (PiMessageList   *self,
                         graphene_rect_t *bounds)
{
  return get_selected_row_bounds_in (self, GTK_WIDGET (self->scroller), bounds);
}

/* Whether the selected row is in sight (before the strip took its part of
 * the view), and where its bottom edge is in the scroll units. */
static gboolean
selected_row_in_view (PiMessageList *self,
                      double        *bottom)
{
  graphene_rect_t bounds;
  int height = gtk_widget_get_height (GTK_WIDGET (self->scroller)) +
               gtk_widget_get_height (GTK_WIDGET (self->new_revealer));

  if (!get_selected_row_bounds (self, &bounds) ||
      bounds.origin.y + bounds.size.height <= 0 ||
      bounds.origin.y >= height)
    return FALSE;

  *bottom = gtk_adjustment_get_value (self->vadjustment) + bounds.origin.y + bounds.size.height;
  return TRUE;
}

/* While the pill's strip grows or shrinks: the rows stay where they were,
 * and a selected row the strip would push out of sight moves up, no
 * further than needed. The row's place is taken once, when the pill
 * appears: the list view may not have the row at hand while it lays out
 * again. */
static void
hold_rows (PiMessageList *self,
           gint64         frame)
{
  double value = gtk_adjustment_get_value (self->vadjustment);
  double target = self->keep_top ? self->top_value : value;

  /* Asked at the first layout after the pill appeared: the rows show
   * the selection by then. */
  if (self->selected_unchecked)
    {
      self->selected_unchecked = FALSE;
      self->keep_selected_in_view = selected_row_in_view (self, &self->selected_bottom);
    }

  if (self->keep_selected_in_view)
    target = MAX (target, self->selected_bottom - gtk_widget_get_height (GTK_WIDGET (self->scroller)));

  /* The list view lays its rows out on whole pixels and moves the value
   * there, so a fraction is not held. And the view is moved at most once
   * a frame: anything that moves it back within the frame (the list view
   * anchoring its rows, the scrolled window) would otherwise be fought in
   * every layout pass until GDK gives up laying the window out, after
   * which the window stops painting. */
  target = round (target);
  if (ABS (target - value) >= 1.0 && frame != self->held_in_frame)
    {
      self->held_in_frame = frame;
      self->snapping++;
      gtk_adjustment_set_value (self->vadjustment, target);
      self->snapping--;
    }

  /* Done when the strip has its final height. */
  if (gtk_revealer_get_child_revealed (self->new_revealer) == gtk_revealer_get_reveal_child (self->new_revealer))
    self->keep_top = self->keep_selected_in_view = self->selected_unchecked = FALSE;
  else
    self->top_value = gtk_adjustment_get_value (self->vadjustment);
}

static void
update_pill (PiMessageList *self)
{
  gboolean show;

  show = !self->following &&
         g_list_model_get_n_items (G_LIST_MODEL (self->rows)) > 0 &&
         (self->n_new > 0 || !is_at_bottom (self->vadjustment));

  if (self->n_new > 0)
    {
      g_autofree char *text = NULL;

      /* Translators: on the pill that scrolls back to the newest rows, beside a down arrow */
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new message", "%u new messages", self->n_new),
                              self->n_new);
      gtk_label_set_label (self->new_label, text);
    }
  else
    gtk_label_set_label (self->new_label, _("Newest messages"));

  if (gtk_revealer_get_reveal_child (self->new_revealer) != show)
    {
      self->keep_selected_in_view = self->selected_unchecked = show && self->selected != NULL;
      self->keep_top = !self->following;
      self->top_value = gtk_adjustment_get_value (self->vadjustment);
      gtk_revealer_set_reveal_child (self->new_revealer, show);
    }
}

/* Bringing the selected row into sight (closing the filter): the list
 * view is asked to scroll to it, and asked again at each layout until the
 * row is drawn whole inside the rows' viewport and the pill's strip has
 * its height (it takes its room off the bottom while it slides in), for
 * at most this many frames. */
#define REVEAL_FRAMES 30

/* The first request also moves the focus to the row (where it was before
 * the search entry had it); the later ones only scroll, so that they never
 * take the focus from where the user has put it meanwhile. */
static void
scroll_to_selected (PiMessageList      *self,
                    GtkListScrollFlags  flags)
{
  guint position = gtk_single_selection_get_selected (self->selection);

  if (position == GTK_INVALID_LIST_POSITION)
    return;

  self->layout_pending = TRUE;
  self->snapping++;
  gtk_column_view_scroll_to (self->column_view, position, NULL, flags, NULL);
  self->snapping--;
}

static void
reveal_selected_step (PiMessageList *self)
{
  GtkWidget *list_view = get_list_view (self);
  graphene_rect_t bounds;
  gboolean in_sight;
  gboolean settled;

  if (self->following || list_view == NULL ||
      gtk_single_selection_get_selected (self->selection) == GTK_INVALID_LIST_POSITION)
    {
      self->revealing_selected = 0;
      return;
    }

  in_sight = get_selected_row_bounds_in (self, list_view, &bounds) &&
             bounds.origin.y >= -0.5 &&
             bounds.origin.y + bounds.size.height <= gtk_widget_get_height (list_view) + 0.5;
  settled = gtk_revealer_get_child_revealed (self->new_revealer) ==
            gtk_revealer_get_reveal_child (self->new_revealer);

  if (!in_sight)
    scroll_to_selected (self, GTK_LIST_SCROLL_NONE);

  if (in_sight && settled)
    self->revealing_selected = 0;
  else
    self->revealing_selected--;
}

void
_pi_message_list_reveal_selected (PiMessageList *self)
{
  if (gtk_single_selection_get_selected (self->selection) == GTK_INVALID_LIST_POSITION)
    return;

  /* Where the user looks now: not the newest rows. */
  _pi_message_list_set_following (self, FALSE);

  /* The pill's strip must not hold the rows where they were. */
  self->keep_selected_in_view = self->keep_top = self->selected_unchecked = FALSE;

  self->revealing_selected = REVEAL_FRAMES;
  scroll_to_selected (self, GTK_LIST_SCROLL_FOCUS);
}

void
_pi_message_list_set_following (PiMessageList *self,
                                gboolean       following)
{
  following = !!following;

  if (following)
    {
      self->n_new = 0;
      self->retries = 0;
      scroll_to_newest (self);
    }

  if (self->following != following)
    {
      self->following = following;
      self->n_new = 0;
      g_debug ("%s the newest rows", following ? "Following" : "Not following");
    }
  if (self->filter != NULL)
    pi_text_filter_set_following (self->filter, self->follow && self->following);

  update_pill (self);
}

/* The table's rows changed (pi-row-pacer.c lets the first rows of a burst
 * reach it over a few frames). */
static void
on_rows_changed (PiMessageList *self,
                 guint          position,
                 guint          removed,
                 guint          added,
                 GListModel    *model)
{
  self->layout_pending = TRUE;

  if (self->follow && self->following)
    {
      self->retries = 0;
      scroll_to_newest (self);
    }

  update_pill (self);
}

/* Messages arrived, or the filter changed the rows: the pill counts the
 * arrivals, also those the table does not have yet. */
static void
on_filter_items_changed (PiMessageList *self,
                         guint          position,
                         guint          removed,
                         guint          added,
                         GListModel    *model)
{
  if (!(self->follow && self->following) && added > 0 && self->refiltering == 0 &&
      !pi_text_filter_get_showing (self->filter) && position + added == g_list_model_get_n_items (model))
    {
      self->n_new += added;
      update_pill (self);
    }
}

static void
on_vadjustment_changed (PiMessageList *self,
                        GtkAdjustment *adj)
{
  /* The view changed size or its rows their height: the list view moves
   * the value while it lays out; on_layout snaps back to the bottom. */
  self->layout_pending = TRUE;
}

static void
on_vadjustment_value_changed (PiMessageList *self,
                              GtkAdjustment *adj)
{
  gboolean at_bottom;

  if (self->snapping > 0 || self->layout_pending)
    return;

  at_bottom = is_at_bottom (adj);

  if (self->following && !at_bottom)
    _pi_message_list_set_following (self, FALSE);
  else if (!self->following && at_bottom && !self->scrollbar_held && self->follow)
    _pi_message_list_set_following (self, TRUE);
  else
    update_pill (self);
}

/* After the widgets were allocated, in the same frame: a scroll asked for
 * here is laid out again before anything is painted. */
void
_pi_message_list_layout (PiMessageList *self,
                         GdkFrameClock *frame_clock)
{
  if (self->keep_top || self->keep_selected_in_view)
    hold_rows (self, gdk_frame_clock_get_frame_counter (frame_clock));

  /* Once a frame, as hold_rows: a scroll asked for in every layout pass
   * of one frame makes GDK give up laying the window out. */
  if (self->revealing_selected > 0 && gdk_frame_clock_get_frame_counter (frame_clock) != self->revealed_in_frame)
    {
      self->revealed_in_frame = gdk_frame_clock_get_frame_counter (frame_clock);
      reveal_selected_step (self);
    }

  if (!self->layout_pending)
    return;

  if (self->follow && self->following && !is_at_bottom (self->vadjustment) &&
      self->retries < MAX_RETRIES)
    {
      self->retries++;
      scroll_to_newest (self);
    }
}

void
_pi_message_list_after_paint (PiMessageList *self,
                              GdkFrameClock *frame_clock)
{
  if (!self->layout_pending)
    return;

  self->layout_pending = FALSE;

  if (self->follow && self->following && !is_at_bottom (self->vadjustment) &&
      self->retries < MAX_RETRIES)
    {
      self->retries++;
      scroll_to_newest (self);
    }
  else
    update_pill (self);
}

void
_pi_message_list_selected_item_changed (PiMessageList      *self,
                                        GParamSpec         *pspec,
                                        GtkSingleSelection *selection)
{
  PiMessage *message = pi_message_cells_get_message (gtk_single_selection_get_selected_item (selection));

  /* The user picked a row: hold the view still so that it stays in sight. */
  if (message != NULL && self->following && message != self->selected)
    _pi_message_list_set_following (self, FALSE);

  _pi_message_list_set_selected (self, message);
}

/* The user's own ways up stop following before the list moves. */

/* The wheel moves the view: the rows are no longer held for the pill's
 * strip (hold_rows), also when stopping to follow just showed the pill.
 * (Keys and the scrollbar release them before they stop following: the
 * pill they show still keeps a selected row in sight above it.) */
static void
release_rows (PiMessageList *self)
{
  self->keep_selected_in_view = self->keep_top = self->selected_unchecked = FALSE;
  self->revealing_selected = 0;
}

static gboolean
on_scroll (PiMessageList            *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  if (dy < 0 && self->following)
    _pi_message_list_set_following (self, FALSE);
  /* After that: the pill it shows must not hold the rows where they were
   * against the user's own scrolling (the scrolled window moves the value
   * after us, over a few frames; holding it back fought that in every
   * layout until GDK gave up laying the window out). */
  release_rows (self);

  return GDK_EVENT_PROPAGATE;
}

static gboolean
on_key_pressed (PiMessageList         *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  release_rows (self);

  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
    case GDK_KEY_Page_Up:
    case GDK_KEY_KP_Page_Up:
    case GDK_KEY_Home:
    case GDK_KEY_KP_Home:
      if (self->following)
        _pi_message_list_set_following (self, FALSE);
      break;

    default:
      break;
    }

  return GDK_EVENT_PROPAGATE;
}

static void
on_scrollbar_pressed (PiMessageList   *self,
                      int              n_press,
                      double           x,
                      double           y,
                      GtkGestureClick *gesture)
{
  self->scrollbar_held = TRUE;
  release_rows (self);
  if (self->following)
    _pi_message_list_set_following (self, FALSE);
}

static void
on_scrollbar_end (PiMessageList    *self,
                  GdkEventSequence *sequence,
                  GtkGesture       *gesture)
{
  self->scrollbar_held = FALSE;

  /* Let go at the bottom: follow again. */
  if (!self->following && self->follow && is_at_bottom (self->vadjustment))
    _pi_message_list_set_following (self, TRUE);
}

static void
on_new_clicked (PiMessageList *self)
{
  pi_message_list_follow (self);
}

void
_pi_message_list_follow_init (PiMessageList *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;

  self->held_in_frame = self->revealed_in_frame = -1;
  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (on_filter_items_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->rows, "items-changed",
                           G_CALLBACK (on_rows_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->vadjustment, "changed",
                           G_CALLBACK (on_vadjustment_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->vadjustment, "value-changed",
                           G_CALLBACK (on_vadjustment_value_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->new_button, "clicked",
                           G_CALLBACK (on_new_clicked), self,
                           G_CONNECT_SWAPPED);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "scroll", G_CALLBACK (on_scroll), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), controller);

  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (on_key_pressed), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), controller);

  gesture = gtk_gesture_click_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (gesture), GTK_PHASE_CAPTURE);
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (on_scrollbar_pressed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gesture, "end", G_CALLBACK (on_scrollbar_end), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (gtk_scrolled_window_get_vscrollbar (self->scroller),
                             GTK_EVENT_CONTROLLER (gesture));

  update_pill (self);
}
