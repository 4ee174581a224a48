/* fuzz-message.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-capture.h"
#include "pi-json-util.h"
#include "pi-message.h"

#include "fuzz-common.h"

/*
 * Oracles for the message decoder (pi-message-decode.c) and the JSON
 * scanner under it (pi-json-scan.c), on the input as the data of an event:
 *
 * - the raw text round trip: pi_message_get_raw() gives back the input
 *   exactly (after U+FFFD replaced bytes that are not UTF-8), whatever the
 *   decoder cut out of it in place;
 * - json-glib agrees with the scanner: text the scanner accepts as JSON,
 *   json-glib parses too, to the same exchange, routing key, routes,
 *   redelivered flag and payload tree. (The other direction holds only for
 *   strict JSON: json-glib 1.10 also accepts single quotes, C comments,
 *   unknown escapes and a second top-level value, which the scanner rightly
 *   refuses; so a json-glib success is not asserted to be a scanner one.)
 * - the scanner's spans lie inside the text, in order, and a message's
 *   capture line is one line of valid JSON.
 */

typedef struct
{
  const char *text;
  gsize       len;
  gsize       last_end;
} SpanCheck;

static void
check_span (const char       *name,
            gsize             name_len,
            const PiJsonSpan *span,
            gpointer          user_data)
{
  SpanCheck *check = user_data;
  const char *start = check->text + span->offset;

  FUZZ_CHECK (span->offset >= check->last_end);
  FUZZ_CHECK (span->length > 0 && span->offset + span->length <= check->len);
  check->last_end = span->offset + span->length;

  if (name != NULL)
    FUZZ_CHECK (g_utf8_validate (name, name_len, NULL) || memchr (name, '\0', name_len) != NULL);

  switch (span->type)
    {
    case PI_JSON_TYPE_STRING:
      {
        GString *text = g_string_new (NULL);

        FUZZ_CHECK (span->length >= 2 && start[0] == '"' && start[span->length - 1] == '"');
        FUZZ_CHECK (span->has_escapes == (memchr (start, '\\', span->length) != NULL));
        pi_json_append_unescaped (text, start, span->length);
        FUZZ_CHECK (g_utf8_validate (text->str, -1, NULL));
        g_string_free (text, TRUE);
      }
      break;
    case PI_JSON_TYPE_ARRAY:
      FUZZ_CHECK (start[0] == '[' && start[span->length - 1] == ']');
      break;
    case PI_JSON_TYPE_OBJECT:
      FUZZ_CHECK (start[0] == '{' && start[span->length - 1] == '}');
      break;
    case PI_JSON_TYPE_BOOLEAN:
      FUZZ_CHECK (start[0] == 't' || start[0] == 'f');
      break;
    case PI_JSON_TYPE_NULL:
      FUZZ_CHECK (start[0] == 'n');
      break;
    case PI_JSON_TYPE_NUMBER:
      FUZZ_CHECK (start[0] == '-' || g_ascii_isdigit (start[0]));
      break;
    default:
      FUZZ_CHECK (!"unknown span type");
    }
}

static char *
node_to_string (JsonNode *node)
{
  return node == NULL ? g_strdup ("(none)") : json_to_string (node, FALSE);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

/* The payload as json-glib sees it in the whole text, against the
 * message's own parse of its payload span. */
static void
check_payload (PiMessage *message,
               JsonNode  *expected)
{
  g_autoptr(JsonNode) payload = pi_message_dup_payload (message);
  g_autofree char *a = node_to_string (payload);
  g_autofree char *b = node_to_string (expected);
  gsize len;

  FUZZ_CHECK ((pi_message_get_payload_text (message, &len) != NULL) == (expected != NULL));
  FUZZ_CHECK (strcmp (a, b) == 0);
}

static void
check_against_json_glib (PiMessage  *message,
                         const char *text,
                         gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonObject *object;
  const char *exchange;
  const char *routing_key;
  JsonNode *routes;
  JsonNode *redelivered;
  g_autoptr(GPtrArray) expected_routes = g_ptr_array_new ();
  const char * const *got_routes;

  if (!json_parser_load_from_data (parser, text, len, &error))
    {
      fprintf (stderr, "json-glib refused what the scanner accepted: %s\n", error->message);
      FUZZ_CHECK (!"json-glib agrees with the scanner");
    }
  root = json_parser_get_root (parser);
  FUZZ_CHECK (root != NULL);

  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  exchange = object ? member_string (object, "exchange") : NULL;

  if (exchange == NULL)
    {
      FUZZ_CHECK (pi_message_get_kind (message) == PI_MESSAGE_KIND_PAYLOAD_ONLY);
      check_payload (message, root);
      return;
    }

  FUZZ_CHECK (pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED);
  FUZZ_CHECK (strcmp (pi_message_get_exchange (message), exchange) == 0);
  routing_key = member_string (object, "routingKey");
  FUZZ_CHECK (strcmp (pi_message_get_routing_key (message), routing_key ? routing_key : "") == 0);

  routes = json_object_get_member (object, "routes");
  if (routes != NULL && JSON_NODE_HOLDS_ARRAY (routes))
    {
      JsonArray *array = json_node_get_array (routes);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
            g_ptr_array_add (expected_routes, (gpointer) json_node_get_string (element));
        }
    }
  got_routes = pi_message_get_routes (message);
  for (guint i = 0; i < expected_routes->len; i++)
    {
      FUZZ_CHECK (got_routes[i] != NULL);
      FUZZ_CHECK (strcmp (got_routes[i], expected_routes->pdata[i]) == 0);
    }
  FUZZ_CHECK (got_routes[expected_routes->len] == NULL);

  redelivered = json_object_get_member (object, "redelivered");
  FUZZ_CHECK (pi_message_get_redelivered (message) ==
              (redelivered != NULL && JSON_NODE_HOLDS_VALUE (redelivered) &&
               json_node_get_value_type (redelivered) == G_TYPE_BOOLEAN &&
               json_node_get_boolean (redelivered)));

  check_payload (message, json_object_get_member (object, "payload"));
}

