/* pi-server-conn.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "pi-handover-stream.h"
#include "pi-server-private.h"

/*
 * The connection front of a PiServer: it takes each client connection as
 * accepted (pi-server-accept.c), reads its request whole, and only then
 * hands the connection to libsoup (soup_server_accept_iostream), which
 * parses the request, calls our handler and writes the response. Why not
 * let SoupServer listen, as before:
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
 *   --max-sockets (pi-server-accept.c); libsoup's listener, once out of
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

#define HEAD_CHUNK       4096
#define BODY_CHUNK       65536
#define LINGER_MS        2000
#define MAX_LINGERING_REFUSALS 16
#define SERVER_FULL      "Too many connections: the server is full, try again later"

struct _PiServerConn
{
  PiServer         *server;          /* borrowed; NULL once closed */
  GQueue           *queue;           /* the server's, that @link is in */
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

static void conn_read_more (PiServerConn *conn);

static GQuark
conn_quark (void)
{
  return g_quark_from_static_string ("pi-server-conn");
}

static PiServerConn *
conn_ref (PiServerConn *conn)
{
  return g_rc_box_acquire (conn);
}

/* The last reference: no operation is pending any more, so the connection
 * can be closed now without pulling the socket from under one. */
static void
conn_clear (PiServerConn *conn)
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
conn_unref (PiServerConn *conn)
{
  g_rc_box_release_full (conn, (GDestroyNotify) conn_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PiServerConn, conn_unref)

static void
handover_closed_cb (PiHandoverStream *handover,
                    PiServerConn     *conn);

/* Ends @conn: it no longer counts, and whatever it was waiting for stops. */
static void
conn_close (PiServerConn *conn)
{
  PiServer *self = conn->server;

  if (self == NULL)
    return;

  g_queue_unlink (conn->queue, &conn->link);
  conn->server = NULL;

  g_clear_handle_id (&conn->deadline_source, g_source_remove);
  g_clear_handle_id (&conn->linger_source, g_source_remove);
  g_cancellable_cancel (conn->cancellable);

  if (conn->remote_address != NULL &&
      g_object_get_qdata (G_OBJECT (conn->remote_address), conn_quark ()) == conn)
    g_object_set_qdata (G_OBJECT (conn->remote_address), conn_quark (), NULL);

  if (conn->handover != NULL)
    {
      g_signal_handlers_disconnect_by_func (conn->handover, handover_closed_cb, conn);
      /* Only when the server goes first: libsoup closed it otherwise. */
      if (!conn->handover_closed)
        g_io_stream_close (G_IO_STREAM (conn->handover), NULL, NULL);
      g_clear_object (&conn->handover);
      g_clear_object (&conn->stream);
    }

  /* A pending read or write holds a reference until it is cancelled:
   * conn_clear() closes the connection after it. */
  conn_unref (conn);  /* the server's */
}

static void
handover_closed_cb (PiHandoverStream *handover,
                    PiServerConn     *conn)
{
  conn->handover_closed = TRUE;
  conn_close (conn);
}

/* Room for the next read, after what was read so far: no copy, and an idle
 * connection holds a few kilobytes, not a fixed large buffer. */
static guint8 *
conn_room (PiServerConn *conn,
           gsize         size)
{
  g_byte_array_set_size (conn->buffer, conn->filled + size);
  return conn->buffer->data + conn->filled;
}

/* An asynchronous step finished: FALSE if @conn was closed meanwhile. */
static gboolean
conn_is_open (PiServerConn *conn)
{
  return conn->server != NULL;
}

/* --- our own answers -------------------------------------------------------- */

static gboolean
linger_timeout_cb (gpointer user_data)
{
  PiServerConn *conn = user_data;

  conn->linger_source = 0;
  conn_close (conn);
  return G_SOURCE_REMOVE;
}

static void
linger_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PiServerConn) conn = user_data;
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
  g_autoptr(PiServerConn) conn = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  if (!conn_is_open (conn))
    return;

  /* TLS cannot half-close; a plain socket can, and then drops what the
   * client still sends until it sees our end (or the linger time is up). */
  if (error != NULL || G_IS_TLS_CONNECTION (conn->stream) || !g_socket_shutdown (conn->socket, FALSE, TRUE, NULL))
    {
      conn_close (conn);
      return;
    }

  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream), conn_room (conn, BODY_CHUNK),
                             BODY_CHUNK, G_PRIORITY_DEFAULT, conn->cancellable, linger_read_cb, conn_ref (conn));
}

/* libsoup 3.2 has no phrase for 431 and an old one for 414. */
static const char *
status_phrase (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_REQUEST_URI_TOO_LONG:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return soup_status_get_phrase (status);
    }
}

