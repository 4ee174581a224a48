/* test-amqp.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* pulse-events bridging a real RabbitMQ node: the node (tests/rabbitmq-node)
 * and the server are started once for the whole binary; the test publishes
 * with librabbitmq and reads the event streams over raw HTTP sockets, so
 * what is checked is exactly the bytes a client receives. */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/tcp_socket.h>

#include "pi-amqp-broker.h"
#include "pi-binding.h"

#define EXCHANGE       "exchange/pi-test/v1/task-completed"
#define MISSING        "exchange/pi-test/v1/no-such-exchange"
#define QUEUE_LENGTH   7
#define READ_TIMEOUT_S 20
#define READY          "event: ready\ndata: {}\nid: -\n\n"

static struct
{
  char                    *node_script;
  char                    *dir;
  char                    *amqp_url;
  int                      amqp_port;
  GSubprocess             *guardian;
  GSubprocess             *server;
  guint16                  port;
  amqp_connection_state_t  publisher;
} env;

/* --- processes -------------------------------------------------------------- */

static void
die_with_parent (gpointer data)
{
  /* A test that aborts must not leave a server behind. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
new_session (gpointer data)
{
  /* Out of the test's process group, so that whatever kills the test
   * (an abort, meson's timeout) does not kill the clean-up with it. */
  setsid ();
}

static char *
node (const char *action,
      ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list args;
  int status;

  g_ptr_array_add (argv, env.node_script);
  g_ptr_array_add (argv, (char *) action);
  g_ptr_array_add (argv, env.dir);
  va_start (args, action);
  while ((arg = va_arg (args, const char *)))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("rabbitmq-node %s failed: %s%s", action, out, err);

  return g_steal_pointer (&out);
}

/* Not counted: QUEUE-dropped, the shared queue's companion that takes what
 * the broker drops from it (test-amqp-shared checks it). */
static guint
count_queues (void)
{
  g_autofree char *out = node ("ctl", "list_queues", "--quiet", "--no-table-headers", "name", NULL);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (out), "\n", -1);
  guint n = 0;

  for (guint i = 0; out[0] != '\0' && lines[i] != NULL; i++)
    if (!g_str_has_suffix (g_strstrip (lines[i]), "-dropped"))
      n++;
  return n;
}

/* The list_queues line (name, arguments, exclusive, auto_delete) of the
 * one queue that is not a QUEUE-dropped. */
static char *
main_queue_line (void)
{
  g_autofree char *out = node ("ctl", "list_queues", "--quiet", "--no-table-headers",
                               "name", "arguments", "exclusive", "auto_delete", NULL);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (out), "\n", -1);
  char *found = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *name = g_strndup (lines[i], strcspn (lines[i], "\t"));

      if (g_str_has_suffix (name, "-dropped"))
        continue;
      g_assert_null (found);
      found = g_strdup (lines[i]);
    }
  g_assert_nonnull (found);
  return found;
}

/* Waits a little for the broker to hold @expected queues: the server notices
 * a client that went away on its next write (a ping, every second here). */
static void
assert_queue_count (guint expected)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  guint n;

  while ((n = count_queues ()) != expected && g_get_monotonic_time () < deadline)
    g_usleep (300 * 1000);
  g_assert_cmpuint (n, ==, expected);
}

static void
assert_no_queue_left (void)
{
  assert_queue_count (0);
}

/* --- publishing ---------------------------------------------------------------- */

