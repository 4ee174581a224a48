/* test-capture-ui.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Captures in the app, with real windows in-process: traffic recorded from
 * a real pulse-events (embedded exchange, free port) is saved through the
 * code the Save action runs, opened in a new capture window and compared
 * row by row; pulse-listen --output files open the same way; a file that
 * is not a capture, an old inspector download and a failing save behave
 * as a user expects. With PI_SCREENSHOT_DIR set, a capture window is saved
 * as a PNG.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "pi-application.h"
#include "pi-capture-window-private.h"
#include "pi-ui-test-util.h"
#include "pi-window-private.h"

static PiApplication *app;

/* --- the windows --------------------------------------------------------------- */

/* Opens @file as app.open does and waits until the capture window shows it. */
static PiCaptureWindow *
open_capture (GFile     *file,
              GtkWindow *parent)
{
  PiCaptureWindow *window = pi_capture_window_open (GTK_APPLICATION (app), file, parent);

  g_assert_true (pi_capture_window_get_file (window) == file);
  WAIT_UNTIL (!pi_capture_window_get_loading (window) && gtk_widget_get_mapped (GTK_WIDGET (window)), 20);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  return window;
}

/* A label under @widget whose text contains @text, as the user reads it. */
static GtkLabel *
find_label_containing (GtkWidget  *widget,
                       const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found;

      if (GTK_IS_LABEL (child) && gtk_widget_get_mapped (child) &&
          strstr (gtk_label_get_text (GTK_LABEL (child)), text) != NULL)
        return GTK_LABEL (child);
      if ((found = find_label_containing (child, text)))
        return found;
    }

  return NULL;
}

/* A widget under @widget that names @action_name: a button the user sees. */
static GtkWidget *
find_actionable (GtkWidget  *widget,
                 const char *action_name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_ACTIONABLE (child) &&
          g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), action_name) == 0)
        return child;
      if ((found = find_actionable (child, action_name)))
        return found;
    }

  return NULL;
}

/* What the tests read of a live or a capture window. */
static PiMessageStore *
window_store (gpointer window)
{
  if (PI_IS_CAPTURE_WINDOW (window))
    return pi_capture_window_get_store (window);
  return pi_window_get_store (window);
}

static AdwToastOverlay *
window_toast_overlay (gpointer window)
{
  if (PI_IS_CAPTURE_WINDOW (window))
    return PI_CAPTURE_WINDOW (window)->toast_overlay;
  return PI_WINDOW (window)->toast_overlay;
}

static gboolean
window_busy (gpointer window)
{
  if (PI_IS_CAPTURE_WINDOW (window))
    return pi_capture_window_get_busy (window);
  return pi_window_get_busy (window);
}

/* Whether the action bar at the bottom shows a file job. */
static gboolean
job_bar_revealed (PiWindow *window)
{
  GtkWidget *bar = pi_test_find_descendant (GTK_WIDGET (window->saver), GTK_TYPE_ACTION_BAR);

  g_assert_nonnull (bar);
  return gtk_action_bar_get_revealed (GTK_ACTION_BAR (bar));
}

/* The table as the user sees it: each mapped row's cells, joined by '|'. */
static GPtrArray *
visible_rows (gpointer window)
{
  g_autoptr(GPtrArray) cells = pi_test_visible_rows (window);
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < cells->len; i++)
    {
      g_autofree char *joined = g_strjoinv ("|", g_ptr_array_index (cells, i));

      g_ptr_array_add (rows, g_strconcat (joined, "|", NULL));
    }

  return rows;
}

static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Rows are recycled, so sibling order is not screen order. Waits until
 * the window has laid out as many rows as it holds (on a busy machine a
 * new window can take a few frames). */
static GPtrArray *
sorted_visible_rows (gpointer window)
{
  GPtrArray *rows;

  WAIT_UNTIL (pi_test_n_visible_rows (window) >= MIN (pi_test_n_stored (window), 6), 10);
  rows = visible_rows (window);

  g_ptr_array_sort (rows, compare_rows);
  return rows;
}

/* One message as compared: sequence, time, exchange, key, routes, payload. */
static char *
message_fields (PiMessage *message,
                gboolean   with_time)
{
  g_autoptr(JsonNode) payload = pi_message_dup_payload (message);
  g_autofree char *payload_text = payload ? json_to_string (payload, FALSE) : g_strdup ("-");
  g_autofree char *routes = pi_message_dup_routes_text (message);

  return g_strdup_printf ("%" G_GUINT64_FORMAT "|%" G_GINT64_FORMAT "|%s|%s|%s|%d|%s",
                          pi_message_get_sequence (message),
                          with_time ? pi_message_get_time_received (message) : 0,
                          pi_message_get_exchange (message),
                          pi_message_get_routing_key (message),
                          routes ? routes : "",
                          pi_message_get_redelivered (message),
                          payload_text);
}

static void
assert_same_messages (gpointer a,
                      gpointer b,
                      gboolean with_time)
{
  GListModel *ma = G_LIST_MODEL (window_store (a));
  GListModel *mb = G_LIST_MODEL (window_store (b));

  g_assert_cmpuint (g_list_model_get_n_items (ma), ==, g_list_model_get_n_items (mb));
  for (guint i = 0; i < g_list_model_get_n_items (ma); i++)
    {
      g_autoptr(PiMessage) x = g_list_model_get_item (ma, i);
      g_autoptr(PiMessage) y = g_list_model_get_item (mb, i);
      g_autofree char *fx = message_fields (x, with_time);
      g_autofree char *fy = message_fields (y, with_time);

      g_assert_cmpstr (fx, ==, fy);
    }
}

