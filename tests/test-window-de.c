/* test-window-de.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The window in German: proves that the translation pipeline (POTFILES,
 * de.po, the built catalogue, bindtextdomain) reaches what a user sees, in
 * the templates, the C code and the core library alike. */

#include "config.h"

#include <locale.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "pi-application.h"
#include "pi-binding.h"
#include "pi-ui-test-util.h"
#include "pi-window-private.h"

static PiApplication *app;

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_for (guint msec)
{
  gboolean done = FALSE;

  g_timeout_add (msec, wake_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Every label's and button's text under @widget, for searching. */
static void
collect_texts (GtkWidget *widget,
               GString   *out)
{
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  else if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL)
    g_string_append_printf (out, "%s\n", gtk_button_get_label (GTK_BUTTON (widget)));
  else if (ADW_IS_STATUS_PAGE (widget) && adw_status_page_get_title (ADW_STATUS_PAGE (widget)) != NULL)
    g_string_append_printf (out, "%s\n", adw_status_page_get_title (ADW_STATUS_PAGE (widget)));
  else if (ADW_IS_PREFERENCES_ROW (widget))
    g_string_append_printf (out, "%s\n", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_texts (child, out);
}

static void
test_window_in_german (void)
{
  g_autoptr(GString) texts = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.pulseinspector.PulseInspector");
  PiWindow *window;

  g_settings_reset (settings, "bindings");

  window = pi_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
  run_for (300);

  collect_texts (GTK_WIDGET (window), texts);

  /* From the templates. */
  g_assert_nonnull (strstr (texts->str, "Bindung hinzufügen …\n"));
  g_assert_nonnull (strstr (texts->str, "Keine Bindungen\n"));
  /* From C: the connect button and the connection state. */
  g_assert_nonnull (strstr (texts->str, "Verbinden\n"));
  g_assert_null (strstr (texts->str, "\nConnect\n"));
  g_assert_null (strstr (texts->str, "Add Binding…\n"));

  /* From the core library: a binding's validation text. */
  g_assert_false (pi_binding_validate_pattern ("a.b*", &error));
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, "mixes a wildcard"));
  g_assert_cmpstr (error->message, !=, "");

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  while (window != NULL)
    g_main_context_iteration (NULL, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *locale_dir = NULL;
  g_autofree char *catalogue_dir = NULL;
  g_autofree char *mo = NULL;
  g_autofree char *localedef = g_find_program_in_path ("localedef");
  g_autoptr(GError) error = NULL;
  const char *build_dir = g_getenv ("G_TEST_BUILDDIR");
  int status = 0;
  const char *argv_localedef[] = { NULL, "-i", "de_DE", "-f", "UTF-8", NULL, NULL };
  g_autofree char *target = NULL;

  g_assert_nonnull (build_dir);
  catalogue_dir = g_build_filename (build_dir, "..", "po", NULL);
  mo = g_build_filename (catalogue_dir, "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  /* gettext ignores LANGUAGE in the C locale, and a fresh machine has no
   * German locale: compile one into a private directory (LOCPATH). */
  if (localedef == NULL || !g_file_test (mo, G_FILE_TEST_EXISTS))
    {
      g_printerr ("localedef or %s missing\n", mo);
      return 77;
    }
  locale_dir = g_dir_make_tmp ("pi-locale-XXXXXX", &error);
  g_assert_no_error (error);
  argv_localedef[0] = localedef;
  target = g_build_filename (locale_dir, "de_DE.UTF-8", NULL);
  argv_localedef[5] = target;
  if (!g_spawn_sync (NULL, (char **) argv_localedef, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, NULL))
    {
      /* localedef exits 1 for mere warnings; what counts is the result. */
      if (!g_file_test (target, G_FILE_TEST_IS_DIR))
        g_error ("localedef could not compile de_DE.UTF-8: %s", error ? error->message : "failed");
    }

  g_setenv ("LOCPATH", locale_dir, TRUE);
  g_setenv ("LC_ALL", "de_DE.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "de", TRUE);
  g_assert_nonnull (setlocale (LC_ALL, ""));
  bindtextdomain (GETTEXT_PACKAGE, catalogue_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  pi_test_ui_init (&argc, &argv);
  app = pi_test_application_new ();

  g_test_add_func ("/pi/window/german", test_window_in_german);
  status = g_test_run ();

  g_object_unref (app);

  {
    /* Remove the compiled locale. */
    const char *rm_argv[] = { "rm", "-rf", locale_dir, NULL };

    g_spawn_sync (NULL, (char **) rm_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }

  return status;
}
