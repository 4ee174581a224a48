/* pi-tail-model.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message.h"

G_BEGIN_DECLS

#define PI_TYPE_TAIL_ROW (pi_tail_row_get_type ())

G_DECLARE_FINAL_TYPE (PiTailRow, pi_tail_row, PI, TAIL_ROW, GObject)

PiMessage   *pi_tail_row_get_message     (PiTailRow   *self);

#define PI_TYPE_TAIL_MODEL (pi_tail_model_get_type ())

G_DECLARE_FINAL_TYPE (PiTailModel, pi_tail_model, PI, TAIL_MODEL, GObject)

PiTailModel *pi_tail_model_new           (guint        max_rows);
void         pi_tail_model_set_model     (PiTailModel *self,
                                          GListModel  *model);
guint        pi_tail_model_get_offset    (PiTailModel *self);
guint        pi_tail_model_get_max_rows  (PiTailModel *self);
void         pi_tail_model_set_max_rows  (PiTailModel *self,
                                          guint        max_rows);
void         pi_tail_model_set_frozen    (PiTailModel *self,
                                          gboolean     frozen);

G_END_DECLS
