/* pi-server-client.c
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
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "pi-binding.h"
#include "pi-event-format.h"
#include "pi-handover-stream.h"
#include "pi-server-private.h"

/*
 * One accepted event stream of a PiServer.
 *
 * libsoup parses the request and writes the response headers; then the
 * connection is taken from it (soup_server_message_steal_connection() in
 * wrote-headers) and the body, delimited by the end of the connection
 * rather than chunked, is written here. libsoup's state for a message
 * (a 16 KiB header buffer among it) would otherwise stay for as long as
 * the stream is open, which for an idle client is most of its memory.
 *
 * Writes: an event is framed once by the broker and queued by reference
 * (the same GBytes for every client it goes to, never copied). Everything
 * a client has queued goes out in one writev() per main-loop turn (the
 * server's flush idle), or when its socket can take more.
 *
 * Flow control: what the socket has not taken yet is the client's queue. A
 * message that would push the queue past its bounds is dropped and
 * counted, and a `dropped` event reports the count once the queue has
 * room again.
 *
 * Resumable streams (docs/PROTOCOL.md 7, `resume`): the subscription
 * belongs to a PiServerSession rather than to the connection. The session
 * numbers every message, keeps the recent ones (bounded by the resume
 * window's bytes and seconds) and outlives a lost connection by the
 * window's seconds, so that a reconnect naming the last number it saw gets
 * the rest. For such a stream the session's history is the queue's
 * source: what does not fit into the client's queue now waits there, not
 * dropped, until it falls out of the window.
 */

#define LOG_BINDINGS_MAX 400
#define WRITE_VECTORS    64

/* How every framed event ends (pi-event-format.c), and how much of it a
 * resumable stream keeps before its own `id:` line. */
#define PLAIN_ID_TAIL     "\nid: -\n\n"
#define PLAIN_ID_TAIL_LEN 8

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
  PiServerClient *client;         /* attached, or NULL while held */
  GArray         *history;        /* of HistoryEntry, from history_start */
  guint           history_start;
  gsize           history_bytes;
  guint64         first_seq;      /* of history[history_start] */
  guint64         last_seq;       /* the last message numbered, 0 before the first */
  guint           hold_source;
  GList           held_link;      /* in the server's held_sessions while held */
  gboolean        ready;
  gboolean        failed;
};

struct _PiServerClient
{
  PiServer          *server;        /* borrowed: the server outlives its clients */
  SoupServerMessage *msg;           /* until libsoup wrote the headers */
  GIOStream         *stream;        /* from then on: the connection */
  GQueue             queue;         /* of GBytes: what the socket has not taken yet */
  gsize              head_written;  /* of the queue's first event */
  GSource           *write_source;  /* waiting for the socket to take more */
  GList              link;
  GList              flush_link;    /* in the server's flush_clients */
  PiSubscription    *subscription;
  PiServerSession   *session;       /* a resumable stream's, or NULL */
  guint64            next_seq;      /* of the session's next message to queue */
  int                watched_fd;    /* in the server's hang-up watch, or -1 */
  char              *peer;
  char              *bindings_text;
  gint64             opened_at;
  guint64            pending_bytes;
  guint              pending_events;
  guint64            n_sent;
  guint64            n_dropped_total;
  guint64            dropped_slow;  /* not yet reported: the queue was full */
  guint64            dropped_large; /* not yet reported: larger than the whole buffer */
  gboolean           ready;
  gboolean           resumed;
  gboolean           closing;
  gboolean           stream_closed;
};

char *
pi_server_describe_peer (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  const char *host = soup_server_message_get_remote_host (msg);

  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      guint16 port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));

      if (host != NULL && strchr (host, ':') != NULL)
        return g_strdup_printf ("[%s]:%u", host, port);
      return g_strdup_printf ("%s:%u", host ? host : "?", port);
    }

  return g_strdup (host ? host : "?");
}

/* The bindings as given, made safe and short for one log line. */
static char *
loggable (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p++)
    {
      if (out->len >= LOG_BINDINGS_MAX)
        {
          g_string_append (out, "...");
          break;
        }
      g_string_append_c (out, (guchar) *p < 0x20 ? ' ' : *p);
    }

  return g_string_free (out, FALSE);
}

