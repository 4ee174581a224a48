/* pi-capture-save.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-capture"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pi-capture.h"
#include "pi-capture-private.h"

/* Saving a capture in a worker thread with a PiCaptureWriter (the format
 * is described in pi-capture.c).
 */

#define SAVE_BUFFER_SIZE       (256 * 1024)
#define PROGRESS_INTERVAL_USEC (100 * 1000)

/* Shared by the saving thread and the progress callbacks in the caller's
 * main context. `finished` is set before the task returns, so a progress
 * callback never runs after the completion callback (whose caller may then
 * free progress_data).
 */
typedef struct
{
  gatomicrefcount        ref_count;
  GMutex                 lock;
  guint64                done;
  guint64                total;
  gboolean               idle_pending;
  gboolean               finished;
  PiCaptureProgressFunc  func;
  gpointer               data;
  GMainContext          *context;
} Progress;

static Progress *
progress_ref (Progress *progress)
{
  g_atomic_ref_count_inc (&progress->ref_count);
  return progress;
}

static void
progress_unref (Progress *progress)
{
  if (g_atomic_ref_count_dec (&progress->ref_count))
    {
      g_mutex_clear (&progress->lock);
      g_main_context_unref (progress->context);
      g_free (progress);
    }
}

static gboolean
progress_dispatch (gpointer user_data)
{
  Progress *progress = user_data;
  guint64 done, total;
  gboolean finished;

  g_mutex_lock (&progress->lock);
  progress->idle_pending = FALSE;
  done = progress->done;
  total = progress->total;
  finished = progress->finished;
  g_mutex_unlock (&progress->lock);

  if (!finished)
    progress->func (done, total, progress->data);

  return G_SOURCE_REMOVE;
}

/* Called in the saving thread. */
static void
progress_post (Progress *progress,
               guint64   done)
{
  gboolean post;

  g_mutex_lock (&progress->lock);
  progress->done = done;
  post = !progress->idle_pending;
  progress->idle_pending = TRUE;
  g_mutex_unlock (&progress->lock);

  if (post)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, progress_dispatch, progress_ref (progress),
                             (GDestroyNotify) progress_unref);
      g_source_set_static_name (source, "[pi-capture] save progress");
      g_source_attach (source, progress->context);
      g_source_unref (source);
    }
}

static void
progress_finish (Progress *progress)
{
  g_mutex_lock (&progress->lock);
  progress->finished = TRUE;
  g_mutex_unlock (&progress->lock);
}

typedef struct
{
  GFile         *file;
  PiCaptureInfo *info;
  GPtrArray     *messages;
  Progress      *progress;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->file);
  g_clear_pointer (&data->info, pi_capture_info_free);
  g_clear_pointer (&data->messages, g_ptr_array_unref);
  g_clear_pointer (&data->progress, progress_unref);
  g_free (data);
}

/**
 * pi_capture_write_error_reason:
 * @error: why writing a file failed
 *
 * Says in words why writing a file failed, for the end of a message such
 * as "Could not save … as “name”: REASON".
 *
 * Returns: (transfer none): the reason, translated, or @error's own message
 */
const char *
pi_capture_write_error_reason (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_NO_SPACE:
          return _("the disk is full");
        case G_IO_ERROR_PERMISSION_DENIED:
          return _("you do not have permission to write there");
        case G_IO_ERROR_NOT_FOUND:
          return _("its folder does not exist");
        case G_IO_ERROR_IS_DIRECTORY:
          return _("a folder has that name");
        case G_IO_ERROR_READ_ONLY:
          return _("the disk is read-only");
        default:
          break;
        }
    }

  return error->message;
}

/**
 * pi_capture_open_for_writing:
 * @file: the file to write
 * @created: (out): set to whether @file did not exist and was created
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Opens @file to be written whole. g_file_replace() writes a temporary
 * file and renames it over an existing one on close (and drops it when
 * closed with a cancelled #GCancellable), so an earlier file survives a
 * failed write; but a file that did not exist is written in place. Then
 * @created is %TRUE, and a writer that fails or is cancelled should delete
 * @file after closing the stream.
 *
 * Returns: (transfer full) (nullable): the stream, or %NULL with @error set
 */
GFileOutputStream *
pi_capture_open_for_writing (GFile         *file,
                             gboolean      *created,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  GFileOutputStream *stream;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (created != NULL, NULL);

  /* Creating it first tells, without a race, whether it is ours to remove. */
  stream = g_file_create (file, G_FILE_CREATE_NONE, cancellable, &local_error);
  *created = stream != NULL;
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    return g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, error);

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return stream;
}

/* An error of saving, in words, with the file's name. The domain and code
 * stay those of the cause, so callers can still tell a cancellation.
 */
static GError *
save_error (GFile  *file,
            GError *cause)
{
  g_autofree char *name = pi_capture_display_name (file);

  return g_error_new (cause->domain, cause->code,
                      _("Could not save the capture as “%s”: %s"),
                      name, pi_capture_write_error_reason (cause));
}

