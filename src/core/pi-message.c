/* pi-message.c
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

/*
 * A retained message should cost little more than its JSON text: the list
 * keeps up to a million of them. Everything variable-sized lives in one
 * exact-size allocation, the block:
 *
 *   [JSON text][\0][tail: NUL-terminated strings that had to be copied]
 *
 * The exchange, the routing key and the routes are read where they are in
 * the JSON text: when a string literal has no escapes (nearly always), its
 * closing quote in the block is overwritten with a NUL, which makes the
 * literal's contents a C string in place. Only literals with escapes are
 * unescaped into the tail, and the error text of an undecodable message or
 * a gap goes there too. Strings are found by 32-bit offsets into the block.
 *
 * The JSON text the strings were cut out of cannot hold a NUL byte (the
 * scanner refuses control characters), so every NUL in it is a closing
 * quote: pi_message_get_raw() restores the text from that when someone first
 * asks (copying the selected message), and keeps the copy as qdata. The
 * routes vector is made on first use as well; contains_text() and
 * dup_routes_text() walk the routes without it. The payload is never touched: it is a member of its
 * own, so none of the overwritten quotes lies inside it.
 */

/* Offsets are 32-bit; a bigger message is kept as undecodable, without text. */
#define MAX_SIZE ((gsize) G_MAXINT32)
#define MAX_ROUTES ((1u << 24) - 1)
#define NO_STRING G_MAXUINT32

struct _PiMessage
{
  GObject parent_instance;

  char               *block;

  guint64             sequence;
  gint64              time_received;

  guint32             raw_len;
  guint32             payload_offset;
  guint32             payload_len;
  /* Offsets into the block, or NO_STRING. */
  guint32             exchange_offset;
  guint32             routing_key_offset;
  /* The first route; the others follow it (see route_next()). */
  guint32             routes_offset;
  /* Undecodable: the parser's error. Gap: why there is a gap. */
  guint32             error_offset;

  guint32             n_routes : 24;
  guint32             kind : 2;
  guint32             redelivered : 1;
  guint32             has_payload : 1;
  /* The routes are consecutive strings in the tail, not in the JSON text. */
  guint32             routes_in_tail : 1;
  /* Some quotes in the JSON text were overwritten with NULs. */
  guint32             terminated : 1;
};

/* The instance is paid per retained message: keep it at 80 bytes, a size
 * class of its own. The routes vector and the restored raw text, which few
 * messages ever need, hang off the object's qdata instead of two fields. */
G_STATIC_ASSERT (sizeof (struct _PiMessage) <= 80);

static GQuark routes_quark;
static GQuark raw_quark;

enum {
  PROP_0,
  PROP_SEQUENCE,
  PROP_TIME_RECEIVED,
  PROP_KIND,
  PROP_EXCHANGE,
  PROP_SHORT_EXCHANGE,
  PROP_ROUTING_KEY,
  PROP_ROUTES,
  PROP_ROUTES_TEXT,
  PROP_REDELIVERED,
  PROP_SIZE,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ENUM_TYPE (PiMessageKind, pi_message_kind,
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_DECODED, "decoded"),
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_PAYLOAD_ONLY, "payload-only"),
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_UNDECODABLE, "undecodable"),
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_GAP, "gap"))

G_DEFINE_FINAL_TYPE (PiMessage, pi_message, G_TYPE_OBJECT)

static inline const char *
block_string (PiMessage *self,
              guint32    offset)
{
  return offset == NO_STRING ? "" : self->block + offset;
}

static inline const char *
route_first (PiMessage *self)
{
  return self->block + self->routes_offset;
}

/* In the tail the routes follow each other; in the JSON text the next one
 * starts after the next quote (only commas and white space lie between). */
static inline const char *
route_next (PiMessage  *self,
            const char *route)
{
  const char *p = route + strlen (route) + 1;

  if (self->routes_in_tail)
    return p;
  return strchr (p, '"') + 1;
}

static void
pi_message_finalize (GObject *object)
{
  PiMessage *self = (PiMessage *)object;

  g_free (self->block);

  G_OBJECT_CLASS (pi_message_parent_class)->finalize (object);
}

