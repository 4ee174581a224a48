/* pi-amqp-fanout.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <string.h>

#include "pi-amqp-fanout.h"
#include "pi-event-format.h"
#include "pi-topic-index.h"

/*
 * RabbitMQ routes each publish through every binding of every queue, so a
 * queue per stream costs the broker a routing step per stream (issue 15:
 * 1,010 streams held only ~3,500 messages/s at 1.8 cores). Here the server
 * has one exclusive, auto-delete queue, and the broker one binding per
 * distinct (exchange, pattern): the first stream with a pair binds it
 * (pi_amqp_client_bind(), on the control channel, so that a refusal ends
 * nothing but the streams that asked), the last one gone unbinds it.
 *
 * An exchange "collapses" to one `#` binding when a stream binds `#` there
 * or when it has more than collapse_threshold distinct patterns: once the
 * broker confirms `#`, new streams on it are served by `#` and the specific
 * patterns are unbound. Until then the specific bindings stay, and a stream
 * arriving meanwhile waits for its own binding, not for `#`: the broker may
 * refuse `#` (topic permissions), and then the exchange "cannot collapse"
 * and keeps its specific patterns, with only the streams that asked for `#`
 * themselves told. Going back to specific patterns, `#` stays until every
 * pattern is confirmed; a pattern refused then fails the streams holding it.
 * Whatever arrives is matched to the streams in process, so a wider upstream
 * binding never shows a stream more than it asked for.
 *
 * A stream is `ready` once the queue consumes and every binding it relies on
 * is confirmed; a refused binding fails exactly the streams waiting for it,
 * with the broker's own words (events v1). Losing the queue (the connection)
 * fails every stream, as a queue per stream did; the next stream starts a
 * new queue. With no stream left the queue lingers LINGER_S, so that a
 * stream coming back at once finds it.
 */

#define LINGER_S 2

typedef struct
{
  GBytes *event;
  char   *exchange;
  char   *routing_key;
  GStrv   routes;
} Item;

typedef struct _Exchange Exchange;

typedef struct
{
  Exchange  *exchange;
  char      *pattern;
  gboolean   bound;      /* confirmed; else the answer is awaited */
  /* PiAmqpFanoutStream (ref) awaiting the answer -> how many of its pairs
   * (GUINT): a hash set, so that a stream leaving is O(1) however many
   * wait with it (thousands may wait on one slow binding). */
  GHashTable *waiters;
} Upstream;

struct _Exchange
{
  PiAmqpFanout *fanout;
  char         *name;
  GHashTable   *refs;       /* pattern -> streams holding it (GUINT) */
  GHashTable   *upstream;   /* pattern -> Upstream */
  gboolean      no_collapse; /* the broker refused `#` here */
};

struct _PiAmqpFanoutStream
{
  PiAmqpFanout            *fanout;
  PiSubscriptionCallbacks  callbacks;
  gpointer                 user_data;
  GPtrArray               *pairs;        /* exchange, pattern, exchange, ... (de-duplicated) */
  gboolean                 holds_refs;
  guint                    n_waiting;    /* upstream answers not in yet */
  PiTopicTarget           *target;       /* once ready */
  gboolean                 dead;         /* failed or unsubscribed */
};

struct _PiAmqpFanout
{
  PiAmqpClient       *client;
  GMainContext       *context;     /* the client's, where everything runs */
  guint               queue_length;
  guint               collapse_threshold;
  PiAmqpSubscription *queue;
  gboolean            queue_ready;
  GHashTable         *exchanges;   /* name -> Exchange */
  GHashTable         *streams;     /* set of PiAmqpFanoutStream (ref) */
  PiTopicIndex       *index;
  guint               linger_id;
  guint               n_upstream;
};

/* --- items ---------------------------------------------------------------- */

