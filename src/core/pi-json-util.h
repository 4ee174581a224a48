/* pi-json-util.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void pi_json_append_string (GString    *out,
                            const char *str,
                            gssize      len);

G_END_DECLS
