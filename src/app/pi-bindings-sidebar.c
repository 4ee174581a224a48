/* pi-bindings-sidebar.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-bindings-sidebar"

#include <glib/gi18n.h>

#include "pi-add-binding-dialog.h"
#include "pi-application.h"
#include "pi-bindings-sidebar.h"
#include "pi-catalog.h"

/**
 * PiBindingsSidebar:
 *
 * The bindings the window listens to, one row each: the exchange's short
 * name, the pattern, a switch to listen or not, and a remove button whose
 * removal can be undone from a toast. A new binding comes from the add
 * dialog ("bindings.add"). Errors the server reports for one binding are
 * shown on its row.
 *
 * Which bindings are switched off is remembered in the `disabled-bindings`
 * setting; the list itself is the window's to save (the `bindings` key).
 */
struct _PiBindingsSidebar
{
  GtkWidget        parent_instance;

  /* Template widgets */
  GtkStack        *stack;
  AdwStatusPage   *empty_state;
  gboolean         empty_told_elsewhere;
  GtkListBox      *list_box;

  /* Owned */
  GListStore      *bindings;
  GSettings       *settings;

  /* Borrowed */
  PiCatalog       *catalog;
  AdwToastOverlay *toast_overlay;  /* weak */
};

G_DEFINE_FINAL_TYPE (PiBindingsSidebar, pi_bindings_sidebar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TOAST_OVERLAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  LINK_PASTED,
  ENABLED_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A binding's error text, as last reported (qdata on the binding). */
static GQuark error_quark;

static gboolean
array_contains (GPtrArray *bindings,
                PiBinding *binding)
{
  return g_ptr_array_find_with_equal_func (bindings, binding,
                                           (GEqualFunc) pi_binding_equal, NULL);
}

static gboolean
bindings_contain (PiBindingsSidebar *self,
                  PiBinding         *binding)
{
  return g_list_store_find_with_equal_func (self->bindings, binding,
                                            (GEqualFunc) pi_binding_equal, NULL);
}

/* Persisting the switches ------------------------------------------------- */

static void
save_disabled (PiBindingsSidebar *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->bindings));
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ss)"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PiBinding) binding = g_list_model_get_item (G_LIST_MODEL (self->bindings), i);

      if (!pi_binding_get_enabled (binding))
        g_variant_builder_add (&builder, "(ss)",
                               pi_binding_get_exchange (binding),
                               pi_binding_get_routing_key_pattern (binding));
    }

  g_settings_set_value (self->settings, "disabled-bindings", g_variant_builder_end (&builder));
}

static void
apply_disabled (PiBindingsSidebar *self,
                GPtrArray         *bindings)
{
  g_autoptr(GVariant) value = g_settings_get_value (self->settings, "disabled-bindings");
  GVariantIter iter;
  const char *exchange;
  const char *pattern;

  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&s&s)", &exchange, &pattern))
    {
      g_autoptr(PiBinding) off = pi_binding_new (exchange, pattern);
      guint index;

      if (g_ptr_array_find_with_equal_func (bindings, off, (GEqualFunc) pi_binding_equal, &index))
        pi_binding_set_enabled (g_ptr_array_index (bindings, index), FALSE);
    }
}

/* Rows ----------------------------------------------------------------------- */

static void
update_row (PiBindingsSidebar *self,
            GtkWidget         *row)
{
  PiBinding *binding = g_object_get_data (G_OBJECT (row), "binding");
  GtkWidget *error_icon = g_object_get_data (G_OBJECT (row), "error-icon");
  const char *error = g_object_get_qdata (G_OBJECT (binding), error_quark);
  const char *exchange = pi_binding_get_exchange (binding);
  const char *pattern = pi_binding_get_routing_key_pattern (binding);
  g_autofree char *subtitle = NULL;
  g_autofree char *tooltip = NULL;

  /* The pattern in monospace; a reported error as a second line. */
  if (error != NULL)
    {
      subtitle = g_markup_printf_escaped ("<tt>%s</tt>\n%s", pattern, error);
      tooltip = g_strdup_printf ("%s\n%s\n%s", exchange, pattern, error);
    }
  else
    {
      subtitle = g_markup_printf_escaped ("<tt>%s</tt>", pattern);
      tooltip = g_strdup_printf ("%s\n%s", exchange, pattern);
    }

  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, tooltip);
  gtk_widget_set_visible (error_icon, error != NULL);
  gtk_widget_set_tooltip_text (error_icon, error);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, error ? error : "",
                                  -1);
}

