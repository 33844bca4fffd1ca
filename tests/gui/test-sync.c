/* test-sync.c — the window working with a district hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real precinct-hub on 127.0.0.1, over TLS with a private CA, and the
 * app started as `precinct --server URL --ca-file CA --user NAME`: the
 * empty local store fills from the hub, the header bar says the link is
 * up, an incident reported to the hub by an outside channel reaches the
 * map's store without anyone asking, changes the hub did not take are
 * listed until dismissed, and a wrong password in the sign-in dialog is
 * answered there.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "gui-test-common.h"
#include "hub-test-common.h"
#include "pct-sign-in-dialog.h"
#include "pct-sync-indicator.h"

static HubTestEnv *env;
static HubTestServer *server;

static gint64
count_rows (PctWindow  *window,
            const char *sql)
{
  PctStore *store = pct_window_get_store (window);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  gint64 count;

  if (store == NULL)
    return 0;
  stmt = pct_store_prepare (store, sql, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

static gboolean
synced_cb (gpointer user_data)
{
  PctWindow *window = user_data;
  PctSync *sync = pct_window_get_sync (window);

  return sync != NULL && pct_sync_get_state (sync) == PCT_SYNC_STATE_ONLINE &&
         pct_sync_get_live (sync) &&
         count_rows (window, "SELECT count(*) FROM addresses") > 0;
}

static gboolean
incident_arrived_cb (gpointer user_data)
{
  PctWindow *window = user_data;

  return count_rows (window, "SELECT count(*) FROM incidents "
                             "WHERE description = '井盖倾斜 27°（测试）'") == 1;
}

/* The sidebar's count of incidents, read back without its separators,
 * equals the store's. */
static gboolean
incidents_counted_cb (gpointer user_data)
{
  PctWindow *window = user_data;
  GtkWidget *label = gui_test_window_child (window, "incidents_count");
  g_autoptr(GString) digits = g_string_new (NULL);

  for (const char *p = gtk_label_get_text (GTK_LABEL (label)); *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (digits, *p);
  return g_ascii_strtoll (digits->str, NULL, 10) ==
         count_rows (window, "SELECT count(*) FROM incidents");
}

/* Saves widget as screenshot-NAME-LANGUAGE.png. */
static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autoptr(GdkTexture) texture = gui_test_render_widget (widget);
  g_autofree char *file = g_strdup_printf ("screenshot-%s-%s.png", name, gui_test_language ());

  gui_test_save_png (texture, file);
}

static void
check_synced_window (PctWindow *window)
{
  PctSyncIndicator *indicator;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *when = g_date_time_format_iso8601 (now);
  g_autofree char *url = NULL;
  g_autofree char *body = NULL;

  gui_test_wait_until (synced_cb, window, "the store to fill from the hub and go live");

  indicator = PCT_SYNC_INDICATOR (gui_test_window_child (window, "sync_indicator"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (indicator)));
  g_assert_cmpstr (pct_sync_indicator_get_label (indicator), ==,
                   g_dgettext (GETTEXT_PACKAGE, "Online"));
  g_assert_cmpint (count_rows (window, "SELECT count(*) FROM addresses"), ==, 2000);
  /* Signed in as a dispatcher: no ID number arrives unmasked. */
  g_assert_cmpint (count_rows (window, "SELECT count(*) FROM people "
                                       "WHERE id_number NOT LIKE '%*%'"), ==, 0);

  /* A sensor reports through the hub's intake; the live feed brings it. */
  session = hub_test_session_new (env);
  url = hub_test_server_url (server, "api/v1/incidents");
  body = g_strdup_printf ("{\"category\":\"C0101\",\"lat\":29.2871,\"lon\":106.2532,"
                          "\"description\":\"井盖倾斜 27°（测试）\",\"reported_at\":\"%s\","
                          "\"source\":\"sensor\",\"severity\":3}", when);
  g_assert_cmpuint (hub_test_request (session, "POST", url, NULL, env->api_key, body, NULL, NULL),
                    ==, SOUP_STATUS_CREATED);
  gui_test_wait_until (incident_arrived_cb, window, "the reported incident to reach the store");
  gui_test_wait_until (incidents_counted_cb, window, "the sidebar to count the new incident");

  gui_test_wait_for_map (pct_window_get_map_view (window));
  save_screenshot (GTK_WIDGET (window), "sync-online");
}

