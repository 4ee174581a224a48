/* pi-ws-handshake.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-ws-handshake.h"
#include "pi-ws-input-stream.h"

/*
 * The opening handshake of a client WebSocket (RFC 6455, section 4), done
 * here rather than by SoupSession so that the connection can read the
 * socket in large pieces (pi-ws-input-stream.c): libsoup's own client
 * reads it 1,024 bytes at a time, which costs a system call per frame of
 * a Taskcluster stream. Connecting goes through GSocketClient: the default
 * proxy resolver, and TLS with the system's certificate authorities for
 * wss. No extension is offered, so frames arrive as the server wrote them.
 */

/* Read at a time from the socket; also the largest head of an answer. */
#define READ_SIZE (128 * 1024)

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

typedef struct
{
  GUri               *uri;
  char               *protocol;
  char               *key;
  char               *request;
  GIOStream          *connection;
  PiWsInputStream    *input;
  guint               status;
  char               *reason_phrase;
  SoupMessageHeaders *headers;
  GTlsCertificateFlags tls_errors;   /* why the server's certificate was refused */
} Handshake;

static void
handshake_free (Handshake *hs)
{
  g_clear_pointer (&hs->uri, g_uri_unref);
  g_free (hs->protocol);
  g_free (hs->key);
  g_free (hs->request);
  g_clear_object (&hs->input);
  g_clear_object (&hs->connection);
  g_free (hs->reason_phrase);
  g_clear_pointer (&hs->headers, soup_message_headers_unref);
  g_free (hs);
}

static gboolean
is_secure (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);

  return g_ascii_strcasecmp (scheme, "wss") == 0 || g_ascii_strcasecmp (scheme, "https") == 0;
}

static int
default_port (GUri *uri)
{
  return is_secure (uri) ? 443 : 80;
}

/* host[:port], as the Host header (@zone NULL) and the proxy resolver and
 * GSocketClient (@zone "%25") want it. An IPv6 literal's zone id
 * ("fe80::1%eth0") names an interface of this machine, which means nothing
 * to the server: the Host header goes without it (RFC 6874, section 4, as
 * libsoup does); the URI to connect to keeps it, escaped. */
static char *
host_and_port (GUri       *uri,
               const char *zone)
{
  const char *host = g_uri_get_host (uri);
  int port = g_uri_get_port (uri);
  g_autofree char *bracketed = NULL;

  if (strchr (host, ':') != NULL)
    {
      gsize len = strcspn (host, "%");

      if (host[len] == '%' && zone != NULL)
        bracketed = g_strdup_printf ("[%.*s%s%s]", (int) len, host, zone, host + len + 1);
      else
        bracketed = g_strdup_printf ("[%.*s]", (int) len, host);
    }
  else
    bracketed = g_strdup (host);

  if (port > 0 && port != default_port (uri))
    return g_strdup_printf ("%s:%d", bracketed, port);
  return g_steal_pointer (&bracketed);
}

static char *
expected_accept (const char *key)
{
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize len = sizeof digest;

  g_checksum_update (sha1, (const guchar *) key, -1);
  g_checksum_update (sha1, (const guchar *) WS_GUID, -1);
  g_checksum_get_digest (sha1, digest, &len);
  return g_base64_encode (digest, len);
}

static char *
build_request (Handshake  *hs,
               const char *user_agent)
{
  GString *request = g_string_new (NULL);
  const char *path = g_uri_get_path (hs->uri);
  const char *query = g_uri_get_query (hs->uri);
  g_autofree char *host = host_and_port (hs->uri, NULL);

  g_string_append_printf (request, "GET %s%s%s HTTP/1.1\r\n", *path ? path : "/", query ? "?" : "", query ? query : "");
  g_string_append_printf (request, "Host: %s\r\n", host);
  g_string_append (request, "Upgrade: websocket\r\nConnection: Upgrade\r\n");
  g_string_append_printf (request, "Sec-WebSocket-Key: %s\r\n", hs->key);
  g_string_append (request, "Sec-WebSocket-Version: 13\r\n");
  if (hs->protocol != NULL)
    g_string_append_printf (request, "Sec-WebSocket-Protocol: %s\r\n", hs->protocol);
  if (user_agent != NULL)
    g_string_append_printf (request, "User-Agent: %s\r\n", user_agent);
  g_string_append (request, "\r\n");
  return g_string_free (request, FALSE);
}

