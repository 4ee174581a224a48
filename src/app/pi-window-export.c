/* pi-window-export.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-window"

#include <glib/gi18n.h>

#include "pi-window-private.h"

/*
 * Export: messages as the old web inspectors' download, a pretty-printed
 * JSON array of {exchange, routingKey, routes, redelivered, payload}, which
 * their import (and our pi_capture_load()) reads. Written in a thread as a
 * file job of the window (see pi-window-capture.c).
 */

#define TICK_MSEC 100

typedef struct
{
  GFile     *file;
  GPtrArray *messages;
  guint      done;        /* atomic: messages looked at so far */
  guint      n_written;
  guint      n_left_out;
} ExportData;

static void
export_data_free (ExportData *data)
{
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

      /* Gaps are no messages; an undecodable one has no JSON to give. */
      if (kind == PI_MESSAGE_KIND_GAP || kind == PI_MESSAGE_KIND_UNDECODABLE)
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
      g_autofree char *name = pi_window_file_display_name (data->file);

      g_task_return_new_error (task, error->domain, error->code,
                               _("Could not export the messages as “%s”: %s"),
                               name, pi_capture_write_error_reason (error));
    }
}

static gboolean
export_tick (gpointer user_data)
{
  PiWindow *self = user_data;
  GTask *task = g_object_get_data (G_OBJECT (self), "pi-export-task");
  ExportData *data = task ? g_task_get_task_data (task) : NULL;

  if (data != NULL && data->messages->len > 0)
    pi_window_job_set_fraction (self, (double) g_atomic_int_get (&data->done) / data->messages->len);

  return G_SOURCE_CONTINUE;
}

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(PiWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  ExportData *data = g_task_get_task_data (G_TASK (result));
  g_autofree char *name = pi_window_file_display_name (data->file);
  g_autofree char *count = NULL;
  g_autofree char *title = NULL;

  g_object_set_data (G_OBJECT (self), "pi-export-task", NULL);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      pi_window_job_end (self);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          if (pi_window_job_alive (self))
            pi_window_add_toast (self, _("Export cancelled"));
          return;
        }

      if (!pi_window_job_alive (self))
        return;

      pi_window_show_error (self, error->message);
      return;
    }

  pi_window_job_end (self);
  if (!pi_window_job_alive (self))
    return;

  count = pi_window_format_count (data->n_written);
  if (data->n_left_out > 0)
    /* Translators: "Exported 12 messages as “pulse-messages.json”; 1 undecodable left out" */
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Exported %s as “%s”; %u undecodable message left out",
                                          "Exported %s as “%s”; %u undecodable messages left out",
                                          data->n_left_out),
                             count, name, data->n_left_out);
  else
    /* Translators: "Exported 12 messages as “pulse-messages.json”" */
    title = g_strdup_printf (_("Exported %s as “%s”"), count, name);
  pi_window_add_toast (self, title);
}

/**
 * pi_window_export_json:
 * @self: a #PiWindow
 * @file: where to write
 * @selected_only: %TRUE for the selected message, %FALSE for the shown ones
 *
 * Writes the messages as a pretty-printed JSON array of
 * `{exchange, routingKey, routes, redelivered, payload}` objects, the old
 * web inspectors' download format, in a thread.
 */
void
pi_window_export_json (PiWindow *self,
                       GFile    *file,
                       gboolean  selected_only)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  ExportData *data;

  g_return_if_fail (PI_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->save_cancellable != NULL)
    {
      pi_window_add_toast (self, _("Wait until the file being saved is done"));
      return;
    }

  data = g_new0 (ExportData, 1);
  data->file = g_object_ref (file);
  if (selected_only)
    {
      PiMessage *selected = pi_message_list_get_selected_message (self->message_list);

      data->messages = g_ptr_array_new_with_free_func (g_object_unref);
      if (selected != NULL)
        g_ptr_array_add (data->messages, g_object_ref (selected));
    }
  else
    data->messages = pi_window_dup_shown_messages (self);

  name = pi_window_file_display_name (file);
  /* Translators: %s is a file name */
  text = g_strdup_printf (_("Exporting “%s”…"), name);
  pi_window_job_begin (self, text);
  self->save_file = g_object_ref (file);
  self->pulse_id = g_timeout_add (TICK_MSEC, export_tick, self);

  task = g_task_new (NULL, self->save_cancellable, on_exported, g_object_ref (self));
  g_task_set_source_tag (task, pi_window_export_json);
  g_task_set_name (task, "[pi-window] export");
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);
  g_object_set_data_full (G_OBJECT (self), "pi-export-task", g_object_ref (task), g_object_unref);
  g_task_run_in_thread (task, export_thread);
}