static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveData *data = task_data;
  g_autoptr(GFileOutputStream) file_stream = NULL;
  g_autoptr(GOutputStream) buffered = NULL;
  g_autoptr(PiCaptureWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  gboolean created = FALSE;
  guint64 done = 0;
  gint64 last_progress = g_get_monotonic_time ();

  file_stream = pi_capture_open_for_writing (data->file, &created, cancellable, &error);
  if (file_stream == NULL)
    goto failed;

  buffered = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (file_stream), SAVE_BUFFER_SIZE);
  g_filter_output_stream_set_close_base_stream (G_FILTER_OUTPUT_STREAM (buffered), TRUE);

  writer = pi_capture_writer_new (buffered, data->info, &error);
  if (writer == NULL)
    goto abort;

  for (guint i = 0; i < data->messages->len; i++)
    {
      PiMessage *message = g_ptr_array_index (data->messages, i);

      if (!pi_capture_writer_write (writer, message, &error))
        goto abort;

      done += pi_message_get_size (message);

      if ((i & 0xff) == 0xff)
        {
          gint64 now = g_get_monotonic_time ();

          if (g_cancellable_set_error_if_cancelled (cancellable, &error))
            goto abort;

          if (data->progress != NULL && now - last_progress >= PROGRESS_INTERVAL_USEC)
            {
              progress_post (data->progress, done);
              last_progress = now;
            }
        }
    }

  if (!pi_capture_writer_close (writer, &error))
    goto failed;

  if (data->progress != NULL)
    {
      progress_post (data->progress, done);
      progress_finish (data->progress);
    }
  g_task_return_boolean (task, TRUE);
  return;

abort:
  {
    /* Closing with a cancelled cancellable makes the replace stream drop
     * its temporary file instead of putting it in place.
     */
    g_autoptr(GCancellable) abort_close = g_cancellable_new ();

    g_cancellable_cancel (abort_close);
    g_output_stream_close (buffered ? buffered : G_OUTPUT_STREAM (file_stream), abort_close, NULL);
  }

failed:
  /* A file that did not exist was written in place: take it away again. */
  if (created)
    g_file_delete (data->file, NULL, NULL);

  if (data->progress != NULL)
    progress_finish (data->progress);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_error (task, save_error (data->file, error));
}

/**
 * pi_capture_save_async:
 * @file: where to save
 * @info: what the capture is of (copied)
 * @messages: (element-type PiMessage): the messages, in order
 * @progress: (nullable) (scope notified): called now and then with the
 *   bytes of message data written so far and in all (the sum of
 *   pi_message_get_size(); the file is a little larger)
 * @progress_data: data for @progress, valid until @callback runs
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the capture is saved or saving failed
 * @user_data: data for @callback
 *
 * Saves a capture in a worker thread. @messages is copied (its messages
 * are referenced), so the caller may change or clear its list meanwhile;
 * nothing is changed in the messages, whatever happens. @progress and
 * @callback run in the thread-default main context of the caller;
 * @progress at most ten times a second and never after @callback.
 *
 * The file is replaced only once all of it is written: if saving fails
 * (disk full, no permission) or is cancelled, an earlier file of that name
 * is left as it was, and where there was none, none is left.
 */
void
pi_capture_save_async (GFile                 *file,
                       PiCaptureInfo         *info,
                       GPtrArray             *messages,
                       PiCaptureProgressFunc  progress,
                       gpointer               progress_data,
                       GCancellable          *cancellable,
                       GAsyncReadyCallback    callback,
                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  SaveData *data;

  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (info != NULL);
  g_return_if_fail (messages != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data = g_new0 (SaveData, 1);
  data->file = g_object_ref (file);
  data->info = pi_capture_info_copy (info);
  data->messages = g_ptr_array_copy (messages, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  g_ptr_array_set_free_func (data->messages, g_object_unref);

  if (progress != NULL)
    {
      guint64 total = 0;

      for (guint i = 0; i < messages->len; i++)
        total += pi_message_get_size (g_ptr_array_index (messages, i));

      data->progress = g_new0 (Progress, 1);
      g_atomic_ref_count_init (&data->progress->ref_count);
      g_mutex_init (&data->progress->lock);
      data->progress->total = total;
      data->progress->func = progress;
      data->progress->data = progress_data;
      data->progress->context = g_main_context_ref_thread_default ();
    }

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pi_capture_save_async);
  g_task_set_name (task, "[pi-capture] save");
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);
  g_task_run_in_thread (task, save_thread);
}

/**
 * pi_capture_save_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError: its message says in words what
 *   went wrong, with the file name; %G_IO_ERROR_CANCELLED when cancelled
 *
 * Returns: %TRUE if the capture was saved
 */
gboolean
pi_capture_save_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pi_capture_save_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
