/* pct-hub-server-feed.c — the changes feed: pages, long polling and the
 * live WebSocket
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A page is read and written (and gzipped) in a GTask thread on a read
 * connection of its own, so that a page of 10,000 records does not hold
 * up the main loop; the paused request is answered when it is done. A
 * request that finds nothing new and may wait stays paused until the
 * storage says the feed moved on, or its time is up.
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "pct-hub-auth.h"
#include "pct-hub-server-private.h"
#include "pct-record.h"

/* Pages worked on at once before the server says it is overloaded. */
#define MAX_PENDING_PAGES 32
/* Seconds a client is asked to wait when overloaded. */
#define OVERLOAD_RETRY_AFTER 2
/* Most records one live message carries. */
#define MAX_LIVE_RECORDS 10000

#define LIVE_TOKEN_KEY "pct-hub-live-token"
#define LIVE_HASH_KEY "pct-hub-live-hash"

typedef struct
{
  PctHubRequest       *request;
  PctHubStorage       *storage;
  char                *database_id;
  PctHubChangesQuery   query;
  guint                wait;
  int                  gzip_level;
  gboolean             gzip;

  /* The answer, made in the thread. */
  GBytes              *body;
  gboolean             compressed;
  char                *cursor;
  gboolean             has_more;
  guint                n_records;
} PageJob;

/* A request waiting for changes. */
typedef struct
{
  PageJob  *job;
  guint     timeout_id;
} Waiter;

typedef struct
{
  PctHubServer             *server;
  SoupWebsocketConnection  *connection;
  char                     *user;
  char                     *token_hash;
  PctRole                   role;
  gulong                    closed_id;
} LiveClient;

static void start_page (PctHubServer *self, PageJob *job);

static void
page_job_free (PageJob *job)
{
  g_clear_pointer (&job->body, g_bytes_unref);
  g_clear_object (&job->storage);
  g_free (job->database_id);
  g_free (job->cursor);
  g_free (job);
}

/* Pages ----------------------------------------------------------------- */

static void
page_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  PageJob *job = task_data;
  g_auto(PctHubChangesPage) page = { 0 };
  g_autoptr(GString) json = NULL;
  GError *error = NULL;

  if (!pct_hub_storage_read_changes (job->storage, &job->query, &page, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  job->cursor = g_strdup_printf ("%s.%" G_GINT64_FORMAT, job->database_id, page.last_seq);
  job->has_more = page.has_more;
  job->n_records = page.n_records;

  json = g_string_sized_new (page.records->len + 128);
  g_string_append (json, "{\"cursor\":");
  pct_record_append_json_string (json, job->cursor);
  g_string_append_printf (json, ",\"has_more\":%s,", page.has_more ? "true" : "false");
  if (page.total >= 0)
    g_string_append_printf (json, "\"total\":%" G_GINT64_FORMAT ",", page.total);
  g_string_append (json, "\"records\":[");
  g_string_append_len (json, page.records->str, (gssize) page.records->len);
  g_string_append (json, "]}");

  job->compressed = job->gzip && json->len >= 1024;
  if (job->compressed)
    job->body = _pct_hub_server_gzip (json->str, json->len, job->gzip_level);
  else
    job->body = g_string_free_to_bytes (g_steal_pointer (&json));
  g_task_return_boolean (task, TRUE);
}

static void
respond_page (PageJob *job)
{
  SoupServerMessage *msg = job->request->msg;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Precinct-Cursor", job->cursor);
  soup_message_headers_replace (headers, "Precinct-Has-More", job->has_more ? "true" : "false");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_append (headers, "Vary", "Accept-Encoding");
  if (job->compressed)
    soup_message_headers_replace (headers, "Content-Encoding", "gzip");
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), job->body);
}

static void
finish_job (PageJob *job)
{
  _pct_hub_request_finish (job->request);
  job->request = NULL;
  page_job_free (job);
}

static gboolean
waiter_timeout_cb (gpointer user_data)
{
  Waiter *waiter = user_data;
  PctHubServer *self = waiter->job->request->server;

  /* Nothing changed: the empty page read before is the answer. */
  self->waiters = g_list_remove (self->waiters, waiter);
  respond_page (waiter->job);
  finish_job (waiter->job);
  g_free (waiter);
  return G_SOURCE_REMOVE;
}

static void
wait_for_changes (PctHubServer *self,
                  PageJob      *job)
{
  Waiter *waiter = g_new0 (Waiter, 1);

  waiter->job = job;
  /* Milliseconds, not g_timeout_add_seconds(): that one may fire up to a
   * second early, and a client asking for a one-second wait must get one. */
  waiter->timeout_id = g_timeout_add (job->wait * 1000, waiter_timeout_cb, waiter);
  job->wait = 0;
  self->waiters = g_list_prepend (self->waiters, waiter);
}

