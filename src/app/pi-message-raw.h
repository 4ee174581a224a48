/* pi-message-raw.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-message.h"

G_BEGIN_DECLS

#define PI_TYPE_MESSAGE_RAW (pi_message_raw_get_type ())

G_DECLARE_FINAL_TYPE (PiMessageRaw, pi_message_raw, PI, MESSAGE_RAW, GtkWidget)

GtkWidget *pi_message_raw_new                (void);
void       pi_message_raw_set_message        (PiMessageRaw *self,
                                              PiMessage    *message);
char      *pi_message_raw_dup_text           (PiMessageRaw *self);
GtkWidget *pi_message_raw_get_notice         (PiMessageRaw *self);
char      *pi_message_raw_dup_message_text   (PiMessage    *message);

G_END_DECLS
