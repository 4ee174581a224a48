/* pi-amqp-io.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rabbitmq-c/amqp.h>
#include <rabbitmq-c/ssl_socket.h>
#include <rabbitmq-c/tcp_socket.h>

#include <gio/gio.h>

#include "pi-amqp-private.h"

/* The I/O thread: the RabbitMQ connection, its login and reconnection (the
 * subscriptions' channels and the frames read are in pi-amqp-channel.c). Only
 * this thread touches the librabbitmq connection. */

/* --- the connection -------------------------------------------------------- */

/* Classifies the reply of the last RPC on @channel. On a channel error the
 * broker has closed the channel: acknowledge it so the id can be used again. */
RpcResult
pi_amqp_io_check_rpc (Io              *io,
                      amqp_channel_t   channel,
                      char           **text,
                      int             *code,
                      char           **message)
{
  amqp_rpc_reply_t reply = amqp_get_rpc_reply (io->conn);

  if (code != NULL)
    *code = 0;
  if (reply.reply_type == AMQP_RESPONSE_NORMAL)
    return RPC_OK;

  *text = pi_amqp_describe_reply (reply);
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
    {
      amqp_channel_close_t *close = reply.reply.decoded;

      if (code != NULL)
        *code = close->reply_code;
      if (message != NULL)
        *message = g_strndup (close->reply_text.bytes, close->reply_text.len);
    }
  else if (code != NULL && reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
           reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
    {
      *code = ((amqp_connection_close_t *) reply.reply.decoded)->reply_code;
    }

  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
    {
      amqp_channel_close_ok_t close_ok = { 0 };

      if (amqp_send_method (io->conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok) != AMQP_STATUS_OK)
        return RPC_CONNECTION_LOST;
      return RPC_CHANNEL_CLOSED;
    }

  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
    {
      amqp_connection_close_ok_t close_ok = { 0 };

      amqp_send_method (io->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
    }

  return RPC_CONNECTION_LOST;
}

/* Lets the client shut the socket down when it goes; done at once if it
 * already has. */
static void
io_publish_socket (Io  *io,
                   int  fd)
{
  g_mutex_lock (&io->lock);
  io->sockfd = fd;
  if (fd >= 0 && io->quit)
    shutdown (fd, SHUT_RD);
  g_mutex_unlock (&io->lock);
}

static void
io_disconnect (Io       *io,
               gboolean  polite)
{
  if (io->conn == NULL)
    return;

  /* Before the socket is closed: its number may be reused. */
  io_publish_socket (io, -1);

  if (polite)
    amqp_connection_close (io->conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection (io->conn);
  io->conn = NULL;
}

gboolean
pi_amqp_io_open_control_channel (Io    *io,
                                 char **error)
{
  amqp_channel_open (io->conn, CONTROL_CHANNEL);
  return pi_amqp_io_check_rpc (io, CONTROL_CHANNEL, error, NULL, NULL) == RPC_OK;
}

/* --- connecting ------------------------------------------------------------- */

typedef enum
{
  CONNECT_OK,
  CONNECT_TRANSIENT,     /* retry with backoff */
  CONNECT_REFUSED,       /* do not retry: *failure says why */
} ConnectResult;

static ConnectResult
io_connect (Io             *io,
            char          **error,
            PiAmqpFailure  *failure)
{
  const PiAmqpAddress *address = io->address;
  struct timeval connect_timeout = { CONNECT_TIMEOUT_S, 0 };
  struct timeval rpc_timeout = { RPC_TIMEOUT_S, 0 };
  amqp_table_entry_t capabilities[2];
  amqp_table_entry_t entries[2];
  amqp_table_t properties;
  const char *cacert = NULL;
  amqp_socket_t *socket;
  amqp_rpc_reply_t reply;
  int status;

  g_assert (io->conn == NULL);

  io->conn = amqp_new_connection ();
  if (address->tls)
    {
      socket = amqp_ssl_socket_new (io->conn);
      if (socket == NULL)
        {
          *error = g_strdup (_("Could not create a TLS socket"));
          io_disconnect (io, FALSE);
          return CONNECT_TRANSIENT;
        }
      /* The authorities SSL_CERT_FILE names, or else OpenSSL's own
       * (wherever the distribution keeps them, and SSL_CERT_DIR's). */
      cacert = g_getenv ("SSL_CERT_FILE");
      if (cacert != NULL && *cacert == '\0')
        cacert = NULL;
      if (cacert != NULL && amqp_ssl_socket_set_cacert (socket, cacert) != AMQP_STATUS_OK)
        {
          *error = g_strdup_printf (_("Could not read the certificate authorities in %s"), cacert);
          *failure = PI_AMQP_FAILURE_TLS;
          io_disconnect (io, FALSE);
          return CONNECT_REFUSED;
        }
      if (cacert == NULL && amqp_ssl_socket_enable_default_verify_paths (socket) != AMQP_STATUS_OK)
        {
          *error = g_strdup (_("Could not read this computer's certificate authorities"));
          *failure = PI_AMQP_FAILURE_TLS;
          io_disconnect (io, FALSE);
          return CONNECT_REFUSED;
        }
      amqp_ssl_socket_set_verify_peer (socket, TRUE);
      amqp_ssl_socket_set_verify_hostname (socket, TRUE);
    }
  else
    {
      socket = amqp_tcp_socket_new (io->conn);
    }

  if (socket == NULL)
    {
      *error = g_strdup (_("Could not create a socket"));
      io_disconnect (io, FALSE);
      return CONNECT_TRANSIENT;
    }

  status = amqp_socket_open_noblock (socket, address->host, address->port, &connect_timeout);
  if (status != AMQP_STATUS_OK)
    {
      g_autofree char *text = NULL;

      io_disconnect (io, FALSE);
      if (address->tls && pi_amqp_status_is_tls_failure (status))
        {
          gboolean certificate_fault = FALSE;

          /* The probe takes a while: not for a client that is going. */
          if (pi_amqp_io_should_quit (io))
            {
              *error = g_strdup (amqp_error_string2 (status));
              return CONNECT_TRANSIENT;
            }

          *error = pi_amqp_describe_tls_failure (address, status, cacert, &certificate_fault);
          /* Only the certificate's verdict is final: a handshake the peer
           * cut short (a broker restarting) is tried again. */
          if (!certificate_fault)
            return CONNECT_TRANSIENT;
          *failure = PI_AMQP_FAILURE_TLS;
          return CONNECT_REFUSED;
        }

      /* errno says nothing here (see pi_amqp_probe_connect_error). */
      if (status == AMQP_STATUS_SOCKET_ERROR && !pi_amqp_io_should_quit (io))
        text = pi_amqp_probe_connect_error (address->host, address->port);
      if (text == NULL)
        text = g_strdup (amqp_error_string2 (status));

      *error = g_strdup_printf (_("Could not connect to the broker at %s:%d: %s"), address->host, address->port, text);
      return CONNECT_TRANSIENT;
    }

  io_publish_socket (io, amqp_get_sockfd (io->conn));

  amqp_set_handshake_timeout (io->conn, &connect_timeout);
  amqp_set_rpc_timeout (io->conn, &rpc_timeout);

  /* Without consumer_cancel_notify the broker drops the consumer of a
   * deleted queue silently, and the stream would wait forever. With
   * authentication_failure_close a refused login is a connection.close
   * that says so, not a socket closed without a word. */
  capabilities[0].key = amqp_cstring_bytes ("consumer_cancel_notify");
  capabilities[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capabilities[0].value.value.boolean = TRUE;
  capabilities[1].key = amqp_cstring_bytes ("authentication_failure_close");
  capabilities[1].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capabilities[1].value.value.boolean = TRUE;
  entries[0].key = amqp_cstring_bytes ("capabilities");
  entries[0].value.kind = AMQP_FIELD_KIND_TABLE;
  entries[0].value.value.table.num_entries = 2;
  entries[0].value.value.table.entries = capabilities;
  entries[1].key = amqp_cstring_bytes ("product");
  entries[1].value.kind = AMQP_FIELD_KIND_UTF8;
  entries[1].value.value.bytes = amqp_cstring_bytes (io->product != NULL ? io->product : "pulse-inspector");
  properties.num_entries = 2;
  properties.entries = entries;

  /* channel_max 0: take what the broker offers (2047 on RabbitMQ). */
  reply = amqp_login_with_properties (io->conn, address->vhost, io->channel_max_asked, FRAME_MAX, io->heartbeat,
                                      &properties, AMQP_SASL_METHOD_PLAIN, address->user,
                                      address->password != NULL ? address->password : "");
  if (reply.reply_type != AMQP_RESPONSE_NORMAL)
    {
      g_autofree char *text = pi_amqp_describe_reply (reply);
      g_autofree char *said = NULL;
      int code = 0;

      if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
        {
          amqp_connection_close_t *close = reply.reply.decoded;

          code = close->reply_code;
          said = g_strdup_printf (_("the broker said: %.*s"), (int) close->reply_text.len,
                                  (const char *) close->reply_text.bytes);
        }
      io_disconnect (io, FALSE);

      if (code == AMQP_ACCESS_REFUSED)
        {
          *error = g_strdup_printf (_("The broker at %s:%d refused the login of user “%s”: "
                                    "check the user name and password (%s)"),
                                    address->host, address->port, address->user, said);
          *failure = PI_AMQP_FAILURE_CREDENTIALS;
          return CONNECT_REFUSED;
        }
      if (code == AMQP_NOT_ALLOWED)
        {
          *error = g_strdup_printf (_("The broker at %s:%d does not let user “%s” use the virtual host “%s”: "
                                    "check the address's virtual host, or ask the broker's operator (%s)"),
                                    address->host, address->port, address->user, address->vhost, said);
          *failure = PI_AMQP_FAILURE_REFUSED;
          return CONNECT_REFUSED;
        }

      *error = g_strdup_printf (_("Could not log in to the broker at %s:%d as %s: %s"),
                                address->host, address->port, address->user, text);
      return CONNECT_TRANSIENT;
    }

  io->channel_max = amqp_get_channel_max (io->conn);
  if (io->channel_max <= 0 || io->channel_max > 65535)
    io->channel_max = 65535;
  g_atomic_int_set (&io->channel_max_known, io->channel_max);
  io->next_channel = CONTROL_CHANNEL + 1;

  if (!pi_amqp_io_open_control_channel (io, error))
    {
      io_disconnect (io, FALSE);
      return CONNECT_TRANSIENT;
    }

  return CONNECT_OK;
}

/* While there is no connection, requests are answered at once rather than
 * left waiting for a broker that may not come back soon. */
static void
io_refuse_requests (Io *io)
{
  Request *request;

  while ((request = pi_amqp_io_pop_request (io)))
    {
      if (request->kind == REQUEST_SUBSCRIBE && !pi_amqp_subscription_is_cancelled (request->sub))
        {
          PiAmqpFailure failure;
          char *reason;

          g_mutex_lock (&io->lock);
          reason = g_strdup (io->unavailable_reason ? io->unavailable_reason : _("Not connected to the broker"));
          failure = g_atomic_int_get (&io->io_state) == PI_AMQP_CLIENT_FAILED ? io->failure : PI_AMQP_FAILURE_LOST;
          g_mutex_unlock (&io->lock);
          pi_amqp_io_fail (io, request->sub, failure, reason);
        }
      pi_amqp_request_free (request);
    }
}

/* Serves one connection until it is lost (returns why) or the client is
 * disposed (returns NULL). */
static char *
io_serve (Io *io)
{
  /* A tiny, non-zero timeout: librabbitmq then still sends heartbeats and
   * notices a silent broker, which a zero timeout would skip. */
  struct timeval tiny = { 0, 1 };
  gint64 ran_dry_at = 0;
  gint64 heartbeat_sent_at = 0;
  char *error = NULL;

  for (;;)
    {
      struct pollfd fds[2];
      guint n_frames = 0;
      gboolean paused;

      /* Deliveries read so far must not wait for the round trips of a
       * subscription being set up. */
      pi_amqp_io_flush (io);
      /* Going: the subscriptions go with the connection. */
      if (pi_amqp_io_should_quit (io))
        return NULL;
      if (!pi_amqp_io_process_requests (io, &error))
        return error;

      for (;;)
        {
          amqp_frame_t frame;
          int status;

          if (n_frames == 0 && pi_amqp_io_reading_paused (io))
            break;

          errno = 0;
          status = amqp_simple_wait_frame_noblock (io->conn, &frame, &tiny);
          if (status == AMQP_STATUS_TIMEOUT)
            break;
          if (status != AMQP_STATUS_OK)
            return pi_amqp_describe_status (status);

          if (!pi_amqp_io_handle_frame (io, &frame, &error))
            return error;
          amqp_maybe_release_buffers_on_channel (io->conn, frame.channel);

          /* Under a flood, still let subscribe/unsubscribe through, and
           * stop when the main context falls behind. */
          if (++n_frames % FRAMES_PER_TURN == 0 &&
              (pi_amqp_io_has_requests (io) || pi_amqp_io_reading_paused (io)))
            break;
        }

      paused = pi_amqp_io_reading_paused (io);
      if (!paused &&
          (amqp_frames_enqueued (io->conn) || amqp_data_in_buffer (io->conn) || pi_amqp_io_has_requests (io)))
        continue;

      /* Nothing more to read for now: hand over what was read. */
      pi_amqp_io_flush (io);
      ran_dry_at = g_get_monotonic_time ();

      /* librabbitmq sends heartbeats only while it is asked for frames:
       * while reading is paused, they are sent here, or the broker would
       * close a connection that is only waiting for its caller. */
      if (paused && io->heartbeat > 0 &&
          ran_dry_at - heartbeat_sent_at >= (gint64) io->heartbeat * G_USEC_PER_SEC / 2)
        {
          amqp_frame_t heartbeat = { 0 };
          int status;

          heartbeat.frame_type = AMQP_FRAME_HEARTBEAT;
          heartbeat.channel = 0;
          status = amqp_send_frame (io->conn, &heartbeat);
          if (status != AMQP_STATUS_OK)
            return pi_amqp_describe_status (status);
          heartbeat_sent_at = ran_dry_at;
        }

      /* While paused, only a wake-up (requests, or the main context caught
       * up) ends the wait. */
      fds[0].fd = paused ? -1 : amqp_get_sockfd (io->conn);
      fds[0].events = POLLIN;
      fds[0].revents = 0;
      fds[1].fd = io->wake_fds[0];
      fds[1].events = POLLIN;
      fds[1].revents = 0;

      if (poll (fds, 2, paused && io->heartbeat > 0 ? MIN (POLL_INTERVAL_MS, io->heartbeat * 500) : POLL_INTERVAL_MS) < 0 &&
          errno != EINTR)
        return g_strdup_printf ("poll() failed: %s", g_strerror (errno));

      if (fds[1].revents & POLLIN)
        {
          pi_amqp_io_drain_wake (io);
        }
      else if (fds[0].revents & POLLIN)
        {
          /* The broker writes each delivery as it goes, so a reader that
           * wakes for every one reads ~1 KiB per recv(). Letting a burst
           * gather for up to READ_GATHER_US costs less latency than the
           * dispatch delay that follows anyway, and cuts the wake-ups to a
           * few hundred a second. Requests still end the wait at once. */
          gint64 wait = ran_dry_at + READ_GATHER_US - g_get_monotonic_time ();

          if (wait > 0)
            {
              struct pollfd wake = { io->wake_fds[0], POLLIN, 0 };

              if (poll (&wake, 1, (int) ((wait + 999) / 1000)) > 0)
                pi_amqp_io_drain_wake (io);
            }
        }
    }
}

/* What the caller is told (the server: with a 503) until the connection is
 * back; @backoff_ms 0: no next attempt. */
static void
io_set_unavailable (Io            *io,
                    const char    *reason,
                    PiAmqpFailure  failure,
                    guint          backoff_ms)
{
  g_mutex_lock (&io->lock);
  g_free (io->unavailable_reason);
  io->unavailable_reason = g_strdup (reason);
  io->failure = failure;
  io->next_attempt_at = backoff_ms > 0 ? g_get_monotonic_time () + (gint64) backoff_ms * 1000 : 0;
  g_mutex_unlock (&io->lock);
}

static void
io_fail_all (Io         *io,
             const char *text)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, io->subs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PiAmqpSubscription *sub = value;

      /* A subscription is in the table once per channel it holds: fail it
       * once. */
      if (sub->channel != 0 || sub->dropped_channel != 0)
        {
          sub->channel = 0;
          sub->dropped_channel = 0;
          if (!pi_amqp_subscription_is_cancelled (sub))
            pi_amqp_io_fail (io, sub, PI_AMQP_FAILURE_LOST, g_strdup (text));
        }
      g_hash_table_iter_remove (&iter);
    }
}

/* Sleeps @ms (for ever if 0) unless the client is disposed, refusing
 * subscriptions meanwhile. */
static void
io_backoff (Io    *io,
            guint  ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  for (;;)
    {
      struct pollfd fd = { io->wake_fds[0], POLLIN, 0 };
      gint64 left = deadline - g_get_monotonic_time ();

      io_refuse_requests (io);
      if ((ms > 0 && left <= 0) || pi_amqp_io_should_quit (io))
        return;

      if (poll (&fd, 1, ms > 0 ? (int) ((left + 999) / 1000) : -1) > 0)
        pi_amqp_io_drain_wake (io);
    }
}

gpointer
pi_amqp_io_thread (gpointer data)
{
  Io *io = data;
  guint backoff_ms = 0;
  sigset_t sigpipe;

  /* A write to a broker that went away must give EPIPE, not kill the
   * process, whatever the program does with SIGPIPE and whichever write
   * path (TCP or TLS) librabbitmq takes. */
  sigemptyset (&sigpipe);
  sigaddset (&sigpipe, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &sigpipe, NULL);

  while (!pi_amqp_io_should_quit (io))
    {
      g_autofree char *error = NULL;
      PiAmqpFailure failure = PI_AMQP_FAILURE_LOST;
      ConnectResult result;

      if (backoff_ms > 0)
        {
          io_backoff (io, backoff_ms);
          if (pi_amqp_io_should_quit (io))
            break;
        }

      result = io_connect (io, &error, &failure);
      if (pi_amqp_io_should_quit (io))
        break;
      if (result == CONNECT_REFUSED)
        {
          /* Trying again would only be refused again (and a refused login,
           * repeated, may lock the account): wait for the caller to make a
           * client with other settings. */
          io_set_unavailable (io, error, failure, 0);
          pi_amqp_io_emit_state (io, PI_AMQP_CLIENT_FAILED);
          g_message ("%s", error);
          io_refuse_requests (io);
          pi_amqp_io_flush (io);
          io_backoff (io, 0);
          break;
        }
      if (result == CONNECT_TRANSIENT)
        {
          backoff_ms = backoff_ms == 0 ? BACKOFF_FIRST_MS : MIN (backoff_ms * 2, BACKOFF_MAX_MS);
          /* What the 503s and /ping say is in place before the log line
           * that tells of it: a reader of the log may ask right away. */
          io_set_unavailable (io, error, PI_AMQP_FAILURE_LOST, backoff_ms);
          pi_amqp_io_emit_state (io, PI_AMQP_CLIENT_RECONNECTING);
          g_message ("%s; retrying in %.1f s", error, backoff_ms / 1000.0);
          /* Whoever asked during the attempt learns at once that it failed. */
          io_refuse_requests (io);
          continue;
        }

      pi_amqp_io_emit_state (io, PI_AMQP_CLIENT_CONNECTED);
      g_message ("Connected to the broker at %s:%d", io->address->host, io->address->port);
      backoff_ms = 0;

      error = io_serve (io);
      /* A read cut short by the client going is no loss to tell of. */
      if (error == NULL || pi_amqp_io_should_quit (io))
        break;

      {
        g_autofree char *text = g_strdup_printf (_("Lost the connection to the broker: %s"), error);

        io_set_unavailable (io, text, PI_AMQP_FAILURE_LOST, BACKOFF_FIRST_MS);
        pi_amqp_io_emit_state (io, PI_AMQP_CLIENT_RECONNECTING);
        g_message ("%s", text);
        io_fail_all (io, text);
      }
      io_disconnect (io, FALSE);
      backoff_ms = BACKOFF_FIRST_MS;
    }

  g_hash_table_remove_all (io->subs);
  io_disconnect (io, TRUE);

  g_mutex_lock (&io->lock);
  io->thread_done = TRUE;
  g_cond_signal (&io->done_cond);
  g_mutex_unlock (&io->lock);
  pi_amqp_io_unref (io);

  return NULL;
}