static GtkWidget *
find_row (PiBindingsSidebar *self,
          PiBinding         *binding)
{
  guint position;

  if (!g_list_store_find (self->bindings, binding, &position))
    return NULL;

  return GTK_WIDGET (gtk_list_box_get_row_at_index (self->list_box, position));
}

typedef struct
{
  GWeakRef   sidebar;
  PiBinding *binding;
  guint      position;
} Removal;

static void
removal_free (gpointer data)
{
  Removal *removal = data;

  g_weak_ref_clear (&removal->sidebar);
  g_clear_object (&removal->binding);
  g_free (removal);
}

static void
on_undo_clicked (AdwToast *toast,
                 Removal  *removal)
{
  g_autoptr(PiBindingsSidebar) self = g_weak_ref_get (&removal->sidebar);
  guint n;

  if (self == NULL || bindings_contain (self, removal->binding))
    return;

  /* Back where it was, unless the list got shorter meanwhile. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->bindings));
  g_list_store_insert (self->bindings, MIN (removal->position, n), removal->binding);
}

static AdwToastOverlay *
get_toast_overlay (PiBindingsSidebar *self)
{
  if (self->toast_overlay != NULL)
    return self->toast_overlay;

  return ADW_TOAST_OVERLAY (gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY));
}

static void
remove_with_undo (PiBindingsSidebar *self,
                  guint              position)
{
  g_autoptr(PiBinding) binding = g_list_model_get_item (G_LIST_MODEL (self->bindings), position);
  const PiCatalogExchange *known = pi_catalog_lookup (self->catalog, pi_binding_get_exchange (binding));
  AdwToastOverlay *overlay = get_toast_overlay (self);
  g_autofree char *title = NULL;
  Removal *removal;
  AdwToast *toast;

  g_list_store_remove (self->bindings, position);

  if (overlay == NULL)
    return;

  title = g_strdup_printf (_("Removed “%s”"),
                           known ? known->short_name : pi_binding_get_exchange (binding));
  toast = adw_toast_new (title);
  adw_toast_set_use_markup (toast, FALSE);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);

  removal = g_new0 (Removal, 1);
  g_weak_ref_init (&removal->sidebar, self);
  removal->binding = g_object_ref (binding);
  removal->position = position;
  g_signal_connect_data (toast, "button-clicked", G_CALLBACK (on_undo_clicked),
                         removal, (GClosureNotify) (void (*) (void)) removal_free, 0);

  adw_toast_overlay_add_toast (overlay, toast);
}

static void
on_remove_clicked (GtkButton         *button,
                   PiBindingsSidebar *self)
{
  PiBinding *binding = g_object_get_data (G_OBJECT (button), "binding");
  guint position;

  if (g_list_store_find (self->bindings, binding, &position))
    remove_with_undo (self, position);
}

static void
on_switch_active (GtkSwitch         *widget,
                  GParamSpec        *pspec,
                  PiBindingsSidebar *self)
{
  PiBinding *binding = g_object_get_data (G_OBJECT (widget), "binding");

  /* The property binding has set the binding already. */
  save_disabled (self);
  g_signal_emit (self, signals[ENABLED_CHANGED], 0, binding);
}

