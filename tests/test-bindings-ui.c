/* test-bindings-ui.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The bindings sidebar and the add-binding dialog, as real widgets in a
 * real window under Xvfb, driven as a person would: typing, clicking, the
 * switch, the toast's Undo. */

#include "config.h"

#include <adwaita.h>

#include "pi-add-binding-dialog.h"
#include "pi-application.h"
#include "pi-bindings-sidebar.h"
#include "pi-ui-test-util.h"
#include "pi-window-private.h"

#define TASK_FAILED "exchange/taskcluster-queue/v1/task-failed"

static PiApplication *app;

typedef struct
{
  GtkWindow         *window;
  AdwToastOverlay   *overlay;
  PiBindingsSidebar *sidebar;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  pi_test_reset_settings ();

  fixture->window = GTK_WINDOW (adw_window_new ());
  gtk_window_set_default_size (fixture->window, 900, 700);
  fixture->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  fixture->sidebar = g_object_new (PI_TYPE_BINDINGS_SIDEBAR, NULL);
  adw_toast_overlay_set_child (fixture->overlay, GTK_WIDGET (fixture->sidebar));
  adw_window_set_content (ADW_WINDOW (fixture->window), GTK_WIDGET (fixture->overlay));
  gtk_window_present (fixture->window);
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (fixture->window)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  GtkWindow *window = fixture->window;

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (window);
  WAIT_UNTIL (window == NULL, 5);
}

static GPtrArray *
three_bindings (void)
{
  GPtrArray *bindings = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (bindings, pi_binding_new (TASK_COMPLETED, "#"));
  g_ptr_array_add (bindings, pi_binding_new (TASK_FAILED, "route.index.a.#"));
  g_ptr_array_add (bindings, pi_binding_new (TASK_FAILED, "route.index.b.#"));

  return bindings;
}

static PiBinding *
binding_at (PiBindingsSidebar *sidebar,
            guint              position)
{
  GListModel *model = pi_bindings_sidebar_get_model (sidebar);
  g_autoptr(PiBinding) binding = g_list_model_get_item (model, position);

  /* The list keeps it alive. */
  return binding;
}

static AdwActionRow *
row_at (PiBindingsSidebar *sidebar,
        guint              position)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (pi_bindings_sidebar_get_list (sidebar), position);

  g_assert_true (ADW_IS_ACTION_ROW (row));

  return ADW_ACTION_ROW (row);
}

/* The visible error icon of a row, or NULL. */
static GtkWidget *
row_error_icon (AdwActionRow *row)
{
  GtkWidget *image = pi_test_find_descendant (GTK_WIDGET (row), GTK_TYPE_IMAGE);

  /* The only image with the error style is ours. */
  for (; image != NULL; image = gtk_widget_get_next_sibling (image))
    if (GTK_IS_IMAGE (image) && gtk_widget_has_css_class (image, "error"))
      return gtk_widget_get_mapped (image) ? image : NULL;

  return NULL;
}

static GtkWidget *
find_button_with_label (GtkWidget  *widget,
                        const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
        return child;
      if ((found = find_button_with_label (child, label)))
        return found;
    }

  return NULL;
}

/* The label under @widget showing @text, or NULL. */
static GtkWidget *
find_label_with_text (GtkWidget  *widget,
                      const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (child)), text) == 0)
        return child;
      if ((found = find_label_with_text (child, text)))
        return found;
    }

  return NULL;
}

/* Whether @widget is on screen in the dialog: mapped, and not scrolled or
 * clipped away by the scrolled window around it. */
static gboolean
shown_in_dialog (GtkWidget *widget)
{
  GtkWidget *viewport;
  graphene_rect_t bounds;

  if (widget == NULL || !gtk_widget_get_mapped (widget))
    return FALSE;

  viewport = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  g_assert_nonnull (viewport);
  if (!gtk_widget_compute_bounds (widget, viewport, &bounds))
    return FALSE;

  g_test_message ("%g,%g %gx%g in a view of %dx%d", bounds.origin.x, bounds.origin.y,
                  bounds.size.width, bounds.size.height,
                  gtk_widget_get_width (viewport), gtk_widget_get_height (viewport));

  return bounds.size.height > 0 && bounds.origin.y >= 0 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (viewport);
}

static PiAddBindingDialog *
open_add_dialog (Fixture *fixture)
{
  PiAddBindingDialog *dialog;

  gtk_widget_activate_action (GTK_WIDGET (fixture->sidebar), "bindings.add", NULL);
  dialog = PI_ADD_BINDING_DIALOG (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG));
  g_assert_nonnull (dialog);
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (dialog)), 5);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);

  return dialog;
}

