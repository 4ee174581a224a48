/* test-sse-parser.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-sse-parser.h"

/* Events seen by the parser, each as "type|data|id". */
static void
collect_event (const PiSseEvent *event,
               gpointer          user_data)
{
  GPtrArray *events = user_data;
  g_autoptr(GString) data = g_string_new (NULL);

  g_assert_nonnull (event->event);
  g_assert_nonnull (event->data);
  g_assert_nonnull (event->id);
  g_assert_cmpint (event->data[event->data_len], ==, '\0');

  /* The data may hold U+0000, written "\0" here. */
  for (gsize i = 0; i < event->data_len; i++)
    {
      if (event->data[i] == '\0')
        g_string_append (data, "\\0");
      else
        g_string_append_c (data, event->data[i]);
    }
  g_assert_true (g_utf8_validate (data->str, -1, NULL));
  g_assert_true (g_utf8_validate (event->event, -1, NULL));
  g_assert_true (g_utf8_validate (event->id, -1, NULL));

  g_ptr_array_add (events, g_strdup_printf ("%s|%s|%s", event->event, data->str, event->id));
}

static void
assert_events (GPtrArray          *events,
               const char * const *expected,
               const char         *how)
{
  guint n = expected ? g_strv_length ((char **) expected) : 0;
  guint i;

  for (i = 0; i < MIN (n, events->len); i++)
    {
      if (g_strcmp0 (events->pdata[i], expected[i]) != 0)
        g_error ("%s: event %u is \"%s\", expected \"%s\"",
                 how, i, (char *) events->pdata[i], expected[i]);
    }
  if (events->len != n)
    g_error ("%s: %u events, expected %u", how, events->len, n);
}

/* Feeds @input whole, split in two at every position, and byte by byte,
 * and checks that every way gives exactly @expected. */
static void
check_vector (const char         *input,
              gsize               len,
              const char * const *expected)
{
  gsize split;
  gsize i;

  for (split = 0; split <= len; split++)
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(PiSseParser) parser = pi_sse_parser_new (0, collect_event, events);
      g_autofree char *how = g_strdup_printf ("split at %" G_GSIZE_FORMAT, split);

      g_assert_true (pi_sse_parser_push (parser, input, split, NULL));
      g_assert_true (pi_sse_parser_push (parser, input + split, len - split, NULL));
      pi_sse_parser_finish (parser);
      assert_events (events, expected, how);
    }

  {
    g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(PiSseParser) parser = pi_sse_parser_new (0, collect_event, events);

    for (i = 0; i < len; i++)
      g_assert_true (pi_sse_parser_push (parser, input + i, 1, NULL));
    pi_sse_parser_finish (parser);
    assert_events (events, expected, "byte by byte");
  }
}

#define CHECK(input, ...) \
  G_STMT_START { \
    static const char *expected_[] = { __VA_ARGS__ }; \
    check_vector ((input), sizeof (input) - 1, expected_); \
  } G_STMT_END

#define CHECK_NONE(input) check_vector ((input), sizeof (input) - 1, NULL)

static void
test_protocol_framing (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  pi_sse_append_event (out, "ping", "{\"time\": \"2026-01-01T00:00:00.000Z\"}");
  g_assert_cmpstr (out->str, ==,
                   "event: ping\ndata: {\"time\": \"2026-01-01T00:00:00.000Z\"}\nid: -\n\n");

  pi_sse_append_event (out, "message", "{}");
  check_vector (out->str, out->len,
                (const char *[]) { "ping|{\"time\": \"2026-01-01T00:00:00.000Z\"}|-",
                                   "message|{}|-", NULL });
}

static void
test_default_event_type (void)
{
  CHECK ("data: x\n\n", "message|x|", NULL);
  /* The type applies to one event only. */
  CHECK ("event: ready\ndata: {}\n\ndata: 2\n\n", "ready|{}|", "message|2|", NULL);
  /* An empty type means "message". */
  CHECK ("event:\ndata: x\n\n", "message|x|", NULL);
  CHECK ("event\ndata: x\n\n", "message|x|", NULL);
}