typedef struct
{
  PctSignInDialog *dialog;
} SignIn;

static gboolean
dialog_answered_cb (gpointer user_data)
{
  SignIn *sign_in = user_data;
  GtkWidget *revealer = gui_test_template_child (GTK_WIDGET (sign_in->dialog),
                                                 PCT_TYPE_SIGN_IN_DIALOG, "error_revealer");

  return gtk_revealer_get_reveal_child (GTK_REVEALER (revealer));
}

static void
check_wrong_password (PctWindow *window)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (window));
  SignIn sign_in = { NULL };
  GtkWidget *row, *label;

  gui_test_wait_until (synced_cb, window, "the first sync");

  pct_application_sign_in (PCT_APPLICATION (app), GTK_WINDOW (window));
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (PCT_IS_SIGN_IN_DIALOG (l->data))
      sign_in.dialog = l->data;
  g_assert_nonnull (sign_in.dialog);

  /* Filled in from the hub the app works with. */
  g_assert_cmpstr (pct_sign_in_dialog_get_user (sign_in.dialog), ==, HUB_TEST_DISPATCHER);
  g_assert_true (g_str_has_prefix (pct_sign_in_dialog_get_server (sign_in.dialog),
                                   "https://127.0.0.1:"));

  row = gui_test_template_child (GTK_WIDGET (sign_in.dialog), PCT_TYPE_SIGN_IN_DIALOG,
                                 "password_row");
  gtk_editable_set_text (GTK_EDITABLE (row), "not-the-password");
  g_signal_emit_by_name (sign_in.dialog, "sign-in");
  gui_test_wait_until (dialog_answered_cb, &sign_in, "the hub's answer in the dialog");

  label = gui_test_template_child (GTK_WIDGET (sign_in.dialog), PCT_TYPE_SIGN_IN_DIALOG,
                                   "error_label");
  g_assert_true (strlen (gtk_label_get_text (GTK_LABEL (label))) > 0);
  /* The app still works with the hub as before. */
  g_assert_true (pct_sync_get_state (pct_window_get_sync (window)) != PCT_SYNC_STATE_ERROR);

  gui_test_iterate_for (200);
  save_screenshot (GTK_WIDGET (sign_in.dialog), "sign-in-error");
  gtk_window_close (GTK_WINDOW (sign_in.dialog));
}

/* Changes the hub did not take ---------------------------------------------- */

typedef struct
{
  PctSyncIndicator *indicator;
  guint             n_rows;
} Problems;

static GtkWidget *
indicator_child (PctSyncIndicator *indicator,
                 const char       *name)
{
  return gui_test_template_child (GTK_WIDGET (indicator), PCT_TYPE_SYNC_INDICATOR, name);
}

static guint
count_problem_rows (PctSyncIndicator *indicator)
{
  GtkWidget *list = indicator_child (indicator, "problems_list");
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    n++;
  return n;
}

static gboolean
problems_listed_cb (gpointer user_data)
{
  Problems *problems = user_data;

  return count_problem_rows (problems->indicator) == problems->n_rows &&
         gtk_widget_get_visible (indicator_child (problems->indicator, "problems_box")) ==
         (problems->n_rows > 0);
}

/* The Dismiss button of the first row: the only button in the list that
 * is still sensitive there. */
static GtkWidget *
find_dismiss_button (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget) && g_object_get_data (G_OBJECT (widget), "outbox-id") != NULL)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_dismiss_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* n conflicts more, as the push records them, without telling the
 * indicator. */
