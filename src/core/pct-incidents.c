/* pct-incidents.c — live incidents for the map: loading, refreshing,
 * clustering on a screen grid, and reporting a new one
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A live incident is one still waiting to be filed or filed, or one with a
 * case (work order) that is still open; a closed or voided one leaves the
 * map. The set is a flat array projected once to normalised Web Mercator,
 * so that the map layer can cluster and draw thousands of them per frame
 * without touching the store. Reading (which may take a while on a large
 * district) is separated from applying, so that it can run on a worker
 * thread with its own connection while the set stays on the main thread.
 */

#define G_LOG_DOMAIN "pct-incidents"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "pct-geo.h"
#include "pct-incidents.h"
#include "pct-outbox.h"
#include "pct-record.h"

struct _PctIncidentChanges
{
  GArray             *rows;      /* PctIncident, overdue not yet judged */
  GArray             *removed;   /* gint64 */
  PctIncidentCursor   cursor;
  guint               full : 1;
  /* Every incident with a local (negative) key was read: one of the set
   * that is in neither rows nor removed has been given the hub's key. */
  guint               all_local : 1;
};

struct _PctIncidentSet
{
  GArray             *incidents; /* PctIncident */
  GHashTable         *index;     /* id (gint64 *) → position + 1 */
  PctIncidentCursor   cursor;
  gint64              newest;
  guint               loaded : 1;
};

/* An address further than this from a new incident is not "its" address. */
#define ADDRESS_RADIUS_M 50.0

/* Cluster grids with more cells than this are kept in a hash table. */
#define MAX_DENSE_CELLS (1 << 16)

/* The states of a case that is still open, as SQL and as a list. */
#define OPEN_STATES_SQL \
  "('filed', 'dispatched', 'disposing', 'disposed', 'verifying', 'returned', 'parked')"

static const char * const open_states[] = {
  "filed", "dispatched", "disposing", "disposed", "verifying", "returned", "parked",
};

static const char * const sources[] = {
  "sensor", "hotline", "grid_worker", "citizen", "inspector", "operator",
};

/* Helpers ------------------------------------------------------------------ */

