/* pi-exchange-completion.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-exchange-completion"

#include <string.h>

#include "pi-exchange-completion.h"

/**
 * PiExchangeCompletion:
 *
 * The exchange entry's completion: a popover under the entry that lists the
 * catalog's exchanges whose name contains what was typed. It never takes the
 * focus (typing goes on in the entry); Up and Down pick a row, Enter or a
 * click takes it, Escape or leaving the entry closes it. Free text stays
 * allowed: the catalog knows Taskcluster's exchanges, not every broker's.
 *
 * The popover hangs below the entry and never over it: the person is
 * still typing there.
 */
struct _PiExchangeCompletion
{
  GObject     parent_instance;

  /* Owned */
  GtkPopover *popover;          /* parented to the entry while attached */

  /* Borrowed */
  GtkWidget  *entry;            /* a GtkEditable; weak */
  GtkListBox *list;
  PiCatalog  *catalog;

  guint       choosing : 1;
};

G_DEFINE_FINAL_TYPE (PiExchangeCompletion, pi_exchange_completion, G_TYPE_OBJECT)

enum {
  CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
  PiExchangeCompletion *self = user_data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autofree char *needle = g_utf8_casefold (text, -1);
  g_autofree char *name = g_utf8_casefold (row_exchange (row), -1);

  return strstr (name, needle) != NULL;
}

/* Points at the whole entry, from below: GTK places the popover under that
 * rectangle (or above it when the screen ends), never across it. */
static void
position_popover (PiExchangeCompletion *self)
{
  int width = gtk_widget_get_width (self->entry);
  GdkRectangle rect = { 0, 0, width, gtk_widget_get_height (self->entry) };

  gtk_popover_set_pointing_to (self->popover, &rect);
  gtk_widget_set_size_request (gtk_popover_get_child (self->popover), width, -1);
}

/* The next (direction 1) or previous (-1) row the filter shows, from the
 * selected one; wraps around like other completions. */
static GtkListBoxRow *
completion_step (PiExchangeCompletion *self,
                 int                   direction)
{
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (self->list);
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  GtkListBoxRow *row;
  int current = -1;
  int next;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->list, i)) != NULL; i++)
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

static void
choose (PiExchangeCompletion *self,
        GtkListBoxRow        *row)
{
  g_autofree char *exchange = g_strdup (row_exchange (row));

  self->choosing = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->entry), exchange);
  gtk_editable_set_position (GTK_EDITABLE (self->entry), -1);
  self->choosing = FALSE;

  gtk_popover_popdown (self->popover);
  g_signal_emit (self, signals[CHOSEN], 0, exchange);
}

static void
on_row_activated (PiExchangeCompletion *self,
                  GtkListBoxRow        *row,
                  GtkListBox           *list)
{
  choose (self, row);
}

static gboolean
on_key_pressed (PiExchangeCompletion  *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  GtkListBoxRow *row;

  if (self->popover == NULL || !gtk_widget_get_visible (GTK_WIDGET (self->popover)))
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
            gtk_list_box_select_row (self->list, row);
            gtk_widget_activate_action (GTK_WIDGET (row), "scroll-to", NULL);
          }
        return GDK_EVENT_STOP;
      }

    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      if ((row = gtk_list_box_get_selected_row (self->list)) != NULL)
        {
          choose (self, row);
          return GDK_EVENT_STOP;
        }
      gtk_popover_popdown (self->popover);
      return GDK_EVENT_PROPAGATE;

    case GDK_KEY_Escape:
      gtk_popover_popdown (self->popover);
      return GDK_EVENT_STOP;

    default:
      return GDK_EVENT_PROPAGATE;
    }
}

static void
on_focus_leave (PiExchangeCompletion *self)
{
  pi_exchange_completion_close (self);
}

