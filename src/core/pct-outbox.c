/* pct-outbox.c — the client's outbox of mutations, local keys, the audit log
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A local change and the mutation that tells the hub about it are one
 * transaction: the client never holds a change the hub will not hear of,
 * nor sends one it does not hold. Rows created here get negative keys,
 * which the hub never gives; when the hub answers with the row's real key,
 * the row and everything that points at it move to that key.
 */

#define G_LOG_DOMAIN "pct-outbox"

#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "pct-outbox.h"
#include "pct-record.h"

#define SAVEPOINT "pct_outbox"

typedef struct
{
  const char         *entity;
  const char * const *ops;
} MutationKind;

static const char * const incident_ops[] = { "create", "update", NULL };
static const char * const work_order_ops[] = { "create", "action", NULL };
static const char * const plate_ops[] = { "update", NULL };
static const char * const audit_ops[] = { "create", NULL };

/* docs/api.md, "The mutations". */
static const MutationKind mutation_kinds[] = {
  { "incident", incident_ops },
  { "work_order", work_order_ops },
  { "plate", plate_ops },
  { "audit", audit_ops },
};

/* The SQL that moves one entity's references from a local key (?1) to the
 * hub's (?2), in order. Table and column names are constants. */
static const char * const incident_moves[] = {
  "UPDATE work_orders SET incident_id = ?2 WHERE incident_id = ?1",
  "UPDATE audit_log SET entity_id = ?2 WHERE entity = 'incident' AND entity_id = ?1",
  "UPDATE outbox SET entity_id = ?2 WHERE entity = 'incident' AND entity_id = ?1",
  /* Mutations still to be sent that name the incident: a work order filed
   * from it, an audit row about it. */
  "UPDATE outbox SET payload = json_set (payload, '$.incident_id', ?2) "
  "WHERE state IN ('pending', 'sent') AND json_valid (payload) "
  "AND json_type (payload, '$.incident_id') = 'integer' "
  "AND json_extract (payload, '$.incident_id') = ?1",
  "UPDATE outbox SET payload = json_set (payload, '$.entity_id', ?2) "
  "WHERE entity = 'audit' AND state IN ('pending', 'sent') AND json_valid (payload) "
  "AND json_extract (payload, '$.entity') = 'incident' "
  "AND json_type (payload, '$.entity_id') = 'integer' "
  "AND json_extract (payload, '$.entity_id') = ?1",
  NULL
};

static const char * const work_order_moves[] = {
  "UPDATE work_order_events SET work_order_id = ?2 WHERE work_order_id = ?1",
  "UPDATE audit_log SET entity_id = ?2 WHERE entity = 'work_order' AND entity_id = ?1",
  "UPDATE outbox SET entity_id = ?2 WHERE entity = 'work_order' AND entity_id = ?1",
  "UPDATE outbox SET payload = json_set (payload, '$.entity_id', ?2) "
  "WHERE entity = 'audit' AND state IN ('pending', 'sent') AND json_valid (payload) "
  "AND json_extract (payload, '$.entity') = 'work_order' "
  "AND json_type (payload, '$.entity_id') = 'integer' "
  "AND json_extract (payload, '$.entity_id') = ?1",
  NULL
};

static const char * const audit_moves[] = {
  "UPDATE outbox SET entity_id = ?2 WHERE entity = 'audit' AND entity_id = ?1",
  NULL
};

typedef struct
{
  const char         *entity;
  const char         *exists;    /* ?1: the key */
  const char         *by_uuid;   /* ?1: the UUID; the key if it is local */
  const char         *rekey;     /* ?1 local, ?2 hub's */
  const char         *remove;    /* ?1: the key */
  const char         *unindex;   /* before and after rekey: a spatial index, or NULL */
  const char         *reindex;
  const char * const *moves;
} RekeyKind;

