/* pct-sync-pull.c — the pull pipeline: fetch and parse beside apply
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three threads: while the thread that runs the sync applies page N, a
 * fetcher parses page N+1 and converts its records into rows (all that
 * needs no store), and page N+2 is already being downloaded from
 * the cursor in N+1's headers. The fetcher and the applier meet in a
 * pipe of two pages, so at most five pages are in memory: one being
 * applied, two parsed and waiting, one being parsed, one arriving (pages
 * over 8 MiB are neither fetched ahead nor queued beside another). A page
 * refused by the parser is asked for again, and the page fetched ahead
 * of it thrown away.
 *
 * Each page is applied together with its cursor (sync_state 'cursor'),
 * in a transaction of its own or, when the applier lags and more pages
 * are already waiting, in one shared with the pages after it (at most
 * GROUP_MAX_PAGES pages or GROUP_MAX_RECORDS records), each page in a
 * savepoint: the cursor committed is always that of the last page whose
 * records are. Killed at any instant, the store holds whole pages and the
 * cursor of the last, and the next sync asks again from there: nothing
 * is lost or applied twice. A page refused is undone alone, and the pages
 * before it in its transaction are committed before the run fails.
 *
 * A sync without a cursor reads the whole feed. Into an empty store that
 * is all there is to it. Into a store that already holds rows (after the
 * server's 409 cursor_reset, or a store first filled by an import) rows
 * the new feed no longer has must go: the keys of the records applied
 * are noted in a temporary table, and the transaction of the last page
 * deletes every row whose key was not seen — except rows with a negative
 * key, made here and not yet known to the server, and rows of entities
 * the feed carries none of (it says nothing of those). Such a resync is marked
 * in sync_state ('resync') until its last page; as the notes die with the
 * connection, one that is interrupted starts again from the feed's start.
 */

#define G_LOG_DOMAIN "pct-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <inttypes.h>
#include <string.h>

#include "pct-outbox.h"
#include "pct-record.h"
#include "pct-sync-private.h"

typedef struct
{
  PctSyncPage *page;   /* or */
  GError      *error;  /* the fetcher's last word */
} Item;

/* Fetcher → applier, holding at most `capacity` parsed pages. */
typedef struct
{
  GMutex    mutex;
  GCond     cond;
  GQueue    items;
  guint     capacity;
  gboolean  closed;    /* the applier stopped listening */
  gint64    push_wait; /* µs the fetcher waited for room, for the debug log */
  gint64    pop_wait;  /* µs the applier waited for a page */
} Pipe;

typedef struct
{
  PctSyncRun    *run;
  Pipe          *pipe;
  char          *cursor;          /* where the feed is read from; NULL: its start */
  GCancellable  *cancellable;
  gboolean       download_only;
  gboolean       counted;         /* the feed's size was asked for */
} Fetcher;

/* One answer of the feed before it is parsed: its body, and what its
 * headers say. */
typedef struct
{
  GBytes    *body;
  char      *cursor;     /* Precinct-Cursor, when given */
  gboolean   has_more;   /* Precinct-Has-More */
} Raw;

typedef struct
{
  const char  *request_cursor;
  gboolean     download_only;
} RawRequest;

/* The next page, asked for in a thread of its own while the fetcher
 * parses the one before. */
typedef struct
{
  Fetcher       *fetcher;
  char          *cursor;
  GCancellable  *cancellable;
  gulong         handler;
  GThread       *thread;
  Raw           *raw;
  GError        *error;
} Prefetch;

typedef struct
{
  guint64  index;
  char    *reason;
  char    *entity;
  char    *key;
} Rejection;

/* The connection's settings that a full sync changes for its length. */
typedef struct
{
  gint64 cache_size;
  gint64 autocheckpoint;
  gint64 temp_store;
} Tuning;

/* When pages are already waiting as one is applied, the applier is the
 * slower side: it applies them in the same transaction, up to these
 * bounds, so that a commit (which writes out every index page touched)
 * is paid once for several pages. */
#define GROUP_MAX_PAGES   8
#define GROUP_MAX_RECORDS 16000

/* While filling, the pages of a group are kept until it is committed:
 * a group ends once they hold this much JSON. */
#define FILL_MAX_KEPT_BYTES (16 * 1024 * 1024)

/* What the report needs of a page once it is applied and freed. */
typedef struct
{
  guint64   applied;   /* records */
  gsize     bytes;
  gint64    total;
  gboolean  has_more;
} Summary;

/* Pages applied in one transaction, in order. */
typedef struct
{
  Summary   pages[GROUP_MAX_PAGES];
  guint     n_pages;
  guint     n_committed;   /* the first n_committed are in the store */
  guint64   n_records;     /* in the pages so far */
  guint64   removed;       /* by the sweep of a resync's last page */
} Group;

/* Parsed pages waiting to be applied, to smooth out uneven pages. */
#define PIPE_CAPACITY 2

/* A parsed page costs three to six times its JSON in memory. Past this
 * size a page is not fetched ahead nor queued beside another, so that a
 * server sending pages near the 64 MiB limit costs two of them at most. */
#define LARGE_PAGE_BYTES (8 * 1024 * 1024)

/* While the whole feed is read, which writes the whole store: a page
 * cache that holds the tables and indexes being filled (in KiB, as
 * PRAGMA cache_size takes a negative number), a checkpoint only every
 * so many pages of WAL rather than every thousand, each of which copies
 * the same index pages back to the database file again, and statement
 * journals in memory: each multi-row upsert saves the pages it changes
 * that the transaction had changed already, which in a transaction of
 * several pages is most of them, and in temporary files that was more
 * bytes written than the WAL and the database together. */
#define FULL_SYNC_CACHE_KIB      (512 * 1024)
#define FULL_SYNC_AUTOCHECKPOINT 20000
#define TEMP_STORE_MEMORY        2

