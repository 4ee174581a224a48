/* test-message-feed.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "pi-capture.h"
#include "pi-message-feed.h"
#include "pi-messages-fixture.h"

/* Pause and Resume, Clear and Undo, as the list shows them: what reaches
 * the store, in which order, and the held count the header line reads. */

static void
add_range (PiMessageFeed *feed,
           guint64        first,
           guint          n)
{
  g_autoptr(GPtrArray) batch = fixture_batch_new (first, n, NULL);

  pi_message_feed_add (feed, batch);
}

/* The store's sequence numbers, "0 1 2". */
static char *
sequences (PiMessageStore *store)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (store)); i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (store), i);

      g_string_append_printf (text, i > 0 ? " %" G_GUINT64_FORMAT : "%" G_GUINT64_FORMAT,
                              pi_message_get_sequence (message));
    }

  return g_string_free (text, FALSE);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* Paused, what arrives is held and counted, once per batch; Resume hands it
 * to the store after what was there, in arrival order. */
static void
test_pause_resume (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (100);
  PiMessageFeed *feed = pi_message_feed_new (store);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint n_held_notified = 0;
  guint paused_notified = 0;

  g_signal_connect (feed, "notify::n-held", G_CALLBACK (count_notify), &n_held_notified);
  g_signal_connect (feed, "notify::paused", G_CALLBACK (count_notify), &paused_notified);

  add_range (feed, 0, 2);
  pi_message_feed_set_paused (feed, TRUE);
  pi_message_feed_set_paused (feed, TRUE);
  g_assert_cmpuint (paused_notified, ==, 1);
  add_range (feed, 2, 2);
  add_range (feed, 4, 1);

  before = sequences (store);
  g_assert_cmpstr (before, ==, "0 1");
  g_assert_cmpuint (pi_message_feed_get_n_held (feed), ==, 3);
  g_assert_cmpuint (n_held_notified, ==, 2);

  pi_message_feed_set_paused (feed, FALSE);
  after = sequences (store);
  g_assert_cmpstr (after, ==, "0 1 2 3 4");
  g_assert_cmpuint (pi_message_feed_get_n_held (feed), ==, 0);
  g_assert_cmpuint (n_held_notified, ==, 3);
  g_assert_cmpuint (paused_notified, ==, 2);
  g_assert_false (pi_message_feed_get_paused (feed));

  g_assert_finalize_object (feed);
}

/* Undo puts back what Clear removed, before what arrived since; Clear
 * while paused drops what was held. */
static void
test_clear_undo (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (100);
  PiMessageFeed *feed = pi_message_feed_new (store);
  g_autofree char *cleared = NULL;
  g_autofree char *undone = NULL;
  g_autofree char *resumed = NULL;

  add_range (feed, 0, 3);
  g_assert_cmpuint (pi_message_feed_clear (feed), ==, 3);
  g_assert_true (pi_message_feed_get_can_undo_clear (feed));
  add_range (feed, 3, 2);
  cleared = sequences (store);
  g_assert_cmpstr (cleared, ==, "3 4");

  g_assert_true (pi_message_feed_undo_clear (feed));
  undone = sequences (store);
  g_assert_cmpstr (undone, ==, "0 1 2 3 4");
  g_assert_false (pi_message_feed_get_can_undo_clear (feed));
  g_assert_false (pi_message_feed_undo_clear (feed));

  pi_message_feed_set_paused (feed, TRUE);
  add_range (feed, 5, 4);
  g_assert_cmpuint (pi_message_feed_clear (feed), ==, 5);
  g_assert_cmpuint (pi_message_feed_get_n_held (feed), ==, 0);
  pi_message_feed_set_paused (feed, FALSE);
  resumed = sequences (store);
  g_assert_cmpstr (resumed, ==, "");

  g_assert_finalize_object (feed);
}

/* A long pause under load holds little more than what Resume can show:
 * the oldest held messages are let go while still paused. */
static void
test_pause_lets_go (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (1000);
  PiMessageFeed *feed = pi_message_feed_new (store);
  g_autofree char *resumed = NULL;
  PiMessage *first = NULL;

  pi_message_feed_set_paused (feed, TRUE);
  {
    g_autoptr(GPtrArray) batch = fixture_batch_new (0, 10, NULL);

    first = g_ptr_array_index (batch, 0);
    g_object_add_weak_pointer (G_OBJECT (first), (gpointer *) &first);
    pi_message_feed_add (feed, batch);
  }
  for (guint64 seq = 10; seq < 1300; seq += 10)
    add_range (feed, seq, 10);

  /* 1,300 arrived, 1,000 can be shown: the first ones are gone already. */
  g_assert_null (first);
  g_assert_cmpuint (pi_message_feed_get_n_held (feed), ==, 1300);

  pi_message_feed_set_paused (feed, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1000);
  {
    g_autoptr(PiMessage) oldest = g_list_model_get_item (G_LIST_MODEL (store), 0);
    g_autoptr(PiMessage) newest = g_list_model_get_item (G_LIST_MODEL (store), 999);

    g_assert_cmpuint (pi_message_get_sequence (oldest), ==, 300);
    g_assert_cmpuint (pi_message_get_sequence (newest), ==, 1299);
  }

  g_assert_finalize_object (feed);
}

