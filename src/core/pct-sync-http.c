/* pct-sync-http.c — requests of the sync client: sign-in, retries with
 * backoff, bounded bodies
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every request goes through _pct_sync_http_call(), which decides once
 * what a failure means (docs/api.md, "What a client does with errors"):
 *
 *   - a timeout, a reset connection, 408, 429, 5xx, and an answer that is
 *     not what the API describes are transient: the same request is sent
 *     again after a delay drawn with full jitter from 0 to min × 2^n
 *     (capped), never sooner than the server's Retry-After;
 *   - 401 for the session token renews it (a refresh, or a new sign-in)
 *     and repeats the request at once;
 *   - a TLS problem, 400, 403, 404, 405, 409, 413 and a refused sign-in
 *     are final: the same request would get the same answer.
 *
 * Bodies are read through a bound: an answer longer than
 * PCT_SYNC_MAX_RESPONSE_BYTES is refused after reading that much (or
 * before reading anything, when its length is announced), so a server
 * gone wrong cannot make the client buffer without end.
 */

#define G_LOG_DOMAIN "pct-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "pct-record.h"
#include "pct-sync-private.h"
#include "pct-tls.h"
#include "pct-tls-handshakes.h"

struct _PctSyncAuth
{
  /* Held while signing in or refreshing, so that two threads whose
   * token was refused do not both sign in. */
  GMutex               mutex;
  char                *user;
  char                *password;
  PctSyncPasswordFunc  password_func;
  gpointer             password_data;
  GDestroyNotify       password_destroy;

  char                *token;
  char                *refresh_token;
};

struct _PctSyncHttp
{
  PctSyncAuth   *auth;          /* borrowed */
  GUri          *base;          /* https://host:port/api/v1/ */
  char          *host;
  SoupSession   *session;
  SoupSession   *wait_session;  /* longer timeout, for long polling */
  PctTlsKeeper  *tls_keeper;
  GTlsDatabase  *ca_database;
  guint          max_attempts;
  guint          backoff_min_ms;
  guint          backoff_max_ms;

  GMutex         mutex;         /* the counters */
  guint          retries;
  guint64        bytes;
};

typedef enum
{
  OUTCOME_DONE,
  OUTCOME_RETRY,   /* transient: again after a delay */
  OUTCOME_RENEW,   /* the token was refused: renew it, then again */
  OUTCOME_FATAL,
} Outcome;

/* The body of an error answer. */
typedef struct
{
  char   *code;
  char   *message;
} ApiError;

typedef struct
{
  char *token;
  char *refresh_token;
} Tokens;

/* Error answers are short; more than this is not read. */
#define MAX_ERROR_BODY   (64 * 1024)
#define READ_CHUNK       (64 * 1024)
/* Renewals of the token for one request before giving up: a server that
 * refuses every fresh token would otherwise be asked forever. */
#define MAX_RENEWALS     3
/* Retry-After beyond a day is taken as a day. */
#define MAX_RETRY_AFTER  (24 * 3600)

G_DEFINE_QUARK (pct-sync-error-quark, pct_sync_error)

static void
api_error_clear (ApiError *api_error)
{
  g_clear_pointer (&api_error->code, g_free);
  g_clear_pointer (&api_error->message, g_free);
}

static void
tokens_free (Tokens *tokens)
{
  g_free (tokens->token);
  g_free (tokens->refresh_token);
  g_free (tokens);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ApiError, api_error_clear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tokens, tokens_free)

/* Auth -------------------------------------------------------------------- */

PctSyncAuth *
_pct_sync_auth_new (void)
{
  PctSyncAuth *auth = g_new0 (PctSyncAuth, 1);

  g_mutex_init (&auth->mutex);
  return auth;
}

static void
forget_tokens (PctSyncAuth *auth)
{
  g_clear_pointer (&auth->token, g_free);
  g_clear_pointer (&auth->refresh_token, g_free);
}

static void
forget_password (PctSyncAuth *auth)
{
  if (auth->password != NULL)
    {
      /* Not left behind in freed memory. */
      memset (auth->password, 0, strlen (auth->password));
      g_clear_pointer (&auth->password, g_free);
    }
  if (auth->password_destroy != NULL)
    auth->password_destroy (auth->password_data);
  auth->password_func = NULL;
  auth->password_data = NULL;
  auth->password_destroy = NULL;
}

