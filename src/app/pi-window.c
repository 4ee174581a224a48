/* pi-window.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-window"

#include <glib/gi18n.h>

#include "pi-application.h"
#include "pi-capture-window.h"
#include "pi-connect-dialog.h"
#include "pi-deployments.h"
#include "pi-window-private.h"

/*
 * The live window: the template (header, the bindings sidebar, the message
 * list beside its details, the connection bar, toasts), the details pane
 * shown with a selection (a page of its own when narrow), its size kept in
 * the settings, and its life cycle. The rest of it:
 *
 *   pi-window-live.c      its PiSession: connecting, its state told once,
 *                         bindings, pause, clear
 *   pi-window-actions.c   the win.* actions and the one function that
 *                         enables them; share links
 *   pi-window-password.c  asking a broker's password
 *
 * Saving and exporting are PiCaptureSaver's (the action bar at the bottom);
 * a saved capture opens in a PiCaptureWindow.
 */

G_DEFINE_FINAL_TYPE (PiWindow, pi_window, ADW_TYPE_APPLICATION_WINDOW)

void
pi_window_add_toast (PiWindow   *self,
                     const char *title)
{
  AdwToast *toast;

  g_assert (PI_IS_WINDOW (self));

  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/**
 * pi_window_show_error:
 * @self: a #PiWindow
 * @message: the failure in words
 *
 * Shows @message as a toast. Replaces the previous error toast so that a
 * flapping connection does not pile them up.
 */
void
pi_window_show_error (PiWindow   *self,
                      const char *message)
{
  AdwToast *toast;

  g_return_if_fail (PI_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  if (self->error_toast != NULL)
    adw_toast_dismiss (self->error_toast);

  toast = adw_toast_new (message);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 6);
  g_set_weak_pointer (&self->error_toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}


static void
on_selected_message_changed (PiWindow      *self,
                             GParamSpec    *pspec,
                             PiMessageList *list)
{
  adw_overlay_split_view_set_show_sidebar (self->details_split,
                                           pi_message_list_get_selected_message (list) != NULL);
}

static void
unselect_message (PiWindow *self)
{
  GtkColumnView *view = pi_message_list_get_column_view (self->message_list);

  gtk_selection_model_unselect_all (gtk_column_view_get_model (view));
}

/* Narrow, the details are a page over the list: Back (or anything else
 * that hides it, such as AdwOverlaySplitView's swipe) returns to the list.
 * The selection goes with the page, so that choosing the same row again
 * opens it again. */
static void
on_details_shown_changed (PiWindow   *self,
                          GParamSpec *pspec,
                          gpointer    split_view)
{
  AdwOverlaySplitView *details_split = self->details_split;
  gboolean collapsed = adw_overlay_split_view_get_collapsed (details_split);
  gboolean shown = adw_overlay_split_view_get_show_sidebar (details_split);

  /* On the details page, Back takes the place of the bindings' button. */
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), collapsed && shown);
  gtk_widget_set_visible (GTK_WIDGET (self->sidebar_button),
                          adw_overlay_split_view_get_collapsed (self->split_view) && !(collapsed && shown));

  if (collapsed && !shown && pi_message_list_get_selected_message (self->message_list) != NULL)
    unselect_message (self);

  pi_window_update_header (self);

  /* The page's focus starts on the way back, not inside a field (a label
   * that takes focus selects its whole text). */
  if (collapsed && shown && pspec != NULL && g_str_equal (pspec->name, "show-sidebar"))
    gtk_widget_grab_focus (GTK_WIDGET (self->back_button));
}

static void
on_back_clicked (PiWindow  *self,
                 GtkButton *button)
{
  unselect_message (self);
}

/**
 * pi_window_update_header:
 * @self: a #PiWindow
 *
 * The content header as wide as it is: what is listened to and the
 * connection's state in the words that fit (up to 720 px, the status
 * line's narrow wording; on a first start, no placeholder address),
 * and the Columns button only while the message table is on screen: not
 * over a status page, nor over the details that cover the table when
 * narrow, nor at a phone's width (two columns; the headers' menu stays).
 */
void
pi_window_update_header (PiWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->main_stack);
  /* One breakpoint applies at a time: the narrowest that matches. */
  AdwBreakpoint *breakpoint = adw_application_window_get_current_breakpoint (ADW_APPLICATION_WINDOW (self));
  gboolean narrow = breakpoint == self->narrow_breakpoint;
  gboolean few_words = narrow || breakpoint == self->compact_breakpoint;
  g_autofree char *subtitle = NULL;

  if (self->session == NULL || self->settings == NULL)
    return;

  if (pi_window_is_first_start (self))
    {
      /* The page asks where to listen; the sidebar names the app. */
      adw_window_title_set_title (self->status_title, "");
      adw_window_title_set_subtitle (self->status_title, "");
    }
  else
    {
      g_object_get (self->session, few_words ? "narrow-subtitle" : "subtitle", &subtitle, NULL);
      adw_window_title_set_title (self->status_title, pi_session_get_title (self->session));
      adw_window_title_set_subtitle (self->status_title, subtitle ? subtitle : "");
    }
  /* The whole wording stays a hover away. */
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_title),
                               few_words && subtitle != NULL ? pi_session_get_subtitle (self->session) : NULL);

  pi_message_list_show_columns_button (self->columns_button, g_strcmp0 (page, "messages") == 0,
                                       GTK_WIDGET (self->details_split), narrow);
}

