/* pi-message-list-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pi-message-list.h"
#include "pi-row-pacer.h"
#include "pi-text-filter.h"

G_BEGIN_DECLS

/* PiMessageList spans pi-message-list.c (properties, the filter, the
 * public API), pi-message-list-follow.c (following the newest rows and
 * the "new messages" pill) and pi-message-list-columns.c (which columns
 * show, the header menu, the compact layout). */

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
  GListModel         *filter_model;   /* the filter: the rows shown */
  PiTextFilter       *filter;
  PiRowPacer         *rows;           /* of those, the rows the table has */
  GtkRevealer        *new_revealer;
  GtkButton          *new_button;
  GtkLabel           *new_label;

  /* Owned */
  PiMessageStore     *store;
  PiMessage          *selected;
  char               *filter_text;
  char               *needle;         /* filter_text casefolded, NULL when empty */
  GSettings          *settings;       /* NULL when the schema is not installed */
  GSimpleActionGroup *column_actions;
  GMenu              *columns_menu;   /* the header menu and the Columns button's */
  GPtrArray          *word_columns;   /* GtkColumnViewColumn, one per routing-key word */
  GListModel         *bindings;       /* PiBinding: their exchanges' words come first */
  char              **visible_columns;
  GHashTable         *shown_anyway;   /* ids the user showed where the layout hides them */
  int                 exchange_width; /* as the layout set it */

  /* Borrowed */
  GtkAdjustment      *vadjustment;
  GdkFrameClock      *frame_clock;
  gulong              after_paint_id;
  gulong              layout_id;

  guint               n_new;          /* arrived since following stopped */
  guint               n_shown;
  guint               snapping;
  guint               refiltering;
  guint               retries;
  guint               revealing_selected; /* frames left to bring the selected row into sight */
  guint               follow : 1;
  guint               following : 1;
  guint               layout_pending : 1;
  guint               search_mode : 1;
  guint               setting_entry : 1;
  guint               scrollbar_held : 1;
  guint               compact : 1;
  guint               medium : 1;
  guint               keep_selected_in_view : 1;
  guint               keep_top : 1;
  guint               selected_unchecked : 1;
  gint64              held_in_frame;  /* the frame in which hold_rows last moved the view */
  gint64              revealed_in_frame; /* the frame of the last step bringing the selection into sight */
  double              top_value;      /* the view's place while the pill's strip moves */
  double              selected_bottom; /* the selected row's bottom edge, in the view's scroll units */
};

/* pi-message-list.c */
void _pi_message_list_set_selected          (PiMessageList      *self,
                                             PiMessage          *message);

/* pi-message-list-follow.c */
void _pi_message_list_follow_init           (PiMessageList      *self);
void _pi_message_list_set_following         (PiMessageList      *self,
                                             gboolean            following);
void _pi_message_list_reveal_selected       (PiMessageList      *self);
void _pi_message_list_layout                (PiMessageList      *self,
                                             GdkFrameClock      *frame_clock);
void _pi_message_list_after_paint           (PiMessageList      *self,
                                             GdkFrameClock      *frame_clock);
void _pi_message_list_selected_item_changed (PiMessageList      *self,
                                             GParamSpec         *pspec,
                                             GtkSingleSelection *selection);

/* pi-message-list-columns.c */
void _pi_message_list_columns_init          (PiMessageList      *self);
void _pi_message_list_columns_dispose       (PiMessageList      *self);
void _pi_message_list_set_compact           (PiMessageList      *self,
                                             gboolean            compact);
void _pi_message_list_set_medium            (PiMessageList      *self,
                                             gboolean            medium);
void _pi_message_list_set_bindings          (PiMessageList      *self,
                                             GListModel         *bindings);

G_END_DECLS
