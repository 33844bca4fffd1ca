/* test-sync-hub.c — the sync client against a real precinct-hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Real processes over TLS on 127.0.0.1: `precinct-hub serve` on a seeded
 * small district, and `precinct-tool sync` or a PctSync in this process.
 * Each test ends by comparing the client's store with the hub's, table by
 * table, and with `precinct-hub dump-hash`: the admin reads everything
 * unmasked, and a client holds no row of its own once its outbox is
 * answered, so the two must be equal.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "hub-test-common.h"
#include "pct-outbox.h"
#include "pct-store.h"
#include "pct-sync.h"
#include "sync-test-common.h"

#define ADMIN_PASSWORD HUB_TEST_ADMIN HUB_TEST_PASSWORD_SUFFIX

static HubTestEnv *env;

typedef struct
{
  char          *hub_db;
  HubTestServer *server;
  char          *db;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char * const *extra_args = data;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  fixture->hub_db = hub_test_env_copy_hub (env);
  fixture->server = hub_test_server_start (env, fixture->hub_db, extra_args);
  fixture->db = g_build_filename (g_get_user_data_dir (), "client.db", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->server, hub_test_server_stop);
  g_free (fixture->hub_db);
  g_free (fixture->db);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* precinct-tool with args (after the program's name), signing in with
 * password. */
static GSubprocess *
spawn_tool (const char         *password,
            const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  const char *tool = g_getenv ("PRECINCT_TOOL");

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (gpointer) tool);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "PRECINCT_PASSWORD", password, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* `precinct-tool sync` of the fixture's store, as the admin. */
static GSubprocess *
spawn_tool_sync (Fixture    *fixture,
                 const char *url,
                 guint       limit)
{
  g_autofree char *limit_text = g_strdup_printf ("%u", limit);

  return spawn_tool (ADMIN_PASSWORD,
                     (const char *[]) { "sync", "--db", fixture->db, "--server", url,
                                        "--ca-file", env->ca_file, "--user", HUB_TEST_ADMIN,
                                        "--limit", limit_text, "--timeout", "5", NULL });
}

/* Waits for the tool; returns its exit status, out its standard output. */
static int
finish_tool (GSubprocess  *process,
             char        **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  if (stderr_text != NULL && *stderr_text != '\0')
    g_test_message ("precinct-tool: %s", stderr_text);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (!g_subprocess_get_if_exited (process))
    return -1;
  return g_subprocess_get_exit_status (process);
}

static int
run_tool_sync (Fixture  *fixture,
               guint     limit,
               char    **out)
{
  g_autoptr(GSubprocess) process = spawn_tool_sync (fixture, fixture->server->url, limit);

  return finish_tool (process, out);
}

static PctSync *
new_client (Fixture    *fixture,
            const char *user,
            const char *password)
{
  PctSync *sync = pct_sync_new (fixture->db, fixture->server->url);

  pct_sync_set_ca_file (sync, env->ca_file);
  pct_sync_set_user (sync, user);
  pct_sync_set_password (sync, password);
  pct_sync_set_timeout (sync, 5);
  return sync;
}

static char *
hub_dump_hash (Fixture *fixture)
{
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "dump-hash", "--db", fixture->hub_db,
                                                         NULL }, NULL, &out, NULL), ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >, 0);
  return g_strdup (g_strstrip (lines[n - 1]));
}

/* The client holds what the hub holds: table by table (so that a
 * difference names its table), and as the hub's own hash. */
