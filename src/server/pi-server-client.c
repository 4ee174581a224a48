/* pi-server-client.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-server"

#include "config.h"

#include <string.h>

#include "pi-binding.h"
#include "pi-event-format.h"
#include "pi-event-writer.h"
#include "pi-server-private.h"

/*
 * One accepted event stream of a PiServer.
 *
 * libsoup parses the request and writes the response headers; then the
 * client's PiEventWriter (pi-event-writer.c) takes the connection from it
 * and writes the body, delimited by the end of the connection rather than
 * chunked: the queue of what the socket has not taken yet, the writes and
 * the close are the writer's. What goes into the stream, and when, is
 * decided here.
 *
 * Flow control: what the socket has not taken yet is the client's queue. A
 * message that would push the queue past its bounds is dropped and
 * counted, and a `dropped` event reports the count once the queue has
 * room again.
 *
 * Resumable streams (docs/PROTOCOL.md 7, `resume`): the subscription
 * belongs to a PiServerSession (pi-server-session.c) rather than to the
 * connection. The session
 * numbers every message, keeps the recent ones (bounded by the resume
 * window's bytes and seconds) and outlives a lost connection by the
 * window's seconds, so that a reconnect naming the last number it saw gets
 * the rest. For such a stream the session's history is the queue's
 * source: what does not fit into the client's queue now waits there, not
 * dropped, until it falls out of the window.
 */

#define LOG_BINDINGS_MAX 400

struct _PiServerClient
{
  PiServer          *server;        /* borrowed: the server outlives its clients */
  PiEventWriter     *writer;        /* the response, its connection and queue */
  GList              link;
  PiSubscription    *subscription;
  PiServerSession   *session;       /* a resumable stream's, or NULL */
  guint64            next_seq;      /* of the session's next message to queue */
  char              *peer;
  char              *bindings_text;
  gint64             opened_at;
  guint64            n_sent;
  guint64            n_dropped_total;
  guint64            dropped_slow;  /* not yet reported: the queue was full */
  guint64            dropped_large; /* not yet reported: larger than the whole buffer */
  guint64            dropped_broker; /* of dropped_slow: the broker's, on a resumable stream */
  gboolean           ready;
  gboolean           resumed;
  gboolean           behind;        /* losing messages and logged, until its queue drains to half */
  gint64             behind_logged; /* when that was last logged */
};

/* One log line for a stream falling behind at most this often, in µs. */
#define LOG_BEHIND_INTERVAL (10 * G_USEC_PER_SEC)

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

static void
client_append (PiServerClient *client,
               GBytes         *event)
{
  pi_event_writer_push (client->writer, event);
  client->n_sent++;
}

/* Queues message @seq of @client's session with `id: SESSION:SEQ`. */
static void
client_append_numbered (PiServerClient *client,
                        GBytes         *event,
                        guint64         seq)
{
  pi_event_writer_push_numbered (client->writer, event, pi_server_session_get_id (client->session), seq);
  client->n_sent++;
}

static gboolean
client_has_room (PiServerClient *client,
                 gsize           size)
{
  PiServer *self = client->server;

  return pi_event_writer_get_events (client->writer) < self->queue_length &&
         pi_event_writer_get_bytes (client->writer) + size <= self->client_buffer;
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
  /* On a resumable stream: `id: SESSION:N`, the last message number it
   * covers, where a resume goes on (not counted twice). */
  if (client->session != NULL)
    client_append_numbered (client, event, client->next_seq - 1);
  else
    client_append (client, event);
}

/* One `dropped` event per reason (docs/PROTOCOL.md 7). */
static void
client_report_dropped (PiServerClient *client)
{
  if (pi_event_writer_is_ending (client->writer))
    return;

  client_report_dropped_reason (client, &client->dropped_large, "too-large");
  client_report_dropped_reason (client, &client->dropped_slow, "too-slow");

  /* Until the socket takes it, the broker's part of the count is not
   * said: a stream reset before then leaves it to the resume. */
  if (client->dropped_broker > 0)
    {
      pi_event_writer_add_broker_report (client->writer, client->dropped_broker);
      client->dropped_broker = 0;
    }
}

/* The broker's drops @client was to report but the socket did not take
 * (the stream was reset, or is being replaced): the stream that resumes
 * the session must say them, messages of it are never numbered. */
