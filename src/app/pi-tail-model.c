/* pi-tail-model.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-tail-model"

#include "pi-tail-model.h"

/*
 * The newest rows of a list, as a short list of fixed rows.
 *
 * While the message table follows the newest messages it shows this model
 * instead of the whole list. In GTK 4.8 a list view kept up to ~200 row
 * widgets around its anchor and never recycled them: when a batch moved the
 * bottom of a followed list by K rows it destroyed and created min (K, 200)
 * rows, which at 20,000 messages/s was 100-300 ms per batch on the main loop.
 * GTK 4.18 recycles rows, but following the whole 200,000-row list with
 * gtk_column_view_scroll_to() still cost the main thread over 50 ms of CPU
 * in about 100 frames of 30 s with the GL renderer (3 with this model;
 * tests/bench-window, README "Performance"), so the tail stays.
 *
 * Here the rows are PiTailRow objects that stay put: row i always shows the
 * i-th of the newest max-rows messages, and a batch only points the rows at
 * other messages and emits their "changed" signal, so the cells set their
 * text in place and no widget is created or destroyed. The model's length
 * only changes while the list is shorter than max-rows (or max-rows does).
 * While full, the rows move at most every MIN_MOVE_INTERVAL, and not at all
 * while frozen (the view is about to show the whole list instead).
 */

struct _PiTailRow
{
  GObject    parent_instance;
  PiMessage *message;
};

G_DEFINE_FINAL_TYPE (PiTailRow, pi_tail_row, G_TYPE_OBJECT)

enum {
  ROW_CHANGED,
  N_ROW_SIGNALS
};

static guint row_signals[N_ROW_SIGNALS];

static void
pi_tail_row_finalize (GObject *object)
{
  PiTailRow *self = (PiTailRow *)object;

  g_clear_object (&self->message);

  G_OBJECT_CLASS (pi_tail_row_parent_class)->finalize (object);
}

