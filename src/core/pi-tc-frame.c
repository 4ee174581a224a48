/* pi-tc-frame.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-tc-frame"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "pi-binding.h"
#include "pi-json-util.h"
#include "pi-tc-frame.h"

/*
 * Frames are scanned, never parsed into trees: a data frame can carry a
 * payload of many megabytes, and all the client needs from the frame is
 * where the message object lies in the text. Scanning checks the whole
 * frame is JSON (and UTF-8) once; the nested objects GraphQL wraps the
 * message in are scanned again, which only walks their members.
 */

G_DEFINE_QUARK (pi-tc-frame-error-quark, pi_tc_frame_error)

/* Frames are shallow; the payload inside may be deep. */
#define FRAME_MAX_DEPTH PI_JSON_DEFAULT_MAX_DEPTH

#define GRAPHQL_QUERY \
  "subscription PulseMessages($subscriptions: [PulseSubscription]!) { " \
  "pulseMessages(subscriptions: $subscriptions) { payload exchange routingKey redelivered cc } }"

typedef struct
{
  PiJsonSpan type, id, subscription_id, code, message, payload, count, reason, data, errors,
             pulse_messages, resume, session, resumed, lost, seq;
  guint      has_type : 1;
  guint      has_id : 1;
  guint      has_subscription_id : 1;
  guint      has_code : 1;
  guint      has_message : 1;
  guint      has_payload : 1;
  guint      has_count : 1;
  guint      has_reason : 1;
  guint      has_data : 1;
  guint      has_errors : 1;
  guint      has_pulse_messages : 1;
  guint      has_resume : 1;
  guint      has_session : 1;
  guint      has_resumed : 1;
  guint      has_lost : 1;
  guint      has_seq : 1;
} Members;

