/* pi-listen-writer.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message.h"
#include "pi-source.h"

G_BEGIN_DECLS

typedef struct _PiListenWriter PiListenWriter;

PiListenWriter *pi_listen_writer_new           (int               fd);
void            pi_listen_writer_free          (PiListenWriter   *self);
void            pi_listen_writer_add_message   (PiListenWriter   *self,
                                                PiMessage        *message);
void            pi_listen_writer_add_raw_event (PiListenWriter   *self,
                                                const PiRawEvent *raw);
gboolean        pi_listen_writer_flush         (PiListenWriter   *self,
                                                GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiListenWriter, pi_listen_writer_free)

G_END_DECLS
