/* pi-server.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pi-binding.h"
#include "pi-embedded-broker.h"
#include "pi-event-format.h"
#include "pi-json-util.h"
#include "pi-server.h"

/*
 * The HTTP front of pulse-events: PROTOCOL.md over a SoupServer.
 *
 * Each accepted stream is a Client. Its response body is written as
 * events arrive (accumulate off, unpause after every append), delimited by
 * the end of the connection rather than chunked, so that an event costs one
 * write and the bytes on the wire are exactly the event stream.
 *
 * Flow control: libsoup reports what the socket took (wrote-body-data,
 * wrote-chunk); what it has not taken yet is the client's queue. A message
 * that would push the queue past its bounds is dropped and counted, and a
 * `dropped` event reports the count once the queue has room again.
 */

#define API_PREFIX       "/api/events/v1"
#define OLD_API_PREFIX   "/v1"
#define ALLOW_HEADERS    "X-Requested-With, Content-Type, Authorization, Accept, Origin, Cache-Control, Last-Event-ID"
#define LOG_BINDINGS_MAX 400
#define LISTEN_BACKLOG   1024

typedef struct
{
  PiServer          *server;        /* borrowed: the server outlives its clients */
  SoupServerMessage *msg;
  GList              link;
  PiSubscription    *subscription;
  GSource           *hangup_source;
  char              *peer;
  char              *bindings_text;
  gint64             opened_at;
  guint64            pending_bytes;
  guint              pending_events;
  guint64            n_sent;
  guint64            n_dropped_total;
  guint64            dropped;       /* not yet reported */
  gboolean           ready;
  gboolean           closing;
} Client;

struct _PiServer
{
  GObject          parent_instance;

  SoupServer      *soup;
  PiBroker        *broker;
  GQueue           clients;
  char           **origins;
  GTlsCertificate *tls_certificate;
  GBytes          *ready_event;
  double           ping_interval;
  guint            ping_source;
  guint            max_connections;
  guint            queue_length;
  gsize            client_buffer;
  gint64           started_at;
  gboolean         shutting_down;
};

G_DEFINE_FINAL_TYPE (PiServer, pi_server, G_TYPE_OBJECT)

static const PiSubscriptionCallbacks subscription_callbacks;

/* --- helpers --------------------------------------------------------------- */

static void
add_cors_headers (PiServer          *self,
                  SoupServerMessage *msg)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (request_headers, "Origin");
  const char *allowed = NULL;

  for (guint i = 0; self->origins[i] != NULL; i++)
    {
      if (strcmp (self->origins[i], "*") == 0)
        {
          allowed = "*";
          break;
        }
      if (origin != NULL && g_ascii_strcasecmp (self->origins[i], origin) == 0)
        allowed = origin;
    }

  if (allowed != NULL)
    soup_message_headers_replace (headers, "Access-Control-Allow-Origin", allowed);
  if (allowed != NULL && strcmp (allowed, "*") != 0)
    soup_message_headers_append (headers, "Vary", "Origin");
  soup_message_headers_replace (headers, "Access-Control-Max-Age", "900");
  soup_message_headers_replace (headers, "Access-Control-Allow-Headers", ALLOW_HEADERS);
  soup_message_headers_replace (headers, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
}

static void
respond_json (SoupServerMessage *msg,
              guint              status,
              const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_COPY, json, strlen (json));
}

static void
respond_error (SoupServerMessage *msg,
               guint              status,
               const char        *message)
{
  g_autoptr(GString) json = g_string_new ("{\"message\":");

  pi_json_append_string (json, message, -1);
  g_string_append_c (json, '}');
  respond_json (msg, status, json->str);
}

static char *
describe_peer (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  const char *host = soup_server_message_get_remote_host (msg);

  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));

      if (host != NULL && strchr (host, ':') != NULL)
        return g_strdup_printf ("[%s]:%u", host, port);
      return g_strdup_printf ("%s:%u", host ? host : "?", port);
    }

  return g_strdup (host ? host : "?");
}

/* The bindings as given, made safe and short for one log line. */
static char *
loggable (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p++)
    {
      if (out->len >= LOG_BINDINGS_MAX)
        {
          g_string_append (out, "...");
          break;
        }
      g_string_append_c (out, (guchar) *p < 0x20 ? ' ' : *p);
    }

  return g_string_free (out, FALSE);
}

static char *
now_iso8601 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *base = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", base, g_date_time_get_microsecond (now) / 1000);
}

