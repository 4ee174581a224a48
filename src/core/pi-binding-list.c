/* pi-binding-list.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-binding"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "pi-binding.h"
#include "pi-json-util.h"

/* Lists of bindings (GPtrArray of PiBinding) to and from the connect
 * query's JSON, the query itself, and the old web inspectors' links.
 */

/* The error texts of the original events service (docs/PROTOCOL.md, section 2).
 * A compatible server sends exactly these, so they are not translated.
 */
#define PROTOCOL_ERROR_ONE_KEY  "The json query should have only one key i.e. `bindings`."
#define PROTOCOL_ERROR_ARRAY    "Bindings must be an array of {exchange, routingKeyPattern}"
#define PROTOCOL_ERROR_FIELDS   "Binding must include `exchange` and `routingKeyPattern` fields"

static GPtrArray *
bindings_new (void)
{
  return g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * pi_bindings_append_json_array:
 * @out: where to append
 * @bindings: (element-type PiBinding): the bindings
 *
 * Appends the bindings as a JSON array on one line,
 * `[{"exchange":…,"routingKeyPattern":…},…]`: the value of the connect
 * query's `bindings` member, which a capture file's header holds too.
 */
void
pi_bindings_append_json_array (GString   *out,
                               GPtrArray *bindings)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (bindings != NULL);

  g_string_append_c (out, '[');
  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);

      g_return_if_fail (PI_IS_BINDING (binding));

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"exchange\":");
      pi_json_append_string (out, pi_binding_get_exchange (binding), -1);
      g_string_append (out, ",\"routingKeyPattern\":");
      pi_json_append_string (out, pi_binding_get_routing_key_pattern (binding), -1);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

/**
 * pi_bindings_to_json:
 * @bindings: (element-type PiBinding): the bindings
 *
 * Writes the bindings as the connect query's JSON value (docs/PROTOCOL.md,
 * section 1): `{"bindings":[{"exchange":…,"routingKeyPattern":…},…]}`,
 * on one line.
 *
 * Returns: (transfer full): the JSON text
 */
char *
pi_bindings_to_json (GPtrArray *bindings)
{
  GString *out;

  g_return_val_if_fail (bindings != NULL, NULL);

  out = g_string_new ("{\"bindings\":");
  pi_bindings_append_json_array (out, bindings);
  g_string_append_c (out, '}');

  return g_string_free (out, FALSE);
}

/**
 * pi_bindings_to_query:
 * @bindings: (element-type PiBinding): the bindings
 *
 * Writes the query of a connect URL: `bindings=` followed by the
 * percent-encoded JSON of pi_bindings_to_json().
 *
 * Returns: (transfer full): the query, without the leading `?`
 */
char *
pi_bindings_to_query (GPtrArray *bindings)
{
  g_autofree char *json = NULL;
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (bindings != NULL, NULL);

  json = pi_bindings_to_json (bindings);
  escaped = g_uri_escape_string (json, NULL, FALSE);

  return g_strconcat ("bindings=", escaped, NULL);
}

/**
 * pi_bindings_from_json:
 * @json: the connect query's JSON value
 * @error: return location for a #GError
 *
 * Reads bindings from the JSON of pi_bindings_to_json(). The checks are
 * those of the events service, in its order, and the error messages
 * (%PI_BINDING_ERROR_INVALID_JSON) are its exact English texts, so a server
 * can send them as they are: text that is not JSON gets the JSON parser's
 * message (or, for text nested too deep for it, pi_json_parser_load()'s); anything but an object whose only key is `bindings` gets
 * "The json query should have only one key i.e. \`bindings\`."; a `bindings`
 * that is not an array gets "Bindings must be an array of {exchange,
 * routingKeyPattern}"; an item without string `exchange` and
 * `routingKeyPattern` members gets "Binding must include \`exchange\` and
 * \`routingKeyPattern\` fields". Other members of an item are ignored.
 *
 * Exchange names and patterns are not validated here (the service passed
 * them on to the broker); use pi_binding_validate() for that.
 *
 * Returns: (transfer full) (element-type PiBinding) (nullable): the
 *   bindings, possibly none, or %NULL with @error set
 */
