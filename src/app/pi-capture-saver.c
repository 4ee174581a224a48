/* pi-capture-saver.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-capture-saver"

#include <glib/gi18n.h>

#include "pi-capture-export.h"
#include "pi-capture-saver.h"

/*
 * Saving and exporting what a window's list holds, for the live window and
 * the capture window alike: the file actions (win.save, win.save-shown,
 * win.export-selected, win.export-shown, win.cancel-save), their file
 * dialogs, and the file job they run, shown in this widget, an action bar
 * at the bottom of the window with the job's progress and a way out.
 *
 * One job runs at a time per window. The work runs in a thread on copies
 * of the message list, so the window keeps receiving and scrolling
 * meanwhile. What the messages are a capture of (server, bindings, start)
 * comes from the window, through the info function given to
 * pi_capture_saver_attach(). Results are told through the "toast" and
 * "error" signals, which the window shows.
 */

struct _PiCaptureSaver
{
  GtkWidget               parent_instance;

  /* Template widgets */
  GtkActionBar           *action_bar;
  GtkLabel               *progress_label;
  GtkProgressBar         *progress_bar;

  /* Borrowed (the window holds them, and this widget) */
  GActionMap             *actions;
  PiMessageList          *list;
  PiCaptureSaverInfoFunc  info_func;
  gpointer                info_data;

  /* Owned */
  GCancellable           *job_cancellable;     /* set while a job runs */
  GCancellable           *chooser_cancellable; /* set while a file dialog of ours is open */
  GFile                  *job_file;
  guint                   job_count;
  gboolean                ready;               /* the list holds what it will hold */
};

G_DEFINE_FINAL_TYPE (PiCaptureSaver, pi_capture_saver, GTK_TYPE_WIDGET)

enum {
  SIGNAL_TOAST,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* --- Helpers ---------------------------------------------------------------- */

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

static PiCaptureInfo *
dup_info (PiCaptureSaver *self)
{
  g_assert (self->info_func != NULL);

  return self->info_func (self->info_data);
}

static void
toast (PiCaptureSaver *self,
       const char     *text)
{
  g_signal_emit (self, signals[SIGNAL_TOAST], 0, text);
}

static void
error (PiCaptureSaver *self,
       const char     *text)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, text);
}

/* --- The job: the action bar ------------------------------------------------- */

/* A job's callback can run after the window was closed (disposed): then
 * there is nothing left to show it in. */
static gboolean
job_alive (PiCaptureSaver *self)
{
  return self->actions != NULL;
}

static void
job_begin (PiCaptureSaver *self,
           GFile          *file,
           const char     *text)
{
  g_assert (self->job_cancellable == NULL);

  self->job_cancellable = g_cancellable_new ();
  self->job_file = g_object_ref (file);
  self->job_count = 0;

  gtk_label_set_text (self->progress_label, text);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  gtk_action_bar_set_revealed (self->action_bar, TRUE);

  pi_capture_saver_update_actions (self);
}

static void
job_end (PiCaptureSaver *self)
{
  g_clear_object (&self->job_cancellable);
  g_clear_object (&self->job_file);

  if (!job_alive (self))
    return;

  gtk_action_bar_set_revealed (self->action_bar, FALSE);
  pi_capture_saver_update_actions (self);
}

static void
on_job_progress (guint64  done,
                 guint64  total,
                 gpointer user_data)
{
  PiCaptureSaver *self = user_data;
  g_autofree char *text = NULL;
  double fraction = total > 0 ? (double) done / (double) total : 1.0;

  if (!job_alive (self))
    return;

  fraction = CLAMP (fraction, 0.0, 1.0);
  /* Translators: progress of saving, such as "42 %" */
  text = g_strdup_printf (_("%d %%"), (int) (fraction * 100));
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

/**
 * pi_capture_saver_get_busy:
 * @self: a #PiCaptureSaver
 *
 * Returns: whether a capture is being saved or messages exported
 */
gboolean
pi_capture_saver_get_busy (PiCaptureSaver *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_SAVER (self), FALSE);

  return self->job_cancellable != NULL;
}

/**
 * pi_capture_saver_dup_shown:
 * @self: a #PiCaptureSaver
 *
 * The messages the list shows: those kept that match the filter, in order.
 *
 * Returns: (transfer full) (element-type PiMessage): the messages
 */
GPtrArray *
pi_capture_saver_dup_shown (PiCaptureSaver *self)
{
  g_return_val_if_fail (PI_IS_CAPTURE_SAVER (self), NULL);
  g_return_val_if_fail (self->list != NULL, NULL);

  return dup_items (pi_message_list_get_shown (self->list));
}