static void
pi_message_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PiMessage *self = PI_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_SEQUENCE:
      g_value_set_uint64 (value, self->sequence);
      break;

    case PROP_TIME_RECEIVED:
      g_value_set_int64 (value, self->time_received);
      break;

    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_EXCHANGE:
      g_value_set_string (value, pi_message_get_exchange (self));
      break;

    case PROP_SHORT_EXCHANGE:
      g_value_set_string (value, pi_message_get_short_exchange (self));
      break;

    case PROP_ROUTING_KEY:
      g_value_set_string (value, pi_message_get_routing_key (self));
      break;

    case PROP_ROUTES:
      g_value_set_boxed (value, pi_message_get_routes (self));
      break;

    case PROP_ROUTES_TEXT:
      g_value_take_string (value, pi_message_dup_routes_text (self));
      break;

    case PROP_REDELIVERED:
      g_value_set_boolean (value, self->redelivered);
      break;

    case PROP_SIZE:
      g_value_set_uint64 (value, self->raw_len);
      break;

    case PROP_ERROR:
      g_value_set_string (value, pi_message_get_error (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_class_init (PiMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pi_message_finalize;
  object_class->get_property = pi_message_get_property;

  routes_quark = g_quark_from_static_string ("pi-message-routes");
  raw_quark = g_quark_from_static_string ("pi-message-raw");

  properties[PROP_SEQUENCE] =
    g_param_spec_uint64 ("sequence", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME_RECEIVED] =
    g_param_spec_int64 ("time-received", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       PI_TYPE_MESSAGE_KIND, PI_MESSAGE_KIND_DECODED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXCHANGE] =
    g_param_spec_string ("exchange", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHORT_EXCHANGE] =
    g_param_spec_string ("short-exchange", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROUTING_KEY] =
    g_param_spec_string ("routing-key", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROUTES] =
    g_param_spec_boxed ("routes", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROUTES_TEXT] =
    g_param_spec_string ("routes-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REDELIVERED] =
    g_param_spec_boolean ("redelivered", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_message_init (PiMessage *self)
{
}

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
} Fields;

#define NAME_IS(name, len, literal) \
  ((len) == sizeof (literal) - 1 && memcmp ((name), (literal), (len)) == 0)

static void
collect_field (const char       *name,
               gsize             name_len,
               const PiJsonSpan *value,
               gpointer          user_data)
{
  Fields *fields = user_data;

  /* A repeated member overrides the earlier one, as in json-glib. */
  if (NAME_IS (name, name_len, "exchange"))
    {
      fields->exchange = *value;
      fields->has_exchange = TRUE;
    }
  else if (NAME_IS (name, name_len, "routingKey"))
    {
      fields->routing_key = *value;
      fields->has_routing_key = TRUE;
    }
  else if (NAME_IS (name, name_len, "routes"))
    {
      fields->routes = *value;
      fields->has_routes = TRUE;
    }
  else if (NAME_IS (name, name_len, "payload"))
    {
      fields->payload = *value;
      fields->has_payload = TRUE;
    }
  else if (NAME_IS (name, name_len, "redelivered"))
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
  gsize        base;
  PiJsonSpan  *spans;
  guint        n_spans;
  guint        allocated;
  PiJsonSpan   inline_spans[N_INLINE_ROUTES];
  /* Every element is a string without escapes: the routes stay in place. */
  gboolean     in_place;
} Routes;

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

  routes.base = fields.routes.offset;
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

  /* TRANSLATORS: %s is a size, e.g. "3.1 GB" */
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
 * Decodes the data of a `message` event (`PROTOCOL.md` section 4) without
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
 * pi_message_get_kind:
 * @self: a message
 *
 * Returns: what the message is
 */
PiMessageKind
pi_message_get_kind (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), PI_MESSAGE_KIND_UNDECODABLE);

  return self->kind;
}

/**
 * pi_message_get_sequence:
 * @self: a message
 *
 * Returns: the message's number in its stream
 */
guint64
pi_message_get_sequence (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), 0);

  return self->sequence;
}

/**
 * pi_message_get_time_received:
 * @self: a message
 *
 * Returns: when the message arrived, in microseconds since the epoch
 */
gint64
pi_message_get_time_received (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), 0);

  return self->time_received;
}

/**
 * pi_message_get_size:
 * @self: a message
 *
 * Returns: the size of the event's data (the JSON text) in bytes
 */
gsize
pi_message_get_size (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), 0);

  return self->raw_len;
}

/* Keeps @data (freed with the message) unless another thread was first:
 * readers are on one thread, but losing a race must not leak or dangle. */
static gpointer
set_lazy (PiMessage *self,
          GQuark     quark,
          gpointer   data)
{
  if (!g_object_replace_qdata (G_OBJECT (self), quark, NULL, data, g_free, NULL))
    {
      g_free (data);
      data = g_object_get_qdata (G_OBJECT (self), quark);
    }

  return data;
}

/**
 * pi_message_get_raw:
 * @self: a message
 *
 * The first call on a decoded message makes a copy of the text (see the
 * comment at the top of the file), so call it for the message at hand
 * rather than for every message.
 *
 * Returns: (transfer none): the event's data as UTF-8 text, "" for a gap
 */
