/* pi-add-binding-dialog.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pi-binding.h"

G_BEGIN_DECLS

#define PI_TYPE_ADD_BINDING_DIALOG (pi_add_binding_dialog_get_type ())

G_DECLARE_FINAL_TYPE (PiAddBindingDialog, pi_add_binding_dialog, PI, ADD_BINDING_DIALOG, AdwDialog)

PiAddBindingDialog *pi_add_binding_dialog_new                (GListModel         *existing);

/* The draft's widgets, for the UI tests. */
GtkEditable        *pi_add_binding_dialog_get_exchange_entry (PiAddBindingDialog *self);
GtkEditable        *pi_add_binding_dialog_get_pattern_entry  (PiAddBindingDialog *self);
GtkWidget          *pi_add_binding_dialog_get_add_button     (PiAddBindingDialog *self);
const char         *pi_add_binding_dialog_get_error_text     (PiAddBindingDialog *self);
const char         *pi_add_binding_dialog_get_hint_text      (PiAddBindingDialog *self);
GPtrArray          *pi_add_binding_dialog_get_field_entries  (PiAddBindingDialog *self);
GtkWidget          *pi_add_binding_dialog_get_completion     (PiAddBindingDialog *self);

G_END_DECLS