static void
publisher_connect (void)
{
  amqp_socket_t *socket;
  amqp_rpc_reply_t reply;

  if (env.publisher != NULL)
    amqp_destroy_connection (env.publisher);

  env.publisher = amqp_new_connection ();
  socket = amqp_tcp_socket_new (env.publisher);
  g_assert_cmpint (amqp_socket_open (socket, "127.0.0.1", env.amqp_port), ==, AMQP_STATUS_OK);
  reply = amqp_login (env.publisher, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
  g_assert_cmpint (reply.reply_type, ==, AMQP_RESPONSE_NORMAL);
  amqp_channel_open (env.publisher, 1);
  g_assert_cmpint (amqp_get_rpc_reply (env.publisher).reply_type, ==, AMQP_RESPONSE_NORMAL);
  amqp_exchange_declare (env.publisher, 1, amqp_cstring_bytes (EXCHANGE), amqp_cstring_bytes ("topic"),
                         FALSE, FALSE, FALSE, FALSE, amqp_empty_table);
  g_assert_cmpint (amqp_get_rpc_reply (env.publisher).reply_type, ==, AMQP_RESPONSE_NORMAL);
}

/* Publishes as Taskcluster does: each route is CC'd as `route.<route>`. */
static void
publish (const char         *routing_key,
         const char * const *cc,
         const char         *payload)
{
  amqp_basic_properties_t properties = { 0 };
  amqp_field_value_t values[8];
  amqp_table_entry_t header;
  int n = 0;

  properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG;
  properties.content_type = amqp_cstring_bytes ("application/json");
  for (; cc != NULL && cc[n] != NULL; n++)
    {
      g_assert_cmpint (n, <, (int) G_N_ELEMENTS (values));
      values[n].kind = AMQP_FIELD_KIND_UTF8;
      values[n].value.bytes = amqp_cstring_bytes (cc[n]);
    }
  if (n > 0)
    {
      header.key = amqp_cstring_bytes ("CC");
      header.value.kind = AMQP_FIELD_KIND_ARRAY;
      header.value.value.array.num_entries = n;
      header.value.value.array.entries = values;
      properties._flags |= AMQP_BASIC_HEADERS_FLAG;
      properties.headers.num_entries = 1;
      properties.headers.entries = &header;
    }

  g_assert_cmpint (amqp_basic_publish (env.publisher, 1, amqp_cstring_bytes (EXCHANGE),
                                       amqp_cstring_bytes (routing_key), FALSE, FALSE,
                                       &properties, amqp_cstring_bytes (payload)),
                   ==, AMQP_STATUS_OK);
}

/* --- raw HTTP ---------------------------------------------------------------- */

typedef struct
{
  GSocketConnection *connection;
  GSocket           *socket;
  int                status;
  char              *headers;
  gboolean           chunked;
  gboolean           eof;
  GString           *raw;    /* received, not yet de-chunked */
  GString           *body;   /* the response body */
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

/* Moves complete chunks (or everything, unchunked) from raw to body. */
static void
client_decode (Client *client)
{
  if (client->headers == NULL)
    return;

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

static Client *
client_request (guint16     port,
                const char *path,
                const char *extra_headers)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  Client *client = g_new0 (Client, 1);
  char *end;

  client->raw = g_string_new (NULL);
  client->body = g_string_new (NULL);
  client->connection = g_socket_client_connect_to_host (socket_client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  client->socket = g_socket_connection_get_socket (client->connection);
  g_socket_set_timeout (client->socket, READ_TIMEOUT_S);

  request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAccept: text/event-stream\r\n%s\r\n",
                             path, port, extra_headers ? extra_headers : "");
  g_socket_send (client->socket, request, strlen (request), NULL, &error);
  g_assert_no_error (error);

  while ((end = strstr (client->raw->str, "\r\n\r\n")) == NULL)
    g_assert_true (client_receive (client));

  client->headers = g_strndup (client->raw->str, end + 4 - client->raw->str);
  g_string_erase (client->raw, 0, end + 4 - client->raw->str);
  g_assert_true (g_str_has_prefix (client->headers, "HTTP/1.1 "));
  client->status = atoi (client->headers + 9);
  client->chunked = strstr (client->headers, "chunked") != NULL;
  client_decode (client);

  return client;
}

static Client *
client_connect_to (guint16     port,
                   const char *bindings_json)
{
  g_autofree char *escaped = g_uri_escape_string (bindings_json, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);
  Client *client = client_request (port, path, NULL);

  g_assert_cmpint (client->status, ==, 200);
  g_assert_nonnull (strstr (client->headers, "text/event-stream"));

  return client;
}

static Client *
client_connect (const char *bindings_json)
{
  return client_connect_to (env.port, bindings_json);
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

/* The next event, whole and as sent, skipping pings (their data is the time);
 * NULL once the stream has ended. */
static char *
client_next_event (Client *client)
{
  /* Pings keep the socket busy: bound the wait for a real event too. */
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
        {
          g_assert_cmpstr (client->body->str, ==, "");
          return NULL;
        }
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

static char *
http_get_body (guint16     port,
               const char *path)
{
  g_autoptr(Client) client = client_request (port, path, "Connection: close\r\n");

  g_assert_cmpint (client->status, ==, 200);
  while (client_receive (client))
    client_decode (client);
  client_decode (client);

  return g_strdup (client->body->str);
}

static char *
broker_state_of (guint16 port)
{
  g_autofree char *body = http_get_body (port, "/api/events/v1/ping");
  const char *start = strstr (body, "\"broker\":\"");

  g_assert_nonnull (start);
  start += strlen ("\"broker\":\"");
  return g_strndup (start, strcspn (start, "\""));
}

static char *
broker_state (void)
{
  return broker_state_of (env.port);
}

static char *
message_event (const char *routing_key,
               const char *routes_json,
               const char *payload)
{
  return g_strdup_printf ("event: message\ndata: {\"payload\":%s,\"exchange\":\"" EXCHANGE "\","
                          "\"routingKey\":\"%s\",\"redelivered\":false,\"routes\":%s}\nid: -\n\n",
                          payload, routing_key, routes_json);
}

#define BINDING(exchange, pattern) "{\"exchange\":\"" exchange "\",\"routingKeyPattern\":\"" pattern "\"}"

/* The value of a response header, or NULL. */
static char *
client_header (Client     *client,
               const char *name)
{
  g_auto(GStrv) lines = g_strsplit (client->headers, "\r\n", -1);
  gsize name_len = strlen (name);

  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, name_len) == 0 && lines[i][name_len] == ':')
      return g_strstrip (g_strdup (lines[i] + name_len + 1));
  return NULL;
}

/* A new stream while the broker is away: 503, Retry-After in seconds (at
 * least 1) and the reason in words, which starts with @reason if given.
 * /ping says the same. */
static void
assert_unavailable (guint16     port,
                    const char *reason)
{
  g_autofree char *escaped = g_uri_escape_string ("{\"bindings\":[" BINDING (EXCHANGE, "primary.#") "]}",
                                                  NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/events/v1/connect/?bindings=%s", escaped);
  g_autoptr(Client) client = client_request (port, path, "Connection: close\r\n");
  g_autofree char *retry_after = client_header (client, "Retry-After");
  g_autofree char *expected = NULL;
  g_autofree char *ping = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *message;
  JsonObject *object;

  g_assert_cmpint (client->status, ==, 503);
  g_assert_nonnull (retry_after);
  g_assert_cmpint (strspn (retry_after, "0123456789"), ==, strlen (retry_after));
  g_assert_cmpint (atoi (retry_after), >=, 1);
  g_assert_cmpint (atoi (retry_after), <=, 30);
  g_assert_nonnull (strstr (client->headers, "application/json"));

  while (client_receive (client))
    ;
  client_decode (client);
  json_parser_load_from_data (parser, client->body->str, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  message = json_object_get_string_member (object, "message");
  g_test_message ("503, Retry-After: %s, %s", retry_after, message);
  expected = g_strconcat ("The server cannot reach its broker: ", reason, NULL);
  g_assert_true (g_str_has_prefix (message, expected));

  ping = http_get_body (port, "/api/events/v1/ping");
  g_assert_nonnull (strstr (ping, "\"broker\":\"reconnecting\""));
  g_assert_nonnull (strstr (ping, "\"brokerError\":\""));
}

/* --- tests ------------------------------------------------------------------- */

static void
test_transcript (void)
{
  g_autoptr(Client) client = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.#") "]}");
  const char *cc[] = { "route.index.project.foo.latest", "tc-treeherder.v2.try", "route.tc-treeherder.v2.try", NULL };
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  client_expect (client, READY);

  publish ("primary.fQ2xjTwoR1aDQzT9ikVOOQ.0.wg.wid._", cc,
           "{\"status\":{\"taskId\":\"fQ2xjTwoR1aDQzT9ikVOOQ\",\"state\":\"completed\"},\"runId\":0}");
  publish ("secondary.not.bound", NULL, "{\"never\":true}");
  publish ("primary.second", NULL, "[1,2,3]");

  first = message_event ("primary.fQ2xjTwoR1aDQzT9ikVOOQ.0.wg.wid._",
                         "[\"index.project.foo.latest\",\"tc-treeherder.v2.try\"]",
                         "{\"status\":{\"taskId\":\"fQ2xjTwoR1aDQzT9ikVOOQ\",\"state\":\"completed\"},\"runId\":0}");
  second = message_event ("primary.second", "[]", "[1,2,3]");
  client_expect (client, first);
  client_expect (client, second);
}

/* A binding on `route.#` matches through the CC header alone. */
static void
test_cc_only (void)
{
  g_autoptr(Client) client = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "route.index.#") "]}");
  const char *matching[] = { "route.index.project.bar", NULL };
  const char *other[] = { "route.notify.email", NULL };
  g_autofree char *expected = NULL;
  g_autofree char *sentinel = NULL;

  client_expect (client, READY);

  publish ("primary.task.1", other, "{\"n\":1}");
  publish ("primary.task.2", matching, "{\"n\":2}");
  publish ("route.index.direct", NULL, "{\"n\":3}");

  expected = message_event ("primary.task.2", "[\"index.project.bar\"]", "{\"n\":2}");
  sentinel = message_event ("route.index.direct", "[]", "{\"n\":3}");
  client_expect (client, expected);
  client_expect (client, sentinel);
}

static void
test_missing_exchange (void)
{
  g_autoptr(Client) good = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.#") "]}");
  g_autoptr(Client) bad = NULL;
  g_autofree char *expected = NULL;

  client_expect (good, READY);

  /* One good binding first: the stream fails as a whole, without `ready`. */
  bad = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "#") "," BINDING (MISSING, "#") "]}");
  client_expect (bad, "event: error\ndata: \"Channel closed by server: 404 (NOT-FOUND) with message "
                      "\\\"NOT_FOUND - no exchange '" MISSING "' in vhost '/'\\\"\"\nid: -\n\n");
  client_expect_end (bad);
  /* Its queue (declared before the failing binding) was deleted too. */
  assert_queue_count (1);

  /* The failure stayed on its own channel: the other stream still flows. */
  publish ("primary.after", NULL, "{\"still\":\"here\"}");
  expected = message_event ("primary.after", "[]", "{\"still\":\"here\"}");
  client_expect (good, expected);
}

