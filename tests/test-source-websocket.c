/* test-source-websocket.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <net/if.h>
#include <string.h>

#include "pi-source.h"
#include "pi-ws-test-server.h"

#define EXCHANGE_ONE "exchange/a/v1/one"

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

typedef struct
{
  PiSource  *source;
  GPtrArray *messages;
  GPtrArray *binding_errors;
} Watch;

static void
on_messages (PiSource  *source,
             GPtrArray *batch,
             Watch     *watch)
{
  for (guint i = 0; i < batch->len; i++)
    g_ptr_array_add (watch->messages, g_object_ref (g_ptr_array_index (batch, i)));
}

static void
on_binding_error (PiSource   *source,
                  PiBinding  *binding,
                  const char *text,
                  Watch      *watch)
{
  if (binding != NULL)
    g_ptr_array_add (watch->binding_errors,
                     g_strdup_printf ("%s: %s", pi_binding_get_exchange (binding), text));
}

static Watch *
watch_new_at (const char         *url,
              const char * const *exchanges)
{
  Watch *watch = g_new0 (Watch, 1);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; exchanges[i] != NULL; i++)
    g_ptr_array_add (bindings, pi_binding_new (exchanges[i], "#"));

  watch->source = pi_source_new ();
  watch->messages = g_ptr_array_new_with_free_func (g_object_unref);
  watch->binding_errors = g_ptr_array_new_with_free_func (g_free);
  pi_source_set_server_url (watch->source, url);
  pi_source_set_bindings (watch->source, bindings);
  g_signal_connect (watch->source, "messages", G_CALLBACK (on_messages), watch);
  g_signal_connect (watch->source, "binding-error", G_CALLBACK (on_binding_error), watch);
  g_assert_true (pi_source_connect (watch->source, NULL));
  return watch;
}

static Watch *
watch_new (PiWsTestServer     *server,
           const char * const *exchanges)
{
  g_autofree char *url = pi_ws_test_server_get_url (server);

  return watch_new_at (url, exchanges);
}

static void
watch_free (Watch *watch)
{
  pi_source_disconnect (watch->source);
  g_assert_finalize_object (watch->source);
  g_ptr_array_unref (watch->messages);
  g_ptr_array_unref (watch->binding_errors);
  g_free (watch);
}

static const char * const two_exchanges[] = { "exchange/a/v1/one", "exchange/a/v1/two", NULL };
static const char * const one_missing[] = { "exchange/a/v1/one", "exchange/a/v1/missing", "exchange/a/v1/two", NULL };

static void
test_raw_data (void)
{
  PiWsTestScript script = { .raw = TRUE, .graphql = TRUE, .n_messages = 3 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, two_exchanges);

  /* The server sends its messages once per subscribe. */
  WAIT_UNTIL (watch->messages->len == 3, 10);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
  g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "WebSocket");
  g_assert_cmpstr (pi_message_get_exchange (g_ptr_array_index (watch->messages, 0)), ==, "exchange/a/v1/one");
  g_assert_cmpstr (pi_message_get_routing_key (g_ptr_array_index (watch->messages, 2)), ==, "key.2");
  g_assert_cmpuint (pi_source_get_n_messages (watch->source), ==, 3);
  /* Two bindings fit into one subscribe. */
  g_assert_cmpuint (pi_ws_test_server_get_n_subscribes (server), ==, 1);
  watch_free (watch);
}

/* An IPv6 literal, with or without a zone id (RFC 6874: "%25" then the
 * interface). The zone reaches the socket (on ::1 the kernel accepts and
 * ignores it; a link-local address needs it) and stays out of the Host
 * header: it names an interface of this machine, not of the server. */
enum { IPV6_PLAIN, IPV6_ZONE, IPV6_UNKNOWN_ZONE };

static void
test_ipv6 (gconstpointer data)
{
  int zone = GPOINTER_TO_INT (data);
  PiWsTestScript script = { .raw = TRUE, .n_messages = 3, .ipv6 = TRUE };
  g_autoptr(PiWsTestServer) server = NULL;
  g_autoptr(GSocket) probe = NULL;
  g_autofree char *url = NULL;
  g_autofree char *host = NULL;
  g_autofree char *port = NULL;
  Watch *watch;

  probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  if (probe == NULL)
    {
      g_test_skip ("no IPv6 on this machine");
      return;
    }
  /* The C library takes an interface's name as the zone of a link-local
   * address only: ::1 takes its number. */
  if (zone == IPV6_ZONE && if_nametoindex ("lo") == 0)
    {
      g_test_skip ("no interface named lo");
      return;
    }

  server = pi_ws_test_server_new (&script);
  url = pi_ws_test_server_get_url (server);
  port = g_strdup (strrchr (url, ':') + 1);
  if (zone == IPV6_ZONE)
    {
      g_free (url);
      url = g_strdup_printf ("http://[::1%%25%u]:%s", if_nametoindex ("lo"), port);
    }
  else if (zone == IPV6_UNKNOWN_ZONE)
    {
      g_free (url);
      url = g_strdup_printf ("http://[::1%%25nosuchif0]:%s", port);
    }

  watch = watch_new_at (url, two_exchanges);
  if (zone == IPV6_UNKNOWN_ZONE)
    {
      const char *error;

      /* Refused in words, never crashed on. */
      WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 10);
      error = pi_source_get_error_message (watch->source);
      g_test_message ("%s", error);
      g_assert_nonnull (strstr (error, "“nosuchif0” is not a network interface of this computer"));
      g_assert_cmpuint (pi_ws_test_server_get_n_connections (server), ==, 0);
      watch_free (watch);
      return;
    }
  WAIT_UNTIL (watch->messages->len == 3 || pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 10);
  g_assert_cmpstr (pi_source_get_error_message (watch->source), ==, NULL);
  g_assert_cmpuint (watch->messages->len, ==, 3);
  g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "WebSocket");
  host = g_strdup_printf ("[::1]:%s", port);
  g_assert_cmpstr (pi_ws_test_server_get_last_host (server), ==, host);
  watch_free (watch);
}

