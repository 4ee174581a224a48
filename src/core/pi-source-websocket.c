/* pi-source-websocket.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>

#include "pi-source-worker-private.h"
#include "pi-ws-handshake.h"
#include "pi-ws-input-stream.h"

/*
 * The WebSocket client both Taskcluster protocols share, on the worker
 * thread: connecting (and falling back from the plain protocol to GraphQL
 * to events v1 when a root URL's server refuses the upgrade with an HTTP
 * status), keep-alive pings (the server of the GraphQL protocol sends none,
 * so a dead peer is found only by pinging), and the end of a connection in
 * words. Refusals (bad credentials, missing scopes, protocol errors) fail
 * for good; everything else is retried with backoff, with a gap row when
 * the stream was live. The frames themselves are pi-source-tc-websocket.c's
 * and pi-source-tc-graphql.c's.
 */

/* Close codes of the Taskcluster web-server. */
#define CLOSE_PROTOCOL_ERROR   4400
#define CLOSE_UNAUTHORIZED     4401
#define CLOSE_FORBIDDEN        4403
#define CLOSE_MAX_AGE          4408
/* Ours, to a server we leave for another attempt (a private-use code). */
#define PI_WS_CLOSE_RECONNECTING 4000

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* The stream under @ws, when it is ours. */
static PiWsInputStream *
ws_input (SoupWebsocketConnection *ws)
{
  GInputStream *input = g_io_stream_get_input_stream (soup_websocket_connection_get_io_stream (ws));

  return PI_IS_WS_INPUT_STREAM (input) ? PI_WS_INPUT_STREAM (input) : NULL;
}