static void
pi_tail_row_class_init (PiTailRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pi_tail_row_finalize;

  /**
   * PiTailRow::changed:
   *
   * The row now shows another message.
   */
  row_signals[ROW_CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
pi_tail_row_init (PiTailRow *self)
{
}

/**
 * pi_tail_row_get_message:
 *
 * Returns: (transfer none): the message the row shows now
 */
PiMessage *
pi_tail_row_get_message (PiTailRow *self)
{
  g_return_val_if_fail (PI_IS_TAIL_ROW (self), NULL);

  return self->message;
}

struct _PiTailModel
{
  GObject     parent_instance;

  GListModel *model;
  GPtrArray  *rows;       /* PiTailRow, the first shows model[offset] */
  guint       max_rows;
  guint       offset;

  gint64      last_sync;
  guint       sync_id;
  gboolean    frozen;
};

/* While the tail is full, rows move at most this often (microseconds):
 * nobody reads rows that change 30 times a second, and each move costs
 * laying out every row's text again. */
#define MIN_MOVE_INTERVAL (80 * 1000)

enum {
  MOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GType
pi_tail_model_get_item_type (GListModel *model)
{
  return PI_TYPE_TAIL_ROW;
}

static guint
pi_tail_model_get_n_items (GListModel *model)
{
  return PI_TAIL_MODEL (model)->rows->len;
}

static gpointer
pi_tail_model_get_item (GListModel *model,
                        guint       position)
{
  PiTailModel *self = PI_TAIL_MODEL (model);

  if (position >= self->rows->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->rows, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pi_tail_model_get_item_type;
  iface->get_n_items = pi_tail_model_get_n_items;
  iface->get_item = pi_tail_model_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (PiTailModel, pi_tail_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/* Points @row at @message (transfer full), telling its cells. */
static void
row_take_message (PiTailRow *row,
                  PiMessage *message)
{
  if (row->message == message)
    {
      g_clear_object (&message);
      return;
    }

  g_clear_object (&row->message);
  row->message = message;
  g_signal_emit (row, row_signals[ROW_CHANGED], 0);
}

static void
sync_rows (PiTailModel *self)
{
  guint n_source = self->model ? g_list_model_get_n_items (self->model) : 0;
  guint n_rows = MIN (n_source, self->max_rows);
  guint old_n_rows = self->rows->len;
  guint i;

  self->offset = n_source - n_rows;

  /* The rows that stay, pointed at their new messages first: a removal
   * or addition below then finds the rest of the view already current. */
  for (i = 0; i < MIN (n_rows, old_n_rows); i++)
    row_take_message (g_ptr_array_index (self->rows, i),
                      g_list_model_get_item (self->model, self->offset + i));

  if (n_rows < old_n_rows)
    {
      g_ptr_array_set_size (self->rows, n_rows);
      g_list_model_items_changed (G_LIST_MODEL (self), n_rows, old_n_rows - n_rows, 0);
    }
  else if (n_rows > old_n_rows)
    {
      for (i = old_n_rows; i < n_rows; i++)
        {
          PiTailRow *row = g_object_new (PI_TYPE_TAIL_ROW, NULL);

          row->message = g_list_model_get_item (self->model, self->offset + i);
          g_ptr_array_add (self->rows, row);
        }
      g_list_model_items_changed (G_LIST_MODEL (self), old_n_rows, 0, n_rows - old_n_rows);
    }

  self->last_sync = g_get_monotonic_time ();
  g_clear_handle_id (&self->sync_id, g_source_remove);
  g_signal_emit (self, signals[MOVED], 0);
}

static gboolean
sync_rows_cb (gpointer data)
{
  PiTailModel *self = data;

  self->sync_id = 0;
  sync_rows (self);

  return G_SOURCE_REMOVE;
}

static void
on_items_changed (PiTailModel *self,
                  guint        position,
                  guint        removed,
                  guint        added,
                  GListModel  *model)
{
  /* Nothing in the tail moved, only its position: e.g. the oldest
   * messages evicted from a list much longer than the tail. */
  if (position + removed <= self->offset && self->rows->len == self->max_rows)
    {
      self->offset = self->offset - removed + added;
      return;
    }

  /* Frozen: newer messages do not move the rows. */
  if (self->frozen && removed == 0 && position >= self->offset + self->rows->len)
    return;

  /* Only newer messages at the end: soon is enough. Anything else (a
   * short list, a clear, a new filter) is shown at once. */
  if (removed == 0 &&
      self->rows->len == self->max_rows &&
      g_list_model_get_n_items (self->model) >= self->max_rows)
    {
      gint64 wait = self->last_sync + MIN_MOVE_INTERVAL - g_get_monotonic_time ();

      if (wait > 0)
        {
          if (self->sync_id == 0)
            self->sync_id = g_timeout_add_full (G_PRIORITY_DEFAULT, wait / 1000 + 1,
                                                sync_rows_cb, self, NULL);
          return;
        }
    }

  sync_rows (self);
}

static void
pi_tail_model_dispose (GObject *object)
{
  PiTailModel *self = (PiTailModel *)object;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  g_clear_handle_id (&self->sync_id, g_source_remove);

  G_OBJECT_CLASS (pi_tail_model_parent_class)->dispose (object);
}

static void
pi_tail_model_finalize (GObject *object)
{
  PiTailModel *self = (PiTailModel *)object;

  g_clear_pointer (&self->rows, g_ptr_array_unref);

  G_OBJECT_CLASS (pi_tail_model_parent_class)->finalize (object);
}

static void
pi_tail_model_class_init (PiTailModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_tail_model_dispose;
  object_class->finalize = pi_tail_model_finalize;

  /**
   * PiTailModel::moved:
   *
   * The rows now show the newest items: the offset may have changed.
   */
  signals[MOVED] =
    g_signal_new ("moved",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
pi_tail_model_init (PiTailModel *self)
{
  self->rows = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * pi_tail_model_new:
 * @max_rows: how many of the newest items to show
 *
 * Returns: (transfer full): a new, empty tail model
 */
PiTailModel *
pi_tail_model_new (guint max_rows)
{
  PiTailModel *self;

  g_return_val_if_fail (max_rows > 0, NULL);

  self = g_object_new (PI_TYPE_TAIL_MODEL, NULL);
  self->max_rows = max_rows;

  return self;
}

void
pi_tail_model_set_model (PiTailModel *self,
                         GListModel  *model)
{
  g_return_if_fail (PI_IS_TAIL_MODEL (self));
  g_return_if_fail (!model || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);

  g_set_object (&self->model, model);

  if (model != NULL)
    g_signal_connect_object (model, "items-changed",
                             G_CALLBACK (on_items_changed), self,
                             G_CONNECT_SWAPPED);

  sync_rows (self);
}

/**
 * pi_tail_model_get_offset:
 *
 * Returns: the position in the source model of the first row
 */
guint
pi_tail_model_get_offset (PiTailModel *self)
{
  g_return_val_if_fail (PI_IS_TAIL_MODEL (self), 0);

  return self->offset;
}

void
pi_tail_model_set_max_rows (PiTailModel *self,
                            guint        max_rows)
{
  g_return_if_fail (PI_IS_TAIL_MODEL (self));
  g_return_if_fail (max_rows > 0);

  if (self->max_rows == max_rows)
    return;

  self->max_rows = max_rows;
  sync_rows (self);
}

/**
 * pi_tail_model_set_frozen:
 * @frozen: whether newer items leave the rows where they are
 *
 * While frozen, items added after the rows do not move them (the offset
 * still follows changes before them), so that a view can map its rows to
 * the source model's positions. Thawing shows the newest items at once.
 */
void
pi_tail_model_set_frozen (PiTailModel *self,
                          gboolean     frozen)
{
  g_return_if_fail (PI_IS_TAIL_MODEL (self));

  frozen = !!frozen;
  if (self->frozen == frozen)
    return;

  self->frozen = frozen;
  if (!frozen)
    sync_rows (self);
}

guint
pi_tail_model_get_max_rows (PiTailModel *self)
{
  g_return_val_if_fail (PI_IS_TAIL_MODEL (self), 0);

  return self->max_rows;
}
