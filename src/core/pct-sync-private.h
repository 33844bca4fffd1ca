/* pct-sync-private.h — what the files of the sync client share
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * pct-sync.c        the object, its settings and status, runs, live mode
 * pct-sync-http.c   requests: sign-in, retries with backoff, bounded bodies
 * pct-sync-page.c   checking and parsing one page of the changes feed
 * pct-sync-pull.c   the pull pipeline: fetch and parse beside apply
 * pct-sync-push.c   sending the outbox and recording its results
 * pct-sync-live.c   the WebSocket and long polling of live mode
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pct-json.h"
#include "pct-store.h"
#include "pct-sync.h"

G_BEGIN_DECLS

/* A snapshot of the settings, taken when a run starts, so that a run
 * never reads the object's fields from its threads. */
typedef struct
{
  char   *store_path;
  char   *server_url;
  char   *ca_file;
  guint   page_limit;
  guint   timeout;         /* seconds a request may stay silent */
  guint   max_attempts;    /* per request; 0 for no limit */
  guint   backoff_min_ms;
  guint   backoff_max_ms;
} PctSyncConfig;

void           _pct_sync_config_clear        (PctSyncConfig      *config);

/* The session with the server: who signs in and the tokens, shared by
 * every request of every run of one PctSync, from any thread. */
typedef struct _PctSyncAuth PctSyncAuth;

PctSyncAuth   *_pct_sync_auth_new            (void);
void           _pct_sync_auth_free           (PctSyncAuth        *auth);
void           _pct_sync_auth_set_user       (PctSyncAuth        *auth,
                                              const char         *user);
void           _pct_sync_auth_set_password   (PctSyncAuth        *auth,
                                              const char         *password);
void           _pct_sync_auth_set_password_func (PctSyncAuth     *auth,
                                              PctSyncPasswordFunc func,
                                              gpointer            user_data,
                                              GDestroyNotify      destroy);
/* The token signed in with, or NULL; no request is made. */
char          *_pct_sync_auth_dup_token      (PctSyncAuth        *auth);

/* The address of an endpoint of the API at server_url. */
char          *_pct_sync_build_url           (const char         *server_url,
                                              const char         *path,
                                              GError            **error);

/* Progress of a run, reported after each page from the applying thread. */
typedef void (*PctSyncProgressFunc) (guint64   done,
                                     guint64   total,
                                     double    rate,
                                     gpointer  user_data);

/* Requests to one server. Made in the thread that runs the sync; its
 * requests may be sent from any thread. */
typedef struct _PctSyncHttp PctSyncHttp;

/* Turns a successful answer's body into what the caller wants; an error
 * (PCT_SYNC_ERROR_INVALID_RESPONSE or TOO_LARGE) refuses the answer and
 * counts as a failure for the backoff. */
typedef gpointer (*PctSyncParseFunc) (SoupMessage  *message,
                                      GBytes       *body,
                                      gpointer      user_data,
                                      GError      **error);

PctSyncHttp   *_pct_sync_http_new            (const PctSyncConfig *config,
                                              PctSyncAuth        *auth,
                                              guint               wait_seconds,
                                              GError            **error);
void           _pct_sync_http_free           (PctSyncHttp        *http);
/* One request, repeated with backoff while the failure is transient and
 * after renewing the session token when it is refused. path is relative
 * to the API's base (`changes`), query already encoded; body is JSON.
 * Returns what parse returned, or for a NULL parse the body as GBytes. */
gpointer       _pct_sync_http_call           (PctSyncHttp        *http,
                                              const char         *method,
                                              const char         *path,
                                              const char         *query,
                                              GBytes             *body,
                                              gboolean            long_poll,
                                              PctSyncParseFunc    parse,
                                              gpointer            parse_data,
                                              GCancellable       *cancellable,
                                              GError            **error);
/* The body of a successful answer as a tree, or an
 * PCT_SYNC_ERROR_INVALID_RESPONSE naming what it answered (“the outbox”)
 * when it is not strict JSON (pct_record_check_json()). */
JsonNode      *_pct_sync_parse_answer        (GBytes             *body,
                                              const char         *what,
                                              GError            **error);
/* After attempt number `attempt` (from 1) failed with *error for a
 * transient reason: FALSE, with *error saying so, when the attempts are
 * spent or the wait is cancelled; otherwise waits the backoff, counts a
 * retry and returns TRUE. */
gboolean       _pct_sync_http_retry          (PctSyncHttp        *http,
                                              guint               attempt,
                                              guint               retry_after_ms,
                                              GError            **error,
                                              GCancellable       *cancellable);
