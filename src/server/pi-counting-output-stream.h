/* pi-counting-output-stream.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PI_TYPE_COUNTING_OUTPUT_STREAM (pi_counting_output_stream_get_type ())

G_DECLARE_FINAL_TYPE (PiCountingOutputStream, pi_counting_output_stream, PI, COUNTING_OUTPUT_STREAM,
                      GFilterOutputStream)

GOutputStream *pi_counting_output_stream_new         (GOutputStream          *base_stream);
guint64        pi_counting_output_stream_get_written (PiCountingOutputStream *self);

G_END_DECLS
