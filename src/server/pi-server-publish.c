/* pi-server-publish.c
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
#include "pi-event-format.h"
#include "pi-json-util.h"
#include "pi-server-private.h"

/*
 * POST <base>/publish (docs/PROTOCOL.md 7, extension): the embedded exchange
 * takes messages over HTTP. Brokers without a publish vfunc refuse it.
 */

typedef struct
{
  const char  *exchange;
  const char  *routing_key;
  GStrv        routes;
  char        *payload;
} Publication;

static void
publication_clear (gpointer data)
{
  Publication *publication = data;

  g_strfreev (publication->routes);
  g_free (publication->payload);
}

static gboolean
parse_publication (JsonNode     *node,
                   Publication  *publication,
                   GError      **error)
{
  JsonObject *object;
  JsonNode *routes;
  JsonNode *payload;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto shape;
  object = json_node_get_object (node);

  publication->exchange = json_object_get_string_member_with_default (object, "exchange", NULL);
  publication->routing_key = json_object_get_string_member_with_default (object, "routingKey", NULL);
  payload = json_object_get_member (object, "payload");
  if (publication->exchange == NULL || publication->routing_key == NULL || payload == NULL)
    goto shape;

  if (!pi_binding_validate_exchange (publication->exchange, error))
    return FALSE;
  if (strlen (publication->routing_key) > PI_BINDING_MAX_LENGTH)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The routing key is longer than %d bytes", PI_BINDING_MAX_LENGTH);
      return FALSE;
    }

  routes = json_object_get_member (object, "routes");
  if (routes != NULL && !JSON_NODE_HOLDS_NULL (routes))
    {
      JsonArray *array;
      GStrvBuilder *builder;

      if (!JSON_NODE_HOLDS_ARRAY (routes))
        goto routes;
      array = json_node_get_array (routes);
      builder = g_strv_builder_new ();
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *route = json_array_get_element (array, i);

          if (json_node_get_value_type (route) != G_TYPE_STRING)
            {
              g_strv_builder_unref (builder);
              goto routes;
            }
          g_strv_builder_add (builder, json_node_get_string (route));
        }
      publication->routes = g_strv_builder_end (builder);
      g_strv_builder_unref (builder);
    }

  publication->payload = json_to_string (payload, FALSE);
  return TRUE;

shape:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "A message is an object with `exchange`, `routingKey`, `payload` and optional `routes`");
  return FALSE;

routes:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "`routes` must be an array of strings");
  return FALSE;
}

/* The size of the `message` event a client would get. The payload is
 * json_to_string()'s compact output, which pi_event_format_message() splices
 * as it is: frame the rest around a one-byte payload and add the payload's
 * length. */
static gsize
event_size (Publication *publication)
{
  g_autoptr(GBytes) frame = pi_event_format_message (publication->exchange, publication->routing_key,
                                                     (const char * const *) publication->routes,
                                                     FALSE, "0", 1);

  return g_bytes_get_size (frame) - 1 + strlen (publication->payload);
}

void
pi_server_handle_publish (PiServer          *self,
                          SoupServerMessage *msg)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GArray) publications = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;
  JsonNode *root;
  gsize size;
  const char *data;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST, OPTIONS");
      pi_server_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use POST to publish");
      return;
    }

  if (PI_BROKER_GET_CLASS (self->broker)->publish == NULL)
    {
      pi_server_respond_error (msg, SOUP_STATUS_FORBIDDEN,
                     "Publishing is only available on the embedded exchange");
      return;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  data = g_bytes_get_data (body, &size);
  parser = json_parser_new ();
  if (!pi_json_parser_load (parser, data ? data : "", size, &error))
    {
      g_autofree char *text = g_strdup_printf ("The body is not JSON: %s", error->message);

      pi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, text);
      return;
    }

  /* One message, or (extension) an array of them: publishers that batch
   * need far fewer requests. All are checked before any is published. */
  root = json_parser_get_root (parser);
  publications = g_array_new (FALSE, TRUE, sizeof (Publication));
  g_array_set_clear_func (publications, publication_clear);
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      g_array_set_size (publications, json_array_get_length (array));
      for (guint i = 0; i < publications->len; i++)
        if (!parse_publication (json_array_get_element (array, i),
                                &g_array_index (publications, Publication, i), &error))
          break;
    }
  else if (root != NULL)
    {
      g_array_set_size (publications, 1);
      parse_publication (root, &g_array_index (publications, Publication, 0), &error);
    }
  else
    {
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The body is empty");
    }

  if (error != NULL)
    {
      pi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }

  /* A message no client's buffer can hold would be dropped for every
   * client: say so now, and publish none of the batch. */
  for (guint i = 0; i < publications->len; i++)
    {
      Publication *publication = &g_array_index (publications, Publication, i);
      gsize event_bytes = event_size (publication);

      if (event_bytes > self->client_buffer)
        {
          g_autofree char *text = NULL;

          text = g_strdup_printf ("Message %u is too large: as an event it takes %" G_GSIZE_FORMAT
                                  " bytes, and this server holds at most %" G_GSIZE_FORMAT
                                  " bytes for a client (--client-buffer)",
                                  i + 1, event_bytes, self->client_buffer);
          pi_server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, text);
          return;
        }
    }

  for (guint i = 0; i < publications->len; i++)
    {
      Publication *publication = &g_array_index (publications, Publication, i);

      if (!pi_broker_publish (self->broker, publication->exchange, publication->routing_key,
                              (const char * const *) publication->routes,
                              publication->payload, &error))
        {
          pi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
          return;
        }
    }

  reply = g_strdup_printf ("{\"published\":%u}", publications->len);
  pi_server_respond_json (msg, SOUP_STATUS_OK, reply);
}
