/* pct-geo.c — small geometry helpers for district-sized areas and the map
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here works on plain doubles so that the generator, the store's
 * checks and the map's tile renderers share one implementation without
 * allocating per point.
 */

#define G_LOG_DOMAIN "pct-geo"

#include "config.h"

#include <gio/gio.h>
#include <math.h>

#include "pct-geo.h"

#define DEG_TO_RAD (G_PI / 180.0)

/* The mean Earth radius (IUGG), the usual choice for haversine. */
#define MEAN_RADIUS 6371008.8

/* Series expansions of the WGS-84 ellipsoid's meridian and parallel
 * arc lengths per degree; accurate to well under a metre per degree. */
double
pct_geo_metres_per_degree_lat (double lat)
{
  double phi = lat * DEG_TO_RAD;

  return 111132.92 - 559.82 * cos (2 * phi) + 1.175 * cos (4 * phi) - 0.0023 * cos (6 * phi);
}

double
pct_geo_metres_per_degree_lon (double lat)
{
  double phi = lat * DEG_TO_RAD;

  return 111412.84 * cos (phi) - 93.5 * cos (3 * phi) + 0.118 * cos (5 * phi);
}

double
pct_geo_distance (double lon1,
                  double lat1,
                  double lon2,
                  double lat2)
{
  double dlat = (lat2 - lat1) * DEG_TO_RAD;
  double dlon = (lon2 - lon1) * DEG_TO_RAD;
  double a = sin (dlat / 2) * sin (dlat / 2) +
             cos (lat1 * DEG_TO_RAD) * cos (lat2 * DEG_TO_RAD) * sin (dlon / 2) * sin (dlon / 2);

  return 2 * MEAN_RADIUS * atan2 (sqrt (a), sqrt (MAX (0.0, 1 - a)));
}

void
pct_geo_frame_init (PctGeoFrame *frame,
                    double       lon0,
                    double       lat0)
{
  g_return_if_fail (frame != NULL);

  frame->lon0 = lon0;
  frame->lat0 = lat0;
  frame->metres_per_deg_lon = pct_geo_metres_per_degree_lon (lat0);
  frame->metres_per_deg_lat = pct_geo_metres_per_degree_lat (lat0);
}

void
pct_geo_frame_to_lonlat (const PctGeoFrame *frame,
                         double             x,
                         double             y,
                         double            *lon,
                         double            *lat)
{
  *lon = frame->lon0 + x / frame->metres_per_deg_lon;
  *lat = frame->lat0 + y / frame->metres_per_deg_lat;
}

void
pct_geo_frame_from_lonlat (const PctGeoFrame *frame,
                           double             lon,
                           double             lat,
                           double            *x,
                           double            *y)
{
  *x = (lon - frame->lon0) * frame->metres_per_deg_lon;
  *y = (lat - frame->lat0) * frame->metres_per_deg_lat;
}

/* Even-odd rule: a horizontal ray from the point crosses the boundary an
 * odd number of times when the point is inside. */
gboolean
pct_geo_point_in_polygon (const PctGeoPoint *ring,
                          guint              n,
                          double             x,
                          double             y)
{
  gboolean inside = FALSE;

  if (n < 3)
    return FALSE;

  for (guint i = 0, j = n - 1; i < n; j = i++)
    {
      const PctGeoPoint *a = &ring[i];
      const PctGeoPoint *b = &ring[j];

      if ((a->y > y) != (b->y > y) &&
          x < (b->x - a->x) * (y - a->y) / (b->y - a->y) + a->x)
        inside = !inside;
    }

  return inside;
}

double
pct_geo_polygon_area (const PctGeoPoint *ring,
                      guint              n)
{
  double sum = 0;

  if (n < 3)
    return 0;

  /* Relative to the first point, so that degrees far from the origin do
   * not cancel catastrophically. */
  for (guint i = 1; i + 1 < n; i++)
    {
      double ax = ring[i].x - ring[0].x, ay = ring[i].y - ring[0].y;
      double bx = ring[i + 1].x - ring[0].x, by = ring[i + 1].y - ring[0].y;

      sum += ax * by - bx * ay;
    }

  return sum / 2;
}

