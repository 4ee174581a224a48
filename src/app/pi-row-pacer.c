/* pi-row-pacer.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-list"

#include "pi-row-pacer.h"

/* The table's first rows, a frame's worth at a time.
 *
 * GtkListView keeps up to 200 rows of widgets alive around its anchor,
 * whatever its height (GTK_LIST_VIEW_MAX_LIST_ITEMS in gtklistview.c). A
 * table that is empty, or short, and then gets a burst at its end makes
 * all of those rows in one frame: 150-480 ms with our cells on the
 * benchmark's machines, the one long stall of the window's burst
 * (tests/bench-window). Later appends only rebind rows that exist.
 *
 * So this model stands between the filter and the table and lets rows
 * appended at the end of a short list through ROWS_A_FRAME in each frame
 * of the window's frame clock (the rows are made in the layout of that
 * frame), until the table has enough rows that GTK has made all of its
 * own (ENOUGH_ROWS); from there on every change goes through as it comes.
 *
 * The rows let through are always the first rows of the model beneath, so
 * a position means the same row in both. A change among them goes through
 * as it is, with the rows it adds (held rows stay held): the filter plans
 * its changes so that GTK does not drop the rows in sight (pi-row-steps.c),
 * and one change that removed them all and added everything held would
 * undo that. */

#define ROWS_A_FRAME 16
#define ENOUGH_ROWS  256

struct _PiRowPacer
{
  GObject     parent_instance;

