/* pi-kill-proxy.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sys/socket.h>

#include "pi-kill-proxy.h"

typedef struct
{
  PiKillProxy       *proxy;
  GSocketConnection *client;
  GSocketConnection *upstream;
  GCancellable      *cancellable;
  gboolean           killed;
} Pair;

struct _PiKillProxy
{
  GSocketService *service;
  guint16         port;
  guint16         target_port;
  GPtrArray      *pairs;    /* of Pair, open ones */
};

static void
pair_free (Pair *pair)
{
  g_clear_object (&pair->client);
  g_clear_object (&pair->upstream);
  g_clear_object (&pair->cancellable);
  g_free (pair);
}

/* A reset, not a FIN: SO_LINGER with a zero timeout makes the close (by
 * the splice, once cancelled) send one. */
static void
linger_zero (GSocketConnection *connection)
{
  struct linger linger = { .l_onoff = 1, .l_linger = 0 };

  if (connection != NULL)
    setsockopt (g_socket_get_fd (g_socket_connection_get_socket (connection)),
                SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
}

static void
reset (GSocketConnection *connection)
{
  if (connection == NULL)
    return;
  linger_zero (connection);
  g_socket_close (g_socket_connection_get_socket (connection), NULL);
}

static void
splice_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Pair *pair = user_data;

  g_io_stream_splice_finish (result, NULL);
  /* The proxy may be gone (freed with the pair still splicing). */
  if (pair->proxy != NULL)
    g_ptr_array_remove_fast (pair->proxy->pairs, pair);
  pair_free (pair);
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pair *pair = user_data;

  pair->upstream = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, NULL);
  if (pair->upstream == NULL || pair->killed || pair->proxy == NULL)
    {
      reset (pair->client);
      reset (pair->upstream);
      if (pair->proxy != NULL)
        g_ptr_array_remove_fast (pair->proxy->pairs, pair);
      pair_free (pair);
      return;
    }

  g_io_stream_splice_async (G_IO_STREAM (pair->client), G_IO_STREAM (pair->upstream),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, pair->cancellable, splice_cb, pair);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  PiKillProxy *self = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  Pair *pair = g_new0 (Pair, 1);

  pair->proxy = self;
  pair->client = g_object_ref (connection);
  pair->cancellable = g_cancellable_new ();
  g_ptr_array_add (self->pairs, pair);
  g_socket_client_connect_to_host_async (client, "127.0.0.1", self->target_port, NULL, connected_cb, pair);

  return TRUE;
}

PiKillProxy *
pi_kill_proxy_new (guint16 target_port)
{
  PiKillProxy *self = g_new0 (PiKillProxy, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  self->target_port = target_port;
  self->pairs = g_ptr_array_new ();
  self->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);

  return self;
}

guint16
pi_kill_proxy_get_port (PiKillProxy *self)
{
  return self->port;
}

guint
pi_kill_proxy_get_n_open (PiKillProxy *self)
{
  return self->pairs->len;
}

/* Cuts every open connection; returns how many. The splices end on a later
 * turn of the main loop. */
guint
pi_kill_proxy_kill_all (PiKillProxy *self)
{
  guint n = 0;

  for (guint i = 0; i < self->pairs->len; i++)
    {
      Pair *pair = g_ptr_array_index (self->pairs, i);

      if (pair->killed)
        continue;
      pair->killed = TRUE;
      /* Still connecting: connected_cb() resets both. */
      if (pair->upstream != NULL)
        {
          linger_zero (pair->client);
          linger_zero (pair->upstream);
          g_cancellable_cancel (pair->cancellable);
        }
      n++;
    }

  return n;
}

void
pi_kill_proxy_free (PiKillProxy *self)
{
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_object_unref (self->service);
  pi_kill_proxy_kill_all (self);
  for (guint i = 0; i < self->pairs->len; i++)
    ((Pair *) g_ptr_array_index (self->pairs, i))->proxy = NULL;
  g_ptr_array_unref (self->pairs);
  g_free (self);
}
