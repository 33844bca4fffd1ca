/* pct-hub-server.c — the sync API of docs/api.md over HTTPS: routing,
 * request bodies, errors, sessions, mutations, unmasking and intake
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One main loop serves every request. What would hold it up runs in
 * GTask threads and answers the paused message when done: password checks
 * (Argon2id takes tens of milliseconds on purpose) and pages of the
 * changes feed (pct-hub-server-feed.c). Writes stay on the main thread,
 * which serialises them.
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "pct-hub-auth.h"
#include "pct-hub-intake.h"
#include "pct-hub-mutation.h"
#include "pct-hub-server-private.h"
#include "pct-record.h"
#include "pct-tls-handshakes.h"

#define BODY_KEY "pct-hub-body"

/* Password checks at once; more sign-ins are asked to come back. */
#define MAX_VERIFYING 4

/* libsoup 3.2 names no 429 (RFC 6585). */
#define STATUS_TOO_MANY_REQUESTS 429

/* Seconds a client is asked to wait while the server stops. */
#define STOPPING_RETRY_AFTER 5

/* The body of a request, gathered chunk by chunk up to the limit rather
 * than by libsoup, which would take any size. */
typedef struct
{
  GByteArray *data;
  gboolean    too_large;
} Body;

typedef void (*RouteFunc) (PctHubServer      *self,
                           SoupServerMessage *msg,
                           GHashTable        *query);

typedef struct
{
  const char *path;
  const char *method;
  RouteFunc   func;
} Route;

/* Failed sign-ins of one user name. */
typedef struct
{
  gint64 times[PCT_HUB_SERVER_MAX_FAILURES];
  guint  n;
  gint64 locked_until;
} Failures;

typedef struct
{
  PctHubRequest  *request;
  char           *user;
  char           *password;
  char           *hash;
  PctRole         role;
  gboolean        known;
  gboolean        verified;
} SignIn;

G_DEFINE_FINAL_TYPE (PctHubServer, pct_hub_server, G_TYPE_OBJECT)

/* Helpers ----------------------------------------------------------------- */

gint64
_pct_hub_server_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
body_free (gpointer data)
{
  Body *body = data;

  g_byte_array_unref (body->data);
  g_free (body);
}

static void
sign_in_free (gpointer data)
{
  SignIn *sign_in = data;

  g_free (sign_in->user);
  if (sign_in->password != NULL)
    sodium_memzero (sign_in->password, strlen (sign_in->password));
  g_free (sign_in->password);
  g_free (sign_in->hash);
  g_free (sign_in);
}

static void
request_gone_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  PctHubRequest *request = user_data;

  request->gone = TRUE;
}

PctHubRequest *
_pct_hub_request_new (PctHubServer      *self,
                      SoupServerMessage *msg)
{
  PctHubRequest *request = g_new0 (PctHubRequest, 1);

  request->server = g_object_ref (self);
  request->msg = g_object_ref (msg);
  request->gzip = _pct_hub_server_accepts_gzip (msg);
  request->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (request_gone_cb), request);
  request->disconnected_id = g_signal_connect (msg, "disconnected",
                                               G_CALLBACK (request_gone_cb), request);
  soup_server_message_pause (msg);
  self->n_pending++;
  return request;
}

void
_pct_hub_request_finish (PctHubRequest *request)
{
  request->server->n_pending--;
  g_clear_signal_handler (&request->finished_id, request->msg);
  g_clear_signal_handler (&request->disconnected_id, request->msg);
  if (!request->gone)
    soup_server_message_unpause (request->msg);
  g_object_unref (request->msg);
  g_object_unref (request->server);
  g_free (request);
}

gboolean
_pct_hub_server_accepts_gzip (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_list (headers, "Accept-Encoding");
  GSList *unacceptable = NULL;
  GSList *codings;
  gboolean gzip = FALSE;

  if (value == NULL)
    return FALSE;
  codings = soup_header_parse_quality_list (value, &unacceptable);
  for (GSList *l = codings; l != NULL && !gzip; l = l->next)
    gzip = g_ascii_strcasecmp (l->data, "gzip") == 0;
  soup_header_free_list (codings);
  soup_header_free_list (unacceptable);
  return gzip;
}

