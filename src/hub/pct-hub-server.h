/* pct-hub-server.h — the sync API of docs/api.md over HTTPS
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "pct-hub-storage.h"

G_BEGIN_DECLS

/* Defaults of docs/api.md. */
#define PCT_HUB_SERVER_TOKEN_TTL          3600
#define PCT_HUB_SERVER_REFRESH_TTL        (7 * 24 * 3600)
/* Request bodies, once uncompressed. */
#define PCT_HUB_SERVER_MAX_BODY           (16 * 1024 * 1024)
#define PCT_HUB_SERVER_MAX_MUTATIONS      500
#define PCT_HUB_SERVER_DEFAULT_LIMIT      2000
#define PCT_HUB_SERVER_MAX_LIMIT          10000
#define PCT_HUB_SERVER_MAX_WAIT           60
/* Failed sign-ins of one user name within a window that lock it out for
 * as long again. */
#define PCT_HUB_SERVER_MAX_FAILURES       5
#define PCT_HUB_SERVER_FAILURE_WINDOW     60
/* Seconds between pings on live connections. */
#define PCT_HUB_SERVER_PING_INTERVAL      30

#define PCT_TYPE_HUB_SERVER (pct_hub_server_get_type ())
G_DECLARE_FINAL_TYPE (PctHubServer, pct_hub_server, PCT, HUB_SERVER, GObject)

PctHubServer  *pct_hub_server_new            (PctHubStorage    *storage);
/* Seconds an access token lives (default PCT_HUB_SERVER_TOKEN_TTL). */
void           pct_hub_server_set_token_ttl  (PctHubServer     *self,
                                              gint64            seconds);
/* gzip level of response bodies, 1–9 (default 1). */
void           pct_hub_server_set_gzip_level (PctHubServer     *self,
                                              int               level);

/* Listens on address with TLS; port 0 picks a free port. Only once. */
gboolean       pct_hub_server_listen         (PctHubServer     *self,
                                              GSocketAddress   *address,
                                              GTlsCertificate  *certificate,
                                              GError          **error);
/* https://HOST:PORT/ of the listening socket, or NULL. */
char          *pct_hub_server_get_url        (PctHubServer     *self);

/* Stops taking requests (503 from then on, new connections included:
 * the socket stays open until the server is disposed), answers the
 * requests waiting for changes and closes live connections. */
void           pct_hub_server_stop           (PctHubServer     *self);
/* Whether no request is being worked on any more. */
gboolean       pct_hub_server_is_idle        (PctHubServer     *self);

G_END_DECLS
