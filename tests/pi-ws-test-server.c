/* pi-ws-test-server.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-ws-test-server"

#include <json-glib/json-glib.h>
#include <string.h>

#include "pi-ws-test-server.h"

struct _PiWsTestServer
{
  PiWsTestScript  script;
  SoupServer     *server;
  guint16         port;
  guint           n_connections;
  guint           n_subscribes;
  GPtrArray      *connections;
  char           *last_host;      /* the Host header of the last upgrade */
  char           *last_init;      /* the last connection_init frame, as sent */
  GHashTable     *requests;       /* path -> requests for it, upgraded or not */
};

typedef struct
{
  PiWsTestServer          *server;
  SoupWebsocketConnection *ws;
  gboolean                 graphql;
  guint                    next_id;
} Conn;

static char *
message_json (PiWsTestServer *self,
              const char     *exchange,
              guint           i)
{
  g_autofree char *padding = g_strnfill (self->script.payload_size, 'x');

  return g_strdup_printf ("{\"payload\":{\"i\":%u,\"pad\":\"%s\"},\"exchange\":\"%s\","
                          "\"routingKey\":\"key.%u\",\"redelivered\":false,\"cc\":[]}",
                          i, padding, exchange, i);
}

static void
send_data (Conn       *conn,
           const char *id,
           const char *exchange)
{
  PiWsTestServer *self = conn->server;

  if (self->script.extra_frame != NULL)
    soup_websocket_connection_send_text (conn->ws, self->script.extra_frame);

  for (guint i = 0; i < self->script.n_messages; i++)
    {
      g_autofree char *message = message_json (self, exchange, i);
      g_autofree char *frame = NULL;

      if (conn->graphql)
        frame = g_strdup_printf ("{\"type\":\"data\",\"id\":\"%s\",\"payload\":{\"data\":{\"pulseMessages\":%s}}}",
                                 id, message);
      else
        frame = g_strdup_printf ("{\"type\":\"data\",\"subscriptionId\":\"%s\",\"message\":%s}", id, message);
      soup_websocket_connection_send_text (conn->ws, frame);
    }

  if (self->script.close_after_data)
    soup_websocket_connection_close (conn->ws, 4408, "max age");
}

static void
on_message (SoupWebsocketConnection *ws,
            SoupWebsocketDataType    type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  Conn *conn = user_data;
  PiWsTestServer *self = conn->server;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *frame;
  const char *frame_type;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  if (!json_parser_load_from_data (parser, text, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      soup_websocket_connection_close (ws, 4400, "Protocol error: not JSON");
      return;
    }
  frame = json_node_get_object (json_parser_get_root (parser));
  frame_type = json_object_get_string_member_with_default (frame, "type", "");

  if (strcmp (frame_type, "connection_init") == 0)
    {
      g_free (self->last_init);
      self->last_init = g_strndup (text, len);
      if (self->script.no_ack)
        return;
      if (self->script.refuse_code != 0)
        {
          if (conn->graphql)
            soup_websocket_connection_send_text (ws, "{\"type\":\"connection_error\",\"payload\":"
                                                     "{\"message\":\"Error: InsufficientScopes web:read-pulse\"}}");
          else if (self->script.refuse_code_name != NULL)
            {
              g_autofree char *error = g_strdup_printf ("{\"type\":\"error\",\"code\":\"%s\",\"message\":\"refused\"}",
                                                        self->script.refuse_code_name);

              soup_websocket_connection_send_text (ws, error);
            }
          soup_websocket_connection_close (ws, self->script.refuse_code, NULL);
          return;
        }
      soup_websocket_connection_send_text (ws, "{\"type\":\"connection_ack\"}");
    }
  else if (strcmp (frame_type, "subscribe") == 0 && !conn->graphql)
    {
      JsonArray *bindings = json_object_has_member (frame, "bindings") ?
        json_object_get_array_member (frame, "bindings") : NULL;
      g_autofree char *id = g_strdup_printf ("sub-%u", ++conn->next_id);
      g_autofree char *ack = g_strdup_printf ("{\"type\":\"subscribe_ack\",\"subscriptionId\":\"%s\"}", id);
      const char *exchange;

      self->n_subscribes++;
      if (json_object_has_member (frame, "service"))
        {
          /* Named: the routing-key filter names the exchange the test expects. */
          JsonObject *routing_key = json_object_get_object_member (frame, "routingKey");
          const char *group = routing_key ?
            json_object_get_string_member_with_default (routing_key, "taskGroupId", "none") : "none";
          g_autofree char *named = g_strdup_printf ("exchange/named/%s", group);

          soup_websocket_connection_send_text (ws, ack);
          send_data (conn, id, named);
          return;
        }
      if (bindings == NULL || json_array_get_length (bindings) == 0 || json_array_get_length (bindings) > 100)
        {
          soup_websocket_connection_send_text (ws, "{\"type\":\"error\",\"code\":\"ProtocolError\","
                                                   "\"message\":\"bindings must have 1 to 100 entries\"}");
          return;
        }
      soup_websocket_connection_send_text (ws, ack);
      exchange = json_object_get_string_member (json_array_get_object_element (bindings, 0), "exchange");
      if (strstr (exchange, "missing") != NULL)
        {
          g_autofree char *error =
            g_strdup_printf ("{\"type\":\"error\",\"subscriptionId\":\"%s\",\"code\":\"SubscriptionError\","
                             "\"message\":\"Error binding queue: no exchange %s\"}", id, exchange);

          soup_websocket_connection_send_text (ws, error);
          return;
        }
      send_data (conn, id, exchange);
    }
  else if (strcmp (frame_type, "start") == 0 && conn->graphql)
    {
      const char *id = json_object_get_string_member_with_default (frame, "id", "");
      JsonObject *payload = json_object_get_object_member (frame, "payload");
      JsonObject *variables = json_object_get_object_member (payload, "variables");
      JsonArray *subscriptions = json_object_get_array_member (variables, "subscriptions");
      const char *exchange =
        json_object_get_string_member (json_array_get_object_element (subscriptions, 0), "exchange");

      self->n_subscribes++;
      if (strstr (exchange, "missing") != NULL)
        {
          g_autofree char *error =
            g_strdup_printf ("{\"type\":\"error\",\"id\":\"%s\",\"payload\":"
                             "{\"message\":\"Error binding queue: no exchange %s\"}}", id, exchange);

          soup_websocket_connection_send_text (ws, error);
          return;
        }
      send_data (conn, id, exchange);
    }
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  PiWsTestServer *self = user_data;
  Conn *conn = g_new0 (Conn, 1);

  self->n_connections++;
  g_free (self->last_host);
  self->last_host = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Host"));
  conn->server = self;
  conn->ws = g_object_ref (ws);
  conn->graphql = strcmp (path, "/subscription") == 0;
  soup_websocket_connection_set_max_incoming_payload_size (ws, 64 * 1024 * 1024);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), conn);
  g_ptr_array_add (self->connections, conn);
}

