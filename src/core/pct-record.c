/* pct-record.c — the mapping between store rows and JSON records, per entity
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each entity is described once, as data: its table, its key and its
 * fields with their JSON types, defaults, allowed values, checks and the
 * entities they reference. Everything else here — validating a record,
 * the SQL that writes and reads it, the JSON and GeoJSON written back —
 * is derived from those tables, so that import, export and the sync feed
 * cannot disagree about what a field is. docs/records.md describes the
 * same tables for readers, and a test checks that it covers them all.
 */

#define G_LOG_DOMAIN "pct-record"

#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "pct-record.h"
#include "pct-regions.h"
#include "pct-validate.h"

/* The longest integer literal that can still fit in 64 bits, sign included. */
#define MAX_INTEGER_LITERAL 20

/* How far a chain of self references is followed when ordering rows for
 * export; longer chains (only cycles, in practice) are cut there. */
#define MAX_REFERENCE_CHAIN 64

/* Upserts are written up to 2^(N_CHUNK_SIZES - 1) rows per statement. The
 * store's R*Tree and search triggers make every statement that touches
 * them costly (FTS5 writes out its pending terms at each one), so rows
 * are written many at a time; measured on addresses, 256 rows per
 * statement run about four times as fast as one. */
#define N_CHUNK_SIZES 9
#define MAX_CHUNK     (1u << (N_CHUNK_SIZES - 1))

/* Fields of an entity or of a nested item, at most: masked fields are
 * noted in a 64-bit set per row. */
#define MAX_FIELDS 64

/* The members a record may have. */
enum
{
  RECORD_ENTITY,
  RECORD_ID,
  RECORD_VERSION,
  RECORD_UPDATED_AT,
  RECORD_DELETED,
  RECORD_DATA,
  RECORD_MASKED,
  N_RECORD_MEMBERS
};

static const char * const record_members[N_RECORD_MEMBERS] = {
  "entity", "id", "version", "updated_at", "deleted", "data", "masked",
};

typedef struct
{
  int         type;    /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT or SQLITE_TEXT */
  gint64      i;
  double      d;
  const char *text;    /* borrowed from the record, or owned */
  char       *owned;
  gboolean    resolve; /* absent, to be looked up (PCT_FIELD_RESOLVED) */
} Value;

/* The values of one nested item. */
typedef struct
{
  guint n;
  Value values[];
} ValueList;

/* A record once validated: what gets bound to the SQL. */
typedef struct
{
  const PctRecordEntity *entity;
  PctJson               *json;       /* the text values point into it */
  const PctJsonNode     *record;     /* in json */
  guint64                tag;        /* the caller's, for reports */
  Value                  key;
  gint64                 version;
  gint64                 updated_at;
  Value                 *values;     /* one per field; children fields stay NULL */
  GPtrArray             *children;   /* ValueList of the nested items, or NULL */
} Row;

/* Statements that write many rows at once. */
typedef enum
{
  CHUNK_UPSERT,             /* rows of the entity */
  CHUNK_CHILDREN_DELETE,    /* the nested items of as many rows */
  CHUNK_CHILDREN_INSERT,    /* as many nested items */
  CHUNK_FILL,               /* rows new to the table, inserted */
  CHUNK_CHILDREN_FILL,      /* their nested items */
  N_CHUNK_KINDS
} ChunkKind;

/* SQL and column layout derived from an entity's table, built once. */
typedef struct
{
  char *select;
  char *select_ordered;  /* referenced rows first; only with a self reference */
  char *select_keys;     /* the rows whose keys are in the JSON array ?1 */
  char *forward_refs;
  char *count;
  char *insert_head;     /* INSERT INTO t (columns) VALUES */
  char *upsert_tail;     /*  ON CONFLICT (key) DO UPDATE SET … */
  char *fill_head;       /* INSERT OR FAIL INTO t (columns) VALUES */
  char *chunks[N_CHUNK_KINDS][N_CHUNK_SIZES];  /* for 1, 2, 4, … rows; built on first use */
  int   n_params;        /* bound per row */
  char *delete;
  char *exists;
  char *children_delete_head;  /* DELETE … WHERE parent IN ( */
  char *children_insert_head;  /* INSERT INTO t (parent, columns) VALUES */
  char *children_fill_head;    /* the same, OR FAIL */
  int   n_child_params;        /* bound per nested item */
  char *children_select;
  char *children_select_keys;  /* ?1 a JSON array of parent keys */
  int   self_field;      /* the field referencing the entity itself, or -1 */
  int   children_field;
  int   lon_field;
  int   lat_field;
  int   geometry_field;
  int  *column_of;       /* field → column of the selects, -1 for children */
  char **member_names;   /* field → "\"name\":", as written in data */
  gsize *member_name_lens;
  PctFieldAccess *access[PCT_N_ROLES];  /* field → how the role reads it (pct-roles.h) */
  int   version_column;
} EntityInfo;

/* The row a reference was last found to name. Rows come in runs that
 * reference the same row (a region, a road, a building) again and
 * again: the store is only asked when the name changes. */
typedef struct
{
  const PctRecordField *field;
  Value                 value;   /* its text owned */
} Found;

struct _PctRecordBatch
{
  PctStore               *store;
  PctRecordRejectFunc     reject;
  gpointer                user_data;
  const PctRecordEntity  *entity;     /* of the queued rows */
  GPtrArray              *rows;       /* Row */
  GHashTable             *keys;       /* the queued keys, as text, of an entity
                                       * that references itself */
  GArray                 *found;      /* Found, one per referencing field */
  guint64                 applied;
  PctRecordFill          *fill;       /* or NULL */
};

struct _PctRecordReader
{
  PctStore              *store;
  const PctRecordEntity *entity;
  const EntityInfo      *info;
  sqlite3_stmt          *stmt;
  sqlite3_stmt          *children;  /* the nested items of a row, prepared on first use */
  /* A reader for keys reads the nested items of all its rows at once:
   * the parent's key (gint64 * or text) → the items as a JSON array. */
  GHashTable            *children_by_key;
};

G_DEFINE_QUARK (pct-record-error-quark, pct_record_error)

static char *describe_text (const char          *text);
static void  append_column (GString             *out,
                            const PctRecordField *field,
                            sqlite3_stmt        *stmt,
                            int                  column);

/* Checks ------------------------------------------------------------------ */

static gboolean
all_digits (const char *value)
{
  for (const char *p = value; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
    }
  return TRUE;
}

/* Region keys are data (GB/T 2260 changes every year, and streets and
 * communities are not in the built-in table at all), so only their shape
 * is checked: six digits for a county and above, nine for a street (the
 * county and three more) or twelve for a community (or a street written
 * with a trailing 000), with a province that exists. */
static gboolean
check_region_code (const char  *value,
                   GError     **error)
{
  gsize len = strlen (value);

  if ((len != 6 && len != 9 && len != 12) || !all_digits (value))
    {
      g_set_error_literal (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH,
                           _("A region code is 6 digits (GB/T 2260), 9 (a street) or 12 "
                             "(a community)"));
      return FALSE;
    }

  if (!pct_regions_province_known (value))
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_REGION,
                   _("No province has the code %.2s"), value);
      return FALSE;
    }

  return TRUE;
}

/* The national scheme and Beijing's are both accepted: a store may hold
 * either, and the length in use is a setting of the district, not of the
 * file being imported. */
static gboolean
check_grid_code (const char  *value,
                 GError     **error)
{
  if (strlen (value) == PCT_GRID_CODE_LENGTH_BEIJING)
    return pct_validate_grid_code (value, PCT_GRID_CODE_LENGTH_BEIJING, error);
  return pct_validate_grid_code (value, PCT_GRID_CODE_LENGTH_NATIONAL, error);
}

/* Contact numbers of departments and units are often landlines
 * (023-47521234), extensions or short service numbers (12345); a mobile
 * number among them is checked as one. */
static gboolean
check_contact_phone (const char  *value,
                     GError     **error)
{
  guint digits = 0;
  gsize len = strlen (value);

  if (len == 11 && value[0] == '1' && all_digits (value))
    return pct_validate_phone (value, error);

  for (const char *p = value; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        digits++;
      else if (*p != '-' || p == value || p[1] == '\0' || p[1] == '-')
        {
          g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                       _("“%s” is not a telephone number: only digits and single hyphens "
                         "between them are allowed"), value);
          return FALSE;
        }
    }

  if (digits < 3 || digits > 20)
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_LENGTH,
                   _("A telephone number has 3 to 20 digits, not %u"), digits);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_date (const char  *value,
            GError     **error)
{
  guint year, month, day;

  if (strlen (value) != 10 || value[4] != '-' || value[7] != '-'
      || !g_ascii_isdigit (value[0]) || !g_ascii_isdigit (value[1])
      || !g_ascii_isdigit (value[2]) || !g_ascii_isdigit (value[3])
      || !g_ascii_isdigit (value[5]) || !g_ascii_isdigit (value[6])
      || !g_ascii_isdigit (value[8]) || !g_ascii_isdigit (value[9]))
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_DATE,
                   _("“%s” is not a date of the form YYYY-MM-DD"), value);
      return FALSE;
    }

  year = (guint) g_ascii_strtoull (value, NULL, 10);
  month = (guint) g_ascii_strtoull (value + 5, NULL, 10);
  day = (guint) g_ascii_strtoull (value + 8, NULL, 10);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31
      || !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_DATE,
                   _("The date %s does not exist"), value);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_uuid (const char  *value,
            GError     **error)
{
  if (!g_uuid_string_is_valid (value))
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                   _("“%s” is not a UUID"), value);
      return FALSE;
    }
  return TRUE;
}

/* Setting names are chosen by the code that reads them, never by users. */
static gboolean
check_setting_name (const char  *value,
                    GError     **error)
{
  if (value[0] == '\0' || strlen (value) > 64
      || strspn (value, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen (value))
    {
      g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_CHARSET,
                   _("“%s” is not a setting name: up to 64 of a–z, 0–9, “_”, “.” and “-”"),
                   value);
      return FALSE;
    }
  return TRUE;
}

/* GA/T 2000.32 address element types. */
static gboolean
check_region_level (gint64   value,
                    GError **error)
{
  static const gint64 levels[] = { 11, 12, 13, 21, 22, 23, 31, 32, 33, 34, 41, 42 };

  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      if (levels[i] == value)
        return TRUE;
    }

  g_set_error (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE,
               _("%" PRId64 " is not a GA/T 2000.32 element type "
                 "(11–13, 21–23, 31–34, 41, 42)"), value);
  return FALSE;
}

/* Storeys count 1, 2, … above ground and −1, −2, … below: there is no 0. */
static gboolean
check_floor (gint64   value,
             GError **error)
{
  if (value == 0)
    {
      g_set_error_literal (error, PCT_VALIDATE_ERROR, PCT_VALIDATE_ERROR_RANGE,
                           _("There is no floor 0: floors above ground count from 1, "
                             "basements from −1"));
      return FALSE;
    }
  return TRUE;
}

/* Only the resident ID card has a check digit to verify; passports and
 * permits of other kinds are kept as written. */
