/* pi-source-memory.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pi-source-memory.h"

/*
 * Which protocol worked, per deployment root URL, across runs: a root
 * URL that serves only GraphQL answers the first try (/subscription/raw)
 * with a 404; remembered, the next run of the app or of pulse-listen goes
 * straight to /subscription.
 *
 * A small key file, protocols.ini, under $XDG_STATE_HOME/pulse-inspector/:
 * state rather than cache, because the XDG base directory spec keeps the
 * state directory for what an application learns and should keep across
 * restarts but is not worth a backup, and a cleaner that empties caches
 * would cost every deployment its 404 again. Not GSettings: the core and
 * pulse-listen have no schema. One group per root URL, the most recently
 * used first, at most PI_SOURCE_MEMORY_MAX_ROOTS of them:
 *
 *   [root 0]
 *   url=https://firefox-ci-tc.services.mozilla.com
 *   protocol=graphql
 *   used=1796017200
 *
 * The key is the root URL only (scheme, host, port, path prefix: what
 * pi_source_plan_new() makes of the address), never credentials or a
 * query. The file is read once per process; a change reads it again and
 * merges (the app and pulse-listen may both write it), then replaces it
 * atomically. A missing, corrupt or unwritable file is no error to the
 * user: the memory then lasts as long as the process, as it did before,
 * and a g_debug says why. The worker thread calls this: everything is
 * under one lock.
 */

#define GROUP_PREFIX     "root "
#define KEY_URL          "url"
#define KEY_PROTOCOL     "protocol"
#define KEY_USED         "used"
/* A root URL used again is written again after this long, so that the
 * bound keeps the most recently used ones; not on every reconnect. */
#define REFRESH_SECONDS  (60 * 60)
/* A hundred entries take some 20 KB: a file much larger is not ours. */
#define MAX_FILE_SIZE    (256 * 1024)

typedef struct
{
  PiSourceProtocol protocol;
  gint64           used;      /* seconds since the epoch */
} Entry;

static GMutex      memory_lock;
static GHashTable *memory;    /* root URL -> Entry */
/* Held while the file is read, merged and written (save()): the worker
 * that learnt something waits on the disk, never a caller that only
 * recalls (the main thread, starting a source), which waits on
 * memory_lock only while the table is read or changed. */
static GMutex      save_lock;

static const struct
{
  PiSourceProtocol  protocol;
  const char       *name;
} protocol_names[] = {
  { PI_SOURCE_PROTOCOL_WEBSOCKET, "websocket" },
  { PI_SOURCE_PROTOCOL_GRAPHQL,   "graphql" },
  { PI_SOURCE_PROTOCOL_EVENTS_V1, "events-v1" },
};

static const char *
protocol_to_name (PiSourceProtocol protocol)
{
  for (guint i = 0; i < G_N_ELEMENTS (protocol_names); i++)
    if (protocol_names[i].protocol == protocol)
      return protocol_names[i].name;
  return NULL;
}

static PiSourceProtocol
protocol_from_name (const char *name)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (protocol_names); i++)
    if (strcmp (protocol_names[i].name, name) == 0)
      return protocol_names[i].protocol;
  return PI_SOURCE_PROTOCOL_AUTO;
}

static char *
memory_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "pulse-inspector", NULL);
}

static char *
memory_path (void)
{
  g_autofree char *dir = memory_dir ();

  return g_build_filename (dir, "protocols.ini", NULL);
}

static GHashTable *
entries_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
entries_put (GHashTable       *entries,
             const char       *url,
             PiSourceProtocol  protocol,
             gint64            used)
{
  Entry *entry = g_hash_table_lookup (entries, url);

  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      g_hash_table_insert (entries, g_strdup (url), entry);
    }
  else if (entry->used > used)
    return;

  entry->protocol = protocol;
  entry->used = used;
}

/* The file's entries into @entries, the newer of two for the same URL. */
static void
load_file (GHashTable *entries)
{
  g_autofree char *path = memory_path ();
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;
  GStatBuf st;

  if (g_stat (path, &st) == 0 && st.st_size > MAX_FILE_SIZE)
    {
      g_debug ("Not reading the protocols that worked from %s: %" G_GINT64_FORMAT " bytes is too large",
               path, (gint64) st.st_size);
      return;
    }
  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_debug ("Not reading the protocols that worked from %s: %s", path, error->message);
      return;
    }

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *url = NULL;
      g_autofree char *name = NULL;
      PiSourceProtocol protocol;
      gint64 used;

      if (!g_str_has_prefix (groups[i], GROUP_PREFIX))
        continue;
      url = g_key_file_get_string (key_file, groups[i], KEY_URL, NULL);
      name = g_key_file_get_string (key_file, groups[i], KEY_PROTOCOL, NULL);
      protocol = protocol_from_name (name);
      used = g_key_file_get_int64 (key_file, groups[i], KEY_USED, NULL);
      if (url == NULL || *url == '\0' || protocol == PI_SOURCE_PROTOCOL_AUTO)
        {
          g_debug ("Skipping [%s] of %s: no root URL or no protocol this version knows", groups[i], path);
          continue;
        }
      entries_put (entries, url, protocol, used);
    }
}

