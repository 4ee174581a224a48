/* pi-capture-saver.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-capture.h"
#include "pi-message-list.h"

G_BEGIN_DECLS

#define PI_TYPE_CAPTURE_SAVER (pi_capture_saver_get_type ())

G_DECLARE_FINAL_TYPE (PiCaptureSaver, pi_capture_saver, PI, CAPTURE_SAVER, GtkWidget)

/* What the messages saved are a capture of (transfer full). */
typedef PiCaptureInfo *(*PiCaptureSaverInfoFunc) (gpointer user_data);

void        pi_capture_saver_attach         (PiCaptureSaver         *self,
                                             GActionMap             *actions,
                                             PiMessageList          *list,
                                             PiCaptureSaverInfoFunc  info_func,
                                             gpointer                info_data);
void        pi_capture_saver_set_ready      (PiCaptureSaver         *self,
                                             gboolean                ready);
gboolean    pi_capture_saver_get_busy       (PiCaptureSaver         *self);
GPtrArray  *pi_capture_saver_dup_shown      (PiCaptureSaver         *self);
void        pi_capture_saver_save           (PiCaptureSaver         *self,
                                             GFile                  *file,
                                             gboolean                shown_only);
void        pi_capture_saver_export         (PiCaptureSaver         *self,
                                             GFile                  *file,
                                             gboolean                selected_only);
void        pi_capture_saver_update_actions (PiCaptureSaver         *self);

G_END_DECLS
