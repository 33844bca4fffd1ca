/* pct-store.c — opening, migrating and querying the local SQLite store
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A PctStore wraps one SQLite connection and is used by one thread at a
 * time; threads that read concurrently (tile workers, the sync worker) open
 * their own PctStore on the same file. WAL lets readers and the one writer
 * proceed together.
 */

#define G_LOG_DOMAIN "pct-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pct-geo.h"
#include "pct-store-private.h"
#include "pct-validate.h"

/* "PCST": written to PRAGMA application_id so that another program's SQLite
 * file is recognised as not ours rather than migrated into shape. */
#define PCT_STORE_APPLICATION_ID 0x50435354

struct _PctStore
{
  GObject     parent_instance;

  char       *path;
  sqlite3    *db;
  GHashTable *statements;   /* SQL text → sqlite3_stmt */
  GHashTable *bulk;         /* SQL text, by address → sqlite3_stmt */
  int         schema_version;
  guint       read_only : 1;
};

G_DEFINE_FINAL_TYPE (PctStore, pct_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (pct-store-error-quark, pct_store_error)

/* Entities as counted by `info`, and the table behind each. */
static const char * const entity_names[] = {
  "addresses", "buildings", "rooms", "people", "units", "facilities", "grids",
  "roads", "incidents", "work_orders", "plates", "categories", "departments",
  "workers", NULL
};

static const char * const entity_tables[] = {
  "addresses", "buildings", "rooms", "people", "units", "facilities", "grid_cells",
  "roads", "incidents", "work_orders", "plates", "categories", "departments",
  "workers",
};

G_STATIC_ASSERT (G_N_ELEMENTS (entity_names) == G_N_ELEMENTS (entity_tables) + 1);

/* Tables hashed by pct_store_content_hash(): the content, in dependency
 * order; indexes, sync bookkeeping and the audit log are not content. */
static const char * const content_tables[] = {
  "meta", "regions", "departments", "grid_cells", "workers", "roads", "areas",
  "addresses", "buildings", "rooms", "people", "person_rooms", "units",
  "categories", "facilities", "incidents", "work_orders", "work_order_events",
  "plate_batches", "plates", "calendar",
};

typedef struct
{
  const char *rtree;
  const char *table;
  /* Exact bounds of one row of `table` aliased as t, in SQL. */
  const char *min_lon, *max_lon, *min_lat, *max_lat;
} LayerInfo;

#define JSON_BOUND(fn, col, idx) \
  "(SELECT " fn "(json_extract(value, '$[" idx "]')) FROM json_each(t." col "))"
#define SHAPE_LAYER(rtree, table, col)                                      \
  { rtree, table, JSON_BOUND ("min", col, "0"), JSON_BOUND ("max", col, "0"), \
    JSON_BOUND ("min", col, "1"), JSON_BOUND ("max", col, "1") }
#define POINT_LAYER(rtree, table) \
  { rtree, table, "t.lon", "t.lon", "t.lat", "t.lat" }

static const LayerInfo layers[PCT_N_LAYERS] = {
  [PCT_LAYER_ADDRESSES] = POINT_LAYER ("address_rtree", "addresses"),
  [PCT_LAYER_BUILDINGS] = SHAPE_LAYER ("building_rtree", "buildings", "footprint"),
  [PCT_LAYER_UNITS] = POINT_LAYER ("unit_rtree", "units"),
  [PCT_LAYER_FACILITIES] = POINT_LAYER ("facility_rtree", "facilities"),
  [PCT_LAYER_GRIDS] = SHAPE_LAYER ("grid_rtree", "grid_cells", "polygon"),
  [PCT_LAYER_ROADS] = SHAPE_LAYER ("road_rtree", "roads", "geometry"),
  [PCT_LAYER_INCIDENTS] = POINT_LAYER ("incident_rtree", "incidents"),
};

static const char * const layer_names[PCT_N_LAYERS] = {
  [PCT_LAYER_ADDRESSES] = "addresses",
  [PCT_LAYER_BUILDINGS] = "buildings",
  [PCT_LAYER_UNITS] = "units",
  [PCT_LAYER_FACILITIES] = "facilities",
  [PCT_LAYER_GRIDS] = "grids",
  [PCT_LAYER_ROADS] = "roads",
  [PCT_LAYER_INCIDENTS] = "incidents",
};

const char *
pct_layer_to_string (PctLayer layer)
{
  g_return_val_if_fail (layer < PCT_N_LAYERS, NULL);
  return layer_names[layer];
}

gboolean
pct_layer_from_string (const char *name,
                       PctLayer   *layer)
{
  for (guint i = 0; i < PCT_N_LAYERS; i++)
    {
      if (g_strcmp0 (name, layer_names[i]) == 0)
        {
          *layer = i;
          return TRUE;
        }
    }
  return FALSE;
}

void
pct_search_hit_free (PctSearchHit *hit)
{
  if (hit == NULL)
    return;
  g_free (hit->title);
  g_free (hit->subtitle);
  g_free (hit);
}

static int
error_code_for_sqlite (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      return PCT_STORE_ERROR_NOT_A_STORE;
    case SQLITE_CORRUPT:
      return PCT_STORE_ERROR_CORRUPT;
    case SQLITE_CANTOPEN:
      return PCT_STORE_ERROR_NOT_FOUND;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return PCT_STORE_ERROR_INVALID;
    default:
      return PCT_STORE_ERROR_FAILED;
    }
}

