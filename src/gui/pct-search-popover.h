/* pct-search-popover.h — results of the header bar's search, while typing
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "pct-locate.h"

G_BEGIN_DECLS

#define PCT_TYPE_SEARCH_POPOVER (pct_search_popover_get_type ())
G_DECLARE_FINAL_TYPE (PctSearchPopover, pct_search_popover, PCT, SEARCH_POPOVER, GtkPopover)

GtkWidget      *pct_search_popover_new            (void);
/* The entry whose text is searched for; the popover attaches to it. */
GtkSearchEntry *pct_search_popover_get_entry      (PctSearchPopover *self);
void            pct_search_popover_set_entry      (PctSearchPopover *self,
                                                   GtkSearchEntry   *entry);
void            pct_search_popover_set_store_path (PctSearchPopover *self,
                                                   const char       *store_path);
/* The district's extent, to tell latitude from longitude when both
 * readings of pasted coordinates are possible. */
void            pct_search_popover_set_hint       (PctSearchPopover *self,
                                                   const PctBBox    *extent);
/* Whether a query is running; the results shown are for the entry's text
 * once it is not. */
gboolean        pct_search_popover_get_busy       (PctSearchPopover *self);
GtkListBox     *pct_search_popover_get_list       (PctSearchPopover *self);
/* What a result row stands for: its kind (0 for a place named by the text
 * itself: coordinates or an address code) and where it is on the map
 * (NULL for a person registered nowhere on it). FALSE for a row that is
 * not a result. */
gboolean        pct_search_popover_get_row_result (PctSearchPopover   *self,
                                                   GtkListBoxRow      *row,
                                                   guint              *kind,
                                                   const PctLocation **location);
/* Activates the selected result, or the first. FALSE when there is none. */
gboolean        pct_search_popover_activate       (PctSearchPopover *self);

G_END_DECLS