#define CREATE_SEEN \
  "CREATE TEMP TABLE IF NOT EXISTS sync_seen (entity TEXT NOT NULL, key TEXT NOT NULL, " \
  "PRIMARY KEY (entity, key)) WITHOUT ROWID"

static void
item_free (Item *item)
{
  if (item == NULL)
    return;
  g_clear_pointer (&item->page, _pct_sync_page_free);
  g_clear_error (&item->error);
  g_free (item);
}

static void
raw_free (Raw *raw)
{
  g_clear_pointer (&raw->body, g_bytes_unref);
  g_free (raw->cursor);
  g_free (raw);
}

static void
rejection_clear (Rejection *rejection)
{
  g_clear_pointer (&rejection->reason, g_free);
  g_clear_pointer (&rejection->entity, g_free);
  g_clear_pointer (&rejection->key, g_free);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Item, item_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Rejection, rejection_clear)

/* Pipe -------------------------------------------------------------------- */

static void
pipe_init (Pipe *pipe)
{
  memset (pipe, 0, sizeof *pipe);
  g_mutex_init (&pipe->mutex);
  g_cond_init (&pipe->cond);
  g_queue_init (&pipe->items);
  pipe->capacity = PIPE_CAPACITY;
}

static void
pipe_clear (Pipe *pipe)
{
  g_queue_clear_full (&pipe->items, (GDestroyNotify) item_free);
  g_cond_clear (&pipe->cond);
  g_mutex_clear (&pipe->mutex);
}

/* FALSE when the applier has gone; the item is dropped then. */
static gboolean
pipe_push (Pipe *pipe,
           Item *item)
{
  gboolean pushed;
  gint64 started = g_get_monotonic_time ();

  g_mutex_lock (&pipe->mutex);
  while (!pipe->closed && g_queue_get_length (&pipe->items) >= pipe->capacity)
    g_cond_wait (&pipe->cond, &pipe->mutex);
  pipe->push_wait += g_get_monotonic_time () - started;
  pushed = !pipe->closed;
  if (pushed)
    g_queue_push_tail (&pipe->items, item);
  g_cond_broadcast (&pipe->cond);
  g_mutex_unlock (&pipe->mutex);

  if (!pushed)
    item_free (item);
  return pushed;
}

static Item *
pipe_pop (Pipe *pipe)
{
  Item *item;
  gint64 started = g_get_monotonic_time ();

  g_mutex_lock (&pipe->mutex);
  while (g_queue_is_empty (&pipe->items))
    g_cond_wait (&pipe->cond, &pipe->mutex);
  pipe->pop_wait += g_get_monotonic_time () - started;
  item = g_queue_pop_head (&pipe->items);
  g_cond_broadcast (&pipe->cond);
  g_mutex_unlock (&pipe->mutex);
  return item;
}

/* The next page, when one is already waiting and holds at most
 * max_records records; an error or the end of a long poll is left for
 * pipe_pop(). */
static Item *
pipe_try_pop_page (Pipe    *pipe,
                   guint64  max_records)
{
  Item *item;

  g_mutex_lock (&pipe->mutex);
  item = g_queue_peek_head (&pipe->items);
  if (item != NULL &&
      (item->page == NULL || item->page->records->n_children > max_records))
    item = NULL;
  if (item != NULL)
    {
      g_queue_pop_head (&pipe->items);
      g_cond_broadcast (&pipe->cond);
    }
  g_mutex_unlock (&pipe->mutex);
  return item;
}

/* Returns once the applier has taken every page pushed, or has gone. */
static void
pipe_wait_drained (Pipe *pipe)
{
  g_mutex_lock (&pipe->mutex);
  while (!pipe->closed && !g_queue_is_empty (&pipe->items))
    g_cond_wait (&pipe->cond, &pipe->mutex);
  g_mutex_unlock (&pipe->mutex);
}

static void
pipe_close (Pipe *pipe)
{
  g_mutex_lock (&pipe->mutex);
  pipe->closed = TRUE;
  g_cond_broadcast (&pipe->cond);
  g_mutex_unlock (&pipe->mutex);
}

/* Fetcher ----------------------------------------------------------------- */

static const char *
header (SoupMessage *message,
        const char  *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (message), name);
}

/* Keeps the body for later and reads the headers, which say where the
 * next page starts before the body is parsed. */
static gpointer
raw_cb (SoupMessage  *message,
        GBytes       *body,
        gpointer      user_data,
        GError      **error)
{
  RawRequest *request = user_data;
  const char *cursor = header (message, "Precinct-Cursor");
  const char *has_more = header (message, "Precinct-Has-More");
  g_autoptr(Raw) raw = g_new0 (Raw, 1);

  if (cursor != NULL && *cursor != '\0' && has_more != NULL &&
      (g_str_equal (has_more, "true") || g_str_equal (has_more, "false")))
    {
      raw->cursor = g_strdup (cursor);
      raw->has_more = g_str_equal (has_more, "true");
    }
  else if (request->download_only)
    {
      g_set_error_literal (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                           _("The server’s page of changes lacks the Precinct-Cursor or "
                             "Precinct-Has-More header"));
      return NULL;
    }

  if (raw->cursor != NULL && raw->has_more &&
      g_strcmp0 (raw->cursor, request->request_cursor) == 0)
    {
      g_set_error_literal (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                           _("The server sent a page that says more is to come but whose "
                             "cursor did not move"));
      return NULL;
    }

  raw->body = g_bytes_ref (body);
  return g_steal_pointer (&raw);
}

/* count_total asks the server how much is left (docs/api.md), for the
 * progress of the run: once, on its first page. */
