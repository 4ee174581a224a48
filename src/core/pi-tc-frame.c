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
#include "pi-json-util-private.h"
#include "pi-tc-frame.h"

/*
 * Frames are scanned, never parsed into trees: a data frame can carry a
 * payload of many megabytes, and all the client needs from the frame is
 * where the message object lies in the text. One pass walks the frame's
 * members, and those of the objects GraphQL wraps the message in, and
 * checks every value against the JSON grammar (and UTF-8), except the
 * message object itself: that one is only skipped here, because the
 * message decoder (pi_message_new_from_data()) reads it next and checks
 * it in full. Checking it here too made the WebSocket client read each
 * message twice, and GraphQL's four times (once per level it is wrapped
 * in): most of what it cost over SSE. A message object that is not JSON
 * becomes an undecodable message in the list, as over SSE.
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

/* --- The walk ------------------------------------------------------------- */

typedef struct
{
  const char         *text;    /* the frame: spans are offsets into it */
  const char         *end;
  const char * const *path;    /* member names down to the message object */
  guint               n_path;
  Members            *levels;  /* the members of each object on the path */
} Walk;

static inline const char *
skip_ws (const char *p,
         const char *end)
{
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  return p;
}

/* Past the string literal whose opening quote is at *@pp: finds the
 * closing quote (one not escaped) without checking what lies between.
 * FALSE when the text ends first. */
static inline gboolean
skip_string (const char **pp,
             const char  *end)
{
  const char *start = *pp + 1;
  const char *p = start;

  for (;;)
    {
      const char *q = memchr (p, '"', end - p);
      const char *b;

      if (q == NULL)
        return FALSE;
      /* Escaped when an odd number of backslashes precede it. */
      for (b = q; b > start && b[-1] == '\\'; b--)
        ;
      if (((q - b) & 1) == 0)
        {
          *pp = q + 1;
          return TRUE;
        }
      p = q + 1;
    }
}

/* Past the array or object at *@pp, by its brackets and strings only.
 * For valid JSON that is exactly its end; invalid JSON is caught by
 * whoever checks the value (or what follows it). */
static gboolean
skip_container (const char **pp,
                const char  *end)
{
  const char *p = *pp;
  guint64 depth = 0;

  while (p < end)
    {
      switch (*p)
        {
        case '"':
          if (!skip_string (&p, end))
            return FALSE;
          continue;

        case '{':
        case '[':
          depth++;
          break;

        case '}':
        case ']':
          if (--depth == 0)
            {
              *pp = p + 1;
              return TRUE;
            }
          break;

        default:
          break;
        }
      p++;
    }
  return FALSE;
}

/* Past the value at *@pp. FALSE when the text ends first (*@pp is then
 * @end) or no value starts there (*@pp unchanged). */
static gboolean
skip_value (const char **pp,
            const char  *end)
{
  const char *p = *pp;

  if (*p == '{' || *p == '[' || *p == '"')
    {
      if (*p == '"' ? skip_string (pp, end) : skip_container (pp, end))
        return TRUE;
      *pp = end;
      return FALSE;
    }

  while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ':' &&
         *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
    p++;
  if (p == end)
    *pp = end;
  if (p == *pp || p == end)
    return FALSE;
  *pp = p;
  return TRUE;
}

static gboolean
walk_fail (Walk        *wk,
           const char  *p,
           GError     **error)
{
  g_autofree char *what = NULL;
  guint line, column;

  pi_json_position_of (wk->text, p - wk->text, &line, &column);
  if (p >= wk->end)
    {
      g_set_error (error, PI_TC_ERROR, 0, _("The frame is not JSON: %s"), _("it ends too soon"));
      return FALSE;
    }
  what = pi_json_describe_char (p, wk->end);
  g_set_error (error, PI_TC_ERROR, 0, _("The frame is not JSON: unexpected %s at line %u, column %u"),
               what, line, column);
  return FALSE;
}

/* Checks the value @start..@stop as JSON and describes it in @span. */
static gboolean
check_value (Walk        *wk,
             const char  *start,
             const char  *stop,
             const char  *name,
             PiJsonSpan  *span,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!pi_json_scan (start, stop - start, FRAME_MAX_DEPTH, span, NULL, NULL, &local_error))
    {
      g_set_error (error, PI_TC_ERROR, 0, _("The frame is not JSON: in “%s”: %s"), name, local_error->message);
      return FALSE;
    }
  span->offset += start - wk->text;
  return TRUE;
}

