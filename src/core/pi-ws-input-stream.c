/* pi-ws-input-stream.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-ws-input-stream.h"

/*
 * The input of a client WebSocket: a pollable stream that reads its
 * connection in large pieces. libsoup's SoupWebsocketConnection asks for
 * 1,024 bytes at a time; from the socket that is one system call each,
 * from this buffer a copy. It first reads the HTTP head of the server's
 * answer to the upgrade, and keeps what came after it (the first frames)
 * for libsoup. Closing it closes the whole connection.
 */

struct _PiWsInputStream
{
  GInputStream  parent_instance;

  /* owned */
  GIOStream    *connection;
  guint8       *buffer;
  gsize         size;
  gsize         start;   /* of the bytes not handed on yet */
  gsize         end;

  /* Text frames taken out of the stream (see pi_ws_input_stream_set_text_func()) */
  PiWsTextFunc  text_func;
  gpointer      text_data;
  guint64       pass;       /* bytes of the current frame still to hand on */
  gboolean      fragmented; /* a message in fragments is under way */
  gboolean      yield;      /* say "would block" before the next text frame */
};

static void pi_ws_input_stream_pollable_iface_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PiWsInputStream, pi_ws_input_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      pi_ws_input_stream_pollable_iface_init))

static GInputStream *
base_stream (PiWsInputStream *self)
{
  return g_io_stream_get_input_stream (self->connection);
}

static gssize
take_buffered (PiWsInputStream *self,
               void            *buffer,
               gsize            count)
{
  gsize n = MIN (count, self->end - self->start);

  memcpy (buffer, self->buffer + self->start, n);
  self->start += n;
  if (self->start == self->end)
    self->start = self->end = 0;
  return (gssize) n;
}

/* --- Text frames -------------------------------------------------------------
 *
 * A Taskcluster stream is one small text frame per message. libsoup's
 * SoupWebsocketConnection costs per frame more than the rest of the client
 * together: it copies the frame into a new buffer, formats two debug
 * messages (GLib formats them even when nobody reads them, under a global
 * lock), and emits a signal through libffi. So the stream hands the
 * frames that need nothing of libsoup straight to a function: whole,
 * unmasked, unfragmented text frames with no reserved bit, in valid UTF-8,
 * that fit the buffer. Every other frame (control frames, fragments,
 * binary, anything malformed or too large) reaches libsoup byte for byte,
 * which answers pings, closes and errors as before. Order is kept: after
 * handing libsoup a frame the stream says "would block" once, so libsoup
 * acts on it before the next text frame is delivered.
 */

enum
{
  FRAME_TEXT,        /* for the text function */
  FRAME_LIBSOUP,     /* for libsoup */
  FRAME_INCOMPLETE,  /* needs more bytes to tell */
};

/* What the frame at the start of the buffer is; its header and payload
 * lengths when known. */
static int
classify_frame (PiWsInputStream *self,
                gsize           *header_len,
                guint64         *payload_len)
{
  const guint8 *p = self->buffer + self->start;
  gsize avail = self->end - self->start;
  guint8 len7;
  gsize h;
  guint64 len = 0;

  if (avail < 2)
    return FRAME_INCOMPLETE;

  len7 = p[1] & 0x7f;
  h = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
  if (p[1] & 0x80)
    h += 4;
  if (avail < h)
    return FRAME_INCOMPLETE;

  if (len7 == 126)
    len = ((guint64) p[2] << 8) | p[3];
  else if (len7 == 127)
    for (guint i = 2; i < 10; i++)
      len = (len << 8) | p[i];
  else
    len = len7;
  *header_len = h;
  *payload_len = len;

  /* FIN, no reserved bit, text; unmasked; the shortest length encoding;
   * not inside a fragmented message; small enough for the buffer. */
  if (self->text_func == NULL || p[0] != 0x81 || (p[1] & 0x80) != 0 || self->fragmented ||
      (len7 == 126 && len < 126) || (len7 == 127 && len <= G_MAXUINT16) ||
      len > self->size - h)
    return FRAME_LIBSOUP;
  if (avail - h < len)
    return FRAME_INCOMPLETE;
  return FRAME_TEXT;
}