void
_pct_sync_auth_free (PctSyncAuth *auth)
{
  if (auth == NULL)
    return;
  forget_tokens (auth);
  forget_password (auth);
  g_free (auth->user);
  g_mutex_clear (&auth->mutex);
  g_free (auth);
}

void
_pct_sync_auth_set_user (PctSyncAuth *auth,
                         const char  *user)
{
  g_mutex_lock (&auth->mutex);
  if (g_strcmp0 (auth->user, user) != 0)
    {
      g_free (auth->user);
      auth->user = g_strdup (user);
      /* Tokens belong to the user who signed in. */
      forget_tokens (auth);
    }
  g_mutex_unlock (&auth->mutex);
}

void
_pct_sync_auth_set_password (PctSyncAuth *auth,
                             const char  *password)
{
  g_mutex_lock (&auth->mutex);
  forget_password (auth);
  /* New credentials, a new session: the next request signs in with them. */
  forget_tokens (auth);
  auth->password = g_strdup (password);
  g_mutex_unlock (&auth->mutex);
}

void
_pct_sync_auth_set_password_func (PctSyncAuth         *auth,
                                  PctSyncPasswordFunc  func,
                                  gpointer             user_data,
                                  GDestroyNotify       destroy)
{
  g_mutex_lock (&auth->mutex);
  forget_password (auth);
  forget_tokens (auth);
  auth->password_func = func;
  auth->password_data = user_data;
  auth->password_destroy = destroy;
  g_mutex_unlock (&auth->mutex);
}

/* Helpers ----------------------------------------------------------------- */

guint
_pct_sync_backoff_delay (guint attempt,
                         guint min_ms,
                         guint max_ms,
                         guint retry_after_ms)
{
  guint64 bound = min_ms;
  guint delay;

  for (guint i = 1; i < attempt && bound < max_ms; i++)
    bound *= 2;
  bound = MIN (bound, max_ms);

  /* Full jitter: clients that failed together do not return together. */
  delay = bound > 0 ? (guint) g_random_int_range (0, (gint32) MIN (bound, G_MAXINT32 - 1) + 1) : 0;
  return MAX (delay, retry_after_ms);
}

gboolean
_pct_sync_sleep (guint         ms,
                 GCancellable *cancellable)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  GPollFD fd;
  gboolean pollable = cancellable != NULL && g_cancellable_make_pollfd (cancellable, &fd);

  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();

      if (g_cancellable_is_cancelled (cancellable))
        break;
      if (left <= 0)
        break;
      if (pollable)
        g_poll (&fd, 1, (gint) MIN ((left + 999) / 1000, G_MAXINT));
      else
        g_usleep ((gulong) MIN (left, 100000));
    }

  if (pollable)
    g_cancellable_release_fd (cancellable);
  return !g_cancellable_is_cancelled (cancellable);
}

gboolean
_pct_sync_error_is_offline (const GError *error)
{
  return g_error_matches (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_UNREACHABLE);
}

/* Reads the whole body, but never more than limit bytes. */
static GBytes *
read_body (GInputStream  *stream,
           SoupMessage   *message,
           gsize          limit,
           GCancellable  *cancellable,
           GError       **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  g_autoptr(GByteArray) data = NULL;
  goffset announced = -1;

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    announced = soup_message_headers_get_content_length (headers);

  if (announced > (goffset) limit)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_TOO_LARGE,
                   _("The server’s answer is %" PRId64 " bytes long, more than the "
                     "%" PRIu64 " bytes a client accepts"),
                   (gint64) announced, (guint64) limit);
      return NULL;
    }
  data = g_byte_array_sized_new (announced > 0 ? (guint) announced : READ_CHUNK);

  for (;;)
    {
      guint8 buffer[READ_CHUNK];
      gssize n = g_input_stream_read (stream, buffer, sizeof buffer, cancellable, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      if (data->len + (gsize) n > limit)
        {
          g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_TOO_LARGE,
                       _("The server’s answer is longer than the %" PRIu64
                         " bytes a client accepts"), (guint64) limit);
          return NULL;
        }
      g_byte_array_append (data, buffer, (guint) n);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

static gboolean
is_json_type (SoupMessage *message)
{
  const char *type =
    soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL);

  return type != NULL && g_ascii_strcasecmp (type, "application/json") == 0;
}