/* --- Saving ------------------------------------------------------------------ */

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(PiCaptureSaver) self = user_data;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = pi_capture_file_display_name (self->job_file);
  g_autofree char *count = pi_capture_format_count (self->job_count);
  g_autofree char *title = NULL;

  /* pi_capture_save_async() leaves no partial file behind. */
  pi_capture_save_finish (result, &local_error);
  job_end (self);

  /* A closed window says nothing. */
  if (!job_alive (self))
    return;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast (self, _("Saving cancelled"));
  else if (local_error != NULL)
    {
      /* The error names the file and the reason; the messages stay. */
      g_debug ("Saving failed: %s", local_error->message);
      error (self, local_error->message);
    }
  else
    {
      /* Translators: "Saved 1,200 messages as “capture.jsonl”" */
      title = g_strdup_printf (_("Saved %s as “%s”"), count, name);
      toast (self, title);
    }
}

/**
 * pi_capture_saver_save:
 * @self: a #PiCaptureSaver
 * @file: where to save
 * @shown_only: %TRUE to save only the messages the filter shows
 *
 * Saves the kept messages (or the shown ones) as a capture, in a thread,
 * with the progress in the action bar. What win.save and win.save-shown do
 * once a file is chosen.
 */
void
pi_capture_saver_save (PiCaptureSaver *self,
                       GFile          *file,
                       gboolean        shown_only)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(PiCaptureInfo) info = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (PI_IS_CAPTURE_SAVER (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (self->list != NULL);

  if (self->job_cancellable != NULL)
    {
      toast (self, _("Wait until the file being saved is done"));
      return;
    }

  messages = shown_only ? pi_capture_saver_dup_shown (self)
                        : dup_items (G_LIST_MODEL (pi_message_list_get_store (self->list)));
  info = dup_info (self);
  name = pi_capture_file_display_name (file);
  /* Translators: %s is a file name */
  text = g_strdup_printf (_("Saving “%s”…"), name);

  job_begin (self, file, text);
  self->job_count = messages->len;

  pi_capture_save_async (file, info, messages,
                         on_job_progress, self,
                         self->job_cancellable,
                         on_saved, g_object_ref (self));
}

/* --- Exporting ------------------------------------------------------------ */

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(PiCaptureSaver) self = user_data;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = pi_capture_file_display_name (self->job_file);
  g_autofree char *count = NULL;
  g_autofree char *title = NULL;
  guint n_written = 0;
  guint n_left_out = 0;

  pi_capture_export_finish (result, &n_written, &n_left_out, &local_error);
  job_end (self);

  if (!job_alive (self))
    return;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      toast (self, _("Export cancelled"));
      return;
    }
  if (local_error != NULL)
    {
      error (self, local_error->message);
      return;
    }

  count = pi_capture_format_count (n_written);
  if (n_left_out > 0)
    /* Translators: "Exported 12 messages as “pulse-messages.json”; 1 undecodable left out" */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Exported %s as “%s”; %u undecodable message left out",
                                          "Exported %s as “%s”; %u undecodable messages left out",
                                          n_left_out),
                             count, name, n_left_out);
  else
    /* Translators: "Exported 12 messages as “pulse-messages.json”" */
    title = g_strdup_printf (_("Exported %s as “%s”"), count, name);
  toast (self, title);
}

/**
 * pi_capture_saver_export:
 * @self: a #PiCaptureSaver
 * @file: where to write
 * @selected_only: %TRUE for the selected message, %FALSE for the shown ones
 *
 * Exports the messages as JSON, the old web inspectors' download format
 * (see pi_capture_export_async()), as a job with its progress shown.
 */
