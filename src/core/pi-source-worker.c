/* pi-source-worker.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>

#include "pi-source-memory.h"
#include "pi-source-worker-private.h"

/*
 * The ingest thread of a PiSource: its own GMainContext and
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
 * into the message list. 503 and 429 ("not now", e.g. a server whose
 * broker is away) are retried always, no sooner than their Retry-After.
 * TLS failures, other 4xx, a wrong content type, an oversize event and a
 * server `error` event before `ready` (bad bindings) always fail.
 *
 * This file holds the thread, the attempt life cycle and the API of
 * pi-source-private.h; pi-source-records.c queues records,
 * pi-source-read.c reads and parses, pi-source-http.c checks
 * the answer to the request.
 */


static char *
host_label_for_uri (GUri *uri)
{
  const char *host = g_uri_get_host (uri);
  int port = g_uri_get_port (uri);
  const char *scheme = g_uri_get_scheme (uri);
  gboolean default_port;

  default_port = port < 0 ||
                 (port == 80 && g_ascii_strcasecmp (scheme, "http") == 0) ||
                 (port == 443 && g_ascii_strcasecmp (scheme, "https") == 0) ||
                 (port == 5672 && g_ascii_strcasecmp (scheme, "amqp") == 0) ||
                 (port == 5671 && g_ascii_strcasecmp (scheme, "amqps") == 0);

  if (default_port)
    return g_strdup (host);
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%d", host, port);
  return g_strdup_printf ("%s:%d", host, port);
}

/* --- Worker: attempt life cycle ------------------------------------------- */

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

void
pi_stream_worker_maybe_quit (PiStreamWorker *w)
{
  if ((w->finished || w->quitting) && w->pending_ops == 0)
    g_main_loop_quit (w->loop);
}

/* Ends the current attempt: no operation of it may be in flight. */
void
pi_stream_worker_end_attempt (PiStreamWorker *w)
{
  clear_source (&w->watchdog);

  if (w->cancellable != NULL)
    g_cancellable_cancel (w->cancellable);

  pi_stream_worker_ws_end_attempt (w);
  pi_stream_worker_amqp_end_attempt (w);

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

void
pi_stream_worker_fail (PiStreamWorker *w,
                       const char     *reason)
{
  g_debug ("Failed: %s", reason);

  pi_stream_worker_end_attempt (w);
  pi_stream_worker_add_lost_gap (w);
  pi_stream_worker_post_state (w, PI_STREAM_STATE_FAILED, reason, 0);
  w->finished = TRUE;
  pi_stream_worker_maybe_quit (w);
}

static gboolean
worker_retry_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  g_clear_pointer (&w->retry_source, g_source_unref);
  pi_stream_worker_post (w, pi_stream_record_new (PI_STREAM_RECORD_RECONNECT));
  pi_stream_worker_start_attempt (w);

  return G_SOURCE_REMOVE;
}

/* Whether the server has served this stream, or the one it replaced (the
 * same server with other bindings, see #PiSourcePlan.served_before): it is
 * known to be there, so a refused connection means it is away for now.
 * (Not that it serves these bindings: see MAX_UNBOUND_RETRIES.) */
static gboolean
worker_server_seen (PiStreamWorker *w)
{
  return w->ever_live || w->plan->served_before;
}

static guint
worker_next_delay (PiStreamWorker *w)
{
  gint64 base = w->retry_msec >= 0 ? w->retry_msec : DEFAULT_RETRY_MSEC;
  gint64 cap = MAX_RETRY_MSEC;
  gint64 limit = MAX_RETRY_MSEC;
  gint64 delay = base;
  guint i;

  /* Once live, someone is watching the traffic: a server back after a
   * restart is found within MAX_LIVE_RETRY_MSEC (plus jitter), not a minute
   * later. A longer `retry:` the server itself asked for still holds. */
  if (worker_server_seen (w))
    {
      cap = MAX (MAX_LIVE_RETRY_MSEC, MIN (base, MAX_RETRY_MSEC));
      if (cap < MAX_RETRY_MSEC)
        limit = cap + cap / 4;
    }

  for (i = 0; i < w->backoff_step && delay < cap; i++)
    delay *= 2;
  w->backoff_step++;
  if (worker_server_seen (w))
    delay = MIN (delay, cap);

  /* Jitter spreads the clients of a restarted server over time. */
  delay += g_random_int_range (0, (gint32) MAX (delay / 4, 1));

  return (guint) CLAMP (delay, 0, limit);
}

