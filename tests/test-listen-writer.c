/* test-listen-writer.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "pi-listen-writer.h"

/* 2025-11-27T09:37:36.123Z, plus microseconds that are not printed */
#define TIME_USEC G_GINT64_CONSTANT (1764236256123456)
#define TIME_TEXT "\"time\":\"2025-11-27T09:37:36.123Z\""

/* A writer on a temporary file: what a user reads is what the file holds. */
typedef struct
{
  PiListenWriter *writer;
  char           *path;
  int             fd;
} Output;

static void
output_init (Output *output)
{
  g_autoptr(GError) error = NULL;

  output->fd = g_file_open_tmp ("test-listen-writer-XXXXXX", &output->path, &error);
  g_assert_no_error (error);
  output->writer = pi_listen_writer_new (output->fd);
}

static void
output_clear (Output *output)
{
  g_clear_pointer (&output->writer, pi_listen_writer_free);
  g_close (output->fd, NULL);
  g_unlink (output->path);
  g_free (output->path);
}

/* Flushes, and returns everything written so far. */
static char *
output_flush (Output *output)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_assert_true (pi_listen_writer_flush (output->writer, &error));
  g_assert_no_error (error);
  g_file_get_contents (output->path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static char *
line_for_data (const char *data,
               gssize      len,
               guint64     sequence)
{
  Output output;
  g_autoptr(PiMessage) message = NULL;
  char *text;

  output_init (&output);
  message = pi_message_new_from_data (data, len < 0 ? strlen (data) : (gsize) len, sequence, TIME_USEC);
  pi_listen_writer_add_message (output.writer, message);
  text = output_flush (&output);
  output_clear (&output);
  return text;
}

static void
test_message (void)
{
  g_autofree char *text =
    line_for_data ("{\"payload\":{\"status\":{\"taskId\":\"abc\"},\"runId\":0},"
                   "\"exchange\":\"exchange/taskcluster-queue/v1/task-completed\","
                   "\"routingKey\":\"primary.abc.0\","
                   "\"routes\":[\"index.project.x\",\"tc-treeherder.v2\"],\"redelivered\":true}",
                   -1, 12345678901);

  g_assert_cmpstr (text, ==,
                   "{" TIME_TEXT ",\"event\":\"message\",\"seq\":12345678901,"
                   "\"exchange\":\"exchange/taskcluster-queue/v1/task-completed\","
                   "\"routingKey\":\"primary.abc.0\","
                   "\"routes\":[\"index.project.x\",\"tc-treeherder.v2\"],\"redelivered\":true,"
                   "\"payload\":{\"status\":{\"taskId\":\"abc\"},\"runId\":0}}\n");
}

/* A payload that spans lines stays one line: its line breaks are
 * whitespace between JSON tokens, and become spaces. */
static void
test_multiline_payload (void)
{
  g_autofree char *text =
    line_for_data ("{\"payload\":{\n  \"a\": [1,\r\n 2]\n},\"exchange\":\"e/x\",\"routingKey\":\"k\","
                   "\"routes\":[],\"redelivered\":false}",
                   -1, 0);

  g_assert_cmpstr (text, ==,
                   "{" TIME_TEXT ",\"event\":\"message\",\"seq\":0,\"exchange\":\"e/x\",\"routingKey\":\"k\","
                   "\"routes\":[],\"redelivered\":false,\"payload\":{   \"a\": [1,   2] }}\n");
}

/* An old server's event is the bare payload: no exchange, no routing key. */
static void
test_payload_only (void)
{
  g_autofree char *text = line_for_data ("[1,\"two\"]", -1, 7);

  g_assert_cmpstr (text, ==,
                   "{" TIME_TEXT ",\"event\":\"message\",\"seq\":7,\"exchange\":null,\"routingKey\":null,"
                   "\"routes\":[],\"redelivered\":false,\"payload\":[1,\"two\"]}\n");
}

/* Data that is not JSON is shown as it came, escaped, with the reason. */
static void
test_undecodable (void)
{
  g_autofree char *text = line_for_data ("{\"payload\": tru\t\"e\\", -1, 3);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  g_assert_true (g_str_has_prefix (text, "{" TIME_TEXT ",\"event\":\"message\",\"seq\":3,"
                                         "\"undecodable\":\"{\\\"payload\\\": tru\\t\\\"e\\\\\",\"error\":\""));
  g_assert_true (g_str_has_suffix (text, "\"}\n"));
  g_assert_true (strchr (text, '\n') == text + strlen (text) - 1);

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_false (json_object_has_member (object, "payload"));
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "error")), >, 5);
}

