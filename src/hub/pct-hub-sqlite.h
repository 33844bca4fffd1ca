/* pct-hub-sqlite.h — the hub's storage in one SQLite file
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-hub-storage.h"

G_BEGIN_DECLS

typedef enum
{
  PCT_HUB_SQLITE_OPEN_DEFAULT = 0,
  /* Creates the file, or the hub's tables in an empty store. */
  PCT_HUB_SQLITE_OPEN_CREATE  = 1 << 0,
  /* Bulk loading (seeding): see PCT_STORE_OPEN_BULK. */
  PCT_HUB_SQLITE_OPEN_BULK    = 1 << 1,
} PctHubSqliteOpenFlags;

#define PCT_TYPE_HUB_SQLITE (pct_hub_sqlite_get_type ())
G_DECLARE_FINAL_TYPE (PctHubSqlite, pct_hub_sqlite, PCT, HUB_SQLITE, GObject)

/* Opens a hub store: the core store's schema (as the clients have it)
 * plus the hub's own tables. A file that is not a hub store is refused. */
PctHubSqlite *pct_hub_sqlite_open (const char             *path,
                                   PctHubSqliteOpenFlags   flags,
                                   GError                **error);

G_END_DECLS
