/* pi-span-cell.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-span-cell"

#include "pi-span-cell.h"

/* A table cell whose text may span the rest of its row.
 *
 * GtkColumnView has no row spans. A row that is not a message (a lost
 * connection, messages the server dropped) still has to say what
 * happened, whole: its text is too long for any one column. So the cells
 * of the columns that may carry such a text (pi_span_cell_allow_spanning)
 * are a PiSpanCell around the column's own label. For a marker row the
 * first visible of those cells shows a wrapping GtkLabel allocated from
 * its own left edge to the end of the row, and lets it overflow the cell
 * (GtkColumnView clips each cell; the other cells of that row are empty,
 * so nothing draws over the text). Horizontally the cell measures as its
 * column's label does, so the columns keep their widths; vertically it
 * asks for the height the text needs at the width it really gets, so a
 * narrow table wraps the text to a second line instead of cutting it.
 */

struct _PiSpanCell
{
  GtkWidget            parent_instance;

  /* Owned */
  GtkWidget           *content;
  GtkWidget           *span;          /* made when a marker first needs it */

  /* Borrowed */
  GtkColumnViewColumn *column;        /* weak */

  GdkFrameClock       *frame_clock;   /* while spanning and mapped */
  gulong               layout_id;

  int                  span_x;        /* our x in the row when last allocated, or -1 */
  int                  span_width;    /* the width last given to the span */
  int                  measured_width; /* the width its height was measured for */
  guint                spanning : 1;
  guint                host : 1;      /* as last allocated */
};

G_DEFINE_FINAL_TYPE (PiSpanCell, pi_span_cell, GTK_TYPE_WIDGET)

static GQuark allow_quark (void);
G_DEFINE_QUARK (pi-span-cell-allow, allow)

/* The row widget: our parent is the cell, its parent the row. */
static GtkWidget *
get_row (PiSpanCell *self)
{
  GtkWidget *cell = gtk_widget_get_parent (GTK_WIDGET (self));

  return cell ? gtk_widget_get_parent (cell) : NULL;
}

/* Of the visible columns that allow spanning, the first (in the order the
 * user sees them) carries the text. */
static gboolean
is_host (PiSpanCell *self)
{
  GtkColumnView *view;
  GListModel *columns;

  if (!self->spanning || self->column == NULL)
    return FALSE;

  if ((view = gtk_column_view_column_get_column_view (self->column)) == NULL)
    return TRUE;

  columns = gtk_column_view_get_columns (view);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      if (gtk_column_view_column_get_visible (column) &&
          g_object_get_qdata (G_OBJECT (column), allow_quark ()) != NULL)
        return column == self->column;
    }

  return FALSE;
}

/* From our left edge to the end of the row, as last laid out; before the
 * first layout, the table's width, or one line of text. */
static int
guess_span_width (PiSpanCell *self)
{
  GtkWidget *row = get_row (self);
  GtkColumnView *view;
  int width = 0;

  if (row != NULL && gtk_widget_get_width (row) > 0 && self->span_x >= 0)
    width = gtk_widget_get_width (row) - self->span_x;
  else if (self->column != NULL &&
           (view = gtk_column_view_column_get_column_view (self->column)) != NULL)
    width = gtk_widget_get_width (GTK_WIDGET (view));

  if (width <= 0)
    gtk_widget_measure (self->span, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &width, NULL, NULL);

  return MAX (width, 1);
}

static void
pi_span_cell_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  PiSpanCell *self = PI_SPAN_CELL (widget);
  int span_min, span_nat, width;

  gtk_widget_measure (self->content, orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);

  if (orientation == GTK_ORIENTATION_HORIZONTAL || !is_host (self))
    return;

  /* The column's width says nothing here: the text spans the row. */
  width = guess_span_width (self);
  self->measured_width = width;
  gtk_widget_measure (self->span, GTK_ORIENTATION_HORIZONTAL, -1, &span_min, NULL, NULL, NULL);
  width = MAX (width, span_min);
  gtk_widget_measure (self->span, GTK_ORIENTATION_VERTICAL, width, &span_min, &span_nat, NULL, NULL);

  *minimum = MAX (*minimum, span_min);
  *natural = MAX (*natural, span_nat);
  *minimum_baseline = -1;
  *natural_baseline = -1;
}

/* The row can change its width while this cell keeps its own (a fixed
 * column, the window resized), and GTK does not allocate a cell whose size
 * did not change: after each layout, lay out again if the span no longer
 * reaches the end of the row or the text no longer fits its height. */
