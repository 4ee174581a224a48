/* pi-message-decode.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-message"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-json-util.h"
#include "pi-message.h"
#include "pi-message-private.h"

/* Building a message from the data of an event: one scan of the JSON text,
 * then the block laid out as pi-message-private.h describes. */

typedef struct
{
  const char *text;
  PiJsonSpan  exchange;
  PiJsonSpan  routing_key;
  PiJsonSpan  routes;
  PiJsonSpan  payload;
  PiJsonSpan  redelivered;
  guint       has_exchange : 1;
  guint       has_routing_key : 1;
  guint       has_routes : 1;
  guint       has_payload : 1;
  guint       has_redelivered : 1;
  /* The routes are a CC header's entries (a web-server message's `cc`). */
  guint       routes_are_cc : 1;
} Fields;

static void
collect_field (const char       *name,
               gsize             name_len,
               const PiJsonSpan *value,
               gpointer          user_data)
{
  Fields *fields = user_data;

  /* A repeated member overrides the earlier one, as in json-glib. */
  if (PI_JSON_NAME_IS (name, name_len, "exchange"))
    {
      fields->exchange = *value;
      fields->has_exchange = TRUE;
    }
  else if (PI_JSON_NAME_IS (name, name_len, "routingKey"))
    {
      fields->routing_key = *value;
      fields->has_routing_key = TRUE;
    }
  else if (PI_JSON_NAME_IS (name, name_len, "routes"))
    {
      fields->routes = *value;
      fields->has_routes = TRUE;
      fields->routes_are_cc = FALSE;
    }
  /* A Taskcluster web-server message has the CC header as `cc`. */
  else if (PI_JSON_NAME_IS (name, name_len, "cc") &&
           (!fields->has_routes || fields->routes_are_cc))
    {
      fields->routes = *value;
      fields->has_routes = TRUE;
      fields->routes_are_cc = TRUE;
    }
  else if (PI_JSON_NAME_IS (name, name_len, "payload"))
    {
      fields->payload = *value;
      fields->has_payload = TRUE;
    }
  else if (PI_JSON_NAME_IS (name, name_len, "redelivered"))
    {
      fields->redelivered = *value;
      fields->has_redelivered = TRUE;
    }
}

/* The string elements of the routes array, as spans of the whole text.
 * Real messages have a handful, so the first few need no allocation. */
#define N_INLINE_ROUTES 16

typedef struct
{
  const char  *text;
  gsize        base;
  PiJsonSpan  *spans;
  guint        n_spans;
  guint        allocated;
  PiJsonSpan   inline_spans[N_INLINE_ROUTES];
  /* Every element is a string without escapes: the routes stay in place. */
  gboolean     in_place;
  /* CC entries: those that start with "route." are shown without it, as
   * events v1 sends routes (and Taskcluster's clients read them), so that
   * routes read the same whatever the protocol; others as they are. */
  gboolean     strip_route_prefix;
} Routes;

#define ROUTE_PREFIX "route."

static void
collect_route (const char       *name,
               gsize             name_len,
               const PiJsonSpan *value,
               gpointer          user_data)
{
  Routes *routes = user_data;
  PiJsonSpan *span;

  /* Routes are strings; anything else in the array is not a route. */
  if (value->type != PI_JSON_TYPE_STRING)
    {
      routes->in_place = FALSE;
      return;
    }
  if (value->has_escapes)
    routes->in_place = FALSE;
  if (routes->n_spans == MAX_ROUTES)
    return;

  if (routes->n_spans == routes->allocated)
    {
      routes->allocated *= 2;
      if (routes->spans == routes->inline_spans)
        routes->spans = g_memdup2 (routes->inline_spans, sizeof routes->inline_spans);
      routes->spans = g_renew (PiJsonSpan, routes->spans, routes->allocated);
    }

  span = &routes->spans[routes->n_spans++];
  *span = *value;
  span->offset += routes->base;

  /* The span then starts 6 bytes later: its first byte, taken for the
   * opening quote, is the prefix's last. Out of place, as the text between
   * two routes is no longer just a separator. */
  if (routes->strip_route_prefix && !span->has_escapes &&
      span->length - 2 > strlen (ROUTE_PREFIX) &&
      memcmp (routes->text + span->offset + 1, ROUTE_PREFIX, strlen (ROUTE_PREFIX)) == 0)
    {
      span->offset += strlen (ROUTE_PREFIX);
      span->length -= strlen (ROUTE_PREFIX);
      routes->in_place = FALSE;
    }
}