static gboolean
set_sqlite_error (sqlite3     *db,
                  GError     **error,
                  const char  *context)
{
  int rc = sqlite3_extended_errcode (db);

  g_set_error (error, PCT_STORE_ERROR, error_code_for_sqlite (rc),
               "%s: %s", context, sqlite3_errmsg (db));
  return FALSE;
}

gboolean
pct_store_set_sql_error (PctStore    *self,
                         GError     **error,
                         const char  *context)
{
  return set_sqlite_error (self->db, error, context);
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, PCT_STORE_ERROR, error_code_for_sqlite (rc),
                   "%s", message ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
pragma_int (sqlite3     *db,
            const char  *sql,
            int         *value,
            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return set_sqlite_error (db, error, sql);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return set_sqlite_error (db, error, sql);
  *value = sqlite3_column_int (stmt, 0);
  return TRUE;
}

gboolean
_pct_store_migrate (sqlite3  *db,
                    int       target_version,
                    GError  **error)
{
  int version = 0;
  g_autofree char *set_version = NULL;

  g_return_val_if_fail (target_version <= (int) _pct_store_n_migrations, FALSE);

  if (!exec_sql (db, "BEGIN IMMEDIATE", error))
    return FALSE;

  /* Read the version inside the write transaction so two processes opening
   * the same old file do not both migrate it. */
  if (!pragma_int (db, "PRAGMA user_version", &version, error))
    goto fail;

  for (int v = version; v < target_version; v++)
    {
      g_autoptr(GError) local_error = NULL;

      if (!exec_sql (db, _pct_store_migrations[v], &local_error))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "Migration to version %d failed: ", v + 1);
          goto fail;
        }
    }

  if (version < target_version)
    {
      set_version = g_strdup_printf ("PRAGMA application_id = %d; PRAGMA user_version = %d",
                                     PCT_STORE_APPLICATION_ID, target_version);
      if (!exec_sql (db, set_version, error))
        goto fail;
    }

  return exec_sql (db, "COMMIT", error);