static void
assert_toast (gpointer    window,
              const char *text)
{
  WAIT_UNTIL (find_label_containing (GTK_WIDGET (window_toast_overlay (window)), text) != NULL, 5);
}

static void
save_and_wait (gpointer  window,
               GFile    *file,
               gboolean  shown_only)
{
  if (PI_IS_CAPTURE_WINDOW (window))
    pi_capture_window_save (window, file, shown_only);
  else
    pi_window_save_capture (window, file, shown_only);
  g_assert_true (window_busy (window));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "save"));
  WAIT_UNTIL (!window_busy (window), 20);
}

static void
save_png (gpointer    window,
          const char *file)
{
  const char *dir = g_getenv ("PI_SCREENSHOT_DIR");

  if (dir == NULL)
    return;

  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  pi_test_save_png (window, dir, file);
}

/* Gives @window a content of @width x @height: under Xvfb without a
 * compositor the client-side decorations take a border of the size asked. */
static void
resize_to (gpointer window,
           int      width,
           int      height)
{
  int border;

  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  border = width - gtk_widget_get_width (GTK_WIDGET (window));
  if (border != 0)
    {
      gtk_window_set_default_size (GTK_WINDOW (window), width + border, height + border);
      WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) == width, 5);
    }
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
}

/* @name-light.png and @name-dark.png, once the animations settled. */
static void
save_png_styles (gpointer    window,
                 const char *name)
{
  g_autofree char *light = g_strdup_printf ("%s-light.png", name);
  g_autofree char *dark = g_strdup_printf ("%s-dark.png", name);

  pi_test_wait_for_frames (GTK_WIDGET (window), 30);
  save_png (window, light);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  pi_test_wait_for_frames (GTK_WIDGET (window), 10);
  save_png (window, dark);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);
}

static void
unselect_all (PiCaptureWindow *window)
{
  GtkColumnView *view = pi_message_list_get_column_view (window->message_list);

  gtk_selection_model_unselect_all (gtk_column_view_get_model (view));
  WAIT_UNTIL (pi_message_list_get_selected_message (window->message_list) == NULL, 5);
}

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("pi-capture-ui-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_temp_dir (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_no_errno (g_remove (path));
    }
  g_assert_no_errno (g_rmdir (dir));
}