/* The server's 101 is a WebSocket for this request, or an error saying why not. */
static gboolean
check_switch (Handshake  *hs,
              GError    **error)
{
  SoupMessageHeaders *headers = hs->headers;
  const char *accept = soup_message_headers_get_one (headers, "Sec-WebSocket-Accept");
  const char *protocol = soup_message_headers_get_one (headers, "Sec-WebSocket-Protocol");
  g_autofree char *expected = expected_accept (hs->key);

  if (!soup_message_headers_header_equals (headers, "Upgrade", "websocket") ||
      !soup_message_headers_header_contains (headers, "Connection", "upgrade"))
    {
      g_set_error_literal (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_NOT_WEBSOCKET,
                           _("the server did not switch to the WebSocket protocol"));
      return FALSE;
    }
  if (accept == NULL || strcmp (accept, expected) != 0)
    {
      g_set_error_literal (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE,
                           _("the server's Sec-WebSocket-Accept does not match the key sent"));
      return FALSE;
    }
  if (protocol != NULL && (hs->protocol == NULL || strcmp (protocol, hs->protocol) != 0))
    {
      g_set_error (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE,
                   _("the server chose the subprotocol “%s”, which was not offered"), protocol);
      return FALSE;
    }
  if (soup_message_headers_get_one (headers, "Sec-WebSocket-Extensions") != NULL)
    {
      g_set_error_literal (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE,
                           _("the server chose an extension, though none was offered"));
      return FALSE;
    }
  return TRUE;
}

static void
read_head_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) head = NULL;
  g_autoptr(GIOStream) io = NULL;
  SoupWebsocketConnection *ws;
  SoupHTTPVersion version;
  gsize len;
  const char *data;

  head = pi_ws_input_stream_read_head_finish (PI_WS_INPUT_STREAM (object), result, &error);
  if (head == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_bytes_get_data (head, &len);
  hs->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (!soup_headers_parse_response (data, (int) len, hs->headers, &version, &hs->status, &hs->reason_phrase))
    {
      hs->status = 0;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("the server's answer is not HTTP"));
      return;
    }

  if (hs->status != SOUP_STATUS_SWITCHING_PROTOCOLS)
    {
      g_task_return_new_error (task, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_NOT_WEBSOCKET,
                               _("the server answered %u %s"), hs->status,
                               hs->reason_phrase ? hs->reason_phrase : "");
      return;
    }

  if (!check_switch (hs, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  io = g_simple_io_stream_new (G_INPUT_STREAM (hs->input), g_io_stream_get_output_stream (hs->connection));
  ws = soup_websocket_connection_new (io, hs->uri, SOUP_WEBSOCKET_CONNECTION_CLIENT, NULL,
                                      soup_message_headers_get_one (hs->headers, "Sec-WebSocket-Protocol"),
                                      NULL);
  g_task_return_pointer (task, ws, g_object_unref);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  hs->input = pi_ws_input_stream_new (hs->connection, READ_SIZE);
  pi_ws_input_stream_read_head_async (hs->input, cancellable, read_head_cb, g_steal_pointer (&task));
}

/* Called only for a certificate that failed verification: keeps what
 * was wrong with it for the error, and refuses it all the same. The
 * handler holds the task: a handshake cancelled under way may still get
 * here after the task has completed. */
static gboolean
on_accept_certificate (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Handshake *hs = g_task_get_task_data (G_TASK (user_data));

  hs->tls_errors |= errors;
  return FALSE;
}

/* What was wrong with the server's certificate, in words. */
static char *
describe_certificate_errors (GTlsCertificateFlags errors)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new ();

  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    g_ptr_array_add (words, _("the server's certificate is not signed by a certificate authority this system trusts"));
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    g_ptr_array_add (words, _("the server's certificate is for another host name"));
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    g_ptr_array_add (words, _("the server's certificate has expired"));
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    g_ptr_array_add (words, _("the server's certificate is not valid yet"));
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    g_ptr_array_add (words, _("the server's certificate has been revoked"));
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    g_ptr_array_add (words, _("the server's certificate uses an insecure algorithm"));
  if (words->len == 0)
    g_ptr_array_add (words, _("the server's certificate is not valid"));
  g_ptr_array_add (words, NULL);

  /* Translators: the separator of two or more problems of one certificate */
  return g_strjoinv (_("; "), (char **) words->pdata);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Handshake *hs = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GSocketConnection *connection;

  connection = g_socket_client_connect_to_uri_finish (G_SOCKET_CLIENT (object), result, &error);
  if (connection == NULL)
    {
      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) && hs->tls_errors != 0)
        {
          g_autofree char *why = describe_certificate_errors (hs->tls_errors);

          g_task_return_new_error (task, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "%s", why);
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Verified: the handler has nothing more to say, and must not keep
   * the task (which will hold the connection) alive. */
  if (G_IS_TCP_WRAPPER_CONNECTION (connection))
    g_signal_handlers_disconnect_by_func (g_tcp_wrapper_connection_get_base_io_stream (G_TCP_WRAPPER_CONNECTION (connection)),
                                          on_accept_certificate, task);
  hs->connection = G_IO_STREAM (connection);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (hs->connection),
                                   hs->request, strlen (hs->request), G_PRIORITY_DEFAULT,
                                   cancellable, write_cb, g_steal_pointer (&task));
}

