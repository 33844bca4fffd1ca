/* pct-details.c — what the details panel says about one map feature
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One function per kind of feature reads its row and the few counts and
 * links an operator asks for first, and turns stored codes ("rented",
 * "grid_worker") into translated words. Personal data leaves this file
 * masked: seeing a full name or number is a separate, audited action.
 */

#define G_LOG_DOMAIN "pct-details"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pct-details.h"
#include "pct-geo.h"
#include "pct-validate.h"

/* Related features listed per kind; a compound gate may lead to dozens. */
#define MAX_RELATED 12

/* A plate token is the key to an address's QR code: enough of it to tell
 * two plates apart, not enough to print a copy. */
#define TOKEN_SHOWN 6

typedef struct
{
  const char *code;
  const char *label;
} Label;

/* A table of codes and their words, all under one translation context. */
typedef struct
{
  const char  *context;
  const Label *labels;
  gsize        n_labels;
} Labels;

static const Label address_kinds_labels[] = {
  { "door", NC_("address kind", "Door") },
  { "building", NC_("address kind", "Building") },
  { "unit", NC_("address kind", "Unit entrance") },
};
static const Labels address_kinds = {
  "address kind", address_kinds_labels, G_N_ELEMENTS (address_kinds_labels)
};

static const Label building_uses_labels[] = {
  { "residential", NC_("building use", "Residential") },
  { "commercial", NC_("building use", "Commercial") },
  { "mixed", NC_("building use", "Mixed use") },
  { "office", NC_("building use", "Offices") },
  { "industrial", NC_("building use", "Industrial") },
  { "public", NC_("building use", "Public") },
};
static const Labels building_uses = {
  "building use", building_uses_labels, G_N_ELEMENTS (building_uses_labels)
};

static const Label occupancies_labels[] = {
  { "owner", NC_("occupancy", "Owner-occupied") },
  { "rented", NC_("occupancy", "Rented") },
  { "crowded", NC_("occupancy", "Overcrowded rental") },
  { "vacant", NC_("occupancy", "Vacant") },
  { "business", NC_("occupancy", "Business") },
  { "unverified", NC_("occupancy", "To verify") },
};
static const Labels occupancies = {
  "occupancy", occupancies_labels, G_N_ELEMENTS (occupancies_labels)
};

static const Label unit_types_labels[] = {
  { "enterprise", NC_("unit type", "Enterprise") },
  { "individual", NC_("unit type", "Self-employed business") },
  { "government", NC_("unit type", "Government body") },
  { "school", NC_("unit type", "School") },
  { "hospital", NC_("unit type", "Hospital") },
  { "social", NC_("unit type", "Social organisation") },
  { "other", NC_("unit type", "Other") },
};
static const Labels unit_types = {
  "unit type", unit_types_labels, G_N_ELEMENTS (unit_types_labels)
};

static const Label unit_statuses_labels[] = {
  { "operating", NC_("unit status", "Operating") },
  { "suspended", NC_("unit status", "Suspended") },
  { "closed", NC_("unit status", "Closed down") },
};
static const Labels unit_statuses = {
  "unit status", unit_statuses_labels, G_N_ELEMENTS (unit_statuses_labels)
};

static const Label facility_statuses_labels[] = {
  { "normal", NC_("facility status", "Normal") },
  { "damaged", NC_("facility status", "Damaged") },
  { "missing", NC_("facility status", "Missing") },
  { "maintenance", NC_("facility status", "Under maintenance") },
};
static const Labels facility_statuses = {
  "facility status", facility_statuses_labels, G_N_ELEMENTS (facility_statuses_labels)
};

static const Label plate_statuses_labels[] = {
  { "generated", NC_("plate status", "Generated") },
  { "printed", NC_("plate status", "Printed") },
  { "installed", NC_("plate status", "Installed") },
  { "damaged", NC_("plate status", "Damaged") },
  { "lost", NC_("plate status", "Lost") },
  { "revoked", NC_("plate status", "Revoked") },
};
static const Labels plate_statuses = {
  "plate status", plate_statuses_labels, G_N_ELEMENTS (plate_statuses_labels)
};

static const Label plate_sizes_labels[] = {
  { "large", NC_("plate size", "Large, 570 × 370 mm") },
  { "medium", NC_("plate size", "Medium, 270 × 170 mm") },
  { "small", NC_("plate size", "Small, 150 × 90 mm") },
  { "building", NC_("plate size", "Building plate") },
  { "unit", NC_("plate size", "Unit plate") },
  { "room", NC_("plate size", "Room plate") },
};
static const Labels plate_sizes = {
  "plate size", plate_sizes_labels, G_N_ELEMENTS (plate_sizes_labels)
};

static const Label incident_sources_labels[] = {
  { "sensor", NC_("incident source", "Sensor") },
  { "hotline", NC_("incident source", "Hotline") },
  { "grid_worker", NC_("incident source", "Grid worker") },
  { "citizen", NC_("incident source", "Citizen") },
  { "inspector", NC_("incident source", "Inspector") },
  { "operator", NC_("incident source", "Operator") },
};
static const Labels incident_sources = {
  "incident source", incident_sources_labels, G_N_ELEMENTS (incident_sources_labels)
};

