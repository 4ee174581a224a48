/* test-source.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-source.h"
#include "pi-fixture-server.h"
#include "pi-sse-parser.h"

/* What the stream reported, in order. */
typedef struct
{
  PiSource *stream;
  GPtrArray     *messages;
  GPtrArray     *raw;
  GArray        *states;
  GPtrArray     *pings;
  GPtrArray     *server_errors;
  guint          n_ready;
  guint          n_batches;
  gboolean       saw_retry_seconds;
} Watch;

static gpointer
copy_object (gconstpointer src,
             gpointer      data)
{
  return g_object_ref ((gpointer) src);
}

static void
on_messages (PiSource *stream,
             GPtrArray     *batch,
             Watch         *watch)
{
  g_ptr_array_extend (watch->messages, batch, copy_object, NULL);
  watch->n_batches++;
}

static gpointer
copy_raw (gconstpointer src,
          gpointer      data)
{
  return pi_raw_event_copy (src);
}

static void
on_raw (PiSource *stream,
        GPtrArray     *batch,
        Watch         *watch)
{
  g_ptr_array_extend (watch->raw, batch, copy_raw, NULL);
  watch->n_batches++;
}

static void
on_state (PiSource *stream,
          GParamSpec    *pspec,
          Watch         *watch)
{
  PiStreamState state = pi_source_get_state (stream);

  g_array_append_val (watch->states, state);
  if (state == PI_STREAM_STATE_RECONNECTING && pi_source_get_retry_seconds (stream) > 0)
    watch->saw_retry_seconds = TRUE;
}

static void
on_ready (PiSource *stream,
          Watch         *watch)
{
  watch->n_ready++;
}

static void
on_ping (PiSource *stream,
         const char    *time,
         Watch         *watch)
{
  g_ptr_array_add (watch->pings, g_strdup (time));
}

static void
on_server_error (PiSource *stream,
                 const char    *text,
                 Watch         *watch)
{
  g_ptr_array_add (watch->server_errors, g_strdup (text));
}

static Watch *
watch_new (PiFixtureServer *server,
           gboolean         raw,
           guint            ping_timeout)
{
  Watch *watch = g_new0 (Watch, 1);
  g_autofree char *url = pi_fixture_server_get_url (server);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (bindings, pi_binding_new ("exchange/taskcluster-queue/v1/task-completed", "#"));

  watch->stream = pi_source_new ();
  watch->messages = g_ptr_array_new_with_free_func (g_object_unref);
  watch->raw = g_ptr_array_new_with_free_func ((GDestroyNotify) pi_raw_event_free);
  watch->states = g_array_new (FALSE, FALSE, sizeof (PiStreamState));
  watch->pings = g_ptr_array_new_with_free_func (g_free);
  watch->server_errors = g_ptr_array_new_with_free_func (g_free);

  pi_source_set_server_url (watch->stream, url);
  pi_source_set_bindings (watch->stream, bindings);
  pi_source_set_raw (watch->stream, raw);
  if (ping_timeout > 0)
    pi_source_set_ping_timeout (watch->stream, ping_timeout);

  g_signal_connect (watch->stream, "messages", G_CALLBACK (on_messages), watch);
  g_signal_connect (watch->stream, "raw-events", G_CALLBACK (on_raw), watch);
  g_signal_connect (watch->stream, "notify::state", G_CALLBACK (on_state), watch);
  g_signal_connect (watch->stream, "ready", G_CALLBACK (on_ready), watch);
  g_signal_connect (watch->stream, "ping", G_CALLBACK (on_ping), watch);
  g_signal_connect (watch->stream, "server-error", G_CALLBACK (on_server_error), watch);

  return watch;
}

static void
watch_connect (Watch *watch)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pi_source_connect (watch->stream, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pi_source_get_state (watch->stream), ==, PI_STREAM_STATE_CONNECTING);
}

static void
watch_free (Watch *watch)
{
  pi_source_disconnect (watch->stream);
  g_signal_handlers_disconnect_by_data (watch->stream, watch);
  g_assert_finalize_object (watch->stream);
  g_ptr_array_unref (watch->messages);
  g_ptr_array_unref (watch->raw);
  g_array_unref (watch->states);
  g_ptr_array_unref (watch->pings);
  g_ptr_array_unref (watch->server_errors);
  g_free (watch);
}

/* Runs the default main context until @done says so; fails after @seconds. */
#define WAIT_UNTIL(cond, seconds) G_STMT_START {                                    \
    gint64 _deadline = g_get_monotonic_time () + (gint64) (seconds) * G_USEC_PER_SEC; \
    while (!(cond))                                                                  \
      {                                                                              \
        if (g_get_monotonic_time () > _deadline)                                     \
          g_error ("Timed out waiting for: %s", #cond);                              \
        g_main_context_iteration (NULL, FALSE);                                      \
        g_usleep (1000);                                                             \
      }                                                                              \
  } G_STMT_END

static void
run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
saw_state (Watch         *watch,
           PiStreamState  state)
{
  for (guint i = 0; i < watch->states->len; i++)
    if (g_array_index (watch->states, PiStreamState, i) == state)
      return TRUE;
  return FALSE;
}

static PiMessage *
message_at (Watch *watch,
            guint  i)
{
  g_assert_cmpuint (i, <, watch->messages->len);
  return g_ptr_array_index (watch->messages, i);
}

static void
assert_message_1 (PiMessage *message)
{
  const char * const *routes = pi_message_get_routes (message);
  gsize len;
  const char *payload;

  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "exchange/taskcluster-queue/v1/task-completed");
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "primary.fQ2.0.wg.wid.prov.wtype.sched.group._");
  g_assert_nonnull (routes);
  g_assert_cmpstr (routes[0], ==, "index.project.foo.latest");
  g_assert_cmpstr (routes[1], ==, "tc-treeherder.v2.try");
  g_assert_null (routes[2]);
  g_assert_false (pi_message_get_redelivered (message));
  payload = pi_message_get_payload_text (message, &len);
  g_assert_nonnull (payload);
  g_assert_cmpmem (payload, len, PAYLOAD_1, strlen (PAYLOAD_1));
}