GBytes *
_pct_hub_server_gzip (const void *data,
                      gsize       length,
                      int         level)
{
  g_autoptr(GZlibCompressor) compressor =
    g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, level);
  g_autoptr(GByteArray) out = g_byte_array_sized_new (length / 3 + 256);
  gsize consumed = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gsize read = 0, written = 0;
      gsize used = out->len;
      GConverterResult result;

      g_byte_array_set_size (out, used + MAX (length / 4, 65536));
      result = g_converter_convert (G_CONVERTER (compressor),
                                    (const guint8 *) data + consumed, length - consumed,
                                    out->data + used, out->len - used,
                                    G_CONVERTER_INPUT_AT_END, &read, &written, &error);
      consumed += read;
      g_byte_array_set_size (out, used + written);
      if (result == G_CONVERTER_FINISHED)
        break;
      /* Memory is the only thing that can run out here; NO_SPACE asks for
       * a larger buffer, which the next round gives. */
      if (result == G_CONVERTER_ERROR &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        g_error ("gzip failed: %s", error->message);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* Inflates a gzip request body; NULL when it is not gzip, or when it
 * would grow past the limit (*too_large). */
static GBytes *
gunzip (const void *data,
        gsize       length,
        gboolean   *too_large)
{
  g_autoptr(GZlibDecompressor) decompressor =
    g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GByteArray) out = g_byte_array_sized_new (MIN (length * 4, 1 << 20) + 256);
  gsize consumed = 0;

  *too_large = FALSE;
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gsize read = 0, written = 0;
      gsize used = out->len;
      GConverterResult result;

      if (used > PCT_HUB_SERVER_MAX_BODY)
        {
          *too_large = TRUE;
          return NULL;
        }
      g_byte_array_set_size (out, used + 65536);
      result = g_converter_convert (G_CONVERTER (decompressor),
                                    (const guint8 *) data + consumed, length - consumed,
                                    out->data + used, 65536,
                                    G_CONVERTER_INPUT_AT_END, &read, &written, &error);
      consumed += read;
      g_byte_array_set_size (out, used + written);
      if (result == G_CONVERTER_FINISHED)
        break;
      if (result == G_CONVERTER_ERROR &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        return NULL;
      if (read == 0 && written == 0 && consumed >= length)
        return NULL;
    }
  if (out->len > PCT_HUB_SERVER_MAX_BODY)
    {
      *too_large = TRUE;
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

void
_pct_hub_server_respond_bytes (PctHubServer      *self,
                               SoupServerMessage *msg,
                               guint              status,
                               GBytes            *body,
                               gboolean           gzip)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) sent = NULL;

  if (gzip && g_bytes_get_size (body) >= 1024)
    {
      gsize length;
      const void *data = g_bytes_get_data (body, &length);

      sent = _pct_hub_server_gzip (data, length, self->gzip_level);
      soup_message_headers_replace (headers, "Content-Encoding", "gzip");
    }
  else
    sent = g_bytes_ref (body);

  soup_message_headers_append (headers, "Vary", "Accept-Encoding");
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), sent);
}

void
_pct_hub_server_respond_json (PctHubServer      *self,
                              SoupServerMessage *msg,
                              guint              status,
                              GString           *json)
{
  g_autoptr(GBytes) body = g_string_free_to_bytes (g_string_new_len (json->str, json->len));

  _pct_hub_server_respond_bytes (self, msg, status, body, _pct_hub_server_accepts_gzip (msg));
}

void
_pct_hub_server_respond_error (SoupServerMessage *msg,
                               guint              status,
                               const char        *code,
                               const char        *message,
                               const char        *field,
                               guint              retry_after)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GString) body = g_string_new ("{\"error\":{\"code\":");
  gsize length;
  char *text;

  pct_record_append_json_string (body, code);
  g_string_append (body, ",\"message\":");
  pct_record_append_json_string (body, message);
  if (field != NULL)
    {
      g_string_append (body, ",\"field\":");
      pct_record_append_json_string (body, field);
    }
  if (retry_after > 0)
    {
      char seconds[16];

      g_snprintf (seconds, sizeof seconds, "%u", retry_after);
      g_string_append_printf (body, ",\"retry_after\":%u", retry_after);
      soup_message_headers_replace (headers, "Retry-After", seconds);
    }
  g_string_append (body, "}}");

  if (status == SOUP_STATUS_UNAUTHORIZED && g_str_has_prefix (code, "token_"))
    soup_message_headers_replace (headers, "WWW-Authenticate",
                                  "Bearer realm=\"precinct\", error=\"invalid_token\"");

  length = body->len;
  text = g_string_free (g_steal_pointer (&body), FALSE);
  soup_message_headers_remove (headers, "Content-Encoding");
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
}

static void
respond_internal (SoupServerMessage *msg,
                  const GError      *error)
{
  g_warning ("%s %s failed: %s", soup_server_message_get_method (msg),
             g_uri_get_path (soup_server_message_get_uri (msg)), error->message);
  _pct_hub_server_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "internal",
                                 _("The server failed; nothing was changed."), NULL, 0);
}