gpointer
pi_amqp_fanout_convert (const PiAmqpDelivery *delivery,
                        gsize                *size,
                        gpointer              user_data)
{
  Item *item = g_new0 (Item, 1);

  /* Framed once: every stream it reaches gets the same bytes. */
  item->event = pi_event_format_message (delivery->exchange, delivery->routing_key, delivery->routes,
                                         delivery->redelivered, (const char *) delivery->body,
                                         delivery->body_len);
  item->exchange = g_strdup (delivery->exchange);
  item->routing_key = g_strdup (delivery->routing_key);
  item->routes = delivery->routes != NULL ? g_strdupv ((char **) delivery->routes) : NULL;
  *size = sizeof *item + g_bytes_get_size (item->event) + strlen (item->exchange) + strlen (item->routing_key);

  return item;
}

void
pi_amqp_fanout_item_free (gpointer data)
{
  Item *item = data;

  g_bytes_unref (item->event);
  g_free (item->exchange);
  g_free (item->routing_key);
  g_strfreev (item->routes);
  g_free (item);
}

/* --- streams --------------------------------------------------------------- */

static PiAmqpFanoutStream *
stream_ref (PiAmqpFanoutStream *stream)
{
  return g_rc_box_acquire (stream);
}

static void
stream_clear (gpointer data)
{
  PiAmqpFanoutStream *stream = data;

  g_ptr_array_unref (stream->pairs);
}

static void
stream_unref (PiAmqpFanoutStream *stream)
{
  g_rc_box_release_full (stream, stream_clear);
}

static GHashTable *
waiters_new (void)
{
  return g_hash_table_new_full (NULL, NULL, (GDestroyNotify) stream_unref, NULL);
}

/* @stream waits for @up's answer for one more of its pairs. */
static void
waiters_add (Upstream           *up,
             PiAmqpFanoutStream *stream)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (up->waiters, stream));

  /* A key already in keeps its reference, and the new one is dropped. */
  g_hash_table_insert (up->waiters, stream_ref (stream), GUINT_TO_POINTER (n + 1));
}

static void
upstream_free (gpointer data)
{
  Upstream *up = data;

  g_free (up->pattern);
  g_hash_table_unref (up->waiters);
  g_free (up);
}

static void
exchange_free (gpointer data)
{
  Exchange *exchange = data;

  exchange->fanout->n_upstream -= g_hash_table_size (exchange->upstream);
  g_hash_table_unref (exchange->upstream);
  g_hash_table_unref (exchange->refs);
  g_free (exchange->name);
  g_free (exchange);
}

static gboolean pair_seen (GPtrArray  *pairs,
                           const char *exchange,
                           const char *pattern);

static void bound_cb (const char *refusal,
                      const char *broker_reply,
                      gpointer    user_data);

static gboolean
exchange_collapsed (Exchange *exchange)
{
  return !exchange->no_collapse &&
         (g_hash_table_contains (exchange->refs, "#") ||
          g_hash_table_size (exchange->refs) > exchange->fanout->collapse_threshold);
}

static gboolean
upstream_bound (Exchange   *exchange,
                const char *pattern)
{
  Upstream *up = g_hash_table_lookup (exchange->upstream, pattern);

  return up != NULL && up->bound;
}

/* Brings the broker's bindings on @exchange to what its streams need. A
 * binding goes only once what replaces it is confirmed: the specific
 * patterns once `#` is, `#` once every specific pattern is. Bindings
 * awaiting an answer stay until it comes (bound_cb() comes back here).
 * May free @exchange. */
