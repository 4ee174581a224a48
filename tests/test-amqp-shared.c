/* test-amqp-shared.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* pulse-events --amqp in its default, shared mode against a real RabbitMQ
 * node: one broker queue for the server, bound with the distinct bindings
 * of its streams, fanned out in process. What is checked is what a client
 * receives and what the broker holds (rabbitmqctl list_queues and
 * list_bindings). First, the library call it rests on: bindings added to
 * and removed from a live subscription. */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "pi-amqp-client.h"
#include "pi-amqp-fanout.h"
#include "pi-rabbit-test.h"

#define EXCHANGE       "exchange/pi-test/v1/shared"
#define MISSING        "exchange/pi-test/v1/no-such-exchange"
#define READ_TIMEOUT_S 20
#define READY          "event: ready\ndata: {}\nid: -\n\n"
#define BINDING(exchange, pattern) "{\"exchange\":\"" exchange "\",\"routingKeyPattern\":\"" pattern "\"}"

static PiTestRabbit rabbit;

#define TOPIC_USER     "pi-topic"

static void die_with_parent (gpointer data);
static GSubprocess *spawn_server (const char *collapse,
                                  guint16    *port);
static GSubprocess *spawn_server_at (const char *url,
                                     const char *collapse,
                                     guint16    *port);
static GSubprocess *spawn_server_full (const char         *url,
                                       const char         *collapse,
                                       const char * const *envs,
                                       const char * const *extra_args,
                                       guint16            *port);

static struct
{
  GSubprocess *server;
  guint16      port;
  const char  *queue_user;   /* whose server queues bindings_on_exchange () reads */
} env = { .queue_user = "guest" };

/* --- the broker's view -------------------------------------------------------- */

/* The queues the messages go through, and (@n_dropped) their companions
 * QUEUE-dropped, which take what the broker drops from them. */
static guint
count_queues (guint *n_dropped)
{
  g_autofree char *out = pi_test_rabbit_ctl (&rabbit, "list_queues", "--quiet", "--no-table-headers", "name", NULL);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (out), "\n", -1);
  guint n = 0;

  *n_dropped = 0;
  for (guint i = 0; out[0] != '\0' && lines[i] != NULL; i++)
    {
      if (g_str_has_suffix (g_strstrip (lines[i]), "-dropped"))
        (*n_dropped)++;
      else
        n++;
    }
  return n;
}

/* The routing keys bound from EXCHANGE to server queues, sorted, joined by
 * spaces. */
static char *
bindings_on_exchange (void)
{
  g_autofree char *out = pi_test_rabbit_ctl (&rabbit, "list_bindings", "--quiet", "--no-table-headers",
                                             "source_name", "destination_name", "routing_key", NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *queue_prefix = g_strdup_printf ("queue/%s/pulse-events-", env.queue_user);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", 3);

      if (g_strv_length (fields) == 3 && g_str_equal (fields[0], EXCHANGE) &&
          g_str_has_prefix (fields[1], queue_prefix))
        g_ptr_array_add (keys, g_strdup (g_strstrip (fields[2])));
    }
  g_ptr_array_sort_values (keys, (GCompareFunc) g_strcmp0);
  g_ptr_array_add (keys, NULL);

  return g_strjoinv (" ", (char **) keys->pdata);
}

/* The server changes bindings when a stream comes or goes (it notices a
 * stream gone on its next write: pings every second here). */
static void
assert_bindings (const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  g_autofree char *bound = NULL;

  while (g_free (bound), bound = bindings_on_exchange (),
         !g_str_equal (bound, expected) && g_get_monotonic_time () < deadline)
    g_usleep (200 * 1000);
  g_assert_cmpstr (bound, ==, expected);
}

/* The x-max-length of the one server queue. */
static guint
queue_max_length (void)
{
  g_autofree char *out = pi_test_rabbit_ctl (&rabbit, "list_queues", "--quiet", "--no-table-headers",
                                             "name", "arguments", NULL);
  const char *found;

  g_test_message ("%s", out);
  found = strstr (out, "x-max-length");
  g_assert_nonnull (found);
  found += strcspn (found, "0123456789");
  return (guint) atoi (found);
}

/* @expected queues of the server's (or none), each with its companion
 * that counts drops: none leaked either. */
static void
assert_queue_count (guint expected)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  guint n, n_dropped;

  while (((n = count_queues (&n_dropped)) != expected || n_dropped != expected) &&
         g_get_monotonic_time () < deadline)
    g_usleep (200 * 1000);
  g_assert_cmpuint (n, ==, expected);
  g_assert_cmpuint (n_dropped, ==, expected);
}

/* --- the library: bindings of a live subscription ------------------------------ */

typedef struct
{
  gboolean   ready;
  gboolean   failed;
  GPtrArray *keys;        /* routing keys delivered */
  guint      n_answers;
  char      *refusal;
  char      *broker_reply;
} Probe;

static void
probe_ready (gpointer user_data)
{
  ((Probe *) user_data)->ready = TRUE;
}

static void
probe_deliveries (GPtrArray *items,
                  guint64    last_tag,
                  gpointer   user_data)
{
  Probe *probe = user_data;

  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (probe->keys, g_strdup (((PiAmqpDeliveryCopy *) g_ptr_array_index (items, i))->routing_key));
}

static void
probe_failed (const char    *text,
              PiAmqpFailure  failure,
              gpointer       user_data)
{
  g_test_message ("subscription failed: %s", text);
  ((Probe *) user_data)->failed = TRUE;
}

static void
probe_bound (const char *refusal,
             const char *broker_reply,
             gpointer    user_data)
{
  Probe *probe = user_data;

  probe->n_answers++;
  g_free (probe->refusal);
  g_free (probe->broker_reply);
  probe->refusal = g_strdup (refusal);
  probe->broker_reply = g_strdup (broker_reply);
}

static const PiAmqpSubscriptionCallbacks probe_callbacks = {
  .ready = probe_ready,
  .deliveries = probe_deliveries,
  .failed = probe_failed,
};

static void
iterate_until (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + READ_TIMEOUT_S * G_USEC_PER_SEC;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (*flag);
}

