/* pct-progress-bar.h — a progress bar on a terminal's stderr
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PctProgressBar PctProgressBar;

/* Draws only when stderr is a terminal, and only once the operation has
 * lasted a second: short commands print nothing extra. */
PctProgressBar *pct_progress_bar_new    (void);
void            pct_progress_bar_free   (PctProgressBar *bar);
/* A PctProgressFunc: pass the bar as user data. */
void            pct_progress_bar_update (const char     *what,
                                         guint64         done,
                                         guint64         total,
                                         gpointer        bar);
void            pct_progress_bar_finish (PctProgressBar *bar);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctProgressBar, pct_progress_bar_free)

G_END_DECLS
