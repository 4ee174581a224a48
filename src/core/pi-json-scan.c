/* pi-json-scan.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-json"

#include "config.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <glib/gi18n.h>

#include "pi-json-util.h"
#include "pi-json-util-private.h"

G_DEFINE_QUARK (pi-json-error-quark, pi_json_error)

/*
 * A strict, validating JSON scanner (RFC 8259).
 *
 * Decoding a message must not build a tree: the list shows four fields of
 * each message and the payload tree is only wanted for the one the user
 * selects. So the scanner walks the text once, checks that it is
 * well-formed (grammar, escapes, UTF-8 inside strings, nesting depth) and
 * reports where each direct child of the root lies, without allocating.
 * It is iterative, with an explicit stack, so hostile nesting cannot
 * overflow the C stack.
 */

enum
{
  CHAR_PLAIN,
  CHAR_QUOTE,
  CHAR_BACKSLASH,
  CHAR_CONTROL,
  CHAR_NON_ASCII,
};

/* How each byte behaves inside a string literal. */
static const guint8 string_class[256] = {
  /* 0x00 - 0x1f: control characters must be escaped */
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  /* 0x80 - 0xff */
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

enum
{
  FRAME_ARRAY,
  FRAME_OBJECT,
};

typedef enum
{
  FAIL_UNEXPECTED,
  FAIL_END,
  FAIL_CONTROL,
  FAIL_ESCAPE,
  FAIL_UNICODE_ESCAPE,
  FAIL_UTF8,
  FAIL_DEPTH,
} Failure;

static gboolean
fail (GError     **error,
      Failure      failure,
      const char  *text,
      const char  *p,
      const char  *end,
      guint        max_depth)
{
  g_autofree char *what = NULL;
  guint line;
  guint column;

  pi_json_position_of (text, p - text, &line, &column);

  switch (failure)
    {
    case FAIL_UNEXPECTED:
      what = pi_json_describe_char (p, end);
      g_set_error (error, PI_JSON_ERROR, PI_JSON_ERROR_SYNTAX,
                   _("Unexpected character %s at line %u, column %u"),
                   what, line, column);
      break;

    case FAIL_END:
      g_set_error (error, PI_JSON_ERROR, PI_JSON_ERROR_SYNTAX,
                   _("Unexpected end of the text at line %u, column %u"),
                   line, column);
      break;

    case FAIL_CONTROL:
      g_set_error (error, PI_JSON_ERROR, PI_JSON_ERROR_SYNTAX,
                   _("Unescaped control character U+%04X in a string at line %u, column %u"),
                   (guchar) *p, line, column);
      break;

    case FAIL_ESCAPE:
      what = pi_json_describe_char (p, end);
      g_set_error (error, PI_JSON_ERROR, PI_JSON_ERROR_SYNTAX,
                   _("Invalid escape character %s in a string at line %u, column %u"),
                   what, line, column);
      break;

    case FAIL_UNICODE_ESCAPE:
      g_set_error (error, PI_JSON_ERROR, PI_JSON_ERROR_SYNTAX,
                   _("Invalid \\u escape in a string at line %u, column %u"),
                   line, column);
      break;

    case FAIL_UTF8:
      g_set_error (error, PI_JSON_ERROR, PI_JSON_ERROR_INVALID_UTF8,
                   _("Invalid UTF-8 in a string at line %u, column %u"),
                   line, column);
      break;

    case FAIL_DEPTH:
      g_set_error (error, PI_JSON_ERROR, PI_JSON_ERROR_TOO_DEEP,
                   _("Arrays and objects nested deeper than %u levels at line %u, column %u"),
                   max_depth, line, column);
      break;

    default:
      g_assert_not_reached ();
    }

  return FALSE;
}

static inline const char *
skip_ws (const char *p,
         const char *end)
{
  /* Compact JSON has no white space at all: answer that case first. */
  if (G_LIKELY (p < end && (guchar) *p > ' '))
    return p;
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  return p;
}

/* Length of the valid UTF-8 sequence at @p (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF), or 0. */
static inline gsize
utf8_sequence_length (const guchar *p,
                      const guchar *end)
{
  guchar c = p[0];
  guchar lo = 0x80;
  guchar hi = 0xBF;
  gsize n;
  gsize i;

  if (c < 0xC2)
    return 0;
  else if (c < 0xE0)
    n = 2;
  else if (c < 0xF0)
    {
      n = 3;
      if (c == 0xE0)
        lo = 0xA0;
      else if (c == 0xED)
        hi = 0x9F;
    }
  else if (c < 0xF5)
    {
      n = 4;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;
    }
  else
    return 0;

  if ((gsize) (end - p) < n)
    return 0;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (i = 2; i < n; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;

  return n;
}

/* Most of a message is string content: skip the bytes that need no
 * attention (not '"', '\\', a control character or non-ASCII) a block at a
 * time, and land on the first one that does. */
static inline const char *
skip_plain (const char *p,
            const char *end)
{
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i backslash = _mm_set1_epi8 ('\\');
  const __m128i space = _mm_set1_epi8 (0x20);

  while (end - p >= 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) p);
      /* Signed compare: bytes >= 0x80 are negative, so "< 0x20" catches
       * control characters and non-ASCII at once. */
      __m128i special = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, quote),
                                                    _mm_cmpeq_epi8 (v, backslash)),
                                      _mm_cmplt_epi8 (v, space));
      int mask = _mm_movemask_epi8 (special);

      if (mask != 0)
        return p + __builtin_ctz (mask);
      p += 16;
    }