/* Parses a small JSON object strictly; NULL when it is not one. */
static JsonNode *
parse_small_object (GBytes  *body,
                    GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize size = 0;
  const char *text = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  if (text == NULL || size == 0)
    {
      g_set_error_literal (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                           _("the answer is empty"));
      return NULL;
    }
  return pct_record_parse (parser, text, size, error);
}

static void
parse_api_error (GBytes   *body,
                 ApiError *api_error)
{
  g_autoptr(JsonNode) root = parse_small_object (body, NULL);
  JsonObject *object;
  JsonNode *node;

  if (root == NULL)
    return;

  node = json_object_get_member (json_node_get_object (root), "error");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  object = json_node_get_object (node);

  node = json_object_get_member (object, "code");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    api_error->code = g_strdup (json_node_get_string (node));

  node = json_object_get_member (object, "message");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    api_error->message = g_strdup (json_node_get_string (node));
}

/* Retry-After: seconds, or an HTTP date. */
static guint
parse_retry_after (SoupMessage *message)
{
  const char *header =
    soup_message_headers_get_one (soup_message_get_response_headers (message), "Retry-After");
  g_autofree char *value = NULL;
  guint64 seconds = 0;

  if (header == NULL)
    return 0;

  value = g_strstrip (g_strdup (header));
  if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &seconds, NULL))
    return (guint) MIN (seconds, MAX_RETRY_AFTER) * 1000;

  {
    g_autoptr(GDateTime) date = soup_date_time_new_from_http_string (value);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    GTimeSpan span;

    if (date == NULL)
      return 0;
    span = g_date_time_difference (date, now) / G_TIME_SPAN_MILLISECOND;
    return (guint) CLAMP (span, 0, (GTimeSpan) MAX_RETRY_AFTER * 1000);
  }
}

/* What a server said beyond its status, for a message to people. */
static char *
describe_answer (SoupMessage    *message,
                 const ApiError *api_error)
{
  guint status = soup_message_get_status (message);
  const char *reason = soup_message_get_reason_phrase (message);

  if (api_error->message != NULL && api_error->code != NULL)
    return g_strdup_printf ("%u %s: %s", status, api_error->code, api_error->message);
  return g_strdup_printf ("%u %s", status, reason != NULL ? reason : "");
}

static SoupSession *
new_session (guint timeout)
{
  return soup_session_new_with_options ("user-agent", "Precinct/" PACKAGE_VERSION,
                                        "timeout", timeout,
                                        "max-conns-per-host", 4,
                                        NULL);
}

static SoupMessage *
new_message (PctSyncHttp *http,
             const char  *method,
             const char  *path,
             const char  *query,
             GBytes      *body,
             const char  *token)
{
  g_autofree char *relative = query != NULL ? g_strconcat (path, "?", query, NULL)
                                            : g_strdup (path);
  g_autoptr(GUri) uri = g_uri_parse_relative (http->base, relative, SOUP_HTTP_URI_FLAGS, NULL);
  SoupMessageHeaders *headers;
  SoupMessage *message;

  /* Paths are the API's own and queries are encoded by the callers. */
  g_return_val_if_fail (uri != NULL, NULL);

  message = soup_message_new_from_uri (method, uri);
  headers = soup_message_get_request_headers (message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", bearer);
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, "application/json", body);

  pct_tls_verify_message (message, http->ca_database);
  pct_tls_keeper_watch (http->tls_keeper, message);
  return message;
}

static gboolean
needs_token (const char *path)
{
  return !g_str_equal (path, "session") && !g_str_equal (path, "session/refresh") &&
         !g_str_equal (path, "status");
}

/* One exchange. On failure, outcome says what to do about it and error
 * why; api_code receives the error answer's code. */
