/* pct-mbtiles.h — raster tiles read from an MBTiles file
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pct-types.h"

G_BEGIN_DECLS

#define PCT_MBTILES_ERROR (pct_mbtiles_error_quark ())

typedef enum
{
  PCT_MBTILES_ERROR_NOT_FOUND,      /* no such file */
  PCT_MBTILES_ERROR_NOT_MBTILES,    /* not SQLite, or no tiles/metadata */
  PCT_MBTILES_ERROR_CORRUPT,        /* SQLite reports damage */
  PCT_MBTILES_ERROR_UNSUPPORTED,    /* vector tiles, or another format */
  PCT_MBTILES_ERROR_NO_TILE,        /* the file has no such tile */
  PCT_MBTILES_ERROR_FAILED,
} PctMbtilesError;

#define PCT_TYPE_MBTILES (pct_mbtiles_get_type ())
G_DECLARE_FINAL_TYPE (PctMbtiles, pct_mbtiles, PCT, MBTILES, GObject)

GQuark      pct_mbtiles_error_quark         (void);

PctMbtiles *pct_mbtiles_open                (const char  *path,
                                             GError     **error);
const char *pct_mbtiles_get_path            (PctMbtiles  *self);
const char *pct_mbtiles_get_name            (PctMbtiles  *self);
const char *pct_mbtiles_get_format          (PctMbtiles  *self);
const char *pct_mbtiles_get_attribution     (PctMbtiles  *self);
const char *pct_mbtiles_get_attribution_uri (PctMbtiles  *self);
gboolean    pct_mbtiles_get_bounds          (PctMbtiles  *self,
                                             PctBBox     *bounds);
guint       pct_mbtiles_get_min_zoom        (PctMbtiles  *self);
guint       pct_mbtiles_get_max_zoom        (PctMbtiles  *self);
gboolean    pct_mbtiles_tile_in_bounds      (PctMbtiles  *self,
                                             guint        zoom,
                                             guint        x,
                                             guint        y);
GBytes     *pct_mbtiles_read_tile           (PctMbtiles  *self,
                                             guint        zoom,
                                             guint        x,
                                             guint        y,
                                             GError     **error);

G_END_DECLS
