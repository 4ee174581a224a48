/* test-message-details.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "pi-message-details.h"
#include "pi-message-private.h"
#include "pi-messages-fixture.h"
#include "pi-payload-tree.h"
#include "pi-ui-test-util.h"

typedef struct
{
  GtkWindow        *window;
  PiMessageDetails *details;
} Fixture;

static void
fixture_setup (Fixture *f)
{
  f->details = PI_MESSAGE_DETAILS (pi_message_details_new ());
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 600, 700);
  gtk_window_set_child (f->window, GTK_WIDGET (f->details));
  gtk_window_present (f->window);
}

static void
fixture_teardown (Fixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);

  g_object_add_weak_pointer (G_OBJECT (f->details), (gpointer *)&f->details);
  gtk_window_destroy (f->window);
  g_assert_null (f->details);

  /* The page chosen is remembered: each test starts from the default. */
  g_settings_reset (settings, "details-page");
}

static PiJsonItem *
tree_item (Fixture *f,
           guint    position)
{
  GListModel *model = pi_message_details_get_tree_model (f->details);
  g_autoptr(GtkTreeListRow) row = g_list_model_get_item (model, position);

  g_assert_nonnull (row);
  return gtk_tree_list_row_get_item (row);
}

/* The position of the row whose path is @path, or -1. */
static int
find_row (Fixture    *f,
          const char *path)
{
  GListModel *model = pi_message_details_get_tree_model (f->details);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PiJsonItem) item = tree_item (f, i);

      if (g_strcmp0 (pi_json_item_get_path (item), path) == 0)
        return i;
    }

  return -1;
}

static void
assert_row (Fixture    *f,
            const char *path,
            const char *key,
            const char *value,
            const char *type_name)
{
  int position = find_row (f, path);
  g_autoptr(PiJsonItem) item = NULL;

  if (position < 0)
    g_error ("no row %s in the payload tree", path);

  item = tree_item (f, position);
  g_assert_cmpstr (pi_json_item_get_key (item), ==, key);
  g_assert_cmpstr (pi_json_item_get_value (item), ==, value);
  g_assert_cmpstr (pi_json_item_get_type_name (item), ==, type_name);
}

static void
on_text_read (GObject      *clipboard,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (clipboard), result, NULL);
  if (*text == NULL)
    *text = g_strdup ("");
}

static char *
read_clipboard (Fixture *f)
{
  char *text = NULL;

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (f->details)),
                                 NULL, on_text_read, &text);
  while (text == NULL)
    g_main_context_iteration (NULL, TRUE);

  return text;
}

static gboolean
action_enabled (Fixture    *f,
                const char *name)
{
  /* An action that is disabled does nothing when activated, so check by
   * effect: copy something else first, then the action under test. */
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (f->details)), "sentinel");
  gtk_widget_activate_action (GTK_WIDGET (f->details), name, NULL);

  {
    g_autofree char *text = read_clipboard (f);
    return g_strcmp0 (text, "sentinel") != 0;
  }
}

static void
test_empty (void)
{
  Fixture f = { 0 };

  fixture_setup (&f);
  g_assert_cmpstr (pi_message_details_get_visible_page (f.details), ==, "empty");
  g_assert_false (action_enabled (&f, "details.copy-message"));
  g_assert_false (action_enabled (&f, "details.copy-path"));
  fixture_teardown (&f);
}

