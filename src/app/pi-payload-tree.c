/* pi-payload-tree.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-payload-tree"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-json-util.h"
#include "pi-payload-tree.h"

/* One node of a decoded payload, as one row of the payload tree. Items are
 * only created for the rows GtkTreeListModel asks for: the children of a
 * container are made when that container is expanded (or asked whether it
 * can be), never for the whole document up front.
 */
struct _PiJsonItem
{
  GObject   parent_instance;

  char     *key;
  char     *path;
  char     *value;   /* display text, made on first use */
  JsonNode *node;
};

G_DEFINE_FINAL_TYPE (PiJsonItem, pi_json_item, G_TYPE_OBJECT)

/* Bytes of a value the tree's cell shows. */
#define MAX_VALUE_DISPLAY 1000

enum {
  PROP_0,
  PROP_KEY,
  PROP_VALUE,
  PROP_TYPE_NAME,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
dup_shortened (const char *text,
                        gsize       len)
{
  GString *str = g_string_new_len (text, len);

  g_string_append (str, "…");
  return g_string_free (str, FALSE);
}

static void
pi_json_item_finalize (GObject *object)
{
  PiJsonItem *self = (PiJsonItem *)object;

  g_clear_pointer (&self->key, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->value, g_free);
  g_clear_pointer (&self->node, json_node_unref);

  G_OBJECT_CLASS (pi_json_item_parent_class)->finalize (object);
}

static void
pi_json_item_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PiJsonItem *self = PI_JSON_ITEM (object);

