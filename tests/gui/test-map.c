/* test-map.c — the map view on a generated district, under Xvfb
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A window holding only a PctMapView on a small generated district. The
 * checks read the pixels the screen would show: a building's centre has
 * the colour of its use, an address point the address colour where it
 * projects, and a layer switched off leaves the basemap's pixels. A click
 * on an address, a real one through the X server, reports that address;
 * the keys move the map; a change written to the store by another
 * connection shows without a restart; a place left and come back to looks
 * the same.
 * Screenshots of every zoom band go to G_TEST_BUILDDIR for a person to
 * look at; run at GDK_SCALE=2 they are the high-density ones.
 */

#define G_LOG_DOMAIN "test-map"

#include "config.h"

#include <math.h>
#include <string.h>

#include "gui-test-common.h"
#include "pct-geo.h"
#include "pct-layers-popover.h"
#include "pct-map-view.h"
#include "pct-tile-source.h"
#include "pct-tile-renderer.h"

/* A fixed "now", so the district is the same on every run. */
#define REFERENCE_TIME 1767196800  /* 2026-01-01 00:00 +08:00 */
#define SEED 20260101

static char *district_path;
static PctStore *store;
static GtkWindow *window;
static PctMapView *view;
static GSettings *settings;

typedef struct
{
  guint  count;
  guint  layer;
  gint64 id;
  double lat;
  double lon;
} Activation;

static void
set_layers (const char * const *names)
{
  g_settings_set_strv (settings, "visible-layers", names);
  gui_test_wait_for_map (view);
}

/* Jumps (no flight) to a place at a whole zoom level. */
static void
show_place (double lat,
            double lon,
            double zoom)
{
  ShumateViewport *viewport = pct_map_view_get_viewport (view);

  shumate_map_stop_go_to (pct_map_view_get_map (view));
  shumate_viewport_set_zoom_level (viewport, zoom);
  shumate_map_center_on (pct_map_view_get_map (view), lat, lon);
  gui_test_wait_for_map (view);
}

static void
save_screenshot (const char *name)
{
  g_autoptr(GdkTexture) texture = gui_test_render_widget (GTK_WIDGET (view));
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (view));
  g_autofree char *file = g_strdup_printf ("screenshot-map-%s%s.png", name,
                                           scale > 1 ? "@2x" : "");

  gui_test_save_png (texture, file);
}

/* The 0xRRGGBB at a point of the view in logical pixels. */
static guint32
view_pixel (double x,
            double y)
{
  g_autoptr(GdkTexture) texture = gui_test_render_widget (GTK_WIDGET (view));
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (view));

  return gui_test_texture_pixel (texture, (int) floor (x * scale), (int) floor (y * scale));
}

static void
project (double  lat,
         double  lon,
         double *x,
         double *y)
{
  ShumateMap *map = pct_map_view_get_map (view);
  graphene_point_t point;

  shumate_viewport_location_to_widget_coords (pct_map_view_get_viewport (view),
                                              GTK_WIDGET (map), lat, lon, x, y);
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (map), GTK_WIDGET (view),
                                           &GRAPHENE_POINT_INIT (*x, *y), &point));
  *x = point.x;
  *y = point.y;
}

static gint64
count_near (const char *table,
            double      lon,
            double      lat,
            double      metres)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE min_lon <= ?3 AND "
                                          "max_lon >= ?1 AND min_lat <= ?4 AND max_lat >= ?2",
                                          table);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  double dlon = metres / pct_geo_metres_per_degree_lon (lat);
  double dlat = metres / pct_geo_metres_per_degree_lat (lat);
  gint64 count;

  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_double (stmt, 1, lon - dlon);
  sqlite3_bind_double (stmt, 2, lat - dlat);
  sqlite3_bind_double (stmt, 3, lon + dlon);
  sqlite3_bind_double (stmt, 4, lat + dlat);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);

  return count;
}

/* A residential building whose centre is well inside its footprint and
 * away from roads, so its centre pixel shows the footprint only. */