static void
test_raw_split (void)
{
  PiWsTestScript script = { .raw = TRUE, .n_messages = 1 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  Watch *watch;

  for (guint i = 0; i < 250; i++)
    g_ptr_array_add (names, g_strdup_printf ("exchange/b/v1/e%u", i));
  g_ptr_array_add (names, NULL);

  watch = watch_new (server, (const char * const *) names->pdata);
  /* 250 bindings: three subscribes of at most 100 (the server refuses more). */
  WAIT_UNTIL (watch->messages->len == 3, 10);
  g_assert_cmpuint (pi_ws_test_server_get_n_subscribes (server), ==, 3);
  g_assert_cmpuint (watch->binding_errors->len, ==, 0);
  watch_free (watch);
}

static void
test_binding_error (gconstpointer data)
{
  gboolean graphql = GPOINTER_TO_INT (data);
  PiWsTestScript script = { .raw = !graphql, .graphql = graphql, .n_messages = 2 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, graphql ? one_missing : two_exchanges);

  if (graphql)
    {
      /* One start per binding: the missing one fails, the others stream. */
      WAIT_UNTIL (watch->messages->len == 4 && watch->binding_errors->len == 1, 10);
      g_assert_cmpstr (g_ptr_array_index (watch->binding_errors, 0), ==,
                       "exchange/a/v1/missing: Error binding queue: no exchange exchange/a/v1/missing");
      g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "GraphQL");
      g_assert_cmpstr (pi_source_get_binding_error (watch->source,
                                                    g_ptr_array_index (pi_source_get_bindings (watch->source), 1)),
                       ==, "Error binding queue: no exchange exchange/a/v1/missing");
      g_assert_null (pi_source_get_binding_error (watch->source,
                                                  g_ptr_array_index (pi_source_get_bindings (watch->source), 0)));
      g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
    }
  else
    {
      WAIT_UNTIL (watch->messages->len == 2, 10);
      g_assert_cmpuint (watch->binding_errors->len, ==, 0);
    }
  watch_free (watch);
}

/* One subscribe is one queue: a missing exchange fails all of it. The
 * binding the error names shows it; the other is subscribed again alone
 * and streams. */
static void
test_raw_missing_exchange (void)
{
  static const char * const missing_first[] = { "exchange/a/v1/missing", "exchange/a/v1/one", NULL };
  PiWsTestScript script = { .raw = TRUE, .n_messages = 2 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, missing_first);
  GPtrArray *bindings;

  WAIT_UNTIL (watch->binding_errors->len == 1 && watch->messages->len == 2, 10);
  g_assert_cmpstr (g_ptr_array_index (watch->binding_errors, 0), ==,
                   "exchange/a/v1/missing: Error binding queue: no exchange exchange/a/v1/missing");
  g_assert_cmpstr (pi_message_get_exchange (g_ptr_array_index (watch->messages, 0)), ==, "exchange/a/v1/one");
  bindings = pi_source_get_bindings (watch->source);
  g_assert_nonnull (pi_source_get_binding_error (watch->source, g_ptr_array_index (bindings, 0)));
  g_assert_null (pi_source_get_binding_error (watch->source, g_ptr_array_index (bindings, 1)));
  /* Both bindings first, then the one that exists. */
  g_assert_cmpuint (pi_ws_test_server_get_n_subscribes (server), ==, 2);
  g_assert_cmpuint (pi_ws_test_server_get_n_connections (server), ==, 1);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
  watch_free (watch);
}

static void
test_refused (gconstpointer data)
{
  gushort code = GPOINTER_TO_UINT (data);
  PiWsTestScript script = { .raw = TRUE, .refuse_code = code,
                            .refuse_code_name = code == 4401 ? "AuthenticationFailed" : "InsufficientScopes" };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, two_exchanges);
  const char *error;

  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 10);
  error = pi_source_get_error_message (watch->source);
  g_test_message ("%s", error);
  if (code == 4403)
    g_assert_nonnull (strstr (error, "needs a client with the scope web:read-pulse"));
  else
    g_assert_nonnull (strstr (error, "refused the credentials: refused"));
  /* Other credentials may help: the window offers to enter them. */
  g_assert_true (pi_source_get_needs_credentials (watch->source));

  /* A refusal is final: never tried again. */
  g_usleep (G_USEC_PER_SEC / 2);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (pi_ws_test_server_get_n_connections (server), ==, 1);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_FAILED);
  watch_free (watch);
}

static void
test_graphql_scopes (void)
{
  PiWsTestScript script = { .graphql = TRUE, .refuse_code = 1011 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, two_exchanges);

  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 10);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->source), "web:read-pulse"));
  g_assert_true (pi_source_get_needs_credentials (watch->source));
  g_assert_cmpuint (pi_ws_test_server_get_n_connections (server), ==, 1);
  watch_free (watch);
}

static void
test_reconnect_gap (void)
{
  PiWsTestScript script = { .raw = TRUE, .n_messages = 2, .close_after_data = TRUE };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, two_exchanges);
  gboolean gap = FALSE;

  /* 4408: the server ended the socket; reconnect, subscribe again, gap row. */
  WAIT_UNTIL (pi_ws_test_server_get_n_subscribes (server) >= 2 && watch->messages->len >= 5, 15);
  for (guint i = 0; i < watch->messages->len; i++)
    gap |= pi_message_get_kind (g_ptr_array_index (watch->messages, i)) == PI_MESSAGE_KIND_GAP;
  g_assert_true (gap);
  g_assert_cmpuint (pi_source_get_n_reconnects (watch->source), >=, 1);
  watch_free (watch);
}

static void
test_malformed (void)
{
  PiWsTestScript script = { .raw = TRUE, .n_messages = 1, .extra_frame = "{\"type\":\"data\",\"message\":[" };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, two_exchanges);

  /* Malformed frames are reported and skipped; the stream goes on. */
  WAIT_UNTIL (watch->messages->len == 1, 10);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
  watch_free (watch);
}

