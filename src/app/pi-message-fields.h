/* pi-message-fields.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-message.h"

G_BEGIN_DECLS

#define PI_TYPE_MESSAGE_FIELDS (pi_message_fields_get_type ())

G_DECLARE_FINAL_TYPE (PiMessageFields, pi_message_fields, PI, MESSAGE_FIELDS, GtkWidget)

GtkWidget  *pi_message_fields_new         (void);
PiMessage  *pi_message_fields_get_message (PiMessageFields *self);
void        pi_message_fields_set_message (PiMessageFields *self,
                                           PiMessage       *message);
const char *pi_message_fields_get_field   (PiMessageFields *self,
                                           const char      *name);

G_END_DECLS
