/* pi-http-front-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-http-front.h"

G_BEGIN_DECLS

/*
 * PiHttpFront spans two files: pi-http-front.c (the listener, accepting
 * within --max-sockets, the limits and the answers the front writes
 * itself) and pi-http-front-conn.c (one client connection: its request
 * read whole under a deadline and size limits, then handed to libsoup, or
 * refused). pi-http-head.c reads a request head for the latter.
 */

typedef struct _PiHttpFrontConn PiHttpFrontConn;

struct _PiHttpFront
{
  GObject                 parent_instance;

  SoupServer             *soup;
  PiHttpFrontHeadersFunc  add_headers;
  gpointer                add_headers_data;
  GSocket                *listener;
  GSource                *accept_source;
  guint                   accept_pause_source;
  gboolean                out_of_descriptors;
  GQueue                  conns;      /* of PiHttpFrontConn: every client connection */
  GQueue                  refusals;   /* of PiHttpFrontConn: 503s past --max-sockets, lingering */
  GTlsCertificate        *tls_certificate;
  guint                   max_sockets;
  guint                   max_sockets_effective;
  gboolean                near_limit;  /* warned: past 90% of max_sockets_effective */
  double                  request_timeout;
  gsize                   max_body;
};

/* pi-http-front-conn.c */
void     pi_http_front_conn_start       (PiHttpFront       *self,
                                         GSocket           *socket);
void     pi_http_front_conn_refuse_full (PiHttpFront       *self,
                                         GSocket           *socket);
void     pi_http_front_conn_close_all   (PiHttpFront       *self);
void     pi_http_front_check_limit      (PiHttpFront       *self);
GSocket *pi_http_front_conn_get_socket  (SoupServerMessage *msg);
PiHandoverStream *pi_http_front_conn_get_handover (SoupServerMessage *msg);

G_END_DECLS