static gboolean
str_in (const char         *value,
        const char * const *list,
        guint               n)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (value, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static gint64
effective_deadline (gint64 deadline,
                    gint64 extended_deadline)
{
  return extended_deadline > 0 ? extended_deadline : deadline;
}

/* Fills the fields of an incident that come from its row and its open
 * case (state NULL: none). FALSE when it is not live. */
static gboolean
incident_from_row (PctIncident *incident,
                   gint64       id,
                   double       lon,
                   double       lat,
                   int          severity,
                   const char  *status,
                   gint64       reported_at,
                   const char  *order_state,
                   gint64       deadline,
                   gint64       extended_deadline)
{
  memset (incident, 0, sizeof *incident);

  if (order_state == NULL &&
      g_strcmp0 (status, "reported") != 0 && g_strcmp0 (status, "filed") != 0)
    return FALSE;

  incident->id = id;
  incident->lon = lon;
  incident->lat = lat;
  incident->severity = (guint8) CLAMP (severity, 1, 4);
  incident->reported_at = reported_at;
  pct_geo_mercator_project (lon, lat, &incident->x, &incident->y);

  if (order_state == NULL)
    incident->status = g_str_equal (status, "reported") ? PCT_INCIDENT_REPORTED
                                                         : PCT_INCIDENT_FILED;
  else if (g_str_equal (order_state, "parked"))
    incident->status = PCT_INCIDENT_PARKED;
  else if (g_str_equal (order_state, "filed") || g_str_equal (order_state, "returned"))
    incident->status = PCT_INCIDENT_FILED;
  else
    incident->status = PCT_INCIDENT_IN_HAND;

  /* A parked case's clock stands still: it has no deadline to miss. */
  if (order_state != NULL && incident->status != PCT_INCIDENT_PARKED)
    incident->deadline = effective_deadline (deadline, extended_deadline);

  return TRUE;
}

static gint64
column_int64_or_zero (sqlite3_stmt *stmt,
                      int           column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL ? 0
                                                           : sqlite3_column_int64 (stmt, column);
}

static gboolean
read_max (PctStore    *store,
          const char  *sql,
          gint64      *max_id,
          gint64      *max_updated_at,
          GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *max_id = column_int64_or_zero (stmt, 0);
      *max_updated_at = column_int64_or_zero (stmt, 1);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    return pct_store_set_sql_error (store, error, "Cannot read the latest incident change");
  return TRUE;
}

typedef struct
{
  gint64 order_id;
  gint64 deadline;
  gint64 extended_deadline;
  char   state[16];
} OpenOrder;

static gboolean
read_everything (PctStore            *store,
                 PctIncidentChanges  *changes,
                 GError             **error)
{
  g_autoptr(GHashTable) orders = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                        g_free, g_free);
  sqlite3_stmt *stmt;
  int rc;

  /* The cursor first: a row changed while reading is then read again
   * next time rather than missed. Within one read transaction the two
   * agree anyway. */
  if (!read_max (store, "SELECT max(id), max(updated_at) FROM incidents",
                 &changes->cursor.max_incident_id, &changes->cursor.incident_updated_at,
                 error) ||
      !read_max (store, "SELECT max(id), max(updated_at) FROM work_orders",
                 &changes->cursor.max_order_id, &changes->cursor.order_updated_at, error))
    return FALSE;

  stmt = pct_store_prepare (store,
                            "SELECT incident_id, id, state, deadline, extended_deadline "
                            "FROM work_orders WHERE state IN " OPEN_STATES_SQL " "
                            "AND incident_id IS NOT NULL",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 incident_id = sqlite3_column_int64 (stmt, 0);
      OpenOrder *order = g_hash_table_lookup (orders, &incident_id);

      /* Of two open cases on one incident, the later one counts. */
      if (order == NULL)
        {
          order = g_new0 (OpenOrder, 1);
          g_hash_table_insert (orders, g_memdup2 (&incident_id, sizeof incident_id), order);
        }
      else if (order->order_id > sqlite3_column_int64 (stmt, 1))
        continue;

      order->order_id = sqlite3_column_int64 (stmt, 1);
      g_strlcpy (order->state, (const char *) sqlite3_column_text (stmt, 2), sizeof order->state);
      order->deadline = column_int64_or_zero (stmt, 3);
      order->extended_deadline = column_int64_or_zero (stmt, 4);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "Cannot read open cases");

  stmt = pct_store_prepare (store,
                            "SELECT id, lon, lat, severity, status, reported_at FROM incidents "
                            "WHERE status IN ('reported', 'filed') OR id IN "
                            "(SELECT incident_id FROM work_orders WHERE state IN "
                            OPEN_STATES_SQL ")",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      const OpenOrder *order = g_hash_table_lookup (orders, &id);
      PctIncident incident;

      if (incident_from_row (&incident, id,
                             sqlite3_column_double (stmt, 1),
                             sqlite3_column_double (stmt, 2),
                             sqlite3_column_int (stmt, 3),
                             (const char *) sqlite3_column_text (stmt, 4),
                             sqlite3_column_int64 (stmt, 5),
                             order ? order->state : NULL,
                             order ? order->deadline : 0,
                             order ? order->extended_deadline : 0))
        g_array_append_val (changes->rows, incident);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "Cannot read live incidents");

  return TRUE;
}

/* Adds to ids what changed after the cursor in one table, and moves the
 * cursor on. Rows at the cursor's own second are read again: another
 * change may have landed within that second after the last read. */
