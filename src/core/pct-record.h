/* pct-record.h — the mapping between store rows and JSON records, per entity
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "pct-json.h"
#include "pct-roles.h"
#include "pct-store.h"

G_BEGIN_DECLS

#define PCT_RECORD_ERROR (pct_record_error_quark ())

typedef enum
{
  PCT_RECORD_ERROR_SYNTAX,          /* not one well-formed JSON object */
  PCT_RECORD_ERROR_TOO_LARGE,       /* a limit below was exceeded */
  PCT_RECORD_ERROR_UNKNOWN_ENTITY,
  PCT_RECORD_ERROR_INVALID,         /* a type, a required field, a value */
  PCT_RECORD_ERROR_REFERENCE,       /* names a row that does not exist */
  PCT_RECORD_ERROR_CONFLICT,        /* clashes with another row */
  PCT_RECORD_ERROR_NOT_NEW,         /* a deletion, or a row already there, while filling */
} PctRecordError;

/* Limits on what a record may carry, in bytes of UTF-8. They bound the
 * memory one bad line can cost and are documented in docs/records.md. */
#define PCT_RECORD_MAX_TEXT_BYTES     4096
#define PCT_RECORD_MAX_GEOMETRY_BYTES 65536
#define PCT_RECORD_MAX_BYTES          (1024 * 1024)
#define PCT_RECORD_MAX_DEPTH          16
#define PCT_RECORD_MAX_CHILDREN       256

typedef enum
{
  PCT_FIELD_TEXT,
  PCT_FIELD_INTEGER,
  PCT_FIELD_REAL,
  PCT_FIELD_BOOLEAN,
  PCT_FIELD_LONGITUDE,
  PCT_FIELD_LATITUDE,
  PCT_FIELD_LINE,       /* [[lon, lat], …], at least two positions */
  PCT_FIELD_POLYGON,    /* [[lon, lat], …], one ring, at least three positions */
  PCT_FIELD_CHILDREN,   /* an array of nested objects kept in another table */
} PctFieldType;

typedef enum
{
  PCT_FIELD_REQUIRED    = 1 << 0,
  PCT_FIELD_HAS_DEFAULT = 1 << 1,
  PCT_FIELD_HAS_RANGE   = 1 << 2,
  /* Absent (not null): looked up from a sibling field by resolve_sql. */
  PCT_FIELD_RESOLVED    = 1 << 3,
} PctFieldFlags;

typedef enum
{
  PCT_GEOMETRY_NONE,
  PCT_GEOMETRY_POINT,    /* the lon and lat fields */
  PCT_GEOMETRY_LINE,     /* geometry_field */
  PCT_GEOMETRY_POLYGON,  /* geometry_field */
} PctGeometryKind;

typedef gboolean (*PctTextCheck)    (const char  *value,
                                     GError     **error);
typedef gboolean (*PctIntegerCheck) (gint64       value,
                                     GError     **error);

typedef struct _PctRecordField    PctRecordField;
typedef struct _PctRecordChildren PctRecordChildren;
typedef struct _PctRecordEntity   PctRecordEntity;

/* One field of a record: a JSON member of "data" and, except for
 * children, the column of the same name. */
struct _PctRecordField
{
  const char               *name;
  PctFieldType              type;
  PctFieldFlags             flags;
  const char * const       *allowed;       /* text: the values allowed, NULL-terminated */
  gint64                    min;           /* integer, with PCT_FIELD_HAS_RANGE */
  gint64                    max;
  gint64                    default_int;   /* integer and boolean, with HAS_DEFAULT */
  const char               *default_text;  /* text, with HAS_DEFAULT */
  const char               *references;    /* the entity whose key this field holds */
  const char               *resolve_from;  /* with RESOLVED: the sibling text field */
  const char               *resolve_sql;   /* with RESOLVED: key by that text */
  PctTextCheck              check_text;
  PctIntegerCheck           check_int;
  const PctRecordChildren  *children;      /* PCT_FIELD_CHILDREN */
};

