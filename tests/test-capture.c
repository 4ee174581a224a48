/* test-capture.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <unistd.h>
#include <string.h>

#include "pi-binding.h"
#include "pi-capture.h"
#include "pi-json-util.h"

/* 2026-01-01T00:00:00Z in microseconds since the epoch. */
#define T0 G_GINT64_CONSTANT (1767225600000000)

#define COMPLETED "exchange/taskcluster-queue/v1/task-completed"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-capture-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static GFile *
fixture_file (Fixture    *fixture,
              const char *name)
{
  g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

  return g_file_new_for_path (path);
}

static GFile *
fixture_write (Fixture    *fixture,
               const char *name,
               const char *contents,
               gssize      len)
{
  g_autoptr(GError) error = NULL;
  GFile *file = fixture_file (fixture, name);
  g_autofree char *path = g_file_get_path (file);

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  return file;
}

static PiMessage *
message (const char *data,
         guint64     seq,
         gint64      time)
{
  return pi_message_new_from_data (data, strlen (data), seq, time);
}

/* One message of every kind the app can hold. */
static GPtrArray *
sample_messages (void)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (messages, message ("{\"payload\":{\"status\":{\"taskId\":\"fQ2\",\"state\":\"completed\"},\"runId\":0},"
                                      "\"exchange\":\"" COMPLETED "\","
                                      "\"routingKey\":\"primary.fQ2.0.wg.wid.prov.wtype.sched.group._\","
                                      "\"redelivered\":false,"
                                      "\"routes\":[\"index.project.foo.latest\",\"tc-treeherder.v2.try\"]}",
                                      1, T0 + 123456));
  /* Redelivered, no routes, a routing key with odd characters. */
  g_ptr_array_add (messages, message ("{\"exchange\":\"e/x\",\"routingKey\":\"a.\\\"quoted\\\".\u00e9t\u00e9\","
                                      "\"redelivered\":true,\"payload\":[1,2,\"three\"]}",
                                      2, T0 + 1000000));
  /* A payload written over several lines (multi-line SSE data). */
  g_ptr_array_add (messages, message ("{\"exchange\":\"e/y\",\"routingKey\":\"k\",\"payload\":{\n  \"a\": \"b\\nc\",\r\n  \"d\": null\n}}",
                                      3, T0 + 2000001));
  /* An old server: the data is the payload. */
  g_ptr_array_add (messages, message ("{\"status\":{\"taskId\":\"abc\"}}", 4, T0 + 3000000));
  g_ptr_array_add (messages, message ("42", 5, T0 + 3000001));
  /* Not JSON: raw text with a newline, quotes and a control character. */
  g_ptr_array_add (messages, message ("{\"exchange\": \"x\", oops\n \"q\" \\ \t\x01", 6, T0 + 4000000));
  /* Not UTF-8 either. */
  g_ptr_array_add (messages, message ("\xff\xfe{", 7, T0 + 4000001));
  g_ptr_array_add (messages, pi_message_new_gap (8, T0 + 5000000, "Connection lost: the server closed the stream"));
  /* Sequence numbers need not be contiguous (messages were evicted). */
  g_ptr_array_add (messages, message ("{\"exchange\":\"e/z\",\"routingKey\":\"\",\"payload\":null}", 1000, T0 - 1));

  return messages;
}

static void
assert_same_payload (PiMessage *a,
                     PiMessage *b)
{
  g_autoptr(JsonNode) pa = pi_message_dup_payload (a);
  g_autoptr(JsonNode) pb = pi_message_dup_payload (b);

  if (pa == NULL || pb == NULL)
    {
      g_assert_true (pa == pb);
      return;
    }
  g_assert_true (json_node_equal (pa, pb));
}

static void
assert_same_message (PiMessage *a,
                     PiMessage *b)
{
  const char * const *ra = pi_message_get_routes (a);
  const char * const *rb = pi_message_get_routes (b);

  g_assert_cmpint (pi_message_get_kind (a), ==, pi_message_get_kind (b));
  g_assert_cmpuint (pi_message_get_sequence (a), ==, pi_message_get_sequence (b));
  g_assert_cmpint (pi_message_get_time_received (a), ==, pi_message_get_time_received (b));
  g_assert_cmpstr (pi_message_get_exchange (a), ==, pi_message_get_exchange (b));
  g_assert_cmpstr (pi_message_get_routing_key (a), ==, pi_message_get_routing_key (b));
  g_assert_cmpint (pi_message_get_redelivered (a), ==, pi_message_get_redelivered (b));
  g_assert_cmpstr (pi_message_get_error (a), ==, pi_message_get_error (b));
  g_assert_true (g_strv_equal ((const char * const *) ra, (const char * const *) rb));
  assert_same_payload (a, b);

  if (pi_message_get_kind (a) == PI_MESSAGE_KIND_UNDECODABLE)
    g_assert_cmpstr (pi_message_get_raw (a), ==, pi_message_get_raw (b));
}