/* --- clients --------------------------------------------------------------- */

static gboolean client_flush_all_cb (gpointer user_data);
static void     client_fill         (PiServerClient *client);

/* Writes @client's queue this turn, together with everything else queued
 * meanwhile: not before its headers went out, nor while it waits for its
 * socket. */
static void
client_schedule_write (PiServerClient *client)
{
  PiServer *self = client->server;

  if (client->stream == NULL || client->write_source != NULL || client->flush_link.data != NULL)
    return;

  client->flush_link.data = client;
  g_queue_push_tail_link (&self->flush_clients, &client->flush_link);
  if (self->flush_source == 0)
    {
      self->flush_source = g_idle_add_full (G_PRIORITY_DEFAULT, client_flush_all_cb, self, NULL);
      g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->flush_source), "[pi] client writes");
    }
}

static void
client_unschedule_write (PiServerClient *client)
{
  if (client->flush_link.data != NULL)
    {
      g_queue_unlink (&client->server->flush_clients, &client->flush_link);
      client->flush_link.data = NULL;
    }
  if (client->write_source != NULL)
    {
      g_source_destroy (client->write_source);
      g_clear_pointer (&client->write_source, g_source_unref);
    }
}

static void
client_append (PiServerClient *client,
               GBytes         *event)
{
  g_queue_push_tail (&client->queue, g_bytes_ref (event));
  client->pending_bytes += g_bytes_get_size (event);
  client->pending_events++;
  client->n_sent++;
  client_schedule_write (client);
}

/* Does @bytes end an event? A resumable stream's message is queued in two
 * parts: the shared event up to its `id:` line, and its own `id:` line. */
static gboolean
ends_event (GBytes *bytes)
{
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  return size >= 2 && data[size - 1] == '\n' && data[size - 2] == '\n';
}

/* Queues message @seq of @client's session with `id: SESSION:SEQ`: the
 * shared event is referenced, not copied. */
static void
client_append_numbered (PiServerClient *client,
                        GBytes         *event,
                        guint64         seq)
{
  gsize size;
  const char *data = g_bytes_get_data (event, &size);
  char *tail;
  gsize tail_len;

  if (size < PLAIN_ID_TAIL_LEN || memcmp (data + size - PLAIN_ID_TAIL_LEN, PLAIN_ID_TAIL, PLAIN_ID_TAIL_LEN) != 0)
    {
      client_append (client, event);
      return;
    }

  g_queue_push_tail (&client->queue, g_bytes_new_from_bytes (event, 0, size - PLAIN_ID_TAIL_LEN + 1));
  tail = g_strdup_printf ("id: %s:%" G_GUINT64_FORMAT "\n\n", client->session->id, seq);
  tail_len = strlen (tail);
  g_queue_push_tail (&client->queue, g_bytes_new_take (tail, tail_len));
  client->pending_bytes += size - PLAIN_ID_TAIL_LEN + 1 + tail_len;
  client->pending_events++;
  client->n_sent++;
  client_schedule_write (client);
}

static gboolean
client_has_room (PiServerClient *client,
                 gsize           size)
{
  PiServer *self = client->server;

  return client->pending_events < self->queue_length &&
         client->pending_bytes + size <= self->client_buffer;
}

static void
client_report_dropped_reason (PiServerClient *client,
                              guint64        *count,
                              const char     *reason)
{
  g_autofree char *data = NULL;
  g_autoptr(GBytes) event = NULL;

  if (*count == 0)
    return;

  data = g_strdup_printf ("{\"count\":%" G_GUINT64_FORMAT ",\"reason\":\"%s\"}", *count, reason);
  event = pi_event_format ("dropped", data);
  *count = 0;
  client_append (client, event);
}

/* One `dropped` event per reason (docs/PROTOCOL.md 7). */
static void
client_report_dropped (PiServerClient *client)
{
  if (client->closing)
    return;

  client_report_dropped_reason (client, &client->dropped_large, "too-large");
  client_report_dropped_reason (client, &client->dropped_slow, "too-slow");
}