static GtkWidget *
create_binding_row (gpointer item,
                    gpointer user_data)
{
  PiBindingsSidebar *self = user_data;
  PiBinding *binding = item;
  const char *exchange = pi_binding_get_exchange (binding);
  const char *pattern = pi_binding_get_routing_key_pattern (binding);
  const PiCatalogExchange *known = pi_catalog_lookup (self->catalog, exchange);
  g_autofree char *remove_label = NULL;
  g_autofree char *switch_label = NULL;
  GtkWidget *row;
  GtkWidget *error_icon;
  GtkWidget *toggle;
  GtkWidget *button;

  row = adw_action_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), TRUE);
  {
    g_autofree char *title = g_markup_escape_text (known ? known->short_name : exchange, -1);

    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  }
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_add_css_class (row, "pi-binding-row");
  g_object_set_data_full (G_OBJECT (row), "binding", g_object_ref (binding), g_object_unref);

  error_icon = gtk_image_new_from_icon_name ("dialog-error-symbolic");
  gtk_widget_add_css_class (error_icon, "error");
  gtk_widget_set_visible (error_icon, FALSE);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), error_icon);
  g_object_set_data (G_OBJECT (row), "error-icon", error_icon);

  toggle = gtk_switch_new ();
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  switch_label = g_strdup_printf (_("Listen to %s with %s"), exchange, pattern);
  gtk_accessible_update_property (GTK_ACCESSIBLE (toggle),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, switch_label,
                                  -1);
  gtk_widget_set_tooltip_text (toggle, _("Listen to This Binding"));
  g_object_set_data_full (G_OBJECT (toggle), "binding", g_object_ref (binding), g_object_unref);
  g_object_bind_property (binding, "enabled", toggle, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_object (toggle, "notify::active", G_CALLBACK (on_switch_active), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);

  button = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Remove Binding"));
  remove_label = g_strdup_printf (_("Remove the binding of %s to %s"), exchange, pattern);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label,
                                  -1);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data_full (G_OBJECT (button), "binding", g_object_ref (binding), g_object_unref);
  g_signal_connect_object (button, "clicked", G_CALLBACK (on_remove_clicked), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  update_row (self, row);

  return row;
}

static void
update_page (PiBindingsSidebar *self)
{
  const char *page = "list";

  if (g_list_model_get_n_items (G_LIST_MODEL (self->bindings)) == 0)
    page = self->empty_told_elsewhere ? "blank" : "empty";
  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
on_bindings_changed (PiBindingsSidebar *self)
{
  update_page (self);
  save_disabled (self);
}

/* The add dialog ------------------------------------------------------------ */

static void
on_dialog_add (PiBindingsSidebar  *self,
               PiBinding          *binding,
               PiAddBindingDialog *dialog)
{
  pi_bindings_sidebar_add (self, binding);
}

static void
on_dialog_link_pasted (PiBindingsSidebar  *self,
                       const char         *link,
                       PiAddBindingDialog *dialog)
{
  g_signal_emit (self, signals[LINK_PASTED], 0, link);
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  pi_bindings_sidebar_show_add_dialog (PI_BINDINGS_SIDEBAR (widget));
}

/* GObject -------------------------------------------------------------------- */

static void
pi_bindings_sidebar_dispose (GObject *object)
{
  PiBindingsSidebar *self = PI_BINDINGS_SIDEBAR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_BINDINGS_SIDEBAR);

  g_clear_weak_pointer (&self->toast_overlay);
  g_clear_object (&self->bindings);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pi_bindings_sidebar_parent_class)->dispose (object);
}