static gboolean
add_enabled (PiAddBindingDialog *dialog)
{
  GtkWidget *button = pi_add_binding_dialog_get_add_button (dialog);

  return gtk_widget_get_sensitive (button) && gtk_widget_is_sensitive (button);
}

/* --- tests --------------------------------------------------------------- */

static void
test_empty_state (Fixture       *fixture,
                  gconstpointer  data)
{
  GtkWidget *empty = pi_bindings_sidebar_get_empty_state (fixture->sidebar);
  GtkWidget *list = GTK_WIDGET (pi_bindings_sidebar_get_list (fixture->sidebar));
  g_autoptr(GPtrArray) bindings = three_bindings ();

  /* Nothing bound: the sidebar says so and offers to add. */
  g_assert_true (gtk_widget_get_mapped (empty));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (empty)), ==, "No Bindings");
  g_assert_nonnull (find_button_with_label (empty, "_Add Binding…"));
  g_assert_false (gtk_widget_get_mapped (list));

  pi_bindings_sidebar_set_bindings (fixture->sidebar, bindings);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
  g_assert_false (gtk_widget_get_mapped (empty));
  g_assert_true (gtk_widget_get_mapped (list));

  for (guint i = 0; i < 3; i++)
    pi_bindings_sidebar_remove (fixture->sidebar, 0);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
  g_assert_true (gtk_widget_get_mapped (empty));
}

static void
test_add (Fixture       *fixture,
          gconstpointer  data)
{
  GListModel *model = pi_bindings_sidebar_get_model (fixture->sidebar);
  g_autoptr(PiAddBindingDialog) dialog = NULL;
  g_autoptr(GError) expected = NULL;
  GtkEditable *exchange;
  GtkEditable *pattern;
  AdwActionRow *row;

  dialog = g_object_ref (open_add_dialog (fixture));
  exchange = pi_add_binding_dialog_get_exchange_entry (dialog);
  pattern = pi_add_binding_dialog_get_pattern_entry (dialog);

  /* Nothing typed: Add is disabled, and nothing is called wrong yet. */
  g_assert_false (add_enabled (dialog));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (dialog), ==, "");

  /* An invalid pattern: Add stays disabled, the reason is shown. */
  gtk_widget_grab_focus (GTK_WIDGET (exchange));
  gtk_editable_set_text (exchange, TASK_COMPLETED);
  gtk_editable_set_text (pattern, "primary.b*");
  g_assert_false (pi_binding_validate_pattern ("primary.b*", &expected));
  g_assert_false (add_enabled (dialog));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (dialog), ==, expected->message);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 3);
  g_assert_true (shown_in_dialog (find_label_with_text (GTK_WIDGET (dialog), expected->message)));
  g_signal_emit_by_name (pattern, "entry-activated");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);

  /* Valid: Add is the way out, and the dialog goes. */
  gtk_editable_set_text (pattern, "primary.#");
  g_assert_true (add_enabled (dialog));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (dialog), ==, "");
  g_signal_emit_by_name (pi_add_binding_dialog_get_add_button (dialog), "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  /* No "already in the list" for the binding just added. */
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (dialog), ==, "");
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
  g_clear_object (&dialog);

  /* The row is there: short name and pattern. */
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
  row = row_at (fixture->sidebar, 0);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (row)));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "task-completed");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "primary.#"));
  g_assert_false (gtk_widget_get_mapped (pi_bindings_sidebar_get_empty_state (fixture->sidebar)));

  /* The same again is explained, not added. */
  dialog = g_object_ref (open_add_dialog (fixture));
  gtk_editable_set_text (pi_add_binding_dialog_get_exchange_entry (dialog), TASK_COMPLETED);
  gtk_editable_set_text (pi_add_binding_dialog_get_pattern_entry (dialog), "primary.#");
  g_assert_false (add_enabled (dialog));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (dialog), ==, "This binding is already in the list");

  /* Cancel leaves the list as it was. */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "binding.cancel", NULL);
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
}

/* The widget whose tooltip GTK would show for the pointer resting on
 * @widget: GTK's tooltip lookup walks from the widget under the pointer up
 * through its parents (out of a popover into the widget it hangs on) to
 * the first one with a tooltip. NULL when there is none. */
static GtkWidget *
tooltip_owner (GtkWidget *widget)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (gtk_widget_get_has_tooltip (widget))
      return widget;

  return NULL;
}

