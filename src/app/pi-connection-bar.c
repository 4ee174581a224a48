/* pi-connection-bar.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-connection-bar"

#include <string.h>

#include <glib/gi18n.h>

#include <adwaita.h>

#include "pi-connection-bar.h"
#include "pi-status-line.h"

struct _PiConnectionBar
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkWidget      *box;
  AdwSpinner     *spinner;
  GtkWidget      *status_dot;
  GtkLabel       *state_label;
  GtkLabel       *error_label;
  GtkLabel       *activity_label;
  GtkLabel       *received_label;
  GtkLabel       *shown_label;
  GtkLabel       *evicted_label;
  GtkLabel       *dropped_label;
  GtkLabel       *held_label;
  GtkLabel       *rate_label;

  /* Owned */
  PiSource  *stream;
  PiMessageStore *store;
  guint           tick_id;

  /* Rate over the last second */
  double          rate;           /* the session's: one count, in the title and here */

  guint           n_shown;
  guint           n_held;
  gboolean        lost;           /* the session's: the stream was lost after being live */

  /* A saved capture: no stream, a description instead */
  char           *capture_title;
  char           *capture_detail;
};

G_DEFINE_FINAL_TYPE (PiConnectionBar, pi_connection_bar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STREAM,
  PROP_STORE,
  PROP_N_SHOWN,
  PROP_N_HELD,
  PROP_RATE,
  PROP_LOST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_count (GtkLabel *label,
           guint64   value)
{
  /* %' groups thousands as the locale does. */
  g_autofree char *text = g_strdup_printf ("%'" G_GUINT64_FORMAT, value);

  gtk_label_set_text (label, text);
}

static void
set_dot_style (PiConnectionBar *self,
               const char      *style)
{
  static const char * const styles[] = { "success", "error", "accent", "dim" };

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    gtk_widget_remove_css_class (self->status_dot, styles[i]);
  gtk_widget_add_css_class (self->status_dot, style);
}

/* Counters that only mean something for a live stream. */
static void
show_stream_counters (PiConnectionBar *self,
                      gboolean         visible)
{
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->dropped_label)), visible);
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->held_label)), visible);
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->rate_label)), visible);
}

/* A capture window: what the file holds, in the place of the connection. */
static void
update_capture (PiConnectionBar *self)
{
  show_stream_counters (self, FALSE);

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  gtk_widget_set_visible (self->status_dot, FALSE);

  gtk_label_set_text (self->state_label, self->capture_title);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_label), self->capture_title);
  gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "error");
  gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "heading");

  gtk_label_set_text (self->error_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);

  gtk_label_set_text (self->activity_label, self->capture_detail ? self->capture_detail : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->activity_label), self->capture_detail);

  set_count (self->received_label, self->store ? pi_message_store_get_received (self->store) : 0);
  set_count (self->dropped_label, 0);
  set_count (self->evicted_label, self->store ? pi_message_store_get_evicted (self->store) : 0);
  set_count (self->shown_label, self->n_shown);
  set_count (self->held_label, self->n_held);
  set_count (self->rate_label, 0);
}

/**
 * pi_connection_bar_set_capture:
 * @self: a #PiConnectionBar
 * @title: (nullable): what the capture is, such as "Capture of
 *   https://tc.example.com — 1,200 messages, started …"; %NULL to show the
 *   stream again
 * @detail: (nullable): a second, quieter line, such as the file name
 *
 * Turns the bar into the description of a saved capture.
 */
void
pi_connection_bar_set_capture (PiConnectionBar *self,
                               const char      *title,
                               const char      *detail)
{
  g_return_if_fail (PI_IS_CONNECTION_BAR (self));

  g_free (self->capture_title);
  self->capture_title = g_strdup (title);
  g_free (self->capture_detail);
  self->capture_detail = g_strdup (detail);

  pi_connection_bar_update (self);
}

/**
 * pi_connection_bar_update:
 * @self: a #PiConnectionBar
 *
 * Refreshes every label from the stream and the store.
 */
