/* pi-http-front-conn.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-http-front"

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "pi-handover-stream.h"
#include "pi-http-front-private.h"
#include "pi-http-head.h"

/*
 * One client connection of a PiHttpFront: taken as accepted
 * (pi-http-front.c), its request read whole, and only then handed to
 * libsoup (soup_server_accept_iostream), which parses the request, calls
 * the handler and writes the response. Why not let SoupServer listen:
 *
 * - libsoup (3.2 and 3.6 alike) has no read timeout on the server side: a
 *   client that sends a byte a second keeps its connection, and its file
 *   descriptor, for ever. Here every connection has a deadline
 *   (--request-timeout) to deliver its whole request, and gets a 408 if not.
 * - libsoup gives up on a request head longer than its limit (64 KiB in 3.2,
 *   100 KiB in 3.6) without an answer: its socket is closed with the request
 *   unread, which the client sees as a TCP reset. The front bounds the head
 *   below libsoup's smallest limit and answers 414 or 431 with a reason.
 * - a request body is bounded (--max-body) from its Content-Length before it
 *   is read: 413 with a reason, and nothing buffered.
 * - every connection counts, streams and short requests alike, against
 *   --max-sockets (pi-http-front.c); libsoup's listener, once out of
 *   descriptors, would spin on a listener it cannot accept from.
 *
 * A connection is handed over with everything read so far replayed
 * (PiHandoverStream), so libsoup never waits on the network for a request.
 * libsoup serves one request per connection here: without listeners of its
 * own it closes every connection after its response (and our responses say
 * `Connection: close`), so no connection is left idle between requests.
 * Closing the handed-over stream is how the front learns a connection ended.
 *
 * Responses the front writes itself (408, 411, 413, 414, 431, 503) have the
 * same JSON body and CORS headers as the handler's errors, then the
 * connection is closed gracefully: our side first, then what the client
 * still sends is read and dropped for a moment (lingering close), so that
 * the client reads the answer instead of a reset.
 */

#define HEAD_CHUNK              4096
#define BODY_CHUNK              65536
#define LINGER_MS               2000
#define MAX_LINGERING_REFUSALS  16
#define SERVER_FULL             "Too many connections: the server is full, try again later"

struct _PiHttpFrontConn
{
  PiHttpFront      *front;           /* borrowed; NULL once closed */
  GQueue           *queue;           /* the front's, that @link is in */
  GList             link;
  GSocket          *socket;
  GIOStream        *stream;          /* a GSocketConnection, or TLS over it */
  GSocketAddress   *local_address;
  GSocketAddress   *remote_address;
  GCancellable     *cancellable;
  guint             deadline_source;
  guint             linger_source;
  GByteArray       *buffer;          /* the request as read so far, then room for a read */
  gsize             filled;          /* how much of @buffer is request */
  gsize             head_length;     /* 0 until the head is complete */
  gsize             request_length;  /* head and body, once the head is read */
  char             *origin;
  GBytes           *response;        /* our own answer, while it is written */
  PiHandoverStream *handover;
  gboolean          handover_closed;
  gboolean          timed_out;
};

static void conn_read_more (PiHttpFrontConn *conn);

static GQuark
conn_quark (void)
{
  return g_quark_from_static_string ("pi-http-front-conn");
}

static PiHttpFrontConn *
conn_ref (PiHttpFrontConn *conn)
{
  return g_rc_box_acquire (conn);
}

/* The last reference: no operation is pending any more, so the connection
 * can be closed now without pulling the socket from under one. */
static void
conn_clear (PiHttpFrontConn *conn)
{
  if (conn->handover == NULL && conn->stream != NULL)
    g_io_stream_close (conn->stream, NULL, NULL);

  g_clear_object (&conn->socket);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->local_address);
  g_clear_object (&conn->remote_address);
  g_clear_object (&conn->cancellable);
  g_clear_pointer (&conn->buffer, g_byte_array_unref);
  g_clear_pointer (&conn->origin, g_free);
  g_clear_pointer (&conn->response, g_bytes_unref);
}

