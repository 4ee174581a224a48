/* pi-capture-window.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pi-message-store.h"

G_BEGIN_DECLS

#define PI_TYPE_CAPTURE_WINDOW (pi_capture_window_get_type ())

G_DECLARE_FINAL_TYPE (PiCaptureWindow, pi_capture_window, PI, CAPTURE_WINDOW, AdwApplicationWindow)

PiCaptureWindow *pi_capture_window_open               (GtkApplication  *application,
                                                       GFile           *file,
                                                       GtkWindow       *parent);
void             pi_capture_window_show_open_error    (GtkApplication  *application,
                                                       GtkWindow       *parent,
                                                       const char      *message);
void             pi_capture_window_add_drop_target    (GtkWindow       *window);
GFile           *pi_capture_window_get_file           (PiCaptureWindow *self);
gboolean         pi_capture_window_get_loading        (PiCaptureWindow *self);
PiMessageStore  *pi_capture_window_get_store          (PiCaptureWindow *self);
gboolean         pi_capture_window_get_busy           (PiCaptureWindow *self);
GPtrArray       *pi_capture_window_dup_shown_messages (PiCaptureWindow *self);
void             pi_capture_window_save               (PiCaptureWindow *self,
                                                       GFile           *file,
                                                       gboolean         shown_only);
void             pi_capture_window_export_json        (PiCaptureWindow *self,
                                                       GFile           *file,
                                                       gboolean         selected_only);

G_END_DECLS
