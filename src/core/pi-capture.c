/* pi-capture.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-capture"

#include "config.h"

#include <string.h>
#include <time.h>

#include <glib/gi18n.h>

#include "pi-binding.h"
#include "pi-capture.h"
#include "pi-capture-private.h"
#include "pi-json-util.h"

/*
 * A capture is JSON Lines (one JSON value per line, UTF-8, LF):
 *
 *   {"format":"pulse-inspector-capture","version":1,"server":URL|null,
 *    "bindings":[{"exchange":…,"routingKeyPattern":…},…],"started":TIME}
 *
 * then one line per message, in order:
 *
 *   decoded       {"seq":N,"time":TIME,"exchange":…,"routingKey":…,
 *                  "routes":[…],"redelivered":false,"payload":…}
 *   payload only  {"seq":N,"time":TIME,"payload":…}
 *   undecodable   {"seq":N,"time":TIME,"undecodable":RAW-TEXT,"error":TEXT}
 *   gap           {"seq":N,"time":TIME,"gap":REASON}
 *   dropped       {"seq":N,"time":TIME,"dropped":COUNT,"reason":REASON-OR-NULL}
 *
 * TIME is ISO 8601 in UTC with microseconds ("2026-03-01T12:00:00.123456Z").
 * A decoded line is the protocol's message object plus "seq" and "time", so
 * pi_message_new_from_data() reads it as it is. Readers ignore members they
 * do not know, and blank lines.
 */

G_DEFINE_QUARK (pi-capture-error-quark, pi_capture_error)

struct _PiCaptureInfo
{
  char      *server_url;
  GPtrArray *bindings;
  GDateTime *started;
};

/* --- Info ---------------------------------------------------------------- */

/* Copies, not references: a PiBinding can be edited, and a copy can be
 * read safely in the saving thread.
 */
static GPtrArray *
copy_bindings (GPtrArray *bindings)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; bindings != NULL && i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);

      g_ptr_array_add (copy, pi_binding_new (pi_binding_get_exchange (binding),
                                             pi_binding_get_routing_key_pattern (binding)));
    }

  return copy;
}

/**
 * pi_capture_info_new:
 * @server_url: (nullable): the events server the messages came from
 * @bindings: (nullable) (element-type PiBinding): what was watched
 * @started: (nullable): when the capture started; %NULL for now
 *
 * Creates the header of a capture. The bindings are copied.
 *
 * Returns: (transfer full): a new #PiCaptureInfo
 */
PiCaptureInfo *
pi_capture_info_new (const char *server_url,
                     GPtrArray  *bindings,
                     GDateTime  *started)
{
  PiCaptureInfo *info = g_new0 (PiCaptureInfo, 1);

  info->server_url = g_strdup (server_url);
  info->bindings = copy_bindings (bindings);
  info->started = started ? g_date_time_to_utc (started) : g_date_time_new_now_utc ();

  return info;
}

/**
 * pi_capture_info_copy:
 * @info: a #PiCaptureInfo
 *
 * Returns: (transfer full): a deep copy of @info
 */
PiCaptureInfo *
pi_capture_info_copy (PiCaptureInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  return pi_capture_info_new (info->server_url, info->bindings, info->started);
}

/**
 * pi_capture_info_free:
 * @info: (nullable): a #PiCaptureInfo
 *
 * Frees @info.
 */
void
pi_capture_info_free (PiCaptureInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->server_url);
  g_ptr_array_unref (info->bindings);
  g_date_time_unref (info->started);
  g_free (info);
}

/**
 * pi_capture_info_get_server_url:
 * @info: a #PiCaptureInfo
 *
 * Returns: (nullable): the server the messages came from, if known
 */
const char *
pi_capture_info_get_server_url (PiCaptureInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  return info->server_url;
}

/**
 * pi_capture_info_get_bindings:
 * @info: a #PiCaptureInfo
 *
 * Returns: (transfer none) (element-type PiBinding): the bindings, maybe none
 */
GPtrArray *
pi_capture_info_get_bindings (PiCaptureInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  return info->bindings;
}

/**
 * pi_capture_info_get_started:
 * @info: a #PiCaptureInfo
 *
 * Returns: (transfer none): when the capture started, in UTC
 */
GDateTime *
pi_capture_info_get_started (PiCaptureInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  return info->started;
}

/* --- Times ----------------------------------------------------------------- */

