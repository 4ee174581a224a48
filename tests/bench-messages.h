/* bench-messages.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How a message names its routes: events v1 says "routes" (without the
 * "route." prefix), the Taskcluster web-server says "cc" (with it). */
typedef enum {
  BENCH_ROUTES_EVENTS_V1,
  BENCH_ROUTES_CC,
} BenchRoutes;

void bench_append_message (GString     *out,
                           GRand       *rand,
                           guint        i,
                           BenchRoutes  routes);

G_END_DECLS
