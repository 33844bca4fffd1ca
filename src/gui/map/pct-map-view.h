/* pct-map-view.h — the district map: basemap, feature layers and controls
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>
#include <shumate/shumate.h>

#include "pct-store.h"

G_BEGIN_DECLS

#define PCT_TYPE_MAP_VIEW (pct_map_view_get_type ())
G_DECLARE_FINAL_TYPE (PctMapView, pct_map_view, PCT, MAP_VIEW, GtkWidget)

GtkWidget       *pct_map_view_new           (void);
PctStore        *pct_map_view_get_store     (PctMapView    *self);
void             pct_map_view_set_store     (PctMapView    *self,
                                             PctStore      *store);
ShumateMap      *pct_map_view_get_map       (PctMapView    *self);
ShumateViewport *pct_map_view_get_viewport  (PctMapView    *self);
gboolean         pct_map_view_get_loading   (PctMapView    *self);
void             pct_map_view_set_district  (PctMapView    *self,
                                             const PctBBox *extent);
void             pct_map_view_show_district (PctMapView    *self);
void             pct_map_view_go_to         (PctMapView    *self,
                                             double         latitude,
                                             double         longitude,
                                             double         zoom_level);

G_END_DECLS
