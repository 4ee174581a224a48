/* pi-event-stream-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-event-stream.h"

G_BEGIN_DECLS

/*
 * Between PiEventStream (the caller's thread) and its worker (the ingest
 * thread). The worker queues records in order; the stream's dispatch
 * function, run on the caller's main context, takes them all at once.
 */

typedef enum
{
  PI_STREAM_RECORD_STATE,          /* state, text = reason, retry_msec */
  PI_STREAM_RECORD_MESSAGES,       /* batch of PiMessage */
  PI_STREAM_RECORD_RAW,            /* batch of PiRawEvent */
  PI_STREAM_RECORD_READY,
  PI_STREAM_RECORD_PING,           /* text = server time */
  PI_STREAM_RECORD_SERVER_ERROR,   /* text */
  PI_STREAM_RECORD_DROPPED,        /* count */
  PI_STREAM_RECORD_RECONNECT,      /* a new attempt starts */
} PiStreamRecordKind;

typedef struct
{
  PiStreamRecordKind  kind;
  PiStreamState       state;
  char               *text;
  guint               retry_msec;
  guint64             count;
  GPtrArray          *batch;
} PiStreamRecord;

typedef struct _PiStreamWorker PiStreamWorker;

void            pi_stream_record_free              (PiStreamRecord *record);

PiStreamWorker *pi_stream_worker_start             (const char     *connect_url,
                                                    guint           ping_timeout,
                                                    gboolean        raw,
                                                    guint64         first_sequence,
                                                    GSourceFunc     dispatch_func,
                                                    gpointer        dispatch_data);
const char     *pi_stream_worker_get_host          (PiStreamWorker *self);
GMainContext   *pi_stream_worker_get_main_context  (PiStreamWorker *self);
void            pi_stream_worker_take_records      (PiStreamWorker *self,
                                                    GQueue         *records,
                                                    guint64        *n_bytes);
void            pi_stream_worker_stop              (PiStreamWorker *self);

G_END_DECLS
