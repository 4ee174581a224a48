/* pi-event-stream-worker.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-event-stream"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "pi-event-stream-private.h"
#include "pi-sse-parser.h"

/*
 * The ingest thread of a PiEventStream: its own GMainContext and
 * SoupSession send the request, read the body in 64 KiB chunks, run the
 * SSE parser and decode messages. It never touches the GObject: it queues
 * records (state changes, message batches, pings, ...) under a mutex and
 * sets the ready time of a GSource attached to the caller's context, so
 * the caller sees everything in order, message batches at most ~30 times
 * a second and everything else at once.
 *
 * Failure policy: a connection that never reached `ready` fails on
 * refused / unresolved / 5xx, and is retried at most MAX_UNBOUND_RETRIES
 * times when it ends before `ready`; once the stream has been live, losses
 * are retried with exponential backoff and jitter, and a gap marker goes
 * into the message list. TLS failures, 4xx, a wrong content type, an
 * oversize event and a server `error` event always fail.
 */

#define READ_CHUNK_SIZE        (64 * 1024)
#define ERROR_BODY_LIMIT       (64 * 1024)
#define BATCH_INTERVAL_USEC    (G_USEC_PER_SEC / 30)
#define DEFAULT_RETRY_MSEC     1000
#define MAX_RETRY_MSEC         60000
#define MAX_UNBOUND_RETRIES    3

/* Messages decoded but not yet taken by the caller. Past this the worker
 * stops reading (TCP pushes back, the server reports what it drops), so a
 * blocked main loop cannot make memory grow without bound. */
#define MAX_QUEUED_MESSAGES    100000

typedef enum
{
  FAILURE_RETRY,       /* worth another attempt */
  FAILURE_PERMANENT,   /* retrying cannot help: fail */
  FAILURE_INITIAL,     /* fail if never live, retry once the stream has been live */
} FailureKind;

struct _PiStreamWorker
{
  /* Fixed before the thread starts. */
  GUri          *uri;
  char          *host;
  guint          ping_timeout;
  gboolean       raw;
  GMainContext  *main_context;
  GMainContext  *context;
  GThread       *thread;

  /* Shared, under mutex. */
  GMutex         mutex;
  GQueue         records;
  GSource       *dispatch_source;
  gint64         scheduled;
  gint64         last_dispatch;
  gboolean       stopping;
  guint64        n_bytes;
  guint          n_queued;
  gboolean       read_paused;

  /* Worker thread only. */
  GMainLoop     *loop;
  SoupSession   *session;
  PiSseParser   *parser;
  SoupMessage   *message;
  GInputStream  *body;
  GCancellable  *cancellable;
  GSource       *watchdog;
  GSource       *retry_source;
  guint8        *buffer;
  GByteArray    *error_body;
  guint          pending_ops;
  gboolean       quitting;
  gboolean       finished;
  gboolean       stalled;
  gboolean       live;
  gboolean       ever_live;
  gboolean       server_error;
  gboolean       server_error_after_ready;
  char          *server_error_text;
  gboolean       urgent;
  guint          unbound_failures;
  guint          backoff_step;
  gint64         retry_msec;
  gint64         last_activity;
  gint64         now;
  guint64        sequence;
  GPtrArray     *batch;
  GPtrArray     *raw_batch;
};

static void worker_start_attempt (PiStreamWorker *w);
static void worker_start_read    (PiStreamWorker *w);

static char *
host_label_for_uri (GUri *uri)
{
  const char *host = g_uri_get_host (uri);
  int port = g_uri_get_port (uri);
  const char *scheme = g_uri_get_scheme (uri);
  gboolean default_port;

  default_port = port < 0 ||
                 (port == 80 && g_ascii_strcasecmp (scheme, "http") == 0) ||
                 (port == 443 && g_ascii_strcasecmp (scheme, "https") == 0);

  if (default_port)
    return g_strdup (host);
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%d", host, port);
  return g_strdup_printf ("%s:%d", host, port);
}

/* --- Records: worker -> main --------------------------------------------- */

void
pi_stream_record_free (PiStreamRecord *record)
{
  g_free (record->text);
  g_clear_pointer (&record->batch, g_ptr_array_unref);
  g_free (record);
}

