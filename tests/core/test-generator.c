/* test-generator.c — the synthetic district: its RNG, geometry helpers and
 * the land it lays out
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pct-generator"

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pct-generator-private.h"
#include "pct-geo.h"

/* 2026-01-01 00:00 China Standard Time. */
#define REFERENCE_TIME G_GINT64_CONSTANT (1767196800)
#define SEED 20260101

/* One small district shared by the read-only checks; generating it is the
 * slow part and none of them writes. */
static char *shared_dir;
static PctStore *shared_store;

static PctStore *
open_new_store (const char *dir,
                const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  PctStore *store;

  store = pct_store_open (path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static PctStore *
generate (const char      *dir,
          const char      *name,
          PctDistrictSize  size,
          guint64          seed)
{
  g_autoptr(GError) error = NULL;
  PctStore *store = open_new_store (dir, name);
  gboolean ok;

  ok = pct_generate_district (store, size, seed, REFERENCE_TIME, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return store;
}

static PctStore *
get_small (void)
{
  if (shared_store == NULL)
    {
      g_autoptr(GError) error = NULL;

      shared_dir = g_dir_make_tmp ("test-generator-XXXXXX", &error);
      g_assert_no_error (error);
      shared_store = generate (shared_dir, "small.db", PCT_DISTRICT_SMALL, SEED);
    }
  return shared_store;
}

static gint64
query_int (PctStore   *store,
           const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  sqlite3 *db = pct_store_get_handle (store);
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  return value;
}

/* The same with one bound integer parameter. */
static gint64
query_int_with (PctStore   *store,
                const char *sql,
                gint64      param)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  sqlite3 *db = pct_store_get_handle (store);

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, param);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

static gint64
query_int_with_text (PctStore   *store,
                     const char *sql,
                     const char *param)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  sqlite3 *db = pct_store_get_handle (store);

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, param, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

static sqlite3_stmt *
query (PctStore   *store,
       const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  return stmt;
}

static GArray *
parse_coords (const char *text)
{
  g_autoptr(GError) error = NULL;
  GArray *points = pct_geo_parse_coords (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (points);
  return points;
}

static void
get_extent (PctStore *store,
            PctBBox  *extent)
{
  g_autofree char *text = pct_store_get_meta (store, "extent");
  g_auto(GStrv) parts = NULL;

  g_assert_nonnull (text);
  parts = g_strsplit (text, ",", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  extent->min_lon = g_ascii_strtod (parts[0], NULL);
  extent->min_lat = g_ascii_strtod (parts[1], NULL);
  extent->max_lon = g_ascii_strtod (parts[2], NULL);
  extent->max_lat = g_ascii_strtod (parts[3], NULL);
  g_assert_cmpfloat (extent->min_lon, <, extent->max_lon);
  g_assert_cmpfloat (extent->min_lat, <, extent->max_lat);
}

static gboolean
in_extent (const PctBBox *extent,
           double         lon,
           double         lat)
{
  return lon > extent->min_lon && lon < extent->max_lon &&
         lat > extent->min_lat && lat < extent->max_lat;
}

static void
test_sizes (void)
{
  PctDistrictSize size = PCT_DISTRICT_LARGE;

  g_assert_true (pct_district_size_from_string ("small", &size));
  g_assert_cmpint (size, ==, PCT_DISTRICT_SMALL);
  g_assert_true (pct_district_size_from_string ("medium", &size));
  g_assert_cmpint (size, ==, PCT_DISTRICT_MEDIUM);
  g_assert_true (pct_district_size_from_string ("LARGE", &size));
  g_assert_cmpint (size, ==, PCT_DISTRICT_LARGE);
  g_assert_false (pct_district_size_from_string ("huge", &size));
  g_assert_false (pct_district_size_from_string (NULL, &size));
  g_assert_cmpint (size, ==, PCT_DISTRICT_LARGE);
}

static void
test_rng (void)
{
  PctRng a, b, c;
  guint hits[10] = { 0, };
  double sum = 0, sum2 = 0;
  static const double weights[] = { 0, 1, 0, 3 };
  guint picked[4] = { 0, };

  pct_rng_init (&a, 42, "stream");
  pct_rng_init (&b, 42, "stream");
  pct_rng_init (&c, 42, "other");
  for (int i = 0; i < 100; i++)
    {
      guint64 x = pct_rng_next (&a);

      g_assert_cmpuint (x, ==, pct_rng_next (&b));
      g_assert_cmpuint (x, !=, pct_rng_next (&c));
    }

  /* A seed of 0 still gives a working generator. */
  pct_rng_init (&a, 0, "");
  g_assert_cmpuint (pct_rng_next (&a) | pct_rng_next (&a), !=, 0);

  for (int i = 0; i < 20000; i++)
    {
      double d = pct_rng_double (&a);
      gint64 r = pct_rng_range (&a, -3, 7);

      g_assert_cmpfloat (d, >=, 0.0);
      g_assert_cmpfloat (d, <, 1.0);
      g_assert_cmpint (r, >=, -3);
      g_assert_cmpint (r, <, 7);
      hits[r + 3]++;
      picked[pct_rng_weighted (&a, weights, 4)]++;
    }
  for (int i = 0; i < 10; i++)
    g_assert_cmpuint (hits[i], >, 1700);
  g_assert_cmpuint (picked[0], ==, 0);
  g_assert_cmpuint (picked[2], ==, 0);
  g_assert_cmpfloat (fabs ((double) picked[3] / picked[1] - 3.0), <, 0.3);

  g_assert_cmpint (pct_rng_range (&a, 5, 5), ==, 5);
  g_assert_true (pct_rng_chance (&a, 1.0));
  g_assert_false (pct_rng_chance (&a, 0.0));

  for (int i = 0; i < 20000; i++)
    {
      double x = pct_rng_normal (&a, 10, 2);
      sum += x;
      sum2 += x * x;
    }
  g_assert_cmpfloat (fabs (sum / 20000 - 10), <, 0.1);
  g_assert_cmpfloat (fabs (sqrt (sum2 / 20000 - (sum / 20000) * (sum / 20000)) - 2), <, 0.1);
}

static void
test_geo (void)
{
  static const PctGeoPoint square[] = { { 0, 0 }, { 10, 0 }, { 10, 10 }, { 0, 10 } };
  /* An L shape: the notch at the top right is outside. */
  static const PctGeoPoint ell[] = { { 0, 0 }, { 10, 0 }, { 10, 5 }, { 5, 5 }, { 5, 10 },
                                     { 0, 10 } };
  static const PctGeoPoint line[] = { { 0, 0 }, { 10, 0 }, { 10, 10 } };
  PctGeoFrame frame;
  double x, y, lon, lat, cx, cy;
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GArray) parsed = NULL;
  g_autoptr(GError) error = NULL;
  GArray *bad;

  g_assert_true (pct_geo_point_in_polygon (square, 4, 5, 5));
  g_assert_false (pct_geo_point_in_polygon (square, 4, 15, 5));
  g_assert_false (pct_geo_point_in_polygon (square, 4, -0.1, 5));
  g_assert_true (pct_geo_point_in_polygon (ell, 6, 2, 8));
  g_assert_false (pct_geo_point_in_polygon (ell, 6, 8, 8));
  g_assert_false (pct_geo_point_in_polygon (square, 2, 5, 5));

  g_assert_cmpfloat (pct_geo_polygon_area (square, 4), ==, 100);
  g_assert_cmpfloat (pct_geo_polygon_area (ell, 6), ==, 75);
  pct_geo_polygon_centroid (square, 4, &cx, &cy);
  g_assert_cmpfloat (fabs (cx - 5), <, 1e-12);
  g_assert_cmpfloat (fabs (cy - 5), <, 1e-12);
  pct_geo_polygon_centroid (ell, 6, &cx, &cy);
  g_assert_cmpfloat (fabs (cx - 25.0 / 6), <, 1e-9);
  g_assert_cmpfloat (fabs (cy - 25.0 / 6), <, 1e-9);

  g_assert_cmpfloat (pct_geo_distance_to_polyline (line, 3, 5, -3), ==, 3);
  g_assert_cmpfloat (pct_geo_distance_to_polyline (line, 3, 13, 5), ==, 3);

  /* A degree of latitude is about 110.8 km near Chongqing. */
  g_assert_cmpfloat (fabs (pct_geo_metres_per_degree_lat (29.29) - 110800), <, 200);
  g_assert_cmpfloat (fabs (pct_geo_distance (106.25, 29.0, 106.25, 30.0) - 111195), <, 10);
  pct_geo_frame_init (&frame, 106.25, 29.29);
  pct_geo_frame_to_lonlat (&frame, 1000, -500, &lon, &lat);
  g_assert_cmpfloat (fabs (pct_geo_distance (106.25, 29.29, lon, 29.29) - 1000), <, 2);
  g_assert_cmpfloat (fabs (pct_geo_distance (106.25, 29.29, 106.25, lat) - 500), <, 2);
  pct_geo_frame_from_lonlat (&frame, lon, lat, &x, &y);
  g_assert_cmpfloat (fabs (x - 1000), <, 1e-6);
  g_assert_cmpfloat (fabs (y + 500), <, 1e-6);

  pct_geo_mercator_project (0, 0, &x, &y);
  g_assert_cmpfloat (fabs (x - 0.5), <, 1e-12);
  g_assert_cmpfloat (fabs (y - 0.5), <, 1e-12);
  pct_geo_mercator_project (-180, PCT_GEO_MERCATOR_MAX_LAT, &x, &y);
  g_assert_cmpfloat (fabs (x), <, 1e-12);
  g_assert_cmpfloat (fabs (y), <, 1e-9);
  pct_geo_mercator_project (106.25, 29.29, &x, &y);
  g_assert_cmpfloat (y, <, 0.5);
  pct_geo_mercator_unproject (x, y, &lon, &lat);
  g_assert_cmpfloat (fabs (lon - 106.25), <, 1e-9);
  g_assert_cmpfloat (fabs (lat - 29.29), <, 1e-9);

  pct_geo_append_coords (json, line, 3);
  g_assert_cmpstr (json->str, ==,
                   "[[0.0000000,0.0000000],[10.0000000,0.0000000],[10.0000000,10.0000000]]");
  parsed = pct_geo_parse_coords (" [ [1.5, -2] ,[3,4e1]] ", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parsed->len, ==, 2);
  g_assert_cmpfloat (g_array_index (parsed, PctGeoPoint, 1).y, ==, 40);
  g_clear_pointer (&parsed, g_array_unref);
  parsed = pct_geo_parse_coords ("[]", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parsed->len, ==, 0);

  bad = pct_geo_parse_coords ("[[1,2],[3]]", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (bad);
  g_clear_error (&error);
  bad = pct_geo_parse_coords ("[[1,2]] x", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (bad);
}

static void
test_small_counts (void)
{
  PctStore *store = get_small ();
  g_autofree char *code = pct_store_get_meta (store, "district_code");
  g_autofree char *name = pct_store_get_meta (store, "district_name");
  g_autofree char *size = pct_store_get_meta (store, "size");
  g_autofree char *length = pct_store_get_meta (store, "grid_code_length");
  g_autofree char *url = pct_store_get_meta (store, "plate_base_url");
  gint64 addresses = query_int (store, "SELECT count(*) FROM addresses");
  gint64 buildings = query_int (store, "SELECT count(*) FROM buildings");
  gint64 rooms = query_int (store, "SELECT count(*) FROM rooms");
  gint64 facilities = query_int (store, "SELECT count(*) FROM facilities");
  gint64 cells = query_int (store, "SELECT count(*) FROM grid_cells");
  gint64 units = query_int (store, "SELECT count(*) FROM addresses WHERE kind = 'unit'");

  g_assert_cmpstr (code, ==, "500116");
  g_assert_cmpstr (name, ==, "江津区");
  g_assert_cmpstr (size, ==, "small");
  g_assert_cmpstr (length, ==, "14");
  g_assert_true (g_str_has_prefix (url, "https://"));

  /* small is 0.008 of large: 2,000 addresses ±5 %, 240 buildings ±15 %,
   * 2,400 rooms ±10 %, 80 facilities, 8 grid cells. */
  g_assert_cmpint (addresses, >=, 1900);
  g_assert_cmpint (addresses, <=, 2100);
  g_assert_cmpint (buildings, >=, 204);
  g_assert_cmpint (buildings, <=, 276);
  g_assert_cmpint (rooms, >=, 2160);
  g_assert_cmpint (rooms, <=, 2640);
  g_assert_cmpint (facilities, >=, 50);
  g_assert_cmpint (facilities, <=, 130);
  g_assert_cmpint (cells, >=, 4);
  g_assert_cmpint (cells, <=, 12);
  g_assert_cmpint (units, ==, query_int (store, "SELECT sum(units) FROM buildings"));

  g_assert_cmpint (query_int (store, "SELECT count(*) FROM regions WHERE code = '500000' "
                                     "AND level = 11"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM regions WHERE code = '500116' "
                                     "AND level = 13 AND parent_code = '500000'"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM regions WHERE level = 23 "
                                     "AND length (code) = 9 AND parent_code = '500116'"), >=, 3);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM regions c JOIN regions s "
                                     "ON s.code = c.parent_code WHERE c.level = 31 "
                                     "AND s.level = 23 AND length (c.code) = 12 "
                                     "AND substr (c.code, 1, 9) = s.code"),
                   ==, query_int (store, "SELECT count(*) FROM regions WHERE level = 31"));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM regions WHERE level = 31"), >=, 3);

  /* Every cell: 14 digits, its community's code first, named after it. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM grid_cells g JOIN regions r "
                                     "ON r.code = g.community_code WHERE length (g.code) = 14 "
                                     "AND substr (g.code, 1, 12) = r.code "
                                     "AND g.name LIKE r.name || '第%网格'"), ==, cells);

  /* Roads of every class, uniquely named with the class's suffix. */
  for (int klass = 1; klass <= 4; klass++)
    g_assert_cmpint (query_int_with (store, "SELECT count(*) FROM roads WHERE class = ?1", klass),
                     >, 0);
  g_assert_cmpint (query_int (store, "SELECT count(DISTINCT name) FROM roads"), ==,
                   query_int (store, "SELECT count(*) FROM roads"));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM roads WHERE NOT ("
                                     "(class = 1 AND name LIKE '%大道') OR "
                                     "(class = 2 AND name LIKE '%路') OR "
                                     "(class = 3 AND name LIKE '%街') OR "
                                     "(class = 4 AND name LIKE '%巷'))"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT min (json_array_length (geometry)) FROM roads"),
                   >=, 3);

  g_assert_cmpint (query_int (store, "SELECT count(*) FROM areas WHERE kind = 'water'"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM areas WHERE kind = 'block'"), >, 20);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM areas WHERE kind = 'compound' "
                                     "AND name IS NOT NULL"), >, 0);

  /* The address hierarchy: unit → building → door. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM buildings b JOIN addresses a "
                                     "ON a.id = b.address_id WHERE a.kind = 'building'"),
                   ==, buildings);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses u JOIN addresses b "
                                     "ON b.id = u.parent_id JOIN addresses d "
                                     "ON d.id = b.parent_id WHERE u.kind = 'unit' "
                                     "AND b.kind = 'building' AND d.kind = 'door'"), ==, units);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses WHERE length (code) <> 25 "
                                     "OR code GLOB '*[^0-9]*' OR grid_id IS NULL "
                                     "OR substr (code, 1, 12) <> region_code"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses WHERE kind = 'unit' AND "
                                     "display NOT LIKE '重庆市江津区%街道 %号 %栋 %单元'"), ==, 0);

  /* Floors and units in the ranges of the building kinds. */
  g_assert_cmpint (query_int (store, "SELECT max (floors_above) FROM buildings"), <=, 33);
  g_assert_cmpint (query_int (store, "SELECT max (floors_below) FROM buildings"), <=, 2);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM buildings WHERE floors_below > 0"),
                   >, buildings / 10);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM buildings WHERE floors_below > 0"),
                   <, buildings * 3 / 10);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM rooms WHERE floor < 0 "
                                     "AND use NOT IN ('parking', 'storage')"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM rooms WHERE area < 40 "
                                     "OR area > 140"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM rooms WHERE occupancy = 'owner'"),
                   >, rooms * 4 / 10);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM rooms WHERE occupancy = 'owner'"),
                   <, rooms * 7 / 10);
}