static void
add_problems (PctWindow *window,
              guint      n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sql =
    g_strdup_printf ("WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %u) "
                     "INSERT INTO outbox (uuid, entity, op, entity_id, payload, created_at, state, "
                     "  result) "
                     "SELECT 'more-' || (SELECT count(*) FROM outbox) || '-' || i, 'incident', "
                     "  'update', 9, '{}', strftime ('%%s'), 'conflict', "
                     "  '{\"status\":\"conflict\"}' FROM n",
                     n);

  pct_store_exec (pct_window_get_store (window), sql, &error);
  g_assert_no_error (error);
}

static gboolean
widget_visible_cb (gpointer user_data)
{
  return gtk_widget_get_visible (user_data);
}

static void
check_problems (PctWindow *window)
{
  PctSyncIndicator *indicator;
  PctStore *store;
  Problems problems = { NULL, 3 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) locker = NULL;
  GtkWidget *error_label;
  GtkWidget *refusal;
  const char *subtitle;
  GtkWidget *button;
  gint64 newest;

  gui_test_wait_until (synced_cb, window, "the first sync");
  indicator = PCT_SYNC_INDICATOR (gui_test_window_child (window, "sync_indicator"));
  problems.indicator = indicator;

  /* As the push records them: the hub's answer in result. */
  store = pct_window_get_store (window);
  pct_store_exec (store,
                  "INSERT INTO outbox (uuid, entity, op, entity_id, payload, created_at, state, "
                  "  result) VALUES "
                  "('p1', 'work_order', 'action', 7, '{}', strftime ('%s') - 600, 'conflict', "
                  "  '{\"status\":\"conflict\"}'), "
                  "('p2', 'incident', 'update', 9, '{}', strftime ('%s') - 300, 'rejected', "
                  "  '{\"status\":\"rejected\",\"code\":\"invalid_transition\","
                  "    \"reason\":\"A closed incident cannot change\"}'), "
                  "('p3', 'plate', 'update', 11, '{}', strftime ('%s'), 'conflict', "
                  "  '{\"status\":\"conflict\"}')",
                  &error);
  g_assert_no_error (error);
  newest = count_rows (window, "SELECT max (id) FROM outbox");

  pct_sync_indicator_refresh (indicator);
  gui_test_wait_until (problems_listed_cb, &problems, "three changes the hub did not take");
  g_assert_true (gtk_widget_get_visible (indicator_child (indicator, "dismiss_all_button")));

  /* A refusal says why in the user's language, and in the hub's words. */
  refusal = gtk_widget_get_next_sibling (gtk_widget_get_first_child (
                                           indicator_child (indicator, "problems_list")));
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (refusal));
  g_assert_nonnull (strstr (subtitle, "A closed incident cannot change"));
  g_assert_nonnull (strstr (subtitle, g_dgettext (GETTEXT_PACKAGE,
                                                  "the record’s present state does not allow it")));

  gtk_menu_button_popup (GTK_MENU_BUTTON (indicator_child (indicator, "button")));
  gui_test_iterate_for (300);
  save_screenshot (indicator_child (indicator, "popover"), "sync-problems");

  /* The newest comes first; dismissing it leaves the other two. */
  button = find_dismiss_button (indicator_child (indicator, "problems_list"));
  g_assert_nonnull (button);
  g_assert_cmpint (*(gint64 *) g_object_get_data (G_OBJECT (button), "outbox-id"), ==, newest);
  g_signal_emit_by_name (button, "clicked");
  problems.n_rows = 2;
  gui_test_wait_until (problems_listed_cb, &problems, "the dismissed change to leave the list");
  g_assert_cmpint (count_rows (window, "SELECT count(*) FROM outbox "
                                       "WHERE dismissed_at IS NOT NULL"), ==, 1);

  /* Dismiss All takes only what is listed: a conflict recorded since the
   * list was read stays for the user to see. */
  add_problems (window, 1);
  g_signal_emit_by_name (indicator_child (indicator, "dismiss_all_button"), "clicked");
  problems.n_rows = 1;
  gui_test_wait_until (problems_listed_cb, &problems, "the unseen conflict to be listed alone");
  /* Dismissed, not deleted. */
  g_assert_cmpint (count_rows (window, "SELECT count(*) FROM outbox "
                                       "WHERE dismissed_at IS NOT NULL"), ==, 3);
  g_assert_false (gtk_widget_get_visible (indicator_child (indicator, "problems_more_label")));

  /* Past the 50 listed, the list says how many there are, and Dismiss All
   * leaves those not listed. */
  add_problems (window, 52);
  pct_sync_indicator_refresh (indicator);
  problems.n_rows = 50;
  gui_test_wait_until (problems_listed_cb, &problems, "the newest 50 of 53 to be listed");
  g_assert_true (gtk_widget_get_visible (indicator_child (indicator, "problems_more_label")));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (indicator_child (indicator,
                                                                            "problems_more_label"))),
                            "53"));
  gui_test_iterate_for (300);
  save_screenshot (indicator_child (indicator, "popover"), "sync-problems-more");

  g_signal_emit_by_name (indicator_child (indicator, "dismiss_all_button"), "clicked");
  problems.n_rows = 3;
  gui_test_wait_until (problems_listed_cb, &problems, "the three not listed to be listed");
  g_assert_false (gtk_widget_get_visible (indicator_child (indicator, "problems_more_label")));
  g_assert_cmpint (count_rows (window, "SELECT count(*) FROM outbox "
                                       "WHERE dismissed_at IS NOT NULL"), ==, 53);

  /* A dismissal that cannot be written says why, and can be tried again. */
  locker = pct_store_open (pct_store_get_path (pct_window_get_store (window)),
                          PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  pct_store_begin (locker, &error);
  g_assert_no_error (error);
  error_label = indicator_child (indicator, "problems_error_label");
  g_signal_emit_by_name (indicator_child (indicator, "dismiss_all_button"), "clicked");
  gui_test_wait_until (widget_visible_cb, error_label, "the dismissal to fail");
  g_assert_true (gtk_widget_get_sensitive (indicator_child (indicator, "dismiss_all_button")));
  g_assert_cmpuint (count_problem_rows (indicator), ==, 3);
  gui_test_iterate_for (300);
  save_screenshot (indicator_child (indicator, "popover"), "sync-problems-error");
  pct_store_rollback (locker);
  g_clear_object (&locker);

  g_signal_emit_by_name (indicator_child (indicator, "dismiss_all_button"), "clicked");
  problems.n_rows = 0;
  gui_test_wait_until (problems_listed_cb, &problems, "the list to empty");
  g_assert_false (gtk_widget_get_visible (error_label));
  g_assert_cmpint (count_rows (window, "SELECT count(*) FROM outbox "
                                       "WHERE dismissed_at IS NOT NULL"), ==, 56);
  g_assert_cmpint (count_rows (window, "SELECT count(*) FROM outbox "
                                       "WHERE state IN ('conflict', 'rejected')"), ==, 56);
  gtk_popover_popdown (GTK_POPOVER (indicator_child (indicator, "popover")));
}

