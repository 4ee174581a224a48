/* pi-message-cells.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-cells"

#include <glib/gi18n.h>

#include "pi-message-cells.h"
#include "pi-tail-model.h"

/*
 * The columns use GtkSignalListItemFactory rather than builder templates
 * with <closure>s: a busy list binds rows all the time, and instantiating
 * six GtkBuilder templates per row cost 50-150 ms a frame while following
 * at 20,000 messages/s on GTK 4.8 (measured with tests/bench-window).
 * A cell is one plain label, with no controller of its own.
 *
 * An item is either a PiMessage (the whole list) or a PiTailRow (the
 * newest rows while following, see pi-tail-model.c): a tail row changes
 * its message in place, and its cells update their label on "changed".
 */

typedef void (*CellUpdate) (GtkInscription *label,
                            PiMessage *message);

static GQuark cell_update_quark;

PiMessage *
pi_message_cells_get_message (gpointer item)
{
  if (item == NULL)
    return NULL;
  if (PI_IS_TAIL_ROW (item))
    return pi_tail_row_get_message (item);

  return PI_MESSAGE (item);
}

/* Formatting */

static void
update_sequence (GtkInscription *label,
                 PiMessage *message)
{
  char text[24] = "";

  if (pi_message_get_kind (message) != PI_MESSAGE_KIND_GAP)
    g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT, pi_message_get_sequence (message));

  gtk_inscription_set_text (label, text);
}

static void
update_time (GtkInscription *label,
             PiMessage *message)
{
  g_autoptr(GDateTime) dt = NULL;
  gint64 usec = pi_message_get_time_received (message);
  char text[32] = "";

  if ((dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC)))
    g_snprintf (text, sizeof text, "%02d:%02d:%02d.%03d",
                g_date_time_get_hour (dt),
                g_date_time_get_minute (dt),
                g_date_time_get_second (dt),
                (int)((usec % G_USEC_PER_SEC) / 1000));

  gtk_inscription_set_text (label, text);
}

static void
update_exchange (GtkInscription *label,
                 PiMessage *message)
{
  gtk_inscription_set_text (label, pi_message_get_short_exchange (message));
}

static void
update_routing_key (GtkInscription *label,
                    PiMessage *message)
{
  const char *css_class = NULL;
  const char *text;

  switch (pi_message_get_kind (message))
    {
    case PI_MESSAGE_KIND_GAP:
      css_class = "warning";
      text = _("Connection lost — messages may be missing here");
      break;

    case PI_MESSAGE_KIND_UNDECODABLE:
      css_class = "error";
      text = _("Undecodable message");
      break;

    case PI_MESSAGE_KIND_PAYLOAD_ONLY:
      css_class = "dim-label";
      text = _("Payload only (no exchange or routing key)");
      break;

    case PI_MESSAGE_KIND_DECODED:
    default:
      text = pi_message_get_routing_key (message);
      break;
    }

  gtk_inscription_set_text (label, text);

  /* Changing classes restyles the label: only when it changes. */
  for (guint i = 0; i < 3; i++)
    {
      static const char * const classes[] = { "warning", "error", "dim-label" };

      if (g_strcmp0 (classes[i], css_class) != 0 &&
          gtk_widget_has_css_class (GTK_WIDGET (label), classes[i]))
        gtk_widget_remove_css_class (GTK_WIDGET (label), classes[i]);
    }
  if (css_class != NULL && !gtk_widget_has_css_class (GTK_WIDGET (label), css_class))
    gtk_widget_add_css_class (GTK_WIDGET (label), css_class);
}

static void
update_routes (GtkInscription *label,
               PiMessage *message)
{
  g_autofree char *text = pi_message_dup_routes_text (message);

  gtk_inscription_set_text (label, text);
}

static void
update_redelivered (GtkInscription *label,
                    PiMessage *message)
{
  const char *text = NULL;

  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED)
    text = pi_message_get_redelivered (message) ? _("Yes") : _("No");

  gtk_inscription_set_text (label, text);
}

/* Tooltips are asked for when shown, not set on every bind: setting a
 * widget's tooltip text queries the pointer position from the display
 * server (GTK 4.8, measured), a round trip per cell that stalled the busy
 * list. */
