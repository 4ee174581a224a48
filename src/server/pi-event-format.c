/* pi-event-format.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "pi-event-format.h"
#include "pi-json-util.h"
#include "pi-sse-parser.h"

/* The `data:` field must be one line. A broker body may be pretty-printed
 * JSON or no JSON at all: re-serialize the first compactly and carry the
 * second as a JSON string, so that the message still reaches the client. */
static void
append_payload (GString    *out,
                const char *payload,
                gsize       payload_len)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *compact = NULL;

  /* The common case, spliced as it is: one line of valid JSON. The strict
   * single-pass scanner checks that far faster than a parse would, so a
   * publisher's plain-text body cannot produce a `data:` line that is not
   * JSON. */
  if (payload_len > 0 &&
      memchr (payload, '\n', payload_len) == NULL &&
      memchr (payload, '\r', payload_len) == NULL &&
      g_utf8_validate_len (payload, payload_len, NULL) &&
      pi_json_scan (payload, payload_len, PI_JSON_DEFAULT_MAX_DEPTH, NULL, NULL, NULL, NULL))
    {
      g_string_append_len (out, payload, payload_len);
      return;
    }

  parser = json_parser_new ();
  if (payload_len > 0 && pi_json_parser_load (parser, payload, payload_len, NULL))
    {
      compact = json_to_string (json_parser_get_root (parser), FALSE);
      g_string_append (out, compact);
      return;
    }

  if (g_utf8_validate_len (payload, payload_len, NULL))
    {
      pi_json_append_string (out, payload, payload_len);
    }
  else
    {
      g_autofree char *valid = g_utf8_make_valid (payload, payload_len);
      pi_json_append_string (out, valid, -1);
    }
}

/**
 * pi_event_format_message:
 * @exchange: the delivery's exchange
 * @routing_key: the delivery's routing key
 * @routes: (nullable) (array zero-terminated=1): routes, `route.` removed
 * @redelivered: the AMQP redelivered flag
 * @payload: the message body
 * @payload_len: length of @payload
 *
 * Frames one `message` event as docs/PROTOCOL.md section 4 describes it.
 *
 * Returns: (transfer full): the whole event, ready to write
 */
GBytes *
pi_event_format_message (const char         *exchange,
                         const char         *routing_key,
                         const char * const *routes,
                         gboolean            redelivered,
                         const char         *payload,
                         gsize               payload_len)
{
  GString *out = g_string_sized_new (payload_len + 256);

  g_string_append (out, "event: message\ndata: {\"payload\":");
  append_payload (out, payload, payload_len);
  g_string_append (out, ",\"exchange\":");
  pi_json_append_string (out, exchange, -1);
  g_string_append (out, ",\"routingKey\":");
  pi_json_append_string (out, routing_key, -1);
  g_string_append (out, redelivered ? ",\"redelivered\":true,\"routes\":[" : ",\"redelivered\":false,\"routes\":[");
  for (guint i = 0; routes != NULL && routes[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      pi_json_append_string (out, routes[i], -1);
    }
  g_string_append (out, "]}\nid: -\n\n");

  return g_string_free_to_bytes (out);
}

/**
 * pi_event_format:
 * @event: the event name
 * @data_json: one line of JSON
 *
 * Returns: (transfer full): `event: <event>\ndata: <data_json>\nid: -\n\n`
 */
GBytes *
pi_event_format (const char *event,
                 const char *data_json)
{
  GString *out = g_string_new (NULL);

  pi_sse_append_event (out, event, data_json);

  return g_string_free_to_bytes (out);
}

/**
 * pi_event_format_error:
 * @text: what went wrong, in words
 *
 * Returns: (transfer full): an `error` event whose data is @text as a JSON string
 */
GBytes *
pi_event_format_error (const char *text)
{
  g_autoptr(GString) data = g_string_new (NULL);

  pi_json_append_string (data, text, -1);

  return pi_event_format ("error", data->str);
}

/**
 * pi_event_format_time:
 * @time: a UTC time
 *
 * Formats @time the way Taskcluster writes times in its messages (and the
 * `ping` event its `time`): ISO 8601 with milliseconds and a `Z`.
 *
 * Returns: (transfer full): e.g. `2026-01-02T03:04:05.678Z`
 */
char *
pi_event_format_time (GDateTime *time)
{
  g_autofree char *base = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  base = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, g_date_time_get_microsecond (time) / 1000);
}
