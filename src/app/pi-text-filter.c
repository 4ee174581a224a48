/* pi-text-filter.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-text-filter"

#include "pi-message-filter.h"
#include "pi-text-filter.h"

/*
 * The message list's search filter. Matching every message on the main
 * thread froze the window for a second and more with 100,000 messages, so
 * a long list is searched on worker threads (pi_message_filter_search_async)
 * and the filter model is told only when the result is there:
 *
 *  - while a search runs, the rows shown stay those of the previous text
 *    (`shown`), and rows that arrive meanwhile are matched against it too,
 *    so that the list is never a mix of two texts;
 *  - when it finishes, `changed` is emitted once; the filter model then asks
 *    match() for each row, in order, which is a lookup in the result;
 *  - rows that arrive after the search started are not in the result and
 *    are matched directly, a few at a time as they come.
 *
 * Typing another character cancels the search under way. A short list is
 * matched directly, at once: starting threads would only add latency.
 */

/* Up to this many messages (the default capacity) are matched on the main
 * thread: at ~1 µs a message, within a frame or so. */
#define SYNC_LIMIT 10000

struct _PiTextFilter
{
  GtkFilter         parent_instance;

  /* Owned */
  GListModel       *model;
  char             *text;
  char             *needle;      /* text casefolded: what is searched for, NULL when empty */
  char             *shown;       /* the needle the filter model currently shows, NULL = all */
  PiMessageMatches *matches;     /* NULL or the result of searching for `shown` */
  GCancellable     *cancellable; /* the search under way */

  guint             hint;        /* where the filter model's next row is in `matches` */
};

G_DEFINE_FINAL_TYPE (PiTextFilter, pi_text_filter, GTK_TYPE_FILTER)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_TEXT,
  PROP_SEARCHING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
pi_text_filter_match (GtkFilter *filter,
                      gpointer   item)
{
  PiTextFilter *self = (PiTextFilter *)filter;
  gboolean matched;

  if (self->shown == NULL)
    return TRUE;

  if (self->matches != NULL &&
      pi_message_matches_lookup (self->matches, item, &self->hint, &matched))
    return matched;

  return pi_message_contains_text (item, self->shown);
}

static GtkFilterMatch
pi_text_filter_get_strictness (GtkFilter *filter)
{
  PiTextFilter *self = (PiTextFilter *)filter;

  return self->shown == NULL ? GTK_FILTER_MATCH_ALL : GTK_FILTER_MATCH_SOME;
}

/* Shows the rows for @needle (NULL: all), with @matches when searched, and
 * tells the filter model which rows it has to look at again. */
