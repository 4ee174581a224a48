/* test-window-shell.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's frame as a user meets it: one failure told once, Paused in
 * the header, Clear undone, the Connect dialog, share links.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "pi-application.h"
#include "pi-add-binding-dialog.h"
#include "pi-capture-window-private.h"
#include "pi-connect-dialog.h"
#include "pi-message-cells.h"
#include "pi-preferences-dialog.h"
#include "pi-ui-test-util.h"
#include "pi-ws-test-server.h"
#include "pi-window-private.h"

#define TASK_COMPLETED "exchange/taskcluster-queue/v1/task-completed"

static PiApplication *app;

static PiStreamState
state_of (PiWindow *window)
{
  return pi_source_get_state (pi_window_get_stream (window));
}

/* A refused connection (a closed port) is told once, with one action. */
static void
test_one_failure (void)
{
  g_autoptr(GSocket) closed = NULL;
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  PiWindow *window;

  closed = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (closed, any, FALSE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (closed, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u/api/events/v1",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));

  window = pi_test_window_new (app);
  pi_window_set_server_url (window, url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);

  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_RECONNECTING || state_of (window) == PI_STREAM_STATE_FAILED, 10);
  WAIT_UNTIL (pi_source_get_error_message (pi_window_get_stream (window)) != NULL, 10);

  /* Exactly one error surface: the page, not also the banner. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "failed");
  g_assert_false (adw_banner_get_revealed (window->error_banner));
  g_assert_nonnull (strstr (adw_status_page_get_description (window->failure_page), "refused"));
  g_assert_nonnull (gtk_actionable_get_action_name (GTK_ACTIONABLE (window->failure_button)));
  /* Nothing was ever reached from this window: another server is offered
   * beside retrying this one. */
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->failure_server_button)));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (window->failure_server_button)), ==,
                   "win.choose-server");
  /* No counters while nothing was ever received: the title is only a title. */
  g_assert_false (gtk_widget_get_can_target (GTK_WIDGET (window->counters_button)));
  /* Nor commands that have nothing to act on: Pause and Clear are off. */
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (window->pause_button)));
  g_assert_false (gtk_widget_get_sensitive (window->clear_button));

  pi_test_window_destroy (window);
}

/* A deployment that refuses access for the scopes: retrying cannot help,
 * so the one action opens the Connect dialog, where credentials go. */
static void
test_credentials_refused (void)
{
  PiWsTestScript script = { .raw = TRUE, .refuse_code = 4403, .refuse_code_name = "InsufficientScopes" };
  PiWsTestServer *server = pi_ws_test_server_new (&script);
  g_autofree char *url = pi_ws_test_server_get_url (server);
  PiWindow *window = pi_test_window_new (app);

  pi_window_set_server_url (window, url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_FAILED, 10);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "failed");
  g_assert_nonnull (strstr (adw_status_page_get_description (window->failure_page), "web:read-pulse"));
  g_assert_cmpstr (gtk_button_get_label (window->failure_button), ==, "_Enter Credentials…");
  /* The one action already opens the Connect dialog: not offered twice. */
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->failure_server_button)));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (window->failure_button)), ==, "win.choose-server");
  g_assert_false (adw_banner_get_revealed (window->error_banner));

  pi_test_window_destroy (window);
  pi_ws_test_server_free (server);
}

/* With a client id set, connecting first asks the keyring for its token
 * (here there is none, or no keyring at all): Disconnect pressed meanwhile
 * wins, and the window does not connect behind the user's back. */
static void
test_disconnect_while_looking_up_token (void)
{
  PiTestServer server = { 0 };
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  PiWindow *window;

  pi_test_server_start (&server, 0, NULL);
  g_settings_set_string (settings, "client-id", "project/pulse-inspector-test");
  window = pi_test_window_new (app);
  pi_window_set_server_url (window, server.base_url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  pi_window_disconnect (window);
  for (guint i = 0; i < 100; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_DISCONNECTED);

  /* Connecting again goes through, token or not. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);

  pi_test_window_destroy (window);
  g_settings_reset (settings, "client-id");
  pi_test_server_clear (&server);
}

/* A bad address says so in words and offers to change the server. */
static void
test_bad_address (void)
{
  PiWindow *window = pi_test_window_new (app);

  pi_window_set_server_url (window, "ftp://example.com/");
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "failed");
  g_assert_false (adw_banner_get_revealed (window->error_banner));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (window->failure_button)), ==, "win.choose-server");

  pi_test_window_destroy (window);
}