static void
set_tcp_nodelay (SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  g_autoptr(GError) error = NULL;

  /* Small events must not wait for ACKs (Nagle): see PLATFORM-NOTES. */
  if (socket != NULL &&
      g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX &&
      !g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    g_debug ("Could not set TCP_NODELAY: %s", error->message);
}

/* --- clients --------------------------------------------------------------- */

static void
client_append (Client *client,
               GBytes *event)
{
  SoupMessageBody *body = soup_server_message_get_response_body (client->msg);

  soup_message_body_append_bytes (body, event);
  client->pending_bytes += g_bytes_get_size (event);
  client->pending_events++;
  client->n_sent++;
  soup_server_message_unpause (client->msg);
}

static gboolean
client_has_room (Client *client,
                 gsize   size)
{
  PiServer *self = client->server;

  return client->pending_events < self->queue_length &&
         client->pending_bytes + size <= self->client_buffer;
}

static void
client_report_dropped (Client *client)
{
  g_autofree char *data = NULL;
  g_autoptr(GBytes) event = NULL;

  if (client->dropped == 0 || client->closing)
    return;

  data = g_strdup_printf ("{\"count\":%" G_GUINT64_FORMAT "}", client->dropped);
  event = pi_event_format ("dropped", data);
  client->dropped = 0;
  client_append (client, event);
}

static void
client_end (Client     *client,
            const char *error_text)
{
  PiServer *self = client->server;

  if (client->closing)
    return;

  if (client->subscription != NULL)
    pi_broker_unsubscribe (self->broker, g_steal_pointer (&client->subscription));

  if (client->hangup_source != NULL)
    {
      g_source_destroy (client->hangup_source);
      g_clear_pointer (&client->hangup_source, g_source_unref);
    }

  if (error_text != NULL)
    {
      g_autoptr(GBytes) event = NULL;

      /* Loss is never silent, even at the end. */
      client_report_dropped (client);
      event = pi_event_format_error (error_text);
      client_append (client, event);
    }

  client->closing = TRUE;
  soup_message_body_complete (soup_server_message_get_response_body (client->msg));
  soup_server_message_unpause (client->msg);
}

static void
client_ready_cb (gpointer user_data)
{
  Client *client = user_data;

  client->ready = TRUE;
  client_append (client, client->server->ready_event);
}

static void
client_message_cb (GBytes   *event,
                   gpointer  user_data)
{
  Client *client = user_data;

  if (client->closing)
    return;

  if (!client_has_room (client, g_bytes_get_size (event)))
    {
      client->dropped++;
      client->n_dropped_total++;
      return;
    }

  client_report_dropped (client);
  client_append (client, event);
}

static void
client_failed_cb (const char *text,
                  gpointer    user_data)
{
  Client *client = user_data;

  client_end (client, text);
}

static const PiSubscriptionCallbacks subscription_callbacks = {
  .ready = client_ready_cb,
  .message = client_message_cb,
  .failed = client_failed_cb,
};

static void
client_wrote_body_data_cb (SoupServerMessage *msg,
                           guint              size,
                           Client            *client)
{
  client->pending_bytes -= MIN (size, client->pending_bytes);
}

static void
client_wrote_chunk_cb (SoupServerMessage *msg,
                       Client            *client)
{
  PiServer *self = client->server;

  if (client->pending_events > 0)
    client->pending_events--;

  /* Report drops once the queue has drained to half. */
  if (client->dropped > 0 &&
      client->pending_events <= self->queue_length / 2 &&
      client->pending_bytes <= self->client_buffer / 2)
    client_report_dropped (client);
}

static void
client_finished_cb (SoupServerMessage *msg,
                    Client            *client)
{
  PiServer *self = client->server;
  double seconds = (g_get_monotonic_time () - client->opened_at) / (double) G_USEC_PER_SEC;

  g_queue_unlink (&self->clients, &client->link);

  if (client->subscription != NULL)
    pi_broker_unsubscribe (self->broker, g_steal_pointer (&client->subscription));
  if (client->hangup_source != NULL)
    {
      g_source_destroy (client->hangup_source);
      g_clear_pointer (&client->hangup_source, g_source_unref);
    }

  g_message ("Stream closed: %s, bindings %s, after %.1f s, %" G_GUINT64_FORMAT " events sent, %"
             G_GUINT64_FORMAT " dropped (%u open)",
             client->peer, client->bindings_text, seconds, client->n_sent,
             client->n_dropped_total, self->clients.length);

  g_signal_handlers_disconnect_by_data (msg, client);
  g_clear_object (&client->msg);
  g_free (client->peer);
  g_free (client->bindings_text);
  g_free (client);
}

/* libsoup does not read while it writes a response, so a client that hangs
 * up would only be noticed on a later write. Watch the socket instead: EOF
 * (or an error) means it is gone, and its subscription goes at once. */
static gboolean
client_hangup_cb (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  Client *client = user_data;
  char byte;
  gssize n;

  n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&client->hangup_source, g_source_unref);

  if (n > 0)
    return G_SOURCE_REMOVE;  /* pipelined bytes or TLS records: stop watching */

  g_debug ("%s hung up", client->peer);
  client_end (client, NULL);

  return G_SOURCE_REMOVE;
}