/* The widget under the middle of @widget, as the pointer finds it in
 * @native (the window or the popover). */
static GtkWidget *
pick_middle (GtkWidget *native,
             GtkWidget *widget)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (widget, native, &bounds));
  return gtk_widget_pick (native,
                          bounds.origin.x + bounds.size.width / 2,
                          bounds.origin.y + bounds.size.height / 2,
                          GTK_PICK_DEFAULT);
}

/* Types @text into the exchange entry and waits for the completion to be
 * shown and laid out. The tests share one X server: another test's window
 * taking the focus closes the completion (as it should), so this types
 * again until it stays open. */
static void
wait_for_completion (Fixture     *fixture,
                     GtkEditable *exchange,
                     GtkWidget   *popover,
                     const char  *text)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;)
    {
      gtk_window_present (fixture->window);
      gtk_widget_grab_focus (GTK_WIDGET (exchange));
      gtk_editable_set_text (exchange, "");
      gtk_editable_set_text (exchange, text);

      for (guint frames = 0; frames < 120 && gtk_widget_get_mapped (popover); frames++)
        {
          GtkWidget *first = NULL;
          GtkWidget *list = pi_test_find_descendant (popover, GTK_TYPE_LIST_BOX);

          if (list != NULL)
            first = GTK_WIDGET (gtk_list_box_get_row_at_y (GTK_LIST_BOX (list), 1));
          if (first != NULL && gtk_widget_get_mapped (first) &&
              gtk_widget_get_height (gtk_popover_get_child (GTK_POPOVER (popover))) > 0)
            {
              pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
              if (gtk_widget_get_mapped (popover))
                return;
            }
          pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 1);
        }

      if (g_get_monotonic_time () > deadline)
        g_error ("the completion for \"%s\" did not stay open", text);
      g_test_message ("the completion closed or was not laid out; typing again");
    }
}

static void
test_completion_below_entry (Fixture       *fixture,
                             gconstpointer  data)
{
  PiAddBindingDialog *dialog;
  GtkEditable *exchange;
  GtkWidget *popover;
  GtkNative *native;
  GdkSurface *surface;
  graphene_rect_t entry_bounds;
  graphene_rect_t list_bounds;
  double window_dx, window_dy;
  double popover_dx, popover_dy;
  int entry_top, entry_bottom, entry_left, entry_right;
  int popover_top, popover_bottom, popover_left, popover_right;

  /* Placed while the dialog still moved in (a slow machine draws few
   * frames of its animation), the popup stayed where the entry was then:
   * measure where it goes once the dialog stands. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  dialog = open_add_dialog (fixture);
  exchange = pi_add_binding_dialog_get_exchange_entry (dialog);
  popover = pi_add_binding_dialog_get_completion (dialog);

  /* On a loaded machine (the full suite beside other builds) the popup
   * may take seconds to be laid out. */
  wait_for_completion (fixture, exchange, popover, "task-");
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", TRUE, NULL);

  /* The entry, in the window surface's coordinates. */
  native = gtk_widget_get_native (GTK_WIDGET (exchange));
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (exchange), GTK_WIDGET (native), &entry_bounds));
  gtk_native_get_surface_transform (native, &window_dx, &window_dy);
  entry_left = entry_bounds.origin.x + window_dx;
  entry_top = entry_bounds.origin.y + window_dy;
  entry_right = entry_left + entry_bounds.size.width;
  entry_bottom = entry_top + entry_bounds.size.height;

  /* The list of the popover, in the same coordinates: the popup surface
   * sits relative to the window's surface, and the list inside it. */
  surface = gtk_native_get_surface (GTK_NATIVE (popover));
  g_assert_true (GDK_IS_POPUP (surface));
  g_assert_true (gdk_popup_get_parent (GDK_POPUP (surface)) == gtk_native_get_surface (native));

  /* The X server places the popup surface asynchronously: on a loaded
   * machine its position arrives frames after its size. Where it settles
   * is what the user sees; if it never goes below the entry, the
   * assertions below fail after the wait. */
  for (gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;;)
    {
      gtk_native_get_surface_transform (GTK_NATIVE (popover), &popover_dx, &popover_dy);
      g_assert_true (gtk_widget_compute_bounds (gtk_popover_get_child (GTK_POPOVER (popover)), popover, &list_bounds));
      popover_left = gdk_popup_get_position_x (GDK_POPUP (surface)) + popover_dx + list_bounds.origin.x;
      popover_top = gdk_popup_get_position_y (GDK_POPUP (surface)) + popover_dy + list_bounds.origin.y;
      popover_right = popover_left + list_bounds.size.width;
      popover_bottom = popover_top + list_bounds.size.height;
      if (popover_top >= entry_bottom || g_get_monotonic_time () > deadline)
        break;
      pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 1);
    }

  g_test_message ("entry %d,%d–%d,%d; completion %d,%d–%d,%d",
                  entry_left, entry_top, entry_right, entry_bottom,
                  popover_left, popover_top, popover_right, popover_bottom);

  /* Below the entry, side by side with it, never across it. */
  g_assert_cmpint (popover_bottom - popover_top, >, 0);
  g_assert_cmpint (popover_top, >=, entry_bottom);
  g_assert_cmpint (popover_left, <, entry_right);
  g_assert_cmpint (popover_right, >, entry_left);

  /* Typing goes on in the entry. */
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (exchange)) ||
                 gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (native)), GTK_WIDGET (exchange)));

  adw_dialog_close (ADW_DIALOG (dialog));
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
}

