/* test-window.c — the main window on a generated district, under Xvfb
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real application with --db on a small generated district, waits
 * for the map tiles to be drawn, then checks the figures in the sidebar and
 * the pixels on screen: an address has the address colour where it
 * projects, and empty ground has the basemap's land colour. Screenshots go
 * to G_TEST_BUILDDIR for a person to look at.
 */

#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "gui-test-common.h"
#include "pct-application.h"
#include "pct-geo.h"
#include "pct-tile-renderer.h"
#include "pct-window.h"

/* The district every test looks at, generated once. */
static char *district_path;

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autoptr(GdkTexture) texture = gui_test_render_widget (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  g_autofree char *scale_suffix = scale > 1 ? g_strdup_printf ("@%dx", scale) : g_strdup ("");
  g_autofree char *file = g_strdup_printf ("screenshot-%s-%s%s.png", name, gui_test_language (),
                                           scale_suffix);

  gui_test_save_png (texture, file);
}

static gboolean
page_shown (gpointer data)
{
  GtkStack *stack = data;

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "loading") != 0 &&
         !gtk_stack_get_transition_running (stack);
}

/* Until the stack shows a page other than "loading", cross-fade done. */
static void
wait_for_page (GtkStack *stack)
{
  gui_test_wait_until (page_shown, stack, "the window to finish loading");
}

/* The grouping the sidebar must show, worked out independently. */
static char *
group_thousands (gint64 value)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, value);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

static gint64
count_in_box (PctStore   *store,
              const char *sql,
              double      min_lon,
              double      min_lat,
              double      max_lon,
              double      max_lat)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  gint64 count;

  g_assert_no_error (error);
  sqlite3_bind_double (stmt, 1, min_lon);
  sqlite3_bind_double (stmt, 2, min_lat);
  sqlite3_bind_double (stmt, 3, max_lon);
  sqlite3_bind_double (stmt, 4, max_lat);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return count;
}

#define BOX_WHERE " WHERE min_lon <= ?3 AND max_lon >= ?1 AND min_lat <= ?4 AND max_lat >= ?2"

/* Whether anything the map draws lies within margin pixels of a point. */
static gboolean
is_empty_ground (PctStore        *store,
                 ShumateViewport *viewport,
                 double           lat,
                 double           lon,
                 double           margin)
{
  double zoom = shumate_viewport_get_zoom_level (viewport);
  double world = PCT_TILE_SIZE * exp2 (zoom);
  double x, y, min_lon, min_lat, max_lon, max_lat;

  pct_geo_mercator_project (lon, lat, &x, &y);
  pct_geo_mercator_unproject (x - margin / world, y + margin / world, &min_lon, &min_lat);
  pct_geo_mercator_unproject (x + margin / world, y - margin / world, &max_lon, &max_lat);

  return count_in_box (store, "SELECT count(*) FROM area_rtree" BOX_WHERE,
                       min_lon, min_lat, max_lon, max_lat) == 0 &&
         count_in_box (store, "SELECT count(*) FROM road_rtree" BOX_WHERE,
                       min_lon, min_lat, max_lon, max_lat) == 0 &&
         count_in_box (store, "SELECT count(*) FROM building_rtree" BOX_WHERE,
                       min_lon, min_lat, max_lon, max_lat) == 0 &&
         count_in_box (store, "SELECT count(*) FROM address_rtree" BOX_WHERE,
                       min_lon, min_lat, max_lon, max_lat) == 0;
}

/* An address with no other within radius metres, so that its mark is not
 * covered by a neighbour's. */
static void
find_lonely_address (PctStore *store,
                     double    radius,
                     double   *lat,
                     double   *lon)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT lon, lat FROM addresses ORDER BY id",
                                          &error);
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (PctGeoPoint));

  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      PctGeoPoint pt = { sqlite3_column_double (stmt, 0), sqlite3_column_double (stmt, 1) };

      g_array_append_val (points, pt);
    }
  sqlite3_reset (stmt);
  g_assert_cmpuint (points->len, >, 0);

  for (guint i = 0; i < points->len; i++)
    {
      const PctGeoPoint *a = &g_array_index (points, PctGeoPoint, i);
      gboolean lonely = TRUE;

      for (guint j = 0; j < points->len && lonely; j++)
        {
          const PctGeoPoint *b = &g_array_index (points, PctGeoPoint, j);

          if (i != j && pct_geo_distance (a->x, a->y, b->x, b->y) < radius)
            lonely = FALSE;
        }

      if (lonely)
        {
          *lon = a->x;
          *lat = a->y;
          return;
        }
    }

  g_error ("No address of the district stands %.0f m away from all others", radius);
}

static AdwAboutWindow *
find_about_window (void)
{
  gint64 deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      GListModel *toplevels = gtk_window_get_toplevels ();

      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

          if (ADW_IS_ABOUT_WINDOW (toplevel) && gtk_widget_get_mapped (GTK_WIDGET (toplevel)))
            return ADW_ABOUT_WINDOW (toplevel);
        }
      gui_test_iterate_for (10);
    }
  return NULL;
}

