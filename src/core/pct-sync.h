/* pct-sync.h — the sync client: pushes the outbox, pulls the changes feed
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PCT_SYNC_ERROR (pct_sync_error_quark ())

typedef enum
{
  PCT_SYNC_ERROR_INVALID_SETTINGS,  /* server URL, user, limits */
  PCT_SYNC_ERROR_UNREACHABLE,       /* no answer from the server, however often asked */
  PCT_SYNC_ERROR_SERVER,            /* the server kept failing: 5xx, 429 */
  PCT_SYNC_ERROR_AUTHENTICATION,    /* wrong user name or password, or none given */
  PCT_SYNC_ERROR_FORBIDDEN,         /* the user's role may not do this */
  PCT_SYNC_ERROR_REFUSED,           /* the server refused a request: 400, 404, 405, 413 */
  PCT_SYNC_ERROR_INVALID_RESPONSE,  /* an answer that is not what docs/api.md describes */
  PCT_SYNC_ERROR_TOO_LARGE,         /* an answer over PCT_SYNC_MAX_RESPONSE_BYTES */
  PCT_SYNC_ERROR_INVALID_RECORD,    /* a record of a page that the store refuses */
  PCT_SYNC_ERROR_CURSOR_RESET,      /* the server reset the feed again during a full sync */
} PctSyncError;

/* What the client is doing, for a status line. */
typedef enum
{
  PCT_SYNC_STATE_IDLE,     /* nothing asked of the server yet */
  PCT_SYNC_STATE_SYNCING,  /* a sync is under way: see records-done, records-total, eta */
  PCT_SYNC_STATE_ONLINE,   /* the last sync succeeded; live mode listens for changes */
  PCT_SYNC_STATE_OFFLINE,  /* the server cannot be reached since offline-since */
  PCT_SYNC_STATE_ERROR,    /* the server answered, but the sync failed: error-message */
} PctSyncState;

#define PCT_TYPE_SYNC_STATE (pct_sync_state_get_type ())
GType pct_sync_state_get_type (void) G_GNUC_CONST;

typedef enum
{
  PCT_SYNC_RUN_DEFAULT       = 0,
  /* Fetches the feed from its start, following the cursor headers
   * without parsing a page, and stores nothing: the floor any sync of
   * the same feed can reach. */
  PCT_SYNC_RUN_DOWNLOAD_ONLY = 1 << 0,
} PctSyncRunFlags;

/* A response larger than this is refused unread beyond it. */
#define PCT_SYNC_MAX_RESPONSE_BYTES (64 * 1024 * 1024)
/* Mutations sent in one request, as docs/api.md allows. */
#define PCT_SYNC_MAX_BATCH 500

/* What one sync did. */
typedef struct
{
  gboolean full;             /* started without a cursor: the whole feed */
  guint64  records_applied;  /* records of the feed written to the store */
  guint64  records_removed;  /* rows a full resync found gone from the feed */
  guint64  pages;
  guint64  bytes;            /* of the bodies received, once decoded */
  guint    retries;          /* requests repeated after a failure */
  guint    pushed;           /* mutations the server answered */
  guint    push_applied;
  guint    push_conflicts;
  guint    push_rejected;
  guint    push_replayed;    /* answered from the server's memory of an earlier send */
  double   seconds;
} PctSyncReport;

/* Called in a worker thread when the client must sign in; returns the
 * password (newly allocated) or NULL when there is none. */
typedef char *(*PctSyncPasswordFunc) (const char *user,
                                      gpointer    user_data);

#define PCT_TYPE_SYNC (pct_sync_get_type ())
G_DECLARE_FINAL_TYPE (PctSync, pct_sync, PCT, SYNC, GObject)

GQuark        pct_sync_error_quark        (void);

/* Signals and property notifications are emitted on the thread-default
 * main context of the thread that made the object. */
PctSync      *pct_sync_new                (const char           *store_path,
                                           const char           *server_url);

const char   *pct_sync_get_store_path     (PctSync              *self);
const char   *pct_sync_get_server_url     (PctSync              *self);
const char   *pct_sync_get_ca_file        (PctSync              *self);
void          pct_sync_set_ca_file        (PctSync              *self,
                                           const char           *ca_file);
const char   *pct_sync_get_user           (PctSync              *self);
void          pct_sync_set_user           (PctSync              *self,
                                           const char           *user);
/* Kept in memory only. */
void          pct_sync_set_password       (PctSync              *self,
                                           const char           *password);
