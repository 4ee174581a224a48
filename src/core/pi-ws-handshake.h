/* pi-ws-handshake.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

void                     pi_ws_handshake_async  (GUri                 *uri,
                                                 const char           *protocol,
                                                 const char           *user_agent,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
SoupWebsocketConnection *pi_ws_handshake_finish (GAsyncResult         *result,
                                                 guint                *status,
                                                 char                **reason_phrase,
                                                 SoupMessageHeaders  **response_headers,
                                                 GError              **error);

G_END_DECLS
