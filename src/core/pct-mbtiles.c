/* pct-mbtiles.c — raster tiles read from an MBTiles file
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An MBTiles file is an SQLite database with a `tiles` table (or view)
 * keyed on zoom, column and row, and a `metadata` table of name/value
 * pairs. Rows are numbered the TMS way, from the south, while the map
 * numbers them from the north as XYZ tiles are: reading flips the row.
 *
 * The file is opened read-only on a connection of its own, which serves
 * the map's worker threads one at a time under a mutex: a lookup by the
 * primary key takes microseconds, far less than decoding the image it
 * returns, so the threads do not queue on it for long.
 */

#define G_LOG_DOMAIN "pct-mbtiles"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "pct-geo.h"
#include "pct-mbtiles.h"
#include "pct-store.h"   /* sqlite3_stmt autoptr */

struct _PctMbtiles
{
  GObject       parent_instance;

  char         *path;
  char         *name;
  char         *format;
  char         *attribution;
  char         *attribution_uri;
  PctBBox       bounds;
  guint         min_zoom;
  guint         max_zoom;
  guint         has_bounds : 1;

  GMutex        lock;
  sqlite3      *db;
  sqlite3_stmt *tile_stmt;
};

G_DEFINE_FINAL_TYPE (PctMbtiles, pct_mbtiles, G_TYPE_OBJECT)

G_DEFINE_QUARK (pct-mbtiles-error-quark, pct_mbtiles_error)

/* Beyond this a tile index no longer fits the 32-bit arithmetic below, and
 * no raster tile set goes anywhere near it. */
#define MAX_ZOOM 30

#define TILE_SQL \
  "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3"

static PctMbtilesError
error_code_for_sqlite (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      return PCT_MBTILES_ERROR_NOT_MBTILES;
    case SQLITE_CORRUPT:
      return PCT_MBTILES_ERROR_CORRUPT;
    case SQLITE_CANTOPEN:
      return PCT_MBTILES_ERROR_NOT_FOUND;
    default:
      return PCT_MBTILES_ERROR_FAILED;
    }
}

static gboolean
set_sqlite_error (PctMbtiles  *self,
                  int          rc,
                  GError     **error)
{
  PctMbtilesError code = error_code_for_sqlite (rc);

  switch (code)
    {
    case PCT_MBTILES_ERROR_NOT_MBTILES:
      g_set_error (error, PCT_MBTILES_ERROR, code,
                   _("%s is not an MBTiles file: it is not an SQLite database"), self->path);
      break;

    case PCT_MBTILES_ERROR_CORRUPT:
      g_set_error (error, PCT_MBTILES_ERROR, code,
                   _("The MBTiles file %s is damaged: %s"), self->path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      break;

    case PCT_MBTILES_ERROR_NOT_FOUND:
    case PCT_MBTILES_ERROR_UNSUPPORTED:
    case PCT_MBTILES_ERROR_NO_TILE:
    case PCT_MBTILES_ERROR_FAILED:
    default:
      g_set_error (error, PCT_MBTILES_ERROR, code,
                   _("Cannot read the MBTiles file %s: %s"), self->path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      break;
    }

  return FALSE;
}

/* The first link's target in an HTML attribution, when it is a web
 * address. */
static char *
attribution_link (const char *html)
{
  const char *href = strstr (html, "href=");
  const char *end;
  char quote;

  if (href == NULL)
    return NULL;
  href += strlen ("href=");
  quote = *href;
  if (quote != '"' && quote != '\'')
    return NULL;
  href++;
  end = strchr (href, quote);
  if (end == NULL ||
      (g_ascii_strncasecmp (href, "https://", 8) != 0 &&
       g_ascii_strncasecmp (href, "http://", 7) != 0))
    return NULL;

  return g_strndup (href, end - href);
}

/* The attribution is often HTML (a link to the data's licence); the map
 * shows plain text, so tags go and the common entities are decoded. */
static char *
attribution_to_text (const char *html)
{
  static const struct { const char *entity; const char *text; } entities[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
    { "&#39;", "'" }, { "&apos;", "'" }, { "&copy;", "©" }, { "&nbsp;", " " },
  };
  GString *out = g_string_new (NULL);
  gboolean in_tag = FALSE;

  for (const char *p = html; *p != '\0'; p++)
    {
      if (in_tag)
        {
          in_tag = *p != '>';
          continue;
        }
      if (*p == '<')
        {
          in_tag = TRUE;
          continue;
        }
      if (*p == '&')
        {
          gboolean decoded = FALSE;

          for (guint i = 0; i < G_N_ELEMENTS (entities) && !decoded; i++)
            {
              gsize len = strlen (entities[i].entity);

              if (g_ascii_strncasecmp (p, entities[i].entity, len) == 0)
                {
                  g_string_append (out, entities[i].text);
                  p += len - 1;
                  decoded = TRUE;
                }
            }
          if (decoded)
            continue;
        }
      g_string_append_c (out, *p);
    }

  return g_strstrip (g_string_free (out, FALSE));
}

static gboolean
parse_bounds (const char *text,
              PctBBox    *bounds)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  double values[4];

  if (g_strv_length (parts) != 4)
    return FALSE;

  for (guint i = 0; i < 4; i++)
    {
      char *end = NULL;

      g_strstrip (parts[i]);
      values[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || *end != '\0' || !isfinite (values[i]))
        return FALSE;
    }

  /* left, bottom, right, top */
  if (values[0] >= values[2] || values[1] >= values[3] ||
      values[0] < -180 || values[2] > 180 || values[1] < -90 || values[3] > 90)
    return FALSE;

  bounds->min_lon = values[0];
  bounds->min_lat = values[1];
  bounds->max_lon = values[2];
  bounds->max_lat = values[3];
  return TRUE;
}

static gboolean
parse_zoom (char  *text,
            guint *zoom)
{
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, MAX_ZOOM,
                                                    &value, NULL))
    return FALSE;

  *zoom = (guint) value;
  return TRUE;
}