static void
check_missing (PctWindow *window)
{
  g_autofree char *expected = NULL;
  AdwAboutWindow *about;
  AdwWindowTitle *title;
  GtkLabel *command;
  GtkStack *stack = GTK_STACK (gui_test_window_child (window, "stack"));

  wait_for_page (stack);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "missing");
  g_assert_null (pct_window_get_store (window));

  expected = pct_application_dup_default_store ();
  g_assert_cmpstr (pct_window_get_store_path (window), ==, expected);

  title = ADW_WINDOW_TITLE (gui_test_window_child (window, "window_title"));
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, expected);
  command = GTK_LABEL (gui_test_window_child (window, "missing_command"));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (command), "precinct-tool gen "));
  g_assert_nonnull (strstr (gtk_label_get_text (command), expected));

  save_screenshot (GTK_WIDGET (window), "missing");

  /* The main menu's About works without a district. */
  g_action_group_activate_action (G_ACTION_GROUP (gtk_window_get_application (GTK_WINDOW (window))),
                                  "about", NULL);
  about = find_about_window ();
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_version (about), ==, PACKAGE_VERSION);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (about)) == GTK_WINDOW (window));
  gui_test_iterate_for (300);
  save_screenshot (GTK_WIDGET (about), "about");
  gtk_window_destroy (GTK_WINDOW (about));
}

static void
test_missing_store (void)
{
  g_autofree char *path = pct_application_dup_default_store ();

  /* The isolated XDG_DATA_HOME of this test has no store. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  gui_test_run_app (NULL, check_missing);
}

static void
check_district (PctWindow *window)
{
  PctMapView *view = pct_window_get_map_view (window);
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  AdwWindowTitle *title = ADW_WINDOW_TITLE (gui_test_window_child (window, "window_title"));
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  const char * const entities[] = {
    "addresses", "buildings", "rooms", "people", "units", "facilities", "grids",
    "incidents", "work_orders",
  };
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (window));
  double lat = 0, lon = 0, x, y;
  double fit_zoom;
  gboolean found = FALSE;

  gui_test_wait_for_store (window);

  store = pct_store_open (district_path, PCT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);

  /* Header bar: the district's name over the store's path. */
  name = pct_store_get_meta (store, "district_name");
  g_assert_nonnull (name);
  g_assert_cmpstr (adw_window_title_get_title (title), ==, name);
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, district_path);

  /* Sidebar: every count as the store has it, grouped by thousands. */
  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    {
      g_autofree char *label_id = g_strdup_printf ("%s_count", entities[i]);
      g_autofree char *expected = NULL;
      gint64 count = -1;

      pct_store_count (store, entities[i], &count, &error);
      g_assert_no_error (error);
      expected = group_thousands (count);
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gui_test_window_child (window, label_id))),
                       ==, expected);
    }

  /* The whole district, as first shown. The zoom range is the tile
   * sources': the basemap is the viewport's reference. */
  wait_for_page (GTK_STACK (gui_test_window_child (window, "stack")));
  gui_test_wait_for_map (view);
  g_assert_cmpuint (shumate_viewport_get_min_zoom_level (viewport), ==, 8);
  g_assert_cmpuint (shumate_viewport_get_max_zoom_level (viewport), ==, 20);
  fit_zoom = shumate_viewport_get_zoom_level (viewport);
  g_assert_cmpfloat (fit_zoom, >=, 10);
  save_screenshot (GTK_WIDGET (window), "district");

  /* An address at a zoom that draws one mark per address: the pixel it
   * projects to has the address colour. */
  find_lonely_address (store, 12.0, &lat, &lon);
  pct_map_view_go_to (view, lat, lon, 17);
  gui_test_wait_for_map (view);
  shumate_viewport_location_to_widget_coords (viewport, GTK_WIDGET (pct_map_view_get_map (view)),
                                              lat, lon, &x, &y);
  texture = gui_test_render_widget (GTK_WIDGET (view));
  gui_test_assert_colour_near (gui_test_texture_pixel (texture, (int) round (x * scale),
                                                       (int) round (y * scale)),
                               PCT_TILE_COLOR_ADDRESS, 12, "Address mark");
  g_clear_object (&texture);
  save_screenshot (GTK_WIDGET (window), "addresses-z17");

  /* Door numbers. */
  pct_map_view_go_to (view, lat, lon, 18);
  gui_test_wait_for_map (view);
  save_screenshot (GTK_WIDGET (window), "labels-z18");

  /* Count bubbles. */
  pct_map_view_go_to (view, lat, lon, 15);
  gui_test_wait_for_map (view);
  save_screenshot (GTK_WIDGET (window), "bubbles-z15");

  /* Empty ground around the district has the land colour. A level out
   * from the fit, the district leaves room around it. */
  pct_map_view_show_district (view);
  gui_test_wait_for_map (view);
  pct_map_view_go_to (view,
                      shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                      shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                      fit_zoom - 1);
  gui_test_wait_for_map (view);
  texture = gui_test_render_widget (GTK_WIDGET (view));

  /* Clear of the scale bar and the zoom buttons at the bottom. */
  for (int gy = 1; gy < 8 && !found; gy++)
    {
      for (int gx = 1; gx < 16 && !found; gx++)
        {
          x = gtk_widget_get_width (GTK_WIDGET (view)) * gx / 16.0;
          y = (gtk_widget_get_height (GTK_WIDGET (view)) - 100) * gy / 8.0;
          shumate_viewport_widget_coords_to_location (viewport,
                                                      GTK_WIDGET (pct_map_view_get_map (view)),
                                                      x, y, &lat, &lon);
          found = is_empty_ground (store, viewport, lat, lon, 40);
        }
    }
  g_assert_true (found);
  gui_test_assert_colour_near (gui_test_texture_pixel (texture, (int) round (x * scale),
                                                       (int) round (y * scale)),
                               PCT_TILE_COLOR_LAND, 2, "Empty ground");
}

