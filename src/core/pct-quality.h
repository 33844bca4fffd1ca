/* pct-quality.h — data-quality checks: duplicates, orphans, bad identifiers
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

/* The problems district data is known to have (DOMAIN.md): one door with
 * two addresses, housing on paper that nobody lives in, registrations that
 * point nowhere, identifiers that fail their check. */
typedef enum
{
  PCT_QUALITY_DUPLICATE_ADDRESS,
  PCT_QUALITY_OCCUPIED_WITHOUT_RESIDENTS,
  PCT_QUALITY_MISSING_ROOM,
  PCT_QUALITY_RESIDENT_COUNT,
  PCT_QUALITY_INVALID_ID_NUMBER,
  PCT_QUALITY_INVALID_CREDIT_CODE,
  PCT_N_QUALITY_KINDS
} PctQualityKind;

typedef struct
{
  PctQualityKind kind;
  gint64         id;       /* the row at fault, in the kind's table */
  char          *detail;
} PctQualityIssue;

typedef struct
{
  guint64    counts[PCT_N_QUALITY_KINDS];
  GPtrArray *examples;     /* PctQualityIssue*, at most max_examples per kind */
} PctQualityReport;

const char       *pct_quality_kind_to_string (PctQualityKind     kind);
const char       *pct_quality_kind_describe  (PctQualityKind     kind);

void              pct_quality_report_free    (PctQualityReport  *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctQualityReport, pct_quality_report_free)

PctQualityReport *pct_quality_check          (PctStore          *store,
                                              guint              max_examples,
                                              PctProgressFunc    progress,
                                              gpointer           progress_data,
                                              GError           **error);

G_END_DECLS
