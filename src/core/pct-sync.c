/* pct-sync.c — the sync client: pushes the outbox, pulls the changes feed
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A PctSync holds the settings of one server profile, the session with
 * that server (kept in memory only) and the status shown to people. The
 * work itself never runs on the thread that made the object: a run is
 * either blocking in the caller's thread (precinct-tool, tests) or in a
 * worker (pct_sync_run_async(), live mode), and it opens its own
 * connection to the store. Status changes travel back to the object's
 * main context, where the properties change and notify.
 *
 * One run at a time: a second waits for the first, so that two runs never
 * push the same outbox rows or write the cursor over each other.
 *
 * docs/sync.md describes the behaviour as a whole.
 */

#define G_LOG_DOMAIN "pct-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pct-sync-private.h"

struct _PctSync
{
  GObject        parent_instance;

  GMainContext  *context;          /* where status is delivered */
  GThread       *owner;            /* the thread that made the object */

  /* Settings: set on the object's thread, read by runs under the mutex. */
  GMutex         settings_mutex;
  char          *store_path;
  char          *server_url;
  char          *ca_file;
  char          *user;             /* a copy of the auth's, for the getter */
  guint          page_limit;
  guint          timeout;
  guint          max_attempts;
  guint          backoff_min_ms;
  guint          backoff_max_ms;
  guint          poll_wait;
  PctSyncAuth   *auth;

  GMutex         run_mutex;        /* held for the length of a run */

  /* Status, on the object's thread only. */
  PctSyncState   state;
  guint64        records_done;
  guint64        records_total;
  int            eta;
  gint64         offline_since;
  char          *error_message;
  gint64         last_synced;
  gboolean       live;

  PctSyncLive   *live_mode;
};

typedef enum
{
  UPDATE_STATE,
  UPDATE_PROGRESS,
  UPDATE_LIVE,
} UpdateKind;

/* A status change on its way to the object's context. */
typedef struct
{
  PctSync       *self;
  UpdateKind     kind;
  PctSyncState   state;
  char          *message;
  gboolean       offline;
  guint64        done;
  guint64        total;
  double         rate;
  gboolean       live;
} Update;

typedef struct
{
  PctSyncRunFlags  flags;
  PctSyncReport    report;
} AsyncRun;

G_DEFINE_FINAL_TYPE (PctSync, pct_sync, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STORE_PATH,
  PROP_SERVER_URL,
  PROP_CA_FILE,
  PROP_USER,
  PROP_PAGE_LIMIT,
  PROP_TIMEOUT,
  PROP_MAX_ATTEMPTS,
  PROP_POLL_WAIT,
  PROP_STATE,
  PROP_RECORDS_DONE,
  PROP_RECORDS_TOTAL,
  PROP_ETA,
  PROP_OFFLINE_SINCE,
  PROP_ERROR_MESSAGE,
  PROP_LAST_SYNCED,
  PROP_LIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_PAGE_LIMIT      2000
#define MAX_PAGE_LIMIT          10000
#define DEFAULT_TIMEOUT         30       /* seconds */
#define DEFAULT_MAX_ATTEMPTS    6
#define DEFAULT_BACKOFF_MIN_MS  1000
#define DEFAULT_BACKOFF_MAX_MS  (5 * 60 * 1000)
#define DEFAULT_POLL_WAIT       30       /* seconds; the API allows up to 60 */
#define MAX_POLL_WAIT           60

GType
pct_sync_state_get_type (void)
{
  static gsize type_id = 0;
  static const GEnumValue values[] = {
    { PCT_SYNC_STATE_IDLE, "PCT_SYNC_STATE_IDLE", "idle" },
    { PCT_SYNC_STATE_SYNCING, "PCT_SYNC_STATE_SYNCING", "syncing" },
    { PCT_SYNC_STATE_ONLINE, "PCT_SYNC_STATE_ONLINE", "online" },
    { PCT_SYNC_STATE_OFFLINE, "PCT_SYNC_STATE_OFFLINE", "offline" },
    { PCT_SYNC_STATE_ERROR, "PCT_SYNC_STATE_ERROR", "error" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&type_id))
    {
      GType id = g_enum_register_static (g_intern_static_string ("PctSyncState"), values);

      g_once_init_leave (&type_id, id);
    }

  return type_id;
}

static void
update_free (Update *update)
{
  g_object_unref (update->self);
  g_free (update->message);
  g_free (update);
}

static void
set_state (PctSync      *self,
           PctSyncState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_error_message (PctSync    *self,
                   const char *message)
{
  if (g_strcmp0 (self->error_message, message) == 0)
    return;
  g_free (self->error_message);
  self->error_message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

static void
set_offline_since (PctSync *self,
                   gint64   since)
{
  if (self->offline_since == since)
    return;
  self->offline_since = since;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE_SINCE]);
}

static void
set_progress (PctSync *self,
              guint64  done,
              guint64  total,
              int      eta)
{
  if (self->records_done != done)
    {
      self->records_done = done;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORDS_DONE]);
    }
  if (self->records_total != total)
    {
      self->records_total = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORDS_TOTAL]);
    }
  if (self->eta != eta)
    {
      self->eta = eta;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETA]);
    }
}

