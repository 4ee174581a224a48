/* pi-server.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include "pi-embedded-broker.h"
#include "pi-event-format.h"
#include "pi-json-util.h"
#include "pi-server-private.h"

/*
 * The events service of pulse-events: docs/PROTOCOL.md over a SoupServer,
 * which a PiHttpFront feeds with requests read whole. Each accepted stream
 * is a PiServerClient (pi-server-client.c).
 */

#define API_PREFIX       "/api/events/v1"
#define OLD_API_PREFIX   "/v1"
#define ALLOW_HEADERS    "X-Requested-With, Content-Type, Authorization, Accept, Origin, Cache-Control, Last-Event-ID"

G_DEFINE_FINAL_TYPE (PiServer, pi_server, G_TYPE_OBJECT)

/* --- helpers --------------------------------------------------------------- */

/* The CORS headers of every answer, libsoup's and the connection front's
 * alike (docs/PROTOCOL.md 6). */
void
pi_server_set_cors_headers (PiServer           *self,
                            const char         *origin,
                            SoupMessageHeaders *headers)
{
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
add_cors_headers (PiServer          *self,
                  SoupServerMessage *msg)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);

  pi_server_set_cors_headers (self, soup_message_headers_get_one (request_headers, "Origin"),
                              soup_server_message_get_response_headers (msg));
}

void
pi_server_respond_json (SoupServerMessage *msg,
                        guint              status,
                        const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_COPY, json, strlen (json));
}

void
pi_server_respond_error (SoupServerMessage *msg,
                         guint              status,
                         const char        *message)
{
  g_autofree char *json = pi_http_front_error_json (message);

  pi_server_respond_json (msg, status, json);
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

/* `1`, or a session id and a message number: `0123abcd…:42`. */
static gboolean
resume_value_valid (const char *value)
{
  const char *colon = strchr (value, ':');

  if (strcmp (value, "1") == 0)
    return TRUE;
  if (colon == NULL || colon == value || colon - value > 64 || colon[1] == '\0')
    return FALSE;
  for (const char *p = value; p < colon; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  for (const char *p = colon + 1; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return strlen (colon + 1) <= 20;
}

/* Returns the decoded `bindings` parameter, or NULL and the reason for a 400.
 * Not static only for the fuzz target (tests/fuzz/fuzz-connect-query.c). */
char *
pi_server_parse_connect_query (const char  *query,
                               const char **reason)
{
  return pi_server_parse_connect_query_resume (query, NULL, reason);
}

/* The same, and with @resume not NULL an optional `resume` parameter too
 * (docs/PROTOCOL.md 7): `1`, or `SESSION:SEQ`. */
char *
pi_server_parse_connect_query_resume (const char  *query,
                                      char       **resume,
                                      const char **reason)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *bindings = NULL;
  g_autofree char *resume_value = NULL;

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
      if (resume != NULL && key != NULL && strcmp (key, "resume") == 0 && resume_value == NULL)
        {
          resume_value = form_decode (eq ? eq + 1 : "", -1);
          if (resume_value == NULL || !resume_value_valid (resume_value))
            {
              *reason = "The `resume` parameter must be `1` or `SESSION:NUMBER` (the last message seen)";
              return NULL;
            }
          continue;
        }
      if (key == NULL || strcmp (key, "bindings") != 0 || bindings != NULL)
        {
          *reason = "The query must have exactly one key, `bindings`";
          return NULL;
        }

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
  if (resume != NULL)
    *resume = g_steal_pointer (&resume_value);
  return g_steal_pointer (&bindings);
}

/* Past --max-connections (event streams and WebSockets together): 503. */
static gboolean
refuse_when_full (PiServer          *self,
                  SoupServerMessage *msg,
                  const char        *resume,
                  const char        *bindings_json)
{
  g_autofree char *text = NULL;
  char retry_after[16];

  if (self->max_connections == 0 ||
      self->clients.length + self->websockets.length + self->held_sessions.length < self->max_connections)
    return FALSE;

  /* Streams held for a resume count too: a resume of one takes no more
   * room, and a new stream ends the oldest held one before it is refused. */
  if (pi_server_sessions_make_room (self, resume, bindings_json))
    return FALSE;

  text = g_strdup_printf ("Too many connections: this server accepts at most %u streams", self->max_connections);
  g_snprintf (retry_after, sizeof retry_after, "%u", PI_HTTP_FRONT_RETRY_AFTER_FULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", retry_after);
  pi_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, text);
  return TRUE;
}

/* A broker that is not connected would only fail the subscription, and an
 * `error` event before `ready` means bad bindings to clients: final. A 503
 * with Retry-After (the next connection attempt) is a failure that passes,
 * which clients retry. Streams already open are ended by the broker. */
static gboolean
refuse_while_broker_unavailable (PiServer          *self,
                                 SoupServerMessage *msg)
{
  g_autofree char *reason = NULL;
  g_autofree char *text = NULL;
  char retry_after[16];
  guint seconds = 0;

  if (!(reason = pi_broker_dup_unavailable_reason (self->broker, &seconds)))
    return FALSE;

  g_snprintf (retry_after, sizeof retry_after, "%u", MAX (seconds, 1));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", retry_after);
  text = g_strdup_printf ("The server cannot reach its broker: %s", reason);
  pi_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, text);
  return TRUE;
}

static void
handle_connect (PiServer          *self,
                SoupServerMessage *msg)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  const char *last_event_id = soup_message_headers_get_one (request_headers, "Last-Event-ID");
  g_autofree char *bindings_json = NULL;
  g_autofree char *resume = NULL;
  const char *reason = NULL;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, OPTIONS");
      pi_server_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use GET to open an event stream");
      return;
    }

  /* Refuse EventSource's automatic reconnection (docs/PROTOCOL.md 3). */
  if (last_event_id != NULL && last_event_id[0] != '\0')
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }

  if (!(bindings_json = pi_server_parse_connect_query_resume (g_uri_get_query (soup_server_message_get_uri (msg)),
                                                              &resume, &reason)))
    {
      pi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, reason);
      return;
    }

  if (self->shutting_down)
    {
      pi_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "The server is shutting down");
      return;
    }

  if (refuse_when_full (self, msg, resume, bindings_json))
    return;

  if (refuse_while_broker_unavailable (self, msg))
    return;

  /* Resuming switched off (no seconds or no bytes kept): a plain stream,
   * whose `ready` names no session. */
  if (self->resume_window <= 0 || self->resume_buffer == 0)
    g_clear_pointer (&resume, g_free);

  pi_server_client_start (self, msg, bindings_json, resume);
}

