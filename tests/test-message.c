/* test-message.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "pi-json-util.h"
#include "pi-message.h"
#include "pi-message-private.h"

#define TIME_RECEIVED G_GINT64_CONSTANT (1767225600000000)

/* A task-completed message as the queue publishes it (status, runs, routes),
 * shaped after queue-message-schemas/task-completed-message.yml. */
#define TASK_COMPLETED_PAYLOAD \
  "{\"version\":1,\"status\":{\"taskId\":\"fQ2xJ3p1T1WkOeBn0LvKzA\"," \
  "\"provisionerId\":\"proj-releng\",\"workerType\":\"linux-large\"," \
  "\"taskQueueId\":\"proj-releng/linux-large\",\"schedulerId\":\"taskcluster-github\"," \
  "\"projectId\":\"releng\",\"taskGroupId\":\"Xz9cL0mNQ4yFvS1cD2eR7w\"," \
  "\"priority\":\"low\",\"deadline\":\"2026-01-02T00:00:00.000Z\"," \
  "\"expires\":\"2027-01-01T00:00:00.000Z\",\"retriesLeft\":5,\"state\":\"completed\"," \
  "\"runs\":[{\"runId\":0,\"state\":\"completed\",\"reasonCreated\":\"scheduled\"," \
  "\"reasonResolved\":\"completed\",\"workerGroup\":\"us-east-1\",\"workerId\":\"i-0abc123\"," \
  "\"takenUntil\":\"2026-01-01T00:20:00.000Z\",\"scheduled\":\"2026-01-01T00:00:00.000Z\"," \
  "\"started\":\"2026-01-01T00:00:05.000Z\",\"resolved\":\"2026-01-01T00:10:00.000Z\"}]}," \
  "\"task\":{\"tags\":{\"kind\":\"build\"}},\"runId\":0,\"workerGroup\":\"us-east-1\"," \
  "\"workerId\":\"i-0abc123\"}"

#define TASK_COMPLETED_KEY \
  "primary.fQ2xJ3p1T1WkOeBn0LvKzA.0.us-east-1.i-0abc123.proj-releng.linux-large." \
  "taskcluster-github.Xz9cL0mNQ4yFvS1cD2eR7w._"

static const char task_completed[] =
  "{\"payload\":" TASK_COMPLETED_PAYLOAD ","
  "\"exchange\":\"exchange/taskcluster-queue/v1/task-completed\","
  "\"routingKey\":\"" TASK_COMPLETED_KEY "\","
  "\"redelivered\":false,"
  "\"routes\":[\"index.project.releng.latest\",\"tc-treeherder.v2.try.abc\"]}";

static PiMessage *
message_new (const char *data)
{
  return pi_message_new_from_data (data, strlen (data), 7, TIME_RECEIVED);
}

static void
assert_payload_text (PiMessage  *message,
                     const char *expected)
{
  const char *text;
  gsize len;

  text = pi_message_get_payload_text (message, &len);
  g_assert_nonnull (text);
  g_assert_cmpmem (text, len, expected, strlen (expected));
}

static void
test_task_completed (void)
{
  g_autoptr(JsonNode) payload = NULL;
  g_autofree char *exchange = NULL;
  g_autofree char *routing_key = NULL;
  g_autofree char *routes_text = NULL;
  g_autofree char *short_exchange = NULL;
  g_auto(GStrv) routes = NULL;
  PiMessage *message;
  PiMessageKind kind;
  guint64 sequence;
  guint64 size;
  gint64 time_received;
  gboolean redelivered;
  JsonObject *status;
  JsonObject *run;

  message = message_new (task_completed);

  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "exchange/taskcluster-queue/v1/task-completed");
  g_assert_cmpstr (pi_message_get_short_exchange (message), ==, "task-completed");
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, TASK_COMPLETED_KEY);
  g_assert_cmpstrv (pi_message_get_routes (message),
                    ((const char *[]) { "index.project.releng.latest", "tc-treeherder.v2.try.abc", NULL }));
  g_assert_false (pi_message_get_redelivered (message));
  g_assert_null (pi_message_get_error (message));
  g_assert_cmpstr (pi_message_get_raw (message), ==, task_completed);
  g_assert_cmpuint (pi_message_get_size (message), ==, strlen (task_completed));
  g_assert_cmpuint (pi_message_get_sequence (message), ==, 7);
  g_assert_cmpint (pi_message_get_time_received (message), ==, TIME_RECEIVED);
  assert_payload_text (message, TASK_COMPLETED_PAYLOAD);

  /* What the list binds to. */
  g_object_get (message,
                "exchange", &exchange,
                "short-exchange", &short_exchange,
                "routing-key", &routing_key,
                "routes", &routes,
                "routes-text", &routes_text,
                "redelivered", &redelivered,
                "sequence", &sequence,
                "time-received", &time_received,
                "size", &size,
                "kind", &kind,
                NULL);
  g_assert_cmpstr (exchange, ==, "exchange/taskcluster-queue/v1/task-completed");
  g_assert_cmpstr (short_exchange, ==, "task-completed");
  g_assert_cmpstr (routing_key, ==, TASK_COMPLETED_KEY);
  g_assert_cmpuint (g_strv_length (routes), ==, 2);
  g_assert_cmpstr (routes_text, ==, "index.project.releng.latest, tc-treeherder.v2.try.abc");
  g_assert_false (redelivered);
  g_assert_cmpuint (sequence, ==, 7);
  g_assert_cmpint (time_received, ==, TIME_RECEIVED);
  g_assert_cmpuint (size, ==, strlen (task_completed));
  g_assert_cmpint (kind, ==, PI_MESSAGE_KIND_DECODED);

  /* The payload tree, built on demand. */
  payload = pi_message_dup_payload (message);
  g_assert_nonnull (payload);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (payload));
  status = json_object_get_object_member (json_node_get_object (payload), "status");
  g_assert_cmpstr (json_object_get_string_member (status, "state"), ==, "completed");
  run = json_array_get_object_element (json_object_get_array_member (status, "runs"), 0);
  g_assert_cmpstr (json_object_get_string_member (run, "workerId"), ==, "i-0abc123");
  g_assert_cmpint (json_object_get_int_member (status, "retriesLeft"), ==, 5);

  g_assert_finalize_object (message);
}