void
pi_connection_bar_update (PiConnectionBar *self)
{
  PiStreamState state = PI_STREAM_STATE_DISCONNECTED;
  const char *state_text = NULL;
  const char *error_message = NULL;
  GDateTime *last_ping = NULL;
  g_autofree char *failed_text = NULL;
  gboolean busy = FALSE;

  g_return_if_fail (PI_IS_CONNECTION_BAR (self));

  if (self->capture_title != NULL)
    {
      update_capture (self);
      return;
    }

  show_stream_counters (self, TRUE);

  if (self->stream != NULL)
    {
      state = pi_source_get_state (self->stream);
      state_text = pi_source_get_state_text (self->stream);
      error_message = pi_source_get_error_message (self->stream);
      last_ping = pi_source_get_last_ping (self->stream);
    }

  switch (state)
    {
    case PI_STREAM_STATE_CONNECTING:
    case PI_STREAM_STATE_WAITING_FOR_READY:
    case PI_STREAM_STATE_RECONNECTING:
      busy = TRUE;
      break;

    case PI_STREAM_STATE_LIVE:
      set_dot_style (self, "success");
      break;

    case PI_STREAM_STATE_FAILED:
      set_dot_style (self, "error");
      break;

    case PI_STREAM_STATE_DISCONNECTED:
    default:
      set_dot_style (self, "dim");
      break;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_widget_set_visible (self->status_dot, !busy);

  if (state_text == NULL || state_text[0] == '\0')
    state_text = _("Disconnected");

  /* The stream words a failure as its reason alone; say that it failed, or
   * that it was lost (in the header's words), the reason below. */
  if (self->lost)
    failed_text = pi_status_line_describe_loss (self->stream, FALSE);
  else if (state == PI_STREAM_STATE_FAILED && !g_str_has_prefix (state_text, _("Failed")))
    failed_text = g_strdup_printf (_("Failed: %s"), state_text);

  gtk_label_set_text (self->state_label, failed_text ? failed_text : state_text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_label), failed_text ? failed_text : state_text);

  /* A failure's reason can run several lines: not in bold, in the error colour. */
  if (state == PI_STREAM_STATE_FAILED)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "heading");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "heading");
    }

  /* The state text of a failure already carries the reason; repeat the
   * reason below only when the state does not say it (e.g. while waiting
   * to reconnect). */
  if (error_message != NULL && (self->lost || strstr (state_text, error_message) == NULL))
    {
      gtk_label_set_text (self->error_label, error_message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
    }
  else
    {
      gtk_label_set_text (self->error_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
    }

  if (last_ping != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (last_ping);
      g_autofree char *time = g_date_time_format (local, "%H:%M:%S");
      g_autofree char *text = g_strdup_printf (_("Last ping at %s"), time);

      gtk_label_set_text (self->activity_label, text);
    }
  else if (state == PI_STREAM_STATE_LIVE &&
           g_strcmp0 (pi_source_get_protocol_name (self->stream), _("Events v1")) != 0)
    /* Only an events v1 server sends ping events; over WebSocket the
     * client pings, and a dead peer ends the connection. */
    gtk_label_set_text (self->activity_label, _("Kept alive by WebSocket pings"));
  else if (state == PI_STREAM_STATE_LIVE)
    gtk_label_set_text (self->activity_label, _("No ping yet"));
  else
    gtk_label_set_text (self->activity_label, _("Not receiving"));

  set_count (self->received_label, self->stream ? pi_source_get_n_messages (self->stream) : 0);
  set_count (self->dropped_label, self->stream ? pi_source_get_n_dropped (self->stream) : 0);
  set_count (self->evicted_label, self->store ? pi_message_store_get_evicted (self->store) : 0);
  set_count (self->shown_label, self->n_shown);
  set_count (self->held_label, self->n_held);
  set_count (self->rate_label, (guint64) (self->rate + 0.5));
}

/* While shown: the counters and "Last ping at" move with time. */
static gboolean
tick_cb (gpointer user_data)
{
  PiConnectionBar *self = user_data;

  pi_connection_bar_update (self);

  return G_SOURCE_CONTINUE;
}

static void
pi_connection_bar_map (GtkWidget *widget)
{
  PiConnectionBar *self = PI_CONNECTION_BAR (widget);

  GTK_WIDGET_CLASS (pi_connection_bar_parent_class)->map (widget);

  pi_connection_bar_update (self);
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
}

static void
pi_connection_bar_unmap (GtkWidget *widget)
{
  PiConnectionBar *self = PI_CONNECTION_BAR (widget);

  g_clear_handle_id (&self->tick_id, g_source_remove);

  GTK_WIDGET_CLASS (pi_connection_bar_parent_class)->unmap (widget);
}

static void
on_stream_notify (PiConnectionBar *self,
                  GParamSpec      *pspec,
                  PiSource   *stream)
{
  pi_connection_bar_update (self);
}

static void
pi_connection_bar_dispose (GObject *object)
{
  PiConnectionBar *self = PI_CONNECTION_BAR (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->stream != NULL)
    g_signal_handlers_disconnect_by_data (self->stream, self);
  g_clear_object (&self->stream);
  g_clear_object (&self->store);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_CONNECTION_BAR);

  G_OBJECT_CLASS (pi_connection_bar_parent_class)->dispose (object);
}

