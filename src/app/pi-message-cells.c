/* pi-message-cells.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-cells"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-catalog.h"
#include "pi-message-cells.h"
#include "pi-span-cell.h"

/*
 * The columns use GtkSignalListItemFactory rather than builder templates
 * with <closure>s: a busy list binds rows all the time, and instantiating
 * six GtkBuilder templates per row cost 50-150 ms a frame while following
 * at 20,000 messages/s on GTK 4.8 (measured with tests/bench-window).
 * A cell is one plain label (an icon for Redelivered), with no controller
 * of its own; tooltips are asked for when shown. The Exchange and Routing
 * Key cells wrap theirs in a PiSpanCell: a row that is not a message (a
 * lost connection, dropped messages) says so in the first of them, across
 * the rest of the row.
 */

typedef void (*CellUpdate) (GtkWidget   *cell,
                            GtkListItem *list_item,
                            PiMessage   *message);

static GQuark cell_update_quark;
static GQuark cell_word_quark;
static GQuark count_watch_quark;

PiMessage *
pi_message_cells_get_message (gpointer item)
{
  if (item == NULL)
    return NULL;

  return PI_MESSAGE (item);
}

/* Formatting */

static void
update_sequence (GtkWidget   *cell,
                 GtkListItem *list_item,
                 PiMessage   *message)
{
  char text[24] = "";

  if (pi_message_get_kind (message) != PI_MESSAGE_KIND_GAP &&
      pi_message_get_kind (message) != PI_MESSAGE_KIND_DROPPED &&
      pi_message_get_kind (message) != PI_MESSAGE_KIND_SWITCH)
    g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT, pi_message_get_sequence (message));

  gtk_inscription_set_text (GTK_INSCRIPTION (cell), text);
}

static void
update_time (GtkWidget   *cell,
             GtkListItem *list_item,
             PiMessage   *message)
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

  gtk_inscription_set_text (GTK_INSCRIPTION (cell), text);
}

/* A marker's text spans the row from the first visible Exchange or
 * Routing Key cell; the column's own label is empty then. */
static gboolean
update_span (GtkWidget *cell,
             PiMessage *message)
{
  g_autofree char *marker = pi_message_cells_dup_marker_text (message);

  /* A switch of server is news, not trouble. */
  pi_span_cell_set_span_text (PI_SPAN_CELL (cell), marker,
                              pi_message_get_kind (message) == PI_MESSAGE_KIND_SWITCH ? "accent" : "warning");
  if (marker != NULL)
    gtk_inscription_set_text (GTK_INSCRIPTION (pi_span_cell_get_content (PI_SPAN_CELL (cell))), NULL);

  return marker != NULL;
}

/* Whether @message tells of a task that failed: the queue's task-failed
 * and task-exception exchanges (what a user scans the list for). */
static gboolean
is_task_failure (PiMessage *message)
{
  const char *exchange = pi_message_get_exchange (message);

  return g_str_has_prefix (exchange, "exchange/taskcluster-queue/") &&
         (g_str_has_suffix (exchange, "/task-failed") || g_str_has_suffix (exchange, "/task-exception"));
}

static void
update_exchange (GtkWidget   *cell,
                 GtkListItem *list_item,
                 PiMessage   *message)
{
  GtkWidget *content = pi_span_cell_get_content (PI_SPAN_CELL (cell));

  /* Rows are reused: the colour goes with the message shown. */
  gtk_widget_remove_css_class (content, "error");
  if (update_span (cell, message))
    return;

  gtk_inscription_set_text (GTK_INSCRIPTION (content), pi_message_get_short_exchange (message));
  if (is_task_failure (message))
    gtk_widget_add_css_class (content, "error");
}

/**
 * pi_message_cells_dup_marker_text:
 * @message: a message
 *
 * Returns: (transfer full) (nullable): for a row that is not a message (a
 *   lost connection, messages the server dropped), what it says, whole
 */
