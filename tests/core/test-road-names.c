/* test-road-names.c — road names read the right way, clear of door numbers
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tiles are rendered and their pixels read: ink is a pixel near the colour
 * the built-in style writes a kind of text in. A name down a steep road
 * reads from the top whichever way the road was recorded; door numbers,
 * drawn on the layer over the basemap, leave the road names on it
 * readable.
 */

#define G_LOG_DOMAIN "test-road-names"

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "pct-generator.h"
#include "pct-geo.h"
#include "pct-tile-renderer.h"

/* 2026-01-01 00:00 China Standard Time. */
#define REFERENCE_TIME G_GINT64_CONSTANT (1767196800)
#define SEED 20260101

/* The text colours of the built-in style (pct-tile-renderer.c). */
#define DOOR_NUMBER_INK 0x3d3833
#define ROAD_NAME_INK   0x5e5850

typedef struct
{
  guint zoom;
  guint x;
  guint y;
} Tile;

static PctStore *
new_store (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  PctStore *store;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  path = g_build_filename (g_get_user_data_dir (), name, NULL);
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  return store;
}

static cairo_surface_t *
render (PctTileRenderer *renderer,
        PctTileLayer     layer,
        const Tile      *tile)
{
  g_autoptr(GError) error = NULL;
  cairo_surface_t *surface = pct_tile_renderer_render (renderer, layer, tile->zoom,
                                                       tile->x, tile->y, 1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (surface);
  cairo_surface_flush (surface);
  return surface;
}

static const guint32 *
pixel_row (cairo_surface_t *surface,
           int              y)
{
  return (const guint32 *) (gconstpointer)
         (cairo_image_surface_get_data (surface) + y * cairo_image_surface_get_stride (surface));
}

/* Opaque and near rgb in every channel. Cairo's pixels are premultiplied. */
static gboolean
is_ink (guint32 argb,
        guint32 rgb)
{
  guint alpha = argb >> 24;

  if (alpha < 0xe0)
    return FALSE;
  for (guint shift = 0; shift < 24; shift += 8)
    {
      int have = (int) (((argb >> shift) & 0xff) * 255 / alpha);
      int want = (rgb >> shift) & 0xff;

      if (ABS (have - want) > 24)
        return FALSE;
    }
  return TRUE;
}

/* Darker than anything of the basemap but the strokes of its text, the
 * road names. */
static gboolean
is_dark (guint32 argb)
{
  return ((argb >> 16) & 0xff) < 0xb0 && ((argb >> 8) & 0xff) < 0xb0 && (argb & 0xff) < 0xb0;
}

static guint
count_dark (cairo_surface_t *surface)
{
  guint n = 0;

  for (int y = 0; y < PCT_TILE_SIZE; y++)
    for (int x = 0; x < PCT_TILE_SIZE; x++)
      n += is_dark (pixel_row (surface, y)[x]);
  return n;
}

/* A point of tile t at (px, py) in its pixels. */
static void
tile_point (const Tile *t,
            double      px,
            double      py,
            double     *lon,
            double     *lat)
{
  double n = ldexp (1, t->zoom);

  pct_geo_mercator_unproject ((t->x + px / PCT_TILE_SIZE) / n, (t->y + py / PCT_TILE_SIZE) / n,
                              lon, lat);
}

/* Two roads of one name straight down the middle of two tiles, one
 * recorded from its north end and one from its south end: both tiles come
 * out the same, the name read from the top. */
static void
test_read_down (void)
{
  g_autoptr(PctStore) store = new_store ("read-down.db");
  g_autoptr(PctTileRenderer) renderer = NULL;
  g_autoptr(GError) error = NULL;
  /* Near the generated district, two tiles apart. */
  const Tile tiles[2] = { { 17, 104220, 54370 }, { 17, 104222, 54370 } };
  cairo_surface_t *drawn[2];
  guint differ = 0;

  for (guint i = 0; i < 2; i++)
    {
      double lon, top, bottom;
      g_autofree char *sql = NULL;

      tile_point (&tiles[i], PCT_TILE_SIZE / 2.0, 20, &lon, &top);
      tile_point (&tiles[i], PCT_TILE_SIZE / 2.0, PCT_TILE_SIZE - 20, &lon, &bottom);
      sql = g_strdup_printf ("INSERT INTO roads (id, name, class, geometry) "
                             "VALUES (%u, '一二三四', 3, '[[%.9f,%.9f],[%.9f,%.9f]]')",
                             i + 1, lon, i == 0 ? top : bottom, lon, i == 0 ? bottom : top);
      pct_store_exec (store, sql, &error);
      g_assert_no_error (error);
    }

  renderer = pct_tile_renderer_new (store);
  for (guint i = 0; i < 2; i++)
    drawn[i] = render (renderer, PCT_TILE_LAYER_BASEMAP, &tiles[i]);

  /* The name is there: nothing else on this basemap is dark. */
  g_assert_cmpuint (count_dark (drawn[0]), >, 20);
  for (int y = 0; y < PCT_TILE_SIZE; y++)
    for (int x = 0; x < PCT_TILE_SIZE; x++)
      {
        guint32 a = pixel_row (drawn[0], y)[x];
        guint32 b = pixel_row (drawn[1], y)[x];

        for (guint shift = 0; shift < 32; shift += 8)
          if (ABS ((int) ((a >> shift) & 0xff) - (int) ((b >> shift) & 0xff)) > 2)
            {
              differ++;
              break;
            }
      }
  g_test_message ("%u pixels differ", differ);
  g_assert_cmpuint (differ, ==, 0);

  for (guint i = 0; i < 2; i++)
    cairo_surface_destroy (drawn[i]);
}

/* Where a door number is written, no road name is: no pixel of the door
 * numbers' layer is their ink where the basemap under it has a road
 * name's, and both are written plenty. */
static void
test_door_numbers_clear (void)
{
  g_autoptr(PctStore) store = new_store ("district.db");
  g_autoptr(PctTileRenderer) renderer = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  guint door_ink = 0, name_ink = 0, both = 0, n_tiles = 0;

  g_assert_true (pct_generate_district (store, PCT_DISTRICT_SMALL, SEED, REFERENCE_TIME,
                                        NULL, NULL, &error));
  g_assert_no_error (error);
  renderer = pct_tile_renderer_new (store);

  /* The tile at the middle of every named road. */
  stmt = pct_store_prepare (store,
                            "SELECT (r.min_lon + r.max_lon) / 2, (r.min_lat + r.max_lat) / 2 "
                            "FROM road_rtree r JOIN roads ro ON ro.id = r.id "
                            "WHERE ro.name <> '' ORDER BY ro.id", &error);
  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      double mx, my;
      Tile tile = { PCT_TILE_ZOOM_ADDRESS_LABELS, 0, 0 };
      cairo_surface_t *addresses, *basemap;

      pct_geo_mercator_project (sqlite3_column_double (stmt, 0),
                                sqlite3_column_double (stmt, 1), &mx, &my);
      tile.x = (guint) floor (mx * ldexp (1, tile.zoom));
      tile.y = (guint) floor (my * ldexp (1, tile.zoom));
      addresses = render (renderer, PCT_TILE_LAYER_ADDRESSES, &tile);
      basemap = render (renderer, PCT_TILE_LAYER_BASEMAP, &tile);

      for (int y = 0; y < PCT_TILE_SIZE; y++)
        for (int x = 0; x < PCT_TILE_SIZE; x++)
          {
            gboolean door = is_ink (pixel_row (addresses, y)[x], DOOR_NUMBER_INK);
            gboolean name = is_dark (pixel_row (basemap, y)[x]);

            door_ink += door;
            name_ink += name;
            both += door && name;
          }
      n_tiles++;

      cairo_surface_destroy (addresses);
      cairo_surface_destroy (basemap);
    }
  sqlite3_reset (stmt);

  g_test_message ("%u tiles: door-number ink %u px, road-name ink %u px, both %u px",
                  n_tiles, door_ink, name_ink, both);
  g_assert_cmpuint (n_tiles, >, 10);
  g_assert_cmpuint (door_ink, >, 1000);
  g_assert_cmpuint (name_ink, >, 200);
  g_assert_cmpuint (both, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/road-names/read-down", test_read_down);
  g_test_add_func ("/road-names/door-numbers-clear", test_door_numbers_clear);

  return g_test_run ();
}