static void
wait_answers (Probe *probe,
              guint  n)
{
  gint64 deadline = g_get_monotonic_time () + READ_TIMEOUT_S * G_USEC_PER_SEC;

  while (probe->n_answers < n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (probe->n_answers, ==, n);
}

/* Waits for a delivery with routing key @key; returns the keys before it. */
static char *
wait_key (Probe      *probe,
          const char *key)
{
  gint64 deadline = g_get_monotonic_time () + READ_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      for (guint i = 0; i < probe->keys->len; i++)
        if (g_str_equal (g_ptr_array_index (probe->keys, i), key))
          {
            g_autoptr(GString) before = g_string_new (NULL);

            for (guint j = 0; j < i; j++)
              g_string_append_printf (before, "%s%s", j > 0 ? " " : "", (char *) g_ptr_array_index (probe->keys, j));
            g_ptr_array_remove_range (probe->keys, 0, i + 1);
            return g_string_free (g_steal_pointer (&before), FALSE);
          }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_library_rebind (void)
{
  g_autoptr(PiAmqpAddress) address = pi_amqp_address_parse (rabbit.amqp_url, NULL);
  g_autoptr(PiAmqpClient) client = NULL;
  g_autoptr(GError) error = NULL;
  Probe probe = { 0 };
  PiAmqpSubscription *sub;
  char *before;

  probe.keys = g_ptr_array_new_with_free_func (g_free);
  client = pi_amqp_client_new (address, NULL, &error);
  g_assert_no_error (error);

  /* No binding at first; one right after subscribing is made once the
   * queue exists. */
  sub = pi_amqp_client_subscribe (client, NULL, 0, NULL, &probe_callbacks, &probe);
  pi_amqp_client_bind (client, sub, EXCHANGE, "lib.a.#", probe_bound, &probe);
  g_assert_cmpuint (probe.n_answers, ==, 0);   /* never from inside the call */
  iterate_until (&probe.ready);
  wait_answers (&probe, 1);
  g_assert_null (probe.refusal);

  pi_test_rabbit_publish (&rabbit, "lib.a.1", NULL, "{}");
  before = wait_key (&probe, "lib.a.1");
  g_assert_cmpstr (before, ==, "");
  g_free (before);

  /* A missing exchange: refused in words, with the broker's reply, and the
   * subscription goes on consuming. */
  pi_amqp_client_bind (client, sub, MISSING, "#", probe_bound, &probe);
  wait_answers (&probe, 2);
  g_test_message ("refusal: %s / %s", probe.refusal, probe.broker_reply);
  g_assert_nonnull (probe.refusal);
  g_assert_nonnull (strstr (probe.refusal, "“" MISSING "” does not exist"));
  g_assert_nonnull (strstr (probe.broker_reply, "404 (NOT-FOUND)"));
  g_assert_false (probe.failed);

  pi_amqp_client_bind (client, sub, EXCHANGE, "lib.b.#", probe_bound, &probe);
  wait_answers (&probe, 3);
  g_assert_null (probe.refusal);
  pi_test_rabbit_publish (&rabbit, "lib.a.2", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "lib.b.1", NULL, "{}");
  before = wait_key (&probe, "lib.b.1");
  g_assert_cmpstr (before, ==, "lib.a.2");
  g_free (before);

  /* Unbound: lib.a.* no longer arrives; the other binding stays. */
  pi_amqp_client_unbind (client, sub, EXCHANGE, "lib.a.#");
  pi_amqp_client_bind (client, sub, EXCHANGE, "lib.c.#", probe_bound, &probe);
  wait_answers (&probe, 4);
  pi_test_rabbit_publish (&rabbit, "lib.a.3", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "lib.b.2", NULL, "{}");
  before = wait_key (&probe, "lib.b.2");
  g_assert_cmpstr (before, ==, "");
  g_free (before);
  g_assert_false (probe.failed);

  pi_amqp_client_unsubscribe (client, sub);
  assert_queue_count (0);

  g_ptr_array_unref (probe.keys);
  g_free (probe.refusal);
  g_free (probe.broker_reply);
}

/* --- event streams over raw HTTP ------------------------------------------------ */

typedef struct
{
  GSocketConnection *connection;
  GSocket           *socket;
  char              *headers;
  gboolean           chunked;
  gboolean           eof;
  GString           *raw;
  GString           *body;
} Client;

static gboolean
client_receive (Client *client)
{
  g_autoptr(GError) error = NULL;
  char buf[16384];
  gssize n;

  if (client->eof)
    return FALSE;

  n = g_socket_receive (client->socket, buf, sizeof buf, NULL, &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    n = 0;
  g_assert_no_error (error);
  if (n == 0)
    {
      client->eof = TRUE;
      return FALSE;
    }
  g_string_append_len (client->raw, buf, n);
  return TRUE;
}

static void
client_decode (Client *client)
{
  if (!client->chunked)
    {
      g_string_append_len (client->body, client->raw->str, client->raw->len);
      g_string_truncate (client->raw, 0);
      return;
    }

  for (;;)
    {
      char *line_end = strstr (client->raw->str, "\r\n");
      guint64 size;
      gsize header_len;

      if (line_end == NULL)
        return;
      size = g_ascii_strtoull (client->raw->str, NULL, 16);
      header_len = line_end + 2 - client->raw->str;
      if (size == 0)
        {
          client->eof = TRUE;
          g_string_truncate (client->raw, 0);
          return;
        }
      if (client->raw->len < header_len + size + 2)
        return;
      g_string_append_len (client->body, client->raw->str + header_len, size);
      g_string_erase (client->raw, 0, header_len + size + 2);
    }
}

static void
client_free (Client *client)
{
  g_object_unref (client->connection);
  g_free (client->headers);
  g_string_free (client->raw, TRUE);
  g_string_free (client->body, TRUE);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

static Client *
client_request (const char *path,
                const char *extra_headers,
                int        *status)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  Client *client = g_new0 (Client, 1);
  char *end;

  client->raw = g_string_new (NULL);
  client->body = g_string_new (NULL);
  client->connection = g_socket_client_connect_to_host (socket_client, "127.0.0.1", env.port, NULL, &error);
  g_assert_no_error (error);
  client->socket = g_socket_connection_get_socket (client->connection);
  g_socket_set_timeout (client->socket, READ_TIMEOUT_S);

  request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAccept: text/event-stream\r\n%s\r\n",
                             path, env.port, extra_headers ? extra_headers : "");
  g_socket_send (client->socket, request, strlen (request), NULL, &error);
  g_assert_no_error (error);

  while ((end = strstr (client->raw->str, "\r\n\r\n")) == NULL)
    g_assert_true (client_receive (client));

  client->headers = g_strndup (client->raw->str, end + 4 - client->raw->str);
  g_string_erase (client->raw, 0, end + 4 - client->raw->str);
  *status = atoi (client->headers + 9);
  client->chunked = strstr (client->headers, "chunked") != NULL;
  client_decode (client);

  return client;
}

static Client *
client_connect (const char *bindings_json)
{
  g_autofree char *escaped = g_uri_escape_string (bindings_json, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);
  int status;
  Client *client = client_request (path, NULL, &status);

  g_assert_cmpint (status, ==, 200);
  return client;
}

/* The next event but pings, whole; NULL once the stream has ended. */
static char *
client_next_event (Client *client)
{
  gint64 deadline = g_get_monotonic_time () + READ_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      char *end = strstr (client->body->str, "\n\n");

      if (end != NULL)
        {
          gsize len = end + 2 - client->body->str;
          char *event = g_strndup (client->body->str, len);

          g_string_erase (client->body, 0, len);
          if (g_str_has_prefix (event, "event: ping\n"))
            {
              g_free (event);
              if (g_get_monotonic_time () > deadline)
                g_error ("No event but pings for %d s", READ_TIMEOUT_S);
              continue;
            }
          return event;
        }

      if (client->eof || !client_receive (client))
        return NULL;
      client_decode (client);
    }
}

static void
client_expect (Client     *client,
               const char *expected)
{
  g_autofree char *event = client_next_event (client);

  g_assert_cmpstr (event, ==, expected);
}

static void
client_expect_end (Client *client)
{
  g_autofree char *event = client_next_event (client);

  g_assert_null (event);
}

/* The next message's routing key. */
static char *
client_next_key (Client *client)
{
  g_autofree char *event = client_next_event (client);
  const char *start;

  g_assert_nonnull (event);
  g_assert_true (g_str_has_prefix (event, "event: message\n"));
  start = strstr (event, "\"routingKey\":\"");
  g_assert_nonnull (start);
  start += strlen ("\"routingKey\":\"");
  return g_strndup (start, strcspn (start, "\""));
}

static void
client_expect_key (Client     *client,
                   const char *key)
{
  g_autofree char *got = client_next_key (client);

  g_assert_cmpstr (got, ==, key);
}

/* Reads messages up to one with routing key @key; every one before it must
 * start with @skipped_prefix. */
static void
client_skip_to_key (Client     *client,
                    const char *skipped_prefix,
                    const char *key)
{
  for (;;)
    {
      g_autofree char *got = client_next_key (client);

      if (g_str_equal (got, key))
        return;
      g_assert_true (g_str_has_prefix (got, skipped_prefix));
    }
}

/* Messages published from a thread at a steady rate while the main thread
 * changes bindings: routing keys PREFIX.0, PREFIX.1, ... (the main thread
 * must not publish meanwhile: one publisher connection). */
typedef struct
{
  char    *prefix;
  gint     stop;
  guint    n;
  GThread *thread;
} Feed;

static gpointer
feed_thread (gpointer data)
{
  Feed *feed = data;

  while (!g_atomic_int_get (&feed->stop))
    {
      g_autofree char *key = g_strdup_printf ("%s.%u", feed->prefix, feed->n);

      pi_test_rabbit_publish (&rabbit, key, NULL, "{}");
      feed->n++;
      g_usleep (5 * 1000);
    }
  return NULL;
}

static Feed *
feed_start (const char *prefix)
{
  Feed *feed = g_new0 (Feed, 1);

  feed->prefix = g_strdup (prefix);
  feed->thread = g_thread_new ("feed", feed_thread, feed);
  return feed;
}

/* Stops @feed, and checks that @client got every one of its messages, in
 * order, and nothing else meanwhile. */
static void
feed_stop_expect_all (Feed   *feed,
                      Client *client)
{
  g_atomic_int_set (&feed->stop, 1);
  g_thread_join (feed->thread);
  g_test_message ("%u messages published during the change", feed->n);
  g_assert_cmpuint (feed->n, >, 10);
  for (guint i = 0; i < feed->n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s.%u", feed->prefix, i);

      client_expect_key (client, key);
    }
  g_free (feed->prefix);
  g_free (feed);
}

static char *
broker_state (void)
{
  int status;
  g_autoptr(Client) client = client_request ("/api/events/v1/ping", "Connection: close\r\n", &status);
  const char *start;

  g_assert_cmpint (status, ==, 200);
  while (client_receive (client))
    ;
  client_decode (client);
  start = strstr (client->body->str, "\"broker\":\"");
  g_assert_nonnull (start);
  start += strlen ("\"broker\":\"");
  return g_strndup (start, strcspn (start, "\""));
}

static void
wait_connected (void)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autofree char *state = NULL;

  while ((state = broker_state ()) && !g_str_equal (state, "connected") && g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&state, g_free);
      g_usleep (100 * 1000);
    }
  g_assert_cmpstr (state, ==, "connected");
}

/* --- the server's one queue ---------------------------------------------------------- */

