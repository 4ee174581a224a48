/* pi-message-list.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-list"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pi-message-cells.h"
#include "pi-message-list-private.h"


/*
 * The message table: the rows of a store (the session's, or a capture's),
 * the filter and its search bar, the selection, and the public API. It only
 * shows: what is held while paused, and what Clear keeps for Undo, are the
 * session's. Following the newest rows is in pi-message-list-follow.c, the
 * columns in pi-message-list-columns.c.
 */

G_DEFINE_FINAL_TYPE (PiMessageList, pi_message_list, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STORE,
  PROP_SELECTED_MESSAGE,
  PROP_FILTER_TEXT,
  PROP_FOLLOW,
  PROP_N_SHOWN,
  PROP_SEARCH_MODE,
  PROP_COMPACT,
  PROP_MEDIUM,
  PROP_COLUMNS_MENU,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
_pi_message_list_set_selected (PiMessageList *self,
                               PiMessage     *message)
{
  if (self->filter != NULL)
    pi_text_filter_set_kept (self->filter, message);
  if (g_set_object (&self->selected, message))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_MESSAGE]);
}

/* Counts and pages */

static void
update_counts (PiMessageList *self)
{
  g_autofree char *text = NULL;
  const char *page;
  guint n_total;
  guint n_shown;

  n_total = self->store ? g_list_model_get_n_items (G_LIST_MODEL (self->store)) : 0;
  n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));

  /* Translators: "12 of 2,000 shown": messages that match the filter, of those kept */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u shown", "%u of %u shown", n_total),
                          n_shown, n_total);
  gtk_label_set_label (self->count_label, text);

  if (n_total == 0)
    page = "waiting";
  else if (n_shown == 0)
    page = "no-match";
  else
    page = "messages";

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), page) != 0)
    gtk_stack_set_visible_child_name (self->stack, page);

  if (n_shown != self->n_shown)
    {
      self->n_shown = n_shown;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SHOWN]);
    }
}

static void
on_model_items_changed (PiMessageList *self,
                        guint          position,
                        guint          removed,
                        guint          added,
                        GListModel    *model)
{
  update_counts (self);
}

/* Filtering */

