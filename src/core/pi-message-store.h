/* pi-message-store.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message.h"

G_BEGIN_DECLS

#define PI_MESSAGE_STORE_DEFAULT_CAPACITY 10000
#define PI_MESSAGE_STORE_MAX_CAPACITY     1000000

#define PI_TYPE_MESSAGE_STORE (pi_message_store_get_type ())

G_DECLARE_FINAL_TYPE (PiMessageStore, pi_message_store, PI, MESSAGE_STORE, GObject)

PiMessageStore *pi_message_store_new          (guint            capacity);
guint           pi_message_store_get_capacity (PiMessageStore  *self);
void            pi_message_store_set_capacity (PiMessageStore  *self,
                                               guint            capacity);
void            pi_message_store_append       (PiMessageStore  *self,
                                               PiMessage      **messages,
                                               guint            n_messages);
void            pi_message_store_clear        (PiMessageStore  *self);
guint64         pi_message_store_get_received (PiMessageStore  *self);
guint64         pi_message_store_get_evicted  (PiMessageStore  *self);

G_END_DECLS
