/* test-mbtiles.c — reading MBTiles files made by the test
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each test writes its own MBTiles file with SQLite and fills it with PNG
 * tiles of known colours drawn with cairo, then reads it back: the row
 * flip between TMS and XYZ numbering, the metadata, files that are not
 * MBTiles or are damaged, and reading from several threads at once.
 */

#define G_LOG_DOMAIN "test-mbtiles"

#include "config.h"

#include <cairo.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "pct-mbtiles.h"

typedef struct
{
  guint8 *data;
  gsize   length;
  gsize   offset;
} PngStream;

static cairo_status_t
png_write_cb (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  GByteArray *array = closure;

  g_byte_array_append (array, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t
png_read_cb (void          *closure,
             unsigned char *data,
             unsigned int   length)
{
  PngStream *stream = closure;

  if (stream->offset + length > stream->length)
    return CAIRO_STATUS_READ_ERROR;
  memcpy (data, stream->data + stream->offset, length);
  stream->offset += length;
  return CAIRO_STATUS_SUCCESS;
}

/* A 256-pixel PNG of one colour, 0xRRGGBB. */
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

/* The colour at the middle of a PNG tile. */
static guint32
png_colour (GBytes *bytes)
{
  PngStream stream = { 0 };
  cairo_surface_t *surface;
  guint32 pixel;

  stream.data = (guint8 *) g_bytes_get_data (bytes, &stream.length);
  surface = cairo_image_surface_create_from_png_stream (png_read_cb, &stream);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_flush (surface);
  pixel = *(guint32 *) (cairo_image_surface_get_data (surface) +
                        128 * cairo_image_surface_get_stride (surface) + 128 * 4);
  cairo_surface_destroy (surface);

  return pixel & 0xffffff;
}

/* Inside the test's own isolated data directory. */
static char *
test_path (const char *name)
{
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  return g_build_filename (g_get_user_data_dir (), name, NULL);
}

static void
exec_sql (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static sqlite3 *
create_db (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  exec_sql (db,
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            "                    tile_data BLOB);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);");
  return db;
}

static void
put_meta (sqlite3    *db,
          const char *name,
          const char *value)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO metadata VALUES (?, ?)", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

/* tms_row as stored: counted from the south. */
static void
put_tile (sqlite3 *db,
          guint    zoom,
          guint    column,
          guint    tms_row,
          GBytes  *data)
{
  sqlite3_stmt *stmt = NULL;
  gsize size;
  const void *bytes = g_bytes_get_data (data, &size);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO tiles VALUES (?, ?, ?, ?)", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  sqlite3_bind_int (stmt, 1, zoom);
  sqlite3_bind_int (stmt, 2, column);
  sqlite3_bind_int (stmt, 3, tms_row);
  sqlite3_bind_blob (stmt, 4, bytes, size, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

/* The colour of the tile at XYZ (zoom, x, y): distinct for every tile. */
static guint32
tile_colour (guint zoom,
             guint x,
             guint y)
{
  return (zoom * 40 + 20) << 16 | (x * 50 + 10) << 8 | (y * 50 + 10);
}

/* Zoom levels 1 and 2 complete, every tile its own colour, stored with
 * TMS rows. */
static char *
make_mbtiles (const char *name,
              gboolean    with_metadata)
{
  g_autofree char *path = test_path (name);
  sqlite3 *db = create_db (path);

  exec_sql (db, "BEGIN");
  if (with_metadata)
    {
      put_meta (db, "name", "Test Tiles");
      put_meta (db, "format", "png");
      put_meta (db, "bounds", "106.1,29.2,106.4,29.4");
      put_meta (db, "minzoom", "1");
      put_meta (db, "maxzoom", "2");
      put_meta (db, "attribution",
                "<a href=\"https://example.org/\">&copy; Test Surveys &amp; Partners</a>");
    }
  for (guint zoom = 1; zoom <= 2; zoom++)
    for (guint x = 0; x < (1u << zoom); x++)
      for (guint y = 0; y < (1u << zoom); y++)
        {
          g_autoptr(GBytes) png = make_png (tile_colour (zoom, x, y));

          put_tile (db, zoom, x, (1u << zoom) - 1 - y, png);
        }
  exec_sql (db, "COMMIT");
  sqlite3_close (db);

  return g_steal_pointer (&path);
}

static void
test_metadata (void)
{
  g_autofree char *path = make_mbtiles ("metadata.mbtiles", TRUE);
  g_autoptr(PctMbtiles) mbtiles = NULL;
  g_autoptr(GError) error = NULL;
  PctBBox bounds;

  mbtiles = pct_mbtiles_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mbtiles);

  g_assert_cmpstr (pct_mbtiles_get_path (mbtiles), ==, path);
  g_assert_cmpstr (pct_mbtiles_get_name (mbtiles), ==, "Test Tiles");
  g_assert_cmpstr (pct_mbtiles_get_format (mbtiles), ==, "png");
  /* The link is gone and the entities decoded: the map shows plain text. */
  g_assert_cmpstr (pct_mbtiles_get_attribution (mbtiles), ==, "© Test Surveys & Partners");
  g_assert_cmpstr (pct_mbtiles_get_attribution_uri (mbtiles), ==, "https://example.org/");
  g_assert_cmpuint (pct_mbtiles_get_min_zoom (mbtiles), ==, 1);
  g_assert_cmpuint (pct_mbtiles_get_max_zoom (mbtiles), ==, 2);
  g_assert_true (pct_mbtiles_get_bounds (mbtiles, &bounds));
  g_assert_cmpfloat_with_epsilon (bounds.min_lon, 106.1, 1e-9);
  g_assert_cmpfloat_with_epsilon (bounds.min_lat, 29.2, 1e-9);
  g_assert_cmpfloat_with_epsilon (bounds.max_lon, 106.4, 1e-9);
  g_assert_cmpfloat_with_epsilon (bounds.max_lat, 29.4, 1e-9);

  /* Chongqing lies in the north-east quarter of the world: at zoom 2 the
   * tile x 3 (east of 90°), y 1 (between 0° and 66.5° north). */
  g_assert_true (pct_mbtiles_tile_in_bounds (mbtiles, 2, 3, 1));
  g_assert_false (pct_mbtiles_tile_in_bounds (mbtiles, 2, 0, 1));
  g_assert_false (pct_mbtiles_tile_in_bounds (mbtiles, 2, 3, 2));
  g_assert_false (pct_mbtiles_tile_in_bounds (mbtiles, 2, 4, 1));
  g_assert_true (pct_mbtiles_tile_in_bounds (mbtiles, 0, 0, 0));

  g_unlink (path);
}

/* The map numbers rows from the north, MBTiles from the south. */
static void
test_row_flip (void)
{
  g_autofree char *path = make_mbtiles ("flip.mbtiles", TRUE);
  g_autoptr(PctMbtiles) mbtiles = NULL;
  g_autoptr(GError) error = NULL;

  mbtiles = pct_mbtiles_open (path, &error);
  g_assert_no_error (error);

  for (guint zoom = 1; zoom <= 2; zoom++)
    for (guint x = 0; x < (1u << zoom); x++)
      for (guint y = 0; y < (1u << zoom); y++)
        {
          g_autoptr(GBytes) tile = pct_mbtiles_read_tile (mbtiles, zoom, x, y, &error);

          g_assert_no_error (error);
          g_assert_nonnull (tile);
          g_assert_cmphex (png_colour (tile), ==, tile_colour (zoom, x, y));
        }

  /* The northernmost row at zoom 1 is stored as TMS row 1. */
  {
    g_autoptr(GBytes) north = pct_mbtiles_read_tile (mbtiles, 1, 0, 0, &error);

    g_assert_no_error (error);
    g_assert_cmphex (png_colour (north), ==, tile_colour (1, 0, 0));
    g_assert_cmphex (png_colour (north), !=, tile_colour (1, 0, 1));
  }

  /* Not in the file, and not in the world. */
  {
    g_autoptr(GBytes) tile = pct_mbtiles_read_tile (mbtiles, 3, 0, 0, &error);

    g_assert_null (tile);
    g_assert_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NO_TILE);
    g_clear_error (&error);

    tile = pct_mbtiles_read_tile (mbtiles, 1, 2, 0, &error);
    g_assert_null (tile);
    g_assert_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NO_TILE);
    g_clear_error (&error);
  }

  g_unlink (path);
}

/* Older files leave the zoom levels and the format out of the metadata. */
static void
test_sparse_metadata (void)
{
  g_autofree char *path = make_mbtiles ("sparse.mbtiles", FALSE);
  g_autoptr(PctMbtiles) mbtiles = NULL;
  g_autoptr(GError) error = NULL;
  PctBBox bounds;

  mbtiles = pct_mbtiles_open (path, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (pct_mbtiles_get_name (mbtiles), ==, "sparse.mbtiles");
  g_assert_cmpstr (pct_mbtiles_get_format (mbtiles), ==, "png");
  g_assert_null (pct_mbtiles_get_attribution (mbtiles));
  g_assert_null (pct_mbtiles_get_attribution_uri (mbtiles));
  g_assert_cmpuint (pct_mbtiles_get_min_zoom (mbtiles), ==, 1);
  g_assert_cmpuint (pct_mbtiles_get_max_zoom (mbtiles), ==, 2);
  g_assert_false (pct_mbtiles_get_bounds (mbtiles, &bounds));
  g_assert_true (pct_mbtiles_tile_in_bounds (mbtiles, 2, 0, 3));

  g_unlink (path);
}

static void
assert_open_fails (const char *path,
                   int         code,
                   const char *message_part)
{
  g_autoptr(PctMbtiles) mbtiles = NULL;
  g_autoptr(GError) error = NULL;

  mbtiles = pct_mbtiles_open (path, &error);
  g_assert_null (mbtiles);
  g_assert_error (error, PCT_MBTILES_ERROR, code);
  /* People need to know which file and what is wrong with it. */
  g_assert_nonnull (strstr (error->message, path));
  if (message_part != NULL && strstr (error->message, message_part) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, message_part);
  g_test_message ("%s", error->message);
}

static void
test_bad_files (void)
{
  g_autofree char *missing = test_path ("missing.mbtiles");
  g_autofree char *text = test_path ("text.mbtiles");
  g_autofree char *empty_db = test_path ("empty.mbtiles");
  g_autofree char *no_meta = test_path ("nometa.mbtiles");
  g_autofree char *columns = test_path ("columns.mbtiles");
  g_autofree char *vector = test_path ("vector.mbtiles");
  g_autofree char *no_tiles = test_path ("notiles.mbtiles");
  sqlite3 *db;

  assert_open_fails (missing, PCT_MBTILES_ERROR_NOT_FOUND, NULL);

  g_assert_true (g_file_set_contents (text, "This is not a database, only a long enough line "
                                      "of text to look like one at first glance.\n", -1, NULL));
  assert_open_fails (text, PCT_MBTILES_ERROR_NOT_MBTILES, "SQLite");

  /* An SQLite file of another kind. */
  g_assert_cmpint (sqlite3_open (empty_db, &db), ==, SQLITE_OK);
  exec_sql (db, "CREATE TABLE addresses (id INTEGER PRIMARY KEY, text TEXT)");
  sqlite3_close (db);
  assert_open_fails (empty_db, PCT_MBTILES_ERROR_NOT_MBTILES, "tiles");

  g_assert_cmpint (sqlite3_open (no_meta, &db), ==, SQLITE_OK);
  exec_sql (db, "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
                "                    tile_data BLOB)");
  sqlite3_close (db);
  assert_open_fails (no_meta, PCT_MBTILES_ERROR_NOT_MBTILES, "metadata");

  /* Both tables, but tiles lacks the columns. */
  g_assert_cmpint (sqlite3_open (columns, &db), ==, SQLITE_OK);
  exec_sql (db, "CREATE TABLE metadata (name TEXT, value TEXT);"
                "CREATE TABLE tiles (z INTEGER, x INTEGER, y INTEGER, image BLOB)");
  sqlite3_close (db);
  assert_open_fails (columns, PCT_MBTILES_ERROR_NOT_MBTILES, NULL);

  /* Vector tiles cannot be drawn by a raster map. */
  db = create_db (vector);
  put_meta (db, "format", "pbf");
  sqlite3_close (db);
  assert_open_fails (vector, PCT_MBTILES_ERROR_UNSUPPORTED, "vector");

  /* Nothing to show, nothing to guess the zoom range from. */
  db = create_db (no_tiles);
  put_meta (db, "format", "png");
  sqlite3_close (db);
  assert_open_fails (no_tiles, PCT_MBTILES_ERROR_NOT_MBTILES, "no tiles");

  g_unlink (text);
  g_unlink (empty_db);
  g_unlink (no_meta);
  g_unlink (columns);
  g_unlink (vector);
  g_unlink (no_tiles);
}

/* Garbles the schema page: SQLite recognises the file but not its
 * contents. */
static void
test_corrupt (void)
{
  g_autofree char *path = make_mbtiles ("corrupt.mbtiles", TRUE);
  g_autofree char *contents = NULL;
  g_autoptr(PctMbtiles) mbtiles = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 4096);
  /* Past the 100-byte header, the page's cell pointers and cells. */
  for (gsize i = 100; i < 4096; i++)
    contents[i] = (char) (0xa5 ^ (i * 7));
  g_assert_true (g_file_set_contents (path, contents, length, NULL));

  mbtiles = pct_mbtiles_open (path, &error);
  g_assert_null (mbtiles);
  g_assert_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("%s", error->message);

  g_unlink (path);
}

typedef struct
{
  PctMbtiles *mbtiles;
  guint       seed;
  guint       wrong;
} ReaderData;

static gpointer
reader_thread (gpointer user_data)
{
  ReaderData *data = user_data;
  GRand *rand = g_rand_new_with_seed (data->seed);

  for (guint i = 0; i < 400; i++)
    {
      guint zoom = g_rand_int_range (rand, 1, 3);
      guint x = g_rand_int_range (rand, 0, 1 << zoom);
      guint y = g_rand_int_range (rand, 0, 1 << zoom);
      g_autoptr(GBytes) tile = pct_mbtiles_read_tile (data->mbtiles, zoom, x, y, NULL);

      if (tile == NULL || png_colour (tile) != tile_colour (zoom, x, y))
        data->wrong++;
    }

  g_rand_free (rand);
  return NULL;
}

/* The map's workers read from one object at once. */
static void
test_threads (void)
{
  g_autofree char *path = make_mbtiles ("threads.mbtiles", TRUE);
  g_autoptr(PctMbtiles) mbtiles = NULL;
  g_autoptr(GError) error = NULL;
  ReaderData data[4];
  GThread *threads[4];

  mbtiles = pct_mbtiles_open (path, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      data[i] = (ReaderData) { mbtiles, i + 1, 0 };
      threads[i] = g_thread_new ("reader", reader_thread, &data[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpuint (data[i].wrong, ==, 0);
    }

  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/mbtiles/metadata", test_metadata);
  g_test_add_func ("/mbtiles/row-flip", test_row_flip);
  g_test_add_func ("/mbtiles/sparse-metadata", test_sparse_metadata);
  g_test_add_func ("/mbtiles/bad-files", test_bad_files);
  g_test_add_func ("/mbtiles/corrupt", test_corrupt);
  g_test_add_func ("/mbtiles/threads", test_threads);

  return g_test_run ();
}