/* The attempt ended in a way that may get better: schedule another one,
 * or fail when a stream that never got to `ready` keeps ending. */
void
pi_stream_worker_lost (PiStreamWorker *w,
                       const char     *reason,
                       FailureKind     kind)
{
  gboolean was_live = w->live;
  guint delay;

  /* Another attempt follows unless this one ends it all (as decided
   * below): only then does the server hold what it would resume. */
  w->retrying = kind != FAILURE_CREDENTIALS && kind != FAILURE_PERMANENT &&
                !(kind == FAILURE_INITIAL && !worker_server_seen (w)) &&
                (was_live || kind == FAILURE_UNAVAILABLE || kind == FAILURE_INITIAL || w->ever_live ||
                 w->unbound_failures + 1 <= MAX_UNBOUND_RETRIES);
  pi_stream_worker_end_attempt (w);
  w->retrying = FALSE;

  if (kind == FAILURE_CREDENTIALS)
    {
      PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_STATE);

      g_debug ("Failed for the credentials: %s", reason);
      pi_stream_worker_end_attempt (w);
      pi_stream_worker_add_lost_gap (w);
      record->state = PI_STREAM_STATE_FAILED;
      record->text = g_strdup (reason);
      record->credentials = TRUE;
      pi_stream_worker_flush_batches (w, FALSE);
      pi_stream_worker_post (w, record);
      w->finished = TRUE;
      pi_stream_worker_maybe_quit (w);
      return;
    }

  if (kind == FAILURE_PERMANENT || (kind == FAILURE_INITIAL && !worker_server_seen (w)))
    {
      pi_stream_worker_fail (w, reason);
      return;
    }

  if (was_live && w->resume_session != NULL)
    {
      /* The server holds the stream for a while: whether anything is
       * missing is known once the reconnect's `ready` says if it resumed. */
      if (w->lost_reason == NULL)
        {
          w->lost_reason = g_strdup (reason);
          w->lost_at = g_get_real_time ();
        }
      /* Until the reconnect says it went on, whatever the protocol. */
      w->resumed = FALSE;
      w->unbound_failures = 0;
    }
  else if (was_live)
    {
      /* Whatever the server sent while we were away is lost: say so. */
      g_autofree char *gap_reason =
        g_strdup_printf (_("Connection lost (%s); messages may be missing here"), reason);

      g_ptr_array_add (w->batch, pi_message_new_gap (++w->sequence, g_get_real_time (), gap_reason));
      w->unbound_failures = 0;
    }
  /* A server that answers and ends the stream before `ready` keeps ending
   * it (bindings it cannot serve): counted also for a stream that replaced
   * a live one, which only the server's absence does not fail. */
  else if (kind != FAILURE_UNAVAILABLE && kind != FAILURE_INITIAL && !w->ever_live &&
           ++w->unbound_failures > MAX_UNBOUND_RETRIES)
    {
      pi_stream_worker_fail (w, reason);
      return;
    }

  w->live = FALSE;
  delay = worker_next_delay (w);

  /* The server holds a resumable stream for a while (30 s by default): the
   * first attempt after losing one comes soon, within half a second, so
   * that little piles up; the backoff goes on from there. */
  if (was_live && w->lost_reason != NULL && kind != FAILURE_UNAVAILABLE)
    delay = MIN (delay, RESUME_RETRY_MSEC + (guint) g_random_int_range (0, RESUME_RETRY_MSEC));

  /* The server knows best when it may serve again; spread its clients a
   * little past that, as the backoff does. */
  if (kind == FAILURE_UNAVAILABLE && w->retry_after_msec > (gint64) delay)
    delay = (guint) (w->retry_after_msec +
                     g_random_int_range (0, (gint32) MAX (w->retry_after_msec / 4, 1)));
  g_debug ("Reconnecting in %u ms: %s", delay, reason);

  pi_stream_worker_post_state (w, PI_STREAM_STATE_RECONNECTING, reason, delay);

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

/* The stream is live: messages flow from now on. */
void
pi_stream_worker_went_live (PiStreamWorker *w)
{
  gboolean was_live = w->live;

  w->live = TRUE;
  w->ever_live = TRUE;
  w->unbound_failures = 0;
  w->backoff_step = 0;
  w->urgent = TRUE;
  /* Not resumed (another protocol this time, say): the loss was a gap. */
  if (!w->resumed)
    pi_stream_worker_add_lost_gap (w);
  if (w->plan->root_key != NULL)
    pi_source_memory_remember (w->plan->root_key, w->protocol);
  if (!was_live)
    {
      PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_STATE);

      record->state = PI_STREAM_STATE_LIVE;
      record->resumed = w->resumed;
      pi_stream_worker_flush_batches (w, FALSE);
      pi_stream_worker_post (w, record);
    }
}