static gboolean
check_person (const PctRecordEntity    *entity,
              const PctJsonNode * const *members,
              GError                  **error)
{
  const PctJsonNode *type = members[pct_record_entity_find_field (entity, "id_type")];
  const PctJsonNode *number = members[pct_record_entity_find_field (entity, "id_number")];
  g_autoptr(GError) local_error = NULL;

  /* A masked number is checked as a masked form instead, and left out. */
  if ((pct_json_node_holds (type, PCT_JSON_STRING) &&
       strcmp (type->v.string.str, "resident_id") != 0) ||
      !pct_json_node_holds (number, PCT_JSON_STRING))
    return TRUE;

  if (!pct_validate_id_number (number->v.string.str, NULL, &local_error))
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                   _("Field “%s”: %s"), "id_number", local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* The entity tables ------------------------------------------------------- */

#define REQ      PCT_FIELD_REQUIRED
#define DEF      PCT_FIELD_HAS_DEFAULT
#define RANGE    PCT_FIELD_HAS_RANGE
#define N(a)     G_N_ELEMENTS (a)
#define NO_MAX   G_MAXINT64

static const char * const area_kinds[] = { "block", "water", "green", "compound", NULL };
static const char * const address_kinds[] = { "door", "building", "unit", NULL };
static const char * const building_uses[] = {
  "residential", "commercial", "mixed", "office", "industrial", "public", NULL
};
static const char * const room_uses[] = {
  "residential", "commercial", "office", "storage", "parking", "public", NULL
};
static const char * const occupancies[] = {
  "owner", "rented", "crowded", "vacant", "business", "unverified", NULL
};
static const char * const sexes[] = { "M", "F", NULL };
static const char * const person_categories[] = { "registered", "temporary", "foreign", NULL };
static const char * const household_statuses[] = {
  "match", "person_only", "household_only", NULL
};
static const char * const unit_types[] = {
  "enterprise", "individual", "government", "school", "hospital", "social", "other", NULL
};
static const char * const unit_statuses[] = { "operating", "suspended", "closed", NULL };
static const char * const category_kinds[] = { "event", "component", NULL };
static const char * const time_units[] = { "work_hours", "work_days", "hours", "days", NULL };
static const char * const facility_statuses[] = {
  "normal", "damaged", "missing", "maintenance", NULL
};
static const char * const incident_sources[] = {
  "sensor", "hotline", "grid_worker", "citizen", "inspector", "operator", NULL
};
static const char * const incident_statuses[] = { "reported", "filed", "voided", "closed", NULL };
static const char * const work_order_states[] = {
  "filed", "dispatched", "disposing", "disposed", "verifying", "closed", "evaluated",
  "voided", "returned", "parked", NULL
};
static const char * const batch_statuses[] = {
  "draft", "printed", "installed", "cancelled", NULL
};
static const char * const plate_statuses[] = {
  "generated", "printed", "installed", "damaged", "lost", "revoked", NULL
};
static const char * const plate_sizes[] = {
  "large", "medium", "small", "building", "unit", "room", NULL
};

static const PctRecordField setting_fields[] = {
  { "value", PCT_FIELD_TEXT, REQ },
};

static const PctRecordField region_fields[] = {
  { "parent_code", PCT_FIELD_TEXT, 0, .references = "region", .check_text = check_region_code },
  { "level", PCT_FIELD_INTEGER, REQ, .check_int = check_region_level },
  { "name", PCT_FIELD_TEXT, REQ },
};

static const PctRecordField department_fields[] = {
  { "code", PCT_FIELD_TEXT, REQ },
  { "name", PCT_FIELD_TEXT, REQ },
  { "phone", PCT_FIELD_TEXT, 0, .check_text = check_contact_phone },
};

static const PctRecordField grid_cell_fields[] = {
  { "code", PCT_FIELD_TEXT, REQ, .check_text = check_grid_code },
  { "name", PCT_FIELD_TEXT, REQ },
  { "community_code", PCT_FIELD_TEXT, 0, .references = "region" },
  { "polygon", PCT_FIELD_POLYGON, REQ },
};

static const PctRecordField worker_fields[] = {
  { "name", PCT_FIELD_TEXT, REQ },
  { "phone", PCT_FIELD_TEXT, 0, .check_text = check_contact_phone },
  { "role", PCT_FIELD_TEXT, DEF, .default_text = "grid_worker" },
  { "department_id", PCT_FIELD_INTEGER, 0, .references = "department" },
  { "grid_id", PCT_FIELD_INTEGER, 0, .references = "grid_cell" },
};

static const PctRecordField road_fields[] = {
  { "name", PCT_FIELD_TEXT, REQ },
  { "class", PCT_FIELD_INTEGER, REQ | RANGE, .min = 1, .max = 4 },
  { "geometry", PCT_FIELD_LINE, REQ },
};

static const PctRecordField area_fields[] = {
  { "kind", PCT_FIELD_TEXT, REQ, .allowed = area_kinds },
  { "name", PCT_FIELD_TEXT, 0 },
  { "polygon", PCT_FIELD_POLYGON, REQ },
};

static const PctRecordField address_fields[] = {
  { "code", PCT_FIELD_TEXT, REQ },
  { "kind", PCT_FIELD_TEXT, REQ, .allowed = address_kinds },
  { "parent_id", PCT_FIELD_INTEGER, 0, .references = "address" },
  { "region_code", PCT_FIELD_TEXT, REQ, .references = "region" },
  { "road_id", PCT_FIELD_INTEGER, 0, .references = "road" },
  { "door_number", PCT_FIELD_TEXT, 0 },
  { "compound", PCT_FIELD_TEXT, 0 },
  { "building_no", PCT_FIELD_TEXT, 0 },
  { "unit_no", PCT_FIELD_TEXT, 0 },
  { "display", PCT_FIELD_TEXT, REQ },
  { "lon", PCT_FIELD_LONGITUDE, REQ },
  { "lat", PCT_FIELD_LATITUDE, REQ },
  { "grid_id", PCT_FIELD_INTEGER, 0, .references = "grid_cell" },
};

static const PctRecordField building_fields[] = {
  { "address_id", PCT_FIELD_INTEGER, 0, .references = "address" },
  { "name", PCT_FIELD_TEXT, REQ },
  { "use", PCT_FIELD_TEXT, REQ, .allowed = building_uses },
  { "floors_above", PCT_FIELD_INTEGER, REQ | RANGE, .min = 1, .max = NO_MAX },
  { "floors_below", PCT_FIELD_INTEGER, DEF | RANGE, .min = 0, .max = NO_MAX },
  { "units", PCT_FIELD_INTEGER, DEF | RANGE, .min = 1, .max = NO_MAX, .default_int = 1 },
  { "footprint", PCT_FIELD_POLYGON, REQ },
  { "lon", PCT_FIELD_LONGITUDE, REQ },
  { "lat", PCT_FIELD_LATITUDE, REQ },
  { "grid_id", PCT_FIELD_INTEGER, 0, .references = "grid_cell" },
};

static const PctRecordField room_fields[] = {
  { "building_id", PCT_FIELD_INTEGER, REQ, .references = "building" },
  { "code", PCT_FIELD_TEXT, REQ },
  { "unit_no", PCT_FIELD_INTEGER, REQ },
  { "floor", PCT_FIELD_INTEGER, REQ, .check_int = check_floor },
  { "room_no", PCT_FIELD_TEXT, REQ },
  { "use", PCT_FIELD_TEXT, REQ, .allowed = room_uses },
  { "occupancy", PCT_FIELD_TEXT, REQ, .allowed = occupancies },
  { "owner_name", PCT_FIELD_TEXT, 0 },
  { "area", PCT_FIELD_REAL, RANGE, .min = 0, .max = NO_MAX },
  { "resident_count", PCT_FIELD_INTEGER, DEF | RANGE, .min = 0, .max = NO_MAX },
};

static const PctRecordField person_room_fields[] = {
  { "room_code", PCT_FIELD_TEXT, REQ },
  { "room_id", PCT_FIELD_INTEGER, PCT_FIELD_RESOLVED, .references = "room",
    .resolve_from = "room_code", .resolve_sql = "SELECT id FROM rooms WHERE code = ?1" },
  { "relation", PCT_FIELD_TEXT, REQ },
  { "since", PCT_FIELD_TEXT, 0, .check_text = check_date },
};

static const PctRecordChildren person_rooms = {
  "person_rooms", "person_id", "room_code", person_room_fields, N (person_room_fields),
};

static const PctRecordField person_fields[] = {
  { "name", PCT_FIELD_TEXT, REQ },
  { "id_type", PCT_FIELD_TEXT, DEF, .default_text = "resident_id" },
  { "id_number", PCT_FIELD_TEXT, REQ },
  { "sex", PCT_FIELD_TEXT, 0, .allowed = sexes },
  { "ethnicity", PCT_FIELD_TEXT, 0 },
  { "birth_date", PCT_FIELD_TEXT, 0, .check_text = check_date },
  { "hukou_address", PCT_FIELD_TEXT, 0 },
  { "phone", PCT_FIELD_TEXT, 0, .check_text = pct_validate_phone },
  { "category", PCT_FIELD_TEXT, REQ, .allowed = person_categories },
  { "household_status", PCT_FIELD_TEXT, REQ, .allowed = household_statuses },
  { "rooms", PCT_FIELD_CHILDREN, 0, .children = &person_rooms },
};

static const PctRecordField unit_fields[] = {
  { "name", PCT_FIELD_TEXT, REQ },
  { "uscc", PCT_FIELD_TEXT, 0, .check_text = pct_validate_uscc },
  { "type", PCT_FIELD_TEXT, REQ, .allowed = unit_types },
  { "legal_rep", PCT_FIELD_TEXT, 0 },
  { "phone", PCT_FIELD_TEXT, 0, .check_text = check_contact_phone },
  { "status", PCT_FIELD_TEXT, REQ, .allowed = unit_statuses },
  { "address_id", PCT_FIELD_INTEGER, 0, .references = "address" },
  { "room_id", PCT_FIELD_INTEGER, 0, .references = "room" },
  { "staff", PCT_FIELD_INTEGER, RANGE, .min = 0, .max = NO_MAX },
  { "lon", PCT_FIELD_LONGITUDE, REQ },
  { "lat", PCT_FIELD_LATITUDE, REQ },
};

static const PctRecordField category_fields[] = {
  { "code", PCT_FIELD_TEXT, REQ },
  { "kind", PCT_FIELD_TEXT, REQ, .allowed = category_kinds },
  { "major", PCT_FIELD_TEXT, REQ },
  { "minor", PCT_FIELD_TEXT, REQ },
  { "time_limit", PCT_FIELD_INTEGER, RANGE, .min = 0, .max = NO_MAX },
  { "time_unit", PCT_FIELD_TEXT, 0, .allowed = time_units },
};

static const PctRecordField facility_fields[] = {
  { "code", PCT_FIELD_TEXT, REQ, .check_text = pct_validate_component_code },
  { "category_id", PCT_FIELD_INTEGER, REQ, .references = "category" },
  { "name", PCT_FIELD_TEXT, REQ },
  { "status", PCT_FIELD_TEXT, REQ, .allowed = facility_statuses },
  { "department_id", PCT_FIELD_INTEGER, 0, .references = "department" },
  { "address_id", PCT_FIELD_INTEGER, 0, .references = "address" },
  { "building_id", PCT_FIELD_INTEGER, 0, .references = "building" },
  { "lon", PCT_FIELD_LONGITUDE, REQ },
  { "lat", PCT_FIELD_LATITUDE, REQ },
};

static const PctRecordField incident_fields[] = {
  { "uuid", PCT_FIELD_TEXT, REQ, .check_text = check_uuid },
  { "category_id", PCT_FIELD_INTEGER, 0, .references = "category" },
  { "source", PCT_FIELD_TEXT, REQ, .allowed = incident_sources },
  { "severity", PCT_FIELD_INTEGER, DEF | RANGE, .min = 1, .max = 4, .default_int = 2 },
  { "status", PCT_FIELD_TEXT, REQ, .allowed = incident_statuses },
  { "description", PCT_FIELD_TEXT, REQ },
  { "lon", PCT_FIELD_LONGITUDE, REQ },
  { "lat", PCT_FIELD_LATITUDE, REQ },
  { "address_id", PCT_FIELD_INTEGER, 0, .references = "address" },
  { "grid_id", PCT_FIELD_INTEGER, 0, .references = "grid_cell" },
  { "reported_at", PCT_FIELD_INTEGER, REQ | RANGE, .min = 0, .max = NO_MAX },
};

static const PctRecordField work_order_fields[] = {
  { "uuid", PCT_FIELD_TEXT, REQ, .check_text = check_uuid },
  { "number", PCT_FIELD_TEXT, REQ },
  { "incident_id", PCT_FIELD_INTEGER, 0, .references = "incident" },
  { "category_id", PCT_FIELD_INTEGER, 0, .references = "category" },
  { "state", PCT_FIELD_TEXT, REQ, .allowed = work_order_states },
  { "department_id", PCT_FIELD_INTEGER, 0, .references = "department" },
  { "worker_id", PCT_FIELD_INTEGER, 0, .references = "worker" },
  { "grid_id", PCT_FIELD_INTEGER, 0, .references = "grid_cell" },
  { "filed_at", PCT_FIELD_INTEGER, REQ | RANGE, .min = 0, .max = NO_MAX },
  { "deadline", PCT_FIELD_INTEGER, RANGE, .min = 0, .max = NO_MAX },
  { "extended_deadline", PCT_FIELD_INTEGER, RANGE, .min = 0, .max = NO_MAX },
  { "disposed_at", PCT_FIELD_INTEGER, RANGE, .min = 0, .max = NO_MAX },
  { "closed_at", PCT_FIELD_INTEGER, RANGE, .min = 0, .max = NO_MAX },
  { "rework_count", PCT_FIELD_INTEGER, DEF | RANGE, .min = 0, .max = NO_MAX },
  { "escalated", PCT_FIELD_BOOLEAN, DEF },
  { "evaluation", PCT_FIELD_INTEGER, 0 },
};

static const PctRecordField work_order_event_fields[] = {
  { "work_order_id", PCT_FIELD_INTEGER, REQ, .references = "work_order" },
  { "action", PCT_FIELD_TEXT, REQ },
  { "from_state", PCT_FIELD_TEXT, 0 },
  { "to_state", PCT_FIELD_TEXT, REQ },
  { "actor", PCT_FIELD_TEXT, 0 },
  { "department_id", PCT_FIELD_INTEGER, 0, .references = "department" },
  { "at", PCT_FIELD_INTEGER, REQ | RANGE, .min = 0, .max = NO_MAX },
  { "note", PCT_FIELD_TEXT, 0 },
};

static const PctRecordField plate_batch_fields[] = {
  { "uuid", PCT_FIELD_TEXT, REQ, .check_text = check_uuid },
  { "name", PCT_FIELD_TEXT, REQ },
  { "size", PCT_FIELD_TEXT, REQ },
  { "created_at", PCT_FIELD_INTEGER, REQ | RANGE, .min = 0, .max = NO_MAX },
  { "created_by", PCT_FIELD_TEXT, 0 },
  { "plate_count", PCT_FIELD_INTEGER, DEF | RANGE, .min = 0, .max = NO_MAX },
  { "status", PCT_FIELD_TEXT, DEF, .allowed = batch_statuses, .default_text = "draft" },
};

static const PctRecordField plate_fields[] = {
  { "address_id", PCT_FIELD_INTEGER, REQ, .references = "address" },
  { "token", PCT_FIELD_TEXT, REQ },
  { "status", PCT_FIELD_TEXT, REQ, .allowed = plate_statuses },
  { "size", PCT_FIELD_TEXT, REQ, .allowed = plate_sizes },
  { "issued_at", PCT_FIELD_INTEGER, REQ | RANGE, .min = 0, .max = NO_MAX },
  { "installed_at", PCT_FIELD_INTEGER, RANGE, .min = 0, .max = NO_MAX },
  { "replaced_by", PCT_FIELD_INTEGER, 0, .references = "plate" },
  { "batch_id", PCT_FIELD_INTEGER, 0, .references = "plate_batch" },
};

static const PctRecordField calendar_day_fields[] = {
  { "workday", PCT_FIELD_BOOLEAN, REQ },
  { "name", PCT_FIELD_TEXT, 0 },
};

/* entity_id names a row of entity, whichever that is: not a reference the
 * store could check. */
static const PctRecordField audit_fields[] = {
  { "uuid", PCT_FIELD_TEXT, REQ, .check_text = check_uuid },
  { "at", PCT_FIELD_INTEGER, REQ | RANGE, .min = 0, .max = NO_MAX },
  { "actor", PCT_FIELD_TEXT, REQ },
  { "action", PCT_FIELD_TEXT, REQ },
  { "entity", PCT_FIELD_TEXT, REQ },
  { "entity_id", PCT_FIELD_INTEGER, 0 },
  { "field", PCT_FIELD_TEXT, 0 },
  { "reason", PCT_FIELD_TEXT, 0 },
};

#define ENTITY(name, table, fields) \
  name, table, "id", PCT_FIELD_INTEGER, NULL, FALSE, PCT_GEOMETRY_NONE, NULL, fields, N (fields)
#define SYNCED_ENTITY(name, table, fields, geometry, geometry_field) \
  name, table, "id", PCT_FIELD_INTEGER, NULL, TRUE, geometry, geometry_field, fields, N (fields)

/* In dependency order: each entity references only earlier ones (or
 * itself), so a dump written in this order imports in one pass. */
static const PctRecordEntity entities[] = {
  { "setting", "meta", "key", PCT_FIELD_TEXT, check_setting_name, FALSE, PCT_GEOMETRY_NONE,
    NULL, setting_fields, N (setting_fields) },
  { "region", "regions", "code", PCT_FIELD_TEXT, check_region_code, FALSE, PCT_GEOMETRY_NONE,
    NULL, region_fields, N (region_fields) },
  { ENTITY ("department", "departments", department_fields) },
  { SYNCED_ENTITY ("grid_cell", "grid_cells", grid_cell_fields, PCT_GEOMETRY_POLYGON, "polygon") },
  { ENTITY ("worker", "workers", worker_fields) },
  { "road", "roads", "id", PCT_FIELD_INTEGER, NULL, FALSE, PCT_GEOMETRY_LINE, "geometry",
    road_fields, N (road_fields) },
  { "area", "areas", "id", PCT_FIELD_INTEGER, NULL, FALSE, PCT_GEOMETRY_POLYGON, "polygon",
    area_fields, N (area_fields) },
  { SYNCED_ENTITY ("address", "addresses", address_fields, PCT_GEOMETRY_POINT, NULL) },
  { SYNCED_ENTITY ("building", "buildings", building_fields, PCT_GEOMETRY_POLYGON, "footprint") },
  { SYNCED_ENTITY ("room", "rooms", room_fields, PCT_GEOMETRY_NONE, NULL) },
  { SYNCED_ENTITY ("person", "people", person_fields, PCT_GEOMETRY_NONE, NULL),
    .check = check_person },
  { SYNCED_ENTITY ("unit", "units", unit_fields, PCT_GEOMETRY_POINT, NULL) },
  { ENTITY ("category", "categories", category_fields) },
  { SYNCED_ENTITY ("facility", "facilities", facility_fields, PCT_GEOMETRY_POINT, NULL) },
  { SYNCED_ENTITY ("incident", "incidents", incident_fields, PCT_GEOMETRY_POINT, NULL) },
  { SYNCED_ENTITY ("work_order", "work_orders", work_order_fields, PCT_GEOMETRY_NONE, NULL) },
  { ENTITY ("work_order_event", "work_order_events", work_order_event_fields) },
  { ENTITY ("plate_batch", "plate_batches", plate_batch_fields) },
  { SYNCED_ENTITY ("plate", "plates", plate_fields, PCT_GEOMETRY_NONE, NULL) },
  { "calendar_day", "calendar", "date", PCT_FIELD_TEXT, check_date, FALSE, PCT_GEOMETRY_NONE,
    NULL, calendar_day_fields, N (calendar_day_fields) },
  { ENTITY ("audit", "audit_log", audit_fields) },
};

static const char * const layer_entities[PCT_N_LAYERS] = {
  [PCT_LAYER_ADDRESSES] = "address",
  [PCT_LAYER_BUILDINGS] = "building",
  [PCT_LAYER_UNITS] = "unit",
  [PCT_LAYER_FACILITIES] = "facility",
  [PCT_LAYER_GRIDS] = "grid_cell",
  [PCT_LAYER_ROADS] = "road",
  [PCT_LAYER_INCIDENTS] = "incident",
};

#undef REQ
#undef DEF
#undef RANGE
#undef NO_MAX
#undef ENTITY
#undef SYNCED_ENTITY

static EntityInfo entity_infos[N (entities)];

/* Derived SQL ------------------------------------------------------------- */

/* Table and column names come from the constant tables above, never from
 * input, so formatting them into SQL is safe. Values are always bound. */
static void
build_info (const PctRecordEntity *entity,
            EntityInfo            *info)
{
  g_autoptr(GString) columns = g_string_new (NULL);
  g_autoptr(GString) t_columns = g_string_new (NULL);
  g_autoptr(GString) updates = g_string_new (NULL);
  const char *meta = entity->synced ? ", version, updated_at" : "";
  const char *t_meta = entity->synced ? ", t.version, t.updated_at" : "";
  int column = 1;

  g_assert (entity->n_fields <= MAX_FIELDS);

  info->self_field = -1;
  info->children_field = -1;
  info->lon_field = -1;
  info->lat_field = -1;
  info->geometry_field = -1;
  info->column_of = g_new (int, entity->n_fields);
  info->member_names = g_new (char *, entity->n_fields);
  info->member_name_lens = g_new (gsize, entity->n_fields);
  for (guint r = 0; r < PCT_N_ROLES; r++)
    info->access[r] = g_new (PctFieldAccess, entity->n_fields);

  for (guint i = 0; i < entity->n_fields; i++)
    {
      const PctRecordField *field = &entity->fields[i];

      info->column_of[i] = -1;
      info->member_names[i] = g_strdup_printf ("\"%s\":", field->name);
      info->member_name_lens[i] = strlen (info->member_names[i]);
      for (guint r = 0; r < PCT_N_ROLES; r++)
        info->access[r][i] = pct_role_field_access ((PctRole) r, entity->name, field->name);
      if (field->type == PCT_FIELD_CHILDREN)
        {
          info->children_field = (int) i;
          continue;
        }

      info->column_of[i] = column++;
      g_string_append_printf (columns, ", %s", field->name);
      g_string_append_printf (t_columns, ", t.%s", field->name);
      g_string_append_printf (updates, "%s%s = excluded.%s",
                              updates->len > 0 ? ", " : "", field->name, field->name);

      if (g_strcmp0 (field->references, entity->name) == 0)
        info->self_field = (int) i;
      if (field->type == PCT_FIELD_LONGITUDE)
        info->lon_field = (int) i;
      if (field->type == PCT_FIELD_LATITUDE)
        info->lat_field = (int) i;
      if (g_strcmp0 (field->name, entity->geometry_field) == 0)
        info->geometry_field = (int) i;
    }
  info->version_column = column;
  info->n_params = column + (entity->synced ? 2 : 0);

  if (entity->synced)
    g_string_append (updates, ", version = excluded.version, updated_at = excluded.updated_at");

  info->select = g_strdup_printf ("SELECT t.%s%s%s FROM %s t ORDER BY t.%s",
                                  entity->key, t_columns->str, t_meta, entity->table,
                                  entity->key);
  /* The keys drive: one lookup each, in the order given (which must
   * hold no key twice), and no temporary index as IN would build. */
  info->select_keys = g_strdup_printf ("SELECT t.%s%s%s FROM json_each (?1) j "
                                       "CROSS JOIN %s t ON t.%s = j.value",
                                       entity->key, t_columns->str, t_meta, entity->table,
                                       entity->key);
  info->count = g_strdup_printf ("SELECT count(*) FROM %s", entity->table);
  info->insert_head = g_strdup_printf ("INSERT INTO %s (%s%s%s) VALUES ",
                                       entity->table, entity->key, columns->str, meta);
  info->upsert_tail = g_strdup_printf (" ON CONFLICT (%s) DO UPDATE SET %s",
                                       entity->key, updates->str);
  /* FAIL rather than the default ABORT, which would make SQLite keep a
   * statement journal: a failed fill is rolled back by its caller. */
  info->fill_head = g_strdup_printf ("INSERT OR FAIL INTO %s (%s%s%s) VALUES ",
                                     entity->table, entity->key, columns->str, meta);
  info->delete = g_strdup_printf ("DELETE FROM %s WHERE %s = ?1", entity->table, entity->key);
  info->exists = g_strdup_printf ("SELECT 1 FROM %s WHERE %s = ?1", entity->table, entity->key);

  if (info->self_field >= 0)
    {
      const char *self = entity->fields[info->self_field].name;

      /* A row may only be imported after the row it references; when some
       * row references a later key, order by the length of the chain of
       * references above each row instead of by key. */
      info->forward_refs = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM %s WHERE %s >= %s)",
                                            entity->table, self, entity->key);
      info->select_ordered = g_strdup_printf (
        "WITH RECURSIVE up (k, p, d) AS ("
        "SELECT %s, %s, 0 FROM %s "
        "UNION ALL SELECT up.k, s.%s, up.d + 1 FROM up JOIN %s s ON s.%s = up.p "
        "WHERE up.d < %d), "
        "depth (k, d) AS (SELECT k, max (d) FROM up GROUP BY k) "
        "SELECT t.%s%s%s FROM %s t JOIN depth ON depth.k = t.%s ORDER BY depth.d, t.%s",
        entity->key, self, entity->table,
        self, entity->table, entity->key,
        MAX_REFERENCE_CHAIN,
        entity->key, t_columns->str, t_meta, entity->table, entity->key, entity->key);
    }

  if (info->children_field >= 0)
    {
      const PctRecordChildren *children = entity->fields[info->children_field].children;
      g_autoptr(GString) child_columns = g_string_new (NULL);
      g_autoptr(GString) c_child_columns = g_string_new (NULL);
      g_autoptr(GString) child_params = g_string_new (NULL);

      for (guint i = 0; i < children->n_fields; i++)
        {
          g_string_append_printf (child_columns, "%s%s", i > 0 ? ", " : "",
                                  children->fields[i].name);
          g_string_append_printf (c_child_columns, "%sc.%s", i > 0 ? ", " : "",
                                  children->fields[i].name);
          g_string_append_printf (child_params, ", ?%u", i + 2);
        }

      info->children_delete_head = g_strdup_printf ("DELETE FROM %s WHERE %s IN (",
                                                    children->table, children->parent_column);
      info->children_insert_head = g_strdup_printf ("INSERT INTO %s (%s, %s) VALUES ",
                                                    children->table, children->parent_column,
                                                    child_columns->str);
      info->children_fill_head = g_strdup_printf ("INSERT OR FAIL INTO %s (%s, %s) VALUES ",
                                                  children->table, children->parent_column,
                                                  child_columns->str);
      info->n_child_params = 1 + (int) children->n_fields;
      info->children_select = g_strdup_printf ("SELECT %s FROM %s WHERE %s = ?1 ORDER BY %s",
                                               child_columns->str, children->table,
                                               children->parent_column,
                                               children->unique_field);
      /* The parent's key comes last, so that the columns of an item are
       * numbered as in children_select. */
      info->children_select_keys = g_strdup_printf (
        "SELECT %s, c.%s FROM json_each (?1) j CROSS JOIN %s c ON c.%s = j.value",
        c_child_columns->str, children->parent_column, children->table, children->parent_column);
    }
}