static PiStreamRecord *
record_new (PiStreamRecordKind kind)
{
  PiStreamRecord *record = g_new0 (PiStreamRecord, 1);

  record->kind = kind;
  return record;
}

/* Called on the worker thread with the mutex held. */
static void
worker_schedule_locked (PiStreamWorker *w,
                        gboolean        urgent)
{
  gint64 when;

  if (urgent)
    when = 0;
  else
    when = MAX (g_get_monotonic_time (), w->last_dispatch + BATCH_INTERVAL_USEC);

  if (w->scheduled < 0 || when < w->scheduled)
    {
      w->scheduled = when;
      g_source_set_ready_time (w->dispatch_source, when);
    }
}

/* Queues @record (transfer full) for the main context. */
static void
worker_post (PiStreamWorker *w,
             PiStreamRecord *record)
{
  g_mutex_lock (&w->mutex);
  if (w->stopping)
    {
      g_mutex_unlock (&w->mutex);
      pi_stream_record_free (record);
      return;
    }
  g_queue_push_tail (&w->records, record);
  worker_schedule_locked (w, TRUE);
  g_mutex_unlock (&w->mutex);
}

/* Moves the messages decoded so far into the queue, joining the batch
 * still waiting there if the main side has not taken it yet. */
static void
worker_flush_batches (PiStreamWorker *w,
                      gboolean        schedule)
{
  gboolean have_messages = w->batch->len > 0;
  gboolean have_raw = w->raw_batch->len > 0;

  g_mutex_lock (&w->mutex);
  w->n_queued += w->batch->len + w->raw_batch->len;

  if (!w->stopping)
    {
      if (have_messages)
        {
          PiStreamRecord *tail = g_queue_peek_tail (&w->records);

          if (tail != NULL && tail->kind == PI_STREAM_RECORD_MESSAGES)
            g_ptr_array_extend_and_steal (tail->batch, g_steal_pointer (&w->batch));
          else
            {
              PiStreamRecord *record = record_new (PI_STREAM_RECORD_MESSAGES);

              record->batch = g_steal_pointer (&w->batch);
              g_queue_push_tail (&w->records, record);
            }
        }

      if (have_raw)
        {
          PiStreamRecord *tail = g_queue_peek_tail (&w->records);

          if (tail != NULL && tail->kind == PI_STREAM_RECORD_RAW)
            g_ptr_array_extend_and_steal (tail->batch, g_steal_pointer (&w->raw_batch));
          else
            {
              PiStreamRecord *record = record_new (PI_STREAM_RECORD_RAW);

              record->batch = g_steal_pointer (&w->raw_batch);
              g_queue_push_tail (&w->records, record);
            }
        }

      if (schedule && !g_queue_is_empty (&w->records))
        worker_schedule_locked (w, w->urgent);
    }

  g_mutex_unlock (&w->mutex);

  if (w->batch == NULL)
    w->batch = g_ptr_array_new_with_free_func (g_object_unref);
  else
    g_ptr_array_set_size (w->batch, 0);

  if (w->raw_batch == NULL)
    w->raw_batch = g_ptr_array_new_with_free_func ((GDestroyNotify) pi_raw_event_free);
  else
    g_ptr_array_set_size (w->raw_batch, 0);
}

static void
worker_post_state (PiStreamWorker *w,
                   PiStreamState   state,
                   const char     *reason,
                   guint           retry_msec)
{
  PiStreamRecord *record = record_new (PI_STREAM_RECORD_STATE);

  record->state = state;
  record->text = g_strdup (reason);
  record->retry_msec = retry_msec;
  worker_flush_batches (w, FALSE);
  worker_post (w, record);
}

/* --- Worker: attempt life cycle ------------------------------------------- */

static void
worker_maybe_quit (PiStreamWorker *w)
{
  if ((w->finished || w->quitting) && w->pending_ops == 0)
    g_main_loop_quit (w->loop);
}

/* Ends the current attempt: no operation of it may be in flight. */
static void
worker_end_attempt (PiStreamWorker *w)
{
  if (w->watchdog != NULL)
    {
      g_source_destroy (w->watchdog);
      g_clear_pointer (&w->watchdog, g_source_unref);
    }

  if (w->cancellable != NULL)
    g_cancellable_cancel (w->cancellable);

  /* Cancelling the send cancellable aborts the message's I/O and drops the
   * connection, so closing the body cannot block on an endless stream. */
  if (w->body != NULL)
    g_input_stream_close (w->body, NULL, NULL);

  g_clear_object (&w->body);
  g_clear_object (&w->message);
  g_clear_object (&w->cancellable);
  g_clear_pointer (&w->error_body, g_byte_array_unref);
  w->stalled = FALSE;
}

