/* test-pick.c — picking map features, against a brute-force search
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every feature of a small generated district is read into memory, and
 * the same question pct_pick_at() answers through the R*Trees is answered
 * by looking at all of them: the nearest point within the radius in the
 * first layer (by priority) that has one, else the smallest area holding
 * the point. Clicks are thrown at random across the district, at features
 * themselves and just beside them.
 */

#define G_LOG_DOMAIN "test-pick"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "pct-generator.h"
#include "pct-geo.h"
#include "pct-pick.h"

/* 2026-01-01 00:00 China Standard Time. */
#define REFERENCE_TIME G_GINT64_CONSTANT (1767196800)
#define SEED 20260101

typedef struct
{
  gint64  id;
  double  lon;
  double  lat;
  GArray *ring;    /* PctGeoPoint, areas only */
} Feature;

static char *district_dir;
static PctStore *store;
static GArray *features[PCT_N_LAYERS];   /* Feature */

static void
feature_clear (gpointer data)
{
  Feature *feature = data;

  g_clear_pointer (&feature->ring, g_array_unref);
}

static GArray *
read_features (const char *sql,
               gboolean    area)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  GArray *result = g_array_new (FALSE, TRUE, sizeof (Feature));

  g_assert_no_error (error);
  g_array_set_clear_func (result, feature_clear);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      Feature feature = { sqlite3_column_int64 (stmt, 0), 0, 0, NULL };

      if (area)
        {
          feature.ring = pct_geo_parse_coords ((const char *) sqlite3_column_text (stmt, 1),
                                               &error);
          g_assert_no_error (error);
          if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
            {
              feature.lon = sqlite3_column_double (stmt, 2);
              feature.lat = sqlite3_column_double (stmt, 3);
            }
          else
            pct_geo_polygon_centroid ((const PctGeoPoint *) (gpointer) feature.ring->data,
                                      feature.ring->len, &feature.lon, &feature.lat);
        }
      else
        {
          feature.lon = sqlite3_column_double (stmt, 1);
          feature.lat = sqlite3_column_double (stmt, 2);
        }
      g_array_append_val (result, feature);
    }
  sqlite3_reset (stmt);

  return result;
}

static gboolean
brute_force_pick (const PctLayer *layers,
                  guint           n_layers,
                  double          lon,
                  double          lat,
                  double          radius_m,
                  PctLayer       *layer,
                  gint64         *id)
{
  for (guint p = 0; p < G_N_ELEMENTS (pct_pick_priority); p++)
    {
      PctLayer candidate = pct_pick_priority[p];
      gboolean wanted = FALSE;
      gboolean area = candidate == PCT_LAYER_BUILDINGS || candidate == PCT_LAYER_GRIDS;
      double best = G_MAXDOUBLE;
      gint64 best_id = G_MAXINT64;

      for (guint i = 0; i < n_layers; i++)
        wanted |= layers[i] == candidate;
      if (!wanted)
        continue;

      for (guint i = 0; i < features[candidate]->len; i++)
        {
          const Feature *f = &g_array_index (features[candidate], Feature, i);
          double score;

          if (area)
            {
              const PctGeoPoint *pts = (const PctGeoPoint *) (gpointer) f->ring->data;

              if (!pct_geo_point_in_polygon (pts, f->ring->len, lon, lat))
                continue;
              score = fabs (pct_geo_polygon_area (pts, f->ring->len));
            }
          else
            {
              score = pct_geo_distance (lon, lat, f->lon, f->lat);
              if (score > radius_m)
                continue;
            }

          if (score < best || (score == best && f->id < best_id))
            {
              best = score;
              best_id = f->id;
            }
        }

      if (best_id != G_MAXINT64)
        {
          *layer = candidate;
          *id = best_id;
          return TRUE;
        }
    }

  return FALSE;
}

static void
check_pick (const PctLayer *layers,
            guint           n_layers,
            double          lon,
            double          lat,
            double          radius_m,
            guint          *n_hits)
{
  g_autoptr(GError) error = NULL;
  PctLayer layer = PCT_N_LAYERS, expected_layer = PCT_N_LAYERS;
  gint64 id = -1, expected_id = -1;
  double feature_lon = 0, feature_lat = 0;
  gboolean found, expected;

  found = pct_pick_at (store, layers, n_layers, lon, lat, radius_m,
                       &layer, &id, &feature_lon, &feature_lat, &error);
  g_assert_no_error (error);
  expected = brute_force_pick (layers, n_layers, lon, lat, radius_m, &expected_layer, &expected_id);

  if (found != expected || layer != expected_layer || id != expected_id)
    g_error ("Pick at %.7f, %.7f within %.1f m: got %s %" G_GINT64_FORMAT
             ", expected %s %" G_GINT64_FORMAT,
             lon, lat, radius_m,
             found ? pct_layer_to_string (layer) : "nothing", id,
             expected ? pct_layer_to_string (expected_layer) : "nothing", expected_id);

  if (found)
    {
      const GArray *array = features[layer];

      (*n_hits)++;
      /* The position reported is the feature's own. */
      for (guint i = 0; i < array->len; i++)
        {
          const Feature *f = &g_array_index (array, Feature, i);

          if (f->id == id)
            {
              g_assert_cmpfloat_with_epsilon (feature_lon, f->lon, 1e-9);
              g_assert_cmpfloat_with_epsilon (feature_lat, f->lat, 1e-9);
            }
        }
    }
}

