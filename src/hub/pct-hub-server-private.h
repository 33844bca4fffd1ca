/* pct-hub-server-private.h — internals shared by the files of PctHubServer
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "pct-hub-server.h"

G_BEGIN_DECLS

struct _PctHubServer
{
  GObject         parent_instance;

  PctHubStorage  *storage;
  SoupServer     *soup;
  GSocketService *service;   /* accepts the connections, over TLS */
  GSocketAddress *address;   /* where service listens */
  gint64          token_ttl;
  int             gzip_level;
  gboolean        stopping;

  /* Requests paused while a task works for them; of them, sign-ins whose
   * password is being checked (64 MiB each). */
  guint           n_pending;
  guint           n_verifying;
  /* Failed sign-ins by user name: Failures. */
  GHashTable     *failures;

  /* The changes feed: long-polling requests, live connections. */
  GList          *waiters;
  GPtrArray      *live;
  gint64          live_seq;
  gulong          changed_id;
  guint           live_check_id;
};

/* A request answered later, from a task or a wake-up: keeps the message
 * paused and counts it as pending until finished. */
typedef struct
{
  PctHubServer       *server;
  SoupServerMessage  *msg;
  gboolean            gzip;
  gboolean            gone;    /* the connection ended meanwhile */
  gulong              finished_id;
  gulong              disconnected_id;
} PctHubRequest;

PctHubRequest *_pct_hub_request_new            (PctHubServer       *self,
                                                SoupServerMessage  *msg);
/* Unpauses the message (its answer set by then) and frees the request. */
void           _pct_hub_request_finish         (PctHubRequest      *request);

gint64         _pct_hub_server_now             (void);
gboolean       _pct_hub_server_accepts_gzip    (SoupServerMessage  *msg);
/* Body at least 1 KiB and the client accepting gzip: compressed. */
void           _pct_hub_server_respond_bytes   (PctHubServer       *self,
                                                SoupServerMessage  *msg,
                                                guint               status,
                                                GBytes             *body,
                                                gboolean            gzip);
void           _pct_hub_server_respond_json    (PctHubServer       *self,
                                                SoupServerMessage  *msg,
                                                guint               status,
                                                GString            *json);
/* The error body of docs/api.md; field and retry_after (seconds, 0 for
 * none) are added when given. */
void           _pct_hub_server_respond_error   (SoupServerMessage  *msg,
                                                guint               status,
                                                const char         *code,
                                                const char         *message,
                                                const char         *field,
                                                guint               retry_after);
/* gzip at level; GBytes of the compressed data. */
GBytes        *_pct_hub_server_gzip            (const void         *data,
                                                gsize               length,
                                                int                 level);
/* The signed-in user of a request, or NULL after answering 401. */
PctHubToken   *_pct_hub_server_authenticate    (PctHubServer       *self,
                                                SoupServerMessage  *msg);

/* The feed (pct-hub-server-feed.c). */
void           _pct_hub_server_handle_changes  (PctHubServer       *self,
                                                SoupServerMessage  *msg,
                                                GHashTable         *query);
/* Checks a WebSocket request before it is upgraded; answers it when it
 * may not be. */
void           _pct_hub_server_check_live      (PctHubServer       *self,
                                                SoupServerMessage  *msg);
void           _pct_hub_server_live_opened     (PctHubServer       *self,
                                                SoupServerMessage  *msg,
                                                SoupWebsocketConnection *connection);
void           _pct_hub_server_feed_start      (PctHubServer       *self);
void           _pct_hub_server_feed_stop       (PctHubServer       *self);

G_END_DECLS