static guint64
client_take_untold_broker_drops (PiServerClient *client)
{
  guint64 n = client->dropped_broker;

  client->dropped_broker = 0;
  return n + pi_event_writer_take_untold (client->writer);
}

void
pi_server_client_unsubscribe (PiServerClient *client)
{
  if (client->subscription != NULL)
    pi_broker_unsubscribe (client->server->broker, g_steal_pointer (&client->subscription));
}

void
pi_server_client_end (PiServerClient *client,
                      const char     *error_text)
{
  if (pi_event_writer_is_ending (client->writer))
    return;

  pi_server_client_unsubscribe (client);

  if (error_text != NULL)
    {
      g_autoptr(GBytes) event = NULL;

      /* Loss is never silent, even at the end. */
      client_report_dropped (client);
      event = pi_event_format_error (error_text);
      client_append (client, event);
    }

  /* What is left, then the close; on a reset (no error) nothing would
   * read what is still queued. */
  pi_event_writer_end (client->writer, error_text == NULL);
}

static void
client_ready_cb (gpointer user_data)
{
  PiServerClient *client = user_data;

  client->ready = TRUE;
  client_append (client, client->server->ready_event);
}

/* @client starts losing messages (@what): logged once until its queue
 * drains to half again, with what its queue held against which bound and
 * how long its socket had taken nothing; not twice within
 * LOG_BEHIND_INTERVAL: a loss meanwhile is logged with the first loss
 * after it. Its count of dropped messages is in the line it closes with. */
static void
client_note_behind (PiServerClient *client,
                    const char     *what)
{
  PiServer *self = client->server;
  gint64 now;

  if (client->behind)
    return;

  now = g_get_monotonic_time ();
  if (client->behind_logged != 0 && now - client->behind_logged < LOG_BEHIND_INTERVAL)
    return;
  client->behind = TRUE;
  client->behind_logged = now;

  g_message ("Stream of %s fell behind: %s (%u of %u events, %" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT
             " KiB queued; its socket took nothing for %" G_GINT64_FORMAT " ms)",
             client->peer, what, pi_event_writer_get_events (client->writer), self->queue_length,
             pi_event_writer_get_bytes (client->writer) / 1024, self->client_buffer / 1024,
             pi_event_writer_get_idle_for (client->writer) / 1000);
}

