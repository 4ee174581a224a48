/* pi-message-refs.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-message-refs"

#include "pi-message-refs.h"

/*
 * A reference to each message of a list, in an array that worker threads
 * can read: a search's snapshot is then the array itself, where taking a
 * million references on the main thread at each keystroke stalled it for a
 * hundred milliseconds and more of cache misses. Messages the list drops
 * while a reader may still read them are let go when no reader is left.
 *
 * The list usually drops its oldest messages: those are only skipped
 * (`head`), and the array is compacted now and then.
 */

struct _PiMessageRefs
{
  GPtrArray *messages;  /* a reference to each message, from `head` */
  guint      head;
  GPtrArray *dropped;   /* references to let go when no reader is left */
  guint      n_readers;
};

PiMessageRefs *
pi_message_refs_new (void)
{
  PiMessageRefs *self = g_new0 (PiMessageRefs, 1);

  self->messages = g_ptr_array_new ();
  self->dropped = g_ptr_array_new_with_free_func (g_object_unref);
  return self;
}

void
pi_message_refs_free (PiMessageRefs *self)
{
  if (self == NULL)
    return;

  /* Readers left would read freed messages. */
  g_return_if_fail (self->n_readers == 0);

  pi_message_refs_clear (self);
  g_ptr_array_unref (self->messages);
  g_ptr_array_unref (self->dropped);
  g_free (self);
}

guint
pi_message_refs_get_n (PiMessageRefs *self)
{
  return self->messages->len - self->head;
}

/* Returns: (transfer none): the message at @position */
PiMessage *
pi_message_refs_get (PiMessageRefs *self,
                     guint          position)
{
  return self->messages->pdata[self->head + position];
}

static void
let_go (PiMessageRefs *self,
        PiMessage     *message)
{
  if (self->n_readers > 0)
    g_ptr_array_add (self->dropped, message);
  else
    g_object_unref (message);
}

/**
 * pi_message_refs_update:
 * @self: the references
 * @model: the list of #PiMessage they mirror
 * @position: @removed: @added: an items-changed of @model
 *
 * Mirrors the items-changed of @model.
 */
void
pi_message_refs_update (PiMessageRefs *self,
                        GListModel    *model,
                        guint          position,
                        guint          removed,
                        guint          added)
{
  guint i;

  g_return_if_fail (position + removed <= pi_message_refs_get_n (self));

  for (i = 0; i < removed; i++)
    let_go (self, pi_message_refs_get (self, position + i));

  if (position == 0)
    {
      /* Dropping the oldest, the store's usual change: no moving. */
      self->head += removed;
      /* Compacting when the skipped part is an eighth of the rest, not
       * all of it, keeps the array under 1.125 times the list: GPtrArray
       * grows by doubling, so the latter made it 4 MB for a list of
       * 200,000, where the moves (1.6 MB every 25,000 evicted) cost
       * well under a millisecond. */
      if (self->head > 4096 && self->head > pi_message_refs_get_n (self) / 8)
        {
          g_ptr_array_remove_range (self->messages, 0, self->head);
          self->head = 0;
        }
    }
  else
    {
      g_ptr_array_remove_range (self->messages, self->head + position, removed);
    }

  for (i = 0; i < added; i++)
    {
      PiMessage *message = g_list_model_get_item (model, position + i);

      if (self->head + position + i == self->messages->len)
        g_ptr_array_add (self->messages, message);
      else if (self->head > 0 && position == 0 && i == 0)
        self->messages->pdata[--self->head] = message;
      else
        g_ptr_array_insert (self->messages, self->head + position + i, message);
    }
}

/* Lets go of every message (after the readers are done). */
void
pi_message_refs_clear (PiMessageRefs *self)
{
  guint i;

  for (i = 0; i < pi_message_refs_get_n (self); i++)
    let_go (self, pi_message_refs_get (self, i));
  g_ptr_array_set_size (self->messages, 0);
  self->head = 0;
}

/**
 * pi_message_refs_begin_read:
 * @self: the references
 *
 * The messages for a reader on another thread, who copies the first
 * pi_message_refs_get_n() pointers of the array returned at once (it
 * moves as the list grows): the messages stay alive, even those the list
 * drops, until the reader calls pi_message_refs_end_read().
 *
 * Returns: (transfer none): the messages
 */
PiMessage **
pi_message_refs_begin_read (PiMessageRefs *self)
{
  self->n_readers++;
  return (PiMessage **) self->messages->pdata + self->head;
}

void
pi_message_refs_end_read (PiMessageRefs *self)
{
  g_return_if_fail (self->n_readers > 0);

  if (--self->n_readers == 0)
    g_ptr_array_set_size (self->dropped, 0);
}