static void
start_stream (PiServer          *self,
              SoupServerMessage *msg,
              const char        *bindings_json)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *socket;
  Client *client;

  client = g_new0 (Client, 1);
  client->server = self;
  client->msg = g_object_ref (msg);
  client->link.data = client;
  client->peer = describe_peer (msg);
  client->bindings_text = loggable (bindings_json);
  client->opened_at = g_get_monotonic_time ();
  g_queue_push_tail_link (&self->clients, &client->link);

  /* The headers go out before the bindings are looked at: every later
   * failure is an `error` event in the stream (PROTOCOL.md 2). */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Accel-Buffering", "no");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_EOF);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);

  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (client_wrote_body_data_cb), client);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (client_wrote_chunk_cb), client);
  g_signal_connect (msg, "finished", G_CALLBACK (client_finished_cb), client);

  g_message ("Stream opened: %s, bindings %s (%u open)",
             client->peer, client->bindings_text, self->clients.length);

  socket = soup_server_message_get_socket (msg);
  if (socket != NULL)
    {
      client->hangup_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (client->hangup_source, G_SOURCE_FUNC (client_hangup_cb), client, NULL);
      g_source_set_static_name (client->hangup_source, "[pi] client hangup");
      g_source_attach (client->hangup_source, NULL);
    }

  if (!(bindings = pi_bindings_from_json (bindings_json, &error)))
    {
      client_end (client, error->message);
      return;
    }

  client->subscription = pi_broker_subscribe (self->broker, bindings, &subscription_callbacks, client);
}

/* --- requests -------------------------------------------------------------- */

static char *
form_decode (const char *text,
             gssize      len)
{
  g_autofree char *copy = g_strndup (text, len < 0 ? strlen (text) : (gsize) len);

  for (char *p = copy; *p != '\0'; p++)
    if (*p == '+')
      *p = ' ';

  return g_uri_unescape_string (copy, NULL);
}

/* Returns the decoded `bindings` parameter, or NULL and the reason for a 400. */
static char *
parse_connect_query (const char  *query,
                     const char **reason)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *bindings = NULL;

  *reason = "The query must have exactly one key, `bindings`";
  if (query == NULL)
    return NULL;

  parts = g_strsplit (query, "&", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *eq = strchr (parts[i], '=');
      g_autofree char *key = NULL;

      if (parts[i][0] == '\0')
        continue;

      key = form_decode (parts[i], eq ? eq - parts[i] : -1);
      if (key == NULL || strcmp (key, "bindings") != 0 || bindings != NULL)
        return NULL;

      bindings = form_decode (eq ? eq + 1 : "", -1);
      if (bindings == NULL)
        {
          *reason = "The `bindings` parameter is not properly percent-encoded";
          return NULL;
        }
    }

  if (bindings == NULL)
    return NULL;

  if (bindings[0] == '\0')
    {
      *reason = "The `bindings` parameter is empty";
      return NULL;
    }

  *reason = NULL;
  return g_steal_pointer (&bindings);
}

static void
handle_connect (PiServer          *self,
                SoupServerMessage *msg)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  const char *last_event_id = soup_message_headers_get_one (request_headers, "Last-Event-ID");
  g_autofree char *bindings_json = NULL;
  const char *reason = NULL;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, OPTIONS");
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use GET to open an event stream");
      return;
    }

  /* Refuse EventSource's automatic reconnection (PROTOCOL.md 3). */
  if (last_event_id != NULL && last_event_id[0] != '\0')
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }

  if (!(bindings_json = parse_connect_query (g_uri_get_query (soup_server_message_get_uri (msg)), &reason)))
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, reason);
      return;
    }

  if (self->shutting_down)
    {
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "The server is shutting down");
      return;
    }

  if (self->max_connections > 0 && self->clients.length >= self->max_connections)
    {
      g_autofree char *text = g_strdup_printf ("Too many connections: this server accepts at most %u streams",
                                               self->max_connections);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "10");
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, text);
      return;
    }

  start_stream (self, msg, bindings_json);
}