/* Images say what they are in their first bytes. */
static const char *
sniff_format (const guint8 *data,
              gsize         size)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff };

  if (size >= sizeof png && memcmp (data, png, sizeof png) == 0)
    return "png";
  if (size >= sizeof jpeg && memcmp (data, jpeg, sizeof jpeg) == 0)
    return "jpg";
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    return "pbf";   /* gzipped vector tiles */
  return NULL;
}

static gboolean
check_tables (PctMbtiles  *self,
              GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean has_tiles = FALSE;
  gboolean has_metadata = FALSE;
  int rc;

  rc = sqlite3_prepare_v2 (self->db,
                           "SELECT name FROM sqlite_master "
                           "WHERE type IN ('table', 'view') AND name IN ('tiles', 'metadata')",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return set_sqlite_error (self, rc, error);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *table = (const char *) sqlite3_column_text (stmt, 0);

      if (g_strcmp0 (table, "tiles") == 0)
        has_tiles = TRUE;
      else if (g_strcmp0 (table, "metadata") == 0)
        has_metadata = TRUE;
    }
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, rc, error);

  if (!has_tiles || !has_metadata)
    {
      g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NOT_MBTILES,
                   _("%s is not an MBTiles file: it has no “%s” table"), self->path,
                   has_tiles ? "metadata" : "tiles");
      return FALSE;
    }

  /* The columns the tile query needs. */
  rc = sqlite3_prepare_v2 (self->db, TILE_SQL, -1, &self->tile_stmt, NULL);
  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_ERROR)
        {
          g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NOT_MBTILES,
                       _("%s is not an MBTiles file: %s"), self->path, sqlite3_errmsg (self->db));
          return FALSE;
        }
      return set_sqlite_error (self, rc, error);
    }

  return TRUE;
}

static gboolean
check_format (PctMbtiles  *self,
              GError     **error)
{
  if (g_strcmp0 (self->format, "jpeg") == 0)
    {
      g_free (self->format);
      self->format = g_strdup ("jpg");
    }

  if (g_strcmp0 (self->format, "png") != 0 && g_strcmp0 (self->format, "jpg") != 0)
    {
      if (g_strcmp0 (self->format, "pbf") == 0)
        g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_UNSUPPORTED,
                     _("The MBTiles file %s holds vector tiles; only PNG and JPEG tiles can be shown"),
                     self->path);
      else
        g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_UNSUPPORTED,
                     _("The MBTiles file %s holds tiles in the format “%s”; only PNG and JPEG tiles can be shown"),
                     self->path, self->format != NULL ? self->format : "?");
      return FALSE;
    }

  return TRUE;
}

