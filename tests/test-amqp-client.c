/* test-amqp-client.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* PiAmqpClient against a real RabbitMQ node (tests/rabbitmq-node), started
 * once for the whole binary: what arrives, what the broker refuses and how
 * that is said, what it drops and how that is counted, and what happens when
 * the login is refused or the broker goes away. */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "pi-amqp-client.h"
#include "pi-rabbit-test.h"

#define EXCHANGE    "exchange/pi-test/v1/client"
#define MISSING     "exchange/pi-test/v1/no-such-exchange"
#define PULSE_USER  "pulseuser"
#define PULSE_PASS  "pulse-secret"
#define WAIT_S      20

static PiTestRabbit rabbit;
static char *source_root;

/* --- waiting ---------------------------------------------------------------- */

typedef gboolean (*Condition) (gpointer data);

static gboolean
wait_for (Condition condition,
          gpointer  data,
          guint     seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static void
iterate_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (1000);
    }
}

/* --- a client and what its subscription saw ---------------------------------- */

typedef struct
{
  guint          ready;
  GPtrArray     *deliveries;     /* PiAmqpDeliveryCopy */
  guint64        last_tag;
  guint64        dropped;
  GPtrArray     *refusals;       /* "INDEX: text" */
  char          *failed;
  PiAmqpFailure  failure;
} Watch;

static Watch *
watch_new (void)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) pi_amqp_delivery_copy_free);
  watch->refusals = g_ptr_array_new_with_free_func (g_free);
  return watch;
}

