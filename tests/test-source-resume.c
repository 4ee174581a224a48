/* test-source-resume.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/*
 * Resuming after a short disconnect (docs/PROTOCOL.md 7), end to end: a
 * real pulse-events with its embedded exchange, a PiSource reading it
 * through a relay whose connections the test cuts (a reset, as a dead
 * network gives), and messages published while the client is away.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "pi-binding.h"
#include "pi-kill-proxy.h"
#include "pi-message.h"
#include "pi-source.h"

#define EXCHANGE "exchange/test/v1/resume"

typedef struct
{
  GSubprocess *process;
  guint16      port;
} Server;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static Server *
server_start (const char *first_arg,
              ...)
{
  const char *binary = g_getenv ("PULSE_EVENTS");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *prefix = "Listening on http://127.0.0.1:";
  Server *server = g_new0 (Server, 1);
  va_list args;

  g_ptr_array_add (argv, (char *) binary);
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, prefix));
  server->port = (guint16) g_ascii_strtoull (line + strlen (prefix), NULL, 10);

  return server;
}

static void
server_stop (Server *server)
{
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, NULL);
  g_object_unref (server->process);
  g_free (server);
}

/* Messages k.FROM … k.TO, in one request, straight to the server. */
static void
publish_range (Server *server,
               guint   from,
               guint   to)
{
  g_autoptr(GString) body = g_string_new ("[");
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  char answer[4096];
  gssize n;

  for (guint i = from; i <= to; i++)
    g_string_append_printf (body, "%s{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"k.%u\",\"payload\":{\"n\":%u}}",
                            i > from ? "," : "", i, i);
  g_string_append_c (body, ']');
  g_string_append_printf (request, "POST /api/events/v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Connection: close\r\nContent-Type: application/json\r\n"
                                   "Content-Length: %zu\r\n\r\n%s", body->len, body->str);

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request->str, request->len, NULL, NULL, &error);
  g_assert_no_error (error);
  n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                           answer, sizeof answer - 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >, 12);
  answer[n] = '\0';
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200 "));
}

typedef struct
{
  PiSource  *source;
  GPtrArray *messages;  /* of PiMessage, gaps included */
} Watch;

static gpointer
copy_object (gconstpointer src,
             gpointer      data)
{
  return g_object_ref ((gpointer) src);
}

static void
on_messages (PiSource  *source,
             GPtrArray *batch,
             Watch     *watch)
{
  g_ptr_array_extend (watch->messages, batch, copy_object, NULL);
}

static Watch *
watch_start (guint16 port)
{
  Watch *watch = g_new0 (Watch, 1);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/events/v1", port);
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (bindings, pi_binding_new (EXCHANGE, "k.*"));
  watch->source = pi_source_new ();
  watch->messages = g_ptr_array_new_with_free_func (g_object_unref);
  pi_source_set_server_url (watch->source, url);
  pi_source_set_bindings (watch->source, bindings);
  g_signal_connect (watch->source, "messages", G_CALLBACK (on_messages), watch);
  g_assert_true (pi_source_connect (watch->source, &error));
  g_assert_no_error (error);

  return watch;
}

static void
watch_free (Watch *watch)
{
  pi_source_disconnect (watch->source);
  g_signal_handlers_disconnect_by_data (watch->source, watch);
  g_assert_finalize_object (watch->source);
  g_ptr_array_unref (watch->messages);
  g_free (watch);
}

#define WAIT_UNTIL(cond, seconds) G_STMT_START {                                    \
    gint64 _deadline = g_get_monotonic_time () + (gint64) (seconds) * G_USEC_PER_SEC; \
    while (!(cond))                                                                  \
      {                                                                              \
        if (g_get_monotonic_time () > _deadline)                                     \
          g_error ("Timed out waiting for: %s", #cond);                              \
        g_main_context_iteration (NULL, FALSE);                                      \
        g_usleep (1000);                                                             \
      }                                                                              \
  } G_STMT_END

static guint
count_real (Watch *watch)
{
  guint n = 0;

  for (guint i = 0; i < watch->messages->len; i++)
    if (pi_message_get_kind (g_ptr_array_index (watch->messages, i)) == PI_MESSAGE_KIND_DECODED)
      n++;
  return n;
}

static guint
count_gaps (Watch *watch)
{
  guint n = 0;

  for (guint i = 0; i < watch->messages->len; i++)
    if (pi_message_get_kind (g_ptr_array_index (watch->messages, i)) == PI_MESSAGE_KIND_GAP)
      n++;
  return n;
}

/* The messages, gaps left out, are k.1 … k.N: each once, in order. */
static void
assert_exactly_once (Watch *watch,
                     guint  n)
{
  guint expected = 1;

  for (guint i = 0; i < watch->messages->len; i++)
    {
      PiMessage *message = g_ptr_array_index (watch->messages, i);
      g_autofree char *key = NULL;

      if (pi_message_get_kind (message) != PI_MESSAGE_KIND_DECODED)
        continue;
      key = g_strdup_printf ("k.%u", expected++);
      g_assert_cmpstr (pi_message_get_routing_key (message), ==, key);
    }
  g_assert_cmpuint (expected - 1, ==, n);
}

/* Cut while messages keep coming: the reconnect goes on where the stream
 * was lost; what was published meanwhile arrives once, in order, and the
 * list shows no gap but the state says nothing was lost. Twice. */