static PiCaptureInfo *
sample_info (void)
{
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GDateTime) started = g_date_time_new_from_unix_utc (T0 / G_USEC_PER_SEC - 60);
  g_autoptr(GDateTime) started_usec = g_date_time_add (started, 654321);

  g_ptr_array_add (bindings, pi_binding_new (COMPLETED, "primary.#"));
  g_ptr_array_add (bindings, pi_binding_new ("exchange/taskcluster-queue/v1/task-failed", "route.index.#"));

  return pi_capture_info_new ("https://tc.example.com/api/events/v1", bindings, started_usec);
}

static void
write_capture (GFile         *file,
               PiCaptureInfo *info,
               GPtrArray     *messages)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GOutputStream) buffered = NULL;
  g_autoptr(PiCaptureWriter) writer = NULL;

  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  buffered = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (stream), 256 * 1024);
  writer = pi_capture_writer_new (buffered, info, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < messages->len; i++)
    {
      pi_capture_writer_write (writer, g_ptr_array_index (messages, i), &error);
      g_assert_no_error (error);
    }

  pi_capture_writer_close (writer, &error);
  g_assert_no_error (error);
}

static void
test_format (void)
{
  g_autoptr(PiCaptureInfo) info = sample_info ();
  g_autoptr(GPtrArray) messages = sample_messages ();
  g_autofree char *header = pi_capture_format_header (info);
  g_autofree char *line = NULL;
  g_autofree char *payload_only = NULL;
  g_autofree char *undecodable = NULL;
  g_autofree char *gap = NULL;
  PiMessage *decoded;

  g_assert_cmpstr (header, ==,
                   "{\"format\":\"pulse-inspector-capture\",\"version\":1,"
                   "\"server\":\"https://tc.example.com/api/events/v1\","
                   "\"bindings\":[{\"exchange\":\"" COMPLETED "\",\"routingKeyPattern\":\"primary.#\"},"
                   "{\"exchange\":\"exchange/taskcluster-queue/v1/task-failed\",\"routingKeyPattern\":\"route.index.#\"}],"
                   "\"started\":\"2025-12-31T23:59:00.654321Z\"}\n");

  line = pi_capture_format_message (g_ptr_array_index (messages, 0));
  g_assert_cmpstr (line, ==,
                   "{\"seq\":1,\"time\":\"2026-01-01T00:00:00.123456Z\","
                   "\"exchange\":\"" COMPLETED "\","
                   "\"routingKey\":\"primary.fQ2.0.wg.wid.prov.wtype.sched.group._\","
                   "\"routes\":[\"index.project.foo.latest\",\"tc-treeherder.v2.try\"],"
                   "\"redelivered\":false,"
                   "\"payload\":{\"status\":{\"taskId\":\"fQ2\",\"state\":\"completed\"},\"runId\":0}}\n");

  /* A message line is itself a message object. */
  decoded = pi_message_new_from_data (line, strlen (line) - 1, 1, 0);
  g_assert_cmpint (pi_message_get_kind (decoded), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (decoded), ==, COMPLETED);
  g_assert_cmpstr (pi_message_get_routes (decoded)[1], ==, "tc-treeherder.v2.try");
  g_assert_finalize_object (decoded);

  /* The multi-line payload is put on one line. */
  g_free (line);
  line = pi_capture_format_message (g_ptr_array_index (messages, 2));
  g_assert_null (strchr (line, '\r'));
  g_assert_true (strchr (line, '\n') == line + strlen (line) - 1);

  payload_only = pi_capture_format_message (g_ptr_array_index (messages, 3));
  g_assert_cmpstr (payload_only, ==,
                   "{\"seq\":4,\"time\":\"2026-01-01T00:00:03.000000Z\","
                   "\"payload\":{\"status\":{\"taskId\":\"abc\"}}}\n");

  undecodable = pi_capture_format_message (g_ptr_array_index (messages, 5));
  g_assert_true (g_str_has_prefix (undecodable,
                                   "{\"seq\":6,\"time\":\"2026-01-01T00:00:04.000000Z\","
                                   "\"undecodable\":\"{\\\"exchange\\\": \\\"x\\\", oops\\n \\\"q\\\" \\\\ \\t\\u0001\","
                                   "\"error\":\""));
  g_assert_true (strchr (undecodable, '\n') == undecodable + strlen (undecodable) - 1);

  gap = pi_capture_format_message (g_ptr_array_index (messages, 7));
  g_assert_cmpstr (gap, ==,
                   "{\"seq\":8,\"time\":\"2026-01-01T00:00:05.000000Z\","
                   "\"gap\":\"Connection lost: the server closed the stream\"}\n");
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GFile) file = fixture_file (fixture, "capture.jsonl");
  g_autoptr(PiCaptureInfo) info = sample_info ();
  g_autoptr(PiCaptureInfo) loaded_info = NULL;
  g_autoptr(GPtrArray) messages = sample_messages ();
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  g_autofree char *started = NULL;
  GPtrArray *bindings;
  PiMessage *first;

  write_capture (file, info, messages);

  loaded = pi_capture_load (file, &loaded_info, &warning, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (warning);
  g_assert_nonnull (loaded);
  g_assert_cmpuint (loaded->len, ==, messages->len);

  for (guint i = 0; i < loaded->len; i++)
    assert_same_message (g_ptr_array_index (messages, i), g_ptr_array_index (loaded, i));

  /* A decoded message gets its protocol object back: same size, no seq. */
  first = g_ptr_array_index (loaded, 0);
  g_assert_cmpuint (pi_message_get_size (first), ==,
                    pi_message_get_size (g_ptr_array_index (messages, 0)));
  g_assert_null (strstr (pi_message_get_raw (first), "\"seq\""));

  g_assert_cmpstr (pi_capture_info_get_server_url (loaded_info), ==, "https://tc.example.com/api/events/v1");
  bindings = pi_capture_info_get_bindings (loaded_info);
  g_assert_cmpuint (bindings->len, ==, 2);
  g_assert_cmpstr (pi_binding_get_exchange (g_ptr_array_index (bindings, 0)), ==, COMPLETED);
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (g_ptr_array_index (bindings, 1)), ==, "route.index.#");
  started = g_date_time_format_iso8601 (pi_capture_info_get_started (loaded_info));
  g_assert_cmpstr (started, ==, "2025-12-31T23:59:00.654321Z");

  /* The messages are plain objects that go away with their list. */
  first = g_object_ref (first);
  g_clear_pointer (&loaded, g_ptr_array_unref);
  g_assert_finalize_object (first);
}

