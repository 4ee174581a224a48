/* pi-message-details.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-details"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pi-catalog.h"
#include "pi-json-util.h"
#include "pi-message-details.h"
#include "pi-payload-tree.h"

/* Expanding the first level is for reading a typical message at a glance;
 * a payload with a huge top-level array should not create thousands of
 * rows before anyone asked for them. */
#define MAX_AUTO_EXPANDED_ROWS 200

struct _PiMessageDetails
{
  GtkWidget           parent_instance;

  /* Template widgets */
  GtkStack           *stack;
  AdwStatusPage      *gap_page;
  GtkGrid            *fields_grid;
  GtkStack           *payload_stack;
  AdwViewStack       *view_stack;
  GtkColumnView      *tree_view;
  GtkSingleSelection *tree_selection;
  GtkTextView        *raw_view;
  GtkLabel           *error_label;
  GtkTextView        *undecodable_view;

  /* Owned */
  PiMessage          *message;
  JsonNode           *payload;
  GtkTreeListModel   *tree_model;

  guint               raw_is_current : 1;
};

G_DEFINE_FINAL_TYPE (PiMessageDetails, pi_message_details, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static PiJsonItem *
get_selected_item (PiMessageDetails *self)
{
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (self->tree_selection);

  if (row == NULL)
    return NULL;

  return gtk_tree_list_row_get_item (row);
}

static void
update_actions (PiMessageDetails *self)
{
  g_autoptr(PiJsonItem) item = get_selected_item (self);
  gboolean has_message;

  has_message = self->message != NULL &&
                pi_message_get_kind (self->message) != PI_MESSAGE_KIND_GAP;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.copy-message", has_message);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.copy-payload", self->payload != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.copy-value", item != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.copy-path", item != NULL);
}

/* Copies @text (taken) as UTF-8 bytes, not with gdk_clipboard_set_text ().
 *
 * GDK serializes a string value through a GConverterOutputStream that it
 * drops without closing; on X11 the last unref, on the main thread, closes
 * the selection stream synchronously, and for a transfer that is
 * incremental (INCR: anything over one X request, about 256 KB) that close
 * waits for the other program's next PropertyNotify, which only the main
 * thread could process: the window froze for good the moment another
 * program read a large copied value (issue 12, point 8). Bytes are written
 * to the selection stream as they are, asynchronously, and the X11
 * clipboard code closes the stream asynchronously too.
 *
 * The text is built once, before copying, never lazily on request. */
static void
copy_text (PiMessageDetails *self,
           char             *text)
{
  g_autoptr(GBytes) bytes = NULL;
  GdkContentProvider *providers[2];
  g_autoptr(GdkContentProvider) provider = NULL;

  if (text == NULL)
    return;

  bytes = g_bytes_new_take (text, strlen (text));
  /* "text/plain" too, for programs that ask for nothing else; UTF-8 is
   * what they get in practice from every toolkit. */
  providers[0] = gdk_content_provider_new_for_bytes ("text/plain;charset=utf-8", bytes);
  providers[1] = gdk_content_provider_new_for_bytes ("text/plain", bytes);
  provider = gdk_content_provider_new_union (providers, G_N_ELEMENTS (providers));

  gdk_clipboard_set_content (gtk_widget_get_clipboard (GTK_WIDGET (self)), provider);
}

static void
copy_message_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  JsonNode *node;

  if (self->message == NULL)
    return;

  /* Pretty-printed like the raw view; the wire text if it is not JSON (or
   * nested too deep for json-glib: an undecodable message can be). */
  if (pi_json_parser_load (parser, pi_message_get_raw (self->message), -1, NULL) &&
      (node = json_parser_get_root (parser)) != NULL)
    text = json_to_string (node, TRUE);
  else
    text = g_strdup (pi_message_get_raw (self->message));

  copy_text (self, g_steal_pointer (&text));
}

static void
copy_payload_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);
  g_autofree char *text = NULL;

  if (self->payload == NULL)
    return;

  text = json_to_string (self->payload, TRUE);
  copy_text (self, g_steal_pointer (&text));
}

static void
copy_value_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);
  g_autoptr(PiJsonItem) item = get_selected_item (self);
  g_autofree char *text = NULL;

  if (item == NULL)
    return;

  text = pi_json_item_dup_value_text (item);
  copy_text (self, g_steal_pointer (&text));
}