static void
pi_bindings_sidebar_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  PiBindingsSidebar *self = PI_BINDINGS_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_TOAST_OVERLAY:
      g_value_set_object (value, self->toast_overlay);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_bindings_sidebar_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  PiBindingsSidebar *self = PI_BINDINGS_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_TOAST_OVERLAY:
      if (g_set_weak_pointer (&self->toast_overlay, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_bindings_sidebar_class_init (PiBindingsSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_bindings_sidebar_dispose;
  object_class->get_property = pi_bindings_sidebar_get_property;
  object_class->set_property = pi_bindings_sidebar_set_property;

  error_quark = g_quark_from_static_string ("pi-bindings-sidebar-error");

  /**
   * PiBindingsSidebar:toast-overlay:
   *
   * Where the "Removed … Undo" toasts go; without one, the nearest
   * #AdwToastOverlay around the sidebar.
   */
  properties[PROP_TOAST_OVERLAY] =
    g_param_spec_object ("toast-overlay", NULL, NULL,
                         ADW_TYPE_TOAST_OVERLAY,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PiBindingsSidebar::link-pasted:
   * @self: a #PiBindingsSidebar
   * @link: a share link the user pasted into the add dialog's exchange entry
   *
   * The owner imports the link (and may take its server too).
   */
  signals[LINK_PASTED] =
    g_signal_new ("link-pasted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * PiBindingsSidebar::enabled-changed:
   * @self: a #PiBindingsSidebar
   * @binding: the binding switched on or off
   *
   * The set of bindings to listen to changed without the list changing:
   * the owner subscribes again.
   */
  signals[ENABLED_CHANGED] =
    g_signal_new ("enabled-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, PI_TYPE_BINDING);

  gtk_widget_class_install_action (widget_class, "bindings.add", NULL, add_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-bindings-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, PiBindingsSidebar, stack);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsSidebar, empty_state);
  gtk_widget_class_bind_template_child (widget_class, PiBindingsSidebar, list_box);
}

static void
pi_bindings_sidebar_init (PiBindingsSidebar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->catalog = pi_catalog_get_default ();
  self->bindings = g_list_store_new (PI_TYPE_BINDING);
  self->settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);

  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->bindings),
                           create_binding_row, self, NULL);
  g_signal_connect_object (self->bindings, "items-changed",
                           G_CALLBACK (on_bindings_changed), self, G_CONNECT_SWAPPED);

  update_page (self);
}

/**
 * pi_bindings_sidebar_get_model:
 * @self: a #PiBindingsSidebar
 *
 * All bindings, switched on or not; pi_binding_get_enabled() tells which
 * to listen to.
 *
 * Returns: (transfer none): the bindings, a #GListModel of #PiBinding
 */
GListModel *
pi_bindings_sidebar_get_model (PiBindingsSidebar *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_SIDEBAR (self), NULL);

  return G_LIST_MODEL (self->bindings);
}

/**
 * pi_bindings_sidebar_add:
 * @self: a #PiBindingsSidebar
 * @binding: a valid binding
 *
 * Returns: %TRUE if @binding was added, %FALSE if it was in the list already
 */
gboolean
pi_bindings_sidebar_add (PiBindingsSidebar *self,
                         PiBinding         *binding)
{
  g_return_val_if_fail (PI_IS_BINDINGS_SIDEBAR (self), FALSE);
  g_return_val_if_fail (PI_IS_BINDING (binding), FALSE);

  if (bindings_contain (self, binding))
    return FALSE;

  g_list_store_append (self->bindings, binding);

  return TRUE;
}

/**
 * pi_bindings_sidebar_add_all:
 * @self: a #PiBindingsSidebar
 * @bindings: (element-type PiBinding): bindings to add
 *
 * Adds those of @bindings that are not in the list yet, in one change.
 *
 * Returns: how many were added
 */
guint
pi_bindings_sidebar_add_all (PiBindingsSidebar *self,
                             GPtrArray         *bindings)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new ();

  g_return_val_if_fail (PI_IS_BINDINGS_SIDEBAR (self), 0);
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
 * pi_bindings_sidebar_set_bindings:
 * @self: a #PiBindingsSidebar
 * @bindings: (element-type PiBinding): the new list
 *
 * Replaces the list in one change, dropping duplicates.
 */