static void
test_line_ends (void)
{
  CHECK ("data: a\n\ndata: b\n\n", "message|a|", "message|b|", NULL);
  CHECK ("data: a\r\n\r\ndata: b\r\n\r\n", "message|a|", "message|b|", NULL);
  CHECK ("data: a\r\rdata: b\r\r", "message|a|", "message|b|", NULL);
  CHECK ("data: a\r\ndata: b\rdata: c\n\n", "message|a\nb\nc|", NULL);
  /* CR LF is one line end, even when the CR ends one push and the LF
   * starts the next (every split position covers it): were it two, "a"
   * would be dispatched alone. */
  CHECK ("data: a\r\ndata: b\r\n\r\n", "message|a\nb|", NULL);
  /* LF CR is two line ends. */
  CHECK ("data: a\n\rdata: b\n\n", "message|a|", "message|b|", NULL);
  CHECK ("event: x\r\ndata: 1\r\r\n", "x|1|", NULL);
}

static void
test_comments (void)
{
  CHECK (": hello\ndata: x\n: another: one\n\n", "message|x|", NULL);
  /* A comment alone is no event, and no blank line either. */
  CHECK (":\n:\n", NULL);
  CHECK (":ping\r\n\r\n", NULL);
}

static void
test_field_without_colon (void)
{
  /* "data" with no colon appends an empty line to the data buffer. */
  CHECK ("data\n\n", "message||", NULL);
  CHECK ("data\ndata\n\n", "message|\n|", NULL);
  CHECK ("data: a\ndata\n\n", "message|a\n|", NULL);
}

static void
test_space_after_colon (void)
{
  CHECK ("data:x\n\n", "message|x|", NULL);
  CHECK ("data: x\n\n", "message|x|", NULL);
  CHECK ("data:  x\n\n", "message| x|", NULL);
  CHECK ("data: \n\n", "message||", NULL);
  CHECK ("data:x: y\n\n", "message|x: y|", NULL);
  /* A space before the colon is part of the name: not "data". */
  CHECK ("data : x\n\n", NULL);
  /* Names are case-sensitive. */
  CHECK ("Data: x\n\n", NULL);
}

static void
test_multiline_data (void)
{
  CHECK ("data: a\ndata:\ndata: b\n\n", "message|a\n\nb|", NULL);
  CHECK ("data: {\ndata: \"k\": 1\ndata: }\n\n", "message|{\n\"k\": 1\n}|", NULL);
  CHECK ("data: a\n: comment between\ndata: b\n\n", "message|a\nb|", NULL);
}

static void
test_id (void)
{
  CHECK ("id: 7\ndata: a\n\ndata: b\n\n", "message|a|7", "message|b|7", NULL);
  CHECK ("data: a\nid: 1\n\n", "message|a|1", NULL);
  /* An empty id sets the buffer to "". */
  CHECK ("id: 7\ndata: a\n\nid\ndata: b\n\n", "message|a|7", "message|b|", NULL);
  /* An id containing NUL is ignored. */
  CHECK ("id: 1\ndata: a\n\nid: 2\0003\ndata: b\n\n", "message|a|1", "message|b|1", NULL);
  /* An id in an event that is not dispatched still changes the buffer. */
  CHECK ("id: 5\n\ndata: a\n\n", "message|a|5", NULL);
}

static void
test_retry (void)
{
  struct {
    const char *input;
    gint64      retry;
  } cases[] = {
    { "retry: 1500\n\n", 1500 },
    { "retry:0\n", 0 },
    { "retry: 1500\nretry: 15x\n", 1500 },
    { "retry: 15x\n", -1 },
    { "retry: -1\n", -1 },
    { "retry: +3\n", -1 },
    { "retry:\n", -1 },
    { "retry\n", -1 },
    { "retry: 1 \n", -1 },
    { "retry: 99999999999999999999999\n", G_MAXINT64 },
    { "retry: 20\r\n", 20 },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(PiSseParser) parser = pi_sse_parser_new (0, collect_event, events);

      g_assert_true (pi_sse_parser_push (parser, cases[i].input, strlen (cases[i].input), NULL));
      g_assert_cmpint (pi_sse_parser_get_retry (parser), ==, cases[i].retry);
      g_assert_cmpuint (events->len, ==, 0);
    }

  /* retry alone dispatches nothing. */
  CHECK ("retry: 10\n\ndata: x\n\n", "message|x|", NULL);
}