/* Bytes that are not UTF-8 never reach the output: each is U+FFFD. */
static void
test_invalid_utf8 (void)
{
  g_autofree char *text =
    line_for_data ("{\"payload\":\"caf\xE9\",\"exchange\":\"e/x\",\"routingKey\":\"k\xFF\","
                   "\"routes\":[],\"redelivered\":false}",
                   -1, 1);

  g_assert_cmpstr (text, ==,
                   "{" TIME_TEXT ",\"event\":\"message\",\"seq\":1,\"exchange\":\"e/x\","
                   "\"routingKey\":\"k\xEF\xBF\xBD\",\"routes\":[],\"redelivered\":false,"
                   "\"payload\":\"caf\xEF\xBF\xBD\"}\n");
  g_assert_true (g_utf8_validate (text, -1, NULL));
}

static void
test_gap (void)
{
  Output output;
  g_autoptr(PiMessage) gap = pi_message_new_gap (5, TIME_USEC, "Reconnected: \"some\" messages may be missing");
  g_autoptr(PiMessage) bare = pi_message_new_gap (6, TIME_USEC + G_USEC_PER_SEC, NULL);
  g_autofree char *text = NULL;

  output_init (&output);
  pi_listen_writer_add_message (output.writer, gap);
  pi_listen_writer_add_message (output.writer, bare);
  text = output_flush (&output);
  output_clear (&output);

  /* The next second is its own: the cached date is not reused. */
  g_assert_cmpstr (text, ==,
                   "{" TIME_TEXT ",\"event\":\"gap\",\"reason\":\"Reconnected: \\\"some\\\" messages may be missing\"}\n"
                   "{\"time\":\"2025-11-27T09:37:37.123Z\",\"event\":\"gap\",\"reason\":null}\n");
}

static void
test_dropped (void)
{
  Output output;
  g_autoptr(PiMessage) dropped = pi_message_new_dropped (9, G_GUINT64_CONSTANT (5000000000), "too-slow");
  g_autofree char *text = NULL;

  output_init (&output);
  pi_listen_writer_add_message (output.writer, dropped);
  text = output_flush (&output);
  output_clear (&output);

  /* Received now: any time, in the same form. */
  g_assert_true (g_regex_match_simple ("^\\{\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\","
                                       "\"event\":\"dropped\",\"count\":5000000000,\"reason\":\"too-slow\"\\}\n$",
                                       text, 0, 0));
}

/* --raw: every server-sent event as it came, U+0000 and line breaks escaped. */
static void
test_raw_event (void)
{
  Output output;
  g_autoptr(PiRawEvent) hello = pi_raw_event_new ("hello", "-", "a\0b\nc\"\\", 7);
  g_autoptr(PiRawEvent) plain = pi_raw_event_new ("message", "", "", 0);
  g_autofree char *text = NULL;

  output_init (&output);
  pi_listen_writer_add_raw_event (output.writer, hello);
  pi_listen_writer_add_raw_event (output.writer, plain);
  text = output_flush (&output);
  output_clear (&output);

  g_assert_cmpstr (text, ==,
                   "{\"event\":\"hello\",\"id\":\"-\",\"data\":\"a\\u0000b\\nc\\\"\\\\\"}\n"
                   "{\"event\":\"message\",\"id\":\"\",\"data\":\"\"}\n");
}