/* A switch of server in the list is saved as a discontinuity every reader
 * knows (a gap) that says where the messages came from after it. */
static void
test_switch_saved (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GFile) file = fixture_file (fixture, "switch.jsonl");
  g_autoptr(PiCaptureInfo) info = sample_info ();
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;
  PiMessage *marker;

  g_ptr_array_add (messages, message ("{\"exchange\":\"e/a\",\"routingKey\":\"a\",\"payload\":1}", 1, T0));
  g_ptr_array_add (messages, pi_message_new_switch (1, T0 + 1000000, "Taskcluster Community"));
  g_ptr_array_add (messages, message ("{\"exchange\":\"e/b\",\"routingKey\":\"b\",\"payload\":2}", 2, T0 + 2000000));
  write_capture (file, info, messages);

  loaded = pi_capture_load (file, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, 3);
  marker = g_ptr_array_index (loaded, 1);
  g_assert_cmpint (pi_message_get_kind (marker), ==, PI_MESSAGE_KIND_GAP);
  g_assert_cmpstr (pi_message_get_error (marker), ==, "Now listening to Taskcluster Community");
  g_assert_cmpint (pi_message_get_time_received (marker), ==, T0 + 1000000);
  g_assert_cmpstr (pi_message_get_routing_key (g_ptr_array_index (loaded, 2)), ==, "b");
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GPtrArray *
load_async_and_wait (GFile          *file,
                     PiCaptureInfo **info,
                     char          **warning,
                     GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pi_capture_load_async (file, NULL, on_loaded, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return pi_capture_load_finish (file, result, info, warning, error);
}

static void
test_truncated (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GFile) file = fixture_file (fixture, "cut.jsonl");
  g_autoptr(PiCaptureInfo) info = sample_info ();
  g_autoptr(GPtrArray) messages = sample_messages ();
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *contents = NULL;
  g_autofree char *warning = NULL;
  gsize len;

  write_capture (file, info, messages);
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);

  /* Cut the file in the middle of its last line, as a crash would. */
  g_assert_true (contents[len - 1] == '\n');
  len -= 12;
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);

  loaded = load_async_and_wait (file, NULL, &warning, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, messages->len - 1);
  for (guint i = 0; i < loaded->len; i++)
    assert_same_message (g_ptr_array_index (messages, i), g_ptr_array_index (loaded, i));
  g_assert_nonnull (warning);
  g_test_message ("%s", warning);
  g_assert_nonnull (strstr (warning, "“cut.jsonl”"));
  g_assert_nonnull (strstr (warning, "cut off"));
}

