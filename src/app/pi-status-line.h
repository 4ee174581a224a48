/* pi-status-line.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message-feed.h"
#include "pi-source.h"
#include "pi-source-starter.h"

G_BEGIN_DECLS

#define PI_TYPE_STATUS_LINE (pi_status_line_get_type ())

G_DECLARE_FINAL_TYPE (PiStatusLine, pi_status_line, PI, STATUS_LINE, GObject)

PiStatusLine *pi_status_line_new            (PiSource        *source,
                                             PiMessageFeed   *feed,
                                             PiSourceStarter *starter);
void          pi_status_line_set_server_url (PiStatusLine    *self,
                                             const char      *server_url);
const char   *pi_status_line_get_title      (PiStatusLine    *self);
const char   *pi_status_line_get_subtitle   (PiStatusLine    *self);
const char   *pi_status_line_get_narrow_subtitle (PiStatusLine *self);
double        pi_status_line_get_rate       (PiStatusLine    *self);
gboolean      pi_status_line_get_lost       (PiStatusLine    *self);
char         *pi_status_line_describe_loss  (PiSource        *source,
                                             gboolean         narrow);

G_END_DECLS