/* --- where to connect ------------------------------------------------------------ */

static void
test_connect_url (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "https://tc.example.com", "https://tc.example.com/api/events/v1/connect/?" },
    { "https://tc.example.com/", "https://tc.example.com/api/events/v1/connect/?" },
    { "tc.example.com", "https://tc.example.com/api/events/v1/connect/?" },
    { "https://tc.example.com/api/events/v1", "https://tc.example.com/api/events/v1/connect/?" },
    { "https://tc.example.com/api/events/v1/", "https://tc.example.com/api/events/v1/connect/?" },
    { "https://events.taskcluster.net/v1", "https://events.taskcluster.net/v1/connect/?" },
    { "http://127.0.0.1:8080/api/events/v1/connect/?bindings=%7B%7D", "http://127.0.0.1:8080/api/events/v1/connect/?" },
    { "http://127.0.0.1:8080/api/events/v1/connect", "http://127.0.0.1:8080/api/events/v1/connect/?" },
    { "  https://tc.example.com/sub/dir  ", "https://tc.example.com/sub/dir/api/events/v1/connect/?" },
    { "http://[::1]:8080", "http://[::1]:8080/api/events/v1/connect/?" },
    /* A zone id stays escaped (RFC 6874), so that libsoup can parse the URL. */
    { "http://[fe80::1%25eth0]:8080", "http://[fe80::1%25eth0]:8080/api/events/v1/connect/?" },
    { "http://[fe80::1%eth0]:8080/api/events/v1", "http://[fe80::1%25eth0]:8080/api/events/v1/connect/?" },
  };
  static const char *bad[] = { "", "ftp://example.com/", "https://", "http://exa mple.com:99999/" };
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *query = NULL;

  g_ptr_array_add (bindings, pi_binding_new ("exchange/taskcluster-queue/v1/task-completed", "route.#"));
  query = pi_bindings_to_query (bindings);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = pi_source_derive_connect_url (cases[i].in, bindings, &error);
      g_autofree char *expected = g_strconcat (cases[i].out, query, NULL);

      g_assert_no_error (error);
      g_assert_cmpstr (url, ==, expected);
    }

  /* A full connect URL keeps its own bindings when none are given. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *url =
      pi_source_derive_connect_url ("https://h.example/v1/connect/?bindings=%7B%22bindings%22%3A%5B%5D%7D",
                                    NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (url, ==, "https://h.example/v1/connect/?bindings=%7B%22bindings%22%3A%5B%5D%7D");
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = pi_source_derive_connect_url (bad[i], bindings, &error);

      g_assert_null (url);
      g_assert_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL);
      g_assert_cmpuint (strlen (error->message), >, 10);
    }

  /* Connecting with a bad URL fails at once, in words, in the state too. */
  {
    g_autoptr(GError) error = NULL;
    PiSource *stream = pi_source_new ();

    pi_source_set_server_url (stream, "ftp://example.com/");
    g_assert_false (pi_source_connect (stream, &error));
    g_assert_error (error, PI_SOURCE_ERROR, PI_SOURCE_ERROR_INVALID_URL);
    g_assert_cmpint (pi_source_get_state (stream), ==, PI_STREAM_STATE_FAILED);
    g_assert_cmpstr (pi_source_get_state_text (stream), ==, error->message);
    g_assert_nonnull (strstr (error->message, "https://"));
    g_assert_finalize_object (stream);
  }
}

/* --- the wire format -------------------------------------------------------------- */

/* Every WHATWG feature a proxy or another server may produce. */
static const char formats_body[] =
  "\xEF\xBB\xBF"                             /* BOM */
  ": a comment\r\n"
  "event: ready\r\ndata: {}\r\nid: -\r\n\r\n"  /* CRLF */
  "retry: 2500\n"
  "event: message\ndata: " MESSAGE_1 "\nid: -\n\n"
  ":another comment\n"
  "event: message\rdata: {\"payload\":{\"n\":2},\r"  /* CR only, multi-line data */
  "data: \"exchange\":\"exchange/x/v1/two\",\"routingKey\":\"two\",\"redelivered\":true,\"routes\":[]}\r\r"
  "event: ping\ndata: {\"time\":\"2026-11-27T10:00:00.000Z\"}\n\n"
  "data: {\"payload\":[1,2,3]}\n\n";         /* no event: type means "message" */

static void
check_formats (gsize piece,
               guint delay_ms)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autofree char *request = NULL;
  Watch *watch;

  pi_fixture_response_write_split (response, formats_body, -1, piece, delay_ms);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (watch->messages->len == 3 && watch->pings->len == 1, 10);

  assert_message_1 (message_at (watch, 0));
  g_assert_cmpuint (pi_message_get_sequence (message_at (watch, 0)), ==, 1);

  g_assert_cmpint (pi_message_get_kind (message_at (watch, 1)), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (message_at (watch, 1)), ==, "exchange/x/v1/two");
  g_assert_cmpstr (pi_message_get_routing_key (message_at (watch, 1)), ==, "two");
  g_assert_true (pi_message_get_redelivered (message_at (watch, 1)));
  g_assert_cmpuint (pi_message_get_sequence (message_at (watch, 1)), ==, 2);

  g_assert_cmpint (pi_message_get_kind (message_at (watch, 2)), ==, PI_MESSAGE_KIND_PAYLOAD_ONLY);
  g_assert_cmpuint (pi_message_get_sequence (message_at (watch, 2)), ==, 3);

  g_assert_cmpstr (g_ptr_array_index (watch->pings, 0), ==, "2026-11-27T10:00:00.000Z");
  g_assert_nonnull (pi_source_get_last_ping (watch->stream));
  g_assert_cmpuint (watch->n_ready, ==, 1);

  g_assert_cmpint (pi_source_get_state (watch->stream), ==, PI_STREAM_STATE_LIVE);
  g_assert_cmpstr (pi_source_get_state_text (watch->stream), ==, "Live");
  g_assert_true (saw_state (watch, PI_STREAM_STATE_WAITING_FOR_READY));
  g_assert_cmpuint (pi_source_get_n_messages (watch->stream), ==, 3);
  g_assert_cmpuint (pi_source_get_n_bytes (watch->stream), ==, strlen (formats_body));

  /* The request: the connect path, the bindings, never a Last-Event-ID. */
  request = pi_fixture_server_dup_request (server, 0);
  g_assert_true (g_str_has_prefix (request, "GET /api/events/v1/connect/?bindings=%7B%22bindings%22"));
  g_assert_null (strstr (request, "Last-Event-ID"));
  g_assert_nonnull (strstr (request, "Accept: text/event-stream"));

  watch_free (watch);
}

