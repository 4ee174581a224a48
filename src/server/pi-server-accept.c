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
 * is refused at once. Out of file descriptors, accept() fails while the
 * listener stays readable; accepting then pauses instead of spinning.
 */

#define ACCEPT_PAUSE_MS  100
#define ACCEPT_BATCH     64

/* Over --max-sockets: a short answer and the door, without reading. The
 * request is not read, so the client may see a reset instead, and a TLS
 * client sees only the door: a server that is full cannot afford more. */
static void
refuse_at_once (PiServer *self,
                GSocket  *socket)
{
  g_autoptr(GBytes) response = pi_server_format_error (self, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                                      PI_SERVER_RETRY_AFTER_FULL,
                                                      "Too many connections: the server is full, try again later",
                                                      NULL);
  char drain[4096];

  g_socket_set_blocking (socket, FALSE);
  if (self->tls_certificate == NULL)
    {
      (void) g_socket_receive (socket, drain, sizeof drain, NULL, NULL);
      (void) g_socket_send (socket, g_bytes_get_data (response, NULL), g_bytes_get_size (response), NULL, NULL);
      g_socket_shutdown (socket, FALSE, TRUE, NULL);
    }
  g_socket_close (socket, NULL);
}

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
          refuse_at_once (self, socket);
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

