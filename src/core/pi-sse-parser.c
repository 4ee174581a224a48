/* pi-sse-parser.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-sse-parser"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-sse-parser.h"

/*
 * An incremental parser of the WHATWG event-stream format
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 *
 * Speed matters here: a busy stream carries hundreds of thousands of events
 * a second and the client reads it in large chunks (64 KiB). So the parser
 * works on whole lines inside the pushed buffer, found with memchr, and only
 * copies a line when it is split between two pushes. The one copy every
 * event needs is that of the data value into the data buffer, because the
 * event handed out has NUL-terminated data and the pushed bytes are const.
 *
 * The stream is decoded as UTF-8 by checking each field value once, rather
 * than the whole byte stream first: line ends, colons and field names are
 * ASCII, and an invalid UTF-8 sequence never swallows an ASCII byte, so
 * splitting on bytes and repairing the values gives the same text.
 */

struct _PiSseParser
{
  gsize           max_event_size;
  PiSseEventFunc  func;
  gpointer        user_data;

  /* The part of a line that ended a push without its line end. */
  GString        *line;
  /* The data buffer: every data line followed by "\n", as the spec says. */
  GString        *data;
  /* The event type buffer, "" meaning "message". */
  GString        *event_type;
  /* The last event ID buffer, kept across events. */
  GString        *last_id;
  gint64          retry;

  /* Up to three bytes seen at the start of the stream that may be a BOM. */
  guint8          bom_buf[3];
  guint8          bom_len;

  guint           bom_done : 1;
  /* The previous push ended with CR: an LF starting the next push belongs
   * to the same line end. */
  guint           skip_lf : 1;
  /* An event was too large: input is refused until reset. */
  guint           failed : 1;
};

G_DEFINE_QUARK (pi-sse-error-quark, pi_sse_error)

static const guint8 utf8_bom[3] = { 0xEF, 0xBB, 0xBF };

/* Most traffic is ASCII JSON, so look at eight bytes at a time for a high
 * bit or a NUL (which GLib's validator refuses too) before falling back to
 * the full check from the first word that has one. */
static gboolean
utf8_is_valid_fast (const char *str,
                    gsize       len)
{
  const char *p = str;
  const char *end = str + len;

  while (end - p >= 8)
    {
      guint64 v;

      memcpy (&v, p, sizeof v);
      if ((v & G_GUINT64_CONSTANT (0x8080808080808080)) != 0 ||
          ((v - G_GUINT64_CONSTANT (0x0101010101010101)) & ~v &
           G_GUINT64_CONSTANT (0x8080808080808080)) != 0)
        break;
      p += 8;
    }

  return g_utf8_validate_len (p, end - p, NULL);
}

/* Like g_utf8_make_valid(), but U+0000 is kept: it is a character, and
 * the event-stream format replaces only what is not UTF-8. Each byte that
 * starts no valid sequence becomes one U+FFFD. */
static void
append_valid_keeping_nul (GString    *out,
                          const char *str,
                          gsize       len)
{
  const char *p = str;
  const char *end = str + len;

  while (p < end)
    {
      const char *stop;

      if (g_utf8_validate_len (p, end - p, &stop))
        {
          g_string_append_len (out, p, end - p);
          return;
        }

      g_string_append_len (out, p, stop - p);
      if (*stop == '\0')
        g_string_append_c (out, '\0');
      else
        g_string_append (out, "\xEF\xBF\xBD");
      p = stop + 1;
    }
}

static void
assign_valid (GString    *out,
              const char *str,
              gsize       len)
{
  if (utf8_is_valid_fast (str, len))
    {
      g_string_truncate (out, 0);
      g_string_append_len (out, str, len);
    }
  else
    {
      g_autofree char *valid = g_utf8_make_valid (str, len);

      g_string_assign (out, valid);
    }
}

/**
 * pi_sse_parser_new:
 * @max_event_size: the largest event to accept, in bytes (data buffer plus
 *   the line being read); 0 for %PI_SSE_PARSER_DEFAULT_MAX_EVENT_SIZE
 * @func: (scope notified): called for every dispatched event
 * @user_data: data for @func
 *
 * Creates a parser for one event stream. @func must not free or reset the
 * parser.
 *
 * Returns: (transfer full): a new parser
 */
PiSseParser *
pi_sse_parser_new (gsize          max_event_size,
                   PiSseEventFunc func,
                   gpointer       user_data)
{
  PiSseParser *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (PiSseParser, 1);
  self->max_event_size = max_event_size ? max_event_size : PI_SSE_PARSER_DEFAULT_MAX_EVENT_SIZE;
  self->func = func;
  self->user_data = user_data;
  self->line = g_string_new (NULL);
  self->data = g_string_sized_new (4096);
  self->event_type = g_string_new (NULL);
  self->last_id = g_string_new (NULL);
  self->retry = -1;

  return self;
}