static void
test_large (void)
{
  PiWsTestScript script = { .raw = TRUE, .n_messages = 2, .payload_size = 1024 * 1024 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, two_exchanges);
  gsize len;

  WAIT_UNTIL (watch->messages->len == 2, 20);
  pi_message_get_payload_text (g_ptr_array_index (watch->messages, 0), &len);
  g_assert_cmpuint (len, >, 1024 * 1024);
  watch_free (watch);
}

static void
test_fallback (void)
{
  PiWsTestScript script = { .graphql = TRUE, .n_messages = 1 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, two_exchanges);

  /* No /subscription/raw (404): GraphQL, remembered for the next connection. */
  WAIT_UNTIL (watch->messages->len == 2, 10);
  g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "GraphQL");
  g_assert_cmpuint (pi_ws_test_server_get_n_connections (server), ==, 1);

  pi_source_disconnect (watch->source);
  g_assert_true (pi_source_connect (watch->source, NULL));
  WAIT_UNTIL (watch->messages->len == 4, 10);
  g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "GraphQL");
  watch_free (watch);
}

static void
test_no_ack (void)
{
  PiWsTestScript script = { .raw = TRUE, .no_ack = TRUE };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch;

  g_setenv ("PI_SOURCE_WS_ACK_TIMEOUT_SECONDS", "1", TRUE);
  watch = watch_new (server, two_exchanges);
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_RECONNECTING, 10);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->source),
                            "did not acknowledge the connection within 1 second"));
  g_unsetenv ("PI_SOURCE_WS_ACK_TIMEOUT_SECONDS");
  watch_free (watch);
}

static void
test_named (void)
{
  PiWsTestScript script = { .raw = TRUE, .n_messages = 2 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  static const char * const names[] = { "taskCompleted", NULL };
  static const char * const where[] = { "taskGroupId=G1", NULL };
  Watch *watch = g_new0 (Watch, 1);
  g_autofree char *url = pi_ws_test_server_get_url (server);

  watch->source = pi_source_new ();
  watch->messages = g_ptr_array_new_with_free_func (g_object_unref);
  watch->binding_errors = g_ptr_array_new_with_free_func (g_free);
  pi_source_set_server_url (watch->source, url);
  pi_source_set_named_subscription (watch->source, "queue", names, where);
  g_signal_connect (watch->source, "messages", G_CALLBACK (on_messages), watch);
  g_assert_true (pi_source_connect (watch->source, NULL));

  /* The filter reached the server: it names the exchange after the group. */
  WAIT_UNTIL (watch->messages->len == 2, 10);
  g_assert_cmpstr (pi_message_get_exchange (g_ptr_array_index (watch->messages, 0)), ==, "exchange/named/G1");
  g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "WebSocket");
  watch_free (watch);
}

/* --- a server of raw bytes, for what libsoup's own server will not send ----------------- */

/*
 * The plain protocol written by hand on a socket: invalid UTF-8 in a text
 * frame, a reserved opcode, a peer that stops answering pings. Each
 * connection runs on its own thread (GThreadedSocketService) with blocking
 * I/O; the first connection follows @mode, later ones behave.
 */

typedef enum
{
  RAW_BAD_UTF8,
  RAW_RESERVED_OPCODE,
  RAW_DEAD_PEER,
  RAW_HUGE_FRAME,
  RAW_NO_SUBSCRIBE_ACK,
  RAW_UNKNOWN_TYPE,
  RAW_TRUNCATED,
  RAW_BROKER_LOST,        /* a subscription the server had bound ends */
  RAW_CONSUMER_CANCELLED,
  RAW_CLOSE_1008,         /* libsoup's server on missed pongs */
  RAW_UNAVAILABLE,        /* 503 with Retry-After instead of the upgrade */
  RAW_TOO_MANY,           /* 429 */
  RAW_UNAUTHORIZED,       /* 401 */
  RAW_PROXY_AUTH,         /* 407: a proxy in the way, not the deployment */
  RAW_UNKNOWN_EVENT,      /* a named subscribe refused with ProtocolError */
  RAW_GRAPHQL_BROKER_LOST, /* no /subscription/raw; GraphQL's subscription ends */
  RAW_BAD_ACCEPT,         /* a 101 whose Sec-WebSocket-Accept is not for the key */
  RAW_ACK_WITH_HEAD,      /* connection_ack in the same write as the 101 */
} RawMode;

typedef struct
{
  GSocketService *service;
  guint16         port;
  RawMode         mode;
  gint            n_connections;
  gint            n_raw_requests;   /* upgrades asked on /subscription/raw */
  gint            n_other_requests; /* on any other path */
  gint64          first_at;         /* monotonic time of each connection */
  gint64          second_at;
} RawServer;

#define GOOD_GRAPHQL(key) \
  "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"data\":{\"pulseMessages\":{\"payload\":{},\"exchange\":\"" \
  EXCHANGE_ONE "\",\"routingKey\":\"" key "\",\"redelivered\":false,\"cc\":[]}}}}"

#define GOOD_DATA(key) \
  "{\"type\":\"data\",\"subscriptionId\":\"s1\",\"message\":{\"payload\":{},\"exchange\":\"" \
  EXCHANGE_ONE "\",\"routingKey\":\"" key "\",\"redelivered\":false,\"cc\":[]}}"

static gboolean
raw_read_exactly (GInputStream *in,
                  void         *buffer,
                  gsize         size)
{
  gsize n = 0;

  return g_input_stream_read_all (in, buffer, size, &n, NULL, NULL) && n == size;
}

static void
raw_send (GOutputStream *out,
          guint8         opcode,
          const char    *payload,
          gsize          len)
{
  guint8 header[10];
  gsize n = 0;

  header[n++] = 0x80 | opcode;
  if (len < 126)
    header[n++] = (guint8) len;
  else
    {
      g_assert_cmpuint (len, <, 65536);
      header[n++] = 126;
      header[n++] = (guint8) (len >> 8);
      header[n++] = (guint8) len;
    }
  g_output_stream_write_all (out, header, n, NULL, NULL, NULL);
  g_output_stream_write_all (out, payload, len, NULL, NULL, NULL);
}

static void
raw_send_text (GOutputStream *out,
               const char    *text)
{
  raw_send (out, 0x1, text, strlen (text));
}

