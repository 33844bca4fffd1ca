/* test-outbox.c — mutations written with their change, local keys,
 * re-keying to the hub's keys, and the audit log
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-outbox"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "pct-incidents.h"
#include "pct-outbox.h"
#include "pct-record.h"

#define WO_UUID_1 "7a1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
#define WO_UUID_2 "7b1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"

/* Helpers ----------------------------------------------------------------- */

static PctStore *
new_store (void)
{
  static guint counter;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("outbox-%u.db", counter++);
  g_autofree char *path = NULL;
  PctStore *store;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  path = g_build_filename (g_get_user_data_dir (), name, NULL);
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  return store;
}

static void
exec (PctStore   *store,
      const char *sql)
{
  g_autoptr(GError) error = NULL;

  pct_store_exec (store, sql, &error);
  g_assert_no_error (error);
}

static gint64
query_int (PctStore   *store,
           const char *sql,
           gint64      key)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  gint64 value;

  g_assert_no_error (error);
  if (sqlite3_bind_parameter_count (stmt) > 0)
    sqlite3_bind_int64 (stmt, 1, key);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

static char *
query_text (PctStore   *store,
            const char *sql,
            gint64      key)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  char *value;

  g_assert_no_error (error);
  if (sqlite3_bind_parameter_count (stmt) > 0)
    sqlite3_bind_int64 (stmt, 1, key);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

static gint64
count_outbox (PctStore *store)
{
  return query_int (store, "SELECT count(*) FROM outbox", 0);
}

static gint64
create_incident (PctStore *store)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_true (pct_incident_create (store, NULL, 106.25, 29.29, "暴露垃圾", "operator", &id,
                                      &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, <, 0);
  return id;
}

/* What the store holds, audit log and outbox included, for "nothing
 * changed" checks. */
static char *
snapshot (PctStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = pct_store_content_hash (store, &error);
  g_autofree char *outbox = NULL;
  g_autofree char *audit = NULL;
  g_autofree char *rtree = NULL;

  g_assert_no_error (error);
  outbox = query_text (store, "SELECT coalesce (group_concat (id || entity || coalesce (entity_id, "
                              "'') || payload || state, '|'), '') FROM outbox", 0);
  audit = query_text (store, "SELECT coalesce (group_concat (id || uuid || coalesce (entity_id, "
                             "''), '|'), '') FROM audit_log", 0);
  rtree = query_text (store, "SELECT coalesce (group_concat (id, '|'), '') FROM incident_rtree", 0);
  return g_strjoin ("\n", hash, outbox, audit, rtree, NULL);
}

static void
assert_foreign_keys_hold (PctStore *store)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, "PRAGMA foreign_key_check", &error);

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
}

/* A work order filed locally from incident_id (no number from the hub
 * yet: a local one), with an event and its pending create mutation. */