static void
test_damaged_line (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  PiMessage *bad;

  /* A damaged line in the middle is kept, shown as undecodable; a last
   * line that is complete needs no newline.
   */
  file = fixture_write (fixture, "damaged.jsonl",
                        "{\"format\":\"pulse-inspector-capture\",\"version\":1,\"server\":null,"
                        "\"bindings\":[],\"started\":\"2026-01-01T00:00:00.000000Z\"}\n"
                        "\n"
                        "{\"seq\":1,\"time\":\"2026-01-01T00:00:01.000000Z\",\"exchange\":\"e\",\"routingKey\":\"k\",\"payload\":1}\n"
                        "{\"seq\":2,\"time\":\"2026-01-01T00:00:02.0\r\n"
                        "{\"seq\":3,\"time\":\"2026-01-01T01:00:00+01:00\",\"payload\":{\"x\":true}}", -1);

  loaded = pi_capture_load (file, NULL, &warning, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, 3);

  bad = g_ptr_array_index (loaded, 1);
  g_assert_cmpint (pi_message_get_kind (bad), ==, PI_MESSAGE_KIND_UNDECODABLE);
  g_assert_cmpuint (pi_message_get_sequence (bad), ==, 2);
  g_assert_true (g_str_has_prefix (pi_message_get_raw (bad), "{\"seq\":2,"));

  g_assert_cmpint (pi_message_get_kind (g_ptr_array_index (loaded, 2)), ==, PI_MESSAGE_KIND_PAYLOAD_ONLY);
  g_assert_cmpuint (pi_message_get_sequence (g_ptr_array_index (loaded, 2)), ==, 3);
  /* Other ISO 8601 forms are read too. */
  g_assert_cmpint (pi_message_get_time_received (g_ptr_array_index (loaded, 2)), ==, T0);

  g_assert_nonnull (warning);
  g_test_message ("%s", warning);
  g_assert_nonnull (strstr (warning, "line 4"));
  g_assert_null (strstr (warning, "cut off"));
}

static void
test_not_a_capture (Fixture       *fixture,
                    gconstpointer  data)
{
  static const struct {
    const char *name;
    const char *contents;
    gssize      len;
    int         code;
  } cases[] = {
    { "notes.txt", "Dear diary,\nthe broker was slow today.\n", -1, PI_CAPTURE_ERROR_NOT_A_CAPTURE },
    { "empty.jsonl", "", -1, PI_CAPTURE_ERROR_NOT_A_CAPTURE },
    { "blank.jsonl", "  \n\n \t\n", -1, PI_CAPTURE_ERROR_NOT_A_CAPTURE },
    { "image.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, PI_CAPTURE_ERROR_NOT_A_CAPTURE },
    { "config.json", "{\"name\":\"pulse\",\"version\":1}\n", -1, PI_CAPTURE_ERROR_NOT_A_CAPTURE },
    { "other.jsonl", "{\"format\":\"wireshark\",\"version\":1}\n", -1, PI_CAPTURE_ERROR_NOT_A_CAPTURE },
    { "broken.json", "{\"format\":\"pulse-insp", -1, PI_CAPTURE_ERROR_NOT_A_CAPTURE },
    { "array.json", "[1, 2,", -1, PI_CAPTURE_ERROR_NOT_A_CAPTURE },
    { "future.jsonl", "{\"format\":\"pulse-inspector-capture\",\"version\":2}\n", -1,
      PI_CAPTURE_ERROR_UNSUPPORTED_VERSION },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GFile) file = fixture_write (fixture, cases[i].name, cases[i].contents, cases[i].len);
      g_autoptr(GError) error = NULL;
      g_autofree char *quoted = g_strdup_printf ("“%s”", cases[i].name);
      PiCaptureInfo *info = (PiCaptureInfo *) file;   /* must be reset */
      char *warning = (char *) file;

      g_assert_null (pi_capture_load (file, &info, &warning, NULL, &error));
      g_assert_error (error, PI_CAPTURE_ERROR, cases[i].code);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, quoted));
      g_assert_null (info);
      g_assert_null (warning);
    }

  /* A file that is not there is a GIO error, in words with its name. */
  {
    g_autoptr(GFile) missing = fixture_file (fixture, "missing.jsonl");
    g_autoptr(GError) error = NULL;

    g_assert_null (load_async_and_wait (missing, NULL, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "“missing.jsonl”"));
  }
}

