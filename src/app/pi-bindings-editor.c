/* pi-bindings-editor.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-bindings-editor"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "pi-bindings-editor-private.h"

G_DEFINE_FINAL_TYPE (PiBindingsEditor, pi_bindings_editor, GTK_TYPE_WIDGET)

enum {
  LINK_PASTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
bindings_contain (PiBindingsEditor *self,
                  PiBinding        *binding)
{
  return g_list_store_find_with_equal_func (self->bindings, binding,
                                            (GEqualFunc) pi_binding_equal, NULL);
}

static gboolean
array_contains (GPtrArray *bindings,
                PiBinding *binding)
{
  return g_ptr_array_find_with_equal_func (bindings, binding,
                                           (GEqualFunc) pi_binding_equal, NULL);
}

static void
set_row_error (AdwEntryRow *row,
               gboolean     error)
{
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

/* Validates the draft as it is typed: the row at fault gets the error style,
 * the reason is shown below, and Add is enabled only for a new, valid binding. */
static void
validate_draft (PiBindingsEditor *self)
{
  const char *exchange = gtk_editable_get_text (GTK_EDITABLE (self->exchange_row));
  const char *pattern = gtk_editable_get_text (GTK_EDITABLE (self->pattern_row));
  g_autoptr(GError) exchange_error = NULL;
  g_autoptr(GError) pattern_error = NULL;
  g_autoptr(GString) reason = g_string_new (NULL);
  gboolean exchange_ok;
  gboolean pattern_ok;
  gboolean duplicate = FALSE;

  /* An empty exchange is not an error yet: the user has not typed it. */
  exchange_ok = exchange[0] != '\0' && pi_binding_validate_exchange (exchange, &exchange_error);
  pattern_ok = pi_binding_validate_pattern (pattern, &pattern_error);

  set_row_error (self->exchange_row, exchange_error != NULL);
  set_row_error (self->pattern_row, pattern_error != NULL);

  if (exchange_error != NULL)
    g_string_append (reason, exchange_error->message);
  if (pattern_error != NULL)
    {
      if (reason->len > 0)
        g_string_append_c (reason, '\n');
      g_string_append (reason, pattern_error->message);
    }

  if (exchange_ok && pattern_ok)
    {
      g_autoptr(PiBinding) binding = pi_binding_new (exchange, pattern);

      if ((duplicate = bindings_contain (self, binding)))
        g_string_append (reason, _("This binding is already in the list"));
    }

  gtk_label_set_text (self->error_label, reason->str);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), reason->len > 0);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bindings.add",
                                 exchange_ok && pattern_ok && !duplicate);
}

/* The by-field builder --------------------------------------------------- */

static void
on_field_changed (PiBindingsEditor *self,
                  GtkEditable      *editable)
{
  const PiCatalogExchange *exchange = self->fields_exchange;
  g_autofree const char **values = NULL;
  g_autofree char *pattern = NULL;

  if (exchange == NULL)
    return;

  values = g_new0 (const char *, exchange->n_words + 1);
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      GtkEditable *row = g_ptr_array_index (self->field_rows, i);
      guint word = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "word"));
      const char *text = gtk_editable_get_text (row);

      values[word] = text[0] != '\0' ? text : NULL;
    }

  pattern = pi_catalog_exchange_build_pattern (exchange, values);

  gtk_editable_set_text (GTK_EDITABLE (self->pattern_row), pattern);
}

static void
rebuild_fields (PiBindingsEditor *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->exchange_row));
  const PiCatalogExchange *exchange = pi_catalog_lookup (self->catalog, text);

  if (exchange == self->fields_exchange)
    return;

  for (guint i = 0; i < self->field_rows->len; i++)
    adw_expander_row_remove (self->fields_row, g_ptr_array_index (self->field_rows, i));
  g_ptr_array_set_size (self->field_rows, 0);

  self->fields_exchange = exchange;
  gtk_widget_set_visible (GTK_WIDGET (self->fields_row), exchange != NULL);

  if (exchange == NULL)
    return;

  for (guint i = 0; i < exchange->n_words; i++)
    {
      const PiCatalogWord *word = &exchange->words[i];
      GtkWidget *row;

      /* Constant words ("primary") are written by the builder itself. */
      if (word->constant != NULL)
        continue;

      row = adw_entry_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), word->name);
      adw_entry_row_set_input_hints (ADW_ENTRY_ROW (row), GTK_INPUT_HINT_NO_SPELLCHECK);
      if (word->summary != NULL)
        gtk_widget_set_tooltip_text (row, word->summary);
      g_object_set_data (G_OBJECT (row), "word", GUINT_TO_POINTER (i));
      g_signal_connect_object (row, "changed", G_CALLBACK (on_field_changed), self, G_CONNECT_SWAPPED);
      adw_expander_row_add_row (self->fields_row, row);
      g_ptr_array_add (self->field_rows, row);
    }
}