static void
add_local_work_order (PctStore   *store,
                      gint64      id,
                      const char *uuid,
                      gint64      incident_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = NULL;
  sqlite3_stmt *stmt;

  g_assert_true (pct_store_begin (store, &error));
  stmt = pct_store_prepare (store,
                            "INSERT INTO work_orders (id, uuid, number, incident_id, state, "
                            "  filed_at) VALUES (?1, ?2, 'local' || ?1, ?3, 'filed', 1767225600)",
                            &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_text (stmt, 2, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, incident_id);
  g_assert_true (pct_store_step_done (store, stmt, &error));
  stmt = pct_store_prepare (store,
                            "INSERT INTO work_order_events (work_order_id, action, to_state, at) "
                            "VALUES (?1, 'file', 'filed', 1767225600)",
                            &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_true (pct_store_step_done (store, stmt, &error));

  payload = g_strdup_printf ("{\"uuid\":\"%s\",\"incident_id\":%" G_GINT64_FORMAT
                             ",\"note\":\"请尽快处理\"}", uuid, incident_id);
  g_assert_true (pct_outbox_add (store, "work_order", "create", id, 0, payload, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pct_store_commit (store, &error));
  g_assert_no_error (error);
}

/* Adding ------------------------------------------------------------------- */

static void
test_add (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *text = NULL;

  /* Outside a transaction there is no change to go with. */
  g_assert_false (pct_outbox_add (store, "plate", "update", 9, 3, "{\"status\":\"printed\"}",
                                  &uuid, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (uuid);
  g_assert_cmpint (count_outbox (store), ==, 0);

  exec (store, "BEGIN");
  g_assert_true (pct_outbox_add (store, "plate", "update", 9, 3, "{\"status\":\"printed\"}",
                                 &uuid, &error));
  g_assert_no_error (error);
  g_assert_true (pct_outbox_add (store, "work_order", "action", 5120, 4,
                                 " {\"action\":\"dispatch\",\"department_id\":3}", NULL, &error));
  g_assert_no_error (error);
  exec (store, "COMMIT");

  g_assert_true (g_uuid_string_is_valid (uuid));
  g_assert_cmpint (count_outbox (store), ==, 2);
  text = query_text (store, "SELECT uuid || ' ' || entity || ' ' || op || ' ' || entity_id || ' ' "
                            "|| base_version || ' ' || state || ' ' || attempts || ' ' || payload "
                            "FROM outbox ORDER BY id LIMIT 1", 0);
  {
    g_autofree char *expected = g_strdup_printf ("%s plate update 9 3 pending 0 "
                                                 "{\"status\":\"printed\"}", uuid);

    g_assert_cmpstr (text, ==, expected);
  }
  g_assert_cmpint (query_int (store, "SELECT created_at FROM outbox ORDER BY id LIMIT 1", 0), >,
                   1767225600);
  g_assert_cmpint (query_int (store, "SELECT count(DISTINCT uuid) FROM outbox", 0), ==, 2);
}

static void
test_add_invalid (void)
{
  g_autoptr(PctStore) store = new_store ();
  static const struct
  {
    const char *entity;
    const char *op;
    gint64      entity_id;
    gint64      base_version;
    const char *data;
  } bad[] = {
    { "person", "update", 1, 1, "{}" },          /* not taken by the hub */
    { NULL, "create", -1, 0, "{}" },
    { "plate", "create", -1, 0, "{}" },          /* plates are made on the hub */
    { "audit", "update", 1, 1, "{}" },
    { "work_order", "update", 1, 1, "{}" },      /* work orders move by actions */
    { "incident", "delete", 1, 1, "{}" },
    { "incident", NULL, 1, 1, "{}" },
    { "incident", "create", 5, 0, "{}" },        /* a create needs a local key */
    { "incident", "create", 0, 0, "{}" },
    { "incident", "create", -1, 1, "{}" },       /* and no base version */
    { "incident", "update", 5, 0, "{}" },        /* an update needs one */
    { "incident", "update", 0, 1, "{}" },
    { "incident", "update", 5, 1, NULL },
    { "incident", "update", 5, 1, "" },
    { "incident", "update", 5, 1, "[1, 2]" },
    { "incident", "update", 5, 1, "\"text\"" },
    { "incident", "update", 5, 1, "{'severity': 3}" },
    { "incident", "update", 5, 1, "{\"severity\": 3} {}" },
    { "incident", "update", 5, 1, "{\"description\": \"\xff\"}" },
  };

  exec (store, "BEGIN");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      char *uuid = NULL;

      g_test_message ("case %u", i);
      g_assert_false (pct_outbox_add (store, bad[i].entity, bad[i].op, bad[i].entity_id,
                                      bad[i].base_version, bad[i].data, &uuid, &error));
      g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
      g_assert_null (uuid);
    }
  exec (store, "COMMIT");
  g_assert_cmpint (count_outbox (store), ==, 0);
}

/* A change that fails leaves no mutation, and a mutation that cannot be
 * written leaves no change. */
static void
test_atomic (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  exec (store, "CREATE TEMP TRIGGER refuse_incident BEFORE INSERT ON incidents "
               "BEGIN SELECT RAISE (ABORT, 'incident refused'); END");
  g_assert_false (pct_incident_create (store, NULL, 106.25, 29.29, "暴露垃圾", "operator", &id,
                                       &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  exec (store, "DROP TRIGGER temp.refuse_incident");
  g_assert_cmpint (count_outbox (store), ==, 0);

  exec (store, "CREATE TEMP TRIGGER refuse_outbox BEFORE INSERT ON outbox "
               "BEGIN SELECT RAISE (ABORT, 'outbox refused'); END");
  g_assert_false (pct_incident_create (store, NULL, 106.25, 29.29, "暴露垃圾", "operator", &id,
                                       &error));
  g_clear_error (&error);
  g_assert_false (pct_audit_record (store, "wang.fang", "unmask", "person", 88, "id_number",
                                    "核实报警人身份", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  exec (store, "DROP TRIGGER temp.refuse_outbox");
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents", 0), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM audit_log", 0), ==, 0);
  g_assert_true (sqlite3_get_autocommit (pct_store_get_handle (store)));

  /* Inside the caller's transaction, rolled back by the caller: neither. */
  exec (store, "BEGIN");
  id = create_incident (store);
  g_assert_true (pct_audit_record (store, "wang.fang", "unmask", "incident", id, NULL, "核实",
                                   &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_outbox (store), ==, 2);
  exec (store, "ROLLBACK");
  g_assert_cmpint (count_outbox (store), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents", 0), ==, 0);
}

/* Local keys --------------------------------------------------------------- */

static void
test_local_ids (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  static const char * const not_tables[] = { "meta", "calendar", "regions", "outbox", "nope", "" };

  g_assert_cmpint (pct_store_next_local_id (store, "incidents", &error), ==, -1);
  g_assert_no_error (error);

  /* The hub's keys leave the local ones alone. */
  exec (store, "INSERT INTO incidents (id, uuid, source, status, description, lon, lat, "
               "reported_at) VALUES (250311, '51f2c2d3-4b5a-4c7d-8e9f-0a1b2c3d4e5f', 'sensor', "
               "'reported', '井盖', 106.25, 29.28, 1767225600)");
  g_assert_cmpint (pct_store_next_local_id (store, "incidents", &error), ==, -1);

  g_assert_cmpint (create_incident (store), ==, -1);
  g_assert_cmpint (create_incident (store), ==, -2);
  g_assert_cmpint (pct_store_next_local_id (store, "incidents", &error), ==, -3);
  g_assert_cmpint (pct_store_next_local_id (store, "work_orders", &error), ==, -1);
  g_assert_cmpint (pct_store_next_local_id (store, "audit_log", &error), ==, -1);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (not_tables); i++)
    {
      g_assert_cmpint (pct_store_next_local_id (store, not_tables[i], &error), ==, 0);
      g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
      g_clear_error (&error);
    }
  g_assert_cmpint (pct_store_next_local_id (store, NULL, &error), ==, 0);
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
}

/* Re-keying ---------------------------------------------------------------- */

/* The hub answered first: the row and all that points at it move. */
static void
test_rekey (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *payload = NULL;
  gint64 incident = create_incident (store);
  gint64 other = create_incident (store);

  add_local_work_order (store, -1, WO_UUID_1, incident);
  g_assert_true (pct_audit_record (store, "wang.fang", "view", "incident", incident, "description",
                                   NULL, &error));
  g_assert_no_error (error);
  /* A mutation already answered stays as it was sent. */
  exec (store, "INSERT INTO outbox (uuid, entity, op, entity_id, payload, created_at, state) "
               "VALUES ('0d6b2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', 'work_order', 'create', -9, "
               "'{\"incident_id\":-1}', 1767225600, 'applied')");

  g_assert_true (pct_outbox_rekey (store, "incident", incident, 250311, &error));
  g_assert_no_error (error);

  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents WHERE id = ?1", incident), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents WHERE id = 250311", 0), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents WHERE id = ?1", other), ==, 1);
  /* The spatial index follows the key (in its 32-bit floats). */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incident_rtree WHERE id = ?1", incident),
                   ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incident_rtree WHERE id = 250311 "
                                     "AND min_lon BETWEEN 106.2499 AND 106.2501 "
                                     "AND min_lat BETWEEN 29.2899 AND 29.2901", 0), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT incident_id FROM work_orders WHERE id = -1", 0), ==,
                   250311);
  g_assert_cmpint (query_int (store, "SELECT entity_id FROM outbox WHERE entity = 'incident' "
                                     "AND op = 'create' ORDER BY id LIMIT 1", 0), ==, 250311);
  payload = query_text (store, "SELECT payload FROM outbox WHERE entity = 'work_order' "
                               "AND state = 'pending'", 0);
  g_assert_nonnull (strstr (payload, "\"incident_id\":250311"));
  g_assert_nonnull (strstr (payload, "请尽快处理"));
  g_clear_pointer (&payload, g_free);
  payload = query_text (store, "SELECT payload FROM outbox WHERE state = 'applied'", 0);
  g_assert_cmpstr (payload, ==, "{\"incident_id\":-1}");
  g_assert_cmpint (query_int (store, "SELECT entity_id FROM audit_log", 0), ==, 250311);
  g_clear_pointer (&payload, g_free);
  payload = query_text (store, "SELECT payload FROM outbox WHERE entity = 'audit'", 0);
  g_assert_nonnull (strstr (payload, "\"entity_id\":250311"));
  assert_foreign_keys_hold (store);
  g_assert_cmpint (query_int (store, "PRAGMA defer_foreign_keys", 0), ==, 0);

  /* Done again: nothing changes. */
  before = snapshot (store);
  g_assert_true (pct_outbox_rekey (store, "incident", incident, 250311, &error));
  g_assert_no_error (error);
  after = snapshot (store);
  g_assert_cmpstr (before, ==, after);

  /* The work order too, with its events. */
  g_assert_true (pct_outbox_rekey (store, "work_order", -1, 5120, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM work_order_events "
                                     "WHERE work_order_id = 5120", 0), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM work_orders WHERE id = 5120 "
                                     "AND incident_id = 250311", 0), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT entity_id FROM outbox WHERE entity = 'work_order' "
                                     "AND state = 'pending'", 0), ==, 5120);
  assert_foreign_keys_hold (store);

  /* And the audit row. */
  g_assert_true (pct_outbox_rekey (store, "audit", -1, 77, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (store, "SELECT id FROM audit_log", 0), ==, 77);
  g_assert_cmpint (query_int (store, "SELECT entity_id FROM outbox WHERE entity = 'audit'", 0), ==,
                   77);
}

/* The changes feed brought the hub's row before the answer came: the
 * local row gives way to it. */
static void
test_rekey_feed_first (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  gint64 incident = create_incident (store);

  add_local_work_order (store, -1, WO_UUID_1, incident);
  exec (store, "INSERT INTO incidents (id, uuid, source, status, description, lon, lat, "
               "reported_at, version, updated_at) VALUES (250311, "
               "'61f2c2d3-4b5a-4c7d-8e9f-0a1b2c3d4e5f', 'operator', 'filed', '暴露垃圾', "
               "106.25, 29.29, 1767225600, 2, 1767225700)");

  g_assert_true (pct_outbox_rekey (store, "incident", incident, 250311, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents WHERE id = ?1", incident), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incident_rtree WHERE id = ?1", incident),
                   ==, 0);
  /* The hub's row is kept as the feed brought it. */
  g_assert_cmpint (query_int (store, "SELECT version FROM incidents WHERE id = 250311", 0), ==, 2);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incident_rtree WHERE id = 250311", 0),
                   ==, 1);
  g_assert_cmpint (query_int (store, "SELECT incident_id FROM work_orders WHERE id = -1", 0), ==,
                   250311);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM outbox WHERE entity = 'incident' "
                                     "AND entity_id = 250311", 0), ==, 1);
  assert_foreign_keys_hold (store);

  /* The same for a work order, whose events go over to the hub's. */
  exec (store, "INSERT INTO work_orders (id, uuid, number, incident_id, state, filed_at) VALUES "
               "(5120, '" WO_UUID_2 "', 'WO-2026-000001', 250311, 'filed', 1767225600)");
  g_assert_true (pct_outbox_rekey (store, "work_order", -1, 5120, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM work_orders", 0), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM work_order_events "
                                     "WHERE work_order_id = 5120", 0), ==, 1);
  assert_foreign_keys_hold (store);
}