static void
test_fields (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) message = fixture_message_new (2, NULL);
  g_auto(GStrv) words = g_strsplit (pi_message_get_routing_key (message), ".", -1);
  g_autofree char *size = NULL;
  const char *routes;

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);
  g_assert_cmpstr (pi_message_details_get_visible_page (f.details), ==, "message");

  g_assert_cmpstr (pi_message_details_get_field (f.details, "Exchange"), ==,
                   "exchange/taskcluster-queue/v1/task-completed");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "Routing Key"), ==,
                   pi_message_get_routing_key (message));

  /* The routing key's words, named as the exchange defines them. */
  g_assert_cmpstr (pi_message_details_get_field (f.details, "routingKeyKind"), ==, "primary");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "taskId"), ==, words[1]);
  g_assert_cmpstr (pi_message_details_get_field (f.details, "runId"), ==, "0");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "workerGroup"), ==, "us-east1");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "provisionerId"), ==, "proj-releng");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "workerType"), ==, "b-linux-gcp");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "schedulerId"), ==, "gecko-level-3");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "taskGroupId"), ==, words[8]);

  routes = pi_message_details_get_field (f.details, "Routes");
  g_assert_true (g_str_has_prefix (routes, "index.gecko.v2.mozilla-central.latest.firefox.linux64-opt\ntc-treeherder.v2.mozilla-central."));
  g_assert_cmpstr (pi_message_details_get_field (f.details, "Redelivered"), ==, "No");
  size = g_strdup_printf ("(%" G_GSIZE_FORMAT " bytes)", pi_message_get_size (message));
  g_assert_true (g_str_has_suffix (pi_message_details_get_field (f.details, "Size"), size));
  g_assert_nonnull (pi_message_details_get_field (f.details, "Received"));

  /* Another message replaces every field. */
  {
    g_autoptr(PiMessage) other = fixture_message_new (13, NULL);

    pi_message_details_set_message (f.details, other);
    g_assert_cmpstr (pi_message_details_get_field (f.details, "Exchange"), ==,
                     "exchange/taskcluster-queue/v1/task-failed");
    g_assert_cmpstr (pi_message_details_get_field (f.details, "runId"), ==, "1");
    g_assert_cmpstr (pi_message_details_get_field (f.details, "Redelivered"), ==, "Yes");
  }

  pi_message_details_set_message (f.details, NULL);
  g_assert_cmpstr (pi_message_details_get_visible_page (f.details), ==, "empty");
  g_assert_null (pi_message_details_get_field (f.details, "Exchange"));

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_unknown_exchange (void)
{
  Fixture f = { 0 };
  static const char data[] =
    "{\"payload\":{\"ok\":true},\"exchange\":\"exchange/acme/v2/thing-happened\","
    "\"routingKey\":\"primary.thing42.eu\",\"redelivered\":true,\"routes\":[]}";
  g_autoptr(PiMessage) message = pi_message_new_from_data (data, strlen (data), 7, g_get_real_time ());

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);
  g_assert_cmpstr (pi_message_details_get_field (f.details, "Word 1"), ==, "primary");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "Word 2"), ==, "thing42");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "Word 3"), ==, "eu");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "Redelivered"), ==, "Yes");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "Routes"), ==, "—");
  assert_row (&f, "$.ok", "ok", "true", "boolean");
  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_tree (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) message = fixture_message_new (1, "say \"hi\"");
  g_autoptr(GtkTreeListRow) runs_row = NULL;
  g_autoptr(GtkTreeListRow) run0_row = NULL;
  g_autoptr(PiJsonItem) first = NULL;
  g_autofree char *text = NULL;
  GListModel *model;
  int position;
  guint n_before;

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);
  model = pi_message_details_get_tree_model (f.details);

  /* The payload's members, in document order, with the first level open. */
  first = tree_item (&f, 0);
  g_assert_cmpstr (pi_json_item_get_key (first), ==, "version");
  assert_row (&f, "$.version", "version", "1", "number");
  assert_row (&f, "$.status", "status", "{12 members}", "object");
  assert_row (&f, "$.status.state", "state", "\"running\"", "string");
  assert_row (&f, "$.status.retriesLeft", "retriesLeft", "5", "number");
  assert_row (&f, "$.status.runs", "runs", "[2 items]", "array");
  assert_row (&f, "$.runId", "runId", "1", "number");
  assert_row (&f, "$.task.tags", "tags", "{5 members}", "object");
  g_assert_cmpint (find_row (&f, "$.status"), ==, 1);
  g_assert_cmpint (find_row (&f, "$.status.taskId"), ==, 2);

  /* Deeper levels are closed until opened. */
  g_assert_cmpint (find_row (&f, "$.status.runs[0]"), ==, -1);
  g_assert_cmpint (find_row (&f, "$.task.tags.note"), ==, -1);

  position = find_row (&f, "$.status.runs");
  runs_row = g_list_model_get_item (model, position);
  n_before = g_list_model_get_n_items (model);
  gtk_tree_list_row_set_expanded (runs_row, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n_before + 2);
  assert_row (&f, "$.status.runs[0]", "[0]", "{9 members}", "object");
  run0_row = g_list_model_get_item (model, find_row (&f, "$.status.runs[0]"));
  gtk_tree_list_row_set_expanded (run0_row, TRUE);
  assert_row (&f, "$.status.runs[0].state", "state", "\"exception\"", "string");
  assert_row (&f, "$.status.runs[0].reasonResolved", "reasonResolved", "\"claim-expired\"", "string");

  /* Copy the path and the value of the selected row. */
  g_assert_false (action_enabled (&f, "details.copy-path"));
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (model), find_row (&f, "$.status.runs[0].state"), TRUE);
  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.copy-path", NULL);
  text = read_clipboard (&f);
  g_assert_cmpstr (text, ==, "$.status.runs[0].state");
  g_clear_pointer (&text, g_free);

  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.copy-value", NULL);
  text = read_clipboard (&f);
  g_assert_cmpstr (text, ==, "exception");
  g_clear_pointer (&text, g_free);

  /* A member name that is not an identifier is quoted in the path. */
  {
    g_autoptr(GtkTreeListRow) tags_row = g_list_model_get_item (model, find_row (&f, "$.task.tags"));

    gtk_tree_list_row_set_expanded (tags_row, TRUE);
  }
  assert_row (&f, "$.task.tags[\"trust-domain\"]", "trust-domain", "\"gecko\"", "string");
  assert_row (&f, "$.task.tags.note", "note", "\"say \\\"hi\\\"\"", "string");
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (model), find_row (&f, "$.task.tags.note"), TRUE);
  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.copy-value", NULL);
  text = read_clipboard (&f);
  g_assert_cmpstr (text, ==, "say \"hi\"");
  g_clear_pointer (&text, g_free);

  /* The payload and the whole message, as JSON. */
  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.copy-payload", NULL);
  text = read_clipboard (&f);
  g_assert_true (g_str_has_prefix (text, "{\n  \"version\": 1,\n  \"status\": {\n"));
  g_clear_pointer (&text, g_free);

  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.copy-message", NULL);
  text = read_clipboard (&f);
  g_assert_true (g_str_has_prefix (text, "{\n  \"payload\": {\n    \"version\": 1,\n"));
  g_assert_nonnull (strstr (text, "\n  \"exchange\": \"exchange/taskcluster-queue/v1/task-running\",\n"));
  g_clear_pointer (&text, g_free);

  /* The Raw page: the message as received, one member a line. */
  text = pi_message_details_dup_raw_text (f.details);
  g_assert_true (g_str_has_prefix (text, "{\n  \"payload\": {\n    \"version\": 1,\n"));
  g_assert_nonnull (strstr (text, "\"note\": \"say \\\"hi\\\"\""));
  g_clear_pointer (&text, g_free);

  g_clear_object (&runs_row);
  g_clear_object (&run0_row);
  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

/* Text nested a million levels deep is undecodable; copying it gives the
 * text back instead of crashing the app in json-glib. */
static void
test_undecodable_deep (void)
{
  Fixture f = { 0 };
  const gsize depth = 1000000;
  g_autofree char *data = g_strnfill (depth, '[');
  g_autoptr(PiMessage) message = pi_message_new_from_data (data, depth, 10, g_get_real_time ());
  g_autofree char *text = NULL;

  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_UNDECODABLE);

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);
  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.copy-message", NULL);
  text = read_clipboard (&f);
  g_assert_cmpstr (text, ==, data);
  g_clear_pointer (&text, g_free);

  /* The Raw page shows its one megabyte-long line shortened, says so, and
   * does not hold the window while it lays the text out. */
  {
    gint64 start = g_get_monotonic_time ();
    GtkWidget *banner;

    gtk_widget_activate_action (GTK_WIDGET (f.details), "details.page", "s", "raw");
    pi_test_wait_for_frames (GTK_WIDGET (f.window), 2);
    g_test_message ("Raw page of a 1 MB line shown in %" G_GINT64_FORMAT " ms",
                    (g_get_monotonic_time () - start) / 1000);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);

    text = pi_message_details_dup_raw_text (f.details);
    g_assert_cmpuint (strlen (text), <, 5000);
    g_assert_true (g_str_has_prefix (text, "[[[["));
    g_assert_true (g_str_has_suffix (text, "…"));
    banner = pi_message_details_get_raw_notice (f.details);
    g_assert_true (gtk_widget_get_mapped (banner));
    g_assert_true (g_str_has_prefix (gtk_label_get_label (GTK_LABEL (banner)), "Lines longer than 4096 bytes are shortened here."));
  }

  fixture_teardown (&f);
}

static void
test_undecodable (void)
{
  Fixture f = { 0 };
  static const char data[] = "{\"payload\": {\"taskId\": \"abc\", oops";
  g_autoptr(PiMessage) message = pi_message_new_from_data (data, strlen (data), 9, g_get_real_time ());
  const char *error;

  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_UNDECODABLE);

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);
  g_assert_cmpstr (pi_message_details_get_visible_page (f.details), ==, "undecodable");
  error = pi_message_details_get_error_text (f.details);
  g_assert_true (g_str_has_prefix (error, "This message could not be decoded: "));
  g_assert_nonnull (strstr (error, pi_message_get_error (message)));

  /* Its raw text can still be copied. */
  g_assert_true (action_enabled (&f, "details.copy-message"));
  {
    g_autofree char *text = read_clipboard (&f);
    g_assert_cmpstr (text, ==, data);
  }
  g_assert_false (action_enabled (&f, "details.copy-payload"));

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_gap (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) gap = pi_message_new_gap (4, g_get_real_time (), "The server closed the connection");

  fixture_setup (&f);
  pi_message_details_set_message (f.details, gap);
  g_assert_cmpstr (pi_message_details_get_visible_page (f.details), ==, "gap");
  g_assert_cmpstr (pi_message_details_get_status_text (f.details), ==,
                   "Messages may be missing here. The server closed the connection");
  g_assert_false (action_enabled (&f, "details.copy-message"));
  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&gap));
}

