/* pi-credentials.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void      pi_credentials_store_async   (const char           *server_url,
                                        const char           *client_id,
                                        const char           *access_token,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean  pi_credentials_store_finish  (GAsyncResult         *result,
                                        GError              **error);
void      pi_credentials_lookup_async  (const char           *server_url,
                                        const char           *client_id,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
char     *pi_credentials_lookup_finish (GAsyncResult         *result,
                                        GError              **error);
void      pi_credentials_clear_async   (const char           *server_url,
                                        const char           *client_id,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean  pi_credentials_clear_finish  (GAsyncResult         *result,
                                        GError              **error);
guint     pi_credentials_get_token_changes (const char     *server_url,
                                            const char     *client_id);

/* A broker's password, per server and user (see pi-deployments.h for the
 * amqp:// and amqps:// URLs these take). */
void      pi_credentials_store_password_async   (const char           *broker_url,
                                                 const char           *password,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean  pi_credentials_store_password_finish  (GAsyncResult         *result,
                                                 GError              **error);
void      pi_credentials_lookup_password_async  (const char           *broker_url,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
char     *pi_credentials_lookup_password_finish (GAsyncResult         *result,
                                                 GError              **error);

G_END_DECLS
