/* test-basemaps.c — MBTiles and tile-server basemaps on screen, under Xvfb
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tiles of known colours, from an MBTiles file the test writes and from a
 * SoupServer on 127.0.0.1, are shown on a real ShumateMap and read back
 * from the rendered pixels: each colour in its quadrant (which fails if
 * the TMS rows are not flipped), the deepest tiles enlarged past the
 * file's last zoom level, a tile that is not there drawn as the hatched
 * "missing" tile. Then the server stops: what was downloaded is still
 * shown, what was not is hatched, and nothing waits. The settings choose
 * the basemap of a PctMapView live, and the preferences window is
 * photographed in each of its states into the build directory.
 */

#define G_LOG_DOMAIN "test-basemaps"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "gui-test-common.h"
#include "pct-basemap.h"
#include "pct-map-view.h"
#include "pct-preferences-dialog.h"

#define VIEW_SIZE 512

typedef struct
{
  SoupServer *server;
  char       *url_template;
  guint       port;
  guint       n_requests;
} TileServer;

/* Distinct for every tile, and far from both greys of the missing tile. */
static guint32
tile_colour (guint zoom,
             guint x,
             guint y)
{
  return (0x30 + zoom * 0x30) << 16 | (0x20 + x * 0x40) << 8 | (0x20 + y * 0x40);
}

static cairo_status_t
png_write_cb (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static GBytes *
make_png (guint32 rgb)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 256, 256);
  cairo_t *cr = cairo_create (surface);
  GByteArray *array = g_byte_array_new ();

  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0);
  cairo_paint (cr);
  cairo_destroy (cr);
  g_assert_cmpint (cairo_surface_write_to_png_stream (surface, png_write_cb, array), ==,
                   CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);

  return g_byte_array_free_to_bytes (array);
}

/* The colour of a tile's south-east quarter in the MBTiles file, which
 * shows where an enlarged tile was cut. */
static guint32
quarter_colour (guint32 rgb)
{
  return rgb ^ 0x404040;
}

static GBytes *
make_marked_png (guint32 rgb)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 256, 256);
  cairo_t *cr = cairo_create (surface);
  GByteArray *array = g_byte_array_new ();
  guint32 quarter = quarter_colour (rgb);

  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, ((quarter >> 16) & 0xff) / 255.0, ((quarter >> 8) & 0xff) / 255.0,
                        (quarter & 0xff) / 255.0);
  cairo_rectangle (cr, 128, 128, 128, 128);
  cairo_fill (cr);
  cairo_destroy (cr);
  g_assert_cmpint (cairo_surface_write_to_png_stream (surface, png_write_cb, array), ==,
                   CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);

  return g_byte_array_free_to_bytes (array);
}

static void
exec_sql (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* Zoom levels 1 and 2, every tile its own colour with its south-east
 * quarter in another, rows stored the TMS way (from the south); tile 2/2/2
 * left out. */
static char *
make_mbtiles (void)
{
  g_autofree char *path = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  path = g_build_filename (g_get_user_data_dir (), "test.mbtiles", NULL);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  exec_sql (db,
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            "                    tile_data BLOB);"
            "INSERT INTO metadata VALUES ('name', 'Test Survey 2026'), ('format', 'png'),"
            "  ('minzoom', '1'), ('maxzoom', '2'),"
            "  ('attribution', '&copy; Test Survey Office');"
            "BEGIN");
  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO tiles VALUES (?, ?, ?, ?)", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  for (guint zoom = 1; zoom <= 2; zoom++)
    for (guint x = 0; x < (1u << zoom); x++)
      for (guint y = 0; y < (1u << zoom); y++)
        {
          g_autoptr(GBytes) png = NULL;

          if (zoom == 2 && x == 2 && y == 2)
            continue;

          png = make_marked_png (tile_colour (zoom, x, y));
          sqlite3_bind_int (stmt, 1, zoom);
          sqlite3_bind_int (stmt, 2, x);
          sqlite3_bind_int (stmt, 3, (1 << zoom) - 1 - y);
          sqlite3_bind_blob (stmt, 4, g_bytes_get_data (png, NULL), g_bytes_get_size (png),
                             SQLITE_TRANSIENT);
          g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
          sqlite3_reset (stmt);
        }
  sqlite3_finalize (stmt);
  exec_sql (db, "COMMIT");
  sqlite3_close (db);

  return g_steal_pointer (&path);
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  TileServer *ts = user_data;
  g_autoptr(GBytes) png = NULL;
  guint zoom, x, y;

  ts->n_requests++;
  if (sscanf (path, "/tiles/%u/%u/%u.png", &zoom, &x, &y) != 3)
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  png = make_png (tile_colour (zoom, x, y));
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "image/png", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (png, NULL), g_bytes_get_size (png));
}

