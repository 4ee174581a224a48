/* pi-server-session.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "pi-server-private.h"

/*
 * One resumable stream's session (docs/PROTOCOL.md 7 and 8, `resume`): the
 * subscription of a resumable event stream (a PiServerClient,
 * pi-server-client.c) or of a resumable WebSocket subscription
 * (pi-ws-subscriptions.c) belongs here rather than to its connection; what the
 * session tells the one attached goes through its PiServerSessionOwner.
 *
 * A session holds its id (128 random bits, what takes the stream over), its
 * bindings, the broker subscription, the messages it numbered (from 1) and
 * the recent ones among them (its history, bounded by the resume window's
 * bytes and seconds), and the client attached to it, if any. When the
 * connection goes, the session is held for the window's seconds so that a
 * reconnect naming the last number it saw gets the rest; the held sessions
 * together are bounded too (count and --resume-held-buffer), oldest ending
 * first. The attached client takes its messages from the history (its
 * owner's fill), as far as its queue has room.
 */

typedef struct
{
  GBytes *event;
  gint64  at;
} HistoryEntry;

struct _PiServerSession
{
  PiServer       *server;
  char           *id;
  char           *bindings_json;
  PiSubscription *subscription;
  const PiServerSessionOwner *owner_class; /* an event stream's or a WebSocket subscription's */
  gpointer        client;         /* attached (of owner_class), or NULL while held */
  GArray         *history;        /* of HistoryEntry, from history_start */
  guint           history_start;
  gsize           history_bytes;
  guint64         first_seq;      /* of history[history_start] */
  guint64         last_seq;       /* the last message numbered, 0 before the first */
  guint           hold_source;
  GList           held_link;      /* in the server's held_sessions while held */
  gboolean        ready;
  gboolean        failed;
  guint64         dropped_held;   /* dropped by the broker while held */
};

/* --- resumable streams ----------------------------------------------------- */

static HistoryEntry *
session_entry (PiServerSession *session,
               guint64          seq)
{
  return &g_array_index (session->history, HistoryEntry,
                         session->history_start + (guint) (seq - session->first_seq));
}

/* The oldest messages go once the history holds more than the window's
 * bytes, or once they are older than its seconds. The newest stays however
 * large it is: the attached client may not have been offered it yet (its
 * queue full), and a message larger than the window's bytes is still a
 * message to deliver, not one to count as lost. */
static void
session_trim (PiServerSession *session,
              gint64           now)
{
  PiServer *self = session->server;
  gint64 oldest = now - (gint64) (self->resume_window * G_USEC_PER_SEC);

  while (session->first_seq <= session->last_seq)
    {
      HistoryEntry *entry = session_entry (session, session->first_seq);
      gboolean too_old = entry->at < oldest;
      gboolean too_many = session->history_bytes > self->resume_buffer &&
                          session->first_seq < session->last_seq;

      if (!too_old && !too_many)
        break;

      session->history_bytes -= g_bytes_get_size (entry->event);
      g_clear_pointer (&entry->event, g_bytes_unref);
      session->history_start++;
      session->first_seq++;
    }

  /* Moved down once half of the array is behind the start. */
  if (session->history_start >= 1024 && session->history_start * 2 >= session->history->len)
    {
      g_array_remove_range (session->history, 0, session->history_start);
      session->history_start = 0;
    }
}

static void
session_destroy (PiServerSession *session)
{
  PiServer *self = session->server;

  if (session->client != NULL)
    session->owner_class->lose (session->client);
  if (session->held_link.data != NULL)
    {
      g_queue_unlink (&self->held_sessions, &session->held_link);
      self->held_bytes -= session->history_bytes;
    }
  g_hash_table_remove (self->sessions, session->id);
  g_clear_handle_id (&session->hold_source, g_source_remove);
  if (session->subscription != NULL)
    pi_broker_unsubscribe (self->broker, g_steal_pointer (&session->subscription));
  for (guint i = session->history_start; i < session->history->len; i++)
    g_clear_pointer (&g_array_index (session->history, HistoryEntry, i).event, g_bytes_unref);
  g_array_unref (session->history);
  g_free (session->bindings_json);
  g_free (session->id);
  g_free (session);
}

static gboolean
session_expire_cb (gpointer user_data)
{
  PiServerSession *session = user_data;

  session->hold_source = 0;
  g_message ("Session %s ended: not resumed within %.0f s (%" G_GUINT64_FORMAT " messages numbered)",
             session->id, session->server->resume_window, session->last_seq);
  session_destroy (session);
  return G_SOURCE_REMOVE;
}

