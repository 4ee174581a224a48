/* test-source-starter.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "pi-binding.h"
#include "pi-credentials.h"
#include "pi-source-starter.h"
#include "pi-test-keyring.h"

/* Starting a source as the window does, against a keyring of the test's
 * own (libsecret's file backend): the token or password kept is used, a
 * broker without one asks for it, a bad address is told before any network.
 * Nothing listens on port 9: a started source only tries to connect. */

#define EVENTS_URL "http://127.0.0.1:9/api/events/v1"
#define BROKER_URL "amqp://bob@127.0.0.1:9/"

typedef struct
{
  PiSource        *source;
  PiSourceStarter *starter;
  GPtrArray       *bindings;
  guint            n_password_needed;
  guint            n_local_error;
} Fixture;

static void
on_password_needed (PiSourceStarter *starter,
                    Fixture         *fixture)
{
  fixture->n_password_needed++;
}

static void
on_local_error (PiSourceStarter *starter,
                GParamSpec      *pspec,
                Fixture         *fixture)
{
  fixture->n_local_error++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->source = pi_source_new ();
  fixture->starter = pi_source_starter_new (fixture->source);
  fixture->bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (fixture->bindings, pi_binding_new_from_spec ("exchange/taskcluster-queue/v1/task-completed=#", &error));
  g_assert_no_error (error);
  g_signal_connect (fixture->starter, "password-needed", G_CALLBACK (on_password_needed), fixture);
  g_signal_connect (fixture->starter, "notify::local-error", G_CALLBACK (on_local_error), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  pi_source_starter_stop (fixture->starter);
  g_assert_finalize_object (fixture->starter);
  g_assert_finalize_object (fixture->source);
  g_ptr_array_unref (fixture->bindings);
}

static gboolean
on_wake (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Spins until @cond holds, or fails after 10 s. */
#define WAIT_FOR(cond)                                                          \
  G_STMT_START {                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;           \
    guint wake_ = g_timeout_add (10, on_wake, NULL);                            \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > deadline_)                                \
          g_error ("Timed out waiting for %s", #cond);                          \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
    g_source_remove (wake_);                                                    \
  } G_STMT_END

typedef struct
{
  gboolean  done;
  GError   *error;
} Stored;

static void
on_stored (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Stored *stored = user_data;

  pi_credentials_store_finish (result, &stored->error);
  stored->done = TRUE;
}

static void
on_password_stored (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Stored *stored = user_data;

  pi_credentials_store_password_finish (result, &stored->error);
  stored->done = TRUE;
}

static gboolean
is_started (PiSource *source)
{
  return pi_source_get_state (source) != PI_STREAM_STATE_DISCONNECTED;
}

/* No client id: anonymous, started at once on the URL and bindings given. */
static void
test_anonymous (Fixture       *fixture,
                gconstpointer  data)
{
  pi_source_starter_start (fixture->starter, EVENTS_URL, fixture->bindings, NULL);

  g_assert_true (is_started (fixture->source));
  g_assert_cmpstr (pi_source_get_server_url (fixture->source), ==, EVENTS_URL);
  g_assert_cmpuint (pi_source_get_bindings (fixture->source)->len, ==, 1);
  g_assert_null (pi_source_get_client_id (fixture->source));
  g_assert_null (pi_source_starter_get_local_error (fixture->starter));

  pi_source_starter_stop (fixture->starter);
  g_assert_false (is_started (fixture->source));
}

/* A bad address is said once, in words, before any network; Stop clears it. */
static void
test_bad_address (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *addresses[] = { "ftp://events.example.com/", "amqps://bob:hunter2@broker.example.com/" };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      const char *local_error;

      g_test_message ("%s", addresses[i]);
      fixture->n_local_error = 0;
      pi_source_starter_start (fixture->starter, addresses[i], fixture->bindings, NULL);

      local_error = pi_source_starter_get_local_error (fixture->starter);
      g_assert_nonnull (local_error);
      g_assert_cmpuint (strlen (local_error), >, 10);
      g_assert_cmpuint (fixture->n_local_error, ==, 1);
      g_assert_cmpint (pi_source_get_state (fixture->source), !=, PI_STREAM_STATE_CONNECTING);
      g_assert_cmpuint (fixture->n_password_needed, ==, 0);

      pi_source_starter_stop (fixture->starter);
      g_assert_null (pi_source_starter_get_local_error (fixture->starter));
    }
}

/* The token the keyring keeps for the client id goes with it; another
 * client id, without one, listens anonymously. */
static void
test_token_kept (Fixture       *fixture,
                 gconstpointer  data)
{
  Stored stored = { 0 };

  pi_credentials_store_async (EVENTS_URL, "project/alice", "alice-token", NULL, on_stored, &stored);
  WAIT_FOR (stored.done);
  g_assert_no_error (stored.error);

  pi_source_starter_start (fixture->starter, EVENTS_URL, fixture->bindings, "project/alice");
  g_assert_false (is_started (fixture->source));  /* the keyring first */
  WAIT_FOR (is_started (fixture->source));
  g_assert_cmpstr (pi_source_get_client_id (fixture->source), ==, "project/alice");

  pi_source_starter_start (fixture->starter, EVENTS_URL, fixture->bindings, "project/nobody");
  WAIT_FOR (pi_source_get_client_id (fixture->source) == NULL && is_started (fixture->source));
  g_assert_cmpuint (fixture->n_password_needed, ==, 0);
}

/* A broker with no password kept: the source stops and one is asked for;
 * the one typed starts it, and is used again without asking. */
static void
test_broker_password_typed (Fixture       *fixture,
                            gconstpointer  data)
{
  pi_source_starter_start (fixture->starter, EVENTS_URL, fixture->bindings, NULL);
  pi_source_starter_start (fixture->starter, BROKER_URL, fixture->bindings, NULL);
  WAIT_FOR (fixture->n_password_needed == 1);
  g_assert_true (pi_source_starter_get_needs_password (fixture->starter));
  g_assert_false (is_started (fixture->source));

  pi_source_starter_start_with_password (fixture->starter, BROKER_URL, fixture->bindings, "typed");
  g_assert_false (pi_source_starter_get_needs_password (fixture->starter));
  g_assert_true (is_started (fixture->source));
  g_assert_cmpstr (pi_source_get_server_url (fixture->source), ==, BROKER_URL);

  /* A binding added reconnects: not asked again. */
  pi_source_starter_start (fixture->starter, BROKER_URL, fixture->bindings, NULL);
  g_assert_true (is_started (fixture->source));
  g_assert_cmpuint (fixture->n_password_needed, ==, 1);
}

/* A password the keyring keeps starts the broker's source without asking. */
static void
test_broker_password_kept (Fixture       *fixture,
                           gconstpointer  data)
{
  const char *url = "amqp://carol@127.0.0.1:9/";
  Stored stored = { 0 };

  pi_credentials_store_password_async (url, "kept", NULL, on_password_stored, &stored);
  WAIT_FOR (stored.done);
  g_assert_no_error (stored.error);

  pi_source_starter_start (fixture->starter, url, fixture->bindings, NULL);
  WAIT_FOR (is_started (fixture->source));
  g_assert_false (pi_source_starter_get_needs_password (fixture->starter));
  g_assert_cmpuint (fixture->n_password_needed, ==, 0);
}

/* Stopped while the keyring is asked: nothing starts, nothing is asked. */
static void
test_stop_while_looking_up (Fixture       *fixture,
                            gconstpointer  data)
{
  GObject *starter = G_OBJECT (fixture->starter);

  pi_source_starter_start (fixture->starter, BROKER_URL, fixture->bindings, NULL);
  pi_source_starter_stop (fixture->starter);

  /* The lookup was under way when stopped: its answer holds a reference
   * on the starter until it has run. Waiting for that reference to go
   * waits for the lookup itself, however the keyring orders its calls. */
  g_assert_cmpuint (g_atomic_int_get (&starter->ref_count), >, 1);
  WAIT_FOR (g_atomic_int_get (&starter->ref_count) == 1);

  g_assert_cmpuint (fixture->n_password_needed, ==, 0);
  g_assert_false (pi_source_starter_get_needs_password (fixture->starter));
  g_assert_false (is_started (fixture->source));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring_dir = pi_test_keyring_use_own ();
  int status;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/pi/source-starter/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("anonymous", test_anonymous);
  ADD ("bad-address", test_bad_address);
  ADD ("token-kept", test_token_kept);
  ADD ("broker-password-typed", test_broker_password_typed);
  ADD ("broker-password-kept", test_broker_password_kept);
  ADD ("stop-while-looking-up", test_stop_while_looking_up);
#undef ADD

  status = g_test_run ();

  pi_test_keyring_remove (keyring_dir);
  return status;
}
