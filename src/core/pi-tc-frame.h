/* pi-tc-frame.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "pi-message.h"

G_BEGIN_DECLS

/*
 * The frames of a Taskcluster web-server's live Pulse protocols (the plain
 * WebSocket protocol of /subscription/raw and /named, and GraphQL's
 * graphql-ws): parsed and built without I/O. A data frame's message object
 * is located in the frame's text, not parsed into a tree: the PiMessage is
 * made from that text directly.
 */

typedef enum
{
  PI_TC_FRAME_UNKNOWN,          /* a type this client does not know */
  PI_TC_FRAME_CONNECTION_ACK,
  PI_TC_FRAME_CONNECTION_ERROR, /* GraphQL: init refused */
  PI_TC_FRAME_SUBSCRIBE_ACK,    /* plain: id = subscriptionId */
  PI_TC_FRAME_DATA,             /* message/message_len = the message object */
  PI_TC_FRAME_ERROR,            /* code, text; id when about one subscription */
  PI_TC_FRAME_COMPLETE,         /* GraphQL: a subscription ended */
  PI_TC_FRAME_KA,               /* GraphQL keep-alive */
  PI_TC_FRAME_DROPPED,          /* count, reason */
} PiTcFrameType;

typedef struct
{
  PiTcFrameType  type;
  char          *type_name;    /* as sent */
  char          *id;           /* GraphQL id or plain subscriptionId, or NULL */
  char          *code;         /* plain error code, or NULL */
  char          *text;         /* error text, or NULL */
  const char    *message;      /* inside the frame's text, not NUL-terminated */
  gsize          message_len;
  guint64        count;
  char          *reason;
  /* pulse-events' resumable subscriptions (docs/PROTOCOL.md 8): */
  gboolean       resume;       /* connection_ack: `"resume":true` */
  char          *session;      /* subscribe_ack: the subscription's session, or NULL */
  gboolean       resumed;      /* subscribe_ack: it went on where it was left */
  guint64        lost;         /* subscribe_ack: what the window no longer held */
  guint64        seq;          /* data: the message's number in the session; dropped: the
                                * last number it covers; 0 for none */
} PiTcFrame;

#define PI_TC_ERROR (pi_tc_frame_error_quark ())

GQuark      pi_tc_frame_error_quark          (void);

gboolean    pi_tc_frame_parse_plain          (const char          *text,
                                              gsize                len,
                                              PiTcFrame           *frame,
                                              GError             **error);
gboolean    pi_tc_frame_parse_graphql        (const char          *text,
                                              gsize                len,
                                              PiTcFrame           *frame,
                                              GError             **error);
void        pi_tc_frame_clear                (PiTcFrame           *frame);

char       *pi_tc_frame_authorization        (const char          *client_id,
                                              const char          *access_token);
char       *pi_tc_frame_build_plain_init     (const char          *client_id,
                                              const char          *access_token);
char       *pi_tc_frame_build_graphql_init   (const char          *client_id,
                                              const char          *access_token);
char       *pi_tc_frame_build_raw_subscribe  (GPtrArray           *bindings,
                                              guint                first,
                                              guint                n);
char       *pi_tc_frame_build_named_subscribe (const char         *service,
                                               const char * const *event_names,
                                               const char * const *routing_key);
char       *pi_tc_frame_build_graphql_start  (const char          *id,
                                              const char          *exchange,
                                              const char          *pattern);

PiMessage  *pi_message_new_from_tc_data      (const PiTcFrame     *frame,
                                              guint64              sequence,
                                              gint64               time_received);

G_END_DECLS
