/* pi-server.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-broker.h"
#include "pi-http-front.h"

G_BEGIN_DECLS

#define PI_SERVER_DEFAULT_PING_INTERVAL  20.0
/* What a slow client is held before messages are dropped for it: ~200 ms of
 * a firehose client's traffic at 20,000 messages/s of ~1 KB. With 1,000 and
 * 1 MiB (~45 ms) bench-fanout's firehose clients lost messages in 2 of 6
 * quiet runs at 20,000/s, and in none of 4 alternating runs with these.
 * Events are shared by the clients they go to, so clients behind on the
 * same traffic hold it once. */
#define PI_SERVER_DEFAULT_QUEUE_LENGTH   4000
#define PI_SERVER_DEFAULT_CLIENT_BUFFER  (4 * 1024 * 1024)
#define PI_SERVER_DEFAULT_RESUME_WINDOW  30.0
#define PI_SERVER_DEFAULT_RESUME_BUFFER  (8 * 1024 * 1024)
#define PI_SERVER_DEFAULT_RESUME_HELD_BUFFER (256 * 1024 * 1024)
/* The Taskcluster web-server's: sockets live 6 hours, connection_init
 * comes within 10 seconds, pings every 30. */
#define PI_SERVER_DEFAULT_SOCKET_LIFETIME      (6 * 3600.0)
#define PI_SERVER_DEFAULT_WS_INIT_TIMEOUT      10.0
#define PI_SERVER_DEFAULT_WS_PING_INTERVAL     30.0

#define PI_TYPE_SERVER (pi_server_get_type ())

G_DECLARE_FINAL_TYPE (PiServer, pi_server, PI, SERVER, GObject)

PiServer    *pi_server_new                 (PiBroker     *broker);
PiBroker    *pi_server_get_broker          (PiServer     *self);
void         pi_server_set_cors_origins    (PiServer     *self,
                                            const char   *origins);
void         pi_server_set_ping_interval   (PiServer     *self,
                                            double        seconds);
void         pi_server_set_max_connections (PiServer     *self,
                                            guint         max_connections);
void         pi_server_set_queue_length    (PiServer     *self,
                                            guint         queue_length);
void         pi_server_set_client_buffer   (PiServer     *self,
                                            gsize         bytes);
void         pi_server_set_resume_window   (PiServer     *self,
                                            double        seconds,
                                            gsize         bytes);
void         pi_server_set_resume_held_buffer (PiServer  *self,
                                            gsize         bytes);
void         pi_server_set_socket_lifetime (PiServer     *self,
                                            double        seconds);
void         pi_server_set_websocket_init_timeout (PiServer *self,
                                            double        seconds);
void         pi_server_set_websocket_ping_interval (PiServer *self,
                                            double        seconds);
PiHttpFront *pi_server_get_front           (PiServer     *self);
gboolean     pi_server_listen              (PiServer     *self,
                                            const char   *address,
                                            guint         port,
                                            GError      **error);
char        *pi_server_get_base_url        (PiServer     *self);
guint        pi_server_get_n_connections   (PiServer     *self);
void         pi_server_shutdown            (PiServer     *self,
                                            const char   *reason);

G_END_DECLS
