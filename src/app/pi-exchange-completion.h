/* pi-exchange-completion.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-catalog.h"

G_BEGIN_DECLS

#define PI_TYPE_EXCHANGE_COMPLETION (pi_exchange_completion_get_type ())

G_DECLARE_FINAL_TYPE (PiExchangeCompletion, pi_exchange_completion, PI, EXCHANGE_COMPLETION, GObject)

PiExchangeCompletion *pi_exchange_completion_new         (GtkWidget            *entry,
                                                          PiCatalog            *catalog);
void                  pi_exchange_completion_update      (PiExchangeCompletion *self);
void                  pi_exchange_completion_close       (PiExchangeCompletion *self);
void                  pi_exchange_completion_detach      (PiExchangeCompletion *self);
GtkWidget            *pi_exchange_completion_get_popover (PiExchangeCompletion *self);
const PiCatalogExchange *pi_exchange_completion_get_unique_match (PiExchangeCompletion *self);

G_END_DECLS
