/* pi-window-capture.c
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
#include "pi-window-private.h"

/*
 * Captures in the window: saving what the list holds (all of it, or what
 * the filter shows), the file actions and the file jobs they run. Exporting
 * as JSON is in pi-window-export.c, capture mode (opening a capture in a
 * window of its own) in pi-window-open.c.
 *
 * One file job runs at a time per window; the action bar at the bottom
 * shows its progress and cancels it. The work runs in a thread on copies of
 * the message list, so the window keeps receiving and scrolling meanwhile.
 */

/* --- Helpers ---------------------------------------------------------------- */

char *
pi_window_file_display_name (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);

  if (path != NULL)
    return g_filename_display_basename (path);
  return g_file_get_parse_name (file);
}

char *
pi_window_format_count (guint n)
{
  g_autofree char *number = g_strdup_printf ("%'u", n);

  /* Translators: %s is a number such as "1,200" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s message", "%s messages", n), number);
}

/* A copy of @model's items, for a thread to read while the list changes. */
static GPtrArray *
dup_items (GListModel *model)
{
  guint n = g_list_model_get_n_items (model);
  GPtrArray *messages = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (messages, g_list_model_get_item (model, i));

  return messages;
}

/**
 * pi_window_dup_shown_messages:
 * @self: a #PiWindow
 *
 * The messages the list shows: those kept that match the filter, in order.
 *
 * Returns: (transfer full) (element-type PiMessage): the messages
 */
GPtrArray *
pi_window_dup_shown_messages (PiWindow *self)
{
  g_return_val_if_fail (PI_IS_WINDOW (self), NULL);

  return dup_items (pi_message_list_get_shown (self->message_list));
}

/* What a browsed capture was read with, once read. */
static PiCaptureInfo *
get_capture_info (PiWindow *self)
{
  return self->capture != NULL ? pi_capture_session_get_info (self->capture) : NULL;
}

static GDateTime *
dup_started (PiWindow *self)
{
  g_autoptr(PiMessage) first = NULL;

  if (get_capture_info (self) != NULL)
    return g_date_time_ref (pi_capture_info_get_started (get_capture_info (self)));

  if (self->capture_started != NULL)
    return g_date_time_ref (self->capture_started);

  if ((first = g_list_model_get_item (G_LIST_MODEL (self->store), 0)) != NULL)
    return g_date_time_new_from_unix_utc (pi_message_get_time_received (first) / G_USEC_PER_SEC);

  return g_date_time_new_now_utc ();
}

static PiCaptureInfo *
dup_capture_info (PiWindow *self)
{
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GDateTime) started = NULL;
  const char *server;

  /* Saving a capture again keeps what it was a capture of. */
  if (get_capture_info (self) != NULL)
    return pi_capture_info_copy (get_capture_info (self));
  g_assert (self->session != NULL);

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

/* Records when the messages about to be kept began (on connecting, or with
 * the first message after a Clear). */
void
pi_window_note_capture_start (PiWindow *self)
{
  g_assert (PI_IS_WINDOW (self));

  g_clear_pointer (&self->capture_started, g_date_time_unref);
  self->capture_started = g_date_time_new_now_utc ();
}

/* --- File jobs: the action bar -------------------------------------------- */

/* A job's callback can run after the window was closed (disposed): then
 * there is nothing left to show it in. */
gboolean
pi_window_job_alive (PiWindow *self)
{
  return self->toast_overlay != NULL;
}

void
pi_window_job_begin (PiWindow   *self,
                     const char *text)
{
  g_assert (self->save_cancellable == NULL);

  self->save_cancellable = g_cancellable_new ();
  self->save_count = 0;

  gtk_label_set_text (self->progress_label, text);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  gtk_action_bar_set_revealed (self->progress_action_bar, TRUE);

  pi_window_update_capture_actions (self);
}

void
pi_window_job_end (PiWindow *self)
{
  g_clear_object (&self->save_cancellable);
  g_clear_object (&self->save_file);
  g_clear_handle_id (&self->pulse_id, g_source_remove);

  if (!pi_window_job_alive (self))
    return;

  gtk_action_bar_set_revealed (self->progress_action_bar, FALSE);
  pi_window_update_capture_actions (self);
}

void
pi_window_job_set_fraction (PiWindow *self,
                            double    fraction)
{
  g_autofree char *text = NULL;

  if (!pi_window_job_alive (self))
    return;

  fraction = CLAMP (fraction, 0.0, 1.0);
  /* Translators: progress of saving, such as "42 %" */
  text = g_strdup_printf (_("%d %%"), (int) (fraction * 100));
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  gtk_progress_bar_set_text (self->progress_bar, text);
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

  return self->save_cancellable != NULL;
}

/* --- Saving ------------------------------------------------------------------ */

static void
on_save_progress (guint64  done,
                  guint64  total,
                  gpointer user_data)
{
  PiWindow *self = user_data;

  pi_window_job_set_fraction (self, total > 0 ? (double) done / (double) total : 1.0);
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(PiWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = pi_window_file_display_name (self->save_file);
  g_autofree char *count = pi_window_format_count (self->save_count);
  g_autofree char *title = NULL;

  if (!pi_capture_save_finish (result, &error))
    {
      /* pi_capture_save_async() left no partial file behind. */
      pi_window_job_end (self);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Cancelled by the user (a closed window says nothing). */
          if (pi_window_job_alive (self))
            pi_window_add_toast (self, _("Saving cancelled"));
          return;
        }

      if (!pi_window_job_alive (self))
        return;

      /* The error names the file and the reason; the messages stay. */
      g_debug ("Saving failed: %s", error->message);
      pi_window_show_error (self, error->message);
      return;
    }

  pi_window_job_end (self);
  if (!pi_window_job_alive (self))
    return;

  /* Translators: "Saved 1,200 messages as “capture.jsonl”" */
  title = g_strdup_printf (_("Saved %s as “%s”"), count, name);
  pi_window_add_toast (self, title);
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
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(PiCaptureInfo) info = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (PI_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->save_cancellable != NULL)
    {
      pi_window_add_toast (self, _("Wait until the file being saved is done"));
      return;
    }

  messages = shown_only ? pi_window_dup_shown_messages (self)
                        : dup_items (G_LIST_MODEL (self->store));
  info = dup_capture_info (self);
  name = pi_window_file_display_name (file);
  /* Translators: %s is a file name */
  text = g_strdup_printf (_("Saving “%s”…"), name);

  pi_window_job_begin (self, text);
  self->save_file = g_object_ref (file);
  self->save_count = messages->len;

  pi_capture_save_async (file, info, messages,
                         on_save_progress, self,
                         self->save_cancellable,
                         on_saved, g_object_ref (self));
}

/* --- File choosers ---------------------------------------------------------------- */

typedef enum
{
  CHOOSE_SAVE_ALL,
  CHOOSE_SAVE_SHOWN,
  CHOOSE_EXPORT_SELECTED,
  CHOOSE_EXPORT_SHOWN,
} ChooseWhat;

typedef struct
{
  PiWindow   *self;
  ChooseWhat  what;
} ChooseRequest;

static void
on_save_chosen (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ChooseRequest *request = user_data;
  g_autoptr(PiWindow) self = request->self;
  ChooseWhat what = request->what;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  g_free (request);
  g_clear_object (&self->chooser_cancellable);

  if (!(file = gtk_file_dialog_save_finish (GTK_FILE_DIALOG (source), result, &error)))
    {
      /* Dismissing the dialog is not a failure worth words; a cancelled one
       * belonged to a window that was closed meanwhile, and is left alone. */
      if (!g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_DISMISSED) &&
          !g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_CANCELLED) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        pi_window_show_error (self, error->message);
      return;
    }

  switch (what)
    {
    case CHOOSE_SAVE_ALL:
    case CHOOSE_SAVE_SHOWN:
      pi_window_save_capture (self, file, what == CHOOSE_SAVE_SHOWN);
      break;

    case CHOOSE_EXPORT_SELECTED:
    case CHOOSE_EXPORT_SHOWN:
      pi_window_export_json (self, file, what == CHOOSE_EXPORT_SELECTED);
      break;

    default:
      g_assert_not_reached ();
    }
}

