/* test-window.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The real window, driven in-process against a real pulse-events (embedded
 * exchange) that each test starts on a free port: what a user types, sees
 * and clicks. With PI_SCREENSHOT_DIR set, the main states are saved as PNGs
 * in light and dark style.
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <adwaita.h>

#include "pi-add-binding-dialog.h"
#include "pi-application.h"
#include "pi-message-cells.h"
#include "pi-payload-tree.h"
#include "pi-preferences-dialog.h"
#include "pi-ui-test-util.h"
#include "pi-window-private.h"

#define TASK_FAILED "exchange/taskcluster-queue/v1/task-failed"

static PiApplication *app;

/* --- the window ---------------------------------------------------------- */

static PiStreamState
state_of (PiWindow *window)
{
  return pi_source_get_state (pi_window_get_stream (window));
}

/* Binds task-completed with # and connects to @server; waits for Live. */
static void
connect_live (PiWindow     *window,
              PiTestServer *server)
{
  pi_window_set_server_url (window, server->base_url);
  if (g_list_model_get_n_items (pi_window_get_bindings (window)) == 0)
    g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  g_assert_cmpstr (pi_connection_bar_get_state_text (window->connection_bar), ==, "Live");
  /* Live: the list (with its own "Waiting for Messages" page) is shown. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "messages");
}

/* A window live on a new server with one message, then the server killed
 * (SIGKILL: no word to the window); returns once the window waits to
 * reconnect, with the server's port in @port for starting it again. */
static PiWindow *
live_then_killed (PiTestServer *server,
                  guint        *port)
{
  PiWindow *window;

  pi_test_server_start (server, 0, NULL);
  *port = server->port;
  window = pi_test_window_new (app);
  connect_live (window, server);
  pi_test_publish_task (server, 1, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 1, 10);

  pi_test_server_stop (server, SIGKILL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_RECONNECTING, 10);
  return window;
}

/* --- screenshots --------------------------------------------------------- */

/* Saves the window in light style as @light_file and in dark style as
 * @dark_file, into $PI_SCREENSHOT_DIR. */
static void
screenshot_files (PiWindow   *window,
                  const char *light_file,
                  const char *dark_file)
{
  const char *dir = g_getenv ("PI_SCREENSHOT_DIR");
  AdwStyleManager *style = adw_style_manager_get_default ();

  if (dir == NULL || dir[0] == '\0')
    return;

  g_mkdir_with_parents (dir, 0755);

  for (guint i = 0; i < 2; i++)
    {
      adw_style_manager_set_color_scheme (style, i == 0 ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                                        : ADW_COLOR_SCHEME_FORCE_DARK);
      /* Let the style change, the crossfades and the spinner settle. */
      pi_test_wait_for_frames (GTK_WIDGET (window), 20);
      pi_test_save_png (window, dir, i == 0 ? light_file : dark_file);
    }

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
}

/* NAME-light.png and NAME-dark.png */
static void
screenshot (PiWindow   *window,
            const char *name)
{
  g_autofree char *light = g_strdup_printf ("%s-light.png", name);
  g_autofree char *dark = g_strdup_printf ("%s-dark.png", name);

  screenshot_files (window, light, dark);
}

/* --- tests --------------------------------------------------------------- */

static PiAddBindingDialog *
open_add_dialog (PiWindow *window)
{
  PiAddBindingDialog *dialog;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-binding", NULL);
  dialog = PI_ADD_BINDING_DIALOG (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG));
  g_assert_nonnull (dialog);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  return dialog;
}

static gboolean
add_enabled (PiAddBindingDialog *dialog)
{
  return gtk_widget_get_sensitive (pi_add_binding_dialog_get_add_button (dialog));
}

/* How many status pages titled @title the user sees in @widget. */
static guint
count_shown_status_pages (GtkWidget  *widget,
                          const char *title)
{
  guint n = 0;

  if (!gtk_widget_get_mapped (widget))
    return 0;
  if (ADW_IS_STATUS_PAGE (widget) && g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (widget)), title) == 0)
    n++;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    n += count_shown_status_pages (child, title);
  return n;
}