/* Two streams with different patterns share the server's one queue, and
 * each gets only its own. */
static void
test_two_clients (void)
{
  g_autoptr(Client) a = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "alpha.#") "]}");
  g_autoptr(Client) b = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "beta.*") ","
                                        BINDING (EXCHANGE, "beta.#") "," BINDING (EXCHANGE, "route.beta.*") "]}");

  client_expect (a, READY);
  client_expect (b, READY);
  assert_queue_count (1);
  assert_bindings ("alpha.# beta.# beta.* route.beta.*");
  /* Sized for every stream, not as one (--queue-length 1000 by default). */
  g_assert_cmpuint (queue_max_length (), ==, 10000);

  pi_test_rabbit_publish (&rabbit, "alpha.1", NULL, "{\"n\":1}");
  pi_test_rabbit_publish (&rabbit, "beta.1", NULL, "{\"n\":2}");
  pi_test_rabbit_publish (&rabbit, "gamma.1", "route.beta.cc", "{\"n\":3}");
  pi_test_rabbit_publish (&rabbit, "alpha.2", NULL, "{\"n\":4}");

  client_expect_key (a, "alpha.1");
  client_expect_key (a, "alpha.2");
  /* Once, though two of its bindings match; a CC route counts. */
  client_expect_key (b, "beta.1");
  client_expect_key (b, "gamma.1");
  pi_test_rabbit_publish (&rabbit, "beta.2", NULL, "{\"n\":5}");
  client_expect_key (b, "beta.2");
}

/* Bindings are reference-counted: a pair stays bound while any stream
 * needs it, and goes with the last. */
static void
test_leave (void)
{
  Client *a1 = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "delta.#") "]}");
  Client *a2 = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "delta.#") "]}");
  g_autoptr(Client) b = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "epsilon.#") "]}");

  client_expect (a1, READY);
  client_expect (a2, READY);
  client_expect (b, READY);
  assert_bindings ("delta.# epsilon.#");

  client_free (a1);
  pi_test_rabbit_publish (&rabbit, "delta.1", NULL, "{}");
  client_expect_key (a2, "delta.1");
  /* Still bound for a2 well after a1's departure was noticed. */
  g_usleep (2500 * 1000);
  assert_bindings ("delta.# epsilon.#");

  client_free (a2);
  assert_bindings ("epsilon.#");
  assert_queue_count (1);
  pi_test_rabbit_publish (&rabbit, "epsilon.1", NULL, "{}");
  client_expect_key (b, "epsilon.1");
}

/* A stream bound to `#` collapses the exchange to one `#` binding; the
 * others still get only their own. */
static void
test_collapse (void)
{
  g_autoptr(Client) a = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "zeta.#") "]}");
  Client *all = NULL;
  Feed *feed;

  client_expect (a, READY);
  assert_bindings ("zeta.#");

  /* a misses nothing while its binding gives way to `#`. */
  feed = feed_start ("zeta.feed");
  all = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "#") "]}");
  client_expect (all, READY);
  assert_bindings ("#");
  feed_stop_expect_all (feed, a);

  pi_test_rabbit_publish (&rabbit, "eta.1", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "zeta.1", NULL, "{}");
  client_skip_to_key (all, "zeta.feed.", "eta.1");
  client_expect_key (all, "zeta.1");
  client_expect_key (a, "zeta.1");

  /* Back to the specific binding when the `#` stream goes: bound before
   * `#` is unbound, so a stays served throughout. */
  feed = feed_start ("zeta.feed2");
  client_free (all);
  assert_bindings ("zeta.#");
  feed_stop_expect_all (feed, a);
  pi_test_rabbit_publish (&rabbit, "eta.2", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "zeta.2", NULL, "{}");
  client_expect_key (a, "zeta.2");
}

/* A missing exchange reaches exactly the stream that asked, with the
 * broker's words (events v1); its other bindings are released, and the
 * other streams go on. */
static void
test_missing_exchange (void)
{
  g_autoptr(Client) good = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "theta.#") "]}");
  g_autoptr(Client) bad = NULL;
  g_autofree char *again = NULL;

  client_expect (good, READY);

  bad = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "iota.#") "," BINDING (MISSING, "#") "]}");
  client_expect (bad, "event: error\ndata: \"Channel closed by server: 404 (NOT-FOUND) with message "
                      "\\\"NOT_FOUND - no exchange '" MISSING "' in vhost '/'\\\"\"\nid: -\n\n");
  client_expect_end (bad);
  assert_bindings ("theta.#");
  assert_queue_count (1);

  pi_test_rabbit_publish (&rabbit, "iota.1", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "theta.1", NULL, "{}");
  client_expect_key (good, "theta.1");

  /* Asked again by a later stream: refused again, not remembered as bound. */
  g_clear_pointer (&bad, client_free);
  bad = client_connect ("{\"bindings\":[" BINDING (MISSING, "#") "]}");
  again = client_next_event (bad);
  g_assert_nonnull (again);
  g_assert_true (g_str_has_prefix (again, "event: error\n"));
}

/* 500 streams come and go beside one that stays: no binding or queue is
 * left over. */
static void
test_cycles (void)
{
  g_autoptr(Client) stay = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "kappa.#") "]}");
  gint64 start = g_get_monotonic_time ();

  client_expect (stay, READY);

  for (guint i = 0; i < 500; i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"bindings\":[" BINDING (EXCHANGE, "cycle.%u.#") ","
                                               BINDING (EXCHANGE, "kappa.#") "]}", i % 7);
      g_autoptr(Client) client = client_connect (json);

      /* Half wait for `ready`, half leave during the set-up. */
      if (i % 2 == 0)
        client_expect (client, READY);
    }
  g_test_message ("500 connect/disconnect cycles took %.2f s",
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  assert_bindings ("kappa.#");
  assert_queue_count (1);
  pi_test_rabbit_publish (&rabbit, "cycle.1.x", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "kappa.1", NULL, "{}");
  client_expect_key (stay, "kappa.1");

  g_clear_pointer (&stay, client_free);
  /* The queue lingers a moment for a stream coming back, then goes. */
  assert_queue_count (0);
}

/* Past the threshold of distinct patterns on an exchange (2 here), the
 * exchange is bound with `#` alone, and back below it with the patterns
 * again; the streams see only their own throughout. Its own server. */
static void
test_threshold (void)
{
  guint16 main_port = env.port;
  GSubprocess *server = spawn_server ("2", &env.port);
  g_autoptr(Client) a = NULL;
  g_autoptr(Client) b = NULL;
  Client *c = NULL;
  Feed *feed;

  wait_connected ();
  a = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "nu.#") "]}");
  b = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "xi.#") "]}");
  client_expect (a, READY);
  client_expect (b, READY);
  assert_bindings ("nu.# xi.#");

  feed = feed_start ("nu.feed");
  c = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "omicron.#") "]}");
  client_expect (c, READY);
  assert_bindings ("#");
  feed_stop_expect_all (feed, a);
  pi_test_rabbit_publish (&rabbit, "xi.1", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "nu.1", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "omicron.1", NULL, "{}");
  client_expect_key (a, "nu.1");
  client_expect_key (b, "xi.1");
  client_expect_key (c, "omicron.1");

  feed = feed_start ("xi.feed");
  client_free (c);
  assert_bindings ("nu.# xi.#");
  feed_stop_expect_all (feed, b);
  pi_test_rabbit_publish (&rabbit, "xi.2", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "nu.2", NULL, "{}");
  client_expect_key (a, "nu.2");
  client_expect_key (b, "xi.2");

  g_clear_pointer (&a, client_free);
  g_clear_pointer (&b, client_free);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  g_object_unref (server);
  env.port = main_port;
  assert_queue_count (0);
}

/* A user whose topic permissions refuse `#` on the exchange: a stream
 * asking for `#` is refused, alone; the streams with allowed patterns keep
 * their bindings and miss nothing, and the exchange stays with specific
 * patterns past the threshold (2 here). Its own server. */
