/* pi-capture-window.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-capture-window"

#include <glib/gi18n.h>

#include "pi-application.h"
#include "pi-binding.h"
#include "pi-capture-export.h"
#include "pi-capture-window-private.h"

/*
 * A window that browses a saved capture (or an old web inspector
 * download) with the live window's list, filter and details, and no
 * connection: it holds a PiCaptureSession where a live window holds a
 * PiSession, shows the bindings the capture was recorded with (not edited),
 * and can save the capture again or export its messages (PiCaptureSaver).
 *
 * It is made for one file, reads it in a thread and appears once it is
 * read (or after a moment, showing that it is reading). A file that cannot
 * be read is reported in a dialog on the window that asked, and the new
 * window goes away: nothing else changes. Every way of opening a capture
 * (app.open, the command line, the desktop's open, a file dropped on any
 * window) ends in pi_capture_window_open().
 */

#define PRESENT_DELAY_MSEC 250
#define TICK_MSEC          100

G_DEFINE_FINAL_TYPE (PiCaptureWindow, pi_capture_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_FILE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- What is said ------------------------------------------------------------- */

static void
add_toast (PiCaptureWindow *self,
           const char      *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* A failure replaces the previous one rather than piling up. */
static void
show_error (PiCaptureWindow *self,
            const char      *message)
{
  AdwToast *toast;

  if (self->error_toast != NULL)
    adw_toast_dismiss (self->error_toast);

  toast = adw_toast_new (message);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 6);
  g_set_weak_pointer (&self->error_toast, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
on_saver_toast (PiCaptureWindow *self,
                const char      *text)
{
  add_toast (self, text);
}

static void
on_saver_error (PiCaptureWindow *self,
                const char      *text)
{
  show_error (self, text);
}

static char *
format_time (GDateTime *time)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (time);

  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

/**
 * pi_capture_window_show_open_error:
 * @application: (nullable): the application
 * @parent: (nullable): the window that asked
 * @message: why the file could not be opened
 *
 * Says why a file could not be opened (or chosen), over @parent or, with
 * none, in a window of its own.
 */
void
pi_capture_window_show_open_error (GtkApplication *application,
                                   GtkWindow      *parent,
                                   const char     *message)
{
  AdwDialog *dialog;

  g_return_if_fail (message != NULL);

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

/* --- The details beside the list -------------------------------------------- */

static void
unselect_message (PiCaptureWindow *self)
{
  GtkColumnView *view = pi_message_list_get_column_view (self->message_list);

  gtk_selection_model_unselect_all (gtk_column_view_get_model (view));
}

static void
on_selected_message_changed (PiCaptureWindow *self)
{
  adw_overlay_split_view_set_show_sidebar (self->details_split,
                                           pi_message_list_get_selected_message (self->message_list) != NULL);
}

/* The Columns button only while the table is on screen (not while the
 * file is read), as in the live window. */
static void
update_columns_button (PiCaptureWindow *self)
{
  AdwBreakpoint *breakpoint = adw_application_window_get_current_breakpoint (ADW_APPLICATION_WINDOW (self));

  pi_message_list_show_columns_button (self->columns_button,
                                       g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "messages") == 0,
                                       GTK_WIDGET (self->details_split), breakpoint == self->narrow_breakpoint);
}

/* Narrow, the details are a page over the list: Back (or the split view's
 * swipe) returns to it, and the selection goes with the page, so that
 * choosing the same row again opens it again. */
static void
on_details_shown_changed (PiCaptureWindow *self,
                          GParamSpec      *pspec)
{
  gboolean collapsed = adw_overlay_split_view_get_collapsed (self->details_split);
  gboolean shown = adw_overlay_split_view_get_show_sidebar (self->details_split);

  /* On the details page, Back takes the place of the bindings' button. */
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), collapsed && shown);
  gtk_widget_set_visible (GTK_WIDGET (self->sidebar_button),
                          adw_overlay_split_view_get_collapsed (self->split_view) && !(collapsed && shown));

  if (collapsed && !shown && pi_message_list_get_selected_message (self->message_list) != NULL)
    unselect_message (self);

  if (collapsed && shown && pspec != NULL && g_str_equal (pspec->name, "show-sidebar"))
    gtk_widget_grab_focus (GTK_WIDGET (self->back_button));

  update_columns_button (self);
}

static void
on_back_clicked (PiCaptureWindow *self)
{
  unselect_message (self);
}

/* --- Reading the file ---------------------------------------------------------- */

/* The load holds the window weakly: a window closed while it reads is
 * finalized at once (its dispose cancels the read), and the answer that
 * comes later finds no window to speak in. */
typedef struct
{
  GWeakRef self;
  GWeakRef parent;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_weak_ref_clear (&data->self);
  g_weak_ref_clear (&data->parent);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadData, load_data_free)

static gboolean
loading_pulse (gpointer user_data)
{
  PiCaptureWindow *self = user_data;

  /* The loader reports no progress: show that it works. */
  gtk_progress_bar_pulse (self->loading_progress);

  return G_SOURCE_CONTINUE;
}

static gboolean
present_cb (gpointer user_data)
{
  PiCaptureWindow *self = user_data;

  self->present_id = 0;
  gtk_window_present (GTK_WINDOW (self));

  return G_SOURCE_REMOVE;
}

static void
fill_bindings (PiCaptureWindow *self)
{
  GPtrArray *bindings = pi_capture_info_get_bindings (pi_capture_session_get_info (self->capture));

  for (guint i = 0; bindings != NULL && i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), pi_binding_get_exchange (binding));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), pi_binding_get_routing_key_pattern (binding));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 2);
      gtk_widget_add_css_class (row, "property");
      gtk_list_box_append (self->bindings_list, row);
      g_list_store_append (self->bindings, binding);
    }
}

