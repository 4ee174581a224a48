/* pi-message-list-columns.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-list"

#include <glib/gi18n.h>

#include "pi-application.h"
#include "pi-binding.h"
#include "pi-catalog.h"
#include "pi-message-cells.h"
#include "pi-message-list-private.h"

/* Which columns the table shows.
 *
 * Every column header has the same menu of columns to show or hide, one
 * stateful action "columns.<id>" each: the columns of the template, and a
 * column for each routing-key word of the catalog (taskId, workerType, …)
 * so that a glance answers "which worker type?"; the words of the
 * exchanges bound to first. A right click is not discoverable: the same
 * menu is the "columns-menu" property, for a button where people look
 * (the window's header bar). The choice is the
 * GSettings key visible-columns, shared by every window. The routing key
 * is always shown: it is the column people read.
 *
 * The routing key takes the room at every width. Where the table is not
 * wide (the "medium" property, set by a breakpoint of the template: a
 * window of 800 to 1024 px, or the sidebar or the details pane beside the
 * list), the number and the routes give it theirs and the exchange narrows
 * (ellipsized, its tooltip says it whole); narrow (the "compact" property:
 * a phone) the time and the redelivered icon go too. The cells leave out
 * the constant first word of the keys (pi-message-cells.c). These are defaults of the layout, not the user's choice:
 * the header menu shows what is shown, and showing a column from it shows
 * it in that layout as well (for as long as the list lives).
 */

typedef struct
{
  const char *id;
  const char *label;
  gboolean    medium_hides;
  gboolean    compact_hides;
} FixedColumn;

static const FixedColumn fixed_columns[] = {
  { "sequence", N_("Number"), TRUE, TRUE },
  { "time", N_("Time"), FALSE, TRUE },
  { "exchange", N_("Exchange"), FALSE, FALSE },
  { "routing-key", NULL, FALSE, FALSE },
  { "routes", N_("Routes"), TRUE, TRUE },
  /* An icon that shows only when true: on a phone, not worth its width. */
  { "redelivered", N_("Redelivered"), FALSE, TRUE },
};

/* The Exchange column's width in each layout: the short names
 * (task-completed, task-exception) whole when wide, ellipsized narrower. */
#define EXCHANGE_WIDTH_WIDE    140
#define EXCHANGE_WIDTH_MEDIUM  120
#define EXCHANGE_WIDTH_COMPACT  96

static const char * const default_visible[] = {
  "sequence", "time", "exchange", "routing-key", "routes", "redelivered", NULL
};

#define WORD_PREFIX "word-"

static const FixedColumn *
find_fixed (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixed_columns); i++)
    if (g_strcmp0 (fixed_columns[i].id, id) == 0)
      return &fixed_columns[i];

  return NULL;
}

/* Hidden by default in the current layout. */
static gboolean
layout_hides (PiMessageList *self,
              const char    *id)
{
  const FixedColumn *fixed = find_fixed (id);

  if (fixed == NULL)
    return FALSE;

  return (self->compact && fixed->compact_hides) ||
         (self->medium && !self->compact && fixed->medium_hides);
}

static gboolean
column_wanted (PiMessageList *self,
               const char    *id)
{
  if (g_strcmp0 (id, "routing-key") == 0)
    return TRUE;

  if (!g_strv_contains ((const char * const *) self->visible_columns, id))
    return FALSE;

  return !layout_hides (self, id) ||
         g_hash_table_contains (self->shown_anyway, id);
}

static int
exchange_width (PiMessageList *self)
{
  if (self->compact)
    return EXCHANGE_WIDTH_COMPACT;
  if (self->medium)
    return EXCHANGE_WIDTH_MEDIUM;
  return EXCHANGE_WIDTH_WIDE;
}

static void
apply_visibility (PiMessageList *self)
{
  GListModel *columns = gtk_column_view_get_columns (self->column_view);
  guint n = g_list_model_get_n_items (columns);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      const char *id = gtk_column_view_column_get_id (column);
      gboolean wanted;

      if (id == NULL)
        continue;

      wanted = column_wanted (self, id);
      if (gtk_column_view_column_get_visible (column) != wanted)
        gtk_column_view_column_set_visible (column, wanted);

      /* Unless the user resized it. */
      if (g_strcmp0 (id, "exchange") == 0 &&
          gtk_column_view_column_get_fixed_width (column) == self->exchange_width)
        {
          self->exchange_width = exchange_width (self);
          gtk_column_view_column_set_fixed_width (column, self->exchange_width);
        }

      /* The menu says what the table shows. */
      if (g_strcmp0 (id, "routing-key") != 0)
        {
          GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->column_actions), id);

          if (action != NULL)
            g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (wanted));
        }
    }
}

static void
load_visible_columns (PiMessageList *self)
{
  g_strfreev (self->visible_columns);

  if (self->settings != NULL)
    self->visible_columns = g_settings_get_strv (self->settings, "visible-columns");
  else if (self->visible_columns == NULL)
    self->visible_columns = g_strdupv ((char **) default_visible);

  apply_visibility (self);
}

