/* test-status-line.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>

#include "pi-binding.h"
#include "pi-fixture-server.h"
#include "pi-messages-fixture.h"
#include "pi-status-line.h"
#include "pi-test-keyring.h"

/* The header's two lines as a user reads them: what is listened to, and how
 * that goes, from not connected to paused. Nothing listens on port 9, and
 * the keyring is a file of the test's own. */

typedef struct
{
  PiSource        *source;
  PiMessageStore  *store;
  PiMessageFeed   *feed;
  PiSourceStarter *starter;
  PiStatusLine    *status;
  GPtrArray       *bindings;
  guint            n_subtitle;
} Fixture;

static void
on_subtitle (PiStatusLine *status,
             GParamSpec   *pspec,
             Fixture      *fixture)
{
  fixture->n_subtitle++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->source = pi_source_new ();
  fixture->store = pi_message_store_new (100);
  fixture->feed = pi_message_feed_new (fixture->store);
  fixture->starter = pi_source_starter_new (fixture->source);
  fixture->status = pi_status_line_new (fixture->source, fixture->feed, fixture->starter);
  fixture->bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (fixture->bindings, pi_binding_new_from_spec ("exchange/taskcluster-queue/v1/task-failed", &error));
  g_assert_no_error (error);
  g_signal_connect (fixture->status, "notify::subtitle", G_CALLBACK (on_subtitle), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  pi_source_starter_stop (fixture->starter);
  g_assert_finalize_object (fixture->status);
  g_assert_finalize_object (fixture->starter);
  g_assert_finalize_object (fixture->feed);
  g_assert_finalize_object (fixture->store);
  g_assert_finalize_object (fixture->source);
  g_ptr_array_unref (fixture->bindings);
}

/* The narrow wording (a header at 360 px shows about 20 characters of
 * it): short enough, and the same as the whole one when that is short. */
static void
assert_narrow (Fixture    *fixture,
               const char *expected)
{
  const char *narrow = pi_status_line_get_narrow_subtitle (fixture->status);

  g_assert_cmpstr (narrow, ==, expected);
  g_assert_cmpint (g_utf8_strlen (narrow, -1), <=, 20);
}

static void
test_title (Fixture       *fixture,
            gconstpointer  data)
{
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Not Connected");

  pi_status_line_set_server_url (fixture->status, "http://127.0.0.1:9/api/events/v1");
  g_assert_cmpstr (pi_status_line_get_title (fixture->status), ==, "127.0.0.1:9");
  pi_status_line_set_server_url (fixture->status, "amqps://alice@broker.example.com/");
  g_assert_cmpstr (pi_status_line_get_title (fixture->status), ==, "broker.example.com");
}

/* Connecting says so in the source's words; a bad address, that it failed
 * (the reason is the window's to tell, once). */
static void
test_connecting_and_failed (Fixture       *fixture,
                            gconstpointer  data)
{
  pi_source_starter_start (fixture->starter, "http://127.0.0.1:9/api/events/v1", fixture->bindings, NULL);
  g_assert_cmpint (pi_source_get_state (fixture->source), ==, PI_STREAM_STATE_CONNECTING);
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, pi_source_get_state_text (fixture->source));
  g_assert_true (g_str_has_prefix (pi_status_line_get_subtitle (fixture->status), "Connecting"));
  /* Narrow, the title names the server alone. */
  assert_narrow (fixture, "Connecting…");

  pi_source_starter_start (fixture->starter, "ftp://events.example.com/", fixture->bindings, NULL);
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Connection Failed");
  assert_narrow (fixture, "Connection Failed");

  pi_source_starter_stop (fixture->starter);
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Not Connected");
  assert_narrow (fixture, "Not Connected");
  g_assert_cmpfloat (pi_status_line_get_rate (fixture->status), ==, 0);
}

/* Paused, the held count is what matters, whatever the link does; one
 * change of the line per batch held. */
static void
test_paused (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) first = fixture_batch_new (0, 3, NULL);
  g_autoptr(GPtrArray) second = fixture_batch_new (3, 1, NULL);

  pi_message_feed_set_paused (fixture->feed, TRUE);
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Paused · 0 held");
  fixture->n_subtitle = 0;
  pi_message_feed_add (fixture->feed, first);
  pi_message_feed_add (fixture->feed, second);
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Paused · 4 held");
  assert_narrow (fixture, "Paused · 4 held");
  g_assert_cmpuint (fixture->n_subtitle, ==, 2);

  pi_message_feed_set_paused (fixture->feed, FALSE);
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Not Connected");
}

/* A broker with no password kept, and none typed: not a failure, a
 * password missing. */
static void
test_no_password (Fixture       *fixture,
                  gconstpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  pi_source_starter_start (fixture->starter, "amqp://bob@127.0.0.1:9/", fixture->bindings, NULL);
  while (!pi_source_starter_get_needs_password (fixture->starter))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for the keyring's answer");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "No Password");
  assert_narrow (fixture, "No Password");
}

static void
wait_for_state (Fixture       *fixture,
                PiStreamState  state)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (pi_source_get_state (fixture->source) != state)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for state %d", state);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