#elif G_BYTE_ORDER == G_LITTLE_ENDIAN && defined(__GNUC__)
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 highs = G_GUINT64_CONSTANT (0x8080808080808080);

  while (end - p >= 8)
    {
      guint64 v;
      guint64 q;
      guint64 b;
      guint64 t;

      /* The "has a zero byte" trick on v ^ '"', v ^ '\\' and v < 0x20; its
       * lowest flagged byte is always a true one. */
      memcpy (&v, p, sizeof v);
      q = v ^ (ones * '"');
      b = v ^ (ones * '\\');
      t = (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v) | v) & highs;
      if (t != 0)
        return p + __builtin_ctzll (t) / 8;
      p += 8;
    }
#endif

  while (p < end && string_class[(guchar) *p] == CHAR_PLAIN)
    p++;
  return p;
}

/* Scans a string literal starting at the quote *@pp; on success *@pp is
 * just past the closing quote. */
static inline gboolean
scan_string (const char  *text,
             const char **pp,
             const char  *end,
             gboolean    *has_escapes,
             GError     **error)
{
  const char *p = *pp + 1;

  *has_escapes = FALSE;

  for (;;)
    {
      gsize n;

      p = skip_plain (p, end);
      if (p == end)
        return fail (error, FAIL_END, text, p, end, 0);

      switch (string_class[(guchar) *p])
        {
        case CHAR_QUOTE:
          *pp = p + 1;
          return TRUE;

        case CHAR_BACKSLASH:
          *has_escapes = TRUE;
          p++;
          if (p == end)
            return fail (error, FAIL_END, text, p, end, 0);
          switch (*p)
            {
            case '"': case '\\': case '/': case 'b':
            case 'f': case 'n': case 'r': case 't':
              p++;
              break;

            case 'u':
              {
                const char *escape = p - 1;
                gunichar uc;

                if (!pi_json_read_hex4 (p + 1, end, &uc))
                  return fail (error, FAIL_UNICODE_ESCAPE, text, escape, end, 0);
                p += 5;
                /* A surrogate must come as a high-low pair: alone it is no
                 * character, and json-glib would refuse the payload later. */
                if (uc >= 0xD800 && uc <= 0xDBFF)
                  {
                    gunichar low;

                    if (end - p < 2 || p[0] != '\\' || p[1] != 'u' ||
                        !pi_json_read_hex4 (p + 2, end, &low) ||
                        low < 0xDC00 || low > 0xDFFF)
                      return fail (error, FAIL_UNICODE_ESCAPE, text, escape, end, 0);
                    p += 6;
                  }
                else if (uc >= 0xDC00 && uc <= 0xDFFF)
                  return fail (error, FAIL_UNICODE_ESCAPE, text, escape, end, 0);
              }
              break;

            default:
              return fail (error, FAIL_ESCAPE, text, p, end, 0);
            }
          break;

        case CHAR_CONTROL:
          return fail (error, FAIL_CONTROL, text, p, end, 0);

        case CHAR_NON_ASCII:
          n = utf8_sequence_length ((const guchar *) p, (const guchar *) end);
          if (n == 0)
            return fail (error, FAIL_UTF8, text, p, end, 0);
          p += n;
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

static inline gboolean
scan_digits (const char  *text,
             const char **pp,
             const char  *end,
             GError     **error)
{
  const char *p = *pp;

  if (p == end)
    return fail (error, FAIL_END, text, p, end, 0);
  if (!g_ascii_isdigit (*p))
    return fail (error, FAIL_UNEXPECTED, text, p, end, 0);
  while (p < end && g_ascii_isdigit (*p))
    p++;
  *pp = p;
  return TRUE;
}

static gboolean
scan_number (const char  *text,
             const char **pp,
             const char  *end,
             GError     **error)
{
  const char *p = *pp;

  if (*p == '-')
    p++;
  if (p == end)
    return fail (error, FAIL_END, text, p, end, 0);
  if (*p == '0')
    p++;
  else if (!scan_digits (text, &p, end, error))
    return FALSE;

  if (p < end && *p == '.')
    {
      p++;
      if (!scan_digits (text, &p, end, error))
        return FALSE;
    }

  if (p < end && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (!scan_digits (text, &p, end, error))
        return FALSE;
    }

  *pp = p;
  return TRUE;
}

static gboolean
scan_literal (const char  *text,
              const char **pp,
              const char  *end,
              const char  *word,
              GError     **error)
{
  const char *p = *pp;

  for (; *word != '\0'; word++, p++)
    {
      if (p == end)
        return fail (error, FAIL_END, text, p, end, 0);
      if (*p != *word)
        return fail (error, FAIL_UNEXPECTED, text, p, end, 0);
    }

  *pp = p;
  return TRUE;
}

/**
 * pi_json_scan:
 * @text: (array length=len): the JSON text, not necessarily NUL-terminated
 * @len: length of @text in bytes
 * @max_depth: how deep arrays and objects may nest (at most
 *   %PI_JSON_MAX_DEPTH); 0 for %PI_JSON_DEFAULT_MAX_DEPTH
 * @root: (out caller-allocates) (optional): where the root value lies
 * @func: (scope call) (nullable): called for each member of a root object,
 *   or each element of a root array
 * @user_data: data for @func
 * @error: return location for a #GError
 *
 * Checks that @text is one well-formed JSON value (RFC 8259) with optional
 * white space around it, walking it once. Strings must be valid UTF-8 and
 * \u escapes of surrogates must come in pairs. @func may be called before
 * an error later in the text is found.
 *
 * Returns: %TRUE if @text is JSON; otherwise %FALSE with an error in %PI_JSON_ERROR
 *   whose message gives the line and column
 */
gboolean
pi_json_scan (const char        *text,
              gsize              len,
              guint              max_depth,
              PiJsonSpan        *root,
              PiJsonMemberFunc   func,
              gpointer           user_data,
              GError           **error)
{
  guint8 stack[PI_JSON_MAX_DEPTH];
  guint depth = 0;
  const char *p;
  const char *end;
  const char *root_start;
  const char *member_start = NULL;
  const char *name = NULL;
  gsize name_len = 0;
  gboolean name_escaped = FALSE;
  g_autoptr(GString) scratch = NULL;
  PiJsonType type;
  gboolean has_escapes;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (max_depth == 0)
    max_depth = PI_JSON_DEFAULT_MAX_DEPTH;
  max_depth = MIN (max_depth, PI_JSON_MAX_DEPTH);

  if (text == NULL)
    text = "";
  end = text + len;
  p = root_start = skip_ws (text, end);

value:
  /* @p is where a value must start. */
  if (p == end)
    return fail (error, FAIL_END, text, p, end, max_depth);
  if (depth == 1)
    member_start = p;
  has_escapes = FALSE;

  switch (*p)
    {
    case '{':
    case '[':
      if (depth == max_depth)
        return fail (error, FAIL_DEPTH, text, p, end, max_depth);
      stack[depth++] = *p == '{' ? FRAME_OBJECT : FRAME_ARRAY;
      p = skip_ws (p + 1, end);
      if (stack[depth - 1] == FRAME_OBJECT)
        {
          if (p < end && *p == '}')
            {
              p++;
              depth--;
              type = PI_JSON_TYPE_OBJECT;
              goto after_value;
            }
          goto key;
        }
      if (p < end && *p == ']')
        {
          p++;
          depth--;
          type = PI_JSON_TYPE_ARRAY;
          goto after_value;
        }
      goto value;

    case '"':
      if (!scan_string (text, &p, end, &has_escapes, error))
        return FALSE;
      type = PI_JSON_TYPE_STRING;
      break;

    case 't':
      if (!scan_literal (text, &p, end, "true", error))
        return FALSE;
      type = PI_JSON_TYPE_BOOLEAN;
      break;

    case 'f':
      if (!scan_literal (text, &p, end, "false", error))
        return FALSE;
      type = PI_JSON_TYPE_BOOLEAN;
      break;

    case 'n':
      if (!scan_literal (text, &p, end, "null", error))
        return FALSE;
      type = PI_JSON_TYPE_NULL;
      break;

    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      if (!scan_number (text, &p, end, error))
        return FALSE;
      type = PI_JSON_TYPE_NUMBER;
      break;

    default:
      return fail (error, FAIL_UNEXPECTED, text, p, end, max_depth);
    }

after_value:
  /* A value of @type just ended at @p. */
  if (depth == 0)
    goto done;

  if (depth == 1 && func != NULL)
    {
      PiJsonSpan span = { type, member_start - text, p - member_start, has_escapes };

      if (stack[0] == FRAME_ARRAY)
        func (NULL, 0, &span, user_data);
      else if (!name_escaped)
        func (name, name_len, &span, user_data);
      else
        {
          if (scratch == NULL)
            scratch = g_string_new (NULL);
          g_string_truncate (scratch, 0);
          pi_json_append_unescaped (scratch, name - 1, name_len + 2);
          func (scratch->str, scratch->len, &span, user_data);
        }
    }
  has_escapes = FALSE;

  p = skip_ws (p, end);
  if (p == end)
    return fail (error, FAIL_END, text, p, end, max_depth);

  if (stack[depth - 1] == FRAME_OBJECT)
    {
      if (*p == ',')
        {
          p = skip_ws (p + 1, end);
          goto key;
        }
      if (*p == '}')
        {
          p++;
          depth--;
          type = PI_JSON_TYPE_OBJECT;
          goto after_value;
        }
    }
  else
    {
      if (*p == ',')
        {
          p = skip_ws (p + 1, end);
          goto value;
        }
      if (*p == ']')
        {
          p++;
          depth--;
          type = PI_JSON_TYPE_ARRAY;
          goto after_value;
        }
    }
  return fail (error, FAIL_UNEXPECTED, text, p, end, max_depth);

key:
  /* @p is where a member name must start. */
  if (p == end)
    return fail (error, FAIL_END, text, p, end, max_depth);
  if (*p != '"')
    return fail (error, FAIL_UNEXPECTED, text, p, end, max_depth);
  {
    const char *key_start = p;
    gboolean key_escaped;

    if (!scan_string (text, &p, end, &key_escaped, error))
      return FALSE;
    if (depth == 1)
      {
        name = key_start + 1;
        name_len = p - key_start - 2;
        name_escaped = key_escaped;
      }
  }
  p = skip_ws (p, end);
  if (p == end)
    return fail (error, FAIL_END, text, p, end, max_depth);
  if (*p != ':')
    return fail (error, FAIL_UNEXPECTED, text, p, end, max_depth);
  p = skip_ws (p + 1, end);
  goto value;

done:
  {
    const char *root_end = p;

    p = skip_ws (p, end);
    if (p != end)
      return fail (error, FAIL_UNEXPECTED, text, p, end, max_depth);

    if (root != NULL)
      {
        root->type = type;
        root->offset = root_start - text;
        root->length = root_end - root_start;
        root->has_escapes = has_escapes;
      }
  }

  return TRUE;
}

/**
 * pi_json_parser_load:
 * @parser: a #JsonParser from json_parser_new()
 * @text: (array length=len): text from outside that should be JSON
 * @len: length of @text in bytes, or -1 if it is NUL-terminated
 * @error: return location for a #GError
 *
 * json_parser_load_from_data() for text that anyone may have written (a
 * connect query, a share link, a file, a server's event). The text is
 * checked with pi_json_scan() first and refused with its error unless it
 * is one strict JSON value nested at most %PI_JSON_DEFAULT_MAX_DEPTH
 * levels deep, because json-glib, left to itself:
 * - recurses once per level of nesting with no limit of its own, so text
 *   nested some tens of thousands of levels deep overflows the stack;
 * - accepts text that is not JSON (single quotes, comments, a second
 *   value after the first: `{}{}`), and json-glib 1.10 then aborts in
 *   json_parser_get_root() on some of it (`1{}`) when the parser is
 *   immutable.
 * The scan costs a fraction of json-glib's own parse.
 *
 * Returns: the result of json_parser_load_from_data(), or %FALSE with an
 *   error in %PI_JSON_ERROR
 */
gboolean
pi_json_parser_load (JsonParser  *parser,
                     const char  *text,
                     gssize       len,
                     GError     **error)
{
  g_return_val_if_fail (JSON_IS_PARSER (parser), FALSE);
  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (text == NULL)
    text = "";
  if (len < 0)
    len = strlen (text);

  if (!pi_json_scan (text, len, PI_JSON_DEFAULT_MAX_DEPTH, NULL, NULL, NULL, error))
    return FALSE;

  return json_parser_load_from_data (parser, text, len, error);
}
