/* pct-hub-sqlite.c — the hub's storage in one SQLite file: the clients'
 * schema for the content, the hub's own tables beside it
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The content lives in the core store's tables, exactly as a client keeps
 * it, so that the same record mapping reads and validates it. The hub adds
 * tables of its own (hub_*): users, sessions and tokens, intake channels,
 * the changes feed, the results of mutations. None of them is content, so
 * pct_store_content_hash() of a hub equals that of a client holding
 * everything the feed gave it.
 *
 * The feed is hub_changes: one row per content row that ever changed,
 * moved to a new sequence number at each change (INSERT OR REPLACE), kept
 * up to date by triggers that every writer fires.
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "pct-hub-sqlite-private.h"

/* Version of the hub's own tables, in hub_meta. */
#define HUB_SCHEMA_VERSION 1

/* Idle read connections kept for the changes feed. */
#define MAX_IDLE_READERS 4

static void pct_hub_sqlite_storage_init (PctHubStorageInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PctHubSqlite, pct_hub_sqlite, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (PCT_TYPE_HUB_STORAGE,
                                                      pct_hub_sqlite_storage_init))

static const char hub_schema[] =
  "CREATE TABLE hub_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;\n"

  "CREATE TABLE hub_users (\n"
  "  name TEXT PRIMARY KEY,\n"
  "  role TEXT NOT NULL CHECK (role IN ('dispatcher', 'clerk', 'supervisor', 'admin')),\n"
  "  password_hash TEXT NOT NULL,\n"
  "  disabled INTEGER NOT NULL DEFAULT 0,\n"
  "  created_at INTEGER NOT NULL) WITHOUT ROWID;\n"

  /* A session is an access token and its refresh token, issued together
   * and ended together (sign-out, refresh, revocation). */
  "CREATE TABLE hub_sessions (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  user TEXT NOT NULL REFERENCES hub_users (name),\n"
  "  created_at INTEGER NOT NULL,\n"
  "  revoked INTEGER NOT NULL DEFAULT 0);\n"
  "CREATE INDEX hub_sessions_user ON hub_sessions (user);\n"

  /* Only the SHA-256 of a token is kept. */
  "CREATE TABLE hub_tokens (\n"
  "  hash TEXT PRIMARY KEY,\n"
  "  session INTEGER NOT NULL REFERENCES hub_sessions (id),\n"
  "  kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),\n"
  "  expires_at INTEGER NOT NULL) WITHOUT ROWID;\n"
  "CREATE INDEX hub_tokens_session ON hub_tokens (session);\n"
  "CREATE INDEX hub_tokens_expiry ON hub_tokens (expires_at);\n"

  /* Intake channels; key_hash is the SHA-256 of the API key (NULL for the
   * hub's own simulator, which needs none). */
  "CREATE TABLE hub_channels (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  name TEXT NOT NULL UNIQUE,\n"
  "  key_hash TEXT UNIQUE,\n"
  "  created_at INTEGER NOT NULL,\n"
  "  revoked INTEGER NOT NULL DEFAULT 0);\n"

  "CREATE TABLE hub_changes (\n"
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
  "  entity TEXT NOT NULL,\n"
  "  key TEXT NOT NULL,\n"
  "  deleted INTEGER NOT NULL DEFAULT 0,\n"
  "  UNIQUE (entity, key));\n"

  /* Every mutation seen, with its result, for idempotent replays. */
  "CREATE TABLE hub_mutations (\n"
  "  uuid TEXT PRIMARY KEY,\n"
  "  user TEXT NOT NULL,\n"
  "  at INTEGER NOT NULL,\n"
  "  result TEXT NOT NULL) WITHOUT ROWID;\n"

  /* Incidents from outside channels by their own identifiers. */
  "CREATE TABLE hub_intake (\n"
  "  channel_id INTEGER NOT NULL REFERENCES hub_channels (id),\n"
  "  external_id TEXT NOT NULL,\n"
  "  incident_id INTEGER NOT NULL REFERENCES incidents (id),\n"
  "  at INTEGER NOT NULL,\n"
  "  PRIMARY KEY (channel_id, external_id)) WITHOUT ROWID;\n"

  /* The references the hub follows when it moves the dependents of a row
   * it wrote (_pct_hub_sqlite_touch_dependents) that the core schema
   * leaves without an index. */
  "CREATE INDEX hub_plates_replaced_by ON plates (replaced_by);\n";

/* Helpers ----------------------------------------------------------------- */

static gboolean
exec (PctStore    *store,
      const char  *sql,
      GError     **error)
{
  return pct_store_exec (store, sql, error);
}

static gboolean
table_exists (PctStore    *store,
              const char  *name,
              gboolean    *exists,
              GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT 1 FROM sqlite_schema "
                                          "WHERE type = 'table' AND name = ?",
                                          error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, name);
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

static char *
get_hub_meta (PctStore   *store,
              const char *key)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT value FROM hub_meta WHERE key = ?",
                                          NULL);
  char *value = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

static gboolean
set_hub_meta (PctStore    *store,
              const char  *key,
              const char  *value,
              GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "INSERT INTO hub_meta (key, value) VALUES (?, ?) "
                                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                          error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  return pct_store_step_done (store, stmt, error);
}

/* Ten characters of [a-z0-9]: short enough for cursors, random enough
 * that two databases never share one. */