static void
session_ready_cb (gpointer user_data)
{
  PiServerSession *session = user_data;

  session->ready = TRUE;
  if (session->client != NULL)
    session->owner_class->ready (session->client);
}

static gboolean
session_end_cb (gpointer user_data)
{
  PiServerSession *session = user_data;

  session->hold_source = 0;
  session_destroy (session);
  return G_SOURCE_REMOVE;
}

/* Ends @session, held, as soon as the main loop is back (it may be the one
 * whose subscription is calling): no longer held nor resumable from now. */
static void
session_end_held (PiServerSession *session)
{
  PiServer *self = session->server;

  g_queue_unlink (&self->held_sessions, &session->held_link);
  session->held_link.data = NULL;
  self->held_bytes -= session->history_bytes;
  session->failed = TRUE;
  g_clear_handle_id (&session->hold_source, g_source_remove);
  session->hold_source = g_idle_add (session_end_cb, session);
}

/* What the held sessions keep together is bounded as well
 * (--resume-held-buffer): past it, the oldest held ones end first. */
static void
sessions_hold_within_budget (PiServer *self)
{
  while (self->held_bytes > self->resume_held_buffer && self->held_sessions.head != NULL)
    {
      PiServerSession *oldest = self->held_sessions.head->data;

      g_message ("Session %s ended early: the streams held for a resume kept %" G_GSIZE_FORMAT
                 " bytes, more than %" G_GSIZE_FORMAT " (--resume-held-buffer); it kept %" G_GSIZE_FORMAT,
                 oldest->id, self->held_bytes, self->resume_held_buffer, oldest->history_bytes);
      session_end_held (oldest);
    }
}

static void
session_message_cb (GBytes   *event,
                    gpointer  user_data)
{
  PiServerSession *session = user_data;
  gint64 now = g_get_monotonic_time ();
  HistoryEntry entry = { g_bytes_ref (event), now };
  gsize before = session->history_bytes;

  g_array_append_val (session->history, entry);
  session->history_bytes += g_bytes_get_size (event);
  session->last_seq++;

  /* Offered to the attached client first, then trimmed: what its queue
   * takes now is never counted as fallen out of the window. */
  if (session->client != NULL)
    session->owner_class->fill (session->client);
  session_trim (session, now);

  if (session->held_link.data != NULL)
    {
      session->server->held_bytes += session->history_bytes;
      session->server->held_bytes -= before;
      sessions_hold_within_budget (session->server);
    }
}

static void
session_failed_cb (const char *text,
                   gpointer    user_data)
{
  PiServerSession *session = user_data;

  session->failed = TRUE;
  if (session->client != NULL)
    {
      /* Destroyed when the stream is finished. */
      session->owner_class->fail (session->client, text);
      return;
    }

  /* Held: nothing to resume any more. Not from within the callback. */
  g_clear_handle_id (&session->hold_source, g_source_remove);
  session->hold_source = g_idle_add (session_expire_cb, session);
}

/* Dropped by the broker before the server numbered them: the attached
 * client is told; while held, the client that resumes is. */
static void
session_dropped_cb (guint64  count,
                    gpointer user_data)
{
  PiServerSession *session = user_data;

  if (session->client != NULL)
    session->owner_class->dropped (session->client, count);
  else
    session->dropped_held += count;
}

static const PiSubscriptionCallbacks session_callbacks = {
  .ready = session_ready_cb,
  .message = session_message_cb,
  .failed = session_failed_cb,
  .dropped = session_dropped_cb,
};

/* Fills @buffer from the kernel's CSPRNG: getrandom(), or /dev/urandom
 * where the call is missing (old kernels, some sandboxes). */
static gboolean
random_bytes (guint8 *buffer,
              gsize   length)
{
  gsize done = 0;
  int fd;

  while (done < length)
    {
      ssize_t got = getrandom (buffer + done, length - done, 0);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      done += (gsize) got;
    }
  if (done == length)
    return TRUE;

  fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  done = 0;
  while (done < length)
    {
      ssize_t got = read (fd, buffer + done, length - done);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      done += (gsize) got;
    }
  close (fd);

  return done == length;
}

/* A session id is what takes a stream over (whoever presents it with the
 * same bindings resumes it): 128 bits from the CSPRNG, as 32 hex digits,
 * not guessable from ids seen before. */