static void
exchange_reconcile (Exchange *exchange)
{
  PiAmqpFanout *self = exchange->fanout;
  gboolean collapsed = exchange_collapsed (exchange);
  gboolean all_bound = upstream_bound (exchange, "#");
  gboolean specifics_bound = TRUE;
  g_autoptr(GPtrArray) wanted = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  if (collapsed)
    g_ptr_array_add (wanted, (gpointer) "#");
  /* Until `#` is confirmed, every pattern keeps (or gets) its own. */
  if (!collapsed || !all_bound)
    {
      g_hash_table_iter_init (&iter, exchange->refs);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!collapsed || !g_str_equal (key, "#"))
          g_ptr_array_add (wanted, key);
    }

  for (guint i = 0; i < wanted->len; i++)
    {
      const char *pattern = g_ptr_array_index (wanted, i);
      Upstream *up;

      if (g_hash_table_contains (exchange->upstream, pattern))
        continue;

      up = g_new0 (Upstream, 1);
      up->exchange = exchange;
      up->pattern = g_strdup (pattern);
      up->waiters = waiters_new ();
      g_hash_table_insert (exchange->upstream, up->pattern, up);
      self->n_upstream++;
      pi_amqp_client_bind (self->client, self->queue, exchange->name, pattern, bound_cb, up);
    }

  /* Only asked when not collapsed, that is with at most collapse_threshold
   * patterns (or `#` refused): a collapsed exchange with thousands of
   * patterns is not walked at each stream that leaves. */
  if (!collapsed)
    {
      g_hash_table_iter_init (&iter, exchange->refs);
      while (specifics_bound && g_hash_table_iter_next (&iter, &key, NULL))
        if (!upstream_bound (exchange, key))
          specifics_bound = FALSE;
    }

  g_hash_table_iter_init (&iter, exchange->upstream);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Upstream *up = value;
      gboolean needed;

      if (collapsed)
        needed = g_str_equal (key, "#") || (!all_bound && g_hash_table_contains (exchange->refs, key));
      else
        needed = g_hash_table_contains (exchange->refs, key) ||
                 /* `#` serves the patterns not confirmed yet. */
                 (g_str_equal (key, "#") && !specifics_bound);

      if (needed || !up->bound)
        continue;

      pi_amqp_client_unbind (self->client, self->queue, exchange->name, up->pattern);
      self->n_upstream--;
      g_hash_table_iter_remove (&iter);
    }

  if (g_hash_table_size (exchange->refs) == 0 && g_hash_table_size (exchange->upstream) == 0)
    g_hash_table_remove (self->exchanges, exchange->name);
}

static Exchange *
exchange_lookup (PiAmqpFanout *self,
                 const char   *name)
{
  Exchange *exchange = g_hash_table_lookup (self->exchanges, name);

  if (exchange == NULL)
    {
      exchange = g_new0 (Exchange, 1);
      exchange->fanout = self;
      exchange->name = g_strdup (name);
      exchange->refs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      exchange->upstream = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, upstream_free);
      g_hash_table_insert (self->exchanges, exchange->name, exchange);
    }

  return exchange;
}

/* Gives up @stream's pairs; the broker loses the bindings no one needs. */
static void
stream_release (PiAmqpFanoutStream *stream)
{
  PiAmqpFanout *self = stream->fanout;

  if (!stream->holds_refs)
    return;
  stream->holds_refs = FALSE;

  for (guint i = 0; i < stream->pairs->len; i += 2)
    {
      const char *pattern = g_ptr_array_index (stream->pairs, i + 1);
      Exchange *exchange = g_hash_table_lookup (self->exchanges, g_ptr_array_index (stream->pairs, i));
      guint n;

      if (exchange == NULL)
        continue;

      n = GPOINTER_TO_UINT (g_hash_table_lookup (exchange->refs, pattern));
      if (n > 1)
        g_hash_table_insert (exchange->refs, g_strdup (pattern), GUINT_TO_POINTER (n - 1));
      else
        g_hash_table_remove (exchange->refs, pattern);
      exchange_reconcile (exchange);
    }
}

/* Sends `ready` once the queue consumes and every answer is in: from then
 * on deliveries reach the stream. */
static void
stream_maybe_ready (PiAmqpFanoutStream *stream)
{
  PiAmqpFanout *self = stream->fanout;

  if (stream->dead || stream->target != NULL || stream->n_waiting > 0 || !self->queue_ready)
    return;

  stream->target = pi_topic_index_add_target (self->index, stream);
  for (guint i = 0; i < stream->pairs->len; i += 2)
    pi_topic_index_bind (self->index, stream->target, g_ptr_array_index (stream->pairs, i),
                         g_ptr_array_index (stream->pairs, i + 1));

  stream->callbacks.ready (stream->user_data);
}

/* No callback follows; the stream stays allocated until unsubscribe, which
 * the callback may call. */