/* A client frame (masked); FALSE at the end of the stream. */
static gboolean
raw_read_frame (GInputStream *in,
                guint8       *opcode,
                GByteArray   *payload)
{
  guint8 head[2], mask[4], ext[8];
  guint64 len;

  if (!raw_read_exactly (in, head, 2))
    return FALSE;
  *opcode = head[0] & 0x0f;
  len = head[1] & 0x7f;
  if (len == 126)
    {
      if (!raw_read_exactly (in, ext, 2))
        return FALSE;
      len = (ext[0] << 8) | ext[1];
    }
  else if (len == 127)
    {
      if (!raw_read_exactly (in, ext, 8))
        return FALSE;
      len = 0;
      for (guint i = 0; i < 8; i++)
        len = (len << 8) | ext[i];
    }
  g_assert_cmpuint (len, <, 1024 * 1024);
  if (!raw_read_exactly (in, mask, 4))
    return FALSE;
  g_byte_array_set_size (payload, (guint) len);
  if (len > 0 && !raw_read_exactly (in, payload->data, len))
    return FALSE;
  for (guint64 i = 0; i < len; i++)
    payload->data[i] ^= mask[i % 4];
  return TRUE;
}

/* The answer of a server that will not upgrade now, or FALSE. */
static gboolean
raw_http_refusal (RawMode        mode,
                  GOutputStream *out)
{
  const char *answer;

  switch (mode)
    {
    case RAW_UNAVAILABLE:
      answer = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 0\r\n"
               "Connection: close\r\n\r\n";
      break;
    case RAW_TOO_MANY:
      answer = "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      break;
    case RAW_UNAUTHORIZED:
      answer = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      break;
    case RAW_PROXY_AUTH:
      answer = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n"
               "Content-Length: 0\r\nConnection: close\r\n\r\n";
      break;
    case RAW_BAD_UTF8:
    case RAW_RESERVED_OPCODE:
    case RAW_DEAD_PEER:
    case RAW_HUGE_FRAME:
    case RAW_NO_SUBSCRIBE_ACK:
    case RAW_UNKNOWN_TYPE:
    case RAW_TRUNCATED:
    case RAW_BROKER_LOST:
    case RAW_CONSUMER_CANCELLED:
    case RAW_CLOSE_1008:
    case RAW_UNKNOWN_EVENT:
    case RAW_GRAPHQL_BROKER_LOST:
    case RAW_BAD_ACCEPT:
    case RAW_ACK_WITH_HEAD:
    default:
      return FALSE;
    }
  g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, NULL);
  return TRUE;
}

static gboolean
raw_handshake (RawServer     *server,
               gboolean       first,
               GInputStream  *in,
               GOutputStream *out)
{
  g_autoptr(GString) head = g_string_new (NULL);
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree char *key = NULL;
  g_autofree char *accept = NULL;
  g_autofree char *answer = NULL;
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  gboolean graphql = FALSE;
  const char *at;
  char c;

  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      if (!raw_read_exactly (in, &c, 1))
        return FALSE;
      g_string_append_c (head, c);
    }
  if (g_str_has_prefix (head->str, "GET /subscription/raw "))
    g_atomic_int_inc (&server->n_raw_requests);
  else
    g_atomic_int_inc (&server->n_other_requests);
  if (first && raw_http_refusal (server->mode, out))
    return FALSE;
  if (server->mode == RAW_GRAPHQL_BROKER_LOST)
    {
      static const char not_found[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

      if (g_str_has_prefix (head->str, "GET /subscription/raw "))
        {
          g_output_stream_write_all (out, not_found, strlen (not_found), NULL, NULL, NULL);
          return FALSE;
        }
      graphql = strstr (head->str, "graphql-ws") != NULL;
    }

  at = strstr (head->str, "Sec-WebSocket-Key: ");
  g_assert_nonnull (at);
  at += strlen ("Sec-WebSocket-Key: ");
  key = g_strndup (at, strcspn (at, "\r"));

  g_checksum_update (sha1, (const guchar *) key, -1);
  g_checksum_update (sha1, (const guchar *) "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", -1);
  g_checksum_get_digest (sha1, digest, &digest_len);
  accept = g_base64_encode (digest, digest_len);
  if (first && server->mode == RAW_BAD_ACCEPT)
    accept[0] = accept[0] == 'A' ? 'B' : 'A';
  answer = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n%s", accept,
                            graphql ? "Sec-WebSocket-Protocol: graphql-ws\r\n" : "",
                            /* The server's first frame, in the same segment as the head. */
                            server->mode == RAW_ACK_WITH_HEAD ? "\x81\x19{\"type\":\"connection_ack\"}" : "");
  return g_output_stream_write_all (out, answer, strlen (answer), NULL, NULL, NULL);
}