static void
test_district (void)
{
  gui_test_run_app (district_path, check_district);
}

static void
check_not_a_store (PctWindow *window)
{
  GtkStack *stack = GTK_STACK (gui_test_window_child (window, "stack"));
  AdwStatusPage *page = ADW_STATUS_PAGE (gui_test_window_child (window, "error_page"));

  wait_for_page (stack);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "error");
  g_assert_null (pct_window_get_store (window));
  /* The description is markup: the path's ampersand arrives escaped. */
  g_assert_nonnull (strstr (adw_status_page_get_description (page), "notes&amp;plans.db"));

  save_screenshot (GTK_WIDGET (window), "not-a-store");
}

static void
test_not_a_store (void)
{
  g_autofree char *dir = g_path_get_dirname (district_path);
  g_autofree char *path = g_build_filename (dir, "notes&plans.db", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "These are notes, not a district.\n", -1, &error);
  g_assert_no_error (error);

  gui_test_run_app (path, check_not_a_store);
}

static void
close_district (PctWindow *window)
{
  PctMapView *view = pct_window_get_map_view (window);
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  g_autoptr(GSettings) settings = g_settings_new (BASE_APP_ID);
  int width, height;

  gui_test_wait_for_store (window);
  gui_test_wait_for_map (view);

  /* Somewhere other than the fit, and a size other than the default. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  gui_test_iterate_for (300);
  pct_map_view_go_to (view,
                      shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                      shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                      17);
  gui_test_wait_for_map (view);

  /* Quitting closes the window as its close button would. */
  g_action_group_activate_action (G_ACTION_GROUP (gtk_window_get_application (GTK_WINDOW (window))),
                                  "quit", NULL);
  g_assert_null (gtk_window_get_application (GTK_WINDOW (window)));

  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, width);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, height);
  g_assert_cmpfloat (g_settings_get_double (settings, "map-zoom"), ==, 17);
  g_assert_cmpfloat (g_settings_get_double (settings, "map-center-lat"), ==,
                     shumate_location_get_latitude (SHUMATE_LOCATION (viewport)));
  g_assert_cmpfloat (g_settings_get_double (settings, "map-center-lon"), ==,
                     shumate_location_get_longitude (SHUMATE_LOCATION (viewport)));
}

static void
reopen_district (PctWindow *window)
{
  PctMapView *view = pct_window_get_map_view (window);
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  g_autoptr(GSettings) settings = g_settings_new (BASE_APP_ID);
  int width, height;

  gui_test_wait_for_store (window);
  gui_test_wait_for_map (view);

  gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
  g_assert_cmpint (width, ==, g_settings_get_int (settings, "window-width"));
  g_assert_cmpint (height, ==, g_settings_get_int (settings, "window-height"));
  g_assert_cmpfloat (shumate_viewport_get_zoom_level (viewport), ==, 17);
  g_assert_cmpfloat_with_epsilon (shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                                  g_settings_get_double (settings, "map-center-lat"), 1e-9);
  g_assert_cmpfloat_with_epsilon (shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                                  g_settings_get_double (settings, "map-center-lon"), 1e-9);
}

/* The window comes back at the size and map position it was closed at. */
static void
test_restore_state (void)
{
  g_autoptr(GSettings) settings = g_settings_new (BASE_APP_ID);

  gui_test_run_app (district_path, close_district);
  gui_test_run_app (district_path, reopen_district);

  /* The other tests start from the defaults. */
  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
  g_settings_reset (settings, "map-center-lat");
  g_settings_reset (settings, "map-center-lon");
  g_settings_reset (settings, "map-zoom");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  if (!gui_test_init (&argc, &argv))
    return EXIT_FAILURE;

  district_path = gui_test_generate_district (1, GUI_TEST_REFERENCE_TIME);

  g_test_add_func ("/window/missing-store", test_missing_store);
  g_test_add_func ("/window/not-a-store", test_not_a_store);
  g_test_add_func ("/window/district", test_district);
  g_test_add_func ("/window/restore-state", test_restore_state);

  status = g_test_run ();

  gui_test_remove_district (district_path);
  g_free (district_path);
  return status;
}