/* --- the plain WebSocket endpoints ----------------------------------------- */

static gboolean
ws_origin_allowed (PiServer   *self,
                   const char *origin)
{
  /* A desktop client sends none. */
  if (origin == NULL)
    return TRUE;

  for (guint i = 0; self->origins[i] != NULL; i++)
    if (strcmp (self->origins[i], "*") == 0 || g_ascii_strcasecmp (self->origins[i], origin) == 0)
      return TRUE;

  return FALSE;
}

/* Runs before libsoup looks at the upgrade: every refusal is an HTTP answer
 * with a reason, as for the event streams. Setting no status lets libsoup
 * take the connection over (ws_upgraded_cb()). */
static void
ws_check_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  PiServer *self = user_data;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin");
  g_autoptr(GError) error = NULL;

  add_cors_headers (self, msg);
  soup_message_headers_replace (response_headers, "Connection", "close");

  if (strcmp (path, "/subscription/raw") != 0 && strcmp (path, "/subscription/named") != 0)
    {
      pi_server_respond_error (msg, SOUP_STATUS_NOT_FOUND,
                               "Not found: the WebSocket endpoints are /subscription/raw and /subscription/named");
      return;
    }

  if (!ws_origin_allowed (self, origin))
    {
      pi_server_respond_error (msg, SOUP_STATUS_FORBIDDEN, "This origin is not allowed");
      return;
    }

  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error))
    {
      g_autofree char *text = g_strdup_printf ("Not a WebSocket upgrade: %s", error->message);

      pi_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, text);
      return;
    }

  if (self->shutting_down)
    {
      pi_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "The server is shutting down");
      return;
    }

  if (refuse_when_full (self, msg, NULL, NULL) || refuse_while_broker_unavailable (self, msg))
    return;

  /* The upgrade goes ahead: the 101 must not say `close`. */
  soup_message_headers_remove (response_headers, "Connection");
}

static void
ws_upgraded_cb (SoupServer              *server,
                SoupServerMessage       *msg,
                const char              *path,
                SoupWebsocketConnection *connection,
                gpointer                 user_data)
{
  PiServer *self = user_data;

  pi_server_ws_start (self, msg, connection,
                      strcmp (path, "/subscription/named") == 0 ? PI_WS_ENDPOINT_NAMED : PI_WS_ENDPOINT_RAW);
}

