/* test-map.c — the map view on a generated district, under Xvfb
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A window holding only a PctMapView on a small generated district. The
 * checks read the pixels the screen would show: a building's centre has
 * the colour of its use, an address point the address colour where it
 * projects, and a layer switched off leaves the basemap's pixels. A click
 * on an address reports that address; the keys move the map; a change
 * written to the store by another connection shows without a restart.
 * Screenshots of every zoom band go to G_TEST_BUILDDIR for a person to
 * look at; run at GDK_SCALE=2 they are the high-density ones.
 */

#define G_LOG_DOMAIN "test-map"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>

#include "pct-generator.h"
#include "pct-geo.h"
#include "pct-layers-popover.h"
#include "pct-map-view.h"
#include "pct-tile-source.h"
#include "pct-tile-renderer.h"

/* A fixed "now", so the district is the same on every run. */
#define REFERENCE_TIME 1767196800  /* 2026-01-01 00:00 +08:00 */
#define SEED 20260101

/* Long enough for a loaded machine; a hang fails instead of waiting for
 * meson's timeout. */
#define WAIT_SECONDS 60

static char *district_dir;
static char *district_path;
static char *system_data_dirs;
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
iterate_for (guint milliseconds)
{
  gint64 until = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_pending (NULL) && g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* Until every tile in view is drawn, checked several frames in a row. */
static void
wait_for_map (void)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  guint quiet = 0;

  while (quiet < 5)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The map did not finish drawing its tiles within %d s", WAIT_SECONDS);

      iterate_for (20);
      if (pct_map_view_get_loading (view) || gtk_widget_get_width (GTK_WIDGET (view)) == 0)
        quiet = 0;
      else
        quiet++;
    }
}

static void
set_layers (const char * const *names)
{
  g_settings_set_strv (settings, "visible-layers", names);
  wait_for_map ();
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
  wait_for_map ();
}

static GdkTexture *
render_view (void)
{
  GtkWidget *widget = GTK_WIDGET (view);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int scale = gtk_widget_get_scale_factor (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  gtk_snapshot_scale (snapshot, scale, scale);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  return gsk_renderer_render_texture (renderer, node,
                                      &GRAPHENE_RECT_INIT (0, 0, width * scale, height * scale));
}

static void
save_screenshot (const char *name)
{
  g_autoptr(GdkTexture) texture = render_view ();
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (view));
  g_autofree char *file = g_strdup_printf ("screenshot-map-%s%s.png", name,
                                           scale > 1 ? "@2x" : "");
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);

  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
}

/* The 0xRRGGBB at a point of the view in logical pixels. */
static guint32
view_pixel (double x,
            double y)
{
  g_autoptr(GdkTexture) texture = render_view ();
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (view));
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guint32 *pixels = g_malloc (stride * height);
  int px = (int) floor (x * scale);
  int py = (int) floor (y * scale);
  guint32 argb;

  g_assert_cmpint (px, >=, 0);
  g_assert_cmpint (px, <, width);
  g_assert_cmpint (py, >=, 0);
  g_assert_cmpint (py, <, height);

  gdk_texture_download (texture, (guchar *) pixels, stride);
  argb = pixels[py * width + px];
  g_assert_cmphex (argb >> 24, ==, 0xff);

  return argb & 0xffffff;
}

static gboolean
colour_near (guint32 actual,
             guint32 expected,
             int     tolerance)
{
  for (int shift = 0; shift <= 16; shift += 8)
    if (ABS ((int) ((actual >> shift) & 0xff) - (int) ((expected >> shift) & 0xff)) > tolerance)
      return FALSE;
  return TRUE;
}

static void
assert_colour_near (guint32     actual,
                    guint32     expected,
                    const char *what)
{
  if (!colour_near (actual, expected, 6))
    g_error ("%s: pixel is #%06x, expected #%06x", what, actual, expected);
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
  assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_RESIDENTIAL, "building layer");

  /* Off through the settings: the basemap's own footprint shows. */
  set_layers (none);
  assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_BUILDING, "building layer off");

  /* On again through the popover's switch, live. */
  popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (
    gtk_widget_get_template_child (GTK_WIDGET (view), PCT_TYPE_MAP_VIEW, "layers_button"))));
  g_assert_true (PCT_IS_LAYERS_POPOVER (popover));
  check = pct_layers_popover_get_switch (PCT_LAYERS_POPOVER (popover), PCT_LAYER_BUILDINGS);
  g_assert_false (gtk_check_button_get_active (check));
  gtk_check_button_set_active (check, TRUE);
  wait_for_map ();
  g_assert_true (pct_map_view_get_layer_visible (view, PCT_LAYER_BUILDINGS));
  assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_RESIDENTIAL, "building layer back");

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
  assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_ADDRESS, "address point");

  /* A click on it, a little off centre as fingers are, reports it. */
  handler = g_signal_connect (view, "feature-activated", G_CALLBACK (feature_activated_cb),
                              &activation);
  g_assert_true (pct_map_view_activate_at (view, x + 2, y - 2));
  g_assert_cmpuint (activation.count, ==, 1);
  g_assert_cmpuint (activation.layer, ==, PCT_LAYER_ADDRESSES);
  g_assert_cmpint (activation.id, ==, id);
  g_assert_cmpfloat_with_epsilon (activation.lat, lat, 1e-7);
  g_assert_cmpfloat_with_epsilon (activation.lon, lon, 1e-7);

  /* Selected, it wears the ring; the pick still goes through the ring. */
  pct_map_view_select (view, activation.layer, activation.id, activation.lat, activation.lon);
  wait_for_map ();
  save_screenshot ("selected");
  g_assert_true (pct_map_view_activate_at (view, x, y));
  g_assert_cmpint (activation.id, ==, id);
  pct_map_view_select (view, PCT_N_LAYERS, 0, 0, 0);
  g_assert_false (pct_map_view_get_selected (view, NULL, NULL));

  /* With the layer off, the address is not there to click, and its
   * pixel is the basemap's again. */
  set_layers (none);
  g_assert_false (pct_map_view_activate_at (view, x, y));
  g_assert_cmpuint (activation.count, ==, 2);
  g_assert_false (colour_near (view_pixel (x, y), PCT_TILE_COLOR_ADDRESS, 30));

  g_signal_handler_disconnect (view, handler);
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
  wait_for_map ();
}