static void
handle_ping (PiServer          *self,
             SoupServerMessage *msg)
{
  g_autoptr(GString) json = g_string_new (NULL);
  double uptime = (g_get_monotonic_time () - self->started_at) / (double) G_USEC_PER_SEC;
  const char *method = soup_server_message_get_method (msg);

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD, OPTIONS");
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use GET for ping");
      return;
    }

  g_string_append_printf (json, "{\"alive\":true,\"uptime\":%.3f,\"broker\":", uptime);
  pi_json_append_string (json, pi_broker_get_state (self->broker), -1);
  g_string_append_printf (json, ",\"connections\":%u", self->clients.length);
  if (PI_IS_EMBEDDED_BROKER (self->broker))
    g_string_append_printf (json, ",\"subscriptions\":%u",
                            pi_embedded_broker_get_n_subscriptions (PI_EMBEDDED_BROKER (self->broker)));
  g_string_append_c (json, '}');

  respond_json (msg, SOUP_STATUS_OK, json->str);
}

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

static void
handle_publish (PiServer          *self,
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
      respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use POST to publish");
      return;
    }

  if (PI_BROKER_GET_CLASS (self->broker)->publish == NULL)
    {
      respond_error (msg, SOUP_STATUS_FORBIDDEN,
                     "Publishing is only available on the embedded exchange");
      return;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  data = g_bytes_get_data (body, &size);
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data ? data : "", size, &error))
    {
      g_autofree char *text = g_strdup_printf ("The body is not JSON: %s", error->message);

      respond_error (msg, SOUP_STATUS_BAD_REQUEST, text);
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
      respond_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }

  for (guint i = 0; i < publications->len; i++)
    {
      Publication *publication = &g_array_index (publications, Publication, i);

      if (!pi_broker_publish (self->broker, publication->exchange, publication->routing_key,
                              (const char * const *) publication->routes,
                              publication->payload, &error))
        {
          respond_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
          return;
        }
    }

  reply = g_strdup_printf ("{\"published\":%u}", publications->len);
  respond_json (msg, SOUP_STATUS_OK, reply);
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  PiServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  const char *rest = NULL;

  set_tcp_nodelay (msg);
  add_cors_headers (self, msg);

  if (method == SOUP_METHOD_OPTIONS)
    {
      /* The browser's preflight: the CORS headers are the answer. */
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }

  if (g_str_has_prefix (path, API_PREFIX "/"))
    rest = path + strlen (API_PREFIX);
  else if (g_str_has_prefix (path, OLD_API_PREFIX "/"))
    rest = path + strlen (OLD_API_PREFIX);

  if (rest != NULL && (strcmp (rest, "/connect/") == 0 || strcmp (rest, "/connect") == 0))
    handle_connect (self, msg);
  else if (rest != NULL && (strcmp (rest, "/ping") == 0 || strcmp (rest, "/ping/") == 0))
    handle_ping (self, msg);
  else if (rest != NULL && (strcmp (rest, "/publish") == 0 || strcmp (rest, "/publish/") == 0))
    handle_publish (self, msg);
  else
    respond_error (msg, SOUP_STATUS_NOT_FOUND, "Not found: the API is under " API_PREFIX "/");
}

/* --- pings ----------------------------------------------------------------- */

static gboolean
ping_cb (gpointer user_data)
{
  PiServer *self = user_data;
  g_autofree char *time = now_iso8601 ();
  g_autofree char *data = g_strdup_printf ("{\"time\":\"%s\"}", time);
  g_autoptr(GBytes) event = pi_event_format ("ping", data);

  for (GList *l = self->clients.head; l != NULL; l = l->next)
    {
      Client *client = l->data;

      /* A full queue already tells the socket something is wrong. */
      if (!client->closing && client_has_room (client, 0))
        client_append (client, event);
    }

  return G_SOURCE_CONTINUE;
}

static void
restart_ping_timer (PiServer *self)
{
  g_clear_handle_id (&self->ping_source, g_source_remove);
  if (self->ping_interval > 0)
    self->ping_source = g_timeout_add ((guint) (self->ping_interval * 1000), ping_cb, self);
}