/* Connects @window to @server bound to task-completed and publishes @n tasks. */
static void
record (PiWindow     *window,
        PiTestServer *server,
        guint         n)
{
  pi_window_set_server_url (window, server->base_url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (pi_source_get_state (pi_window_get_stream (window)) == PI_STREAM_STATE_LIVE, 10);

  for (guint i = 1; i <= n; i++)
    pi_test_publish_task (server, i, "ünïcode ✓");
  WAIT_UNTIL (pi_test_n_stored (window) == n, 10);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
}

/* --- tests --------------------------------------------------------------------- */

/* Live traffic, saved as Save does, opened in a new window: the same rows. */
static void
test_round_trip (void)
{
  PiTestServer server = { 0 };
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "pulse-capture-test.jsonl", NULL);
  g_autofree char *shown_path = g_build_filename (dir, "shown.jsonl", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) shown_file = g_file_new_for_path (shown_path);
  g_autoptr(GPtrArray) live_rows = NULL;
  g_autoptr(GPtrArray) capture_rows = NULL;
  g_autoptr(GPtrArray) shown = NULL;
  g_autoptr(PiCaptureInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *key = NULL;
  g_autofree char *shown_key = NULL;
  PiWindow *live;
  PiCaptureWindow *capture;
  const char *state;

  pi_test_server_start (&server, 0, NULL);
  live = pi_test_window_new (app);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (live), "save"));
  record (live, &server, 6);

  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (live), "save"));
  save_and_wait (live, file, FALSE);
  assert_toast (live, "Saved 6 messages as “pulse-capture-test.jsonl”");
  g_assert_true (g_file_query_exists (file, NULL));
  /* Saving left the live window as it was. */
  g_assert_cmpuint (pi_test_n_stored (live), ==, 6);
  g_assert_cmpint (pi_source_get_state (pi_window_get_stream (live)), ==, PI_STREAM_STATE_LIVE);

  capture = open_capture (file, GTK_WINDOW (live));
  g_assert_true ((gpointer) capture != (gpointer) live);

  /* The same messages, and the same table on screen. */
  assert_same_messages (live, capture, TRUE);
  live_rows = sorted_visible_rows (live);
  capture_rows = sorted_visible_rows (capture);
  g_assert_cmpuint (live_rows->len, ==, 6);
  g_assert_cmpuint (capture_rows->len, ==, live_rows->len);
  for (guint i = 0; i < live_rows->len; i++)
    g_assert_cmpstr (g_ptr_array_index (capture_rows, i), ==, g_ptr_array_index (live_rows, i));
  key = pi_test_routing_key (3);
  /* The table leaves out the constant "primary." of the keys. */
  g_assert_nonnull (strstr (g_ptr_array_index (capture_rows, 2), key + strlen ("primary.")));

  /* Marked as a capture: the file's name, the server, no connection controls. */
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (capture)), ==, "pulse-capture-test.jsonl");
  g_assert_cmpstr (adw_window_title_get_title (capture->title), ==, "pulse-capture-test.jsonl");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (capture->title)));
  /* Nothing to connect, pause or clear: a capture window has no such actions
   * and no buttons for them, and no session or source behind them. */
  g_assert_false (PI_IS_WINDOW (capture));
  g_assert_false (g_action_group_has_action (G_ACTION_GROUP (capture), "connect"));
  g_assert_false (g_action_group_has_action (G_ACTION_GROUP (capture), "pause"));
  g_assert_false (g_action_group_has_action (G_ACTION_GROUP (capture), "clear"));
  g_assert_false (g_action_group_has_action (G_ACTION_GROUP (capture), "choose-server"));
  g_assert_false (g_action_group_has_action (G_ACTION_GROUP (capture), "add-binding"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (capture), "find"));
  g_assert_null (find_actionable (GTK_WIDGET (capture), "win.choose-server"));
  g_assert_null (find_actionable (GTK_WIDGET (capture), "win.pause"));
  g_assert_null (find_actionable (GTK_WIDGET (capture), "win.clear"));
  g_assert_null (find_actionable (GTK_WIDGET (capture), "win.add-binding"));
  /* The bindings it was recorded with, shown (not edited). */
  g_assert_nonnull (find_label_containing (GTK_WIDGET (capture->bindings_list), TASK_COMPLETED));
  state = pi_connection_bar_get_state_text (capture->connection_bar);
  expected = g_strdup_printf ("Capture of %s — 6 messages, started ", server.base_url);
  g_assert_true (g_str_has_prefix (state, expected));
  /* What was read is no "new messages" to offer a way down to. */
  g_assert_false (pi_message_list_get_new_messages_shown (capture->message_list));
  /* The capture window did not take over the live window's settings. */
  g_assert_cmpuint (g_list_model_get_n_items (pi_window_get_bindings (live)), ==, 1);

  {
    GtkSelectionModel *selection = gtk_column_view_get_model (pi_message_list_get_column_view (capture->message_list));

    gtk_selection_model_select_item (selection, 1, TRUE);
    WAIT_UNTIL (pi_message_list_get_selected_message (capture->message_list) != NULL, 5);
    save_png (capture, "capture-window.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
    save_png (capture, "capture-window-dark.png");
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);

    /* The sizes a designer looks at: wide with the details beside the
     * list, and a phone's width with the list and the details as pages. */
    if (g_getenv ("PI_SCREENSHOT_DIR") != NULL)
      {
        resize_to (capture, 1400, 900);
        save_png_styles (capture, "capture-window-1400x900");
        unselect_all (capture);
        resize_to (capture, 360, 720);
        save_png_styles (capture, "capture-window-list-360x720");
        gtk_selection_model_select_item (selection, 1, TRUE);
        WAIT_UNTIL (pi_message_list_get_selected_message (capture->message_list) != NULL, 5);
        save_png_styles (capture, "capture-window-details-360x720");
        unselect_all (capture);
      }
  }

  /* The filter and the details work as in a live window. */
  pi_message_list_set_filter_text (capture->message_list, "T0004");
  WAIT_UNTIL (pi_message_list_get_n_shown (capture->message_list) == 1, 5);
  shown = pi_capture_window_dup_shown_messages (capture);
  g_assert_cmpuint (shown->len, ==, 1);
  shown_key = pi_test_routing_key (4);
  g_assert_cmpstr (pi_message_get_routing_key (g_ptr_array_index (shown, 0)), ==, shown_key);

  save_png (capture, "capture-window-filtered.png");

  /* Save Shown Messages: only what the filter shows, same header. */
  save_and_wait (capture, shown_file, TRUE);
  assert_toast (capture, "Saved 1 message as “shown.jsonl”");
  g_clear_pointer (&shown, g_ptr_array_unref);
  shown = pi_capture_load (shown_file, &info, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (shown->len, ==, 1);
  g_assert_cmpstr (pi_message_get_routing_key (g_ptr_array_index (shown, 0)), ==, shown_key);
  g_assert_cmpstr (pi_capture_info_get_server_url (info), ==, server.base_url);
  g_assert_cmpuint (pi_capture_info_get_bindings (info)->len, ==, 1);

  pi_test_window_destroy (capture);
  pi_test_window_destroy (live);
  pi_test_server_clear (&server);
  remove_temp_dir (dir);
}

static gboolean
toplevel_titled (const char *title)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (gtk_widget_get_visible (GTK_WIDGET (toplevel)) &&
          g_strcmp0 (gtk_window_get_title (toplevel), title) == 0)
        return TRUE;
    }

  return FALSE;
}

/* Closing a window while its Save dialog is open closes the dialog too: a
 * file chosen afterwards would be saved from a window that is gone. */
static void
test_close_while_choosing (void)
{
  PiTestServer server = { 0 };
  PiWindow *live;

  pi_test_server_start (&server, 0, NULL);
  live = pi_test_window_new (app);
  record (live, &server, 2);

  gtk_widget_activate_action (GTK_WIDGET (live), "win.save", NULL);
  WAIT_UNTIL (toplevel_titled ("Save Capture"), 10);

  g_object_add_weak_pointer (G_OBJECT (live), (gpointer *) &live);
  gtk_window_destroy (GTK_WINDOW (live));
  WAIT_UNTIL (!toplevel_titled ("Save Capture"), 5);
  /* Nothing of the window is kept alive by the dialog's answer. */
  WAIT_UNTIL (live == NULL, 5);

  pi_test_server_clear (&server);
}