/* The zoom animates; it must arrive, and exactly. */
static void
wait_for_zoom (double zoom)
{
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (fabs (shumate_viewport_get_zoom_level (viewport) - zoom) > 1e-6)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The zoom stayed at %g instead of reaching %g",
                 shumate_viewport_get_zoom_level (viewport), zoom);
      iterate_for (20);
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
  assert_colour_near (view_pixel (x, y), PCT_TILE_COLOR_RESIDENTIAL, "before the change");

  writer = pct_store_open (district_path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  stmt = pct_store_prepare (writer, "UPDATE buildings SET use = 'office', "
                                    "updated_at = updated_at + 1 WHERE id = ?1", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_true (pct_store_step_done (writer, stmt, &error));
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!colour_near (view_pixel (x, y), PCT_TILE_COLOR_OFFICE, 6))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The map did not show the building's new use within 10 s");
      iterate_for (100);
      wait_for_map ();
    }

  /* Back as it was, for the other tests. */
  stmt = pct_store_prepare (writer, "UPDATE buildings SET use = 'residential', "
                                    "updated_at = updated_at + 1 WHERE id = ?1", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_true (pct_store_step_done (writer, stmt, &error));
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!colour_near (view_pixel (x, y), PCT_TILE_COLOR_RESIDENTIAL, 6))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The map did not show the building's use restored within 10 s");
      iterate_for (100);
      wait_for_map ();
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
  wait_for_map ();
  g_assert_true (pct_map_view_get_basemap (view) == source);
  g_assert_cmpstr (gtk_label_get_text (label), ==, "© Test Tiles");

  pct_map_view_set_basemap (view, NULL);
  wait_for_map ();
  g_assert_null (pct_map_view_get_basemap (view));
  g_assert_cmpstr (gtk_label_get_text (label), ==, builtin);
}

static void
generate_district (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) generated = NULL;

  district_dir = g_dir_make_tmp ("test-map-XXXXXX", &error);
  g_assert_no_error (error);
  district_path = g_build_filename (district_dir, "district.db", NULL);

  generated = pct_store_open (district_path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  g_assert_true (pct_generate_district (generated, PCT_DISTRICT_SMALL, SEED, REFERENCE_TIME,
                                        NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
remove_district (void)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (district_path, suffixes[i], NULL);

      g_remove (path);
    }
  g_rmdir (district_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  PctBBox extent;
  int status;

  if (g_getenv ("XDG_DATA_DIRS") != NULL && *g_getenv ("XDG_DATA_DIRS") != '\0')
    system_data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS"));
  else
    system_data_dirs = g_strdup ("/usr/local/share/:/usr/share/");

  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The icon theme and the MIME database live in the system data dirs. */
  g_setenv ("XDG_DATA_DIRS", system_data_dirs, TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);

  if (!gtk_init_check ())
    {
      /* Failing, not skipping: a display test that quietly does nothing
       * hides a broken setup. */
      g_print ("Bail out! No display\n");
      g_printerr ("No display: these tests need an X server. Run them with\n"
                  "  xvfb-run -a meson test --suite gui\n");
      return EXIT_FAILURE;
    }

  generate_district ();
  store = pct_store_open (district_path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (pct_store_get_extent (store, &extent, &error));

  settings = g_settings_new (BASE_APP_ID);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 800, 600);
  view = PCT_MAP_VIEW (pct_map_view_new ());
  gtk_window_set_child (window, GTK_WIDGET (view));
  gtk_window_present (window);
  pct_map_view_set_store (view, store);
  pct_map_view_set_district (view, &extent);
  pct_map_view_show_district (view);
  wait_for_map ();

  g_test_add_func ("/map/building-colour", test_building_colour);
  g_test_add_func ("/map/address-point-and-click", test_address_point_and_click);
  g_test_add_func ("/map/keyboard", test_keyboard);
  g_test_add_func ("/map/store-change", test_store_change);
  g_test_add_func ("/map/basemap", test_basemap);
  g_test_add_func ("/map/screenshots", test_screenshots);

  status = g_test_run ();

  gtk_window_destroy (window);
  g_clear_object (&settings);
  g_clear_object (&store);
  remove_district ();
  g_free (district_dir);
  g_free (district_path);
  g_free (system_data_dirs);

  return status;
}
