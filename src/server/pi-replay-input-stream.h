/* pi-replay-input-stream.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PI_TYPE_REPLAY_INPUT_STREAM (pi_replay_input_stream_get_type ())

G_DECLARE_FINAL_TYPE (PiReplayInputStream, pi_replay_input_stream, PI, REPLAY_INPUT_STREAM, GFilterInputStream)

GInputStream *pi_replay_input_stream_new (GInputStream *base_stream,
                                          GBytes       *replay);

G_END_DECLS