static void
apply_state_update (PctSync *self,
                    Update  *update)
{
  g_object_freeze_notify (G_OBJECT (self));

  switch (update->state)
    {
    case PCT_SYNC_STATE_SYNCING:
      set_progress (self, 0, 0, -1);
      break;

    case PCT_SYNC_STATE_ONLINE:
      self->last_synced = g_get_real_time () / G_USEC_PER_SEC;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SYNCED]);
      set_offline_since (self, 0);
      set_error_message (self, NULL);
      set_progress (self, self->records_done, self->records_done, 0);
      break;

    case PCT_SYNC_STATE_OFFLINE:
      if (self->offline_since == 0)
        set_offline_since (self, g_get_real_time () / G_USEC_PER_SEC);
      set_error_message (self, update->message);
      set_progress (self, self->records_done, self->records_total, -1);
      break;

    case PCT_SYNC_STATE_ERROR:
      set_offline_since (self, 0);
      set_error_message (self, update->message);
      set_progress (self, self->records_done, self->records_total, -1);
      break;

    case PCT_SYNC_STATE_IDLE:
    default:
      break;
    }

  set_state (self, update->state);
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
apply_update_cb (gpointer user_data)
{
  Update *update = user_data;
  PctSync *self = update->self;

  switch (update->kind)
    {
    case UPDATE_STATE:
      apply_state_update (self, update);
      break;

    case UPDATE_PROGRESS:
      {
        int eta = -1;

        if (update->total > 0 && update->rate > 0 && update->total >= update->done)
          eta = (int) MIN ((update->total - update->done) / update->rate + 0.5, G_MAXINT);
        g_object_freeze_notify (G_OBJECT (self));
        set_progress (self, update->done, update->total, eta);
        g_object_thaw_notify (G_OBJECT (self));
      }
      break;

    case UPDATE_LIVE:
      if (self->live != update->live)
        {
          self->live = update->live;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE]);
        }
      break;

    default:
      break;
    }

  return G_SOURCE_REMOVE;
}

/* Applies at once on the object's own thread; from any other, through
 * its context, even when that context happens to be free to acquire (as
 * the default one is before the application's loop runs). */
static void
post (PctSync *self,
      Update  *update)
{
  g_autoptr(GSource) source = NULL;

  update->self = g_object_ref (self);
  if (g_thread_self () == self->owner)
    {
      apply_update_cb (update);
      update_free (update);
      return;
    }

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, apply_update_cb, update, (GDestroyNotify) update_free);
  g_source_set_static_name (source, "[pct-sync] status");
  g_source_attach (source, self->context);
}

void
_pct_sync_post_state (PctSync      *self,
                      PctSyncState  state,
                      const GError *error)
{
  Update *update = g_new0 (Update, 1);

  update->kind = UPDATE_STATE;
  update->state = state;
  update->message = error != NULL ? g_strdup (error->message) : NULL;
  post (self, update);
}

void
_pct_sync_post_live (PctSync  *self,
                     gboolean  live)
{
  Update *update = g_new0 (Update, 1);

  update->kind = UPDATE_LIVE;
  update->live = live;
  post (self, update);
}

static void
progress_cb (guint64  done,
             guint64  total,
             double   rate,
             gpointer user_data)
{
  PctSync *self = user_data;
  Update *update = g_new0 (Update, 1);

  update->kind = UPDATE_PROGRESS;
  update->done = done;
  update->total = total;
  update->rate = rate;
  post (self, update);
}

