/* test-source-proxy.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-source.h"
#include "pi-ws-test-server.h"

/*
 * The WebSocket source behind an HTTP proxy that refuses the tunnel. The
 * proxy is the system's as GIO finds it: here the http_proxy and
 * https_proxy environment variables, set before anything asks. A 403 to
 * CONNECT is the proxy's refusal, not the deployment's: the error says
 * so, and no credentials of the deployment are asked for.
 */

#define WAIT_UNTIL(cond, seconds) G_STMT_START {                                    \
    gint64 _deadline = g_get_monotonic_time () + (gint64) (seconds) * G_USEC_PER_SEC; \
    while (!(cond))                                                                  \
      {                                                                              \
        if (g_get_monotonic_time () > _deadline)                                     \
          g_error ("Timed out waiting for: %s", #cond);                              \
        g_main_context_iteration (NULL, FALSE);                                      \
        g_usleep (500);                                                              \
      }                                                                              \
  } G_STMT_END

/* --- A proxy that answers every request with one status -------------------- */

typedef struct
{
  GSocketService *service;
  guint16         port;
  const char     *answer;
  guint           n_requests;
  GString        *last_request;
} Proxy;

typedef struct
{
  Proxy             *proxy;
  GSocketConnection *connection;
  GString           *head;
  char               buffer[1024];
} ProxyClient;

static void
proxy_client_free (ProxyClient *client)
{
  g_object_unref (client->connection);
  g_string_free (client->head, TRUE);
  g_free (client);
}

static void proxy_read_more (ProxyClient *client);

static void
proxy_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ProxyClient *client = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);
  GOutputStream *output;

  if (n <= 0)
    {
      proxy_client_free (client);
      return;
    }

  g_string_append_len (client->head, client->buffer, n);
  if (strstr (client->head->str, "\r\n\r\n") == NULL)
    {
      proxy_read_more (client);
      return;
    }

  client->proxy->n_requests++;
  g_string_assign (client->proxy->last_request, client->head->str);
  output = g_io_stream_get_output_stream (G_IO_STREAM (client->connection));
  g_output_stream_write_all (output, client->proxy->answer, strlen (client->proxy->answer), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (client->connection), NULL, NULL);
  proxy_client_free (client);
}

static void
proxy_read_more (ProxyClient *client)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (client->connection)),
                             client->buffer, sizeof client->buffer, G_PRIORITY_DEFAULT, NULL,
                             proxy_read_cb, client);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             Proxy             *proxy)
{
  ProxyClient *client = g_new0 (ProxyClient, 1);

  client->proxy = proxy;
  client->connection = g_object_ref (connection);
  client->head = g_string_new (NULL);
  proxy_read_more (client);
  return TRUE;
}

static Proxy *
proxy_new (const char *answer)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  proxy->answer = answer;
  proxy->last_request = g_string_new (NULL);
  proxy->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (on_incoming), proxy);
  g_socket_service_start (proxy->service);
  return proxy;
}

static void
proxy_free (Proxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_object_unref (proxy->service);
  g_string_free (proxy->last_request, TRUE);
  g_free (proxy);
}

/* --- Tests -------------------------------------------------------------------- */

typedef struct
{
  gboolean    events_v1;  /* over https, through libsoup; else the WebSocket */
  gboolean    plain;      /* events v1 over http: no tunnel, the request goes to the proxy */
  const char *answer;     /* the proxy's */
  const char *words;      /* in the error */
} ProxyCase;

#define FORBIDDEN "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#define PROXY_AUTH "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n" \
                   "Content-Length: 0\r\nConnection: close\r\n\r\n"

static const ProxyCase ws_refused = { FALSE, FALSE, FORBIDDEN, "The proxy refused to connect to 127.0.0.1:" };
static const ProxyCase sse_refused = { TRUE, FALSE, FORBIDDEN, "The proxy refused to connect to 127.0.0.1:" };
static const ProxyCase ws_auth = { FALSE, FALSE, PROXY_AUTH, "The proxy asks for credentials of its own" };
static const ProxyCase sse_auth = { TRUE, FALSE, PROXY_AUTH, "The proxy asks for credentials of its own" };
static const ProxyCase sse_plain_auth = { TRUE, TRUE, PROXY_AUTH, "The proxy asks for credentials of its own" };

/* Over plain http the proxy forwards the request: a refusal may be its
 * own or the server's passed on, and only signs tell. None: both named. */
static const ProxyCase sse_plain_refused = { TRUE, TRUE, FORBIDDEN, "or the server 127.0.0.1:" };
/* Proxy-Authenticate: the proxy's, whatever the status. */
#define FORBIDDEN_PROXY_AUTH "HTTP/1.1 403 Forbidden\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n" \
                             "Content-Length: 0\r\nConnection: close\r\n\r\n"
static const ProxyCase sse_plain_refused_auth = { TRUE, TRUE, FORBIDDEN_PROXY_AUTH,
                                                  "The proxy refused to connect to 127.0.0.1:" };
/* The events server's own words (docs/PROTOCOL.md): the server's, passed on. */
#define FORBIDDEN_SERVER "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 36\r\n" \
                         "Connection: close\r\n\r\n{\"message\": \"not for you, stranger\"}"
