/* pi-application.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-app"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-application.h"
#include "pi-binding.h"
#include "pi-capture-window.h"
#include "pi-preferences-dialog.h"
#include "pi-share-link.h"
#include "pi-window.h"

struct _PiApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (PiApplication, pi_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("The events server: a root URL, an events base URL or a connect URL"), N_("URL") },
  { "bind", 'b', 0, G_OPTION_ARG_STRING_ARRAY, NULL,
    N_("Bind an exchange with a routing-key pattern (repeatable)"), N_("EXCHANGE=PATTERN") },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL, NULL, NULL },
  { NULL }
};

PiApplication *
pi_application_new (void)
{
  return g_object_new (PI_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_HANDLES_OPEN,
                       /* The .Devel app id must not move the resources: they
                        * live under the release path in every build. */
                       "resource-base-path", RESOURCE_BASE_PATH,
                       NULL);
}

/**
 * pi_application_get_settings:
 * @self: a #PiApplication
 *
 * Returns: (transfer none): the application's settings
 */
GSettings *
pi_application_get_settings (PiApplication *self)
{
  g_return_val_if_fail (PI_IS_APPLICATION (self), NULL);

  if (self->settings == NULL)
    self->settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);

  return self->settings;
}

static PiWindow *
get_or_create_window (PiApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* A capture window has no server or bindings to give a link or a command line. */
  if (PI_IS_WINDOW (window))
    return PI_WINDOW (window);

  return pi_window_new (GTK_APPLICATION (self));
}

static void
pi_application_activate (GApplication *app)
{
  PiWindow *window = get_or_create_window (PI_APPLICATION (app));

  gtk_window_present (GTK_WINDOW (window));
}

static int
pi_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  PiApplication *self = PI_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *server = NULL;
  g_autofree char *link_server = NULL;
  g_autofree const char **specs = NULL;
  g_autofree const char **rest = NULL;
  g_autoptr(GPtrArray) captures = g_ptr_array_new_with_free_func (g_object_unref);
  const char *link = NULL;
  gboolean have_bindings = FALSE;
  PiWindow *window;

  g_variant_dict_lookup (options, "server", "s", &server);
  g_variant_dict_lookup (options, "bind", "^a&s", &specs);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &rest);

  for (guint i = 0; specs != NULL && specs[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      PiBinding *binding = pi_binding_new_from_spec (specs[i], &error);

      if (binding == NULL)
        {
          g_application_command_line_printerr (command_line,
                                               _("Invalid binding “%s”: %s\n"),
                                               specs[i], error->message);
          return EXIT_FAILURE;
        }

      g_ptr_array_add (bindings, binding);
      have_bindings = TRUE;
    }

  for (guint i = 0; rest != NULL && rest[i] != NULL; i++)
    {
      /* Free arguments are share links (URLs, or a bare query with
       * bindings) or capture files (paths, or file: URIs). */
      if (!pi_share_link_looks_like (rest[i]))
        {
          /* Relative to the directory the command ran in (maybe another process's). */
          g_ptr_array_add (captures, g_application_command_line_create_file_for_arg (command_line, rest[i]));
          continue;
        }

      if (link != NULL)
        {
          g_application_command_line_printerr (command_line,
                                               _("Only one share link can be opened at a time\n"));
          return EXIT_FAILURE;
        }
      link = rest[i];
    }

  if (link != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PiShareLink) imported = NULL;

      if (!(imported = pi_share_link_parse (link, &error)))
        {
          g_application_command_line_printerr (command_line,
                                               _("Could not read the share link: %s\n"),
                                               error->message);
          return EXIT_FAILURE;
        }

      for (guint i = 0; i < imported->bindings->len; i++)
        g_ptr_array_add (bindings, g_object_ref (g_ptr_array_index (imported->bindings, i)));
      have_bindings = TRUE;

      /* taskcluster-ui's links name their deployment: listen there. */
      link_server = g_steal_pointer (&imported->server_url);
    }

  /* Outside text: every binding is checked as if it had been typed. */
  if (have_bindings)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) valid = pi_window_validate_bindings (bindings, &error);

      if (error != NULL)
        {
          g_application_command_line_printerr (command_line, _("Invalid binding: %s\n"),
                                               error->message);
          return EXIT_FAILURE;
        }
    }

  /* Each capture opens in a window of its own; a live window only when
   * asked for one too (or when there is none yet besides). */
  for (guint i = 0; i < captures->len; i++)
    pi_capture_window_open (GTK_APPLICATION (self), g_ptr_array_index (captures, i),
                            gtk_application_get_active_window (GTK_APPLICATION (self)));

  if (captures->len > 0 && server == NULL && !have_bindings)
    return EXIT_SUCCESS;

  window = get_or_create_window (self);

  if (server != NULL)
    pi_window_set_server_url (window, server);
  else if (link_server != NULL)
    pi_window_set_server_url (window, link_server);

  if (have_bindings)
    pi_window_set_bindings (window, bindings);

  gtk_window_present (GTK_WINDOW (window));

  if (server != NULL || have_bindings)
    pi_window_connect (window);

  return EXIT_SUCCESS;
}

