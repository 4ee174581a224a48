/* pi-window-open.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-window"

#include <glib/gi18n.h>

#include "pi-binding.h"
#include "pi-window-private.h"

/*
 * Capture mode: a window that browses a saved capture (or an old web
 * inspector download) with the same list, filter and details, and no
 * connection: it holds a PiCaptureSession where a live window holds a
 * PiSession. It is made for one file, reads it in a thread and appears
 * once it is read (or after a moment, showing that it is reading). A file
 * that cannot be read is reported in a dialog on the window that asked,
 * and the new window goes away: nothing else changes.
 */

#define PRESENT_DELAY_MSEC 250
#define TICK_MSEC          100

static char *
format_time (GDateTime *time)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (time);

  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

typedef struct
{
  PiWindow *self;
  GWeakRef  parent;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->self);
  g_weak_ref_clear (&data->parent);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadData, load_data_free)

static gboolean
loading_pulse (gpointer user_data)
{
  PiWindow *self = user_data;

  /* The loader reports no progress: show that it works. */
  gtk_progress_bar_pulse (self->loading_progress);

  return G_SOURCE_CONTINUE;
}

static gboolean
present_cb (gpointer user_data)
{
  PiWindow *self = user_data;

  self->present_id = 0;
  gtk_window_present (GTK_WINDOW (self));

  return G_SOURCE_REMOVE;
}

/* Says why a file could not be opened (or chosen), over @parent or, with
 * none, in a window of its own. */
void
pi_window_show_open_error (GtkApplication *application,
                           GtkWindow      *parent,
                           const char     *message)
{
  AdwDialog *dialog;

  dialog = adw_alert_dialog_new (_("Could Not Open the File"), message);
  adw_alert_dialog_add_response (ADW_ALERT_DIALOG (dialog), "close", _("_Close"));
  adw_alert_dialog_set_default_response (ADW_ALERT_DIALOG (dialog), "close");
  adw_alert_dialog_set_close_response (ADW_ALERT_DIALOG (dialog), "close");

  /* With no other window (the command line), the dialog gets a window of its
   * own that the application does not know of: hold the application until
   * the dialog is closed so that the message can be read. */
  if (parent == NULL && application != NULL)
    {
      g_application_hold (G_APPLICATION (application));
      g_signal_connect_object (dialog, "closed", G_CALLBACK (g_application_release),
                               application, G_CONNECT_SWAPPED);
    }
  adw_dialog_present (dialog, parent != NULL ? GTK_WIDGET (parent) : NULL);
}

static void
fill_capture_bindings (PiWindow *self)
{
  GPtrArray *bindings = pi_capture_info_get_bindings (pi_capture_session_get_info (self->capture));
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->capture_bindings_list))) != NULL)
    gtk_list_box_remove (self->capture_bindings_list, child);

  for (guint i = 0; bindings != NULL && i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), pi_binding_get_exchange (binding));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), pi_binding_get_routing_key_pattern (binding));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 2);
      gtk_widget_add_css_class (row, "property");
      gtk_list_box_append (self->capture_bindings_list, row);
    }
}

static void
describe_capture (PiWindow *self)
{
  PiCaptureInfo *info = pi_capture_session_get_info (self->capture);
  g_autofree char *name = pi_window_file_display_name (pi_capture_session_get_file (self->capture));
  g_autofree char *count = pi_window_format_count (pi_message_store_get_received (self->store));
  g_autofree char *started = format_time (pi_capture_info_get_started (info));
  g_autofree char *summary = NULL;
  g_autofree char *subtitle = NULL;
  const char *server = pi_capture_info_get_server_url (info);

  if (server != NULL)
    {
      /* Translators: "Capture of https://tc.example.com — 1,200 messages, started 2026-11-27 10:30:00" */
      summary = g_strdup_printf (_("Capture of %s — %s, started %s"), server, count, started);
      /* Translators: the window's subtitle, with the server's URL */
      subtitle = g_strdup_printf (_("Capture of %s"), server);
    }
  else
    {
      /* The old inspectors' download names no server; its time is the file's. */
      summary = g_strdup_printf (_("Imported messages — %s, saved %s"), count, started);
      subtitle = g_strdup (_("Imported messages"));
    }

  adw_window_title_set_title (self->capture_title, name);
  adw_window_title_set_subtitle (self->capture_title, subtitle);
  pi_connection_bar_set_capture (self->connection_bar, summary, name);
}