static void
watch_free (Watch *watch)
{
  g_ptr_array_unref (watch->deliveries);
  g_ptr_array_unref (watch->refusals);
  g_free (watch->failed);
  g_free (watch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watch, watch_free)

static void
ready_cb (gpointer user_data)
{
  ((Watch *) user_data)->ready++;
}

static void
deliveries_cb (GPtrArray *items,
               guint64    last_tag,
               gpointer   user_data)
{
  Watch *watch = user_data;

  g_assert_cmpuint (items->len, >, 0);
  g_assert_cmpuint (((PiAmqpDeliveryCopy *) g_ptr_array_index (items, items->len - 1))->delivery_tag, ==, last_tag);
  watch->last_tag = last_tag;
  g_ptr_array_extend_and_steal (watch->deliveries, g_ptr_array_ref (items));
}

static void
dropped_cb (guint64  count,
            gpointer user_data)
{
  ((Watch *) user_data)->dropped += count;
}

static void
binding_failed_cb (guint       index,
                   const char *text,
                   gpointer    user_data)
{
  g_test_message ("binding %u refused: %s", index, text);
  g_ptr_array_add (((Watch *) user_data)->refusals, g_strdup_printf ("%u: %s", index, text));
}

static void
failed_cb (const char    *text,
           PiAmqpFailure  failure,
           gpointer       user_data)
{
  Watch *watch = user_data;

  g_test_message ("failed: %s", text);
  g_assert_null (watch->failed);
  watch->failed = g_strdup (text);
  watch->failure = failure;
}

static const PiAmqpSubscriptionCallbacks watch_callbacks = {
  ready_cb, deliveries_cb, dropped_cb, binding_failed_cb, failed_cb,
};

static gboolean
is_ready_or_failed (gpointer data)
{
  Watch *watch = data;

  return watch->ready > 0 || watch->failed != NULL;
}

static gboolean
has_failed (gpointer data)
{
  return ((Watch *) data)->failed != NULL;
}

typedef struct
{
  Watch *watch;
  guint  n;
} Count;

static gboolean
has_deliveries (gpointer data)
{
  Count *count = data;

  return count->watch->deliveries->len >= count->n;
}

static void
expect_deliveries (Watch *watch,
                   guint  n)
{
  Count count = { watch, n };

  g_assert_true (wait_for (has_deliveries, &count, WAIT_S));
}

static PiAmqpDeliveryCopy *
delivery (Watch *watch,
          guint  index)
{
  g_assert_cmpuint (index, <, watch->deliveries->len);
  return g_ptr_array_index (watch->deliveries, index);
}

typedef struct
{
  PiAmqpClient      *client;
  PiAmqpClientState  state;
} StateWait;

static gboolean
is_in_state (gpointer data)
{
  StateWait *wait = data;

  return pi_amqp_client_get_state (wait->client) == wait->state;
}

static void
expect_state (PiAmqpClient      *client,
              PiAmqpClientState  state,
              guint              seconds)
{
  StateWait wait = { client, state };

  if (!wait_for (is_in_state, &wait, seconds))
    g_error ("The client is in state %d, not %d", pi_amqp_client_get_state (client), state);
}

static PiAmqpClient *
client_new (const char *user,
            const char *password)
{
  g_autoptr(PiAmqpAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  PiAmqpClientOptions options = { 0 };
  const char *port = strrchr (rabbit.amqp_url, ':') + 1;
  PiAmqpClient *client;

  /* The password never in the URL, as the app and pulse-listen do. */
  url = g_strdup_printf ("amqp://%s@127.0.0.1:%.*s/", user, (int) strcspn (port, "/"), port);
  address = pi_amqp_address_parse (url, &error);
  g_assert_no_error (error);
  g_assert_null (address->password);
  address->password = g_strdup (password);

  options.product = "test-amqp-client";
  client = pi_amqp_client_new (address, &options, &error);
  g_assert_no_error (error);
  return client;
}

static void
notify_state_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static PiAmqpSubscription *
subscribe (PiAmqpClient        *client,
           const PiAmqpBinding *bindings,
           guint                n_bindings,
           PiAmqpQueueOptions  *options,
           Watch               *watch)
{
  PiAmqpSubscription *sub = pi_amqp_client_subscribe (client, bindings, n_bindings, options, &watch_callbacks, watch);

  /* Never from inside the call. */
  g_assert_cmpuint (watch->ready, ==, 0);
  g_assert_null (watch->failed);
  g_assert_true (wait_for (is_ready_or_failed, watch, WAIT_S));
  return sub;
}

static guint
count_queues_named (const char *prefix)
{
  g_autofree char *out = pi_test_rabbit_ctl (&rabbit, "list_queues", "--quiet", "--no-table-headers", "name", NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += g_str_has_prefix (g_strstrip (lines[i]), prefix);
  return n;
}

/* --- tests -------------------------------------------------------------------- */

/* Deliveries carry what the broker delivered: exchange, routing key, the CC
 * header's routes (prefix dropped), the body. */
static void
test_stream (void)
{
  g_autoptr(PiAmqpClient) client = client_new ("guest", "guest");
  g_autoptr(Watch) watch = watch_new ();
  g_autofree char *queue = pi_amqp_pulse_queue_name ("guest", "test");
  PiAmqpBinding bindings[] = { { EXCHANGE, "primary.#" }, { EXCHANGE, "route.index.#" } };
  PiAmqpQueueOptions options = { .queue_name = queue, .max_length = 100 };
  PiAmqpSubscription *sub;
  guint notified = 0;

  g_signal_connect (client, "notify::state", G_CALLBACK (notify_state_cb), &notified);
  expect_state (client, PI_AMQP_CLIENT_CONNECTED, WAIT_S);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_null (pi_amqp_client_dup_unavailable_reason (client, NULL));

  sub = subscribe (client, bindings, G_N_ELEMENTS (bindings), &options, watch);
  g_assert_cmpuint (watch->ready, ==, 1);
  g_assert_cmpuint (count_queues_named (queue), ==, 1);

  pi_test_rabbit_publish (&rabbit, "primary.task.1", "route.index.project.foo", "{\"n\":1}");
  pi_test_rabbit_publish (&rabbit, "secondary.not.bound", NULL, "{\"n\":2}");
  pi_test_rabbit_publish (&rabbit, "other.task", "route.index.project.bar", "{\"n\":3}");
  expect_deliveries (watch, 2);

  g_assert_cmpstr (delivery (watch, 0)->exchange, ==, EXCHANGE);
  g_assert_cmpstr (delivery (watch, 0)->routing_key, ==, "primary.task.1");
  g_assert_cmpuint (g_strv_length (delivery (watch, 0)->routes), ==, 1);
  g_assert_cmpstr (delivery (watch, 0)->routes[0], ==, "index.project.foo");
  g_assert_false (delivery (watch, 0)->redelivered);
  g_assert_cmpmem (g_bytes_get_data (delivery (watch, 0)->body, NULL), g_bytes_get_size (delivery (watch, 0)->body),
                   "{\"n\":1}", 7);
  /* Through the CC header alone. */
  g_assert_cmpstr (delivery (watch, 1)->routing_key, ==, "other.task");
  g_assert_cmpstr (delivery (watch, 1)->routes[0], ==, "index.project.bar");
  iterate_for (200);
  g_assert_cmpuint (watch->deliveries->len, ==, 2);
  g_assert_null (watch->failed);

  pi_amqp_client_unsubscribe (client, sub);
  /* The exclusive, auto-delete queue goes with its channel. */
  for (guint i = 0; i < 50 && count_queues_named (queue) > 0; i++)
    g_usleep (100 * 1000);
  g_assert_cmpuint (count_queues_named (queue), ==, 0);

  g_assert_finalize_object (g_steal_pointer (&client));
}

/* A missing exchange among good bindings: that binding is reported by
 * index, in words that name it, and the others stream. */
static void
test_missing_exchange (void)
{
  g_autoptr(PiAmqpClient) client = client_new ("guest", "guest");
  g_autoptr(Watch) watch = watch_new ();
  g_autoptr(Watch) whole = watch_new ();
  g_autoptr(Watch) none = watch_new ();
  g_autofree char *queue = pi_amqp_pulse_queue_name ("guest", "test");
  g_autofree char *queue2 = pi_amqp_pulse_queue_name ("guest", "test");
  g_autofree char *queue3 = pi_amqp_pulse_queue_name ("guest", "test");
  PiAmqpBinding bindings[] = { { EXCHANGE, "primary.#" }, { MISSING, "#" }, { EXCHANGE, "secondary.#" } };
  PiAmqpBinding missing[] = { { MISSING, "#" }, { MISSING, "a.#" } };
  PiAmqpQueueOptions options = { .queue_name = queue, .max_length = 100, .prefetch = 50 };
  PiAmqpSubscription *sub, *sub2, *sub3;
  const char *refusal;

  sub = subscribe (client, bindings, G_N_ELEMENTS (bindings), &options, watch);
  g_assert_null (watch->failed);
  g_assert_cmpuint (watch->ready, ==, 1);
  g_assert_cmpuint (watch->refusals->len, ==, 1);
  refusal = g_ptr_array_index (watch->refusals, 0);
  g_assert_true (g_str_has_prefix (refusal, "1: The exchange “" MISSING "” does not exist on this broker"));

  /* Bindings before and after the refused one both hold. */
  pi_test_rabbit_publish (&rabbit, "primary.a", NULL, "{\"n\":1}");
  pi_test_rabbit_publish (&rabbit, "secondary.b", NULL, "{\"n\":2}");
  expect_deliveries (watch, 2);
  g_assert_cmpstr (delivery (watch, 0)->routing_key, ==, "primary.a");
  g_assert_cmpstr (delivery (watch, 1)->routing_key, ==, "secondary.b");

  /* All or nothing: the whole subscription fails, without `ready`, and its
   * queue is gone. */
  options.queue_name = queue2;
  options.all_or_nothing = TRUE;
  sub2 = subscribe (client, bindings, G_N_ELEMENTS (bindings), &options, whole);
  g_assert_cmpuint (whole->ready, ==, 0);
  g_assert_cmpint (whole->failure, ==, PI_AMQP_FAILURE_REFUSED);
  g_assert_nonnull (strstr (whole->failed, "404"));
  g_assert_nonnull (strstr (whole->failed, MISSING));
  g_assert_cmpuint (count_queues_named (queue2), ==, 0);

  /* Not all or nothing, but nothing left: failed too. */
  options.queue_name = queue3;
  options.all_or_nothing = FALSE;
  sub3 = subscribe (client, missing, G_N_ELEMENTS (missing), &options, none);
  g_assert_cmpuint (none->ready, ==, 0);
  g_assert_cmpuint (none->refusals->len, ==, 2);
  g_assert_cmpint (none->failure, ==, PI_AMQP_FAILURE_REFUSED);
  g_assert_cmpuint (count_queues_named (queue3), ==, 0);

  /* The first one still streams, on its new channel. */
  pi_test_rabbit_publish (&rabbit, "primary.c", NULL, "{\"n\":3}");
  expect_deliveries (watch, 3);
  pi_amqp_client_ack (client, sub, watch->last_tag);
  g_assert_null (watch->failed);

  pi_amqp_client_unsubscribe (client, sub);
  pi_amqp_client_unsubscribe (client, sub2);
  pi_amqp_client_unsubscribe (client, sub3);
  g_assert_finalize_object (g_steal_pointer (&client));
}

static void
add_pulse_user (void)
{
  static gboolean added;

  if (added)
    return;
  /* PulseGuardian's patterns. */
  pi_test_rabbit_add_user (&rabbit, PULSE_USER, PULSE_PASS,
                           "^(queue/" PULSE_USER "/.*|exchange/" PULSE_USER "/.*)",
                           "^(queue/" PULSE_USER "/.*|exchange/" PULSE_USER "/.*)",
                           "^(queue/" PULSE_USER "/.*|exchange/.*)");
  added = TRUE;
}

/* A user restricted as PulseGuardian restricts: the Pulse-named queue, with
 * its exchange and queue for counting drops, works; a server-named queue
 * and an exchange outside exchange/… are refused in words. */
static void
test_pulse_user (void)
{
  g_autoptr(PiAmqpClient) client = NULL;
  g_autoptr(Watch) watch = watch_new ();
  g_autoptr(Watch) unnamed = watch_new ();
  g_autofree char *queue = pi_amqp_pulse_queue_name (PULSE_USER, "pulse-inspector");
  g_autofree char *dropped = pi_amqp_pulse_dropped_exchange (PULSE_USER, queue);
  PiAmqpBinding bindings[] = { { EXCHANGE, "primary.#" }, { "amq.topic", "#" } };
  PiAmqpQueueOptions options = { .queue_name = queue, .dropped_exchange = dropped, .max_length = 100, .prefetch = 10 };
  PiAmqpSubscription *sub, *sub2;
  const char *refusal;

  add_pulse_user ();
  client = client_new (PULSE_USER, PULSE_PASS);

  g_assert_true (g_str_has_prefix (queue, "queue/" PULSE_USER "/pulse-inspector-"));
  g_assert_true (g_str_has_suffix (dropped, "-dropped"));

  sub = subscribe (client, bindings, G_N_ELEMENTS (bindings), &options, watch);
  g_assert_null (watch->failed);
  g_assert_cmpuint (watch->ready, ==, 1);
  /* amq.topic is not exchange/…: no read permission. */
  g_assert_cmpuint (watch->refusals->len, ==, 1);
  refusal = g_ptr_array_index (watch->refusals, 0);
  g_assert_true (g_str_has_prefix (refusal, "1: User “" PULSE_USER "” may not read from the exchange “amq.topic”"));

  pi_test_rabbit_publish (&rabbit, "primary.pulse", "route.x", "{\"pulse\":true}");
  expect_deliveries (watch, 1);
  g_assert_cmpstr (delivery (watch, 0)->routing_key, ==, "primary.pulse");
  pi_amqp_client_ack (client, sub, watch->last_tag);

  /* A queue whose name the broker would choose. */
  options.queue_name = NULL;
  options.dropped_exchange = NULL;
  sub2 = subscribe (client, bindings, 1, &options, unnamed);
  g_assert_cmpuint (unnamed->ready, ==, 0);
  g_assert_cmpint (unnamed->failure, ==, PI_AMQP_FAILURE_REFUSED);
  g_assert_true (g_str_has_prefix (unnamed->failed, "The broker does not let user “" PULSE_USER "” create a queue"));
  g_assert_nonnull (strstr (unnamed->failed, "queues must be named queue/" PULSE_USER "/…"));

  /* The refusal ended only that one. */
  pi_test_rabbit_publish (&rabbit, "primary.pulse2", NULL, "{}");
  expect_deliveries (watch, 2);
  g_assert_null (watch->failed);

  pi_amqp_client_unsubscribe (client, sub);
  pi_amqp_client_unsubscribe (client, sub2);
  g_assert_finalize_object (g_steal_pointer (&client));
}

typedef struct
{
  Watch *watch;
  guint  total;
} Sum;

static gboolean
sums_to (gpointer data)
{
  Sum *sum = data;

  return sum->watch->deliveries->len + sum->watch->dropped >= sum->total;
}

/* The queue's length limit reached while nothing is taken: every message
 * is either received (after acks) or counted as dropped, exactly. */
static void
test_dropped (void)
{
  g_autoptr(PiAmqpClient) client = NULL;
  g_autoptr(Watch) watch = watch_new ();
  g_autofree char *queue = pi_amqp_pulse_queue_name (PULSE_USER, "pulse-inspector");
  g_autofree char *dropped = pi_amqp_pulse_dropped_exchange (PULSE_USER, queue);
  PiAmqpBinding bindings[] = { { EXCHANGE, "flood.#" } };
  PiAmqpQueueOptions options = { .queue_name = queue, .dropped_exchange = dropped, .max_length = 20, .prefetch = 10 };
  PiAmqpSubscription *sub;
  const guint n = 200;
  Sum sum = { watch, n };
  guint64 acked = 0;

  add_pulse_user ();
  client = client_new (PULSE_USER, PULSE_PASS);
  sub = subscribe (client, bindings, G_N_ELEMENTS (bindings), &options, watch);
  g_assert_cmpuint (watch->ready, ==, 1);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"i\":%u}", i);
      pi_test_rabbit_publish (&rabbit, "flood.x", NULL, body);
    }

  /* Nothing acknowledged: the broker sends the prefetch and holds 20. */
  iterate_for (1500);
  g_test_message ("before acks: %u received, %" G_GUINT64_FORMAT " dropped",
                  watch->deliveries->len, watch->dropped);
  g_assert_cmpuint (watch->deliveries->len, ==, 10);
  g_assert_cmpuint (watch->dropped, >, 0);

  /* Take the rest. */
  while (!sums_to (&sum))
    {
      if (watch->last_tag > acked)
        {
          pi_amqp_client_ack (client, sub, watch->last_tag);
          acked = watch->last_tag;
        }
      g_assert_true (wait_for (sums_to, &sum, 1) || watch->last_tag > acked);
    }
  iterate_for (500);
  g_test_message ("after acks: %u received, %" G_GUINT64_FORMAT " dropped",
                  watch->deliveries->len, watch->dropped);
  g_assert_cmpuint (watch->deliveries->len + watch->dropped, ==, n);
  /* The limit held: the prefetch, the 20 the queue holds, and the rest dropped. */
  g_assert_cmpuint (watch->deliveries->len, ==, 30);
  /* Oldest dropped first: the last message published arrived. */
  g_assert_cmpmem (g_bytes_get_data (delivery (watch, 29)->body, NULL), g_bytes_get_size (delivery (watch, 29)->body),
                   "{\"i\":199}", 9);
  g_assert_null (watch->failed);

  pi_amqp_client_unsubscribe (client, sub);
  g_assert_finalize_object (g_steal_pointer (&client));
}

/* Throughput as the app consumes (prefetch 200, acks in batches, Pulse
 * naming): a backlog of 20,000 messages of 1 KiB arrives whole and in
 * order. The rate is printed (bytes received per second of consuming). */
static void
test_throughput (void)
{
  g_autoptr(PiAmqpClient) client = client_new ("guest", "guest");
  g_autoptr(Watch) watch = watch_new ();
  g_autofree char *queue = pi_amqp_pulse_queue_name ("guest", "bench");
  g_autofree char *dropped = pi_amqp_pulse_dropped_exchange ("guest", queue);
  PiAmqpBinding bindings[] = { { EXCHANGE, "bench.#" } };
  PiAmqpQueueOptions options = { .queue_name = queue, .dropped_exchange = dropped, .max_length = 100000, .prefetch = 200 };
  PiAmqpSubscription *sub;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *last = NULL;
  const guint n = 20000;
  guint64 acked = 0;
  gint64 start;
  double seconds;

  sub = subscribe (client, bindings, G_N_ELEMENTS (bindings), &options, watch);
  g_assert_cmpuint (watch->ready, ==, 1);

  /* The backlog first: the broker holds it, less the prefetch. */
  for (guint i = 0; i < n; i++)
    {
      g_string_printf (body, "{\"i\":%u,\"pad\":\"", i);
      while (body->len < 1020)
        g_string_append_c (body, 'x');
      g_string_append (body, "\"}");
      pi_test_rabbit_publish (&rabbit, "bench.x", "route.bench", body->str);
    }

  start = g_get_monotonic_time ();
  while (watch->deliveries->len < n && g_get_monotonic_time () - start < 60 * G_USEC_PER_SEC)
    {
      g_main_context_iteration (NULL, TRUE);
      /* Half the prefetch taken: ask for as many more. */
      if (watch->last_tag >= acked + options.prefetch / 2)
        {
          pi_amqp_client_ack (client, sub, watch->last_tag);
          acked = watch->last_tag;
        }
    }
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("%u messages of 1 KiB consumed in %.2f s: %.0f messages/s", watch->deliveries->len,
                  seconds, watch->deliveries->len / seconds);

  g_assert_cmpuint (watch->deliveries->len, ==, n);
  g_assert_cmpuint (watch->dropped, ==, 0);
  last = g_strdup_printf ("{\"i\":%u,", n - 1);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (delivery (watch, n - 1)->body, NULL), last));
  g_assert_cmpstr (delivery (watch, n - 1)->routes[0], ==, "bench");

  pi_amqp_client_unsubscribe (client, sub);
  g_assert_finalize_object (g_steal_pointer (&client));
}