static gpointer
exchange (PctSyncHttp       *http,
          SoupMessage       *message,
          gboolean           long_poll,
          gboolean           authenticated,
          PctSyncParseFunc   parse,
          gpointer           parse_data,
          Outcome           *outcome,
          guint             *retry_after_ms,
          char             **api_code,
          GCancellable      *cancellable,
          GError           **error)
{
  SoupSession *session = long_poll && http->wait_session != NULL ? http->wait_session
                                                                 : http->session;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(ApiError) api_error = { NULL, NULL };
  g_autofree char *answer = NULL;
  gpointer result;
  guint status;

  *outcome = OUTCOME_FATAL;
  *retry_after_ms = 0;

  stream = soup_session_send (session, message, cancellable, &local_error);
  if (stream == NULL)
    {
      GError *tls_error = pct_tls_error_for_message (message, local_error);

      if (tls_error != NULL)
        g_propagate_error (error, tls_error);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        {
          *outcome = OUTCOME_RETRY;
          g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_UNREACHABLE,
                       _("Cannot reach the server %s: %s"), http->host, local_error->message);
        }
      return NULL;
    }

  status = soup_message_get_status (message);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      body = read_body (stream, message, PCT_SYNC_MAX_RESPONSE_BYTES, cancellable, &local_error);
      if (body == NULL)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          *outcome = OUTCOME_RETRY;
          if (local_error->domain == PCT_SYNC_ERROR)
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_UNREACHABLE,
                         _("The connection to the server %s broke off in the middle of an "
                           "answer: %s"), http->host, local_error->message);
          return NULL;
        }

      g_mutex_lock (&http->mutex);
      http->bytes += g_bytes_get_size (body);
      g_mutex_unlock (&http->mutex);

      if (!is_json_type (message))
        {
          const char *type =
            soup_message_headers_get_content_type (soup_message_get_response_headers (message),
                                                   NULL);
          *outcome = OUTCOME_RETRY;
          g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                       _("The server %s answered with %s instead of JSON"),
                       http->host, type != NULL ? type : _("an untyped body"));
          return NULL;
        }

      result = parse != NULL ? parse (message, body, parse_data, error) : g_bytes_ref (body);
      if (result == NULL)
        {
          *outcome = OUTCOME_RETRY;
          return NULL;
        }
      *outcome = OUTCOME_DONE;
      return result;
    }

  /* An error answer: its body says more, and is small. */
  body = read_body (stream, message, MAX_ERROR_BODY, cancellable, NULL);
  parse_api_error (body, &api_error);
  answer = describe_answer (message, &api_error);
  *api_code = g_steal_pointer (&api_error.code);

  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      if (authenticated)
        {
          *outcome = OUTCOME_RENEW;
          g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_AUTHENTICATION,
                       _("The server %s refused the session token: %s"), http->host, answer);
        }
      else
        g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_AUTHENTICATION,
                     _("The server %s refused the user name or password: %s"),
                     http->host, answer);
      break;

    case SOUP_STATUS_FORBIDDEN:
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_FORBIDDEN,
                   _("The server %s does not allow this user to do that: %s"),
                   http->host, answer);
      break;

    case SOUP_STATUS_CONFLICT:
      if (g_strcmp0 (*api_code, "cursor_reset") == 0)
        g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_CURSOR_RESET,
                     _("The server %s no longer knows the store’s place in its feed: %s"),
                     http->host, answer);
      else
        g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_REFUSED,
                     _("The server %s refused the request: %s"), http->host, answer);
      break;

    case SOUP_STATUS_REQUEST_TIMEOUT:
    case 429:  /* Too Many Requests, which libsoup 3.2 does not name */
      *outcome = OUTCOME_RETRY;
      *retry_after_ms = parse_retry_after (message);
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_SERVER,
                   _("The server %s asks to come back later: %s"), http->host, answer);
      break;

    default:
      if (status >= 500 && status < 600)
        {
          *outcome = OUTCOME_RETRY;
          *retry_after_ms = parse_retry_after (message);
          g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_SERVER,
                       _("The server %s failed: %s"), http->host, answer);
        }
      else if (status >= 400 && status < 500)
        g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_REFUSED,
                     _("The server %s refused the request: %s"), http->host, answer);
      else
        {
          /* Redirects and informational answers are not in the API. */
          *outcome = OUTCOME_RETRY;
          g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                       _("The server %s gave an answer the API does not have: %s"),
                       http->host, answer);
        }
      break;
    }

  return NULL;
}

static gboolean
get_string_member (JsonObject  *object,
                   const char  *name,
                   char       **value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING ||
      *json_node_get_string (node) == '\0')
    return FALSE;
  *value = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gpointer
parse_tokens (SoupMessage  *message,
              GBytes       *body,
              gpointer      user_data,
              GError      **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(Tokens) tokens = g_new0 (Tokens, 1);
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;

  root = parse_small_object (body, &local_error);
  if (root == NULL)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                   _("The server’s answer to signing in is not a JSON object: %s"),
                   local_error->message);
      return NULL;
    }

  object = json_node_get_object (root);
  if (!get_string_member (object, "token", &tokens->token) ||
      !get_string_member (object, "refresh_token", &tokens->refresh_token))
    {
      g_set_error_literal (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                           _("The server’s answer to signing in lacks a token or a refresh "
                             "token"));
      return NULL;
    }

  return g_steal_pointer (&tokens);
}

