/* pi-add-binding-dialog.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-add-binding-dialog"

#include <string.h>

#include <glib/gi18n.h>

#include "pi-add-binding-dialog.h"
#include "pi-catalog.h"
#include "pi-exchange-completion.h"

/**
 * PiAddBindingDialog:
 *
 * Asks for one new binding: the exchange (completed from the catalog), the
 * routing-key pattern (typed, or built word by word for a catalog
 * exchange), checked as it is typed. "Add" is enabled only for a valid
 * binding that is not in the list yet, and closes the dialog.
 */
struct _PiAddBindingDialog
{
  AdwDialog                parent_instance;

  /* Template widgets */
  AdwEntryRow             *exchange_row;
  AdwEntryRow             *pattern_row;
  AdwExpanderRow          *fields_row;
  GtkLabel                *error_label;
  GtkLabel                *hint_label;
  GtkWidget               *add_button;

  /* Owned */
  PiExchangeCompletion    *completion;
  GPtrArray               *field_rows;      /* AdwEntryRow, one per catalog word */
  GListModel              *existing;

  /* Borrowed */
  PiCatalog               *catalog;
  const PiCatalogExchange *fields_exchange; /* the exchange the field rows are for */

  guint                    done : 1;
};

G_DEFINE_FINAL_TYPE (PiAddBindingDialog, pi_add_binding_dialog, ADW_TYPE_DIALOG)

enum {
  PROP_0,
  PROP_EXISTING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  ADD,
  LINK_PASTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_row_error (AdwEntryRow *row,
               gboolean     error)
{
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static gboolean
is_duplicate (PiAddBindingDialog *self,
              PiBinding          *binding)
{
  guint n;

  if (self->existing == NULL)
    return FALSE;

  n = g_list_model_get_n_items (self->existing);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PiBinding) other = g_list_model_get_item (self->existing, i);

      if (pi_binding_equal (other, binding))
        return TRUE;
    }

  return FALSE;
}

/* The one catalog exchange the typed text is part of, if there is one. */
static const PiCatalogExchange *
unique_match (PiAddBindingDialog *self)
{
  /* The template sets the pattern (and validates) before the completion is made. */
  if (self->completion == NULL)
    return NULL;

  return pi_exchange_completion_get_unique_match (self->completion);
}

/* The exchange Add will bind: what was typed, or the one catalog exchange
 * a partial name completes to ("task-de" is task-defined). */
static const char *
draft_exchange (PiAddBindingDialog *self)
{
  const PiCatalogExchange *match = unique_match (self);

  if (match != NULL)
    return match->name;

  return gtk_editable_get_text (GTK_EDITABLE (self->exchange_row));
}

/* A name outside the catalog may be another service's, so it is never
 * refused; but a typo binds an exchange nobody publishes to, and nothing
 * ever arrives. Say so, without blocking, under the rows. */
static void
update_hint (PiAddBindingDialog *self,
             gboolean            exchange_ok)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->exchange_row));
  const PiCatalogExchange *match = NULL;
  g_autofree char *hint = NULL;

  if (exchange_ok && pi_catalog_lookup (self->catalog, text) == NULL)
    {
      if ((match = unique_match (self)) != NULL)
        /* Translators: %s is the full name of an exchange, such as
         * exchange/taskcluster-queue/v1/task-defined */
        hint = g_strdup_printf (_("Not a known Taskcluster exchange: Add will use %s"), match->name);
      else
        hint = g_strdup (_("Not a known Taskcluster exchange: messages arrive only if the server has one of this name"));
    }

  gtk_label_set_text (self->hint_label, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), hint != NULL);
}

/* Validates the draft as it is typed: the row at fault gets the error style,
 * the reason is shown below, and Add is enabled only for a new, valid binding. */