void
pi_bindings_sidebar_set_bindings (PiBindingsSidebar *self,
                                  GPtrArray         *bindings)
{
  g_autoptr(GPtrArray) unique = g_ptr_array_new ();

  g_return_if_fail (PI_IS_BINDINGS_SIDEBAR (self));
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

/**
 * pi_bindings_sidebar_restore_bindings:
 * @self: a #PiBindingsSidebar
 * @bindings: (element-type PiBinding): the saved list
 *
 * Like pi_bindings_sidebar_set_bindings(), for the list saved at the last
 * run: those switched off then (the `disabled-bindings` setting) are
 * switched off again.
 */
void
pi_bindings_sidebar_restore_bindings (PiBindingsSidebar *self,
                                      GPtrArray         *bindings)
{
  g_return_if_fail (PI_IS_BINDINGS_SIDEBAR (self));
  g_return_if_fail (bindings != NULL);

  apply_disabled (self, bindings);
  pi_bindings_sidebar_set_bindings (self, bindings);
}

/**
 * pi_bindings_sidebar_remove:
 * @self: a #PiBindingsSidebar
 * @position: the binding's position in the list
 *
 * Removes a binding (without the undo toast the remove button offers).
 */
void
pi_bindings_sidebar_remove (PiBindingsSidebar *self,
                            guint              position)
{
  g_return_if_fail (PI_IS_BINDINGS_SIDEBAR (self));
  g_return_if_fail (position < g_list_model_get_n_items (G_LIST_MODEL (self->bindings)));

  g_list_store_remove (self->bindings, position);
}

/**
 * pi_bindings_sidebar_set_error:
 * @self: a #PiBindingsSidebar
 * @binding: a binding of the list
 * @text: (nullable): what went wrong with it, in words, or %NULL once it
 *   works again
 *
 * Shows (or clears) an error on @binding's row: an error icon, and the
 * text under the pattern.
 */
void
pi_bindings_sidebar_set_error (PiBindingsSidebar *self,
                               PiBinding         *binding,
                               const char        *text)
{
  GtkWidget *row;
  guint position;

  g_return_if_fail (PI_IS_BINDINGS_SIDEBAR (self));
  g_return_if_fail (PI_IS_BINDING (binding));

  if (text != NULL && text[0] == '\0')
    text = NULL;

  /* The source may report a copy of the binding: the list's own is the
   * one whose row shows it. */
  if (g_list_store_find_with_equal_func (self->bindings, binding,
                                         (GEqualFunc) pi_binding_equal, &position) &&
      !g_list_store_find (self->bindings, binding, NULL))
    {
      g_autoptr(PiBinding) listed = g_list_model_get_item (G_LIST_MODEL (self->bindings), position);

      pi_bindings_sidebar_set_error (self, listed, text);
      return;
    }

  g_object_set_qdata_full (G_OBJECT (binding), error_quark, g_strdup (text), g_free);

  if ((row = find_row (self, binding)) != NULL)
    update_row (self, row);
}

/**
 * pi_bindings_sidebar_show_add_dialog:
 * @self: a #PiBindingsSidebar
 *
 * Presents the dialog that adds a binding.
 *
 * Returns: (transfer none): the dialog
 */
AdwDialog *
pi_bindings_sidebar_show_add_dialog (PiBindingsSidebar *self)
{
  PiAddBindingDialog *dialog;

  g_return_val_if_fail (PI_IS_BINDINGS_SIDEBAR (self), NULL);

  dialog = pi_add_binding_dialog_new (G_LIST_MODEL (self->bindings));
  g_signal_connect_object (dialog, "add", G_CALLBACK (on_dialog_add), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "link-pasted", G_CALLBACK (on_dialog_link_pasted), self, G_CONNECT_SWAPPED);
  adw_dialog_present (ADW_DIALOG (dialog), GTK_WIDGET (self));

  return ADW_DIALOG (dialog);
}

/**
 * pi_bindings_sidebar_get_list:
 * @self: a #PiBindingsSidebar
 *
 * Returns: (transfer none): the list box of bindings
 */
GtkListBox *
pi_bindings_sidebar_get_list (PiBindingsSidebar *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_SIDEBAR (self), NULL);

  return self->list_box;
}

/**
 * pi_bindings_sidebar_get_empty_state:
 * @self: a #PiBindingsSidebar
 *
 * Returns: (transfer none): the page shown when there are no bindings
 */
GtkWidget *
pi_bindings_sidebar_get_empty_state (PiBindingsSidebar *self)
{
  g_return_val_if_fail (PI_IS_BINDINGS_SIDEBAR (self), NULL);

  return GTK_WIDGET (self->empty_state);
}

/**
 * pi_bindings_sidebar_set_empty_told_elsewhere:
 * @self: a #PiBindingsSidebar
 * @told: whether the window already says there are no bindings
 *
 * With no bindings the sidebar shows its own "No Bindings" page, unless the
 * window's content says so (and offers to add one) itself: then the sidebar
 * stays blank, so that the state is told once.
 */
void
pi_bindings_sidebar_set_empty_told_elsewhere (PiBindingsSidebar *self,
                                              gboolean           told)
{
  g_return_if_fail (PI_IS_BINDINGS_SIDEBAR (self));

  told = !!told;
  if (self->empty_told_elsewhere == told)
    return;
  self->empty_told_elsewhere = told;
  update_page (self);
}