static void
client_message_cb (GBytes   *event,
                   gpointer  user_data)
{
  PiServerClient *client = user_data;

  if (pi_event_writer_is_ending (client->writer))
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
      client_note_behind (client, "dropping what does not fit");
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

/* @count messages meant for @client the broker dropped before they reached
 * the server (the shared queue's length limit): counted with those it was
 * too slow for, and said at once if its queue has room for the word. */
void
pi_server_client_add_dropped (PiServerClient *client,
                              guint64         count)
{
  /* Closing: the stream that resumes the session hears of them. */
  if (pi_event_writer_is_ending (client->writer))
    {
      if (client->session != NULL)
        pi_server_session_add_dropped (client->session, count);
      return;
    }

  client->dropped_slow += count;
  client->n_dropped_total += count;
  if (client->session != NULL)
    client->dropped_broker += count;
  if (client->ready && client_has_room (client, 256))
    client_report_dropped (client);
}

static void
client_dropped_cb (guint64  count,
                   gpointer user_data)
{
  pi_server_client_add_dropped (user_data, count);
}

static const PiSubscriptionCallbacks subscription_callbacks = {
  .ready = client_ready_cb,
  .message = client_message_cb,
  .failed = client_failed_cb,
  .dropped = client_dropped_cb,
};

/* Queues what of the session's history @client has not had yet, as far as
 * its queue has room; what waits longer than the window is counted as
 * dropped (too slow). */
void
pi_server_client_fill (PiServerClient *client)
{
  PiServerSession *session = client->session;
  PiServer *self = client->server;
  guint64 first_seq;

  if (session == NULL || pi_event_writer_is_ending (client->writer) || !client->ready)
    return;

  first_seq = pi_server_session_get_first_seq (session);
  while (client->next_seq <= pi_server_session_get_last_seq (session))
    {
      GBytes *event;
      gsize size;

      if (client->next_seq < first_seq)
        {
          client_note_behind (client, "losing what left the resume window");
          client->dropped_slow += first_seq - client->next_seq;
          client->n_dropped_total += first_seq - client->next_seq;
          client->next_seq = first_seq;
          continue;
        }

      event = pi_server_session_get_message (session, client->next_seq);
      size = g_bytes_get_size (event) + strlen (pi_server_session_get_id (session)) + 24;
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
      client_append_numbered (client, event, client->next_seq);
      client->next_seq++;
    }

  /* Too large for the whole buffer: said at once when there is room for
   * the word, as on a plain stream, not with the next message that fits
   * (when every message is that large, only the next ping, 20 s on, came). */
  if (client->dropped_large > 0 && client->dropped_slow == 0 && client_has_room (client, 256))
    client_report_dropped (client);
}

/* `ready` tells a resumable stream its session, and whether the stream
 * goes on where the client left it. */
static void
client_send_session_ready (PiServerClient *client)
{
  PiServerSession *session = client->session;
  guint64 first_seq = pi_server_session_get_first_seq (session);
  g_autofree char *data = NULL;
  g_autoptr(GBytes) event = NULL;

  if (client->resumed)
    data = g_strdup_printf ("{\"session\":\"%s\",\"resumed\":true,\"lost\":%" G_GUINT64_FORMAT "}",
                            pi_server_session_get_id (session),
                            client->next_seq < first_seq ? first_seq - client->next_seq : 0);
  else
    data = g_strdup_printf ("{\"session\":\"%s\",\"resumed\":false}", pi_server_session_get_id (session));
  event = pi_event_format ("ready", data);
  client->ready = TRUE;
  client_append (client, event);
}

/* @client's session has its subscription now. */
void
pi_server_client_session_ready (PiServerClient *client)
{
  if (pi_event_writer_is_ending (client->writer))
    return;

  client_send_session_ready (client);
  pi_server_client_fill (client);
}

/* @client's session is gone: the stream is no longer resumable. */
void
pi_server_client_lose_session (PiServerClient *client)
{
  client->session = NULL;
}

/* The connection of @client is gone: its session, if any, is released. */
static void
client_detach_session (PiServerClient *client)
{
  PiServerSession *session = g_steal_pointer (&client->session);
  guint64 untold = client_take_untold_broker_drops (client);

  if (session != NULL)
    {
      if (untold > 0)
        pi_server_session_add_dropped (session, untold);
      pi_server_session_release (session);
    }
}

/* What the session tells its event stream. */
static void
client_session_ready (gpointer owner)
{
  pi_server_client_session_ready (owner);
}

static void
client_session_fill (gpointer owner)
{
  pi_server_client_fill (owner);
}

static void
client_session_lose (gpointer owner)
{
  pi_server_client_lose_session (owner);
}

static void
client_session_fail (gpointer    owner,
                     const char *text)
{
  pi_server_client_end (owner, text);
}

static void
client_session_dropped (gpointer owner,
                        guint64  count)
{
  pi_server_client_add_dropped (owner, count);
}

static const PiServerSessionOwner client_session_owner = {
  .ready = client_session_ready,
  .fill = client_session_fill,
  .lose = client_session_lose,
  .fail = client_session_fail,
  .dropped = client_session_dropped,
};

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
  guint64 last_seen = 0;
  PiServerSession *session = pi_server_session_find (self, &client_session_owner, resume, bindings_json,
                                                      &last_seen);
  PiServerClient *old;
  guint64 first_seq, last_seq;

  if (session == NULL)
    {
      session = pi_server_session_new (self, &client_session_owner, bindings_json, client);
      client->session = session;
      client->next_seq = 1;
      if (strchr (resume, ':') != NULL)
        g_message ("Stream of %s not resumed: no session %s here (any more); session %s",
                   client->peer, resume, pi_server_session_get_id (session));
      pi_server_session_subscribe (session, bindings);
      return;
    }

  /* The old connection may not be known to be gone yet: it is now. What
   * the broker dropped and it did not say, this one says. */
  client->session = session;
  old = pi_server_session_attach (session, client);
  if (old != NULL)
    {
      guint64 untold = client_take_untold_broker_drops (old);

      old->session = NULL;
      pi_server_client_end (old, NULL);
      if (untold > 0)
        pi_server_client_add_dropped (client, untold);
    }

  client->resumed = TRUE;
  first_seq = pi_server_session_get_first_seq (session);
  last_seq = pi_server_session_get_last_seq (session);
  client->next_seq = MIN (last_seen, last_seq) + 1;

  g_message ("Stream of %s resumed: session %s after message %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
             " to replay%s", client->peer, pi_server_session_get_id (session), last_seen,
             last_seq - (client->next_seq - 1),
             client->next_seq < first_seq ? ", some no longer kept" : "");

  if (!pi_server_session_is_ready (session))
    return;

  client_send_session_ready (client);

  /* Fell out of the window meanwhile: said, never silent. */
  if (client->next_seq < first_seq)
    {
      g_autofree char *data = NULL;
      g_autoptr(GBytes) event = NULL;
      guint64 lost = first_seq - client->next_seq;

      data = g_strdup_printf ("{\"count\":%" G_GUINT64_FORMAT ",\"reason\":\"resume-window\"}", lost);
      event = pi_event_format ("dropped", data);
      client_append (client, event);
      client->n_dropped_total += lost;
      client->next_seq = first_seq;
    }

  pi_server_client_fill (client);
}