void
pi_stream_worker_ws_end_attempt (PiStreamWorker *w)
{
  clear_source (&w->ack_timeout);
  clear_source (&w->loss_source);
  clear_source (&w->stall_source);
  g_clear_pointer (&w->loss_reason, g_free);
  g_queue_clear (&w->pending_subscribes);
  if (w->subscriptions != NULL)
    g_hash_table_remove_all (w->subscriptions);
  if (w->subscribe_sets != NULL)
    g_ptr_array_set_size (w->subscribe_sets, 0);
  w->acked = FALSE;
  g_clear_error (&w->ws_error);
  g_clear_pointer (&w->refusal, g_free);
  w->refusal_final = FALSE;

  if (w->ws != NULL)
    {
      if (ws_input (w->ws) != NULL)
        pi_ws_input_stream_set_text_func (ws_input (w->ws), NULL, NULL);
      g_signal_handlers_disconnect_by_data (w->ws, w);
      /* Not a normal close when another attempt follows: pulse-events
       * then holds resumable subscriptions for it (docs/PROTOCOL.md 8),
       * where 1000 would end them. */
      if (soup_websocket_connection_get_state (w->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (w->ws, w->retrying ? PI_WS_CLOSE_RECONNECTING : SOUP_WEBSOCKET_CLOSE_NORMAL,
                                         w->retrying ? "reconnecting" : NULL);
      g_clear_object (&w->ws);
    }
}

void
pi_stream_worker_ws_send (PiStreamWorker *w,
                          const char     *text)
{
  if (w->ws != NULL && soup_websocket_connection_get_state (w->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (w->ws, text);
}

static gboolean
lose_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;
  g_autofree char *reason = g_steal_pointer (&w->loss_reason);

  g_clear_pointer (&w->loss_source, g_source_unref);
  pi_stream_worker_flush_batches (w, TRUE);
  pi_stream_worker_lost (w, reason, w->loss_kind);
  return G_SOURCE_REMOVE;
}

/* Ends the attempt for what a frame said, once the frame's handler has
 * returned: the connection must not go away inside its own signal. The
 * frames after it are not read. */
void
pi_stream_worker_ws_lose (PiStreamWorker *w,
                          const char     *reason,
                          FailureKind     kind)
{
  if (w->loss_source != NULL)
    return;

  w->loss_reason = g_strdup (reason);
  w->loss_kind = kind;
  w->loss_source = g_idle_source_new ();
  g_source_set_priority (w->loss_source, G_PRIORITY_HIGH);
  g_source_set_callback (w->loss_source, lose_cb, w, NULL);
  g_source_attach (w->loss_source, w->context);
}

/* The server's own words about why it will close (an error frame, a
 * connection_error): kept for the close, which gives the verdict. */
void
pi_stream_worker_ws_refused (PiStreamWorker *w,
                             const char     *text,
                             gboolean        final)
{
  g_free (w->refusal);
  w->refusal = g_strdup (text);
  w->refusal_final = final;
}

void
pi_stream_worker_ws_add_message (PiStreamWorker  *w,
                                 const PiTcFrame *frame)
{
  g_ptr_array_add (w->batch, pi_message_new_from_tc_data (frame, ++w->sequence, w->now));
}

void
pi_stream_worker_ws_add_dropped (PiStreamWorker  *w,
                                 const PiTcFrame *frame)
{
  PiStreamRecord *record;

  if (frame->count == 0)
    return;

  g_ptr_array_add (w->batch, pi_message_new_dropped (++w->sequence, frame->count, frame->reason));
  record = pi_stream_record_new (PI_STREAM_RECORD_DROPPED);
  record->count = frame->count;
  w->urgent = TRUE;
  pi_stream_worker_flush_batches (w, FALSE);
  pi_stream_worker_post (w, record);
}

void
pi_stream_worker_ws_binding_error (PiStreamWorker *w,
                                   guint           index,
                                   const char     *text)
{
  PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_BINDING_ERROR);

  g_debug ("Binding %u refused: %s", index, text);
  record->count = index;
  record->text = g_strdup (text ? text : _("The server refused this binding without saying why"));
  w->urgent = TRUE;
  pi_stream_worker_flush_batches (w, FALSE);
  pi_stream_worker_post (w, record);
}

/* A frame that is not what the protocol says: shown, skipped. The server
 * is at fault, not the stream: the messages around it still count. */
void
pi_stream_worker_ws_malformed (PiStreamWorker *w,
                               const GError   *error)
{
  PiStreamRecord *record = pi_stream_record_new (PI_STREAM_RECORD_SERVER_ERROR);

  record->text = g_strdup_printf (_("%s sent a frame this client cannot read: %s"), w->host, error->message);
  g_debug ("%s", record->text);
  w->urgent = TRUE;
  pi_stream_worker_flush_batches (w, FALSE);
  pi_stream_worker_post (w, record);
}

static gboolean
ack_timeout_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;
  g_autofree char *reason = NULL;

  g_clear_pointer (&w->ack_timeout, g_source_unref);
  if (!w->acked)
    reason = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s accepted the WebSocket but did not acknowledge the connection within %u second",
                                           "%s accepted the WebSocket but did not acknowledge the connection within %u seconds",
                                           w->ack_timeout_seconds),
                              w->host, w->ack_timeout_seconds);
  else
    reason = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s did not confirm the subscription within %u second",
                                           "%s did not confirm the subscription within %u seconds",
                                           w->ack_timeout_seconds),
                              w->host, w->ack_timeout_seconds);
  /* A server too busy to answer may answer next time. */
  pi_stream_worker_lost (w, reason, FAILURE_RETRY);
  return G_SOURCE_REMOVE;
}

/* Waits ack_timeout_seconds for the answer the protocol owes now: the
 * connection_ack of either protocol, then the subscribe_acks of the plain
 * one (GraphQL never answers `start`). */
void
pi_stream_worker_ws_arm_ack_timeout (PiStreamWorker *w)
{
  clear_source (&w->ack_timeout);
  w->ack_timeout = g_timeout_source_new_seconds (w->ack_timeout_seconds);
  g_source_set_callback (w->ack_timeout, ack_timeout_cb, w, NULL);
  g_source_attach (w->ack_timeout, w->context);
}

void
pi_stream_worker_ws_disarm_ack_timeout (PiStreamWorker *w)
{
  clear_source (&w->ack_timeout);
}

/*
 * A caller that falls behind (a main loop busy elsewhere) must not make
 * memory grow without bound. SoupWebsocketConnection has no way to pause
 * reading, and it reads on as long as the socket has data; but it reads
 * on this thread, inside this handler: waiting here until the caller takes
 * the queue stops the reading, TCP pushes back, and the server reports
 * what it cannot deliver (pulse-events: `dropped` "too-slow", then close
 * 1011), which the list then shows. Keep-alive pings wait too; the socket
 * has data, so the peer is not dead.
 */