static void
test_json_item (void)
{
  g_autoptr(JsonNode) node = json_from_string ("{\"a b\":[1,2.5,null,\"x\",{}],\"n\":{\"k\":false}}", NULL);
  g_autoptr(GListModel) root = pi_payload_tree_new_root (node);
  g_autoptr(PiJsonItem) ab = g_list_model_get_item (root, 0);
  g_autoptr(GListModel) elements = pi_json_item_create_children (ab);
  const char *expected[][3] = {
    { "[0]", "1", "number" },
    { "[1]", "2.5", "number" },
    { "[2]", "null", "null" },
    { "[3]", "\"x\"", "string" },
    { "[4]", "{}", "object" },
  };

  g_assert_cmpstr (pi_json_item_get_path (ab), ==, "$[\"a b\"]");
  {
    g_autoptr(PiJsonItem) n = g_list_model_get_item (root, 1);
    g_autoptr(JsonNode) one = json_from_string ("[[7]]", NULL);
    g_autoptr(GListModel) one_root = pi_payload_tree_new_root (one);
    g_autoptr(PiJsonItem) inner = g_list_model_get_item (one_root, 0);

    g_assert_cmpstr (pi_json_item_get_value (n), ==, "{1 member}");
    g_assert_cmpstr (pi_json_item_get_value (inner), ==, "[1 item]");
  }
  g_assert_cmpstr (pi_json_item_get_value (ab), ==, "[5 items]");
  g_assert_cmpuint (g_list_model_get_n_items (elements), ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(PiJsonItem) item = g_list_model_get_item (elements, i);

      g_assert_cmpstr (pi_json_item_get_key (item), ==, expected[i][0]);
      g_assert_cmpstr (pi_json_item_get_value (item), ==, expected[i][1]);
      g_assert_cmpstr (pi_json_item_get_type_name (item), ==, expected[i][2]);
      /* Leaves and empty containers have nothing to expand. */
      g_assert_null (pi_json_item_create_children (item));
    }

  g_clear_object (&elements);
  g_clear_object (&ab);
  g_assert_finalize_object (g_steal_pointer (&root));
}

/* --- the pages: Fields, Payload, Raw ------------------------------------- */

static char *
settings_page (void)
{
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);

  return g_settings_get_string (settings, "details-page");
}

/* Activates the details' shortcut whose trigger reads @accel ("<Alt>3"), as
 * the key press would. */
static void
press_shortcut (Fixture    *f,
                const char *accel)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->details));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          g_autofree char *trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));

          if (g_strcmp0 (trigger, accel) == 0)
            {
              g_assert_true (gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0,
                                                           GTK_WIDGET (f->details),
                                                           gtk_shortcut_get_arguments (shortcut)));
              return;
            }
        }
    }

  g_error ("no shortcut %s in the details", accel);
}

/* The payload tree: the list on the Payload page showing the tree's rows. */
static gboolean
shows_model (GtkWidget     *widget,
             gconstpointer  model)
{
  return (GTK_IS_LIST_VIEW (widget) && (gconstpointer) gtk_list_view_get_model (GTK_LIST_VIEW (widget)) == model) ||
         (GTK_IS_COLUMN_VIEW (widget) && (gconstpointer) gtk_column_view_get_model (GTK_COLUMN_VIEW (widget)) == model);
}

static GtkWidget *
find_payload_tree (Fixture *f)
{
  GtkWidget *tree = pi_test_find_widget (GTK_WIDGET (f->details), shows_model,
                                         pi_message_details_get_tree_model (f->details));

  g_assert_nonnull (tree);
  return tree;
}

static void
test_pages (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) first = fixture_message_new (2, NULL);
  g_autoptr(PiMessage) second = fixture_message_new (3, NULL);
  g_autofree char *page = NULL;
  g_autofree char *raw = NULL;
  AdwInlineViewSwitcher *switcher;
  AdwViewStack *stack;
  GtkWidget *tree;
  GtkWidget *tree_scroller;
  const char *titles[] = { "Fields", "Payload", "Raw" };
  const char *names[] = { "fields", "payload", "raw" };
  GListModel *pages;

  fixture_setup (&f);
  pi_message_details_set_message (f.details, first);

  /* One switcher over three pages, named for people. */
  switcher = ADW_INLINE_VIEW_SWITCHER (pi_test_find_descendant (GTK_WIDGET (f.details), ADW_TYPE_INLINE_VIEW_SWITCHER));
  g_assert_nonnull (switcher);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (switcher)));
  stack = adw_inline_view_switcher_get_stack (switcher);
  pages = G_LIST_MODEL (adw_view_stack_get_pages (stack));
  g_assert_cmpuint (g_list_model_get_n_items (pages), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(AdwViewStackPage) stack_page = g_list_model_get_item (pages, i);
      g_autofree char *title = NULL;
      char *underline;

      /* Mnemonics: Alt+F, Alt+P and Alt+R reach them too. */
      g_assert_true (adw_view_stack_page_get_use_underline (stack_page));
      g_assert_cmpstr (adw_view_stack_page_get_name (stack_page), ==, names[i]);
      title = g_strdup (adw_view_stack_page_get_title (stack_page));
      underline = strchr (title, '_');
      g_assert_nonnull (underline);
      memmove (underline, underline + 1, strlen (underline));
      g_assert_cmpstr (title, ==, titles[i]);
    }
  g_object_unref (pages);

  /* Each page from the keyboard; the choice is kept for the next message
   * and in the settings. */
  press_shortcut (&f, "<Alt>2");
  g_assert_cmpstr (pi_message_details_get_view (f.details), ==, "payload");
  pi_message_details_set_message (f.details, second);
  g_assert_cmpstr (pi_message_details_get_view (f.details), ==, "payload");
  page = settings_page ();
  g_assert_cmpstr (page, ==, "payload");
  g_clear_pointer (&page, g_free);

  /* The tree has the pane's height, less the switcher's bar. */
  pi_test_wait_for_frames (GTK_WIDGET (f.window), 3);
  tree = find_payload_tree (&f);
  tree_scroller = gtk_widget_get_ancestor (tree, GTK_TYPE_SCROLLED_WINDOW);
  g_assert_true (gtk_widget_get_mapped (tree));
  g_test_message ("details %d px high, payload tree %d px",
                  gtk_widget_get_height (GTK_WIDGET (f.details)), gtk_widget_get_height (tree_scroller));
  g_assert_cmpint (gtk_widget_get_height (tree_scroller), >=, gtk_widget_get_height (GTK_WIDGET (f.details)) - 80);

  press_shortcut (&f, "<Alt>3");
  g_assert_cmpstr (pi_message_details_get_view (f.details), ==, "raw");
  raw = pi_message_details_dup_raw_text (f.details);
  g_assert_true (g_str_has_prefix (raw, "{\n  \"payload\": {\n"));
  g_assert_nonnull (strstr (raw, "\n  \"routingKey\": \"primary."));
  g_assert_nonnull (strstr (raw, "\n  \"exchange\": \"exchange/taskcluster-queue/v1/task-failed\",\n"));
  {
    GtkTextView *view = GTK_TEXT_VIEW (pi_test_find_descendant (GTK_WIDGET (f.details), GTK_TYPE_TEXT_VIEW));

    g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (view)));
    g_assert_true (gtk_text_view_get_monospace (view));
    g_assert_false (gtk_text_view_get_editable (view));
    g_assert_cmpint (gtk_text_view_get_wrap_mode (view), !=, GTK_WRAP_NONE);
  }

  press_shortcut (&f, "<Alt>1");
  g_assert_cmpstr (pi_message_details_get_view (f.details), ==, "fields");
  page = settings_page ();
  g_assert_cmpstr (page, ==, "fields");
  g_assert_cmpstr (pi_message_details_get_field (f.details, "workerType"), ==, "b-linux-gcp");

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&first));
  g_assert_finalize_object (g_steal_pointer (&second));
}