static void
copy_path_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);
  g_autoptr(PiJsonItem) item = get_selected_item (self);

  if (item != NULL)
    copy_text (self, g_strdup (pi_json_item_get_path (item)));
}

static void
on_tree_selection_changed (PiMessageDetails *self)
{
  update_actions (self);
}

/* The raw text is made when the Raw page is shown, not for every message
 * the user clicks through. */
static void
update_raw_view (PiMessageDetails *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->raw_view);
  g_autofree char *text = NULL;

  if (self->raw_is_current)
    return;

  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "raw") != 0)
    return;

  if (self->payload != NULL)
    text = json_to_string (self->payload, TRUE);

  gtk_text_buffer_set_text (buffer, text ? text : "", -1);
  self->raw_is_current = TRUE;
}

static void
on_view_changed (PiMessageDetails *self)
{
  update_raw_view (self);
}

static GListModel *
create_children_func (gpointer item,
                      gpointer user_data)
{
  return pi_json_item_create_children (item);
}

/* Fields */

static void
clear_fields (PiMessageDetails *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->fields_grid))))
    gtk_grid_remove (self->fields_grid, child);
}

static void
add_field (PiMessageDetails *self,
           int              *row,
           const char       *name,
           const char       *value,
           gboolean          indented)
{
  GtkWidget *name_label;
  GtkWidget *value_label;

  name_label = g_object_new (GTK_TYPE_LABEL,
                             "label", name,
                             "xalign", 1.0f,
                             "yalign", 0.0f,
                             "margin-start", indented ? 12 : 0,
                             NULL);
  gtk_widget_add_css_class (name_label, "dim-label");

  value_label = g_object_new (GTK_TYPE_LABEL,
                              "label", value && *value ? value : "—",
                              "xalign", 0.0f,
                              "hexpand", TRUE,
                              "selectable", TRUE,
                              "wrap", TRUE,
                              "wrap-mode", PANGO_WRAP_WORD_CHAR,
                              NULL);
  if (value == NULL || *value == '\0')
    gtk_widget_add_css_class (value_label, "dim-label");

  gtk_grid_attach (self->fields_grid, name_label, 0, *row, 1, 1);
  gtk_grid_attach (self->fields_grid, value_label, 1, *row, 1, 1);
  (*row)++;
}

static void
add_routing_key_words (PiMessageDetails *self,
                       int              *row,
                       const char       *exchange,
                       const char       *routing_key)
{
  const PiCatalogExchange *info = NULL;
  g_autoptr(GArray) named = NULL;

  if (exchange != NULL && *exchange != '\0')
    info = pi_catalog_lookup (pi_catalog_get_default (), exchange);

  /* NULL too when the key does not have the exchange's shape. */
  if (info != NULL)
    named = pi_catalog_exchange_name_words (info, routing_key);

  if (named != NULL)
    {
      for (guint i = 0; i < named->len; i++)
        {
          const PiCatalogNamedWord *word = &g_array_index (named, PiCatalogNamedWord, i);

          add_field (self, row, word->word->name, word->value, TRUE);
        }
    }
  else
    {
      g_auto(GStrv) words = g_strsplit (routing_key, ".", -1);

      /* An exchange we know nothing about: the words by position. */
      for (guint i = 0; words[i] != NULL; i++)
        {
          g_autofree char *name = g_strdup_printf (_("Word %u"), i + 1);

          add_field (self, row, name, words[i], TRUE);
        }
    }
}

static void
fill_fields (PiMessageDetails *self)
{
  PiMessage *message = self->message;
  const char * const *routes = pi_message_get_routes (message);
  const char *exchange = pi_message_get_exchange (message);
  const char *routing_key = pi_message_get_routing_key (message);
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *routes_text = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *size_text = NULL;
  g_autofree char *size_human = NULL;
  gint64 usec;
  gsize size;
  int row = 0;

  clear_fields (self);

  add_field (self, &row, _("Exchange"), exchange, FALSE);
  add_field (self, &row, _("Routing Key"), routing_key, FALSE);
  if (routing_key != NULL && *routing_key != '\0')
    add_routing_key_words (self, &row, exchange, routing_key);

  if (routes != NULL && routes[0] != NULL)
    routes_text = g_strjoinv ("\n", (char **)routes);
  add_field (self, &row, _("Routes"), routes_text, FALSE);

  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED)
    add_field (self, &row, _("Redelivered"),
               pi_message_get_redelivered (message) ? _("Yes") : _("No"), FALSE);

  usec = pi_message_get_time_received (message);
  if ((dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC)))
    {
      g_autofree char *base = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");

      time_text = g_strdup_printf ("%s.%03d", base, (int)((usec % G_USEC_PER_SEC) / 1000));
    }
  add_field (self, &row, _("Received"), time_text, FALSE);

  size = pi_message_get_size (message);
  size_human = g_format_size (size);
  /* Translators: a message's size, "1.1 kB (1,134 bytes)" */
  size_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (%zu byte)", "%s (%zu bytes)", size),
                               size_human, size);
  add_field (self, &row, _("Size"), size_text, FALSE);
}