static void
test_collapse_refused (void)
{
  guint16 main_port = env.port;
  const char *port = strrchr (rabbit.amqp_url, ':') + 1;
  g_autofree char *url = g_strdup_printf ("amqp://" TOPIC_USER ":" TOPIC_USER "@127.0.0.1:%s", port);
  GSubprocess *server;
  g_autoptr(Client) a = NULL;
  g_autoptr(Client) b = NULL;
  g_autoptr(Client) all = NULL;
  g_autoptr(Client) c = NULL;
  g_autofree char *refused = NULL;
  Feed *feed;

  /* PulseGuardian's patterns, and a topic read pattern `#` fails. */
  pi_test_rabbit_add_user (&rabbit, TOPIC_USER, TOPIC_USER,
                           "^(queue/" TOPIC_USER "/.*|exchange/" TOPIC_USER "/.*)",
                           "^(queue/" TOPIC_USER "/.*|exchange/" TOPIC_USER "/.*)",
                           "^(queue/" TOPIC_USER "/.*|exchange/.*)");
  g_free (pi_test_rabbit_ctl (&rabbit, "set_topic_permissions", "-p", "/", TOPIC_USER, EXCHANGE,
                              ".*", "^primary\\..*", NULL));
  server = spawn_server_at (url, "2", &env.port);
  env.queue_user = TOPIC_USER;

  wait_connected ();
  a = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.a.#") "]}");
  b = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.b.#") "]}");
  client_expect (a, READY);
  client_expect (b, READY);
  assert_bindings ("primary.a.# primary.b.#");

  feed = feed_start ("primary.a.feed");
  all = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "#") "]}");
  /* Arrives while `#` is asked for: served by its own binding. */
  c = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.c.#") "]}");
  refused = client_next_event (all);
  g_assert_nonnull (refused);
  g_test_message ("%s", refused);
  g_assert_true (g_str_has_prefix (refused, "event: error\ndata: \"Channel closed by server: 403 (ACCESS-REFUSED)"));
  client_expect_end (all);
  client_expect (c, READY);
  /* Past the threshold, but `#` is refused here: specific patterns. */
  assert_bindings ("primary.a.# primary.b.# primary.c.#");
  feed_stop_expect_all (feed, a);

  pi_test_rabbit_publish (&rabbit, "primary.b.1", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "primary.c.1", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "primary.a.1", NULL, "{}");
  client_expect_key (a, "primary.a.1");
  client_expect_key (b, "primary.b.1");
  client_expect_key (c, "primary.c.1");

  g_clear_pointer (&a, client_free);
  g_clear_pointer (&b, client_free);
  g_clear_pointer (&c, client_free);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  g_object_unref (server);
  env.port = main_port;
  env.queue_user = "guest";
  assert_queue_count (0);
}

/* The broker restarts while streams flow: each is told (a gap on its side),
 * the server reconnects, and a new stream gets a new queue and bindings. */
static void
test_broker_restart (void)
{
  Client *clients[2];
  g_autoptr(Client) after = NULL;

  clients[0] = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "lambda.#") "]}");
  clients[1] = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "mu.#") "]}");
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    client_expect (clients[i], READY);
  pi_test_rabbit_publish (&rabbit, "mu.1", NULL, "{}");
  client_expect_key (clients[1], "mu.1");

  pi_test_rabbit_kill (&rabbit);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *event = client_next_event (clients[i]);

      g_assert_nonnull (event);
      g_assert_true (g_str_has_prefix (event, "event: error\ndata: \"Lost the connection to the broker: "));
      client_expect_end (clients[i]);
      client_free (clients[i]);
    }

  pi_test_rabbit_restart (&rabbit);
  wait_connected ();

  after = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "lambda.#") "]}");
  client_expect (after, READY);
  assert_queue_count (1);
  assert_bindings ("lambda.#");
  pi_test_rabbit_publish (&rabbit, "mu.2", NULL, "{}");
  pi_test_rabbit_publish (&rabbit, "lambda.2", NULL, "{}");
  client_expect_key (after, "lambda.2");
}

/* --- what the broker drops ------------------------------------------------------ */

/* Reads @client's events until the messages it printed and the `dropped`
 * counts it was sent add up to @expected (or the stream goes quiet): the
 * messages must be PREFIX.N in increasing N, none twice. */
static void
client_count_until (Client     *client,
                    const char *prefix,
                    guint       expected,
                    guint      *printed,
                    guint64    *dropped)
{
  gint64 last = -1;

  *printed = 0;
  *dropped = 0;
  while (*printed + *dropped < expected)
    {
      g_autofree char *event = client_next_event (client);
      const char *found;

      g_assert_nonnull (event);
      if (g_str_has_prefix (event, "event: dropped\n"))
        {
          g_assert_nonnull (strstr (event, "\"reason\":\"too-slow\""));
          found = strstr (event, "\"count\":");
          g_assert_nonnull (found);
          *dropped += g_ascii_strtoull (found + strlen ("\"count\":"), NULL, 10);
          continue;
        }
      g_assert_true (g_str_has_prefix (event, "event: message\n"));
      found = strstr (event, "\"routingKey\":\"");
      g_assert_nonnull (found);
      found += strlen ("\"routingKey\":\"");
      g_assert_true (g_str_has_prefix (found, prefix));
      found += strlen (prefix);
      g_assert_cmpint ((gint64) g_ascii_strtoull (found, NULL, 10), >, last);
      last = (gint64) g_ascii_strtoull (found, NULL, 10);
      (*printed)++;
    }
  g_assert_cmpuint (*printed + *dropped, ==, expected);
}

/* --- a resumable WebSocket subscription (/subscription/raw) ---------------------- */

typedef struct
{
  SoupSession             *session;
  SoupWebsocketConnection *conn;
  GError                  *error;
  GQueue                   frames;   /* of char *, as sent */
  gboolean                 done;
  gboolean                 closed;
} Ws;

static void
ws_message_cb (SoupWebsocketConnection *conn,
               gint                     type,
               GBytes                  *message,
               Ws                      *ws)
{
  g_queue_push_tail (&ws->frames, g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message)));
}

static void
ws_closed_cb (SoupWebsocketConnection *conn,
              Ws                      *ws)
{
  ws->closed = TRUE;
}

static void
ws_connected_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Ws *ws = user_data;

  ws->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &ws->error);
  ws->done = TRUE;
  if (ws->conn == NULL)
    return;
  g_signal_connect (ws->conn, "message", G_CALLBACK (ws_message_cb), ws);
  g_signal_connect (ws->conn, "closed", G_CALLBACK (ws_closed_cb), ws);
}