static const Label incident_statuses_labels[] = {
  { "reported", NC_("incident status", "Reported") },
  { "filed", NC_("incident status", "Filed") },
  { "voided", NC_("incident status", "Voided") },
  { "closed", NC_("incident status", "Closed") },
};
static const Labels incident_statuses = {
  "incident status", incident_statuses_labels, G_N_ELEMENTS (incident_statuses_labels)
};

static const Label order_states_labels[] = {
  { "filed", NC_("work order state", "Filed") },
  { "dispatched", NC_("work order state", "Dispatched") },
  { "disposing", NC_("work order state", "Being disposed of") },
  { "disposed", NC_("work order state", "Disposed of") },
  { "verifying", NC_("work order state", "Being verified") },
  { "closed", NC_("work order state", "Closed") },
  { "evaluated", NC_("work order state", "Evaluated") },
  { "voided", NC_("work order state", "Voided") },
  { "returned", NC_("work order state", "Returned") },
  { "parked", NC_("work order state", "Parked") },
};
static const Labels order_states = {
  "work order state", order_states_labels, G_N_ELEMENTS (order_states_labels)
};

/* Severity 1 (lowest) to 4 (highest). */
static const char *severities[] = {
  NC_("severity", "Minor"),
  NC_("severity", "Moderate"),
  NC_("severity", "Serious"),
  NC_("severity", "Critical"),
};

#define LABEL(table, code) label_for (&(table), code)

static const char *
label_for (const Labels *table,
           const char   *code)
{
  if (code == NULL)
    return NULL;

  for (gsize i = 0; i < table->n_labels; i++)
    {
      if (g_strcmp0 (table->labels[i].code, code) == 0)
        return g_dpgettext2 (GETTEXT_PACKAGE, table->context, table->labels[i].label);
    }
  /* A code newer than this build: shown as stored rather than hidden. */
  return code;
}

static const char *
severity_label (int severity)
{
  if (severity < 1 || severity > (int) G_N_ELEMENTS (severities))
    return NULL;
  return g_dpgettext2 (GETTEXT_PACKAGE, "severity", severities[severity - 1]);
}

static void
row_free (PctDetailsRow *row)
{
  g_free (row->key);
  g_free (row->group);
  g_free (row->label);
  g_free (row->value);
  g_free (row);
}

static void
related_free (PctDetailsRelated *related)
{
  g_free (related->title);
  g_free (related->subtitle);
  g_free (related);
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

static gboolean
column_is_null (sqlite3_stmt *stmt,
                int           column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL;
}

/* Adds a row; a value that is NULL or empty adds nothing, since a blank
 * line says less than no line. */
static void
add_row (PctDetails *details,
         const char *key,
         const char *group,
         const char *label,
         const char *value)
{
  PctDetailsRow *row;

  if (value == NULL || *value == '\0')
    return;

  row = g_new0 (PctDetailsRow, 1);
  row->key = g_strdup (key);
  row->group = g_strdup (group);
  row->label = g_strdup (label);
  row->value = g_strdup (value);
  g_ptr_array_add (details->rows, row);
}

static void
add_row_take (PctDetails *details,
              const char *key,
              const char *group,
              const char *label,
              char       *value)
{
  add_row (details, key, group, label, value);
  g_free (value);
}

static void
add_count_row (PctDetails *details,
               const char *key,
               const char *group,
               const char *label,
               gint64      count)
{
  add_row_take (details, key, group, label, g_strdup_printf ("%" G_GINT64_FORMAT, count));
}

static void
add_related (PctDetails *details,
             PctLayer    layer,
             gint64      id,
             const char *title,
             const char *subtitle,
             double      lon,
             double      lat)
{
  PctDetailsRelated *related = g_new0 (PctDetailsRelated, 1);

  related->layer = layer;
  related->id = id;
  related->title = g_strdup (title);
  related->subtitle = g_strdup (subtitle);
  related->lon = lon;
  related->lat = lat;
  g_ptr_array_add (details->related, related);
}

/* Times as the district's operators read them: local wall-clock time. */
static char *
format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (unix_seconds);

  if (time == NULL)
    return NULL;
  return g_date_time_format (time, "%Y-%m-%d %H:%M");
}

static char *
format_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (unix_seconds);

  if (time == NULL)
    return NULL;
  return g_date_time_format (time, "%Y-%m-%d");
}

static char *
format_coordinates (double lat,
                    double lon)
{
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE];
  char lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  /* Six decimals is about 10 cm: finer than any stored position. */
  g_ascii_formatd (lat_text, sizeof lat_text, "%.6f", lat);
  g_ascii_formatd (lon_text, sizeof lon_text, "%.6f", lon);
  return g_strdup_printf ("%s, %s", lat_text, lon_text);
}