void
_pct_sync_dup_config (PctSync       *self,
                      PctSyncConfig *config)
{
  g_mutex_lock (&self->settings_mutex);
  config->store_path = g_strdup (self->store_path);
  config->server_url = g_strdup (self->server_url);
  config->ca_file = g_strdup (self->ca_file);
  config->page_limit = self->page_limit;
  config->timeout = self->timeout;
  config->max_attempts = self->max_attempts;
  config->backoff_min_ms = self->backoff_min_ms;
  config->backoff_max_ms = self->backoff_max_ms;
  g_mutex_unlock (&self->settings_mutex);
}

PctSyncAuth *
_pct_sync_get_auth (PctSync *self)
{
  return self->auth;
}

/* Push then pull, or download only; with the run lock held. */
static gboolean
run_locked (PctSyncRun    *run,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree char *token = NULL;

  /* Signed in first: a refused password leaves the outbox as it was. */
  token = _pct_sync_http_dup_token (run->http, cancellable, error);
  if (token == NULL)
    return FALSE;

  if (run->flags & PCT_SYNC_RUN_DOWNLOAD_ONLY)
    return _pct_sync_download (run, cancellable, error);

  return _pct_sync_push (run, cancellable, error) &&
         _pct_sync_pull (run, cancellable, error);
}

gboolean
_pct_sync_run_blocking (PctSync          *self,
                        PctSyncRunFlags   flags,
                        guint             wait,
                        GCancellable     *wait_cancellable,
                        PctSyncReport    *report,
                        GCancellable     *cancellable,
                        GError          **error)
{
  PctSyncConfig config = { 0 };
  PctSyncReport local_report = { 0 };
  PctSyncRun run = { 0 };
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) local_error = NULL;
  PctSyncHttp *http = NULL;
  gint64 started = g_get_monotonic_time ();
  gboolean ok = FALSE;

  if (report == NULL)
    report = &local_report;
  memset (report, 0, sizeof *report);

  _pct_sync_dup_config (self, &config);
  /* A long poll mostly waits: that is not syncing. */
  if (wait == 0)
    _pct_sync_post_state (self, PCT_SYNC_STATE_SYNCING, NULL);

  g_mutex_lock (&self->run_mutex);

  http = _pct_sync_http_new (&config, self->auth, wait, &local_error);
  if (http == NULL)
    goto out;

  if ((flags & PCT_SYNC_RUN_DOWNLOAD_ONLY) == 0)
    {
      store = pct_store_open (config.store_path, PCT_STORE_OPEN_CREATE, &local_error);
      if (store == NULL)
        goto out;
    }

  run.config = &config;
  run.http = http;
  run.store = store;
  run.flags = flags;
  run.wait = wait;
  run.wait_cancellable = wait_cancellable;
  run.progress = progress_cb;
  run.progress_data = self;
  run.report = report;

  ok = run_locked (&run, cancellable, &local_error);

