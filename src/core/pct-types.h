/* pct-types.h — forward declarations and small shared types of the core
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PctStore PctStore;

/* The entity kinds that sit on the map, each with an R*Tree index. */
typedef enum
{
  PCT_LAYER_ADDRESSES,
  PCT_LAYER_BUILDINGS,
  PCT_LAYER_UNITS,
  PCT_LAYER_FACILITIES,
  PCT_LAYER_GRIDS,
  PCT_LAYER_ROADS,
  PCT_LAYER_INCIDENTS,
  PCT_N_LAYERS
} PctLayer;

/* A geographic box in WGS-84 degrees. */
typedef struct
{
  double min_lon;
  double min_lat;
  double max_lon;
  double max_lat;
} PctBBox;

/* Reports progress of long operations: done out of total (total 0 = unknown). */
typedef void (*PctProgressFunc) (const char *what,
                                 guint64     done,
                                 guint64     total,
                                 gpointer    user_data);

const char *pct_layer_to_string   (PctLayer    layer);
gboolean    pct_layer_from_string (const char *name,
                                   PctLayer   *layer);

G_END_DECLS
