/* screenshots.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * screenshots DIR: drives the real window (the app's own classes, in this
 * process) through the states a user meets, against a real
 * `pulse-events --demo` ($PULSE_EVENTS), and saves one PNG per state, size
 * and style into DIR. Run it under Xvfb through build-aux/screenshots.
 *
 * Not a test: it asserts only what it needs to reach each state.
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>

#include "pi-ui-test-util.h"
#include "pi-window-private.h"

static PiApplication *app;
static const char *out_dir;
static const char *demo_bindings[] = {
  "exchange/taskcluster-queue/v1/task-completed",
  "exchange/taskcluster-queue/v1/task-failed",
  "exchange/taskcluster-queue/v1/task-exception",
  "exchange/taskcluster-queue/v1/task-running",
};

static PiStreamState
state_of (PiWindow *window)
{
  return pi_source_get_state (pi_window_get_stream (window));
}

/* A window whose content is @width x @height: under Xvfb without a
 * compositor the client-side decorations take a border of the size asked. */
static PiWindow *
new_window (int width,
            int height)
{
  PiWindow *window;
  int border;

  pi_test_reset_settings ();
  window = pi_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);

  border = width - gtk_widget_get_width (GTK_WIDGET (window));
  if (border > 0)
    {
      gtk_window_set_default_size (GTK_WINDOW (window), width + border, height + border);
      WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) == width, 5);
    }
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);

  return window;
}

static void
shoot (PiWindow   *window,
       const char *state,
       const char *style,
       int         width,
       int         height)
{
  g_autofree char *file = g_strdup_printf ("%s-%dx%d-%s.png", state, width, height, style);

  /* Animations (the details sliding in, the banner) settle first. */
  pi_test_wait_for_frames (GTK_WIDGET (window), 30);
  pi_test_save_png (window, out_dir, file);
  g_print ("%s/%s\n", out_dir, file);
}

static void
wait_seconds (double seconds)
{
  gint64 until = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  WAIT_UNTIL (g_get_monotonic_time () >= until, seconds + 1);
}

static void
bind_demo (PiWindow *window)
{
  for (guint i = 0; i < G_N_ELEMENTS (demo_bindings); i++)
    g_assert_true (pi_window_add_binding (window, demo_bindings[i], "#"));
}

/* A port nothing listens on: bound, never listening. */
static char *
refused_url (GSocket **keep)
{
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;

  *keep = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (*keep, any, FALSE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (*keep, &error);
  g_assert_no_error (error);

  return g_strdup_printf ("http://127.0.0.1:%u/api/events/v1",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
}

/* The row titled @title under @root (a dialog's rows, found as a user reads them). */
static GtkWidget *
find_row (GtkWidget  *root,
          const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, title);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* A broker: Mozilla Pulse by user name, an address with a password refused,
 * the password asked, and the window after Cancel. */
static void
shoot_broker (const char *style,
              int         width,
              int         height)
{
  PiWindow *window = new_window (width, height);
  AdwDialog *dialog;
  GtkWidget *row;

  bind_demo (window);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-server", NULL);
  WAIT_UNTIL ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window))) != NULL, 5);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (find_row (GTK_WIDGET (dialog), "Mozilla Pulse")), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (find_row (GTK_WIDGET (dialog), "Pulse User Name")), "alice");
  shoot (window, "connect-dialog-pulse", style, width, height);

  row = find_row (GTK_WIDGET (dialog), "Server URL");
  gtk_editable_set_text (GTK_EDITABLE (row), "amqps://alice:hunter2@pulse.mozilla.org/");
  gtk_widget_grab_focus (row);
  shoot (window, "connect-dialog-url-password", style, width, height);
  gtk_editable_set_text (GTK_EDITABLE (row), "");

  g_signal_emit_by_name (find_row (GTK_WIDGET (dialog), "Pulse User Name"), "entry-activated");
  WAIT_UNTIL ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window))) != NULL &&
              ADW_IS_ALERT_DIALOG (dialog), 10);
  shoot (window, "password-dialog", style, width, height);
  adw_dialog_close (dialog);
  WAIT_UNTIL (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window)) == NULL, 5);
  shoot (window, "no-password", style, width, height);

  pi_window_disconnect (window);
  pi_test_window_destroy (window);
}

