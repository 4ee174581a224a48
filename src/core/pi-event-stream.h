/* pi-event-stream.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message.h"

G_BEGIN_DECLS

typedef enum
{
  PI_STREAM_STATE_DISCONNECTED,
  PI_STREAM_STATE_CONNECTING,
  PI_STREAM_STATE_WAITING_FOR_READY,
  PI_STREAM_STATE_LIVE,
  PI_STREAM_STATE_RECONNECTING,
  PI_STREAM_STATE_FAILED,
} PiStreamState;

#define PI_TYPE_STREAM_STATE (pi_stream_state_get_type ())
#define PI_TYPE_EVENT_STREAM (pi_event_stream_get_type ())
#define PI_TYPE_RAW_EVENT    (pi_raw_event_get_type ())

#define PI_EVENT_STREAM_ERROR (pi_event_stream_error_quark ())

typedef enum
{
  PI_EVENT_STREAM_ERROR_INVALID_URL,
} PiEventStreamError;

/**
 * PiRawEvent:
 * @event: the event type ("message" when the stream named none)
 * @id: the last event ID ("" when none)
 * @data: the data, valid UTF-8, NUL-terminated; it may hold U+0000 too,
 *   so read @data_len bytes
 * @data_len: length of @data in bytes
 *
 * One server-sent event as it arrived, delivered in raw mode.
 */
typedef struct
{
  char  *event;
  char  *id;
  char  *data;
  gsize  data_len;
} PiRawEvent;

G_DECLARE_FINAL_TYPE (PiEventStream, pi_event_stream, PI, EVENT_STREAM, GObject)

GType          pi_stream_state_get_type          (void) G_GNUC_CONST;
GQuark         pi_event_stream_error_quark       (void);

GType          pi_raw_event_get_type             (void) G_GNUC_CONST;
PiRawEvent    *pi_raw_event_new                  (const char     *event,
                                                  const char     *id,
                                                  const char     *data,
                                                  gsize           data_len);
PiRawEvent    *pi_raw_event_copy                 (const PiRawEvent *raw);
void           pi_raw_event_free                 (PiRawEvent     *raw);

char          *pi_event_stream_derive_connect_url (const char     *server_url,
                                                   GPtrArray      *bindings,
                                                   GError        **error);

PiEventStream *pi_event_stream_new               (void);
const char    *pi_event_stream_get_server_url    (PiEventStream  *self);
void           pi_event_stream_set_server_url    (PiEventStream  *self,
                                                  const char     *server_url);
GPtrArray     *pi_event_stream_get_bindings      (PiEventStream  *self);
void           pi_event_stream_set_bindings      (PiEventStream  *self,
                                                  GPtrArray      *bindings);
guint          pi_event_stream_get_ping_timeout  (PiEventStream  *self);
void           pi_event_stream_set_ping_timeout  (PiEventStream  *self,
                                                  guint           seconds);
gboolean       pi_event_stream_get_raw           (PiEventStream  *self);
void           pi_event_stream_set_raw           (PiEventStream  *self,
                                                  gboolean        raw);
const char    *pi_event_stream_get_connect_url   (PiEventStream  *self);
gboolean       pi_event_stream_connect           (PiEventStream  *self,
                                                  GError        **error);
void           pi_event_stream_disconnect        (PiEventStream  *self);
PiStreamState  pi_event_stream_get_state         (PiEventStream  *self);
const char    *pi_event_stream_get_state_text    (PiEventStream  *self);
const char    *pi_event_stream_get_error_message (PiEventStream  *self);
guint          pi_event_stream_get_retry_seconds (PiEventStream  *self);
guint64        pi_event_stream_get_n_messages    (PiEventStream  *self);
guint64        pi_event_stream_get_n_bytes       (PiEventStream  *self);
guint64        pi_event_stream_get_n_dropped     (PiEventStream  *self);
guint          pi_event_stream_get_n_reconnects  (PiEventStream  *self);
GDateTime     *pi_event_stream_get_last_ping     (PiEventStream  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiRawEvent, pi_raw_event_free)

G_END_DECLS
