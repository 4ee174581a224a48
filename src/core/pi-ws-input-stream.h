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

/**
 * PiWsTextFunc:
 * @text: (array length=len): the payload of a text frame, valid UTF-8; it
 *   lives only until the function returns
 * @len: its length in bytes
 * @user_data: what pi_ws_input_stream_set_text_func() was given
 */
typedef void (*PiWsTextFunc) (const char *text,
                              gsize       len,
                              gpointer    user_data);

void             pi_ws_input_stream_set_text_func   (PiWsInputStream      *self,
                                                     PiWsTextFunc          func,
                                                     gpointer              user_data);

G_END_DECLS
