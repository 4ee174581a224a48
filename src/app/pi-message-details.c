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
#include <string.h>

#include "pi-application.h"
#include "pi-message-cells.h"
#include "pi-message-details.h"
#include "pi-message-fields.h"
#include "pi-message-raw.h"
#include "pi-payload-tree.h"

/* Expanding the first level is for reading a typical message at a glance;
 * a payload with a huge top-level array should not create thousands of
 * rows before anyone asked for them. */
#define MAX_AUTO_EXPANDED_ROWS 200

/* The details of the selected message on three pages, Fields, Payload and
 * Raw, each with the pane's whole height; the page chosen stays chosen
 * from message to message (and from run to run, in "details-page"). */
struct _PiMessageDetails
{
  GtkWidget           parent_instance;

  /* Template widgets */
  GtkStack           *stack;
  AdwStatusPage      *gap_page;
  PiMessageFields    *fields;
  GtkStack           *payload_stack;
  AdwViewStack       *view_stack;
  GtkListView        *tree_view;
  GtkSingleSelection *tree_selection;
  PiMessageRaw       *raw;
  AdwStatusPage      *undecodable_page;
  GtkMenuButton      *copy_button;
  GMenuModel         *copy_menu;
  GMenuModel         *copy_message_menu;

  /* Owned */
  PiMessage          *message;
  gulong              count_id;    /* a dropped entry's count, which grows */
  JsonNode           *payload;
  GtkTreeListModel   *tree_model;
  GSettings          *settings;

  /* Borrowed */
  AdwToast           *copied_toast;  /* weak */

  /* Each page is made when it is shown, not for every message walked
   * past on another page. */
  guint               fields_is_current : 1;
  guint               payload_is_current : 1;
  guint               raw_is_current : 1;
};

G_DEFINE_FINAL_TYPE (PiMessageDetails, pi_message_details, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_marker (PiMessage *message)
{
  PiMessageKind kind = pi_message_get_kind (message);

  return kind == PI_MESSAGE_KIND_GAP || kind == PI_MESSAGE_KIND_DROPPED || kind == PI_MESSAGE_KIND_SWITCH;
}

static gboolean
has_payload (PiMessageDetails *self)
{
  return self->message != NULL &&
         !is_marker (self->message) &&
         pi_message_get_kind (self->message) != PI_MESSAGE_KIND_UNDECODABLE &&
         pi_message_get_payload_text (self->message, NULL) != NULL;
}

static gboolean
page_is_visible (PiMessageDetails *self,
                 const char       *name)
{
  return g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), name) == 0;
}

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

  has_message = self->message != NULL && !is_marker (self->message);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.copy-message", has_message);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.copy-payload", has_payload (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.copy-value", item != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.copy-path", item != NULL);
}

/* Copying changes nothing on screen: a brief toast says it happened, in
 * the overlay of whichever window holds the pane (the live window or a
 * capture window); a pane in no overlay copies silently. One toast at a
 * time: copying again replaces it rather than queueing toasts that would
 * go on saying "copied" long after. */
static void
show_copied (PiMessageDetails *self,
             const char       *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  AdwToast *toast;

  if (overlay == NULL)
    return;

  if (self->copied_toast != NULL)
    adw_toast_dismiss (self->copied_toast);

  toast = adw_toast_new (title);
  adw_toast_set_use_markup (toast, FALSE);
  adw_toast_set_timeout (toast, 2);
  g_set_weak_pointer (&self->copied_toast, toast);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
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
           char             *text,
           const char       *copied)
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
  show_copied (self, copied);
}

static void
copy_message_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);

  if (self->message != NULL && !is_marker (self->message))
    copy_text (self, pi_message_raw_dup_message_text (self->message), _("Message copied"));
}

static void
copy_payload_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);
  const char *text;
  gsize len;

  if (!has_payload (self))
    return;

  /* As received, like the Raw page: no number or escape rewritten. */
  if ((text = pi_message_get_payload_text (self->message, &len)))
    copy_text (self, pi_json_indent (text, len), _("Payload copied"));
}

static void
copy_value_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);
  g_autoptr(PiJsonItem) item = get_selected_item (self);

  if (item != NULL)
    copy_text (self, pi_json_item_dup_value_text (item), _("Value copied"));
}