static void
respond_invalid (SoupServerMessage *msg,
                 const char        *message,
                 const char        *field)
{
  _pct_hub_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request", message, field, 0);
}

/* A typed getter's or a check's rejection, naming the member. */
static void
respond_member_error (SoupServerMessage *msg,
                      const GError      *error,
                      const char        *field)
{
  if (error->domain == PCT_HUB_REJECTION)
    respond_invalid (msg, error->message, field);
  else
    respond_internal (msg, error);
}

/* Request bodies ------------------------------------------------------------ */

static guint
count_members (JsonNode *node)
{
  guint n = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        n += 1 + count_members (member);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        n += count_members (json_array_get_element (array, i));
    }
  return n;
}

static void
respond_invalid_json (SoupServerMessage *msg,
                      const char        *message)
{
  _pct_hub_server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_json", message, NULL, 0);
}

/* The request's JSON value, checked as docs/api.md asks before anything
 * is done with it; NULL after answering 400 or 413. */
static JsonNode *
read_json (SoupServerMessage *msg)
{
  Body *body = g_object_get_data (G_OBJECT (msg), BODY_KEY);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *encoding = soup_message_headers_get_one (headers, "Content-Encoding");
  g_autoptr(GBytes) inflated = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  const char *text;
  gsize length;
  guint n_members = 0;

  if (body == NULL || body->data->len == 0)
    {
      respond_invalid_json (msg, _("The request has no body; it must be one JSON value."));
      return NULL;
    }
  text = (const char *) body->data->data;
  length = body->data->len;

  if (encoding != NULL && g_ascii_strcasecmp (encoding, "gzip") == 0)
    {
      gboolean too_large = FALSE;

      inflated = gunzip (text, length, &too_large);
      if (too_large)
        {
          _pct_hub_server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                                         _("The request body is larger than 16 MiB once "
                                           "uncompressed."), NULL, 0);
          return NULL;
        }
      if (inflated == NULL)
        {
          respond_invalid_json (msg, _("The request body is not valid gzip data."));
          return NULL;
        }
      text = g_bytes_get_data (inflated, &length);
    }
  else if (encoding != NULL && g_ascii_strcasecmp (encoding, "identity") != 0)
    {
      respond_invalid_json (msg, _("A request body may only be compressed with gzip."));
      return NULL;
    }

  if (memchr (text, '\0', length) != NULL || !g_utf8_validate_len (text, length, NULL))
    {
      respond_invalid_json (msg, _("The request body is not valid UTF-8 text."));
      return NULL;
    }
  if (!pct_record_check_json (text, length, &n_members, &error) ||
      !json_parser_load_from_data (parser, text, (gssize) length, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The request body is not one well-formed "
                                                    "JSON value: %s"), error->message);
      respond_invalid_json (msg, message);
      return NULL;
    }

  root = json_parser_steal_root (parser);
  if (root == NULL || count_members (root) != n_members)
    {
      respond_invalid_json (msg, _("A member appears twice in one object of the request."));
      return NULL;
    }
  return g_steal_pointer (&root);
}

/* The request's body as a JSON object with only the members allowed;
 * NULL after answering. */
static JsonObject *
read_object (SoupServerMessage   *msg,
             const char * const  *allowed)
{
  g_autoptr(JsonNode) root = read_json (msg);
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      respond_invalid (msg, _("The request body must be a JSON object."), NULL);
      return NULL;
    }
  object = json_node_get_object (root);
  if (allowed != NULL && !pct_hub_json_check_members (object, allowed, _("this request"), &error))
    {
      JsonObjectIter iter;
      const char *name = NULL;

      /* The first member not allowed is the one at fault. */
      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, NULL) && g_strv_contains (allowed, name))
        ;
      respond_invalid (msg, error->message, name);
      return NULL;
    }
  return json_object_ref (object);
}

/* Authentication ------------------------------------------------------------ */

static void
respond_unauthorized (SoupServerMessage *msg,
                      const char        *code,
                      const char        *message)
{
  _pct_hub_server_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, code, message, NULL, 0);
}

