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

static gssize
pi_ws_input_stream_read (GInputStream  *stream,
                         void          *buffer,
                         gsize          count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);
  gssize n;

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

  return self->end > self->start ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base_stream (self)));
}

static GSource *
pi_ws_input_stream_create_source (GPollableInputStream *stream,
                                  GCancellable         *cancellable)
{
  PiWsInputStream *self = PI_WS_INPUT_STREAM (stream);
  g_autoptr(GSource) base_source = NULL;

  /* Bytes in the buffer: readable now, whatever the socket says. */
  if (self->end > self->start)
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