/* A capture recorded by pulse-listen --output opens in the app. */
static void
test_listen_output (void)
{
  PiTestServer server = { 0 };
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "listen.jsonl", NULL);
  g_autofree char *output = g_strdup_printf ("--output=%s", path);
  g_autofree char *bind = g_strdup_printf ("--bind=%s=#", TASK_COMPLETED);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) listen = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server_arg = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  PiCaptureWindow *capture;
  const char *program = g_getenv ("PULSE_LISTEN");

  g_assert_nonnull (program);
  pi_test_server_start (&server, 0, NULL);
  server_arg = g_strdup_printf ("--server=%s", server.base_url);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, pi_test_die_with_parent, NULL, NULL);
  listen = g_subprocess_launcher_spawn (launcher, &error, program, server_arg, bind,
                                        "--count=3", "--timeout=20", output, NULL);
  g_assert_no_error (error);

  /* Publish only once it is live: the exchange keeps nothing for later. */
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (listen));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (strstr (line, "Live") != NULL)
        break;
    }

  for (guint i = 1; i <= 3; i++)
    pi_test_publish_task (&server, i, "ünïcode ✓");
  g_subprocess_wait_check (listen, NULL, &error);
  g_assert_no_error (error);

  capture = open_capture (file, NULL);
  g_assert_cmpuint (pi_test_n_stored (capture), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (G_LIST_MODEL (pi_capture_window_get_store (capture)), i);
      g_autofree char *key = pi_test_routing_key (i + 1);
      g_autoptr(JsonNode) payload = pi_message_dup_payload (message);
      g_autofree char *payload_text = json_to_string (payload, FALSE);
      g_autofree char *task = g_strdup_printf ("\"taskId\":\"T%04uaaaaaaaaaaaaaaaaa\"", i + 1);

      g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);
      g_assert_cmpuint (pi_message_get_sequence (message), ==, i + 1);
      g_assert_cmpstr (pi_message_get_exchange (message), ==, TASK_COMPLETED);
      g_assert_cmpstr (pi_message_get_routing_key (message), ==, key);
      g_assert_cmpstr (pi_message_get_routes (message)[1], ==, "checks");
      g_assert_nonnull (strstr (payload_text, task));
    }

  /* On screen: three rows with the routing keys. */
  rows = sorted_visible_rows (capture);
  g_assert_cmpuint (rows->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = pi_test_routing_key (i + 1);

      g_assert_nonnull (strstr (g_ptr_array_index (rows, i), key + strlen ("primary.")));
    }

  expected = g_strdup_printf ("Capture of %s — 3 messages", server.base_url);
  g_assert_true (g_str_has_prefix (pi_connection_bar_get_state_text (capture->connection_bar), expected));

  pi_test_window_destroy (capture);
  pi_test_server_clear (&server);
  remove_temp_dir (dir);
}

/* Not a capture: a dialog says so in words; the other window keeps its messages. */
static void
test_not_a_capture (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "notes.txt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  const char *data = "{\"exchange\":\"" TASK_COMPLETED "\",\"routingKey\":\"primary.a\",\"routes\":[],\"redelivered\":false,\"payload\":{}}";
  PiWindow *live;
  PiCaptureWindow *capture;
  GtkWidget *dialog;

  g_file_set_contents (path, "Shopping list\nmilk\n", -1, &error);
  g_assert_no_error (error);

  live = pi_test_window_new (app);
  g_ptr_array_add (batch, pi_message_new_from_data (data, strlen (data), 1, g_get_real_time ()));
  pi_message_list_append (live->message_list, batch);
  g_assert_cmpuint (pi_test_n_stored (live), ==, 1);

  capture = pi_capture_window_open (GTK_APPLICATION (app), file, GTK_WINDOW (live));
  g_object_add_weak_pointer (G_OBJECT (capture), (gpointer *) &capture);
  WAIT_UNTIL (capture == NULL && pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG) != NULL, 10);

  dialog = pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG);
  g_assert_cmpstr (adw_alert_dialog_get_heading (ADW_ALERT_DIALOG (dialog)), ==, "Could Not Open the File");
  g_assert_nonnull (strstr (adw_alert_dialog_get_body (ADW_ALERT_DIALOG (dialog)), "“notes.txt” is not a Pulse Inspector capture"));
  g_assert_true (gtk_widget_get_root (dialog) == GTK_ROOT (live));

  /* Nothing else lost. */
  g_assert_cmpuint (pi_test_n_stored (live), ==, 1);
  adw_dialog_close (ADW_DIALOG (dialog));
  WAIT_UNTIL (pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG) == NULL, 5);

  pi_test_window_destroy (live);
  remove_temp_dir (dir);
}