/* Live, paused, cleared and undone, against a real pulse-events. */
static void
test_paused_and_clear (void)
{
  PiTestServer server = { 0 };
  PiWindow *window;
  guint n;

  pi_test_server_start (&server, 0, NULL);
  window = pi_test_window_new (app);
  pi_window_set_server_url (window, server.base_url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Live"));

  for (guint i = 0; i < 3; i++)
    pi_test_publish_task (&server, i, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 3, 10);
  g_assert_true (gtk_widget_get_can_target (GTK_WIDGET (window->counters_button)));
  /* One rate, in the title and in the details it opens. */
  WAIT_UNTIL (pi_session_get_rate (window->session) > 0, 5);
  g_assert_cmpfloat (pi_connection_bar_get_rate (window->connection_bar), ==, pi_session_get_rate (window->session));

  /* Paused: the header says so and counts what is held. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "pause", g_variant_new_boolean (TRUE));
  g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Paused"));
  pi_test_publish_task (&server, 3, NULL);
  pi_test_publish_task (&server, 4, NULL);
  WAIT_UNTIL (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Paused · 2 held"), 10);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (window->pause_button), "suggested-action"));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "pause", g_variant_new_boolean (FALSE));
  WAIT_UNTIL (pi_test_n_stored (window) == 5, 10);

  /* Clear, then Undo: the rows come back. */
  n = pi_test_n_stored (window);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.clear", NULL);
  g_assert_cmpuint (pi_test_n_stored (window), ==, 0);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "undo-clear"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo-clear", NULL);
  g_assert_cmpuint (pi_test_n_stored (window), ==, n);

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

/* The dialog offers the deployments by name; what was chosen enters
 * Recent only once it went live (see /pi/window-broker/recent-only-once-live). */
static void
test_connect_dialog (void)
{
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  PiWindow *window = pi_test_window_new (app);
  PiConnectDialog *dialog;

  g_settings_reset (settings, "recent-servers");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-server", NULL);
  dialog = PI_CONNECT_DIALOG (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window)));
  g_assert_nonnull (dialog);
  g_assert_cmpuint (pi_connect_dialog_get_n_recent (dialog), ==, 0);

  pi_connect_dialog_choose (dialog, "https://community-tc.services.mozilla.com");
  g_assert_cmpstr (pi_session_get_server_url (window->session), ==, "https://community-tc.services.mozilla.com");
  g_assert_cmpstr (adw_window_title_get_title (window->status_title), ==, "Taskcluster Community");
  pi_window_disconnect (window);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-server", NULL);
  dialog = PI_CONNECT_DIALOG (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window)));
  /* Disconnected before it was ever live: not a place that worked. */
  g_assert_cmpuint (pi_connect_dialog_get_n_recent (dialog), ==, 0);
  adw_dialog_force_close (ADW_DIALOG (dialog));

  pi_test_window_destroy (window);
}

/* A taskcluster-ui link binds the window to its deployment. */
static void
test_share_link (void)
{
  PiWindow *window = pi_test_window_new (app);
  g_autoptr(GError) error = NULL;

  g_assert_true (pi_window_import_link (window,
                                        "https://firefox-ci-tc.services.mozilla.com/pulse-messages?"
                                        "bindings%5B0%5D%5Bexchange%5D=exchange%2Ftaskcluster-queue%2Fv1%2Ftask-completed"
                                        "&bindings%5B0%5D%5Bpattern%5D=%23",
                                        &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pi_session_get_server_url (window->session), ==, "https://firefox-ci-tc.services.mozilla.com");
  g_assert_cmpstr (adw_window_title_get_title (window->status_title), ==, "Firefox CI");
  g_assert_cmpuint (g_list_model_get_n_items (pi_window_get_bindings (window)), ==, 1);

  pi_test_window_destroy (window);
}

/* The capacity reads as a number of messages, grouped: not "10000". */
static void
test_capacity_grouped (void)
{
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  PiWindow *window = pi_test_window_new (app);
  PiPreferencesDialog *preferences;
  GtkWidget *spin;
  g_autofree char *expected = g_strdup_printf ("%'u", 10000u);

  g_settings_reset (settings, "capacity");
  preferences = pi_preferences_dialog_new (settings);
  adw_dialog_present (ADW_DIALOG (preferences), GTK_WIDGET (window));
  spin = pi_test_find_descendant (GTK_WIDGET (preferences), GTK_TYPE_SPIN_BUTTON);
  g_assert_nonnull (spin);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (spin)), ==, expected);

  /* Typed with grouping, it is read back as the number. */
  gtk_editable_set_text (GTK_EDITABLE (spin), "25,000");
  gtk_spin_button_update (GTK_SPIN_BUTTON (spin));
  g_assert_cmpuint (g_settings_get_uint (settings, "capacity"), ==, 25000);

  adw_dialog_force_close (ADW_DIALOG (preferences));
  g_settings_reset (settings, "capacity");
  pi_test_window_destroy (window);
}


/* A window @width px wide (0: as it opens) live on a new server with
 * task-completed bound, and three messages received. */
static PiWindow *
live_with_three (PiTestServer *server,
                 int           width)
{
  PiWindow *window;

  pi_test_server_start (server, 0, NULL);
  window = pi_test_window_new (app);
  if (width > 0)
    {
      gtk_window_set_default_size (GTK_WINDOW (window), width, 720);
      WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) <= width, 5);
    }
  pi_window_set_server_url (window, server->base_url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  for (guint i = 0; i < 3; i++)
    pi_test_publish_task (server, i, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 3, 10);

  return window;
}

/* The server goes away while messages are shown: they stay, and the
 * failure is told once, by the banner with its one action; the state says
 * what happens next. */
static void
test_one_failure_with_messages (void)
{
  PiTestServer server = { 0 };
  PiWindow *window;

  window = live_with_three (&server, 0);

  pi_test_server_stop (&server, SIGTERM);
  WAIT_UNTIL (adw_banner_get_revealed (window->error_banner), 10);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "messages");
  g_assert_cmpuint (pi_test_n_visible_rows (window), >=, 3);
  g_assert_cmpstr (adw_banner_get_button_label (window->error_banner), !=, NULL);
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (window->error_banner)), ==, "win.connect");
  /* Messages had been arriving: a loss (see /pi/window-shell/lost-connection). */
  g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Connection lost"));

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

/* With PI_SCREENSHOT_DIR set: NAME-WIDTHxHEIGHT-light.png and -dark.png of
 * @window at 1400x900 and 360x720, for a designer's look. */