/* The SQL texts live as long as the process: the store's statement cache
 * keys on them. */
static const EntityInfo *
get_info (const PctRecordEntity *entity)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised))
    {
      for (guint i = 0; i < N (entities); i++)
        build_info (&entities[i], &entity_infos[i]);
      g_once_init_leave (&initialised, 1);
    }

  return &entity_infos[entity - entities];
}

static char *
build_chunk_sql (const EntityInfo *info,
                 ChunkKind         kind,
                 guint             n_rows)
{
  const char *heads[N_CHUNK_KINDS] = {
    info->insert_head, info->children_delete_head, info->children_insert_head,
    info->fill_head, info->children_fill_head
  };
  const char *tails[N_CHUNK_KINDS] = { info->upsert_tail, ")", "", "", "" };
  const int n_params[N_CHUNK_KINDS] = {
    info->n_params, 1, info->n_child_params, info->n_params, info->n_child_params
  };
  gboolean grouped = kind != CHUNK_CHILDREN_DELETE;
  g_autoptr(GString) text = g_string_new (heads[kind]);

  /* Anonymous parameters number themselves in order; numbered ones
   * cost SQLite a search of all those before each when preparing,
   * which for thousands of them is most of the preparation. */
  for (guint r = 0; r < n_rows; r++)
    {
      if (r > 0)
        g_string_append (text, ", ");
      if (grouped)
        g_string_append_c (text, '(');
      for (int p = 0; p < n_params[kind]; p++)
        g_string_append (text, p > 0 ? ", ?" : "?");
      if (grouped)
        g_string_append_c (text, ')');
    }
  g_string_append (text, tails[kind]);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The statement of a kind for 2^size_index rows. */
static const char *
get_chunk_sql (const EntityInfo *info,
               ChunkKind         kind,
               guint             size_index)
{
  static GMutex lock;
  EntityInfo *mutable_info = (EntityInfo *) info;
  const char *sql;

  g_mutex_lock (&lock);
  if (info->chunks[kind][size_index] == NULL)
    mutable_info->chunks[kind][size_index] = build_chunk_sql (info, kind, 1u << size_index);
  sql = info->chunks[kind][size_index];
  g_mutex_unlock (&lock);

  return sql;
}

/* The largest chunk size, as an index, that n rows fill. */
static guint
chunk_size_index (guint n)
{
  guint size_index = N_CHUNK_SIZES - 1;

  while ((1u << size_index) > n)
    size_index--;
  return size_index;
}

/* Entities ---------------------------------------------------------------- */

const PctRecordEntity *
pct_record_entities (guint *n_entities)
{
  if (n_entities != NULL)
    *n_entities = N (entities);
  return entities;
}

const PctRecordEntity *
pct_record_entity_lookup (const char *name)
{
  if (name == NULL)
    return NULL;

  for (guint i = 0; i < N (entities); i++)
    {
      if (strcmp (entities[i].name, name) == 0)
        return &entities[i];
    }
  return NULL;
}

const PctRecordEntity *
pct_record_entity_for_layer (PctLayer layer)
{
  g_return_val_if_fail (layer < PCT_N_LAYERS, NULL);
  return pct_record_entity_lookup (layer_entities[layer]);
}

int
pct_record_entity_find_field (const PctRecordEntity *entity,
                              const char            *name)
{
  for (guint i = 0; i < entity->n_fields; i++)
    {
      if (strcmp (entity->fields[i].name, name) == 0)
        return (int) i;
    }
  return -1;
}

gboolean
pct_record_field_is_geometry (const PctRecordEntity *entity,
                              const PctRecordField  *field)
{
  switch (entity->geometry)
    {
    case PCT_GEOMETRY_POINT:
      return field->type == PCT_FIELD_LONGITUDE || field->type == PCT_FIELD_LATITUDE;
    case PCT_GEOMETRY_LINE:
    case PCT_GEOMETRY_POLYGON:
      return g_strcmp0 (field->name, entity->geometry_field) == 0;
    case PCT_GEOMETRY_NONE:
    default:
      return FALSE;
    }
}

/* JSON text --------------------------------------------------------------- */

/* g_string_append_len() as GLib 2.76 inlines it: the writers append
 * millions of short pieces. */
#define append_literal(out, text) append_len ((out), (text), sizeof (text) - 1)

static inline void
append_len (GString    *out,
            const char *text,
            gsize       len)
{
  if (G_LIKELY (out->len + len < out->allocated_len))
    {
      memcpy (out->str + out->len, text, len);
      out->len += len;
      out->str[out->len] = '\0';
    }
  else
    g_string_append_len (out, text, len);
}

/* The length of a valid three-byte UTF-8 sequence at p other than U+2028
 * and U+2029, or 0: most text is Chinese, and this is its common case. */
static inline gsize
common_three_bytes (const guchar *p)
{
  if ((p[0] & 0xF0) != 0xE0 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
    return 0;
  if ((p[0] == 0xE0 && p[1] < 0xA0) ||             /* overlong */
      (p[0] == 0xED && p[1] >= 0xA0) ||            /* surrogates */
      (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)))
    return 0;
  return 3;
}

/* Bytes that a JSON string can hold as they are: printable ASCII but the
 * quote and the backslash. Filled on first use. */
static guint8 plain_json_bytes[256];

static void
init_plain_json_bytes (void)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised))
    {
      for (guint c = 0x20; c < 0x80; c++)
        plain_json_bytes[c] = c != '"' && c != '\\';
      g_once_init_leave (&initialised, 1);
    }
}

void
pct_record_append_json_string (GString    *out,
                               const char *text)
{
  const char *p = text;
  const char *run = text;

  init_plain_json_bytes ();

  g_string_append_c (out, '"');
  while (*p != '\0')
    {
      guchar c;
      gunichar u = 0;

      while (plain_json_bytes[(guchar) *p])
        p++;
      c = (guchar) *p;
      if (c == '\0')
        break;

      /* Valid characters stay in the run, which is copied whole. U+2028
       * and U+2029 are legal in JSON but line breaks to JavaScript and to
       * some line-oriented tools. */
      if (c >= 0x80)
        {
          gsize three = common_three_bytes ((const guchar *) p);

          if (three > 0)
            {
              p += three;
              continue;
            }
          u = g_utf8_get_char_validated (p, -1);
          if (u != (gunichar) -1 && u != (gunichar) -2 && u != 0x2028 && u != 0x2029)
            {
              p = g_utf8_next_char (p);
              continue;
            }
        }

      append_len (out, run, p - run);
      if (c < 0x80)
        {
          switch (c)
            {
            case '"': g_string_append (out, "\\\""); break;
            case '\\': g_string_append (out, "\\\\"); break;
            case '\b': g_string_append (out, "\\b"); break;
            case '\f': g_string_append (out, "\\f"); break;
            case '\n': g_string_append (out, "\\n"); break;
            case '\r': g_string_append (out, "\\r"); break;
            case '\t': g_string_append (out, "\\t"); break;
            default: g_string_append_printf (out, "\\u%04x", c); break;
            }
          p++;
        }
      else if (u == 0x2028 || u == 0x2029)
        {
          g_string_append_printf (out, "\\u%04x", (guint) u);
          p = g_utf8_next_char (p);
        }
      else
        {
          /* Not UTF-8: the byte becomes U+FFFD. */
          g_string_append (out, "\\ufffd");
          p++;
        }
      run = p;
    }
  append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

void
pct_record_append_double (GString *out,
                          double   value)
{
  static const char * const formats[] = { "%.15g", "%.16g", "%.17g" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  g_string_append (out, buf);
}

/* Integers are most of what the readers write; printf is slow for them. */
static void
append_int (GString *out,
            gint64   value)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 magnitude = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;

  do
    {
      *--p = (char) ('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude > 0);
  if (value < 0)
    *--p = '-';
  append_len (out, p, buf + sizeof buf - p);
}

static void
append_positions (GString *out,
                  GArray  *positions,
                  gboolean close_ring)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < positions->len; i++)
    {
      const PctPosition *pos = &g_array_index (positions, PctPosition, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '[');
      pct_record_append_double (out, pos->lon);
      g_string_append_c (out, ',');
      pct_record_append_double (out, pos->lat);
      g_string_append_c (out, ']');
    }

  if (close_ring && positions->len > 0)
    {
      const PctPosition *first = &g_array_index (positions, PctPosition, 0);
      const PctPosition *last = &g_array_index (positions, PctPosition, positions->len - 1);

      if (first->lon != last->lon || first->lat != last->lat)
        {
          g_string_append (out, ",[");
          pct_record_append_double (out, first->lon);
          g_string_append_c (out, ',');
          pct_record_append_double (out, first->lat);
          g_string_append_c (out, ']');
        }
    }
  g_string_append_c (out, ']');
}

static const char *
skip_space (const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

/* Reads the stored form of a line or polygon, a JSON array of
 * [lon, lat] pairs. Kept apart from json-glib because export reads
 * hundreds of thousands of them. */
static gboolean
parse_positions (const char *text,
                 GArray     *positions)
{
  const char *p = skip_space (text);
  char *end;

  if (*p++ != '[')
    return FALSE;
  p = skip_space (p);
  if (*p == ']')
    return *skip_space (p + 1) == '\0';

  for (;;)
    {
      PctPosition pos;

      p = skip_space (p);
      if (*p++ != '[')
        return FALSE;
      pos.lon = g_ascii_strtod (skip_space (p), &end);
      if (end == p || !isfinite (pos.lon))
        return FALSE;
      p = skip_space (end);
      if (*p++ != ',')
        return FALSE;
      p = skip_space (p);
      pos.lat = g_ascii_strtod (p, &end);
      if (end == p || !isfinite (pos.lat))
        return FALSE;
      p = skip_space (end);
      if (*p++ != ']')
        return FALSE;
      g_array_append_val (positions, pos);

      p = skip_space (p);
      if (*p == ',')
        {
          p++;
          continue;
        }
      if (*p != ']')
        return FALSE;
      return *skip_space (p + 1) == '\0';
    }
}

/* Strict JSON ------------------------------------------------------------- */

typedef enum
{
  EXPECT_VALUE,
  EXPECT_VALUE_OR_CLOSE,
  EXPECT_KEY,
  EXPECT_KEY_OR_CLOSE,
  EXPECT_COLON,
  EXPECT_COMMA_OR_CLOSE,
} ScanState;

static gboolean
syntax_error (GError    **error,
              const char *text,
              const char *at,
              const char *what)
{
  g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_SYNTAX,
               _("Not valid JSON at byte %" PRIu64 ": %s"),
               (guint64) (at - text) + 1, what);
  return FALSE;
}

static gboolean
read_hex4 (const char *p,
           const char *end,
           guint      *value)
{
  *value = 0;
  if (end - p < 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return FALSE;
      *value = *value * 16 + (guint) digit;
    }
  return TRUE;
}

static gboolean
scan_string (const char  *text,
             const char **pp,
             const char  *end,
             GError     **error)
{
  const char *p = *pp + 1;

  while (p < end)
    {
      guchar c = (guchar) *p;
      guint code;
      guint low;

      if (c == '"')
        {
          *pp = p + 1;
          return TRUE;
        }
      if (c < 0x20)
        return syntax_error (error, text, p, _("a control character inside a string must be "
                                               "escaped"));
      if (c != '\\')
        {
          p++;
          continue;
        }

      if (end - p < 2)
        break;
      switch (p[1])
        {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          p += 2;
          break;

        case 'u':
          if (!read_hex4 (p + 2, end, &code))
            return syntax_error (error, text, p, _("a \\u escape needs four hexadecimal digits"));
          if (code == 0)
            return syntax_error (error, text, p, _("a string holds a NUL character"));
          if (code >= 0xDC00 && code <= 0xDFFF)
            return syntax_error (error, text, p, _("a low surrogate escape without a high one"));
          if (code >= 0xD800 && code <= 0xDBFF)
            {
              if (end - p < 12 || p[6] != '\\' || p[7] != 'u'
                  || !read_hex4 (p + 8, end, &low) || low < 0xDC00 || low > 0xDFFF)
                return syntax_error (error, text, p,
                                     _("a high surrogate escape without a low one"));
              p += 12;
            }
          else
            p += 6;
          break;

        default:
          return syntax_error (error, text, p, _("an unknown escape sequence"));
        }
    }

  return syntax_error (error, text, end, _("a string is not closed"));
}

static gboolean
scan_number (const char  *text,
             const char **pp,
             const char  *end,
             GError     **error)
{
  const char *start = *pp;
  const char *p = start;
  gboolean integral = TRUE;

  if (*p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if (p < end && *p >= '1' && *p <= '9')
    {
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  else
    return syntax_error (error, text, p, _("a number is malformed"));

  if (p < end && *p == '.')
    {
      integral = FALSE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return syntax_error (error, text, p, _("a number is malformed"));
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }

  if (p < end && (*p == 'e' || *p == 'E'))
    {
      integral = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return syntax_error (error, text, p, _("a number is malformed"));
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }

  /* json-glib wraps integers that overflow 64 bits without a word. */
  if (integral)
    {
      char buf[MAX_INTEGER_LITERAL + 1];
      gsize len = (gsize) (p - start);

      if (len > MAX_INTEGER_LITERAL)
        return syntax_error (error, text, start, _("an integer does not fit in 64 bits"));
      memcpy (buf, start, len);
      buf[len] = '\0';
      errno = 0;
      g_ascii_strtoll (buf, NULL, 10);
      if (errno == ERANGE)
        return syntax_error (error, text, start, _("an integer does not fit in 64 bits"));
    }

  *pp = p;
  return TRUE;
}

static gboolean
scan_literal (const char **pp,
              const char  *end)
{
  static const char * const literals[] = { "true", "false", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
    {
      gsize len = strlen (literals[i]);

      if ((gsize) (end - *pp) >= len && memcmp (*pp, literals[i], len) == 0)
        {
          *pp += len;
          return TRUE;
        }
    }
  return FALSE;
}

/* json-glib 1.6 accepts single quotes, hexadecimal and leading zeros,
 * ignores what follows the first value and recurses once per nesting
 * level; this check runs first, without recursion, so that only strict
 * JSON of bounded depth reaches it. */
gboolean
pct_record_check_json (const char  *text,
                       gsize        length,
                       guint       *n_members,
                       GError     **error)
{
  const char *p = text;
  const char *end = text + length;
  char stack[PCT_RECORD_MAX_DEPTH];
  guint depth = 0;
  guint members = 0;
  ScanState state = EXPECT_VALUE;

  for (;;)
    {
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;

      if (p == end)
        {
          if (depth == 0 && state == EXPECT_COMMA_OR_CLOSE)
            break;
          return syntax_error (error, text, p, _("the text ends before the value does"));
        }

      switch (state)
        {
        case EXPECT_KEY_OR_CLOSE:
        case EXPECT_KEY:
          if (*p == '}' && state == EXPECT_KEY_OR_CLOSE)
            {
              depth--;
              p++;
              state = EXPECT_COMMA_OR_CLOSE;
              break;
            }
          if (*p != '"')
            return syntax_error (error, text, p, _("a member name must be a string"));
          if (!scan_string (text, &p, end, error))
            return FALSE;
          members++;
          state = EXPECT_COLON;
          break;

        case EXPECT_COLON:
          if (*p != ':')
            return syntax_error (error, text, p, _("“:” expected after a member name"));
          p++;
          state = EXPECT_VALUE;
          break;

        case EXPECT_COMMA_OR_CLOSE:
          if (depth == 0)
            return syntax_error (error, text, p, _("unexpected text after the value"));
          if (*p == ',')
            state = stack[depth - 1] == '{' ? EXPECT_KEY : EXPECT_VALUE;
          else if ((*p == '}' && stack[depth - 1] == '{') || (*p == ']' && stack[depth - 1] == '['))
            depth--;
          else
            return syntax_error (error, text, p, stack[depth - 1] == '{'
                                                 ? _("“,” or “}” expected")
                                                 : _("“,” or “]” expected"));
          p++;
          break;

        case EXPECT_VALUE_OR_CLOSE:
        case EXPECT_VALUE:
          if (*p == ']' && state == EXPECT_VALUE_OR_CLOSE)
            {
              depth--;
              p++;
              state = EXPECT_COMMA_OR_CLOSE;
              break;
            }
          if (*p == '{' || *p == '[')
            {
              if (depth == PCT_RECORD_MAX_DEPTH)
                {
                  g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_TOO_LARGE,
                               _("The JSON is nested deeper than %d levels"),
                               PCT_RECORD_MAX_DEPTH);
                  return FALSE;
                }
              stack[depth++] = *p;
              state = *p == '{' ? EXPECT_KEY_OR_CLOSE : EXPECT_VALUE_OR_CLOSE;
              p++;
              break;
            }
          if (*p == '"')
            {
              if (!scan_string (text, &p, end, error))
                return FALSE;
            }
          else if (*p == '-' || g_ascii_isdigit (*p))
            {
              if (!scan_number (text, &p, end, error))
                return FALSE;
            }
          else if (!scan_literal (&p, end))
            return syntax_error (error, text, p, _("a value was expected"));
          state = EXPECT_COMMA_OR_CLOSE;
          break;

        default:
          g_assert_not_reached ();
        }
    }

  if (n_members != NULL)
    *n_members = members;
  return TRUE;
}

static guint
count_members (JsonNode *node)
{
  guint n = 0;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, NULL, &member))
          n += 1 + count_members (member);
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          n += count_members (json_array_get_element (array, i));
      }
      break;

    case JSON_NODE_VALUE:
    case JSON_NODE_NULL:
    default:
      break;
    }

  return n;
}