static void
worker_fail (PiStreamWorker *w,
             const char     *reason)
{
  g_debug ("Failed: %s", reason);

  worker_end_attempt (w);
  worker_post_state (w, PI_STREAM_STATE_FAILED, reason, 0);
  w->finished = TRUE;
  worker_maybe_quit (w);
}

static gboolean
worker_retry_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  g_clear_pointer (&w->retry_source, g_source_unref);
  worker_post (w, record_new (PI_STREAM_RECORD_RECONNECT));
  worker_start_attempt (w);

  return G_SOURCE_REMOVE;
}

static guint
worker_next_delay (PiStreamWorker *w)
{
  gint64 base = w->retry_msec >= 0 ? w->retry_msec : DEFAULT_RETRY_MSEC;
  gint64 delay = base;
  guint i;

  for (i = 0; i < w->backoff_step && delay < MAX_RETRY_MSEC; i++)
    delay *= 2;
  w->backoff_step++;

  /* Jitter spreads the clients of a restarted server over time. */
  delay += g_random_int_range (0, (gint32) MAX (delay / 4, 1));

  return (guint) CLAMP (delay, 0, MAX_RETRY_MSEC);
}

/* The attempt ended in a way that may get better: schedule another one,
 * or fail when a stream that never got to `ready` keeps ending. */
static void
worker_lost (PiStreamWorker *w,
             const char     *reason,
             FailureKind     kind)
{
  gboolean was_live = w->live;
  guint delay;

  worker_end_attempt (w);

  if (kind == FAILURE_PERMANENT || (kind == FAILURE_INITIAL && !w->ever_live))
    {
      worker_fail (w, reason);
      return;
    }

  if (was_live)
    {
      /* Whatever the server sent while we were away is lost: say so. */
      g_autoptr(GString) gap_reason = g_string_new (NULL);

      g_string_printf (gap_reason, _("Connection lost (%s); messages may be missing here"), reason);
      g_ptr_array_add (w->batch, pi_message_new_gap (++w->sequence, g_get_real_time (), gap_reason->str));
      w->unbound_failures = 0;
    }
  else if (!w->ever_live && ++w->unbound_failures > MAX_UNBOUND_RETRIES)
    {
      worker_fail (w, reason);
      return;
    }

  w->live = FALSE;
  delay = worker_next_delay (w);
  g_debug ("Reconnecting in %u ms: %s", delay, reason);

  worker_post_state (w, PI_STREAM_STATE_RECONNECTING, reason, delay);

  w->retry_source = g_timeout_source_new (delay);
  g_source_set_callback (w->retry_source, worker_retry_cb, w, NULL);
  g_source_attach (w->retry_source, w->context);
}

static gboolean
worker_watchdog_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;
  gint64 limit = (gint64) w->ping_timeout * G_USEC_PER_SEC;
  gint64 idle = g_get_monotonic_time () - w->last_activity;

  g_clear_pointer (&w->watchdog, g_source_unref);

  /* While reading is paused for the caller, silence is ours, not the server's. */
  g_mutex_lock (&w->mutex);
  if (w->read_paused)
    {
      w->last_activity = g_get_monotonic_time ();
      idle = 0;
    }
  g_mutex_unlock (&w->mutex);

  if (idle >= limit)
    {
      /* The pending send or read completes with CANCELLED and reports it. */
      w->stalled = TRUE;
      g_cancellable_cancel (w->cancellable);
      return G_SOURCE_REMOVE;
    }

  w->watchdog = g_timeout_source_new ((guint) ((limit - idle) / 1000 + 1));
  g_source_set_callback (w->watchdog, worker_watchdog_cb, w, NULL);
  g_source_attach (w->watchdog, w->context);

  return G_SOURCE_REMOVE;
}

static char *
describe_stall (PiStreamWorker *w)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "No data from %s for %u second",
                                       "No data from %s for %u seconds",
                                       w->ping_timeout),
                          w->host, w->ping_timeout);
}