static void
shoot_sizes (PiWindow   *window,
             const char *name)
{
  static const int sizes[][2] = { { 1400, 900 }, { 360, 720 } };
  const char *dir = g_getenv ("PI_SCREENSHOT_DIR");
  AdwStyleManager *style = adw_style_manager_get_default ();

  if (dir == NULL || dir[0] == '\0')
    return;

  g_mkdir_with_parents (dir, 0755);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gtk_window_set_default_size (GTK_WINDOW (window), sizes[i][0], sizes[i][1]);
      for (guint dark = 0; dark < 2; dark++)
        {
          g_autofree char *file = g_strdup_printf ("%s-%dx%d-%s.png", name, sizes[i][0], sizes[i][1],
                                                   dark ? "dark" : "light");

          adw_style_manager_set_color_scheme (style, dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                          : ADW_COLOR_SCHEME_FORCE_LIGHT);
          pi_test_wait_for_frames (GTK_WIDGET (window), 20);
          pi_test_save_png (window, dir, file);
        }
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

/* Messages had been arriving when the server died: the window tells a
 * loss, once (header and banner), not a first failure to connect; Reconnect
 * Now tries at once and keeps trying while the server is away, and is
 * live at once when it is back. */
static void
test_lost_connection (void)
{
  PiTestServer server = { 0 };
  g_autofree char *lost = NULL;
  const char *title;
  PiWindow *window;
  guint n_reconnects;
  guint retry_seconds;
  gint64 asked;
  guint port;

  pi_test_server_start (&server, 0, NULL);
  port = server.port;
  window = pi_test_window_new (app);
  pi_window_set_server_url (window, server.base_url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  for (guint i = 0; i < 3; i++)
    pi_test_publish_task (&server, i, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 3, 10);

  pi_test_server_stop (&server, SIGKILL);
  WAIT_UNTIL (adw_banner_get_revealed (window->error_banner) && pi_session_get_lost (window->session), 10);

  /* The banner names the loss first, the reason second; one action. */
  lost = g_strdup_printf ("Lost connection to 127.0.0.1:%u\n<span size=\"small\" weight=\"normal\">", port);
  title = adw_banner_get_title (window->error_banner);
  g_assert_true (g_str_has_prefix (title, lost));
  g_assert_true (adw_banner_get_use_markup (window->error_banner));
  g_assert_cmpstr (adw_banner_get_button_label (window->error_banner), ==, "Reconnect _Now");
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (window->error_banner)), ==, "win.connect");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "messages");
  /* The header says the same in its words, with when it tries again. */
  WAIT_UNTIL (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title),
                                "Connection lost · reconnecting in "), 10);
  g_assert_null (strstr (adw_window_title_get_subtitle (window->status_title), "Could not connect"));
  g_assert_true (g_str_has_prefix (pi_connection_bar_get_state_text (window->connection_bar), "Connection lost"));
  shoot_sizes (window, "lost-connection");

  /* Still away: Reconnect Now tries at once, and the window keeps trying
   * (refused again, it waits once more; it does not give up). */
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_RECONNECTING &&
              pi_source_get_retry_seconds (pi_window_get_stream (window)) >= 2, 15);
  n_reconnects = pi_source_get_n_reconnects (pi_window_get_stream (window));
  asked = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (pi_source_get_n_reconnects (pi_window_get_stream (window)) > n_reconnects, 5);
  g_assert_cmpint (g_get_monotonic_time () - asked, <, G_USEC_PER_SEC);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_RECONNECTING || state_of (window) == PI_STREAM_STATE_FAILED, 10);
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_RECONNECTING);
  g_assert_true (pi_session_get_lost (window->session));

  /* Back on the same port: Reconnect Now is live at once, not after the
   * delay the window waits. */
  g_clear_pointer (&server.base_url, g_free);
  pi_test_server_start (&server, port, NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_RECONNECTING &&
              pi_source_get_retry_seconds (pi_window_get_stream (window)) >= 3, 15);
  retry_seconds = pi_source_get_retry_seconds (pi_window_get_stream (window));
  asked = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  g_assert_cmpint (g_get_monotonic_time () - asked, <, (gint64) (retry_seconds - 1) * G_USEC_PER_SEC);
  g_assert_false (adw_banner_get_revealed (window->error_banner));
  g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Live"));
  /* Nothing received was lost. */
  g_assert_cmpuint (pi_test_n_stored (window), >=, 3);

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

