/* pi-connect-dialog.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-connect-dialog"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-connect-dialog.h"
#include "pi-credentials.h"
#include "pi-deployments.h"

/* Where to listen: the known deployments by name, Mozilla Pulse for a Pulse
 * user, any URL (checked as it is typed; a broker's too), the recent ones
 * (those that went live), and credentials for private deployments. Choosing
 * emits ::server-chosen; the window connects (and asks a broker's password),
 * and remembers the server once its stream is live. */
struct _PiConnectDialog
{
  AdwDialog        parent_instance;

  /* Template widgets */
  AdwToastOverlay *toast_overlay;
  GtkListBox      *deployments_list;
  AdwEntryRow     *url_row;
  GtkWidget       *url_connect_button;
  GtkLabel        *url_error_label;
  AdwExpanderRow  *credentials_row;
  AdwPreferencesGroup *recent_group;
  GtkListBox      *recent_list;
  AdwEntryRow     *client_id_row;
  AdwPasswordEntryRow *token_row;
  AdwEntryRow     *pulse_user_row;
  GtkLabel        *pulse_error_label;

  /* Owned */
  GSettings       *settings;
  GCancellable    *cancellable;
  guint            n_recent;
  /* The row of the server listened to now, if listed */
  GtkWidget       *current_row;
  /* The server of the token being stored. */
  char            *token_server;
};

G_DEFINE_FINAL_TYPE (PiConnectDialog, pi_connect_dialog, ADW_TYPE_DIALOG)

enum {
  SERVER_CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Whether @url is the server listened to now (as the settings keep it). */
static gboolean
is_current (PiConnectDialog *self,
            const char      *url)
{
  g_autofree char *setting = NULL;

  if (self->settings == NULL)
    return FALSE;

  setting = pi_deployments_dup_chosen_server (self->settings);
  if (setting == NULL || setting[0] == '\0')
    return FALSE;

  return pi_deployments_same_server (setting, url);
}

/* The server listened to now is marked where it is listed, once: the
 * first row that names it. */
static void
mark_current (PiConnectDialog *self,
              GtkWidget       *row)
{
  GtkWidget *label;

  if (self->current_row != NULL)
    return;

  label = gtk_label_new (_("Current"));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("The server chosen now"),
                                  -1);
  self->current_row = row;
}

static GtkWidget *
make_server_row (PiConnectDialog *self,
                 const char      *title,
                 const char      *subtitle,
                 const char      *url)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (is_current (self, url))
    mark_current (self, row);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_widget_set_tooltip_text (row, url);
  g_object_set_data_full (G_OBJECT (row), "server-url", g_strdup (url), g_free);

  return row;
}

static void
fill_recent (PiConnectDialog *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-servers");
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    {
      if (child == self->current_row)
        self->current_row = NULL;
      gtk_list_box_remove (self->recent_list, child);
    }

  self->n_recent = 0;
  for (guint i = 0; recent[i] != NULL && i < PI_MAX_RECENT_SERVERS; i++)
    {
      /* Remembered without a password, unless edited by hand: not shown. */
      g_autofree char *url = pi_deployments_without_password (recent[i]);
      g_autofree char *name = pi_deployments_describe_url (url);

      gtk_list_box_append (self->recent_list, make_server_row (self, name, url, url));
      self->n_recent++;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->recent_group), self->n_recent > 0);
}

static void
on_row_activated (PiConnectDialog *self,
                  GtkListBoxRow   *row,
                  GtkListBox      *list)
{
  const char *url = g_object_get_data (G_OBJECT (row), "server-url");

  if (url != NULL)
    pi_connect_dialog_choose (self, url);
}

static gboolean
check_url (PiConnectDialog *self,
           gboolean         show_empty)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  g_autofree char *url = g_strstrip (g_strdup (text));
  g_autoptr(GError) error = NULL;
  gboolean ok = pi_deployments_check_url (url, &error);

  /* Only an address that can be used can be chosen. */
  gtk_widget_set_sensitive (self->url_connect_button, ok);

  /* An empty row is no mistake until the user tries to use it. */
  if (ok || (!show_empty && url[0] == '\0'))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
      gtk_widget_set_visible (GTK_WIDGET (self->url_error_label), FALSE);
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
      gtk_label_set_text (self->url_error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->url_error_label), TRUE);
    }

  return ok;
}

