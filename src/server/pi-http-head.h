/* pi-http-head.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64   content_length;
  gboolean  expect_continue;
  char     *origin;           /* the first Origin header's, or NULL */
} PiHttpHead;

gsize pi_http_head_find_end (const guint8  *data,
                             gsize          len);
guint pi_http_head_parse    (PiHttpHead    *head,
                             const char    *data,
                             gsize          length,
                             char         **reason);
void  pi_http_head_clear    (PiHttpHead    *head);

G_END_DECLS
