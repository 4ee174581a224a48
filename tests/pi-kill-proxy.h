/* pi-kill-proxy.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A TCP relay on loopback whose connections a test can cut at any moment,
 * the way a dead network or a restarted proxy cuts them: a reset on both
 * sides, no goodbye. Runs on the thread-default main context it was made on. */
typedef struct _PiKillProxy PiKillProxy;

PiKillProxy *pi_kill_proxy_new        (guint16      target_port);
guint16      pi_kill_proxy_get_port   (PiKillProxy *self);
guint        pi_kill_proxy_kill_all   (PiKillProxy *self);
guint        pi_kill_proxy_get_n_open (PiKillProxy *self);
void         pi_kill_proxy_free       (PiKillProxy *self);

G_END_DECLS
