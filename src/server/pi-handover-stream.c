/* pi-handover-stream.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include "pi-counting-output-stream.h"
#include "pi-handover-stream.h"
#include "pi-replay-input-stream.h"

/*
 * A client connection as the connection front (pi-http-front-conn.c) hands it to
 * libsoup: the request bytes the front has read already, then the socket.
 * Closing it closes the connection underneath and emits `closed`: that is how
 * the front learns that libsoup is done with a connection, and counts it no
 * longer.
 */

struct _PiHandoverStream
{
  GIOStream     parent_instance;

  GIOStream    *base_stream;
  GInputStream  *input;
  GOutputStream *output;        /* counts what the client was sent */
  gboolean       linger;        /* closing leaves the connection to the front */
};

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PiHandoverStream, pi_handover_stream, G_TYPE_IO_STREAM)

static GInputStream *
pi_handover_stream_get_input_stream (GIOStream *stream)
{
  return PI_HANDOVER_STREAM (stream)->input;
}

static GOutputStream *
pi_handover_stream_get_output_stream (GIOStream *stream)
{
  return PI_HANDOVER_STREAM (stream)->output;
}

static gboolean
pi_handover_stream_close (GIOStream     *stream,
                          GCancellable  *cancellable,
                          GError       **error)
{
  PiHandoverStream *self = PI_HANDOVER_STREAM (stream);
  gboolean closed;

  g_input_stream_close (self->input, NULL, NULL);
  /* The front drains and closes the connection (lingering close). */
  closed = self->linger ? TRUE : g_io_stream_close (self->base_stream, cancellable, error);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);

  return closed;
}

/* GIOStream's default asynchronous close runs close() in a worker thread;
 * `closed` must be emitted on the thread that serves the connection. Closing
 * a socket does not block, so close at once. */
static void
pi_handover_stream_close_async (GIOStream           *stream,
                                int                  io_priority,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, pi_handover_stream_close_async);
  if (pi_handover_stream_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
pi_handover_stream_close_finish (GIOStream     *stream,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
pi_handover_stream_dispose (GObject *object)
{
  PiHandoverStream *self = PI_HANDOVER_STREAM (object);

  /* Whoever let go of it without closing it: the connection ends here. */
  if (self->base_stream != NULL && !g_io_stream_is_closed (G_IO_STREAM (self)))
    g_io_stream_close (G_IO_STREAM (self), NULL, NULL);

  G_OBJECT_CLASS (pi_handover_stream_parent_class)->dispose (object);
}

static void
pi_handover_stream_finalize (GObject *object)
{
  PiHandoverStream *self = PI_HANDOVER_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base_stream);

  G_OBJECT_CLASS (pi_handover_stream_parent_class)->finalize (object);
}

static void
pi_handover_stream_class_init (PiHandoverStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->dispose = pi_handover_stream_dispose;
  object_class->finalize = pi_handover_stream_finalize;
  stream_class->get_input_stream = pi_handover_stream_get_input_stream;
  stream_class->get_output_stream = pi_handover_stream_get_output_stream;
  stream_class->close_fn = pi_handover_stream_close;
  stream_class->close_async = pi_handover_stream_close_async;
  stream_class->close_finish = pi_handover_stream_close_finish;

  /**
   * PiHandoverStream::closed:
   *
   * The stream, and the connection under it, was closed.
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pi_handover_stream_init (PiHandoverStream *self)
{
}

/**
 * pi_handover_stream_new:
 * @base_stream: the client connection (a #GSocketConnection, or TLS over one)
 * @already_read: (nullable): bytes read from @base_stream so far, given back first
 *
 * Returns: (transfer full): the stream
 */
PiHandoverStream *
pi_handover_stream_new (GIOStream *base_stream,
                        GBytes    *already_read)
{
  PiHandoverStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (base_stream), NULL);

  self = g_object_new (PI_TYPE_HANDOVER_STREAM, NULL);
  self->base_stream = g_object_ref (base_stream);
  self->input = pi_replay_input_stream_new (g_io_stream_get_input_stream (base_stream), already_read);
  self->output = pi_counting_output_stream_new (g_io_stream_get_output_stream (base_stream));

  return self;
}

/**
 * pi_handover_stream_get_bytes_written:
 * @self: a #PiHandoverStream
 *
 * Returns: how many bytes the connection took from the stream so far
 */
guint64
pi_handover_stream_get_bytes_written (PiHandoverStream *self)
{
  g_return_val_if_fail (PI_IS_HANDOVER_STREAM (self), 0);

  return pi_counting_output_stream_get_written (PI_COUNTING_OUTPUT_STREAM (self->output));
}

/**
 * pi_handover_stream_set_linger:
 * @self: a #PiHandoverStream
 * @linger: whether closing leaves the connection open
 *
 * With @linger, closing the stream does not close the connection under
 * it: whoever watches #PiHandoverStream::closed (the connection front)
 * reads and drops what the client still sends for a moment, and closes it
 * then. A connection closed with unread input gets a reset, which can
 * lose the last bytes sent to the client (a WebSocket close frame).
 */
void
pi_handover_stream_set_linger (PiHandoverStream *self,
                               gboolean          linger)
{
  g_return_if_fail (PI_IS_HANDOVER_STREAM (self));

  self->linger = linger;
}

gboolean
pi_handover_stream_get_linger (PiHandoverStream *self)
{
  g_return_val_if_fail (PI_IS_HANDOVER_STREAM (self), FALSE);

  return self->linger;
}
