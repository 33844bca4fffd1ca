/* bench-common.h — shared pieces of the benchmarks: the district under test,
 * timing and the figures' output format
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-generator.h"
#include "pct-store.h"

G_BEGIN_DECLS

/* PRECINCT_BENCH_SIZE: small, medium or large (the default). */
PctDistrictSize bench_size         (const char **name);
/* The district's store file in the build directory. Generated when missing
 * or when regenerate is set, and then *gen_seconds says how long that took;
 * otherwise it is < 0. */
char           *bench_district     (gboolean     regenerate,
                                    double      *gen_seconds);
/* Prints one figure: "bench: NAME VALUE UNIT". */
void            bench_report       (const char  *name,
                                    double       value,
                                    const char  *unit);
/* Milliseconds since `start` (a g_get_monotonic_time() value). */
double          bench_ms_since     (gint64       start);
/* p-th percentile (0–100) of the values; sorts them. */
double          bench_percentile   (GArray      *values_ms,
                                    double       p);

G_END_DECLS