static void
assert_equal_to_hub (Fixture *fixture)
{
  g_autofree char *client_tables = sync_test_table_hashes (fixture->db);
  g_autofree char *hub_tables = sync_test_table_hashes (fixture->hub_db);
  g_autofree char *hub_hash = hub_dump_hash (fixture);
  g_autofree char *client_hash = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = pct_store_open (fixture->db, PCT_STORE_OPEN_READ_ONLY, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (client_tables, ==, hub_tables);
  client_hash = pct_store_content_hash (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (client_hash, ==, hub_hash);
}

static gint64
count_rows (const char *db,
            const char *sql)
{
  return sync_test_query_int (db, sql);
}

/* Full sync ------------------------------------------------------------- */

static void
test_full (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *out = NULL;
  g_autoptr(PctSync) sync = NULL;
  g_autoptr(GError) error = NULL;
  PctSyncReport report;

  g_assert_cmpint (run_tool_sync (fixture, 2000, &out), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "a full sync"));
  assert_equal_to_hub (fixture);

  /* Again, in this process: nothing new. */
  sync = new_client (fixture, HUB_TEST_ADMIN, ADMIN_PASSWORD);
  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (report.full);
  g_assert_cmpuint (report.records_applied, ==, 0);
  assert_equal_to_hub (fixture);
}

static void
test_full_in_process (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(PctSync) sync = new_client (fixture, HUB_TEST_ADMIN, ADMIN_PASSWORD);
  g_autoptr(GError) error = NULL;
  PctSyncReport report;

  pct_sync_set_page_limit (sync, 500);
  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("%" G_GUINT64_FORMAT " records, %" G_GUINT64_FORMAT " pages in %.2f s",
                  report.records_applied, report.pages, report.seconds);
  g_assert_true (report.full);
  g_assert_cmpuint (report.pages, >, 1);
  g_assert_cmpuint (pct_sync_get_records_done (sync), ==, report.records_applied);
  assert_equal_to_hub (fixture);
}

/* A dispatcher reads personal data masked, as the hub sends it. */
static void
test_masked (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *password = g_strconcat (HUB_TEST_DISPATCHER, HUB_TEST_PASSWORD_SUFFIX, NULL);
  g_autoptr(PctSync) sync = new_client (fixture, HUB_TEST_DISPATCHER, password);
  g_autoptr(GError) error = NULL;
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (fixture->db, "SELECT count(*) FROM people"), ==,
                   count_rows (fixture->hub_db, "SELECT count(*) FROM people"));
  g_assert_cmpint (count_rows (fixture->db,
                               "SELECT count(*) FROM people WHERE id_number NOT LIKE '%*%'"),
                   ==, 0);
}

/* Unmasking -------------------------------------------------------------- */

static gint64
count_unmask_audits (Fixture *fixture)
{
  return count_rows (fixture->hub_db, "SELECT count(*) FROM audit_log WHERE action = 'unmask'");
}

static void
unmask_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* A value in clear comes from the hub, which logs who asked and why; the
 * store keeps the masked form. */
