/* pi-ui-test-util.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-ui-test"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <libsoup/soup.h>

#include "pi-app-resources.h"
#include "pi-ui-test-util.h"
#include "pi-window-private.h"

void
pi_test_ui_init (int    *argc,
                 char ***argv)
{
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  g_assert_nonnull (pi_app_get_resource ());
}

PiApplication *
pi_test_application_new (void)
{
  PiApplication *app = pi_application_new ();

  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);

  return app;
}

/* --- waiting ------------------------------------------------------------- */

gboolean
pi_test_wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
on_after_paint (GdkFrameClock *clock,
                guint         *n_paints)
{
  (*n_paints)++;
}

/* Runs until the window painted @n more frames: what is asserted is on
 * screen. Fails the test if they take more than 5 s. */
void
pi_test_wait_for_frames (GtkWidget *window,
                         guint      n)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  guint n_paints = 0;
  gulong id;

  g_assert_nonnull (clock);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &n_paints);
  while (n_paints < n)
    {
      /* Something must be drawn for a frame to come. */
      gtk_widget_queue_draw (window);
      g_main_context_iteration (NULL, TRUE);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  g_signal_handler_disconnect (clock, id);
}

static guint
n_rows_in_table (PiMessageList *list)
{
  return g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (pi_message_list_get_column_view (list))));
}

void
pi_test_wait_for_rows (PiMessageList *list)
{
  WAIT_UNTIL (n_rows_in_table (list) == g_list_model_get_n_items (pi_message_list_get_shown (list)), 5);
}

/* --- list models --------------------------------------------------------- */

static void
on_mirror_items_changed (GPtrArray  *mirror,
                         guint       position,
                         guint       removed,
                         guint       added,
                         GListModel *model)
{
  g_assert_cmpuint (position + removed, <=, mirror->len);
  g_ptr_array_remove_range (mirror, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (mirror, position + i, g_list_model_get_item (model, position + i));
  g_assert_cmpuint (mirror->len, ==, g_list_model_get_n_items (model));
}

GPtrArray *
pi_test_mirror_new (GListModel *model)
{
  GPtrArray *mirror = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (mirror, g_list_model_get_item (model, i));
  g_signal_connect_data (model, "items-changed", G_CALLBACK (on_mirror_items_changed),
                         g_ptr_array_ref (mirror), (GClosureNotify) (void (*) (void)) g_ptr_array_unref,
                         G_CONNECT_SWAPPED);
  return mirror;
}

void
pi_test_assert_mirror (GPtrArray  *mirror,
                       GListModel *model)
{
  g_assert_cmpuint (mirror->len, ==, g_list_model_get_n_items (model));
  for (guint i = 0; i < mirror->len; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      g_assert_true (g_ptr_array_index (mirror, i) == item);
    }
}

/* --- pulse-events -------------------------------------------------------- */

void
pi_test_die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts pulse-events on 127.0.0.1:@port (0: a free one) with @extra as
 * one more argument, and reads its base URL from "Listening on URL". */
void
pi_test_server_start (PiTestServer *server,
                      guint         port,
                      const char   *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *line = NULL;
  const char *program = g_getenv ("PULSE_EVENTS");
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE;

  g_assert_nonnull (program);
  if (g_getenv ("PI_TEST_VERBOSE") == NULL)
    flags |= G_SUBPROCESS_FLAGS_STDERR_SILENCE;

  launcher = g_subprocess_launcher_new (flags);
  /* A failed assertion aborts this process: the server must not outlive it. */
  g_subprocess_launcher_set_child_setup (launcher, pi_test_die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawn (launcher, &error,
                                                 program, "--listen", listen, "--ping-interval", "1",
                                                 extra, NULL);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "Listening on "));

  server->base_url = g_strdup (line + strlen ("Listening on "));
  g_assert_true (g_str_has_suffix (server->base_url, "/api/events/v1"));
  uri = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  server->port = g_uri_get_port (uri);
  g_assert_cmpuint (server->port, >, 0);
  if (port != 0)
    g_assert_cmpuint (server->port, ==, port);
}