char *
pi_message_cells_dup_marker_text (PiMessage *message)
{
  g_autofree char *number = NULL;
  guint64 count;
  const char *reason;
  gulong n;

  switch (pi_message_get_kind (message))
    {
    case PI_MESSAGE_KIND_GAP:
      return g_strdup (_("Connection lost — messages may be missing here"));

    case PI_MESSAGE_KIND_SWITCH:
      return pi_message_dup_switch_text (message);

    case PI_MESSAGE_KIND_DROPPED:
      count = pi_message_get_dropped_count (message);
      reason = pi_message_get_dropped_reason (message);
      n = (gulong) MIN (count, G_MAXULONG);
      number = g_strdup_printf ("%" G_GUINT64_FORMAT, count);

      if (g_strcmp0 (reason, "too-large") == 0)
        /* Translators: the server left messages out because each was larger than its buffer for this client */
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%s message dropped by the server: too large for its buffer",
                                             "%s messages dropped by the server: too large for its buffer",
                                             n), number);
      if (g_strcmp0 (reason, "too-slow") == 0)
        /* Translators: the server left messages out because this program did not read them fast enough */
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%s message dropped by the server: this client was too slow",
                                             "%s messages dropped by the server: this client was too slow",
                                             n), number);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s message dropped by the server",
                                           "%s messages dropped by the server",
                                           n), number);

    case PI_MESSAGE_KIND_DECODED:
    case PI_MESSAGE_KIND_PAYLOAD_ONLY:
    case PI_MESSAGE_KIND_UNDECODABLE:
    default:
      return NULL;
    }
}

static void
set_css_class (GtkWidget  *cell,
               const char *css_class)
{
  static const char * const classes[] = { "warning", "error", "dim-label" };

  /* Changing classes restyles the label: only when it changes. */
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    {
      if (g_strcmp0 (classes[i], css_class) != 0 &&
          gtk_widget_has_css_class (cell, classes[i]))
        gtk_widget_remove_css_class (cell, classes[i]);
    }
  if (css_class != NULL && !gtk_widget_has_css_class (cell, css_class))
    gtk_widget_add_css_class (cell, css_class);
}

/* The routing key as the column draws it: without a constant first word
 * the catalog knows (every Taskcluster key starts "primary."), which would
 * cost some 70 px of the column people read and tell nothing. The tooltip,
 * the details, copying and the filter have the whole key. */
static const char *
skip_constant_word (PiMessage  *message,
                    const char *routing_key)
{
  const PiCatalogExchange *exchange;
  const char *constant;
  size_t len;

  exchange = pi_catalog_lookup (pi_catalog_get_default (), pi_message_get_exchange (message));
  if (exchange == NULL || exchange->n_words < 2 || (constant = exchange->words[0].constant) == NULL)
    return routing_key;

  len = strlen (constant);
  if (strncmp (routing_key, constant, len) == 0 && routing_key[len] == '.' && routing_key[len + 1] != '\0')
    return routing_key + len + 1;

  return routing_key;
}

static void
update_routing_key (GtkWidget   *cell,
                    GtkListItem *list_item,
                    PiMessage   *message)
{
  GtkWidget *label = pi_span_cell_get_content (PI_SPAN_CELL (cell));
  const char *css_class = NULL;
  const char *text;

  if (update_span (cell, message))
    {
      set_css_class (label, NULL);
      return;
    }

  switch (pi_message_get_kind (message))
    {
    case PI_MESSAGE_KIND_UNDECODABLE:
      css_class = "error";
      text = _("Undecodable message");
      break;

    case PI_MESSAGE_KIND_PAYLOAD_ONLY:
      css_class = "dim-label";
      text = _("Payload only (no exchange or routing key)");
      break;

    case PI_MESSAGE_KIND_DECODED:
      text = skip_constant_word (message, pi_message_get_routing_key (message));
      break;

    case PI_MESSAGE_KIND_GAP:
    case PI_MESSAGE_KIND_DROPPED:
    case PI_MESSAGE_KIND_SWITCH:
    default:
      text = pi_message_get_routing_key (message);
      break;
    }

  gtk_inscription_set_text (GTK_INSCRIPTION (label), text);
  set_css_class (label, css_class);
}

static void
update_routes (GtkWidget   *cell,
               GtkListItem *list_item,
               PiMessage   *message)
{
  g_autofree char *text = pi_message_dup_routes_text (message);

  gtk_inscription_set_text (GTK_INSCRIPTION (cell), text);
}