static void
stream_fail (PiAmqpFanoutStream *stream,
             const char         *text)
{
  if (stream->dead)
    return;

  stream->dead = TRUE;
  stream_release (stream);
  if (stream->target != NULL)
    pi_topic_index_remove_target (stream->fanout->index, g_steal_pointer (&stream->target));

  stream_ref (stream);
  stream->callbacks.failed (text, stream->user_data);
  stream_unref (stream);
}

/* --- the queue ------------------------------------------------------------- */

static void
bound_cb (const char *refusal,
          const char *broker_reply,
          gpointer    user_data)
{
  Upstream *up = user_data;
  Exchange *exchange = up->exchange;
  PiAmqpFanout *self = exchange->fanout;
  /* A callback may free the exchange: looked up again by name. */
  g_autofree char *name = g_strdup (exchange->name);
  g_autoptr(GHashTable) waiters = g_steal_pointer (&up->waiters);
  g_autoptr(GPtrArray) holders = NULL;
  g_autofree char *pattern = NULL;
  GHashTableIter iter;
  gpointer key, value;

  up->waiters = waiters_new ();

  if (refusal == NULL)
    {
      up->bound = TRUE;
      /* The stolen set holds them while a `ready` unsubscribes others. */
      g_hash_table_iter_init (&iter, waiters);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          PiAmqpFanoutStream *stream = key;

          if (stream->dead)
            continue;
          stream->n_waiting -= GPOINTER_TO_UINT (value);
          stream_maybe_ready (stream);
        }
      /* No longer wanted while it was on its way? */
      if ((exchange = g_hash_table_lookup (self->exchanges, name)) != NULL)
        exchange_reconcile (exchange);
      return;
    }

  g_debug ("Binding %s/%s refused: %s", exchange->name, up->pattern, refusal);

  pattern = g_strdup (up->pattern);
  /* `#` refused (topic permissions): this exchange keeps its specific
   * patterns from now on, rather than asking again at each new one. */
  if (g_str_equal (pattern, "#"))
    exchange->no_collapse = TRUE;

  /* Forgotten, so that a later stream asks again (the exchange may exist
   * by then). Not re-asked now: whoever needed it is told. */
  self->n_upstream--;
  g_hash_table_remove (exchange->upstream, up->pattern);
  up = NULL;

  /* Told: the streams holding the pattern, whether they waited for it or
   * were served by `#` meanwhile; no other. Events v1 sends the broker's
   * own words for a refused binding. */
  holders = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_unref);
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      PiAmqpFanoutStream *stream = key;

      if (!stream->dead && pair_seen (stream->pairs, name, pattern))
        g_ptr_array_add (holders, stream_ref (stream));
    }
  for (guint i = 0; i < holders->len; i++)
    stream_fail (g_ptr_array_index (holders, i), broker_reply != NULL ? broker_reply : refusal);

  /* stream_fail() may have reconciled it away already; else the specific
   * patterns a refused `#` leaves in place, and a `#` no longer needed. */
  if ((exchange = g_hash_table_lookup (self->exchanges, name)) != NULL)
    exchange_reconcile (exchange);
}

static void
queue_ready_cb (gpointer user_data)
{
  PiAmqpFanout *self = user_data;
  g_autoptr(GPtrArray) streams = g_hash_table_get_keys_as_ptr_array (self->streams);

  self->queue_ready = TRUE;
  g_ptr_array_foreach (streams, (GFunc) stream_ref, NULL);
  for (guint i = 0; i < streams->len; i++)
    {
      stream_maybe_ready (g_ptr_array_index (streams, i));
      stream_unref (g_ptr_array_index (streams, i));
    }
}

static void
queue_deliveries_cb (GPtrArray *items,
                     guint64    last_tag,
                     gpointer   user_data)
{
  PiAmqpFanout *self = user_data;
  g_autoptr(GPtrArray) matches = g_ptr_array_new_with_free_func ((GDestroyNotify) stream_unref);

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);
      guint first = matches->len;

      pi_topic_index_match (self->index, item->exchange, item->routing_key,
                            (const char * const *) item->routes, matches);
      /* A stream may unsubscribe any other in its callback: hold them. */
      for (guint j = first; j < matches->len; j++)
        stream_ref (g_ptr_array_index (matches, j));
      for (guint j = first; j < matches->len; j++)
        {
          PiAmqpFanoutStream *stream = g_ptr_array_index (matches, j);

          if (!stream->dead)
            stream->callbacks.message (item->event, stream->user_data);
        }
      g_ptr_array_set_size (matches, 0);
    }
}

