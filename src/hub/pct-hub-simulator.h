/* pct-hub-simulator.h — a district's day of incidents, made up
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-hub-storage.h"

G_BEGIN_DECLS

#define PCT_TYPE_HUB_SIMULATOR (pct_hub_simulator_get_type ())
G_DECLARE_FINAL_TYPE (PctHubSimulator, pct_hub_simulator, PCT, HUB_SIMULATOR, GObject)

/* Reports incidents to storage at about per_minute a minute, at random
 * (a Poisson process), through the same intake as outside channels, as
 * the channel "simulator": manhole-cover sensors tilted past 20°, 12345
 * hotline complaints at addresses, grid workers' reports. */
PctHubSimulator *pct_hub_simulator_new        (PctHubStorage    *storage,
                                               double            per_minute,
                                               GError          **error);
void             pct_hub_simulator_start      (PctHubSimulator  *self);
void             pct_hub_simulator_stop       (PctHubSimulator  *self);
/* Makes and files one report now; FALSE when the intake refused it. */
gboolean         pct_hub_simulator_report     (PctHubSimulator  *self,
                                               GError          **error);
/* Incidents filed so far. */
guint64          pct_hub_simulator_get_count  (PctHubSimulator  *self);

G_END_DECLS
