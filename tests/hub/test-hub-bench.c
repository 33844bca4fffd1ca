/* test-hub-bench.c — figures of the hub's changes feed on a benchmark
 * district: seeding, page generation, bytes per record, gzip
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Measures the storage and the page writing the server does for each
 * GET /api/v1/changes (in its worker thread), without the network:
 *
 *   hub_seed_s                   seeding a new hub store from the district
 *   hub_page_2000_p50_ms, _p95_ms, _max_ms
 *                                one 2,000-record page, read and written
 *                                as JSON, over the whole feed (admin)
 *   hub_page_2000_masked_p95_ms  the same for a dispatcher (masking)
 *   hub_page_10000_p95_ms        pages of the largest size allowed
 *   hub_json_bytes_per_record    page JSON over records
 *   hub_gzip1_ratio, hub_gzip3_ratio, hub_gzip1_ms, hub_gzip3_ms
 *                                compressed size over JSON size, and the
 *                                p95 time to compress one 2,000-record page
 *
 * PRECINCT_BENCH_SIZE=small|medium|large (default large) picks the
 * district, MESON_BUILD_ROOT/bench-data/district-SIZE-vN.db, generated
 * when missing. Prints "bench: NAME VALUE UNIT"; asserts nothing on time.
 */

#define G_LOG_DOMAIN "test-hub-bench"

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "pct-generator.h"
#include "pct-hub-auth.h"
#include "pct-hub-server-private.h"
#include "pct-hub-sqlite.h"

#define BENCH_SEED 1
#define BENCH_REFERENCE_TIME G_GINT64_CONSTANT (1793462400)

static void
report (const char *name,
        double      value,
        const char *unit)
{
  printf ("bench: %s %.3f %s\n", name, value, unit);
  fflush (stdout);
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *values,
            double  p)
{
  guint index;

  g_array_sort (values, compare_doubles);
  index = (guint) (p / 100.0 * (values->len - 1) + 0.5);
  return g_array_index (values, double, MIN (index, values->len - 1));
}

static char *
district_path (const char **size_name)
{
  const char *name = g_getenv ("PRECINCT_BENCH_SIZE");
  const char *root = g_getenv ("MESON_BUILD_ROOT");
  PctDistrictSize size;
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *partial = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;

  if (name == NULL || !pct_district_size_from_string (name, &size))
    {
      name = "large";
      size = PCT_DISTRICT_LARGE;
    }
  *size_name = name;
  dir = g_build_filename (root != NULL ? root : g_get_tmp_dir (), "bench-data", NULL);
  file = g_strdup_printf ("district-%s-v%d.db", name, PCT_STORE_SCHEMA_VERSION);
  path = g_build_filename (dir, file, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&path);

  g_mkdir_with_parents (dir, 0755);
  partial = g_strconcat (path, ".partial", NULL);
  g_unlink (partial);
  store = pct_store_open (partial, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  if (store == NULL ||
      !pct_generate_district (store, size, BENCH_SEED, BENCH_REFERENCE_TIME, NULL, NULL, &error) ||
      !pct_store_exec (store, "PRAGMA wal_checkpoint(TRUNCATE)", &error))
    g_error ("Cannot generate the district: %s", error->message);
  g_clear_object (&store);
  if (g_rename (partial, path) != 0)
    g_error ("Cannot rename %s", partial);
  return g_steal_pointer (&path);
}

/* One page as the server writes it: the storage's records in the page
 * object. */
static GString *
page_json (PctHubStorage            *storage,
           const PctHubChangesQuery *query,
           gint64                   *last_seq,
           gboolean                 *has_more,
           guint                    *n_records)
{
  g_auto(PctHubChangesPage) page = { 0 };
  g_autoptr(GError) error = NULL;
  GString *json;

  if (!pct_hub_storage_read_changes (storage, query, &page, &error))
    g_error ("%s", error->message);
  json = g_string_sized_new (page.records->len + 128);
  g_string_append_printf (json, "{\"cursor\":\"%s.%" G_GINT64_FORMAT "\",\"has_more\":%s,"
                          "\"records\":[", pct_hub_storage_get_database_id (storage),
                          page.last_seq, page.has_more ? "true" : "false");
  g_string_append_len (json, page.records->str, (gssize) page.records->len);
  g_string_append (json, "]}");
  *last_seq = page.last_seq;
  *has_more = page.has_more;
  *n_records = page.n_records;
  return json;
}

typedef struct
{
  GArray  *page_ms;
  GArray  *gzip_ms[2];
  guint64  records;
  guint64  json_bytes;
  guint64  gzip_bytes[2];
} Walk;

/* Reads the whole feed in pages of limit; gzip, when set, also
 * compresses each page at levels 1 and 3. */
static void
walk_feed (PctHubStorage *storage,
           guint          limit,
           PctRole        role,
           gboolean       gzip,
           Walk          *walk)
{
  PctHubChangesQuery query = { 0, 0, limit, role, NULL };
  gboolean more = TRUE;

  walk->page_ms = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < 2; i++)
    walk->gzip_ms[i] = g_array_new (FALSE, FALSE, sizeof (double));

  while (more)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(GString) json = NULL;
      gint64 last_seq;
      guint n;
      double ms;

      json = page_json (storage, &query, &last_seq, &more, &n);
      ms = ms_since (start);
      g_array_append_val (walk->page_ms, ms);
      walk->records += n;
      walk->json_bytes += json->len;
      query.after = last_seq;

      for (guint i = 0; gzip && i < 2; i++)
        {
          g_autoptr(GBytes) compressed = NULL;

          start = g_get_monotonic_time ();
          compressed = _pct_hub_server_gzip (json->str, json->len, i == 0 ? 1 : 3);
          ms = ms_since (start);
          g_array_append_val (walk->gzip_ms[i], ms);
          walk->gzip_bytes[i] += g_bytes_get_size (compressed);
        }
    }
}

