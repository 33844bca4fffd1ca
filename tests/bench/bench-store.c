/* bench-store.c — generating a district, opening its store, box queries and
 * text search against the plain LIKE scan
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints figures only; it asserts nothing about time, since the machines it
 * runs on are shared and noisy.
 */

#define G_LOG_DOMAIN "bench"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "bench-common.h"


#define N_BOXES 500
#define SEARCH_ROUNDS 5

static PctStore *
open_or_die (const char *path)
{
  g_autoptr(GError) error = NULL;
  PctStore *store = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);

  if (store == NULL)
    g_error ("%s", error->message);
  return store;
}

static void
bench_open (const char *path)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < 11; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(PctStore) store = open_or_die (path);
      double ms;
      gint64 count;

      /* Opening includes the first query a window makes. */
      pct_store_count (store, "addresses", &count, NULL);
      ms = bench_ms_since (start);
      g_array_append_val (times, ms);
    }
  bench_report ("open_store_ms", bench_percentile (times, 50), "ms");
}

static void
bench_boxes (PctStore *store)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (2026);
  g_autoptr(GArray) block = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) district = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  double half_lon, half_lat, found = 0;
  PctBBox extent;

  if (!pct_store_get_extent (store, &extent, &error))
    g_error ("%s", error->message);

  /* 500 m × 500 m at the district's latitude. */
  half_lat = 250.0 / 111320.0;
  half_lon = 250.0 / (111320.0 * cos ((extent.min_lat + extent.max_lat) / 2 * G_PI / 180.0));

  for (guint i = 0; i < N_BOXES; i++)
    {
      double lon = g_rand_double_range (rand, extent.min_lon, extent.max_lon);
      double lat = g_rand_double_range (rand, extent.min_lat, extent.max_lat);
      PctBBox box = { lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat };
      gint64 start = g_get_monotonic_time ();
      g_autoptr(GArray) refs = pct_store_query_bbox (store, PCT_LAYER_ADDRESSES, &box, 0, &error);
      double ms = bench_ms_since (start);

      if (refs == NULL)
        g_error ("%s", error->message);
      found += refs->len;
      g_array_append_val (block, ms);
    }
  bench_report ("bbox_query_block_p95_ms", bench_percentile (block, 95), "ms");
  bench_report ("bbox_query_block_mean_results", found / N_BOXES, "addresses");

  for (guint i = 0; i < 20; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(GArray) refs = pct_store_query_bbox (store, PCT_LAYER_ADDRESSES, &extent, 0, &error);
      double ms = bench_ms_since (start);

      if (refs == NULL)
        g_error ("%s", error->message);
      g_array_append_val (district, ms);
    }
  bench_report ("bbox_query_district_p95_ms", bench_percentile (district, 95), "ms");
}

/* Appends up to n values of a column, spread evenly over the table. The SQL
 * is fixed text; only n is bound. */
static void
add_samples (PctStore   *store,
             GPtrArray  *queries,
             const char *sql,
             guint       n,
             guint       first_chars)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);

  if (stmt == NULL)
    g_error ("%s", error->message);
  sqlite3_bind_int (stmt, 1, (int) n);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *text = (const char *) sqlite3_column_text (stmt, 0);

      if (text == NULL || *text == '\0')
        continue;
      if (first_chars > 0 && g_utf8_strlen (text, -1) > first_chars)
        {
          const char *end = g_utf8_offset_to_pointer (text, first_chars);
          g_ptr_array_add (queries, g_strndup (text, end - text));
        }
      else
        g_ptr_array_add (queries, g_strdup (text));
    }
  sqlite3_reset (stmt);
}

/* What operators type: whole road and compound names, the start of a road
 * name, a door on a road, a company name, a person's full name, a surname,
 * part of a credit code, and strings that match nothing. Drawn from the
 * district itself so that they exist whatever the seed. */
