/* pi-message-cells.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-message.h"

G_BEGIN_DECLS

/* The cells of the message table (pi-message-list.ui): each column's
 * GtkSignalListItemFactory names a setup_*_cell handler and the shared
 * bind_cell. Items are PiMessage. */
void                pi_message_cells_bind_template_callbacks (GtkWidgetClass *widget_class);
PiMessage          *pi_message_cells_get_message             (gpointer        item);
GtkListItemFactory *pi_message_cells_new_word_factory        (const char     *word);
char               *pi_message_cells_dup_marker_text         (PiMessage      *message);

G_END_DECLS