/* Sends @signum and waits for the process; the URL stays for a restart. */
void
pi_test_server_stop (PiTestServer *server,
                     int           signum)
{
  g_autoptr(GError) error = NULL;

  if (server->process == NULL)
    return;

  g_subprocess_send_signal (server->process, signum);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&server->process);
}

void
pi_test_server_clear (PiTestServer *server)
{
  pi_test_server_stop (server, SIGTERM);
  g_clear_pointer (&server->base_url, g_free);
}

/* POST <base>/publish, the embedded exchange's extension (docs/PROTOCOL.md 7). */
void
pi_test_publish (PiTestServer *server,
                 const char   *exchange,
                 const char   *routing_key,
                 const char   *routes_json,
                 const char   *payload_json)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strconcat (server->base_url, "/publish", NULL);
  g_autofree char *json = NULL;

  json = g_strdup_printf ("{\"exchange\": \"%s\", \"routingKey\": \"%s\", \"routes\": %s, \"payload\": %s}",
                          exchange, routing_key, routes_json, payload_json);
  body = g_bytes_new_take (json, strlen (json));
  json = NULL;

  msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
}

/* A task-completed routing key for task number @n. */
char *
pi_test_routing_key (guint n)
{
  /* task-completed: primary.taskId.runId.workerGroup.workerId.provisionerId.
   * workerType.schedulerId.taskGroupId.reserved */
  return g_strdup_printf ("primary.T%04uaaaaaaaaaaaaaaaaa.0.us-east1.w%u.proj-test.b-linux.tests.Gbbbbbbbbbbbbbbbbbbbbb._",
                          n, n);
}

/* Publishes a task-completed message for task @n, its run carrying @note
 * (unless NULL), with the routes index.project.test.latest and checks. */
void
pi_test_publish_task (PiTestServer *server,
                      guint         n,
                      const char   *note)
{
  g_autofree char *key = pi_test_routing_key (n);
  g_autofree char *note_json = note ? g_strdup_printf (", \"note\": \"%s\"", note) : g_strdup ("");
  g_autofree char *payload = NULL;

  payload = g_strdup_printf ("{\"version\": 1, \"status\": {\"taskId\": \"T%04uaaaaaaaaaaaaaaaaa\", "
                             "\"state\": \"completed\", \"runs\": [{\"runId\": 0%s}]}, "
                             "\"runId\": 0, \"workerGroup\": \"us-east1\"}",
                             n, note_json);
  pi_test_publish (server, TASK_COMPLETED, key, "[\"index.project.test.latest\", \"checks\"]", payload);
}

/* --- the window ---------------------------------------------------------- */

void
pi_test_reset_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  const char *keys[] = { "server-url", "asks-where-to-listen", "recent-servers", "bindings", "disabled-bindings", "capacity", "follow",
                         "ping-timeout", "window-width", "window-height", "window-maximized" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (settings, keys[i]);
}

/* A new window with default settings in light style, mapped and painted. */
PiWindow *
pi_test_window_new (PiApplication *app)
{
  PiWindow *window;

  pi_test_reset_settings ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);

  window = pi_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  return window;
}

/* Destroys @window (a live or a capture window) and waits until it is finalized. */
void
pi_test_window_destroy (gpointer window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  WAIT_UNTIL (window == NULL, 5);
}

/* The message list of @window, a live or a capture window. */
static PiMessageList *
window_message_list (gpointer window)
{
  GtkWidget *list = pi_test_find_descendant (GTK_WIDGET (window), PI_TYPE_MESSAGE_LIST);

  g_assert_nonnull (list);
  return PI_MESSAGE_LIST (list);
}

/* How many messages @window (a live or a capture window) keeps. */
guint
pi_test_n_stored (gpointer window)
{
  return g_list_model_get_n_items (G_LIST_MODEL (pi_message_list_get_store (window_message_list (window))));
}

/* --- widgets as the user sees them --------------------------------------- */

/* The column of @view with @id, or %NULL (a borrowed reference: the view
 * keeps its columns). */
GtkColumnViewColumn *
pi_test_find_column (GtkColumnView *view,
                     const char    *id)
{
  GListModel *columns = gtk_column_view_get_columns (view);

  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      if (g_strcmp0 (gtk_column_view_column_get_id (column), id) == 0)
        return column;
    }

  return NULL;
}

