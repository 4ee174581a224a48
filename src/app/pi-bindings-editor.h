/* pi-bindings-editor.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-binding.h"

G_BEGIN_DECLS

#define PI_TYPE_BINDINGS_EDITOR (pi_bindings_editor_get_type ())

G_DECLARE_FINAL_TYPE (PiBindingsEditor, pi_bindings_editor, PI, BINDINGS_EDITOR, GtkWidget)

GListModel  *pi_bindings_editor_get_model         (PiBindingsEditor *self);
gboolean     pi_bindings_editor_add               (PiBindingsEditor *self,
                                                   PiBinding        *binding);
guint        pi_bindings_editor_add_all           (PiBindingsEditor *self,
                                                   GPtrArray        *bindings);
void         pi_bindings_editor_set_bindings      (PiBindingsEditor *self,
                                                   GPtrArray        *bindings);
void         pi_bindings_editor_remove            (PiBindingsEditor *self,
                                                   guint             position);

/* The draft binding's widgets, for the UI tests. */
GtkEditable *pi_bindings_editor_get_exchange_entry (PiBindingsEditor *self);
GtkEditable *pi_bindings_editor_get_pattern_entry  (PiBindingsEditor *self);
GtkWidget   *pi_bindings_editor_get_add_button     (PiBindingsEditor *self);
const char  *pi_bindings_editor_get_error_text     (PiBindingsEditor *self);
GPtrArray   *pi_bindings_editor_get_field_entries  (PiBindingsEditor *self);
GtkListBox  *pi_bindings_editor_get_list           (PiBindingsEditor *self);
GtkWidget   *pi_bindings_editor_get_completion     (PiBindingsEditor *self);

G_END_DECLS
