/* pi-topic-index.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Which readers a message goes to, with RabbitMQ's topic semantics: the
 * matching of the embedded exchange and of a shared broker queue fanned out
 * in process. A target is one reader (a stream's subscription) with its
 * (exchange, pattern) bindings; a message reaches a target at most once,
 * however many of its bindings (or CC routes) match.
 */

typedef struct _PiTopicIndex  PiTopicIndex;
typedef struct _PiTopicTarget PiTopicTarget;

PiTopicIndex  *pi_topic_index_new           (void);
void           pi_topic_index_free          (PiTopicIndex       *index);
PiTopicTarget *pi_topic_index_add_target    (PiTopicIndex       *index,
                                             gpointer            data);
/* Bind patterns must be valid (pi_binding_validate()). */
void           pi_topic_index_bind          (PiTopicIndex       *index,
                                             PiTopicTarget      *target,
                                             const char         *exchange,
                                             const char         *pattern);
/* Unbinds and frees @target. */
void           pi_topic_index_remove_target (PiTopicIndex       *index,
                                             PiTopicTarget      *target);
/* Appends the data of each target that @routing_key, or one of @routes as
 * "route.ROUTE", reaches on @exchange; each once. */
void           pi_topic_index_match         (PiTopicIndex       *index,
                                             const char         *exchange,
                                             const char         *routing_key,
                                             const char * const *routes,
                                             GPtrArray          *matches);
gboolean       pi_topic_index_has_exchange  (PiTopicIndex       *index,
                                             const char         *exchange);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiTopicIndex, pi_topic_index_free)

G_END_DECLS
