/* pi-json-util.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "pi-json-util.h"

/**
 * pi_json_append_string:
 * @out: where to append
 * @str: UTF-8 text
 * @len: length of @str in bytes, or -1 if it is NUL-terminated
 *
 * Appends @str as a JSON string literal, quotes included. Control
 * characters are escaped so that the result always fits on one line
 * (an SSE `data:` field cannot span lines).
 */
void
pi_json_append_string (GString    *out,
                       const char *str,
                       gssize      len)
{
  static const char hex[] = "0123456789abcdef";
  const char *p;
  const char *end;
  const char *run;

  g_return_if_fail (out != NULL);
  g_return_if_fail (str != NULL || len == 0);

  if (len < 0)
    len = strlen (str);

  g_string_append_c (out, '"');

  /* Copy runs of plain bytes in one go: most strings need no escape at all. */
  run = str;
  end = str + len;
  for (p = str; p < end; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;

      g_string_append_len (out, run, p - run);
      run = p + 1;

      switch (c)
        {
        case '"':  g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          g_string_append (out, "\\u00");
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
          break;
        }
    }
  g_string_append_len (out, run, p - run);

  g_string_append_c (out, '"');
}