/* The page chosen last time is the one a new window opens on. */
/* The labels under @widget whose text is @text. */
static void
find_labels (GtkWidget  *widget,
             const char *text,
             GPtrArray  *found)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    find_labels (child, text, found);
}

/* At the pane's narrowest (320 px, an 800 px window), each page's name is
 * read whole, not cut to "Paylo…". */
static void
test_page_names_narrow (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) message = fixture_message_new (2, NULL);
  const char *titles[] = { "Fields", "Payload", "Raw" };

  fixture_setup (&f);
  gtk_window_set_default_size (f.window, 320, 600);
  pi_message_details_set_message (f.details, message);
  WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (f.details)) == 320, 5);
  pi_test_wait_for_frames (GTK_WIDGET (f.window), 2);

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autoptr(GPtrArray) labels = g_ptr_array_new ();
      GtkLabel *label;

      find_labels (GTK_WIDGET (f.details), titles[i], labels);
      g_assert_cmpuint (labels->len, ==, 1);
      label = g_ptr_array_index (labels, 0);
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (label)));
      if (pango_layout_is_ellipsized (gtk_label_get_layout (label)))
        g_error ("\"%s\" is cut at %d px", titles[i], gtk_widget_get_width (GTK_WIDGET (label)));
    }

  fixture_teardown (&f);
}

static void
test_page_remembered (void)
{
  Fixture f = { 0 };
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);

  g_settings_set_string (settings, "details-page", "raw");
  fixture_setup (&f);
  g_assert_cmpstr (pi_message_details_get_view (f.details), ==, "raw");
  fixture_teardown (&f);
  g_settings_reset (settings, "details-page");
}

static void
test_dropped (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) dropped = pi_message_new_dropped (8, 3, "too-large");
  g_autoptr(PiMessage) slow = pi_message_new_dropped (9, 1, "too-slow");
  const char *text;

  fixture_setup (&f);
  pi_message_details_set_message (f.details, dropped);
  g_assert_cmpstr (pi_message_details_get_visible_page (f.details), ==, "gap");
  text = pi_message_details_get_status_text (f.details);
  g_assert_true (g_str_has_prefix (text, "3 messages dropped by the server: too large for its buffer."));
  g_assert_nonnull (strstr (text, "The connection stayed open"));
  g_assert_null (pi_message_details_get_field (f.details, "Exchange"));
  g_assert_false (action_enabled (&f, "details.copy-message"));
  g_assert_null (strstr (text, "Reported from"));

  /* More reports with the same reason count in the entry shown, and the
   * pane says so, with when they came. */
  {
    g_autoptr(PiMessage) more = pi_message_new_dropped (9, 11, "too-large");

    pi_message_set_time_received (dropped, pi_message_get_time_received (more) - 9 * G_USEC_PER_SEC);
    g_assert_true (pi_message_merge_dropped (dropped, more));
  }
  text = pi_message_details_get_status_text (f.details);
  g_assert_true (g_str_has_prefix (text, "14 messages dropped by the server: too large for its buffer."));
  g_assert_nonnull (strstr (text, "Reported from "));

  pi_message_details_set_message (f.details, slow);
  text = pi_message_details_get_status_text (f.details);
  g_assert_true (g_str_has_prefix (text, "1 message dropped by the server: this client was too slow."));
  /* Over WebSocket the server closes the connection after it: no promise
   * that it stayed open. */
  g_assert_null (strstr (text, "stayed open"));

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&dropped));
  g_assert_finalize_object (g_steal_pointer (&slow));
}

static void
test_indent (void)
{
  static const char input[] =
    " {\"a\" :[1, 2.50 ,{ },[]],\"s\":\"x, y: {z} \\\"q\\\" \\u00e9\",\"n\":-0.1e5,\"o\":{\"t\":true}}";
  static const char expected[] =
    "{\n"
    "  \"a\": [\n"
    "    1,\n"
    "    2.50,\n"
    "    {},\n"
    "    []\n"
    "  ],\n"
    "  \"s\": \"x, y: {z} \\\"q\\\" \\u00e9\",\n"
    "  \"n\": -0.1e5,\n"
    "  \"o\": {\n"
    "    \"t\": true\n"
    "  }\n"
    "}";
  g_autofree char *out = pi_json_indent (input, -1);
  g_autofree char *deep_in = g_strnfill (10000, '[');
  g_autofree char *deep_out = NULL;
  g_autofree char *cut = NULL;

  g_assert_cmpstr (out, ==, expected);

  /* Not JSON, or cut short: laid out as far as it goes, never refused,
   * and deep nesting does not multiply the size. */
  deep_out = pi_json_indent (deep_in, -1);
  g_assert_cmpuint (strlen (deep_out), <, 10000 * (2 + 2 * 32));
  cut = pi_json_indent ("{\"a\":\"unterminated \\", -1);
  g_assert_cmpstr (cut, ==, "{\n  \"a\": \"unterminated \\");
}

/* Walking the list with the arrow keys selects message after message: each
 * selection rebuilds the page shown, which shows that message and stays on
 * the page the user chose. (What it costs is tests/bench-details.c's.) */
