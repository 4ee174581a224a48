/* pi-ws-request.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "pi-binding.h"
#include "pi-catalog.h"
#include "pi-json-util.h"
#include "pi-ws-request.h"

/*
 * What a client of the plain WebSocket endpoints (/subscription/raw and
 * /subscription/named) sends, as the Taskcluster web-server reads it: one
 * JSON object per text frame, told apart by `type`. A pure function of the
 * frame's text, so that it can be fuzzed (tests/fuzz/fuzz-ws-request.c);
 * what the server does with a request is pi-server-ws.c.
 *
 * A named subscribe becomes bindings here: each event name is a queue
 * exchange of the catalog (`taskCompleted` is
 * exchange/taskcluster-queue/v1/task-completed), and its pattern is built
 * from the given routing-key words, the others left open.
 */

G_DEFINE_QUARK (pi-ws-request-error-quark, pi_ws_request_error)

void
pi_ws_request_free (PiWsRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->authorization);
  g_free (request->resume_from);
  g_clear_pointer (&request->bindings, g_ptr_array_unref);
  g_free (request->subscription_id);
  g_free (request);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
bad_subscribe (GError     **error,
               const char  *format,
               ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad_subscribe (GError     **error,
               const char  *format,
               ...)
{
  va_list args;
  char *text;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, PI_WS_REQUEST_ERROR, PI_WS_REQUEST_ERROR_BAD_SUBSCRIBE, text);
  g_free (text);
  return FALSE;
}

/* Checks a binding as a broker would take it. */
static gboolean
add_binding (GPtrArray   *bindings,
             const char  *exchange,
             const char  *pattern,
             GError     **error)
{
  g_autoptr(PiBinding) binding = pi_binding_new (exchange, pattern);
  g_autoptr(GError) local_error = NULL;

  if (!pi_binding_validate (binding, &local_error))
    return bad_subscribe (error, "Invalid binding: %s", local_error->message);

  g_ptr_array_add (bindings, g_steal_pointer (&binding));
  return TRUE;
}

/* `{"type": "subscribe", "bindings": [{"exchange": "...", "pattern": "..."}]}` */
static gboolean
parse_raw_subscribe (JsonObject  *object,
                     GPtrArray   *bindings,
                     GError     **error)
{
  JsonNode *node = json_object_get_member (object, "bindings");
  JsonArray *array;
  guint n;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return bad_subscribe (error, "subscribe requires a bindings array");

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0)
    return bad_subscribe (error, "subscribe requires at least one binding");
  if (n > PI_WS_MAX_BINDINGS)
    return bad_subscribe (error, "Too many bindings: at most %u per subscribe, got %u",
                          PI_WS_MAX_BINDINGS, n);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      const char *exchange, *pattern;

      if (!JSON_NODE_HOLDS_OBJECT (item) ||
          !(exchange = member_string (json_node_get_object (item), "exchange")) ||
          !(pattern = member_string (json_node_get_object (item), "pattern")))
        return bad_subscribe (error, "Each binding must have string exchange and pattern fields");

      if (!add_binding (bindings, exchange, pattern, error))
        return FALSE;
    }

  return TRUE;
}

/* "task-completed" -> "taskCompleted", the name of the queue's reference. */
static char *
event_name (const char *short_name)
{
  GString *name = g_string_new (NULL);
  gboolean upper = FALSE;

  for (const char *p = short_name; *p != '\0'; p++)
    {
      if (*p == '-')
        upper = TRUE;
      else
        {
          g_string_append_c (name, upper ? g_ascii_toupper (*p) : *p);
          upper = FALSE;
        }
    }

  return g_string_free (name, FALSE);
}