static void
page_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PctHubServer *self = PCT_HUB_SERVER (source);
  PageJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_warning ("Cannot read the changes feed: %s", error->message);
      _pct_hub_server_respond_error (job->request->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                                     "internal", _("The server failed; nothing was changed."),
                                     NULL, 0);
      finish_job (job);
      return;
    }

  if (job->n_records == 0 && job->wait > 0 && !self->stopping && !job->request->gone)
    {
      /* A change committed while the page was read is not missed: the
       * feed's end is checked again here, on the thread that writes. */
      if (pct_hub_storage_get_last_seq (self->storage) > job->query.after)
        {
          job->wait = 0;
          g_clear_pointer (&job->body, g_bytes_unref);
          g_clear_pointer (&job->cursor, g_free);
          start_page (self, job);
        }
      else
        wait_for_changes (self, job);
      return;
    }

  respond_page (job);
  finish_job (job);
}

static void
start_page (PctHubServer *self,
            PageJob      *job)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, page_done_cb, NULL);

  g_task_set_source_tag (task, start_page);
  /* The job outlives its task, since it may go on waiting; page_done_cb()
   * always finishes it or hands it on. */
  g_task_set_task_data (task, job, NULL);
  g_task_run_in_thread (task, page_thread);
}

/* The sequence number a cursor stands for, or FALSE after answering 400
 * or 409. */
static gboolean
parse_cursor (PctHubServer      *self,
              SoupServerMessage *msg,
              const char        *cursor,
              gint64            *seq)
{
  const char *dot = strrchr (cursor, '.');
  const char *database_id = pct_hub_storage_get_database_id (self->storage);
  guint64 value = 0;

  if (dot == NULL || dot == cursor || dot[1] == '\0' ||
      !g_ascii_string_to_unsigned (dot + 1, 10, 0, G_MAXINT64, &value, NULL))
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_cursor",
                                     _("The cursor was not made by this server."), "cursor", 0);
      return FALSE;
    }
  for (const char *c = cursor; c < dot; c++)
    {
      if (!g_ascii_isalnum (*c))
        {
          _pct_hub_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_cursor",
                                         _("The cursor was not made by this server."), "cursor",
                                         0);
          return FALSE;
        }
    }

  /* Another database's, or one from beyond this database's end (a
   * restored backup): the client must start again. */
  if ((gsize) (dot - cursor) != strlen (database_id) ||
      strncmp (cursor, database_id, dot - cursor) != 0 ||
      (gint64) value > pct_hub_storage_get_last_seq (self->storage))
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_CONFLICT, "cursor_reset",
                                     _("The cursor belongs to another database of this server; "
                                       "start a full sync again."), "cursor", 0);
      return FALSE;
    }
  *seq = (gint64) value;
  return TRUE;
}

/* An integer query parameter within [min, max], or FALSE after
 * answering 400. */
static gboolean
parse_parameter (SoupServerMessage *msg,
                 GHashTable        *query,
                 const char        *name,
                 guint64            min,
                 guint64            max,
                 guint64            fallback,
                 guint64           *value)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  *value = fallback;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, value, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” must be a whole number from %"
                                                    PRIu64 " to %" PRIu64 "."),
                                                  name, min, max);

      _pct_hub_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request", message,
                                     name, 0);
      return FALSE;
    }
  return TRUE;
}

void
_pct_hub_server_handle_changes (PctHubServer      *self,
                                SoupServerMessage *msg,
                                GHashTable        *query)
{
  g_autoptr(PctHubToken) token = _pct_hub_server_authenticate (self, msg);
  const char *cursor = query != NULL ? g_hash_table_lookup (query, "cursor") : NULL;
  PageJob *job;
  guint64 limit, wait;
  gint64 after = 0;

  if (token == NULL)
    return;
  if (!parse_parameter (msg, query, "limit", 1, PCT_HUB_SERVER_MAX_LIMIT,
                        PCT_HUB_SERVER_DEFAULT_LIMIT, &limit) ||
      !parse_parameter (msg, query, "wait", 0, PCT_HUB_SERVER_MAX_WAIT, 0, &wait))
    return;
  if (cursor != NULL && !parse_cursor (self, msg, cursor, &after))
    return;
  if (self->n_pending >= MAX_PENDING_PAGES)
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                     _("The server is busy; try again shortly."), NULL,
                                     OVERLOAD_RETRY_AFTER);
      return;
    }

  job = g_new0 (PageJob, 1);
  job->storage = g_object_ref (self->storage);
  job->database_id = g_strdup (pct_hub_storage_get_database_id (self->storage));
  job->query.after = after;
  job->query.limit = (guint) limit;
  job->query.count_total = query != NULL &&
                           g_strcmp0 (g_hash_table_lookup (query, "total"), "1") == 0;
  job->query.role = token->role;
  job->wait = (guint) wait;
  job->gzip_level = self->gzip_level;
  job->request = _pct_hub_request_new (self, msg);
  job->gzip = job->request->gzip;
  start_page (self, job);
}

