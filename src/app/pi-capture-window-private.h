/* pi-capture-window-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-capture-saver.h"
#include "pi-capture-session.h"
#include "pi-capture-window.h"
#include "pi-connection-bar.h"
#include "pi-message-details.h"
#include "pi-message-list.h"

G_BEGIN_DECLS

/* The instance, for the UI tests, which read the template children as the
 * user sees them. */
struct _PiCaptureWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwOverlaySplitView  *split_view;
  GtkListBox           *bindings_list;
  AdwWindowTitle       *title;
  PiConnectionBar      *connection_bar;
  GtkButton            *back_button;
  GtkToggleButton      *sidebar_button;
  GtkMenuButton        *columns_button;
  AdwBreakpoint        *narrow_breakpoint;  /* a phone's width */
  GtkStack             *main_stack;
  AdwStatusPage        *loading_page;
  GtkProgressBar       *loading_progress;
  AdwOverlaySplitView  *details_split;
  PiMessageList        *message_list;
  PiMessageDetails     *message_details;
  PiCaptureSaver       *saver;

  /* Owned */
  GSettings            *settings;
  PiCaptureSession     *capture;
  GCancellable         *load_cancellable;
  AdwToast             *error_toast;      /* weak */
  guint                 pulse_id;
  guint                 present_id;
  GListStore           *bindings;         /* the capture's, for the columns menu */
};

G_END_DECLS