static void
handle_ping (PiServer          *self,
             SoupServerMessage *msg)
{
  g_autoptr(GString) json = g_string_new (NULL);
  double uptime = (g_get_monotonic_time () - self->started_at) / (double) G_USEC_PER_SEC;
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *broker_error = NULL;

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD, OPTIONS");
      pi_server_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use GET for ping");
      return;
    }

  g_string_append_printf (json, "{\"alive\":true,\"uptime\":%.3f,\"broker\":", uptime);
  pi_json_append_string (json, pi_broker_get_state (self->broker), -1);
  if ((broker_error = pi_broker_dup_unavailable_reason (self->broker, NULL)))
    {
      g_string_append (json, ",\"brokerError\":");
      pi_json_append_string (json, broker_error, -1);
    }
  g_string_append_printf (json, ",\"connections\":%u,\"websockets\":%u,\"heldStreams\":%u",
                          self->clients.length, self->websockets.length, self->held_sessions.length);
  if (PI_IS_EMBEDDED_BROKER (self->broker))
    g_string_append_printf (json, ",\"subscriptions\":%u",
                            pi_embedded_broker_get_n_subscriptions (PI_EMBEDDED_BROKER (self->broker)));
  g_string_append_c (json, '}');

  pi_server_respond_json (msg, SOUP_STATUS_OK, json->str);
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

  add_cors_headers (self, msg);

  /* One request per connection: libsoup 3.2 leaks the descriptor of a
   * keep-alive connection that its client closes while it is idle (fixed in
   * 3.4). The connection front never hands libsoup a second request anyway
   * (pi-http-front-conn.c); this tells the client. An event stream ends with its
   * connection too, so the header is true of every answer. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");

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
    pi_server_handle_publish (self, msg);
  else
    pi_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, "Not found: the API is under " API_PREFIX "/");
}

/* --- pings ----------------------------------------------------------------- */

static gboolean
ping_cb (gpointer user_data)
{
  PiServer *self = user_data;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = pi_event_format_time (now);
  g_autofree char *data = g_strdup_printf ("{\"time\":\"%s\"}", time);
  g_autoptr(GBytes) event = pi_event_format ("ping", data);

  for (GList *l = self->clients.head; l != NULL; l = l->next)
    pi_server_client_ping (l->data, event);

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
  g_clear_handle_id (&self->flush_source, g_source_remove);

  /* Clients still open lose their subscriptions before the broker goes. */
  for (GList *l = self->clients.head; l != NULL; l = l->next)
    pi_server_client_unsubscribe (l->data);
  for (GList *l = self->websockets.head; l != NULL; l = l->next)
    pi_server_ws_unsubscribe_all (l->data);
  pi_server_sessions_clear (self);

  if (self->soup != NULL)
    {
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
    }

  while (self->clients.head != NULL)
    pi_server_client_finish (self->clients.head->data);
  pi_server_client_unwatch_all (self);
  while (self->websockets.head != NULL)
    pi_server_ws_finish (self->websockets.head->data);

  /* After libsoup let go of its connections: those it never saw. */
  g_clear_object (&self->front);

  g_clear_object (&self->broker);

  G_OBJECT_CLASS (pi_server_parent_class)->dispose (object);
}

static void
pi_server_finalize (GObject *object)
{
  PiServer *self = PI_SERVER (object);

  g_strfreev (self->origins);
  g_bytes_unref (self->ready_event);
  g_clear_pointer (&self->sessions, g_hash_table_unref);

  G_OBJECT_CLASS (pi_server_parent_class)->finalize (object);
}

static void
pi_server_class_init (PiServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_server_dispose;
  object_class->finalize = pi_server_finalize;
}

/* The front's own answers get the CORS headers of every answer. */
static void
add_front_headers (const char         *origin,
                   SoupMessageHeaders *headers,
                   gpointer            user_data)
{
  pi_server_set_cors_headers (user_data, origin, headers);
}