static void
test_bindings (void)
{
  PiWindow *window = pi_test_window_new (app);
  PiAddBindingDialog *add_dialog;
  GtkEditable *exchange;
  GtkEditable *pattern;
  GListModel *bindings = pi_window_get_bindings (window);
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  g_autoptr(GVariant) saved = NULL;
  g_autoptr(GError) expected = NULL;
  g_autoptr(GPtrArray) link_bindings = NULL;
  g_autofree char *link = NULL;
  GPtrArray *fields;
  GtkListBoxRow *row;
  GtkWidget *remove;

  /* A server chosen (port 9: nothing listens), nothing bound: the main
   * area says so, and only it (the sidebar, shown beside it at this width,
   * does not say it again). */
  pi_window_set_server_url (window, "http://127.0.0.1:9/api/events/v1");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "no-bindings");
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->bindings_sidebar)));
  g_assert_cmpuint (count_shown_status_pages (GTK_WIDGET (window), "No Bindings"), ==, 1);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window->no_bindings_page)));
  add_dialog = open_add_dialog (window);
  exchange = pi_add_binding_dialog_get_exchange_entry (add_dialog);
  pattern = pi_add_binding_dialog_get_pattern_entry (add_dialog);
  g_assert_cmpstr (gtk_editable_get_text (pattern), ==, "#");
  g_assert_false (add_enabled (add_dialog));
  screenshot (window, "no-bindings");

  /* Completion from the catalog while typing the exchange. */
  gtk_widget_grab_focus (GTK_WIDGET (exchange));
  gtk_editable_set_text (exchange, "task-comp");
  g_assert_true (gtk_widget_get_visible (pi_add_binding_dialog_get_completion (add_dialog)));
  gtk_editable_set_text (exchange, "");
  g_assert_false (gtk_widget_get_visible (pi_add_binding_dialog_get_completion (add_dialog)));

  /* A catalog exchange: the by-field builder writes the pattern. */
  gtk_editable_set_text (exchange, TASK_COMPLETED);
  fields = pi_add_binding_dialog_get_field_entries (add_dialog);
  g_assert_cmpuint (fields->len, >=, 8);
  for (guint i = 0; i < fields->len; i++)
    {
      GtkWidget *field = g_ptr_array_index (fields, i);

      if (g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (field)), "taskGroupId") == 0)
        {
          g_assert_nonnull (gtk_widget_get_tooltip_text (field));
          gtk_editable_set_text (GTK_EDITABLE (field), "Gbbbbbbbbbbbbbbbbbbbbb");
        }
    }
  g_assert_cmpstr (gtk_editable_get_text (pattern), ==, "primary.*.*.*.*.*.*.*.Gbbbbbbbbbbbbbbbbbbbbb.#");
  g_assert_true (add_enabled (add_dialog));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (add_dialog), ==, "");

  /* Add, as Enter in the pattern entry does: the add_dialog closes. */
  g_signal_emit_by_name (pattern, "entry-activated");
  g_assert_cmpuint (g_list_model_get_n_items (bindings), ==, 1);
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
  /* Bound but not connected, nothing received: the page says so. */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "not-connected");
  saved = g_settings_get_value (settings, "bindings");
  g_assert_cmpstr (g_variant_print (saved, FALSE), ==,
                   "[('" TASK_COMPLETED "', 'primary.*.*.*.*.*.*.*.Gbbbbbbbbbbbbbbbbbbbbb.#')]");

  /* An invalid pattern: error style, the reason below, Add disabled. */
  add_dialog = open_add_dialog (window);
  exchange = pi_add_binding_dialog_get_exchange_entry (add_dialog);
  pattern = pi_add_binding_dialog_get_pattern_entry (add_dialog);
  gtk_editable_set_text (exchange, TASK_COMPLETED);
  gtk_editable_set_text (pattern, "route.b*");
  pi_binding_validate_pattern ("route.b*", &expected);
  g_assert_nonnull (expected);
  g_assert_false (add_enabled (add_dialog));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (add_dialog), ==, expected->message);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (pattern), "error"));
  g_signal_emit_by_name (pattern, "entry-activated");
  g_assert_cmpuint (g_list_model_get_n_items (bindings), ==, 1);
  screenshot (window, "invalid-binding");

  /* A valid one again clears the error; a second binding is added. */
  gtk_editable_set_text (pattern, "route.index.project.#");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (pattern), "error"));
  g_assert_true (add_enabled (add_dialog));
  g_signal_emit_by_name (pi_add_binding_dialog_get_add_button (add_dialog), "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (bindings), ==, 2);
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);

  /* The same binding twice cannot be added. */
  add_dialog = open_add_dialog (window);
  gtk_editable_set_text (pi_add_binding_dialog_get_exchange_entry (add_dialog), TASK_COMPLETED);
  gtk_editable_set_text (pi_add_binding_dialog_get_pattern_entry (add_dialog), "route.index.project.#");
  g_assert_false (add_enabled (add_dialog));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (add_dialog), !=, "");
  adw_dialog_close (ADW_DIALOG (add_dialog));
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);

  /* Remove the first with its row's button. */
  row = gtk_list_box_get_row_at_index (pi_bindings_sidebar_get_list (window->bindings_sidebar), 0);
  remove = pi_test_find_descendant (GTK_WIDGET (row), GTK_TYPE_BUTTON);
  g_assert_nonnull (remove);
  g_signal_emit_by_name (remove, "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (bindings), ==, 1);
  {
    g_autoptr(PiBinding) left = g_list_model_get_item (bindings, 0);

    g_assert_cmpstr (pi_binding_get_routing_key_pattern (left), ==, "route.index.project.#");
  }

  /* A share link pasted into the exchange entry is imported. */
  link_bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (link_bindings, pi_binding_new (TASK_FAILED, "#"));
  g_ptr_array_add (link_bindings, pi_binding_new (TASK_COMPLETED, "route.index.project.#"));
  link = pi_bindings_to_share_link ("https://tc.example.com/api/events/v1", link_bindings);
  add_dialog = open_add_dialog (window);
  gtk_editable_set_text (pi_add_binding_dialog_get_exchange_entry (add_dialog), link);
  WAIT_UNTIL (g_list_model_get_n_items (bindings) == 2 &&
              pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
  g_assert_cmpstr (pi_session_get_server_url (window->session), ==,
                   "https://tc.example.com/api/events/v1");

  /* The copied link reads back to the same bindings. */
  {
    g_autofree char *copy = pi_window_dup_share_link (window);
    g_autoptr(GPtrArray) back = pi_bindings_from_share_link (copy, NULL);

    g_assert_true (g_str_has_prefix (copy, "https://tc.example.com/api/events/v1?"));
    g_assert_nonnull (back);
    g_assert_cmpuint (back->len, ==, 2);
  }

  /* The Import Share Link dialog: Import is enabled only for a link. */
  {
    g_autoptr(GPtrArray) more = g_ptr_array_new_with_free_func (g_object_unref);
    g_autofree char *more_link = NULL;
    AdwAlertDialog *dialog;
    GtkWidget *entry;

    gtk_widget_activate_action (GTK_WIDGET (window), "win.import-link", NULL);
    dialog = ADW_ALERT_DIALOG (pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG));
    g_assert_nonnull (dialog);
    entry = pi_test_find_descendant (GTK_WIDGET (dialog), GTK_TYPE_ENTRY);
    g_assert_nonnull (entry);
    g_assert_false (adw_alert_dialog_get_response_enabled (dialog, "import"));
    gtk_editable_set_text (GTK_EDITABLE (entry), "not a link");
    g_assert_false (adw_alert_dialog_get_response_enabled (dialog, "import"));

    g_ptr_array_add (more, pi_binding_new (TASK_FAILED, "primary.#"));
    more_link = pi_bindings_to_share_link ("https://tools.example.com/pulse-inspector", more);
    gtk_editable_set_text (GTK_EDITABLE (entry), more_link);
    g_assert_true (adw_alert_dialog_get_response_enabled (dialog, "import"));
    /* Enter in the entry imports, as the user would press it. */
    g_signal_emit_by_name (entry, "activate");
    g_assert_cmpuint (g_list_model_get_n_items (bindings), ==, 3);
    pi_bindings_sidebar_remove (window->bindings_sidebar, 2);
    WAIT_UNTIL (pi_test_find_dialog (ADW_TYPE_ALERT_DIALOG) == NULL, 5);
  }

  /* Ctrl+V outside a text field imports a share link from the clipboard. */
  {
    g_autoptr(GPtrArray) more = g_ptr_array_new_with_free_func (g_object_unref);
    g_autofree char *more_link = NULL;

    g_ptr_array_add (more, pi_binding_new (TASK_FAILED, "route.tc-treeherder.#"));
    more_link = pi_bindings_to_share_link ("https://tools.example.com/pulse-inspector", more);
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (window)), more_link);
    gtk_widget_activate_action (GTK_WIDGET (window), "window.paste-link", NULL);
    WAIT_UNTIL (g_list_model_get_n_items (bindings) == 3, 5);
    /* An inspector page is no events server: the server stays. */
    g_assert_cmpstr (pi_session_get_server_url (window->session), ==,
                     "https://tc.example.com/api/events/v1");
    pi_bindings_sidebar_remove (window->bindings_sidebar, 2);
  }

  /* Removing all shows the empty state again, also in the settings. */
  pi_bindings_sidebar_remove (window->bindings_sidebar, 0);
  pi_bindings_sidebar_remove (window->bindings_sidebar, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "no-bindings");
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_cmpuint (count_shown_status_pages (GTK_WIDGET (window), "No Bindings"), ==, 1);
  g_clear_pointer (&saved, g_variant_unref);
  saved = g_settings_get_value (settings, "bindings");
  g_assert_cmpuint (g_variant_n_children (saved), ==, 0);

  pi_test_window_destroy (window);
}

