/* pi-session.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pi-message-store.h"
#include "pi-source.h"

G_BEGIN_DECLS

#define PI_TYPE_SESSION (pi_session_get_type ())

/* What fixes the failure pi_session_get_failure() tells: the one action
 * the window offers with it. */
typedef enum
{
  PI_SESSION_REMEDY_NONE,
  PI_SESSION_REMEDY_CHANGE_SERVER,     /* a bad address */
  PI_SESSION_REMEDY_ENTER_PASSWORD,    /* a broker's password: none, or refused */
  PI_SESSION_REMEDY_ENTER_CREDENTIALS, /* a refused client id or token */
  PI_SESSION_REMEDY_RETRY,             /* failed */
  PI_SESSION_REMEDY_RETRY_NOW,         /* waiting to reconnect after an error */
  PI_SESSION_REMEDY_RECONNECT_NOW,     /* a live stream was lost: try again at once */
} PiSessionRemedy;

G_DECLARE_FINAL_TYPE (PiSession, pi_session, PI, SESSION, GObject)

PiSession      *pi_session_new            (guint       capacity);
PiSource       *pi_session_get_source     (PiSession  *self);
PiMessageStore *pi_session_get_store      (PiSession  *self);
const char     *pi_session_get_server_url (PiSession  *self);
void            pi_session_set_server_url (PiSession  *self,
                                           const char *server_url);
gboolean        pi_session_get_paused     (PiSession  *self);
void            pi_session_set_paused     (PiSession  *self,
                                           gboolean    paused);
guint           pi_session_get_n_held     (PiSession  *self);
void            pi_session_add_messages   (PiSession  *self,
                                           GPtrArray  *batch);
guint           pi_session_clear          (PiSession  *self);
gboolean        pi_session_undo_clear     (PiSession  *self);
void            pi_session_forget_cleared (PiSession  *self);
gboolean        pi_session_get_can_undo_clear (PiSession *self);
double          pi_session_get_rate       (PiSession  *self);
gboolean        pi_session_get_ever_connected (PiSession *self);
const char     *pi_session_get_title      (PiSession  *self);
const char     *pi_session_get_subtitle   (PiSession  *self);
char           *pi_session_format_count   (guint64     n);

void            pi_session_connect        (PiSession  *self,
                                           GPtrArray  *bindings,
                                           const char *client_id);
void            pi_session_connect_with_password (PiSession  *self,
                                                  GPtrArray  *bindings,
                                                  const char *password);
gboolean        pi_session_get_needs_password    (PiSession  *self);
void            pi_session_disconnect     (PiSession  *self);
const char     *pi_session_get_local_error (PiSession *self);
const char     *pi_session_get_failure    (PiSession       *self,
                                           PiSessionRemedy *remedy);
gboolean        pi_session_get_lost       (PiSession  *self);

G_END_DECLS