  switch (prop_id)
    {
    case PROP_KEY:
      g_value_set_string (value, pi_json_item_get_key (self));
      break;

    case PROP_VALUE:
      g_value_set_string (value, pi_json_item_get_value (self));
      break;

    case PROP_TYPE_NAME:
      g_value_set_string (value, pi_json_item_get_type_name (self));
      break;

    case PROP_PATH:
      g_value_set_string (value, pi_json_item_get_path (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_json_item_class_init (PiJsonItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pi_json_item_finalize;
  object_class->get_property = pi_json_item_get_property;

  properties[PROP_KEY] =
    g_param_spec_string ("key", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALUE] =
    g_param_spec_string ("value", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TYPE_NAME] =
    g_param_spec_string ("type-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_json_item_init (PiJsonItem *self)
{
}

/**
 * pi_json_item_new:
 * @key: the member name, or "[i]" for an array element
 * @path: the JSON path of the node, like `$.status.runs[0]`
 * @node: (transfer none): the node; a reference is kept
 *
 * Returns: (transfer full): a new item
 */
PiJsonItem *
pi_json_item_new (const char *key,
                  const char *path,
                  JsonNode   *node)
{
  PiJsonItem *self;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (node != NULL, NULL);

  self = g_object_new (PI_TYPE_JSON_ITEM, NULL);
  self->key = g_strdup (key);
  self->path = g_strdup (path);
  self->node = json_node_ref (node);

  return self;
}

const char *
pi_json_item_get_key (PiJsonItem *self)
{
  g_return_val_if_fail (PI_IS_JSON_ITEM (self), NULL);

  return self->key;
}

const char *
pi_json_item_get_path (PiJsonItem *self)
{
  g_return_val_if_fail (PI_IS_JSON_ITEM (self), NULL);

  return self->path;
}

/**
 * pi_json_item_get_value:
 *
 * Returns: the value as the tree shows it: strings quoted and escaped,
 *   numbers, booleans and null as JSON writes them, an object as
 *   `{3 members}` and an array as `[12 items]` (`{}` and `[]` when empty):
 *   the type is told by the value's own look, not by a column of its own.
 */
const char *
pi_json_item_get_value (PiJsonItem *self)
{
  g_return_val_if_fail (PI_IS_JSON_ITEM (self), NULL);

  if (self->value == NULL)
    {
      if (JSON_NODE_HOLDS_OBJECT (self->node))
        {
          guint n = json_object_get_size (json_node_get_object (self->node));

          if (n == 0)
            self->value = g_strdup ("{}");
          else
            /* Translators: an object of the payload tree and its number of
             * members, kept in braces as JSON writes objects */
            self->value = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "{%u member}", "{%u members}", n), n);
        }
      else if (JSON_NODE_HOLDS_ARRAY (self->node))
        {
          guint n = json_array_get_length (json_node_get_array (self->node));

          if (n == 0)
            self->value = g_strdup ("[]");
          else
            /* Translators: an array of the payload tree and its number of
             * elements, kept in brackets as JSON writes arrays */
            self->value = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "[%u item]", "[%u items]", n), n);
        }
      else
        self->value = json_to_string (self->node, FALSE);

      /* A cell shows one line of it: laying out a megabyte-long string
       * to ellipsize it would stall scrolling. Copy Value copies it whole. */
      if (strlen (self->value) > MAX_VALUE_DISPLAY)
        {
          const char *cut = g_utf8_find_prev_char (self->value, self->value + MAX_VALUE_DISPLAY + 1);
          char *shortened = dup_shortened (self->value, cut - self->value);

          g_free (self->value);
          self->value = shortened;
        }
    }

  return self->value;
}

const char *
pi_json_item_get_type_name (PiJsonItem *self)
{
  g_return_val_if_fail (PI_IS_JSON_ITEM (self), NULL);

  switch (json_node_get_node_type (self->node))
    {
    case JSON_NODE_OBJECT:
      return "object";

    case JSON_NODE_ARRAY:
      return "array";

    case JSON_NODE_NULL:
      return "null";

    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (self->node))
        {
        case G_TYPE_BOOLEAN:
          return "boolean";
        case G_TYPE_STRING:
          return "string";
        default:
          return "number";
        }

    default:
      return "";
    }
}

/**
 * pi_json_item_get_type_label:
 *
 * Returns: the value's JSON type in words for people ("String",
 *   "Number", ...), translated: the tree shows it in the value's tooltip
 *   (which is also its accessible description).
 */
const char *
pi_json_item_get_type_label (PiJsonItem *self)
{
  const char *name;

  g_return_val_if_fail (PI_IS_JSON_ITEM (self), NULL);

  name = pi_json_item_get_type_name (self);
  if (g_str_equal (name, "object"))
    return C_("JSON type", "Object");
  if (g_str_equal (name, "array"))
    return C_("JSON type", "Array");
  if (g_str_equal (name, "null"))
    return C_("JSON type", "Null");
  if (g_str_equal (name, "boolean"))
    return C_("JSON type", "Boolean");
  if (g_str_equal (name, "string"))
    return C_("JSON type", "String");
  if (g_str_equal (name, "number"))
    return C_("JSON type", "Number");

  return name;
}

/**
 * pi_json_item_dup_value_text:
 *
 * Returns: (transfer full): the value as a user wants it on the clipboard:
 *   a string's text without quotes, any other value as pretty-printed JSON.
 */
char *
pi_json_item_dup_value_text (PiJsonItem *self)
{
  g_return_val_if_fail (PI_IS_JSON_ITEM (self), NULL);

  if (JSON_NODE_HOLDS_VALUE (self->node) &&
      json_node_get_value_type (self->node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (self->node));

  return json_to_string (self->node, TRUE);
}

static gboolean
is_identifier (const char *member)
{
  if (!g_ascii_isalpha (*member) && *member != '_' && *member != '$')
    return FALSE;

  for (const char *p = member + 1; *p; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '_' && *p != '$')
        return FALSE;
    }

  return TRUE;
}

/**
 * pi_json_path_append_member:
 *
 * Returns: (transfer full): @parent_path followed by `.member`, or by
 *   `["member"]` when the name is not a plain identifier (so that the path
 *   can be pasted into JSONPath tools as is).
 */
char *
pi_json_path_append_member (const char *parent_path,
                            const char *member)
{
  GString *str;

  g_return_val_if_fail (parent_path != NULL, NULL);
  g_return_val_if_fail (member != NULL, NULL);

  str = g_string_new (parent_path);

  if (is_identifier (member))
    {
      g_string_append_c (str, '.');
      g_string_append (str, member);
    }
  else
    {
      g_string_append_c (str, '[');
      pi_json_append_string (str, member, -1);
      g_string_append_c (str, ']');
    }

  return g_string_free (str, FALSE);
}

char *
pi_json_path_append_index (const char *parent_path,
                           guint       index)
{
  g_return_val_if_fail (parent_path != NULL, NULL);

  return g_strdup_printf ("%s[%u]", parent_path, index);
}

/* Past this depth lines stop moving right: a payload nested hundreds deep
 * would otherwise be mostly spaces. */
#define MAX_INDENT_LEVEL 32

static void
append_newline (GString *out,
                guint    depth)
{
  g_string_append_c (out, '\n');
  for (guint i = 0; i < MIN (depth, MAX_INDENT_LEVEL); i++)
    g_string_append (out, "  ");
}

/**
 * pi_json_indent:
 * @text: JSON text
 * @len: its length in bytes, or -1 when it is NUL-terminated
 *
 * Lays JSON text out with one member or element a line, two spaces a
 * level, by changing only the whitespace between tokens: strings, escapes
 * and numbers stay exactly as they were received (re-serializing would
 * print 0.1 as 0.10000000000000001 and \u00e9 as é). Empty objects and
 * arrays stay `{}` and `[]`. Text that is not JSON is laid out as far as
 * it goes, never refused; whitespace inside strings is kept.
 *
 * Returns: (transfer full): the laid-out text
 */
char *
pi_json_indent (const char *text,
                gssize      len)
{
  const char *p, *end;
  GString *out;
  guint depth = 0;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (len < 0)
    len = strlen (text);

  out = g_string_sized_new (len + len / 2 + 1);
  end = text + len;

  for (p = text; p < end; p++)
    {
      const char *q;

      switch (*p)
        {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
          break;

        case '"':
          /* The whole string, escapes included, as it is. */
          for (q = p + 1; q < end && *q != '"'; q++)
            {
              if (*q == '\\' && q + 1 < end)
                q++;
            }
          if (q < end)
            q++;
          g_string_append_len (out, p, q - p);
          p = q - 1;
          break;

        case '{':
        case '[':
          g_string_append_c (out, *p);
          for (q = p + 1; q < end && g_ascii_isspace (*q); q++)
            ;
          if (q < end && *q == (*p == '{' ? '}' : ']'))
            {
              g_string_append_c (out, *q);
              p = q;
              break;
            }
          append_newline (out, ++depth);
          break;

        case '}':
        case ']':
          if (depth > 0)
            depth--;
          append_newline (out, depth);
          g_string_append_c (out, *p);
          break;

        case ',':
          g_string_append_c (out, ',');
          append_newline (out, depth);
          break;

        case ':':
          g_string_append (out, ": ");
          break;

        default:
          g_string_append_c (out, *p);
        }
    }

  return g_string_free (out, FALSE);
}

/**
 * pi_json_item_create_children:
 *
 * Returns: (transfer full) (nullable): a new model of the members of an
 *   object or the elements of an array, %NULL for a scalar or an empty
 *   container (so that it shows no expander).
 */
GListModel *
pi_json_item_create_children (PiJsonItem *self)
{
  g_autoptr(GListStore) store = NULL;

  g_return_val_if_fail (PI_IS_JSON_ITEM (self), NULL);

  store = g_list_store_new (PI_TYPE_JSON_ITEM);

  if (JSON_NODE_HOLDS_OBJECT (self->node))
    {
      JsonObject *object = json_node_get_object (self->node);
      JsonObjectIter iter;
      const char *member;
      JsonNode *child;

      /* Keep the members in document order: people compare what they see
       * with the JSON they know. */
      json_object_iter_init_ordered (&iter, object);
      while (json_object_iter_next_ordered (&iter, &member, &child))
        {
          g_autofree char *path = pi_json_path_append_member (self->path, member);
          g_autoptr(PiJsonItem) item = pi_json_item_new (member, path, child);

          g_list_store_append (store, item);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (self->node))
    {
      JsonArray *array = json_node_get_array (self->node);
      guint n = json_array_get_length (array);
      g_autoptr(GPtrArray) items = g_ptr_array_new_full (n, g_object_unref);

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *key = g_strdup_printf ("[%u]", i);
          g_autofree char *path = pi_json_path_append_index (self->path, i);

          g_ptr_array_add (items, pi_json_item_new (key, path, json_array_get_element (array, i)));
        }

      g_list_store_splice (store, 0, 0, items->pdata, items->len);
    }

  if (g_list_model_get_n_items (G_LIST_MODEL (store)) == 0)
    return NULL;

  return G_LIST_MODEL (g_steal_pointer (&store));
}

/**
 * pi_payload_tree_new_root:
 * @payload: (transfer none): a decoded payload
 *
 * The top level of the payload tree: the members of an object payload or
 * the elements of an array payload; a scalar payload is one row keyed `$`.
 *
 * Returns: (transfer full): a model of #PiJsonItem
 */
GListModel *
pi_payload_tree_new_root (JsonNode *payload)
{
  g_autoptr(PiJsonItem) root = NULL;
  GListModel *children;
  GListStore *store;

  g_return_val_if_fail (payload != NULL, NULL);

  root = pi_json_item_new ("$", "$", payload);
  if ((children = pi_json_item_create_children (root)))
    return children;

  store = g_list_store_new (PI_TYPE_JSON_ITEM);
  g_list_store_append (store, root);

  return G_LIST_MODEL (store);
}

/* The rows of the payload tree, as the details template draws them (the
 * closures of its list item factory). */

/* The payload tree's value label: its look tells the JSON type (as an
 * editor's highlighting does): strings and numbers in colours of their own,
 * true, false and null in a third, all monospace so that 0/O and l/1 stay
 * apart; an object's or array's "{3 members}" is dimmed, as it is about the
 * value rather than the value itself. */
char **
pi_payload_tree_value_css_classes (GtkListItem *list_item,
                                   const char  *type_name)
{
  const char *classes[3] = { NULL, };

  if (g_strcmp0 (type_name, "object") == 0 || g_strcmp0 (type_name, "array") == 0)
    classes[0] = "dim-label";
  else if (type_name != NULL)
    {
      classes[0] = "monospace";
      if (g_str_equal (type_name, "string"))
        classes[1] = "pi-json-string";
      else if (g_str_equal (type_name, "number"))
        classes[1] = "pi-json-number";
      else
        classes[1] = "pi-json-literal";
    }

  return g_strdupv ((char **) classes);
}

/* The type in words, for those who do not read it from the colour, and
 * the value as far as a tooltip holds it. */
#define MAX_TOOLTIP_VALUE 400

char *
pi_payload_tree_value_tooltip (GtkListItem *list_item,
                               GObject     *object)
{
  PiJsonItem *item;
  const char *value;
  const char *type_name;

  if (!PI_IS_JSON_ITEM (object))
    return NULL;

  item = PI_JSON_ITEM (object);
  type_name = pi_json_item_get_type_name (item);
  if (g_str_equal (type_name, "object") || g_str_equal (type_name, "array"))
    return g_strdup (pi_json_item_get_type_label (item));

  value = pi_json_item_get_value (item);
  if (strlen (value) > MAX_TOOLTIP_VALUE)
    {
      const char *cut = g_utf8_find_prev_char (value, value + MAX_TOOLTIP_VALUE + 1);

      return g_strdup_printf ("%s\n%.*s…", pi_json_item_get_type_label (item), (int) (cut - value), value);
    }

  return g_strdup_printf ("%s\n%s", pi_json_item_get_type_label (item), value);
}

/* The tooltip is read out too: GTK does not make it the accessible
 * description by itself. */
void
pi_payload_tree_value_tooltip_changed (GtkWidget  *label,
                                       GParamSpec *pspec,
                                       gpointer    user_data)
{
  const char *text = gtk_widget_get_tooltip_text (label);

  if (text != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}
