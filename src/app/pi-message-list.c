/* pi-message-list.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-list"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "pi-message-list.h"

struct _PiMessageList
{
  GtkWidget           parent_instance;

  /* Template widgets */
  GtkSearchBar       *search_bar;
  GtkSearchEntry     *search_entry;
  GtkLabel           *count_label;
  GtkStack           *stack;
  GtkScrolledWindow  *scroller;
  GtkColumnView      *column_view;
  GtkSingleSelection *selection;
  GtkFilterListModel *filter_model;
  GtkCustomFilter    *filter;

  /* Owned */
  PiMessageStore     *store;
  PiMessage          *selected;
  GPtrArray          *held;
  char               *filter_text;
  char               *needle;         /* filter_text casefolded, NULL when empty */

  /* Borrowed */
  GtkAdjustment      *vadjustment;
  GdkFrameClock      *frame_clock;
  gulong              after_paint_id;

  guint               n_held;
  guint               n_shown;
  guint               snapping;
  guint               follow : 1;
  guint               following : 1;
  guint               layout_pending : 1;
  guint               paused : 1;
  guint               search_mode : 1;
  guint               setting_entry : 1;
};

G_DEFINE_FINAL_TYPE (PiMessageList, pi_message_list, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STORE,
  PROP_SELECTED_MESSAGE,
  PROP_FILTER_TEXT,
  PROP_FOLLOW,
  PROP_PAUSED,
  PROP_N_SHOWN,
  PROP_N_HELD,
  PROP_SEARCH_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Cells.
 *
 * The columns use GtkSignalListItemFactory rather than builder templates
 * with <closure>s: in GTK 4.8 a list view does not recycle row widgets, so
 * while following at 20,000 messages/s every visible row is new on every
 * frame, and instantiating six GtkBuilder templates per row cost 50-150 ms
 * a frame (measured with tests/bench-window). A plain label is cheap.
 */

static char *
format_sequence (PiMessage *message)
{
  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_GAP)
    return NULL;

  return g_strdup_printf ("%" G_GUINT64_FORMAT, pi_message_get_sequence (message));
}

static char *
format_time (PiMessage *message)
{
  g_autoptr(GDateTime) dt = NULL;
  gint64 usec = pi_message_get_time_received (message);

  if (!(dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC)))
    return NULL;

  return g_strdup_printf ("%02d:%02d:%02d.%03d",
                          g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt),
                          g_date_time_get_second (dt),
                          (int)((usec % G_USEC_PER_SEC) / 1000));
}

static const char *
format_routing_key (PiMessage   *message,
                    const char **css_class)
{
  *css_class = NULL;

  switch (pi_message_get_kind (message))
    {
    case PI_MESSAGE_KIND_GAP:
      *css_class = "warning";
      return _("Connection lost — messages may be missing here");

    case PI_MESSAGE_KIND_UNDECODABLE:
      *css_class = "error";
      return _("Undecodable message");

    case PI_MESSAGE_KIND_PAYLOAD_ONLY:
      *css_class = "dim-label";
      return _("Payload only (no exchange or routing key)");

    case PI_MESSAGE_KIND_DECODED:
    default:
      return pi_message_get_routing_key (message);
    }
}

static GtkWidget *
new_cell_label (GtkListItem *list_item,
                float        xalign,
                PangoEllipsizeMode ellipsize)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_ellipsize (GTK_LABEL (label), ellipsize);
  gtk_list_item_set_child (list_item, label);

  return label;
}

static void
setup_label (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  new_cell_label (list_item, 0.0f, PANGO_ELLIPSIZE_END);
}

static void
setup_number_label (GtkSignalListItemFactory *factory,
                    GtkListItem              *list_item,
                    gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, 1.0f, PANGO_ELLIPSIZE_NONE);

  gtk_widget_add_css_class (label, "numeric");
  gtk_widget_add_css_class (label, "dim-label");
}

static void
setup_time_label (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, 0.0f, PANGO_ELLIPSIZE_NONE);

  gtk_widget_add_css_class (label, "numeric");
}