/* Issue 12: while the completion was open, the exchange row's tooltip (and
 * each row's description) showed over the list being chosen from. With
 * the list open, wherever the pointer rests on it, or on the entry above
 * it, no tooltip comes up. */
static void
test_completion_no_tooltip (Fixture       *fixture,
                            gconstpointer  data)
{
  PiAddBindingDialog *dialog = open_add_dialog (fixture);
  GtkEditable *exchange = pi_add_binding_dialog_get_exchange_entry (dialog);
  GtkWidget *popover = pi_add_binding_dialog_get_completion (dialog);
  GtkListBox *list;
  GtkWidget *owner;
  guint n_rows = 0;

  wait_for_completion (fixture, exchange, popover, "task-");
  list = GTK_LIST_BOX (pi_test_find_descendant (popover, GTK_TYPE_LIST_BOX));
  g_assert_nonnull (list);

  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, i);
      GtkWidget *picked;

      if (row == NULL)
        break;
      if (!gtk_widget_get_child_visible (GTK_WIDGET (row)) || !gtk_widget_get_mapped (GTK_WIDGET (row)))
        continue;

      /* Rows scrolled out of the list's view are not under any pointer. */
      if ((picked = pick_middle (popover, GTK_WIDGET (row))) == NULL)
        continue;
      g_assert_true (picked == GTK_WIDGET (row) || gtk_widget_is_ancestor (picked, GTK_WIDGET (row)));
      if ((owner = tooltip_owner (picked)) != NULL)
        g_error ("over completion row %d, a %s shows the tooltip \"%s\"", i,
                 G_OBJECT_TYPE_NAME (owner), gtk_widget_get_tooltip_text (owner));
      /* What a row's exchange is for is read out, as its tooltip was shown. */
      g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION));
      n_rows++;
    }
  g_assert_cmpuint (n_rows, >, 1);

  /* The entry being typed into: its tooltip would come up under the
   * pointer, which is over the list. */
  owner = tooltip_owner (pick_middle (GTK_WIDGET (gtk_widget_get_native (GTK_WIDGET (exchange))),
                                      GTK_WIDGET (exchange)));
  if (owner != NULL)
    g_error ("over the exchange entry, a %s shows the tooltip \"%s\"",
             G_OBJECT_TYPE_NAME (owner), gtk_widget_get_tooltip_text (owner));
  g_assert_true (gtk_widget_get_mapped (popover));

  /* For a look (PI_SCREENSHOT_DIR): the list, a surface of its own. */
  if (g_getenv ("PI_SCREENSHOT_DIR") != NULL && g_getenv ("PI_SCREENSHOT_DIR")[0] != '\0')
    {
      pi_test_save_png (fixture->window, g_getenv ("PI_SCREENSHOT_DIR"), "add-binding-completion-dialog.png");
      pi_test_save_png (popover, g_getenv ("PI_SCREENSHOT_DIR"), "add-binding-completion.png");
    }

  adw_dialog_close (ADW_DIALOG (dialog));
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
}

/* How much of the dialog's content area is left blank below its content. */
static int
blank_below (PiAddBindingDialog *dialog)
{
  GtkWidget *entry = GTK_WIDGET (pi_add_binding_dialog_get_exchange_entry (dialog));
  GtkWidget *scroller = gtk_widget_get_ancestor (entry, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *content = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller));
  int natural;

  gtk_widget_measure (content, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (scroller),
                      NULL, &natural, NULL, NULL);
  g_test_message ("content %d px of %d px high (the dialog %d px)", natural,
                  gtk_widget_get_height (scroller), gtk_widget_get_height (adw_dialog_get_child (ADW_DIALOG (dialog))));

  return gtk_widget_get_height (scroller) - natural;
}