static void
on_visible_columns_changed (PiMessageList *self)
{
  load_visible_columns (self);
}

static void
on_column_change_state (GSimpleAction *action,
                        GVariant      *state,
                        gpointer       user_data)
{
  PiMessageList *self = user_data;
  const char *id = g_action_get_name (G_ACTION (action));
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) visible = NULL;
  gboolean show = g_variant_get_boolean (state);

  for (guint i = 0; self->visible_columns[i] != NULL; i++)
    if (g_strcmp0 (self->visible_columns[i], id) != 0)
      g_strv_builder_add (builder, self->visible_columns[i]);
  if (show)
    g_strv_builder_add (builder, id);

  /* Asked for where the layout hides it by default: shown here too. */
  if (show)
    g_hash_table_add (self->shown_anyway, g_strdup (id));
  else
    g_hash_table_remove (self->shown_anyway, id);

  visible = g_strv_builder_end (builder);

  /* The key may not change (a column the layout hid, shown): apply now. */
  if (self->settings != NULL)
    {
      g_settings_set_strv (self->settings, "visible-columns", (const char * const *) visible);
      load_visible_columns (self);
    }
  else
    {
      g_strfreev (self->visible_columns);
      self->visible_columns = g_steal_pointer (&visible);
      apply_visibility (self);
    }
}

static void
add_column_action (PiMessageList *self,
                   const char    *id)
{
  g_autoptr(GSimpleAction) action = NULL;

  action = g_simple_action_new_stateful (id, NULL, g_variant_new_boolean (FALSE));
  g_signal_connect (action, "change-state", G_CALLBACK (on_column_change_state), self);
  g_action_map_add_action (G_ACTION_MAP (self->column_actions), G_ACTION (action));
}

/* Adds the words of @exchange that @names lacks, in the exchange's order;
 * not the constant words ("primary") nor the ones kept for later
 * ("reserved"). */
static void
add_exchange_words (const PiCatalogExchange *exchange,
                    GPtrArray               *names)
{
  for (guint j = 0; j < exchange->n_words; j++)
    {
      const PiCatalogWord *word = &exchange->words[j];

      if (word->constant != NULL || g_strcmp0 (word->name, "reserved") == 0)
        continue;
      if (!g_ptr_array_find_with_equal_func (names, word->name, g_str_equal, NULL))
        g_ptr_array_add (names, (gpointer) word->name);
    }
}

static void
add_word_columns (PiMessageList *self)
{
  PiCatalog *catalog = pi_catalog_get_default ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint position;

  /* Every word the catalog names, once, in the catalog's order. */
  for (guint i = 0; i < pi_catalog_get_n_exchanges (catalog); i++)
    add_exchange_words (pi_catalog_get_exchange (catalog, i), names);

  /* After the routing key, whose parts they are. */
  position = 4;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *id = g_strconcat (WORD_PREFIX, name, NULL);
      g_autoptr(GtkColumnViewColumn) column = NULL;

      column = gtk_column_view_column_new (name, pi_message_cells_new_word_factory (name));
      gtk_column_view_column_set_id (column, id);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_fixed_width (column, 170);
      gtk_column_view_column_set_visible (column, FALSE);
      gtk_column_view_insert_column (self->column_view, position++, column);
      g_ptr_array_add (self->word_columns, g_object_ref (column));

      add_column_action (self, id);
    }
}

static void
append_word_item (GMenu      *menu,
                  const char *name)
{
  g_autofree char *detailed = g_strconcat ("columns." WORD_PREFIX, name, NULL);

  g_menu_append (menu, name, detailed);
}

/* The menu's routing-key words: those of the exchanges the user is bound
 * to first, in a section of their own (what "which worker type?" needs is
 * one click away), and every other word of the catalog in a submenu. With
 * no binding to an exchange the catalog knows, all of them are in the
 * submenu. The menu is changed in place: the header menus and the Columns
 * button share it. */
static void
update_words_menu (PiMessageList *self)
{
  PiCatalog *catalog = pi_catalog_get_default ();
  g_autoptr(GPtrArray) bound = g_ptr_array_new ();
  g_autoptr(GMenu) bound_section = g_menu_new ();
  g_autoptr(GMenu) others = g_menu_new ();
  guint n = self->bindings ? g_list_model_get_n_items (self->bindings) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PiBinding) binding = g_list_model_get_item (self->bindings, i);
      const PiCatalogExchange *exchange = pi_catalog_lookup (catalog, pi_binding_get_exchange (binding));

      if (exchange != NULL)
        add_exchange_words (exchange, bound);
    }

  for (guint i = 0; i < self->word_columns->len; i++)
    {
      const char *name = gtk_column_view_column_get_title (g_ptr_array_index (self->word_columns, i));

      if (!g_ptr_array_find_with_equal_func (bound, name, g_str_equal, NULL))
        append_word_item (others, name);
    }
  for (guint i = 0; i < bound->len; i++)
    append_word_item (bound_section, g_ptr_array_index (bound, i));

  /* Item 0 is the section of the table's own columns. */
  while (g_menu_model_get_n_items (G_MENU_MODEL (self->columns_menu)) > 1)
    g_menu_remove (self->columns_menu, 1);

  if (bound->len > 0)
    {
      g_menu_append_section (self->columns_menu, _("Routing Key Words"), G_MENU_MODEL (bound_section));
      if (g_menu_model_get_n_items (G_MENU_MODEL (others)) > 0)
        g_menu_append_submenu (self->columns_menu, _("Other Routing Key Words"), G_MENU_MODEL (others));
    }
  else if (g_menu_model_get_n_items (G_MENU_MODEL (others)) > 0)
    g_menu_append_submenu (self->columns_menu, _("Routing Key Words"), G_MENU_MODEL (others));
}