static void
run_with_hub (GuiTestWindowFunc func)
{
  g_autofree char *password = g_strconcat (HUB_TEST_DISPATCHER, HUB_TEST_PASSWORD_SUFFIX, NULL);
  const char *args[] = {
    "--server", server->url, "--ca-file", env->ca_file, "--user", HUB_TEST_DISPATCHER, NULL
  };

  /* As the demo passes it; the keyring is not reachable under Xvfb. */
  g_setenv ("PRECINCT_PASSWORD", password, TRUE);
  gui_test_run_app_with_args (args, func);
}

static void
test_sync_online (void)
{
  run_with_hub (check_synced_window);
}

static void
test_sync_problems (void)
{
  run_with_hub (check_problems);
}

static void
test_sync_wrong_password (void)
{
  run_with_hub (check_wrong_password);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  if (!gui_test_init (&argc, &argv))
    return 1;

  env = hub_test_env_new ();
  server = hub_test_server_start (env, env->hub_db, NULL);

  g_test_add_func ("/sync/online", test_sync_online);
  g_test_add_func ("/sync/problems", test_sync_problems);
  g_test_add_func ("/sync/wrong-password", test_sync_wrong_password);
  status = g_test_run ();

  hub_test_server_stop (server);
  hub_test_env_free (env);
  return status;
}