fail:
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* Tells apart an empty new file, a Precinct store and anything else. */
static gboolean
check_identity (PctStore  *self,
                int       *version,
                GError   **error)
{
  int app_id = 0;
  int n_objects = 0;
  g_autoptr(GError) local_error = NULL;

  if (!pragma_int (self->db, "PRAGMA application_id", &app_id, &local_error) ||
      !pragma_int (self->db, "PRAGMA user_version", version, &local_error) ||
      !pragma_int (self->db, "SELECT count(*) FROM sqlite_schema", &n_objects, &local_error))
    {
      if (g_error_matches (local_error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_A_STORE))
        g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_A_STORE,
                     _("%s is not a Precinct store (not an SQLite database)"), self->path);
      else if (g_error_matches (local_error, PCT_STORE_ERROR, PCT_STORE_ERROR_CORRUPT))
        g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_CORRUPT,
                     _("%s is damaged: %s"), self->path, local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (n_objects == 0 && *version == 0)
    return TRUE;

  if (app_id != PCT_STORE_APPLICATION_ID)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_A_STORE,
                   _("%s is an SQLite database but not a Precinct store"), self->path);
      return FALSE;
    }

  if (*version > PCT_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_TOO_NEW,
                   _("%s was written by a newer Precinct (store version %d, this build "
                     "reads up to %d); update Precinct to open it"),
                   self->path, *version, PCT_STORE_SCHEMA_VERSION);
      return FALSE;
    }

  return TRUE;
}

/* Process-wide settings, which SQLite takes only before its first use;
 * when something else in the process used it first they stay as they
 * were, which is only slower. Memory statistics cost a global lock on
 * every allocation, and nothing here reads them. */
static void
configure_sqlite (void)
{
  static gsize configured = 0;

  if (g_once_init_enter (&configured))
    {
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      g_once_init_leave (&configured, 1);
    }
}

PctStore *
pct_store_open (const char         *path,
                PctStoreOpenFlags   flags,
                GError            **error)
{
  g_autoptr(PctStore) self = NULL;
  int sqlite_flags = SQLITE_OPEN_NOMUTEX;
  int version = 0;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  configure_sqlite ();

  self = g_object_new (PCT_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->read_only = (flags & PCT_STORE_OPEN_READ_ONLY) != 0;

  if (self->read_only)
    sqlite_flags |= SQLITE_OPEN_READONLY;
  else
    sqlite_flags |= SQLITE_OPEN_READWRITE;
  if ((flags & PCT_STORE_OPEN_CREATE) && !self->read_only)
    sqlite_flags |= SQLITE_OPEN_CREATE;

  rc = sqlite3_open_v2 (path, &self->db, sqlite_flags, NULL);
  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_CANTOPEN)
        g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND,
                     _("Cannot open store %s: %s"), path,
                     g_file_test (path, G_FILE_TEST_EXISTS) ? sqlite3_errmsg (self->db)
                                                            : _("no such file"));
      else
        set_sqlite_error (self->db, error, path);
      return NULL;
    }

  sqlite3_extended_result_codes (self->db, TRUE);
  sqlite3_busy_timeout (self->db, 5000);

  if (!check_identity (self, &version, error))
    return NULL;

  if (!exec_sql (self->db, "PRAGMA foreign_keys = ON", error))
    return NULL;

  if (!self->read_only)
    {
      const char *tuning = (flags & PCT_STORE_OPEN_BULK)
        ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144"
        : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536";

      if (!exec_sql (self->db, tuning, error))
        return NULL;

      if (version < PCT_STORE_SCHEMA_VERSION)
        {
          if (!_pct_store_migrate (self->db, PCT_STORE_SCHEMA_VERSION, error))
            return NULL;
          version = PCT_STORE_SCHEMA_VERSION;
        }
    }
  else
    {
      if (version == 0)
        {
          g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_A_STORE,
                       _("%s is empty, not a Precinct store"), path);
          return NULL;
        }
      if (version < PCT_STORE_SCHEMA_VERSION)
        {
          g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                       _("%s has store version %d and must be upgraded; open it once "
                         "for writing"), path, version);
          return NULL;
        }
      /* Readers are many (a few per map layer, search, details), and the
       * operating system caches the file for all of them; a small page
       * cache each keeps the app's memory flat over a long shift. */
      exec_sql (self->db, "PRAGMA cache_size = -4096", NULL);
    }

  self->schema_version = version;
  return g_steal_pointer (&self);
}