void
pi_server_client_unsubscribe (PiServerClient *client)
{
  if (client->subscription != NULL)
    pi_broker_unsubscribe (client->server->broker, g_steal_pointer (&client->subscription));
}

/* Stops watching the socket for a hang-up (clients_hangup_cb()). */
static void
client_stop_watching (PiServerClient *client)
{
  if (client->watched_fd >= 0)
    {
      epoll_ctl (client->server->hangup_epoll, EPOLL_CTL_DEL, client->watched_fd, NULL);
      client->watched_fd = -1;
    }
}

void
pi_server_client_end (PiServerClient *client,
                      const char     *error_text)
{
  if (client->closing)
    return;

  pi_server_client_unsubscribe (client);
  client_stop_watching (client);

  if (error_text != NULL)
    {
      g_autoptr(GBytes) event = NULL;

      /* Loss is never silent, even at the end. */
      client_report_dropped (client);
      event = pi_event_format_error (error_text);
      client_append (client, event);
    }
  else
    {
      /* Reset: nothing would read what is still queued. */
      g_queue_clear_full (&client->queue, (GDestroyNotify) g_bytes_unref);
      client->pending_bytes = 0;
      client->pending_events = 0;
      client->head_written = 0;
    }

  client->closing = TRUE;
  client_schedule_write (client);  /* what is left, then the close */
}

static void
client_ready_cb (gpointer user_data)
{
  PiServerClient *client = user_data;

  client->ready = TRUE;
  client_append (client, client->server->ready_event);
}

static void
client_message_cb (GBytes   *event,
                   gpointer  user_data)
{
  PiServerClient *client = user_data;

  if (client->closing)
    return;

  /* Larger than the whole buffer: no reader is fast enough for it. Said
   * at once when there is room for the word. */
  if (g_bytes_get_size (event) > client->server->client_buffer)
    {
      client->dropped_large++;
      client->n_dropped_total++;
      if (client->dropped_slow == 0 && client_has_room (client, 256))
        client_report_dropped (client);
      return;
    }

  if (!client_has_room (client, g_bytes_get_size (event)))
    {
      client->dropped_slow++;
      client->n_dropped_total++;
      return;
    }

  client_report_dropped (client);
  client_append (client, event);
}

static void
client_failed_cb (const char *text,
                  gpointer    user_data)
{
  PiServerClient *client = user_data;

  pi_server_client_end (client, text);
}

static const PiSubscriptionCallbacks subscription_callbacks = {
  .ready = client_ready_cb,
  .message = client_message_cb,
  .failed = client_failed_cb,
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
    session->client->session = NULL;
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

/* Queues what of the session's history @client has not had yet, as far as
 * its queue has room; what waits longer than the window is counted as
 * dropped (too slow). */
static void
client_fill (PiServerClient *client)
{
  PiServerSession *session = client->session;
  PiServer *self = client->server;

  if (session == NULL || client->closing || !client->ready)
    return;

  while (client->next_seq <= session->last_seq)
    {
      HistoryEntry *entry;
      gsize size;

      if (client->next_seq < session->first_seq)
        {
          client->dropped_slow += session->first_seq - client->next_seq;
          client->n_dropped_total += session->first_seq - client->next_seq;
          client->next_seq = session->first_seq;
          continue;
        }

      entry = session_entry (session, client->next_seq);
      size = g_bytes_get_size (entry->event) + strlen (session->id) + 24;
      if (size > self->client_buffer)
        {
          client->dropped_large++;
          client->n_dropped_total++;
          client->next_seq++;
          continue;
        }
      if (!client_has_room (client, size))
        break;

      client_report_dropped (client);
      client_append_numbered (client, entry->event, client->next_seq);
      client->next_seq++;
    }
}

/* `ready` tells a resumable stream its session, and whether the stream
 * goes on where the client left it. */
static void
client_send_session_ready (PiServerClient *client)
{
  PiServerSession *session = client->session;
  g_autofree char *data = NULL;
  g_autoptr(GBytes) event = NULL;

  if (client->resumed)
    data = g_strdup_printf ("{\"session\":\"%s\",\"resumed\":true,\"lost\":%" G_GUINT64_FORMAT "}",
                            session->id,
                            client->next_seq < session->first_seq ? session->first_seq - client->next_seq : 0);
  else
    data = g_strdup_printf ("{\"session\":\"%s\",\"resumed\":false}", session->id);
  event = pi_event_format ("ready", data);
  client->ready = TRUE;
  client_append (client, event);
}

static void
session_ready_cb (gpointer user_data)
{
  PiServerSession *session = user_data;

  session->ready = TRUE;
  if (session->client != NULL && !session->client->closing)
    {
      client_send_session_ready (session->client);
      client_fill (session->client);
    }
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
    client_fill (session->client);
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
      pi_server_client_end (session->client, text);
      return;
    }

  /* Held: nothing to resume any more. Not from within the callback. */
  g_clear_handle_id (&session->hold_source, g_source_remove);
  session->hold_source = g_idle_add (session_expire_cb, session);
}

