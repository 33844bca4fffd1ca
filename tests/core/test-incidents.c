/* test-incidents.c — live incidents: loading, refreshing, overdue,
 * clustering and reporting a new one
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-incidents"

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "pct-generator.h"
#include "pct-geo.h"
#include "pct-incidents.h"
#include "pct-outbox.h"
#include "pct-record.h"

/* A fixed "now", so the district is the same on every run. */
#define REFERENCE_TIME 1767196800  /* 2026-01-01 00:00 +08:00 */

#define HOUR 3600

/* The small district, generated once and copied for each test. */
static char *template_path;

static PctStore *
open_district (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *path = NULL;
  gsize length;
  PctStore *store;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  path = g_build_filename (g_get_user_data_dir (), "incidents.db", NULL);
  g_assert_true (g_file_get_contents (template_path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_assert_no_error (error);

  store = pct_store_open (path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  return store;
}

static gint64
query_int (PctStore   *store,
           const char *sql)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  gint64 value;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

/* The same with ?1 bound to a key. */
static gint64
query_int_for (PctStore   *store,
               const char *sql,
               gint64      key)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  gint64 value;

  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, key);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

static void
exec (PctStore   *store,
      const char *sql)
{
  g_autoptr(GError) error = NULL;

  pct_store_exec (store, sql, &error);
  g_assert_no_error (error);
}

/* The live incidents, worked out without the code under test: not closed
 * or voided, or with a case that is. */
static gint64
count_live (PctStore *store)
{
  return query_int (store,
                    "SELECT count(*) FROM incidents i WHERE i.status IN ('reported', 'filed') "
                    "OR EXISTS (SELECT 1 FROM work_orders w WHERE w.incident_id = i.id "
                    "AND w.state NOT IN ('closed', 'evaluated', 'voided'))");
}

static PctIncidentSet *
load (PctStore *store,
      gint64    now)
{
  g_autoptr(GError) error = NULL;
  PctIncidentSet *set = pct_incident_set_new ();

  g_assert_true (pct_incident_set_refresh (set, store, now, NULL, &error));
  g_assert_no_error (error);
  return set;
}

static void
refresh (PctIncidentSet *set,
         PctStore       *store,
         gint64          now,
         guint           expected_changes)
{
  g_autoptr(GError) error = NULL;
  guint n_changed = G_MAXUINT;

  g_assert_true (pct_incident_set_refresh (set, store, now, &n_changed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_changed, ==, expected_changes);
}

static void
test_load (void)
{
  g_autoptr(PctStore) store = open_district ();
  g_autoptr(PctIncidentSet) set = load (store, REFERENCE_TIME);
  const PctIncident *incidents;
  guint n;
  gint64 newest = 0;

  incidents = pct_incident_set_get_incidents (set, &n);
  g_assert_cmpint (n, >, 10);
  g_assert_cmpint (n, ==, count_live (store));

  for (guint i = 0; i < n; i++)
    {
      const PctIncident *incident = &incidents[i];
      double x, y;

      pct_geo_mercator_project (incident->lon, incident->lat, &x, &y);
      g_assert_cmpfloat (incident->x, ==, x);
      g_assert_cmpfloat (incident->y, ==, y);
      g_assert_cmpint (incident->severity, >=, 1);
      g_assert_cmpint (incident->severity, <=, 4);
      g_assert_cmpint (incident->status, <, PCT_INCIDENT_N_STATUSES);
      g_assert_true (pct_incident_set_lookup (set, incident->id) == incident);
      newest = MAX (newest, incident->reported_at);
    }
  g_assert_cmpint (pct_incident_set_get_newest (set), ==, newest);
  g_assert_null (pct_incident_set_lookup (set, -1));

  /* Nothing changed: a refresh finds nothing to do. */
  refresh (set, store, REFERENCE_TIME, 0);
  pct_incident_set_get_incidents (set, &n);
  g_assert_cmpint (n, ==, count_live (store));
}

static void
test_overdue_rules (void)
{
  gint64 now = REFERENCE_TIME;

  g_assert_true (pct_incident_order_is_open ("dispatched"));
  g_assert_true (pct_incident_order_is_open ("parked"));
  g_assert_false (pct_incident_order_is_open ("closed"));
  g_assert_false (pct_incident_order_is_open ("evaluated"));
  g_assert_false (pct_incident_order_is_open ("voided"));

  /* Past the deadline and open: overdue. */
  g_assert_true (pct_incident_order_is_overdue ("dispatched", now - HOUR, 0, now));
  g_assert_false (pct_incident_order_is_overdue ("dispatched", now + HOUR, 0, now));
  /* On the deadline itself: still on time. */
  g_assert_false (pct_incident_order_is_overdue ("disposing", now, 0, now));
  /* An extension counts instead of the first deadline. */
  g_assert_false (pct_incident_order_is_overdue ("disposing", now - HOUR, now + HOUR, now));
  g_assert_true (pct_incident_order_is_overdue ("disposing", now - 2 * HOUR, now - HOUR, now));
  /* Parked cases stand still; closed ones are done; no deadline, no lateness. */
  g_assert_false (pct_incident_order_is_overdue ("parked", now - HOUR, 0, now));
  g_assert_false (pct_incident_order_is_overdue ("closed", now - HOUR, 0, now));
  g_assert_false (pct_incident_order_is_overdue ("filed", 0, 0, now));
}

/* One open, unparked case of the district, given a deadline. */
static gint64
pick_open_case (PctStore *store,
                gint64   *order_id)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT w.id, w.incident_id FROM work_orders w "
                                          "WHERE w.state IN ('dispatched', 'disposing') "
                                          "AND w.incident_id IS NOT NULL ORDER BY w.id LIMIT 1",
                                          &error);
  gint64 incident_id;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  *order_id = sqlite3_column_int64 (stmt, 0);
  incident_id = sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);
  return incident_id;
}