/* --- object ---------------------------------------------------------------- */

static void
pi_server_dispose (GObject *object)
{
  PiServer *self = PI_SERVER (object);

  g_clear_handle_id (&self->ping_source, g_source_remove);

  /* Clients still open lose their subscriptions before the broker goes. */
  for (GList *l = self->clients.head; l != NULL; l = l->next)
    {
      Client *client = l->data;

      if (client->subscription != NULL)
        pi_broker_unsubscribe (self->broker, g_steal_pointer (&client->subscription));
    }

  if (self->soup != NULL)
    {
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
    }

  while (self->clients.head != NULL)
    client_finished_cb (((Client *) self->clients.head->data)->msg, self->clients.head->data);

  g_clear_object (&self->broker);
  g_clear_object (&self->tls_certificate);

  G_OBJECT_CLASS (pi_server_parent_class)->dispose (object);
}

static void
pi_server_finalize (GObject *object)
{
  PiServer *self = PI_SERVER (object);

  g_strfreev (self->origins);
  g_bytes_unref (self->ready_event);

  G_OBJECT_CLASS (pi_server_parent_class)->finalize (object);
}

static void
pi_server_class_init (PiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_server_dispose;
  object_class->finalize = pi_server_finalize;
}

static void
pi_server_init (PiServer *self)
{
  g_queue_init (&self->clients);
  self->origins = g_strsplit ("*", ",", -1);
  self->ready_event = pi_event_format ("ready", "{}");
  self->ping_interval = PI_SERVER_DEFAULT_PING_INTERVAL;
  self->queue_length = PI_SERVER_DEFAULT_QUEUE_LENGTH;
  self->client_buffer = PI_SERVER_DEFAULT_CLIENT_BUFFER;
  self->started_at = g_get_monotonic_time ();
}

/**
 * pi_server_new:
 * @broker: where subscriptions get their messages
 *
 * Returns: (transfer full): a server that is not listening yet
 */
PiServer *
pi_server_new (PiBroker *broker)
{
  PiServer *self;

  g_return_val_if_fail (PI_IS_BROKER (broker), NULL);

  self = g_object_new (PI_TYPE_SERVER, NULL);
  self->broker = g_object_ref (broker);

  return self;
}

/**
 * pi_server_get_broker:
 * @self: a #PiServer
 *
 * Returns: (transfer none): the broker
 */
PiBroker *
pi_server_get_broker (PiServer *self)
{
  g_return_val_if_fail (PI_IS_SERVER (self), NULL);

  return self->broker;
}

/**
 * pi_server_set_cors_origins:
 * @self: a #PiServer
 * @origins: `*`, or origins separated by commas
 */
void
pi_server_set_cors_origins (PiServer   *self,
                            const char *origins)
{
  g_auto(GStrv) parts = NULL;
  GStrvBuilder *builder;

  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (origins != NULL);

  parts = g_strsplit (origins, ",", -1);
  builder = g_strv_builder_new ();
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] != '\0')
        g_strv_builder_add (builder, parts[i]);
    }
  g_strfreev (self->origins);
  self->origins = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
}

/**
 * pi_server_set_ping_interval:
 * @self: a #PiServer
 * @seconds: seconds between pings, 0 for none
 */
void
pi_server_set_ping_interval (PiServer *self,
                             double    seconds)
{
  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (seconds >= 0);

  self->ping_interval = seconds;
  if (self->ping_source != 0)
    restart_ping_timer (self);
}

/**
 * pi_server_set_max_connections:
 * @self: a #PiServer
 * @max_connections: the most streams open at once, 0 for no limit
 */
void
pi_server_set_max_connections (PiServer *self,
                               guint     max_connections)
{
  g_return_if_fail (PI_IS_SERVER (self));

  self->max_connections = max_connections;
}

/**
 * pi_server_set_queue_length:
 * @self: a #PiServer
 * @queue_length: the most events waiting for one client's socket
 */
void
pi_server_set_queue_length (PiServer *self,
                            guint     queue_length)
{
  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (queue_length > 0);

  self->queue_length = queue_length;
}

/**
 * pi_server_set_client_buffer:
 * @self: a #PiServer
 * @bytes: the most bytes waiting for one client's socket
 */
void
pi_server_set_client_buffer (PiServer *self,
                             gsize     bytes)
{
  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (bytes > 0);

  self->client_buffer = bytes;
}