static const RekeyKind rekey_kinds[] = {
  { "incident",
    "SELECT 1 FROM incidents WHERE id = ?1",
    "SELECT id FROM incidents WHERE uuid = ?1 AND id < 0",
    "UPDATE incidents SET id = ?2 WHERE id = ?1",
    "DELETE FROM incidents WHERE id = ?1",
    /* The R*Tree triggers watch lon and lat, not the key. */
    "DELETE FROM incident_rtree WHERE id = ?1",
    "INSERT INTO incident_rtree SELECT id, lon, lon, lat, lat FROM incidents WHERE id = ?2",
    incident_moves },
  { "work_order",
    "SELECT 1 FROM work_orders WHERE id = ?1",
    "SELECT id FROM work_orders WHERE uuid = ?1 AND id < 0",
    "UPDATE work_orders SET id = ?2 WHERE id = ?1",
    "DELETE FROM work_orders WHERE id = ?1",
    NULL,
    NULL,
    work_order_moves },
  { "audit",
    "SELECT 1 FROM audit_log WHERE id = ?1",
    "SELECT id FROM audit_log WHERE uuid = ?1 AND id < 0",
    "UPDATE audit_log SET id = ?2 WHERE id = ?1",
    "DELETE FROM audit_log WHERE id = ?1",
    NULL,
    NULL,
    audit_moves },
};

/* Per entity of the record mapping, the query for its next local key;
 * built once, as the statement cache keys on the text. */
static char **next_local_id_sql;

/* Helpers ----------------------------------------------------------------- */

static gboolean
invalid (GError    **error,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError    **error,
         const char *format,
         ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                                                format, args));
  va_end (args);
  return FALSE;
}

/* field is the audit record's field name (docs/records.md). */
static gboolean
check_audit_text (const char  *field,
                  const char  *value,
                  gboolean     required,
                  GError     **error)
{
  if (value == NULL || *value == '\0')
    return !required || invalid (error, _("The audit log needs the field “%s”"), field);
  if (!g_utf8_validate (value, -1, NULL))
    return invalid (error, _("Field “%s” of the audit log is not valid UTF-8"), field);
  if (strlen (value) > PCT_RECORD_MAX_TEXT_BYTES)
    return invalid (error, _("Field “%s” of the audit log is longer than %d bytes"), field,
                    PCT_RECORD_MAX_TEXT_BYTES);
  return TRUE;
}

/* Writes between atomic_begin() and atomic_end() are one unit: a
 * transaction of their own, or a savepoint when the caller has a
 * transaction open, so that a failure undoes only what was written here. */
static gboolean
atomic_begin (PctStore  *store,
              gboolean  *own,
              GError   **error)
{
  *own = sqlite3_get_autocommit (pct_store_get_handle (store));
  return *own ? pct_store_begin (store, error)
              : pct_store_exec (store, "SAVEPOINT " SAVEPOINT, error);
}

static gboolean
atomic_end (PctStore  *store,
            gboolean   own,
            gboolean   ok,
            GError   **error)
{
  if (ok && (own ? pct_store_commit (store, error)
                 : pct_store_exec (store, "RELEASE " SAVEPOINT, error)))
    return TRUE;

  if (own)
    pct_store_rollback (store);
  else
    {
      pct_store_exec (store, "ROLLBACK TO " SAVEPOINT, NULL);
      pct_store_exec (store, "RELEASE " SAVEPOINT, NULL);
    }
  return FALSE;
}

static const MutationKind *
find_mutation_kind (const char *entity)
{
  for (guint i = 0; i < G_N_ELEMENTS (mutation_kinds); i++)
    {
      if (g_strcmp0 (mutation_kinds[i].entity, entity) == 0)
        return &mutation_kinds[i];
    }
  return NULL;
}

static const RekeyKind *
find_rekey_kind (const char *entity)
{
  for (guint i = 0; i < G_N_ELEMENTS (rekey_kinds); i++)
    {
      if (g_strcmp0 (rekey_kinds[i].entity, entity) == 0)
        return &rekey_kinds[i];
    }
  return NULL;
}

static gboolean
check_mutation (const char  *entity,
                const char  *op,
                gint64       entity_id,
                gint64       base_version,
                const char  *data_json,
                GError     **error)
{
  const MutationKind *kind = find_mutation_kind (entity);
  gsize length;
  g_autoptr(GError) local_error = NULL;

  if (kind == NULL)
    return invalid (error, _("“%s” is not an entity the hub takes mutations of"),
                    entity ? entity : "");
  if (op == NULL || !g_strv_contains (kind->ops, op))
    return invalid (error, _("A mutation of %s cannot be “%s”"), entity, op ? op : "");

  if (g_str_equal (op, "create"))
    {
      if (entity_id >= 0)
        return invalid (error, _("A created %s needs a local (negative) key, not %" PRId64),
                        entity, entity_id);
      if (base_version != 0)
        return invalid (error, _("A create has no base version"));
    }
  else
    {
      if (entity_id == 0)
        return invalid (error, _("A mutation of %s needs the record’s key"), entity);
      if (base_version < 1)
        return invalid (error, _("A mutation “%s” needs the version it was made against"), op);
    }

  if (data_json == NULL)
    return invalid (error, _("A mutation needs its data"));
  length = strlen (data_json);
  if (length > PCT_RECORD_MAX_BYTES || !g_utf8_validate_len (data_json, length, NULL) ||
      !pct_record_check_json (data_json, length, NULL, &local_error))
    return invalid (error, _("The data of a mutation is not JSON within the limits: %s"),
                    local_error != NULL ? local_error->message : _("too long, or not UTF-8"));
  data_json += strspn (data_json, " \t\r\n");
  if (*data_json != '{')
    return invalid (error, _("The data of a mutation must be a JSON object"));

  return TRUE;
}

