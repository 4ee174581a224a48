/* pi-window-password.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-window"

#include <glib/gi18n.h>

#include "pi-deployments.h"
#include "pi-window-private.h"

/* A broker's password: asked once when the keyring has none, and again
 * when the broker refuses the login. The session connects with it and keeps
 * it in the keyring once the broker accepts it; Cancel leaves the window
 * in its "No Password" state ("Not connected: …" on its page), with Enter
 * Password… as its one action. */

static void
answer (PiWindow       *self,
        AdwAlertDialog *dialog)
{
  g_autoptr(GPtrArray) bindings = NULL;
  const char *password;

  password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  if (password[0] == '\0')
    return;

  bindings = pi_window_collect_bindings (self);
  if (self->capture_started == NULL)
    pi_window_note_capture_start (self);
  pi_session_connect_with_password (self->session, bindings, password);
}

static void
on_password_response (PiWindow       *self,
                      const char     *response,
                      AdwAlertDialog *dialog)
{
  if (g_strcmp0 (response, "connect") == 0 && self->password_row != NULL)
    answer (self, dialog);

  /* Answered: while it slides away, a refusal may already ask again. */
  g_signal_handlers_disconnect_by_data (dialog, self);
  g_clear_weak_pointer (&self->password_row);
  g_clear_weak_pointer (&self->password_dialog);
}

static void
on_password_changed (AdwAlertDialog *dialog,
                     GtkEditable    *editable)
{
  adw_alert_dialog_set_response_enabled (dialog, "connect", gtk_editable_get_text (editable)[0] != '\0');
}

static void
on_password_activated (AdwAlertDialog *dialog,
                       AdwEntryRow    *row)
{
  /* Enter answers like the Connect button, and only when it could. */
  if (gtk_editable_get_text (GTK_EDITABLE (row))[0] == '\0')
    return;

  g_signal_emit_by_name (dialog, "response", "connect");
  adw_dialog_force_close (ADW_DIALOG (dialog));
}

static void
on_password_dialog_closed (PiWindow  *self,
                           AdwDialog *dialog)
{
  g_clear_weak_pointer (&self->password_row);
  g_clear_weak_pointer (&self->password_dialog);
}

/**
 * pi_window_ask_password:
 * @self: a #PiWindow
 *
 * Asks for the password of the user of the broker listened to, then
 * connects with it. Does nothing while the dialog is already open.
 */
void
pi_window_ask_password (PiWindow *self)
{
  const char *server_url;
  g_autofree char *user = NULL;
  g_autofree char *body = NULL;
  AdwDialog *dialog;
  GtkWidget *group;
  GtkWidget *row;

  g_return_if_fail (PI_IS_WINDOW (self));

  server_url = pi_session_get_server_url (self->session);
  if (self->password_dialog != NULL || server_url == NULL || !pi_deployments_is_broker_url (server_url))
    return;

  user = pi_deployments_broker_user (server_url);
  /* Translators: the first %s is a user name, the second a broker
   * ("Mozilla Pulse" or a host name) */
  body = g_strdup_printf (_("Type the password of “%s” on %s. It is kept in your keyring."),
                          user, pi_session_get_title (self->session));

  dialog = adw_alert_dialog_new (_("Enter Password"), body);
  adw_alert_dialog_add_responses (ADW_ALERT_DIALOG (dialog),
                                  "cancel", _("_Cancel"),
                                  "connect", _("C_onnect"),
                                  NULL);
  adw_alert_dialog_set_response_appearance (ADW_ALERT_DIALOG (dialog), "connect", ADW_RESPONSE_SUGGESTED);
  adw_alert_dialog_set_response_enabled (ADW_ALERT_DIALOG (dialog), "connect", FALSE);
  adw_alert_dialog_set_default_response (ADW_ALERT_DIALOG (dialog), "connect");
  adw_alert_dialog_set_close_response (ADW_ALERT_DIALOG (dialog), "cancel");

  group = adw_preferences_group_new ();
  row = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Password"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  adw_alert_dialog_set_extra_child (ADW_ALERT_DIALOG (dialog), group);
  g_signal_connect_object (row, "changed", G_CALLBACK (on_password_changed), dialog, G_CONNECT_SWAPPED);
  g_signal_connect_object (row, "entry-activated", G_CALLBACK (on_password_activated), dialog, G_CONNECT_SWAPPED);

  g_set_weak_pointer (&self->password_dialog, dialog);
  g_set_weak_pointer (&self->password_row, row);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_password_response), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "closed", G_CALLBACK (on_password_dialog_closed), self, G_CONNECT_SWAPPED);

  adw_dialog_set_focus (dialog, row);
  adw_dialog_present (dialog, GTK_WIDGET (self));
}

static void
on_password_needed (PiWindow  *self,
                    PiSession *session)
{
  pi_window_ask_password (self);
}

static void
on_password_not_kept (PiWindow   *self,
                      const char *message,
                      PiSession  *session)
{
  g_autofree char *text = NULL;

  /* Translators: %s is the keyring's error */
  text = g_strdup_printf (_("Could not keep the password in the keyring: %s"), message);
  pi_window_show_error (self, text);
}

void
pi_window_init_password (PiWindow *self)
{
  g_signal_connect_object (self->session, "password-needed",
                           G_CALLBACK (on_password_needed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "password-not-kept",
                           G_CALLBACK (on_password_not_kept), self, G_CONNECT_SWAPPED);
}

void
pi_window_dispose_password (PiWindow *self)
{
  if (self->password_dialog != NULL)
    g_signal_handlers_disconnect_by_data (self->password_dialog, self);
  g_clear_weak_pointer (&self->password_row);
  g_clear_weak_pointer (&self->password_dialog);
}
