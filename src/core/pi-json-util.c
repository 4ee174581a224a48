/* pi-json-util.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-json"

#include "config.h"

#include <string.h>

#include "pi-json-util.h"
#include "pi-json-util-private.h"

/* The small string helpers; the validating scanner is in pi-json-scan.c. */

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

/**
 * pi_json_append_unescaped:
 * @out: where to append
 * @literal: (array length=len): a string literal, quotes included, that
 *   pi_json_scan() accepted
 * @len: length of @literal in bytes
 *
 * Appends the text of a validated JSON string literal, escapes resolved.
 */
void
pi_json_append_unescaped (GString    *out,
                          const char *literal,
                          gsize       len)
{
  const char *p;
  const char *end;
  const char *run;

  g_return_if_fail (out != NULL);
  g_return_if_fail (literal != NULL && len >= 2);
  g_return_if_fail (literal[0] == '"' && literal[len - 1] == '"');

  p = run = literal + 1;
  end = literal + len - 1;

  while ((p = memchr (p, '\\', end - p)) != NULL)
    {
      g_string_append_len (out, run, p - run);
      p++;
      g_assert (p < end);

      switch (*p)
        {
        case 'b': g_string_append_c (out, '\b'); p++; break;
        case 'f': g_string_append_c (out, '\f'); p++; break;
        case 'n': g_string_append_c (out, '\n'); p++; break;
        case 'r': g_string_append_c (out, '\r'); p++; break;
        case 't': g_string_append_c (out, '\t'); p++; break;
        case 'u':
          {
            gunichar uc = 0;
            gunichar low = 0;

            if (!pi_json_read_hex4 (p + 1, end, &uc))
              uc = 0xFFFD;
            p += 5;
            if (uc >= 0xD800 && uc <= 0xDBFF &&
                end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                pi_json_read_hex4 (p + 2, end, &low) && low >= 0xDC00 && low <= 0xDFFF)
              {
                uc = 0x10000 + ((uc - 0xD800) << 10) + (low - 0xDC00);
                p += 6;
              }
            else if (uc >= 0xD800 && uc <= 0xDFFF)
              uc = 0xFFFD;
            g_string_append_unichar (out, uc);
          }
          break;
        default:
          /* '"', '\\' and '/' stand for themselves. */
          g_string_append_c (out, *p);
          p++;
          break;
        }
      run = p;
      if (p >= end)
        break;
    }

  g_string_append_len (out, run, end - run);
}

/* The scanner's error messages give the line and column of the fault and
 * name the character found there. */
void
pi_json_position_of (const char *text,
                     gsize       offset,
                     guint      *line,
                     guint      *column)
{
  const char *p;
  const char *line_start = text;

  *line = 1;
  for (p = text; p < text + offset; p++)
    {
      if (*p == '\n')
        {
          (*line)++;
          line_start = p + 1;
        }
    }

  /* Columns count characters, not bytes: skip UTF-8 continuation bytes. */
  *column = 1;
  for (p = line_start; p < text + offset; p++)
    {
      if (((guchar) *p & 0xC0) != 0x80)
        (*column)++;
    }
}

char *
pi_json_describe_char (const char *p,
                       const char *end)
{
  guchar c = (guchar) *p;
  gunichar uc;

  if (c >= 0x20 && c < 0x7f)
    return g_strdup_printf ("'%c'", c);
  if (c < 0x80)
    return g_strdup_printf ("U+%04X", c);

  uc = g_utf8_get_char_validated (p, end - p);
  if (uc == (gunichar) -1 || uc == (gunichar) -2)
    return g_strdup_printf ("0x%02X", c);
  if (g_unichar_isgraph (uc))
    return g_strdup_printf ("'%.*s'", (int) g_utf8_skip[c], p);
  return g_strdup_printf ("U+%04X", uc);
}
