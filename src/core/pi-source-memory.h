/* pi-source-memory.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-source-private.h"

G_BEGIN_DECLS

#define PI_SOURCE_MEMORY_MAX_ROOTS 100

PiSourceProtocol pi_source_memory_recall   (const char       *root_key);
void             pi_source_memory_remember (const char       *root_key,
                                            PiSourceProtocol  protocol);
void             pi_source_memory_forget   (const char       *root_key);

G_END_DECLS
