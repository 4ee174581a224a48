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
#include "pi-binding.h"
#include "pi-connect-dialog.h"
#include "pi-deployments.h"
#include "pi-window-private.h"

G_DEFINE_FINAL_TYPE (PiWindow, pi_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CAPTURE_FILE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Whether the stream is connected or trying to be: what Connect and
 * Disconnect offer depends on it. */
gboolean
pi_window_stream_is_active (PiWindow *self)
{
  switch (pi_source_get_state (self->stream))
    {
    case PI_STREAM_STATE_CONNECTING:
    case PI_STREAM_STATE_WAITING_FOR_READY:
    case PI_STREAM_STATE_LIVE:
    case PI_STREAM_STATE_RECONNECTING:
      return TRUE;

    case PI_STREAM_STATE_DISCONNECTED:
    case PI_STREAM_STATE_FAILED:
    default:
      return FALSE;
    }
}

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

static void update_main_page (PiWindow *self);
static const char *current_failure (PiWindow *self, const char **button_label, const char **action_name);

/* The failure to show, if any, and its one action: a bad address is fixed by
 * choosing another server; a refusal or a lost connection by trying again. */
static const char *
current_failure (PiWindow    *self,
                 const char **button_label,
                 const char **action_name)
{
  PiStreamState state = pi_source_get_state (self->stream);
  const char *error_message = pi_source_get_error_message (self->stream);

  if (pi_session_get_local_error (self->session) != NULL)
    {
      *button_label = _("_Change Server…");
      *action_name = "win.choose-server";
      return pi_session_get_local_error (self->session);
    }

  /* A broker without a password: nothing was tried, nothing failed. */
  if (pi_session_get_needs_password (self->session))
    {
      *button_label = _("_Enter Password…");
      *action_name = "win.enter-password";
      return _("Not connected: the broker sends nothing before its user logs in with a password.");
    }

  /* Retrying with the same password cannot help: ask for another. */
  if (state == PI_STREAM_STATE_FAILED && pi_source_get_needs_credentials (self->stream) &&
      pi_session_get_server_url (self->session) != NULL &&
      pi_deployments_is_broker_url (pi_session_get_server_url (self->session)))
    {
      *button_label = _("_Enter Password…");
      *action_name = "win.enter-password";
      return error_message != NULL ? error_message : pi_source_get_state_text (self->stream);
    }

  /* Retrying with the same credentials cannot help: the Connect dialog
   * takes a client id and token. */
  if (state == PI_STREAM_STATE_FAILED && pi_source_get_needs_credentials (self->stream))
    {
      *button_label = _("_Enter Credentials…");
      *action_name = "win.choose-server";
      return error_message != NULL ? error_message : pi_source_get_state_text (self->stream);
    }

  if (state == PI_STREAM_STATE_FAILED)
    {
      *button_label = _("_Retry");
      *action_name = "win.connect";
      return error_message != NULL ? error_message : pi_source_get_state_text (self->stream);
    }

  if (state == PI_STREAM_STATE_RECONNECTING && error_message != NULL)
    {
      *button_label = _("Retry _Now");
      *action_name = "win.connect";
      return error_message;
    }

  return NULL;
}

static void
update_connection_state (PiWindow *self)
{
  const char *button_label = NULL;
  const char *action_name = NULL;
  const char *failure = current_failure (self, &button_label, &action_name);
  gboolean has_messages = g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0;
  gboolean has_counters;
  g_autofree char *description = NULL;

  /* Told once: over the messages already shown as a banner (nothing received
   * is lost), else as the page in their place. */
  if (failure != NULL && has_messages)
    {
      adw_banner_set_title (self->error_banner, failure);
      adw_banner_set_button_label (self->error_banner, button_label);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->error_banner), action_name);
    }
  adw_banner_set_revealed (self->error_banner, failure != NULL && has_messages);

  if (failure != NULL && !has_messages)
    {
      gboolean no_password = pi_session_get_needs_password (self->session);

      /* Nothing failed without a password: it was not given. */
      adw_status_page_set_title (self->failure_page, no_password ? _("No Password") : _("Could Not Connect"));
      /* A password to give, or another one: the key says so before the words. */
      adw_status_page_set_icon_name (self->failure_page,
                                     g_strcmp0 (action_name, "win.enter-password") == 0
                                     ? "dialog-password-symbolic" : "network-error-symbolic");
      adw_status_page_set_description (self->failure_page, failure);
      gtk_button_set_label (self->failure_button, button_label);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->failure_button), action_name);
    }

  /* Translators: %s is a deployment's name or a server's host */
  description = g_strdup_printf (_("Connect to %s to see the messages that match your bindings as they arrive."),
                                 pi_session_get_title (self->session));
  adw_status_page_set_description (self->not_connected_page, description);

  /* Counters mean something once there was a connection: until then the
   * title is only a title, not a way to six zeros. */
  has_counters = pi_session_get_ever_connected (self->session);
  gtk_widget_set_can_target (GTK_WIDGET (self->counters_button), has_counters);
  gtk_widget_set_focusable (GTK_WIDGET (self->counters_button), has_counters);
  gtk_widget_set_focus_on_click (GTK_WIDGET (self->counters_button), has_counters);

  pi_window_update_actions (self);
  update_main_page (self);
}

