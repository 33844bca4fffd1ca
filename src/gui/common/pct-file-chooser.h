/* pct-file-chooser.h — choosing one file to open
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A modal native chooser for one file to open, with a filter for
 * patterns (named filter_name) and one for all files, opening in the
 * folder of current_path when one is given. Connect to ::response, then
 * show it; the caller owns the returned reference. */
GtkFileChooserNative *pct_file_chooser_new_open (GtkWindow          *parent,
                                                 const char         *title,
                                                 const char         *filter_name,
                                                 const char * const *patterns,
                                                 const char         *current_path);
/* The chosen path on GTK_RESPONSE_ACCEPT, else NULL. */
char                 *pct_file_chooser_get_path (GtkFileChooserNative *chooser,
                                                 int                   response);

G_END_DECLS