/* On the port given, or any free one for 0. */
static void
tile_server_listen (TileServer *ts,
                    guint       port)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  ts->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (ts->server, "/tiles", server_callback, ts, NULL);
  soup_server_listen_local (ts->server, port, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (ts->server);
  ts->port = g_uri_get_port (uris->data);
  g_free (ts->url_template);
  ts->url_template = g_strdup_printf ("http://127.0.0.1:%u/tiles/{z}/{x}/{y}.png", ts->port);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

static TileServer *
tile_server_start (void)
{
  TileServer *ts = g_new0 (TileServer, 1);

  tile_server_listen (ts, 0);
  return ts;
}

static void
tile_server_stop (TileServer *ts)
{
  if (ts->server != NULL)
    soup_server_disconnect (ts->server);
  g_clear_object (&ts->server);
}

static void
tile_server_free (TileServer *ts)
{
  tile_server_stop (ts);
  g_free (ts->url_template);
  g_free (ts);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TileServer, tile_server_free)

typedef struct
{
  GtkWidget  *map;
  PctBasemap *source;
} TileWait;

static gboolean
tiles_delivered (gpointer data)
{
  TileWait *wait = data;

  return pct_basemap_get_n_pending (wait->source) == 0 && gtk_widget_get_width (wait->map) > 0;
}

/* Until the source has delivered every tile asked for, five quiet checks
 * in a row ruling out the gap before the layer asks. Returns the time it
 * took. */
static double
wait_for_tiles (GtkWidget  *map,
                PctBasemap *source)
{
  TileWait wait = { map, source };

  return gui_test_wait_quiet (tiles_delivered, &wait, "the basemap to deliver its tiles");
}

static void
save_screenshot (GdkTexture *texture,
                 const char *name)
{
  g_autofree char *file = g_strdup_printf ("screenshot-%s-%s.png", name, gui_test_language ());

  gui_test_save_png (texture, file);
}

static guint32 *
download (GdkTexture *texture)
{
  gsize stride = (gsize) gdk_texture_get_width (texture) * 4;
  guint32 *pixels = g_malloc (stride * gdk_texture_get_height (texture));

  gdk_texture_download (texture, (guchar *) pixels, stride);
  return pixels;
}

static guint32
pixel_at (GdkTexture *texture,
          int         x,
          int         y)
{
  g_autofree guint32 *pixels = download (texture);

  return pixels[y * gdk_texture_get_width (texture) + x] & 0xffffff;
}

static void
assert_colour_at (GdkTexture *texture,
                  int         x,
                  int         y,
                  guint32     expected,
                  const char *what)
{
  guint32 actual = pixel_at (texture, x, y);

  if (!gui_test_colour_near (actual, expected, 3))
    g_error ("%s: the pixel at %d,%d is #%06x, expected #%06x", what, x, y, actual, expected);
}

/* The missing tile's look: mostly its light grey, crossed by darker
 * hatching, and nothing else. */
static void
assert_missing_at (GdkTexture *texture,
                   int         x0,
                   int         y0,
                   const char *what)
{
  g_autofree guint32 *pixels = download (texture);
  int width = gdk_texture_get_width (texture);
  guint background = 0, hatch = 0, total = 0;

  for (int y = y0; y < y0 + 48; y++)
    for (int x = x0; x < x0 + 48; x++)
      {
        guint32 pixel = pixels[y * width + x] & 0xffffff;

        total++;
        if (gui_test_colour_near (pixel, PCT_BASEMAP_MISSING_BACKGROUND, 4))
          background++;
        else if (gui_test_colour_near (pixel, PCT_BASEMAP_MISSING_HATCH, 4))
          hatch++;
      }

  if (background < total / 2 || hatch < total / 20)
    g_error ("%s: not the missing-tile hatching at %d,%d (%u of %u background, %u hatch)",
             what, x0, y0, background, total, hatch);
}

/* A window with a bare map of one source, at zoom level `zoom` around
 * 0°, 0°: the view shows the middle of the world. */
static GtkWidget *
show_map (PctBasemap    *source,
          double         zoom,
          ShumateLayer **layer)
{
  GtkWidget *window = gtk_window_new ();
  ShumateMap *map = shumate_map_new ();
  ShumateViewport *viewport = shumate_map_get_viewport (map);

  gtk_window_set_default_size (GTK_WINDOW (window), VIEW_SIZE, VIEW_SIZE);
  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (map));

  shumate_map_set_map_source (map, SHUMATE_MAP_SOURCE (source));
  *layer = SHUMATE_LAYER (shumate_map_layer_new (SHUMATE_MAP_SOURCE (source), viewport));
  shumate_map_add_layer (map, *layer);
  shumate_viewport_set_zoom_level (viewport, zoom);
  shumate_map_center_on (map, 0, 0);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

/* A fresh layer: libshumate keeps tiles per layer, so a new one asks the
 * source for every tile again. */
static void
replace_layer (GtkWidget     *window,
               PctBasemap    *source,
               ShumateLayer **layer)
{
  ShumateMap *map = SHUMATE_MAP (gtk_window_get_child (GTK_WINDOW (window)));

  shumate_map_remove_layer (map, *layer);
  *layer = SHUMATE_LAYER (shumate_map_layer_new (SHUMATE_MAP_SOURCE (source),
                                                 shumate_map_get_viewport (map)));
  shumate_map_add_layer (map, *layer);
}

static void
set_zoom (GtkWidget *window,
          double     zoom)
{
  ShumateMap *map = SHUMATE_MAP (gtk_window_get_child (GTK_WINDOW (window)));

  shumate_viewport_set_zoom_level (shumate_map_get_viewport (map), zoom);
  shumate_map_center_on (map, 0, 0);
}

/* At zoom 2 around 0°, 0°: tiles x 1–2, y 1–2 of the tile server, one
 * per quadrant. */
static void
assert_quadrants (GdkTexture *texture,
                  const char *what)
{
  assert_colour_at (texture, 128, 128, tile_colour (2, 1, 1), what);
  assert_colour_at (texture, 384, 128, tile_colour (2, 2, 1), what);
  assert_colour_at (texture, 128, 384, tile_colour (2, 1, 2), what);
  assert_colour_at (texture, 384, 384, tile_colour (2, 2, 2), what);
}

static void
test_mbtiles (void)
{
  g_autofree char *path = NULL;
  g_autoptr(PctMbtiles) mbtiles = NULL;
  g_autoptr(PctBasemap) source = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window;
  ShumateLayer *layer = NULL;
  ShumateMapSource *map_source;

  gui_test_restore_system_data_dirs ();
  path = make_mbtiles ();
  mbtiles = pct_mbtiles_open (path, &error);
  g_assert_no_error (error);
  source = pct_basemap_new_for_mbtiles (mbtiles);
  map_source = SHUMATE_MAP_SOURCE (source);

  /* The attribution is the license text; the zoom range reaches the
   * close levels the feature layers need. */
  g_assert_cmpstr (shumate_map_source_get_license (map_source), ==, "© Test Survey Office");
  g_assert_cmpstr (shumate_map_source_get_name (map_source), ==, "Test Survey 2026");
  g_assert_cmpuint (shumate_map_source_get_min_zoom_level (map_source), ==, 1);
  g_assert_cmpuint (shumate_map_source_get_max_zoom_level (map_source), >=, 18);

  /* At zoom 2 (world 1,024 pixels) around 0°, 0° the 512-pixel view
   * holds tiles x 1–2, y 1–2, one per quadrant, rows counted from the
   * north: had the TMS rows not been flipped, top and bottom would swap. */
  window = show_map (source, 2, &layer);
  wait_for_tiles (gtk_window_get_child (GTK_WINDOW (window)), source);
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (window);

    save_screenshot (texture, "basemap-mbtiles-z2");
    assert_colour_at (texture, 64, 64, tile_colour (2, 1, 1), "MBTiles 2/1/1");
    assert_colour_at (texture, 192, 192, quarter_colour (tile_colour (2, 1, 1)), "MBTiles 2/1/1");
    assert_colour_at (texture, 320, 64, tile_colour (2, 2, 1), "MBTiles 2/2/1");
    assert_colour_at (texture, 64, 320, tile_colour (2, 1, 2), "MBTiles 2/1/2");
    assert_missing_at (texture, 360, 360, "MBTiles 2/2/2, not in the file");
  }

  /* Past the file's deepest level: the quarters of its tiles, enlarged.
   * Tile 3/3/3 is the south-east quarter of 2/1/1, 3/4/3 the south-west
   * quarter of 2/2/1. */
  set_zoom (window, 3);
  wait_for_tiles (gtk_window_get_child (GTK_WINDOW (window)), source);
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (window);

    save_screenshot (texture, "basemap-mbtiles-z3");
    assert_colour_at (texture, 128, 128, quarter_colour (tile_colour (2, 1, 1)),
                      "MBTiles enlarged 3/3/3");
    assert_colour_at (texture, 384, 128, tile_colour (2, 2, 1), "MBTiles enlarged 3/4/3");
    assert_colour_at (texture, 128, 384, tile_colour (2, 1, 2), "MBTiles enlarged 3/3/4");
    assert_missing_at (texture, 360, 360, "MBTiles enlarged 3/4/4, not in the file");
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_xyz_offline (void)
{
  g_autoptr(TileServer) ts = tile_server_start ();
  g_autoptr(PctTileFetcher) fetcher = NULL;
  g_autoptr(PctBasemap) source = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window;
  GtkWidget *map;
  ShumateLayer *layer = NULL;
  guint n_requests;
  double seconds;

  gui_test_restore_system_data_dirs ();

  fetcher = pct_tile_fetcher_new (ts->url_template, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Asks the server every time, so that its going away shows. A tile
   * that waited for the network would take the whole timeout. */
  pct_tile_fetcher_set_max_age (fetcher, 0);
  pct_tile_fetcher_set_timeout (fetcher, 10);
  source = pct_basemap_new_for_fetcher (fetcher);
  g_assert_cmpstr (shumate_map_source_get_license (SHUMATE_MAP_SOURCE (source)), ==,
                   "Map tiles from 127.0.0.1");

  window = show_map (source, 2, &layer);
  map = gtk_window_get_child (GTK_WINDOW (window));
  wait_for_tiles (map, source);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (window);

    save_screenshot (texture, "basemap-xyz-online");
    assert_quadrants (texture, "Tile server");
  }
  n_requests = ts->n_requests;
  g_assert_cmpuint (n_requests, >=, 4);

  /* Let the cache writes land before the server goes. */
  gui_test_iterate_for (300);
  tile_server_stop (ts);

  replace_layer (window, source, &layer);
  seconds = wait_for_tiles (map, source);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_OFFLINE);
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (window);

    save_screenshot (texture, "basemap-xyz-offline-cached");
    assert_quadrants (texture, "Tile server gone, tiles from the cache");
  }
  g_test_message ("Cached tiles without the server: %.2f s", seconds);

  /* Never downloaded: hatched, and at once. */
  set_zoom (window, 3);
  seconds = wait_for_tiles (map, source);
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (window);

    save_screenshot (texture, "basemap-xyz-offline-missing");
    assert_missing_at (texture, 40, 40, "Tile server gone, tile never fetched");
    assert_missing_at (texture, 300, 300, "Tile server gone, tile never fetched");
  }
  g_test_message ("Missing tiles without the server: %.2f s", seconds);
  /* Well below the 10 s timeout, even on a loaded machine. */
  g_assert_cmpfloat (seconds, <, 5.0);

  gtk_window_destroy (GTK_WINDOW (window));
}

