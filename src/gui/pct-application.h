/* pct-application.h — the desktop application: options, actions, windows
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PCT_TYPE_APPLICATION (pct_application_get_type ())
G_DECLARE_FINAL_TYPE (PctApplication, pct_application, PCT, APPLICATION, AdwApplication)

PctApplication *pct_application_new                (const char        *application_id,
                                                    GApplicationFlags  flags);
char           *pct_application_dup_default_store  (void);
void            pct_application_open_store         (PctApplication    *self,
                                                    const char        *path);

G_END_DECLS