static void
test_empty_data_no_dispatch (void)
{
  CHECK ("\n\n\n", NULL);
  CHECK ("event: foo\n\n", NULL);
  /* The event type is reset even though nothing was dispatched. */
  CHECK ("event: foo\n\ndata: x\n\n", "message|x|", NULL);
  CHECK ("id: 1\nevent: foo\n\n\ndata: x\n\n", "message|x|1", NULL);
}

static void
test_unfinished_event (void)
{
  CHECK ("data: a\n\ndata: b\n", "message|a|", NULL);
  CHECK ("data: a\n\ndata: b", "message|a|", NULL);
  CHECK ("data: a\n\ndata: b\r", "message|a|", NULL);
  CHECK ("event: x\ndata: a\n", NULL);
}

static void
test_unknown_fields (void)
{
  CHECK ("foo: bar\ndata: x\nbaz\n\n", "message|x|", NULL);
  CHECK ("foo: bar\n\n", NULL);
}

static void
test_bom (void)
{
  CHECK ("\xEF\xBB\xBF" "data: x\n\n", "message|x|", NULL);
  CHECK ("\xEF\xBB\xBF" "\ndata: x\n\n", "message|x|", NULL);
  /* Only one BOM, only at the start: a second one is part of the field
   * name, which then is not "data". */
  CHECK ("\xEF\xBB\xBF" "\xEF\xBB\xBF" "data: x\n\n", NULL);
  CHECK ("data: a\n\n" "\xEF\xBB\xBF" "data: b\n\n", "message|a|", NULL);
  /* Half a BOM is not a BOM. */
  CHECK ("\xEF\xBB" "data: x\n\ndata: y\n\n", "message|y|", NULL);
  /* A BOM in a value is kept. */
  CHECK ("data: \xEF\xBB\xBF" "x\n\n", "message|\xEF\xBB\xBF" "x|", NULL);
}

static void
test_bom_after_finish (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PiSseParser) parser = pi_sse_parser_new (0, collect_event, events);
  static const char stream[] = "\xEF\xBB\xBF" "data: x\n\n";

  /* After finish() the next push starts a new stream, which may have a BOM. */
  g_assert_true (pi_sse_parser_push (parser, stream, sizeof stream - 1, NULL));
  pi_sse_parser_finish (parser);
  g_assert_true (pi_sse_parser_push (parser, stream, sizeof stream - 1, NULL));
  pi_sse_parser_finish (parser);
  assert_events (events, (const char *[]) { "message|x|", "message|x|", NULL }, "two streams");
}

static void
test_invalid_utf8 (void)
{
  CHECK ("data: a\xFF" "b\n\n", "message|a\xEF\xBF\xBD" "b|", NULL);
  /* A truncated sequence before the line end. */
  CHECK ("data: a\xC3\n\n", "message|a\xEF\xBF\xBD|", NULL);
  CHECK ("event: \xC0\xAF\ndata: x\n\n", "\xEF\xBF\xBD\xEF\xBF\xBD|x|", NULL);
  CHECK ("id: \xFE\ndata: x\n\n", "message|x|\xEF\xBF\xBD", NULL);
  /* NUL is a character (U+0000), not an invalid byte: the data keeps it
   * (data_len counts past it), beside a replaced invalid byte. */
  CHECK ("data: a\000b\n\n", "message|a\\0b|", NULL);
  CHECK ("data: \000\xFF\000\ndata: \000\n\n", "message|\\0\xEF\xBF\xBD\\0\n\\0|", NULL);
  /* Valid multi-byte characters survive every split between pushes. */
  CHECK ("data: \xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n\n",
         "message|\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80|", NULL);
}