/* "name (code)", or whichever of the two there is. */
static char *
name_and_code (const char *name,
               const char *code)
{
  if (name != NULL && code != NULL)
    return g_strdup_printf ("%s (%s)", name, code);
  return g_strdup (name != NULL ? name : code);
}

static char *
mask_token (const char *token)
{
  if (token == NULL)
    return NULL;
  if (strlen (token) <= TOKEN_SHOWN)
    return g_strdup ("******");
  return g_strdup_printf ("%.*s******", TOKEN_SHOWN, token);
}

static gint64
query_count (PctStore    *store,
             const char  *sql,
             gint64       arg1,
             gboolean     arg2_set,
             gint64       arg2,
             GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);
  gint64 count = -1;

  if (stmt == NULL)
    return -1;

  sqlite3_bind_int64 (stmt, 1, arg1);
  if (arg2_set)
    sqlite3_bind_int64 (stmt, 2, arg2);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    pct_store_set_sql_error (store, error, "details");
  sqlite3_reset (stmt);

  return count;
}

/* Steps the statement to its one row; FALSE with an error when there is
 * none, so that every caller reports a missing feature the same way. */
static gboolean
step_row (PctStore      *store,
          sqlite3_stmt  *stmt,
          PctLayer       layer,
          gint64         id,
          GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return TRUE;

  if (rc == SQLITE_DONE)
    {
      g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);

      /* TRANSLATORS: "Address with the id 42 does not exist". */
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND,
                   _("%s with the id %s does not exist"),
                   pct_details_layer_label (layer), id_text);
    }
  else
    pct_store_set_sql_error (store, error, "details");
  sqlite3_reset (stmt);
  return FALSE;
}

/* Related features from a query whose rows are (id, title, subtitle, lon,
 * lat) and whose parameters are ?1 = arg and ?2 = MAX_RELATED. */
static gboolean
add_related_from (PctDetails  *details,
                  PctStore    *store,
                  PctLayer     layer,
                  const char  *sql,
                  gint64       arg,
                  GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, arg);
  sqlite3_bind_int (stmt, 2, MAX_RELATED);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    add_related (details, layer, sqlite3_column_int64 (stmt, 0),
                 column_text (stmt, 1), column_text (stmt, 2),
                 sqlite3_column_double (stmt, 3), sqlite3_column_double (stmt, 4));
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "details");
  return TRUE;
}

/* A grid cell's centre, where a fly-to should go. A polygon that does not
 * parse gives FALSE. */
static gboolean
polygon_centre (const char *json,
                double     *lon,
                double     *lat)
{
  g_autoptr(GArray) ring = json != NULL ? pct_geo_parse_coords (json, NULL) : NULL;

  if (ring == NULL || ring->len == 0)
    return FALSE;
  pct_geo_polygon_centroid ((const PctGeoPoint *) ring->data, ring->len, lon, lat);
  return TRUE;
}

static gboolean
add_grid_link (PctDetails  *details,
               PctStore    *store,
               gint64       grid_id,
               GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT name, code, polygon FROM grid_cells WHERE id = ?",
                                          error);
  double lon = 0, lat = 0;
  int rc;

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, grid_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && polygon_centre (column_text (stmt, 2), &lon, &lat))
    add_related (details, PCT_LAYER_GRIDS, grid_id, column_text (stmt, 0), column_text (stmt, 1),
                 lon, lat);
  sqlite3_reset (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "details");
  return TRUE;
}

static gboolean
add_address_link (PctDetails  *details,
                  PctStore    *store,
                  gint64       address_id,
                  GError     **error)
{
  return add_related_from (details, store, PCT_LAYER_ADDRESSES,
                           "SELECT id, display, code, lon, lat FROM addresses "
                           "WHERE id = ?1 LIMIT ?2",
                           address_id, error);
}

static gboolean
add_building_link (PctDetails  *details,
                   PctStore    *store,
                   gint64       building_id,
                   GError     **error)
{
  return add_related_from (details, store, PCT_LAYER_BUILDINGS,
                           "SELECT b.id, coalesce (a.display, b.name), NULL, b.lon, b.lat "
                           "FROM buildings b LEFT JOIN addresses a ON a.id = b.address_id "
                           "WHERE b.id = ?1 LIMIT ?2",
                           building_id, error);
}

