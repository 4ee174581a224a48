/* pi-sse-parser.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PI_SSE_PARSER_DEFAULT_MAX_EVENT_SIZE (16 * 1024 * 1024)

#define PI_SSE_ERROR (pi_sse_error_quark ())

typedef enum
{
  PI_SSE_ERROR_EVENT_TOO_LARGE,
} PiSseError;

/**
 * PiSseEvent:
 * @event: the event type, "message" when the stream named none
 * @data: the data buffer, lines joined with "\n", valid UTF-8, NUL-terminated;
 *   it may hold U+0000 too (the format keeps it), so read @data_len bytes
 * @data_len: length of @data in bytes
 * @id: the last event ID buffer (kept across events), "" when none
 *
 * One dispatched event. Every pointer is owned by the parser and valid only
 * during the callback.
 */
typedef struct
{
  const char *event;
  const char *data;
  gsize       data_len;
  const char *id;
} PiSseEvent;

typedef void (*PiSseEventFunc) (const PiSseEvent *event,
                                gpointer          user_data);

typedef struct _PiSseParser PiSseParser;

GQuark       pi_sse_error_quark               (void);
PiSseParser *pi_sse_parser_new                (gsize            max_event_size,
                                               PiSseEventFunc   func,
                                               gpointer         user_data);
void         pi_sse_parser_free               (PiSseParser     *self);
gboolean     pi_sse_parser_push               (PiSseParser     *self,
                                               const char      *bytes,
                                               gsize            len,
                                               GError         **error);
void         pi_sse_parser_finish             (PiSseParser     *self);
void         pi_sse_parser_reset              (PiSseParser     *self);
gint64       pi_sse_parser_get_retry          (PiSseParser     *self);
const char  *pi_sse_parser_get_last_event_id  (PiSseParser     *self);
void         pi_sse_append_event              (GString         *out,
                                               const char      *event,
                                               const char      *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiSseParser, pi_sse_parser_free)

G_END_DECLS