static void
pct_store_finalize (GObject *object)
{
  PctStore *self = (PctStore *) object;

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->bulk, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);

  G_OBJECT_CLASS (pct_store_parent_class)->finalize (object);
}

static void
pct_store_class_init (PctStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pct_store_finalize;
}

static void
pct_store_init (PctStore *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) sqlite3_finalize);
  self->bulk = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) sqlite3_finalize);
}

const char *
pct_store_get_path (PctStore *self)
{
  g_return_val_if_fail (PCT_IS_STORE (self), NULL);
  return self->path;
}

int
pct_store_get_schema_version (PctStore *self)
{
  g_return_val_if_fail (PCT_IS_STORE (self), 0);
  return self->schema_version;
}

sqlite3 *
pct_store_get_handle (PctStore *self)
{
  g_return_val_if_fail (PCT_IS_STORE (self), NULL);
  return self->db;
}

/* Prepares sql for keeps into cache, under a copy of the text or, for
 * a text that outlives the store, the text itself. */
static sqlite3_stmt *
prepare_into (PctStore    *self,
              GHashTable  *cache,
              gboolean     copy_key,
              const char  *sql,
              GError     **error)
{
  sqlite3_stmt *stmt;

  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (self->db, error, "prepare");
      return NULL;
    }

  g_hash_table_insert (cache, copy_key ? g_strdup (sql) : (gpointer) sql, stmt);
  return stmt;
}

sqlite3_stmt *
pct_store_prepare (PctStore    *self,
                   const char  *sql,
                   GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (PCT_IS_STORE (self), NULL);

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  return prepare_into (self, self->statements, TRUE, sql, error);
}

sqlite3_stmt *
pct_store_prepare_bulk (PctStore    *self,
                        const char  *sql,
                        GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (PCT_IS_STORE (self), NULL);

  stmt = g_hash_table_lookup (self->bulk, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      return stmt;
    }
  return prepare_into (self, self->bulk, FALSE, sql, error);
}

gboolean
pct_store_exec (PctStore    *self,
                const char  *sql,
                GError     **error)
{
  g_return_val_if_fail (PCT_IS_STORE (self), FALSE);
  return exec_sql (self->db, sql, error);
}

gboolean
pct_store_query_int64 (PctStore    *self,
                       const char  *sql,
                       gint64      *value,
                       GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (self->db, error, sql);
      sqlite3_reset (stmt);
      return FALSE;
    }
  *value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
pct_store_step_done (PctStore      *self,
                     sqlite3_stmt  *stmt,
                     GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      set_sqlite_error (self->db, error, "step");
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
pct_store_begin (PctStore  *self,
                 GError   **error)
{
  return exec_sql (self->db, "BEGIN IMMEDIATE", error);
}

gboolean
pct_store_commit (PctStore  *self,
                  GError   **error)
{
  return exec_sql (self->db, "COMMIT", error);
}

void
pct_store_rollback (PctStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

char *
pct_store_get_meta (PctStore   *self,
                    const char *key)
{
  sqlite3_stmt *stmt = pct_store_prepare (self, "SELECT value FROM meta WHERE key = ?", NULL);
  char *value = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

gboolean
pct_store_set_meta (PctStore    *self,
                    const char  *key,
                    const char  *value,
                    GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self,
                                          "INSERT INTO meta (key, value) VALUES (?, ?) "
                                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                          error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  return pct_store_step_done (self, stmt, error);
}

const char * const *
pct_store_entity_names (void)
{
  return entity_names;
}

gboolean
pct_store_count (PctStore    *self,
                 const char  *entity,
                 gint64      *count,
                 GError     **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (entity_tables); i++)
    {
      if (g_strcmp0 (entity, entity_names[i]) == 0)
        {
          /* The table name comes from the constant table above, never from
           * the caller, so formatting it into SQL is safe. */
          g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s",
                                                  entity_tables[i]);
          g_autoptr(sqlite3_stmt) stmt = NULL;

          if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
              sqlite3_step (stmt) != SQLITE_ROW)
            return set_sqlite_error (self->db, error, entity);
          *count = sqlite3_column_int64 (stmt, 0);
          return TRUE;
        }
    }

  g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
               _("Unknown entity “%s”"), entity);
  return FALSE;
}