void
pi_capture_saver_export (PiCaptureSaver *self,
                         GFile          *file,
                         gboolean        selected_only)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (PI_IS_CAPTURE_SAVER (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (self->list != NULL);

  if (self->job_cancellable != NULL)
    {
      toast (self, _("Wait until the file being saved is done"));
      return;
    }

  if (selected_only)
    {
      PiMessage *selected = pi_message_list_get_selected_message (self->list);

      messages = g_ptr_array_new_with_free_func (g_object_unref);
      if (selected != NULL)
        g_ptr_array_add (messages, g_object_ref (selected));
    }
  else
    messages = pi_capture_saver_dup_shown (self);

  name = pi_capture_file_display_name (file);
  /* Translators: %s is a file name */
  text = g_strdup_printf (_("Exporting “%s”…"), name);
  job_begin (self, file, text);

  pi_capture_export_async (file, messages,
                           on_job_progress, self,
                           self->job_cancellable,
                           on_exported, g_object_ref (self));
}

/* --- File dialogs ---------------------------------------------------------------- */

typedef enum
{
  CHOOSE_SAVE_ALL,
  CHOOSE_SAVE_SHOWN,
  CHOOSE_EXPORT_SELECTED,
  CHOOSE_EXPORT_SHOWN,
} ChooseWhat;

typedef struct
{
  PiCaptureSaver *self;
  ChooseWhat      what;
} ChooseRequest;

static void
on_file_chosen (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ChooseRequest *request = user_data;
  g_autoptr(PiCaptureSaver) self = request->self;
  ChooseWhat what = request->what;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) local_error = NULL;

  g_free (request);
  g_clear_object (&self->chooser_cancellable);

  if (!(file = gtk_file_dialog_save_finish (GTK_FILE_DIALOG (source), result, &local_error)))
    {
      /* Dismissing the dialog is not a failure worth words; a cancelled one
       * belonged to a window that was closed meanwhile, and is left alone. */
      if (!g_error_matches (local_error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_DISMISSED) &&
          !g_error_matches (local_error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_CANCELLED) &&
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          job_alive (self))
        error (self, local_error->message);
      return;
    }

  if (!job_alive (self))
    return;

  switch (what)
    {
    case CHOOSE_SAVE_ALL:
    case CHOOSE_SAVE_SHOWN:
      pi_capture_saver_save (self, file, what == CHOOSE_SAVE_SHOWN);
      break;

    case CHOOSE_EXPORT_SELECTED:
    case CHOOSE_EXPORT_SHOWN:
      pi_capture_saver_export (self, file, what == CHOOSE_EXPORT_SELECTED);
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
choose_file (PiCaptureSaver *self,
             ChooseWhat      what)
{
  g_autoptr(PiCaptureInfo) info = dup_info (self);
  g_autoptr(GDateTime) local = g_date_time_to_local (pi_capture_info_get_started (info));
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
  /* Closing the window closes its dialog (see unrealize): a file chosen
   * afterwards would be saved from a window nobody sees. */
  if (self->chooser_cancellable != NULL)
    g_cancellable_cancel (self->chooser_cancellable);
  g_clear_object (&self->chooser_cancellable);
  self->chooser_cancellable = g_cancellable_new ();
  gtk_file_dialog_save (dialog, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                        self->chooser_cancellable, on_file_chosen, request);
}

/* --- Actions ------------------------------------------------------------------------- */

static void
save_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  choose_file (PI_CAPTURE_SAVER (user_data), CHOOSE_SAVE_ALL);
}

static void
save_shown_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  choose_file (PI_CAPTURE_SAVER (user_data), CHOOSE_SAVE_SHOWN);
}

static void
export_selected_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  choose_file (PI_CAPTURE_SAVER (user_data), CHOOSE_EXPORT_SELECTED);
}

static void
export_shown_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  choose_file (PI_CAPTURE_SAVER (user_data), CHOOSE_EXPORT_SHOWN);
}

static void
cancel_save_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PiCaptureSaver *self = PI_CAPTURE_SAVER (user_data);

  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
}

static const GActionEntry file_actions[] = {
  { "save", save_action },
  { "save-shown", save_shown_action },
  { "export-selected", export_selected_action },
  { "export-shown", export_shown_action },
  { "cancel-save", cancel_save_action },
};

