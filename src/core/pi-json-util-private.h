/* pi-json-util-private.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* For the scanner's error messages (pi-json-scan.c). */
G_GNUC_INTERNAL
void  pi_json_position_of   (const char *text,
                             gsize       offset,
                             guint      *line,
                             guint      *column);
G_GNUC_INTERNAL
char *pi_json_describe_char (const char *p,
                             const char *end);

/* Shared by the scanner and pi_json_append_unescaped(). Inline, as they
 * were when both lived in one file: the scanner checks every \u escape. */

static inline int
pi_json_hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads four hex digits at @p into @out; FALSE if they are not there. */
static inline gboolean
pi_json_read_hex4 (const char *p,
                   const char *end,
                   gunichar   *out)
{
  gunichar v = 0;
  int i;

  if (end - p < 4)
    return FALSE;
  for (i = 0; i < 4; i++)
    {
      int h = pi_json_hex_value (p[i]);

      if (h < 0)
        return FALSE;
      v = (v << 4) | h;
    }
  *out = v;
  return TRUE;
}

G_END_DECLS