/* The token's holder, or NULL after answering 401 (or 500). */
static PctHubToken *
check_token (PctHubServer       *self,
             SoupServerMessage  *msg,
             const char         *text,
             PctHubTokenKind     kind)
{
  g_autofree char *hash = pct_hub_auth_digest (text);
  g_autoptr(GError) error = NULL;
  g_autoptr(PctHubToken) token = NULL;

  token = pct_hub_storage_lookup_token (self->storage, hash, &error);
  if (token == NULL)
    {
      if (g_error_matches (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND))
        respond_unauthorized (msg, "token_invalid", _("The token is not one this server issued."));
      else
        respond_internal (msg, error);
      return NULL;
    }
  if (token->kind != kind)
    {
      respond_unauthorized (msg, "token_invalid",
                            kind == PCT_HUB_TOKEN_ACCESS
                            ? _("A refresh token cannot be used as an access token.")
                            : _("An access token cannot be used to refresh a session."));
      return NULL;
    }
  if (token->revoked)
    {
      respond_unauthorized (msg, "token_revoked",
                            _("The session was ended (signed out or revoked); sign in again."));
      return NULL;
    }
  if (token->expires_at <= _pct_hub_server_now ())
    {
      respond_unauthorized (msg, "token_expired",
                            _("The session token has expired; refresh it or sign in again."));
      return NULL;
    }
  return g_steal_pointer (&token);
}

PctHubToken *
_pct_hub_server_authenticate (PctHubServer      *self,
                              SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (headers, "Authorization");
  g_autofree char *token = NULL;

  if (value == NULL || g_ascii_strncasecmp (value, "Bearer ", 7) != 0)
    {
      respond_unauthorized (msg, "token_missing",
                            _("This request needs an “Authorization: Bearer” header."));
      return NULL;
    }
  token = g_strstrip (g_strdup (value + 7));
  if (*token == '\0')
    {
      respond_unauthorized (msg, "token_missing", _("The Authorization header holds no token."));
      return NULL;
    }
  return check_token (self, msg, token, PCT_HUB_TOKEN_ACCESS);
}

/* Sessions ------------------------------------------------------------------ */

static void
respond_session (PctHubServer      *self,
                 SoupServerMessage *msg,
                 const char        *user,
                 PctRole            role,
                 gint64             replaces)
{
  g_autofree char *access = pct_hub_auth_new_token ();
  g_autofree char *refresh = pct_hub_auth_new_token ();
  g_autofree char *access_hash = pct_hub_auth_digest (access);
  g_autofree char *refresh_hash = pct_hub_auth_digest (refresh);
  g_autoptr(GString) json = g_string_new ("{\"token\":");
  g_autoptr(GError) error = NULL;
  gint64 now = _pct_hub_server_now ();
  PctHubTokenPair pair = {
    access_hash, now + self->token_ttl, refresh_hash, now + PCT_HUB_SERVER_REFRESH_TTL
  };

  if (!pct_hub_storage_issue_session (self->storage, user, replaces, &pair, now, &error))
      {
        respond_internal (msg, error);
        return;
      }

  pct_record_append_json_string (json, access);
  g_string_append_printf (json, ",\"expires_at\":%" G_GINT64_FORMAT ",\"refresh_token\":",
                          pair.access_expires_at);
  pct_record_append_json_string (json, refresh);
  g_string_append_printf (json, ",\"refresh_expires_at\":%" G_GINT64_FORMAT ",\"user\":",
                          pair.refresh_expires_at);
  pct_record_append_json_string (json, user);
  g_string_append (json, ",\"role\":");
  pct_record_append_json_string (json, pct_role_to_string (role));
  g_string_append_c (json, '}');

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  _pct_hub_server_respond_json (self, msg, SOUP_STATUS_OK, json);
}

/* Seconds the user name stays locked out, or 0. */
static gint64
locked_for (PctHubServer *self,
            const char   *user,
            gint64        now)
{
  Failures *failures = g_hash_table_lookup (self->failures, user);

  if (failures == NULL || failures->locked_until <= now)
    return 0;
  return failures->locked_until - now;
}

static void
note_failure (PctHubServer *self,
              const char   *user,
              gint64        now)
{
  Failures *failures = g_hash_table_lookup (self->failures, user);
  guint kept = 0;

  if (failures == NULL)
    {
      /* Forget user names that have been quiet for a while before taking
       * another, so that guessing names cannot fill the memory. */
      if (g_hash_table_size (self->failures) >= 10000)
        {
          GHashTableIter iter;
          Failures *old;

          g_hash_table_iter_init (&iter, self->failures);
          while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &old))
            {
              if (old->locked_until <= now &&
                  (old->n == 0 || old->times[old->n - 1] < now - PCT_HUB_SERVER_FAILURE_WINDOW))
                g_hash_table_iter_remove (&iter);
            }
        }
      failures = g_new0 (Failures, 1);
      g_hash_table_insert (self->failures, g_strdup (user), failures);
    }

  for (guint i = 0; i < failures->n; i++)
    {
      if (failures->times[i] > now - PCT_HUB_SERVER_FAILURE_WINDOW)
        failures->times[kept++] = failures->times[i];
    }
  failures->n = kept;
  failures->times[failures->n++] = now;
  if (failures->n >= PCT_HUB_SERVER_MAX_FAILURES)
    {
      failures->locked_until = now + PCT_HUB_SERVER_FAILURE_WINDOW;
      failures->n = 0;
    }
}