static void
on_stream_notify (PiWindow   *self,
                  GParamSpec *pspec,
                  gpointer    stream)
{
  /* Failures are shown by the banner and the connection state, which stay
   * until the stream recovers; a toast on top would only repeat them. */
  update_connection_state (self);
}

static void
on_stream_messages (PiWindow  *self,
                    GPtrArray *batch,
                    gpointer   stream)
{
  /* The session puts them in the store (or holds them while paused). */
  if (self->capture_started == NULL)
    pi_window_note_capture_start (self);
}

/**
 * pi_window_collect_bindings:
 * @self: a #PiWindow
 *
 * Returns: (transfer full) (element-type PiBinding): the bindings of the list
 */
GPtrArray *
pi_window_collect_bindings (PiWindow *self)
{
  GListModel *model = pi_bindings_sidebar_get_model (self->bindings_sidebar);
  guint n = g_list_model_get_n_items (model);
  GPtrArray *bindings = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PiBinding) binding = g_list_model_get_item (model, i);

      /* Switched off in the sidebar: kept, not listened to. */
      if (pi_binding_get_enabled (binding))
        g_ptr_array_add (bindings, g_steal_pointer (&binding));
    }

  return bindings;
}

static void
save_bindings (PiWindow *self)
{
  GListModel *model = pi_bindings_sidebar_get_model (self->bindings_sidebar);
  guint n = g_list_model_get_n_items (model);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ss)"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PiBinding) binding = g_list_model_get_item (model, i);

      g_variant_builder_add (&builder, "(ss)",
                             pi_binding_get_exchange (binding),
                             pi_binding_get_routing_key_pattern (binding));
    }

  g_settings_set_value (self->settings, "bindings", g_variant_builder_end (&builder));
}

static void
load_bindings (PiWindow *self)
{
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GVariant) value = g_settings_get_value (self->settings, "bindings");
  GVariantIter iter;
  const char *exchange;
  const char *pattern;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&s&s)", &exchange, &pattern))
    {
      g_autoptr(PiBinding) binding = pi_binding_new (exchange, pattern);

      /* A hand-edited setting must not reach the server unchecked. */
      if (pi_binding_validate (binding, NULL))
        g_ptr_array_add (bindings, g_steal_pointer (&binding));
    }

  pi_bindings_sidebar_restore_bindings (self->bindings_sidebar, bindings);
}

static void
update_main_page (PiWindow *self)
{
  GListModel *bindings = pi_bindings_sidebar_get_model (self->bindings_sidebar);
  const char *button_label = NULL;
  const char *action_name = NULL;
  const char *page = "messages";

  /* With nothing received and nothing on the way, "Waiting for Messages"
   * would be a promise the window cannot keep: say what to do instead. */
  if (self->stream == NULL || self->store == NULL)
    return;

  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0)
    page = "messages";
  else if (current_failure (self, &button_label, &action_name) != NULL)
    page = "failed";
  else if (g_list_model_get_n_items (bindings) == 0)
    page = "no-bindings";
  else if (!pi_window_stream_is_active (self))
    page = "not-connected";

  gtk_stack_set_visible_child_name (self->main_stack, page);
}