static void
test_routes (void)
{
  struct {
    const char  *data;
    const char  *routes[5];
    gboolean     redelivered;
  } cases[] = {
    { "{\"exchange\":\"e\",\"routingKey\":\"k\",\"payload\":{}}", { NULL }, FALSE },
    { "{\"exchange\":\"e\",\"routingKey\":\"k\",\"payload\":{},\"routes\":[]}", { NULL }, FALSE },
    { "{\"exchange\":\"e\",\"routingKey\":\"k\",\"payload\":{},\"routes\":[\"a.b\"],\"redelivered\":true}",
      { "a.b", NULL }, TRUE },
    /* Not strings: not routes. */
    { "{\"exchange\":\"e\",\"payload\":{},\"routes\":[1,\"x\",null,[\"y\"],{\"z\":\"w\"},\"v\"]}",
      { "x", "v", NULL }, FALSE },
    { "{\"exchange\":\"e\",\"payload\":{},\"routes\":\"a.b\",\"redelivered\":\"true\"}", { NULL }, FALSE },
    /* A web-server message's CC entries: "route." entries read as events
     * v1 routes, others as they are; `routes` wins where both come. */
    { "{\"exchange\":\"e\",\"payload\":{},\"cc\":[\"route.index.a\",\"other\",\"route.\",\"route.b\"]}",
      { "index.a", "other", "route.", "b" }, FALSE },
    { "{\"exchange\":\"e\",\"payload\":{},\"cc\":[\"route\\u002eindex.a\"]}", { "route.index.a", NULL }, FALSE },
    { "{\"exchange\":\"e\",\"payload\":{},\"routes\":[\"x\"],\"cc\":[\"route.y\"]}", { "x", NULL }, FALSE },
    { "{\"exchange\":\"e\",\"payload\":{},\"cc\":[\"route.y\"],\"routes\":[\"x\"]}", { "x", NULL }, FALSE },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PiMessage *message = message_new (cases[i].data);
      g_autofree char *text = g_strjoinv (", ", (char **) cases[i].routes);
      g_autofree char *routes_text = pi_message_dup_routes_text (message);

      g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
      g_assert_cmpstrv (pi_message_get_routes (message), cases[i].routes);
      g_assert_cmpstr (routes_text, ==, text);
      g_assert_cmpint (pi_message_get_redelivered (message), ==, cases[i].redelivered);
      assert_payload_text (message, "{}");
      g_assert_finalize_object (message);
    }
}

static void
test_missing_fields (void)
{
  PiMessage *message;

  /* An exchange alone is a message; what is missing reads as empty. */
  message = message_new ("{\"exchange\":\"exchange/x\"}");
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "");
  g_assert_cmpstr (pi_message_get_short_exchange (message), ==, "x");
  g_assert_null (pi_message_get_payload_text (message, NULL));
  g_assert_null (pi_message_dup_payload (message));
  g_assert_finalize_object (message);

  /* A routing key that is not a string. */
  message = message_new ("{\"exchange\":\"plain\",\"routingKey\":5,\"payload\":null}");
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "");
  g_assert_cmpstr (pi_message_get_short_exchange (message), ==, "plain");
  assert_payload_text (message, "null");
  g_assert_finalize_object (message);
}