static void
verify_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  SignIn *sign_in = task_data;

  sign_in->verified = pct_hub_auth_verify_password (sign_in->hash, sign_in->password);
  g_task_return_boolean (task, TRUE);
}

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  PctHubServer *self = PCT_HUB_SERVER (source);
  SignIn *sign_in = g_task_get_task_data (G_TASK (result));
  SoupServerMessage *msg = sign_in->request->msg;
  gint64 now = _pct_hub_server_now ();

  self->n_verifying--;
  if (sign_in->known && sign_in->verified)
    {
      g_hash_table_remove (self->failures, sign_in->user);
      respond_session (self, msg, sign_in->user, sign_in->role, 0);
    }
  else
    {
      note_failure (self, sign_in->user, now);
      _pct_hub_server_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "bad_credentials",
                                     _("The user name or the password is wrong."), NULL, 0);
    }
  _pct_hub_request_finish (sign_in->request);
  sign_in->request = NULL;
}

static void
handle_sign_in (PctHubServer      *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  static const char * const members[] = { "user", "password", NULL };
  g_autoptr(JsonObject) object = read_object (msg, members);
  g_autoptr(GError) error = NULL;
  g_autoptr(PctHubUser) user = NULL;
  g_autoptr(GTask) task = NULL;
  const char *name = NULL;
  const char *password = NULL;
  SignIn *sign_in;
  gint64 wait;

  if (object == NULL)
    return;
  if (!pct_hub_json_get_string (object, "user", TRUE, &name, &error))
    {
      respond_member_error (msg, error, "user");
      return;
    }
  if (!pct_hub_json_get_string (object, "password", TRUE, &password, &error))
    {
      respond_member_error (msg, error, "password");
      return;
    }

  wait = locked_for (self, name, _pct_hub_server_now ());
  if (wait > 0)
    {
      _pct_hub_server_respond_error (msg, STATUS_TOO_MANY_REQUESTS, "rate_limited",
                                     _("Too many failed sign-ins for this user; try again "
                                       "later."), NULL, (guint) wait);
      return;
    }

  if (self->n_verifying >= MAX_VERIFYING)
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                     _("The server is busy; try again shortly."), NULL, 1);
      return;
    }

  user = pct_hub_storage_lookup_user (self->storage, name, &error);
  if (user == NULL && !g_error_matches (error, PCT_HUB_STORAGE_ERROR,
                                        PCT_HUB_STORAGE_ERROR_NOT_FOUND))
    {
      respond_internal (msg, error);
      return;
    }

  sign_in = g_new0 (SignIn, 1);
  sign_in->user = g_strdup (name);
  sign_in->password = g_strdup (password);
  sign_in->known = user != NULL && !user->disabled;
  sign_in->role = user != NULL ? user->role : PCT_ROLE_DISPATCHER;
  /* An unknown user costs as much time as a known one. */
  sign_in->hash = g_strdup (sign_in->known ? user->password_hash : pct_hub_auth_dummy_hash ());
  sign_in->request = _pct_hub_request_new (self, msg);
  self->n_verifying++;

  task = g_task_new (self, NULL, verified_cb, NULL);
  g_task_set_source_tag (task, handle_sign_in);
  g_task_set_task_data (task, sign_in, sign_in_free);
  g_task_run_in_thread (task, verify_thread);
}

static void
handle_refresh (PctHubServer      *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  static const char * const members[] = { "refresh_token", NULL };
  g_autoptr(JsonObject) object = read_object (msg, members);
  g_autoptr(GError) error = NULL;
  g_autoptr(PctHubToken) token = NULL;
  const char *text = NULL;

  if (object == NULL)
    return;
  if (!pct_hub_json_get_string (object, "refresh_token", TRUE, &text, &error))
    {
      respond_member_error (msg, error, "refresh_token");
      return;
    }

  token = check_token (self, msg, text, PCT_HUB_TOKEN_REFRESH);
  if (token != NULL)
    respond_session (self, msg, token->user, token->role, token->session);
}

