/* pct-pick.c — which map feature lies under a point
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A click on the map becomes a point and a tolerance in metres. Point
 * features (incidents, facilities, units, addresses) are found as the
 * nearest within the tolerance, through their R*Tree; areas (buildings,
 * grid cells) as the one containing the point, the smallest when they
 * nest. Layers are tried in a fixed priority, the first hit wins: what is
 * drawn on top is what the user meant to click.
 */

#define G_LOG_DOMAIN "pct-pick"

#include "config.h"

#include <math.h>

#include "pct-geo.h"
#include "pct-pick.h"

typedef struct
{
  PctLayer    layer;
  const char *sql;
} PickQuery;

const PctLayer pct_pick_priority[6] = {
  PCT_LAYER_INCIDENTS,
  PCT_LAYER_FACILITIES,
  PCT_LAYER_UNITS,
  PCT_LAYER_ADDRESSES,
  PCT_LAYER_BUILDINGS,
  PCT_LAYER_GRIDS,
};

#define BOX_WHERE \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 AND r.max_lat >= ?2"

/* Incidents on the map are the live ones; closed and voided cases live in
 * the work order lists. */
static const PickQuery point_queries[] = {
  { PCT_LAYER_INCIDENTS,
    "SELECT t.id, t.lon, t.lat FROM incident_rtree r JOIN incidents t ON t.id = r.id "
    BOX_WHERE " AND t.status IN ('reported', 'filed')" },
  { PCT_LAYER_FACILITIES,
    "SELECT t.id, t.lon, t.lat FROM facility_rtree r JOIN facilities t ON t.id = r.id " BOX_WHERE },
  { PCT_LAYER_UNITS,
    "SELECT t.id, t.lon, t.lat FROM unit_rtree r JOIN units t ON t.id = r.id " BOX_WHERE },
  { PCT_LAYER_ADDRESSES,
    "SELECT t.id, t.lon, t.lat FROM address_rtree r JOIN addresses t ON t.id = r.id " BOX_WHERE },
};

static const PickQuery area_queries[] = {
  { PCT_LAYER_BUILDINGS,
    "SELECT t.id, t.footprint, t.lon, t.lat FROM building_rtree r "
    "JOIN buildings t ON t.id = r.id " BOX_WHERE },
  { PCT_LAYER_GRIDS,
    "SELECT t.id, t.polygon, NULL, NULL FROM grid_rtree r "
    "JOIN grid_cells t ON t.id = r.id " BOX_WHERE },
};

static void
bind_box (sqlite3_stmt *stmt,
          double        min_lon,
          double        min_lat,
          double        max_lon,
          double        max_lat)
{
  sqlite3_bind_double (stmt, 1, min_lon);
  sqlite3_bind_double (stmt, 2, min_lat);
  sqlite3_bind_double (stmt, 3, max_lon);
  sqlite3_bind_double (stmt, 4, max_lat);
}

/* Ties (two features at one spot) go to the lower id, so the answer does
 * not depend on the R*Tree's order. */
static gboolean
pick_point (PctStore        *store,
            const PickQuery *query,
            double           lon,
            double           lat,
            double           radius_m,
            gint64          *id,
            double          *feature_lon,
            double          *feature_lat,
            GError         **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, query->sql, error);
  double dlon = radius_m / pct_geo_metres_per_degree_lon (lat);
  double dlat = radius_m / pct_geo_metres_per_degree_lat (lat);
  double best = G_MAXDOUBLE;
  gboolean found = FALSE;
  int rc;

  if (stmt == NULL)
    return FALSE;

  bind_box (stmt, lon - dlon, lat - dlat, lon + dlon, lat + dlat);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 row_id = sqlite3_column_int64 (stmt, 0);
      double x = sqlite3_column_double (stmt, 1);
      double y = sqlite3_column_double (stmt, 2);
      double d = pct_geo_distance (lon, lat, x, y);

      if (d > radius_m)
        continue;
      if (d < best || (d == best && row_id < *id))
        {
          best = d;
          *id = row_id;
          *feature_lon = x;
          *feature_lat = y;
          found = TRUE;
        }
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "pick");

  return found;
}