static void
on_bindings_changed (PiMessageList *self,
                     guint          position,
                     guint          removed,
                     guint          added,
                     GListModel    *bindings)
{
  update_words_menu (self);
}

void
_pi_message_list_set_bindings (PiMessageList *self,
                               GListModel    *bindings)
{
  if (self->bindings == bindings)
    return;

  if (self->bindings != NULL)
    g_signal_handlers_disconnect_by_func (self->bindings, on_bindings_changed, self);
  g_set_object (&self->bindings, bindings);
  if (bindings != NULL)
    g_signal_connect_object (bindings, "items-changed",
                             G_CALLBACK (on_bindings_changed), self,
                             G_CONNECT_SWAPPED);

  update_words_menu (self);
}

void
_pi_message_list_columns_init (PiMessageList *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GMenu) section = g_menu_new ();
  GListModel *columns;

  self->column_actions = g_simple_action_group_new ();
  self->columns_menu = g_menu_new ();
  self->word_columns = g_ptr_array_new_with_free_func (g_object_unref);
  self->shown_anyway = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->exchange_width = EXCHANGE_WIDTH_WIDE;

  for (guint i = 0; i < G_N_ELEMENTS (fixed_columns); i++)
    {
      g_autofree char *detailed = NULL;

      if (fixed_columns[i].label == NULL)
        continue;

      add_column_action (self, fixed_columns[i].id);
      detailed = g_strconcat ("columns.", fixed_columns[i].id, NULL);
      g_menu_append (section, _(fixed_columns[i].label), detailed);
    }

  g_menu_append_section (self->columns_menu, _("Columns"), G_MENU_MODEL (section));
  add_word_columns (self);
  update_words_menu (self);

  gtk_widget_insert_action_group (GTK_WIDGET (self), "columns", G_ACTION_GROUP (self->column_actions));

  columns = gtk_column_view_get_columns (self->column_view);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      gtk_column_view_column_set_header_menu (column, G_MENU_MODEL (self->columns_menu));
    }

  /* Tests and the benchmark may run without the schema installed. */
  if (source != NULL &&
      (schema = g_settings_schema_source_lookup (source, PI_SETTINGS_SCHEMA_ID, TRUE)) != NULL &&
      g_settings_schema_has_key (schema, "visible-columns"))
    {
      self->settings = g_settings_new_full (schema, NULL, NULL);
      g_signal_connect_object (self->settings, "changed::visible-columns",
                               G_CALLBACK (on_visible_columns_changed), self,
                               G_CONNECT_SWAPPED);
    }

  load_visible_columns (self);
}

void
_pi_message_list_columns_dispose (PiMessageList *self)
{
  if (self->column_actions != NULL)
    {
      gchar **names = g_action_group_list_actions (G_ACTION_GROUP (self->column_actions));

      for (guint i = 0; names[i] != NULL; i++)
        {
          GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->column_actions), names[i]);

          g_signal_handlers_disconnect_by_data (action, self);
        }
      g_strfreev (names);
    }

  if (self->bindings != NULL)
    g_signal_handlers_disconnect_by_func (self->bindings, on_bindings_changed, self);
  g_clear_object (&self->bindings);
  g_clear_object (&self->settings);
  g_clear_object (&self->column_actions);
  g_clear_object (&self->columns_menu);
  g_clear_pointer (&self->word_columns, g_ptr_array_unref);
  g_clear_pointer (&self->visible_columns, g_strfreev);
  g_clear_pointer (&self->shown_anyway, g_hash_table_unref);
}

void
_pi_message_list_set_compact (PiMessageList *self,
                              gboolean       compact)
{
  compact = !!compact;
  if (self->compact == compact)
    return;

  self->compact = compact;
  if (self->visible_columns != NULL)
    apply_visibility (self);
}

void
_pi_message_list_set_medium (PiMessageList *self,
                             gboolean       medium)
{
  medium = !!medium;
  if (self->medium == medium)
    return;

  self->medium = medium;
  if (self->visible_columns != NULL)
    apply_visibility (self);
}
