/* pi-window-actions.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-window"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-binding.h"
#include "pi-share-link.h"
#include "pi-deployments.h"
#include "pi-window-private.h"

/*
 * The window's commands: every win.* action, window.paste-link, and
 * pi_window_update_actions(), the one place that decides which make sense
 * now. The file actions (save, save-shown, export-selected, export-shown,
 * cancel-save) are PiCaptureSaver's, shared with the capture window; this
 * adds them and has them updated with the rest. Share links are read and
 * written here too, for the actions that import and copy them.
 */

/* Share links ----------------------------------------------------------- */

/**
 * pi_window_import_link:
 * @self: a #PiWindow
 * @link: a share link
 * @error: return location for a #GError
 *
 * Adds the bindings of @link that are not in the list yet and says so in a
 * toast.
 *
 * Returns: %TRUE if @link was a share link
 */
gboolean
pi_window_import_link (PiWindow    *self,
                       const char  *link,
                       GError     **error)
{
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GPtrArray) valid = NULL;
  g_autoptr(GError) first_error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *stripped = NULL;
  g_autofree char *server = NULL;
  guint n_added = 0;

  g_return_val_if_fail (PI_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (link != NULL, FALSE);

  stripped = g_strstrip (g_strdup (link));
  if (!(bindings = pi_bindings_from_share_link (stripped, error)))
    return FALSE;

  /* A link is only text from somewhere: check each binding as if typed. */
  valid = pi_window_validate_bindings (bindings, &first_error);
  if (valid->len == 0)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&first_error),
                                  _("The share link has no usable binding: "));
      return FALSE;
    }

  /* An events URL with bindings ("…/api/events/v1?bindings…") names its server. */
  if ((server = pi_share_link_server_url (stripped)) != NULL)
    pi_window_set_server_url (self, server);

  n_added = pi_bindings_sidebar_add_all (self->bindings_sidebar, valid);

  if (n_added == 0)
    title = g_strdup (_("The share link’s bindings are already in the list"));
  else if (valid->len < bindings->len)
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Imported %u binding; invalid ones were left out",
                                          "Imported %u bindings; invalid ones were left out",
                                          n_added),
                             n_added);
  else
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Imported %u binding",
                                          "Imported %u bindings",
                                          n_added),
                             n_added);
  pi_window_add_toast (self, title);

  return TRUE;
}

/**
 * pi_window_validate_bindings:
 * @bindings: (element-type PiBinding): bindings from outside (a link, the
 *   command line)
 * @error: return location for the first invalid binding's reason
 *
 * Returns: (transfer full) (element-type PiBinding): the valid ones, in order
 */
GPtrArray *
pi_window_validate_bindings (GPtrArray  *bindings,
                             GError    **error)
{
  GPtrArray *valid;

  g_return_val_if_fail (bindings != NULL, NULL);

  valid = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);
      g_autoptr(GError) local_error = NULL;

      if (pi_binding_validate (binding, &local_error))
        g_ptr_array_add (valid, g_object_ref (binding));
      else if (error != NULL && *error == NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
    }

  return valid;
}

/**
 * pi_window_dup_share_link:
 * @self: a #PiWindow
 *
 * Returns: (transfer full): a link with the server's events URL and the
 *   bindings, which pi_window_import_link() reads back
 */
char *
pi_window_dup_share_link (PiWindow *self)
{
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autofree char *connect_url = NULL;
  g_autofree char *base = NULL;
  const char *url;

  g_return_val_if_fail (PI_IS_WINDOW (self), NULL);

  url = pi_session_get_server_url (self->session);
  if (url == NULL)
    url = "";
  bindings = pi_window_collect_bindings (self);
  none = g_ptr_array_new ();

  /* Normalize a root URL to the events URL so that the link names the server. */
  if ((connect_url = pi_source_derive_connect_url (url, none, NULL)) != NULL)
    base = pi_share_link_server_url (connect_url);

  return pi_bindings_to_share_link (base ? base : url, bindings);
}

/* Actions ---------------------------------------------------------------- */