static void
pi_server_init (PiServer *self)
{
  g_queue_init (&self->clients);
  g_queue_init (&self->flush_clients);
  g_queue_init (&self->websockets);
  self->socket_lifetime = PI_SERVER_DEFAULT_SOCKET_LIFETIME;
  self->ws_init_timeout = PI_SERVER_DEFAULT_WS_INIT_TIMEOUT;
  self->ws_ping_interval = PI_SERVER_DEFAULT_WS_PING_INTERVAL;
  self->origins = g_strsplit ("*", ",", -1);
  self->ready_event = pi_event_format ("ready", "{}");
  self->ping_interval = PI_SERVER_DEFAULT_PING_INTERVAL;
  self->queue_length = PI_SERVER_DEFAULT_QUEUE_LENGTH;
  self->client_buffer = PI_SERVER_DEFAULT_CLIENT_BUFFER;
  self->resume_window = PI_SERVER_DEFAULT_RESUME_WINDOW;
  self->resume_buffer = PI_SERVER_DEFAULT_RESUME_BUFFER;
  self->resume_held_buffer = PI_SERVER_DEFAULT_RESUME_HELD_BUFFER;
  self->sessions = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->held_sessions);
  self->started_at = g_get_monotonic_time ();

  /* The SoupServer listens nowhere: the front hands it every connection
   * once its request is read. */
  self->soup = soup_server_new ("server-header", "pulse-events/" PACKAGE_VERSION " ", NULL);
  soup_server_add_handler (self->soup, NULL, server_callback, self, NULL);
  /* The Taskcluster web-server's plain WebSocket protocol (pi-server-ws.c).
   * Without compression, as the web-server: frames are small, and
   * deflating each for every client would cost more than it saves. */
  soup_server_remove_websocket_extension (self->soup, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  for (guint i = 0; i < 2; i++)
    {
      const char *path = i == 0 ? "/subscription/raw" : "/subscription/named";

      soup_server_add_handler (self->soup, path, ws_check_cb, self, NULL);
      soup_server_add_websocket_handler (self->soup, path, NULL, NULL, ws_upgraded_cb, self, NULL);
    }
  self->front = pi_http_front_new (self->soup, add_front_headers, self);
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
  /* Once listening, the timer follows the interval: 0 stops it, and a
   * later non-zero interval starts it again. */
  if (pi_http_front_is_listening (self->front))
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
 * pi_server_set_resume_window:
 * @self: a #PiServer
 * @seconds: how long a resumable stream's session outlives its connection,
 *   and how old the messages it keeps for a resume may be; 0 for no resume
 * @bytes: the most bytes of messages one session keeps (the newest one is
 *   kept whatever its size); 0 for no resume
 */
void
pi_server_set_resume_window (PiServer *self,
                             double    seconds,
                             gsize     bytes)
{
  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (seconds >= 0);

  self->resume_window = seconds;
  self->resume_buffer = bytes;
}

/**
 * pi_server_set_resume_held_buffer:
 * @self: a #PiServer
 * @bytes: the most bytes of messages every held session keeps together
 *   (each counted as if not shared); past it, the oldest held session ends
 */
void
pi_server_set_resume_held_buffer (PiServer *self,
                                  gsize     bytes)
{
  g_return_if_fail (PI_IS_SERVER (self));

  self->resume_held_buffer = bytes;
}

/**
 * pi_server_set_socket_lifetime:
 * @self: a #PiServer
 * @seconds: how long a WebSocket may stay open before it is closed with
 *   4408, 0 for ever
 */
void
pi_server_set_socket_lifetime (PiServer *self,
                               double    seconds)
{
  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (seconds >= 0 && seconds * 1000 < G_MAXUINT);

  self->socket_lifetime = seconds;
}

/**
 * pi_server_set_websocket_init_timeout:
 * @self: a #PiServer
 * @seconds: how long a WebSocket client has to send connection_init
 */
void
pi_server_set_websocket_init_timeout (PiServer *self,
                                      double    seconds)
{
  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (seconds > 0 && seconds * 1000 < G_MAXUINT);

  self->ws_init_timeout = seconds;
}

/**
 * pi_server_set_websocket_ping_interval:
 * @self: a #PiServer
 * @seconds: seconds between WebSocket pings (a client that does not
 *   answer one by the next is closed), 0 for none
 */
void
pi_server_set_websocket_ping_interval (PiServer *self,
                                       double    seconds)
{
  g_return_if_fail (PI_IS_SERVER (self));
  g_return_if_fail (seconds >= 0);

  self->ws_ping_interval = seconds;
}

/**
 * pi_server_get_front:
 * @self: a #PiServer
 *
 * Returns: (transfer none): the connection front, whose limits and TLS
 *   files are to be set before pi_server_listen()
 */
PiHttpFront *
pi_server_get_front (PiServer *self)
{
  g_return_val_if_fail (PI_IS_SERVER (self), NULL);

  return self->front;
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
  g_return_val_if_fail (PI_IS_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (!pi_http_front_is_listening (self->front), FALSE);

  if (!pi_http_front_listen (self->front, address, port, error))
    return FALSE;

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
  g_autofree char *address = NULL;

  g_return_val_if_fail (PI_IS_SERVER (self), NULL);

  if (!(address = pi_http_front_get_base_address (self->front)))
    return NULL;

  return g_strconcat (address, API_PREFIX, NULL);
}

/**
 * pi_server_get_n_connections:
 * @self: a #PiServer
 *
 * Returns: how many event streams and WebSockets are open
 */
guint
pi_server_get_n_connections (PiServer *self)
{
  g_return_val_if_fail (PI_IS_SERVER (self), 0);

  return self->clients.length + self->websockets.length;
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
      PiServerClient *client = l->data;

      l = l->next;
      pi_server_client_end (client, reason);
    }
  pi_server_sessions_clear (self);

  /* WebSockets close with 1001 (going away). */
  l = self->websockets.head;
  while (l != NULL)
    {
      PiServerWs *ws = l->data;

      l = l->next;
      pi_server_ws_shutdown (ws, reason);
    }
}
