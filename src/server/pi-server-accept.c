/* pi-server-accept.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include "pi-server-private.h"

/*
 * Accepting client connections on the listening socket of a PiServer, for
 * the connection front (pi-server-conn.c): every connection counts against
 * --max-sockets, streams and short requests alike, and one past the bound
 * gets a 503 (pi_server_conn_refuse_full()). Out of file descriptors,
 * accept() fails while the listener stays readable; accepting then pauses
 * instead of spinning.
 */

#define ACCEPT_PAUSE_MS  100
#define ACCEPT_BATCH     64

static gboolean accept_cb (GSocket      *listener,
                           GIOCondition  condition,
                           gpointer      user_data);

static void
watch_listener (PiServer *self)
{
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (accept_cb), self, NULL);
  g_source_set_static_name (self->accept_source, "[pi] accept");
  g_source_attach (self->accept_source, NULL);
}

static gboolean
resume_accepting_cb (gpointer user_data)
{
  PiServer *self = user_data;

  self->accept_pause_source = 0;
  watch_listener (self);
  return G_SOURCE_REMOVE;
}

static gboolean
accept_cb (GSocket      *listener,
           GIOCondition  condition,
           gpointer      user_data)
{
  PiServer *self = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = g_socket_accept (listener, NULL, &error);

      if (socket == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;

      /* Out of descriptors (the process's or the system's): waiting
       * connections stay in the backlog; watching the listener now would
       * only spin. */
      if (socket == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
        {
          if (!self->out_of_descriptors)
            g_message ("Out of file descriptors: new connections wait (lower --max-sockets or raise the file limit)");
          self->out_of_descriptors = TRUE;
          g_clear_pointer (&self->accept_source, g_source_unref);
          self->accept_pause_source = g_timeout_add (ACCEPT_PAUSE_MS, resume_accepting_cb, self);
          return G_SOURCE_REMOVE;
        }

      if (socket == NULL)
        {
          g_debug ("Could not accept a connection: %s", error->message);
          continue;
        }

      self->out_of_descriptors = FALSE;
      if (self->conns.length >= self->max_sockets_effective)
        {
          g_debug ("Refused a connection: %u open", self->conns.length);
          pi_server_conn_refuse_full (self, socket);
          continue;
        }

      pi_server_conn_start (self, socket);
    }

  return G_SOURCE_CONTINUE;
}

/* Starts accepting on the listening socket of @self. */
void
pi_server_accept_start (PiServer *self)
{
  g_socket_set_blocking (self->listener, FALSE);
  watch_listener (self);
}

void
pi_server_accept_stop (PiServer *self)
{
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  g_clear_handle_id (&self->accept_pause_source, g_source_remove);
}

