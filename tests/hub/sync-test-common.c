/* sync-test-common.c — what the sync client's tests share
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pct-store.h"
#include "sync-test-common.h"

/* The tables pct_store_content_hash() covers, in its order. */
static const char * const content_tables[] = {
  "meta", "regions", "departments", "grid_cells", "workers", "roads", "areas",
  "addresses", "buildings", "rooms", "people", "person_rooms", "units",
  "categories", "facilities", "incidents", "work_orders", "work_order_events",
  "plate_batches", "plates", "calendar",
};

static const char * const rtree_tables[] = {
  "address_rtree", "building_rtree", "unit_rtree", "facility_rtree", "grid_rtree",
  "road_rtree", "area_rtree", "incident_rtree",
};

static const char * const search_tables[] = { "address_fts", "unit_fts", "person_fts" };

void
sync_test_avoid_proxies (void)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("https_proxy");
  g_unsetenv ("HTTPS_PROXY");
  g_unsetenv ("all_proxy");
}

char *
sync_test_make_certs (void)
{
  const char *script = g_getenv ("PRECINCT_MAKE_CERTS");
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *dir;
  int status = 0;

  g_assert_nonnull (script);
  dir = g_dir_make_tmp ("precinct-certs-XXXXXX", &error);
  g_assert_no_error (error);

  {
    const char *argv[] = { "bash", script, dir, "--faults", NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                  &status, &error);
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, &error))
      g_error ("make-certs.sh failed: %s %s", error->message, err);
  }
  return dir;
}

void
sync_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            sync_test_remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

char *
sync_test_cert (const char *dir,
                const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static sqlite3 *
open_read_only (const char *db_path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

gint64
sync_test_query_int (const char *db_path,
                     const char *sql)
{
  sqlite3 *db = open_read_only (db_path);
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

char *
sync_test_query_text (const char *db_path,
                      const char *sql)
{
  sqlite3 *db = open_read_only (db_path);
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* As pct_store_content_hash() hashes a value. */
static void
hash_value (GChecksum    *checksum,
            sqlite3_stmt *stmt,
            int           column)
{
  int type = sqlite3_column_type (stmt, column);
  guchar tag = (guchar) type;

  g_checksum_update (checksum, &tag, 1);
  switch (type)
    {
    case SQLITE_INTEGER:
      {
        gint64 v = GINT64_TO_LE (sqlite3_column_int64 (stmt, column));
        g_checksum_update (checksum, (const guchar *) &v, sizeof v);
      }
      break;

    case SQLITE_FLOAT:
      {
        char text[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd (text, sizeof text, "%.17g", sqlite3_column_double (stmt, column));
        g_checksum_update (checksum, (const guchar *) text, (gssize) strlen (text));
      }
      break;

    case SQLITE_TEXT:
    case SQLITE_BLOB:
      g_checksum_update (checksum, sqlite3_column_blob (stmt, column),
                         sqlite3_column_bytes (stmt, column));
      break;

    case SQLITE_NULL:
    default:
      break;
    }
}

/* Appends "label rows hash" for what sql selects. */
static void
hash_query (sqlite3     *db,
            const char  *label,
            const char  *sql,
            GString     *out)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  sqlite3_stmt *stmt = NULL;
  gint64 rows = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      for (int c = 0; c < sqlite3_column_count (stmt); c++)
        hash_value (checksum, stmt, c);
      rows++;
    }
  sqlite3_finalize (stmt);
  g_string_append_printf (out, "%s %" G_GINT64_FORMAT " %s\n", label, rows,
                          g_checksum_get_string (checksum));
}

char *
sync_test_table_hashes (const char *db_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = pct_store_open (db_path, PCT_STORE_OPEN_READ_ONLY, &error);
  GString *out = g_string_new (NULL);
  sqlite3 *db;

  g_assert_no_error (error);
  g_assert_true (pct_store_check_integrity (store, &error));
  g_assert_no_error (error);
  db = pct_store_get_handle (store);

  for (guint i = 0; i < G_N_ELEMENTS (content_tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s", content_tables[i]);

      hash_query (db, content_tables[i], sql, out);
    }

  /* The indexes the triggers keep, however they were filled: the
   * R*Trees by key, the search indexes as the terms they hold, which do
   * not depend on how FTS5 happened to merge its segments. */
  for (guint i = 0; i < G_N_ELEMENTS (rtree_tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s ORDER BY id", rtree_tables[i]);

      hash_query (db, rtree_tables[i], sql, out);
    }
  for (guint i = 0; i < G_N_ELEMENTS (search_tables); i++)
    {
      g_autofree char *vocab = g_strdup_printf ("CREATE VIRTUAL TABLE temp.terms USING "
                                                "fts5vocab (main, '%s', 'instance')",
                                                search_tables[i]);

      g_assert_cmpint (sqlite3_exec (db, vocab, NULL, NULL, NULL), ==, SQLITE_OK);
      hash_query (db, search_tables[i], "SELECT * FROM temp.terms", out);
      g_assert_cmpint (sqlite3_exec (db, "DROP TABLE temp.terms", NULL, NULL, NULL), ==,
                       SQLITE_OK);
    }
  return g_string_free (out, FALSE);
}

gboolean
sync_test_wait_for (gboolean (*condition) (gpointer data),
                    gpointer   data,
                    guint      timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  return TRUE;
}
