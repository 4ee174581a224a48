/* pi-window-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-bindings-sidebar.h"
#include "pi-capture-session.h"
#include "pi-connection-bar.h"
#include "pi-message-details.h"
#include "pi-message-list.h"
#include "pi-session.h"
#include "pi-window.h"

G_BEGIN_DECLS

/* PiWindow spans pi-window.c (the frame every window has, its life cycle),
 * pi-window-live.c (a live window: its session), pi-window-open.c (a
 * capture window: its capture session), pi-window-actions.c (the win.*
 * actions), pi-window-capture.c and pi-window-export.c (saving, exporting)
 * and pi-window-password.c; the UI tests read the template children
 * through this too. */
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
  GtkButton            *failure_button;
  AdwOverlaySplitView  *details_split;
  PiMessageList        *message_list;
  PiMessageDetails     *message_details;
  GtkStack             *sidebar_stack;
  GtkListBox           *capture_bindings_list;
  AdwWindowTitle       *capture_title;
  GtkWidget            *clear_button;
  AdwStatusPage        *loading_page;
  GtkProgressBar       *loading_progress;
  GtkActionBar         *progress_action_bar;
  GtkLabel             *progress_label;
  GtkProgressBar       *progress_bar;

  /* Owned */
  GSettings            *settings;
  PiSession            *session;       /* live: the source, the store, pause and clear, the state line */
  PiCaptureSession     *capture;       /* or a saved capture this window browses */
  PiSource             *stream;        /* the session's (NULL browsing a capture) */
  PiMessageStore       *store;         /* the session's or the capture's */
  AdwToast             *clear_toast;
  AdwToast             *error_toast;
  AdwDialog            *password_dialog;  /* a broker's password, while asked */
  GtkWidget            *password_row;

  /* Captures (pi-window-capture.c) */
  GDateTime            *capture_started;    /* live: when the kept messages began */
  GCancellable         *load_cancellable;
  GCancellable         *save_cancellable;   /* set while saving */
  GCancellable         *chooser_cancellable; /* set while a file dialog of ours is open */
  GFile                *save_file;
  guint                 save_count;
  guint                 pulse_id;
  guint                 present_id;
};

/* pi-window-live.c */
void       pi_window_class_init_live    (PiWindowClass *klass);
void       pi_window_init_live          (PiWindow      *self);
void       pi_window_setup_live         (PiWindow      *self);
gboolean   pi_window_stream_is_active   (PiWindow      *self);
GPtrArray *pi_window_collect_bindings   (PiWindow      *self);
void       pi_window_choose_server      (PiWindow      *self);
void       pi_window_clear_with_undo    (PiWindow      *self);
void       pi_window_undo_clear         (PiWindow      *self);

/* pi-window-actions.c */
void       pi_window_class_init_actions (PiWindowClass *klass);
void       pi_window_init_actions       (PiWindow      *self);
void       pi_window_init_live_actions  (PiWindow      *self);
void       pi_window_update_actions     (PiWindow      *self);

/* pi-window.c */
void       pi_window_add_toast          (PiWindow      *self,
                                         const char    *title);

/* pi-window-password.c */
void       pi_window_init_password      (PiWindow      *self);
void       pi_window_dispose_password   (PiWindow      *self);
void       pi_window_ask_password       (PiWindow      *self);

/* pi-window-capture.c */
void       pi_window_init_capture       (PiWindow      *self);
void       pi_window_setup_capture_mode (PiWindow      *self);   /* pi-window-open.c */
void       pi_window_init_drop          (PiWindow      *self);
void       pi_window_update_capture_actions (PiWindow  *self);
void       pi_window_dispose_capture    (PiWindow      *self);
void       pi_window_cancel_file_dialog (PiWindow      *self);
void       pi_window_note_capture_start (PiWindow      *self);

/* File jobs (saving, exporting): one at a time, shown in the action bar */
gboolean   pi_window_job_alive          (PiWindow      *self);
void       pi_window_job_begin          (PiWindow      *self,
                                         const char    *text);
void       pi_window_job_set_fraction   (PiWindow      *self,
                                         double         fraction);
void       pi_window_job_end            (PiWindow      *self);
char      *pi_window_file_display_name  (GFile         *file);
char      *pi_window_format_count       (guint          n);

G_END_DECLS