static gboolean
collect_changed (PctStore    *store,
                 const char  *sql,
                 gint64      *max_id,
                 gint64      *updated_at,
                 GHashTable  *ids,
                 GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);
  gint64 new_max_id = *max_id;
  gint64 new_updated_at = *updated_at;
  int rc;

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, *max_id);
  sqlite3_bind_int64 (stmt, 2, *updated_at);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 row_id = sqlite3_column_int64 (stmt, 0);
      gint64 incident_id = sqlite3_column_int64 (stmt, 1);
      gint64 row_updated_at = sqlite3_column_int64 (stmt, 2);

      new_max_id = MAX (new_max_id, row_id);
      new_updated_at = MAX (new_updated_at, row_updated_at);
      if (incident_id != 0)
        g_hash_table_add (ids, g_memdup2 (&incident_id, sizeof incident_id));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "Cannot read changed incidents");

  *max_id = new_max_id;
  *updated_at = new_updated_at;
  return TRUE;
}

/* Incidents reported here and not yet acknowledged by the hub have
 * negative keys, below any cursor, and few: they are read every time. */
static gboolean
collect_local (PctStore    *store,
               GHashTable  *ids,
               GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT id FROM incidents WHERE id < 0", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_hash_table_add (ids, g_memdup2 (&id, sizeof id));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "Cannot read local incidents");
  return TRUE;
}

static gboolean
read_since (PctStore                 *store,
            const PctIncidentCursor  *cursor,
            PctIncidentChanges       *changes,
            GError                  **error)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key;
  sqlite3_stmt *stmt;

  changes->cursor = *cursor;
  if (!collect_changed (store,
                        "SELECT id, id, updated_at FROM incidents "
                        "WHERE id > ?1 OR updated_at >= ?2",
                        &changes->cursor.max_incident_id, &changes->cursor.incident_updated_at,
                        ids, error) ||
      !collect_changed (store,
                        "SELECT id, incident_id, updated_at FROM work_orders "
                        "WHERE id > ?1 OR updated_at >= ?2",
                        &changes->cursor.max_order_id, &changes->cursor.order_updated_at,
                        ids, error) ||
      !collect_local (store, ids, error))
    return FALSE;
  changes->all_local = TRUE;

  stmt = pct_store_prepare (store,
                            "SELECT i.lon, i.lat, i.severity, i.status, i.reported_at, "
                            "  w.state, w.deadline, w.extended_deadline "
                            "FROM incidents i LEFT JOIN work_orders w ON w.id = "
                            "  (SELECT max(id) FROM work_orders "
                            "   WHERE incident_id = i.id AND state IN " OPEN_STATES_SQL ") "
                            "WHERE i.id = ?",
                            error);
  if (stmt == NULL)
    return FALSE;

  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      gint64 id = *(gint64 *) key;
      PctIncident incident;
      gboolean live = FALSE;
      int rc;

      sqlite3_bind_int64 (stmt, 1, id);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        live = incident_from_row (&incident, id,
                                  sqlite3_column_double (stmt, 0),
                                  sqlite3_column_double (stmt, 1),
                                  sqlite3_column_int (stmt, 2),
                                  (const char *) sqlite3_column_text (stmt, 3),
                                  sqlite3_column_int64 (stmt, 4),
                                  (const char *) sqlite3_column_text (stmt, 5),
                                  column_int64_or_zero (stmt, 6),
                                  column_int64_or_zero (stmt, 7));
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return pct_store_set_sql_error (store, error, "Cannot read an incident");

      if (live)
        g_array_append_val (changes->rows, incident);
      else
        g_array_append_val (changes->removed, id);
    }

  return TRUE;
}

/* The set ----------------------------------------------------------------- */

static void
set_remove_at (PctIncidentSet *set,
               guint           position)
{
  PctIncident *incidents = (PctIncident *) (void *) set->incidents->data;
  guint last = set->incidents->len - 1;

  g_hash_table_remove (set->index, &incidents[position].id);
  if (position != last)
    {
      incidents[position] = incidents[last];
      /* Replace, not insert: the key must point at the new place too. */
      g_hash_table_replace (set->index, &incidents[position].id, GUINT_TO_POINTER (position + 1));
    }
  g_array_set_size (set->incidents, last);
}

