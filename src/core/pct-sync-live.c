/* pct-sync-live.c — live mode: the server's WebSocket, or long polling
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Live mode has a thread of its own with its own main context, on which
 * the WebSocket to /api/v1/live lives. Its messages are only a signal:
 * on "hello" and "changes" a run is started (in a worker, so the socket
 * keeps being served), and the run pulls the feed from the stored cursor,
 * which stays the one source of truth.
 *
 *   - A run asked for while one is under way runs once more after it.
 *   - A failed run is tried again after a delay drawn with full jitter
 *     from an exponential bound (1 s … 5 min by default).
 *   - A closed socket is opened again with the same backoff. libsoup
 *     answers the server's pings without a word, so the client pings too,
 *     every 30 seconds, and counts the pongs as heard: "heard nothing for
 *     90 seconds" then means a dead link, not a quiet district.
 *   - Where no WebSocket can be opened (the server answers the upgrade
 *     with something else, as a proxy in the way does, or three attempts
 *     fail), runs follow one another with a long poll on their first
 *     page; every ten minutes the socket is tried again.
 */

#define G_LOG_DOMAIN "pct-sync"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pct-json.h"
#include "pct-record.h"
#include "pct-sync-private.h"
#include "pct-tls.h"
#include "pct-tls-handshakes.h"

struct _PctSyncLive
{
  PctSync                  *sync;             /* borrowed: it stops us first */
  GThread                  *thread;
  GMainContext             *context;
  GMainLoop                *loop;
  GCancellable             *cancellable;      /* cancelled by stop */

  /* The rest belongs to the live thread. */
  SoupSession              *session;
  PctTlsKeeper             *tls_keeper;
  GTlsDatabase             *ca_database;
  SoupWebsocketConnection  *socket;
  gboolean                  connecting;
  gboolean                  polling;
  gint64                    polling_since;    /* monotonic µs */
  gboolean                  running;
  gboolean                  again;
  GCancellable             *wait_cancellable; /* ends the long poll under way */
  guint                     run_failures;
  guint                     socket_failures;
  GSource                  *run_timer;
  GSource                  *connect_timer;
  GSource                  *watchdog;
  gint64                    last_heard;       /* monotonic µs */
  gboolean                  stopping;
};

typedef struct
{
  PctSyncLive   *live;
  guint          wait;
  GCancellable  *wait_cancellable;
  gint64         started;
} LiveRun;

/* Silence after which the socket is taken for dead (docs/api.md). */
#define SILENCE_LIMIT_S        90
#define WATCHDOG_INTERVAL_S    10
#define KEEPALIVE_INTERVAL_S   30
#define SOCKET_FAILURES_LIMIT  3
#define POLLING_RETRY_S        (10 * 60)
/* Long polls that return at once (a server ignoring `wait`) follow each
 * other no faster than this. */
#define MIN_POLL_INTERVAL_MS   1000

static void request_run    (PctSyncLive *live);
static void connect_socket (PctSyncLive *live);

/* Stopping waits for the run and the connection attempt under way, which
 * report on this thread's context. */
static void
maybe_quit (PctSyncLive *live)
{
  if (live->stopping && !live->running && !live->connecting)
    g_main_loop_quit (live->loop);
}

static void
live_run_free (LiveRun *live_run)
{
  g_clear_object (&live_run->wait_cancellable);
  g_free (live_run);
}

static void
clear_timer (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static GSource *
add_timer (PctSyncLive *live,
           guint        ms,
           GSourceFunc  func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, live, NULL);
  g_source_attach (source, live->context);
  return source;
}