static const ProxyCase sse_plain_refused_server = { TRUE, TRUE, FORBIDDEN_SERVER,
                                                    "answered 403 Forbidden: not for you, stranger" };

static Proxy *the_proxy;
static char *skip_reason;

/* The system's proxy resolver as the sources use it: GIO's default, which
 * reads the environment through libproxy. Without that module the
 * variables mean nothing and the tests cannot run. */
static char *
check_resolver (const char *proxy_url)
{
  g_auto(GStrv) proxies = NULL;
  g_autoptr(GError) error = NULL;

  proxies = g_proxy_resolver_lookup (g_proxy_resolver_get_default (), "https://127.0.0.1:9/", NULL, &error);
  if (proxies == NULL)
    return g_strdup_printf ("the proxy resolver failed: %s", error->message);
  if (g_strcmp0 (proxies[0], proxy_url) != 0)
    return g_strdup_printf ("the default proxy resolver (%s) does not read https_proxy",
                            G_OBJECT_TYPE_NAME (g_proxy_resolver_get_default ()));
  return NULL;
}

static void
test_skipped (void)
{
  g_test_skip (skip_reason);
}

static void
test_refused (gconstpointer data)
{
  const ProxyCase *pcase = data;
  PiWsTestScript script = { .raw = TRUE, .graphql = TRUE, .n_messages = 3 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  g_autofree char *server_url = pi_ws_test_server_get_url (server);
  g_autofree char *url = NULL;
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  const char *error;

  /* Events v1 over https: libsoup opens the tunnel itself. The proxy
   * refuses before any TLS, so no server needs to listen there. */
  if (pcase->events_v1 && pcase->plain)
    url = g_strdup_printf ("%s/api/events/v1", server_url);
  else if (pcase->events_v1)
    url = g_strdup_printf ("https%s/api/events/v1", server_url + strlen ("http"));
  else
    url = g_strdup (server_url);
  the_proxy->answer = pcase->answer;
  the_proxy->n_requests = 0;
  g_ptr_array_add (bindings, pi_binding_new ("exchange/a/v1/one", "#"));
  pi_source_set_server_url (source, url);
  pi_source_set_bindings (source, bindings);
  g_assert_true (pi_source_connect (source, NULL));

  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_FAILED, 10);
  error = pi_source_get_error_message (source);
  g_test_message ("%s", error);
  g_test_message ("proxy saw: %s", the_proxy->last_request->str);
  g_assert_true (g_str_has_prefix (the_proxy->last_request->str,
                                   pcase->plain ? "GET http://127.0.0.1:" : "CONNECT 127.0.0.1:"));
  g_assert_nonnull (strstr (error, pcase->words));
  /* The proxy's refusal is never put on the server alone. */
  if (pcase != &sse_plain_refused_server)
    g_assert_true (g_str_has_prefix (error, "The proxy"));
  else
    g_assert_true (g_str_has_prefix (error, "127.0.0.1:"));
  /* Credentials for the deployment cannot help. */
  g_assert_false (pi_source_get_needs_credentials (source));
  g_assert_cmpuint (pi_ws_test_server_get_n_connections (server), ==, 0);

  /* Final: not asked again, nor with another protocol. */
  g_usleep (G_USEC_PER_SEC / 2);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (pi_source_get_state (source), ==, PI_STREAM_STATE_FAILED);
  g_assert_cmpuint (the_proxy->n_requests, ==, 1);

  pi_source_disconnect (source);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *proxy_url = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  the_proxy = proxy_new (FORBIDDEN);
  proxy_url = g_strdup_printf ("http://127.0.0.1:%u", the_proxy->port);
  g_setenv ("http_proxy", proxy_url, TRUE);
  g_setenv ("https_proxy", proxy_url, TRUE);
  g_unsetenv ("no_proxy");
  g_unsetenv ("NO_PROXY");

  skip_reason = check_resolver (proxy_url);
  if (skip_reason != NULL)
    {
      g_test_add_func ("/pi/source/proxy/skipped", test_skipped);
      ret = g_test_run ();
      proxy_free (the_proxy);
      g_free (skip_reason);
      return ret;
    }

  g_test_add_data_func ("/pi/source/proxy/websocket-403", &ws_refused, test_refused);
  g_test_add_data_func ("/pi/source/proxy/events-v1-403", &sse_refused, test_refused);
  g_test_add_data_func ("/pi/source/proxy/websocket-407", &ws_auth, test_refused);
  g_test_add_data_func ("/pi/source/proxy/events-v1-407", &sse_auth, test_refused);
  g_test_add_data_func ("/pi/source/proxy/events-v1-http-407", &sse_plain_auth, test_refused);
  g_test_add_data_func ("/pi/source/proxy/events-v1-http-403", &sse_plain_refused, test_refused);
  g_test_add_data_func ("/pi/source/proxy/events-v1-http-403-proxy-authenticate", &sse_plain_refused_auth, test_refused);
  g_test_add_data_func ("/pi/source/proxy/events-v1-http-403-server", &sse_plain_refused_server, test_refused);

  ret = g_test_run ();
  proxy_free (the_proxy);
  return ret;
}