static void
wait_for_caller (PiStreamWorker *w)
{
  gboolean waited = FALSE;

  g_mutex_lock (&w->mutex);
  while ((w->n_queued >= w->max_queued || w->n_queued_bytes >= MAX_QUEUED_BYTES) && !w->stopping)
    {
      if (!waited)
        g_debug ("Caller is behind (%u messages, %" G_GUINT64_FORMAT " bytes queued); reading paused",
                 w->n_queued, w->n_queued_bytes);
      waited = TRUE;
      g_cond_wait (&w->queue_cond, &w->mutex);
    }
  g_mutex_unlock (&w->mutex);

  if (waited)
    g_debug ("Caller caught up; reading again");
}

static void
handle_frame (PiStreamWorker        *w,
              SoupWebsocketDataType  type,
              const char            *text,
              gsize                  len)
{

  w->now = g_get_real_time ();
  w->urgent = FALSE;

  g_mutex_lock (&w->mutex);
  w->n_bytes += len;
  w->n_queued_bytes += len;
  g_mutex_unlock (&w->mutex);

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_autoptr(GError) error = g_error_new_literal (PI_TC_ERROR, 0, _("a binary frame, not text"));

      pi_stream_worker_ws_malformed (w, error);
      return;
    }

  if (w->protocol == PI_SOURCE_PROTOCOL_GRAPHQL)
    pi_stream_worker_graphql_frame (w, text ? text : "", len);
  else
    pi_stream_worker_plain_frame (w, text ? text : "", len);

  /* A handler may have ended the attempt. */
  if (w->ws != NULL)
    {
      pi_stream_worker_flush_batches (w, TRUE);
      wait_for_caller (w);
    }
}

static void
on_message (SoupWebsocketConnection *ws,
            SoupWebsocketDataType    type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  PiStreamWorker *w = user_data;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);

  if (w->quitting || w->finished || w->loss_source != NULL)
    return;
  handle_frame (w, type, text, len);
}

static gboolean
unref_later_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

/* A text frame taken out of the stream before libsoup (see
 * pi-ws-input-stream.c), while libsoup reads it: as on_message(). */
static void
on_text (const char *text,
         gsize       len,
         gpointer    user_data)
{
  PiStreamWorker *w = user_data;
  SoupWebsocketConnection *ws = w->ws;

  if (w->quitting || w->finished || w->loss_source != NULL || ws == NULL ||
      soup_websocket_connection_get_state (ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  /* libsoup is inside its read: the connection must outlive this frame
   * even when the frame ends the attempt. */
  g_object_ref (ws);
  handle_frame (w, SOUP_WEBSOCKET_DATA_TEXT, text, len);
  if (w->ws == ws)
    g_object_unref (ws);
  else
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, unref_later_cb, ws, NULL);
      g_source_attach (source, w->context);
      g_source_unref (source);
    }
}