static void
test_live (void)
{
  PiTestServer server = { 0 };
  PiWindow *window;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *key1 = pi_test_routing_key (1);
  g_autofree char *summary = NULL;
  GtkSelectionModel *selection;
  GListModel *tree;
  gboolean seen_status = FALSE;
  gboolean seen_task_id = FALSE;

  pi_test_server_start (&server, 0, NULL);
  window = pi_test_window_new (app);
  /* Wide enough for every column beside the sidebar (narrower, the number
   * and the routes give their room to the routing key). */
  gtk_window_set_default_size (GTK_WINDOW (window), 1500, 900);
  connect_live (window, &server);

  /* The button now disconnects. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "disconnect"));

  for (guint i = 1; i <= 3; i++)
    pi_test_publish_task (&server, i, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 3, 10);
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);

  /* The rows, with the columns a user reads. */
  rows = pi_test_visible_rows (window);
  g_assert_cmpuint (rows->len, ==, 3);
  {
    char **row = g_ptr_array_index (rows, 0);

    g_assert_cmpuint (g_strv_length (row), ==, 6);
    g_assert_cmpstr (row[0], ==, "1");
    g_assert_true (g_regex_match_simple ("^\\d\\d:\\d\\d:\\d\\d", row[1], 0, 0));
    g_assert_cmpstr (row[2], ==, "task-completed");
    /* Without the "primary." every Taskcluster key starts with. */
    g_assert_cmpstr (row[3], ==, key1 + strlen ("primary."));
    g_assert_cmpstr (row[4], ==, "index.project.test.latest, checks");
    /* Redelivered: an icon only when true, no "No" (issue 12). */
    g_assert_cmpstr (row[5], ==, "");
    g_assert_cmpstr (((char **) g_ptr_array_index (rows, 2))[0], ==, "3");
  }

  /* Counters; the ping interval is 1 s. */
  WAIT_UNTIL (pi_source_get_last_ping (pi_window_get_stream (window)) != NULL, 5);
  summary = pi_connection_bar_dup_summary (window->connection_bar);
  g_assert_cmpstr (summary, ==, "received=3 shown=3 evicted=0 dropped=0 held=0");

  /* Filter by a routing-key word. */
  g_object_set (window->message_list, "filter-text", "T0002", NULL);
  WAIT_UNTIL (pi_message_list_get_n_shown (window->message_list) == 1, 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_cmpuint (pi_test_n_visible_rows (window), ==, 1);
  g_object_set (window->message_list, "filter-text", "", NULL);
  WAIT_UNTIL (pi_message_list_get_n_shown (window->message_list) == 3, 5);

  /* Pause: the connection stays, new messages are held and counted. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.pause", NULL);
  g_assert_true (pi_session_get_paused (window->session));
  g_assert_true (gtk_toggle_button_get_active (window->pause_button));
  pi_test_publish_task (&server, 4, NULL);
  pi_test_publish_task (&server, 5, NULL);
  WAIT_UNTIL (pi_source_get_n_messages (pi_window_get_stream (window)) == 5, 10);
  WAIT_UNTIL (pi_session_get_n_held (window->session) == 2, 5);
  g_assert_cmpuint (pi_test_n_stored (window), ==, 3);
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_LIVE);
  g_free (summary);
  summary = pi_connection_bar_dup_summary (window->connection_bar);
  g_assert_cmpstr (summary, ==, "received=5 shown=3 evicted=0 dropped=0 held=2");

  /* Resume appends them in order. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.pause", NULL);
  g_assert_false (pi_session_get_paused (window->session));
  WAIT_UNTIL (pi_test_n_stored (window) == 5, 5);
  {
    g_autoptr(PiMessage) last = g_list_model_get_item (G_LIST_MODEL (pi_window_get_store (window)), 4);

    g_assert_cmpuint (pi_message_get_sequence (last), ==, 5);
  }

  /* The rate is computed once a second from what arrived. */
  for (guint i = 6; i <= 10; i++)
    pi_test_publish_task (&server, i, NULL);
  WAIT_UNTIL (pi_session_get_rate (window->session) > 0, 5);
  /* The counter runs ahead of the batches that reach the list. */
  WAIT_UNTIL (pi_test_n_stored (window) == 10, 5);

  /* Select a message: the details show its payload as a tree. */
  selection = gtk_column_view_get_model (pi_message_list_get_column_view (window->message_list));
  gtk_selection_model_select_item (selection, 1, TRUE);
  g_assert_true (pi_message_details_get_message (window->message_details) ==
                 pi_message_list_get_selected_message (window->message_list));
  tree = pi_message_details_get_tree_model (window->message_details);
  g_assert_nonnull (tree);
  for (guint i = 0; i < g_list_model_get_n_items (tree); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (tree, i);
      g_autoptr(PiJsonItem) item = gtk_tree_list_row_get_item (row);

      if (g_strcmp0 (pi_json_item_get_path (item), "$.status") == 0)
        {
          g_assert_cmpstr (pi_json_item_get_type_name (item), ==, "object");
          seen_status = TRUE;
        }
      else if (g_strcmp0 (pi_json_item_get_path (item), "$.status.taskId") == 0)
        {
          g_assert_cmpstr (pi_json_item_get_value (item), ==, "\"T0002aaaaaaaaaaaaaaaaa\"");
          g_assert_cmpstr (pi_json_item_get_type_name (item), ==, "string");
          seen_task_id = TRUE;
        }
    }
  g_assert_true (seen_status);
  g_assert_true (seen_task_id);
  g_assert_cmpstr (pi_message_details_get_field (window->message_details, "taskGroupId"), ==,
                   "Gbbbbbbbbbbbbbbbbbbbbb");

  /* Clear: the list is empty and waits for messages; still live. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.clear", NULL);
  g_assert_cmpuint (pi_test_n_stored (window), ==, 0);
  g_assert_cmpstr (pi_message_list_get_visible_page (window->message_list), ==, "waiting");
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_LIVE);
  pi_test_publish_task (&server, 11, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 1, 10);

  /* Changing the bindings while live reconnects with the new set. */
  {
    GPtrArray *stream_bindings;

    g_assert_true (pi_window_add_binding (window, TASK_FAILED, "#"));
    WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE &&
                pi_source_get_bindings (pi_window_get_stream (window))->len == 2, 10);
    stream_bindings = pi_source_get_bindings (pi_window_get_stream (window));
    g_assert_cmpstr (pi_binding_get_exchange (g_ptr_array_index (stream_bindings, 1)), ==, TASK_FAILED);
    pi_test_publish (&server, TASK_FAILED, "primary.x", "[]", "{\"failed\": true}");
    WAIT_UNTIL (pi_test_n_stored (window) >= 2, 10);
  }

  /* Disconnect. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.disconnect", NULL);
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_DISCONNECTED);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "disconnect"));
  g_assert_cmpuint (pi_test_n_stored (window), >=, 2);

  /* With the messages kept, removing every binding leaves the list shown:
   * the sidebar is where "No Bindings" is told then, once. */
  pi_bindings_sidebar_remove (window->bindings_sidebar, 0);
  pi_bindings_sidebar_remove (window->bindings_sidebar, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "messages");
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_assert_true (gtk_widget_get_mapped (pi_bindings_sidebar_get_empty_state (window->bindings_sidebar)));
  g_assert_cmpuint (count_shown_status_pages (GTK_WIDGET (window), "No Bindings"), ==, 1);

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

static void
test_server_error (void)
{
  PiTestServer server = { 0 };
  PiWindow *window;
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  const char *state_text;

  pi_test_server_start (&server, 0, NULL);
  window = pi_test_window_new (app);
  connect_live (window, &server);
  pi_test_publish_task (&server, 1, NULL);
  pi_test_publish_task (&server, 2, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 2, 10);

  /* The editor refuses a pattern like this; a link or an older settings
   * file can still bring one, and then the server answers with `error`.
   * Changing the bindings while live reconnects with the new set. */
  g_ptr_array_add (bindings, pi_binding_new (TASK_COMPLETED, "#"));
  g_ptr_array_add (bindings, pi_binding_new (TASK_FAILED, "route.b*"));
  pi_window_set_bindings (window, bindings);

  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_FAILED, 10);
  state_text = pi_connection_bar_get_state_text (window->connection_bar);
  g_assert_true (g_str_has_prefix (state_text, "Failed: "));
  g_assert_nonnull (strstr (state_text, "b*"));
  g_assert_true (adw_banner_get_revealed (window->error_banner));
  g_assert_nonnull (strstr (adw_banner_get_title (window->error_banner), "b*"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "disconnect"));

  /* What was received stays. */
  g_assert_cmpuint (pi_test_n_stored (window), ==, 2);
  screenshot (window, "error");

  /* A bad address is an error in words too, before any request. */
  pi_window_set_server_url (window, "ftp://example.com/");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_FAILED);
  g_assert_nonnull (strstr (adw_banner_get_title (window->error_banner), "ftp://example.com/"));

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

