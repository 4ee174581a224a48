/* pi-listen-writer.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pulse-listen"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pi-json-util.h"
#include "pi-listen-writer.h"

/* pulse-listen's output: each message, gap, dropped notice or raw event
 * as one line of JSON, gathered in a buffer and written with one write(2)
 * per batch. */
struct _PiListenWriter
{
  int      fd;
  GString *out;
  gint64   cached_second;
  char     cached_prefix[32];
};

/**
 * pi_listen_writer_new:
 * @fd: where the lines go (stdout), left open
 *
 * Returns: (transfer full): a writer with nothing buffered
 */
PiListenWriter *
pi_listen_writer_new (int fd)
{
  PiListenWriter *self;

  g_return_val_if_fail (fd >= 0, NULL);

  self = g_new0 (PiListenWriter, 1);
  self->fd = fd;
  self->out = g_string_sized_new (256 * 1024);
  self->cached_second = -1;

  return self;
}

/* What was not flushed is dropped: flush first to keep it. */
void
pi_listen_writer_free (PiListenWriter *self)
{
  if (self == NULL)
    return;

  g_string_free (self->out, TRUE);
  g_free (self);
}

static void
append_uint (GString *out,
             guint64  value)
{
  char digits[24];
  int i = sizeof digits;

  do
    {
      digits[--i] = '0' + (value % 10);
      value /= 10;
    }
  while (value > 0);

  g_string_append_len (out, digits + i, sizeof digits - i);
}

/* "2026-11-27T09:37:36.123Z": formatting a date per message would be the
 * most expensive part of the line, so the seconds are cached. */
static void
append_time (PiListenWriter *self,
             gint64          usec)
{
  GString *out = self->out;
  gint64 second = usec / G_USEC_PER_SEC;
  guint ms = (guint) ((usec % G_USEC_PER_SEC) / 1000);

  if (second != self->cached_second)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (second);
      g_autofree char *text = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");

      g_strlcpy (self->cached_prefix, text, sizeof self->cached_prefix);
      self->cached_second = second;
    }

  g_string_append_c (out, '"');
  g_string_append (out, self->cached_prefix);
  g_string_append_c (out, '.');
  g_string_append_c (out, '0' + ms / 100);
  g_string_append_c (out, '0' + (ms / 10) % 10);
  g_string_append_c (out, '0' + ms % 10);
  g_string_append (out, "Z\"");
}

static void
append_nullable_string (GString    *out,
                        const char *text)
{
  if (text != NULL)
    pi_json_append_string (out, text, -1);
  else
    g_string_append (out, "null");
}

/* Appends JSON text on one line. Multi-line `data:` joins lines with
 * "\n", which JSON allows only as whitespace outside strings (a string
 * cannot hold a raw line break), so a space is an exact replacement. */
static void
append_one_line (GString    *out,
                 const char *json,
                 gsize       len)
{
  gsize start = out->len;

  g_string_append_len (out, json, len);
  if (memchr (json, '\n', len) != NULL || memchr (json, '\r', len) != NULL)
    {
      for (gsize i = start; i < out->len; i++)
        if (out->str[i] == '\n' || out->str[i] == '\r')
          out->str[i] = ' ';
    }
}

/**
 * pi_listen_writer_add_message:
 * @self: a #PiListenWriter
 * @message: a message, gap or dropped notice
 *
 * Buffers @message's line: `{"time", "event":"message", "seq", "exchange",
 * "routingKey", "routes", "redelivered", "payload"}` (the payload's own JSON
 * text), "undecodable" and "error" in place of the fields for data that is
 * not a message, `"event":"gap"` with its "reason", or `"event":"dropped"`
 * with "count" and "reason".
 */