static char *
session_id_new (void)
{
  guint8 bytes[16];
  char *id = g_malloc (2 * sizeof bytes + 1);

  if (!random_bytes (bytes, sizeof bytes))
    g_error ("No random numbers for a session id: %s", g_strerror (errno));
  for (gsize i = 0; i < sizeof bytes; i++)
    {
      id[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
      id[2 * i + 1] = "0123456789abcdef"[bytes[i] & 0xf];
    }
  id[2 * sizeof bytes] = '\0';

  return id;
}

/**
 * pi_server_session_new:
 * @self: a #PiServer
 * @owner_class: what @client is: an event stream, a WebSocket subscription
 * @bindings_json: the stream's bindings, as given
 * @client: the client to attach
 *
 * Starts a new session under a fresh id, attached to @client; it numbers
 * messages once pi_server_session_subscribe() subscribed it.
 *
 * Returns: (transfer none): the session, owned by @self's table
 */
PiServerSession *
pi_server_session_new (PiServer                   *self,
                       const PiServerSessionOwner *owner_class,
                       const char                 *bindings_json,
                       gpointer                    client)
{
  PiServerSession *session = g_new0 (PiServerSession, 1);

  session->server = self;
  do
    {
      g_free (session->id);
      session->id = session_id_new ();
    }
  while (g_hash_table_contains (self->sessions, session->id));
  session->bindings_json = g_strdup (bindings_json);
  session->history = g_array_new (FALSE, FALSE, sizeof (HistoryEntry));
  session->first_seq = 1;
  g_hash_table_insert (self->sessions, session->id, session);
  session->owner_class = owner_class;
  session->client = client;

  return session;
}

/* Subscribes a new @session to @bindings, its bindings parsed. */
void
pi_server_session_subscribe (PiServerSession *session,
                             GPtrArray       *bindings)
{
  session->subscription = pi_broker_subscribe (session->server->broker, bindings, &session_callbacks, session);
}

static void
session_unhold (PiServerSession *session)
{
  g_clear_handle_id (&session->hold_source, g_source_remove);
  if (session->held_link.data != NULL)
    {
      g_queue_unlink (&session->server->held_sessions, &session->held_link);
      session->held_link.data = NULL;
      session->server->held_bytes -= session->history_bytes;
    }
}

/**
 * pi_server_sessions_make_room:
 * @self: a #PiServer at --max-connections, held streams counted
 * @resume: the new event stream's `resume` value, or NULL (a WebSocket,
 *   whose subscribes come later)
 * @bindings_json: its bindings
 *
 * Returns: whether the stream may open: it resumes a held session (and so
 *   takes no more room), or the oldest held session ended for it.
 */
gboolean
pi_server_sessions_make_room (PiServer   *self,
                              const char *resume,
                              const char *bindings_json)
{
  const char *colon = resume != NULL ? strchr (resume, ':') : NULL;
  PiServerSession *oldest;

  if (colon != NULL && self->sessions != NULL)
    {
      g_autofree char *id = g_strndup (resume, colon - resume);
      PiServerSession *session = g_hash_table_lookup (self->sessions, id);

      if (session != NULL && session->held_link.data != NULL && !session->failed &&
          bindings_json != NULL && strcmp (session->bindings_json, bindings_json) == 0)
        return TRUE;
    }

  if (self->held_sessions.head == NULL)
    return FALSE;

  oldest = self->held_sessions.head->data;
  g_message ("Session %s ended early: its hold made room for a new stream (--max-connections %u, held streams count)",
             oldest->id, self->max_connections);
  session_destroy (oldest);
  return TRUE;
}

/**
 * pi_server_sessions_clear:
 * @self: a #PiServer
 *
 * Ends every session, held or attached: no stream resumes after this.
 */
void
pi_server_sessions_clear (PiServer *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self->sessions == NULL)
    return;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PiServerSession *session = value;

      g_hash_table_iter_steal (&iter);
      session->id[0] = '\0';  /* already out of the table */
      session_destroy (session);
    }
}

/**
 * pi_server_session_find:
 * @self: a #PiServer
 * @owner_class: what takes it over: a session of an event stream resumes
 *   only as one, a WebSocket subscription's only as one
 * @resume: a `resume` value, `1` or `SESSION:SEQ`
 * @bindings_json: the new stream's bindings
 * @last_seen: (out): the SEQ of @resume
 *
 * Returns: (nullable) (transfer none): the session @resume names, if it is
 *   still here, has not failed and has the same bindings
 */
PiServerSession *
pi_server_session_find (PiServer                   *self,
                        const PiServerSessionOwner *owner_class,
                        const char                 *resume,
                        const char                 *bindings_json,
                        guint64                    *last_seen)
{
  const char *colon = strchr (resume, ':');
  g_autofree char *id = NULL;
  PiServerSession *session;

  *last_seen = 0;
  if (colon == NULL)
    return NULL;

  id = g_strndup (resume, colon - resume);
  session = g_hash_table_lookup (self->sessions, id);
  if (session != NULL &&
      (session->failed || session->owner_class != owner_class ||
       strcmp (session->bindings_json, bindings_json) != 0 ||
       !g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT64, last_seen, NULL)))
    return NULL;

  return session;
}

