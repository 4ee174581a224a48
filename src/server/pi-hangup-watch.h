/* pi-hangup-watch.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What became of a watched socket; after any of them it is no longer
 * watched. */
typedef enum
{
  PI_HANGUP_DATA,         /* the peer sent something (pipelined bytes, TLS records) */
  PI_HANGUP_HALF_CLOSED,  /* EOF: the peer may still read */
  PI_HANGUP_RESET,        /* an error: nothing reads any more */
} PiHangup;

typedef void (*PiHangupFunc) (gpointer data,
                              PiHangup hangup);

typedef struct _PiHangupWatch PiHangupWatch;

PiHangupWatch *pi_hangup_watch_new    (PiHangupFunc    func,
                                       GError        **error);
gboolean       pi_hangup_watch_add    (PiHangupWatch  *watch,
                                       int             fd,
                                       gpointer        data,
                                       GError        **error);
void           pi_hangup_watch_remove (PiHangupWatch  *watch,
                                       int             fd);
void           pi_hangup_watch_free   (PiHangupWatch  *watch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiHangupWatch, pi_hangup_watch_free)

G_END_DECLS
