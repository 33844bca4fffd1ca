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

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>

#include "pct-application.h"
#include "pct-generator.h"
#include "pct-geo.h"
#include "pct-tile-renderer.h"
#include "pct-window.h"

typedef void (*WindowTestFunc) (PctWindow *window);

typedef struct
{
  WindowTestFunc  func;
  PctWindow      *window;
  gboolean        ran;
} AppRun;

/* The district every test looks at, generated once. */
static char *district_dir;
static char *district_path;

/* XDG_DATA_DIRS as the tests were started with. */
static char *system_data_dirs;

/* Long enough for a loaded CI machine; a hang fails instead of waiting for
 * meson's timeout. */
#define WAIT_SECONDS 60

/* A fixed "now", so the district is the same on every run. */
#define REFERENCE_TIME 1767196800  /* 2026-01-01 00:00 +08:00 */

static const char *
screenshot_suffix (void)
{
  const char *language = g_getenv ("LANGUAGE");

  return language != NULL && *language != '\0' ? language : "C";
}

/* Isolation gives each test empty data dirs, but the icon theme and the
 * MIME database (which tells GdkPixbuf that an icon is SVG) live in the
 * system ones. Only the user's own dirs need to be empty. */
static void
restore_system_data_dirs (void)
{
  g_setenv ("XDG_DATA_DIRS", system_data_dirs, TRUE);
}

static void
iterate_for (guint milliseconds)
{
  gint64 until = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < until)
    {
      /* Bounded: with a slow renderer a new frame is always pending. */
      while (g_main_context_pending (NULL) && g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* Until the stack shows a page other than "loading", cross-fade done. */
static void
wait_for_page (GtkStack *stack)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "loading") == 0 ||
         gtk_stack_get_transition_running (stack))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The window was still loading after %d s", WAIT_SECONDS);
      iterate_for (10);
    }
}

static void
wait_for_store (PctWindow *window)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (pct_window_get_store (window) == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The window did not open %s within %d s", district_path, WAIT_SECONDS);
      iterate_for (10);
    }
}

/* Until every tile in view is drawn: the view reports loading from the
 * moment its position changes until the last tile asked for is done.
 * Several quiet checks in a row, a frame apart, rule out the gap between
 * a change and the layers asking for tiles. */
static void
wait_for_map (PctMapView *view)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  guint quiet = 0;

  while (quiet < 5)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The map did not finish drawing its tiles within %d s", WAIT_SECONDS);

      iterate_for (20);
      if (pct_map_view_get_loading (view) ||
          gtk_widget_get_width (GTK_WIDGET (view)) == 0)
        quiet = 0;
      else
        quiet++;
    }
}

/* Renders a widget as the screen shows it, in device pixels: at a scale
 * factor of 2, a 256-pixel tile becomes 512 pixels of the texture. */
static GdkTexture *
render_widget (GtkWidget *widget)
{
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
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autoptr(GdkTexture) texture = render_widget (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  g_autofree char *scale_suffix = scale > 1 ? g_strdup_printf ("@%dx", scale) : g_strdup ("");
  g_autofree char *file = g_strdup_printf ("screenshot-%s-%s%s.png", name, screenshot_suffix (),
                                           scale_suffix);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);

  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
}

/* Returns the 0xRRGGBB of a pixel of an opaque texture. */
static guint32
texture_pixel (GdkTexture *texture,
               int         x,
               int         y)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guint32 *pixels = g_malloc (stride * height);
  guint32 argb;

  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (x, <, width);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (y, <, height);

  /* GDK_MEMORY_DEFAULT: premultiplied ARGB in native-endian words, which
   * for an opaque pixel is plain ARGB. */
  gdk_texture_download (texture, (guchar *) pixels, stride);
  argb = pixels[y * width + x];
  g_assert_cmphex (argb >> 24, ==, 0xff);

  return argb & 0xffffff;
}

static void
assert_colour_near (guint32     actual,
                    guint32     expected,
                    int         tolerance,
                    const char *what)
{
  for (int shift = 0; shift <= 16; shift += 8)
    {
      int a = (actual >> shift) & 0xff;
      int e = (expected >> shift) & 0xff;

      if (ABS (a - e) > tolerance)
        g_error ("%s: pixel is #%06x, expected #%06x", what, actual, expected);
    }
}

