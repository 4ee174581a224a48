/* pi-text-filter.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-text-filter"

#include <string.h>

#include "pi-message-filter.h"
#include "pi-message-refs.h"
#include "pi-row-steps.h"
#include "pi-text-filter.h"

/*
 * The message list's search: a list model of the messages of `model` that
 * contain the text, in order. It replaced a GtkFilterListModel, which asks
 * its filter about every row on the main thread: with a million messages
 * that alone took up to a second after the search was done. Here the rows
 * shown are an array of positions in `model`:
 *
 *  - a long list is searched on worker threads
 *    (pi_message_filter_search_async); meanwhile the rows shown stay those
 *    of the previous text (`shown`), rows that arrive are matched against
 *    it, so that the list is never a mix of two texts;
 *  - when the search finishes, its positions (of the snapshot) are moved
 *    past what the list evicted and appended meanwhile, and the change is
 *    announced with one items-changed, trimmed to the rows that differ; the
 *    table then asks for the rows it draws, and nothing else is touched;
 *  - rows that arrive later are matched directly, a few at a time.
 *
 * The filter keeps a reference to each message of `model` itself
 * (`messages`, see PiMessageRefs), so that a search's snapshot is a copy
 * of that array. The steps in which the rows shown change are planned by
 * PiRowSteps.
 *
 * Typing another character cancels the search under way. A short list is
 * matched directly, at once: starting threads would only add latency.
 */

/* Up to this many messages (the default capacity) are matched on the main
 * thread: at ~1 µs a message, within a frame or so. */
#define SYNC_LIMIT 10000

struct _PiTextFilter
{
  GObject           parent_instance;

  /* Owned */
  GListModel       *model;
  char             *text;
  char             *needle;      /* text casefolded: what is searched for, NULL when empty */
  char             *shown;       /* the needle whose rows are shown, NULL = all */
  GArray           *positions;   /* guint: the rows shown when `shown`, ascending */
  GCancellable     *cancellable; /* the search under way */
  PiMessageRefs    *messages;    /* a reference to each message of `model` */

  /* What happened to the snapshot of the search under way: how many of
   * its messages the list still holds (at its front), and how many it
   * dropped from the front. */
  guint             snapshot_left;
  guint             snapshot_dropped;
  GArray           *candidates;  /* the positions searched, NULL = all */
  char             *running;     /* the needle searched for */

