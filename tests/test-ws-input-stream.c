/* test-ws-input-stream.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include "pi-ws-input-stream.h"

/*
 * PiWsInputStream, the input of the client WebSocket: its bytes in order,
 * the HTTP head kept apart, and closing it closes the connection on the
 * caller's thread and context, never in a thread of GIO's own (which could
 * outlive the source's worker and its context).
 */

/* --- A connection that says how it was closed ----------------------------- */

#define TEST_TYPE_CONN (test_conn_get_type ())
G_DECLARE_FINAL_TYPE (TestConn, test_conn, TEST, CONN, GIOStream)

struct _TestConn
{
  GIOStream          parent_instance;
  GSocketConnection *inner;
  guint              n_sync_closes;
  guint              n_async_closes;
  GThread           *async_close_thread;
  GMainContext      *async_close_context;
};

G_DEFINE_FINAL_TYPE (TestConn, test_conn, G_TYPE_IO_STREAM)

static GInputStream *
test_conn_get_input_stream (GIOStream *stream)
{
  return g_io_stream_get_input_stream (G_IO_STREAM (TEST_CONN (stream)->inner));
}

static GOutputStream *
test_conn_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (G_IO_STREAM (TEST_CONN (stream)->inner));
}

static gboolean
test_conn_close_fn (GIOStream     *stream,
                    GCancellable  *cancellable,
                    GError       **error)
{
  TestConn *self = TEST_CONN (stream);

  self->n_sync_closes++;
  return g_io_stream_close (G_IO_STREAM (self->inner), cancellable, error);
}

static void
test_conn_close_async (GIOStream           *stream,
                       int                  io_priority,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  TestConn *self = TEST_CONN (stream);
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;

  self->n_async_closes++;
  self->async_close_thread = g_thread_self ();
  self->async_close_context = g_main_context_get_thread_default ();
  if (g_io_stream_close (G_IO_STREAM (self->inner), cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static gboolean
test_conn_close_finish (GIOStream     *stream,
                        GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_conn_finalize (GObject *object)
{
  g_clear_object (&TEST_CONN (object)->inner);
  G_OBJECT_CLASS (test_conn_parent_class)->finalize (object);
}

static void
test_conn_class_init (TestConnClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_conn_finalize;
  stream_class->get_input_stream = test_conn_get_input_stream;
  stream_class->get_output_stream = test_conn_get_output_stream;
  stream_class->close_fn = test_conn_close_fn;
  stream_class->close_async = test_conn_close_async;
  stream_class->close_finish = test_conn_close_finish;
}

static void
test_conn_init (TestConn *self)
{
}

/* A connected pair: the client side wrapped in a TestConn, the server side plain. */
static TestConn *
conn_pair_new (GSocketConnection **peer)
{
  TestConn *conn = g_object_new (TEST_TYPE_CONN, NULL);
  g_autoptr(GSocket) a = NULL;
  g_autoptr(GSocket) b = NULL;
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  a = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  b = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  conn->inner = g_socket_connection_factory_create_connection (a);
  *peer = g_socket_connection_factory_create_connection (b);
  return conn;
}

static void
write_all (GSocketConnection *peer,
           const char        *text)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (peer)), text, strlen (text), NULL, NULL,
                             &error);
  g_assert_no_error (error);
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* --- Tests ------------------------------------------------------------------- */

/* The head comes apart; what followed it in the same read comes next. */
static void
test_head_then_frames (void)
{
  g_autoptr(GSocketConnection) peer = NULL;
  g_autoptr(TestConn) conn = conn_pair_new (&peer);
  g_autoptr(PiWsInputStream) input = pi_ws_input_stream_new (G_IO_STREAM (conn), 4096);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) head = NULL;
  g_autoptr(GError) error = NULL;
  char buffer[64] = { 0 };
  gssize n;

  write_all (peer, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nFIRST");
  pi_ws_input_stream_read_head_async (input, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  head = pi_ws_input_stream_read_head_finish (input, result, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (head, NULL), g_bytes_get_size (head),
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 56);

  n = g_input_stream_read (G_INPUT_STREAM (input), buffer, sizeof buffer, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (buffer, ==, "FIRST");
  g_assert_cmpint (n, ==, 5);
}

/* --- Text frames taken out ------------------------------------------------- */

/* A server's frame (unmasked unless @mask). */
static void
append_frame (GString    *out,
              guint8      first,
              const char *payload,
              gsize       len,
              gboolean    mask)
{
  g_string_append_c (out, (char) first);
  if (len < 126)
    g_string_append_c (out, (char) ((mask ? 0x80 : 0) | len));
  else
    {
      g_assert_cmpuint (len, <=, G_MAXUINT16);
      g_string_append_c (out, (char) ((mask ? 0x80 : 0) | 126));
      g_string_append_c (out, (char) (len >> 8));
      g_string_append_c (out, (char) (len & 0xff));
    }
  if (mask)
    g_string_append_len (out, "\0\0\0\0", 4);   /* a zero mask keeps the text */
  g_string_append_len (out, payload, len);
}

typedef struct
{
  GPtrArray *log;     /* GStrings: "T:<text>" for each text frame, "P:<bytes>" for what the reader got */
} TextRun;

static void
free_entry (gpointer entry)
{
  g_string_free (entry, TRUE);
}

static void
log_text (const char *text,
          gsize       len,
          gpointer    user_data)
{
  TextRun *run = user_data;
  GString *entry = g_string_new ("T:");

  g_string_append_len (entry, text, len);
  g_ptr_array_add (run->log, entry);
}

static void
log_passed (TextRun    *run,
            const char *bytes,
            gsize       len)
{
  GString *last = run->log->len > 0 ? g_ptr_array_index (run->log, run->log->len - 1) : NULL;

  /* Bytes in a row are one entry, however libsoup would read them. */
  if (last == NULL || !g_str_has_prefix (last->str, "P:"))
    {
      last = g_string_new ("P:");
      g_ptr_array_add (run->log, last);
    }
  g_string_append_len (last, bytes, len);
}

/* Reads as libsoup does (1,024 bytes at a time, without blocking) until
 * the stream says "would block" with nothing ready, or ends. */
static gboolean
read_like_libsoup (PiWsInputStream *input,
                   TextRun         *run)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      char buffer[1024];
      gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (input), buffer,
                                                           sizeof buffer, NULL, &error);

      if (n == 0)
        return FALSE;
      if (n < 0)
        {
          GString *last = run->log->len > 0 ? g_ptr_array_index (run->log, run->log->len - 1) : NULL;

          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          /* Here libsoup acts on the frames it was given: "|". */
          if (last != NULL && g_str_has_prefix (last->str, "P:"))
            g_ptr_array_add (run->log, g_string_new ("|"));
          if (!g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (input)))
            return TRUE;
          continue;
        }
      log_passed (run, buffer, n);
    }
}