static void
test_pick_random (void)
{
  static const PctLayer all[] = {
    PCT_LAYER_ADDRESSES, PCT_LAYER_BUILDINGS, PCT_LAYER_UNITS,
    PCT_LAYER_FACILITIES, PCT_LAYER_GRIDS, PCT_LAYER_INCIDENTS,
  };
  static const PctLayer areas[] = { PCT_LAYER_BUILDINGS, PCT_LAYER_GRIDS };
  static const PctLayer points[] = { PCT_LAYER_ADDRESSES, PCT_LAYER_UNITS };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GError) error = NULL;
  PctBBox extent;
  guint n_hits = 0;

  g_assert_true (pct_store_get_extent (store, &extent, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 400; i++)
    {
      double lon = g_rand_double_range (rand, extent.min_lon, extent.max_lon);
      double lat = g_rand_double_range (rand, extent.min_lat, extent.max_lat);
      double radius = g_rand_double_range (rand, 1.0, 60.0);

      check_pick (all, G_N_ELEMENTS (all), lon, lat, radius, &n_hits);
      check_pick (areas, G_N_ELEMENTS (areas), lon, lat, radius, &n_hits);
      check_pick (points, G_N_ELEMENTS (points), lon, lat, radius, &n_hits);
    }

  /* Random clicks land on something most of the time: grid cells cover
   * the district. A test that never hit anything would prove little. */
  g_assert_cmpuint (n_hits, >, 400);
}

/* Clicks on and just beside real features of every layer. */
static void
test_pick_features (void)
{
  static const PctLayer all[] = {
    PCT_LAYER_ADDRESSES, PCT_LAYER_BUILDINGS, PCT_LAYER_UNITS,
    PCT_LAYER_FACILITIES, PCT_LAYER_GRIDS, PCT_LAYER_INCIDENTS,
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  guint n_hits = 0;

  for (guint l = 0; l < G_N_ELEMENTS (all); l++)
    {
      GArray *array = features[all[l]];

      g_assert_cmpuint (array->len, >, 0);
      for (guint i = 0; i < MIN (array->len, 60); i++)
        {
          const Feature *f = &g_array_index (array, Feature,
                                             g_rand_int_range (rand, 0, array->len));
          double dlon = g_rand_double_range (rand, -8, 8) / pct_geo_metres_per_degree_lon (f->lat);
          double dlat = g_rand_double_range (rand, -8, 8) / pct_geo_metres_per_degree_lat (f->lat);
          PctLayer only = all[l];

          check_pick (all, G_N_ELEMENTS (all), f->lon, f->lat, 5.0, &n_hits);
          check_pick (all, G_N_ELEMENTS (all), f->lon + dlon, f->lat + dlat, 6.0, &n_hits);
          check_pick (&only, 1, f->lon + dlon, f->lat + dlat, 12.0, &n_hits);
        }
    }

  g_assert_cmpuint (n_hits, >, 100);
}

/* Exactly on an address, with only addresses asked for, the address is
 * found with its own id; with no layers nothing is. */
static void
test_pick_exact (void)
{
  static const PctLayer addresses[] = { PCT_LAYER_ADDRESSES };
  const Feature *f = &g_array_index (features[PCT_LAYER_ADDRESSES], Feature, 0);
  g_autoptr(GError) error = NULL;
  PctLayer layer;
  gint64 id;
  double lon, lat;

  g_assert_true (pct_pick_at (store, addresses, 1, f->lon, f->lat, 0.5,
                              &layer, &id, &lon, &lat, &error));
  g_assert_no_error (error);
  g_assert_cmpint (layer, ==, PCT_LAYER_ADDRESSES);

  g_assert_false (pct_pick_at (store, NULL, 0, f->lon, f->lat, 100,
                               &layer, &id, &lon, &lat, &error));
  g_assert_no_error (error);

  /* Far from the district there is nothing at all. */
  g_assert_false (pct_pick_at (store, addresses, 1, 0.0, 0.0, 1000,
                               &layer, &id, &lon, &lat, &error));
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  district_dir = g_dir_make_tmp ("test-pick-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (district_dir, "district.db", NULL);
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  g_assert_true (pct_generate_district (store, PCT_DISTRICT_SMALL, SEED, REFERENCE_TIME,
                                        NULL, NULL, &error));
  g_assert_no_error (error);

  features[PCT_LAYER_ADDRESSES] = read_features ("SELECT id, lon, lat FROM addresses", FALSE);
  features[PCT_LAYER_UNITS] = read_features ("SELECT id, lon, lat FROM units", FALSE);
  features[PCT_LAYER_FACILITIES] = read_features ("SELECT id, lon, lat FROM facilities", FALSE);
  features[PCT_LAYER_INCIDENTS] =
    read_features ("SELECT id, lon, lat FROM incidents WHERE status IN ('reported', 'filed')",
                   FALSE);
  features[PCT_LAYER_BUILDINGS] =
    read_features ("SELECT id, footprint, lon, lat FROM buildings", TRUE);
  features[PCT_LAYER_GRIDS] =
    read_features ("SELECT id, polygon, NULL, NULL FROM grid_cells", TRUE);

  g_test_add_func ("/pick/exact", test_pick_exact);
  g_test_add_func ("/pick/random", test_pick_random);
  g_test_add_func ("/pick/features", test_pick_features);

  ret = g_test_run ();

  for (guint i = 0; i < PCT_N_LAYERS; i++)
    g_clear_pointer (&features[i], g_array_unref);
  g_clear_object (&store);
  g_remove (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_remove (wal);
    g_remove (shm);
  }
  g_rmdir (district_dir);
  g_free (district_dir);

  return ret;
}
