/* pct-store.h — the local SQLite store of addresses, 三实 records and cases
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "pct-types.h"

G_BEGIN_DECLS

/* The schema version this build writes; older files are migrated on open. */
#define PCT_STORE_SCHEMA_VERSION 6

#define PCT_STORE_ERROR (pct_store_error_quark ())

typedef enum
{
  PCT_STORE_ERROR_NOT_A_STORE,
  PCT_STORE_ERROR_TOO_NEW,
  PCT_STORE_ERROR_CORRUPT,
  PCT_STORE_ERROR_NOT_FOUND,
  PCT_STORE_ERROR_INVALID,
  PCT_STORE_ERROR_FAILED,
} PctStoreError;

typedef enum
{
  PCT_STORE_OPEN_DEFAULT   = 0,
  PCT_STORE_OPEN_READ_ONLY = 1 << 0,
  PCT_STORE_OPEN_CREATE    = 1 << 1,
  /* Bulk loading: synchronous=OFF, larger cache. For generators and imports
   * into a fresh file, where a crash means starting again anyway. */
  PCT_STORE_OPEN_BULK      = 1 << 2,
} PctStoreOpenFlags;

typedef enum
{
  PCT_SEARCH_ADDRESS = 1,
  PCT_SEARCH_UNIT    = 2,
  PCT_SEARCH_PERSON  = 3,
} PctSearchKind;

typedef struct
{
  PctSearchKind kind;
  gint64        id;
  char         *title;
  char         *subtitle;
  double        lon;
  double        lat;
} PctSearchHit;

void pct_search_hit_free (PctSearchHit *hit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctSearchHit, pct_search_hit_free)

/* One feature found by a box query: its id and its representative point. */
typedef struct
{
  gint64 id;
  double lon;
  double lat;
} PctFeatureRef;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define PCT_TYPE_STORE (pct_store_get_type ())
G_DECLARE_FINAL_TYPE (PctStore, pct_store, PCT, STORE, GObject)

GQuark        pct_store_error_quark       (void);

PctStore     *pct_store_open              (const char         *path,
                                           PctStoreOpenFlags   flags,
                                           GError            **error);
const char   *pct_store_get_path          (PctStore           *self);
int           pct_store_get_schema_version (PctStore          *self);
sqlite3      *pct_store_get_handle        (PctStore           *self);

/* Statements are cached per SQL text (which must be a string literal or
 * otherwise outlive the store). The statement comes back reset with its
 * bindings cleared; do not finalize it. */
sqlite3_stmt *pct_store_prepare           (PctStore           *self,
                                           const char         *sql,
                                           GError            **error);
/* The same for a statement of many parameters, all of which the caller
 * binds, whose SQL text lives as long as the process: it is found by the
 * text's address rather than by hashing the text, and its bindings are
 * not cleared. For the long multi-row statements of bulk writes. */
sqlite3_stmt *pct_store_prepare_bulk      (PctStore           *self,
                                           const char         *sql,
                                           GError            **error);
gboolean      pct_store_exec              (PctStore           *self,
                                           const char         *sql,
                                           GError            **error);
/* The integer in the first column of the one row sql gives (a count,
 * EXISTS, a PRAGMA). */
gboolean      pct_store_query_int64       (PctStore           *self,
                                           const char         *sql,
                                           gint64             *value,
                                           GError            **error);
/* Steps a statement that returns no rows, then resets it. */
gboolean      pct_store_step_done         (PctStore           *self,
                                           sqlite3_stmt       *stmt,
                                           GError            **error);
gboolean      pct_store_begin             (PctStore           *self,
                                           GError            **error);
gboolean      pct_store_commit            (PctStore           *self,
                                           GError            **error);
void          pct_store_rollback          (PctStore           *self);

/* Sets error from the connection's last error; always returns FALSE. */
gboolean      pct_store_set_sql_error     (PctStore           *self,
                                           GError            **error,
                                           const char         *context);

char         *pct_store_get_meta          (PctStore           *self,
                                           const char         *key);
gboolean      pct_store_set_meta          (PctStore           *self,
                                           const char         *key,
                                           const char         *value,
                                           GError            **error);

/* Entities counted by `info`, in a stable order, NULL-terminated. */
const char * const *pct_store_entity_names (void);
gboolean      pct_store_count             (PctStore           *self,
                                           const char         *entity,
                                           gint64             *count,
                                           GError            **error);

/* Features of a layer whose bounds intersect the box, through the R*Tree,
 * exactly filtered on their stored coordinates, in no particular order.
 * limit 0 = no limit. */
GArray       *pct_store_query_bbox        (PctStore           *self,
                                           PctLayer            layer,
                                           const PctBBox      *bbox,
                                           guint               limit,
                                           GError            **error);
/* The same answer by a full table scan, ordered by id; the reference for
 * tests. */
GArray       *pct_store_scan_bbox         (PctStore           *self,
                                           PctLayer            layer,
                                           const PctBBox      *bbox,
                                           GError            **error);
gboolean      pct_store_get_extent        (PctStore           *self,
                                           PctBBox            *extent,
                                           GError            **error);
/* The grid cell whose polygon holds the point; *grid_id is 0 when none
 * does. */
gboolean      pct_store_find_grid_cell    (PctStore           *self,
                                           double              lon,
                                           double              lat,
                                           gint64             *grid_id,
                                           GError            **error);
/* The standard address nearest the point within radius_m metres (the
 * lowest id among equally near ones); *address_id is 0 when none is. */
gboolean      pct_store_find_nearest_address (PctStore        *self,
                                           double              lon,
                                           double              lat,
                                           double              radius_m,
                                           gint64             *address_id,
                                           GError            **error);

/* Search over address text, unit names and credit codes, and person names
 * (FTS5 trigram for 3+ characters; indexed name prefix then a bounded scan
 * for shorter queries; an exact ID number finds its person). Person hits
 * carry a masked ID number only. Returns PctSearchHit*. */
GPtrArray    *pct_store_search            (PctStore           *self,
                                           const char         *query,
                                           guint               limit,
                                           GError            **error);
/* The same query answered by plain LIKE scans: the baseline for benchmarks. */
GPtrArray    *pct_store_search_like_scan  (PctStore           *self,
                                           const char         *query,
                                           guint               limit,
                                           GError            **error);

/* What a connection knows of the file's changes: PRAGMA data_version moves
 * when another connection commits, the total change count when this one
 * writes (which data_version leaves alone). Zero-initialise before use. */
typedef struct
{
  gint64 data_version;
  gint64 total_changes;
} PctStoreStamp;

/* Cheap enough to call every second. Returns TRUE, and updates stamp, when
 * the store changed since stamp was taken (or stamp was never taken). */
gboolean      pct_store_poll_changes      (PctStore           *self,
                                           PctStoreStamp      *stamp);

/* SHA-256 over every row of every content table in key order. */
char         *pct_store_content_hash      (PctStore           *self,
                                           GError            **error);
gboolean      pct_store_check_integrity   (PctStore           *self,
                                           GError            **error);

G_END_DECLS