typedef struct
{
  gboolean done;
} FetchDone;

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  FetchDone *done = user_data;
  g_autoptr(GBytes) bytes = pct_tile_fetcher_fetch_finish (PCT_TILE_FETCHER (object), result,
                                                           NULL, NULL);

  done->done = TRUE;
}

/* A tile never asked for, so that the server is asked. */
static void
fetch_now (PctTileFetcher *fetcher,
           FetchDone      *done)
{
  static guint column;
  gint64 deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;

  done->done = FALSE;
  pct_tile_fetcher_fetch_async (fetcher, 12, column++, 0, NULL, fetched_cb, done);
  while (!done->done)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("A fetch did not finish within %d s", GUI_TEST_WAIT_SECONDS);
      gui_test_iterate_for (10);
    }
}

/* Until the view's basemap is another than `old`. */
static ShumateMapSource *
wait_for_basemap (PctMapView       *view,
                  ShumateMapSource *old)
{
  gint64 deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;

  while (pct_map_view_get_basemap (view) == old)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The settings did not change the map's basemap within %d s",
                 GUI_TEST_WAIT_SECONDS);
      gui_test_iterate_for (10);
    }
  return pct_map_view_get_basemap (view);
}

static void
test_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (BASE_APP_ID);
  g_autoptr(TileServer) ts = tile_server_start ();
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  ShumateMapSource *source;
  GtkWidget *window;
  PctMapView *view;

  gui_test_restore_system_data_dirs ();
  path = make_mbtiles ();

  /* The built-in basemap is the map view's own. */
  g_settings_set_string (settings, "basemap", "builtin");
  source = pct_basemap_new_from_settings (settings, &error);
  g_assert_no_error (error);
  g_assert_null (source);

  g_settings_set_string (settings, "basemap", "mbtiles");
  source = pct_basemap_new_from_settings (settings, &error);
  g_assert_null (source);
  g_assert_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_settings_set_string (settings, "mbtiles-path", path);
  source = pct_basemap_new_from_settings (settings, &error);
  g_assert_no_error (error);
  g_assert_true (PCT_IS_BASEMAP (source));
  g_assert_nonnull (pct_basemap_get_mbtiles (PCT_BASEMAP (source)));
  g_clear_object (&source);

  g_settings_set_string (settings, "basemap", "xyz");
  g_settings_set_string (settings, "xyz-url-template", "https://tiles.example.org/{z}/{x}.png");
  source = pct_basemap_new_from_settings (settings, &error);
  g_assert_null (source);
  g_assert_error (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_INVALID_TEMPLATE);
  g_clear_error (&error);

  g_settings_set_string (settings, "xyz-url-template", ts->url_template);
  g_settings_set_string (settings, "xyz-ca-file", "/nonexistent/ca.pem");
  source = pct_basemap_new_from_settings (settings, &error);
  g_assert_null (source);
  g_assert_error (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_CA_FILE);
  g_clear_error (&error);

  g_settings_set_string (settings, "xyz-ca-file", "");
  source = pct_basemap_new_from_settings (settings, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pct_basemap_get_fetcher (PCT_BASEMAP (source)));
  g_clear_object (&source);

  /* Bound to a map view, the settings switch its basemap live. */
  g_settings_set_string (settings, "basemap", "builtin");
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 480);
  view = PCT_MAP_VIEW (pct_map_view_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
  pct_basemap_bind (view, settings);
  g_assert_null (pct_map_view_get_basemap (view));

  g_settings_set_string (settings, "basemap", "mbtiles");
  source = wait_for_basemap (view, NULL);
  g_assert_true (PCT_IS_BASEMAP (source));
  g_assert_cmpstr (pct_mbtiles_get_path (pct_basemap_get_mbtiles (PCT_BASEMAP (source))), ==,
                   path);
  pct_map_view_go_to (view, 0, 0, 2);
  wait_for_tiles (GTK_WIDGET (view), PCT_BASEMAP (source));
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (window);

    /* With the file's attribution in the corner. */
    save_screenshot (texture, "basemap-map-view-mbtiles");
  }

  g_settings_set_string (settings, "basemap", "xyz");
  source = wait_for_basemap (view, source);
  g_assert_true (PCT_IS_BASEMAP (source));
  g_assert_cmpstr (pct_tile_fetcher_get_url_template (pct_basemap_get_fetcher (PCT_BASEMAP (source))),
                   ==, ts->url_template);

  /* The server goes and comes back: the basemap is made again, so that
   * its hatched tiles are asked for anew. */
  {
    PctTileFetcher *fetcher = pct_basemap_get_fetcher (PCT_BASEMAP (source));
    FetchDone done = { FALSE };
    guint port = ts->port;

    /* Tiles under way would still be answered by the server going. */
    fetch_now (fetcher, &done);
    wait_for_tiles (GTK_WIDGET (view), PCT_BASEMAP (source));
    g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);

    pct_tile_fetcher_set_retry_interval (fetcher, 0);
    tile_server_stop (ts);
    fetch_now (fetcher, &done);
    g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_OFFLINE);
    g_assert_true (pct_map_view_get_basemap (view) == source);

    tile_server_listen (ts, port);
    fetch_now (fetcher, &done);
    g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);
    g_assert_true (PCT_IS_BASEMAP (pct_map_view_get_basemap (view)));
    g_assert_true (pct_map_view_get_basemap (view) != source);
    g_assert_true (pct_basemap_get_fetcher (PCT_BASEMAP (pct_map_view_get_basemap (view))) ==
                   fetcher);
  }

  /* Unusable settings fall back on the built-in basemap. */
  g_test_expect_message ("pct-basemap", G_LOG_LEVEL_WARNING, "*built-in*");
  g_settings_set_string (settings, "xyz-url-template", "nonsense");
  g_assert_null (wait_for_basemap (view, pct_map_view_get_basemap (view)));
  g_test_assert_expected_messages ();

  g_settings_set_string (settings, "basemap", "mbtiles");
  g_assert_nonnull (wait_for_basemap (view, NULL));
  g_settings_set_string (settings, "basemap", "builtin");
  g_assert_null (wait_for_basemap (view, pct_map_view_get_basemap (view)));

  gtk_window_destroy (GTK_WINDOW (window));
}