static gboolean
row_exists (PctStore    *store,
            const char  *sql,
            gint64       key,
            gboolean    *exists,
            GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, key);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "Cannot look up a row to re-key");
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
run_keys (PctStore    *store,
          const char  *sql,
          gint64       local_id,
          gint64       server_id,
          GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, local_id);
  sqlite3_bind_int64 (stmt, 2, server_id);
  return pct_store_step_done (store, stmt, error);
}

static gboolean
get_defer_foreign_keys (PctStore  *store,
                        gboolean  *deferred,
                        GError   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "PRAGMA defer_foreign_keys", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  *deferred = rc == SQLITE_ROW && sqlite3_column_int (stmt, 0) != 0;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return pct_store_set_sql_error (store, error, "Cannot read the foreign key mode");
  return TRUE;
}

/* The key moves with its row: the row is updated in place, its
 * references after it. Foreign keys are checked at the end of the
 * statement unless deferred, and in between they point at nothing, so
 * they are deferred while the references move and set back after. */
static gboolean
move_row (PctStore         *store,
          const RekeyKind  *kind,
          gint64            local_id,
          gint64            server_id,
          GError          **error)
{
  gboolean deferred = FALSE;
  gboolean ok;

  if (!get_defer_foreign_keys (store, &deferred, error) ||
      (!deferred && !pct_store_exec (store, "PRAGMA defer_foreign_keys = ON", error)))
    return FALSE;

  ok = run_keys (store, kind->rekey, local_id, server_id, error);
  if (ok && kind->unindex != NULL)
    ok = run_keys (store, kind->unindex, local_id, server_id, error) &&
         run_keys (store, kind->reindex, local_id, server_id, error);
  for (guint i = 0; ok && kind->moves[i] != NULL; i++)
    ok = run_keys (store, kind->moves[i], local_id, server_id, error);

  if (!deferred && !pct_store_exec (store, "PRAGMA defer_foreign_keys = OFF", ok ? error : NULL))
    ok = FALSE;
  return ok;
}

static gboolean
rekey_inside (PctStore         *store,
              const RekeyKind  *kind,
              gint64            local_id,
              gint64            server_id,
              GError          **error)
{
  gboolean local_exists = FALSE;
  gboolean server_exists = FALSE;

  if (!row_exists (store, kind->exists, local_id, &local_exists, error) ||
      !row_exists (store, kind->exists, server_id, &server_exists, error))
    return FALSE;

  if (!local_exists && !server_exists)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND,
                   _("There is no %s %" PRId64 " to give the key %" PRId64),
                   kind->entity, local_id, server_id);
      return FALSE;
    }

  if (!server_exists)
    return move_row (store, kind, local_id, server_id, error);

  /* The feed brought the hub's row first: it stands for the local one. */
  for (guint i = 0; kind->moves[i] != NULL; i++)
    {
      if (!run_keys (store, kind->moves[i], local_id, server_id, error))
        return FALSE;
    }
  return !local_exists || run_keys (store, kind->remove, local_id, server_id, error);
}

static const char *
get_next_local_id_sql (const char *table)
{
  static gsize initialised = 0;
  const PctRecordEntity *entities;
  guint n_entities;

  entities = pct_record_entities (&n_entities);
  if (g_once_init_enter (&initialised))
    {
      next_local_id_sql = g_new0 (char *, n_entities);
      for (guint i = 0; i < n_entities; i++)
        {
          /* Table and key names are constants of the record mapping. */
          if (entities[i].key_type == PCT_FIELD_INTEGER)
            next_local_id_sql[i] = g_strdup_printf ("SELECT min (-1, coalesce (min (%s), 0) - 1) "
                                                    "FROM %s",
                                                    entities[i].key, entities[i].table);
        }
      g_once_init_leave (&initialised, 1);
    }

  for (guint i = 0; i < n_entities && table != NULL; i++)
    {
      if (strcmp (entities[i].table, table) == 0)
        return next_local_id_sql[i];
    }
  return NULL;
}