/*
 * The server at a root URL has no endpoint for this attempt's protocol (it
 * answered the upgrade or the request with 404, say): the next one in the
 * order /subscription/raw, GraphQL, events v1 that it has not refused yet,
 * in the same attempt. A protocol remembered from an earlier run that is
 * refused now is forgotten first (the deployment changed), and the others
 * are tried as for an address never seen. Not once the stream was live:
 * the protocol worked, and a refusal then is the server's to explain.
 * Returns: whether another protocol is being tried
 */
gboolean
pi_stream_worker_try_next_protocol (PiStreamWorker *w)
{
  static const PiSourceProtocol order[] = {
    PI_SOURCE_PROTOCOL_WEBSOCKET,
    PI_SOURCE_PROTOCOL_GRAPHQL,
    PI_SOURCE_PROTOCOL_EVENTS_V1,
  };
  PiSourceProtocol next = PI_SOURCE_PROTOCOL_AUTO;

  if (!w->probing || w->ever_live)
    return FALSE;

  if (w->plan->recalled)
    {
      g_debug ("%s no longer serves %s, which worked before: forgetting it", w->host,
               pi_source_protocol_to_string (w->protocol));
      pi_source_memory_forget (w->plan->root_key);
      w->plan->recalled = FALSE;
    }

  w->refused_protocols |= 1u << w->protocol;
  for (guint i = 0; i < G_N_ELEMENTS (order) && next == PI_SOURCE_PROTOCOL_AUTO; i++)
    if ((w->refused_protocols & (1u << order[i])) == 0)
      next = order[i];
  if (next == PI_SOURCE_PROTOCOL_AUTO)
    return FALSE;

  g_debug ("%s refused %s; trying %s", w->host,
           pi_source_protocol_to_string (w->protocol), pi_source_protocol_to_string (next));
  pi_stream_worker_end_attempt (w);
  w->protocol = next;
  pi_stream_worker_start_attempt (w);
  return TRUE;
}

/* The gap of a loss whose stream was not resumed, at the time of the loss. */
void
pi_stream_worker_add_lost_gap (PiStreamWorker *w)
{
  g_autofree char *gap_reason = NULL;

  if (w->lost_reason == NULL)
    return;

  gap_reason = g_strdup_printf (_("Connection lost (%s); messages may be missing here"), w->lost_reason);
  g_ptr_array_add (w->batch, pi_message_new_gap (++w->sequence, w->lost_at, gap_reason));
  g_clear_pointer (&w->lost_reason, g_free);
}

/* The connect URL, asking the server to number the stream (`resume=1`) or
 * to go on where it was lost (`resume=SESSION:SEQ`): docs/PROTOCOL.md 7. */
static GUri *
worker_resume_uri (PiStreamWorker *w)
{
  const char *query = g_uri_get_query (w->uri);
  g_autofree char *value = NULL;
  g_autofree char *new_query = NULL;

  if (w->resume_session != NULL)
    value = g_strdup_printf ("%s:%" G_GUINT64_FORMAT, w->resume_session, w->resume_seq);
  else
    value = g_strdup ("1");

  new_query = g_strdup_printf ("%s%sresume=%s", query ? query : "", query && *query ? "&" : "", value);
  return g_uri_build (g_uri_get_flags (w->uri), g_uri_get_scheme (w->uri), g_uri_get_userinfo (w->uri),
                      g_uri_get_host (w->uri), g_uri_get_port (w->uri), g_uri_get_path (w->uri),
                      new_query, g_uri_get_fragment (w->uri));
}

static void
worker_start_watchdog (PiStreamWorker *w)
{
  /* The watchdog covers connecting too: with the session timeout off, a
   * black-holed connection would otherwise hang for ever. */
  w->last_activity = g_get_monotonic_time ();
  w->watchdog = g_timeout_source_new_seconds (w->ping_timeout);
  g_source_set_callback (w->watchdog, worker_watchdog_cb, w, NULL);
  g_source_attach (w->watchdog, w->context);
}

