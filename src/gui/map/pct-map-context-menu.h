/* pct-map-context-menu.h — the map's right-click menu: report an incident
 * here, copy the coordinates
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-map-view.h"

G_BEGIN_DECLS

#define PCT_TYPE_MAP_CONTEXT_MENU (pct_map_context_menu_get_type ())
G_DECLARE_FINAL_TYPE (PctMapContextMenu, pct_map_context_menu, PCT, MAP_CONTEXT_MENU, GObject)

/* Shows the menu on view's context-requested signal, for as long as view
 * lives. Attaching twice does nothing more. */
void pct_map_context_menu_attach (PctMapView *view);

/* Formats a position as the menu copies it: "29.290000, 106.250000",
 * latitude first, six decimals, whatever the locale. */
char *pct_map_context_menu_format_coordinates (double latitude,
                                               double longitude);

G_END_DECLS
