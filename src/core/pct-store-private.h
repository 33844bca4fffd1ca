/* pct-store-private.h — internals shared by the store's source files
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

/* Each migration takes the schema from version (index) to (index + 1). */
extern const char * const _pct_store_migrations[];
extern const guint _pct_store_n_migrations;

/* Runs migrations up to target_version inside one transaction. */
gboolean _pct_store_migrate (sqlite3     *db,
                             int          target_version,
                             GError     **error);

/* One key for a search hit of any kind: id * 4 + kind. */
#define PCT_SEARCH_ROWID(kind, id) (((gint64) (id)) * 4 + (kind))

G_END_DECLS