static char *
build_query (const char *cursor,
             guint       limit,
             guint       wait,
             gboolean    count_total)
{
  GString *query = g_string_new (NULL);

  g_string_append_printf (query, "limit=%u", limit);
  if (count_total)
    g_string_append (query, "&total=1");
  if (cursor != NULL)
    {
      g_string_append (query, "&cursor=");
      g_string_append_uri_escaped (query, cursor, NULL, FALSE);
    }
  if (wait > 0)
    g_string_append_printf (query, "&wait=%u", wait);
  return g_string_free (query, FALSE);
}

static void
cancel_cb (GCancellable *cancellable,
           GCancellable *other)
{
  g_cancellable_cancel (other);
}

/* A long poll (wait > 0) ends early when either the run is cancelled or
 * a sync is wanted sooner; the latter is no failure: interrupted. */
static Raw *
download (Fetcher       *fetcher,
          const char    *cursor,
          guint          wait,
          gboolean      *interrupted,
          GCancellable  *cancellable,
          GError       **error)
{
  PctSyncRun *run = fetcher->run;
  g_autofree char *query = build_query (cursor, run->config->page_limit, wait,
                                        !fetcher->counted && !fetcher->download_only);
  g_autoptr(GCancellable) combined = NULL;
  g_autoptr(GError) local_error = NULL;
  RawRequest request = { cursor, fetcher->download_only };
  gulong run_handler, wait_handler;
  Raw *raw;

  *interrupted = FALSE;
  fetcher->counted = TRUE;
  if (wait == 0 || run->wait_cancellable == NULL)
    return _pct_sync_http_call (run->http, "GET", "changes", query, NULL, wait > 0, raw_cb,
                                &request, cancellable, error);

  combined = g_cancellable_new ();
  run_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_cb), combined, NULL);
  wait_handler = g_cancellable_connect (run->wait_cancellable, G_CALLBACK (cancel_cb),
                                        combined, NULL);
  raw = _pct_sync_http_call (run->http, "GET", "changes", query, NULL, TRUE, raw_cb, &request,
                             combined, &local_error);
  g_cancellable_disconnect (cancellable, run_handler);
  g_cancellable_disconnect (run->wait_cancellable, wait_handler);

  if (raw == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_cancellable_is_cancelled (cancellable))
        *interrupted = TRUE;
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return raw;
}

static gpointer
prefetch_thread (gpointer user_data)
{
  Prefetch *prefetch = user_data;
  gboolean interrupted;

  prefetch->raw = download (prefetch->fetcher, prefetch->cursor, 0, &interrupted,
                            prefetch->cancellable, &prefetch->error);
  return NULL;
}

static Prefetch *
prefetch_start (Fetcher    *fetcher,
                const char *cursor)
{
  Prefetch *prefetch = g_new0 (Prefetch, 1);

  prefetch->fetcher = fetcher;
  prefetch->cursor = g_strdup (cursor);
  prefetch->cancellable = g_cancellable_new ();
  prefetch->handler = g_cancellable_connect (fetcher->cancellable, G_CALLBACK (cancel_cb),
                                             prefetch->cancellable, NULL);
  prefetch->thread = g_thread_new ("pct-sync-prefetch", prefetch_thread, prefetch);
  return prefetch;
}

/* Waits for the prefetched answer; frees prefetch. */
static Raw *
prefetch_finish (Prefetch  *prefetch,
                 GError   **error)
{
  Raw *raw;

  g_thread_join (prefetch->thread);
  g_cancellable_disconnect (prefetch->fetcher->cancellable, prefetch->handler);
  raw = g_steal_pointer (&prefetch->raw);
  if (raw == NULL)
    g_propagate_error (error, g_steal_pointer (&prefetch->error));

  g_object_unref (prefetch->cancellable);
  g_free (prefetch->cursor);
  g_free (prefetch);
  return raw;
}

static void
prefetch_discard (Prefetch *prefetch)
{
  g_autoptr(Raw) raw = NULL;

  g_cancellable_cancel (prefetch->cancellable);
  raw = prefetch_finish (prefetch, NULL);
}

/* Converting the records here, while the store's thread writes the pages
 * before, takes that work off the thread that bounds a full sync. */
static void
convert_records (PctSyncPage *page)
{
  const PctJsonNode *record = pct_json_node_first_child (page->records);
  guint n_records = page->records->n_children;

  page->converted = g_ptr_array_new_full (n_records, (GDestroyNotify) pct_record_converted_free);
  for (guint i = 0; i < n_records; i++, record = pct_json_node_next (record))
    g_ptr_array_add (page->converted, pct_record_convert (page->json, record));
}

/* The page an answer holds; downloading only, what its headers say. */
static PctSyncPage *
read_page (Fetcher     *fetcher,
           Raw         *raw,
           const char  *request_cursor,
           GError     **error)
{
  gsize size;
  const char *text = g_bytes_get_data (raw->body, &size);
  PctSyncPage *page;

  if (!fetcher->download_only)
    {
      page = _pct_sync_page_parse (text != NULL ? text : "", size, request_cursor, raw->cursor,
                                   error);
      if (page != NULL)
        convert_records (page);
      return page;
    }

  page = g_new0 (PctSyncPage, 1);
  page->cursor = g_strdup (raw->cursor);
  page->has_more = raw->has_more;
  page->bytes = size;
  page->total = -1;
  return page;
}

static void
push_error (Fetcher *fetcher,
            GError  *error)
{
  Item *item = g_new0 (Item, 1);

  item->error = error;
  pipe_push (fetcher->pipe, item);
}

