/* test-store.c — the store: creation, migration, bad files, R*Tree and search
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-store"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "pct-record.h"
#include "pct-store-private.h"

static char *
temp_path (const char *name)
{
  return g_build_filename (g_get_user_data_dir (), name, NULL);
}

static PctStore *
new_store (const char *name)
{
  g_autofree char *path = temp_path (name);
  g_autoptr(GError) error = NULL;
  PctStore *store;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
exec_ok (PctStore   *store,
         const char *sql)
{
  g_autoptr(GError) error = NULL;

  pct_store_exec (store, sql, &error);
  g_assert_no_error (error);
}

/* Writing a row of any table builds no temporary b-tree: SQLite builds one
 * per row for a CHECK of the form "x IN (a, b, c)", at a cost that showed
 * in every bulk write. The constraints still refuse what they refused. */
static void
assert_writes_are_cheap (PctStore *store)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *tables;
  guint n_tables = 0;

  tables = pct_store_prepare (store, "SELECT name FROM sqlite_schema WHERE type = 'table' "
                                     "AND sql NOT LIKE 'CREATE VIRTUAL%' "
                                     "AND name NOT LIKE 'sqlite%'", &error);
  g_assert_no_error (error);
  while (sqlite3_step (tables) == SQLITE_ROW)
    {
      const char *table = (const char *) sqlite3_column_text (tables, 0);
      g_autofree char *info_sql = g_strdup_printf ("SELECT name FROM pragma_table_info ('%s')",
                                                   table);
      g_autoptr(GString) columns = g_string_new (NULL);
      g_autoptr(GString) params = g_string_new (NULL);
      g_autofree char *explain = NULL;
      sqlite3 *db = pct_store_get_handle (store);
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, info_sql, -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_string_append_printf (columns, "%s%s", columns->len > 0 ? ", " : "",
                                  (const char *) sqlite3_column_text (stmt, 0));
          g_string_append (params, params->len > 0 ? ", ?" : "?");
        }
      sqlite3_finalize (stmt);

      explain = g_strdup_printf ("EXPLAIN INSERT INTO %s (%s) VALUES (%s)",
                                 table, columns->str, params->str);
      g_assert_cmpint (sqlite3_prepare_v2 (db, explain, -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *opcode = (const char *) sqlite3_column_text (stmt, 1);

          if (g_strcmp0 (opcode, "OpenEphemeral") == 0)
            g_error ("Writing a row of %s builds a temporary b-tree", table);
        }
      sqlite3_finalize (stmt);
      n_tables++;
    }
  sqlite3_reset (tables);
  g_assert_cmpuint (n_tables, >=, 20);

  g_assert_false (pct_store_exec (store, "INSERT INTO areas (kind, polygon) VALUES ('lake', '[]')",
                                  &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "CHECK constraint failed"));
}