static void
validate_draft (PiAddBindingDialog *self)
{
  const char *exchange = draft_exchange (self);
  const char *pattern = gtk_editable_get_text (GTK_EDITABLE (self->pattern_row));
  g_autoptr(GError) exchange_error = NULL;
  g_autoptr(GError) pattern_error = NULL;
  g_autoptr(GString) reason = g_string_new (NULL);
  gboolean exchange_ok;
  gboolean pattern_ok;
  gboolean duplicate = FALSE;

  /* Once added, the dialog is closing: the list now holds the draft, which
   * must not turn into a "duplicate" under the person's eyes. */
  if (self->done)
    return;

  /* An empty exchange is not an error yet: the user has not typed it. */
  exchange_ok = exchange[0] != '\0' && pi_binding_validate_exchange (exchange, &exchange_error);
  pattern_ok = pi_binding_validate_pattern (pattern, &pattern_error);

  set_row_error (self->exchange_row, exchange_error != NULL);
  update_hint (self, exchange_ok);
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

      if ((duplicate = is_duplicate (self, binding)))
        g_string_append (reason, _("This binding is already in the list"));
    }

  gtk_label_set_text (self->error_label, reason->str);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), reason->len > 0);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "binding.add",
                                 exchange_ok && pattern_ok && !duplicate);
}

/* The by-field builder --------------------------------------------------- */

static void on_entry_activated (PiAddBindingDialog *self,
                                AdwEntryRow        *row);

static void
on_field_changed (PiAddBindingDialog *self,
                  GtkEditable        *editable)
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
rebuild_fields (PiAddBindingDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->exchange_row));
  const PiCatalogExchange *exchange = pi_catalog_lookup (self->catalog, text);

  /* The fields are those of the exchange Add will bind. */
  if (exchange == NULL)
    exchange = unique_match (self);

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
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_entry_row_set_input_hints (ADW_ENTRY_ROW (row), GTK_INPUT_HINT_NO_SPELLCHECK);
      if (word->summary != NULL)
        gtk_widget_set_tooltip_text (row, word->summary);
      g_object_set_data (G_OBJECT (row), "word", GUINT_TO_POINTER (i));
      g_signal_connect_object (row, "changed", G_CALLBACK (on_field_changed), self, G_CONNECT_SWAPPED);
      /* Enter adds, as in the pattern row the fields write to. */
      g_signal_connect_object (row, "entry-activated", G_CALLBACK (on_entry_activated), self, G_CONNECT_SWAPPED);
      adw_expander_row_add_row (self->fields_row, row);
      g_ptr_array_add (self->field_rows, row);
    }
}

/* The draft ---------------------------------------------------------------- */

static gboolean
looks_like_link (const char *text)
{
  return g_str_has_prefix (text, "http://") ||
         g_str_has_prefix (text, "https://") ||
         strstr (text, "bindings=") != NULL;
}

static gboolean
close_idle (gpointer user_data)
{
  adw_dialog_close (ADW_DIALOG (user_data));

  return G_SOURCE_REMOVE;
}

static void
on_exchange_changed (PiAddBindingDialog *self,
                     GtkEditable        *editable)
{
  const char *text = gtk_editable_get_text (editable);

  if (looks_like_link (text))
    {
      g_autoptr(GPtrArray) bindings = pi_bindings_from_share_link (text, NULL);

      if (bindings != NULL)
        {
          g_autofree char *link = g_strdup (text);

          /* The link is the answer: import it and go, not from inside the
           * entry's own change notification. */
          self->done = TRUE;
          pi_exchange_completion_close (self->completion);
          g_signal_emit (self, signals[LINK_PASTED], 0, link);
          g_idle_add_full (G_PRIORITY_HIGH_IDLE, close_idle, g_object_ref (self), g_object_unref);
          return;
        }
    }

  rebuild_fields (self);
  pi_exchange_completion_update (self->completion);
  validate_draft (self);
}

static void
on_pattern_changed (PiAddBindingDialog *self,
                    GtkEditable        *editable)
{
  validate_draft (self);
}

static void
on_entry_activated (PiAddBindingDialog *self,
                    AdwEntryRow        *row)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "binding.add", NULL);
}

static void
on_completion_chosen (PiAddBindingDialog   *self,
                      const char           *exchange,
                      PiExchangeCompletion *completion)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->pattern_row));
}

