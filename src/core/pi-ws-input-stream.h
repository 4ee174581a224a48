/* pi-ws-input-stream.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PI_TYPE_WS_INPUT_STREAM (pi_ws_input_stream_get_type ())

G_DECLARE_FINAL_TYPE (PiWsInputStream, pi_ws_input_stream, PI, WS_INPUT_STREAM, GInputStream)

PiWsInputStream *pi_ws_input_stream_new             (GIOStream            *connection,
                                                     gsize                 buffer_size);
void             pi_ws_input_stream_read_head_async (PiWsInputStream      *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
GBytes          *pi_ws_input_stream_read_head_finish (PiWsInputStream     *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

G_END_DECLS
