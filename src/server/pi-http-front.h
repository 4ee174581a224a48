/* pi-http-front.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "pi-handover-stream.h"

G_BEGIN_DECLS

#define PI_HTTP_FRONT_DEFAULT_REQUEST_TIMEOUT 10.0
#define PI_HTTP_FRONT_DEFAULT_MAX_BODY        (8 * 1024 * 1024)
/* A request is read into one GByteArray, whose length is a guint. */
#define PI_HTTP_FRONT_MAX_BODY_LIMIT          (1024 * 1024 * 1024)
/* libsoup's own limit on a request's line and headers is 64 KiB in 3.2 and
 * 100 KiB in 3.6; beyond it, it closes the connection without an answer.
 * The front refuses longer heads itself, with 414 or 431. */
#define PI_HTTP_FRONT_MAX_REQUEST_HEAD        (64 * 1024)
/* The Retry-After of a 503 for a full server (--max-connections,
 * --max-sockets): long enough for a crowd not to come back at once. */
#define PI_HTTP_FRONT_RETRY_AFTER_FULL        10

/**
 * PiHttpFrontHeadersFunc:
 * @origin: (nullable): the request's Origin, if known
 * @headers: the headers of an answer the front writes itself
 * @user_data: the data given to pi_http_front_new()
 *
 * Adds the headers every answer has (CORS) to one of the front's own.
 */
typedef void (*PiHttpFrontHeadersFunc) (const char         *origin,
                                        SoupMessageHeaders *headers,
                                        gpointer            user_data);

#define PI_TYPE_HTTP_FRONT (pi_http_front_get_type ())

G_DECLARE_FINAL_TYPE (PiHttpFront, pi_http_front, PI, HTTP_FRONT, GObject)

PiHttpFront *pi_http_front_new                 (SoupServer             *soup,
                                                PiHttpFrontHeadersFunc  add_headers,
                                                gpointer                user_data);
void         pi_http_front_set_max_sockets     (PiHttpFront            *self,
                                                guint                   max_sockets);
void         pi_http_front_set_request_timeout (PiHttpFront            *self,
                                                double                  seconds);
void         pi_http_front_set_max_body        (PiHttpFront            *self,
                                                gsize                   bytes);
gboolean     pi_http_front_set_tls_files       (PiHttpFront            *self,
                                                const char             *cert_file,
                                                const char             *key_file,
                                                GError                **error);
gboolean     pi_http_front_listen              (PiHttpFront            *self,
                                                const char             *address,
                                                guint                   port,
                                                GError                **error);
gboolean     pi_http_front_is_listening        (PiHttpFront            *self);
char        *pi_http_front_get_base_address    (PiHttpFront            *self);
char        *pi_http_front_error_json          (const char             *message);
GBytes      *pi_http_front_format_error        (PiHttpFront            *self,
                                                guint                   status,
                                                guint                   retry_after,
                                                const char             *message,
                                                const char             *origin);
GSocket     *pi_http_front_get_message_socket  (PiHttpFront            *self,
                                                SoupServerMessage      *msg);
PiHandoverStream *pi_http_front_get_message_stream (PiHttpFront       *self,
                                                SoupServerMessage      *msg);

G_END_DECLS