/* --queue-length reaches the broker as each queue's x-max-length, on the
 * exclusive, auto-delete queue of each stream, named as Mozilla Pulse requires;
 * the server's one queue (shared mode) carries every stream: ten times that,
 * at least 10,000. */
static void
test_queue_length (void)
{
  g_autoptr(Client) client = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.#") "]}");
  g_autofree char *out = NULL;
  g_auto(GStrv) fields = NULL;
  gboolean per_client = g_getenv ("PI_TEST_AMQP_PER_CLIENT") != NULL;
  guint expected_length = per_client ? QUEUE_LENGTH : 10000;
  g_autofree char *expected = NULL;
  g_autofree char *expected4 = NULL;

  client_expect (client, READY);

  out = main_queue_line ();
  fields = g_strsplit (out, "\t", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 4);
  g_assert_true (g_str_has_prefix (fields[0], "queue/guest/pulse-events-"));
  /* The server's one queue dead-letters what it drops to QUEUE-dropped's
   * exchange, which tells the streams. */
  if (per_client)
    expected = g_strdup_printf ("[{\"x-max-length\",%u}]", expected_length);
  else
    expected = g_strdup_printf ("[{\"x-dead-letter-exchange\",\"exchange/guest/%s-dropped\"},{\"x-max-length\",%u}]",
                                fields[0] + strlen ("queue/guest/"), expected_length);
  /* RabbitMQ 4 also lists the queue type it chose; nothing else may be there. */
  expected4 = g_strdup_printf ("%.*s,{\"x-queue-type\",\"classic\"}]", (int) strlen (expected) - 1, expected);
  if (!g_str_equal (fields[1], expected) && !g_str_equal (fields[1], expected4))
    g_error ("Unexpected queue arguments: %s", fields[1]);
  g_assert_cmpstr (fields[2], ==, "true");
  g_assert_cmpstr (fields[3], ==, "true");
}

