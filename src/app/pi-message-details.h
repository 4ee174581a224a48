/* pi-message-details.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-message.h"

G_BEGIN_DECLS

#define PI_TYPE_MESSAGE_DETAILS (pi_message_details_get_type ())

G_DECLARE_FINAL_TYPE (PiMessageDetails, pi_message_details, PI, MESSAGE_DETAILS, GtkWidget)

GtkWidget     *pi_message_details_new              (void);
PiMessage     *pi_message_details_get_message      (PiMessageDetails *self);
void           pi_message_details_set_message      (PiMessageDetails *self,
                                                    PiMessage        *message);

/* For tests: what the user sees. */
const char    *pi_message_details_get_visible_page (PiMessageDetails *self);
const char    *pi_message_details_get_field        (PiMessageDetails *self,
                                                    const char       *name);
GListModel    *pi_message_details_get_tree_model   (PiMessageDetails *self);
char          *pi_message_details_dup_raw_text     (PiMessageDetails *self);
const char    *pi_message_details_get_error_text   (PiMessageDetails *self);
const char    *pi_message_details_get_view         (PiMessageDetails *self);
const char    *pi_message_details_get_status_text  (PiMessageDetails *self);
GtkWidget     *pi_message_details_get_raw_notice   (PiMessageDetails *self);

G_END_DECLS