void
pi_stream_worker_start_attempt (PiStreamWorker *w)
{
  PiStreamRecord *record;
  SoupMessageHeaders *headers;

  g_assert (w->message == NULL);

  w->cancellable = g_cancellable_new ();
  w->live = FALSE;
  w->stalled = FALSE;
  w->server_error = FALSE;
  w->retry_after_msec = -1;

  record = pi_stream_record_new (PI_STREAM_RECORD_PROTOCOL);
  if (w->protocol == PI_SOURCE_PROTOCOL_AMQP)
    record->text = g_strdup (pi_stream_worker_amqp_protocol_name (w));
  else
    record->text = g_strdup (pi_source_protocol_to_string (w->protocol));
  pi_stream_worker_post (w, record);
  pi_stream_worker_post_state (w, PI_STREAM_STATE_CONNECTING, NULL, 0);
  /* Each attempt subscribes anew, in whatever protocol. */
  pi_stream_worker_post (w, pi_stream_record_new (PI_STREAM_RECORD_BINDING_CLEAR));

  /* The client connects and finds a dead peer by heartbeats itself. */
  if (w->protocol == PI_SOURCE_PROTOCOL_AMQP)
    {
      pi_stream_worker_amqp_start_attempt (w);
      return;
    }

  worker_start_watchdog (w);

  if (w->protocol != PI_SOURCE_PROTOCOL_EVENTS_V1)
    {
      pi_stream_worker_ws_start_attempt (w);
      return;
    }

  /* Raw mode reads any server's event stream: no extension of ours. */
  w->resume_sent = !w->raw && !w->resume_unsupported;
  w->resumed = FALSE;
  if (w->resume_sent)
    {
      g_autoptr(GUri) uri = worker_resume_uri (w);

      w->message = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
    }
  else
    w->message = soup_message_new_from_uri (SOUP_METHOD_GET, w->uri);
  headers = soup_message_get_request_headers (w->message);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");

  pi_sse_parser_reset (w->parser);

  w->pending_ops++;
  soup_session_send_async (w->session, w->message, G_PRIORITY_DEFAULT,
                           w->cancellable, pi_stream_worker_send_cb, w);
}

static gboolean
worker_stop_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  w->quitting = TRUE;
  clear_source (&w->retry_source);
  clear_source (&w->watchdog);
  if (w->cancellable != NULL)
    g_cancellable_cancel (w->cancellable);
  pi_stream_worker_maybe_quit (w);

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

  pi_stream_worker_start_attempt (w);
  g_main_loop_run (w->loop);

  pi_stream_worker_end_attempt (w);
  pi_stream_worker_amqp_finish (w);
  clear_source (&w->retry_source);
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
  g_clear_pointer (&w->plan, pi_source_plan_free);
  g_clear_pointer (&w->subscriptions, g_hash_table_unref);
  g_clear_pointer (&w->subscribe_sets, g_ptr_array_unref);
  g_free (w->refusal);
  g_clear_error (&w->ws_error);
  g_clear_pointer (&w->uri, g_uri_unref);
  g_free (w->host);
  g_free (w->server_error_text);
  g_free (w->resume_session);
  g_free (w->lost_reason);
  g_clear_pointer (&w->ws_sessions_by_id, g_hash_table_unref);
  g_clear_pointer (&w->ws_sessions, g_hash_table_unref);
  g_queue_clear_full (&w->records, (GDestroyNotify) pi_stream_record_free);
  g_clear_pointer (&w->dispatch_source, g_source_unref);
  g_clear_pointer (&w->parser, pi_sse_parser_free);
  g_clear_pointer (&w->batch, g_ptr_array_unref);
  g_clear_pointer (&w->raw_batch, g_ptr_array_unref);
  g_free (w->buffer);
  g_mutex_clear (&w->mutex);
  g_cond_clear (&w->queue_cond);
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
static guint
env_seconds (const char *name,
             guint       fallback)
{
  const char *value = g_getenv (name);
  guint64 seconds;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 1, 3600, &seconds, NULL))
    return fallback;
  return (guint) seconds;
}

