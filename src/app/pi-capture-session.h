/* pi-capture-session.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-capture.h"
#include "pi-message-store.h"

G_BEGIN_DECLS

#define PI_TYPE_CAPTURE_SESSION (pi_capture_session_get_type ())

G_DECLARE_FINAL_TYPE (PiCaptureSession, pi_capture_session, PI, CAPTURE_SESSION, GObject)

PiCaptureSession *pi_capture_session_new          (GFile             *file,
                                                   guint              capacity);
GFile            *pi_capture_session_get_file     (PiCaptureSession  *self);
PiMessageStore   *pi_capture_session_get_store    (PiCaptureSession  *self);
PiCaptureInfo    *pi_capture_session_get_info     (PiCaptureSession  *self);
gboolean          pi_capture_session_get_loading  (PiCaptureSession  *self);
void              pi_capture_session_load_async   (PiCaptureSession  *self,
                                                   GCancellable      *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer           user_data);
gboolean          pi_capture_session_load_finish  (PiCaptureSession  *self,
                                                   GAsyncResult      *result,
                                                   guint             *n_read,
                                                   char             **warning,
                                                   GError           **error);

G_END_DECLS