static void
setup_routing_key_label (GtkSignalListItemFactory *factory,
                         GtkListItem              *list_item,
                         gpointer                  user_data)
{
  new_cell_label (list_item, 0.0f, PANGO_ELLIPSIZE_MIDDLE);
}

/* Tooltips are asked for when shown, not set on every bind: in GTK 4.8
 * setting a widget's tooltip text queries the pointer position from the
 * display server, a round trip per cell that stalled the busy list. */
static gboolean
query_exchange_tooltip (GtkWidget   *label,
                        int          x,
                        int          y,
                        gboolean     keyboard_mode,
                        GtkTooltip  *tooltip,
                        GtkListItem *list_item)
{
  PiMessage *message = gtk_list_item_get_item (list_item);
  const char *exchange;

  if (message == NULL || !*(exchange = pi_message_get_exchange (message)))
    return FALSE;

  gtk_tooltip_set_text (tooltip, exchange);
  return TRUE;
}

static gboolean
query_routes_tooltip (GtkWidget   *label,
                      int          x,
                      int          y,
                      gboolean     keyboard_mode,
                      GtkTooltip  *tooltip,
                      GtkListItem *list_item)
{
  PiMessage *message = gtk_list_item_get_item (list_item);
  const char * const *routes;
  g_autofree char *text = NULL;

  if (message == NULL || !(routes = pi_message_get_routes (message)) || routes[0] == NULL)
    return FALSE;

  text = g_strjoinv ("\n", (char **)routes);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
setup_exchange_label (GtkSignalListItemFactory *factory,
                      GtkListItem              *list_item,
                      gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, 0.0f, PANGO_ELLIPSIZE_END);

  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (query_exchange_tooltip), list_item);
}

static void
setup_routes_label (GtkSignalListItemFactory *factory,
                    GtkListItem              *list_item,
                    gpointer                  user_data)
{
  GtkWidget *label = new_cell_label (list_item, 0.0f, PANGO_ELLIPSIZE_END);

  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (query_routes_tooltip), list_item);
}

static inline GtkLabel *
cell_label (GtkListItem *list_item)
{
  return GTK_LABEL (gtk_list_item_get_child (list_item));
}

static void
bind_sequence (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  g_autofree char *text = format_sequence (gtk_list_item_get_item (list_item));

  gtk_label_set_label (cell_label (list_item), text);
}

static void
bind_time (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  g_autofree char *text = format_time (gtk_list_item_get_item (list_item));

  gtk_label_set_label (cell_label (list_item), text);
}

static void
bind_exchange (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  PiMessage *message = gtk_list_item_get_item (list_item);

  gtk_label_set_label (cell_label (list_item), pi_message_get_short_exchange (message));
}

static void
bind_routing_key (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  user_data)
{
  PiMessage *message = gtk_list_item_get_item (list_item);
  GtkLabel *label = cell_label (list_item);
  const char *css_class;
  const char *text;

  text = format_routing_key (message, &css_class);
  gtk_label_set_label (label, text);

  gtk_widget_remove_css_class (GTK_WIDGET (label), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (label), css_class);
}

static void
bind_routes (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  g_autofree char *text = pi_message_dup_routes_text (gtk_list_item_get_item (list_item));

  gtk_label_set_label (cell_label (list_item), text);
}

static void
bind_redelivered (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  user_data)
{
  PiMessage *message = gtk_list_item_get_item (list_item);
  const char *text = NULL;

  if (pi_message_get_kind (message) == PI_MESSAGE_KIND_DECODED)
    text = pi_message_get_redelivered (message) ? _("Yes") : _("No");

  gtk_label_set_label (cell_label (list_item), text);
}

/* Following the newest row.
 *
 * GTK 4.8 has no scroll_to, so the list keeps to the bottom by moving the
 * vertical adjustment to upper - page_size whenever the model grew while we
 * were there. The list view itself moves the value while it lays out a
 * changed model (it keeps an anchor row in place), so value changes between
 * a model change and the next paint are layout, not the user; any other
 * value change is the user scrolling, and decides whether we follow.
 */

