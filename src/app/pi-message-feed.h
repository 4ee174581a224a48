/* pi-message-feed.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message-store.h"

G_BEGIN_DECLS

#define PI_TYPE_MESSAGE_FEED (pi_message_feed_get_type ())

G_DECLARE_FINAL_TYPE (PiMessageFeed, pi_message_feed, PI, MESSAGE_FEED, GObject)

PiMessageFeed *pi_message_feed_new                (PiMessageStore *store);
void           pi_message_feed_add                (PiMessageFeed  *self,
                                                   GPtrArray      *batch);
void           pi_message_feed_mark_switch        (PiMessageFeed  *self,
                                                   const char     *server);
gboolean       pi_message_feed_get_paused         (PiMessageFeed  *self);
void           pi_message_feed_set_paused         (PiMessageFeed  *self,
                                                   gboolean        paused);
guint          pi_message_feed_get_n_held         (PiMessageFeed  *self);
guint          pi_message_feed_clear              (PiMessageFeed  *self);
gboolean       pi_message_feed_undo_clear         (PiMessageFeed  *self);
void           pi_message_feed_forget_cleared     (PiMessageFeed  *self);
gboolean       pi_message_feed_get_can_undo_clear (PiMessageFeed  *self);

G_END_DECLS