static void
test_unmask (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *password = g_strconcat (HUB_TEST_DISPATCHER, HUB_TEST_PASSWORD_SUFFIX, NULL);
  g_autoptr(PctSync) sync = new_client (fixture, HUB_TEST_DISPATCHER, password);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *value = NULL;
  g_autofree char *select = NULL;
  g_autofree char *reason = NULL;
  gint64 audits = count_unmask_audits (fixture);
  gint64 id;

  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);
  id = count_rows (fixture->db, "SELECT min(id) FROM people");
  select = g_strdup_printf ("SELECT id_number FROM people WHERE id = %" G_GINT64_FORMAT, id);
  masked = sync_test_query_text (fixture->db, select);
  plain = sync_test_query_text (fixture->hub_db, select);
  g_assert_cmpstr (masked, !=, plain);

  pct_sync_unmask_async (sync, "person", id, "id_number", "  核实报警人身份  ", NULL,
                         unmask_done_cb, &result);
  g_assert_true (sync_test_wait_for (has_result, &result, 30));
  g_assert_true (pct_sync_unmask_finish (sync, result, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, plain);

  /* Logged at the hub, before the answer; nothing new in the store. */
  g_assert_cmpint (count_unmask_audits (fixture), ==, audits + 1);
  reason = sync_test_query_text (fixture->hub_db,
                                 "SELECT actor || ' ' || entity || ' ' || field || ' ' || reason "
                                 "FROM audit_log WHERE action = 'unmask' ORDER BY id DESC LIMIT 1");
  g_assert_cmpstr (reason, ==, HUB_TEST_DISPATCHER " person id_number 核实报警人身份");
  g_clear_pointer (&masked, g_free);
  masked = sync_test_query_text (fixture->db, select);
  g_assert_cmpstr (masked, !=, plain);

  /* Refused before asking: no reason, a field that is not personal. */
  g_clear_pointer (&value, g_free);
  g_assert_false (pct_sync_unmask (sync, "person", id, "id_number", " x ", &value, NULL, &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);
  g_assert_false (pct_sync_unmask (sync, "person", id, "category", "核实身份", &value, NULL,
                                   &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS);
  g_clear_error (&error);

  /* Refused by the hub: a record it does not have. */
  g_assert_false (pct_sync_unmask (sync, "person", G_MAXINT32, "id_number", "核实身份", &value,
                                   NULL, &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_REFUSED);
  g_clear_error (&error);
  g_assert_null (value);
  g_assert_cmpint (count_unmask_audits (fixture), ==, audits + 1);
}

/* A clerk may not see the number at all; an admin reads it in clear
 * already, so the hub has nothing to unmask for either. */
static void
test_unmask_refused (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *password = g_strconcat (HUB_TEST_CLERK, HUB_TEST_PASSWORD_SUFFIX, NULL);
  g_autoptr(PctSync) clerk = new_client (fixture, HUB_TEST_CLERK, password);
  g_autoptr(PctSync) admin = new_client (fixture, HUB_TEST_ADMIN, ADMIN_PASSWORD);
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  gint64 audits = count_unmask_audits (fixture);
  gint64 id = count_rows (fixture->hub_db, "SELECT min(id) FROM people");

  g_assert_false (pct_sync_unmask (clerk, "person", id, "id_number", "核实身份", &value, NULL,
                                   &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "may not see"));
  g_clear_error (&error);

  g_assert_false (pct_sync_unmask (admin, "person", id, "id_number", "核实身份", &value, NULL,
                                   &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "nothing to unmask"));
  g_assert_null (value);
  g_assert_cmpint (count_unmask_audits (fixture), ==, audits);
}

/* `precinct-tool unmask` prints the value, and says why it cannot. */
static void
test_unmask_tool (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *password = g_strconcat (HUB_TEST_SUPERVISOR, HUB_TEST_PASSWORD_SUFFIX, NULL);
  g_autofree char *id_text = NULL;
  g_autofree char *select = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GSubprocess) process = NULL;
  gint64 audits = count_unmask_audits (fixture);
  gint64 id = count_rows (fixture->hub_db, "SELECT min(id) FROM people WHERE phone IS NOT NULL");

  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  select = g_strdup_printf ("SELECT phone FROM people WHERE id = %s", id_text);
  plain = sync_test_query_text (fixture->hub_db, select);

  process = spawn_tool (password,
                        (const char *[]) { "unmask", "--server", fixture->server->url,
                                           "--ca-file", env->ca_file,
                                           "--user", HUB_TEST_SUPERVISOR,
                                           "--reason", "回访核实", "person", id_text, "phone",
                                           NULL });
  g_assert_cmpint (finish_tool (process, &out), ==, 0);
  g_assert_cmpstr (g_strstrip (out), ==, plain);
  g_clear_object (&process);
  g_clear_pointer (&out, g_free);

  /* Without a reason: a usage error, and nothing asked. */
  process = spawn_tool (password,
                        (const char *[]) { "unmask", "--server", fixture->server->url,
                                           "--ca-file", env->ca_file,
                                           "--user", HUB_TEST_SUPERVISOR, "person", id_text,
                                           "phone", NULL });
  g_assert_cmpint (finish_tool (process, &out), ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpint (count_unmask_audits (fixture), ==, audits + 1);
}

/* Killing the hub ------------------------------------------------------- */

static gboolean
has_cursor (gpointer data)
{
  Fixture *fixture = data;

  return g_file_test (fixture->db, G_FILE_TEST_EXISTS) &&
         count_rows (fixture->db, "SELECT count(*) FROM sqlite_schema WHERE name = 'sync_state'")
           == 1 &&
         count_rows (fixture->db, "SELECT count(*) FROM sync_state WHERE key = 'cursor'") == 1;
}

static void
kill_server (HubTestServer *server)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_force_exit (server->process);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (server->process);
  g_free (server->db);
  g_free (server->url);
  g_free (server);
}

static void
test_kill_hub (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *url = g_strdup (fixture->server->url);
  g_autofree char *listen = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  const char *port = strrchr (url, ':') + 1;
  int status;

  listen = g_strdup_printf ("127.0.0.1:%d", atoi (port));
  process = spawn_tool_sync (fixture, url, 100);

  /* Pages are coming in: the hub dies in the middle of one, and comes
   * back on the same address. */
  g_assert_true (sync_test_wait_for (has_cursor, fixture, 30));
  g_usleep (g_random_int_range (0, 200000));
  kill_server (g_steal_pointer (&fixture->server));
  g_usleep (300000);
  fixture->server = hub_test_server_start (env, fixture->hub_db,
                                           (const char *[]) { "--listen", listen, NULL });
  g_assert_cmpstr (fixture->server->url, ==, url);

  status = finish_tool (process, &out);
  g_test_message ("first run: %d %s", status, out);
  if (status != 0)
    {
      /* The retries ran out before the hub was back: the next run
       * resumes from the last page stored. */
      g_clear_pointer (&out, g_free);
      g_assert_cmpint (run_tool_sync (fixture, 100, &out), ==, 0);
      g_assert_null (strstr (out, "a full sync"));
    }
  assert_equal_to_hub (fixture);
}

/* Killing the client ---------------------------------------------------- */

typedef struct
{
  Fixture *fixture;
  char    *cursor;   /* when the run started */
} Progress;

static char *
dup_cursor (Fixture *fixture)
{
  if (!has_cursor (fixture))
    return NULL;
  return sync_test_query_text (fixture->db, "SELECT value FROM sync_state WHERE key = 'cursor'");
}

static gboolean
cursor_moved (gpointer data)
{
  Progress *progress = data;
  g_autofree char *cursor = dup_cursor (progress->fixture);

  return g_strcmp0 (cursor, progress->cursor) != 0;
}

static void
test_kill_client (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *out = NULL;
  guint killed = 0;

  /* Killed at random instants while pages are applied, until it has been
   * killed often enough; each run resumes where the last stopped. Small
   * pages make many transactions to land in: each run is killed within
   * a tenth of a second of committing its first. */
  for (guint run = 0; run < 30 && killed < 5; run++)
    {
      Progress progress = { fixture, dup_cursor (fixture) };
      g_autoptr(GSubprocess) process = spawn_tool_sync (fixture, fixture->server->url, 40);
      g_autoptr(GError) error = NULL;
      g_autoptr(PctStore) store = NULL;
      g_autofree char *cursor = NULL;

      sync_test_wait_for (cursor_moved, &progress, 10);
      g_free (progress.cursor);
      g_usleep (g_random_int_range (0, 100000));
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, &error);
      g_assert_no_error (error);
      if (!g_subprocess_get_if_signaled (process))
        break;   /* it had finished: nothing left to interrupt */
      killed++;

      if (!has_cursor (fixture))
        continue;
      /* Whole and consistent at any instant. */
      store = pct_store_open (fixture->db, PCT_STORE_OPEN_DEFAULT, &error);
      g_assert_no_error (error);
      g_assert_true (pct_store_check_integrity (store, &error));
      g_assert_no_error (error);
      cursor = sync_test_query_text (fixture->db,
                                     "SELECT value FROM sync_state WHERE key = 'cursor'");
      g_test_message ("killed run %u at cursor %s: %" G_GINT64_FORMAT " people, %"
                      G_GINT64_FORMAT " plates so far", run, cursor,
                      count_rows (fixture->db, "SELECT count(*) FROM people"),
                      count_rows (fixture->db, "SELECT count(*) FROM plates"));
    }
  g_test_message ("killed %u times before the end", killed);
  g_assert_cmpuint (killed, >=, 2);

  g_assert_cmpint (run_tool_sync (fixture, 40, &out), ==, 0);
  g_test_message ("%s", out);
  /* Resumed: not the whole feed again. */
  g_assert_null (strstr (out, "a full sync"));
  assert_equal_to_hub (fixture);
}

/* Sessions and the outbox ----------------------------------------------- */

/* A plate to install, as a clerk's client would queue it. */
static void
queue_plate_changes (Fixture *fixture,
                     guint    n,
                     GPtrArray *ids)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = pct_store_open (fixture->db, PCT_STORE_OPEN_DEFAULT, &error);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint queued = 0;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store),
                                       "SELECT id, version FROM plates WHERE status = 'printed' "
                                       "ORDER BY id", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_true (pct_store_begin (store, &error));
  while (queued < n && sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      gint64 version = sqlite3_column_int64 (stmt, 1);
      g_autofree char *data = g_strdup_printf ("{\"status\":\"installed\",\"installed_at\":%"
                                               G_GINT64_FORMAT "}",
                                               g_get_real_time () / G_USEC_PER_SEC);

      g_assert_true (pct_outbox_add (store, "plate", "update", id, version, data, NULL, &error));
      g_assert_no_error (error);
      if (ids != NULL)
        g_ptr_array_add (ids, g_memdup2 (&id, sizeof id));
      queued++;
    }
  g_assert_cmpuint (queued, ==, n);
  g_clear_pointer (&stmt, sqlite3_finalize);
  g_assert_true (pct_store_commit (store, &error));
}

