/* test-source-wss.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pi-source.h"
#include "pi-ws-test-server.h"

/*
 * The WebSocket source over TLS (wss://), against a real SoupServer with
 * certificates made at test time by tests/make-test-certs. The client
 * trusts the test CA only because this process makes it GIO's default
 * TLS database (g_tls_backend_set_default_database()); the product
 * verifies as it always does, with the system's CAs.
 */

#define WAIT_UNTIL(cond, seconds) G_STMT_START {                                    \
    gint64 _deadline = g_get_monotonic_time () + (gint64) (seconds) * G_USEC_PER_SEC; \
    while (!(cond))                                                                  \
      {                                                                              \
        if (g_get_monotonic_time () > _deadline)                                     \
          g_error ("Timed out waiting for: %s", #cond);                              \
        g_main_context_iteration (NULL, FALSE);                                      \
        g_usleep (500);                                                              \
      }                                                                              \
  } G_STMT_END

static char *cert_dir;
static const char *skip_reason;

typedef struct
{
  PiSource  *source;
  GPtrArray *messages;
  gboolean   saw_reconnecting;
} Watch;

static void
on_messages (PiSource  *source,
             GPtrArray *batch,
             Watch     *watch)
{
  for (guint i = 0; i < batch->len; i++)
    g_ptr_array_add (watch->messages, g_object_ref (g_ptr_array_index (batch, i)));
}

static void
on_state (PiSource   *source,
          GParamSpec *pspec,
          Watch      *watch)
{
  if (pi_source_get_state (source) == PI_STREAM_STATE_RECONNECTING)
    watch->saw_reconnecting = TRUE;
}

static Watch *
watch_new (PiWsTestServer *server)
{
  Watch *watch = g_new0 (Watch, 1);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);

  g_assert_true (g_str_has_prefix (url, "https://"));
  g_ptr_array_add (bindings, pi_binding_new ("exchange/a/v1/one", "#"));

  watch->source = pi_source_new ();
  watch->messages = g_ptr_array_new_with_free_func (g_object_unref);
  pi_source_set_server_url (watch->source, url);
  pi_source_set_bindings (watch->source, bindings);
  g_signal_connect (watch->source, "messages", G_CALLBACK (on_messages), watch);
  g_signal_connect (watch->source, "notify::state", G_CALLBACK (on_state), watch);
  g_assert_true (pi_source_connect (watch->source, NULL));
  return watch;
}

static void
watch_free (Watch *watch)
{
  pi_source_disconnect (watch->source);
  g_assert_finalize_object (watch->source);
  g_ptr_array_unref (watch->messages);
  g_free (watch);
}

static GTlsCertificate *
load_certificate (const char *name)
{
  g_autofree char *pem = g_strdup_printf ("%s/%s.pem", cert_dir, name);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", cert_dir, name);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = g_tls_certificate_new_from_files (pem, key, &error);

  g_assert_no_error (error);
  return certificate;
}

/* Trusts the test CA, or (FALSE) the system's CAs only. */
static void
trust_test_ca (gboolean trust)
{
  g_autofree char *ca = g_build_filename (cert_dir, "ca.pem", NULL);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;

  if (trust)
    {
      database = g_tls_file_database_new (ca, &error);
      g_assert_no_error (error);
    }
  g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
}

static void
test_verified (void)
{
  g_autoptr(GTlsCertificate) certificate = load_certificate ("server");
  PiWsTestScript script = { .raw = TRUE, .graphql = TRUE, .n_messages = 3, .tls_certificate = certificate };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch;

  trust_test_ca (TRUE);
  watch = watch_new (server);

  WAIT_UNTIL (watch->messages->len == 3, 10);
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_LIVE);
  g_assert_cmpstr (pi_source_get_protocol_name (watch->source), ==, "WebSocket");
  g_assert_cmpstr (pi_message_get_exchange (g_ptr_array_index (watch->messages, 0)), ==, "exchange/a/v1/one");
  g_assert_cmpstr (pi_message_get_routing_key (g_ptr_array_index (watch->messages, 2)), ==, "key.2");
  g_assert_cmpuint (pi_ws_test_server_get_n_connections (server), ==, 1);
  g_assert_false (watch->saw_reconnecting);
  watch_free (watch);
}

/* Stopped mid-stream, the source closes its socket: the server sees the
 * connection end. A close left to a thread, or to a context no one runs
 * any more, would keep it open (and leak it). */
static void
test_stop_mid_stream (void)
{
  g_autoptr(GTlsCertificate) certificate = load_certificate ("server");
  PiWsTestScript script = { .raw = TRUE, .n_messages = 2, .tls_certificate = certificate };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  Watch *watch;

  trust_test_ca (TRUE);
  watch = watch_new (server);
  WAIT_UNTIL (watch->messages->len == 2, 10);
  g_assert_cmpuint (pi_ws_test_server_get_n_open (server), ==, 1);

  watch_free (watch);
  WAIT_UNTIL (pi_ws_test_server_get_n_open (server) == 0, 5);
}