static GtkFileFilter *
add_filter (GListStore *filters,
            const char *name,
            const char *pattern)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_pattern (filter, pattern);
  g_list_store_append (filters, filter);

  return filter;
}

static void
choose_file (PiWindow   *self,
             ChooseWhat  what)
{
  g_autoptr(GDateTime) started = dup_started (self);
  g_autoptr(GDateTime) local = g_date_time_to_local (started);
  g_autofree char *suggested = NULL;
  g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();
  g_autoptr(GListStore) filters = g_list_store_new (GTK_TYPE_FILE_FILTER);
  ChooseRequest *request;
  GtkFileFilter *preferred;
  const char *title;
  gboolean json = what == CHOOSE_EXPORT_SELECTED || what == CHOOSE_EXPORT_SHOWN;

  switch (what)
    {
    case CHOOSE_SAVE_ALL:
      title = _("Save Capture");
      break;
    case CHOOSE_SAVE_SHOWN:
      title = _("Save Shown Messages");
      break;
    case CHOOSE_EXPORT_SELECTED:
      title = _("Export Selected Message");
      break;
    case CHOOSE_EXPORT_SHOWN:
    default:
      title = _("Export Shown Messages");
      break;
    }

  gtk_file_dialog_set_title (dialog, title);
  gtk_file_dialog_set_accept_label (dialog, _("_Save"));
  gtk_file_dialog_set_modal (dialog, TRUE);

  /* Named after when the capture started, so that a folder of them sorts. */
  if (json)
    suggested = g_strdup ("pulse-messages.json");
  else
    suggested = g_date_time_format (local, "pulse-capture-%Y-%m-%d-%H%M%S.jsonl");
  gtk_file_dialog_set_initial_name (dialog, suggested);

  if (json)
    preferred = add_filter (filters, _("JSON files"), "*.json");
  else
    preferred = add_filter (filters, _("Captures"), "*.jsonl");
  add_filter (filters, _("All files"), "*");
  gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
  gtk_file_dialog_set_default_filter (dialog, preferred);

  request = g_new0 (ChooseRequest, 1);
  request->self = g_object_ref (self);
  request->what = what;
  /* Closing the window closes its dialog (pi_window_cancel_file_dialog()):
   * a file chosen afterwards would be saved from a window nobody sees. */
  g_clear_object (&self->chooser_cancellable);
  self->chooser_cancellable = g_cancellable_new ();
  gtk_file_dialog_save (dialog, GTK_WINDOW (self), self->chooser_cancellable, on_save_chosen, request);
}