static void
on_search_changed (PiMessageList  *self,
                   GtkSearchEntry *entry)
{
  if (self->setting_entry)
    return;

  pi_message_list_set_filter_text (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* GObject */

static void
pi_message_list_realize (GtkWidget *widget)
{
  PiMessageList *self = (PiMessageList *)widget;

  GTK_WIDGET_CLASS (pi_message_list_parent_class)->realize (widget);

  self->frame_clock = gtk_widget_get_frame_clock (widget);
  self->after_paint_id = g_signal_connect_object (self->frame_clock, "after-paint",
                                                  G_CALLBACK (_pi_message_list_after_paint), self,
                                                  G_CONNECT_SWAPPED);
  self->layout_id = g_signal_connect_object (self->frame_clock, "layout",
                                             G_CALLBACK (_pi_message_list_layout), self,
                                             G_CONNECT_SWAPPED | G_CONNECT_AFTER);
}

static void
pi_message_list_unrealize (GtkWidget *widget)
{
  PiMessageList *self = (PiMessageList *)widget;

  g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  g_clear_signal_handler (&self->layout_id, self->frame_clock);
  self->frame_clock = NULL;

  GTK_WIDGET_CLASS (pi_message_list_parent_class)->unrealize (widget);
}

static gboolean
pi_message_list_grab_focus (GtkWidget *widget)
{
  PiMessageList *self = (PiMessageList *)widget;

  return gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
}

static void
pi_message_list_dispose (GObject *object)
{
  PiMessageList *self = (PiMessageList *)object;

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);

  _pi_message_list_columns_dispose (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_MESSAGE_LIST);

  /* The breakpoint bin holds the rest of the template: not a bound child. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);

  g_clear_object (&self->store);
  g_clear_object (&self->selected);

  G_OBJECT_CLASS (pi_message_list_parent_class)->dispose (object);
}

static void
pi_message_list_finalize (GObject *object)
{
  PiMessageList *self = (PiMessageList *)object;

  g_clear_pointer (&self->filter_text, g_free);
  g_clear_pointer (&self->needle, g_free);

  G_OBJECT_CLASS (pi_message_list_parent_class)->finalize (object);
}

static void
pi_message_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PiMessageList *self = PI_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_SELECTED_MESSAGE:
      g_value_set_object (value, self->selected);
      break;

    case PROP_FILTER_TEXT:
      g_value_set_string (value, pi_message_list_get_filter_text (self));
      break;

    case PROP_FOLLOW:
      g_value_set_boolean (value, self->follow);
      break;

    case PROP_N_SHOWN:
      g_value_set_uint (value, self->n_shown);
      break;

    case PROP_SEARCH_MODE:
      g_value_set_boolean (value, self->search_mode);
      break;

    case PROP_COMPACT:
      g_value_set_boolean (value, self->compact);
      break;

    case PROP_MEDIUM:
      g_value_set_boolean (value, self->medium);
      break;

    case PROP_COLUMNS_MENU:
      g_value_set_object (value, self->columns_menu);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PiMessageList *self = PI_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_STORE:
      pi_message_list_set_store (self, g_value_get_object (value));
      break;

    case PROP_FILTER_TEXT:
      pi_message_list_set_filter_text (self, g_value_get_string (value));
      break;

    case PROP_FOLLOW:
      pi_message_list_set_follow (self, g_value_get_boolean (value));
      break;

    case PROP_SEARCH_MODE:
      pi_message_list_set_search_mode (self, g_value_get_boolean (value));
      break;

    case PROP_COMPACT:
      _pi_message_list_set_compact (self, g_value_get_boolean (value));
      break;

    case PROP_MEDIUM:
      _pi_message_list_set_medium (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_list_class_init (PiMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_message_list_dispose;
  object_class->finalize = pi_message_list_finalize;
  object_class->get_property = pi_message_list_get_property;
  object_class->set_property = pi_message_list_set_property;

  widget_class->realize = pi_message_list_realize;
  widget_class->unrealize = pi_message_list_unrealize;
  widget_class->grab_focus = pi_message_list_grab_focus;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         PI_TYPE_MESSAGE_STORE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED_MESSAGE] =
    g_param_spec_object ("selected-message", NULL, NULL,
                         PI_TYPE_MESSAGE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER_TEXT] =
    g_param_spec_string ("filter-text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLLOW] =
    g_param_spec_boolean ("follow", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_SHOWN] =
    g_param_spec_uint ("n-shown", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEARCH_MODE] =
    g_param_spec_boolean ("search-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* Set by the template's breakpoint: a narrow table shows fewer columns. */
  properties[PROP_COMPACT] =
    g_param_spec_boolean ("compact", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /* Set by the template's other breakpoint: a table of medium width. */
  properties[PROP_MEDIUM] =
    g_param_spec_boolean ("medium", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /* The columns to show, for a button of the window (the header menu). */
  properties[PROP_COLUMNS_MENU] =
    g_param_spec_object ("columns-menu", NULL, NULL,
                         G_TYPE_MENU_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-message-list.ui");
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, search_bar);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, count_label);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, stack);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, scroller);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, column_view);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, selection);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, filter);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, rows);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, new_revealer);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, new_button);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, new_label);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_selected_item_changed",
                                                G_CALLBACK (_pi_message_list_selected_item_changed));
  pi_message_cells_bind_template_callbacks (widget_class);

  gtk_widget_class_set_css_name (widget_class, "pimessagelist");
}

static void
pi_message_list_init (PiMessageList *self)
{
  self->follow = TRUE;
  self->following = TRUE;

  g_type_ensure (ADW_TYPE_STATUS_PAGE);
  g_type_ensure (PI_TYPE_ROW_PACER);
  g_type_ensure (PI_TYPE_TEXT_FILTER);

  gtk_widget_init_template (GTK_WIDGET (self));
  self->filter_model = G_LIST_MODEL (self->filter);
  pi_text_filter_set_following (self->filter, TRUE);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  g_object_bind_property (self, "search-mode",
                          self->search_bar, "search-mode-enabled",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);

  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (on_model_items_changed), self,
                           G_CONNECT_SWAPPED);

  self->vadjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  _pi_message_list_follow_init (self);
  _pi_message_list_columns_init (self);

  update_counts (self);
}

GtkWidget *
pi_message_list_new (void)
{
  return g_object_new (PI_TYPE_MESSAGE_LIST, NULL);
}

PiMessageStore *
pi_message_list_get_store (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->store;
}

