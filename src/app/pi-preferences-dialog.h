/* pi-preferences-dialog.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PI_TYPE_PREFERENCES_DIALOG (pi_preferences_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PiPreferencesDialog, pi_preferences_dialog, PI, PREFERENCES_DIALOG, AdwPreferencesDialog)

PiPreferencesDialog *pi_preferences_dialog_new (GSettings *settings);

G_END_DECLS
