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

GtkWidget       *pct_map_view_new                (void);
PctStore        *pct_map_view_get_store          (PctMapView       *self);
void             pct_map_view_set_store          (PctMapView       *self,
                                                  PctStore         *store);
ShumateMap      *pct_map_view_get_map            (PctMapView       *self);
ShumateViewport *pct_map_view_get_viewport       (PctMapView       *self);
gboolean         pct_map_view_get_loading        (PctMapView       *self);
void             pct_map_view_set_district       (PctMapView       *self,
                                                  const PctBBox    *extent);
void             pct_map_view_show_district      (PctMapView       *self);

void             pct_map_view_set_basemap        (PctMapView       *self,
                                                  ShumateMapSource *source);
ShumateMapSource *pct_map_view_get_basemap       (PctMapView       *self);
void             pct_map_view_add_overlay        (PctMapView       *self,
                                                  ShumateLayer     *layer);
void             pct_map_view_add_layer_overlay  (PctMapView       *self,
                                                  ShumateLayer     *layer,
                                                  PctLayer          feature_layer);
void             pct_map_view_go_to              (PctMapView       *self,
                                                  double            latitude,
                                                  double            longitude,
                                                  double            zoom_level);
void             pct_map_view_select             (PctMapView       *self,
                                                  PctLayer          layer,
                                                  gint64            id,
                                                  double            latitude,
                                                  double            longitude);
gboolean         pct_map_view_get_selected       (PctMapView       *self,
                                                  PctLayer         *layer,
                                                  gint64           *id);
void             pct_map_view_refresh_layer      (PctMapView       *self,
                                                  PctLayer          layer);

gboolean         pct_map_view_get_layer_visible  (PctMapView       *self,
                                                  PctLayer          layer);
void             pct_map_view_set_layer_visible  (PctMapView       *self,
                                                  PctLayer          layer,
                                                  gboolean          visible);

gboolean         pct_map_view_activate_at        (PctMapView       *self,
                                                  double            x,
                                                  double            y);

G_END_DECLS
