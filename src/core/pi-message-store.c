/* pi-message-store.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-message-store"

#include "config.h"

#include "pi-message-store.h"

/*
 * A bounded list of the newest messages: a ring buffer of pointers.
 *
 * The array grows on demand up to the capacity, so a store with a capacity
 * of a million that only ever sees a hundred messages stays small. Item i
 * (0 = oldest) is items[(head + i) % allocated], so get_item is O(1) and
 * evicting the oldest k is moving head, not moving memory.
 *
 * items-changed accounting: a batch that evicts nothing is announced with
 * one signal (old_n, 0, m). A batch that evicts k from the front is
 * announced with two, (0, k, 0) and then (n - k, 0, m). One signal would
 * have to be (0, n, n - k + m): it would claim every row was replaced, and
 * every GtkFilterListModel/GtkSortListModel above us would refilter and
 * resort the whole list, tens of times a second. Two precise signals let
 * them drop k rows at the top and look at m new rows at the bottom only.
 */

struct _PiMessageStore
{
  GObject     parent_instance;

  PiMessage **items;
  guint       allocated;
  guint       head;
  guint       n_items;
  guint       capacity;

  guint64     received;
  guint64     evicted;
};

enum {
  PROP_0,
  PROP_CAPACITY,
  PROP_N_ITEMS,
  PROP_RECEIVED,
  PROP_EVICTED,
  PROP_ITEM_TYPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static inline PiMessage **
slot (PiMessageStore *self,
      guint           position)
{
  return &self->items[(self->head + position) % self->allocated];
}

static GType
pi_message_store_get_item_type (GListModel *model)
{
  return PI_TYPE_MESSAGE;
}

static guint
pi_message_store_get_n_items (GListModel *model)
{
  return PI_MESSAGE_STORE (model)->n_items;
}

static gpointer
pi_message_store_get_item (GListModel *model,
                           guint       position)
{
  PiMessageStore *self = PI_MESSAGE_STORE (model);

  if (position >= self->n_items)
    return NULL;

  return g_object_ref (*slot (self, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pi_message_store_get_item_type;
  iface->get_n_items = pi_message_store_get_n_items;
  iface->get_item = pi_message_store_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (PiMessageStore, pi_message_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/* Drops the oldest @k messages without telling anyone. */
static void
drop_front (PiMessageStore *self,
            guint           k)
{
  guint i;

  g_assert (k <= self->n_items);

  for (i = 0; i < k; i++)
    g_clear_object (slot (self, i));

  if (self->allocated > 0)
    self->head = (self->head + k) % self->allocated;
  self->n_items -= k;
  if (self->n_items == 0)
    self->head = 0;
}

/* Reallocates the array to @size slots, the items in order from index 0. */
static void
relayout (PiMessageStore *self,
          guint           size)
{
  PiMessage **items;
  guint i;

  g_assert (size >= self->n_items);

  items = g_new0 (PiMessage *, size);
  for (i = 0; i < self->n_items; i++)
    items[i] = *slot (self, i);

  g_free (self->items);
  self->items = items;
  self->allocated = size;
  self->head = 0;
}

static void
pi_message_store_finalize (GObject *object)
{
  PiMessageStore *self = (PiMessageStore *)object;

  drop_front (self, self->n_items);
  g_free (self->items);

  G_OBJECT_CLASS (pi_message_store_parent_class)->finalize (object);
}

static void
pi_message_store_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PiMessageStore *self = PI_MESSAGE_STORE (object);

  switch (prop_id)
    {
    case PROP_CAPACITY:
      g_value_set_uint (value, self->capacity);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;

    case PROP_RECEIVED:
      g_value_set_uint64 (value, self->received);
      break;

    case PROP_EVICTED:
      g_value_set_uint64 (value, self->evicted);
      break;

    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, PI_TYPE_MESSAGE);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_store_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  PiMessageStore *self = PI_MESSAGE_STORE (object);

  switch (prop_id)
    {
    case PROP_CAPACITY:
      pi_message_store_set_capacity (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pi_message_store_class_init (PiMessageStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pi_message_store_finalize;
  object_class->get_property = pi_message_store_get_property;
  object_class->set_property = pi_message_store_set_property;

  /**
   * PiMessageStore:capacity:
   *
   * How many messages the store keeps; the oldest are evicted beyond it.
   */
  properties[PROP_CAPACITY] =
    g_param_spec_uint ("capacity", NULL, NULL,
                       1, PI_MESSAGE_STORE_MAX_CAPACITY,
                       PI_MESSAGE_STORE_DEFAULT_CAPACITY,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * PiMessageStore:received:
   *
   * How many messages were appended since creation or the last clear.
   */
  properties[PROP_RECEIVED] =
    g_param_spec_uint64 ("received", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * PiMessageStore:evicted:
   *
   * How many of the received messages were dropped to stay in capacity.
   */
  properties[PROP_EVICTED] =
    g_param_spec_uint64 ("evicted", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL,
                        PI_TYPE_MESSAGE,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pi_message_store_init (PiMessageStore *self)
{
  self->capacity = PI_MESSAGE_STORE_DEFAULT_CAPACITY;
}

/**
 * pi_message_store_new:
 * @capacity: how many messages to keep (1 to %PI_MESSAGE_STORE_MAX_CAPACITY);
 *   0 for %PI_MESSAGE_STORE_DEFAULT_CAPACITY
 *
 * Returns: (transfer full): a new, empty store
 */
PiMessageStore *
pi_message_store_new (guint capacity)
{
  if (capacity == 0)
    capacity = PI_MESSAGE_STORE_DEFAULT_CAPACITY;

  return g_object_new (PI_TYPE_MESSAGE_STORE,
                       "capacity", CLAMP (capacity, 1, PI_MESSAGE_STORE_MAX_CAPACITY),
                       NULL);
}

/**
 * pi_message_store_get_capacity:
 * @self: a store
 *
 * Returns: how many messages the store keeps at most
 */
guint
pi_message_store_get_capacity (PiMessageStore *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_STORE (self), 0);

  return self->capacity;
}

/**
 * pi_message_store_set_capacity:
 * @self: a store
 * @capacity: how many messages to keep, 1 to %PI_MESSAGE_STORE_MAX_CAPACITY
 *
 * Changes the capacity. Shrinking below the number of messages evicts the
 * oldest ones (counted in #PiMessageStore:evicted) with one items-changed.
 */
void
pi_message_store_set_capacity (PiMessageStore *self,
                               guint           capacity)
{
  guint k = 0;

  g_return_if_fail (PI_IS_MESSAGE_STORE (self));
  g_return_if_fail (capacity >= 1 && capacity <= PI_MESSAGE_STORE_MAX_CAPACITY);

  if (capacity == self->capacity)
    return;

  if (self->n_items > capacity)
    {
      k = self->n_items - capacity;
      drop_front (self, k);
      self->evicted += k;
    }
  self->capacity = capacity;

  /* Give back memory a much smaller capacity no longer needs. */
  if (self->allocated > capacity)
    relayout (self, capacity);

  if (k > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, k, 0);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPACITY]);
  if (k > 0)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVICTED]);
    }
}

/**
 * pi_message_store_append:
 * @self: a store
 * @messages: (array length=n_messages) (transfer none): the messages, oldest first
 * @n_messages: how many
 *
 * Appends a batch of messages, evicting the oldest ones beyond the
 * capacity. A batch larger than the capacity keeps only its newest
 * messages; the others count as evicted. See the top of this file for the
 * items-changed signals emitted.
 */
void
pi_message_store_append (PiMessageStore  *self,
                         PiMessage      **messages,
                         guint            n_messages)
{
  guint skip = 0;
  guint k = 0;
  guint m;
  guint position;
  guint i;

  g_return_if_fail (PI_IS_MESSAGE_STORE (self));
  g_return_if_fail (messages != NULL || n_messages == 0);

  if (n_messages == 0)
    return;

  for (i = 0; i < n_messages; i++)
    g_return_if_fail (PI_IS_MESSAGE (messages[i]));

  if (n_messages > self->capacity)
    skip = n_messages - self->capacity;
  m = n_messages - skip;

  if (self->n_items + m > self->capacity)
    k = self->n_items + m - self->capacity;

  drop_front (self, k);
  self->received += n_messages;
  self->evicted += skip + k;

  if (k > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, k, 0);

  if (self->n_items + m > self->allocated)
    {
      guint size = MAX (self->allocated * 2, 64);

      size = MAX (size, self->n_items + m);
      relayout (self, MIN (size, self->capacity));
    }

  position = self->n_items;
  for (i = 0; i < m; i++)
    *slot (self, position + i) = g_object_ref (messages[skip + i]);
  self->n_items += m;

  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, m);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIVED]);
  if (skip + k > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVICTED]);
}

/**
 * pi_message_store_clear:
 * @self: a store
 *
 * Removes every message and sets the received and evicted counters back to
 * zero: the list starts afresh.
 */
void
pi_message_store_clear (PiMessageStore *self)
{
  guint n;
  gboolean had_counts;

  g_return_if_fail (PI_IS_MESSAGE_STORE (self));

  n = self->n_items;
  had_counts = self->received > 0 || self->evicted > 0;

  drop_front (self, n);
  g_clear_pointer (&self->items, g_free);
  self->allocated = 0;
  self->head = 0;
  self->received = 0;
  self->evicted = 0;

  if (n > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  if (had_counts)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECEIVED]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVICTED]);
    }
}

/**
 * pi_message_store_get_received:
 * @self: a store
 *
 * Returns: how many messages were appended since creation or the last clear
 */
guint64
pi_message_store_get_received (PiMessageStore *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_STORE (self), 0);

  return self->received;
}

/**
 * pi_message_store_get_evicted:
 * @self: a store
 *
 * Returns: how many received messages were dropped to stay within capacity
 */
guint64
pi_message_store_get_evicted (PiMessageStore *self)
{
  g_return_val_if_fail (PI_IS_MESSAGE_STORE (self), 0);

  return self->evicted;
}