static int
content_height (PiAddBindingDialog *dialog)
{
  GtkWidget *entry = GTK_WIDGET (pi_add_binding_dialog_get_exchange_entry (dialog));

  return gtk_widget_get_height (gtk_widget_get_ancestor (entry, GTK_TYPE_SCROLLED_WINDOW));
}

/* Issue 12: a fixed 520 px of content for two rows left half of the
 * dialog empty. The dialog is as high as its rows, the by-field builder's
 * row (collapsed) and the notes under them; a blank of at most 96 px (room
 * for a one-line hint or error and a little air: less than two rows) is
 * left, and nothing scrolls. It stays that high as the builder appears and is
 * opened: nothing moves under the pointer. */
static void
test_dialog_height (Fixture       *fixture,
                    gconstpointer  data)
{
  const int sizes[][2] = { { 1400, 900 }, { 360, 720 } };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      PiAddBindingDialog *dialog;
      GtkEditable *exchange;
      AdwExpanderRow *builder;
      int height, blank;

      gtk_window_set_default_size (fixture->window, sizes[s][0], sizes[s][1]);
      /* (The window's frame takes a few pixels of the size asked for.) */
      WAIT_UNTIL (ABS (gtk_widget_get_width (GTK_WIDGET (fixture->window)) - sizes[s][0]) <= 16, 5);
      g_test_message ("window %dx%d", gtk_widget_get_width (GTK_WIDGET (fixture->window)),
                      gtk_widget_get_height (GTK_WIDGET (fixture->window)));
      g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
      dialog = open_add_dialog (fixture);
      exchange = pi_add_binding_dialog_get_exchange_entry (dialog);
      height = gtk_widget_get_height (adw_dialog_get_child (ADW_DIALOG (dialog)));

      /* At first, without the builder, the blank is the room it will take
       * and no more than a third of the content area (it was half). */
      blank = blank_below (dialog);
      g_test_message ("%dx%d: %d px blank at first", sizes[s][0], sizes[s][1], blank);
      g_assert_cmpint (blank, >=, 0);
      g_assert_cmpint (blank * 3, <, content_height (dialog));

      /* A catalog exchange: the builder appears, collapsed, and all fits. */
      gtk_widget_grab_focus (GTK_WIDGET (exchange));
      gtk_editable_set_text (exchange, TASK_COMPLETED);
      pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 3);
      builder = ADW_EXPANDER_ROW (gtk_widget_get_ancestor (GTK_WIDGET (g_ptr_array_index (pi_add_binding_dialog_get_field_entries (dialog), 0)),
                                                           ADW_TYPE_EXPANDER_ROW));
      g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (builder)));
      g_assert_false (adw_expander_row_get_expanded (builder));
      blank = blank_below (dialog);
      g_test_message ("%dx%d: %d px blank with the builder", sizes[s][0], sizes[s][1], blank);
      g_assert_cmpint (blank, >=, 0);
      g_assert_cmpint (blank, <=, 96);
      g_assert_cmpint (gtk_widget_get_height (adw_dialog_get_child (ADW_DIALOG (dialog))), ==, height);

      /* Opened, it scrolls inside the dialog, which keeps its height. */
      adw_expander_row_set_expanded (builder, TRUE);
      pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 3);
      g_assert_cmpint (gtk_widget_get_height (adw_dialog_get_child (ADW_DIALOG (dialog))), ==, height);

      if (g_getenv ("PI_SCREENSHOT_DIR") != NULL && g_getenv ("PI_SCREENSHOT_DIR")[0] != '\0')
        {
          g_autofree char *name = g_strdup_printf ("add-binding-%dx%d.png", sizes[s][0], sizes[s][1]);

          adw_expander_row_set_expanded (builder, FALSE);
          pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 3);
          pi_test_save_png (fixture->window, g_getenv ("PI_SCREENSHOT_DIR"), name);
        }

      adw_dialog_force_close (ADW_DIALOG (dialog));
      WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
      g_object_set (gtk_settings_get_default (), "gtk-enable-animations", TRUE, NULL);
    }
}

#define TASK_DEFINED "exchange/taskcluster-queue/v1/task-defined"
#define OTHER_SERVICE "exchange/other-service/v1/thing-happened"

/* An exchange outside the catalog is allowed but said, under the rows; a
 * partial name of one catalog exchange ("task-de") is that exchange. */