static gint64
count_outbox (Fixture    *fixture,
              const char *state)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM outbox WHERE state = '%s'",
                                          state);

  return count_rows (fixture->db, sql);
}

static void
test_token_expired (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PctSync) sync = new_client (fixture, HUB_TEST_ADMIN, ADMIN_PASSWORD);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);

  /* The hub's tokens live one second. */
  queue_plate_changes (fixture, 3, ids);
  g_usleep (2100000);
  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.push_applied, ==, 3);
  g_assert_cmpint (count_outbox (fixture, "applied"), ==, 3);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *sql =
        g_strdup_printf ("SELECT status FROM plates WHERE id = %" G_GINT64_FORMAT,
                         *(gint64 *) g_ptr_array_index (ids, i));
      g_autofree char *status = sync_test_query_text (fixture->hub_db, sql);

      g_assert_cmpstr (status, ==, "installed");
    }
  assert_equal_to_hub (fixture);
}

static void
test_token_revoked (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(PctSync) sync = new_client (fixture, HUB_TEST_ADMIN, ADMIN_PASSWORD);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);

  queue_plate_changes (fixture, 2, NULL);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "token", "revoke", "--db",
                                                         fixture->hub_db, "--user",
                                                         HUB_TEST_ADMIN, NULL },
                                     NULL, &out, NULL), ==, 0);
  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.push_applied, ==, 2);
  g_assert_cmpint (count_outbox (fixture, "applied"), ==, 2);
  assert_equal_to_hub (fixture);
}