/* --- Worker: events -------------------------------------------------------- */

static char *
decode_server_error (const char *data,
                     gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (json_parser_load_from_data (parser, data, len, NULL) &&
      (root = json_parser_get_root (parser)) != NULL)
    {
      if (JSON_NODE_HOLDS_VALUE (root) && json_node_get_value_type (root) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (root));

      if (JSON_NODE_HOLDS_OBJECT (root))
        {
          JsonObject *object = json_node_get_object (root);
          const char *message = json_object_get_string_member_with_default (object, "message", NULL);

          if (message != NULL)
            return g_strdup (message);
        }
    }

  return g_strndup (data, len);
}

static void
worker_on_event (const PiSseEvent *event,
                 gpointer          user_data)
{
  PiStreamWorker *w = user_data;
  const char *type = event->event;

  /* Once the server said `error`, anything after it is not acted on. */
  if (w->server_error)
    return;

  if (w->raw)
    g_ptr_array_add (w->raw_batch,
                     pi_raw_event_new (type, event->id, event->data, event->data_len));

  if (strcmp (type, "message") == 0)
    {
      if (!w->raw)
        g_ptr_array_add (w->batch,
                         pi_message_new_from_data (event->data, event->data_len,
                                                   ++w->sequence, w->now));
    }
  else if (strcmp (type, "ready") == 0)
    {
      gboolean was_live = w->live;

      w->live = TRUE;
      w->ever_live = TRUE;
      w->unbound_failures = 0;
      w->backoff_step = 0;
      w->urgent = TRUE;
      if (!was_live)
        worker_post_state (w, PI_STREAM_STATE_LIVE, NULL, 0);
      worker_flush_batches (w, FALSE);
      worker_post (w, record_new (PI_STREAM_RECORD_READY));
    }
  else if (strcmp (type, "ping") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      PiStreamRecord *record = record_new (PI_STREAM_RECORD_PING);
      JsonNode *root;

      if (json_parser_load_from_data (parser, event->data, event->data_len, NULL) &&
          (root = json_parser_get_root (parser)) != NULL &&
          JSON_NODE_HOLDS_OBJECT (root))
        record->text = g_strdup (json_object_get_string_member_with_default (json_node_get_object (root),
                                                                             "time", NULL));
      if (record->text == NULL)
        record->text = g_strndup (event->data, event->data_len);

      w->urgent = TRUE;
      worker_flush_batches (w, FALSE);
      worker_post (w, record);
    }
  else if (strcmp (type, "error") == 0)
    {
      PiStreamRecord *record = record_new (PI_STREAM_RECORD_SERVER_ERROR);

      record->text = decode_server_error (event->data, event->data_len);
      w->server_error = TRUE;
      /* Before `ready` an error is about the bindings: bad input, final.
       * After it, the stream was good and the server or its broker failed
       * (broker lost, server shutting down): that passes, so reconnect. */
      w->server_error_after_ready = w->live;
      g_free (w->server_error_text);
      w->server_error_text = g_strdup (record->text);
      w->urgent = TRUE;
      worker_flush_batches (w, FALSE);
      worker_post (w, record);
    }
  else if (strcmp (type, "dropped") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;
      gint64 count = 0;

      if (json_parser_load_from_data (parser, event->data, event->data_len, NULL) &&
          (root = json_parser_get_root (parser)) != NULL &&
          JSON_NODE_HOLDS_OBJECT (root))
        count = json_object_get_int_member_with_default (json_node_get_object (root), "count", 0);

      if (count > 0)
        {
          PiStreamRecord *record = record_new (PI_STREAM_RECORD_DROPPED);

          if (!w->raw)
            {
              g_autofree char *reason =
                /* Plain %lld, not G_GINT64_FORMAT: xgettext cannot see through macros. */
                g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "The server dropped %lld message: they were not read fast enough",
                                              "The server dropped %lld messages: they were not read fast enough",
                                              count),
                                 (long long) count);

              g_ptr_array_add (w->batch, pi_message_new_gap (++w->sequence, w->now, reason));
            }

          record->count = (guint64) count;
          w->urgent = TRUE;
          worker_flush_batches (w, FALSE);
          worker_post (w, record);
        }
    }
}

