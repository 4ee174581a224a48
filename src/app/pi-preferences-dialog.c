/* pi-preferences-dialog.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-preferences"

#include <glib/gi18n.h>

#include "pi-preferences-dialog.h"

struct _PiPreferencesDialog
{
  AdwPreferencesDialog  parent_instance;

  /* Template widgets */
  GtkAdjustment        *capacity_adjustment;
  GtkAdjustment        *ping_timeout_adjustment;
  GtkSwitch            *follow_switch;

  /* Owned */
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (PiPreferencesDialog, pi_preferences_dialog, ADW_TYPE_PREFERENCES_DIALOG)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
on_capacity_output (GtkSpinButton *spin)
{
  g_autofree char *text = g_strdup_printf ("%'u", (guint) gtk_adjustment_get_value (gtk_spin_button_get_adjustment (spin)));

  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static int
on_capacity_input (GtkSpinButton *spin,
                   double        *new_value)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  guint64 value = 0;
  gboolean any = FALSE;

  /* Any grouping the user typed or the locale showed: keep the digits. */
  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        {
          value = value * 10 + (guint64) (*p - '0');
          any = TRUE;
          if (value > G_MAXUINT)
            return GTK_INPUT_ERROR;
        }
    }

  if (!any)
    return GTK_INPUT_ERROR;

  *new_value = (double) value;
  return TRUE;
}

static void
pi_preferences_dialog_constructed (GObject *object)
{
  PiPreferencesDialog *self = PI_PREFERENCES_DIALOG (object);

  G_OBJECT_CLASS (pi_preferences_dialog_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));

  /* Every change applies at once: the window reacts to the settings. */
  g_settings_bind (self->settings, "capacity", self->capacity_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "ping-timeout", self->ping_timeout_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "follow", self->follow_switch, "active", G_SETTINGS_BIND_DEFAULT);
}

static void
pi_preferences_dialog_dispose (GObject *object)
{
  PiPreferencesDialog *self = PI_PREFERENCES_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_PREFERENCES_DIALOG);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pi_preferences_dialog_parent_class)->dispose (object);
}

static void
pi_preferences_dialog_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  PiPreferencesDialog *self = PI_PREFERENCES_DIALOG (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_preferences_dialog_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  PiPreferencesDialog *self = PI_PREFERENCES_DIALOG (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_preferences_dialog_class_init (PiPreferencesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pi_preferences_dialog_constructed;
  object_class->dispose = pi_preferences_dialog_dispose;
  object_class->get_property = pi_preferences_dialog_get_property;
  object_class->set_property = pi_preferences_dialog_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-preferences-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PiPreferencesDialog, capacity_adjustment);
  gtk_widget_class_bind_template_callback (widget_class, on_capacity_output);
  gtk_widget_class_bind_template_callback (widget_class, on_capacity_input);
  gtk_widget_class_bind_template_child (widget_class, PiPreferencesDialog, ping_timeout_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PiPreferencesDialog, follow_switch);
}

static void
pi_preferences_dialog_init (PiPreferencesDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PiPreferencesDialog *
pi_preferences_dialog_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (PI_TYPE_PREFERENCES_DIALOG,
                       "settings", settings,
                       NULL);
}