static char *
new_database_id (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  char id[11];

  for (guint i = 0; i < 10; i++)
    id[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  id[10] = '\0';
  return g_strdup (id);
}

gboolean
_pct_hub_sqlite_entity_in_feed (const PctRecordEntity *entity)
{
  return g_strcmp0 (entity->name, "audit") != 0;
}

static const PctRecordChildren *
entity_children (const PctRecordEntity *entity)
{
  for (guint i = 0; i < entity->n_fields; i++)
    {
      if (entity->fields[i].type == PCT_FIELD_CHILDREN)
        return entity->fields[i].children;
    }
  return NULL;
}

static gboolean
entity_references_itself (const PctRecordEntity *entity)
{
  for (guint i = 0; i < entity->n_fields; i++)
    {
      if (g_strcmp0 (entity->fields[i].references, entity->name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Triggers of the feed ------------------------------------------------------ */

/* A row's change moves it to the end of the feed: its old entry goes and
 * a new one, with the next sequence number, comes. Spelled out as a
 * DELETE and an INSERT because a trigger's own OR REPLACE gives way to the
 * conflict clause of the statement that fired it (an upsert's, here). */
#define TOUCH(entity, key, deleted)                                          \
  "  DELETE FROM hub_changes WHERE entity = '" entity "' AND key = CAST (" key " AS TEXT);\n" \
  "  INSERT INTO hub_changes (entity, key, deleted)\n"                        \
  "    VALUES ('" entity "', CAST (" key " AS TEXT), " deleted ");\n"

/* Table, entity and column names below come from the constant tables of
 * pct-record.c, never from input. */
static void
append_entity_triggers (GString               *sql,
                        const PctRecordEntity *entity)
{
  const PctRecordChildren *children = entity_children (entity);
  const char *t = entity->table;
  const char *e = entity->name;
  const char *k = entity->key;

  g_string_append_printf (sql,
    "CREATE TRIGGER IF NOT EXISTS hub_changes_%s_ai AFTER INSERT ON %s BEGIN\n"
    TOUCH ("%s", "new.%s", "0")
    "END;\n"
    "CREATE TRIGGER IF NOT EXISTS hub_changes_%s_au AFTER UPDATE ON %s BEGIN\n"
    "  DELETE FROM hub_changes WHERE old.%s IS NOT new.%s AND entity = '%s'\n"
    "    AND key = CAST (old.%s AS TEXT);\n"
    "  INSERT INTO hub_changes (entity, key, deleted)\n"
    "    SELECT '%s', CAST (old.%s AS TEXT), 1 WHERE old.%s IS NOT new.%s;\n"
    TOUCH ("%s", "new.%s", "0")
    "END;\n"
    "CREATE TRIGGER IF NOT EXISTS hub_changes_%s_ad AFTER DELETE ON %s BEGIN\n"
    TOUCH ("%s", "old.%s", "1")
    "END;\n",
    t, t, e, k, e, k,
    t, t, k, k, e, k, e, k, k, k, e, k, e, k,
    t, t, e, k, e, k);

  if (children == NULL)
    return;

  /* A change of a child row is a change of its owner. When the owner is
   * being deleted, its deletion is the change. */
  g_string_append_printf (sql,
    "CREATE TRIGGER IF NOT EXISTS hub_changes_%s_ai AFTER INSERT ON %s BEGIN\n"
    TOUCH ("%s", "new.%s", "0")
    "END;\n"
    "CREATE TRIGGER IF NOT EXISTS hub_changes_%s_au AFTER UPDATE ON %s BEGIN\n"
    TOUCH ("%s", "new.%s", "0")
    "END;\n"
    "CREATE TRIGGER IF NOT EXISTS hub_changes_%s_ad AFTER DELETE ON %s\n"
    "  WHEN EXISTS (SELECT 1 FROM %s WHERE %s = old.%s) BEGIN\n"
    TOUCH ("%s", "old.%s", "0")
    "END;\n",
    children->table, children->table, e, children->parent_column, e, children->parent_column,
    children->table, children->table, e, children->parent_column, e, children->parent_column,
    children->table, children->table, t, k, children->parent_column,
    e, children->parent_column, e, children->parent_column);
}

#undef TOUCH

static void
append_drop_triggers (GString               *sql,
                      const PctRecordEntity *entity)
{
  const PctRecordChildren *children = entity_children (entity);
  const char *tables[] = { entity->table, children ? children->table : NULL };

  for (guint i = 0; i < G_N_ELEMENTS (tables) && tables[i] != NULL; i++)
    g_string_append_printf (sql,
                            "DROP TRIGGER IF EXISTS hub_changes_%s_ai;\n"
                            "DROP TRIGGER IF EXISTS hub_changes_%s_au;\n"
                            "DROP TRIGGER IF EXISTS hub_changes_%s_ad;\n",
                            tables[i], tables[i], tables[i]);
}

static gboolean
create_triggers (PctStore  *store,
                 GError   **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  const PctRecordEntity *entities;
  guint n_entities;

  entities = pct_record_entities (&n_entities);
  for (guint i = 0; i < n_entities; i++)
    {
      if (_pct_hub_sqlite_entity_in_feed (&entities[i]))
        append_entity_triggers (sql, &entities[i]);
    }
  return exec (store, sql->str, error);
}

static gboolean
drop_triggers (PctStore  *store,
               GError   **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  const PctRecordEntity *entities;
  guint n_entities;

  entities = pct_record_entities (&n_entities);
  for (guint i = 0; i < n_entities; i++)
    append_drop_triggers (sql, &entities[i]);
  return exec (store, sql->str, error);
}

/* Opening ------------------------------------------------------------------ */

/* Whether any content table holds a row; settings do not count, since a
 * new store starts with some. */
static gboolean
has_content (PctStore  *store,
             gboolean  *content,
             GError   **error)
{
  const PctRecordEntity *entities;
  guint n_entities;

  *content = FALSE;
  entities = pct_record_entities (&n_entities);
  for (guint i = 0; i < n_entities && !*content; i++)
    {
      g_autofree char *sql = NULL;
      g_autoptr(sqlite3_stmt) stmt = NULL;

      if (g_str_equal (entities[i].name, "setting") || !_pct_hub_sqlite_entity_in_feed (&entities[i]))
        continue;
      sql = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM %s)", entities[i].table);
      if (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL) != SQLITE_OK ||
          sqlite3_step (stmt) != SQLITE_ROW)
        return pct_store_set_sql_error (store, error, entities[i].table);
      *content = sqlite3_column_int (stmt, 0) != 0;
    }
  return TRUE;
}

static gboolean
create_hub_schema (PctStore  *store,
                   GError   **error)
{
  g_autofree char *database_id = new_database_id ();
  g_autofree char *version = g_strdup_printf ("%d", HUB_SCHEMA_VERSION);
  gboolean content = FALSE;

  if (!has_content (store, &content, error))
    return FALSE;
  if (content)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                   _("%s holds a district but is not a hub store; make a hub with "
                     "“precinct-hub seed --district %s”"),
                   pct_store_get_path (store), pct_store_get_path (store));
      return FALSE;
    }

  if (!pct_store_begin (store, error))
    return FALSE;
  if (!exec (store, hub_schema, error) ||
      !create_triggers (store, error) ||
      !set_hub_meta (store, "schema_version", version, error) ||
      !set_hub_meta (store, "database_id", database_id, error) ||
      !pct_store_commit (store, error))
    {
      pct_store_rollback (store);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_hub_schema (PctStore  *store,
                  GError   **error)
{
  g_autofree char *version = get_hub_meta (store, "schema_version");
  gint64 number = version ? g_ascii_strtoll (version, NULL, 10) : 0;

  if (number < 1 || number > HUB_SCHEMA_VERSION)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                   _("%s was written by another version of precinct-hub (hub schema %s, "
                     "this build reads %d)"),
                   pct_store_get_path (store), version ? version : "?", HUB_SCHEMA_VERSION);
      return FALSE;
    }
  /* Entities added to the core since the file was made get their
   * triggers now. */
  return create_triggers (store, error);
}

PctHubSqlite *
pct_hub_sqlite_open (const char             *path,
                     PctHubSqliteOpenFlags   flags,
                     GError                **error)
{
  g_autoptr(PctHubSqlite) self = NULL;
  PctStoreOpenFlags store_flags = PCT_STORE_OPEN_DEFAULT;
  gboolean hub = FALSE;

  g_return_val_if_fail (path != NULL, NULL);

  if (!(flags & PCT_HUB_SQLITE_OPEN_CREATE) && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                   _("No hub store at %s; make one with “precinct-hub seed”"), path);
      return NULL;
    }

  if (flags & PCT_HUB_SQLITE_OPEN_CREATE)
    store_flags |= PCT_STORE_OPEN_CREATE;
  if (flags & PCT_HUB_SQLITE_OPEN_BULK)
    store_flags |= PCT_STORE_OPEN_BULK;

  self = g_object_new (PCT_TYPE_HUB_SQLITE, NULL);
  self->path = g_strdup (path);
  self->store = pct_store_open (path, store_flags, error);
  if (self->store == NULL)
    return NULL;

  if (!table_exists (self->store, "hub_meta", &hub, error))
    return NULL;
  if (!hub)
    {
      if (!(flags & PCT_HUB_SQLITE_OPEN_CREATE))
        {
          g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                       _("%s is a Precinct store but not a hub store"), path);
          return NULL;
        }
      if (!create_hub_schema (self->store, error))
        return NULL;
    }
  else if (!check_hub_schema (self->store, error))
    return NULL;

  self->database_id = get_hub_meta (self->store, "database_id");
  if (self->database_id == NULL)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                   _("%s has no database identifier"), path);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* Read connections --------------------------------------------------------- */

