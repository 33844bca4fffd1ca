/* pct-hub-sqlite-writes.c — what clients and outside channels change in
 * the hub's SQLite storage: mutations, incident intake, unmasking
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every row is written as a record through pct_record_apply(), so the
 * core's mapping checks types, ranges and references exactly as it does
 * for an import; work orders and plates move through the core's workflow
 * table. Each change bumps the row's version and sets updated_at, and the
 * triggers enter it in the changes feed.
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "pct-hub-mutation.h"
#include "pct-hub-sqlite-private.h"
#include "pct-workflow.h"

/* China Standard Time, for the dates in case numbers. */
#define CHINA_UTC_OFFSET (8 * 3600)

/* The nearest standard address an incident is put at, in metres. */
#define ADDRESS_RADIUS_M 50.0

typedef struct
{
  PctHubSqlite          *self;
  const PctHubActor     *actor;
  const PctHubMutation  *mutation;
  gint64                 now;
  GString               *result;
} Apply;

/* Records ------------------------------------------------------------------ */

static const PctRecordEntity *
entity_named (const char *name)
{
  const PctRecordEntity *found = pct_record_entity_lookup (name);

  /* The names used here are the core's own. */
  g_assert (found != NULL);
  return found;
}

static gboolean
reject (GError          **error,
        PctHubRejection   code,
        const char       *format,
        ...) G_GNUC_PRINTF (3, 4);

static gboolean
reject (GError          **error,
        PctHubRejection   code,
        const char       *format,
        ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (PCT_HUB_REJECTION, code, format, args);
  va_end (args);
  return FALSE;
}

/* The row as a record object, whole (unmasked); NULL without an error
 * when there is none. */