/**
 * pi_ws_handshake_async:
 * @uri: a ws, wss, http or https URI
 * @protocol: (nullable): the subprotocol to ask for
 * @user_agent: (nullable): the User-Agent header
 *
 * Connects to @uri and opens a client WebSocket on it.
 */
/* A WebSocket ends with its close frames: a server that then drops the TCP
 * connection without a TLS close_notify has done nothing wrong (libsoup's
 * own connections do not ask for one either). */
static void
on_client_event (GSocketClient      *client,
                 GSocketClientEvent  event,
                 GSocketConnectable *connectable,
                 GIOStream          *connection,
                 gpointer            user_data)
{
  GTask *task = user_data;

  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && G_IS_TLS_CONNECTION (connection))
    {
      g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (connection), FALSE);
      g_signal_connect_data (connection, "accept-certificate", G_CALLBACK (on_accept_certificate),
                             g_object_ref (task), (GClosureNotify) (void (*) (void)) g_object_unref, 0);
    }
}

void
pi_ws_handshake_async (GUri                *uri,
                       const char          *protocol,
                       const char          *user_agent,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autofree char *host = NULL;
  g_autofree char *connect_uri = NULL;
  Handshake *hs;
  guint8 nonce[16];
  guint i;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pi_ws_handshake_async);

  /* Completed, not just refused: the caller waits for its callback. */
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("the address has no host"));
      return;
    }

  hs = g_new0 (Handshake, 1);
  hs->uri = g_uri_ref (uri);
  hs->protocol = g_strdup (protocol);
  for (i = 0; i < G_N_ELEMENTS (nonce); i++)
    nonce[i] = (guint8) g_random_int_range (0, 256);
  hs->key = g_base64_encode (nonce, sizeof nonce);
  hs->request = build_request (hs, user_agent);
  g_task_set_task_data (task, hs, (GDestroyNotify) handshake_free);

  /* The proxy resolver knows http and https, not ws and wss. */
  host = host_and_port (uri, "%25");
  connect_uri = g_strdup_printf ("%s://%s/", is_secure (uri) ? "https" : "http", host);

  client = g_socket_client_new ();
  g_socket_client_set_tls (client, is_secure (uri));
  g_signal_connect_data (client, "event", G_CALLBACK (on_client_event),
                         g_object_ref (task), (GClosureNotify) (void (*) (void)) g_object_unref, 0);
  g_socket_client_connect_to_uri_async (client, connect_uri, (guint16) default_port (uri), cancellable,
                                        connect_cb, g_steal_pointer (&task));
}

/**
 * pi_ws_handshake_finish:
 * @status: (out): the HTTP status of the server's answer, or 0 without one
 * @reason_phrase: (out) (transfer full) (nullable): its reason phrase
 * @response_headers: (out) (transfer full) (nullable): its headers
 *
 * Returns: (transfer full) (nullable): the open WebSocket, or %NULL with
 *   @error set: in SOUP_WEBSOCKET_ERROR for an HTTP answer that is not a
 *   WebSocket, else what kept the server from answering
 */
SoupWebsocketConnection *
pi_ws_handshake_finish (GAsyncResult        *result,
                        guint               *status,
                        char               **reason_phrase,
                        SoupMessageHeaders **response_headers,
                        GError             **error)
{
  Handshake *hs;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  /* None for an address without a host. */
  hs = g_task_get_task_data (G_TASK (result));
  if (status != NULL)
    *status = hs ? hs->status : 0;
  if (reason_phrase != NULL)
    *reason_phrase = hs ? g_strdup (hs->reason_phrase) : NULL;
  if (response_headers != NULL)
    *response_headers = hs && hs->headers ? soup_message_headers_ref (hs->headers) : NULL;

  return g_task_propagate_pointer (G_TASK (result), error);
}