  PiMessage        *kept;        /* its row stays when the rows change */
  gboolean          following;   /* the view keeps to the newest row */
  guint             showing;     /* in show(): the rows change for another text */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PiTextFilter, pi_text_filter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_MODEL,
  PROP_TEXT,
  PROP_SEARCHING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void refilter (PiTextFilter *self);

static inline guint
n_messages (PiTextFilter *self)
{
  return pi_message_refs_get_n (self->messages);
}

static inline PiMessage *
message_at (PiTextFilter *self,
            guint         position)
{
  return pi_message_refs_get (self->messages, position);
}

/* GListModel */

static GType
pi_text_filter_get_item_type (GListModel *list)
{
  return PI_TYPE_MESSAGE;
}

static guint
model_n_items (PiTextFilter *self)
{
  return n_messages (self);
}

static guint
pi_text_filter_get_n_items (GListModel *list)
{
  PiTextFilter *self = PI_TEXT_FILTER (list);

  if (self->shown == NULL)
    return model_n_items (self);

  return self->positions->len;
}

static gpointer
pi_text_filter_get_item (GListModel *list,
                         guint       position)
{
  PiTextFilter *self = PI_TEXT_FILTER (list);

  if (self->shown != NULL)
    {
      if (position >= self->positions->len)
        return NULL;
      position = g_array_index (self->positions, guint, position);
    }

  if (position >= n_messages (self))
    return NULL;

  return g_object_ref (message_at (self, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pi_text_filter_get_item_type;
  iface->get_n_items = pi_text_filter_get_n_items;
  iface->get_item = pi_text_filter_get_item;
}

/* The rows shown */

static gboolean
model_item_contains (PiTextFilter *self,
                     guint         position,
                     const char   *needle)
{
  return pi_message_contains_text (message_at (self, position), needle);
}

/* The first index of `positions` at or after @position. */
static guint
lower_bound (GArray *positions,
             guint   position)
{
  guint lo = 0;
  guint hi = positions->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (positions, guint, mid) < position)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

/* The row at index @i: @positions[i], or i itself when all are shown. */
static inline guint
row_at (GArray *positions,
        guint   i)
{
  return positions ? g_array_index (positions, guint, i) : i;
}

static gboolean
is_kept (guint    position,
         gpointer user_data)
{
  PiTextFilter *self = user_data;

  return message_at (self, position) == self->kept;
}

/* Shows @positions (NULL: all of the model) for @needle, and announces the
 * rows that differ from those shown before, in the steps PiRowSteps plans
 * for the view: the selection and the rows in sight stay where they can,
 * and GTK's list view does not rebuild what it need not. */
static void
show (PiTextFilter *self,
      const char   *needle,
      GArray       *positions)
{
  g_autoptr(PiRowSteps) steps = NULL;
  g_autoptr(GArray) old = NULL;
  g_autofree char *final_shown = g_strdup (needle);
  guint old_len;
  guint n_steps;
  guint i;

  g_assert ((needle == NULL) == (positions == NULL));

  old_len = pi_text_filter_get_n_items (G_LIST_MODEL (self));
  old = self->shown ? g_steal_pointer (&self->positions) : NULL;
  g_clear_pointer (&self->positions, g_array_unref);
  steps = pi_row_steps_new (old, old_len,
                            positions, positions ? positions->len : n_messages (self),
                            self->following, self->kept ? is_kept : NULL, self);
  n_steps = pi_row_steps_get_n_steps (steps);

  self->showing++;
  for (i = 0; i < n_steps; i++)
    {
      guint position;
      guint removed;
      guint added;

      g_clear_pointer (&self->positions, g_array_unref);
      g_free (self->shown);
      /* The steps' rows are arrays even when all are shown; the last
       * step's are final. */
      if (i + 1 < n_steps)
        self->shown = g_strdup (final_shown ? final_shown : "");
      else
        self->shown = g_steal_pointer (&final_shown);
      self->positions = pi_row_steps_dup_rows (steps, i);

      pi_row_steps_get_change (steps, i, &position, &removed, &added);
      if (removed > 0 || added > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
    }
  self->showing--;
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

/* The rows of @candidates (all when NULL) that contain @needle. */
static GArray *
match_rows (PiTextFilter *self,
            GArray       *candidates,
            const char   *needle)
{
  guint n = candidates ? candidates->len : n_messages (self);
  GArray *positions = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i;

  for (i = 0; i < n; i++)
    {
      guint position = row_at (candidates, i);

      if (model_item_contains (self, position, needle))
        g_array_append_val (positions, position);
    }

  return positions;
}

static void on_search_done (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data);

/* Searches the rows of @candidates (all when NULL) for the needle on
 * worker threads. */
static void
start_search (PiTextFilter *self,
              GArray       *candidates)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint n_items = n_messages (self);
  PiMessage **all;

  set_searching (self, cancellable);
  self->snapshot_left = n_items;
  self->snapshot_dropped = 0;
  g_clear_pointer (&self->candidates, g_array_unref);
  /* A copy: the rows shown move as the list changes. */
  self->candidates = candidates ? g_array_copy (candidates) : NULL;
  g_free (self->running);
  self->running = g_strdup (self->needle);
  all = pi_message_refs_begin_read (self->messages);

  if (candidates != NULL)
    {
      g_autofree PiMessage **messages = g_new (PiMessage *, MAX (candidates->len, 1));
      guint i;

      for (i = 0; i < candidates->len; i++)
        messages[i] = message_at (self, g_array_index (candidates, guint, i));
      pi_message_filter_search_messages_async (messages, candidates->len, self->needle,
                                               cancellable, on_search_done, g_object_ref (self));
    }
  else
    {
      pi_message_filter_search_messages_async (all,
                                               n_items, self->needle, cancellable,
                                               on_search_done, g_object_ref (self));
    }
}

/* Shows the rows of @positions that contain the needle: all of them when
 * they were searched for it, otherwise (the text grew meanwhile) a search
 * of these rows only, on workers when they are many. */
static void
narrow (PiTextFilter *self,
        const char   *searched,
        GArray       *positions)
{
  g_autoptr(GArray) matched = NULL;

  if (g_strcmp0 (searched, self->needle) == 0)
    {
      set_searching (self, NULL);
      show (self, searched, positions);
      return;
    }

  g_assert (searched != NULL && self->needle != NULL && strstr (self->needle, searched) != NULL);

  if (positions->len > SYNC_LIMIT)
    {
      start_search (self, positions);
      return;
    }

  matched = match_rows (self, positions, self->needle);
  set_searching (self, NULL);
  show (self, self->needle, matched);
}

static void
on_search_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PiTextFilter) self = user_data;
  g_autoptr(PiMessageMatches) matches = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) positions = NULL;
  g_autofree char *searched = NULL;
  const guint *found;
  guint n_found;
  guint n_items;
  guint i;

  /* No thread of this search reads the messages any more. */
  pi_message_refs_end_read (self->messages);

  if (!(matches = pi_message_filter_search_finish (result, &error)))
    {
      /* Only cancelled: a newer text or model took over. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Searching the messages failed: %s", error->message);
      return;
    }

  if (g_task_get_cancellable (G_TASK (result)) != self->cancellable)
    return;

  searched = g_strdup (pi_message_matches_get_needle (matches));
  g_debug ("Searched %u messages for \"%s\"",
           pi_message_matches_get_n_searched (matches), searched);

  /* The snapshot's positions, less what the list dropped from its front
   * meanwhile, then what it appended, matched here. */
  found = pi_message_matches_get_positions (matches, &n_found);
  n_items = n_messages (self);
  positions = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_found);
  for (i = 0; i < n_found; i++)
    {
      guint position = row_at (self->candidates, found[i]);

      if (position >= self->snapshot_dropped)
        {
          position -= self->snapshot_dropped;
          g_assert (position < self->snapshot_left);
          g_array_append_val (positions, position);
        }
    }
  for (i = self->snapshot_left; i < n_items; i++)
    if (model_item_contains (self, i, searched))
      g_array_append_val (positions, i);
  g_clear_pointer (&self->candidates, g_array_unref);

  narrow (self, searched, positions);
}

/* Brings what is shown up to date with the text. */
static void
refilter (PiTextFilter *self)
{
  g_autoptr(GArray) positions = NULL;
  GArray *candidates = NULL;

  if (self->needle == NULL)
    {
      set_searching (self, NULL);
      show (self, NULL, NULL);
      return;
    }

  /* Typing on: the search under way finds the rows the longer text can
   * be in, and they are searched next. */
  if (self->cancellable != NULL && strstr (self->needle, self->running) != NULL)
    return;

  set_searching (self, NULL);

  /* A longer text can only be in the rows the shorter one found. */
  if (self->shown != NULL && strstr (self->needle, self->shown) != NULL)
    candidates = self->positions;

  if ((candidates ? candidates->len : n_messages (self)) > SYNC_LIMIT)
    {
      start_search (self, candidates);
      return;
    }

  positions = match_rows (self, candidates, self->needle);
  show (self, self->needle, positions);
}

static void
on_model_items_changed (PiTextFilter *self,
                        guint         position,
                        guint         removed,
                        guint         added,
                        GListModel   *model)
{
  gboolean restart = FALSE;

  pi_message_refs_update (self->messages, model, position, removed, added);

  /* A search under way keeps track of its snapshot: the list drops from
   * its front and appends at its end. Anything else starts it again. */
  if (self->cancellable != NULL)
    {
      if (position == 0 && added == 0)
        {
          guint k = MIN (removed, self->snapshot_left);

          self->snapshot_left -= k;
          self->snapshot_dropped += k;
        }
      else if (removed != 0 || position + added != g_list_model_get_n_items (model))
        restart = TRUE;
    }

  if (self->shown == NULL)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
    }
  else
    {
      GArray *positions = self->positions;
      guint start = lower_bound (positions, position);
      guint end = lower_bound (positions, position + removed);
      guint n_added = 0;
      guint i;

      g_array_remove_range (positions, start, end - start);
      for (i = start; i < positions->len; i++)
        g_array_index (positions, guint, i) += added - removed;
      for (i = 0; i < added; i++)
        if (model_item_contains (self, position + i, self->shown))
          {
            guint row = position + i;

            g_array_insert_val (positions, start + n_added, row);
            n_added++;
          }

      if (end - start > 0 || n_added > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), start, end - start, n_added);
    }

  if (restart)
    {
      set_searching (self, NULL);
      refilter (self);
    }
}

