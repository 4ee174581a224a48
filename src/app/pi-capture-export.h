/* pi-capture-export.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-capture.h"

G_BEGIN_DECLS

void      pi_capture_export_async      (GFile                 *file,
                                        GPtrArray             *messages,
                                        PiCaptureProgressFunc  progress,
                                        gpointer               progress_data,
                                        GCancellable          *cancellable,
                                        GAsyncReadyCallback    callback,
                                        gpointer               user_data);
gboolean  pi_capture_export_finish     (GAsyncResult          *result,
                                        guint                 *n_written,
                                        guint                 *n_left_out,
                                        GError               **error);

/* How the windows name files and counts in what they say. */
char     *pi_capture_file_display_name (GFile                 *file);
char     *pi_capture_format_count      (guint                  n);

G_END_DECLS
