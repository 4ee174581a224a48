/* pi-capture-export.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-capture"

#include <glib/gi18n.h>

#include <json-glib/json-glib.h>

#include "pi-capture-export.h"
#include "pi-message.h"

/*
 * Export: messages as the old web inspectors' download, a pretty-printed
 * JSON array of {exchange, routingKey, routes, redelivered, payload}, which
 * their import (and our pi_capture_load()) reads. Written in a thread; the
 * windows run it as a file job (see pi-capture-saver.c).
 */

#define TICK_MSEC 100

typedef struct
{
  GFile     *file;
  GPtrArray *messages;
  guint      done;        /* atomic: messages looked at so far */
  guint      n_written;
  guint      n_left_out;
  PiCaptureProgressFunc progress;
  gpointer   progress_data;
  guint      tick_id;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_handle_id (&data->tick_id, g_source_remove);
  g_clear_object (&data->file);
  g_clear_pointer (&data->messages, g_ptr_array_unref);
  g_free (data);
}

/* A message as the old inspectors' download had it. */
static JsonNode *
message_to_inspector_json (PiMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) payload = NULL;
  PiMessageKind kind = pi_message_get_kind (message);

  json_builder_begin_object (builder);

  if (kind == PI_MESSAGE_KIND_DECODED)
    {
      const char * const *routes = pi_message_get_routes (message);

      json_builder_set_member_name (builder, "exchange");
      json_builder_add_string_value (builder, pi_message_get_exchange (message));
      json_builder_set_member_name (builder, "routingKey");
      json_builder_add_string_value (builder, pi_message_get_routing_key (message));
      json_builder_set_member_name (builder, "routes");
      json_builder_begin_array (builder);
      for (guint i = 0; routes != NULL && routes[i] != NULL; i++)
        json_builder_add_string_value (builder, routes[i]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "redelivered");
      json_builder_add_boolean_value (builder, pi_message_get_redelivered (message));
    }

  json_builder_set_member_name (builder, "payload");
  if ((payload = pi_message_dup_payload (message)) != NULL)
    json_builder_add_value (builder, g_steal_pointer (&payload));
  else
    json_builder_add_null_value (builder);

  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* Indents each line of @text by two spaces: the object sits in an array.
 * (JSON strings hold no raw line breaks, so every '\n' is layout.) */
static void
append_indented (GString    *out,
                 const char *text)
{
  g_string_append (out, "  ");
  for (const char *p = text; *p != '\0'; p++)
    {
      g_string_append_c (out, *p);
      if (*p == '\n')
        g_string_append (out, "  ");
    }
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *data = task_data;
  g_autoptr(GFileOutputStream) file_stream = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) chunk = g_string_sized_new (64 * 1024);
  gboolean created = FALSE;
  gboolean first = TRUE;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);

  /* Replaced on close only: a failed export leaves an earlier file alone. */
  file_stream = pi_capture_open_for_writing (data->file, &created, cancellable, &error);
  if (file_stream == NULL)
    goto failed;
  out = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (file_stream), 256 * 1024);

  g_string_append (chunk, "[");
  for (guint i = 0; i < data->messages->len; i++)
    {
      PiMessage *message = g_ptr_array_index (data->messages, i);
      PiMessageKind kind = pi_message_get_kind (message);
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *text = NULL;

      /* Gaps and switches of server are no messages; an undecodable one
       * has no JSON to give. */
      if (kind == PI_MESSAGE_KIND_GAP || kind == PI_MESSAGE_KIND_SWITCH ||
          kind == PI_MESSAGE_KIND_UNDECODABLE)
        {
          if (kind == PI_MESSAGE_KIND_UNDECODABLE)
            data->n_left_out++;
          continue;
        }

      node = message_to_inspector_json (message);
      json_generator_set_root (generator, node);
      text = json_generator_to_data (generator, NULL);

      g_string_append (chunk, first ? "\n" : ",\n");
      append_indented (chunk, text);
      first = FALSE;
      data->n_written++;

      if (chunk->len >= 64 * 1024)
        {
          if (!g_output_stream_write_all (out, chunk->str, chunk->len, NULL, cancellable, &error))
            goto abort;
          g_string_truncate (chunk, 0);
        }

      if ((i & 0xff) == 0xff)
        {
          g_atomic_int_set (&data->done, i + 1);
          if (g_cancellable_set_error_if_cancelled (cancellable, &error))
            goto abort;
        }
    }
  g_string_append (chunk, first ? "]\n" : "\n]\n");

  if (!g_output_stream_write_all (out, chunk->str, chunk->len, NULL, cancellable, &error))
    goto abort;
  if (!g_output_stream_close (out, cancellable, &error))
    goto failed;

  g_atomic_int_set (&data->done, data->messages->len);
  g_task_return_boolean (task, TRUE);
  return;