/* Starts handing the frame at the start of the buffer to libsoup. */
static void
pass_frame (PiWsInputStream *self,
            gsize            header_len,
            guint64          payload_len)
{
  guint8 first = self->buffer[self->start];
  gboolean fin = (first & 0x80) != 0;
  gboolean control = (first & 0x08) != 0;

  /* A data frame without FIN starts (or goes on with) a fragmented
   * message; a continuation with FIN ends it. */
  if (!control)
    {
      if (!fin)
        self->fragmented = TRUE;
      else if ((first & 0x0f) == 0)
        self->fragmented = FALSE;
    }
  self->pass = payload_len > G_MAXUINT64 - header_len ? G_MAXUINT64 : header_len + payload_len;
}

static gboolean
has_ready_bytes (PiWsInputStream *self)
{
  gsize header_len;
  guint64 payload_len;

  if (self->end == self->start)
    return FALSE;
  if (self->text_func == NULL || self->pass > 0)
    return TRUE;
  return classify_frame (self, &header_len, &payload_len) != FRAME_INCOMPLETE;
}

static gssize
read_frames (PiWsInputStream  *self,
             void             *buffer,
             gsize             count,
             gboolean          blocking,
             GCancellable     *cancellable,
             GError          **error)
{
  g_autoptr(PiWsInputStream) hold = g_object_ref (self);

  for (;;)
    {
      gsize avail = self->end - self->start;
      gsize header_len = 0;
      guint64 payload_len = 0;
      int kind;
      gssize n;

      if (avail > 0 && (self->pass > 0 || self->text_func == NULL))
        {
          gsize take = self->text_func == NULL ? count : (gsize) MIN ((guint64) count, self->pass);

          n = take_buffered (self, buffer, take);
          if (self->pass > 0)
            {
              self->pass -= (guint64) n;
              if (self->pass == 0)
                self->yield = TRUE;
            }
          return n;
        }

      kind = avail > 0 ? classify_frame (self, &header_len, &payload_len) : FRAME_INCOMPLETE;
      if (kind == FRAME_TEXT)
        {
          const char *text = (const char *) self->buffer + self->start + header_len;

          /* Not UTF-8: libsoup closes the connection for it (1007). */
          if (!g_utf8_validate_len (text, payload_len, NULL))
            {
              pass_frame (self, header_len, payload_len);
              continue;
            }

          if (self->yield && !blocking)
            {
              self->yield = FALSE;
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
              return -1;
            }
          self->yield = FALSE;

          self->start += header_len + payload_len;
          self->text_func (text, payload_len, self->text_data);
          if (self->start == self->end)
            self->start = self->end = 0;
          continue;
        }
      if (kind == FRAME_LIBSOUP)
        {
          pass_frame (self, header_len, payload_len);
          continue;
        }

      /* More bytes needed: keep the start of the frame, read on after it. */
      if (self->start > 0)
        {
          memmove (self->buffer, self->buffer + self->start, avail);
          self->start = 0;
          self->end = avail;
        }
      if (blocking)
        n = g_input_stream_read (base_stream (self), self->buffer + self->end, self->size - self->end,
                                 cancellable, error);
      else
        n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (base_stream (self)),
                                                      self->buffer + self->end, self->size - self->end,
                                                      NULL, error);
      if (n < 0)
        return n;
      if (n == 0)
        {
          /* The end, within a frame: libsoup gets what came, and says
           * so. */
          if (avail == 0)
            return 0;
          self->pass = avail;
          continue;
        }
      self->end += (gsize) n;
    }
}