/* The main context stalls while more than the outgoing high-water mark
 * arrives, so the I/O thread stops reading; with a heartbeat of 1 s the
 * broker closes a connection silent for ~2 s unless heartbeats go on while
 * reading is paused. After 5 s, everything arrives, on the same
 * connection. */
static void
test_paused_heartbeats (void)
{
  g_autoptr(PiAmqpAddress) address = NULL;
  g_autoptr(PiAmqpClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Watch) watch = watch_new ();
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *url = NULL;
  PiAmqpClientOptions options = { .heartbeat = 1, .product = "test-amqp-client" };
  PiAmqpBinding bindings[] = { { EXCHANGE, "paused.#" } };
  PiAmqpSubscription *sub;
  const char *port = strrchr (rabbit.amqp_url, ':') + 1;
  const guint n = 700;   /* of 64 KiB: 44 MiB, past the 32 MiB mark */
  Count count = { watch, n };
  guint changes = 0;

  url = g_strdup_printf ("amqp://guest@127.0.0.1:%.*s/", (int) strcspn (port, "/"), port);
  address = pi_amqp_address_parse (url, &error);
  g_assert_no_error (error);
  address->password = g_strdup ("guest");
  client = pi_amqp_client_new (address, &options, &error);
  g_assert_no_error (error);
  sub = subscribe (client, bindings, G_N_ELEMENTS (bindings), NULL, watch);
  g_assert_cmpuint (watch->ready, ==, 1);
  g_signal_connect (client, "notify::state", G_CALLBACK (notify_state_cb), &changes);

  g_string_append (body, "{\"pad\":\"");
  while (body->len < 64 * 1024)
    g_string_append_c (body, 'x');
  g_string_append (body, "\"}");
  for (guint i = 0; i < n; i++)
    pi_test_rabbit_publish (&rabbit, "paused.x", NULL, body->str);

  /* Not iterating: the caller is stalled. */
  g_usleep (5 * G_USEC_PER_SEC);

  g_assert_true (wait_for (has_deliveries, &count, WAIT_S));
  iterate_for (500);
  g_assert_cmpuint (watch->deliveries->len, ==, n);
  g_assert_null (watch->failed);
  g_assert_cmpuint (changes, ==, 0);
  g_assert_cmpint (pi_amqp_client_get_state (client), ==, PI_AMQP_CLIENT_CONNECTED);

  pi_amqp_client_unsubscribe (client, sub);
  g_assert_finalize_object (g_steal_pointer (&client));
}