/* The old web inspectors' download opens as a capture; Export writes it back. */
static void
test_inspector_json (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "pulse-messages.json", NULL);
  g_autofree char *export_path = g_build_filename (dir, "exported.json", NULL);
  g_autofree char *selected_path = g_build_filename (dir, "selected.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) export_file = g_file_new_for_path (export_path);
  g_autoptr(GFile) selected_file = g_file_new_for_path (selected_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *exported_text = NULL;
  GtkSelectionModel *selection;
  JsonArray *array;
  JsonObject *object;
  PiCaptureWindow *capture;
  PiCaptureWindow *reopened;
  const char *json =
    "[\n"
    "  {\"exchange\": \"exchange/taskcluster-queue/v1/task-failed\",\n"
    "   \"routingKey\": \"primary.TaskA.0.wg.w1.prov.type.sched.group._\",\n"
    "   \"payload\": {\"status\": {\"taskId\": \"TaskA\", \"state\": \"failed\"}, \"runId\": 0}},\n"
    "  {\"exchange\": \"exchange/taskcluster-queue/v1/task-completed\",\n"
    "   \"routingKey\": \"primary.TaskB.0.wg.w2.prov.type.sched.group._\",\n"
    "   \"payload\": {\"status\": {\"taskId\": \"TaskB\", \"state\": \"completed\"}, \"runId\": 0}}\n"
    "]\n";

  g_file_set_contents (path, json, -1, &error);
  g_assert_no_error (error);

  pi_test_reset_settings ();
  capture = open_capture (file, NULL);
  g_assert_cmpuint (pi_test_n_stored (capture), ==, 2);
  g_assert_cmpstr (adw_window_title_get_subtitle (capture->title), ==, "Imported messages");
  g_assert_true (g_str_has_prefix (pi_connection_bar_get_state_text (capture->connection_bar),
                                   "Imported messages — 2 messages"));
  {
    g_autoptr(GPtrArray) rows = sorted_visible_rows (capture);
    g_autofree char *both = NULL;

    /* The table leaves out the constant "primary." of the keys (and, not
     * wide, the number: rows sort by their exchange then). */
    g_assert_cmpuint (rows->len, ==, 2);
    both = g_strconcat (g_ptr_array_index (rows, 0), "\n", g_ptr_array_index (rows, 1), NULL);
    g_assert_nonnull (strstr (both, "TaskA.0.wg.w1.prov.type.sched.group._"));
    g_assert_nonnull (strstr (both, "TaskB.0.wg.w2.prov.type.sched.group._"));
  }

  /* Export the shown messages: a pretty JSON array the import reads back
   * (without times: the old format has none). */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (capture), "export-shown"));
  pi_capture_window_export_json (capture, export_file, FALSE);
  WAIT_UNTIL (!pi_capture_window_get_busy (capture), 10);
  assert_toast (capture, "Exported 2 messages as “exported.json”");

  g_file_get_contents (export_path, &exported_text, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (exported_text, "[\n  {\n    \""));
  json_parser_load_from_data (parser, exported_text, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  object = json_array_get_object_element (array, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "exchange"), ==, "exchange/taskcluster-queue/v1/task-completed");
  g_assert_cmpstr (json_object_get_string_member (object, "routingKey"), ==, "primary.TaskB.0.wg.w2.prov.type.sched.group._");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "routes")), ==, 0);
  g_assert_false (json_object_get_boolean_member (object, "redelivered"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_object_get_object_member (object, "payload"), "status"), "taskId"), ==, "TaskB");

  reopened = open_capture (export_file, GTK_WINDOW (capture));
  assert_same_messages (capture, reopened, FALSE);
  pi_test_window_destroy (reopened);

  /* Export the selected message: an array of one. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (capture), "export-selected"));
  selection = gtk_column_view_get_model (pi_message_list_get_column_view (capture->message_list));
  gtk_selection_model_select_item (selection, 0, TRUE);
  WAIT_UNTIL (pi_message_list_get_selected_message (capture->message_list) != NULL, 5);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (capture), "export-selected"));
  pi_capture_window_export_json (capture, selected_file, TRUE);
  WAIT_UNTIL (!pi_capture_window_get_busy (capture), 10);
  json_parser_load_from_file (parser, selected_path, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0), "routingKey"), ==,
                   "primary.TaskA.0.wg.w1.prov.type.sched.group._");

  pi_test_window_destroy (capture);
  remove_temp_dir (dir);
}

static GPtrArray *
make_messages (guint n)
{
  GPtrArray *batch = g_ptr_array_new_full (n, g_object_unref);
  gint64 now = g_get_real_time ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *data = g_strdup_printf ("{\"exchange\":\"" TASK_COMPLETED "\",\"routingKey\":\"primary.T%u.0\","
                                               "\"routes\":[\"r\"],\"redelivered\":false,"
                                               "\"payload\":{\"taskId\":\"T%u\",\"n\":%u}}", i, i, i);

      g_ptr_array_add (batch, pi_message_new_from_data (data, strlen (data), i + 1, now + i));
    }

  return batch;
}

/* A live window holding @n made-up messages. */
static PiWindow *
window_with_messages (guint n)
{
  g_autoptr(GPtrArray) batch = make_messages (n);
  PiWindow *live = pi_test_window_new (app);

  pi_message_list_append (live->message_list, batch);
  g_assert_cmpuint (pi_test_n_stored (live), ==, n);

  return live;
}

static gboolean
column_visible (PiMessageList *list,
                const char    *id)
{
  GtkColumnViewColumn *column = pi_test_find_column (pi_message_list_get_column_view (list), id);

  g_assert_nonnull (column);
  return gtk_column_view_column_get_visible (column);
}

/* A capture is browsed with the live window's Columns button: the same
 * menu, the recorded exchanges' routing-key words on its first page, its
 * items showing and hiding columns; there while the table is. */
static void
test_columns_button (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "columns.jsonl", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  PiWindow *live = window_with_messages (20);
  PiCaptureWindow *capture;
  GtkColumnView *view;
  GtkWidget *button;
  GtkPopover *popover;
  gboolean routes;

  g_assert_true (pi_window_add_binding (live, TASK_COMPLETED, "#"));
  save_and_wait (live, file, FALSE);
  capture = open_capture (file, GTK_WINDOW (live));
  resize_to (capture, 1024, 768);
  view = pi_message_list_get_column_view (capture->message_list);

  button = pi_test_find_menu_button (GTK_WIDGET (capture), pi_message_list_get_columns_menu (capture->message_list));
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Columns");

  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (button));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (popover)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (capture), 2);
  g_assert_nonnull (find_label_containing (GTK_WIDGET (popover), "Routes"));
  g_assert_nonnull (find_label_containing (GTK_WIDGET (popover), "workerType"));
  save_png (popover, "capture-columns-menu.png");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));

  /* Its items act on this window's table. */
  routes = column_visible (capture->message_list, "routes");
  g_assert_true (gtk_widget_activate_action (button, "columns.routes", NULL));
  g_assert_true (column_visible (capture->message_list, "routes") != routes);
  g_assert_true (column_visible (live->message_list, "routes") == routes);

  /* At 700 px a message's details cover the table: no Columns there. */
  resize_to (capture, 700, 768);
  gtk_selection_model_select_item (gtk_column_view_get_model (view), 3, TRUE);
  WAIT_UNTIL (adw_overlay_split_view_get_show_sidebar (capture->details_split), 5);
  pi_test_wait_for_frames (GTK_WIDGET (capture), 3);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (capture->back_button)));
  g_assert_false (gtk_widget_get_mapped (button));
  unselect_all (capture);
  pi_test_wait_for_frames (GTK_WIDGET (capture), 3);
  g_assert_true (gtk_widget_get_mapped (button));
  save_png (capture, "capture-columns-button-700x768.png");

  pi_test_window_destroy (capture);
  pi_test_window_destroy (live);
  remove_temp_dir (dir);
}