static void
describe_capture (PiCaptureWindow *self)
{
  PiCaptureInfo *info = pi_capture_session_get_info (self->capture);
  PiMessageStore *store = pi_capture_session_get_store (self->capture);
  g_autofree char *name = pi_capture_file_display_name (pi_capture_session_get_file (self->capture));
  g_autofree char *count = pi_capture_format_count (pi_message_store_get_received (store));
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

  adw_window_title_set_title (self->title, name);
  adw_window_title_set_subtitle (self->title, subtitle);
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
  g_autoptr(PiCaptureWindow) self = g_weak_ref_get (&data->self);
  PiMessageStore *store;
  guint n_read = 0;
  guint capacity;

  /* Closed while loading: nothing to show, nothing to say. */
  if (self == NULL || self->load_cancellable == NULL ||
      g_cancellable_is_cancelled (self->load_cancellable))
    return;

  g_clear_handle_id (&self->pulse_id, g_source_remove);

  if (!pi_capture_session_load_finish (self->capture, result, &n_read, &warning, &error))
    {
      g_autoptr(GtkWindow) parent = g_weak_ref_get (&data->parent);
      GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      g_debug ("Opening a capture failed: %s", error->message);

      /* Nothing else is lost: the other windows stay as they were. */
      if (parent != NULL && !gtk_widget_get_visible (GTK_WIDGET (parent)))
        g_clear_object (&parent);
      pi_capture_window_show_open_error (application, parent, error->message);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  fill_bindings (self);
  describe_capture (self);

  /* A capture is read from the top, not followed to its end. Only now: the
   * messages read are no "new messages" to offer a way down to. */
  pi_message_list_set_follow (self->message_list, FALSE);
  gtk_adjustment_set_value (pi_message_list_get_vadjustment (self->message_list), 0);
  gtk_stack_set_visible_child_name (self->main_stack, "messages");

  if (warning != NULL)
    add_toast (self, warning);
  store = pi_capture_session_get_store (self->capture);
  capacity = pi_message_store_get_capacity (store);
  if (n_read > capacity)
    {
      g_autofree char *kept = pi_capture_format_count (capacity);
      /* Translators: %s is "1,000,000 messages" */
      g_autofree char *text = g_strdup_printf (_("The file holds more than can be kept: showing the last %s"), kept);

      add_toast (self, text);
    }

  if (self->present_id != 0)
    {
      g_clear_handle_id (&self->present_id, g_source_remove);
      gtk_window_present (GTK_WINDOW (self));
    }

  pi_capture_saver_set_ready (self->saver, TRUE);
}

static void
start_loading (PiCaptureWindow *self,
               GtkWindow       *parent)
{
  LoadData *data = g_new0 (LoadData, 1);

  g_weak_ref_init (&data->self, self);
  g_weak_ref_init (&data->parent, parent);

  self->load_cancellable = g_cancellable_new ();
  self->pulse_id = g_timeout_add (TICK_MSEC, loading_pulse, self);
  pi_capture_session_load_async (self->capture, self->load_cancellable, on_capture_loaded, data);
}

/* --- Actions ---------------------------------------------------------------------- */

static void
find_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PiCaptureWindow *self = PI_CAPTURE_WINDOW (user_data);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "messages") == 0)
    pi_message_list_start_search (self->message_list);
}

/* Every win.* action of a capture window: win.find here, and the file
 * actions (save, save-shown, export-selected, export-shown, cancel-save),
 * which PiCaptureSaver adds and keeps enabled as they make sense. Nothing
 * connects, pauses, clears or edits bindings here. */
static const GActionEntry win_actions[] = {
  { "find", find_action },
};

/* What saving the capture again keeps: what it was a capture of. */
static PiCaptureInfo *
dup_info (gpointer user_data)
{
  PiCaptureWindow *self = user_data;

  return pi_capture_info_copy (pi_capture_session_get_info (self->capture));
}