static void
copy_path_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);
  g_autoptr(PiJsonItem) item = get_selected_item (self);

  if (item != NULL)
    copy_text (self, g_strdup (pi_json_item_get_path (item)), _("Path copied"));
}

static void
page_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  PiMessageDetails *self = PI_MESSAGE_DETAILS (widget);
  const char *name = g_variant_get_string (param, NULL);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) == NULL)
    return;

  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

static void
on_tree_selection_changed (PiMessageDetails *self)
{
  update_actions (self);
}

static void
update_raw_page (PiMessageDetails *self,
                 gboolean          even_hidden)
{
  if (self->raw_is_current || (!even_hidden && !page_is_visible (self, "raw")))
    return;

  pi_message_raw_set_message (self->raw, self->message != NULL && !is_marker (self->message)
                                         ? self->message : NULL);
  self->raw_is_current = TRUE;
}

static GListModel *
create_children_func (gpointer item,
                      gpointer user_data)
{
  return pi_json_item_create_children (item);
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

  gtk_stack_set_visible_child_name (self->payload_stack, "tree");
}

static void
show_undecodable (PiMessageDetails *self)
{
  const char *error = pi_message_get_error (self->message);
  g_autofree char *text = NULL;

  if (pi_message_get_kind (self->message) == PI_MESSAGE_KIND_UNDECODABLE)
    text = g_strdup_printf (_("This message could not be decoded: %s"),
                            error ? error : _("unknown error"));
  else
    text = g_strdup (_("This message has no payload."));

  adw_status_page_set_description (self->undecodable_page, text);
  gtk_stack_set_visible_child_name (self->payload_stack, "undecodable");
}

static void
update_fields_page (PiMessageDetails *self,
                    gboolean          even_hidden)
{
  if (self->fields_is_current || (!even_hidden && !page_is_visible (self, "fields")))
    return;

  pi_message_fields_set_message (self->fields, self->message);
  self->fields_is_current = TRUE;
}

static void
update_payload_page (PiMessageDetails *self,
                     gboolean          even_hidden)
{
  if (self->payload_is_current || (!even_hidden && !page_is_visible (self, "payload")))
    return;

  self->payload_is_current = TRUE;
  if (self->message == NULL || is_marker (self->message))
    return;

  if (pi_message_get_kind (self->message) == PI_MESSAGE_KIND_UNDECODABLE ||
      !(self->payload = pi_message_dup_payload (self->message)))
    show_undecodable (self);
  else
    show_payload (self);

  update_actions (self);
}

/* Copy Value and Copy Path copy the payload tree's selected row: the menu
 * offers them only where the tree is shown, not greyed out on the pages
 * without one. */
static void
update_copy_menu (PiMessageDetails *self)
{
  gtk_menu_button_set_menu_model (self->copy_button,
                                  page_is_visible (self, "payload")
                                  ? self->copy_menu : self->copy_message_menu);
}

static void
on_view_changed (PiMessageDetails *self)
{
  update_copy_menu (self);
  update_fields_page (self, FALSE);
  update_payload_page (self, FALSE);
  update_raw_page (self, FALSE);
}

/* For a dropped entry that counts several reports, when they came:
 * "Reported from 12:00:01 to 12:00:09." */
static char *
dup_dropped_span (PiMessage *message)
{
  gint64 since = pi_message_get_time_received (message) / G_USEC_PER_SEC;
  gint64 until = pi_message_get_dropped_until (message) / G_USEC_PER_SEC;
  g_autoptr(GDateTime) first = NULL;
  g_autoptr(GDateTime) last = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  if (until <= since ||
      !(first = g_date_time_new_from_unix_local (since)) ||
      !(last = g_date_time_new_from_unix_local (until)))
    return NULL;

  from = g_date_time_format (first, "%H:%M:%S");
  to = g_date_time_format (last, "%H:%M:%S");
  /* Translators: when the server's reports of dropped messages came, two times of day */
  return g_strdup_printf (_("Reported from %s to %s."), from, to);
}

/* What a gap or a dropped entry in the list means, in place of pages that
 * would be empty. */