/* Rows of another table that belong to one record and are replaced with
 * it, such as the rooms a person is registered in. */
struct _PctRecordChildren
{
  const char               *table;
  const char               *parent_column;
  const char               *unique_field;  /* no two items may share it */
  const PctRecordField     *fields;
  guint                     n_fields;
};

struct _PctRecordEntity
{
  const char               *name;          /* "address": the record's "entity" */
  const char               *table;
  const char               *key;           /* the key column; the record's "id" */
  PctFieldType              key_type;      /* INTEGER or TEXT */
  PctTextCheck              key_check;     /* TEXT keys */
  gboolean                  synced;        /* carries version and updated_at */
  PctGeometryKind           geometry;
  const char               *geometry_field;
  const PctRecordField     *fields;
  guint                     n_fields;
  /* Rules that span fields, once each is valid: members holds the
   * member of "data" for each field, NULL where absent or masked. */
  gboolean                (*check) (const PctRecordEntity    *entity,
                                    const PctJsonNode * const *members,
                                    GError                  **error);
};

/* A position of a line or polygon. */
typedef struct
{
  double lon;
  double lat;
} PctPosition;

GQuark                  pct_record_error_quark        (void);

/* Every entity, in an order in which each only references earlier ones
 * (or itself). */
const PctRecordEntity  *pct_record_entities           (guint                   *n_entities);
const PctRecordEntity  *pct_record_entity_lookup      (const char              *name);
const PctRecordEntity  *pct_record_entity_for_layer   (PctLayer                 layer);
/* Index of the field called name, or -1. */
int                     pct_record_entity_find_field  (const PctRecordEntity   *entity,
                                                       const char              *name);
/* Whether the field is the GeoJSON geometry (or part of it, for points). */
gboolean                pct_record_field_is_geometry  (const PctRecordEntity   *entity,
                                                       const PctRecordField    *field);

/* Strict RFC 8259 check of exactly one JSON value: nesting at most
 * PCT_RECORD_MAX_DEPTH, no NUL or unpaired surrogate escapes, integers
 * within 64 bits. text must already be valid UTF-8. n_members receives the
 * number of object members seen. */
gboolean                pct_record_check_json         (const char              *text,
                                                       gsize                    length,
                                                       guint                   *n_members,
                                                       GError                 **error);
/* Checks text (size, NUL bytes, UTF-8, the strict syntax above, duplicate
 * members) and parses it with parser; returns a new reference to the root,
 * which is a JSON object. */
JsonNode               *pct_record_parse              (JsonParser              *parser,
                                                       const char              *text,
                                                       gsize                    length,
                                                       GError                 **error);
/* The same checks, the text built into a compact document instead. */
PctJson                *pct_record_parse_json         (const char              *text,
                                                       gsize                    length,
                                                       GError                 **error);
/* Builds the record a GeoJSON Feature stands for: properties.entity (a
 * Point without one is an address), id from properties or the feature,
 * the geometry into the entity's geometry fields. Properties that are not
 * fields of the entity are left out. */
JsonNode               *pct_record_from_feature       (JsonObject              *feature,
                                                       GError                 **error);
/* Best-effort entity name and key of a record, for reports; either may be
 * set to NULL. */
void                    pct_record_describe           (const PctJsonNode       *record,
                                                       char                   **entity,
                                                       char                   **key);

/* Validates one record and writes it: an upsert by key storing version and
 * updated_at as given, or a deletion. A record may carry "masked", the
 * personal fields (pct-roles.h) whose values are masked forms: each is
 * checked as a masked form (or null) instead of by the field's own checks,
 * and stored as received. Atomic on its own (a savepoint), so a
 * rejected record leaves nothing behind. Problems with the record come
 * back as PCT_RECORD_ERROR; any other error is the store's. */
gboolean                pct_record_apply              (PctStore                *store,
                                                       JsonObject              *record,
                                                       GError                 **error);

/* Applies a stream of records faster than one pct_record_apply() each:
 * consecutive upserts of one entity are written together, many rows per
 * statement, inside a savepoint; should the store refuse one of them, the
 * chunk is rolled back and replayed record by record, so the outcome is
 * always that of applying the records one at a time, in order. */
