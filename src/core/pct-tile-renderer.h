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

/* What a tile shows. The basemap is opaque; feature layers are transparent
 * and drawn over it. */
typedef enum
{
  PCT_TILE_LAYER_BASEMAP,
  PCT_TILE_LAYER_ADDRESSES,
} PctTileLayer;

/* Zoom levels at which the addresses layer changes how it draws: density
 * dots below the first, count bubbles up to the second, then one point
 * per address, and door numbers from the third. */
#define PCT_TILE_ZOOM_ADDRESS_BUBBLES 14
#define PCT_TILE_ZOOM_ADDRESS_POINTS  16
#define PCT_TILE_ZOOM_ADDRESS_LABELS  18

#define PCT_TYPE_TILE_RENDERER (pct_tile_renderer_get_type ())
G_DECLARE_FINAL_TYPE (PctTileRenderer, pct_tile_renderer, PCT, TILE_RENDERER, GObject)

/* A renderer uses its store's connection, so like the store it serves one
 * thread at a time; rendering threads each keep their own. */
PctTileRenderer *pct_tile_renderer_new       (PctStore         *store);
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