static gboolean
ws_timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
ws_free (Ws *ws)
{
  if (ws->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (ws->conn, ws);
      if (soup_websocket_connection_get_state (ws->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (ws->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (ws->conn);
    }
  g_queue_clear_full (&ws->frames, g_free);
  g_clear_error (&ws->error);
  g_object_unref (ws->session);
  g_free (ws);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ws, ws_free)

/* The next frame's text, NULL if the socket closed or went quiet. */
static char *
ws_next (Ws *ws)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add_seconds (READ_TIMEOUT_S, ws_timeout_cb, &timed_out);

  while (g_queue_is_empty (&ws->frames) && !ws->closed && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (source);
  return g_queue_pop_head (&ws->frames);
}

/* Connects to /subscription/raw, resumable, and subscribes to @bindings
 * (a JSON array) with "resume":@resume (JSON): returns after its
 * subscribe_ack, whose text goes to @ack_out if not NULL. */
static Ws *
ws_subscribe_with (const char  *bindings,
                   const char  *resume,
                   char       **ack_out)
{
  g_autofree char *url = g_strdup_printf ("ws://127.0.0.1:%u/subscription/raw", env.port);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *subscribe = g_strdup_printf ("{\"type\":\"subscribe\",\"bindings\":%s,\"resume\":%s}", bindings, resume);
  g_autofree char *ack = NULL;
  g_autofree char *sub_ack = NULL;
  Ws *ws = g_new0 (Ws, 1);
  gboolean timed_out = FALSE;
  guint source = g_timeout_add_seconds (READ_TIMEOUT_S, ws_timeout_cb, &timed_out);

  ws->session = soup_session_new ();
  soup_session_websocket_connect_async (ws->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        ws_connected_cb, ws);
  while (!ws->done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (source);
  g_assert_true (ws->done);
  g_assert_no_error (ws->error);

  soup_websocket_connection_send_text (ws->conn, "{\"type\":\"connection_init\",\"resume\":true}");
  ack = ws_next (ws);
  g_assert_cmpstr (ack, ==, "{\"type\":\"connection_ack\",\"resume\":true}");
  soup_websocket_connection_send_text (ws->conn, subscribe);
  sub_ack = ws_next (ws);
  g_assert_nonnull (sub_ack);
  g_assert_true (g_str_has_prefix (sub_ack, "{\"type\":\"subscribe_ack\","));
  g_assert_nonnull (strstr (sub_ack, "\"session\":"));
  if (ack_out != NULL)
    *ack_out = g_steal_pointer (&sub_ack);
  return ws;
}

static Ws *
ws_subscribe_resumable (const char *bindings)
{
  return ws_subscribe_with (bindings, "true", NULL);
}

/* As client_count_until (), for the data and dropped frames of @ws. */
static void
ws_count_until (Ws         *ws,
                const char *prefix,
                guint       expected,
                guint      *printed,
                guint64    *dropped)
{
  gint64 last = -1;

  *printed = 0;
  *dropped = 0;
  while (*printed + *dropped < expected)
    {
      g_autofree char *frame = ws_next (ws);
      const char *found;

      g_assert_nonnull (frame);
      if (g_str_has_prefix (frame, "{\"type\":\"dropped\","))
        {
          g_assert_nonnull (strstr (frame, "\"reason\":\"too-slow\""));
          found = strstr (frame, "\"count\":");
          g_assert_nonnull (found);
          *dropped += g_ascii_strtoull (found + strlen ("\"count\":"), NULL, 10);
          continue;
        }
      g_assert_true (g_str_has_prefix (frame, "{\"type\":\"data\","));
      found = strstr (frame, "\"routingKey\":\"");
      g_assert_nonnull (found);
      found += strlen ("\"routingKey\":\"");
      g_assert_true (g_str_has_prefix (found, prefix));
      found += strlen (prefix);
      g_assert_cmpint ((gint64) g_ascii_strtoull (found, NULL, 10), >, last);
      last = (gint64) g_ascii_strtoull (found, NULL, 10);
      (*printed)++;
    }
  g_assert_cmpuint (*printed + *dropped, ==, expected);
}

/* A server whose one queue holds 20 messages falls behind (stopped, while
 * large messages pile up past what TCP holds): the broker drops the oldest
 * past 20, and the stream they were meant for is told how many, so that
 * what it printed and what it was told add up to what was published. The
 * server's own buffers are large here, so every drop is the broker's. A
 * stream whose patterns matched none of them is told nothing. */
static void
test_broker_drops (void)
{
  static const char * const args[] = { "--queue-length", "1000000", "--client-buffer", "1073741824",
                                       "--resume-buffer", "1073741824", NULL };
  static const char * const envs[] = { "PULSE_EVENTS_AMQP_SHARED_QUEUE_LENGTH", "20", NULL };
  const guint n_published = 3000;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(Client) slow = NULL;
  g_autoptr(Client) other = NULL;
  g_autoptr(Client) resumable = NULL;
  g_autoptr(Ws) ws = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *resumable_path = NULL;
  g_autofree char *escaped = g_uri_escape_string ("{\"bindings\":[" BINDING (EXCHANGE, "omega.#") "]}", NULL, FALSE);
  int status;
  g_autoptr(GString) payload = g_string_new ("{\"padding\":\"");
  guint16 saved_port = env.port;
  guint printed;
  guint64 dropped;

  server = spawn_server_full (rabbit.amqp_url, NULL, envs, args, &env.port);
  wait_connected ();

  slow = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "omega.#") "]}");
  other = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "psi.#") "]}");
  /* And one that can resume (pulse-listen's and the app's kind): its
   * messages go through a session. */
  resumable_path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=1", escaped);
  resumable = client_request (resumable_path, NULL, &status);
  g_assert_cmpint (status, ==, 200);
  client_expect (slow, READY);
  client_expect (other, READY);
  ready = client_next_event (resumable);
  g_assert_true (g_str_has_prefix (ready, "event: ready\ndata: {\"session\":"));
  /* And a resumable WebSocket subscription: its session's owner is no
   * event stream. */
  ws = ws_subscribe_resumable ("[{\"exchange\":\"" EXCHANGE "\",\"pattern\":\"omega.#\"}]");

  /* The queue that counts the drops is bounded as the one it counts for:
   * dead letters cannot grow it without end on the broker. */
  {
    g_autofree char *out = pi_test_rabbit_ctl (&rabbit, "list_queues", "--quiet", "--no-table-headers",
                                               "name", "arguments", NULL);
    g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
    guint n_bounded = 0;
    guint n_counting = 0;
    const char *found;

    for (guint i = 0; lines[i] != NULL; i++)
      {
        const char *tab = strchr (lines[i], '\t');

        /* The queue's name, not its dead-letter exchange's. */
        if (tab == NULL || tab - lines[i] < 8 || strncmp (tab - 8, "-dropped", 8) != 0)
          continue;
        n_counting++;
        g_test_message ("%s", lines[i]);
        if ((found = strstr (lines[i], "x-max-length")) != NULL)
          {
            found += strlen ("x-max-length");
            while (*found != '\0' && !g_ascii_isdigit (*found))
              found++;
            /* Not as short as the queue's 20 here: a burst of drops
             * is counted whole. */
            if (g_ascii_strtoull (found, NULL, 10) == 10000)
              n_bounded++;
          }
      }
    /* This server's, and the main one's if it has streams just now. */
    g_assert_cmpuint (n_counting, >=, 1);
    g_assert_cmpuint (n_bounded, ==, n_counting);
  }

  /* 16 KiB each: 48 MiB in all, far more than the sockets between the
   * broker and the stopped server hold. */
  for (guint i = 0; i < 16 * 1024; i++)
    g_string_append_c (payload, 'x');
  g_string_append (payload, "\"}");

  g_subprocess_send_signal (server, SIGSTOP);
  for (guint i = 0; i < n_published; i++)
    {
      g_autofree char *key = g_strdup_printf ("omega.%u", i);

      pi_test_rabbit_publish (&rabbit, key, NULL, payload->str);
    }
  g_subprocess_send_signal (server, SIGCONT);

  client_count_until (slow, "omega.", n_published, &printed, &dropped);
  g_test_message ("%u published: %u printed, %" G_GUINT64_FORMAT " dropped", n_published, printed, dropped);
  g_assert_cmpuint (dropped, >, 0);
  g_assert_cmpuint (printed, >, 0);
  client_count_until (resumable, "omega.", n_published, &printed, &dropped);
  g_test_message ("resumable: %u printed, %" G_GUINT64_FORMAT " dropped", printed, dropped);
  g_assert_cmpuint (dropped, >, 0);
  ws_count_until (ws, "omega.", n_published, &printed, &dropped);
  g_test_message ("WebSocket: %u printed, %" G_GUINT64_FORMAT " dropped", printed, dropped);
  g_assert_cmpuint (dropped, >, 0);

  /* Nothing of its own was dropped: its next event is its message. */
  pi_test_rabbit_publish (&rabbit, "psi.1", NULL, "{}");
  client_expect_key (other, "psi.1");

  g_clear_pointer (&slow, client_free);
  g_clear_pointer (&other, client_free);
  g_clear_pointer (&resumable, client_free);
  g_clear_pointer (&ws, ws_free);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  env.port = saved_port;
}

/* --- drops while a resumable stream closes ----------------------------------- */

/* A pulse-events on the node whose log, debug lines of its streams and
 * its broker included, goes to @log_path (both streams merged, so in
 * order): what the test waits for, instead of sleeping. */
