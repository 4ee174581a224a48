/* pi-window-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-bindings-sidebar.h"
#include "pi-capture-saver.h"
#include "pi-connection-bar.h"
#include "pi-message-details.h"
#include "pi-message-list.h"
#include "pi-session.h"
#include "pi-window.h"

G_BEGIN_DECLS

/* PiWindow, the live window, spans pi-window.c (the frame, its life
 * cycle), pi-window-live.c (its session), pi-window-actions.c (the win.*
 * actions) and pi-window-password.c; saving and exporting are
 * PiCaptureSaver's, browsing a saved capture is PiCaptureWindow's. The UI
 * tests read the template children through this too. */
struct _PiWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwOverlaySplitView  *split_view;
  PiBindingsSidebar    *bindings_sidebar;
  PiConnectionBar      *connection_bar;
  AdwWindowTitle       *status_title;
  GtkButton            *server_button;
  GtkMenuButton        *counters_button;
  GtkToggleButton      *sidebar_button;
  GtkButton            *back_button;
  GtkToggleButton      *pause_button;
  GtkToggleButton      *search_button;
  AdwBanner            *error_banner;
  GtkStack             *main_stack;
  AdwStatusPage        *no_bindings_page;
  AdwStatusPage        *not_connected_page;
  AdwStatusPage        *failure_page;
  AdwStatusPage        *first_start_page;
  GtkButton            *first_start_button;
  GtkButton            *failure_button;
  GtkButton            *failure_server_button;
  AdwOverlaySplitView  *details_split;
  PiMessageList        *message_list;
  PiMessageDetails     *message_details;
  GtkWidget            *clear_button;
  GtkMenuButton        *columns_button;
  PiCaptureSaver       *saver;
  AdwBreakpoint        *compact_breakpoint;  /* up to 720 px */
  AdwBreakpoint        *narrow_breakpoint;   /* a phone's width */

  /* Owned */
  GSettings            *settings;
  PiSession            *session;       /* the source, the store, pause and clear, the state line */
  PiSource             *stream;        /* the session's */
  PiMessageStore       *store;         /* the session's */
  AdwToast             *clear_toast;
  AdwToast             *error_toast;
  AdwDialog            *password_dialog;  /* a broker's password, while asked */
  GtkWidget            *password_row;
  GDateTime            *capture_started;  /* when the kept messages began (what Save says) */
  char                 *chosen_server;    /* picked in Connect, recent once it went live */
};

/* pi-window.c */
void       pi_window_update_header      (PiWindow      *self);

/* pi-window-live.c */
void       pi_window_class_init_live    (PiWindowClass *klass);
void       pi_window_init_live          (PiWindow      *self);
void       pi_window_setup_live         (PiWindow      *self);
gboolean   pi_window_stream_is_active   (PiWindow      *self);
gboolean   pi_window_is_first_start     (PiWindow      *self);
GPtrArray *pi_window_collect_bindings   (PiWindow      *self);
void       pi_window_choose_server      (PiWindow      *self);
void       pi_window_clear_with_undo    (PiWindow      *self);
void       pi_window_undo_clear         (PiWindow      *self);
void       pi_window_note_capture_start (PiWindow      *self);
PiCaptureInfo *pi_window_dup_capture_info (PiWindow    *self);

/* pi-window-actions.c */
void       pi_window_class_init_actions (PiWindowClass *klass);
void       pi_window_init_actions       (PiWindow      *self);
void       pi_window_update_actions     (PiWindow      *self);

/* pi-window.c */
void       pi_window_add_toast          (PiWindow      *self,
                                         const char    *title);

/* pi-window-password.c */
void       pi_window_init_password      (PiWindow      *self);
void       pi_window_dispose_password   (PiWindow      *self);
void       pi_window_ask_password       (PiWindow      *self);

G_END_DECLS
