/* test-ws-reply.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * The frames pulse-events sends on its plain WebSocket endpoints
 * (pi-ws-reply.c, docs/PROTOCOL.md 8), byte for byte: what the web-server
 * sends, and our extensions only where asked for.
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "pi-event-format.h"
#include "pi-ws-reply.h"

#define EXCHANGE "exchange/taskcluster-queue/v1/task-completed"

static void
assert_frame (GString    *frame,
              const char *expected)
{
  g_assert_nonnull (frame);
  g_assert_cmpstr (frame->str, ==, expected);
  g_string_free (frame, TRUE);
}

/* A message event becomes the web-server's message: `routes` is `cc`
 * with the `route.` prefix back, strings with quotes and backslashes
 * intact; a numbered one carries `seq`, an unnumbered one not. */
static void
test_data (void)
{
  const char *routes[] = { "index.a\"b", "x\\\\y", NULL };
  const char *payload = "{\"routes\":[\"not\"],\"s\":\",\\\"routes\\\":[\"}";
  g_autoptr(GBytes) event = pi_event_format_message (EXCHANGE, "primary.T.0", routes, FALSE,
                                                     payload, strlen (payload));
  g_autoptr(GBytes) none = pi_event_format_message (EXCHANGE, "k", NULL, TRUE, "1", 1);

  assert_frame (pi_ws_reply_data ("abc", 0, event),
                "{\"type\":\"data\",\"subscriptionId\":\"abc\",\"message\":{\"payload\":" "{\"routes\":[\"not\"],"
                "\"s\":\",\\\"routes\\\":[\"},\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"primary.T.0\","
                "\"redelivered\":false,\"cc\":[\"route.index.a\\\"b\",\"route.x\\\\\\\\y\"]}}");
  assert_frame (pi_ws_reply_data ("abc", 7, none),
                "{\"type\":\"data\",\"subscriptionId\":\"abc\",\"seq\":7,\"message\":{\"payload\":1,"
                "\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"k\",\"redelivered\":true,\"cc\":[]}}");
}

/* What is not a message event is refused, never half converted. */
static void
test_not_a_message (void)
{
  const char *bad[] = {
    "", "event: message\n", "event: message\ndata: {}\n\n", "event: message\ndata: {\"a\":1\n\n",
    "event: message\nid: -\n\n", "event: message\ndata: \n\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GBytes) event = g_bytes_new_static (bad[i], strlen (bad[i]));

      g_assert_null (pi_ws_reply_data ("abc", 0, event));
    }
}

/* Acks, errors and dropped frames; the session members only for a
 * resumable subscription. */
static void
test_others (void)
{
  assert_frame (pi_ws_reply_subscribe_ack ("abc", NULL, FALSE, 0),
                "{\"type\":\"subscribe_ack\",\"subscriptionId\":\"abc\"}");
  assert_frame (pi_ws_reply_subscribe_ack ("abc", "0f", FALSE, 0),
                "{\"type\":\"subscribe_ack\",\"subscriptionId\":\"abc\",\"session\":\"0f\",\"resumed\":false}");
  assert_frame (pi_ws_reply_subscribe_ack ("abc", "0f", TRUE, 12),
                "{\"type\":\"subscribe_ack\",\"subscriptionId\":\"abc\",\"session\":\"0f\",\"resumed\":true,\"lost\":12}");
  assert_frame (pi_ws_reply_error (NULL, "ProtocolError", "Unknown frame type: \"x\""),
                "{\"type\":\"error\",\"code\":\"ProtocolError\",\"message\":\"Unknown frame type: \\\"x\\\"\"}");
  assert_frame (pi_ws_reply_error ("abc", "SubscriptionError", "gone"),
                "{\"type\":\"error\",\"subscriptionId\":\"abc\",\"code\":\"SubscriptionError\",\"message\":\"gone\"}");
  assert_frame (pi_ws_reply_dropped ("abc", 3, "resume-window", 0),
                "{\"type\":\"dropped\",\"subscriptionId\":\"abc\",\"count\":3,\"reason\":\"resume-window\"}");
  assert_frame (pi_ws_reply_dropped ("abc", 3, "too-slow", 41),
                "{\"type\":\"dropped\",\"subscriptionId\":\"abc\",\"seq\":41,\"count\":3,\"reason\":\"too-slow\"}");

  g_assert_cmpuint (pi_ws_reply_frame_size (125), ==, 127);
  g_assert_cmpuint (pi_ws_reply_frame_size (126), ==, 130);
  g_assert_cmpuint (pi_ws_reply_frame_size (65536), ==, 65546);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/ws-reply/data", test_data);
  g_test_add_func ("/pi/ws-reply/not-a-message", test_not_a_message);
  g_test_add_func ("/pi/ws-reply/others", test_others);

  return g_test_run ();
}