static GtkWidget *
template_child (GtkWidget  *dialog,
                const char *name)
{
  return gui_test_template_child (dialog, PCT_TYPE_PREFERENCES_DIALOG, name);
}

static void
wait_for_status (GtkWidget  *dialog,
                 const char *prefix)
{
  AdwActionRow *row = ADW_ACTION_ROW (template_child (dialog, "status_row"));
  gint64 deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;

  while (!g_str_has_prefix (adw_action_row_get_subtitle (row), prefix))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The server status still says “%s”, not “%s…”",
                 adw_action_row_get_subtitle (row), prefix);
      gui_test_iterate_for (20);
    }
}

static void
test_preferences (void)
{
  g_autoptr(GSettings) settings = g_settings_new (BASE_APP_ID);
  g_autoptr(TileServer) ts = tile_server_start ();
  g_autofree char *path = NULL;
  GtkWidget *parent;
  GtkWidget *dialog;

  gui_test_restore_system_data_dirs ();
  path = make_mbtiles ();

  parent = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (parent), 800, 700);
  gtk_window_present (GTK_WINDOW (parent));

  pct_preferences_dialog_present (GTK_WINDOW (parent));
  dialog = g_object_get_data (G_OBJECT (parent), "pct-preferences-dialog");
  g_assert_true (PCT_IS_PREFERENCES_DIALOG (dialog));
  /* Asked again, the same window comes up. */
  pct_preferences_dialog_present (GTK_WINDOW (parent));
  g_assert_true (g_object_get_data (G_OBJECT (parent), "pct-preferences-dialog") == dialog);

  gui_test_iterate_for (300);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (template_child (dialog,
                                                                                "builtin_check"))));
  g_assert_false (gtk_widget_get_visible (template_child (dialog, "mbtiles_group")));
  g_assert_false (gtk_widget_get_visible (template_child (dialog, "xyz_group")));
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (dialog);

    save_screenshot (texture, "preferences-builtin");
  }

  /* Choosing a radio row writes the setting. */
  gtk_widget_activate (template_child (dialog, "mbtiles_check"));
  gui_test_iterate_for (100);
  {
    g_autofree char *kind = g_settings_get_string (settings, "basemap");

    g_assert_cmpstr (kind, ==, "mbtiles");
  }
  g_assert_true (gtk_widget_get_visible (template_child (dialog, "mbtiles_group")));
  g_settings_set_string (settings, "mbtiles-path", path);
  gui_test_iterate_for (300);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (template_child (dialog,
                                                                                "mbtiles_file_row"))),
                   ==, path);
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (
                                     ADW_ACTION_ROW (template_child (dialog, "mbtiles_info_row"))),
                                   "Test Survey 2026") ||
                 g_strcmp0 (gui_test_language (), "C") != 0);
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (dialog);

    save_screenshot (texture, "preferences-mbtiles");
  }

  /* A broken file says what is wrong with it. */
  {
    g_autofree char *text = g_build_filename (g_get_user_data_dir (), "notes.mbtiles", NULL);

    g_assert_true (g_file_set_contents (text, "Shopping list: tea, rice, batteries.\n", -1, NULL));
    g_settings_set_string (settings, "mbtiles-path", text);
    gui_test_iterate_for (300);
    {
      g_autoptr(GdkTexture) texture = gui_test_render_widget (dialog);

      save_screenshot (texture, "preferences-mbtiles-bad");
    }
  }

  /* A tile server that answers. */
  g_settings_set_string (settings, "xyz-url-template", ts->url_template);
  g_settings_set_string (settings, "basemap", "xyz");
  gui_test_iterate_for (100);
  g_assert_true (gtk_widget_get_visible (template_child (dialog, "xyz_group")));
  g_assert_false (gtk_widget_get_visible (template_child (dialog, "mbtiles_group")));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (template_child (dialog, "url_row"))), ==,
                   ts->url_template);
  if (g_strcmp0 (gui_test_language (), "C") == 0)
    wait_for_status (dialog, "Online");
  /* The entry row's title slides up when it gets its text. */
  gui_test_iterate_for (1000);
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (dialog);

    save_screenshot (texture, "preferences-xyz-online");
  }

  /* And once it has gone. */
  tile_server_stop (ts);
  gtk_widget_activate_action (dialog, "prefs.check-server", NULL);
  if (g_strcmp0 (gui_test_language (), "C") == 0)
    wait_for_status (dialog, "Offline");
  else
    gui_test_iterate_for (1000);
  {
    g_autoptr(GdkTexture) texture = gui_test_render_widget (dialog);

    save_screenshot (texture, "preferences-xyz-offline");
  }

  /* Typing a template that cannot work marks the row. */
  {
    GtkWidget *url_row = template_child (dialog, "url_row");

    gtk_editable_set_text (GTK_EDITABLE (url_row), "https://tiles.example.org/{z}/{x}.png");
    gui_test_iterate_for (100);
    g_assert_true (gtk_widget_has_css_class (url_row, "error"));
    g_signal_emit_by_name (url_row, "apply");
    gui_test_iterate_for (100);
    {
      g_autofree char *kept = g_settings_get_string (settings, "xyz-url-template");

      g_assert_cmpstr (kept, ==, ts->url_template);
    }
    {
      g_autoptr(GdkTexture) texture = gui_test_render_widget (dialog);

      save_screenshot (texture, "preferences-xyz-invalid");
    }
  }

  gtk_window_close (GTK_WINDOW (dialog));
  gui_test_iterate_for (100);
  g_assert_null (g_object_get_data (G_OBJECT (parent), "pct-preferences-dialog"));
  gtk_window_destroy (GTK_WINDOW (parent));
}

int
main (int   argc,
      char *argv[])
{
  /* The tile server is on this machine: no proxy, and no desktop proxy
   * settings to look up. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  if (!gui_test_init (&argc, &argv))
    return EXIT_FAILURE;

  g_test_add_func ("/basemaps/mbtiles", test_mbtiles);
  g_test_add_func ("/basemaps/xyz-offline", test_xyz_offline);
  g_test_add_func ("/basemaps/settings", test_settings);
  g_test_add_func ("/basemaps/preferences", test_preferences);

  return g_test_run ();
}