/* A file nested a million levels deep, as an old inspectors' array or in
 * a capture header, is not a capture: refused, not a stack overflow that
 * crashes the app when someone opens it. */
static void
test_deep (Fixture       *fixture,
           gconstpointer  data)
{
  const gsize depth = 1000000;
  static const char *starts[] = {
    "",
    "{\"format\":\"pulse-inspector-capture\",\"version\":1,\"x\":",
  };

  for (guint i = 0; i < G_N_ELEMENTS (starts); i++)
    {
      g_autoptr(GString) contents = g_string_new (starts[i]);
      g_autoptr(GFile) file = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) loaded = NULL;

      for (gsize j = 0; j < depth; j++)
        g_string_append_c (contents, '[');
      for (gsize j = 0; j < depth; j++)
        g_string_append_c (contents, ']');
      if (i > 0)
        g_string_append (contents, "}\n");

      file = fixture_write (fixture, "deep.json", contents->str, contents->len);
      loaded = pi_capture_load (file, NULL, NULL, NULL, &error);
      g_assert_null (loaded);
      g_assert_error (error, PI_CAPTURE_ERROR, PI_CAPTURE_ERROR_NOT_A_CAPTURE);
      g_assert_nonnull (strstr (error->message, "“deep.json”"));
    }
}

/* An old server's bare payload is kept however deep the decoder accepts
 * it, and its capture line, one level deeper, reads back as that message
 * (it was refused and shown as undecodable). */
static void
test_deepest_payload (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GString) payload = g_string_new (NULL);
  g_autoptr(GString) contents = NULL;
  g_autoptr(PiCaptureInfo) info = pi_capture_info_new (NULL, NULL, NULL);
  g_autoptr(PiMessage) sent = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *header = NULL;
  g_autofree char *line = NULL;
  g_autofree char *warning = NULL;
  const char *text;
  gsize len;

  for (guint i = 0; i < PI_JSON_DEFAULT_MAX_DEPTH; i++)
    g_string_append_c (payload, '[');
  for (guint i = 0; i < PI_JSON_DEFAULT_MAX_DEPTH; i++)
    g_string_append_c (payload, ']');
  sent = pi_message_new_from_data (payload->str, payload->len, 1, T0);
  g_assert_cmpint (pi_message_get_kind (sent), ==, PI_MESSAGE_KIND_PAYLOAD_ONLY);

  header = pi_capture_format_header (info);
  line = pi_capture_format_message (sent);
  contents = g_string_new (header);
  g_string_append (contents, line);
  file = fixture_write (fixture, "deepest.jsonl", contents->str, contents->len);

  loaded = pi_capture_load (file, NULL, &warning, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (warning);
  g_assert_cmpuint (loaded->len, ==, 1);
  g_assert_cmpint (pi_message_get_kind (loaded->pdata[0]), ==, PI_MESSAGE_KIND_PAYLOAD_ONLY);
  text = pi_message_get_payload_text (loaded->pdata[0], &len);
  g_assert_cmpmem (text, len, payload->str, payload->len);
}