static void
test_unknown_exchange (Fixture       *fixture,
                       gconstpointer  data)
{
  GListModel *model = pi_bindings_sidebar_get_model (fixture->sidebar);
  g_autoptr(PiAddBindingDialog) dialog = NULL;
  g_autofree char *likely = NULL;
  GtkEditable *exchange;
  PiBinding *binding;
  const char *hint;

  dialog = g_object_ref (open_add_dialog (fixture));
  exchange = pi_add_binding_dialog_get_exchange_entry (dialog);
  gtk_widget_grab_focus (GTK_WIDGET (exchange));

  /* Another service's exchange: a hint, not an error; Add stays enabled. */
  gtk_editable_set_text (exchange, OTHER_SERVICE);
  hint = pi_add_binding_dialog_get_hint_text (dialog);
  g_assert_nonnull (strstr (hint, "Not a known Taskcluster exchange"));
  g_assert_nonnull (strstr (hint, "only if the server has"));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (dialog), ==, "");
  g_assert_true (add_enabled (dialog));
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 3);
  g_assert_true (shown_in_dialog (find_label_with_text (GTK_WIDGET (dialog), hint)));

  g_assert_cmpuint (pi_add_binding_dialog_get_field_entries (dialog)->len, ==, 0);

  /* Several catalog exchanges contain it: the hint, no guess. */
  gtk_editable_set_text (exchange, "task-");
  hint = pi_add_binding_dialog_get_hint_text (dialog);
  g_assert_nonnull (strstr (hint, "Not a known Taskcluster exchange"));
  g_assert_null (strstr (hint, "exchange/"));
  g_assert_cmpuint (pi_add_binding_dialog_get_field_entries (dialog)->len, ==, 0);

  /* A known one: nothing to say. */
  gtk_editable_set_text (exchange, TASK_COMPLETED);
  g_assert_cmpstr (pi_add_binding_dialog_get_hint_text (dialog), ==, "");

  /* The reviewer's typo: the hint names the one exchange it completes to,
   * and Enter in the exchange row adds that one, not the partial text. */
  gtk_editable_set_text (exchange, "task-de");
  hint = pi_add_binding_dialog_get_hint_text (dialog);
  likely = g_strdup_printf ("Not a known Taskcluster exchange: Add will use %s", TASK_DEFINED);
  g_assert_cmpstr (hint, ==, likely);
  g_assert_true (add_enabled (dialog));
  /* The by-field builder is that exchange's. */
  g_assert_cmpuint (pi_add_binding_dialog_get_field_entries (dialog)->len, >, 0);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 3);
  g_assert_true (shown_in_dialog (find_label_with_text (GTK_WIDGET (dialog), likely)));
  /* For a look (PI_SCREENSHOT_DIR). */
  if (g_getenv ("PI_SCREENSHOT_DIR") != NULL && g_getenv ("PI_SCREENSHOT_DIR")[0] != '\0')
    pi_test_save_png (fixture->window, g_getenv ("PI_SCREENSHOT_DIR"), "add-binding-unknown-exchange.png");
  g_signal_emit_by_name (exchange, "entry-activated");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  binding = binding_at (fixture->sidebar, 0);
  g_assert_cmpstr (pi_binding_get_exchange (binding), ==, TASK_DEFINED);
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding), ==, "#");
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
  g_clear_object (&dialog);

  /* The same typo again is the binding already there, and says so. */
  dialog = g_object_ref (open_add_dialog (fixture));
  gtk_editable_set_text (pi_add_binding_dialog_get_exchange_entry (dialog), "task-de");
  g_assert_false (add_enabled (dialog));
  g_assert_cmpstr (pi_add_binding_dialog_get_error_text (dialog), ==, "This binding is already in the list");

  /* Another service's name is added as typed. */
  gtk_editable_set_text (pi_add_binding_dialog_get_exchange_entry (dialog), OTHER_SERVICE);
  g_signal_emit_by_name (pi_add_binding_dialog_get_add_button (dialog), "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_cmpstr (pi_binding_get_exchange (binding_at (fixture->sidebar, 1)), ==, OTHER_SERVICE);
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
}

