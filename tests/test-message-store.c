/* test-message-store.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "pi-message-store.h"

/* Records every items-changed and keeps a mirror of the model built only
 * from the signals, the way a GtkFilterListModel above the store sees it. */
typedef struct
{
  GString   *log;
  GPtrArray *mirror;
  guint      n_signals;
  guint      n_notify_received;
  guint      n_notify_evicted;
  guint      n_notify_n_items;
  guint      n_notify_capacity;
} Watch;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Watch      *watch)
{
  guint i;

  g_string_append_printf (watch->log, "(%u,%u,%u)", position, removed, added);
  watch->n_signals++;

  g_assert_cmpuint (position + removed, <=, watch->mirror->len);
  g_ptr_array_remove_range (watch->mirror, position, removed);
  for (i = 0; i < added; i++)
    g_ptr_array_insert (watch->mirror, position + i, g_list_model_get_item (model, position + i));

  /* The model already has its new size when it says so. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, watch->mirror->len);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           Watch      *watch)
{
  if (g_str_equal (pspec->name, "received"))
    watch->n_notify_received++;
  else if (g_str_equal (pspec->name, "evicted"))
    watch->n_notify_evicted++;
  else if (g_str_equal (pspec->name, "n-items"))
    watch->n_notify_n_items++;
  else if (g_str_equal (pspec->name, "capacity"))
    watch->n_notify_capacity++;
}

static void
watch_init (Watch          *watch,
            PiMessageStore *store)
{
  watch->log = g_string_new (NULL);
  watch->mirror = g_ptr_array_new_with_free_func (g_object_unref);
  watch->n_signals = 0;
  watch->n_notify_received = 0;
  watch->n_notify_evicted = 0;
  watch->n_notify_n_items = 0;
  watch->n_notify_capacity = 0;
  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), watch);
  g_signal_connect (store, "notify", G_CALLBACK (on_notify), watch);
}

static void
watch_clear (Watch          *watch,
             PiMessageStore *store)
{
  g_signal_handlers_disconnect_by_data (store, watch);
  g_string_free (watch->log, TRUE);
  g_ptr_array_unref (watch->mirror);
}

/* Returns the signals seen since the last call, and forgets them. */
static char *
watch_take_log (Watch *watch)
{
  char *log = g_strdup (watch->log->str);

  g_string_truncate (watch->log, 0);
  watch->n_signals = 0;
  return log;
}

static GPtrArray *
make_messages (guint64 first,
               guint   n)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);
  guint i;

  for (i = 0; i < n; i++)
    {
      g_autofree char *data = g_strdup_printf ("{\"exchange\":\"exchange/test\",\"routingKey\":\"k.%u\","
                                               "\"payload\":{\"n\":%u}}", (guint) (first + i), i);

      g_ptr_array_add (messages, pi_message_new_from_data (data, strlen (data), first + i, 0));
    }

  return messages;
}

static void
append (PiMessageStore *store,
        GPtrArray      *messages)
{
  pi_message_store_append (store, (PiMessage **) messages->pdata, messages->len);
}

/* The sequence numbers of the store's messages, oldest first, e.g. "3 4 5". */
static char *
sequences (GListModel *model)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (model);
  guint i;

  for (i = 0; i < n; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (model, i);

      g_string_append_printf (out, "%s%" G_GUINT64_FORMAT, i ? " " : "",
                              pi_message_get_sequence (message));
    }

  return g_strdup (out->str);
}

static void
assert_mirror (Watch      *watch,
               GListModel *model)
{
  guint i;

  g_assert_cmpuint (watch->mirror->len, ==, g_list_model_get_n_items (model));
  for (i = 0; i < watch->mirror->len; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      g_assert_true (item == watch->mirror->pdata[i]);
    }
}