/* Appends a string literal's text and a NUL to the tail. A NUL in the text
 * (an escaped U+0000) ends it there: readers see C strings anyway, and the
 * routes in the tail are found by their terminators. */
static void
tail_append (GString          *tail,
             const char       *text,
             const PiJsonSpan *span)
{
  gsize start = tail->len;

  if (span->has_escapes)
    pi_json_append_unescaped (tail, text + span->offset, span->length);
  else
    g_string_append_len (tail, text + span->offset + 1, span->length - 2);

  g_string_truncate (tail, start + strlen (tail->str + start));
  g_string_append_c (tail, '\0');
}

static PiMessage *
message_new (PiMessageKind  kind,
             guint64        sequence,
             gint64         time_received)
{
  PiMessage *self = g_object_new (PI_TYPE_MESSAGE, NULL);

  self->kind = kind;
  self->sequence = sequence;
  self->time_received = time_received;
  self->exchange_offset = NO_STRING;
  self->routing_key_offset = NO_STRING;
  self->error_offset = NO_STRING;

  return self;
}

/* The block for @raw followed by the tail @tail (which may hold NULs). */
static void
message_fill (PiMessage  *self,
              const char *raw,
              gsize       raw_len,
              const char *tail,
              gsize       tail_len)
{
  g_assert (raw_len <= MAX_SIZE && tail_len <= MAX_SIZE);

  self->block = g_malloc (raw_len + 1 + tail_len);
  memcpy (self->block, raw, raw_len);
  self->block[raw_len] = '\0';
  if (tail_len > 0)
    memcpy (self->block + raw_len + 1, tail, tail_len);
  self->raw_len = raw_len;
}

/* A string member's text: in place when the literal has no escapes (its
 * closing quote becomes the terminator), else unescaped into the tail. */
static guint32
place_string (const PiJsonSpan *span,
              const char       *text,
              gsize             len,
              GString         **tail)
{
  guint32 offset;

  if (!span->has_escapes)
    return span->offset + 1;

  if (*tail == NULL)
    *tail = g_string_new (NULL);
  offset = len + 1 + (*tail)->len;
  tail_append (*tail, text, span);
  return offset;
}

static void
terminate_in_place (PiMessage        *self,
                    const PiJsonSpan *span)
{
  if (!span->has_escapes)
    {
      self->block[span->offset + span->length - 1] = '\0';
      self->terminated = TRUE;
    }
}

