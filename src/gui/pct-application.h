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
char           *pct_application_dup_server_store   (const char        *server_url);
void            pct_application_open_server        (PctApplication    *self,
                                                    const char        *server_url,
                                                    const char        *ca_file,
                                                    const char        *user);
/* Asks for the hub, user and password, checks them with the hub, and
 * works with it from then on. */
void            pct_application_sign_in            (PctApplication    *self,
                                                    GtkWindow         *parent);

G_END_DECLS