static guint
backoff (PctSyncLive *live,
         guint        failures)
{
  PctSyncConfig config = { 0 };
  guint delay;

  _pct_sync_dup_config (live->sync, &config);
  delay = _pct_sync_backoff_delay (failures, config.backoff_min_ms, config.backoff_max_ms, 0);
  _pct_sync_config_clear (&config);
  return delay;
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  LiveRun *live_run = task_data;
  GError *error = NULL;

  if (_pct_sync_run_blocking (live_run->live->sync, PCT_SYNC_RUN_DEFAULT, live_run->wait,
                              live_run->wait_cancellable, NULL, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
run_timer_cb (gpointer user_data)
{
  PctSyncLive *live = user_data;

  g_clear_pointer (&live->run_timer, g_source_unref);
  request_run (live);
  return G_SOURCE_REMOVE;
}

static gboolean
connect_timer_cb (gpointer user_data)
{
  PctSyncLive *live = user_data;

  g_clear_pointer (&live->connect_timer, g_source_unref);
  connect_socket (live);
  return G_SOURCE_REMOVE;
}

static void
schedule_connect (PctSyncLive *live)
{
  if (live->stopping || live->connect_timer != NULL)
    return;
  live->socket_failures++;
  live->connect_timer = add_timer (live, backoff (live, live->socket_failures), connect_timer_cb);
}

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  PctSyncLive *live = user_data;
  LiveRun *live_run = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  gint64 took_ms = (g_get_monotonic_time () - live_run->started) / 1000;

  live->running = FALSE;
  g_clear_object (&live->wait_cancellable);

  if (live->stopping)
    {
      maybe_quit (live);
      return;
    }

  if (!ok)
    {
      live->run_failures++;
      g_debug ("Live sync failed (%s); again in a while", error->message);
      clear_timer (&live->run_timer);
      live->run_timer = add_timer (live, backoff (live, live->run_failures), run_timer_cb);
      return;
    }

  live->run_failures = 0;

  if (live->polling && g_get_monotonic_time () - live->polling_since >
                       (gint64) POLLING_RETRY_S * G_USEC_PER_SEC)
    {
      live->polling = FALSE;
      live->socket_failures = 0;
    }

  if (!live->polling && live->socket == NULL && !live->connecting && live->connect_timer == NULL)
    connect_socket (live);

  if (live->again)
    request_run (live);
  else if (live->polling && live->run_timer == NULL)
    live->run_timer = add_timer (live, took_ms >= MIN_POLL_INTERVAL_MS ? 0 : MIN_POLL_INTERVAL_MS,
                                 run_timer_cb);
}

/* Closing a socket twice (the server closed it first) is an error. */
static void
close_socket (SoupWebsocketConnection *socket)
{
  if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
}

static void
start_run (PctSyncLive *live)
{
  g_autoptr(GTask) task = NULL;
  LiveRun *live_run = g_new0 (LiveRun, 1);

  live->running = TRUE;
  live->again = FALSE;
  live->wait_cancellable = g_cancellable_new ();

  live_run->live = live;
  live_run->wait = live->polling && live->run_failures == 0 ? _pct_sync_dup_poll_wait (live->sync)
                                                            : 0;
  live_run->wait_cancellable = g_object_ref (live->wait_cancellable);
  live_run->started = g_get_monotonic_time ();

  task = g_task_new (NULL, live->cancellable, run_done_cb, live);
  g_task_set_source_tag (task, start_run);
  g_task_set_task_data (task, live_run, (GDestroyNotify) live_run_free);
  g_task_run_in_thread (task, run_thread);
}

static void
request_run (PctSyncLive *live)
{
  if (live->stopping)
    return;

  if (live->running)
    {
      /* A long poll under way would hold the new run back: it ends now. */
      live->again = TRUE;
      if (live->wait_cancellable != NULL)
        g_cancellable_cancel (live->wait_cancellable);
      return;
    }

  clear_timer (&live->run_timer);
  start_run (live);
}

static void
start_polling (PctSyncLive *live,
               const char  *why)
{
  g_debug ("No WebSocket (%s); long polling instead", why);
  live->polling = TRUE;
  live->polling_since = g_get_monotonic_time ();
  _pct_sync_post_live (live->sync, TRUE);
  request_run (live);
}

static void
socket_message_cb (SoupWebsocketConnection *socket,
                   int                      type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  PctSyncLive *live = user_data;
  g_autoptr(PctJson) json = NULL;
  gsize size;
  const char *text = g_bytes_get_data (message, &size);
  const PctJsonNode *root;
  const PctJsonNode *kind;

  live->last_heard = g_get_monotonic_time ();

  if (type != SOUP_WEBSOCKET_DATA_TEXT || text == NULL)
    return;

  /* Read as strictly as a page, and never deeper than a page may nest: a
   * message of a hundred thousand brackets must not take the stack. */
  json = pct_json_new_from_text (text, size, PCT_RECORD_MAX_DEPTH);
  if (json == NULL)
    {
      g_debug ("A live message that is not strict JSON was ignored");
      return;
    }

  root = pct_json_get_root (json);
  kind = root->type == PCT_JSON_OBJECT ? pct_json_object_get_member (root, "type") : NULL;
  if (!pct_json_node_holds (kind, PCT_JSON_STRING))
    return;

  /* Both say the feed may have moved past the stored cursor. Messages of
   * other types are for later versions of the API. */
  if (g_str_equal (kind->v.string.str, "hello") || g_str_equal (kind->v.string.str, "changes"))
    request_run (live);
}

static void
socket_pong_cb (SoupWebsocketConnection *socket,
                GBytes                  *message,
                gpointer                 user_data)
{
  PctSyncLive *live = user_data;

  live->last_heard = g_get_monotonic_time ();
}

static void
socket_closed_cb (SoupWebsocketConnection *socket,
                  gpointer                 user_data)
{
  PctSyncLive *live = user_data;

  g_debug ("The live WebSocket closed (code %u)", soup_websocket_connection_get_close_code (socket));
  g_signal_handlers_disconnect_by_data (socket, live);
  g_clear_object (&live->socket);
  clear_timer (&live->watchdog);
  _pct_sync_post_live (live->sync, FALSE);
  schedule_connect (live);
}

static gboolean
watchdog_cb (gpointer user_data)
{
  PctSyncLive *live = user_data;

  if (live->socket != NULL &&
      g_get_monotonic_time () - live->last_heard > (gint64) SILENCE_LIMIT_S * G_USEC_PER_SEC)
    {
      g_debug ("Nothing heard on the live WebSocket for %d s; reconnecting", SILENCE_LIMIT_S);
      close_socket (live->socket);
    }
  return G_SOURCE_CONTINUE;
}

static void
socket_connected_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  PctSyncLive *live = user_data;
  SoupSession *session = SOUP_SESSION (object);
  SoupMessage *message = soup_session_get_async_result_message (session, result);
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *socket;
  guint status;

  socket = soup_session_websocket_connect_finish (session, result, &error);
  live->connecting = FALSE;

  if (live->stopping)
    {
      if (socket != NULL)
        {
          close_socket (socket);
          g_object_unref (socket);
        }
      maybe_quit (live);
      return;
    }

  if (socket == NULL)
    {
      status = message != NULL ? soup_message_get_status (message) : 0;
      g_debug ("Cannot open the live WebSocket: %s (status %u)", error->message, status);

      if (status == SOUP_STATUS_UNAUTHORIZED)
        {
          /* The token has run out: a run renews it, then the socket. */
          request_run (live);
          schedule_connect (live);
        }
      else if ((status >= 200 && status < 500) ||
               g_error_matches (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_NOT_WEBSOCKET) ||
               g_error_matches (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_ERROR_BAD_HANDSHAKE))
        start_polling (live, error->message);
      else if (live->socket_failures + 1 >= SOCKET_FAILURES_LIMIT)
        start_polling (live, error->message);
      else
        schedule_connect (live);
      return;
    }

  live->socket = socket;
  live->socket_failures = 0;
  live->last_heard = g_get_monotonic_time ();
  soup_websocket_connection_set_keepalive_interval (socket, KEEPALIVE_INTERVAL_S);
  g_signal_connect (socket, "message", G_CALLBACK (socket_message_cb), live);
  g_signal_connect (socket, "pong", G_CALLBACK (socket_pong_cb), live);
  g_signal_connect (socket, "closed", G_CALLBACK (socket_closed_cb), live);
  clear_timer (&live->watchdog);
  live->watchdog = add_timer (live, WATCHDOG_INTERVAL_S * 1000, watchdog_cb);
  _pct_sync_post_live (live->sync, TRUE);

  /* Changes made while the socket was closed. */
  request_run (live);
}

static void
connect_socket (PctSyncLive *live)
{
  PctSyncConfig config = { 0 };
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;

  if (live->stopping || live->socket != NULL || live->connecting)
    return;

  _pct_sync_dup_config (live->sync, &config);
  url = _pct_sync_build_url (config.server_url, "live", &error);
  _pct_sync_config_clear (&config);
  token = _pct_sync_auth_dup_token (_pct_sync_get_auth (live->sync));

  if (url == NULL || token == NULL)
    {
      /* Not signed in yet, or no server: the runs say why. */
      schedule_connect (live);
      return;
    }

  message = soup_message_new (SOUP_METHOD_GET, url);
  {
    g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
    soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                  bearer);
  }
  pct_tls_verify_message (message, live->ca_database);
  pct_tls_keeper_prune (live->tls_keeper);
  pct_tls_keeper_watch (live->tls_keeper, message);

  live->connecting = TRUE;
  soup_session_websocket_connect_async (live->session, message, NULL, NULL, G_PRIORITY_DEFAULT,
                                        live->cancellable, socket_connected_cb, live);
}

