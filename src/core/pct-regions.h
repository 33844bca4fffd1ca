/* pct-regions.h — the GB/T 2260 administrative division table
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One administrative division. The strings belong to the table and live as
 * long as the process; parent_code is NULL for province-level divisions. */
typedef struct
{
  const char *code;
  const char *name;
  const char *parent_code;
} PctRegion;

const PctRegion *pct_regions_lookup           (const char *code);
gboolean         pct_regions_province_known   (const char *two_digits);
guint            pct_regions_count            (void);
const PctRegion *pct_regions_get_nth          (guint       index);
char            *pct_regions_dup_display_name (const char *code);

G_END_DECLS