static gboolean
query_address (PctStore    *store,
               PctDetails  *details,
               GError     **error)
{
  const char *plate_group = C_("details group", "Door plate");
  sqlite3_stmt *stmt;
  g_autofree char *kind = NULL;
  gint64 parent_id = 0;

  stmt = pct_store_prepare (store,
                            "SELECT a.display, a.code, a.kind, a.lon, a.lat, a.region_code, "
                            "  r.name, g.name, g.code, a.parent_id, s.name "
                            "FROM addresses a "
                            "LEFT JOIN regions r ON r.code = a.region_code "
                            "LEFT JOIN regions s ON s.code = r.parent_code "
                            "LEFT JOIN grid_cells g ON g.id = a.grid_id "
                            "WHERE a.id = ?",
                            error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, details->id);
  if (!step_row (store, stmt, details->layer, details->id, error))
    return FALSE;

  kind = g_strdup (column_text (stmt, 2));
  details->title = g_strdup (column_text (stmt, 0));
  details->subtitle = g_strdup_printf (C_("details subtitle", "Standard address · %s"),
                                       LABEL (address_kinds, kind));
  details->lon = sqlite3_column_double (stmt, 3);
  details->lat = sqlite3_column_double (stmt, 4);
  if (!column_is_null (stmt, 9))
    parent_id = sqlite3_column_int64 (stmt, 9);

  add_row (details, "code", NULL, _("Address code"), column_text (stmt, 1));
  add_row (details, "kind", NULL, _("Kind"), LABEL (address_kinds, kind));
  /* 街道: the subdistrict office's area, not a road. */
  add_row_take (details, "subdistrict", NULL, _("Subdistrict"), g_strdup (column_text (stmt, 10)));
  add_row_take (details, "community", NULL, _("Community"),
                name_and_code (column_text (stmt, 6), column_text (stmt, 5)));
  add_row_take (details, "grid", NULL, _("Grid cell"),
                name_and_code (column_text (stmt, 7), column_text (stmt, 8)));
  sqlite3_reset (stmt);

  /* The plate in force: one not yet replaced, the newest first. */
  stmt = pct_store_prepare (store,
                            "SELECT token, status, size, issued_at, installed_at FROM plates "
                            "WHERE address_id = ? "
                            "ORDER BY replaced_by IS NOT NULL, issued_at DESC, id DESC LIMIT 1",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, details->id);
  switch (sqlite3_step (stmt))
    {
    case SQLITE_ROW:
      add_row (details, "plate_status", plate_group, _("Status"),
               LABEL (plate_statuses, column_text (stmt, 1)));
      add_row (details, "plate_size", plate_group, _("Size"),
               LABEL (plate_sizes, column_text (stmt, 2)));
      add_row_take (details, "plate_token", plate_group, _("Token"),
                    mask_token (column_text (stmt, 0)));
      add_row_take (details, "plate_issued", plate_group, _("Issued"),
                    format_date (sqlite3_column_int64 (stmt, 3)));
      if (!column_is_null (stmt, 4))
        add_row_take (details, "plate_installed", plate_group, _("Installed"),
                      format_date (sqlite3_column_int64 (stmt, 4)));
      break;

    case SQLITE_DONE:
      add_row (details, "plate_status", plate_group, _("Status"), _("No plate issued"));
      break;

    default:
      sqlite3_reset (stmt);
      return pct_store_set_sql_error (store, error, "details");
    }
  sqlite3_reset (stmt);

  /* What lies behind the door: a compound gate leads to buildings, a
   * building's address to its unit entrances. */
  if (g_strcmp0 (kind, "unit") != 0)
    {
      const char *group = C_("details group", "Behind this address");
      gint64 buildings, units;

      buildings = query_count (store,
                               "SELECT count(*) FROM addresses "
                               "WHERE parent_id = ?1 AND kind = 'building'",
                               details->id, FALSE, 0, error);
      units = query_count (store,
                           "SELECT count(*) FROM addresses WHERE kind = 'unit' AND "
                           "(parent_id = ?1 OR parent_id IN "
                           "   (SELECT id FROM addresses WHERE parent_id = ?1))",
                           details->id, FALSE, 0, error);
      if (buildings < 0 || units < 0)
        return FALSE;
      add_count_row (details, "child_buildings", group, _("Building addresses"), buildings);
      add_count_row (details, "child_units", group, _("Unit entrances"), units);
    }

  add_row_take (details, "coordinates", NULL, _("Coordinates"),
                format_coordinates (details->lat, details->lon));

  if (parent_id > 0 && !add_address_link (details, store, parent_id, error))
    return FALSE;
  return add_related_from (details, store, PCT_LAYER_BUILDINGS,
                           "SELECT id, name, NULL, lon, lat FROM buildings "
                           "WHERE address_id = ?1 ORDER BY id LIMIT ?2",
                           details->id, error) &&
         add_related_from (details, store, PCT_LAYER_UNITS,
                           "SELECT id, name, uscc, lon, lat FROM units "
                           "WHERE address_id = ?1 ORDER BY id LIMIT ?2",
                           details->id, error);
}

/* Units of a building: in one of its rooms, or registered at its address
 * or one of its unit entrances. ?1 is the building, ?2 its address. */
#define BUILDING_UNITS_WHERE                                                   \
  "WHERE room_id IN (SELECT id FROM rooms WHERE building_id = ?1) "             \
  "   OR address_id = ?2 "                                                      \
  "   OR address_id IN (SELECT id FROM addresses WHERE parent_id = ?2) "