static const PiSubscriptionCallbacks session_callbacks = {
  .ready = session_ready_cb,
  .message = session_message_cb,
  .failed = session_failed_cb,
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

static PiServerSession *
session_new (PiServer   *self,
             const char *bindings_json)
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

  return session;
}

/* The connection of @client is gone: its session waits for a resume, unless
 * the stream ended for good (the broker failed, the server shuts down). */
static void
client_detach_session (PiServerClient *client)
{
  PiServerSession *session = g_steal_pointer (&client->session);
  PiServer *self = client->server;

  if (session == NULL)
    return;

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
 * @resume: the new stream's `resume` value, or NULL
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
          strcmp (session->bindings_json, bindings_json) == 0)
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

/* Attaches @client to the session @resume names (`1` for a new one, or
 * `SESSION:SEQ`, the last message the client saw): a held one with the
 * same bindings goes on, anything else starts a new session. */
static void
client_start_session (PiServerClient *client,
                      const char     *resume,
                      const char     *bindings_json,
                      GPtrArray      *bindings)
{
  PiServer *self = client->server;
  PiServerSession *session = NULL;
  const char *colon = strchr (resume, ':');
  guint64 last_seen = 0;

  if (colon != NULL)
    {
      g_autofree char *id = g_strndup (resume, colon - resume);

      session = g_hash_table_lookup (self->sessions, id);
      if (session != NULL &&
          (session->failed || strcmp (session->bindings_json, bindings_json) != 0 ||
           !g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT64, &last_seen, NULL)))
        session = NULL;
    }

  if (session == NULL)
    {
      session = session_new (self, bindings_json);
      session->client = client;
      client->session = session;
      client->next_seq = 1;
      if (colon != NULL)
        g_message ("Stream of %s not resumed: no session %s here (any more); session %s",
                   client->peer, resume, session->id);
      session->subscription = pi_broker_subscribe (self->broker, bindings, &session_callbacks, session);
      return;
    }

  /* The old connection may not be known to be gone yet: it is now. */
  if (session->client != NULL)
    {
      PiServerClient *old = session->client;

      old->session = NULL;
      session->client = NULL;
      pi_server_client_end (old, NULL);
    }

  session_unhold (session);
  session->client = client;
  client->session = session;
  client->resumed = TRUE;
  client->next_seq = MIN (last_seen, session->last_seq) + 1;

  g_message ("Stream of %s resumed: session %s after message %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
             " to replay%s", client->peer, session->id, last_seen,
             session->last_seq - (client->next_seq - 1),
             client->next_seq < session->first_seq ? ", some no longer kept" : "");

  if (!session->ready)
    return;

  client_send_session_ready (client);

  /* Fell out of the window meanwhile: said, never silent. */
  if (client->next_seq < session->first_seq)
    {
      g_autofree char *data = NULL;
      g_autoptr(GBytes) event = NULL;
      guint64 lost = session->first_seq - client->next_seq;

      data = g_strdup_printf ("{\"count\":%" G_GUINT64_FORMAT ",\"reason\":\"resume-window\"}", lost);
      event = pi_event_format ("dropped", data);
      client_append (client, event);
      client->n_dropped_total += lost;
      client->next_seq = session->first_seq;
    }

  client_fill (client);
}