static void
test_selection_walk (void)
{
  Fixture f = { 0 };
  g_autoptr(GPtrArray) batch = fixture_batch_new (100, 60, "say \"hi\"");
  const char *pages[] = { "fields", "payload", "raw" };

  fixture_setup (&f);
  for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
    {
      gtk_widget_activate_action (GTK_WIDGET (f.details), "details.page", "s", pages[p]);
      for (guint i = 0; i < batch->len; i++)
        {
          PiMessage *message = g_ptr_array_index (batch, i);

          pi_message_details_set_message (f.details, message);
          /* Let it lay out and draw, as between two key presses. */
          pi_test_wait_for_frames (GTK_WIDGET (f.window), 1);

          g_assert_true (pi_message_details_get_message (f.details) == message);
          g_assert_cmpstr (pi_message_details_get_view (f.details), ==, pages[p]);
          if (g_str_equal (pages[p], "raw"))
            {
              g_autofree char *raw = pi_message_details_dup_raw_text (f.details);

              g_assert_nonnull (strstr (raw, pi_message_get_routing_key (message)));
            }
          else if (g_str_equal (pages[p], "payload"))
            {
              g_assert_cmpuint (g_list_model_get_n_items (pi_message_details_get_tree_model (f.details)), >, 0);
            }
        }
      /* The Fields page, whichever was shown, tells the last one. */
      g_assert_cmpstr (pi_message_details_get_field (f.details, "Routing Key"), ==,
                       pi_message_get_routing_key (g_ptr_array_index (batch, batch->len - 1)));
    }

  pi_message_details_set_message (f.details, NULL);
  fixture_teardown (&f);
}

/* A long line of the Raw page wraps under its own text, not at the left
 * edge, and the text keeps its spaces for copying. */
static void
test_raw_wrap (void)
{
  Fixture f = { 0 };
  g_autofree char *note = g_strnfill (400, 'n');
  g_autoptr(PiMessage) message = fixture_message_new (5, note);
  g_autofree char *text = NULL;
  GtkTextView *view;
  GtkTextBuffer *buffer;
  GtkTextIter iter;
  GdkRectangle start, text_start, wrapped;
  const char *line;
  int line_number = 0;
  int spaces;

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);
  text = pi_message_details_dup_raw_text (f.details);
  line = strstr (text, "\"note\": \"nnn");
  g_assert_nonnull (line);
  for (const char *p = text; p < line; p++)
    line_number += *p == '\n';
  {
    const char *bol = line;

    while (bol > text && bol[-1] != '\n')
      bol--;
    spaces = line - bol;
  }

  view = GTK_TEXT_VIEW (pi_test_find_descendant (GTK_WIDGET (f.details), GTK_TYPE_TEXT_VIEW));
  buffer = gtk_text_view_get_buffer (view);
  pi_test_wait_for_frames (GTK_WIDGET (f.window), 3);

  gtk_text_buffer_get_iter_at_line (buffer, &iter, line_number);
  gtk_text_view_get_iter_location (view, &iter, &start);
  gtk_text_buffer_get_iter_at_line_offset (buffer, &iter, line_number, spaces);
  g_assert_cmpint (gtk_text_iter_get_char (&iter), ==, '"');
  gtk_text_view_get_iter_location (view, &iter, &text_start);
  gtk_text_buffer_get_iter_at_line_offset (buffer, &iter, line_number, spaces + 300);
  gtk_text_view_get_iter_location (view, &iter, &wrapped);

  g_test_message ("line at x %d, its text at x %d; 300 characters on: x %d, y %d below", start.x,
                  text_start.x, wrapped.x, wrapped.y - text_start.y);
  g_assert_cmpint (spaces, >, 0);
  g_assert_cmpint (text_start.x, >, start.x);
  /* 300 characters on is on a later screen line... */
  g_assert_cmpint (wrapped.y, >, text_start.y);
  /* ...and no screen line of it starts left of its text. */
  gtk_text_buffer_get_iter_at_line_offset (buffer, &iter, line_number, spaces + 1);
  while (gtk_text_iter_get_line (&iter) == line_number && !gtk_text_iter_ends_line (&iter))
    {
      GdkRectangle r;

      gtk_text_view_get_iter_location (view, &iter, &r);
      g_assert_cmpint (r.x, >, text_start.x);
      if (!gtk_text_view_forward_display_line (view, &iter))
        break;
    }

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

/* --- copying a large value -------------------------------------------------
 *
 * Issue 12 point 8: Copy Value on a large object, then reading the clipboard
 * from another program, once froze the window for good. A watchdog thread
 * ends the test with a message if the main thread stops turning, instead of
 * leaving it to the test harness's timeout. */

typedef struct
{
  gint     beats;         /* atomic: main loop turns */
  gint     stop;          /* atomic */
  gint64   last_beat;     /* main thread only */
  gint64   max_gap;       /* main thread only, µs */
  guint    beat_id;
  GThread *thread;
} Watchdog;

#define WATCHDOG_LIMIT_S 15

static gboolean
watchdog_beat_cb (gpointer data)
{
  Watchdog *w = data;
  gint64 now = g_get_monotonic_time ();

  if (w->last_beat != 0)
    w->max_gap = MAX (w->max_gap, now - w->last_beat);
  w->last_beat = now;
  g_atomic_int_inc (&w->beats);

  return G_SOURCE_CONTINUE;
}

static gpointer
watchdog_thread (gpointer data)
{
  Watchdog *w = data;
  int seen = g_atomic_int_get (&w->beats);
  gint64 since = g_get_monotonic_time ();

  while (!g_atomic_int_get (&w->stop))
    {
      int beats;

      g_usleep (G_USEC_PER_SEC / 20);
      beats = g_atomic_int_get (&w->beats);
      if (beats != seen)
        {
          seen = beats;
          since = g_get_monotonic_time ();
        }
      else if (g_get_monotonic_time () - since > WATCHDOG_LIMIT_S * G_USEC_PER_SEC)
        {
          g_printerr ("the main thread has not turned for %d s: the window is frozen\n",
                      WATCHDOG_LIMIT_S);
          abort ();
        }
    }

  return NULL;
}

static void
watchdog_start (Watchdog *w)
{
  w->beat_id = g_timeout_add (10, watchdog_beat_cb, w);
  w->thread = g_thread_new ("watchdog", watchdog_thread, w);
}

static void
watchdog_reset_gap (Watchdog *w)
{
  w->last_beat = g_get_monotonic_time ();
  w->max_gap = 0;
}

static void
watchdog_stop (Watchdog *w)
{
  g_atomic_int_set (&w->stop, 1);
  g_thread_join (g_steal_pointer (&w->thread));
  g_clear_handle_id (&w->beat_id, g_source_remove);
}

/* A message whose payload member "big" is an object of @n_members strings,
 * about 5 MB as pretty-printed JSON for 50,000. */