static gboolean
raw_run (GThreadedSocketService *service,
         GSocketConnection      *connection,
         GObject                *source_object,
         gpointer                user_data)
{
  RawServer *server = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GByteArray) payload = g_byte_array_new ();
  gboolean first = g_atomic_int_add (&server->n_connections, 1) == 0;
  gboolean dead = FALSE;
  guint8 opcode;

  if (first)
    server->first_at = g_get_monotonic_time ();
  else if (server->second_at == 0)
    server->second_at = g_get_monotonic_time ();

  if (!raw_handshake (server, first, in, out))
    return TRUE;

  while (raw_read_frame (in, &opcode, payload))
    {
      if (opcode == 0x8)
        {
          /* Close: echoed, as a live peer does. */
          if (!dead)
            raw_send (out, 0x8, (const char *) payload->data, payload->len);
          break;
        }
      if (opcode == 0x9)
        {
          if (!dead)
            raw_send (out, 0xA, (const char *) payload->data, payload->len);
          continue;
        }
      if (opcode != 0x1)
        continue;

      g_byte_array_append (payload, (const guint8 *) "", 1);
      if (strstr ((const char *) payload->data, "\"connection_init\"") != NULL)
        {
          if (server->mode != RAW_ACK_WITH_HEAD)
            raw_send_text (out, "{\"type\":\"connection_ack\"}");
        }
      else if (strstr ((const char *) payload->data, "\"start\"") != NULL)
        {
          /* GraphQL: the one binding is id 1. The server loses the
           * broker: the web-server's error for the subscription. */
          gboolean again = g_atomic_int_get (&server->n_connections) > 2;

          raw_send_text (out, again ? GOOD_GRAPHQL ("again") : GOOD_GRAPHQL ("before"));
          if (!again)
            raw_send_text (out, "{\"type\":\"error\",\"id\":\"1\","
                                "\"payload\":{\"message\":\"Lost the connection to the broker\"}}");
        }
      else if (strstr ((const char *) payload->data, "\"subscribe\"") != NULL)
        {
          if (first && server->mode == RAW_NO_SUBSCRIBE_ACK)
            continue;
          if (server->mode == RAW_UNKNOWN_EVENT)
            {
              /* The server's answer to a name it does not know; the
               * socket stays open. */
              raw_send_text (out, "{\"type\":\"error\",\"code\":\"ProtocolError\","
                                  "\"message\":\"Unknown queue event: taskBogus\"}");
              continue;
            }
          raw_send_text (out, "{\"type\":\"subscribe_ack\",\"subscriptionId\":\"s1\"}");
          raw_send_text (out, first ? GOOD_DATA ("before") : GOOD_DATA ("again"));
          if (!first)
            continue;

          switch (server->mode)
            {
            case RAW_BAD_UTF8:
              {
                static const char bad[] = "{\"type\":\"data\",\"subscriptionId\":\"s1\",\"message\":"
                                          "{\"payload\":\"\xff\xfe\",\"exchange\":\"x\",\"routingKey\":\"k\"}}";

                raw_send (out, 0x1, bad, sizeof bad - 1);
              }
              break;

            case RAW_RESERVED_OPCODE:
              raw_send (out, 0x3, "{}", 2);
              break;

            case RAW_DEAD_PEER:
              /* From now on, no pong and no close: a peer that is gone. */
              dead = TRUE;
              break;

            case RAW_HUGE_FRAME:
              {
                /* A text frame of 100 MiB announced; the client must not
                 * wait for (or hold) it. */
                static const guint8 huge[] = { 0x81, 127, 0, 0, 0, 0, 0x06, 0x40, 0, 0 };

                g_output_stream_write_all (out, huge, sizeof huge, NULL, NULL, NULL);
              }
              break;

            case RAW_BROKER_LOST:
              /* pulse-events losing RabbitMQ; the socket stays open. */
              raw_send_text (out, "{\"type\":\"error\",\"subscriptionId\":\"s1\",\"code\":\"SubscriptionError\","
                                  "\"message\":\"Lost the connection to the broker: connection reset by peer\"}");
              break;

            case RAW_CONSUMER_CANCELLED:
              raw_send_text (out, "{\"type\":\"error\",\"subscriptionId\":\"s1\",\"code\":\"SubscriptionError\","
                                  "\"message\":\"Consumer cancelled by RabbitMQ\"}");
              break;

            case RAW_CLOSE_1008:
              {
                static const char close_1008[] = "\x03\xf0pong timeout";

                raw_send (out, 0x8, close_1008, sizeof close_1008 - 1);
                /* The client's close is not echoed: this one was first. */
                dead = TRUE;
              }
              break;

            case RAW_NO_SUBSCRIBE_ACK:
            case RAW_UNAVAILABLE:
            case RAW_TOO_MANY:
            case RAW_UNAUTHORIZED:
            case RAW_PROXY_AUTH:
            case RAW_UNKNOWN_EVENT:
            case RAW_GRAPHQL_BROKER_LOST:
            case RAW_BAD_ACCEPT:
              g_assert_not_reached ();

            case RAW_ACK_WITH_HEAD:
              break;

            case RAW_UNKNOWN_TYPE:
              raw_send_text (out, "{\"type\":\"surprise\",\"subscriptionId\":\"s1\"}");
              raw_send_text (out, GOOD_DATA ("after"));
              break;

            case RAW_TRUNCATED:
              raw_send_text (out, "{\"type\":\"data\",\"subscriptionId\":\"s1\",\"message\":{\"payload\":");
              raw_send_text (out, GOOD_DATA ("after"));
              break;

            default:
              g_assert_not_reached ();
            }
        }
    }
  return TRUE;
}

static RawServer *
raw_server_new (RawMode mode)
{
  RawServer *server = g_new0 (RawServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  server->mode = mode;
  server->service = g_threaded_socket_service_new (4);
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (server->service, "run", G_CALLBACK (raw_run), server);
  g_socket_service_start (server->service);
  return server;
}

static void
raw_server_free (RawServer *server)
{
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_object_unref (server->service);
  g_free (server);
}

static Watch *
raw_watch_new (RawServer *server)
{
  Watch *watch = g_new0 (Watch, 1);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE_ONE, "#"));
  watch->source = pi_source_new ();
  watch->messages = g_ptr_array_new_with_free_func (g_object_unref);
  watch->binding_errors = g_ptr_array_new_with_free_func (g_free);
  pi_source_set_server_url (watch->source, url);
  pi_source_set_bindings (watch->source, bindings);
  g_signal_connect (watch->source, "messages", G_CALLBACK (on_messages), watch);
  g_signal_connect (watch->source, "binding-error", G_CALLBACK (on_binding_error), watch);
  g_assert_true (pi_source_connect (watch->source, NULL));
  return watch;
}

static guint
count_kind (Watch         *watch,
            PiMessageKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < watch->messages->len; i++)
    n += pi_message_get_kind (g_ptr_array_index (watch->messages, i)) == kind;
  return n;
}

static const char *
routing_key_at (Watch *watch,
                guint  i)
{
  g_assert_cmpuint (i, <, watch->messages->len);
  return pi_message_get_routing_key (g_ptr_array_index (watch->messages, i));
}

/* A frame the client must close the connection for: the message before it
 * is kept, the reason is said in words, and the source reconnects (a gap
 * row between) and streams again. */
