/* pct-generator.h — a synthetic district for demos, tests and benchmarks
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

typedef enum
{
  PCT_DISTRICT_SMALL,    /* ~2k addresses */
  PCT_DISTRICT_MEDIUM,   /* ~25k addresses */
  PCT_DISTRICT_LARGE,    /* 250k addresses, 600k people */
} PctDistrictSize;

gboolean pct_district_size_from_string (const char      *name,
                                        PctDistrictSize *size);

/* Fills an empty store with a district. The same size, seed and reference
 * time give the same content, byte for byte (pct_store_content_hash()).
 * reference_time (Unix seconds) is "now" for the case history: orders are
 * filed in the year before it, and those still open are judged against it. */
gboolean pct_generate_district (PctStore         *store,
                                PctDistrictSize   size,
                                guint64           seed,
                                gint64            reference_time,
                                PctProgressFunc   progress,
                                gpointer          progress_data,
                                GError          **error);

G_END_DECLS