void
pi_message_list_set_store (PiMessageList  *self,
                           PiMessageStore *store)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));
  g_return_if_fail (!store || PI_IS_MESSAGE_STORE (store));

  if (self->store == store)
    return;

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);

  g_set_object (&self->store, store);
  pi_text_filter_set_model (self->filter, G_LIST_MODEL (store));

  /* With a filter set, the filter says nothing about rows it hides; the
   * total ("of M") comes from the store itself. Connected after the
   * filter so that both counts are current. */
  if (store != NULL)
    g_signal_connect_object (store, "items-changed",
                             G_CALLBACK (on_model_items_changed), self,
                             G_CONNECT_SWAPPED | G_CONNECT_AFTER);

  update_counts (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

/**
 * pi_message_list_get_selected_message:
 *
 * Returns: (transfer none) (nullable): the selected message
 */
PiMessage *
pi_message_list_get_selected_message (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->selected;
}

const char *
pi_message_list_get_filter_text (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->filter_text ? self->filter_text : "";
}

/**
 * pi_message_list_get_shown:
 * @self: a #PiMessageList
 *
 * The messages the filter lets through, oldest first: all of them, not
 * only the rows the table realizes while following.
 *
 * Returns: (transfer none): a #GListModel of #PiMessage
 */
GListModel *
pi_message_list_get_shown (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return G_LIST_MODEL (self->filter_model);
}

void
pi_message_list_set_filter_text (PiMessageList *self,
                                 const char    *filter_text)
{
  g_autofree char *old_needle = NULL;
  char *needle;

  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  if (filter_text == NULL)
    filter_text = "";

  if (g_strcmp0 (pi_message_list_get_filter_text (self), filter_text) == 0)
    return;

  g_free (self->filter_text);
  self->filter_text = g_strdup (filter_text);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), filter_text) != 0)
    {
      self->setting_entry = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), filter_text);
      self->setting_entry = FALSE;
    }

  self->refiltering++;

  needle = filter_text[0] ? g_utf8_casefold (filter_text, -1) : NULL;
  old_needle = g_steal_pointer (&self->needle);
  self->needle = needle;

  /* Searched off the main thread when the list is long: see pi-text-filter.c. */
  pi_text_filter_set_text (self->filter, filter_text);

  self->refiltering--;

  /* A filter the user cannot see would only confuse. */
  if (needle != NULL)
    pi_message_list_set_search_mode (self, TRUE);

  update_counts (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER_TEXT]);
}

gboolean
pi_message_list_get_follow (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), FALSE);

  return self->follow;
}

void
pi_message_list_set_follow (PiMessageList *self,
                            gboolean       follow)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  follow = !!follow;
  if (self->follow == follow)
    return;

  self->follow = follow;

  /* Turning it on means "show me the newest", wherever the view was. */
  _pi_message_list_set_following (self, follow);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOW]);
}

guint
pi_message_list_get_n_shown (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), 0);

  return self->n_shown;
}

gboolean
pi_message_list_get_search_mode (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), FALSE);

  return self->search_mode;
}

void
pi_message_list_set_search_mode (PiMessageList *self,
                                 gboolean       search_mode)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  search_mode = !!search_mode;
  if (self->search_mode == search_mode)
    return;

  self->search_mode = search_mode;

  /* Closing the search bar drops its filter, as GNOME apps do. The
   * message the user picked among the results stays selected and in
   * sight, among all the others now; with none picked, the list returns
   * to the newest rows. */
  if (!search_mode)
    {
      pi_message_list_set_filter_text (self, NULL);
      if (self->selected != NULL)
        _pi_message_list_reveal_selected (self);
      else if (self->follow)
        pi_message_list_follow (self);
    }
  else
    {
      /* The search entry takes the focus: no later step of bringing the
       * selection into sight may move it to the row. */
      self->revealing_selected = 0;
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_MODE]);
}

/**
 * pi_message_list_append:
 * @batch: (element-type PiMessage) (transfer none): messages in arrival order
 *
 * Appends @batch to the store the list shows, with one change of the model
 * (a convenience for the tests and the benchmark: live messages reach the
 * store through the PiSession, which holds them while paused, and a
 * capture's through its PiCaptureSession).
 */
void
pi_message_list_append (PiMessageList *self,
                        GPtrArray     *batch)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));
  g_return_if_fail (batch != NULL);
  g_return_if_fail (self->store != NULL);

  if (batch->len == 0)
    return;

  pi_message_store_append (self->store, (PiMessage **)batch->pdata, batch->len);
}

/**
 * pi_message_list_follow:
 * @self: a #PiMessageList
 *
 * Scrolls to the newest row and keeps to the newest rows as they arrive,
 * as the "new messages" pill does.
 */