static void
connect_action (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  pi_window_connect (PI_WINDOW (user_data));
}

static void
disconnect_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  pi_window_disconnect (PI_WINDOW (user_data));
}

static void
pause_change_state (GSimpleAction *action,
                    GVariant      *value,
                    gpointer       user_data)
{
  PiWindow *self = PI_WINDOW (user_data);

  /* The session holds arriving messages while paused; the action mirrors it
   * (see pi_window_update_actions). */
  pi_session_set_paused (self->session, g_variant_get_boolean (value));
  g_simple_action_set_state (action, value);
}

static void
clear_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  pi_window_clear_with_undo (PI_WINDOW (user_data));
}

static void
undo_clear_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  pi_window_undo_clear (PI_WINDOW (user_data));
}

static void
choose_server_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  pi_window_choose_server (PI_WINDOW (user_data));
}

static void
find_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PiWindow *self = PI_WINDOW (user_data);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "messages") == 0)
    pi_message_list_start_search (self->message_list);
}

static void
on_import_response (AdwAlertDialog *dialog,
                    const char     *response,
                    PiWindow       *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "import") != 0)
    return;

  if (!pi_window_import_link (self, gtk_editable_get_text (entry), &error))
    pi_window_show_error (self, error->message);
}

static void
on_import_entry_changed (GtkEditable    *entry,
                         AdwAlertDialog *dialog)
{
  const char *text = gtk_editable_get_text (entry);
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *hint = g_object_get_data (G_OBJECT (dialog), "hint");
  gboolean empty;

  empty = text[0] == '\0';
  bindings = empty ? NULL : pi_bindings_from_share_link (text, &error);

  /* Say why a link cannot be imported while it is being pasted or typed. */
  adw_alert_dialog_set_response_enabled (dialog, "import", bindings != NULL);
  gtk_label_set_text (GTK_LABEL (hint), error != NULL ? error->message : "");
  gtk_widget_set_visible (hint, error != NULL);
  if (error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
}

static void
on_import_entry_activate (GtkEntry       *entry,
                          AdwAlertDialog *dialog)
{
  /* Enter in the entry imports, as the Import button would: only while the
   * text is a link that carries bindings. */
  if (!adw_alert_dialog_get_response_enabled (dialog, "import"))
    return;

  g_signal_emit_by_name (dialog, "response::import", "import");
  adw_dialog_force_close (ADW_DIALOG (dialog));
}

static void
import_link_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PiWindow *self = PI_WINDOW (user_data);
  AdwDialog *dialog;
  GtkWidget *box;
  GtkWidget *entry;
  GtkWidget *hint;

  dialog = adw_alert_dialog_new (_("Import Share Link"),
                                   _("Paste a link that carries bindings, such as a connect URL with a bindings query. Its bindings are added to the list."));
  adw_alert_dialog_add_responses (ADW_ALERT_DIALOG (dialog),
                                  "cancel", _("_Cancel"),
                                  "import", _("_Import"),
                                  NULL);
  adw_alert_dialog_set_response_appearance (ADW_ALERT_DIALOG (dialog), "import",
                                            ADW_RESPONSE_SUGGESTED);
  adw_alert_dialog_set_response_enabled (ADW_ALERT_DIALOG (dialog), "import", FALSE);
  adw_alert_dialog_set_default_response (ADW_ALERT_DIALOG (dialog), "import");
  adw_alert_dialog_set_close_response (ADW_ALERT_DIALOG (dialog), "cancel");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  entry = gtk_entry_new ();
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_URL);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Share link"));
  gtk_box_append (GTK_BOX (box), entry);
  hint = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (hint), TRUE);
  gtk_label_set_xalign (GTK_LABEL (hint), 0);
  gtk_widget_add_css_class (hint, "error");
  gtk_widget_add_css_class (hint, "caption");
  gtk_widget_set_visible (hint, FALSE);
  gtk_box_append (GTK_BOX (box), hint);
  adw_alert_dialog_set_extra_child (ADW_ALERT_DIALOG (dialog), box);

  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data (G_OBJECT (dialog), "hint", hint);
  g_signal_connect (entry, "changed", G_CALLBACK (on_import_entry_changed), dialog);
  g_signal_connect (entry, "activate", G_CALLBACK (on_import_entry_activate), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_import_response), self, 0);

  adw_dialog_set_focus (dialog, entry);
  adw_dialog_present (dialog, GTK_WIDGET (self));
}

