/* pi-message-fields.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-fields"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pi-catalog.h"
#include "pi-message-fields.h"

/* The Fields page of the details: what the envelope of a message says, as
 * property rows (a name above its value, the value selectable), and its
 * routing key split into words named as the exchange's catalog entry names
 * them. Rows are made for the message shown, a dozen or so. */
struct _PiMessageFields
{
  GtkWidget            parent_instance;

  /* Owned (the page is our child) */
  AdwPreferencesPage  *page;
  AdwPreferencesGroup *message_group;
  AdwPreferencesGroup *words_group;
  PiMessage           *message;
  /* Rows are kept and reused from message to message (making a dozen
   * AdwActionRows took ~45 ms, too slow for walking the list with the
   * arrow keys); rows past those a message needs are hidden. */
  GPtrArray           *word_rows;     /* of AdwActionRow, owned by words_group */
  GPtrArray           *message_rows;  /* of AdwActionRow, owned by message_group */
  guint                n_word_rows;
  guint                n_message_rows;
};

G_DEFINE_FINAL_TYPE (PiMessageFields, pi_message_fields, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_row (AdwPreferencesGroup *group,
         GPtrArray           *rows,
         guint               *n_used,
         const char          *name,
         const char          *value,
         const char          *tooltip,
         gboolean             monospace)
{
  gboolean empty = value == NULL || *value == '\0';
  GtkWidget *row;

  if (*n_used < rows->len)
    {
      row = g_ptr_array_index (rows, *n_used);
    }
  else
    {
      /* Titles and values are text, not markup: routing keys and routes
       * hold whatever publishers put there. */
      row = g_object_new (ADW_TYPE_ACTION_ROW,
                          "use-markup", FALSE,
                          "subtitle-selectable", TRUE,
                          NULL);
      gtk_widget_add_css_class (row, "property");
      adw_preferences_group_add (group, row);
      g_ptr_array_add (rows, row);
    }
  (*n_used)++;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), empty ? "—" : value);
  gtk_widget_set_tooltip_text (row, tooltip);
  if (monospace && !empty)
    gtk_widget_add_css_class (row, "pi-monospace-value");
  else
    gtk_widget_remove_css_class (row, "pi-monospace-value");
  gtk_widget_set_visible (row, TRUE);
}

static void
hide_unused_rows (GPtrArray *rows,
                  guint      n_used)
{
  for (guint i = n_used; i < rows->len; i++)
    gtk_widget_set_visible (g_ptr_array_index (rows, i), FALSE);
}

static AdwPreferencesGroup *
add_group (PiMessageFields *self,
           const char      *title)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_group_set_title (group, title);
  adw_preferences_page_add (self->page, group);

  return group;
}

static void
add_routing_key_words (PiMessageFields *self,
                       const char      *exchange,
                       const char      *routing_key)
{
  const PiCatalogExchange *info = NULL;
  g_autoptr(GArray) named = NULL;

  if (exchange != NULL && *exchange != '\0')
    info = pi_catalog_lookup (pi_catalog_get_default (), exchange);

  /* NULL too when the key does not have the exchange's shape. */
  if (info != NULL)
    named = pi_catalog_exchange_name_words (info, routing_key);

  if (named != NULL)
    {
      adw_preferences_group_set_description (self->words_group, info->title);

      for (guint i = 0; i < named->len; i++)
        {
          const PiCatalogNamedWord *word = &g_array_index (named, PiCatalogNamedWord, i);

          set_row (self->words_group, self->word_rows, &self->n_word_rows,
                   word->word->name, word->value, word->word->summary, TRUE);
        }
    }
  else
    {
      g_auto(GStrv) words = g_strsplit (routing_key, ".", -1);

      /* An exchange we know nothing about: the words by position. */
      adw_preferences_group_set_description (self->words_group, NULL);
      for (guint i = 0; words[i] != NULL; i++)
        {
          g_autofree char *name = g_strdup_printf (_("Word %u"), i + 1);

          set_row (self->words_group, self->word_rows, &self->n_word_rows,
                   name, words[i], NULL, TRUE);
        }
    }
}

