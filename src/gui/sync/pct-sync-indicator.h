/* pct-sync-indicator.h — the header bar's word on the link to the hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pct-sync.h"

G_BEGIN_DECLS

#define PCT_TYPE_SYNC_INDICATOR (pct_sync_indicator_get_type ())
G_DECLARE_FINAL_TYPE (PctSyncIndicator, pct_sync_indicator, PCT, SYNC_INDICATOR, GtkWidget)

GtkWidget *pct_sync_indicator_new         (void);
/* The client whose state is shown; NULL shows nothing. */
void       pct_sync_indicator_set_sync    (PctSyncIndicator *self,
                                           PctSync          *sync);
PctSync   *pct_sync_indicator_get_sync    (PctSyncIndicator *self);
/* Reads the outbox again: changes waiting, and those the hub did not take. */
void       pct_sync_indicator_refresh     (PctSyncIndicator *self);
/* The short text the button shows, for tests. */
const char *pct_sync_indicator_get_label  (PctSyncIndicator *self);

/* "about 3 minutes left" and the like; NULL when eta_seconds < 0. */
char      *pct_sync_format_eta            (int               eta_seconds);

G_END_DECLS