/**
 * pi_ws_input_stream_set_text_func:
 * @func: (nullable): called for each text frame taken out of the stream,
 *   while the stream is read; %NULL hands every byte on again
 *
 * Takes the text frames a server sends (whole, unmasked, unfragmented, in
 * valid UTF-8) out of the stream and hands them to @func instead of the
 * reader (libsoup), which gets every other frame as it came. Set it before
 * the first frame is read, at a frame boundary.
 */
void
pi_ws_input_stream_set_text_func (PiWsInputStream *self,
                                  PiWsTextFunc     func,
                                  gpointer         user_data)
{
  g_return_if_fail (PI_IS_WS_INPUT_STREAM (self));

  self->text_func = func;
  self->text_data = user_data;
}

static gssize
pi_ws_input_stream_read (GInputStream  *stream,
                         void          *buffer,
                         gsize          count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);
  gssize n;

  if (self->text_func != NULL || self->pass > 0)
    return read_frames (self, buffer, count, TRUE, cancellable, error);
  if (self->end > self->start)
    return take_buffered (self, buffer, count);
  if (count >= self->size)
    return g_input_stream_read (base_stream (self), buffer, count, cancellable, error);

  n = g_input_stream_read (base_stream (self), self->buffer, self->size, cancellable, error);
  if (n <= 0)
    return n;
  self->start = 0;
  self->end = (gsize) n;
  return take_buffered (self, buffer, count);
}

static gssize
pi_ws_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                     void                  *buffer,
                                     gsize                  count,
                                     GError               **error)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);
  GPollableInputStream *base = G_POLLABLE_INPUT_STREAM (base_stream (self));
  gssize n;

  if (self->text_func != NULL || self->pass > 0)
    return read_frames (self, buffer, count, FALSE, NULL, error);
  if (self->end > self->start)
    return take_buffered (self, buffer, count);
  if (count >= self->size)
    return g_pollable_input_stream_read_nonblocking (base, buffer, count, NULL, error);

  n = g_pollable_input_stream_read_nonblocking (base, self->buffer, self->size, NULL, error);
  if (n <= 0)
    return n;
  self->start = 0;
  self->end = (gsize) n;
  return take_buffered (self, buffer, count);
}

static gboolean
pi_ws_input_stream_can_poll (GPollableInputStream *stream)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);
  GInputStream *base = base_stream (self);

  return G_IS_POLLABLE_INPUT_STREAM (base) && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base));
}

static gboolean
pi_ws_input_stream_is_readable (GPollableInputStream *stream)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);

  return has_ready_bytes (self) ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base_stream (self)));
}

static GSource *
pi_ws_input_stream_create_source (GPollableInputStream *stream,
                                  GCancellable         *cancellable)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);
  g_autoptr(GSource) base_source = NULL;

  /* Bytes in the buffer to hand on: readable now, whatever the socket
   * says. Only the start of a frame: the socket must bring the rest. */
  if (has_ready_bytes (self))
    base_source = g_timeout_source_new (0);
  else
    base_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (base_stream (self)), NULL);

  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gboolean
pi_ws_input_stream_close (GInputStream  *stream,
                          GCancellable  *cancellable,
                          GError       **error)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);

  return g_io_stream_close (self->connection, cancellable, error);
}

/* Closing without a thread: GInputStream's default close_async runs
 * close_fn in a thread of its own, which may still hold the connection
 * after the worker's context has gone. The connection closes as its own
 * class does, in the caller's context. */