static gint64
find_building (double *lat,
               double *lon)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT id, lon, lat, footprint FROM buildings "
                                          "WHERE use = 'residential' ORDER BY id", &error);

  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      double x = sqlite3_column_double (stmt, 1);
      double y = sqlite3_column_double (stmt, 2);
      g_autoptr(GArray) ring = pct_geo_parse_coords ((const char *) sqlite3_column_text (stmt, 3),
                                                     NULL);
      const PctGeoPoint *pts;
      double dx = 4.0 / pct_geo_metres_per_degree_lon (y);
      double dy = 4.0 / pct_geo_metres_per_degree_lat (y);
      gboolean inside;

      if (ring == NULL)
        continue;
      pts = (const PctGeoPoint *) (gpointer) ring->data;
      inside = pct_geo_point_in_polygon (pts, ring->len, x - dx, y - dy) &&
               pct_geo_point_in_polygon (pts, ring->len, x + dx, y - dy) &&
               pct_geo_point_in_polygon (pts, ring->len, x - dx, y + dy) &&
               pct_geo_point_in_polygon (pts, ring->len, x + dx, y + dy);

      if (inside && count_near ("road_rtree", x, y, 12) == 0)
        {
          sqlite3_reset (stmt);
          *lon = x;
          *lat = y;
          return id;
        }
    }
  sqlite3_reset (stmt);

  g_error ("No building of the district suits the pixel checks");
}

/* An address with no other point feature within 40 m. */
static gint64
find_lonely_address (double *lat,
                     double *lon)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT id, lon, lat FROM addresses ORDER BY id",
                                          &error);

  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      double x = sqlite3_column_double (stmt, 1);
      double y = sqlite3_column_double (stmt, 2);

      if (count_near ("address_rtree", x, y, 40) == 1)
        {
          sqlite3_reset (stmt);
          *lon = x;
          *lat = y;
          return id;
        }
    }
  sqlite3_reset (stmt);

  g_error ("No address of the district stands 40 m away from all others");
}

static void
test_building_colour (void)
{
  static const char * const buildings[] = { "buildings", NULL };
  static const char * const none[] = { NULL };
  double lat, lon, x, y;
  gint64 id = find_building (&lat, &lon);
  GtkCheckButton *check;
  GtkWidget *popover;

  g_test_message ("Building %" G_GINT64_FORMAT, id);

  set_layers (buildings);
  show_place (lat, lon, 16);
  project (lat, lon, &x, &y);
  gui_test_assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_RESIDENTIAL, 6, "building layer");

  /* Off through the settings: the basemap's own footprint shows. */
  set_layers (none);
  gui_test_assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_BUILDING, 6, "building layer off");

  /* On again through the popover's switch, live. */
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (
    gtk_widget_get_template_child (GTK_WIDGET (view), PCT_TYPE_MAP_VIEW, "layers_button"))));
  g_assert_true (PCT_IS_LAYERS_POPOVER (popover));
  check = pct_layers_popover_get_switch (PCT_LAYERS_POPOVER (popover), PCT_LAYER_BUILDINGS);
  g_assert_false (gtk_check_button_get_active (check));
  gtk_check_button_set_active (check, TRUE);
  gui_test_wait_for_map (view);
  g_assert_true (pct_map_view_get_layer_visible (view, PCT_LAYER_BUILDINGS));
  gui_test_assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_RESIDENTIAL, 6,
                               "building layer back");

  {
    g_auto(GStrv) names = g_settings_get_strv (settings, "visible-layers");

    g_assert_true (g_strv_contains ((const char * const *) names, "buildings"));
  }
}

static void
feature_activated_cb (PctMapView *map_view,
                      guint       layer,
                      gint64      id,
                      double      lat,
                      double      lon,
                      Activation *activation)
{
  activation->count++;
  activation->layer = layer;
  activation->id = id;
  activation->lat = lat;
  activation->lon = lon;
}

