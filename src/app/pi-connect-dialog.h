/* pi-connect-dialog.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PI_TYPE_CONNECT_DIALOG (pi_connect_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PiConnectDialog, pi_connect_dialog, PI, CONNECT_DIALOG, AdwDialog)

#define PI_MAX_RECENT_SERVERS 8

PiConnectDialog *pi_connect_dialog_new           (GSettings       *settings);
void             pi_connect_dialog_choose        (PiConnectDialog *self,
                                                  const char      *server_url);
guint            pi_connect_dialog_get_n_recent  (PiConnectDialog *self);
GtkWidget       *pi_connect_dialog_get_current_row (PiConnectDialog *self);
gboolean         pi_connect_dialog_get_can_connect_url (PiConnectDialog *self);
void             pi_connect_dialog_remember      (GSettings       *settings,
                                                  const char      *server_url);

G_END_DECLS