static void
test_append_without_eviction (void)
{
  PiMessageStore *store = pi_message_store_new (5);
  g_autoptr(GPtrArray) batch1 = make_messages (1, 3);
  g_autoptr(GPtrArray) batch2 = make_messages (4, 2);
  g_autofree char *log1 = NULL;
  g_autofree char *log2 = NULL;
  g_autofree char *seq = NULL;
  Watch watch;

  watch_init (&watch, store);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (store)) == PI_TYPE_MESSAGE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);

  append (store, batch1);
  log1 = watch_take_log (&watch);
  g_assert_cmpstr (log1, ==, "(0,0,3)");
  append (store, batch2);
  log2 = watch_take_log (&watch);
  g_assert_cmpstr (log2, ==, "(3,0,2)");

  seq = sequences (G_LIST_MODEL (store));
  g_assert_cmpstr (seq, ==, "1 2 3 4 5");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (store), 5));
  g_assert_cmpuint (pi_message_store_get_received (store), ==, 5);
  g_assert_cmpuint (pi_message_store_get_evicted (store), ==, 0);
  g_assert_cmpuint (watch.n_notify_received, ==, 2);
  g_assert_cmpuint (watch.n_notify_n_items, ==, 2);
  g_assert_cmpuint (watch.n_notify_evicted, ==, 0);
  assert_mirror (&watch, G_LIST_MODEL (store));

  /* An empty batch changes nothing. */
  pi_message_store_append (store, NULL, 0);
  g_assert_cmpuint (watch.n_signals, ==, 0);

  watch_clear (&watch, store);
  g_assert_finalize_object (store);
}

static void
test_append_with_eviction (void)
{
  PiMessageStore *store = pi_message_store_new (5);
  g_autoptr(GPtrArray) batch1 = make_messages (1, 5);
  g_autoptr(GPtrArray) batch2 = make_messages (6, 2);
  g_autoptr(GPtrArray) batch3 = make_messages (8, 4);
  g_autofree char *log = NULL;
  g_autofree char *seq = NULL;
  guint64 received;
  guint64 evicted;
  guint n_items;
  Watch watch;

  watch_init (&watch, store);
  append (store, batch1);
  g_free (watch_take_log (&watch));

  /* Two evicted from the front, two added at the end: two precise signals. */
  append (store, batch2);
  log = watch_take_log (&watch);
  g_assert_cmpstr (log, ==, "(0,2,0)(3,0,2)");
  g_clear_pointer (&log, g_free);
  g_assert_cmpuint (watch.n_notify_evicted, ==, 1);

  append (store, batch3);
  log = watch_take_log (&watch);
  g_assert_cmpstr (log, ==, "(0,4,0)(1,0,4)");

  seq = sequences (G_LIST_MODEL (store));
  g_assert_cmpstr (seq, ==, "7 8 9 10 11");
  g_object_get (store, "received", &received, "evicted", &evicted, "n-items", &n_items, NULL);
  g_assert_cmpuint (received, ==, 11);
  g_assert_cmpuint (evicted, ==, 6);
  g_assert_cmpuint (n_items, ==, 5);
  assert_mirror (&watch, G_LIST_MODEL (store));

  watch_clear (&watch, store);
  g_assert_finalize_object (store);
}