static void
on_url_changed (PiConnectDialog *self,
                GtkEditable     *editable)
{
  check_url (self, FALSE);
}

static void
on_url_apply (PiConnectDialog *self,
              GtkWidget       *widget)
{
  g_autofree char *url = NULL;

  if (!check_url (self, TRUE))
    return;

  url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
  pi_connect_dialog_choose (self, url);
}

/* The label is a row of the expander: the row goes with it, or an empty
 * row would show under the user name. */
static void
set_pulse_error (PiConnectDialog *self,
                 const char      *text)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (self->pulse_error_label), GTK_TYPE_LIST_BOX_ROW);

  if (text != NULL)
    gtk_label_set_text (self->pulse_error_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->pulse_error_label), text != NULL);
  if (row != NULL)
    gtk_widget_set_visible (row, text != NULL);
}

/* The Pulse user as typed, checked as it is typed like the address: the
 * reason in words under the row. Returns Pulse's address for the user. */
static char *
check_pulse_user (PiConnectDialog *self,
                  gboolean         show_empty)
{
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->pulse_user_row));
  g_autofree char *trimmed = g_strstrip (g_strdup (user));
  g_autoptr(GError) error = NULL;
  g_autofree char *pulse_url = pi_deployments_pulse_url (user, &error);

  if (pulse_url != NULL || (!show_empty && trimmed[0] == '\0'))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->pulse_user_row), "error");
      set_pulse_error (self, NULL);
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->pulse_user_row), "error");
      set_pulse_error (self, error->message);
    }

  return g_steal_pointer (&pulse_url);
}

static void
on_pulse_user_changed (PiConnectDialog *self,
                       GtkEditable     *editable)
{
  g_free (check_pulse_user (self, FALSE));
}

static void
on_pulse_user_apply (PiConnectDialog *self,
                     AdwEntryRow     *row)
{
  g_autofree char *url = check_pulse_user (self, TRUE);

  if (url != NULL)
    pi_connect_dialog_choose (self, url);
}

static void
on_token_stored (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PiConnectDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pi_credentials_store_finish (result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      text = g_strdup_printf (_("Could not keep the access token in the keyring: %s"), error->message);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Access token kept in the keyring")));

  /* The token is for this server: listen to it now, with the token. */
  if (self->token_server != NULL)
    pi_connect_dialog_choose (self, self->token_server);
}

static void
on_token_apply (PiConnectDialog *self,
                AdwEntryRow     *row)
{
  const char *client_id = gtk_editable_get_text (GTK_EDITABLE (self->client_id_row));
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));
  g_autofree char *typed = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
  g_autofree char *server = NULL;

  /* The token belongs to the address typed above it, if any; else to the
   * server listened to now. */
  if (typed[0] != '\0')
    {
      if (!check_url (self, TRUE))
        return;
      server = g_steal_pointer (&typed);
    }
  else
    server = g_settings_get_string (self->settings, "server-url");

  if (client_id[0] == '\0')
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Enter the client ID the token belongs to")));
      return;
    }

  if (token[0] == '\0')
    return;

  g_free (self->token_server);
  self->token_server = g_steal_pointer (&server);
  pi_credentials_store_async (self->token_server, client_id, token, self->cancellable,
                              on_token_stored, g_object_ref (self));
}

static void
pi_connect_dialog_dispose (GObject *object)
{
  PiConnectDialog *self = PI_CONNECT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_CONNECT_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->token_server, g_free);

  G_OBJECT_CLASS (pi_connect_dialog_parent_class)->dispose (object);
}