/* Live ------------------------------------------------------------------- */

static void
live_client_free (gpointer data)
{
  LiveClient *client = data;

  g_clear_signal_handler (&client->closed_id, client->connection);
  g_object_unref (client->connection);
  g_free (client->user);
  g_free (client->token_hash);
  g_free (client);
}

static void
live_closed_cb (SoupWebsocketConnection *connection,
                gpointer                 user_data)
{
  LiveClient *client = user_data;

  g_ptr_array_remove_fast (client->server->live, client);
}

void
_pct_hub_server_check_live (PctHubServer      *self,
                            SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(PctHubToken) token = NULL;
  g_autoptr(GError) error = NULL;
  const char *authorization;

  if (!g_str_equal (soup_server_message_get_method (msg), "GET"))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET");
      _pct_hub_server_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                     _("The live feed is a WebSocket opened with GET."), NULL, 0);
      return;
    }
  if (self->stopping)
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                     _("The server is stopping."), NULL, 5);
      return;
    }

  /* Checked before the upgrade: a client without a valid token gets a
   * plain 401, never a WebSocket. */
  token = _pct_hub_server_authenticate (self, msg);
  if (token == NULL)
    return;
  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error))
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                                     error->message, NULL, 0);
      return;
    }

  authorization = soup_message_headers_get_one (headers, "Authorization");
  g_object_set_data_full (G_OBJECT (msg), LIVE_HASH_KEY,
                          pct_hub_auth_digest (g_strstrip (g_strdup (authorization + 7))), g_free);
  g_object_set_data_full (G_OBJECT (msg), LIVE_TOKEN_KEY, g_steal_pointer (&token),
                          (GDestroyNotify) pct_hub_token_free);
}