static void
test_batch_larger_than_capacity (void)
{
  PiMessageStore *store = pi_message_store_new (5);
  g_autoptr(GPtrArray) batch1 = make_messages (1, 8);
  g_autoptr(GPtrArray) batch2 = make_messages (9, 12);
  g_autofree char *log = NULL;
  g_autofree char *seq = NULL;
  Watch watch;

  watch_init (&watch, store);

  /* Into an empty store: one signal, only the newest five kept. */
  append (store, batch1);
  log = watch_take_log (&watch);
  g_assert_cmpstr (log, ==, "(0,0,5)");
  g_clear_pointer (&log, g_free);
  seq = sequences (G_LIST_MODEL (store));
  g_assert_cmpstr (seq, ==, "4 5 6 7 8");
  g_clear_pointer (&seq, g_free);
  g_assert_cmpuint (pi_message_store_get_received (store), ==, 8);
  g_assert_cmpuint (pi_message_store_get_evicted (store), ==, 3);

  /* Into a full store: everything old goes. */
  append (store, batch2);
  log = watch_take_log (&watch);
  g_assert_cmpstr (log, ==, "(0,5,0)(0,0,5)");
  seq = sequences (G_LIST_MODEL (store));
  g_assert_cmpstr (seq, ==, "16 17 18 19 20");
  g_assert_cmpuint (pi_message_store_get_received (store), ==, 20);
  g_assert_cmpuint (pi_message_store_get_evicted (store), ==, 15);
  assert_mirror (&watch, G_LIST_MODEL (store));

  watch_clear (&watch, store);

  /* The store let go of the messages it evicted or never kept. */
  {
    gpointer evicted = batch1->pdata[4];
    gpointer skipped = batch2->pdata[0];
    gpointer kept = batch2->pdata[11];

    g_object_add_weak_pointer (evicted, &evicted);
    g_object_add_weak_pointer (skipped, &skipped);
    g_object_add_weak_pointer (kept, &kept);
    g_ptr_array_set_size (batch1, 0);
    g_ptr_array_set_size (batch2, 0);
    g_assert_null (evicted);
    g_assert_null (skipped);
    g_assert_nonnull (kept);
    g_assert_finalize_object (store);
    g_assert_null (kept);
  }
}

static void
test_capacity_change (void)
{
  PiMessageStore *store = pi_message_store_new (5);
  g_autoptr(GPtrArray) batch1 = make_messages (1, 5);
  g_autoptr(GPtrArray) batch2 = make_messages (6, 6);
  g_autofree char *log = NULL;
  g_autofree char *seq = NULL;
  guint capacity;
  Watch watch;

  watch_init (&watch, store);
  append (store, batch1);
  g_free (watch_take_log (&watch));

  /* Shrinking evicts the oldest. */
  pi_message_store_set_capacity (store, 2);
  log = watch_take_log (&watch);
  g_assert_cmpstr (log, ==, "(0,3,0)");
  g_clear_pointer (&log, g_free);
  seq = sequences (G_LIST_MODEL (store));
  g_assert_cmpstr (seq, ==, "4 5");
  g_clear_pointer (&seq, g_free);
  g_assert_cmpuint (pi_message_store_get_evicted (store), ==, 3);
  g_assert_cmpuint (watch.n_notify_capacity, ==, 1);
  g_assert_cmpuint (watch.n_notify_evicted, ==, 1);

  /* The same capacity again changes nothing. */
  pi_message_store_set_capacity (store, 2);
  g_assert_cmpuint (watch.n_notify_capacity, ==, 1);

  /* Growing keeps everything and makes room. */
  g_object_set (store, "capacity", 7, NULL);
  g_object_get (store, "capacity", &capacity, NULL);
  g_assert_cmpuint (capacity, ==, 7);
  g_assert_cmpuint (watch.n_signals, ==, 0);
  append (store, batch2);
  log = watch_take_log (&watch);
  g_assert_cmpstr (log, ==, "(0,1,0)(1,0,6)");
  seq = sequences (G_LIST_MODEL (store));
  g_assert_cmpstr (seq, ==, "5 6 7 8 9 10 11");
  g_assert_cmpuint (pi_message_store_get_evicted (store), ==, 4);
  assert_mirror (&watch, G_LIST_MODEL (store));

  watch_clear (&watch, store);
  g_assert_finalize_object (store);
}