static void
show (PiTextFilter     *self,
      const char       *needle,
      PiMessageMatches *matches)
{
  g_autofree char *old = g_steal_pointer (&self->shown);
  GtkFilterChange change;

  g_assert (matches == NULL || g_strcmp0 (pi_message_matches_get_needle (matches), needle) == 0);

  self->shown = g_strdup (needle);
  g_clear_pointer (&self->matches, pi_message_matches_unref);
  self->matches = matches ? pi_message_matches_ref (matches) : NULL;
  self->hint = 0;

  /* Only the rows shown can disappear when the text grows, and only the
   * hidden ones can appear when it shrinks. */
  if (old == NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (needle == NULL || strstr (old, needle) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else if (strstr (needle, old) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else
    change = GTK_FILTER_CHANGE_DIFFERENT;

  gtk_filter_changed (GTK_FILTER (self), change);
}

static void
set_searching (PiTextFilter *self,
               GCancellable *cancellable)
{
  gboolean was_searching = self->cancellable != NULL;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_set_object (&self->cancellable, cancellable);

  if (was_searching != (cancellable != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCHING]);
}

static void
on_search_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PiTextFilter) self = user_data;
  g_autoptr(PiMessageMatches) matches = NULL;
  g_autoptr(GError) error = NULL;

  if (!(matches = pi_message_filter_search_finish (result, &error)))
    {
      /* Only cancelled: a newer text or model took over. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Searching the messages failed: %s", error->message);
      return;
    }

  if (g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return;

  g_debug ("Searched %u messages for \"%s\"",
           pi_message_matches_get_n_searched (matches),
           pi_message_matches_get_needle (matches));

  set_searching (self, NULL);
  show (self, pi_message_matches_get_needle (matches), matches);
}

/* Brings what is shown up to date with the text. */
static void
refilter (PiTextFilter *self)
{
  g_autoptr(GCancellable) cancellable = NULL;
  guint n_items;

  set_searching (self, NULL);

  n_items = self->model ? g_list_model_get_n_items (self->model) : 0;
  if (self->needle == NULL || n_items <= SYNC_LIMIT)
    {
      show (self, self->needle, NULL);
      return;
    }

  cancellable = g_cancellable_new ();
  set_searching (self, cancellable);
  pi_message_filter_search_async (self->model, self->needle, cancellable,
                                  on_search_done, g_object_ref (self));
}

static void
pi_text_filter_dispose (GObject *object)
{
  PiTextFilter *self = (PiTextFilter *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->model);
  g_clear_pointer (&self->matches, pi_message_matches_unref);

  G_OBJECT_CLASS (pi_text_filter_parent_class)->dispose (object);
}

static void
pi_text_filter_finalize (GObject *object)
{
  PiTextFilter *self = (PiTextFilter *)object;

  g_free (self->text);
  g_free (self->needle);
  g_free (self->shown);

  G_OBJECT_CLASS (pi_text_filter_parent_class)->finalize (object);
}

static void
pi_text_filter_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PiTextFilter *self = PI_TEXT_FILTER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;

    case PROP_TEXT:
      g_value_set_string (value, pi_text_filter_get_text (self));
      break;

    case PROP_SEARCHING:
      g_value_set_boolean (value, pi_text_filter_get_searching (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_text_filter_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PiTextFilter *self = PI_TEXT_FILTER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      pi_text_filter_set_model (self, g_value_get_object (value));
      break;

    case PROP_TEXT:
      pi_text_filter_set_text (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_text_filter_class_init (PiTextFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkFilterClass *filter_class = GTK_FILTER_CLASS (klass);

  object_class->dispose = pi_text_filter_dispose;
  object_class->finalize = pi_text_filter_finalize;
  object_class->get_property = pi_text_filter_get_property;
  object_class->set_property = pi_text_filter_set_property;

  filter_class->match = pi_text_filter_match;
  filter_class->get_strictness = pi_text_filter_get_strictness;

  /**
   * PiTextFilter:model:
   *
   * The list of #PiMessage that searches take their snapshot of: the
   * model of the filter model this filter is used in.
   */
  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * PiTextFilter:searching:
   *
   * Whether a search for the text runs; the rows of the previous text are
   * shown meanwhile.
   */
  properties[PROP_SEARCHING] =
    g_param_spec_boolean ("searching", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_text_filter_init (PiTextFilter *self)
{
}

PiTextFilter *
pi_text_filter_new (void)
{
  return g_object_new (PI_TYPE_TEXT_FILTER, NULL);
}

GListModel *
pi_text_filter_get_model (PiTextFilter *self)
{
  g_return_val_if_fail (PI_IS_TEXT_FILTER (self), NULL);

  return self->model;
}

void
pi_text_filter_set_model (PiTextFilter *self,
                          GListModel   *model)
{
  g_return_if_fail (PI_IS_TEXT_FILTER (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (!g_set_object (&self->model, model))
    return;

  /* A result stays valid (it knows its messages by identity), but a search
   * under way is of the old list. */
  if (self->cancellable != NULL)
    refilter (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

const char *
pi_text_filter_get_text (PiTextFilter *self)
{
  g_return_val_if_fail (PI_IS_TEXT_FILTER (self), NULL);

  return self->text ? self->text : "";
}

void
pi_text_filter_set_text (PiTextFilter *self,
                         const char   *text)
{
  g_return_if_fail (PI_IS_TEXT_FILTER (self));

  g_autofree char *old_needle = NULL;

  if (text == NULL)
    text = "";
  if (g_strcmp0 (pi_text_filter_get_text (self), text) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (text);
  old_needle = g_steal_pointer (&self->needle);
  self->needle = text[0] ? g_utf8_casefold (text, -1) : NULL;

  /* "Task" after "task" finds the same messages. */
  if (g_strcmp0 (old_needle, self->needle) != 0)
    refilter (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

gboolean
pi_text_filter_get_searching (PiTextFilter *self)
{
  g_return_val_if_fail (PI_IS_TEXT_FILTER (self), FALSE);

  return self->cancellable != NULL;
}