static void
walk_clear (Walk *walk)
{
  g_array_unref (walk->page_ms);
  g_array_unref (walk->gzip_ms[0]);
  g_array_unref (walk->gzip_ms[1]);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctHubSqlite) hub = NULL;
  g_autofree char *district = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *hub_path = NULL;
  g_autofree char *name = NULL;
  const char *size_name;
  PctHubStorage *storage;
  Walk admin = { 0 }, dispatcher = { 0 }, big = { 0 };
  gint64 start;

  district = district_path (&size_name);
  dir = g_dir_make_tmp ("precinct-hub-bench-XXXXXX", &error);
  g_assert_no_error (error);
  name = g_strdup_printf ("hub-%s.db", size_name);
  hub_path = g_build_filename (dir, name, NULL);

  if (!pct_hub_auth_init (&error))
    g_error ("%s", error->message);
  start = g_get_monotonic_time ();
  hub = pct_hub_sqlite_open (hub_path, PCT_HUB_SQLITE_OPEN_CREATE | PCT_HUB_SQLITE_OPEN_BULK,
                             &error);
  if (hub == NULL ||
      !pct_hub_storage_seed (PCT_HUB_STORAGE (hub), district, NULL, NULL, &error))
    g_error ("Cannot seed: %s", error->message);
  report ("hub_seed_s", ms_since (start) / 1000.0, "s");
  g_clear_object (&hub);

  /* As served: opened again, the file's pages cold for the first page
   * and warm after. */
  hub = pct_hub_sqlite_open (hub_path, PCT_HUB_SQLITE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  storage = PCT_HUB_STORAGE (hub);

  walk_feed (storage, 2000, PCT_ROLE_ADMIN, TRUE, &admin);
  report ("hub_feed_records", admin.records, "records");
  report ("hub_page_2000_p50_ms", percentile (admin.page_ms, 50), "ms");
  report ("hub_page_2000_p95_ms", percentile (admin.page_ms, 95), "ms");
  report ("hub_page_2000_max_ms", percentile (admin.page_ms, 100), "ms");
  report ("hub_json_bytes_per_record", (double) admin.json_bytes / admin.records, "B");
  report ("hub_gzip1_ratio", (double) admin.gzip_bytes[0] / admin.json_bytes, "x");
  report ("hub_gzip3_ratio", (double) admin.gzip_bytes[1] / admin.json_bytes, "x");
  report ("hub_gzip1_p95_ms", percentile (admin.gzip_ms[0], 95), "ms");
  report ("hub_gzip3_p95_ms", percentile (admin.gzip_ms[1], 95), "ms");
  report ("hub_gzip1_bytes_per_record", (double) admin.gzip_bytes[0] / admin.records, "B");

  walk_feed (storage, 2000, PCT_ROLE_DISPATCHER, FALSE, &dispatcher);
  report ("hub_page_2000_masked_p95_ms", percentile (dispatcher.page_ms, 95), "ms");

  walk_feed (storage, 10000, PCT_ROLE_ADMIN, FALSE, &big);
  report ("hub_page_10000_p95_ms", percentile (big.page_ms, 95), "ms");

  walk_clear (&admin);
  walk_clear (&dispatcher);
  walk_clear (&big);
  g_clear_object (&hub);
  for (const char * const *suffix = (const char *[]) { "", "-wal", "-shm", NULL }; *suffix;
       suffix++)
    {
      g_autofree char *file = g_strconcat (hub_path, *suffix, NULL);
      g_unlink (file);
    }
  g_rmdir (dir);
  return 0;
}
