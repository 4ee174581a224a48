/* pi-window-live.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-window"

#include <glib/gi18n.h>

#include "pi-binding.h"
#include "pi-connect-dialog.h"
#include "pi-deployments.h"
#include "pi-window-private.h"

/*
 * A live window: the PiSession it holds (a window browsing a saved capture
 * is a PiCaptureWindow), connected to the server
 * of the settings with the enabled bindings of the sidebar. Here are the
 * commands that drive it (connect, choose a server, disconnect, clear and
 * undo), its state told once (the failure page or banner and its one
 * action, the empty pages), the bindings kept in the settings, and the
 * pause button. The actions that call these are in pi-window-actions.c.
 */

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

static void update_main_page (PiWindow *self);

/* The one action offered with a failure (see pi_session_get_failure()). */
static const char *
remedy_button (PiSessionRemedy  remedy,
               const char     **action_name)
{
  switch (remedy)
    {
    case PI_SESSION_REMEDY_CHANGE_SERVER:
      *action_name = "win.choose-server";
      return _("_Change Server…");

    case PI_SESSION_REMEDY_ENTER_PASSWORD:
      *action_name = "win.enter-password";
      return _("_Enter Password…");

    case PI_SESSION_REMEDY_ENTER_CREDENTIALS:
      *action_name = "win.choose-server";
      return _("_Enter Credentials…");

    case PI_SESSION_REMEDY_RETRY:
      *action_name = "win.connect";
      return _("_Retry");

    case PI_SESSION_REMEDY_RETRY_NOW:
      *action_name = "win.connect";
      return _("Retry _Now");

    case PI_SESSION_REMEDY_RECONNECT_NOW:
      /* Connect to what the stream waits to reconnect to: at once (see
       * pi_session_connect()). */
      *action_name = "win.connect";
      return _("Reconnect _Now");

    case PI_SESSION_REMEDY_NONE:
    default:
      *action_name = NULL;
      return NULL;
    }
}

static void
update_connection_state (PiWindow *self)
{
  PiSessionRemedy remedy = PI_SESSION_REMEDY_NONE;
  const char *failure = pi_session_get_failure (self->session, &remedy);
  const char *action_name = NULL;
  const char *button_label = remedy_button (remedy, &action_name);
  gboolean has_messages = g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0;
  gboolean has_counters;
  g_autofree char *description = NULL;

  /* Told once: over the messages already shown as a banner (nothing received
   * is lost), else as the page in their place. */
  if (failure != NULL && has_messages)
    {
      if (pi_session_get_lost (self->session))
        {
          /* Messages had been arriving: a loss, named first, its reason second. */
          /* Translators: %s is a deployment's name or a server's host */
          g_autofree char *lost = g_strdup_printf (_("Lost connection to %s"), pi_session_get_title (self->session));
          g_autofree char *title = g_markup_printf_escaped ("%s\n<span size=\"small\" weight=\"normal\">%s</span>",
                                                            lost, failure);

          adw_banner_set_use_markup (self->error_banner, TRUE);
          adw_banner_set_title (self->error_banner, title);
        }
      else
        {
          adw_banner_set_use_markup (self->error_banner, FALSE);
          adw_banner_set_title (self->error_banner, failure);
        }
      adw_banner_set_button_label (self->error_banner, button_label);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->error_banner), action_name);
    }
  adw_banner_set_revealed (self->error_banner, failure != NULL && has_messages);

  if (failure != NULL && !has_messages)
    {
      gboolean no_password = pi_session_get_needs_password (self->session);

      /* Nothing failed without a password: it was not given. A stream
       * that had been live (its messages since cleared) was lost. */
      adw_status_page_set_title (self->failure_page,
                                 no_password ? _("No Password") :
                                 pi_session_get_lost (self->session) ? _("Connection Lost") :
                                 _("Could Not Connect"));
      /* A password to give, or another one: the key says so before the words. */
      adw_status_page_set_icon_name (self->failure_page,
                                     remedy == PI_SESSION_REMEDY_ENTER_PASSWORD
                                     ? "dialog-password-symbolic" : "network-error-symbolic");
      adw_status_page_set_description (self->failure_page, failure);
      gtk_button_set_label (self->failure_button, button_label);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->failure_button), action_name);
      gtk_widget_set_visible (GTK_WIDGET (self->failure_server_button),
                              (remedy == PI_SESSION_REMEDY_RETRY || remedy == PI_SESSION_REMEDY_RETRY_NOW ||
                               remedy == PI_SESSION_REMEDY_RECONNECT_NOW) &&
                              !pi_session_get_ever_connected (self->session));
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