static gboolean
query_building (PctStore    *store,
                PctDetails  *details,
                GError     **error)
{
  const char *rooms_group = C_("details group", "Rooms by occupancy");
  sqlite3_stmt *stmt;
  gint64 address_id = 0;
  gint64 rooms = 0, residents, units, facilities;
  int rc;

  stmt = pct_store_prepare (store,
                            "SELECT b.name, b.use, b.floors_above, b.floors_below, b.units, "
                            "  b.lon, b.lat, b.address_id, a.display, a.code "
                            "FROM buildings b LEFT JOIN addresses a ON a.id = b.address_id "
                            "WHERE b.id = ?",
                            error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, details->id);
  if (!step_row (store, stmt, details->layer, details->id, error))
    return FALSE;

  details->title = g_strdup (column_is_null (stmt, 8) ? column_text (stmt, 0)
                                                       : column_text (stmt, 8));
  details->subtitle = g_strdup_printf (C_("details subtitle", "Building · %s"),
                                       LABEL (building_uses, column_text (stmt, 1)));
  details->lon = sqlite3_column_double (stmt, 5);
  details->lat = sqlite3_column_double (stmt, 6);
  if (!column_is_null (stmt, 7))
    address_id = sqlite3_column_int64 (stmt, 7);

  add_row (details, "name", NULL, _("Name"), column_text (stmt, 0));
  add_row (details, "use", NULL, _("Use"), LABEL (building_uses, column_text (stmt, 1)));
  add_count_row (details, "floors_above", NULL, _("Floors above ground"),
                 sqlite3_column_int64 (stmt, 2));
  add_count_row (details, "floors_below", NULL, _("Floors below ground"),
                 sqlite3_column_int64 (stmt, 3));
  add_count_row (details, "building_units", NULL, _("Units (entrances)"),
                 sqlite3_column_int64 (stmt, 4));
  add_row (details, "address_code", NULL, _("Address code"), column_text (stmt, 9));
  sqlite3_reset (stmt);

  /* The occupancy mix, in the order of the table above. */
  stmt = pct_store_prepare (store,
                            "SELECT occupancy, count(*) FROM rooms WHERE building_id = ? "
                            "GROUP BY occupancy",
                            error);
  if (stmt == NULL)
    return FALSE;
  {
    gint64 counts[G_N_ELEMENTS (occupancies_labels)] = { 0 };

    sqlite3_bind_int64 (stmt, 1, details->id);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        const char *occupancy = column_text (stmt, 0);

        rooms += sqlite3_column_int64 (stmt, 1);
        for (guint i = 0; i < G_N_ELEMENTS (occupancies_labels); i++)
          if (g_strcmp0 (occupancies_labels[i].code, occupancy) == 0)
            counts[i] = sqlite3_column_int64 (stmt, 1);
      }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
      return pct_store_set_sql_error (store, error, "details");

    add_count_row (details, "rooms", NULL, _("Rooms"), rooms);
    for (guint i = 0; i < G_N_ELEMENTS (occupancies_labels); i++)
      {
        const char *code = occupancies_labels[i].code;
        g_autofree char *key = g_strconcat ("occupancy_", code, NULL);

        if (counts[i] > 0)
          add_count_row (details, key, rooms_group, LABEL (occupancies, code),
                         counts[i]);
      }
  }

  /* People registered in its rooms, each counted once. */
  residents = query_count (store,
                           "SELECT count(DISTINCT pr.person_id) FROM rooms r "
                           "JOIN person_rooms pr ON pr.room_id = r.id WHERE r.building_id = ?1",
                           details->id, FALSE, 0, error);
  units = query_count (store, "SELECT count(*) FROM units " BUILDING_UNITS_WHERE,
                       details->id, TRUE, address_id, error);
  facilities = query_count (store, "SELECT count(*) FROM facilities WHERE building_id = ?1",
                            details->id, FALSE, 0, error);
  if (residents < 0 || units < 0 || facilities < 0)
    return FALSE;
  add_count_row (details, "residents", NULL, _("Registered residents"), residents);
  add_count_row (details, "units", NULL, _("Organisations"), units);
  add_count_row (details, "facilities", NULL, _("Facilities"), facilities);
  add_row_take (details, "coordinates", NULL, _("Coordinates"),
                format_coordinates (details->lat, details->lon));

  if (address_id > 0 && !add_address_link (details, store, address_id, error))
    return FALSE;

  stmt = pct_store_prepare (store,
                            "SELECT id, name, uscc, lon, lat FROM units "
                            BUILDING_UNITS_WHERE "ORDER BY id LIMIT ?3",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, details->id);
  if (address_id > 0)
    sqlite3_bind_int64 (stmt, 2, address_id);
  sqlite3_bind_int (stmt, 3, MAX_RELATED);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    add_related (details, PCT_LAYER_UNITS, sqlite3_column_int64 (stmt, 0),
                 column_text (stmt, 1), column_text (stmt, 2),
                 sqlite3_column_double (stmt, 3), sqlite3_column_double (stmt, 4));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "details");

  return add_related_from (details, store, PCT_LAYER_FACILITIES,
                           "SELECT id, name, code, lon, lat FROM facilities "
                           "WHERE building_id = ?1 ORDER BY id LIMIT ?2",
                           details->id, error);
}