static GArray *
run_bbox_query (PctStore       *self,
                const char     *sql,
                const PctBBox  *bbox,
                guint           limit,
                GError        **error)
{
  g_autoptr(GArray) result = g_array_new (FALSE, FALSE, sizeof (PctFeatureRef));
  sqlite3_stmt *stmt = pct_store_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_double (stmt, 1, bbox->min_lon);
  sqlite3_bind_double (stmt, 2, bbox->min_lat);
  sqlite3_bind_double (stmt, 3, bbox->max_lon);
  sqlite3_bind_double (stmt, 4, bbox->max_lat);
  sqlite3_bind_int64 (stmt, 5, limit > 0 ? (gint64) limit : -1);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PctFeatureRef ref = {
        .id = sqlite3_column_int64 (stmt, 0),
        .lon = sqlite3_column_double (stmt, 1),
        .lat = sqlite3_column_double (stmt, 2),
      };
      g_array_append_val (result, ref);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return set_sqlite_error (self->db, error, "box query"), NULL;

  return g_steal_pointer (&result);
}

/* The SQL text of each layer's queries is built once and kept for the life
 * of the process, so the statement cache can key on it. */
static const char *
layer_sql (PctLayer layer,
           gboolean use_index)
{
  static char *sql[PCT_N_LAYERS][2];
  static GMutex lock;
  const char *ret;

  g_mutex_lock (&lock);
  if (sql[layer][use_index] == NULL)
    {
      const LayerInfo *info = &layers[layer];

      if (use_index && g_str_equal (info->min_lon, "t.lon"))
        /* Points. The R*Tree holds 32-bit bounds rounded outwards, so a
         * point whose bounds lie wholly inside the box is inside; only the
         * few whose bounds straddle an edge are looked up in the table for
         * their exact coordinates. That join is what costs, so it is kept
         * to the edges. */
        sql[layer][1] = g_strdup_printf (
          "SELECT id, (min_lon + max_lon) / 2, (min_lat + max_lat) / 2 FROM %1$s "
          "WHERE min_lon >= ?1 AND max_lon <= ?3 AND min_lat >= ?2 AND max_lat <= ?4 "
          "UNION ALL "
          "SELECT t.id, t.lon, t.lat FROM %1$s r JOIN %2$s t ON t.id = r.id "
          "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 AND r.max_lat >= ?2 "
          "AND NOT (r.min_lon >= ?1 AND r.max_lon <= ?3 AND r.min_lat >= ?2 AND r.max_lat <= ?4) "
          "AND t.lon <= ?3 AND t.lon >= ?1 AND t.lat <= ?4 AND t.lat >= ?2 "
          "LIMIT ?5",
          info->rtree, info->table);
      else if (use_index)
        sql[layer][1] = g_strdup_printf (
          "SELECT t.id, (r.min_lon + r.max_lon) / 2, (r.min_lat + r.max_lat) / 2 "
          "FROM %s r JOIN %s t ON t.id = r.id "
          "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 AND r.max_lat >= ?2 "
          "AND %s <= ?3 AND %s >= ?1 AND %s <= ?4 AND %s >= ?2 LIMIT ?5",
          info->rtree, info->table,
          info->min_lon, info->max_lon, info->min_lat, info->max_lat);
      else
        sql[layer][0] = g_strdup_printf (
          "SELECT t.id, (%s + %s) / 2, (%s + %s) / 2 FROM %s t "
          "WHERE %s <= ?3 AND %s >= ?1 AND %s <= ?4 AND %s >= ?2 "
          "ORDER BY t.id LIMIT ?5",
          info->min_lon, info->max_lon, info->min_lat, info->max_lat, info->table,
          info->min_lon, info->max_lon, info->min_lat, info->max_lat);
    }
  ret = sql[layer][use_index];
  g_mutex_unlock (&lock);

  return ret;
}