/* Asked instead of a password set beforehand, such as from the Secret
 * Service; must be safe to call from any thread. */
void          pct_sync_set_password_func  (PctSync              *self,
                                           PctSyncPasswordFunc   func,
                                           gpointer              user_data,
                                           GDestroyNotify        destroy);
guint         pct_sync_get_page_limit     (PctSync              *self);
void          pct_sync_set_page_limit     (PctSync              *self,
                                           guint                 limit);
guint         pct_sync_get_timeout        (PctSync              *self);
void          pct_sync_set_timeout        (PctSync              *self,
                                           guint                 seconds);
guint         pct_sync_get_max_attempts   (PctSync              *self);
void          pct_sync_set_max_attempts   (PctSync              *self,
                                           guint                 attempts);
void          pct_sync_set_backoff        (PctSync              *self,
                                           guint                 min_ms,
                                           guint                 max_ms);
guint         pct_sync_get_poll_wait      (PctSync              *self);
void          pct_sync_set_poll_wait      (PctSync              *self,
                                           guint                 seconds);

PctSyncState  pct_sync_get_state          (PctSync              *self);
guint64       pct_sync_get_records_done   (PctSync              *self);
guint64       pct_sync_get_records_total  (PctSync              *self);
int           pct_sync_get_eta            (PctSync              *self);
gint64        pct_sync_get_offline_since  (PctSync              *self);
const char   *pct_sync_get_error_message  (PctSync              *self);
gint64        pct_sync_get_last_synced    (PctSync              *self);
gboolean      pct_sync_get_live           (PctSync              *self);

/* One sync, blocking the calling thread: sign in if need be, push the
 * outbox, pull the feed to its end. The store is opened (and created)
 * for the time of the run. report may be NULL. */
gboolean      pct_sync_run_sync           (PctSync              *self,
                                           PctSyncRunFlags       flags,
                                           PctSyncReport        *report,
                                           GCancellable         *cancellable,
                                           GError              **error);
/* The same in a worker thread. */
void          pct_sync_run_async          (PctSync              *self,
                                           PctSyncRunFlags       flags,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      pct_sync_run_finish         (PctSync              *self,
                                           GAsyncResult         *result,
                                           PctSyncReport        *report,
                                           GError              **error);

/* Signs in and nothing more, to check a user name and password at once
 * (a full sync may take minutes); the session is kept for the syncs that
 * follow. Fails as a sync would: PCT_SYNC_ERROR_AUTHENTICATION for a
 * wrong password, a TLS error naming the certificate's problem, … */
void          pct_sync_sign_in_async      (PctSync              *self,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      pct_sync_sign_in_finish     (PctSync              *self,
                                           GAsyncResult         *result,
                                           GError              **error);

/* A personal value in clear, asked of the server with a reason, which
 * it logs (docs/api.md, “Unmasking”); the store keeps only what the
 * user's role reads, so this is the one way to see more. *value is NULL
 * when the record has no value there. Fails with
 * PCT_SYNC_ERROR_INVALID_SETTINGS, before asking, for a field that is
 * not personal or a reason under PCT_ROLES_UNMASK_MIN_REASON characters;
 * PCT_SYNC_ERROR_FORBIDDEN when the role may not unmask it;
 * PCT_SYNC_ERROR_REFUSED for a record the server does not have. */
gboolean      pct_sync_unmask             (PctSync              *self,
                                           const char           *entity,
                                           gint64                id,
                                           const char           *field,
                                           const char           *reason,
                                           char                **value,
                                           GCancellable         *cancellable,
                                           GError              **error);
void          pct_sync_unmask_async       (PctSync              *self,
                                           const char           *entity,
                                           gint64                id,
                                           const char           *field,
                                           const char           *reason,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
gboolean      pct_sync_unmask_finish      (PctSync              *self,
                                           GAsyncResult         *result,
                                           char                **value,
                                           GError              **error);

/* Live mode: a sync now, then one whenever the server announces changes
 * over its WebSocket (or, where none can be opened, as long polling of
 * the feed returns), and whenever pct_sync_request() asks; failures are
 * retried with backoff until pct_sync_stop(). */
void          pct_sync_start              (PctSync              *self);
void          pct_sync_stop               (PctSync              *self);
/* A sync soon, such as after a change was written to the outbox. */
void          pct_sync_request            (PctSync              *self);

G_END_DECLS