/**
 * pi_server_format_error:
 * @self: a #PiServer
 * @status: an HTTP status
 * @retry_after: seconds for a Retry-After header, 0 for none
 * @message: the reason, for people
 * @origin: (nullable): the request's Origin, if known
 *
 * A whole error answer as the connection front writes it itself, with the
 * JSON body and CORS headers of pi_server_respond_error()'s.
 *
 * Returns: (transfer full): the bytes to write
 */
GBytes *
pi_server_format_error (PiServer   *self,
                        guint       status,
                        guint       retry_after,
                        const char *message,
                        const char *origin)
{
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autofree char *json = pi_server_error_json (message);
  GString *response = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name, *value;

  soup_message_headers_replace (headers, "Server", "pulse-events/" PACKAGE_VERSION);
  soup_message_headers_set_content_type (headers, "application/json; charset=utf-8", NULL);
  soup_message_headers_set_content_length (headers, strlen (json));
  soup_message_headers_replace (headers, "Connection", "close");
  if (retry_after > 0)
    {
      char seconds[16];

      g_snprintf (seconds, sizeof seconds, "%u", retry_after);
      soup_message_headers_replace (headers, "Retry-After", seconds);
    }
  pi_server_set_cors_headers (self, origin, headers);

  g_string_append_printf (response, "HTTP/1.1 %u %s\r\n", status, status_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (response, "%s: %s\r\n", name, value);
  g_string_append_printf (response, "\r\n%s", json);
  soup_message_headers_unref (headers);

  return g_string_free_to_bytes (response);
}

/* Answers @conn with a JSON error and closes it. */
static void
conn_refuse (PiServerConn *conn,
             guint         status,
             guint         retry_after,
             const char   *message)
{
  g_debug ("%u for a request: %s", status, message);

  g_clear_handle_id (&conn->deadline_source, g_source_remove);
  conn->linger_source = g_timeout_add (LINGER_MS, linger_timeout_cb, conn);

  /* The deadline may have cancelled the old one. */
  g_cancellable_cancel (conn->cancellable);
  g_object_unref (conn->cancellable);
  conn->cancellable = g_cancellable_new ();

  conn->response = pi_server_format_error (conn->server, status, retry_after, message, conn->origin);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream),
                                   g_bytes_get_data (conn->response, NULL), g_bytes_get_size (conn->response),
                                   G_PRIORITY_DEFAULT, conn->cancellable, refusal_written_cb, conn_ref (conn));
}

/* --- reading the request ---------------------------------------------------- */

/* Where the head ends (after its empty line), or 0. libsoup takes bare LF
 * line ends too. */
static gsize
find_head_end (const guint8 *data,
               gsize         len)
{
  for (gsize i = 0; i + 1 < len; i++)
    {
      if (data[i] != '\n')
        continue;
      if (data[i + 1] == '\n')
        return i + 2;
      if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
        return i + 3;
    }

  return 0;
}

/* The head is too long: 414 if the request line is most of it (a connect
 * URL with too many bindings), 431 if the header fields are. */
static void
conn_refuse_too_long (PiServerConn *conn)
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
                              "open several streams for more)", PI_SERVER_MAX_REQUEST_HEAD);
      conn_refuse (conn, SOUP_STATUS_REQUEST_URI_TOO_LONG, 0, text);
    }
  else
    {
      text = g_strdup_printf ("The request headers are too large: the request line and headers "
                              "may take %u bytes at most", PI_SERVER_MAX_REQUEST_HEAD);
      conn_refuse (conn, 431, 0, text);
    }
}

/* The header fields of a request head, a line at a time, over the bytes
 * read: never C strings, which would end at a NUL byte. */
typedef struct
{
  const char *next;  /* the next line */
  const char *end;   /* of the head */
} HeadFields;