static gboolean
is_ascii (const char *str)
{
  for (; *str != '\0'; str++)
    if ((guchar) *str >= 0x80)
      return FALSE;
  return TRUE;
}

/* What the list shows of a message, the search finds. */
static void
check_found (PiMessage  *message,
             const char *field)
{
  g_autofree char *needle = NULL;

  if (field[0] == '\0')
    return;
  needle = g_utf8_casefold (field, -1);
  /* A few non-ASCII characters fold to ASCII (KELVIN SIGN to "k"); an
   * ASCII needle is matched ASCII-only, which is the documented shortcut. */
  if (is_ascii (needle) && !is_ascii (field))
    return;
  FUZZ_CHECK (pi_message_contains_text (message, needle));
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_glib ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *input = (const char *) data;
  g_autofree char *valid = NULL;
  g_autoptr(PiMessage) message = NULL;
  g_autofree char *routes_text = NULL;
  g_autofree char *routes_joined = NULL;
  g_autofree char *line = NULL;
  const char *text = input;
  gsize len = size;
  SpanCheck spans = { input, size, 0 };
  PiJsonSpan root;
  gboolean scanned;

  scanned = pi_json_scan (input, size, 0, &root, check_span, &spans, NULL);
  if (scanned)
    FUZZ_CHECK (root.offset + root.length <= size && root.length > 0);

  if (!g_utf8_validate_len (input, size, NULL))
    {
      valid = g_utf8_make_valid (input, size);
      text = valid;
      len = strlen (valid);
      /* The scanner accepts UTF-8 only. */
      FUZZ_CHECK (!scanned);
    }

  message = pi_message_new_from_data (input, size, 7, 1234);
  FUZZ_CHECK (pi_message_get_sequence (message) == 7);
  FUZZ_CHECK (pi_message_get_time_received (message) == 1234);

  /* The raw text round trip. */
  FUZZ_CHECK (pi_message_get_size (message) == len);
  FUZZ_CHECK (memcmp (pi_message_get_raw (message), text, len) == 0);
  FUZZ_CHECK (pi_message_get_raw (message)[len] == '\0');

  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_UNDECODABLE)
    {
      FUZZ_CHECK (!scanned);
      FUZZ_CHECK (pi_message_get_error (message) != NULL);
      FUZZ_CHECK (pi_message_get_payload_text (message, NULL) == NULL);
    }
  else
    {
      FUZZ_CHECK (pi_message_get_error (message) == NULL);
      check_against_json_glib (message, text, len);
    }

  /* Asking twice gives the same (lazily made) answers. */
  FUZZ_CHECK (pi_message_get_raw (message) == pi_message_get_raw (message));
  FUZZ_CHECK (pi_message_get_routes (message) == pi_message_get_routes (message));

  routes_text = pi_message_dup_routes_text (message);
  routes_joined = g_strjoinv (", ", (char **) pi_message_get_routes (message));
  FUZZ_CHECK (strcmp (routes_text, routes_joined) == 0);

  check_found (message, pi_message_get_exchange (message));
  check_found (message, pi_message_get_routing_key (message));
  for (const char * const *r = pi_message_get_routes (message); *r != NULL; r++)
    check_found (message, *r);

  /* A capture line is one line of JSON. */
  line = pi_capture_format_message (message);
  FUZZ_CHECK (g_str_has_suffix (line, "\n"));
  FUZZ_CHECK (strchr (line, '\n') == line + strlen (line) - 1);
  FUZZ_CHECK (pi_json_scan (line, strlen (line), 0, NULL, NULL, NULL, NULL));

  return 0;
}