typedef struct
{
  const char *certificate;  /* the server's */
  gboolean    trust;        /* the test CA */
  const char *words;        /* in the error */
} Refusal;

static const Refusal unknown_ca = { "unknown-ca-server", TRUE, "not signed by a certificate authority this system trusts" };
static const Refusal system_cas = { "server", FALSE, "not signed by a certificate authority this system trusts" };
static const Refusal wrong_host = { "wrong-host", TRUE, "for another host name" };

static void
test_refused (gconstpointer data)
{
  const Refusal *refusal = data;
  g_autoptr(GTlsCertificate) certificate = load_certificate (refusal->certificate);
  PiWsTestScript script = { .raw = TRUE, .graphql = TRUE, .n_messages = 3, .tls_certificate = certificate };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  const char *error;
  Watch *watch;

  trust_test_ca (refusal->trust);
  watch = watch_new (server);

  WAIT_UNTIL (pi_source_get_state (watch->source) == PI_STREAM_STATE_FAILED, 10);
  error = pi_source_get_error_message (watch->source);
  g_test_message ("%s", error);
  g_assert_nonnull (strstr (error, "Could not make a secure connection to 127.0.0.1"));
  g_assert_nonnull (strstr (error, "certificate"));
  g_assert_nonnull (strstr (error, refusal->words));
  /* Other credentials cannot help with a certificate. */
  g_assert_false (pi_source_get_needs_credentials (watch->source));

  /* Final: never tried again, nor with another protocol, and nothing
   * reached the list. */
  g_usleep (G_USEC_PER_SEC / 2);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (pi_source_get_state (watch->source), ==, PI_STREAM_STATE_FAILED);
  g_assert_false (watch->saw_reconnecting);
  g_assert_cmpuint (pi_source_get_n_reconnects (watch->source), ==, 0);
  g_assert_cmpuint (watch->messages->len, ==, 0);
  g_assert_cmpuint (pi_ws_test_server_get_n_connections (server), ==, 0);
  watch_free (watch);
}

/* Over TLS the server's own refusal stays the server's: it is not read
 * as a proxy's, which never gets as far as a certificate. */
static void
test_server_status (void)
{
  g_autoptr(GTlsCertificate) certificate = load_certificate ("server");
  PiWsTestScript script = { .raw = TRUE, .tls_certificate = certificate };
  g_autoptr(PiWsTestServer) server = pi_ws_test_server_new (&script);
  g_autofree char *root = pi_ws_test_server_get_url (server);
  g_autofree char *url = g_strconcat (root, "/api/events/v1", NULL);
  g_autofree char *expected = g_strdup_printf ("%s answered 404 Not Found", root + strlen ("https://"));
  g_autoptr(PiSource) source = pi_source_new ();
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);

  trust_test_ca (TRUE);
  g_ptr_array_add (bindings, pi_binding_new ("exchange/a/v1/one", "#"));
  pi_source_set_server_url (source, url);
  pi_source_set_bindings (source, bindings);
  g_assert_true (pi_source_connect (source, NULL));

  WAIT_UNTIL (pi_source_get_state (source) == PI_STREAM_STATE_FAILED, 10);
  g_test_message ("%s", pi_source_get_error_message (source));
  g_assert_cmpstr (pi_source_get_error_message (source), ==, expected);
  pi_source_disconnect (source);
}

static void
test_skipped (void)
{
  g_test_skip (skip_reason);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      g_unlink (file);
    }
  g_rmdir (path);
}

/* The certificates, by tests/make-test-certs; NULL when they cannot be made. */
static const char *
make_certificates (void)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "make-test-certs", NULL);
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { script, NULL, NULL };
  int status;

  if (openssl == NULL)
    return "openssl is not installed: it makes the test certificates";

  cert_dir = g_dir_make_tmp ("pi-test-wss-XXXXXX", &error);
  g_assert_no_error (error);
  argv[1] = cert_dir;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &error))
    g_error ("%s", error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("make-test-certs failed: %s", err);
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  skip_reason = make_certificates ();
  if (skip_reason != NULL)
    {
      g_test_add_func ("/pi/source/wss/skipped", test_skipped);
      return g_test_run ();
    }

  g_test_add_func ("/pi/source/wss/verified", test_verified);
  g_test_add_func ("/pi/source/wss/stop-mid-stream", test_stop_mid_stream);
  g_test_add_data_func ("/pi/source/wss/unknown-ca", &unknown_ca, test_refused);
  g_test_add_data_func ("/pi/source/wss/system-cas", &system_cas, test_refused);
  g_test_add_data_func ("/pi/source/wss/wrong-host", &wrong_host, test_refused);
  g_test_add_func ("/pi/source/wss/events-v1-status", test_server_status);

  ret = g_test_run ();
  remove_dir (cert_dir);
  g_free (cert_dir);
  return ret;
}