static void
test_address_point_and_click (void)
{
  static const char * const addresses[] = { "addresses", "buildings", "grids", NULL };
  static const char * const none[] = { NULL };
  Activation activation = { 0, };
  double lat, lon, x, y;
  gint64 id = find_lonely_address (&lat, &lon);
  gulong handler;

  set_layers (addresses);
  show_place (lat, lon, 17);
  project (lat, lon, &x, &y);
  gui_test_assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_ADDRESS, 6, "address point");

  /* A click on it, a little off centre as fingers are, reports it: a
   * real one, through the X server and GTK's gestures. */
  handler = g_signal_connect (view, "feature-activated", G_CALLBACK (feature_activated_cb),
                              &activation);
  gui_test_click (GTK_WIDGET (view), x + 2, y - 2, GDK_BUTTON_PRIMARY);
  g_assert_cmpuint (activation.count, ==, 1);
  g_assert_cmpuint (activation.layer, ==, PCT_LAYER_ADDRESSES);
  g_assert_cmpint (activation.id, ==, id);
  g_assert_cmpfloat_with_epsilon (activation.lat, lat, 1e-7);
  g_assert_cmpfloat_with_epsilon (activation.lon, lon, 1e-7);

  /* Selected, it wears the ring; the pick still goes through the ring. */
  pct_map_view_select (view, activation.layer, activation.id, activation.lat, activation.lon);
  gui_test_wait_for_map (view);
  save_screenshot ("selected");
  gui_test_click (GTK_WIDGET (view), x, y, GDK_BUTTON_PRIMARY);
  g_assert_cmpuint (activation.count, ==, 2);
  g_assert_cmpint (activation.id, ==, id);
  pct_map_view_select (view, PCT_N_LAYERS, 0, 0, 0);
  g_assert_false (pct_map_view_get_selected (view, NULL, NULL));

  /* With the layer off, the address is not there to click, and its
   * pixel is the basemap's again. */
  set_layers (none);
  gui_test_click (GTK_WIDGET (view), x, y, GDK_BUTTON_PRIMARY);
  g_assert_cmpuint (activation.count, ==, 2);
  g_assert_false (pct_map_view_activate_at (view, x, y));
  g_assert_false (gui_test_colour_near (view_pixel (x, y), PCT_TILE_COLOR_ADDRESS, 30));

  g_signal_handler_disconnect (view, handler);
}

/* A place left and come back to looks the same. Once two other views
 * have been drawn, its tiles were put away (their textures let go of and
 * their pixels packed, see pct_tile_source_release_undrawn()) and are
 * drawn again from what was kept. */
static void
test_revisit (void)
{
  static const char * const layers[] = { "addresses", "buildings", "grids", NULL };
  g_autoptr(GdkTexture) before = NULL;
  g_autoptr(GdkTexture) after = NULL;
  g_autofree guchar *before_pixels = NULL;
  g_autofree guchar *after_pixels = NULL;
  g_autoptr(GError) error = NULL;
  PctBBox extent;
  double lat, lon;
  gsize stride;
  int width, height;

  g_assert_true (pct_store_get_extent (store, &extent, &error));
  g_assert_no_error (error);
  find_building (&lat, &lon);

  set_layers (layers);
  show_place (lat, lon, 16);
  before = gui_test_render_widget (GTK_WIDGET (view));

  show_place (extent.min_lat, extent.min_lon, 16);
  show_place (extent.max_lat, extent.max_lon, 16);
  /* The packing runs in a worker; it takes milliseconds. */
  gui_test_iterate_for (500);

  show_place (lat, lon, 16);
  after = gui_test_render_widget (GTK_WIDGET (view));

  width = gdk_texture_get_width (before);
  height = gdk_texture_get_height (before);
  g_assert_cmpint (gdk_texture_get_width (after), ==, width);
  g_assert_cmpint (gdk_texture_get_height (after), ==, height);
  stride = (gsize) width * 4;
  before_pixels = g_malloc (stride * height);
  after_pixels = g_malloc (stride * height);
  gdk_texture_download (before, before_pixels, stride);
  gdk_texture_download (after, after_pixels, stride);
  g_assert_cmpmem (after_pixels, stride * height, before_pixels, stride * height);
}