typedef struct
{
  double arc;
  int    number;
} DoorOnRoad;

static int
compare_arc (gconstpointer a,
             gconstpointer b)
{
  const DoorOnRoad *da = a, *db = b;

  return da->arc < db->arc ? -1 : da->arc > db->arc ? 1 : 0;
}

/* Odd numbers on the left of the road's direction, even on the right,
 * each side counting up along it, for every road of the district. */
static void
test_small_door_sides (void)
{
  PctStore *store = get_small ();
  g_autoptr(sqlite3_stmt) roads = query (store, "SELECT id, geometry FROM roads");
  /* The second record of a duplicated door stands up to 3 m off and could
   * swap places with a neighbour: only first records are checked. */
  g_autoptr(sqlite3_stmt) doors = query (store, "SELECT door_number, lon, lat FROM addresses a "
                                                "WHERE kind = 'door' AND road_id = ?1 "
                                                "AND NOT EXISTS (SELECT 1 FROM addresses o "
                                                "WHERE o.display = a.display AND o.id < a.id)");
  int checked = 0;

  while (sqlite3_step (roads) == SQLITE_ROW)
    {
      g_autoptr(GArray) line = parse_coords ((const char *) sqlite3_column_text (roads, 1));
      GArray *sides[2];
      const PctGeoPoint *p = (const PctGeoPoint *) line->data;

      sides[0] = g_array_new (FALSE, FALSE, sizeof (DoorOnRoad));
      sides[1] = g_array_new (FALSE, FALSE, sizeof (DoorOnRoad));
      sqlite3_reset (doors);
      sqlite3_bind_int64 (doors, 1, sqlite3_column_int64 (roads, 0));
      while (sqlite3_step (doors) == SQLITE_ROW)
        {
          const char *number = (const char *) sqlite3_column_text (doors, 0);
          double x = sqlite3_column_double (doors, 1), y = sqlite3_column_double (doors, 2);
          double best = G_MAXDOUBLE, arc = 0, best_arc = 0, cross = 0;
          DoorOnRoad d;

          g_assert_true (g_str_has_suffix (number, "号"));
          d.number = atoi (number);
          g_assert_cmpint (d.number, >, 0);

          for (guint i = 0; i + 1 < line->len; i++)
            {
              double dx = p[i + 1].x - p[i].x, dy = p[i + 1].y - p[i].y;
              double len2 = dx * dx + dy * dy;
              double t = CLAMP (((x - p[i].x) * dx + (y - p[i].y) * dy) / len2, 0.0, 1.0);
              double qx = p[i].x + t * dx, qy = p[i].y + t * dy;
              double dist = hypot (x - qx, y - qy);

              if (dist < best)
                {
                  best = dist;
                  best_arc = arc + t * sqrt (len2);
                  cross = dx * (y - p[i].y) - dy * (x - p[i].x);
                }
              arc += sqrt (len2);
            }

          d.arc = best_arc;
          /* Positive cross product: the door is left of the direction. */
          g_assert_cmpint (d.number % 2 == 1, ==, cross > 0);
          g_array_append_val (sides[d.number % 2], d);
          checked++;
        }

      for (int s = 0; s < 2; s++)
        {
          g_array_sort (sides[s], compare_arc);
          for (guint i = 1; i < sides[s]->len; i++)
            g_assert_cmpint (g_array_index (sides[s], DoorOnRoad, i - 1).number, <=,
                             g_array_index (sides[s], DoorOnRoad, i).number);
          g_array_unref (sides[s]);
        }
    }

  g_assert_cmpint (checked, ==, query_int (store, "SELECT count(DISTINCT display) FROM addresses "
                                                  "WHERE kind = 'door'"));
}