/* Drag and drop ---------------------------------------------------------- */

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         GtkWindow     *window)
{
  GtkApplication *application = gtk_window_get_application (window);
  GSList *files;

  if (application == NULL || !G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;

  files = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = files; l != NULL; l = l->next)
    pi_capture_window_open (application, l->data, window);
  g_slist_free (files);

  return files != NULL;
}

/**
 * pi_capture_window_add_drop_target:
 * @window: a window of the application
 *
 * Files dropped on @window open, each in a capture window of its own.
 */
void
pi_capture_window_add_drop_target (GtkWindow *window)
{
  GtkDropTarget *target;

  g_return_if_fail (GTK_IS_WINDOW (window));

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (target, "drop", G_CALLBACK (on_drop), window, 0);
  gtk_widget_add_controller (GTK_WIDGET (window), GTK_EVENT_CONTROLLER (target));
}

/* --- Life cycle ------------------------------------------------------------------- */

static gboolean
pi_capture_window_close_request (GtkWindow *window)
{
  PiCaptureWindow *self = PI_CAPTURE_WINDOW (window);
  int width;
  int height;

  /* The size is the app's, whichever window was closed last. */
  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window))
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);

  return GTK_WINDOW_CLASS (pi_capture_window_parent_class)->close_request (window);
}

static void
pi_capture_window_constructed (GObject *object)
{
  PiCaptureWindow *self = PI_CAPTURE_WINDOW (object);
  g_autofree char *name = NULL;
  g_autofree char *opening = NULL;

  G_OBJECT_CLASS (pi_capture_window_parent_class)->constructed (object);

  g_assert (self->capture != NULL);

  pi_message_list_set_store (self->message_list, pi_capture_session_get_store (self->capture));
  g_object_bind_property (self->message_list, "selected-message",
                          self->message_details, "message",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->message_list, "notify::selected-message",
                           G_CALLBACK (on_selected_message_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->details_split, "notify::show-sidebar",
                           G_CALLBACK (on_details_shown_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->details_split, "notify::collapsed",
                           G_CALLBACK (on_details_shown_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->split_view, "notify::collapsed",
                           G_CALLBACK (on_details_shown_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->main_stack, "notify::visible-child",
                           G_CALLBACK (update_columns_button), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "notify::current-breakpoint",
                           G_CALLBACK (update_columns_button), self, G_CONNECT_SWAPPED);
  on_details_shown_changed (self, NULL);
  /* The live window's Columns button, the recorded exchanges' routing-key
   * words first. */
  pi_message_list_attach_columns_button (self->message_list, self->columns_button);
  self->bindings = g_list_store_new (PI_TYPE_BINDING);
  pi_message_list_set_bindings (self->message_list, G_LIST_MODEL (self->bindings));

  /* Nothing to save until the file is read. */
  pi_capture_saver_set_ready (self->saver, FALSE);
  pi_capture_saver_attach (self->saver, G_ACTION_MAP (self), self->message_list, dup_info, self);

  pi_connection_bar_set_store (self->connection_bar, pi_capture_session_get_store (self->capture));
  g_object_bind_property (self->message_list, "n-shown", self->connection_bar, "n-shown", G_BINDING_SYNC_CREATE);

  name = pi_capture_file_display_name (pi_capture_session_get_file (self->capture));
  gtk_window_set_title (GTK_WINDOW (self), name);
  adw_window_title_set_title (self->title, name);
  adw_window_title_set_subtitle (self->title, _("Opening…"));
  /* Translators: %s is a file name */
  opening = g_strdup_printf (_("Opening “%s”…"), name);
  pi_connection_bar_set_capture (self->connection_bar, opening, NULL);
  adw_status_page_set_description (self->loading_page, name);
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
}

static void
pi_capture_window_dispose (GObject *object)
{
  PiCaptureWindow *self = PI_CAPTURE_WINDOW (object);

  /* A closed window stops reading. */
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  g_clear_handle_id (&self->present_id, g_source_remove);
  g_clear_weak_pointer (&self->error_toast);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_CAPTURE_WINDOW);

  g_clear_object (&self->capture);
  g_clear_object (&self->bindings);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pi_capture_window_parent_class)->dispose (object);
}

static void
pi_capture_window_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PiCaptureWindow *self = PI_CAPTURE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_object (value, pi_capture_window_get_file (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_capture_window_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PiCaptureWindow *self = PI_CAPTURE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_FILE:
      /* Construct-only: one window, one file. */
      self->capture = pi_capture_session_new (g_value_get_object (value),
                                              g_settings_get_uint (self->settings, "capacity"));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_capture_window_class_init (PiCaptureWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = pi_capture_window_constructed;
  object_class->dispose = pi_capture_window_dispose;
  object_class->get_property = pi_capture_window_get_property;
  object_class->set_property = pi_capture_window_set_property;
  window_class->close_request = pi_capture_window_close_request;

  /**
   * PiCaptureWindow:file:
   *
   * The saved capture this window browses.
   */
  properties[PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL,
                         G_TYPE_FILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PI_TYPE_CAPTURE_SAVER);
  g_type_ensure (PI_TYPE_CONNECTION_BAR);
  g_type_ensure (PI_TYPE_MESSAGE_DETAILS);
  g_type_ensure (PI_TYPE_MESSAGE_LIST);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-capture-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, split_view);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, bindings_list);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, title);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, connection_bar);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, columns_button);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, narrow_breakpoint);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, loading_progress);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, details_split);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, message_list);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, message_details);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureWindow, saver);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_saver_toast);
  gtk_widget_class_bind_template_callback (widget_class, on_saver_error);
}