static JsonObject *
load_record (PctHubSqlite           *self,
             const PctRecordEntity  *entity,
             gint64                  id,
             GError                **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  char key[32];

  g_snprintf (key, sizeof key, "%" G_GINT64_FORMAT, id);
  if (!_pct_hub_sqlite_read_record (self->store, entity, key, -1, text, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  root = pct_record_parse (parser, text->str, text->len, error);
  if (root == NULL)
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* The record as this role may read it, for a conflict's `current`. */
static char *
current_record (PctHubSqlite           *self,
                const PctRecordEntity  *entity,
                gint64                  id,
                PctRole                 role,
                GError                **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char key[32];

  g_snprintf (key, sizeof key, "%" G_GINT64_FORMAT, id);
  if (!_pct_hub_sqlite_read_record (self->store, entity, key, (int) role, text, error))
    return NULL;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gint64
record_version (JsonObject *record)
{
  return json_object_get_int_member_with_default (record, "version", 0);
}

static JsonObject *
record_data (JsonObject *record)
{
  return json_object_get_object_member (record, "data");
}

static const char *
data_string (JsonObject *data,
             const char *name)
{
  JsonNode *node = json_object_get_member (data, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
data_int (JsonObject *data,
          const char *name)
{
  JsonNode *node = json_object_get_member (data, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static void
set_int_or_null (JsonObject *data,
                 const char *name,
                 gint64      value)
{
  if (value > 0)
    json_object_set_int_member (data, name, value);
  else
    json_object_set_null_member (data, name);
}

static JsonObject *
new_record (const char *entity_name,
            gint64      id,
            gint64      version,
            gint64      updated_at,
            JsonObject *data)
{
  JsonObject *record = json_object_new ();

  json_object_set_string_member (record, "entity", entity_name);
  json_object_set_int_member (record, "id", id);
  if (version > 0)
    {
      json_object_set_int_member (record, "version", version);
      json_object_set_int_member (record, "updated_at", updated_at);
    }
  json_object_set_object_member (record, "data", json_object_ref (data));
  return record;
}

/* A change of a row: one version more, changed now. */
static void
bump (JsonObject *record,
      gint64      now)
{
  json_object_set_int_member (record, "version", record_version (record) + 1);
  json_object_set_int_member (record, "updated_at", now);
}

static gboolean
save_record (PctHubSqlite  *self,
             JsonObject    *record,
             GError       **error)
{
  return pct_record_apply (self->store, record, error);
}

/* Saves a changed row, then moves what references it after it in the
 * feed. */
static gboolean
save_changed (PctHubSqlite           *self,
              const PctRecordEntity  *entity,
              JsonObject             *record,
              GError                **error)
{
  char key[32];

  g_snprintf (key, sizeof key, "%" G_GINT64_FORMAT,
              json_object_get_int_member (record, "id"));
  return save_record (self, record, error) &&
         _pct_hub_sqlite_touch_dependents (self, entity, key, error);
}

static gint64
next_key (PctHubSqlite           *self,
          const PctRecordEntity  *entity,
          GError                **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT coalesce (max (%s), 0) + 1 FROM %s",
                                          entity->key, entity->table);
  sqlite3_stmt *stmt = pct_store_prepare (self->store, sql, error);
  gint64 key = 0;

  if (stmt == NULL)
    return 0;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    key = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (key <= 0)
    pct_store_set_sql_error (self->store, error, entity->table);
  return key;
}

static gboolean
savepoint (PctHubSqlite *self,
           const char   *sql,
           GError      **error)
{
  return pct_store_exec (self->store, sql, error);
}

/* Where an incident lies: its grid cell and the nearest standard
 * address, each 0 when there is none. */
static gboolean
locate (PctHubSqlite  *self,
        double         lon,
        double         lat,
        gint64        *grid_id,
        gint64        *address_id,
        GError       **error)
{
  return pct_store_find_grid_cell (self->store, lon, lat, grid_id, error) &&
         pct_store_find_nearest_address (self->store, lon, lat, ADDRESS_RADIUS_M, address_id,
                                         error);
}

/* Case numbers and deadlines -------------------------------------------- */

/* The letters the district's case numbers start with (JJ for 江津), from
 * its newest case; AJ (案卷) for a district without cases. */
static char *
number_prefix (PctHubSqlite *self)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT number FROM work_orders ORDER BY id DESC LIMIT 1",
                                          NULL);
  g_autofree char *prefix = NULL;

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *number = (const char *) sqlite3_column_text (stmt, 0);
      gsize n = 0;

      while (n < 4 && g_ascii_isupper (number[n]))
        n++;
      if (n > 0)
        prefix = g_strndup (number, n);
    }
  if (stmt != NULL)
    sqlite3_reset (stmt);
  return prefix != NULL ? g_steal_pointer (&prefix) : g_strdup ("AJ");
}

/* PREFIX + YYYYMMDD (China time) + "-" + the day's serial, five digits. */
static char *
make_number (PctHubSqlite  *self,
             gint64         now,
             GError       **error)
{
  g_autofree char *prefix = number_prefix (self);
  g_autoptr(GDateTime) day = g_date_time_new_from_unix_utc (now + CHINA_UTC_OFFSET);
  g_autofree char *date = g_date_time_format (day, "%Y%m%d");
  g_autofree char *head = g_strconcat (prefix, date, "-", NULL);
  g_autofree char *end = g_strconcat (prefix, date, ".", NULL);
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT number FROM work_orders "
                                          "WHERE number >= ?1 AND number < ?2 "
                                          "ORDER BY length (number) DESC, number DESC LIMIT 1",
                                          error);
  guint64 serial = 0;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, head, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, end, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    serial = g_ascii_strtoull ((const char *) sqlite3_column_text (stmt, 0) + strlen (head),
                               NULL, 10);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      pct_store_set_sql_error (self->store, error, "work_orders");
      return NULL;
    }
  return g_strdup_printf ("%s%05" G_GUINT64_FORMAT, head, serial + 1);
}

/* The deadline of a case of this category filed at filed_at, on the
 * working calendar; 0 when the category sets no time limit. */
static gboolean
compute_deadline (PctHubSqlite  *self,
                  gint64         category_id,
                  gint64         filed_at,
                  gint64        *deadline,
                  GError       **error)
{
  sqlite3_stmt *stmt;
  PctTimeUnit unit;
  gboolean known = FALSE;
  gint64 limit = 0;
  int rc;

  *deadline = 0;
  if (category_id <= 0)
    return TRUE;

  stmt = pct_store_prepare (self->store,
                            "SELECT time_limit, time_unit FROM categories WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, category_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    {
      limit = sqlite3_column_int64 (stmt, 0);
      known = pct_time_unit_from_string ((const char *) sqlite3_column_text (stmt, 1), &unit);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "categories");
  if (!known || limit <= 0)
    return TRUE;

  if (self->calendar == NULL)
    {
      self->calendar = pct_calendar_new_from_store (self->store, error);
      if (self->calendar == NULL)
        return FALSE;
    }
  *deadline = pct_calendar_add (self->calendar, filed_at, (int) MIN (limit, G_MAXINT), unit);
  return TRUE;
}

/* Writes the event of a step of a case: the history the feed carries. */
static gboolean
add_event (PctHubSqlite  *self,
           gint64         work_order_id,
           const char    *action,
           const char    *from_state,
           const char    *to_state,
           const char    *actor,
           gint64         department_id,
           gint64         at,
           const char    *note,
           GError       **error)
{
  const PctRecordEntity *events = entity_named ("work_order_event");
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonObject) record = NULL;
  gint64 id = next_key (self, events, error);

  if (id <= 0)
    return FALSE;
  json_object_set_int_member (data, "work_order_id", work_order_id);
  json_object_set_string_member (data, "action", action);
  if (from_state != NULL)
    json_object_set_string_member (data, "from_state", from_state);
  else
    json_object_set_null_member (data, "from_state");
  json_object_set_string_member (data, "to_state", to_state);
  json_object_set_string_member (data, "actor", actor);
  set_int_or_null (data, "department_id", department_id);
  json_object_set_int_member (data, "at", at);
  if (note != NULL)
    json_object_set_string_member (data, "note", note);
  else
    json_object_set_null_member (data, "note");

  record = new_record (events->name, id, 0, 0, data);
  return save_record (self, record, error);
}

/* Converts a refusal of the workflow table into a rejection with its
 * message, whichever domain it came in. */
static gboolean
workflow_refused (GError          **error,
                  GError           *refusal,
                  PctHubRejection   fallback)
{
  PctHubRejection code = fallback;

  if (refusal->domain == PCT_WORKFLOW_ERROR)
    pct_hub_rejection_from_error (refusal, &code);
  reject (error, code, "%s", refusal->message);
  g_error_free (refusal);
  return FALSE;
}

/* Incidents ---------------------------------------------------------------- */

static gboolean
incident_create (Apply   *apply,
                 GError **error)
{
  const PctRecordEntity *incidents = entity_named ("incident");
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonObject) record = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  const char *status = NULL;
  double lon = 0, lat = 0;
  gboolean has_lon = FALSE, has_lat = FALSE;
  gint64 id;

  json_object_iter_init (&iter, apply->mutation->data);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (data, name, json_node_copy (value));

  if (!pct_hub_json_get_string (data, "status", TRUE, &status, error))
    return FALSE;
  if (!g_str_equal (status, "reported"))
    return reject (error, PCT_HUB_REJECTED_INVALID_VALUE,
                   _("A new incident’s status must be “reported”, not “%s”"), status);

  /* A position the client could not place is placed here. */
  if (!pct_hub_json_get_double (data, "lon", FALSE, &lon, &has_lon, NULL))
    has_lon = FALSE;
  if (!pct_hub_json_get_double (data, "lat", FALSE, &lat, &has_lat, NULL))
    has_lat = FALSE;
  if (has_lon && has_lat &&
      (!json_object_has_member (data, "address_id") || !json_object_has_member (data, "grid_id")))
    {
      gint64 grid_id = 0, address_id = 0;

      if (!locate (apply->self, lon, lat, &grid_id, &address_id, error))
        return FALSE;
      if (!json_object_has_member (data, "address_id"))
        set_int_or_null (data, "address_id", address_id);
      if (!json_object_has_member (data, "grid_id"))
        set_int_or_null (data, "grid_id", grid_id);
    }

  id = next_key (apply->self, incidents, error);
  if (id <= 0)
    return FALSE;
  record = new_record (incidents->name, id, 1, apply->now, data);
  if (!save_record (apply->self, record, error))
    return FALSE;
  pct_hub_append_applied (apply->result, apply->mutation->uuid, id, 1);
  return TRUE;
}