static GHashTable *
memory_locked (void)
{
  if (memory == NULL)
    {
      memory = entries_new ();
      load_file (memory);
    }
  return memory;
}

static int
compare_used (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  GHashTable *entries = user_data;
  const Entry *ea = g_hash_table_lookup (entries, *(const char * const *) a);
  const Entry *eb = g_hash_table_lookup (entries, *(const char * const *) b);

  if (ea->used != eb->used)
    return ea->used > eb->used ? -1 : 1;
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* What the file holds merged into memory, then memory (bounded) into the
 * file. Called after memory changed, with neither lock held. */
static void
save (const char *forgotten)
{
  g_autoptr(GHashTable) on_disk = entries_new ();
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = memory_dir ();
  g_autofree char *path = memory_path ();
  g_autofree char *data = NULL;
  g_autofree const char **urls = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint n_urls;
  gsize length;

  g_mutex_lock (&save_lock);

  /* Another process (the app beside pulse-listen) may have learnt more
   * since this one read the file: keep what it wrote. */
  load_file (on_disk);

  g_mutex_lock (&memory_lock);
  g_hash_table_iter_init (&iter, on_disk);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const Entry *entry = value;

      if (forgotten == NULL || strcmp (key, forgotten) != 0)
        entries_put (memory, key, entry->protocol, entry->used);
    }

  urls = (const char **) g_hash_table_get_keys_as_array (memory, &n_urls);
  g_sort_array (urls, n_urls, sizeof (char *), compare_used, memory);
  for (guint i = PI_SOURCE_MEMORY_MAX_ROOTS; i < n_urls; i++)
    g_hash_table_remove (memory, urls[i]);

  g_key_file_set_comment (key_file, NULL, NULL,
                          " Which Taskcluster protocol worked, per root URL (Pulse Inspector, pulse-listen).\n"
                          " Rewritten as they learn; safe to delete.", NULL);
  for (guint i = 0; i < MIN (n_urls, PI_SOURCE_MEMORY_MAX_ROOTS); i++)
    {
      const Entry *entry = g_hash_table_lookup (memory, urls[i]);
      g_autofree char *group = g_strdup_printf (GROUP_PREFIX "%u", i);

      g_key_file_set_string (key_file, group, KEY_URL, urls[i]);
      g_key_file_set_string (key_file, group, KEY_PROTOCOL, protocol_to_name (entry->protocol));
      g_key_file_set_int64 (key_file, group, KEY_USED, entry->used);
    }
  g_mutex_unlock (&memory_lock);
  data = g_key_file_to_data (key_file, &length, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_debug ("Not remembering the protocols that worked in %s: %s", dir, g_strerror (saved_errno));
    }
  else if (!g_file_set_contents_full (path, data, (gssize) length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Not remembering the protocols that worked: %s", error->message);

  g_mutex_unlock (&save_lock);
}

/**
 * pi_source_memory_recall:
 * @root_key: a deployment's root URL, as #PiSourcePlan:root_key
 *
 * Returns: the protocol that last worked at @root_key, in this run or an
 *   earlier one, or %PI_SOURCE_PROTOCOL_AUTO
 */
PiSourceProtocol
pi_source_memory_recall (const char *root_key)
{
  PiSourceProtocol protocol = PI_SOURCE_PROTOCOL_AUTO;
  const Entry *entry;

  if (root_key == NULL)
    return PI_SOURCE_PROTOCOL_AUTO;

  g_mutex_lock (&memory_lock);
  entry = g_hash_table_lookup (memory_locked (), root_key);
  if (entry != NULL)
    protocol = entry->protocol;
  g_mutex_unlock (&memory_lock);

  return protocol;
}

/**
 * pi_source_memory_remember:
 * @root_key: a deployment's root URL
 * @protocol: the protocol that just went live there
 *
 * Remembers @protocol for @root_key, for this process and the next ones.
 */
void
pi_source_memory_remember (const char       *root_key,
                           PiSourceProtocol  protocol)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const Entry *entry;
  gboolean changed = FALSE;

  if (root_key == NULL || protocol_to_name (protocol) == NULL)
    return;

  g_mutex_lock (&memory_lock);
  entry = g_hash_table_lookup (memory_locked (), root_key);
  if (entry == NULL || entry->protocol != protocol || now - entry->used >= REFRESH_SECONDS)
    {
      entries_put (memory, root_key, protocol, MAX (now, entry ? entry->used : 0));
      changed = TRUE;
    }
  g_mutex_unlock (&memory_lock);

  if (changed)
    save (NULL);
}

/**
 * pi_source_memory_forget:
 * @root_key: a deployment's root URL
 *
 * Forgets what worked at @root_key (its server no longer serves it).
 */
void
pi_source_memory_forget (const char *root_key)
{
  gboolean removed;

  if (root_key == NULL)
    return;

  g_mutex_lock (&memory_lock);
  removed = g_hash_table_remove (memory_locked (), root_key);
  g_mutex_unlock (&memory_lock);

  if (removed)
    save (root_key);
}