void
pct_geo_polygon_centroid (const PctGeoPoint *ring,
                          guint              n,
                          double            *cx,
                          double            *cy)
{
  double area2 = 0, sx = 0, sy = 0;

  g_return_if_fail (n > 0);

  for (guint i = 1; i + 1 < n; i++)
    {
      double ax = ring[i].x - ring[0].x, ay = ring[i].y - ring[0].y;
      double bx = ring[i + 1].x - ring[0].x, by = ring[i + 1].y - ring[0].y;
      double cross = ax * by - bx * ay;

      area2 += cross;
      sx += (ax + bx) * cross;
      sy += (ay + by) * cross;
    }

  if (fabs (area2) > 1e-18)
    {
      *cx = ring[0].x + sx / (3 * area2);
      *cy = ring[0].y + sy / (3 * area2);
      return;
    }

  sx = sy = 0;
  for (guint i = 0; i < n; i++)
    {
      sx += ring[i].x;
      sy += ring[i].y;
    }
  *cx = sx / n;
  *cy = sy / n;
}

double
pct_geo_distance_to_polyline (const PctGeoPoint *line,
                              guint              n,
                              double             x,
                              double             y)
{
  double best = G_MAXDOUBLE;

  if (n == 0)
    return best;
  if (n == 1)
    return hypot (x - line[0].x, y - line[0].y);

  for (guint i = 0; i + 1 < n; i++)
    {
      double dx = line[i + 1].x - line[i].x;
      double dy = line[i + 1].y - line[i].y;
      double len2 = dx * dx + dy * dy;
      double t = len2 > 0 ? ((x - line[i].x) * dx + (y - line[i].y) * dy) / len2 : 0;
      double d;

      t = CLAMP (t, 0.0, 1.0);
      d = hypot (x - (line[i].x + t * dx), y - (line[i].y + t * dy));
      best = MIN (best, d);
    }

  return best;
}

static void
append_fixed7 (GString *out,
               double   v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.7f", v));
}

void
pct_geo_append_coords (GString           *out,
                       const PctGeoPoint *points,
                       guint              n)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '[');
      append_fixed7 (out, points[i].x);
      g_string_append_c (out, ',');
      append_fixed7 (out, points[i].y);
      g_string_append_c (out, ']');
    }
  g_string_append_c (out, ']');
}

static const char *
skip_space (const char *p)
{
  while (g_ascii_isspace (*p))
    p++;
  return p;
}

static gboolean
parse_number (const char **p,
              double      *value)
{
  char *end = NULL;

  *p = skip_space (*p);
  *value = g_ascii_strtod (*p, &end);
  if (end == *p || !isfinite (*value))
    return FALSE;
  *p = end;
  return TRUE;
}

/* A hand-written reader: a full JSON parser per row is what makes reading
 * geometry slow, and this format has exactly one shape. */
GArray *
pct_geo_parse_coords (const char  *json,
                      GError     **error)
{
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (PctGeoPoint));
  const char *p;

  g_return_val_if_fail (json != NULL, NULL);

  p = skip_space (json);
  if (*p != '[')
    goto invalid;
  p = skip_space (p + 1);

  if (*p == ']')
    return g_steal_pointer (&points);

  for (;;)
    {
      PctGeoPoint pt;

      if (*p != '[')
        goto invalid;
      p++;
      if (!parse_number (&p, &pt.x))
        goto invalid;
      p = skip_space (p);
      if (*p != ',')
        goto invalid;
      p++;
      if (!parse_number (&p, &pt.y))
        goto invalid;
      p = skip_space (p);
      if (*p != ']')
        goto invalid;
      g_array_append_val (points, pt);

      p = skip_space (p + 1);
      if (*p == ']')
        break;
      if (*p != ',')
        goto invalid;
      p = skip_space (p + 1);
    }

  if (*skip_space (p + 1) != '\0')
    goto invalid;

  return g_steal_pointer (&points);

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "Not a coordinate list at offset %d", (int) (p - json));
  return NULL;
}

void
pct_geo_mercator_project (double  lon,
                          double  lat,
                          double *x,
                          double *y)
{
  double phi = CLAMP (lat, -PCT_GEO_MERCATOR_MAX_LAT, PCT_GEO_MERCATOR_MAX_LAT) * DEG_TO_RAD;

  *x = (lon + 180.0) / 360.0;
  *y = 0.5 - log (tan (G_PI / 4 + phi / 2)) / (2 * G_PI);
}

void
pct_geo_mercator_unproject (double  x,
                            double  y,
                            double *lon,
                            double *lat)
{
  *lon = x * 360.0 - 180.0;
  *lat = (2 * atan (exp ((0.5 - y) * 2 * G_PI)) - G_PI / 2) / DEG_TO_RAD;
}
