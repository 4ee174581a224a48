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
  /* Set by pi_test_rabbit_start_tls () only; see tests/rabbitmq-node. */
  gboolean                 tls;
  char                    *amqps_url;             /* amqps://guest:guest@localhost:PORT/ */
  char                    *amqps_wrong_host_url;  /* amqps://guest:guest@127.0.0.1:PORT/ */
  char                    *tls_ca_file;           /* the CA that signed the node's certificates */
  char                    *tls_unknown_ca_file;   /* a CA that signed none of them */
} PiTestRabbit;

void pi_test_rabbit_start   (PiTestRabbit *rabbit,
                             const char   *source_root,
                             const char   *exchange);
void pi_test_rabbit_stop    (PiTestRabbit *rabbit);
/* Has the broker end every connection but the publisher's, as a broker
 * restart or a network cut ends a server's own. */
void pi_test_rabbit_close_others (PiTestRabbit *rabbit);
/* rabbitmqctl against the node (NULL-terminated arguments); its stdout. */
char *pi_test_rabbit_ctl    (PiTestRabbit *rabbit,
                             const char   *first_arg,
                             ...) G_GNUC_NULL_TERMINATED;
/* A user on vhost "/" with these permission patterns (configure, write,
 * read), as PulseGuardian makes them. */
void pi_test_rabbit_add_user (PiTestRabbit *rabbit,
                              const char   *user,
                              const char   *password,
                              const char   *configure,
                              const char   *write,
                              const char   *read);
/* Kills the node hard (a crash, to its clients), and starts it again on the
 * same port; the publisher connects again and declares the exchange. */
void pi_test_rabbit_kill    (PiTestRabbit *rabbit);
void pi_test_rabbit_restart (PiTestRabbit *rabbit);
/* Publishes to the exchange as Taskcluster does: @cc (nullable) as the CC
 * header's one entry, e.g. "route.index.foo". */
void pi_test_rabbit_publish (PiTestRabbit *rabbit,
                             const char   *routing_key,
                             const char   *cc,
                             const char   *payload);

/* As pi_test_rabbit_start (), with a TLS listener too, whose certificates
 * the node's script made: a client that trusts tls_ca_file must succeed
 * with amqps_url, and refuse amqps_wrong_host_url (a certificate for
 * another name from the same CA) and amqps_url when it trusts
 * tls_unknown_ca_file instead (or the system's CAs). The publisher stays
 * on the plain port. */
void  pi_test_rabbit_start_tls             (PiTestRabbit *rabbit,
                                            const char   *source_root,
                                            const char   *exchange);
/* The node's client connections that came over TLS: a refused client must
 * leave none. */
guint pi_test_rabbit_count_tls_connections (PiTestRabbit *rabbit);

G_END_DECLS