/* The hash table's keys point into the array, which may move when it
 * grows: rebuilt then. */
static void
set_reindex (PctIncidentSet *set)
{
  PctIncident *incidents = (PctIncident *) (void *) set->incidents->data;

  g_hash_table_remove_all (set->index);
  for (guint i = 0; i < set->incidents->len; i++)
    g_hash_table_insert (set->index, &incidents[i].id, GUINT_TO_POINTER (i + 1));
}

static gboolean
same_incident (const PctIncident *a,
               const PctIncident *b)
{
  return a->reported_at == b->reported_at && a->deadline == b->deadline &&
         a->lon == b->lon && a->lat == b->lat && a->severity == b->severity &&
         a->status == b->status && a->overdue == b->overdue;
}

static void
update_newest (PctIncidentSet *set)
{
  const PctIncident *incidents = (const PctIncident *) (const void *) set->incidents->data;

  set->newest = 0;
  for (guint i = 0; i < set->incidents->len; i++)
    set->newest = MAX (set->newest, incidents[i].reported_at);
}

static gboolean
is_overdue (const PctIncident *incident,
            gint64             now)
{
  return incident->deadline > 0 && now > incident->deadline;
}

/* Clustering -------------------------------------------------------------- */

static void
cluster_add (PctIncidentCluster *cluster,
             const PctIncident  *incident,
             gint64              new_since)
{
  gboolean is_new = incident->reported_at >= new_since;

  if (cluster->count == 0 ||
      incident->severity > cluster->max_severity ||
      (incident->severity == cluster->max_severity &&
       incident->reported_at > cluster->newest_reported_at))
    {
      cluster->id = incident->id;
      cluster->status = incident->status;
    }

  /* Sums until the end; then divided into the mean. */
  cluster->x += incident->x;
  cluster->y += incident->y;
  cluster->count++;
  cluster->max_severity = MAX (cluster->max_severity, incident->severity);
  cluster->newest_reported_at = MAX (cluster->newest_reported_at, incident->reported_at);
  cluster->any_overdue |= incident->overdue;
  cluster->any_new |= is_new;
}

/* Public API -------------------------------------------------------------- */

PctIncidentChanges *
pct_incident_changes_read (PctStore                 *store,
                           const PctIncidentCursor  *cursor,
                           GError                  **error)
{
  g_autoptr(PctIncidentChanges) changes = g_new0 (PctIncidentChanges, 1);
  sqlite3 *db;
  gboolean own_transaction;
  gboolean ok;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);

  changes->rows = g_array_new (FALSE, FALSE, sizeof (PctIncident));
  changes->removed = g_array_new (FALSE, FALSE, sizeof (gint64));
  changes->full = cursor == NULL;

  /* One read transaction, so that the cursor and the rows describe the
   * same moment of the store. */
  db = pct_store_get_handle (store);
  own_transaction = sqlite3_get_autocommit (db);
  if (own_transaction && !pct_store_exec (store, "BEGIN", error))
    return NULL;

  ok = cursor == NULL ? read_everything (store, changes, error)
                      : read_since (store, cursor, changes, error);

  if (own_transaction)
    {
      if (ok)
        ok = pct_store_commit (store, error);
      else
        pct_store_rollback (store);
    }

  return ok ? g_steal_pointer (&changes) : NULL;
}

void
pct_incident_changes_free (PctIncidentChanges *changes)
{
  if (changes == NULL)
    return;

  g_array_unref (changes->rows);
  g_array_unref (changes->removed);
  g_free (changes);
}

PctIncidentSet *
pct_incident_set_new (void)
{
  PctIncidentSet *set = g_new0 (PctIncidentSet, 1);

  set->incidents = g_array_new (FALSE, FALSE, sizeof (PctIncident));
  set->index = g_hash_table_new (g_int64_hash, g_int64_equal);
  return set;
}

void
pct_incident_set_free (PctIncidentSet *set)
{
  if (set == NULL)
    return;

  g_hash_table_unref (set->index);
  g_array_unref (set->incidents);
  g_free (set);
}

