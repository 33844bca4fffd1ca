/* pct-pick.h — which map feature lies under a point
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

/* The order in which layers win when several have a feature under the
 * point: small things drawn on top before the large ones beneath them. */
extern const PctLayer pct_pick_priority[6];

gboolean pct_pick_at (PctStore        *store,
                      const PctLayer  *layers,
                      guint            n_layers,
                      double           lon,
                      double           lat,
                      double           radius_m,
                      PctLayer        *layer,
                      gint64          *id,
                      double          *feature_lon,
                      double          *feature_lat,
                      GError         **error);

G_END_DECLS