/* What the broker dropped at the queue's x-max-length (the server as a
 * whole fell that far behind), dead-lettered to us: each message is matched
 * as it would have been delivered, and every stream it would have reached
 * is told how many of its messages went, once for the batch (the broker
 * dead-letters a stretch of them in a row), never silently. */
static void
queue_dropped_messages_cb (GPtrArray *drops,
                           gpointer   user_data)
{
  PiAmqpFanout *self = user_data;
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  g_autoptr(GHashTable) counts = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) stream_unref, NULL);
  guint64 n_unmatched = 0;
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < drops->len; i++)
    {
      PiAmqpDropped *dropped = g_ptr_array_index (drops, i);

      pi_topic_index_match (self->index, dropped->exchange, dropped->routing_key,
                            (const char * const *) dropped->routes, matches);
      if (matches->len == 0)
        n_unmatched++;
      for (guint j = 0; j < matches->len; j++)
        {
          PiAmqpFanoutStream *stream = g_ptr_array_index (matches, j);
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, stream));

          /* A key already in keeps its reference, and the new one is dropped. */
          g_hash_table_insert (counts, stream_ref (stream), GUINT_TO_POINTER (n + 1));
        }
      g_ptr_array_set_size (matches, 0);
    }

  g_debug ("The broker dropped %u messages from the server's queue (x-max-length %u): %u streams told, "
           "%" G_GUINT64_FORMAT " messages no stream wanted any more",
           drops->len, self->queue_length, g_hash_table_size (counts), n_unmatched);

  /* A stream may unsubscribe any other in its callback: the table holds
   * them, and a stream gone is not told. */
  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PiAmqpFanoutStream *stream = key;

      if (!stream->dead && stream->callbacks.dropped != NULL)
        stream->callbacks.dropped (GPOINTER_TO_UINT (value), stream->user_data);
    }
}

/* Dead letters without the broker's record of where they were headed
 * (not RabbitMQ's): no stream can be told, but the log says so. */
static void
queue_dropped_cb (guint64  count,
                  gpointer user_data)
{
  PiAmqpFanout *self = user_data;

  g_warning ("The broker dropped %" G_GUINT64_FORMAT " messages from the server's queue (x-max-length %u) "
             "without saying where they were headed: streams were not told",
             count, self->queue_length);
}

static void
queue_close (PiAmqpFanout *self)
{
  if (self->linger_id != 0)
    g_source_destroy (g_main_context_find_source_by_id (self->context, self->linger_id));
  self->linger_id = 0;
  if (self->queue != NULL)
    pi_amqp_client_unsubscribe (self->client, g_steal_pointer (&self->queue));
  self->queue_ready = FALSE;
  g_hash_table_remove_all (self->exchanges);
}

static void
queue_failed_cb (const char    *text,
                 PiAmqpFailure  failure,
                 gpointer       user_data)
{
  PiAmqpFanout *self = user_data;
  g_autoptr(GPtrArray) streams = g_hash_table_get_keys_as_ptr_array (self->streams);

  g_message ("The server's queue failed: %s", text);

  /* Its bindings went with it: nothing to release. */
  g_ptr_array_foreach (streams, (GFunc) stream_ref, NULL);
  for (guint i = 0; i < streams->len; i++)
    ((PiAmqpFanoutStream *) g_ptr_array_index (streams, i))->holds_refs = FALSE;
  queue_close (self);

  for (guint i = 0; i < streams->len; i++)
    {
      stream_fail (g_ptr_array_index (streams, i), text);
      stream_unref (g_ptr_array_index (streams, i));
    }
}