static gboolean
read_metadata (PctMbtiles  *self,
               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *min_zoom = NULL;
  g_autofree char *max_zoom = NULL;
  g_autofree char *bounds = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db, "SELECT name, value FROM metadata", -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_ERROR)
        {
          g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NOT_MBTILES,
                       _("%s is not an MBTiles file: %s"), self->path, sqlite3_errmsg (self->db));
          return FALSE;
        }
      return set_sqlite_error (self, rc, error);
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (stmt, 0);
      const char *value = (const char *) sqlite3_column_text (stmt, 1);

      if (key == NULL || value == NULL)
        continue;

      /* The first of duplicate keys wins, as in other readers. */
      if (g_str_equal (key, "name") && self->name == NULL)
        self->name = g_strdup (value);
      else if (g_str_equal (key, "format") && self->format == NULL)
        self->format = g_ascii_strdown (value, -1);
      else if (g_str_equal (key, "attribution") && self->attribution == NULL)
        {
          self->attribution = attribution_to_text (value);
          self->attribution_uri = attribution_link (value);
        }
      else if (g_str_equal (key, "minzoom") && min_zoom == NULL)
        min_zoom = g_strdup (value);
      else if (g_str_equal (key, "maxzoom") && max_zoom == NULL)
        max_zoom = g_strdup (value);
      else if (g_str_equal (key, "bounds") && bounds == NULL)
        bounds = g_strdup (value);
    }
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, rc, error);

  if (bounds != NULL)
    self->has_bounds = parse_bounds (bounds, &self->bounds);

  if (self->format != NULL && !check_format (self, error))
    return FALSE;

  /* Zoom levels missing from the metadata are read off the tiles; both
   * come from the primary key's index. */
  if (!parse_zoom (min_zoom, &self->min_zoom) || !parse_zoom (max_zoom, &self->max_zoom) ||
      self->min_zoom > self->max_zoom)
    {
      g_autoptr(sqlite3_stmt) zooms = NULL;

      rc = sqlite3_prepare_v2 (self->db,
                               "SELECT min(zoom_level), max(zoom_level) FROM tiles",
                               -1, &zooms, NULL);
      if (rc != SQLITE_OK)
        return set_sqlite_error (self, rc, error);
      rc = sqlite3_step (zooms);
      if (rc != SQLITE_ROW)
        return set_sqlite_error (self, rc, error);
      if (sqlite3_column_type (zooms, 0) == SQLITE_NULL)
        {
          g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NOT_MBTILES,
                       _("The MBTiles file %s holds no tiles"), self->path);
          return FALSE;
        }
      self->min_zoom = CLAMP (sqlite3_column_int (zooms, 0), 0, MAX_ZOOM);
      self->max_zoom = CLAMP (sqlite3_column_int (zooms, 1), (int) self->min_zoom, MAX_ZOOM);
    }

  /* Older files leave the format out: a tile tells. */
  if (self->format == NULL)
    {
      g_autoptr(sqlite3_stmt) first = NULL;

      rc = sqlite3_prepare_v2 (self->db, "SELECT tile_data FROM tiles LIMIT 1", -1, &first, NULL);
      if (rc != SQLITE_OK)
        return set_sqlite_error (self, rc, error);
      rc = sqlite3_step (first);
      if (rc == SQLITE_ROW)
        self->format = g_strdup (sniff_format (sqlite3_column_blob (first, 0),
                                               sqlite3_column_bytes (first, 0)));
      else if (rc != SQLITE_DONE)
        return set_sqlite_error (self, rc, error);

      if (!check_format (self, error))
        return FALSE;
    }

  if (self->name == NULL)
    self->name = g_path_get_basename (self->path);

  return TRUE;
}

static void
pct_mbtiles_finalize (GObject *object)
{
  PctMbtiles *self = (PctMbtiles *) object;

  g_clear_pointer (&self->tile_stmt, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  g_mutex_clear (&self->lock);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->format, g_free);
  g_clear_pointer (&self->attribution, g_free);
  g_clear_pointer (&self->attribution_uri, g_free);

  G_OBJECT_CLASS (pct_mbtiles_parent_class)->finalize (object);
}

static void
pct_mbtiles_class_init (PctMbtilesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pct_mbtiles_finalize;
}

static void
pct_mbtiles_init (PctMbtiles *self)
{
  g_mutex_init (&self->lock);
}

/**
 * pct_mbtiles_open:
 * @path: an MBTiles file
 *
 * Opens @path read-only and reads its metadata. Fails with a
 * %PCT_MBTILES_ERROR naming the file and the problem when it is missing,
 * not an SQLite database, has no `tiles` or `metadata` table, is damaged,
 * or holds tiles other than PNG or JPEG.
 *
 * The returned object may be used from any thread.
 */
