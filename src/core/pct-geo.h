/* pct-geo.h — small geometry helpers for district-sized areas and the map
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* WGS-84 semi-major axis; also the sphere radius of Web Mercator. */
#define PCT_GEO_EARTH_RADIUS 6378137.0

/* Web Mercator stops here so that the world is a square. */
#define PCT_GEO_MERCATOR_MAX_LAT 85.05112877980659

/* A point: x is longitude (or east), y latitude (or north). */
typedef struct
{
  double x;
  double y;
} PctGeoPoint;

/* A local flat frame in metres around an origin (east, north). Within a
 * district (tens of kilometres) its error is a few centimetres per
 * hundred metres, far below what any use of it can see. */
typedef struct
{
  double lon0;
  double lat0;
  double metres_per_deg_lon;
  double metres_per_deg_lat;
} PctGeoFrame;

double    pct_geo_metres_per_degree_lat  (double lat);
double    pct_geo_metres_per_degree_lon  (double lat);

/* Great-circle distance in metres. */
double    pct_geo_distance               (double lon1,
                                          double lat1,
                                          double lon2,
                                          double lat2);

void      pct_geo_frame_init             (PctGeoFrame       *frame,
                                          double             lon0,
                                          double             lat0);
void      pct_geo_frame_to_lonlat        (const PctGeoFrame *frame,
                                          double             x,
                                          double             y,
                                          double            *lon,
                                          double            *lat);
void      pct_geo_frame_from_lonlat      (const PctGeoFrame *frame,
                                          double             lon,
                                          double             lat,
                                          double            *x,
                                          double            *y);

/* Polygons are open rings: the first point is not repeated at the end
 * (a repeated one is harmless to every function here). */
gboolean  pct_geo_point_in_polygon       (const PctGeoPoint *ring,
                                          guint              n,
                                          double             x,
                                          double             y);
/* Signed: positive when the ring runs counter-clockwise (x east, y north). */
double    pct_geo_polygon_area           (const PctGeoPoint *ring,
                                          guint              n);
/* Area centroid; the mean of the points for a degenerate ring. */
void      pct_geo_polygon_centroid       (const PctGeoPoint *ring,
                                          guint              n,
                                          double            *cx,
                                          double            *cy);

/* Distance from a point to a polyline, in the points' own units. */
double    pct_geo_distance_to_polyline   (const PctGeoPoint *line,
                                          guint              n,
                                          double             x,
                                          double             y);

/* Writes [[x,y],[x,y],…] with 7 decimals (about 1 cm in degrees): the
 * coordinate lists stored in the schema's geometry columns. */
void      pct_geo_append_coords          (GString           *out,
                                          const PctGeoPoint *points,
                                          guint              n);
/* Reads such a list back; NULL with error when it is not one. */
GArray   *pct_geo_parse_coords           (const char        *json,
                                          GError           **error);

/* Web Mercator in normalised units: x and y in [0, 1], y growing south,
 * as tiles are numbered. Latitudes beyond the Mercator limit are clamped. */
void      pct_geo_mercator_project       (double             lon,
                                          double             lat,
                                          double            *x,
                                          double            *y);
void      pct_geo_mercator_unproject     (double             x,
                                          double             y,
                                          double            *lon,
                                          double            *lat);

G_END_DECLS