static PiMessage *
large_message_new (guint n_members)
{
  GString *s = g_string_new ("{\"payload\":{\"big\":{");
  g_autofree char *data = NULL;
  gsize len;

  for (guint i = 0; i < n_members; i++)
    g_string_append_printf (s, "%s\"member%05u\":\"%s %05u ü\"", i ? "," : "",
                            i, "The quick brown fox jumps over the lazy dog, again and again and again", i);
  g_string_append (s, "},\"small\":1},\"exchange\":\"exchange/acme/v1/big\","
                      "\"routingKey\":\"primary.big\",\"redelivered\":false,\"routes\":[]}");
  len = s->len;
  data = g_string_free (s, FALSE);

  return pi_message_new_from_data (data, len, 77, g_get_real_time ());
}

static const char *self_path;

typedef struct
{
  gboolean  done;
  char     *output;
} ReaderResult;

static void
on_reader_done (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  ReaderResult *result = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), res, &result->output, NULL, &error);
  g_assert_no_error (error);
  result->done = TRUE;
}

/* The other program of copy-large: reads the clipboard's text and prints
 * its length and SHA-256. */
static void
on_child_text (GObject      *clipboard,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (clipboard), res, &error);
  g_autofree char *checksum = NULL;

  if (text == NULL)
    {
      g_printerr ("could not read the clipboard: %s\n", error ? error->message : "no text");
      exit (1);
    }
  checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
  g_print ("%zu %s\n", strlen (text), checksum);
  exit (0);
}

static int
read_clipboard_child (void)
{
  GdkClipboard *clipboard;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  gtk_init ();
  clipboard = gdk_display_get_clipboard (gdk_display_get_default ());
  while (!gdk_content_formats_contain_gtype (gdk_clipboard_get_formats (clipboard), G_TYPE_STRING))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("the clipboard never offered text\n");
          return 1;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  gdk_clipboard_read_text_async (clipboard, NULL, on_child_text, NULL);
  while (TRUE)
    g_main_context_iteration (NULL, TRUE);
}

static void
on_formats_changed (GdkClipboard *clipboard,
                    GParamSpec   *pspec,
                    gboolean     *has_text)
{
  *has_text = gdk_content_formats_contain_gtype (gdk_clipboard_get_formats (clipboard), G_TYPE_STRING);
}

static void
test_copy_large (void)
{
  Fixture f = { 0 };
  Watchdog w = { 0 };
  g_autoptr(PiMessage) message = large_message_new (50000);
  g_autoptr(PiJsonItem) item = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  GdkDisplay *other;
  GdkClipboard *other_clipboard;
  gboolean other_has_text = FALSE;
  gint64 start;

  g_assert_cmpint (pi_message_get_kind (message), ==, PI_MESSAGE_KIND_DECODED);

  fixture_setup (&f);
  watchdog_start (&w);
  pi_message_details_set_message (f.details, message);

  g_assert_cmpint (find_row (&f, "$.big"), ==, 0);
  item = tree_item (&f, 0);
  expected = pi_json_item_dup_value_text (item);
  g_assert_cmpuint (strlen (expected), >, 5000000);

  gtk_selection_model_select_item (GTK_SELECTION_MODEL (pi_message_details_get_tree_model (f.details)), 0, TRUE);
  start = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.copy-value", NULL);
  g_test_message ("Copy Value of a %zu-byte object took %" G_GINT64_FORMAT " ms",
                  strlen (expected), (g_get_monotonic_time () - start) / 1000);

  /* In this process, as a paste into the app itself would. */
  watchdog_reset_gap (&w);
  start = g_get_monotonic_time ();
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (f.details)),
                                 NULL, on_text_read, &text);
  WAIT_UNTIL (text != NULL, 5);
  g_test_message ("read back in-process in %" G_GINT64_FORMAT " ms, longest main-loop gap %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000, w.max_gap / 1000);
  g_assert_cmpuint (strlen (text), ==, strlen (expected));
  g_assert_true (strcmp (text, expected) == 0);
  g_clear_pointer (&text, g_free);

  /* Another X client: a second connection to the same display, which sees
   * our clipboard only through the X server (INCR transfers: 5 MB is far
   * more than one X request). */
  other = gdk_display_open (NULL);
  g_assert_nonnull (other);
  other_clipboard = gdk_display_get_clipboard (other);
  g_assert_false (gdk_clipboard_is_local (other_clipboard));
  g_signal_connect (other_clipboard, "notify::formats", G_CALLBACK (on_formats_changed), &other_has_text);
  on_formats_changed (other_clipboard, NULL, &other_has_text);
  WAIT_UNTIL (other_has_text, 5);

  for (guint round = 0; round < 3; round++)
    {
      watchdog_reset_gap (&w);
      start = g_get_monotonic_time ();
      gdk_clipboard_read_text_async (other_clipboard, NULL, on_text_read, &text);
      WAIT_UNTIL (text != NULL, 10);
      g_test_message ("read by another X client in %" G_GINT64_FORMAT " ms, longest main-loop gap %" G_GINT64_FORMAT " ms",
                      (g_get_monotonic_time () - start) / 1000, w.max_gap / 1000);
      g_assert_cmpuint (strlen (text), ==, strlen (expected));
      g_assert_true (strcmp (text, expected) == 0);
      g_clear_pointer (&text, g_free);

      /* The window stayed responsive throughout. */
      g_assert_cmpint (w.max_gap, <, G_USEC_PER_SEC);
    }

  g_signal_handlers_disconnect_by_func (other_clipboard, on_formats_changed, &other_has_text);
  gdk_display_close (other);

  /* And another program: this test run again as a clipboard reader. */
  {
    g_autoptr(GSubprocess) reader = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, expected, -1);
    g_autofree char *want = g_strdup_printf ("%zu %s\n", strlen (expected), checksum);
    ReaderResult result = { 0 };

    watchdog_reset_gap (&w);
    start = g_get_monotonic_time ();
    reader = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                               self_path, "--read-clipboard", NULL);
    g_assert_no_error (error);
    g_subprocess_communicate_utf8_async (reader, NULL, NULL, on_reader_done, &result);
    WAIT_UNTIL (result.done, 20);
    g_test_message ("read by another process in %" G_GINT64_FORMAT " ms, longest main-loop gap %" G_GINT64_FORMAT " ms",
                    (g_get_monotonic_time () - start) / 1000, w.max_gap / 1000);
    g_assert_cmpstr (result.output, ==, want);
    g_assert_cmpint (w.max_gap, <, G_USEC_PER_SEC);
    g_free (result.output);
  }

  watchdog_stop (&w);
  g_clear_object (&item);
  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

/* --- screenshots (PI_SCREENSHOT_DIR) -------------------------------------- */

static void
save_both_styles (Fixture    *f,
                  const char *dir,
                  const char *name)
{
  AdwStyleManager *style = adw_style_manager_get_default ();

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *file = g_strdup_printf ("details-%s-%s.png", name, i == 0 ? "light" : "dark");

      adw_style_manager_set_color_scheme (style, i == 0 ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                                        : ADW_COLOR_SCHEME_FORCE_DARK);
      pi_test_wait_for_frames (GTK_WIDGET (f->window), 10);
      pi_test_save_png (f->window, dir, file);
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
}