/* Appends a conflict and returns TRUE when the record moved on since the
 * client's base version. */
static gboolean
check_conflict (Apply                  *apply,
                const PctRecordEntity  *entity,
                JsonObject             *record,
                gboolean               *conflict,
                GError                **error)
{
  g_autofree char *current = NULL;

  *conflict = record_version (record) != apply->mutation->base_version;
  if (!*conflict)
    return TRUE;
  current = current_record (apply->self, entity, apply->mutation->id, apply->actor->role, error);
  if (current == NULL)
    return FALSE;
  pct_hub_append_conflict (apply->result, apply->mutation->uuid, current);
  return TRUE;
}

static gboolean
incident_update (Apply   *apply,
                 GError **error)
{
  static const char * const members[] = {
    "category_id", "severity", "description", "status", NULL
  };
  const PctRecordEntity *incidents = entity_named ("incident");
  JsonObject *changes = apply->mutation->data;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *data;
  const char *status = NULL;
  gboolean conflict;

  if (!pct_hub_json_check_members (changes, members, _("an incident update"), error) ||
      !pct_hub_json_get_string (changes, "status", FALSE, &status, error))
    return FALSE;

  record = load_record (apply->self, incidents, apply->mutation->id, &local_error);
  if (record == NULL)
    {
      if (local_error != NULL)
        return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
      return reject (error, PCT_HUB_REJECTED_NOT_FOUND, _("No incident has the key %" PRId64),
                     apply->mutation->id);
    }
  if (!check_conflict (apply, incidents, record, &conflict, error))
    return FALSE;
  if (conflict)
    return TRUE;

  data = record_data (record);
  if (status != NULL)
    {
      const char *current = data_string (data, "status");

      if (!g_str_equal (status, "voided"))
        return reject (error, PCT_HUB_REJECTED_INVALID_VALUE,
                       _("An incident’s status can only be changed to “voided”"));
      if (g_strcmp0 (current, "reported") != 0)
        return reject (error, PCT_HUB_REJECTED_INVALID_TRANSITION,
                       _("An incident in state %s cannot be voided; only a reported one can"),
                       current);
    }
  for (guint i = 0; members[i] != NULL; i++)
    {
      JsonNode *value = json_object_get_member (changes, members[i]);

      if (value != NULL)
        json_object_set_member (data, members[i], json_node_copy (value));
    }

  bump (record, apply->now);
  if (!save_changed (apply->self, incidents, record, error))
    return FALSE;
  pct_hub_append_applied (apply->result, apply->mutation->uuid, apply->mutation->id,
                          record_version (record));
  return TRUE;
}

/* Work orders --------------------------------------------------------------- */

