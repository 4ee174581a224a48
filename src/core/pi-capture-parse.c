/* pi-capture-parse.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-capture"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pi-binding.h"
#include "pi-capture.h"
#include "pi-capture-private.h"
#include "pi-json-util.h"
#include "pi-message-private.h"

/* Turning the lines of a capture (the format is described in pi-capture.c)
 * and the old web inspectors' downloads into messages, for the loader in
 * pi-capture-reader.c.
 */

/* Days since 1970-01-01 of a proleptic Gregorian date, by the usual civil
 * calendar arithmetic (no time zone database needed for UTC). */
static gint64
days_from_civil (gint64 y,
                 guint  m,
                 guint  d)
{
  gint64 era;
  guint yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (guint) (y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

  return era * 146097 + (gint64) doe - 719468;
}

static gboolean
digits (const char *s,
        guint       n,
        guint      *value)
{
  *value = 0;
  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      *value = *value * 10 + (s[i] - '0');
    }
  return TRUE;
}

/* Parses an ISO 8601 time into microseconds since the epoch. Our own
 * "YYYY-MM-DDTHH:MM:SS.ffffffZ" takes a fast path (a million of them in a
 * big capture); anything else goes through GDateTime.
 */
static gboolean
parse_time (const char *text,
            gsize       len,
            gint64     *usec)
{
  guint y, mo, d, h, mi, s, f;
  g_autofree char *copy = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GTimeZone) utc = NULL;

  if (len == 27 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
      text[13] == ':' && text[16] == ':' && text[19] == '.' && text[26] == 'Z' &&
      digits (text, 4, &y) && digits (text + 5, 2, &mo) && digits (text + 8, 2, &d) &&
      digits (text + 11, 2, &h) && digits (text + 14, 2, &mi) && digits (text + 17, 2, &s) &&
      digits (text + 20, 6, &f) &&
      mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 61)
    {
      *usec = ((days_from_civil (y, mo, d) * 24 + h) * 60 + mi) * 60 + s;
      *usec = *usec * G_USEC_PER_SEC + f;
      return TRUE;
    }

  copy = g_strndup (text, len);
  utc = g_time_zone_new_utc ();
  dt = g_date_time_new_from_iso8601 (copy, utc);
  if (dt == NULL)
    return FALSE;

  *usec = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}


/* A line wraps what the app received in one more object: an old server's
 * bare payload nested as deep as the decoder accepts is one level deeper
 * in its line. */
#define LINE_MAX_DEPTH (PI_JSON_DEFAULT_MAX_DEPTH + 1)

typedef struct
{
  PiJsonSpan seq, time, exchange, payload, undecodable, gap, dropped, reason;
  guint      has_seq : 1;
  guint      has_time : 1;
  guint      has_exchange : 1;
  guint      has_payload : 1;
  guint      has_undecodable : 1;
  guint      has_gap : 1;
  guint      has_dropped : 1;
  guint      has_reason : 1;
  guint      has_format : 1;
} LineFields;

static void
collect_line_field (const char       *name,
                    gsize             name_len,
                    const PiJsonSpan *value,
                    gpointer          user_data)
{
  LineFields *fields = user_data;

  if (PI_JSON_NAME_IS (name, name_len, "seq"))
    fields->seq = *value, fields->has_seq = TRUE;
  else if (PI_JSON_NAME_IS (name, name_len, "time"))
    fields->time = *value, fields->has_time = TRUE;
  else if (PI_JSON_NAME_IS (name, name_len, "exchange"))
    fields->exchange = *value, fields->has_exchange = TRUE;
  else if (PI_JSON_NAME_IS (name, name_len, "payload"))
    fields->payload = *value, fields->has_payload = TRUE;
  else if (PI_JSON_NAME_IS (name, name_len, "undecodable"))
    fields->undecodable = *value, fields->has_undecodable = TRUE;
  else if (PI_JSON_NAME_IS (name, name_len, "gap"))
    fields->gap = *value, fields->has_gap = TRUE;
  else if (PI_JSON_NAME_IS (name, name_len, "dropped"))
    fields->dropped = *value, fields->has_dropped = TRUE;
  else if (PI_JSON_NAME_IS (name, name_len, "reason"))
    fields->reason = *value, fields->has_reason = TRUE;
  else if (PI_JSON_NAME_IS (name, name_len, "format"))
    fields->has_format = TRUE;
}

static void
unescape_span (GString          *out,
               const char       *line,
               const PiJsonSpan *span)
{
  g_string_truncate (out, 0);
  if (span->type == PI_JSON_TYPE_STRING)
    pi_json_append_unescaped (out, line + span->offset, span->length);
}