static gboolean
pi_window_close_request (GtkWindow *window)
{
  PiWindow *self = PI_WINDOW (window);
  int width;
  int height;

  gtk_window_get_default_size (window, &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window))
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);

  if (self->stream != NULL)
    pi_source_disconnect (self->stream);

  return GTK_WINDOW_CLASS (pi_window_parent_class)->close_request (window);
}

static void
pi_window_dispose (GObject *object)
{
  PiWindow *self = PI_WINDOW (object);

  if (self->stream != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->stream, self);
      pi_source_disconnect (self->stream);
    }

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);

  if (self->bindings_sidebar != NULL)
    g_signal_handlers_disconnect_by_data (pi_bindings_sidebar_get_model (self->bindings_sidebar), self);

  pi_window_dispose_password (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_WINDOW);

  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      pi_session_disconnect (self->session);
    }
  g_clear_weak_pointer (&self->error_toast);
  if (self->clear_toast != NULL)
    g_signal_handlers_disconnect_by_data (self->clear_toast, self);
  g_clear_weak_pointer (&self->clear_toast);
  g_clear_object (&self->stream);
  g_clear_object (&self->store);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pi_window_parent_class)->dispose (object);
}

static void
pi_window_finalize (GObject *object)
{
  PiWindow *self = PI_WINDOW (object);

  g_clear_pointer (&self->capture_started, g_date_time_unref);
  g_clear_pointer (&self->chosen_server, g_free);

  G_OBJECT_CLASS (pi_window_parent_class)->finalize (object);
}

static void
on_saver_toast (PiWindow   *self,
                const char *text)
{
  pi_window_add_toast (self, text);
}

static void
on_saver_error (PiWindow   *self,
                const char *text)
{
  pi_window_show_error (self, text);
}

/* What the messages saved are a capture of. */
static PiCaptureInfo *
dup_capture_info (gpointer user_data)
{
  return pi_window_dup_capture_info (PI_WINDOW (user_data));
}

/* The list of the session's store, the details of the selected message,
 * the counters, the file actions. */
static void
setup_views (PiWindow *self)
{
  g_object_set (self->message_list, "store", self->store, NULL);
  g_object_bind_property (self->message_list, "selected-message",
                          self->message_details, "message",
                          G_BINDING_SYNC_CREATE);
  /* The details appear with a selection: until then the list has the whole
   * width (and its own empty page says what to expect). */
  g_signal_connect_object (self->message_list, "notify::selected-message",
                           G_CALLBACK (on_selected_message_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->details_split, "notify::show-sidebar",
                           G_CALLBACK (on_details_shown_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->details_split, "notify::collapsed",
                           G_CALLBACK (on_details_shown_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->split_view, "notify::collapsed",
                           G_CALLBACK (on_details_shown_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->main_stack, "notify::visible-child",
                           G_CALLBACK (pi_window_update_header), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "notify::current-breakpoint",
                           G_CALLBACK (pi_window_update_header), self, G_CONNECT_SWAPPED);
  on_details_shown_changed (self, NULL, NULL);
  /* The header bar's Columns button: the table's columns menu. */
  pi_message_list_attach_columns_button (self->message_list, self->columns_button);
  g_object_bind_property (self->message_list, "search-mode",
                          self->search_button, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);

  pi_connection_bar_set_store (self->connection_bar, self->store);
  g_object_bind_property (self->message_list, "n-shown", self->connection_bar, "n-shown", G_BINDING_SYNC_CREATE);

  pi_capture_saver_attach (self->saver, G_ACTION_MAP (self), self->message_list,
                           dup_capture_info, self);

  /* The bound exchanges' routing-key words come first in the columns menu. */
  pi_message_list_set_bindings (self->message_list,
                                pi_bindings_sidebar_get_model (self->bindings_sidebar));
}


static void
pi_window_constructed (GObject *object)
{
  PiWindow *self = PI_WINDOW (object);

  G_OBJECT_CLASS (pi_window_parent_class)->constructed (object);

  pi_window_init_live (self);
  setup_views (self);
  pi_window_setup_live (self);
}

static void
pi_window_class_init (PiWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = pi_window_constructed;
  object_class->dispose = pi_window_dispose;
  object_class->finalize = pi_window_finalize;
  window_class->close_request = pi_window_close_request;

  g_type_ensure (PI_TYPE_BINDINGS_SIDEBAR);
  g_type_ensure (PI_TYPE_CAPTURE_SAVER);
  g_type_ensure (PI_TYPE_CONNECTION_BAR);
  g_type_ensure (PI_TYPE_CONNECT_DIALOG);
  g_type_ensure (PI_TYPE_MESSAGE_DETAILS);
  g_type_ensure (PI_TYPE_MESSAGE_LIST);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PiWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, split_view);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, bindings_sidebar);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, connection_bar);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, status_title);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, server_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, counters_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, error_banner);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, no_bindings_page);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, not_connected_page);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, failure_page);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, first_start_page);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, first_start_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, failure_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, failure_server_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, details_split);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, message_list);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, message_details);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, clear_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, saver);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, columns_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, compact_breakpoint);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, narrow_breakpoint);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_saver_toast);
  gtk_widget_class_bind_template_callback (widget_class, on_saver_error);

  pi_window_class_init_actions (klass);
  pi_window_class_init_live (klass);
}