static PctStore *
acquire_reader (PctHubSqlite  *self,
                GError       **error)
{
  PctStore *reader = NULL;

  g_mutex_lock (&self->readers_lock);
  if (self->readers->len > 0)
    reader = g_ptr_array_steal_index_fast (self->readers, self->readers->len - 1);
  g_mutex_unlock (&self->readers_lock);

  if (reader == NULL)
    {
      reader = pct_store_open (self->path, PCT_STORE_OPEN_READ_ONLY, error);
      /* Pages touch rows all over a large file: a bigger cache than the
       * core's readers take pays off. */
      if (reader != NULL)
        pct_store_exec (reader, "PRAGMA cache_size = -32768", NULL);
    }
  return reader;
}

static void
release_reader (PctHubSqlite *self,
                PctStore     *reader)
{
  g_mutex_lock (&self->readers_lock);
  if (self->readers->len < MAX_IDLE_READERS)
    {
      g_ptr_array_add (self->readers, reader);
      reader = NULL;
    }
  g_mutex_unlock (&self->readers_lock);
  g_clear_object (&reader);
}

/* Records ------------------------------------------------------------------ */

gboolean
_pct_hub_sqlite_read_record (PctStore               *store,
                             const PctRecordEntity  *entity,
                             const char             *key,
                             int                     role,
                             GString                *out,
                             GError                **error)
{
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *keys[] = { key };

  reader = pct_record_reader_new_for_keys (store, entity, keys, 1, error);
  if (reader == NULL)
    return FALSE;
  if (!pct_record_reader_next (reader, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (role < 0)
    pct_record_reader_append_record (reader, out);
  else
    pct_record_reader_append_record_masked (reader, (PctRole) role, out);
  return TRUE;
}

static void
append_key_json (GString                *out,
                 const PctRecordEntity  *entity,
                 const char             *key)
{
  if (entity->key_type == PCT_FIELD_INTEGER)
    g_string_append (out, key);
  else
    pct_record_append_json_string (out, key);
}

static void
append_deleted (GString                *out,
                const PctRecordEntity  *entity,
                const char             *key)
{
  g_string_append (out, "{\"entity\":");
  pct_record_append_json_string (out, entity->name);
  g_string_append (out, ",\"id\":");
  append_key_json (out, entity, key);
  g_string_append (out, ",\"deleted\":true}");
}

/* The changes feed ------------------------------------------------------- */

typedef struct
{
  gint64                  seq;
  const PctRecordEntity  *entity;
  char                   *key;
  gboolean                deleted;
} Change;

static void
change_clear (gpointer data)
{
  Change *change = data;

  g_free (change->key);
}

typedef struct
{
  gsize offset;
  gsize length;
} Slice;

static gboolean
entity_wanted (const PctHubChangesQuery *query,
               const char               *name)
{
  if (query->entities == NULL)
    return TRUE;
  return g_strv_contains (query->entities, name);
}

static gboolean
read_change_rows (PctStore                  *store,
                  const PctHubChangesQuery  *query,
                  GArray                    *changes,
                  gboolean                  *has_more,
                  GError                   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT seq, entity, key, deleted FROM hub_changes "
                                          "WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
                                          error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  *has_more = FALSE;
  sqlite3_bind_int64 (stmt, 1, query->after);
  sqlite3_bind_int64 (stmt, 2, query->until > 0 ? query->until : G_MAXINT64);
  /* With a filter the rows are sorted out here, so no limit applies. */
  sqlite3_bind_int64 (stmt, 3, query->entities != NULL ? -1 : (gint64) query->limit + 1);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 1);
      const PctRecordEntity *entity = pct_record_entity_lookup (name);
      Change change;

      if (entity == NULL || !entity_wanted (query, name))
        continue;
      if (changes->len == query->limit)
        {
          *has_more = TRUE;
          break;
        }
      change.seq = sqlite3_column_int64 (stmt, 0);
      change.entity = entity;
      change.key = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      change.deleted = sqlite3_column_int (stmt, 3) != 0;
      g_array_append_val (changes, change);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "hub_changes");
  return TRUE;
}

/* Writes the records of changes[0..n), all of one entity, in their order:
 * the rows are read in one go, then placed by key. */
static gboolean
write_run (PctStore       *store,
           PctRole         role,
           const Change   *changes,
           guint           n,
           GString        *scratch,
           GString        *out,
           GError        **error)
{
  const PctRecordEntity *entity = changes[0].entity;
  g_autoptr(GPtrArray) keys = g_ptr_array_sized_new (n);
  g_autoptr(GHashTable) found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GString) key = g_string_new (NULL);

  g_string_truncate (scratch, 0);
  for (guint i = 0; i < n; i++)
    {
      if (!changes[i].deleted)
        g_ptr_array_add (keys, changes[i].key);
    }

  if (keys->len > 0)
    {
      g_autoptr(PctRecordReader) reader = NULL;
      g_autoptr(GError) local_error = NULL;

      reader = pct_record_reader_new_for_keys (store, entity, (const char * const *) keys->pdata,
                                               keys->len, error);
      if (reader == NULL)
        return FALSE;
      while (pct_record_reader_next (reader, &local_error))
        {
          Slice *slice = g_new (Slice, 1);

          g_string_truncate (key, 0);
          pct_record_reader_append_key_text (reader, key);
          slice->offset = scratch->len;
          pct_record_reader_append_record_masked (reader, role, scratch);
          slice->length = scratch->len - slice->offset;
          g_hash_table_replace (found, g_strdup (key->str), slice);
        }
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  for (guint i = 0; i < n; i++)
    {
      const Slice *slice = changes[i].deleted ? NULL
                                              : g_hash_table_lookup (found, changes[i].key);

      if (out->len > 0)
        g_string_append_c (out, ',');
      /* A row gone within this read would be marked deleted already; a
       * missing one is reported as deleted all the same. */
      if (slice == NULL)
        append_deleted (out, entity, changes[i].key);
      else
        g_string_append_len (out, scratch->str + slice->offset, slice->length);
    }
  return TRUE;
}