/* What pct_record_parse() and pct_record_parse_json() check before the
 * text is built. */
static gboolean
check_record_text (const char  *text,
                   gsize        length,
                   guint       *n_members,
                   GError     **error)
{
  const char *bad = NULL;

  if (length > PCT_RECORD_MAX_BYTES)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_TOO_LARGE,
                   _("The record is longer than %d bytes"), PCT_RECORD_MAX_BYTES);
      return FALSE;
    }

  bad = memchr (text, '\0', length);
  if (bad != NULL)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_SYNTAX,
                   _("The record holds a NUL byte at byte %" PRIu64),
                   (guint64) (bad - text) + 1);
      return FALSE;
    }

  if (!g_utf8_validate_len (text, length, &bad))
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_SYNTAX,
                   _("The record is not valid UTF-8 at byte %" PRIu64),
                   (guint64) (bad - text) + 1);
      return FALSE;
    }

  return pct_record_check_json (text, length, n_members, error);
}

static gboolean
not_an_object (GError **error)
{
  g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_SYNTAX,
                       _("A record must be a JSON object"));
  return FALSE;
}

static gboolean
doubled_member (GError **error)
{
  g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_SYNTAX,
                       _("A member appears twice in one object"));
  return FALSE;
}

JsonNode *
pct_record_parse (JsonParser  *parser,
                  const char  *text,
                  gsize        length,
                  GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  guint n_members = 0;

  g_return_val_if_fail (JSON_IS_PARSER (parser), NULL);

  if (!check_record_text (text, length, &n_members, error))
    return NULL;

  if (!json_parser_load_from_data (parser, text, (gssize) length, &local_error))
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_SYNTAX,
                   _("Not valid JSON: %s"), local_error->message);
      return NULL;
    }

  root = json_parser_steal_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return not_an_object (error), NULL;

  /* json-glib keeps the last of two members with the same name; a record
   * that says two things about one field is refused instead. */
  if (count_members (root) != n_members)
    return doubled_member (error), NULL;

  return g_steal_pointer (&root);
}

PctJson *
pct_record_parse_json (const char  *text,
                       gsize        length,
                       GError     **error)
{
  g_autoptr(PctJson) json = NULL;
  gsize start = 0;

  if (length > PCT_RECORD_MAX_BYTES)
    return check_record_text (text, length, NULL, error), NULL;

  json = pct_json_new_from_text (text, length, PCT_RECORD_MAX_DEPTH);
  if (json != NULL && pct_json_get_root (json)->type == PCT_JSON_OBJECT)
    return g_steal_pointer (&json);

  /* Refused: the slower checks say why. */
  if (!check_record_text (text, length, NULL, error))
    return NULL;
  while (text[start] == ' ' || text[start] == '\t' || text[start] == '\n' || text[start] == '\r')
    start++;
  if (text[start] != '{')
    return not_an_object (error), NULL;
  return doubled_member (error), NULL;
}

/* Validation -------------------------------------------------------------- */

static void
value_clear (Value *value)
{
  g_clear_pointer (&value->owned, g_free);
  value->type = SQLITE_NULL;
}

static void
free_values (Value *values,
             guint  n)
{
  if (values == NULL)
    return;
  for (guint i = 0; i < n; i++)
    value_clear (&values[i]);
  g_free (values);
}

static void
value_list_free (gpointer data)
{
  ValueList *list = data;

  for (guint i = 0; i < list->n; i++)
    value_clear (&list->values[i]);
  g_free (list);
}

static void
row_free (Row *row)
{
  g_clear_pointer (&row->json, pct_json_unref);
  value_clear (&row->key);
  /* A row rejected before its entity was known has no values yet. */
  if (row->entity != NULL)
    free_values (row->values, row->entity->n_fields);
  g_clear_pointer (&row->children, g_ptr_array_unref);
  g_free (row);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Row, row_free)

static void
bind_value (sqlite3_stmt *stmt,
            int           index,
            const Value  *value)
{
  switch (value->type)
    {
    case SQLITE_INTEGER:
      sqlite3_bind_int64 (stmt, index, value->i);
      break;
    case SQLITE_FLOAT:
      sqlite3_bind_double (stmt, index, value->d);
      break;
    case SQLITE_TEXT:
      sqlite3_bind_text (stmt, index, value->text, -1, SQLITE_STATIC);
      break;
    default:
      sqlite3_bind_null (stmt, index);
      break;
    }
}

static gboolean
field_error (GError              **error,
             PctRecordError        code,
             const PctRecordField *field,
             const char           *message)
{
  g_set_error (error, PCT_RECORD_ERROR, code, _("Field “%s”: %s"), field->name, message);
  return FALSE;
}

static gboolean
node_get_integer (const PctJsonNode *node,
                  gint64            *value)
{
  if (node->type == PCT_JSON_INTEGER)
    {
      *value = node->v.integer;
      return TRUE;
    }
  if (node->type == PCT_JSON_DOUBLE)
    {
      /* 12.0 is an integer written by a tool that only has doubles. */
      double d = node->v.number;

      if (isfinite (d) && d == floor (d) && fabs (d) <= 9007199254740992.0)
        {
          *value = (gint64) d;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
node_get_number (const PctJsonNode *node,
                 double            *value)
{
  if (node->type == PCT_JSON_INTEGER)
    *value = (double) node->v.integer;
  else if (node->type == PCT_JSON_DOUBLE)
    *value = node->v.number;
  else
    return FALSE;
  return TRUE;
}

static gboolean
node_is_string (const PctJsonNode *node)
{
  return pct_json_node_holds (node, PCT_JSON_STRING);
}

static gboolean
node_is_null (const PctJsonNode *node)
{
  return node == NULL || node->type == PCT_JSON_NULL;
}

/* [longitude, latitude], or with a third number (an altitude, as GeoJSON
 * allows), which is dropped. */
static gboolean
position_from_json (const PctJsonNode *pair,
                    PctPosition       *pos)
{
  const PctJsonNode *lon = pct_json_node_first_child (pair);
  const PctJsonNode *lat = pct_json_node_next (lon);
  double altitude;

  return pair->type == PCT_JSON_ARRAY && pair->n_children >= 2 && pair->n_children <= 3 &&
         node_get_number (lon, &pos->lon) && node_get_number (lat, &pos->lat) &&
         (pair->n_children == 2 || node_get_number (pct_json_node_next (lat), &altitude));
}

/* Reads positions from JSON: [[lon, lat], …]. */
static gboolean
positions_from_json (const PctRecordField  *field,
                     const PctJsonNode     *node,
                     GArray                *positions,
                     GError               **error)
{
  const PctJsonNode *element;
  guint min = field->type == PCT_FIELD_LINE ? 2 : 3;

  if (node->type != PCT_JSON_ARRAY)
    return field_error (error, PCT_RECORD_ERROR_INVALID, field,
                        _("must be an array of [longitude, latitude] positions"));

  element = pct_json_node_first_child (node);
  for (guint i = 0; i < node->n_children; i++, element = pct_json_node_next (element))
    {
      PctPosition pos;
      g_autoptr(GError) local_error = NULL;

      if (element->type != PCT_JSON_ARRAY)
        return field_error (error, PCT_RECORD_ERROR_INVALID, field,
                            _("must be an array of [longitude, latitude] positions"));
      if (!position_from_json (element, &pos))
        return field_error (error, PCT_RECORD_ERROR_INVALID, field,
                            _("a position must be [longitude, latitude] in numbers"));

      if (!pct_validate_coordinates (pos.lat, pos.lon, &local_error))
        {
          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("Field “%s”, position %u: %s"), field->name, i + 1,
                       local_error->message);
          return FALSE;
        }
      g_array_append_val (positions, pos);
    }

  if (positions->len < min)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                   _("Field “%s” needs at least %u positions, not %u"),
                   field->name, min, positions->len);
      return FALSE;
    }

  return TRUE;
}

/* The checks every text passes, masked or not. */
static gboolean
check_text_value (const PctRecordField  *field,
                  const char            *text,
                  gsize                  len,
                  GError               **error)
{
  if (len > PCT_RECORD_MAX_TEXT_BYTES)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_TOO_LARGE,
                   _("Field “%s” is longer than %d bytes"), field->name,
                   PCT_RECORD_MAX_TEXT_BYTES);
      return FALSE;
    }
  if (!g_utf8_validate_len (text, len, NULL))
    return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("is not valid UTF-8"));
  if ((field->flags & PCT_FIELD_REQUIRED) && len == 0)
    return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("must not be empty"));
  return TRUE;
}

static gboolean
convert_field (const PctRecordField  *field,
               const PctJsonNode     *node,
               Value                 *value,
               GError               **error)
{
  g_autoptr(GError) local_error = NULL;

  value->type = SQLITE_NULL;

  if (node_is_null (node))
    {
      if (field->flags & PCT_FIELD_REQUIRED)
        {
          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("Field “%s” is required"), field->name);
          return FALSE;
        }
      if (field->flags & PCT_FIELD_HAS_DEFAULT)
        {
          if (field->type == PCT_FIELD_TEXT)
            {
              value->type = SQLITE_TEXT;
              value->text = field->default_text;
            }
          else
            {
              value->type = SQLITE_INTEGER;
              value->i = field->default_int;
            }
        }
      return TRUE;
    }

  switch (field->type)
    {
    case PCT_FIELD_TEXT:
      {
        const char *text;

        if (!node_is_string (node))
          return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("must be a string"));
        text = node->v.string.str;
        if (!check_text_value (field, text, node->v.string.len, error))
          return FALSE;
        if (field->allowed != NULL && !g_strv_contains ((const char * const *) field->allowed,
                                                        text))
          {
            g_autofree char *list = g_strjoinv (", ", (char **) field->allowed);

            g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                         _("Field “%s”: “%s” is not one of %s"), field->name, text, list);
            return FALSE;
          }
        if (field->check_text != NULL && !field->check_text (text, &local_error))
          return field_error (error, PCT_RECORD_ERROR_INVALID, field, local_error->message);
        value->type = SQLITE_TEXT;
        value->text = text;
      }
      break;

    case PCT_FIELD_INTEGER:
      if (!node_get_integer (node, &value->i))
        return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("must be an integer"));
      if ((field->flags & PCT_FIELD_HAS_RANGE) && (value->i < field->min || value->i > field->max))
        {
          if (field->max == G_MAXINT64)
            g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                         _("Field “%s”: %" PRId64 " is less than %" PRId64),
                         field->name, value->i, field->min);
          else
            g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                         _("Field “%s”: %" PRId64 " is not between %" PRId64
                           " and %" PRId64),
                         field->name, value->i, field->min, field->max);
          return FALSE;
        }
      if (field->check_int != NULL && !field->check_int (value->i, &local_error))
        return field_error (error, PCT_RECORD_ERROR_INVALID, field, local_error->message);
      value->type = SQLITE_INTEGER;
      break;

    case PCT_FIELD_BOOLEAN:
      if (node->type != PCT_JSON_BOOLEAN)
        return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("must be true or false"));
      value->type = SQLITE_INTEGER;
      value->i = node->v.boolean ? 1 : 0;
      break;

    case PCT_FIELD_REAL:
    case PCT_FIELD_LONGITUDE:
    case PCT_FIELD_LATITUDE:
      if (!node_get_number (node, &value->d))
        return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("must be a number"));
      if (!isfinite (value->d))
        return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("must be a finite number"));
      if ((field->flags & PCT_FIELD_HAS_RANGE)
          && (value->d < (double) field->min || value->d > (double) field->max))
        return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("is out of range"));
      value->type = SQLITE_FLOAT;
      break;

    case PCT_FIELD_LINE:
    case PCT_FIELD_POLYGON:
      {
        g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (PctPosition));
        g_autoptr(GString) text = g_string_new (NULL);

        if (!positions_from_json (field, node, positions, error))
          return FALSE;
        append_positions (text, positions, FALSE);
        if (text->len > PCT_RECORD_MAX_GEOMETRY_BYTES)
          {
            g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_TOO_LARGE,
                         _("Field “%s” is longer than %d bytes"), field->name,
                         PCT_RECORD_MAX_GEOMETRY_BYTES);
            return FALSE;
          }
        value->type = SQLITE_TEXT;
        value->owned = g_string_free (g_steal_pointer (&text), FALSE);
        value->text = value->owned;
      }
      break;

    case PCT_FIELD_CHILDREN:
    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

/* A field the record lists under "masked": null (where the field may be
 * null), or text in the masked form of pct-roles.c instead of a value
 * that passes the field's own checks, which a masked value cannot. */
static gboolean
convert_masked_field (const PctRecordEntity  *entity,
                      const PctRecordField   *field,
                      const PctJsonNode      *node,
                      Value                  *value,
                      GError                **error)
{
  if (node_is_null (node))
    return convert_field (field, node, value, error);

  value->type = SQLITE_NULL;
  if (field->type != PCT_FIELD_TEXT || !node_is_string (node))
    return field_error (error, PCT_RECORD_ERROR_INVALID, field,
                        _("a masked value must be text or null"));

  if (!check_text_value (field, node->v.string.str, node->v.string.len, error))
    return FALSE;
  if (!pct_roles_is_masked_form (entity->name, field->name, node->v.string.str))
    return field_error (error, PCT_RECORD_ERROR_INVALID, field,
                        _("is listed as masked but does not have a masked form"));

  value->type = SQLITE_TEXT;
  value->text = node->v.string.str;
  return TRUE;
}

