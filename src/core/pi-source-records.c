/* pi-source-records.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include "pi-source-worker-private.h"

/*
 * Records from the worker thread to the main side: queued under the
 * mutex, message batches joined, the dispatch source scheduled.
 */

void
pi_stream_record_free (PiStreamRecord *record)
{
  g_free (record->text);
  g_clear_pointer (&record->batch, g_ptr_array_unref);
  g_free (record);
}

PiStreamRecord *
pi_stream_record_new (PiStreamRecordKind kind)
{
  PiStreamRecord *record = g_new0 (PiStreamRecord, 1);

  record->kind = kind;
  return record;
}

/* Called on the worker thread with the mutex held. */
static void
worker_schedule_locked (PiStreamWorker *w,
                        gboolean        urgent)
{
  gint64 when;

  if (urgent)
    when = 0;
  else
    when = MAX (g_get_monotonic_time (), w->last_dispatch + BATCH_INTERVAL_USEC);

  if (w->scheduled < 0 || when < w->scheduled)
    {
      w->scheduled = when;
      g_source_set_ready_time (w->dispatch_source, when);
    }
}

/* Queues @record (transfer full) for the main context. */
void
pi_stream_worker_post (PiStreamWorker *w,
                       PiStreamRecord *record)
{
  g_mutex_lock (&w->mutex);
  if (w->stopping)
    {
      g_mutex_unlock (&w->mutex);
      pi_stream_record_free (record);
      return;
    }
  g_queue_push_tail (&w->records, record);
  worker_schedule_locked (w, TRUE);
  g_mutex_unlock (&w->mutex);
}

/* With the mutex held: moves @batch (transfer full) into the queue,
 * joining the batch of @kind still waiting there if the main side has
 * not taken it yet. */
static void
worker_queue_batch_locked (PiStreamWorker     *w,
                           PiStreamRecordKind  kind,
                           GPtrArray          *batch)
{
  PiStreamRecord *tail = g_queue_peek_tail (&w->records);
  PiStreamRecord *record;

  if (tail != NULL && tail->kind == kind)
    {
      g_ptr_array_extend_and_steal (tail->batch, batch);
      return;
    }

  record = pi_stream_record_new (kind);
  record->batch = batch;
  g_queue_push_tail (&w->records, record);
}

/* Moves the messages (or raw events) decoded so far into the queue. */
void
pi_stream_worker_flush_batches (PiStreamWorker *w,
                                gboolean        schedule)
{
  gboolean have_messages = w->batch->len > 0;
  gboolean have_raw = w->raw_batch->len > 0;

  g_mutex_lock (&w->mutex);
  w->n_queued += w->batch->len + w->raw_batch->len;

  if (!w->stopping)
    {
      if (have_messages)
        worker_queue_batch_locked (w, PI_STREAM_RECORD_MESSAGES, g_steal_pointer (&w->batch));
      if (have_raw)
        worker_queue_batch_locked (w, PI_STREAM_RECORD_RAW, g_steal_pointer (&w->raw_batch));

      if (schedule && !g_queue_is_empty (&w->records))
        worker_schedule_locked (w, w->urgent);
    }

  g_mutex_unlock (&w->mutex);

  if (w->batch == NULL)
    w->batch = g_ptr_array_new_with_free_func (g_object_unref);
  else
    g_ptr_array_set_size (w->batch, 0);

  if (w->raw_batch == NULL)
    w->raw_batch = g_ptr_array_new_with_free_func ((GDestroyNotify) pi_raw_event_free);
  else
    g_ptr_array_set_size (w->raw_batch, 0);
}

void
pi_stream_worker_post_state (PiStreamWorker *w,
                             PiStreamState   state,
                             const char     *reason,
                             guint           retry_msec)
{
  PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_STATE);

  record->state = state;
  record->text = g_strdup (reason);
  record->retry_msec = retry_msec;
  pi_stream_worker_flush_batches (w, FALSE);
  pi_stream_worker_post (w, record);
}