const PctIncident *
pct_incident_set_get_incidents (PctIncidentSet *set,
                                guint          *n_incidents)
{
  g_return_val_if_fail (set != NULL, NULL);

  if (n_incidents != NULL)
    *n_incidents = set->incidents->len;
  return (const PctIncident *) (const void *) set->incidents->data;
}

const PctIncident *
pct_incident_set_lookup (PctIncidentSet *set,
                         gint64          id)
{
  guint position;

  g_return_val_if_fail (set != NULL, NULL);

  position = GPOINTER_TO_UINT (g_hash_table_lookup (set->index, &id));
  if (position == 0)
    return NULL;
  return &g_array_index (set->incidents, PctIncident, position - 1);
}

void
pct_incident_set_get_cursor (PctIncidentSet    *set,
                             PctIncidentCursor *cursor)
{
  g_return_if_fail (set != NULL);
  g_return_if_fail (cursor != NULL);

  *cursor = set->cursor;
}

gint64
pct_incident_set_get_newest (PctIncidentSet *set)
{
  g_return_val_if_fail (set != NULL, 0);

  return set->newest;
}

guint
pct_incident_set_apply (PctIncidentSet           *set,
                        const PctIncidentChanges *changes,
                        gint64                    now)
{
  guint n_changed = 0;

  g_return_val_if_fail (set != NULL, 0);
  g_return_val_if_fail (changes != NULL, 0);

  /* A full read replaces the set: what it does not hold is gone. */
  if (changes->full)
    {
      g_autoptr(GHashTable) keep = g_hash_table_new (g_int64_hash, g_int64_equal);

      for (guint i = 0; i < changes->rows->len; i++)
        g_hash_table_add (keep, &g_array_index (changes->rows, PctIncident, i).id);

      for (guint i = set->incidents->len; i-- > 0;)
        if (!g_hash_table_contains (keep, &g_array_index (set->incidents, PctIncident, i).id))
          {
            set_remove_at (set, i);
            n_changed++;
          }
    }

  /* A local incident gone from the store has been given the hub's key
   * (or merged with the hub's row); its new key arrives as a change. */
  if (!changes->full && changes->all_local)
    {
      g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);

      for (guint i = 0; i < changes->rows->len; i++)
        g_hash_table_add (seen, &g_array_index (changes->rows, PctIncident, i).id);
      for (guint i = 0; i < changes->removed->len; i++)
        g_hash_table_add (seen, &g_array_index (changes->removed, gint64, i));

      for (guint i = set->incidents->len; i-- > 0;)
        {
          const PctIncident *incident = &g_array_index (set->incidents, PctIncident, i);

          if (incident->id < 0 && !g_hash_table_contains (seen, &incident->id))
            {
              set_remove_at (set, i);
              n_changed++;
            }
        }
    }

  for (guint i = 0; i < changes->removed->len; i++)
    {
      gint64 id = g_array_index (changes->removed, gint64, i);
      guint position = GPOINTER_TO_UINT (g_hash_table_lookup (set->index, &id));

      if (position > 0)
        {
          set_remove_at (set, position - 1);
          n_changed++;
        }
    }

  for (guint i = 0; i < changes->rows->len; i++)
    {
      PctIncident incident = g_array_index (changes->rows, PctIncident, i);
      guint position = GPOINTER_TO_UINT (g_hash_table_lookup (set->index, &incident.id));
      const PctIncident *data;

      incident.overdue = is_overdue (&incident, now);
      if (position > 0)
        {
          PctIncident *existing = &g_array_index (set->incidents, PctIncident, position - 1);

          if (!same_incident (existing, &incident))
            {
              *existing = incident;
              n_changed++;
            }
          continue;
        }

      data = (const PctIncident *) (const void *) set->incidents->data;
      g_array_append_val (set->incidents, incident);
      if ((const void *) set->incidents->data != (const void *) data)
        set_reindex (set);
      else
        g_hash_table_insert (set->index,
                             &g_array_index (set->incidents, PctIncident, set->incidents->len - 1).id,
                             GUINT_TO_POINTER (set->incidents->len));
      n_changed++;
    }

  if (changes->full)
    set->cursor = changes->cursor;
  else
    {
      set->cursor.max_incident_id = MAX (set->cursor.max_incident_id,
                                         changes->cursor.max_incident_id);
      set->cursor.incident_updated_at = MAX (set->cursor.incident_updated_at,
                                             changes->cursor.incident_updated_at);
      set->cursor.max_order_id = MAX (set->cursor.max_order_id, changes->cursor.max_order_id);
      set->cursor.order_updated_at = MAX (set->cursor.order_updated_at,
                                          changes->cursor.order_updated_at);
    }
  set->loaded = TRUE;
  update_newest (set);

  return n_changed;
}