static const PiCatalogExchange *
lookup_queue_event (const char *name)
{
  PiCatalog *catalog = pi_catalog_get_default ();

  for (guint i = 0; i < pi_catalog_get_n_exchanges (catalog); i++)
    {
      const PiCatalogExchange *exchange = pi_catalog_get_exchange (catalog, i);
      g_autofree char *candidate = NULL;

      if (g_strcmp0 (exchange->service, "queue") != 0)
        continue;
      candidate = event_name (exchange->short_name);
      if (strcmp (candidate, name) == 0)
        return exchange;
    }

  return NULL;
}

/* A routing-key word's value goes into a pattern as it is: one word. */
static gboolean
valid_word_value (const char *value)
{
  return value[0] != '\0' && strpbrk (value, ".*#") == NULL;
}

/* `{"type": "subscribe", "service": "queue", "subscriptions": ["taskDefined"],
 *   "routingKey": {"taskGroupId": "..."}}` */
static gboolean
parse_named_subscribe (JsonObject  *object,
                       GPtrArray   *bindings,
                       GError     **error)
{
  JsonNode *names_node = json_object_get_member (object, "subscriptions");
  JsonNode *key_node = json_object_get_member (object, "routingKey");
  JsonObject *routing_key = NULL;
  const char *service = member_string (object, "service");
  JsonArray *names;
  guint n;

  if (service == NULL || strcmp (service, "queue") != 0)
    return bad_subscribe (error, "Unknown service: only \"queue\" is supported");

  if (names_node == NULL || !JSON_NODE_HOLDS_ARRAY (names_node))
    return bad_subscribe (error, "subscribe requires a subscriptions array");

  if (key_node != NULL && !JSON_NODE_HOLDS_NULL (key_node))
    {
      if (!JSON_NODE_HOLDS_OBJECT (key_node))
        return bad_subscribe (error, "routingKey must be an object");
      routing_key = json_node_get_object (key_node);
    }

  names = json_node_get_array (names_node);
  n = json_array_get_length (names);
  if (n == 0)
    return bad_subscribe (error, "subscribe requires at least one subscription");
  if (n > PI_WS_MAX_BINDINGS)
    return bad_subscribe (error, "Too many subscriptions: at most %u per subscribe, got %u",
                          PI_WS_MAX_BINDINGS, n);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (names, i);
      const PiCatalogExchange *exchange;
      g_autofree const char **values = NULL;
      g_autofree char *pattern = NULL;

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        return bad_subscribe (error, "subscriptions must be an array of strings");
      if (!(exchange = lookup_queue_event (json_node_get_string (item))))
        return bad_subscribe (error, "Unknown queue event: %s", json_node_get_string (item));

      values = g_new0 (const char *, exchange->n_words + 1);
      if (routing_key != NULL)
        {
          g_autoptr(GList) members = json_object_get_members (routing_key);

          for (GList *l = members; l != NULL; l = l->next)
            {
              const char *word = l->data;
              const char *value = member_string (routing_key, word);
              gboolean found = FALSE;

              if (value == NULL || !valid_word_value (value))
                return bad_subscribe (error, "routingKey.%s must be a non-empty string without '.', '*' or '#'",
                                      word);

              for (guint w = 0; w < exchange->n_words; w++)
                if (strcmp (exchange->words[w].name, word) == 0)
                  {
                    values[w] = value;
                    found = TRUE;
                  }
              if (!found)
                return bad_subscribe (error, "Unknown routing key field %s for %s", word,
                                      json_node_get_string (item));
            }
        }

      pattern = pi_catalog_exchange_build_pattern (exchange, values);
      if (!add_binding (bindings, exchange->name, pattern, error))
        return FALSE;
    }

  return TRUE;
}

/* Our extension (docs/PROTOCOL.md 8, resuming): `"resume": true` asks for
 * a resumable subscription, `"resume": "SESSION:SEQ"` takes one over
 * (SESSION at most 64 letters and digits, SEQ the last message seen);
 * false or null is the same as no member. */