static gboolean
set_incident_status (Apply       *apply,
                     gint64       incident_id,
                     const char  *from,
                     const char  *to,
                     GError     **error)
{
  const PctRecordEntity *incidents = entity_named ("incident");
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(GError) local_error = NULL;

  if (incident_id <= 0)
    return TRUE;
  record = load_record (apply->self, incidents, incident_id, &local_error);
  if (record == NULL)
    {
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (g_strcmp0 (data_string (record_data (record), "status"), from) != 0)
    return TRUE;
  json_object_set_string_member (record_data (record), "status", to);
  bump (record, apply->now);
  return save_changed (apply->self, incidents, record, error);
}

static gboolean
work_order_create (Apply   *apply,
                   GError **error)
{
  static const char * const members[] = {
    "uuid", "incident_id", "category_id", "grid_id", "note", NULL
  };
  const PctRecordEntity *orders = entity_named ("work_order");
  const PctRecordEntity *incidents = entity_named ("incident");
  JsonObject *request = apply->mutation->data;
  g_autoptr(JsonObject) incident = NULL;
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *number = NULL;
  const char *uuid = NULL;
  const char *note = NULL;
  const char *incident_status;
  gint64 incident_id = 0, category_id = 0, grid_id = 0;
  gboolean has_category = FALSE, has_grid = FALSE;
  gint64 deadline = 0;
  gint64 id;

  if (!pct_hub_json_check_members (request, members, _("a new work order"), error) ||
      !pct_hub_json_get_string (request, "uuid", TRUE, &uuid, error) ||
      !pct_hub_json_get_int (request, "incident_id", TRUE, &incident_id, NULL, error) ||
      !pct_hub_json_get_int (request, "category_id", FALSE, &category_id, &has_category, error) ||
      !pct_hub_json_get_int (request, "grid_id", FALSE, &grid_id, &has_grid, error) ||
      !pct_hub_json_get_string (request, "note", FALSE, &note, error))
    return FALSE;

  incident = load_record (apply->self, incidents, incident_id, &local_error);
  if (incident == NULL)
    {
      if (local_error != NULL)
        return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
      return reject (error, PCT_HUB_REJECTED_INVALID_REFERENCE,
                     _("No incident has the key %" PRId64), incident_id);
    }
  incident_status = data_string (record_data (incident), "status");
  if (g_strcmp0 (incident_status, "reported") != 0)
    return reject (error, PCT_HUB_REJECTED_INVALID_TRANSITION,
                   _("Incident %" PRId64 " is %s; only a reported incident can be "
                     "filed"), incident_id, incident_status);

  if (!has_category)
    category_id = data_int (record_data (incident), "category_id");
  if (!has_grid)
    grid_id = data_int (record_data (incident), "grid_id");
  if (!compute_deadline (apply->self, category_id, apply->now, &deadline, error))
    return FALSE;
  number = make_number (apply->self, apply->now, error);
  if (number == NULL)
    return FALSE;

  /* The incident first, so that the case follows it in the feed. */
  json_object_set_string_member (record_data (incident), "status", "filed");
  bump (incident, apply->now);
  if (!save_changed (apply->self, incidents, incident, error))
    return FALSE;

  id = next_key (apply->self, orders, error);
  if (id <= 0)
    return FALSE;
  json_object_set_string_member (data, "uuid", uuid);
  json_object_set_string_member (data, "number", number);
  json_object_set_int_member (data, "incident_id", incident_id);
  set_int_or_null (data, "category_id", category_id);
  json_object_set_string_member (data, "state", "filed");
  set_int_or_null (data, "grid_id", grid_id);
  json_object_set_int_member (data, "filed_at", apply->now);
  set_int_or_null (data, "deadline", deadline);
  json_object_set_int_member (data, "rework_count", 0);
  json_object_set_boolean_member (data, "escalated", FALSE);
  record = new_record (orders->name, id, 1, apply->now, data);

  if (!save_record (apply->self, record, error) ||
      !add_event (apply->self, id, "file", NULL, "filed", apply->actor->user, 0, apply->now,
                  note, error))
    return FALSE;
  pct_hub_append_applied (apply->result, apply->mutation->uuid, id, 1);
  return TRUE;
}

/* The members an action takes beyond "action" and "note". */
static const char * const *
action_members (const char *action)
{
  static const char * const dispatch[] = { "action", "note", "department_id", "worker_id", NULL };
  static const char * const extend[] = { "action", "note", "deadline", NULL };
  static const char * const evaluate[] = { "action", "note", "evaluation", NULL };
  static const char * const plain[] = { "action", "note", NULL };

  if (g_str_equal (action, "dispatch"))
    return dispatch;
  if (g_str_equal (action, "extend"))
    return extend;
  if (g_str_equal (action, "evaluate"))
    return evaluate;
  return plain;
}

/* What the action changes besides the state. */
static gboolean
apply_action (Apply        *apply,
              const char   *action,
              JsonObject   *request,
              JsonObject   *data,
              GError      **error)
{
  gint64 value = 0;
  gboolean present = FALSE;

  if (g_str_equal (action, "dispatch"))
    {
      gint64 department_id = 0;

      if (!pct_hub_json_get_int (request, "department_id", TRUE, &department_id, NULL, error) ||
          !pct_hub_json_get_int (request, "worker_id", FALSE, &value, &present, error))
        return FALSE;
      json_object_set_int_member (data, "department_id", department_id);
      set_int_or_null (data, "worker_id", present ? value : 0);
    }
  else if (g_str_equal (action, "feedback"))
    json_object_set_int_member (data, "disposed_at", apply->now);
  else if (g_str_equal (action, "rework"))
    json_object_set_int_member (data, "rework_count", data_int (data, "rework_count") + 1);
  else if (g_str_equal (action, "close"))
    json_object_set_int_member (data, "closed_at", apply->now);
  else if (g_str_equal (action, "escalate"))
    json_object_set_boolean_member (data, "escalated", TRUE);
  else if (g_str_equal (action, "evaluate"))
    {
      if (!pct_hub_json_get_int (request, "evaluation", TRUE, &value, NULL, error))
        return FALSE;
      if (value < 1 || value > 5)
        return reject (error, PCT_HUB_REJECTED_INVALID_VALUE,
                       _("An evaluation is a score from 1 to 5, not %" PRId64), value);
      json_object_set_int_member (data, "evaluation", value);
    }
  else if (g_str_equal (action, "extend"))
    {
      gint64 due = data_int (data, "extended_deadline");

      if (due == 0)
        due = data_int (data, "deadline");
      if (due == 0)
        due = data_int (data, "filed_at");
      if (!pct_hub_json_get_int (request, "deadline", TRUE, &value, NULL, error))
        return FALSE;
      if (value <= due)
        return reject (error, PCT_HUB_REJECTED_INVALID_VALUE,
                       _("An extension must end after the current deadline (%" PRId64
                         ")"), due);
      json_object_set_int_member (data, "extended_deadline", value);
    }
  return TRUE;
}

static gboolean
work_order_action (Apply   *apply,
                   GError **error)
{
  const PctRecordEntity *orders = entity_named ("work_order");
  JsonObject *request = apply->mutation->data;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *from = NULL;
  const char *action = NULL;
  const char *note = NULL;
  const char *to;
  JsonObject *data;
  gboolean conflict;
  gint64 incident_id;

  if (!pct_hub_json_get_string (request, "action", TRUE, &action, error) ||
      !pct_hub_json_check_members (request, action_members (action), _("this action"), error) ||
      !pct_hub_json_get_string (request, "note", FALSE, &note, error))
    return FALSE;

  record = load_record (apply->self, orders, apply->mutation->id, &local_error);
  if (record == NULL)
    {
      if (local_error != NULL)
        return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
      return reject (error, PCT_HUB_REJECTED_NOT_FOUND,
                     _("No work order has the key %" PRId64), apply->mutation->id);
    }
  if (!check_conflict (apply, orders, record, &conflict, error))
    return FALSE;
  if (conflict)
    return TRUE;

  data = record_data (record);
  from = g_strdup (data_string (data, "state"));
  to = pct_workflow_transition (from, action, apply->actor->role, &local_error);
  if (to == NULL)
    return workflow_refused (error, g_steal_pointer (&local_error),
                             PCT_HUB_REJECTED_INVALID_TRANSITION);

  if (!apply_action (apply, action, request, data, error))
    return FALSE;
  json_object_set_string_member (data, "state", to);
  bump (record, apply->now);
  if (!save_changed (apply->self, orders, record, error))
    return FALSE;

  /* The incident ends with its case. */
  incident_id = data_int (data, "incident_id");
  if (g_str_equal (action, "close") &&
      !set_incident_status (apply, incident_id, "filed", "closed", error))
    return FALSE;
  if (g_str_equal (action, "void") &&
      !set_incident_status (apply, incident_id, "filed", "voided", error))
    return FALSE;

  if (!add_event (apply->self, apply->mutation->id, action, from, to, apply->actor->user,
                  data_int (data, "department_id"), apply->now, note, error))
    return FALSE;
  pct_hub_append_applied (apply->result, apply->mutation->uuid, apply->mutation->id,
                          record_version (record));
  return TRUE;
}

/* Plates and the audit log --------------------------------------------------- */

static gboolean
plate_update (Apply   *apply,
              GError **error)
{
  static const char * const members[] = { "status", "installed_at", NULL };
  const PctRecordEntity *plates = entity_named ("plate");
  JsonObject *request = apply->mutation->data;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *status = NULL;
  const char *from;
  JsonObject *data;
  gint64 installed_at = 0;
  gboolean has_installed_at = FALSE;
  gboolean conflict;

  if (!pct_hub_json_check_members (request, members, _("a plate update"), error) ||
      !pct_hub_json_get_string (request, "status", TRUE, &status, error) ||
      !pct_hub_json_get_int (request, "installed_at", FALSE, &installed_at, &has_installed_at,
                             error))
    return FALSE;
  if (has_installed_at && !g_str_equal (status, "installed"))
    return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST,
                   _("“installed_at” goes only with the status “installed”"));
  if (has_installed_at && installed_at < 0)
    return reject (error, PCT_HUB_REJECTED_INVALID_VALUE, _("“installed_at” may not be negative"));

  record = load_record (apply->self, plates, apply->mutation->id, &local_error);
  if (record == NULL)
    {
      if (local_error != NULL)
        return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
      return reject (error, PCT_HUB_REJECTED_NOT_FOUND,
                     _("No plate has the key %" PRId64), apply->mutation->id);
    }
  if (!check_conflict (apply, plates, record, &conflict, error))
    return FALSE;
  if (conflict)
    return TRUE;

  data = record_data (record);
  from = data_string (data, "status");
  if (!pct_workflow_plate_transition (from, status, &local_error))
    return workflow_refused (error, g_steal_pointer (&local_error),
                             PCT_HUB_REJECTED_INVALID_TRANSITION);

  if (g_str_equal (status, "installed"))
    json_object_set_int_member (data, "installed_at", has_installed_at ? installed_at : apply->now);
  json_object_set_string_member (data, "status", status);
  bump (record, apply->now);
  if (!save_changed (apply->self, plates, record, error))
    return FALSE;
  pct_hub_append_applied (apply->result, apply->mutation->uuid, apply->mutation->id,
                          record_version (record));
  return TRUE;
}

