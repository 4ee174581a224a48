/* pi-event-queue.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  PI_EVENT_QUEUE_EMPTY,        /* nothing to write */
  PI_EVENT_QUEUE_TOOK_ALL,     /* the stream took everything offered (more may wait) */
  PI_EVENT_QUEUE_TOOK_SOME,    /* the stream is full after taking part */
  PI_EVENT_QUEUE_WOULD_BLOCK,  /* the stream is full */
  PI_EVENT_QUEUE_FAILED,
} PiEventQueueResult;

typedef struct _PiEventQueue PiEventQueue;

PiEventQueue      *pi_event_queue_new           (void);
void               pi_event_queue_free          (PiEventQueue          *queue);
void               pi_event_queue_push          (PiEventQueue          *queue,
                                                 GBytes                *event);
void               pi_event_queue_push_numbered (PiEventQueue          *queue,
                                                 GBytes                *event,
                                                 const char            *session_id,
                                                 guint64                seq);
void               pi_event_queue_clear         (PiEventQueue          *queue);
gboolean           pi_event_queue_is_empty      (PiEventQueue          *queue);
guint64            pi_event_queue_get_bytes     (PiEventQueue          *queue);
guint              pi_event_queue_get_events    (PiEventQueue          *queue);
PiEventQueueResult pi_event_queue_write         (PiEventQueue          *queue,
                                                 GPollableOutputStream *output,
                                                 GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiEventQueue, pi_event_queue_free)

G_END_DECLS
