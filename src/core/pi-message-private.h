/* pi-message-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pi-message.h"

G_BEGIN_DECLS

/*
 * A retained message should cost little more than its JSON text: the list
 * keeps up to a million of them. Everything variable-sized lives in one
 * exact-size allocation, the block:
 *
 *   [JSON text][\0][tail: NUL-terminated strings that had to be copied]
 *
 * The exchange, the routing key and the routes are read where they are in
 * the JSON text: when a string literal has no escapes (nearly always), its
 * closing quote in the block is overwritten with a NUL, which makes the
 * literal's contents a C string in place. Only literals with escapes are
 * unescaped into the tail, and the error text of an undecodable message or
 * a gap goes there too. Strings are found by 32-bit offsets into the block.
 *
 * The JSON text the strings were cut out of cannot hold a NUL byte (the
 * scanner refuses control characters), so every NUL in it is a closing
 * quote: pi_message_get_raw() restores the text from that when someone first
 * asks (copying the selected message), and keeps the copy as qdata. The
 * routes vector is made on first use as well; contains_text() and
 * dup_routes_text() walk the routes without it. The payload is never touched: it is a member of its
 * own, so none of the overwritten quotes lies inside it.
 */

/* Offsets are 32-bit; a bigger message is kept as undecodable, without text. */
#define MAX_SIZE ((gsize) G_MAXINT32)
#define MAX_ROUTES ((1u << 24) - 1)
#define NO_STRING G_MAXUINT32

struct _PiMessage
{
  GObject parent_instance;

  char               *block;

  guint64             sequence;
  gint64              time_received;

  guint32             raw_len;
  /* Dropped (never has a payload): the count, low and high 32 bits. */
  guint32             payload_offset;
  guint32             payload_len;
  /* Offsets into the block, or NO_STRING. */
  guint32             exchange_offset;
  guint32             routing_key_offset;
  /* The first route; the others follow it (see route_next()). */
  guint32             routes_offset;
  /* Undecodable: the parser's error. Gap: why there is a gap. Dropped:
   * the server's reason, when it gave one. */
  guint32             error_offset;

  guint32             n_routes : 24;
  guint32             kind : 3;
  guint32             redelivered : 1;
  guint32             has_payload : 1;
  /* The routes are consecutive strings in the tail, not in the JSON text. */
  guint32             routes_in_tail : 1;
  /* Some quotes in the JSON text were overwritten with NULs. */
  guint32             terminated : 1;
};

/* The instance is paid per retained message: keep it at 80 bytes, a size
 * class of its own. The routes vector and the restored raw text, which few
 * messages ever need, hang off the object's qdata instead of two fields. */
G_STATIC_ASSERT (sizeof (struct _PiMessage) <= 80);


/* For a capture's dropped entry, which keeps the time it was received. */
void pi_message_set_time_received (PiMessage *self,
                                   gint64     time_received);

/* pi_message_contains_text() for a needle checked once: casefolded,
 * @needle_len bytes, @ascii when it has only ASCII characters. Thread-safe. */
gboolean _pi_message_contains_folded (PiMessage  *self,
                                      const char *needle,
                                      gsize       needle_len,
                                      gboolean    ascii);

G_END_DECLS