static void
shoot_size (const char *style,
            int         width,
            int         height)
{
  PiTestServer server = { 0 };
  g_autoptr(GSocket) closed = NULL;
  g_autofree char *refused = NULL;
  GtkColumnView *view;
  AdwDialog *dialog;
  GtkWidget *popover;
  PiWindow *window;

  /* A first start: where to listen. Then, a server chosen and no
   * bindings yet: what to do next. */
  window = new_window (width, height);
  shoot (window, "first-start", style, width, height);
  pi_window_set_server_url (window, "http://127.0.0.1:12345");
  shoot (window, "no-bindings", style, width, height);

  /* The dialogs that start it: where to listen, and what. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.choose-server", NULL);
  WAIT_UNTIL ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window))) != NULL, 5);
  shoot (window, "connect-dialog", style, width, height);
  adw_dialog_force_close (dialog);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-binding", NULL);
  WAIT_UNTIL ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (window))) != NULL, 5);
  shoot (window, "add-binding-dialog", style, width, height);
  adw_dialog_force_close (dialog);
  pi_test_window_destroy (window);
  shoot_broker (style, width, height);

  /* A refused connection before any message: one page, one action. */
  refused = refused_url (&closed);
  window = new_window (width, height);
  pi_window_set_server_url (window, refused);
  bind_demo (window);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (pi_source_get_error_message (pi_window_get_stream (window)) != NULL, 10);
  shoot (window, "failed", style, width, height);
  pi_test_window_destroy (window);

  /* Live demo traffic. */
  pi_test_server_start (&server, 0, "--demo");
  window = new_window (width, height);
  pi_window_set_server_url (window, server.base_url);
  bind_demo (window);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  WAIT_UNTIL (pi_test_n_stored (window) >= 60, 20);
  shoot (window, "live", style, width, height);

  /* A lost connection and messages the server dropped, as the stream
   * reports them: rows of their own, their text across the table (and in
   * the next shot beside the details). */
  {
    g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

    g_ptr_array_add (batch, pi_message_new_gap (0, g_get_real_time (), "Connection reset by peer"));
    g_ptr_array_add (batch, pi_message_new_dropped (0, 12, "too-large"));
    pi_message_list_append (window->message_list, batch);
  }
  shoot (window, "markers", style, width, height);

  /* The newest message selected right after them: the marker rows beside
   * the details where there is room (narrow, the details cover the list). */
  if (width >= 1000)
    {
      GtkSelectionModel *model = gtk_column_view_get_model (pi_message_list_get_column_view (window->message_list));

      pi_test_wait_for_frames (GTK_WIDGET (window), 10);
      gtk_selection_model_select_item (model, g_list_model_get_n_items (G_LIST_MODEL (model)) - 1, TRUE);
      shoot (window, "markers-selected", style, width, height);
      gtk_selection_model_unselect_all (model);
      pi_message_list_follow (window->message_list);
    }

  /* The connection's details, from the title (a popover: a surface of its own). */
  gtk_menu_button_popup (window->counters_button);
  popover = GTK_WIDGET (gtk_menu_button_get_popover (window->counters_button));
  WAIT_UNTIL (gtk_widget_get_mapped (popover), 5);
  pi_test_wait_for_frames (popover, 10);
  {
    g_autofree char *file = g_strdup_printf ("connection-details-%dx%d-%s.png", width, height, style);

    pi_test_save_png (popover, out_dir, file);
  }
  gtk_menu_button_popdown (window->counters_button);

  /* A message selected: beside the list, or its own page when narrow. */
  view = pi_message_list_get_column_view (window->message_list);
  gtk_selection_model_select_item (gtk_column_view_get_model (view),
                                   g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (view))) - 3,
                                   TRUE);
  shoot (window, "selected", style, width, height);
  gtk_selection_model_unselect_all (gtk_column_view_get_model (view));
  pi_message_list_follow (window->message_list);

  /* Paused, with messages held. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "pause", g_variant_new_boolean (TRUE));
  WAIT_UNTIL (pi_session_get_n_held (window->session) >= 20, 10);
  shoot (window, "paused", style, width, height);
  g_action_group_change_action_state (G_ACTION_GROUP (window), "pause", g_variant_new_boolean (FALSE));

  /* A filter that matches nothing. */
  pi_message_list_set_search_mode (window->message_list, TRUE);
  pi_message_list_set_filter_text (window->message_list, "no-such-worker");
  wait_seconds (0.5);
  shoot (window, "filter-empty", style, width, height);
  pi_message_list_set_filter_text (window->message_list, "");
  pi_message_list_set_search_mode (window->message_list, FALSE);

  /* The server goes away while messages are shown: one banner. */
  pi_test_server_stop (&server, SIGTERM);
  WAIT_UNTIL (adw_banner_get_revealed (window->error_banner), 20);
  shoot (window, "failed-banner", style, width, height);

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

int
main (int   argc,
      char *argv[])
{
  static const int sizes[][2] = { { 1400, 900 }, { 800, 600 }, { 360, 720 } };
  static const struct {
    const char     *name;
    AdwColorScheme  scheme;
  } styles[] = {
    { "light", ADW_COLOR_SCHEME_FORCE_LIGHT },
    { "dark", ADW_COLOR_SCHEME_FORCE_DARK },
  };

  pi_test_ui_init (&argc, &argv);
  if (argc < 2)
    {
      g_printerr ("usage: screenshots DIR [WIDTHxHEIGHT...]\n");
      return 2;
    }
  out_dir = argv[1];
  g_mkdir_with_parents (out_dir, 0755);
  app = pi_test_application_new ();

  for (guint s = 0; s < G_N_ELEMENTS (styles); s++)
    {
      adw_style_manager_set_color_scheme (adw_style_manager_get_default (), styles[s].scheme);
      /* Only the sizes asked for, if any. */
      for (int a = 2; a < argc; a++)
        {
          int width, height;

          if (sscanf (argv[a], "%dx%d", &width, &height) != 2)
            {
              g_printerr ("screenshots: not a size: %s\n", argv[a]);
              return 2;
            }
          shoot_size (styles[s].name, width, height);
        }
      for (guint i = 0; i < G_N_ELEMENTS (sizes) && argc == 2; i++)
        shoot_size (styles[s].name, sizes[i][0], sizes[i][1]);
    }

  g_object_unref (app);

  return 0;
}