out:
  if (http != NULL)
    {
      report->retries = _pct_sync_http_get_retries (http);
      _pct_sync_http_free (http);
    }
  g_clear_object (&store);
  g_mutex_unlock (&self->run_mutex);
  report->seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  _pct_sync_config_clear (&config);

  if (ok)
    _pct_sync_post_state (self, PCT_SYNC_STATE_ONLINE, NULL);
  else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _pct_sync_post_state (self, PCT_SYNC_STATE_IDLE, NULL);
  else
    _pct_sync_post_state (self, _pct_sync_error_is_offline (local_error)
                                ? PCT_SYNC_STATE_OFFLINE : PCT_SYNC_STATE_ERROR,
                          local_error);

  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  PctSync *self = source_object;
  AsyncRun *async_run = task_data;
  GError *error = NULL;

  if (_pct_sync_run_blocking (self, async_run->flags, 0, NULL, &async_run->report, cancellable,
                              &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
pct_sync_dispose (GObject *object)
{
  PctSync *self = (PctSync *) object;

  g_clear_pointer (&self->live_mode, _pct_sync_live_stop);

  G_OBJECT_CLASS (pct_sync_parent_class)->dispose (object);
}

static void
pct_sync_finalize (GObject *object)
{
  PctSync *self = (PctSync *) object;

  g_clear_pointer (&self->auth, _pct_sync_auth_free);
  g_clear_pointer (&self->store_path, g_free);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->settings_mutex);
  g_mutex_clear (&self->run_mutex);

  G_OBJECT_CLASS (pct_sync_parent_class)->finalize (object);
}

static void
pct_sync_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  PctSync *self = PCT_SYNC (object);

  switch (prop_id)
    {
    case PROP_STORE_PATH:
      g_value_set_string (value, self->store_path);
      break;

    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;

    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;

    case PROP_USER:
      g_value_set_string (value, self->user);
      break;

    case PROP_PAGE_LIMIT:
      g_value_set_uint (value, self->page_limit);
      break;

    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;

    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;

    case PROP_POLL_WAIT:
      g_value_set_uint (value, self->poll_wait);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_RECORDS_DONE:
      g_value_set_uint64 (value, self->records_done);
      break;

    case PROP_RECORDS_TOTAL:
      g_value_set_uint64 (value, self->records_total);
      break;

    case PROP_ETA:
      g_value_set_int (value, self->eta);
      break;

    case PROP_OFFLINE_SINCE:
      g_value_set_int64 (value, self->offline_since);
      break;

    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;

    case PROP_LAST_SYNCED:
      g_value_set_int64 (value, self->last_synced);
      break;

    case PROP_LIVE:
      g_value_set_boolean (value, self->live);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_sync_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  PctSync *self = PCT_SYNC (object);

  switch (prop_id)
    {
    case PROP_STORE_PATH:
      self->store_path = g_value_dup_string (value);
      break;

    case PROP_SERVER_URL:
      self->server_url = g_value_dup_string (value);
      break;

    case PROP_CA_FILE:
      pct_sync_set_ca_file (self, g_value_get_string (value));
      break;

    case PROP_USER:
      pct_sync_set_user (self, g_value_get_string (value));
      break;

    case PROP_PAGE_LIMIT:
      pct_sync_set_page_limit (self, g_value_get_uint (value));
      break;

    case PROP_TIMEOUT:
      pct_sync_set_timeout (self, g_value_get_uint (value));
      break;

    case PROP_MAX_ATTEMPTS:
      pct_sync_set_max_attempts (self, g_value_get_uint (value));
      break;

    case PROP_POLL_WAIT:
      pct_sync_set_poll_wait (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_sync_class_init (PctSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pct_sync_dispose;
  object_class->finalize = pct_sync_finalize;
  object_class->get_property = pct_sync_get_property;
  object_class->set_property = pct_sync_set_property;

  /* The store file; created by the first run when missing. */
  properties[PROP_STORE_PATH] =
    g_param_spec_string ("store-path", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* https://host:port/ of the server (the /api/v1/ prefix may be given). */
  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* A PEM file of authorities trusted besides the system's. */
  properties[PROP_CA_FILE] =
    g_param_spec_string ("ca-file", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_USER] =
    g_param_spec_string ("user", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Records asked for per page of the feed. */
  properties[PROP_PAGE_LIMIT] =
    g_param_spec_uint ("page-limit", NULL, NULL,
                       1, MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Seconds a request may go without a byte before it fails. */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       1, 3600, DEFAULT_TIMEOUT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Times one request is tried before the run fails; 0 for no limit. */
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_MAX_ATTEMPTS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Seconds a long poll of the feed waits, where live mode has no
   * WebSocket. */
  properties[PROP_POLL_WAIT] =
    g_param_spec_uint ("poll-wait", NULL, NULL,
                       1, MAX_POLL_WAIT, DEFAULT_POLL_WAIT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       PCT_TYPE_SYNC_STATE, PCT_SYNC_STATE_IDLE,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Records applied by the run under way (or the last one). */
  properties[PROP_RECORDS_DONE] =
    g_param_spec_uint64 ("records-done", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Records the run will apply in all, when the server said; 0 unknown. */
  properties[PROP_RECORDS_TOTAL] =
    g_param_spec_uint64 ("records-total", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Seconds the run should still take, from its rate; -1 unknown. */
  properties[PROP_ETA] =
    g_param_spec_int ("eta", NULL, NULL,
                      -1, G_MAXINT, -1,
                      (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Unix seconds since the server could not be reached; 0 when it can. */
  properties[PROP_OFFLINE_SINCE] =
    g_param_spec_int64 ("offline-since", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Why the last run failed, for people; NULL after a success. */
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Unix seconds of the last successful run; 0 for none yet. */
  properties[PROP_LAST_SYNCED] =
    g_param_spec_int64 ("last-synced", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Whether live mode hears of changes as they happen (a WebSocket, or
   * long polling). */
  properties[PROP_LIVE] =
    g_param_spec_boolean ("live", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pct_sync_init (PctSync *self)
{
  g_mutex_init (&self->settings_mutex);
  g_mutex_init (&self->run_mutex);
  self->context = g_main_context_ref_thread_default ();
  self->owner = g_thread_self ();
  self->auth = _pct_sync_auth_new ();
  self->page_limit = DEFAULT_PAGE_LIMIT;
  self->timeout = DEFAULT_TIMEOUT;
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->backoff_min_ms = DEFAULT_BACKOFF_MIN_MS;
  self->backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
  self->poll_wait = DEFAULT_POLL_WAIT;
  self->eta = -1;
}

/**
 * pct_sync_new:
 * @store_path: the store file
 * @server_url: https://host:port/ of a server speaking docs/api.md
 */
PctSync *
pct_sync_new (const char *store_path,
              const char *server_url)
{
  g_return_val_if_fail (store_path != NULL, NULL);
  g_return_val_if_fail (server_url != NULL, NULL);

  return g_object_new (PCT_TYPE_SYNC,
                       "store-path", store_path,
                       "server-url", server_url,
                       NULL);
}

const char *
pct_sync_get_store_path (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), NULL);

  return self->store_path;
}

const char *
pct_sync_get_server_url (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), NULL);

  return self->server_url;
}

const char *
pct_sync_get_ca_file (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), NULL);

  return self->ca_file;
}

/* Takes effect from the next run. */
void
pct_sync_set_ca_file (PctSync    *self,
                      const char *ca_file)
{
  g_return_if_fail (PCT_IS_SYNC (self));

  if (g_strcmp0 (self->ca_file, ca_file) == 0)
    return;

  g_mutex_lock (&self->settings_mutex);
  g_free (self->ca_file);
  self->ca_file = g_strdup (ca_file);
  g_mutex_unlock (&self->settings_mutex);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CA_FILE]);
}

const char *
pct_sync_get_user (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), NULL);

  return self->user;
}

/* Signs out of the session of the previous user, if any. */
void
pct_sync_set_user (PctSync    *self,
                   const char *user)
{
  g_return_if_fail (PCT_IS_SYNC (self));

  if (g_strcmp0 (self->user, user) == 0)
    return;

  g_free (self->user);
  self->user = g_strdup (user);
  _pct_sync_auth_set_user (self->auth, user);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
}

void
pct_sync_set_password (PctSync    *self,
                       const char *password)
{
  g_return_if_fail (PCT_IS_SYNC (self));

  _pct_sync_auth_set_password (self->auth, password);
}

void
pct_sync_set_password_func (PctSync             *self,
                            PctSyncPasswordFunc  func,
                            gpointer             user_data,
                            GDestroyNotify       destroy)
{
  g_return_if_fail (PCT_IS_SYNC (self));

  _pct_sync_auth_set_password_func (self->auth, func, user_data, destroy);
}

guint
pct_sync_get_page_limit (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), 0);

  return self->page_limit;
}

void
pct_sync_set_page_limit (PctSync *self,
                         guint    limit)
{
  g_return_if_fail (PCT_IS_SYNC (self));
  g_return_if_fail (limit >= 1 && limit <= MAX_PAGE_LIMIT);

  if (self->page_limit == limit)
    return;

  g_mutex_lock (&self->settings_mutex);
  self->page_limit = limit;
  g_mutex_unlock (&self->settings_mutex);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE_LIMIT]);
}

guint
pct_sync_get_timeout (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), 0);

  return self->timeout;
}