typedef struct _PctRecordBatch PctRecordBatch;

/* Called for each record refused, in the order the records were added;
 * tag is the one given to pct_record_batch_add(). */
typedef void (*PctRecordRejectFunc) (guint64             tag,
                                     const PctJsonNode  *record,
                                     const char         *reason,
                                     gpointer            user_data);

PctRecordBatch         *pct_record_batch_new          (PctStore                *store,
                                                       PctRecordRejectFunc      reject,
                                                       gpointer                 user_data);
void                    pct_record_batch_free         (PctRecordBatch          *batch);
/* Validates record and queues it (a deletion is applied at once). A
 * refused record goes to the reject function. FALSE only when the store
 * fails. The record is copied into a document of its own first. */
gboolean                pct_record_batch_add          (PctRecordBatch          *batch,
                                                       JsonObject              *record,
                                                       guint64                  tag,
                                                       GError                 **error);
/* The same for a record of a document, which it keeps until the record
 * is written. */
gboolean                pct_record_batch_add_json     (PctRecordBatch          *batch,
                                                       PctJson                 *json,
                                                       const PctJsonNode       *record,
                                                       guint64                  tag,
                                                       GError                 **error);
/* A record of a document converted and checked as far as can be without
 * a store: the part of adding a record that any thread may do ahead of
 * the thread that writes. Never NULL; a record found bad is refused when
 * the converted record is added. */
typedef struct _PctRecordConverted PctRecordConverted;

PctRecordConverted     *pct_record_convert            (PctJson                 *json,
                                                       const PctJsonNode       *record);
void                    pct_record_converted_free     (PctRecordConverted      *converted);
/* pct_record_batch_add_json() for a record converted already; takes
 * converted. */
gboolean                pct_record_batch_add_converted (PctRecordBatch         *batch,
                                                        PctRecordConverted     *converted,
                                                        guint64                 tag,
                                                        GError                **error);
/* Writes what is queued; call it before committing. */
gboolean                pct_record_batch_flush        (PctRecordBatch          *batch,
                                                       GError                 **error);
/* Records written so far. */
guint64                 pct_record_batch_get_applied  (PctRecordBatch          *batch);

/* Filling empty tables. Inside a transaction, SQLite keeps a statement
 * journal, a copy of every page a statement changes, for each statement
 * that a trigger writing to a virtual table (the R*Trees, the search
 * indexes) or a foreign key might abort half-way; in a full sync that was
 * a sixth of the work. On a connection with triggers
 * (SQLITE_DBCONFIG_ENABLE_TRIGGER) and foreign keys off, a batch with a
 * fill inserts the rows of empty tables instead, then does for each row
 * what the table's AFTER INSERT triggers would have done, with statements
 * made from the triggers' own text; the batch checks references as it
 * always does. A fill is made for the store's schema as it is when made. */
typedef struct _PctRecordFill PctRecordFill;

/* NULL, without an error, when the schema rules filling out: a table with
 * rows has triggers, a trigger is not one statement of a form that can be
 * stood in for, or a foreign key is not one the batch checks. */
PctRecordFill          *pct_record_fill_new           (PctStore                *store,
                                                       GError                 **error);
void                    pct_record_fill_free          (PctRecordFill           *fill);
/* From now on, rows of the entities the fill found empty are inserted,
 * without a savepoint of the batch's own, and nothing is replayed record
 * by record: a row already there, a deletion (PCT_RECORD_ERROR_NOT_NEW),
 * or any refusal fails the batch, and whatever it wrote must be rolled
 * back by the caller, who then applies the records the usual way, on a
 * connection with triggers and foreign keys on again. */
void                    pct_record_batch_set_fill     (PctRecordBatch          *batch,
                                                       PctRecordFill           *fill);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctRecordFill, pct_record_fill_free)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctRecordBatch, pct_record_batch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctRecordConverted, pct_record_converted_free)

