/* test-tc-frame.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-tc-frame.h"

#define MESSAGE "{\"payload\":{\"status\":{\"taskId\":\"abc\"}},\"exchange\":\"exchange/taskcluster-queue/v1/task-completed\"," \
                "\"routingKey\":\"primary.abc\",\"redelivered\":false,\"cc\":[\"route.index.x\"]}"

static void
test_plain_data (void)
{
  const char *text = "{\"type\":\"data\",\"subscriptionId\":\"s1\",\"message\":" MESSAGE "}";
  g_autoptr(GError) error = NULL;
  g_autoptr(PiMessage) message = NULL;
  PiTcFrame frame;

  g_assert_true (pi_tc_frame_parse_plain (text, strlen (text), &frame, &error));
  g_assert_no_error (error);
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_DATA);
  g_assert_cmpstr (frame.id, ==, "s1");
  g_assert_cmpmem (frame.message, frame.message_len, MESSAGE, strlen (MESSAGE));

  message = pi_message_new_from_tc_data (&frame, 7, 0);
  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
  g_assert_cmpstr (pi_message_get_routing_key (message), ==, "primary.abc");
  /* Shown as events v1 sends routes: without the CC entry's "route.". */
  g_assert_cmpstr (pi_message_get_routes (message)[0], ==, "index.x");
  g_assert_cmpuint (pi_message_get_sequence (message), ==, 7);
  pi_tc_frame_clear (&frame);
}