static void
on_existing_changed (PiAddBindingDialog *self)
{
  /* The draft may have become (or stopped being) a duplicate. */
  validate_draft (self);
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  PiAddBindingDialog *self = PI_ADD_BINDING_DIALOG (widget);
  g_autoptr(PiBinding) binding = NULL;

  if (self->done)
    return;

  /* A partial name of one catalog exchange is that exchange, as the hint
   * under the rows says. */
  binding = pi_binding_new (draft_exchange (self),
                            gtk_editable_get_text (GTK_EDITABLE (self->pattern_row)));

  if (!pi_binding_validate (binding, NULL) || is_duplicate (self, binding))
    return;

  self->done = TRUE;
  pi_exchange_completion_close (self->completion);
  g_signal_emit (self, signals[ADD], 0, binding);
  adw_dialog_close (ADW_DIALOG (self));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  adw_dialog_close (ADW_DIALOG (widget));
}

/* GObject ------------------------------------------------------------------ */

static void
pi_add_binding_dialog_closed (AdwDialog *dialog)
{
  PiAddBindingDialog *self = PI_ADD_BINDING_DIALOG (dialog);

  pi_exchange_completion_close (self->completion);

  ADW_DIALOG_CLASS (pi_add_binding_dialog_parent_class)->closed (dialog);
}

static void
pi_add_binding_dialog_constructed (GObject *object)
{
  PiAddBindingDialog *self = PI_ADD_BINDING_DIALOG (object);

  G_OBJECT_CLASS (pi_add_binding_dialog_parent_class)->constructed (object);

  if (self->existing != NULL)
    g_signal_connect_object (self->existing, "items-changed",
                             G_CALLBACK (on_existing_changed), self, G_CONNECT_SWAPPED);

  validate_draft (self);
}

static void
pi_add_binding_dialog_dispose (GObject *object)
{
  PiAddBindingDialog *self = PI_ADD_BINDING_DIALOG (object);

  /* The popover hangs on the exchange row: off it before the row goes. */
  if (self->completion != NULL)
    pi_exchange_completion_detach (self->completion);
  g_clear_object (&self->completion);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_ADD_BINDING_DIALOG);

  g_clear_pointer (&self->field_rows, g_ptr_array_unref);
  g_clear_object (&self->existing);

  G_OBJECT_CLASS (pi_add_binding_dialog_parent_class)->dispose (object);
}