static void
test_create (void)
{
  g_autoptr(PctStore) store = new_store ("create.db");
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  gint64 count = -1;

  g_assert_cmpint (pct_store_get_schema_version (store), ==, PCT_STORE_SCHEMA_VERSION);

  for (const char * const *name = pct_store_entity_names (); *name; name++)
    {
      pct_store_count (store, *name, &count, &error);
      g_assert_no_error (error);
      g_assert_cmpint (count, ==, 0);
    }

  g_assert_false (pct_store_count (store, "no_such_thing", &count, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_null (pct_store_get_meta (store, "district_name"));
  pct_store_set_meta (store, "district_name", "江津区", &error);
  g_assert_no_error (error);
  pct_store_set_meta (store, "district_name", "几江", &error);
  g_assert_no_error (error);
  value = pct_store_get_meta (store, "district_name");
  g_assert_cmpstr (value, ==, "几江");

  pct_store_check_integrity (store, &error);
  g_assert_no_error (error);
  assert_writes_are_cheap (store);

  /* A bulk statement is found again by its text's address, reset, and
   * keeps no row of its last run. */
  {
    static const char bulk_sql[] = "INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)";
    sqlite3_stmt *bulk = pct_store_prepare_bulk (store, bulk_sql, &error);

    g_assert_no_error (error);
    sqlite3_bind_text (bulk, 1, "bulk_a", -1, SQLITE_STATIC);
    sqlite3_bind_text (bulk, 2, "1", -1, SQLITE_STATIC);
    sqlite3_bind_text (bulk, 3, "bulk_b", -1, SQLITE_STATIC);
    sqlite3_bind_text (bulk, 4, "2", -1, SQLITE_STATIC);
    g_assert_cmpint (sqlite3_step (bulk), ==, SQLITE_DONE);
    g_assert_true (pct_store_prepare_bulk (store, bulk_sql, &error) == bulk);
    g_assert_no_error (error);
    g_assert_false (sqlite3_stmt_busy (bulk));
    value = pct_store_get_meta (store, "bulk_b");
    g_assert_cmpstr (value, ==, "2");
    g_clear_pointer (&value, g_free);

    g_assert_null (pct_store_prepare_bulk (store, "INSERT INTO no_such_table VALUES (?)", &error));
    g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_FAILED);
    g_clear_error (&error);
  }

  /* Change polling sees this connection's writes and another's commits. */
  {
    PctStoreStamp stamp = { 0, };
    g_autoptr(PctStore) other = NULL;

    g_assert_true (pct_store_poll_changes (store, &stamp));
    g_assert_false (pct_store_poll_changes (store, &stamp));
    pct_store_set_meta (store, "district_name", "德感", &error);
    g_assert_no_error (error);
    g_assert_true (pct_store_poll_changes (store, &stamp));
    g_assert_false (pct_store_poll_changes (store, &stamp));

    other = pct_store_open (pct_store_get_path (store), PCT_STORE_OPEN_DEFAULT, &error);
    g_assert_no_error (error);
    pct_store_set_meta (other, "district_name", "支坪", &error);
    g_assert_no_error (error);
    g_assert_true (pct_store_poll_changes (store, &stamp));
    g_assert_false (pct_store_poll_changes (store, &stamp));
  }
}

/* A version-1 file, as the first release wrote it, migrates to the current
 * version with its rows intact. */
static void
test_migrate_v1 (void)
{
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "core", "data", "store-v1.db", NULL);
  g_autofree char *path = temp_path ("v1.db");
  g_autofree char *contents = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(PctStore) read_only = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;
  gint64 count = 0;
  sqlite3_stmt *stmt;

  g_file_get_contents (fixture, &contents, &length, &error);
  g_assert_no_error (error);
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);

  /* Read-only opening cannot migrate, and says so. */
  read_only = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_assert_null (read_only);
  g_clear_error (&error);

  store = pct_store_open (path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pct_store_get_schema_version (store), ==, PCT_STORE_SCHEMA_VERSION);

  pct_store_count (store, "addresses", &count, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 3);

  /* Version 2 added plate batches and the calendar. */
  exec_ok (store, "INSERT INTO plate_batches (uuid, name, size, created_at) "
                  "VALUES ('b1', 'batch', 'medium', 0)");
  exec_ok (store, "UPDATE plates SET batch_id = 1");
  exec_ok (store, "INSERT INTO calendar (date, workday, name) VALUES ('2026-10-01', 0, '国庆节')");

  /* Version 5 rewrote the constraints that made every write slow. */
  assert_writes_are_cheap (store);
  pct_store_check_integrity (store, &error);
  g_assert_no_error (error);

  /* The old rows are still indexed, for search and on the map. */
  stmt = pct_store_prepare (store, "SELECT count(*) FROM address_fts WHERE address_fts MATCH '\"鼎山大道\"'", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 3);
  sqlite3_reset (stmt);
  {
    PctBBox box = { 106.2499, 29.29, 106.2502, 29.2906 };
    g_autoptr(GArray) found = pct_store_query_bbox (store, PCT_LAYER_ADDRESSES, &box, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 2);
  }
  {
    g_autoptr(GPtrArray) hits = pct_store_search (store, "鼎山大道 14", 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 1);
    g_assert_cmpint (((PctSearchHit *) hits->pdata[0])->id, ==, 2);
  }

  g_clear_object (&store);

  /* Opening again is a no-op. */
  store = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pct_store_get_schema_version (store), ==, PCT_STORE_SCHEMA_VERSION);
}