GPtrArray *
pi_bindings_from_json (const char  *json,
                       GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonNode *array_node;
  JsonArray *array;
  guint n;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parser = json_parser_new ();
  if (!pi_json_parser_load (parser, json, -1, &local_error))
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON,
                           local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);

  /* json-glib takes empty text as an empty document; for the protocol it
   * is text that is not JSON, as it was for the original service.
   */
  if (root == NULL)
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON,
                           "Unexpected end of JSON input");
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      json_object_get_size (object = json_node_get_object (root)) != 1 ||
      !json_object_has_member (object, "bindings"))
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON,
                           PROTOCOL_ERROR_ONE_KEY);
      return NULL;
    }

  array_node = json_object_get_member (object, "bindings");
  if (!JSON_NODE_HOLDS_ARRAY (array_node))
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON,
                           PROTOCOL_ERROR_ARRAY);
      return NULL;
    }

  array = json_node_get_array (array_node);
  n = json_array_get_length (array);
  bindings = bindings_new ();

  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *item_object;
      JsonNode *exchange;
      JsonNode *pattern;

      if (!JSON_NODE_HOLDS_OBJECT (item) ||
          !(exchange = json_object_get_member (item_object = json_node_get_object (item), "exchange")) ||
          !(pattern = json_object_get_member (item_object, "routingKeyPattern")) ||
          json_node_get_value_type (exchange) != G_TYPE_STRING ||
          json_node_get_value_type (pattern) != G_TYPE_STRING)
        {
          g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_JSON,
                               PROTOCOL_ERROR_FIELDS);
          return NULL;
        }

      g_ptr_array_add (bindings,
                       pi_binding_new (json_node_get_string (exchange),
                                       json_node_get_string (pattern)));
    }

  return g_steal_pointer (&bindings);
}

/* Percent-decoding for a query component, where '+' also means a space
 * (the old inspectors' links were written by a form-encoding library).
 */
static char *
decode_query_component (const char *start,
                        const char *end)
{
  g_autofree char *plus_free = g_strndup (start, end - start);

  for (char *p = plus_free; *p; p++)
    if (*p == '+')
      *p = ' ';

  /* NULL on a broken %-escape or an encoded NUL: the caller says so. */
  return g_uri_unescape_string (plus_free, NULL);
}

typedef struct
{
  guint64  index;
  char    *exchange;
  char    *pattern;
} LinkItem;

static void
link_item_clear (gpointer data)
{
  LinkItem *item = data;

  g_free (item->exchange);
  g_free (item->pattern);
}

static int
link_item_compare (gconstpointer a,
                   gconstpointer b)
{
  const LinkItem *ia = a;
  const LinkItem *ib = b;

  return ia->index < ib->index ? -1 : ia->index > ib->index;
}

/* Parses "bindings[N][field]" into N and field; FALSE for other keys. */
static gboolean
parse_link_key (const char   *key,
                guint64      *index,
                const char  **field)
{
  const char *p;
  char *end;

  if (!g_str_has_prefix (key, "bindings["))
    return FALSE;

  p = key + strlen ("bindings[");
  if (!g_ascii_isdigit (*p))
    return FALSE;

  *index = g_ascii_strtoull (p, &end, 10);
  if (end[0] != ']' || end[1] != '[')
    return FALSE;

  p = end + 2;
  if (!g_str_has_suffix (p, "]"))
    return FALSE;

  *field = p;
  return TRUE;
}

/* @positions maps each index seen so far to its item's position in @items,
 * so that a link with many bindings is read in linear time. */
static LinkItem *
link_item_for_index (GArray     *items,
                     GHashTable *positions,
                     guint64     index)
{
  LinkItem new_item = { index, NULL, NULL };
  gpointer position;

  if (g_hash_table_lookup_extended (positions, &index, NULL, &position))
    return &g_array_index (items, LinkItem, GPOINTER_TO_UINT (position));

  g_hash_table_insert (positions, g_memdup2 (&index, sizeof index), GUINT_TO_POINTER (items->len));
  g_array_append_val (items, new_item);
  return &g_array_index (items, LinkItem, items->len - 1);
}

/**
 * pi_bindings_from_share_link:
 * @link: a URL, or just its query
 * @error: return location for a #GError
 *
 * Reads the bindings of a link made by the old web inspectors (or by
 * pi_bindings_to_share_link()): any URL whose query has
 * `bindings[N][exchange]=X&bindings[N][routingKeyPattern]=P` (the later
 * inspector wrote `[pattern]`), percent-encoded or not, in any order,
 * with gaps in N allowed; the bindings come out in order of N. A binding
 * with an exchange and no pattern gets `#`. A URL whose `bindings`
 * parameter holds the JSON of the connect query is read too.
 *
 * The result is not validated; use pi_binding_validate().
 *
 * Returns: (transfer full) (element-type PiBinding) (nullable): the
 *   bindings (at least one), or %NULL with @error set
 *   (%PI_BINDING_ERROR_INVALID_LINK, or %PI_BINDING_ERROR_INVALID_JSON
 *   for a bad JSON parameter)
 */