/* Turns one message line into a PiMessage; FALSE if the line is not one. */
gboolean
pi_capture_loader_add_line (Loader     *loader,
                            const char *line,
                            gsize       len)
{
  LineFields fields = { 0 };
  PiJsonSpan root;
  PiMessage *message;
  guint64 seq = loader->last_seq + 1;
  gint64 time = loader->last_time;

  if (!pi_json_scan (line, len, LINE_MAX_DEPTH, &root, collect_line_field, &fields, NULL) ||
      root.type != PI_JSON_TYPE_OBJECT)
    return FALSE;

  if (fields.has_seq && fields.seq.type == PI_JSON_TYPE_NUMBER && fields.seq.length < 24)
    {
      char number[24];

      memcpy (number, line + fields.seq.offset, fields.seq.length);
      number[fields.seq.length] = '\0';
      seq = g_ascii_strtoull (number, NULL, 10);
    }

  if (fields.has_time && fields.time.type == PI_JSON_TYPE_STRING)
    {
      gint64 parsed;

      if (fields.time.has_escapes)
        {
          unescape_span (loader->scratch, line, &fields.time);
          if (parse_time (loader->scratch->str, loader->scratch->len, &parsed))
            time = parsed;
        }
      else if (parse_time (line + fields.time.offset + 1, fields.time.length - 2, &parsed))
        {
          time = parsed;
        }
    }

  if (fields.has_dropped && fields.dropped.type == PI_JSON_TYPE_NUMBER &&
      fields.dropped.length < 24)
    {
      char number[24];
      gboolean has_reason = fields.has_reason && fields.reason.type == PI_JSON_TYPE_STRING;

      memcpy (number, line + fields.dropped.offset, fields.dropped.length);
      number[fields.dropped.length] = '\0';
      if (has_reason)
        unescape_span (loader->scratch, line, &fields.reason);
      message = pi_message_new_dropped (seq, g_ascii_strtoull (number, NULL, 10),
                                        has_reason ? loader->scratch->str : NULL);
      pi_message_set_time_received (message, time);
    }
  else if (fields.has_gap)
    {
      unescape_span (loader->scratch, line, &fields.gap);
      message = pi_message_new_gap (seq, time, loader->scratch->str);
    }
  else if (fields.has_undecodable)
    {
      /* Decoding the raw text again gives the same undecodable message
       * (and the same error) it was when it arrived.
       */
      unescape_span (loader->scratch, line, &fields.undecodable);
      message = pi_message_new_from_data (loader->scratch->str, loader->scratch->len, seq, time);
    }
  else if (fields.has_exchange && fields.exchange.type == PI_JSON_TYPE_STRING)
    {
      /* Give the message its protocol object back, without our "seq" and
       * "time", when they lead the line as we write them: the raw text and
       * size then are those of the original event. Otherwise the whole
       * line is the message object, which decodes just as well.
       */
      gsize rest = 0;

      if (fields.has_seq && fields.has_time && fields.seq.offset < fields.time.offset)
        {
          const char *p = line + fields.time.offset + fields.time.length;
          const char *end = line + len;

          while (p < end && g_ascii_isspace (*p))
            p++;
          if (p < end && *p == ',' &&
              memchr (line, '{', fields.seq.offset) != NULL)
            rest = (p + 1) - line;
        }

      if (rest > 0)
        {
          g_string_truncate (loader->scratch, 0);
          g_string_append_c (loader->scratch, '{');
          g_string_append_len (loader->scratch, line + rest, len - rest);
          message = pi_message_new_from_data (loader->scratch->str, loader->scratch->len, seq, time);
        }
      else
        {
          message = pi_message_new_from_data (line, len, seq, time);
        }
    }
  else if (fields.has_payload)
    {
      message = pi_message_new_from_data (line + fields.payload.offset, fields.payload.length,
                                          seq, time);
    }
  else
    {
      return FALSE;
    }

  loader->last_seq = seq;
  loader->last_time = time;
  g_ptr_array_add (loader->messages, message);

  return TRUE;
}

