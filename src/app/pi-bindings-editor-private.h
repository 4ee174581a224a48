/* pi-bindings-editor-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pi-bindings-editor.h"
#include "pi-catalog.h"

G_BEGIN_DECLS

/* The editor spans pi-bindings-editor.c (draft, validation, list, builder)
 * and pi-bindings-editor-completion.c (the exchange completion). */
struct _PiBindingsEditor
{
  GtkWidget                parent_instance;

  /* Template widgets */
  GtkWidget               *box;
  AdwEntryRow             *exchange_row;
  AdwEntryRow             *pattern_row;
  AdwExpanderRow          *fields_row;
  GtkLabel                *error_label;
  GtkWidget               *add_button;
  GtkListBox              *list_box;
  GtkPopover              *completion;
  GtkListBox              *completion_list;

  /* Owned */
  GListStore              *bindings;
  GPtrArray               *field_rows;     /* AdwEntryRow, one per catalog word */

  /* Borrowed */
  PiCatalog               *catalog;
  const PiCatalogExchange *fields_exchange; /* the exchange the field rows are for */

  guint                    choosing : 1;
};

void pi_bindings_editor_init_completion     (PiBindingsEditor *self);
void pi_bindings_editor_update_completion   (PiBindingsEditor *self);
void pi_bindings_editor_position_completion (PiBindingsEditor *self);

G_END_DECLS