static void
handle_sign_out (PctHubServer      *self,
                 SoupServerMessage *msg,
                 GHashTable        *query)
{
  g_autoptr(PctHubToken) token = _pct_hub_server_authenticate (self, msg);
  g_autoptr(GError) error = NULL;

  if (token == NULL)
    return;
  if (!pct_hub_storage_revoke_session (self->storage, token->session, &error))
    {
      respond_internal (msg, error);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* Status, mutations, unmasking ---------------------------------------------- */

static void
handle_status (PctHubServer      *self,
               SoupServerMessage *msg,
               GHashTable        *query)
{
  g_autoptr(GString) json = g_string_new (NULL);
  g_autofree char *district = pct_hub_storage_get_setting (self->storage, "district_name");

  g_string_append_printf (json, "{\"api\":1,\"server\":\"precinct-hub %s\",\"time\":%"
                          G_GINT64_FORMAT ",\"district\":", PACKAGE_VERSION,
                          _pct_hub_server_now ());
  if (district != NULL)
    pct_record_append_json_string (json, district);
  else
    g_string_append (json, "null");
  g_string_append_c (json, '}');
  _pct_hub_server_respond_json (self, msg, SOUP_STATUS_OK, json);
}

static void
handle_mutations (PctHubServer      *self,
                  SoupServerMessage *msg,
                  GHashTable        *query)
{
  static const char * const members[] = { "mutations", NULL };
  g_autoptr(PctHubToken) token = _pct_hub_server_authenticate (self, msg);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GString) json = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *results = NULL;
  PctHubActor actor;
  JsonNode *node;
  JsonArray *mutations;

  if (token == NULL)
    return;
  object = read_object (msg, members);
  if (object == NULL)
    return;
  node = json_object_get_member (object, "mutations");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      respond_invalid (msg, _("“mutations” must be an array of mutations."), "mutations");
      return;
    }
  mutations = json_node_get_array (node);
  if (json_array_get_length (mutations) > PCT_HUB_SERVER_MAX_MUTATIONS)
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                                     _("A batch holds at most 500 mutations."), "mutations", 0);
      return;
    }

  actor.user = token->user;
  actor.role = token->role;
  results = pct_hub_storage_apply_mutations (self->storage, &actor, mutations,
                                             _pct_hub_server_now (), &error);
  if (results == NULL)
    {
      respond_internal (msg, error);
      return;
    }

  json = g_string_new ("{\"results\":");
  g_string_append (json, results);
  g_string_append_c (json, '}');
  _pct_hub_server_respond_json (self, msg, SOUP_STATUS_OK, json);
}

static void
handle_unmask (PctHubServer      *self,
               SoupServerMessage *msg,
               GHashTable        *query)
{
  static const char * const members[] = { "entity", "id", "field", "reason", NULL };
  g_autoptr(PctHubToken) token = _pct_hub_server_authenticate (self, msg);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GString) json = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  g_autofree char *reason = NULL;
  const char *entity = NULL, *field = NULL, *reason_text = NULL;
  PctHubActor actor;
  gint64 id = 0;

  if (token == NULL)
    return;
  object = read_object (msg, members);
  if (object == NULL)
    return;
  if (!pct_hub_json_get_string (object, "entity", TRUE, &entity, &error))
    {
      respond_member_error (msg, error, "entity");
      return;
    }
  if (!pct_hub_json_get_int (object, "id", TRUE, &id, NULL, &error))
    {
      respond_member_error (msg, error, "id");
      return;
    }
  if (!pct_hub_json_get_string (object, "field", TRUE, &field, &error))
    {
      respond_member_error (msg, error, "field");
      return;
    }
  if (!pct_hub_json_get_string (object, "reason", TRUE, &reason_text, &error))
    {
      respond_member_error (msg, error, "reason");
      return;
    }

  reason = g_strstrip (g_strdup (reason_text));
  if (g_utf8_strlen (reason, -1) < PCT_ROLES_UNMASK_MIN_REASON)
    {
      respond_invalid (msg, _("Give a reason of at least two characters for unmasking."),
                       "reason");
      return;
    }
  if (pct_record_entity_lookup (entity) == NULL)
    {
      respond_invalid (msg, _("No entity has that name."), "entity");
      return;
    }

  actor.user = token->user;
  actor.role = token->role;
  value = pct_hub_storage_unmask (self->storage, &actor, entity, id, field, reason,
                                  _pct_hub_server_now (), &error);
  if (value == NULL)
    {
      if (g_error_matches (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_FORBIDDEN))
        _pct_hub_server_respond_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", error->message,
                                       NULL, 0);
      else if (g_error_matches (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND))
        _pct_hub_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", error->message,
                                       NULL, 0);
      else if (g_error_matches (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID))
        respond_invalid (msg, error->message, "field");
      else
        respond_internal (msg, error);
      return;
    }

  json = g_string_new ("{\"value\":");
  g_string_append (json, value);
  g_string_append_c (json, '}');
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  _pct_hub_server_respond_json (self, msg, SOUP_STATUS_OK, json);
}