static gboolean
parse_resume (JsonObject   *object,
              gboolean      in_subscribe,
              PiWsRequest  *request,
              GError      **error)
{
  JsonNode *node = json_object_get_member (object, "resume");
  const char *value, *colon;
  gsize id_length;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    {
      request->resume = json_node_get_boolean (node);
      return TRUE;
    }
  if (!in_subscribe || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return bad_subscribe (error, in_subscribe ? "resume must be true or \"SESSION:SEQ\""
                                              : "resume must be true or false");

  value = json_node_get_string (node);
  colon = strchr (value, ':');
  id_length = colon != NULL ? (gsize) (colon - value) : 0;
  if (id_length == 0 || id_length > 64 || colon[1] == '\0' ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT64, NULL, NULL))
    return bad_subscribe (error, "resume must be true or \"SESSION:SEQ\"");
  for (gsize i = 0; i < id_length; i++)
    if (!g_ascii_isalnum (value[i]))
      return bad_subscribe (error, "resume must be true or \"SESSION:SEQ\"");

  request->resume = TRUE;
  request->resume_from = g_strdup (value);
  return TRUE;
}

/**
 * pi_ws_request_parse:
 * @endpoint: which endpoint the frame came to
 * @text: a text frame from the client
 * @length: its length
 * @error: a #GError in %PI_WS_REQUEST_ERROR
 *
 * Returns: (transfer full) (nullable): the request, or %NULL with @error
 *   set to a message for the client
 */
PiWsRequest *
pi_ws_request_parse (PiWsEndpoint   endpoint,
                     const char    *text,
                     gsize          length,
                     GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(PiWsRequest) request = g_new0 (PiWsRequest, 1);
  JsonObject *object;
  JsonNode *root;
  const char *type;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length == 0 || !pi_json_parser_load (parser, text, length, NULL))
    {
      g_set_error_literal (error, PI_WS_REQUEST_ERROR, PI_WS_REQUEST_ERROR_INVALID, "Invalid JSON");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, PI_WS_REQUEST_ERROR, PI_WS_REQUEST_ERROR_INVALID,
                           "A frame must be a JSON object");
      return NULL;
    }

  object = json_node_get_object (root);
  if (!(type = member_string (object, "type")))
    {
      g_set_error_literal (error, PI_WS_REQUEST_ERROR, PI_WS_REQUEST_ERROR_INVALID,
                           "A frame must have a string type");
      return NULL;
    }

  if (strcmp (type, "connection_init") == 0)
    {
      const char *authorization = member_string (object, "authorization");

      request->type = PI_WS_REQUEST_INIT;
      request->authorization = g_strdup (authorization);
      /* A bad `resume` in an init is not worth a protocol error: not
       * opted in. */
      if (!parse_resume (object, FALSE, request, NULL))
        request->resume = FALSE;
    }
  else if (strcmp (type, "subscribe") == 0)
    {
      request->type = PI_WS_REQUEST_SUBSCRIBE;
      request->bindings = g_ptr_array_new_with_free_func (g_object_unref);
      if (endpoint == PI_WS_ENDPOINT_RAW ? !parse_raw_subscribe (object, request->bindings, error)
                                         : !parse_named_subscribe (object, request->bindings, error))
        return NULL;
      if (!parse_resume (object, TRUE, request, error))
        return NULL;
    }
  else if (strcmp (type, "unsubscribe") == 0)
    {
      const char *id = member_string (object, "subscriptionId");

      if (id == NULL)
        {
          bad_subscribe (error, "unsubscribe requires a subscriptionId");
          return NULL;
        }
      request->type = PI_WS_REQUEST_UNSUBSCRIBE;
      request->subscription_id = g_strdup (id);
    }
  else
    {
      g_autofree char *valid = g_utf8_make_valid (type, -1);

      g_set_error (error, PI_WS_REQUEST_ERROR, PI_WS_REQUEST_ERROR_UNKNOWN_TYPE,
                   "Unknown frame type: %s", valid);
      return NULL;
    }

  return g_steal_pointer (&request);
}