/* An incident reported here: applied once, however often its batch is
 * sent, and the local row takes the hub's key. */
static void
test_push_twice (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(PctSync) sync = new_client (fixture, HUB_TEST_ADMIN, ADMIN_PASSWORD);
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *data_json = NULL;
  g_autofree char *select = NULL;
  gint64 hub_incidents;
  sqlite3_stmt *stmt;
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);
  hub_incidents = count_rows (fixture->hub_db, "SELECT count(*) FROM incidents");

  data_json = g_strdup_printf ("{\"uuid\":\"%s\",\"source\":\"operator\",\"severity\":3,"
                               "\"status\":\"reported\",\"description\":\"井盖移位\","
                               "\"lon\":106.255,\"lat\":29.285,\"reported_at\":%" G_GINT64_FORMAT
                               "}", uuid, g_get_real_time () / G_USEC_PER_SEC - 60);
  store = pct_store_open (fixture->db, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (pct_store_begin (store, &error));
  stmt = pct_store_prepare (store,
                            "INSERT INTO incidents (id, uuid, source, severity, status, "
                            "description, lon, lat, reported_at) VALUES (-1, ?, 'operator', 3, "
                            "'reported', '井盖移位', 106.255, 29.285, ?)", &error);
  g_assert_nonnull (stmt);
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC - 60);
  g_assert_true (pct_store_step_done (store, stmt, &error));
  g_assert_true (pct_outbox_add (store, "incident", "create", -1, 0, data_json, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pct_store_commit (store, &error));
  g_clear_object (&store);

  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.push_applied, ==, 1);
  g_assert_cmpint (count_rows (fixture->hub_db, "SELECT count(*) FROM incidents"), ==,
                   hub_incidents + 1);
  g_assert_cmpint (count_rows (fixture->db, "SELECT count(*) FROM incidents WHERE id < 0"), ==, 0);
  assert_equal_to_hub (fixture);

  /* As if the client had stopped after sending, before writing the
   * answer down: the batch goes again, and the hub replays its answer. */
  store = pct_store_open (fixture->db, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (pct_store_exec (store, "UPDATE outbox SET state = 'sent', result = NULL",
                                 &error));
  g_clear_object (&store);
  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.push_replayed, ==, 1);
  g_assert_cmpint (count_rows (fixture->hub_db, "SELECT count(*) FROM incidents"), ==,
                   hub_incidents + 1);
  select = g_strdup_printf ("SELECT count(*) FROM incidents WHERE uuid = '%s'", uuid);
  g_assert_cmpint (count_rows (fixture->hub_db, select), ==, 1);
  g_assert_cmpint (count_rows (fixture->db, select), ==, 1);
  assert_equal_to_hub (fixture);
}