/* The row of @position in the bindings sidebar: its subtitle (pattern, and
 * the error under it when one is reported). */
static const char *
binding_row_subtitle (PiWindow *window,
                      int       position)
{
  GtkListBox *list = pi_bindings_sidebar_get_list (window->bindings_sidebar);
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, position);

  g_assert_true (ADW_IS_ACTION_ROW (row));
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

/* A Taskcluster root URL: the window speaks the web-server's WebSocket
 * protocol to pulse-events' /subscription/raw, shows which protocol is live,
 * and a binding the server refuses is told on its own row while the window
 * stays live. */
static void
test_root_url (void)
{
  PiTestServer server = { 0 };
  PiWindow *window;
  g_autofree char *root = NULL;
  g_autoptr(GPtrArray) bindings = g_ptr_array_new_with_free_func (g_object_unref);
  const char *subtitle;

  pi_test_server_start (&server, 0, NULL);
  root = g_strdup_printf ("http://127.0.0.1:%u", server.port);
  window = pi_test_window_new (app);

  pi_window_set_server_url (window, root);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  g_assert_cmpstr (pi_source_get_protocol_name (pi_window_get_stream (window)), ==, "WebSocket");
  /* Only events v1 servers send pings: no "No ping yet" to worry about. */
  pi_connection_bar_update (window->connection_bar);
  g_assert_cmpstr (pi_connection_bar_get_activity_text (window->connection_bar), ==,
                   "Kept alive by WebSocket pings");

  pi_test_publish_task (&server, 1, NULL);
  pi_test_publish_task (&server, 2, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 2, 10);
  g_assert_null (strchr (binding_row_subtitle (window, 0), '\n'));

  /* A pattern the server refuses: the error lands on that binding's row,
   * the window does not fail, and what was received stays. */
  g_ptr_array_add (bindings, pi_binding_new (TASK_COMPLETED, "#"));
  g_ptr_array_add (bindings, pi_binding_new (TASK_FAILED, "route.b*"));
  pi_window_set_bindings (window, bindings);
  WAIT_UNTIL (strchr (binding_row_subtitle (window, 1), '\n') != NULL, 10);
  subtitle = binding_row_subtitle (window, 1);
  g_assert_nonnull (strstr (subtitle, "route.b*"));
  g_assert_cmpuint (strlen (strchr (subtitle, '\n')), >, 10);
  g_assert_cmpint (state_of (window), !=, PI_STREAM_STATE_FAILED);
  g_assert_cmpuint (pi_test_n_stored (window), >=, 2);

  /* Fixed, the error goes with the next attempt. */
  g_ptr_array_set_size (bindings, 0);
  g_ptr_array_add (bindings, pi_binding_new (TASK_FAILED, "route.b.*"));
  pi_window_set_bindings (window, bindings);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 10);
  g_assert_null (strchr (binding_row_subtitle (window, 0), '\n'));

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

