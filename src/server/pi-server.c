/* pi-server.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* PLACEHOLDER: being written. */
#include <glib.h>