static void
collect_member (const char       *name,
                gsize             name_len,
                const PiJsonSpan *value,
                gpointer          user_data)
{
  Members *m = user_data;

#define MEMBER(literal, field) \
  if (PI_JSON_NAME_IS (name, name_len, literal)) \
    { m->field = *value; m->has_##field = TRUE; return; }

  MEMBER ("type", type);
  MEMBER ("id", id);
  MEMBER ("subscriptionId", subscription_id);
  MEMBER ("code", code);
  MEMBER ("message", message);
  MEMBER ("payload", payload);
  MEMBER ("count", count);
  MEMBER ("reason", reason);
  MEMBER ("data", data);
  MEMBER ("errors", errors);
  MEMBER ("pulseMessages", pulse_messages);
  MEMBER ("resume", resume);
  MEMBER ("session", session);
  MEMBER ("resumed", resumed);
  MEMBER ("lost", lost);
  MEMBER ("seq", seq);

#undef MEMBER
}

/* A string member's value, unescaped; NULL when it is not a string. */
static char *
span_string (const char       *text,
             const PiJsonSpan *span,
             gboolean          present)
{
  GString *out;

  if (!present || span->type != PI_JSON_TYPE_STRING)
    return NULL;

  out = g_string_sized_new (span->length);
  pi_json_append_unescaped (out, text + span->offset, span->length);
  return g_string_free (out, FALSE);
}

/* A member that is a whole number, or 0. */
static guint64
span_number (const char       *text,
             const PiJsonSpan *span,
             gboolean          present)
{
  char number[24];

  if (!present || span->type != PI_JSON_TYPE_NUMBER || span->length >= sizeof number ||
      !g_ascii_isdigit (text[span->offset]))
    return 0;

  memcpy (number, text + span->offset, span->length);
  number[span->length] = '\0';
  return g_ascii_strtoull (number, NULL, 10);
}

static gboolean
span_true (const char       *text,
           const PiJsonSpan *span,
           gboolean          present)
{
  return present && span->type == PI_JSON_TYPE_BOOLEAN && text[span->offset] == 't';
}

static gboolean
scan_object (const char  *text,
             gsize        len,
             Members     *members,
             GError     **error)
{
  PiJsonSpan root;
  g_autoptr(GError) local_error = NULL;

  if (!pi_json_scan (text, len, FRAME_MAX_DEPTH, &root, collect_member, members, &local_error))
    {
      g_set_error (error, PI_TC_ERROR, 0, _("The frame is not JSON: %s"), local_error->message);
      return FALSE;
    }
  if (root.type != PI_JSON_TYPE_OBJECT)
    {
      g_set_error_literal (error, PI_TC_ERROR, 0, _("The frame is not a JSON object"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_common (const char  *text,
              gsize        len,
              PiTcFrame   *frame,
              Members     *m,
              GError     **error)
{
  memset (frame, 0, sizeof *frame);

  if (!scan_object (text, len, m, error))
    return FALSE;

  if (!(frame->type_name = span_string (text, &m->type, m->has_type)))
    {
      g_set_error_literal (error, PI_TC_ERROR, 0, _("The frame has no type"));
      return FALSE;
    }

  if (strcmp (frame->type_name, "connection_ack") == 0)
    frame->type = PI_TC_FRAME_CONNECTION_ACK;
  else if (strcmp (frame->type_name, "connection_error") == 0)
    frame->type = PI_TC_FRAME_CONNECTION_ERROR;
  else if (strcmp (frame->type_name, "subscribe_ack") == 0)
    frame->type = PI_TC_FRAME_SUBSCRIBE_ACK;
  else if (strcmp (frame->type_name, "data") == 0)
    frame->type = PI_TC_FRAME_DATA;
  else if (strcmp (frame->type_name, "error") == 0)
    frame->type = PI_TC_FRAME_ERROR;
  else if (strcmp (frame->type_name, "complete") == 0)
    frame->type = PI_TC_FRAME_COMPLETE;
  else if (strcmp (frame->type_name, "ka") == 0)
    frame->type = PI_TC_FRAME_KA;
  else if (strcmp (frame->type_name, "dropped") == 0)
    frame->type = PI_TC_FRAME_DROPPED;
  else
    frame->type = PI_TC_FRAME_UNKNOWN;

  if (frame->type == PI_TC_FRAME_DROPPED)
    {
      if (m->has_count && m->count.type == PI_JSON_TYPE_NUMBER && m->count.length < 24 &&
          g_ascii_isdigit (text[m->count.offset]))
        {
          char number[24];

          memcpy (number, text + m->count.offset, m->count.length);
          number[m->count.length] = '\0';
          frame->count = g_ascii_strtoull (number, NULL, 10);
        }
      frame->reason = span_string (text, &m->reason, m->has_reason);
    }

  return TRUE;
}

static void
set_bad_frame (GError     **error,
               const char  *what)
{
  g_set_error (error, PI_TC_ERROR, 0, _("The frame is malformed: %s"), what);
}

/**
 * pi_tc_frame_parse_plain:
 * @text: (array length=len): a text frame of /subscription/raw or /named
 * @len: its length in bytes
 * @frame: (out caller-allocates): the frame; clear it with pi_tc_frame_clear()
 * @error: why the frame is not one
 *
 * A frame of an unknown type is %PI_TC_FRAME_UNKNOWN, not an error. On
 * success @frame's message points into @text: keep @text alive.
 */
gboolean
pi_tc_frame_parse_plain (const char  *text,
                         gsize        len,
                         PiTcFrame   *frame,
                         GError     **error)
{
  Members m = { 0 };

  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  if (!parse_common (text ? text : "", len, frame, &m, error))
    {
      pi_tc_frame_clear (frame);
      return FALSE;
    }

  frame->id = span_string (text, &m.subscription_id, m.has_subscription_id);
  frame->code = span_string (text, &m.code, m.has_code);
  frame->resume = span_true (text, &m.resume, m.has_resume);
  frame->session = span_string (text, &m.session, m.has_session);
  frame->resumed = span_true (text, &m.resumed, m.has_resumed);
  frame->lost = span_number (text, &m.lost, m.has_lost);
  frame->seq = span_number (text, &m.seq, m.has_seq);

  switch (frame->type)
    {
    case PI_TC_FRAME_DATA:
      if (!m.has_message || m.message.type != PI_JSON_TYPE_OBJECT)
        {
          set_bad_frame (error, _("a data frame without a message object"));
          pi_tc_frame_clear (frame);
          return FALSE;
        }
      frame->message = text + m.message.offset;
      frame->message_len = m.message.length;
      break;

    case PI_TC_FRAME_ERROR:
    case PI_TC_FRAME_CONNECTION_ERROR:
      frame->text = span_string (text, &m.message, m.has_message);
      break;

    case PI_TC_FRAME_UNKNOWN:
    case PI_TC_FRAME_CONNECTION_ACK:
    case PI_TC_FRAME_SUBSCRIBE_ACK:
    case PI_TC_FRAME_COMPLETE:
    case PI_TC_FRAME_KA:
    case PI_TC_FRAME_DROPPED:
    default:
      break;
    }

  return TRUE;
}

/* The text of a GraphQL error: an object with `message`, or a string. */
static char *
graphql_error_text (const char       *text,
                    const PiJsonSpan *span)
{
  Members m = { 0 };
  PiJsonSpan root;

  if (span->type == PI_JSON_TYPE_STRING)
    return span_string (text, span, TRUE);

  if (span->type == PI_JSON_TYPE_OBJECT &&
      pi_json_scan (text + span->offset, span->length, FRAME_MAX_DEPTH, &root, collect_member, &m, NULL))
    return span_string (text + span->offset, &m.message, m.has_message);

  return NULL;
}

/* The first error of an `errors` array, in words; NULL when it has none
 * (web-server v106 sends `[0]`, losing the text). Errors are small: a tree
 * is fine here. */
static char *
graphql_errors_text (const char       *text,
                     const PiJsonSpan *span)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *array;

  if (span->type != PI_JSON_TYPE_ARRAY ||
      !json_parser_load_from_data (parser, text + span->offset, span->length, NULL) ||
      !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_ARRAY (root))
    return NULL;

  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          const char *message =
            json_object_get_string_member_with_default (json_node_get_object (node), "message", NULL);

          if (message != NULL)
            return g_strdup (message);
        }
    }

  return NULL;
}

/**
 * pi_tc_frame_parse_graphql:
 * @text: (array length=len): a text frame of the graphql-ws protocol
 * @len: its length in bytes
 * @frame: (out caller-allocates): the frame; clear it with pi_tc_frame_clear()
 * @error: why the frame is not one
 *
 * A `data` frame whose payload holds `errors` (a validation error) is
 * returned as %PI_TC_FRAME_ERROR, with the first error's text when there
 * is one.
 */
gboolean
pi_tc_frame_parse_graphql (const char  *text,
                           gsize        len,
                           PiTcFrame   *frame,
                           GError     **error)
{
  Members m = { 0 };

  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  if (!parse_common (text ? text : "", len, frame, &m, error))
    {
      pi_tc_frame_clear (frame);
      return FALSE;
    }

  frame->id = span_string (text, &m.id, m.has_id);

  switch (frame->type)
    {
    case PI_TC_FRAME_DATA:
      {
        const char *payload = text + m.payload.offset;
        Members p = { 0 };
        Members d = { 0 };
        PiJsonSpan root;

        if (!m.has_payload || m.payload.type != PI_JSON_TYPE_OBJECT ||
            !pi_json_scan (payload, m.payload.length, FRAME_MAX_DEPTH, &root, collect_member, &p, NULL))
          {
            set_bad_frame (error, _("a data frame without a payload object"));
            pi_tc_frame_clear (frame);
            return FALSE;
          }

        if (p.has_errors)
          {
            frame->type = PI_TC_FRAME_ERROR;
            frame->text = graphql_errors_text (payload, &p.errors);
            break;
          }

        if (!p.has_data || p.data.type != PI_JSON_TYPE_OBJECT ||
            !pi_json_scan (payload + p.data.offset, p.data.length, FRAME_MAX_DEPTH, &root,
                           collect_member, &d, NULL) ||
            !d.has_pulse_messages || d.pulse_messages.type != PI_JSON_TYPE_OBJECT)
          {
            set_bad_frame (error, _("a data frame without a pulseMessages object"));
            pi_tc_frame_clear (frame);
            return FALSE;
          }

        frame->message = payload + p.data.offset + d.pulse_messages.offset;
        frame->message_len = d.pulse_messages.length;
      }
      break;

    case PI_TC_FRAME_ERROR:
    case PI_TC_FRAME_CONNECTION_ERROR:
      if (m.has_payload)
        {
          if (m.payload.type == PI_JSON_TYPE_ARRAY)
            frame->text = graphql_errors_text (text, &m.payload);
          else
            frame->text = graphql_error_text (text, &m.payload);
        }
      break;

    case PI_TC_FRAME_UNKNOWN:
    case PI_TC_FRAME_CONNECTION_ACK:
    case PI_TC_FRAME_SUBSCRIBE_ACK:
    case PI_TC_FRAME_COMPLETE:
    case PI_TC_FRAME_KA:
    case PI_TC_FRAME_DROPPED:
    default:
      break;
    }

  return TRUE;
}

void
pi_tc_frame_clear (PiTcFrame *frame)
{
  g_clear_pointer (&frame->type_name, g_free);
  g_clear_pointer (&frame->id, g_free);
  g_clear_pointer (&frame->code, g_free);
  g_clear_pointer (&frame->text, g_free);
  g_clear_pointer (&frame->reason, g_free);
  g_clear_pointer (&frame->session, g_free);
  frame->message = NULL;
  frame->message_len = 0;
}

/**
 * pi_tc_frame_authorization:
 *
 * Returns: (transfer full) (nullable): "Bearer <base64 of the credentials
 *   as JSON>", or %NULL without credentials
 */
char *
pi_tc_frame_authorization (const char *client_id,
                           const char *access_token)
{
  g_autoptr(GString) json = NULL;
  g_autofree char *encoded = NULL;

  if (client_id == NULL || access_token == NULL)
    return NULL;

  json = g_string_new ("{\"clientId\":");
  pi_json_append_string (json, client_id, -1);
  g_string_append (json, ",\"accessToken\":");
  pi_json_append_string (json, access_token, -1);
  g_string_append_c (json, '}');

  encoded = g_base64_encode ((const guchar *) json->str, json->len);
  return g_strconcat ("Bearer ", encoded, NULL);
}

char *
pi_tc_frame_build_plain_init (const char *client_id,
                              const char *access_token)
{
  g_autofree char *authorization = pi_tc_frame_authorization (client_id, access_token);
  GString *out = g_string_new ("{\"type\":\"connection_init\"");

  if (authorization != NULL)
    {
      g_string_append (out, ",\"authorization\":");
      pi_json_append_string (out, authorization, -1);
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

char *
pi_tc_frame_build_graphql_init (const char *client_id,
                                const char *access_token)
{
  g_autofree char *authorization = pi_tc_frame_authorization (client_id, access_token);
  GString *out = g_string_new ("{\"type\":\"connection_init\",\"payload\":{");

  if (authorization != NULL)
    {
      g_string_append (out, "\"Authorization\":");
      pi_json_append_string (out, authorization, -1);
    }
  g_string_append (out, "}}");
  return g_string_free (out, FALSE);
}

static void
append_binding (GString   *out,
                PiBinding *binding)
{
  g_string_append (out, "{\"exchange\":");
  pi_json_append_string (out, pi_binding_get_exchange (binding), -1);
  g_string_append (out, ",\"pattern\":");
  pi_json_append_string (out, pi_binding_get_routing_key_pattern (binding), -1);
  g_string_append_c (out, '}');
}

/**
 * pi_tc_frame_build_raw_subscribe:
 * @bindings: (element-type PiBinding): the bindings
 * @first: the first to subscribe
 * @n: how many (the server takes 1 to 100 in one subscribe)
 */
char *
pi_tc_frame_build_raw_subscribe (GPtrArray *bindings,
                                 guint      first,
                                 guint      n)
{
  GString *out = g_string_new ("{\"type\":\"subscribe\",\"bindings\":[");

  g_return_val_if_fail (first + n <= bindings->len, NULL);

  for (guint i = first; i < first + n; i++)
    {
      if (i > first)
        g_string_append_c (out, ',');
      append_binding (out, g_ptr_array_index (bindings, i));
    }
  g_string_append (out, "]}");
  return g_string_free (out, FALSE);
}

char *
pi_tc_frame_build_named_subscribe (const char         *service,
                                   const char * const *event_names,
                                   const char * const *routing_key)
{
  GString *out = g_string_new ("{\"type\":\"subscribe\",\"service\":");

  pi_json_append_string (out, service, -1);
  g_string_append (out, ",\"subscriptions\":[");
  for (guint i = 0; event_names != NULL && event_names[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      pi_json_append_string (out, event_names[i], -1);
    }
  g_string_append (out, "],\"routingKey\":{");
  for (guint i = 0, n = 0; routing_key != NULL && routing_key[i] != NULL; i++)
    {
      const char *eq = strchr (routing_key[i], '=');

      if (eq == NULL || eq == routing_key[i])
        continue;
      if (n++ > 0)
        g_string_append_c (out, ',');
      pi_json_append_string (out, routing_key[i], eq - routing_key[i]);
      g_string_append_c (out, ':');
      pi_json_append_string (out, eq + 1, -1);
    }
  g_string_append (out, "}}");
  return g_string_free (out, FALSE);
}

char *
pi_tc_frame_build_graphql_start (const char *id,
                                 const char *exchange,
                                 const char *pattern)
{
  GString *out = g_string_new ("{\"id\":");

  pi_json_append_string (out, id, -1);
  g_string_append (out, ",\"type\":\"start\",\"payload\":{\"query\":");
  pi_json_append_string (out, GRAPHQL_QUERY, -1);
  g_string_append (out, ",\"variables\":{\"subscriptions\":[{\"exchange\":");
  pi_json_append_string (out, exchange, -1);
  g_string_append (out, ",\"pattern\":");
  pi_json_append_string (out, pattern, -1);
  g_string_append (out, "}]},\"operationName\":\"PulseMessages\"}}");
  return g_string_free (out, FALSE);
}

/**
 * pi_message_new_from_tc_data:
 * @frame: a %PI_TC_FRAME_DATA frame
 * @sequence: the message's number in its stream
 * @time_received: when it arrived, in microseconds since the epoch
 *
 * The frame's message object (`cc` read as the routes) as a #PiMessage.
 *
 * Returns: (transfer full): a new message
 */
PiMessage *
pi_message_new_from_tc_data (const PiTcFrame *frame,
                             guint64          sequence,
                             gint64           time_received)
{
  g_return_val_if_fail (frame != NULL && frame->type == PI_TC_FRAME_DATA, NULL);

  return pi_message_new_from_data (frame->message, frame->message_len, sequence, time_received);
}
