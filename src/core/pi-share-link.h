/* pi-share-link.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * PiShareLink:
 * @server_url: (nullable): where the link says to listen: a deployment's
 *   root URL (taskcluster-ui links) or an events URL (links of this app);
 *   %NULL when the link names no server (the old web inspectors)
 * @bindings: (element-type PiBinding): the link's bindings, not validated
 *
 * What a share link asks for.
 */
typedef struct
{
  char      *server_url;
  GPtrArray *bindings;
} PiShareLink;

gboolean     pi_share_link_looks_like   (const char   *text);
PiShareLink *pi_share_link_parse        (const char   *link,
                                         GError      **error);
char        *pi_share_link_server_url   (const char   *link);
void         pi_share_link_free         (PiShareLink  *link);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiShareLink, pi_share_link_free)

G_END_DECLS
