/* pi-window.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pi-source.h"
#include "pi-message-store.h"

G_BEGIN_DECLS

#define PI_TYPE_WINDOW (pi_window_get_type ())

G_DECLARE_FINAL_TYPE (PiWindow, pi_window, PI, WINDOW, AdwApplicationWindow)

PiWindow       *pi_window_new             (GtkApplication *application);
gboolean        pi_window_get_busy        (PiWindow       *self);
GPtrArray      *pi_window_dup_shown_messages (PiWindow    *self);
void            pi_window_save_capture    (PiWindow       *self,
                                           GFile          *file,
                                           gboolean        shown_only);
void            pi_window_export_json     (PiWindow       *self,
                                           GFile          *file,
                                           gboolean        selected_only);
PiSource  *pi_window_get_stream      (PiWindow       *self);
PiMessageStore *pi_window_get_store       (PiWindow       *self);
GListModel     *pi_window_get_bindings    (PiWindow       *self);
void            pi_window_set_server_url  (PiWindow       *self,
                                           const char     *server_url);
gboolean        pi_window_add_binding     (PiWindow       *self,
                                           const char     *exchange,
                                           const char     *routing_key_pattern);
void            pi_window_set_bindings    (PiWindow       *self,
                                           GPtrArray      *bindings);
gboolean        pi_window_import_link     (PiWindow       *self,
                                           const char     *link,
                                           GError        **error);
char           *pi_window_dup_share_link  (PiWindow       *self);
void            pi_window_connect         (PiWindow       *self);
void            pi_window_disconnect      (PiWindow       *self);
void            pi_window_show_error      (PiWindow       *self,
                                           const char     *message);

GPtrArray      *pi_window_validate_bindings (GPtrArray    *bindings,
                                             GError      **error);

G_END_DECLS