/* A save or export that fails is reported with the file's name and reason;
 * nothing lost. */
static void
test_save_error (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "missing", "capture.jsonl", NULL);
  g_autofree char *export_path = g_build_filename (dir, "missing", "messages.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) export_file = g_file_new_for_path (export_path);
  PiWindow *live = window_with_messages (50);

  save_and_wait (live, file, FALSE);
  assert_toast (live, "Could not save the capture as “capture.jsonl”: its folder does not exist");
  g_assert_false (job_bar_revealed (live));
  g_assert_cmpuint (pi_test_n_stored (live), ==, 50);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (live), "save"));

  /* Exporting says the same in its own words. */
  pi_window_export_json (live, export_file, FALSE);
  WAIT_UNTIL (!pi_window_get_busy (live), 10);
  assert_toast (live, "Could not export the messages as “messages.json”: its folder does not exist");

  pi_test_window_destroy (live);
  remove_temp_dir (dir);
}

static gboolean
tick_cb (gpointer user_data)
{
  gint64 *ticks = user_data;
  gint64 now = g_get_monotonic_time ();

  if (ticks[0] != 0)
    ticks[1] = MAX (ticks[1], now - ticks[0]);
  ticks[0] = now;
  ticks[2]++;

  return G_SOURCE_CONTINUE;
}

/* A large save keeps the window responsive, shows progress and can be cancelled. */
static void
test_large (void)
{
  guint n = 100000;
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "large.jsonl", NULL);
  g_autofree char *cancelled_path = g_build_filename (dir, "cancelled.jsonl", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) cancelled_file = g_file_new_for_path (cancelled_path);
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  g_autoptr(GPtrArray) batch = NULL;
  gint64 ticks[3] = { 0, 0, 0 };
  gint64 start;
  gint64 call;
  gint64 total;
  gboolean saw_bar = FALSE;
  guint tick_id;
  PiWindow *live;
  PiCaptureWindow *capture;

  if (g_getenv ("PI_TEST_LARGE_N") != NULL)
    n = (guint) g_ascii_strtoull (g_getenv ("PI_TEST_LARGE_N"), NULL, 10);

  live = pi_test_window_new (app);
  g_settings_set_uint (settings, "capacity", MAX (n, 100));
  batch = make_messages (n);
  pi_message_list_append (live->message_list, batch);
  g_assert_cmpuint (pi_test_n_stored (live), ==, n);
  pi_test_wait_for_frames (GTK_WIDGET (live), 2);

  tick_id = g_timeout_add (10, tick_cb, ticks);
  start = g_get_monotonic_time ();
  pi_window_save_capture (live, file, FALSE);
  call = g_get_monotonic_time () - start;
  while (pi_window_get_busy (live))
    {
      if (!saw_bar && job_bar_revealed (live) && n >= 500000)
        save_png (live, "saving.png");
      saw_bar |= job_bar_revealed (live);
      g_main_context_iteration (NULL, TRUE);
    }
  total = g_get_monotonic_time () - start;
  g_source_remove (tick_id);
  g_test_message ("Saving %u messages: %.0f ms in all; the call took %.0f ms; "
                  "longest main-loop stall while saving: %.0f ms",
                  n, total / 1000.0, call / 1000.0, ticks[1] / 1000.0);
  g_assert_true (saw_bar);
  /* Responsive: the save ran beside the main loop, which went on serving
   * timeouts while it worked (the longest stall is reported above, not
   * asserted: on a shared machine it measures the machine). */
  g_assert_cmpint (call, <, total);
  g_assert_cmpint (ticks[2], >=, 1);
  assert_toast (live, "Saved");

  /* Cancelled at once: no file, a word about it. */
  pi_window_save_capture (live, cancelled_file, FALSE);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (live), "cancel-save"));
  g_action_group_activate_action (G_ACTION_GROUP (live), "cancel-save", NULL);
  WAIT_UNTIL (!pi_window_get_busy (live), 20);
  assert_toast (live, "Saving cancelled");
  g_assert_false (g_file_query_exists (cancelled_file, NULL));

  /* The capture window has room for all of it. */
  start = g_get_monotonic_time ();
  capture = open_capture (file, GTK_WINDOW (live));
  g_test_message ("Opening %u messages: %.0f ms", n, (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (pi_test_n_stored (capture), ==, n);
  /* Read from the top: the first rows in view. */
  pi_test_wait_for_frames (GTK_WIDGET (capture), 5);
  g_assert_cmpfloat (gtk_adjustment_get_value (pi_message_list_get_vadjustment (capture->message_list)), ==, 0);

  pi_test_window_destroy (capture);
  pi_test_window_destroy (live);
  remove_temp_dir (dir);
}

/* Cancel on "Opening…" closes the window: the read stops with it, and a
 * file that turns out broken at its end says nothing in a closed window. */
static void
test_close_while_opening (void)
{
  guint n = 400000;
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "broken.json", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new ("[\n");
  PiCaptureSession *session;
  PiCaptureWindow *capture;
  PiWindow *live;
  GtkWidget *dialog;

  /* An old inspector download whose end is cut off: only reading all of
   * it tells that it cannot be opened. */
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "{\"exchange\":\"" TASK_COMPLETED "\",\"routingKey\":\"primary.T%u.0\","
                            "\"payload\":{\"n\":%u}},\n", i, i);
  g_file_set_contents (path, text->str, text->len - 10, &error);
  g_assert_no_error (error);

  live = pi_test_window_new (app);

  capture = pi_capture_window_open (GTK_APPLICATION (app), file, GTK_WINDOW (live));
  g_object_add_weak_pointer (G_OBJECT (capture), (gpointer *) &capture);
  session = capture->capture;
  g_object_add_weak_pointer (G_OBJECT (session), (gpointer *) &session);
  WAIT_UNTIL (capture == NULL || gtk_widget_get_mapped (GTK_WIDGET (capture)), 10);
  g_assert_nonnull (capture);
  g_assert_true (pi_capture_window_get_loading (capture));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (capture->main_stack), ==, "loading");

  /* What the Cancel button does. */
  gtk_widget_activate_action (GTK_WIDGET (capture), "window.close", NULL);
  WAIT_UNTIL (capture == NULL, 2);

  /* The read ends (the session goes with its last answer), and nothing is
   * shown for a window the user closed. */
  WAIT_UNTIL (session == NULL, 30);
  pi_test_wait_for_frames (GTK_WIDGET (live), 3);
  g_assert_null (pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG));

  /* Not closed, the same file does say it cannot be opened. */
  capture = pi_capture_window_open (GTK_APPLICATION (app), file, GTK_WINDOW (live));
  g_object_add_weak_pointer (G_OBJECT (capture), (gpointer *) &capture);
  WAIT_UNTIL (capture == NULL && pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG) != NULL, 30);
  dialog = pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG);
  g_assert_cmpstr (adw_alert_dialog_get_heading (ADW_ALERT_DIALOG (dialog)), ==, "Could Not Open the File");
  adw_dialog_close (ADW_DIALOG (dialog));
  WAIT_UNTIL (pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG) == NULL, 5);

  pi_test_window_destroy (live);
  remove_temp_dir (dir);
}