static void
test_formats_one_write (void)
{
  check_formats (0, 0);
}

static void
test_formats_every_byte (void)
{
  /* One byte per write: every event, line and CRLF is split somewhere. */
  check_formats (1, 1);
}

static void
test_formats_every_boundary (void)
{
  /* Two writes per stream, for every split point, one connection each.
   * Only the (cheap) one-connection-per-split path through the whole
   * client: the parser's own tests do the exhaustive byte-level work. */
  gsize len = strlen (formats_body);

  for (gsize split = 1; split < len; split += 23)
    {
      g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
      PiFixtureResponse *response = pi_fixture_response_new_sse ();
      Watch *watch;

      pi_fixture_response_write (response, formats_body, split);
      pi_fixture_response_sleep (response, 5);
      pi_fixture_response_write (response, formats_body + split, len - split);
      pi_fixture_response_hold (response);
      pi_fixture_server_add (server, response);

      watch = watch_new (server, FALSE, 0);
      watch_connect (watch);
      WAIT_UNTIL (watch->messages->len == 3 && watch->pings->len == 1, 10);
      assert_message_1 (message_at (watch, 0));
      g_assert_cmpstr (pi_message_get_routing_key (message_at (watch, 1)), ==, "two");
      watch_free (watch);
    }
}

static void
test_malformed (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  const char *error;
  const char *raw;
  Watch *watch;

  pi_fixture_response_write (response,
                             READY
                             "event: message\ndata: {\"payload\": {\"a\": tru\nid: -\n\n"
                             "event: message\ndata: {\"payload\":{\"name\":\"caf\xE9 \xFF\"},"
                             "\"exchange\":\"exchange/x/v1/y\",\"routingKey\":\"k\",\"redelivered\":false,\"routes\":[]}\n\n"
                             "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (watch->messages->len == 3, 10);

  /* Not JSON: kept, with its raw text and the reason. */
  g_assert_cmpint (pi_message_get_kind (message_at (watch, 0)), ==, PI_MESSAGE_KIND_UNDECODABLE);
  g_assert_cmpstr (pi_message_get_raw (message_at (watch, 0)), ==, "{\"payload\": {\"a\": tru");
  error = pi_message_get_error (message_at (watch, 0));
  g_assert_nonnull (error);
  g_assert_cmpuint (strlen (error), >, 5);

  /* Invalid UTF-8 is repaired (U+FFFD), never passed on. */
  raw = pi_message_get_raw (message_at (watch, 1));
  g_assert_true (g_utf8_validate (raw, -1, NULL));
  g_assert_nonnull (strstr (raw, "\xEF\xBF\xBD"));
  g_assert_cmpstr (pi_message_get_exchange (message_at (watch, 1)), ==, "exchange/x/v1/y");

  /* And the stream goes on. */
  assert_message_1 (message_at (watch, 2));
  g_assert_cmpint (pi_source_get_state (watch->stream), ==, PI_STREAM_STATE_LIVE);

  watch_free (watch);
}

/* --- reconnection ------------------------------------------------------------------ */

static void
test_retry_gap (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *first = pi_fixture_response_new_sse ();
  PiFixtureResponse *second = pi_fixture_response_new_sse ();
  g_autofree char *request = NULL;
  PiMessage *gap;
  gint64 start;
  Watch *watch;

  /* An ID and a short retry, then the stream ends. */
  pi_fixture_response_write (first, "retry: 150\n" READY "event: message\ndata: " MESSAGE_1 "\nid: 7\n\n", -1);
  pi_fixture_server_add (server, first);
  pi_fixture_response_write (second, READY "event: message\ndata: " MESSAGE_2 "\nid: -\n\n", -1);
  pi_fixture_response_hold (second);
  pi_fixture_server_add (server, second);

  watch = watch_new (server, FALSE, 0);
  start = g_get_monotonic_time ();
  watch_connect (watch);
  WAIT_UNTIL (watch->messages->len == 3, 10);

  /* retry: set the first delay (150 ms + jitter, not the default 1 s). */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 900 * 1000);

  assert_message_1 (message_at (watch, 0));
  gap = message_at (watch, 1);
  g_assert_cmpint (pi_message_get_kind (gap), ==, PI_MESSAGE_KIND_GAP);
  g_assert_nonnull (strstr (pi_message_get_error (gap), "messages may be missing"));
  g_assert_cmpstr (pi_message_get_routing_key (message_at (watch, 2)), ==, "two");
  g_assert_cmpuint (pi_message_get_sequence (message_at (watch, 2)), >, pi_message_get_sequence (gap));

  g_assert_true (saw_state (watch, PI_STREAM_STATE_RECONNECTING));
  g_assert_true (watch->saw_retry_seconds);
  g_assert_cmpuint (pi_source_get_n_reconnects (watch->stream), ==, 1);
  g_assert_cmpuint (pi_source_get_n_messages (watch->stream), ==, 2);
  g_assert_cmpuint (watch->n_ready, ==, 2);
  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_LIVE, 5);
  g_assert_null (pi_source_get_error_message (watch->stream));

  /* A fresh stream: the reconnect does not try to resume. */
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 2);
  request = pi_fixture_server_dup_request (server, 1);
  g_assert_null (strstr (request, "Last-Event-ID"));

  watch_free (watch);
}

