/* pi-replay-input-stream.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include "pi-replay-input-stream.h"

/*
 * An input stream that first gives back bytes already read from its base
 * stream, then reads the base stream itself. The connection front
 * (pi-http-front-conn.c) reads a whole request before libsoup sees it; this is
 * how libsoup then reads that request as if it came from the socket.
 *
 * libsoup only reads pollable streams without blocking, so the stream is
 * pollable: readable at once while replayed bytes are left, then exactly as
 * readable as its base.
 */

struct _PiReplayInputStream
{
  GFilterInputStream  parent_instance;

  GBytes             *replay;
  gsize               offset;
};

static void pi_replay_input_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PiReplayInputStream, pi_replay_input_stream, G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      pi_replay_input_stream_pollable_init))

static gsize
replay_left (PiReplayInputStream *self)
{
  return self->replay ? g_bytes_get_size (self->replay) - self->offset : 0;
}

/* Copies replayed bytes out; drops the buffer once it is used up. */
static gssize
replay_take (PiReplayInputStream *self,
             void                *buffer,
             gsize                count)
{
  gsize n = MIN (count, replay_left (self));

  memcpy (buffer, (const char *) g_bytes_get_data (self->replay, NULL) + self->offset, n);
  self->offset += n;
  if (replay_left (self) == 0)
    g_clear_pointer (&self->replay, g_bytes_unref);

  return n;
}

static GInputStream *
base_stream (PiReplayInputStream *self)
{
  return g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self));
}

static gssize
pi_replay_input_stream_read (GInputStream  *stream,
                             void          *buffer,
                             gsize          count,
                             GCancellable  *cancellable,
                             GError       **error)
{
  PiReplayInputStream *self = PI_REPLAY_INPUT_STREAM (stream);

  if (replay_left (self) > 0 && count > 0)
    return replay_take (self, buffer, count);

  return g_input_stream_read (base_stream (self), buffer, count, cancellable, error);
}

static gboolean
pi_replay_input_stream_can_poll (GPollableInputStream *stream)
{
  GInputStream *base = base_stream (PI_REPLAY_INPUT_STREAM (stream));

  return G_IS_POLLABLE_INPUT_STREAM (base) &&
         g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base));
}

static gboolean
pi_replay_input_stream_is_readable (GPollableInputStream *stream)
{
  PiReplayInputStream *self = PI_REPLAY_INPUT_STREAM (stream);

  return replay_left (self) > 0 ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base_stream (self)));
}

static GSource *
pi_replay_input_stream_create_source (GPollableInputStream *stream,
                                      GCancellable         *cancellable)
{
  PiReplayInputStream *self = PI_REPLAY_INPUT_STREAM (stream);
  g_autoptr(GSource) base_source = NULL;
  GSource *source;

  /* Bytes waiting here: ready now, whatever the socket says. */
  if (replay_left (self) > 0)
    {
      source = g_pollable_source_new_full (stream, NULL, cancellable);
      g_source_set_ready_time (source, 0);
      return source;
    }

  base_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (base_stream (self)), NULL);
  /* g_pollable_source_new_full() sets the child's dummy callback: a
   * second one would replace the first closure, whose invalidation
   * destroys the child. */
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gssize
pi_replay_input_stream_read_nonblocking (GPollableInputStream  *stream,
                                         void                  *buffer,
                                         gsize                  count,
                                         GError               **error)
{
  PiReplayInputStream *self = PI_REPLAY_INPUT_STREAM (stream);

  if (replay_left (self) > 0 && count > 0)
    return replay_take (self, buffer, count);

  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (base_stream (self)),
                                                   buffer, count, NULL, error);
}

static void
pi_replay_input_stream_finalize (GObject *object)
{
  PiReplayInputStream *self = PI_REPLAY_INPUT_STREAM (object);

  g_clear_pointer (&self->replay, g_bytes_unref);

  G_OBJECT_CLASS (pi_replay_input_stream_parent_class)->finalize (object);
}

static void
pi_replay_input_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = pi_replay_input_stream_can_poll;
  iface->is_readable = pi_replay_input_stream_is_readable;
  iface->create_source = pi_replay_input_stream_create_source;
  iface->read_nonblocking = pi_replay_input_stream_read_nonblocking;
}

static void
pi_replay_input_stream_class_init (PiReplayInputStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = pi_replay_input_stream_finalize;
  input_class->read_fn = pi_replay_input_stream_read;
}

static void
pi_replay_input_stream_init (PiReplayInputStream *self)
{
}

/**
 * pi_replay_input_stream_new:
 * @base_stream: the stream the bytes came from
 * @replay: (nullable): bytes to give back before reading @base_stream
 *
 * Returns: (transfer full): the stream; closing it does not close @base_stream
 */
GInputStream *
pi_replay_input_stream_new (GInputStream *base_stream,
                            GBytes       *replay)
{
  PiReplayInputStream *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (base_stream), NULL);

  self = g_object_new (PI_TYPE_REPLAY_INPUT_STREAM,
                       "base-stream", base_stream,
                       "close-base-stream", FALSE,
                       NULL);
  if (replay != NULL && g_bytes_get_size (replay) > 0)
    self->replay = g_bytes_ref (replay);

  return G_INPUT_STREAM (self);
}