static gboolean
query_unit (PctStore    *store,
            PctDetails  *details,
            GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 address_id = 0, building_id = 0;

  stmt = pct_store_prepare (store,
                            "SELECT u.name, u.uscc, u.type, u.legal_rep, u.phone, u.status, "
                            "  u.staff, u.lon, u.lat, u.address_id, a.display, r.building_id, "
                            "  r.room_no "
                            "FROM units u "
                            "LEFT JOIN addresses a ON a.id = u.address_id "
                            "LEFT JOIN rooms r ON r.id = u.room_id "
                            "WHERE u.id = ?",
                            error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, details->id);
  if (!step_row (store, stmt, details->layer, details->id, error))
    return FALSE;

  details->title = g_strdup (column_text (stmt, 0));
  details->subtitle = g_strdup_printf (C_("details subtitle", "Organisation · %s"),
                                       LABEL (unit_types, column_text (stmt, 2)));
  details->lon = sqlite3_column_double (stmt, 7);
  details->lat = sqlite3_column_double (stmt, 8);
  if (!column_is_null (stmt, 9))
    address_id = sqlite3_column_int64 (stmt, 9);
  if (!column_is_null (stmt, 11))
    building_id = sqlite3_column_int64 (stmt, 11);

  add_row (details, "uscc", NULL, _("Unified social credit code"), column_text (stmt, 1));
  add_row (details, "type", NULL, _("Type"), LABEL (unit_types, column_text (stmt, 2)));
  add_row (details, "status", NULL, _("Status"), LABEL (unit_statuses, column_text (stmt, 5)));
  add_row_take (details, "legal_rep", NULL, _("Legal representative"),
                pct_mask_name (column_text (stmt, 3)));
  add_row_take (details, "phone", NULL, _("Phone"), pct_mask_phone (column_text (stmt, 4)));
  if (!column_is_null (stmt, 6))
    add_count_row (details, "staff", NULL, _("Staff"), sqlite3_column_int64 (stmt, 6));
  add_row (details, "address", NULL, _("Address"), column_text (stmt, 10));
  add_row (details, "room", NULL, _("Room"), column_text (stmt, 12));
  add_row_take (details, "coordinates", NULL, _("Coordinates"),
                format_coordinates (details->lat, details->lon));
  sqlite3_reset (stmt);

  if (address_id > 0 && !add_address_link (details, store, address_id, error))
    return FALSE;
  if (building_id > 0 && !add_building_link (details, store, building_id, error))
    return FALSE;
  return TRUE;
}

static gboolean
query_facility (PctStore    *store,
                PctDetails  *details,
                GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 address_id = 0, building_id = 0;

  stmt = pct_store_prepare (store,
                            "SELECT f.name, f.code, c.major, c.minor, f.status, d.name, "
                            "  f.address_id, a.display, f.building_id, f.lon, f.lat "
                            "FROM facilities f "
                            "LEFT JOIN categories c ON c.id = f.category_id "
                            "LEFT JOIN departments d ON d.id = f.department_id "
                            "LEFT JOIN addresses a ON a.id = f.address_id "
                            "WHERE f.id = ?",
                            error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, details->id);
  if (!step_row (store, stmt, details->layer, details->id, error))
    return FALSE;

  details->title = g_strdup (column_text (stmt, 0));
  details->subtitle = g_strdup_printf (C_("details subtitle", "Facility · %s"),
                                       column_is_null (stmt, 3) ? _("Component")
                                                                : column_text (stmt, 3));
  details->lon = sqlite3_column_double (stmt, 9);
  details->lat = sqlite3_column_double (stmt, 10);
  if (!column_is_null (stmt, 6))
    address_id = sqlite3_column_int64 (stmt, 6);
  if (!column_is_null (stmt, 8))
    building_id = sqlite3_column_int64 (stmt, 8);

  add_row (details, "code", NULL, _("Component code"), column_text (stmt, 1));
  add_row (details, "major", NULL, _("Major class"), column_text (stmt, 2));
  add_row (details, "minor", NULL, _("Minor class"), column_text (stmt, 3));
  add_row (details, "status", NULL, _("Status"), LABEL (facility_statuses, column_text (stmt, 4)));
  add_row (details, "department", NULL, _("Owner department"), column_text (stmt, 5));
  add_row (details, "address", NULL, _("Address"), column_text (stmt, 7));
  add_row_take (details, "coordinates", NULL, _("Coordinates"),
                format_coordinates (details->lat, details->lon));
  sqlite3_reset (stmt);

  if (address_id > 0 && !add_address_link (details, store, address_id, error))
    return FALSE;
  if (building_id > 0 && !add_building_link (details, store, building_id, error))
    return FALSE;
  return TRUE;
}

static gboolean
order_is_open (const char *state)
{
  return g_strcmp0 (state, "closed") != 0 &&
         g_strcmp0 (state, "evaluated") != 0 &&
         g_strcmp0 (state, "voided") != 0;
}

