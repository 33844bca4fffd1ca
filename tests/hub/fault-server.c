/* fault-server.c — a small sync API server over TLS that misbehaves on cue
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Enough of docs/api.md for the client's tests: signing in and refreshing,
 * a changes feed of department records paged by "c<index>" cursors (with
 * long polling), mutations remembered by UUID, and the live WebSocket.
 * Faults are scripted per endpoint and played in order. Everything runs
 * in the server's own thread, so that a test may block in the client.
 */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "fault-server.h"
#include "pct-tls-handshakes.h"

typedef struct
{
  char      *path;
  FaultKind  kind;
  guint      skip;
  int        times;
  guint      status;
  char      *code;
  int        retry_after;
  char      *body;
} Fault;

/* A long poll waiting for the feed to grow. */
typedef struct
{
  FaultServer       *server;
  SoupServerMessage *message;
  guint              start;
  guint              limit;
  GSource           *timeout;
} Waiter;

/* A body sent in chunks made as the previous one is written. */
typedef struct
{
  guint  chunks_left;
} Stream;

struct _FaultServer
{
  GThread          *thread;
  GMainContext     *context;
  GMainLoop        *loop;
  SoupServer       *soup;
  GSocketService   *service;
  GTlsCertificate  *certificate;
  char             *url;

  GMutex            mutex;
  GCond             cond;
  gboolean          ready;

  /* Under the mutex. */
  GPtrArray        *records;       /* char *, one JSON object each */
  gboolean          total;
  GPtrArray        *faults;
  GHashTable       *requests;      /* path → count */
  GHashTable       *results;       /* uuid → result text */
  GHashTable       *applied;       /* uuid → count */
  FaultMutationFunc mutation_func;
  gpointer          mutation_data;
  guint             sign_ins;
  guint             refreshes;
  guint             serial;
  char             *token;
  char             *refresh_token;
  char             *expire_code;
  char             *accept_encoding;
  gboolean          refuse_live;

  /* Server thread only. */
  GPtrArray        *paused;        /* SoupServerMessage *, held */
  GPtrArray        *waiters;       /* Waiter * */
  GPtrArray        *sockets;       /* SoupWebsocketConnection * */
};

#define HUGE_CHUNK   (1024 * 1024)
#define HUGE_CHUNKS  100
#define MAX_WAIT     60

static void
fault_free (Fault *fault)
{
  g_free (fault->path);
  g_free (fault->code);
  g_free (fault->body);
  g_free (fault);
}

static void
respond (SoupServerMessage *message,
         guint              status,
         const char        *body)
{
  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

static void
respond_error (SoupServerMessage *message,
               guint              status,
               const char        *code,
               int                retry_after)
{
  g_autofree char *body = NULL;

  if (retry_after >= 0)
    {
      g_autofree char *value = g_strdup_printf ("%d", retry_after);

      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Retry-After", value);
      body = g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"Scripted %u\","
                              "\"retry_after\":%d}}", code, status, retry_after);
    }
  else
    body = g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"Scripted %u\"}}",
                            code, status);
  respond (message, status, body);
}

/* With the mutex held: the fault for this request, if any. */
static Fault *
take_fault (FaultServer *server,
            const char  *path)
{
  for (guint i = 0; i < server->faults->len; i++)
    {
      Fault *fault = g_ptr_array_index (server->faults, i);

      if (!g_str_equal (fault->path, path))
        continue;
      if (fault->skip > 0)
        {
          fault->skip--;
          return NULL;
        }
      if (fault->times == 0)
        continue;
      if (fault->times > 0)
        fault->times--;
      return fault;
    }
  return NULL;
}

