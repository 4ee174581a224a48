/* pi-event-writer.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "pi-hangup-watch.h"
#include "pi-server.h"

G_BEGIN_DECLS

/*
 * The writing side of one event stream (pi-server-client.c decides what
 * goes in it). A PiEventWriter owns the stream's message until libsoup
 * wrote its headers, the connection taken from libsoup then, the
 * PiEventQueue of what its socket has not
 * taken yet, the scheduling of writes (in the server's flush idle, or
 * when the socket can take more), the count of bytes the socket took and
 * the broker's `dropped` reports still waiting for it, the close after
 * the last event, and the socket's place in the server's PiHangupWatch.
 */

typedef struct _PiEventWriter PiEventWriter;

/* What a writer tells its stream. */
typedef struct
{
  void (*took)   (gpointer user_data);                   /* the socket took bytes */
  void (*hangup) (gpointer user_data, PiHangup hangup);  /* the watched socket hung up */
  void (*finished) (gpointer user_data);                 /* the message finished before its
                                                          * headers went out, or the
                                                          * connection is closed */
} PiEventWriterCallbacks;

PiEventWriter *pi_event_writer_new            (PiServer                     *server,
                                               SoupServerMessage            *msg,
                                               const char                   *peer,
                                               const PiEventWriterCallbacks *callbacks,
                                               gpointer                      user_data);
void           pi_event_writer_free           (PiEventWriter  *writer);
void           pi_event_writer_watch          (PiEventWriter  *writer,
                                               GSocket        *socket);
void           pi_event_writer_push           (PiEventWriter  *writer,
                                               GBytes         *event);
void           pi_event_writer_push_numbered  (PiEventWriter  *writer,
                                               GBytes         *event,
                                               const char     *session_id,
                                               guint64         seq);
guint          pi_event_writer_get_events     (PiEventWriter  *writer);
guint64        pi_event_writer_get_bytes      (PiEventWriter  *writer);
gint64         pi_event_writer_get_idle_for   (PiEventWriter  *writer);
void           pi_event_writer_end            (PiEventWriter  *writer,
                                               gboolean        discard);
gboolean       pi_event_writer_is_ending      (PiEventWriter  *writer);
void           pi_event_writer_add_broker_report (PiEventWriter *writer,
                                                  guint64        count);
guint64        pi_event_writer_take_untold    (PiEventWriter  *writer);

G_END_DECLS