static gboolean
query_incident (PctStore    *store,
                PctDetails  *details,
                gint64       now,
                GError     **error)
{
  const char *order_group = C_("details group", "Work order");
  sqlite3_stmt *stmt;
  gint64 address_id = 0, grid_id = 0;
  int rc;

  stmt = pct_store_prepare (store,
                            "SELECT c.major, c.minor, i.source, i.severity, i.status, "
                            "  i.description, i.reported_at, i.lon, i.lat, i.address_id, "
                            "  a.display, i.grid_id, g.name, g.code "
                            "FROM incidents i "
                            "LEFT JOIN categories c ON c.id = i.category_id "
                            "LEFT JOIN addresses a ON a.id = i.address_id "
                            "LEFT JOIN grid_cells g ON g.id = i.grid_id "
                            "WHERE i.id = ?",
                            error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, details->id);
  if (!step_row (store, stmt, details->layer, details->id, error))
    return FALSE;

  if (!column_is_null (stmt, 1))
    details->title = g_strdup (column_text (stmt, 1));
  else
    details->title = g_strdup (_("Incident"));
  details->subtitle = g_strdup_printf (C_("details subtitle", "Incident · %s"),
                                       LABEL (incident_statuses, column_text (stmt, 4)));
  details->lon = sqlite3_column_double (stmt, 7);
  details->lat = sqlite3_column_double (stmt, 8);
  if (!column_is_null (stmt, 9))
    address_id = sqlite3_column_int64 (stmt, 9);
  if (!column_is_null (stmt, 11))
    grid_id = sqlite3_column_int64 (stmt, 11);

  add_row (details, "description", NULL, _("Description"), column_text (stmt, 5));
  if (!column_is_null (stmt, 0))
    add_row_take (details, "category", NULL, _("Category"),
                  g_strdup_printf ("%s / %s", column_text (stmt, 0), column_text (stmt, 1)));
  add_row (details, "source", NULL, _("Source"), LABEL (incident_sources, column_text (stmt, 2)));
  add_row (details, "severity", NULL, _("Severity"),
           severity_label (sqlite3_column_int (stmt, 3)));
  add_row (details, "status", NULL, _("Status"), LABEL (incident_statuses, column_text (stmt, 4)));
  add_row_take (details, "reported", NULL, _("Reported"),
                format_time (sqlite3_column_int64 (stmt, 6)));
  add_row (details, "address", NULL, _("Address"), column_text (stmt, 10));
  add_row_take (details, "grid", NULL, _("Grid cell"),
                name_and_code (column_text (stmt, 12), column_text (stmt, 13)));
  add_row_take (details, "coordinates", NULL, _("Coordinates"),
                format_coordinates (details->lat, details->lon));
  sqlite3_reset (stmt);

  /* Its case: the latest, should it have been voided and filed again. */
  stmt = pct_store_prepare (store,
                            "SELECT w.number, w.state, d.name, w.deadline, w.extended_deadline, "
                            "  w.closed_at, k.name "
                            "FROM work_orders w "
                            "LEFT JOIN departments d ON d.id = w.department_id "
                            "LEFT JOIN workers k ON k.id = w.worker_id "
                            "WHERE w.incident_id = ? ORDER BY w.filed_at DESC, w.id DESC LIMIT 1",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, details->id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *state = column_text (stmt, 1);
      gboolean has_deadline = !column_is_null (stmt, 3) || !column_is_null (stmt, 4);
      /* An extension replaces the deadline it extends. */
      gint64 deadline = !column_is_null (stmt, 4) ? sqlite3_column_int64 (stmt, 4)
                                                   : sqlite3_column_int64 (stmt, 3);

      add_row (details, "order_number", order_group, _("Number"), column_text (stmt, 0));
      add_row (details, "order_state", order_group, _("State"), LABEL (order_states, state));
      add_row (details, "order_department", order_group, _("Department"), column_text (stmt, 2));
      /* Grid workers' names are posted on their grid's public board. */
      add_row (details, "order_worker", order_group, _("Grid worker"), column_text (stmt, 6));
      if (has_deadline)
        add_row_take (details, "order_deadline", order_group, _("Deadline"),
                      format_time (deadline));

      if (!has_deadline || g_strcmp0 (state, "voided") == 0)
        ;
      else if (order_is_open (state))
        /* A parked case's clock stands still. */
        add_row (details, "order_overdue", order_group, _("Overdue"),
                 now > deadline && g_strcmp0 (state, "parked") != 0 ? _("Yes") : _("No"));
      else if (!column_is_null (stmt, 5))
        add_row (details, "order_overdue", order_group, _("Overdue"),
                 sqlite3_column_int64 (stmt, 5) > deadline ? _("Closed late")
                                                           : _("Closed on time"));
    }
  else if (rc == SQLITE_DONE)
    add_row (details, "order_state", order_group, _("State"), _("Not filed yet"));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "details");

  if (address_id > 0 && !add_address_link (details, store, address_id, error))
    return FALSE;
  if (grid_id > 0 && !add_grid_link (details, store, grid_id, error))
    return FALSE;
  return TRUE;
}