static void
update_redelivered (GtkWidget   *cell,
                    GtkListItem *list_item,
                    PiMessage   *message)
{
  gboolean redelivered = pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED &&
                         pi_message_get_redelivered (message);

  if (gtk_widget_get_visible (cell) != redelivered)
    gtk_widget_set_visible (cell, redelivered);
}

/* A routing-key word by its name, e.g. taskId, from the catalog's shape
 * of the message's exchange. */
static void
update_word (GtkWidget   *cell,
             GtkListItem *list_item,
             PiMessage   *message)
{
  const char *word = g_object_get_qdata (G_OBJECT (list_item), cell_word_quark);
  const PiCatalogExchange *exchange = NULL;
  g_autoptr(GArray) named = NULL;
  const char *text = NULL;

  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED)
    exchange = pi_catalog_lookup (pi_catalog_get_default (), pi_message_get_exchange (message));

  if (exchange != NULL &&
      (named = pi_catalog_exchange_name_words (exchange, pi_message_get_routing_key (message))))
    {
      for (guint i = 0; i < named->len && text == NULL; i++)
        {
          PiCatalogNamedWord *w = &g_array_index (named, PiCatalogNamedWord, i);

          if (g_strcmp0 (w->word->name, word) == 0)
            text = w->value;
        }
    }

  gtk_inscription_set_text (GTK_INSCRIPTION (cell), text);
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

/* The whole key, the constant word the cell leaves out included. */
static gboolean
query_routing_key_tooltip (GtkWidget   *label,
                           int          x,
                           int          y,
                           gboolean     keyboard_mode,
                           GtkTooltip  *tooltip,
                           GtkListItem *list_item)
{
  PiMessage *message = pi_message_cells_get_message (gtk_list_item_get_item (list_item));
  const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (label));

  if (message != NULL && pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED)
    text = pi_message_get_routing_key (message);

  if (text == NULL || *text == '\0')
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static gboolean
query_text_tooltip (GtkWidget   *label,
                    int          x,
                    int          y,
                    gboolean     keyboard_mode,
                    GtkTooltip  *tooltip,
                    GtkListItem *list_item)
{
  const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (label));

  if (text == NULL || *text == '\0')
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* Setup: one label per cell */

static GtkWidget *
new_cell_label (GtkListItem            *list_item,
                CellUpdate              update,
                float                   xalign,
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

/* The template names the column as the handlers' data. */
static void
wrap_in_span_cell (GtkListItem         *list_item,
                   GtkWidget           *label,
                   GtkColumnViewColumn *column)
{
  g_object_ref (label);
  gtk_list_item_set_child (list_item, NULL);
  gtk_list_item_set_child (list_item, pi_span_cell_new (label, column));
  g_object_unref (label);
  pi_span_cell_allow_spanning (column);
}

static void
setup_exchange_cell (GtkSignalListItemFactory *factory,
                     GtkListItem              *list_item,
                     GtkColumnViewColumn      *column)
{
  GtkWidget *label = new_cell_label (list_item, update_exchange, 0.0f, GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);

  wrap_in_span_cell (list_item, label, column);
  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (query_exchange_tooltip), list_item);
}

static void
setup_routing_key_cell (GtkSignalListItemFactory *factory,
                        GtkListItem              *list_item,
                        GtkColumnViewColumn      *column)
{
  GtkWidget *label = new_cell_label (list_item, update_routing_key, 0.0f, GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);

  wrap_in_span_cell (list_item, label, column);

  /* The column people read: a key's words line up in a fixed-width font. */
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (query_routing_key_tooltip), list_item);
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
  GtkWidget *image = gtk_image_new_from_icon_name ("view-refresh-symbolic");

  gtk_widget_set_tooltip_text (image, _("Redelivered"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (image),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Redelivered"),
                                  -1);
  gtk_widget_set_visible (image, FALSE);
  gtk_list_item_set_child (list_item, image);
  g_object_set_qdata (G_OBJECT (list_item), cell_update_quark, update_redelivered);
}

static void
setup_word_cell (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, update_word, 0.0f, GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);

  g_object_set_qdata (G_OBJECT (list_item), cell_word_quark, user_data);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (query_text_tooltip), list_item);
}

/* Bind: shared by the columns */