static void
on_capture_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LoadData) data = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  PiWindow *self = data->self;
  guint n_read = 0;
  guint capacity;

  /* Closed while loading: nothing to show, nothing to say. */
  if (self->load_cancellable == NULL || g_cancellable_is_cancelled (self->load_cancellable))
    return;

  g_clear_handle_id (&self->pulse_id, g_source_remove);

  if (!pi_capture_session_load_finish (self->capture, result, &n_read, &warning, &error))
    {
      g_autoptr(GtkWindow) parent = g_weak_ref_get (&data->parent);
      GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

      /* Closed while loading: nothing to say. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      g_debug ("Opening a capture failed: %s", error->message);

      /* Nothing else is lost: the other windows stay as they were. */
      if (parent == GTK_WINDOW (self) || (parent != NULL && !gtk_widget_get_visible (GTK_WIDGET (parent))))
        g_clear_object (&parent);
      pi_window_show_open_error (application, parent, error->message);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  fill_capture_bindings (self);
  describe_capture (self);
  gtk_stack_set_visible_child_name (self->main_stack, "messages");

  if (warning != NULL)
    pi_window_add_toast (self, warning);
  capacity = pi_message_store_get_capacity (self->store);
  if (n_read > capacity)
    {
      g_autofree char *kept = pi_window_format_count (capacity);
      /* Translators: %s is "1,000,000 messages" */
      g_autofree char *text = g_strdup_printf (_("The file holds more than can be kept: showing the last %s"), kept);

      pi_window_add_toast (self, text);
    }

  if (self->present_id != 0)
    {
      g_clear_handle_id (&self->present_id, g_source_remove);
      gtk_window_present (GTK_WINDOW (self));
    }

  pi_window_update_actions (self);
}

/* Called once from constructed() in a window made for a capture file: the
 * live window's parts (session, source, bindings, live actions) were not
 * made; those of its widgets that the template holds are hidden. */
void
pi_window_setup_capture_mode (PiWindow *self)
{
  g_autofree char *name = NULL;
  g_autofree char *opening = NULL;

  g_assert (PI_IS_WINDOW (self));
  g_assert (self->capture != NULL);

  name = pi_window_file_display_name (pi_capture_session_get_file (self->capture));

  gtk_window_set_title (GTK_WINDOW (self), name);
  adw_window_title_set_title (self->capture_title, name);
  adw_window_title_set_subtitle (self->capture_title, _("Opening…"));
  gtk_widget_set_visible (GTK_WIDGET (self->capture_title), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->status_title), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->server_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->pause_button), FALSE);
  gtk_widget_set_visible (self->clear_button, FALSE);
  gtk_stack_set_visible_child_name (self->sidebar_stack, "capture");
  /* A capture's bindings are not edited. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "window.paste-link", FALSE);

  /* A capture is read from the top, not followed to its end. */
  pi_message_list_set_follow (self->message_list, FALSE);

  pi_connection_bar_set_stream (self->connection_bar, NULL);
  /* Translators: %s is a file name */
  opening = g_strdup_printf (_("Opening “%s”…"), name);
  pi_connection_bar_set_capture (self->connection_bar, opening, NULL);

  adw_status_page_set_description (self->loading_page, name);
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
}

static void
start_loading (PiWindow  *self,
               GtkWindow *parent)
{
  LoadData *data = g_new0 (LoadData, 1);

  data->self = g_object_ref (self);
  g_weak_ref_init (&data->parent, parent);

  self->load_cancellable = g_cancellable_new ();
  self->pulse_id = g_timeout_add (TICK_MSEC, loading_pulse, self);
  pi_capture_session_load_async (self->capture, self->load_cancellable, on_capture_loaded, data);
}

/**
 * pi_window_open_capture:
 * @application: the application
 * @file: a capture, or the old web inspectors' download
 * @parent: (nullable): the window that asked, where a failure is reported
 *
 * Opens @file in a new window in capture mode. The window appears when the
 * file is read, or after a moment if reading takes longer (showing its
 * progress); if the file cannot be read, a dialog says why and the new
 * window goes away.
 *
 * Returns: (transfer none): the new window
 */
PiWindow *
pi_window_open_capture (GtkApplication *application,
                        GFile          *file,
                        GtkWindow      *parent)
{
  PiWindow *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (PI_TYPE_WINDOW,
                       "application", application,
                       "capture-file", file,
                       NULL);

  start_loading (self, parent);
  self->present_id = g_timeout_add (PRESENT_DELAY_MSEC, present_cb, self);

  return self;
}

/**
 * pi_window_get_capture_file:
 * @self: a #PiWindow
 *
 * Returns: (transfer none) (nullable): the capture this window browses
 */
GFile *
pi_window_get_capture_file (PiWindow *self)
{
  g_return_val_if_fail (PI_IS_WINDOW (self), NULL);

  return self->capture != NULL ? pi_capture_session_get_file (self->capture) : NULL;
}

/**
 * pi_window_get_loading:
 * @self: a #PiWindow
 *
 * Returns: whether the window is still reading its capture
 */
gboolean
pi_window_get_loading (PiWindow *self)
{
  g_return_val_if_fail (PI_IS_WINDOW (self), FALSE);

  return self->capture != NULL && pi_capture_session_get_loading (self->capture);
}

/* Drag and drop ---------------------------------------------------------- */

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         PiWindow      *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  GSList *files;

  if (application == NULL || !G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;

  files = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = files; l != NULL; l = l->next)
    pi_window_open_capture (application, l->data, GTK_WINDOW (self));
  g_slist_free (files);

  return files != NULL;
}

void
pi_window_init_drop (PiWindow *self)
{
  GtkDropTarget *target;

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (target, "drop", G_CALLBACK (on_drop), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}