static GSubprocess *
spawn_server_logged (const char         *log_path,
                     const char * const *envs,
                     const char * const *extra_args,
                     guint16            *port)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + READ_TIMEOUT_S * G_USEC_PER_SEC;
  const char *prefix = "Listening on http://127.0.0.1:";
  GSubprocess *server;

  /* Not a log of an earlier server, whose port is gone. */
  g_unlink (log_path);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "pi-server pi-amqp", TRUE);
  for (guint i = 0; envs != NULL && envs[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, envs[i], envs[i + 1], TRUE);
  g_ptr_array_add (argv, (gpointer) g_getenv ("PULSE_EVENTS"));
  g_ptr_array_add (argv, (gpointer) "--amqp");
  g_ptr_array_add (argv, (gpointer) rabbit.amqp_url);
  g_ptr_array_add (argv, (gpointer) "--listen");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1:0");
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  server = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  for (;;)
    {
      g_autofree char *text = NULL;
      const char *found;

      if (g_file_get_contents (log_path, &text, NULL, NULL) &&
          (found = strstr (text, prefix)) != NULL && strchr (found, '\n') != NULL)
        {
          *port = (guint16) atoi (found + strlen (prefix));
          break;
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
  g_assert_cmpuint (*port, >, 0);

  return server;
}

/* The server's log so far, once it has a line with @needle. */
static char *
wait_log (const char *log_path,
          const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *text = NULL;

      if (g_file_get_contents (log_path, &text, NULL, NULL) && strstr (text, needle) != NULL)
        return g_steal_pointer (&text);
      if (g_get_monotonic_time () > deadline)
        g_error ("No \"%s\" in the server's log for 60 s:\n%s", needle, text);
      g_usleep (50 * 1000);
    }
}

/* Messages waiting in the broker's queues but those counting drops. */
static guint64
broker_messages_waiting (void)
{
  g_autofree char *out = pi_test_rabbit_ctl (&rabbit, "list_queues", "--quiet", "--no-table-headers",
                                             "name", "messages", NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint64 n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", 2);

      if (g_strv_length (fields) == 2 && !g_str_has_suffix (fields[0], "-dropped"))
        n += g_ascii_strtoull (fields[1], NULL, 10);
    }
  return n;
}

/* Messages waiting in the queues that count drops: dead letters the
 * stopped server has not taken. */
static guint64
broker_drops_waiting (void)
{
  g_autofree char *out = pi_test_rabbit_ctl (&rabbit, "list_queues", "--quiet", "--no-table-headers",
                                             "name", "messages", NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint64 n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", 2);

      if (g_strv_length (fields) == 2 && g_str_has_suffix (fields[0], "-dropped"))
        n += g_ascii_strtoull (fields[1], NULL, 10);
    }
  return n;
}

/* After publishing to a stopped server: until the broker has dropped some
 * (a busy broker takes the publisher's messages late; resumed too early,
 * the server would keep up with them). */
static void
wait_broker_drops (void)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (broker_drops_waiting () == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
}

/* A resumable event stream half-closes while the server still has much to
 * write to it (the client stopped reading): the server ends it, but cannot
 * finish before the client reads. Meanwhile the server falls behind and
 * the broker drops messages from its one queue. The stream cannot tell
 * the client any more: the stream that resumes its session must, so that
 * what it prints and what it is told add up to all that was published. */
static void
drops_then_resume (gboolean half_close)
{
  static const char * const args[] = { "--queue-length", "1000000", "--client-buffer", "1073741824",
                                       "--resume-buffer", "1073741824", "--ping-interval", "3600", NULL };
  static const char * const envs[] = { "PULSE_EVENTS_AMQP_SHARED_QUEUE_LENGTH", "1000", NULL };
  const guint n_before = 1000;  /* 16 MiB: more than the sockets between server and client hold */
  const guint n_stopped = 3000; /* 48 MiB: far more than the queue and the sockets to the server */
  g_autofree char *log_path = g_build_filename (rabbit.dir, half_close ? "pulse-events-closing.log"
                                                                      : "pulse-events-reset.log", NULL);
  g_autofree char *escaped = g_uri_escape_string ("{\"bindings\":[" BINDING (EXCHANGE, "closing.#") "]}", NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=1", escaped);
  g_autofree char *ready = NULL;
  g_autofree char *session = NULL;
  g_autofree char *resume_path = NULL;
  g_autofree char *log = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(Client) closing = NULL;
  g_autoptr(Client) resumed = NULL;
  g_autoptr(GString) payload = g_string_new ("{\"padding\":\"");
  g_autoptr(GError) error = NULL;
  struct linger reset = { 1, 0 };
  guint16 saved_port = env.port;
  const char *found;
  int status;
  guint printed;
  guint64 dropped;

  for (guint i = 0; i < 16 * 1024; i++)
    g_string_append_c (payload, 'x');
  g_string_append (payload, "\"}");

  server = spawn_server_logged (log_path, envs, args, &env.port);
  wait_connected ();

  closing = client_request (path, NULL, &status);
  g_assert_cmpint (status, ==, 200);
  ready = client_next_event (closing);
  g_assert_nonnull (ready);
  found = strstr (ready, "{\"session\":\"");
  g_assert_nonnull (found);
  session = g_strndup (found + strlen ("{\"session\":\""), 32);
  /* A small window: the server's socket fills sooner. */
  g_assert_true (g_socket_set_option (closing->socket, SOL_SOCKET, SO_RCVBUF, 16 * 1024, &error));
  g_assert_no_error (error);

  /* The client reads nothing more: the server has more for it than its
   * socket takes, and waits. */
  for (guint i = 0; i < n_before; i++)
    {
      g_autofree char *key = g_strdup_printf ("closing.%u", i);

      pi_test_rabbit_publish (&rabbit, key, NULL, payload->str);
    }
  {
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

    while (broker_messages_waiting () > 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_usleep (100 * 1000);
      }
  }

  /* The client says it is done (a half-close): the server ends the stream,
   * an `error` event after what it still has to write. */
  if (half_close)
    {
      g_assert_true (g_socket_shutdown (closing->socket, FALSE, TRUE, &error));
      g_assert_no_error (error);
      g_free (wait_log (log_path, " hung up"));
    }

  /* Now the broker drops messages meant for the closing stream. */
  g_subprocess_send_signal (server, SIGSTOP);
  for (guint i = n_before; i < n_before + n_stopped; i++)
    {
      g_autofree char *key = g_strdup_printf ("closing.%u", i);

      pi_test_rabbit_publish (&rabbit, key, NULL, payload->str);
    }
  wait_broker_drops ();
  g_subprocess_send_signal (server, SIGCONT);
  log = wait_log (log_path, "The broker dropped ");
  /* They came while the stream was closing or still open: it has not
   * closed yet. */
  g_assert_null (strstr (log, "Stream closed: "));

  /* The client gives up on that connection (a reset), and resumes from
   * where it stopped reading: after none. */
  g_assert_cmpint (setsockopt (g_socket_get_fd (closing->socket), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), ==, 0);
  g_clear_pointer (&closing, client_free);
  g_free (wait_log (log_path, "Stream closed: "));

  resume_path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s&resume=%s:0", escaped, session);
  resumed = client_request (resume_path, NULL, &status);
  g_assert_cmpint (status, ==, 200);
  g_clear_pointer (&ready, g_free);
  ready = client_next_event (resumed);
  g_test_message ("%s", ready);
  g_assert_nonnull (ready);
  g_assert_true (g_str_has_prefix (ready, "event: ready\n"));
  g_assert_nonnull (strstr (ready, "\"resumed\":true"));

  client_count_until (resumed, "closing.", n_before + n_stopped, &printed, &dropped);
  g_test_message ("%u published: %u printed after the resume, %" G_GUINT64_FORMAT " dropped",
                  n_before + n_stopped, printed, dropped);
  g_assert_cmpuint (dropped, >, 0);
  g_assert_cmpuint (printed, >=, n_before);

  g_clear_pointer (&resumed, client_free);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  env.port = saved_port;
}

static void
test_drops_while_closing (void)
{
  drops_then_resume (TRUE);
}

/* The same, but the stream is open when the broker drops them, and the
 * client then gives up on it without reading (a reset): the `dropped`
 * event queued behind what it did not read must not be lost with it. */
static void
test_drops_before_reset (void)
{
  drops_then_resume (FALSE);
}

/* The same for a resumable WebSocket subscription: the server closes its
 * socket (--socket-lifetime, 4408), and the client has not taken the close
 * yet when the broker drops messages meant for it. The subscription that
 * resumes its session is told. */
static void
test_ws_drops_while_closing (void)
{
  static const char * const args[] = { "--queue-length", "1000000", "--client-buffer", "1073741824",
                                       "--resume-buffer", "1073741824", "--socket-lifetime", "5", NULL };
  static const char * const envs[] = { "PULSE_EVENTS_AMQP_SHARED_QUEUE_LENGTH", "20",
                                       "PULSE_EVENTS_WS_CLOSE_GRACE_MS", "300000", NULL };
  const char *bindings = "[{\"exchange\":\"" EXCHANGE "\",\"pattern\":\"wsclosing.#\"}]";
  const guint n_published = 3000;
  g_autofree char *log_path = g_build_filename (rabbit.dir, "pulse-events-ws-closing.log", NULL);
  g_autofree char *ack = NULL;
  g_autofree char *session = NULL;
  g_autofree char *resume = NULL;
  g_autofree char *log = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(Ws) closing = NULL;
  g_autoptr(Ws) resumed = NULL;
  g_autoptr(GString) payload = g_string_new ("{\"padding\":\"");
  guint16 saved_port = env.port;
  const char *found;
  guint printed;
  guint64 dropped;

  for (guint i = 0; i < 16 * 1024; i++)
    g_string_append_c (payload, 'x');
  g_string_append (payload, "\"}");

  server = spawn_server_logged (log_path, envs, args, &env.port);
  wait_connected ();

  closing = ws_subscribe_with (bindings, "true", &ack);
  found = strstr (ack, "\"session\":\"");
  g_assert_nonnull (found);
  session = g_strndup (found + strlen ("\"session\":\""), 32);

  /* The server closes the socket; the client, not iterating its main
   * loop, does not answer. */
  g_free (wait_log (log_path, " with 4408: "));

  g_subprocess_send_signal (server, SIGSTOP);
  for (guint i = 0; i < n_published; i++)
    {
      g_autofree char *key = g_strdup_printf ("wsclosing.%u", i);

      pi_test_rabbit_publish (&rabbit, key, NULL, payload->str);
    }
  wait_broker_drops ();
  g_subprocess_send_signal (server, SIGCONT);
  log = wait_log (log_path, "The broker dropped ");
  g_assert_null (strstr (log, "WebSocket closed: "));

  /* Now the client takes the close, and resumes on another socket. */
  while (!closing->closed)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (closing->conn), ==, 4408);
  g_clear_pointer (&closing, ws_free);

  g_clear_pointer (&ack, g_free);
  resume = g_strdup_printf ("\"%s:0\"", session);
  resumed = ws_subscribe_with (bindings, resume, &ack);
  g_test_message ("%s", ack);
  g_assert_nonnull (strstr (ack, "\"resumed\":true"));
  ws_count_until (resumed, "wsclosing.", n_published, &printed, &dropped);
  g_test_message ("%u published: %u received after the resume, %" G_GUINT64_FORMAT " dropped",
                  n_published, printed, dropped);
  g_assert_cmpuint (dropped, >, 0);
  g_assert_cmpuint (printed, >, 0);

  g_clear_pointer (&resumed, ws_free);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  env.port = saved_port;
}

/* As drops-before-reset, for a resumable WebSocket subscription: the
 * client reads nothing while the server has 16 MiB for it, the broker
 * drops more, and the client's connection ends without a close frame.
 * With @server_closes, the server closes the socket first (its lifetime,
 * 4408) with the `dropped` frame still unread: the session is let go
 * then, and the count is known to be untold only once the socket is gone. */
static void
ws_drops_then_reset (gboolean server_closes)
{
  static const char * const args[] = { "--queue-length", "1000000", "--client-buffer", "1073741824",
                                       "--resume-buffer", "1073741824", NULL };
  /* Long enough for the drops to come first on a busy machine. */
  static const char * const closing_args[] = { "--queue-length", "1000000", "--client-buffer", "1073741824",
                                               "--resume-buffer", "1073741824", "--socket-lifetime", "30",
                                               NULL };
  static const char * const envs[] = { "PULSE_EVENTS_AMQP_SHARED_QUEUE_LENGTH", "1000",
                                       "PULSE_EVENTS_WS_CLOSE_GRACE_MS", "300000", NULL };
  const char *bindings = "[{\"exchange\":\"" EXCHANGE "\",\"pattern\":\"wsreset.#\"}]";
  const guint n_before = 1000;
  const guint n_stopped = 3000;
  g_autofree char *log_path = g_build_filename (rabbit.dir, server_closes ? "pulse-events-ws-close-reset.log"
                                                                        : "pulse-events-ws-reset.log", NULL);
  g_autofree char *ack = NULL;
  g_autofree char *session = NULL;
  g_autofree char *resume = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(Ws) first = NULL;
  g_autoptr(Ws) resumed = NULL;
  g_autoptr(GString) payload = g_string_new ("{\"padding\":\"");
  guint16 saved_port = env.port;
  const char *found;
  guint printed;
  guint64 dropped;

  for (guint i = 0; i < 16 * 1024; i++)
    g_string_append_c (payload, 'x');
  g_string_append (payload, "\"}");

  server = spawn_server_logged (log_path, envs, server_closes ? closing_args : args, &env.port);
  wait_connected ();

  first = ws_subscribe_with (bindings, "true", &ack);
  found = strstr (ack, "\"session\":\"");
  g_assert_nonnull (found);
  session = g_strndup (found + strlen ("\"session\":\""), 32);

  /* Not iterating the main loop, the client reads nothing. */
  for (guint i = 0; i < n_before; i++)
    {
      g_autofree char *key = g_strdup_printf ("wsreset.%u", i);

      pi_test_rabbit_publish (&rabbit, key, NULL, payload->str);
    }
  {
    gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

    while (broker_messages_waiting () > 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_usleep (100 * 1000);
      }
  }

  g_subprocess_send_signal (server, SIGSTOP);
  for (guint i = n_before; i < n_before + n_stopped; i++)
    {
      g_autofree char *key = g_strdup_printf ("wsreset.%u", i);

      pi_test_rabbit_publish (&rabbit, key, NULL, payload->str);
    }
  wait_broker_drops ();
  g_subprocess_send_signal (server, SIGCONT);
  if (server_closes)
    {
      g_autofree char *log = wait_log (log_path, "The broker dropped ");

      g_assert_null (strstr (log, " with 4408: "));
      g_clear_pointer (&log, g_free);
      log = wait_log (log_path, " with 4408: ");
      g_assert_null (strstr (log, "WebSocket closed: "));
    }
  else
    g_free (wait_log (log_path, "The broker dropped "));

  /* The connection ends under the client, no close frame. */
  g_signal_handlers_disconnect_by_data (first->conn, first);
  g_io_stream_close (soup_websocket_connection_get_io_stream (first->conn), NULL, NULL);
  g_clear_object (&first->conn);
  g_clear_pointer (&first, ws_free);
  g_free (wait_log (log_path, "WebSocket closed: "));

  g_clear_pointer (&ack, g_free);
  resume = g_strdup_printf ("\"%s:0\"", session);
  resumed = ws_subscribe_with (bindings, resume, &ack);
  g_test_message ("%s", ack);
  g_assert_nonnull (strstr (ack, "\"resumed\":true"));
  ws_count_until (resumed, "wsreset.", n_before + n_stopped, &printed, &dropped);
  g_test_message ("%u published: %u received after the resume, %" G_GUINT64_FORMAT " dropped",
                  n_before + n_stopped, printed, dropped);
  g_assert_cmpuint (dropped, >, 0);

  g_clear_pointer (&resumed, ws_free);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  env.port = saved_port;
}

static void
test_ws_drops_before_reset (void)
{
  ws_drops_then_reset (FALSE);
}

static void
test_ws_drops_before_close_reset (void)
{
  ws_drops_then_reset (TRUE);
}

#define NODLX_USER "pi-nodlx"

/* A user who may declare queues but no exchange: the server's queue cannot
 * dead-letter its drops, and serves its streams all the same. */
static void
test_drops_uncounted (void)
{
  guint16 main_port = env.port;
  const char *port = strrchr (rabbit.amqp_url, ':') + 1;
  g_autofree char *url = g_strdup_printf ("amqp://" NODLX_USER ":" NODLX_USER "@127.0.0.1:%s", port);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(Client) client = NULL;

  pi_test_rabbit_add_user (&rabbit, NODLX_USER, NODLX_USER,
                           "^queue/" NODLX_USER "/.*", "^queue/" NODLX_USER "/.*", ".*");
  server = spawn_server_at (url, NULL, &env.port);
  wait_connected ();

  client = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "kappa.#") "]}");
  client_expect (client, READY);
  pi_test_rabbit_publish (&rabbit, "kappa.1", NULL, "{}");
  client_expect_key (client, "kappa.1");

  g_clear_pointer (&client, client_free);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  env.port = main_port;
  assert_queue_count (0);
}