static void
set_deadlines (PctStore *store,
               gint64    order_id,
               gint64    deadline,
               gint64    extended,
               gint64    updated_at,
               const char *state)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "UPDATE work_orders SET deadline = ?, "
                                          "extended_deadline = nullif (?, 0), updated_at = ?, "
                                          "state = ? WHERE id = ?",
                                          &error);

  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, deadline);
  sqlite3_bind_int64 (stmt, 2, extended);
  sqlite3_bind_int64 (stmt, 3, updated_at);
  sqlite3_bind_text (stmt, 4, state, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, order_id);
  pct_store_step_done (store, stmt, &error);
  g_assert_no_error (error);
}

static void
test_overdue (void)
{
  g_autoptr(PctStore) store = open_district ();
  g_autoptr(PctIncidentSet) set = NULL;
  gint64 now = REFERENCE_TIME;
  gint64 order_id;
  gint64 incident_id = pick_open_case (store, &order_id);
  const PctIncident *incident;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  guint n;

  set_deadlines (store, order_id, now + HOUR, 0, now, "disposing");
  set = load (store, now);
  incident = pct_incident_set_lookup (set, incident_id);
  g_assert_nonnull (incident);
  g_assert_cmpint (incident->status, ==, PCT_INCIDENT_IN_HAND);
  g_assert_cmpint (incident->deadline, ==, now + HOUR);
  g_assert_false (incident->overdue);

  /* Time passes the deadline with no row changing. */
  g_assert_true (pct_incident_set_update_overdue (set, now + 2 * HOUR));
  g_assert_true (pct_incident_set_lookup (set, incident_id)->overdue);
  g_assert_false (pct_incident_set_update_overdue (set, now + 2 * HOUR));

  /* Extended: on time again, once the set hears of it. */
  set_deadlines (store, order_id, now + HOUR, now + 5 * HOUR, now + 2 * HOUR, "disposing");
  refresh (set, store, now + 2 * HOUR, 1);
  incident = pct_incident_set_lookup (set, incident_id);
  g_assert_cmpint (incident->deadline, ==, now + 5 * HOUR);
  g_assert_false (incident->overdue);

  /* Past the extension too. */
  set_deadlines (store, order_id, now - 2 * HOUR, now - HOUR, now + 2 * HOUR, "disposing");
  refresh (set, store, now + 2 * HOUR, 1);
  g_assert_true (pct_incident_set_lookup (set, incident_id)->overdue);

  /* Parked: still live, no longer overdue. */
  set_deadlines (store, order_id, now - 2 * HOUR, 0, now + 2 * HOUR, "parked");
  refresh (set, store, now + 2 * HOUR, 1);
  incident = pct_incident_set_lookup (set, incident_id);
  g_assert_nonnull (incident);
  g_assert_cmpint (incident->status, ==, PCT_INCIDENT_PARKED);
  g_assert_false (incident->overdue);

  /* Closed, with its incident: off the map. */
  set_deadlines (store, order_id, now - 2 * HOUR, 0, now + 3 * HOUR, "closed");
  stmt = pct_store_prepare (store, "UPDATE incidents SET status = 'closed' WHERE id = ?", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, incident_id);
  pct_store_step_done (store, stmt, &error);
  g_assert_no_error (error);
  refresh (set, store, now + 3 * HOUR, 1);
  g_assert_null (pct_incident_set_lookup (set, incident_id));
  pct_incident_set_get_incidents (set, &n);
  g_assert_cmpint (count_live (store), ==, n);
}