static GtkWidget *
template_child (PctWindow  *window,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (window), PCT_TYPE_WINDOW, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
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

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 AppRun         *run)
{
  if (run->window == NULL && PCT_IS_WINDOW (window))
    run->window = g_object_ref (PCT_WINDOW (window));
}

static gboolean
run_test_cb (gpointer user_data)
{
  AppRun *run = user_data;

  if (run->window == NULL)
    return G_SOURCE_CONTINUE;

  run->func (run->window);
  run->ran = TRUE;

  /* With its last window gone the application returns from run(). A test
   * may have closed it already. */
  if (gtk_window_get_application (GTK_WINDOW (run->window)) != NULL)
    gtk_window_destroy (GTK_WINDOW (run->window));

  return G_SOURCE_REMOVE;
}

/* Runs the application as `precinct [--db path]`, and func on its window
 * from within the application's main loop. */
static void
run_app (const char     *db_path,
         WindowTestFunc  func)
{
  g_autoptr(PctApplication) app = NULL;
  AppRun run = { func, NULL, FALSE };
  char *argv[4] = { (char *) "precinct", NULL, };
  int argc = 1;
  guint source_id;
  int status;

  restore_system_data_dirs ();

  if (db_path != NULL)
    {
      argv[argc++] = (char *) "--db";
      argv[argc++] = (char *) db_path;
    }

  /* Not unique: a Precinct the developer has open must not take over. */
  app = pct_application_new ("org.precinct.Precinct.Test", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), &run);
  source_id = g_timeout_add (10, run_test_cb, &run);

  status = g_application_run (G_APPLICATION (app), argc, argv);

  if (!run.ran)
    g_source_remove (source_id);
  g_assert_cmpint (status, ==, EXIT_SUCCESS);
  g_assert_true (run.ran);
  g_clear_object (&run.window);
}

static AdwAboutWindow *
find_about_window (void)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      GListModel *toplevels = gtk_window_get_toplevels ();

      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

          if (ADW_IS_ABOUT_WINDOW (toplevel) && gtk_widget_get_mapped (GTK_WIDGET (toplevel)))
            return ADW_ABOUT_WINDOW (toplevel);
        }
      iterate_for (10);
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
  GtkStack *stack = GTK_STACK (template_child (window, "stack"));

  wait_for_page (stack);

  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "missing");
  g_assert_null (pct_window_get_store (window));

  expected = pct_application_dup_default_store ();
  g_assert_cmpstr (pct_window_get_store_path (window), ==, expected);

  title = ADW_WINDOW_TITLE (template_child (window, "window_title"));
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, expected);
  command = GTK_LABEL (template_child (window, "missing_command"));
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
  iterate_for (300);
  save_screenshot (GTK_WIDGET (about), "about");
  gtk_window_destroy (GTK_WINDOW (about));
}

static void
test_missing_store (void)
{
  g_autofree char *path = pct_application_dup_default_store ();

  /* The isolated XDG_DATA_HOME of this test has no store. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  run_app (NULL, check_missing);
}

static void
check_district (PctWindow *window)
{
  PctMapView *view = pct_window_get_map_view (window);
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  AdwWindowTitle *title = ADW_WINDOW_TITLE (template_child (window, "window_title"));
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

  wait_for_store (window);

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
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (template_child (window, label_id))),
                       ==, expected);
    }

  /* The whole district, as first shown. The zoom range is the tile
   * sources': the basemap is the viewport's reference. */
  wait_for_page (GTK_STACK (template_child (window, "stack")));
  wait_for_map (view);
  g_assert_cmpuint (shumate_viewport_get_min_zoom_level (viewport), ==, 8);
  g_assert_cmpuint (shumate_viewport_get_max_zoom_level (viewport), ==, 20);
  fit_zoom = shumate_viewport_get_zoom_level (viewport);
  g_assert_cmpfloat (fit_zoom, >=, 10);
  save_screenshot (GTK_WIDGET (window), "district");

  /* An address at a zoom that draws one mark per address: the pixel it
   * projects to has the address colour. */
  find_lonely_address (store, 12.0, &lat, &lon);
  pct_map_view_go_to (view, lat, lon, 17);
  wait_for_map (view);
  shumate_viewport_location_to_widget_coords (viewport, GTK_WIDGET (pct_map_view_get_map (view)),
                                              lat, lon, &x, &y);
  texture = render_widget (GTK_WIDGET (view));
  assert_colour_near (texture_pixel (texture, (int) round (x * scale), (int) round (y * scale)),
                      PCT_TILE_COLOR_ADDRESS, 12, "Address mark");
  g_clear_object (&texture);
  save_screenshot (GTK_WIDGET (window), "addresses-z17");

  /* Door numbers. */
  pct_map_view_go_to (view, lat, lon, 18);
  wait_for_map (view);
  save_screenshot (GTK_WIDGET (window), "labels-z18");

  /* Count bubbles. */
  pct_map_view_go_to (view, lat, lon, 15);
  wait_for_map (view);
  save_screenshot (GTK_WIDGET (window), "bubbles-z15");

  /* Empty ground around the district has the land colour. A level out
   * from the fit, the district leaves room around it. */
  pct_map_view_show_district (view);
  wait_for_map (view);
  pct_map_view_go_to (view,
                      shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                      shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                      fit_zoom - 1);
  wait_for_map (view);
  texture = render_widget (GTK_WIDGET (view));

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
  assert_colour_near (texture_pixel (texture, (int) round (x * scale), (int) round (y * scale)),
                      PCT_TILE_COLOR_LAND, 2, "Empty ground");
}

