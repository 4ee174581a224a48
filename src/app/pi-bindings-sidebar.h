/* pi-bindings-sidebar.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pi-binding.h"

G_BEGIN_DECLS

#define PI_TYPE_BINDINGS_SIDEBAR (pi_bindings_sidebar_get_type ())

G_DECLARE_FINAL_TYPE (PiBindingsSidebar, pi_bindings_sidebar, PI, BINDINGS_SIDEBAR, GtkWidget)

GListModel  *pi_bindings_sidebar_get_model           (PiBindingsSidebar *self);
gboolean     pi_bindings_sidebar_add                 (PiBindingsSidebar *self,
                                                      PiBinding         *binding);
guint        pi_bindings_sidebar_add_all             (PiBindingsSidebar *self,
                                                      GPtrArray         *bindings);
void         pi_bindings_sidebar_set_bindings        (PiBindingsSidebar *self,
                                                      GPtrArray         *bindings);
void         pi_bindings_sidebar_restore_bindings    (PiBindingsSidebar *self,
                                                      GPtrArray         *bindings);
void         pi_bindings_sidebar_remove              (PiBindingsSidebar *self,
                                                      guint              position);
void         pi_bindings_sidebar_set_error           (PiBindingsSidebar *self,
                                                      PiBinding         *binding,
                                                      const char        *text);
AdwDialog   *pi_bindings_sidebar_show_add_dialog     (PiBindingsSidebar *self);
void         pi_bindings_sidebar_set_empty_told_elsewhere (PiBindingsSidebar *self,
                                                           gboolean           told);

/* For the UI tests. */
GtkListBox  *pi_bindings_sidebar_get_list            (PiBindingsSidebar *self);
GtkWidget   *pi_bindings_sidebar_get_empty_state     (PiBindingsSidebar *self);

G_END_DECLS