/* The socket took @written bytes from the head of the queue. */
static void
client_took (PiServerClient *client,
             gsize           written)
{
  PiServer *self = client->server;

  client->pending_bytes -= MIN (written, client->pending_bytes);
  while (written > 0 && client->queue.head != NULL)
    {
      GBytes *head = client->queue.head->data;
      gsize left = g_bytes_get_size (head) - client->head_written;

      if (written < left)
        {
          client->head_written += written;
          break;
        }

      written -= left;
      client->head_written = 0;
      if (ends_event (head) && client->pending_events > 0)
        client->pending_events--;
      g_bytes_unref (g_queue_pop_head (&client->queue));
    }

  /* Report drops once the queue has drained to half. */
  if (client->dropped_slow + client->dropped_large > 0 &&
      client->pending_events <= self->queue_length / 2 &&
      client->pending_bytes <= self->client_buffer / 2)
    client_report_dropped (client);

  client_fill (client);
}

static void client_write (PiServerClient *client);

/* Closing the stream finishes @client (client_stream_closed_cb()). */
static void
client_close_stream (PiServerClient *client)
{
  g_autoptr(GIOStream) stream = g_object_ref (client->stream);

  client_stop_watching (client);  /* before its descriptor number is free again */

  g_io_stream_close (stream, NULL, NULL);
}

static gboolean
client_writable_cb (GObject  *stream,
                    gpointer  user_data)
{
  PiServerClient *client = user_data;

  g_clear_pointer (&client->write_source, g_source_unref);
  client_write (client);
  return G_SOURCE_REMOVE;
}

/* Writes as much of the queue as the socket takes now, in one call; then
 * waits for the socket if it took less, and closes the stream once an
 * ending stream has nothing left to write. */
static void
client_write (PiServerClient *client)
{
  GPollableOutputStream *output = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (client->stream));
  GOutputVector vectors[WRITE_VECTORS];
  gsize n_vectors = 0, wanted = 0, written = 0;
  g_autoptr(GError) error = NULL;
  GPollableReturn result;

  for (GList *l = client->queue.head; l != NULL && n_vectors < WRITE_VECTORS; l = l->next)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (l->data, &size);
      gsize skip = l == client->queue.head ? client->head_written : 0;

      vectors[n_vectors].buffer = data + skip;
      vectors[n_vectors].size = size - skip;
      wanted += size - skip;
      n_vectors++;
    }

  if (n_vectors == 0)
    {
      if (client->closing)
        client_close_stream (client);
      return;
    }

  result = g_pollable_output_stream_writev_nonblocking (output, vectors, n_vectors, &written, NULL, &error);
  if (result == G_POLLABLE_RETURN_FAILED)
    {
      g_debug ("%s: %s", client->peer, error->message);
      client_close_stream (client);
      return;
    }

  if (result == G_POLLABLE_RETURN_OK)
    client_took (client, written);

  if (result == G_POLLABLE_RETURN_OK && written == wanted)
    {
      /* All taken: more vectors than one call writes wait for the next
       * turn, and so does the close, after the last `error` event. */
      if (client->queue.head != NULL || client->closing)
        client_schedule_write (client);
      return;
    }

  /* The socket is full: wait until it takes more (a `dropped` report
   * queued meanwhile goes then too). */
  if (client->flush_link.data != NULL)
    {
      g_queue_unlink (&client->server->flush_clients, &client->flush_link);
      client->flush_link.data = NULL;
    }
  client->write_source = g_pollable_output_stream_create_source (output, NULL);
  g_source_set_callback (client->write_source, G_SOURCE_FUNC (client_writable_cb), client, NULL);
  g_source_set_static_name (client->write_source, "[pi] client writable");
  g_source_attach (client->write_source, NULL);
}