/* An operator deleting a stream's queue ends that stream with a reason. */
static void
test_queue_deleted (void)
{
  g_autoptr(Client) client = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.#") "]}");
  g_autofree char *name = NULL;

  client_expect (client, READY);
  name = main_queue_line ();
  name[strcspn (name, "\t")] = '\0';
  g_assert_true (g_str_has_prefix (name, "queue/guest/pulse-events-"));
  g_free (node ("ctl", "delete_queue", name, NULL));

  client_expect (client, "event: error\ndata: \"The broker cancelled the subscription: its queue was deleted\"\nid: -\n\n");
  client_expect_end (client);
}

typedef struct
{
  guint ready;
  guint messages;
  guint failed;
} Counts;

static void
count_ready (gpointer user_data)
{
  ((Counts *) user_data)->ready++;
}

static void
count_message (GBytes   *event,
               gpointer  user_data)
{
  g_assert_true (g_str_has_prefix (g_bytes_get_data (event, NULL), "event: message\ndata: {"));
  ((Counts *) user_data)->messages++;
}

static void
count_failed (const char *text,
              gpointer    user_data)
{
  g_test_message ("failed: %s", text);
  ((Counts *) user_data)->failed++;
}

static const PiSubscriptionCallbacks counting = { count_ready, count_message, count_failed };

static void
iterate_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
}

/* The broker object in this process: its contract with the HTTP front. */
static void
test_broker_object (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  PiSubscription *subscription;
  PiBroker *broker;
  Counts counts = { 0 };
  gint64 deadline;
  guint seen;

  g_assert_null (pi_amqp_broker_new ("http://127.0.0.1:5672/", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "“http://127.0.0.1:5672/” is not a valid broker URL"));
  g_clear_error (&error);

  broker = pi_amqp_broker_new (env.amqp_url, 0, &error);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!g_str_equal (pi_broker_get_state (broker), "connected") && g_get_monotonic_time () < deadline)
    iterate_for (10);
  g_assert_cmpstr (pi_broker_get_state (broker), ==, "connected");

  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "primary.flood.#"));
  subscription = pi_broker_subscribe (broker, bindings, &counting, &counts);
  /* Never from inside the call. */
  g_assert_cmpuint (counts.ready, ==, 0);
  while (counts.ready == 0 && g_get_monotonic_time () < deadline)
    iterate_for (5);
  g_assert_cmpuint (counts.ready, ==, 1);

  /* Unsubscribe in the middle of a flood: what the I/O thread still holds
   * or has queued must not reach the callbacks afterwards. */
  for (guint i = 0; i < 3000; i++)
    publish ("primary.flood.x", NULL, "{\"flood\":true}");
  while (counts.messages < 10 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (counts.messages, >=, 10);
  pi_broker_unsubscribe (broker, subscription);
  seen = counts.messages;
  iterate_for (300);
  g_assert_cmpuint (counts.messages, ==, seen);
  g_assert_cmpuint (counts.failed, ==, 0);

  g_assert_finalize_object (broker);
}