  GListModel *model;
  GtkWidget  *widget;     /* weak */
  guint       tick_id;
  guint       n_model;    /* items in @model */
  guint       n_items;    /* of them let through: always a prefix */
  gint64      frame;      /* the frame the rows let through last are made in */
  guint       spent;      /* rows let through for that frame */
  guint       n_paced;    /* let through in frames since the pacer last caught up
                           * (what GTK made rows for: removals do not lower it) */
  gboolean    in_tick;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PiRowPacer, pi_row_pacer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_MODEL,
  PROP_WIDGET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
pi_row_pacer_get_item_type (GListModel *list)
{
  PiRowPacer *self = PI_ROW_PACER (list);

  return self->model ? g_list_model_get_item_type (self->model) : G_TYPE_OBJECT;
}

static guint
pi_row_pacer_get_n_items (GListModel *list)
{
  return PI_ROW_PACER (list)->n_items;
}

static gpointer
pi_row_pacer_get_item (GListModel *list,
                       guint       position)
{
  PiRowPacer *self = PI_ROW_PACER (list);

  if (position >= self->n_items)
    return NULL;

  return g_list_model_get_item (self->model, position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pi_row_pacer_get_item_type;
  iface->get_n_items = pi_row_pacer_get_n_items;
  iface->get_item = pi_row_pacer_get_item;
}

static void
stop_ticking (PiRowPacer *self)
{
  if (self->tick_id != 0 && self->widget != NULL)
    gtk_widget_remove_tick_callback (self->widget, self->tick_id);
  self->tick_id = 0;
}

/* With nothing held any more, the pacing is over until the next burst. */
static void
check_caught_up (PiRowPacer *self)
{
  if (self->n_items == self->n_model)
    {
      stop_ticking (self);
      self->n_paced = 0;
    }
}

/* The rows let through change as the model's did: at @position, @removed
 * of them go and @added come. */
static void
let_through (PiRowPacer *self,
             guint       position,
             guint       removed,
             guint       added)
{
  self->n_items = self->n_items - removed + added;

  if (removed > 0 || added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  check_caught_up (self);
}

/* The frame clock of the widget's window: the widget itself may not be
 * realized yet (the table is on a stack page that shows once it has a
 * row). */
static GdkFrameClock *
get_frame_clock (PiRowPacer *self)
{
  GtkNative *native = self->widget ? gtk_widget_get_native (self->widget) : NULL;
  GdkSurface *surface = native ? gtk_native_get_surface (native) : NULL;

  return surface ? gdk_surface_get_frame_clock (surface) : NULL;
}

/* How many more rows may go through for the frame that will make them:
 * in a tick, the frame under way; otherwise the next one. None before the
 * window has a frame clock; while the table is not shown (it is on a
 * stack page that shows once it has a row), no more than one frame's. */
static guint
allowance (PiRowPacer *self)
{
  GdkFrameClock *clock = get_frame_clock (self);
  gint64 frame;
  guint allowed;

  if (clock == NULL)
    return 0;

  /* By then GTK has all its rows: the rest only rebind them. Counting
   * what went through, not what is shown: a full store evicting at the
   * front as fast as rows go through would keep the table short for good. */
  if (self->n_items >= ENOUGH_ROWS || self->n_paced >= ENOUGH_ROWS)
    return G_MAXUINT;

  frame = gdk_frame_clock_get_frame_counter (clock) + (self->in_tick ? 0 : 1);
  if (frame != self->frame)
    {
      self->frame = frame;
      self->spent = 0;
    }

  allowed = ROWS_A_FRAME - MIN (self->spent, ROWS_A_FRAME);
  if (!gtk_widget_get_mapped (self->widget))
    allowed = MIN (allowed, ROWS_A_FRAME - MIN (self->n_items, ROWS_A_FRAME));

  return allowed;
}

/* Lets through what the frame allows of the rows held. */
static void
let_held_through (PiRowPacer *self)
{
  guint added = MIN (self->n_model - self->n_items, allowance (self));

  self->spent += added;
  self->n_paced = MIN (self->n_paced + (guint64) added, G_MAXUINT);
  let_through (self, self->n_items, 0, added);
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  g_autoptr(PiRowPacer) self = g_object_ref (PI_ROW_PACER (user_data));
  guint id = self->tick_id;

  /* let_through() must not remove the callback running. */
  self->tick_id = 0;
  self->in_tick = TRUE;
  let_held_through (self);
  self->in_tick = FALSE;

  if (self->n_items < self->n_model && self->tick_id == 0)
    {
      self->tick_id = id;
      return G_SOURCE_CONTINUE;
    }

  return G_SOURCE_REMOVE;
}

static void
hold (PiRowPacer *self)
{
  if (self->widget == NULL)
    {
      let_through (self, self->n_items, 0, self->n_model - self->n_items);
      return;
    }

  /* Before the window has a frame clock nothing goes through: GTK would
   * make the rows all in its first frame. */
  let_held_through (self);
  if (self->n_items < self->n_model && self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (self->widget, tick_cb, self, NULL);
}

static void
on_items_changed (PiRowPacer *self,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GListModel *model)
{
  gboolean caught_up = self->n_items == self->n_model;

  self->n_model = self->n_model - removed + added;

  if (position > self->n_items ||
      (position == self->n_items && !(caught_up && self->n_items >= ENOUGH_ROWS)))
    {
      /* Among the rows held, or appended to a short list: held. */
      hold (self);
    }
  else
    {
      /* Among the rows let through, or from them into those held: as it
       * is, up to the rows held. The rows it removes leave their widgets
       * to GTK for the next rows: as many held rows may follow in the same
       * frame (and the table is not left short of rows for a frame). */
      guint removed_shown = MIN (removed, self->n_items - position);

      let_through (self, position, removed_shown, added);
      self->spent -= MIN (self->spent, removed_shown);
      if (self->n_items < self->n_model)
        hold (self);
    }
}

static void
pi_row_pacer_dispose (GObject *object)
{
  PiRowPacer *self = PI_ROW_PACER (object);

  stop_ticking (self);
  g_clear_weak_pointer (&self->widget);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (pi_row_pacer_parent_class)->dispose (object);
}

static void
pi_row_pacer_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PiRowPacer *self = PI_ROW_PACER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;

    case PROP_WIDGET:
      g_value_set_object (value, self->widget);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_row_pacer_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  PiRowPacer *self = PI_ROW_PACER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      pi_row_pacer_set_model (self, g_value_get_object (value));
      break;

    case PROP_WIDGET:
      pi_row_pacer_set_widget (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_row_pacer_class_init (PiRowPacerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_row_pacer_dispose;
  object_class->get_property = pi_row_pacer_get_property;
  object_class->set_property = pi_row_pacer_set_property;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * PiRowPacer:widget:
   *
   * The widget whose frames pace the rows held; without one nothing is
   * held.
   */
  properties[PROP_WIDGET] =
    g_param_spec_object ("widget", NULL, NULL,
                         GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_row_pacer_init (PiRowPacer *self)
{
}

PiRowPacer *
pi_row_pacer_new (void)
{
  return g_object_new (PI_TYPE_ROW_PACER, NULL);
}

GListModel *
pi_row_pacer_get_model (PiRowPacer *self)
{
  g_return_val_if_fail (PI_IS_ROW_PACER (self), NULL);

  return self->model;
}

void
pi_row_pacer_set_model (PiRowPacer *self,
                        GListModel *model)
{
  guint removed;

  g_return_if_fail (PI_IS_ROW_PACER (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, on_items_changed, self);
  g_set_object (&self->model, model);
  if (model != NULL)
    g_signal_connect_object (model, "items-changed",
                             G_CALLBACK (on_items_changed), self,
                             G_CONNECT_SWAPPED);

  removed = self->n_items;
  self->n_model = model ? g_list_model_get_n_items (model) : 0;
  let_through (self, 0, removed, 0);
  if (self->n_model > 0)
    hold (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GtkWidget *
pi_row_pacer_get_widget (PiRowPacer *self)
{
  g_return_val_if_fail (PI_IS_ROW_PACER (self), NULL);

  return self->widget;
}

void
pi_row_pacer_set_widget (PiRowPacer *self,
                         GtkWidget  *widget)
{
  g_return_if_fail (PI_IS_ROW_PACER (self));
  g_return_if_fail (widget == NULL || GTK_IS_WIDGET (widget));

  if (self->widget == widget)
    return;

  stop_ticking (self);
  g_set_weak_pointer (&self->widget, widget);
  if (self->n_items < self->n_model)
    hold (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WIDGET]);
}

/**
 * pi_row_pacer_get_n_held:
 *
 * Returns: how many rows at the end of the model wait for the next frames
 */
guint
pi_row_pacer_get_n_held (PiRowPacer *self)
{
  g_return_val_if_fail (PI_IS_ROW_PACER (self), 0);

  return self->n_model - self->n_items;
}