/* --- Worker: reading ---------------------------------------------------------- */

static void
worker_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  PiStreamWorker *w = user_data;
  g_autoptr(GError) error = NULL;
  gboolean paused;
  gssize n;

  w->pending_ops--;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (w->quitting || w->finished)
    {
      worker_maybe_quit (w);
      return;
    }

  if (n < 0)
    {
      g_autofree char *reason = NULL;

      if (w->stalled)
        reason = describe_stall (w);
      else
        reason = g_strdup_printf (_("The connection to %s was lost: %s"), w->host, error->message);
      worker_lost (w, reason, FAILURE_RETRY);
      return;
    }

  if (n == 0)
    {
      /* An event without its closing blank line is incomplete: dropped. */
      pi_sse_parser_finish (w->parser);
      worker_flush_batches (w, TRUE);

      if (w->live)
        {
          g_autofree char *reason = g_strdup_printf (_("%s closed the stream"), w->host);

          worker_lost (w, reason, FAILURE_RETRY);
        }
      else
        worker_lost (w, _("The server closed the stream before binding; does the exchange exist?"),
                     FAILURE_RETRY);
      return;
    }

  w->last_activity = g_get_monotonic_time ();
  w->now = g_get_real_time ();
  w->urgent = FALSE;

  g_mutex_lock (&w->mutex);
  w->n_bytes += n;
  g_mutex_unlock (&w->mutex);

  if (!pi_sse_parser_push (w->parser, (const char *) w->buffer, n, &error))
    {
      g_autofree char *reason = NULL;

      worker_flush_batches (w, TRUE);
      if (g_error_matches (error, PI_SSE_ERROR, PI_SSE_ERROR_EVENT_TOO_LARGE))
        reason = g_strdup_printf (_("%s sent an event larger than %u MB; the connection was closed"),
                                  w->host, (guint) (PI_SSE_PARSER_DEFAULT_MAX_EVENT_SIZE / (1024 * 1024)));
      else
        reason = g_strdup_printf (_("Could not read the stream from %s: %s"), w->host, error->message);
      worker_fail (w, reason);
      return;
    }

  {
    gint64 retry = pi_sse_parser_get_retry (w->parser);

    if (retry >= 0)
      w->retry_msec = retry;
  }

  worker_flush_batches (w, TRUE);

  if (w->server_error && w->server_error_after_ready)
    {
      g_autofree char *reason = g_steal_pointer (&w->server_error_text);

      worker_lost (w, reason, FAILURE_RETRY);
      return;
    }

  if (w->server_error)
    {
      /* The server's own words were posted; the stream is over for good. */
      PiStreamRecord *record;

      worker_end_attempt (w);
      record = record_new (PI_STREAM_RECORD_STATE);
      record->state = PI_STREAM_STATE_FAILED;
      worker_post (w, record);
      w->finished = TRUE;
      worker_maybe_quit (w);
      return;
    }

  g_mutex_lock (&w->mutex);
  paused = w->read_paused = w->n_queued >= MAX_QUEUED_MESSAGES;
  g_mutex_unlock (&w->mutex);

  if (paused)
    {
      g_debug ("Caller is behind; reading paused");
      return;
    }

  worker_start_read (w);
}

/* The caller took the queue: read again (on the worker thread). */
static gboolean
worker_resume_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  if (w->quitting || w->finished || w->body == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&w->mutex);
  w->read_paused = FALSE;
  g_mutex_unlock (&w->mutex);

  w->last_activity = g_get_monotonic_time ();
  worker_start_read (w);

  return G_SOURCE_REMOVE;
}

static void
worker_start_read (PiStreamWorker *w)
{
  w->pending_ops++;
  g_input_stream_read_async (w->body, w->buffer, READ_CHUNK_SIZE,
                             G_PRIORITY_DEFAULT, w->cancellable,
                             worker_read_cb, w);
}

/* --- Worker: HTTP errors -------------------------------------------------------- */