static void
free_conn (gpointer data)
{
  Conn *conn = data;

  g_signal_handlers_disconnect_by_data (conn->ws, conn);
  if (soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_object_unref (conn->ws);
  g_free (conn);
}

static void
not_found_cb (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  PiWsTestServer *self = user_data;
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->requests, path));

  g_hash_table_replace (self->requests, g_strdup (path), GUINT_TO_POINTER (n + 1));
}

PiWsTestServer *
pi_ws_test_server_new (const PiWsTestScript *script)
{
  PiWsTestServer *self = g_new0 (PiWsTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (script->ipv6 ? G_SOCKET_FAMILY_IPV6
                                                                                : G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, script->port);
  GSList *uris;

  self->script = *script;
  self->connections = g_ptr_array_new_with_free_func (free_conn);
  self->server = soup_server_new ("tls-certificate", script->tls_certificate, NULL);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (self->server, "request-read", G_CALLBACK (request_read_cb), self);
  soup_server_add_handler (self->server, NULL, not_found_cb, self, NULL);
  if (!script->raw)
    soup_server_add_handler (self->server, "/subscription/raw", not_found_cb, self, NULL);
  if (script->raw)
    {
      soup_server_add_websocket_handler (self->server, "/subscription/raw", NULL, NULL, websocket_cb, self, NULL);
      soup_server_add_websocket_handler (self->server, "/subscription/named", NULL, NULL, websocket_cb, self, NULL);
    }
  if (script->graphql)
    {
      static char *protocols[] = { (char *) "graphql-ws", NULL };

      soup_server_add_websocket_handler (self->server, "/subscription", NULL, protocols, websocket_cb, self, NULL);
    }

  if (!soup_server_listen (self->server, address, script->tls_certificate ? SOUP_SERVER_LISTEN_HTTPS : 0, &error))
    g_error ("%s", error->message);
  uris = soup_server_get_uris (self->server);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return self;
}

char *
pi_ws_test_server_get_url (PiWsTestServer *self)
{
  return g_strdup_printf ("%s://%s:%u", self->script.tls_certificate ? "https" : "http",
                          self->script.ipv6 ? "[::1]" : "127.0.0.1", self->port);
}

guint
pi_ws_test_server_get_n_connections (PiWsTestServer *self)
{
  return self->n_connections;
}

guint
pi_ws_test_server_get_n_subscribes (PiWsTestServer *self)
{
  return self->n_subscribes;
}

const char *
pi_ws_test_server_get_last_host (PiWsTestServer *self)
{
  return self->last_host;
}

/* The last connection_init frame a client sent, where credentials go. */
const char *
pi_ws_test_server_get_last_init (PiWsTestServer *self)
{
  return self->last_init;
}

/* Requests for @path the server read, whatever it answered. */
guint
pi_ws_test_server_get_n_requests (PiWsTestServer *self,
                                  const char     *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->requests, path));
}

guint16
pi_ws_test_server_get_port (PiWsTestServer *self)
{
  return self->port;
}

/* Connections the client has not closed yet (nor the server). */
guint
pi_ws_test_server_get_n_open (PiWsTestServer *self)
{
  guint n = 0;

  for (guint i = 0; i < self->connections->len; i++)
    {
      Conn *conn = g_ptr_array_index (self->connections, i);

      if (soup_websocket_connection_get_state (conn->ws) != SOUP_WEBSOCKET_STATE_CLOSED)
        n++;
    }
  return n;
}

void
pi_ws_test_server_free (PiWsTestServer *self)
{
  g_ptr_array_unref (self->connections);
  g_signal_handlers_disconnect_by_data (self->server, self);
  soup_server_disconnect (self->server);
  g_object_unref (self->server);
  g_free (self->last_init);
  g_free (self->last_host);
  g_hash_table_unref (self->requests);
  g_free (self);
}