/* With the mutex held. */
static char *
build_page (FaultServer *server,
            guint        start,
            guint        limit,
            char       **cursor,
            gboolean    *has_more)
{
  GString *body = g_string_new ("{");
  guint end = MIN (start + limit, server->records->len);

  *cursor = g_strdup_printf ("c%u", end);
  *has_more = end < server->records->len;
  g_string_append_printf (body, "\"cursor\":\"%s\",\"has_more\":%s,", *cursor,
                          *has_more ? "true" : "false");
  if (server->total)
    g_string_append_printf (body, "\"total\":%u,", server->records->len - MIN (start, end));
  g_string_append (body, "\"records\":[");
  for (guint i = start; i < end; i++)
    {
      if (i > start)
        g_string_append_c (body, ',');
      g_string_append (body, g_ptr_array_index (server->records, i));
    }
  g_string_append (body, "]}");
  return g_string_free (body, FALSE);
}

static void
send_page (SoupServerMessage *message,
           const char        *body,
           const char        *cursor,
           gboolean           has_more)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  soup_message_headers_replace (headers, "Precinct-Cursor", cursor);
  soup_message_headers_replace (headers, "Precinct-Has-More", has_more ? "true" : "false");
  respond (message, SOUP_STATUS_OK, body);
}

static gboolean
parse_cursor (const char *cursor,
              guint      *start)
{
  guint64 value;

  if (cursor == NULL)
    {
      *start = 0;
      return TRUE;
    }
  if (cursor[0] != 'c' || !g_ascii_string_to_unsigned (cursor + 1, 10, 0, G_MAXUINT, &value,
                                                       NULL))
    return FALSE;
  *start = (guint) value;
  return TRUE;
}

static void
waiter_free (Waiter *waiter)
{
  if (waiter->timeout != NULL)
    {
      g_source_destroy (waiter->timeout);
      g_source_unref (waiter->timeout);
    }
  g_object_unref (waiter->message);
  g_free (waiter);
}

static void
answer_waiter (Waiter *waiter)
{
  FaultServer *server = waiter->server;
  g_autofree char *body = NULL;
  g_autofree char *cursor = NULL;
  gboolean has_more;

  g_mutex_lock (&server->mutex);
  body = build_page (server, MIN (waiter->start, server->records->len), waiter->limit,
                     &cursor, &has_more);
  g_mutex_unlock (&server->mutex);
  send_page (waiter->message, body, cursor, has_more);
  soup_server_message_unpause (waiter->message);
}

static gboolean
waiter_timeout_cb (gpointer user_data)
{
  Waiter *waiter = user_data;

  answer_waiter (waiter);
  g_ptr_array_remove (waiter->server->waiters, waiter);
  return G_SOURCE_REMOVE;
}

static void
handle_changes (FaultServer       *server,
                SoupServerMessage *message,
                GHashTable        *query)
{
  const char *cursor_text = query != NULL ? g_hash_table_lookup (query, "cursor") : NULL;
  const char *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  const char *wait_text = query != NULL ? g_hash_table_lookup (query, "wait") : NULL;
  g_autofree char *body = NULL;
  g_autofree char *cursor = NULL;
  guint64 limit = 2000, wait = 0;
  gboolean has_more;
  guint start;

  if (!parse_cursor (cursor_text, &start))
    {
      respond_error (message, SOUP_STATUS_BAD_REQUEST, "invalid_cursor", -1);
      return;
    }
  if (limit_text != NULL)
    g_ascii_string_to_unsigned (limit_text, 10, 1, 10000, &limit, NULL);
  if (wait_text != NULL)
    g_ascii_string_to_unsigned (wait_text, 10, 0, MAX_WAIT, &wait, NULL);

  g_mutex_lock (&server->mutex);
  if (wait > 0 && start >= server->records->len)
    {
      Waiter *waiter = g_new0 (Waiter, 1);

      g_mutex_unlock (&server->mutex);
      waiter->server = server;
      waiter->message = g_object_ref (message);
      waiter->start = start;
      waiter->limit = (guint) limit;
      waiter->timeout = g_timeout_source_new_seconds ((guint) wait);
      g_source_set_callback (waiter->timeout, waiter_timeout_cb, waiter, NULL);
      g_source_attach (waiter->timeout, server->context);
      g_ptr_array_add (server->waiters, waiter);
      soup_server_message_pause (message);
      return;
    }
  body = build_page (server, MIN (start, server->records->len), (guint) limit, &cursor, &has_more);
  g_mutex_unlock (&server->mutex);

  send_page (message, body, cursor, has_more);
}