static gboolean
read_page (PctStore                  *store,
           const PctHubChangesQuery  *query,
           PctHubChangesPage         *page,
           GError                   **error)
{
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(GString) scratch = g_string_new (NULL);
  const Change *all;
  guint i = 0;

  g_array_set_clear_func (changes, change_clear);
  if (!read_change_rows (store, query, changes, &page->has_more, error))
    return FALSE;

  page->records = g_string_sized_new (changes->len * 512 + 64);
  page->n_records = changes->len;
  page->last_seq = changes->len > 0 ? g_array_index (changes, Change, changes->len - 1).seq
                                    : query->after;

  all = (const Change *) (const void *) changes->data;
  while (i < changes->len)
    {
      guint j = i + 1;

      while (j < changes->len && all[j].entity == all[i].entity)
        j++;
      if (!write_run (store, query->role, all + i, j - i, scratch, page->records, error))
        return FALSE;
      i = j;
    }
  return TRUE;
}

gint64
_pct_hub_sqlite_last_seq (PctHubSqlite *self)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT seq FROM sqlite_sequence "
                                          "WHERE name = 'hub_changes'",
                                          NULL);
  gint64 seq = 0;

  if (stmt == NULL)
    return 0;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    seq = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return seq;
}

void
_pct_hub_sqlite_notify (PctHubSqlite *self,
                        gint64        before)
{
  gint64 now = _pct_hub_sqlite_last_seq (self);

  if (now > before)
    pct_hub_storage_emit_changed (PCT_HUB_STORAGE (self), now);
}

/* Dependents --------------------------------------------------------------- */

typedef struct
{
  const PctRecordEntity *entity;
  char                  *key;
} Node;

static void
node_free (gpointer data)
{
  Node *node = data;

  g_free (node->key);
  g_free (node);
}

static gboolean
touch (PctStore               *store,
       const PctRecordEntity  *entity,
       const char             *key,
       GError                **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "INSERT OR REPLACE INTO hub_changes (entity, key, deleted) "
                                          "VALUES (?, ?, 0)",
                                          error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, entity->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
  return pct_store_step_done (store, stmt, error);
}

/* Keys of the rows of `from` whose column (of its table, or of its
 * children's table) holds the key of `to`; queued unless seen. */
static gboolean
queue_referencing (PctStore               *store,
                   const PctRecordEntity  *from,
                   const char             *table,
                   const char             *key_column,
                   const char             *column,
                   const PctRecordEntity  *to,
                   const char             *to_key,
                   GHashTable             *seen,
                   GQueue                 *queue,
                   GError                **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT DISTINCT %s FROM %s WHERE %s = ?",
                                          key_column, table, column);
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  if (to->key_type == PCT_FIELD_INTEGER)
    sqlite3_bind_int64 (stmt, 1, g_ascii_strtoll (to_key, NULL, 10));
  else
    sqlite3_bind_text (stmt, 1, to_key, -1, SQLITE_TRANSIENT);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (stmt, 0);
      char *id = g_strconcat (from->name, "\n", key, NULL);

      if (g_hash_table_add (seen, id))
        {
          Node *node = g_new (Node, 1);

          node->entity = from;
          node->key = g_strdup (key);
          g_queue_push_tail (queue, node);
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, table);
  return TRUE;
}

gboolean
_pct_hub_sqlite_touch_dependents (PctHubSqlite           *self,
                                  const PctRecordEntity  *entity,
                                  const char             *key,
                                  GError                **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GQueue queue = G_QUEUE_INIT;
  const PctRecordEntity *entities;
  guint n_entities;
  Node *node;

  entities = pct_record_entities (&n_entities);
  node = g_new (Node, 1);
  node->entity = entity;
  node->key = g_strdup (key);
  g_queue_push_tail (&queue, node);
  g_hash_table_add (seen, g_strconcat (entity->name, "\n", key, NULL));

  while ((node = g_queue_pop_head (&queue)) != NULL)
    {
      gboolean ok = TRUE;

      /* The row itself was just written; its dependents follow it. */
      if (node->entity != entity || g_strcmp0 (node->key, key) != 0)
        ok = touch (self->store, node->entity, node->key, error);

      for (guint i = 0; ok && i < n_entities; i++)
        {
          const PctRecordEntity *from = &entities[i];

          if (!_pct_hub_sqlite_entity_in_feed (from))
            continue;
          for (guint f = 0; ok && f < from->n_fields; f++)
            {
              const PctRecordField *field = &from->fields[f];

              if (field->type == PCT_FIELD_CHILDREN)
                {
                  const PctRecordChildren *children = field->children;

                  for (guint c = 0; ok && c < children->n_fields; c++)
                    {
                      if (g_strcmp0 (children->fields[c].references, node->entity->name) == 0)
                        ok = queue_referencing (self->store, from, children->table,
                                                children->parent_column, children->fields[c].name,
                                                node->entity, node->key, seen, &queue, error);
                    }
                }
              else if (g_strcmp0 (field->references, node->entity->name) == 0)
                ok = queue_referencing (self->store, from, from->table, from->key, field->name,
                                        node->entity, node->key, seen, &queue, error);
            }
        }
      node_free (node);
      if (!ok)
        {
          g_queue_clear_full (&queue, node_free);
          return FALSE;
        }
    }
  return TRUE;
}

/* Seeding ------------------------------------------------------------------ */

/* "a, b, c": the columns of a table of the hub's own schema. */
static char *
table_columns (PctStore    *store,
               const char  *table,
               GError     **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT name FROM pragma_table_info ('%s', 'main') "
                                          "ORDER BY cid", table);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GString) columns = g_string_new (NULL);
  int rc;

  if (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      pct_store_set_sql_error (store, error, table);
      return NULL;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_string_append_printf (columns, "%s\"%s\"", columns->len > 0 ? ", " : "",
                            (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      pct_store_set_sql_error (store, error, table);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&columns), FALSE);
}