static void
test_district (void)
{
  run_app (district_path, check_district);
}

static void
check_not_a_store (PctWindow *window)
{
  GtkStack *stack = GTK_STACK (template_child (window, "stack"));
  AdwStatusPage *page = ADW_STATUS_PAGE (template_child (window, "error_page"));

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
  g_autofree char *path = g_build_filename (district_dir, "notes&plans.db", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "These are notes, not a district.\n", -1, &error);
  g_assert_no_error (error);

  run_app (path, check_not_a_store);
}

static void
close_district (PctWindow *window)
{
  PctMapView *view = pct_window_get_map_view (window);
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  g_autoptr(GSettings) settings = g_settings_new (BASE_APP_ID);
  int width, height;

  wait_for_store (window);
  wait_for_map (view);

  /* Somewhere other than the fit, and a size other than the default. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  iterate_for (300);
  pct_map_view_go_to (view,
                      shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                      shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                      17);
  wait_for_map (view);

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

  wait_for_store (window);
  wait_for_map (view);

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

  run_app (district_path, close_district);
  run_app (district_path, reopen_district);

  /* The other tests start from the defaults. */
  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
  g_settings_reset (settings, "map-center-lat");
  g_settings_reset (settings, "map-center-lon");
  g_settings_reset (settings, "map-zoom");
}

static void
generate_district (void)
{
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;

  district_dir = g_dir_make_tmp ("precinct-gui-XXXXXX", &error);
  g_assert_no_error (error);
  district_path = g_build_filename (district_dir, "district.db", NULL);

  store = pct_store_open (district_path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  pct_generate_district (store, PCT_DISTRICT_SMALL, 1, REFERENCE_TIME, NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
remove_district (void)
{
  g_autoptr(GDir) dir = g_dir_open (district_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (district_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (district_dir);
  g_clear_pointer (&district_dir, g_free);
  g_clear_pointer (&district_path, g_free);
}

int
main (int   argc,
      char *argv[])
{
  const char *localedir = g_getenv ("PRECINCT_LOCALEDIR");
  int status;

  /* The build tree's translations, for screenshots in other languages. */
  if (g_getenv ("XDG_DATA_DIRS") != NULL && *g_getenv ("XDG_DATA_DIRS") != '\0')
    system_data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS"));
  else
    system_data_dirs = g_strdup ("/usr/local/share/:/usr/share/");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  restore_system_data_dirs ();

  /* No accessibility bus to talk to on a bare X server. */
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
  adw_init ();

  generate_district ();

  g_test_add_func ("/window/missing-store", test_missing_store);
  g_test_add_func ("/window/not-a-store", test_not_a_store);
  g_test_add_func ("/window/district", test_district);
  g_test_add_func ("/window/restore-state", test_restore_state);

  status = g_test_run ();

  remove_district ();
  g_free (system_data_dirs);
  return status;
}