static gboolean
write_audit (PctHubSqlite  *self,
             JsonObject    *data,
             const char    *actor,
             gint64        *id,
             GError       **error)
{
  const PctRecordEntity *audit = pct_record_entity_lookup ("audit");
  g_autoptr(JsonObject) record = NULL;

  if (audit == NULL)
    return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST,
                   _("This build keeps no audit log"));
  *id = next_key (self, audit, error);
  if (*id <= 0)
    return FALSE;
  json_object_set_string_member (data, "actor", actor);
  record = new_record (audit->name, *id, 0, 0, data);
  return save_record (self, record, error);
}

static gboolean
audit_create (Apply   *apply,
              GError **error)
{
  static const char * const members[] = {
    "uuid", "at", "action", "entity", "entity_id", "field", "reason", NULL
  };
  g_autoptr(JsonObject) data = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  gint64 id = 0;

  if (!pct_hub_json_check_members (apply->mutation->data, members, _("an audit row"), error))
    return FALSE;
  json_object_iter_init (&iter, apply->mutation->data);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (data, name, json_node_copy (value));

  /* Who did it is who signed in, whatever the client says. */
  if (!write_audit (apply->self, data, apply->actor->user, &id, error))
    return FALSE;
  pct_hub_append_applied (apply->result, apply->mutation->uuid, id, 1);
  return TRUE;
}