static void
write_file (const char   *path,
            const char   *data,
            gssize        length)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
}

static void
assert_open_fails (const char *path,
                   int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = pct_store_open (path, PCT_STORE_OPEN_DEFAULT, &error);

  g_assert_null (store);
  g_assert_error (error, PCT_STORE_ERROR, code);
  /* The message names the file, so the user knows which one is wrong. */
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_bad_files (void)
{
  g_autofree char *text = temp_path ("notes.txt");
  g_autofree char *foreign = temp_path ("foreign.db");
  g_autofree char *newer = temp_path ("newer.db");
  g_autofree char *missing = temp_path ("missing.db");
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);

  write_file (text, "This is a text file, not a database.\n", -1);
  assert_open_fails (text, PCT_STORE_ERROR_NOT_A_STORE);

  /* Another program's SQLite database is left untouched. */
  g_assert_cmpint (sqlite3_open (foreign, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE songs (title TEXT)", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  assert_open_fails (foreign, PCT_STORE_ERROR_NOT_A_STORE);
  g_assert_cmpint (sqlite3_open (foreign, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "SELECT count(*) FROM songs", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "SELECT count(*) FROM addresses", NULL, NULL, NULL), !=, SQLITE_OK);
  sqlite3_close (db);

  /* A store from a newer release. */
  {
    g_autoptr(PctStore) store = pct_store_open (newer, PCT_STORE_OPEN_CREATE, &error);
    g_assert_no_error (error);
    exec_ok (store, "PRAGMA user_version = 99");
  }
  assert_open_fails (newer, PCT_STORE_ERROR_TOO_NEW);

  assert_open_fails (missing, PCT_STORE_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

/* Overwrites the store's pages past the header with garbage: whatever the
 * store then does, it reports an error instead of crashing. */
static void
test_corrupt (void)
{
  g_autofree char *path = temp_path ("corrupt.db");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  {
    g_autoptr(PctStore) store = new_store ("corrupt.db");
    exec_ok (store, "INSERT INTO regions VALUES ('500116', NULL, 13, '江津区')");
    exec_ok (store, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE");
  }

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 8192);
  for (gsize i = 4096; i < length; i++)
    contents[i] = (char) (i * 7919 % 251);
  write_file (path, contents, length);

  {
    g_autoptr(PctStore) store = pct_store_open (path, PCT_STORE_OPEN_DEFAULT, &error);

    if (store != NULL)
      {
        gint64 count;

        g_assert_no_error (error);
        g_assert_false (pct_store_count (store, "addresses", &count, &error) &&
                        pct_store_check_integrity (store, &error));
        g_assert_nonnull (error);
      }
    else
      {
        g_assert_true (g_error_matches (error, PCT_STORE_ERROR, PCT_STORE_ERROR_CORRUPT) ||
                       g_error_matches (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_A_STORE));
      }
    g_clear_error (&error);
  }

  /* A file cut short in its header. */
  write_file (path, contents, 50);
  {
    g_autoptr(PctStore) store = pct_store_open (path, PCT_STORE_OPEN_DEFAULT, &error);
    g_assert_null (store);
    g_assert_nonnull (error);
  }
}

static void
fill_geometry (PctStore *store,
               guint     n)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *address;
  sqlite3_stmt *building;

  exec_ok (store, "INSERT INTO regions VALUES ('500116', NULL, 13, '江津区')");
  pct_store_begin (store, &error);
  g_assert_no_error (error);

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *code = g_strdup_printf ("A%06u", i);
      g_autofree char *display = g_strdup_printf ("重庆市江津区 测试路 %u号", i);

      address = pct_store_prepare (store,
                                   "INSERT INTO addresses (id, code, kind, region_code, display, lon, lat) "
                                   "VALUES (?, ?, 'door', '500116', ?, ?, ?)", &error);
      g_assert_no_error (error);
      sqlite3_bind_int64 (address, 1, i);
      sqlite3_bind_text (address, 2, code, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (address, 3, display, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (address, 4, g_rand_double_range (rand, 106.20, 106.30));
      sqlite3_bind_double (address, 5, g_rand_double_range (rand, 29.24, 29.34));
      pct_store_step_done (store, address, &error);
      g_assert_no_error (error);
    }

  for (guint i = 1; i <= n / 4; i++)
    {
      double lon = g_rand_double_range (rand, 106.20, 106.30);
      double lat = g_rand_double_range (rand, 29.24, 29.34);
      double w = g_rand_double_range (rand, 0.0001, 0.002);
      double h = g_rand_double_range (rand, 0.0001, 0.002);
      g_autofree char *ring = g_strdup_printf ("[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]",
                                               lon, lat, lon + w, lat, lon + w, lat + h,
                                               lon, lat + h, lon, lat);

      building = pct_store_prepare (store,
                                    "INSERT INTO buildings (id, name, use, floors_above, footprint, lon, lat) "
                                    "VALUES (?, '1栋', 'residential', 6, ?, ?, ?)", &error);
      g_assert_no_error (error);
      sqlite3_bind_int64 (building, 1, i);
      sqlite3_bind_text (building, 2, ring, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (building, 3, lon + w / 2);
      sqlite3_bind_double (building, 4, lat + h / 2);
      pct_store_step_done (store, building, &error);
      g_assert_no_error (error);
    }

  pct_store_commit (store, &error);
  g_assert_no_error (error);
}

static int
compare_refs (gconstpointer a,
              gconstpointer b)
{
  gint64 x = ((const PctFeatureRef *) a)->id;
  gint64 y = ((const PctFeatureRef *) b)->id;

  return (x > y) - (x < y);
}

static void
assert_same_refs (GArray *a,
                  GArray *b)
{
  g_array_sort (a, compare_refs);
  g_array_sort (b, compare_refs);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_cmpint (g_array_index (a, PctFeatureRef, i).id, ==, g_array_index (b, PctFeatureRef, i).id);
}

/* The R*Tree answer equals a full scan, for points and for polygons, over
 * boxes from a block to the whole district. */
static void
test_rtree_matches_scan (void)
{
  g_autoptr(PctStore) store = new_store ("rtree.db");
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint total_found = 0;

  fill_geometry (store, 4000);

  for (guint q = 0; q < 60; q++)
    {
      g_autoptr(GError) error = NULL;
      double size = q < 20 ? 0.005 : q < 40 ? 0.02 : 0.2;
      double lon = g_rand_double_range (rand, 106.19, 106.30);
      double lat = g_rand_double_range (rand, 29.23, 29.34);
      PctBBox box = { lon, lat, lon + size, lat + size };

      for (PctLayer layer = PCT_LAYER_ADDRESSES; layer <= PCT_LAYER_BUILDINGS; layer++)
        {
          g_autoptr(GArray) indexed = pct_store_query_bbox (store, layer, &box, 0, &error);
          g_autoptr(GArray) scanned = NULL;

          g_assert_no_error (error);
          scanned = pct_store_scan_bbox (store, layer, &box, &error);
          g_assert_no_error (error);
          assert_same_refs (indexed, scanned);
          total_found += indexed->len;
        }
    }

  /* The boxes were not all empty. */
  g_assert_cmpuint (total_found, >, 4000);

  /* A limit caps the answer. */
  {
    g_autoptr(GError) error = NULL;
    PctBBox all = { 106.0, 29.0, 106.5, 29.5 };
    g_autoptr(GArray) capped = pct_store_query_bbox (store, PCT_LAYER_ADDRESSES, &all, 10, &error);
    PctBBox extent;

    g_assert_no_error (error);
    g_assert_cmpuint (capped->len, ==, 10);

    pct_store_get_extent (store, &extent, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (extent.min_lon, >=, 106.19);
    g_assert_cmpfloat (extent.max_lon, <=, 106.31);
    g_assert_cmpfloat (extent.min_lat, <, extent.max_lat);
  }

  /* Points within a float's rounding of a box edge: the R*Tree alone
   * cannot tell; the answer must still be exact. */
  exec_ok (store, "INSERT INTO addresses (id, code, kind, region_code, display, lon, lat) "
                  "VALUES (90001, 'EDGE', 'door', '500116', '边界', 106.2500001, 29.3000001)");
  {
    const double eps[] = { -1e-9, 0, 1e-9 };

    for (guint i = 0; i < G_N_ELEMENTS (eps); i++)
      for (guint j = 0; j < G_N_ELEMENTS (eps); j++)
        {
          g_autoptr(GError) error = NULL;
          PctBBox low = { 106.2500001 + eps[i], 29.3000001 + eps[j], 106.26, 29.31 };
          PctBBox high = { 106.24, 29.29, 106.2500001 + eps[i], 29.3000001 + eps[j] };
          g_autoptr(GArray) a = pct_store_query_bbox (store, PCT_LAYER_ADDRESSES, &low, 0, &error);
          g_autoptr(GArray) b = pct_store_scan_bbox (store, PCT_LAYER_ADDRESSES, &low, &error);
          g_autoptr(GArray) c = pct_store_query_bbox (store, PCT_LAYER_ADDRESSES, &high, 0, &error);
          g_autoptr(GArray) d = pct_store_scan_bbox (store, PCT_LAYER_ADDRESSES, &high, &error);
          gboolean low_has = FALSE;

          g_assert_no_error (error);
          assert_same_refs (a, b);
          assert_same_refs (c, d);
          for (guint k = 0; k < a->len; k++)
            low_has |= g_array_index (a, PctFeatureRef, k).id == 90001;
          g_assert_true (low_has == (eps[i] <= 0 && eps[j] <= 0));
        }
  }

  /* Moving an address moves it in the index. */
  {
    g_autoptr(GError) error = NULL;
    PctBBox far = { 107.0, 30.0, 107.1, 30.1 };
    g_autoptr(GArray) found = NULL;

    exec_ok (store, "UPDATE addresses SET lon = 107.05, lat = 30.05 WHERE id = 17");
    found = pct_store_query_bbox (store, PCT_LAYER_ADDRESSES, &far, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpint (g_array_index (found, PctFeatureRef, 0).id, ==, 17);
    g_assert_cmpfloat_with_epsilon (g_array_index (found, PctFeatureRef, 0).lon, 107.05, 1e-4);
  }
}

static gboolean
has_hit (GPtrArray     *hits,
         PctSearchKind  kind,
         gint64         id)
{
  for (guint i = 0; i < hits->len; i++)
    {
      PctSearchHit *hit = g_ptr_array_index (hits, i);
      if (hit->kind == kind && hit->id == id)
        return TRUE;
    }
  return FALSE;
}

static GPtrArray *
search_ok (PctStore   *store,
           const char *query)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *hits = pct_store_search (store, query, 20, &error);

  g_assert_no_error (error);
  g_assert_nonnull (hits);
  return hits;
}

static void
test_search (void)
{
  g_autoptr(PctStore) store = new_store ("search.db");
  g_autoptr(GPtrArray) hits = NULL;

  exec_ok (store,
           "INSERT INTO regions VALUES ('500116', NULL, 13, '江津区'),"
           " ('500116001', '500116', 23, '几江街道'), ('500116001001', '500116001', 31, '艾坪社区');"
           "INSERT INTO roads VALUES (1, '鼎山大道', 1, '[[106.24,29.29],[106.26,29.29]]'),"
           " (2, '长江路', 2, '[[106.26,29.29],[106.26,29.31]]');"
           "INSERT INTO areas VALUES (1, 'compound', '锦绣花园', '[[106.25,29.29],[106.251,29.29],[106.251,29.291]]');"
           "INSERT INTO addresses (id, code, kind, region_code, road_id, compound, display, lon, lat) VALUES"
           " (1, 'A1', 'door', '500116001001', 1, NULL, '重庆市江津区几江街道 鼎山大道 12号', 106.25, 29.29),"
           " (2, 'A2', 'door', '500116001001', 1, NULL, '重庆市江津区几江街道 鼎山大道 14号', 106.251, 29.29),"
           " (3, 'A3', 'door', '500116', 2, NULL, '重庆市江津区德感街道 长江路 3号', 106.26, 29.30),"
           " (4, 'A4', 'building', '500116', NULL, '锦绣花园', '重庆市江津区 锦绣花园 1栋', 106.2505, 29.2905);"
           "INSERT INTO units (id, name, uscc, type, status, address_id, lon, lat) VALUES"
           " (1, '重庆鼎盛商贸有限公司', '91500116MA5U123456', 'enterprise', 'operating', 1, 106.25, 29.29);"
           "INSERT INTO people (id, name, id_number, category, household_status) VALUES"
           " (1, '张三丰', '11010519491231002X', 'registered', 'match'),"
           " (2, '张伟', '500116199001011234', 'registered', 'match'),"
           " (3, '李娜', '500116199202022345', 'temporary', 'match');");

  hits = search_ok (store, "鼎山大道");
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 1));
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 2));
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* A substring in the middle of a word, across the space. */
  hits = search_ok (store, "大道 14");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 2));
  g_assert_cmpstr (((PctSearchHit *) hits->pdata[0])->subtitle, ==, "A2");
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Units by name and by credit code. */
  hits = search_ok (store, "鼎盛商贸");
  g_assert_true (has_hit (hits, PCT_SEARCH_UNIT, 1));
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search_ok (store, "MA5U1234");
  g_assert_true (has_hit (hits, PCT_SEARCH_UNIT, 1));
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Two characters: below the trigram size, still found. */
  hits = search_ok (store, "张伟");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_true (has_hit (hits, PCT_SEARCH_PERSON, 2));
  g_clear_pointer (&hits, g_ptr_array_unref);
  /* Short queries find addresses through the road, compound, street or
   * community they name. */
  hits = search_ok (store, "长江");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 3));
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search_ok (store, "锦绣");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 4));
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search_ok (store, "几江");
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 1));
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 2));
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search_ok (store, "鼎");
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 1));
  g_assert_true (has_hit (hits, PCT_SEARCH_UNIT, 1));
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* One character: a surname. */
  hits = search_ok (store, "张");
  g_assert_true (has_hit (hits, PCT_SEARCH_PERSON, 1));
  g_assert_true (has_hit (hits, PCT_SEARCH_PERSON, 2));
  g_assert_false (has_hit (hits, PCT_SEARCH_PERSON, 3));
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* An ID number finds its person, and the hit shows it masked only. */
  hits = search_ok (store, "11010519491231002x");
  g_assert_true (has_hit (hits, PCT_SEARCH_PERSON, 1));
  for (guint i = 0; i < hits->len; i++)
    {
      PctSearchHit *hit = g_ptr_array_index (hits, i);
      g_assert_null (strstr (hit->subtitle, "11010519491231002X"));
      if (hit->kind == PCT_SEARCH_PERSON && hit->id == 1)
        g_assert_true (g_str_has_prefix (hit->subtitle, "110105********002X"));
    }
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Edits and deletions reach the index. */
  exec_ok (store, "UPDATE addresses SET display = '重庆市江津区几江街道 艾坪山路 1号' WHERE id = 1");
  hits = search_ok (store, "鼎山大道");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search_ok (store, "艾坪山");
  g_assert_true (has_hit (hits, PCT_SEARCH_ADDRESS, 1));
  g_clear_pointer (&hits, g_ptr_array_unref);
  exec_ok (store, "DELETE FROM units WHERE id = 1; DELETE FROM addresses WHERE id = 1");
  hits = search_ok (store, "艾坪山");
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Query syntax is data, not FTS operators. */
  hits = search_ok (store, "\"OR\" AND *");
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search_ok (store, "   ");
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search_ok (store, "100%");
  g_assert_cmpuint (hits->len, ==, 0);
}