static gboolean
copy_table (PctStore    *store,
            const char  *table,
            GError     **error)
{
  g_autofree char *columns = table_columns (store, table, error);
  g_autofree char *sql = NULL;
  g_autoptr(GError) local_error = NULL;

  if (columns == NULL)
    return FALSE;
  sql = g_strdup_printf ("INSERT INTO main.%s (%s) SELECT %s FROM district.%s",
                         table, columns, columns, table);
  if (!exec (store, sql, &local_error))
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_FAILED,
                   _("Cannot copy %s: %s"), table, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Lines and polygons as the record mapping stores them: the shortest
 * numbers that read back to the same doubles. A generator may write them
 * otherwise (7 fixed decimals); the clients store what the feed gives,
 * and hub and client hold the same content only if the hub does too. */
static gboolean
normalise_geometry (PctStore               *store,
                    const PctRecordEntity  *entity,
                    GError                **error)
{
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(GPtrArray) shapes = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *sql = NULL;
  sqlite3_stmt *update;
  int field;

  if (entity->geometry != PCT_GEOMETRY_LINE && entity->geometry != PCT_GEOMETRY_POLYGON)
    return TRUE;
  field = pct_record_entity_find_field (entity, entity->geometry_field);
  g_return_val_if_fail (field >= 0, FALSE);

  /* Read first, written after: no row is rewritten under a live read. */
  keys = g_ptr_array_new_with_free_func (g_free);
  shapes = g_ptr_array_new_with_free_func (g_free);
  reader = pct_record_reader_new (store, entity, error);
  if (reader == NULL)
    return FALSE;
  while (pct_record_reader_next (reader, &local_error))
    {
      GString *key = g_string_new (NULL);
      GString *shape = g_string_new (NULL);

      pct_record_reader_append_key_text (reader, key);
      pct_record_reader_append_field (reader, (guint) field, shape);
      g_ptr_array_add (keys, g_string_free (key, FALSE));
      g_ptr_array_add (shapes, g_string_free (shape, FALSE));
    }
  g_clear_pointer (&reader, pct_record_reader_free);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  sql = g_strdup_printf ("UPDATE %s SET %s = ?1 WHERE %s = ?2 AND %s IS NOT ?1",
                         entity->table, entity->geometry_field, entity->key,
                         entity->geometry_field);
  update = pct_store_prepare (store, sql, error);
  if (update == NULL)
    return FALSE;
  for (guint i = 0; i < keys->len; i++)
    {
      const char *shape = g_ptr_array_index (shapes, i);

      if (g_str_equal (shape, "null"))
        continue;
      sqlite3_bind_text (update, 1, shape, -1, SQLITE_STATIC);
      if (entity->key_type == PCT_FIELD_INTEGER)
        sqlite3_bind_int64 (update, 2, g_ascii_strtoll (g_ptr_array_index (keys, i), NULL, 10));
      else
        sqlite3_bind_text (update, 2, g_ptr_array_index (keys, i), -1, SQLITE_STATIC);
      if (!pct_store_step_done (store, update, error))
        return FALSE;
    }
  return TRUE;
}

/* Enters every row of the entity in the feed, each after the rows it
 * references: in key order, or in the record reader's order when rows of
 * the entity reference each other. */
static gboolean
fill_changes (PctStore               *store,
              const PctRecordEntity  *entity,
              GError                **error)
{
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GString) key = NULL;
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *insert;

  if (!entity_references_itself (entity))
    {
      g_autofree char *sql = g_strdup_printf ("INSERT INTO hub_changes (entity, key, deleted) "
                                              "SELECT ?, %s, 0 FROM %s ORDER BY %s",
                                              entity->key, entity->table, entity->key);
      g_autoptr(sqlite3_stmt) stmt = NULL;

      if (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL) != SQLITE_OK)
        return pct_store_set_sql_error (store, error, entity->table);
      sqlite3_bind_text (stmt, 1, entity->name, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return pct_store_set_sql_error (store, error, entity->table);
      return TRUE;
    }

  /* The reader holds its statement while the inserts run: they write
   * another table, which SQLite allows on one connection. */
  insert = pct_store_prepare (store,
                              "INSERT INTO hub_changes (entity, key, deleted) VALUES (?, ?, 0)",
                              error);
  if (insert == NULL)
    return FALSE;
  reader = pct_record_reader_new (store, entity, error);
  if (reader == NULL)
    return FALSE;
  key = g_string_new (NULL);
  while (pct_record_reader_next (reader, &local_error))
    {
      g_string_truncate (key, 0);
      pct_record_reader_append_key_text (reader, key);
      sqlite3_bind_text (insert, 1, entity->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 2, key->str, (int) key->len, SQLITE_TRANSIENT);
      if (!pct_store_step_done (store, insert, error))
        return FALSE;
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_district (const char  *path,
                GError     **error)
{
  g_autoptr(PctStore) district = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                   _("No district store at %s"), path);
      return FALSE;
    }
  /* Read-only: a district file is never changed by seeding from it. */
  district = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, error);
  return district != NULL;
}

static gboolean
check_references (PctStore  *store,
                  GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (pct_store_get_handle (store), "PRAGMA main.foreign_key_check", -1,
                          &stmt, NULL) != SQLITE_OK)
    return pct_store_set_sql_error (store, error, "foreign_key_check");
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                   _("The district is inconsistent: row %" PRId64 " of %s references "
                     "a row of %s that does not exist"),
                   (gint64) sqlite3_column_int64 (stmt, 1), (const char *) sqlite3_column_text (stmt, 0),
                   (const char *) sqlite3_column_text (stmt, 2));
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "foreign_key_check");
  return TRUE;
}

static gboolean
seed_tables (PctHubSqlite     *self,
             PctProgressFunc   progress,
             gpointer          user_data,
             GError          **error)
{
  const PctRecordEntity *entities;
  guint n_entities;

  entities = pct_record_entities (&n_entities);
  if (!drop_triggers (self->store, error) ||
      !exec (self->store, "DELETE FROM main.meta", error))
    return FALSE;

  for (guint i = 0; i < n_entities; i++)
    {
      const PctRecordChildren *children = entity_children (&entities[i]);

      if (!_pct_hub_sqlite_entity_in_feed (&entities[i]))
        continue;
      if (progress != NULL)
        progress (entities[i].name, i, n_entities, user_data);
      if (!copy_table (self->store, entities[i].table, error) ||
          (children != NULL && !copy_table (self->store, children->table, error)) ||
          !normalise_geometry (self->store, &entities[i], error))
        return FALSE;
    }

  for (guint i = 0; i < n_entities; i++)
    {
      if (_pct_hub_sqlite_entity_in_feed (&entities[i]) &&
          !fill_changes (self->store, &entities[i], error))
        return FALSE;
    }
  if (progress != NULL)
    progress ("changes", n_entities, n_entities, user_data);

  return create_triggers (self->store, error);
}