void
pi_listen_writer_add_message (PiListenWriter *self,
                              PiMessage      *message)
{
  GString *out;
  PiMessageKind kind;

  g_return_if_fail (self != NULL);
  g_return_if_fail (PI_IS_MESSAGE (message));

  out = self->out;
  kind = pi_message_get_kind (message);

  g_string_append (out, "{\"time\":");
  append_time (self, pi_message_get_time_received (message));

  if (kind == PI_MESSAGE_KIND_DROPPED)
    {
      g_string_append_printf (out, ",\"event\":\"dropped\",\"count\":%" G_GUINT64_FORMAT ",\"reason\":",
                              pi_message_get_dropped_count (message));
      append_nullable_string (out, pi_message_get_dropped_reason (message));
      g_string_append (out, "}\n");
      return;
    }

  if (kind == PI_MESSAGE_KIND_GAP)
    {
      g_string_append (out, ",\"event\":\"gap\",\"reason\":");
      append_nullable_string (out, pi_message_get_error (message));
      g_string_append (out, "}\n");
      return;
    }

  g_string_append (out, ",\"event\":\"message\",\"seq\":");
  append_uint (out, pi_message_get_sequence (message));

  if (kind == PI_MESSAGE_KIND_UNDECODABLE)
    {
      g_string_append (out, ",\"undecodable\":");
      pi_json_append_string (out, pi_message_get_raw (message), pi_message_get_size (message));
      g_string_append (out, ",\"error\":");
      append_nullable_string (out, pi_message_get_error (message));
      g_string_append (out, "}\n");
      return;
    }

  {
    const char * const *routes = pi_message_get_routes (message);
    gboolean decoded = kind == PI_MESSAGE_KIND_DECODED;
    const char *payload;
    gsize payload_len = 0;

    /* An old server's payload-only event has no exchange or routing key. */
    g_string_append (out, ",\"exchange\":");
    append_nullable_string (out, decoded ? pi_message_get_exchange (message) : NULL);
    g_string_append (out, ",\"routingKey\":");
    append_nullable_string (out, decoded ? pi_message_get_routing_key (message) : NULL);
    g_string_append (out, ",\"routes\":[");
    for (guint i = 0; routes != NULL && routes[i] != NULL; i++)
      {
        if (i > 0)
          g_string_append_c (out, ',');
        pi_json_append_string (out, routes[i], -1);
      }
    g_string_append (out, pi_message_get_redelivered (message) ? "],\"redelivered\":true,\"payload\":"
                                                               : "],\"redelivered\":false,\"payload\":");

    /* The payload's own JSON text, spliced: no re-serializing. */
    payload = pi_message_get_payload_text (message, &payload_len);
    if (payload != NULL)
      append_one_line (out, payload, payload_len);
    else
      g_string_append (out, "null");
    g_string_append (out, "}\n");
  }
}

/**
 * pi_listen_writer_add_raw_event:
 * @self: a #PiListenWriter
 * @raw: a server-sent event as it arrived
 *
 * Buffers @raw's line: `{"event", "id", "data"}`, all strings.
 */
void
pi_listen_writer_add_raw_event (PiListenWriter   *self,
                                const PiRawEvent *raw)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (raw != NULL);

  g_string_append (self->out, "{\"event\":");
  pi_json_append_string (self->out, raw->event, -1);
  g_string_append (self->out, ",\"id\":");
  pi_json_append_string (self->out, raw->id, -1);
  g_string_append (self->out, ",\"data\":");
  pi_json_append_string (self->out, raw->data, raw->data_len);
  g_string_append (self->out, "}\n");
}

/* One write(2) per batch from our own buffer: stdio would only copy it. */
static gboolean
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      len -= n;
    }

  return TRUE;
}

/**
 * pi_listen_writer_flush:
 * @self: a #PiListenWriter
 * @error: return location for a #GError
 *
 * Writes the lines buffered, and empties the buffer even if that fails.
 * A reader that went away (`| head`) is %G_IO_ERROR_BROKEN_PIPE.
 *
 * Returns: whether everything buffered was written
 */
gboolean
pi_listen_writer_flush (PiListenWriter  *self,
                        GError         **error)
{
  gboolean ok;
  int saved_errno;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->out->len == 0)
    return TRUE;

  ok = write_all (self->fd, self->out->str, self->out->len);
  saved_errno = errno;

  g_string_truncate (self->out, 0);
  if (!ok)
    {
      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}