/**
 * pi_sse_parser_free:
 * @self: (transfer full): a parser
 *
 * Frees the parser; an unfinished event is dropped.
 */
void
pi_sse_parser_free (PiSseParser *self)
{
  if (self == NULL)
    return;

  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_string_free (self->event_type, TRUE);
  g_string_free (self->last_id, TRUE);
  g_free (self);
}

static void
set_too_large_error (PiSseParser  *self,
                     GError      **error)
{
  g_autofree char *limit = g_format_size_full (self->max_event_size,
                                               G_FORMAT_SIZE_IEC_UNITS |
                                               G_FORMAT_SIZE_LONG_FORMAT);

  g_set_error (error, PI_SSE_ERROR, PI_SSE_ERROR_EVENT_TOO_LARGE,
               _("An event was larger than the limit of %s"), limit);
}

static void
dispatch (PiSseParser *self)
{
  g_autoptr(GString) valid = NULL;
  PiSseEvent event;

  /* A blank line with nothing in the data buffer (a lone "event:" or
   * "id:" block) dispatches nothing, but still ends the event. */
  if (self->data->len == 0)
    {
      g_string_truncate (self->event_type, 0);
      return;
    }

  /* Drop the "\n" the last data line added. */
  g_string_truncate (self->data, self->data->len - 1);

  event.event = self->event_type->len > 0 ? self->event_type->str : "message";
  event.id = self->last_id->str;

  if (utf8_is_valid_fast (self->data->str, self->data->len))
    {
      event.data = self->data->str;
      event.data_len = self->data->len;
    }
  else
    {
      valid = g_string_sized_new (self->data->len + 16);
      append_valid_keeping_nul (valid, self->data->str, self->data->len);
      event.data = valid->str;
      event.data_len = valid->len;
    }

  self->func (&event, self->user_data);

  g_string_truncate (self->data, 0);
  g_string_truncate (self->event_type, 0);
}

static gboolean
is_field (const char *name,
          gsize       name_len,
          const char *field,
          gsize       field_len)
{
  return name_len == field_len && memcmp (name, field, field_len) == 0;
}

static void
process_line (PiSseParser *self,
              const char  *line,
              gsize        len)
{
  const char *colon;
  const char *value;
  gsize name_len;
  gsize value_len;

  if (len == 0)
    {
      dispatch (self);
      return;
    }

  if (line[0] == ':')
    return;

  colon = memchr (line, ':', len);
  if (colon != NULL)
    {
      name_len = colon - line;
      value = colon + 1;
      value_len = len - name_len - 1;
      if (value_len > 0 && value[0] == ' ')
        {
          value++;
          value_len--;
        }
    }
  else
    {
      /* A field with no colon: the whole line is the name, the value is "". */
      name_len = len;
      value = "";
      value_len = 0;
    }

  switch (line[0])
    {
    case 'd':
      if (is_field (line, name_len, "data", 4))
        {
          g_string_append_len (self->data, value, value_len);
          g_string_append_c (self->data, '\n');
        }
      break;

    case 'e':
      if (is_field (line, name_len, "event", 5))
        assign_valid (self->event_type, value, value_len);
      break;

    case 'i':
      if (is_field (line, name_len, "id", 2) &&
          memchr (value, '\0', value_len) == NULL)
        assign_valid (self->last_id, value, value_len);
      break;

    case 'r':
      if (is_field (line, name_len, "retry", 5) && value_len > 0)
        {
          guint64 retry = 0;
          gsize i;

          for (i = 0; i < value_len; i++)
            {
              if (!g_ascii_isdigit (value[i]))
                return;
              /* Saturate rather than wrap on absurdly long numbers. */
              if (retry > (G_MAXINT64 - 9) / 10)
                retry = G_MAXINT64;
              else
                retry = retry * 10 + (value[i] - '0');
            }
          self->retry = (gint64) retry;
        }
      break;

    default:
      /* Unknown fields are ignored. */
      break;
    }
}

static gboolean
process (PiSseParser  *self,
         const char   *bytes,
         gsize         len,
         GError      **error)
{
  const char *p = bytes;
  const char *end = bytes + len;
  const char *next_lf;
  const char *next_cr;

  if (self->skip_lf && p < end)
    {
      self->skip_lf = FALSE;
      if (*p == '\n')
        p++;
    }

  next_lf = p;
  next_cr = p;

  while (p < end)
    {
      const char *eol;
      gsize seg_len;

      /* Remember where the next LF and CR are, so that a push with only
       * one kind of line end is still scanned once, not once per line. */
      if (next_lf <= p && next_lf != end)
        {
          next_lf = memchr (p, '\n', end - p);
          if (next_lf == NULL)
            next_lf = end;
        }
      if (next_cr <= p && next_cr != end)
        {
          next_cr = memchr (p, '\r', end - p);
          if (next_cr == NULL)
            next_cr = end;
        }
      eol = MIN (next_lf, next_cr);
      seg_len = eol - p;

      if (self->data->len + self->line->len + seg_len > self->max_event_size)
        {
          self->failed = TRUE;
          set_too_large_error (self, error);
          return FALSE;
        }

      if (eol == end)
        {
          /* The line goes on in the next push. */
          g_string_append_len (self->line, p, seg_len);
          break;
        }

      if (self->line->len > 0)
        {
          g_string_append_len (self->line, p, seg_len);
          process_line (self, self->line->str, self->line->len);
          g_string_truncate (self->line, 0);
        }
      else
        {
          process_line (self, p, seg_len);
        }

      if (*eol == '\r')
        {
          if (eol + 1 == end)
            self->skip_lf = TRUE;
          else if (eol[1] == '\n')
            eol++;
        }

      p = eol + 1;
    }

  return TRUE;
}