static void
test_plain_others (void)
{
  const char *error_text = "{\"type\":\"error\",\"subscriptionId\":\"s2\",\"code\":\"SubscriptionError\","
                           "\"message\":\"Error binding queue: no exchange \\\"x\\\"\"}";
  const char *dropped = "{\"type\":\"dropped\",\"count\":12,\"reason\":\"too-slow\"}";
  const char *dropped_seq = "{\"type\":\"dropped\",\"subscriptionId\":\"s3\",\"seq\":41,\"count\":2,"
                            "\"reason\":\"too-slow\"}";
  const char *unknown = "{\"type\":\"hello\",\"x\":[1,2,3]}";
  PiTcFrame frame;

  g_assert_true (pi_tc_frame_parse_plain (error_text, strlen (error_text), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_ERROR);
  g_assert_cmpstr (frame.id, ==, "s2");
  g_assert_cmpstr (frame.code, ==, "SubscriptionError");
  g_assert_cmpstr (frame.text, ==, "Error binding queue: no exchange \"x\"");
  pi_tc_frame_clear (&frame);

  g_assert_true (pi_tc_frame_parse_plain (dropped, strlen (dropped), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_DROPPED);
  g_assert_cmpuint (frame.count, ==, 12);
  g_assert_cmpstr (frame.reason, ==, "too-slow");
  g_assert_cmpuint (frame.seq, ==, 0);
  pi_tc_frame_clear (&frame);

  /* On a resumable subscription: the last message number it covers. */
  g_assert_true (pi_tc_frame_parse_plain (dropped_seq, strlen (dropped_seq), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_DROPPED);
  g_assert_cmpstr (frame.id, ==, "s3");
  g_assert_cmpuint (frame.count, ==, 2);
  g_assert_cmpuint (frame.seq, ==, 41);
  pi_tc_frame_clear (&frame);

  g_assert_true (pi_tc_frame_parse_plain (unknown, strlen (unknown), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_UNKNOWN);
  g_assert_cmpstr (frame.type_name, ==, "hello");
  pi_tc_frame_clear (&frame);
}

static void
test_graphql (void)
{
  const char *data = "{\"type\":\"data\",\"id\":\"2\",\"payload\":{\"data\":{\"pulseMessages\":" MESSAGE "}}}";
  const char *invalid = "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"errors\":[{\"message\":\"bad query\"}]}}";
  const char *lost = "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"errors\":[0]}}";
  const char *runtime = "{\"type\":\"error\",\"id\":\"3\",\"payload\":{\"message\":\"Error binding queue: x\"}}";
  const char *refused = "{\"type\":\"connection_error\",\"payload\":{\"message\":\"Error: InsufficientScopes web:read-pulse\"}}";
  PiTcFrame frame;

  g_assert_true (pi_tc_frame_parse_graphql (data, strlen (data), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_DATA);
  g_assert_cmpstr (frame.id, ==, "2");
  g_assert_cmpmem (frame.message, frame.message_len, MESSAGE, strlen (MESSAGE));
  pi_tc_frame_clear (&frame);

  g_assert_true (pi_tc_frame_parse_graphql (invalid, strlen (invalid), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_ERROR);
  g_assert_cmpstr (frame.text, ==, "bad query");
  pi_tc_frame_clear (&frame);

  /* web-server v106 loses the text: a failure without words. */
  g_assert_true (pi_tc_frame_parse_graphql (lost, strlen (lost), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_ERROR);
  g_assert_null (frame.text);
  pi_tc_frame_clear (&frame);

  g_assert_true (pi_tc_frame_parse_graphql (runtime, strlen (runtime), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_ERROR);
  g_assert_cmpstr (frame.id, ==, "3");
  g_assert_cmpstr (frame.text, ==, "Error binding queue: x");
  pi_tc_frame_clear (&frame);

  g_assert_true (pi_tc_frame_parse_graphql (refused, strlen (refused), &frame, NULL));
  g_assert_cmpint (frame.type, ==, PI_TC_FRAME_CONNECTION_ERROR);
  g_assert_nonnull (strstr (frame.text, "InsufficientScopes"));
  pi_tc_frame_clear (&frame);
}

/* The message is found inside the payload's other members whatever they
 * hold: strings with braces, brackets, quotes and backslashes, numbers,
 * literals, white space, and member names written with escapes. */
static void
test_graphql_nested (void)
{
#define TRICKY "{\"payload\":{\"s\":\"}]{[\\\"\\\\\",\"n\":[-1.5e3,true,false,null,{}]}," \
               "\"exchange\":\"exchange/x\",\"routingKey\":\"a.b\",\"redelivered\":false,\"cc\":[]}"
  static const struct { const char *frame; const char *message; } cases[] = {
    { "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"data\":{\"pulseMessages\":" TRICKY "}}}", TRICKY },
    { "{\"type\":\"data\",\"id\":\"1\",\"payload\": { \"extensions\" : {\"x\":\"}\"} , \"data\" :\n"
      " { \"other\": [1, \"]\", null], \"pulseMessages\" : " TRICKY " , \"z\": 2.5 } } }", TRICKY },
    /* Escaped names: "data" and "pulseMessages" spelt with \u escapes. */
    { "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"d\\u0061ta\":{\"pulse\\u004dessages\":" TRICKY "}}}", TRICKY },
  };
  static const char * const bad[] = {
    "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"data\":{\"pulseMessages\":\"{}\"}}}",
    "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"data\":{\"pulseMessagesX\":{}}}}",
    "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"data\":[{\"pulseMessages\":{}}]}}",
    "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"dat\":{\"pulseMessages\":{}}}}",
  };
#undef TRICKY

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      PiTcFrame frame;

      g_test_message ("frame %u: %s", i, cases[i].frame);
      g_assert_true (pi_tc_frame_parse_graphql (cases[i].frame, strlen (cases[i].frame), &frame, &error));
      g_assert_no_error (error);
      g_assert_cmpint (frame.type, ==, PI_TC_FRAME_DATA);
      g_assert_cmpmem (frame.message, frame.message_len, cases[i].message, strlen (cases[i].message));
      pi_tc_frame_clear (&frame);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      PiTcFrame frame;

      g_test_message ("bad frame %u: %s", i, bad[i]);
      g_assert_false (pi_tc_frame_parse_graphql (bad[i], strlen (bad[i]), &frame, &error));
      g_assert_error (error, PI_TC_ERROR, 0);
    }
}

static void
test_bad_input (void)
{
  static const char * const bad[] = {
    "",
    "{",
    "{\"type\":\"data\",\"message\":{\"exchange\":",   /* truncated */
    "[1,2]",
    "\"data\"",
    "{\"type\":3}",
    "{\"no\":\"type\"}",
    "{\"type\":\"data\",\"message\":\"not an object\"}",
    "{\"type\":\"data\"}",
    "{\"type\":\"data\",\"payload\":{\"data\":{\"pulseMessages\":null}}}",
    "{\"type\":\"data\",\"payload\":[]}",
    "{\"type\":\"\xff\xfe\"}",
  };
  GString *deep = g_string_new ("{\"type\":\"data\",\"message\":");

  for (guint i = 0; i < 5000; i++)
    g_string_append_c (deep, '[');

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) plain_error = NULL;
      g_autoptr(GError) graphql_error = NULL;
      PiTcFrame frame;
      gboolean plain_ok, graphql_ok;

      plain_ok = pi_tc_frame_parse_plain (bad[i], strlen (bad[i]), &frame, &plain_error);
      pi_tc_frame_clear (&frame);
      graphql_ok = pi_tc_frame_parse_graphql (bad[i], strlen (bad[i]), &frame, &graphql_error);
      pi_tc_frame_clear (&frame);

      /* Each is refused in words by at least the protocol it is malformed for. */
      g_test_message ("%u: %s / %s", i, plain_error ? plain_error->message : "ok",
                      graphql_error ? graphql_error->message : "ok");
      g_assert_true (!plain_ok || !graphql_ok);
      if (!plain_ok)
        g_assert_error (plain_error, PI_TC_ERROR, 0);
    }

  {
    g_autoptr(GError) error = NULL;
    PiTcFrame frame;

    g_assert_false (pi_tc_frame_parse_plain (deep->str, deep->len, &frame, &error));
    g_assert_error (error, PI_TC_ERROR, 0);
    pi_tc_frame_clear (&frame);
  }
  g_string_free (deep, TRUE);
}

/* The message object is read once, by the message decoder: the frame's
 * walk only skips it. What is not JSON inside it becomes an undecodable
 * message (its text kept, the reason given), as over SSE; what is not JSON
 * anywhere else in the frame still refuses the frame. */
static void
test_message_checked_once (void)
{
  static const char * const broken_message[] = {
    "{\"type\":\"data\",\"subscriptionId\":\"s\",\"message\":{\"exchange\":\"x\",,\"routingKey\":\"k\"}}",
    "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"data\":{\"pulseMessages\":{\"exchange\":tru}}}}",
  };
  static const char * const broken_frame[] = {
    /* Beside the message, in the frame or in GraphQL's wrappers. */
    "{\"type\":\"data\",\"x\":[1,,2],\"message\":{\"exchange\":\"x\"}}",
    "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"x\":{\"a\" 1},\"data\":{\"pulseMessages\":{}}}}",
    "{\"type\":\"data\",\"id\":\"1\",\"payload\":{\"data\":{\"pulseMessages\":{},\"y\":\"\\q\"}}}",
    /* Around it. */
    "{\"type\":\"data\",\"message\":{\"exchange\":\"x\"}} trailing",
    "{\"type\":\"data\",\"message\":{\"exchange\":\"x\"}",
    "{\"type\":\"data\" \"message\":{\"exchange\":\"x\"}}",
    "{\"type\":\"data\",\"message\":{\"exchange\":\"x\\\"}}\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (broken_message); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PiMessage) message = NULL;
      PiTcFrame frame;
      gboolean ok = i == 0 ? pi_tc_frame_parse_plain (broken_message[i], strlen (broken_message[i]), &frame, &error)
                           : pi_tc_frame_parse_graphql (broken_message[i], strlen (broken_message[i]), &frame, &error);

      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (frame.type, ==, PI_TC_FRAME_DATA);
      message = pi_message_new_from_tc_data (&frame, 1, 0);
      g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_UNDECODABLE);
      g_test_message ("%u: %s", i, pi_message_get_error (message));
      g_assert_nonnull (pi_message_get_error (message));
      pi_tc_frame_clear (&frame);
    }

  for (guint i = 0; i < G_N_ELEMENTS (broken_frame); i++)
    {
      g_autoptr(GError) error = NULL;
      PiTcFrame frame;
      gboolean ok = i == 1 || i == 2 ? pi_tc_frame_parse_graphql (broken_frame[i], strlen (broken_frame[i]), &frame, &error)
                                     : pi_tc_frame_parse_plain (broken_frame[i], strlen (broken_frame[i]), &frame, &error);

      g_test_message ("bad frame %u: %s", i, error ? error->message : "accepted");
      g_assert_false (ok);
      g_assert_error (error, PI_TC_ERROR, 0);
      g_assert_true (g_str_has_prefix (error->message, "The frame is not JSON"));
    }
}

static void
test_builders (void)
{
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *subscribe = NULL;
  g_autofree char *named = NULL;
  g_autofree char *start = NULL;
  g_autofree char *init = NULL;
  g_autofree char *graphql_init = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *decoded = NULL;
  const char *where[] = { "taskGroupId=G1", "bad", NULL };
  const char *names[] = { "taskDefined", "taskCompleted", NULL };
  gsize len;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *exchange = g_strdup_printf ("exchange/x/%u", i);

      g_ptr_array_add (bindings, pi_binding_new (exchange, "#"));
    }

  subscribe = pi_tc_frame_build_raw_subscribe (bindings, 1, 2);
  g_assert_cmpstr (subscribe, ==,
                   "{\"type\":\"subscribe\",\"bindings\":[{\"exchange\":\"exchange/x/1\",\"pattern\":\"#\"},"
                   "{\"exchange\":\"exchange/x/2\",\"pattern\":\"#\"}]}");

  named = pi_tc_frame_build_named_subscribe ("queue", names, where);
  g_assert_cmpstr (named, ==,
                   "{\"type\":\"subscribe\",\"service\":\"queue\",\"subscriptions\":[\"taskDefined\",\"taskCompleted\"],"
                   "\"routingKey\":{\"taskGroupId\":\"G1\"}}");

  start = pi_tc_frame_build_graphql_start ("1", "exchange/x/0", "route.#");
  g_assert_nonnull (strstr (start, "\"variables\":{\"subscriptions\":[{\"exchange\":\"exchange/x/0\",\"pattern\":\"route.#\"}]}"));
  g_assert_true (g_str_has_prefix (start, "{\"id\":\"1\",\"type\":\"start\""));

  init = pi_tc_frame_build_plain_init (NULL, NULL);
  g_assert_cmpstr (init, ==, "{\"type\":\"connection_init\"}");
  graphql_init = pi_tc_frame_build_graphql_init (NULL, NULL);
  g_assert_cmpstr (graphql_init, ==, "{\"type\":\"connection_init\",\"payload\":{}}");

  authorization = pi_tc_frame_authorization ("me", "secret");
  g_assert_true (g_str_has_prefix (authorization, "Bearer "));
  decoded = (char *) g_base64_decode (authorization + strlen ("Bearer "), &len);
  g_assert_cmpmem (decoded, len, "{\"clientId\":\"me\",\"accessToken\":\"secret\"}", 40);
}

static void
test_dropped_message (void)
{
  g_autoptr(PiMessage) dropped = pi_message_new_dropped (4, G_GUINT64_CONSTANT (5000000000), "too-large");
  g_autoptr(PiMessage) unknown = pi_message_new_dropped (5, 3, NULL);

  g_assert_cmpint (pi_message_get_kind (dropped), ==, PI_MESSAGE_KIND_DROPPED);
  g_assert_cmpuint (pi_message_get_dropped_count (dropped), ==, G_GUINT64_CONSTANT (5000000000));
  g_assert_cmpstr (pi_message_get_dropped_reason (dropped), ==, "too-large");
  g_assert_cmpuint (pi_message_get_sequence (dropped), ==, 4);
  g_assert_null (pi_message_get_payload_text (dropped, NULL));
  g_assert_null (pi_message_get_dropped_reason (unknown));
  g_assert_cmpuint (pi_message_get_dropped_count (unknown), ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/tc-frame/plain/data", test_plain_data);
  g_test_add_func ("/pi/tc-frame/plain/others", test_plain_others);
  g_test_add_func ("/pi/tc-frame/graphql", test_graphql);
  g_test_add_func ("/pi/tc-frame/graphql-nested", test_graphql_nested);
  g_test_add_func ("/pi/tc-frame/bad-input", test_bad_input);
  g_test_add_func ("/pi/tc-frame/message-checked-once", test_message_checked_once);
  g_test_add_func ("/pi/tc-frame/builders", test_builders);
  g_test_add_func ("/pi/tc-frame/dropped-message", test_dropped_message);

  return g_test_run ();
}