/* The label that shows the header's subtitle (AdwWindowTitle's second). */
static GtkLabel *
find_subtitle_label (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "subtitle"))
    return GTK_LABEL (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_subtitle_label (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkLabel *
subtitle_label (PiWindow *window)
{
  GtkLabel *label = find_subtitle_label (GTK_WIDGET (window->status_title));

  g_assert_nonnull (label);
  g_assert_cmpstr (gtk_label_get_text (label), ==, adw_window_title_get_subtitle (window->status_title));
  return label;
}

/* Whether the subtitle is read whole: shown, and not cut with "…". */
static gboolean
subtitle_is_whole (PiWindow *window)
{
  GtkLabel *label = subtitle_label (window);

  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  return gtk_widget_get_mapped (GTK_WIDGET (label)) &&
         !pango_layout_is_ellipsized (gtk_label_get_layout (label));
}

/* At a phone's width (360 px) the header's subtitle is read whole in every
 * state a watcher meets (live, paused, a loss and its countdown), in fewer
 * words that say the same; wide, the whole wording is back. */
static void
test_narrow_subtitle (void)
{
  PiTestServer server = { 0 };
  const char *dir = g_getenv ("PI_SCREENSHOT_DIR");
  PiWindow *window;
  const char *subtitle;
  g_autofree char *layout = NULL;
  g_autofree char *countdown = NULL;

  /* GNOME's window buttons (a phone's shell shows Close alone, or none). */
  g_object_get (gtk_settings_get_default (), "gtk-decoration-layout", &layout, NULL);
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);
  window = live_with_three (&server, 360);

  /* Live: the rate; the protocol, with the whole wording, a hover away. */
  WAIT_UNTIL (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Live · "), 5);
  subtitle = adw_window_title_get_subtitle (window->status_title);
  g_assert_true (g_str_has_suffix (subtitle, "/s"));
  g_assert_true (subtitle_is_whole (window));
  g_assert_true (g_str_has_prefix (gtk_widget_get_tooltip_text (GTK_WIDGET (window->status_title)), "Live · "));
  g_assert_true (g_str_has_suffix (gtk_widget_get_tooltip_text (GTK_WIDGET (window->status_title)),
                                   pi_source_get_protocol_name (pi_window_get_stream (window))));

  /* Paused: what is held. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.pause", NULL);
  g_assert_cmpstr (adw_window_title_get_subtitle (window->status_title), ==, "Paused · 0 held");
  g_assert_true (subtitle_is_whole (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.pause", NULL);

  /* Lost: that it was lost, and when the window tries again. */
  pi_test_server_stop (&server, SIGKILL);
  WAIT_UNTIL (pi_session_get_lost (window->session) && state_of (window) == PI_STREAM_STATE_RECONNECTING &&
              pi_source_get_retry_seconds (pi_window_get_stream (window)) >= 2, 15);
  countdown = g_strdup_printf (" %u s", pi_source_get_retry_seconds (pi_window_get_stream (window)));
  subtitle = adw_window_title_get_subtitle (window->status_title);
  g_assert_true (g_str_has_prefix (subtitle, "Lost · "));
  g_assert_true (g_str_has_suffix (subtitle, countdown));
  g_assert_true (subtitle_is_whole (window));
  if (dir != NULL && dir[0] != '\0')
    {
      g_mkdir_with_parents (dir, 0755);
      pi_test_save_png (window, dir, "narrow-subtitle-lost-360x720.png");
    }

  /* Between a phone and a desktop the header has its other buttons back
   * (Clear, Choose Server, Columns): still read whole. */
  for (guint i = 0; i < 3; i++)
    {
      static const int widths[] = { 520, 620, 800 };

      gtk_window_set_default_size (GTK_WINDOW (window), widths[i], 720);
      WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) > widths[i] - 20, 5);
      g_test_message ("%d px: %s", widths[i], adw_window_title_get_subtitle (window->status_title));
      g_assert_true (subtitle_is_whole (window));
      if (dir != NULL && dir[0] != '\0')
        {
          g_autofree char *file = g_strdup_printf ("narrow-subtitle-lost-%dx720.png", widths[i]);

          pi_test_save_png (window, dir, file);
        }
    }

  /* Wide: the whole wording. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) > 1300, 5);
  WAIT_UNTIL (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title),
                                "Connection lost · reconnecting in ") ||
              state_of (window) != PI_STREAM_STATE_RECONNECTING, 5);
  if (state_of (window) == PI_STREAM_STATE_RECONNECTING)
    g_assert_true (subtitle_is_whole (window));

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", layout, NULL);
}

/* A first start (no server ever chosen, none on the command line) asks
 * where to listen, with one suggested action, and does not try the
 * settings' placeholder address; once a server is chosen, the usual pages. */
static void
test_first_start (void)
{
  PiWindow *window = pi_test_window_new (app);
  AdwDialog *dialog;

  g_assert_true (pi_window_is_first_start (window));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "first-start");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->first_start_button)));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (window->first_start_button), "suggested-action"));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (window->first_start_button)), ==,
                   "win.choose-server");
  g_assert_null (strstr (adw_status_page_get_title (window->first_start_page), "12345"));
  g_assert_null (strstr (adw_status_page_get_description (window->first_start_page), "12345"));
  /* Nor does the header name the placeholder. */
  g_assert_cmpstr (adw_window_title_get_title (window->status_title), ==, "");
  g_assert_cmpstr (adw_window_title_get_subtitle (window->status_title), ==, "");
  /* One suggested action: the sidebar beside the page does not offer to
   * add a binding first. */
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->bindings_sidebar)));
  g_assert_false (gtk_widget_get_mapped (pi_bindings_sidebar_get_empty_state (window->bindings_sidebar)));

  /* A binding added and Connect pressed: where to, not a refusal. */
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "first-start");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window))) != NULL, 5);
  g_assert_true (PI_IS_CONNECT_DIALOG (dialog));
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_DISCONNECTED);
  if (g_getenv ("PI_SCREENSHOT_DIR") != NULL)
    {
      adw_dialog_force_close (dialog);
      WAIT_UNTIL (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window)) == NULL, 5);
      pi_test_wait_for_frames (GTK_WIDGET (window), 10);
      pi_test_save_png (window, g_getenv ("PI_SCREENSHOT_DIR"), "first-start.png");
    }
  else
    adw_dialog_force_close (dialog);

  /* Chosen, even the same address: no longer a first start. It is the
   * Connect dialog's Local Events Server, however it is written. */
  pi_window_set_server_url (window, "http://127.0.0.1:12345");
  g_assert_false (pi_window_is_first_start (window));
  g_assert_cmpstr (adw_window_title_get_title (window->status_title), ==, "Local Events Server");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "not-connected");

  pi_test_window_destroy (window);
}

/* Someone who used an earlier version with the default address (its
 * bindings kept, the address never saved) is no first-time user: the
 * window opens on the server as before, not on "Where to Listen". */
