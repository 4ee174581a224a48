/* pi-ws-subscriptions.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-server-private.h"

G_BEGIN_DECLS

/*
 * The subscriptions of one client of the plain WebSocket endpoints
 * (pi-server-ws.c): each a broker subscription, or a resumable one's
 * PiServerSession; their acks in the order of the subscribes, their
 * messages, and what they lost (`dropped`). The socket owns the set and
 * frees it when it goes; the set borrows the socket to send its frames
 * and to close it (a client too slow to read, a broker lost).
 */

typedef struct _PiWsSubscriptions PiWsSubscriptions;

PiWsSubscriptions *pi_ws_subscriptions_new             (PiServer          *server,
                                                        PiServerWs        *ws,
                                                        const char        *peer);
void               pi_ws_subscriptions_free            (PiWsSubscriptions *set,
                                                        gboolean           end_sessions);
void               pi_ws_subscriptions_subscribe       (PiWsSubscriptions *set,
                                                        PiWsRequest       *request);
void               pi_ws_subscriptions_unsubscribe     (PiWsSubscriptions *set,
                                                        const char        *id);
void               pi_ws_subscriptions_unsubscribe_all (PiWsSubscriptions *set);
guint64            pi_ws_subscriptions_get_n_sent      (PiWsSubscriptions *set);
guint64            pi_ws_subscriptions_get_n_dropped   (PiWsSubscriptions *set);

G_END_DECLS
