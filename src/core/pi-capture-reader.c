/* pi-capture-reader.c
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

/* Reading captures (the format is described in pi-capture.c) and the old
 * web inspectors' downloads; the lines are parsed in pi-capture-parse.c.
 */

#define LOAD_BUFFER_SIZE (256 * 1024)

static void
loader_clear (Loader *loader)
{
  g_clear_object (&loader->file);
  g_clear_pointer (&loader->name, g_free);
  g_clear_pointer (&loader->messages, g_ptr_array_unref);
  g_clear_pointer (&loader->info, pi_capture_info_free);
  if (loader->scratch != NULL)
    g_string_free (loader->scratch, TRUE);
  loader->scratch = NULL;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Loader, loader_clear)

/* Where the first non-blank byte is '[': the old inspectors' array. */
static int
peek_first_char (GBufferedInputStream  *stream,
                 GCancellable          *cancellable,
                 GError               **error)
{
  for (;;)
    {
      gsize available;
      const char *buffer = g_buffered_input_stream_peek_buffer (stream, &available);
      gssize got;

      for (gsize i = 0; i < available; i++)
        if (!g_ascii_isspace (buffer[i]))
          return (guchar) buffer[i];

      /* Only blanks so far: read more (rare, but a file may start so). */
      if (available == g_buffered_input_stream_get_buffer_size (stream))
        g_buffered_input_stream_set_buffer_size (stream, available * 2);
      got = g_buffered_input_stream_fill (stream, -1, cancellable, error);
      if (got < 0)
        return -1;
      if (got == 0)
        return 0;
    }
}

static GPtrArray *
load_sync (GFile          *file,
           PiCaptureInfo **out_info,
           char          **out_warning,
           GCancellable   *cancellable,
           GError        **error)
{
  g_auto(Loader) loader = { 0 };
  g_autoptr(GFileInputStream) file_stream = NULL;
  g_autoptr(GDataInputStream) data = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *pending_bad = NULL;
  gsize pending_bad_len = 0;
  guint64 line_number = 0;
  gboolean have_header = FALSE;
  int first;

  loader.file = g_object_ref (file);
  loader.name = pi_capture_display_name (file);
  loader.messages = g_ptr_array_new_with_free_func (g_object_unref);
  loader.scratch = g_string_new (NULL);

  file_stream = g_file_read (file, cancellable, &local_error);
  if (file_stream == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not open “%s”: %s"), loader.name, local_error->message);
      return NULL;
    }

  data = g_data_input_stream_new (G_INPUT_STREAM (file_stream));
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (data), LOAD_BUFFER_SIZE);
  g_data_input_stream_set_newline_type (data, G_DATA_STREAM_NEWLINE_TYPE_LF);

  first = peek_first_char (G_BUFFERED_INPUT_STREAM (data), cancellable, &local_error);
  if (first < 0)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not read “%s”: %s"), loader.name, local_error->message);
      return NULL;
    }
  if (first == 0)
    {
      g_set_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_NOT_A_CAPTURE,
                   _("“%s” is empty: it is not a Pulse Inspector capture"), loader.name);
      return NULL;
    }
  if (first == '[')
    {
      if (!pi_capture_loader_load_inspector_array (&loader, G_INPUT_STREAM (data), cancellable, error))
        return NULL;
      goto done;
    }
  if (first != '{')
    {
      g_set_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_NOT_A_CAPTURE,
                   _("“%s” is not a Pulse Inspector capture: it does not start with a capture header"),
                   loader.name);
      return NULL;
    }

  for (;;)
    {
      gsize len;
      g_autofree char *line = g_data_input_stream_read_line (data, &len, cancellable, &local_error);

      if (line == NULL)
        {
          if (local_error != NULL)
            {
              if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                g_propagate_error (error, g_steal_pointer (&local_error));
              else
                g_set_error (error, local_error->domain, local_error->code,
                             _("Could not read “%s”: %s"), loader.name, local_error->message);
              return NULL;
            }
          break;
        }

      line_number++;
      if ((line_number & 0xfff) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;

      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';

      if (!have_header)
        {
          if (len == 0)
            continue;
          if (!pi_capture_loader_load_header (&loader, line, len, error))
            return NULL;
          have_header = TRUE;
          continue;
        }

      /* A line that was not a message is only known to be damaged once
       * another line follows; the last one was probably cut off while the
       * capture was written.
       */
      if (pending_bad != NULL)
        {
          g_ptr_array_add (loader.messages,
                           pi_message_new_from_data (pending_bad, pending_bad_len,
                                                     ++loader.last_seq, loader.last_time));
          g_clear_pointer (&pending_bad, g_free);
        }

      if (len == 0 || pi_capture_loader_add_line (&loader, line, len))
        continue;

      if (loader.n_bad_lines++ == 0)
        loader.first_bad_line = line_number;
      pending_bad = g_steal_pointer (&line);
      pending_bad_len = len;
    }

  if (pending_bad != NULL)
    {
      loader.n_bad_lines--;
      loader.truncated = TRUE;
    }

done:
  if (out_warning != NULL)
    {
      GString *warning = NULL;

      if (loader.n_bad_lines > 0)
        {
          char first_text[24];

          /* As text: a line number may not fit in a guint. */
          g_snprintf (first_text, sizeof first_text, "%" G_GUINT64_FORMAT, loader.first_bad_line);
          warning = g_string_new (NULL);
          g_string_append_printf (warning,
                                  g_dngettext (GETTEXT_PACKAGE,
                                               "%u line of “%s” is not a message (line %s); it is shown as undecodable.",
                                               "%u lines of “%s” are not messages (the first is line %s); they are shown as undecodable.",
                                               loader.n_bad_lines),
                                  loader.n_bad_lines, loader.name, first_text);
        }

      if (loader.truncated)
        {
          if (warning == NULL)
            warning = g_string_new (NULL);
          else
            g_string_append_c (warning, ' ');
          g_string_append_printf (warning,
                                  _("The last line of “%s” is cut off, as happens when a capture "
                                    "is still being written; that message was left out."),
                                  loader.name);
        }

      *out_warning = warning ? g_string_free (warning, FALSE) : NULL;
    }

  if (out_info != NULL)
    *out_info = g_steal_pointer (&loader.info);

  g_debug ("Loaded %u messages from %s", loader.messages->len, loader.name);

  return g_steal_pointer (&loader.messages);
}

