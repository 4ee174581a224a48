/* pi-handover-stream.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PI_TYPE_HANDOVER_STREAM (pi_handover_stream_get_type ())

G_DECLARE_FINAL_TYPE (PiHandoverStream, pi_handover_stream, PI, HANDOVER_STREAM, GIOStream)

PiHandoverStream *pi_handover_stream_new (GIOStream *base_stream,
                                          GBytes    *already_read);
guint64           pi_handover_stream_get_bytes_written (PiHandoverStream *self);
void              pi_handover_stream_set_linger        (PiHandoverStream *self,
                                                        gboolean          linger);
gboolean          pi_handover_stream_get_linger        (PiHandoverStream *self);

G_END_DECLS