static gboolean
pct_hub_sqlite_seed (PctHubStorage    *storage,
                     const char       *district_path,
                     PctProgressFunc   progress,
                     gpointer          user_data,
                     GError          **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format_iso8601 (now);
  sqlite3_stmt *stmt;
  gboolean content = FALSE;
  gboolean ok;

  if (!has_content (self->store, &content, error))
    return FALSE;
  if (content || _pct_hub_sqlite_last_seq (self) > 0)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_EMPTY,
                   _("%s holds a district already; seed a new hub store instead"), self->path);
      return FALSE;
    }
  if (!check_district (district_path, error))
    return FALSE;

  stmt = pct_store_prepare (self->store, "ATTACH DATABASE ? AS district", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, district_path, -1, SQLITE_STATIC);
  if (!pct_store_step_done (self->store, stmt, error))
    return FALSE;

  /* References are checked once over the copy rather than row by row:
   * a fifth of the time on a large district. */
  ok = exec (self->store, "PRAGMA foreign_keys = OFF", error) &&
       pct_store_begin (self->store, error);
  if (ok)
    {
      ok = seed_tables (self, progress, user_data, error) &&
           check_references (self->store, error) &&
           set_hub_meta (self->store, "seeded_at", when, error) &&
           pct_store_commit (self->store, error);
      if (!ok)
        pct_store_rollback (self->store);
    }

  exec (self->store, "PRAGMA foreign_keys = ON", NULL);
  exec (self->store, "DETACH DATABASE district", NULL);
  if (!ok)
    return FALSE;
  return exec (self->store, "PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE)", error);
}

/* Storage interface --------------------------------------------------------- */

static const char *
pct_hub_sqlite_get_database_id (PctHubStorage *storage)
{
  return PCT_HUB_SQLITE (storage)->database_id;
}

static char *
pct_hub_sqlite_get_setting (PctHubStorage *storage,
                            const char    *name)
{
  return pct_store_get_meta (PCT_HUB_SQLITE (storage)->store, name);
}

static gboolean
pct_hub_sqlite_get_extent (PctHubStorage  *storage,
                           PctBBox        *extent,
                           GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  g_autofree char *text = pct_store_get_meta (self->store, "extent");

  /* The generator records the district's box; a store from elsewhere has
   * its addresses' bounds. */
  if (text != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (text, ",", -1);

      if (g_strv_length (parts) == 4)
        {
          char *end[4];
          double v[4];
          gboolean ok = TRUE;

          for (guint i = 0; i < 4; i++)
            {
              v[i] = g_ascii_strtod (parts[i], &end[i]);
              ok = ok && end[i] != parts[i] && *end[i] == '\0';
            }
          if (ok && v[0] < v[2] && v[1] < v[3])
            {
              extent->min_lon = v[0];
              extent->min_lat = v[1];
              extent->max_lon = v[2];
              extent->max_lat = v[3];
              return TRUE;
            }
        }
    }
  return pct_store_get_extent (self->store, extent, error);
}

static gboolean
pct_hub_sqlite_count_records (PctHubStorage  *storage,
                              const char     *name,
                              gint64         *count,
                              GError        **error)
{
  const PctRecordEntity *entity = pct_record_entity_lookup (name);

  if (entity == NULL)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                   _("No entity is called “%s”"), name);
      return FALSE;
    }
  return pct_record_count (PCT_HUB_SQLITE (storage)->store, entity, count, error);
}

static char *
pct_hub_sqlite_content_hash (PctHubStorage  *storage,
                             GError        **error)
{
  return pct_store_content_hash (PCT_HUB_SQLITE (storage)->store, error);
}

/* Steps the insert of a row named by a unique name into table; a name
 * taken already is PCT_HUB_STORAGE_ERROR_EXISTS with exists_message. */
static gboolean
step_insert_named (PctHubSqlite  *self,
                   sqlite3_stmt  *stmt,
                   const char    *table,
                   const char    *exists_message,
                   GError       **error)
{
  gboolean taken;

  if (sqlite3_step (stmt) == SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      return TRUE;
    }

  taken = (sqlite3_extended_errcode (pct_store_get_handle (self->store)) & 0xff)
          == SQLITE_CONSTRAINT;
  sqlite3_reset (stmt);
  if (taken)
    {
      g_set_error_literal (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_EXISTS,
                           exists_message);
      return FALSE;
    }
  return pct_store_set_sql_error (self->store, error, table);
}

static gboolean
pct_hub_sqlite_add_user (PctHubStorage  *storage,
                         const char     *name,
                         PctRole         role,
                         const char     *password_hash,
                         gint64          now,
                         GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "INSERT INTO hub_users (name, role, password_hash, "
                                          "  created_at) VALUES (?, ?, ?, ?)",
                                          error);
  g_autofree char *exists = NULL;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, pct_role_to_string (role), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, password_hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, now);
  exists = g_strdup_printf (_("A user called “%s” exists already"), name);
  return step_insert_named (self, stmt, "hub_users", exists, error);
}

static PctHubUser *
pct_hub_sqlite_lookup_user (PctHubStorage  *storage,
                            const char     *name,
                            GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT role, password_hash, disabled FROM hub_users "
                                          "WHERE name = ?",
                                          error);
  g_autoptr(PctHubUser) user = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      user = g_new0 (PctHubUser, 1);
      user->name = g_strdup (name);
      if (!pct_role_from_string ((const char *) sqlite3_column_text (stmt, 0), &user->role))
        user->disabled = TRUE;
      user->password_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      user->disabled = user->disabled || sqlite3_column_int (stmt, 2) != 0;
    }
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                 _("No user is called “%s”"), name);
  else if (rc != SQLITE_ROW)
    pct_store_set_sql_error (self->store, error, "hub_users");
  return g_steal_pointer (&user);
}

static gboolean
insert_token (PctStore         *store,
              const char       *hash,
              gint64            session,
              const char       *kind,
              gint64            expires_at,
              GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "INSERT INTO hub_tokens (hash, session, kind, expires_at) "
                                          "VALUES (?, ?, ?, ?)",
                                          error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, session);
  sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, expires_at);
  return pct_store_step_done (store, stmt, error);
}

static gboolean
revoke_session (PctStore  *store,
                gint64     session,
                GError   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "UPDATE hub_sessions SET revoked = 1 WHERE id = ?",
                                          error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, session);
  return pct_store_step_done (store, stmt, error);
}

static gboolean
write_session (PctStore               *store,
               const char             *user,
               gint64                  replaces,
               const PctHubTokenPair  *pair,
               gint64                  now,
               GError                **error)
{
  sqlite3_stmt *stmt;
  gint64 session;

  if (replaces > 0 && !revoke_session (store, replaces, error))
    return FALSE;

  stmt = pct_store_prepare (store,
                            "INSERT INTO hub_sessions (user, created_at) VALUES (?, ?)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, now);
  if (!pct_store_step_done (store, stmt, error))
    return FALSE;
  session = sqlite3_last_insert_rowid (pct_store_get_handle (store));

  return insert_token (store, pair->access_hash, session, "access", pair->access_expires_at,
                       error) &&
         insert_token (store, pair->refresh_hash, session, "refresh", pair->refresh_expires_at,
                       error);
}

static gboolean
pct_hub_sqlite_issue_session (PctHubStorage          *storage,
                              const char             *user,
                              gint64                  replaces,
                              const PctHubTokenPair  *pair,
                              gint64                  now,
                              GError                **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);

  if (!pct_store_begin (self->store, error))
    return FALSE;
  if (!write_session (self->store, user, replaces, pair, now, error) ||
      !pct_store_commit (self->store, error))
    {
      pct_store_rollback (self->store);
      return FALSE;
    }
  return TRUE;
}