/* With the mutex held. */
static char *
new_tokens_body (FaultServer *server)
{
  server->serial++;
  g_free (server->token);
  g_free (server->refresh_token);
  server->token = g_strdup_printf ("token-%u", server->serial);
  server->refresh_token = g_strdup_printf ("refresh-%u", server->serial);
  return g_strdup_printf ("{\"token\":\"%s\",\"expires_at\":1999999999,"
                          "\"refresh_token\":\"%s\",\"refresh_expires_at\":1999999999,"
                          "\"user\":\"admin\",\"role\":\"admin\"}",
                          server->token, server->refresh_token);
}

static JsonObject *
parse_body_object (SoupServerMessage *message)
{
  SoupMessageBody *request = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (request);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);
  JsonNode *root;

  if (data == NULL || !json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static void
handle_session (FaultServer       *server,
                SoupServerMessage *message)
{
  g_autoptr(JsonObject) request = parse_body_object (message);
  g_autofree char *body = NULL;

  if (request == NULL ||
      g_strcmp0 (json_object_get_string_member_with_default (request, "user", ""), "admin") != 0 ||
      g_strcmp0 (json_object_get_string_member_with_default (request, "password", ""),
                 "secret") != 0)
    {
      respond_error (message, SOUP_STATUS_UNAUTHORIZED, "bad_credentials", -1);
      return;
    }

  g_mutex_lock (&server->mutex);
  server->sign_ins++;
  body = new_tokens_body (server);
  g_mutex_unlock (&server->mutex);
  respond (message, SOUP_STATUS_OK, body);
}

static void
handle_refresh (FaultServer       *server,
                SoupServerMessage *message)
{
  g_autoptr(JsonObject) request = parse_body_object (message);
  g_autofree char *body = NULL;

  g_mutex_lock (&server->mutex);
  if (request == NULL || server->refresh_token == NULL ||
      g_strcmp0 (json_object_get_string_member_with_default (request, "refresh_token", ""),
                 server->refresh_token) != 0)
    {
      g_mutex_unlock (&server->mutex);
      respond_error (message, SOUP_STATUS_UNAUTHORIZED, "token_invalid", -1);
      return;
    }
  server->refreshes++;
  body = new_tokens_body (server);
  g_mutex_unlock (&server->mutex);
  respond (message, SOUP_STATUS_OK, body);
}

/* FALSE when the request was answered with 401. */
static gboolean
check_token (FaultServer       *server,
             SoupServerMessage *message)
{
  const char *header =
    soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                  "Authorization");
  g_autofree char *code = NULL;

  g_mutex_lock (&server->mutex);
  if (header == NULL || !g_str_has_prefix (header, "Bearer ") || server->token == NULL ||
      !g_str_equal (header + strlen ("Bearer "), server->token))
    code = g_strdup (header == NULL ? "token_missing" : "token_invalid");
  else if (server->expire_code != NULL)
    {
      code = g_steal_pointer (&server->expire_code);
      g_clear_pointer (&server->token, g_free);
      /* A revoked session cannot be refreshed. */
      if (g_str_equal (code, "token_revoked"))
        g_clear_pointer (&server->refresh_token, g_free);
    }
  g_mutex_unlock (&server->mutex);

  if (code != NULL)
    {
      respond_error (message, SOUP_STATUS_UNAUTHORIZED, code, -1);
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
default_result (JsonObject *mutation,
                guint       serial)
{
  JsonObject *result = json_object_new ();

  json_object_set_string_member (result, "status", "applied");
  if (g_strcmp0 (json_object_get_string_member_with_default (mutation, "op", ""), "create") == 0)
    {
      json_object_set_int_member (result, "id", 1000 + serial);
      json_object_set_int_member (result, "version", 1);
    }
  else
    {
      json_object_set_int_member (result, "id", json_object_get_int_member_with_default (mutation,
                                                                                         "id", 0));
      json_object_set_int_member (result, "version",
                                  json_object_get_int_member_with_default (mutation,
                                                                           "base_version", 0) + 1);
    }
  return result;
}

static void
handle_mutations (FaultServer       *server,
                  SoupServerMessage *message)
{
  g_autoptr(JsonObject) request = parse_body_object (message);
  JsonArray *mutations;
  GString *body;

  if (request == NULL || !json_object_has_member (request, "mutations"))
    {
      respond_error (message, SOUP_STATUS_BAD_REQUEST, "invalid_request", -1);
      return;
    }
  mutations = json_object_get_array_member (request, "mutations");

  body = g_string_new ("{\"results\":[");
  g_mutex_lock (&server->mutex);
  for (guint i = 0; i < json_array_get_length (mutations); i++)
    {
      JsonObject *mutation = json_array_get_object_element (mutations, i);
      const char *uuid = json_object_get_string_member_with_default (mutation, "uuid", "");
      const char *stored = g_hash_table_lookup (server->results, uuid);
      g_autofree char *text = NULL;

      if (i > 0)
        g_string_append_c (body, ',');

      if (stored != NULL)
        {
          /* Already carried out: the same answer, marked replayed. */
          g_string_append_len (body, stored, (gssize) strlen (stored) - 1);
          g_string_append (body, ",\"replayed\":true}");
          continue;
        }

      {
        g_autoptr(JsonObject) result = server->mutation_func != NULL
          ? server->mutation_func (mutation, server->mutation_data)
          : default_result (mutation, g_hash_table_size (server->results) + 1);
        g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), result);

        json_object_set_string_member (result, "uuid", uuid);
        text = json_to_string (node, FALSE);
      }
      g_hash_table_insert (server->results, g_strdup (uuid), g_strdup (text));
      g_hash_table_insert (server->applied, g_strdup (uuid),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (server->applied,
                                                                                   uuid)) + 1));
      g_string_append (body, text);
    }
  g_mutex_unlock (&server->mutex);
  g_string_append (body, "]}");

  respond (message, SOUP_STATUS_OK, body->str);
  g_string_free (body, TRUE);
}

