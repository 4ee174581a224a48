/* pi-embedded-broker.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-broker.h"

G_BEGIN_DECLS

#define PI_TYPE_EMBEDDED_BROKER (pi_embedded_broker_get_type ())

G_DECLARE_FINAL_TYPE (PiEmbeddedBroker, pi_embedded_broker, PI, EMBEDDED_BROKER, PiBroker)

PiBroker *pi_embedded_broker_new                   (void);
guint     pi_embedded_broker_get_n_subscriptions   (PiEmbeddedBroker *self);
guint64   pi_embedded_broker_get_n_published       (PiEmbeddedBroker *self);

G_END_DECLS