static void
test_large_event_in_chunks (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PiSseParser) parser = pi_sse_parser_new (0, collect_event, events);
  g_autoptr(GString) stream = g_string_new (NULL);
  g_autoptr(GString) data = g_string_new (NULL);
  g_autofree char *expected = NULL;
  gsize offset;

  for (guint i = 0; data->len < 3 * 1024 * 1024; i++)
    g_string_append_printf (data, "{\"n\": %u, \"pad\": \"abcdefghijklmnopqrstuvwxyz\"}", i);

  pi_sse_append_event (stream, "message", data->str);
  pi_sse_append_event (stream, "ping", "{}");

  for (offset = 0; offset < stream->len; offset += 65536)
    g_assert_true (pi_sse_parser_push (parser, stream->str + offset,
                                       MIN (65536, stream->len - offset), NULL));

  expected = g_strdup_printf ("message|%s|-", data->str);
  assert_events (events, (const char *[]) { expected, "ping|{}|-", NULL }, "64 KiB chunks");
}

static void
test_too_large (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PiSseParser) parser = pi_sse_parser_new (100, collect_event, events);
  g_autoptr(GError) error = NULL;
  g_autofree char *big = g_strnfill (200, 'x');
  g_autofree char *fits = g_strnfill (80, 'y');
  static const char ok[] = "data: fine\n\n";

  /* An event of 86 bytes passes. */
  g_assert_true (pi_sse_parser_push (parser, "data: ", 6, NULL));
  g_assert_true (pi_sse_parser_push (parser, fits, strlen (fits), NULL));
  g_assert_true (pi_sse_parser_push (parser, "\n\n", 2, NULL));
  g_assert_cmpuint (events->len, ==, 1);

  /* A line that grows past the limit across pushes fails as soon as it does. */
  g_assert_true (pi_sse_parser_push (parser, "data: ", 6, NULL));
  g_assert_false (pi_sse_parser_push (parser, big, strlen (big), &error));
  g_assert_error (error, PI_SSE_ERROR, PI_SSE_ERROR_EVENT_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "100 bytes"));
  g_clear_error (&error);

  /* Refused until reset, even for a small valid event. */
  g_assert_false (pi_sse_parser_push (parser, ok, sizeof ok - 1, &error));
  g_assert_error (error, PI_SSE_ERROR, PI_SSE_ERROR_EVENT_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpuint (events->len, ==, 1);

  pi_sse_parser_reset (parser);
  g_assert_true (pi_sse_parser_push (parser, ok, sizeof ok - 1, NULL));
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (events->pdata[1], ==, "message|fine|");
}

static void
test_too_large_many_lines (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PiSseParser) parser = pi_sse_parser_new (100, collect_event, events);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) stream = g_string_new ("data: first\n\n");
  guint i;

  /* Many short data lines add up: the data buffer counts, not one line. */
  for (i = 0; i < 20; i++)
    g_string_append (stream, "data: 0123456789\n");
  g_string_append (stream, "\n");

  g_assert_false (pi_sse_parser_push (parser, stream->str, stream->len, &error));
  g_assert_error (error, PI_SSE_ERROR, PI_SSE_ERROR_EVENT_TOO_LARGE);
  /* Events before the oversize one were delivered. */
  assert_events (events, (const char *[]) { "message|first|", NULL }, "before the error");
}

static void
test_finish_and_reset (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PiSseParser) parser = pi_sse_parser_new (0, collect_event, events);
  static const char stream[] = "retry: 3000\nid: 42\ndata: a\n\ndata: unfinished";
  static const char more[] = "\n\ndata: b\n\n";

  g_assert_true (pi_sse_parser_push (parser, stream, sizeof stream - 1, NULL));
  pi_sse_parser_finish (parser);
  /* The unfinished event is gone; id and retry stay for the reconnect. */
  g_assert_cmpstr (pi_sse_parser_get_last_event_id (parser), ==, "42");
  g_assert_cmpint (pi_sse_parser_get_retry (parser), ==, 3000);
  g_assert_true (pi_sse_parser_push (parser, more, sizeof more - 1, NULL));
  assert_events (events, (const char *[]) { "message|a|42", "message|b|42", NULL }, "after finish");

  pi_sse_parser_reset (parser);
  g_assert_cmpstr (pi_sse_parser_get_last_event_id (parser), ==, "");
  g_assert_cmpint (pi_sse_parser_get_retry (parser), ==, -1);
}