GArray *
pct_store_query_bbox (PctStore       *self,
                      PctLayer        layer,
                      const PctBBox  *bbox,
                      guint           limit,
                      GError        **error)
{
  g_return_val_if_fail (PCT_IS_STORE (self), NULL);
  g_return_val_if_fail (layer < PCT_N_LAYERS, NULL);

  return run_bbox_query (self, layer_sql (layer, TRUE), bbox, limit, error);
}

GArray *
pct_store_scan_bbox (PctStore       *self,
                     PctLayer        layer,
                     const PctBBox  *bbox,
                     GError        **error)
{
  g_return_val_if_fail (PCT_IS_STORE (self), NULL);
  g_return_val_if_fail (layer < PCT_N_LAYERS, NULL);

  return run_bbox_query (self, layer_sql (layer, FALSE), bbox, 0, error);
}

gboolean
pct_store_get_extent (PctStore  *self,
                      PctBBox   *extent,
                      GError   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self,
                                          "SELECT min (min_lon), min (min_lat), max (max_lon), "
                                          "max (max_lat), count (*) FROM address_rtree",
                                          error);
  gboolean found;

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return set_sqlite_error (self->db, error, "extent");
    }

  found = sqlite3_column_int64 (stmt, 4) > 0;
  if (found)
    {
      extent->min_lon = sqlite3_column_double (stmt, 0);
      extent->min_lat = sqlite3_column_double (stmt, 1);
      extent->max_lon = sqlite3_column_double (stmt, 2);
      extent->max_lat = sqlite3_column_double (stmt, 3);
    }
  sqlite3_reset (stmt);

  if (!found)
    g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND,
                 _("The store has no addresses"));
  return found;
}

gboolean
pct_store_find_grid_cell (PctStore  *self,
                          double     lon,
                          double     lat,
                          gint64    *grid_id,
                          GError   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self,
                                          "SELECT g.id, g.polygon FROM grid_rtree r "
                                          "JOIN grid_cells g ON g.id = r.id "
                                          "WHERE r.min_lon <= ?1 AND r.max_lon >= ?1 "
                                          "AND r.min_lat <= ?2 AND r.max_lat >= ?2 "
                                          "ORDER BY g.id",
                                          error);
  int rc = SQLITE_DONE;

  g_return_val_if_fail (PCT_IS_STORE (self), FALSE);

  if (stmt == NULL)
    return FALSE;
  *grid_id = 0;
  sqlite3_bind_double (stmt, 1, lon);
  sqlite3_bind_double (stmt, 2, lat);
  while (*grid_id == 0 && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(GArray) ring = pct_geo_parse_coords ((const char *) sqlite3_column_text (stmt, 1),
                                                     NULL);

      if (ring != NULL &&
          pct_geo_point_in_polygon ((const PctGeoPoint *) (const void *) ring->data, ring->len,
                                    lon, lat))
        *grid_id = sqlite3_column_int64 (stmt, 0);
    }
  sqlite3_reset (stmt);
  if (*grid_id == 0 && rc != SQLITE_DONE)
    return set_sqlite_error (self->db, error, "grid cell");
  return TRUE;
}

gboolean
pct_store_find_nearest_address (PctStore  *self,
                                double     lon,
                                double     lat,
                                double     radius_m,
                                gint64    *address_id,
                                GError   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self,
                                          "SELECT a.id, a.lon, a.lat FROM address_rtree r "
                                          "JOIN addresses a ON a.id = r.id "
                                          "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 "
                                          "AND r.min_lat <= ?4 AND r.max_lat >= ?2",
                                          error);
  double dlon = radius_m / pct_geo_metres_per_degree_lon (lat);
  double dlat = radius_m / pct_geo_metres_per_degree_lat (lat);
  double best = radius_m;
  int rc;

  g_return_val_if_fail (PCT_IS_STORE (self), FALSE);

  if (stmt == NULL)
    return FALSE;
  *address_id = 0;
  sqlite3_bind_double (stmt, 1, lon - dlon);
  sqlite3_bind_double (stmt, 2, lat - dlat);
  sqlite3_bind_double (stmt, 3, lon + dlon);
  sqlite3_bind_double (stmt, 4, lat + dlat);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      double d = pct_geo_distance (lon, lat, sqlite3_column_double (stmt, 1),
                                   sqlite3_column_double (stmt, 2));

      if (d < best || (d == best && (*address_id == 0 || id < *address_id)))
        {
          best = d;
          *address_id = id;
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self->db, error, "nearest address");
  return TRUE;
}

