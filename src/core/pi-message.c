/* pi-message.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-message"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "pi-message.h"
#include "pi-message-private.h"

/* The object and its accessors. Messages are made from event data in
 * pi-message-decode.c; the layout they share is in pi-message-private.h. */

static GQuark routes_quark;
static GQuark raw_quark;
static GQuark dropped_until_quark;

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
  PROP_DROPPED_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ENUM_TYPE (PiMessageKind, pi_message_kind,
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_DECODED, "decoded"),
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_PAYLOAD_ONLY, "payload-only"),
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_UNDECODABLE, "undecodable"),
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_GAP, "gap"),
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_DROPPED, "dropped"),
                    G_DEFINE_ENUM_VALUE (PI_MESSAGE_KIND_SWITCH, "switch"))

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

    case PROP_DROPPED_COUNT:
      g_value_set_uint64 (value, pi_message_get_dropped_count (self));
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
  dropped_until_quark = g_quark_from_static_string ("pi-message-dropped-until");

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
  /* The one property that changes: pi_message_merge_dropped() adds to it. */
  properties[PROP_DROPPED_COUNT] =
    g_param_spec_uint64 ("dropped-count", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_message_init (PiMessage *self)
{
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
 * comment in pi-message-private.h), so call it for the message at hand
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
 * pi_message_dup_switch_text:
 * @self: a switch of server (%PI_MESSAGE_KIND_SWITCH)
 *
 * Returns: (transfer full): the switch in words, as the list shows it and
 *   a saved capture keeps it: "Now listening to NAME"
 */
char *
pi_message_dup_switch_text (PiMessage *self)
{
  const char *name;

  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  name = pi_message_get_error (self);
  /* Translators: %s is a deployment's name or a server's host */
  return g_strdup_printf (_("Now listening to %s"), name != NULL ? name : "");
}

/**
 * pi_message_get_error:
 * @self: a message
 *
 * Returns: (transfer none) (nullable): for an undecodable message, why it
 *   could not be decoded, with the position; for a gap, its reason; for
 *   a switch of server, the server's name; otherwise %NULL
 */
const char *
pi_message_get_error (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  if (self->error_offset == NO_STRING || self->kind == PI_MESSAGE_KIND_DROPPED)
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
ascii_contains_memchr (const char *haystack,
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

static inline gboolean
ascii_equal (const char *text,
             const char *needle,
             gsize       len)
{
  gsize i;

  for (i = 0; i < len; i++)
    if (g_ascii_tolower (text[i]) != needle[i])
      return FALSE;

  return TRUE;
}

/* Searching a million messages is mostly this function. One memchr() per
 * case of the first character stops at nearly every other byte of JSON
 * for common letters; instead, look at 16 positions at once for the first
 * and the last character of the needle together (OR 0x20 folds ASCII
 * letters; what it also folds together of other bytes only makes a
 * candidate that the comparison then rejects). */
static gboolean
ascii_contains (const char *haystack,
                gsize       haystack_len,
                const char *needle,
                gsize       needle_len)
{
#ifdef __SSE2__
  __m128i fold;
  __m128i first;
  __m128i last;
  gsize n_starts;
  gsize i = 0;

  if (needle_len < 2 || haystack_len < needle_len)
    return ascii_contains_memchr (haystack, haystack_len, needle, needle_len);

  fold = _mm_set1_epi8 (0x20);
  first = _mm_set1_epi8 (needle[0] | 0x20);
  last = _mm_set1_epi8 (needle[needle_len - 1] | 0x20);
  n_starts = haystack_len - needle_len + 1;

  for (; i + 16 <= n_starts; i += 16)
    {
      __m128i a = _mm_or_si128 (_mm_loadu_si128 ((const __m128i *) (haystack + i)), fold);
      __m128i b = _mm_or_si128 (_mm_loadu_si128 ((const __m128i *) (haystack + i + needle_len - 1)), fold);
      unsigned mask = (unsigned) _mm_movemask_epi8 (_mm_and_si128 (_mm_cmpeq_epi8 (a, first),
                                                                   _mm_cmpeq_epi8 (b, last)));

      while (mask != 0)
        {
          if (ascii_equal (haystack + i + __builtin_ctz (mask), needle, needle_len))
            return TRUE;
          mask &= mask - 1;
        }
    }

  for (; i < n_starts; i++)
    if (ascii_equal (haystack + i, needle, needle_len))
      return TRUE;

  return FALSE;
#else
  return ascii_contains_memchr (haystack, haystack_len, needle, needle_len);
#endif
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
  gboolean ascii = TRUE;
  gsize needle_len;
  gsize i;

  g_return_val_if_fail (PI_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (needle_casefolded != NULL, FALSE);

  needle_len = strlen (needle_casefolded);
  for (i = 0; i < needle_len && ascii; i++)
    ascii = (guchar) needle_casefolded[i] < 0x80;

  return _pi_message_contains_folded (self, needle_casefolded, needle_len, ascii);
}

/* pi_message_contains_text() with the needle's length and whether it is
 * ASCII worked out once, for searching many messages. */
gboolean
_pi_message_contains_folded (PiMessage  *self,
                             const char *needle,
                             gsize       needle_len,
                             gboolean    ascii)
{
  const char *exchange;
  const char *routing_key;
  const char *route;
  const char *error;
  gsize i;

  if (needle_len == 0)
    return TRUE;

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

/**
 * pi_message_get_dropped_count:
 * @self: a message
 *
 * Returns: for a %PI_MESSAGE_KIND_DROPPED entry, how many messages the
 *   server dropped at this point; otherwise 0
 */
guint64
pi_message_get_dropped_count (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), 0);

  if (self->kind != PI_MESSAGE_KIND_DROPPED)
    return 0;
  /* Atomic halves: a saving thread may read it while the main thread
   * merges (see pi_message_merge_dropped()). */
  return ((guint64) (guint32) g_atomic_int_get ((gint *) &self->payload_len) << 32) |
         (guint32) g_atomic_int_get ((gint *) &self->payload_offset);
}

/**
 * pi_message_get_dropped_until:
 * @self: a message
 *
 * Returns: for a %PI_MESSAGE_KIND_DROPPED entry that took in later
 *   reports (see pi_message_merge_dropped()), when the last of them was
 *   received; otherwise when @self was, as pi_message_get_time_received()
 */
gint64
pi_message_get_dropped_until (PiMessage *self)
{
  gint64 *until;

  g_return_val_if_fail (PI_IS_MESSAGE (self), 0);

  if (self->kind == PI_MESSAGE_KIND_DROPPED &&
      (until = g_object_get_qdata (G_OBJECT (self), dropped_until_quark)) != NULL)
    return *until;
  return self->time_received;
}

/**
 * pi_message_merge_dropped:
 * @self: a %PI_MESSAGE_KIND_DROPPED entry
 * @next: the entry that follows it in the stream
 *
 * Consecutive reports of dropped messages with the same reason are one
 * row: when @next is such a report, its count is added to @self's (which
 * notifies #PiMessage:dropped-count) and @next need not be kept. Only the
 * main thread merges; other threads may read the count meanwhile.
 *
 * Returns: whether @next was merged into @self
 */
gboolean
pi_message_merge_dropped (PiMessage *self,
                          PiMessage *next)
{
  gint64 *until;
  guint64 count;

  g_return_val_if_fail (PI_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (PI_IS_MESSAGE (next), FALSE);

  if (self == next ||
      self->kind != PI_MESSAGE_KIND_DROPPED ||
      next->kind != PI_MESSAGE_KIND_DROPPED ||
      g_strcmp0 (pi_message_get_dropped_reason (self), pi_message_get_dropped_reason (next)) != 0)
    return FALSE;

  count = pi_message_get_dropped_count (self);
  count += MIN (pi_message_get_dropped_count (next), G_MAXUINT64 - count);
  g_atomic_int_set ((gint *) &self->payload_len, (gint) (guint32) (count >> 32));
  g_atomic_int_set ((gint *) &self->payload_offset, (gint) (guint32) (count & G_MAXUINT32));

  /* Few entries ever take in another: the time of the last report hangs
   * off the object rather than growing every message. */
  until = g_new (gint64, 1);
  *until = MAX (pi_message_get_dropped_until (next), pi_message_get_dropped_until (self));
  g_object_set_qdata_full (G_OBJECT (self), dropped_until_quark, until, g_free);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DROPPED_COUNT]);
  return TRUE;
}

/**
 * pi_message_get_dropped_reason:
 * @self: a message
 *
 * Returns: (transfer none) (nullable): for a %PI_MESSAGE_KIND_DROPPED
 *   entry, the server's reason as it sent it ("too-large", "too-slow"),
 *   or %NULL when it gave none; %NULL for other kinds
 */
const char *
pi_message_get_dropped_reason (PiMessage *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE (self), NULL);

  if (self->kind != PI_MESSAGE_KIND_DROPPED || self->error_offset == NO_STRING)
    return NULL;
  return self->block + self->error_offset;
}

void
pi_message_set_time_received (PiMessage *self,
                              gint64     time_received)
{
  g_return_if_fail (PI_IS_MESSAGE (self));

  self->time_received = time_received;
}
