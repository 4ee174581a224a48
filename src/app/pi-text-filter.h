/* pi-text-filter.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-message.h"

G_BEGIN_DECLS

#define PI_TYPE_TEXT_FILTER (pi_text_filter_get_type ())

G_DECLARE_FINAL_TYPE (PiTextFilter, pi_text_filter, PI, TEXT_FILTER, GObject)

PiTextFilter *pi_text_filter_new           (void);
GListModel   *pi_text_filter_get_model     (PiTextFilter *self);
void          pi_text_filter_set_model     (PiTextFilter *self,
                                            GListModel   *model);
const char   *pi_text_filter_get_text      (PiTextFilter *self);
void          pi_text_filter_set_text      (PiTextFilter *self,
                                            const char   *text);
gboolean      pi_text_filter_get_searching (PiTextFilter *self);
void          pi_text_filter_set_kept      (PiTextFilter *self,
                                            PiMessage    *message);
void          pi_text_filter_set_following (PiTextFilter *self,
                                            gboolean      following);
gboolean      pi_text_filter_get_showing   (PiTextFilter *self);

G_END_DECLS
