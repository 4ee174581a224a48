/* pi-ws-reply.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gsize    pi_ws_reply_frame_size     (gsize        length);
gboolean pi_ws_reply_append_message (GString     *out,
                                     GBytes      *event);
GString *pi_ws_reply_data           (const char  *subscription_id,
                                     guint64      seq,
                                     GBytes      *event);
GString *pi_ws_reply_subscribe_ack  (const char  *subscription_id,
                                     const char  *session,
                                     gboolean     resumed,
                                     guint64      lost);
GString *pi_ws_reply_error          (const char  *subscription_id,
                                     const char  *code,
                                     const char  *message);
GString *pi_ws_reply_dropped        (const char  *subscription_id,
                                     guint64      count,
                                     const char  *reason,
                                     guint64      seq);

G_END_DECLS