static void
serve_normally (FaultServer       *server,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query)
{
  const char *method = soup_server_message_get_method (message);

  if (g_str_equal (path, "session") && g_str_equal (method, "POST"))
    handle_session (server, message);
  else if (g_str_equal (path, "session/refresh") && g_str_equal (method, "POST"))
    handle_refresh (server, message);
  else if (g_str_equal (path, "changes") && g_str_equal (method, "GET"))
    {
      if (check_token (server, message))
        handle_changes (server, message, query);
    }
  else if (g_str_equal (path, "mutations") && g_str_equal (method, "POST"))
    {
      if (check_token (server, message))
        handle_mutations (server, message);
    }
  else
    respond_error (message, SOUP_STATUS_NOT_FOUND, "not_found", -1);
}

/* Closes the connection under message; the client may have closed it
 * already. */
static void
close_connection (SoupServerMessage *message)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (message);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

static gboolean
reset_cb (gpointer user_data)
{
  close_connection (user_data);
  return G_SOURCE_REMOVE;
}

static void
reset_after_chunk_cb (SoupServerMessage *message,
                      gpointer           user_data)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_signal_handlers_disconnect_by_func (message, reset_after_chunk_cb, user_data);
  /* Once the chunk's writing is over, not from inside it. */
  g_source_set_callback (source, reset_cb, g_object_ref (message), g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
}

static void
stream_chunk_cb (SoupServerMessage *message,
                 Stream            *stream)
{
  SoupMessageBody *body = soup_server_message_get_response_body (message);

  if (stream->chunks_left == 0)
    {
      soup_message_body_complete (body);
      soup_server_message_unpause (message);
      return;
    }

  stream->chunks_left--;
  {
    char *chunk = g_malloc (HUGE_CHUNK);

    memset (chunk, 'x', HUGE_CHUNK);
    soup_message_body_append_take (body, (guchar *) chunk, HUGE_CHUNK);
  }
  soup_server_message_unpause (message);
}

static void
stream_free (gpointer  data,
             GClosure *closure)
{
  g_free (data);
}