GPtrArray *
pi_bindings_from_share_link (const char  *link,
                             GError     **error)
{
  g_autoptr(GArray) items = NULL;
  g_autoptr(GHashTable) positions = NULL;
  g_autoptr(GPtrArray) bindings = NULL;
  g_autofree char *json = NULL;
  const char *query;
  const char *query_end;
  const char *p;

  g_return_val_if_fail (link != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Take the query: after the first '?' and before any '#' fragment. A
   * bare query ("bindings[0]...") is accepted as it is.
   */
  query = strchr (link, '?');
  if (query != NULL)
    query++;
  else if (g_str_has_prefix (link, "bindings"))
    query = link;
  else
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_LINK,
                           _("The link has no bindings: it has no query part after “?”"));
      return NULL;
    }

  query_end = strchr (query, '#');
  if (query_end == NULL)
    query_end = query + strlen (query);

  items = g_array_new (FALSE, TRUE, sizeof (LinkItem));
  g_array_set_clear_func (items, link_item_clear);
  positions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (p = query; p < query_end;)
    {
      const char *amp = memchr (p, '&', query_end - p);
      const char *param_end = amp ? amp : query_end;
      const char *eq = memchr (p, '=', param_end - p);
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;
      const char *field;
      guint64 index;

      if (param_end == p)
        {
          p = param_end + 1;
          continue;
        }

      key = decode_query_component (p, eq ? eq : param_end);
      value = eq ? decode_query_component (eq + 1, param_end) : g_strdup ("");
      p = param_end + 1;

      if (key == NULL || value == NULL)
        {
          g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_LINK,
                               _("The link is damaged: its query has a broken percent escape"));
          return NULL;
        }

      if (g_str_equal (key, "bindings"))
        {
          g_free (json);
          json = g_steal_pointer (&value);
        }
      else if (parse_link_key (key, &index, &field))
        {
          LinkItem *item = link_item_for_index (items, positions, index);

          if (g_str_equal (field, "exchange]"))
            {
              g_free (item->exchange);
              item->exchange = g_steal_pointer (&value);
            }
          else if (g_str_equal (field, "routingKeyPattern]") || g_str_equal (field, "pattern]"))
            {
              g_free (item->pattern);
              item->pattern = g_steal_pointer (&value);
            }
          /* Other fields of an item are ignored, like the JSON form does. */
        }
    }

  if (items->len == 0 && json != NULL)
    {
      /* The connect query's JSON may hold no binding; a link must hold one
       * (the app imports a link's bindings and has nothing to say about
       * none of them). */
      if (!(bindings = pi_bindings_from_json (json, error)))
        return NULL;
      if (bindings->len == 0)
        {
          g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_LINK,
                               _("The link has no bindings: its bindings list is empty"));
          return NULL;
        }
      return g_steal_pointer (&bindings);
    }

  if (items->len == 0)
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_LINK,
                           _("The link has no bindings: its query has no bindings[0][exchange]"));
      return NULL;
    }

  g_array_sort (items, link_item_compare);

  bindings = bindings_new ();
  for (guint i = 0; i < items->len; i++)
    {
      LinkItem *item = &g_array_index (items, LinkItem, i);

      if (item->exchange == NULL)
        {
          char index_text[24];

          g_snprintf (index_text, sizeof index_text, "%" G_GUINT64_FORMAT, item->index);
          g_set_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_LINK,
                       _("Binding %s in the link has a routing-key pattern but no exchange"),
                       index_text);
          return NULL;
        }

      g_ptr_array_add (bindings, pi_binding_new (item->exchange, item->pattern));
    }

  return g_steal_pointer (&bindings);
}

/**
 * pi_bindings_to_share_link:
 * @base_url: the URL to add the bindings to, e.g. a web inspector's page
 * @bindings: (element-type PiBinding): the bindings
 *
 * Writes a link in the old web inspectors' form:
 * `BASE?bindings%5B0%5D%5Bexchange%5D=X&bindings%5B0%5D%5BroutingKeyPattern%5D=P&…`
 * (the brackets are percent-encoded so that the link survives chat
 * programs; both old inspectors and pi_bindings_from_share_link() decode
 * them). If @base_url already has a query, the bindings are appended
 * with `&`.
 *
 * Returns: (transfer full): the link
 */
char *
pi_bindings_to_share_link (const char *base_url,
                           GPtrArray  *bindings)
{
  GString *out;
  const char *separator;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (bindings != NULL, NULL);

  out = g_string_new (base_url);
  separator = strchr (base_url, '?') ? "&" : "?";
  if (g_str_has_suffix (base_url, "?") || g_str_has_suffix (base_url, "&"))
    separator = "";

  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);
      g_autofree char *exchange = g_uri_escape_string (pi_binding_get_exchange (binding), NULL, FALSE);
      g_autofree char *pattern = g_uri_escape_string (pi_binding_get_routing_key_pattern (binding), NULL, FALSE);

      g_string_append_printf (out,
                              "%sbindings%%5B%u%%5D%%5Bexchange%%5D=%s"
                              "&bindings%%5B%u%%5D%%5BroutingKeyPattern%%5D=%s",
                              separator, i, exchange, i, pattern);
      separator = "&";
    }

  return g_string_free (out, FALSE);
}