static void
copy_link_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  PiWindow *self = PI_WINDOW (user_data);
  g_autofree char *link = pi_window_dup_share_link (self);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), link);
  pi_window_add_toast (self, _("Share link copied"));
}

static void
on_clipboard_text (GObject      *clipboard,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PiWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (clipboard), result, &error);

  if (text == NULL || !pi_window_import_link (self, text, NULL))
    pi_window_add_toast (self, _("The clipboard does not hold a share link"));
}

static void
paste_link_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  /* Reached only when no text field took the paste (class shortcuts run in
   * the bubble phase, after the focused entry). */
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget),
                                 NULL,
                                 on_clipboard_text,
                                 g_object_ref (widget));
}

static void
add_binding_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PiWindow *self = user_data;

  pi_bindings_sidebar_show_add_dialog (self->bindings_sidebar);
}

static void
enter_password_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  pi_window_ask_password (PI_WINDOW (user_data));
}

static const GActionEntry win_actions[] = {
  { "find", find_action },
  { "connect", connect_action },
  { "disconnect", disconnect_action },
  { "pause", NULL, NULL, "false", pause_change_state },
  { "clear", clear_action },
  { "undo-clear", undo_clear_action },
  { "choose-server", choose_server_action },
  { "import-link", import_link_action },
  { "add-binding", add_binding_action },
  { "copy-link", copy_link_action },
  { "enter-password", enter_password_action },
};

void
pi_window_class_init_actions (PiWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "window.paste-link", NULL, paste_link_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK,
                                       "window.paste-link", NULL);
}

/* Called from constructed(), with the session (pi_window_init_live());
 * the file actions come with the views (PiCaptureSaver). */
void
pi_window_init_actions (PiWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
}

static void
set_enabled (PiWindow   *self,
             const char *name,
             gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* The single place that decides which commands make sense right now. */
void
pi_window_update_actions (PiWindow *self)
{
  GListModel *bindings;
  const char *server_url;
  gboolean active;
  gboolean has_messages;
  gboolean paused;
  GAction *pause;

  g_assert (PI_IS_WINDOW (self));

  /* Not constructed yet, or disposed. */
  if (self->session == NULL || self->bindings_sidebar == NULL)
    return;

  bindings = pi_bindings_sidebar_get_model (self->bindings_sidebar);
  server_url = pi_session_get_server_url (self->session);
  active = pi_window_stream_is_active (self);
  has_messages = g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0;
  paused = pi_session_get_paused (self->session);

  set_enabled (self, "connect", TRUE);
  set_enabled (self, "disconnect", active);
  /* Nothing shown, nothing to clear. */
  set_enabled (self, "clear", has_messages);
  set_enabled (self, "undo-clear", pi_session_get_can_undo_clear (self->session));
  set_enabled (self, "choose-server", TRUE);
  /* Only a broker takes a password. */
  set_enabled (self, "enter-password", server_url != NULL && pi_deployments_is_broker_url (server_url));
  set_enabled (self, "import-link", TRUE);
  set_enabled (self, "add-binding", TRUE);
  set_enabled (self, "copy-link", g_list_model_get_n_items (bindings) > 0);

  pause = g_action_map_lookup_action (G_ACTION_MAP (self), "pause");
  g_simple_action_set_state (G_SIMPLE_ACTION (pause), g_variant_new_boolean (paused));
  /* Pausing holds what arrives: with no connection and nothing shown (the
   * failure and empty pages) there is nothing to hold. Resuming always works. */
  g_simple_action_set_enabled (G_SIMPLE_ACTION (pause), paused || active || has_messages);

  /* Saving and exporting. */
  pi_capture_saver_update_actions (self->saver);
}

