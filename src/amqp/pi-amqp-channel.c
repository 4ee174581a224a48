/* pi-amqp-channel.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <string.h>

#include <rabbitmq-c/amqp.h>

#include "pi-amqp-private.h"

/* The I/O thread's work on the subscriptions' channels: opening a channel,
 * declaring, binding and consuming a queue (and the queue that counts what
 * the broker drops), closing them again, acknowledging, and reading the
 * frames that arrive (deliveries, channel closes, cancellations). The
 * connection itself is in pi-amqp-io.c. */

/* Channel ids rotate instead of being reused at once: frames of a channel we
 * just closed may still sit in librabbitmq's queue, and must not be taken for
 * the next subscription's. */
static amqp_channel_t
io_allocate_channel (Io *io)
{
  int span = io->channel_max - CONTROL_CHANNEL;

  for (int i = 0; i < span; i++)
    {
      int channel = io->next_channel;

      io->next_channel = channel >= io->channel_max ? CONTROL_CHANNEL + 1 : channel + 1;
      if (!g_hash_table_contains (io->subs, GINT_TO_POINTER (channel)))
        return (amqp_channel_t) channel;
    }

  return 0;
}

/* Opens a channel for @sub and files it under its id at once, so that it is
 * not handed out twice and a loss of the connection fails @sub. */
static RpcResult
io_channel_open (Io                 *io,
                 PiAmqpSubscription *sub,
                 amqp_channel_t     *channel,
                 char              **text)
{
  amqp_channel_t id = io_allocate_channel (io);
  RpcResult result;

  if (id == 0)
    {
      *text = g_strdup (_("Too many subscriptions on one broker connection"));
      return RPC_CHANNEL_CLOSED;
    }

  amqp_channel_open (io->conn, id);
  result = pi_amqp_io_check_rpc (io, id, text, NULL, NULL);
  if (result == RPC_OK)
    {
      *channel = id;
      g_hash_table_insert (io->subs, GINT_TO_POINTER (id), pi_amqp_subscription_ref (sub));
    }

  return result;
}

/* The broker closed *@channel (we acknowledged already): forget it. */
static void
io_channel_forget (Io             *io,
                   amqp_channel_t *channel)
{
  if (*channel == 0)
    return;

  g_hash_table_remove (io->subs, GINT_TO_POINTER (*channel));
  *channel = 0;
}

/* Closes *@channel ourselves: its consumer is cancelled and an auto-delete
 * queue that had one goes with it. */
static RpcResult
io_channel_close (Io             *io,
                  amqp_channel_t *channel,
                  char          **text)
{
  amqp_channel_t id = *channel;
  g_autofree char *why = NULL;
  RpcResult result;

  if (id == 0)
    return RPC_OK;

  io_channel_forget (io, channel);
  amqp_channel_close (io->conn, id, AMQP_REPLY_SUCCESS);
  result = pi_amqp_io_check_rpc (io, id, &why, NULL, NULL);
  /* Only a lost connection matters to the caller. */
  if (result == RPC_CONNECTION_LOST)
    *text = g_steal_pointer (&why);

  return result;
}

/* The queue of a subscription whose channel the broker closed is not
 * auto-deleted (it never had a consumer): delete it from the control channel. */
static RpcResult
io_delete_queue (Io         *io,
                 const char *queue)
{
  g_autofree char *text = NULL;
  RpcResult result;

  amqp_queue_delete (io->conn, CONTROL_CHANNEL, amqp_cstring_bytes (queue), 0, 0);
  result = pi_amqp_io_check_rpc (io, CONTROL_CHANNEL, &text, NULL, NULL);
  if (result == RPC_CHANNEL_CLOSED)
    {
      g_debug ("Could not delete a queue: %s", text);
      g_clear_pointer (&text, g_free);
      if (!pi_amqp_io_open_control_channel (io, &text))
        return RPC_CONNECTION_LOST;
      return RPC_OK;
    }

  return result;
}

/* --- subscribing ---------------------------------------------------------------- */