PctMbtiles *
pct_mbtiles_open (const char  *path,
                  GError     **error)
{
  g_autoptr(PctMbtiles) self = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (PCT_TYPE_MBTILES, NULL);
  self->path = g_strdup (path);

  /* SQLite would report a missing file as "unable to open database file". */
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NOT_FOUND,
                   _("There is no MBTiles file at %s"), path);
      return NULL;
    }

  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, rc, error);
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, TRUE);

  if (!check_tables (self, error) || !read_metadata (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
pct_mbtiles_get_path (PctMbtiles *self)
{
  g_return_val_if_fail (PCT_IS_MBTILES (self), NULL);

  return self->path;
}

/* The tile set's name; the file's name when the metadata has none. */
const char *
pct_mbtiles_get_name (PctMbtiles *self)
{
  g_return_val_if_fail (PCT_IS_MBTILES (self), NULL);

  return self->name;
}

/* "png" or "jpg". */
const char *
pct_mbtiles_get_format (PctMbtiles *self)
{
  g_return_val_if_fail (PCT_IS_MBTILES (self), NULL);

  return self->format;
}

/* The attribution as plain text, or NULL. */
const char *
pct_mbtiles_get_attribution (PctMbtiles *self)
{
  g_return_val_if_fail (PCT_IS_MBTILES (self), NULL);

  return self->attribution;
}

/* The web address the attribution links to, or NULL. */
const char *
pct_mbtiles_get_attribution_uri (PctMbtiles *self)
{
  g_return_val_if_fail (PCT_IS_MBTILES (self), NULL);

  return self->attribution_uri;
}

/* FALSE when the metadata gives no (valid) bounds: the tiles may cover the
 * whole world. */
gboolean
pct_mbtiles_get_bounds (PctMbtiles *self,
                        PctBBox    *bounds)
{
  g_return_val_if_fail (PCT_IS_MBTILES (self), FALSE);
  g_return_val_if_fail (bounds != NULL, FALSE);

  if (self->has_bounds)
    *bounds = self->bounds;
  return self->has_bounds;
}

guint
pct_mbtiles_get_min_zoom (PctMbtiles *self)
{
  g_return_val_if_fail (PCT_IS_MBTILES (self), 0);

  return self->min_zoom;
}

guint
pct_mbtiles_get_max_zoom (PctMbtiles *self)
{
  g_return_val_if_fail (PCT_IS_MBTILES (self), 0);

  return self->max_zoom;
}

/**
 * pct_mbtiles_tile_in_bounds:
 * @x: column, from the west
 * @y: row, from the north (XYZ numbering)
 *
 * Whether the tile overlaps the tile set's bounds: a tile outside them is
 * absent by design, one inside them and absent is missing.
 */
gboolean
pct_mbtiles_tile_in_bounds (PctMbtiles *self,
                            guint       zoom,
                            guint       x,
                            guint       y)
{
  double n, west, east, north, south;

  g_return_val_if_fail (PCT_IS_MBTILES (self), FALSE);

  if (zoom > MAX_ZOOM)
    return FALSE;

  n = ldexp (1.0, (int) zoom);
  if (x >= n || y >= n)
    return FALSE;
  if (!self->has_bounds)
    return TRUE;

  pct_geo_mercator_project (self->bounds.min_lon, self->bounds.max_lat, &west, &north);
  pct_geo_mercator_project (self->bounds.max_lon, self->bounds.min_lat, &east, &south);

  return x + 1 > west * n && x < east * n && y + 1 > north * n && y < south * n;
}

/**
 * pct_mbtiles_read_tile:
 * @x: column, from the west
 * @y: row, from the north (XYZ numbering, as the map asks for tiles)
 *
 * Reads a tile's image: PNG or JPEG bytes as stored. A tile the file does
 * not hold fails with %PCT_MBTILES_ERROR_NO_TILE. Safe to call from any
 * thread.
 */
GBytes *
pct_mbtiles_read_tile (PctMbtiles  *self,
                       guint        zoom,
                       guint        x,
                       guint        y,
                       GError     **error)
{
  GBytes *bytes = NULL;
  guint tms_row;
  int rc;

  g_return_val_if_fail (PCT_IS_MBTILES (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (zoom > MAX_ZOOM || x >= (1u << zoom) || y >= (1u << zoom))
    {
      g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NO_TILE,
                   _("There is no tile %u/%u/%u"), zoom, x, y);
      return NULL;
    }

  /* TMS counts rows from the south. */
  tms_row = (1u << zoom) - 1 - y;

  g_mutex_lock (&self->lock);

  sqlite3_bind_int (self->tile_stmt, 1, (int) zoom);
  sqlite3_bind_int (self->tile_stmt, 2, (int) x);
  sqlite3_bind_int (self->tile_stmt, 3, (int) tms_row);

  rc = sqlite3_step (self->tile_stmt);
  if (rc == SQLITE_ROW)
    {
      const void *data = sqlite3_column_blob (self->tile_stmt, 0);
      int size = sqlite3_column_bytes (self->tile_stmt, 0);

      if (data != NULL && size > 0)
        bytes = g_bytes_new (data, size);
      else
        g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NO_TILE,
                     _("The tile %u/%u/%u in %s is empty"), zoom, x, y, self->path);
    }
  else if (rc == SQLITE_DONE)
    g_set_error (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NO_TILE,
                 _("There is no tile %u/%u/%u in %s"), zoom, x, y, self->path);
  else
    set_sqlite_error (self, rc, error);

  sqlite3_reset (self->tile_stmt);
  sqlite3_clear_bindings (self->tile_stmt);

  g_mutex_unlock (&self->lock);

  return bytes;
}