/* Reads the record's "masked" member into one flag per field, all FALSE
 * when it is absent or null; otherwise it is an array of distinct names
 * of personal fields of the entity. */
static gboolean
convert_masked (const PctRecordEntity  *entity,
                const PctJsonNode      *node,
                gboolean               *masked,
                GError                **error)
{
  const PctJsonNode *element;

  memset (masked, 0, entity->n_fields * sizeof *masked);
  if (node_is_null (node))
    return TRUE;

  if (node->type != PCT_JSON_ARRAY)
    {
      g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                           _("“masked” must be an array of field names"));
      return FALSE;
    }

  element = pct_json_node_first_child (node);
  for (guint i = 0; i < node->n_children; i++, element = pct_json_node_next (element))
    {
      const char *name;
      int field;

      if (!node_is_string (element))
        {
          g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                               _("“masked” must be an array of field names"));
          return FALSE;
        }
      name = element->v.string.str;
      field = pct_record_entity_find_field (entity, name);
      if (field < 0 || !pct_roles_is_personal (entity->name, name))
        {
          g_autofree char *shown = describe_text (name);

          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("“masked” names “%s”, which is not a personal field of %s"),
                       shown, entity->name);
          return FALSE;
        }
      if (masked[field])
        {
          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("“masked” names “%s” twice"), name);
          return FALSE;
        }
      masked[field] = TRUE;
    }
  return TRUE;
}

static const char *
field_name_at (gconstpointer table,
               guint         i)
{
  return ((const PctRecordField *) table)[i].name;
}

static const char *
string_at (gconstpointer table,
           guint         i)
{
  return ((const char * const *) table)[i];
}

/* Sorts the members of object into members, one for each of the n names
 * of table (NULL where absent); returns the name of the first member
 * that is none of them, or NULL. Members mostly come in the order of
 * the table, so each name is looked for from the one after the last
 * found on. */
static const char *
sort_members (const PctJsonNode   *object,
              const char        *(*name_at) (gconstpointer table, guint i),
              gconstpointer        table,
              guint                n,
              const PctJsonNode  **members)
{
  const PctJsonNode *member = pct_json_node_first_child (object);
  const char *unknown = NULL;
  guint hint = 0;

  memset (members, 0, n * sizeof *members);
  for (guint i = 0; i < object->n_children; i++, member = pct_json_node_next (member))
    {
      guint k = 0;

      while (k < n && strcmp (name_at (table, (hint + k) % n), member->name) != 0)
        k++;
      if (k == n)
        {
          if (unknown == NULL)
            unknown = member->name;
          continue;
        }
      hint = (hint + k) % n;
      members[hint++] = member;
    }
  return unknown;
}

/* Sorts the members of object by field into members (one per field, NULL
 * where absent). A member that is no field is refused: a misspelt
 * optional field would otherwise vanish without a word. */
static gboolean
map_members (const PctJsonNode      *object,
             const PctRecordField   *fields,
             guint                   n_fields,
             const char             *what,
             const PctJsonNode     **members,
             GError                **error)
{
  const char *unknown = sort_members (object, field_name_at, fields, n_fields, members);

  if (unknown != NULL)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                   _("“%s” is not a field of %s"), unknown, what);
      return FALSE;
    }
  return TRUE;
}

/* Whether an item before the last of items has the same text in field. */
static gboolean
unique_text_seen (GPtrArray *items,
                  int        field)
{
  const Value *last = &((ValueList *) g_ptr_array_index (items, items->len - 1))->values[field];

  for (guint i = 0; i + 1 < items->len; i++)
    {
      const Value *value = &((ValueList *) g_ptr_array_index (items, i))->values[field];

      if (value->type == SQLITE_TEXT && strcmp (value->text, last->text) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
convert_item (const PctRecordChildren  *spec,
              const PctJsonNode        *object,
              const char               *what,
              Value                    *values,
              GError                  **error)
{
  const PctJsonNode *members[MAX_FIELDS];

  if (!map_members (object, spec->fields, spec->n_fields, what, members, error))
    return FALSE;

  for (guint f = 0; f < spec->n_fields; f++)
    {
      const PctRecordField *child = &spec->fields[f];

      /* Absent and null differ here: null records a link known not to
       * resolve, absent asks for it to be looked up. */
      if (members[f] == NULL && (child->flags & PCT_FIELD_RESOLVED))
        {
          values[f].type = SQLITE_NULL;
          values[f].resolve = TRUE;
          continue;
        }
      if (!convert_field (child, members[f], &values[f], error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
convert_children (const PctRecordField  *field,
                  const PctJsonNode     *node,
                  GPtrArray            **children,
                  GError               **error)
{
  const PctRecordChildren *spec = field->children;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (value_list_free);
  const PctJsonNode *element;
  int unique = -1;

  *children = NULL;
  if (node_is_null (node))
    {
      *children = g_steal_pointer (&items);
      return TRUE;
    }

  if (node->type != PCT_JSON_ARRAY)
    return field_error (error, PCT_RECORD_ERROR_INVALID, field, _("must be an array"));
  if (node->n_children > PCT_RECORD_MAX_CHILDREN)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_TOO_LARGE,
                   _("Field “%s” has more than %d items"), field->name, PCT_RECORD_MAX_CHILDREN);
      return FALSE;
    }

  for (guint f = 0; f < spec->n_fields; f++)
    {
      if (strcmp (spec->fields[f].name, spec->unique_field) == 0)
        unique = (int) f;
    }

  element = pct_json_node_first_child (node);
  for (guint i = 0; i < node->n_children; i++, element = pct_json_node_next (element))
    {
      ValueList *list;
      g_autoptr(GError) local_error = NULL;

      if (element->type != PCT_JSON_OBJECT)
        {
          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("Field “%s”, item %u: must be an object"), field->name, i + 1);
          return FALSE;
        }

      list = g_malloc0 (sizeof (ValueList) + spec->n_fields * sizeof (Value));
      list->n = spec->n_fields;
      g_ptr_array_add (items, list);

      if (!convert_item (spec, element, field->name, list->values, &local_error))
        {
          g_set_error (error, PCT_RECORD_ERROR, local_error->code,
                       _("Field “%s”, item %u: %s"), field->name, i + 1, local_error->message);
          return FALSE;
        }

      if (unique >= 0 && list->values[unique].type == SQLITE_TEXT &&
          unique_text_seen (items, unique))
        {
          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("Field “%s”, item %u: %s “%s” appears twice"), field->name, i + 1,
                       spec->unique_field, list->values[unique].text);
          return FALSE;
        }
    }

  *children = g_steal_pointer (&items);
  return TRUE;
}

static char *
value_to_string (const Value *value)
{
  switch (value->type)
    {
    case SQLITE_INTEGER:
      return g_strdup_printf ("%" G_GINT64_FORMAT, value->i);
    case SQLITE_TEXT:
      return g_strdup (value->text);
    default:
      return g_strdup ("null");
    }
}

static gboolean
convert_key (const PctRecordEntity  *entity,
             const PctJsonNode      *node,
             Value                  *key,
             GError                **error)
{
  g_autoptr(GError) local_error = NULL;

  if (node_is_null (node))
    {
      g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                           _("The record has no “id”"));
      return FALSE;
    }

  if (entity->key_type == PCT_FIELD_INTEGER)
    {
      if (!node_get_integer (node, &key->i) || key->i <= 0)
        {
          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("The “id” of %s records must be a positive integer"), entity->name);
          return FALSE;
        }
      key->type = SQLITE_INTEGER;
      return TRUE;
    }

  if (!node_is_string (node))
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                   _("The “id” of %s records must be a string"), entity->name);
      return FALSE;
    }
  key->text = node->v.string.str;
  if (node->v.string.len > PCT_RECORD_MAX_TEXT_BYTES
      || (entity->key_check != NULL && !entity->key_check (key->text, &local_error)))
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID, _("“id”: %s"),
                   local_error != NULL ? local_error->message : _("too long"));
      return FALSE;
    }
  key->type = SQLITE_TEXT;
  return TRUE;
}

static gboolean
convert_meta (const PctJsonNode  *node,
              const char         *name,
              gint64              fallback,
              gint64             *value,
              GError            **error)
{
  *value = fallback;
  if (node_is_null (node))
    return TRUE;
  if (!node_get_integer (node, value) || *value < 0)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                   _("“%s” must be a non-negative integer"), name);
      return FALSE;
    }
  return TRUE;
}

/* The fields of a record once read, for the rules that span fields. */
static gboolean
convert_fields (Row                     *row,
                const PctJsonNode      **members,
                const gboolean          *masked,
                GError                 **error)
{
  const PctRecordEntity *entity = row->entity;
  const EntityInfo *info = get_info (entity);

  row->values = g_new0 (Value, entity->n_fields);
  for (guint i = 0; i < entity->n_fields; i++)
    {
      const PctRecordField *field = &entity->fields[i];

      if (field->type == PCT_FIELD_CHILDREN)
        {
          if (!convert_children (field, members[i], &row->children, error))
            return FALSE;
        }
      else if (masked[i])
        {
          if (!convert_masked_field (entity, field, members[i], &row->values[i], error))
            return FALSE;
        }
      else if (!convert_field (field, members[i], &row->values[i], error))
        return FALSE;
    }

  if (info->lon_field >= 0 && info->lat_field >= 0)
    {
      g_autoptr(GError) local_error = NULL;

      if (!pct_validate_coordinates (row->values[info->lat_field].d,
                                     row->values[info->lon_field].d, &local_error))
        {
          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("Fields “lon” and “lat”: %s"), local_error->message);
          return FALSE;
        }
    }

  if (entity->check != NULL)
    {
      /* Masked values would fail the entity's own checks: they are left
       * out of them. */
      for (guint i = 0; i < entity->n_fields; i++)
        {
          if (masked[i])
            members[i] = NULL;
        }
      if (!entity->check (entity, members, error))
        return FALSE;
    }
  return TRUE;
}

/* Everything about a record that can be checked without the store. */
static Row *
convert_record (PctJson            *json,
                const PctJsonNode  *record,
                gboolean           *deleted,
                GError            **error)
{
  g_autoptr(Row) row = g_new0 (Row, 1);
  const PctJsonNode *members[N_RECORD_MEMBERS];
  const PctJsonNode *fields[MAX_FIELDS];
  gboolean masked[MAX_FIELDS];
  const PctRecordEntity *entity;
  const PctJsonNode *node;
  const char *unknown;

  row->json = pct_json_ref (json);
  row->record = record;
  unknown = sort_members (record, string_at, record_members, N_RECORD_MEMBERS, members);

  node = members[RECORD_ENTITY];
  if (!node_is_string (node))
    {
      g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_UNKNOWN_ENTITY,
                           _("The record has no “entity” string"));
      return NULL;
    }
  entity = pct_record_entity_lookup (node->v.string.str);
  if (entity == NULL)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_UNKNOWN_ENTITY,
                   _("Unknown entity “%s”"), node->v.string.str);
      return NULL;
    }
  row->entity = entity;

  if (unknown != NULL)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                   _("A record has no member “%s”"), unknown);
      return NULL;
    }

  if (!convert_key (entity, members[RECORD_ID], &row->key, error))
    return NULL;

  *deleted = FALSE;
  node = members[RECORD_DELETED];
  if (!node_is_null (node))
    {
      if (node->type != PCT_JSON_BOOLEAN)
        {
          g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                               _("“deleted” must be true or false"));
          return NULL;
        }
      *deleted = node->v.boolean;
    }
  if (*deleted)
    return g_steal_pointer (&row);

  if (!entity->synced && (members[RECORD_VERSION] != NULL || members[RECORD_UPDATED_AT] != NULL))
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                   _("%s records carry no version"), entity->name);
      return NULL;
    }
  if (!convert_meta (members[RECORD_VERSION], "version", 1, &row->version, error)
      || !convert_meta (members[RECORD_UPDATED_AT], "updated_at", 0, &row->updated_at, error))
    return NULL;

  node = members[RECORD_DATA];
  if (!pct_json_node_holds (node, PCT_JSON_OBJECT))
    {
      g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                           _("The record has no “data” object"));
      return NULL;
    }

  if (!map_members (node, entity->fields, entity->n_fields, entity->name, fields, error) ||
      !convert_masked (entity, members[RECORD_MASKED], masked, error) ||
      !convert_fields (row, fields, masked, error))
    return NULL;

  return g_steal_pointer (&row);
}

/* Writing ----------------------------------------------------------------- */

static gboolean
row_exists (PctStore              *store,
            const PctRecordEntity *entity,
            const Value           *key,
            gboolean              *exists,
            GError               **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, get_info (entity)->exists, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_value (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      pct_store_set_sql_error (store, error, entity->table);
      sqlite3_reset (stmt);
      return FALSE;
    }
  *exists = rc == SQLITE_ROW;
  sqlite3_reset (stmt);
  return TRUE;
}

/* How messages name a field: “road_id”, or, of item 2 of the children
 * field “rooms”, “rooms”, item 2, “room_id”. Only made for a message. */
static char *
reference_label (const PctRecordField *parent,
                 guint                 item,
                 const PctRecordField *field)
{
  if (parent == NULL)
    return g_strdup_printf ("“%s”", field->name);
  return g_strdup_printf (_("“%s”, item %u, “%s”"), parent->name, item, field->name);
}

static void
found_clear (Found *found)
{
  value_clear (&found->value);
}

static gboolean
same_value (const Value *a,
            const Value *b)
{
  return a->type == b->type &&
         ((a->type == SQLITE_INTEGER && a->i == b->i) ||
          (a->type == SQLITE_TEXT && strcmp (a->text, b->text) == 0));
}

/* The value field was last found to name; a NULL one if none yet. */
static Value *
found_value (GArray               *found,
             const PctRecordField *field)
{
  Found added = { field, { .type = SQLITE_NULL } };

  for (guint i = 0; i < found->len; i++)
    {
      if (g_array_index (found, Found, i).field == field)
        return &g_array_index (found, Found, i).value;
    }
  g_array_append_val (found, added);
  return &g_array_index (found, Found, found->len - 1).value;
}

static void
set_found_value (Value       *found,
                 const Value *value)
{
  value_clear (found);
  *found = *value;
  found->owned = value->type == SQLITE_TEXT ? g_strdup (value->text) : NULL;
  found->text = found->owned;
}

/* parent and item say which children item field is of, when it is one.
 * queued holds the keys of rows of entity waiting in a batch, which count
 * as existing; found, when given, the rows references were found to name
 * before (Found). */
static gboolean
check_reference (PctStore              *store,
                 const PctRecordEntity *entity,
                 const Value           *key,
                 const PctRecordField  *field,
                 const Value           *value,
                 const PctRecordField  *parent,
                 guint                  item,
                 GHashTable            *queued,
                 GArray                *found,
                 GError               **error)
{
  const PctRecordEntity *target;
  gboolean exists = FALSE;
  g_autofree char *shown = NULL;
  g_autofree char *label = NULL;
  Value *last = NULL;

  if (field->references == NULL || value->type == SQLITE_NULL)
    return TRUE;

  target = pct_record_entity_lookup (field->references);

  if (target == entity && key != NULL && same_value (value, key))
    {
      label = reference_label (parent, item, field);
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_REFERENCE,
                   _("Field %s: a record cannot reference itself"), label);
      return FALSE;
    }

  if (target == entity && queued != NULL)
    {
      shown = value_to_string (value);
      if (g_hash_table_contains (queued, shown))
        return TRUE;
    }

  if (found != NULL)
    {
      last = found_value (found, field);
      if (same_value (value, last))
        return TRUE;
    }

  if (!row_exists (store, target, value, &exists, error))
    return FALSE;
  if (!exists)
    {
      if (shown == NULL)
        shown = value_to_string (value);
      label = reference_label (parent, item, field);
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_REFERENCE,
                   _("Field %s: there is no %s %s"), label, target->name, shown);
      return FALSE;
    }
  if (last != NULL)
    set_found_value (last, value);
  return TRUE;
}