static gboolean
client_flush_all_cb (gpointer user_data)
{
  PiServer *self = user_data;
  guint n = self->flush_clients.length;
  GList *link;

  self->flush_source = 0;

  /* Those scheduled while this runs (an ending client, to close) wait for
   * the next turn. */
  while (n-- > 0 && (link = self->flush_clients.head) != NULL)
    {
      PiServerClient *client = link->data;

      g_queue_unlink (&self->flush_clients, link);
      link->data = NULL;
      client_write (client);
    }

  return G_SOURCE_REMOVE;
}

void
pi_server_client_ping (PiServerClient *client,
                       GBytes         *event)
{
  /* A full queue already tells the socket something is wrong. */
  if (!client->closing && client_has_room (client, 0))
    client_append (client, event);
}

/* Unlinks and frees @client: when its message is finished, or when the
 * server goes while the stream is still open. */
void
pi_server_client_finish (PiServerClient *client)
{
  PiServer *self = client->server;
  double seconds = (g_get_monotonic_time () - client->opened_at) / (double) G_USEC_PER_SEC;

  g_queue_unlink (&self->clients, &client->link);

  pi_server_client_unsubscribe (client);
  client_detach_session (client);
  client_stop_watching (client);
  client_unschedule_write (client);

  g_message ("Stream closed: %s, bindings %s, after %.1f s, %" G_GUINT64_FORMAT " events sent, %"
             G_GUINT64_FORMAT " dropped (%u open)",
             client->peer, client->bindings_text, seconds, client->n_sent,
             client->n_dropped_total, self->clients.length);

  if (client->msg != NULL)
    g_signal_handlers_disconnect_by_data (client->msg, client);
  g_clear_object (&client->msg);
  if (client->stream != NULL)
    {
      GIOStream *stream = g_steal_pointer (&client->stream);

      g_signal_handlers_disconnect_by_data (stream, client);
      if (!client->stream_closed)
        {
          g_io_stream_close (stream, NULL, NULL);
          g_object_unref (stream);
        }
      else
        {
          /* Not from within its own close: the reference may be the last. */
          g_idle_add_once ((GSourceOnceFunc) g_object_unref, stream);
        }
    }
  g_queue_clear_full (&client->queue, (GDestroyNotify) g_bytes_unref);
  g_free (client->peer);
  g_free (client->bindings_text);
  g_free (client);
}

static void
client_finished_cb (SoupServerMessage *msg,
                    PiServerClient    *client)
{
  pi_server_client_finish (client);
}

static void
client_stream_closed_cb (PiHandoverStream *stream,
                         PiServerClient   *client)
{
  client->stream_closed = TRUE;
  pi_server_client_finish (client);
}

/* The headers are out: the connection is ours from here on, and libsoup's
 * state for the message goes. */
static void
client_wrote_headers_cb (SoupServerMessage *msg,
                         PiServerClient    *client)
{
  PiHandoverStream *handover = pi_http_front_get_message_stream (client->server->front, msg);
  g_autoptr(GIOStream) wrapper = NULL;

  g_signal_handlers_disconnect_by_data (msg, client);

  /* What libsoup gives back wraps the stream it was handed, and leaves it
   * open when it goes. */
  if (handover != NULL)
    client->stream = G_IO_STREAM (g_object_ref (handover));
  wrapper = soup_server_message_steal_connection (msg);
  g_clear_object (&client->msg);

  if (client->stream == NULL)
    {
      g_critical ("No connection of ours for %s", client->peer);
      pi_server_client_finish (client);
      return;
    }

  g_signal_connect (client->stream, "closed", G_CALLBACK (client_stream_closed_cb), client);
  if (client->queue.head != NULL || client->closing)
    client_schedule_write (client);
}

/* libsoup does not read while it writes a response, so a client that hangs
 * up would only be noticed on a later write. Watch the socket instead: EOF
 * (or an error) means it is gone, and its subscription goes at once. */
