/* pi-source-http.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-source"

#include <glib/gi18n.h>
#include <string.h>
#include "pi-source-worker-private.h"

/*
 * The answer to the worker's request: connection failures, HTTP
 * errors with the server's own message, and the checks before reading.
 */

/* --- Worker: HTTP errors -------------------------------------------------------- */

/* Retry-After (RFC 9110, section 10.2.3): a number of seconds or an HTTP
 * date. Returns milliseconds from now, or -1 when absent or unreadable. */
gint64
pi_stream_worker_parse_retry_after (SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_one (headers, "Retry-After");
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) now = NULL;

  if (value == NULL)
    return -1;

  while (g_ascii_isspace (*value))
    value++;

  if (g_ascii_isdigit (*value))
    {
      char *end;
      guint64 seconds = g_ascii_strtoull (value, &end, 10);

      while (g_ascii_isspace (*end))
        end++;
      if (*end != '\0')
        return -1;
      return (gint64) MIN (seconds, MAX_RETRY_AFTER_MSEC / 1000) * 1000;
    }

  if (!(date = soup_date_time_new_from_http_string (value)))
    return -1;
  now = g_date_time_new_now_utc ();
  return CLAMP (g_date_time_difference (date, now) / 1000, 0, MAX_RETRY_AFTER_MSEC);
}

/*
 * Over plain http through a proxy, libsoup sends the request to the proxy,
 * which forwards it (no tunnel): any answer may be the proxy's own or the
 * server's passed on. The connection's peer is then a GProxyAddress (GIO's
 * proxy enumerator); returns the proxy's host[:port] for the words, or
 * NULL when the request went straight to the server. Which of the two
 * answered is knowable only from signs: Proxy-Authenticate or a 407 (the
 * proxy's, see is_proxy_answer()), the events server's JSON {"message"}
 * (the server's). A Via header is no sign: proxies add it to their own
 * answers too.
 */