static void
test_payload_only (void)
{
  /* An artifact-created payload, as the earliest servers sent it. */
  static const char artifact_created[] =
    "{\"version\":1,\"status\":{\"taskId\":\"fQ2xJ3p1T1WkOeBn0LvKzA\",\"state\":\"running\","
    "\"runs\":[{\"runId\":0,\"state\":\"running\",\"reasonCreated\":\"scheduled\","
    "\"scheduled\":\"2026-01-01T00:00:00.000Z\"}]},\"runId\":0,\"workerGroup\":\"us-east-1\","
    "\"workerId\":\"i-0abc123\",\"artifact\":{\"storageType\":\"s3\","
    "\"name\":\"public/logs/live.log\",\"expires\":\"2027-01-01T00:00:00.000Z\","
    "\"contentType\":\"text/plain\"}}";
  const char *others[] = {
    "[1, 2, 3]",
    "42",
    "\"just a string\"",
    "null",
    /* exchange present but not a string: not the message object */
    "{\"exchange\": 3, \"payload\": {}}",
  };
  g_autoptr(JsonNode) payload = NULL;
  PiMessage *message;
  guint i;

  message = message_new (artifact_created);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_PAYLOAD_ONLY);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "");
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "");
  g_assert_cmpstrv (pi_message_get_routes (message), ((const char *[]) { NULL }));
  g_assert_null (pi_message_get_error (message));
  assert_payload_text (message, artifact_created);
  payload = pi_message_dup_payload (message);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_node_get_object (payload), "artifact"),
                     "name"), ==, "public/logs/live.log");
  g_assert_finalize_object (message);

  for (i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_autoptr(JsonNode) node = NULL;

      message = message_new (others[i]);
      g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_PAYLOAD_ONLY);
      assert_payload_text (message, others[i]);
      node = pi_message_dup_payload (message);
      g_assert_nonnull (node);
      g_assert_finalize_object (message);
    }

  /* White space around the value is not part of the payload. */
  message = message_new (" \r\n\t[ ]\n ");
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_PAYLOAD_ONLY);
  assert_payload_text (message, "[ ]");
  g_assert_finalize_object (message);
}

static void
test_malformed (void)
{
  struct {
    const char *data;
    const char *error;
  } cases[] = {
    { "{\"a\": 1,}", "Unexpected character '}' at line 1, column 9" },
    { "{\"exchange\": \"e\", \"payload\": {\"a\": tru}}",
      "Unexpected character '}' at line 1, column 39" },
    { "{\"a\":\n  [1, 2", "Unexpected end of the text at line 2, column 8" },
    { "", "Unexpected end of the text at line 1, column 1" },
    { "   ", "Unexpected end of the text at line 1, column 4" },
    { "\"abc", "Unexpected end of the text at line 1, column 5" },
    { "{\"a\": \"x\ty\"}", "Unescaped control character U+0009 in a string at line 1, column 9" },
    { "{\"a\": \"\\q\"}", "Invalid escape character 'q' in a string at line 1, column 9" },
    { "{\"a\": \"\\u12G4\"}", "Invalid \\u escape in a string at line 1, column 8" },
    { "{\"a\": \"\\ud800\"}", "Invalid \\u escape in a string at line 1, column 8" },
    { "{\"a\": \"\\udc00\\ud800\"}", "Invalid \\u escape in a string at line 1, column 8" },
    { "[01]", "Unexpected character '1' at line 1, column 3" },
    { "[1.]", "Unexpected character ']' at line 1, column 4" },
    { "[1e]", "Unexpected character ']' at line 1, column 4" },
    { "[-]", "Unexpected character ']' at line 1, column 3" },
    { "[+1]", "Unexpected character '+' at line 1, column 2" },
    { "[.5]", "Unexpected character '.' at line 1, column 2" },
    { "{\"a\": 1} x", "Unexpected character 'x' at line 1, column 10" },
    { "{\"a\": 1}{}", "Unexpected character '{' at line 1, column 9" },
    { "{'a': 1}", "Unexpected character ''' at line 1, column 2" },
    { "{\"a\" 1}", "Unexpected character '1' at line 1, column 6" },
    { "{a: 1}", "Unexpected character 'a' at line 1, column 2" },
    { "[1 2]", "Unexpected character '2' at line 1, column 4" },
    { "[1,]", "Unexpected character ']' at line 1, column 4" },
    { "NaN", "Unexpected character 'N' at line 1, column 1" },
    { "[Infinity]", "Unexpected character 'I' at line 1, column 2" },
    { "hello world", "Unexpected character 'h' at line 1, column 1" },
    { "[nul]", "Unexpected character ']' at line 1, column 5" },
    { "{\"é\": \"x\",\n \"b\": ü}", "Unexpected character 'ü' at line 2, column 7" },
    { "[\x01]", "Unexpected character U+0001 at line 1, column 2" },
    { "{\"payload\": {}, \"exchange\": \"e\"", "Unexpected end of the text at line 1, column 32" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PiMessage *message = message_new (cases[i].data);
      PiMessageKind kind;
      g_autofree char *error = NULL;

      g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_UNDECODABLE);
      /* Shown, never dropped: the raw text is kept. */
      g_assert_cmpstr (pi_message_get_raw (message), ==, cases[i].data);
      g_assert_cmpuint (pi_message_get_size (message), ==, strlen (cases[i].data));
      g_assert_cmpstr (pi_message_get_error (message), ==, cases[i].error);
      g_assert_cmpstr (pi_message_get_exchange (message), ==, "");
      g_assert_null (pi_message_get_payload_text (message, NULL));
      g_assert_null (pi_message_dup_payload (message));
      g_object_get (message, "kind", &kind, "error", &error, NULL);
      g_assert_cmpint (kind, ==, PI_MESSAGE_KIND_UNDECODABLE);
      g_assert_cmpstr (error, ==, cases[i].error);
      g_assert_finalize_object (message);
    }
}