/* The hub carried out a batch whose answer never came back, and its
 * changes feed brings the incident before the client re-sends: the local
 * row gives way to the hub's, under the hub's key. */
static void
test_answer_lost (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(PctSync) sync = new_client (fixture, HUB_TEST_ADMIN, ADMIN_PASSWORD);
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *mutation_uuid = NULL;
  g_autofree char *data_json = NULL;
  g_autofree char *body = NULL;
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  g_autofree char *select = NULL;
  gint64 when = g_get_real_time () / G_USEC_PER_SEC - 60;
  sqlite3_stmt *stmt;
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);

  data_json = g_strdup_printf ("{\"uuid\":\"%s\",\"source\":\"operator\",\"severity\":2,"
                               "\"status\":\"reported\",\"description\":\"占道经营\","
                               "\"lon\":106.256,\"lat\":29.286,\"reported_at\":%" G_GINT64_FORMAT
                               "}", uuid, when);
  store = pct_store_open (fixture->db, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (pct_store_begin (store, &error));
  stmt = pct_store_prepare (store,
                            "INSERT INTO incidents (id, uuid, source, severity, status, "
                            "description, lon, lat, reported_at) VALUES (-1, ?, 'operator', 2, "
                            "'reported', '占道经营', 106.256, 29.286, ?)", &error);
  g_assert_nonnull (stmt);
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, when);
  g_assert_true (pct_store_step_done (store, stmt, &error));
  g_assert_true (pct_outbox_add (store, "incident", "create", -1, 0, data_json, &mutation_uuid,
                                 &error));
  g_assert_true (pct_store_commit (store, &error));
  g_clear_object (&store);

  /* The batch as the client sent it, its answer lost. */
  token = hub_test_sign_in (session, fixture->server, HUB_TEST_ADMIN);
  url = hub_test_server_url (fixture->server, "api/v1/mutations");
  body = g_strdup_printf ("{\"mutations\":[{\"uuid\":\"%s\",\"entity\":\"incident\","
                          "\"op\":\"create\",\"id\":-1,\"data\":%s}]}", mutation_uuid, data_json);
  g_assert_cmpuint (hub_test_request (session, "POST", url, token, NULL, body, NULL, NULL), ==,
                    200);

  g_assert_true (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.push_replayed, ==, 1);
  select = g_strdup_printf ("SELECT count(*) FROM incidents WHERE uuid = '%s'", uuid);
  g_assert_cmpint (count_rows (fixture->hub_db, select), ==, 1);
  g_assert_cmpint (count_rows (fixture->db, select), ==, 1);
  g_assert_cmpint (count_rows (fixture->db, "SELECT count(*) FROM incidents WHERE id < 0"), ==, 0);
  assert_equal_to_hub (fixture);
}

/* Live mode ------------------------------------------------------------- */

typedef struct
{
  PctSync    *sync;
  const char *db;
  const char *select;
} LiveWait;

static gboolean
is_online (gpointer data)
{
  LiveWait *wait = data;

  return pct_sync_get_state (wait->sync) == PCT_SYNC_STATE_ONLINE &&
         pct_sync_get_live (wait->sync);
}

