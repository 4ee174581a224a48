/* pi-json-util.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define PI_JSON_ERROR (pi_json_error_quark ())

/**
 * PiJsonError:
 * @PI_JSON_ERROR_SYNTAX: the text is not JSON (an unexpected character or end)
 * @PI_JSON_ERROR_INVALID_UTF8: a string holds bytes that are not UTF-8
 * @PI_JSON_ERROR_TOO_DEEP: arrays and objects nest deeper than allowed
 */
typedef enum
{
  PI_JSON_ERROR_SYNTAX,
  PI_JSON_ERROR_INVALID_UTF8,
  PI_JSON_ERROR_TOO_DEEP,
} PiJsonError;

typedef enum
{
  PI_JSON_TYPE_NULL,
  PI_JSON_TYPE_BOOLEAN,
  PI_JSON_TYPE_NUMBER,
  PI_JSON_TYPE_STRING,
  PI_JSON_TYPE_ARRAY,
  PI_JSON_TYPE_OBJECT,
} PiJsonType;

/* Deep enough for any real payload, shallow enough that the recursive
 * json-glib parser used for the payload tree is never at risk. */
#define PI_JSON_DEFAULT_MAX_DEPTH 512
#define PI_JSON_MAX_DEPTH         4096

/**
 * PiJsonSpan:
 * @type: the type of the value
 * @offset: where the value starts in the scanned text, in bytes
 * @length: its length in bytes (a string's includes its quotes)
 * @has_escapes: for strings, whether the literal has backslash escapes
 *
 * Where one value lies in a scanned text.
 */
typedef struct
{
  PiJsonType type;
  gsize      offset;
  gsize      length;
  gboolean   has_escapes;
} PiJsonSpan;

/**
 * PiJsonMemberFunc:
 * @name: (nullable): the member name, unescaped, not NUL-terminated; %NULL
 *   for an array element
 * @name_len: length of @name in bytes
 * @value: where the value lies in the scanned text
 * @user_data: data passed to pi_json_scan()
 *
 * Called for every direct child of the root value, in order.
 */
typedef void (*PiJsonMemberFunc) (const char       *name,
                                  gsize             name_len,
                                  const PiJsonSpan *value,
                                  gpointer          user_data);

/* Whether the member name given to a #PiJsonMemberFunc is @literal (a
 * string literal): names are not NUL-terminated, so compare the lengths. */
#define PI_JSON_NAME_IS(name, name_len, literal) \
  ((name_len) == sizeof (literal) - 1 && memcmp ((name), (literal), (name_len)) == 0)

GQuark   pi_json_error_quark        (void);

void     pi_json_append_string      (GString          *out,
                                     const char       *str,
                                     gssize            len);

gboolean pi_json_scan               (const char       *text,
                                     gsize             len,
                                     guint             max_depth,
                                     PiJsonSpan       *root,
                                     PiJsonMemberFunc  func,
                                     gpointer          user_data,
                                     GError          **error);
void     pi_json_append_unescaped   (GString          *out,
                                     const char       *literal,
                                     gsize             len);
gboolean pi_json_parser_load        (JsonParser       *parser,
                                     const char       *text,
                                     gssize            len,
                                     GError          **error);

G_END_DECLS
