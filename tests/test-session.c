/* test-session.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "pi-binding.h"
#include "pi-capture-session.h"
#include "pi-credentials.h"
#include "pi-deployments.h"
#include "pi-messages-fixture.h"
#include "pi-session.h"
#include "pi-test-keyring.h"
#include "pi-ws-test-server.h"

/* The window's model side without a window: what a live session holds while
 * paused, how it connects, and what a capture session reads. The keyring is
 * a file of the test's own. */

static void
add_range (PiSession *session,
           guint64    first,
           guint      n)
{
  g_autoptr(GPtrArray) batch = fixture_batch_new (first, n, NULL);

  pi_session_add_messages (session, batch);
}

static guint64
sequence_at (PiMessageStore *store,
             guint           position)
{
  g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (store), position);

  g_assert_nonnull (message);
  return pi_message_get_sequence (message);
}

/* A long pause keeps the newest messages the store can hold, and counts all. */
static void
test_long_pause (void)
{
  PiSession *session = pi_session_new (100);
  PiMessageStore *store = pi_session_get_store (session);

  g_assert_null (pi_session_get_failure (session, NULL));
  add_range (session, 0, 10);
  pi_session_set_paused (session, TRUE);
  for (guint i = 0; i < 25; i++)
    add_range (session, 10 + i * 10, 10);

  g_assert_cmpuint (pi_session_get_n_held (session), ==, 250);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 10);

  pi_session_set_paused (session, FALSE);
  g_assert_cmpuint (pi_session_get_n_held (session), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 100);
  g_assert_cmpuint (sequence_at (store, 0), ==, 160);
  g_assert_cmpuint (sequence_at (store, 99), ==, 259);

  /* Forgetting drops the undo; clearing nothing leaves nothing to undo. */
  pi_session_clear (session);
  g_assert_true (pi_session_get_can_undo_clear (session));
  pi_session_forget_cleared (session);
  g_assert_false (pi_session_get_can_undo_clear (session));
  g_assert_cmpuint (pi_session_clear (session), ==, 0);
  g_assert_false (pi_session_get_can_undo_clear (session));
  g_assert_false (pi_session_undo_clear (session));

  g_assert_finalize_object (session);
}

/* A broker's password, however it is written, is neither the server URL
 * (what the window's server-url setting is bound to) nor in the title;
 * the address is kept without it and without blanks around it. */
static void
test_broker_password_dropped (void)
{
  const char *addresses[] = {
    "amqps://alice:pa/ss@broker.example.com/",
    "amqps://alice:pa#ss@broker.example.com/",
    "amqps://alice:pa?ss@broker.example.com/",
    "amqps://alice:50%off@broker.example.com/",
    "amqps://alice:1234/ss@broker.example.com/",
    "amqps://alice:p@ss@broker.example.com/",
    " amqps://alice:hunter2@broker.example.com/ ",
    "AMQPS://alice:hunter2@broker.example.com/",
  };
  PiSession *session = pi_session_new (100);

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autofree char *bound = NULL;

      g_test_message ("%s", addresses[i]);
      g_object_set (session, "server-url", addresses[i], NULL);
      g_object_get (session, "server-url", &bound, NULL);
      g_assert_cmpint (g_ascii_strcasecmp (bound, "amqps://alice@broker.example.com/"), ==, 0);
      g_assert_cmpstr (pi_session_get_title (session), ==, "broker.example.com");
    }

  /* Other addresses lose only the blanks around them. */
  pi_session_set_server_url (session, " http://127.0.0.1:9/api/events/v1\n");
  g_assert_cmpstr (pi_session_get_server_url (session), ==, "http://127.0.0.1:9/api/events/v1");
  g_assert_cmpstr (pi_session_get_title (session), ==, "127.0.0.1:9");

  g_assert_finalize_object (session);
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