static void
test_reconnect (void)
{
  PiTestServer server = { 0 };
  PiWindow *window;
  guint port;

  /* The server goes away without a word (a crash, a lost network; a server
   * that shuts down cleanly ends the stream with an `error` event, which is
   * final): the window says it will reconnect. */
  window = live_then_killed (&server, &port);
  g_assert_true (g_str_has_prefix (pi_connection_bar_get_state_text (window->connection_bar),
                                   "Connection lost · reconnecting in "));

  /* It comes back on the same port: the window is live again by itself. */
  g_clear_pointer (&server.base_url, g_free);
  pi_test_server_start (&server, port, NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 20);
  pi_test_publish_task (&server, 2, NULL);
  WAIT_UNTIL (pi_source_get_n_messages (pi_window_get_stream (window)) == 2, 10);

  /* The first message stayed; a gap marker may sit between. */
  {
    GListModel *store = G_LIST_MODEL (pi_window_get_store (window));
    g_autoptr(PiMessage) first = g_list_model_get_item (store, 0);
    g_autoptr(PiMessage) last = g_list_model_get_item (store, g_list_model_get_n_items (store) - 1);

    g_autofree char *key1 = pi_test_routing_key (1);

    g_assert_cmpstr (pi_message_get_routing_key (first), ==, key1);
    g_assert_cmpint (pi_message_get_kind (last), ==, PI_MESSAGE_KIND_DECODED);
  }

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

typedef struct
{
  guint max_seconds;
  guint n_delays;
} Delays;

/* Each time the window starts waiting to reconnect: the delay it chose. */
static void
on_delay_chosen (PiSource   *stream,
                 GParamSpec *pspec,
                 Delays     *delays)
{
  if (pi_source_get_state (stream) != PI_STREAM_STATE_RECONNECTING)
    return;

  delays->max_seconds = MAX (delays->max_seconds, pi_source_get_retry_seconds (stream));
  delays->n_delays++;
}

/* The server is away for 25 s: the window, which had been live, waits at
 * most 10 s (plus a quarter of jitter) between attempts, so it is live
 * again soon after the server is back; doubling on, it waited 16 s. */
static void
test_reconnect_capped (void)
{
  PiTestServer server = { 0 };
  Delays delays = { 0 };
  PiWindow *window;
  gint64 down_at;
  gulong handler;
  guint port;

  pi_test_server_start (&server, 0, NULL);
  port = server.port;
  window = pi_test_window_new (app);
  connect_live (window, &server);
  pi_test_publish_task (&server, 1, NULL);
  WAIT_UNTIL (pi_test_n_stored (window) == 1, 10);
  handler = g_signal_connect (pi_window_get_stream (window), "notify::state", G_CALLBACK (on_delay_chosen), &delays);

  pi_test_server_stop (&server, SIGKILL);
  down_at = g_get_monotonic_time ();
  WAIT_UNTIL (g_get_monotonic_time () - down_at > 25 * G_USEC_PER_SEC, 30);
  g_assert_cmpint (state_of (window), ==, PI_STREAM_STATE_RECONNECTING);
  g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Connection lost"));

  g_clear_pointer (&server.base_url, g_free);
  pi_test_server_start (&server, port, NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 13 + 3);

  /* The delays the worker chose: grown by the backoff, and capped. */
  g_assert_cmpuint (delays.n_delays, >=, 4);
  g_assert_cmpuint (delays.max_seconds, >=, 8);
  g_assert_cmpuint (delays.max_seconds, <=, 13);
  g_assert_false (pi_session_get_lost (window->session));

  g_signal_handler_disconnect (pi_window_get_stream (window), handler);
  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

/* A binding added while the lost stream waits to reconnect: the window
 * keeps telling the loss and trying (the new stream does not give up at the
 * first refused connection), and is live on the new bindings once the
 * server is back. */
static void
test_rebind_while_lost (void)
{
  PiTestServer server = { 0 };
  PiWindow *window;
  g_autofree char *key = pi_test_routing_key (7);
  gint64 added_at;
  guint port;

  window = live_then_killed (&server, &port);

  g_assert_true (pi_window_add_binding (window, TASK_FAILED, "#"));
  added_at = g_get_monotonic_time ();
  /* The new stream's first attempts are refused: it waits, not fails. */
  WAIT_UNTIL (g_get_monotonic_time () - added_at > 3 * G_USEC_PER_SEC &&
              state_of (window) == PI_STREAM_STATE_RECONNECTING, 10);
  g_assert_cmpuint (pi_source_get_n_reconnects (pi_window_get_stream (window)), >=, 1);
  g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Connection lost"));

  g_clear_pointer (&server.base_url, g_free);
  pi_test_server_start (&server, port, NULL);
  WAIT_UNTIL (state_of (window) == PI_STREAM_STATE_LIVE, 16);
  g_assert_false (pi_session_get_lost (window->session));

  /* Live on both bindings. */
  pi_test_publish (&server, TASK_FAILED, key, "[]", "{\"version\": 1}");
  WAIT_UNTIL (pi_test_n_stored (window) >= 2, 10);

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

/* A server whose broker is away answers new streams 503: the window keeps
 * trying by itself and says why in the server's words, beside
 * "Reconnecting in N s…". */
static void
test_broker_away (void)
{
  PiTestServer server = { 0 };
  g_autoptr(GSocket) refusing = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *amqp = NULL;
  g_autofree char *reason = NULL;
  PiStreamState state;
  PiWindow *window;
  guint port;

  /* Bound and never listening: connections to it are refused. */
  refusing = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (refusing, any_port, FALSE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (refusing, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  amqp = g_strdup_printf ("--amqp=amqp://guest:guest@127.0.0.1:%u/", port);
  reason = g_strdup_printf ("The server cannot reach its broker: Could not connect to the broker at 127.0.0.1:%u: ",
                            port);

  pi_test_server_start (&server, 0, amqp);
  window = pi_test_window_new (app);
  pi_window_set_server_url (window, server.base_url);
  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.connect", NULL);

  WAIT_UNTIL ((state = state_of (window)) == PI_STREAM_STATE_RECONNECTING || state == PI_STREAM_STATE_FAILED, 10);
  g_assert_cmpint (state, ==, PI_STREAM_STATE_RECONNECTING);
  WAIT_UNTIL (strstr (pi_connection_bar_get_error_text (window->connection_bar), reason) != NULL, 5);
  g_assert_true (g_str_has_prefix (pi_connection_bar_get_state_text (window->connection_bar), "Reconnecting in "));
  /* Told once: nothing received yet, so the page and not the banner, with
   * one action; the header says what happens next. */
  g_assert_false (adw_banner_get_revealed (window->error_banner));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "failed");
  g_assert_nonnull (strstr (adw_status_page_get_description (window->failure_page), reason));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (window->failure_button)), ==, "win.connect");
  g_assert_true (g_str_has_prefix (adw_window_title_get_subtitle (window->status_title), "Reconnecting in "));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "disconnect"));
  screenshot (window, "broker-away");

  /* It goes on trying: refused again, never failed. */
  WAIT_UNTIL (pi_source_get_n_reconnects (pi_window_get_stream (window)) >= 1 &&
              state_of (window) == PI_STREAM_STATE_RECONNECTING, 10);
  g_assert_nonnull (strstr (pi_connection_bar_get_error_text (window->connection_bar), reason));

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

static void
test_preferences (void)
{
  PiWindow *window = pi_test_window_new (app);
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  PiPreferencesDialog *preferences;

  preferences = pi_preferences_dialog_new (settings);
  adw_dialog_present (ADW_DIALOG (preferences), GTK_WIDGET (window));
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  /* The spin button writes the setting; the window applies it to the store. */
  {
    GtkWidget *spin = pi_test_find_descendant (GTK_WIDGET (preferences), GTK_TYPE_SPIN_BUTTON);

    g_assert_nonnull (spin);
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 500);
    g_assert_cmpuint (g_settings_get_uint (settings, "capacity"), ==, 500);
    g_assert_cmpuint (pi_message_store_get_capacity (pi_window_get_store (window)), ==, 500);
  }

  g_settings_set_boolean (settings, "follow", FALSE);
  g_assert_false (pi_message_list_get_follow (window->message_list));

  adw_dialog_force_close (ADW_DIALOG (preferences));
  pi_test_window_destroy (window);
}