/* --- past a connection's channels (per-stream mode) ------------------------------ */

static guint
count_connections (void)
{
  g_autofree char *out = pi_test_rabbit_ctl (&rabbit, "list_connections", "--quiet", "--no-table-headers", "name", NULL);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (out), "\n", -1);

  return out[0] == '\0' ? 0 : g_strv_length (lines);
}

static void
assert_connections (guint expected)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  guint n;

  while ((n = count_connections ()) != expected && g_get_monotonic_time () < deadline)
    g_usleep (200 * 1000);
  g_assert_cmpuint (n, ==, expected);
}

/* With --amqp-queue-per-client each stream takes a channel: a server whose
 * connection may have 4 (one its own) opens a second and a third for 7
 * streams, every stream is served, and the extra connections go with
 * their last streams. */
static void
test_channel_limit (void)
{
  static const char * const args[] = { "--amqp-queue-per-client", NULL };
  static const char * const envs[] = { "PULSE_EVENTS_AMQP_CHANNEL_MAX", "4", NULL };
  g_autoptr(GSubprocess) server = NULL;
  Client *clients[7];
  guint16 saved_port = env.port;
  guint before = count_connections ();

  server = spawn_server_full (rabbit.amqp_url, NULL, envs, args, &env.port);
  wait_connected ();
  assert_connections (before + 1);

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *bindings = g_strdup_printf ("{\"bindings\":[{\"exchange\":\"%s\",\"routingKeyPattern\":\"chi.%u.#\"}]}",
                                                   EXCHANGE, i);

      clients[i] = client_connect (bindings);
      client_expect (clients[i], READY);
    }
  assert_connections (before + 3);

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *key = g_strdup_printf ("chi.%u.x", i);

      pi_test_rabbit_publish (&rabbit, key, NULL, "{}");
    }
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *key = g_strdup_printf ("chi.%u.x", i);

      client_expect_key (clients[i], key);
    }

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    client_free (clients[i]);
  /* The first stays, for the next stream. */
  assert_connections (before + 1);

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  env.port = saved_port;
  assert_connections (before);
}

/* Past the most connections the server opens (16): with one stream a
 * connection (channel_max 2, one the connection's own), 16 streams take 16
 * connections, the 17th is refused with an `error` event in words, and the
 * 16 go on streaming; once one leaves, a new stream is served again. */