static PctHubToken *
pct_hub_sqlite_lookup_token (PctHubStorage  *storage,
                             const char     *token_hash,
                             GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT t.session, t.kind, t.expires_at, s.user, u.role, "
                                          "  s.revoked OR u.disabled "
                                          "FROM hub_tokens t "
                                          "JOIN hub_sessions s ON s.id = t.session "
                                          "JOIN hub_users u ON u.name = s.user "
                                          "WHERE t.hash = ?",
                                          error);
  g_autoptr(PctHubToken) token = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      token = g_new0 (PctHubToken, 1);
      token->session = sqlite3_column_int64 (stmt, 0);
      token->kind = g_str_equal ((const char *) sqlite3_column_text (stmt, 1), "refresh")
                    ? PCT_HUB_TOKEN_REFRESH : PCT_HUB_TOKEN_ACCESS;
      token->expires_at = sqlite3_column_int64 (stmt, 2);
      token->user = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      token->revoked = sqlite3_column_int (stmt, 5) != 0;
      if (!pct_role_from_string ((const char *) sqlite3_column_text (stmt, 4), &token->role))
        token->revoked = TRUE;
    }
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    g_set_error_literal (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                         _("No such token"));
  else if (rc != SQLITE_ROW)
    pct_store_set_sql_error (self->store, error, "hub_tokens");
  return g_steal_pointer (&token);
}

static gboolean
pct_hub_sqlite_revoke_session (PctHubStorage  *storage,
                               gint64          session,
                               GError        **error)
{
  return revoke_session (PCT_HUB_SQLITE (storage)->store, session, error);
}

static gboolean
pct_hub_sqlite_revoke_user (PctHubStorage  *storage,
                            const char     *user,
                            guint          *n_revoked,
                            GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  g_autoptr(PctHubUser) known = pct_hub_sqlite_lookup_user (storage, user, error);
  sqlite3_stmt *stmt;

  if (known == NULL)
    return FALSE;
  stmt = pct_store_prepare (self->store,
                            "UPDATE hub_sessions SET revoked = 1 WHERE user = ? AND revoked = 0",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user, -1, SQLITE_STATIC);
  if (!pct_store_step_done (self->store, stmt, error))
    return FALSE;
  if (n_revoked != NULL)
    *n_revoked = (guint) sqlite3_changes (pct_store_get_handle (self->store));
  return TRUE;
}

static gboolean
pct_hub_sqlite_purge_tokens (PctHubStorage  *storage,
                             gint64          expired_before,
                             GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  sqlite3_stmt *stmt;

  if (!pct_store_begin (self->store, error))
    return FALSE;
  stmt = pct_store_prepare (self->store, "DELETE FROM hub_tokens WHERE expires_at < ?", error);
  if (stmt != NULL)
    sqlite3_bind_int64 (stmt, 1, expired_before);
  if (stmt == NULL ||
      !pct_store_step_done (self->store, stmt, error) ||
      !exec (self->store,
             "DELETE FROM hub_sessions WHERE id NOT IN (SELECT session FROM hub_tokens)",
             error) ||
      !pct_store_commit (self->store, error))
    {
      pct_store_rollback (self->store);
      return FALSE;
    }
  return TRUE;
}

static gboolean
pct_hub_sqlite_add_channel (PctHubStorage  *storage,
                            const char     *name,
                            const char     *key_hash,
                            gint64          now,
                            GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "INSERT INTO hub_channels (name, key_hash, created_at) "
                                          "VALUES (?, ?, ?)",
                                          error);
  g_autofree char *exists = NULL;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (key_hash != NULL)
    sqlite3_bind_text (stmt, 2, key_hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, now);
  exists = g_strdup_printf (_("A channel called “%s” exists already"), name);
  return step_insert_named (self, stmt, "hub_channels", exists, error);
}

static PctHubChannel *
find_channel (PctHubSqlite  *self,
              const char    *sql,
              const char    *value,
              GError       **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, sql, error);
  g_autoptr(PctHubChannel) channel = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, value, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      channel = g_new0 (PctHubChannel, 1);
      channel->id = sqlite3_column_int64 (stmt, 0);
      channel->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      channel->revoked = sqlite3_column_int (stmt, 2) != 0;
    }
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    g_set_error_literal (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                         _("No such channel"));
  else if (rc != SQLITE_ROW)
    pct_store_set_sql_error (self->store, error, "hub_channels");
  return g_steal_pointer (&channel);
}

static PctHubChannel *
pct_hub_sqlite_lookup_channel (PctHubStorage  *storage,
                               const char     *key_hash,
                               GError        **error)
{
  return find_channel (PCT_HUB_SQLITE (storage),
                       "SELECT id, name, revoked FROM hub_channels WHERE key_hash = ?",
                       key_hash, error);
}

static PctHubChannel *
pct_hub_sqlite_find_channel (PctHubStorage  *storage,
                             const char     *name,
                             GError        **error)
{
  return find_channel (PCT_HUB_SQLITE (storage),
                       "SELECT id, name, revoked FROM hub_channels WHERE name = ?",
                       name, error);
}

static gboolean
pct_hub_sqlite_revoke_channel (PctHubStorage  *storage,
                               const char     *name,
                               GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "UPDATE hub_channels SET revoked = 1 WHERE name = ?",
                                          error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (!pct_store_step_done (self->store, stmt, error))
    return FALSE;
  if (sqlite3_changes (pct_store_get_handle (self->store)) == 0)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                   _("No channel is called “%s”"), name);
      return FALSE;
    }
  return TRUE;
}

static gint64
pct_hub_sqlite_get_last_seq (PctHubStorage *storage)
{
  return _pct_hub_sqlite_last_seq (PCT_HUB_SQLITE (storage));
}

/* Changes after a sequence number: a walk of the primary key's range, so
 * asked for once per sync, not with every page. */
static gboolean
count_changes (PctStore  *reader,
               gint64     after,
               gint64    *total,
               GError   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (reader,
                                          "SELECT count(*) FROM hub_changes WHERE seq > ?",
                                          error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, after);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *total = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return pct_store_set_sql_error (reader, error, "hub_changes");
  return TRUE;
}

