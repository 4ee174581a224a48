/* pi-counting-output-stream.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include "pi-counting-output-stream.h"

/*
 * An output stream that counts the bytes its base stream took. libsoup's
 * WebSocket connection queues outgoing frames without bound and says
 * nothing of how much is waiting: what a WebSocket client still has to
 * read is what was sent minus what the socket took, counted here
 * (pi-server-ws.c). Pollable as its base is, since libsoup writes only
 * without blocking. Closing it leaves the base open: the stream that owns
 * both (PiHandoverStream) closes the connection.
 */

struct _PiCountingOutputStream
{
  GFilterOutputStream  parent_instance;

  guint64              written;
};

static void pi_counting_output_stream_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PiCountingOutputStream, pi_counting_output_stream, G_TYPE_FILTER_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      pi_counting_output_stream_pollable_init))

static GOutputStream *
base_stream (PiCountingOutputStream *self)
{
  return g_filter_output_stream_get_base_stream (G_FILTER_OUTPUT_STREAM (self));
}

static gssize
pi_counting_output_stream_write (GOutputStream  *stream,
                                 const void     *buffer,
                                 gsize           count,
                                 GCancellable   *cancellable,
                                 GError        **error)
{
  PiCountingOutputStream *self = PI_COUNTING_OUTPUT_STREAM (stream);
  gssize n = g_output_stream_write (base_stream (self), buffer, count, cancellable, error);

  if (n > 0)
    self->written += n;
  return n;
}

static gboolean
pi_counting_output_stream_can_poll (GPollableOutputStream *stream)
{
  GOutputStream *base = base_stream (PI_COUNTING_OUTPUT_STREAM (stream));

  return G_IS_POLLABLE_OUTPUT_STREAM (base) &&
         g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (base));
}

static gboolean
pi_counting_output_stream_is_writable (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM (base_stream (PI_COUNTING_OUTPUT_STREAM (stream))));
}

static GSource *
pi_counting_output_stream_create_source (GPollableOutputStream *stream,
                                         GCancellable          *cancellable)
{
  PiCountingOutputStream *self = PI_COUNTING_OUTPUT_STREAM (stream);
  g_autoptr(GSource) base_source = NULL;

  base_source = g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (base_stream (self)), NULL);
  /* g_pollable_source_new_full() sets the child's dummy callback: a
   * second one would replace the first closure, whose invalidation
   * destroys the child. */
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gssize
pi_counting_output_stream_write_nonblocking (GPollableOutputStream  *stream,
                                             const void             *buffer,
                                             gsize                   count,
                                             GError                **error)
{
  PiCountingOutputStream *self = PI_COUNTING_OUTPUT_STREAM (stream);
  gssize n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (base_stream (self)),
                                                         buffer, count, NULL, error);

  if (n > 0)
    self->written += n;
  return n;
}

/* Several buffers in one call: on a socket, one sendmsg(). */
static GPollableReturn
pi_counting_output_stream_writev_nonblocking (GPollableOutputStream  *stream,
                                              const GOutputVector    *vectors,
                                              gsize                   n_vectors,
                                              gsize                  *bytes_written,
                                              GError                **error)
{
  PiCountingOutputStream *self = PI_COUNTING_OUTPUT_STREAM (stream);
  gsize written = 0;
  GPollableReturn result;

  result = g_pollable_output_stream_writev_nonblocking (G_POLLABLE_OUTPUT_STREAM (base_stream (self)),
                                                        vectors, n_vectors, &written, NULL, error);
  if (result == G_POLLABLE_RETURN_OK)
    self->written += written;
  if (bytes_written != NULL)
    *bytes_written = result == G_POLLABLE_RETURN_OK ? written : 0;
  return result;
}

static void
pi_counting_output_stream_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = pi_counting_output_stream_can_poll;
  iface->is_writable = pi_counting_output_stream_is_writable;
  iface->create_source = pi_counting_output_stream_create_source;
  iface->write_nonblocking = pi_counting_output_stream_write_nonblocking;
  iface->writev_nonblocking = pi_counting_output_stream_writev_nonblocking;
}

static void
pi_counting_output_stream_class_init (PiCountingOutputStreamClass *klass)
{
  GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS (klass);

  output_class->write_fn = pi_counting_output_stream_write;
}

static void
pi_counting_output_stream_init (PiCountingOutputStream *self)
{
}

/**
 * pi_counting_output_stream_new:
 * @base_stream: the stream written to
 *
 * Returns: (transfer full): a stream that counts what @base_stream took,
 *   and leaves it open when closed
 */
GOutputStream *
pi_counting_output_stream_new (GOutputStream *base_stream)
{
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (base_stream), NULL);

  return g_object_new (PI_TYPE_COUNTING_OUTPUT_STREAM,
                       "base-stream", base_stream,
                       "close-base-stream", FALSE,
                       NULL);
}

/**
 * pi_counting_output_stream_get_written:
 * @self: a #PiCountingOutputStream
 *
 * Returns: how many bytes the base stream took so far
 */
guint64
pi_counting_output_stream_get_written (PiCountingOutputStream *self)
{
  g_return_val_if_fail (PI_IS_COUNTING_OUTPUT_STREAM (self), 0);

  return self->written;
}