static void
fill_list (PiExchangeCompletion *self)
{
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
      /* Said to screen readers, not in a tooltip: a tooltip would sit over
       * the next rows of the list being chosen from. */
      if (exchange->description != NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                        GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, exchange->description,
                                        -1);
      g_object_set_data (G_OBJECT (row), "exchange", (gpointer) exchange->name);
      gtk_list_box_append (self->list, row);
    }
}

static void
pi_exchange_completion_dispose (GObject *object)
{
  PiExchangeCompletion *self = PI_EXCHANGE_COMPLETION (object);

  pi_exchange_completion_detach (self);

  G_OBJECT_CLASS (pi_exchange_completion_parent_class)->dispose (object);
}

static void
pi_exchange_completion_class_init (PiExchangeCompletionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_exchange_completion_dispose;

  /**
   * PiExchangeCompletion::chosen:
   * @self: a #PiExchangeCompletion
   * @exchange: the exchange now in the entry
   *
   * A row was taken (Enter or a click); the owner moves the focus on.
   */
  signals[CHOSEN] =
    g_signal_new ("chosen",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
pi_exchange_completion_init (PiExchangeCompletion *self)
{
}

/**
 * pi_exchange_completion_new:
 * @entry: a #GtkEditable widget, such as an #AdwEntryRow
 * @catalog: the exchanges to offer
 *
 * Attaches a completion to @entry. The owner calls
 * pi_exchange_completion_update() when the text changes, and
 * pi_exchange_completion_detach() (or drops its reference) before @entry
 * is disposed.
 *
 * Returns: (transfer full): a new #PiExchangeCompletion
 */
PiExchangeCompletion *
pi_exchange_completion_new (GtkWidget *entry,
                            PiCatalog *catalog)
{
  PiExchangeCompletion *self;
  GtkEventController *controller;
  GtkWidget *scroller;

  g_return_val_if_fail (GTK_IS_EDITABLE (entry), NULL);
  g_return_val_if_fail (catalog != NULL, NULL);

  self = g_object_new (PI_TYPE_EXCHANGE_COMPLETION, NULL);
  self->entry = entry;
  self->catalog = catalog;

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_BROWSE);
  gtk_list_box_set_activate_on_single_click (self->list, TRUE);
  gtk_widget_set_can_focus (GTK_WIDGET (self->list), FALSE);
  fill_list (self);
  gtk_list_box_set_filter_func (self->list, completion_filter, self, NULL);
  g_signal_connect_object (self->list, "row-activated", G_CALLBACK (on_row_activated),
                           self, G_CONNECT_SWAPPED);

  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 280);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->list));

  self->popover = GTK_POPOVER (gtk_popover_new ());
  gtk_popover_set_autohide (self->popover, FALSE);
  gtk_popover_set_has_arrow (self->popover, FALSE);
  gtk_popover_set_position (self->popover, GTK_POS_BOTTOM);
  gtk_widget_set_halign (GTK_WIDGET (self->popover), GTK_ALIGN_START);
  gtk_widget_add_css_class (GTK_WIDGET (self->popover), "pi-exchange-completion");
  gtk_popover_set_child (self->popover, scroller);
  gtk_widget_set_parent (GTK_WIDGET (self->popover), entry);
  g_object_add_weak_pointer (G_OBJECT (entry), (gpointer *) &self->entry);

  /* Capture phase: the arrows and Enter steer the completion before the
   * entry's own text handling sees them. */
  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (on_key_pressed),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (entry, controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect_object (controller, "leave", G_CALLBACK (on_focus_leave),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (entry, controller);

  return self;
}

/**
 * pi_exchange_completion_update:
 * @self: a #PiExchangeCompletion
 *
 * Filters the exchanges by the entry's text and shows the popover when some
 * match and the person is typing in the entry (not when the text is an
 * exact catalog name already, or was just chosen).
 */
void
pi_exchange_completion_update (PiExchangeCompletion *self)
{
  const char *text;
  g_autofree char *needle = NULL;
  guint n;
  guint n_matches = 0;
  gboolean exact = FALSE;

  g_return_if_fail (PI_IS_EXCHANGE_COMPLETION (self));

  if (self->entry == NULL || self->popover == NULL)
    return;

  text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  needle = g_utf8_casefold (text, -1);
  n = pi_catalog_get_n_exchanges (self->catalog);

  for (guint i = 0; i < n; i++)
    {
      const PiCatalogExchange *exchange = pi_catalog_get_exchange (self->catalog, i);
      g_autofree char *name = g_utf8_casefold (exchange->name, -1);

      if (strstr (name, needle) != NULL)
        n_matches++;
      if (g_strcmp0 (exchange->name, text) == 0)
        exact = TRUE;
    }

  gtk_list_box_invalidate_filter (self->list);

  if (!self->choosing && text[0] != '\0' && n_matches > 0 && !(exact && n_matches == 1) &&
      gtk_widget_get_mapped (self->entry) && focus_is_within (self->entry))
    {
      position_popover (self);
      gtk_list_box_unselect_all (self->list);
      gtk_popover_popup (self->popover);
    }
  else
    gtk_popover_popdown (self->popover);
}

/**
 * pi_exchange_completion_get_unique_match:
 * @self: a #PiExchangeCompletion
 *
 * The one catalog exchange the entry's text would complete to, by the same
 * rule as the popover (its name contains the text, ignoring case): what a
 * partial name such as "task-de" most likely means.
 *
 * Returns: (nullable): the exchange, or %NULL when the text is empty, is a
 *   catalog name already, or matches none or several
 */
const PiCatalogExchange *
pi_exchange_completion_get_unique_match (PiExchangeCompletion *self)
{
  const PiCatalogExchange *match = NULL;
  const char *text;
  g_autofree char *needle = NULL;
  guint n;

  g_return_val_if_fail (PI_IS_EXCHANGE_COMPLETION (self), NULL);

  if (self->entry == NULL)
    return NULL;

  text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  if (text[0] == '\0' || pi_catalog_lookup (self->catalog, text) != NULL)
    return NULL;

  needle = g_utf8_casefold (text, -1);
  n = pi_catalog_get_n_exchanges (self->catalog);

  for (guint i = 0; i < n; i++)
    {
      const PiCatalogExchange *exchange = pi_catalog_get_exchange (self->catalog, i);
      g_autofree char *name = g_utf8_casefold (exchange->name, -1);

      if (strstr (name, needle) == NULL)
        continue;
      if (match != NULL)
        return NULL;
      match = exchange;
    }

  return match;
}

/**
 * pi_exchange_completion_close:
 * @self: a #PiExchangeCompletion
 *
 * Hides the popover, if shown.
 */
void
pi_exchange_completion_close (PiExchangeCompletion *self)
{
  g_return_if_fail (PI_IS_EXCHANGE_COMPLETION (self));

  if (self->popover != NULL)
    gtk_popover_popdown (self->popover);
}

/**
 * pi_exchange_completion_detach:
 * @self: a #PiExchangeCompletion
 *
 * Takes the popover off the entry, for an owner about to dispose it.
 */
void
pi_exchange_completion_detach (PiExchangeCompletion *self)
{
  g_return_if_fail (PI_IS_EXCHANGE_COMPLETION (self));

  if (self->popover != NULL)
    {
      gtk_widget_unparent (GTK_WIDGET (self->popover));
      self->popover = NULL;
      self->list = NULL;
    }

  if (self->entry != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->entry), (gpointer *) &self->entry);
      self->entry = NULL;
    }
}

/**
 * pi_exchange_completion_get_popover:
 * @self: a #PiExchangeCompletion
 *
 * Returns: (transfer none) (nullable): the popover, for the UI tests
 */
GtkWidget *
pi_exchange_completion_get_popover (PiExchangeCompletion *self)
{
  g_return_val_if_fail (PI_IS_EXCHANGE_COMPLETION (self), NULL);

  return GTK_WIDGET (self->popover);
}