/* The close in words, and whether retrying can help. */
static char *
describe_close (PiStreamWorker *w,
                FailureKind    *kind)
{
  gushort code = soup_websocket_connection_get_close_code (w->ws);
  const char *data = soup_websocket_connection_get_close_data (w->ws);
  const char *why = w->refusal ? w->refusal : (data && *data ? data : NULL);

  *kind = FAILURE_RETRY;

  /* This client closed it, for what the server sent or did not send. The
   * peer may echo our close code, or not answer at all. */
  if (w->ws_error != NULL && w->ws_error->domain == SOUP_WEBSOCKET_ERROR)
    {
      switch (w->ws_error->code)
        {
        case SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION:
          /* libsoup's only policy error on a client: no pong in time. */
          return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "%s did not answer a keep-alive ping within %u second",
                                               "%s did not answer a keep-alive ping within %u seconds",
                                               w->keepalive_seconds),
                                  w->host, w->keepalive_seconds);

        case SOUP_WEBSOCKET_CLOSE_BAD_DATA:
          return g_strdup_printf (_("%s sent text that is not UTF-8; the connection was closed"), w->host);

        case SOUP_WEBSOCKET_CLOSE_TOO_BIG:
          return g_strdup_printf (_("%s sent a frame larger than %u MB; the connection was closed"),
                                  w->host, WS_MAX_PAYLOAD / (1024 * 1024));

        case SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR:
          return g_strdup_printf (_("%s sent a WebSocket frame this client cannot read; "
                                    "the connection was closed"), w->host);

        default:
          break;
        }
    }

  switch (code)
    {
    case CLOSE_UNAUTHORIZED:
      *kind = FAILURE_CREDENTIALS;
      if (why != NULL)
        return g_strdup_printf (_("%s refused the credentials: %s"), w->host, why);
      return g_strdup_printf (_("%s refused the credentials: they are invalid or expired"), w->host);

    case CLOSE_FORBIDDEN:
      *kind = FAILURE_CREDENTIALS;
      return g_strdup_printf (_("%s refused access: this deployment needs a client with the scope web:read-pulse"),
                              w->host);

    case SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION:
      /* libsoup's server closes with 1008 when pongs are missing (a
       * network that stalled for a while): worth another attempt. */
      if (why != NULL)
        return g_strdup_printf (_("%s ended the connection for a policy violation (%u): %s"), w->host, code, why);
      return g_strdup_printf (_("%s ended the connection for a policy violation (%u)"), w->host, code);

    case CLOSE_PROTOCOL_ERROR:
    case SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR:
      *kind = FAILURE_PERMANENT;
      if (why != NULL)
        return g_strdup_printf (_("%s ended the connection for a protocol error (%u): %s"), w->host, code, why);
      return g_strdup_printf (_("%s ended the connection for a protocol error (%u)"), w->host, code);

    case SOUP_WEBSOCKET_CLOSE_SERVER_ERROR:
      if (w->refusal != NULL && w->refusal_final)
        {
          *kind = FAILURE_PERMANENT;
          if (strstr (w->refusal, "InsufficientScopes") != NULL || strstr (w->refusal, "web:read-pulse") != NULL)
            *kind = FAILURE_CREDENTIALS;
          if (*kind == FAILURE_CREDENTIALS)
            return g_strdup_printf (_("%s refused access: this deployment needs a client with the scope web:read-pulse"),
                                    w->host);
          return g_strdup_printf (_("%s refused the connection: %s"), w->host, w->refusal);
        }
      if (why != NULL)
        return g_strdup_printf (_("%s ended the connection with an internal error: %s"), w->host, why);
      return g_strdup_printf (_("%s ended the connection with an internal error"), w->host);

    case SOUP_WEBSOCKET_CLOSE_BAD_DATA:
      return g_strdup_printf (_("%s sent text that is not UTF-8; the connection was closed"), w->host);

    case SOUP_WEBSOCKET_CLOSE_TOO_BIG:
      return g_strdup_printf (_("%s sent a frame larger than %u MB; the connection was closed"),
                              w->host, WS_MAX_PAYLOAD / (1024 * 1024));

    case CLOSE_MAX_AGE:
      /* The web-server's 6 hours (pulse-events: --socket-lifetime). */
      return g_strdup_printf (_("%s closed the connection at the end of its lifetime"), w->host);

    case SOUP_WEBSOCKET_CLOSE_GOING_AWAY:
    case SOUP_WEBSOCKET_CLOSE_NORMAL:
    case SOUP_WEBSOCKET_CLOSE_NO_STATUS:
      if (w->refusal != NULL && w->refusal_final)
        {
          *kind = FAILURE_PERMANENT;
          return g_strdup_printf (_("%s refused the connection: %s"), w->host, w->refusal);
        }
      return g_strdup_printf (_("%s ended the connection"), w->host);

    case 0:
    case SOUP_WEBSOCKET_CLOSE_ABNORMAL:
    default:
      if (w->refusal != NULL && w->refusal_final)
        {
          *kind = FAILURE_PERMANENT;
          return g_strdup_printf (_("%s refused the connection: %s"), w->host, w->refusal);
        }
      if (code != 0 && code != SOUP_WEBSOCKET_CLOSE_ABNORMAL)
        return g_strdup_printf (_("%s ended the connection (%u)"), w->host, code);
      return g_strdup_printf (_("The connection to %s was lost"), w->host);
    }
}