static void
test_depth_limit (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) ok = g_string_new ("{\"exchange\":\"e\",\"payload\":");
  PiMessage *message;
  guint i;

  for (i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  message = message_new (deep->str);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_UNDECODABLE);
  g_assert_cmpstr (pi_message_get_error (message), ==,
                   "Arrays and objects nested deeper than 512 levels at line 1, column 513");
  g_assert_finalize_object (message);

  /* 511 levels of payload inside the message object are fine. */
  for (i = 0; i < 511; i++)
    g_string_append_c (ok, '[');
  for (i = 0; i < 511; i++)
    g_string_append_c (ok, ']');
  g_string_append_c (ok, '}');
  message = message_new (ok->str);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_finalize_object (message);
}

static void
test_escaped_strings (void)
{
  static const char data[] =
    "{\"exchange\":\"exchange\\/taskcluster-queue\\/v1\\/task-defined\","
    /* An escaped member name is still the member. */
    "\"routing\\u004bey\":\"primary.\\u0041bc.\\\"q\\\".tab\\t._\","
    "\"routes\":[\"index.\\\\back\",\"plain\",\"new\\nline\"],"
    "\"payload\":{\"s\":\"\\\"quoted\\\" \\/ \\b\\f\\n\\r\\t\"}}";
  g_autoptr(JsonNode) payload = NULL;
  PiMessage *message;

  message = message_new (data);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "exchange/taskcluster-queue/v1/task-defined");
  g_assert_cmpstr (pi_message_get_short_exchange (message), ==, "task-defined");
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "primary.Abc.\"q\".tab\t._");
  g_assert_cmpstrv (pi_message_get_routes (message),
                    ((const char *[]) { "index.\\back", "plain", "new\nline", NULL }));
  payload = pi_message_dup_payload (message);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (payload), "s"),
                   ==, "\"quoted\" / \b\f\n\r\t");
  g_assert_finalize_object (message);
}

static void
test_unicode (void)
{
  static const char data[] =
    "{\"exchange\":\"exchange/caf\xC3\xA9\","
    "\"routingKey\":\"primary.\\u00e9t\\u00E9.\xF0\x9F\x98\x80.\\ud83d\\ude00\","
    "\"routes\":[\"\xE2\x82\xAC.\\u20ac\"],"
    "\"payload\":{\"name\":\"Stra\xC3\x9F" "e \\u4e2d\xE6\x96\x87\"}}";
  g_autoptr(JsonNode) payload = NULL;
  g_autofree char *needle = g_utf8_casefold ("CAFÉ", -1);
  PiMessage *message;

  message = message_new (data);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "exchange/caf\xC3\xA9");
  g_assert_cmpstr (pi_message_get_short_exchange (message), ==, "caf\xC3\xA9");
  g_assert_cmpstr (pi_message_get_routing_key (message), ==,
                   "primary.\xC3\xA9t\xC3\xA9.\xF0\x9F\x98\x80.\xF0\x9F\x98\x80");
  g_assert_cmpstrv (pi_message_get_routes (message),
                    ((const char *[]) { "\xE2\x82\xAC.\xE2\x82\xAC", NULL }));
  payload = pi_message_dup_payload (message);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (payload), "name"),
                   ==, "Stra\xC3\x9F" "e \xE4\xB8\xAD\xE6\x96\x87");

  /* Non-ASCII search is casefolded. */
  g_assert_true (pi_message_contains_text (message, needle));
  g_assert_true (pi_message_contains_text (message, "\xE6\x96\x87"));
  g_assert_false (pi_message_contains_text (message, "\xE6\x97\xA5"));
  g_assert_finalize_object (message);
}

