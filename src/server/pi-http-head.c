/* pi-http-head.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-http-front"

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "pi-http-head.h"

/*
 * Reading a request head as the connection front (pi-http-front-conn.c)
 * needs it: where it ends, and the framing of the body after it, read
 * exactly as libsoup will read it once the connection is handed over.
 */

/**
 * pi_http_head_find_end:
 * @data: the start of a request, its leading empty lines dropped
 * @len: how much of it was read
 *
 * libsoup takes bare LF line ends too.
 *
 * Returns: where the head ends (after its empty line), or 0 if not yet
 */
gsize
pi_http_head_find_end (const guint8 *data,
                       gsize         len)
{
  for (gsize i = 0; i + 1 < len; i++)
    {
      if (data[i] != '\n')
        continue;
      if (data[i + 1] == '\n')
        return i + 2;
      if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
        return i + 3;
    }

  return 0;
}

/* The header fields of a request head, a line at a time, over the bytes
 * read: never C strings, which would end at a NUL byte. */
typedef struct
{
  const char *next;  /* the next line */
  const char *end;   /* of the head */
} HeadFields;

static void
head_fields_init (HeadFields *fields,
                  const char *head,
                  gsize       length)
{
  const char *lf = memchr (head, '\n', length);

  /* The request line comes first: the fields start after it. */
  fields->next = lf != NULL ? lf + 1 : head + length;
  fields->end = head + length;
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* A field's value from the bytes after its colon to the end of its last
 * line: the blanks around it cut (CR counts as one), and each line break
 * with the blanks on both sides of it made one space, as libsoup does. */
static char *
field_value (const char *p,
             const char *end)
{
  GString *value = g_string_sized_new (end - p);

  while (p < end && (is_blank (*p) || *p == '\r' || *p == '\n'))
    p++;

  while (p < end)
    {
      const char *lf = memchr (p, '\n', end - p);

      g_string_append_len (value, p, (lf != NULL ? lf : end) - p);
      if (lf == NULL)
        break;

      while (value->len > 0 && (is_blank (value->str[value->len - 1]) || value->str[value->len - 1] == '\r'))
        g_string_truncate (value, value->len - 1);
      g_string_append_c (value, ' ');
      for (p = lf + 1; p < end && is_blank (*p); p++)
        ;
    }

  while (value->len > 0 && (is_blank (value->str[value->len - 1]) || value->str[value->len - 1] == '\r'))
    g_string_truncate (value, value->len - 1);
  g_strdelimit (value->str, "\r", ' ');

  return g_string_free (value, FALSE);
}

/* The line that starts at @line ends before the returned '\n' (or @end). */
static const char *
line_end (const char *line,
          const char *end)
{
  const char *lf = memchr (line, '\n', end - line);

  return lf != NULL ? lf : end;
}

/* The next field, or FALSE after the last one, read as libsoup reads a head
 * (soup_headers_parse()), so that both find the same framing: a line that
 * starts with a blank continues the field before it (obsolete line
 * folding); a line without a colon, or whose name is empty or has a blank
 * or CR in it, is no field, and neither are the lines that continue it
 * (they start with a blank: no name of theirs is valid either). */
static gboolean
head_fields_next (HeadFields  *fields,
                  char       **name,
                  char       **value)
{
  while (fields->next < fields->end)
    {
      const char *line = fields->next;
      const char *last = line_end (line, fields->end);
      const char *colon = memchr (line, ':', last - line);
      gboolean valid = colon != NULL && colon > line;

      for (const char *p = line; valid && p < colon; p++)
        valid = !is_blank (*p) && *p != '\r';

      fields->next = last < fields->end ? last + 1 : fields->end;
      if (!valid)
        continue;

      while (fields->next < fields->end && is_blank (*fields->next))
        {
          last = line_end (fields->next, fields->end);
          fields->next = last < fields->end ? last + 1 : fields->end;
        }

      *name = g_strndup (line, colon - line);
      *value = field_value (colon + 1, last);
      return TRUE;
    }

  return FALSE;
}

/**
 * pi_http_head_parse:
 * @head: (out caller-allocates): what the front needs from the head
 * @data: a request head, its empty line included
 * @length: its length
 * @reason: (out): why it is refused, if it is
 *
 * Reads the body's length, and the Origin for the front's own answers
 * (even from a head then refused; pi_http_head_clear() frees it).
 *
 * libsoup parses the head again once it is handed over, and reads the body
 * it finds there, with no deadline and no bound: both must find the same
 * one. So what the front cannot be sure libsoup reads alike is refused.
 *
 * Returns: 0, or the HTTP status to refuse the request with
 */
guint
pi_http_head_parse (PiHttpHead  *head,
                    const char  *data,
                    gsize        length,
                    char       **reason)
{
  HeadFields fields;
  guint64 content_length = 0;
  gboolean have_length = FALSE;
  gboolean chunked = FALSE;

  memset (head, 0, sizeof *head);

  /* No valid request has one, and libsoup versions differ on it: 3.2 drops
   * NULs from a head and reads on (a Content-Length after one counts), 3.6
   * refuses the head without a word. */
  if (memchr (data, '\0', length) != NULL)
    {
      *reason = g_strdup ("The request line or headers contain a NUL byte");
      return SOUP_STATUS_BAD_REQUEST;
    }

  head_fields_init (&fields, data, length);
  for (;;)
    {
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (!head_fields_next (&fields, &name, &value))
        break;

      if (g_ascii_strcasecmp (name, "Content-Length") == 0)
        {
          guint64 value_length;

          if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &value_length, NULL) ||
              (have_length && value_length != content_length))
            {
              *reason = g_strdup ("The Content-Length header is not valid");
              return SOUP_STATUS_BAD_REQUEST;
            }
          content_length = value_length;
          have_length = TRUE;
        }
      else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
        {
          chunked = TRUE;
        }
      else if (g_ascii_strcasecmp (name, "Expect") == 0)
        {
          head->expect_continue = g_ascii_strcasecmp (value, "100-continue") == 0;
        }
      else if (g_ascii_strcasecmp (name, "Origin") == 0 && head->origin == NULL)
        {
          head->origin = g_steal_pointer (&value);
        }
    }

  /* Two framings at once are how requests are smuggled past a proxy that
   * reads the other one (RFC 9112, 6.3): refuse rather than pick one. */
  if (chunked && have_length)
    {
      *reason = g_strdup ("The request has both a Content-Length and a Transfer-Encoding header");
      return SOUP_STATUS_BAD_REQUEST;
    }

  /* A chunked body's size is not known before it is read. */
  if (chunked)
    {
      *reason = g_strdup ("Send the request body with a Content-Length header: "
                          "this server does not take chunked request bodies");
      return SOUP_STATUS_LENGTH_REQUIRED;
    }

  head->content_length = content_length;
  return 0;
}

void
pi_http_head_clear (PiHttpHead *head)
{
  g_clear_pointer (&head->origin, g_free);
}
