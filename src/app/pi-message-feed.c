/* pi-message-feed.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-session"

#include "pi-message-feed.h"

/* What reaches the store, as the user steers it: messages as they arrive,
 * or held back while paused and handed over on Resume; Clear, with what
 * it removed kept while it can be undone. GTK-free; PiSession holds one
 * for its store. */
struct _PiMessageFeed
{
  GObject         parent_instance;

  PiMessageStore *store;
  gboolean        paused;
  guint           n_held;      /* arrived while paused (some may be dropped) */
  GPtrArray      *held;        /* the newest of them, for Resume */
  GPtrArray      *cleared;     /* what Clear removed, while it can be undone */
};

G_DEFINE_FINAL_TYPE (PiMessageFeed, pi_message_feed, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PAUSED,
  PROP_N_HELD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
pi_message_feed_dispose (GObject *object)
{
  PiMessageFeed *self = PI_MESSAGE_FEED (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->held, g_ptr_array_unref);
  g_clear_pointer (&self->cleared, g_ptr_array_unref);

  G_OBJECT_CLASS (pi_message_feed_parent_class)->dispose (object);
}

static void
pi_message_feed_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PiMessageFeed *self = PI_MESSAGE_FEED (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;

    case PROP_N_HELD:
      g_value_set_uint (value, self->n_held);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_feed_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PiMessageFeed *self = PI_MESSAGE_FEED (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      pi_message_feed_set_paused (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_feed_class_init (PiMessageFeedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pi_message_feed_dispose;
  object_class->get_property = pi_message_feed_get_property;
  object_class->set_property = pi_message_feed_set_property;

  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_HELD] =
    g_param_spec_uint ("n-held", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_message_feed_init (PiMessageFeed *self)
{
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * pi_message_feed_new:
 * @store: the store to fill
 *
 * Returns: (transfer full): a feed for @store, not paused
 */
PiMessageFeed *
pi_message_feed_new (PiMessageStore *store)
{
  PiMessageFeed *self;

  g_return_val_if_fail (PI_IS_MESSAGE_STORE (store), NULL);

  self = g_object_new (PI_TYPE_MESSAGE_FEED, NULL);
  self->store = g_object_ref (store);

  return self;
}

static void
set_n_held (PiMessageFeed *self,
            guint          n_held)
{
  if (self->n_held == n_held)
    return;

  self->n_held = n_held;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_HELD]);
}

/* The newest entry of @store, or NULL. */
static PiMessage *
dup_last (PiMessageStore *store)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  return n > 0 ? g_list_model_get_item (G_LIST_MODEL (store), n - 1) : NULL;
}

/* Consecutive reports of dropped messages with the same reason make one
 * row that counts them all (a server dropping every large message would
 * otherwise fill the list with one row each): folds each report in
 * @messages into the entry before it, @last for the first one. Returns
 * what is left to append, or NULL when that is all of @messages (nearly
 * always: a batch without reports costs one look at each kind). */
static GPtrArray *
fold_dropped (PiMessage  *last,
              PiMessage **messages,
              guint       n_messages)
{
  GPtrArray *kept = NULL;
  guint i;

  for (i = 0; i < n_messages; i++)
    if (pi_message_get_kind (messages[i]) == PI_MESSAGE_KIND_DROPPED)
      break;
  if (i == n_messages)
    return NULL;

  if (i > 0)
    last = messages[i - 1];

  kept = g_ptr_array_new_full (n_messages, g_object_unref);
  for (guint j = 0; j < i; j++)
    g_ptr_array_add (kept, g_object_ref (messages[j]));

  for (; i < n_messages; i++)
    {
      if (last != NULL && pi_message_merge_dropped (last, messages[i]))
        continue;
      g_ptr_array_add (kept, g_object_ref (messages[i]));
      last = messages[i];
    }

  return kept;
}

/* Appends @messages to the store, folding dropped reports into the row
 * before them. */
static void
append_to_store (PiMessageFeed  *self,
                 PiMessage     **messages,
                 guint           n_messages)
{
  g_autoptr(PiMessage) last = dup_last (self->store);
  g_autoptr(GPtrArray) kept = fold_dropped (last, messages, n_messages);

  if (kept == NULL)
    pi_message_store_append (self->store, messages, n_messages);
  else if (kept->len > 0)
    pi_message_store_append (self->store, (PiMessage **) kept->pdata, kept->len);
}

/**
 * pi_message_feed_add:
 * @self: a #PiMessageFeed
 * @batch: (element-type PiMessage) (transfer none): messages in arrival order
 *
 * Appends @batch to the store with one change of the model, or holds it
 * while paused.
 */
void
pi_message_feed_add (PiMessageFeed *self,
                     GPtrArray     *batch)
{
  g_autoptr(GPtrArray) kept = NULL;
  PiMessage *last;
  guint capacity;

  g_return_if_fail (PI_IS_MESSAGE_FEED (self));
  g_return_if_fail (batch != NULL);

  if (batch->len == 0)
    return;

  if (!self->paused)
    {
      append_to_store (self, (PiMessage **) batch->pdata, batch->len);
      return;
    }

  /* Held reports fold into what is held before them; the first one held
   * is folded into the list's last row on Resume, not while paused (the
   * list stands still while paused). */
  last = self->held->len > 0 ? g_ptr_array_index (self->held, self->held->len - 1) : NULL;
  kept = fold_dropped (last, (PiMessage **) batch->pdata, batch->len);
  if (kept == NULL)
    kept = g_ptr_array_ref (batch);

  for (guint i = 0; i < kept->len; i++)
    g_ptr_array_add (self->held, g_object_ref (g_ptr_array_index (kept, i)));

  /* Only the newest `capacity` held messages can survive Resume; drop the
   * rest in chunks so that a long pause neither grows without bound nor
   * moves the array on every batch. Chunks of an eighth of the capacity:
   * paused, the store's messages are kept too, so chunks of the whole
   * capacity had a pause under load hold three times the capacity's
   * messages at worst; now 2.125 times, for a move of the array (1.6 MB
   * for 200,000) every 25,000 messages. */
  capacity = pi_message_store_get_capacity (self->store);
  if (self->held->len > capacity + MAX (capacity / 8, 256))
    g_ptr_array_remove_range (self->held, 0, self->held->len - capacity);

  set_n_held (self, self->n_held + kept->len);
}

/**
 * pi_message_feed_mark_switch:
 * @self: a #PiMessageFeed
 * @server: the server listened to from now on, in words
 *
 * Adds the row that says the messages after it come from @server (see
 * %PI_MESSAGE_KIND_SWITCH), as any message: held while paused. Not to an
 * empty list: there is nothing to tell apart.
 */
void
pi_message_feed_mark_switch (PiMessageFeed *self,
                             const char    *server)
{
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(PiMessage) last = NULL;

  g_return_if_fail (PI_IS_MESSAGE_FEED (self));
  g_return_if_fail (server != NULL);

  if (self->held->len > 0)
    last = g_object_ref (g_ptr_array_index (self->held, self->held->len - 1));
  else
    last = dup_last (self->store);
  if (last == NULL)
    return;

  batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (batch, pi_message_new_switch (pi_message_get_sequence (last), g_get_real_time (), server));
  pi_message_feed_add (self, batch);
}

gboolean
pi_message_feed_get_paused (PiMessageFeed *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_FEED (self), FALSE);

  return self->paused;
}

/**
 * pi_message_feed_set_paused:
 * @self: a #PiMessageFeed
 * @paused: whether to hold what arrives
 *
 * Pausing holds what arrives; resuming appends what was held to the
 * store, in arrival order.
 */
void
pi_message_feed_set_paused (PiMessageFeed *self,
                            gboolean       paused)
{
  g_return_if_fail (PI_IS_MESSAGE_FEED (self));

  paused = !!paused;
  if (self->paused == paused)
    return;

  self->paused = paused;

  if (!paused && self->held->len > 0)
    {
      g_autoptr(GPtrArray) held = g_steal_pointer (&self->held);

      self->held = g_ptr_array_new_with_free_func (g_object_unref);
      append_to_store (self, (PiMessage **) held->pdata, held->len);
    }

  if (!paused)
    set_n_held (self, 0);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

/**
 * pi_message_feed_get_n_held:
 * @self: a #PiMessageFeed
 *
 * Returns: how many messages arrived while paused
 */
guint
pi_message_feed_get_n_held (PiMessageFeed *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_FEED (self), 0);

  return self->n_held;
}

/* A copy of @model's items. */
static GPtrArray *
dup_items (GListModel *model)
{
  guint n = g_list_model_get_n_items (model);
  GPtrArray *items = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (model, i));

  return items;
}

/**
 * pi_message_feed_clear:
 * @self: a #PiMessageFeed
 *
 * Empties the store and drops what is held; what the store had is kept
 * for pi_message_feed_undo_clear() until pi_message_feed_forget_cleared()
 * or the next Clear.
 *
 * Returns: how many messages the store had
 */
guint
pi_message_feed_clear (PiMessageFeed *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_FEED (self), 0);

  g_clear_pointer (&self->cleared, g_ptr_array_unref);
  self->cleared = dup_items (G_LIST_MODEL (self->store));

  if (self->held->len > 0)
    g_ptr_array_set_size (self->held, 0);
  set_n_held (self, 0);

  pi_message_store_clear (self->store);

  /* Nothing removed, nothing to undo. */
  if (self->cleared->len == 0)
    {
      g_clear_pointer (&self->cleared, g_ptr_array_unref);
      return 0;
    }

  return self->cleared->len;
}