static PiMessage *
decode (const char  *data,
        gsize        len,
        guint64      sequence,
        gint64       time_received,
        GError     **error)
{
  g_autoptr(GString) tail = NULL;
  PiJsonSpan root;
  Fields fields = { data, };
  Routes routes;
  PiMessage *self;
  gboolean has_routing_key;
  guint i;

  if (!pi_json_scan (data, len, 0, &root, collect_field, &fields, error))
    return NULL;

  if (root.type != PI_JSON_TYPE_OBJECT ||
      !fields.has_exchange ||
      fields.exchange.type != PI_JSON_TYPE_STRING)
    {
      /* An old server sent only the payload. */
      self = message_new (PI_MESSAGE_KIND_PAYLOAD_ONLY, sequence, time_received);
      message_fill (self, data, len, NULL, 0);
      self->has_payload = TRUE;
      self->payload_offset = root.offset;
      self->payload_len = root.length;
      return self;
    }

  self = message_new (PI_MESSAGE_KIND_DECODED, sequence, time_received);

  self->exchange_offset = place_string (&fields.exchange, data, len, &tail);
  has_routing_key = fields.has_routing_key &&
                    fields.routing_key.type == PI_JSON_TYPE_STRING;
  if (has_routing_key)
    self->routing_key_offset = place_string (&fields.routing_key, data, len, &tail);

  routes.text = data;
  routes.base = fields.routes.offset;
  routes.strip_route_prefix = fields.routes_are_cc;
  routes.spans = routes.inline_spans;
  routes.n_spans = 0;
  routes.allocated = N_INLINE_ROUTES;
  routes.in_place = TRUE;
  if (fields.has_routes && fields.routes.type == PI_JSON_TYPE_ARRAY)
    {
      /* Already validated: this walk only finds the elements. */
      if (!pi_json_scan (data + fields.routes.offset, fields.routes.length,
                         0, NULL, collect_route, &routes, NULL))
        g_assert_not_reached ();
    }

  self->n_routes = routes.n_spans;
  if (routes.n_spans > 0 && routes.in_place)
    self->routes_offset = routes.spans[0].offset + 1;
  else if (routes.n_spans > 0)
    {
      if (tail == NULL)
        tail = g_string_new (NULL);
      self->routes_in_tail = TRUE;
      self->routes_offset = len + 1 + tail->len;
      for (i = 0; i < routes.n_spans; i++)
        tail_append (tail, data, &routes.spans[i]);
    }

  if (tail != NULL)
    message_fill (self, data, len, tail->str, tail->len);
  else
    message_fill (self, data, len, NULL, 0);

  /* Only now that the text is the block's own: cut the strings out of it. */
  terminate_in_place (self, &fields.exchange);
  if (has_routing_key)
    terminate_in_place (self, &fields.routing_key);
  if (!self->routes_in_tail)
    for (i = 0; i < routes.n_spans; i++)
      terminate_in_place (self, &routes.spans[i]);

  if (routes.spans != routes.inline_spans)
    g_free (routes.spans);

  self->redelivered = fields.has_redelivered &&
                      fields.redelivered.type == PI_JSON_TYPE_BOOLEAN &&
                      data[fields.redelivered.offset] == 't';
  if (fields.has_payload)
    {
      self->has_payload = TRUE;
      self->payload_offset = fields.payload.offset;
      self->payload_len = fields.payload.length;
    }

  return self;
}

/* A message kept as its raw text (not JSON) or as nothing (a gap), with an
 * error text in the tail. */
static PiMessage *
message_new_with_error (PiMessageKind  kind,
                        guint64        sequence,
                        gint64         time_received,
                        const char    *raw,
                        gsize          raw_len,
                        const char    *error)
{
  PiMessage *self = message_new (kind, sequence, time_received);

  if (error != NULL)
    {
      message_fill (self, raw, raw_len, error, strlen (error) + 1);
      self->error_offset = raw_len + 1;
    }
  else
    message_fill (self, raw, raw_len, NULL, 0);

  return self;
}

static PiMessage *
message_new_too_large (guint64 sequence,
                       gint64  time_received,
                       gsize   len)
{
  g_autofree char *size = g_format_size (len);
  g_autofree char *error = NULL;

  /* Translators: %s is a size, e.g. "3.1 GB" */
  error = g_strdup_printf (_("The message is too large to keep (%s)"), size);
  return message_new_with_error (PI_MESSAGE_KIND_UNDECODABLE, sequence, time_received,
                                 "", 0, error);
}