static void
show_payload (PiMessageDetails *self)
{
  g_autoptr(GListModel) root = NULL;
  guint n_root;

  root = pi_payload_tree_new_root (self->payload);
  self->tree_model = gtk_tree_list_model_new (g_steal_pointer (&root), FALSE, FALSE,
                                              create_children_func, NULL, NULL);
  gtk_single_selection_set_model (self->tree_selection, G_LIST_MODEL (self->tree_model));

  n_root = g_list_model_get_n_items (gtk_tree_list_model_get_model (self->tree_model));
  for (guint i = 0; i < n_root; i++)
    {
      g_autoptr(GtkTreeListRow) row = gtk_tree_list_model_get_child_row (self->tree_model, i);

      if (g_list_model_get_n_items (G_LIST_MODEL (self->tree_model)) >= MAX_AUTO_EXPANDED_ROWS)
        break;

      if (row != NULL && gtk_tree_list_row_is_expandable (row))
        gtk_tree_list_row_set_expanded (row, TRUE);
    }

  gtk_stack_set_visible_child_name (self->payload_stack, "payload");
}

static void
show_undecodable (PiMessageDetails *self)
{
  const char *error = pi_message_get_error (self->message);
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("This message could not be decoded: %s"),
                          error ? error : _("unknown error"));
  gtk_label_set_label (self->error_label, text);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->undecodable_view),
                            pi_message_get_raw (self->message), -1);
  gtk_stack_set_visible_child_name (self->payload_stack, "undecodable");
}

static void
reset (PiMessageDetails *self)
{
  gtk_single_selection_set_model (self->tree_selection, NULL);
  g_clear_object (&self->tree_model);
  g_clear_pointer (&self->payload, json_node_unref);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->raw_view), "", 0);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->undecodable_view), "", 0);
  self->raw_is_current = FALSE;
}