guint          _pct_sync_http_get_retries    (PctSyncHttp        *http);
guint64        _pct_sync_http_get_bytes      (PctSyncHttp        *http);
/* A signed-in token for the WebSocket handshake, signing in if need be. */
char          *_pct_sync_http_dup_token      (PctSyncHttp        *http,
                                              GCancellable       *cancellable,
                                              GError            **error);
/* After the server refused token: a new one, unless another thread
 * already got one. */
gboolean       _pct_sync_http_renew_token    (PctSyncHttp        *http,
                                              const char         *token,
                                              const char         *code,
                                              GCancellable       *cancellable,
                                              GError            **error);
/* The delay before attempt number `attempt` (from 1) is retried: full
 * jitter over an exponential bound, never under retry_after_ms. */
guint          _pct_sync_backoff_delay       (guint               attempt,
                                              guint               min_ms,
                                              guint               max_ms,
                                              guint               retry_after_ms);
/* FALSE when cancelled during the wait. */
gboolean       _pct_sync_sleep               (guint               ms,
                                              GCancellable       *cancellable);

/* One page of the changes feed, checked against docs/api.md. */
typedef struct
{
  char       *cursor;
  gboolean    has_more;
  gint64      total;      /* records from this page to the feed's end; -1 unknown */
  PctJson            *json;
  const PctJsonNode  *records;    /* an array of objects, in json */
  /* PctRecordConverted, one per record, converted by the thread that
   * fetched the page (not when downloading only). Each is taken when
   * applied. */
  GPtrArray          *converted;
  gsize       bytes;
} PctSyncPage;

void           _pct_sync_page_free           (PctSyncPage        *page);
/* request_cursor is NULL for the first page of a full sync;
 * header_cursor the Precinct-Cursor header, when the answer had one. */
PctSyncPage   *_pct_sync_page_parse          (const char         *text,
                                              gsize               length,
                                              const char         *request_cursor,
                                              const char         *header_cursor,
                                              GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctSyncPage, _pct_sync_page_free)

/* The state of one run, shared by push and pull. */
typedef struct
{
  const PctSyncConfig *config;
  PctSyncHttp         *http;
  PctStore            *store;        /* NULL when downloading only */
  PctSyncRunFlags      flags;
  guint                wait;         /* long polling on the first page, seconds */
  GCancellable        *wait_cancellable;  /* ends the long poll early */
  PctSyncProgressFunc  progress;
  gpointer             progress_data;
  PctSyncReport       *report;
} PctSyncRun;

gboolean       _pct_sync_push                (PctSyncRun         *run,
                                              GCancellable       *cancellable,
                                              GError            **error);
gboolean       _pct_sync_pull                (PctSyncRun         *run,
                                              GCancellable       *cancellable,
                                              GError            **error);
gboolean       _pct_sync_download            (PctSyncRun         *run,
                                              GCancellable       *cancellable,
                                              GError            **error);

/* sync_state keys. */
#define PCT_SYNC_STATE_CURSOR "cursor"
#define PCT_SYNC_STATE_RESYNC "resync"

/* Live mode, in its own thread. */
typedef struct _PctSyncLive PctSyncLive;

PctSyncLive   *_pct_sync_live_start          (PctSync            *sync);
void           _pct_sync_live_stop           (PctSyncLive        *live);
void           _pct_sync_live_request        (PctSyncLive        *live);

/* For live mode: a run in the calling thread with the object's current
 * settings; wait > 0 long-polls the first page. */
gboolean       _pct_sync_run_blocking        (PctSync            *self,
                                              PctSyncRunFlags     flags,
                                              guint               wait,
                                              GCancellable       *wait_cancellable,
                                              PctSyncReport      *report,
                                              GCancellable       *cancellable,
                                              GError            **error);
void           _pct_sync_dup_config          (PctSync            *self,
                                              PctSyncConfig      *config);
PctSyncAuth   *_pct_sync_get_auth            (PctSync            *self);
guint          _pct_sync_dup_poll_wait       (PctSync            *self);
/* Status updates from any thread, delivered on the object's context. */
void           _pct_sync_post_state          (PctSync            *self,
                                              PctSyncState        state,
                                              const GError       *error);
void           _pct_sync_post_live           (PctSync            *self,
                                              gboolean            live);
/* Whether an error means the server could not be reached at all. */
gboolean       _pct_sync_error_is_offline    (const GError       *error);

G_END_DECLS
