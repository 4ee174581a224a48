/* pi-message.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-message"

#include "config.h"

#include <string.h>

#include "pi-json-util.h"
#include "pi-message.h"

/*
 * A message keeps its event's JSON text and the few fields the list shows.
 * Everything variable-sized lives in one allocation, laid out as
 *
 *   [routes vector, NULL-terminated][raw text\0][exchange\0][routing key\0][route\0]...
 *
 * so a retained message costs its JSON plus a small fixed header, and
 * freeing it is one g_free(). The payload tree is parsed from the raw text
 * only when someone asks for it (the selected message).
 */

struct _PiMessage
{
  GObject parent_instance;

  gpointer            block;
  const char         *raw;
  const char         *exchange;
  const char         *routing_key;
  const char * const *routes;
  /* Undecodable: the parser's error. Gap: why there is a gap. */
  char               *error;

  guint64             sequence;
  gint64              time_received;
  gsize               raw_len;
  gsize               payload_offset;
  gsize               payload_len;

  guint8              kind;
  guint8              redelivered : 1;
  guint8              has_payload : 1;
};

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

static void
pi_message_finalize (GObject *object)
{
  PiMessage *self = (PiMessage *)object;

  g_free (self->block);
  g_free (self->error);

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
      g_value_set_string (value, self->exchange);
      break;

    case PROP_SHORT_EXCHANGE:
      g_value_set_string (value, pi_message_get_short_exchange (self));
      break;

    case PROP_ROUTING_KEY:
      g_value_set_string (value, self->routing_key);
      break;

    case PROP_ROUTES:
      g_value_set_boxed (value, self->routes);
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
      g_value_set_string (value, self->error);
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

/* Where a string field's text is: straight in the raw text when the literal
 * has no escapes, else unescaped into a scratch buffer. */
typedef struct
{
  const char *str;
  gsize       len;
  gsize       scratch_offset;
  gboolean    in_scratch;
} Text;

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

static void
text_from_span (Text             *out,
                const char       *text,
                const PiJsonSpan *span,
                GString         **scratch)
{
  memset (out, 0, sizeof *out);

  if (span->type != PI_JSON_TYPE_STRING)
    {
      out->str = "";
      return;
    }

  if (!span->has_escapes)
    {
      out->str = text + span->offset + 1;
      out->len = span->length - 2;
      return;
    }

  if (*scratch == NULL)
    *scratch = g_string_new (NULL);
  out->in_scratch = TRUE;
  out->scratch_offset = (*scratch)->len;
  pi_json_append_unescaped (*scratch, text + span->offset, span->length);
  out->len = (*scratch)->len - out->scratch_offset;
}

typedef struct
{
  const char  *text;
  gsize        base;
  GArray      *routes;
  GString    **scratch;
} RoutesClosure;

static void
collect_route (const char       *name,
               gsize             name_len,
               const PiJsonSpan *value,
               gpointer          user_data)
{
  RoutesClosure *closure = user_data;
  PiJsonSpan span = *value;
  Text route;

  /* Routes are strings; anything else in the array is not a route. */
  if (span.type != PI_JSON_TYPE_STRING)
    return;

  span.offset += closure->base;
  text_from_span (&route, closure->text, &span, closure->scratch);
  g_array_append_val (closure->routes, route);
}

static char *
copy_text (char       *dest,
           const Text *text,
           GString    *scratch)
{
  const char *src = text->in_scratch ? scratch->str + text->scratch_offset : text->str;

  memcpy (dest, src, text->len);
  dest[text->len] = '\0';
  return dest + text->len + 1;
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

  return self;
}

/* Lays out the block for a message with these strings. */
static void
message_fill (PiMessage  *self,
              const char *raw,
              gsize       raw_len,
              const Text *exchange,
              const Text *routing_key,
              GArray     *routes,
              GString    *scratch)
{
  guint n_routes = routes ? routes->len : 0;
  gsize vector_size = (n_routes + 1) * sizeof (char *);
  gsize size = vector_size + raw_len + 1 + exchange->len + 1 + routing_key->len + 1;
  const char **vector;
  char *p;
  guint i;

  for (i = 0; i < n_routes; i++)
    size += g_array_index (routes, Text, i).len + 1;

  self->block = g_malloc (size);
  vector = self->block;
  p = (char *) self->block + vector_size;

  self->raw = p;
  self->raw_len = raw_len;
  memcpy (p, raw, raw_len);
  p[raw_len] = '\0';
  p += raw_len + 1;

  self->exchange = p;
  p = copy_text (p, exchange, scratch);
  self->routing_key = p;
  p = copy_text (p, routing_key, scratch);

  for (i = 0; i < n_routes; i++)
    {
      vector[i] = p;
      p = copy_text (p, &g_array_index (routes, Text, i), scratch);
    }
  vector[n_routes] = NULL;
  self->routes = (const char * const *) vector;

  g_assert (p == (char *) self->block + size);
}

static PiMessage *
decode (const char  *data,
        gsize        len,
        guint64      sequence,
        gint64       time_received,
        GError     **error)
{
  static const Text empty = { "", 0, 0, FALSE };
  g_autoptr(GString) scratch = NULL;
  g_autoptr(GArray) routes = NULL;
  PiJsonSpan root;
  Fields fields = { data, };
  PiMessage *self;
  Text exchange;
  Text routing_key;

  if (!pi_json_scan (data, len, 0, &root, collect_field, &fields, error))
    return NULL;

  if (root.type != PI_JSON_TYPE_OBJECT ||
      !fields.has_exchange ||
      fields.exchange.type != PI_JSON_TYPE_STRING)
    {
      /* An old server sent only the payload. */
      self = message_new (PI_MESSAGE_KIND_PAYLOAD_ONLY, sequence, time_received);
      message_fill (self, data, len, &empty, &empty, NULL, NULL);
      self->has_payload = TRUE;
      self->payload_offset = root.offset;
      self->payload_len = root.length;
      return self;
    }

  text_from_span (&exchange, data, &fields.exchange, &scratch);
  if (fields.has_routing_key)
    text_from_span (&routing_key, data, &fields.routing_key, &scratch);
  else
    routing_key = empty;

  if (fields.has_routes && fields.routes.type == PI_JSON_TYPE_ARRAY)
    {
      RoutesClosure closure;

      routes = g_array_new (FALSE, FALSE, sizeof (Text));
      closure.text = data;
      closure.base = fields.routes.offset;
      closure.routes = routes;
      closure.scratch = &scratch;
      /* Already validated: this walk only finds the elements. */
      if (!pi_json_scan (data + fields.routes.offset, fields.routes.length,
                         0, NULL, collect_route, &closure, NULL))
        g_assert_not_reached ();
    }

  self = message_new (PI_MESSAGE_KIND_DECODED, sequence, time_received);
  message_fill (self, data, len, &exchange, &routing_key, routes, scratch);

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
 * Returns: (transfer full): a new message
 */
PiMessage *
pi_message_new_from_data (const char *data,
                          gsize       len,
                          guint64     sequence,
                          gint64      time_received)
{
  static const Text empty = { "", 0, 0, FALSE };
  g_autoptr(GError) error = NULL;
  g_autofree char *valid = NULL;
  PiMessage *self;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (data == NULL)
    data = "";

  /* A successful scan proves the text is UTF-8 (outside strings only ASCII
   * is accepted), so the text is checked once more only when it failed. */
  if ((self = decode (data, len, sequence, time_received, &error)))
    return self;

  if (!g_utf8_validate_len (data, len, NULL))
    {
      valid = g_utf8_make_valid (data, len);
      data = valid;
      len = strlen (valid);
      g_clear_error (&error);
      if ((self = decode (data, len, sequence, time_received, &error)))
        return self;
    }

  self = message_new (PI_MESSAGE_KIND_UNDECODABLE, sequence, time_received);
  message_fill (self, data, len, &empty, &empty, NULL, NULL);
  self->error = g_strdup (error->message);

  return self;
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
  static const Text empty = { "", 0, 0, FALSE };
  PiMessage *self;

  self = message_new (PI_MESSAGE_KIND_GAP, sequence, time_received);
  message_fill (self, "", 0, &empty, &empty, NULL, NULL);
  self->error = g_strdup (reason);

  return self;
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

/**
 * pi_message_get_raw:
 * @self: a message
 *
 * Returns: (transfer none): the event's data as UTF-8 text, "" for a gap
 */
const char *
pi_message_get_raw (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  return self->raw;
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

  return self->exchange;
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
  const char *slash;

  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  slash = strrchr (self->exchange, '/');
  if (slash == NULL || slash[1] == '\0')
    return self->exchange;
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

  return self->routing_key;
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
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  return self->routes;
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
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  return g_strjoinv (", ", (char **) self->routes);
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

  return self->error;
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
  return self->raw + self->payload_offset;
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
  if (!json_parser_load_from_data (parser, self->raw + self->payload_offset,
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

  if (text_contains (self->exchange, strlen (self->exchange), needle, needle_len, ascii) ||
      text_contains (self->routing_key, strlen (self->routing_key), needle, needle_len, ascii))
    return TRUE;

  for (i = 0; self->routes[i] != NULL; i++)
    if (text_contains (self->routes[i], strlen (self->routes[i]), needle, needle_len, ascii))
      return TRUE;

  if (self->has_payload)
    return text_contains (self->raw + self->payload_offset, self->payload_len,
                          needle, needle_len, ascii);

  if (self->kind == PI_MESSAGE_KIND_UNDECODABLE &&
      text_contains (self->raw, self->raw_len, needle, needle_len, ascii))
    return TRUE;

  if (self->error != NULL)
    return text_contains (self->error, strlen (self->error), needle, needle_len, ascii);

  return FALSE;
}
