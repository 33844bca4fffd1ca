/* pct-locate.h — places typed or pasted into the search: coordinates,
 * address codes, and where a search result lies on the map
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

/* A place to go to: a feature of a layer, or a bare position when layer
 * is PCT_N_LAYERS. */
typedef struct
{
  PctLayer  layer;
  gint64    id;
  double    lat;
  double    lon;
  char     *title;
  char     *subtitle;
} PctLocation;

void         pct_location_free             (PctLocation         *location);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctLocation, pct_location_free)

/* Two numbers separated by a comma (ASCII or full-width) and/or spaces.
 * Which is the latitude follows from their ranges; when both orders are
 * possible, the one inside hint (the district's extent, may be NULL) wins,
 * and failing that latitude first. */
gboolean     pct_locate_parse_coordinates  (const char          *text,
                                            const PctBBox       *hint,
                                            double              *lat,
                                            double              *lon);

/* What text names, if it is coordinates or an address code (all digits,
 * equal to an address's code). NULL without an error when it is neither. */
PctLocation *pct_locate                    (PctStore            *store,
                                            const char          *text,
                                            const PctBBox       *hint,
                                            GError             **error);

/* The map feature a search hit stands for: the address, the unit, or for
 * a person the building of the room they are registered in. NULL without
 * an error for a person registered nowhere on the map. */
PctLocation *pct_locate_search_hit         (PctStore            *store,
                                            const PctSearchHit  *hit,
                                            GError             **error);

G_END_DECLS