/* For queries the index can answer, the index and the plain scan agree. */
static void
test_search_matches_scan (void)
{
  g_autoptr(PctStore) store = new_store ("search-scan.db");
  /* Three characters and more: what the trigram index answers. */
  const char *queries[] = { "测试路", "路 12", "12号", "江津区", "不存在的路" };

  fill_geometry (store, 500);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) indexed = pct_store_search (store, queries[i], 1000, &error);
      g_autoptr(GPtrArray) scanned = NULL;

      g_assert_no_error (error);
      scanned = pct_store_search_like_scan (store, queries[i], 1000, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (indexed->len, ==, scanned->len);
      for (guint j = 0; j < scanned->len; j++)
        {
          PctSearchHit *hit = g_ptr_array_index (scanned, j);
          g_assert_true (has_hit (indexed, hit->kind, hit->id));
        }
    }
}

/* Filling empty tables (pct_record_fill_new()) stands in for the store's
 * own triggers and foreign keys, and is ruled out for anything else. */
static void
test_fill_rules (void)
{
  static const char * const allowed[] = {
    "",
    /* Rows in a table without triggers: upserted as usual. */
    "INSERT INTO departments (id, code, name) VALUES (1, 'D0001', '城管')",
    /* A trigger that does nothing on an insert. */
    "CREATE TRIGGER t AFTER DELETE ON departments BEGIN DELETE FROM meta; END",
  };
  static const char * const ruled_out[] = {
    /* Rows in a table whose triggers would then have work to do. */
    "INSERT INTO areas (id, kind, polygon) VALUES (1, 'block', '[[0,0],[1,0],[1,1],[0,0]]')",
    "CREATE TRIGGER t BEFORE INSERT ON departments BEGIN SELECT 1; END",
    "CREATE TRIGGER t AFTER INSERT ON departments WHEN new.id > 0 BEGIN SELECT 1; END",
    "CREATE TRIGGER t AFTER INSERT ON departments BEGIN SELECT 1; SELECT 2; END",
    "CREATE TRIGGER t AFTER INSERT ON departments BEGIN SELECT old.id; END",
    /* A column a record does not carry. */
    "CREATE TRIGGER t AFTER INSERT ON incidents BEGIN SELECT new.version; END",
    /* Nested items are written straight. */
    "CREATE TRIGGER t AFTER INSERT ON person_rooms BEGIN SELECT 1; END",
    /* A foreign key the records do not carry as a reference. */
    "ALTER TABLE departments ADD COLUMN region_code TEXT REFERENCES regions (code)",
  };

  for (guint i = 0; i < G_N_ELEMENTS (allowed) + G_N_ELEMENTS (ruled_out); i++)
    {
      gboolean allow = i < G_N_ELEMENTS (allowed);
      const char *sql = allow ? allowed[i] : ruled_out[i - G_N_ELEMENTS (allowed)];
      g_autofree char *name = g_strdup_printf ("fill-%u.db", i);
      g_autoptr(PctStore) store = new_store (name);
      g_autoptr(GError) error = NULL;
      g_autoptr(PctRecordFill) fill = NULL;

      pct_store_exec (store, sql, &error);
      g_assert_no_error (error);
      fill = pct_record_fill_new (store, &error);
      g_assert_no_error (error);
      g_test_message ("%s: %s", sql, fill != NULL ? "filled" : "ruled out");
      g_assert_true ((fill != NULL) == allow);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/store/create", test_create);
  g_test_add_func ("/store/migrate-v1", test_migrate_v1);
  g_test_add_func ("/store/bad-files", test_bad_files);
  g_test_add_func ("/store/corrupt", test_corrupt);
  g_test_add_func ("/store/rtree-matches-scan", test_rtree_matches_scan);
  g_test_add_func ("/store/search", test_search);
  g_test_add_func ("/store/search-matches-scan", test_search_matches_scan);
  g_test_add_func ("/store/fill-rules", test_fill_rules);

  return g_test_run ();
}