/* The socket took bytes from the head of the queue. */
static void
client_took_cb (gpointer user_data)
{
  PiServerClient *client = user_data;
  PiServer *self = client->server;

  /* Report drops once the queue has drained to half; from then on a
   * loss is a new time of falling behind. */
  if (pi_event_writer_get_events (client->writer) <= self->queue_length / 2 &&
      pi_event_writer_get_bytes (client->writer) <= self->client_buffer / 2)
    {
      client->behind = FALSE;
      if (client->dropped_slow + client->dropped_large > 0)
        client_report_dropped (client);
    }

  pi_server_client_fill (client);
}

void
pi_server_client_ping (PiServerClient *client,
                       GBytes         *event)
{
  /* A full queue already tells the socket something is wrong. */
  if (!pi_event_writer_is_ending (client->writer) && client_has_room (client, 0))
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

  g_message ("Stream closed: %s, bindings %s, after %.1f s, %" G_GUINT64_FORMAT " events sent, %"
             G_GUINT64_FORMAT " dropped (%u open)",
             client->peer, client->bindings_text, seconds, client->n_sent,
             client->n_dropped_total, self->clients.length);

  pi_event_writer_free (client->writer);

  g_free (client->peer);
  g_free (client->bindings_text);
  g_free (client);
}

static void
client_finished_cb (gpointer user_data)
{
  pi_server_client_finish (user_data);
}

/* libsoup does not read while it writes a response, so a client that hangs
 * up would only be noticed on a later write: its socket is watched
 * instead, and its subscription goes at once. Ending a stream here frees
 * nothing at once (the close comes on a later turn). */
static void
client_hangup_cb (gpointer data,
                  PiHangup hangup)
{
  PiServerClient *client = data;

  if (hangup == PI_HANGUP_DATA)
    return;  /* pipelined bytes or TLS records: stop watching */

  g_debug ("%s hung up", client->peer);

  /* EOF may be only a half-close (shutdown (SHUT_WR)): such a client still
   * reads, and an accepted stream never ends without an `error` event
   * (docs/PROTOCOL.md 3). A reset peer is gone: nothing would read it. */
  pi_server_client_end (client, hangup == PI_HANGUP_HALF_CLOSED ? "The client closed its side of the connection"
                                                                 : NULL);
}

static const PiEventWriterCallbacks writer_callbacks = {
  .took = client_took_cb,
  .hangup = client_hangup_cb,
  .finished = client_finished_cb,
};

/* After the last client: the watch of the writers' sockets goes. */
void
pi_server_client_unwatch_all (PiServer *self)
{
  g_clear_pointer (&self->hangup_watch, pi_hangup_watch_free);
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

  client->writer = pi_event_writer_new (self, msg, client->peer, &writer_callbacks, client);

  g_message ("Stream opened: %s, bindings %s (%u open)",
             client->peer, client->bindings_text, self->clients.length);

  socket = pi_http_front_get_message_socket (self->front, msg);
  if (socket != NULL)
    {
      pi_event_writer_watch (client->writer, socket);
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