static void
test_window_state (void)
{
  PiWindow *window = pi_test_window_new (app);
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  const char * const *accels;

  /* The shortcuts window is loaded from gtk/help-overlay.ui. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "shortcuts", NULL);
  {
    GtkWidget *shortcuts = pi_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);

    g_assert_nonnull (shortcuts);
    gtk_widget_set_visible (shortcuts, FALSE);
  }
  accels = (const char * const *) gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.connect");
  g_assert_cmpstr (accels[0], ==, "<Control>Return");
  g_strfreev ((char **) accels);

#if DEVELOPMENT_BUILD
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (window), "devel"));
#endif

  /* About. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  {
    GtkWidget *about = pi_test_find_dialog (ADW_TYPE_ABOUT_DIALOG);

    g_assert_nonnull (about);
    pi_test_wait_for_frames (GTK_WIDGET (window), 2);
    g_assert_cmpstr (adw_about_dialog_get_application_icon (ADW_ABOUT_DIALOG (about)), ==, APPLICATION_ID);
    g_assert_cmpint (adw_about_dialog_get_license_type (ADW_ABOUT_DIALOG (about)), ==, GTK_LICENSE_GPL_3_0);
    adw_dialog_force_close (ADW_DIALOG (about));
  }

  /* Narrow, the sidebar folds away behind a button that shows it. */
  g_assert_false (adw_overlay_split_view_get_collapsed (window->split_view));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window->sidebar_button)));
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 700);
  WAIT_UNTIL (adw_overlay_split_view_get_collapsed (window->split_view), 5);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window->sidebar_button)));
  g_assert_false (adw_overlay_split_view_get_show_sidebar (window->split_view));
  g_signal_emit_by_name (window->sidebar_button, "clicked");
  g_assert_true (adw_overlay_split_view_get_show_sidebar (window->split_view));
  /* Let the sidebar slide in before the window grows again. */
  pi_test_wait_for_frames (GTK_WIDGET (window), 30);

  /* The size is remembered when the window closes. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  WAIT_UNTIL (window == NULL, 5);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1000);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 700);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
}

static guint
find_exchange (PiWindow   *window,
               const char *suffix)
{
  GListModel *store = G_LIST_MODEL (pi_window_get_store (window));

  /* The newest match. */
  for (guint i = g_list_model_get_n_items (store); i > 0; i--)
    {
      g_autoptr(PiMessage) message = g_list_model_get_item (store, i - 1);

      if (g_str_has_suffix (pi_message_get_exchange (message), suffix))
        return i - 1;
    }

  return G_MAXUINT;
}

