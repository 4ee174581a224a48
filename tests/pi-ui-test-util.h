/* pi-ui-test-util.h
 *
 * Copyright 2026 The Pulse Inspector authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the UI tests share: waiting on the main loop, a real pulse-events
 * on a free port, publishing to it, the window, and reading widgets as the
 * user sees them. Failures abort the test (g_assert), as in the tests. */

#pragma once

#include <adwaita.h>

#include "pi-application.h"
#include "pi-message-list.h"
#include "pi-window.h"

G_BEGIN_DECLS

/* gtk_test_init (), adw_init () and the app's resources. */
void           pi_test_ui_init            (int          *argc,
                                           char       ***argv);
/* A registered, non-unique application that handles its command line. */
PiApplication *pi_test_application_new    (void);

/* --- waiting ------------------------------------------------------------- */

gboolean       pi_test_wake_cb            (gpointer      data);

/* Iterates the main context until @cond holds; fails the test after
 * @seconds. The 10 ms wake-up re-checks conditions that no source flags. */
#define WAIT_UNTIL(cond, seconds)                                               \
  G_STMT_START {                                                                \
    gint64 wait_deadline_ = g_get_monotonic_time () + (seconds) * G_USEC_PER_SEC; \
    guint wait_wake_ = g_timeout_add (10, pi_test_wake_cb, NULL);               \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > wait_deadline_)                           \
          g_error ("Timed out after %d s waiting for %s", (int) (seconds), #cond); \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
    g_source_remove (wait_wake_);                                               \
  } G_STMT_END

void           pi_test_wait_for_frames    (GtkWidget    *window,
                                           guint         n);
/* Waits until @list's table has every row the list shows: the first rows
 * of a burst reach it over a few frames (pi-row-pacer.c). */
void           pi_test_wait_for_rows      (PiMessageList *list);

/* --- list models --------------------------------------------------------- */

/* A copy of @model's items kept by applying each change @model announces,
 * for as long as @model lives: a change that does not match its items
 * fails the test. */
GPtrArray     *pi_test_mirror_new         (GListModel   *model);
/* The copy holds the very items @model holds now. */
void           pi_test_assert_mirror      (GPtrArray    *mirror,
                                           GListModel   *model);

/* --- pulse-events -------------------------------------------------------- */

#define TASK_COMPLETED "exchange/taskcluster-queue/v1/task-completed"

typedef struct
{
  GSubprocess *process;
  char        *base_url;    /* http://127.0.0.1:PORT/api/events/v1 */
  guint        port;
} PiTestServer;

/* A GSubprocessLauncher child setup: the child dies with this process. */
void           pi_test_die_with_parent    (gpointer      user_data);
void           pi_test_server_start       (PiTestServer *server,
                                           guint         port,
                                           const char   *extra);
void           pi_test_server_stop        (PiTestServer *server,
                                           int           signum);
void           pi_test_server_clear       (PiTestServer *server);
void           pi_test_publish            (PiTestServer *server,
                                           const char   *exchange,
                                           const char   *routing_key,
                                           const char   *routes_json,
                                           const char   *payload_json);
char          *pi_test_routing_key        (guint         n);
void           pi_test_publish_task       (PiTestServer *server,
                                           guint         n,
                                           const char   *note);

/* --- the window ---------------------------------------------------------- */

void           pi_test_reset_settings     (void);
PiWindow      *pi_test_window_new         (PiApplication *app);
void           pi_test_window_destroy     (gpointer      window);
guint          pi_test_n_stored           (gpointer      window);

/* --- widgets as the user sees them --------------------------------------- */

GtkColumnViewColumn *pi_test_find_column (GtkColumnView *view,
                                          const char    *id);
typedef gboolean (*PiTestMatchFunc) (GtkWidget     *widget,
                                     gconstpointer  data);

GtkWidget     *pi_test_find_widget        (GtkWidget      *widget,
                                           PiTestMatchFunc match,
                                           gconstpointer   data);
GtkWidget     *pi_test_find_menu_button   (GtkWidget    *widget,
                                           GMenuModel   *menu);
GtkWidget     *pi_test_find_descendant    (GtkWidget    *widget,
                                           GType         type);
GtkWidget     *pi_test_find_toplevel      (GType         type);
GtkWidget     *pi_test_find_dialog        (GType         type);
GtkWidget     *pi_test_cell_text_widget   (GtkWidget    *cell);
const char    *pi_test_cell_text          (GtkWidget    *cell);
GPtrArray     *pi_test_visible_rows       (gpointer      window);
guint          pi_test_n_visible_rows     (gpointer      window);
void           pi_test_save_png           (gpointer      widget,
                                           const char   *dir,
                                           const char   *file);

G_END_DECLS
