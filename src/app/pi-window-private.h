/* pi-window-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-bindings-editor.h"
#include "pi-connection-bar.h"
#include "pi-message-details.h"
#include "pi-message-list.h"
#include "pi-window.h"

G_BEGIN_DECLS

/* The window spans pi-window.c (composition, state) and pi-window-actions.c
 * (commands); the UI tests read the template children through this too. */
struct _PiWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwFlap              *flap;
  PiBindingsEditor     *bindings_editor;
  PiConnectionBar      *connection_bar;
  GtkEntry             *server_entry;
  GtkButton            *connect_button;
  GtkToggleButton      *sidebar_button;
  GtkToggleButton      *pause_button;
  GtkToggleButton      *search_button;
  GtkRevealer          *error_revealer;
  GtkLabel             *error_label;
  GtkStack             *main_stack;
  AdwStatusPage        *no_bindings_page;
  GtkPaned             *paned;
  PiMessageList        *message_list;
  PiMessageDetails     *message_details;

  /* Owned */
  GSettings            *settings;
  PiEventStream        *stream;
  PiMessageStore       *store;
  char                 *local_error;   /* a failure before the stream started */
  AdwToast             *error_toast;
};

void       pi_window_class_init_actions (PiWindowClass *klass);
void       pi_window_init_actions       (PiWindow      *self);
void       pi_window_update_actions     (PiWindow      *self);
GPtrArray *pi_window_collect_bindings   (PiWindow      *self);
void       pi_window_add_toast          (PiWindow      *self,
                                         const char    *title);

G_END_DECLS
