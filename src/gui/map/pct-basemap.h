/* pct-basemap.h — basemaps from an MBTiles file or a tile server
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <shumate/shumate.h>

#include "pct-map-view.h"
#include "pct-mbtiles.h"
#include "pct-tile-fetcher.h"

G_BEGIN_DECLS

/* A tile that should be there and is not: light grey, hatched. */
#define PCT_BASEMAP_MISSING_BACKGROUND 0xe4e4e4
#define PCT_BASEMAP_MISSING_HATCH      0xc8c8c8

#define PCT_TYPE_BASEMAP (pct_basemap_get_type ())
G_DECLARE_FINAL_TYPE (PctBasemap, pct_basemap, PCT, BASEMAP, ShumateMapSource)

PctBasemap       *pct_basemap_new_for_mbtiles   (PctMbtiles     *mbtiles);
PctBasemap       *pct_basemap_new_for_fetcher   (PctTileFetcher *fetcher);
ShumateMapSource *pct_basemap_new_from_settings (GSettings      *settings,
                                                 GError        **error);
void              pct_basemap_bind              (PctMapView     *view,
                                                 GSettings      *settings);

PctMbtiles       *pct_basemap_get_mbtiles       (PctBasemap     *self);
PctTileFetcher   *pct_basemap_get_fetcher       (PctBasemap     *self);
guint             pct_basemap_get_n_pending     (PctBasemap     *self);

G_END_DECLS