/* Whole, unmasked, unfragmented UTF-8 text frames that fit the buffer go
 * to the text function; every other frame reaches the reader byte for
 * byte, and in order: a text frame after a frame for the reader is not
 * delivered before the reader has heard "would block", when libsoup acts
 * on what it read. */
static void
test_text_frames (void)
{
  g_autoptr(GSocketConnection) peer = NULL;
  g_autoptr(TestConn) conn = conn_pair_new (&peer);
  g_autoptr(PiWsInputStream) input = pi_ws_input_stream_new (G_IO_STREAM (conn), 4096);
  g_autoptr(GString) stream = g_string_new (NULL);
  g_autoptr(GString) to_reader = g_string_new (NULL);
  g_autoptr(GString) big = g_string_new (NULL);
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (free_entry);
  g_autofree char *medium = g_strnfill (300, 'x');
  TextRun run = { g_ptr_array_new_with_free_func (free_entry) };
  GString *entry;
  gsize split;
  gint64 deadline;

  for (guint i = 0; i < 5000; i++)
    g_string_append_c (big, 'a' + i % 26);

  append_frame (stream, 0x81, "one", 3, FALSE);
  g_ptr_array_add (expected, g_string_new ("T:one"));
  entry = g_string_new ("P:");
  append_frame (entry, 0x89, "p", 1, FALSE);                /* ping */
  g_string_append_len (stream, entry->str + 2, entry->len - 2);
  g_ptr_array_add (expected, entry);
  g_ptr_array_add (expected, g_string_new ("|"));
  append_frame (stream, 0x81, "two", 3, FALSE);
  g_ptr_array_add (expected, g_string_new ("T:two"));
  append_frame (to_reader, 0x01, "fr", 2, FALSE);           /* a message in fragments */
  append_frame (to_reader, 0x80, "ag", 2, FALSE);
  append_frame (to_reader, 0x81, "\xff", 1, FALSE);         /* not UTF-8 */
  append_frame (to_reader, 0x81, "masked", 6, TRUE);
  append_frame (to_reader, 0xC1, "rsv", 3, FALSE);          /* a reserved bit */
  g_string_append_len (stream, to_reader->str, to_reader->len);
  entry = g_string_new ("P:");
  g_string_append_len (entry, to_reader->str, to_reader->len);
  g_ptr_array_add (expected, entry);
  g_ptr_array_add (expected, g_string_new ("|"));
  append_frame (stream, 0x81, medium, 300, FALSE);
  entry = g_string_new ("T:");
  g_string_append (entry, medium);
  g_ptr_array_add (expected, entry);
  split = stream->len - 100;                                /* in the middle of it */
  entry = g_string_new ("P:");
  append_frame (entry, 0x81, big->str, big->len, FALSE);   /* larger than the buffer */
  g_string_append_len (stream, entry->str + 2, entry->len - 2);
  g_ptr_array_add (expected, entry);
  g_ptr_array_add (expected, g_string_new ("|"));
  append_frame (stream, 0x81, "end", 3, FALSE);
  g_ptr_array_add (expected, g_string_new ("T:end"));

  pi_ws_input_stream_set_text_func (input, log_text, &run);

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (peer)), stream->str, split,
                             NULL, NULL, NULL);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (run.log->len < 6 && g_get_monotonic_time () < deadline)
    read_like_libsoup (input, &run);
  /* The frame cut in two is not delivered before its end came. */
  g_assert_cmpuint (run.log->len, ==, 6);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (peer)), stream->str + split,
                             stream->len - split, NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (peer), NULL, NULL);
  while (read_like_libsoup (input, &run) && g_get_monotonic_time () < deadline)
    g_usleep (1000);

  g_assert_cmpuint (run.log->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    {
      GString *got = g_ptr_array_index (run.log, i);
      GString *want = g_ptr_array_index (expected, i);

      g_test_message ("%u: %c, %" G_GSIZE_FORMAT " bytes", i, got->str[0], got->len);
      g_assert_cmpmem (got->str, got->len, want->str, want->len);
    }

  g_ptr_array_unref (run.log);
}

