/* pi-event-writer.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include "pi-event-queue.h"
#include "pi-event-writer.h"
#include "pi-handover-stream.h"
#include "pi-server-private.h"

/*
 * Writes: an event is framed once by the broker and queued by reference
 * in the writer's PiEventQueue (pi-event-queue.c). Everything a stream has
 * queued goes out in one writev() per main-loop turn (the server's flush
 * idle), or when its socket can take more.
 */

struct _PiEventWriter
{
  PiServer                     *server;        /* borrowed: the server outlives its streams */
  const char                   *peer;          /* borrowed from the stream */
  const PiEventWriterCallbacks *callbacks;
  gpointer                      user_data;
  SoupServerMessage            *msg;           /* until libsoup wrote the headers */
  GIOStream                    *stream;        /* from then on: the connection */
  PiEventQueue                 *queue;         /* what the socket has not taken yet */
  GSource                      *write_source;  /* waiting for the socket to take more */
  GList                         flush_link;    /* in the server's flush_clients */
  int                           watched_fd;    /* in the server's hang-up watch, or -1 */
  guint64                       bytes_written; /* taken by the socket so far */
  gint64                        last_took;     /* when the socket last took bytes, or the queue filled from empty */
  GArray                       *broker_reports; /* of BrokerReport: queued, not yet taken by the socket */
  gboolean                      closing;
  gboolean                      stream_closed;
};

/* A `dropped` event that counts @count of the broker's drops, taken by the
 * socket once bytes_written reaches @end. */
typedef struct
{
  guint64 end;
  guint64 count;
} BrokerReport;

static gboolean writer_flush_all_cb (gpointer user_data);
static void     writer_wrote_headers_cb (SoupServerMessage *msg,
                                         PiEventWriter     *writer);
static void     writer_finished_cb      (SoupServerMessage *msg,
                                         PiEventWriter     *writer);

/* A writer for the response to @msg, once libsoup wrote its headers;
 * @peer is borrowed, for log lines. */
PiEventWriter *
pi_event_writer_new (PiServer                     *server,
                     SoupServerMessage            *msg,
                     const char                   *peer,
                     const PiEventWriterCallbacks *callbacks,
                     gpointer                      user_data)
{
  PiEventWriter *writer = g_new0 (PiEventWriter, 1);

  writer->server = server;
  writer->peer = peer;
  writer->callbacks = callbacks;
  writer->user_data = user_data;
  writer->msg = g_object_ref (msg);
  writer->queue = pi_event_queue_new ();
  writer->watched_fd = -1;

  g_signal_connect (msg, "wrote-headers", G_CALLBACK (writer_wrote_headers_cb), writer);
  g_signal_connect (msg, "finished", G_CALLBACK (writer_finished_cb), writer);
  return writer;
}

/* Writes @writer's queue this turn, together with everything else queued
 * meanwhile: not before its headers went out, nor while it waits for its
 * socket. */
static void
writer_schedule (PiEventWriter *writer)
{
  PiServer *self = writer->server;

  if (writer->stream == NULL || writer->write_source != NULL || writer->flush_link.data != NULL)
    return;

  writer->flush_link.data = writer;
  g_queue_push_tail_link (&self->flush_clients, &writer->flush_link);
  if (self->flush_source == 0)
    {
      self->flush_source = g_idle_add_full (G_PRIORITY_DEFAULT, writer_flush_all_cb, self, NULL);
      g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->flush_source), "[pi] client writes");
    }
}

static void
writer_unschedule (PiEventWriter *writer)
{
  if (writer->flush_link.data != NULL)
    {
      g_queue_unlink (&writer->server->flush_clients, &writer->flush_link);
      writer->flush_link.data = NULL;
    }
  if (writer->write_source != NULL)
    {
      g_source_destroy (writer->write_source);
      g_clear_pointer (&writer->write_source, g_source_unref);
    }
}

/* Stops watching the socket for a hang-up (writer_hangup_cb()). */
static void
writer_stop_watching (PiEventWriter *writer)
{
  if (writer->watched_fd >= 0)
    {
      pi_hangup_watch_remove (writer->server->hangup_watch, writer->watched_fd);
      writer->watched_fd = -1;
    }
}

void
pi_event_writer_push (PiEventWriter *writer,
                      GBytes        *event)
{
  if (pi_event_queue_is_empty (writer->queue))
    writer->last_took = g_get_monotonic_time ();  /* the wait starts now */
  pi_event_queue_push (writer->queue, event);
  writer_schedule (writer);
}

/* Queues message @seq of session @session_id with `id: SESSION:SEQ`. */
void
pi_event_writer_push_numbered (PiEventWriter *writer,
                               GBytes        *event,
                               const char    *session_id,
                               guint64        seq)
{
  if (pi_event_queue_is_empty (writer->queue))
    writer->last_took = g_get_monotonic_time ();
  pi_event_queue_push_numbered (writer->queue, event, session_id, seq);
  writer_schedule (writer);
}

