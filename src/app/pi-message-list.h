/* pi-message-list.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pi-message-store.h"

G_BEGIN_DECLS

#define PI_TYPE_MESSAGE_LIST (pi_message_list_get_type ())

G_DECLARE_FINAL_TYPE (PiMessageList, pi_message_list, PI, MESSAGE_LIST, GtkWidget)

GtkWidget      *pi_message_list_new                  (void);
PiMessageStore *pi_message_list_get_store            (PiMessageList *self);
void            pi_message_list_set_store            (PiMessageList *self,
                                                      PiMessageStore *store);
PiMessage      *pi_message_list_get_selected_message (PiMessageList *self);
const char     *pi_message_list_get_filter_text      (PiMessageList *self);
GListModel     *pi_message_list_get_shown            (PiMessageList *self);
void            pi_message_list_set_filter_text      (PiMessageList *self,
                                                      const char    *filter_text);
gboolean        pi_message_list_get_follow           (PiMessageList *self);
void            pi_message_list_set_follow           (PiMessageList *self,
                                                      gboolean       follow);
guint           pi_message_list_get_n_shown          (PiMessageList *self);
gboolean        pi_message_list_get_search_mode      (PiMessageList *self);
void            pi_message_list_set_search_mode      (PiMessageList *self,
                                                      gboolean       search_mode);
void            pi_message_list_append               (PiMessageList *self,
                                                      GPtrArray     *batch);
void            pi_message_list_start_search         (PiMessageList *self);
void            pi_message_list_follow               (PiMessageList *self);
void            pi_message_list_set_bindings         (PiMessageList *self,
                                                      GListModel    *bindings);
GMenuModel     *pi_message_list_get_columns_menu     (PiMessageList *self);
void            pi_message_list_show_columns_button (GtkMenuButton *button,
                                                     gboolean       table_shown,
                                                     GtkWidget     *details_split,
                                                     gboolean       narrow);
void            pi_message_list_attach_columns_button (PiMessageList *self,
                                                       GtkMenuButton *button);

/* For tests and the benchmark: the parts a user looks at. */
GtkColumnView  *pi_message_list_get_column_view      (PiMessageList *self);
GtkAdjustment  *pi_message_list_get_vadjustment      (PiMessageList *self);
const char     *pi_message_list_get_visible_page     (PiMessageList *self);
const char     *pi_message_list_get_count_text       (PiMessageList *self);
gboolean        pi_message_list_get_following        (PiMessageList *self);
GtkWidget      *pi_message_list_get_new_messages_button (PiMessageList *self);
gboolean        pi_message_list_get_new_messages_shown  (PiMessageList *self);
GActionGroup   *pi_message_list_get_column_actions   (PiMessageList *self);

G_END_DECLS