static gboolean
pick_area (PctStore        *store,
           const PickQuery *query,
           double           lon,
           double           lat,
           gint64          *id,
           double          *feature_lon,
           double          *feature_lat,
           GError         **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, query->sql, error);
  double best = G_MAXDOUBLE;
  gboolean found = FALSE;
  int rc;

  if (stmt == NULL)
    return FALSE;

  bind_box (stmt, lon, lat, lon, lat);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 row_id = sqlite3_column_int64 (stmt, 0);
      const char *json = (const char *) sqlite3_column_text (stmt, 1);
      g_autoptr(GArray) ring = json != NULL ? pct_geo_parse_coords (json, NULL) : NULL;
      const PctGeoPoint *pts;
      double area;

      if (ring == NULL || ring->len < 3)
        continue;

      pts = (const PctGeoPoint *) (gpointer) ring->data;
      if (!pct_geo_point_in_polygon (pts, ring->len, lon, lat))
        continue;

      area = fabs (pct_geo_polygon_area (pts, ring->len));
      if (area < best || (area == best && row_id < *id))
        {
          best = area;
          *id = row_id;
          if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
            {
              *feature_lon = sqlite3_column_double (stmt, 2);
              *feature_lat = sqlite3_column_double (stmt, 3);
            }
          else
            pct_geo_polygon_centroid (pts, ring->len, feature_lon, feature_lat);
          found = TRUE;
        }
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "pick");

  return found;
}

static gboolean
has_layer (const PctLayer *layers,
           guint           n_layers,
           PctLayer        layer)
{
  for (guint i = 0; i < n_layers; i++)
    if (layers[i] == layer)
      return TRUE;
  return FALSE;
}

/**
 * pct_pick_at:
 * @layers: the layers to look in (others, and roads, are ignored)
 * @radius_m: how far from the point a point feature may be, in metres
 * @layer: (out): the layer of the feature found
 * @id: (out): its id
 * @feature_lon: (out): its position: the point itself, a building's
 *   recorded position, a grid cell's centroid
 *
 * Returns: TRUE when a feature was found; FALSE when there is none (error
 *   unset) or the store failed (error set).
 */
gboolean
pct_pick_at (PctStore        *store,
             const PctLayer  *layers,
             guint            n_layers,
             double           lon,
             double           lat,
             double           radius_m,
             PctLayer        *layer,
             gint64          *id,
             double          *feature_lon,
             double          *feature_lat,
             GError         **error)
{
  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (layers != NULL || n_layers == 0, FALSE);
  g_return_val_if_fail (radius_m >= 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint p = 0; p < G_N_ELEMENTS (pct_pick_priority); p++)
    {
      PctLayer candidate = pct_pick_priority[p];
      gint64 found_id = G_MAXINT64;
      double found_lon = 0, found_lat = 0;
      gboolean found = FALSE;
      GError *local_error = NULL;

      if (!has_layer (layers, n_layers, candidate))
        continue;

      for (guint q = 0; q < G_N_ELEMENTS (point_queries); q++)
        if (point_queries[q].layer == candidate)
          found = pick_point (store, &point_queries[q], lon, lat, radius_m,
                              &found_id, &found_lon, &found_lat, &local_error);
      for (guint q = 0; q < G_N_ELEMENTS (area_queries); q++)
        if (area_queries[q].layer == candidate)
          found = pick_area (store, &area_queries[q], lon, lat,
                             &found_id, &found_lon, &found_lat, &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }

      if (found)
        {
          if (layer != NULL)
            *layer = candidate;
          if (id != NULL)
            *id = found_id;
          if (feature_lon != NULL)
            *feature_lon = found_lon;
          if (feature_lat != NULL)
            *feature_lat = found_lat;
          return TRUE;
        }
    }

  return FALSE;
}