typedef struct
{
  Io                 *io;
  PiAmqpSubscription *sub;
  char               *queue;          /* the declared queue's name */
  char               *dropped_queue;
  gboolean            queue_declared;
  /* Of the last refusal. */
  char               *text;
  char               *message;
  int                 code;
} Setup;

static void
setup_clear (Setup *setup)
{
  g_free (setup->queue);
  g_free (setup->dropped_queue);
  g_free (setup->text);
  g_free (setup->message);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Setup, setup_clear)

/* Checks the reply to the last method on *@channel; on a channel error the
 * channel is gone. */
static RpcResult
setup_check (Setup          *setup,
             amqp_channel_t *channel)
{
  RpcResult result;

  g_clear_pointer (&setup->text, g_free);
  g_clear_pointer (&setup->message, g_free);
  result = pi_amqp_io_check_rpc (setup->io, *channel, &setup->text, &setup->code, &setup->message);
  if (result == RPC_CHANNEL_CLOSED)
    io_channel_forget (setup->io, channel);

  return result;
}

static amqp_table_t
queue_arguments (PiAmqpSubscription *sub,
                 amqp_table_entry_t  entries[2])
{
  amqp_table_t arguments = { 0, entries };

  /* Oldest messages are dropped past x-max-length, so that a client that
   * stops reading cannot fill the broker either (nor have Pulse delete the
   * queue for growing). */
  if (sub->max_length > 0)
    {
      entries[arguments.num_entries].key = amqp_cstring_bytes ("x-max-length");
      entries[arguments.num_entries].value.kind = AMQP_FIELD_KIND_I32;
      entries[arguments.num_entries].value.value.i32 = (int32_t) MIN (sub->max_length, G_MAXINT32);
      arguments.num_entries++;
    }
  /* ...and what it drops goes to the exchange that counts it. */
  if (sub->dropped_exchange != NULL && !sub->dropped_off)
    {
      entries[arguments.num_entries].key = amqp_cstring_bytes ("x-dead-letter-exchange");
      entries[arguments.num_entries].value.kind = AMQP_FIELD_KIND_UTF8;
      entries[arguments.num_entries].value.value.bytes = amqp_cstring_bytes (sub->dropped_exchange);
      arguments.num_entries++;
    }

  return arguments;
}

/* The least x-max-length of a queue of dropped messages: Pulse deletes
 * queues past 20,000. */
#define DROPPED_MIN_LENGTH 10000

/* The exchange the broker dead-letters dropped messages to, and a queue of
 * our own on it, consumed without acks only to count them. Set up before
 * the subscription's queue, so that no drop goes uncounted. */
static RpcResult
setup_dropped (Setup *setup,
               Step  *step)
{
  Io *io = setup->io;
  PiAmqpSubscription *sub = setup->sub;
  amqp_bytes_t queue;
  amqp_table_entry_t entries[1];
  amqp_table_t arguments = { 0, entries };
  RpcResult result;

  *step = STEP_CHANNEL;
  g_clear_pointer (&setup->text, g_free);
  if ((result = io_channel_open (io, sub, &sub->dropped_channel, &setup->text)) != RPC_OK)
    return result;

  *step = STEP_DROPPED_EXCHANGE;
  amqp_exchange_declare (io->conn, sub->dropped_channel, amqp_cstring_bytes (sub->dropped_exchange),
                         amqp_cstring_bytes ("fanout"), FALSE, FALSE, TRUE, FALSE, amqp_empty_table);
  if ((result = setup_check (setup, &sub->dropped_channel)) != RPC_OK)
    return result;

  *step = STEP_DROPPED_QUEUE;
  setup->dropped_queue = g_strconcat (sub->queue_name, "-dropped", NULL);
  queue = amqp_cstring_bytes (setup->dropped_queue);
  /* Bounded as the queue it counts for, and by no fewer than
   * DROPPED_MIN_LENGTH (a short queue drops in bursts): dead letters that
   * pile up while the server cannot read must not grow it without end
   * (Pulse deletes queues that grow); drops past that go uncounted. */
  if (sub->max_length > 0)
    {
      entries[0].key = amqp_cstring_bytes ("x-max-length");
      entries[0].value.kind = AMQP_FIELD_KIND_I32;
      entries[0].value.value.i32 = (int32_t) MIN (MAX (sub->max_length, DROPPED_MIN_LENGTH), G_MAXINT32);
      arguments.num_entries = 1;
    }
  amqp_queue_declare (io->conn, sub->dropped_channel, queue, FALSE, FALSE, TRUE, TRUE, arguments);
  if ((result = setup_check (setup, &sub->dropped_channel)) != RPC_OK)
    return result;

  *step = STEP_BIND;
  amqp_queue_bind (io->conn, sub->dropped_channel, queue, amqp_cstring_bytes (sub->dropped_exchange),
                   amqp_empty_bytes, amqp_empty_table);
  if ((result = setup_check (setup, &sub->dropped_channel)) != RPC_OK)
    return result;

  *step = STEP_CONSUME;
  amqp_basic_consume (io->conn, sub->dropped_channel, queue, amqp_empty_bytes, FALSE, TRUE, TRUE, amqp_empty_table);
  return setup_check (setup, &sub->dropped_channel);
}