gboolean
pct_incident_set_refresh (PctIncidentSet  *set,
                          PctStore        *store,
                          gint64           now,
                          guint           *n_changed,
                          GError         **error)
{
  g_autoptr(PctIncidentChanges) changes = NULL;
  guint changed;

  g_return_val_if_fail (set != NULL, FALSE);
  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);

  changes = pct_incident_changes_read (store, set->loaded ? &set->cursor : NULL, error);
  if (changes == NULL)
    return FALSE;

  changed = pct_incident_set_apply (set, changes, now);
  if (n_changed != NULL)
    *n_changed = changed;
  return TRUE;
}

gboolean
pct_incident_set_update_overdue (PctIncidentSet *set,
                                 gint64          now)
{
  PctIncident *incidents;
  gboolean changed = FALSE;

  g_return_val_if_fail (set != NULL, FALSE);

  incidents = (PctIncident *) (void *) set->incidents->data;
  for (guint i = 0; i < set->incidents->len; i++)
    {
      guint8 overdue = is_overdue (&incidents[i], now);

      if (incidents[i].overdue != overdue)
        {
          incidents[i].overdue = overdue;
          changed = TRUE;
        }
    }
  return changed;
}

guint
pct_incident_set_cluster (PctIncidentSet        *set,
                          const PctIncidentView *view,
                          gint64                 new_since,
                          GArray                *clusters)
{
  const PctIncident *incidents;
  g_autofree gint32 *dense = NULL;
  g_autoptr(GHashTable) sparse = NULL;
  double cell;
  gint64 col0, row0, n_cols, n_rows;
  guint n_visible = 0;

  g_return_val_if_fail (set != NULL, 0);
  g_return_val_if_fail (view != NULL, 0);
  g_return_val_if_fail (clusters != NULL, 0);
  g_return_val_if_fail (g_array_get_element_size (clusters) == sizeof (PctIncidentCluster), 0);
  g_return_val_if_fail (view->tile_size > 0 && view->cell_size > 0, 0);

  g_array_set_size (clusters, 0);
  if (view->max_x < view->min_x || view->max_y < view->min_y)
    return 0;

  /* The cell in normalised units, at the nearest whole zoom level. */
  cell = view->cell_size / (view->tile_size * exp2 (round (CLAMP (view->zoom, 0, 30))));
  col0 = (gint64) floor (view->min_x / cell);
  row0 = (gint64) floor (view->min_y / cell);
  n_cols = (gint64) floor (view->max_x / cell) - col0 + 1;
  n_rows = (gint64) floor (view->max_y / cell) - row0 + 1;

  if (n_cols * n_rows <= MAX_DENSE_CELLS)
    {
      dense = g_new (gint32, n_cols * n_rows);
      memset (dense, 0xff, sizeof (gint32) * n_cols * n_rows);
    }
  else
    sparse = g_hash_table_new (g_int64_hash, g_int64_equal);

  incidents = (const PctIncident *) (const void *) set->incidents->data;
  for (guint i = 0; i < set->incidents->len; i++)
    {
      const PctIncident *incident = &incidents[i];
      gint64 col, row, key;
      gint32 slot;

      if (incident->x < view->min_x || incident->x > view->max_x ||
          incident->y < view->min_y || incident->y > view->max_y)
        continue;

      col = CLAMP ((gint64) floor (incident->x / cell) - col0, 0, n_cols - 1);
      row = CLAMP ((gint64) floor (incident->y / cell) - row0, 0, n_rows - 1);
      key = row * n_cols + col;

      if (dense != NULL)
        slot = dense[key];
      else
        slot = GPOINTER_TO_INT (g_hash_table_lookup (sparse, &key)) - 1;

      if (slot < 0)
        {
          PctIncidentCluster empty = { 0 };

          slot = (gint32) clusters->len;
          g_array_append_val (clusters, empty);
          if (dense != NULL)
            dense[key] = slot;
          else
            g_hash_table_insert (sparse, g_memdup2 (&key, sizeof key),
                                 GINT_TO_POINTER (slot + 1));
        }

      cluster_add (&g_array_index (clusters, PctIncidentCluster, slot), incident, new_since);
      n_visible++;
    }

  for (guint i = 0; i < clusters->len; i++)
    {
      PctIncidentCluster *cluster = &g_array_index (clusters, PctIncidentCluster, i);

      cluster->x /= cluster->count;
      cluster->y /= cluster->count;
    }

  if (sparse != NULL)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, sparse);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_free (key);
    }

  return n_visible;
}