/* Every zoom band with every layer, for a person to look at. */
static void
test_screenshots (void)
{
  static const char * const all[] = {
    "addresses", "buildings", "units", "facilities", "grids", "incidents", NULL
  };
  static const double zooms[] = { 12, 14, 15, 16, 17, 18 };
  g_autoptr(GError) error = NULL;
  PctBBox extent;
  double lat, lon;

  g_assert_true (pct_store_get_extent (store, &extent, &error));
  g_assert_no_error (error);
  find_building (&lat, &lon);

  set_layers (all);
  for (guint i = 0; i < G_N_ELEMENTS (zooms); i++)
    {
      g_autofree char *name = g_strdup_printf ("z%.0f", zooms[i]);

      show_place (zooms[i] <= 12 ? (extent.min_lat + extent.max_lat) / 2 : lat,
                  zooms[i] <= 12 ? (extent.min_lon + extent.max_lon) / 2 : lon,
                  zooms[i]);
      save_screenshot (name);
    }
}

static void
activate (const char *action)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), action, NULL));
  gui_test_wait_for_map (view);
}

/* The zoom animates; it must arrive, and exactly. */
static void
wait_for_zoom (double zoom)
{
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  gint64 deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;

  while (fabs (shumate_viewport_get_zoom_level (viewport) - zoom) > 1e-6)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The zoom stayed at %g instead of reaching %g",
                 shumate_viewport_get_zoom_level (viewport), zoom);
      gui_test_iterate_for (20);
    }
}

static void
test_keyboard (void)
{
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  ShumateLocation *location = SHUMATE_LOCATION (viewport);
  double lat, lon, start_lat, start_lon;
  g_autoptr(GError) error = NULL;
  PctBBox district;

  g_assert_true (pct_store_get_extent (store, &district, &error));
  find_building (&lat, &lon);
  show_place (lat, lon, 15);
  start_lat = shumate_location_get_latitude (location);
  start_lon = shumate_location_get_longitude (location);

  activate ("map.pan-right");
  g_assert_cmpfloat (shumate_location_get_longitude (location), >, start_lon);
  activate ("map.pan-left");
  g_assert_cmpfloat_with_epsilon (shumate_location_get_longitude (location), start_lon, 1e-6);
  activate ("map.pan-up");
  g_assert_cmpfloat (shumate_location_get_latitude (location), >, start_lat);
  activate ("map.pan-down");
  g_assert_cmpfloat_with_epsilon (shumate_location_get_latitude (location), start_lat, 1e-6);

  activate ("map.zoom-in");
  wait_for_zoom (16);
  activate ("map.zoom-out");
  wait_for_zoom (15);

  /* Home: from close in back to the whole district, centred. */
  show_place (lat, lon, 19);
  activate ("map.home");
  g_assert_cmpfloat (shumate_viewport_get_zoom_level (viewport), <, 19);
  g_assert_cmpfloat_with_epsilon (shumate_location_get_latitude (location),
                                  (district.min_lat + district.max_lat) / 2, 1e-4);
  g_assert_cmpfloat_with_epsilon (shumate_location_get_longitude (location),
                                  (district.min_lon + district.max_lon) / 2, 1e-4);
}

/* Another connection changes a building's use: within seconds the map
 * shows the new colour, without being told. */
static void
test_store_change (void)
{
  static const char * const buildings[] = { "buildings", NULL };
  g_autoptr(PctStore) writer = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  double lat, lon, x, y;
  gint64 id = find_building (&lat, &lon);
  gint64 deadline;

  set_layers (buildings);
  show_place (lat, lon, 16);
  project (lat, lon, &x, &y);
  gui_test_assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_RESIDENTIAL, 6,
                               "before the change");

  writer = pct_store_open (district_path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  stmt = pct_store_prepare (writer, "UPDATE buildings SET use = 'office', "
                                    "updated_at = updated_at + 1 WHERE id = ?1", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_true (pct_store_step_done (writer, stmt, &error));
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!gui_test_colour_near (view_pixel (x, y), PCT_TILE_COLOR_OFFICE, 6))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The map did not show the building's new use within 10 s");
      gui_test_iterate_for (100);
      gui_test_wait_for_map (view);
    }

  /* Back as it was, for the other tests. */
  stmt = pct_store_prepare (writer, "UPDATE buildings SET use = 'residential', "
                                    "updated_at = updated_at + 1 WHERE id = ?1", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_true (pct_store_step_done (writer, stmt, &error));
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!gui_test_colour_near (view_pixel (x, y), PCT_TILE_COLOR_RESIDENTIAL, 6))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The map did not show the building's use restored within 10 s");
      gui_test_iterate_for (100);
      gui_test_wait_for_map (view);
    }
}