static void
test_cycles (void)
{
  gint64 start;

  assert_no_queue_left ();

  start = g_get_monotonic_time ();
  for (guint i = 0; i < 500; i++)
    {
      g_autoptr(Client) client = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.#") ","
                                                 BINDING (EXCHANGE, "route.#") "]}");

      /* Half wait for `ready`, half leave during the set-up. */
      if (i % 2 == 0)
        client_expect (client, READY);
    }
  g_test_message ("500 connect/disconnect cycles took %.2f s",
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  assert_no_queue_left ();
  g_test_message ("...and their queues were gone after %.2f s",
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
}

static void
listen_exited_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *done = TRUE;
}

/* pulse-listen end to end: it binds, and from the first message it receives
 * prints three in a row, each with what the broker delivered. Publishing
 * goes on until it exits, so the test need not know when it is bound. */
static void
test_pulse_listen (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) listen = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = g_strdup_printf ("http://127.0.0.1:%u/api/events/v1", env.port);
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  const char *cc[] = { "route.listen.test", "route.index.x", NULL };
  gboolean done = FALSE;
  gint64 first = -1;

  if (g_getenv ("PULSE_LISTEN") == NULL)
    {
      g_test_skip ("PULSE_LISTEN is not set");
      return;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  listen = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PULSE_LISTEN"),
                                        "--server", server,
                                        "--bind", EXCHANGE "=primary.listen.#",
                                        "--count", "3", "--timeout", "30", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (listen, NULL, listen_exited_cb, &done);

  for (guint n = 0; !done; n++)
    {
      g_autofree char *key = g_strdup_printf ("primary.listen.%u", n);
      g_autofree char *payload = g_strdup_printf ("{\"n\":%u}", n);
      gint64 until = g_get_monotonic_time () + 50 * 1000;

      g_assert_cmpuint (n, <, 30 * 20);
      publish (key, cc, payload);
      while (!done && g_get_monotonic_time () < until)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (2000);
        }
    }

  g_assert_true (g_subprocess_get_if_exited (listen));
  g_assert_cmpint (g_subprocess_get_exit_status (listen), ==, 0);
  g_subprocess_communicate_utf8 (listen, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);

  lines = g_strsplit (g_strstrip (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *key = NULL;
      JsonObject *object;
      JsonArray *routes;
      gint64 n;

      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      object = json_node_get_object (json_parser_get_root (parser));
      n = json_object_get_int_member (json_object_get_object_member (object, "payload"), "n");
      if (first < 0)
        first = n;
      /* Consecutive messages: nothing lost or reordered in between. */
      g_assert_cmpint (n, ==, first + i);
      key = g_strdup_printf ("primary.listen.%" G_GINT64_FORMAT, n);
      g_assert_cmpstr (json_object_get_string_member (object, "exchange"), ==, EXCHANGE);
      g_assert_cmpstr (json_object_get_string_member (object, "routingKey"), ==, key);
      g_assert_false (json_object_get_boolean_member (object, "redelivered"));
      routes = json_object_get_array_member (object, "routes");
      g_assert_cmpuint (json_array_get_length (routes), ==, 2);
      g_assert_cmpstr (json_array_get_string_element (routes, 0), ==, "listen.test");
      g_assert_cmpstr (json_array_get_string_element (routes, 1), ==, "index.x");
    }
}

/* Runs last but one: it kills the node and starts it again. */
static void
test_broker_loss (void)
{
  Client *clients[3];
  g_autoptr(Client) after = NULL;
  g_autofree char *state = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *out = NULL;
  gint64 deadline;

  state = broker_state ();
  g_assert_cmpstr (state, ==, "connected");
  g_clear_pointer (&state, g_free);

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      clients[i] = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.#") "]}");
      client_expect (clients[i], READY);
    }

  g_free (node ("kill", NULL));

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_autofree char *event = client_next_event (clients[i]);

      g_assert_nonnull (event);
      g_assert_true (g_str_has_prefix (event, "event: error\ndata: \"Lost the connection to the broker: "));
      g_assert_true (g_str_has_suffix (event, "\"\nid: -\n\n"));
      client_expect_end (clients[i]);
      client_free (clients[i]);
    }

  state = broker_state ();
  g_assert_cmpstr (state, ==, "reconnecting");
  g_clear_pointer (&state, g_free);

  /* While the broker is away a new stream is told so at once, with a
   * status that clients retry rather than an error event that ends it. */
  assert_unavailable (env.port, NULL);

  out = node ("restart", NULL);
  g_assert_cmpstr (g_strstrip (out), ==, env.amqp_url);

  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while ((state = broker_state ()) && !g_str_equal (state, "connected") && g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&state, g_free);
      g_usleep (250 * 1000);
    }
  g_assert_cmpstr (state, ==, "connected");

  /* The exchange was not durable: declare it again, as publishers do. */
  publisher_connect ();

  after = client_connect ("{\"bindings\":[" BINDING (EXCHANGE, "primary.#") "]}");
  client_expect (after, READY);
  publish ("primary.back", NULL, "{\"back\":true}");
  expected = message_event ("primary.back", "[]", "{\"back\":true}");
  client_expect (after, expected);
}

