/* pct-import.h — loading JSON-lines records and GeoJSON into the store
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pct-store.h"

G_BEGIN_DECLS

#define PCT_IMPORT_ERROR (pct_import_error_quark ())

typedef enum
{
  PCT_IMPORT_ERROR_EMPTY,         /* no records, not even bad ones */
  PCT_IMPORT_ERROR_NOT_RECORDS,   /* neither JSON lines nor GeoJSON */
} PctImportError;

/* Rejections kept in a report; the count goes on past it. */
#define PCT_IMPORT_MAX_REJECTIONS 10000

/* Records written per transaction. */
#define PCT_IMPORT_BATCH_SIZE 5000

typedef struct
{
  guint64  line;      /* 1-based; for GeoJSON, the line the feature starts on */
  char    *entity;    /* nullable: unknown when the line did not parse */
  char    *key;       /* nullable */
  char    *reason;
} PctImportRejection;

typedef struct
{
  guint64    accepted;
  guint64    rejected;
  GPtrArray *rejections;   /* PctImportRejection*, at most PCT_IMPORT_MAX_REJECTIONS */
} PctImportReport;

GQuark           pct_import_error_quark  (void);

PctImportReport *pct_import_report_new   (void);
void             pct_import_report_free  (PctImportReport   *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctImportReport, pct_import_report_free)

/* Imports a file of records, one JSON object per line (docs/records.md), or
 * a GeoJSON FeatureCollection; the kind is recognised from the content.
 * Each record is upserted by key, in the order the file gives, atomically:
 * a rejected record leaves no row behind and goes to the report with its
 * line and reason, and the import carries on. Records are committed in
 * batches of PCT_IMPORT_BATCH_SIZE, unless the store is already inside a
 * transaction, which is then left to the caller.
 *
 * Returns FALSE only when the file as a whole cannot be read: missing,
 * unreadable, empty, neither JSON lines nor GeoJSON — or when the store
 * itself fails (disk full, for one). Batches committed before such a
 * failure stay. */
gboolean         pct_import_file         (PctStore          *store,
                                          const char        *path,
                                          PctImportReport   *report,
                                          PctProgressFunc    progress,
                                          gpointer           progress_data,
                                          GError           **error);
/* The same from a stream, such as standard input. size is the number of
 * bytes expected, for progress, or 0 if unknown; name is used in
 * messages. */
gboolean         pct_import_stream       (PctStore          *store,
                                          GInputStream      *stream,
                                          const char        *name,
                                          guint64            size,
                                          PctImportReport   *report,
                                          PctProgressFunc    progress,
                                          gpointer           progress_data,
                                          GError           **error);

G_END_DECLS