abort:
  {
    /* A cancelled close makes the replace stream drop its temporary file. */
    g_autoptr(GCancellable) abort_close = g_cancellable_new ();

    g_cancellable_cancel (abort_close);
    g_output_stream_close (out ? out : G_OUTPUT_STREAM (file_stream), abort_close, NULL);
  }

failed:
  /* A file that did not exist was written in place: take it away again. */
  if (created)
    g_file_delete (data->file, NULL, NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    {
      g_autofree char *name = pi_capture_file_display_name (data->file);

      g_task_return_new_error (task, error->domain, error->code,
                               _("Could not export the messages as “%s”: %s"),
                               name, pi_capture_write_error_reason (error));
    }
}

/* Progress is read from the thread's counter on the main context, where
 * the caller's callback runs. */
static gboolean
export_tick (gpointer user_data)
{
  ExportData *data = user_data;

  if (data->messages->len > 0)
    data->progress (g_atomic_int_get (&data->done), data->messages->len, data->progress_data);

  return G_SOURCE_CONTINUE;
}

/**
 * pi_capture_export_async:
 * @file: where to write
 * @messages: (element-type PiMessage): the messages, not changed meanwhile
 * @progress: (nullable): called on the main context while writing
 * @progress_data: for @progress
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: for @callback
 *
 * Writes @messages as a pretty-printed JSON array of
 * `{exchange, routingKey, routes, redelivered, payload}` objects, the old
 * web inspectors' download format, in a thread. Gaps are left out, and so
 * are undecodable messages (counted). A failed or cancelled export leaves
 * no file behind, and an earlier one unchanged.
 */
void
pi_capture_export_async (GFile                 *file,
                         GPtrArray             *messages,
                         PiCaptureProgressFunc  progress,
                         gpointer               progress_data,
                         GCancellable          *cancellable,
                         GAsyncReadyCallback    callback,
                         gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *data;

  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (messages != NULL);

  data = g_new0 (ExportData, 1);
  data->file = g_object_ref (file);
  data->messages = g_ptr_array_ref (messages);
  data->progress = progress;
  data->progress_data = progress_data;
  if (progress != NULL)
    data->tick_id = g_timeout_add (TICK_MSEC, export_tick, data);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pi_capture_export_async);
  g_task_set_name (task, "[pi-capture] export");
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);
  g_task_run_in_thread (task, export_thread);
}

/**
 * pi_capture_export_finish:
 * @result: the #GAsyncResult
 * @n_written: (out) (optional): how many messages were written
 * @n_left_out: (out) (optional): how many undecodable ones were left out
 * @error: return location for a #GError naming the file and the reason
 *
 * Returns: %TRUE if the file was written
 */
gboolean
pi_capture_export_finish (GAsyncResult  *result,
                          guint         *n_written,
                          guint         *n_left_out,
                          GError       **error)
{
  ExportData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pi_capture_export_async, FALSE);

  data = g_task_get_task_data (G_TASK (result));
  /* Done: no more progress to tell. */
  g_clear_handle_id (&data->tick_id, g_source_remove);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  if (n_written != NULL)
    *n_written = data->n_written;
  if (n_left_out != NULL)
    *n_left_out = data->n_left_out;

  return TRUE;
}

/**
 * pi_capture_file_display_name:
 * @file: a file
 *
 * Returns: (transfer full): @file's name as the user reads it
 */
char *
pi_capture_file_display_name (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  if (path != NULL)
    return g_filename_display_basename (path);
  return g_file_get_parse_name (file);
}

/**
 * pi_capture_format_count:
 * @n: a number of messages
 *
 * Returns: (transfer full): "1,200 messages", grouped as the locale does
 */
char *
pi_capture_format_count (guint n)
{
  g_autofree char *number = g_strdup_printf ("%'u", n);

  /* Translators: %s is a number such as "1,200" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s message", "%s messages", n), number);
}