/* --- set-up -------------------------------------------------------------------- */

static const char *skip_reason;

static void
test_skipped (void)
{
  g_test_skip (skip_reason);
}

static void
start_node (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  const char *colon;

  env.dir = g_dir_make_tmp ("pi-amqp-XXXXXX", &error);
  g_assert_no_error (error);

  /* Stops the node when our end of its stdin closes: when this process
   * exits, however it exits. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, new_session, NULL, NULL);
  env.guardian = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c",
                                              "cat >/dev/null; \"$0\" stop \"$1\" >/dev/null 2>&1; rm -rf \"$1\"",
                                              env.node_script, env.dir, NULL);
  g_assert_no_error (error);

  url = node ("start", NULL);
  env.amqp_url = g_strdup (g_strstrip (url));
  g_assert_true (g_str_has_prefix (env.amqp_url, "amqp://guest:guest@127.0.0.1:"));
  colon = strrchr (env.amqp_url, ':');
  env.amqp_port = atoi (colon + 1);
  g_assert_cmpint (env.amqp_port, >, 0);
}

static GSubprocess *
spawn_server (const char *name,
              const char *heartbeat,
              guint16    *port)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *log = g_build_filename (env.dir, name, NULL);
  g_autofree char *queue_length = g_strdup_printf ("%d", QUEUE_LENGTH);
  GSubprocess *server;
  const char *colon;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* A warning in the server must not abort it: it is under test, not a test. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  if (heartbeat != NULL)
    g_subprocess_launcher_setenv (launcher, "PULSE_EVENTS_AMQP_HEARTBEAT", heartbeat, TRUE);
  /* The same tests hold for both ways to use the broker: one queue per
   * server (the default) and one per stream (test-amqp-per-client). */
  server = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PULSE_EVENTS"),
                                        "--amqp", env.amqp_url,
                                        "--listen", "127.0.0.1:0",
                                        "--ping-interval", "1",
                                        "--queue-length", queue_length,
                                        g_getenv ("PI_TEST_AMQP_PER_CLIENT") ? "--amqp-queue-per-client" : NULL,
                                        NULL);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Listening on http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (line, "/api/events/v1"));
  colon = strrchr (line, ':');
  *port = (guint16) atoi (colon + 1);
  g_assert_cmpuint (*port, >, 0);

  return server;
}

static void
start_server (void)
{
  env.server = spawn_server ("pulse-events.log", NULL, &env.port);
}

static void
wait_connected (guint16 port)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_autofree char *state = NULL;

  while ((state = broker_state_of (port)) && !g_str_equal (state, "connected") && g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&state, g_free);
      g_usleep (50 * 1000);
    }
  g_assert_cmpstr (state, ==, "connected");
}

/* A broker that stops answering without closing anything (frozen, or a dead
 * network path) is noticed by heartbeats: here shortened to 1 s in a second
 * server, while the main one (30 s) rides out the short freeze. */
static void
test_frozen_broker (void)
{
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(Client) client = NULL;
  g_autofree char *pid_file = g_build_filename (env.dir, "rabbitmq.pid", NULL);
  g_autofree char *pid_text = NULL;
  g_autofree char *event = NULL;
  g_autofree char *state = NULL;
  guint16 port = 0;
  gint64 start;
  pid_t pid;

  server = spawn_server ("pulse-events-heartbeat.log", "1", &port);
  wait_connected (port);
  client = client_connect_to (port, "{\"bindings\":[" BINDING (EXCHANGE, "primary.#") "]}");
  client_expect (client, READY);

  g_assert_true (g_file_get_contents (pid_file, &pid_text, NULL, NULL));
  pid = atoi (pid_text);
  g_assert_cmpint (pid, >, 0);

  start = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  event = client_next_event (client);
  state = broker_state_of (port);
  /* Thaw before any assertion can end the test with the node frozen. */
  kill (pid, SIGCONT);
  g_test_message ("A frozen broker was noticed after %.1f s",
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  g_assert_nonnull (event);
  g_assert_true (g_str_has_prefix (event, "event: error\ndata: \"Lost the connection to the broker: "));
  g_assert_nonnull (strstr (event, "heartbeat"));
  client_expect_end (client);
  g_assert_cmpstr (state, ==, "reconnecting");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);

  g_clear_pointer (&state, g_free);
  state = broker_state ();
  g_assert_cmpstr (state, ==, "connected");
}

/* --- a broker that is away ------------------------------------------------------ */

/* Lines of a child's output, read without blocking the main context. */
typedef struct
{
  GDataInputStream *in;
  GPtrArray        *lines;
  guint             checked;
  gboolean          pending;
  gboolean          eof;
  const char       *name;
} LineReader;