static void
update (PiMessageFields *self)
{
  PiMessage *message = self->message;
  const char * const *routes;
  const char *exchange;
  const char *routing_key;
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *routes_text = NULL;
  g_autofree char *time_text = NULL;
  g_autofree char *size_text = NULL;
  g_autofree char *size_human = NULL;
  gint64 usec;
  gsize size;

  self->n_word_rows = 0;
  self->n_message_rows = 0;

  if (message == NULL ||
      pi_message_get_kind (message) == PI_MESSAGE_KIND_GAP ||
      pi_message_get_kind (message) == PI_MESSAGE_KIND_DROPPED ||
      pi_message_get_kind (message) == PI_MESSAGE_KIND_SWITCH)
    {
      hide_unused_rows (self->word_rows, 0);
      hide_unused_rows (self->message_rows, 0);
      gtk_widget_set_visible (GTK_WIDGET (self->words_group), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->message_group), FALSE);
      return;
    }

  routes = pi_message_get_routes (message);
  exchange = pi_message_get_exchange (message);
  routing_key = pi_message_get_routing_key (message);

  set_row (self->message_group, self->message_rows, &self->n_message_rows, _("Exchange"), exchange, NULL, FALSE);
  set_row (self->message_group, self->message_rows, &self->n_message_rows, _("Routing Key"), routing_key, NULL, TRUE);

  if (routes != NULL && routes[0] != NULL)
    routes_text = g_strjoinv ("\n", (char **)routes);
  set_row (self->message_group, self->message_rows, &self->n_message_rows, _("Routes"), routes_text, NULL, TRUE);

  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED)
    set_row (self->message_group, self->message_rows, &self->n_message_rows, _("Redelivered"),
             pi_message_get_redelivered (message) ? _("Yes") : _("No"), NULL, FALSE);

  usec = pi_message_get_time_received (message);
  if ((dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC)))
    {
      g_autofree char *base = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");

      time_text = g_strdup_printf ("%s.%03d", base, (int)((usec % G_USEC_PER_SEC) / 1000));
    }
  set_row (self->message_group, self->message_rows, &self->n_message_rows, _("Received"), time_text, NULL, FALSE);

  size = pi_message_get_size (message);
  size_human = g_format_size (size);
  /* Translators: a message's size, "1.1 kB (1,134 bytes)" */
  size_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (%zu byte)", "%s (%zu bytes)", size),
                               size_human, size);
  set_row (self->message_group, self->message_rows, &self->n_message_rows, _("Size"), size_text, NULL, FALSE);

  if (routing_key != NULL && *routing_key != '\0')
    add_routing_key_words (self, exchange, routing_key);

  hide_unused_rows (self->word_rows, self->n_word_rows);
  hide_unused_rows (self->message_rows, self->n_message_rows);
  gtk_widget_set_visible (GTK_WIDGET (self->words_group), self->n_word_rows > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->message_group), TRUE);
}

static void
pi_message_fields_dispose (GObject *object)
{
  PiMessageFields *self = (PiMessageFields *)object;

  g_clear_pointer ((GtkWidget **)&self->page, gtk_widget_unparent);
  self->message_group = NULL;
  self->words_group = NULL;
  g_clear_object (&self->message);
  if (self->word_rows != NULL)
    g_ptr_array_set_size (self->word_rows, 0);
  if (self->message_rows != NULL)
    g_ptr_array_set_size (self->message_rows, 0);

  G_OBJECT_CLASS (pi_message_fields_parent_class)->dispose (object);
}

static void
pi_message_fields_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PiMessageFields *self = PI_MESSAGE_FIELDS (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_fields_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PiMessageFields *self = PI_MESSAGE_FIELDS (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      pi_message_fields_set_message (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_fields_finalize (GObject *object)
{
  PiMessageFields *self = (PiMessageFields *)object;

  g_clear_pointer (&self->word_rows, g_ptr_array_unref);
  g_clear_pointer (&self->message_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (pi_message_fields_parent_class)->finalize (object);
}

static void
pi_message_fields_class_init (PiMessageFieldsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_message_fields_dispose;
  object_class->finalize = pi_message_fields_finalize;
  object_class->get_property = pi_message_fields_get_property;
  object_class->set_property = pi_message_fields_set_property;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL,
                         PI_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pimessagefields");
}

static void
pi_message_fields_init (PiMessageFields *self)
{
  self->word_rows = g_ptr_array_new ();
  self->message_rows = g_ptr_array_new ();
  self->page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  gtk_widget_set_parent (GTK_WIDGET (self->page), GTK_WIDGET (self));

  /* The words first: "which worker type?" is what people look for. */
  self->words_group = add_group (self, _("Routing Key Words"));
  self->message_group = add_group (self, _("Message"));

  update (self);
}

GtkWidget *
pi_message_fields_new (void)
{
  return g_object_new (PI_TYPE_MESSAGE_FIELDS, NULL);
}

/**
 * pi_message_fields_get_message:
 *
 * Returns: (transfer none) (nullable): the message shown
 */
PiMessage *
pi_message_fields_get_message (PiMessageFields *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_FIELDS (self), NULL);

  return self->message;
}

void
pi_message_fields_set_message (PiMessageFields *self,
                               PiMessage       *message)
{
  g_return_if_fail (PI_IS_MESSAGE_FIELDS (self));
  g_return_if_fail (!message || PI_IS_MESSAGE (message));

  if (!g_set_object (&self->message, message))
    return;

  update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

/**
 * pi_message_fields_get_field:
 * @name: a field's name, like "Exchange" or "taskId"
 *
 * Returns: (nullable): the text shown as @name's value ("—" for none)
 */
const char *
pi_message_fields_get_field (PiMessageFields *self,
                             const char      *name)
{
  g_return_val_if_fail (PI_IS_MESSAGE_FIELDS (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->word_rows->len + self->message_rows->len; i++)
    {
      AdwActionRow *row = i < self->word_rows->len ? g_ptr_array_index (self->word_rows, i)
                                                   : g_ptr_array_index (self->message_rows, i - self->word_rows->len);

      if (gtk_widget_get_visible (GTK_WIDGET (row)) &&
          g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), name) == 0)
        return adw_action_row_get_subtitle (row);
    }

  return NULL;
}
