/* pi-topic.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean pi_topic_match (const char *pattern,
                         const char *routing_key);

G_END_DECLS