static void
test_small_inside (void)
{
  PctStore *store = get_small ();
  g_autoptr(GHashTable) cells = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                       (GDestroyNotify) g_array_unref);
  g_autoptr(sqlite3_stmt) grid = query (store, "SELECT id, polygon FROM grid_cells");
  g_autoptr(sqlite3_stmt) addresses = query (store, "SELECT lon, lat, grid_id FROM addresses");
  g_autoptr(sqlite3_stmt) buildings = query (store, "SELECT footprint, lon, lat, grid_id "
                                                    "FROM buildings");
  g_autoptr(sqlite3_stmt) facilities = query (store, "SELECT lon, lat FROM facilities");
  PctBBox extent;
  double cell_area = 0, district_area;

  get_extent (store, &extent);

  while (sqlite3_step (grid) == SQLITE_ROW)
    {
      gint64 *id = g_new (gint64, 1);
      GArray *ring = parse_coords ((const char *) sqlite3_column_text (grid, 1));

      *id = sqlite3_column_int64 (grid, 0);
      for (guint i = 0; i < ring->len; i++)
        {
          const PctGeoPoint *q = &g_array_index (ring, PctGeoPoint, i);

          g_assert_cmpfloat (q->x, >=, extent.min_lon - 1e-7);
          g_assert_cmpfloat (q->x, <=, extent.max_lon + 1e-7);
          g_assert_cmpfloat (q->y, >=, extent.min_lat - 1e-7);
          g_assert_cmpfloat (q->y, <=, extent.max_lat + 1e-7);
        }
      cell_area += fabs (pct_geo_polygon_area ((const PctGeoPoint *) ring->data, ring->len));
      g_hash_table_insert (cells, id, ring);
    }

  /* The cells tile the district: their areas add up to its area. */
  district_area = (extent.max_lon - extent.min_lon) * (extent.max_lat - extent.min_lat);
  g_assert_cmpfloat (fabs (cell_area - district_area) / district_area, <, 1e-4);

  while (sqlite3_step (addresses) == SQLITE_ROW)
    {
      double lon = sqlite3_column_double (addresses, 0);
      double lat = sqlite3_column_double (addresses, 1);
      gint64 grid_id = sqlite3_column_int64 (addresses, 2);
      GArray *ring = g_hash_table_lookup (cells, &grid_id);

      g_assert_true (in_extent (&extent, lon, lat));
      g_assert_nonnull (ring);
      g_assert_true (pct_geo_point_in_polygon ((const PctGeoPoint *) ring->data, ring->len,
                                               lon, lat));
    }

  while (sqlite3_step (buildings) == SQLITE_ROW)
    {
      g_autoptr(GArray) footprint = parse_coords ((const char *) sqlite3_column_text (buildings,
                                                                                      0));
      gint64 grid_id = sqlite3_column_int64 (buildings, 3);
      GArray *ring = g_hash_table_lookup (cells, &grid_id);
      double cx, cy;

      g_assert_cmpuint (footprint->len, ==, 4);
      g_assert_nonnull (ring);
      for (guint i = 0; i < footprint->len; i++)
        {
          const PctGeoPoint *q = &g_array_index (footprint, PctGeoPoint, i);

          g_assert_true (in_extent (&extent, q->x, q->y));
          g_assert_true (pct_geo_point_in_polygon ((const PctGeoPoint *) ring->data, ring->len,
                                                   q->x, q->y));
        }
      pct_geo_polygon_centroid ((const PctGeoPoint *) footprint->data, footprint->len, &cx, &cy);
      g_assert_cmpfloat (pct_geo_distance (cx, cy, sqlite3_column_double (buildings, 1),
                                           sqlite3_column_double (buildings, 2)), <, 0.05);
    }

  while (sqlite3_step (facilities) == SQLITE_ROW)
    g_assert_true (in_extent (&extent, sqlite3_column_double (facilities, 0),
                              sqlite3_column_double (facilities, 1)));
}

