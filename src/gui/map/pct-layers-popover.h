/* pct-layers-popover.h — the map's layer switches
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pct-types.h"

G_BEGIN_DECLS

#define PCT_TYPE_LAYERS_POPOVER (pct_layers_popover_get_type ())
G_DECLARE_FINAL_TYPE (PctLayersPopover, pct_layers_popover, PCT, LAYERS_POPOVER, GtkPopover)

GtkWidget      *pct_layers_popover_new        (GSettings        *settings);
GtkCheckButton *pct_layers_popover_get_switch (PctLayersPopover *self,
                                               PctLayer          layer);

G_END_DECLS