/**
 * pi_sse_parser_push:
 * @self: a parser
 * @bytes: (array length=len): the next bytes of the stream
 * @len: length of @bytes
 * @error: return location for a #GError
 *
 * Parses the next bytes of the stream, calling the event function for every
 * event completed by them. Bytes may be split anywhere between pushes.
 *
 * Returns: %FALSE with %PI_SSE_ERROR_EVENT_TOO_LARGE when an event grew past
 *   the maximum size; the parser then refuses input until it is reset
 */
gboolean
pi_sse_parser_push (PiSseParser  *self,
                    const char   *bytes,
                    gsize         len,
                    GError      **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->failed)
    {
      set_too_large_error (self, error);
      return FALSE;
    }

  /* A UTF-8 byte order mark is skipped at the start of the stream only;
   * it may itself be split between pushes. */
  while (!self->bom_done && len > 0)
    {
      guint8 c = (guint8) *bytes;

      self->bom_buf[self->bom_len++] = c;
      bytes++;
      len--;

      if (c != utf8_bom[self->bom_len - 1])
        {
          self->bom_done = TRUE;
          if (!process (self, (const char *) self->bom_buf, self->bom_len, error))
            return FALSE;
        }
      else if (self->bom_len == G_N_ELEMENTS (utf8_bom))
        {
          self->bom_done = TRUE;
        }
    }

  if (len == 0)
    return TRUE;

  return process (self, bytes, len, error);
}

/**
 * pi_sse_parser_finish:
 * @self: a parser
 *
 * Ends the stream: an event without its closing blank line is discarded, as
 * the format requires. The last event ID and the retry time are kept (a
 * client that reconnects needs them); the next push starts a new stream.
 */
void
pi_sse_parser_finish (PiSseParser *self)
{
  g_return_if_fail (self != NULL);

  g_string_truncate (self->line, 0);
  g_string_truncate (self->data, 0);
  g_string_truncate (self->event_type, 0);
  self->bom_len = 0;
  self->bom_done = FALSE;
  self->skip_lf = FALSE;
}

/**
 * pi_sse_parser_reset:
 * @self: a parser
 *
 * Returns the parser to its state after pi_sse_parser_new(): nothing
 * buffered, no last event ID, no retry time, and input accepted again after
 * an error.
 */
void
pi_sse_parser_reset (PiSseParser *self)
{
  g_return_if_fail (self != NULL);

  pi_sse_parser_finish (self);
  g_string_truncate (self->last_id, 0);
  self->retry = -1;
  self->failed = FALSE;

  /* Do not keep a huge buffer alive after an oversize event. */
  if (self->data->allocated_len > 1024 * 1024)
    {
      g_string_free (self->data, TRUE);
      self->data = g_string_sized_new (4096);
    }
  if (self->line->allocated_len > 1024 * 1024)
    {
      g_string_free (self->line, TRUE);
      self->line = g_string_new (NULL);
    }
}

/**
 * pi_sse_parser_get_retry:
 * @self: a parser
 *
 * Returns: the reconnection time in milliseconds the stream asked for with
 *   `retry:`, or -1 if it did not
 */
gint64
pi_sse_parser_get_retry (PiSseParser *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->retry;
}

/**
 * pi_sse_parser_get_last_event_id:
 * @self: a parser
 *
 * Returns: the last event ID buffer, "" when the stream set none
 */
const char *
pi_sse_parser_get_last_event_id (PiSseParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->last_id->str;
}

/**
 * pi_sse_append_event:
 * @out: where to append
 * @event: the event type
 * @data: the data, one line (no CR or LF)
 *
 * Appends one event framed exactly as the events protocol writes it:
 * `event: <kind>\ndata: <data>\nid: -\n\n`.
 */
void
pi_sse_append_event (GString    *out,
                     const char *event,
                     const char *data)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (event != NULL);
  g_return_if_fail (data != NULL);

  g_string_append (out, "event: ");
  g_string_append (out, event);
  g_string_append (out, "\ndata: ");
  g_string_append (out, data);
  g_string_append (out, "\nid: -\n\n");
}