static guint
count_in_bounds (PctIncidentSet        *set,
                 const PctIncidentView *view)
{
  guint n, count = 0;
  const PctIncident *incidents = pct_incident_set_get_incidents (set, &n);

  for (guint i = 0; i < n; i++)
    if (incidents[i].x >= view->min_x && incidents[i].x <= view->max_x &&
        incidents[i].y >= view->min_y && incidents[i].y <= view->max_y)
      count++;
  return count;
}

static void
check_clusters (PctIncidentSet        *set,
                const PctIncidentView *view,
                gint64                 new_since)
{
  g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (PctIncidentCluster));
  guint expected = count_in_bounds (set, view);
  double cell = view->cell_size / (view->tile_size * exp2 (round (view->zoom)));
  guint visible, total = 0;

  visible = pct_incident_set_cluster (set, view, new_since, clusters);
  g_assert_cmpuint (visible, ==, expected);

  for (guint i = 0; i < clusters->len; i++)
    {
      const PctIncidentCluster *cluster = &g_array_index (clusters, PctIncidentCluster, i);
      const PctIncident *top = pct_incident_set_lookup (set, cluster->id);
      guint n;
      const PctIncident *incidents = pct_incident_set_get_incidents (set, &n);
      guint members = 0;
      guint8 max_severity = 0;
      gboolean any_overdue = FALSE, any_new = FALSE;

      g_assert_cmpuint (cluster->count, >, 0);
      total += cluster->count;
      g_assert_nonnull (top);
      g_assert_cmpint (top->severity, ==, cluster->max_severity);
      g_assert_cmpint (top->status, ==, cluster->status);

      /* Its members are the visible incidents of its cell. */
      for (guint j = 0; j < n; j++)
        {
          const PctIncident *incident = &incidents[j];

          if (incident->x < view->min_x || incident->x > view->max_x ||
              incident->y < view->min_y || incident->y > view->max_y)
            continue;
          if (floor (incident->x / cell) != floor (top->x / cell) ||
              floor (incident->y / cell) != floor (top->y / cell))
            continue;
          members++;
          max_severity = MAX (max_severity, incident->severity);
          any_overdue |= incident->overdue;
          any_new |= incident->reported_at >= new_since;
        }
      g_assert_cmpuint (members, ==, cluster->count);
      g_assert_cmpint (max_severity, ==, cluster->max_severity);
      g_assert_cmpint (any_overdue, ==, cluster->any_overdue);
      g_assert_cmpint (any_new, ==, cluster->any_new);

      /* The centre is the members' mean, inside their cell. */
      g_assert_cmpfloat (floor (cluster->x / cell), ==, floor (top->x / cell));
      g_assert_cmpfloat (floor (cluster->y / cell), ==, floor (top->y / cell));
      if (cluster->count == 1)
        {
          g_assert_cmpfloat (cluster->x, ==, top->x);
          g_assert_cmpfloat (cluster->y, ==, top->y);
        }
    }
  g_assert_cmpuint (total, ==, expected);
}