static void
on_layout (PiSpanCell    *self,
           GdkFrameClock *frame_clock)
{
  GtkWidget *row = get_row (self);
  gboolean host = is_host (self);
  int width;

  if (host != self->host)
    {
      gtk_widget_queue_resize (GTK_WIDGET (self));
      return;
    }

  if (!host || row == NULL || self->span_x < 0)
    return;

  width = gtk_widget_get_width (row) - self->span_x;
  if (width > 0 && (width != self->span_width || width != self->measured_width))
    gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
update_frame_clock (PiSpanCell *self)
{
  GdkFrameClock *frame_clock = NULL;

  if (self->spanning && gtk_widget_get_mapped (GTK_WIDGET (self)))
    frame_clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (frame_clock == self->frame_clock)
    return;

  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->layout_id, self->frame_clock);
  self->frame_clock = frame_clock;
  if (frame_clock != NULL)
    self->layout_id = g_signal_connect_object (frame_clock, "layout", G_CALLBACK (on_layout), self,
                                               G_CONNECT_SWAPPED | G_CONNECT_AFTER);
}

static void
pi_span_cell_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pi_span_cell_parent_class)->map (widget);
  update_frame_clock (PI_SPAN_CELL (widget));
}

static void
pi_span_cell_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pi_span_cell_parent_class)->unmap (widget);
  update_frame_clock (PI_SPAN_CELL (widget));
}

static void
pi_span_cell_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  PiSpanCell *self = PI_SPAN_CELL (widget);
  GtkWidget *cell = gtk_widget_get_parent (widget);
  GtkWidget *row = get_row (self);
  gboolean host = is_host (self);
  graphene_point_t origin;
  int span_width, span_min;

  gtk_widget_allocate (self->content, width, height, baseline, NULL);

  self->host = host;
  if (self->span == NULL)
    return;

  gtk_widget_set_child_visible (self->content, !host);
  gtk_widget_set_child_visible (self->span, host);

  /* GtkColumnView clips each cell to its column: the host lets its text
   * run on over the empty cells beside it. */
  if (cell != NULL)
    gtk_widget_set_overflow (cell, host ? GTK_OVERFLOW_VISIBLE : GTK_OVERFLOW_HIDDEN);

  if (!host)
    return;

  if (row != NULL && gtk_widget_compute_point (widget, row, &GRAPHENE_POINT_INIT (0, 0), &origin))
    {
      self->span_x = (int) origin.x;
      span_width = gtk_widget_get_width (row) - self->span_x;
    }
  else
    span_width = width;

  /* Compared before clamping, as measure does: on_layout must see the
   * two agree once laid out again, or it would ask for layouts forever. */
  self->span_width = span_width;
  gtk_widget_measure (self->span, GTK_ORIENTATION_HORIZONTAL, -1, &span_min, NULL, NULL, NULL);
  span_width = MAX (span_width, MAX (width, span_min));
  gtk_widget_allocate (self->span, span_width, height, -1, NULL);
}

/* A message's cell is its label: for a GtkInscription a constant size,
 * which GTK measures once and caches (a busy list rebinds its rows all the
 * time). Only a marker's wrapping text has a height for its width. */
static GtkSizeRequestMode
pi_span_cell_get_request_mode (GtkWidget *widget)
{
  PiSpanCell *self = PI_SPAN_CELL (widget);

  if (self->spanning)
    return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;

  return gtk_widget_get_request_mode (self->content);
}

static void
pi_span_cell_dispose (GObject *object)
{
  PiSpanCell *self = (PiSpanCell *)object;

  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->layout_id, self->frame_clock);
  self->frame_clock = NULL;
  g_clear_weak_pointer (&self->column);
  g_clear_pointer (&self->content, gtk_widget_unparent);
  g_clear_pointer (&self->span, gtk_widget_unparent);

  G_OBJECT_CLASS (pi_span_cell_parent_class)->dispose (object);
}

static void
pi_span_cell_class_init (PiSpanCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_span_cell_dispose;

  widget_class->measure = pi_span_cell_measure;
  widget_class->size_allocate = pi_span_cell_size_allocate;
  widget_class->get_request_mode = pi_span_cell_get_request_mode;
  widget_class->map = pi_span_cell_map;
  widget_class->unmap = pi_span_cell_unmap;

  gtk_widget_class_set_css_name (widget_class, "pispancell");
}

static void
pi_span_cell_init (PiSpanCell *self)
{
  self->span_x = -1;
  self->span_width = -1;
  self->measured_width = -1;
}