static gboolean
is_at_bottom (GtkAdjustment *adj)
{
  double value = gtk_adjustment_get_value (adj);
  double upper = gtk_adjustment_get_upper (adj);
  double page_size = gtk_adjustment_get_page_size (adj);

  return value >= upper - page_size - 1.0;
}

static void
scroll_to_bottom (PiMessageList *self)
{
  double target;

  target = gtk_adjustment_get_upper (self->vadjustment) - gtk_adjustment_get_page_size (self->vadjustment);
  if (gtk_adjustment_get_value (self->vadjustment) == target)
    return;

  self->snapping++;
  gtk_adjustment_set_value (self->vadjustment, target);
  self->snapping--;
}

static void
on_vadjustment_changed (PiMessageList *self,
                        GtkAdjustment *adj)
{
  if (self->follow && self->following)
    scroll_to_bottom (self);
}

static void
on_vadjustment_value_changed (PiMessageList *self,
                              GtkAdjustment *adj)
{
  if (self->snapping > 0)
    return;

  if (self->layout_pending)
    {
      if (self->follow && self->following)
        scroll_to_bottom (self);
      return;
    }

  self->following = is_at_bottom (adj);
}

static void
on_after_paint (PiMessageList *self,
                GdkFrameClock *frame_clock)
{
  if (!self->layout_pending)
    return;

  self->layout_pending = FALSE;

  if (self->follow && self->following && !is_at_bottom (self->vadjustment))
    scroll_to_bottom (self);
}

/* Counts and pages */

static void
update_counts (PiMessageList *self)
{
  g_autofree char *text = NULL;
  const char *page;
  guint n_total;
  guint n_shown;

  n_total = self->store ? g_list_model_get_n_items (G_LIST_MODEL (self->store)) : 0;
  n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));

  /* Translators: "12 of 2,000 shown": messages that match the filter, of those kept */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u shown", "%u of %u shown", n_total),
                          n_shown, n_total);
  gtk_label_set_label (self->count_label, text);

  if (n_total == 0)
    page = "waiting";
  else if (n_shown == 0)
    page = "no-match";
  else
    page = "messages";

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), page) != 0)
    gtk_stack_set_visible_child_name (self->stack, page);

  if (n_shown != self->n_shown)
    {
      self->n_shown = n_shown;
      self->layout_pending = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SHOWN]);
    }
}

static void
on_model_items_changed (PiMessageList *self,
                        guint          position,
                        guint          removed,
                        guint          added,
                        GListModel    *model)
{
  /* A full ring replaces rows without changing the count. */
  if (removed > 0 || added > 0)
    self->layout_pending = TRUE;

  update_counts (self);
}

static void
on_selected_item_changed (PiMessageList      *self,
                          GParamSpec         *pspec,
                          GtkSingleSelection *selection)
{
  PiMessage *message = gtk_single_selection_get_selected_item (selection);

  if (g_set_object (&self->selected, message))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_MESSAGE]);
}

/* Filtering */

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  PiMessageList *self = user_data;

  return pi_message_contains_text (item, self->needle);
}

static void
on_search_changed (PiMessageList  *self,
                   GtkSearchEntry *entry)
{
  if (self->setting_entry)
    return;

  pi_message_list_set_filter_text (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* GObject */

static void
pi_message_list_realize (GtkWidget *widget)
{
  PiMessageList *self = (PiMessageList *)widget;

  GTK_WIDGET_CLASS (pi_message_list_parent_class)->realize (widget);

  self->frame_clock = gtk_widget_get_frame_clock (widget);
  self->after_paint_id = g_signal_connect_object (self->frame_clock, "after-paint",
                                                  G_CALLBACK (on_after_paint), self,
                                                  G_CONNECT_SWAPPED);
}

static void
pi_message_list_unrealize (GtkWidget *widget)
{
  PiMessageList *self = (PiMessageList *)widget;

  g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  self->frame_clock = NULL;

  GTK_WIDGET_CLASS (pi_message_list_parent_class)->unrealize (widget);
}

static gboolean
pi_message_list_grab_focus (GtkWidget *widget)
{
  PiMessageList *self = (PiMessageList *)widget;

  return gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
}

static void
pi_message_list_dispose (GObject *object)
{
  PiMessageList *self = (PiMessageList *)object;

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), PI_TYPE_MESSAGE_LIST);

  g_clear_object (&self->store);
  g_clear_object (&self->selected);
  g_clear_pointer (&self->held, g_ptr_array_unref);

  G_OBJECT_CLASS (pi_message_list_parent_class)->dispose (object);
}