typedef struct
{
  TestConn        *conn;
  PiWsInputStream *input;
  gboolean         closed;
  gboolean         ok;
  GThread         *callback_thread;
  GMainContext    *callback_context;
  GMainContext    *context;
} CloseRun;

static void
close_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  CloseRun *run = user_data;
  g_autoptr(GError) error = NULL;

  run->ok = g_input_stream_close_finish (G_INPUT_STREAM (object), result, &error);
  g_assert_no_error (error);
  run->callback_thread = g_thread_self ();
  run->callback_context = g_main_context_get_thread_default ();
  run->closed = TRUE;
}

/* As a source's worker does: a thread with a context of its own, which
 * goes away as soon as the close is done. */
static gpointer
close_in_worker (gpointer data)
{
  CloseRun *run = data;

  run->context = g_main_context_new ();
  g_main_context_push_thread_default (run->context);
  g_input_stream_close_async (G_INPUT_STREAM (run->input), G_PRIORITY_DEFAULT, NULL, close_done, run);
  while (!run->closed)
    g_main_context_iteration (run->context, TRUE);

  /* Nothing of the close may be left running now. */
  g_assert_true (run->conn->async_close_thread == g_thread_self ());
  g_assert_true (run->conn->async_close_context == run->context);
  g_clear_object (&run->input);
  g_main_context_pop_thread_default (run->context);
  g_main_context_unref (run->context);
  return g_thread_self ();
}

static void
test_close_async (void)
{
  g_autoptr(GSocketConnection) peer = NULL;
  CloseRun run = { 0 };
  GThread *thread;
  GThread *worker;
  char byte;
  g_autoptr(GError) error = NULL;

  run.conn = conn_pair_new (&peer);
  run.input = pi_ws_input_stream_new (G_IO_STREAM (run.conn), 4096);

  thread = g_thread_new ("worker", close_in_worker, &run);
  worker = g_thread_join (thread);

  g_assert_true (run.ok);
  g_assert_true (run.callback_thread == worker);
  /* The connection's own close_async, on the worker, not a threaded close_fn. */
  g_assert_cmpuint (run.conn->n_async_closes, ==, 1);
  g_assert_cmpuint (run.conn->n_sync_closes, ==, 0);
  g_assert_true (g_io_stream_is_closed (G_IO_STREAM (run.conn)));
  /* The peer sees the end. */
  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (peer)), &byte, 1, NULL, &error),
                   ==, 0);
  g_assert_no_error (error);
  /* And nothing else holds the connection. */
  g_assert_finalize_object (run.conn);
}

/* The synchronous close still closes the connection. */
static void
test_close_sync (void)
{
  g_autoptr(GSocketConnection) peer = NULL;
  TestConn *conn = conn_pair_new (&peer);
  PiWsInputStream *input = pi_ws_input_stream_new (G_IO_STREAM (conn), 4096);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_input_stream_close (G_INPUT_STREAM (input), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (conn->n_sync_closes, ==, 1);
  g_assert_true (g_io_stream_is_closed (G_IO_STREAM (conn)));
  g_assert_finalize_object (input);
  g_assert_finalize_object (conn);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/ws-input-stream/head-then-frames", test_head_then_frames);
  g_test_add_func ("/pi/ws-input-stream/text-frames", test_text_frames);
  g_test_add_func ("/pi/ws-input-stream/close-async", test_close_async);
  g_test_add_func ("/pi/ws-input-stream/close-sync", test_close_sync);

  return g_test_run ();
}