static void
worker_http_error (PiStreamWorker *w)
{
  guint status = soup_message_get_status (w->message);
  const char *phrase = soup_message_get_reason_phrase (w->message);
  g_autofree char *message = NULL;
  g_autofree char *reason = NULL;

  if (phrase == NULL || *phrase == '\0')
    phrase = soup_status_get_phrase (status);

  if (w->error_body != NULL && w->error_body->len > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;

      if (json_parser_load_from_data (parser, (const char *) w->error_body->data,
                                      w->error_body->len, NULL) &&
          (root = json_parser_get_root (parser)) != NULL &&
          JSON_NODE_HOLDS_OBJECT (root))
        message = g_strdup (json_object_get_string_member_with_default (json_node_get_object (root),
                                                                        "message", NULL));
    }

  if (message != NULL)
    reason = g_strdup_printf (_("%s answered %u %s: %s"), w->host, status, phrase ? phrase : "", message);
  else
    reason = g_strdup_printf (_("%s answered %u %s"), w->host, status, phrase ? phrase : "");

  /* A server error may pass (a proxy while the server restarts); a client
   * error will not. */
  worker_lost (w, reason, SOUP_STATUS_IS_SERVER_ERROR (status) ? FAILURE_INITIAL : FAILURE_PERMANENT);
}

static void
worker_error_body_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  PiStreamWorker *w = user_data;
  gssize n;

  w->pending_ops--;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);

  if (w->quitting || w->finished)
    {
      worker_maybe_quit (w);
      return;
    }

  if (n > 0 && w->error_body->len < ERROR_BODY_LIMIT)
    {
      g_byte_array_append (w->error_body, w->buffer, n);
      w->pending_ops++;
      g_input_stream_read_async (w->body, w->buffer, READ_CHUNK_SIZE,
                                 G_PRIORITY_DEFAULT, w->cancellable,
                                 worker_error_body_cb, w);
      return;
    }

  worker_http_error (w);
}

/* --- Worker: sending ------------------------------------------------------------- */

static char *
describe_send_error (PiStreamWorker *w,
                     const GError   *error,
                     FailureKind    *kind)
{
  *kind = FAILURE_INITIAL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_strdup_printf (_("Could not connect to %s: connection refused"), w->host);

  if (error->domain == G_RESOLVER_ERROR)
    return g_strdup_printf (_("Could not find the server %s: the name does not resolve"), w->host);

  if (error->domain == G_TLS_ERROR)
    {
      *kind = FAILURE_PERMANENT;
      return g_strdup_printf (_("Could not make a secure connection to %s: %s"), w->host, error->message);
    }

  return g_strdup_printf (_("Could not connect to %s: %s"), w->host, error->message);
}

static void
worker_send_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  PiStreamWorker *w = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = NULL;
  SoupMessageHeaders *headers;
  const char *content_type;
  guint status;

  w->pending_ops--;
  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);

  if (w->quitting || w->finished)
    {
      worker_maybe_quit (w);
      return;
    }

  if (stream == NULL)
    {
      g_autofree char *reason = NULL;
      FailureKind kind;

      if (w->stalled)
        {
          reason = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                 "No answer from %s for %u second",
                                                 "No answer from %s for %u seconds",
                                                 w->ping_timeout),
                                    w->host, w->ping_timeout);
          kind = FAILURE_RETRY;
        }
      else
        reason = describe_send_error (w, error, &kind);

      worker_lost (w, reason, kind);
      return;
    }

  w->body = g_steal_pointer (&stream);
  w->last_activity = g_get_monotonic_time ();
  status = soup_message_get_status (w->message);

  if (status == SOUP_STATUS_NO_CONTENT)
    {
      /* The server refuses resumed streams; we never send Last-Event-ID,
       * so open a fresh one after the usual delay. */
      g_autofree char *reason =
        g_strdup_printf (_("%s refused to resume the stream (204 No Content); opening a fresh one"), w->host);

      worker_lost (w, reason, FAILURE_RETRY);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      w->error_body = g_byte_array_new ();
      w->pending_ops++;
      g_input_stream_read_async (w->body, w->buffer, READ_CHUNK_SIZE,
                                 G_PRIORITY_DEFAULT, w->cancellable,
                                 worker_error_body_cb, w);
      return;
    }

  headers = soup_message_get_response_headers (w->message);
  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type == NULL || g_ascii_strcasecmp (content_type, "text/event-stream") != 0)
    {
      g_autofree char *reason = NULL;

      if (content_type != NULL)
        reason = g_strdup_printf (_("%s answered with %s, not an event stream (text/event-stream)"),
                                  w->host, content_type);
      else
        reason = g_strdup_printf (_("%s answered without a content type, not an event stream (text/event-stream)"),
                                  w->host);
      worker_lost (w, reason, FAILURE_PERMANENT);
      return;
    }

  if (w->raw)
    {
      /* Any SSE server works in raw mode: live as soon as it answers. */
      w->live = TRUE;
      w->ever_live = TRUE;
      w->unbound_failures = 0;
      w->backoff_step = 0;
      worker_post_state (w, PI_STREAM_STATE_LIVE, NULL, 0);
    }
  else
    worker_post_state (w, PI_STREAM_STATE_WAITING_FOR_READY, NULL, 0);

  worker_start_read (w);
}

