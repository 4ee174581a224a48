/* pi-rabbit-test.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A private RabbitMQ node for the integration tests (tests/rabbitmq-node,
 * on free loopback ports) with one topic exchange declared and a publisher
 * connection. The node stops, and its directory goes, when this process
 * ends, however it ends. Failures abort the test (g_assert). */

#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <rabbitmq-c/amqp.h>

G_BEGIN_DECLS

typedef struct
{
  char                    *script;     /* tests/rabbitmq-node */
  char                    *dir;
  char                    *amqp_url;   /* amqp://guest:guest@127.0.0.1:PORT/ */
  char                    *exchange;
  GSubprocess             *guardian;
  amqp_connection_state_t  publisher;
} PiTestRabbit;

void pi_test_rabbit_start   (PiTestRabbit *rabbit,
                             const char   *source_root,
                             const char   *exchange);
void pi_test_rabbit_stop    (PiTestRabbit *rabbit);
/* Has the broker end every connection but the publisher's, as a broker
 * restart or a network cut ends a server's own. */
void pi_test_rabbit_close_others (PiTestRabbit *rabbit);
/* Publishes to the exchange as Taskcluster does: @cc (nullable) as the CC
 * header's one entry, e.g. "route.index.foo". */
void pi_test_rabbit_publish (PiTestRabbit *rabbit,
                             const char   *routing_key,
                             const char   *cc,
                             const char   *payload);

G_END_DECLS