/* Once live, the backoff stops at 10 s (plus a quarter of jitter): someone
 * watches the traffic and wants it back soon after the server is. The
 * server's own `retry:` (8 s here) holds; doubling it would wait 16 s.
 * Reconnect Now makes the waiting attempt at once, and keeps the backoff. */
static void
test_live_backoff_capped (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *live = pi_fixture_response_new_sse ();
  gint64 asked;
  Watch *watch;

  pi_fixture_response_write (live, "retry: 8000\n" READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_server_add (server, live);
  /* A proxy in front of a restarting server: worth retrying, once live. */
  pi_fixture_server_add (server, pi_fixture_response_new_status (502, "Bad Gateway", NULL, NULL));

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_RECONNECTING, 10);
  g_assert_cmpuint (watch->messages->len, >=, 1);
  g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), >=, 8);
  g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), <=, 10);

  for (guint i = 1; i <= 3; i++)
    {
      guint mark = watch->states->len;

      /* Now, not in 8 s or more. */
      asked = g_get_monotonic_time ();
      g_assert_true (pi_source_reconnect_now (watch->stream));
      WAIT_UNTIL (pi_fixture_server_get_n_requests (server) == i + 1, 10);
      g_assert_cmpint (g_get_monotonic_time () - asked, <, 2 * G_USEC_PER_SEC);
      /* Connecting, then waiting again: the new attempt's own delay. */
      WAIT_UNTIL (watch->states->len >= mark + 2 &&
                  pi_source_get_state (watch->stream) == PI_STREAM_STATE_RECONNECTING, 10);
      g_assert_cmpint (g_array_index (watch->states, PiStreamState, mark), ==, PI_STREAM_STATE_CONNECTING);
      g_assert_cmpuint (pi_source_get_n_reconnects (watch->stream), ==, i);
      g_assert_nonnull (strstr (pi_source_get_error_message (watch->stream), "502"));
      /* The delay the worker chose: 10 s at most, and 12.5 s with jitter. */
      g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), >=, 10);
      g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), <=, 13);
    }

  watch_free (watch);
}

/* A refusal after being live (403: the credentials no longer do) fails and
 * stays failed: Reconnect Now does not retry it behind the user's back. */
static void
test_refusal_not_retried (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *live = pi_fixture_response_new_sse ();
  Watch *watch;

  pi_fixture_response_write (live, "retry: 100\n" READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_server_add (server, live);
  pi_fixture_server_add (server, pi_fixture_response_new_status (403, "Forbidden", NULL, NULL));

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_FAILED, 10);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->stream), "403"));
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 2);

  g_assert_false (pi_source_reconnect_now (watch->stream));
  run_for (500);
  g_assert_cmpint (pi_source_get_state (watch->stream), ==, PI_STREAM_STATE_FAILED);
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 2);

  watch_free (watch);
}

static void
test_no_content (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *ok = pi_fixture_response_new_sse ();
  Watch *watch;

  pi_fixture_server_add (server, pi_fixture_response_new_status (204, "No Content", NULL, NULL));
  pi_fixture_response_write (ok, READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_hold (ok);
  pi_fixture_server_add (server, ok);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);

  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_RECONNECTING, 5);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->stream), "204"));
  /* The default first delay: 1 s plus some jitter. */
  g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), >=, 1);
  g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), <=, 2);
  g_assert_true (g_str_has_prefix (pi_source_get_state_text (watch->stream), "Reconnecting in "));

  WAIT_UNTIL (watch->messages->len == 1, 5);
  assert_message_1 (message_at (watch, 0));
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *request = pi_fixture_server_dup_request (server, i);

      g_assert_null (strstr (request, "Last-Event-ID"));
    }

  watch_free (watch);
}

static void
test_stall (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  gint64 live_at;
  Watch *watch;

  pi_fixture_response_write (response, "retry: 60000\n" READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 1);
  watch_connect (watch);
  WAIT_UNTIL (watch->messages->len == 1, 5);
  live_at = g_get_monotonic_time ();

  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_RECONNECTING, 5);
  g_assert_cmpint (g_get_monotonic_time () - live_at, >=, 800 * 1000);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->stream), "No data from 127.0.0.1:"));
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->stream), "for 1 second"));

  /* The gap marks where messages may be missing; the countdown runs. */
  WAIT_UNTIL (watch->messages->len == 2, 5);
  g_assert_cmpint (pi_message_get_kind (message_at (watch, 1)), ==, PI_MESSAGE_KIND_GAP);
  g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), >=, 59);
  g_assert_nonnull (strstr (pi_source_get_state_text (watch->stream), "Reconnecting in"));

  /* The dead connection was closed by the client. */
  WAIT_UNTIL (pi_fixture_server_get_n_closed (server) == 1, 5);

  watch_free (watch);
}

static void
test_abrupt_close (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new ();
  Watch *watch;

  /* Chunked, and the connection drops in the middle of a chunk and an event. */
  pi_fixture_response_write (response,
                             "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n"
                             "64\r\nretry: 60000\n" READY "event: message\ndata: {\"payload\":", -1);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_RECONNECTING, 5);

  g_assert_cmpuint (watch->n_ready, ==, 1);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->stream), "127.0.0.1:"));

  /* The half event is not a message; the gap is. */
  WAIT_UNTIL (watch->messages->len == 1, 5);
  g_assert_cmpint (pi_message_get_kind (message_at (watch, 0)), ==, PI_MESSAGE_KIND_GAP);
  g_assert_cmpuint (pi_source_get_n_messages (watch->stream), ==, 0);

  watch_free (watch);
}

static void
test_not_bound (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  Watch *watch;

  /* The original server did this for an exchange that does not exist. */
  pi_fixture_response_write (response, "retry: 20\n\n", -1);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_FAILED, 10);

  g_assert_cmpstr (pi_source_get_error_message (watch->stream), ==,
                   "The server closed the stream before binding; does the exchange exist?");
  g_assert_cmpstr (pi_source_get_state_text (watch->stream), ==,
                   pi_source_get_error_message (watch->stream));
  /* A few retries, then it gives up: no silent loop. */
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 4);
  g_assert_cmpuint (pi_source_get_n_reconnects (watch->stream), ==, 3);
  run_for (200);
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 4);
  g_assert_cmpuint (watch->messages->len, ==, 0);

  watch_free (watch);
}