static void
test_inspector_array (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(PiCaptureInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) file_info = NULL;
  g_autofree char *warning = NULL;
  gint64 mtime;
  PiMessage *m;

  /* The old inspectors' "download" button: a pretty JSON array. */
  file = fixture_write (fixture, "pulse-messages.json",
                        "\n  [\n"
                        "  {\n"
                        "    \"exchange\": \"" COMPLETED "\",\n"
                        "    \"routingKey\": \"primary.fQ2.0.wg.wid.prov.wtype.sched.group._\",\n"
                        "    \"payload\": {\"status\": {\"taskId\": \"fQ2\"}}\n"
                        "  },\n"
                        "  {\n"
                        "    \"exchange\": \"exchange/taskcluster-queue/v1/task-failed\",\n"
                        "    \"routingKey\": \"primary.x\",\n"
                        "    \"redelivered\": true,\n"
                        "    \"routes\": [\"index.a\"],\n"
                        "    \"payload\": [1, 2]\n"
                        "  }\n"
                        "]\n", -1);

  loaded = pi_capture_load (file, &info, &warning, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (warning);
  g_assert_cmpuint (loaded->len, ==, 2);
  g_assert_null (pi_capture_info_get_server_url (info));
  g_assert_cmpuint (pi_capture_info_get_bindings (info)->len, ==, 0);

  file_info = g_file_query_info (file, G_FILE_ATTRIBUTE_TIME_MODIFIED, G_FILE_QUERY_INFO_NONE, NULL, &error);
  g_assert_no_error (error);
  mtime = g_file_info_get_attribute_uint64 (file_info, G_FILE_ATTRIBUTE_TIME_MODIFIED);

  m = g_ptr_array_index (loaded, 0);
  g_assert_cmpint (pi_message_get_kind (m), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpuint (pi_message_get_sequence (m), ==, 1);
  g_assert_cmpint (pi_message_get_time_received (m) / G_USEC_PER_SEC, ==, mtime);
  g_assert_cmpstr (pi_message_get_exchange (m), ==, COMPLETED);
  g_assert_cmpstr (pi_message_get_routing_key (m), ==, "primary.fQ2.0.wg.wid.prov.wtype.sched.group._");

  m = g_ptr_array_index (loaded, 1);
  g_assert_cmpuint (pi_message_get_sequence (m), ==, 2);
  g_assert_true (pi_message_get_redelivered (m));
  g_assert_cmpstr (pi_message_get_routes (m)[0], ==, "index.a");
  {
    g_autoptr(JsonNode) payload = pi_message_dup_payload (m);

    g_assert_true (JSON_NODE_HOLDS_ARRAY (payload));
    g_assert_cmpuint (json_array_get_length (json_node_get_array (payload)), ==, 2);
  }
}

static void
test_headerless (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(PiCaptureInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  /* Message lines without a header (copied from pulse-listen's output). */
  file = fixture_write (fixture, "lines.jsonl",
                        "{\"seq\":7,\"time\":\"2026-01-01T00:00:00.000001Z\",\"exchange\":\"e\",\"routingKey\":\"k\",\"payload\":{}}\n"
                        "{\"seq\":8,\"time\":\"2026-01-01T00:00:00.000002Z\",\"gap\":\"lost\"}\n", -1);

  loaded = pi_capture_load (file, &info, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->len, ==, 2);
  g_assert_null (pi_capture_info_get_server_url (info));
  g_assert_cmpuint (pi_message_get_sequence (g_ptr_array_index (loaded, 0)), ==, 7);
  g_assert_cmpint (pi_message_get_time_received (g_ptr_array_index (loaded, 0)), ==, T0 + 1);
  g_assert_cmpint (pi_message_get_kind (g_ptr_array_index (loaded, 1)), ==, PI_MESSAGE_KIND_GAP);
  g_assert_cmpstr (pi_message_get_error (g_ptr_array_index (loaded, 1)), ==, "lost");
}

static GPtrArray *
many_messages (guint n)
{
  GPtrArray *messages = g_ptr_array_new_full (n, g_object_unref);
  g_autoptr(GString) data = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_string_printf (data,
                       "{\"payload\":{\"status\":{\"taskId\":\"T%07u\",\"runs\":[{\"runId\":0,\"state\":\"completed\"}]},"
                       "\"runId\":0},\"exchange\":\"" COMPLETED "\","
                       "\"routingKey\":\"primary.T%07u.0.wg.wid.prov.wtype.sched.group._\","
                       "\"redelivered\":false,\"routes\":[\"index.r%u\"]}",
                       i, i, i % 10);
      g_ptr_array_add (messages, pi_message_new_from_data (data->str, data->len, i + 1, T0 + i * 1000));
    }

  return messages;
}

typedef struct
{
  GThread *main_thread;
  guint    calls;
  guint64  last_done;
  guint64  total;
  gboolean done;
  GError  *error;
  GCancellable *cancel_on_progress;
} SaveState;

static void
on_progress (guint64  done,
             guint64  total,
             gpointer user_data)
{
  SaveState *state = user_data;

  g_assert_true (g_thread_self () == state->main_thread);
  g_assert_false (state->done);
  g_assert_cmpuint (done, >=, state->last_done);
  g_assert_cmpuint (done, <=, total);
  state->last_done = done;
  state->total = total;
  state->calls++;

  if (state->cancel_on_progress != NULL)
    g_cancellable_cancel (state->cancel_on_progress);
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  SaveState *state = user_data;

  g_assert_true (g_thread_self () == state->main_thread);
  pi_capture_save_finish (result, &state->error);
  state->done = TRUE;
}

static void
save_and_wait (GFile         *file,
               PiCaptureInfo *info,
               GPtrArray     *messages,
               GCancellable  *cancellable,
               SaveState     *state)
{
  state->main_thread = g_thread_self ();
  pi_capture_save_async (file, info, messages, on_progress, state, cancellable, on_saved, state);
  while (!state->done)
    g_main_context_iteration (NULL, TRUE);
}

/* 200,000 messages saved in a thread and read back, in time linear in
 * their number.
 */
static void
test_large (Fixture       *fixture,
            gconstpointer  data)
{
  const guint n = 200000;
  g_autoptr(GFile) file = fixture_file (fixture, "large.jsonl");
  g_autoptr(GFile) small_file = fixture_file (fixture, "small.jsonl");
  g_autoptr(PiCaptureInfo) info = sample_info ();
  g_autoptr(GPtrArray) messages = many_messages (n);
  g_autoptr(GPtrArray) small = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GPtrArray) small_loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  SaveState state = { 0 };
  SaveState small_state = { 0 };
  gint64 start, save_usec, load_usec, small_load_usec;
  guint64 total = 0;

  for (guint i = 0; i < n; i++)
    total += pi_message_get_size (g_ptr_array_index (messages, i));
  for (guint i = 0; i < n / 8; i++)
    g_ptr_array_add (small, g_object_ref (g_ptr_array_index (messages, i)));

  start = g_get_monotonic_time ();
  save_and_wait (file, info, messages, NULL, &state);
  save_usec = g_get_monotonic_time () - start;
  g_assert_no_error (state.error);
  g_assert_cmpuint (state.total, ==, total);
  g_test_message ("saved %u messages in %.2f s, %u progress calls",
                  n, save_usec / 1e6, state.calls);

  save_and_wait (small_file, info, small, NULL, &small_state);
  g_assert_no_error (small_state.error);

  start = g_get_monotonic_time ();
  small_loaded = load_async_and_wait (small_file, NULL, NULL, &error);
  small_load_usec = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  g_assert_cmpuint (small_loaded->len, ==, n / 8);

  start = g_get_monotonic_time ();
  loaded = load_async_and_wait (file, NULL, &warning, &error);
  load_usec = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  g_assert_null (warning);
  g_assert_cmpuint (loaded->len, ==, n);
  g_test_message ("loaded %u messages in %.2f s (%u in %.2f s)",
                  n, load_usec / 1e6, n / 8, small_load_usec / 1e6);

  for (guint i = 0; i < n; i += 9973)
    assert_same_message (g_ptr_array_index (messages, i), g_ptr_array_index (loaded, i));
  assert_same_message (g_ptr_array_index (messages, n - 1), g_ptr_array_index (loaded, n - 1));

  /* Eight times the messages may take at most ~24 times as long: linear
   * with room for noise, far from quadratic (64 times).
   */
  g_assert_cmpint (load_usec, <, MAX (small_load_usec, 10000) * 24);
}

static void
test_save_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(PiCaptureInfo) info = sample_info ();
  g_autoptr(GPtrArray) messages = sample_messages ();
  g_autoptr(GFile) folder = fixture_file (fixture, "folder");
  g_autoptr(GFile) nowhere = g_file_new_build_filename (fixture->dir, "no-such-folder", "capture.jsonl", NULL);
  g_autofree char *folder_path = g_file_get_path (folder);
  SaveState state = { 0 };
  guint before = messages->len;

  g_assert_cmpint (g_mkdir (folder_path, 0700), ==, 0);

  save_and_wait (folder, info, messages, NULL, &state);
  g_assert_nonnull (state.error);
  g_test_message ("%s", state.error->message);
  g_assert_cmpstr (state.error->message, ==, "Could not save the capture as “folder”: a folder has that name");
  g_clear_error (&state.error);

  memset (&state, 0, sizeof state);
  save_and_wait (nowhere, info, messages, NULL, &state);
  g_assert_error (state.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (state.error->message, ==, "Could not save the capture as “capture.jsonl”: its folder does not exist");
  g_clear_error (&state.error);

  /* Permissions mean nothing to root. */
  if (geteuid () != 0)
    {
      g_autoptr(GFile) locked = g_file_new_build_filename (folder_path, "capture.jsonl", NULL);

      g_assert_cmpint (g_chmod (folder_path, 0500), ==, 0);
      memset (&state, 0, sizeof state);
      save_and_wait (locked, info, messages, NULL, &state);
      g_assert_error (state.error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      g_assert_cmpstr (state.error->message, ==,
                       "Could not save the capture as “capture.jsonl”: you do not have permission to write there");
      g_clear_error (&state.error);
      g_chmod (folder_path, 0700);
    }

  /* The messages are still all there. */
  g_assert_cmpuint (messages->len, ==, before);
  g_assert_cmpint (pi_message_get_kind (g_ptr_array_index (messages, 0)), ==, PI_MESSAGE_KIND_DECODED);
}

/* Saves @messages to @file and cancels at the first progress report.
 * Returns FALSE if the machine wrote it all before that. */
static gboolean
save_cancelled_half_way (GFile     *file,
                         GPtrArray *messages)
{
  g_autoptr(PiCaptureInfo) info = sample_info ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  SaveState state = { 0 };

  state.cancel_on_progress = cancellable;
  save_and_wait (file, info, messages, cancellable, &state);

  if (state.error == NULL)
    {
      /* The machine wrote it all within one progress interval. */
      g_test_skip ("saving finished before it could be cancelled");
      return FALSE;
    }

  g_assert_error (state.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&state.error);
  return TRUE;
}

/* Cancelled half way: the earlier file of that name is left as it was, and
 * a new file is not left half written. */
static void
test_save_cancelled (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GFile) file = fixture_write (fixture, "keep.jsonl", "precious\n", -1);
  g_autoptr(GFile) new_file = fixture_file (fixture, "new.jsonl");
  g_autoptr(GPtrArray) messages = many_messages (300000);
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *contents = NULL;
  g_autoptr(GDir) dir = NULL;
  guint n_files = 0;

  if (!save_cancelled_half_way (file, messages))
    return;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "precious\n");

  /* No temporary file is left behind. */
  dir = g_dir_open (fixture->dir, 0, NULL);
  while (g_dir_read_name (dir))
    n_files++;
  g_assert_cmpuint (n_files, ==, 1);

  /* Nor a file that was not there before. */
  if (!save_cancelled_half_way (new_file, messages))
    return;
  g_assert_false (g_file_query_exists (new_file, NULL));
}