/* Walks the object at *@pp, at @level of the path. */
static gboolean
walk_object (Walk        *wk,
             const char **pp,
             guint        level,
             GError     **error)
{
  const char *p = skip_ws (*pp + 1, wk->end);

  if (p < wk->end && *p == '}')
    {
      *pp = p + 1;
      return TRUE;
    }

  for (;;)
    {
      const char *name_start = p;
      const char *name;
      gsize name_len;
      g_autoptr(GString) unescaped = NULL;
      const char *value_start;
      PiJsonSpan span;

      if (p >= wk->end || *p != '"')
        return walk_fail (wk, p, error);
      if (!skip_string (&p, wk->end))
        return walk_fail (wk, wk->end, error);
      name = name_start + 1;
      name_len = p - name - 1;

      /* Names are short: any with an escape, a control character or
       * non-ASCII is checked in full, and compared unescaped. */
      for (gsize i = 0; i < name_len; i++)
        if ((guchar) name[i] < 0x20 || (guchar) name[i] >= 0x80 || name[i] == '\\')
          {
            if (!check_value (wk, name_start, p, "", &span, error))
              return FALSE;
            unescaped = g_string_sized_new (name_len);
            pi_json_append_unescaped (unescaped, name_start, p - name_start);
            name = unescaped->str;
            name_len = unescaped->len;
            break;
          }

      p = skip_ws (p, wk->end);
      if (p >= wk->end || *p != ':')
        return walk_fail (wk, p, error);
      p = skip_ws (p + 1, wk->end);
      if (p >= wk->end)
        return walk_fail (wk, p, error);
      value_start = p;

      if (level < wk->n_path && *p == '{' &&
          strlen (wk->path[level]) == name_len && memcmp (wk->path[level], name, name_len) == 0)
        {
          /* On the way to the message: its members are walked in this
           * same pass; the message itself is left to the decoder. */
          if (level + 1 < wk->n_path)
            {
              if (!walk_object (wk, &p, level + 1, error))
                return FALSE;
            }
          else if (!skip_container (&p, wk->end))
            return walk_fail (wk, wk->end, error);
          span.type = PI_JSON_TYPE_OBJECT;
          span.offset = value_start - wk->text;
          span.length = p - value_start;
          span.has_escapes = FALSE;
        }
      else
        {
          g_autofree char *shown = NULL;

          if (!skip_value (&p, wk->end))
            return walk_fail (wk, p, error);
          shown = g_strndup (name, name_len);
          if (!check_value (wk, value_start, p, shown, &span, error))
            return FALSE;
        }
      collect_member (name, name_len, &span, &wk->levels[level]);

      p = skip_ws (p, wk->end);
      if (p < wk->end && *p == ',')
        {
          p = skip_ws (p + 1, wk->end);
          continue;
        }
      if (p < wk->end && *p == '}')
        {
          *pp = p + 1;
          return TRUE;
        }
      return walk_fail (wk, p, error);
    }
}

/* Walks the frame @text, an object, filling @levels (one Members for each
 * name of @path, NULL-terminated). */
static gboolean
scan_frame (const char          *text,
            gsize                len,
            const char * const  *path,
            Members             *levels,
            GError             **error)
{
  Walk wk = { text, text + len, path, g_strv_length ((char **) path), levels };
  const char *p = skip_ws (text, wk.end);

  memset (levels, 0, sizeof (Members) * wk.n_path);

  if (p >= wk.end || *p != '{')
    {
      g_autoptr(GError) local_error = NULL;

      if (!pi_json_scan (text, len, FRAME_MAX_DEPTH, NULL, NULL, NULL, &local_error))
        g_set_error (error, PI_TC_ERROR, 0, _("The frame is not JSON: %s"), local_error->message);
      else
        g_set_error_literal (error, PI_TC_ERROR, 0, _("The frame is not a JSON object"));
      return FALSE;
    }

  if (!walk_object (&wk, &p, 0, error))
    return FALSE;
  p = skip_ws (p, wk.end);
  if (p < wk.end)
    return walk_fail (&wk, p, error);
  return TRUE;
}

static gboolean
parse_common (const char          *text,
              gsize                len,
              const char * const  *path,
              PiTcFrame           *frame,
              Members             *levels,
              GError             **error)
{
  Members *m = &levels[0];

  memset (frame, 0, sizeof *frame);

  if (!scan_frame (text, len, path, levels, error))
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
  static const char * const path[] = { "message", NULL };
  Members levels[1];
  Members m;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  if (!parse_common (text ? text : "", len, path, frame, levels, error))
    {
      pi_tc_frame_clear (frame);
      return FALSE;
    }
  m = levels[0];

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
  /* The message lies at payload.data.pulseMessages: the walk goes down
   * there in one pass (levels[1] holds the payload's members, [2] the
   * data's; their spans are offsets into @text). */
  static const char * const path[] = { "payload", "data", "pulseMessages", NULL };
  Members levels[3];
  Members m;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (frame != NULL, FALSE);

  if (!parse_common (text ? text : "", len, path, frame, levels, error))
    {
      pi_tc_frame_clear (frame);
      return FALSE;
    }
  m = levels[0];

  frame->id = span_string (text, &m.id, m.has_id);

  switch (frame->type)
    {
    case PI_TC_FRAME_DATA:
      {
        const Members *p = &levels[1];
        const Members *d = &levels[2];

        if (!m.has_payload || m.payload.type != PI_JSON_TYPE_OBJECT)
          {
            set_bad_frame (error, _("a data frame without a payload object"));
            pi_tc_frame_clear (frame);
            return FALSE;
          }

        if (p->has_errors)
          {
            frame->type = PI_TC_FRAME_ERROR;
            frame->text = graphql_errors_text (text, &p->errors);
            break;
          }

        if (!p->has_data || p->data.type != PI_JSON_TYPE_OBJECT ||
            !d->has_pulse_messages || d->pulse_messages.type != PI_JSON_TYPE_OBJECT)
          {
            set_bad_frame (error, _("a data frame without a pulseMessages object"));
            pi_tc_frame_clear (frame);
            return FALSE;
          }

        frame->message = text + d->pulse_messages.offset;
        frame->message_len = d->pulse_messages.length;
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