/* --- failures that stop --------------------------------------------------------------- */

static Watch *
run_until_failed_n (PiFixtureServer *server,
                    guint            n_requests)
{
  Watch *watch = watch_new (server, FALSE, 0);

  watch_connect (watch);
  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_FAILED, 10);
  run_for (100);
  g_assert_cmpint (pi_source_get_state (watch->stream), ==, PI_STREAM_STATE_FAILED);
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, n_requests);
  g_assert_cmpstr (pi_source_get_state_text (watch->stream), ==,
                   pi_source_get_error_message (watch->stream));
  return watch;
}

static Watch *
run_until_failed (PiFixtureServer *server)
{
  return run_until_failed_n (server, 1);
}

/* An answer that is not an event stream, and the reason the user reads
 * after "HOST:PORT ". */
typedef struct
{
  const char *path;
  guint       status;
  const char *phrase;
  const char *content_type;
  const char *body;
  const char *reason;
} HttpFailure;

static const HttpFailure http_failures[] = {
  /* The events service's own words, from its JSON error body. */
  { "/pi/source/sse/bad-request", 400, "Bad Request", "application/json",
    "{\"code\":\"InputError\",\"message\":\"The json query should have only one key i.e. `bindings`.\"}",
    "answered 400 Bad Request: The json query should have only one key i.e. `bindings`." },
  { "/pi/source/sse/not-found", 404, "Not Found", "application/json",
    "{\"message\":\"No such path\"}",
    "answered 404 Not Found: No such path" },
  /* A body that is not JSON adds nothing; a 5xx before `ready` fails too. */
  { "/pi/source/sse/server-failure", 500, "Internal Server Error", "text/html",
    "<h1>Oops</h1>",
    "answered 500 Internal Server Error" },
  /* A login page where the stream should be: named by its media type. */
  { "/pi/source/sse/wrong-content-type", 200, "OK", "text/html; charset=utf-8",
    "<html>A login page</html>",
    "answered with text/html, not an event stream (text/event-stream)" },
};

static void
test_http_failure (gconstpointer data)
{
  const HttpFailure *failure = data;
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  g_autofree char *expected = NULL;
  Watch *watch;

  pi_fixture_server_add (server,
                         pi_fixture_response_new_status (failure->status, failure->phrase,
                                                         failure->content_type, failure->body));
  pi_fixture_server_add (server,
                         pi_fixture_response_new_status (failure->status, failure->phrase,
                                                         failure->content_type, failure->body));
  /* A 400 may be a server without our `resume` parameter (docs/PROTOCOL.md
   * 7): asked once more without it, then final. */
  watch = run_until_failed_n (server, failure->status == 400 ? 2 : 1);
  if (failure->status == 400)
    {
      g_autofree char *first = pi_fixture_server_dup_request (server, 0);
      g_autofree char *second = pi_fixture_server_dup_request (server, 1);

      g_assert_nonnull (strstr (first, "&resume=1 HTTP/1.1\r\n"));
      g_assert_null (strstr (second, "resume="));
    }
  expected = g_strdup_printf ("127.0.0.1:%u %s", pi_fixture_server_get_port (server), failure->reason);
  g_assert_cmpstr (pi_source_get_error_message (watch->stream), ==, expected);
  watch_free (watch);
}

/* A server that cannot serve now (pulse-events while its broker is away)
 * answers 503 with Retry-After: the stream waits at least that long, says
 * why in the server's words, and comes back by itself, although it was
 * never live. */
static void
test_unavailable (void)
{
  static const char unavailable[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json; charset=utf-8\r\n"
    "Retry-After: 3\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"message\":\"The server cannot reach its broker: Could not connect to the broker "
    "at 127.0.0.1:5673: Connection refused\"}";
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *refused = pi_fixture_response_new ();
  PiFixtureResponse *ok = pi_fixture_response_new_sse ();
  g_autofree char *expected = NULL;
  PiStreamState state;
  gint64 reconnecting_at;
  Watch *watch;

  pi_fixture_response_write (refused, unavailable, -1);
  pi_fixture_server_add (server, refused);
  pi_fixture_response_write (ok, READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_hold (ok);
  pi_fixture_server_add (server, ok);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);

  WAIT_UNTIL ((state = pi_source_get_state (watch->stream)) == PI_STREAM_STATE_RECONNECTING ||
              state == PI_STREAM_STATE_FAILED, 5);
  reconnecting_at = g_get_monotonic_time ();
  g_assert_cmpint (state, ==, PI_STREAM_STATE_RECONNECTING);
  expected = g_strdup_printf ("127.0.0.1:%u answered 503 Service Unavailable: The server cannot reach its "
                              "broker: Could not connect to the broker at 127.0.0.1:5673: Connection refused",
                              pi_fixture_server_get_port (server));
  g_assert_cmpstr (pi_source_get_error_message (watch->stream), ==, expected);
  /* Retry-After is the least wait, above the first delay (1 s and jitter). */
  g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), >=, 3);
  g_assert_cmpuint (pi_source_get_retry_seconds (watch->stream), <=, 4);
  g_assert_true (g_str_has_prefix (pi_source_get_state_text (watch->stream), "Reconnecting in "));

  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_LIVE, 10);
  g_assert_cmpint (g_get_monotonic_time () - reconnecting_at, >=, 2500 * 1000);
  g_assert_null (pi_source_get_error_message (watch->stream));
  WAIT_UNTIL (watch->messages->len == 1, 5);
  assert_message_1 (message_at (watch, 0));
  g_assert_false (saw_state (watch, PI_STREAM_STATE_FAILED));
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 2);
  watch_free (watch);
}