guint
pi_event_writer_get_events (PiEventWriter *writer)
{
  return pi_event_queue_get_events (writer->queue);
}

guint64
pi_event_writer_get_bytes (PiEventWriter *writer)
{
  return pi_event_queue_get_bytes (writer->queue);
}

/* How long the socket has taken nothing while something waited for it,
 * in microseconds; 0 when nothing is queued. For the log line that tells a
 * client fell behind: long for a reader that stopped (or a server that did
 * not get to write), short for a burst larger than the bounds. */
gint64
pi_event_writer_get_idle_for (PiEventWriter *writer)
{
  if (pi_event_queue_is_empty (writer->queue))
    return 0;
  return g_get_monotonic_time () - writer->last_took;
}

/* Closes the stream once what is queued is written, or at once when
 * @discard (a reset: nothing would read it). */
void
pi_event_writer_end (PiEventWriter *writer,
                     gboolean       discard)
{
  writer_stop_watching (writer);
  if (discard)
    pi_event_queue_clear (writer->queue);
  writer->closing = TRUE;
  writer_schedule (writer);  /* what is left, then the close */
}

gboolean
pi_event_writer_is_ending (PiEventWriter *writer)
{
  return writer->closing;
}

/* A `dropped` event counting @count of the broker's drops was queued last:
 * until the socket takes it, it is not said. */
void
pi_event_writer_add_broker_report (PiEventWriter *writer,
                                   guint64        count)
{
  BrokerReport report = { writer->bytes_written + pi_event_queue_get_bytes (writer->queue), count };

  if (writer->broker_reports == NULL)
    writer->broker_reports = g_array_new (FALSE, FALSE, sizeof (BrokerReport));
  g_array_append_val (writer->broker_reports, report);
}

/* The broker's drops reported in events the socket did not take (the
 * stream was reset, or is being replaced); forgotten here. */
guint64
pi_event_writer_take_untold (PiEventWriter *writer)
{
  guint64 n = 0;

  for (guint i = 0; writer->broker_reports != NULL && i < writer->broker_reports->len; i++)
    {
      BrokerReport *report = &g_array_index (writer->broker_reports, BrokerReport, i);

      if (report->end > writer->bytes_written)
        n += report->count;
    }
  if (writer->broker_reports != NULL)
    g_array_set_size (writer->broker_reports, 0);
  return n;
}

static void writer_write (PiEventWriter *writer);

/* Closing the stream finishes its owner (writer_stream_closed_cb()). */
static void
writer_close_stream (PiEventWriter *writer)
{
  g_autoptr(GIOStream) stream = g_object_ref (writer->stream);

  writer_stop_watching (writer);  /* before its descriptor number is free again */

  g_io_stream_close (stream, NULL, NULL);
}

static gboolean
writer_writable_cb (GObject  *stream,
                    gpointer  user_data)
{
  PiEventWriter *writer = user_data;

  g_clear_pointer (&writer->write_source, g_source_unref);
  writer_write (writer);
  return G_SOURCE_REMOVE;
}

/* Writes as much of the queue as the socket takes now, in one call; then
 * waits for the socket if it took less, and closes the stream once an
 * ending stream has nothing left to write. */
static void
writer_write (PiEventWriter *writer)
{
  GPollableOutputStream *output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (writer->stream));
  g_autoptr(GError) error = NULL;
  guint64 queued = pi_event_queue_get_bytes (writer->queue);
  PiEventQueueResult result = pi_event_queue_write (writer->queue, output, &error);

  if (pi_event_queue_get_bytes (writer->queue) < queued)
    {
      writer->bytes_written += queued - pi_event_queue_get_bytes (writer->queue);
      writer->last_took = g_get_monotonic_time ();
    }
  while (writer->broker_reports != NULL && writer->broker_reports->len > 0 &&
         g_array_index (writer->broker_reports, BrokerReport, 0).end <= writer->bytes_written)
    g_array_remove_index (writer->broker_reports, 0);

  switch (result)
    {
    case PI_EVENT_QUEUE_EMPTY:
      if (writer->closing)
        writer_close_stream (writer);
      return;
    case PI_EVENT_QUEUE_FAILED:
      g_debug ("%s: %s", writer->peer, error->message);
      writer_close_stream (writer);
      return;
    case PI_EVENT_QUEUE_TOOK_ALL:
      writer->callbacks->took (writer->user_data);
      /* More parts than one call writes wait for the next turn, and so
       * does the close, after the last `error` event. */
      if (!pi_event_queue_is_empty (writer->queue) || writer->closing)
        writer_schedule (writer);
      return;
    case PI_EVENT_QUEUE_TOOK_SOME:
      writer->callbacks->took (writer->user_data);
      break;
    case PI_EVENT_QUEUE_WOULD_BLOCK:
    default:
      break;
    }

  /* The socket is full: wait until it takes more (a `dropped` report
   * queued meanwhile goes then too). */
  if (writer->flush_link.data != NULL)
    {
      g_queue_unlink (&writer->server->flush_clients, &writer->flush_link);
      writer->flush_link.data = NULL;
    }
  writer->write_source = g_pollable_output_stream_create_source (output, NULL);
  g_source_set_callback (writer->write_source, G_SOURCE_FUNC (writer_writable_cb), writer, NULL);
  g_source_set_static_name (writer->write_source, "[pi] client writable");
  g_source_attach (writer->write_source, NULL);
}