static char *
audit_payload (const char *uuid,
               gint64      at,
               const char *action,
               const char *entity,
               gint64      entity_id,
               const char *field,
               const char *reason)
{
  GString *out = g_string_new ("{\"uuid\":");

  pct_record_append_json_string (out, uuid);
  g_string_append_printf (out, ",\"at\":%" G_GINT64_FORMAT ",\"action\":", at);
  pct_record_append_json_string (out, action);
  g_string_append (out, ",\"entity\":");
  pct_record_append_json_string (out, entity);
  g_string_append (out, ",\"entity_id\":");
  if (entity_id != 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, entity_id);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"field\":");
  if (field != NULL)
    pct_record_append_json_string (out, field);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"reason\":");
  if (reason != NULL)
    pct_record_append_json_string (out, reason);
  else
    g_string_append (out, "null");
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static gboolean
insert_audit (PctStore    *store,
              const char  *actor,
              const char  *action,
              const char  *entity,
              gint64       entity_id,
              const char  *field,
              const char  *reason,
              GError     **error)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *payload = NULL;
  gint64 at = g_get_real_time () / G_USEC_PER_SEC;
  gint64 id;
  sqlite3_stmt *stmt;

  id = pct_store_next_local_id (store, "audit_log", error);
  if (id == 0)
    return FALSE;

  stmt = pct_store_prepare (store,
                            "INSERT INTO audit_log (id, uuid, at, actor, action, entity, "
                            "  entity_id, field, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, at);
  sqlite3_bind_text (stmt, 4, actor, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, action, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, entity, -1, SQLITE_STATIC);
  if (entity_id != 0)
    sqlite3_bind_int64 (stmt, 7, entity_id);
  if (field != NULL)
    sqlite3_bind_text (stmt, 8, field, -1, SQLITE_STATIC);
  if (reason != NULL)
    sqlite3_bind_text (stmt, 9, reason, -1, SQLITE_STATIC);
  if (!pct_store_step_done (store, stmt, error))
    return FALSE;

  /* The hub sets the actor itself, from the session. */
  payload = audit_payload (uuid, at, action, entity, entity_id, field, reason);
  return pct_outbox_add (store, "audit", "create", id, 0, payload, NULL, error);
}

/* Public API -------------------------------------------------------------- */

gboolean
pct_outbox_add (PctStore     *store,
                const char   *entity,
                const char   *op,
                gint64        entity_id,
                gint64        base_version,
                const char   *data_json,
                char        **mutation_uuid,
                GError      **error)
{
  g_autofree char *uuid = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_mutation (entity, op, entity_id, base_version, data_json, error))
    return FALSE;

  if (sqlite3_get_autocommit (pct_store_get_handle (store)))
    return invalid (error, _("A mutation must be queued in the transaction of its change"));

  uuid = g_uuid_string_random ();
  stmt = pct_store_prepare (store,
                            "INSERT INTO outbox (uuid, entity, op, entity_id, base_version, "
                            "  payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, op, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, entity_id);
  if (base_version != 0)
    sqlite3_bind_int64 (stmt, 5, base_version);
  sqlite3_bind_text (stmt, 6, data_json, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time () / G_USEC_PER_SEC);
  if (!pct_store_step_done (store, stmt, error))
    return FALSE;

  if (mutation_uuid != NULL)
    *mutation_uuid = g_steal_pointer (&uuid);
  return TRUE;
}

gboolean
pct_outbox_dismiss (PctStore  *store,
                    gint64     outbox_id,
                    GError   **error)
{
  guint n_dismissed = 0;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!pct_outbox_dismiss_many (store, &outbox_id, 1, &n_dismissed, error))
    return FALSE;
  if (n_dismissed == 0)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND,
                   _("No change the hub did not take is numbered %" PRId64
                     " in the outbox, or it was dismissed already"), outbox_id);
      return FALSE;
    }
  return TRUE;
}

