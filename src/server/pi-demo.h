/* pi-demo.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-broker.h"

G_BEGIN_DECLS

#define PI_DEMO_DEFAULT_RATE 20.0

#define PI_TYPE_DEMO (pi_demo_get_type ())

G_DECLARE_FINAL_TYPE (PiDemo, pi_demo, PI, DEMO, GObject)

PiDemo  *pi_demo_new         (PiBroker  *broker,
                              double     rate);
void     pi_demo_start       (PiDemo    *self);
void     pi_demo_stop        (PiDemo    *self);
gboolean pi_demo_step        (PiDemo    *self,
                              GError   **error);
guint64  pi_demo_get_n_sent  (PiDemo    *self);
char    *pi_demo_new_slugid  (void);

G_END_DECLS