static GBytes *
json_object_bytes (const char *name1,
                   const char *value1,
                   const char *name2,
                   const char *value2)
{
  GString *text = g_string_new ("{");

  pct_record_append_json_string (text, name1);
  g_string_append_c (text, ':');
  pct_record_append_json_string (text, value1);
  if (name2 != NULL)
    {
      g_string_append_c (text, ',');
      pct_record_append_json_string (text, name2);
      g_string_append_c (text, ':');
      pct_record_append_json_string (text, value2);
    }
  g_string_append_c (text, '}');
  return g_string_free_to_bytes (text);
}

/* With auth->mutex held. */
static gboolean
sign_in_locked (PctSyncHttp   *http,
                GCancellable  *cancellable,
                GError       **error)
{
  PctSyncAuth *auth = http->auth;
  g_autofree char *password = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(Tokens) tokens = NULL;

  if (auth->user == NULL || *auth->user == '\0')
    {
      g_set_error_literal (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_AUTHENTICATION,
                           _("No user name is set for signing in to the server"));
      return FALSE;
    }

  if (auth->password != NULL)
    password = g_strdup (auth->password);
  else if (auth->password_func != NULL)
    password = auth->password_func (auth->user, auth->password_data);

  if (password == NULL)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_AUTHENTICATION,
                   _("No password is known for the user %s"), auth->user);
      return FALSE;
    }

  body = json_object_bytes ("user", auth->user, "password", password);
  memset (password, 0, strlen (password));

  tokens = _pct_sync_http_call (http, "POST", "session", NULL, body, FALSE, parse_tokens, NULL,
                                cancellable, error);
  if (tokens == NULL)
    return FALSE;

  forget_tokens (auth);
  auth->token = g_steal_pointer (&tokens->token);
  auth->refresh_token = g_steal_pointer (&tokens->refresh_token);
  g_debug ("Signed in to %s as %s", http->host, auth->user);
  return TRUE;
}

/* With auth->mutex held. FALSE with error only for failures that are not
 * a refusal of the refresh token (which a sign-in then mends). */
static gboolean
refresh_locked (PctSyncHttp   *http,
                gboolean      *refreshed,
                GCancellable  *cancellable,
                GError       **error)
{
  PctSyncAuth *auth = http->auth;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(Tokens) tokens = NULL;
  g_autoptr(GError) local_error = NULL;

  *refreshed = FALSE;
  if (auth->refresh_token == NULL)
    return TRUE;

  body = json_object_bytes ("refresh_token", auth->refresh_token, NULL, NULL);
  tokens = _pct_sync_http_call (http, "POST", "session/refresh", NULL, body, FALSE, parse_tokens,
                                NULL, cancellable, &local_error);
  if (tokens == NULL)
    {
      if (g_error_matches (local_error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_AUTHENTICATION) ||
          g_error_matches (local_error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_REFUSED))
        {
          g_debug ("Refreshing the session failed (%s); signing in again", local_error->message);
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  forget_tokens (auth);
  auth->token = g_steal_pointer (&tokens->token);
  auth->refresh_token = g_steal_pointer (&tokens->refresh_token);
  *refreshed = TRUE;
  return TRUE;
}

char *
_pct_sync_http_dup_token (PctSyncHttp   *http,
                          GCancellable  *cancellable,
                          GError       **error)
{
  PctSyncAuth *auth = http->auth;
  char *token = NULL;

  g_mutex_lock (&auth->mutex);
  if (auth->token != NULL || sign_in_locked (http, cancellable, error))
    token = g_strdup (auth->token);
  g_mutex_unlock (&auth->mutex);
  return token;
}

gboolean
_pct_sync_http_renew_token (PctSyncHttp   *http,
                            const char    *token,
                            const char    *code,
                            GCancellable  *cancellable,
                            GError       **error)
{
  PctSyncAuth *auth = http->auth;
  gboolean refreshed = FALSE;
  gboolean ok = TRUE;

  g_mutex_lock (&auth->mutex);

  /* Another thread renewed it meanwhile. */
  if (auth->token != NULL && g_strcmp0 (auth->token, token) != 0)
    goto out;

  /* An expired token is refreshed; a revoked or unknown one, or a refused
   * refresh, takes signing in again. */
  if (g_strcmp0 (code, "token_expired") == 0)
    ok = refresh_locked (http, &refreshed, cancellable, error);

  if (ok && !refreshed)
    {
      forget_tokens (auth);
      ok = sign_in_locked (http, cancellable, error);
    }

out:
  g_mutex_unlock (&auth->mutex);
  return ok;
}

/* Public within the client -------------------------------------------------- */

void
_pct_sync_config_clear (PctSyncConfig *config)
{
  g_clear_pointer (&config->store_path, g_free);
  g_clear_pointer (&config->server_url, g_free);
  g_clear_pointer (&config->ca_file, g_free);
}

/* https://host[:port][/prefix] → https://host:port[/prefix]/api/v1/ */
static GUri *
parse_base (const char  *server_url,
            GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *path = NULL;
  const char *scheme;

  if (server_url == NULL || *server_url == '\0')
    {
      g_set_error_literal (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS,
                           _("No server address is set"));
      return NULL;
    }

  uri = g_uri_parse (server_url, SOUP_HTTP_URI_FLAGS, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL ||
      g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS,
                   _("“%s” is not a server address such as https://hub.example.org:8443/"),
                   server_url);
      return NULL;
    }
  if (g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS,
                   _("The server address “%s” must start with https://: the sync API is "
                     "only spoken over TLS"), server_url);
      return NULL;
    }

  path = g_strdup (g_uri_get_path (uri));
  while (*path != '\0' && path[strlen (path) - 1] == '/')
    path[strlen (path) - 1] = '\0';
  if (!g_str_has_suffix (path, "/api/v1"))
    {
      char *longer = g_strconcat (path, "/api/v1", NULL);
      g_free (path);
      path = longer;
    }

  {
    g_autofree char *with_slash = g_strconcat (path, "/", NULL);

    return g_uri_build (g_uri_get_flags (uri), "https", NULL, g_uri_get_host (uri),
                        g_uri_get_port (uri), with_slash, NULL, NULL);
  }
}