/* Takes @plan. */
PiStreamWorker *
pi_stream_worker_start (PiSourcePlan *plan,
                        guint        ping_timeout,
                        gboolean     raw,
                        guint64      first_sequence,
                        GSourceFunc  dispatch_func,
                        gpointer     dispatch_data)
{
  PiStreamWorker *w = g_new0 (PiStreamWorker, 1);

  w->plan = plan;
  w->protocol = plan->protocol == PI_SOURCE_PROTOCOL_AUTO ? PI_SOURCE_PROTOCOL_WEBSOCKET : plan->protocol;
  /* plan->protocol stays as it is: the caller's thread reads it too. */
  w->probing = plan->root_key != NULL && (plan->protocol == PI_SOURCE_PROTOCOL_AUTO || plan->recalled);
  w->uri = g_uri_parse (plan->sse_url, SOUP_HTTP_URI_FLAGS, NULL);
  g_assert (w->uri != NULL);
  g_queue_init (&w->pending_subscribes);
  w->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w->subscribe_sets = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  /* Private knobs for the tests, which cannot wait 30 s for a ping. */
  w->keepalive_seconds = env_seconds ("PI_SOURCE_WS_KEEPALIVE_SECONDS", WS_KEEPALIVE_SECONDS);
  w->ack_timeout_seconds = env_seconds ("PI_SOURCE_WS_ACK_TIMEOUT_SECONDS", WS_ACK_TIMEOUT_SECONDS);
  w->host = host_label_for_uri (w->uri);
  w->ping_timeout = ping_timeout;
  w->raw = raw;
  w->main_context = g_main_context_ref_thread_default ();
  w->context = g_main_context_new ();
  g_mutex_init (&w->mutex);
  g_cond_init (&w->queue_cond);
  /* A test knob too (a count, read by the same 1..3600 parser). */
  w->max_queued = env_seconds ("PI_SOURCE_MAX_QUEUED_MESSAGES", MAX_QUEUED_MESSAGES);
  g_queue_init (&w->records);
  w->scheduled = -1;
  w->last_dispatch = 0;
  w->retry_msec = -1;
  w->sequence = first_sequence - 1;
  w->buffer = g_malloc (READ_CHUNK_SIZE);
  w->batch = g_ptr_array_new_with_free_func (g_object_unref);
  w->raw_batch = g_ptr_array_new_with_free_func ((GDestroyNotify) pi_raw_event_free);
  w->parser = pi_sse_parser_new (PI_SSE_PARSER_DEFAULT_MAX_EVENT_SIZE, pi_stream_worker_on_event, w);

  w->dispatch_source = g_source_new (&dispatch_source_funcs, sizeof (GSource));
  g_source_set_callback (w->dispatch_source, dispatch_func, dispatch_data, NULL);
  g_source_set_priority (w->dispatch_source, G_PRIORITY_DEFAULT);
  g_source_set_ready_time (w->dispatch_source, -1);
  g_source_set_static_name (w->dispatch_source, "[pi-source] dispatch");
  g_source_attach (w->dispatch_source, w->main_context);

  w->thread = g_thread_new ("pi-source", worker_thread, w);

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
  w->n_queued_bytes = 0;
  if (w->plan->protocol == PI_SOURCE_PROTOCOL_AMQP)
    pi_stream_worker_amqp_taken_locked (w);
  g_cond_broadcast (&w->queue_cond);
  if (w->read_paused && !w->stopping)
    {
      GSource *resume = g_idle_source_new ();

      /* Cleared here so that a second take does not resume twice. */
      w->read_paused = FALSE;
      g_source_set_callback (resume, pi_stream_worker_resume_cb, w, NULL);
      g_source_attach (resume, w->context);
      g_source_unref (resume);
    }
  g_mutex_unlock (&w->mutex);
}

static gboolean
worker_retry_now_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  /* Only while waiting to retry: an attempt under way is already "now",
   * and a failed stream (a refusal) is not retried behind the user's back. */
  if (w->retry_source == NULL || w->quitting || w->finished)
    return G_SOURCE_REMOVE;

  g_debug ("Reconnecting now, as asked");
  clear_source (&w->retry_source);
  pi_stream_worker_post (w, pi_stream_record_new (PI_STREAM_RECORD_RECONNECT));
  pi_stream_worker_start_attempt (w);

  return G_SOURCE_REMOVE;
}

/* From the caller's thread: the attempt the worker waits to make starts at
 * once (Reconnect Now; the network came back). The backoff, the resume
 * session and what the stream was are kept, as for any retry. */
void
pi_stream_worker_retry_now (PiStreamWorker *w)
{
  GSource *now = g_idle_source_new ();

  g_source_set_priority (now, G_PRIORITY_HIGH);
  g_source_set_callback (now, worker_retry_now_cb, w, NULL);
  g_source_attach (now, w->context);
  g_source_unref (now);
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
  g_cond_broadcast (&w->queue_cond);
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