static void
pi_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *shortcuts_accels[] = { "<Control>question", NULL };
  static const char *connect_accels[] = { "<Control>Return", NULL };
  static const char *choose_server_accels[] = { "<Control>l", NULL };
  static const char *pause_accels[] = { "<Control>p", NULL };
  static const char *clear_accels[] = { "<Control>k", NULL };
  static const char *find_accels[] = { "<Control>f", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *open_accels[] = { "<Control>o", NULL };
  static const char *save_accels[] = { "<Control>s", NULL };
  static const char *save_shown_accels[] = { "<Shift><Control>s", NULL };
  static const char *export_shown_accels[] = { "<Control>e", NULL };
  static const char *export_selected_accels[] = { "<Shift><Control>e", NULL };
  static const struct {
    const char  *action;
    const char **accels;
  } accels[] = {
    { "app.quit", quit_accels },
    { "app.preferences", preferences_accels },
    { "app.shortcuts", shortcuts_accels },
    { "win.connect", connect_accels },
    { "win.choose-server", choose_server_accels },
    { "win.pause", pause_accels },
    { "win.clear", clear_accels },
    { "win.find", find_accels },
    { "window.close", close_accels },
    { "app.open", open_accels },
    { "win.save", save_accels },
    { "win.save-shown", save_shown_accels },
    { "win.export-shown", export_shown_accels },
    { "win.export-selected", export_selected_accels },
  };

  G_APPLICATION_CLASS (pi_application_parent_class)->startup (app);

  gtk_window_set_default_icon_name (APPLICATION_ID);

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
}

static void
pi_application_dispose (GObject *object)
{
  PiApplication *self = PI_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pi_application_parent_class)->dispose (object);
}

/* The desktop file is D-Bus activatable, so what a launcher hands over
 * (Exec's %U) arrives here: local files are captures, web links are share
 * links, as on the command line. */
static void
pi_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  PiApplication *self = PI_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = NULL;
      g_autoptr(GError) error = NULL;
      PiWindow *window;

      if (g_file_is_native (files[i]))
        {
          pi_capture_window_open (GTK_APPLICATION (self), files[i],
                                  gtk_application_get_active_window (GTK_APPLICATION (self)));
          continue;
        }

      uri = g_file_get_uri (files[i]);
      window = get_or_create_window (self);
      gtk_window_present (GTK_WINDOW (window));
      if (!pi_window_import_link (window, uri, &error))
        pi_window_show_error (window, error->message);
    }
}

static void
pi_application_class_init (PiApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = pi_application_dispose;

  app_class->activate = pi_application_activate;
  app_class->command_line = pi_application_command_line;
  app_class->open = pi_application_open;
  app_class->startup = pi_application_startup;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PiApplication *self = user_data;
  g_autoptr(GList) windows = NULL;

  /* Close (not destroy) the windows so that each saves its size and state. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);

  g_application_quit (G_APPLICATION (self));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  static const char *developers[] = { "The Pulse Inspector authors", NULL };
  PiApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_dialog (GTK_WIDGET (parent),
                         "application-name", _("Pulse Inspector"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("The Pulse Inspector authors"),
                         "developers", developers,
                         "version", PACKAGE_VERSION,
                         "comments", _("Watch message-bus traffic live: bind exchanges and "
                                       "routing-key patterns, and inspect every message "
                                       "as it arrives."),
                         "copyright", "© 2026 The Pulse Inspector authors",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PiApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  PiPreferencesDialog *preferences;

  preferences = pi_preferences_dialog_new (pi_application_get_settings (self));
  adw_dialog_present (ADW_DIALOG (preferences), GTK_WIDGET (parent));
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  PiApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* GtkApplicationWindow loads gtk/help-overlay.ui from the resource base
   * path and provides win.show-help-overlay for it. */
  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

typedef struct
{
  PiApplication *self;
  GtkWindow     *parent;   /* weak: the window may close while the dialog is up */
} OpenRequest;

static void
on_open_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  OpenRequest *request = user_data;
  g_autoptr(GListModel) files = NULL;
  g_autoptr(GError) error = NULL;

  /* Dismissing the dialog is not a failure worth words. */
  if ((files = gtk_file_dialog_open_multiple_finish (GTK_FILE_DIALOG (source), result, &error)))
    {
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);

          pi_capture_window_open (GTK_APPLICATION (request->self), file, request->parent);
        }
    }
  else if (!g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_DISMISSED) &&
           !g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_CANCELLED))
    pi_capture_window_show_open_error (GTK_APPLICATION (request->self), request->parent, error->message);

  g_clear_weak_pointer (&request->parent);
  g_object_unref (request->self);
  g_free (request);
}

static void
open_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PiApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();
  g_autoptr(GListStore) filters = g_list_store_new (GTK_TYPE_FILE_FILTER);
  g_autoptr(GtkFileFilter) captures = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  OpenRequest *request;

  gtk_file_dialog_set_title (dialog, _("Open Capture"));
  gtk_file_dialog_set_accept_label (dialog, _("_Open"));
  gtk_file_dialog_set_modal (dialog, TRUE);

  /* Captures, and the old web inspectors' pulse-messages.json downloads. */
  gtk_file_filter_set_name (captures, _("Captures and inspector downloads"));
  gtk_file_filter_add_pattern (captures, "*.jsonl");
  gtk_file_filter_add_pattern (captures, "*.json");
  g_list_store_append (filters, captures);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  g_list_store_append (filters, all);
  gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
  gtk_file_dialog_set_default_filter (dialog, captures);

  request = g_new0 (OpenRequest, 1);
  request->self = g_object_ref (self);
  g_set_weak_pointer (&request->parent, parent);
  gtk_file_dialog_open_multiple (dialog, parent, NULL, on_open_done, request);
}

static const GActionEntry app_actions[] = {
  { "open", open_action },
  { "quit", quit_action },
  { "about", about_action },
  { "preferences", preferences_action },
  { "shortcuts", shortcuts_action },
};

static void
pi_application_init (PiApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions,
                                   G_N_ELEMENTS (app_actions),
                                   self);

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[SHARE-LINK] [CAPTURE-FILE…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Watch message-bus traffic from an events server."));
}
