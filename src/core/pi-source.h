/* pi-source.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-binding.h"
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
#define PI_TYPE_SOURCE (pi_source_get_type ())
#define PI_TYPE_RAW_EVENT    (pi_raw_event_get_type ())

#define PI_SOURCE_ERROR (pi_source_error_quark ())

/* The most messages a broker keeps for an AMQP source that has not taken
 * them (x-max-length); past it the broker drops the oldest. */
#define PI_SOURCE_DEFAULT_QUEUE_LENGTH 1000

typedef enum
{
  PI_SOURCE_ERROR_INVALID_URL,
} PiSourceError;

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

G_DECLARE_FINAL_TYPE (PiSource, pi_source, PI, SOURCE, GObject)

GType          pi_stream_state_get_type          (void) G_GNUC_CONST;
GQuark         pi_source_error_quark       (void);

GType          pi_raw_event_get_type             (void) G_GNUC_CONST;
PiRawEvent    *pi_raw_event_new                  (const char     *event,
                                                  const char     *id,
                                                  const char     *data,
                                                  gsize           data_len);
PiRawEvent    *pi_raw_event_copy                 (const PiRawEvent *raw);
void           pi_raw_event_free                 (PiRawEvent     *raw);

char          *pi_source_derive_connect_url     (const char  *server_url,
                                                 GPtrArray   *bindings,
                                                 GError     **error);
gboolean       pi_source_url_is_events_v1       (const char  *server_url);
char          *pi_source_check_amqp_address     (const char  *server_url,
                                                 GError     **error);

PiSource      *pi_source_new                    (void);
const char    *pi_source_get_server_url         (PiSource    *self);
void           pi_source_set_server_url         (PiSource    *self,
                                                 const char  *server_url);
GPtrArray     *pi_source_get_bindings           (PiSource    *self);
void           pi_source_set_bindings           (PiSource    *self,
                                                 GPtrArray   *bindings);
const char    *pi_source_get_client_id          (PiSource    *self);
void           pi_source_set_credentials        (PiSource    *self,
                                                 const char  *client_id,
                                                 const char  *access_token);
void           pi_source_set_password           (PiSource    *self,
                                                 const char  *password);
guint          pi_source_get_queue_length       (PiSource    *self);
void           pi_source_set_queue_length       (PiSource    *self,
                                                 guint        queue_length);
guint          pi_source_get_ping_timeout       (PiSource    *self);
void           pi_source_set_ping_timeout       (PiSource    *self,
                                                 guint        seconds);
gboolean       pi_source_get_raw                (PiSource    *self);
void           pi_source_set_raw                (PiSource    *self,
                                                 gboolean     raw);
const char    *pi_source_get_connect_url        (PiSource    *self);
gboolean       pi_source_connect                (PiSource    *self,
                                                 GError     **error);
void           pi_source_disconnect             (PiSource    *self);
gboolean       pi_source_reconnect_now          (PiSource    *self);
PiStreamState  pi_source_get_state              (PiSource    *self);
const char    *pi_source_get_state_text         (PiSource    *self);
const char    *pi_source_get_error_message      (PiSource    *self);
const char    *pi_source_get_protocol_name      (PiSource    *self);
gboolean       pi_source_get_needs_credentials  (PiSource    *self);
void           pi_source_set_named_subscription (PiSource           *self,
                                                 const char         *service,
                                                 const char * const *event_names,
                                                 const char * const *routing_key);
const char    *pi_source_get_binding_error      (PiSource    *self,
                                                 PiBinding   *binding);
guint          pi_source_get_retry_seconds      (PiSource    *self);
guint64        pi_source_get_n_messages         (PiSource    *self);
guint64        pi_source_get_n_bytes            (PiSource    *self);
guint64        pi_source_get_n_dropped          (PiSource    *self);
guint          pi_source_get_n_reconnects       (PiSource    *self);
GDateTime     *pi_source_get_last_ping          (PiSource    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiRawEvent, pi_raw_event_free)

G_END_DECLS
