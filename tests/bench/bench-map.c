/* bench-map.c — drawing map tiles: the feature layers close in and far out,
 * and the built-in basemap
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tiles are drawn headless through the core renderer, one connection, as
 * one worker of the map's pool draws them: random tiles (fixed seed) whose
 * centres lie inside the district's extent. Each figure is over every
 * tile of every feature layer drawn in its zoom band. The in-memory index
 * of the aggregated layers is loaded first and timed on its own: the map
 * pays it once per layer and data change, not per tile.
 *
 * Prints figures only; it asserts nothing about time.
 */

#define G_LOG_DOMAIN "bench"

#include "config.h"

#include <math.h>

#include "bench-common.h"
#include "pct-geo.h"
#include "pct-tile-renderer.h"

#define N_TILES 200

static const PctTileLayer feature_layers[] = {
  PCT_TILE_LAYER_ADDRESSES,
  PCT_TILE_LAYER_BUILDINGS,
  PCT_TILE_LAYER_UNITS,
  PCT_TILE_LAYER_FACILITIES,
  PCT_TILE_LAYER_GRIDS,
};

static const char * const layer_names[PCT_N_TILE_LAYERS] = {
  "basemap", "addresses", "buildings", "units", "facilities", "grids",
};

static void
random_tile (GRand         *rand,
             const PctBBox *extent,
             guint          min_zoom,
             guint          max_zoom,
             guint         *zoom,
             guint         *x,
             guint         *y)
{
  double lon = g_rand_double_range (rand, extent->min_lon, extent->max_lon);
  double lat = g_rand_double_range (rand, extent->min_lat, extent->max_lat);
  double mx, my;

  *zoom = g_rand_int_range (rand, min_zoom, max_zoom + 1);
  pct_geo_mercator_project (lon, lat, &mx, &my);
  *x = (guint) floor (mx * (1u << *zoom));
  *y = (guint) floor (my * (1u << *zoom));
}

static double
time_tile (PctTileRenderer *renderer,
           PctTileLayer     layer,
           guint            zoom,
           guint            x,
           guint            y,
           int              scale)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  cairo_surface_t *surface = pct_tile_renderer_render (renderer, layer, zoom, x, y, scale, &error);
  double ms = bench_ms_since (start);

  if (surface == NULL)
    g_error ("Tile %u/%u/%u of %s: %s", zoom, x, y, layer_names[layer], error->message);
  cairo_surface_destroy (surface);

  return ms;
}

/* Every feature layer's tile at N_TILES random places of the band. */
static void
bench_features (PctTileRenderer *renderer,
                const PctBBox   *extent,
                guint            min_zoom,
                guint            max_zoom,
                int              scale,
                const char      *name)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (2026 + min_zoom);
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *per_layer[PCT_N_TILE_LAYERS];

  for (guint l = 0; l < PCT_N_TILE_LAYERS; l++)
    per_layer[l] = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < N_TILES; i++)
    {
      guint zoom, x, y;

      random_tile (rand, extent, min_zoom, max_zoom, &zoom, &x, &y);
      for (guint l = 0; l < G_N_ELEMENTS (feature_layers); l++)
        {
          double ms = time_tile (renderer, feature_layers[l], zoom, x, y, scale);

          g_array_append_val (all, ms);
          g_array_append_val (per_layer[feature_layers[l]], ms);
        }
    }

  bench_report (name, bench_percentile (all, 95), "ms");

  for (guint l = 0; l < G_N_ELEMENTS (feature_layers); l++)
    {
      g_autofree char *layer_name = g_strdup_printf ("%s_%s", name, layer_names[feature_layers[l]]);

      bench_report (layer_name, bench_percentile (per_layer[feature_layers[l]], 95), "ms");
    }

  for (guint l = 0; l < PCT_N_TILE_LAYERS; l++)
    g_array_unref (per_layer[l]);
}

static void
bench_basemap (PctTileRenderer *renderer,
               const PctBBox   *extent)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (2027);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < N_TILES; i++)
    {
      guint zoom, x, y;
      double ms;

      random_tile (rand, extent, 10, 18, &zoom, &x, &y);
      ms = time_tile (renderer, PCT_TILE_LAYER_BASEMAP, zoom, x, y, 1);
      g_array_append_val (times, ms);
    }

  bench_report ("basemap_tile_p95_ms", bench_percentile (times, 95), "ms");
  bench_report ("basemap_tile_p50_ms", bench_percentile (times, 50), "ms");
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *path = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(PctTileIndex) index = NULL;
  g_autoptr(PctTileRenderer) renderer = NULL;
  g_autoptr(GError) error = NULL;
  PctBBox extent;
  double gen_seconds;
  gint64 start;

  path = bench_district (FALSE, &gen_seconds);
  if (gen_seconds >= 0)
    bench_report ("generate_district_s", gen_seconds, "s");

  store = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL || !pct_store_get_extent (store, &extent, &error))
    g_error ("%s: %s", path, error->message);

  index = pct_tile_index_new ();
  renderer = pct_tile_renderer_new_with_index (store, index);

  start = g_get_monotonic_time ();
  for (guint l = 0; l < G_N_ELEMENTS (feature_layers); l++)
    if (!pct_tile_index_prepare (index, store, feature_layers[l], &error))
      g_error ("Index of %s: %s", layer_names[feature_layers[l]], error->message);
  bench_report ("feature_index_load_ms", bench_ms_since (start), "ms");

  /* One tile first: fonts and the statement cache warm up once per
   * worker, not per tile. */
  time_tile (renderer, PCT_TILE_LAYER_ADDRESSES, 18, 0, 0, 1);

  bench_features (renderer, &extent, 15, 19, 1, "feature_tile_p95_ms");
  bench_features (renderer, &extent, 10, 14, 1, "feature_tile_lowzoom_p95_ms");
  bench_features (renderer, &extent, 15, 19, 2, "feature_tile_hidpi_p95_ms");
  bench_basemap (renderer, &extent);

  return 0;
}