static void
test_clear (void)
{
  PiMessageStore *store = pi_message_store_new (3);
  g_autoptr(GPtrArray) batch = make_messages (1, 4);
  g_autoptr(GPtrArray) again = make_messages (5, 1);
  g_autofree char *log = NULL;
  g_autofree char *seq = NULL;
  PiMessage *kept;
  Watch watch;

  watch_init (&watch, store);
  append (store, batch);
  g_free (watch_take_log (&watch));
  watch.n_notify_received = watch.n_notify_evicted = 0;

  pi_message_store_clear (store);
  log = watch_take_log (&watch);
  g_assert_cmpstr (log, ==, "(0,3,0)");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  g_assert_cmpuint (pi_message_store_get_received (store), ==, 0);
  g_assert_cmpuint (pi_message_store_get_evicted (store), ==, 0);
  g_assert_cmpuint (watch.n_notify_received, ==, 1);
  g_assert_cmpuint (watch.n_notify_evicted, ==, 1);
  g_assert_cmpuint (pi_message_store_get_capacity (store), ==, 3);

  /* Clearing an empty store says nothing. */
  pi_message_store_clear (store);
  g_assert_cmpuint (watch.n_signals, ==, 0);

  /* And the store works afterwards. */
  append (store, again);
  seq = sequences (G_LIST_MODEL (store));
  g_assert_cmpstr (seq, ==, "5");
  assert_mirror (&watch, G_LIST_MODEL (store));

  watch_clear (&watch, store);
  g_assert_finalize_object (store);

  /* The store held references only: the messages outlive it when asked. */
  kept = g_object_ref (again->pdata[0]);
  g_ptr_array_set_size (again, 0);
  g_assert_finalize_object (kept);
}

static void
test_random_batches (void)
{
  PiMessageStore *store = pi_message_store_new (7);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  guint64 next = 1;
  guint64 received = 0;
  Watch watch;
  guint round;

  watch_init (&watch, store);

  /* Wrap the ring many times with batches of every size, capacity changes
   * in between; the mirror built from the signals must always match. */
  for (round = 0; round < 2000; round++)
    {
      guint n = g_rand_int_range (rand, 0, 12);
      g_autoptr(GPtrArray) batch = make_messages (next, n);
      guint expected_signals;
      guint n_before = g_list_model_get_n_items (G_LIST_MODEL (store));
      guint capacity = pi_message_store_get_capacity (store);
      guint i;

      if (round % 97 == 0)
        {
          pi_message_store_set_capacity (store, g_rand_int_range (rand, 1, 15));
          capacity = pi_message_store_get_capacity (store);
          n_before = g_list_model_get_n_items (G_LIST_MODEL (store));
          g_free (watch_take_log (&watch));
        }

      append (store, batch);
      next += n;
      received += n;

      expected_signals = n == 0 ? 0 : (n_before + MIN (n, capacity) > capacity && n_before > 0 ? 2 : 1);
      g_assert_cmpuint (watch.n_signals, ==, expected_signals);
      g_free (watch_take_log (&watch));

      /* The newest messages, in order. */
      for (i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (store)); i++)
        {
          g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (store), i);
          guint n_items = g_list_model_get_n_items (G_LIST_MODEL (store));

          g_assert_cmpuint (pi_message_get_sequence (message), ==, next - n_items + i);
        }
      assert_mirror (&watch, G_LIST_MODEL (store));
      g_assert_cmpuint (pi_message_store_get_received (store), ==, received);
      g_assert_cmpuint (pi_message_store_get_evicted (store) +
                        g_list_model_get_n_items (G_LIST_MODEL (store)), ==, received);
    }

  watch_clear (&watch, store);
  g_assert_finalize_object (store);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/message-store/append", test_append_without_eviction);
  g_test_add_func ("/pi/message-store/eviction", test_append_with_eviction);
  g_test_add_func ("/pi/message-store/batch-larger-than-capacity", test_batch_larger_than_capacity);
  g_test_add_func ("/pi/message-store/capacity-change", test_capacity_change);
  g_test_add_func ("/pi/message-store/clear", test_clear);
  g_test_add_func ("/pi/message-store/random-batches", test_random_batches);

  return g_test_run ();
}