/* Nothing reaches the output before a flush; a flush writes each line once. */
static void
test_flush (void)
{
  Output output;
  g_autoptr(PiMessage) first = pi_message_new_gap (1, TIME_USEC, "one");
  g_autoptr(PiMessage) second = pi_message_new_gap (2, TIME_USEC, "two");
  g_autofree char *before = NULL;
  g_autofree char *once = NULL;
  g_autofree char *again = NULL;
  g_autofree char *twice = NULL;

  output_init (&output);
  pi_listen_writer_add_message (output.writer, first);
  g_file_get_contents (output.path, &before, NULL, NULL);
  g_assert_cmpstr (before, ==, "");

  once = output_flush (&output);
  again = output_flush (&output);
  g_assert_cmpstr (once, ==, "{" TIME_TEXT ",\"event\":\"gap\",\"reason\":\"one\"}\n");
  g_assert_cmpstr (again, ==, once);

  pi_listen_writer_add_message (output.writer, second);
  twice = output_flush (&output);
  g_assert_cmpstr (twice, ==,
                   "{" TIME_TEXT ",\"event\":\"gap\",\"reason\":\"one\"}\n"
                   "{" TIME_TEXT ",\"event\":\"gap\",\"reason\":\"two\"}\n");
  output_clear (&output);
}

/* `pulse-listen | head`: the reader went away; said as a broken pipe,
 * which pulse-listen takes as the end, not a failure. */
static void
test_reader_gone (void)
{
  g_autoptr(PiListenWriter) writer = NULL;
  g_autoptr(PiMessage) gap = pi_message_new_gap (1, TIME_USEC, NULL);
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_no_errno (pipe (fds));
  g_close (fds[0], NULL);
  writer = pi_listen_writer_new (fds[1]);

  pi_listen_writer_add_message (writer, gap);
  g_assert_false (pi_listen_writer_flush (writer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_clear_error (&error);

  /* What failed is not written again: the buffer is empty. */
  g_assert_true (pi_listen_writer_flush (writer, &error));
  g_assert_no_error (error);
  g_close (fds[1], NULL);
}

/* A file that cannot be written to: the reason in words. */
static void
test_write_error (void)
{
  g_autoptr(PiListenWriter) writer = NULL;
  g_autoptr(PiMessage) gap = pi_message_new_gap (1, TIME_USEC, NULL);
  g_autoptr(GError) error = NULL;
  int fd = g_open ("/dev/full", O_WRONLY, 0);

  if (fd < 0)
    {
      g_test_skip ("No /dev/full");
      return;
    }

  writer = pi_listen_writer_new (fd);
  pi_listen_writer_add_message (writer, gap);
  g_assert_false (pi_listen_writer_flush (writer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpstr (error->message, ==, g_strerror (ENOSPC));
  g_close (fd, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* As in pulse-listen: a closed reader is told by write(), not a signal. */
  signal (SIGPIPE, SIG_IGN);

  g_test_add_func ("/pi/listen-writer/message", test_message);
  g_test_add_func ("/pi/listen-writer/multiline-payload", test_multiline_payload);
  g_test_add_func ("/pi/listen-writer/payload-only", test_payload_only);
  g_test_add_func ("/pi/listen-writer/undecodable", test_undecodable);
  g_test_add_func ("/pi/listen-writer/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/pi/listen-writer/gap", test_gap);
  g_test_add_func ("/pi/listen-writer/dropped", test_dropped);
  g_test_add_func ("/pi/listen-writer/raw-event", test_raw_event);
  g_test_add_func ("/pi/listen-writer/flush", test_flush);
  g_test_add_func ("/pi/listen-writer/reader-gone", test_reader_gone);
  g_test_add_func ("/pi/listen-writer/write-error", test_write_error);

  return g_test_run ();
}