static void
line_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineReader *reader = user_data;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL, NULL);

  reader->pending = FALSE;
  if (line == NULL)
    {
      reader->eof = TRUE;
      return;
    }
  g_test_message ("%s: %s", reader->name, line);
  g_ptr_array_add (reader->lines, line);
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static LineReader *
line_reader_new (GInputStream *stream,
                 const char   *name)
{
  LineReader *reader = g_new0 (LineReader, 1);

  reader->in = g_data_input_stream_new (stream);
  reader->lines = g_ptr_array_new_with_free_func (g_free);
  reader->name = name;
  return reader;
}

/* The next line, from the last one found on, that holds @needle; NULL at
 * the end of the output or after @seconds. */
static const char *
line_reader_wait_for (LineReader *reader,
                      const char *needle,
                      guint       seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  guint wake = g_timeout_add (100, wake_cb, NULL);
  const char *found = NULL;

  while (found == NULL)
    {
      for (; found == NULL && reader->checked < reader->lines->len; reader->checked++)
        if (strstr (g_ptr_array_index (reader->lines, reader->checked), needle) != NULL)
          found = g_ptr_array_index (reader->lines, reader->checked);
      if (found != NULL || reader->eof || g_get_monotonic_time () > deadline)
        break;
      if (!reader->pending)
        {
          reader->pending = TRUE;
          g_data_input_stream_read_line_async (reader->in, G_PRIORITY_DEFAULT, NULL, line_read_cb, reader);
        }
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (wake);
  return found;
}

/* Reads to the end (the child has exited or is ending) and frees. */
static void
line_reader_free (LineReader *reader)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  /* Lines never hold "\n": this only waits for the end of the output. */
  while (!reader->eof)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      line_reader_wait_for (reader, "\n", 1);
    }
  g_object_unref (reader->in);
  g_ptr_array_unref (reader->lines);
  g_free (reader);
}

/* A loopback port that refuses connections: bound, never listening, and
 * kept so while @socket lives. */
static guint16
refusing_port (GSocket **socket)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;

  *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (*socket, address, FALSE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (*socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

/* pulse-events pointed at a port where no broker listens says so in words
 * (not "Operation now in progress"): in its log, in the 503 that new
 * streams get, and in /ping. No RabbitMQ needed. */
static void
test_unreachable (void)
{
  g_autoptr(GSocket) refusing = NULL;
  guint16 broker_port = refusing_port (&refusing);
  g_autofree char *url = g_strdup_printf ("amqp://guest:guest@127.0.0.1:%u/", broker_port);
  g_autofree char *expected = g_strdup_printf ("Could not connect to the broker at 127.0.0.1:%u: "
                                               "Connection refused", broker_port);
  g_autofree char *log_line = g_strdup_printf ("%s; retrying in ", expected);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *ping = NULL;
  LineReader *err;
  guint16 port;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  /* The system's words for the error, not a translation of them. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  server = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PULSE_EVENTS"),
                                        "--amqp", url, "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Listening on http://127.0.0.1:"));
  port = (guint16) atoi (strrchr (line, ':') + 1);

  err = line_reader_new (g_subprocess_get_stderr_pipe (server), "pulse-events");
  g_assert_nonnull (line_reader_wait_for (err, log_line, 20));

  assert_unavailable (port, expected);
  ping = http_get_body (port, "/api/events/v1/ping");
  g_assert_nonnull (strstr (ping, expected));

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  line_reader_free (err);
}

/* An outage longer than the reconnect delays: pulse-listen keeps running
 * through it, says that the server cannot reach its broker, and receives
 * messages again once the broker is back. Runs last, after broker-loss:
 * it too kills the node and starts it again. */
static void
test_listen_outage (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) listen = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *server = g_strdup_printf ("http://127.0.0.1:%u/api/events/v1", env.port);
  g_autofree char *restarted = NULL;
  g_autofree char *state = NULL;
  const char *first;
  const char *second;
  const char *last;
  gboolean done = FALSE;
  gboolean gap = FALSE;
  gint64 down_at;
  char *line;
  LineReader *err;

  if (g_getenv ("PULSE_LISTEN") == NULL)
    {
      g_test_skip ("PULSE_LISTEN is not set");
      return;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  listen = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PULSE_LISTEN"),
                                        "--server", server,
                                        "--bind", EXCHANGE "=primary.outage.#",
                                        "--count", "1", "--timeout", "200", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (listen, NULL, listen_exited_cb, &done);
  err = line_reader_new (g_subprocess_get_stderr_pipe (listen), "pulse-listen");

  g_assert_nonnull (line_reader_wait_for (err, "pulse-listen: Live", 20));

  g_free (node ("kill", NULL));
  down_at = g_get_monotonic_time ();

  /* The open stream ends after `ready`: reconnect. The new attempts are
   * answered 503 while the broker is away, and retried, again and again. */
  g_assert_nonnull (line_reader_wait_for (err, "Lost the connection to the broker", 20));
  first = line_reader_wait_for (err, "The server cannot reach its broker: ", 30);
  g_assert_nonnull (first);
  g_assert_nonnull (strstr (first, "answered 503 Service Unavailable"));
  g_assert_nonnull (strstr (first, "Reconnecting in "));
  second = line_reader_wait_for (err, "The server cannot reach its broker: ", 30);
  g_assert_nonnull (second);
  g_assert_false (done);
  g_test_message ("pulse-listen was refused twice and kept going, %.1f s into the outage",
                  (g_get_monotonic_time () - down_at) / (double) G_USEC_PER_SEC);

  restarted = node ("restart", NULL);
  g_assert_cmpstr (g_strstrip (restarted), ==, env.amqp_url);
  wait_connected (env.port);
  /* The exchange was not durable: declare it again, as publishers do. */
  publisher_connect ();
  g_assert_false (done);

  /* Publish until pulse-listen has its message: it decides when it binds. */
  for (guint n = 0; !done; n++)
    {
      g_autofree char *key = g_strdup_printf ("primary.outage.%u", n);
      gint64 until = g_get_monotonic_time () + 100 * 1000;

      g_assert_cmpuint (n, <, 150 * 10);
      publish (key, NULL, "{\"back\":true}");
      while (!done && g_get_monotonic_time () < until)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (2000);
        }
    }
  g_test_message ("pulse-listen exited %.1f s after the broker went away",
                  (g_get_monotonic_time () - down_at) / (double) G_USEC_PER_SEC);

  /* Its last words first (each line is logged as it is read): why it
   * ended, when it did not end well. */
  line_reader_free (err);
  g_assert_true (g_subprocess_get_if_exited (listen));
  g_assert_cmpint (g_subprocess_get_exit_status (listen), ==, 0);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (listen));
  while ((line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error)))
    g_ptr_array_add (lines, line);
  g_assert_no_error (error);
  g_assert_cmpuint (lines->len, >=, 1);
  for (guint i = 0; i + 1 < lines->len; i++)
    gap |= strstr (g_ptr_array_index (lines, i), "\"event\":\"gap\"") != NULL;
  g_assert_true (gap);
  last = g_ptr_array_index (lines, lines->len - 1);
  g_assert_nonnull (strstr (last, "\"routingKey\":\"primary.outage."));
  g_assert_nonnull (strstr (last, "\"payload\":{\"back\":true}"));

  state = broker_state ();
  g_assert_cmpstr (state, ==, "connected");
}

