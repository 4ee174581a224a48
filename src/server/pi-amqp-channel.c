/* pi-amqp-channel.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <rabbitmq-c/amqp.h>

#include "pi-amqp-private.h"
#include "pi-event-format.h"

/* The I/O thread's work on the subscriptions' channels: opening a channel,
 * declaring, binding and consuming a queue, closing it again, and reading
 * the frames that arrive (deliveries, channel closes, cancellations). The
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

/* The queue of a subscription whose channel the broker closed is not
 * auto-deleted (it never had a consumer): delete it from the control channel. */
static RpcResult
io_delete_queue (Io           *io,
                 amqp_bytes_t  queue)
{
  g_autofree char *text = NULL;
  RpcResult result;

  amqp_queue_delete (io->conn, CONTROL_CHANNEL, queue, 0, 0);
  result = pi_amqp_io_check_rpc (io, CONTROL_CHANNEL, &text);
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

static gboolean
io_subscribe (Io              *io,
              PiSubscription  *sub,
              char           **connection_error)
{
  g_autofree char *text = NULL;
  g_autofree char *queue_name = NULL;
  amqp_table_entry_t argument;
  amqp_table_t arguments;
  amqp_queue_declare_ok_t *declared;
  amqp_queue_bind_t bind;
  amqp_bytes_t queue;
  int status;
  amqp_channel_t channel;
  RpcResult result;

  if (pi_amqp_subscription_is_cancelled (sub))
    return TRUE;

  channel = io_allocate_channel (io);
  if (channel == 0)
    {
      pi_amqp_io_fail (io, sub, g_strdup ("Too many subscriptions on one broker connection"));
      return TRUE;
    }

  amqp_channel_open (io->conn, channel);
  if ((result = pi_amqp_io_check_rpc (io, channel, &text)) != RPC_OK)
    goto failed;

  /* Oldest messages are dropped past x-max-length, so that a client that
   * stops reading cannot fill the broker either. */
  argument.key = amqp_cstring_bytes ("x-max-length");
  argument.value.kind = AMQP_FIELD_KIND_I32;
  argument.value.value.i32 = (int32_t) MIN (io->queue_length, G_MAXINT32);
  arguments.num_entries = 1;
  arguments.entries = &argument;

  declared = amqp_queue_declare (io->conn, channel, amqp_empty_bytes,
                                 FALSE, FALSE, TRUE, TRUE, arguments);
  if ((result = pi_amqp_io_check_rpc (io, channel, &text)) != RPC_OK)
    goto failed;

  queue_name = g_strndup (declared->queue.bytes, declared->queue.len);
  queue = amqp_cstring_bytes (queue_name);

  for (guint i = 0; i < sub->bindings->len; i++)
    {
      Binding *binding = &g_array_index (sub->bindings, Binding, i);
      gboolean seen = FALSE;

      /* Bound once per binding: a repeated one adds nothing. */
      for (guint j = 0; j < i && !seen; j++)
        {
          Binding *other = &g_array_index (sub->bindings, Binding, j);
          seen = g_str_equal (other->exchange, binding->exchange) &&
                 g_str_equal (other->pattern, binding->pattern);
        }
      if (seen)
        continue;

      /* nowait: a channel runs its methods in order, so the consume-ok
       * below confirms every binding, and a failed one closes the channel
       * before it. One round trip instead of one per binding. */
      bind.ticket = 0;
      bind.queue = queue;
      bind.exchange = amqp_cstring_bytes (binding->exchange);
      bind.routing_key = amqp_cstring_bytes (binding->pattern);
      bind.nowait = TRUE;
      bind.arguments = amqp_empty_table;
      errno = 0;  /* for pi_amqp_describe_status() */
      status = amqp_send_method (io->conn, channel, AMQP_QUEUE_BIND_METHOD, &bind);
      if (status != AMQP_STATUS_OK)
        {
          *connection_error = pi_amqp_describe_status (status);
          return FALSE;
        }
    }

  /* no-ack: the broker pushes as fast as we read, and the HTTP front bounds
   * and counts what a slow client cannot take (the `dropped` event). The
   * broker queue only fills while this connection itself is stalled. */
  amqp_basic_consume (io->conn, channel, queue, amqp_empty_bytes,
                      FALSE, TRUE, TRUE, amqp_empty_table);
  if ((result = pi_amqp_io_check_rpc (io, channel, &text)) != RPC_OK)
    goto failed;

  sub->channel = channel;
  g_hash_table_insert (io->subs, GINT_TO_POINTER (channel), pi_amqp_subscription_ref (sub));
  g_debug ("Subscription %p consuming %s on channel %u", sub, queue_name, channel);
  pi_amqp_io_emit (io, sub, OUTGOING_READY, NULL, NULL);

  /* Unsubscribed while we were setting up: the request that follows in the
   * queue closes the channel. */
  return TRUE;

failed:
  if (result == RPC_CONNECTION_LOST)
    {
      *connection_error = g_steal_pointer (&text);
      return FALSE;
    }

  pi_amqp_io_fail (io, sub, g_steal_pointer (&text));
  if (queue_name != NULL && io_delete_queue (io, queue) == RPC_CONNECTION_LOST)
    {
      *connection_error = g_strdup ("Lost the control channel");
      return FALSE;
    }

  return TRUE;
}

static gboolean
io_unsubscribe (Io              *io,
                PiSubscription  *sub,
                char           **connection_error)
{
  g_autofree char *text = NULL;
  amqp_channel_t channel = sub->channel;

  if (channel == 0 || g_hash_table_lookup (io->subs, GINT_TO_POINTER (channel)) != sub)
    return TRUE;

  sub->channel = 0;
  g_hash_table_remove (io->subs, GINT_TO_POINTER (channel));

  /* Closing the channel cancels the consumer; the exclusive, auto-delete
   * queue goes with it. */
  amqp_channel_close (io->conn, channel, AMQP_REPLY_SUCCESS);
  if (pi_amqp_io_check_rpc (io, channel, &text) == RPC_CONNECTION_LOST)
    {
      *connection_error = g_steal_pointer (&text);
      return FALSE;
    }

  g_debug ("Subscription %p closed channel %u", sub, channel);
  return TRUE;
}

gboolean
pi_amqp_io_process_requests (Io    *io,
                             char **connection_error)
{
  Request *request;

  while ((request = pi_amqp_io_pop_request (io)))
    {
      gboolean ok;

      if (request->kind == REQUEST_SUBSCRIBE)
        ok = io_subscribe (io, request->sub, connection_error);
      else
        ok = io_unsubscribe (io, request->sub, connection_error);

      if (!ok && request->kind == REQUEST_SUBSCRIBE && !pi_amqp_subscription_is_cancelled (request->sub))
        {
          /* Lost in the middle of setting up: it never got `ready`. */
          pi_amqp_io_fail (io, request->sub,
                           g_strdup_printf ("Lost the connection to the broker: %s", *connection_error));
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

static gboolean
io_handle_delivery (Io              *io,
                    amqp_frame_t    *frame,
                    char           **connection_error)
{
  amqp_basic_deliver_t *deliver = frame->payload.method.decoded;
  g_autofree char *exchange = g_strndup (deliver->exchange.bytes, deliver->exchange.len);
  g_autofree char *routing_key = g_strndup (deliver->routing_key.bytes, deliver->routing_key.len);
  gboolean redelivered = deliver->redelivered;
  g_auto(GStrv) routes = NULL;
  PiSubscription *sub;
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
      routes = routes_from_properties (&message.properties);
      pi_amqp_io_emit (io, sub, OUTGOING_MESSAGE,
                       pi_event_format_message (exchange, routing_key,
                                                (const char * const *) routes, redelivered,
                                                message.body.bytes, message.body.len),
                       NULL);
    }

  amqp_destroy_message (&message);
  return TRUE;
}

gboolean
pi_amqp_io_handle_frame (Io              *io,
                         amqp_frame_t    *frame,
                         char           **connection_error)
{
  PiSubscription *sub;

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

        if (g_hash_table_steal_extended (io->subs, GINT_TO_POINTER (frame->channel), NULL, (gpointer *) &sub))
          {
            sub->channel = 0;
            pi_amqp_io_fail (io, sub, g_steal_pointer (&text));
            pi_amqp_subscription_unref (sub);
          }
        return TRUE;
      }

    case AMQP_BASIC_CANCEL_METHOD:
      /* The broker ended the consumer: someone deleted the queue. */
      sub = g_hash_table_lookup (io->subs, GINT_TO_POINTER (frame->channel));
      if (sub != NULL)
        {
          gboolean ok;

          /* io_unsubscribe() drops the table's reference: hold one. */
          pi_amqp_subscription_ref (sub);
          pi_amqp_io_fail (io, sub, g_strdup ("The broker cancelled the subscription: its queue was deleted"));
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