/* A batch of dropped reports (count 1 each, @reason) and messages: "d"
 * for a report, "m" for a message, e.g. "ddmd". */
static void
add_pattern (PiMessageFeed *feed,
             const char    *pattern,
             const char    *reason,
             guint64       *sequence)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

  for (const char *p = pattern; *p; p++, (*sequence)++)
    {
      if (*p == 'd')
        g_ptr_array_add (batch, pi_message_new_dropped (*sequence, 1, reason));
      else
        {
          g_autoptr(GPtrArray) one = fixture_batch_new (*sequence, 1, NULL);

          g_ptr_array_add (batch, g_object_ref (g_ptr_array_index (one, 0)));
        }
    }

  pi_message_feed_add (feed, batch);
}

/* The store's rows: "m" for a message, "d3" for a row of 3 dropped. */
static char *
rows_text (PiMessageStore *store)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (store)); i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (store), i);

      if (i > 0)
        g_string_append_c (text, ' ');
      if (pi_message_get_kind (message) == PI_MESSAGE_KIND_DROPPED)
        g_string_append_printf (text, "d%" G_GUINT64_FORMAT "%s",
                                pi_message_get_dropped_count (message),
                                g_strcmp0 (pi_message_get_dropped_reason (message), "too-slow") == 0 ? "s" : "");
      else
        g_string_append_c (text, 'm');
    }

  return g_string_free (text, FALSE);
}

/* Issue 12: a server dropping every large message reports each one; the
 * list shows a run of reports with the same reason as one row counting
 * them, whether they come in one batch or one by one. */
static void
test_dropped_runs (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (100);
  PiMessageFeed *feed = pi_message_feed_new (store);
  guint64 seq = 0;
  guint notified = 0;
  g_autofree char *one_run = NULL;
  g_autofree char *with_message = NULL;
  g_autofree char *two_reasons = NULL;
  g_autoptr(PiMessage) row = NULL;

  /* Three in a row: one row counting 3; a row already shown counts on. */
  add_pattern (feed, "m", "too-large", &seq);
  add_pattern (feed, "d", "too-large", &seq);
  row = g_list_model_get_item (G_LIST_MODEL (store), 1);
  g_signal_connect (row, "notify::dropped-count", G_CALLBACK (count_notify), &notified);
  add_pattern (feed, "d", "too-large", &seq);
  add_pattern (feed, "d", "too-large", &seq);
  one_run = rows_text (store);
  g_assert_cmpstr (one_run, ==, "m d3");
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (pi_message_get_dropped_count (row), ==, 3);
  /* A capture saved now records the total, in the entry it always had. */
  {
    g_autofree char *line = pi_capture_format_message (row);

    g_assert_nonnull (strstr (line, "\"dropped\":3,\"reason\":\"too-large\""));
  }

  /* A message between: two rows; in one batch too. */
  add_pattern (feed, "mdd", "too-large", &seq);
  add_pattern (feed, "dmddd", "too-large", &seq);
  with_message = rows_text (store);
  g_assert_cmpstr (with_message, ==, "m d3 m d3 m d3");

  /* Another reason: another row. */
  pi_message_feed_clear (feed);
  add_pattern (feed, "dd", "too-large", &seq);
  add_pattern (feed, "dd", "too-slow", &seq);
  add_pattern (feed, "d", "too-large", &seq);
  two_reasons = rows_text (store);
  g_assert_cmpstr (two_reasons, ==, "d2 d2s d1");

  g_assert_finalize_object (feed);
}

/* Paused, held reports fold together, and into the list's last row on
 * Resume: the list never shows two rows for one run. */
static void
test_dropped_runs_paused (void)
{
  g_autoptr(PiMessageStore) store = pi_message_store_new (100);
  PiMessageFeed *feed = pi_message_feed_new (store);
  guint64 seq = 0;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  add_pattern (feed, "md", "too-large", &seq);
  pi_message_feed_set_paused (feed, TRUE);
  add_pattern (feed, "dd", "too-large", &seq);
  add_pattern (feed, "d", "too-large", &seq);
  add_pattern (feed, "md", "too-large", &seq);
  add_pattern (feed, "d", "too-large", &seq);

  /* Nothing moves while paused. */
  before = rows_text (store);
  g_assert_cmpstr (before, ==, "m d1");
  /* Held: a row of three reports, the message, a row of two. */
  g_assert_cmpuint (pi_message_feed_get_n_held (feed), ==, 3);

  pi_message_feed_set_paused (feed, FALSE);
  after = rows_text (store);
  g_assert_cmpstr (after, ==, "m d4 m d2");

  g_assert_finalize_object (feed);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/message-feed/pause-resume", test_pause_resume);
  g_test_add_func ("/pi/message-feed/clear-undo", test_clear_undo);
  g_test_add_func ("/pi/message-feed/pause-lets-go", test_pause_lets_go);
  g_test_add_func ("/pi/message-feed/dropped-runs", test_dropped_runs);
  g_test_add_func ("/pi/message-feed/dropped-runs-paused", test_dropped_runs_paused);

  return g_test_run ();
}