gboolean
pct_outbox_dismiss_many (PctStore      *store,
                         const gint64  *outbox_ids,
                         guint          n_ids,
                         guint         *n_dismissed,
                         GError       **error)
{
  sqlite3_stmt *stmt;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean own;
  gboolean ok = TRUE;
  guint n = 0;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (outbox_ids != NULL || n_ids == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stmt = pct_store_prepare (store,
                            "UPDATE outbox SET dismissed_at = ?1 "
                            "WHERE id = ?2 AND state IN ('conflict', 'rejected') "
                            "  AND dismissed_at IS NULL",
                            error);
  if (stmt == NULL || !atomic_begin (store, &own, error))
    return FALSE;
  for (guint i = 0; ok && i < n_ids; i++)
    {
      sqlite3_bind_int64 (stmt, 1, now);
      sqlite3_bind_int64 (stmt, 2, outbox_ids[i]);
      ok = pct_store_step_done (store, stmt, error);
      if (ok)
        n += (guint) sqlite3_changes (pct_store_get_handle (store));
    }
  if (!atomic_end (store, own, ok, error))
    return FALSE;
  if (n_dismissed != NULL)
    *n_dismissed = n;
  return TRUE;
}

gint64
pct_store_next_local_id (PctStore    *store,
                         const char  *table,
                         GError     **error)
{
  const char *sql;
  sqlite3_stmt *stmt;
  gint64 id = 0;
  int rc;

  g_return_val_if_fail (PCT_IS_STORE (store), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  sql = get_next_local_id_sql (table);
  if (sql == NULL)
    {
      invalid (error, _("“%s” is not a table of records with integer keys"), table ? table : "");
      return 0;
    }

  stmt = pct_store_prepare (store, sql, error);
  if (stmt == NULL)
    return 0;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      pct_store_set_sql_error (store, error, "Cannot find a local key");
      return 0;
    }
  return id;
}

gboolean
pct_outbox_rekey (PctStore    *store,
                  const char  *entity,
                  gint64       local_id,
                  gint64       server_id,
                  GError     **error)
{
  const RekeyKind *kind;
  gboolean own = FALSE;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  kind = find_rekey_kind (entity);
  if (kind == NULL)
    return invalid (error, _("Rows of “%s” are not created locally"), entity ? entity : "");
  if (local_id >= 0 || server_id <= 0)
    return invalid (error, _("A local key is negative and the hub’s positive, not %" PRId64
                             " and %" PRId64),
                    local_id, server_id);

  if (!atomic_begin (store, &own, error))
    return FALSE;
  return atomic_end (store, own, rekey_inside (store, kind, local_id, server_id, error), error);
}

gboolean
pct_outbox_rekey_by_uuid (PctStore    *store,
                          const char  *entity,
                          const char  *uuid,
                          gint64       server_id,
                          gboolean    *rekeyed,
                          GError     **error)
{
  const RekeyKind *kind;
  sqlite3_stmt *stmt;
  gint64 local_id = 0;
  int rc;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (rekeyed != NULL)
    *rekeyed = FALSE;

  kind = find_rekey_kind (entity);
  if (kind == NULL)
    return invalid (error, _("Rows of “%s” are not created locally"), entity ? entity : "");
  if (uuid == NULL)
    return invalid (error, _("A row to re-key needs its UUID"));

  stmt = pct_store_prepare (store, kind->by_uuid, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    local_id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "Cannot look up a local row");

  if (local_id == 0)
    return TRUE;
  if (!pct_outbox_rekey (store, entity, local_id, server_id, error))
    return FALSE;
  if (rekeyed != NULL)
    *rekeyed = TRUE;
  return TRUE;
}

gboolean
pct_audit_record (PctStore    *store,
                  const char  *actor,
                  const char  *action,
                  const char  *entity,
                  gint64       entity_id,
                  const char  *field,
                  const char  *reason,
                  GError     **error)
{
  gboolean own = FALSE;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_audit_text ("actor", actor, TRUE, error) ||
      !check_audit_text ("action", action, TRUE, error) ||
      !check_audit_text ("entity", entity, TRUE, error) ||
      !check_audit_text ("field", field, FALSE, error) ||
      !check_audit_text ("reason", reason, FALSE, error))
    return FALSE;

  if (!atomic_begin (store, &own, error))
    return FALSE;
  return atomic_end (store, own,
                     insert_audit (store, actor, action, entity, entity_id, field, reason, error),
                     error);
}