gboolean
pi_capture_loader_load_header (Loader      *loader,
                               const char  *line,
                               gsize        len,
                               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *node;
  const char *format;
  gint64 version;
  g_autoptr(GDateTime) started = NULL;
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  const char *server = NULL;

  if (!pi_json_parser_load (parser, line, len, NULL) ||
      (node = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_NOT_A_CAPTURE,
                   _("“%s” is not a Pulse Inspector capture: its first line is not a capture header"),
                   loader->name);
      return FALSE;
    }

  object = json_node_get_object (node);
  format = json_object_get_string_member_with_default (object, "format", NULL);

  if (format == NULL)
    {
      LineFields fields = { 0 };

      /* Message lines without a header (e.g. a pulse-listen output cut
       * from a terminal) are still a capture of unknown origin.
       */
      if (pi_json_scan (line, len, LINE_MAX_DEPTH, NULL, collect_line_field, &fields, NULL) &&
          fields.has_seq && (fields.has_exchange || fields.has_payload ||
                             fields.has_undecodable || fields.has_gap))
        {
          loader->info = pi_capture_info_new (NULL, NULL, NULL);
          return pi_capture_loader_add_line (loader, line, len);
        }

      g_set_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_NOT_A_CAPTURE,
                   _("“%s” is not a Pulse Inspector capture: its first line is not a capture header"),
                   loader->name);
      return FALSE;
    }

  if (!g_str_equal (format, PI_CAPTURE_FORMAT_NAME))
    {
      g_set_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_NOT_A_CAPTURE,
                   _("“%s” is not a Pulse Inspector capture: it is in the format “%s”"),
                   loader->name, format);
      return FALSE;
    }

  version = json_object_get_int_member_with_default (object, "version", 0);
  if (version != PI_CAPTURE_FORMAT_VERSION)
    {
      g_set_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_UNSUPPORTED_VERSION,
                   _("“%s” is a capture in version %d of the format, which this version "
                     "of Pulse Inspector cannot read (it reads version %d)"),
                   loader->name, (int) version, PI_CAPTURE_FORMAT_VERSION);
      return FALSE;
    }

  node = json_object_get_member (object, "server");
  if (node != NULL && json_node_get_value_type (node) == G_TYPE_STRING)
    server = json_node_get_string (node);

  node = json_object_get_member (object, "bindings");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          JsonObject *item_object;
          const char *exchange;
          const char *pattern;

          if (!JSON_NODE_HOLDS_OBJECT (item))
            continue;
          item_object = json_node_get_object (item);
          exchange = json_object_get_string_member_with_default (item_object, "exchange", NULL);
          pattern = json_object_get_string_member_with_default (item_object, "routingKeyPattern", NULL);
          if (exchange != NULL)
            g_ptr_array_add (bindings, pi_binding_new (exchange, pattern));
        }
    }

  node = json_object_get_member (object, "started");
  if (node != NULL && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      gint64 usec;

      if (parse_time (text, strlen (text), &usec))
        {
          started = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
          if (started != NULL)
            {
              GDateTime *with_usec = g_date_time_add (started, usec % G_USEC_PER_SEC);

              g_date_time_unref (started);
              started = with_usec;
            }
        }
    }

  loader->info = pi_capture_info_new (server, bindings, started);
  if (started != NULL)
    loader->last_time = g_date_time_to_unix (started) * G_USEC_PER_SEC +
                        g_date_time_get_microsecond (started);

  return TRUE;
}

static gint64
file_modified_usec (GFile        *file,
                    GCancellable *cancellable)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GDateTime) modified = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_TIME_MODIFIED "," G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC,
                            G_FILE_QUERY_INFO_NONE, cancellable, NULL);
  if (info == NULL || (modified = g_file_info_get_modification_date_time (info)) == NULL)
    return g_get_real_time ();

  return g_date_time_to_unix (modified) * G_USEC_PER_SEC + g_date_time_get_microsecond (modified);
}

/* The old web inspectors' download: a JSON array of message objects
 * ({exchange, routingKey, payload}, some with routes and redelivered).
 * It carries no times; they all get the file's modification time.
 */
gboolean
pi_capture_loader_load_inspector_array (Loader        *loader,
                                        GInputStream  *stream,
                                        GCancellable  *cancellable,
                                        GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDateTime) started = NULL;
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  JsonNode *root;
  JsonArray *array;
  gint64 time;

  /* The whole text, as json-glib would read it, so that its nesting can be
   * checked first (pi_json_parser_load()). */
  if (g_output_stream_splice (memory, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                              cancellable, &local_error) < 0 ||
      !pi_json_parser_load (parser,
                            g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (memory)),
                            g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (memory)),
                            &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_set_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_NOT_A_CAPTURE,
                   _("“%s” is not a capture or a download of the web inspectors: %s"),
                   loader->name, local_error->message);
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_NOT_A_CAPTURE,
                   _("“%s” is not a capture or a download of the web inspectors"),
                   loader->name);
      return FALSE;
    }

  time = file_modified_usec (loader->file, cancellable);
  started = g_date_time_new_from_unix_utc (time / G_USEC_PER_SEC);
  loader->info = pi_capture_info_new (NULL, NULL, started);

  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *text = NULL;
      gsize text_len;

      json_generator_set_root (generator, json_array_get_element (array, i));
      text = json_generator_to_data (generator, &text_len);
      g_ptr_array_add (loader->messages,
                       pi_message_new_from_data (text, text_len, i + 1, time));
    }

  return TRUE;
}