static void
start_huge (SoupServerMessage *message,
            gboolean           announced)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  const char *opening = "{\"cursor\":\"c1\",\"has_more\":false,\"records\":[\"";
  Stream *stream = g_new0 (Stream, 1);

  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  if (announced)
    soup_message_headers_set_content_length (headers, strlen (opening) +
                                                      (goffset) HUGE_CHUNK * HUGE_CHUNKS);
  else
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);

  /* Each chunk is dropped once written: the body is never whole here. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body (message), FALSE);
  stream->chunks_left = HUGE_CHUNKS;
  g_signal_connect_data (message, "wrote-chunk", G_CALLBACK (stream_chunk_cb), stream,
                         stream_free, 0);
  soup_message_body_append (soup_server_message_get_response_body (message), SOUP_MEMORY_STATIC,
                            opening, strlen (opening));
}

static void
start_partial (FaultServer       *server,
               SoupServerMessage *message,
               gboolean           reset)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  g_autofree char *page = NULL;
  g_autofree char *cursor = NULL;
  gboolean has_more;

  g_mutex_lock (&server->mutex);
  page = build_page (server, 0, 10, &cursor, &has_more);
  g_mutex_unlock (&server->mutex);

  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_append (soup_server_message_get_response_body (message), SOUP_MEMORY_COPY,
                            page, strlen (page) / 2);
  if (reset)
    g_signal_connect (message, "wrote-chunk", G_CALLBACK (reset_after_chunk_cb), NULL);
  else
    g_ptr_array_add (server->paused, g_object_ref (message));
}

static void
play_fault (FaultServer       *server,
            SoupServerMessage *message,
            const Fault       *fault,
            const char        *path,
            GHashTable        *query)
{
  switch (fault->kind)
    {
    case FAULT_STATUS:
      respond_error (message, fault->status, fault->code, fault->retry_after);
      break;

    case FAULT_STALL:
      soup_server_message_pause (message);
      g_ptr_array_add (server->paused, g_object_ref (message));
      break;

    case FAULT_STALL_BODY:
      start_partial (server, message, FALSE);
      break;

    case FAULT_RESET:
      close_connection (message);
      break;

    case FAULT_RESET_BODY:
      start_partial (server, message, TRUE);
      break;

    case FAULT_RESET_AFTER:
      serve_normally (server, message, path, query);
      close_connection (message);
      break;

    case FAULT_BODY:
      respond (message, SOUP_STATUS_OK, fault->body);
      break;

    case FAULT_STUCK_CURSOR:
      {
        const char *cursor = query != NULL ? g_hash_table_lookup (query, "cursor") : NULL;
        g_autofree char *body = NULL;

        g_mutex_lock (&server->mutex);
        body = g_strdup_printf ("{\"cursor\":\"%s\",\"has_more\":true,\"records\":[%s]}",
                                cursor != NULL ? cursor : "c0",
                                (const char *) g_ptr_array_index (server->records, 0));
        g_mutex_unlock (&server->mutex);
        respond (message, SOUP_STATUS_OK, body);
      }
      break;

    case FAULT_HUGE:
    case FAULT_HUGE_ANNOUNCED:
      start_huge (message, fault->kind == FAULT_HUGE_ANNOUNCED);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
api_cb (SoupServer        *soup,
        SoupServerMessage *message,
        const char        *request_path,
        GHashTable        *query,
        gpointer           user_data)
{
  FaultServer *server = user_data;
  const char *path = request_path;
  const char *encoding =
    soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                  "Accept-Encoding");
  Fault *fault;
  Fault copy;

  if (g_str_has_prefix (path, "/api/v1/"))
    path += strlen ("/api/v1/");

  g_mutex_lock (&server->mutex);
  g_hash_table_insert (server->requests, g_strdup (path),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (server->requests,
                                                                               path)) + 1));
  if (query != NULL && g_hash_table_lookup (query, "cursor") != NULL)
    {
      g_autofree char *key = g_strconcat (path, "?cursor=",
                                          (const char *) g_hash_table_lookup (query, "cursor"),
                                          NULL);

      g_hash_table_insert (server->requests, g_strdup (key),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (server->requests,
                                                                                   key)) + 1));
    }
  g_free (server->accept_encoding);
  server->accept_encoding = g_strdup (encoding);
  fault = take_fault (server, path);
  if (fault != NULL)
    copy = *fault;
  g_mutex_unlock (&server->mutex);

  if (fault != NULL)
    play_fault (server, message, &copy, path, query);
  else
    serve_normally (server, message, path, query);
}

static void
socket_closed_cb (SoupWebsocketConnection *socket,
                  FaultServer             *server)
{
  g_ptr_array_remove (server->sockets, socket);
}

static void
live_cb (SoupServer              *soup,
         SoupServerMessage       *message,
         const char              *path,
         SoupWebsocketConnection *socket,
         gpointer                 user_data)
{
  FaultServer *server = user_data;
  g_autofree char *hello = NULL;

  g_mutex_lock (&server->mutex);
  hello = g_strdup_printf ("{\"type\":\"hello\",\"cursor\":\"c%u\"}", server->records->len);
  g_mutex_unlock (&server->mutex);

  g_ptr_array_add (server->sockets, g_object_ref (socket));
  g_signal_connect (socket, "closed", G_CALLBACK (socket_closed_cb), server);
  soup_websocket_connection_send_text (socket, hello);
}

/* Counts the upgrade, and refuses it when the WebSocket is off (as a
 * proxy in the way would). */