/**
 * pi_server_set_tls_files:
 * @self: a #PiServer
 * @cert_file: PEM certificate (chain)
 * @key_file: (nullable): PEM private key, if not in @cert_file
 * @error: a #GError
 *
 * Makes pi_server_listen() serve HTTPS.
 *
 * Returns: %TRUE if the certificate and key were loaded
 */
gboolean
pi_server_set_tls_files (PiServer    *self,
                         const char  *cert_file,
                         const char  *key_file,
                         GError     **error)
{
  GTlsCertificate *certificate;

  g_return_val_if_fail (PI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (cert_file != NULL, FALSE);

  certificate = key_file ? g_tls_certificate_new_from_files (cert_file, key_file, error)
                         : g_tls_certificate_new_from_file (cert_file, error);
  if (certificate == NULL)
    return FALSE;

  g_clear_object (&self->tls_certificate);
  self->tls_certificate = certificate;
  return TRUE;
}

/**
 * pi_server_listen:
 * @self: a #PiServer
 * @address: an IP address, or `localhost`
 * @port: a TCP port, 0 to pick a free one
 * @error: a #GError
 *
 * Returns: %TRUE if the server listens
 */
gboolean
pi_server_listen (PiServer    *self,
                  const char  *address,
                  guint        port,
                  GError     **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) listener = NULL;
  SoupServerListenOptions options = 0;

  g_return_val_if_fail (PI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (self->soup == NULL, FALSE);

  if (g_ascii_strcasecmp (address, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return FALSE;
    }

  self->soup = soup_server_new ("server-header", "pulse-events/" PACKAGE_VERSION " ", NULL);
  if (self->tls_certificate != NULL)
    {
      g_object_set (self->soup, "tls-certificate", self->tls_certificate, NULL);
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }
  soup_server_add_handler (self->soup, NULL, server_callback, self, NULL);

  /* Our own socket, for a backlog that takes a crowd of clients
   * reconnecting at once (GSocket's default is 10). */
  socket_address = g_inet_socket_address_new (inet, port);
  listener = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    {
      g_clear_object (&self->soup);
      return FALSE;
    }
  g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
  if (!g_socket_bind (listener, socket_address, TRUE, error) ||
      !g_socket_listen (listener, error) ||
      !soup_server_listen_socket (self->soup, listener, options, error))
    {
      g_clear_object (&self->soup);
      return FALSE;
    }

  restart_ping_timer (self);
  return TRUE;
}

/**
 * pi_server_get_base_url:
 * @self: a #PiServer
 *
 * Returns: (transfer full) (nullable): e.g. `http://127.0.0.1:12345/api/events/v1`
 */
char *
pi_server_get_base_url (PiServer *self)
{
  g_autoslist(GUri) uris = NULL;
  g_autofree char *host = NULL;

  g_return_val_if_fail (PI_IS_SERVER (self), NULL);

  if (self->soup == NULL || !(uris = soup_server_get_uris (self->soup)))
    return NULL;

  host = g_strdup (g_uri_get_host (uris->data));
  if (strchr (host, ':') != NULL)
    {
      char *bracketed = g_strdup_printf ("[%s]", host);
      g_free (host);
      host = bracketed;
    }

  return g_strdup_printf ("%s://%s:%d" API_PREFIX,
                          g_uri_get_scheme (uris->data), host, g_uri_get_port (uris->data));
}

/**
 * pi_server_get_n_connections:
 * @self: a #PiServer
 *
 * Returns: how many event streams are open
 */
guint
pi_server_get_n_connections (PiServer *self)
{
  g_return_val_if_fail (PI_IS_SERVER (self), 0);

  return self->clients.length;
}

/**
 * pi_server_shutdown:
 * @self: a #PiServer
 * @reason: the text of the `error` event every open stream gets
 *
 * Ends every stream with an `error` event and refuses new ones. The
 * streams close once their last bytes are written: run the main loop
 * until pi_server_get_n_connections() is 0 (or a timeout).
 */
void
pi_server_shutdown (PiServer   *self,
                    const char *reason)
{
  GList *l;

  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (reason != NULL);

  self->shutting_down = TRUE;
  g_clear_handle_id (&self->ping_source, g_source_remove);

  l = self->clients.head;
  while (l != NULL)
    {
      Client *client = l->data;

      l = l->next;
      client_end (client, reason);
    }
}