static void
on_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  PiStreamWorker *w = user_data;
  g_autofree char *reason = NULL;
  FailureKind kind;

  if (w->quitting || w->finished)
    return;

  g_debug ("WebSocket closed: %u %s", soup_websocket_connection_get_close_code (ws),
           soup_websocket_connection_get_close_data (ws));
  pi_stream_worker_flush_batches (w, TRUE);
  if (w->loss_source != NULL)
    {
      /* A frame before the close said it already. */
      reason = g_steal_pointer (&w->loss_reason);
      kind = w->loss_kind;
    }
  else
    reason = describe_close (w, &kind);
  pi_stream_worker_lost (w, reason, kind);
}

/* A second after leaving a stalled socket with 4000: its peer did not
 * answer the close, and will not. The attempt ends now, as "closed" would
 * have said, instead of after libsoup's 5 s wait for the peer's close,
 * whose timeout source libsoup 3.6 never frees when it fires. */
static gboolean
stall_cb (gpointer user_data)
{
  PiStreamWorker *w = user_data;

  g_clear_pointer (&w->stall_source, g_source_unref);
  if (w->ws != NULL)
    on_closed (w->ws, w);
  return G_SOURCE_REMOVE;
}

static void
on_error (SoupWebsocketConnection *ws,
          GError                  *error,
          gpointer                 user_data)
{
  PiStreamWorker *w = user_data;

  /* "closed" follows and gives the verdict; this says what went wrong on
   * our side (a frame we could not take, no pong). */
  g_debug ("WebSocket error: %s", error->message);
  if (w->ws_error == NULL)
    w->ws_error = g_error_copy (error);

  /* No pong in time: a stalled socket this client leaves for another.
   * Closed with 4000 ("reconnecting") before libsoup closes it with its
   * 1008, as docs/PROTOCOL.md 8 says our clients do. */
  if (g_error_matches (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION) &&
      soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      soup_websocket_connection_close (ws, PI_WS_CLOSE_RECONNECTING, "reconnecting");
      if (w->stall_source == NULL)
        {
          w->stall_source = g_timeout_source_new (1000);
          g_source_set_static_name (w->stall_source, "PiSource stalled WebSocket");
          g_source_set_callback (w->stall_source, stall_cb, w, NULL);
          g_source_attach (w->stall_source, g_main_context_get_thread_default ());
        }
    }
}

static void
http_refusal (PiStreamWorker     *w,
              guint               status,
              const char         *phrase,
              SoupMessageHeaders *headers)
{
  g_autofree char *reason = NULL;

  /* A proxy in the way (one that intercepts, without CONNECT) wants
   * credentials of its own; the deployment's cannot help. */
  if (status == SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED)
    {
      FailureKind kind;

      reason = pi_stream_worker_describe_proxy_refusal (w, status, phrase, &kind);
      pi_stream_worker_lost (w, reason, kind);
      return;
    }

  if (phrase == NULL || *phrase == '\0')
    phrase = soup_status_get_phrase (status);

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    reason = g_strdup_printf (_("%s refused access (%u %s)"), w->host, status, phrase ? phrase : "");
  else
    reason = g_strdup_printf (_("%s answered %u %s instead of opening a WebSocket"),
                              w->host, status, phrase ? phrase : "");

  /* As on events v1: 503 and 429 say "not now" (pulse-events at its
   * --max-connections, or while its broker is away): retried, after
   * Retry-After at the soonest. Another server error may pass (a proxy
   * while the server restarts); a refusal or another client error will not. */
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE || status == 429)
    {
      w->retry_after_msec = pi_stream_worker_parse_retry_after (headers);
      pi_stream_worker_lost (w, reason, FAILURE_UNAVAILABLE);
    }
  else if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    pi_stream_worker_lost (w, reason, FAILURE_CREDENTIALS);
  else
    pi_stream_worker_lost (w, reason, SOUP_STATUS_IS_SERVER_ERROR (status) ? FAILURE_RETRY : FAILURE_PERMANENT);
}

/* Does @status say the server has no such endpoint (so another protocol
 * may), rather than that it cannot or will not serve this client now? */