static void
test_huge (void)
{
  g_autoptr(GString) data = g_string_new ("{\"exchange\":\"exchange/taskcluster-queue/v1/artifact-created\","
                                          "\"routingKey\":\"primary.x\",\"redelivered\":true,"
                                          "\"payload\":{\"artifacts\":[");
  g_autoptr(JsonNode) payload = NULL;
  const char *payload_text;
  gsize payload_len;
  PiMessage *message;
  guint n = 0;

  while (data->len < 5 * 1024 * 1024)
    {
      g_string_append_printf (data, "%s{\"name\":\"public/build/target-%u.tar.gz\","
                              "\"storageType\":\"s3\",\"contentType\":\"application/gzip\","
                              "\"expires\":\"2027-01-01T00:00:00.000Z\",\"size\":%u}",
                              n > 0 ? "," : "", n, n * 1024);
      n++;
    }
  g_string_append (data, "]},\"routes\":[\"index.huge\"]}");

  message = pi_message_new_from_data (data->str, data->len, 1, TIME_RECEIVED);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpuint (pi_message_get_size (message), ==, data->len);
  g_assert_true (pi_message_get_redelivered (message));
  g_assert_cmpstrv (pi_message_get_routes (message), ((const char *[]) { "index.huge", NULL }));
  payload_text = pi_message_get_payload_text (message, &payload_len);
  g_assert_cmpuint (payload_len, >, 5 * 1024 * 1024 - 200);
  g_assert_true (payload_text[0] == '{' && payload_text[payload_len - 1] == '}');

  payload = pi_message_dup_payload (message);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (payload),
                                                                         "artifacts")), ==, n);
  g_assert_true (pi_message_contains_text (message, "target-1234.tar.gz"));
  g_assert_finalize_object (message);
}

static void
test_non_utf8 (void)
{
  static const char data[] = "{\"exchange\":\"ex\xFF" "change\",\"routingKey\":\"k\xC3\","
                             "\"payload\":{\"v\":\"a\xED\xA0\x80" "b\"}}";
  static const char broken[] = "plain \xC0\xAF text";
  g_autoptr(JsonNode) payload = NULL;
  PiMessage *message;

  /* Bytes that are not UTF-8 are replaced, and the message decodes. */
  message = pi_message_new_from_data (data, sizeof data - 1, 1, TIME_RECEIVED);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "ex\xEF\xBF\xBD" "change");
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "k\xEF\xBF\xBD");
  g_assert_true (g_utf8_validate (pi_message_get_raw (message), -1, NULL));
  payload = pi_message_dup_payload (message);
  g_assert_nonnull (payload);
  g_assert_true (g_utf8_validate (json_object_get_string_member (json_node_get_object (payload), "v"),
                                  -1, NULL));
  g_assert_finalize_object (message);

  /* Undecodable text is kept as valid UTF-8 too. */
  message = pi_message_new_from_data (broken, sizeof broken - 1, 2, TIME_RECEIVED);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_UNDECODABLE);
  g_assert_true (g_utf8_validate (pi_message_get_raw (message), -1, NULL));
  g_assert_cmpstr (pi_message_get_error (message), ==, "Unexpected character 'p' at line 1, column 1");
  g_assert_finalize_object (message);

  /* A NUL inside the data cannot cut the raw text short. */
  message = pi_message_new_from_data ("{\"a\":1}\0x", 9, 3, TIME_RECEIVED);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_UNDECODABLE);
  g_assert_cmpstr (pi_message_get_raw (message), ==, "{\"a\":1}\xEF\xBF\xBDx");
  g_assert_finalize_object (message);
}

static void
test_duplicate_members (void)
{
  PiMessage *message;

  /* The last one wins, as json-glib's tree has it. */
  message = message_new ("{\"exchange\":\"first\",\"payload\":1,\"exchange\":\"second\",\"payload\":2}");
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "second");
  assert_payload_text (message, "2");
  g_assert_finalize_object (message);
}

static void
test_white_space (void)
{
  PiMessage *message;

  message = message_new ("\r\n {\n  \"exchange\" :\t\"x\" ,\r\n  \"payload\" : [ 1 , { } ] ,"
                         "\"redelivered\" : true }\n\n");
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "x");
  g_assert_true (pi_message_get_redelivered (message));
  assert_payload_text (message, "[ 1 , { } ]");
  g_assert_finalize_object (message);
}

static void
test_numbers_and_literals (void)
{
  static const char data[] =
    "{\"exchange\":\"e\",\"payload\":[0,-0,1,-1,12.5,-0.25,1e3,1E+3,1e-3,-1.5E-10,"
    "123456789012345678901234567890,true,false,null,\"\",[],{}]}";
  g_autoptr(JsonNode) payload = NULL;
  PiMessage *message;

  message = message_new (data);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  payload = pi_message_dup_payload (message);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (payload)), ==, 17);
  g_assert_finalize_object (message);
}

