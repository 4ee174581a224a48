/* pi-connection-bar.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-source.h"
#include "pi-message-store.h"

G_BEGIN_DECLS

#define PI_TYPE_CONNECTION_BAR (pi_connection_bar_get_type ())

G_DECLARE_FINAL_TYPE (PiConnectionBar, pi_connection_bar, PI, CONNECTION_BAR, GtkWidget)

PiSource  *pi_connection_bar_get_stream     (PiConnectionBar *self);
void            pi_connection_bar_set_stream     (PiConnectionBar *self,
                                                  PiSource   *stream);
PiMessageStore *pi_connection_bar_get_store      (PiConnectionBar *self);
void            pi_connection_bar_set_store      (PiConnectionBar *self,
                                                  PiMessageStore  *store);
double          pi_connection_bar_get_rate       (PiConnectionBar *self);
const char     *pi_connection_bar_get_state_text (PiConnectionBar *self);
const char     *pi_connection_bar_get_error_text (PiConnectionBar *self);
const char     *pi_connection_bar_get_activity_text (PiConnectionBar *self);
char           *pi_connection_bar_dup_summary    (PiConnectionBar *self);
void            pi_connection_bar_update         (PiConnectionBar *self);
void            pi_connection_bar_set_capture    (PiConnectionBar *self,
                                                  const char      *title,
                                                  const char      *detail);

G_END_DECLS
