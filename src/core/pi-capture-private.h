/* pi-capture-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-capture.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
char *pi_capture_display_name (GFile *file);

/* A capture being read: load_sync() in pi-capture-reader.c drives it, the
 * line parsing in pi-capture-parse.c fills it.
 */
typedef struct
{
  GFile         *file;
  char          *name;        /* for messages */
  GPtrArray     *messages;
  PiCaptureInfo *info;
  GString       *scratch;
  guint64        last_seq;
  gint64         last_time;
  guint          n_bad_lines;
  guint64        first_bad_line;
  gboolean       truncated;
} Loader;

G_GNUC_INTERNAL
gboolean pi_capture_loader_add_line             (Loader         *loader,
                                                 const char     *line,
                                                 gsize           len);
G_GNUC_INTERNAL
gboolean pi_capture_loader_load_header          (Loader         *loader,
                                                 const char     *line,
                                                 gsize           len,
                                                 GError        **error);
G_GNUC_INTERNAL
gboolean pi_capture_loader_load_inspector_array (Loader         *loader,
                                                 GInputStream   *stream,
                                                 GCancellable   *cancellable,
                                                 GError        **error);

G_END_DECLS