/* A channel for the subscription's queue, with its prefetch. */
static RpcResult
setup_channel (Setup *setup,
               Step  *step)
{
  Io *io = setup->io;
  PiAmqpSubscription *sub = setup->sub;
  RpcResult result;

  *step = STEP_CHANNEL;
  g_clear_pointer (&setup->text, g_free);
  if ((result = io_channel_open (io, sub, &sub->channel, &setup->text)) != RPC_OK)
    return result;

  if (sub->prefetch > 0)
    {
      *step = STEP_QOS;
      amqp_basic_qos (io->conn, sub->channel, 0, (uint16_t) MIN (sub->prefetch, G_MAXUINT16), FALSE);
      result = setup_check (setup, &sub->channel);
    }

  return result;
}

static gboolean
binding_seen_before (PiAmqpSubscription *sub,
                     guint               index)
{
  Binding *binding = &g_array_index (sub->bindings, Binding, index);

  for (guint j = 0; j < index; j++)
    {
      Binding *other = &g_array_index (sub->bindings, Binding, j);

      if (g_str_equal (other->exchange, binding->exchange) && g_str_equal (other->pattern, binding->pattern))
        return TRUE;
    }

  return FALSE;
}

/* All or nothing: nowait bindings. A channel runs its methods in order, so
 * the consume-ok that follows confirms every binding, and a failed one
 * closes the channel before it. One round trip instead of one per binding. */
static gboolean
setup_bind_all (Setup  *setup,
                char  **connection_error)
{
  Io *io = setup->io;
  PiAmqpSubscription *sub = setup->sub;

  for (guint i = 0; i < sub->bindings->len; i++)
    {
      Binding *binding = &g_array_index (sub->bindings, Binding, i);
      amqp_queue_bind_t bind;
      int status;

      /* Bound once per binding: a repeated one adds nothing. */
      if (binding_seen_before (sub, i))
        continue;

      bind.ticket = 0;
      bind.queue = amqp_cstring_bytes (setup->queue);
      bind.exchange = amqp_cstring_bytes (binding->exchange);
      bind.routing_key = amqp_cstring_bytes (binding->pattern);
      bind.nowait = TRUE;
      bind.arguments = amqp_empty_table;
      errno = 0;  /* for pi_amqp_describe_status() */
      status = amqp_send_method (io->conn, sub->channel, AMQP_QUEUE_BIND_METHOD, &bind);
      if (status != AMQP_STATUS_OK)
        {
          *connection_error = pi_amqp_describe_status (status);
          return FALSE;
        }
    }

  return TRUE;
}

/* One binding at a time: a refused one is reported and the others go on, on
 * a new channel (the refusal closed the old one; the queue stays). Returns
 * how many were bound, or -1 if the connection went (@result says why). */