static gpointer
fetch_thread (gpointer user_data)
{
  Fetcher *fetcher = user_data;
  PctSyncHttp *http = fetcher->run->http;
  g_autofree char *cursor = g_strdup (fetcher->cursor);
  Prefetch *prefetch = NULL;
  guint wait = fetcher->run->wait;
  guint attempt = 0;

  for (;;)
    {
      g_autoptr(Raw) raw = NULL;
      GError *error = NULL;
      gint64 started = g_get_monotonic_time ();
      gboolean interrupted = FALSE;
      Item *item;
      PctSyncPage *page;
      gboolean has_more;
      gboolean large;

      if (prefetch != NULL && g_strcmp0 (prefetch->cursor, cursor) == 0)
        raw = prefetch_finish (g_steal_pointer (&prefetch), &error);
      else
        {
          g_clear_pointer (&prefetch, prefetch_discard);
          raw = download (fetcher, cursor, wait, &interrupted, fetcher->cancellable, &error);
        }
      wait = 0;

      if (interrupted)
        {
          /* Nothing arrived: the end of this run's feed. */
          pipe_push (fetcher->pipe, g_new0 (Item, 1));
          break;
        }
      if (raw == NULL)
        {
          push_error (fetcher, error);
          break;
        }

      /* The next page is on its way while this one is parsed. */
      if (raw->cursor != NULL && raw->has_more &&
          g_bytes_get_size (raw->body) <= LARGE_PAGE_BYTES)
        prefetch = prefetch_start (fetcher, raw->cursor);

      page = read_page (fetcher, raw, cursor, &error);
      if (page == NULL)
        {
          /* Refused whole, and asked for again: it counts for the backoff. */
          g_clear_pointer (&prefetch, prefetch_discard);
          g_debug ("%s", error->message);
          if (!_pct_sync_http_retry (http, ++attempt, 0, &error, fetcher->cancellable))
            {
              push_error (fetcher, error);
              break;
            }
          g_clear_error (&error);
          continue;
        }
      attempt = 0;
      g_debug ("Fetched a page in %.1f ms", (g_get_monotonic_time () - started) / 1000.0);

      has_more = page->has_more;
      large = page->bytes > LARGE_PAGE_BYTES;
      g_free (cursor);
      cursor = g_strdup (page->cursor);
      item = g_new0 (Item, 1);
      item->page = page;
      if (!pipe_push (fetcher->pipe, item) || !has_more)
        break;
      if (large)
        pipe_wait_drained (fetcher->pipe);
    }

  g_clear_pointer (&prefetch, prefetch_discard);
  return NULL;
}

/* Store ------------------------------------------------------------------- */

static char *
get_state (PctStore   *store,
           const char *key)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT value FROM sync_state WHERE key = ?",
                                          NULL);
  char *value = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

/* value NULL deletes the key. */
static gboolean
set_state (PctStore    *store,
           const char  *key,
           const char  *value,
           GError     **error)
{
  sqlite3_stmt *stmt;

  if (value == NULL)
    stmt = pct_store_prepare (store, "DELETE FROM sync_state WHERE key = ?", error);
  else
    stmt = pct_store_prepare (store,
                              "INSERT INTO sync_state (key, value) VALUES (?, ?) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value", error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (value != NULL)
    sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  return pct_store_step_done (store, stmt, error);
}

static gboolean
set_tuning (PctStore      *store,
            const Tuning  *tuning,
            GError       **error)
{
  /* Numbers, not input: PRAGMA takes no bound parameters. */
  g_autofree char *sql =
    g_strdup_printf ("PRAGMA cache_size = %" G_GINT64_FORMAT "; "
                     "PRAGMA wal_autocheckpoint = %" G_GINT64_FORMAT "; "
                     "PRAGMA temp_store = %" G_GINT64_FORMAT,
                     tuning->cache_size, tuning->autocheckpoint, tuning->temp_store);

  return pct_store_exec (store, sql, error);
}

/* Saves the current settings into saved and raises them for a full sync. */
static gboolean
tune_for_full_sync (PctStore  *store,
                    Tuning    *saved,
                    GError   **error)
{
  const Tuning full = { -FULL_SYNC_CACHE_KIB, FULL_SYNC_AUTOCHECKPOINT, TEMP_STORE_MEMORY };

  return pct_store_query_int64 (store, "PRAGMA cache_size", &saved->cache_size, error) &&
         pct_store_query_int64 (store, "PRAGMA wal_autocheckpoint", &saved->autocheckpoint, error) &&
         pct_store_query_int64 (store, "PRAGMA temp_store", &saved->temp_store, error) &&
         set_tuning (store, &full, error);
}

/* Puts the settings back and writes the WAL into the database, without
 * waiting for readers: what they still hold is checkpointed later. */
static void
restore_tuning (PctStore     *store,
                const Tuning *saved)
{
  g_autoptr(GError) error = NULL;

  if (!set_tuning (store, saved, &error) ||
      !pct_store_exec (store, "PRAGMA wal_checkpoint (PASSIVE); PRAGMA shrink_memory", &error))
    g_debug ("Could not restore the store's settings after a full sync: %s", error->message);

  /* The large cache is freed page by page into the heap; in the app,
   * which goes on running, it should go back to the system. */
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

/* Whether any entity but settings (which every new store has) has rows. */
static gboolean
store_has_rows (PctStore  *store,
                gboolean  *has_rows,
                GError   **error)
{
  guint n_entities;
  const PctRecordEntity *entities = pct_record_entities (&n_entities);

  *has_rows = FALSE;
  for (guint i = 0; i < n_entities && !*has_rows; i++)
    {
      g_autofree char *sql = NULL;
      gint64 exists = 0;

      if (g_str_equal (entities[i].name, "setting"))
        continue;

      /* Table names from the constant entity table. */
      sql = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM %s)", entities[i].table);
      if (!pct_store_query_int64 (store, sql, &exists, error))
        return FALSE;
      *has_rows = exists != 0;
    }
  return TRUE;
}

static gboolean
note_seen (PctStore           *store,
           const PctJsonNode  *record,
           GError            **error)
{
  const PctJsonNode *entity = pct_json_object_get_member (record, "entity");
  const PctJsonNode *id = pct_json_object_get_member (record, "id");
  const PctJsonNode *deleted = pct_json_object_get_member (record, "deleted");
  sqlite3_stmt *stmt;
  g_autofree char *key = NULL;

  if (pct_json_node_holds (deleted, PCT_JSON_BOOLEAN) && deleted->v.boolean)
    return TRUE;

  /* The record was applied, so its entity and key are valid. */
  if (id->type == PCT_JSON_STRING)
    key = g_strdup (id->v.string.str);
  else if (id->type == PCT_JSON_DOUBLE)
    key = g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) id->v.number);
  else
    key = g_strdup_printf ("%" G_GINT64_FORMAT, id->v.integer);

  stmt = pct_store_prepare (store, "INSERT OR IGNORE INTO temp.sync_seen (entity, key) "
                                   "VALUES (?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, entity->v.string.str, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_TRANSIENT);
  return pct_store_step_done (store, stmt, error);
}

