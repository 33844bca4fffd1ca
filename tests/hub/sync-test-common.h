/* sync-test-common.h — what the sync client's tests share
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The servers are on this machine: no proxy between, and the desktop's
 * proxy settings are not looked up. */
void      sync_test_avoid_proxies (void);
/* Runs build-aux/make-certs.sh DIR --faults into a new temporary
 * directory and returns it. */
char     *sync_test_make_certs    (void);
void      sync_test_remove_tree   (const char  *path);
/* The file name of one of the certificates. */
char     *sync_test_cert          (const char  *dir,
                                   const char  *name);

/* One integer answer of sql on the store at path (opened read-only), or
 * -1 when it has no row. */
gint64    sync_test_query_int     (const char  *db_path,
                                   const char  *sql);
/* One text answer, or NULL. */
char     *sync_test_query_text    (const char  *db_path,
                                   const char  *sql);
/* Integrity check and the SHA-256 of each content table, as
 * "table hash" lines. */
char     *sync_test_table_hashes  (const char  *db_path);

/* Iterates the thread's default main context until condition(data) holds
 * or timeout_s passes; TRUE when it holds. */
gboolean  sync_test_wait_for      (gboolean   (*condition) (gpointer data),
                                   gpointer     data,
                                   guint        timeout_s);

G_END_DECLS
