/* pi-source-starter.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-source.h"

G_BEGIN_DECLS

#define PI_TYPE_SOURCE_STARTER (pi_source_starter_get_type ())

G_DECLARE_FINAL_TYPE (PiSourceStarter, pi_source_starter, PI, SOURCE_STARTER, GObject)

PiSourceStarter *pi_source_starter_new                 (PiSource        *source);
void             pi_source_starter_start               (PiSourceStarter *self,
                                                        const char      *server_url,
                                                        GPtrArray       *bindings,
                                                        const char      *client_id);
void             pi_source_starter_start_with_password (PiSourceStarter *self,
                                                        const char      *server_url,
                                                        GPtrArray       *bindings,
                                                        const char      *password);
void             pi_source_starter_stop                (PiSourceStarter *self);
const char      *pi_source_starter_get_local_error     (PiSourceStarter *self);
gboolean         pi_source_starter_get_needs_password  (PiSourceStarter *self);

G_END_DECLS
