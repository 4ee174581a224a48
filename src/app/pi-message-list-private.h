/* pi-message-list-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pi-message-list.h"
#include "pi-tail-model.h"
#include "pi-text-filter.h"

G_BEGIN_DECLS

/* PiMessageList spans pi-message-list.c (properties, filter, pause, the
 * public API) and pi-message-list-follow.c (following the newest rows,
 * the tail model and the selection). */

struct _PiMessageList
{
  GtkWidget           parent_instance;

  /* Template widgets */
  GtkSearchBar       *search_bar;
  GtkSearchEntry     *search_entry;
  GtkLabel           *count_label;
  GtkStack           *stack;
  GtkScrolledWindow  *scroller;
  GtkColumnView      *column_view;
  GtkSingleSelection *selection;
  GtkFilterListModel *filter_model;
  PiTextFilter       *filter;

  /* Owned */
  PiMessageStore     *store;
  PiMessage          *selected;
  PiTailModel        *tail;
  GPtrArray          *held;
  char               *filter_text;
  char               *needle;         /* filter_text casefolded, NULL when empty */

  /* Borrowed */
  GtkAdjustment      *vadjustment;
  GdkFrameClock      *frame_clock;
  gulong              after_paint_id;
  gulong              layout_id;

  guint               sync_mode_id;
  guint               selected_pos;   /* in filter_model, tracked here in tail mode */
  double              pending_value;  /* where to scroll once the full list is laid out */

  guint               n_held;
  guint               n_shown;
  guint               snapping;
  guint               switching;
  guint               follow : 1;
  guint               following : 1;
  guint               layout_pending : 1;
  guint               paused : 1;
  guint               search_mode : 1;
  guint               setting_entry : 1;
  guint               tail_mode : 1;
  guint               has_pending_value : 1;
};

/* Rows shown while following: as many as fit the view and a few more
 * (wanted_tail_rows), within these. */
#define MIN_TAIL_ROWS 24
#define MAX_TAIL_ROWS 160

/* pi-message-list.c */
void _pi_message_list_set_selected          (PiMessageList      *self,
                                             PiMessage          *message);

/* pi-message-list-follow.c */
void _pi_message_list_follow_init           (PiMessageList      *self);
void _pi_message_list_scroll_to_bottom      (PiMessageList      *self);
void _pi_message_list_queue_sync_mode       (PiMessageList      *self);
void _pi_message_list_layout                (PiMessageList      *self,
                                             GdkFrameClock      *frame_clock);
void _pi_message_list_after_paint           (PiMessageList      *self,
                                             GdkFrameClock      *frame_clock);
void _pi_message_list_selected_item_changed (PiMessageList      *self,
                                             GParamSpec         *pspec,
                                             GtkSingleSelection *selection);

G_END_DECLS