static int
setup_bind_each (Setup     *setup,
                 RpcResult *result)
{
  Io *io = setup->io;
  PiAmqpSubscription *sub = setup->sub;
  int n_bound = 0;

  for (guint i = 0; i < sub->bindings->len; i++)
    {
      Binding *binding = &g_array_index (sub->bindings, Binding, i);
      Step step;

      if (binding_seen_before (sub, i))
        continue;

      if (sub->channel == 0 && (*result = setup_channel (setup, &step)) != RPC_OK)
        return -1;

      amqp_queue_bind (io->conn, sub->channel, amqp_cstring_bytes (setup->queue),
                       amqp_cstring_bytes (binding->exchange), amqp_cstring_bytes (binding->pattern),
                       amqp_empty_table);
      *result = setup_check (setup, &sub->channel);
      if (*result == RPC_OK)
        {
          n_bound++;
        }
      else if (*result == RPC_CHANNEL_CLOSED)
        {
          char *words = pi_amqp_explain_refusal (io->address->user, STEP_BIND, setup->queue, binding->exchange,
                                         setup->code, setup->message, setup->text);

          g_debug ("Subscription %p: binding %u refused: %s", sub, i, setup->text);
          pi_amqp_io_emit (io, sub, OUTGOING_BINDING_FAILED, i, words);
        }
      else
        {
          return -1;
        }
    }

  *result = RPC_OK;
  return n_bound;
}

/* Undoes what a failed set-up left: channels still open, and the queue if
 * it never got a consumer. FALSE if the connection went meanwhile. */
static gboolean
setup_abandon (Setup  *setup,
               char  **connection_error)
{
  Io *io = setup->io;
  PiAmqpSubscription *sub = setup->sub;
  g_autofree char *text = NULL;

  if (io_channel_close (io, &sub->channel, &text) == RPC_CONNECTION_LOST ||
      io_channel_close (io, &sub->dropped_channel, &text) == RPC_CONNECTION_LOST ||
      (setup->queue_declared && io_delete_queue (io, setup->queue) == RPC_CONNECTION_LOST))
    {
      *connection_error = text != NULL ? g_steal_pointer (&text) : g_strdup ("Lost the control channel");
      return FALSE;
    }

  return TRUE;
}

static gboolean
io_subscribe (Io                 *io,
              PiAmqpSubscription *sub,
              char              **connection_error)
{
  g_auto(Setup) setup = { io, sub, NULL };
  amqp_table_entry_t entries[2];
  amqp_queue_declare_ok_t *declared;
  RpcResult result = RPC_OK;
  Step step = STEP_CHANNEL;
  char *words;

  if (pi_amqp_subscription_is_cancelled (sub))
    return TRUE;

  /* A refusal of the dropped exchange is tried again on each subscribe
   * (after a reconnect the broker may allow it). */
  sub->dropped_off = FALSE;
  if (sub->dropped_exchange != NULL && (result = setup_dropped (&setup, &step)) != RPC_OK)
    {
      if (result != RPC_CHANNEL_CLOSED || !sub->dropped_optional)
        goto failed;
      /* The refusal closed the channel already. */
      g_message ("The broker refused %s, where dropped messages would be counted (%s): "
                 "the drops of queue %s go uncounted",
                 sub->dropped_exchange, setup.text, sub->queue_name);
      sub->dropped_off = TRUE;
    }

  if ((result = setup_channel (&setup, &step)) != RPC_OK)
    goto failed;

  step = STEP_QUEUE;
  declared = amqp_queue_declare (io->conn, sub->channel,
                                 sub->queue_name != NULL ? amqp_cstring_bytes (sub->queue_name) : amqp_empty_bytes,
                                 FALSE, FALSE, TRUE, TRUE, queue_arguments (sub, entries));
  if ((result = setup_check (&setup, &sub->channel)) != RPC_OK)
    goto failed;
  setup.queue = g_strndup (declared->queue.bytes, declared->queue.len);
  setup.queue_declared = TRUE;

  step = STEP_BIND;
  if (sub->all_or_nothing)
    {
      if (!setup_bind_all (&setup, connection_error))
        return FALSE;
    }
  else
    {
      int n_bound = setup_bind_each (&setup, &result);

      if (n_bound < 0)
        goto failed;
      if (n_bound == 0 && sub->bindings->len > 0)
        {
          pi_amqp_io_fail (io, sub, PI_AMQP_FAILURE_REFUSED,
                           g_strdup (_("The broker refused every binding: nothing would arrive")));
          return setup_abandon (&setup, connection_error);
        }
      if (sub->channel == 0 && (result = setup_channel (&setup, &step)) != RPC_OK)
        goto failed;
    }

  /* No acks without a prefetch: the broker pushes as fast as we read, and
   * the caller bounds and counts what it cannot take (the server's
   * `dropped` event). With a prefetch the broker holds the rest. */
  step = STEP_CONSUME;
  amqp_basic_consume (io->conn, sub->channel, amqp_cstring_bytes (setup.queue), amqp_empty_bytes,
                      FALSE, sub->prefetch == 0, TRUE, amqp_empty_table);
  if ((result = setup_check (&setup, &sub->channel)) != RPC_OK)
    goto failed;

  g_debug ("Subscription %p consuming %s on channel %u", sub, setup.queue, sub->channel);
  g_free (sub->declared_queue);
  sub->declared_queue = g_strdup (setup.queue);
  pi_amqp_io_emit (io, sub, OUTGOING_READY, 0, NULL);

  /* Unsubscribed while we were setting up: the request that follows in the
   * queue closes the channels. */
  return TRUE;

failed:
  if (result == RPC_CONNECTION_LOST)
    {
      *connection_error = g_steal_pointer (&setup.text);
      return FALSE;
    }

  /* All or nothing is events v1, whose clients get the original service's
   * wording for a refused binding: the broker's own. */
  if (sub->all_or_nothing && step == STEP_CONSUME)
    words = g_strdup (setup.text);
  else
    words = pi_amqp_explain_refusal (io->address->user, step,
                             step == STEP_DROPPED_EXCHANGE ? sub->dropped_exchange :
                             step == STEP_DROPPED_QUEUE ? setup.dropped_queue : sub->queue_name,
                             NULL, setup.code, setup.message, setup.text);
  pi_amqp_io_fail (io, sub, PI_AMQP_FAILURE_REFUSED, words);

  return setup_abandon (&setup, connection_error);
}