static void
test_server_error_event (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  Watch *watch;

  /* As the protocol orders it: a bindings error comes instead of `ready`. */
  pi_fixture_response_write (response,
                             "event: error\ndata: \"Bindings must be an array of {exchange, routingKeyPattern}\"\nid: -\n\n"
                             READY "event: message\ndata: " MESSAGE_2 "\nid: -\n\n", -1);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = run_until_failed (server);
  g_assert_cmpuint (watch->server_errors->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (watch->server_errors, 0), ==,
                   "Bindings must be an array of {exchange, routingKeyPattern}");
  g_assert_cmpstr (pi_source_get_error_message (watch->stream), ==,
                   "Bindings must be an array of {exchange, routingKeyPattern}");
  /* Nothing after the error is acted on. */
  g_assert_cmpuint (watch->messages->len, ==, 0);
  g_assert_cmpuint (watch->n_ready, ==, 0);
  /* The client closed the connection. */
  WAIT_UNTIL (pi_fixture_server_get_n_closed (server) == 1, 5);
  watch_free (watch);
}

/* An error after `ready` is the server or its broker failing (broker lost,
 * server shutting down), not bad input: the text is shown, the gap marked,
 * and a fresh stream opened. */
static void
test_server_error_after_ready (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *first = pi_fixture_response_new_sse ();
  PiFixtureResponse *second = pi_fixture_response_new_sse ();
  PiMessage *gap;
  Watch *watch;

  pi_fixture_response_write (first,
                             "retry: 100\n" READY "event: message\ndata: " MESSAGE_1 "\nid: -\n\n"
                             "event: error\ndata: \"Lost the connection to the broker: a socket error occurred\"\nid: -\n\n",
                             -1);
  pi_fixture_response_hold (first);
  pi_fixture_server_add (server, first);
  pi_fixture_response_write (second, READY "event: message\ndata: " MESSAGE_2 "\nid: -\n\n", -1);
  pi_fixture_response_hold (second);
  pi_fixture_server_add (server, second);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (watch->messages->len == 3, 10);

  g_assert_cmpuint (watch->server_errors->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (watch->server_errors, 0), ==,
                   "Lost the connection to the broker: a socket error occurred");
  g_assert_true (saw_state (watch, PI_STREAM_STATE_RECONNECTING));
  g_assert_false (saw_state (watch, PI_STREAM_STATE_FAILED));

  assert_message_1 (message_at (watch, 0));
  gap = message_at (watch, 1);
  g_assert_cmpint (pi_message_get_kind (gap), ==, PI_MESSAGE_KIND_GAP);
  g_assert_nonnull (strstr (pi_message_get_error (gap), "Lost the connection to the broker"));
  g_assert_cmpstr (pi_message_get_routing_key (message_at (watch, 2)), ==, "two");

  WAIT_UNTIL (pi_source_get_state (watch->stream) == PI_STREAM_STATE_LIVE, 5);
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 2);
  watch_free (watch);
}

static void
test_oversize (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  gsize big = 20 * 1024 * 1024;
  g_autofree char *event = g_malloc (big + 64);
  gsize len;
  Watch *watch;

  len = g_snprintf (event, 64, "event: message\ndata: \"");
  memset (event + len, 'x', big);
  len += big;
  memcpy (event + len, "\"\n\n", 3);
  len += 3;

  pi_fixture_response_write (response, READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_write (response, event, len);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = run_until_failed (server);
  g_assert_nonnull (strstr (pi_source_get_error_message (watch->stream),
                            "sent an event larger than 16 MB; the connection was closed"));
  g_assert_cmpuint (watch->messages->len, ==, 1);
  assert_message_1 (message_at (watch, 0));
  watch_free (watch);
}

static void
test_connection_refused (void)
{
  guint16 port = pi_fixture_closed_port ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autofree char *expected = g_strdup_printf ("Could not connect to 127.0.0.1:%u: connection refused", port);
  PiSource *stream = pi_source_new ();

  pi_source_set_server_url (stream, url);
  g_assert_true (pi_source_connect (stream, NULL));
  WAIT_UNTIL (pi_source_get_state (stream) == PI_STREAM_STATE_FAILED, 10);
  g_assert_cmpstr (pi_source_get_error_message (stream), ==, expected);
  g_assert_cmpstr (pi_source_get_state_text (stream), ==, expected);

  /* Disconnecting keeps the reason for the user. */
  pi_source_disconnect (stream);
  g_assert_cmpint (pi_source_get_state (stream), ==, PI_STREAM_STATE_DISCONNECTED);
  g_assert_cmpstr (pi_source_get_error_message (stream), ==, expected);
  g_assert_finalize_object (stream);
}

static void
test_tls_failure (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u", pi_fixture_server_get_port (server));
  g_autofree char *expected = g_strdup_printf ("Could not make a secure connection to 127.0.0.1:%u: ",
                                               pi_fixture_server_get_port (server));
  PiSource *stream = pi_source_new ();

  /* Plain HTTP where TLS was expected: the handshake fails. */
  pi_fixture_response_set_no_request (response);
  pi_fixture_response_write (response, READY, -1);
  pi_fixture_server_add (server, response);

  pi_source_set_server_url (stream, url);
  g_assert_true (pi_source_connect (stream, NULL));
  WAIT_UNTIL (pi_source_get_state (stream) == PI_STREAM_STATE_FAILED, 10);
  g_test_message ("%s", pi_source_get_error_message (stream));
  g_assert_true (g_str_has_prefix (pi_source_get_error_message (stream), expected));
  g_assert_finalize_object (stream);
}

static void
test_name_not_resolved (void)
{
  PiSource *stream = pi_source_new ();

  pi_source_set_server_url (stream, "http://no-such-host.invalid");
  g_assert_true (pi_source_connect (stream, NULL));
  WAIT_UNTIL (pi_source_get_state (stream) == PI_STREAM_STATE_FAILED, 20);
  g_assert_cmpstr (pi_source_get_error_message (stream), ==,
                   "Could not find the server no-such-host.invalid: the name does not resolve");
  g_assert_finalize_object (stream);
}

/* --- extensions, raw mode, batching, cancel ---------------------------------------------- */

static void
test_dropped (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  Watch *watch;

  pi_fixture_response_write (response,
                             READY "event: message\ndata: " MESSAGE_1 "\n\n"
                             "event: dropped\ndata: {\"count\": 5, \"reason\": \"too-large\"}\nid: -\n\n"
                             "event: dropped\ndata: {\"count\": 2}\nid: -\n\n"
                             "event: message\ndata: " MESSAGE_2 "\n\n", -1);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (watch->messages->len == 4, 5);
  g_assert_cmpuint (pi_source_get_n_dropped (watch->stream), ==, 7);
  /* The connection held: dropped entries with the server's count and
   * reason, not gaps (issue 12: they read "Connection lost"). */
  g_assert_cmpint (pi_message_get_kind (message_at (watch, 1)), ==, PI_MESSAGE_KIND_DROPPED);
  g_assert_cmpuint (pi_message_get_dropped_count (message_at (watch, 1)), ==, 5);
  g_assert_cmpstr (pi_message_get_dropped_reason (message_at (watch, 1)), ==, "too-large");
  g_assert_cmpint (pi_message_get_kind (message_at (watch, 2)), ==, PI_MESSAGE_KIND_DROPPED);
  g_assert_cmpuint (pi_message_get_dropped_count (message_at (watch, 2)), ==, 2);
  g_assert_null (pi_message_get_dropped_reason (message_at (watch, 2)));
  g_assert_cmpstr (pi_message_get_routing_key (message_at (watch, 3)), ==, "two");
  g_assert_cmpuint (pi_source_get_n_messages (watch->stream), ==, 2);
  watch_free (watch);
}

/* A hostile or broken server's control events nested far deeper than any
 * JSON we use must not crash the client (json-glib recurses once per level):
 * the stream goes on and the messages after them arrive. */
static void
test_deep_events (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) body = g_string_new (READY);
  Watch *watch;

  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, ']');

  g_string_append_printf (body, "event: ping\ndata: %s\n\n", deep->str);
  g_string_append_printf (body, "event: dropped\ndata: %s\n\n", deep->str);
  g_string_append (body, "event: message\ndata: " MESSAGE_2 "\n\n");
  g_string_append_printf (body, "event: error\ndata: %s\n\n", deep->str);
  pi_fixture_response_write (response, body->str, body->len);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (watch->server_errors->len == 1, 10);
  g_assert_cmpuint (pi_source_get_n_messages (watch->stream), ==, 1);
  g_assert_cmpuint (watch->messages->len, >=, 1);
  g_assert_cmpstr (pi_message_get_routing_key (message_at (watch, 0)), ==, "two");
  g_assert_cmpuint (pi_source_get_n_dropped (watch->stream), ==, 0);
  /* The server's words, whatever they are, are kept for the user to read. */
  g_assert_true (g_str_has_prefix (g_ptr_array_index (watch->server_errors, 0), "[[[["));
  watch_free (watch);
}

