/* pi-application.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The schema id stays the same in development builds; only the app id changes. */
#define PI_SETTINGS_SCHEMA_ID "io.github.pulseinspector.PulseInspector"

#define PI_TYPE_APPLICATION (pi_application_get_type ())

G_DECLARE_FINAL_TYPE (PiApplication, pi_application, PI, APPLICATION, AdwApplication)

PiApplication *pi_application_new          (void);
GSettings     *pi_application_get_settings (PiApplication *self);

G_END_DECLS