static gboolean
stop_cb (gpointer user_data)
{
  PctSyncLive *live = user_data;

  live->stopping = TRUE;
  g_cancellable_cancel (live->cancellable);
  clear_timer (&live->run_timer);
  clear_timer (&live->connect_timer);
  clear_timer (&live->watchdog);
  if (live->socket != NULL)
    {
      g_signal_handlers_disconnect_by_data (live->socket, live);
      close_socket (live->socket);
      g_clear_object (&live->socket);
    }

  /* A run under way ends soon, cancelled; its callback quits then. */
  maybe_quit (live);
  return G_SOURCE_REMOVE;
}

static gboolean
request_cb (gpointer user_data)
{
  request_run (user_data);
  return G_SOURCE_REMOVE;
}

static gpointer
live_thread (gpointer user_data)
{
  PctSyncLive *live = user_data;
  PctSyncConfig config = { 0 };

  g_main_context_push_thread_default (live->context);

  _pct_sync_dup_config (live->sync, &config);
  live->session = soup_session_new_with_options ("user-agent", "Precinct/" PACKAGE_VERSION,
                                                 "timeout", config.timeout,
                                                 NULL);
  live->tls_keeper = pct_tls_keeper_new ();
  if (config.ca_file != NULL && *config.ca_file != '\0')
    /* A CA file that cannot be read fails the runs, which say so. */
    live->ca_database = pct_tls_database_new_for_ca_file (config.ca_file, NULL);
  _pct_sync_config_clear (&config);

  request_run (live);
  g_main_loop_run (live->loop);

  g_clear_object (&live->session);
  g_clear_pointer (&live->tls_keeper, pct_tls_keeper_free);
  g_clear_object (&live->ca_database);
  g_main_context_pop_thread_default (live->context);
  return NULL;
}

PctSyncLive *
_pct_sync_live_start (PctSync *sync)
{
  PctSyncLive *live = g_new0 (PctSyncLive, 1);

  live->sync = sync;
  live->context = g_main_context_new ();
  live->loop = g_main_loop_new (live->context, FALSE);
  live->cancellable = g_cancellable_new ();
  live->thread = g_thread_new ("pct-sync-live", live_thread, live);
  return live;
}

void
_pct_sync_live_stop (PctSyncLive *live)
{
  g_main_context_invoke (live->context, stop_cb, live);
  g_thread_join (live->thread);

  _pct_sync_post_live (live->sync, FALSE);
  g_main_loop_unref (live->loop);
  g_main_context_unref (live->context);
  g_object_unref (live->cancellable);
  g_free (live);
}

void
_pct_sync_live_request (PctSyncLive *live)
{
  g_main_context_invoke (live->context, request_cb, live);
}