/* The README's and the metainfo's pictures: demo traffic from pulse-events. */
static void
test_screenshots (void)
{
  const char *dir = g_getenv ("PI_SCREENSHOT_DIR");
  const char *exchanges[] = { "task-pending", "task-running", "task-completed", "task-failed" };
  PiTestServer server = { 0 };
  PiWindow *window;
  GtkSelectionModel *selection;
  guint selected = G_MAXUINT;

  if (dir == NULL || dir[0] == '\0')
    {
      g_test_skip ("PI_SCREENSHOT_DIR is not set");
      return;
    }

  pi_test_server_start (&server, 0, "--demo=6");
  window = pi_test_window_new (app);
  for (guint i = 0; i < G_N_ELEMENTS (exchanges); i++)
    {
      g_autofree char *exchange = g_strconcat ("exchange/taskcluster-queue/v1/", exchanges[i], NULL);

      g_assert_true (pi_window_add_binding (window, exchange, "#"));
    }
  connect_live (window, &server);
  WAIT_UNTIL (pi_test_n_stored (window) >= 24 && find_exchange (window, "/task-completed") != G_MAXUINT, 30);

  /* The newest completed task, near the bottom that the list follows. */
  WAIT_UNTIL ((selected = find_exchange (window, "/task-completed")) != G_MAXUINT &&
              selected + 3 >= pi_test_n_stored (window), 30);
  /* While following, the table shows only the newest rows: find the row of
   * the message, as a user clicks it. */
  {
    g_autoptr(PiMessage) target = g_list_model_get_item (G_LIST_MODEL (pi_window_get_store (window)), selected);
    guint n;

    selection = gtk_column_view_get_model (pi_message_list_get_column_view (window->message_list));
    n = g_list_model_get_n_items (G_LIST_MODEL (selection));
    for (guint i = 0; i < n; i++)
      {
        g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (selection), i);

        if (pi_message_cells_get_message (item) == target)
          {
            gtk_selection_model_select_item (selection, i, TRUE);
            break;
          }
      }
    g_assert_true (pi_message_details_get_message (window->message_details) == target);
  }

  /* Bring the selected row into view, in the middle. */
  pi_test_wait_for_frames (GTK_WIDGET (window), 3);
  {
    GtkAdjustment *adj = pi_message_list_get_vadjustment (window->message_list);
    double row_height = gtk_adjustment_get_upper (adj) / pi_test_n_stored (window);
    double page = gtk_adjustment_get_page_size (adj);

    gtk_adjustment_set_value (adj, selected * row_height - page / 2);
  }

  /* The row stays selected as a user sees it. */
  selection = gtk_column_view_get_model (pi_message_list_get_column_view (window->message_list));
  g_test_message ("selected row %u of %u", gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (selection)),
                  g_list_model_get_n_items (G_LIST_MODEL (selection)));
  /* The names the metainfo and the README use. */
  screenshot_files (window, "main.png", "dark.png");

  /* The details larger, for the details picture. */
  g_assert_nonnull (pi_message_details_get_message (window->message_details));
  screenshot_files (window, "details.png", "details-dark.png");

  /* A narrow window folds the sidebar away; its button brings it back. */
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 700);
  WAIT_UNTIL (adw_overlay_split_view_get_collapsed (window->split_view), 5);
  g_signal_emit_by_name (window->sidebar_button, "clicked");
  pi_test_wait_for_frames (GTK_WIDGET (window), 40);
  pi_test_save_png (window, dir, "narrow.png");

  /* Preferences and shortcuts, in light style. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  {
    GtkWidget *preferences = pi_test_find_dialog (PI_TYPE_PREFERENCES_DIALOG);

    g_assert_nonnull (preferences);
    pi_test_wait_for_frames (GTK_WIDGET (window), 10);
    pi_test_save_png (window, dir, "preferences.png");
    adw_dialog_force_close (ADW_DIALOG (preferences));
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
  {
    GtkWidget *shortcuts = pi_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);

    g_assert_nonnull (shortcuts);
    pi_test_wait_for_frames (shortcuts, 10);
    pi_test_save_png (shortcuts, dir, "shortcuts.png");
    gtk_widget_set_visible (shortcuts, FALSE);
  }

  pi_test_window_destroy (window);
  pi_test_server_clear (&server);
}

typedef struct
{
  PiTestServer  *server;
  PiApplication *app;
  gboolean       checked;
} CommandLine;

static gboolean
check_command_line (gpointer user_data)
{
  CommandLine *cl = user_data;
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (cl->app));
  PiWindow *window;

  if (!PI_IS_WINDOW (active))
    return G_SOURCE_CONTINUE;

  window = PI_WINDOW (active);
  if (state_of (window) != PI_STREAM_STATE_LIVE)
    return G_SOURCE_CONTINUE;

  g_assert_cmpstr (pi_session_get_server_url (window->session), ==, cl->server->base_url);
  g_assert_cmpuint (g_list_model_get_n_items (pi_window_get_bindings (window)), ==, 2);
  cl->checked = TRUE;

  g_action_group_activate_action (G_ACTION_GROUP (cl->app), "quit", NULL);

  return G_SOURCE_REMOVE;
}

static void
test_command_line (void)
{
  PiTestServer server = { 0 };
  CommandLine cl = { &server, NULL, FALSE };
  g_autoptr(PiApplication) cl_app = NULL;
  g_autoptr(GPtrArray) link_bindings = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *link = NULL;
  guint id;
  int status;

  pi_test_server_start (&server, 0, NULL);
  pi_test_reset_settings ();

  g_ptr_array_add (link_bindings, pi_binding_new (TASK_FAILED, "#"));
  link = pi_bindings_to_share_link ("https://tools.example.com/pulse-inspector", link_bindings);

  {
    g_auto(GStrv) argv = NULL;
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

    g_strv_builder_add_many (builder, "pulse-inspector", "--server", server.base_url,
                             "--bind", TASK_COMPLETED "=route.index.#", link, NULL);
    argv = g_strv_builder_end (builder);

    cl_app = pi_application_new ();
    cl.app = cl_app;
    /* The suite's application already holds the app id's D-Bus object path. */
    g_application_set_application_id (G_APPLICATION (cl_app), APPLICATION_ID ".CommandLineTest");
    g_application_set_flags (G_APPLICATION (cl_app),
                             G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
    id = g_timeout_add (20, check_command_line, &cl);
    status = g_application_run (G_APPLICATION (cl_app), g_strv_length (argv), argv);
  }

  g_assert_cmpint (status, ==, 0);
  g_assert_true (cl.checked);
  g_assert_false (g_main_context_find_source_by_id (NULL, id) != NULL);

  pi_test_server_clear (&server);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  pi_test_ui_init (&argc, &argv);
  app = pi_test_application_new ();

  g_test_add_func ("/pi/window/bindings", test_bindings);
  g_test_add_func ("/pi/window/live", test_live);
  g_test_add_func ("/pi/window/server-error", test_server_error);
  g_test_add_func ("/pi/window/root-url", test_root_url);
  g_test_add_func ("/pi/window/reconnect", test_reconnect);
  g_test_add_func ("/pi/window/reconnect-capped", test_reconnect_capped);
  g_test_add_func ("/pi/window/rebind-while-lost", test_rebind_while_lost);
  g_test_add_func ("/pi/window/broker-away", test_broker_away);
  g_test_add_func ("/pi/window/preferences", test_preferences);
  g_test_add_func ("/pi/window/window-state", test_window_state);
  g_test_add_func ("/pi/window/command-line", test_command_line);
  g_test_add_func ("/pi/window/screenshots", test_screenshots);

  status = g_test_run ();

  /* Registered but never run, the application keeps the references of its
   * exported D-Bus objects; each window's own finalization is asserted. */
  g_object_unref (app);

  return status;
}