gboolean
pct_incident_order_is_open (const char *state)
{
  return str_in (state, open_states, G_N_ELEMENTS (open_states));
}

gboolean
pct_incident_order_is_overdue (const char *state,
                               gint64      deadline,
                               gint64      extended_deadline,
                               gint64      now)
{
  gint64 due = effective_deadline (deadline, extended_deadline);

  return pct_incident_order_is_open (state) && g_strcmp0 (state, "parked") != 0 &&
         due > 0 && now > due;
}

/* Creating ---------------------------------------------------------------- */

static gboolean
lookup_category (PctStore    *store,
                 const char  *code,
                 gint64      *category_id,
                 GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT id FROM categories WHERE code = ?",
                                          error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, code, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *category_id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND,
                   _("No category has the code “%s”"), code);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return pct_store_set_sql_error (store, error, "Cannot look up the category");
  return TRUE;
}

/* The new row's data as a record of docs/records.md gives it, which is
 * what the hub takes for an incident create. */
static char *
incident_data (PctStore    *store,
               gint64       id,
               GError     **error)
{
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GString) data = g_string_new (NULL);
  g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  const char *keys[] = { key };

  reader = pct_record_reader_new_for_keys (store, pct_record_entity_lookup ("incident"), keys, 1,
                                           error);
  if (reader == NULL)
    return NULL;
  if (!pct_record_reader_next (reader, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND,
                     "The new incident %" G_GINT64_FORMAT " cannot be read back", id);
      return NULL;
    }
  pct_record_reader_append_data (reader, data);
  return g_string_free (g_steal_pointer (&data), FALSE);
}

