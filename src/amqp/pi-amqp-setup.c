/* pi-amqp-setup.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>

#include <rabbitmq-c/amqp.h>

#include "pi-amqp-setup.h"

/* Setting one subscription up on the broker, on the I/O thread: the
 * exchange and queue that count what the broker drops, a channel with its
 * prefetch, the queue with its length bound and dead-lettering, its
 * bindings (all or nothing, or each on its own), and the consumer. A refusal
 * is put in words for the user and fails the subscription, and what the
 * failed set-up left on the broker is undone. The channels themselves are
 * handed out by pi-amqp-channel.c. */

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
    pi_amqp_io_channel_forget (setup->io, channel);

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
  if ((result = pi_amqp_io_channel_open (io, sub, &sub->dropped_channel, &setup->text)) != RPC_OK)
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
  if ((result = pi_amqp_io_channel_open (io, sub, &sub->channel, &setup->text)) != RPC_OK)
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

  if (pi_amqp_io_channel_close (io, &sub->channel, &text) == RPC_CONNECTION_LOST ||
      pi_amqp_io_channel_close (io, &sub->dropped_channel, &text) == RPC_CONNECTION_LOST ||
      (setup->queue_declared && io_delete_queue (io, setup->queue) == RPC_CONNECTION_LOST))
    {
      *connection_error = text != NULL ? g_steal_pointer (&text) : g_strdup ("Lost the control channel");
      return FALSE;
    }

  return TRUE;
}

gboolean
pi_amqp_setup_subscribe (Io                 *io,
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