/* Any map source as the basemap, its license shown; and back. */
static void
test_basemap (void)
{
  GtkLabel *label = GTK_LABEL (gtk_widget_get_template_child (GTK_WIDGET (view),
                                                              PCT_TYPE_MAP_VIEW,
                                                              "attribution_label"));
  GtkWidget *box = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (view),
                                                              PCT_TYPE_MAP_VIEW,
                                                              "attribution_box"));
  g_autoptr(ShumateMapSource) source = NULL;
  g_autofree char *builtin = NULL;

  g_assert_true (gtk_widget_get_visible (box));
  builtin = g_strdup (gtk_label_get_text (label));
  g_assert_cmpstr (builtin, !=, "");

  /* A source of plain colour: the grid-cell layer of the same store. */
  source = SHUMATE_MAP_SOURCE (pct_tile_source_new (district_path, PCT_TILE_LAYER_GRIDS));
  shumate_map_source_set_license (source, "© Test Tiles");
  pct_map_view_set_basemap (view, source);
  gui_test_wait_for_map (view);
  g_assert_true (pct_map_view_get_basemap (view) == source);
  g_assert_cmpstr (gtk_label_get_text (label), ==, "© Test Tiles");

  pct_map_view_set_basemap (view, NULL);
  gui_test_wait_for_map (view);
  g_assert_null (pct_map_view_get_basemap (view));
  g_assert_cmpstr (gtk_label_get_text (label), ==, builtin);
}

typedef struct
{
  gboolean done;
  gboolean ok;
} FillWait;

static void
tile_filled_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  FillWait *wait = user_data;
  g_autoptr(GError) error = NULL;

  wait->ok = shumate_map_source_fill_tile_finish (SHUMATE_MAP_SOURCE (object), result, &error);
  g_assert_no_error (error);
  wait->done = TRUE;
}

static gboolean
fill_done_cb (gpointer user_data)
{
  return ((FillWait *) user_data)->done;
}

/* Drawn through GTK, a pixel may round differently by one; a part drawn
 * twice, or not at all, is far off. */
static gboolean
same_pixel (guint32 a,
            guint32 b)
{
  for (guint shift = 0; shift < 32; shift += 8)
    if (ABS ((int) ((a >> shift) & 0xff) - (int) ((b >> shift) & 0xff)) > 1)
      return FALSE;
  return TRUE;
}

/* A tile image keeps only the part of a tile with marks on it; put where
 * it goes, it is the tile as drawn, and a tile with no image had nothing
 * on it. Tiles of every feature layer around every grid cell, near and
 * far. */