/* --- copying says so -------------------------------------------------------
 *
 * Issue 12: copying changed nothing on screen. A brief toast in the overlay
 * around the pane says what was copied; Copy Value and Copy Path are in the
 * menu only where the payload tree they copy from is shown. */

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

/* The pane's copy menu button. */
static GtkMenuButton *
find_copy_button (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkMenuButton *found;

      if (GTK_IS_MENU_BUTTON (child) &&
          g_strcmp0 (gtk_menu_button_get_icon_name (GTK_MENU_BUTTON (child)), "edit-copy-symbolic") == 0)
        return GTK_MENU_BUTTON (child);
      if ((found = find_copy_button (child)))
        return found;
    }

  return NULL;
}

/* Whether @model, or one of its sections, has an item running @action. */
static gboolean
menu_offers (GMenuModel *model,
             const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GMenuModel) section = NULL;

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
          g_strcmp0 (name, action) == 0)
        return TRUE;
      if ((section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION)) &&
          menu_offers (section, action))
        return TRUE;
    }

  return FALSE;
}

static void
assert_copy_toast (GtkWidget        *overlay,
                   PiMessageDetails *details,
                   const char       *action,
                   const char       *title)
{
  g_assert_null (find_shown_label (overlay, title));
  gtk_widget_activate_action (GTK_WIDGET (details), action, NULL);
  /* At once: a toast still saying the previous copy is replaced, not
   * queued for its whole timeout ahead of this one. */
  WAIT_UNTIL (find_shown_label (overlay, title) != NULL, 1);
}

static void
test_copy_feedback (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) message = fixture_message_new (1, "copy");
  GtkWidget *overlay = adw_toast_overlay_new ();
  GtkMenuButton *copy_button;
  GListModel *model;

  f.details = PI_MESSAGE_DETAILS (pi_message_details_new ());
  f.window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f.window, 600, 700);
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (f.details));
  gtk_window_set_child (f.window, overlay);
  gtk_window_present (f.window);

  pi_message_details_set_message (f.details, message);
  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.page", "s", "payload");
  model = pi_message_details_get_tree_model (f.details);
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (model), find_row (&f, "$.status"), TRUE);
  pi_test_wait_for_frames (GTK_WIDGET (f.window), 2);

  assert_copy_toast (overlay, f.details, "details.copy-message", "Message copied");
  assert_copy_toast (overlay, f.details, "details.copy-payload", "Payload copied");
  assert_copy_toast (overlay, f.details, "details.copy-value", "Value copied");
  assert_copy_toast (overlay, f.details, "details.copy-path", "Path copied");
  /* Gone after a moment; the same copy again says so again. */
  WAIT_UNTIL (find_shown_label (overlay, "Value copied") == NULL, 3);
  assert_copy_toast (overlay, f.details, "details.copy-value", "Value copied");

  /* The menu offers the tree's two only on the Payload page. */
  copy_button = find_copy_button (GTK_WIDGET (f.details));
  g_assert_nonnull (copy_button);
  g_assert_true (menu_offers (gtk_menu_button_get_menu_model (copy_button), "details.copy-message"));
  g_assert_true (menu_offers (gtk_menu_button_get_menu_model (copy_button), "details.copy-value"));
  g_assert_true (menu_offers (gtk_menu_button_get_menu_model (copy_button), "details.copy-path"));
  for (guint i = 0; i < 2; i++)
    {
      const char *page = i == 0 ? "raw" : "fields";

      gtk_widget_activate_action (GTK_WIDGET (f.details), "details.page", "s", page);
      g_assert_true (menu_offers (gtk_menu_button_get_menu_model (copy_button), "details.copy-message"));
      g_assert_true (menu_offers (gtk_menu_button_get_menu_model (copy_button), "details.copy-payload"));
      g_assert_false (menu_offers (gtk_menu_button_get_menu_model (copy_button), "details.copy-value"));
      g_assert_false (menu_offers (gtk_menu_button_get_menu_model (copy_button), "details.copy-path"));
    }
  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.page", "s", "payload");
  g_assert_true (menu_offers (gtk_menu_button_get_menu_model (copy_button), "details.copy-value"));

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

/* --- the payload tree's rows ----------------------------------------------
 *
 * Issue 12: a 170 px Key column and a Type column left the Value column
 * 78 px of the pane's narrowest 320 px (an 800 px window; the narrow page
 * is 360 px): "proj-releng/b-linux-gcp" read "\"proj-…". The value takes
 * the row's room; the type is told by its look and its tooltip. */

/* The payload row showing @text as its value, on screen. */
static GtkWidget *
shown_value (Fixture    *f,
             const char *text)
{
  GtkWidget *label = find_shown_label (find_payload_tree (f), text);

  if (label == NULL)
    g_error ("no value %s shown in the payload tree", text);

  return label;
}

static void
show_payload_at (Fixture *f,
                 int      width)
{
  gtk_window_set_default_size (f->window, width, 600);
  gtk_widget_activate_action (GTK_WIDGET (f->details), "details.page", "s", "payload");
  WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (f->details)) == width, 5);
  pi_test_wait_for_frames (GTK_WIDGET (f->window), 3);
}

static void
test_value_width (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) message = fixture_message_new (1, NULL);
  const int widths[] = { 320, 360 };

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);

  for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
    {
      GtkWidget *tree;
      GtkWidget *queue;
      GtkWidget *state;
      int tree_width;

      show_payload_at (&f, widths[w]);
      tree = find_payload_tree (&f);
      tree_width = gtk_widget_get_width (tree);

      /* A long value (25 characters, $.status.taskQueueId) gets most of the
       * tree's width: more than half of it, the key and the indent the rest. */
      queue = shown_value (&f, "\"proj-releng/b-linux-gcp\"");
      g_test_message ("pane %d px: tree %d px, value of taskQueueId %d px",
                      widths[w], tree_width, gtk_widget_get_width (queue));
      g_assert_cmpint (gtk_widget_get_width (queue), >, tree_width / 2);

      /* A short one is read whole, and its key too. */
      state = shown_value (&f, "\"running\"");
      g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (state))));
      g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (find_shown_label (tree, "retriesLeft")))));
    }

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

/* No Type column: an object says how many members it has, an array how
 * many items, dimmed; strings, numbers and true/false/null each have a
 * colour of their own, and the type in words is in the tooltip (which is
 * the accessible description too); a key's tooltip is its path. */
