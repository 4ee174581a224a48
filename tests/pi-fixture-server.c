/* pi-fixture-server.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-fixture-server"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "pi-fixture-server.h"

typedef enum
{
  STEP_WRITE,
  STEP_SLEEP,
  STEP_HOLD,
} StepKind;

typedef struct
{
  StepKind  kind;
  GBytes   *bytes;
  gsize     piece;
  guint     delay_ms;
} Step;

struct _PiFixtureResponse
{
  GArray   *steps;
  gboolean  no_request;
};

struct _PiFixtureServer
{
  GSocketListener *listener;
  guint16          port;
  GCancellable    *cancellable;
  GThread         *accept_thread;

  GMutex           mutex;
  GCond            cond;
  gboolean         stopping;
  GPtrArray       *responses;
  GPtrArray       *requests;
  GPtrArray       *threads;
  guint            n_closed;
  guint            n_connections;
};

typedef struct
{
  PiFixtureServer   *server;
  GSocketConnection *connection;
  guint              index;
} Connection;

static void
step_clear (gpointer data)
{
  Step *step = data;

  g_clear_pointer (&step->bytes, g_bytes_unref);
}

PiFixtureResponse *
pi_fixture_response_new (void)
{
  PiFixtureResponse *self = g_new0 (PiFixtureResponse, 1);

  self->steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (self->steps, step_clear);
  return self;
}

/* The head of an event stream whose body ends when the connection does. */
PiFixtureResponse *
pi_fixture_response_new_sse (void)
{
  PiFixtureResponse *self = pi_fixture_response_new ();

  pi_fixture_response_write (self,
                             "HTTP/1.1 200 OK\r\n"
                             "Content-Type: text/event-stream\r\n"
                             "Cache-Control: no-cache\r\n"
                             "Connection: close\r\n"
                             "\r\n", -1);
  return self;
}

PiFixtureResponse *
pi_fixture_response_new_status (guint       status,
                                const char *reason,
                                const char *content_type,
                                const char *body)
{
  PiFixtureResponse *self = pi_fixture_response_new ();
  g_autofree char *head = NULL;

  if (body != NULL)
    head = g_strdup_printf ("HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                            "Connection: close\r\n\r\n%s",
                            status, reason, content_type, strlen (body), body);
  else
    head = g_strdup_printf ("HTTP/1.1 %u %s\r\nConnection: close\r\n\r\n", status, reason);
  pi_fixture_response_write (self, head, -1);
  return self;
}

void
pi_fixture_response_write_split (PiFixtureResponse *self,
                                 const char        *bytes,
                                 gssize             len,
                                 gsize              piece,
                                 guint              delay_ms)
{
  Step step = { STEP_WRITE, NULL, piece, delay_ms };

  if (len < 0)
    len = strlen (bytes);
  step.bytes = g_bytes_new (bytes, len);
  g_array_append_val (self->steps, step);
}

void
pi_fixture_response_write (PiFixtureResponse *self,
                           const char        *bytes,
                           gssize             len)
{
  pi_fixture_response_write_split (self, bytes, len, 0, 0);
}

void
pi_fixture_response_sleep (PiFixtureResponse *self,
                           guint              ms)
{
  Step step = { STEP_SLEEP, NULL, 0, ms };

  g_array_append_val (self->steps, step);
}

/* Keep the connection open until the client closes it or the server stops. */
void
pi_fixture_response_hold (PiFixtureResponse *self)
{
  Step step = { STEP_HOLD, NULL, 0, 0 };

  g_array_append_val (self->steps, step);
}

/* Answer at once, without reading a request (e.g. plain bytes to a TLS
 * client, whose handshake is not an HTTP request). */
void
pi_fixture_response_set_no_request (PiFixtureResponse *self)
{
  self->no_request = TRUE;
}

void
pi_fixture_response_free (PiFixtureResponse *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->steps);
  g_free (self);
}

/* Returns FALSE when the server is stopping. */
static gboolean
server_sleep (PiFixtureServer *self,
              guint            ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;
  gboolean stopping;

  g_mutex_lock (&self->mutex);
  while (!self->stopping && g_cond_wait_until (&self->cond, &self->mutex, until))
    ;
  stopping = self->stopping;
  g_mutex_unlock (&self->mutex);

  return !stopping;
}

static char *
read_request_head (GInputStream *in,
                   GCancellable *cancellable)
{
  g_autoptr(GString) head = g_string_new (NULL);
  char c;

  /* Byte by byte: the request is small and nothing after it matters. */
  while (head->len < 64 * 1024)
    {
      if (g_input_stream_read (in, &c, 1, cancellable, NULL) != 1)
        return NULL;
      g_string_append_c (head, c);
      if (g_str_has_suffix (head->str, "\r\n\r\n"))
        return g_string_free (g_steal_pointer (&head), FALSE);
    }

  return NULL;
}

