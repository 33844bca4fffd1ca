/* pct-tile-source.h — map tiles drawn from the local store in worker threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <shumate/shumate.h>

#include "pct-tile-renderer.h"

G_BEGIN_DECLS

#define PCT_TYPE_TILE_SOURCE (pct_tile_source_get_type ())
G_DECLARE_FINAL_TYPE (PctTileSource, pct_tile_source, PCT, TILE_SOURCE, ShumateMapSource)

PctTileSource *pct_tile_source_new              (const char    *store_path,
                                                 PctTileLayer   layer);
const char    *pct_tile_source_get_store_path   (PctTileSource *self);
PctTileLayer   pct_tile_source_get_layer        (PctTileSource *self);
int            pct_tile_source_get_scale_factor (PctTileSource *self);
void           pct_tile_source_set_scale_factor (PctTileSource *self,
                                                 int            scale_factor);
guint          pct_tile_source_get_n_pending    (PctTileSource *self);

void           pct_tile_source_release_undrawn  (void);

G_END_DECLS