static GFile *
save_capture (const char *dir,
              guint       n)
{
  g_autofree char *path = g_build_filename (dir, "capture.jsonl", NULL);
  GFile *file = g_file_new_for_path (path);
  g_autoptr(GPtrArray) messages = fixture_batch_new (0, n, NULL);
  g_autoptr(PiCaptureInfo) info = pi_capture_info_new ("https://tc.example.com/api/events/v1", NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pi_capture_save_async (file, info, messages, NULL, NULL, NULL, on_done, &result);
  g_assert_true (pi_capture_save_finish (wait_for (&result), &error));
  g_assert_no_error (error);

  return file;
}

/* A file with more messages than the capacity is read whole. */
static void
test_capture_load (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pi-test-session-XXXXXX", NULL);
  g_autoptr(GFile) file = save_capture (dir, 150);
  PiCaptureSession *capture = pi_capture_session_new (file, 100);
  PiMessageStore *store = pi_capture_session_get_store (capture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  guint n_read = 0;

  g_assert_true (pi_capture_session_get_file (capture) == file);
  g_assert_true (pi_capture_session_get_loading (capture));
  g_assert_null (pi_capture_session_get_info (capture));

  pi_capture_session_load_async (capture, NULL, on_done, &result);
  g_assert_true (pi_capture_session_load_finish (capture, wait_for (&result), &n_read, &warning, &error));
  g_assert_no_error (error);
  g_assert_null (warning);
  g_assert_cmpuint (n_read, ==, 150);
  g_assert_false (pi_capture_session_get_loading (capture));
  g_assert_cmpstr (pi_capture_info_get_server_url (pi_capture_session_get_info (capture)), ==,
                   "https://tc.example.com/api/events/v1");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 150);
  g_assert_cmpuint (sequence_at (store, 0), ==, 0);
  g_assert_cmpuint (sequence_at (store, 149), ==, 149);

  g_clear_object (&result);   /* the task holds its source */
  g_assert_finalize_object (capture);
  g_file_delete (file, NULL, NULL);
  g_rmdir (dir);
}

/* A file that cannot be read says why, and stays "loading" (nothing shown). */
static void
test_capture_missing (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/nonexistent/pi-test-session/capture.jsonl");
  PiCaptureSession *capture = pi_capture_session_new (file, 100);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pi_capture_session_load_async (capture, NULL, on_done, &result);
  g_assert_false (pi_capture_session_load_finish (capture, wait_for (&result), NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (pi_capture_session_get_loading (capture));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pi_capture_session_get_store (capture))), ==, 0);

  g_clear_object (&result);
  g_assert_finalize_object (capture);
}