static gboolean
query_grid (PctStore    *store,
            PctDetails  *details,
            GError     **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GString) workers = g_string_new (NULL);
  gboolean has_centre;
  int rc;

  stmt = pct_store_prepare (store,
                            "SELECT g.code, g.name, g.community_code, r.name, g.polygon "
                            "FROM grid_cells g LEFT JOIN regions r ON r.code = g.community_code "
                            "WHERE g.id = ?",
                            error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, details->id);
  if (!step_row (store, stmt, details->layer, details->id, error))
    return FALSE;

  details->title = g_strdup (column_text (stmt, 1));
  /* The heading says it is a grid cell already; where it is says more. */
  details->subtitle = g_strdup (column_is_null (stmt, 3) ? C_("details subtitle", "Grid cell")
                                                         : column_text (stmt, 3));
  add_row (details, "code", NULL, _("Grid code"), column_text (stmt, 0));
  add_row_take (details, "community", NULL, _("Community"),
                name_and_code (column_text (stmt, 3), column_text (stmt, 2)));

  has_centre = polygon_centre (column_text (stmt, 4), &details->lon, &details->lat);
  sqlite3_reset (stmt);

  /* Grid workers' names are posted on their grid's public board. */
  stmt = pct_store_prepare (store,
                            "SELECT name FROM workers WHERE grid_id = ? ORDER BY id",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, details->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (workers->len > 0)
        g_string_append (workers, C_("list separator", ", "));
      g_string_append (workers, column_text (stmt, 0));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "details");

  add_row (details, "worker", NULL, _("Grid worker"), workers->str);
  if (has_centre)
    add_row_take (details, "coordinates", NULL, _("Centre"),
                  format_coordinates (details->lat, details->lon));
  return TRUE;
}

/**
 * pct_details_query:
 * @store: a store
 * @layer: the feature's layer; roads have no details
 * @id: the feature's id in its table
 * @now: Unix seconds, for deciding whether a work order is overdue
 * @error: return location for an error
 *
 * Returns: (transfer full): the details, or %NULL with @error set
 */
PctDetails *
pct_details_query (PctStore    *store,
                   PctLayer     layer,
                   gint64       id,
                   gint64       now,
                   GError     **error)
{
  g_autoptr(PctDetails) details = NULL;
  gboolean ok;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  details = g_new0 (PctDetails, 1);
  details->layer = layer;
  details->id = id;
  details->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  details->related = g_ptr_array_new_with_free_func ((GDestroyNotify) related_free);

  switch (layer)
    {
    case PCT_LAYER_ADDRESSES:
      ok = query_address (store, details, error);
      break;

    case PCT_LAYER_BUILDINGS:
      ok = query_building (store, details, error);
      break;

    case PCT_LAYER_UNITS:
      ok = query_unit (store, details, error);
      break;

    case PCT_LAYER_FACILITIES:
      ok = query_facility (store, details, error);
      break;

    case PCT_LAYER_INCIDENTS:
      ok = query_incident (store, details, now, error);
      break;

    case PCT_LAYER_GRIDS:
      ok = query_grid (store, details, error);
      break;

    case PCT_LAYER_ROADS:
    case PCT_N_LAYERS:
    default:
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("This kind of map feature has no details"));
      ok = FALSE;
      break;
    }

  if (!ok)
    return NULL;
  return g_steal_pointer (&details);
}

void
pct_details_free (PctDetails *details)
{
  if (details == NULL)
    return;

  g_free (details->title);
  g_free (details->subtitle);
  g_clear_pointer (&details->rows, g_ptr_array_unref);
  g_clear_pointer (&details->related, g_ptr_array_unref);
  g_free (details);
}

const char *
pct_details_get_value (const PctDetails *details,
                       const char       *key)
{
  g_return_val_if_fail (details != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  for (guint i = 0; i < details->rows->len; i++)
    {
      const PctDetailsRow *row = g_ptr_array_index (details->rows, i);

      if (g_strcmp0 (row->key, key) == 0)
        return row->value;
    }
  return NULL;
}

const char *
pct_details_layer_label (PctLayer layer)
{
  switch (layer)
    {
    case PCT_LAYER_ADDRESSES:
      return C_("feature", "Address");
    case PCT_LAYER_BUILDINGS:
      return C_("feature", "Building");
    case PCT_LAYER_UNITS:
      return C_("feature", "Organisation");
    case PCT_LAYER_FACILITIES:
      return C_("feature", "Facility");
    case PCT_LAYER_GRIDS:
      return C_("feature", "Grid cell");
    case PCT_LAYER_ROADS:
      return C_("feature", "Road");
    case PCT_LAYER_INCIDENTS:
      return C_("feature", "Incident");
    case PCT_N_LAYERS:
    default:
      return NULL;
    }
}
