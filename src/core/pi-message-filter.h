/* pi-message-filter.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message.h"

G_BEGIN_DECLS

#define PI_TYPE_MESSAGE_MATCHES (pi_message_matches_get_type ())

typedef struct _PiMessageMatches PiMessageMatches;

GType             pi_message_matches_get_type       (void) G_GNUC_CONST;
PiMessageMatches *pi_message_matches_ref            (PiMessageMatches     *self);
void              pi_message_matches_unref          (PiMessageMatches     *self);
const char       *pi_message_matches_get_needle     (PiMessageMatches     *self);
guint             pi_message_matches_get_n_searched (PiMessageMatches     *self);
const guint      *pi_message_matches_get_positions  (PiMessageMatches     *self,
                                                     guint                *n_positions);

PiMessageMatches *pi_message_filter_search          (GListModel           *messages,
                                                     const char           *needle_casefolded,
                                                     GCancellable         *cancellable,
                                                     GError              **error);
void              pi_message_filter_search_async    (GListModel           *messages,
                                                     const char           *needle_casefolded,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
void              pi_message_filter_search_messages_async (PiMessage    **messages,
                                                           guint          n_messages,
                                                           const char    *needle_casefolded,
                                                           GCancellable  *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer       user_data);
PiMessageMatches *pi_message_filter_search_finish   (GAsyncResult         *result,
                                                     GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiMessageMatches, pi_message_matches_unref)

G_END_DECLS
