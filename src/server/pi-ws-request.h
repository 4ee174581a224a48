/* pi-ws-request.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bindings in one subscribe, as the Taskcluster web-server allows. */
#define PI_WS_MAX_BINDINGS 100

#define PI_WS_REQUEST_ERROR (pi_ws_request_error_quark ())

/**
 * PiWsRequestError:
 * @PI_WS_REQUEST_ERROR_INVALID: not a JSON object with a string `type`
 * @PI_WS_REQUEST_ERROR_UNKNOWN_TYPE: a `type` the endpoint does not know
 * @PI_WS_REQUEST_ERROR_BAD_SUBSCRIBE: a subscribe or unsubscribe that is
 *   not well formed
 */
typedef enum
{
  PI_WS_REQUEST_ERROR_INVALID,
  PI_WS_REQUEST_ERROR_UNKNOWN_TYPE,
  PI_WS_REQUEST_ERROR_BAD_SUBSCRIBE,
} PiWsRequestError;

typedef enum
{
  PI_WS_ENDPOINT_RAW,    /* /subscription/raw: bindings */
  PI_WS_ENDPOINT_NAMED,  /* /subscription/named: queue event names */
} PiWsEndpoint;

typedef enum
{
  PI_WS_REQUEST_INIT,
  PI_WS_REQUEST_SUBSCRIBE,
  PI_WS_REQUEST_UNSUBSCRIBE,
} PiWsRequestType;

typedef struct
{
  PiWsRequestType  type;
  char            *authorization;    /* init: the `authorization`, or NULL */
  gboolean         resume;           /* init, subscribe: `"resume": true` or (subscribe) a string */
  char            *resume_from;      /* subscribe: `"resume": "SESSION:SEQ"`, or NULL */
  GPtrArray       *bindings;         /* subscribe: of PiBinding, 1 to PI_WS_MAX_BINDINGS */
  char            *subscription_id;  /* unsubscribe */
} PiWsRequest;

GQuark       pi_ws_request_error_quark (void);
PiWsRequest *pi_ws_request_parse       (PiWsEndpoint  endpoint,
                                        const char   *text,
                                        gsize         length,
                                        GError      **error);
void         pi_ws_request_free        (PiWsRequest  *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiWsRequest, pi_ws_request_free)

G_END_DECLS