/* Mutations ------------------------------------------------------------------ */

static gboolean
dispatch_mutation (Apply   *apply,
                   GError **error)
{
  const PctHubMutation *m = apply->mutation;

  if (g_str_equal (m->entity, "incident"))
    return m->op == PCT_HUB_OP_CREATE ? incident_create (apply, error)
                                      : incident_update (apply, error);
  if (g_str_equal (m->entity, "work_order"))
    return m->op == PCT_HUB_OP_CREATE ? work_order_create (apply, error)
                                      : work_order_action (apply, error);
  if (g_str_equal (m->entity, "plate"))
    return plate_update (apply, error);
  if (g_str_equal (m->entity, "audit"))
    return audit_create (apply, error);
  return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("Unknown entity “%s”"), m->entity);
}

/* The stored result of a mutation seen before, or NULL. */
static char *
stored_result (PctHubSqlite  *self,
               const char    *uuid,
               GError       **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT result FROM hub_mutations WHERE uuid = ?",
                                          error);
  char *result = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    result = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    pct_store_set_sql_error (self->store, error, "hub_mutations");
  return result;
}

static gboolean
store_result (PctHubSqlite  *self,
              const char    *uuid,
              const char    *user,
              gint64         now,
              const char    *result,
              GError       **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "INSERT INTO hub_mutations (uuid, user, at, result) "
                                          "VALUES (?, ?, ?, ?)",
                                          error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, user, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, now);
  sqlite3_bind_text (stmt, 4, result, -1, SQLITE_STATIC);
  return pct_store_step_done (self->store, stmt, error);
}

/* Runs the mutation inside a savepoint; a rejection undoes whatever part
 * of it was written and becomes its result. FALSE only when the storage
 * fails. */