static GPtrArray *
realistic_queries (PctStore *store)
{
  GPtrArray *queries = g_ptr_array_new_with_free_func (g_free);

  add_samples (store, queries,
               "SELECT name FROM roads WHERE id % 7 = 1 ORDER BY id LIMIT ?", 10, 0);
  add_samples (store, queries,
               "SELECT name FROM roads WHERE id % 5 = 2 ORDER BY id LIMIT ?", 5, 3);
  add_samples (store, queries,
               "SELECT DISTINCT compound FROM addresses WHERE compound IS NOT NULL "
               "AND id % 97 = 3 LIMIT ?", 5, 0);
  add_samples (store, queries,
               "SELECT r.name || ' ' || a.door_number FROM addresses a JOIN roads r ON r.id = a.road_id "
               "WHERE a.kind = 'door' AND a.id % 89 = 5 LIMIT ?", 5, 0);
  add_samples (store, queries,
               "SELECT substr (name, 3, 4) FROM units WHERE id % 53 = 1 LIMIT ?", 5, 0);
  add_samples (store, queries,
               "SELECT name FROM people WHERE id % 1009 = 7 LIMIT ?", 5, 0);
  add_samples (store, queries,
               "SELECT substr (name, 1, 1) FROM people WHERE id % 2003 = 11 LIMIT ?", 3, 0);
  add_samples (store, queries,
               "SELECT substr (uscc, 9, 8) FROM units WHERE id % 211 = 2 LIMIT ?", 3, 0);
  g_ptr_array_add (queries, g_strdup ("不存在的地址"));
  g_ptr_array_add (queries, g_strdup ("火星路"));

  return queries;
}

static void
bench_search (PctStore *store)
{
  g_autoptr(GPtrArray) queries = realistic_queries (store);
  g_autoptr(GArray) indexed = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) scanned = g_array_new (FALSE, FALSE, sizeof (double));
  double p95_indexed, p95_scanned;

  for (guint round = 0; round < SEARCH_ROUNDS; round++)
    {
      for (guint i = 0; i < queries->len; i++)
        {
          const char *query = g_ptr_array_index (queries, i);
          g_autoptr(GError) error = NULL;
          g_autoptr(GPtrArray) a = NULL;
          g_autoptr(GPtrArray) b = NULL;
          gint64 start;
          double ms;

          start = g_get_monotonic_time ();
          a = pct_store_search (store, query, 20, &error);
          ms = bench_ms_since (start);
          if (a == NULL)
            g_error ("%s", error->message);
          g_array_append_val (indexed, ms);

          /* The scan is slow: one round of it is enough. */
          if (round > 0)
            continue;
          start = g_get_monotonic_time ();
          b = pct_store_search_like_scan (store, query, 20, &error);
          ms = bench_ms_since (start);
          if (b == NULL)
            g_error ("%s", error->message);
          g_array_append_val (scanned, ms);
        }
    }

  p95_indexed = bench_percentile (indexed, 95);
  p95_scanned = bench_percentile (scanned, 95);
  bench_report ("search_queries", queries->len, "queries");
  bench_report ("search_p95_ms", p95_indexed, "ms");
  bench_report ("search_like_scan_p95_ms", p95_scanned, "ms");
  bench_report ("search_speedup_p95", p95_scanned / MAX (p95_indexed, 0.001), "x");
}

int
main (int   argc,
      char *argv[])
{
  const char *size_name;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  g_autoptr(PctStore) store = NULL;
  GStatBuf st;
  double gen_seconds;

  bench_size (&size_name);
  path = bench_district (TRUE, &gen_seconds);

  name = g_strdup_printf ("gen_%s_s", size_name);
  bench_report (name, gen_seconds, "s");
  g_clear_pointer (&name, g_free);

  if (g_stat (path, &st) == 0)
    {
      name = g_strdup_printf ("store_%s_mb", size_name);
      bench_report (name, st.st_size / (1024.0 * 1024.0), "MB");
    }

  bench_open (path);

  store = open_or_die (path);
  bench_boxes (store);
  bench_search (store);

  return 0;
}