static void
pi_message_list_finalize (GObject *object)
{
  PiMessageList *self = (PiMessageList *)object;

  g_clear_pointer (&self->filter_text, g_free);
  g_clear_pointer (&self->needle, g_free);

  G_OBJECT_CLASS (pi_message_list_parent_class)->finalize (object);
}

static void
pi_message_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PiMessageList *self = PI_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_SELECTED_MESSAGE:
      g_value_set_object (value, self->selected);
      break;

    case PROP_FILTER_TEXT:
      g_value_set_string (value, pi_message_list_get_filter_text (self));
      break;

    case PROP_FOLLOW:
      g_value_set_boolean (value, self->follow);
      break;

    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;

    case PROP_N_SHOWN:
      g_value_set_uint (value, self->n_shown);
      break;

    case PROP_N_HELD:
      g_value_set_uint (value, self->n_held);
      break;

    case PROP_SEARCH_MODE:
      g_value_set_boolean (value, self->search_mode);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PiMessageList *self = PI_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_STORE:
      pi_message_list_set_store (self, g_value_get_object (value));
      break;

    case PROP_FILTER_TEXT:
      pi_message_list_set_filter_text (self, g_value_get_string (value));
      break;

    case PROP_FOLLOW:
      pi_message_list_set_follow (self, g_value_get_boolean (value));
      break;

    case PROP_PAUSED:
      pi_message_list_set_paused (self, g_value_get_boolean (value));
      break;

    case PROP_SEARCH_MODE:
      pi_message_list_set_search_mode (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_list_class_init (PiMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pi_message_list_dispose;
  object_class->finalize = pi_message_list_finalize;
  object_class->get_property = pi_message_list_get_property;
  object_class->set_property = pi_message_list_set_property;

  widget_class->realize = pi_message_list_realize;
  widget_class->unrealize = pi_message_list_unrealize;
  widget_class->grab_focus = pi_message_list_grab_focus;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         PI_TYPE_MESSAGE_STORE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED_MESSAGE] =
    g_param_spec_object ("selected-message", NULL, NULL,
                         PI_TYPE_MESSAGE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER_TEXT] =
    g_param_spec_string ("filter-text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLLOW] =
    g_param_spec_boolean ("follow", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_SHOWN] =
    g_param_spec_uint ("n-shown", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_HELD] =
    g_param_spec_uint ("n-held", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEARCH_MODE] =
    g_param_spec_boolean ("search-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE_PATH "/ui/pi-message-list.ui");
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, search_bar);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, count_label);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, stack);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, scroller);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, column_view);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, selection);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, filter_model);
  gtk_widget_class_bind_template_child (widget_class, PiMessageList, filter);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_selected_item_changed);
  gtk_widget_class_bind_template_callback (widget_class, setup_label);
  gtk_widget_class_bind_template_callback (widget_class, setup_number_label);
  gtk_widget_class_bind_template_callback (widget_class, setup_time_label);
  gtk_widget_class_bind_template_callback (widget_class, setup_exchange_label);
  gtk_widget_class_bind_template_callback (widget_class, setup_routing_key_label);
  gtk_widget_class_bind_template_callback (widget_class, setup_routes_label);
  gtk_widget_class_bind_template_callback (widget_class, bind_sequence);
  gtk_widget_class_bind_template_callback (widget_class, bind_time);
  gtk_widget_class_bind_template_callback (widget_class, bind_exchange);
  gtk_widget_class_bind_template_callback (widget_class, bind_routing_key);
  gtk_widget_class_bind_template_callback (widget_class, bind_routes);
  gtk_widget_class_bind_template_callback (widget_class, bind_redelivered);

  gtk_widget_class_set_css_name (widget_class, "pimessagelist");
}

