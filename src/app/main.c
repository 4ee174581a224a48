/* main.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#define G_LOG_DOMAIN "pi-main"

#include <locale.h>

#include <glib/gi18n.h>

#include "pi-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PiApplication) app = NULL;
  const char *localedir;

  /* PI_LOCALEDIR lets tests and uninstalled builds use a freshly compiled
   * translation instead of the installed one. */
  localedir = g_getenv ("PI_LOCALEDIR");
  if (localedir == NULL || localedir[0] == '\0')
    localedir = LOCALEDIR;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Pulse Inspector"));

  app = pi_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
