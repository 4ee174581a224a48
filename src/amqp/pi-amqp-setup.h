/* pi-amqp-setup.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-amqp-private.h"

G_BEGIN_DECLS

/* Called on the I/O thread for a REQUEST_SUBSCRIBE. Declares and binds
 * @sub's queue and starts consuming it; `ready` is emitted once it consumes,
 * `failed` (or `binding-failed`) when the broker refuses a step. Returns
 * FALSE only when the connection went, with why in @connection_error. */
gboolean pi_amqp_setup_subscribe (Io                 *io,
                                  PiAmqpSubscription *sub,
                                  char              **connection_error);

G_END_DECLS