static void
pi_message_list_init (PiMessageList *self)
{
  self->follow = TRUE;
  self->following = TRUE;
  self->held = g_ptr_array_new_with_free_func (g_object_unref);

  g_type_ensure (ADW_TYPE_STATUS_PAGE);

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  g_object_bind_property (self, "search-mode",
                          self->search_bar, "search-mode-enabled",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);

  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (on_model_items_changed), self,
                           G_CONNECT_SWAPPED);

  self->vadjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (self->vadjustment, "changed",
                           G_CALLBACK (on_vadjustment_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->vadjustment, "value-changed",
                           G_CALLBACK (on_vadjustment_value_changed), self,
                           G_CONNECT_SWAPPED);

  update_counts (self);
}

GtkWidget *
pi_message_list_new (void)
{
  return g_object_new (PI_TYPE_MESSAGE_LIST, NULL);
}

PiMessageStore *
pi_message_list_get_store (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->store;
}

void
pi_message_list_set_store (PiMessageList  *self,
                           PiMessageStore *store)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));
  g_return_if_fail (!store || PI_IS_MESSAGE_STORE (store));

  if (self->store == store)
    return;

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);

  g_set_object (&self->store, store);
  gtk_filter_list_model_set_model (self->filter_model, G_LIST_MODEL (store));

  /* With a filter set, the filter model says nothing about rows it hides;
   * the total ("of M") comes from the store itself. Connected after the
   * filter model so that both counts are current. */
  if (store != NULL)
    g_signal_connect_object (store, "items-changed",
                             G_CALLBACK (on_model_items_changed), self,
                             G_CONNECT_SWAPPED | G_CONNECT_AFTER);

  update_counts (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

/**
 * pi_message_list_get_selected_message:
 *
 * Returns: (transfer none) (nullable): the selected message
 */
PiMessage *
pi_message_list_get_selected_message (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->selected;
}

const char *
pi_message_list_get_filter_text (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->filter_text ? self->filter_text : "";
}

void
pi_message_list_set_filter_text (PiMessageList *self,
                                 const char    *filter_text)
{
  g_autofree char *old_needle = NULL;
  char *needle;

  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  if (filter_text == NULL)
    filter_text = "";

  if (g_strcmp0 (pi_message_list_get_filter_text (self), filter_text) == 0)
    return;

  g_free (self->filter_text);
  self->filter_text = g_strdup (filter_text);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), filter_text) != 0)
    {
      self->setting_entry = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), filter_text);
      self->setting_entry = FALSE;
    }

  needle = filter_text[0] ? g_utf8_casefold (filter_text, -1) : NULL;
  old_needle = g_steal_pointer (&self->needle);
  self->needle = needle;

  /* No filter function at all when the text is empty: the filter model
   * then passes the store's changes straight through. With one, it only
   * runs the function on the rows a batch adds. */
  if (needle == NULL)
    gtk_custom_filter_set_filter_func (self->filter, NULL, NULL, NULL);
  else if (old_needle == NULL)
    gtk_custom_filter_set_filter_func (self->filter, filter_func, self, NULL);
  else if (strstr (needle, old_needle) != NULL)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_MORE_STRICT);
  else if (strstr (old_needle, needle) != NULL)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_LESS_STRICT);
  else
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);

  /* A filter the user cannot see would only confuse. */
  if (needle != NULL)
    pi_message_list_set_search_mode (self, TRUE);

  update_counts (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER_TEXT]);
}

gboolean
pi_message_list_get_follow (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), FALSE);

  return self->follow;
}