static gboolean
resolve_children (PctStore              *store,
                  const PctRecordField  *field,
                  GPtrArray             *items,
                  GArray                *found,
                  GError               **error)
{
  const PctRecordChildren *spec = field->children;

  for (guint i = 0; i < items->len; i++)
    {
      Value *values = ((ValueList *) g_ptr_array_index (items, i))->values;

      for (guint f = 0; f < spec->n_fields; f++)
        {
          const PctRecordField *child = &spec->fields[f];

          if (values[f].resolve)
            {
              int from = -1;
              sqlite3_stmt *stmt;
              int rc;

              for (guint g = 0; g < spec->n_fields; g++)
                {
                  if (strcmp (spec->fields[g].name, child->resolve_from) == 0)
                    from = (int) g;
                }
              g_assert (from >= 0);
              values[f].resolve = FALSE;

              stmt = pct_store_prepare (store, child->resolve_sql, error);
              if (stmt == NULL)
                return FALSE;
              bind_value (stmt, 1, &values[from]);
              rc = sqlite3_step (stmt);
              if (rc == SQLITE_ROW)
                {
                  values[f].type = SQLITE_INTEGER;
                  values[f].i = sqlite3_column_int64 (stmt, 0);
                }
              else if (rc != SQLITE_DONE)
                {
                  pct_store_set_sql_error (store, error, spec->table);
                  sqlite3_reset (stmt);
                  return FALSE;
                }
              sqlite3_reset (stmt);

              if (values[f].type == SQLITE_NULL)
                {
                  g_autofree char *label = reference_label (field, i + 1, child);

                  g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_REFERENCE,
                               _("Field %s: “%s” names no %s"), label,
                               values[from].text, child->references);
                  return FALSE;
                }
            }
          else if (!check_reference (store, NULL, NULL, child, &values[f], field, i + 1, NULL,
                                     found, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* Steps a write, turning constraint failures into reasons about the
 * record; pct_store_step_done() would keep only a generic store error. */
static gboolean
step_write (PctStore              *store,
            sqlite3_stmt          *stmt,
            const PctRecordEntity *entity,
            gboolean               deleting,
            GError               **error)
{
  int rc = sqlite3_step (stmt);
  sqlite3 *db = pct_store_get_handle (store);

  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return TRUE;
    }

  switch (sqlite3_extended_errcode (db))
    {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      {
        const char *message = sqlite3_errmsg (db);
        const char *column = strrchr (message, '.');

        g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_CONFLICT,
                     _("Another %s record already has this %s"), entity->name,
                     column != NULL ? column + 1 : message);
      }
      break;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      if (deleting)
        g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_CONFLICT,
                     _("Other rows still reference this %s record"), entity->name);
      else
        g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_REFERENCE,
                             _("The record references a row that does not exist"));
      break;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_TRIGGER:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                   _("The store refused the record: %s"), sqlite3_errmsg (db));
      break;
    default:
      pct_store_set_sql_error (store, error, entity->table);
      break;
    }

  sqlite3_reset (stmt);
  return FALSE;
}

/* Everything about a row that needs the store but writes nothing. */
static gboolean
check_row (PctStore    *store,
           Row         *row,
           GHashTable  *queued,
           GArray      *found,
           GError     **error)
{
  const PctRecordEntity *entity = row->entity;
  const EntityInfo *info = get_info (entity);

  for (guint i = 0; i < entity->n_fields; i++)
    {
      if (info->column_of[i] >= 0
          && !check_reference (store, entity, &row->key, &entity->fields[i], &row->values[i],
                               NULL, 0, queued, found, error))
        return FALSE;
    }

  if (info->children_field >= 0)
    return resolve_children (store, &entity->fields[info->children_field], row->children, found,
                             error);
  return TRUE;
}

static void
bind_row (sqlite3_stmt     *stmt,
          const EntityInfo *info,
          const Row        *row,
          int               first)
{
  const PctRecordEntity *entity = row->entity;
  int param = first;

  bind_value (stmt, param++, &row->key);
  for (guint i = 0; i < entity->n_fields; i++)
    {
      if (info->column_of[i] >= 0)
        bind_value (stmt, param++, &row->values[i]);
    }
  if (entity->synced)
    {
      sqlite3_bind_int64 (stmt, param++, row->version);
      sqlite3_bind_int64 (stmt, param, row->updated_at);
    }
}

/* Filling ------------------------------------------------------------------ */

/* A statement standing for an AFTER INSERT trigger: the trigger's one
 * statement, with new.column made a parameter bound from the row. */
typedef struct
{
  char  *sql;
  int    n_params;
  int   *field_of;   /* parameter (from 1) → field, -1 for the key */
} FollowUp;

typedef struct
{
  gboolean   empty;       /* rows are inserted: the table was empty */
  GPtrArray *follow_ups;  /* FollowUp */
} FillEntity;

struct _PctRecordFill
{
  FillEntity entities[N (entities)];
};

static void
follow_up_free (FollowUp *follow_up)
{
  g_free (follow_up->sql);
  g_free (follow_up->field_of);
  g_free (follow_up);
}

void
pct_record_fill_free (PctRecordFill *fill)
{
  if (fill == NULL)
    return;
  for (guint i = 0; i < N (entities); i++)
    g_clear_pointer (&fill->entities[i].follow_ups, g_ptr_array_unref);
  g_free (fill);
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* The column a new.name names: -1 for the key, a field's index, or -2
 * for a column the batch does not bind (version, a default). */
static int
bound_field (const PctRecordEntity *entity,
             const char            *name)
{
  int field;

  if (strcmp (name, entity->key) == 0)
    return -1;
  field = pct_record_entity_find_field (entity, name);
  if (field < 0 || get_info (entity)->column_of[field] < 0)
    return -2;
  return field;
}

/* The statement of a trigger of entity's table that does what the
 * trigger does on an insert, NULL when it does nothing on one, or
 * *unsupported set when it cannot be stood in for. */
static FollowUp *
follow_up_new (const PctRecordEntity *entity,
               const char            *trigger_sql,
               gboolean              *unsupported)
{
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GRegex) head = NULL;
  g_autoptr(GRegex) form = NULL;
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autoptr(GArray) field_of = g_array_new (FALSE, FALSE, sizeof (int));
  g_autofree char *timing = NULL;
  g_autofree char *event = NULL;
  g_autofree char *table = NULL;
  g_autofree char *body = NULL;
  FollowUp *follow_up;

  head = g_regex_new ("^CREATE TRIGGER \\S+ (BEFORE|AFTER|INSTEAD OF) (INSERT|UPDATE|DELETE)\\b",
                      G_REGEX_CASELESS, 0, NULL);
  if (!g_regex_match (head, trigger_sql, 0, &match))
    {
      *unsupported = TRUE;
      return NULL;
    }
  timing = g_match_info_fetch (match, 1);
  event = g_match_info_fetch (match, 2);
  g_clear_pointer (&match, g_match_info_free);
  if (g_ascii_strcasecmp (event, "INSERT") != 0)
    return NULL;

  /* Exactly: AFTER INSERT ON table BEGIN statement; END, with no WHEN. */
  form = g_regex_new ("^CREATE TRIGGER \\S+ AFTER INSERT ON (\\S+) BEGIN\\s+([^;]*);\\s*END$",
                      G_REGEX_DOTALL | G_REGEX_CASELESS, 0, NULL);
  if (g_ascii_strcasecmp (timing, "AFTER") != 0 ||
      !g_regex_match (form, trigger_sql, 0, &match))
    {
      *unsupported = TRUE;
      return NULL;
    }
  table = g_match_info_fetch (match, 1);
  body = g_match_info_fetch (match, 2);
  if (g_ascii_strcasecmp (table, entity->table) != 0 || strstr (body, "old.") != NULL)
    {
      *unsupported = TRUE;
      return NULL;
    }

  for (const char *p = body; *p != '\0';)
    {
      if (*p == '\'')
        {
          /* A literal, copied as it is; '' stands for a quote. */
          const char *end = p + 1;

          while (*end != '\0' && (*end != '\'' || end[1] == '\''))
            end += *end == '\'' ? 2 : 1;
          if (*end == '\0')
            {
              *unsupported = TRUE;
              return NULL;
            }
          g_string_append_len (sql, p, end + 1 - p);
          p = end + 1;
        }
      else if (g_str_has_prefix (p, "new.") && (p == body || !is_name_char (p[-1])))
        {
          const char *name = p + 4;
          gsize length = 0;
          g_autofree char *column = NULL;
          int field;

          while (is_name_char (name[length]))
            length++;
          column = g_strndup (name, length);
          field = bound_field (entity, column);
          if (field == -2)
            {
              *unsupported = TRUE;
              return NULL;
            }
          g_array_append_val (field_of, field);
          g_string_append_printf (sql, "?%u", field_of->len);
          p = name + length;
        }
      else
        g_string_append_c (sql, *p++);
    }

  follow_up = g_new0 (FollowUp, 1);
  follow_up->n_params = (int) field_of->len;
  follow_up->field_of = (int *) g_array_free (g_steal_pointer (&field_of), FALSE);
  follow_up->sql = g_string_free (g_steal_pointer (&sql), FALSE);
  return follow_up;
}

/* The follow-ups of the triggers on table, into follow_ups (NULL: none
 * may exist); *unsupported set when one cannot be stood in for. */
static gboolean
read_triggers (PctStore               *store,
               const PctRecordEntity  *entity,
               const char             *table,
               GPtrArray              *follow_ups,
               gboolean               *unsupported,
               GError                **error)
{
  const char *sql = "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?1 "
                    "ORDER BY rowid";
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, table, -1, SQLITE_STATIC);
  while (!*unsupported && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FollowUp *follow_up;

      if (follow_ups == NULL)
        {
          *unsupported = TRUE;
          break;
        }
      follow_up = follow_up_new (entity, (const char *) sqlite3_column_text (stmt, 0),
                                 unsupported);
      if (follow_up != NULL)
        g_ptr_array_add (follow_ups, follow_up);
    }
  if (!*unsupported && rc != SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      return pct_store_set_sql_error (store, error, sql);
    }
  sqlite3_reset (stmt);
  return TRUE;
}

/* Whether the field called column holds a reference to table's key,
 * which check_reference() then checks. */
static gboolean
field_references (const PctRecordField *fields,
                  guint                 n_fields,
                  const char           *column,
                  const char           *table,
                  const char           *to)
{
  for (guint i = 0; i < n_fields; i++)
    {
      const PctRecordEntity *target;

      if (strcmp (fields[i].name, column) != 0 || fields[i].references == NULL)
        continue;
      target = pct_record_entity_lookup (fields[i].references);
      return target != NULL && strcmp (target->table, table) == 0 &&
             (to == NULL || strcmp (to, target->key) == 0);
    }
  return FALSE;
}

/* Whether every foreign key of table is a reference the batch checks:
 * a field's, or the nested items' link to their row. */
static gboolean
keys_are_checked (PctStore               *store,
                  const PctRecordEntity  *entity,
                  const char             *table,
                  gboolean               *checked,
                  GError                **error)
{
  const PctRecordField *fields = entity->fields;
  guint n_fields = entity->n_fields;
  const PctRecordChildren *children = NULL;
  g_autofree char *sql = g_strdup_printf ("PRAGMA foreign_key_list (%s)", table);
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  if (strcmp (table, entity->table) != 0)
    {
      children = entity->fields[get_info (entity)->children_field].children;
      fields = children->fields;
      n_fields = children->n_fields;
    }

  *checked = TRUE;
  while (*checked && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *target = (const char *) sqlite3_column_text (stmt, 2);
      const char *from = (const char *) sqlite3_column_text (stmt, 3);
      const char *to = (const char *) sqlite3_column_text (stmt, 4);

      *checked = (children != NULL && strcmp (from, children->parent_column) == 0 &&
                  strcmp (target, entity->table) == 0) ||
                 field_references (fields, n_fields, from, target, to);
    }
  if (*checked && rc != SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      return pct_store_set_sql_error (store, error, sql);
    }
  sqlite3_reset (stmt);
  return TRUE;
}

PctRecordFill *
pct_record_fill_new (PctStore  *store,
                     GError   **error)
{
  g_autoptr(PctRecordFill) fill = g_new0 (PctRecordFill, 1);
  gboolean unsupported = FALSE;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);

  for (guint i = 0; i < N (entities) && !unsupported; i++)
    {
      const PctRecordEntity *entity = &entities[i];
      const EntityInfo *info = get_info (entity);
      const char *child_table = info->children_field >= 0
        ? entity->fields[info->children_field].children->table : NULL;
      FillEntity *fill_entity = &fill->entities[i];
      g_autofree char *exists = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM %s)",
                                                 entity->table);
      gint64 has_rows = 0;
      gboolean checked = FALSE;

      if (!pct_store_query_int64 (store, exists, &has_rows, error))
        return NULL;
      fill_entity->empty = has_rows == 0;
      fill_entity->follow_ups = g_ptr_array_new_with_free_func ((GDestroyNotify) follow_up_free);

      /* A table with rows is upserted, and with triggers off, its
       * triggers may not have work to do; nested items are written
       * straight, so they may have none at all. */
      if (!read_triggers (store, entity, entity->table,
                          fill_entity->empty ? fill_entity->follow_ups : NULL,
                          &unsupported, error) ||
          (child_table != NULL &&
           !read_triggers (store, entity, child_table, NULL, &unsupported, error)))
        return NULL;

      if (!unsupported && !keys_are_checked (store, entity, entity->table, &checked, error))
        return NULL;
      unsupported = unsupported || !checked;
      if (!unsupported && child_table != NULL &&
          !keys_are_checked (store, entity, child_table, &checked, error))
        return NULL;
      unsupported = unsupported || !checked;
      if (unsupported)
        g_debug ("The triggers or foreign keys of %s rule filling out", entity->table);
    }

  if (unsupported)
    return NULL;
  return g_steal_pointer (&fill);
}

/* What the triggers of an empty table would have done for rows. */
static gboolean
run_follow_ups (PctStore          *store,
                const FillEntity  *fill,
                Row              **rows,
                guint              n_rows,
                GError           **error)
{
  for (guint f = 0; f < fill->follow_ups->len; f++)
    {
      const FollowUp *follow_up = g_ptr_array_index (fill->follow_ups, f);
      sqlite3_stmt *stmt = pct_store_prepare (store, follow_up->sql, error);

      if (stmt == NULL)
        return FALSE;
      /* One row a statement: a statement of one row, with no trigger,
       * needs no statement journal, and FTS5 keeps its pending terms. */
      for (guint r = 0; r < n_rows; r++)
        {
          for (int p = 0; p < follow_up->n_params; p++)
            {
              int field = follow_up->field_of[p];

              bind_value (stmt, p + 1, field < 0 ? &rows[r]->key : &rows[r]->values[field]);
            }
          if (!step_write (store, stmt, rows[r]->entity, FALSE, error))
            return FALSE;
        }
    }
  return TRUE;
}

/* A nested item to write, and the key of the row it belongs to. */
typedef struct
{
  const Value  *key;
  const Value  *values;
} Item;

/* The items of the rows that stand: of rows with the same key, the last
 * one's, as if the rows were written one after the other. */
static GArray *
standing_items (Row   **rows,
                guint   n_rows)
{
  g_autoptr(GHashTable) later = NULL;
  g_autofree gboolean *stands = g_new (gboolean, n_rows);
  GArray *items = g_array_new (FALSE, FALSE, sizeof (Item));

  if (rows[0]->key.type == SQLITE_INTEGER)
    later = g_hash_table_new (g_int64_hash, g_int64_equal);
  else
    later = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint r = n_rows; r-- > 0;)
    stands[r] = g_hash_table_add (later, rows[r]->key.type == SQLITE_INTEGER
                                         ? (gpointer) &rows[r]->key.i
                                         : (gpointer) rows[r]->key.text);

  for (guint r = 0; r < n_rows; r++)
    {
      for (guint i = 0; stands[r] && i < rows[r]->children->len; i++)
        {
          Item item = { &rows[r]->key,
                        ((ValueList *) g_ptr_array_index (rows[r]->children, i))->values };

          g_array_append_val (items, item);
        }
    }
  return items;
}

/* Replaces the nested items of rows, many rows per statement. */
static gboolean
write_children (PctStore   *store,
                Row       **rows,
                guint       n_rows,
                gboolean    fill,
                GError    **error)
{
  const PctRecordEntity *entity = rows[0]->entity;
  const EntityInfo *info = get_info (entity);
  guint n_fields = entity->fields[info->children_field].children->n_fields;
  g_autoptr(GArray) items = standing_items (rows, n_rows);
  guint done = 0;

  /* Rows new to their table have no items to replace. */
  while (!fill && done < n_rows)
    {
      guint size_index = chunk_size_index (n_rows - done);
      const char *sql = get_chunk_sql (info, CHUNK_CHILDREN_DELETE, size_index);
      sqlite3_stmt *stmt = pct_store_prepare_bulk (store, sql, error);

      if (stmt == NULL)
        return FALSE;
      for (guint r = 0; r < 1u << size_index; r++)
        bind_value (stmt, 1 + (int) r, &rows[done + r]->key);
      if (!step_write (store, stmt, entity, FALSE, error))
        return FALSE;
      done += 1u << size_index;
    }

  for (done = 0; done < items->len;)
    {
      guint size_index = chunk_size_index (items->len - done);
      const char *sql = get_chunk_sql (info, fill ? CHUNK_CHILDREN_FILL : CHUNK_CHILDREN_INSERT,
                                       size_index);
      sqlite3_stmt *stmt = pct_store_prepare_bulk (store, sql, error);
      int param = 1;

      if (stmt == NULL)
        return FALSE;
      for (guint i = 0; i < 1u << size_index; i++)
        {
          const Item *item = &g_array_index (items, Item, done + i);

          bind_value (stmt, param++, item->key);
          for (guint f = 0; f < n_fields; f++)
            bind_value (stmt, param++, &item->values[f]);
        }
      if (!step_write (store, stmt, entity, FALSE, error))
        return FALSE;
      done += 1u << size_index;
    }
  return TRUE;
}

/* Upserts rows of one entity, checked already, in as few statements as
 * the chunk sizes allow, in order: a later row with the same key wins.
 * With fill, the rows are new to an empty table: they are inserted, and
 * its triggers' work done after them. */
