/* pct-sign-in-dialog.h — signing in to the district's hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PCT_TYPE_SIGN_IN_DIALOG (pct_sign_in_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PctSignInDialog, pct_sign_in_dialog, PCT, SIGN_IN_DIALOG, AdwWindow)

PctSignInDialog *pct_sign_in_dialog_new          (GtkWindow       *parent,
                                                  const char      *server,
                                                  const char      *ca_file,
                                                  const char      *user);
const char      *pct_sign_in_dialog_get_server   (PctSignInDialog *self);
/* NULL when only the system's certificate authorities are trusted. */
const char      *pct_sign_in_dialog_get_ca_file  (PctSignInDialog *self);
const char      *pct_sign_in_dialog_get_user     (PctSignInDialog *self);
const char      *pct_sign_in_dialog_get_password (PctSignInDialog *self);
gboolean         pct_sign_in_dialog_get_remember (PctSignInDialog *self);
/* While busy, the fields are locked and a spinner replaces the button. */
void             pct_sign_in_dialog_set_busy     (PctSignInDialog *self,
                                                  gboolean         busy);
/* Shows why the last attempt failed; NULL hides it. */
void             pct_sign_in_dialog_set_error    (PctSignInDialog *self,
                                                  const char      *message);

G_END_DECLS
