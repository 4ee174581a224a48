/* pi-broker-login.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-source.h"

G_BEGIN_DECLS

#define PI_TYPE_BROKER_LOGIN (pi_broker_login_get_type ())

G_DECLARE_FINAL_TYPE (PiBrokerLogin, pi_broker_login, PI, BROKER_LOGIN, GObject)

PiBrokerLogin *pi_broker_login_new              (void);
void           pi_broker_login_lookup_async     (PiBrokerLogin       *self,
                                                 const char          *server_url,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char          *pi_broker_login_lookup_finish    (PiBrokerLogin       *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
const char    *pi_broker_login_get_typed        (PiBrokerLogin       *self,
                                                 const char          *server_url);
void           pi_broker_login_set_typed        (PiBrokerLogin       *self,
                                                 const char          *server_url,
                                                 const char          *password);
void           pi_broker_login_drop_unchecked   (PiBrokerLogin       *self,
                                                 const char          *server_url);
void           pi_broker_login_source_changed   (PiBrokerLogin       *self,
                                                 PiSource            *source);

G_END_DECLS