static void
update (PiMessageDetails *self)
{
  reset (self);

  if (self->message == NULL)
    {
      clear_fields (self);
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
  else if (pi_message_get_kind (self->message) == PI_MESSAGE_KIND_GAP)
    {
      const char *reason = pi_message_get_error (self->message);
      g_autofree char *description = NULL;

      if (reason != NULL && *reason != '\0')
        /* Translators: %s says why the connection was lost */
        description = g_strdup_printf (_("Messages may be missing here. %s"), reason);
      else
        description = g_strdup (_("Messages may be missing here."));

      adw_status_page_set_description (self->gap_page, description);
      clear_fields (self);
      gtk_stack_set_visible_child_name (self->stack, "gap");
    }
  else
    {
      fill_fields (self);

      if (pi_message_get_kind (self->message) == PI_MESSAGE_KIND_UNDECODABLE ||
          !(self->payload = pi_message_dup_payload (self->message)))
        show_undecodable (self);
      else
        show_payload (self);

      update_raw_view (self);
      gtk_stack_set_visible_child_name (self->stack, "message");
    }

  update_actions (self);
}

/* GObject */

static void
pi_message_details_dispose (GObject *object)
{
  PiMessageDetails *self = (PiMessageDetails *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_MESSAGE_DETAILS);

  g_clear_object (&self->tree_model);
  g_clear_object (&self->message);
  g_clear_pointer (&self->payload, json_node_unref);

  G_OBJECT_CLASS (pi_message_details_parent_class)->dispose (object);
}

static void
pi_message_details_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_details_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      pi_message_details_set_message (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_details_class_init (PiMessageDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_message_details_dispose;
  object_class->get_property = pi_message_details_get_property;
  object_class->set_property = pi_message_details_set_property;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL,
                         PI_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PI_TYPE_JSON_ITEM);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-message-details.ui");
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, stack);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, gap_page);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, fields_grid);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, payload_stack);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, view_stack);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, tree_view);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, tree_selection);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, raw_view);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, error_label);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, undecodable_view);
  gtk_widget_class_bind_template_callback (widget_class, on_tree_selection_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_view_changed);

  gtk_widget_class_install_action (widget_class, "details.copy-message", NULL, copy_message_action);
  gtk_widget_class_install_action (widget_class, "details.copy-payload", NULL, copy_payload_action);
  gtk_widget_class_install_action (widget_class, "details.copy-value", NULL, copy_value_action);
  gtk_widget_class_install_action (widget_class, "details.copy-path", NULL, copy_path_action);

  /* Plain Ctrl+C still copies a text selection: the focused text view or
   * label sees the key before these bubble-phase bindings do. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK,
                                       "details.copy-value", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "details.copy-path", NULL);

  gtk_widget_class_set_css_name (widget_class, "pimessagedetails");
}

static void
pi_message_details_init (PiMessageDetails *self)
{
  g_type_ensure (ADW_TYPE_STATUS_PAGE);
  g_type_ensure (ADW_TYPE_VIEW_STACK);
  g_type_ensure (ADW_TYPE_VIEW_SWITCHER);

  gtk_widget_init_template (GTK_WIDGET (self));

  update (self);
}

GtkWidget *
pi_message_details_new (void)
{
  return g_object_new (PI_TYPE_MESSAGE_DETAILS, NULL);
}

/**
 * pi_message_details_get_message:
 *
 * Returns: (transfer none) (nullable): the message shown
 */
PiMessage *
pi_message_details_get_message (PiMessageDetails *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  return self->message;
}

void
pi_message_details_set_message (PiMessageDetails *self,
                                PiMessage        *message)
{
  g_return_if_fail (PI_IS_MESSAGE_DETAILS (self));
  g_return_if_fail (!message || PI_IS_MESSAGE (message));

  if (!g_set_object (&self->message, message))
    return;

  update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

/**
 * pi_message_details_get_visible_page:
 *
 * Returns: "empty", "gap", "message" (with a payload tree) or "undecodable"
 */
const char *
pi_message_details_get_visible_page (PiMessageDetails *self)
{
  const char *page;

  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  page = gtk_stack_get_visible_child_name (self->stack);
  if (g_strcmp0 (page, "message") == 0 &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->payload_stack), "undecodable") == 0)
    return "undecodable";

  return page;
}

/**
 * pi_message_details_get_field:
 * @name: a field's label, like "Exchange" or "taskId"
 *
 * Returns: (nullable): the text shown beside @name
 */
const char *
pi_message_details_get_field (PiMessageDetails *self,
                              const char       *name)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (int row = 0; ; row++)
    {
      GtkWidget *name_label = gtk_grid_get_child_at (self->fields_grid, 0, row);
      GtkWidget *value_label = gtk_grid_get_child_at (self->fields_grid, 1, row);

      if (name_label == NULL)
        return NULL;

      if (g_strcmp0 (gtk_label_get_label (GTK_LABEL (name_label)), name) == 0)
        return gtk_label_get_label (GTK_LABEL (value_label));
    }
}

/**
 * pi_message_details_get_tree_model:
 *
 * Returns: (transfer none): the selection model of the payload tree, whose
 *   items are #GtkTreeListRow of #PiJsonItem
 */
GListModel *
pi_message_details_get_tree_model (PiMessageDetails *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  return G_LIST_MODEL (self->tree_selection);
}

/**
 * pi_message_details_dup_raw_text:
 *
 * Shows the Raw page and returns its text.
 *
 * Returns: (transfer full): the raw view's text
 */
char *
pi_message_details_dup_raw_text (PiMessageDetails *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter begin, end;

  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  adw_view_stack_set_visible_child_name (self->view_stack, "raw");
  buffer = gtk_text_view_get_buffer (self->raw_view);
  gtk_text_buffer_get_bounds (buffer, &begin, &end);

  return gtk_text_buffer_get_text (buffer, &begin, &end, FALSE);
}

const char *
pi_message_details_get_error_text (PiMessageDetails *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  return gtk_label_get_label (self->error_label);
}