/* A server picked in Connect enters Recent once a stream to it went live:
 * Recent lists places that worked, not addresses that were refused. */
static void
remember_chosen_server (PiWindow *self)
{
  g_autofree char *chosen = NULL;

  if (self->chosen_server == NULL ||
      pi_source_get_state (self->stream) != PI_STREAM_STATE_LIVE)
    return;

  /* The session keeps its address without a password, as Recent does. */
  chosen = pi_deployments_without_password (self->chosen_server);
  if (g_strcmp0 (chosen, pi_session_get_server_url (self->session)) != 0)
    return;

  pi_connect_dialog_remember (self->settings, self->chosen_server);
  g_clear_pointer (&self->chosen_server, g_free);
}

static void
on_stream_notify (PiWindow   *self,
                  GParamSpec *pspec,
                  gpointer    stream)
{
  remember_chosen_server (self);

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
  const char *page = "messages";

  /* With nothing received and nothing on the way, "Waiting for Messages"
   * would be a promise the window cannot keep: say what to do instead. */
  if (self->stream == NULL || self->store == NULL)
    return;

  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0)
    page = "messages";
  else if (pi_window_is_first_start (self))
    page = "first-start";
  else if (pi_session_get_failure (self->session, NULL) != NULL)
    page = "failed";
  else if (g_list_model_get_n_items (bindings) == 0)
    page = "no-bindings";
  else if (!pi_window_stream_is_active (self))
    page = "not-connected";

  gtk_stack_set_visible_child_name (self->main_stack, page);
  /* "No Bindings" is told once: by this page when it shows beside the
   * sidebar, else by the sidebar (messages kept, or a failure shown, with
   * no bindings left; or the sidebar folded, shown over this page). On a
   * first start, where to listen comes first: one suggested action. */
  pi_bindings_sidebar_set_empty_told_elsewhere (self->bindings_sidebar,
                                                g_str_equal (page, "first-start") ||
                                                (g_str_equal (page, "no-bindings") &&
                                                 !adw_overlay_split_view_get_collapsed (self->split_view)));
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

/* Called from constructed(), before the views are set up: the session
 * (the source, the store, pause and clear) and the live actions. */
void
pi_window_init_live (PiWindow *self)
{
  g_assert (PI_IS_WINDOW (self));

  self->session = pi_session_new (g_settings_get_uint (self->settings, "capacity"));
  self->store = g_object_ref (pi_session_get_store (self->session));
  self->stream = g_object_ref (pi_session_get_source (self->session));
  pi_window_init_actions (self);
}

/* Called from constructed(), after the views: listens to the server of the
 * settings with the bindings of the sidebar, and tells its state once. */