static void
head_fields_init (HeadFields *fields,
                  const char *head,
                  gsize       length)
{
  const char *lf = memchr (head, '\n', length);

  /* The request line comes first: the fields start after it. */
  fields->next = lf != NULL ? lf + 1 : head + length;
  fields->end = head + length;
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* A field's value from the bytes after its colon to the end of its last
 * line: the blanks around it cut (CR counts as one), and each line break
 * with the blanks on both sides of it made one space, as libsoup does. */
static char *
field_value (const char *p,
             const char *end)
{
  GString *value = g_string_sized_new (end - p);

  while (p < end && (is_blank (*p) || *p == '\r' || *p == '\n'))
    p++;

  while (p < end)
    {
      const char *lf = memchr (p, '\n', end - p);

      g_string_append_len (value, p, (lf != NULL ? lf : end) - p);
      if (lf == NULL)
        break;

      while (value->len > 0 && (is_blank (value->str[value->len - 1]) || value->str[value->len - 1] == '\r'))
        g_string_truncate (value, value->len - 1);
      g_string_append_c (value, ' ');
      for (p = lf + 1; p < end && is_blank (*p); p++)
        ;
    }

  while (value->len > 0 && (is_blank (value->str[value->len - 1]) || value->str[value->len - 1] == '\r'))
    g_string_truncate (value, value->len - 1);
  g_strdelimit (value->str, "\r", ' ');

  return g_string_free (value, FALSE);
}

/* The line that starts at @line ends before the returned '\n' (or @end). */
static const char *
line_end (const char *line,
          const char *end)
{
  const char *lf = memchr (line, '\n', end - line);

  return lf != NULL ? lf : end;
}

/* The next field, or FALSE after the last one, read as libsoup reads a head
 * (soup_headers_parse()), so that both find the same framing: a line that
 * starts with a blank continues the field before it (obsolete line
 * folding); a line without a colon, or whose name is empty or has a blank
 * or CR in it, is no field, and neither are the lines that continue it
 * (they start with a blank: no name of theirs is valid either). */
static gboolean
head_fields_next (HeadFields  *fields,
                  char       **name,
                  char       **value)
{
  while (fields->next < fields->end)
    {
      const char *line = fields->next;
      const char *last = line_end (line, fields->end);
      const char *colon = memchr (line, ':', last - line);
      gboolean valid = colon != NULL && colon > line;

      for (const char *p = line; valid && p < colon; p++)
        valid = !is_blank (*p) && *p != '\r';

      fields->next = last < fields->end ? last + 1 : fields->end;
      if (!valid)
        continue;

      while (fields->next < fields->end && is_blank (*fields->next))
        {
          last = line_end (fields->next, fields->end);
          fields->next = last < fields->end ? last + 1 : fields->end;
        }

      *name = g_strndup (line, colon - line);
      *value = field_value (colon + 1, last);
      return TRUE;
    }

  return FALSE;
}

/* Reads what the front needs from the head: the body's length, and the
 * Origin for our own answers. Returns 0, or the status to refuse with.
 *
 * libsoup parses the head again once it is handed over, and reads the body
 * it finds there, with no deadline and no bound: both must find the same
 * one. So what the front cannot be sure libsoup reads alike is refused. */
static guint
conn_parse_head (PiServerConn  *conn,
                 gboolean      *expect_continue,
                 char         **reason)
{
  const char *head = (const char *) conn->buffer->data;
  HeadFields fields;
  guint64 content_length = 0;
  gboolean have_length = FALSE;
  gboolean chunked = FALSE;

  *expect_continue = FALSE;

  /* No valid request has one, and libsoup versions differ on it: 3.2 drops
   * NULs from a head and reads on (a Content-Length after one counts), 3.6
   * refuses the head without a word. */
  if (memchr (head, '\0', conn->head_length) != NULL)
    {
      *reason = g_strdup ("The request line or headers contain a NUL byte");
      return SOUP_STATUS_BAD_REQUEST;
    }

  head_fields_init (&fields, head, conn->head_length);
  for (;;)
    {
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (!head_fields_next (&fields, &name, &value))
        break;

      if (g_ascii_strcasecmp (name, "Content-Length") == 0)
        {
          guint64 length;

          if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &length, NULL) ||
              (have_length && length != content_length))
            {
              *reason = g_strdup ("The Content-Length header is not valid");
              return SOUP_STATUS_BAD_REQUEST;
            }
          content_length = length;
          have_length = TRUE;
        }
      else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
        {
          chunked = TRUE;
        }
      else if (g_ascii_strcasecmp (name, "Expect") == 0)
        {
          *expect_continue = g_ascii_strcasecmp (value, "100-continue") == 0;
        }
      else if (g_ascii_strcasecmp (name, "Origin") == 0 && conn->origin == NULL)
        {
          conn->origin = g_steal_pointer (&value);
        }
    }

  /* Two framings at once are how requests are smuggled past a proxy that
   * reads the other one (RFC 9112, 6.3): refuse rather than pick one. */
  if (chunked && have_length)
    {
      *reason = g_strdup ("The request has both a Content-Length and a Transfer-Encoding header");
      return SOUP_STATUS_BAD_REQUEST;
    }

  /* A chunked body's size is not known before it is read. */
  if (chunked)
    {
      *reason = g_strdup ("Send the request body with a Content-Length header: "
                          "this server does not take chunked request bodies");
      return SOUP_STATUS_LENGTH_REQUIRED;
    }

  if (content_length > conn->server->max_body)
    {
      *reason = g_strdup_printf ("The request body is too large: this server takes %" G_GSIZE_FORMAT
                                 " bytes at most, and this one has %" G_GUINT64_FORMAT,
                                 conn->server->max_body, content_length);
      return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
    }

  conn->request_length = conn->head_length + content_length;
  return 0;
}

