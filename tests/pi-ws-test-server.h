/* pi-ws-test-server.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * A scriptable Taskcluster web-server for tests, on SoupServer in the
 * caller's main context: /subscription/raw (plain protocol) and
 * /subscription (graphql-ws), each of which can be switched off (the
 * upgrade is then refused with 404, as a deployment without it does).
 * A binding whose exchange contains "missing" is refused with an error
 * frame; every other subscription gets the configured number of messages.
 */

typedef struct _PiWsTestServer PiWsTestServer;

typedef struct
{
  gboolean  raw;              /* serve /subscription/raw */
  gboolean  graphql;          /* serve /subscription */
  guint     n_messages;       /* data frames per subscription */
  gsize     payload_size;     /* bytes of padding in each payload */
  gushort   refuse_code;      /* close with this code after init (0: ack) */
  const char *refuse_code_name; /* plain error code sent before that close */
  gboolean  no_ack;           /* never answer connection_init */
  gboolean  close_after_data; /* close with 4408 after the data */
  const char *extra_frame;    /* sent before the data, e.g. malformed JSON */
  GTlsCertificate *tls_certificate; /* serve https and wss with it (the URL is then https) */
  gboolean  ipv6;             /* listen on ::1 (the URL is then http://[::1]:PORT) */
  guint16   port;             /* listen on this port (0: any free one) */
} PiWsTestScript;

PiWsTestServer *pi_ws_test_server_new               (const PiWsTestScript *script);
char           *pi_ws_test_server_get_url           (PiWsTestServer       *self);
guint           pi_ws_test_server_get_n_connections (PiWsTestServer       *self);
guint           pi_ws_test_server_get_n_subscribes  (PiWsTestServer       *self);
guint           pi_ws_test_server_get_n_open        (PiWsTestServer       *self);
const char     *pi_ws_test_server_get_last_host     (PiWsTestServer       *self);
const char     *pi_ws_test_server_get_last_init     (PiWsTestServer       *self);
guint           pi_ws_test_server_get_n_requests    (PiWsTestServer       *self,
                                                     const char           *path);
guint16         pi_ws_test_server_get_port          (PiWsTestServer       *self);
void            pi_ws_test_server_free              (PiWsTestServer       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiWsTestServer, pi_ws_test_server_free)

G_END_DECLS