static void
test_gap (void)
{
  PiMessage *message;
  PiMessageKind kind;

  message = pi_message_new_gap (12, TIME_RECEIVED, "Connection lost: the server closed the stream");
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_GAP);
  g_assert_cmpuint (pi_message_get_sequence (message), ==, 12);
  g_assert_cmpint (pi_message_get_time_received (message), ==, TIME_RECEIVED);
  g_assert_cmpstr (pi_message_get_error (message), ==, "Connection lost: the server closed the stream");
  g_assert_cmpstr (pi_message_get_raw (message), ==, "");
  g_assert_cmpstr (pi_message_get_exchange (message), ==, "");
  g_assert_cmpuint (pi_message_get_size (message), ==, 0);
  g_assert_null (pi_message_dup_payload (message));
  g_assert_true (pi_message_contains_text (message, "connection lost"));
  g_assert_false (pi_message_contains_text (message, "task"));
  g_object_get (message, "kind", &kind, NULL);
  g_assert_cmpint (kind, ==, PI_MESSAGE_KIND_GAP);
  g_assert_finalize_object (message);

  message = pi_message_new_gap (13, TIME_RECEIVED, NULL);
  g_assert_null (pi_message_get_error (message));
  g_assert_false (pi_message_contains_text (message, "x"));
  g_assert_finalize_object (message);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* A report of dropped messages takes in the next one with the same
 * reason, counting on past 32 bits; anything else stays apart. */
static void
test_merge_dropped (void)
{
  g_autoptr(PiMessage) large = pi_message_new_dropped (1, G_MAXUINT32, "too-large");
  g_autoptr(PiMessage) large2 = pi_message_new_dropped (2, 5, "too-large");
  g_autoptr(PiMessage) slow = pi_message_new_dropped (3, 1, "too-slow");
  g_autoptr(PiMessage) unknown = pi_message_new_dropped (4, 1, NULL);
  g_autoptr(PiMessage) unknown2 = pi_message_new_dropped (5, 2, NULL);
  g_autoptr(PiMessage) gap = pi_message_new_gap (6, 0, "Connection reset");
  guint notified = 0;
  guint64 count = 0;

  g_signal_connect (large, "notify::dropped-count", G_CALLBACK (count_notify), &notified);
  pi_message_set_time_received (large, 1000 * G_USEC_PER_SEC);
  pi_message_set_time_received (large2, 1009 * G_USEC_PER_SEC);
  g_assert_cmpint (pi_message_get_dropped_until (large), ==, 1000 * G_USEC_PER_SEC);

  g_assert_true (pi_message_merge_dropped (large, large2));
  /* It starts when it started and lasts until the last report. */
  g_assert_cmpint (pi_message_get_time_received (large), ==, 1000 * G_USEC_PER_SEC);
  g_assert_cmpint (pi_message_get_dropped_until (large), ==, 1009 * G_USEC_PER_SEC);
  g_assert_cmpuint (pi_message_get_dropped_count (large), ==, (guint64) G_MAXUINT32 + 5);
  g_object_get (large, "dropped-count", &count, NULL);
  g_assert_cmpuint (count, ==, (guint64) G_MAXUINT32 + 5);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpstr (pi_message_get_dropped_reason (large), ==, "too-large");

  g_assert_false (pi_message_merge_dropped (large, slow));
  g_assert_false (pi_message_merge_dropped (large, unknown));
  g_assert_false (pi_message_merge_dropped (large, gap));
  g_assert_false (pi_message_merge_dropped (gap, large));
  g_assert_false (pi_message_merge_dropped (large, large));
  g_assert_cmpuint (pi_message_get_dropped_count (large), ==, (guint64) G_MAXUINT32 + 5);
  g_assert_cmpuint (notified, ==, 1);

  g_assert_true (pi_message_merge_dropped (unknown, unknown2));
  g_assert_cmpuint (pi_message_get_dropped_count (unknown), ==, 3);
  /* The one merged in is unchanged. */
  g_assert_cmpuint (pi_message_get_dropped_count (unknown2), ==, 2);
}

static void
test_contains_text (void)
{
  PiMessage *message = message_new (task_completed);
  PiMessage *other;
  const char *found[] = {
    "",
    "task-completed",             /* exchange */
    "exchange/taskcluster-queue", /* exchange, start */
    "fq2xj3p1t1wkoebn0lvkza",     /* routing key, other case */
    "xz9cl0mnq4yfvs1cd2er7w._",   /* routing key, end */
    "tc-treeherder.v2",           /* a route */
    "try.abc",                    /* a route, end */
    "i-0abc123",                  /* payload */
    "\"kind\":\"build\"",         /* payload, JSON text */
    "workerid",                   /* payload member name, other case */
  };
  const char *missing[] = {
    "nothing like this",
    "task-completedx",
    "index.project.releng.latestx",
    "redelivered",                /* a member of the message object, not the payload */
    "exchange/taskcluster-queue/v1/task-completed/and-more-text-than-there-is",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (found); i++)
    if (!pi_message_contains_text (message, found[i]))
      g_error ("\"%s\" not found", found[i]);
  for (i = 0; i < G_N_ELEMENTS (missing); i++)
    if (pi_message_contains_text (message, missing[i]))
      g_error ("\"%s\" found", missing[i]);

  /* Candidates that overlap: "aab" in "aaab", letters in both cases. */
  other = message_new ("{\"exchange\":\"AaAb\",\"payload\":{}}");
  g_assert_true (pi_message_contains_text (other, "aab"));
  g_assert_true (pi_message_contains_text (other, "aaab"));
  g_assert_false (pi_message_contains_text (other, "aaaab"));
  g_assert_finalize_object (other);

  /* An undecodable message is searched in its raw text and its error. */
  other = message_new ("{\"broken\": yes}");
  g_assert_true (pi_message_contains_text (other, "broken"));
  g_assert_true (pi_message_contains_text (other, "unexpected character"));
  g_assert_false (pi_message_contains_text (other, "nope"));
  g_assert_finalize_object (other);

  g_assert_finalize_object (message);
}