/* Deletes the rows of one entity the resync did not see; a row others
 * still reference stays, and another pass retries it after the rows that
 * referenced it went. */
static gboolean
sweep_entity (PctStore               *store,
              const PctRecordEntity  *entity,
              guint64                *removed,
              GError                **error)
{
  g_autofree char *sql = NULL;
  gboolean integer_key = entity->key_type == PCT_FIELD_INTEGER;
  gboolean progress = TRUE;

  /* Names from the constant entity table. Rows with a negative key were
   * made here and are not the server's to remove. */
  if (integer_key)
    sql = g_strdup_printf ("SELECT %s FROM %s WHERE %s >= 0 AND CAST (%s AS TEXT) NOT IN "
                           "(SELECT key FROM temp.sync_seen WHERE entity = ?)",
                           entity->key, entity->table, entity->key, entity->key);
  else
    sql = g_strdup_printf ("SELECT %s FROM %s WHERE %s NOT IN "
                           "(SELECT key FROM temp.sync_seen WHERE entity = ?)",
                           entity->key, entity->table, entity->key);

  while (progress)
    {
      g_autoptr(sqlite3_stmt) stmt = NULL;
      g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
      int rc;

      progress = FALSE;
      if (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL) != SQLITE_OK)
        return pct_store_set_sql_error (store, error, entity->table);
      sqlite3_bind_text (stmt, 1, entity->name, -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (keys, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      if (rc != SQLITE_DONE)
        return pct_store_set_sql_error (store, error, entity->table);
      g_clear_pointer (&stmt, sqlite3_finalize);

      for (guint i = 0; i < keys->len; i++)
        {
          g_autoptr(JsonObject) record = json_object_new ();
          g_autoptr(GError) local_error = NULL;
          const char *key = g_ptr_array_index (keys, i);

          json_object_set_string_member (record, "entity", entity->name);
          if (integer_key)
            json_object_set_int_member (record, "id", g_ascii_strtoll (key, NULL, 10));
          else
            json_object_set_string_member (record, "id", key);
          json_object_set_boolean_member (record, "deleted", TRUE);

          if (pct_record_apply (store, record, &local_error))
            {
              (*removed)++;
              progress = TRUE;
            }
          else if (local_error->domain != PCT_RECORD_ERROR)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          else
            g_debug ("Keeping %s %s, gone from the feed: %s", entity->name, key,
                     local_error->message);
        }
    }

  return TRUE;
}

static gboolean
entity_was_seen (PctStore               *store,
                 const PctRecordEntity  *entity,
                 gboolean               *seen,
                 GError                **error)
{
  sqlite3_stmt *stmt =
    pct_store_prepare (store, "SELECT 1 FROM temp.sync_seen WHERE entity = ? LIMIT 1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, entity->name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "sync_seen");
  *seen = rc == SQLITE_ROW;
  return TRUE;
}

/* Only entities the feed carries are swept: a feed without a single row
 * of an entity (the client's own audit log, say) says nothing about it. */
static gboolean
sweep (PctStore  *store,
       guint64   *removed,
       GError   **error)
{
  guint n_entities;
  const PctRecordEntity *entities = pct_record_entities (&n_entities);

  /* Referencing entities come later in the table: they go first. */
  for (guint i = n_entities; i-- > 0;)
    {
      gboolean seen = FALSE;

      if (!entity_was_seen (store, &entities[i], &seen, error))
        return FALSE;
      if (seen && !sweep_entity (store, &entities[i], removed, error))
        return FALSE;
    }
  return TRUE;
}

/* Applier ----------------------------------------------------------------- */

static void
rejected_cb (guint64             tag,
             const PctJsonNode  *record,
             const char         *reason,
             gpointer            user_data)
{
  Rejection *rejection = user_data;

  if (rejection->reason != NULL)
    return;
  rejection->index = tag;
  rejection->reason = g_strdup (reason);
  pct_record_describe (record, &rejection->entity, &rejection->key);
}

typedef struct
{
  PctSyncRun  *run;
  gboolean     tracking;   /* noting keys for the sweep of a resync */
  gint64       started;    /* monotonic µs */
  guint64      total;      /* 0 while unknown */
  PctRecordFill *fill;     /* while filling an empty store, or NULL */
} Pull;

static gboolean
has_local_rows (PctStore  *store,
                gboolean  *has_rows,
                GError   **error)
{
  gint64 value = 0;

  if (!pct_store_query_int64 (store,
                              "SELECT EXISTS (SELECT 1 FROM incidents WHERE id < 0) "
                              "OR EXISTS (SELECT 1 FROM work_orders WHERE id < 0) "
                              "OR EXISTS (SELECT 1 FROM audit_log WHERE id < 0)",
                              &value, error))
    return FALSE;
  *has_rows = value != 0;
  return TRUE;
}

/* The UUID of a record of an entity made here, with the key the server
 * gave it, or NULL. */
static const char *
record_uuid (const PctJsonNode  *record,
             const char        **entity_name,
             gint64             *id)
{
  const PctJsonNode *entity = pct_json_object_get_member (record, "entity");
  const PctJsonNode *key = pct_json_object_get_member (record, "id");
  const PctJsonNode *data = pct_json_object_get_member (record, "data");
  const PctJsonNode *uuid;
  const char *name;

  if (!pct_json_node_holds (entity, PCT_JSON_STRING) ||
      !pct_json_node_holds (key, PCT_JSON_INTEGER) || key->v.integer <= 0 ||
      !pct_json_node_holds (data, PCT_JSON_OBJECT))
    return NULL;

  name = entity->v.string.str;
  if (!g_str_equal (name, "incident") && !g_str_equal (name, "work_order") &&
      !g_str_equal (name, "audit"))
    return NULL;

  uuid = pct_json_object_get_member (data, "uuid");
  if (!pct_json_node_holds (uuid, PCT_JSON_STRING))
    return NULL;

  *entity_name = name;
  *id = key->v.integer;
  return uuid->v.string.str;
}

/* A record the server made from a row made here (its answer lost when
 * the client stopped before writing it down) carries that row's UUID:
 * the local row takes the server's key before the page is applied,
 * instead of clashing with it. */
static gboolean
adopt_local_rows (PctStore     *store,
                  PctSyncPage  *page,
                  gboolean      filling,
                  GError      **error)
{
  const PctJsonNode *record = pct_json_node_first_child (page->records);
  gboolean has_rows = FALSE;

  if (!has_local_rows (store, &has_rows, error))
    return FALSE;
  if (!has_rows)
    return TRUE;
  if (filling)
    {
      /* Rekeying is an update, for which the triggers are needed. */
      g_set_error (error, PCT_RECORD_ERROR, PCT_RECORD_ERROR_NOT_NEW,
                   _("Rows made here cannot be adopted while filling empty tables"));
      return FALSE;
    }

  for (guint i = 0; i < page->records->n_children; i++, record = pct_json_node_next (record))
    {
      const char *name = NULL;
      gint64 id = 0;
      const char *uuid = record_uuid (record, &name, &id);

      if (uuid != NULL && !pct_outbox_rekey_by_uuid (store, name, uuid, id, NULL, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
apply_records (Pull         *pull,
               PctSyncPage  *page,
               guint64      *applied,
               GError      **error)
{
  PctStore *store = pull->run->store;
  g_auto(Rejection) rejection = { 0 };
  g_autoptr(PctRecordBatch) batch = pct_record_batch_new (store, rejected_cb, &rejection);
  const PctJsonNode *record = pct_json_node_first_child (page->records);

  if (!adopt_local_rows (store, page, pull->fill != NULL, error))
    return FALSE;
  pct_record_batch_set_fill (batch, pull->fill);

  for (guint i = 0; i < page->records->n_children && rejection.reason == NULL;
       i++, record = pct_json_node_next (record))
    {
      PctRecordConverted *converted = g_steal_pointer (&page->converted->pdata[i]);

      if (!pct_record_batch_add_converted (batch, converted, i + 1, error))
        return FALSE;
      if (pull->tracking && rejection.reason == NULL && !note_seen (store, record, error))
        return FALSE;
    }
  if (rejection.reason == NULL && !pct_record_batch_flush (batch, error))
    return FALSE;

  if (rejection.reason != NULL)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RECORD,
                   _("The server sent a record the store refuses, so none of its page was "
                     "applied: record %" PRIu64 " of the page (%s %s): %s"),
                   (guint64) rejection.index, rejection.entity != NULL ? rejection.entity : "?",
                   rejection.key != NULL ? rejection.key : "?", rejection.reason);
      return FALSE;
    }

  *applied = pct_record_batch_get_applied (batch);
  return TRUE;
}

/* One page and its cursor, in a savepoint of the group's transaction
 * unless filling (apply_group()). */
static gboolean
apply_page (Pull         *pull,
            PctSyncPage  *page,
            guint64      *applied,
            guint64      *removed,
            GError      **error)
{
  PctStore *store = pull->run->store;
  gboolean filling = pull->fill != NULL;

  return (filling || pct_store_exec (store, "SAVEPOINT pct_sync_page", error)) &&
         apply_records (pull, page, applied, error) &&
         set_state (store, PCT_SYNC_STATE_CURSOR, page->cursor, error) &&
         (page->has_more || !pull->tracking ||
          (sweep (store, removed, error) &&
           set_state (store, PCT_SYNC_STATE_RESYNC, NULL, error))) &&
         (filling || pct_store_exec (store, "RELEASE pct_sync_page", error));
}

static void
summarize (Summary           *summary,
           const PctSyncPage *page)
{
  summary->bytes = page->bytes;
  summary->total = page->total;
  summary->has_more = page->has_more;
}

/* Whether another page may join the group: the feed goes on, the bounds
 * are not reached, and the run goes on. */
static gboolean
group_has_room (const Group   *group,
                GCancellable  *cancellable)
{
  return group->pages[group->n_pages - 1].has_more && group->n_pages < GROUP_MAX_PAGES &&
         group->n_records < GROUP_MAX_RECORDS && !g_cancellable_is_cancelled (cancellable);
}

/* Where the pages of a group come from: the pipe, or pages kept from a
 * group that could not be filled in (pipe NULL). */
typedef struct
{
  Pipe      *pipe;
  GPtrArray *kept;   /* Item */
  guint      next;
} Source;

static Item *
source_next (Source  *source,
             guint64  max_records)
{
  if (source->pipe != NULL)
    return pipe_try_pop_page (source->pipe, max_records);
  if (source->next < source->kept->len)
    return g_steal_pointer (&source->kept->pdata[source->next++]);
  return NULL;
}

/* Filling: see pct_record_fill_new(). Only between transactions can
 * foreign keys be switched; both switches expire every statement of
 * the connection, so none made for one way runs the other. */
static gboolean
start_filling (Pull    *pull,
               GError **error)
{
  PctStore *store = pull->run->store;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(PctRecordFill) fill = pct_record_fill_new (store, &local_error);

  if (fill == NULL)
    {
      if (local_error == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!pct_store_exec (store, "PRAGMA foreign_keys = OFF", error))
    return FALSE;
  sqlite3_db_config (pct_store_get_handle (store), SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
  pull->fill = g_steal_pointer (&fill);
  g_debug ("Filling the empty store");
  return TRUE;
}

static gboolean
stop_filling (Pull    *pull,
              GError **error)
{
  PctStore *store = pull->run->store;

  g_clear_pointer (&pull->fill, pct_record_fill_free);
  sqlite3_db_config (pct_store_get_handle (store), SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);
  return pct_store_exec (store, "PRAGMA foreign_keys = ON", error);
}

/* Applies the page of item and, while the next is already waiting and
 * the bounds allow, the pages after it, in one transaction: the cursor
 * stored is always that of the last page whose records are. A page that
 * fails is undone alone and the pages before it are committed, so that
 * a refused page costs nothing already received; then the run fails.
 *
 * While filling, pages have no savepoints of their own (each would make
 * FTS5 write out its pending terms, and SQLite copy the pages it changes)
 * and are kept until committed: should one fail, the transaction is
 * undone, filling stops, and the kept pages go again the usual way, which
 * gives a refusal its usual outcome. Each page is freed once applied. */
static gboolean
apply_group (Pull          *pull,
             Source        *source,
             Item          *item,
             Group         *group,
             GCancellable  *cancellable,
             GError       **error)
{
  PctStore *store = pull->run->store;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  gint64 started = g_get_monotonic_time ();
  gsize kept_bytes = 0;
  gint64 committing;
  guint n_good;

  if (pull->fill != NULL)
    kept = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);

  if (!pct_store_begin (store, error))
    {
      item_free (item);
      return FALSE;
    }

  while (item != NULL)
    {
      Summary *summary = &group->pages[group->n_pages++];
      gboolean applied;

      summarize (summary, item->page);
      applied = apply_page (pull, item->page, &summary->applied, &group->removed, &local_error);
      group->n_records += item->page->records->n_children;
      if (kept != NULL)
        {
          kept_bytes += item->page->bytes;
          g_ptr_array_add (kept, g_steal_pointer (&item));
        }
      else
        g_clear_pointer (&item, item_free);
      if (!applied || !group_has_room (group, cancellable) || kept_bytes >= FILL_MAX_KEPT_BYTES)
        break;
      item = source_next (source, GROUP_MAX_RECORDS - group->n_records);
    }

  if (local_error != NULL && kept != NULL)
    {
      Source again = { NULL, kept, 1 };

      g_debug ("Filling stopped: %s", local_error->message);
      pct_store_rollback (store);
      *group = (Group) { 0 };
      if (!stop_filling (pull, error))
        return FALSE;
      /* Their records were taken as they were written. */
      for (guint i = 0; i < kept->len; i++)
        {
          PctSyncPage *page = ((Item *) g_ptr_array_index (kept, i))->page;

          g_clear_pointer (&page->converted, g_ptr_array_unref);
          convert_records (page);
        }
      return apply_group (pull, &again, g_steal_pointer (&kept->pdata[0]), group, cancellable,
                          error);
    }

  n_good = group->n_pages;
  if (local_error != NULL)
    {
      n_good--;
      /* Should the page not come undone, nothing of the group may stay. */
      if (!pct_store_exec (store, "ROLLBACK TO pct_sync_page; RELEASE pct_sync_page", NULL))
        n_good = 0;
    }

  committing = g_get_monotonic_time ();
  if (n_good > 0 && pct_store_commit (store, local_error == NULL ? &local_error : NULL))
    group->n_committed = n_good;
  else
    pct_store_rollback (store);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_debug ("Applied %u pages of %" G_GUINT64_FORMAT " records in %.1f ms, %.1f ms of it "
           "committing", group->n_committed, group->n_records,
           (g_get_monotonic_time () - started) / 1000.0,
           (g_get_monotonic_time () - committing) / 1000.0);
  return TRUE;
}

/* done counts records applied, or pages when downloading only. */
static void
report_progress (Pull           *pull,
                 const Summary  *page,
                 guint64         done)
{
  PctSyncRun *run = pull->run;
  PctSyncReport *report = run->report;
  double seconds = (g_get_monotonic_time () - pull->started) / (double) G_USEC_PER_SEC;

  report->pages++;

  /* The first page may tell how much the feed holds from there on. */
  if (report->pages == 1 && page->total >= 0)
    pull->total = (guint64) page->total;
  if (pull->total > 0 && done > pull->total)
    pull->total = done;
  if (!page->has_more)
    pull->total = done;

  if (run->progress != NULL)
    run->progress (done, pull->total, seconds > 0 ? done / seconds : 0, run->progress_data);
}

/* Counts the pages of the group that were committed. FALSE when the
 * last of them ended the feed. */
static gboolean
report_group (Pull         *pull,
              const Group  *group,
              gboolean      download_only)
{
  PctSyncReport *report = pull->run->report;
  gboolean more = TRUE;

  for (guint i = 0; i < group->n_committed; i++)
    {
      const Summary *page = &group->pages[i];

      report->records_applied += page->applied;
      report->bytes += page->bytes;
      report_progress (pull, page, download_only ? report->pages + 1 : report->records_applied);
      more = page->has_more;
    }
  report->records_removed += group->removed;
  return more;
}

/* Runs the fetcher until the end of the feed or a failure. */
static gboolean
pump (Pull          *pull,
      const char    *cursor,
      gboolean       download_only,
      GCancellable  *cancellable,
      GError       **error)
{
  PctSyncRun *run = pull->run;
  g_autoptr(GCancellable) fetch_cancellable = g_cancellable_new ();
  Fetcher fetcher = { run, NULL, (char *) cursor, fetch_cancellable, download_only };
  Pipe pipe;
  GThread *thread;
  gulong handler;
  gboolean ok = TRUE;

  pipe_init (&pipe);
  fetcher.pipe = &pipe;
  handler = cancellable != NULL
    ? g_cancellable_connect (cancellable, G_CALLBACK (cancel_cb), fetch_cancellable, NULL) : 0;
  thread = g_thread_new ("pct-sync-fetch", fetch_thread, &fetcher);

  for (;;)
    {
      g_autoptr(Item) item = pipe_pop (&pipe);
      Group group = { 0 };

      if (item->error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&item->error));
          ok = FALSE;
          break;
        }
      if (item->page == NULL)
        break;   /* a long poll cut short */

      if (download_only)
        {
          summarize (&group.pages[group.n_pages++], item->page);
          group.n_committed = 1;
          g_clear_pointer (&item, item_free);
        }
      else
        {
          Source source = { &pipe, NULL, 0 };

          if (!apply_group (pull, &source, g_steal_pointer (&item), &group, cancellable, error))
            ok = FALSE;
        }

      if (!report_group (pull, &group, download_only) || !ok)
        break;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
    }

  pipe_close (&pipe);
  g_cancellable_cancel (fetch_cancellable);
  g_thread_join (thread);
  /* Which side held the other up: the slower stage is what to speed up. */
  g_debug ("The fetcher waited %.1f s for the applier, the applier %.1f s for pages",
           pipe.push_wait / (double) G_USEC_PER_SEC, pipe.pop_wait / (double) G_USEC_PER_SEC);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  pipe_clear (&pipe);
  return ok;
}

/* Decides where the feed is read from, and whether this is a resync. */
static gboolean
prepare (Pull       *pull,
         gboolean    reset,
         char      **cursor,
         GError    **error)
{
  PctStore *store = pull->run->store;
  g_autofree char *resync = get_state (store, PCT_SYNC_STATE_RESYNC);
  gboolean has_rows = FALSE;

  *cursor = reset ? NULL : get_state (store, PCT_SYNC_STATE_CURSOR);
  pull->tracking = FALSE;

  if (*cursor != NULL && resync == NULL)
    return TRUE;

  /* From the feed's start: an interrupted resync starts again too. */
  g_clear_pointer (cursor, g_free);
  pull->run->report->full = TRUE;

  if (resync == NULL && !store_has_rows (store, &has_rows, error))
    return FALSE;
  if (resync == NULL && !has_rows)
    return TRUE;

  pull->tracking = TRUE;
  if (!pct_store_begin (store, error))
    return FALSE;
  if (!set_state (store, PCT_SYNC_STATE_RESYNC, "1", error) ||
      !set_state (store, PCT_SYNC_STATE_CURSOR, NULL, error) ||
      !pct_store_commit (store, error))
    {
      pct_store_rollback (store);
      return FALSE;
    }
  return TRUE;
}

/* Reads the whole feed into an empty store, filling it for as long as
 * that goes. */
static gboolean
pump_filling (Pull          *pull,
              GCancellable  *cancellable,
              GError       **error)
{
  gboolean ok = start_filling (pull, error) && pump (pull, NULL, FALSE, cancellable, error);

  if (pull->fill != NULL && !stop_filling (pull, ok ? error : NULL))
    ok = FALSE;
  return ok;
}

/* Reading the whole feed (cursor NULL) fills the whole store: the
 * connection is tuned for that while it lasts, failures included. */
static gboolean
pump_into_store (Pull          *pull,
                 const char    *cursor,
                 GCancellable  *cancellable,
                 GError       **error)
{
  PctStore *store = pull->run->store;
  Tuning saved;
  gboolean ok;

  if (cursor != NULL)
    return pump (pull, cursor, FALSE, cancellable, error);

  if (!tune_for_full_sync (store, &saved, error))
    return FALSE;
  /* Temporary tables go when temp_store changes: the notes of a resync
   * are made once it has. An empty store is filled. */
  if (pull->tracking)
    ok = pct_store_exec (store, CREATE_SEEN, error) &&
         pct_store_exec (store, "DELETE FROM temp.sync_seen", error) &&
         pump (pull, NULL, FALSE, cancellable, error);
  else
    ok = pump_filling (pull, cancellable, error);
  restore_tuning (store, &saved);
  return ok;
}

gboolean
_pct_sync_pull (PctSyncRun    *run,
                GCancellable  *cancellable,
                GError       **error)
{
  Pull pull = { run, FALSE, g_get_monotonic_time (), 0 };
  g_autoptr(GError) local_error = NULL;
  g_autofree char *cursor = NULL;

  if (!prepare (&pull, FALSE, &cursor, error))
    return FALSE;

  if (pump_into_store (&pull, cursor, cancellable, &local_error))
    return TRUE;

  /* The server's feed was reset (restored, reseeded): once per run, the
   * whole feed again, removing what it no longer has. */
  if (!g_error_matches (local_error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_CURSOR_RESET) ||
      cursor == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_debug ("%s; syncing the whole feed again", local_error->message);
  g_clear_error (&local_error);
  g_clear_pointer (&cursor, g_free);
  if (!prepare (&pull, TRUE, &cursor, error))
    return FALSE;
  /* A store that had a cursor has rows: this is a resync. */
  return pump_into_store (&pull, NULL, cancellable, error);
}

gboolean
_pct_sync_download (PctSyncRun    *run,
                    GCancellable  *cancellable,
                    GError       **error)
{
  Pull pull = { run, FALSE, g_get_monotonic_time (), 0 };

  run->report->full = TRUE;
  return pump (&pull, NULL, TRUE, cancellable, error);
}