const char *
pi_message_get_raw (PiMessage *self)
{
  char *raw;
  char *p;
  char *end;

  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  if (!self->terminated)
    return self->block;

  if ((raw = g_object_get_qdata (G_OBJECT (self), raw_quark)))
    return raw;

  /* Every NUL in the text was a closing quote. */
  raw = g_malloc (self->raw_len + 1);
  memcpy (raw, self->block, self->raw_len + 1);
  end = raw + self->raw_len;
  for (p = raw; (p = memchr (p, '\0', end - p)); p++)
    *p = '"';

  return set_lazy (self, raw_quark, raw);
}

/**
 * pi_message_get_exchange:
 * @self: a message
 *
 * Returns: (transfer none): the exchange, "" when the message has none
 */
const char *
pi_message_get_exchange (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  return block_string (self, self->exchange_offset);
}

/**
 * pi_message_get_short_exchange:
 * @self: a message
 *
 * The last path segment of the exchange, which names it well enough in a
 * narrow column: "task-completed" for "exchange/taskcluster-queue/v1/task-completed".
 *
 * Returns: (transfer none): the short exchange name, "" when none
 */
const char *
pi_message_get_short_exchange (PiMessage *self)
{
  const char *exchange;
  const char *slash;

  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  exchange = block_string (self, self->exchange_offset);
  slash = strrchr (exchange, '/');
  if (slash == NULL || slash[1] == '\0')
    return exchange;
  return slash + 1;
}

/**
 * pi_message_get_routing_key:
 * @self: a message
 *
 * Returns: (transfer none): the routing key, "" when the message has none
 */
const char *
pi_message_get_routing_key (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  return block_string (self, self->routing_key_offset);
}

/**
 * pi_message_get_routes:
 * @self: a message
 *
 * Returns: (transfer none) (array zero-terminated=1): the routes, empty when none
 */
const char * const *
pi_message_get_routes (PiMessage *self)
{
  static const char * const no_routes[] = { NULL };
  const char **vector;
  const char *route;
  guint i;

  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  if (self->n_routes == 0)
    return no_routes;

  if ((vector = g_object_get_qdata (G_OBJECT (self), routes_quark)))
    return vector;

  /* Made on first use: most retained messages are never asked. */
  vector = g_new (const char *, self->n_routes + 1);
  route = route_first (self);
  for (i = 0; i < self->n_routes; i++)
    {
      vector[i] = route;
      if (i + 1 < self->n_routes)
        route = route_next (self, route);
    }
  vector[self->n_routes] = NULL;

  return set_lazy (self, routes_quark, vector);
}

/**
 * pi_message_dup_routes_text:
 * @self: a message
 *
 * Returns: (transfer full): the routes joined with ", "
 */
char *
pi_message_dup_routes_text (PiMessage *self)
{
  GString *text;
  const char *route;
  guint i;

  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  text = g_string_new (NULL);
  route = self->n_routes > 0 ? route_first (self) : NULL;
  for (i = 0; i < self->n_routes; i++)
    {
      if (i > 0)
        {
          g_string_append (text, ", ");
          route = route_next (self, route);
        }
      g_string_append (text, route);
    }

  return g_string_free (text, FALSE);
}

/**
 * pi_message_get_redelivered:
 * @self: a message
 *
 * Returns: whether the broker delivered the message before
 */
gboolean
pi_message_get_redelivered (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), FALSE);

  return self->redelivered;
}

/**
 * pi_message_get_error:
 * @self: a message
 *
 * Returns: (transfer none) (nullable): for an undecodable message, why it
 *   could not be decoded, with the position; for a gap, its reason;
 *   otherwise %NULL
 */
const char *
pi_message_get_error (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  if (self->error_offset == NO_STRING)
    return NULL;
  return self->block + self->error_offset;
}

/**
 * pi_message_get_payload_text:
 * @self: a message
 * @len: (out) (optional): length of the returned text in bytes
 *
 * Returns: (transfer none) (nullable): the payload's JSON text inside the
 *   raw text (not NUL-terminated), or %NULL when there is no payload
 */
const char *
pi_message_get_payload_text (PiMessage *self,
                             gsize     *len)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  if (!self->has_payload)
    {
      if (len != NULL)
        *len = 0;
      return NULL;
    }

  if (len != NULL)
    *len = self->payload_len;
  return self->block + self->payload_offset;
}

/**
 * pi_message_dup_payload:
 * @self: a message
 *
 * Parses the payload into a JSON tree, for showing the selected message.
 *
 * Returns: (transfer full) (nullable): the payload, or %NULL when the
 *   message has none
 */
JsonNode *
pi_message_dup_payload (PiMessage *self)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  if (!self->has_payload)
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, self->block + self->payload_offset,
                                   self->payload_len, &error))
    {
      /* The scanner accepted this text; json-glib should too. */
      g_debug ("json-glib refused payload of message %" G_GUINT64_FORMAT ": %s",
               self->sequence, error->message);
      return NULL;
    }

  return json_parser_steal_root (parser);
}