static void
test_raw_closing (gconstpointer data)
{
  RawMode mode = GPOINTER_TO_INT (data);
  RawServer *server = raw_server_new (mode);
  Watch *watch;
  const char *reason = NULL;
  const char *expected = NULL;

  if (mode == RAW_DEAD_PEER)
    g_setenv ("PI_SOURCE_WS_KEEPALIVE_SECONDS", "1", TRUE);
  watch = raw_watch_new (server);
  g_unsetenv ("PI_SOURCE_WS_KEEPALIVE_SECONDS");

  WAIT_UNTIL (watch->messages->len >= 3, 20);
  g_assert_cmpstr (routing_key_at (watch, 0), ==, "before");
  g_assert_cmpint (pi_message_get_kind (g_ptr_array_index (watch->messages, 1)), ==, PI_MESSAGE_KIND_GAP);
  g_assert_cmpstr (routing_key_at (watch, 2), ==, "again");
  g_assert_cmpint (g_atomic_int_get (&server->n_connections), ==, 2);
  g_assert_cmpuint (pi_source_get_n_reconnects (watch->source), ==, 1);

  reason = pi_message_get_error (g_ptr_array_index (watch->messages, 1));
  g_test_message ("gap: %s", reason);
  switch (mode)
    {
    case RAW_BAD_UTF8:
      expected = "sent text that is not UTF-8";
      break;
    case RAW_RESERVED_OPCODE:
      expected = "sent a WebSocket frame this client cannot read; the connection was closed";
      break;
    case RAW_DEAD_PEER:
      expected = "did not answer a keep-alive ping within 1 second";
      break;
    case RAW_HUGE_FRAME:
      expected = "sent a frame larger than 64 MB; the connection was closed";
      break;
    case RAW_BROKER_LOST:
      expected = "ended a subscription: Lost the connection to the broker: connection reset by peer";
      break;
    case RAW_CONSUMER_CANCELLED:
      expected = "ended a subscription: Consumer cancelled by RabbitMQ";
      break;
    case RAW_CLOSE_1008:
      expected = "ended the connection for a policy violation (1008): pong timeout";
      break;
    case RAW_NO_SUBSCRIBE_ACK:
    case RAW_UNKNOWN_TYPE:
    case RAW_TRUNCATED:
    case RAW_UNAVAILABLE:
    case RAW_TOO_MANY:
    case RAW_UNAUTHORIZED:
    case RAW_PROXY_AUTH:
    case RAW_UNKNOWN_EVENT:
    case RAW_GRAPHQL_BROKER_LOST:
    case RAW_BAD_ACCEPT:
    case RAW_ACK_WITH_HEAD:
    default:
      g_assert_not_reached ();
    }
  g_assert_nonnull (strstr (reason, expected));
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_LIVE, 10);
  /* The bindings did nothing wrong. */
  g_assert_cmpuint (watch->binding_errors->len, ==, 0);

  watch_free (watch);
  raw_server_free (server);
}

/* The plain protocol answers each subscribe: a server that acknowledged
 * the connection but never the subscribe is waited for as long as for the
 * connection's ack, said in words, and tried again. */
static void
test_raw_no_subscribe_ack (void)
{
  RawServer *server = raw_server_new (RAW_NO_SUBSCRIBE_ACK);
  Watch *watch;

  g_setenv ("PI_SOURCE_WS_ACK_TIMEOUT_SECONDS", "1", TRUE);
  watch = raw_watch_new (server);
  g_unsetenv ("PI_SOURCE_WS_ACK_TIMEOUT_SECONDS");

  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_RECONNECTING, 10);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->source),
                            "did not confirm the subscription within 1 second"));
  /* Never live, so no gap; the next connection is served. */
  WAIT_UNTIL (watch->messages->len >= 1, 10);
  g_assert_cmpstr (routing_key_at (watch, 0), ==, "again");
  g_assert_cmpuint (count_kind (watch, PI_MESSAGE_KIND_GAP), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&server->n_connections), ==, 2);

  watch_free (watch);
  raw_server_free (server);
}

static void
on_server_error (PiSource   *source,
                 const char *text,
                 GPtrArray  *errors)
{
  g_ptr_array_add (errors, g_strdup (text));
}

/* A frame the client skips: an unknown type (a newer server's) silently,
 * truncated JSON in words; the connection and the messages go on. */
static void
test_raw_skipped (gconstpointer data)
{
  RawMode mode = GPOINTER_TO_INT (data);
  RawServer *server = raw_server_new (mode);
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
  Watch *watch = raw_watch_new (server);

  g_signal_connect (watch->source, "server-error", G_CALLBACK (on_server_error), errors);
  WAIT_UNTIL (watch->messages->len >= 2, 20);
  g_assert_cmpuint (watch->messages->len, ==, 2);
  g_assert_cmpstr (routing_key_at (watch, 0), ==, "before");
  g_assert_cmpstr (routing_key_at (watch, 1), ==, "after");
  g_assert_cmpuint (count_kind (watch, PI_MESSAGE_KIND_GAP), ==, 0);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
  g_assert_cmpint (g_atomic_int_get (&server->n_connections), ==, 1);

  if (mode == RAW_TRUNCATED)
    {
      g_assert_cmpuint (errors->len, ==, 1);
      g_test_message ("%s", (const char *) g_ptr_array_index (errors, 0));
      g_assert_nonnull (strstr (g_ptr_array_index (errors, 0), "sent a frame this client cannot read"));
    }
  else
    g_assert_cmpuint (errors->len, ==, 0);

  g_signal_handlers_disconnect_by_data (watch->source, errors);
  watch_free (watch);
  raw_server_free (server);
}

/* An HTTP answer to the upgrade that is not "no such endpoint": a busy
 * server (503, 429) is asked again on the same path, no sooner than its
 * Retry-After; a refusal (401) is final. Neither falls back to GraphQL. */