/* Before applying a page, the sync engine hands over local rows the page
 * carries (same UUID), so that the record replaces the row. */
static void
test_rekey_by_uuid (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *key = NULL;
  const char *keys[1];
  gint64 incident = create_incident (store);
  gboolean rekeyed = FALSE;

  uuid = query_text (store, "SELECT uuid FROM incidents WHERE id = ?1", incident);

  /* The hub's version of the row, as the feed carries it. */
  key = g_strdup_printf ("%" G_GINT64_FORMAT, incident);
  keys[0] = key;
  reader = pct_record_reader_new_for_keys (store, pct_record_entity_lookup ("incident"), keys, 1,
                                           &error);
  g_assert_no_error (error);
  g_assert_true (pct_record_reader_next (reader, &error));
  pct_record_reader_append_record (reader, line);
  g_clear_pointer (&reader, pct_record_reader_free);
  {
    g_autofree char *local = g_strdup_printf ("\"id\":%" G_GINT64_FORMAT ",", incident);
    char *at = strstr (line->str, local);

    g_assert_nonnull (at);
    g_string_erase (line, at - line->str, strlen (local));
    g_string_insert (line, at - line->str, "\"id\":250311,");
  }
  root = pct_record_parse (parser, line->str, line->len, &error);
  g_assert_no_error (error);

  /* Applied as it stands, it clashes with the local row's UUID. */
  g_assert_false (pct_record_apply (store, json_node_get_object (root), &error));
  g_assert_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_true (pct_outbox_rekey_by_uuid (store, "incident", uuid, 250311, &rekeyed, &error));
  g_assert_no_error (error);
  g_assert_true (rekeyed);
  g_assert_true (pct_record_apply (store, json_node_get_object (root), &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents", 0), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT entity_id FROM outbox", 0), ==, 250311);

  /* No local row has that UUID any more, nor this one ever. */
  g_assert_true (pct_outbox_rekey_by_uuid (store, "incident", uuid, 250311, &rekeyed, &error));
  g_assert_false (rekeyed);
  g_assert_true (pct_outbox_rekey_by_uuid (store, "work_order", WO_UUID_1, 5120, NULL, &error));
  g_assert_no_error (error);

  g_assert_false (pct_outbox_rekey_by_uuid (store, "plate", uuid, 1, &rekeyed, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_outbox_rekey_by_uuid (store, "incident", NULL, 1, &rekeyed, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
}

static void
test_rekey_invalid (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 incident = create_incident (store);

  add_local_work_order (store, -1, WO_UUID_1, incident);
  before = snapshot (store);

  g_assert_false (pct_outbox_rekey (store, "plate", -1, 5, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_outbox_rekey (store, NULL, -1, 5, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_outbox_rekey (store, "incident", 3, 5, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_outbox_rekey (store, "incident", incident, 0, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_outbox_rekey (store, "incident", incident, -7, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_outbox_rekey (store, "incident", -42, 250311, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A failure half way, inside the caller's transaction: the re-key is
   * undone, what the caller wrote before it stays. */
  exec (store, "CREATE TEMP TRIGGER refuse_move BEFORE UPDATE OF incident_id ON work_orders "
               "BEGIN SELECT RAISE (ABORT, 'move refused'); END");
  exec (store, "BEGIN");
  exec (store, "INSERT INTO meta (key, value) VALUES ('kept', '1')");
  g_assert_false (pct_outbox_rekey (store, "incident", incident, 250311, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (query_int (store, "PRAGMA defer_foreign_keys", 0), ==, 0);
  exec (store, "COMMIT");
  exec (store, "DROP TRIGGER temp.refuse_move");
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM meta WHERE key = 'kept'", 0), ==, 1);
  exec (store, "DELETE FROM meta WHERE key = 'kept'");

  /* And on its own. */
  exec (store, "CREATE TEMP TRIGGER refuse_move BEFORE UPDATE OF incident_id ON work_orders "
               "BEGIN SELECT RAISE (ABORT, 'move refused'); END");
  g_assert_false (pct_outbox_rekey (store, "incident", incident, 250311, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  exec (store, "DROP TRIGGER temp.refuse_move");
  g_assert_true (sqlite3_get_autocommit (pct_store_get_handle (store)));

  after = snapshot (store);
  g_assert_cmpstr (before, ==, after);
  assert_foreign_keys_hold (store);
}

/* The audit log ------------------------------------------------------------ */

static void
test_audit (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *text = NULL;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  JsonObject *data;

  g_assert_true (pct_audit_record (store, "wang.fang", "unmask", "person", 88, "id_number",
                                   "核实报警人身份", &error));
  g_assert_no_error (error);
  g_assert_true (pct_audit_record (store, "li.na", "export", "person", 0, NULL, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpint (query_int (store, "SELECT count(*) FROM audit_log", 0), ==, 2);
  text = query_text (store, "SELECT id || ' ' || actor || ' ' || action || ' ' || entity || ' ' || "
                            "entity_id || ' ' || field || ' ' || reason FROM audit_log "
                            "WHERE actor = 'wang.fang'", 0);
  g_assert_cmpstr (text, ==, "-1 wang.fang unmask person 88 id_number 核实报警人身份");
  g_assert_cmpint (query_int (store, "SELECT entity_id IS NULL AND field IS NULL "
                                     "AND reason IS NULL FROM audit_log WHERE id = -2", 0), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT at FROM audit_log WHERE id = -1", 0), >=, before);

  /* Its mutation: docs/api.md's audit create, without the actor, which
   * the hub takes from the session. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM outbox WHERE entity = 'audit' "
                                     "AND op = 'create' AND state = 'pending' "
                                     "AND base_version IS NULL", 0), ==, 2);
  g_assert_cmpint (query_int (store, "SELECT entity_id FROM outbox ORDER BY id LIMIT 1", 0), ==, -1);
  payload = query_text (store, "SELECT payload FROM outbox ORDER BY id LIMIT 1", 0);
  root = pct_record_parse (parser, payload, strlen (payload), &error);
  g_assert_no_error (error);
  data = json_node_get_object (root);
  g_assert_cmpuint (json_object_get_size (data), ==, 7);
  g_assert_false (json_object_has_member (data, "actor"));
  {
    g_autofree char *uuid = query_text (store, "SELECT uuid FROM audit_log WHERE id = -1", 0);

    g_assert_cmpstr (json_object_get_string_member (data, "uuid"), ==, uuid);
  }
  g_assert_cmpint (json_object_get_int_member (data, "at"), ==,
                   query_int (store, "SELECT at FROM audit_log WHERE id = -1", 0));
  g_assert_cmpstr (json_object_get_string_member (data, "action"), ==, "unmask");
  g_assert_cmpstr (json_object_get_string_member (data, "entity"), ==, "person");
  g_assert_cmpint (json_object_get_int_member (data, "entity_id"), ==, 88);
  g_assert_cmpstr (json_object_get_string_member (data, "field"), ==, "id_number");
  g_assert_cmpstr (json_object_get_string_member (data, "reason"), ==, "核实报警人身份");
  g_clear_pointer (&payload, g_free);
  payload = query_text (store, "SELECT payload FROM outbox ORDER BY id DESC LIMIT 1", 0);
  g_assert_nonnull (strstr (payload, "\"entity_id\":null,\"field\":null,\"reason\":null"));
}

static void
test_audit_invalid (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autofree char *long_text = g_strnfill (PCT_RECORD_MAX_TEXT_BYTES + 1, 'x');
  const struct
  {
    const char *actor;
    const char *action;
    const char *entity;
    const char *field;
    const char *reason;
  } bad[] = {
    { NULL, "unmask", "person", NULL, NULL },
    { "", "unmask", "person", NULL, NULL },
    { "wang.fang", NULL, "person", NULL, NULL },
    { "wang.fang", "", "person", NULL, NULL },
    { "wang.fang", "unmask", NULL, NULL, NULL },
    { "wang.fang", "unmask", "person", "\xfe\xff", NULL },
    { "wang.fang", "unmask", "person", NULL, long_text },
    { "\xc3", "unmask", "person", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (pct_audit_record (store, bad[i].actor, bad[i].action, bad[i].entity, 1,
                                        bad[i].field, bad[i].reason, &error));
      g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
    }
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM audit_log", 0), ==, 0);
  g_assert_cmpint (count_outbox (store), ==, 0);
}

/* Problems the user has seen leave the list; the rows stay, and nothing
 * but a conflict or a refusal can be dismissed, nor one twice. */
static void
test_dismiss (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  const char *states[] = { "pending", "sent", "applied", "conflict", "rejected", "conflict" };
  guint n = 99;

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autofree char *sql =
        g_strdup_printf ("INSERT INTO outbox (id, uuid, entity, op, payload, created_at, state) "
                         "VALUES (%u, 'u%u', 'incident', 'update', '{}', 1, '%s')",
                         i + 1, i + 1, states[i]);

      exec (store, sql);
    }

  for (gint64 id = 1; id <= 3; id++)
    {
      g_assert_false (pct_outbox_dismiss (store, id, &error));
      g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND);
      g_clear_error (&error);
    }
  g_assert_false (pct_outbox_dismiss (store, 0, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (pct_outbox_dismiss (store, 4, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (store, "SELECT dismissed_at > 0 FROM outbox WHERE id = 4", 0), ==, 1);
  g_assert_false (pct_outbox_dismiss (store, 4, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Only the rows named: 6 is left for a list that did not show it, and
   * those that are not problems or are dismissed already are passed over. */
  {
    const gint64 listed[] = { 5, 4, 1, 42 };

    g_assert_true (pct_outbox_dismiss_many (store, listed, G_N_ELEMENTS (listed), &n, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, 1);
    g_assert_cmpint (query_int (store, "SELECT count(*) FROM outbox WHERE dismissed_at IS NOT NULL",
                                0), ==, 2);
    g_assert_cmpint (query_int (store, "SELECT dismissed_at IS NULL FROM outbox WHERE id = 6", 0),
                     ==, 1);
  }
  {
    const gint64 listed[] = { 6 };

    g_assert_true (pct_outbox_dismiss_many (store, listed, 1, &n, &error));
    g_assert_cmpuint (n, ==, 1);
    g_assert_true (pct_outbox_dismiss_many (store, listed, 1, &n, &error));
    g_assert_cmpuint (n, ==, 0);
    g_assert_true (pct_outbox_dismiss_many (store, NULL, 0, &n, &error));
    g_assert_cmpuint (n, ==, 0);
  }
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM outbox WHERE dismissed_at IS NOT NULL",
                              0), ==, 3);
  g_assert_cmpint (count_outbox (store), ==, G_N_ELEMENTS (states));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/outbox/add", test_add);
  g_test_add_func ("/outbox/add-invalid", test_add_invalid);
  g_test_add_func ("/outbox/atomic", test_atomic);
  g_test_add_func ("/outbox/local-ids", test_local_ids);
  g_test_add_func ("/outbox/rekey", test_rekey);
  g_test_add_func ("/outbox/rekey-feed-first", test_rekey_feed_first);
  g_test_add_func ("/outbox/rekey-by-uuid", test_rekey_by_uuid);
  g_test_add_func ("/outbox/rekey-invalid", test_rekey_invalid);
  g_test_add_func ("/outbox/audit", test_audit);
  g_test_add_func ("/outbox/audit-invalid", test_audit_invalid);
  g_test_add_func ("/outbox/dismiss", test_dismiss);

  return g_test_run ();
}