/* Only the empty/non-empty edge matters (page or banner); the test is cheap. */
static void
on_store_changed (PiWindow   *self,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GListModel *store)
{
  gboolean was_empty = g_list_model_get_n_items (store) + removed == added;
  gboolean is_empty = g_list_model_get_n_items (store) == 0;

  if (was_empty != is_empty)
    update_connection_state (self);
}

static void
on_bindings_changed (PiWindow   *self,
                     guint       position,
                     guint       removed,
                     guint       added,
                     GListModel *model)
{
  save_bindings (self);
  update_main_page (self);
  pi_window_update_actions (self);

  /* A live stream is bound to the old set: start over with the new one. */
  if (pi_window_stream_is_active (self))
    pi_window_connect (self);
}

static void
on_binding_enabled_changed (PiWindow          *self,
                            PiBinding         *binding,
                            PiBindingsSidebar *sidebar)
{
  if (pi_window_stream_is_active (self))
    pi_window_connect (self);
}

/* The WebSocket and GraphQL sources subscribe each binding on its own: a
 * refused one is told on its row while the others stream. */
static void
on_stream_binding_error (PiWindow   *self,
                         PiBinding  *binding,
                         const char *text,
                         PiSource   *stream)
{
  GListModel *bindings = pi_bindings_sidebar_get_model (self->bindings_sidebar);

  if (binding != NULL)
    {
      pi_bindings_sidebar_set_error (self->bindings_sidebar, binding, text);
      return;
    }

  /* A new attempt starts clean. */
  for (guint i = 0; i < g_list_model_get_n_items (bindings); i++)
    {
      g_autoptr(PiBinding) listed = g_list_model_get_item (bindings, i);

      pi_bindings_sidebar_set_error (self->bindings_sidebar, listed, NULL);
    }
}

static void
on_link_pasted (PiWindow          *self,
                const char        *link,
                PiBindingsSidebar *sidebar)
{
  g_autoptr(GError) error = NULL;

  if (!pi_window_import_link (self, link, &error))
    pi_window_show_error (self, error->message);
}

static void
on_capacity_changed (PiWindow   *self,
                     const char *key,
                     GSettings  *settings)
{
  pi_message_store_set_capacity (self->store, g_settings_get_uint (settings, "capacity"));
}

static void
on_ping_timeout_changed (PiWindow   *self,
                         const char *key,
                         GSettings  *settings)
{
  pi_source_set_ping_timeout (self->stream, g_settings_get_uint (settings, "ping-timeout"));
}

static void
on_paused_changed (PiWindow   *self,
                   GParamSpec *pspec,
                   PiSession  *session)
{
  gboolean paused = pi_session_get_paused (session);

  /* Paused must be obvious: the header says so (the session's subtitle),
   * and the button turns into a distinct Resume. */
  gtk_button_set_icon_name (GTK_BUTTON (self->pause_button),
                            paused ? "media-playback-start-symbolic" : "media-playback-pause-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->pause_button),
                               paused ? _("Resume (Ctrl+P)") : _("Pause (Ctrl+P)"));
  if (paused)
    gtk_widget_add_css_class (GTK_WIDGET (self->pause_button), "suggested-action");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->pause_button), "suggested-action");

  /* Resume means "show me what is happening now". */
  if (!paused && pi_message_list_get_follow (self->message_list))
    pi_message_list_follow (self->message_list);

  pi_window_update_actions (self);
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

/* A live window: a session that listens to the server of the settings with
 * the bindings of the sidebar, its state told once, its live actions. */