static void
conn_unref (PiHttpFrontConn *conn)
{
  g_rc_box_release_full (conn, (GDestroyNotify) conn_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiHttpFrontConn, conn_unref)

static void
handover_closed_cb (PiHandoverStream *handover,
                    PiHttpFrontConn  *conn);

/* Ends @conn: it no longer counts, and whatever it was waiting for stops. */
static void
conn_close (PiHttpFrontConn *conn)
{
  PiHttpFront *self = conn->front;

  if (self == NULL)
    return;

  g_queue_unlink (conn->queue, &conn->link);
  conn->front = NULL;
  if (conn->queue == &self->conns)
    pi_http_front_check_limit (self);

  g_clear_handle_id (&conn->deadline_source, g_source_remove);
  g_clear_handle_id (&conn->linger_source, g_source_remove);
  g_cancellable_cancel (conn->cancellable);

  if (conn->remote_address != NULL &&
      g_object_get_qdata (G_OBJECT (conn->remote_address), conn_quark ()) == conn)
    g_object_set_qdata (G_OBJECT (conn->remote_address), conn_quark (), NULL);

  if (conn->handover != NULL)
    {
      g_signal_handlers_disconnect_by_func (conn->handover, handover_closed_cb, conn);
      /* Only when the front goes first: libsoup closed it otherwise. */
      if (!conn->handover_closed)
        g_io_stream_close (G_IO_STREAM (conn->handover), NULL, NULL);
      g_clear_object (&conn->handover);
      g_clear_object (&conn->stream);
    }

  /* A pending read or write holds a reference until it is cancelled:
   * conn_clear() closes the connection after it. */
  conn_unref (conn);  /* the front's */
}

static void conn_linger (PiHttpFrontConn *conn);

static void
handover_closed_cb (PiHandoverStream *handover,
                    PiHttpFrontConn     *conn)
{
  conn->handover_closed = TRUE;

  /* Closed with the connection left to us: linger, then close. */
  if (pi_handover_stream_get_linger (handover))
    {
      g_signal_handlers_disconnect_by_func (handover, handover_closed_cb, conn);
      g_clear_object (&conn->handover);
      conn_linger (conn);
      return;
    }

  conn_close (conn);
}

/* Room for the next read, after what was read so far: no copy, and an idle
 * connection holds a few kilobytes, not a fixed large buffer. */
static guint8 *
conn_room (PiHttpFrontConn *conn,
           gsize            size)
{
  g_byte_array_set_size (conn->buffer, conn->filled + size);
  return conn->buffer->data + conn->filled;
}

/* An asynchronous step finished: FALSE if @conn was closed meanwhile. */
static gboolean
conn_is_open (PiHttpFrontConn *conn)
{
  return conn->front != NULL;
}

/* --- our own answers -------------------------------------------------------- */

static gboolean
linger_timeout_cb (gpointer user_data)
{
  PiHttpFrontConn *conn = user_data;

  conn->linger_source = 0;
  conn_close (conn);
  return G_SOURCE_REMOVE;
}

static void
linger_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PiHttpFrontConn) conn = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (!conn_is_open (conn))
    return;

  if (n <= 0)
    {
      conn_close (conn);
      return;
    }

  g_input_stream_read_async (G_INPUT_STREAM (source), conn_room (conn, BODY_CHUNK), BODY_CHUNK,
                             G_PRIORITY_DEFAULT, conn->cancellable, linger_read_cb, conn_ref (conn));
}

static void
refusal_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PiHttpFrontConn) conn = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  if (!conn_is_open (conn))
    return;

  if (error != NULL)
    {
      conn_close (conn);
      return;
    }

  conn_linger (conn);
}

/* Closes @conn gracefully: TLS cannot half-close; a plain socket can, and
 * then drops what the client still sends until it sees our end (or the
 * linger time is up). */
static void
conn_linger (PiHttpFrontConn *conn)
{
  if (G_IS_TLS_CONNECTION (conn->stream) || !g_socket_shutdown (conn->socket, FALSE, TRUE, NULL))
    {
      conn_close (conn);
      return;
    }

  if (conn->buffer == NULL)
    conn->buffer = g_byte_array_new ();
  conn->filled = 0;
  if (conn->linger_source == 0)
    conn->linger_source = g_timeout_add (LINGER_MS, linger_timeout_cb, conn);

  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream), conn_room (conn, BODY_CHUNK),
                             BODY_CHUNK, G_PRIORITY_DEFAULT, conn->cancellable, linger_read_cb, conn_ref (conn));
}

