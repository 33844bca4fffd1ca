/* pct-reader.c — a read-only store connection for worker threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A PctStore is one SQLite connection, for one thread at a time. Queries
 * the UI starts (search while typing, the details of a clicked feature)
 * run in GTask's worker threads, several of which may be queued at once;
 * opening a connection per query would cost more than most queries. So a
 * widget keeps one reader: its connection is opened by the first worker
 * that needs it and handed from worker to worker under a lock.
 */

#define G_LOG_DOMAIN "pct-reader"

#include "config.h"

#include "pct-reader.h"

struct _PctReader
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  char            *store_path;
  PctStore        *store;
};

PctReader *
pct_reader_new (const char *store_path)
{
  PctReader *self;

  g_return_val_if_fail (store_path != NULL, NULL);

  self = g_new0 (PctReader, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  self->store_path = g_strdup (store_path);
  return self;
}

PctReader *
pct_reader_ref (PctReader *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
pct_reader_unref (PctReader *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_clear_object (&self->store);
  g_mutex_clear (&self->lock);
  g_free (self->store_path);
  g_free (self);
}

PctStore *
pct_reader_lock (PctReader  *self,
                 GError    **error)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  if (self->store == NULL)
    self->store = pct_store_open (self->store_path, PCT_STORE_OPEN_READ_ONLY, error);
  if (self->store == NULL)
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  return self->store;
}

void
pct_reader_unlock (PctReader *self)
{
  g_return_if_fail (self != NULL);

  g_mutex_unlock (&self->lock);
}
