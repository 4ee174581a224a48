/* pi-source-read.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>

#include "pi-source-worker-private.h"
#include "pi-json-util.h"

/*
 * The worker's read loop: body chunks into the SSE parser, events into
 * records, and what ends or pauses reading.
 */

static char *
describe_stall (PiStreamWorker *w)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "No data from %s for %u second",
                                       "No data from %s for %u seconds",
                                       w->ping_timeout),
                          w->host, w->ping_timeout);
}

/* The object @data holds, or %NULL when it is not a JSON object. */
JsonObject *
pi_stream_parse_json_object (JsonParser *parser,
                             const char *data,
                             gsize       len)
{
  JsonNode *root;

  if (!pi_json_parser_load (parser, data, len, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_node_get_object (root);
}

/* --- Worker: events -------------------------------------------------------- */

static char *
decode_server_error (const char *data,
                     gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (pi_json_parser_load (parser, data, len, NULL) &&
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

/* `ready` of a resumable stream names its session and says whether the
 * stream went on where it was lost; only then is a loss known to have a
 * gap, or none. */
static void
worker_ready_session (PiStreamWorker   *w,
                      const PiSseEvent *event)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object = pi_stream_parse_json_object (parser, event->data, event->data_len);
  const char *session = NULL;
  gboolean resumed = FALSE;
  gint64 lost = 0;

  if (object != NULL)
    {
      session = json_object_get_string_member_with_default (object, "session", NULL);
      resumed = json_object_get_boolean_member_with_default (object, "resumed", FALSE);
      lost = json_object_get_int_member_with_default (object, "lost", 0);
    }

  if (session != NULL && resumed && g_strcmp0 (session, w->resume_session) == 0 && w->lost_reason != NULL)
    {
      g_debug ("Resumed session %s after message %" G_GUINT64_FORMAT ", %" G_GINT64_FORMAT " lost",
               session, w->resume_seq, lost);
      g_clear_pointer (&w->lost_reason, g_free);
      /* What the server no longer kept comes as a `dropped` event next,
       * which marks the gap with its count. */
      w->resumed = lost == 0;
      return;
    }

  pi_stream_worker_add_lost_gap (w);
  if (g_strcmp0 (session, w->resume_session) != 0)
    {
      g_free (w->resume_session);
      w->resume_session = g_strdup (session);
      w->resume_seq = 0;
    }
}

void
pi_stream_worker_on_event (const PiSseEvent *event,
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

  /* `id: SESSION:SEQ` on a resumable stream: the last message seen, or
   * (on `dropped`) the last one counted lost; a resume goes on after it. */
  if ((strcmp (type, "message") == 0 || strcmp (type, "dropped") == 0) &&
      w->resume_session != NULL && event->id != NULL &&
      g_str_has_prefix (event->id, w->resume_session) &&
      event->id[strlen (w->resume_session)] == ':')
    {
      guint64 seq;

      if (g_ascii_string_to_unsigned (event->id + strlen (w->resume_session) + 1, 10, 0,
                                      G_MAXUINT64, &seq, NULL) &&
          seq >= w->resume_seq)
        w->resume_seq = seq;
    }

  if (strcmp (type, "message") == 0)
    {
      if (!w->raw)
        g_ptr_array_add (w->batch,
                         pi_message_new_from_data (event->data, event->data_len,
                                                   ++w->sequence, w->now));
    }
  else if (strcmp (type, "ready") == 0)
    {
      if (!w->raw)
        worker_ready_session (w, event);
      pi_stream_worker_went_live (w);
      pi_stream_worker_flush_batches (w, FALSE);
      pi_stream_worker_post (w, pi_stream_record_new (PI_STREAM_RECORD_READY));
    }
  else if (strcmp (type, "ping") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_PING);
      JsonObject *object = pi_stream_parse_json_object (parser, event->data, event->data_len);

      if (object != NULL)
        record->text = g_strdup (json_object_get_string_member_with_default (object, "time", NULL));
      if (record->text == NULL)
        record->text = g_strndup (event->data, event->data_len);

      w->urgent = TRUE;
      pi_stream_worker_flush_batches (w, FALSE);
      pi_stream_worker_post (w, record);
    }
  else if (strcmp (type, "error") == 0)
    {
      PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_SERVER_ERROR);

      record->text = decode_server_error (event->data, event->data_len);
      w->server_error = TRUE;
      /* Before `ready` an error is about the bindings: bad input, final.
       * After it, the stream was good and the server or its broker failed
       * (broker lost, server shutting down): that passes, so reconnect. */
      w->server_error_after_ready = w->live;
      g_free (w->server_error_text);
      w->server_error_text = g_strdup (record->text);
      w->urgent = TRUE;
      pi_stream_worker_flush_batches (w, FALSE);
      pi_stream_worker_post (w, record);
    }
  else if (strcmp (type, "dropped") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *object = pi_stream_parse_json_object (parser, event->data, event->data_len);
      gint64 count = 0;

      if (object != NULL)
        count = json_object_get_int_member_with_default (object, "count", 0);

      if (count > 0)
        {
          PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_DROPPED);

          if (!w->raw)
            {
              const char *why = json_object_get_string_member_with_default (object, "reason", "");

              /* Lost to a reconnection: a gap. Otherwise the connection
               * held and the server left messages out, for the reason it
               * gives (too large for its buffer, this client too slow):
               * a dropped entry, as over WebSocket, not a lost connection. */
              if (strcmp (why, "resume-window") == 0)
                {
                  g_autofree char *reason =
                    /* Plain %lld, not G_GINT64_FORMAT: xgettext cannot see through macros. */
                    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                  "%lld message was lost while reconnecting: the server no longer kept it",
                                                  "%lld messages were lost while reconnecting: the server no longer kept them",
                                                  count),
                                     (long long) count);

                  g_ptr_array_add (w->batch, pi_message_new_gap (++w->sequence, w->now, reason));
                }
              else
                g_ptr_array_add (w->batch, pi_message_new_dropped (++w->sequence, (guint64) count,
                                                                   *why != '\0' ? why : NULL));
            }

          record->count = (guint64) count;
          w->urgent = TRUE;
          pi_stream_worker_flush_batches (w, FALSE);
          pi_stream_worker_post (w, record);
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
      pi_stream_worker_maybe_quit (w);
      return;
    }

  if (n < 0)
    {
      g_autofree char *reason = NULL;

      if (w->stalled)
        reason = describe_stall (w);
      else
        reason = g_strdup_printf (_("The connection to %s was lost: %s"), w->host, error->message);
      pi_stream_worker_lost (w, reason, FAILURE_RETRY);
      return;
    }

  if (n == 0)
    {
      /* An event without its closing blank line is incomplete: dropped. */
      pi_sse_parser_finish (w->parser);
      pi_stream_worker_flush_batches (w, TRUE);

      if (w->live)
        {
          g_autofree char *reason = g_strdup_printf (_("%s closed the stream"), w->host);

          pi_stream_worker_lost (w, reason, FAILURE_RETRY);
        }
      else
        pi_stream_worker_lost (w, _("The server closed the stream before binding; does the exchange exist?"),
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

      pi_stream_worker_flush_batches (w, TRUE);
      if (g_error_matches (error, PI_SSE_ERROR, PI_SSE_ERROR_EVENT_TOO_LARGE))
        reason = g_strdup_printf (_("%s sent an event larger than %u MB; the connection was closed"),
                                  w->host, (guint) (PI_SSE_PARSER_DEFAULT_MAX_EVENT_SIZE / (1024 * 1024)));
      else
        reason = g_strdup_printf (_("Could not read the stream from %s: %s"), w->host, error->message);
      pi_stream_worker_fail (w, reason);
      return;
    }

  {
    gint64 retry = pi_sse_parser_get_retry (w->parser);

    if (retry >= 0)
      w->retry_msec = retry;
  }

  pi_stream_worker_flush_batches (w, TRUE);

  if (w->server_error && w->server_error_after_ready)
    {
      g_autofree char *reason = g_steal_pointer (&w->server_error_text);

      pi_stream_worker_lost (w, reason, FAILURE_RETRY);
      return;
    }

  if (w->server_error)
    {
      /* The server's own words were posted; the stream is over for good. */
      PiStreamRecord *record;

      pi_stream_worker_end_attempt (w);
      record = pi_stream_record_new (PI_STREAM_RECORD_STATE);
      record->state = PI_STREAM_STATE_FAILED;
      pi_stream_worker_post (w, record);
      w->finished = TRUE;
      pi_stream_worker_maybe_quit (w);
      return;
    }

  g_mutex_lock (&w->mutex);
  paused = w->read_paused = w->n_queued >= w->max_queued;
  g_mutex_unlock (&w->mutex);

  if (paused)
    {
      g_debug ("Caller is behind; reading paused");
      return;
    }

  pi_stream_worker_start_read (w);
}

/* The caller took the queue: read again (on the worker thread). */
gboolean
pi_stream_worker_resume_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  if (w->quitting || w->finished || w->body == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&w->mutex);
  w->read_paused = FALSE;
  g_mutex_unlock (&w->mutex);

  w->last_activity = g_get_monotonic_time ();
  pi_stream_worker_start_read (w);

  return G_SOURCE_REMOVE;
}

void
pi_stream_worker_start_read (PiStreamWorker *w)
{
  w->pending_ops++;
  g_input_stream_read_async (w->body, w->buffer, READ_CHUNK_SIZE,
                             G_PRIORITY_DEFAULT, w->cancellable,
                             worker_read_cb, w);
}