static gboolean
insert_incident (PctStore    *store,
                 const char  *category_code,
                 int          severity,
                 double       lon,
                 double       lat,
                 const char  *description,
                 const char  *source,
                 gint64       reported_at,
                 gint64      *id,
                 GError     **error)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *payload = NULL;
  gint64 category_id = 0;
  gint64 grid_id = 0;
  gint64 address_id = 0;
  sqlite3_stmt *stmt;

  if ((category_code != NULL && !lookup_category (store, category_code, &category_id, error)) ||
      !pct_store_find_grid_cell (store, lon, lat, &grid_id, error) ||
      !pct_store_find_nearest_address (store, lon, lat, ADDRESS_RADIUS_M, &address_id, error))
    return FALSE;

  /* A local key until the hub's answer gives the incident its own. */
  *id = pct_store_next_local_id (store, "incidents", error);
  if (*id == 0)
    return FALSE;

  stmt = pct_store_prepare (store,
                            "INSERT INTO incidents (id, uuid, category_id, source, severity, "
                            "  status, description, lon, lat, address_id, grid_id, reported_at, "
                            "  version, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, 'reported', ?, ?, ?, ?, ?, ?, 1, ?)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, *id);
  sqlite3_bind_text (stmt, 2, uuid, -1, SQLITE_STATIC);
  if (category_id > 0)
    sqlite3_bind_int64 (stmt, 3, category_id);
  sqlite3_bind_text (stmt, 4, source, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 5, severity);
  sqlite3_bind_text (stmt, 6, description, -1, SQLITE_STATIC);
  sqlite3_bind_double (stmt, 7, lon);
  sqlite3_bind_double (stmt, 8, lat);
  if (address_id > 0)
    sqlite3_bind_int64 (stmt, 9, address_id);
  if (grid_id > 0)
    sqlite3_bind_int64 (stmt, 10, grid_id);
  sqlite3_bind_int64 (stmt, 11, reported_at);
  sqlite3_bind_int64 (stmt, 12, reported_at);
  if (!pct_store_step_done (store, stmt, error))
    return FALSE;

  payload = incident_data (store, *id, error);
  return payload != NULL &&
         pct_outbox_add (store, "incident", "create", *id, 0, payload, NULL, error);
}

gboolean
pct_incident_create_full (PctStore    *store,
                          const char  *category_code,
                          int          severity,
                          double       lon,
                          double       lat,
                          const char  *description,
                          const char  *source,
                          gint64       reported_at,
                          gint64      *id,
                          GError     **error)
{
  sqlite3 *db;
  gboolean own_transaction;
  gint64 new_id = 0;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (description == NULL || *description == '\0' || !g_utf8_validate (description, -1, NULL) ||
      strlen (description) > 4096)
    {
      g_set_error_literal (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                           _("An incident needs a description of at most 4,096 bytes"));
      return FALSE;
    }
  if (!str_in (source, sources, G_N_ELEMENTS (sources)))
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("“%s” is not a source of incidents"), source ? source : "(null)");
      return FALSE;
    }
  if (severity < 1 || severity > 4)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("Severity %d is outside 1–4"), severity);
      return FALSE;
    }
  if (!isfinite (lon) || !isfinite (lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 ||
      (lon == 0 && lat == 0))
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("%g, %g is not a position"), lat, lon);
      return FALSE;
    }

  /* Both rows or neither: an incident the hub never hears of, or a
   * mutation without its row, would be worse than nothing. */
  db = pct_store_get_handle (store);
  own_transaction = sqlite3_get_autocommit (db);
  if (own_transaction)
    {
      if (!pct_store_begin (store, error))
        return FALSE;
    }
  else if (!pct_store_exec (store, "SAVEPOINT pct_incident_create", error))
    return FALSE;

  if (!insert_incident (store, category_code, severity, lon, lat, description, source,
                        reported_at, &new_id, error))
    {
      if (own_transaction)
        pct_store_rollback (store);
      else
        {
          pct_store_exec (store, "ROLLBACK TO pct_incident_create", NULL);
          pct_store_exec (store, "RELEASE pct_incident_create", NULL);
        }
      return FALSE;
    }

  if (own_transaction ? !pct_store_commit (store, error)
                      : !pct_store_exec (store, "RELEASE pct_incident_create", error))
    {
      if (own_transaction)
        pct_store_rollback (store);
      return FALSE;
    }

  if (id != NULL)
    *id = new_id;
  return TRUE;
}

gboolean
pct_incident_create (PctStore    *store,
                     const char  *category_code,
                     double       lon,
                     double       lat,
                     const char  *description,
                     const char  *source,
                     gint64      *id,
                     GError     **error)
{
  return pct_incident_create_full (store, category_code, PCT_INCIDENT_CREATE_DEFAULT_SEVERITY,
                                   lon, lat, description, source,
                                   g_get_real_time () / G_USEC_PER_SEC, id, error);
}