static gboolean
io_unsubscribe (Io                 *io,
                PiAmqpSubscription *sub,
                char              **connection_error)
{
  g_autofree char *text = NULL;

  /* Closing the channels cancels the consumers; the exclusive,
   * auto-delete queues go with them, and the exchange for drops with its
   * queue. */
  if (io_channel_close (io, &sub->channel, &text) == RPC_CONNECTION_LOST ||
      io_channel_close (io, &sub->dropped_channel, &text) == RPC_CONNECTION_LOST)
    {
      *connection_error = g_steal_pointer (&text);
      return FALSE;
    }

  g_debug ("Subscription %p closed", sub);
  return TRUE;
}

static gboolean
io_ack (Io                 *io,
        PiAmqpSubscription *sub,
        guint64             tag,
        char              **connection_error)
{
  int status;

  if (sub->channel == 0 || pi_amqp_subscription_is_cancelled (sub))
    return TRUE;

  errno = 0;
  status = amqp_basic_ack (io->conn, sub->channel, tag, TRUE);
  if (status != AMQP_STATUS_OK)
    {
      *connection_error = pi_amqp_describe_status (status);
      return FALSE;
    }

  return TRUE;
}

/* Binds or unbinds a live subscription's queue on the control channel, not
 * on the consuming one: a refusal closes the channel it was made on, and
 * closing the consuming channel would cancel the consumer (and with it
 * delete the auto-delete queue). The control channel is reopened. */