static void
client_check_hangup (PiServerClient *client)
{
  char byte;
  gssize n;

  n = recv (client->watched_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;

  client_stop_watching (client);

  if (n > 0)
    return;  /* pipelined bytes or TLS records: stop watching */

  g_debug ("%s hung up", client->peer);

  /* EOF may be only a half-close (shutdown (SHUT_WR)): such a client still
   * reads, and an accepted stream never ends without an `error` event
   * (docs/PROTOCOL.md 3). A reset peer is gone: nothing would read it. */
  pi_server_client_end (client, n == 0 ? "The client closed its side of the connection" : NULL);
}

/* One source for every stream's socket, not one each: GLib's main loop
 * prepares, polls and checks every source on every iteration, which with
 * 10,000 idle streams was most of the server's CPU. Ending a stream here
 * frees nothing at once (the close comes on a later turn), so the other
 * events of the batch stay valid. */
static gboolean
clients_hangup_cb (int           fd,
                   GIOCondition  condition,
                   gpointer      user_data)
{
  struct epoll_event events[256];
  int n = epoll_wait (fd, events, G_N_ELEMENTS (events), 0);

  for (int i = 0; i < n; i++)
    client_check_hangup (events[i].data.ptr);

  return G_SOURCE_CONTINUE;
}

static void
client_watch (PiServerClient *client,
              GSocket        *socket)
{
  PiServer *self = client->server;
  struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = client };

  if (self->hangup_epoll < 0)
    {
      self->hangup_epoll = epoll_create1 (EPOLL_CLOEXEC);
      if (self->hangup_epoll < 0)
        {
          g_message ("Cannot watch streams for hang-ups (epoll: %s): noticed on a later write instead",
                     g_strerror (errno));
          return;
        }
      self->hangup_watch = g_unix_fd_source_new (self->hangup_epoll, G_IO_IN);
      g_source_set_callback (self->hangup_watch, G_SOURCE_FUNC (clients_hangup_cb), self, NULL);
      g_source_set_static_name (self->hangup_watch, "[pi] client hangups");
      g_source_attach (self->hangup_watch, NULL);
    }

  if (epoll_ctl (self->hangup_epoll, EPOLL_CTL_ADD, g_socket_get_fd (socket), &event) == 0)
    client->watched_fd = g_socket_get_fd (socket);
  else
    g_debug ("%s: not watched for a hang-up: %s", client->peer, g_strerror (errno));
}

/* After the last client: the watch of clients_hangup_cb() goes. */
void
pi_server_client_unwatch_all (PiServer *self)
{
  if (self->hangup_watch != NULL)
    {
      g_source_destroy (self->hangup_watch);
      g_clear_pointer (&self->hangup_watch, g_source_unref);
    }
  if (self->hangup_epoll >= 0)
    {
      close (self->hangup_epoll);
      self->hangup_epoll = -1;
    }
}

void
pi_server_client_start (PiServer          *self,
                        SoupServerMessage *msg,
                        const char        *bindings_json,
                        const char        *resume)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GPtrArray) bindings = NULL;
  g_autoptr(GError) error = NULL;
  GSocket *socket;
  PiServerClient *client;

  client = g_new0 (PiServerClient, 1);
  client->server = self;
  client->watched_fd = -1;
  client->msg = g_object_ref (msg);
  client->link.data = client;
  client->peer = pi_server_describe_peer (msg);
  client->bindings_text = loggable (bindings_json);
  client->opened_at = g_get_monotonic_time ();
  g_queue_push_tail_link (&self->clients, &client->link);

  /* The headers go out before the bindings are looked at: every later
   * failure is an `error` event in the stream (docs/PROTOCOL.md 2). */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Accel-Buffering", "no");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_EOF);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);

  g_signal_connect (msg, "wrote-headers", G_CALLBACK (client_wrote_headers_cb), client);
  g_signal_connect (msg, "finished", G_CALLBACK (client_finished_cb), client);

  g_message ("Stream opened: %s, bindings %s (%u open)",
             client->peer, client->bindings_text, self->clients.length);

  socket = pi_http_front_get_message_socket (self->front, msg);
  if (socket != NULL)
    {
      client_watch (client, socket);
    }

  if (!(bindings = pi_bindings_from_json (bindings_json, &error)))
    {
      pi_server_client_end (client, error->message);
      return;
    }

  if (resume != NULL)
    {
      client_start_session (client, resume, bindings_json, bindings);
      return;
    }

  client->subscription = pi_broker_subscribe (self->broker, bindings, &subscription_callbacks, client);
}