/* Intake -------------------------------------------------------------------- */

static void
handle_intake (PctHubServer      *self,
               SoupServerMessage *msg,
               GHashTable        *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *key = soup_message_headers_get_one (headers, "X-Api-Key");
  g_autoptr(PctHubChannel) channel = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GString) json = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *field = NULL;
  gboolean created = FALSE;
  gint64 id = 0;

  if (key == NULL || *key == '\0')
      {
        respond_unauthorized (msg, "bad_api_key", _("Incident intake needs an X-Api-Key header."));
        return;
      }
  hash = pct_hub_auth_digest (key);
  channel = pct_hub_storage_lookup_channel (self->storage, hash, &error);
  if (channel == NULL && !g_error_matches (error, PCT_HUB_STORAGE_ERROR,
                                           PCT_HUB_STORAGE_ERROR_NOT_FOUND))
    {
      respond_internal (msg, error);
      return;
    }
  if (channel == NULL || channel->revoked)
      {
        respond_unauthorized (msg, "bad_api_key", _("The API key is unknown or revoked."));
        return;
      }

  object = read_object (msg, NULL);
  if (object == NULL)
    return;
  if (!pct_hub_intake_submit (self->storage, channel->id, object, _pct_hub_server_now (), &id,
                              &uuid, &created, &field, &error))
    {
      respond_member_error (msg, error, field);
      return;
    }

  json = g_string_new (NULL);
  g_string_append_printf (json, "{\"id\":%" G_GINT64_FORMAT ",\"uuid\":", id);
  pct_record_append_json_string (json, uuid);
  g_string_append_c (json, '}');
  _pct_hub_server_respond_json (self, msg, created ? SOUP_STATUS_CREATED : SOUP_STATUS_OK, json);
}

/* Routing ------------------------------------------------------------------- */

static void
handle_changes (PctHubServer      *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  _pct_hub_server_handle_changes (self, msg, query);
}

static const Route routes[] = {
  { "/api/v1/status", "GET", handle_status },
  { "/api/v1/session", "POST", handle_sign_in },
  { "/api/v1/session", "DELETE", handle_sign_out },
  { "/api/v1/session/refresh", "POST", handle_refresh },
  { "/api/v1/changes", "GET", handle_changes },
  { "/api/v1/mutations", "POST", handle_mutations },
  { "/api/v1/unmask", "POST", handle_unmask },
  { "/api/v1/incidents", "POST", handle_intake },
};

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  Body *body = user_data;
  gsize size = g_bytes_get_size (chunk);

  if (body->too_large)
    return;
  if (body->data->len + size > PCT_HUB_SERVER_MAX_BODY)
    {
      body->too_large = TRUE;
      g_byte_array_set_size (body->data, 0);
      return;
    }
  g_byte_array_append (body->data, g_bytes_get_data (chunk, NULL), size);
}

/* Headers read, body not yet: refuse what is too large before reading
 * it, and gather the body ourselves. */
static void
early_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  PctHubServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  Body *body;

  if (self->stopping)
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                                     _("The server is stopping."), NULL, STOPPING_RETRY_AFTER);
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > PCT_HUB_SERVER_MAX_BODY)
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                                     _("The request body is larger than 16 MiB."), NULL, 0);
      return;
    }

  body = g_new0 (Body, 1);
  body->data = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (msg), BODY_KEY, body, body_free);
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), body);
}

static void
handle_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  PctHubServer *self = user_data;
  Body *body = g_object_get_data (G_OBJECT (msg), BODY_KEY);
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = g_string_new (NULL);

  if (body != NULL && body->too_large)
    {
      _pct_hub_server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                                     _("The request body is larger than 16 MiB."), NULL, 0);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!g_str_equal (routes[i].path, path))
        continue;
      if (g_str_equal (routes[i].method, method))
        {
          routes[i].func (self, msg, query);
          return;
        }
      g_string_append_printf (allow, "%s%s", allow->len > 0 ? ", " : "", routes[i].method);
    }

  if (allow->len > 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    allow->str);
      _pct_hub_server_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                                     _("This endpoint does not take that method."), NULL, 0);
      return;
    }
  _pct_hub_server_respond_error (msg, SOUP_STATUS_NOT_FOUND, "not_found",
                                 _("No such endpoint."), NULL, 0);
}