static gboolean
has_row (gpointer data)
{
  LiveWait *wait = data;

  return count_rows (wait->db, wait->select) == 1;
}

static void
test_live (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(PctSync) sync = new_client (fixture, HUB_TEST_ADMIN, ADMIN_PASSWORD);
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *url = hub_test_server_url (fixture->server, "api/v1/incidents");
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S%:z");
  g_autofree char *category = sync_test_query_text (fixture->hub_db,
                                                    "SELECT code FROM categories WHERE kind = "
                                                    "'event' ORDER BY id LIMIT 1");
  g_autofree char *lon = sync_test_query_text (fixture->hub_db,
                                               "SELECT lon FROM addresses ORDER BY id LIMIT 1 "
                                               "OFFSET 100");
  g_autofree char *lat = sync_test_query_text (fixture->hub_db,
                                               "SELECT lat FROM addresses ORDER BY id LIMIT 1 "
                                               "OFFSET 100");
  g_autofree char *body = NULL;
  g_autofree char *select = NULL;
  LiveWait wait = { sync, fixture->db, NULL };

  pct_sync_start (sync);
  g_assert_true (sync_test_wait_for (is_online, &wait, 60));

  /* A sensor reports an incident to the hub: it reaches the store. */
  body = g_strdup_printf ("{\"category\":\"%s\",\"lat\":%s,\"lon\":%s,\"description\":"
                          "\"井盖倾斜 23°\",\"reported_at\":\"%s\",\"source\":\"sensor\"}",
                          category, lat, lon, when);
  g_assert_cmpuint (hub_test_request (session, "POST", url, NULL, env->api_key, body, &reply,
                                      NULL), ==, 201);
  select = g_strdup_printf ("SELECT count(*) FROM incidents WHERE uuid = '%s'",
                            json_object_get_string_member (json_node_get_object (reply), "uuid"));
  wait.select = select;
  g_assert_true (sync_test_wait_for (has_row, &wait, 30));

  pct_sync_stop (sync);
  assert_equal_to_hub (fixture);
}

static const char * const short_tokens[] = { "--token-ttl", "1", NULL };

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  sync_test_avoid_proxies ();

  env = hub_test_env_new ();

  g_test_add ("/sync-hub/full", Fixture, NULL, fixture_set_up, test_full, fixture_tear_down);
  g_test_add ("/sync-hub/full-in-process", Fixture, NULL, fixture_set_up, test_full_in_process,
              fixture_tear_down);
  g_test_add ("/sync-hub/masked", Fixture, NULL, fixture_set_up, test_masked, fixture_tear_down);
  g_test_add ("/sync-hub/unmask", Fixture, NULL, fixture_set_up, test_unmask, fixture_tear_down);
  g_test_add ("/sync-hub/unmask-refused", Fixture, NULL, fixture_set_up, test_unmask_refused,
              fixture_tear_down);
  g_test_add ("/sync-hub/unmask-tool", Fixture, NULL, fixture_set_up, test_unmask_tool,
              fixture_tear_down);
  g_test_add ("/sync-hub/kill-hub", Fixture, NULL, fixture_set_up, test_kill_hub,
              fixture_tear_down);
  g_test_add ("/sync-hub/kill-client", Fixture, NULL, fixture_set_up, test_kill_client,
              fixture_tear_down);
  g_test_add ("/sync-hub/token-expired", Fixture, short_tokens, fixture_set_up,
              test_token_expired, fixture_tear_down);
  g_test_add ("/sync-hub/token-revoked", Fixture, NULL, fixture_set_up, test_token_revoked,
              fixture_tear_down);
  g_test_add ("/sync-hub/push-twice", Fixture, NULL, fixture_set_up, test_push_twice,
              fixture_tear_down);
  g_test_add ("/sync-hub/answer-lost", Fixture, NULL, fixture_set_up, test_answer_lost,
              fixture_tear_down);
  g_test_add ("/sync-hub/live", Fixture, NULL, fixture_set_up, test_live, fixture_tear_down);

  status = g_test_run ();
  hub_test_env_free (env);
  return status;
}
