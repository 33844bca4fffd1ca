/* pct-locate.c — places typed or pasted into the search
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Operators paste positions from messages, spreadsheets and other maps,
 * written "29.29, 106.25", "106.25,29.29" or with a full-width comma from a
 * Chinese input method, and address codes read off a plate or a form.
 */

#define G_LOG_DOMAIN "pct-locate"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "pct-locate.h"

/* How far outside the hint a position still counts as near it. */
#define HINT_MARGIN_DEG 0.5

void
pct_location_free (PctLocation *location)
{
  if (location == NULL)
    return;

  g_free (location->title);
  g_free (location->subtitle);
  g_free (location);
}

/* A decimal number: optional sign, digits, optional fraction. Nothing
 * else (no exponent, "inf" or hexadecimal) is a coordinate anyone pastes. */
static gboolean
scan_number (const char **p,
             double      *value)
{
  const char *start = *p;
  const char *s = *p;
  guint digits = 0;
  g_autofree char *copy = NULL;

  if (*s == '+' || *s == '-')
    s++;
  while (g_ascii_isdigit (*s))
    s++, digits++;
  if (*s == '.')
    {
      s++;
      while (g_ascii_isdigit (*s))
        s++, digits++;
    }
  if (digits == 0)
    return FALSE;

  copy = g_strndup (start, s - start);
  *value = g_ascii_strtod (copy, NULL);
  *p = s;
  return isfinite (*value);
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
valid_lat_lon (double lat,
               double lon)
{
  return fabs (lat) <= 90.0 && fabs (lon) <= 180.0;
}

static gboolean
near_hint (const PctBBox *hint,
           double         lat,
           double         lon)
{
  return lon >= hint->min_lon - HINT_MARGIN_DEG && lon <= hint->max_lon + HINT_MARGIN_DEG &&
         lat >= hint->min_lat - HINT_MARGIN_DEG && lat <= hint->max_lat + HINT_MARGIN_DEG;
}

/* NFKC turns full-width digits, commas, points and spaces into ASCII. */
static char *
normalise (const char *text)
{
  char *normal;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;
  normal = g_utf8_normalize (text, -1, G_NORMALIZE_NFKC);
  return normal != NULL ? g_strstrip (normal) : NULL;
}

/**
 * pct_locate_parse_coordinates:
 * @text: what was typed or pasted
 * @hint: (nullable): the district's extent
 * @lat: (out): the latitude
 * @lon: (out): the longitude
 *
 * Returns: whether @text is a pair of coordinates
 */
gboolean
pct_locate_parse_coordinates (const char    *text,
                              const PctBBox *hint,
                              double        *lat,
                              double        *lon)
{
  g_autofree char *normal = normalise (text);
  const char *p = normal;
  double a, b;
  gboolean separated = FALSE;
  gboolean a_first, b_first;

  g_return_val_if_fail (lat != NULL && lon != NULL, FALSE);

  if (p == NULL || !scan_number (&p, &a))
    return FALSE;

  while (is_space (*p))
    p++, separated = TRUE;
  if (*p == ',' || *p == ';')
    p++, separated = TRUE;
  while (is_space (*p))
    p++;
  if (!separated || !scan_number (&p, &b) || *p != '\0')
    return FALSE;

  a_first = valid_lat_lon (a, b);
  b_first = valid_lat_lon (b, a);

  if (a_first && b_first && hint != NULL &&
      near_hint (hint, b, a) && !near_hint (hint, a, b))
    a_first = FALSE;

  if (a_first)
    {
      *lat = a;
      *lon = b;
      return TRUE;
    }
  if (b_first)
    {
      *lat = b;
      *lon = a;
      return TRUE;
    }
  return FALSE;
}

static gboolean
all_digits (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/**
 * pct_locate:
 * @store: the store to look address codes up in
 * @text: what was typed or pasted
 * @hint: (nullable): the district's extent
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the place, or %NULL
 */
PctLocation *
pct_locate (PctStore       *store,
            const char     *text,
            const PctBBox  *hint,
            GError        **error)
{
  g_autofree char *normal = normalise (text);
  g_autoptr(PctLocation) location = NULL;
  double lat, lon;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);

  if (normal == NULL)
    return NULL;

  /* A long run of digits is a code even where it could be a number. */
  if (all_digits (normal))
    {
      sqlite3_stmt *stmt = pct_store_prepare (store,
                                              "SELECT id, display, lon, lat FROM addresses "
                                              "WHERE code = ?",
                                              error);
      int rc;

      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, normal, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          location = g_new0 (PctLocation, 1);
          location->layer = PCT_LAYER_ADDRESSES;
          location->id = sqlite3_column_int64 (stmt, 0);
          location->title = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
          location->subtitle = g_strdup (normal);
          location->lon = sqlite3_column_double (stmt, 2);
          location->lat = sqlite3_column_double (stmt, 3);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        {
          pct_store_set_sql_error (store, error, "locate");
          return NULL;
        }
      return g_steal_pointer (&location);
    }

  if (pct_locate_parse_coordinates (normal, hint, &lat, &lon))
    {
      char lat_text[G_ASCII_DTOSTR_BUF_SIZE];
      char lon_text[G_ASCII_DTOSTR_BUF_SIZE];

      /* A point whatever the locale's decimal separator: it is what
       * was pasted, and a comma already separates the two. */
      g_ascii_formatd (lat_text, sizeof lat_text, "%.6f", lat);
      g_ascii_formatd (lon_text, sizeof lon_text, "%.6f", lon);

      location = g_new0 (PctLocation, 1);
      location->layer = PCT_N_LAYERS;
      location->lat = lat;
      location->lon = lon;
      /* Latitude first, as the operator reads it out over the radio. */
      location->title = g_strdup_printf (_("Go to %s, %s"), lat_text, lon_text);
    }
  return g_steal_pointer (&location);
}

/**
 * pct_locate_search_hit:
 * @store: the store the hit came from
 * @hit: a result of pct_store_search()
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): where the hit is on the map
 */
PctLocation *
pct_locate_search_hit (PctStore            *store,
                       const PctSearchHit  *hit,
                       GError             **error)
{
  g_autoptr(PctLocation) location = NULL;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);
  g_return_val_if_fail (hit != NULL, NULL);

  location = g_new0 (PctLocation, 1);
  location->id = hit->id;
  location->lat = hit->lat;
  location->lon = hit->lon;
  location->title = g_strdup (hit->title);
  location->subtitle = g_strdup (hit->subtitle);

  switch (hit->kind)
    {
    case PCT_SEARCH_ADDRESS:
      location->layer = PCT_LAYER_ADDRESSES;
      break;

    case PCT_SEARCH_UNIT:
      location->layer = PCT_LAYER_UNITS;
      break;

    case PCT_SEARCH_PERSON:
      {
        /* People are not on the map; the building they live in is. */
        sqlite3_stmt *stmt = pct_store_prepare (store,
                                                "SELECT b.id, b.lon, b.lat FROM person_rooms pr "
                                                "JOIN rooms r ON r.id = pr.room_id "
                                                "JOIN buildings b ON b.id = r.building_id "
                                                "WHERE pr.person_id = ? "
                                                "ORDER BY pr.since DESC LIMIT 1",
                                                error);
        int rc;

        if (stmt == NULL)
          return NULL;
        sqlite3_bind_int64 (stmt, 1, hit->id);
        rc = sqlite3_step (stmt);
        if (rc == SQLITE_ROW)
          {
            location->layer = PCT_LAYER_BUILDINGS;
            location->id = sqlite3_column_int64 (stmt, 0);
            location->lon = sqlite3_column_double (stmt, 1);
            location->lat = sqlite3_column_double (stmt, 2);
          }
        sqlite3_reset (stmt);
        if (rc == SQLITE_DONE)
          return NULL;
        if (rc != SQLITE_ROW)
          {
            pct_store_set_sql_error (store, error, "locate");
            return NULL;
          }
      }
      break;

    default:
      return NULL;
    }

  return g_steal_pointer (&location);
}