/**
 * pi_message_feed_undo_clear:
 * @self: a #PiMessageFeed
 *
 * Puts back what the last Clear removed, before what arrived since.
 *
 * Returns: whether there was something to put back
 */
gboolean
pi_message_feed_undo_clear (PiMessageFeed *self)
{
  g_autoptr(GPtrArray) cleared = NULL;
  g_autoptr(GPtrArray) arrived = NULL;

  g_return_val_if_fail (PI_IS_MESSAGE_FEED (self), FALSE);

  if (self->cleared == NULL)
    return FALSE;

  cleared = g_steal_pointer (&self->cleared);
  arrived = dup_items (G_LIST_MODEL (self->store));

  pi_message_store_clear (self->store);
  pi_message_store_append (self->store, (PiMessage **) cleared->pdata, cleared->len);
  pi_message_store_append (self->store, (PiMessage **) arrived->pdata, arrived->len);

  return TRUE;
}

/* The undo is gone (its toast was dismissed): let the messages go. */
void
pi_message_feed_forget_cleared (PiMessageFeed *self)
{
  g_return_if_fail (PI_IS_MESSAGE_FEED (self));

  g_clear_pointer (&self->cleared, g_ptr_array_unref);
}

gboolean
pi_message_feed_get_can_undo_clear (PiMessageFeed *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_FEED (self), FALSE);

  return self->cleared != NULL;
}