/* Draft and list ---------------------------------------------------------- */

static gboolean
looks_like_link (const char *text)
{
  return g_str_has_prefix (text, "http://") ||
         g_str_has_prefix (text, "https://") ||
         strstr (text, "bindings=") != NULL;
}

static gboolean
clear_exchange_idle (gpointer user_data)
{
  PiBindingsEditor *self = user_data;

  gtk_editable_set_text (GTK_EDITABLE (self->exchange_row), "");

  return G_SOURCE_REMOVE;
}

static void
on_exchange_changed (PiBindingsEditor *self,
                     GtkEditable      *editable)
{
  const char *text = gtk_editable_get_text (editable);

  if (looks_like_link (text))
    {
      g_autoptr(GPtrArray) bindings = pi_bindings_from_share_link (text, NULL);

      if (bindings != NULL)
        {
          g_autofree char *link = g_strdup (text);

          gtk_popover_popdown (self->completion);
          g_signal_emit (self, signals[LINK_PASTED], 0, link);
          /* Not from inside the entry's own change notification. */
          g_idle_add_full (G_PRIORITY_HIGH_IDLE, clear_exchange_idle,
                           g_object_ref (self), g_object_unref);
          return;
        }
    }

  rebuild_fields (self);
  pi_bindings_editor_update_completion (self);
  validate_draft (self);
}

static void
on_pattern_changed (PiBindingsEditor *self,
                    GtkEditable      *editable)
{
  validate_draft (self);
}

static void
on_entry_activated (PiBindingsEditor *self,
                    AdwEntryRow      *row)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "bindings.add", NULL);
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  PiBindingsEditor *self = PI_BINDINGS_EDITOR (widget);
  g_autoptr(PiBinding) binding = NULL;

  binding = pi_binding_new (gtk_editable_get_text (GTK_EDITABLE (self->exchange_row)),
                            gtk_editable_get_text (GTK_EDITABLE (self->pattern_row)));

  if (!pi_binding_validate (binding, NULL) || !pi_bindings_editor_add (self, binding))
    return;

  /* Start the next draft; keep the exchange, which is often bound again. */
  for (guint i = 0; i < self->field_rows->len; i++)
    gtk_editable_set_text (g_ptr_array_index (self->field_rows, i), "");
  gtk_editable_set_text (GTK_EDITABLE (self->pattern_row), "#");
  validate_draft (self);
}

static void
on_remove_clicked (GtkButton        *button,
                   PiBindingsEditor *self)
{
  PiBinding *binding = g_object_get_data (G_OBJECT (button), "binding");
  guint position;

  if (g_list_store_find (self->bindings, binding, &position))
    pi_bindings_editor_remove (self, position);
}

