/* pi-fixture-server.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A loopback HTTP server for tests that answers each connection with an
 * exact byte script: writes (optionally split into small pieces with a
 * delay between them), pauses, and how the connection ends. Connection N
 * gets script N; the last script answers every later connection. It runs
 * on its own threads, so the test may block or run any main loop.
 */

/* What the client tests script: the data of two `message` events as the
 * events service sends them, and its `ready` event. */
#define PAYLOAD_1 "{\"status\":{\"taskId\":\"fQ2\",\"state\":\"completed\"},\"runId\":0}"
#define MESSAGE_1 "{\"payload\":" PAYLOAD_1 "," \
                  "\"exchange\":\"exchange/taskcluster-queue/v1/task-completed\"," \
                  "\"routingKey\":\"primary.fQ2.0.wg.wid.prov.wtype.sched.group._\"," \
                  "\"redelivered\":false,\"routes\":[\"index.project.foo.latest\",\"tc-treeherder.v2.try\"]}"
#define MESSAGE_2 "{\"payload\":{\"n\":2},\"exchange\":\"exchange/x/v1/two\",\"routingKey\":\"two\"," \
                  "\"redelivered\":true,\"routes\":[]}"
#define READY     "event: ready\ndata: {}\nid: -\n\n"

typedef struct _PiFixtureServer   PiFixtureServer;
typedef struct _PiFixtureResponse PiFixtureResponse;

PiFixtureResponse *pi_fixture_response_new        (void);
PiFixtureResponse *pi_fixture_response_new_sse    (void);
PiFixtureResponse *pi_fixture_response_new_status (guint               status,
                                                   const char         *reason,
                                                   const char         *content_type,
                                                   const char         *body);
void               pi_fixture_response_write      (PiFixtureResponse  *self,
                                                   const char         *bytes,
                                                   gssize              len);
void               pi_fixture_response_write_split (PiFixtureResponse *self,
                                                   const char         *bytes,
                                                   gssize              len,
                                                   gsize               piece,
                                                   guint               delay_ms);
void               pi_fixture_response_sleep      (PiFixtureResponse  *self,
                                                   guint               ms);
void               pi_fixture_response_hold       (PiFixtureResponse  *self);
void               pi_fixture_response_set_no_request (PiFixtureResponse *self);
void               pi_fixture_response_free       (PiFixtureResponse  *self);

PiFixtureServer   *pi_fixture_server_new          (void);
void               pi_fixture_server_add          (PiFixtureServer    *self,
                                                   PiFixtureResponse  *response);
char              *pi_fixture_server_get_url      (PiFixtureServer    *self);
guint16            pi_fixture_server_get_port     (PiFixtureServer    *self);
guint              pi_fixture_server_get_n_requests (PiFixtureServer  *self);
char              *pi_fixture_server_dup_request  (PiFixtureServer    *self,
                                                   guint               index);
guint              pi_fixture_server_get_n_closed (PiFixtureServer    *self);
void               pi_fixture_server_free         (PiFixtureServer    *self);

guint16            pi_fixture_closed_port         (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiFixtureServer, pi_fixture_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiFixtureResponse, pi_fixture_response_free)

G_END_DECLS