static void
live_early_cb (SoupServer        *soup,
               SoupServerMessage *message,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  FaultServer *server = user_data;
  gboolean refuse;

  g_mutex_lock (&server->mutex);
  g_hash_table_insert (server->requests, g_strdup ("live"),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (server->requests,
                                                                               "live")) + 1));
  refuse = server->refuse_live;
  g_mutex_unlock (&server->mutex);

  if (refuse)
    respond_error (message, SOUP_STATUS_NOT_FOUND, "not_found", -1);
}

static gpointer
server_thread (gpointer user_data)
{
  FaultServer *server = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_main_context_push_thread_default (server->context);

  server->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (server->soup, "/api/v1", api_cb, server, NULL);
  soup_server_add_early_handler (server->soup, "/api/v1/live", live_early_cb, server, NULL);
  soup_server_add_websocket_handler (server->soup, "/api/v1/live", NULL, NULL, live_cb, server,
                                     NULL);
  server->service = pct_tls_service_new (server->soup, server->certificate, address, &bound,
                                         &error);
  if (server->service == NULL)
    g_error ("The fault server cannot listen: %s", error->message);
  server->url = g_strdup_printf ("https://127.0.0.1:%u/",
                                 g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  g_mutex_lock (&server->mutex);
  server->ready = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->mutex);

  g_main_loop_run (server->loop);

  /* Whatever is held open is answered, so that nothing waits on us. */
  pct_tls_service_close (server->service);
  for (guint i = 0; i < server->paused->len; i++)
    close_connection (g_ptr_array_index (server->paused, i));
  g_ptr_array_set_size (server->paused, 0);
  g_ptr_array_set_size (server->waiters, 0);
  for (guint i = 0; i < server->sockets->len; i++)
    {
      SoupWebsocketConnection *socket = g_ptr_array_index (server->sockets, i);

      /* A client may have closed it already. */
      if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
  soup_server_disconnect (server->soup);
  while (g_main_context_iteration (server->context, FALSE))
    ;
  g_ptr_array_set_size (server->sockets, 0);
  g_clear_object (&server->service);
  g_clear_object (&server->soup);

  g_main_context_pop_thread_default (server->context);
  return NULL;
}

static void
add_department (FaultServer *server,
                guint        id)
{
  g_ptr_array_add (server->records,
                   g_strdup_printf ("{\"entity\":\"department\",\"id\":%u,"
                                    "\"data\":{\"code\":\"D%04u\",\"name\":\"部门%u\"}}",
                                    id, id, id));
}

FaultServer *
fault_server_new (const char *cert_file,
                  const char *key_file,
                  guint       n_records)
{
  FaultServer *server = g_new0 (FaultServer, 1);
  g_autoptr(GError) error = NULL;

  server->certificate = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);

  g_mutex_init (&server->mutex);
  g_cond_init (&server->cond);
  server->records = g_ptr_array_new_with_free_func (g_free);
  server->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) fault_free);
  server->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->results = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->applied = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->paused = g_ptr_array_new_with_free_func (g_object_unref);
  server->waiters = g_ptr_array_new_with_free_func ((GDestroyNotify) waiter_free);
  server->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 1; i <= n_records; i++)
    add_department (server, i);

  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);
  server->thread = g_thread_new ("fault-server", server_thread, server);

  g_mutex_lock (&server->mutex);
  while (!server->ready)
    g_cond_wait (&server->cond, &server->mutex);
  g_mutex_unlock (&server->mutex);
  return server;
}

