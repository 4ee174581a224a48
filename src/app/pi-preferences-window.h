/* pi-preferences-window.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PI_TYPE_PREFERENCES_WINDOW (pi_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (PiPreferencesWindow, pi_preferences_window, PI, PREFERENCES_WINDOW, AdwPreferencesWindow)

PiPreferencesWindow *pi_preferences_window_new (GSettings *settings);

G_END_DECLS