static void
worker_start_attempt (PiStreamWorker *w)
{
  SoupMessageHeaders *headers;

  g_assert (w->message == NULL);

  w->cancellable = g_cancellable_new ();
  w->message = soup_message_new_from_uri (SOUP_METHOD_GET, w->uri);
  headers = soup_message_get_request_headers (w->message);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");

  pi_sse_parser_reset (w->parser);
  w->live = FALSE;
  w->stalled = FALSE;
  w->server_error = FALSE;

  worker_post_state (w, PI_STREAM_STATE_CONNECTING, NULL, 0);

  /* The watchdog covers connecting too: with the session timeout off, a
   * black-holed connection would otherwise hang for ever. */
  w->last_activity = g_get_monotonic_time ();
  w->watchdog = g_timeout_source_new_seconds (w->ping_timeout);
  g_source_set_callback (w->watchdog, worker_watchdog_cb, w, NULL);
  g_source_attach (w->watchdog, w->context);

  w->pending_ops++;
  soup_session_send_async (w->session, w->message, G_PRIORITY_DEFAULT,
                           w->cancellable, worker_send_cb, w);
}

static gboolean
worker_stop_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  w->quitting = TRUE;
  if (w->retry_source != NULL)
    {
      g_source_destroy (w->retry_source);
      g_clear_pointer (&w->retry_source, g_source_unref);
    }
  if (w->watchdog != NULL)
    {
      g_source_destroy (w->watchdog);
      g_clear_pointer (&w->watchdog, g_source_unref);
    }
  if (w->cancellable != NULL)
    g_cancellable_cancel (w->cancellable);
  worker_maybe_quit (w);

  return G_SOURCE_REMOVE;
}

static gpointer
worker_thread (gpointer data)
{
  PiStreamWorker *w = data;

  g_main_context_push_thread_default (w->context);

  /* timeout 0: a quiet stream is normal; stalls are the watchdog's job.
   * The proxy resolver stays the default one: system settings apply. */
  w->session = soup_session_new_with_options ("timeout", 0,
                                              "idle-timeout", 0,
                                              "max-conns", 64,
                                              "max-conns-per-host", 16,
                                              "user-agent", "pulse-inspector/" PACKAGE_VERSION " ",
                                              NULL);
  w->loop = g_main_loop_new (w->context, FALSE);

  worker_start_attempt (w);
  g_main_loop_run (w->loop);

  worker_end_attempt (w);
  if (w->retry_source != NULL)
    {
      g_source_destroy (w->retry_source);
      g_clear_pointer (&w->retry_source, g_source_unref);
    }
  soup_session_abort (w->session);
  g_clear_object (&w->session);

  /* Let libsoup's idle cleanups run before the context goes away. */
  while (g_main_context_iteration (w->context, FALSE))
    ;

  g_clear_pointer (&w->loop, g_main_loop_unref);
  g_main_context_pop_thread_default (w->context);

  return NULL;
}
static void
worker_free (PiStreamWorker *w)
{
  g_clear_pointer (&w->uri, g_uri_unref);
  g_free (w->host);
  g_free (w->server_error_text);
  g_queue_clear_full (&w->records, (GDestroyNotify) pi_stream_record_free);
  g_clear_pointer (&w->dispatch_source, g_source_unref);
  g_clear_pointer (&w->parser, pi_sse_parser_free);
  g_clear_pointer (&w->batch, g_ptr_array_unref);
  g_clear_pointer (&w->raw_batch, g_ptr_array_unref);
  g_free (w->buffer);
  g_mutex_clear (&w->mutex);
  g_clear_pointer (&w->context, g_main_context_unref);
  g_clear_pointer (&w->main_context, g_main_context_unref);
  g_free (w);
}