static void
test_raw_restored (void)
{
  /* White space between the routes, quotes in the payload, an escaped
   * routing key (copied) next to plain strings (read in place). */
  static const char data[] =
    "{ \"exchange\" : \"exchange/x/v1/y\" , \"routingKey\":\"a.\\\"b\\\".c\","
    "\"routes\": [ \"r.one\" ,\n\"r.two\",\"\" , \"r.\\\"four\\\"\"],"
    "\"payload\":{\"q\":\"\\\"\",\"routes\":[\"not.a.route\"]},\"exchange\":\"exchange/x/v1/z\"}";
  static const char plain[] =
    "{\"exchange\":\"e/f\",\"routingKey\":\"k\",\"routes\":[ \"a\" , \"b\"\t,\"c\" ],\"payload\":\"p\"}";
  const char * const *routes;
  const char *exchange;
  const char *raw;
  PiMessage *message;

  message = message_new (data);
  exchange = pi_message_get_exchange (message);
  g_assert_cmpstr (exchange, ==, "exchange/x/v1/z");
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "a.\"b\".c");
  routes = pi_message_get_routes (message);
  g_assert_cmpstrv (routes, ((const char *[]) { "r.one", "r.two", "", "r.\"four\"", NULL }));

  /* The text is byte for byte what arrived, and stays put. */
  raw = pi_message_get_raw (message);
  g_assert_cmpstr (raw, ==, data);
  g_assert_true (pi_message_get_raw (message) == raw);
  g_assert_true (pi_message_get_routes (message) == routes);
  g_assert_true (pi_message_get_exchange (message) == exchange);
  g_assert_cmpstr (exchange, ==, "exchange/x/v1/z");
  assert_payload_text (message, "{\"q\":\"\\\"\",\"routes\":[\"not.a.route\"]}");
  g_assert_true (pi_message_contains_text (message, "not.a.route"));
  g_assert_finalize_object (message);

  /* Routes in place with white space between them, walked without the
   * vector by the search and the routes text, then with it. */
  message = message_new (plain);
  {
    g_autofree char *text = pi_message_dup_routes_text (message);

    g_assert_cmpstr (text, ==, "a, b, c");
  }
  g_assert_true (pi_message_contains_text (message, "c"));
  g_assert_false (pi_message_contains_text (message, "\"a\""));
  g_assert_cmpstrv (pi_message_get_routes (message), ((const char *[]) { "a", "b", "c", NULL }));
  g_assert_cmpstr (pi_message_get_raw (message), ==, plain);
  g_assert_cmpstr (pi_message_get_short_exchange (message), ==, "f");
  g_assert_finalize_object (message);
}

static void
test_many_routes (void)
{
  g_autoptr(GString) in_place = g_string_new ("{\"exchange\":\"e\",\"routes\":[");
  g_autoptr(GString) copied = NULL;
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *expected_text = NULL;
  g_autofree char *routes_text = NULL;
  PiMessage *message;
  guint i;

  /* More routes than the decoder keeps on its stack. */
  for (i = 0; i < 40; i++)
    {
      g_string_append_printf (in_place, "%s\"index.route.%u\"", i ? "," : "", i);
      g_ptr_array_add (expected, g_strdup_printf ("index.route.%u", i));
    }
  copied = g_string_new (in_place->str);
  g_string_append (in_place, "]}");
  g_ptr_array_add (expected, NULL);

  message = message_new (in_place->str);
  g_assert_cmpstrv (pi_message_get_routes (message), (const char * const *) expected->pdata);
  g_assert_true (pi_message_contains_text (message, "index.route.39"));
  g_assert_cmpstr (pi_message_get_raw (message), ==, in_place->str);
  g_assert_finalize_object (message);

  /* One escaped route, one that is not a string and one with an escaped
   * NUL (which ends it, as C strings do): all routes are copied. */
  g_string_append (copied, ",\"esc\\u0061ped\",7,\"nul\\u0000cut\"]}");
  g_ptr_array_remove_index (expected, expected->len - 1);
  g_ptr_array_add (expected, g_strdup ("escaped"));
  g_ptr_array_add (expected, g_strdup ("nul"));
  g_ptr_array_add (expected, NULL);
  message = message_new (copied->str);
  g_assert_cmpstrv (pi_message_get_routes (message), (const char * const *) expected->pdata);
  expected_text = g_strjoinv (", ", (char **) expected->pdata);
  routes_text = pi_message_dup_routes_text (message);
  g_assert_cmpstr (routes_text, ==, expected_text);
  g_assert_true (pi_message_contains_text (message, "escaped"));
  g_assert_false (pi_message_contains_text (message, "nulcut"));
  g_assert_cmpstr (pi_message_get_raw (message), ==, copied->str);
  g_assert_finalize_object (message);
}

