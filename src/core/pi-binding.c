/* pi-binding.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-binding"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pi-binding.h"

/**
 * PiBinding:
 *
 * One AMQP binding: a topic exchange and a routing-key pattern. The events
 * server binds its queue for the connection with each of them.
 */
struct _PiBinding
{
  GObject parent_instance;

  char *exchange;
  char *routing_key_pattern;
  gboolean enabled;
};

G_DEFINE_FINAL_TYPE (PiBinding, pi_binding, G_TYPE_OBJECT)

G_DEFINE_QUARK (pi-binding-error-quark, pi_binding_error)

enum {
  PROP_0,
  PROP_EXCHANGE,
  PROP_ROUTING_KEY_PATTERN,
  PROP_ENABLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
pi_binding_finalize (GObject *object)
{
  PiBinding *self = (PiBinding *)object;

  g_clear_pointer (&self->exchange, g_free);
  g_clear_pointer (&self->routing_key_pattern, g_free);

  G_OBJECT_CLASS (pi_binding_parent_class)->finalize (object);
}

static void
pi_binding_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PiBinding *self = PI_BINDING (object);

  switch (prop_id)
    {
    case PROP_EXCHANGE:
      g_value_set_string (value, self->exchange);
      break;

    case PROP_ROUTING_KEY_PATTERN:
      g_value_set_string (value, self->routing_key_pattern);
      break;

    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_binding_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PiBinding *self = PI_BINDING (object);

  switch (prop_id)
    {
    case PROP_EXCHANGE:
      pi_binding_set_exchange (self, g_value_get_string (value));
      break;

    case PROP_ROUTING_KEY_PATTERN:
      pi_binding_set_routing_key_pattern (self, g_value_get_string (value));
      break;

    case PROP_ENABLED:
      pi_binding_set_enabled (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_binding_class_init (PiBindingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pi_binding_finalize;
  object_class->get_property = pi_binding_get_property;
  object_class->set_property = pi_binding_set_property;

  /**
   * PiBinding:exchange:
   *
   * The name of the topic exchange, e.g.
   * `exchange/taskcluster-queue/v1/task-completed`. Never %NULL.
   */
  properties[PROP_EXCHANGE] =
    g_param_spec_string ("exchange", NULL, NULL,
                         "",
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PiBinding:routing-key-pattern:
   *
   * The routing-key pattern, e.g. `primary.*.#`. Never %NULL.
   */
  properties[PROP_ROUTING_KEY_PATTERN] =
    g_param_spec_string ("routing-key-pattern", NULL, NULL,
                         "#",
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * PiBinding:enabled:
   *
   * Whether the binding is listened to. A disabled binding stays in the
   * list (and in share links and captures) but is not subscribed.
   */
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_binding_init (PiBinding *self)
{
  self->enabled = TRUE;
}

/**
 * pi_binding_new:
 * @exchange: the exchange name
 * @routing_key_pattern: (nullable): the pattern, or %NULL for `#`
 *
 * Creates a binding. Nothing is checked here: call pi_binding_validate()
 * to learn whether a broker would accept it.
 *
 * Returns: (transfer full): a new #PiBinding
 */
PiBinding *
pi_binding_new (const char *exchange,
                const char *routing_key_pattern)
{
  g_return_val_if_fail (exchange != NULL, NULL);

  return g_object_new (PI_TYPE_BINDING,
                       "exchange", exchange,
                       "routing-key-pattern", routing_key_pattern ? routing_key_pattern : "#",
                       NULL);
}

/**
 * pi_binding_new_from_spec:
 * @spec: `EXCHANGE=PATTERN` or `EXCHANGE`
 * @error: return location for a #GError
 *
 * Parses a binding as written on a command line. The text is split at
 * the first `=`: exchange names never contain one (the exchanges we know
 * are made of letters, digits, `-`, `_`, `.`, `/` and `:`), while a
 * pattern may (routing-key words are free text), so everything after the
 * first `=` is the pattern. Without `=` the pattern is `#` (every
 * message). `EXCHANGE=` is the empty pattern, which matches only the empty
 * routing key.
 *
 * The result is validated with pi_binding_validate().
 *
 * Returns: (transfer full) (nullable): a new #PiBinding, or %NULL with
 *   @error set
 */
PiBinding *
pi_binding_new_from_spec (const char  *spec,
                          GError     **error)
{
  g_autoptr(PiBinding) binding = NULL;
  g_autofree char *exchange = NULL;
  const char *equals;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  equals = strchr (spec, '=');
  if (equals != NULL)
    {
      exchange = g_strndup (spec, equals - spec);
      binding = pi_binding_new (exchange, equals + 1);
    }
  else
    {
      binding = pi_binding_new (spec, "#");
    }

  if (!pi_binding_validate (binding, error))
    return NULL;

  return g_steal_pointer (&binding);
}

/**
 * pi_binding_get_exchange:
 * @self: a #PiBinding
 *
 * Returns: the exchange name
 */
const char *
pi_binding_get_exchange (PiBinding *self)
{
  g_return_val_if_fail (PI_IS_BINDING (self), NULL);

  return self->exchange;
}

/**
 * pi_binding_get_routing_key_pattern:
 * @self: a #PiBinding
 *
 * Returns: the routing-key pattern
 */
const char *
pi_binding_get_routing_key_pattern (PiBinding *self)
{
  g_return_val_if_fail (PI_IS_BINDING (self), NULL);

  return self->routing_key_pattern;
}

/**
 * pi_binding_set_exchange:
 * @self: a #PiBinding
 * @exchange: (nullable): the exchange name; %NULL is the empty name
 *
 * Changes the exchange.
 */
void
pi_binding_set_exchange (PiBinding  *self,
                         const char *exchange)
{
  g_return_if_fail (PI_IS_BINDING (self));

  if (exchange == NULL)
    exchange = "";

  if (g_strcmp0 (self->exchange, exchange) == 0)
    return;

  g_free (self->exchange);
  self->exchange = g_strdup (exchange);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXCHANGE]);
}

/**
 * pi_binding_set_routing_key_pattern:
 * @self: a #PiBinding
 * @pattern: (nullable): the pattern; %NULL is `#`
 *
 * Changes the routing-key pattern.
 */
void
pi_binding_set_routing_key_pattern (PiBinding  *self,
                                    const char *pattern)
{
  g_return_if_fail (PI_IS_BINDING (self));

  if (pattern == NULL)
    pattern = "#";

  if (g_strcmp0 (self->routing_key_pattern, pattern) == 0)
    return;

  g_free (self->routing_key_pattern);
  self->routing_key_pattern = g_strdup (pattern);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROUTING_KEY_PATTERN]);
}

/**
 * pi_binding_get_enabled:
 * @self: a #PiBinding
 *
 * Returns: whether the binding is listened to
 */
gboolean
pi_binding_get_enabled (PiBinding *self)
{
  g_return_val_if_fail (PI_IS_BINDING (self), FALSE);

  return self->enabled;
}

/**
 * pi_binding_set_enabled:
 * @self: a #PiBinding
 * @enabled: whether to listen to the binding
 *
 * Turns the binding on or off. pi_binding_equal() ignores this: a binding
 * is the same binding whether it is listened to or not.
 */
void
pi_binding_set_enabled (PiBinding *self,
                        gboolean   enabled)
{
  g_return_if_fail (PI_IS_BINDING (self));

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;

  self->enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

/**
 * pi_binding_equal:
 * @a: a #PiBinding
 * @b: a #PiBinding
 *
 * Returns: whether both bind the same exchange with the same pattern
 */
gboolean
pi_binding_equal (PiBinding *a,
                  PiBinding *b)
{
  g_return_val_if_fail (PI_IS_BINDING (a), FALSE);
  g_return_val_if_fail (PI_IS_BINDING (b), FALSE);

  return g_str_equal (a->exchange, b->exchange) &&
         g_str_equal (a->routing_key_pattern, b->routing_key_pattern);
}

/**
 * pi_binding_validate_exchange:
 * @exchange: an exchange name
 * @error: return location for a #GError
 *
 * Checks an exchange name by the rules a broker applies: not empty, UTF-8
 * text, at most %PI_BINDING_MAX_LENGTH bytes. The message of @error
 * (%PI_BINDING_ERROR_INVALID_EXCHANGE) is meant to be shown as it is.
 *
 * Returns: %TRUE if a broker would accept the name
 */
gboolean
pi_binding_validate_exchange (const char  *exchange,
                              GError     **error)
{
  gsize len;

  g_return_val_if_fail (exchange != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  len = strlen (exchange);

  if (len == 0)
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_EXCHANGE,
                           _("The exchange name is empty: enter the name of a topic exchange, "
                             "such as exchange/taskcluster-queue/v1/task-completed"));
      return FALSE;
    }

  if (len > PI_BINDING_MAX_LENGTH)
    {
      g_set_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_EXCHANGE,
                   _("The exchange name is %u bytes long; a broker accepts at most %d"),
                   (guint) len, PI_BINDING_MAX_LENGTH);
      return FALSE;
    }

  if (!g_utf8_validate (exchange, len, NULL))
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_EXCHANGE,
                           _("The exchange name contains bytes that are not UTF-8 text"));
      return FALSE;
    }