/* Enter in a "Pattern by Field" row adds, as in the pattern row. */
static void
test_field_row_enter (Fixture       *fixture,
                      gconstpointer  data)
{
  GListModel *model = pi_bindings_sidebar_get_model (fixture->sidebar);
  g_autoptr(PiAddBindingDialog) dialog = NULL;
  g_autofree char *pattern = NULL;
  GPtrArray *fields;
  GtkEditable *task_id;

  dialog = g_object_ref (open_add_dialog (fixture));
  gtk_editable_set_text (pi_add_binding_dialog_get_exchange_entry (dialog), TASK_COMPLETED);
  fields = pi_add_binding_dialog_get_field_entries (dialog);
  g_assert_cmpuint (fields->len, >, 0);

  /* The first field of task-completed is the task. */
  task_id = g_ptr_array_index (fields, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (task_id)), ==, "taskId");
  gtk_widget_grab_focus (GTK_WIDGET (task_id));
  gtk_editable_set_text (task_id, "fUAKaIdkSF6K1NlOgx7-LA");
  pattern = g_strdup (gtk_editable_get_text (pi_add_binding_dialog_get_pattern_entry (dialog)));
  g_assert_nonnull (strstr (pattern, "fUAKaIdkSF6K1NlOgx7-LA"));
  g_assert_true (add_enabled (dialog));

  g_signal_emit_by_name (task_id, "entry-activated");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_assert_cmpstr (pi_binding_get_exchange (binding_at (fixture->sidebar, 0)), ==, TASK_COMPLETED);
  g_assert_cmpstr (pi_binding_get_routing_key_pattern (binding_at (fixture->sidebar, 0)), ==, pattern);
  WAIT_UNTIL (pi_test_find_dialog (PI_TYPE_ADD_BINDING_DIALOG) == NULL, 5);
}

static void
test_remove_undo (Fixture       *fixture,
                  gconstpointer  data)
{
  GListModel *model = pi_bindings_sidebar_get_model (fixture->sidebar);
  g_autoptr(GPtrArray) bindings = three_bindings ();
  g_autoptr(PiBinding) middle = NULL;
  GtkWidget *remove;
  GtkWidget *undo = NULL;

  pi_bindings_sidebar_set_bindings (fixture->sidebar, bindings);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
  middle = g_object_ref (binding_at (fixture->sidebar, 1));

  /* The middle row's remove button. */
  remove = pi_test_find_descendant (GTK_WIDGET (row_at (fixture->sidebar, 1)), GTK_TYPE_BUTTON);
  g_assert_nonnull (remove);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (remove), ==, "Remove Binding");
  g_signal_emit_by_name (remove, "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_true (binding_at (fixture->sidebar, 1) == g_ptr_array_index (bindings, 2));

  /* The toast offers Undo; it puts the row back where it was. */
  WAIT_UNTIL ((undo = find_button_with_label (GTK_WIDGET (fixture->overlay), "_Undo")) != NULL &&
              gtk_widget_get_mapped (undo), 5);
  g_signal_emit_by_name (undo, "clicked");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_true (binding_at (fixture->sidebar, 1) == middle);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row_at (fixture->sidebar, 1)), "route.index.a.#"));
}

static void
on_enabled_changed (PiBindingsSidebar *sidebar,
                    PiBinding         *binding,
                    guint             *count)
{
  (*count)++;
}

static void
test_switch (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (PI_SETTINGS_SCHEMA_ID);
  g_autoptr(GPtrArray) bindings = three_bindings ();
  g_autoptr(GPtrArray) again = three_bindings ();
  g_autoptr(GVariant) saved = NULL;
  GtkWidget *toggle;
  guint changes = 0;

  pi_bindings_sidebar_restore_bindings (fixture->sidebar, bindings);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
  g_signal_connect (fixture->sidebar, "enabled-changed", G_CALLBACK (on_enabled_changed), &changes);

  /* All on at first. */
  toggle = pi_test_find_descendant (GTK_WIDGET (row_at (fixture->sidebar, 2)), GTK_TYPE_SWITCH);
  g_assert_nonnull (toggle);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (toggle)));
  g_assert_true (pi_binding_get_enabled (binding_at (fixture->sidebar, 2)));

  /* Off: the binding is off, the owner told, the
   * setting written. */
  gtk_switch_set_active (GTK_SWITCH (toggle), FALSE);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));
  g_assert_false (pi_binding_get_enabled (binding_at (fixture->sidebar, 2)));
  g_assert_true (pi_binding_get_enabled (binding_at (fixture->sidebar, 0)));
  g_assert_cmpuint (changes, ==, 1);
  saved = g_settings_get_value (settings, "disabled-bindings");
  g_assert_cmpstr (g_variant_print (saved, FALSE), ==,
                   "[('" TASK_FAILED "', 'route.index.b.#')]");

  /* The next run (another sidebar, the same settings) restores it off. */
  {
    PiBindingsSidebar *next = g_object_ref_sink (g_object_new (PI_TYPE_BINDINGS_SIDEBAR, NULL));

    pi_bindings_sidebar_restore_bindings (next, again);
    g_assert_true (pi_binding_get_enabled (binding_at (next, 0)));
    g_assert_false (pi_binding_get_enabled (binding_at (next, 2)));
    toggle = pi_test_find_descendant (GTK_WIDGET (row_at (next, 2)), GTK_TYPE_SWITCH);
    g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));
    g_assert_finalize_object (next);
  }
}