wait_for_requests (PiFixtureServer *server,
                   guint            n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (pi_fixture_server_get_n_requests (server) < n)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for request %u", n);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Messages had been arriving, then the stream ended: a loss, told as one,
 * with when the next attempt comes; not "Reconnecting…" as if it had
 * never been reached. Disconnecting ends the loss. */
static void
test_lost (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *live = pi_fixture_response_new_sse ();
  g_autofree char *url = pi_fixture_server_get_url (server);
  g_autofree char *expected = NULL;

  pi_fixture_response_write (live, "retry: 3000\n" READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_server_add (server, live);
  pi_fixture_server_add (server, pi_fixture_response_new_status (502, "Bad Gateway", NULL, NULL));

  pi_source_starter_start (fixture->starter, url, fixture->bindings, NULL);
  wait_for_state (fixture, PI_STREAM_STATE_RECONNECTING);

  g_assert_true (pi_status_line_get_lost (fixture->status));
  expected = g_strdup_printf ("Connection lost · reconnecting in %u s",
                              pi_source_get_retry_seconds (fixture->source));
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, expected);
  /* Narrow: still a loss, still when. */
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("Lost · retry in %u s", pi_source_get_retry_seconds (fixture->source));
  assert_narrow (fixture, expected);

  pi_source_starter_stop (fixture->starter);
  g_assert_false (pi_status_line_get_lost (fixture->status));
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Not Connected");
}

/* Live on @server until the stream ends (a loss), then started again with
 * other bindings while it waits to reconnect; @after (NULL-terminated) is
 * what the server answers the new stream, in order. */
static void
lose_then_rebind (Fixture            *fixture,
                  PiFixtureServer    *server,
                  PiFixtureResponse **after)
{
  PiFixtureResponse *live = pi_fixture_response_new_sse ();
  g_autofree char *url = pi_fixture_server_get_url (server);
  g_autoptr(GPtrArray) other = g_ptr_array_new_with_free_func (g_object_unref);

  pi_fixture_response_write (live, "retry: 3000\n" READY "event: message\ndata: " MESSAGE_1 "\n\n", -1);
  pi_fixture_server_add (server, live);
  for (guint i = 0; after[i] != NULL; i++)
    pi_fixture_server_add (server, after[i]);

  pi_source_starter_start (fixture->starter, url, fixture->bindings, NULL);
  wait_for_state (fixture, PI_STREAM_STATE_RECONNECTING);
  g_assert_true (pi_status_line_get_lost (fixture->status));

  g_ptr_array_add (other, pi_binding_new ("exchange/taskcluster-queue/v1/task-completed", "#"));
  pi_source_starter_start (fixture->starter, url, other, NULL);
}

/* The bindings change while a lost stream waits to reconnect: the new
 * stream keeps trying while the server is away (it does not fail at the
 * first refused attempt, as a stream never served would), the loss is told
 * until it is live again, and then it is over. */
static void
test_restart_during_loss (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *back = pi_fixture_response_new_sse ();
  PiFixtureResponse *after[] = {
    pi_fixture_response_new_status (502, "Bad Gateway", NULL, NULL),
    pi_fixture_response_new_status (502, "Bad Gateway", NULL, NULL),
    back,
    NULL,
  };

  pi_fixture_response_write (back, READY, -1);
  pi_fixture_response_hold (back);
  lose_then_rebind (fixture, server, after);

  wait_for_requests (server, 3);
  wait_for_state (fixture, PI_STREAM_STATE_RECONNECTING);
  g_assert_true (pi_status_line_get_lost (fixture->status));
  g_assert_true (g_str_has_prefix (pi_status_line_get_subtitle (fixture->status), "Connection lost · reconnecting"));

  wait_for_state (fixture, PI_STREAM_STATE_LIVE);
  g_assert_false (pi_status_line_get_lost (fixture->status));
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 4);
}

/* ...but once the server answers, a refusal of the new bindings is a
 * refusal, not the loss of the old stream. */
static void
test_refusal_after_restart (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *after[] = { pi_fixture_response_new_status (400, "Bad Request", NULL, NULL), NULL };

  lose_then_rebind (fixture, server, after);

  wait_for_state (fixture, PI_STREAM_STATE_FAILED);
  g_assert_false (pi_status_line_get_lost (fixture->status));
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Connection Failed");
}

/* ...and so is a server that answers the new stream but ends it before
 * `ready`, again and again (bindings it cannot serve): the new stream
 * gives up as one never live would, and the loss is over. */
static void
test_unbound_after_restart (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  PiFixtureResponse *after[5];

  for (guint i = 0; i < 4; i++)
    after[i] = pi_fixture_response_new_sse ();
  after[4] = NULL;

  lose_then_rebind (fixture, server, after);

  wait_for_state (fixture, PI_STREAM_STATE_FAILED);
  g_assert_false (pi_status_line_get_lost (fixture->status));
  g_assert_cmpuint (pi_fixture_server_get_n_requests (server), ==, 5);
}

/* A server never reached keeps the wording of a failure to connect. */
static void
test_never_reached (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PiFixtureServer) server = pi_fixture_server_new ();
  g_autofree char *url = pi_fixture_server_get_url (server);

  pi_fixture_server_add (server, pi_fixture_response_new_status (502, "Bad Gateway", NULL, NULL));

  pi_source_starter_start (fixture->starter, url, fixture->bindings, NULL);
  wait_for_state (fixture, PI_STREAM_STATE_FAILED);

  g_assert_false (pi_status_line_get_lost (fixture->status));
  g_assert_cmpstr (pi_status_line_get_subtitle (fixture->status), ==, "Connection Failed");
  assert_narrow (fixture, "Connection Failed");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = pi_test_keyring_use_own ();
  int status;

  /* The words are the untranslated ones. */
  g_setenv ("LC_ALL", "C", TRUE);

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/pi/status-line/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("title", test_title);
  ADD ("connecting-and-failed", test_connecting_and_failed);
  ADD ("paused", test_paused);
  ADD ("no-password", test_no_password);
  ADD ("lost", test_lost);
  ADD ("never-reached", test_never_reached);
  ADD ("restart-during-loss", test_restart_during_loss);
  ADD ("refusal-after-restart", test_refusal_after_restart);
  ADD ("unbound-after-restart", test_unbound_after_restart);
#undef ADD

  status = g_test_run ();

  pi_test_keyring_remove (keyring_dir);
  return status;
}