static gboolean
write_rows (PctStore          *store,
            Row              **rows,
            guint              n_rows,
            const FillEntity  *fill,
            GError           **error)
{
  const EntityInfo *info;
  guint done = 0;

  if (n_rows == 0)
    return TRUE;
  info = get_info (rows[0]->entity);

  while (done < n_rows)
    {
      guint size_index = chunk_size_index (n_rows - done);
      const char *sql = get_chunk_sql (info, fill != NULL ? CHUNK_FILL : CHUNK_UPSERT, size_index);
      sqlite3_stmt *stmt = pct_store_prepare_bulk (store, sql, error);

      if (stmt == NULL)
        return FALSE;
      for (guint r = 0; r < 1u << size_index; r++)
        bind_row (stmt, info, rows[done + r], 1 + (int) r * info->n_params);
      if (!step_write (store, stmt, rows[0]->entity, FALSE, error))
        return FALSE;
      done += 1u << size_index;
    }

  if (fill != NULL && !run_follow_ups (store, fill, rows, n_rows, error))
    return FALSE;
  if (info->children_field >= 0)
    return write_children (store, rows, n_rows, fill != NULL, error);
  return TRUE;
}

static gboolean
run_savepoint (PctStore    *store,
               const char  *sql,
               GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, error);

  return stmt != NULL && pct_store_step_done (store, stmt, error);
}

/* Applies one row on its own, atomically. */
static gboolean
apply_row (PctStore  *store,
           Row       *row,
           gboolean   deleted,
           GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (!run_savepoint (store, "SAVEPOINT pct_record", error))
    return FALSE;

  if (deleted)
    {
      sqlite3_stmt *stmt = pct_store_prepare (store, get_info (row->entity)->delete,
                                              &local_error);

      ok = stmt != NULL;
      if (ok)
        {
          bind_value (stmt, 1, &row->key);
          ok = step_write (store, stmt, row->entity, TRUE, &local_error);
        }
    }
  else
    ok = check_row (store, row, NULL, NULL, &local_error) &&
         write_rows (store, &row, 1, NULL, &local_error);

  if (!ok)
    {
      /* Undo whatever part of the record was written, then end the
       * savepoint; the outer transaction carries on. */
      run_savepoint (store, "ROLLBACK TO pct_record", NULL);
      run_savepoint (store, "RELEASE pct_record", NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return run_savepoint (store, "RELEASE pct_record", error);
}

/* The record as a document of its own. */
static PctJson *
json_from_object (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return pct_json_new_from_node (node);
}

gboolean
pct_record_apply (PctStore    *store,
                  JsonObject  *record,
                  GError     **error)
{
  g_autoptr(PctJson) json = NULL;
  g_autoptr(Row) row = NULL;
  gboolean deleted = FALSE;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  json = json_from_object (record);
  row = convert_record (json, pct_json_get_root (json), &deleted, error);
  if (row == NULL)
    return FALSE;

  return apply_row (store, row, deleted, error);
}

/* Batches ------------------------------------------------------------------ */

PctRecordBatch *
pct_record_batch_new (PctStore            *store,
                      PctRecordRejectFunc  reject,
                      gpointer             user_data)
{
  PctRecordBatch *batch;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);
  g_return_val_if_fail (reject != NULL, NULL);

  batch = g_new0 (PctRecordBatch, 1);
  batch->store = g_object_ref (store);
  batch->reject = reject;
  batch->user_data = user_data;
  batch->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  batch->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  batch->found = g_array_new (FALSE, FALSE, sizeof (Found));
  g_array_set_clear_func (batch->found, (GDestroyNotify) found_clear);
  return batch;
}

void
pct_record_batch_free (PctRecordBatch *batch)
{
  if (batch == NULL)
    return;
  g_ptr_array_unref (batch->rows);
  g_hash_table_unref (batch->keys);
  g_array_unref (batch->found);
  g_object_unref (batch->store);
  g_free (batch);
}

void
pct_record_batch_set_fill (PctRecordBatch *batch,
                           PctRecordFill  *fill)
{
  g_return_if_fail (batch != NULL);

  batch->fill = fill;
}

guint64
pct_record_batch_get_applied (PctRecordBatch *batch)
{
  return batch->applied;
}

/* Reports a problem with a record; anything but a problem with the record
 * is the caller's, and FALSE. */
static gboolean
batch_reject (PctRecordBatch     *batch,
              const PctJsonNode  *record,
              guint64          tag,
              GError          *problem,
              GError         **error)
{
  if (problem->domain != PCT_RECORD_ERROR)
    {
      g_propagate_error (error, problem);
      return FALSE;
    }
  batch->reject (tag, record, problem->message, batch->user_data);
  g_error_free (problem);
  return TRUE;
}

gboolean
pct_record_batch_flush (PctRecordBatch  *batch,
                        GError         **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (batch != NULL, FALSE);

  if (batch->rows->len == 0)
    return TRUE;

  rows = g_steal_pointer (&batch->rows);
  batch->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  g_hash_table_remove_all (batch->keys);
  batch->entity = NULL;

  if (batch->fill != NULL)
    {
      const FillEntity *fill = &batch->fill->entities[((Row *) rows->pdata[0])->entity - entities];

      if (fill->empty)
        {
          if (!write_rows (batch->store, (Row **) rows->pdata, rows->len, fill, error))
            return FALSE;
          batch->applied += rows->len;
          return TRUE;
        }
    }

  if (!run_savepoint (batch->store, "SAVEPOINT pct_batch", error))
    return FALSE;

  if (write_rows (batch->store, (Row **) rows->pdata, rows->len, NULL, &local_error))
    {
      batch->applied += rows->len;
      return run_savepoint (batch->store, "RELEASE pct_batch", error);
    }

  run_savepoint (batch->store, "ROLLBACK TO pct_batch", NULL);
  run_savepoint (batch->store, "RELEASE pct_batch", NULL);
  if (local_error->domain != PCT_RECORD_ERROR)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* Some row of the chunk was refused; going through them one at a time,
   * as if they had never been batched, finds which and keeps the rest. */
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = g_ptr_array_index (rows, i);
      GError *problem = NULL;

      if (apply_row (batch->store, row, FALSE, &problem))
        batch->applied++;
      else if (!batch_reject (batch, row->record, row->tag, problem, error))
        return FALSE;
    }

  return TRUE;
}

gboolean
pct_record_batch_add (PctRecordBatch  *batch,
                      JsonObject      *record,
                      guint64          tag,
                      GError         **error)
{
  g_autoptr(PctJson) json = NULL;

  g_return_val_if_fail (batch != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  json = json_from_object (record);
  return pct_record_batch_add_json (batch, json, pct_json_get_root (json), tag, error);
}

struct _PctRecordConverted
{
  const PctJsonNode *record;
  Row               *row;       /* NULL when refused */
  gboolean           deleted;
  GError            *problem;   /* why it was refused */
};

PctRecordConverted *
pct_record_convert (PctJson            *json,
                    const PctJsonNode  *record)
{
  PctRecordConverted *converted;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (pct_json_node_holds (record, PCT_JSON_OBJECT), NULL);

  converted = g_new0 (PctRecordConverted, 1);
  converted->record = record;
  converted->row = convert_record (json, record, &converted->deleted, &converted->problem);
  return converted;
}

void
pct_record_converted_free (PctRecordConverted *converted)
{
  if (converted == NULL)
    return;
  g_clear_pointer (&converted->row, row_free);
  g_clear_error (&converted->problem);
  g_free (converted);
}

gboolean
pct_record_batch_add_json (PctRecordBatch     *batch,
                           PctJson            *json,
                           const PctJsonNode  *record,
                           guint64             tag,
                           GError            **error)
{
  g_return_val_if_fail (batch != NULL, FALSE);
  g_return_val_if_fail (pct_json_node_holds (record, PCT_JSON_OBJECT), FALSE);

  return pct_record_batch_add_converted (batch, pct_record_convert (json, record), tag, error);
}

gboolean
pct_record_batch_add_converted (PctRecordBatch      *batch,
                                PctRecordConverted  *converted,
                                guint64              tag,
                                GError             **error)
{
  g_autoptr(Row) row = NULL;
  const PctJsonNode *record;
  GError *problem;
  gboolean deleted;

  g_return_val_if_fail (batch != NULL, FALSE);
  g_return_val_if_fail (converted != NULL, FALSE);

  record = converted->record;
  row = g_steal_pointer (&converted->row);
  problem = g_steal_pointer (&converted->problem);
  deleted = converted->deleted;
  pct_record_converted_free (converted);
  if (row != NULL)
    row->tag = tag;

  /* Whatever is queued goes first: a rejection or a deletion must come
   * after the records before it, and a chunk holds one entity only. */
  if (row == NULL || deleted || row->entity != batch->entity)
    {
      if (!pct_record_batch_flush (batch, error))
        {
          g_clear_error (&problem);
          return FALSE;
        }
    }

  if (row == NULL)
    return batch_reject (batch, record, tag, problem, error);

  if (deleted && batch->fill != NULL)
    {
      g_clear_error (&problem);
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_NOT_NEW,
                   _("A deletion cannot be applied while filling empty tables"));
      return FALSE;
    }

  if (deleted)
    {
      /* A row found before may be the one going. */
      g_array_set_size (batch->found, 0);
      if (!apply_row (batch->store, row, TRUE, &problem))
        return batch_reject (batch, record, tag, problem, error);
      batch->applied++;
      return TRUE;
    }

  if (!check_row (batch->store, row, batch->keys, batch->found, &problem))
    {
      if (!pct_record_batch_flush (batch, error))
        {
          g_clear_error (&problem);
          return FALSE;
        }
      return batch_reject (batch, record, tag, problem, error);
    }

  batch->entity = row->entity;
  /* Only a row of the same entity can name a queued one. */
  if (get_info (row->entity)->self_field >= 0)
    g_hash_table_add (batch->keys, value_to_string (&row->key));
  g_ptr_array_add (batch->rows, g_steal_pointer (&row));

  if (batch->rows->len >= MAX_CHUNK)
    return pct_record_batch_flush (batch, error);
  return TRUE;
}

/* A value quoted in a report: valid UTF-8, and short even when the
 * record's value was not. */
static char *
describe_text (const char *text)
{
  char *valid = g_utf8_make_valid (text, -1);

  if (strlen (valid) > 64)
    {
      char *end = g_utf8_find_prev_char (valid, valid + 61);

      strcpy (end != NULL ? end : valid, "…");
    }
  return valid;
}

void
pct_record_describe (const PctJsonNode  *record,
                     char              **entity,
                     char              **key)
{
  const PctJsonNode *node;
  gint64 i;

  *entity = NULL;
  *key = NULL;
  if (!pct_json_node_holds (record, PCT_JSON_OBJECT))
    return;

  node = pct_json_object_get_member (record, "entity");
  if (node_is_string (node))
    *entity = describe_text (node->v.string.str);

  node = pct_json_object_get_member (record, "id");
  if (node_is_string (node))
    *key = describe_text (node->v.string.str);
  else if (node != NULL && node_get_integer (node, &i))
    *key = g_strdup_printf ("%" G_GINT64_FORMAT, i);
}

/* GeoJSON ----------------------------------------------------------------- */

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
}

JsonNode *
pct_record_from_feature (JsonObject  *feature,
                         GError     **error)
{
  static const char * const meta[] = { "id", "version", "updated_at", "deleted" };
  static const char * const geometry_types[] = {
    [PCT_GEOMETRY_NONE] = NULL,
    [PCT_GEOMETRY_POINT] = "Point",
    [PCT_GEOMETRY_LINE] = "LineString",
    [PCT_GEOMETRY_POLYGON] = "Polygon",
  };
  g_autoptr(JsonObject) record = json_object_new ();
  g_autoptr(JsonObject) data = json_object_new ();
  JsonObject *properties = NULL;
  JsonObject *geometry = NULL;
  const PctRecordEntity *entity;
  const char *entity_name = NULL;
  const char *geometry_type = NULL;
  JsonNode *node;
  JsonNode *coordinates = NULL;
  JsonNode *result;

  if (g_strcmp0 (member_string (feature, "type"), "Feature") != 0)
    {
      g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                           _("Not a GeoJSON Feature"));
      return NULL;
    }

  node = json_object_get_member (feature, "properties");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    properties = json_node_get_object (node);
  else if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                           _("The feature’s “properties” must be an object"));
      return NULL;
    }

  node = json_object_get_member (feature, "geometry");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      geometry = json_node_get_object (node);
      geometry_type = member_string (geometry, "type");
      coordinates = json_object_get_member (geometry, "coordinates");
    }
  else if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                           _("The feature’s “geometry” must be an object or null"));
      return NULL;
    }

  if (properties != NULL)
    entity_name = member_string (properties, "entity");
  if (entity_name == NULL)
    {
      if (properties != NULL && json_object_has_member (properties, "entity"))
        {
          g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_UNKNOWN_ENTITY,
                               _("The feature’s “entity” must be a string"));
          return NULL;
        }
      if (g_strcmp0 (geometry_type, "Point") != 0)
        {
          g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_UNKNOWN_ENTITY,
                               _("The feature names no entity and is not a Point "
                                 "(which would make it an address)"));
          return NULL;
        }
      entity_name = "address";
    }

  entity = pct_record_entity_lookup (entity_name);
  if (entity == NULL)
    {
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_UNKNOWN_ENTITY,
                   _("Unknown entity “%s”"), entity_name);
      return NULL;
    }

  json_object_set_string_member (record, "entity", entity->name);
  for (guint i = 0; i < G_N_ELEMENTS (meta); i++)
    {
      node = properties != NULL ? json_object_get_member (properties, meta[i]) : NULL;
      if (node == NULL && i == 0)
        node = json_object_get_member (feature, "id");
      if (node != NULL)
        json_object_set_member (record, meta[i], json_node_copy (node));
    }

  for (guint i = 0; i < entity->n_fields && properties != NULL; i++)
    {
      const PctRecordField *field = &entity->fields[i];

      if (pct_record_field_is_geometry (entity, field))
        continue;
      node = json_object_get_member (properties, field->name);
      if (node != NULL)
        json_object_set_member (data, field->name, json_node_copy (node));
    }

  if (geometry != NULL && entity->geometry != PCT_GEOMETRY_NONE)
    {
      const char *wanted = geometry_types[entity->geometry];

      if (g_strcmp0 (geometry_type, wanted) != 0 || coordinates == NULL)
        {
          g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                       _("The geometry of %s records is a %s, not %s"), entity->name, wanted,
                       geometry_type != NULL ? geometry_type : "?");
          return NULL;
        }

      switch (entity->geometry)
        {
        case PCT_GEOMETRY_POINT:
          {
            JsonArray *pair = JSON_NODE_HOLDS_ARRAY (coordinates)
                              ? json_node_get_array (coordinates) : NULL;

            if (pair == NULL || json_array_get_length (pair) < 2 || json_array_get_length (pair) > 3)
              {
                g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                                     _("A Point’s coordinates must be [longitude, latitude]"));
                return NULL;
              }
            json_object_set_member (data, "lon", json_node_copy (json_array_get_element (pair, 0)));
            json_object_set_member (data, "lat", json_node_copy (json_array_get_element (pair, 1)));
          }
          break;

        case PCT_GEOMETRY_LINE:
          json_object_set_member (data, entity->geometry_field, json_node_copy (coordinates));
          break;

        case PCT_GEOMETRY_POLYGON:
          {
            JsonArray *rings = JSON_NODE_HOLDS_ARRAY (coordinates)
                               ? json_node_get_array (coordinates) : NULL;

            if (rings == NULL || json_array_get_length (rings) != 1)
              {
                g_set_error_literal (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_INVALID,
                                     _("A Polygon must have exactly one ring: holes are not "
                                       "supported"));
                return NULL;
              }
            json_object_set_member (data, entity->geometry_field,
                                    json_node_copy (json_array_get_element (rings, 0)));
          }
          break;

        case PCT_GEOMETRY_NONE:
        default:
          g_assert_not_reached ();
        }
    }

  json_object_set_object_member (record, "data", g_steal_pointer (&data));
  result = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (result, g_steal_pointer (&record));
  return result;
}

/* Reading ----------------------------------------------------------------- */

gboolean
pct_record_count (PctStore               *store,
                  const PctRecordEntity  *entity,
                  gint64                 *count,
                  GError                **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, get_info (entity)->count, error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      pct_store_set_sql_error (store, error, entity->table);
      sqlite3_reset (stmt);
      return FALSE;
    }
  *count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

static PctRecordReader *
reader_prepare (PctStore               *store,
                const PctRecordEntity  *entity,
                const char             *sql,
                GError                **error)
{
  g_autoptr(PctRecordReader) reader = g_new0 (PctRecordReader, 1);

  reader->store = g_object_ref (store);
  reader->entity = entity;
  reader->info = get_info (entity);

  /* Not from the statement cache: two readers of one entity may be open
   * at once, and each needs its own cursor. */
  if (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &reader->stmt, NULL) != SQLITE_OK)
    {
      pct_store_set_sql_error (store, error, entity->table);
      return NULL;
    }

  return g_steal_pointer (&reader);
}

PctRecordReader *
pct_record_reader_new (PctStore               *store,
                       const PctRecordEntity  *entity,
                       GError                **error)
{
  const EntityInfo *info;
  const char *sql;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);
  g_return_val_if_fail (entity != NULL, NULL);

  info = get_info (entity);
  sql = info->select;
  if (info->forward_refs != NULL)
    {
      sqlite3_stmt *stmt = pct_store_prepare (store, info->forward_refs, error);

      if (stmt == NULL)
        return NULL;
      if (sqlite3_step (stmt) != SQLITE_ROW)
        {
          pct_store_set_sql_error (store, error, entity->table);
          sqlite3_reset (stmt);
          return NULL;
        }
      if (sqlite3_column_int (stmt, 0))
        sql = info->select_ordered;
      sqlite3_reset (stmt);
    }

  return reader_prepare (store, entity, sql, error);
}

