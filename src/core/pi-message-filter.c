/* pi-message-filter.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-message-filter"

#include "config.h"

#include <string.h>

#include "pi-message-filter.h"
#include "pi-message-private.h"

/*
 * Searching a million messages for a text takes a few hundred milliseconds
 * of CPU: too long for the main thread, which must keep drawing while the
 * user types. A search takes a snapshot of the list (a reference to every
 * message, in order; the messages themselves never change) and scans it on
 * worker threads, one per core, taking chunks from a shared counter so that
 * a slow chunk does not leave a core idle.
 *
 * The result is the positions of the matching messages in the snapshot:
 * the list shows them through a model of its own (PiTextFilter), which asks
 * the list for those rows only, so nothing else of the million messages is
 * touched on the main thread. Each worker writes the flags of its chunk,
 * a whole chunk of bytes, so that two threads do not share cache lines
 * except at chunk boundaries; the positions are gathered once all are done.
 */

#define CHUNK_SIZE       4096
#define MAX_THREADS      8

struct _PiMessageMatches
{
  gatomicrefcount  ref_count;
  char            *needle;
  guint           *positions;     /* indices of the matched messages, ascending */
  guint            n_searched;
  guint            n_positions;
};

G_DEFINE_BOXED_TYPE (PiMessageMatches, pi_message_matches,
                     pi_message_matches_ref, pi_message_matches_unref)

PiMessageMatches *
pi_message_matches_ref (PiMessageMatches *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);

  return self;
}

void
pi_message_matches_unref (PiMessageMatches *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->needle);
  g_free (self->positions);
  g_free (self);
}

/**
 * pi_message_matches_get_needle:
 * @self: a search result
 *
 * Returns: (transfer none): the casefolded text that was searched for
 */
const char *
pi_message_matches_get_needle (PiMessageMatches *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->needle;
}

/**
 * pi_message_matches_get_n_searched:
 * @self: a search result
 *
 * Returns: how many messages the snapshot held
 */
guint
pi_message_matches_get_n_searched (PiMessageMatches *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_searched;
}

/**
 * pi_message_matches_get_positions:
 * @self: a search result
 * @n_positions: (out): the number of matches
 *
 * Returns: (transfer none) (array length=n_positions): the positions in the
 *   list, when the search started, of the messages that matched, ascending
 */
const guint *
pi_message_matches_get_positions (PiMessageMatches *self,
                                  guint            *n_positions)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (n_positions != NULL, NULL);

  *n_positions = self->n_positions;
  return self->positions;
}

/* The search */

typedef struct
{
  GPtrArray    *snapshot;       /* references, or NULL when the caller keeps them */
  PiMessage   **messages;
  guint         n_messages;
  char         *needle;
  gsize         needle_len;
  gboolean      needle_ascii;
  guint8       *matched;
  GCancellable *cancellable;
  gint          next_chunk;
} Search;

static void
search_free (Search *search)
{
  if (search->snapshot != NULL)
    g_ptr_array_unref (search->snapshot);
  else
    g_free (search->messages);
  g_clear_object (&search->cancellable);
  g_free (search->needle);
  g_free (search->matched);
  g_free (search);
}

static Search *
search_new (PiMessage    **messages,
            guint          n,
            GPtrArray     *snapshot,
            const char    *needle,
            GCancellable  *cancellable)
{
  Search *search = g_new0 (Search, 1);
  guint i;

  if (snapshot != NULL)
    {
      search->snapshot = snapshot;
      search->messages = (PiMessage **) snapshot->pdata;
    }
  else
    {
      search->messages = g_memdup2 (messages, MAX (n, 1) * sizeof (PiMessage *));
    }
  search->n_messages = n;
  search->needle = g_strdup (needle);
  search->needle_len = strlen (needle);
  search->needle_ascii = TRUE;
  for (i = 0; i < search->needle_len; i++)
    if ((guchar) needle[i] >= 0x80)
      search->needle_ascii = FALSE;
  search->matched = g_malloc (MAX (n, 1));
  search->cancellable = cancellable ? g_object_ref (cancellable) : NULL;

  return search;
}

/* A reference to each message of @model, in order. */
static Search *
search_new_for_model (GListModel   *model,
                      const char   *needle,
                      GCancellable *cancellable)
{
  guint n = g_list_model_get_n_items (model);
  GPtrArray *snapshot = g_ptr_array_new_full (n, g_object_unref);
  guint i;

  for (i = 0; i < n; i++)
    g_ptr_array_add (snapshot, g_list_model_get_item (model, i));

  return search_new (NULL, n, snapshot, needle, cancellable);
}

static gpointer
search_chunks (gpointer data)
{
  Search *search = data;
  PiMessage **messages = search->messages;
  guint n = search->n_messages;

  for (;;)
    {
      guint chunk = (guint) g_atomic_int_add (&search->next_chunk, 1);
      guint start;
      guint end;
      guint i;

      if ((guint64) chunk * CHUNK_SIZE >= n ||
          g_cancellable_is_cancelled (search->cancellable))
        break;

      start = chunk * CHUNK_SIZE;
      end = MIN (n, start + CHUNK_SIZE);
      for (i = start; i < end; i++)
        {
          /* The next message's object, while this one's text is read. */
          if (i + 1 < end)
            __builtin_prefetch (messages[i + 1]);
          search->matched[i] = _pi_message_contains_folded (messages[i], search->needle,
                                                            search->needle_len,
                                                            search->needle_ascii);
        }
    }

  return NULL;
}

