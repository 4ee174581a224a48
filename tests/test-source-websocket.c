/* test-source-websocket.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-source.h"
#include "pi-ws-test-server.h"

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
watch_new (PiWsTestServer     *server,
           const char * const *exchanges)
{
  Watch *watch = g_new0 (Watch, 1);
  g_autofree char *url = pi_ws_test_server_get_url (server);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/source/websocket/raw-data", test_raw_data);
  g_test_add_func ("/pi/source/websocket/raw-split", test_raw_split);
  g_test_add_data_func ("/pi/source/websocket/raw-bindings", GINT_TO_POINTER (FALSE), test_binding_error);
  g_test_add_data_func ("/pi/source/websocket/graphql-binding-error", GINT_TO_POINTER (TRUE), test_binding_error);
  g_test_add_data_func ("/pi/source/websocket/refused-4401", GUINT_TO_POINTER (4401), test_refused);
  g_test_add_data_func ("/pi/source/websocket/refused-4403", GUINT_TO_POINTER (4403), test_refused);
  g_test_add_func ("/pi/source/websocket/graphql-scopes", test_graphql_scopes);
  g_test_add_func ("/pi/source/websocket/reconnect-gap", test_reconnect_gap);
  g_test_add_func ("/pi/source/websocket/malformed", test_malformed);
  g_test_add_func ("/pi/source/websocket/large", test_large);
  g_test_add_func ("/pi/source/websocket/fallback", test_fallback);
  g_test_add_func ("/pi/source/websocket/no-ack", test_no_ack);
  g_test_add_func ("/pi/source/websocket/named", test_named);

  return g_test_run ();
}