static void
setup_live (PiWindow *self)
{
  self->session = pi_session_new (g_settings_get_uint (self->settings, "capacity"));
  self->store = g_object_ref (pi_session_get_store (self->session));
  self->stream = g_object_ref (pi_session_get_source (self->session));
  pi_window_init_live_actions (self);
  setup_views (self);

  /* A bad address is known before any network: the same one surface. */
  g_signal_connect_object (self->session, "notify::local-error", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::needs-password", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::paused", G_CALLBACK (on_paused_changed), self, G_CONNECT_SWAPPED);
  g_object_bind_property (self->session, "title", self->status_title, "title", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->session, "subtitle", self->status_title, "subtitle", G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->store, "items-changed", G_CALLBACK (on_store_changed), self, G_CONNECT_SWAPPED);

  pi_source_set_ping_timeout (self->stream, g_settings_get_uint (self->settings, "ping-timeout"));
  /* Only what the page, the banner and the actions show: the counters
   * (n-messages, n-bytes, last-ping) change with every batch. */
  g_signal_connect_object (self->stream, "notify::state", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->stream, "notify::state-text", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->stream, "notify::error-message", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->stream, "messages", G_CALLBACK (on_stream_messages), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->stream, "binding-error", G_CALLBACK (on_stream_binding_error), self, G_CONNECT_SWAPPED);

  pi_connection_bar_set_stream (self->connection_bar, self->stream);
  g_object_bind_property (self->session, "n-held", self->connection_bar, "n-held", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->session, "rate", self->connection_bar, "rate", G_BINDING_SYNC_CREATE);

  pi_window_init_password (self);

  g_settings_bind (self->settings, "server-url", self->session, "server-url", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "follow", self->message_list, "follow", G_SETTINGS_BIND_GET);
  g_signal_connect_object (self->settings, "changed::capacity",
                           G_CALLBACK (on_capacity_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::ping-timeout",
                           G_CALLBACK (on_ping_timeout_changed), self, G_CONNECT_SWAPPED);

  load_bindings (self);
  g_signal_connect_object (pi_bindings_sidebar_get_model (self->bindings_sidebar), "items-changed",
                           G_CALLBACK (on_bindings_changed), self, G_CONNECT_SWAPPED);

  update_main_page (self);
  update_connection_state (self);
}

static void
pi_window_constructed (GObject *object)
{
  PiWindow *self = PI_WINDOW (object);

  G_OBJECT_CLASS (pi_window_parent_class)->constructed (object);

  /* A capture window shows what was saved: it neither reads nor writes the
   * live window's server, bindings and list settings, and has no session. */
  if (self->capture != NULL)
    {
      self->store = g_object_ref (pi_capture_session_get_store (self->capture));
      setup_views (self);
      pi_window_setup_capture_mode (self);
      pi_window_update_actions (self);
      return;
    }

  setup_live (self);
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
  gtk_widget_class_bind_template_callback (widget_class, on_link_pasted);
  gtk_widget_class_bind_template_callback (widget_class, on_binding_enabled_changed);

  pi_window_class_init_actions (klass);
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
 * pi_window_get_bindings:
 * @self: a #PiWindow
 *
 * Returns: (transfer none): the bindings, a #GListModel of #PiBinding
 */
GListModel *
pi_window_get_bindings (PiWindow *self)
{
  g_return_val_if_fail (PI_IS_WINDOW (self), NULL);

  return pi_bindings_sidebar_get_model (self->bindings_sidebar);
}

void
pi_window_set_server_url (PiWindow   *self,
                          const char *server_url)
{
  g_return_if_fail (PI_IS_WINDOW (self));
  g_return_if_fail (self->session != NULL);
  g_return_if_fail (server_url != NULL);

  pi_session_set_server_url (self->session, server_url);
}

gboolean
pi_window_add_binding (PiWindow   *self,
                       const char *exchange,
                       const char *routing_key_pattern)
{
  g_autoptr(PiBinding) binding = NULL;

  g_return_val_if_fail (PI_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (exchange != NULL, FALSE);
  g_return_val_if_fail (routing_key_pattern != NULL, FALSE);

  binding = pi_binding_new (exchange, routing_key_pattern);
  if (!pi_binding_validate (binding, NULL))
    return FALSE;

  return pi_bindings_sidebar_add (self->bindings_sidebar, binding);
}

/**
 * pi_window_set_bindings:
 * @self: a #PiWindow
 * @bindings: (element-type PiBinding): the new bindings
 *
 * Replaces all bindings (one change: a live stream reconnects once).
 */
void
pi_window_set_bindings (PiWindow  *self,
                        GPtrArray *bindings)
{
  g_return_if_fail (PI_IS_WINDOW (self));
  g_return_if_fail (bindings != NULL);

  pi_bindings_sidebar_set_bindings (self->bindings_sidebar, bindings);
}

void
pi_window_connect (PiWindow *self)
{
  g_autoptr(GPtrArray) bindings = NULL;
  g_autofree char *client_id = NULL;

  g_return_if_fail (PI_IS_WINDOW (self));

  /* A capture is what was saved: it has no server to go back to. */
  g_return_if_fail (self->session != NULL);

  if (self->capture_started == NULL)
    pi_window_note_capture_start (self);

  bindings = pi_window_collect_bindings (self);
  client_id = g_settings_get_string (self->settings, "client-id");
  pi_session_connect (self->session, bindings, client_id);
  update_connection_state (self);
}

static void
on_server_chosen (PiWindow        *self,
                  const char      *server_url,
                  PiConnectDialog *dialog)
{
  pi_connect_dialog_remember (self->settings, server_url);
  pi_window_set_server_url (self, server_url);
  pi_window_connect (self);
}

/**
 * pi_window_choose_server:
 * @self: a #PiWindow
 *
 * Opens the Connect dialog; choosing a server there connects to it.
 */
void
pi_window_choose_server (PiWindow *self)
{
  PiConnectDialog *dialog;

  g_return_if_fail (PI_IS_WINDOW (self));

  dialog = pi_connect_dialog_new (self->settings);
  g_signal_connect_object (dialog, "server-chosen", G_CALLBACK (on_server_chosen), self, G_CONNECT_SWAPPED);
  adw_dialog_present (ADW_DIALOG (dialog), GTK_WIDGET (self));
}

static void
on_clear_toast_dismissed (PiWindow *self,
                          AdwToast *toast)
{
  /* The undo is gone with its toast: let the messages go. */
  pi_session_forget_cleared (self->session);
  pi_window_update_actions (self);
}

/**
 * pi_window_clear_with_undo:
 * @self: a #PiWindow
 *
 * Empties the list, and offers Undo in a toast while it shows.
 */
void
pi_window_clear_with_undo (PiWindow *self)
{
  AdwToast *toast;
  guint n;

  g_return_if_fail (PI_IS_WINDOW (self));

  if (self->clear_toast != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->clear_toast, self);
      adw_toast_dismiss (self->clear_toast);
      g_clear_weak_pointer (&self->clear_toast);
    }

  n = pi_session_clear (self->session);
  pi_message_list_follow (self->message_list);

  /* What is saved next starts with the next message. */
  g_clear_pointer (&self->capture_started, g_date_time_unref);

  if (n > 0)
    {
      g_autofree char *count = pi_session_format_count (n);
      g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                             "%s message cleared",
                                                             "%s messages cleared", n),
                                                count);

      toast = adw_toast_new (title);
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_action_name (toast, "win.undo-clear");
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_clear_toast_dismissed), self, G_CONNECT_SWAPPED);
      g_set_weak_pointer (&self->clear_toast, toast);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }

  pi_window_update_actions (self);
}

/**
 * pi_window_undo_clear:
 * @self: a #PiWindow
 *
 * Puts back what the last Clear removed, before what arrived since.
 */
void
pi_window_undo_clear (PiWindow *self)
{
  g_return_if_fail (PI_IS_WINDOW (self));

  if (!pi_session_undo_clear (self->session))
    return;

  if (self->clear_toast != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->clear_toast, self);
      g_clear_weak_pointer (&self->clear_toast);
    }

  pi_window_update_actions (self);
}

void
pi_window_disconnect (PiWindow *self)
{
  g_return_if_fail (PI_IS_WINDOW (self));
  g_return_if_fail (self->session != NULL);

  pi_session_disconnect (self->session);
  update_connection_state (self);
}