static gboolean
pct_hub_sqlite_read_changes (PctHubStorage             *storage,
                             const PctHubChangesQuery  *query,
                             PctHubChangesPage         *page,
                             GError                   **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  PctStore *reader = acquire_reader (self, error);
  gboolean ok;

  if (reader == NULL)
    return FALSE;

  /* One read transaction: the change rows and the records they name are
   * of one moment. */
  page->total = -1;
  ok = pct_store_exec (reader, "BEGIN", error);
  if (ok)
    {
      ok = read_page (reader, query, page, error);
      if (ok && query->count_total)
        ok = count_changes (reader, query->after, &page->total, error);
      pct_store_exec (reader, "COMMIT", NULL);
    }
  if (!ok)
    pct_hub_changes_page_clear (page);
  release_reader (self, reader);
  return ok;
}

static char *
pct_hub_sqlite_apply_mutations (PctHubStorage      *storage,
                                const PctHubActor  *actor,
                                JsonArray          *mutations,
                                gint64              now,
                                GError            **error)
{
  return _pct_hub_sqlite_apply_mutations (PCT_HUB_SQLITE (storage), actor, mutations, now, error);
}

static gboolean
pct_hub_sqlite_find_category (PctHubStorage  *storage,
                              const char     *code,
                              gint64         *id,
                              GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT id FROM categories WHERE code = ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                   _("No category has the code “%s”"), code);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return pct_store_set_sql_error (self->store, error, "categories");
  return TRUE;
}

static gboolean
pct_hub_sqlite_intake_incident (PctHubStorage       *storage,
                                const PctHubIntake  *intake,
                                gint64               now,
                                gint64              *id,
                                char               **uuid,
                                gboolean            *created,
                                GError             **error)
{
  return _pct_hub_sqlite_intake_incident (PCT_HUB_SQLITE (storage), intake, now, id, uuid,
                                          created, error);
}

static char *
pct_hub_sqlite_unmask (PctHubStorage      *storage,
                       const PctHubActor  *actor,
                       const char         *entity,
                       gint64              id,
                       const char         *field,
                       const char         *reason,
                       gint64              now,
                       GError            **error)
{
  return _pct_hub_sqlite_unmask (PCT_HUB_SQLITE (storage), actor, entity, id, field, reason, now,
                                 error);
}

static GPtrArray *
pct_hub_sqlite_list_categories (PctHubStorage  *storage,
                                GError        **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT id, code, kind, major, minor FROM categories "
                                          "ORDER BY id",
                                          error);
  g_autoptr(GPtrArray) categories = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  categories = g_ptr_array_new_with_free_func ((GDestroyNotify) pct_hub_category_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PctHubCategory *category = g_new0 (PctHubCategory, 1);

      category->id = sqlite3_column_int64 (stmt, 0);
      category->code = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      category->kind = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      category->major = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      category->minor = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      g_ptr_array_add (categories, category);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      pct_store_set_sql_error (self->store, error, "categories");
      return NULL;
    }
  return g_steal_pointer (&categories);
}

static GPtrArray *
pct_hub_sqlite_sample_places (PctHubStorage    *storage,
                              PctHubPlaceKind   kind,
                              guint             max,
                              GError          **error)
{
  PctHubSqlite *self = PCT_HUB_SQLITE (storage);
  const char *sql = kind == PCT_HUB_PLACE_FACILITY
    ? "SELECT f.lon, f.lat, f.code, c.code, c.minor FROM facilities f "
      "JOIN categories c ON c.id = f.category_id ORDER BY random () LIMIT ?"
    : "SELECT lon, lat, display, NULL, NULL FROM addresses ORDER BY random () LIMIT ?";
  sqlite3_stmt *stmt = pct_store_prepare (self->store, sql, error);
  g_autoptr(GPtrArray) places = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  places = g_ptr_array_new_with_free_func ((GDestroyNotify) pct_hub_place_free);
  sqlite3_bind_int64 (stmt, 1, max);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PctHubPlace *place = g_new0 (PctHubPlace, 1);

      place->lon = sqlite3_column_double (stmt, 0);
      place->lat = sqlite3_column_double (stmt, 1);
      place->label = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      place->category_code = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      place->category_minor = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      g_ptr_array_add (places, place);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      pct_store_set_sql_error (self->store, error, "places");
      return NULL;
    }
  return g_steal_pointer (&places);
}

static void
pct_hub_sqlite_storage_init (PctHubStorageInterface *iface)
{
  iface->get_database_id = pct_hub_sqlite_get_database_id;
  iface->get_setting = pct_hub_sqlite_get_setting;
  iface->get_extent = pct_hub_sqlite_get_extent;
  iface->seed = pct_hub_sqlite_seed;
  iface->count_records = pct_hub_sqlite_count_records;
  iface->content_hash = pct_hub_sqlite_content_hash;
  iface->add_user = pct_hub_sqlite_add_user;
  iface->lookup_user = pct_hub_sqlite_lookup_user;
  iface->issue_session = pct_hub_sqlite_issue_session;
  iface->lookup_token = pct_hub_sqlite_lookup_token;
  iface->revoke_session = pct_hub_sqlite_revoke_session;
  iface->revoke_user = pct_hub_sqlite_revoke_user;
  iface->purge_tokens = pct_hub_sqlite_purge_tokens;
  iface->add_channel = pct_hub_sqlite_add_channel;
  iface->lookup_channel = pct_hub_sqlite_lookup_channel;
  iface->find_channel = pct_hub_sqlite_find_channel;
  iface->revoke_channel = pct_hub_sqlite_revoke_channel;
  iface->get_last_seq = pct_hub_sqlite_get_last_seq;
  iface->read_changes = pct_hub_sqlite_read_changes;
  iface->apply_mutations = pct_hub_sqlite_apply_mutations;
  iface->find_category = pct_hub_sqlite_find_category;
  iface->intake_incident = pct_hub_sqlite_intake_incident;
  iface->unmask = pct_hub_sqlite_unmask;
  iface->list_categories = pct_hub_sqlite_list_categories;
  iface->sample_places = pct_hub_sqlite_sample_places;
}

/* GObject ------------------------------------------------------------------ */

static void
pct_hub_sqlite_finalize (GObject *object)
{
  PctHubSqlite *self = (PctHubSqlite *) object;

  g_clear_pointer (&self->readers, g_ptr_array_unref);
  g_mutex_clear (&self->readers_lock);
  g_clear_object (&self->calendar);
  g_clear_object (&self->store);
  g_free (self->database_id);
  g_free (self->path);

  G_OBJECT_CLASS (pct_hub_sqlite_parent_class)->finalize (object);
}

static void
pct_hub_sqlite_class_init (PctHubSqliteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pct_hub_sqlite_finalize;
}

static void
pct_hub_sqlite_init (PctHubSqlite *self)
{
  g_mutex_init (&self->readers_lock);
  self->readers = g_ptr_array_new_with_free_func (g_object_unref);
}