/* GObject */

static void
pi_text_filter_dispose (GObject *object)
{
  PiTextFilter *self = (PiTextFilter *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  pi_message_refs_clear (self->messages);
  g_clear_object (&self->kept);

  G_OBJECT_CLASS (pi_text_filter_parent_class)->dispose (object);
}

static void
pi_text_filter_finalize (GObject *object)
{
  PiTextFilter *self = (PiTextFilter *)object;

  g_free (self->text);
  g_free (self->needle);
  g_free (self->shown);
  g_free (self->running);
  g_clear_pointer (&self->positions, g_array_unref);
  g_clear_pointer (&self->candidates, g_array_unref);
  pi_message_refs_free (self->messages);

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

  object_class->dispose = pi_text_filter_dispose;
  object_class->finalize = pi_text_filter_finalize;
  object_class->get_property = pi_text_filter_get_property;
  object_class->set_property = pi_text_filter_set_property;

  /**
   * PiTextFilter:model:
   *
   * The list of #PiMessage to show the matching messages of.
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
  self->messages = pi_message_refs_new ();
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
  guint old_len;

  g_return_if_fail (PI_IS_TEXT_FILTER (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));
  g_return_if_fail (model == NULL || g_list_model_get_item_type (model) == PI_TYPE_MESSAGE);

  if (self->model == model)
    return;

  old_len = pi_text_filter_get_n_items (G_LIST_MODEL (self));

  set_searching (self, NULL);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  pi_message_refs_clear (self->messages);
  g_set_object (&self->model, model);
  if (model != NULL)
    pi_message_refs_update (self->messages, model, 0, 0, g_list_model_get_n_items (model));
  if (model != NULL)
    g_signal_connect_object (model, "items-changed",
                             G_CALLBACK (on_model_items_changed), self,
                             G_CONNECT_SWAPPED);

  /* Another list: nothing of the old one is shown, the new one from
   * scratch (searched when long). */
  g_clear_pointer (&self->shown, g_free);
  g_clear_pointer (&self->positions, g_array_unref);
  if (old_len > 0 || model_n_items (self) > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, model_n_items (self));
  if (self->needle != NULL)
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
  g_autofree char *old_needle = NULL;

  g_return_if_fail (PI_IS_TEXT_FILTER (self));

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

/**
 * pi_text_filter_set_kept:
 * @self: a #PiTextFilter
 * @message: (nullable): a message, the selected one
 *
 * When the rows shown change and @message shows before and after, its row
 * is not removed and added again: a selection stays on it.
 */
void
pi_text_filter_set_kept (PiTextFilter *self,
                         PiMessage    *message)
{
  g_return_if_fail (PI_IS_TEXT_FILTER (self));
  g_return_if_fail (message == NULL || PI_IS_MESSAGE (message));

  g_set_object (&self->kept, message);
}

/**
 * pi_text_filter_set_following:
 * @self: a #PiTextFilter
 * @following: whether the view shows the newest rows
 *
 * A view that keeps to the newest rows gets every change of the rows in
 * steps (see PiRowSteps); one that stays where the user put it gets a small
 * change in one, so that the rows in sight stay if they still show.
 */
void
pi_text_filter_set_following (PiTextFilter *self,
                              gboolean      following)
{
  g_return_if_fail (PI_IS_TEXT_FILTER (self));

  self->following = !!following;
}

/**
 * pi_text_filter_get_showing:
 * @self: a #PiTextFilter
 *
 * Whether the rows change because the text changed (or its search ended),
 * in an items-changed handler: rows added then are not new messages.
 *
 * Returns: %TRUE while the rows of another text replace those shown
 */
gboolean
pi_text_filter_get_showing (PiTextFilter *self)
{
  g_return_val_if_fail (PI_IS_TEXT_FILTER (self), FALSE);

  return self->showing > 0;
}