static void
test_window_skips_disabled (void)
{
  PiWindow *window = pi_test_window_new (app);
  g_autoptr(GPtrArray) listened = NULL;
  GtkWidget *toggle;
  GtkListBoxRow *row;

  g_assert_true (pi_window_add_binding (window, TASK_COMPLETED, "#"));
  g_assert_true (pi_window_add_binding (window, TASK_FAILED, "#"));
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  row = gtk_list_box_get_row_at_index (pi_bindings_sidebar_get_list (window->bindings_sidebar), 0);
  toggle = pi_test_find_descendant (GTK_WIDGET (row), GTK_TYPE_SWITCH);
  gtk_switch_set_active (GTK_SWITCH (toggle), FALSE);

  /* Kept in the list, not subscribed. */
  g_assert_cmpuint (g_list_model_get_n_items (pi_window_get_bindings (window)), ==, 2);
  listened = pi_window_collect_bindings (window);
  g_assert_cmpuint (listened->len, ==, 1);
  g_assert_cmpstr (pi_binding_get_exchange (g_ptr_array_index (listened, 0)), ==, TASK_FAILED);

  pi_test_window_destroy (window);
}

static void
test_error (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) bindings = three_bindings ();
  const char *text = "The exchange exchange/taskcluster-queue/v1/task-failed does not exist";
  AdwActionRow *row;
  GtkWidget *icon;

  pi_bindings_sidebar_set_bindings (fixture->sidebar, bindings);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);

  pi_bindings_sidebar_set_error (fixture->sidebar, binding_at (fixture->sidebar, 1), text);
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);

  /* On that row: the text under the pattern, an error icon saying it. */
  row = row_at (fixture->sidebar, 1);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), text));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "route.index.a.#"));
  icon = row_error_icon (row);
  g_assert_nonnull (icon);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (icon), ==, text);

  /* With one switched off too, for a look (PI_SCREENSHOT_DIR). */
  if (g_getenv ("PI_SCREENSHOT_DIR") != NULL && g_getenv ("PI_SCREENSHOT_DIR")[0] != '\0')
    {
      pi_binding_set_enabled (binding_at (fixture->sidebar, 2), FALSE);
      gtk_window_set_default_size (fixture->window, 340, 500);
      pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 10);
      pi_test_save_png (fixture->window, g_getenv ("PI_SCREENSHOT_DIR"), "bindings-sidebar-error.png");
    }

  /* Not on the others. */
  for (guint i = 0; i < 3; i += 2)
    {
      row = row_at (fixture->sidebar, i);
      g_assert_null (strstr (adw_action_row_get_subtitle (row), text));
      g_assert_null (row_error_icon (row));
    }

  /* Cleared once it works again, also when told with an equal copy. */
  {
    g_autoptr(PiBinding) copy = pi_binding_new (TASK_FAILED, "route.index.a.#");

    pi_bindings_sidebar_set_error (fixture->sidebar, copy, NULL);
  }
  pi_test_wait_for_frames (GTK_WIDGET (fixture->window), 2);
  row = row_at (fixture->sidebar, 1);
  g_assert_null (strstr (adw_action_row_get_subtitle (row), text));
  g_assert_null (row_error_icon (row));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  pi_test_ui_init (&argc, &argv);
  app = pi_test_application_new ();

#define ADD(path, func) \
  g_test_add ("/pi/bindings-ui/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("empty-state", test_empty_state);
  ADD ("add", test_add);
  ADD ("completion-below-entry", test_completion_below_entry);
  ADD ("completion-no-tooltip", test_completion_no_tooltip);
  ADD ("dialog-height", test_dialog_height);
  ADD ("unknown-exchange", test_unknown_exchange);
  ADD ("field-row-enter", test_field_row_enter);
  ADD ("remove-undo", test_remove_undo);
  ADD ("switch", test_switch);
  ADD ("error", test_error);
  g_test_add_func ("/pi/bindings-ui/window-skips-disabled", test_window_skips_disabled);

#undef ADD

  status = g_test_run ();

  g_object_unref (app);

  return status;
}
