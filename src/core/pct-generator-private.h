/* pct-generator-private.h — what the generator's phases share
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The generator runs in phases, each in its own file, inside one
 * transaction. Phases hand data to later phases through the store itself
 * (SQL on the same connection), not through in-memory structures, so each
 * can be read and tested on its own. Every random choice comes from PctRng
 * seeded from the run's seed and the phase's name, so adding a draw in one
 * phase does not change what another phase produces.
 */

#pragma once

#include "pct-generator.h"

G_BEGIN_DECLS

/* xoshiro256** — small, fast, and the same on every platform. */
typedef struct
{
  guint64 s[4];
} PctRng;

void     pct_rng_init       (PctRng     *rng,
                             guint64     seed,
                             const char *stream);
guint64  pct_rng_next       (PctRng     *rng);
double   pct_rng_double     (PctRng     *rng);            /* [0, 1) */
gint64   pct_rng_range      (PctRng     *rng,
                             gint64      lo,
                             gint64      hi);             /* [lo, hi) */
gboolean pct_rng_chance     (PctRng     *rng,
                             double      p);
double   pct_rng_normal     (PctRng     *rng,
                             double      mean,
                             double      stddev);
/* Picks an index from weights[0..n). */
guint    pct_rng_weighted   (PctRng       *rng,
                             const double *weights,
                             guint         n);

typedef struct
{
  PctDistrictSize  size;
  guint64          seed;
  gint64           reference_time;
  double           scale;          /* 1.0 for large, ~0.1 medium, ~0.008 small */
  const char      *district_code;  /* GB/T 2260, e.g. "500116" */
  double           centre_lon;
  double           centre_lat;
  PctProgressFunc  progress;
  gpointer         progress_data;
} PctGenParams;

/* Category codes: 'C' + GB/T 30428.2 component major/minor (the four digits
 * that also sit inside a 16-digit component code), 'E' + event major/minor. */
#define PCT_GEN_CAT_WATER_COVER  "C0101"   /* 上水井盖 */
#define PCT_GEN_CAT_SEWER_COVER  "C0102"   /* 污水井盖 */
#define PCT_GEN_CAT_RAIN_COVER   "C0103"   /* 雨水井盖 */
#define PCT_GEN_CAT_HYDRANT      "C0110"   /* 消防栓 */
#define PCT_GEN_CAT_CAMERA       "C0117"   /* 监控电子眼 */
#define PCT_GEN_CAT_EXTINGUISHER "C0601"   /* 灭火器 (其他设施) */
#define PCT_GEN_CAT_FIRE_EXIT    "C0602"   /* 安全出口 (其他设施) */

/* The district's rectangle, from its centre and scale; every generated
 * coordinate lies inside it. */
void     _pct_gen_district_extent (const PctGenParams *params,
                                   PctBBox            *extent);

/* Forwards progress to params->progress when the whole percentage changes
 * or the work is done; call it for every item, it is cheap. */
void     _pct_gen_report          (const PctGenParams *params,
                                   const char         *what,
                                   guint64             done,
                                   guint64             total);

/* Records a deliberate data defect in the meta key "defects", a JSON object
 * of name → count shared by all phases. */
gboolean _pct_gen_note_defect     (PctStore           *store,
                                   const char         *name,
                                   gint64              count,
                                   GError            **error);

/* Staging tables live in the connection's temporary database, whose page
 * cache is 2 MB unless told otherwise; spilling hundreds of megabytes
 * through it costs as much as the bulk copy saves. The cache is a cap,
 * taken only as the tables grow; phases restore the previous size after.
 * Sizes are as the pragma takes them: pages, or KiB when negative. */
#define PCT_GEN_STAGING_CACHE_KIB (-256 * 1024)
gboolean _pct_gen_set_temp_cache_size (PctStore *store,
                                       int       size,
                                       int      *previous,
                                       GError  **error);

/* Phases, in the order pct_generate_district() runs them. */
gboolean _pct_gen_reference_data (PctStore *store, const PctGenParams *params, GError **error);
gboolean _pct_gen_geography      (PctStore *store, const PctGenParams *params, GError **error);
gboolean _pct_gen_workers        (PctStore *store, const PctGenParams *params, GError **error);
gboolean _pct_gen_population     (PctStore *store, const PctGenParams *params, GError **error);
gboolean _pct_gen_cases          (PctStore *store, const PctGenParams *params, GError **error);

G_END_DECLS