/* Answers @conn with a JSON error and closes it. */
static void
conn_refuse (PiHttpFrontConn *conn,
             guint            status,
             guint            retry_after,
             const char      *message)
{
  g_debug ("%u for a request: %s", status, message);

  g_clear_handle_id (&conn->deadline_source, g_source_remove);
  conn->linger_source = g_timeout_add (LINGER_MS, linger_timeout_cb, conn);

  /* The deadline may have cancelled the old one. */
  g_cancellable_cancel (conn->cancellable);
  g_object_unref (conn->cancellable);
  conn->cancellable = g_cancellable_new ();

  conn->response = pi_http_front_format_error (conn->front, status, retry_after, message, conn->origin);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream),
                                   g_bytes_get_data (conn->response, NULL), g_bytes_get_size (conn->response),
                                   G_PRIORITY_DEFAULT, conn->cancellable, refusal_written_cb, conn_ref (conn));
}

/* --- reading the request ---------------------------------------------------- */

/* The head is too long: 414 if the request line is most of it (a connect
 * URL with too many bindings), 431 if the header fields are. */
static void
conn_refuse_too_long (PiHttpFrontConn *conn)
{
  const guint8 *data = conn->buffer->data;
  gsize len = conn->head_length ? conn->head_length : conn->filled;
  const guint8 *lf = memchr (data, '\n', len);
  gsize line = lf ? (gsize) (lf - data) + 1 : len;
  g_autofree char *text = NULL;

  if (line > len - line)
    {
      text = g_strdup_printf ("The URL is too long: the request line and headers may take "
                              "%u bytes at most (a connect URL has room for about 600 short bindings; "
                              "open several streams for more)", PI_HTTP_FRONT_MAX_REQUEST_HEAD);
      conn_refuse (conn, SOUP_STATUS_REQUEST_URI_TOO_LONG, 0, text);
    }
  else
    {
      text = g_strdup_printf ("The request headers are too large: the request line and headers "
                              "may take %u bytes at most", PI_HTTP_FRONT_MAX_REQUEST_HEAD);
      conn_refuse (conn, 431, 0, text);
    }
}

/* Reads what the front needs from the head (pi_http_head_parse()), and
 * bounds the body. Returns 0, or the status to refuse with. */
static guint
conn_parse_head (PiHttpFrontConn  *conn,
                 gboolean         *expect_continue,
                 char            **reason)
{
  PiHttpHead head;
  guint status;

  status = pi_http_head_parse (&head, (const char *) conn->buffer->data, conn->head_length, reason);
  conn->origin = g_steal_pointer (&head.origin);
  if (status != 0)
    return status;

  if (head.content_length > conn->front->max_body)
    {
      *reason = g_strdup_printf ("The request body is too large: this server takes %" G_GSIZE_FORMAT
                                 " bytes at most, and this one has %" G_GUINT64_FORMAT,
                                 conn->front->max_body, head.content_length);
      return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
    }

  *expect_continue = head.expect_continue;
  conn->request_length = conn->head_length + head.content_length;
  return 0;
}

static void
conn_hand_over (PiHttpFrontConn *conn)
{
  PiHttpFront *self = conn->front;
  g_autoptr(PiHttpFrontConn) hold = conn_ref (conn);
  g_autoptr(GBytes) request = g_byte_array_free_to_bytes (g_steal_pointer (&conn->buffer));
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&conn->deadline_source, g_source_remove);

  conn->handover = pi_handover_stream_new (conn->stream, request);
  g_signal_connect (conn->handover, "closed", G_CALLBACK (handover_closed_cb), conn);
  /* How a message finds its socket (pi_http_front_get_message_socket()): the
   * address object given here is the one libsoup gives back. */
  g_object_set_qdata (G_OBJECT (conn->remote_address), conn_quark (), conn);

  /* libsoup may serve the whole request, and close the connection, before
   * this returns. */
  if (!soup_server_accept_iostream (self->soup, G_IO_STREAM (conn->handover),
                                    conn->local_address, conn->remote_address, &error))
    {
      g_debug ("libsoup did not take a connection: %s", error->message);
      conn_close (conn);
    }
}

static void
continue_written_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(PiHttpFrontConn) conn = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      conn_close (conn);
      return;
    }
  if (conn_is_open (conn))
    conn_read_more (conn);
}