/**
 * pi_span_cell_new:
 * @content: (transfer floating): the column's own widget, shown for a
 *   message
 * @column: the column the cell belongs to
 *
 * Returns: (transfer floating): a new #PiSpanCell
 */
GtkWidget *
pi_span_cell_new (GtkWidget           *content,
                  GtkColumnViewColumn *column)
{
  PiSpanCell *self;

  g_return_val_if_fail (GTK_IS_WIDGET (content), NULL);
  g_return_val_if_fail (GTK_IS_COLUMN_VIEW_COLUMN (column), NULL);

  self = g_object_new (PI_TYPE_SPAN_CELL, NULL);
  self->content = content;
  gtk_widget_set_parent (content, GTK_WIDGET (self));
  g_set_weak_pointer (&self->column, column);

  return GTK_WIDGET (self);
}

/**
 * pi_span_cell_get_content:
 *
 * Returns: (transfer none): the column's own widget
 */
GtkWidget *
pi_span_cell_get_content (PiSpanCell *self)
{
  g_return_val_if_fail (PI_IS_SPAN_CELL (self), NULL);

  return self->content;
}

/**
 * pi_span_cell_set_span_text:
 * @text: (nullable): what a marker row says, whole; %NULL for a message
 * @css_class: (nullable): a style class for that text, e.g. "warning"
 */
void
pi_span_cell_set_span_text (PiSpanCell *self,
                            const char *text,
                            const char *css_class)
{
  g_return_if_fail (PI_IS_SPAN_CELL (self));

  if (text == NULL)
    {
      if (!self->spanning)
        return;

      self->spanning = FALSE;
      gtk_widget_set_child_visible (self->content, TRUE);
      gtk_widget_set_child_visible (self->span, FALSE);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      update_frame_clock (self);
      return;
    }

  if (self->span == NULL)
    {
      self->span = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (self->span), 0.0f);
      gtk_label_set_wrap (GTK_LABEL (self->span), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (self->span), PANGO_WRAP_WORD_CHAR);
      /* As far from the row's end as a cell's text is from its column's. */
      gtk_widget_set_margin_end (self->span, 6);
      gtk_widget_set_child_visible (self->span, FALSE);
      gtk_widget_set_parent (self->span, GTK_WIDGET (self));
    }

  if (g_strcmp0 (gtk_label_get_label (GTK_LABEL (self->span)), text) != 0)
    gtk_label_set_label (GTK_LABEL (self->span), text);

  if (css_class != NULL && !gtk_widget_has_css_class (self->span, css_class))
    gtk_widget_set_css_classes (self->span, (const char *[]) { css_class, NULL });
  else if (css_class == NULL)
    gtk_widget_set_css_classes (self->span, (const char *[]) { NULL });

  if (!self->spanning)
    {
      self->spanning = TRUE;
      gtk_widget_queue_resize (GTK_WIDGET (self));
      update_frame_clock (self);
    }
}

/**
 * pi_span_cell_get_span_text:
 *
 * Returns: (nullable): what the marker row says, or %NULL for a message
 */
const char *
pi_span_cell_get_span_text (PiSpanCell *self)
{
  g_return_val_if_fail (PI_IS_SPAN_CELL (self), NULL);

  return self->spanning ? gtk_label_get_label (GTK_LABEL (self->span)) : NULL;
}

/**
 * pi_span_cell_get_span_label:
 *
 * Returns: (transfer none) (nullable): the label of a marker's text, when
 *   this cell carries it (the first visible column that allows spanning)
 */
GtkWidget *
pi_span_cell_get_span_label (PiSpanCell *self)
{
  g_return_val_if_fail (PI_IS_SPAN_CELL (self), NULL);

  return is_host (self) ? self->span : NULL;
}

gboolean
pi_span_cell_get_spanning (PiSpanCell *self)
{
  g_return_val_if_fail (PI_IS_SPAN_CELL (self), FALSE);

  return self->spanning;
}

/**
 * pi_span_cell_allow_spanning:
 * @column: a column whose cells are #PiSpanCell
 *
 * Lets the text of a marker row start in @column when it is the first
 * visible column so marked.
 */
void
pi_span_cell_allow_spanning (GtkColumnViewColumn *column)
{
  g_return_if_fail (GTK_IS_COLUMN_VIEW_COLUMN (column));

  g_object_set_qdata (G_OBJECT (column), allow_quark (), GINT_TO_POINTER (TRUE));
}