static void
stop_all (void)
{
  g_autoptr(GError) error = NULL;

  if (env.server != NULL)
    {
      g_subprocess_send_signal (env.server, SIGTERM);
      g_subprocess_wait (env.server, NULL, NULL);
      g_clear_object (&env.server);
    }
  if (env.publisher != NULL)
    {
      amqp_destroy_connection (env.publisher);
      env.publisher = NULL;
    }
  if (env.guardian != NULL)
    {
      g_output_stream_close (g_subprocess_get_stdin_pipe (env.guardian), NULL, NULL);
      g_subprocess_wait (env.guardian, NULL, &error);
      g_assert_no_error (error);
      g_clear_object (&env.guardian);
    }
}

int
main (int   argc,
      char *argv[])
{
  const char *source_root = g_getenv ("PI_SOURCE_ROOT");
  int ret;

  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("PULSE_EVENTS") == NULL || source_root == NULL)
    {
      skip_reason = "PULSE_EVENTS and PI_SOURCE_ROOT are not set: run through meson test";
      g_test_add_func ("/pi/amqp/skipped", test_skipped);
      return g_test_run ();
    }
  /* Needs no broker: a port where none listens. */
  g_test_add_func ("/pi/amqp/unreachable", test_unreachable);
  if (!g_file_test ("/usr/lib/rabbitmq/bin/rabbitmq-server", G_FILE_TEST_IS_EXECUTABLE))
    {
      skip_reason = "rabbitmq-server is not installed";
      g_test_add_func ("/pi/amqp/skipped", test_skipped);
      return g_test_run ();
    }

  env.node_script = g_build_filename (source_root, "tests", "rabbitmq-node", NULL);

  g_test_add_func ("/pi/amqp/transcript", test_transcript);
  g_test_add_func ("/pi/amqp/cc-only", test_cc_only);
  g_test_add_func ("/pi/amqp/missing-exchange", test_missing_exchange);
  g_test_add_func ("/pi/amqp/queue-length", test_queue_length);
  g_test_add_func ("/pi/amqp/queue-deleted", test_queue_deleted);
  g_test_add_func ("/pi/amqp/broker-object", test_broker_object);
  g_test_add_func ("/pi/amqp/cycles", test_cycles);
  g_test_add_func ("/pi/amqp/pulse-listen", test_pulse_listen);
  g_test_add_func ("/pi/amqp/frozen-broker", test_frozen_broker);
  g_test_add_func ("/pi/amqp/broker-loss", test_broker_loss);
  g_test_add_func ("/pi/amqp/listen-outage", test_listen_outage);

  start_node ();
  start_server ();
  wait_connected (env.port);
  publisher_connect ();

  ret = g_test_run ();

  stop_all ();
  g_free (env.node_script);
  g_free (env.dir);
  g_free (env.amqp_url);

  return ret;
}