static gboolean
quit_cb (gpointer user_data)
{
  FaultServer *server = user_data;

  g_main_loop_quit (server->loop);
  return G_SOURCE_REMOVE;
}

void
fault_server_free (FaultServer *server)
{
  g_main_context_invoke (server->context, quit_cb, server);
  g_thread_join (server->thread);

  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_object_unref (server->certificate);
  g_ptr_array_unref (server->records);
  g_ptr_array_unref (server->faults);
  g_hash_table_unref (server->requests);
  g_hash_table_unref (server->results);
  g_hash_table_unref (server->applied);
  g_ptr_array_unref (server->paused);
  g_ptr_array_unref (server->waiters);
  g_ptr_array_unref (server->sockets);
  g_free (server->url);
  g_free (server->token);
  g_free (server->refresh_token);
  g_free (server->expire_code);
  g_free (server->accept_encoding);
  g_mutex_clear (&server->mutex);
  g_cond_clear (&server->cond);
  g_free (server);
}

const char *
fault_server_get_url (FaultServer *server)
{
  return server->url;
}

typedef struct
{
  FaultServer *server;
  char        *record;
  gboolean     done;
} Append;

static gboolean
append_cb (gpointer user_data)
{
  Append *append = user_data;
  FaultServer *server = append->server;
  g_autofree char *message = NULL;

  g_mutex_lock (&server->mutex);
  g_ptr_array_add (server->records, g_steal_pointer (&append->record));
  message = g_strdup_printf ("{\"type\":\"changes\",\"cursor\":\"c%u\",\"records\":[]}",
                             server->records->len);
  g_mutex_unlock (&server->mutex);

  /* Long polls waiting for this, then the live sockets. */
  while (server->waiters->len > 0)
    {
      Waiter *waiter = g_ptr_array_index (server->waiters, 0);

      answer_waiter (waiter);
      g_ptr_array_remove_index (server->waiters, 0);
    }
  for (guint i = 0; i < server->sockets->len; i++)
    {
      SoupWebsocketConnection *socket = g_ptr_array_index (server->sockets, i);

      if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text (socket, message);
    }

  g_mutex_lock (&server->mutex);
  append->done = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->mutex);
  return G_SOURCE_REMOVE;
}

void
fault_server_append_record (FaultServer *server,
                            const char  *record)
{
  Append append = { server, g_strdup (record), FALSE };

  g_main_context_invoke (server->context, append_cb, &append);
  g_mutex_lock (&server->mutex);
  while (!append.done)
    g_cond_wait (&server->cond, &server->mutex);
  g_mutex_unlock (&server->mutex);
}

typedef struct
{
  FaultServer *server;
  GBytes      *message;
  guint        n_sent;
  gboolean     done;
} SendLive;

static gboolean
send_live_cb (gpointer user_data)
{
  SendLive *send = user_data;
  FaultServer *server = send->server;

  for (guint i = 0; i < server->sockets->len; i++)
    {
      SoupWebsocketConnection *socket = g_ptr_array_index (server->sockets, i);

      if (soup_websocket_connection_get_state (socket) != SOUP_WEBSOCKET_STATE_OPEN)
        continue;
      soup_websocket_connection_send_message (socket, SOUP_WEBSOCKET_DATA_TEXT, send->message);
      send->n_sent++;
    }

  g_mutex_lock (&server->mutex);
  send->done = TRUE;
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->mutex);
  return G_SOURCE_REMOVE;
}

