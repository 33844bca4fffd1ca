/* pct-credentials.h — sign-in passwords kept in the Secret Service
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The password stored for user on server, or NULL (not an error) when
 * there is none. Fails when no Secret Service answers. */
void     pct_credentials_lookup        (const char           *server,
                                        const char           *user,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
char    *pct_credentials_lookup_finish (GAsyncResult         *result,
                                        GError              **error);

/* The same, blocking: for worker threads only. */
char    *pct_credentials_lookup_sync   (const char           *server,
                                        const char           *user,
                                        GError              **error);

void     pct_credentials_store         (const char           *server,
                                        const char           *user,
                                        const char           *password,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean pct_credentials_store_finish  (GAsyncResult         *result,
                                        GError              **error);

void     pct_credentials_forget        (const char           *server,
                                        const char           *user,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean pct_credentials_forget_finish (GAsyncResult         *result,
                                        GError              **error);

G_END_DECLS
