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
#include "pi-amqp-setup.h"

/* The I/O thread's work on the subscriptions' channels: handing out and
 * closing channels, carrying out the requests of the main context
 * (unsubscribing, acknowledging, binding and unbinding), and reading the
 * frames that arrive (deliveries, channel closes, cancellations). Setting a
 * subscription up on the broker is in pi-amqp-setup.c, the connection
 * itself in pi-amqp-io.c. */

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
RpcResult
pi_amqp_io_channel_open (Io                 *io,
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
void
pi_amqp_io_channel_forget (Io             *io,
                           amqp_channel_t *channel)
{
  if (*channel == 0)
    return;

  g_hash_table_remove (io->subs, GINT_TO_POINTER (*channel));
  *channel = 0;
}

/* Closes *@channel ourselves: its consumer is cancelled and an auto-delete
 * queue that had one goes with it. */
RpcResult
pi_amqp_io_channel_close (Io             *io,
                          amqp_channel_t *channel,
                          char          **text)
{
  amqp_channel_t id = *channel;
  g_autofree char *why = NULL;
  RpcResult result;

  if (id == 0)
    return RPC_OK;

  pi_amqp_io_channel_forget (io, channel);
  amqp_channel_close (io->conn, id, AMQP_REPLY_SUCCESS);
  result = pi_amqp_io_check_rpc (io, id, &why, NULL, NULL);
  /* Only a lost connection matters to the caller. */
  if (result == RPC_CONNECTION_LOST)
    *text = g_steal_pointer (&why);

  return result;
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
  if (pi_amqp_io_channel_close (io, &sub->channel, &text) == RPC_CONNECTION_LOST ||
      pi_amqp_io_channel_close (io, &sub->dropped_channel, &text) == RPC_CONNECTION_LOST)
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
          ok = pi_amqp_setup_subscribe (io, request->sub, connection_error);
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
              pi_amqp_io_channel_forget (io, &sub->channel);
            else
              pi_amqp_io_channel_forget (io, &sub->dropped_channel);
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