static void
pi_connect_dialog_class_init (PiConnectDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_connect_dialog_dispose;

  /**
   * PiConnectDialog::server-chosen:
   * @self: the dialog
   * @server_url: the root URL or events URL chosen
   */
  signals[SERVER_CHOSEN] =
    g_signal_new ("server-chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-connect-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, deployments_list);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, url_connect_button);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, url_error_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, credentials_row);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, recent_group);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, recent_list);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, token_row);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, pulse_user_row);
  gtk_widget_class_bind_template_child (widget_class, PiConnectDialog, pulse_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_pulse_user_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_pulse_user_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_url_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_url_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_token_apply);
}

static void
pi_connect_dialog_init (PiConnectDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  set_pulse_error (self, NULL);

}

/* Before Mozilla Pulse, which needs a user name first. */
static void
fill_deployments (PiConnectDialog *self)
{
  const PiDeployment *deployments;
  guint n;

  deployments = pi_deployments_get (&n);
  for (guint i = 0; i < n; i++)
    gtk_list_box_insert (self->deployments_list,
                         make_server_row (self, _(deployments[i].name), _(deployments[i].description),
                                          deployments[i].url),
                         (int) i);
}

/**
 * pi_connect_dialog_new:
 * @settings: the application's settings (server-url, recent-servers, client-id)
 *
 * Returns: (transfer floating): a new dialog
 */
PiConnectDialog *
pi_connect_dialog_new (GSettings *settings)
{
  PiConnectDialog *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (PI_TYPE_CONNECT_DIALOG, NULL);
  self->settings = g_object_ref (settings);

  g_settings_bind (settings, "client-id", self->client_id_row, "text", G_SETTINGS_BIND_DEFAULT);
  /* Credentials are for private deployments: out of the way unless used. */
  adw_expander_row_set_expanded (self->credentials_row,
                                 gtk_editable_get_text (GTK_EDITABLE (self->client_id_row))[0] != '\0');
  fill_deployments (self);
  fill_recent (self);

  return self;
}

/**
 * pi_connect_dialog_choose:
 * @self: a #PiConnectDialog
 * @server_url: a server URL
 *
 * Chooses @server_url as if picked: emits ::server-chosen and closes.
 */
void
pi_connect_dialog_choose (PiConnectDialog *self,
                          const char      *server_url)
{
  g_return_if_fail (PI_IS_CONNECT_DIALOG (self));
  g_return_if_fail (server_url != NULL);

  g_object_ref (self);
  g_signal_emit (self, signals[SERVER_CHOSEN], 0, server_url);
  adw_dialog_close (ADW_DIALOG (self));
  g_object_unref (self);
}

/**
 * pi_connect_dialog_get_current_row:
 * @self: a #PiConnectDialog
 *
 * Returns: (transfer none) (nullable): the row marked as the server
 *   listened to now, if it is listed
 */
GtkWidget *
pi_connect_dialog_get_current_row (PiConnectDialog *self)
{
  g_return_val_if_fail (PI_IS_CONNECT_DIALOG (self), NULL);

  return self->current_row;
}

/* Whether the address typed can be chosen: its Connect button is active. */
gboolean
pi_connect_dialog_get_can_connect_url (PiConnectDialog *self)
{
  g_return_val_if_fail (PI_IS_CONNECT_DIALOG (self), FALSE);

  return gtk_widget_get_sensitive (self->url_connect_button);
}

guint
pi_connect_dialog_get_n_recent (PiConnectDialog *self)
{
  g_return_val_if_fail (PI_IS_CONNECT_DIALOG (self), 0);

  return self->n_recent;
}

/**
 * pi_connect_dialog_remember:
 * @settings: the application's settings
 * @server_url: a server chosen whose stream went live
 *
 * Puts @server_url first in the recent servers, once.
 */
void
pi_connect_dialog_remember (GSettings  *settings,
                            const char *server_url)
{
  g_auto(GStrv) recent = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) updated = NULL;
  g_autofree char *clean = NULL;
  guint n = 1;

  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (server_url != NULL);

  if (server_url[0] == '\0')
    return;

  /* A password never goes into the settings, even one typed into an
   * address by hand. */
  clean = pi_deployments_without_password (server_url);

  recent = g_settings_get_strv (settings, "recent-servers");
  builder = g_strv_builder_new ();
  g_strv_builder_add (builder, clean);
  for (guint i = 0; recent[i] != NULL && n < PI_MAX_RECENT_SERVERS; i++)
    {
      if (g_strcmp0 (recent[i], clean) == 0)
        continue;
      g_strv_builder_add (builder, recent[i]);
      n++;
    }

  updated = g_strv_builder_end (builder);
  g_settings_set_strv (settings, "recent-servers", (const char * const *) updated);
}
