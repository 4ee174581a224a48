/* pi-amqp-words.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pi-amqp"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include "pi-amqp-private.h"

/* What went wrong, in words: the broker's replies, librabbitmq's statuses,
 * why a connection or a TLS handshake failed (found out by trying once
 * more, see the probes), and what a refusal means for the user. */

/* --- describing failures -------------------------------------------------- */

static const char *
reply_code_name (int code)
{
  switch (code)
    {
    case 311: return "CONTENT-TOO-LARGE";
    case 313: return "NO-CONSUMERS";
    case 320: return "CONNECTION-FORCED";
    case 402: return "INVALID-PATH";
    case 403: return "ACCESS-REFUSED";
    case 404: return "NOT-FOUND";
    case 405: return "RESOURCE-LOCKED";
    case 406: return "PRECONDITION-FAILED";
    case 501: return "FRAME-ERROR";
    case 502: return "SYNTAX-ERROR";
    case 503: return "COMMAND-INVALID";
    case 504: return "CHANNEL-ERROR";
    case 505: return "UNEXPECTED-FRAME";
    case 506: return "RESOURCE-ERROR";
    case 530: return "NOT-ALLOWED";
    case 540: return "NOT-IMPLEMENTED";
    case 541: return "INTERNAL-ERROR";
    default:  return "UNKNOWN";
    }
}

/* The wording of the original service (its AMQP library): it carries both
 * the code ("404") and the broker's own text ("NOT_FOUND - no exchange ..."). */
static char *
describe_close (const char *what,
                int         code,
                amqp_bytes_t text)
{
  return g_strdup_printf ("%s closed by server: %d (%s) with message \"%.*s\"",
                          what, code, reply_code_name (code),
                          (int) text.len, (const char *) text.bytes);
}

char *
pi_amqp_describe_method (amqp_method_t *method)
{
  if (method->id == AMQP_CHANNEL_CLOSE_METHOD)
    {
      amqp_channel_close_t *close = method->decoded;
      return describe_close ("Channel", close->reply_code, close->reply_text);
    }
  if (method->id == AMQP_CONNECTION_CLOSE_METHOD)
    {
      amqp_connection_close_t *close = method->decoded;
      return describe_close ("Connection", close->reply_code, close->reply_text);
    }

  return g_strdup_printf ("Unexpected reply from the broker (method 0x%08x)", method->id);
}

char *
pi_amqp_describe_reply (amqp_rpc_reply_t reply)
{
  switch (reply.reply_type)
    {
    case AMQP_RESPONSE_NORMAL:
      return g_strdup ("No error");
    case AMQP_RESPONSE_NONE:
      return g_strdup ("No reply from the broker");
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return g_strdup (amqp_error_string2 (reply.library_error));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      return pi_amqp_describe_method (&reply.reply);
    default:
      return g_strdup ("Unknown error");
    }
}

/* For a librabbitmq call that failed reading or writing its socket: with
 * errno cleared before the call, a socket error leaves the errno of the
 * read or write that failed ("Connection reset by peer"), which says more
 * than librabbitmq's "a socket error occurred". Not for
 * amqp_socket_open_noblock(): its connect() error stays inside librabbitmq
 * and errno is left at EINPROGRESS, meaningless (see pi_amqp_probe_connect_error()). */
char *
pi_amqp_describe_status (int status)
{
  int saved_errno = errno;

  /* "a socket error occurred" alone does not say "connection refused". */
  if (status == AMQP_STATUS_SOCKET_ERROR && saved_errno != 0)
    return g_strdup (g_strerror (saved_errno));

  return g_strdup (amqp_error_string2 (status));
}

/* librabbitmq connects without blocking and keeps the socket's own error
 * (SO_ERROR) to itself, leaving errno at EINPROGRESS: "Operation now in
 * progress" for a refused connection. To say why the broker could not be
 * reached, try the TCP connection once more, briefly, and read the error
 * the kernel gives. Returns NULL if that connection succeeds.
 *
 * This blocks the I/O thread for up to PROBE_TIMEOUT_MS per address of the
 * host, and opens one more TCP connection to a broker that just failed one
 * (closed at once, before any AMQP). Both are acceptable: it runs once per
 * failed attempt, at the backoff's pace, on the broker's own thread, which
 * has no connection to serve meanwhile (the HTTP side never waits on it);
 * a refused connection answers at once, and the full 2 s is only spent on
 * an address that did not answer, after librabbitmq already waited up to
 * CONNECT_TIMEOUT_S for it. A shutdown meanwhile waits as long. */