/* Appends key to the JSON array of keys when it can name a row and is
 * not there yet: the canonical text of a 64-bit integer for integer keys,
 * UTF-8 within the size limit for text keys. */
static void
append_key_element (const PctRecordEntity *entity,
                    const char            *key,
                    GHashTable            *seen,
                    GString               *array)
{
  if (key == NULL)
    return;

  if (entity->key_type == PCT_FIELD_INTEGER)
    {
      const char *digits = key[0] == '-' ? key + 1 : key;
      gint64 value;

      /* The decimal form the store's keys have: no sign but a minus, no
       * leading zero, no "-0", within 64 bits. */
      if (digits[0] < '0' || digits[0] > '9' || strspn (digits, "0123456789") != strlen (digits) ||
          (digits[0] == '0' && (digits[1] != '\0' || digits != key)) ||
          !g_ascii_string_to_signed (key, 10, G_MININT64, G_MAXINT64, &value, NULL))
        return;
    }
  else if (strlen (key) > PCT_RECORD_MAX_TEXT_BYTES || !g_utf8_validate (key, -1, NULL))
    return;

  if (!g_hash_table_add (seen, (gpointer) key))
    return;

  g_string_append (array, array->len > 1 ? "," : "");
  if (entity->key_type == PCT_FIELD_INTEGER)
    g_string_append (array, key);
  else
    pct_record_append_json_string (array, key);
}

static void
children_free (gpointer data)
{
  g_string_free (data, TRUE);
}

static void
append_child_item (GString                 *out,
                   const PctRecordChildren *spec,
                   sqlite3_stmt            *stmt)
{
  g_string_append_c (out, '{');
  for (guint f = 0; f < spec->n_fields; f++)
    {
      if (f > 0)
        g_string_append_c (out, ',');
      pct_record_append_json_string (out, spec->fields[f].name);
      g_string_append_c (out, ':');
      append_column (out, &spec->fields[f], stmt, (int) f);
    }
  g_string_append_c (out, '}');
}

/* One statement for the nested items of every row of a reader for keys,
 * rather than one per row, which would cost more than the row itself.
 * The keys drive the join, and each parent's items come from the child
 * table's primary key (parent, unique field) in its order, as
 * children_select gives them; a sort would cost as much as the rest. */
static gboolean
read_children_for_keys (PctRecordReader  *reader,
                        const char       *keys_json,
                        GError          **error)
{
  const PctRecordChildren *spec = reader->entity->fields[reader->info->children_field].children;
  gboolean integer_keys = reader->entity->key_type == PCT_FIELD_INTEGER;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int parent = (int) spec->n_fields;
  int rc;

  reader->children_by_key = integer_keys
    ? g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, children_free)
    : g_hash_table_new_full (g_str_hash, g_str_equal, g_free, children_free);

  if (sqlite3_prepare_v2 (pct_store_get_handle (reader->store),
                          reader->info->children_select_keys, -1, &stmt, NULL) != SQLITE_OK)
    return pct_store_set_sql_error (reader->store, error, spec->table);
  sqlite3_bind_text (stmt, 1, keys_json, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 int_key = sqlite3_column_int64 (stmt, parent);
      const char *text_key = (const char *) sqlite3_column_text (stmt, parent);
      GString *items = integer_keys ? g_hash_table_lookup (reader->children_by_key, &int_key)
                                    : g_hash_table_lookup (reader->children_by_key, text_key);

      if (items == NULL)
        {
          items = g_string_new ("[");
          if (integer_keys)
            g_hash_table_insert (reader->children_by_key,
                                 g_memdup2 (&int_key, sizeof int_key), items);
          else
            g_hash_table_insert (reader->children_by_key, g_strdup (text_key), items);
        }
      else
        g_string_append_c (items, ',');
      append_child_item (items, spec, stmt);
    }

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (reader->store, error, spec->table);
  return TRUE;
}

PctRecordReader *
pct_record_reader_new_for_keys (PctStore               *store,
                                const PctRecordEntity  *entity,
                                const char * const     *keys,
                                guint                   n_keys,
                                GError                **error)
{
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GString) array = NULL;
  g_autoptr(GHashTable) seen = NULL;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);
  g_return_val_if_fail (entity != NULL, NULL);
  g_return_val_if_fail (keys != NULL || n_keys == 0, NULL);

  /* All the keys in one bound parameter: one statement, whatever their
   * number, and nothing of them in the SQL text. */
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  array = g_string_sized_new (2 + (gsize) n_keys * 8);
  g_string_append_c (array, '[');
  for (guint i = 0; i < n_keys; i++)
    append_key_element (entity, keys[i], seen, array);
  g_string_append_c (array, ']');

  reader = reader_prepare (store, entity, get_info (entity)->select_keys, error);
  if (reader == NULL)
    return NULL;
  if (sqlite3_bind_text (reader->stmt, 1, array->str, (int) array->len,
                         SQLITE_TRANSIENT) != SQLITE_OK)
    {
      pct_store_set_sql_error (store, error, entity->table);
      return NULL;
    }

  if (reader->info->children_field >= 0 && !read_children_for_keys (reader, array->str, error))
    return NULL;

  return g_steal_pointer (&reader);
}

void
pct_record_reader_free (PctRecordReader *reader)
{
  if (reader == NULL)
    return;
  g_clear_pointer (&reader->stmt, sqlite3_finalize);
  g_clear_pointer (&reader->children, sqlite3_finalize);
  g_clear_pointer (&reader->children_by_key, g_hash_table_unref);
  g_clear_object (&reader->store);
  g_free (reader);
}

gboolean
pct_record_reader_next (PctRecordReader  *reader,
                        GError          **error)
{
  int rc = sqlite3_step (reader->stmt);

  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    pct_store_set_sql_error (reader->store, error, reader->entity->table);
  return FALSE;
}

const PctRecordEntity *
pct_record_reader_get_entity (PctRecordReader *reader)
{
  return reader->entity;
}

gint64
pct_record_reader_get_version (PctRecordReader *reader)
{
  return reader->entity->synced
         ? sqlite3_column_int64 (reader->stmt, reader->info->version_column) : 0;
}

gint64
pct_record_reader_get_updated_at (PctRecordReader *reader)
{
  return reader->entity->synced
         ? sqlite3_column_int64 (reader->stmt, reader->info->version_column + 1) : 0;
}

static int
column_of (PctRecordReader *reader,
           guint            field)
{
  g_return_val_if_fail (field < reader->entity->n_fields, -1);
  return reader->info->column_of[field];
}

gboolean
pct_record_reader_is_null (PctRecordReader *reader,
                           guint            field)
{
  int column = column_of (reader, field);

  return column < 0 || sqlite3_column_type (reader->stmt, column) == SQLITE_NULL;
}

const char *
pct_record_reader_get_text (PctRecordReader *reader,
                            guint            field)
{
  int column = column_of (reader, field);

  return column < 0 ? NULL : (const char *) sqlite3_column_text (reader->stmt, column);
}

gint64
pct_record_reader_get_int (PctRecordReader *reader,
                           guint            field)
{
  int column = column_of (reader, field);

  return column < 0 ? 0 : sqlite3_column_int64 (reader->stmt, column);
}

double
pct_record_reader_get_double (PctRecordReader *reader,
                              guint            field)
{
  int column = column_of (reader, field);

  return column < 0 ? 0.0 : sqlite3_column_double (reader->stmt, column);
}

GArray *
pct_record_reader_get_positions (PctRecordReader *reader,
                                 guint            field)
{
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (PctPosition));
  const char *text = pct_record_reader_get_text (reader, field);

  if (text == NULL || !parse_positions (text, positions))
    return NULL;
  return g_steal_pointer (&positions);
}

void
pct_record_reader_append_key (PctRecordReader *reader,
                              GString         *out)
{
  if (reader->entity->key_type == PCT_FIELD_INTEGER)
    append_int (out, sqlite3_column_int64 (reader->stmt, 0));
  else
    pct_record_append_json_string (out, (const char *) sqlite3_column_text (reader->stmt, 0));
}

void
pct_record_reader_append_key_text (PctRecordReader *reader,
                                   GString         *out)
{
  if (reader->entity->key_type == PCT_FIELD_INTEGER)
    append_int (out, sqlite3_column_int64 (reader->stmt, 0));
  else
    g_string_append (out, (const char *) sqlite3_column_text (reader->stmt, 0));
}

static void
append_column (GString               *out,
               const PctRecordField  *field,
               sqlite3_stmt          *stmt,
               int                    column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    {
      append_literal (out, "null");
      return;
    }

  switch (field->type)
    {
    case PCT_FIELD_TEXT:
      pct_record_append_json_string (out, (const char *) sqlite3_column_text (stmt, column));
      break;
    case PCT_FIELD_INTEGER:
      append_int (out, sqlite3_column_int64 (stmt, column));
      break;
    case PCT_FIELD_BOOLEAN:
      g_string_append (out, sqlite3_column_int64 (stmt, column) ? "true" : "false");
      break;
    case PCT_FIELD_REAL:
    case PCT_FIELD_LONGITUDE:
    case PCT_FIELD_LATITUDE:
      pct_record_append_double (out, sqlite3_column_double (stmt, column));
      break;
    case PCT_FIELD_LINE:
    case PCT_FIELD_POLYGON:
      {
        g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (PctPosition));

        if (parse_positions ((const char *) sqlite3_column_text (stmt, column), positions))
          append_positions (out, positions, FALSE);
        else
          append_literal (out, "null");
      }
      break;
    case PCT_FIELD_CHILDREN:
    default:
      g_assert_not_reached ();
    }
}

static void
append_children (PctRecordReader      *reader,
                 const PctRecordField *field,
                 GString              *out)
{
  const PctRecordChildren *spec = field->children;
  gboolean first = TRUE;

  if (reader->children_by_key != NULL)
    {
      const GString *items;

      if (reader->entity->key_type == PCT_FIELD_INTEGER)
        {
          gint64 key = sqlite3_column_int64 (reader->stmt, 0);

          items = g_hash_table_lookup (reader->children_by_key, &key);
        }
      else
        items = g_hash_table_lookup (reader->children_by_key,
                                     (const char *) sqlite3_column_text (reader->stmt, 0));
      /* Kept open, "[item,item", so that items can be added in any order. */
      if (items != NULL)
        append_len (out, items->str, items->len);
      else
        g_string_append_c (out, '[');
      g_string_append_c (out, ']');
      return;
    }

  /* The reader's own statement: looked up in the store's cache for every
   * row, its SQL text would be hashed every time. */
  if (reader->children == NULL &&
      sqlite3_prepare_v2 (pct_store_get_handle (reader->store), reader->info->children_select, -1,
                          &reader->children, NULL) != SQLITE_OK)
    g_clear_pointer (&reader->children, sqlite3_finalize);

  g_string_append_c (out, '[');
  if (reader->children != NULL)
    {
      sqlite3_stmt *stmt = reader->children;

      sqlite3_bind_value (stmt, 1, sqlite3_column_value (reader->stmt, 0));
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          if (!first)
            g_string_append_c (out, ',');
          first = FALSE;
          append_child_item (out, spec, stmt);
        }
      sqlite3_reset (stmt);
    }
  g_string_append_c (out, ']');
}

void
pct_record_reader_append_field (PctRecordReader *reader,
                                guint            field,
                                GString         *out)
{
  const PctRecordField *spec = &reader->entity->fields[field];

  if (spec->type == PCT_FIELD_CHILDREN)
    append_children (reader, spec, out);
  else
    append_column (out, spec, reader->stmt, column_of (reader, field));
}

static void
append_head (PctRecordReader *reader,
             GString         *out)
{
  append_literal (out, "\"entity\":");
  pct_record_append_json_string (out, reader->entity->name);
  append_literal (out, ",\"id\":");
  pct_record_reader_append_key (reader, out);
  if (reader->entity->synced)
    {
      append_literal (out, ",\"version\":");
      append_int (out, pct_record_reader_get_version (reader));
      append_literal (out, ",\"updated_at\":");
      append_int (out, pct_record_reader_get_updated_at (reader));
    }
}

/* A personal field the role does not read in clear, in its masked form;
 * FALSE, with nothing written, for any other field or a null value. */
static gboolean
append_masked_field (PctRecordReader *reader,
                     guint            field,
                     PctRole          role,
                     GString         *out)
{
  const PctRecordEntity *entity = reader->entity;
  const char *name = entity->fields[field].name;
  g_autofree char *masked = NULL;

  if (reader->info->access[role][field] == PCT_FIELD_ACCESS_PLAIN ||
      pct_record_reader_is_null (reader, field))
    return FALSE;

  masked = pct_roles_mask_value (entity->name, name, pct_record_reader_get_text (reader, field));
  if (masked != NULL)
    pct_record_append_json_string (out, masked);
  else
    append_literal (out, "null");
  return TRUE;
}

/* The data object; with mask, masked for role, and the fields masked
 * noted in *masked_set. */
static void
append_data (PctRecordReader *reader,
             gboolean         mask,
             PctRole          role,
             guint64         *masked_set,
             GString         *out)
{
  const PctRecordEntity *entity = reader->entity;

  g_string_append_c (out, '{');
  for (guint i = 0; i < entity->n_fields; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_len (out, reader->info->member_names[i], reader->info->member_name_lens[i]);
      if (mask && append_masked_field (reader, i, role, out))
        *masked_set |= G_GUINT64_CONSTANT (1) << i;
      else
        pct_record_reader_append_field (reader, i, out);
    }
  g_string_append_c (out, '}');
}

void
pct_record_reader_append_data (PctRecordReader *reader,
                               GString         *out)
{
  append_data (reader, FALSE, PCT_ROLE_ADMIN, NULL, out);
}

void
pct_record_reader_append_record (PctRecordReader *reader,
                                 GString         *out)
{
  g_string_append_c (out, '{');
  append_head (reader, out);
  append_literal (out, ",\"data\":");
  append_data (reader, FALSE, PCT_ROLE_ADMIN, NULL, out);
  g_string_append_c (out, '}');
}

void
pct_record_reader_append_record_masked (PctRecordReader *reader,
                                        PctRole          role,
                                        GString         *out)
{
  const PctRecordEntity *entity = reader->entity;
  guint64 masked_set = 0;

  g_return_if_fail ((guint) role < PCT_N_ROLES);

  g_string_append_c (out, '{');
  append_head (reader, out);
  append_literal (out, ",\"data\":");
  append_data (reader, TRUE, role, &masked_set, out);

  if (masked_set != 0)
    {
      gboolean first = TRUE;

      append_literal (out, ",\"masked\":[");
      for (guint i = 0; i < entity->n_fields; i++)
        {
          if ((masked_set & (G_GUINT64_CONSTANT (1) << i)) == 0)
            continue;
          if (!first)
            g_string_append_c (out, ',');
          first = FALSE;
          pct_record_append_json_string (out, entity->fields[i].name);
        }
      g_string_append_c (out, ']');
    }
  g_string_append_c (out, '}');
}

static void
append_geometry (PctRecordReader *reader,
                 GString         *out)
{
  const PctRecordEntity *entity = reader->entity;
  const EntityInfo *info = reader->info;
  g_autoptr(GArray) positions = NULL;

  switch (entity->geometry)
    {
    case PCT_GEOMETRY_POINT:
      if (pct_record_reader_is_null (reader, info->lon_field)
          || pct_record_reader_is_null (reader, info->lat_field))
        break;
      append_literal (out, "{\"type\":\"Point\",\"coordinates\":[");
      pct_record_append_double (out, pct_record_reader_get_double (reader, info->lon_field));
      g_string_append_c (out, ',');
      pct_record_append_double (out, pct_record_reader_get_double (reader, info->lat_field));
      append_literal (out, "]}");
      return;

    case PCT_GEOMETRY_LINE:
      positions = pct_record_reader_get_positions (reader, info->geometry_field);
      if (positions == NULL)
        break;
      append_literal (out, "{\"type\":\"LineString\",\"coordinates\":");
      append_positions (out, positions, FALSE);
      g_string_append_c (out, '}');
      return;

    case PCT_GEOMETRY_POLYGON:
      /* RFC 7946 rings are closed: the first position is repeated last. */
      positions = pct_record_reader_get_positions (reader, info->geometry_field);
      if (positions == NULL)
        break;
      append_literal (out, "{\"type\":\"Polygon\",\"coordinates\":[");
      append_positions (out, positions, TRUE);
      append_literal (out, "]}");
      return;

    case PCT_GEOMETRY_NONE:
    default:
      break;
    }

  append_literal (out, "null");
}

void
pct_record_reader_append_feature (PctRecordReader *reader,
                                  GString         *out)
{
  const PctRecordEntity *entity = reader->entity;

  append_literal (out, "{\"type\":\"Feature\",\"id\":");
  pct_record_reader_append_key (reader, out);
  append_literal (out, ",\"geometry\":");
  append_geometry (reader, out);
  append_literal (out, ",\"properties\":{");
  append_head (reader, out);
  for (guint i = 0; i < entity->n_fields; i++)
    {
      if (pct_record_field_is_geometry (entity, &entity->fields[i]))
        continue;
      g_string_append_c (out, ',');
      pct_record_append_json_string (out, entity->fields[i].name);
      g_string_append_c (out, ':');
      pct_record_reader_append_field (reader, i, out);
    }
  append_literal (out, "}}");
}