static void
test_random_streams (void)
{
  static const char *line_ends[] = { "\n", "\r\n", "\r" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint stream_n;

  /* Streams mixing every line end, comments and multi-line data, fed in
   * random slices: the events must not depend on where reads end. */
  for (stream_n = 0; stream_n < 50; stream_n++)
    {
      g_autoptr(GString) stream = g_string_new (stream_n % 2 ? "\xEF\xBB\xBF" : "");
      g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(PiSseParser) parser = pi_sse_parser_new (0, collect_event, events);
      gsize offset = 0;
      guint i;

      for (i = 0; i < 40; i++)
        {
          const char *eol = line_ends[g_rand_int_range (rand, 0, 3)];
          g_autoptr(GString) data = g_string_new (NULL);
          guint n_lines = g_rand_int_range (rand, 1, 4);
          guint line;

          if (g_rand_boolean (rand))
            g_string_append_printf (stream, ": keep-alive %u%s", i, eol);
          g_string_append_printf (stream, "event: kind%u%s", i % 3, eol);
          for (line = 0; line < n_lines; line++)
            {
              g_autofree char *text = g_strdup_printf ("{\"i\": %u, \"line\": %u}", i, line);

              g_string_append_printf (stream, "data:%s%s%s",
                                      g_rand_boolean (rand) ? " " : "", text, eol);
              g_string_append_printf (data, "%s%s", line ? "\n" : "", text);
            }
          g_string_append (stream, eol);
          g_ptr_array_add (expected, g_strdup_printf ("kind%u|%s|", i % 3, data->str));
        }
      g_ptr_array_add (expected, NULL);

      while (offset < stream->len)
        {
          gsize slice = g_rand_int_range (rand, 1, 64);
          gsize n = MIN (stream->len - offset, slice);

          g_assert_true (pi_sse_parser_push (parser, stream->str + offset, n, NULL));
          offset += n;
        }
      pi_sse_parser_finish (parser);
      assert_events (events, (const char * const *) expected->pdata, "random slices");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/sse-parser/protocol-framing", test_protocol_framing);
  g_test_add_func ("/pi/sse-parser/default-event-type", test_default_event_type);
  g_test_add_func ("/pi/sse-parser/line-ends", test_line_ends);
  g_test_add_func ("/pi/sse-parser/comments", test_comments);
  g_test_add_func ("/pi/sse-parser/field-without-colon", test_field_without_colon);
  g_test_add_func ("/pi/sse-parser/space-after-colon", test_space_after_colon);
  g_test_add_func ("/pi/sse-parser/multiline-data", test_multiline_data);
  g_test_add_func ("/pi/sse-parser/id", test_id);
  g_test_add_func ("/pi/sse-parser/retry", test_retry);
  g_test_add_func ("/pi/sse-parser/empty-data-no-dispatch", test_empty_data_no_dispatch);
  g_test_add_func ("/pi/sse-parser/unfinished-event", test_unfinished_event);
  g_test_add_func ("/pi/sse-parser/unknown-fields", test_unknown_fields);
  g_test_add_func ("/pi/sse-parser/bom", test_bom);
  g_test_add_func ("/pi/sse-parser/bom-after-finish", test_bom_after_finish);
  g_test_add_func ("/pi/sse-parser/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/pi/sse-parser/large-event-in-chunks", test_large_event_in_chunks);
  g_test_add_func ("/pi/sse-parser/too-large", test_too_large);
  g_test_add_func ("/pi/sse-parser/too-large-many-lines", test_too_large_many_lines);
  g_test_add_func ("/pi/sse-parser/finish-and-reset", test_finish_and_reset);
  g_test_add_func ("/pi/sse-parser/random-streams", test_random_streams);

  return g_test_run ();
}
