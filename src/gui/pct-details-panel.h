/* pct-details-panel.h — the sidebar's account of the selected map feature
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pct-details.h"

G_BEGIN_DECLS

#define PCT_TYPE_DETAILS_PANEL (pct_details_panel_get_type ())
G_DECLARE_FINAL_TYPE (PctDetailsPanel, pct_details_panel, PCT, DETAILS_PANEL, GtkWidget)

GtkWidget        *pct_details_panel_new            (void);
const char       *pct_details_panel_get_store_path (PctDetailsPanel *self);
void              pct_details_panel_set_store_path (PctDetailsPanel *self,
                                                    const char      *store_path);
/* Reads the feature's details in a worker thread and shows them. */
void              pct_details_panel_show_feature   (PctDetailsPanel *self,
                                                    PctLayer         layer,
                                                    gint64           id);
void              pct_details_panel_clear          (PctDetailsPanel *self);
/* What is shown; NULL while nothing is, or while it is being read. */
const PctDetails *pct_details_panel_get_details    (PctDetailsPanel *self);
gboolean          pct_details_panel_get_loading    (PctDetailsPanel *self);

G_END_DECLS
