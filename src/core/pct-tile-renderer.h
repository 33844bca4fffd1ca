/* pct-tile-renderer.h — draws map tiles of the local store with Cairo
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <cairo.h>

#include "pct-store.h"

G_BEGIN_DECLS

/* Tiles are 256 logical pixels wide, like every XYZ tile scheme. */
#define PCT_TILE_SIZE 256

/* Colours of the built-in style as 0xRRGGBB, for legends and tests. */
#define PCT_TILE_COLOR_LAND     0xf3f0ea
#define PCT_TILE_COLOR_WATER    0xa9d3e4
#define PCT_TILE_COLOR_GREEN    0xcfe5c0
#define PCT_TILE_COLOR_ADDRESS  0xd9480f
/* Address counts far out are records, not events: a quiet slate, so that
 * the incidents' warm severity colours stand out above them. */
#define PCT_TILE_COLOR_ADDRESS_COUNT 0x4f5b6b
#define PCT_TILE_COLOR_BUILDING 0xdbd2c8
#define PCT_TILE_COLOR_UNIT     0x1c71d8
#define PCT_TILE_COLOR_FACILITY 0x26a269
#define PCT_TILE_COLOR_GRID     0x813d9c

/* What a tile shows. The basemap is opaque; feature layers are transparent
 * and drawn over it. */
typedef enum
{
  PCT_TILE_LAYER_BASEMAP,
  PCT_TILE_LAYER_ADDRESSES,
  PCT_TILE_LAYER_BUILDINGS,
  PCT_TILE_LAYER_UNITS,
  PCT_TILE_LAYER_FACILITIES,
  PCT_TILE_LAYER_GRIDS,
  PCT_N_TILE_LAYERS
} PctTileLayer;

/* The feature layer's tiles, or FALSE for layers not drawn as tiles
 * (roads are part of the basemap, incidents a live layer of their own). */
gboolean pct_tile_layer_from_layer (PctLayer      layer,
                                    PctTileLayer *tile_layer);

/* Building fills by use, and the occupancy colours of rooms. */
#define PCT_TILE_COLOR_RESIDENTIAL 0xf0c987
#define PCT_TILE_COLOR_COMMERCIAL  0xee9a8c
#define PCT_TILE_COLOR_MIXED       0xd9a6d0
#define PCT_TILE_COLOR_OFFICE      0x99bfe8
#define PCT_TILE_COLOR_INDUSTRIAL  0xb9aa94
#define PCT_TILE_COLOR_PUBLIC      0x9fd4b0

/* Zoom levels at which the layers change how they draw. Point layers show
 * a density below PCT_TILE_ZOOM_AGGREGATE; from there to
 * PCT_TILE_ZOOM_POINTS addresses show count bubbles and units and
 * facilities plain dots; then one symbol per feature. Buildings show a
 * density below PCT_TILE_ZOOM_FOOTPRINTS, footprints by use from there and
 * the occupancy of their rooms from PCT_TILE_ZOOM_OCCUPANCY. Door numbers
 * from PCT_TILE_ZOOM_ADDRESS_LABELS, road names from PCT_TILE_ZOOM_ROAD_NAMES,
 * grid codes from PCT_TILE_ZOOM_GRID_LABELS where the cell is wide
 * enough. */
#define PCT_TILE_ZOOM_AGGREGATE       14
#define PCT_TILE_ZOOM_POINTS          16
#define PCT_TILE_ZOOM_FOOTPRINTS      14
#define PCT_TILE_ZOOM_OCCUPANCY       17
#define PCT_TILE_ZOOM_ADDRESS_LABELS  18
#define PCT_TILE_ZOOM_ROAD_NAMES      16
#define PCT_TILE_ZOOM_GRID_LABELS     15

/* Every point of the aggregated layers held in memory, so that a tile
 * covering the whole district counts 250k addresses without reading them
 * from SQLite. Shared by the renderers of one tile source (they fill it
 * once, lazily, whichever asks first) and thrown away with it when the
 * data changes. */
#define PCT_TYPE_TILE_INDEX (pct_tile_index_get_type ())
G_DECLARE_FINAL_TYPE (PctTileIndex, pct_tile_index, PCT, TILE_INDEX, GObject)

PctTileIndex    *pct_tile_index_new          (void);
/* Loads a layer's points now, on store's connection; they are otherwise
 * loaded by the first tile that needs them. */
gboolean         pct_tile_index_prepare      (PctTileIndex     *self,
                                              PctStore         *store,
                                              PctTileLayer      layer,
                                              GError          **error);

#define PCT_TYPE_TILE_RENDERER (pct_tile_renderer_get_type ())
G_DECLARE_FINAL_TYPE (PctTileRenderer, pct_tile_renderer, PCT, TILE_RENDERER, GObject)

/* A renderer uses its store's connection, so like the store it serves one
 * thread at a time; rendering threads each keep their own. */
PctTileRenderer *pct_tile_renderer_new       (PctStore         *store);
PctTileRenderer *pct_tile_renderer_new_with_index (PctStore    *store,
                                              PctTileIndex     *index);
PctStore        *pct_tile_renderer_get_store (PctTileRenderer  *self);

/* Draws tile (zoom, x, y) into cr, whose user space is the tile in logical
 * pixels: (0, 0) to (PCT_TILE_SIZE, PCT_TILE_SIZE). */
gboolean         pct_tile_renderer_draw      (PctTileRenderer  *self,
                                              cairo_t          *cr,
                                              PctTileLayer      layer,
                                              guint             zoom,
                                              guint             x,
                                              guint             y,
                                              GError          **error);

/* Renders a tile into a new ARGB32 image of PCT_TILE_SIZE × scale pixels
 * a side (scale 2 gives 512 pixels for a high-density screen). */
cairo_surface_t *pct_tile_renderer_render    (PctTileRenderer  *self,
                                              PctTileLayer      layer,
                                              guint             zoom,
                                              guint             x,
                                              guint             y,
                                              int               scale,
                                              GError          **error);

G_END_DECLS