/* A dropped-messages row counts on while more are dropped with the same
 * reason (see pi_message_merge_dropped()): while a cell or row shows one,
 * it follows the count. Owned by the list item or row, so a recycled one
 * lets go of its last marker on its next bind. */
typedef struct
{
  PiMessage *message;
  gulong     handler_id;
} CountWatch;

static void
count_watch_free (gpointer data)
{
  CountWatch *watch = data;

  g_clear_signal_handler (&watch->handler_id, watch->message);
  g_object_unref (watch->message);
  g_free (watch);
}

/* Follows @message's count with @callback while @owner shows it; stops
 * following the one before. */
static void
watch_count (GObject   *owner,
             PiMessage *message,
             GCallback  callback)
{
  CountWatch *watch;

  if (g_object_get_qdata (owner, count_watch_quark) != NULL)
    g_object_set_qdata (owner, count_watch_quark, NULL);

  if (message == NULL || pi_message_get_kind (message) != PI_MESSAGE_KIND_DROPPED)
    return;

  watch = g_new0 (CountWatch, 1);
  watch->message = g_object_ref (message);
  watch->handler_id = g_signal_connect (message, "notify::dropped-count", callback, owner);
  g_object_set_qdata_full (owner, count_watch_quark, watch, count_watch_free);
}

static void
on_cell_count_changed (PiMessage   *message,
                       GParamSpec  *pspec,
                       GtkListItem *list_item)
{
  CellUpdate update = g_object_get_qdata (G_OBJECT (list_item), cell_update_quark);

  if (pi_message_cells_get_message (gtk_list_item_get_item (list_item)) == message)
    update (gtk_list_item_get_child (list_item), list_item, message);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  CellUpdate update = g_object_get_qdata (G_OBJECT (list_item), cell_update_quark);
  PiMessage *message = pi_message_cells_get_message (gtk_list_item_get_item (list_item));

  watch_count (G_OBJECT (list_item), message, G_CALLBACK (on_cell_count_changed));
  if (message != NULL)
    update (gtk_list_item_get_child (list_item), list_item, message);
}

static void
update_row_label (GtkColumnViewRow *row,
                  PiMessage        *message)
{
  g_autofree char *marker = message ? pi_message_cells_dup_marker_text (message) : NULL;

  if (marker != NULL || gtk_column_view_row_get_accessible_label (row) != NULL)
    gtk_column_view_row_set_accessible_label (row, marker);
}

static void
on_row_count_changed (PiMessage        *message,
                      GParamSpec       *pspec,
                      GtkColumnViewRow *row)
{
  if (pi_message_cells_get_message (gtk_column_view_row_get_item (row)) == message)
    update_row_label (row, message);
}

/* A row that is not a message is named by what it says: the screen reader
 * reads the whole text, as the span shows it. */
static void
bind_row (GtkSignalListItemFactory *factory,
          GtkColumnViewRow         *row,
          gpointer                  user_data)
{
  PiMessage *message = pi_message_cells_get_message (gtk_column_view_row_get_item (row));

  watch_count (G_OBJECT (row), message, G_CALLBACK (on_row_count_changed));
  update_row_label (row, message);
}

/**
 * pi_message_cells_new_word_factory:
 * @word: (transfer none): a routing-key word's name, e.g. "taskId"; a
 *   static string of the catalog
 *
 * Returns: (transfer full): the factory of a column that shows @word
 */
GtkListItemFactory *
pi_message_cells_new_word_factory (const char *word)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_word_cell), (gpointer) word);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), NULL);

  return factory;
}

void
pi_message_cells_bind_template_callbacks (GtkWidgetClass *widget_class)
{
  cell_update_quark = g_quark_from_static_string ("pi-cell-update");
  cell_word_quark = g_quark_from_static_string ("pi-cell-word");
  count_watch_quark = g_quark_from_static_string ("pi-cell-count-watch");

  gtk_widget_class_bind_template_callback (widget_class, setup_sequence_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_time_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_exchange_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_routing_key_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_routes_cell);
  gtk_widget_class_bind_template_callback (widget_class, setup_redelivered_cell);
  gtk_widget_class_bind_template_callback (widget_class, bind_cell);
  gtk_widget_class_bind_template_callback (widget_class, bind_row);
}