static gboolean
io_rebind (Io       *io,
           Request  *request,
           char    **connection_error)
{
  PiAmqpSubscription *sub = request->sub;
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;
  gboolean bind = request->kind == REQUEST_BIND;
  RpcResult result;
  int code = 0;

  if (pi_amqp_subscription_is_cancelled (sub))
    return TRUE;

  if (sub->io_failed || sub->channel == 0 || sub->declared_queue == NULL)
    {
      /* Only seen if the subscription has not failed yet in the caller's
       * context; it is about to. */
      if (bind)
        pi_amqp_io_emit_bound (io, request, g_strdup (_("The subscription is over")), NULL);
      return TRUE;
    }

  if (bind)
    amqp_queue_bind (io->conn, CONTROL_CHANNEL, amqp_cstring_bytes (sub->declared_queue),
                     amqp_cstring_bytes (request->exchange), amqp_cstring_bytes (request->pattern),
                     amqp_empty_table);
  else
    amqp_queue_unbind (io->conn, CONTROL_CHANNEL, amqp_cstring_bytes (sub->declared_queue),
                       amqp_cstring_bytes (request->exchange), amqp_cstring_bytes (request->pattern),
                       amqp_empty_table);
  result = pi_amqp_io_check_rpc (io, CONTROL_CHANNEL, &text, &code, &message);

  if (result == RPC_CONNECTION_LOST)
    {
      *connection_error = g_steal_pointer (&text);
      return FALSE;
    }

  if (result == RPC_CHANNEL_CLOSED)
    {
      g_debug ("Subscription %p: %s of %s/%s refused: %s", sub, bind ? "binding" : "unbinding",
               request->exchange, request->pattern, text);
      if (bind)
        pi_amqp_io_emit_bound (io, request,
                               pi_amqp_explain_refusal (io->address->user, STEP_BIND, sub->declared_queue,
                                                        request->exchange, code, message, text),
                               g_strdup (text));
      return pi_amqp_io_open_control_channel (io, connection_error);
    }

  if (bind)
    pi_amqp_io_emit_bound (io, request, NULL, NULL);
  return TRUE;
}

gboolean
pi_amqp_io_process_requests (Io    *io,
                             char **connection_error)
{
  Request *request;

  while ((request = pi_amqp_io_pop_request (io)))
    {
      gboolean ok = TRUE;

      switch (request->kind)
        {
        case REQUEST_SUBSCRIBE:
          ok = io_subscribe (io, request->sub, connection_error);
          if (!ok && !pi_amqp_subscription_is_cancelled (request->sub) &&
              request->sub->channel == 0 && request->sub->dropped_channel == 0)
            {
              /* Lost in the middle of setting up, before it held a channel
               * that io_fail_all() would find: it never got `ready`. */
              pi_amqp_io_fail (io, request->sub, PI_AMQP_FAILURE_LOST,
                               g_strdup_printf (_("Lost the connection to the broker: %s"), *connection_error));
            }
          break;

        case REQUEST_UNSUBSCRIBE:
          ok = io_unsubscribe (io, request->sub, connection_error);
          break;

        case REQUEST_ACK:
          ok = io_ack (io, request->sub, request->tag, connection_error);
          break;

        case REQUEST_BIND:
        case REQUEST_UNBIND:
          ok = io_rebind (io, request, connection_error);
          break;

        default:
          g_assert_not_reached ();
        }

      pi_amqp_request_free (request);
      if (!ok)
        return FALSE;
    }

  return TRUE;
}

static char **
routes_from_properties (amqp_basic_properties_t *properties)
{
  g_autoptr(GPtrArray) routes = NULL;

  if (!(properties->_flags & AMQP_BASIC_HEADERS_FLAG))
    return NULL;

  for (int i = 0; i < properties->headers.num_entries; i++)
    {
      amqp_table_entry_t *entry = &properties->headers.entries[i];
      amqp_array_t *array;

      if (entry->key.len != 2 || memcmp (entry->key.bytes, "CC", 2) != 0 ||
          entry->value.kind != AMQP_FIELD_KIND_ARRAY)
        continue;

      array = &entry->value.value.array;
      for (int j = 0; j < array->num_entries; j++)
        {
          amqp_field_value_t *value = &array->entries[j];
          amqp_bytes_t bytes;

          if (value->kind != AMQP_FIELD_KIND_UTF8 && value->kind != AMQP_FIELD_KIND_BYTES)
            continue;
          bytes = value->value.bytes;
          if (bytes.len < 6 || memcmp (bytes.bytes, "route.", 6) != 0)
            continue;

          if (routes == NULL)
            routes = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (routes, g_strndup ((const char *) bytes.bytes + 6, bytes.len - 6));
        }
    }

  if (routes == NULL)
    return NULL;

  g_ptr_array_add (routes, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&routes), FALSE);
}

