/* pi-event-format.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

GBytes *pi_event_format_message (const char         *exchange,
                                 const char         *routing_key,
                                 const char * const *routes,
                                 gboolean            redelivered,
                                 const char         *payload,
                                 gsize               payload_len);
GBytes *pi_event_format         (const char         *event,
                                 const char         *data_json);
GBytes *pi_event_format_error   (const char         *text);
char   *pi_event_format_time    (GDateTime          *time);

G_END_DECLS