static void
set_enabled (PiCaptureSaver *self,
             const char     *name,
             gboolean        enabled)
{
  GAction *action = g_action_map_lookup_action (self->actions, name);

  if (action != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/**
 * pi_capture_saver_update_actions:
 * @self: a #PiCaptureSaver
 *
 * Enables the file actions that make sense now; the window's update
 * function calls it, and so do the changes of the list.
 */
void
pi_capture_saver_update_actions (PiCaptureSaver *self)
{
  PiMessage *selected;
  gboolean ready;
  gboolean any;
  gboolean any_shown;

  g_return_if_fail (PI_IS_CAPTURE_SAVER (self));

  if (self->actions == NULL || self->list == NULL || pi_message_list_get_store (self->list) == NULL)
    return;

  ready = self->job_cancellable == NULL && self->ready;
  any = g_list_model_get_n_items (G_LIST_MODEL (pi_message_list_get_store (self->list))) > 0;
  any_shown = pi_message_list_get_n_shown (self->list) > 0;
  selected = pi_message_list_get_selected_message (self->list);

  set_enabled (self, "save", ready && any);
  set_enabled (self, "save-shown", ready && any_shown);
  set_enabled (self, "export-shown", ready && any_shown);
  set_enabled (self, "export-selected",
               ready && selected != NULL &&
               (pi_message_get_kind (selected) == PI_MESSAGE_KIND_DECODED ||
                pi_message_get_kind (selected) == PI_MESSAGE_KIND_PAYLOAD_ONLY));
  set_enabled (self, "cancel-save", self->job_cancellable != NULL);
}

/**
 * pi_capture_saver_set_ready:
 * @self: a #PiCaptureSaver
 * @ready: whether the list holds what there is to save (a capture window
 *   is not while it reads its file)
 */
void
pi_capture_saver_set_ready (PiCaptureSaver *self,
                            gboolean        ready)
{
  g_return_if_fail (PI_IS_CAPTURE_SAVER (self));

  self->ready = !!ready;
  pi_capture_saver_update_actions (self);
}

static void
on_list_changed (PiCaptureSaver *self)
{
  pi_capture_saver_update_actions (self);
}

/**
 * pi_capture_saver_attach:
 * @self: a #PiCaptureSaver
 * @actions: the window's action map, which gets the file actions
 * @list: the window's message list, with its store set
 * @info_func: says what the messages are a capture of
 * @info_data: for @info_func (the window)
 *
 * Called once by the window that holds this widget.
 */
void
pi_capture_saver_attach (PiCaptureSaver         *self,
                         GActionMap             *actions,
                         PiMessageList          *list,
                         PiCaptureSaverInfoFunc  info_func,
                         gpointer                info_data)
{
  g_return_if_fail (PI_IS_CAPTURE_SAVER (self));
  g_return_if_fail (G_IS_ACTION_MAP (actions));
  g_return_if_fail (PI_IS_MESSAGE_LIST (list));
  g_return_if_fail (pi_message_list_get_store (list) != NULL);
  g_return_if_fail (info_func != NULL);
  g_return_if_fail (self->actions == NULL);

  g_set_weak_pointer (&self->actions, actions);
  g_set_weak_pointer (&self->list, list);
  self->info_func = info_func;
  self->info_data = info_data;

  g_action_map_add_action_entries (actions, file_actions, G_N_ELEMENTS (file_actions), self);

  g_signal_connect_object (list, "notify::n-shown",
                           G_CALLBACK (on_list_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (list, "notify::selected-message",
                           G_CALLBACK (on_list_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (pi_message_list_get_store (list), "items-changed",
                           G_CALLBACK (on_list_changed), self, G_CONNECT_SWAPPED);

  pi_capture_saver_update_actions (self);
}

/* --- Life cycle ------------------------------------------------------------------ */

/* Closes the Save or Export dialog of a window that is going away, and
 * stops its save or export (which leaves no partial file). The dialog's
 * answer and the job's callback hold a reference on this widget, so this
 * cannot wait for dispose: it runs when the window is unrealized (closed
 * or destroyed). */
static void
pi_capture_saver_unrealize (GtkWidget *widget)
{
  PiCaptureSaver *self = PI_CAPTURE_SAVER (widget);

  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
  if (self->chooser_cancellable != NULL)
    g_cancellable_cancel (self->chooser_cancellable);
  g_clear_object (&self->chooser_cancellable);

  GTK_WIDGET_CLASS (pi_capture_saver_parent_class)->unrealize (widget);
}

static void
pi_capture_saver_dispose (GObject *object)
{
  PiCaptureSaver *self = PI_CAPTURE_SAVER (object);

  /* A closed window stops its file work. */
  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
  if (self->chooser_cancellable != NULL)
    g_cancellable_cancel (self->chooser_cancellable);
  g_clear_object (&self->chooser_cancellable);
  g_clear_weak_pointer (&self->actions);
  g_clear_weak_pointer (&self->list);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_CAPTURE_SAVER);

  G_OBJECT_CLASS (pi_capture_saver_parent_class)->dispose (object);
}

static void
pi_capture_saver_finalize (GObject *object)
{
  PiCaptureSaver *self = PI_CAPTURE_SAVER (object);

  g_clear_object (&self->job_cancellable);
  g_clear_object (&self->job_file);

  G_OBJECT_CLASS (pi_capture_saver_parent_class)->finalize (object);
}

static void
pi_capture_saver_class_init (PiCaptureSaverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_capture_saver_dispose;
  object_class->finalize = pi_capture_saver_finalize;
  widget_class->unrealize = pi_capture_saver_unrealize;

  /**
   * PiCaptureSaver::toast:
   * @self: a #PiCaptureSaver
   * @text: what happened, in words
   *
   * A job ended (saved, exported, cancelled); the window shows @text.
   */
  signals[SIGNAL_TOAST] =
    g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * PiCaptureSaver::error:
   * @self: a #PiCaptureSaver
   * @text: the failure in words, with the file's name and the reason
   */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-capture-saver.ui");
  gtk_widget_class_bind_template_child (widget_class, PiCaptureSaver, action_bar);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureSaver, progress_label);
  gtk_widget_class_bind_template_child (widget_class, PiCaptureSaver, progress_bar);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
pi_capture_saver_init (PiCaptureSaver *self)
{
  self->ready = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
}