static void
test_value_look (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) message = fixture_message_new (1, NULL);
  GtkWidget *status, *runs, *state, *retries, *key;
  GdkRGBA status_color, state_color, retries_color;

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);
  show_payload_at (&f, 320);

  status = shown_value (&f, "{12 members}");
  runs = shown_value (&f, "[2 items]");
  g_assert_true (gtk_widget_has_css_class (status, "dim-label"));
  g_assert_true (gtk_widget_has_css_class (runs, "dim-label"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (status), ==, "Object");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (runs), ==, "Array");

  state = shown_value (&f, "\"running\"");
  retries = shown_value (&f, "5");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (state), ==, "String\n\"running\"");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (retries), ==, "Number\n5");
  /* Read out too, not only shown to the pointer. */
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (state), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "String\n\"running\"");
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (status), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "Object");

  gtk_widget_get_color (status, &status_color);
  gtk_widget_get_color (state, &state_color);
  gtk_widget_get_color (retries, &retries_color);
  g_assert_false (gdk_rgba_equal (&state_color, &retries_color));
  g_assert_false (gdk_rgba_equal (&state_color, &status_color));
  g_assert_false (gdk_rgba_equal (&retries_color, &status_color));

  key = find_shown_label (find_payload_tree (&f), "taskQueueId");
  g_assert_nonnull (key);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (key), ==, "$.status.taskQueueId");

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

/* The tree expander showing the row whose path is @path. */
static GtkWidget *
find_expander (GtkWidget  *widget,
               const char *path)
{
  if (GTK_IS_TREE_EXPANDER (widget) && gtk_widget_get_mapped (widget))
    {
      g_autoptr(GObject) item = gtk_tree_expander_get_item (GTK_TREE_EXPANDER (widget));

      if (PI_IS_JSON_ITEM (item) && g_strcmp0 (pi_json_item_get_path (PI_JSON_ITEM (item)), path) == 0)
        return widget;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_expander (child, path);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* A key pressed where the focus is, routed as GTK routes it: the focus
 * widget's shortcuts first, then its parents'. */
static void
press_key (GtkWindow  *window,
           const char *accel)
{
  for (GtkWidget *widget = gtk_root_get_focus (GTK_ROOT (window)); widget != NULL; widget = gtk_widget_get_parent (widget))
    {
      g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

          if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
            continue;

          for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
            {
              g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
              g_autofree char *trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));

              if (g_strcmp0 (trigger, accel) == 0 &&
                  gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, widget,
                                                gtk_shortcut_get_arguments (shortcut)))
                return;
            }
        }
    }

  g_error ("%s does nothing where the focus is", accel);
}

/* Plus and minus open and close the focused row, as in every GTK tree. */
static void
test_keyboard_expand (void)
{
  Fixture f = { 0 };
  g_autoptr(PiMessage) message = fixture_message_new (1, NULL);
  GListModel *model;
  GtkWidget *expander;
  guint n_before;

  fixture_setup (&f);
  pi_message_details_set_message (f.details, message);
  show_payload_at (&f, 360);
  model = pi_message_details_get_tree_model (f.details);

  expander = find_expander (find_payload_tree (&f), "$.status.runs");
  g_assert_nonnull (expander);
  g_assert_true (gtk_widget_grab_focus (expander));
  n_before = g_list_model_get_n_items (model);
  g_assert_cmpint (find_row (&f, "$.status.runs[0]"), ==, -1);

  press_key (f.window, "plus");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n_before + 2);
  g_assert_cmpint (find_row (&f, "$.status.runs[0]"), ==, find_row (&f, "$.status.runs") + 1);

  press_key (f.window, "minus");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n_before);
  g_assert_cmpint (find_row (&f, "$.status.runs[0]"), ==, -1);

  fixture_teardown (&f);
  g_assert_finalize_object (g_steal_pointer (&message));
}

static void
test_screenshots (void)
{
  const char *dir = g_getenv ("PI_SCREENSHOT_DIR");
  Fixture f = { 0 };
  g_autoptr(PiMessage) message = fixture_message_new (3, "say \"hi\"");
  g_autoptr(PiMessage) dropped = pi_message_new_dropped (8, 3, "too-large");
  static const char bad[] = "{\"payload\": {\"taskId\": \"abc\", oops";
  g_autoptr(PiMessage) undecodable = pi_message_new_from_data (bad, strlen (bad), 9, g_get_real_time ());
  const int widths[] = { 560, 420, 360, 320 };

  if (dir == NULL || dir[0] == '\0')
    {
      g_test_skip ("PI_SCREENSHOT_DIR is not set");
      return;
    }

  fixture_setup (&f);
  for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
    {
      const char *pages[] = { "fields", "payload", "raw" };

      gtk_window_set_default_size (f.window, widths[w], 720);
      pi_message_details_set_message (f.details, message);
      for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
        {
          g_autofree char *name = g_strdup_printf ("%s-%d", pages[i], widths[w]);

          gtk_widget_activate_action (GTK_WIDGET (f.details), "details.page", "s", pages[i]);
          save_both_styles (&f, dir, name);
        }
    }

  gtk_window_set_default_size (f.window, 420, 720);
  pi_message_details_set_message (f.details, dropped);
  save_both_styles (&f, dir, "dropped");
  gtk_widget_activate_action (GTK_WIDGET (f.details), "details.page", "s", "payload");
  pi_message_details_set_message (f.details, undecodable);
  save_both_styles (&f, dir, "undecodable");

  fixture_teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 2 && g_str_equal (argv[1], "--read-clipboard"))
    return read_clipboard_child ();
  self_path = argv[0];

  pi_test_ui_init (&argc, &argv);

  /* The app's style sheet, which the application loads for its windows:
   * the pane is tested without one. */
  {
    g_autoptr(GtkCssProvider) provider = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (provider, RESOURCE_BASE_PATH "/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  g_test_add_func ("/pi/message-details/json-item", test_json_item);
  g_test_add_func ("/pi/message-details/empty", test_empty);
  g_test_add_func ("/pi/message-details/fields", test_fields);
  g_test_add_func ("/pi/message-details/unknown-exchange", test_unknown_exchange);
  g_test_add_func ("/pi/message-details/tree", test_tree);
  g_test_add_func ("/pi/message-details/undecodable", test_undecodable);
  g_test_add_func ("/pi/message-details/undecodable-deep", test_undecodable_deep);
  g_test_add_func ("/pi/message-details/gap", test_gap);
  g_test_add_func ("/pi/message-details/dropped", test_dropped);
  g_test_add_func ("/pi/message-details/pages", test_pages);
  g_test_add_func ("/pi/message-details/page-remembered", test_page_remembered);
  g_test_add_func ("/pi/message-details/page-names-narrow", test_page_names_narrow);
  g_test_add_func ("/pi/message-details/indent", test_indent);
  g_test_add_func ("/pi/message-details/raw-wrap", test_raw_wrap);
  g_test_add_func ("/pi/message-details/selection-walk", test_selection_walk);
  g_test_add_func ("/pi/message-details/copy-large", test_copy_large);
  g_test_add_func ("/pi/message-details/copy-feedback", test_copy_feedback);
  g_test_add_func ("/pi/message-details/value-width", test_value_width);
  g_test_add_func ("/pi/message-details/value-look", test_value_look);
  g_test_add_func ("/pi/message-details/keyboard-expand", test_keyboard_expand);
  g_test_add_func ("/pi/message-details/screenshots", test_screenshots);

  return g_test_run ();
}