static gboolean
run_mutation (PctHubSqlite       *self,
              const PctHubActor  *actor,
              JsonObject         *object,
              gint64              now,
              GString            *result,
              GError            **error)
{
  g_autoptr(GError) problem = NULL;
  PctHubMutation mutation;
  PctHubRejection code;
  Apply apply = { self, actor, &mutation, now, result };
  gboolean ok;

  if (!pct_hub_mutation_parse (object, &mutation, &problem) ||
      !pct_hub_mutation_check_role (&mutation, actor->role, &problem))
    ok = FALSE;
  else
    {
      if (!savepoint (self, "SAVEPOINT hub_mutation", error))
        return FALSE;
      ok = dispatch_mutation (&apply, &problem);
      if (!ok)
        savepoint (self, "ROLLBACK TO hub_mutation", NULL);
      if (!savepoint (self, "RELEASE hub_mutation", error))
        return FALSE;
    }

  if (ok)
    return TRUE;
  if (!pct_hub_rejection_from_error (problem, &code))
    {
      g_propagate_error (error, g_steal_pointer (&problem));
      return FALSE;
    }
  g_string_truncate (result, 0);
  pct_hub_append_rejected (result, pct_hub_mutation_peek_uuid (object), code, problem->message);
  return TRUE;
}

static gboolean
apply_one (PctHubSqlite       *self,
           const PctHubActor  *actor,
           JsonNode           *node,
           gint64              now,
           GString            *results,
           GError            **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *uuid = object != NULL ? pct_hub_mutation_peek_uuid (object) : NULL;
  g_autoptr(GString) result = g_string_new (NULL);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *stored = NULL;

  if (results->len > 1)
    g_string_append_c (results, ',');

  if (uuid != NULL)
    {
      stored = stored_result (self, uuid, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (stored != NULL && g_str_has_suffix (stored, "}"))
        {
          /* Seen before: not applied again. */
          g_string_append_len (results, stored, (gssize) strlen (stored) - 1);
          g_string_append (results, ",\"replayed\":true}");
          return TRUE;
        }
    }

  if (object == NULL)
    pct_hub_append_rejected (result, NULL, PCT_HUB_REJECTED_INVALID_REQUEST,
                             _("A mutation must be a JSON object"));
  else if (!run_mutation (self, actor, object, now, result, error))
    return FALSE;

  if (uuid != NULL && !store_result (self, uuid, actor->user, now, result->str, error))
    return FALSE;
  g_string_append_len (results, result->str, (gssize) result->len);
  return TRUE;
}

char *
_pct_hub_sqlite_apply_mutations (PctHubSqlite       *self,
                                 const PctHubActor  *actor,
                                 JsonArray          *mutations,
                                 gint64              now,
                                 GError            **error)
{
  g_autoptr(GString) results = g_string_new ("[");
  gint64 before = _pct_hub_sqlite_last_seq (self);
  guint n = json_array_get_length (mutations);

  /* One transaction for the batch, a savepoint for each mutation: one
   * commit instead of hundreds, and a failure of the storage itself
   * leaves nothing of the batch behind. */
  if (!pct_store_begin (self->store, error))
    return NULL;
  for (guint i = 0; i < n; i++)
    {
      if (!apply_one (self, actor, json_array_get_element (mutations, i), now, results, error))
        {
          pct_store_rollback (self->store);
          return NULL;
        }
    }
  if (!pct_store_commit (self->store, error))
    {
      pct_store_rollback (self->store);
      return NULL;
    }

  _pct_hub_sqlite_notify (self, before);
  g_string_append_c (results, ']');
  return g_string_free (g_steal_pointer (&results), FALSE);
}

/* Intake ------------------------------------------------------------------ */

static gboolean
find_intake (PctHubSqlite        *self,
             const PctHubIntake  *intake,
             gint64              *id,
             char               **uuid,
             GError             **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store,
                                          "SELECT i.id, i.uuid FROM hub_intake h "
                                          "JOIN incidents i ON i.id = h.incident_id "
                                          "WHERE h.channel_id = ? AND h.external_id = ?",
                                          error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  *id = 0;
  sqlite3_bind_int64 (stmt, 1, intake->channel_id);
  sqlite3_bind_text (stmt, 2, intake->external_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *id = sqlite3_column_int64 (stmt, 0);
      *uuid = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "hub_intake");
  return TRUE;
}

static gboolean
insert_intake (PctHubSqlite        *self,
               const PctHubIntake  *intake,
               gint64               now,
               gint64              *id,
               char               **uuid,
               GError             **error)
{
  const PctRecordEntity *incidents = entity_named ("incident");
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *new_uuid = g_uuid_string_random ();
  gint64 grid_id = 0, address_id = 0;
  sqlite3_stmt *stmt;

  if (!locate (self, intake->lon, intake->lat, &grid_id, &address_id, error))
    return FALSE;
  *id = next_key (self, incidents, error);
  if (*id <= 0)
    return FALSE;

  json_object_set_string_member (data, "uuid", new_uuid);
  set_int_or_null (data, "category_id", intake->category_id);
  json_object_set_string_member (data, "source", intake->source);
  json_object_set_int_member (data, "severity", intake->severity);
  json_object_set_string_member (data, "status", "reported");
  json_object_set_string_member (data, "description", intake->description);
  json_object_set_double_member (data, "lon", intake->lon);
  json_object_set_double_member (data, "lat", intake->lat);
  set_int_or_null (data, "address_id", address_id);
  set_int_or_null (data, "grid_id", grid_id);
  json_object_set_int_member (data, "reported_at", intake->reported_at);
  record = new_record (incidents->name, *id, 1, now, data);

  if (!save_record (self, record, &local_error))
    {
      /* The server checked the report; what the record mapping still
       * refuses is a value the report may not have. */
      if (local_error->domain == PCT_RECORD_ERROR)
        g_set_error_literal (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                             local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (intake->external_id != NULL)
    {
      stmt = pct_store_prepare (self->store,
                                "INSERT INTO hub_intake (channel_id, external_id, incident_id, at) "
                                "VALUES (?, ?, ?, ?)",
                                error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, intake->channel_id);
      sqlite3_bind_text (stmt, 2, intake->external_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, *id);
      sqlite3_bind_int64 (stmt, 4, now);
      if (!pct_store_step_done (self->store, stmt, error))
        return FALSE;
    }
  *uuid = g_steal_pointer (&new_uuid);
  return TRUE;
}

gboolean
_pct_hub_sqlite_intake_incident (PctHubSqlite        *self,
                                 const PctHubIntake  *intake,
                                 gint64               now,
                                 gint64              *id,
                                 char               **uuid,
                                 gboolean            *created,
                                 GError             **error)
{
  gint64 before = _pct_hub_sqlite_last_seq (self);
  gboolean ok;

  *id = 0;
  *uuid = NULL;
  *created = FALSE;
  if (!pct_store_begin (self->store, error))
    return FALSE;

  ok = intake->external_id == NULL || find_intake (self, intake, id, uuid, error);
  if (ok && *id == 0)
    {
      ok = insert_intake (self, intake, now, id, uuid, error);
      *created = ok;
    }
  if (!ok || !pct_store_commit (self->store, error))
    {
      pct_store_rollback (self->store);
      g_clear_pointer (uuid, g_free);
      *created = FALSE;
      return FALSE;
    }
  _pct_hub_sqlite_notify (self, before);
  return TRUE;
}

/* Unmasking ----------------------------------------------------------------- */

static char *
read_field (PctHubSqlite           *self,
            const PctRecordEntity  *entity,
            gint64                  id,
            int                     field,
            GError                **error)
{
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GString) value = g_string_new (NULL);
  g_autoptr(GError) local_error = NULL;
  char key[32];
  const char *keys[] = { key };

  g_snprintf (key, sizeof key, "%" G_GINT64_FORMAT, id);
  reader = pct_record_reader_new_for_keys (self->store, entity, keys, 1, error);
  if (reader == NULL)
    return NULL;
  if (!pct_record_reader_next (reader, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                     _("No %s has the key %" PRId64), entity->name, id);
      return NULL;
    }
  pct_record_reader_append_field (reader, (guint) field, value);
  return g_string_free (g_steal_pointer (&value), FALSE);
}

char *
_pct_hub_sqlite_unmask (PctHubSqlite       *self,
                        const PctHubActor  *actor,
                        const char         *entity_name,
                        gint64              id,
                        const char         *field,
                        const char         *reason,
                        gint64              now,
                        GError            **error)
{
  const PctRecordEntity *target = pct_record_entity_lookup (entity_name);
  g_autoptr(JsonObject) audit = json_object_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  gint64 audit_id = 0;
  int index;

  if (target == NULL || target->key_type != PCT_FIELD_INTEGER)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                   _("“%s” is not an entity with personal data"), entity_name);
      return NULL;
    }
  index = pct_record_entity_find_field (target, field);
  if (index < 0 || !pct_roles_is_personal (entity_name, field))
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                   _("“%s” of %s is not personal data"), field, entity_name);
      return NULL;
    }
  if (pct_role_field_access (actor->role, entity_name, field) == PCT_FIELD_ACCESS_PLAIN)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_FORBIDDEN,
                   _("The %s role reads “%s” of %s records in clear; there is nothing to "
                     "unmask"), pct_role_to_string (actor->role), field, entity_name);
      return NULL;
    }
  if (!pct_role_may_unmask (actor->role, entity_name, field))
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_FORBIDDEN,
                   _("The %s role may not see “%s” of %s records"),
                   pct_role_to_string (actor->role), field, entity_name);
      return NULL;
    }

  if (!pct_store_begin (self->store, error))
    return NULL;
  value = read_field (self, target, id, index, error);
  if (value == NULL)
    {
      pct_store_rollback (self->store);
      return NULL;
    }

  /* Written, and committed, before the value leaves the server. */
  json_object_set_string_member (audit, "uuid", uuid);
  json_object_set_int_member (audit, "at", now);
  json_object_set_string_member (audit, "action", "unmask");
  json_object_set_string_member (audit, "entity", entity_name);
  json_object_set_int_member (audit, "entity_id", id);
  json_object_set_string_member (audit, "field", field);
  json_object_set_string_member (audit, "reason", reason);
  if (!write_audit (self, audit, actor->user, &audit_id, &local_error) ||
      !pct_store_commit (self->store, &local_error))
    {
      pct_store_rollback (self->store);
      if (local_error->domain == PCT_RECORD_ERROR || local_error->domain == PCT_HUB_REJECTION)
        g_set_error_literal (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID,
                             local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&value);
}
