/* pct-reader.h — a read-only store connection for worker threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

typedef struct _PctReader PctReader;

PctReader *pct_reader_new    (const char  *store_path);
PctReader *pct_reader_ref    (PctReader   *self);
void       pct_reader_unref  (PctReader   *self);
/* Takes the connection, opening it on first use; NULL with error when the
 * store cannot be opened (and then the reader is not held). */
PctStore  *pct_reader_lock   (PctReader   *self,
                              GError     **error);
void       pct_reader_unlock (PctReader   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctReader, pct_reader_unref)

G_END_DECLS