char *
pi_amqp_probe_connect_error (const char *host,
                             int         port)
{
  struct addrinfo hints = { 0 };
  struct addrinfo *addresses = NULL;
  char service[16];
  int last_errno = 0;
  int status;

  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  g_snprintf (service, sizeof service, "%d", port);

  if ((status = getaddrinfo (host, service, &hints, &addresses)) != 0)
    return g_strdup (gai_strerror (status));

  for (struct addrinfo *ai = addresses; ai != NULL; ai = ai->ai_next)
    {
      int fd = socket (ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);

      if (fd < 0)
        {
          last_errno = errno;
          continue;
        }

      if (connect (fd, ai->ai_addr, ai->ai_addrlen) == 0)
        last_errno = 0;
      else if (errno != EINPROGRESS)
        last_errno = errno;
      else
        {
          struct pollfd pfd = { fd, POLLOUT, 0 };
          int ready;

          do
            ready = poll (&pfd, 1, PROBE_TIMEOUT_MS);
          while (ready < 0 && errno == EINTR);

          if (ready == 0)
            last_errno = ETIMEDOUT;
          else if (ready < 0)
            last_errno = errno;
          else
            {
              int so_error = 0;
              socklen_t len = sizeof so_error;

              last_errno = getsockopt (fd, SOL_SOCKET, SO_ERROR, &so_error, &len) < 0 ? errno : so_error;
            }
        }

      close (fd);
      if (last_errno == 0)
        break;
    }

  freeaddrinfo (addresses);

  return last_errno != 0 ? g_strdup (g_strerror (last_errno)) : NULL;
}

/* --- TLS failures in words -------------------------------------------------- */

typedef struct
{
  GTlsCertificateFlags  errors;
  GTlsDatabase         *database;
} TlsProbe;

static gboolean
probe_accept_certificate_cb (GTlsConnection       *connection,
                             GTlsCertificate      *certificate,
                             GTlsCertificateFlags  errors,
                             gpointer              user_data)
{
  TlsProbe *probe = user_data;

  probe->errors |= errors;
  return FALSE;
}

static void
probe_event_cb (GSocketClient      *client,
                GSocketClientEvent  event,
                GSocketConnectable *connectable,
                GIOStream          *connection,
                gpointer            user_data)
{
  TlsProbe *probe = user_data;

  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING)
    return;

  if (probe->database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), probe->database);
  g_signal_connect (connection, "accept-certificate", G_CALLBACK (probe_accept_certificate_cb), probe);
}

/* librabbitmq says only "peer verification failed". To tell the user which
 * of the certificate's faults it was, shake hands once more with GIO's TLS,
 * against the same authorities, and read the flags it reports. Returns NULL
 * when that cannot say (no TLS backend, or its handshake succeeds). */
