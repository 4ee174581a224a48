/* pi-span-cell.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PI_TYPE_SPAN_CELL (pi_span_cell_get_type ())

G_DECLARE_FINAL_TYPE (PiSpanCell, pi_span_cell, PI, SPAN_CELL, GtkWidget)

GtkWidget  *pi_span_cell_new                  (GtkWidget           *content,
                                               GtkColumnViewColumn *column);
GtkWidget  *pi_span_cell_get_content          (PiSpanCell          *self);
void        pi_span_cell_set_span_text        (PiSpanCell          *self,
                                               const char          *text,
                                               const char          *css_class);
const char *pi_span_cell_get_span_text        (PiSpanCell          *self);
GtkWidget  *pi_span_cell_get_span_label       (PiSpanCell          *self);
gboolean    pi_span_cell_get_spanning         (PiSpanCell          *self);

void        pi_span_cell_allow_spanning       (GtkColumnViewColumn *column);

G_END_DECLS
