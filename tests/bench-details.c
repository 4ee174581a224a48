/* bench-details.c
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Walking the list with the arrow keys selects message after message, and
 * each selection rebuilds the details page shown. Measured per page
 * (Fields, Payload, Raw): how long pi_message_details_set_message() takes,
 * on average and at most, over 100 real-shaped messages, with a frame
 * drawn between two selections as between two key presses.
 *
 * Target: well under a frame or two (20 ms on average). A SUMMARY line per
 * page; the exit status is 0 only when the target is met.
 *
 * Run under Xvfb:
 *   xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- BUILD/tests/bench-details
 * Options: --messages 100 --rounds 3
 */

#include "config.h"

#include <adwaita.h>
#include <stdio.h>

#include "pi-app-resources.h"
#include "pi-message-details.h"
#include "pi-messages-fixture.h"
#include "pi-ui-test-util.h"

#define TARGET_USEC 20000

static int n_messages = 100;
static int n_rounds = 3;

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "Messages selected one after another", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &n_rounds, "Walks over them per page", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the details pane's selection cost");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  const char *pages[] = { "fields", "payload", "raw" };
  PiMessageDetails *details;
  GtkWindow *window;
  gboolean met = TRUE;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-details: %s\n", error->message);
      return 2;
    }
  n_messages = MAX (n_messages, 1);
  n_rounds = MAX (n_rounds, 1);

  /* The page chosen is a setting: keep the user's out of it. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_init ();
  adw_init ();
  g_assert_nonnull (pi_app_get_resource ());

  batch = fixture_batch_new (100, n_messages, "say \"hi\"");
  details = PI_MESSAGE_DETAILS (pi_message_details_new ());
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 600, 700);
  gtk_window_set_child (window, GTK_WIDGET (details));
  gtk_window_present (window);
  pi_test_wait_for_frames (GTK_WIDGET (window), 2);

  {
    gsize len = 0;

    pi_message_get_payload_text (g_ptr_array_index (batch, 0), &len);
    printf ("# %d messages of %zu bytes of JSON, %d walks per page\n", n_messages, len, n_rounds);
  }
  for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
    {
      gint64 total = 0, longest = 0;
      guint n = 0;

      gtk_widget_activate_action (GTK_WIDGET (details), "details.page", "s", pages[p]);
      for (int round = 0; round < n_rounds; round++)
        for (guint i = 0; i < batch->len; i++, n++)
          {
            gint64 start = g_get_monotonic_time ();
            gint64 took;

            pi_message_details_set_message (details, g_ptr_array_index (batch, i));
            took = g_get_monotonic_time () - start;
            total += took;
            longest = MAX (longest, took);
            pi_test_wait_for_frames (GTK_WIDGET (window), 1);
          }

      printf ("SUMMARY page=%s selections=%u mean_ms=%.2f max_ms=%.2f target_mean_ms=%.0f %s\n",
              pages[p], n, total / 1000.0 / n, longest / 1000.0, TARGET_USEC / 1000.0,
              total / n < TARGET_USEC ? "met" : "MISSED");
      met &= total / n < TARGET_USEC;
    }

  pi_message_details_set_message (details, NULL);
  gtk_window_destroy (window);

  return met ? 0 : 1;
}
