/* pi-message.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * PiMessageKind:
 * @PI_MESSAGE_KIND_DECODED: a message object with exchange, routing key, ...
 * @PI_MESSAGE_KIND_PAYLOAD_ONLY: an old server's event: the data is the payload
 * @PI_MESSAGE_KIND_UNDECODABLE: the data is not JSON; raw text and error kept
 * @PI_MESSAGE_KIND_GAP: not a message: the connection was lost here and
 *   messages may be missing (inserted by the client on reconnect)
 * @PI_MESSAGE_KIND_DROPPED: not a message: the server reported that it
 *   dropped messages here (see pi_message_get_dropped_count())
 * @PI_MESSAGE_KIND_SWITCH: not a message: the window was connected to
 *   another server here; the messages after it come from that one (its
 *   name is pi_message_get_error())
 */
typedef enum
{
  PI_MESSAGE_KIND_DECODED,
  PI_MESSAGE_KIND_PAYLOAD_ONLY,
  PI_MESSAGE_KIND_UNDECODABLE,
  PI_MESSAGE_KIND_GAP,
  PI_MESSAGE_KIND_DROPPED,
  PI_MESSAGE_KIND_SWITCH,
} PiMessageKind;

#define PI_TYPE_MESSAGE_KIND (pi_message_kind_get_type ())
#define PI_TYPE_MESSAGE (pi_message_get_type ())

GType               pi_message_kind_get_type      (void) G_GNUC_CONST;

G_DECLARE_FINAL_TYPE (PiMessage, pi_message, PI, MESSAGE, GObject)

PiMessage          *pi_message_new_from_data      (const char  *data,
                                                   gsize        len,
                                                   guint64      sequence,
                                                   gint64       time_received);
PiMessage          *pi_message_new_gap            (guint64      sequence,
                                                   gint64       time_received,
                                                   const char  *reason);
PiMessage          *pi_message_new_switch         (guint64      sequence,
                                                   gint64       time_received,
                                                   const char  *server);
PiMessage          *pi_message_new_dropped        (guint64      sequence,
                                                   guint64      count,
                                                   const char  *reason);
PiMessageKind       pi_message_get_kind           (PiMessage   *self);
guint64             pi_message_get_sequence       (PiMessage   *self);
gint64              pi_message_get_time_received  (PiMessage   *self);
gsize               pi_message_get_size           (PiMessage   *self);
const char         *pi_message_get_raw            (PiMessage   *self);
const char         *pi_message_get_exchange       (PiMessage   *self);
const char         *pi_message_get_routing_key    (PiMessage   *self);
const char * const *pi_message_get_routes         (PiMessage   *self);
gboolean            pi_message_get_redelivered    (PiMessage   *self);
const char         *pi_message_get_error          (PiMessage   *self);
char               *pi_message_dup_switch_text    (PiMessage   *self);
const char         *pi_message_get_payload_text   (PiMessage   *self,
                                                   gsize       *len);
JsonNode           *pi_message_dup_payload        (PiMessage   *self);
gboolean            pi_message_contains_text      (PiMessage   *self,
                                                   const char  *needle_casefolded);
const char         *pi_message_get_short_exchange (PiMessage   *self);
char               *pi_message_dup_routes_text    (PiMessage   *self);
guint64             pi_message_get_dropped_count  (PiMessage   *self);
const char         *pi_message_get_dropped_reason (PiMessage   *self);
gint64              pi_message_get_dropped_until  (PiMessage   *self);
gboolean            pi_message_merge_dropped      (PiMessage   *self,
                                                   PiMessage   *next);

G_END_DECLS
