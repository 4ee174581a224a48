/* pi-row-pacer.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PI_TYPE_ROW_PACER (pi_row_pacer_get_type ())

G_DECLARE_FINAL_TYPE (PiRowPacer, pi_row_pacer, PI, ROW_PACER, GObject)

PiRowPacer *pi_row_pacer_new        (void);
GListModel *pi_row_pacer_get_model  (PiRowPacer *self);
void        pi_row_pacer_set_model  (PiRowPacer *self,
                                     GListModel *model);
GtkWidget  *pi_row_pacer_get_widget (PiRowPacer *self);
void        pi_row_pacer_set_widget (PiRowPacer *self,
                                     GtkWidget  *widget);
guint       pi_row_pacer_get_n_held (PiRowPacer *self);

G_END_DECLS