/* Looks at what was read: refuse, read more, or hand over. */
static void
conn_process (PiHttpFrontConn *conn)
{
  if (conn->head_length == 0)
    {
      gboolean expect_continue = FALSE;
      g_autofree char *reason = NULL;
      guint status;
      gsize blank = 0;

      /* Empty lines before the request line are to be ignored (RFC 9112,
       * 2.2): drop them here, or libsoup would wait for the head after them
       * once the deadline no longer runs. */
      while (blank < conn->filled && (conn->buffer->data[blank] == '\r' || conn->buffer->data[blank] == '\n'))
        blank++;
      if (blank > 0)
        {
          g_byte_array_remove_range (conn->buffer, 0, blank);
          conn->filled -= blank;
        }

      conn->head_length = pi_http_head_find_end (conn->buffer->data, conn->filled);
      if ((conn->head_length == 0 && conn->filled > PI_HTTP_FRONT_MAX_REQUEST_HEAD) ||
          conn->head_length > PI_HTTP_FRONT_MAX_REQUEST_HEAD)
        {
          conn_refuse_too_long (conn);
          return;
        }
      if (conn->head_length == 0)
        {
          conn_read_more (conn);
          return;
        }

      if ((status = conn_parse_head (conn, &expect_continue, &reason)) != 0)
        {
          conn_refuse (conn, status, 0, reason);
          return;
        }

      /* The client waits for this before it sends the body. libsoup will
       * send another 100 when it reads the head: clients take any number of
       * 1xx answers before the final one (RFC 9110, 15.2). */
      if (expect_continue && conn->filled < conn->request_length)
        {
          static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

          g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream),
                                           continue_line, strlen (continue_line), G_PRIORITY_DEFAULT,
                                           conn->cancellable, continue_written_cb, conn_ref (conn));
          return;
        }
    }

  if (conn->filled < conn->request_length)
    conn_read_more (conn);
  else
    conn_hand_over (conn);
}

/* @n bytes (or an error, or the end) came from the client. */
static void
conn_read_done (PiHttpFrontConn *conn,
                gssize           n)
{
  conn->filled += MAX (n, 0);
  g_byte_array_set_size (conn->buffer, conn->filled);

  if (n < 0 && conn->timed_out)
    {
      g_autofree char *text = g_strdup_printf ("The request was not complete within %g seconds",
                                               conn->front->request_timeout);
      conn_refuse (conn, SOUP_STATUS_REQUEST_TIMEOUT, 0, text);
      return;
    }

  /* The client went away, or gave up on its request. */
  if (n <= 0)
    {
      conn_close (conn);
      return;
    }

  conn_process (conn);
}

static void
conn_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PiHttpFrontConn) conn = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (!conn_is_open (conn))
    return;

  conn_read_done (conn, n);
}

/* Bytes the client has sent already are taken at once: an asynchronous
 * read completes one main-loop iteration later at the earliest, and with
 * a thousand open streams an iteration polls a thousand sockets. Every
 * request comes on a new connection (`Connection: close`), so those
 * iterations were most of what a POST /publish cost the server. Only
 * when nothing is waiting does the read wait, under the deadline. */
static void
conn_read_more (PiHttpFrontConn *conn)
{
  GInputStream *input = g_io_stream_get_input_stream (conn->stream);
  gsize want = HEAD_CHUNK;

  /* Not a byte past this request: nothing else is read on this connection. */
  if (conn->head_length > 0)
    want = MIN (BODY_CHUNK, conn->request_length - conn->filled);

  if (G_IS_POLLABLE_INPUT_STREAM (input) &&
      g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (input)))
    {
      g_autoptr(PiHttpFrontConn) hold = conn_ref (conn);
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (input),
                                                           conn_room (conn, want), want,
                                                           conn->cancellable, &error);

      if (n >= 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          conn_read_done (conn, n);
          return;
        }
    }

  g_input_stream_read_async (input, conn_room (conn, want), want,
                             G_PRIORITY_DEFAULT, conn->cancellable, conn_read_cb, conn_ref (conn));
}

static gboolean
deadline_cb (gpointer user_data)
{
  PiHttpFrontConn *conn = user_data;

  conn->deadline_source = 0;
  conn->timed_out = TRUE;
  /* The pending read (or TLS handshake) ends, cancelled: see conn_read_cb(). */
  g_cancellable_cancel (conn->cancellable);

  return G_SOURCE_REMOVE;
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PiHttpFrontConn) conn = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      if (conn_is_open (conn))
        {
          g_debug ("TLS handshake failed: %s", error->message);
          conn_close (conn);
        }
      return;
    }

  if (conn_is_open (conn))
    conn_read_more (conn);
}

/* --- starting ---------------------------------------------------------------- */