  return TRUE;
}

/**
 * pi_binding_validate_pattern:
 * @pattern: a routing-key pattern
 * @error: return location for a #GError
 *
 * Checks a routing-key pattern by AMQP topic rules: UTF-8 text of at most
 * %PI_BINDING_MAX_LENGTH bytes, words separated by `.`, and the wildcards
 * `*` and `#` only as whole words. Empty words (`a..b`) and the empty
 * pattern (which matches only the empty routing key) are allowed, as a
 * broker allows them. The message of @error
 * (%PI_BINDING_ERROR_INVALID_PATTERN) is meant to be shown as it is.
 *
 * Returns: %TRUE if a broker would accept the pattern
 */
gboolean
pi_binding_validate_pattern (const char  *pattern,
                             GError     **error)
{
  gsize len;
  const char *word;

  g_return_val_if_fail (pattern != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  len = strlen (pattern);

  if (len > PI_BINDING_MAX_LENGTH)
    {
      g_set_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_PATTERN,
                   _("The routing-key pattern is %u bytes long; a broker accepts at most %d"),
                   (guint) len, PI_BINDING_MAX_LENGTH);
      return FALSE;
    }

  if (!g_utf8_validate (pattern, len, NULL))
    {
      g_set_error_literal (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_PATTERN,
                           _("The routing-key pattern contains bytes that are not UTF-8 text"));
      return FALSE;
    }

  word = pattern;
  for (;;)
    {
      const char *end = strchr (word, '.');
      gsize word_len = end ? (gsize) (end - word) : strlen (word);

      /* A wildcard counts only as a whole word; a broker would take
       * "b*" literally, which is never what the person meant.
       */
      if (word_len > 1 &&
          (memchr (word, '*', word_len) != NULL || memchr (word, '#', word_len) != NULL))
        {
          g_autofree char *bad = g_strndup (word, word_len);

          g_set_error (error, PI_BINDING_ERROR, PI_BINDING_ERROR_INVALID_PATTERN,
                       _("“%s” mixes a wildcard with other characters: "
                         "* and # must be whole words between dots"),
                       bad);
          return FALSE;
        }

      if (end == NULL)
        break;
      word = end + 1;
    }

  return TRUE;
}

/**
 * pi_binding_validate:
 * @self: a #PiBinding
 * @error: return location for a #GError
 *
 * Checks the exchange with pi_binding_validate_exchange() and then the
 * pattern with pi_binding_validate_pattern().
 *
 * Returns: %TRUE if a broker would accept the binding
 */
gboolean
pi_binding_validate (PiBinding  *self,
                     GError    **error)
{
  g_return_val_if_fail (PI_IS_BINDING (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return pi_binding_validate_exchange (self->exchange, error) &&
         pi_binding_validate_pattern (self->routing_key_pattern, error);
}
