/* pct-export.h — writing layers and records as GeoJSON, CSV or JSON lines
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pct-store.h"

G_BEGIN_DECLS

typedef enum
{
  PCT_EXPORT_GEOJSON,   /* an RFC 7946 FeatureCollection, one feature a line */
  PCT_EXPORT_CSV,       /* RFC 4180 with a UTF-8 BOM and CRLF, for WPS and Excel */
  PCT_EXPORT_RECORDS,   /* JSON lines as pct_import_file() reads them */
} PctExportFormat;

/* "geojson", "csv" or "jsonl". */
gboolean    pct_export_format_from_string (const char       *name,
                                           PctExportFormat  *format);
const char *pct_export_format_to_string   (PctExportFormat   format);

/* Streams one map layer to out, row by row in key order (a row after any
 * row of the same layer it references); the output is never held whole.
 * out is flushed but not closed. */
gboolean    pct_export_layer              (PctStore         *store,
                                           PctLayer          layer,
                                           PctExportFormat   format,
                                           GOutputStream    *out,
                                           PctProgressFunc   progress,
                                           gpointer          progress_data,
                                           GError          **error);
/* The same for any entity of docs/records.md ("person", "work_order", …);
 * in GeoJSON an entity without geometry has null geometries. */
gboolean    pct_export_entity             (PctStore         *store,
                                           const char       *entity,
                                           PctExportFormat   format,
                                           GOutputStream    *out,
                                           PctProgressFunc   progress,
                                           gpointer          progress_data,
                                           GError          **error);
/* Every entity as JSON lines, in dependency order, read in one
 * transaction: importing the result into an empty store reproduces the
 * content. */
gboolean    pct_export_records            (PctStore         *store,
                                           GOutputStream    *out,
                                           PctProgressFunc   progress,
                                           gpointer          progress_data,
                                           GError          **error);

G_END_DECLS