void
pct_sync_set_timeout (PctSync *self,
                      guint    seconds)
{
  g_return_if_fail (PCT_IS_SYNC (self));
  g_return_if_fail (seconds >= 1);

  if (self->timeout == seconds)
    return;

  g_mutex_lock (&self->settings_mutex);
  self->timeout = seconds;
  g_mutex_unlock (&self->settings_mutex);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

guint
pct_sync_get_max_attempts (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), 0);

  return self->max_attempts;
}

void
pct_sync_set_max_attempts (PctSync *self,
                           guint    attempts)
{
  g_return_if_fail (PCT_IS_SYNC (self));

  if (self->max_attempts == attempts)
    return;

  g_mutex_lock (&self->settings_mutex);
  self->max_attempts = attempts;
  g_mutex_unlock (&self->settings_mutex);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_ATTEMPTS]);
}

/**
 * pct_sync_set_backoff:
 * @min_ms: the bound of the first delay before a retry
 * @max_ms: the bound the doubling stops at
 *
 * Delays are drawn at random up to the bound (full jitter), and never
 * shorter than the server's Retry-After. The defaults, 1 s and 5 min, are
 * those of docs/api.md.
 */
void
pct_sync_set_backoff (PctSync *self,
                      guint    min_ms,
                      guint    max_ms)
{
  g_return_if_fail (PCT_IS_SYNC (self));
  g_return_if_fail (min_ms <= max_ms);

  g_mutex_lock (&self->settings_mutex);
  self->backoff_min_ms = min_ms;
  self->backoff_max_ms = max_ms;
  g_mutex_unlock (&self->settings_mutex);
}