static gboolean
query_exchange_tooltip (GtkWidget   *label,
                        int          x,
                        int          y,
                        gboolean     keyboard_mode,
                        GtkTooltip  *tooltip,
                        GtkListItem *list_item)
{
  PiMessage *message = pi_message_cells_get_message (gtk_list_item_get_item (list_item));
  const char *exchange;

  if (message == NULL || !*(exchange = pi_message_get_exchange (message)))
    return FALSE;

  gtk_tooltip_set_text (tooltip, exchange);
  return TRUE;
}

static gboolean
query_routes_tooltip (GtkWidget   *label,
                      int          x,
                      int          y,
                      gboolean     keyboard_mode,
                      GtkTooltip  *tooltip,
                      GtkListItem *list_item)
{
  PiMessage *message = pi_message_cells_get_message (gtk_list_item_get_item (list_item));
  const char * const *routes;
  g_autofree char *text = NULL;

  if (message == NULL || !(routes = pi_message_get_routes (message)) || routes[0] == NULL)
    return FALSE;

  text = g_strjoinv ("\n", (char **)routes);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* Setup: one label per cell */

static GtkWidget *
new_cell_label (GtkListItem        *list_item,
                CellUpdate          update,
                float               xalign,
                GtkInscriptionOverflow  ellipsize)
{
  GtkWidget *label = gtk_inscription_new (NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (label), xalign);
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (label), ellipsize);
  gtk_list_item_set_child (list_item, label);
  g_object_set_qdata (G_OBJECT (list_item), cell_update_quark, update);

  return label;
}

static void
setup_sequence_cell (GtkSignalListItemFactory *factory,
                     GtkListItem              *list_item,
                     gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, update_sequence, 1.0f, GTK_INSCRIPTION_OVERFLOW_CLIP);

  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, "dim-label");
}

static void
setup_time_cell (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, update_time, 0.0f, GTK_INSCRIPTION_OVERFLOW_CLIP);

  gtk_widget_add_css_class (label, "numeric");
}

static void
setup_exchange_cell (GtkSignalListItemFactory *factory,
                     GtkListItem              *list_item,
                     gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, update_exchange, 0.0f, GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);

  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (query_exchange_tooltip), list_item);
}

static void
setup_routing_key_cell (GtkSignalListItemFactory *factory,
                        GtkListItem              *list_item,
                        gpointer                  user_data)
{
  new_cell_label (list_item, update_routing_key, 0.0f, GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_MIDDLE);
}

static void
setup_routes_cell (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, update_routes, 0.0f, GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);

  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (query_routes_tooltip), list_item);
}

static void
setup_redelivered_cell (GtkSignalListItemFactory *factory,
                        GtkListItem              *list_item,
                        gpointer                  user_data)
{
  new_cell_label (list_item, update_redelivered, 0.0f, GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
}

/* Bind: shared by the columns */

static void
update_cell (GtkListItem *list_item)
{
  CellUpdate update = g_object_get_qdata (G_OBJECT (list_item), cell_update_quark);
  PiMessage *message = pi_message_cells_get_message (gtk_list_item_get_item (list_item));

  if (message != NULL)
    update (GTK_INSCRIPTION (gtk_list_item_get_child (list_item)), message);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  gpointer item = gtk_list_item_get_item (list_item);

  update_cell (list_item);

  if (PI_IS_TAIL_ROW (item))
    g_signal_connect_swapped (item, "changed", G_CALLBACK (update_cell), list_item);
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  gpointer item = gtk_list_item_get_item (list_item);

  if (PI_IS_TAIL_ROW (item))
    g_signal_handlers_disconnect_by_func (item, update_cell, list_item);
}

void
pi_message_cells_bind_template_callbacks (GtkWidgetClass *widget_class)
{
  cell_update_quark = g_quark_from_static_string ("pi-cell-update");

  gtk_widget_class_bind_template_callback (widget_class, setup_sequence_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_time_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_exchange_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_routing_key_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_routes_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_redelivered_cell);
  gtk_widget_class_bind_template_callback (widget_class, bind_cell);
  gtk_widget_class_bind_template_callback (widget_class, unbind_cell);
}
