/* pi-http-front.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-http-front"

#include "config.h"

#include <string.h>
#include <sys/resource.h>

#include "pi-http-front-private.h"
#include "pi-json-util.h"

/*
 * The connection front of pulse-events: it owns the listening socket and
 * accepts every client connection itself, reads each request whole
 * (pi-http-front-conn.c), and only then hands the connection to the
 * SoupServer (soup_server_accept_iostream), which parses the request,
 * calls its handlers and writes the response. The SoupServer itself
 * listens nowhere. pi-http-front-conn.c says why.
 *
 * Every connection counts against --max-sockets, streams and short
 * requests alike, and one past the bound gets a 503
 * (pi_http_front_conn_refuse_full()). Out of file descriptors, accept()
 * fails while the listener stays readable; accepting then pauses instead
 * of spinning.
 */

#define LISTEN_BACKLOG   1024
#define FD_RESERVE       64
#define ACCEPT_PAUSE_MS  100
#define ACCEPT_BATCH     64

G_DEFINE_FINAL_TYPE (PiHttpFront, pi_http_front, G_TYPE_OBJECT)

/* --- accepting ---------------------------------------------------------------- */

static gboolean accept_cb (GSocket      *listener,
                           GIOCondition  condition,
                           gpointer      user_data);

static void
watch_listener (PiHttpFront *self)
{
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (accept_cb), self, NULL);
  g_source_set_static_name (self->accept_source, "[pi] accept");
  g_source_attach (self->accept_source, NULL);
}

static gboolean
resume_accepting_cb (gpointer user_data)
{
  PiHttpFront *self = user_data;

  self->accept_pause_source = 0;
  watch_listener (self);
  return G_SOURCE_REMOVE;
}

static gboolean
accept_cb (GSocket      *listener,
           GIOCondition  condition,
           gpointer      user_data)
{
  PiHttpFront *self = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = g_socket_accept (listener, NULL, &error);

      if (socket == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;

      /* Out of descriptors (the process's or the system's): waiting
       * connections stay in the backlog; watching the listener now would
       * only spin. */
      if (socket == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
        {
          if (!self->out_of_descriptors)
            g_message ("Out of file descriptors: new connections wait (lower --max-sockets or raise the file limit)");
          self->out_of_descriptors = TRUE;
          g_clear_pointer (&self->accept_source, g_source_unref);
          self->accept_pause_source = g_timeout_add (ACCEPT_PAUSE_MS, resume_accepting_cb, self);
          return G_SOURCE_REMOVE;
        }

      if (socket == NULL)
        {
          g_debug ("Could not accept a connection: %s", error->message);
          continue;
        }

      self->out_of_descriptors = FALSE;
      if (self->conns.length >= self->max_sockets_effective)
        {
          g_debug ("Refused a connection: %u open", self->conns.length);
          pi_http_front_conn_refuse_full (self, socket);
          continue;
        }

      pi_http_front_conn_start (self, socket);
      pi_http_front_check_limit (self);
    }

  return G_SOURCE_CONTINUE;
}

/* Starts accepting on the listening socket of @self. */
static void
accept_start (PiHttpFront *self)
{
  g_socket_set_blocking (self->listener, FALSE);
  watch_listener (self);
}

static void
accept_stop (PiHttpFront *self)
{
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  g_clear_handle_id (&self->accept_pause_source, g_source_remove);
}


/* --- answers -------------------------------------------------------------------- */

/**
 * pi_http_front_error_json:
 * @message: the reason, for people
 *
 * Returns: (transfer full): the body of every error answer,
 *   `{"message": "..."}`
 */
char *
pi_http_front_error_json (const char *message)
{
  GString *json = g_string_new ("{\"message\":");

  g_return_val_if_fail (message != NULL, NULL);

  pi_json_append_string (json, message, -1);
  g_string_append_c (json, '}');
  return g_string_free (json, FALSE);
}

/* libsoup 3.2 has no phrase for 431 and an old one for 414. */
static const char *
status_phrase (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_REQUEST_URI_TOO_LONG:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return soup_status_get_phrase (status);
    }
}

/**
 * pi_http_front_format_error:
 * @self: a #PiHttpFront
 * @status: an HTTP status
 * @retry_after: seconds for a Retry-After header, 0 for none
 * @message: the reason, for people
 * @origin: (nullable): the request's Origin, if known
 *
 * A whole error answer as the front writes it itself: the JSON body of
 * pi_http_front_error_json(), and the headers of every answer.
 *
 * Returns: (transfer full): the bytes to write
 */