static const PiAmqpSubscriptionCallbacks queue_callbacks = {
  .ready = queue_ready_cb,
  .deliveries = queue_deliveries_cb,
  .failed = queue_failed_cb,
  .dropped = queue_dropped_cb,
  .dropped_messages = queue_dropped_messages_cb,
};

static void
queue_open (PiAmqpFanout *self)
{
  const PiAmqpAddress *address = pi_amqp_client_get_address (self->client);
  g_autofree char *queue_name = pi_amqp_pulse_queue_name (address->user, "pulse-events");
  g_autofree char *dropped_exchange = pi_amqp_pulse_dropped_exchange (address->user, queue_name);
  PiAmqpQueueOptions options = { 0 };

  /* Named as Mozilla Pulse requires; bindings come with the streams. What
   * the broker drops past max_length is dead-lettered to
   * exchange/USER/pulse-events-RANDOM-dropped and told to the streams it
   * was meant for (queue_dropped_messages_cb()). */
  options.queue_name = queue_name;
  options.max_length = self->queue_length;
  options.dropped_exchange = dropped_exchange;
  /* Where the user may not declare it: streams, though with drops untold. */
  options.dropped_optional = TRUE;
  options.all_or_nothing = TRUE;
  self->queue_ready = FALSE;
  self->queue = pi_amqp_client_subscribe (self->client, NULL, 0, &options, &queue_callbacks, self);
  g_debug ("Opening the server's queue %s", queue_name);
}

static gboolean
linger_cb (gpointer user_data)
{
  PiAmqpFanout *self = user_data;

  /* Fired: queue_close() below must not destroy it. */
  self->linger_id = 0;
  g_debug ("No stream for %d s: closing the server's queue", LINGER_S);
  queue_close (self);

  return G_SOURCE_REMOVE;
}

/* --- API --------------------------------------------------------------------- */

PiAmqpFanout *
pi_amqp_fanout_new (PiAmqpClient *client,
                    guint         queue_length,
                    guint         collapse_threshold)
{
  PiAmqpFanout *self = g_new0 (PiAmqpFanout, 1);

  self->client = client;
  self->context = g_main_context_ref_thread_default ();
  self->queue_length = (guint) CLAMP ((guint64) queue_length * PI_AMQP_FANOUT_QUEUE_FACTOR,
                                      PI_AMQP_FANOUT_MIN_QUEUE_LENGTH, G_MAXINT32);
  self->collapse_threshold = collapse_threshold > 0 ? collapse_threshold : PI_AMQP_FANOUT_DEFAULT_COLLAPSE;
  self->exchanges = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, exchange_free);
  self->streams = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) stream_unref, NULL);
  self->index = pi_topic_index_new ();

  return self;
}

void
pi_amqp_fanout_set_max_length (PiAmqpFanout *self,
                               guint         max_length)
{
  self->queue_length = MAX (max_length, 1);
}

void
pi_amqp_fanout_free (PiAmqpFanout *self)
{
  GHashTableIter iter;
  gpointer key;

  if (self == NULL)
    return;

  queue_close (self);
  g_hash_table_iter_init (&iter, self->streams);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      PiAmqpFanoutStream *stream = key;

      stream->dead = TRUE;
      if (stream->target != NULL)
        pi_topic_index_remove_target (self->index, g_steal_pointer (&stream->target));
    }
  g_hash_table_unref (self->streams);
  g_hash_table_unref (self->exchanges);
  pi_topic_index_free (self->index);
  g_main_context_unref (self->context);
  g_free (self);
}

static gboolean
pair_seen (GPtrArray  *pairs,
           const char *exchange,
           const char *pattern)
{
  for (guint i = 0; i < pairs->len; i += 2)
    if (g_str_equal (g_ptr_array_index (pairs, i), exchange) &&
        g_str_equal (g_ptr_array_index (pairs, i + 1), pattern))
      return TRUE;
  return FALSE;
}

static gboolean
ready_idle_cb (gpointer user_data)
{
  stream_maybe_ready (user_data);
  return G_SOURCE_REMOVE;
}