static void
test_writer_no_space (void)
{
  g_autoptr(PiCaptureInfo) info = sample_info ();
  g_autoptr(GPtrArray) messages = sample_messages ();
  g_autoptr(PiCaptureWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  GOutputStream *stream;
  char buffer[600];
  gboolean ok = TRUE;

  /* A fixed-size memory stream fills up like a disk. */
  stream = g_memory_output_stream_new (buffer, sizeof buffer, NULL, NULL);
  writer = pi_capture_writer_new (stream, info, &error);
  g_assert_no_error (error);

  for (guint i = 0; ok && i < messages->len; i++)
    ok = pi_capture_writer_write (writer, g_ptr_array_index (messages, i), &error);

  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);

  g_clear_pointer (&writer, pi_capture_writer_free);
  g_assert_finalize_object (stream);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/capture/format", test_format);
  g_test_add ("/pi/capture/round-trip", Fixture, NULL, fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/pi/capture/switch-saved", Fixture, NULL, fixture_set_up, test_switch_saved, fixture_tear_down);
  g_test_add ("/pi/capture/truncated", Fixture, NULL, fixture_set_up, test_truncated, fixture_tear_down);
  g_test_add ("/pi/capture/damaged-line", Fixture, NULL, fixture_set_up, test_damaged_line, fixture_tear_down);
  g_test_add ("/pi/capture/not-a-capture", Fixture, NULL, fixture_set_up, test_not_a_capture, fixture_tear_down);
  g_test_add ("/pi/capture/inspector-array", Fixture, NULL, fixture_set_up, test_inspector_array, fixture_tear_down);
  g_test_add ("/pi/capture/deep", Fixture, NULL, fixture_set_up, test_deep, fixture_tear_down);
  g_test_add ("/pi/capture/deepest-payload", Fixture, NULL, fixture_set_up, test_deepest_payload, fixture_tear_down);
  g_test_add ("/pi/capture/headerless", Fixture, NULL, fixture_set_up, test_headerless, fixture_tear_down);
  g_test_add ("/pi/capture/large", Fixture, NULL, fixture_set_up, test_large, fixture_tear_down);
  g_test_add ("/pi/capture/save-errors", Fixture, NULL, fixture_set_up, test_save_errors, fixture_tear_down);
  g_test_add ("/pi/capture/save-cancelled", Fixture, NULL, fixture_set_up, test_save_cancelled, fixture_tear_down);
  g_test_add_func ("/pi/capture/writer-no-space", test_writer_no_space);

  return g_test_run ();
}
