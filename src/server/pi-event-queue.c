/* pi-event-queue.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include "pi-event-queue.h"

/*
 * What one event stream's socket has not taken yet. An event is framed
 * once by the broker and queued by reference (the same GBytes for every
 * client it goes to, never copied); everything queued goes out in one
 * writev() when the socket can take it. The counts are what a stream's
 * flow control weighs: bytes, and events not yet fully written.
 */

/* Parts a write takes at most: Linux's IOV_MAX. With 64, a firehose client
 * that fell 1 MiB behind (a reader not scheduled for 50 ms at 20,000
 * messages/s) needed ~30 main-loop turns over 1,010 clients to catch up,
 * and fell further behind meanwhile: bench-fanout at 20,000/s for 30 s
 * dropped 5,170 to 4.7 M events to the firehose clients in three runs, 0
 * to 227,230 in four with 1024 (alternating, load 1.1-1.5). */
#define WRITE_VECTORS 1024

/* How every framed event ends (pi-event-format.c), and how much of it a
 * resumable stream keeps before its own `id:` line. */
#define PLAIN_ID_TAIL     "\nid: -\n\n"
#define PLAIN_ID_TAIL_LEN 8

struct _PiEventQueue
{
  GQueue   parts;         /* of GBytes */
  gsize    head_written;  /* of the first part */
  guint64  bytes;
  guint    events;
};

PiEventQueue *
pi_event_queue_new (void)
{
  PiEventQueue *queue = g_new0 (PiEventQueue, 1);

  g_queue_init (&queue->parts);
  return queue;
}

void
pi_event_queue_free (PiEventQueue *queue)
{
  if (queue == NULL)
    return;

  g_queue_clear_full (&queue->parts, (GDestroyNotify) g_bytes_unref);
  g_free (queue);
}

/* Queues @event, whole. */
void
pi_event_queue_push (PiEventQueue *queue,
                     GBytes       *event)
{
  g_return_if_fail (queue != NULL);
  g_return_if_fail (event != NULL);

  g_queue_push_tail (&queue->parts, g_bytes_ref (event));
  queue->bytes += g_bytes_get_size (event);
  queue->events++;
}

/* Does @bytes end an event? A resumable stream's message is queued in two
 * parts: the shared event up to its `id:` line, and its own `id:` line. */
static gboolean
ends_event (GBytes *bytes)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  return size >= 2 && data[size - 1] == '\n' && data[size - 2] == '\n';
}

/* Queues message @seq of session @session_id with `id: SESSION:SEQ` in
 * place of the event's `id: -`: the shared event is referenced, not
 * copied. An event without that line goes as it is. */
void
pi_event_queue_push_numbered (PiEventQueue *queue,
                              GBytes       *event,
                              const char   *session_id,
                              guint64       seq)
{
  gsize size;
  const char *data;
  char *tail;
  gsize tail_len;

  g_return_if_fail (queue != NULL);
  g_return_if_fail (event != NULL);
  g_return_if_fail (session_id != NULL);

  data = g_bytes_get_data (event, &size);
  if (size < PLAIN_ID_TAIL_LEN || memcmp (data + size - PLAIN_ID_TAIL_LEN, PLAIN_ID_TAIL, PLAIN_ID_TAIL_LEN) != 0)
    {
      pi_event_queue_push (queue, event);
      return;
    }

  g_queue_push_tail (&queue->parts, g_bytes_new_from_bytes (event, 0, size - PLAIN_ID_TAIL_LEN + 1));
  tail = g_strdup_printf ("id: %s:%" G_GUINT64_FORMAT "\n\n", session_id, seq);
  tail_len = strlen (tail);
  g_queue_push_tail (&queue->parts, g_bytes_new_take (tail, tail_len));
  queue->bytes += size - PLAIN_ID_TAIL_LEN + 1 + tail_len;
  queue->events++;
}

/* Drops everything: nothing would read it. */
void
pi_event_queue_clear (PiEventQueue *queue)
{
  g_return_if_fail (queue != NULL);

  g_queue_clear_full (&queue->parts, (GDestroyNotify) g_bytes_unref);
  queue->bytes = 0;
  queue->events = 0;
  queue->head_written = 0;
}

gboolean
pi_event_queue_is_empty (PiEventQueue *queue)
{
  g_return_val_if_fail (queue != NULL, TRUE);

  return queue->parts.head == NULL;
}

guint64
pi_event_queue_get_bytes (PiEventQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);

  return queue->bytes;
}

guint
pi_event_queue_get_events (PiEventQueue *queue)
{
  g_return_val_if_fail (queue != NULL, 0);

  return queue->events;
}

/* The stream took @written bytes from the head of the queue. */
static void
took (PiEventQueue *queue,
      gsize         written)
{
  queue->bytes -= MIN (written, queue->bytes);
  while (written > 0 && queue->parts.head != NULL)
    {
      GBytes *head = queue->parts.head->data;
      gsize left = g_bytes_get_size (head) - queue->head_written;

      if (written < left)
        {
          queue->head_written += written;
          break;
        }

      written -= left;
      queue->head_written = 0;
      if (ends_event (head) && queue->events > 0)
        queue->events--;
      g_bytes_unref (g_queue_pop_head (&queue->parts));
    }
}

/* Writes as much of the queue as @output takes now, in one call (of at
 * most WRITE_VECTORS parts: TOOK_ALL may leave more queued). */
PiEventQueueResult
pi_event_queue_write (PiEventQueue           *queue,
                      GPollableOutputStream  *output,
                      GError                **error)
{
  GOutputVector vectors[WRITE_VECTORS];
  gsize n_vectors = 0, wanted = 0, written = 0;
  GPollableReturn result;

  g_return_val_if_fail (queue != NULL, PI_EVENT_QUEUE_FAILED);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (output), PI_EVENT_QUEUE_FAILED);

  for (GList *l = queue->parts.head; l != NULL && n_vectors < WRITE_VECTORS; l = l->next)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (l->data, &size);
      gsize skip = l == queue->parts.head ? queue->head_written : 0;

      vectors[n_vectors].buffer = data + skip;
      vectors[n_vectors].size = size - skip;
      wanted += size - skip;
      n_vectors++;
    }

  if (n_vectors == 0)
    return PI_EVENT_QUEUE_EMPTY;

  result = g_pollable_output_stream_writev_nonblocking (output, vectors, n_vectors, &written, NULL, error);
  switch (result)
    {
    case G_POLLABLE_RETURN_FAILED:
      return PI_EVENT_QUEUE_FAILED;
    case G_POLLABLE_RETURN_WOULD_BLOCK:
      return PI_EVENT_QUEUE_WOULD_BLOCK;
    case G_POLLABLE_RETURN_OK:
    default:
      took (queue, written);
      return written == wanted ? PI_EVENT_QUEUE_TOOK_ALL : PI_EVENT_QUEUE_TOOK_SOME;
    }
}