static char *
forwarding_proxy (PiStreamWorker *w)
{
  GSocketAddress *peer = soup_message_get_remote_address (w->message);
  g_autoptr(GUri) uri = NULL;
  const char *proxy_uri;

  if (peer == NULL || !G_IS_PROXY_ADDRESS (peer) ||
      g_ascii_strcasecmp (g_uri_get_scheme (soup_message_get_uri (w->message)), "http") != 0)
    return NULL;

  proxy_uri = g_proxy_address_get_uri (G_PROXY_ADDRESS (peer));
  if (proxy_uri != NULL && (uri = g_uri_parse (proxy_uri, G_URI_FLAGS_NONE, NULL)) != NULL &&
      g_uri_get_host (uri) != NULL)
    {
      const char *host = g_uri_get_host (uri);
      gboolean v6 = strchr (host, ':') != NULL;

      if (g_uri_get_port (uri) > 0)
        return g_strdup_printf ("%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", g_uri_get_port (uri));
      return g_strdup_printf ("%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
    }
  /* A proxy without an address to show. */
  return g_strdup ("");
}

static void
worker_http_error (PiStreamWorker *w)
{
  guint status = soup_message_get_status (w->message);
  const char *phrase = soup_message_get_reason_phrase (w->message);
  g_autofree char *message = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *proxy = NULL;

  if (phrase == NULL || *phrase == '\0')
    phrase = soup_status_get_phrase (status);

  if (w->error_body != NULL && w->error_body->len > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *object = pi_stream_parse_json_object (parser, (const char *) w->error_body->data,
                                                        w->error_body->len);

      if (object != NULL)
        message = g_strdup (json_object_get_string_member_with_default (object, "message", NULL));
    }

  if (message != NULL)
    reason = g_strdup_printf (_("%s answered %u %s: %s"), w->host, status, phrase ? phrase : "", message);
  else if ((proxy = forwarding_proxy (w)) != NULL && SOUP_STATUS_IS_CLIENT_ERROR (status))
    {
      /* Through a proxy over plain http, without the events server's own
       * words: the proxy may have refused, or passed on the server's
       * refusal. Nothing in the answer tells which. */
      gboolean refused = status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN;

      if (*proxy == '\0')
        reason = g_strdup_printf (refused ?
                                  _("The proxy or the server %s refused the request (%u %s); "
                                    "the answer does not say which of the two sent it") :
                                  _("The proxy or the server %s answered %u %s; "
                                    "the answer does not say which of the two sent it"),
                                  w->host, status, phrase ? phrase : "");
      else
        reason = g_strdup_printf (refused ?
                                  _("The proxy %s or the server %s refused the request (%u %s); "
                                    "the answer does not say which of the two sent it") :
                                  _("The proxy %s or the server %s answered %u %s; "
                                    "the answer does not say which of the two sent it"),
                                  proxy, w->host, status, phrase ? phrase : "");
    }
  else
    reason = g_strdup_printf (_("%s answered %u %s"), w->host, status, phrase ? phrase : "");

  /* 503 and 429 say "not now" (pulse-events answers 503 while its broker
   * is away): retried, after Retry-After at the soonest. Another server
   * error may pass (a proxy while the server restarts); a client error
   * will not. */
  /* A server without the extension refuses a query with more than
   * `bindings` (docs/PROTOCOL.md 3): ask again, at once, without it. */
  if (status == SOUP_STATUS_BAD_REQUEST && w->resume_sent)
    {
      g_debug ("%s refused the resume parameter (%s): not asked again", w->host, reason);
      w->resume_unsupported = TRUE;
      g_clear_pointer (&w->resume_session, g_free);
      pi_stream_worker_end_attempt (w);
      pi_stream_worker_start_attempt (w);
      return;
    }

  /* A root URL whose events v1 worked before but is gone now. */
  if (status == SOUP_STATUS_NOT_FOUND && pi_stream_worker_try_next_protocol (w))
    return;

  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE || status == 429)
    {
      w->retry_after_msec = pi_stream_worker_parse_retry_after (soup_message_get_response_headers (w->message));
      pi_stream_worker_lost (w, reason, FAILURE_UNAVAILABLE);
    }
  else
    pi_stream_worker_lost (w, reason, SOUP_STATUS_IS_SERVER_ERROR (status) ? FAILURE_INITIAL : FAILURE_PERMANENT);
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
      pi_stream_worker_maybe_quit (w);
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

/* --- Worker: a proxy's refusal --------------------------------------------------- */

/*
 * An HTTP proxy answers CONNECT (a tunnel to an https or wss server)
 * itself: its 403 or 407 is not the deployment's, whose credentials cannot
 * help. GIO's proxy (the WebSocket's GSocketClient) reports it as a
 * G_IO_ERROR_PROXY_* error; libsoup (events v1) sets the CONNECT answer's
 * status on the message, which then has no TLS certificate: the server was
 * never reached. A 407 is a proxy's whatever the scheme: a server never
 * sends it.
 */
char *
pi_stream_worker_describe_proxy_refusal (PiStreamWorker *w,
                                         guint           status,
                                         const char     *phrase,
                                         FailureKind    *kind)
{
  if (phrase == NULL || *phrase == '\0')
    phrase = soup_status_get_phrase (status);

  *kind = FAILURE_PERMANENT;
  if (status == SOUP_STATUS_FORBIDDEN)
    return g_strdup_printf (_("The proxy refused to connect to %s (%u %s); the server itself was not reached"),
                            w->host, status, phrase ? phrase : "");
  if (status == SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED)
    return g_strdup_printf (_("The proxy asks for credentials of its own before it connects to %s (%u %s); "
                              "they go in the system's proxy settings"),
                            w->host, status, phrase ? phrase : "");

  /* A gateway error may pass. */
  *kind = FAILURE_INITIAL;
  return g_strdup_printf (_("The proxy could not connect to %s (%u %s)"), w->host, status, phrase ? phrase : "");
}

/* Did this answer come from the proxy, not the server? */
static gboolean
is_proxy_answer (PiStreamWorker *w,
                 guint           status)
{
  if (status == SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED)
    return TRUE;
  /* Only a proxy asks for its own credentials, whatever its status. */
  if (!SOUP_STATUS_IS_SUCCESSFUL (status) &&
      soup_message_headers_get_one (soup_message_get_response_headers (w->message), "Proxy-Authenticate") != NULL)
    return TRUE;
  return !SOUP_STATUS_IS_SUCCESSFUL (status) &&
         g_ascii_strcasecmp (g_uri_get_scheme (soup_message_get_uri (w->message)), "https") == 0 &&
         soup_message_get_tls_peer_certificate (w->message) == NULL;
}

/* --- Worker: sending ------------------------------------------------------------- */

char *
pi_stream_worker_describe_send_error (PiStreamWorker *w,
                     const GError   *error,
                     FailureKind    *kind)
{
  *kind = FAILURE_INITIAL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_strdup_printf (_("Could not connect to %s: connection refused"), w->host);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_NOT_ALLOWED))
    return pi_stream_worker_describe_proxy_refusal (w, SOUP_STATUS_FORBIDDEN, NULL, kind);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_NEED_AUTH) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_AUTH_FAILED))
    return pi_stream_worker_describe_proxy_refusal (w, SOUP_STATUS_PROXY_AUTHENTICATION_REQUIRED, NULL, kind);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PROXY_FAILED))
    return g_strdup_printf (_("The proxy could not connect to %s: %s"), w->host, error->message);

  if (error->domain == G_RESOLVER_ERROR)
    {
      const char *zone = strchr (g_uri_get_host (w->uri), '%');

      /* An IPv6 literal does not resolve: its zone id (RFC 6874) does not
       * name an interface here, or the address takes none by name (the C
       * library reads interface names for link-local addresses only). */
      if (zone != NULL && strchr (g_uri_get_host (w->uri), ':') != NULL)
        return g_strdup_printf (_("Could not connect to %s: “%s” is not a network interface of this "
                                  "computer, or the address takes no interface (only link-local "
                                  "addresses, fe80::…, do)"), w->host, zone + 1);
      return g_strdup_printf (_("Could not find the server %s: the name does not resolve"), w->host);
    }

  if (error->domain == G_TLS_ERROR)
    {
      *kind = FAILURE_PERMANENT;
      return g_strdup_printf (_("Could not make a secure connection to %s: %s"), w->host, error->message);
    }

  return g_strdup_printf (_("Could not connect to %s: %s"), w->host, error->message);
}

void
pi_stream_worker_send_cb (GObject      *object,
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
      pi_stream_worker_maybe_quit (w);
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
        reason = pi_stream_worker_describe_send_error (w, error, &kind);

      pi_stream_worker_lost (w, reason, kind);
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

      pi_stream_worker_lost (w, reason, FAILURE_RETRY);
      return;
    }

  if (is_proxy_answer (w, status))
    {
      g_autofree char *reason = NULL;
      FailureKind kind;

      reason = pi_stream_worker_describe_proxy_refusal (w, status, soup_message_get_reason_phrase (w->message), &kind);
      pi_stream_worker_lost (w, reason, kind);
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
      pi_stream_worker_lost (w, reason, FAILURE_PERMANENT);
      return;
    }

  if (w->raw)
    {
      /* Any SSE server works in raw mode: live as soon as it answers. */
      w->live = TRUE;
      w->ever_live = TRUE;
      w->unbound_failures = 0;
      w->backoff_step = 0;
      pi_stream_worker_post_state (w, PI_STREAM_STATE_LIVE, NULL, 0);
    }
  else
    pi_stream_worker_post_state (w, PI_STREAM_STATE_WAITING_FOR_READY, NULL, 0);

  pi_stream_worker_start_read (w);
}