#define LIVE_PATH "/api/v1/live"

static void
request_read_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  PctHubServer *self = user_data;

  if (soup_server_message_get_status (msg) == 0 &&
      g_str_equal (g_uri_get_path (soup_server_message_get_uri (msg)), LIVE_PATH))
    _pct_hub_server_check_live (self, msg);
}

static void
live_cb (SoupServer              *server,
         SoupServerMessage       *msg,
         const char              *path,
         SoupWebsocketConnection *connection,
         gpointer                 user_data)
{
  _pct_hub_server_live_opened (user_data, msg, connection);
}

/* GObject ------------------------------------------------------------------- */

static void
pct_hub_server_dispose (GObject *object)
{
  PctHubServer *self = (PctHubServer *) object;

  _pct_hub_server_feed_stop (self);
  if (self->service != NULL)
    {
      pct_tls_service_close (self->service);
      g_clear_object (&self->service);
    }
  g_clear_object (&self->address);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->storage);

  G_OBJECT_CLASS (pct_hub_server_parent_class)->dispose (object);
}

static void
pct_hub_server_finalize (GObject *object)
{
  PctHubServer *self = (PctHubServer *) object;

  g_clear_pointer (&self->failures, g_hash_table_unref);
  g_clear_pointer (&self->live, g_ptr_array_unref);

  G_OBJECT_CLASS (pct_hub_server_parent_class)->finalize (object);
}

static void
pct_hub_server_class_init (PctHubServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pct_hub_server_dispose;
  object_class->finalize = pct_hub_server_finalize;
}

static void
pct_hub_server_init (PctHubServer *self)
{
  g_autofree char *header = g_strdup_printf ("precinct-hub/%s", PACKAGE_VERSION);

  self->token_ttl = PCT_HUB_SERVER_TOKEN_TTL;
  self->gzip_level = 1;
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->soup = soup_server_new ("server-header", header, NULL);

  soup_server_add_early_handler (self->soup, NULL, early_cb, self, NULL);
  soup_server_add_handler (self->soup, NULL, handle_cb, self, NULL);
  soup_server_add_websocket_handler (self->soup, LIVE_PATH, NULL, NULL, live_cb, self, NULL);
  g_signal_connect (self->soup, "request-read", G_CALLBACK (request_read_cb), self);
}

/* Public API ---------------------------------------------------------------- */

PctHubServer *
pct_hub_server_new (PctHubStorage *storage)
{
  PctHubServer *self;

  g_return_val_if_fail (PCT_IS_HUB_STORAGE (storage), NULL);

  self = g_object_new (PCT_TYPE_HUB_SERVER, NULL);
  self->storage = g_object_ref (storage);
  _pct_hub_server_feed_start (self);
  return self;
}

void
pct_hub_server_set_token_ttl (PctHubServer *self,
                              gint64        seconds)
{
  g_return_if_fail (PCT_IS_HUB_SERVER (self));
  g_return_if_fail (seconds > 0);

  self->token_ttl = seconds;
}

void
pct_hub_server_set_gzip_level (PctHubServer *self,
                               int           level)
{
  g_return_if_fail (PCT_IS_HUB_SERVER (self));
  g_return_if_fail (level >= 1 && level <= 9);

  self->gzip_level = level;
}

gboolean
pct_hub_server_listen (PctHubServer     *self,
                       GSocketAddress   *address,
                       GTlsCertificate  *certificate,
                       GError          **error)
{
  g_return_val_if_fail (PCT_IS_HUB_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);

  self->service = pct_tls_service_new (self->soup, certificate, address, &self->address, error);
  return self->service != NULL;
}

char *
pct_hub_server_get_url (PctHubServer *self)
{
  g_autofree char *host = NULL;
  GInetSocketAddress *address;

  g_return_val_if_fail (PCT_IS_HUB_SERVER (self), NULL);

  if (!G_IS_INET_SOCKET_ADDRESS (self->address))
    return NULL;
  address = G_INET_SOCKET_ADDRESS (self->address);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("https://[%s]:%u/", host, g_inet_socket_address_get_port (address));
  return g_strdup_printf ("https://%s:%u/", host, g_inet_socket_address_get_port (address));
}

void
pct_hub_server_stop (PctHubServer *self)
{
  g_return_if_fail (PCT_IS_HUB_SERVER (self));

  self->stopping = TRUE;
  _pct_hub_server_feed_stop (self);
}

gboolean
pct_hub_server_is_idle (PctHubServer *self)
{
  g_return_val_if_fail (PCT_IS_HUB_SERVER (self), TRUE);
  return self->n_pending == 0;
}