static void
close_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_io_stream_close_finish (G_IO_STREAM (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
pi_ws_input_stream_close_async (GInputStream        *stream,
                                int                  io_priority,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, pi_ws_input_stream_close_async);
  g_task_set_priority (task, io_priority);
  g_io_stream_close_async (self->connection, io_priority, cancellable, close_cb, task);
}

static gboolean
pi_ws_input_stream_close_finish (GInputStream  *stream,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
pi_ws_input_stream_finalize (GObject *object)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (object);

  g_clear_object (&self->connection);
  g_clear_pointer (&self->buffer, g_free);

  G_OBJECT_CLASS (pi_ws_input_stream_parent_class)->finalize (object);
}

static void
pi_ws_input_stream_class_init (PiWsInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = pi_ws_input_stream_finalize;
  stream_class->read_fn = pi_ws_input_stream_read;
  stream_class->close_fn = pi_ws_input_stream_close;
  stream_class->close_async = pi_ws_input_stream_close_async;
  stream_class->close_finish = pi_ws_input_stream_close_finish;
}

static void
pi_ws_input_stream_pollable_iface_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = pi_ws_input_stream_can_poll;
  iface->is_readable = pi_ws_input_stream_is_readable;
  iface->create_source = pi_ws_input_stream_create_source;
  iface->read_nonblocking = pi_ws_input_stream_read_nonblocking;
}

static void
pi_ws_input_stream_init (PiWsInputStream *self)
{
}

/**
 * pi_ws_input_stream_new:
 * @connection: the connection to read, with a pollable input
 * @buffer_size: how much to read from it at a time; also the largest HTTP
 *   head pi_ws_input_stream_read_head_async() takes
 *
 * Returns: (transfer full): a stream reading @connection
 */
PiWsInputStream *
pi_ws_input_stream_new (GIOStream *connection,
                        gsize      buffer_size)
{
  PiWsInputStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (connection), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (connection)), NULL);
  g_return_val_if_fail (buffer_size >= 1024, NULL);

  self = g_object_new (PI_TYPE_WS_INPUT_STREAM, NULL);
  self->connection = g_object_ref (connection);
  self->size = buffer_size;
  self->buffer = g_malloc (buffer_size);
  return self;
}

/* The end of the head (the blank line) in the buffer, or 0. */
static gsize
find_head_end (PiWsInputStream *self,
               gsize            from)
{
  gsize i;

  for (i = from; i + 4 <= self->end; i++)
    if (memcmp (self->buffer + i, "\r\n\r\n", 4) == 0)
      return i + 4;
  return 0;
}

static void read_head_more (GTask *task);

static void
read_head_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PiWsInputStream *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  gssize n;
  gsize from, head_end;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (n == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               _("the server closed the connection without answering"));
      return;
    }

  from = self->end >= 3 ? self->end - 3 : 0;
  self->end += (gsize) n;
  head_end = find_head_end (self, from);
  if (head_end > 0)
    {
      GBytes *head = g_bytes_new (self->buffer, head_end);

      /* What follows the head is the first frames: kept for libsoup. */
      self->start = head_end;
      if (self->start == self->end)
        self->start = self->end = 0;
      g_task_return_pointer (task, head, (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (self->end == self->size)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("the server answered with an HTTP head larger than this client takes"));
      return;
    }

  read_head_more (g_steal_pointer (&task));
}

static void
read_head_more (GTask *task)
{
  PiWsInputStream *self = g_task_get_source_object (task);

  g_input_stream_read_async (base_stream (self), self->buffer + self->end, self->size - self->end,
                             g_task_get_priority (task), g_task_get_cancellable (task),
                             read_head_cb, task);
}

/**
 * pi_ws_input_stream_read_head_async:
 *
 * Reads an HTTP head (up to and with its blank line) from the start of the
 * connection. Reading the stream afterwards starts with the bytes after it.
 */
void
pi_ws_input_stream_read_head_async (PiWsInputStream     *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (PI_IS_WS_INPUT_STREAM (self));
  g_return_if_fail (self->end == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pi_ws_input_stream_read_head_async);
  read_head_more (task);
}

/**
 * pi_ws_input_stream_read_head_finish:
 *
 * Returns: (transfer full): the head, ending with "\r\n\r\n"
 */
GBytes *
pi_ws_input_stream_read_head_finish (PiWsInputStream  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