static void
test_connection_cap (void)
{
  static const char * const args[] = { "--amqp-queue-per-client", NULL };
  static const char * const envs[] = { "PULSE_EVENTS_AMQP_CHANNEL_MAX", "2", NULL };
  g_autoptr(GSubprocess) server = NULL;
  Client *clients[16];
  g_autoptr(Client) refused = NULL;
  g_autoptr(Client) again = NULL;
  g_autofree char *event = NULL;
  guint16 saved_port = env.port;
  guint before = count_connections ();

  server = spawn_server_full (rabbit.amqp_url, NULL, envs, args, &env.port);
  wait_connected ();
  assert_connections (before + 1);

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *bindings = g_strdup_printf ("{\"bindings\":[{\"exchange\":\"%s\",\"routingKeyPattern\":\"cap.%u.#\"}]}",
                                                   EXCHANGE, i);

      clients[i] = client_connect (bindings);
      client_expect (clients[i], READY);
    }
  assert_connections (before + 16);

  /* The 17th: no connection to spare, no 17th connection either. */
  refused = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "cap.refused.#") "]}");
  event = client_next_event (refused);
  g_test_message ("%s", event);
  g_assert_nonnull (event);
  g_assert_true (g_str_has_prefix (event, "event: error\n"));
  g_assert_nonnull (strstr (event, "Too many subscriptions on one broker connection"));
  client_expect_end (refused);
  assert_connections (before + 16);

  /* The others did not notice. */
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *key = g_strdup_printf ("cap.%u.x", i);

      pi_test_rabbit_publish (&rabbit, key, NULL, "{}");
    }
  pi_test_rabbit_publish (&rabbit, "cap.refused.x", NULL, "{}");
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *key = g_strdup_printf ("cap.%u.x", i);

      client_expect_key (clients[i], key);
    }

  /* A stream that leaves frees its connection's channel for the next. */
  g_clear_pointer (&clients[5], client_free);
  assert_connections (before + 15);
  again = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "cap.again.#") "]}");
  client_expect (again, READY);
  pi_test_rabbit_publish (&rabbit, "cap.again.x", NULL, "{}");
  client_expect_key (again, "cap.again.x");

  g_clear_pointer (&again, client_free);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    g_clear_pointer (&clients[i], client_free);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  env.port = saved_port;
  assert_connections (before);
}

/* --- leaving while a binding is slow ------------------------------------------------- */

static void
noop_ready (gpointer user_data)
{
  g_assert_not_reached ();
}

static void
noop_message (GBytes   *event,
              gpointer  user_data)
{
  g_assert_not_reached ();
}

static void
noop_failed (const char *text,
             gpointer    user_data)
{
}

/* Thousands of streams waiting on one slow binding (the broker never
 * answers: nothing listens on its port) all leave, in the order they
 * came, each the first of those still waiting, and none is told anything
 * afterwards. What it costs is
 * tests/bench-unsubscribe's (it was quadratic). */
static void
test_unsubscribe_many (void)
{
  static const PiSubscriptionCallbacks callbacks = { noop_ready, noop_message, noop_failed, NULL };
  static const PiAmqpBinding binding = { EXCHANGE, "slow.#" };
  g_autoptr(PiAmqpAddress) address = pi_amqp_address_parse ("amqp://guest:guest@127.0.0.1:1/", NULL);
  g_autoptr(PiAmqpClient) client = pi_amqp_client_new (address, NULL, NULL);
  PiAmqpFanout *fanout = pi_amqp_fanout_new (client, 0, 0);
  const guint n = 20000;
  g_autofree PiAmqpFanoutStream **streams = g_new (PiAmqpFanoutStream *, n);

  for (guint i = 0; i < n; i++)
    streams[i] = pi_amqp_fanout_subscribe (fanout, &binding, 1, &callbacks, NULL);
  g_assert_cmpuint (pi_amqp_fanout_get_n_upstream (fanout), ==, 1);

  /* None of them hears of the binding afterwards (noop_ready aborts). */
  for (guint i = 0; i < n; i++)
    pi_amqp_fanout_unsubscribe (fanout, streams[i]);

  pi_amqp_fanout_free (fanout);
}

/* --- set-up -------------------------------------------------------------------- */

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A pulse-events on the node; @collapse (nullable) its
 * PULSE_EVENTS_AMQP_COLLAPSE. */
static GSubprocess *
spawn_server (const char *collapse,
              guint16    *port)
{
  return spawn_server_at (rabbit.amqp_url, collapse, port);
}

/* The same, connecting to the broker with @url. */
static GSubprocess *
spawn_server_at (const char *url,
                 const char *collapse,
                 guint16    *port)
{
  return spawn_server_full (url, collapse, NULL, NULL, port);
}

/* The same, with @envs (nullable) NAME, VALUE, ... set in its environment
 * and @extra_args (nullable) more options. */
static GSubprocess *
spawn_server_full (const char         *url,
                   const char         *collapse,
                   const char * const *envs,
                   const char * const *extra_args,
                   guint16            *port)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  /* PI_TEST_SERVER_LOG keeps the server's log (and sanitizer reports) past
   * the node's directory, which goes when the test ends. */
  const char *kept_log = g_getenv ("PI_TEST_SERVER_LOG");
  g_autofree char *log = kept_log != NULL ? g_strdup (kept_log)
                                          : g_build_filename (rabbit.dir, "pulse-events-shared.log", NULL);
  GSubprocess *server;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  if (collapse != NULL)
    g_subprocess_launcher_setenv (launcher, "PULSE_EVENTS_AMQP_COLLAPSE", collapse, TRUE);
  for (guint i = 0; envs != NULL && envs[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, envs[i], envs[i + 1], TRUE);
  g_ptr_array_add (argv, (gpointer) g_getenv ("PULSE_EVENTS"));
  g_ptr_array_add (argv, (gpointer) "--amqp");
  g_ptr_array_add (argv, (gpointer) url);
  g_ptr_array_add (argv, (gpointer) "--listen");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1:0");
  g_ptr_array_add (argv, (gpointer) "--ping-interval");
  g_ptr_array_add (argv, (gpointer) "1");
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  server = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Listening on http://127.0.0.1:"));
  *port = (guint16) atoi (strrchr (line, ':') + 1);
  g_assert_cmpuint (*port, >, 0);

  return server;
}

static void
test_skipped (gconstpointer reason)
{
  g_test_skip (reason);
}

int
main (int   argc,
      char *argv[])
{
  const char *source_root = g_getenv ("PI_SOURCE_ROOT");
  int ret;

  g_test_init (&argc, &argv, NULL);

  /* No broker needed. */
  g_test_add_func ("/pi/amqp-shared/unsubscribe-many", test_unsubscribe_many);

  if (g_getenv ("PULSE_EVENTS") == NULL || source_root == NULL)
    {
      g_test_add_data_func ("/pi/amqp-shared/skipped",
                            "PULSE_EVENTS and PI_SOURCE_ROOT are not set: run through meson test", test_skipped);
      return g_test_run ();
    }
  if (!g_file_test ("/usr/lib/rabbitmq/bin/rabbitmq-server", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_add_data_func ("/pi/amqp-shared/skipped", "rabbitmq-server is not installed", test_skipped);
      return g_test_run ();
    }

  g_test_add_func ("/pi/amqp-shared/library-rebind", test_library_rebind);
  g_test_add_func ("/pi/amqp-shared/two-clients", test_two_clients);
  g_test_add_func ("/pi/amqp-shared/leave", test_leave);
  g_test_add_func ("/pi/amqp-shared/collapse", test_collapse);
  g_test_add_func ("/pi/amqp-shared/missing-exchange", test_missing_exchange);
  g_test_add_func ("/pi/amqp-shared/cycles", test_cycles);
  g_test_add_func ("/pi/amqp-shared/threshold", test_threshold);
  g_test_add_func ("/pi/amqp-shared/collapse-refused", test_collapse_refused);
  g_test_add_func ("/pi/amqp-shared/broker-restart", test_broker_restart);
  g_test_add_func ("/pi/amqp-shared/broker-drops", test_broker_drops);
  g_test_add_func ("/pi/amqp-shared/channel-limit", test_channel_limit);
  g_test_add_func ("/pi/amqp-shared/drops-uncounted", test_drops_uncounted);
  g_test_add_func ("/pi/amqp-shared/connection-cap", test_connection_cap);
  g_test_add_func ("/pi/amqp-shared/drops-while-closing", test_drops_while_closing);
  g_test_add_func ("/pi/amqp-shared/ws-drops-while-closing", test_ws_drops_while_closing);
  g_test_add_func ("/pi/amqp-shared/drops-before-reset", test_drops_before_reset);
  g_test_add_func ("/pi/amqp-shared/ws-drops-before-reset", test_ws_drops_before_reset);
  g_test_add_func ("/pi/amqp-shared/ws-drops-before-close-reset", test_ws_drops_before_close_reset);

  pi_test_rabbit_start (&rabbit, source_root, EXCHANGE);
  env.server = spawn_server (NULL, &env.port);
  wait_connected ();

  ret = g_test_run ();

  g_subprocess_send_signal (env.server, SIGTERM);
  g_subprocess_wait (env.server, NULL, NULL);
  g_clear_object (&env.server);
  pi_test_rabbit_stop (&rabbit);

  return ret;
}