static void
test_small_codes (void)
{
  PctStore *store = get_small ();

  g_assert_cmpint (query_int (store, "SELECT count(DISTINCT code) FROM rooms"), ==,
                   query_int (store, "SELECT count(*) FROM rooms"));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM rooms WHERE length (code) <> 29 "
                                     "OR code GLOB '*[^0-9]*'"), ==, 0);
  /* A room's code is its unit entrance's code and four digits. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM rooms r JOIN buildings b "
                                     "ON b.id = r.building_id WHERE NOT EXISTS ("
                                     "SELECT 1 FROM addresses a WHERE a.kind = 'unit' "
                                     "AND a.code = substr (r.code, 1, 25) "
                                     "AND a.parent_id = b.address_id "
                                     "AND a.unit_no = r.unit_no || '单元')"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM rooms WHERE floor > 0 AND "
                                     "room_no <> CAST (substr (code, 26) AS INTEGER)"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM rooms WHERE floor < 0 AND "
                                     "room_no NOT GLOB 'B[12][0-9][0-9]'"), ==, 0);
  /* Every unit has each of its floors, top to bottom. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM ("
                                     "SELECT r.building_id, r.unit_no, count(DISTINCT r.floor) n "
                                     "FROM rooms r GROUP BY r.building_id, r.unit_no) x "
                                     "JOIN buildings b ON b.id = x.building_id "
                                     "WHERE x.n <> b.floors_above + b.floors_below"), ==, 0);
}

static void
test_small_plates (void)
{
  PctStore *store = get_small ();
  gint64 addresses = query_int (store, "SELECT count(*) FROM addresses");
  gint64 installed = query_int (store, "SELECT count(DISTINCT address_id) FROM plates "
                                       "WHERE status = 'installed'");
  gint64 without = query_int (store, "SELECT count(*) FROM addresses a WHERE NOT EXISTS ("
                                     "SELECT 1 FROM plates p WHERE p.address_id = a.id)");

  g_assert_cmpint (query_int (store, "SELECT count(DISTINCT token) FROM plates"), ==,
                   query_int (store, "SELECT count(*) FROM plates"));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM plates WHERE length (token) <> 26 "
                                     "OR token GLOB '*[^a-z2-7]*'"), ==, 0);
  g_assert_cmpfloat ((double) installed / addresses, >, 0.80);
  g_assert_cmpfloat ((double) installed / addresses, <, 0.91);
  g_assert_cmpfloat ((double) without / addresses, >, 0.06);
  g_assert_cmpfloat ((double) without / addresses, <, 0.16);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM plates WHERE status = 'damaged'"),
                   >, 0);

  /* A replaced plate points at the installed one for the same address,
   * issued after it. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM plates o LEFT JOIN plates n "
                                     "ON n.id = o.replaced_by WHERE o.replaced_by IS NOT NULL "
                                     "AND (n.status <> 'installed' OR n.address_id <> "
                                     "o.address_id OR n.issued_at <= o.issued_at "
                                     "OR o.status NOT IN ('lost', 'revoked'))"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM plates WHERE issued_at >= "
                                     "(SELECT value FROM meta WHERE key = 'reference_time') "
                                     "OR installed_at < issued_at"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM plates p JOIN addresses a "
                                     "ON a.id = p.address_id WHERE NOT ("
                                     "(a.kind = 'door' AND p.size IN ('large', 'medium')) OR "
                                     "(a.kind = 'building' AND p.size = 'building') OR "
                                     "(a.kind = 'unit' AND p.size = 'unit'))"), ==, 0);
}

static void
test_small_duplicates (void)
{
  PctStore *store = get_small ();
  g_autofree char *defects = pct_store_get_meta (store, "defects");
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) pairs = NULL;
  gint64 documented, doors, found = 0;

  g_assert_nonnull (defects);
  root = json_from_string (defects, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  documented = json_object_get_int_member (json_node_get_object (root), "duplicate_addresses");

  /* 0.5 % of the real doors, rounded; the duplicates come on top. */
  doors = query_int (store, "SELECT count(*) FROM addresses WHERE kind = 'door'") - documented;
  g_assert_cmpint (documented, ==, (gint64) round (doors * 0.005));
  g_assert_cmpint (documented, >, 0);

  pairs = query (store, "SELECT a.lon, a.lat, b.lon, b.lat, a.code <> b.code FROM addresses a "
                        "JOIN addresses b ON b.display = a.display AND b.id > a.id");
  while (sqlite3_step (pairs) == SQLITE_ROW)
    {
      double d = pct_geo_distance (sqlite3_column_double (pairs, 0),
                                   sqlite3_column_double (pairs, 1),
                                   sqlite3_column_double (pairs, 2),
                                   sqlite3_column_double (pairs, 3));

      g_assert_cmpfloat (d, <, 3.0);
      g_assert_cmpint (sqlite3_column_int (pairs, 4), ==, 1);
      found++;
    }
  g_assert_cmpint (found, ==, documented);
}