static gboolean
dispatch_source_dispatch (GSource     *source,
                          GSourceFunc  callback,
                          gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs dispatch_source_funcs = {
  .dispatch = dispatch_source_dispatch,
};

/* Called on the caller's thread from then on. */
PiStreamWorker *
pi_stream_worker_start (const char  *connect_url,
                        guint        ping_timeout,
                        gboolean     raw,
                        guint64      first_sequence,
                        GSourceFunc  dispatch_func,
                        gpointer     dispatch_data)
{
  PiStreamWorker *w = g_new0 (PiStreamWorker, 1);

  w->uri = g_uri_parse (connect_url, SOUP_HTTP_URI_FLAGS, NULL);
  g_assert (w->uri != NULL);
  w->host = host_label_for_uri (w->uri);
  w->ping_timeout = ping_timeout;
  w->raw = raw;
  w->main_context = g_main_context_ref_thread_default ();
  w->context = g_main_context_new ();
  g_mutex_init (&w->mutex);
  g_queue_init (&w->records);
  w->scheduled = -1;
  w->last_dispatch = 0;
  w->retry_msec = -1;
  w->sequence = first_sequence - 1;
  w->buffer = g_malloc (READ_CHUNK_SIZE);
  w->batch = g_ptr_array_new_with_free_func (g_object_unref);
  w->raw_batch = g_ptr_array_new_with_free_func ((GDestroyNotify) pi_raw_event_free);
  w->parser = pi_sse_parser_new (PI_SSE_PARSER_DEFAULT_MAX_EVENT_SIZE, worker_on_event, w);

  w->dispatch_source = g_source_new (&dispatch_source_funcs, sizeof (GSource));
  g_source_set_callback (w->dispatch_source, dispatch_func, dispatch_data, NULL);
  g_source_set_priority (w->dispatch_source, G_PRIORITY_DEFAULT);
  g_source_set_ready_time (w->dispatch_source, -1);
  g_source_set_static_name (w->dispatch_source, "[pi-event-stream] dispatch");
  g_source_attach (w->dispatch_source, w->main_context);

  w->thread = g_thread_new ("pi-event-stream", worker_thread, w);

  return w;
}

const char *
pi_stream_worker_get_host (PiStreamWorker *w)
{
  return w->host;
}

GMainContext *
pi_stream_worker_get_main_context (PiStreamWorker *w)
{
  return w->main_context;
}

/* From the dispatch function: takes every queued record, in order. */
void
pi_stream_worker_take_records (PiStreamWorker *w,
                               GQueue         *records,
                               guint64        *n_bytes)
{
  g_mutex_lock (&w->mutex);
  *records = w->records;
  g_queue_init (&w->records);
  w->scheduled = -1;
  g_source_set_ready_time (w->dispatch_source, -1);
  w->last_dispatch = g_get_monotonic_time ();
  *n_bytes = w->n_bytes;
  w->n_queued = 0;
  if (w->read_paused && !w->stopping)
    {
      GSource *resume = g_idle_source_new ();

      /* Cleared here so that a second take does not resume twice. */
      w->read_paused = FALSE;
      g_source_set_callback (resume, worker_resume_cb, w, NULL);
      g_source_attach (resume, w->context);
      g_source_unref (resume);
    }
  g_mutex_unlock (&w->mutex);
}

/* Stops the thread, joins it and frees @w. Safe from a handler inside the
 * dispatch function: GLib keeps the dispatching source alive, and the
 * dispatch function has taken the records out already. */
void
pi_stream_worker_stop (PiStreamWorker *w)
{
  GSource *stop;

  g_mutex_lock (&w->mutex);
  w->stopping = TRUE;
  g_mutex_unlock (&w->mutex);

  g_source_destroy (w->dispatch_source);

  stop = g_idle_source_new ();
  g_source_set_priority (stop, G_PRIORITY_HIGH);
  g_source_set_callback (stop, worker_stop_cb, w, NULL);
  g_source_attach (stop, w->context);
  g_source_unref (stop);

  g_thread_join (w->thread);
  w->thread = NULL;

  worker_free (w);
}