guint
fault_server_send_live (FaultServer *server,
                        const char  *message,
                        gsize        length)
{
  SendLive send = { server, g_bytes_new (message, length), 0, FALSE };

  g_main_context_invoke (server->context, send_live_cb, &send);
  g_mutex_lock (&server->mutex);
  while (!send.done)
    g_cond_wait (&server->cond, &server->mutex);
  g_mutex_unlock (&server->mutex);
  g_bytes_unref (send.message);
  return send.n_sent;
}

void
fault_server_truncate_feed (FaultServer *server,
                            guint        n_records)
{
  g_mutex_lock (&server->mutex);
  if (n_records < server->records->len)
    g_ptr_array_set_size (server->records, n_records);
  g_mutex_unlock (&server->mutex);
}

void
fault_server_set_total (FaultServer *server,
                        gboolean     total)
{
  g_mutex_lock (&server->mutex);
  server->total = total;
  g_mutex_unlock (&server->mutex);
}

void
fault_server_add_fault (FaultServer *server,
                        const char  *path,
                        FaultKind    kind,
                        guint        skip,
                        int          times,
                        guint        status,
                        const char  *code,
                        int          retry_after,
                        const char  *body)
{
  Fault *fault = g_new0 (Fault, 1);

  fault->path = g_strdup (path);
  fault->kind = kind;
  fault->skip = skip;
  fault->times = times;
  fault->status = status;
  fault->code = g_strdup (code != NULL ? code : "internal");
  fault->retry_after = retry_after;
  fault->body = g_strdup (body);

  g_mutex_lock (&server->mutex);
  g_ptr_array_add (server->faults, fault);
  g_mutex_unlock (&server->mutex);
}

void
fault_server_clear_faults (FaultServer *server)
{
  g_mutex_lock (&server->mutex);
  g_ptr_array_set_size (server->faults, 0);
  g_mutex_unlock (&server->mutex);
}

void
fault_server_set_mutation_func (FaultServer       *server,
                                FaultMutationFunc  func,
                                gpointer           user_data)
{
  g_mutex_lock (&server->mutex);
  server->mutation_func = func;
  server->mutation_data = user_data;
  g_mutex_unlock (&server->mutex);
}

guint
fault_server_count_requests (FaultServer *server,
                             const char  *path)
{
  guint n;

  g_mutex_lock (&server->mutex);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (server->requests, path));
  g_mutex_unlock (&server->mutex);
  return n;
}

guint
fault_server_count_applied (FaultServer *server,
                            const char  *uuid)
{
  guint n;

  g_mutex_lock (&server->mutex);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (server->applied, uuid));
  g_mutex_unlock (&server->mutex);
  return n;
}

guint
fault_server_count_sign_ins (FaultServer *server)
{
  guint n;

  g_mutex_lock (&server->mutex);
  n = server->sign_ins;
  g_mutex_unlock (&server->mutex);
  return n;
}

guint
fault_server_count_refreshes (FaultServer *server)
{
  guint n;

  g_mutex_lock (&server->mutex);
  n = server->refreshes;
  g_mutex_unlock (&server->mutex);
  return n;
}

void
fault_server_expire_token (FaultServer *server,
                           const char  *code)
{
  g_mutex_lock (&server->mutex);
  g_free (server->expire_code);
  server->expire_code = g_strdup (code);
  g_mutex_unlock (&server->mutex);
}

char *
fault_server_dup_accept_encoding (FaultServer *server)
{
  char *encoding;

  g_mutex_lock (&server->mutex);
  encoding = g_strdup (server->accept_encoding);
  g_mutex_unlock (&server->mutex);
  return encoding;
}

void
fault_server_refuse_live (FaultServer *server,
                          gboolean     refuse)
{
  g_mutex_lock (&server->mutex);
  server->refuse_live = refuse;
  g_mutex_unlock (&server->mutex);
}