/* Reads an entity's rows in an order that puts every row after the rows
 * of the same entity it references. Holds a statement open: finish with
 * it before writing to the store. */
typedef struct _PctRecordReader PctRecordReader;

PctRecordReader        *pct_record_reader_new         (PctStore                *store,
                                                       const PctRecordEntity   *entity,
                                                       GError                 **error);
/* A reader over only the rows whose key, in text form (the decimal
 * integer, or the text key), is among keys; in no particular order, each
 * row once. Keys that name no row are left out, as are texts that cannot
 * be keys of the entity (such as "088" or "x" for an integer key). Fast
 * for thousands of keys: one statement, one lookup per key. */
PctRecordReader        *pct_record_reader_new_for_keys (PctStore               *store,
                                                       const PctRecordEntity   *entity,
                                                       const char * const      *keys,
                                                       guint                    n_keys,
                                                       GError                 **error);
void                    pct_record_reader_free        (PctRecordReader         *reader);
/* TRUE with a row; FALSE at the end, or with error set. */
gboolean                pct_record_reader_next        (PctRecordReader         *reader,
                                                       GError                 **error);
const PctRecordEntity  *pct_record_reader_get_entity  (PctRecordReader         *reader);
gint64                  pct_record_reader_get_version (PctRecordReader         *reader);
gint64                  pct_record_reader_get_updated_at (PctRecordReader      *reader);
gboolean                pct_record_reader_is_null     (PctRecordReader         *reader,
                                                       guint                    field);
const char             *pct_record_reader_get_text    (PctRecordReader         *reader,
                                                       guint                    field);
gint64                  pct_record_reader_get_int     (PctRecordReader         *reader,
                                                       guint                    field);
double                  pct_record_reader_get_double  (PctRecordReader         *reader,
                                                       guint                    field);
/* The positions of a line or polygon field, or NULL if it holds none. */
GArray                 *pct_record_reader_get_positions (PctRecordReader       *reader,
                                                       guint                    field);
/* The key as JSON: a number or a string. */
void                    pct_record_reader_append_key  (PctRecordReader         *reader,
                                                       GString                 *out);
/* The key as plain text: the number or the string unquoted. */
void                    pct_record_reader_append_key_text (PctRecordReader     *reader,
                                                       GString                 *out);
/* One field's value as JSON (null, a number, a string, an array). */
void                    pct_record_reader_append_field (PctRecordReader        *reader,
                                                       guint                    field,
                                                       GString                 *out);
/* The row's "data" object. */
void                    pct_record_reader_append_data (PctRecordReader         *reader,
                                                       GString                 *out);
/* The row as one record line, without the newline. */
void                    pct_record_reader_append_record (PctRecordReader       *reader,
                                                       GString                 *out);
/* The same line as read by role: each personal field the role does not
 * read in clear (pct_role_field_access() not PLAIN) in its masked form,
 * or null, and a "masked" member listing those fields after "data" (left
 * out when no value was masked; a null value needs no masking). */
void                    pct_record_reader_append_record_masked (PctRecordReader *reader,
                                                       PctRole                  role,
                                                       GString                 *out);
/* The row as a GeoJSON Feature (RFC 7946). */
void                    pct_record_reader_append_feature (PctRecordReader      *reader,
                                                       GString                 *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctRecordReader, pct_record_reader_free)

gboolean                pct_record_count              (PctStore                *store,
                                                       const PctRecordEntity   *entity,
                                                       gint64                  *count,
                                                       GError                 **error);

/* JSON text helpers shared by the writers. A string is escaped so that
 * any JSON parser reads back the same text: quotes, backslashes and
 * control characters escaped, U+2028 and U+2029 too; bytes that are not
 * UTF-8 become U+FFFD. */
void                    pct_record_append_json_string (GString                 *out,
                                                       const char              *text);
/* The shortest decimal form that reads back as the same double; "null"
 * for infinities and NaN, which JSON cannot hold. */
void                    pct_record_append_double      (GString                 *out,
                                                       double                   value);

G_END_DECLS