static char *
bytes_dup (amqp_bytes_t bytes)
{
  return g_strndup (bytes.bytes, bytes.len);
}

static gboolean
field_is_string (const amqp_field_value_t *value)
{
  return value->kind == AMQP_FIELD_KIND_UTF8 || value->kind == AMQP_FIELD_KIND_BYTES;
}

static const amqp_field_value_t *
table_get (const amqp_table_t *table,
           const char         *key)
{
  gsize key_len = strlen (key);

  for (int i = 0; i < table->num_entries; i++)
    if (table->entries[i].key.len == key_len && memcmp (table->entries[i].key.bytes, key, key_len) == 0)
      return &table->entries[i].value;
  return NULL;
}

/* Where a dead-lettered message was headed, from the broker's record of
 * its last death (x-death, newest first): the exchange it was published
 * to and its routing keys, the first the message's own and the others its
 * CC header's (RabbitMQ's dead-letter documentation). NULL without one. */
static PiAmqpDropped *
dropped_from_properties (const amqp_basic_properties_t *properties)
{
  const amqp_field_value_t *deaths, *exchange, *keys;
  const amqp_table_t *death;
  g_autoptr(GPtrArray) routes = NULL;
  PiAmqpDropped *dropped;

  if (!(properties->_flags & AMQP_BASIC_HEADERS_FLAG))
    return NULL;
  deaths = table_get (&properties->headers, "x-death");
  if (deaths == NULL || deaths->kind != AMQP_FIELD_KIND_ARRAY || deaths->value.array.num_entries < 1 ||
      deaths->value.array.entries[0].kind != AMQP_FIELD_KIND_TABLE)
    return NULL;

  death = &deaths->value.array.entries[0].value.table;
  exchange = table_get (death, "exchange");
  keys = table_get (death, "routing-keys");
  if (exchange == NULL || !field_is_string (exchange) ||
      keys == NULL || keys->kind != AMQP_FIELD_KIND_ARRAY || keys->value.array.num_entries < 1 ||
      !field_is_string (&keys->value.array.entries[0]))
    return NULL;

  dropped = g_new0 (PiAmqpDropped, 1);
  dropped->exchange = bytes_dup (exchange->value.bytes);
  dropped->routing_key = bytes_dup (keys->value.array.entries[0].value.bytes);
  for (int i = 1; i < keys->value.array.num_entries; i++)
    {
      const amqp_field_value_t *key = &keys->value.array.entries[i];

      if (!field_is_string (key) || key->value.bytes.len < 6 || memcmp (key->value.bytes.bytes, "route.", 6) != 0)
        continue;
      if (routes == NULL)
        routes = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (routes, g_strndup ((const char *) key->value.bytes.bytes + 6, key->value.bytes.len - 6));
    }
  if (routes != NULL)
    {
      g_ptr_array_add (routes, NULL);
      dropped->routes = (char **) g_ptr_array_free (g_steal_pointer (&routes), FALSE);
    }

  return dropped;
}

static gboolean
io_handle_delivery (Io              *io,
                    amqp_frame_t    *frame,
                    char           **connection_error)
{
  amqp_basic_deliver_t *deliver = frame->payload.method.decoded;
  g_autofree char *exchange = g_strndup (deliver->exchange.bytes, deliver->exchange.len);
  g_autofree char *routing_key = g_strndup (deliver->routing_key.bytes, deliver->routing_key.len);
  guint64 tag = deliver->delivery_tag;
  gboolean redelivered = deliver->redelivered;
  g_auto(GStrv) routes = NULL;
  PiAmqpSubscription *sub;
  amqp_rpc_reply_t reply;
  amqp_message_t message;

  /* Always read the content, even for a channel we closed: it follows the
   * method on the wire and must not be mistaken for the next frame. */
  reply = amqp_read_message (io->conn, frame->channel, &message, 0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL)
    {
      *connection_error = pi_amqp_describe_reply (reply);
      return FALSE;
    }

  sub = g_hash_table_lookup (io->subs, GINT_TO_POINTER (frame->channel));
  if (sub != NULL && !pi_amqp_subscription_is_cancelled (sub))
    {
      PiAmqpDropped *dropped;

      if (frame->channel == sub->dropped_channel && sub->callbacks.dropped_messages != NULL &&
          (dropped = dropped_from_properties (&message.properties)) != NULL)
        {
          pi_amqp_io_emit_dropped_message (io, sub, dropped);
        }
      else if (frame->channel == sub->dropped_channel)
        {
          pi_amqp_io_emit_dropped (io, sub);
        }
      else
        {
          PiAmqpDelivery delivery;

          routes = routes_from_properties (&message.properties);
          delivery.exchange = exchange;
          delivery.routing_key = routing_key;
          delivery.routes = (const char * const *) routes;
          delivery.redelivered = redelivered;
          delivery.body = message.body.bytes;
          delivery.body_len = message.body.len;
          delivery.delivery_tag = tag;
          pi_amqp_io_emit_delivery (io, sub, &delivery);
        }
    }

  amqp_destroy_message (&message);
  return TRUE;
}