guint
pct_sync_get_poll_wait (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), 0);

  return self->poll_wait;
}

void
pct_sync_set_poll_wait (PctSync *self,
                        guint    seconds)
{
  g_return_if_fail (PCT_IS_SYNC (self));
  g_return_if_fail (seconds >= 1 && seconds <= MAX_POLL_WAIT);

  if (self->poll_wait == seconds)
    return;

  g_mutex_lock (&self->settings_mutex);
  self->poll_wait = seconds;
  g_mutex_unlock (&self->settings_mutex);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POLL_WAIT]);
}

/* For live mode, which reads it from its thread. */
guint
_pct_sync_dup_poll_wait (PctSync *self)
{
  guint wait;

  g_mutex_lock (&self->settings_mutex);
  wait = self->poll_wait;
  g_mutex_unlock (&self->settings_mutex);
  return wait;
}

PctSyncState
pct_sync_get_state (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), PCT_SYNC_STATE_IDLE);

  return self->state;
}

guint64
pct_sync_get_records_done (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), 0);

  return self->records_done;
}

guint64
pct_sync_get_records_total (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), 0);

  return self->records_total;
}

int
pct_sync_get_eta (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), -1);

  return self->eta;
}

gint64
pct_sync_get_offline_since (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), 0);

  return self->offline_since;
}

const char *
pct_sync_get_error_message (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), NULL);

  return self->error_message;
}

gint64
pct_sync_get_last_synced (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), 0);

  return self->last_synced;
}

gboolean
pct_sync_get_live (PctSync *self)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), FALSE);

  return self->live;
}

/**
 * pct_sync_run_sync:
 * @report: (out caller-allocates) (optional): what the run did, also when
 *   it failed
 *
 * Status reaches the properties on the object's context; when that is
 * the calling thread's, as in a command-line program, at once.
 */
gboolean
pct_sync_run_sync (PctSync          *self,
                   PctSyncRunFlags   flags,
                   PctSyncReport    *report,
                   GCancellable     *cancellable,
                   GError          **error)
{
  g_return_val_if_fail (PCT_IS_SYNC (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  return _pct_sync_run_blocking (self, flags, 0, NULL, report, cancellable, error);
}

void
pct_sync_run_async (PctSync             *self,
                    PctSyncRunFlags      flags,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  AsyncRun *async_run;

  g_return_if_fail (PCT_IS_SYNC (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  async_run = g_new0 (AsyncRun, 1);
  async_run->flags = flags;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pct_sync_run_async);
  g_task_set_task_data (task, async_run, g_free);
  g_task_run_in_thread (task, run_thread);
}

/**
 * pct_sync_run_finish:
 * @report: (out caller-allocates) (optional): what the run did, also when
 *   it failed
 */
gboolean
pct_sync_run_finish (PctSync        *self,
                     GAsyncResult   *result,
                     PctSyncReport  *report,
                     GError        **error)
{
  AsyncRun *async_run;

  g_return_val_if_fail (PCT_IS_SYNC (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pct_sync_run_async, FALSE);

  async_run = g_task_get_task_data (G_TASK (result));
  if (report != NULL)
    *report = async_run->report;
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
pct_sync_start (PctSync *self)
{
  g_return_if_fail (PCT_IS_SYNC (self));

  if (self->live_mode == NULL)
    self->live_mode = _pct_sync_live_start (self);
}

/* Returns once the live thread has ended; a run under way is cancelled. */
void
pct_sync_stop (PctSync *self)
{
  g_return_if_fail (PCT_IS_SYNC (self));

  g_clear_pointer (&self->live_mode, _pct_sync_live_stop);
}

/* In live mode, a sync soon: now, or after the one under way. Outside
 * live mode there is nobody to ask; pct_sync_run_async() is the way. */
void
pct_sync_request (PctSync *self)
{
  g_return_if_fail (PCT_IS_SYNC (self));

  if (self->live_mode != NULL)
    _pct_sync_live_request (self->live_mode);
}