static void
test_inside_window (void)
{
  Server *server = server_start (NULL);
  PiKillProxy *proxy = pi_kill_proxy_new (server->port);
  Watch *watch = watch_start (pi_kill_proxy_get_port (proxy));

  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_LIVE, 10);
  g_assert_cmpstr (pi_source_get_state_text (watch->source), ==, "Live");
  publish_range (server, 1, 50);
  WAIT_UNTIL (count_real (watch) == 50, 10);

  for (guint round = 0; round < 2; round++)
    {
      guint base = 50 + round * 100;

      g_assert_cmpuint (pi_kill_proxy_kill_all (proxy), ==, 1);
      publish_range (server, base + 1, base + 50);
      WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_RECONNECTING, 10);
      publish_range (server, base + 51, base + 100);
      WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_LIVE, 10);
      g_assert_cmpstr (pi_source_get_state_text (watch->source), ==, "Live: reconnected, nothing lost");
      WAIT_UNTIL (count_real (watch) == base + 100, 10);
    }

  publish_range (server, 251, 260);
  WAIT_UNTIL (count_real (watch) == 260, 10);
  g_assert_cmpuint (count_gaps (watch), ==, 0);
  g_assert_cmpuint (pi_source_get_n_reconnects (watch->source), ==, 2);
  assert_exactly_once (watch, 260);

  watch_free (watch);
  pi_kill_proxy_free (proxy);
  server_stop (server);
}

/* Back after the window: a fresh stream and a gap, as without resuming. */
static void
test_outside_window (void)
{
  Server *server = server_start ("--resume-window", "0.05", NULL);
  PiKillProxy *proxy = pi_kill_proxy_new (server->port);
  Watch *watch = watch_start (pi_kill_proxy_get_port (proxy));
  PiMessage *gap;

  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_LIVE, 10);
  publish_range (server, 1, 5);
  WAIT_UNTIL (count_real (watch) == 5, 10);

  g_assert_cmpuint (pi_kill_proxy_kill_all (proxy), ==, 1);
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_RECONNECTING, 10);
  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_LIVE, 10);
  g_assert_cmpstr (pi_source_get_state_text (watch->source), ==, "Live");
  WAIT_UNTIL (count_gaps (watch) == 1, 10);

  publish_range (server, 6, 10);
  WAIT_UNTIL (count_real (watch) == 10, 10);
  assert_exactly_once (watch, 10);
  gap = g_ptr_array_index (watch->messages, 5);
  g_assert_cmpint (pi_message_get_kind (gap), ==, PI_MESSAGE_KIND_GAP);
  g_assert_true (g_str_has_prefix (pi_message_get_error (gap), "Connection lost ("));

  watch_free (watch);
  pi_kill_proxy_free (proxy);
  server_stop (server);
}

/* --- where a `dropped` leaves off (a server of the test's own) --------------- */

#define SESSION "0123456789abcdef0123456789abcdef"
#define MESSAGE_DATA(n) "{\"exchange\":\"" EXCHANGE "\",\"routingKey\":\"k." #n "\",\"payload\":{},\"redelivered\":false,\"cc\":[]}"

/* The `resume` of each request, in order. */
static void
fake_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  GPtrArray *resumes = user_data;
  const char *resume = query != NULL ? g_hash_table_lookup (query, "resume") : NULL;
  const char *body;

  g_ptr_array_add (resumes, g_strdup (resume != NULL ? resume : ""));
  /* First: message 1, then 4 dropped (too slow) through message 5, and
   * the stream ends. Then: resumed, message 6. */
  if (resumes->len == 1)
    body = "event: ready\ndata: {\"session\":\"" SESSION "\",\"resumed\":false}\nid: -\n\n"
           "event: message\ndata: " MESSAGE_DATA (1) "\nid: " SESSION ":1\n\n"
           "event: dropped\ndata: {\"count\":4,\"reason\":\"too-slow\"}\nid: " SESSION ":5\n\n";
  else
    body = "event: ready\ndata: {\"session\":\"" SESSION "\",\"resumed\":true,\"lost\":0}\nid: -\n\n"
           "event: message\ndata: " MESSAGE_DATA (6) "\nid: " SESSION ":6\n\n";
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/event-stream", SOUP_MEMORY_STATIC, body, strlen (body));
}

/* A too-slow `dropped` on a resumable stream names the last message it
 * covers: a resume goes on after it, so the same 4 messages are not
 * counted again as lost to the window (a second gap). */
static void
test_resume_after_dropped (void)
{
  g_autoptr(SoupServer) fake = soup_server_new (NULL, NULL);
  g_autoptr(GPtrArray) resumes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  Watch *watch;

  soup_server_add_handler (fake, NULL, fake_handler, resumes, NULL);
  g_assert_true (soup_server_listen_local (fake, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fake);
  watch = watch_start ((guint16) g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  WAIT_UNTIL (resumes->len >= 2, 10);
  g_assert_cmpstr (g_ptr_array_index (resumes, 0), ==, "1");
  g_assert_cmpstr (g_ptr_array_index (resumes, 1), ==, SESSION ":5");
  WAIT_UNTIL (count_real (watch) >= 2, 10);

  watch_free (watch);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("PULSE_EVENTS") == NULL)
    {
      g_test_skip ("PULSE_EVENTS is not set");
      return g_test_run ();
    }

  g_test_add_func ("/pi/source/resume/inside-window", test_inside_window);
  g_test_add_func ("/pi/source/resume/outside-window", test_outside_window);
  g_test_add_func ("/pi/source/resume/after-dropped", test_resume_after_dropped);

  return g_test_run ();
}
