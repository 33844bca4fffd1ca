/* pct-preferences-dialog.h — the preferences: where the basemap comes from
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PCT_TYPE_PREFERENCES_DIALOG (pct_preferences_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PctPreferencesDialog, pct_preferences_dialog, PCT, PREFERENCES_DIALOG,
                      AdwPreferencesWindow)

PctPreferencesDialog *pct_preferences_dialog_new     (GtkWindow *parent);
void                  pct_preferences_dialog_present (GtkWindow *parent);

G_END_DECLS