/* How many logins the broker has refused so far, from its log. */
static guint
count_refused_logins (void)
{
  g_autofree char *log_dir = g_build_filename (rabbit.dir, "log", NULL);
  g_autoptr(GDir) dir = g_dir_open (log_dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (log_dir, name, NULL);
      g_autofree char *text = NULL;

      if (!g_str_has_suffix (name, ".log") || !g_file_get_contents (path, &text, NULL, NULL))
        continue;
      for (const char *p = text; (p = strstr (p, "login refused")); p++)
        n++;
    }
  return n;
}

static gboolean
has_refused_login (gpointer data)
{
  return count_refused_logins () > GPOINTER_TO_UINT (data);
}

/* A refused login is final: FAILED, CREDENTIALS, in words, and no further
 * attempt; subscriptions fail with it. */
static void
test_wrong_password (void)
{
  g_autoptr(PiAmqpClient) client = client_new ("guest", "not-the-password");
  g_autoptr(Watch) watch = watch_new ();
  PiAmqpBinding bindings[] = { { EXCHANGE, "#" } };
  g_autofree char *reason = NULL;
  g_autofree char *connections = NULL;
  PiAmqpSubscription *sub;
  guint retry_after = 99;
  guint notified = 0;
  guint refused = count_refused_logins ();

  g_signal_connect (client, "notify::state", G_CALLBACK (notify_state_cb), &notified);
  expect_state (client, PI_AMQP_CLIENT_FAILED, WAIT_S);
  g_assert_cmpint (pi_amqp_client_get_failure (client), ==, PI_AMQP_FAILURE_CREDENTIALS);
  reason = pi_amqp_client_dup_unavailable_reason (client, &retry_after);
  g_assert_nonnull (strstr (reason, "refused the login of user “guest”"));
  g_assert_nonnull (strstr (reason, "check the user name and password"));
  g_assert_cmpuint (retry_after, ==, 0);

  /* No second attempt: the broker logged one refusal, and no more after
   * what would be several backoffs. */
  g_assert_true (wait_for (has_refused_login, GUINT_TO_POINTER (refused), WAIT_S));
  refused = count_refused_logins ();
  iterate_for (3000);
  g_assert_cmpint (pi_amqp_client_get_state (client), ==, PI_AMQP_CLIENT_FAILED);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (count_refused_logins (), ==, refused);
  connections = pi_test_rabbit_ctl (&rabbit, "list_connections", "--quiet", "--no-table-headers",
                                    "client_properties", NULL);
  g_assert_null (strstr (connections, "test-amqp-client"));

  sub = pi_amqp_client_subscribe (client, bindings, 1, NULL, &watch_callbacks, watch);
  g_assert_true (wait_for (has_failed, watch, WAIT_S));
  g_assert_cmpint (watch->failure, ==, PI_AMQP_FAILURE_CREDENTIALS);
  g_assert_cmpuint (watch->ready, ==, 0);
  pi_amqp_client_unsubscribe (client, sub);

  g_assert_finalize_object (g_steal_pointer (&client));
}