static void
append_time (GString *out,
             gint64   usec)
{
  gint64 secs = usec / G_USEC_PER_SEC;
  gint64 frac = usec % G_USEC_PER_SEC;
  time_t t;
  struct tm tm;

  if (frac < 0)
    {
      frac += G_USEC_PER_SEC;
      secs--;
    }

  t = (time_t) secs;
  if (gmtime_r (&t, &tm) == NULL)
    memset (&tm, 0, sizeof tm);

  g_string_append_printf (out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"",
                          tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                          tm.tm_hour, tm.tm_min, tm.tm_sec, (int) frac);
}

/* A file's name for messages to people. */
char *
pi_capture_display_name (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);

  if (path != NULL)
    return g_filename_display_basename (path);
  return g_file_get_parse_name (file);
}

/* --- Writing ------------------------------------------------------------------ */

static void
append_header (GString       *out,
               PiCaptureInfo *info)
{
  GDateTime *started = info->started;

  g_string_append (out, "{\"format\":\"" PI_CAPTURE_FORMAT_NAME "\",\"version\":");
  g_string_append_printf (out, "%d", PI_CAPTURE_FORMAT_VERSION);
  g_string_append (out, ",\"server\":");
  if (info->server_url != NULL)
    pi_json_append_string (out, info->server_url, -1);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"bindings\":");
  pi_bindings_append_json_array (out, info->bindings);
  g_string_append (out, ",\"started\":");
  append_time (out, g_date_time_to_unix (started) * G_USEC_PER_SEC +
                    g_date_time_get_microsecond (started));
  g_string_append (out, "}\n");
}

/* JSON text whose line ends are whitespace (they cannot be anything else
 * in valid JSON: inside strings they must be escaped), put on one line.
 */
static void
append_json_one_line (GString    *out,
                      const char *text,
                      gsize       len)
{
  const char *end = text + len;
  const char *run = text;

  for (const char *p = text; p < end; p++)
    {
      if (*p == '\n' || *p == '\r')
        {
          g_string_append_len (out, run, p - run);
          g_string_append_c (out, ' ');
          run = p + 1;
        }
    }
  g_string_append_len (out, run, end - run);
}

static void
append_message (GString   *out,
                PiMessage *message)
{
  PiMessageKind kind = pi_message_get_kind (message);
  const char *payload;
  const char *error;
  g_autofree char *switch_text = NULL;
  gsize payload_len;

  g_string_append_printf (out, "{\"seq\":%" G_GUINT64_FORMAT ",\"time\":",
                          pi_message_get_sequence (message));
  append_time (out, pi_message_get_time_received (message));

  switch (kind)
    {
    case PI_MESSAGE_KIND_DECODED:
      {
        const char * const *routes = pi_message_get_routes (message);

        g_string_append (out, ",\"exchange\":");
        pi_json_append_string (out, pi_message_get_exchange (message), -1);
        g_string_append (out, ",\"routingKey\":");
        pi_json_append_string (out, pi_message_get_routing_key (message), -1);
        g_string_append (out, ",\"routes\":[");
        for (guint i = 0; routes != NULL && routes[i] != NULL; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            pi_json_append_string (out, routes[i], -1);
          }
        g_string_append (out, "],\"redelivered\":");
        g_string_append (out, pi_message_get_redelivered (message) ? "true" : "false");

        payload = pi_message_get_payload_text (message, &payload_len);
        if (payload != NULL)
          {
            g_string_append (out, ",\"payload\":");
            append_json_one_line (out, payload, payload_len);
          }
      }
      break;

    case PI_MESSAGE_KIND_PAYLOAD_ONLY:
      payload = pi_message_get_payload_text (message, &payload_len);
      g_string_append (out, ",\"payload\":");
      if (payload != NULL)
        append_json_one_line (out, payload, payload_len);
      else
        g_string_append (out, "null");
      break;

    case PI_MESSAGE_KIND_UNDECODABLE:
      /* The raw text is UTF-8 (PiMessage replaced any bad bytes). */
      g_string_append (out, ",\"undecodable\":");
      pi_json_append_string (out, pi_message_get_raw (message), pi_message_get_size (message));
      error = pi_message_get_error (message);
      g_string_append (out, ",\"error\":");
      pi_json_append_string (out, error ? error : "", -1);
      break;

    case PI_MESSAGE_KIND_SWITCH:
      /* Saved as a discontinuity readers of every version know. */
      g_string_append (out, ",\"gap\":");
      switch_text = pi_message_dup_switch_text (message);
      pi_json_append_string (out, switch_text, -1);
      break;

    case PI_MESSAGE_KIND_GAP:
      error = pi_message_get_error (message);
      g_string_append (out, ",\"gap\":");
      pi_json_append_string (out, error ? error : "", -1);
      break;

    case PI_MESSAGE_KIND_DROPPED:
      error = pi_message_get_dropped_reason (message);
      g_string_append_printf (out, ",\"dropped\":%" G_GUINT64_FORMAT ",\"reason\":",
                              pi_message_get_dropped_count (message));
      if (error != NULL)
        pi_json_append_string (out, error, -1);
      else
        g_string_append (out, "null");
      break;

    default:
      g_assert_not_reached ();
    }

  g_string_append (out, "}\n");
}