static PiHttpFrontConn *
conn_new (PiHttpFront *self,
          GSocket     *socket,
          GQueue      *queue)
{
  PiHttpFrontConn *conn = g_rc_box_new0 (PiHttpFrontConn);

  conn->front = self;
  conn->queue = queue;
  conn->link.data = conn;
  conn->socket = g_object_ref (socket);
  conn->cancellable = g_cancellable_new ();
  conn->buffer = g_byte_array_new ();
  conn->stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  g_queue_push_tail_link (queue, &conn->link);

  return conn;
}

/* Starts serving a connection just accepted. */
void
pi_http_front_conn_start (PiHttpFront *self,
                          GSocket     *socket)
{
  PiHttpFrontConn *conn = conn_new (self, socket, &self->conns);
  g_autoptr(GError) error = NULL;

  conn->local_address = g_socket_get_local_address (socket, NULL);
  conn->remote_address = g_socket_get_remote_address (socket, NULL);

  if (conn->local_address == NULL || conn->remote_address == NULL)
    {
      conn_close (conn);  /* already gone */
      return;
    }

  /* Small events must not wait for ACKs (Nagle): see PLATFORM-NOTES. */
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX &&
      !g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, &error))
    {
      g_debug ("Could not set TCP_NODELAY: %s", error->message);
      g_clear_error (&error);
    }

  conn->deadline_source = g_timeout_add ((guint) (self->request_timeout * 1000), deadline_cb, conn);

  if (self->tls_certificate != NULL)
    {
      GIOStream *tls = g_tls_server_connection_new (conn->stream, self->tls_certificate, &error);

      if (tls == NULL)
        {
          g_message ("Could not start TLS: %s", error->message);
          conn_close (conn);
          return;
        }
      g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
      g_object_unref (conn->stream);
      conn->stream = tls;
      g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, conn->cancellable,
                                        handshake_cb, conn_ref (conn));
      return;
    }

  conn_read_more (conn);
}

/* Answers a connection past --max-sockets with a 503, without reading its
 * request. Like every refusal it lingers, reading and dropping what the
 * client still sends: closed with its request unread, the client would
 * get a reset instead of the answer. Lingering takes a descriptor for up
 * to LINGER_MS, so only MAX_LINGERING_REFUSALS do at once, apart from
 * --max-sockets (within the descriptors it leaves free). Past them, under
 * a flood, and for a TLS client (a handshake is more than a full server
 * can afford), the answer is best effort: written if the socket takes it
 * at once, and the connection closed. */
void
pi_http_front_conn_refuse_full (PiHttpFront *self,
                                GSocket     *socket)
{
  g_autoptr(GBytes) response = NULL;
  char drain[4096];

  if (self->tls_certificate == NULL && self->refusals.length < MAX_LINGERING_REFUSALS)
    {
      PiHttpFrontConn *conn = conn_new (self, socket, &self->refusals);

      conn_refuse (conn, SOUP_STATUS_SERVICE_UNAVAILABLE, PI_HTTP_FRONT_RETRY_AFTER_FULL, SERVER_FULL);
      return;
    }

  g_socket_set_blocking (socket, FALSE);
  if (self->tls_certificate == NULL)
    {
      response = pi_http_front_format_error (self, SOUP_STATUS_SERVICE_UNAVAILABLE, PI_HTTP_FRONT_RETRY_AFTER_FULL,
                                         SERVER_FULL, NULL);
      (void) g_socket_receive (socket, drain, sizeof drain, NULL, NULL);
      (void) g_socket_send (socket, g_bytes_get_data (response, NULL), g_bytes_get_size (response), NULL, NULL);
      g_socket_shutdown (socket, FALSE, TRUE, NULL);
    }
  g_socket_close (socket, NULL);
}

/* Closes every connection still counted, and every refusal. */
void
pi_http_front_conn_close_all (PiHttpFront *self)
{
  while (self->conns.head != NULL)
    conn_close (self->conns.head->data);
  while (self->refusals.head != NULL)
    conn_close (self->refusals.head->data);
}


/* The socket of the connection @msg came on (pi_http_front_get_message_socket()). */
GSocket *
pi_http_front_conn_get_socket (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  PiHttpFrontConn *conn = address ? g_object_get_qdata (G_OBJECT (address), conn_quark ()) : NULL;

  return conn != NULL ? conn->socket : NULL;
}

/* The stream handed to libsoup for the connection @msg came on
 * (pi_http_front_get_message_stream()). */
PiHandoverStream *
pi_http_front_conn_get_handover (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  PiHttpFrontConn *conn = address ? g_object_get_qdata (G_OBJECT (address), conn_quark ()) : NULL;

  return conn != NULL ? conn->handover : NULL;
}