static void
test_first_start_after_upgrade (void)
{
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  PiWindow *window;

  pi_test_reset_settings ();
  g_settings_set_value (settings, "bindings",
                        g_variant_new_parsed ("[('" TASK_COMPLETED "', '#')]"));
  window = pi_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  g_assert_false (pi_window_is_first_start (window));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), !=, "first-start");
  g_assert_cmpstr (adw_window_title_get_title (window->status_title), ==, "Local Events Server");

  pi_test_window_destroy (window);
}

/* A new user who adds a binding on the first start and quits before
 * choosing a server is asked again next time: those bindings are this
 * version's, not an earlier one's that listened to the default. */
static void
test_first_start_binding_kept (void)
{
  PiWindow *window = pi_test_window_new (app);

  g_assert_true (pi_window_is_first_start (window));
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  pi_test_window_destroy (window);

  /* The next start, with the bindings kept. */
  window = pi_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  g_assert_true (pi_window_is_first_start (window));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "first-start");
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_DISCONNECTED);

  pi_test_window_destroy (window);
}

/* Connected to another server, the window puts one row where the old
 * server's messages end and the new one's begin. */
static void
test_switch_marker (void)
{
  PiTestServer first = { 0 };
  PiTestServer second = { 0 };
  g_autofree char *expected = NULL;
  GListModel *store;
  PiWindow *window;
  guint n_switches = 0;
  guint at = 0;

  pi_test_server_start (&first, 0, NULL);
  pi_test_server_start (&second, 0, NULL);
  window = pi_test_window_new (app);
  store = G_LIST_MODEL (pi_window_get_store (window));
  pi_window_set_server_url (window, first.base_url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  pi_test_publish_task (&first, 1, NULL);
  pi_test_publish_task (&first, 2, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 2, 10);

  /* As the Connect dialog does it. */
  pi_window_set_server_url (window, second.base_url);
  pi_window_connect (window);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE &&
              g_strcmp0 (pi_source_get_server_url (pi_window_get_stream (window)), second.base_url) == 0, 10);
  pi_test_publish_task (&second, 3, NULL);
  WAIT_UNTIL (pi_source_get_n_messages (pi_window_get_stream (window)) >= 3, 10);
  WAIT_UNTIL (g_list_model_get_n_items (store) == 4, 10);

  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (store, i);

      if (pi_message_get_kind (message) == PI_MESSAGE_KIND_SWITCH)
        {
          n_switches++;
          at = i;
        }
    }
  g_assert_cmpuint (n_switches, ==, 1);
  g_assert_cmpuint (at, ==, 2);

  /* It reads as the switch it is, across the table. */
  {
    g_autoptr(PiMessage) marker = g_list_model_get_item (store, at);
    g_autofree char *text = pi_message_cells_dup_marker_text (marker);

    expected = g_strdup_printf ("Now listening to 127.0.0.1:%u", second.port);
    g_assert_cmpstr (text, ==, expected);
  }
  shoot_sizes (window, "switch-marker");

  /* Back to the first: one more, and only one. */
  pi_window_set_server_url (window, first.base_url);
  pi_window_connect (window);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE &&
              g_strcmp0 (pi_source_get_server_url (pi_window_get_stream (window)), first.base_url) == 0, 10);
  WAIT_UNTIL (g_list_model_get_n_items (store) == 5, 10);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_cmpuint (g_list_model_get_n_items (store), ==, 5);

  pi_test_window_destroy (window);
  pi_test_server_clear (&first);
  pi_test_server_clear (&second);
}

static GtkWidget *find_shown_label (GtkWidget  *widget,
                                    const char *text);

static GtkWidget *
find_row_titled (GtkWidget  *root,
                 GType       type,
                 const char *title)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row_titled (child, type, title);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* The Connect dialog marks the server listened to now; credentials wait
 * behind an expander; an invalid address cannot be chosen. */
static void
test_connect_dialog_current (void)
{
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  PiWindow *window = pi_test_window_new (app);
  PiConnectDialog *dialog;
  GtkWidget *current;
  GtkWidget *url_row;
  GtkWidget *expander;

  g_settings_reset (settings, "recent-servers");
  g_settings_reset (settings, "client-id");
  pi_window_set_server_url (window, "https://community-tc.services.mozilla.com");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-server", NULL);
  dialog = PI_CONNECT_DIALOG (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window)));
  g_assert_nonnull (dialog);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  current = pi_connect_dialog_get_current_row (dialog);
  g_assert_nonnull (current);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (current)), ==, "Taskcluster Community");
  g_assert_true (gtk_widget_get_mapped (current));
  /* Marked in words the user sees. */
  g_assert_nonnull (find_shown_label (current, "Current"));
  shoot_sizes (window, "connect-dialog-current");

  /* Credentials: behind an expander, closed while no client is set. */
  expander = find_row_titled (GTK_WIDGET (dialog), ADW_TYPE_EXPANDER_ROW, "Credentials");
  g_assert_nonnull (expander);
  g_assert_false (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (expander)));
  g_assert_nonnull (find_row_titled (expander, ADW_TYPE_ENTRY_ROW, "Client ID"));

  /* The address's Connect is active only for an address that can be used. */
  url_row = find_row_titled (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, "Server URL");
  g_assert_nonnull (url_row);
  g_assert_false (pi_connect_dialog_get_can_connect_url (dialog));
  gtk_editable_set_text (GTK_EDITABLE (url_row), "ftp://events.example.com/");
  g_assert_false (pi_connect_dialog_get_can_connect_url (dialog));
  gtk_editable_set_text (GTK_EDITABLE (url_row), "https://tc.example.com");
  g_assert_true (pi_connect_dialog_get_can_connect_url (dialog));
  gtk_editable_set_text (GTK_EDITABLE (url_row), "");
  g_assert_false (pi_connect_dialog_get_can_connect_url (dialog));
  adw_dialog_force_close (ADW_DIALOG (dialog));

  /* The same server however it is written: the events server on this
   * computer, by its address or by localhost and its events path. */
  pi_window_set_server_url (window, "http://127.0.0.1:12345");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-server", NULL);
  dialog = PI_CONNECT_DIALOG (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window)));
  g_assert_nonnull (dialog);
  current = pi_connect_dialog_get_current_row (dialog);
  g_assert_nonnull (current);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (current)), ==, "Local Events Server");

  adw_dialog_force_close (ADW_DIALOG (dialog));
  pi_window_disconnect (window);
  pi_test_window_destroy (window);
}

