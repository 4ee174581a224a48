/* test-message-refs.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "pi-message-refs.h"
#include "pi-messages-fixture.h"

/* The references a search reads: the same messages as the list, in its
 * order, through the changes a list makes; and a message the list drops
 * while a search reads stays alive until the search is done. */

static void
on_items_changed (GListModel    *model,
                  guint          position,
                  guint          removed,
                  guint          added,
                  PiMessageRefs *refs)
{
  pi_message_refs_update (refs, model, position, removed, added);
}

static void
append_range (GListStore *store,
              guint       position,
              guint64     first,
              guint       n)
{
  g_autoptr(GPtrArray) batch = fixture_batch_new (first, n, NULL);

  g_list_store_splice (store, position, 0, batch->pdata, batch->len);
}

static void
assert_same (PiMessageRefs *refs,
             GListStore    *store)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  g_assert_cmpuint (pi_message_refs_get_n (refs), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (store), i);

      if (pi_message_refs_get (refs, i) != message)
        g_error ("Row %u: message %" G_GUINT64_FORMAT ", not %" G_GUINT64_FORMAT, i,
                 pi_message_get_sequence (pi_message_refs_get (refs, i)),
                 pi_message_get_sequence (message));
    }
}

static void
test_mirror (void)
{
  g_autoptr(GListStore) store = g_list_store_new (PI_TYPE_MESSAGE);
  g_autoptr(PiMessageRefs) refs = pi_message_refs_new ();

  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), refs);

  append_range (store, 0, 0, 10000);
  assert_same (refs, store);

  /* The oldest dropped, as the store does at its capacity, again and
   * again, past where the array is compacted. */
  for (guint i = 0; i < 8; i++)
    {
      g_list_store_splice (G_LIST_STORE (store), 0, 1000, NULL, 0);
      append_range (store, g_list_model_get_n_items (G_LIST_MODEL (store)), 10000 + i * 1000, 1000);
      assert_same (refs, store);
    }

  /* One added at the front, into the room the dropped ones left; then
   * so many dropped that the array is compacted. */
  append_range (store, 0, 50000, 1);
  assert_same (refs, store);
  g_list_store_splice (store, 0, 3000, NULL, 0);
  assert_same (refs, store);

  /* Changes in the middle and at the front. */
  append_range (store, 0, 50001, 1);
  assert_same (refs, store);
  append_range (store, 2000, 60000, 10);
  assert_same (refs, store);
  g_list_store_splice (store, 100, 500, NULL, 0);
  assert_same (refs, store);

  pi_message_refs_clear (refs);
  g_assert_cmpuint (pi_message_refs_get_n (refs), ==, 0);
  g_signal_handlers_disconnect_by_data (store, refs);
}

static void
test_reader_keeps_dropped (void)
{
  g_autoptr(GListStore) store = g_list_store_new (PI_TYPE_MESSAGE);
  g_autoptr(PiMessageRefs) refs = pi_message_refs_new ();
  PiMessage *first;
  PiMessage *second;
  PiMessage **read;

  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), refs);
  append_range (store, 0, 0, 10);

  first = pi_message_refs_get (refs, 0);
  second = pi_message_refs_get (refs, 1);
  g_object_add_weak_pointer (G_OBJECT (first), (gpointer *) &first);
  g_object_add_weak_pointer (G_OBJECT (second), (gpointer *) &second);

  /* No reader: a message the list drops is gone. */
  g_list_store_remove (store, 0);
  g_assert_null (first);

  /* A reader: it stays, readable, until the reader is done. */
  read = pi_message_refs_begin_read (refs);
  g_assert_true (read[0] == second);
  g_list_store_remove (store, 0);
  g_assert_nonnull (second);
  g_assert_cmpuint (pi_message_get_sequence (second), ==, 1);
  pi_message_refs_end_read (refs);
  g_assert_null (second);

  g_signal_handlers_disconnect_by_data (store, refs);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/message-refs/mirror", test_mirror);
  g_test_add_func ("/pi/message-refs/reader-keeps-dropped", test_reader_keeps_dropped);

  return g_test_run ();
}