/**
 * pi_capture_format_header:
 * @info: what the capture is of
 *
 * Returns: (transfer full): the header line of a capture, with its `\n`
 */
char *
pi_capture_format_header (PiCaptureInfo *info)
{
  GString *out;

  g_return_val_if_fail (info != NULL, NULL);

  out = g_string_new (NULL);
  append_header (out, info);
  return g_string_free (out, FALSE);
}

/**
 * pi_capture_format_message:
 * @message: a message
 *
 * Returns: (transfer full): the capture line of @message, with its `\n`
 */
char *
pi_capture_format_message (PiMessage *message)
{
  GString *out;

  g_return_val_if_fail (PI_IS_MESSAGE (message), NULL);

  out = g_string_new (NULL);
  append_message (out, message);
  return g_string_free (out, FALSE);
}

struct _PiCaptureWriter
{
  GOutputStream *stream;
  GString       *line;
};

static gboolean
writer_write_line (PiCaptureWriter  *self,
                   GError          **error)
{
  gboolean ok = g_output_stream_write_all (self->stream, self->line->str, self->line->len,
                                           NULL, NULL, error);

  g_string_truncate (self->line, 0);
  return ok;
}

/**
 * pi_capture_writer_new:
 * @stream: where to write
 * @info: what the capture is of
 * @error: return location for a #GError
 *
 * Starts a capture on @stream by writing its header line. Each
 * pi_capture_writer_write() then writes one whole line with one write
 * (wrap @stream in a #GBufferedOutputStream for many small writes and
 * flush it at natural points, as pulse-listen's `--output` does after
 * each batch, so that a file read while it grows ends in whole lines).
 *
 * Returns: (transfer full) (nullable): a writer, or %NULL with @error set
 */
PiCaptureWriter *
pi_capture_writer_new (GOutputStream  *stream,
                       PiCaptureInfo  *info,
                       GError        **error)
{
  PiCaptureWriter *self;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);
  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (PiCaptureWriter, 1);
  self->stream = g_object_ref (stream);
  self->line = g_string_sized_new (4096);

  append_header (self->line, info);
  if (!writer_write_line (self, error))
    {
      pi_capture_writer_free (self);
      return NULL;
    }

  return self;
}

/**
 * pi_capture_writer_write:
 * @self: a writer
 * @message: the next message
 * @error: return location for a #GError
 *
 * Writes the line of @message.
 *
 * Returns: %TRUE on success
 */
gboolean
pi_capture_writer_write (PiCaptureWriter  *self,
                         PiMessage        *message,
                         GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (PI_IS_MESSAGE (message), FALSE);

  append_message (self->line, message);
  return writer_write_line (self, error);
}

/**
 * pi_capture_writer_close:
 * @self: a writer
 * @error: return location for a #GError
 *
 * Closes the stream; for a file this is when a write error such as a full
 * disk may show up.
 *
 * Returns: %TRUE on success
 */
gboolean
pi_capture_writer_close (PiCaptureWriter  *self,
                         GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return g_output_stream_close (self->stream, NULL, error);
}

/**
 * pi_capture_writer_free:
 * @self: (nullable): a writer
 *
 * Frees the writer; the stream is unreferenced, not closed.
 */
void
pi_capture_writer_free (PiCaptureWriter *self)
{
  if (self == NULL)
    return;

  g_object_unref (self->stream);
  g_string_free (self->line, TRUE);
  g_free (self);
}