/* The About dialog's icon is found when the app runs from the build tree
 * (nothing installed): the icon theme has it from the app's resources. */
static void
test_about_icon (void)
{
  PiWindow *window = pi_test_window_new (app);
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (window)));

  g_assert_true (gtk_icon_theme_has_icon (theme, APPLICATION_ID));

  pi_test_window_destroy (window);
}

/* What a user sees of @widget: on screen, with room. */
static gboolean
is_shown (gpointer widget)
{
  return gtk_widget_get_mapped (GTK_WIDGET (widget)) &&
         gtk_widget_get_width (GTK_WIDGET (widget)) > 0 &&
         gtk_widget_get_height (GTK_WIDGET (widget)) > 0;
}

static int
minimum_width (gpointer widget)
{
  int minimum = 0;

  gtk_widget_measure (GTK_WIDGET (widget), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  return minimum;
}

/* Whether @widget covers @x, @y of @window: what a click there reaches. */
static gboolean
picks (PiWindow  *window,
       gpointer   widget,
       double     x,
       double     y)
{
  GtkWidget *picked = gtk_widget_pick (GTK_WIDGET (window), x, y, GTK_PICK_DEFAULT);

  return picked != NULL && (picked == widget || gtk_widget_is_ancestor (picked, GTK_WIDGET (widget)));
}

/* The middle of @widget in @window's coordinates. */
static graphene_point_t
middle_of (PiWindow *window,
           gpointer  widget)
{
  graphene_point_t middle = GRAPHENE_POINT_INIT (gtk_widget_get_width (GTK_WIDGET (widget)) / 2.f,
                                                 gtk_widget_get_height (GTK_WIDGET (widget)) / 2.f);
  graphene_point_t point;

  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (widget), GTK_WIDGET (window), &middle, &point));
  return point;
}

/* The first button under @widget that runs @action_name. */
static GtkWidget *
find_action_button (GtkWidget  *widget,
                    const char *action_name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) &&
          g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), action_name) == 0)
        return child;
      if ((found = find_action_button (child, action_name)))
        return found;
    }

  return NULL;
}

/* Closes @dialog as the user does (animated) and waits until it is gone.
 * (adw_dialog_force_close() followed by a resize crashed libadwaita 1.7.6
 * in its breakpoint code here.) */
static void
close_dialog (GtkWidget *dialog)
{
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  adw_dialog_close (ADW_DIALOG (dialog));
  WAIT_UNTIL (dialog == NULL, 5);
}

static void
select_row (PiWindow *window,
            guint     position)
{
  GtkColumnView *view = pi_message_list_get_column_view (window->message_list);

  gtk_selection_model_select_item (gtk_column_view_get_model (view), position, TRUE);
}

/* 360 px wide, a phone's width: the window goes that narrow, and the list,
 * the state and a message's details (a page of their own over the list,
 * with a way back) are all there; so are the bindings and the dialogs. */
