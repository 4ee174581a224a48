/* pi-capture.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message.h"

G_BEGIN_DECLS

#define PI_CAPTURE_FORMAT_NAME    "pulse-inspector-capture"
#define PI_CAPTURE_FORMAT_VERSION 1

#define PI_CAPTURE_ERROR (pi_capture_error_quark ())

typedef enum
{
  PI_CAPTURE_ERROR_NOT_A_CAPTURE,
  PI_CAPTURE_ERROR_UNSUPPORTED_VERSION,
  PI_CAPTURE_ERROR_CORRUPT,
} PiCaptureError;

/* Header of a capture: what was watched and when. */
typedef struct _PiCaptureInfo PiCaptureInfo;

GQuark          pi_capture_error_quark        (void);

PiCaptureInfo  *pi_capture_info_new           (const char     *server_url,
                                               GPtrArray      *bindings,
                                               GDateTime      *started);
PiCaptureInfo  *pi_capture_info_copy          (PiCaptureInfo  *info);
void            pi_capture_info_free          (PiCaptureInfo  *info);
const char     *pi_capture_info_get_server_url (PiCaptureInfo *info);
GPtrArray      *pi_capture_info_get_bindings  (PiCaptureInfo  *info);
GDateTime      *pi_capture_info_get_started   (PiCaptureInfo  *info);

/* Writing: one header line, then one line per message. */
char           *pi_capture_format_header      (PiCaptureInfo  *info);
char           *pi_capture_format_message     (PiMessage      *message);

typedef struct _PiCaptureWriter PiCaptureWriter;

PiCaptureWriter *pi_capture_writer_new        (GOutputStream  *stream,
                                               PiCaptureInfo  *info,
                                               GError        **error);
gboolean        pi_capture_writer_write       (PiCaptureWriter *self,
                                               PiMessage      *message,
                                               GError        **error);
gboolean        pi_capture_writer_close       (PiCaptureWriter *self,
                                               GError        **error);
void            pi_capture_writer_free        (PiCaptureWriter *self);

/* Reading: a capture, or the old web inspectors' JSON array download.
 * Runs in a thread; progress through the GCancellable-aware callback. */
typedef void (*PiCaptureProgressFunc) (guint64 done_bytes, guint64 total_bytes, gpointer user_data);

GPtrArray      *pi_capture_load               (GFile          *file,
                                               PiCaptureInfo **info,
                                               char          **warning,
                                               GCancellable   *cancellable,
                                               GError        **error);
void            pi_capture_load_async         (GFile          *file,
                                               GCancellable   *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer        user_data);
GPtrArray      *pi_capture_load_finish        (GFile          *file,
                                               GAsyncResult   *result,
                                               PiCaptureInfo **info,
                                               char          **warning,
                                               GError        **error);
void            pi_capture_save_async         (GFile          *file,
                                               PiCaptureInfo  *info,
                                               GPtrArray      *messages,
                                               PiCaptureProgressFunc progress,
                                               gpointer        progress_data,
                                               GCancellable   *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer        user_data);
gboolean        pi_capture_save_finish        (GAsyncResult   *result,
                                               GError        **error);

/* For other writers of whole files (the app's JSON export). */
GFileOutputStream *pi_capture_open_for_writing (GFile         *file,
                                               gboolean      *created,
                                               GCancellable  *cancellable,
                                               GError       **error);
const char     *pi_capture_write_error_reason (const GError   *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiCaptureInfo, pi_capture_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiCaptureWriter, pi_capture_writer_free)

G_END_DECLS