/* The broker ends the connection: the subscription fails LOST, the client
 * reconnects by itself, and a new subscription streams. */
static void
test_connection_lost (void)
{
  g_autoptr(PiAmqpClient) client = client_new ("guest", "guest");
  g_autoptr(Watch) watch = watch_new ();
  g_autoptr(Watch) again = watch_new ();
  PiAmqpBinding bindings[] = { { EXCHANGE, "primary.#" } };
  PiAmqpSubscription *sub, *sub2;

  sub = subscribe (client, bindings, 1, NULL, watch);
  g_assert_cmpuint (watch->ready, ==, 1);

  pi_test_rabbit_close_others (&rabbit);
  g_assert_true (wait_for (has_failed, watch, WAIT_S));
  g_assert_cmpint (watch->failure, ==, PI_AMQP_FAILURE_LOST);
  g_assert_true (g_str_has_prefix (watch->failed, "Lost the connection to the broker: "));

  expect_state (client, PI_AMQP_CLIENT_CONNECTED, WAIT_S);
  sub2 = subscribe (client, bindings, 1, NULL, again);
  g_assert_cmpuint (again->ready, ==, 1);
  pi_test_rabbit_publish (&rabbit, "primary.again", NULL, "{}");
  expect_deliveries (again, 1);

  pi_amqp_client_unsubscribe (client, sub);
  pi_amqp_client_unsubscribe (client, sub2);
  g_assert_finalize_object (g_steal_pointer (&client));
}