/* Versions before the first start was told did not save the default
 * address: someone who kept bindings or servers with one of them used it,
 * and chose it. Saved once, so that pi_window_is_first_start() says no.
 * Only on the first start of this version: bindings added on a first
 * start of its own and kept over a quit are no earlier version's. */
static void
keep_server_of_earlier_versions (GSettings *settings)
{
  g_autofree char *server = NULL;
  g_autoptr(GVariant) bindings = NULL;
  g_autoptr(GVariant) recent = NULL;
  g_autofree char *url = NULL;

  if (g_settings_get_boolean (settings, "asks-where-to-listen"))
    return;
  g_settings_set_boolean (settings, "asks-where-to-listen", TRUE);

  server = pi_deployments_dup_chosen_server (settings);
  bindings = g_settings_get_user_value (settings, "bindings");
  recent = g_settings_get_user_value (settings, "recent-servers");
  if (server != NULL || (bindings == NULL && recent == NULL))
    return;

  url = g_settings_get_string (settings, "server-url");
  g_settings_set_string (settings, "server-url", url);
}

static void
pi_window_init (PiWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

#if DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif

  self->settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  keep_server_of_earlier_versions (self->settings);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  /* A file dropped on the window opens in a capture window. */
  pi_capture_window_add_drop_target (GTK_WINDOW (self));

  /* The rest (the session, the views) waits for constructed(). */
}

PiWindow *
pi_window_new (GtkApplication *application)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);

  return g_object_new (PI_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

/**
 * pi_window_get_stream:
 * @self: a #PiWindow
 *
 * Returns: (transfer none): the window's live source
 */
PiSource *
pi_window_get_stream (PiWindow *self)
{
  g_return_val_if_fail (PI_IS_WINDOW (self), NULL);

  return self->stream;
}

/**
 * pi_window_get_store:
 * @self: a #PiWindow
 *
 * Returns: (transfer none): the window's message store
 */
PiMessageStore *
pi_window_get_store (PiWindow *self)
{
  g_return_val_if_fail (PI_IS_WINDOW (self), NULL);

  return self->store;
}


/**
 * pi_window_get_busy:
 * @self: a #PiWindow
 *
 * Returns: whether a capture is being saved or messages exported
 */
gboolean
pi_window_get_busy (PiWindow *self)
{
  g_return_val_if_fail (PI_IS_WINDOW (self), FALSE);

  return pi_capture_saver_get_busy (self->saver);
}

/**
 * pi_window_dup_shown_messages:
 * @self: a #PiWindow
 *
 * Returns: (transfer full) (element-type PiMessage): the messages the list
 *   shows: those kept that match the filter, in order
 */
GPtrArray *
pi_window_dup_shown_messages (PiWindow *self)
{
  g_return_val_if_fail (PI_IS_WINDOW (self), NULL);

  return pi_capture_saver_dup_shown (self->saver);
}

/**
 * pi_window_save_capture:
 * @self: a #PiWindow
 * @file: where to save
 * @shown_only: %TRUE to save only the messages the filter shows
 *
 * Saves the kept messages (or the shown ones) as a capture, in a thread,
 * with the progress in the window's action bar. What win.save and
 * win.save-shown do once a file is chosen.
 */
void
pi_window_save_capture (PiWindow *self,
                        GFile    *file,
                        gboolean  shown_only)
{
  g_return_if_fail (PI_IS_WINDOW (self));

  pi_capture_saver_save (self->saver, file, shown_only);
}

/**
 * pi_window_export_json:
 * @self: a #PiWindow
 * @file: where to write
 * @selected_only: %TRUE for the selected message, %FALSE for the shown ones
 *
 * What win.export-selected and win.export-shown do once a file is chosen.
 */
void
pi_window_export_json (PiWindow *self,
                       GFile    *file,
                       gboolean  selected_only)
{
  g_return_if_fail (PI_IS_WINDOW (self));

  pi_capture_saver_export (self->saver, file, selected_only);
}