/**
 * pi_server_session_attach:
 * @session: a #PiServerSession
 * @client: the client that resumes it
 *
 * Attaches @client to @session, which is no longer held.
 *
 * Returns: (nullable): the client attached before, no longer attached
 */
gpointer
pi_server_session_attach (PiServerSession *session,
                          gpointer         client)
{
  gpointer old = g_steal_pointer (&session->client);

  session_unhold (session);
  session->client = client;
  if (session->dropped_held > 0)
    session->owner_class->dropped (client, session->dropped_held);
  session->dropped_held = 0;

  return old;
}

/**
 * pi_server_session_add_dropped:
 * @session: a #PiServerSession
 * @count: messages the broker dropped
 *
 * The attached client is closing and cannot tell them: the client that
 * resumes @session is told.
 */
void
pi_server_session_add_dropped (PiServerSession *session,
                               guint64          count)
{
  session->dropped_held += count;
}

/**
 * pi_server_session_add_dropped_by_id:
 * @server: a #PiServer
 * @id: the id of a session its former client let go
 * @count: messages the broker dropped that the former client did not say
 *
 * The client that resumes the session is told, or the one that already
 * did; nothing if the session is gone (expired, ended, failed).
 */
void
pi_server_session_add_dropped_by_id (PiServer   *self,
                                     const char *id,
                                     guint64     count)
{
  PiServerSession *session = self->sessions != NULL ? g_hash_table_lookup (self->sessions, id) : NULL;

  if (session == NULL || session->failed)
    return;
  if (session->client != NULL)
    session->owner_class->dropped (session->client, count);
  else
    session->dropped_held += count;
}

/**
 * pi_server_session_release:
 * @session: a #PiServerSession
 *
 * The connection of the attached client is gone: @session waits for a
 * resume, unless the stream ended for good (the broker failed, the server
 * shuts down).
 */
void
pi_server_session_release (PiServerSession *session)
{
  PiServer *self = session->server;

  session->client = NULL;
  if (session->failed || self->shutting_down || self->resume_window <= 0)
    {
      session_destroy (session);
      return;
    }

  g_clear_handle_id (&session->hold_source, g_source_remove);
  session->hold_source = g_timeout_add ((guint) (self->resume_window * 1000), session_expire_cb, session);
  g_source_set_static_name (g_main_context_find_source_by_id (NULL, session->hold_source), "[pi] session hold");
  session->held_link.data = session;
  g_queue_push_tail_link (&self->held_sessions, &session->held_link);
  self->held_bytes += session->history_bytes;

  /* Held streams are not connections, but they hold subscriptions and
   * messages: bounded too. */
  while (self->held_sessions.length > MAX (PI_SERVER_MAX_HELD_STREAMS, self->max_connections))
    {
      PiServerSession *oldest = self->held_sessions.head->data;

      g_message ("Session %s ended early: more than %u streams held for a resume",
                 oldest->id, MAX (PI_SERVER_MAX_HELD_STREAMS, self->max_connections));
      session_destroy (oldest);
    }
  sessions_hold_within_budget (self);
}

/**
 * pi_server_session_end:
 * @session: a #PiServerSession
 *
 * The attached client let the stream go for good (a WebSocket client
 * unsubscribed or closed its socket): @session ends, not held.
 */
void
pi_server_session_end (PiServerSession *session)
{
  session->client = NULL;
  session_destroy (session);
}

const char *
pi_server_session_get_id (PiServerSession *session)
{
  return session->id;
}

gboolean
pi_server_session_is_ready (PiServerSession *session)
{
  return session->ready;
}

/* The oldest message still kept: the history is first_seq..last_seq, empty
 * when first_seq is past last_seq. */
guint64
pi_server_session_get_first_seq (PiServerSession *session)
{
  return session->first_seq;
}

/* The last message numbered, 0 before the first. */
guint64
pi_server_session_get_last_seq (PiServerSession *session)
{
  return session->last_seq;
}

/* Message @seq, between the first and the last kept. */
GBytes *
pi_server_session_get_message (PiServerSession *session,
                               guint64          seq)
{
  g_return_val_if_fail (seq >= session->first_seq && seq <= session->last_seq, NULL);

  return session_entry (session, seq)->event;
}