gboolean
pct_store_poll_changes (PctStore      *self,
                        PctStoreStamp *stamp)
{
  sqlite3_stmt *stmt;
  PctStoreStamp now;

  g_return_val_if_fail (PCT_IS_STORE (self), FALSE);

  stmt = pct_store_prepare (self, "PRAGMA data_version", NULL);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return FALSE;
    }
  now.data_version = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  now.total_changes = sqlite3_total_changes64 (self->db);

  if (now.data_version == stamp->data_version && now.total_changes == stamp->total_changes)
    return FALSE;
  *stamp = now;
  return TRUE;
}

gboolean
pct_store_check_integrity (PctStore  *self,
                           GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *result;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA integrity_check (1)", -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    return set_sqlite_error (self->db, error, "integrity check");

  result = (const char *) sqlite3_column_text (stmt, 0);
  if (g_strcmp0 (result, "ok") != 0)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_CORRUPT,
                   _("%s failed its integrity check: %s"), self->path, result);
      return FALSE;
    }
  return TRUE;
}

static void
hash_value (GChecksum    *checksum,
            sqlite3_stmt *stmt,
            int           column)
{
  int type = sqlite3_column_type (stmt, column);
  guchar tag = (guchar) type;

  g_checksum_update (checksum, &tag, 1);
  switch (type)
    {
    case SQLITE_INTEGER:
      {
        gint64 v = GINT64_TO_LE (sqlite3_column_int64 (stmt, column));
        g_checksum_update (checksum, (const guchar *) &v, sizeof v);
      }
      break;
    case SQLITE_FLOAT:
      {
        /* Printed with 17 significant digits so the hash does not depend on
         * the byte order of doubles. */
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd (buf, sizeof buf, "%.17g", sqlite3_column_double (stmt, column));
        g_checksum_update (checksum, (const guchar *) buf, strlen (buf) + 1);
      }
      break;
    case SQLITE_TEXT:
    case SQLITE_BLOB:
      {
        const void *data = sqlite3_column_blob (stmt, column);
        guint32 len = GUINT32_TO_LE ((guint32) sqlite3_column_bytes (stmt, column));
        g_checksum_update (checksum, (const guchar *) &len, sizeof len);
        if (len > 0)
          g_checksum_update (checksum, data, sqlite3_column_bytes (stmt, column));
      }
      break;
    case SQLITE_NULL:
    default:
      break;
    }
}

char *
pct_store_content_hash (PctStore  *self,
                        GError   **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_return_val_if_fail (PCT_IS_STORE (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (content_tables); i++)
    {
      /* Constant table names only; WITHOUT ROWID tables iterate in primary
       * key order, the others in rowid order. */
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s", content_tables[i]);
      g_autoptr(sqlite3_stmt) stmt = NULL;
      int rc;

      if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return set_sqlite_error (self->db, error, content_tables[i]), NULL;

      g_checksum_update (checksum, (const guchar *) content_tables[i],
                         strlen (content_tables[i]) + 1);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          int n = sqlite3_column_count (stmt);
          for (int c = 0; c < n; c++)
            hash_value (checksum, stmt, c);
        }
      if (rc != SQLITE_DONE)
        return set_sqlite_error (self->db, error, content_tables[i]), NULL;
    }

  return g_strdup (g_checksum_get_string (checksum));
}