/* --- Actions ------------------------------------------------------------------------- */

static void
save_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  choose_file (PI_WINDOW (user_data), CHOOSE_SAVE_ALL);
}

static void
save_shown_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  choose_file (PI_WINDOW (user_data), CHOOSE_SAVE_SHOWN);
}

static void
export_selected_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  choose_file (PI_WINDOW (user_data), CHOOSE_EXPORT_SELECTED);
}

static void
export_shown_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  choose_file (PI_WINDOW (user_data), CHOOSE_EXPORT_SHOWN);
}

static void
cancel_save_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PiWindow *self = PI_WINDOW (user_data);

  if (self->save_cancellable != NULL)
    g_cancellable_cancel (self->save_cancellable);
}

static const GActionEntry capture_actions[] = {
  { "save", save_action },
  { "save-shown", save_shown_action },
  { "export-selected", export_selected_action },
  { "export-shown", export_shown_action },
  { "cancel-save", cancel_save_action },
};

static void
set_enabled (PiWindow   *self,
             const char *name,
             gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  if (action != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* Which file commands make sense now; called from pi_window_update_actions(). */
void
pi_window_update_capture_actions (PiWindow *self)
{
  PiMessage *selected;
  gboolean ready;
  gboolean any;
  gboolean any_shown;

  g_assert (PI_IS_WINDOW (self));

  if (self->store == NULL || self->message_list == NULL)
    return;

  ready = self->save_cancellable == NULL && !pi_window_get_loading (self);
  any = g_list_model_get_n_items (G_LIST_MODEL (self->store)) > 0;
  any_shown = pi_message_list_get_n_shown (self->message_list) > 0;
  selected = pi_message_list_get_selected_message (self->message_list);

  set_enabled (self, "save", ready && any);
  set_enabled (self, "save-shown", ready && any_shown);
  set_enabled (self, "export-shown", ready && any_shown);
  set_enabled (self, "export-selected",
               ready && selected != NULL &&
               (pi_message_get_kind (selected) == PI_MESSAGE_KIND_DECODED ||
                pi_message_get_kind (selected) == PI_MESSAGE_KIND_PAYLOAD_ONLY));
  set_enabled (self, "cancel-save", self->save_cancellable != NULL);
}

static void
on_list_changed (PiWindow *self)
{
  pi_window_update_capture_actions (self);
}

/* Called from pi_window_init(): the file actions and the drop target of every window. */
void
pi_window_init_capture (PiWindow *self)
{
  g_assert (PI_IS_WINDOW (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), capture_actions,
                                   G_N_ELEMENTS (capture_actions), self);

  g_signal_connect_object (self->message_list, "notify::n-shown",
                           G_CALLBACK (on_list_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->message_list, "notify::selected-message",
                           G_CALLBACK (on_list_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "items-changed",
                           G_CALLBACK (on_list_changed), self, G_CONNECT_SWAPPED);

  pi_window_init_drop (self);

  pi_window_update_capture_actions (self);
}

/* Closes the Save or Export dialog of a window that is going away. The
 * dialog's answer holds a reference on the window, so this cannot wait for
 * dispose: it runs when the window is unrealized (closed or destroyed). */
void
pi_window_cancel_file_dialog (PiWindow *self)
{
  g_assert (PI_IS_WINDOW (self));

  if (self->chooser_cancellable != NULL)
    g_cancellable_cancel (self->chooser_cancellable);
  g_clear_object (&self->chooser_cancellable);
}

/* Called from dispose: a closed window stops its file work. */
void
pi_window_dispose_capture (PiWindow *self)
{
  g_assert (PI_IS_WINDOW (self));

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  if (self->save_cancellable != NULL)
    g_cancellable_cancel (self->save_cancellable);
  pi_window_cancel_file_dialog (self);
  g_clear_object (&self->load_cancellable);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  g_clear_handle_id (&self->present_id, g_source_remove);
}