static void
send_text (LiveClient *client,
           const char *text)
{
  if (soup_websocket_connection_get_state (client->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (client->connection, text);
}

void
_pct_hub_server_live_opened (PctHubServer            *self,
                             SoupServerMessage       *msg,
                             SoupWebsocketConnection *connection)
{
  PctHubToken *token = g_object_get_data (G_OBJECT (msg), LIVE_TOKEN_KEY);
  const char *hash = g_object_get_data (G_OBJECT (msg), LIVE_HASH_KEY);
  g_autoptr(GString) hello = g_string_new ("{\"type\":\"hello\",\"cursor\":");
  g_autofree char *cursor = NULL;
  LiveClient *client;

  if (token == NULL || hash == NULL)
    {
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                       "token_missing");
      return;
    }

  client = g_new0 (LiveClient, 1);
  client->server = self;
  client->connection = g_object_ref (connection);
  client->user = g_strdup (token->user);
  client->role = token->role;
  client->token_hash = g_strdup (hash);
  client->closed_id = g_signal_connect (connection, "closed", G_CALLBACK (live_closed_cb), client);
  g_ptr_array_add (self->live, client);

  soup_websocket_connection_set_keepalive_interval (connection, PCT_HUB_SERVER_PING_INTERVAL);
  /* Clients have nothing to say on this connection. */
  soup_websocket_connection_set_max_incoming_payload_size (connection, 4096);

  cursor = g_strdup_printf ("%s.%" G_GINT64_FORMAT,
                            pct_hub_storage_get_database_id (self->storage), self->live_seq);
  pct_record_append_json_string (hello, cursor);
  g_string_append_c (hello, '}');
  send_text (client, hello->str);
}

/* Sends the incidents and work orders that changed up to last_seq to the
 * live clients, each masked for the client's role. */
static void
notify_live (PctHubServer *self,
             gint64        last_seq)
{
  static const char * const entities[] = { "incident", "work_order", NULL };
  g_autofree char *cursor = g_strdup_printf ("%s.%" G_GINT64_FORMAT,
                                             pct_hub_storage_get_database_id (self->storage),
                                             last_seq);

  for (int role = 0; role < PCT_N_ROLES; role++)
    {
      g_auto(PctHubChangesPage) page = { 0 };
      g_autoptr(GString) message = NULL;
      g_autoptr(GError) error = NULL;
      PctHubChangesQuery query = {
        self->live_seq, last_seq, MAX_LIVE_RECORDS, (PctRole) role, entities
      };
      gboolean wanted = FALSE;

      for (guint i = 0; i < self->live->len && !wanted; i++)
        wanted = ((LiveClient *) g_ptr_array_index (self->live, i))->role == (PctRole) role;
      if (!wanted)
        continue;

      if (!pct_hub_storage_read_changes (self->storage, &query, &page, &error))
        {
          g_warning ("Cannot read changes for live clients: %s", error->message);
          return;
        }
      if (page.n_records == 0)
        continue;

      message = g_string_new ("{\"type\":\"changes\",\"cursor\":");
      pct_record_append_json_string (message, cursor);
      g_string_append (message, ",\"records\":[");
      g_string_append_len (message, page.records->str, (gssize) page.records->len);
      g_string_append (message, "]}");
      for (guint i = 0; i < self->live->len; i++)
        {
          LiveClient *client = g_ptr_array_index (self->live, i);

          if (client->role == (PctRole) role)
            send_text (client, message->str);
        }
    }
}

static void
wake_waiters (PctHubServer *self)
{
  GList *waiters = g_steal_pointer (&self->waiters);

  for (GList *l = waiters; l != NULL; l = l->next)
    {
      Waiter *waiter = l->data;
      PageJob *job = waiter->job;

      g_source_remove (waiter->timeout_id);
      g_free (waiter);
      g_clear_pointer (&job->body, g_bytes_unref);
      g_clear_pointer (&job->cursor, g_free);
      start_page (self, job);
    }
  g_list_free (waiters);
}

static void
storage_changed_cb (PctHubStorage *storage,
                    gint64         last_seq,
                    gpointer       user_data)
{
  PctHubServer *self = user_data;

  if (self->live->len > 0)
    notify_live (self, last_seq);
  self->live_seq = last_seq;
  wake_waiters (self);
}

/* A session that ended or ran out ends its live connection too. */
static gboolean
check_live_tokens_cb (gpointer user_data)
{
  PctHubServer *self = user_data;
  gint64 now = _pct_hub_server_now ();
  g_autoptr(GPtrArray) ended = g_ptr_array_new ();

  for (guint i = 0; i < self->live->len; i++)
    {
      LiveClient *client = g_ptr_array_index (self->live, i);
      g_autoptr(PctHubToken) token = pct_hub_storage_lookup_token (self->storage,
                                                                   client->token_hash, NULL);

      if (token == NULL || token->revoked || token->expires_at <= now)
        g_ptr_array_add (ended, client->connection);
    }
  for (guint i = 0; i < ended->len; i++)
    soup_websocket_connection_close (g_ptr_array_index (ended, i),
                                     SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "token_expired");
  return G_SOURCE_CONTINUE;
}

void
_pct_hub_server_feed_start (PctHubServer *self)
{
  self->live = g_ptr_array_new_with_free_func (live_client_free);
  self->live_seq = pct_hub_storage_get_last_seq (self->storage);
  self->changed_id = g_signal_connect (self->storage, "changed",
                                       G_CALLBACK (storage_changed_cb), self);
  self->live_check_id = g_timeout_add_seconds (PCT_HUB_SERVER_PING_INTERVAL,
                                               check_live_tokens_cb, self);
}

void
_pct_hub_server_feed_stop (PctHubServer *self)
{
  GList *waiters = g_steal_pointer (&self->waiters);

  if (self->storage != NULL)
    g_clear_signal_handler (&self->changed_id, self->storage);
  g_clear_handle_id (&self->live_check_id, g_source_remove);

  /* Waiting requests get the empty page they found. */
  for (GList *l = waiters; l != NULL; l = l->next)
    {
      Waiter *waiter = l->data;

      g_source_remove (waiter->timeout_id);
      respond_page (waiter->job);
      finish_job (waiter->job);
      g_free (waiter);
    }
  g_list_free (waiters);

  if (self->live != NULL)
    {
      g_autoptr(GPtrArray) open = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < self->live->len; i++)
        g_ptr_array_add (open, g_object_ref (((LiveClient *) g_ptr_array_index (self->live, i))
                                             ->connection));
      for (guint i = 0; i < open->len; i++)
        {
          SoupWebsocketConnection *connection = g_ptr_array_index (open, i);

          if (soup_websocket_connection_get_state (connection) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                             "server stopping");
        }
    }
}