static GtkWidget *
create_binding_row (gpointer item,
                    gpointer user_data)
{
  PiBindingsEditor *self = user_data;
  PiBinding *binding = item;
  const char *exchange = pi_binding_get_exchange (binding);
  const char *pattern = pi_binding_get_routing_key_pattern (binding);
  const PiCatalogExchange *known = pi_catalog_lookup (self->catalog, exchange);
  g_autofree char *title = g_markup_escape_text (known ? known->short_name : exchange, -1);
  g_autofree char *subtitle = g_markup_escape_text (pattern, -1);
  g_autofree char *tooltip = g_strdup_printf ("%s\n%s", exchange, pattern);
  g_autofree char *remove_label = NULL;
  GtkWidget *row;
  GtkWidget *button;

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_set_tooltip_text (row, tooltip);
  gtk_widget_add_css_class (row, "pi-binding-row");

  button = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Remove Binding"));
  remove_label = g_strdup_printf (_("Remove the binding of %s to %s"), exchange, pattern);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label,
                                  -1);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data_full (G_OBJECT (button), "binding", g_object_ref (binding), g_object_unref);
  g_signal_connect (button, "clicked", G_CALLBACK (on_remove_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  return row;
}

static void
on_bindings_changed (PiBindingsEditor *self)
{
  /* The draft may have become (or stopped being) a duplicate. */
  validate_draft (self);
}

/* GtkWidget --------------------------------------------------------------- */

static void
pi_bindings_editor_measure (GtkWidget      *widget,
                            GtkOrientation  orientation,
                            int             for_size,
                            int            *minimum,
                            int            *natural,
                            int            *minimum_baseline,
                            int            *natural_baseline)
{
  PiBindingsEditor *self = PI_BINDINGS_EDITOR (widget);

  gtk_widget_measure (self->box, orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);
}

static void
pi_bindings_editor_size_allocate (GtkWidget *widget,
                                  int        width,
                                  int        height,
                                  int        baseline)
{
  PiBindingsEditor *self = PI_BINDINGS_EDITOR (widget);

  gtk_widget_allocate (self->box, width, height, baseline, NULL);

  /* The completion follows the exchange entry when the sidebar moves. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->completion)))
    {
      pi_bindings_editor_position_completion (self);
      gtk_popover_present (self->completion);
    }
}

static void
pi_bindings_editor_dispose (GObject *object)
{
  PiBindingsEditor *self = PI_BINDINGS_EDITOR (object);

  if (self->completion != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->completion));

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_BINDINGS_EDITOR);

  g_clear_pointer (&self->field_rows, g_ptr_array_unref);
  g_clear_object (&self->bindings);

  G_OBJECT_CLASS (pi_bindings_editor_parent_class)->dispose (object);
}

static void
pi_bindings_editor_class_init (PiBindingsEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_bindings_editor_dispose;

  widget_class->measure = pi_bindings_editor_measure;
  widget_class->size_allocate = pi_bindings_editor_size_allocate;

  /**
   * PiBindingsEditor::link-pasted:
   * @self: a #PiBindingsEditor
   * @link: a share link the user pasted into the exchange entry
   *
   * The owner imports the link (and may take its server too).
   */
  signals[LINK_PASTED] =
    g_signal_new ("link-pasted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "bindings.add", NULL, add_action);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-bindings-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, box);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, exchange_row);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, pattern_row);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, fields_row);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, add_button);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, list_box);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, completion);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsEditor, completion_list);
  gtk_widget_class_bind_template_callback (widget_class, on_exchange_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_pattern_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);
}

static void
pi_bindings_editor_init (PiBindingsEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->catalog = pi_catalog_get_default ();
  self->bindings = g_list_store_new (PI_TYPE_BINDING);
  self->field_rows = g_ptr_array_new ();

  pi_bindings_editor_init_completion (self);

  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->bindings),
                           create_binding_row, self, NULL);
  g_signal_connect_object (self->bindings, "items-changed",
                           G_CALLBACK (on_bindings_changed), self, G_CONNECT_SWAPPED);

  validate_draft (self);
}

/**
 * pi_bindings_editor_get_model:
 * @self: a #PiBindingsEditor
 *
 * Returns: (transfer none): the bindings, a #GListModel of #PiBinding
 */
GListModel *
pi_bindings_editor_get_model (PiBindingsEditor *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), NULL);

  return G_LIST_MODEL (self->bindings);
}

/**
 * pi_bindings_editor_add:
 * @self: a #PiBindingsEditor
 * @binding: a valid binding
 *
 * Returns: %TRUE if @binding was added, %FALSE if it was in the list already
 */
gboolean
pi_bindings_editor_add (PiBindingsEditor *self,
                        PiBinding        *binding)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), FALSE);
  g_return_val_if_fail (PI_IS_BINDING (binding), FALSE);

  if (bindings_contain (self, binding))
    return FALSE;

  g_list_store_append (self->bindings, binding);

  return TRUE;
}

/**
 * pi_bindings_editor_add_all:
 * @self: a #PiBindingsEditor
 * @bindings: (element-type PiBinding): bindings to add
 *
 * Adds those of @bindings that are not in the list yet, in one change.
 *
 * Returns: how many were added
 */