static void
test_raw (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  PiRawEvent *raw;
  Watch *watch;

  /* Any SSE server: no `ready` needed to be live. */
  pi_fixture_response_write (response,
                             "event: hello\ndata: line 1\ndata: line 2\nid: 42\n\n"
                             READY
                             "data: plain\n\n", -1);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, TRUE, 0);
  watch_connect (watch);
  WAIT_UNTIL (watch->raw->len == 3, 5);

  raw = g_ptr_array_index (watch->raw, 0);
  g_assert_cmpstr (raw->event, ==, "hello");
  g_assert_cmpstr (raw->id, ==, "42");
  g_assert_cmpstr (raw->data, ==, "line 1\nline 2");
  raw = g_ptr_array_index (watch->raw, 1);
  g_assert_cmpstr (raw->event, ==, "ready");
  g_assert_cmpstr (raw->id, ==, "-");
  g_assert_cmpstr (raw->data, ==, "{}");
  raw = g_ptr_array_index (watch->raw, 2);
  g_assert_cmpstr (raw->event, ==, "message");
  g_assert_cmpstr (raw->data, ==, "plain");
  g_assert_cmpuint (watch->messages->len, ==, 0);
  g_assert_false (saw_state (watch, PI_STREAM_STATE_WAITING_FOR_READY));
  g_assert_cmpint (pi_source_get_state (watch->stream), ==, PI_STREAM_STATE_LIVE);
  watch_free (watch);
}

static void
test_batching (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autoptr(GString) body = g_string_new (READY);
  guint n = 20000;
  gint64 start;
  double seconds;
  Watch *watch;

  for (guint i = 0; i < n; i++)
    g_string_append (body, "event: message\ndata: " MESSAGE_1 "\nid: -\n\n");
  /* Slow enough that the stream takes a while, so batching shows. */
  pi_fixture_response_write_split (response, body->str, body->len, 64 * 1024, 5);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 0);
  start = g_get_monotonic_time ();
  watch_connect (watch);
  WAIT_UNTIL (watch->messages->len == n, 20);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  /* The main loop's work grows with batches (≤ ~30 a second), not messages. */
  g_test_message ("%u messages in %u batches in %.2f s", n, watch->n_batches, seconds);
  g_assert_cmpuint (watch->n_batches, <=, (guint) (seconds * 30) + 3);
  g_assert_cmpuint (watch->n_batches, <, n / 100);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (pi_message_get_sequence (message_at (watch, i)), ==, i + 1);
  watch_free (watch);
}

static void
test_caller_behind (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autoptr(GString) body = g_string_new (READY);
  guint n = 250000;
  Watch *watch;

  for (guint i = 0; i < n; i++)
    g_string_append (body, "data: [1]\n\n");
  pi_fixture_response_write (response, body->str, body->len);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  /* The main loop does not run for a while: the worker stops reading once
   * its queue is full, then catches up without losing or reordering. */
  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  g_usleep (G_USEC_PER_SEC);
  WAIT_UNTIL (watch->messages->len == n, 20);
  for (guint i = 0; i < n; i += 997)
    g_assert_cmpuint (pi_message_get_sequence (message_at (watch, i)), ==, i + 1);
  g_assert_cmpint (pi_source_get_state (watch->stream), ==, PI_STREAM_STATE_LIVE);
  watch_free (watch);
}