static void
test_retained_size (void)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ (2, 33)
  const guint n = 20000;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_full (n, g_object_unref);
  struct mallinfo2 before;
  struct mallinfo2 after;
  double per_message;
  guint i;

  g_object_unref (message_new (task_completed));

  /* A retained message costs its JSON text and a small fixed part (the
   * instance, the allocator's headers), not copies of its strings. */
  before = mallinfo2 ();
  for (i = 0; i < n; i++)
    g_ptr_array_add (messages, message_new (task_completed));
  after = mallinfo2 ();

  per_message = (double) (after.uordblks - before.uordblks) / n;
  g_test_message ("%.1f bytes per message of %zu bytes of JSON",
                  per_message, strlen (task_completed));
  g_assert_cmpfloat (per_message, <=, strlen (task_completed) + 192);
#else
  g_test_skip ("needs glibc's mallinfo2()");
#endif
}

static void
test_scan_members (void)
{
  g_autoptr(GError) error = NULL;
  PiJsonSpan root;

  /* Without a callback the scanner is a validator. */
  g_assert_true (pi_json_scan ("[1, {\"a\": [true]}]", 18, 0, &root, NULL, NULL, NULL));
  g_assert_cmpint (root.type, ==, PI_JSON_TYPE_ARRAY);
  g_assert_cmpuint (root.offset, ==, 0);
  g_assert_cmpuint (root.length, ==, 18);

  /* A smaller depth limit is honoured. */
  g_assert_false (pi_json_scan ("[[[1]]]", 7, 2, NULL, NULL, NULL, &error));
  g_assert_error (error, PI_JSON_ERROR, PI_JSON_ERROR_TOO_DEEP);
  g_clear_error (&error);

  g_assert_false (pi_json_scan ("[\"\xFF\"]", 4, 0, NULL, NULL, NULL, &error));
  g_assert_error (error, PI_JSON_ERROR, PI_JSON_ERROR_INVALID_UTF8);
}

static void
test_scan_string_blocks (void)
{
  /* Strings are scanned in blocks of bytes: a character that needs
   * attention must be seen at every offset of a block, and at the end. */
  static const char *specials[] = { "\"", "\\", "\x01", "\xC3", "\xC3\xA9", "\\n" };
  static const gboolean valid[] = { FALSE, FALSE, FALSE, FALSE, TRUE, TRUE };
  guint len;
  guint pos;
  guint k;

  for (len = 1; len < 70; len++)
    for (pos = 0; pos < len; pos++)
      for (k = 0; k < G_N_ELEMENTS (specials); k++)
        {
          g_autoptr(GString) text = g_string_new ("[\"");
          gboolean ok;
          guint i;

          for (i = 0; i < len; i++)
            g_string_append (text, i == pos ? specials[k] : "a");
          g_string_append (text, "\"]");
          ok = pi_json_scan (text->str, text->len, 0, NULL, NULL, NULL, NULL);
          if (ok != valid[k])
            g_error ("%s: scanner says %s", text->str, ok ? "valid" : "invalid");
        }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/message/task-completed", test_task_completed);
  g_test_add_func ("/pi/message/routes", test_routes);
  g_test_add_func ("/pi/message/missing-fields", test_missing_fields);
  g_test_add_func ("/pi/message/payload-only", test_payload_only);
  g_test_add_func ("/pi/message/malformed", test_malformed);
  g_test_add_func ("/pi/message/depth-limit", test_depth_limit);
  g_test_add_func ("/pi/message/escaped-strings", test_escaped_strings);
  g_test_add_func ("/pi/message/unicode", test_unicode);
  g_test_add_func ("/pi/message/huge", test_huge);
  g_test_add_func ("/pi/message/non-utf8", test_non_utf8);
  g_test_add_func ("/pi/message/duplicate-members", test_duplicate_members);
  g_test_add_func ("/pi/message/white-space", test_white_space);
  g_test_add_func ("/pi/message/numbers-and-literals", test_numbers_and_literals);
  g_test_add_func ("/pi/message/gap", test_gap);
  g_test_add_func ("/pi/message/merge-dropped", test_merge_dropped);
  g_test_add_func ("/pi/message/contains-text", test_contains_text);
  g_test_add_func ("/pi/message/raw-restored", test_raw_restored);
  g_test_add_func ("/pi/message/many-routes", test_many_routes);
  g_test_add_func ("/pi/message/retained-size", test_retained_size);
  g_test_add_func ("/pi/message/scan", test_scan_members);
  g_test_add_func ("/pi/message/scan-string-blocks", test_scan_string_blocks);

  return g_test_run ();
}