static void
conn_hand_over (PiServerConn *conn)
{
  PiServer *self = conn->server;
  g_autoptr(PiServerConn) hold = conn_ref (conn);
  g_autoptr(GBytes) request = g_byte_array_free_to_bytes (g_steal_pointer (&conn->buffer));
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&conn->deadline_source, g_source_remove);

  conn->handover = pi_handover_stream_new (conn->stream, request);
  g_signal_connect (conn->handover, "closed", G_CALLBACK (handover_closed_cb), conn);
  /* How a message finds its socket (pi_server_get_message_socket()): the
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
  g_autoptr(PiServerConn) conn = user_data;

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
conn_process (PiServerConn *conn)
{
  if (conn->head_length == 0)
    {
      gboolean expect_continue;
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

      conn->head_length = find_head_end (conn->buffer->data, conn->filled);
      if ((conn->head_length == 0 && conn->filled > PI_SERVER_MAX_REQUEST_HEAD) ||
          conn->head_length > PI_SERVER_MAX_REQUEST_HEAD)
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

static void
conn_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PiServerConn) conn = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (!conn_is_open (conn))
    return;

  conn->filled += MAX (n, 0);
  g_byte_array_set_size (conn->buffer, conn->filled);

  if (n < 0 && conn->timed_out)
    {
      g_autofree char *text = g_strdup_printf ("The request was not complete within %g seconds",
                                               conn->server->request_timeout);
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
conn_read_more (PiServerConn *conn)
{
  gsize want = HEAD_CHUNK;

  /* Not a byte past this request: nothing else is read on this connection. */
  if (conn->head_length > 0)
    want = MIN (BODY_CHUNK, conn->request_length - conn->filled);

  g_input_stream_read_async (g_io_stream_get_input_stream (conn->stream), conn_room (conn, want), want,
                             G_PRIORITY_DEFAULT, conn->cancellable, conn_read_cb, conn_ref (conn));
}

static gboolean
deadline_cb (gpointer user_data)
{
  PiServerConn *conn = user_data;

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
  g_autoptr(PiServerConn) conn = user_data;
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

static PiServerConn *
conn_new (PiServer *self,
          GSocket  *socket,
          GQueue   *queue)
{
  PiServerConn *conn = g_rc_box_new0 (PiServerConn);

  conn->server = self;
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
pi_server_conn_start (PiServer *self,
                      GSocket  *socket)
{
  PiServerConn *conn = conn_new (self, socket, &self->conns);
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
pi_server_conn_refuse_full (PiServer *self,
                            GSocket  *socket)
{
  g_autoptr(GBytes) response = NULL;
  char drain[4096];

  if (self->tls_certificate == NULL && self->refusals.length < MAX_LINGERING_REFUSALS)
    {
      PiServerConn *conn = conn_new (self, socket, &self->refusals);

      conn_refuse (conn, SOUP_STATUS_SERVICE_UNAVAILABLE, PI_SERVER_RETRY_AFTER_FULL, SERVER_FULL);
      return;
    }

  g_socket_set_blocking (socket, FALSE);
  if (self->tls_certificate == NULL)
    {
      response = pi_server_format_error (self, SOUP_STATUS_SERVICE_UNAVAILABLE, PI_SERVER_RETRY_AFTER_FULL,
                                         SERVER_FULL, NULL);
      (void) g_socket_receive (socket, drain, sizeof drain, NULL, NULL);
      (void) g_socket_send (socket, g_bytes_get_data (response, NULL), g_bytes_get_size (response), NULL, NULL);
      g_socket_shutdown (socket, FALSE, TRUE, NULL);
    }
  g_socket_close (socket, NULL);
}

/* Closes every connection still counted, and every refusal. */
void
pi_server_conn_close_all (PiServer *self)
{
  while (self->conns.head != NULL)
    conn_close (self->conns.head->data);
  while (self->refusals.head != NULL)
    conn_close (self->refusals.head->data);
}

/**
 * pi_server_get_message_socket:
 * @self: a #PiServer
 * @msg: a message the server is serving
 *
 * Returns: (transfer none) (nullable): the client's socket
 */
GSocket *
pi_server_get_message_socket (PiServer          *self,
                              SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  PiServerConn *conn = address ? g_object_get_qdata (G_OBJECT (address), conn_quark ()) : NULL;

  return conn != NULL ? conn->socket : NULL;
}
