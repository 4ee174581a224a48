/* pi-message-refs.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message.h"

G_BEGIN_DECLS

typedef struct _PiMessageRefs PiMessageRefs;

PiMessageRefs *pi_message_refs_new        (void);
void           pi_message_refs_free       (PiMessageRefs *self);
guint          pi_message_refs_get_n      (PiMessageRefs *self);
PiMessage     *pi_message_refs_get        (PiMessageRefs *self,
                                           guint          position);
void           pi_message_refs_update     (PiMessageRefs *self,
                                           GListModel    *model,
                                           guint          position,
                                           guint          removed,
                                           guint          added);
void           pi_message_refs_clear      (PiMessageRefs *self);
PiMessage    **pi_message_refs_begin_read (PiMessageRefs *self);
void           pi_message_refs_end_read   (PiMessageRefs *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiMessageRefs, pi_message_refs_free)

G_END_DECLS