static void
test_tile_images (void)
{
  static const guint zooms[] = { 14, 16, 17, 18, 19 };
  g_autoptr(GskRenderer) renderer = gsk_cairo_renderer_new ();
  g_autoptr(PctTileRenderer) reference = pct_tile_renderer_new (store);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  guint n_tiles = 0, n_empty = 0;

  g_assert_true (gsk_renderer_realize (renderer, NULL, &error));
  g_assert_no_error (error);

  stmt = pct_store_prepare (store,
                            "SELECT (min_lon + max_lon) / 2, (min_lat + max_lat) / 2 "
                            "FROM grid_rtree ORDER BY id", &error);
  g_assert_no_error (error);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    for (guint z = 0; z < G_N_ELEMENTS (zooms); z++)
      for (PctTileLayer layer = PCT_TILE_LAYER_ADDRESSES; layer < PCT_N_TILE_LAYERS; layer++)
        {
          g_autoptr(PctTileSource) source = pct_tile_source_new (district_path, layer);
          g_autoptr(ShumateTile) tile = NULL;
          cairo_surface_t *expected;
          FillWait wait = { FALSE, FALSE };
          GdkPaintable *paintable;
          double mx, my;
          guint x, y;

          pct_geo_mercator_project (sqlite3_column_double (stmt, 0),
                                    sqlite3_column_double (stmt, 1), &mx, &my);
          x = (guint) floor (mx * (1u << zooms[z]));
          y = (guint) floor (my * (1u << zooms[z]));
          tile = shumate_tile_new_full (x, y, PCT_TILE_SIZE, zooms[z]);
          shumate_map_source_fill_tile_async (SHUMATE_MAP_SOURCE (source), tile, NULL,
                                              tile_filled_cb, &wait);
          gui_test_wait_until (fill_done_cb, &wait, "a tile to be drawn");
          g_assert_true (wait.ok);

          expected = pct_tile_renderer_render (reference, layer, zooms[z], x, y, 1, &error);
          g_assert_no_error (error);
          cairo_surface_flush (expected);
          n_tiles++;

          paintable = shumate_tile_get_paintable (tile);
          if (paintable == NULL)
            {
              /* Nothing drawn: every pixel transparent. */
              const guchar *data = cairo_image_surface_get_data (expected);

              for (gsize i = 0; i < (gsize) PCT_TILE_SIZE * PCT_TILE_SIZE * 4; i++)
                g_assert_cmpuint (data[i], ==, 0);
              n_empty++;
            }
          else
            {
              g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
              g_autoptr(GskRenderNode) node = NULL;
              g_autoptr(GdkTexture) texture = NULL;
              g_autofree guchar *pixels = g_malloc ((gsize) PCT_TILE_SIZE * PCT_TILE_SIZE * 4);

              gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot),
                                      PCT_TILE_SIZE, PCT_TILE_SIZE);
              node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
              g_assert_nonnull (node);
              texture = gsk_renderer_render_texture (renderer, node,
                                                     &GRAPHENE_RECT_INIT (0, 0, PCT_TILE_SIZE,
                                                                          PCT_TILE_SIZE));
              gdk_texture_download (texture, pixels, PCT_TILE_SIZE * 4);

              for (int row = 0; row < PCT_TILE_SIZE; row++)
                {
                  const guint32 *got = (const guint32 *) (gconstpointer)
                                       (pixels + (gsize) row * PCT_TILE_SIZE * 4);
                  const guint32 *want = (const guint32 *) (gconstpointer)
                                        (cairo_image_surface_get_data (expected) +
                                         (gsize) row * cairo_image_surface_get_stride (expected));

                  for (int column = 0; column < PCT_TILE_SIZE; column++)
                    if (!same_pixel (got[column], want[column]))
                      g_error ("Tile %u/%u/%u of layer %d differs from its drawing at (%d, %d): "
                               "%08x, not %08x", zooms[z], x, y, layer, column, row,
                               got[column], want[column]);
                }
            }
          cairo_surface_destroy (expected);
        }
  sqlite3_reset (stmt);

  g_test_message ("%u tiles, %u of them empty", n_tiles, n_empty);
  g_assert_cmpuint (n_empty, >, 0);
  g_assert_cmpuint (n_empty, <, n_tiles);
  gsk_renderer_unrealize (renderer);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  if (!gui_test_init (&argc, &argv))
    return EXIT_FAILURE;

  district_path = gui_test_generate_district (SEED, REFERENCE_TIME);
  store = pct_store_open (district_path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);

  settings = g_settings_new (BASE_APP_ID);
  window = gui_test_map_window_new (800, 600, &view);
  gtk_window_present (window);
  gui_test_show_district (view, store);
  gui_test_wait_for_map (view);

  g_test_add_func ("/map/building-colour", test_building_colour);
  g_test_add_func ("/map/address-point-and-click", test_address_point_and_click);
  g_test_add_func ("/map/keyboard", test_keyboard);
  g_test_add_func ("/map/store-change", test_store_change);
  g_test_add_func ("/map/basemap", test_basemap);
  g_test_add_func ("/map/revisit", test_revisit);
  g_test_add_func ("/map/screenshots", test_screenshots);
  g_test_add_func ("/map/tile-images", test_tile_images);

  status = g_test_run ();

  gtk_window_destroy (window);
  g_clear_object (&settings);
  g_clear_object (&store);
  gui_test_remove_district (district_path);
  g_free (district_path);

  return status;
}
