/* pi-amqp-broker.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-broker.h"

G_BEGIN_DECLS

#define PI_AMQP_BROKER_DEFAULT_QUEUE_LENGTH 1000

#define PI_TYPE_AMQP_BROKER (pi_amqp_broker_get_type ())

G_DECLARE_FINAL_TYPE (PiAmqpBroker, pi_amqp_broker, PI, AMQP_BROKER, PiBroker)

PiBroker   *pi_amqp_broker_new          (const char    *url,
                                         guint          queue_length,
                                         GError       **error);
PiBroker   *pi_amqp_broker_new_shared   (const char    *url,
                                         guint          queue_length,
                                         GError       **error);
const char *pi_amqp_broker_get_location (PiAmqpBroker  *self);

G_END_DECLS