guint
pi_bindings_editor_add_all (PiBindingsEditor *self,
                            GPtrArray        *bindings)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new ();

  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), 0);
  g_return_val_if_fail (bindings != NULL, 0);

  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);

      if (!bindings_contain (self, binding) && !array_contains (added, binding))
        g_ptr_array_add (added, binding);
    }

  if (added->len > 0)
    g_list_store_splice (self->bindings,
                         g_list_model_get_n_items (G_LIST_MODEL (self->bindings)),
                         0, added->pdata, added->len);

  return added->len;
}

/**
 * pi_bindings_editor_set_bindings:
 * @self: a #PiBindingsEditor
 * @bindings: (element-type PiBinding): the new list
 *
 * Replaces the list in one change, dropping duplicates.
 */
void
pi_bindings_editor_set_bindings (PiBindingsEditor *self,
                                 GPtrArray        *bindings)
{
  g_autoptr(GPtrArray) unique = g_ptr_array_new ();

  g_return_if_fail (PI_IS_BINDINGS_EDITOR (self));
  g_return_if_fail (bindings != NULL);

  for (guint i = 0; i < bindings->len; i++)
    {
      PiBinding *binding = g_ptr_array_index (bindings, i);

      if (!array_contains (unique, binding))
        g_ptr_array_add (unique, binding);
    }

  g_list_store_splice (self->bindings,
                       0, g_list_model_get_n_items (G_LIST_MODEL (self->bindings)),
                       unique->pdata, unique->len);
}

void
pi_bindings_editor_remove (PiBindingsEditor *self,
                           guint             position)
{
  g_return_if_fail (PI_IS_BINDINGS_EDITOR (self));
  g_return_if_fail (position < g_list_model_get_n_items (G_LIST_MODEL (self->bindings)));

  g_list_store_remove (self->bindings, position);
}

/**
 * pi_bindings_editor_get_exchange_entry:
 * @self: a #PiBindingsEditor
 *
 * Returns: (transfer none): the draft's exchange entry
 */
GtkEditable *
pi_bindings_editor_get_exchange_entry (PiBindingsEditor *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), NULL);

  return GTK_EDITABLE (self->exchange_row);
}

/**
 * pi_bindings_editor_get_pattern_entry:
 * @self: a #PiBindingsEditor
 *
 * Returns: (transfer none): the draft's routing-key pattern entry
 */
GtkEditable *
pi_bindings_editor_get_pattern_entry (PiBindingsEditor *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), NULL);

  return GTK_EDITABLE (self->pattern_row);
}

/**
 * pi_bindings_editor_get_add_button:
 * @self: a #PiBindingsEditor
 *
 * Returns: (transfer none): the Add button
 */
GtkWidget *
pi_bindings_editor_get_add_button (PiBindingsEditor *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), NULL);

  return self->add_button;
}

/**
 * pi_bindings_editor_get_error_text:
 * @self: a #PiBindingsEditor
 *
 * Returns: the reason the draft cannot be added, as shown ("" if none)
 */
const char *
pi_bindings_editor_get_error_text (PiBindingsEditor *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), NULL);

  return gtk_label_get_text (self->error_label);
}

/**
 * pi_bindings_editor_get_field_entries:
 * @self: a #PiBindingsEditor
 *
 * Returns: (transfer none) (element-type GtkEditable): the by-field
 *   builder's entries, one per non-constant word of the catalog exchange
 */
GPtrArray *
pi_bindings_editor_get_field_entries (PiBindingsEditor *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), NULL);

  return self->field_rows;
}

/**
 * pi_bindings_editor_get_list:
 * @self: a #PiBindingsEditor
 *
 * Returns: (transfer none): the list box of bindings
 */
GtkListBox *
pi_bindings_editor_get_list (PiBindingsEditor *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), NULL);

  return self->list_box;
}

/**
 * pi_bindings_editor_get_completion:
 * @self: a #PiBindingsEditor
 *
 * Returns: (transfer none): the exchange completion popover
 */
GtkWidget *
pi_bindings_editor_get_completion (PiBindingsEditor *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_EDITOR (self), NULL);

  return GTK_WIDGET (self->completion);
}