/**
 * pi_capture_load:
 * @file: a capture, or the old web inspectors' `pulse-messages.json`
 * @info: (out) (optional) (transfer full): the capture's header; for an
 *   old inspectors' download, one with no server and no bindings
 * @warning: (out) (optional) (transfer full) (nullable): set to a message
 *   for people when the file was read but not all of it was right (a cut
 *   off last line, lines that are not messages), else %NULL
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads a capture (see the format at the top of this file) line by line,
 * without building a JSON tree per message, so a file of a million
 * messages takes time in proportion to its size. The messages keep the
 * sequence numbers and times they had when they arrived. A line that is
 * not a message becomes an undecodable message, except a damaged last
 * line, which is left out (@warning says so either way). Blocks: call it
 * in a thread, or use pi_capture_load_async().
 *
 * Errors: %PI_CAPTURE_ERROR_NOT_A_CAPTURE (with the file name, in words),
 * %PI_CAPTURE_ERROR_UNSUPPORTED_VERSION, or the #GIOError of reading.
 *
 * Returns: (transfer full) (element-type PiMessage) (nullable): the
 *   messages, or %NULL with @error set
 */
GPtrArray *
pi_capture_load (GFile          *file,
                 PiCaptureInfo **info,
                 char          **warning,
                 GCancellable   *cancellable,
                 GError        **error)
{
  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (info != NULL)
    *info = NULL;
  if (warning != NULL)
    *warning = NULL;

  return load_sync (file, info, warning, cancellable, error);
}

typedef struct
{
  GPtrArray     *messages;
  PiCaptureInfo *info;
  char          *warning;
} LoadResult;

static void
load_result_free (LoadResult *result)
{
  g_clear_pointer (&result->messages, g_ptr_array_unref);
  g_clear_pointer (&result->info, pi_capture_info_free);
  g_clear_pointer (&result->warning, g_free);
  g_free (result);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GFile *file = task_data;
  LoadResult *result = g_new0 (LoadResult, 1);
  GError *error = NULL;

  result->messages = load_sync (file, &result->info, &result->warning, cancellable, &error);
  if (result->messages == NULL)
    {
      load_result_free (result);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, result, (GDestroyNotify) load_result_free);
}

/**
 * pi_capture_load_async:
 * @file: a capture, or the old web inspectors' download
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the thread-default main context of the caller
 * @user_data: data for @callback
 *
 * Reads @file with pi_capture_load() in a worker thread.
 */
void
pi_capture_load_async (GFile               *file,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pi_capture_load_async);
  g_task_set_name (task, "[pi-capture] load");
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

/**
 * pi_capture_load_finish:
 * @file: the file given to pi_capture_load_async()
 * @result: the result given to the callback
 * @info: (out) (optional) (transfer full): the capture's header
 * @warning: (out) (optional) (transfer full) (nullable): see pi_capture_load()
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type PiMessage) (nullable): the
 *   messages, or %NULL with @error set
 */
GPtrArray *
pi_capture_load_finish (GFile          *file,
                        GAsyncResult   *result,
                        PiCaptureInfo **info,
                        char          **warning,
                        GError        **error)
{
  LoadResult *load_result;
  GPtrArray *messages;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pi_capture_load_async, NULL);

  if (info != NULL)
    *info = NULL;
  if (warning != NULL)
    *warning = NULL;

  load_result = g_task_propagate_pointer (G_TASK (result), error);
  if (load_result == NULL)
    return NULL;

  if (info != NULL)
    *info = g_steal_pointer (&load_result->info);
  if (warning != NULL)
    *warning = g_steal_pointer (&load_result->warning);
  messages = g_steal_pointer (&load_result->messages);
  load_result_free (load_result);

  return messages;
}
