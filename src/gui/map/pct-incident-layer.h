/* pct-incident-layer.h — every live incident on the map, drawn in one
 * snapshot
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <shumate/shumate.h>

#include "pct-incidents.h"
#include "pct-map-view.h"

G_BEGIN_DECLS

#define PCT_TYPE_INCIDENT_LAYER (pct_incident_layer_get_type ())
G_DECLARE_FINAL_TYPE (PctIncidentLayer, pct_incident_layer, PCT, INCIDENT_LAYER, ShumateLayer)

/* A layer on view's viewport that follows view's store. Add it to the
 * view with pct_map_view_add_layer_overlay (…, PCT_LAYER_INCIDENTS). */
PctIncidentLayer *pct_incident_layer_new             (PctMapView       *view);
/* How many live incidents the layer holds (in view or not). */
guint             pct_incident_layer_get_n_incidents (PctIncidentLayer *self);
/* Whether a read of the store is under way. */
gboolean          pct_incident_layer_get_loading     (PctIncidentLayer *self);
/* The incidents, for finding where one is drawn; valid until the layer
 * next reads the store. */
const PctIncident *pct_incident_layer_lookup         (PctIncidentLayer *self,
                                                      gint64            id);
/* Where a normalised Web Mercator position falls on the layer, as
 * shumate_viewport_location_to_widget_coords() would put it. */
void              pct_incident_layer_project         (PctIncidentLayer *self,
                                                      double            x,
                                                      double            y,
                                                      double           *widget_x,
                                                      double           *widget_y);

G_END_DECLS
