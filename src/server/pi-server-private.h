/* pi-server-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "pi-server.h"

G_BEGIN_DECLS

/*
 * PiServer spans five files: pi-server.c (the SoupServer, routes, CORS,
 * connect and ping, options), pi-server-accept.c (accepting connections,
 * within --max-sockets), pi-server-conn.c (the connection front: reading
 * each request whole under a deadline and size limits, then handing it to
 * libsoup), pi-server-client.c (one SSE stream: its
 * queue, flow control, dropped accounting, hang-up and end) and
 * pi-server-publish.c (the POST /publish extension).
 */

/* libsoup's own limit on a request's line and headers is 64 KiB in 3.2 and
 * 100 KiB in 3.6; beyond it, it closes the connection without an answer.
 * The front refuses longer heads itself, with 414 or 431. */
#define PI_SERVER_MAX_REQUEST_HEAD  (64 * 1024)

/* The Retry-After of a 503 for a full server (--max-connections,
 * --max-sockets): long enough for a crowd not to come back at once. */
#define PI_SERVER_RETRY_AFTER_FULL  10

typedef struct _PiServerClient PiServerClient;
typedef struct _PiServerConn PiServerConn;

struct _PiServer
{
  GObject          parent_instance;

  SoupServer      *soup;
  PiBroker        *broker;
  GSocket         *listener;
  GSource         *accept_source;
  guint            accept_pause_source;
  gboolean         out_of_descriptors;
  GQueue           conns;           /* of PiServerConn: every client connection */
  GQueue           refusals;        /* of PiServerConn: 503s past --max-sockets, lingering */
  GQueue           clients;         /* of PiServerClient, linked through their own GList */
  char           **origins;
  GTlsCertificate *tls_certificate;
  GBytes          *ready_event;
  double           ping_interval;
  guint            ping_source;
  guint            max_connections;
  guint            max_sockets;
  guint            max_sockets_effective;
  double           request_timeout;
  gsize            max_body;
  guint            queue_length;
  gsize            client_buffer;
  gint64           started_at;
  gboolean         shutting_down;
};

/* pi-server.c */
void pi_server_respond_json       (SoupServerMessage *msg,
                                   guint              status,
                                   const char        *json);
void pi_server_respond_error      (SoupServerMessage *msg,
                                   guint              status,
                                   const char        *message);
char *pi_server_error_json        (const char        *message);
void pi_server_set_cors_headers   (PiServer           *self,
                                   const char         *origin,
                                   SoupMessageHeaders *headers);

/* pi-server-accept.c */
void     pi_server_accept_start       (PiServer          *self);
void     pi_server_accept_stop        (PiServer          *self);

/* pi-server-conn.c */
void     pi_server_conn_start         (PiServer          *self,
                                       GSocket           *socket);
void     pi_server_conn_refuse_full   (PiServer          *self,
                                       GSocket           *socket);
void     pi_server_conn_close_all     (PiServer          *self);
GBytes  *pi_server_format_error       (PiServer          *self,
                                       guint              status,
                                       guint              retry_after,
                                       const char        *message,
                                       const char        *origin);
GSocket *pi_server_get_message_socket (PiServer          *self,
                                       SoupServerMessage *msg);

/* pi-server-publish.c */
void pi_server_handle_publish     (PiServer          *self,
                                   SoupServerMessage *msg);

/* pi-server-client.c */
void pi_server_client_start       (PiServer          *server,
                                   SoupServerMessage *msg,
                                   const char        *bindings_json);
void pi_server_client_ping        (PiServerClient    *client,
                                   GBytes            *event);
void pi_server_client_end         (PiServerClient    *client,
                                   const char        *error_text);
void pi_server_client_unsubscribe (PiServerClient    *client);
void pi_server_client_finish      (PiServerClient    *client);

G_END_DECLS