/* The needle is already lower case; compare ASCII letters ignoring case. */
static gboolean
ascii_contains (const char *haystack,
                gsize       haystack_len,
                const char *needle,
                gsize       needle_len)
{
  const char *p = haystack;
  const char *last;
  const char *next_lower;
  const char *next_upper;
  char lower;
  char upper;

  if (needle_len == 0)
    return TRUE;
  if (haystack_len < needle_len)
    return FALSE;

  last = haystack + haystack_len - needle_len;
  lower = needle[0];
  upper = g_ascii_toupper (lower);

  /* Find candidates for the first character with memchr, in both cases. */
  next_lower = memchr (p, lower, last - p + 1);
  next_upper = lower == upper ? NULL : memchr (p, upper, last - p + 1);

  while (next_lower != NULL || next_upper != NULL)
    {
      const char *candidate;
      gsize i;

      if (next_upper == NULL || (next_lower != NULL && next_lower < next_upper))
        candidate = next_lower;
      else
        candidate = next_upper;

      for (i = 1; i < needle_len; i++)
        if (g_ascii_tolower (candidate[i]) != needle[i])
          break;
      if (i == needle_len)
        return TRUE;

      p = candidate + 1;
      if (p > last)
        break;
      if (candidate == next_lower)
        next_lower = memchr (p, lower, last - p + 1);
      else
        next_upper = memchr (p, upper, last - p + 1);
    }

  return FALSE;
}

static gboolean
is_ascii (const char *str,
          gsize       len)
{
  const char *p = str;
  const char *end = str + len;

  while (end - p >= 8)
    {
      guint64 v;

      memcpy (&v, p, sizeof v);
      if (v & G_GUINT64_CONSTANT (0x8080808080808080))
        return FALSE;
      p += 8;
    }
  for (; p < end; p++)
    if ((guchar) *p >= 0x80)
      return FALSE;

  return TRUE;
}

static gboolean
folded_contains (const char *haystack,
                 gsize       haystack_len,
                 const char *needle)
{
  g_autofree char *folded = NULL;

  /* ASCII casefolds to ASCII, so a needle with other characters cannot be
   * in ASCII text (most JSON is, escapes included): skip the allocation. */
  if (is_ascii (haystack, haystack_len))
    return FALSE;

  folded = g_utf8_casefold (haystack, haystack_len);

  return strstr (folded, needle) != NULL;
}

static gboolean
text_contains (const char *haystack,
               gsize       haystack_len,
               const char *needle,
               gsize       needle_len,
               gboolean    needle_ascii)
{
  if (needle_ascii)
    return ascii_contains (haystack, haystack_len, needle, needle_len);
  return folded_contains (haystack, haystack_len, needle);
}

/**
 * pi_message_contains_text:
 * @self: a message
 * @needle_casefolded: the text to look for, already casefolded
 *   (g_utf8_casefold(); for ASCII text lower case is enough)
 *
 * Case-insensitive search in what the user sees of a message: its exchange,
 * routing key, routes and payload JSON text (the raw text and the error
 * for an undecodable message, the reason for a gap).
 *
 * Returns: whether any of them contains @needle_casefolded
 */
gboolean
pi_message_contains_text (PiMessage  *self,
                          const char *needle_casefolded)
{
  const char *needle = needle_casefolded;
  const char *exchange;
  const char *routing_key;
  const char *route;
  const char *error;
  gboolean ascii = TRUE;
  gsize needle_len;
  gsize i;

  g_return_val_if_fail (PI_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (needle_casefolded != NULL, FALSE);

  needle_len = strlen (needle);
  if (needle_len == 0)
    return TRUE;
  for (i = 0; i < needle_len && ascii; i++)
    ascii = (guchar) needle[i] < 0x80;

  exchange = block_string (self, self->exchange_offset);
  routing_key = block_string (self, self->routing_key_offset);
  if (text_contains (exchange, strlen (exchange), needle, needle_len, ascii) ||
      text_contains (routing_key, strlen (routing_key), needle, needle_len, ascii))
    return TRUE;

  route = self->n_routes > 0 ? route_first (self) : NULL;
  for (i = 0; i < self->n_routes; i++)
    {
      if (i > 0)
        route = route_next (self, route);
      if (text_contains (route, strlen (route), needle, needle_len, ascii))
        return TRUE;
    }

  if (self->has_payload)
    return text_contains (self->block + self->payload_offset, self->payload_len,
                          needle, needle_len, ascii);

  if (self->kind == PI_MESSAGE_KIND_UNDECODABLE &&
      text_contains (self->block, self->raw_len, needle, needle_len, ascii))
    return TRUE;

  if ((error = pi_message_get_error (self)) != NULL)
    return text_contains (error, strlen (error), needle, needle_len, ascii);

  return FALSE;
}