static void
test_raw_http_status (gconstpointer data)
{
  RawMode mode = GPOINTER_TO_INT (data);
  RawServer *server = raw_server_new (mode);
  Watch *watch = raw_watch_new (server);

  if (mode == RAW_UNAUTHORIZED || mode == RAW_PROXY_AUTH)
    {
      WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 10);
      g_test_message ("%s", pi_source_get_error_message (watch->source));
      g_assert_nonnull (strstr (pi_source_get_error_message (watch->source),
                                mode == RAW_UNAUTHORIZED ? "refused access (401"
                                                         : "The proxy asks for credentials of its own"));
      /* The deployment's credentials help with a 401, not with a proxy's 407. */
      g_assert_true (pi_source_get_needs_credentials (watch->source) == (mode == RAW_UNAUTHORIZED));
      g_usleep (G_USEC_PER_SEC * 3 / 2);
      g_main_context_iteration (NULL, FALSE);
      g_assert_cmpint (g_atomic_int_get (&server->n_connections), ==, 1);
    }
  else
    {
      WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_RECONNECTING, 10);
      g_test_message ("%s", pi_source_get_error_message (watch->source));
      g_assert_false (pi_source_get_needs_credentials (watch->source));
      g_assert_nonnull (strstr (pi_source_get_error_message (watch->source),
                                mode == RAW_UNAVAILABLE ? "answered 503" : "answered 429"));
      WAIT_UNTIL (watch->messages->len >= 1, 20);
      g_assert_cmpstr (routing_key_at (watch, 0), ==, "again");
      g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
      g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "WebSocket");
      g_assert_cmpint (g_atomic_int_get (&server->n_raw_requests), ==, 2);
      /* Retry-After: 2 holds the next attempt back past the first backoff. */
      if (mode == RAW_UNAVAILABLE)
        g_assert_cmpint (server->second_at - server->first_at, >=, 2 * G_USEC_PER_SEC);
    }
  g_assert_cmpint (g_atomic_int_get (&server->n_other_requests), ==, 0);

  watch_free (watch);
  raw_server_free (server);
}

/* A 101 that is not an answer to this client's key is not a WebSocket it
 * can trust: said in words, not retried. */
static void
test_raw_bad_accept (void)
{
  RawServer *server = raw_server_new (RAW_BAD_ACCEPT);
  Watch *watch = raw_watch_new (server);

  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 10);
  g_test_message ("%s", pi_source_get_error_message (watch->source));
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->source), "opened a WebSocket this client cannot use"));
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->source), "Sec-WebSocket-Accept"));
  g_assert_false (pi_source_get_needs_credentials (watch->source));
  g_assert_cmpint (g_atomic_int_get (&server->n_connections), ==, 1);

  watch_free (watch);
  raw_server_free (server);
}

/* The server's first frame may come in the same read as the answer to the
 * upgrade: it is not lost. */
static void
test_raw_ack_with_head (void)
{
  RawServer *server = raw_server_new (RAW_ACK_WITH_HEAD);
  Watch *watch = raw_watch_new (server);

  WAIT_UNTIL (watch->messages->len >= 1, 10);
  g_assert_cmpstr (routing_key_at (watch, 0), ==, "before");
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
  g_assert_cmpint (g_atomic_int_get (&server->n_connections), ==, 1);
  g_assert_cmpuint (pi_source_get_n_reconnects (watch->source), ==, 0);

  watch_free (watch);
  raw_server_free (server);
}

/* GraphQL: an error for a subscription that does not refuse its binding
 * (the server lost the broker) reconnects and starts again, with a gap;
 * the binding shows no error. */
static void
test_graphql_broker_lost (void)
{
  RawServer *server = raw_server_new (RAW_GRAPHQL_BROKER_LOST);
  Watch *watch = raw_watch_new (server);
  const char *reason;

  WAIT_UNTIL (watch->messages->len >= 3, 20);
  g_assert_cmpstr (routing_key_at (watch, 0), ==, "before");
  g_assert_cmpint (pi_message_get_kind (g_ptr_array_index (watch->messages, 1)), ==, PI_MESSAGE_KIND_GAP);
  reason = pi_message_get_error (g_ptr_array_index (watch->messages, 1));
  g_test_message ("gap: %s", reason);
  g_assert_nonnull (strstr (reason, "ended a subscription: Lost the connection to the broker"));
  g_assert_cmpstr (routing_key_at (watch, 2), ==, "again");
  g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "GraphQL");
  g_assert_cmpuint (pi_source_get_n_reconnects (watch->source), ==, 1);
  g_assert_cmpuint (watch->binding_errors->len, ==, 0);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);

  watch_free (watch);
  raw_server_free (server);
}

static void
on_state_seen (PiSource   *source,
               GParamSpec *pspec,
               gboolean   *was_live)
{
  if (pi_source_get_state (source) == PI_STREAM_STATE_LIVE)
    *was_live = TRUE;
}

/* A named subscription the server refuses (an event name it does not
 * know) subscribes nothing: the source fails with the server's words and
 * is never live. */
static void
test_raw_unknown_event (void)
{
  static const char * const names[] = { "taskBogus", NULL };
  RawServer *server = raw_server_new (RAW_UNKNOWN_EVENT);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  g_autoptr(PiSource) source = pi_source_new ();
  gboolean was_live = FALSE;

  pi_source_set_server_url (source, url);
  pi_source_set_named_subscription (source, "queue", names, NULL);
  g_signal_connect (source, "notify::state", G_CALLBACK (on_state_seen), &was_live);
  g_assert_true (pi_source_connect (source, NULL));

  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_FAILED, 10);
  g_test_message ("%s", pi_source_get_error_message (source));
  g_assert_nonnull (strstr (pi_source_get_error_message (source),
                            "refused the subscription: Unknown queue event: taskBogus"));
  /* A refusal, but not of the credentials: no use asking for others. */
  g_assert_false (pi_source_get_needs_credentials (source));
  g_assert_false (was_live);
  g_usleep (G_USEC_PER_SEC * 3 / 2);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (g_atomic_int_get (&server->n_connections), ==, 1);
  g_assert_cmpint (pi_source_get_state (source), ==, PI_STREAM_STATE_FAILED);

  g_signal_handlers_disconnect_by_data (source, &was_live);
  pi_source_disconnect (source);
  raw_server_free (server);
}