JsonNode *
_pct_sync_parse_answer (GBytes      *body,
                        const char  *what,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  gsize size;
  const char *text = g_bytes_get_data (body, &size);
  guint n_members;

  if (text == NULL || size == 0 || !g_utf8_validate_len (text, size, NULL) ||
      !pct_record_check_json (text, size, &n_members, &local_error) ||
      !json_parser_load_from_data (parser, text, (gssize) size, &local_error))
    {
      /* Translators: the first %s says what was asked, such as “the outbox”. */
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                   _("The server’s answer to %s is not valid JSON: %s"), what,
                   local_error != NULL ? local_error->message : _("empty, or not UTF-8"));
      return NULL;
    }
  return json_parser_steal_root (parser);
}

char *
_pct_sync_build_url (const char  *server_url,
                     const char  *path,
                     GError     **error)
{
  g_autoptr(GUri) base = parse_base (server_url, error);
  g_autoptr(GUri) uri = NULL;

  if (base == NULL)
    return NULL;
  uri = g_uri_parse_relative (base, path, SOUP_HTTP_URI_FLAGS, error);
  return uri != NULL ? g_uri_to_string (uri) : NULL;
}

char *
_pct_sync_auth_dup_token (PctSyncAuth *auth)
{
  char *token;

  g_mutex_lock (&auth->mutex);
  token = g_strdup (auth->token);
  g_mutex_unlock (&auth->mutex);
  return token;
}

PctSyncHttp *
_pct_sync_http_new (const PctSyncConfig  *config,
                    PctSyncAuth          *auth,
                    guint                 wait_seconds,
                    GError              **error)
{
  g_autoptr(GUri) base = NULL;
  g_autoptr(GTlsDatabase) ca_database = NULL;
  PctSyncHttp *http;

  base = parse_base (config->server_url, error);
  if (base == NULL)
    return NULL;

  if (config->ca_file != NULL && *config->ca_file != '\0')
    {
      ca_database = pct_tls_database_new_for_ca_file (config->ca_file, error);
      if (ca_database == NULL)
        return NULL;
    }

  http = g_new0 (PctSyncHttp, 1);
  g_mutex_init (&http->mutex);
  http->auth = auth;
  http->base = g_steal_pointer (&base);
  http->host = g_uri_get_port (http->base) > 0
    ? g_strdup_printf ("%s:%d", g_uri_get_host (http->base), g_uri_get_port (http->base))
    : g_strdup (g_uri_get_host (http->base));
  http->ca_database = g_steal_pointer (&ca_database);
  http->max_attempts = config->max_attempts;
  http->backoff_min_ms = config->backoff_min_ms;
  http->backoff_max_ms = MAX (config->backoff_max_ms, config->backoff_min_ms);
  http->tls_keeper = pct_tls_keeper_new ();
  http->session = new_session (config->timeout);
  if (wait_seconds > 0)
    http->wait_session = new_session (config->timeout + wait_seconds);

  return http;
}