static PiMessageMatches *
matches_new (Search *search)
{
  PiMessageMatches *self = g_new0 (PiMessageMatches, 1);
  const guint8 *matched = search->matched;
  guint n = search->n_messages;
  guint n_matched = 0;
  guint i;

  g_atomic_ref_count_init (&self->ref_count);
  self->needle = g_strdup (search->needle);
  self->n_searched = n;

  for (i = 0; i < n; i++)
    n_matched += matched[i];
  self->positions = g_new (guint, MAX (n_matched, 1));
  for (i = 0; i < n; i++)
    if (matched[i])
      self->positions[self->n_positions++] = i;

  return self;
}

static PiMessageMatches *
search_run (Search  *search,
            GError **error)
{
  GThread *threads[MAX_THREADS];
  guint n_chunks = (search->n_messages + CHUNK_SIZE - 1) / CHUNK_SIZE;
  guint n_threads;
  guint i;

  /* This thread is one of the workers. */
  n_threads = MIN (g_get_num_processors (), MAX_THREADS);
  n_threads = MIN (n_threads, MAX (n_chunks, 1));
  for (i = 1; i < n_threads; i++)
    threads[i] = g_thread_try_new ("pi-message-filter", search_chunks, search, NULL);
  search_chunks (search);
  for (i = 1; i < n_threads; i++)
    if (threads[i] != NULL)
      g_thread_join (threads[i]);

  if (g_cancellable_set_error_if_cancelled (search->cancellable, error))
    return NULL;

  return matches_new (search);
}

/**
 * pi_message_filter_search:
 * @messages: a list of #PiMessage
 * @needle_casefolded: the text to look for, already casefolded
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Searches every message of @messages with pi_message_contains_text(),
 * using all cores, and waits for the result.
 *
 * Returns: (transfer full) (nullable): the result, or %NULL when cancelled
 */
PiMessageMatches *
pi_message_filter_search (GListModel    *messages,
                          const char    *needle_casefolded,
                          GCancellable  *cancellable,
                          GError       **error)
{
  Search *search;
  PiMessageMatches *matches;

  g_return_val_if_fail (G_IS_LIST_MODEL (messages), NULL);
  g_return_val_if_fail (g_list_model_get_item_type (messages) == PI_TYPE_MESSAGE, NULL);
  g_return_val_if_fail (needle_casefolded != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  search = search_new_for_model (messages, needle_casefolded, cancellable);
  matches = search_run (search, error);
  search_free (search);

  return matches;
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Search *search = task_data;
  GError *error = NULL;
  PiMessageMatches *matches;

  if ((matches = search_run (search, &error)))
    g_task_return_pointer (task, matches, (GDestroyNotify) pi_message_matches_unref);
  else
    g_task_return_error (task, error);

  /* Let the snapshot go here rather than on the main thread: a million
   * unrefs, and the last reference to messages evicted meanwhile. */
  if (search->snapshot != NULL)
    {
      g_clear_pointer (&search->snapshot, g_ptr_array_unref);
      search->messages = NULL;
    }
}

/**
 * pi_message_filter_search_async:
 * @messages: a list of #PiMessage
 * @needle_casefolded: the text to look for, already casefolded
 *   (g_utf8_casefold(); for ASCII text lower case is enough)
 * @cancellable: (nullable): a #GCancellable; cancel it when the text changes
 * @callback: called with the result
 * @user_data: data for @callback
 *
 * Takes a snapshot of @messages (call it on the thread that owns the list)
 * and searches it on worker threads, one per core. Messages appended to
 * the list afterwards are not searched.
 */
void
pi_message_filter_search_async (GListModel          *messages,
                                const char          *needle_casefolded,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_LIST_MODEL (messages));
  g_return_if_fail (g_list_model_get_item_type (messages) == PI_TYPE_MESSAGE);
  g_return_if_fail (needle_casefolded != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pi_message_filter_search_async);
  g_task_set_name (task, "pi-message-filter-search");
  g_task_set_task_data (task, search_new_for_model (messages, needle_casefolded, cancellable),
                        (GDestroyNotify) search_free);
  g_task_run_in_thread (task, search_thread);
}

/**
 * pi_message_filter_search_messages_async:
 * @messages: (array length=n_messages): messages, which the caller keeps
 *   alive until @callback has run
 * @n_messages: how many
 * @needle_casefolded: the text to look for, already casefolded
 * @cancellable: (nullable): a #GCancellable; cancel it when the text changes
 * @callback: called with the result
 * @user_data: data for @callback
 *
 * pi_message_filter_search_async() without taking a reference to each
 * message: copying the array is all the caller's thread does, where a
 * million references cost it a hundred milliseconds and more of cache
 * misses. Finish with pi_message_filter_search_finish().
 */
void
pi_message_filter_search_messages_async (PiMessage           **messages,
                                         guint                 n_messages,
                                         const char           *needle_casefolded,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (messages != NULL || n_messages == 0);
  g_return_if_fail (needle_casefolded != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pi_message_filter_search_async);
  g_task_set_name (task, "pi-message-filter-search");
  g_task_set_task_data (task, search_new (messages, n_messages, NULL, needle_casefolded, cancellable),
                        (GDestroyNotify) search_free);
  g_task_run_in_thread (task, search_thread);
}

/**
 * pi_message_filter_search_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the result, or %NULL with
 *   %G_IO_ERROR_CANCELLED
 */
PiMessageMatches *
pi_message_filter_search_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pi_message_filter_search_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