static gboolean
writer_flush_all_cb (gpointer user_data)
{
  PiServer *self = user_data;
  guint n = self->flush_clients.length;
  GList *link;

  self->flush_source = 0;

  /* Those scheduled while this runs (an ending stream, to close) wait for
   * the next turn. */
  while (n-- > 0 && (link = self->flush_clients.head) != NULL)
    {
      PiEventWriter *writer = link->data;

      g_queue_unlink (&self->flush_clients, link);
      link->data = NULL;
      writer_write (writer);
    }

  return G_SOURCE_REMOVE;
}

static void
writer_finished_cb (SoupServerMessage *msg,
                    PiEventWriter     *writer)
{
  writer->callbacks->finished (writer->user_data);
}

static void
writer_stream_closed_cb (PiHandoverStream *stream,
                         PiEventWriter    *writer)
{
  writer->stream_closed = TRUE;
  writer->callbacks->finished (writer->user_data);
}

/* The headers are out: the connection is the writer's from here on, and
 * libsoup's state for the message goes. */
static void
writer_wrote_headers_cb (SoupServerMessage *msg,
                         PiEventWriter     *writer)
{
  PiHandoverStream *handover = pi_http_front_get_message_stream (writer->server->front, msg);
  g_autoptr(GIOStream) wrapper = NULL;

  g_signal_handlers_disconnect_by_data (msg, writer);

  /* What libsoup gives back wraps the stream it was handed, and leaves it
   * open when it goes. */
  if (handover != NULL)
    writer->stream = G_IO_STREAM (g_object_ref (handover));
  wrapper = soup_server_message_steal_connection (msg);
  g_clear_object (&writer->msg);

  if (writer->stream == NULL)
    {
      g_critical ("No connection of ours for %s", writer->peer);
      writer->callbacks->finished (writer->user_data);
      return;
    }

  g_signal_connect (writer->stream, "closed", G_CALLBACK (writer_stream_closed_cb), writer);
  if (!pi_event_queue_is_empty (writer->queue) || writer->closing)
    writer_schedule (writer);
}

/* libsoup does not read while it writes a response, so a client that hangs
 * up would only be noticed on a later write: its socket is watched
 * instead. */
static void
writer_hangup_cb (gpointer data,
                  PiHangup hangup)
{
  PiEventWriter *writer = data;

  writer->watched_fd = -1;
  writer->callbacks->hangup (writer->user_data, hangup);
}

void
pi_event_writer_watch (PiEventWriter *writer,
                       GSocket       *socket)
{
  PiServer *self = writer->server;
  g_autoptr(GError) error = NULL;

  if (self->hangup_watch == NULL &&
      !(self->hangup_watch = pi_hangup_watch_new (writer_hangup_cb, &error)))
    {
      g_message ("Cannot watch streams for hang-ups (%s): noticed on a later write instead", error->message);
      return;
    }

  if (pi_hangup_watch_add (self->hangup_watch, g_socket_get_fd (socket), writer, &error))
    writer->watched_fd = g_socket_get_fd (socket);
  else
    g_debug ("%s: not watched for a hang-up: %s", writer->peer, error->message);
}

/* Stops watching and writing, and closes the connection if it is still
 * open. */
void
pi_event_writer_free (PiEventWriter *writer)
{
  writer_stop_watching (writer);
  writer_unschedule (writer);

  if (writer->msg != NULL)
    g_signal_handlers_disconnect_by_data (writer->msg, writer);
  g_clear_object (&writer->msg);
  if (writer->stream != NULL)
    {
      GIOStream *stream = g_steal_pointer (&writer->stream);

      g_signal_handlers_disconnect_by_data (stream, writer);
      if (!writer->stream_closed)
        {
          g_io_stream_close (stream, NULL, NULL);
          g_object_unref (stream);
        }
      else
        {
          /* Not from within its own close: the reference may be the last. */
          g_idle_add_once ((GSourceOnceFunc) g_object_unref, stream);
        }
    }
  pi_event_queue_free (writer->queue);
  g_clear_pointer (&writer->broker_reports, g_array_unref);
  g_free (writer);
}