void
pi_message_list_set_follow (PiMessageList *self,
                            gboolean       follow)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  follow = !!follow;
  if (self->follow == follow)
    return;

  self->follow = follow;

  /* Turning it on means "show me the newest", wherever the view was. */
  if (follow)
    {
      self->following = TRUE;
      scroll_to_bottom (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOW]);
}

gboolean
pi_message_list_get_paused (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), FALSE);

  return self->paused;
}

void
pi_message_list_set_paused (PiMessageList *self,
                            gboolean       paused)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  paused = !!paused;
  if (self->paused == paused)
    return;

  self->paused = paused;

  if (!paused && self->held->len > 0)
    {
      g_autoptr(GPtrArray) held = g_steal_pointer (&self->held);

      self->held = g_ptr_array_new_with_free_func (g_object_unref);
      if (self->store != NULL)
        pi_message_store_append (self->store, (PiMessage **)held->pdata, held->len);
    }

  if (!paused && self->n_held != 0)
    {
      self->n_held = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_HELD]);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

guint
pi_message_list_get_n_shown (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), 0);

  return self->n_shown;
}

guint
pi_message_list_get_n_held (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), 0);

  return self->n_held;
}

gboolean
pi_message_list_get_search_mode (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), FALSE);

  return self->search_mode;
}

void
pi_message_list_set_search_mode (PiMessageList *self,
                                 gboolean       search_mode)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  search_mode = !!search_mode;
  if (self->search_mode == search_mode)
    return;

  self->search_mode = search_mode;

  /* Closing the search bar drops its filter, as GNOME apps do. */
  if (!search_mode)
    pi_message_list_set_filter_text (self, NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_MODE]);
}

/**
 * pi_message_list_append:
 * @batch: (element-type PiMessage) (transfer none): messages in arrival order
 *
 * Appends @batch to the store with one change of the model, or holds it
 * while the list is paused.
 */
void
pi_message_list_append (PiMessageList *self,
                        GPtrArray     *batch)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));
  g_return_if_fail (batch != NULL);

  if (batch->len == 0)
    return;

  if (!self->paused)
    {
      g_return_if_fail (self->store != NULL);

      pi_message_store_append (self->store, (PiMessage **)batch->pdata, batch->len);
      return;
    }

  for (guint i = 0; i < batch->len; i++)
    g_ptr_array_add (self->held, g_object_ref (g_ptr_array_index (batch, i)));

  /* Only the newest `capacity` held messages can survive Resume; drop the
   * rest in chunks so that a long pause neither grows without bound nor
   * moves the array on every batch. */
  if (self->store != NULL)
    {
      guint capacity = pi_message_store_get_capacity (self->store);

      if (self->held->len > 2 * capacity)
        g_ptr_array_remove_range (self->held, 0, self->held->len - capacity);
    }

  self->n_held += batch->len;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_HELD]);
}

void
pi_message_list_clear (PiMessageList *self)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  if (self->held->len > 0)
    g_ptr_array_set_size (self->held, 0);

  if (self->n_held != 0)
    {
      self->n_held = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_HELD]);
    }

  self->following = TRUE;

  if (self->store != NULL)
    pi_message_store_clear (self->store);
}

void
pi_message_list_start_search (PiMessageList *self)
{
  g_return_if_fail (PI_IS_MESSAGE_LIST (self));

  pi_message_list_set_search_mode (self, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/**
 * pi_message_list_get_column_view:
 *
 * Returns: (transfer none): the table
 */
GtkColumnView *
pi_message_list_get_column_view (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->column_view;
}

/**
 * pi_message_list_get_vadjustment:
 *
 * Returns: (transfer none): the table's vertical adjustment
 */
GtkAdjustment *
pi_message_list_get_vadjustment (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return self->vadjustment;
}

/**
 * pi_message_list_get_visible_page:
 *
 * Returns: "messages", "waiting" or "no-match"
 */
const char *
pi_message_list_get_visible_page (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
pi_message_list_get_count_text (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), NULL);

  return gtk_label_get_label (self->count_label);
}

gboolean
pi_message_list_get_following (PiMessageList *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_LIST (self), FALSE);

  return self->follow && self->following;
}
