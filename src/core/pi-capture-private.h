/* pi-capture-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
char *pi_capture_display_name (GFile *file);

G_END_DECLS