static void
test_cluster (void)
{
  g_autoptr(PctStore) store = open_district ();
  g_autoptr(PctIncidentSet) set = NULL;
  g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (PctIncidentCluster));
  g_autoptr(GError) error = NULL;
  PctBBox extent;
  PctIncidentView view;
  double x1, y1, x2, y2;
  gint64 order_id;

  /* One case overdue, so that the flag has something to show. */
  pick_open_case (store, &order_id);
  set_deadlines (store, order_id, REFERENCE_TIME - HOUR, 0, REFERENCE_TIME, "dispatched");
  set = load (store, REFERENCE_TIME);

  g_assert_true (pct_store_get_extent (store, &extent, &error));
  g_assert_no_error (error);
  pct_geo_mercator_project (extent.min_lon, extent.max_lat, &x1, &y1);
  pct_geo_mercator_project (extent.max_lon, extent.min_lat, &x2, &y2);

  /* The whole district at low and high zoom, with cells of 48 pixels. */
  for (double zoom = 10; zoom <= 19; zoom += 0.75)
    {
      view = (PctIncidentView) { x1, y1, x2, y2, zoom, 256, 48 };
      check_clusters (set, &view, REFERENCE_TIME - 6 * HOUR);
    }

  /* At low zoom everything falls into a few cells: clusters with counts. */
  view = (PctIncidentView) { x1, y1, x2, y2, 11, 256, 48 };
  g_assert_cmpuint (pct_incident_set_cluster (set, &view, 0, clusters), ==,
                    count_in_bounds (set, &view));
  g_assert_cmpuint (clusters->len, <, count_in_bounds (set, &view));

  /* A quarter of the district: only what lies inside counts. */
  view = (PctIncidentView) { x1, y1, (x1 + x2) / 2, (y1 + y2) / 2, 16, 256, 48 };
  check_clusters (set, &view, 0);

  /* Small cells over a large area: the sparse path. */
  view = (PctIncidentView) { x1 - (x2 - x1), y1 - (y2 - y1), x2, y2, 20, 256, 2 };
  check_clusters (set, &view, G_MAXINT64);

  /* Nothing in view. */
  view = (PctIncidentView) { 0.1, 0.1, 0.1001, 0.1001, 15, 256, 48 };
  g_assert_cmpuint (pct_incident_set_cluster (set, &view, 0, clusters), ==, 0);
  g_assert_cmpuint (clusters->len, ==, 0);
}

/* A point of the district inside a grid cell, worked out independently:
 * the centroid of the first cell's polygon. */
static void
grid_cell_point (PctStore *store,
                 gint64   *grid_id,
                 double   *lon,
                 double   *lat)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT id, polygon FROM grid_cells ORDER BY id LIMIT 1",
                                          &error);
  g_autoptr(GArray) ring = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  *grid_id = sqlite3_column_int64 (stmt, 0);
  ring = pct_geo_parse_coords ((const char *) sqlite3_column_text (stmt, 1), &error);
  sqlite3_reset (stmt);
  g_assert_no_error (error);
  pct_geo_polygon_centroid ((const PctGeoPoint *) (const void *) ring->data, ring->len, lon, lat);
}