/**
 * pi_message_new_from_data:
 * @data: (array length=len): the data of a `message` event
 * @len: length of @data in bytes
 * @sequence: the message's number in its stream
 * @time_received: when it arrived, in microseconds since the epoch
 *
 * Decodes the data of a `message` event (`docs/PROTOCOL.md` section 4) without
 * building a JSON tree. A JSON object with an `exchange` string becomes
 * %PI_MESSAGE_KIND_DECODED; other JSON (an old server's bare payload)
 * becomes %PI_MESSAGE_KIND_PAYLOAD_ONLY; text that is not JSON becomes
 * %PI_MESSAGE_KIND_UNDECODABLE with the reason in pi_message_get_error().
 * Bytes that are not UTF-8 are replaced by U+FFFD first. Never fails.
 *
 * Data over 2 GiB is not kept: such a message is undecodable, with an
 * empty raw text. More than 16,777,215 routes are cut to that many.
 *
 * Returns: (transfer full): a new message
 */
PiMessage *
pi_message_new_from_data (const char *data,
                          gsize       len,
                          guint64     sequence,
                          gint64      time_received)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *valid = NULL;
  PiMessage *self;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (data == NULL)
    data = "";

  if (len > MAX_SIZE)
    return message_new_too_large (sequence, time_received, len);

  /* A successful scan proves the text is UTF-8 (outside strings only ASCII
   * is accepted), so the text is checked once more only when it failed. */
  if ((self = decode (data, len, sequence, time_received, &error)))
    return self;

  if (!g_utf8_validate_len (data, len, NULL))
    {
      valid = g_utf8_make_valid (data, len);
      data = valid;
      len = strlen (valid);
      if (len > MAX_SIZE)
        return message_new_too_large (sequence, time_received, len);
      g_clear_error (&error);
      if ((self = decode (data, len, sequence, time_received, &error)))
        return self;
    }

  return message_new_with_error (PI_MESSAGE_KIND_UNDECODABLE, sequence, time_received,
                                 data, len, error->message);
}

/**
 * pi_message_new_gap:
 * @sequence: the number of the next message in the stream
 * @time_received: when the connection was lost, in microseconds since the epoch
 * @reason: (nullable): why, in words, e.g. the connection error
 *
 * Creates the marker the client inserts into the list where the connection
 * was lost and messages may be missing. Its error is @reason.
 *
 * Returns: (transfer full): a new message of kind %PI_MESSAGE_KIND_GAP
 */
PiMessage *
pi_message_new_gap (guint64     sequence,
                    gint64      time_received,
                    const char *reason)
{
  return message_new_with_error (PI_MESSAGE_KIND_GAP, sequence, time_received,
                                 "", 0, reason);
}

/**
 * pi_message_new_switch:
 * @sequence: the number of the last message before it (markers show none)
 * @time_received: when the switch took effect, in microseconds since the epoch
 * @server: the server listened to from here on, in words (a deployment's
 *   name, a host)
 *
 * Creates the marker a window puts into its list where it starts listening
 * to another server, so that the messages of the two do not run together.
 * Its error is @server.
 *
 * Returns: (transfer full): a new message of kind %PI_MESSAGE_KIND_SWITCH
 */
PiMessage *
pi_message_new_switch (guint64     sequence,
                       gint64      time_received,
                       const char *server)
{
  g_return_val_if_fail (server != NULL, NULL);

  return message_new_with_error (PI_MESSAGE_KIND_SWITCH, sequence, time_received,
                                 "", 0, server);
}

/**
 * pi_message_new_dropped:
 * @sequence: the number of the next message in the stream
 * @count: how many messages the server dropped
 * @reason: (nullable): the server's reason as sent ("too-large",
 *   "too-slow"), or %NULL when it gave none
 *
 * Creates the list entry for a server's report that it dropped messages
 * (an SSE `dropped` event, a WebSocket `dropped` frame). It is received now.
 *
 * Returns: (transfer full): a new message of kind %PI_MESSAGE_KIND_DROPPED
 */
PiMessage *
pi_message_new_dropped (guint64     sequence,
                        guint64     count,
                        const char *reason)
{
  PiMessage *self;

  self = message_new_with_error (PI_MESSAGE_KIND_DROPPED, sequence, g_get_real_time (),
                                 "", 0, reason);
  self->payload_offset = (guint32) (count & G_MAXUINT32);
  self->payload_len = (guint32) (count >> 32);
  return self;
}