static void
pi_connection_bar_finalize (GObject *object)
{
  PiConnectionBar *self = PI_CONNECTION_BAR (object);

  g_free (self->capture_title);
  g_free (self->capture_detail);

  G_OBJECT_CLASS (pi_connection_bar_parent_class)->finalize (object);
}

static void
pi_connection_bar_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PiConnectionBar *self = PI_CONNECTION_BAR (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      g_value_set_object (value, self->stream);
      break;

    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_N_SHOWN:
      g_value_set_uint (value, self->n_shown);
      break;

    case PROP_RATE:
      g_value_set_double (value, self->rate);
      break;

    case PROP_N_HELD:
      g_value_set_uint (value, self->n_held);
      break;

    case PROP_LOST:
      g_value_set_boolean (value, self->lost);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_connection_bar_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PiConnectionBar *self = PI_CONNECTION_BAR (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      pi_connection_bar_set_stream (self, g_value_get_object (value));
      break;

    case PROP_STORE:
      pi_connection_bar_set_store (self, g_value_get_object (value));
      break;

    case PROP_N_SHOWN:
      if (self->n_shown != g_value_get_uint (value))
        {
          self->n_shown = g_value_get_uint (value);
          set_count (self->shown_label, self->n_shown);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_RATE:
      if (self->rate != g_value_get_double (value))
        {
          self->rate = g_value_get_double (value);
          set_count (self->rate_label, (guint64) (self->rate + 0.5));
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_N_HELD:
      if (self->n_held != g_value_get_uint (value))
        {
          self->n_held = g_value_get_uint (value);
          set_count (self->held_label, self->n_held);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_LOST:
      if (self->lost != g_value_get_boolean (value))
        {
          self->lost = g_value_get_boolean (value);
          pi_connection_bar_update (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_connection_bar_class_init (PiConnectionBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_connection_bar_dispose;
  object_class->finalize = pi_connection_bar_finalize;
  object_class->get_property = pi_connection_bar_get_property;
  object_class->set_property = pi_connection_bar_set_property;

  widget_class->map = pi_connection_bar_map;
  widget_class->unmap = pi_connection_bar_unmap;

  properties[PROP_STREAM] =
    g_param_spec_object ("stream", NULL, NULL,
                         PI_TYPE_SOURCE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         PI_TYPE_MESSAGE_STORE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_SHOWN] =
    g_param_spec_uint ("n-shown", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_HELD] =
    g_param_spec_uint ("n-held", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Messages per second, as the session counts them (bound by the window). */
  properties[PROP_RATE] =
    g_param_spec_double ("rate", NULL, NULL,
                         0, G_MAXDOUBLE, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether the stream was lost after being live, as the session tells
   * it (bound by the window): its failure is worded as a loss. */
  properties[PROP_LOST] =
    g_param_spec_boolean ("lost", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-connection-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, box);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, spinner);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, status_dot);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, state_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, error_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, activity_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, received_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, shown_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, evicted_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, dropped_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, held_label);
  gtk_widget_class_bind_template_child (widget_class, PiConnectionBar, rate_label);
}

static void
pi_connection_bar_init (PiConnectionBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pi_connection_bar_update (self);
}

/**
 * pi_connection_bar_get_stream:
 * @self: a #PiConnectionBar
 *
 * Returns: (transfer none) (nullable): the stream shown
 */
PiSource *
pi_connection_bar_get_stream (PiConnectionBar *self)
{
  g_return_val_if_fail (PI_IS_CONNECTION_BAR (self), NULL);

  return self->stream;
}

void
pi_connection_bar_set_stream (PiConnectionBar *self,
                              PiSource   *stream)
{
  g_return_if_fail (PI_IS_CONNECTION_BAR (self));
  g_return_if_fail (!stream || PI_IS_SOURCE (stream));

  if (self->stream == stream)
    return;

  if (self->stream != NULL)
    g_signal_handlers_disconnect_by_data (self->stream, self);

  g_set_object (&self->stream, stream);

  if (stream != NULL)
    g_signal_connect_object (stream, "notify", G_CALLBACK (on_stream_notify), self, G_CONNECT_SWAPPED);

  pi_connection_bar_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAM]);
}

/**
 * pi_connection_bar_get_store:
 * @self: a #PiConnectionBar
 *
 * Returns: (transfer none) (nullable): the store whose evictions are counted
 */
PiMessageStore *
pi_connection_bar_get_store (PiConnectionBar *self)
{
  g_return_val_if_fail (PI_IS_CONNECTION_BAR (self), NULL);

  return self->store;
}

void
pi_connection_bar_set_store (PiConnectionBar *self,
                             PiMessageStore  *store)
{
  g_return_if_fail (PI_IS_CONNECTION_BAR (self));
  g_return_if_fail (!store || PI_IS_MESSAGE_STORE (store));

  if (g_set_object (&self->store, store))
    {
      pi_connection_bar_update (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
    }
}

/**
 * pi_connection_bar_get_rate:
 * @self: a #PiConnectionBar
 *
 * Returns: messages per second over the last second
 */
double
pi_connection_bar_get_rate (PiConnectionBar *self)
{
  g_return_val_if_fail (PI_IS_CONNECTION_BAR (self), 0);

  return self->rate;
}

const char *
pi_connection_bar_get_state_text (PiConnectionBar *self)
{
  g_return_val_if_fail (PI_IS_CONNECTION_BAR (self), NULL);

  return gtk_label_get_text (self->state_label);
}

/* The activity row: the last ping, or how the connection is kept alive. */
const char *
pi_connection_bar_get_activity_text (PiConnectionBar *self)
{
  g_return_val_if_fail (PI_IS_CONNECTION_BAR (self), NULL);

  return gtk_label_get_text (self->activity_label);
}

const char *
pi_connection_bar_get_error_text (PiConnectionBar *self)
{
  g_return_val_if_fail (PI_IS_CONNECTION_BAR (self), NULL);

  return gtk_label_get_text (self->error_label);
}

/**
 * pi_connection_bar_dup_summary:
 * @self: a #PiConnectionBar
 *
 * The counters as shown, for tests and logs:
 * "received=N shown=N evicted=N dropped=N held=N".
 *
 * Returns: (transfer full): a newly allocated string
 */
char *
pi_connection_bar_dup_summary (PiConnectionBar *self)
{
  g_return_val_if_fail (PI_IS_CONNECTION_BAR (self), NULL);

  return g_strdup_printf ("received=%s shown=%s evicted=%s dropped=%s held=%s",
                          gtk_label_get_text (self->received_label),
                          gtk_label_get_text (self->shown_label),
                          gtk_label_get_text (self->evicted_label),
                          gtk_label_get_text (self->dropped_label),
                          gtk_label_get_text (self->held_label));
}