/* The broker killed and started again: RECONNECTING meanwhile, with a
 * reason and a retry time; then CONNECTED, and streaming again. */
static void
test_broker_restart (void)
{
  g_autoptr(PiAmqpClient) client = client_new ("guest", "guest");
  g_autoptr(Watch) watch = watch_new ();
  g_autoptr(Watch) again = watch_new ();
  g_autofree char *reason = NULL;
  PiAmqpBinding bindings[] = { { EXCHANGE, "primary.#" } };
  PiAmqpSubscription *sub, *sub2;
  guint retry_after = 0;

  sub = subscribe (client, bindings, 1, NULL, watch);
  g_assert_cmpuint (watch->ready, ==, 1);

  pi_test_rabbit_kill (&rabbit);
  g_assert_true (wait_for (has_failed, watch, WAIT_S));
  g_assert_cmpint (watch->failure, ==, PI_AMQP_FAILURE_LOST);
  expect_state (client, PI_AMQP_CLIENT_RECONNECTING, WAIT_S);
  reason = pi_amqp_client_dup_unavailable_reason (client, &retry_after);
  g_assert_nonnull (reason);
  g_assert_cmpuint (retry_after, >=, 1);

  pi_test_rabbit_restart (&rabbit);
  expect_state (client, PI_AMQP_CLIENT_CONNECTED, 60);
  sub2 = subscribe (client, bindings, 1, NULL, again);
  g_assert_cmpuint (again->ready, ==, 1);
  pi_test_rabbit_publish (&rabbit, "primary.restarted", NULL, "{}");
  expect_deliveries (again, 1);
  g_assert_cmpstr (delivery (again, 0)->routing_key, ==, "primary.restarted");

  pi_amqp_client_unsubscribe (client, sub);
  pi_amqp_client_unsubscribe (client, sub2);
  g_assert_finalize_object (g_steal_pointer (&client));
}

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* A TLS server whose certificate is for another host and signed by nobody
 * this computer trusts: refused for good, in words that say both, never
 * retried. (tests of a TLS RabbitMQ are in the TLS helper's tests.) */
static void
test_tls_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(PiAmqpAddress) address = NULL;
  g_autoptr(PiAmqpClient) client = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pi-amqp-tls-XXXXXX", &error);
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *accept = NULL;
  g_autofree char *url = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  guint16 port = free_port ();
  int status;

  g_assert_no_error (error);
  if (openssl == NULL)
    {
      g_test_skip ("openssl is not installed");
      return;
    }

  {
    const char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-subj", "/CN=broker.example.org", "-addext", "subjectAltName=DNS:broker.example.org",
                           "-keyout", key, "-out", cert, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }

  accept = g_strdup_printf ("127.0.0.1:%u", port);
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                             G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                             "openssl", "s_server", "-quiet", "-accept", accept, "-cert", cert, "-key", key, NULL);
  g_assert_no_error (error);

  url = g_strdup_printf ("amqps://guest@127.0.0.1:%u/", port);
  address = pi_amqp_address_parse (url, &error);
  g_assert_no_error (error);
  address->password = g_strdup ("guest");
  client = pi_amqp_client_new (address, NULL, &error);
  g_assert_no_error (error);

  /* openssl may take a moment to listen: refused connections retry. */
  expect_state (client, PI_AMQP_CLIENT_FAILED, WAIT_S);
  g_assert_cmpint (pi_amqp_client_get_failure (client), ==, PI_AMQP_FAILURE_TLS);
  reason = pi_amqp_client_dup_unavailable_reason (client, NULL);
  g_test_message ("%s", reason);
  g_assert_true (g_str_has_prefix (reason, "Could not connect securely to the broker at 127.0.0.1:"));
  g_assert_nonnull (strstr (reason, "not signed by an authority this computer trusts"));
  g_assert_nonnull (strstr (reason, "not for host “127.0.0.1”"));

  iterate_for (1500);
  g_assert_cmpint (pi_amqp_client_get_state (client), ==, PI_AMQP_CLIENT_FAILED);

  g_assert_finalize_object (g_steal_pointer (&client));
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
  g_unlink (cert);
  g_unlink (key);
  g_rmdir (dir);
}