static void
test_small_facilities (void)
{
  PctStore *store = get_small ();
  const char * const categories[] = {
    PCT_GEN_CAT_WATER_COVER, PCT_GEN_CAT_SEWER_COVER, PCT_GEN_CAT_RAIN_COVER,
    PCT_GEN_CAT_HYDRANT, PCT_GEN_CAT_CAMERA, PCT_GEN_CAT_EXTINGUISHER, PCT_GEN_CAT_FIRE_EXIT,
  };

  g_assert_cmpint (query_int (store, "SELECT count(*) FROM facilities f JOIN categories c "
                                     "ON c.id = f.category_id WHERE length (f.code) <> 16 "
                                     "OR f.code GLOB '*[^0-9]*' "
                                     "OR substr (f.code, 1, 6) <> '500116' "
                                     "OR substr (f.code, 7, 4) <> substr (c.code, 2, 4)"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(DISTINCT code) FROM facilities"), ==,
                   query_int (store, "SELECT count(*) FROM facilities"));

  for (guint i = 0; i < G_N_ELEMENTS (categories); i++)
    g_assert_cmpint (query_int_with_text (store, "SELECT count(*) FROM facilities f "
                                                 "JOIN categories c ON c.id = f.category_id "
                                                 "WHERE c.code = ?1", categories[i]), >, 0);

  /* Extinguishers and exits belong to a building, the street ones do not. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM facilities f JOIN categories c "
                                     "ON c.id = f.category_id WHERE (c.code IN ('C0601', 'C0602')) "
                                     "<> (f.building_id IS NOT NULL)"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM facilities f JOIN categories c "
                                     "ON c.id = f.category_id JOIN departments d "
                                     "ON d.id = f.department_id WHERE c.code = 'C0101' "
                                     "AND d.name LIKE '%市政设施管理处'"), ==,
                   query_int (store, "SELECT count(*) FROM facilities f JOIN categories c "
                                     "ON c.id = f.category_id WHERE c.code = 'C0101'"));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM facilities WHERE status = 'normal'"),
                   >, query_int (store, "SELECT count(*) FROM facilities") * 8 / 10);
}

typedef struct
{
  char    *last_what;
  guint64  last_done;
  guint64  last_total;
  guint    calls;
  guint    geography_calls;
  gboolean geography_finished;
} ProgressLog;

static void
progress_cb (const char *what,
             guint64     done,
             guint64     total,
             gpointer    user_data)
{
  ProgressLog *log = user_data;

  log->calls++;
  g_assert_cmpuint (done, <=, total);
  if (g_strcmp0 (what, "geography") == 0)
    {
      log->geography_calls++;
      if (total > 1 && done == total)
        log->geography_finished = TRUE;
    }
  g_free (log->last_what);
  log->last_what = g_strdup (what);
  log->last_done = done;
  log->last_total = total;
}

static void
test_determinism (void)
{
  const char *dir = g_get_user_data_dir ();
  g_autoptr(PctStore) a = NULL;
  g_autoptr(PctStore) b = NULL;
  g_autoptr(PctStore) c = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash_a = NULL, *hash_b = NULL, *hash_c = NULL;
  ProgressLog log = { 0 };
  gboolean ok;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  a = generate (dir, "a.db", PCT_DISTRICT_SMALL, 7);

  b = open_new_store (dir, "b.db");
  ok = pct_generate_district (b, PCT_DISTRICT_SMALL, 7, REFERENCE_TIME, progress_cb, &log,
                              &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  c = generate (dir, "c.db", PCT_DISTRICT_SMALL, 8);

  hash_a = pct_store_content_hash (a, &error);
  g_assert_no_error (error);
  hash_b = pct_store_content_hash (b, &error);
  g_assert_no_error (error);
  hash_c = pct_store_content_hash (c, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hash_a, ==, hash_b);
  g_assert_cmpstr (hash_a, !=, hash_c);

  /* Progress is throttled to about one report per percent per phase. */
  g_assert_true (log.geography_finished);
  g_assert_cmpuint (log.geography_calls, >, 10);
  g_assert_cmpuint (log.geography_calls, <=, 110);
  g_assert_cmpstr (log.last_what, ==, "cases");
  g_assert_cmpuint (log.last_done, ==, log.last_total);
  g_free (log.last_what);
}

static void
test_non_empty (void)
{
  const char *dir = g_get_user_data_dir ();
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash_before = NULL, *hash_after = NULL;
  gboolean ok;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  store = generate (dir, "twice.db", PCT_DISTRICT_SMALL, 1);
  hash_before = pct_store_content_hash (store, &error);
  g_assert_no_error (error);

  ok = pct_generate_district (store, PCT_DISTRICT_SMALL, 2, REFERENCE_TIME, NULL, NULL, &error);
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_assert_false (ok);
  g_clear_error (&error);

  /* Nothing changed, and the store is usable: no transaction left open. */
  hash_after = pct_store_content_hash (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hash_before, ==, hash_after);
  g_assert_true (sqlite3_get_autocommit (pct_store_get_handle (store)));
  g_assert_true (pct_store_set_meta (store, "probe", "1", &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/generator/sizes", test_sizes);
  g_test_add_func ("/generator/rng", test_rng);
  g_test_add_func ("/generator/geo", test_geo);
  g_test_add_func ("/generator/small/counts", test_small_counts);
  g_test_add_func ("/generator/small/door-sides", test_small_door_sides);
  g_test_add_func ("/generator/small/inside", test_small_inside);
  g_test_add_func ("/generator/small/codes", test_small_codes);
  g_test_add_func ("/generator/small/plates", test_small_plates);
  g_test_add_func ("/generator/small/duplicates", test_small_duplicates);
  g_test_add_func ("/generator/small/facilities", test_small_facilities);
  g_test_add_func ("/generator/determinism", test_determinism);
  g_test_add_func ("/generator/non-empty", test_non_empty);

  ret = g_test_run ();

  g_clear_object (&shared_store);
  if (shared_dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (shared_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (shared_dir, name, NULL);
          g_unlink (path);
        }
      g_rmdir (shared_dir);
      g_free (shared_dir);
    }

  return ret;
}
