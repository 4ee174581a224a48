/* pi-bindings-editor-completion.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-bindings-editor"

#include <string.h>

#include "pi-bindings-editor-private.h"

/* The exchange entry's completion: a popover under the entry that lists the
 * catalog's exchanges whose name contains what was typed. It never takes the
 * focus (typing goes on in the entry); Up and Down pick a row, Enter or a
 * click takes it, Escape or leaving the entry closes it. Free text stays
 * allowed: the catalog knows Taskcluster's exchanges, not every broker's. */

static gboolean
focus_is_within (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static const char *
row_exchange (GtkListBoxRow *row)
{
  return g_object_get_data (G_OBJECT (row), "exchange");
}

static gboolean
completion_filter (GtkListBoxRow *row,
                   gpointer       user_data)
{
  PiBindingsEditor *self = user_data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->exchange_row));
  g_autofree char *needle = g_utf8_casefold (text, -1);
  g_autofree char *name = g_utf8_casefold (row_exchange (row), -1);

  return strstr (name, needle) != NULL;
}

void
pi_bindings_editor_position_completion (PiBindingsEditor *self)
{
  graphene_rect_t bounds;
  GdkRectangle rect;

  if (!gtk_widget_compute_bounds (GTK_WIDGET (self->exchange_row), GTK_WIDGET (self), &bounds))
    return;

  rect.x = bounds.origin.x;
  rect.y = bounds.origin.y;
  rect.width = bounds.size.width;
  rect.height = bounds.size.height;
  gtk_popover_set_pointing_to (self->completion, &rect);
  gtk_widget_set_size_request (gtk_popover_get_child (self->completion), rect.width, -1);
}

/* The next (direction 1) or previous (-1) row the filter shows, from the
 * selected one; wraps around like other completions. */
static GtkListBoxRow *
completion_step (PiBindingsEditor *self,
                 int               direction)
{
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (self->completion_list);
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  GtkListBoxRow *row;
  int current = -1;
  int next;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->completion_list, i)) != NULL; i++)
    {
      if (!gtk_widget_get_child_visible (GTK_WIDGET (row)))
        continue;
      if (row == selected)
        current = rows->len;
      g_ptr_array_add (rows, row);
    }

  if (rows->len == 0)
    return NULL;

  if (current < 0)
    next = direction > 0 ? 0 : (int) rows->len - 1;
  else
    next = (current + direction + (int) rows->len) % (int) rows->len;

  return g_ptr_array_index (rows, next);
}

void
pi_bindings_editor_update_completion (PiBindingsEditor *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->exchange_row));
  g_autofree char *needle = g_utf8_casefold (text, -1);
  guint n = pi_catalog_get_n_exchanges (self->catalog);
  guint n_matches = 0;
  gboolean exact = FALSE;

  for (guint i = 0; i < n; i++)
    {
      const PiCatalogExchange *exchange = pi_catalog_get_exchange (self->catalog, i);
      g_autofree char *name = g_utf8_casefold (exchange->name, -1);

      if (strstr (name, needle) != NULL)
        n_matches++;
      if (g_strcmp0 (exchange->name, text) == 0)
        exact = TRUE;
    }

  gtk_list_box_invalidate_filter (self->completion_list);

  if (!self->choosing && text[0] != '\0' && n_matches > 0 && !(exact && n_matches == 1) &&
      gtk_widget_get_mapped (GTK_WIDGET (self->exchange_row)) &&
      focus_is_within (GTK_WIDGET (self->exchange_row)))
    {
      pi_bindings_editor_position_completion (self);
      gtk_list_box_unselect_all (self->completion_list);
      gtk_popover_popup (self->completion);
    }
  else
    gtk_popover_popdown (self->completion);
}

static void
choose_completion (PiBindingsEditor *self,
                   GtkListBoxRow    *row)
{
  self->choosing = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->exchange_row), row_exchange (row));
  gtk_editable_set_position (GTK_EDITABLE (self->exchange_row), -1);
  self->choosing = FALSE;

  gtk_popover_popdown (self->completion);
  gtk_widget_grab_focus (GTK_WIDGET (self->pattern_row));
}

static void
on_row_activated (PiBindingsEditor *self,
                  GtkListBoxRow    *row,
                  GtkListBox       *list)
{
  choose_completion (self, row);
}

static gboolean
on_exchange_key_pressed (PiBindingsEditor      *self,
                         guint                  keyval,
                         guint                  keycode,
                         GdkModifierType        state,
                         GtkEventControllerKey *controller)
{
  GtkListBoxRow *row;

  if (!gtk_widget_get_visible (GTK_WIDGET (self->completion)))
    return GDK_EVENT_PROPAGATE;

  switch (keyval)
    {
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      {
        int direction = (keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down) ? 1 : -1;

        if ((row = completion_step (self, direction)) != NULL)
          {
            gtk_list_box_select_row (self->completion_list, row);
            gtk_widget_activate_action (GTK_WIDGET (row), "scroll-to", NULL);
          }
        return GDK_EVENT_STOP;
      }

    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      if ((row = gtk_list_box_get_selected_row (self->completion_list)) != NULL)
        {
          choose_completion (self, row);
          return GDK_EVENT_STOP;
        }
      gtk_popover_popdown (self->completion);
      return GDK_EVENT_PROPAGATE;

    case GDK_KEY_Escape:
      gtk_popover_popdown (self->completion);
      return GDK_EVENT_STOP;

    default:
      return GDK_EVENT_PROPAGATE;
    }
}

static void
on_exchange_focus_leave (PiBindingsEditor *self)
{
  gtk_popover_popdown (self->completion);
}

void
pi_bindings_editor_init_completion (PiBindingsEditor *self)
{
  GtkEventController *controller;
  guint n = pi_catalog_get_n_exchanges (self->catalog);

  for (guint i = 0; i < n; i++)
    {
      const PiCatalogExchange *exchange = pi_catalog_get_exchange (self->catalog, i);
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *title = gtk_label_new (exchange->short_name);
      GtkWidget *subtitle = gtk_label_new (exchange->name);

      gtk_widget_set_margin_start (box, 6);
      gtk_widget_set_margin_end (box, 6);
      gtk_widget_set_margin_top (box, 6);
      gtk_widget_set_margin_bottom (box, 6);
      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
      gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_MIDDLE);
      gtk_widget_add_css_class (subtitle, "dim-label");
      gtk_widget_add_css_class (subtitle, "caption");
      gtk_box_append (GTK_BOX (box), title);
      gtk_box_append (GTK_BOX (box), subtitle);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

      /* Rows never take the focus: typing stays in the exchange entry. */
      gtk_widget_set_focusable (row, FALSE);
      if (exchange->description != NULL)
        gtk_widget_set_tooltip_text (row, exchange->description);
      g_object_set_data (G_OBJECT (row), "exchange", (gpointer) exchange->name);
      gtk_list_box_append (self->completion_list, row);
    }

  gtk_list_box_set_filter_func (self->completion_list, completion_filter, self, NULL);
  g_signal_connect_swapped (self->completion_list, "row-activated", G_CALLBACK (on_row_activated), self);
  gtk_widget_set_parent (GTK_WIDGET (self->completion), GTK_WIDGET (self));

  /* Capture phase: the arrows and Enter steer the completion before the
   * entry's own text handling sees them. */
  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "key-pressed", G_CALLBACK (on_exchange_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->exchange_row), controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (controller, "leave", G_CALLBACK (on_exchange_focus_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self->exchange_row), controller);
}