static void
count_batches (PiSource *stream,
               GPtrArray     *batch,
               guint         *n)
{
  (*n)++;
}

static void
test_disconnect (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  g_autoptr(GString) body = g_string_new (READY);
  guint n_after = 0;
  gint64 start;
  Watch *watch;

  /* A stream that keeps coming, slowly. */
  for (guint i = 0; i < 2000; i++)
    g_string_append (body, "event: message\ndata: " MESSAGE_1 "\n\n");
  pi_fixture_response_write_split (response, body->str, body->len, 1000, 2);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  watch = watch_new (server, FALSE, 0);
  watch_connect (watch);
  WAIT_UNTIL (watch->messages->len > 10, 5);

  g_signal_connect (watch->stream, "messages", G_CALLBACK (count_batches), &n_after);
  start = g_get_monotonic_time ();
  pi_source_disconnect (watch->stream);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 500 * 1000);
  g_assert_cmpint (pi_source_get_state (watch->stream), ==, PI_STREAM_STATE_DISCONNECTED);
  g_assert_cmpstr (pi_source_get_state_text (watch->stream), ==, "Disconnected");

  /* Nothing more arrives, and the server sees the connection close. */
  run_for (100);
  g_assert_cmpuint (n_after, ==, 0);
  WAIT_UNTIL (pi_fixture_server_get_n_closed (server) == 1, 5);

  /* Connect again on the same object: a fresh stream. */
  watch_connect (watch);
  WAIT_UNTIL (pi_fixture_server_get_n_requests (server) == 2 && n_after > 0, 5);
  watch_free (watch);
}

static void
disconnect_in_handler (PiSource *stream,
                       GPtrArray     *batch,
                       guint         *n)
{
  (*n)++;
  pi_source_disconnect (stream);
}

static void
test_disconnect_in_handler (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  PiSource *stream = pi_source_new ();
  g_autofree char *url = pi_fixture_server_get_url (server);
  guint n = 0;

  /* A batch, then a ping queued behind it: the ping must not be delivered. */
  pi_fixture_response_write (response, READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  pi_source_set_server_url (stream, url);
  g_signal_connect (stream, "messages", G_CALLBACK (disconnect_in_handler), &n);
  g_assert_true (pi_source_connect (stream, NULL));
  WAIT_UNTIL (n == 1, 5);
  run_for (100);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (pi_source_get_state (stream), ==, PI_STREAM_STATE_DISCONNECTED);
  g_assert_finalize_object (stream);
}

static void
test_unref_while_connected (void)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *response = pi_fixture_response_new_sse ();
  PiSource *stream = pi_source_new ();
  g_autofree char *url = pi_fixture_server_get_url (server);

  pi_fixture_response_write (response, READY, -1);
  pi_fixture_response_hold (response);
  pi_fixture_server_add (server, response);

  pi_source_set_server_url (stream, url);
  g_assert_true (pi_source_connect (stream, NULL));
  WAIT_UNTIL (pi_source_get_state (stream) == PI_STREAM_STATE_LIVE, 5);
  /* Dropping the last reference stops and joins the worker. */
  g_assert_finalize_object (stream);
  WAIT_UNTIL (pi_fixture_server_get_n_closed (server) == 1, 5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/source/sse/connect-url", test_connect_url);
  g_test_add_func ("/pi/source/sse/formats/one-write", test_formats_one_write);
  g_test_add_func ("/pi/source/sse/formats/every-byte", test_formats_every_byte);
  g_test_add_func ("/pi/source/sse/formats/every-boundary", test_formats_every_boundary);
  g_test_add_func ("/pi/source/sse/malformed", test_malformed);
  g_test_add_func ("/pi/source/sse/retry-gap", test_retry_gap);
  g_test_add_func ("/pi/source/sse/no-content", test_no_content);
  g_test_add_func ("/pi/source/sse/live-backoff-capped", test_live_backoff_capped);
  g_test_add_func ("/pi/source/sse/refusal-not-retried", test_refusal_not_retried);
  g_test_add_func ("/pi/source/sse/stall", test_stall);
  g_test_add_func ("/pi/source/sse/abrupt-close", test_abrupt_close);
  g_test_add_func ("/pi/source/sse/not-bound", test_not_bound);
  for (guint i = 0; i < G_N_ELEMENTS (http_failures); i++)
    g_test_add_data_func (http_failures[i].path, &http_failures[i], test_http_failure);
  g_test_add_func ("/pi/source/sse/unavailable", test_unavailable);
  g_test_add_func ("/pi/source/sse/server-error-event", test_server_error_event);
  g_test_add_func ("/pi/source/sse/server-error-after-ready", test_server_error_after_ready);
  g_test_add_func ("/pi/source/sse/oversize", test_oversize);
  g_test_add_func ("/pi/source/sse/deep-events", test_deep_events);
  g_test_add_func ("/pi/source/sse/connection-refused", test_connection_refused);
  g_test_add_func ("/pi/source/sse/name-not-resolved", test_name_not_resolved);
  g_test_add_func ("/pi/source/sse/tls-failure", test_tls_failure);
  g_test_add_func ("/pi/source/sse/dropped", test_dropped);
  g_test_add_func ("/pi/source/sse/raw", test_raw);
  g_test_add_func ("/pi/source/sse/batching", test_batching);
  g_test_add_func ("/pi/source/sse/caller-behind", test_caller_behind);
  g_test_add_func ("/pi/source/sse/disconnect", test_disconnect);
  g_test_add_func ("/pi/source/sse/disconnect-in-handler", test_disconnect_in_handler);
  g_test_add_func ("/pi/source/sse/unref-while-connected", test_unref_while_connected);

  return g_test_run ();
}
