/* pct-hub-sqlite-private.h — internals shared by the files of PctHubSqlite
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-calendar.h"
#include "pct-hub-sqlite.h"
#include "pct-record.h"
#include "pct-store.h"

G_BEGIN_DECLS

struct _PctHubSqlite
{
  GObject      parent_instance;

  /* The writing connection: the thread that opened the storage only. */
  PctStore    *store;
  char        *path;
  char        *database_id;
  /* Working calendar for deadlines, read on first use. */
  PctCalendar *calendar;

  /* Idle read-only connections for pct_hub_storage_read_changes(), which
   * any thread may call; each is used by one thread at a time. */
  GMutex       readers_lock;
  GPtrArray   *readers;
};

/* Whether the entity's rows travel in the changes feed: everything but
 * the audit log, which stays on the server. */
gboolean     _pct_hub_sqlite_entity_in_feed    (const PctRecordEntity  *entity);

/* One row as a record line (masked for role, or whole with role < 0)
 * appended to out; FALSE without an error when there is no such row. */
gboolean     _pct_hub_sqlite_read_record       (PctStore               *store,
                                                const PctRecordEntity  *entity,
                                                const char             *key,
                                                int                     role,
                                                GString                *out,
                                                GError                **error);

/* Moves every row that references (entity, key), directly or through
 * other rows, to the end of the changes feed, after the row itself, so
 * that the feed never gives a row before one it references. */
gboolean     _pct_hub_sqlite_touch_dependents  (PctHubSqlite           *self,
                                                const PctRecordEntity  *entity,
                                                const char             *key,
                                                GError                **error);

gint64       _pct_hub_sqlite_last_seq          (PctHubSqlite           *self);
/* Emits ::changed when the feed moved past before. */
void         _pct_hub_sqlite_notify            (PctHubSqlite           *self,
                                                gint64                  before);

/* The writes of pct-hub-sqlite-writes.c. */
char        *_pct_hub_sqlite_apply_mutations   (PctHubSqlite           *self,
                                                const PctHubActor      *actor,
                                                JsonArray              *mutations,
                                                gint64                  now,
                                                GError                **error);
gboolean     _pct_hub_sqlite_intake_incident   (PctHubSqlite           *self,
                                                const PctHubIntake     *intake,
                                                gint64                  now,
                                                gint64                 *id,
                                                char                  **uuid,
                                                gboolean               *created,
                                                GError                **error);
char        *_pct_hub_sqlite_unmask            (PctHubSqlite           *self,
                                                const PctHubActor      *actor,
                                                const char             *entity,
                                                gint64                  id,
                                                const char             *field,
                                                const char             *reason,
                                                gint64                  now,
                                                GError                **error);

G_END_DECLS