static char *
probe_tls_error (const PiAmqpAddress *address,
                 const char          *cacert)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) faults = NULL;
  TlsProbe probe = { 0 };

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    return NULL;

  if (cacert != NULL)
    {
      probe.database = g_tls_file_database_new (cacert, NULL);
      if (probe.database == NULL)
        return NULL;
    }

  client = g_socket_client_new ();
  g_socket_client_set_tls (client, TRUE);
  /* librabbitmq connects directly: so does its stand-in. */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, PROBE_TIMEOUT_MS / 1000);
  g_signal_connect (client, "event", G_CALLBACK (probe_event_cb), &probe);
  connection = g_socket_client_connect_to_host (client, address->host, address->port, NULL, &error);
  g_clear_object (&probe.database);
  if (connection != NULL)
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  if (probe.errors == 0)
    return NULL;

  faults = g_ptr_array_new_with_free_func (g_free);
  if (probe.errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    g_ptr_array_add (faults, g_strdup_printf (_("is not for host “%s”"), address->host));
  if (probe.errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    g_ptr_array_add (faults, g_strdup (_("is not signed by an authority this computer trusts")));
  if (probe.errors & G_TLS_CERTIFICATE_EXPIRED)
    g_ptr_array_add (faults, g_strdup (_("has expired")));
  if (probe.errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    g_ptr_array_add (faults, g_strdup (_("is not valid yet")));
  if (probe.errors & G_TLS_CERTIFICATE_REVOKED)
    g_ptr_array_add (faults, g_strdup (_("has been revoked")));
  if (probe.errors & G_TLS_CERTIFICATE_INSECURE)
    g_ptr_array_add (faults, g_strdup (_("uses an insecure algorithm")));
  if (faults->len == 0)
    return NULL;
  g_ptr_array_add (faults, NULL);

  {
    g_autofree char *joined = g_strjoinv (_(" and "), (char **) faults->pdata);
    return g_strdup_printf (_("the broker's certificate %s"), joined);
  }
}

/* Sets *@certificate_fault when the broker's certificate was refused (a
 * verdict that another attempt would only repeat); any other failure of the
 * handshake (the peer reset or closed it: a broker restarting, a blip, a
 * plain port) is worth retrying. rabbitmq-c reports the certificate's
 * verdict as SSL_PEER_VERIFY_FAILED or SSL_HOSTNAME_VERIFY_FAILED; for
 * SSL_CONNECTION_FAILED, GIO's probe tells whether the certificate was at
 * fault. */
char *
pi_amqp_describe_tls_failure (const PiAmqpAddress *address,
                              int                  status,
                              const char          *cacert,
                              gboolean            *certificate_fault)
{
  g_autofree char *probed = NULL;
  g_autofree char *why = NULL;

  if (status == AMQP_STATUS_SSL_PEER_VERIFY_FAILED || status == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED ||
      status == AMQP_STATUS_SSL_CONNECTION_FAILED)
    probed = probe_tls_error (address, cacert);

  *certificate_fault = probed != NULL ||
                       status == AMQP_STATUS_SSL_PEER_VERIFY_FAILED ||
                       status == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED;

  if (probed != NULL)
    why = g_steal_pointer (&probed);
  else if (status == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED)
    why = g_strdup_printf (_("the broker's certificate is not for host “%s”"), address->host);
  else if (status == AMQP_STATUS_SSL_PEER_VERIFY_FAILED)
    why = g_strdup_printf (_("the broker's certificate could not be verified: it is not for host “%s”, "
                           "or not signed by an authority this computer trusts"), address->host);
  else
    why = g_strdup_printf (_("the TLS handshake failed (%s); is this port for amqps://?"),
                           amqp_error_string2 (status));

  return g_strdup_printf (_("Could not connect securely to the broker at %s:%d: %s"),
                          address->host, address->port, why);
}

gboolean
pi_amqp_status_is_tls_failure (int status)
{
  return status == AMQP_STATUS_SSL_ERROR ||
         status == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED ||
         status == AMQP_STATUS_SSL_PEER_VERIFY_FAILED ||
         status == AMQP_STATUS_SSL_CONNECTION_FAILED;
}

/* --- refusals in words -------------------------------------------------------- */

/* What the broker's refusal of @step means for the user, and what to do;
 * @message is the broker's own text, kept at the end for the curious. */
char *
pi_amqp_explain_refusal (const char *user,
                         Step        step,
                         const char *name,
                         const char *exchange,
                         int         code,
                         const char *message,
                         const char *raw)
{
  g_autofree char *said = message != NULL ? g_strdup_printf (_(" (the broker said: %s)"), message) : g_strdup ("");

  switch (step)
    {
    case STEP_QUEUE:
    case STEP_DROPPED_QUEUE:
      if (code == AMQP_ACCESS_REFUSED && name == NULL)
        return g_strdup_printf (_("The broker does not let user “%s” create a queue with a name of its choosing%s. "
                                "On Mozilla Pulse queues must be named queue/%s/…"),
                                user, said, user);
      if (code == AMQP_ACCESS_REFUSED)
        return g_strdup_printf (_("The broker does not let user “%s” create the queue “%s”%s. "
                                "On Mozilla Pulse queues must be named queue/%s/…"),
                                user, name, said, user);
      if (code == AMQP_PRECONDITION_FAILED)
        return g_strdup_printf (_("A queue named “%s” already exists with other settings%s: choose another name"),
                                name, said);
      if (code == AMQP_RESOURCE_LOCKED)
        return g_strdup_printf (_("The queue “%s” is in use by another connection%s: choose another name"),
                                name, said);
      break;

    case STEP_DROPPED_EXCHANGE:
      if (code == AMQP_ACCESS_REFUSED)
        return g_strdup_printf (_("The broker does not let user “%s” create the exchange “%s” that counts "
                                "the messages it drops%s. On Mozilla Pulse exchanges must be named exchange/%s/…"),
                                user, name, said, user);
      if (code == AMQP_PRECONDITION_FAILED)
        return g_strdup_printf (_("An exchange named “%s” already exists with other settings%s"), name, said);
      break;

    case STEP_BIND:
      if (code == AMQP_NOT_FOUND)
        return g_strdup_printf (_("The exchange “%s” does not exist on this broker%s: check its name"), exchange, said);
      if (code == AMQP_ACCESS_REFUSED)
        return g_strdup_printf (_("User “%s” may not read from the exchange “%s”%s: check the exchange's name, "
                                "or ask the broker's operator for read permission"), user, exchange, said);
      break;

    case STEP_CHANNEL:
    case STEP_QOS:
    case STEP_CONSUME:
    default:
      break;
    }

  return g_strdup_printf (_("The broker refused the subscription: %s"), raw);
}