void
pi_window_setup_live (PiWindow *self)
{
  g_assert (PI_IS_WINDOW (self));
  g_assert (self->session != NULL);

  /* A bad address is known before any network: the same one surface. */
  g_signal_connect_object (self->session, "notify::local-error", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::needs-password", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::lost", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::paused", G_CALLBACK (on_paused_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::title", G_CALLBACK (pi_window_update_header), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::subtitle", G_CALLBACK (pi_window_update_header), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::narrow-subtitle", G_CALLBACK (pi_window_update_header), self, G_CONNECT_SWAPPED);
  pi_window_update_header (self);
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
  g_object_bind_property (self->session, "lost", self->connection_bar, "lost", G_BINDING_SYNC_CREATE);

  pi_window_init_password (self);

  g_settings_bind (self->settings, "server-url", self->session, "server-url", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "follow", self->message_list, "follow", G_SETTINGS_BIND_GET);
  g_signal_connect_object (self->settings, "changed::server-url",
                           G_CALLBACK (update_main_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::server-url",
                           G_CALLBACK (pi_window_update_header), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::capacity",
                           G_CALLBACK (on_capacity_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::ping-timeout",
                           G_CALLBACK (on_ping_timeout_changed), self, G_CONNECT_SWAPPED);

  load_bindings (self);
  g_signal_connect_object (pi_bindings_sidebar_get_model (self->bindings_sidebar), "items-changed",
                           G_CALLBACK (on_bindings_changed), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->split_view, "notify::collapsed",
                           G_CALLBACK (update_main_page), self, G_CONNECT_SWAPPED);

  update_main_page (self);
  update_connection_state (self);
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
  g_return_if_fail (server_url != NULL);

  pi_session_set_server_url (self->session, server_url);
  /* Chosen, even when it is the default (see pi_window_is_first_start()):
   * kept as the session keeps it, without a password. */
  if (pi_window_is_first_start (self))
    g_settings_set_string (self->settings, "server-url", pi_session_get_server_url (self->session));
}

/**
 * pi_window_is_first_start:
 * @self: a #PiWindow
 *
 * Whether no server was ever chosen: not in the Connect dialog, nor on the
 * command line, nor by a share link. The settings' default address is a
 * placeholder then, not a place the user asked to listen to; connecting
 * to it would greet a new user with a refusal.
 *
 * Returns: %TRUE on a first start
 */
gboolean
pi_window_is_first_start (PiWindow *self)
{
  g_autofree char *chosen = NULL;

  g_return_val_if_fail (PI_IS_WINDOW (self), FALSE);

  chosen = pi_deployments_dup_chosen_server (self->settings);
  return chosen == NULL;
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

  /* Nowhere to listen yet: ask where, rather than try the placeholder. */
  if (pi_window_is_first_start (self))
    {
      pi_window_choose_server (self);
      return;
    }

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
  g_free (self->chosen_server);
  self->chosen_server = g_strdup (server_url);
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

  pi_session_disconnect (self->session);
  update_connection_state (self);
}

void
pi_window_class_init_live (PiWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_bind_template_callback (widget_class, on_link_pasted);
  gtk_widget_class_bind_template_callback (widget_class, on_binding_enabled_changed);
}


/* Records when the messages about to be kept began (on connecting, or with
 * the first message after a Clear). */
void
pi_window_note_capture_start (PiWindow *self)
{
  g_assert (PI_IS_WINDOW (self));

  g_clear_pointer (&self->capture_started, g_date_time_unref);
  self->capture_started = g_date_time_new_now_utc ();
}

static GDateTime *
dup_started (PiWindow *self)
{
  g_autoptr(PiMessage) first = NULL;

  if (self->capture_started != NULL)
    return g_date_time_ref (self->capture_started);

  if ((first = g_list_model_get_item (G_LIST_MODEL (self->store), 0)) != NULL)
    return g_date_time_new_from_unix_utc (pi_message_get_time_received (first) / G_USEC_PER_SEC);

  return g_date_time_new_now_utc ();
}

/* What the kept messages are a capture of, for saving them (PiCaptureSaver). */
PiCaptureInfo *
pi_window_dup_capture_info (PiWindow *self)
{
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GDateTime) started = NULL;
  const char *server;

  g_assert (PI_IS_WINDOW (self));

  /* What the stream was started with: the fields may have been edited since. */
  server = pi_source_get_server_url (self->stream);
  if (server == NULL || server[0] == '\0')
    server = pi_session_get_server_url (self->session);
  if (server == NULL)
    server = "";

  if (pi_source_get_bindings (self->stream) != NULL)
    bindings = g_ptr_array_ref (pi_source_get_bindings (self->stream));
  else
    bindings = pi_window_collect_bindings (self);

  started = dup_started (self);

  return pi_capture_info_new (server, bindings, started);
}