static void
pi_add_binding_dialog_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  PiAddBindingDialog *self = PI_ADD_BINDING_DIALOG (object);

  switch (prop_id)
    {
    case PROP_EXISTING:
      g_set_object (&self->existing, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_add_binding_dialog_class_init (PiAddBindingDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  AdwDialogClass *dialog_class = ADW_DIALOG_CLASS (klass);

  object_class->constructed = pi_add_binding_dialog_constructed;
  object_class->dispose = pi_add_binding_dialog_dispose;
  object_class->set_property = pi_add_binding_dialog_set_property;

  dialog_class->closed = pi_add_binding_dialog_closed;

  /**
   * PiAddBindingDialog:existing:
   *
   * The bindings already in the list (a #GListModel of #PiBinding), so
   * that a duplicate is explained instead of added.
   */
  properties[PROP_EXISTING] =
    g_param_spec_object ("existing", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_WRITABLE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PiAddBindingDialog::add:
   * @self: a #PiAddBindingDialog
   * @binding: the new, valid binding
   *
   * The person pressed Add; the dialog closes right after.
   */
  signals[ADD] =
    g_signal_new ("add",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, PI_TYPE_BINDING);

  /**
   * PiAddBindingDialog::link-pasted:
   * @self: a #PiAddBindingDialog
   * @link: a share link pasted into the exchange entry
   *
   * The owner imports the link; the dialog closes right after.
   */
  signals[LINK_PASTED] =
    g_signal_new ("link-pasted",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "binding.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "binding.cancel", NULL, cancel_action);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-add-binding-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PiAddBindingDialog, exchange_row);
  gtk_widget_class_bind_template_child (widget_class, PiAddBindingDialog, pattern_row);
  gtk_widget_class_bind_template_child (widget_class, PiAddBindingDialog, fields_row);
  gtk_widget_class_bind_template_child (widget_class, PiAddBindingDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, PiAddBindingDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, PiAddBindingDialog, add_button);
  gtk_widget_class_bind_template_callback (widget_class, on_exchange_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_pattern_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);
}

static void
pi_add_binding_dialog_init (PiAddBindingDialog *self)
{
  self->catalog = pi_catalog_get_default ();
  self->field_rows = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->completion = pi_exchange_completion_new (GTK_WIDGET (self->exchange_row), self->catalog);
  g_signal_connect_object (self->completion, "chosen",
                           G_CALLBACK (on_completion_chosen), self, G_CONNECT_SWAPPED);
}

/**
 * pi_add_binding_dialog_new:
 * @existing: (nullable): the bindings already in the list, a #GListModel
 *   of #PiBinding
 *
 * Returns: (transfer floating): a new #PiAddBindingDialog
 */
PiAddBindingDialog *
pi_add_binding_dialog_new (GListModel *existing)
{
  g_return_val_if_fail (existing == NULL || G_IS_LIST_MODEL (existing), NULL);

  return g_object_new (PI_TYPE_ADD_BINDING_DIALOG, "existing", existing, NULL);
}

GtkEditable *
pi_add_binding_dialog_get_exchange_entry (PiAddBindingDialog *self)
{
  g_return_val_if_fail (PI_IS_ADD_BINDING_DIALOG (self), NULL);

  return GTK_EDITABLE (self->exchange_row);
}

GtkEditable *
pi_add_binding_dialog_get_pattern_entry (PiAddBindingDialog *self)
{
  g_return_val_if_fail (PI_IS_ADD_BINDING_DIALOG (self), NULL);

  return GTK_EDITABLE (self->pattern_row);
}

GtkWidget *
pi_add_binding_dialog_get_add_button (PiAddBindingDialog *self)
{
  g_return_val_if_fail (PI_IS_ADD_BINDING_DIALOG (self), NULL);

  return self->add_button;
}

/**
 * pi_add_binding_dialog_get_error_text:
 * @self: a #PiAddBindingDialog
 *
 * Returns: the reason the draft cannot be added, as shown ("" if none)
 */
const char *
pi_add_binding_dialog_get_error_text (PiAddBindingDialog *self)
{
  g_return_val_if_fail (PI_IS_ADD_BINDING_DIALOG (self), NULL);

  return gtk_label_get_text (self->error_label);
}

/**
 * pi_add_binding_dialog_get_hint_text:
 * @self: a #PiAddBindingDialog
 *
 * Returns: the hint about an exchange outside the catalog, as shown ("" if
 *   none)
 */
const char *
pi_add_binding_dialog_get_hint_text (PiAddBindingDialog *self)
{
  g_return_val_if_fail (PI_IS_ADD_BINDING_DIALOG (self), NULL);

  return gtk_label_get_text (self->hint_label);
}

/**
 * pi_add_binding_dialog_get_field_entries:
 * @self: a #PiAddBindingDialog
 *
 * Returns: (transfer none) (element-type GtkEditable): the by-field
 *   builder's entries, one per non-constant word of the catalog exchange
 */
GPtrArray *
pi_add_binding_dialog_get_field_entries (PiAddBindingDialog *self)
{
  g_return_val_if_fail (PI_IS_ADD_BINDING_DIALOG (self), NULL);

  return self->field_rows;
}

/**
 * pi_add_binding_dialog_get_completion:
 * @self: a #PiAddBindingDialog
 *
 * Returns: (transfer none): the exchange completion popover
 */
GtkWidget *
pi_add_binding_dialog_get_completion (PiAddBindingDialog *self)
{
  g_return_val_if_fail (PI_IS_ADD_BINDING_DIALOG (self), NULL);

  return pi_exchange_completion_get_popover (self->completion);
}