/* Cancelled (a window closed while reading): a cancellation, not a failure. */
static void
test_capture_cancelled (void)
{
  g_autofree char *dir = g_dir_make_tmp ("pi-test-session-XXXXXX", NULL);
  g_autoptr(GFile) file = save_capture (dir, 10);
  PiCaptureSession *capture = pi_capture_session_new (file, 100);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pi_capture_session_load_async (capture, cancellable, on_done, &result);
  g_cancellable_cancel (cancellable);
  g_assert_false (pi_capture_session_load_finish (capture, wait_for (&result), NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_object (&result);
  g_assert_finalize_object (capture);
  g_file_delete (file, NULL, NULL);
  g_rmdir (dir);
}

/* One server written two ways is one server: no "Now listening to" row,
 * no loss ended, no second "Current" in the Connect dialog. */
static void
test_same_server (void)
{
  static const char * const same[][2] = {
    { "http://127.0.0.1:12345", "http://localhost:12345/" },
    { "http://127.0.0.1:12345", "http://127.0.0.1:12345/api/events/v1" },
    { "https://firefox-ci-tc.services.mozilla.com", "HTTPS://Firefox-CI-TC.services.mozilla.com:443/" },
    { "http://example.org", "http://example.org:80" },
    { "amqp://user@pulse.example:5671/", "amqp://user:secret@pulse.example:5671/" },
  };
  static const char * const other[][2] = {
    { "http://127.0.0.1:12345", "http://127.0.0.1:12346" },
    { "http://127.0.0.1:12345", "https://127.0.0.1:12345" },
    { "https://firefox-ci-tc.services.mozilla.com", "https://community-tc.services.mozilla.com" },
    { "http://example.org/a", "http://example.org/b" },
    { "amqp://user@pulse.example/", "amqp://other@pulse.example/" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    g_assert_true (pi_deployments_same_server (same[i][0], same[i][1]));
  for (guint i = 0; i < G_N_ELEMENTS (other); i++)
    g_assert_false (pi_deployments_same_server (other[i][0], other[i][1]));
  g_assert_false (pi_deployments_same_server ("http://127.0.0.1:12345", NULL));
}

static void
on_token_stored (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (pi_credentials_store_finish (result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
store_token (const char *server_url,
             const char *client_id,
             const char *token)
{
  gboolean done = FALSE;

  pi_credentials_store_async (server_url, client_id, token, NULL, on_token_stored, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Iterates the main context until @condition holds, or fails after
 * @seconds (as the UI tests' WAIT_UNTIL). */
#define WAIT_UNTIL(condition, seconds)                                          \
  G_STMT_START {                                                                \
    gint64 deadline_ = g_get_monotonic_time () + (seconds) * G_USEC_PER_SEC;    \
    while (!(condition))                                                        \
      {                                                                         \
        if (g_get_monotonic_time () > deadline_)                                \
          g_error ("Timed out waiting for " #condition);                        \
        g_main_context_iteration (NULL, FALSE);                                 \
        g_usleep (1000);                                                        \
      }                                                                         \
  } G_STMT_END

/* The token the server was last sent, out of its Bearer credentials. */
static gboolean
last_init_has_token (PiWsTestServer *server,
                     const char     *token)
{
  const char *init = pi_ws_test_server_get_last_init (server);
  const char *bearer;
  g_autofree char *end = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *credentials = NULL;
  gsize len;

  if (init == NULL || (bearer = strstr (init, "Bearer ")) == NULL)
    return FALSE;
  end = g_strndup (bearer + strlen ("Bearer "), strcspn (bearer + strlen ("Bearer "), "\""));
  decoded = g_base64_decode (end, &len);
  credentials = g_strndup ((const char *) decoded, len);
  return strstr (credentials, token) != NULL;
}

/* What counts as the token of a stream changing: a token kept or
 * forgotten for its client on its server, however the server is written;
 * not another client's, nor another server's. */
static void
test_token_changes (void)
{
  const char *server = "https://tc.example.com";
  guint alice = pi_credentials_get_token_changes (server, "project/alice");
  guint bob = pi_credentials_get_token_changes (server, "project/bob");

  store_token ("https://tc.example.com/", "project/alice", "alice-token");
  g_assert_cmpuint (pi_credentials_get_token_changes (server, "project/alice"), ==, alice + 1);
  g_assert_cmpuint (pi_credentials_get_token_changes (server, "project/bob"), ==, bob);
  g_assert_cmpuint (pi_credentials_get_token_changes ("https://other.example.com", "project/alice"), ==, 0);

  store_token (server, "project/bob", "bob-token");
  g_assert_cmpuint (pi_credentials_get_token_changes (server, "project/alice"), ==, alice + 1);
  g_assert_cmpuint (pi_credentials_get_token_changes (server, "project/bob"), ==, bob + 1);
}

/* A token typed again for the same client id while a lost stream waits to
 * reconnect: connecting starts over with the new token, rather than making
 * the waiting attempt at once with the old one. (The server ends every
 * stream after its message.) */
static void
test_new_token_while_lost (void)
{
  PiWsTestScript script = { .raw = TRUE, .n_messages = 1, .close_after_data = TRUE };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  PiSession *session = pi_session_new (100);
  PiSource *source = pi_session_get_source (session);
  const char *client_id = "project/alice";

  g_ptr_array_add (bindings, pi_binding_new ("exchange/taskcluster-queue/v1/task-completed", "#"));
  store_token (url, client_id, "old-token-0000");
  pi_session_set_server_url (session, url);
  pi_session_connect (session, bindings, client_id);
  WAIT_UNTIL (last_init_has_token (server, "old-token-0000"), 10);

  /* The token typed again; then the loss. */
  store_token (url, client_id, "new-token-1111");
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_RECONNECTING, 10);
  pi_session_connect (session, bindings, client_id);
  WAIT_UNTIL (last_init_has_token (server, "new-token-1111"), 10);

  pi_session_disconnect (session);
  g_assert_finalize_object (session);
}

/* A client id with no token kept: the stream runs without one. When it is
 * lost and the server has gone away, Connect makes the waiting attempt at
 * once on the same stream (its reconnections go on counting), as it does
 * without a client id, rather than starting a stream over. */
static void
test_connect_while_lost_without_token (void)
{
  PiWsTestScript script = { .raw = TRUE, .n_messages = 1, .close_after_data = TRUE };
  PiWsTestServer *server = pi_ws_test_server_new (&script);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  PiSession *session = pi_session_new (100);
  PiSource *source = pi_session_get_source (session);
  guint n_reconnects;
  gint64 asked;

  g_ptr_array_add (bindings, pi_binding_new ("exchange/taskcluster-queue/v1/task-completed", "#"));
  pi_session_set_server_url (session, url);
  pi_session_connect (session, bindings, "project/nobody-kept-a-token");
  WAIT_UNTIL (pi_ws_test_server_get_n_connections (server) >= 1, 10);
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_RECONNECTING, 10);

  /* The server goes away; the user asks to connect again. */
  pi_ws_test_server_free (server);
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_RECONNECTING &&
              pi_source_get_retry_seconds (source) >= 2, 15);
  n_reconnects = pi_source_get_n_reconnects (source);
  asked = g_get_monotonic_time ();
  pi_session_connect (session, bindings, "project/nobody-kept-a-token");
  WAIT_UNTIL (pi_source_get_n_reconnects (source) > n_reconnects, 5);
  /* At once: the stream would wait 2 s or more. */
  g_assert_cmpint (g_get_monotonic_time () - asked, <, G_USEC_PER_SEC / 2);
  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_RECONNECTING ||
              pi_source_get_state (source) == PI_STREAM_STATE_FAILED, 10);
  g_assert_cmpint (pi_source_get_state (source), ==, PI_STREAM_STATE_RECONNECTING);

  pi_session_disconnect (session);
  g_assert_finalize_object (session);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = pi_test_keyring_use_own ();
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pi/session/long-pause", test_long_pause);
  g_test_add_func ("/pi/session/broker-password-dropped", test_broker_password_dropped);
  g_test_add_func ("/pi/session/same-server", test_same_server);
  g_test_add_func ("/pi/session/token-changes", test_token_changes);
  g_test_add_func ("/pi/session/new-token-while-lost", test_new_token_while_lost);
  g_test_add_func ("/pi/session/connect-while-lost-without-token", test_connect_while_lost_without_token);
  g_test_add_func ("/pi/capture-session/load", test_capture_load);
  g_test_add_func ("/pi/capture-session/missing", test_capture_missing);
  g_test_add_func ("/pi/capture-session/cancelled", test_capture_cancelled);

  status = g_test_run ();
  pi_test_keyring_remove (keyring_dir);
  return status;
}