PiAmqpFanoutStream *
pi_amqp_fanout_subscribe (PiAmqpFanout                  *self,
                          const PiAmqpBinding           *bindings,
                          guint                          n_bindings,
                          const PiSubscriptionCallbacks *callbacks,
                          gpointer                       user_data)
{
  PiAmqpFanoutStream *stream = g_rc_box_new0 (PiAmqpFanoutStream);

  stream->fanout = self;
  stream->callbacks = *callbacks;
  stream->user_data = user_data;
  stream->pairs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_bindings; i++)
    {
      if (pair_seen (stream->pairs, bindings[i].exchange, bindings[i].pattern))
        continue;
      g_ptr_array_add (stream->pairs, g_strdup (bindings[i].exchange));
      g_ptr_array_add (stream->pairs, g_strdup (bindings[i].pattern));
    }
  g_hash_table_add (self->streams, stream);

  if (self->linger_id != 0)
    g_source_destroy (g_main_context_find_source_by_id (self->context, self->linger_id));
  self->linger_id = 0;
  if (self->queue == NULL)
    queue_open (self);

  stream->holds_refs = TRUE;
  for (guint i = 0; i < stream->pairs->len; i += 2)
    {
      const char *pattern = g_ptr_array_index (stream->pairs, i + 1);
      Exchange *exchange = exchange_lookup (self, g_ptr_array_index (stream->pairs, i));
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (exchange->refs, pattern));
      Upstream *up;

      g_hash_table_insert (exchange->refs, g_strdup (pattern), GUINT_TO_POINTER (n + 1));
      exchange_reconcile (exchange);

      /* Served by its own binding if there is one, else by `#`. */
      up = g_hash_table_lookup (exchange->upstream, pattern);
      if (up == NULL)
        up = g_hash_table_lookup (exchange->upstream, "#");
      g_assert (up != NULL);
      if (!up->bound)
        {
          waiters_add (up, stream);
          stream->n_waiting++;
        }
    }

  /* Everything it needs may be in place already: `ready` soon, but never
   * from inside this call. */
  if (stream->n_waiting == 0 && self->queue_ready)
    {
      g_autoptr(GSource) idle = g_idle_source_new ();

      g_source_set_priority (idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (idle, ready_idle_cb, stream_ref (stream), (GDestroyNotify) stream_unref);
      g_source_set_static_name (idle, "[pi-amqp] stream ready");
      g_source_attach (idle, self->context);
    }

  return stream;
}

void
pi_amqp_fanout_unsubscribe (PiAmqpFanout       *self,
                            PiAmqpFanoutStream *stream)
{
  stream->dead = TRUE;
  if (stream->target != NULL)
    pi_topic_index_remove_target (self->index, g_steal_pointer (&stream->target));

  /* Answers it awaited no longer concern it: it waits only where its own
   * pairs are served, by their own binding or by `#`. */
  if (stream->n_waiting > 0)
    {
      for (guint i = 0; i < stream->pairs->len; i += 2)
        {
          Exchange *exchange = g_hash_table_lookup (self->exchanges, g_ptr_array_index (stream->pairs, i));
          Upstream *up;

          if (exchange == NULL)
            continue;
          if ((up = g_hash_table_lookup (exchange->upstream, g_ptr_array_index (stream->pairs, i + 1))) != NULL)
            g_hash_table_remove (up->waiters, stream);
          if ((up = g_hash_table_lookup (exchange->upstream, "#")) != NULL)
            g_hash_table_remove (up->waiters, stream);
        }
      stream->n_waiting = 0;
    }

  stream_release (stream);
  g_hash_table_remove (self->streams, stream);

  if (g_hash_table_size (self->streams) == 0 && self->queue != NULL && self->linger_id == 0)
    {
      g_autoptr(GSource) linger = g_timeout_source_new_seconds (LINGER_S);

      g_source_set_callback (linger, linger_cb, self, NULL);
      g_source_set_static_name (linger, "[pi-amqp] queue linger");
      self->linger_id = g_source_attach (linger, self->context);
    }
}

guint
pi_amqp_fanout_get_n_upstream (PiAmqpFanout *self)
{
  return self->n_upstream;
}