static void
test_narrow (void)
{
  PiTestServer server = { 0 };
  PiWindow *window;
  GtkWidget *dialog;
  GtkWidget *button;
  graphene_point_t point;

  pi_test_server_start (&server, 0, NULL);
  window = pi_test_window_new (app);
  pi_window_set_server_url (window, server.base_url);
  g_assert_cmpint (minimum_width (window), <=, 360);

  /* Any child wider than the window is a fatal warning from libadwaita. */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) <= 360, 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  g_assert_cmpint (minimum_width (window), <=, 360);

  /* With no bindings, the page offers to add one (the sidebar's + is out
   * of sight), in a dialog that fits. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "no-bindings");
  button = find_action_button (GTK_WIDGET (window->no_bindings_page), "win.add-binding");
  g_assert_nonnull (button);
  g_assert_true (is_shown (button));
  gtk_widget_activate (button);
  WAIT_UNTIL ((dialog = pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG)) != NULL, 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  g_assert_true (is_shown (dialog));
  g_assert_cmpint (gtk_widget_get_width (dialog), <=, gtk_widget_get_width (GTK_WIDGET (window)));
  close_dialog (dialog);

  /* The folded sidebar, shown over that page, is not an empty box: it
   * says there are no bindings and offers to add one itself. */
  adw_overlay_split_view_set_show_sidebar (window->split_view, TRUE);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  g_assert_true (is_shown (pi_bindings_sidebar_get_empty_state (window->bindings_sidebar)));
  adw_overlay_split_view_set_show_sidebar (window->split_view, FALSE);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);

  pi_window_set_server_url (window, server.base_url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  for (guint i = 0; i < 3; i++)
    pi_test_publish_task (&server, i, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 3, 10);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);

  /* The list, and the state above it. */
  g_assert_true (is_shown (window->message_list));
  g_assert_cmpuint (pi_test_n_visible_rows (window), ==, 3);
  g_assert_true (is_shown (window->status_title));
  g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Live"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->back_button)));

  /* A message's details take the whole width; the state stays. */
  select_row (window, 1);
  WAIT_UNTIL (is_shown (window->message_details), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 10);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window->message_details)), >=,
                   gtk_widget_get_width (GTK_WIDGET (window->message_list)));
  point = middle_of (window, window->message_list);
  g_assert_true (picks (window, window->message_details, point.x, point.y));
  g_assert_true (is_shown (window->status_title));
  g_assert_true (is_shown (window->back_button));
  /* The keyboard starts on the way back, no field's text selected. */
  g_assert_true (gtk_widget_is_focus (GTK_WIDGET (window->back_button)));

  /* Back: the list again, and the same row opens again. */
  gtk_widget_activate (GTK_WIDGET (window->back_button));
  WAIT_UNTIL (!gtk_widget_get_mapped (GTK_WIDGET (window->message_details)), 5);
  g_assert_null (pi_message_list_get_selected_message (window->message_list));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->back_button)));
  point = middle_of (window, window->message_list);
  g_assert_true (picks (window, window->message_list, point.x, point.y));
  select_row (window, 1);
  WAIT_UNTIL (is_shown (window->message_details), 5);
  gtk_widget_activate (GTK_WIDGET (window->back_button));
  WAIT_UNTIL (!gtk_widget_get_mapped (GTK_WIDGET (window->message_details)), 5);

  /* The bindings, over the list. */
  gtk_toggle_button_set_active (window->sidebar_button, TRUE);
  WAIT_UNTIL (is_shown (window->bindings_sidebar), 5);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window->bindings_sidebar)), <=,
                   gtk_widget_get_width (GTK_WIDGET (window)));
  gtk_toggle_button_set_active (window->sidebar_button, FALSE);

  /* The dialogs fit, as sheets from the bottom. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-server", NULL);
  dialog = pi_test_find_dialog (PI_TYPE_CONNECT_DIALOG);
  g_assert_nonnull (dialog);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  g_assert_true (is_shown (dialog));
  g_assert_cmpint (gtk_widget_get_width (dialog), <=, gtk_widget_get_width (GTK_WIDGET (window)));
  close_dialog (dialog);

  /* A message open in a wide window stays open, as a page, when the
   * window narrows. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 720);
  WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) > 1000, 5);
  select_row (window, 0);
  WAIT_UNTIL (is_shown (window->message_details), 5);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->back_button)));
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) <= 360, 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 10);
  g_assert_nonnull (pi_message_list_get_selected_message (window->message_list));
  g_assert_true (is_shown (window->message_details));
  g_assert_true (is_shown (window->back_button));

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

/* --- copying says so, in either window -------------------------------------- */

/* A label under @widget reading @text, as the user sees it. */
static GtkWidget *
find_shown_label (GtkWidget  *widget,
                  const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && gtk_widget_get_mapped (child) &&
          g_strcmp0 (gtk_label_get_text (GTK_LABEL (child)), text) == 0)
        return child;
      if ((found = find_shown_label (child, text)))
        return found;
    }

  return NULL;
}

/* Each copy action of @details shows its toast in @overlay, the window's. */
static void
assert_copy_toasts (AdwToastOverlay  *overlay,
                    PiMessageDetails *details,
                    PiMessage        *message)
{
  const char *copies[][2] = {
    { "details.copy-message", "Message copied" },
    { "details.copy-payload", "Payload copied" },
    { "details.copy-value", "Value copied" },
    { "details.copy-path", "Path copied" },
  };
  GListModel *tree;

  pi_message_details_set_message (details, message);
  gtk_widget_activate_action (GTK_WIDGET (details), "details.page", "s", "payload");
  tree = pi_message_details_get_tree_model (details);
  g_assert_cmpuint (g_list_model_get_n_items (tree), >, 0);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (tree), 0, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (copies); i++)
    {
      g_assert_null (find_shown_label (GTK_WIDGET (overlay), copies[i][1]));
      gtk_widget_activate_action (GTK_WIDGET (details), copies[i][0], NULL);
      WAIT_UNTIL (find_shown_label (GTK_WIDGET (overlay), copies[i][1]) != NULL, 2);
    }
}

static void
test_copy_toast (void)
{
  static const char data[] = "{\"exchange\":\"" TASK_COMPLETED "\",\"routingKey\":\"primary.T1.0\","
                             "\"payload\":{\"taskId\":\"T1\",\"runId\":0}}";
  g_autoptr(PiMessage) message = pi_message_new_from_data (data, strlen (data), 1, g_get_real_time ());
  g_autofree char *dir = g_dir_make_tmp ("pi-copy-toast-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "capture.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *contents = g_strdup_printf ("[%s]\n", data);
  g_autoptr(GError) error = NULL;
  PiWindow *window;
  PiCaptureWindow *capture;

  /* The live window. */
  window = pi_test_window_new (app);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  assert_copy_toasts (window->toast_overlay, window->message_details, message);
  /* Brief: gone after a moment. */
  WAIT_UNTIL (find_shown_label (GTK_WIDGET (window->toast_overlay), "Path copied") == NULL, 5);

  /* A capture window, the same pane in another window and overlay. */
  g_assert_nonnull (dir);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  capture = pi_capture_window_open (GTK_APPLICATION (app), file, GTK_WINDOW (window));
  WAIT_UNTIL (!pi_capture_window_get_loading (capture) && gtk_widget_get_mapped (GTK_WIDGET (capture)), 20);
  pi_test_wait_for_frames (GTK_WIDGET (capture), 2);
  assert_copy_toasts (capture->toast_overlay, capture->message_details, message);
  /* Not in the live window's overlay. */
  g_assert_null (find_shown_label (GTK_WIDGET (window->toast_overlay), "Path copied"));

  g_object_add_weak_pointer (G_OBJECT (capture), (gpointer *) &capture);
  gtk_window_destroy (GTK_WINDOW (capture));
  WAIT_UNTIL (capture == NULL, 5);
  pi_test_window_destroy (window);
  g_unlink (path);
  g_rmdir (dir);
}

/* The sidebar's own button that hides it, while it is folded over the
 * content: at 360 px it covers nearly the whole width (issue 12). */
static GtkWidget *
find_button_with_tooltip (GtkWidget  *widget,
                          const char *tooltip)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_widget_get_tooltip_text (child), tooltip) == 0)
        return child;
      if ((found = find_button_with_tooltip (child, tooltip)))
        return found;
    }

  return NULL;
}