static void
show_marker (PiMessageDetails *self)
{
  PiMessage *message = self->message;
  g_autofree char *description = NULL;

  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_GAP)
    {
      const char *reason = pi_message_get_error (message);

      if (reason != NULL && *reason != '\0')
        /* Translators: %s says why the connection was lost */
        description = g_strdup_printf (_("Messages may be missing here. %s"), reason);
      else
        description = g_strdup (_("Messages may be missing here."));

      adw_status_page_set_icon_name (self->gap_page, "network-offline-symbolic");
      adw_status_page_set_title (self->gap_page, _("Connection Lost"));
    }
  else if (pi_message_get_kind (message) == PI_MESSAGE_KIND_SWITCH)
    {
      /* Translators: %s is a deployment's name or a server's host */
      description = g_strdup_printf (_("The messages above came from the previous server; those below come from %s."),
                                     pi_message_get_error (message));
      adw_status_page_set_icon_name (self->gap_page, "network-server-symbolic");
      adw_status_page_set_title (self->gap_page, _("Server Changed"));
    }
  else
    {
      const char *reason = pi_message_get_dropped_reason (message);
      g_autofree char *what = pi_message_cells_dup_marker_text (message);
      g_autofree char *span = dup_dropped_span (message);
      const char *why;

      if (g_strcmp0 (reason, "too-large") == 0)
        why = _("The server can hold only so much for each client; a message larger than that cannot be sent and is left out. The connection stayed open: the messages around this line are complete.");
      else if (g_strcmp0 (reason, "too-slow") == 0)
        /* Over events v1 the stream goes on; over WebSocket pulse-events then
         * closes the connection, and the next line of the list says so. */
        why = _("The server’s queue for this client filled up because messages arrived faster than they were read.");
      else
        why = _("The server gave no reason. The connection stayed open.");

      /* Translators: "3 messages dropped by the server: …" and why */
      description = g_strdup_printf (_("%s.\n\n%s"), what, why);
      if (span != NULL)
        {
          g_autofree char *with_span = g_strconcat (description, "\n\n", span, NULL);

          g_set_str (&description, with_span);
        }

      adw_status_page_set_icon_name (self->gap_page, "dialog-warning-symbolic");
      adw_status_page_set_title (self->gap_page,
                                 g_dngettext (GETTEXT_PACKAGE, "Message Dropped", "Messages Dropped",
                                              (gulong) MIN (pi_message_get_dropped_count (message), G_MAXULONG)));
    }

  adw_status_page_set_description (self->gap_page, description);
  gtk_stack_set_visible_child_name (self->stack, "gap");
}

static void
reset (PiMessageDetails *self)
{
  if (self->tree_model != NULL)
    {
      gtk_single_selection_set_model (self->tree_selection, NULL);
      g_clear_object (&self->tree_model);
    }
  g_clear_pointer (&self->payload, json_node_unref);
  /* The old text goes now, not when Raw is next shown: it may be large. */
  pi_message_raw_set_message (self->raw, NULL);

  self->fields_is_current = FALSE;
  self->payload_is_current = FALSE;
  self->raw_is_current = FALSE;
}