void
pi_message_list_follow (PiMessageList *self)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  _pi_message_list_set_following (self, TRUE);
}

void
pi_message_list_start_search (PiMessageList *self)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  pi_message_list_set_search_mode (self, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/**
 * pi_message_list_set_bindings:
 * @self: a #PiMessageList
 * @bindings: (nullable): a #GListModel of #PiBinding
 *
 * The routing-key words of the exchanges in @bindings come first in the
 * columns menu, as @bindings change.
 */
void
pi_message_list_set_bindings (PiMessageList *self,
                              GListModel    *bindings)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));
  g_return_if_fail (bindings == NULL || G_IS_LIST_MODEL (bindings));

  _pi_message_list_set_bindings (self, bindings);
}

/**
 * pi_message_list_get_columns_menu:
 *
 * Returns: (transfer none): the menu of the columns to show (its actions
 *   are pi_message_list_get_column_actions(), "columns.<id>")
 */
GMenuModel *
pi_message_list_get_columns_menu (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return G_MENU_MODEL (self->columns_menu);
}

/**
 * pi_message_list_attach_columns_button:
 * @self: a #PiMessageList
 * @button: a menu button of a window's header bar
 *
 * Makes @button open the columns menu (pi_message_list_get_columns_menu()),
 * with its "columns.<id>" actions: a header bar is outside the list, where
 * its actions would not be found.
 */
void
pi_message_list_attach_columns_button (PiMessageList *self,
                                       GtkMenuButton *button)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));
  g_return_if_fail (GTK_IS_MENU_BUTTON (button));

  gtk_menu_button_set_menu_model (button, G_MENU_MODEL (self->columns_menu));
  gtk_widget_insert_action_group (GTK_WIDGET (button), "columns",
                                  pi_message_list_get_column_actions (self));
}

/**
 * pi_message_list_show_columns_button:
 * @button: a button given to pi_message_list_attach_columns_button()
 * @table_shown: whether the window shows the table, not a status page
 * @details_split: (type AdwOverlaySplitView): the split view whose sidebar
 *   holds the selected message's details
 * @narrow: whether the window is at a phone's width
 *
 * Shows @button only while the table is on screen: not over a status page,
 * nor over the details that cover the table when narrow, nor at a phone's
 * width (two columns; the column headers' menu stays).
 */
void
pi_message_list_show_columns_button (GtkMenuButton *button,
                                     gboolean       table_shown,
                                     GtkWidget     *details_split,
                                     gboolean       narrow)
{
  AdwOverlaySplitView *split = ADW_OVERLAY_SPLIT_VIEW (details_split);
  gboolean details_cover = adw_overlay_split_view_get_collapsed (split) &&
                           adw_overlay_split_view_get_show_sidebar (split);

  gtk_widget_set_visible (GTK_WIDGET (button), table_shown && !details_cover && !narrow);
}

/**
 * pi_message_list_get_column_view:
 *
 * Returns: (transfer none): the table
 */
GtkColumnView *
pi_message_list_get_column_view (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->column_view;
}

/**
 * pi_message_list_get_vadjustment:
 *
 * Returns: (transfer none): the table's vertical adjustment
 */
GtkAdjustment *
pi_message_list_get_vadjustment (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->vadjustment;
}

/**
 * pi_message_list_get_visible_page:
 *
 * Returns: "messages", "waiting" or "no-match"
 */
const char *
pi_message_list_get_visible_page (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
pi_message_list_get_count_text (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return gtk_label_get_label (self->count_label);
}

gboolean
pi_message_list_get_following (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), FALSE);

  return self->follow && self->following;
}

/**
 * pi_message_list_get_new_messages_button:
 *
 * Returns: (transfer none): the pill that returns to the newest rows
 */
GtkWidget *
pi_message_list_get_new_messages_button (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return GTK_WIDGET (self->new_button);
}

/* Visible when the user should see it: revealed, and the list shown. */
gboolean
pi_message_list_get_new_messages_shown (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), FALSE);

  return gtk_revealer_get_reveal_child (self->new_revealer) &&
         g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "messages") == 0;
}

/**
 * pi_message_list_get_column_actions:
 *
 * Returns: (transfer none): the header menu's actions ("columns.<id>"),
 *   whose states say which columns the table shows
 */
GActionGroup *
pi_message_list_get_column_actions (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return G_ACTION_GROUP (self->column_actions);
}