/* @widget or the first widget under it, depth first, that @match says is
 * the one, or %NULL. */
GtkWidget *
pi_test_find_widget (GtkWidget      *widget,
                     PiTestMatchFunc match,
                     gconstpointer   data)
{
  if (match (widget, data))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = pi_test_find_widget (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
opens_menu (GtkWidget     *widget,
            gconstpointer  menu)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)) == menu;
}

/* The menu button under @widget that opens @menu, or %NULL. */
GtkWidget *
pi_test_find_menu_button (GtkWidget  *widget,
                          GMenuModel *menu)
{
  return pi_test_find_widget (widget, opens_menu, menu);
}

GtkWidget *
pi_test_find_descendant (GtkWidget *widget,
                         GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = pi_test_find_descendant (child, type)))
        return found;
    }

  return NULL;
}

/* The first visible toplevel of @type, or NULL. */
GtkWidget *
pi_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type) && gtk_widget_get_visible (toplevel))
        return toplevel;
    }

  return NULL;
}

/* A dialog of @type on screen: an AdwDialog lives inside the window it was
 * presented on, or in a window of its own when presented without one. */
GtkWidget *
pi_test_find_dialog (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);
      GtkWidget *dialog;

      if (!gtk_widget_get_visible (toplevel))
        continue;
      if ((dialog = pi_test_find_descendant (toplevel, type)) && gtk_widget_get_visible (dialog))
        return dialog;
    }

  return NULL;
}

/* A cell shows its text with a GtkInscription (or a GtkLabel); NULL if neither. */
GtkWidget *
pi_test_cell_text_widget (GtkWidget *cell)
{
  GtkWidget *widget;

  if (GTK_IS_INSCRIPTION (cell) || GTK_IS_LABEL (cell))
    return cell;
  if ((widget = pi_test_find_descendant (cell, GTK_TYPE_INSCRIPTION)))
    return widget;

  return pi_test_find_descendant (cell, GTK_TYPE_LABEL);
}

/* A cell's text, drawn by a label or by an inscription; "" for none. */
const char *
pi_test_cell_text (GtkWidget *cell)
{
  GtkWidget *widget = pi_test_cell_text_widget (cell);
  const char *text = NULL;

  if (GTK_IS_INSCRIPTION (widget))
    text = gtk_inscription_get_text (GTK_INSCRIPTION (widget));
  else if (GTK_IS_LABEL (widget))
    text = gtk_label_get_label (GTK_LABEL (widget));

  return text ? text : "";
}

/* The table as the user sees it: each mapped row's cell texts, as a GStrv,
 * in sibling order (rows are recycled: not screen order). Rows with no
 * text at all are left out. */
GPtrArray *
pi_test_visible_rows (gpointer window)
{
  GtkColumnView *view = pi_message_list_get_column_view (window_message_list (window));
  GtkWidget *list_view = pi_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  g_assert_nonnull (list_view);

  for (GtkWidget *row = gtk_widget_get_first_child (list_view);
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      gboolean any = FALSE;

      if (!gtk_widget_get_child_visible (row) || !gtk_widget_get_mapped (row))
        continue;

      for (GtkWidget *cell = gtk_widget_get_first_child (row);
           cell != NULL;
           cell = gtk_widget_get_next_sibling (cell))
        {
          const char *text = pi_test_cell_text (cell);

          any |= text[0] != '\0';
          g_strv_builder_add (builder, text);
        }

      if (any)
        g_ptr_array_add (rows, g_strv_builder_end (builder));
    }

  return rows;
}

guint
pi_test_n_visible_rows (gpointer window)
{
  g_autoptr(GPtrArray) rows = pi_test_visible_rows (window);

  return rows->len;
}

/* Renders @widget (a toplevel) as it is now into @dir/@file. */
void
pi_test_save_png (gpointer    widget,
                  const char *dir,
                  const char *file)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (dir, file, NULL);
  int width = gtk_widget_get_width (GTK_WIDGET (widget));
  int height = gtk_widget_get_height (GTK_WIDGET (widget));

  paintable = gtk_widget_paintable_new (GTK_WIDGET (widget));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Saved %s", path);
}