void
_pct_sync_http_free (PctSyncHttp *http)
{
  if (http == NULL)
    return;
  g_clear_object (&http->session);
  g_clear_object (&http->wait_session);
  pct_tls_keeper_free (http->tls_keeper);
  g_clear_object (&http->ca_database);
  g_clear_pointer (&http->base, g_uri_unref);
  g_free (http->host);
  g_mutex_clear (&http->mutex);
  g_free (http);
}

guint
_pct_sync_http_get_retries (PctSyncHttp *http)
{
  guint retries;

  g_mutex_lock (&http->mutex);
  retries = http->retries;
  g_mutex_unlock (&http->mutex);
  return retries;
}

guint64
_pct_sync_http_get_bytes (PctSyncHttp *http)
{
  guint64 bytes;

  g_mutex_lock (&http->mutex);
  bytes = http->bytes;
  g_mutex_unlock (&http->mutex);
  return bytes;
}

gboolean
_pct_sync_http_retry (PctSyncHttp   *http,
                      guint          attempt,
                      guint          retry_after_ms,
                      GError       **error,
                      GCancellable  *cancellable)
{
  guint delay;

  if (http->max_attempts > 0 && attempt >= http->max_attempts)
    {
      g_prefix_error (error, g_dngettext (GETTEXT_PACKAGE, "Gave up after %u attempt: ",
                                          "Gave up after %u attempts: ", attempt),
                      attempt);
      return FALSE;
    }

  delay = _pct_sync_backoff_delay (attempt, http->backoff_min_ms, http->backoff_max_ms,
                                   retry_after_ms);
  g_debug ("Attempt %u again in %u ms", attempt + 1, delay);
  if (!_pct_sync_sleep (delay, cancellable))
    {
      g_clear_error (error);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The sync was cancelled"));
      return FALSE;
    }

  g_mutex_lock (&http->mutex);
  http->retries++;
  g_mutex_unlock (&http->mutex);
  return TRUE;
}

gpointer
_pct_sync_http_call (PctSyncHttp       *http,
                     const char        *method,
                     const char        *path,
                     const char        *query,
                     GBytes            *body,
                     gboolean           long_poll,
                     PctSyncParseFunc   parse,
                     gpointer           parse_data,
                     GCancellable      *cancellable,
                     GError           **error)
{
  gboolean authenticated = needs_token (path);
  guint attempt = 0;
  guint renewals = 0;

  for (;;)
    {
      g_autoptr(SoupMessage) message = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *token = NULL;
      g_autofree char *api_code = NULL;
      Outcome outcome;
      guint retry_after_ms;
      gpointer result;

      if (authenticated)
        {
          token = _pct_sync_http_dup_token (http, cancellable, error);
          if (token == NULL)
            return NULL;
        }

      message = new_message (http, method, path, query, body, token);
      result = exchange (http, message, long_poll, authenticated, parse, parse_data, &outcome,
                         &retry_after_ms, &api_code, cancellable, &local_error);
      if (outcome == OUTCOME_DONE)
        return result;

      switch (outcome)
        {
        case OUTCOME_RENEW:
          if (++renewals > MAX_RENEWALS)
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                          _("Signed in %u times, but the server keeps "
                                            "refusing the token: "), renewals - 1);
              return NULL;
            }
          g_debug ("%s %s: %s; renewing the session", method, path, local_error->message);
          if (!_pct_sync_http_renew_token (http, token, api_code, cancellable, error))
            return NULL;
          break;

        case OUTCOME_RETRY:
          attempt++;
          g_debug ("%s %s failed: %s", method, path, local_error->message);
          if (!_pct_sync_http_retry (http, attempt, retry_after_ms, &local_error, cancellable))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          break;

        case OUTCOME_DONE:
        case OUTCOME_FATAL:
        default:
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
}
