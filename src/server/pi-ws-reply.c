/* pi-ws-reply.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include "pi-json-util.h"
#include "pi-ws-reply.h"

/*
 * What pulse-events sends a client of the plain WebSocket endpoints, as
 * the Taskcluster web-server writes it (docs/PROTOCOL.md 8), with our
 * extensions: pure functions of their arguments, the other half of
 * pi-ws-request.c. What the server does when is pi-server-ws.c.
 */

/**
 * pi_ws_reply_frame_size:
 * @length: the bytes of a text frame's payload
 *
 * Returns: the bytes of the unmasked server frame that carries them
 */
gsize
pi_ws_reply_frame_size (gsize length)
{
  return length + 2 + (length > 125 ? 2 : 0) + (length > 65535 ? 6 : 0);
}

/**
 * pi_ws_reply_append_message:
 * @out: where to append
 * @event: an events v1 message event, as pi_event_format_message() made it
 *
 * Appends the message in @event ("event: message\ndata: {…\"routes\":[…]}\n
 * id: -\n\n") as the web-server's message object: `routes` becomes `cc`,
 * each route with its `route.` prefix back, as the AMQP CC header had it.
 * `routes` is the last member, and a string cannot contain `,"routes":[`
 * unescaped, so its last occurrence is the member.
 *
 * Returns: %FALSE, with @out as it was or longer, when @event is not such
 *   an event
 */
gboolean
pi_ws_reply_append_message (GString *out,
                            GBytes  *event)
{
  static const char data_field[] = "data: ";
  static const char routes_key[] = ",\"routes\":[";
  gsize size;
  const char *text = g_bytes_get_data (event, &size);
  const char *data = text != NULL ? memchr (text, '\n', size) : NULL;
  const char *end, *routes;
  gboolean in_string = FALSE;

  if (data == NULL || !g_str_has_prefix (data + 1, data_field))
    return FALSE;
  data += 1 + strlen (data_field);
  end = memchr (data, '\n', size - (data - text));
  if (end == NULL || end == data || end[-1] != '}')
    return FALSE;
  routes = g_strrstr_len (data, end - data, routes_key);
  if (routes == NULL)
    return FALSE;

  g_string_append_len (out, data, routes - data);
  g_string_append (out, ",\"cc\":[");
  for (const char *p = routes + strlen (routes_key); p < end; p++)
    {
      g_string_append_c (out, *p);
      if (in_string && *p == '\\' && p + 1 < end)
        g_string_append_c (out, *++p);
      else if (*p == '"')
        {
          if (!in_string)
            g_string_append (out, "route.");
          in_string = !in_string;
        }
    }

  return TRUE;
}

/**
 * pi_ws_reply_data:
 * @subscription_id: the subscription
 * @seq: the message's number in the subscription's session, or 0 for a
 *   subscription that is not resumable (no `seq`)
 * @event: the message event
 *
 * Returns: (transfer full) (nullable): the `data` frame, or %NULL when
 *   @event is not a message event
 */
GString *
pi_ws_reply_data (const char *subscription_id,
                  guint64     seq,
                  GBytes     *event)
{
  g_autoptr(GString) frame = g_string_sized_new (g_bytes_get_size (event) + 128);

  g_string_append (frame, "{\"type\":\"data\",\"subscriptionId\":");
  pi_json_append_string (frame, subscription_id, -1);
  if (seq > 0)
    g_string_append_printf (frame, ",\"seq\":%" G_GUINT64_FORMAT, seq);
  g_string_append (frame, ",\"message\":");
  if (!pi_ws_reply_append_message (frame, event))
    return NULL;
  g_string_append_c (frame, '}');

  return g_steal_pointer (&frame);
}

/**
 * pi_ws_reply_subscribe_ack:
 * @subscription_id: the subscription
 * @session: (nullable): its session, for a resumable one
 * @resumed: whether it took a held session over
 * @lost: for a resume, what the window no longer held
 *
 * Returns: (transfer full): the `subscribe_ack` frame
 */
GString *
pi_ws_reply_subscribe_ack (const char *subscription_id,
                           const char *session,
                           gboolean    resumed,
                           guint64     lost)
{
  GString *frame = g_string_new ("{\"type\":\"subscribe_ack\",\"subscriptionId\":");

  pi_json_append_string (frame, subscription_id, -1);
  if (session != NULL)
    {
      g_string_append (frame, ",\"session\":");
      pi_json_append_string (frame, session, -1);
      if (resumed)
        g_string_append_printf (frame, ",\"resumed\":true,\"lost\":%" G_GUINT64_FORMAT, lost);
      else
        g_string_append (frame, ",\"resumed\":false");
    }
  g_string_append_c (frame, '}');

  return frame;
}

/**
 * pi_ws_reply_error:
 * @subscription_id: (nullable): the subscription it is about, if any
 * @code: `ProtocolError`, `SubscriptionError`
 * @message: the words
 *
 * Returns: (transfer full): the `error` frame
 */
GString *
pi_ws_reply_error (const char *subscription_id,
                   const char *code,
                   const char *message)
{
  GString *frame = g_string_new ("{\"type\":\"error\"");

  if (subscription_id != NULL)
    {
      g_string_append (frame, ",\"subscriptionId\":");
      pi_json_append_string (frame, subscription_id, -1);
    }
  g_string_append (frame, ",\"code\":");
  pi_json_append_string (frame, code, -1);
  g_string_append (frame, ",\"message\":");
  pi_json_append_string (frame, message, -1);
  g_string_append_c (frame, '}');

  return frame;
}

/**
 * pi_ws_reply_dropped:
 * @subscription_id: the subscription
 * @count: messages thrown away
 * @reason: `too-slow`, `too-large`, `resume-window`
 * @seq: on a resumable subscription, the last message number the count
 *   covers (a resume goes on after it); 0 for none
 *
 * Returns: (transfer full): the `dropped` frame (our extension)
 */
GString *
pi_ws_reply_dropped (const char *subscription_id,
                     guint64     count,
                     const char *reason,
                     guint64     seq)
{
  GString *frame = g_string_new ("{\"type\":\"dropped\",\"subscriptionId\":");

  pi_json_append_string (frame, subscription_id, -1);
  if (seq > 0)
    g_string_append_printf (frame, ",\"seq\":%" G_GUINT64_FORMAT, seq);
  g_string_append_printf (frame, ",\"count\":%" G_GUINT64_FORMAT ",\"reason\":", count);
  pi_json_append_string (frame, reason, -1);
  g_string_append_c (frame, '}');

  return frame;
}