/* Closing a window while it saves stops the save: no file is left, an
 * earlier one is kept as it was, and nothing is shown afterwards. */
static void
test_close_while_saving (void)
{
  guint n = 200000;
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "new.jsonl", NULL);
  g_autofree char *old_path = g_build_filename (dir, "old.jsonl", NULL);
  g_autofree char *old_contents = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) old_file = g_file_new_for_path (old_path);
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (old_path, "earlier\n", -1, &error);
  g_assert_no_error (error);

  for (guint round = 0; round < 2; round++)
    {
      GFile *target = round == 0 ? file : old_file;
      PiWindow *live = pi_test_window_new (app);
      GtkWidget *saver = pi_test_find_descendant (GTK_WIDGET (live), PI_TYPE_CAPTURE_SAVER);
      g_autoptr(GPtrArray) batch = make_messages (n);

      g_settings_set_uint (settings, "capacity", n);
      pi_message_list_append (live->message_list, batch);
      g_assert_cmpuint (pi_test_n_stored (live), ==, n);
      g_assert_nonnull (saver);
      g_object_add_weak_pointer (G_OBJECT (saver), (gpointer *) &saver);
      pi_window_save_capture (live, target, FALSE);
      g_assert_true (pi_window_get_busy (live));

      g_object_add_weak_pointer (G_OBJECT (live), (gpointer *) &live);
      gtk_window_destroy (GTK_WINDOW (live));
      WAIT_UNTIL (live == NULL, 5);
      /* The job ends: its callback drops the last reference. */
      WAIT_UNTIL (saver == NULL, 10);
      g_assert_null (pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG));
    }

  g_assert_false (g_file_query_exists (file, NULL));
  g_file_get_contents (old_path, &old_contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (old_contents, ==, "earlier\n");

  remove_temp_dir (dir);
}

/* A truncated last line (a recording cut short) opens, with a word about it. */
static void
test_truncated (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "cut.jsonl", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  PiWindow *live = window_with_messages (3);
  PiCaptureWindow *capture;

  save_and_wait (live, file, FALSE);

  /* Cut the last line in the middle. */
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (path, contents, len - 20, &error);
  g_assert_no_error (error);

  capture = open_capture (file, GTK_WINDOW (live));
  g_assert_cmpuint (pi_test_n_stored (capture), ==, 2);
  assert_toast (capture, "cut.jsonl");

  pi_test_window_destroy (capture);
  pi_test_window_destroy (live);
  remove_temp_dir (dir);
}

/* A file dropped on a window opens in a capture window of its own. */
static void
test_drop (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "dropped.jsonl", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GListModel) controllers = NULL;
  g_autoptr(GSList) files = NULL;
  GtkDropTarget *target = NULL;
  GValue value = G_VALUE_INIT;
  PiWindow *live = window_with_messages (2);
  PiCaptureWindow *capture = NULL;
  gboolean accepted = FALSE;

  save_and_wait (live, file, FALSE);

  controllers = gtk_widget_observe_controllers (GTK_WIDGET (live));
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        target = GTK_DROP_TARGET (controller);
    }
  g_assert_nonnull (target);
  g_assert_true (g_type_is_a (gtk_drop_target_get_gtypes (target, NULL)[0], GDK_TYPE_FILE_LIST));

  /* What GTK emits when the drop lands. */
  files = g_slist_prepend (NULL, file);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  g_assert_true (accepted);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (PI_IS_CAPTURE_WINDOW (l->data))
      capture = l->data;
  g_assert_nonnull (capture);
  g_assert_true (g_file_equal (pi_capture_window_get_file (capture), file));
  WAIT_UNTIL (!pi_capture_window_get_loading (capture) && gtk_widget_get_mapped (GTK_WIDGET (capture)), 10);
  assert_same_messages (live, capture, TRUE);

  pi_test_window_destroy (capture);
  pi_test_window_destroy (live);
  remove_temp_dir (dir);
}