static void
test_create (void)
{
  g_autoptr(PctStore) store = open_district ();
  g_autoptr(PctIncidentSet) set = load (store, REFERENCE_TIME);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) root = NULL;
  JsonObject *data;
  sqlite3_stmt *stmt;
  gint64 incidents_before = query_int (store, "SELECT count(*) FROM incidents");
  gint64 id = 0, grid_id, address_id, address_grid, reported_at;
  g_autofree char *uuid = NULL;
  double lon, lat;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  const PctIncident *incident;
  gboolean no_address_near;

  /* At a standard address: that one is the nearest. */
  stmt = pct_store_prepare (store, "SELECT id, lon, lat, grid_id FROM addresses "
                                   "WHERE grid_id IS NOT NULL ORDER BY id LIMIT 1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  address_id = sqlite3_column_int64 (stmt, 0);
  lon = sqlite3_column_double (stmt, 1);
  lat = sqlite3_column_double (stmt, 2);
  address_grid = sqlite3_column_int64 (stmt, 3);
  sqlite3_reset (stmt);

  g_assert_true (pct_incident_create (store, "E0102", lon, lat, "路边暴露垃圾", "operator",
                                      &id, &error));
  g_assert_no_error (error);
  /* A local key until the hub answers, below every key it gives. */
  g_assert_cmpint (id, <, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents"), ==, incidents_before + 1);

  stmt = pct_store_prepare (store,
                            "SELECT i.uuid, c.code, i.source, i.severity, i.status, i.description, "
                            "  i.lon, i.lat, i.address_id, i.grid_id, i.reported_at, i.updated_at "
                            "FROM incidents i JOIN categories c ON c.id = i.category_id "
                            "WHERE i.id = ?", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_true (g_uuid_string_is_valid ((const char *) sqlite3_column_text (stmt, 0)));
  uuid = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "E0102");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "operator");
  g_assert_cmpint (sqlite3_column_int (stmt, 3), ==, PCT_INCIDENT_CREATE_DEFAULT_SEVERITY);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 4), ==, "reported");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 5), ==, "路边暴露垃圾");
  g_assert_cmpfloat (sqlite3_column_double (stmt, 6), ==, lon);
  g_assert_cmpfloat (sqlite3_column_double (stmt, 7), ==, lat);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 8), ==, address_id);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 9), ==, address_grid);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 10), >=, before);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 10), <=, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 11), ==, sqlite3_column_int64 (stmt, 10));
  reported_at = sqlite3_column_int64 (stmt, 10);
  sqlite3_reset (stmt);

  /* Its mutation waits in the outbox: the create of docs/api.md, with the
   * local key and the record's data. */
  stmt = pct_store_prepare (store,
                            "SELECT uuid, entity, op, entity_id, base_version IS NULL, state, "
                            "  payload FROM outbox ORDER BY id DESC LIMIT 1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_true (g_uuid_string_is_valid ((const char *) sqlite3_column_text (stmt, 0)));
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "incident");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "create");
  g_assert_cmpint (sqlite3_column_int64 (stmt, 3), ==, id);
  g_assert_cmpint (sqlite3_column_int (stmt, 4), ==, 1);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 5), ==, "pending");
  root = pct_record_parse (parser, (const char *) sqlite3_column_text (stmt, 6),
                           sqlite3_column_bytes (stmt, 6), &error);
  sqlite3_reset (stmt);
  g_assert_no_error (error);
  data = json_node_get_object (root);
  g_assert_false (json_object_has_member (data, "entity"));
  g_assert_cmpstr (json_object_get_string_member (data, "uuid"), ==, uuid);
  g_assert_cmpstr (json_object_get_string_member (data, "source"), ==, "operator");
  g_assert_cmpint (json_object_get_int_member (data, "severity"), ==,
                   PCT_INCIDENT_CREATE_DEFAULT_SEVERITY);
  g_assert_cmpstr (json_object_get_string_member (data, "status"), ==, "reported");
  g_assert_cmpstr (json_object_get_string_member (data, "description"), ==, "路边暴露垃圾");
  g_assert_cmpint (json_object_get_int_member (data, "address_id"), ==, address_id);
  g_assert_cmpint (json_object_get_int_member (data, "grid_id"), ==, address_grid);
  g_assert_cmpint (json_object_get_int_member (data, "reported_at"), ==, reported_at);
  g_assert_cmpfloat (json_object_get_double_member (data, "lon"), ==, lon);
  g_assert_cmpfloat (json_object_get_double_member (data, "lat"), ==, lat);

  /* The hub keeps the data and gives a key; once the answer has re-keyed
   * the row, the record the feed brings back for it changes nothing. */
  {
    gint64 server_id = query_int (store, "SELECT max(id) + 1 FROM incidents");
    g_autoptr(JsonObject) record = json_object_new ();
    g_autofree char *hash_before = NULL;
    g_autofree char *hash_after = NULL;

    g_assert_true (pct_outbox_rekey (store, "incident", id, server_id, &error));
    g_assert_no_error (error);
    g_assert_cmpint (query_int_for (store, "SELECT count(*) FROM incidents WHERE id = ?1", id),
                     ==, 0);
    g_assert_cmpint (query_int_for (store, "SELECT entity_id FROM outbox WHERE entity = "
                                           "'incident' AND entity_id = ?1", server_id),
                     ==, server_id);

    hash_before = pct_store_content_hash (store, &error);
    g_assert_no_error (error);
    json_object_set_string_member (record, "entity", "incident");
    json_object_set_int_member (record, "id", server_id);
    json_object_set_int_member (record, "version", 1);
    json_object_set_int_member (record, "updated_at", reported_at);
    json_object_set_object_member (record, "data", json_object_ref (data));
    g_assert_true (pct_record_apply (store, record, &error));
    g_assert_no_error (error);
    hash_after = pct_store_content_hash (store, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (hash_before, ==, hash_after);
    id = server_id;
  }

  /* The live set picks it up, new. */
  refresh (set, store, REFERENCE_TIME, 1);
  incident = pct_incident_set_lookup (set, id);
  g_assert_nonnull (incident);
  g_assert_cmpint (incident->status, ==, PCT_INCIDENT_REPORTED);
  g_assert_false (incident->overdue);
  g_assert_cmpint (pct_incident_set_get_newest (set), ==, incident->reported_at);

  /* Away from every address, inside a grid cell: a cell, no address. */
  grid_cell_point (store, &grid_id, &lon, &lat);
  stmt = pct_store_prepare (store, "SELECT count(*) FROM addresses WHERE lon BETWEEN ? AND ? "
                                   "AND lat BETWEEN ? AND ?", &error);
  g_assert_no_error (error);
  sqlite3_bind_double (stmt, 1, lon - 0.001);
  sqlite3_bind_double (stmt, 2, lon + 0.001);
  sqlite3_bind_double (stmt, 3, lat - 0.001);
  sqlite3_bind_double (stmt, 4, lat + 0.001);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  no_address_near = sqlite3_column_int64 (stmt, 0) == 0;
  sqlite3_reset (stmt);
  g_assert_true (pct_incident_create_full (store, NULL, 4, lon, lat, "井盖缺失", "hotline",
                                           REFERENCE_TIME, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, <, 0);
  /* No address within about 100 m: certainly none within 50 m. */
  if (no_address_near)
    g_assert_cmpint (query_int_for (store, "SELECT address_id IS NULL FROM incidents "
                                           "WHERE id = ?1", id), ==, 1);
  g_assert_cmpint (query_int_for (store, "SELECT category_id IS NULL FROM incidents "
                                         "WHERE id = ?1", id), ==, 1);
  g_assert_cmpint (query_int_for (store, "SELECT grid_id FROM incidents WHERE id = ?1", id),
                   ==, grid_id);
  g_assert_cmpint (query_int_for (store, "SELECT severity FROM incidents WHERE id = ?1", id),
                   ==, 4);

  /* Far outside the district: neither. Local keys count down. */
  {
    gint64 previous = id;

    g_assert_true (pct_incident_create (store, "E0102", 100.0, 20.0, "远处", "citizen", &id,
                                        &error));
    g_assert_no_error (error);
    g_assert_cmpint (id, ==, previous - 1);
  }
  g_assert_cmpint (query_int_for (store, "SELECT grid_id IS NULL AND address_id IS NULL "
                                         "FROM incidents WHERE id = ?1", id), ==, 1);
}

static void
test_create_atomic (void)
{
  g_autoptr(PctStore) store = open_district ();
  g_autoptr(GError) error = NULL;
  gint64 incidents = query_int (store, "SELECT count(*) FROM incidents");
  gint64 outbox = query_int (store, "SELECT count(*) FROM outbox");
  gint64 id = 0;

  /* The outbox refuses the mutation: the incident must not stay behind. */
  exec (store, "CREATE TEMP TRIGGER refuse_outbox BEFORE INSERT ON outbox "
               "BEGIN SELECT RAISE (ABORT, 'outbox refused'); END");
  g_assert_false (pct_incident_create (store, "E0102", 106.25, 29.29, "暴露垃圾", "operator",
                                       &id, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (id, ==, 0);
  g_clear_error (&error);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents"), ==, incidents);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM outbox"), ==, outbox);
  g_assert_true (sqlite3_get_autocommit (pct_store_get_handle (store)));

  /* Inside the caller's transaction, a failure undoes only its own part. */
  exec (store, "BEGIN");
  exec (store, "INSERT INTO meta (key, value) VALUES ('test', '1')");
  g_assert_false (pct_incident_create (store, "E0102", 106.25, 29.29, "暴露垃圾", "operator",
                                       &id, &error));
  g_clear_error (&error);
  exec (store, "COMMIT");
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM meta WHERE key = 'test'"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents"), ==, incidents);
  exec (store, "DROP TRIGGER temp.refuse_outbox");

  /* Bad input writes nothing either. */
  g_assert_false (pct_incident_create (store, "NOPE", 106.25, 29.29, "x", "operator", &id, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (pct_incident_create (store, "E0102", 106.25, 29.29, "x", "pigeon", &id, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_incident_create (store, "E0102", 106.25, 29.29, "", "operator", &id, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_incident_create (store, "E0102", 200, 29.29, "x", "operator", &id, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (pct_incident_create_full (store, "E0102", 5, 106.25, 29.29, "x", "operator",
                                            REFERENCE_TIME, &id, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents"), ==, incidents);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM outbox"), ==, outbox);

  /* And a good one after all that writes exactly one of each. */
  g_assert_true (pct_incident_create (store, "E0102", 106.25, 29.29, "暴露垃圾", "operator",
                                      &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM incidents"), ==, incidents + 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM outbox"), ==, outbox + 1);
}

/* Another connection writes; the set, refreshed from its own, follows. */
static void
test_refresh (void)
{
  g_autoptr(PctStore) store = open_district ();
  g_autoptr(PctStore) writer = NULL;
  g_autoptr(PctIncidentSet) set = load (store, REFERENCE_TIME);
  g_autoptr(GError) error = NULL;
  gint64 live = count_live (store);
  gint64 id, server_id;
  guint n;

  writer = pct_store_open (pct_store_get_path (store), PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);

  g_assert_true (pct_incident_create (writer, "E0401", 106.25, 29.29, "路面塌陷", "hotline",
                                      &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, <, 0);
  refresh (set, store, REFERENCE_TIME, 1);
  g_assert_nonnull (pct_incident_set_lookup (set, id));
  pct_incident_set_get_incidents (set, &n);
  g_assert_cmpint (n, ==, live + 1);
  refresh (set, store, REFERENCE_TIME, 0);

  /* The hub's answer gives it a key: the local one leaves, the new one
   * arrives, in one refresh. */
  server_id = query_int (writer, "SELECT max(id) + 1 FROM incidents");
  g_assert_true (pct_outbox_rekey (writer, "incident", id, server_id, &error));
  g_assert_no_error (error);
  refresh (set, store, REFERENCE_TIME, 2);
  g_assert_null (pct_incident_set_lookup (set, id));
  g_assert_nonnull (pct_incident_set_lookup (set, server_id));
  pct_incident_set_get_incidents (set, &n);
  g_assert_cmpint (n, ==, live + 1);
  id = server_id;

  /* Voided (within the same second, as often as not): gone. */
  exec (writer, "UPDATE incidents SET status = 'voided', updated_at = unixepoch () "
                "WHERE id = (SELECT max(id) FROM incidents)");
  refresh (set, store, REFERENCE_TIME, 1);
  g_assert_null (pct_incident_set_lookup (set, id));
  pct_incident_set_get_incidents (set, &n);
  g_assert_cmpint (n, ==, live);
  g_assert_cmpint (n, ==, count_live (store));

  /* A severity change on an existing one comes through too. */
  exec (writer, "UPDATE incidents SET severity = 5 - severity, updated_at = 1900000000 "
                "WHERE id = (SELECT min(id) FROM incidents WHERE status = 'reported')");
  refresh (set, store, REFERENCE_TIME, 1);
  refresh (set, store, REFERENCE_TIME, 0);

  /* A full reload agrees with the incremental result. */
  {
    g_autoptr(PctIncidentSet) fresh = load (store, REFERENCE_TIME);
    guint n_fresh;
    const PctIncident *incidents = pct_incident_set_get_incidents (set, &n);

    pct_incident_set_get_incidents (fresh, &n_fresh);
    g_assert_cmpuint (n, ==, n_fresh);
    for (guint i = 0; i < n; i++)
      {
        const PctIncident *other = pct_incident_set_lookup (fresh, incidents[i].id);

        g_assert_nonnull (other);
        g_assert_cmpint (other->severity, ==, incidents[i].severity);
        g_assert_cmpint (other->status, ==, incidents[i].status);
        g_assert_cmpint (other->deadline, ==, incidents[i].deadline);
      }
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  dir = g_dir_make_tmp ("test-incidents-XXXXXX", &error);
  g_assert_no_error (error);
  template_path = g_build_filename (dir, "district.db", NULL);
  store = pct_store_open (template_path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  pct_generate_district (store, PCT_DISTRICT_SMALL, 1, REFERENCE_TIME, NULL, NULL, &error);
  g_assert_no_error (error);
  pct_store_exec (store, "PRAGMA wal_checkpoint(TRUNCATE)", &error);
  g_assert_no_error (error);
  g_clear_object (&store);

  g_test_add_func ("/incidents/load", test_load);
  g_test_add_func ("/incidents/overdue-rules", test_overdue_rules);
  g_test_add_func ("/incidents/overdue", test_overdue);
  g_test_add_func ("/incidents/cluster", test_cluster);
  g_test_add_func ("/incidents/create", test_create);
  g_test_add_func ("/incidents/create-atomic", test_create_atomic);
  g_test_add_func ("/incidents/refresh", test_refresh);

  status = g_test_run ();

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *file = g_strconcat (template_path, (const char *[]) { "", "-wal", "-shm" }[i],
                                           NULL);
      g_unlink (file);
    }
  g_rmdir (dir);
  g_free (template_path);
  return status;
}