static void
pi_capture_window_init (PiCaptureWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

#if DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif

  self->settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  pi_capture_window_add_drop_target (GTK_WINDOW (self));
}

/* --- API ---------------------------------------------------------------------------- */

/**
 * pi_capture_window_open:
 * @application: the application
 * @file: a capture, or the old web inspectors' download
 * @parent: (nullable): the window that asked, where a failure is reported
 *
 * Opens @file in a new capture window. The window appears when the file is
 * read, or after a moment if reading takes longer (showing that it
 * reads); if the file cannot be read, a dialog says why and the new window
 * goes away.
 *
 * Returns: (transfer none): the new window
 */
PiCaptureWindow *
pi_capture_window_open (GtkApplication *application,
                        GFile          *file,
                        GtkWindow      *parent)
{
  PiCaptureWindow *self;

  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (PI_TYPE_CAPTURE_WINDOW,
                       "application", application,
                       "file", file,
                       NULL);

  start_loading (self, parent);
  self->present_id = g_timeout_add (PRESENT_DELAY_MSEC, present_cb, self);

  return self;
}

/**
 * pi_capture_window_get_file:
 * @self: a #PiCaptureWindow
 *
 * Returns: (transfer none): the capture this window browses
 */
GFile *
pi_capture_window_get_file (PiCaptureWindow *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_WINDOW (self), NULL);

  return self->capture != NULL ? pi_capture_session_get_file (self->capture) : NULL;
}

/**
 * pi_capture_window_get_loading:
 * @self: a #PiCaptureWindow
 *
 * Returns: whether the window is still reading its capture
 */
gboolean
pi_capture_window_get_loading (PiCaptureWindow *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_WINDOW (self), FALSE);

  return self->capture != NULL && pi_capture_session_get_loading (self->capture);
}

/**
 * pi_capture_window_get_store:
 * @self: a #PiCaptureWindow
 *
 * Returns: (transfer none): the messages read from the file
 */
PiMessageStore *
pi_capture_window_get_store (PiCaptureWindow *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_WINDOW (self), NULL);

  return pi_capture_session_get_store (self->capture);
}

/**
 * pi_capture_window_get_busy:
 * @self: a #PiCaptureWindow
 *
 * Returns: whether the capture is being saved or messages exported
 */
gboolean
pi_capture_window_get_busy (PiCaptureWindow *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_WINDOW (self), FALSE);

  return pi_capture_saver_get_busy (self->saver);
}

/**
 * pi_capture_window_dup_shown_messages:
 * @self: a #PiCaptureWindow
 *
 * Returns: (transfer full) (element-type PiMessage): the messages the
 *   filter shows, in order
 */
GPtrArray *
pi_capture_window_dup_shown_messages (PiCaptureWindow *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_WINDOW (self), NULL);

  return pi_capture_saver_dup_shown (self->saver);
}

/**
 * pi_capture_window_save:
 * @self: a #PiCaptureWindow
 * @file: where to save
 * @shown_only: %TRUE to save only the messages the filter shows
 *
 * Saves the capture again (or what the filter shows), keeping what it was
 * a capture of. What win.save and win.save-shown do once a file is chosen.
 */
void
pi_capture_window_save (PiCaptureWindow *self,
                        GFile           *file,
                        gboolean         shown_only)
{
  g_return_if_fail (PI_IS_CAPTURE_WINDOW (self));

  pi_capture_saver_save (self->saver, file, shown_only);
}

/**
 * pi_capture_window_export_json:
 * @self: a #PiCaptureWindow
 * @file: where to write
 * @selected_only: %TRUE for the selected message, %FALSE for the shown ones
 *
 * What win.export-selected and win.export-shown do once a file is chosen.
 */
void
pi_capture_window_export_json (PiCaptureWindow *self,
                               GFile           *file,
                               gboolean         selected_only)
{
  g_return_if_fail (PI_IS_CAPTURE_WINDOW (self));

  pi_capture_saver_export (self->saver, file, selected_only);
}