static gpointer
connection_thread (gpointer data)
{
  Connection *conn = data;
  PiFixtureServer *self = conn->server;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn->connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn->connection));
  PiFixtureResponse *response;
  char *head;
  guint i;

  g_mutex_lock (&self->mutex);
  response = self->responses->len == 0 ? NULL :
             g_ptr_array_index (self->responses, MIN (self->n_connections, self->responses->len - 1));
  g_mutex_unlock (&self->mutex);

  if (response == NULL || !response->no_request)
    {
      head = read_request_head (in, self->cancellable);
      if (head == NULL)
        goto out;

      /* An SSE server has no WebSocket endpoints: a client probing a root
       * URL for the WebSocket protocols is refused as a deployment without
       * them refuses it, and the probe neither counts nor takes a response. */
      if (g_strrstr (head, "Upgrade: websocket") != NULL || g_strrstr (head, "upgrade: websocket") != NULL)
        {
          static const char refusal[] = "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

          g_output_stream_write_all (out, refusal, sizeof refusal - 1, NULL, self->cancellable, NULL);
          g_free (head);
          goto out;
        }

      g_mutex_lock (&self->mutex);
      g_ptr_array_add (self->requests, head);
      g_mutex_unlock (&self->mutex);
    }

  g_mutex_lock (&self->mutex);
  conn->index = self->n_connections++;
  response = self->responses->len == 0 ? NULL :
             g_ptr_array_index (self->responses, MIN (conn->index, self->responses->len - 1));
  g_mutex_unlock (&self->mutex);

  if (response == NULL)
    goto out;

  for (i = 0; i < response->steps->len; i++)
    {
      Step *step = &g_array_index (response->steps, Step, i);

      if (step->kind == STEP_WRITE)
        {
          gsize len;
          const char *bytes = g_bytes_get_data (step->bytes, &len);
          gsize piece = step->piece ? step->piece : len;
          gsize done;

          for (done = 0; done < len; done += piece)
            {
              if (!g_output_stream_write_all (out, bytes + done, MIN (piece, len - done),
                                              NULL, self->cancellable, NULL))
                goto closed;
              if (step->delay_ms > 0 && done + piece < len && !server_sleep (self, step->delay_ms))
                goto out;
            }
        }
      else if (step->kind == STEP_SLEEP)
        {
          if (!server_sleep (self, step->delay_ms))
            goto out;
        }
      else if (step->kind == STEP_HOLD)
        {
          char buf[256];
          gssize n;

          /* Returns on the client's close (0 or an error) or on stop. */
          do
            n = g_input_stream_read (in, buf, sizeof buf, self->cancellable, NULL);
          while (n > 0);

          goto closed;
        }
    }
  goto out;

closed:
  if (!g_cancellable_is_cancelled (self->cancellable))
    {
      g_mutex_lock (&self->mutex);
      self->n_closed++;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->mutex);
    }

out:
  g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
  g_object_unref (conn->connection);
  g_free (conn);
  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  PiFixtureServer *self = data;

  for (;;)
    {
      g_autoptr(GSocketConnection) connection = NULL;
      Connection *conn;
      GThread *thread;

      connection = g_socket_listener_accept (self->listener, NULL, self->cancellable, NULL);
      if (connection == NULL)
        break;

      /* Each write must leave as its own segment, or splits would merge. */
      g_socket_set_option (g_socket_connection_get_socket (connection),
                           IPPROTO_TCP, TCP_NODELAY, 1, NULL);

      conn = g_new0 (Connection, 1);
      conn->server = self;
      conn->connection = g_steal_pointer (&connection);
      thread = g_thread_new ("fixture-connection", connection_thread, conn);

      g_mutex_lock (&self->mutex);
      g_ptr_array_add (self->threads, thread);
      g_mutex_unlock (&self->mutex);
    }

  return NULL;
}

PiFixtureServer *
pi_fixture_server_new (void)
{
  PiFixtureServer *self = g_new0 (PiFixtureServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->responses = g_ptr_array_new_with_free_func ((GDestroyNotify) pi_fixture_response_free);
  self->requests = g_ptr_array_new_with_free_func (g_free);
  self->threads = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  self->listener = g_socket_listener_new ();

  g_socket_listener_add_address (self->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));

  self->accept_thread = g_thread_new ("fixture-accept", accept_thread, self);

  return self;
}

/* Takes @response. */
void
pi_fixture_server_add (PiFixtureServer   *self,
                       PiFixtureResponse *response)
{
  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->responses, response);
  g_mutex_unlock (&self->mutex);
}

char *
pi_fixture_server_get_url (PiFixtureServer *self)
{
  return g_strdup_printf ("http://127.0.0.1:%u", self->port);
}

guint16
pi_fixture_server_get_port (PiFixtureServer *self)
{
  return self->port;
}

guint
pi_fixture_server_get_n_requests (PiFixtureServer *self)
{
  guint n;

  g_mutex_lock (&self->mutex);
  n = self->requests->len;
  g_mutex_unlock (&self->mutex);
  return n;
}

char *
pi_fixture_server_dup_request (PiFixtureServer *self,
                               guint            index)
{
  char *head = NULL;

  g_mutex_lock (&self->mutex);
  if (index < self->requests->len)
    head = g_strdup (g_ptr_array_index (self->requests, index));
  g_mutex_unlock (&self->mutex);
  return head;
}

/* Connections that the client closed before their script ended. */
guint
pi_fixture_server_get_n_closed (PiFixtureServer *self)
{
  guint n;

  g_mutex_lock (&self->mutex);
  n = self->n_closed;
  g_mutex_unlock (&self->mutex);
  return n;
}

void
pi_fixture_server_free (PiFixtureServer *self)
{
  guint i;

  if (self == NULL)
    return;

  g_mutex_lock (&self->mutex);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  g_cancellable_cancel (self->cancellable);
  g_thread_join (self->accept_thread);
  g_socket_listener_close (self->listener);

  /* No new thread can appear now that the accept thread is gone. */
  for (i = 0; i < self->threads->len; i++)
    g_thread_join (g_ptr_array_index (self->threads, i));

  g_ptr_array_unref (self->threads);
  g_ptr_array_unref (self->requests);
  g_ptr_array_unref (self->responses);
  g_object_unref (self->listener);
  g_object_unref (self->cancellable);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self);
}

/* A loopback port that nobody listens on (bound, then released). */
guint16
pi_fixture_closed_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}