static void
update (PiMessageDetails *self)
{
  reset (self);
  update_copy_menu (self);

  if (self->message == NULL)
    gtk_stack_set_visible_child_name (self->stack, "empty");
  else if (is_marker (self->message))
    show_marker (self);
  else
    {
      on_view_changed (self);
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
  if (self->message != NULL)
    g_clear_signal_handler (&self->count_id, self->message);
  g_clear_object (&self->message);
  g_clear_pointer (&self->payload, json_node_unref);
  g_clear_object (&self->settings);
  g_clear_weak_pointer (&self->copied_toast);

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
  g_type_ensure (PI_TYPE_MESSAGE_FIELDS);
  g_type_ensure (PI_TYPE_MESSAGE_RAW);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-message-details.ui");
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, stack);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, gap_page);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, fields);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, payload_stack);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, view_stack);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, tree_view);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, tree_selection);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, raw);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, undecodable_page);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, copy_button);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, copy_menu);
  gtk_widget_class_bind_template_child (widget_class, PiMessageDetails, copy_message_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_tree_selection_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_view_changed);
  gtk_widget_class_bind_template_callback_full (widget_class, "value_css_classes",
                                                G_CALLBACK (pi_payload_tree_value_css_classes));
  gtk_widget_class_bind_template_callback_full (widget_class, "value_tooltip",
                                                G_CALLBACK (pi_payload_tree_value_tooltip));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_value_tooltip_changed",
                                                G_CALLBACK (pi_payload_tree_value_tooltip_changed));

  gtk_widget_class_install_action (widget_class, "details.copy-message", NULL, copy_message_action);
  gtk_widget_class_install_action (widget_class, "details.copy-payload", NULL, copy_payload_action);
  gtk_widget_class_install_action (widget_class, "details.copy-value", NULL, copy_value_action);
  gtk_widget_class_install_action (widget_class, "details.copy-path", NULL, copy_path_action);
  gtk_widget_class_install_action (widget_class, "details.page", "s", page_action);

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
  g_type_ensure (ADW_TYPE_INLINE_VIEW_SWITCHER);
  g_type_ensure (ADW_TYPE_TOOLBAR_VIEW);

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Each page from the keyboard wherever the focus is in the window, as
   * the shortcuts window lists them (the switcher's toggles take arrow
   * keys, and the titles' mnemonics Alt+F, Alt+P, Alt+R, too). */
  {
    GtkEventController *shortcuts = gtk_shortcut_controller_new ();
    const char *pages[] = { "fields", "payload", "raw" };

    gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_GLOBAL);
    for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
      {
        GtkShortcut *shortcut = gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_1 + i, GDK_ALT_MASK),
                                                  gtk_named_action_new ("details.page"));

        gtk_shortcut_set_arguments (shortcut, g_variant_new_string (pages[i]));
        gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts), shortcut);
      }
    gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);
  }

  /* Tests and the benchmark may run without the schema installed. */
  {
    GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
    g_autoptr(GSettingsSchema) schema = NULL;

    if (source != NULL &&
        (schema = g_settings_schema_source_lookup (source, PI_SETTINGS_SCHEMA_ID, TRUE)) != NULL &&
        g_settings_schema_has_key (schema, "details-page"))
      {
        self->settings = g_settings_new_full (schema, NULL, NULL);
        g_settings_bind (self->settings, "details-page", self->view_stack, "visible-child-name",
                         G_SETTINGS_BIND_DEFAULT);
      }
  }

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

  if (self->message == message)
    return;

  if (self->message != NULL)
    g_clear_signal_handler (&self->count_id, self->message);
  g_set_object (&self->message, message);
  /* More dropped with the same reason count in the same entry. */
  if (message != NULL && pi_message_get_kind (message) == PI_MESSAGE_KIND_DROPPED)
    self->count_id = g_signal_connect_swapped (message, "notify::dropped-count",
                                               G_CALLBACK (show_marker), self);

  update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

/**
 * pi_message_details_get_visible_page:
 *
 * Returns: "empty", "gap" (a gap or dropped entry), "message" (with a
 *   payload tree) or "undecodable" (a message without a payload tree)
 */
const char *
pi_message_details_get_visible_page (PiMessageDetails *self)
{
  const char *page;

  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  update_payload_page (self, TRUE);
  page = gtk_stack_get_visible_child_name (self->stack);
  if (g_strcmp0 (page, "message") == 0 &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->payload_stack), "undecodable") == 0)
    return "undecodable";

  return page;
}

/**
 * pi_message_details_get_field:
 * @name: a field's name, like "Exchange" or "taskId"
 *
 * Returns: (nullable): the text shown as @name's value on the Fields page
 */
const char *
pi_message_details_get_field (PiMessageDetails *self,
                              const char       *name)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  update_fields_page (self, TRUE);
  return pi_message_fields_get_field (self->fields, name);
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

  update_payload_page (self, TRUE);
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
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  adw_view_stack_set_visible_child_name (self->view_stack, "raw");

  return pi_message_raw_dup_text (self->raw);
}

const char *
pi_message_details_get_error_text (PiMessageDetails *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  update_payload_page (self, TRUE);
  return adw_status_page_get_description (self->undecodable_page);
}

/**
 * pi_message_details_get_view:
 *
 * Returns: the page chosen in the switcher: "fields", "payload" or "raw"
 */
const char *
pi_message_details_get_view (PiMessageDetails *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  return adw_view_stack_get_visible_child_name (self->view_stack);
}

const char *
pi_message_details_get_status_text (PiMessageDetails *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  return adw_status_page_get_description (self->gap_page);
}

/**
 * pi_message_details_get_raw_notice:
 *
 * Returns: (transfer none): the Raw page's notice that long lines are
 *   shortened (visible only then)
 */
GtkWidget *
pi_message_details_get_raw_notice (PiMessageDetails *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_DETAILS (self), NULL);

  return pi_message_raw_get_notice (self->raw);
}