gboolean
pi_amqp_io_handle_frame (Io              *io,
                         amqp_frame_t    *frame,
                         char           **connection_error)
{
  PiAmqpSubscription *sub;

  if (frame->frame_type != AMQP_FRAME_METHOD)
    return TRUE;   /* stray content of a closed channel */

  switch (frame->payload.method.id)
    {
    case AMQP_BASIC_DELIVER_METHOD:
      return io_handle_delivery (io, frame, connection_error);

    case AMQP_CHANNEL_CLOSE_METHOD:
      {
        amqp_channel_close_ok_t close_ok = { 0 };
        g_autofree char *text = pi_amqp_describe_method (&frame->payload.method);

        if (amqp_send_method (io->conn, frame->channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok) != AMQP_STATUS_OK)
          {
            *connection_error = g_steal_pointer (&text);
            return FALSE;
          }
        if (frame->channel == CONTROL_CHANNEL)
          return pi_amqp_io_open_control_channel (io, connection_error);

        sub = g_hash_table_lookup (io->subs, GINT_TO_POINTER (frame->channel));
        if (sub != NULL)
          {
            gboolean ok;

            /* The subscription is over: its other channel goes too. */
            pi_amqp_subscription_ref (sub);
            if (frame->channel == sub->channel)
              io_channel_forget (io, &sub->channel);
            else
              io_channel_forget (io, &sub->dropped_channel);
            pi_amqp_io_fail (io, sub, PI_AMQP_FAILURE_REFUSED, g_steal_pointer (&text));
            ok = io_unsubscribe (io, sub, connection_error);
            pi_amqp_subscription_unref (sub);
            return ok;
          }
        return TRUE;
      }

    case AMQP_BASIC_CANCEL_METHOD:
      /* The broker ended the consumer: someone deleted the queue. */
      sub = g_hash_table_lookup (io->subs, GINT_TO_POINTER (frame->channel));
      if (sub != NULL)
        {
          gboolean ok;

          /* io_unsubscribe() drops the table's references: hold one. */
          pi_amqp_subscription_ref (sub);
          pi_amqp_io_fail (io, sub, PI_AMQP_FAILURE_LOST,
                           g_strdup (_("The broker cancelled the subscription: its queue was deleted")));
          ok = io_unsubscribe (io, sub, connection_error);
          pi_amqp_subscription_unref (sub);
          return ok;
        }
      return TRUE;

    case AMQP_CONNECTION_CLOSE_METHOD:
      {
        amqp_connection_close_ok_t close_ok = { 0 };

        *connection_error = pi_amqp_describe_method (&frame->payload.method);
        amqp_send_method (io->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
        return FALSE;
      }

    case AMQP_CONNECTION_BLOCKED_METHOD:
      g_message ("The broker blocked the connection (it is short of resources)");
      return TRUE;

    case AMQP_CONNECTION_UNBLOCKED_METHOD:
      g_message ("The broker unblocked the connection");
      return TRUE;

    default:
      g_debug ("Ignoring method 0x%08x on channel %u", frame->payload.method.id, frame->channel);
      return TRUE;
    }
}