static void
on_binding_error_cleared (PiSource   *source,
                          PiBinding  *binding,
                          const char *text,
                          guint      *n_cleared)
{
  if (binding == NULL)
    (*n_cleared)++;
}

/* A binding's refusal belongs to the connection that got it: connecting
 * again clears it, even to an events v1 address, which has none. */
static void
test_binding_errors_cleared (void)
{
  static const char * const missing_first[] = { "exchange/a/v1/missing", "exchange/a/v1/one", NULL };
  PiWsTestScript script = { .raw = TRUE, .n_messages = 1 };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch = watch_new (server, missing_first);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  g_autofree char *v1_url = g_strconcat (url, "/api/events/v1", NULL);
  PiBinding *missing = g_ptr_array_index (pi_source_get_bindings (watch->source), 0);
  guint n_cleared = 0;

  WAIT_UNTIL (watch->binding_errors->len == 1, 10);
  g_assert_nonnull (pi_source_get_binding_error (watch->source, missing));

  g_signal_connect (watch->source, "binding-error", G_CALLBACK (on_binding_error_cleared), &n_cleared);
  pi_source_disconnect (watch->source);
  pi_source_set_server_url (watch->source, v1_url);
  g_assert_true (pi_source_connect (watch->source, NULL));
  g_assert_null (pi_source_get_binding_error (watch->source, missing));
  g_assert_cmpuint (n_cleared, ==, 1);

  g_signal_handlers_disconnect_by_data (watch->source, &n_cleared);
  watch_free (watch);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/source/websocket/raw-data", test_raw_data);
  g_test_add_func ("/pi/source/websocket/raw-split", test_raw_split);
  g_test_add_data_func ("/pi/source/websocket/ipv6", GINT_TO_POINTER (IPV6_PLAIN), test_ipv6);
  g_test_add_data_func ("/pi/source/websocket/ipv6-zone", GINT_TO_POINTER (IPV6_ZONE), test_ipv6);
  g_test_add_data_func ("/pi/source/websocket/ipv6-unknown-zone", GINT_TO_POINTER (IPV6_UNKNOWN_ZONE), test_ipv6);
  g_test_add_data_func ("/pi/source/websocket/raw-bindings", GINT_TO_POINTER (FALSE), test_binding_error);
  g_test_add_data_func ("/pi/source/websocket/graphql-binding-error", GINT_TO_POINTER (TRUE), test_binding_error);
  g_test_add_func ("/pi/source/websocket/raw-missing-exchange", test_raw_missing_exchange);
  g_test_add_data_func ("/pi/source/websocket/refused-4401", GUINT_TO_POINTER (4401), test_refused);
  g_test_add_data_func ("/pi/source/websocket/refused-4403", GUINT_TO_POINTER (4403), test_refused);
  g_test_add_func ("/pi/source/websocket/graphql-scopes", test_graphql_scopes);
  g_test_add_func ("/pi/source/websocket/reconnect-gap", test_reconnect_gap);
  g_test_add_func ("/pi/source/websocket/malformed", test_malformed);
  g_test_add_func ("/pi/source/websocket/large", test_large);
  g_test_add_func ("/pi/source/websocket/fallback", test_fallback);
  g_test_add_func ("/pi/source/websocket/no-ack", test_no_ack);
  g_test_add_func ("/pi/source/websocket/named", test_named);
  g_test_add_data_func ("/pi/source/websocket/bad-utf8", GINT_TO_POINTER (RAW_BAD_UTF8), test_raw_closing);
  g_test_add_data_func ("/pi/source/websocket/reserved-opcode", GINT_TO_POINTER (RAW_RESERVED_OPCODE),
                        test_raw_closing);
  g_test_add_data_func ("/pi/source/websocket/dead-peer", GINT_TO_POINTER (RAW_DEAD_PEER), test_raw_closing);
  g_test_add_data_func ("/pi/source/websocket/huge-frame", GINT_TO_POINTER (RAW_HUGE_FRAME), test_raw_closing);
  g_test_add_func ("/pi/source/websocket/no-subscribe-ack", test_raw_no_subscribe_ack);
  g_test_add_data_func ("/pi/source/websocket/unknown-type", GINT_TO_POINTER (RAW_UNKNOWN_TYPE), test_raw_skipped);
  g_test_add_data_func ("/pi/source/websocket/truncated-json", GINT_TO_POINTER (RAW_TRUNCATED), test_raw_skipped);
  g_test_add_data_func ("/pi/source/websocket/broker-lost", GINT_TO_POINTER (RAW_BROKER_LOST), test_raw_closing);
  g_test_add_data_func ("/pi/source/websocket/consumer-cancelled", GINT_TO_POINTER (RAW_CONSUMER_CANCELLED),
                        test_raw_closing);
  g_test_add_data_func ("/pi/source/websocket/close-1008", GINT_TO_POINTER (RAW_CLOSE_1008), test_raw_closing);
  g_test_add_data_func ("/pi/source/websocket/upgrade-503", GINT_TO_POINTER (RAW_UNAVAILABLE), test_raw_http_status);
  g_test_add_data_func ("/pi/source/websocket/upgrade-429", GINT_TO_POINTER (RAW_TOO_MANY), test_raw_http_status);
  g_test_add_data_func ("/pi/source/websocket/upgrade-401", GINT_TO_POINTER (RAW_UNAUTHORIZED), test_raw_http_status);
  g_test_add_data_func ("/pi/source/websocket/upgrade-407", GINT_TO_POINTER (RAW_PROXY_AUTH), test_raw_http_status);
  g_test_add_func ("/pi/source/websocket/unknown-event", test_raw_unknown_event);
  g_test_add_func ("/pi/source/websocket/bad-accept", test_raw_bad_accept);
  g_test_add_func ("/pi/source/websocket/ack-with-head", test_raw_ack_with_head);
  g_test_add_func ("/pi/source/websocket/graphql-broker-lost", test_graphql_broker_lost);
  g_test_add_func ("/pi/source/websocket/binding-errors-cleared", test_binding_errors_cleared);

  return g_test_run ();
}
