/* pct-window.h — the main window: a district's map and its figures
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "pct-application.h"
#include "pct-details-panel.h"
#include "pct-map-view.h"
#include "pct-search-popover.h"
#include "pct-store.h"
#include "pct-sync.h"

G_BEGIN_DECLS

#define PCT_TYPE_WINDOW (pct_window_get_type ())
G_DECLARE_FINAL_TYPE (PctWindow, pct_window, PCT, WINDOW, AdwApplicationWindow)

PctWindow        *pct_window_new                (PctApplication *application,
                                                 const char     *store_path);
const char       *pct_window_get_store_path     (PctWindow      *self);
PctStore         *pct_window_get_store          (PctWindow      *self);
PctMapView       *pct_window_get_map_view       (PctWindow      *self);
PctSearchPopover *pct_window_get_search_popover (PctWindow      *self);
PctDetailsPanel  *pct_window_get_details_panel  (PctWindow      *self);
void              pct_window_set_sync           (PctWindow      *self,
                                                 PctSync        *sync);
PctSync          *pct_window_get_sync           (PctWindow      *self);

G_END_DECLS