GBytes *
pi_http_front_format_error (PiHttpFront *self,
                            guint        status,
                            guint        retry_after,
                            const char  *message,
                            const char  *origin)
{
  SoupMessageHeaders *headers;
  g_autofree char *json = NULL;
  GString *response;
  SoupMessageHeadersIter iter;
  const char *name, *value;

  g_return_val_if_fail (PI_IS_HTTP_FRONT (self), NULL);
  g_return_val_if_fail (message != NULL, NULL);

  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  json = pi_http_front_error_json (message);
  response = g_string_new (NULL);

  soup_message_headers_replace (headers, "Server", "pulse-events/" PACKAGE_VERSION);
  soup_message_headers_set_content_type (headers, "application/json; charset=utf-8", NULL);
  soup_message_headers_set_content_length (headers, strlen (json));
  soup_message_headers_replace (headers, "Connection", "close");
  if (retry_after > 0)
    {
      char seconds[16];

      g_snprintf (seconds, sizeof seconds, "%u", retry_after);
      soup_message_headers_replace (headers, "Retry-After", seconds);
    }
  self->add_headers (origin, headers, self->add_headers_data);

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n", status, status_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (response, "%s: %s\r\n", name, value);
  g_string_append_printf (response, "\r\n%s", json);
  soup_message_headers_unref (headers);

  return g_string_free_to_bytes (response);
}

/**
 * pi_http_front_get_message_socket:
 * @self: a #PiHttpFront
 * @msg: a message the SoupServer is serving
 *
 * Returns: (transfer none) (nullable): the client's socket
 */
GSocket *
pi_http_front_get_message_socket (PiHttpFront       *self,
                                  SoupServerMessage *msg)
{
  g_return_val_if_fail (PI_IS_HTTP_FRONT (self), NULL);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), NULL);

  return pi_http_front_conn_get_socket (msg);
}

/**
 * pi_http_front_get_message_stream:
 * @self: a #PiHttpFront
 * @msg: a message the SoupServer is serving
 *
 * Returns: (transfer none) (nullable): the stream libsoup was handed for
 *   the client's connection, which counts the bytes written to the client
 */
PiHandoverStream *
pi_http_front_get_message_stream (PiHttpFront       *self,
                                  SoupServerMessage *msg)
{
  g_return_val_if_fail (PI_IS_HTTP_FRONT (self), NULL);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), NULL);

  return pi_http_front_conn_get_handover (msg);
}

/* --- limits --------------------------------------------------------------------- */

