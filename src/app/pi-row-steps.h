/* pi-row-steps.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PiRowSteps PiRowSteps;

/* Whether @row, a position in the list shown from, is the row to keep in
 * place (the selected one). */
typedef gboolean (*PiRowStepsKeptFunc) (guint    row,
                                        gpointer user_data);

PiRowSteps *pi_row_steps_new         (GArray             *old_rows,
                                      guint               old_len,
                                      GArray             *new_rows,
                                      guint               new_len,
                                      gboolean            following,
                                      PiRowStepsKeptFunc  is_kept,
                                      gpointer            user_data);
void        pi_row_steps_free        (PiRowSteps         *self);
guint       pi_row_steps_get_n_steps (PiRowSteps         *self);
GArray     *pi_row_steps_dup_rows    (PiRowSteps         *self,
                                      guint               step);
void        pi_row_steps_get_change  (PiRowSteps         *self,
                                      guint               step,
                                      guint              *position,
                                      guint              *removed,
                                      guint              *added);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiRowSteps, pi_row_steps_free)

G_END_DECLS