/* Resizes @window to @width, where the sidebar is @folded or not. */
static void
resize (PiWindow *window,
        int       width,
        gboolean  folded)
{
  gtk_window_set_default_size (GTK_WINDOW (window), width, 720);
  WAIT_UNTIL (adw_overlay_split_view_get_collapsed (window->split_view) == folded &&
              ABS (gtk_widget_get_width (GTK_WIDGET (window)) - width) < 60, 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
}

static void
test_sidebar_hide_button (void)
{
  PiWindow *window = pi_test_window_new (app);
  GtkWidget *sidebar = adw_overlay_split_view_get_sidebar (window->split_view);
  GtkWidget *hide = find_button_with_tooltip (sidebar, "Hide Bindings");
  const int folded[] = { 360, 800 };

  g_assert_nonnull (hide);

  /* Wide, the sidebar is beside the content, for good: no button. */
  resize (window, 1200, FALSE);
  g_assert_false (adw_overlay_split_view_get_collapsed (window->split_view));
  g_assert_true (is_shown (window->bindings_sidebar));
  g_assert_false (gtk_widget_get_visible (hide));

  for (guint i = 0; i < G_N_ELEMENTS (folded); i++)
    {
      resize (window, folded[i], TRUE);

      /* Shown over the content, it has its own way back: the header's
       * button, in sight and reached by a click where it is drawn. */
      adw_overlay_split_view_set_show_sidebar (window->split_view, TRUE);
      WAIT_UNTIL (is_shown (window->bindings_sidebar), 5);
      pi_test_wait_for_frames (GTK_WIDGET (window), 10);
      g_assert_true (is_shown (hide));
      {
        graphene_point_t point = middle_of (window, hide);

        g_assert_true (picks (window, hide, point.x, point.y));
      }

      gtk_widget_activate (hide);
      WAIT_UNTIL (!adw_overlay_split_view_get_show_sidebar (window->split_view), 5);
      WAIT_UNTIL (!gtk_widget_get_mapped (GTK_WIDGET (window->bindings_sidebar)), 5);
      /* And the content's button shows it again, as before. */
      g_assert_false (gtk_toggle_button_get_active (window->sidebar_button));
    }

  /* Wide again: the sidebar beside the content, the button gone. */
  resize (window, 1200, FALSE);
  adw_overlay_split_view_set_show_sidebar (window->split_view, TRUE);
  WAIT_UNTIL (is_shown (window->bindings_sidebar), 5);
  g_assert_false (gtk_widget_get_visible (hide));

  pi_test_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  pi_test_ui_init (&argc, &argv);
  app = pi_test_application_new ();

  g_test_add_func ("/pi/window-shell/one-failure", test_one_failure);
  g_test_add_func ("/pi/window-shell/bad-address", test_bad_address);
  g_test_add_func ("/pi/window-shell/credentials-refused", test_credentials_refused);
  g_test_add_func ("/pi/window-shell/disconnect-while-looking-up-token", test_disconnect_while_looking_up_token);
  g_test_add_func ("/pi/window-shell/paused-and-clear", test_paused_and_clear);
  g_test_add_func ("/pi/window-shell/connect-dialog", test_connect_dialog);
  g_test_add_func ("/pi/window-shell/share-link", test_share_link);
  g_test_add_func ("/pi/window-shell/capacity-grouped", test_capacity_grouped);
  g_test_add_func ("/pi/window-shell/one-failure-with-messages", test_one_failure_with_messages);
  g_test_add_func ("/pi/window-shell/about-icon", test_about_icon);
  g_test_add_func ("/pi/window-shell/narrow", test_narrow);
  g_test_add_func ("/pi/window-shell/copy-toast", test_copy_toast);
  g_test_add_func ("/pi/window-shell/sidebar-hide-button", test_sidebar_hide_button);
  g_test_add_func ("/pi/window-shell/lost-connection", test_lost_connection);
  g_test_add_func ("/pi/window-shell/narrow-subtitle", test_narrow_subtitle);
  g_test_add_func ("/pi/window-shell/first-start", test_first_start);
  g_test_add_func ("/pi/window-shell/first-start-after-upgrade", test_first_start_after_upgrade);
  g_test_add_func ("/pi/window-shell/first-start-binding-kept", test_first_start_binding_kept);
  g_test_add_func ("/pi/window-shell/switch-marker", test_switch_marker);
  g_test_add_func ("/pi/window-shell/connect-dialog-current", test_connect_dialog_current);

  status = g_test_run ();
  g_object_unref (app);

  return status;
}