/* A peer on loopback, served in this thread's context: each connection is
 * closed at once (a broker restarting behind its port) or left open and
 * never answered (a broker that is silent). */
typedef struct
{
  GSocketService *service;
  guint16         port;
  guint           accepted;
  gboolean        silent;
  GPtrArray      *held;     /* GSocketConnection the silent peer keeps */
} Peer;

static gboolean
peer_incoming_cb (GSocketService    *service,
                  GSocketConnection *connection,
                  GObject           *source_object,
                  gpointer           user_data)
{
  Peer *peer = user_data;

  peer->accepted++;
  if (peer->silent)
    g_ptr_array_add (peer->held, g_object_ref (connection));
  else
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static Peer *
peer_new (gboolean silent)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  Peer *peer = g_new0 (Peer, 1);

  peer->silent = silent;
  peer->held = g_ptr_array_new_with_free_func (g_object_unref);
  peer->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (peer->service), any, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  peer->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (peer->service, "incoming", G_CALLBACK (peer_incoming_cb), peer);
  g_socket_service_start (peer->service);
  return peer;
}

static void
peer_free (Peer *peer)
{
  g_socket_service_stop (peer->service);
  g_socket_listener_close (G_SOCKET_LISTENER (peer->service));
  g_object_unref (peer->service);
  g_ptr_array_unref (peer->held);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

static PiAmqpClient *
client_for_peer (Peer       *peer,
                 const char *scheme)
{
  g_autoptr(PiAmqpAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf ("%s://guest@127.0.0.1:%u/", scheme, peer->port);
  PiAmqpClient *client;

  address = pi_amqp_address_parse (url, &error);
  g_assert_no_error (error);
  address->password = g_strdup ("guest");
  client = pi_amqp_client_new (address, NULL, &error);
  g_assert_no_error (error);
  return client;
}

static gboolean
peer_accepted_three (gpointer data)
{
  return ((Peer *) data)->accepted >= 3;
}

/* A TLS handshake that the peer cuts short (it accepts and closes: a broker
 * restarting) says nothing about the certificate: it is retried, with a
 * growing backoff, never failed for good. */
static void
test_tls_handshake_cut (void)
{
  g_autoptr(Peer) peer = peer_new (FALSE);
  g_autoptr(PiAmqpClient) client = client_for_peer (peer, "amqps");
  g_autofree char *reason = NULL;
  guint retry_after = 0;

  g_assert_true (wait_for (peer_accepted_three, peer, WAIT_S));
  g_assert_cmpint (pi_amqp_client_get_state (client), ==, PI_AMQP_CLIENT_RECONNECTING);
  reason = pi_amqp_client_dup_unavailable_reason (client, &retry_after);
  g_test_message ("%s (retry after %u s)", reason, retry_after);
  g_assert_nonnull (reason);
  g_assert_cmpuint (retry_after, >=, 1);
  g_assert_cmpint (pi_amqp_client_get_failure (client), ==, PI_AMQP_FAILURE_LOST);

  g_assert_finalize_object (g_steal_pointer (&client));
}

/* Dropping a client whose broker accepted the connection and says nothing
 * (the login waits up to 10 s) returns at once: the I/O thread is not
 * waited for, and it ends when the socket does. */
static void
test_drop_silent (void)
{
  g_autoptr(Peer) peer = peer_new (TRUE);
  PiAmqpClient *client = client_for_peer (peer, "amqp");
  gint64 start;
  double took;

  iterate_for (300);
  g_assert_cmpuint (peer->accepted, ==, 1);
  g_assert_cmpint (pi_amqp_client_get_state (client), ==, PI_AMQP_CLIENT_CONNECTING);

  start = g_get_monotonic_time ();
  g_assert_finalize_object (client);
  took = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_test_message ("dropping the client took %.3f s", took);
  g_assert_cmpfloat (took, <, 2.0);

  /* The thread ends with its socket (and frees what it held: see ASan). */
  g_clear_pointer (&peer, peer_free);
  g_usleep (200 * 1000);
}

static void
test_skipped (void)
{
  g_test_skip ("RabbitMQ is not installed (no rabbitmq-server in RABBITMQ_BIN or /usr/lib/rabbitmq/bin)");
}

int
main (int   argc,
      char *argv[])
{
  const char *bin = g_getenv ("RABBITMQ_BIN");
  g_autofree char *server = g_build_filename (bin != NULL ? bin : "/usr/lib/rabbitmq/bin", "rabbitmq-server", NULL);
  int ret;

  g_test_init (&argc, &argv, NULL);

  source_root = g_strdup (g_getenv ("PI_SOURCE_ROOT"));
  g_assert_nonnull (source_root);

  /* Without a broker. */
  g_test_add_func ("/pi/amqp-client/tls-handshake-cut", test_tls_handshake_cut);
  g_test_add_func ("/pi/amqp-client/drop-silent", test_drop_silent);

  if (!g_file_test (server, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_add_func ("/pi/amqp-client/skipped", test_skipped);
      return g_test_run ();
    }

  pi_test_rabbit_start (&rabbit, source_root, EXCHANGE);

  g_test_add_func ("/pi/amqp-client/stream", test_stream);
  g_test_add_func ("/pi/amqp-client/missing-exchange", test_missing_exchange);
  g_test_add_func ("/pi/amqp-client/pulse-user", test_pulse_user);
  g_test_add_func ("/pi/amqp-client/dropped", test_dropped);
  g_test_add_func ("/pi/amqp-client/throughput", test_throughput);
  g_test_add_func ("/pi/amqp-client/paused-heartbeats", test_paused_heartbeats);
  g_test_add_func ("/pi/amqp-client/wrong-password", test_wrong_password);
  g_test_add_func ("/pi/amqp-client/tls-refused", test_tls_refused);
  g_test_add_func ("/pi/amqp-client/connection-lost", test_connection_lost);
  g_test_add_func ("/pi/amqp-client/broker-restart", test_broker_restart);

  ret = g_test_run ();

  pi_test_rabbit_stop (&rabbit);
  g_free (source_root);

  return ret;
}
