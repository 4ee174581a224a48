/* pi-catalog.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;          /* "taskId" */
  const char *summary;
  const char *constant;      /* "primary" or NULL */
  gboolean    required;
  gboolean    multiple_words;
} PiCatalogWord;

typedef struct
{
  const char          *name;        /* "exchange/taskcluster-queue/v1/task-completed" */
  const char          *short_name;  /* "task-completed" */
  const char          *service;     /* "queue" */
  const char          *title;
  const char          *description; /* one short sentence of ours */
  const PiCatalogWord *words;
  guint                n_words;
} PiCatalogExchange;

typedef struct
{
  const PiCatalogWord *word;
  char                *value;       /* "" for "_" */
} PiCatalogNamedWord;

typedef struct _PiCatalog PiCatalog;

PiCatalog               *pi_catalog_get_default     (void);
guint                    pi_catalog_get_n_exchanges (PiCatalog               *self);
const PiCatalogExchange *pi_catalog_get_exchange    (PiCatalog               *self,
                                                     guint                    position);
const PiCatalogExchange *pi_catalog_lookup          (PiCatalog               *self,
                                                     const char              *exchange);
GArray                  *pi_catalog_exchange_name_words (const PiCatalogExchange *exchange,
                                                     const char              *routing_key);
char                    *pi_catalog_exchange_build_pattern (const PiCatalogExchange *exchange,
                                                     const char * const      *values);

G_END_DECLS
