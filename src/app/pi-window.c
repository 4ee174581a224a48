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
#include "pi-connect-dialog.h"
#include "pi-window-private.h"

/*
 * The window every Pulse Inspector window is: the template (header, the
 * bindings sidebar, the message list beside its details, the connection
 * bar, toasts), the details pane shown with a selection (a page of its own
 * when narrow), its size kept in the settings, and its life cycle. What a
 * window holds decides the rest, once, at construction:
 *
 *   pi-window-live.c      a PiSession: a live window (connecting, its state
 *                         told once, bindings, pause, clear)
 *   pi-window-open.c      a PiCaptureSession: a window browsing a capture
 *   pi-window-actions.c   the win.* actions and the one function that
 *                         enables them; share links
 *   pi-window-capture.c   saving captures, the file actions and jobs
 *   pi-window-export.c    exporting as JSON
 *   pi-window-password.c  asking a broker's password
 */

G_DEFINE_FINAL_TYPE (PiWindow, pi_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CAPTURE_FILE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
pi_window_unrealize (GtkWidget *widget)
{
  pi_window_cancel_file_dialog (PI_WINDOW (widget));

  GTK_WIDGET_CLASS (pi_window_parent_class)->unrealize (widget);
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

  pi_window_dispose_capture (self);
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
  g_clear_object (&self->capture);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pi_window_parent_class)->dispose (object);
}

static void
pi_window_finalize (GObject *object)
{
  PiWindow *self = PI_WINDOW (object);

  g_clear_pointer (&self->capture_started, g_date_time_unref);

  G_OBJECT_CLASS (pi_window_parent_class)->finalize (object);
}

/* What every window shows: the list of its store, the details of the
 * selected message, the counters, the file actions. */
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
  on_details_shown_changed (self, NULL, NULL);
  g_object_bind_property (self->message_list, "search-mode",
                          self->search_button, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);

  pi_connection_bar_set_store (self->connection_bar, self->store);
  g_object_bind_property (self->message_list, "n-shown", self->connection_bar, "n-shown", G_BINDING_SYNC_CREATE);

  pi_window_init_capture (self);
}


static void
pi_window_constructed (GObject *object)
{
  PiWindow *self = PI_WINDOW (object);

  G_OBJECT_CLASS (pi_window_parent_class)->constructed (object);

  /* A capture window shows what was saved: it neither reads nor writes the
   * live window's server, bindings and list settings, and has no session,
   * source or live actions. */
  if (self->capture != NULL)
    {
      self->store = g_object_ref (pi_capture_session_get_store (self->capture));
      setup_views (self);
      pi_window_setup_capture_mode (self);
      pi_window_update_actions (self);
      return;
    }

  pi_window_init_live (self);
  setup_views (self);
  pi_window_setup_live (self);
}

static void
pi_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PiWindow *self = PI_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CAPTURE_FILE:
      g_value_set_object (value, pi_window_get_capture_file (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  PiWindow *self = PI_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CAPTURE_FILE:
      /* Construct-only: a window is made live or for a capture, once. */
      if (g_value_get_object (value) != NULL)
        self->capture = pi_capture_session_new (g_value_get_object (value),
                                                g_settings_get_uint (self->settings, "capacity"));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
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
  object_class->get_property = pi_window_get_property;
  object_class->set_property = pi_window_set_property;

  widget_class->unrealize = pi_window_unrealize;
  window_class->close_request = pi_window_close_request;

  /**
   * PiWindow:capture-file:
   *
   * The saved capture this window browses, or %NULL for a live window.
   */
  properties[PROP_CAPTURE_FILE] =
    g_param_spec_object ("capture-file", NULL, NULL,
                         G_TYPE_FILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PI_TYPE_BINDINGS_SIDEBAR);
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
  gtk_widget_class_bind_template_child (widget_class, PiWindow, failure_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, details_split);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, message_list);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, message_details);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, capture_bindings_list);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, capture_title);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, clear_button);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, loading_progress);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, progress_action_bar);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PiWindow, back_button);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);

  pi_window_class_init_actions (klass);
  pi_window_class_init_live (klass);
}

static void
pi_window_init (PiWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pi_window_init_actions (self);

#if DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif

  self->settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  /* The rest waits for constructed(): a live window and a capture window
   * are made of different parts. */
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
 * Returns: (transfer none) (nullable): the window's live source, or %NULL
 *   in a window browsing a capture (it has none)
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