static void
update_max_sockets (PiHttpFront *self)
{
  struct rlimit limit;
  rlim_t available = 1024;

  if (self->max_sockets > 0)
    {
      self->max_sockets_effective = self->max_sockets;
      return;
    }

  /* Below the file limit, so that accept() keeps working, with room for
   * the broker connection, the listener, lingering refusals and GLib's
   * own descriptors. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    available = MIN (limit.rlim_cur, (rlim_t) G_MAXINT32);
  self->max_sockets_effective = available > 16 + FD_RESERVE ? available - FD_RESERVE : 16;
}

/* Says once, in one line, when the open connections pass 90% of what the
 * front takes, and again only once they have fallen back under 80%. */
void
pi_http_front_check_limit (PiHttpFront *self)
{
  guint open = self->conns.length;
  guint limit = self->max_sockets_effective;

  if (!self->near_limit && (guint64) open * 10 >= (guint64) limit * 9)
    {
      self->near_limit = TRUE;
      if (self->max_sockets > 0)
        g_message ("Warning: %u client connections open, near the limit of %u (--max-sockets): "
                   "more get 503; raise --max-sockets to take more", open, limit);
      else
        g_message ("Warning: %u client connections open, near the limit of %u (the file limit less %d): "
                   "more get 503; raise the hard file limit (ulimit -Hn, LimitNOFILE=) to take more",
                   open, limit, FD_RESERVE);
    }
  else if (self->near_limit && (guint64) open * 10 < (guint64) limit * 8)
    {
      self->near_limit = FALSE;
      g_message ("%u client connections open, back under 80%% of the limit of %u", open, limit);
    }
}

/**
 * pi_http_front_set_max_sockets:
 * @self: a #PiHttpFront
 * @max_sockets: the most client connections open at once, streams and
 *   short requests together; 0 for a limit below the process's file limit
 */
void
pi_http_front_set_max_sockets (PiHttpFront *self,
                               guint        max_sockets)
{
  g_return_if_fail (PI_IS_HTTP_FRONT (self));

  self->max_sockets = max_sockets;
  update_max_sockets (self);
}

/**
 * pi_http_front_set_request_timeout:
 * @self: a #PiHttpFront
 * @seconds: how long a client has to send its whole request
 */
void
pi_http_front_set_request_timeout (PiHttpFront *self,
                                   double       seconds)
{
  g_return_if_fail (PI_IS_HTTP_FRONT (self));
  g_return_if_fail (seconds > 0);

  self->request_timeout = seconds;
}

/**
 * pi_http_front_set_max_body:
 * @self: a #PiHttpFront
 * @bytes: the largest request body taken (a `POST /publish`), at most
 *   %PI_HTTP_FRONT_MAX_BODY_LIMIT
 */
void
pi_http_front_set_max_body (PiHttpFront *self,
                            gsize        bytes)
{
  g_return_if_fail (PI_IS_HTTP_FRONT (self));
  g_return_if_fail (bytes <= PI_HTTP_FRONT_MAX_BODY_LIMIT);

  self->max_body = bytes;
}

/**
 * pi_http_front_set_tls_files:
 * @self: a #PiHttpFront
 * @cert_file: PEM certificate (chain)
 * @key_file: (nullable): PEM private key, if not in @cert_file
 * @error: a #GError
 *
 * Makes the front serve HTTPS.
 *
 * Returns: %TRUE if the certificate and key were loaded
 */
gboolean
pi_http_front_set_tls_files (PiHttpFront  *self,
                             const char   *cert_file,
                             const char   *key_file,
                             GError      **error)
{
  GTlsCertificate *certificate;

  g_return_val_if_fail (PI_IS_HTTP_FRONT (self), FALSE);
  g_return_val_if_fail (cert_file != NULL, FALSE);

  certificate = key_file ? g_tls_certificate_new_from_files (cert_file, key_file, error)
                         : g_tls_certificate_new_from_file (cert_file, error);
  if (certificate == NULL)
    return FALSE;

  g_clear_object (&self->tls_certificate);
  self->tls_certificate = certificate;
  return TRUE;
}

/* --- listening ------------------------------------------------------------------ */

/**
 * pi_http_front_listen:
 * @self: a #PiHttpFront
 * @address: an IP address, or `localhost`
 * @port: a TCP port, 0 to pick a free one
 * @error: a #GError
 *
 * Returns: %TRUE if the front listens
 */
gboolean
pi_http_front_listen (PiHttpFront  *self,
                      const char   *address,
                      guint         port,
                      GError      **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) listener = NULL;

  g_return_val_if_fail (PI_IS_HTTP_FRONT (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (self->listener == NULL, FALSE);

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

  /* Our own socket, for a backlog that takes a crowd of clients
   * reconnecting at once (GSocket's default is 10). */
  socket_address = g_inet_socket_address_new (inet, port);
  listener = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;
  g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
  if (!g_socket_bind (listener, socket_address, TRUE, error) ||
      !g_socket_listen (listener, error))
    return FALSE;

  update_max_sockets (self);
  self->listener = g_steal_pointer (&listener);
  accept_start (self);

  return TRUE;
}

gboolean
pi_http_front_is_listening (PiHttpFront *self)
{
  g_return_val_if_fail (PI_IS_HTTP_FRONT (self), FALSE);

  return self->listener != NULL;
}

/**
 * pi_http_front_get_base_address:
 * @self: a #PiHttpFront
 *
 * Returns: (transfer full) (nullable): where the front listens, e.g.
 *   `http://127.0.0.1:12345`
 */
char *
pi_http_front_get_base_address (PiHttpFront *self)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *host = NULL;
  GInetSocketAddress *inet;

  g_return_val_if_fail (PI_IS_HTTP_FRONT (self), NULL);

  if (self->listener == NULL ||
      !(address = g_socket_get_local_address (self->listener, NULL)) ||
      !G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;

  inet = G_INET_SOCKET_ADDRESS (address);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  if (strchr (host, ':') != NULL)
    {
      char *bracketed = g_strdup_printf ("[%s]", host);
      g_free (host);
      host = bracketed;
    }

  return g_strdup_printf ("%s://%s:%u", self->tls_certificate ? "https" : "http",
                          host, g_inet_socket_address_get_port (inet));
}

/* --- object --------------------------------------------------------------------- */

static void
pi_http_front_dispose (GObject *object)
{
  PiHttpFront *self = PI_HTTP_FRONT (object);

  /* After the SoupServer let go of its connections (its owner disconnected
   * it): those it never saw. */
  accept_stop (self);
  pi_http_front_conn_close_all (self);
  if (self->listener != NULL)
    {
      g_socket_close (self->listener, NULL);
      g_clear_object (&self->listener);
    }
  g_clear_object (&self->tls_certificate);
  g_clear_object (&self->soup);

  G_OBJECT_CLASS (pi_http_front_parent_class)->dispose (object);
}

static void
pi_http_front_class_init (PiHttpFrontClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_http_front_dispose;
}

static void
pi_http_front_init (PiHttpFront *self)
{
  g_queue_init (&self->conns);
  g_queue_init (&self->refusals);
  self->request_timeout = PI_HTTP_FRONT_DEFAULT_REQUEST_TIMEOUT;
  self->max_body = PI_HTTP_FRONT_DEFAULT_MAX_BODY;
  update_max_sockets (self);
}

/**
 * pi_http_front_new:
 * @soup: the SoupServer that serves the requests, listening nowhere itself
 * @add_headers: adds the headers every answer has to the front's own
 * @user_data: for @add_headers
 *
 * Returns: (transfer full): a front that is not listening yet
 */
PiHttpFront *
pi_http_front_new (SoupServer             *soup,
                   PiHttpFrontHeadersFunc  add_headers,
                   gpointer                user_data)
{
  PiHttpFront *self;

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);
  g_return_val_if_fail (add_headers != NULL, NULL);

  self = g_object_new (PI_TYPE_HTTP_FRONT, NULL);
  self->soup = g_object_ref (soup);
  self->add_headers = add_headers;
  self->add_headers_data = user_data;

  return self;
}