static gboolean
status_is_missing_endpoint (guint status)
{
  return status == SOUP_STATUS_BAD_REQUEST ||     /* web-server v106 */
         status == SOUP_STATUS_NOT_FOUND ||
         status == SOUP_STATUS_METHOD_NOT_ALLOWED ||
         status == 426;                           /* Upgrade Required */
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  PiStreamWorker *w = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autofree char *phrase = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  guint status;

  w->pending_ops--;
  ws = pi_ws_handshake_finish (result, &status, &phrase, &headers, &error);

  if (w->quitting || w->finished)
    {
      pi_stream_worker_maybe_quit (w);
      return;
    }

  if (ws == NULL)
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
          pi_stream_worker_lost (w, reason, FAILURE_RETRY);
          return;
        }

      if (status >= 100 && status != SOUP_STATUS_SWITCHING_PROTOCOLS)
        {
          /* An HTTP answer, not a WebSocket: a deployment without this
           * protocol (404, or 400 on web-server v106) tries the next
           * one; a busy or refusing server is answered here. */
          if (!status_is_missing_endpoint (status) || !pi_stream_worker_try_next_protocol (w))
            http_refusal (w, status, phrase, headers);
          return;
        }

      if (status == SOUP_STATUS_SWITCHING_PROTOCOLS)
        {
          reason = g_strdup_printf (_("%s opened a WebSocket this client cannot use: %s"), w->host, error->message);
          pi_stream_worker_lost (w, reason, FAILURE_PERMANENT);
          return;
        }

      reason = pi_stream_worker_describe_send_error (w, error, &kind);
      pi_stream_worker_lost (w, reason, kind);
      return;
    }

  /* Connected: silence is normal now, pings find a dead peer. */
  clear_source (&w->watchdog);
  w->ws = g_steal_pointer (&ws);
  soup_websocket_connection_set_max_incoming_payload_size (w->ws, WS_MAX_PAYLOAD);
  /* libsoup 3.8 can also bound a message sent in fragments (a client's is
   * unbounded by default, so a server could grow it for ever): the same. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (w->ws), "max-total-message-size") != NULL)
    g_object_set (w->ws, "max-total-message-size", (guint64) WS_MAX_PAYLOAD, NULL);
  soup_websocket_connection_set_keepalive_interval (w->ws, w->keepalive_seconds);
  soup_websocket_connection_set_keepalive_pong_timeout (w->ws, w->keepalive_seconds);
  g_signal_connect (w->ws, "message", G_CALLBACK (on_message), w);
  /* Text frames without libsoup's cost per frame; it still reads the rest. */
  if (ws_input (w->ws) != NULL)
    pi_ws_input_stream_set_text_func (ws_input (w->ws), on_text, w);
  g_signal_connect (w->ws, "closed", G_CALLBACK (on_closed), w);
  g_signal_connect (w->ws, "error", G_CALLBACK (on_error), w);

  pi_stream_worker_post_state (w, PI_STREAM_STATE_WAITING_FOR_READY, NULL, 0);

  pi_stream_worker_ws_arm_ack_timeout (w);

  /* Only a server that names itself pulse-events is asked for its
   * extensions (docs/PROTOCOL.md 8, resume). */
  w->ws_server_ours = headers != NULL && soup_message_headers_get_one (headers, "Server") != NULL &&
                      g_str_has_prefix (soup_message_headers_get_one (headers, "Server"), "pulse-events/");

  if (w->protocol == PI_SOURCE_PROTOCOL_GRAPHQL)
    pi_stream_worker_graphql_opened (w);
  else
    pi_stream_worker_plain_opened (w);
}

void
pi_stream_worker_ws_start_attempt (PiStreamWorker *w)
{
  g_autoptr(GUri) uri = NULL;
  const char *url;

  if (w->protocol == PI_SOURCE_PROTOCOL_GRAPHQL)
    url = w->plan->graphql_url;
  else if (w->plan->named_service != NULL)
    url = w->plan->named_url;
  else
    url = w->plan->raw_url;

  g_debug ("Opening a WebSocket to %s", url);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  g_assert (uri != NULL);

  /* The handshake by hand, not soup_session_websocket_connect_async():
   * libsoup's own client reads the socket 1,024 bytes at a time. */
  w->pending_ops++;
  pi_ws_handshake_async (uri, w->protocol == PI_SOURCE_PROTOCOL_GRAPHQL ? "graphql-ws" : NULL,
                         "pulse-inspector/" PACKAGE_VERSION, w->cancellable, connect_cb, w);
}