static void
collect_shortcut_actions (GtkWidget  *widget,
                          GHashTable *actions)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_SHORTCUTS_SHORTCUT (child))
        {
          g_autofree char *action = NULL;

          g_object_get (child, "action-name", &action, NULL);
          if (action != NULL)
            g_hash_table_add (actions, g_steal_pointer (&action));
        }
      collect_shortcut_actions (child, actions);
    }
}

/* The shortcuts window and the primary menu list the capture commands, and
 * the keys reach them. */
static void
test_shortcuts (void)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource (RESOURCE_BASE_PATH "/gtk/help-overlay.ui");
  g_autoptr(GHashTable) actions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GtkWidget *overlay = GTK_WIDGET (gtk_builder_get_object (builder, "help_overlay"));
  const struct {
    const char *action;
    const char *accel;
  } expected[] = {
    { "app.open", "<Control>o" },
    { "win.save", "<Control>s" },
    { "win.save-shown", "<Shift><Control>s" },
    { "win.export-shown", "<Control>e" },
    { "win.export-selected", "<Shift><Control>e" },
  };
  PiWindow *window;

  g_assert_nonnull (overlay);
  collect_shortcut_actions (overlay, actions);
  gtk_window_destroy (GTK_WINDOW (overlay));

  /* The accels are set at startup (g_application_register() ran it). */
  window = pi_test_window_new (app);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_auto(GStrv) set = gtk_application_get_accels_for_action (GTK_APPLICATION (app), expected[i].action);

      g_assert_true (g_hash_table_contains (actions, expected[i].action));
      g_assert_nonnull (set);
      g_assert_cmpstr (set[0], ==, expected[i].accel);
      if (g_str_has_prefix (expected[i].action, "win."))
        g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), expected[i].action + 4));
      else
        g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), expected[i].action + 4));
    }

  pi_test_window_destroy (window);
}

typedef struct
{
  PiApplication *app;
  GFile         *file;
  gboolean       checked;
} CommandLine;

static gboolean
check_command_line (gpointer user_data)
{
  CommandLine *cl = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (cl->app));
  PiCaptureWindow *window = NULL;

  for (GList *l = windows; l != NULL; l = l->next)
    if (PI_IS_CAPTURE_WINDOW (l->data))
      window = l->data;
  if (window == NULL)
    return G_SOURCE_CONTINUE;

  if (pi_capture_window_get_loading (window) || !gtk_widget_get_mapped (GTK_WIDGET (window)))
    return G_SOURCE_CONTINUE;

  /* Only the capture window: no live window besides. */
  g_assert_cmpuint (g_list_length (windows), ==, 1);
  g_assert_true (g_file_equal (pi_capture_window_get_file (window), cl->file));
  g_assert_cmpuint (pi_test_n_stored (window), ==, 4);
  cl->checked = TRUE;

  g_action_group_activate_action (G_ACTION_GROUP (cl->app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

/* `pulse-inspector FILE` opens the capture. */
static void
test_command_line (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "cl.jsonl", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GPtrArray) batch = make_messages (4);
  g_autoptr(PiCaptureInfo) info = pi_capture_info_new ("http://127.0.0.1:1/api/events/v1", NULL, NULL);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(PiCaptureWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PiApplication) cl_app = NULL;
  CommandLine cl = { NULL, file, FALSE };
  char *argv[] = { (char *) "pulse-inspector", path, NULL };
  int status;

  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  writer = pi_capture_writer_new (G_OUTPUT_STREAM (stream), info, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < batch->len; i++)
    {
      pi_capture_writer_write (writer, g_ptr_array_index (batch, i), &error);
      g_assert_no_error (error);
    }
  pi_capture_writer_close (writer, &error);
  g_assert_no_error (error);

  pi_test_reset_settings ();
  cl_app = pi_application_new ();
  cl.app = cl_app;
  g_application_set_application_id (G_APPLICATION (cl_app), APPLICATION_ID ".CaptureCommandLineTest");
  g_application_set_flags (G_APPLICATION (cl_app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  g_timeout_add (20, check_command_line, &cl);
  status = g_application_run (G_APPLICATION (cl_app), 2, argv);

  g_assert_cmpint (status, ==, 0);
  g_assert_true (cl.checked);

  remove_temp_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  pi_test_ui_init (&argc, &argv);
  app = pi_test_application_new ();

  g_test_add_func ("/pi/capture-ui/round-trip", test_round_trip);
  g_test_add_func ("/pi/capture-ui/listen-output", test_listen_output);
  g_test_add_func ("/pi/capture-ui/not-a-capture", test_not_a_capture);
  g_test_add_func ("/pi/capture-ui/inspector-json", test_inspector_json);
  g_test_add_func ("/pi/capture-ui/save-error", test_save_error);
  g_test_add_func ("/pi/capture-ui/close-while-choosing", test_close_while_choosing);
  g_test_add_func ("/pi/capture-ui/truncated", test_truncated);
  g_test_add_func ("/pi/capture-ui/large", test_large);
  g_test_add_func ("/pi/capture-ui/close-while-opening", test_close_while_opening);
  g_test_add_func ("/pi/capture-ui/close-while-saving", test_close_while_saving);
  g_test_add_func ("/pi/capture-ui/drop", test_drop);
  g_test_add_func ("/pi/capture-ui/shortcuts", test_shortcuts);
  g_test_add_func ("/pi/capture-ui/command-line", test_command_line);
  g_test_add_func ("/pi/capture-ui/columns-button", test_columns_button);

  status = g_test_run ();

  g_object_unref (app);

  return status;
}
