/* test-hub-api.c — precinct-hub's API (docs/api.md) against real
 * precinct-hub processes over TLS on loopback
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-hub-api"

#include "config.h"

#include <string.h>

#include "hub-test-common.h"
#include "pct-record.h"
#include "pct-roles.h"
#include "pct-validate.h"

static HubTestEnv *env;
/* UUIDs handed out by new_uuid(), freed at the end. */
static GPtrArray *uuids;

/* Helpers ------------------------------------------------------------------ */

static const char *
new_uuid (void)
{
  char *uuid = g_uuid_string_random ();

  g_ptr_array_add (uuids, uuid);
  return uuid;
}

static HubTestServer *
start_server (const char * const *extra_args)
{
  g_autofree char *db = hub_test_env_copy_hub (env);

  return hub_test_server_start (env, db, extra_args);
}

static JsonObject *
object_of (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static guint
post (SoupSession   *session,
      HubTestServer *server,
      const char    *path,
      const char    *token,
      const char    *body,
      JsonNode     **reply)
{
  g_autofree char *url = hub_test_server_url (server, path);

  return hub_test_request (session, "POST", url, token, NULL, body, reply, NULL);
}

static guint
get (SoupSession   *session,
     HubTestServer *server,
     const char    *path,
     const char    *token,
     JsonNode     **reply)
{
  g_autofree char *url = hub_test_server_url (server, path);

  return hub_test_request (session, "GET", url, token, NULL, NULL, reply, NULL);
}

static char *
changes_path (const char *cursor,
              guint       limit,
              guint       wait)
{
  g_autoptr(GString) path = g_string_new ("api/v1/changes?");

  g_string_append_printf (path, "limit=%u", limit);
  if (wait > 0)
    g_string_append_printf (path, "&wait=%u", wait);
  if (cursor != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (cursor, NULL, FALSE);

      g_string_append_printf (path, "&cursor=%s", escaped);
    }
  return g_string_free (g_steal_pointer (&path), FALSE);
}

/* Reads the feed from cursor to its end, checking what docs/api.md
 * promises of every page; returns the records (JsonNode). */
static GPtrArray *
read_feed (SoupSession    *session,
           HubTestServer  *server,
           const char     *token,
           const char     *cursor,
           guint           limit,
           char          **end_cursor)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char *current = g_strdup (cursor);
  gboolean more = TRUE;

  while (more)
    {
      g_autofree char *path = changes_path (current, limit, 0);
      g_autofree char *url = hub_test_server_url (server, path);
      g_autoptr(JsonNode) reply = NULL;
      g_autoptr(SoupMessageHeaders) headers = NULL;
      JsonObject *page;
      JsonArray *array;
      const char *next;

      g_assert_cmpuint (hub_test_request (session, "GET", url, token, NULL, NULL, &reply,
                                          &headers), ==, 200);
      page = object_of (reply);
      array = json_object_get_array_member (page, "records");
      next = json_object_get_string_member (page, "cursor");
      more = json_object_get_boolean_member (page, "has_more");

      g_assert_cmpstr (soup_message_headers_get_one (headers, "Precinct-Cursor"), ==, next);
      g_assert_cmpstr (soup_message_headers_get_one (headers, "Precinct-Has-More"), ==,
                       more ? "true" : "false");
      g_assert_cmpuint (json_array_get_length (array), <=, limit);
      if (more)
        {
          g_assert_cmpuint (json_array_get_length (array), >, 0);
          g_assert_cmpstr (next, !=, current);
        }
      for (guint i = 0; i < json_array_get_length (array); i++)
        g_ptr_array_add (records, json_node_ref (json_array_get_element (array, i)));

      g_free (current);
      current = g_strdup (next);
    }

  if (end_cursor != NULL)
    *end_cursor = g_steal_pointer (&current);
  return g_steal_pointer (&records);
}

static char *
feed_end (SoupSession   *session,
          HubTestServer *server,
          const char    *token)
{
  g_autoptr(GPtrArray) records = NULL;
  char *cursor = NULL;

  records = read_feed (session, server, token, NULL, 10000, &cursor);
  return cursor;
}

static JsonObject *
find_record (GPtrArray  *records,
             const char *entity,
             gint64      id)
{
  for (guint i = 0; i < records->len; i++)
    {
      JsonObject *record = object_of (g_ptr_array_index (records, i));

      if (g_str_equal (json_object_get_string_member (record, "entity"), entity) &&
          json_object_get_int_member (record, "id") == id)
        return record;
    }
  return NULL;
}

static char *
rfc3339_now (int offset_seconds)
{
  g_autoptr(GTimeZone) china = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) now = g_date_time_new_now (china);
  g_autoptr(GDateTime) then = g_date_time_add_seconds (now, offset_seconds);

  return g_date_time_format (then, "%Y-%m-%dT%H:%M:%S+08:00");
}

/* The position and code of some address and a category of the district. */
typedef struct
{
  gint64  address_id;
  double  lon;
  double  lat;
  char   *category;
  gint64  category_id;
} Place;

static void
find_place (Place *place)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = pct_store_open (env->district, PCT_STORE_OPEN_READ_ONLY, &error);
  sqlite3_stmt *stmt;

  g_assert_no_error (error);
  stmt = pct_store_prepare (store, "SELECT id, lon, lat FROM addresses ORDER BY id LIMIT 1 "
                                   "OFFSET 100", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  place->address_id = sqlite3_column_int64 (stmt, 0);
  place->lon = sqlite3_column_double (stmt, 1);
  place->lat = sqlite3_column_double (stmt, 2);
  sqlite3_reset (stmt);

  stmt = pct_store_prepare (store, "SELECT id, code FROM categories WHERE kind = 'event' "
                                   "AND time_limit > 0 ORDER BY id LIMIT 1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  place->category_id = sqlite3_column_int64 (stmt, 0);
  place->category = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  sqlite3_reset (stmt);
}

static char *
intake_body (const Place *place,
             const char  *external_id)
{
  g_autofree char *when = rfc3339_now (-60);
  char lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_dtostr (lat, sizeof lat, place->lat);
  g_ascii_dtostr (lon, sizeof lon, place->lon);
  if (external_id != NULL)
    return g_strdup_printf ("{\"category\":\"%s\",\"lat\":%s,\"lon\":%s,\"description\":"
                            "\"井盖倾斜 23°\",\"reported_at\":\"%s\",\"source\":\"sensor\","
                            "\"severity\":3,\"external_id\":\"%s\"}",
                            place->category, lat, lon, when, external_id);
  return g_strdup_printf ("{\"category\":\"%s\",\"lat\":%s,\"lon\":%s,\"description\":"
                          "\"暴露垃圾\",\"reported_at\":\"%s\"}",
                          place->category, lat, lon, when);
}

/* Reports an incident through intake; returns its key. */
static gint64
report_incident (SoupSession   *session,
                 HubTestServer *server,
                 const Place   *place)
{
  g_autofree char *url = hub_test_server_url (server, "api/v1/incidents");
  g_autofree char *body = intake_body (place, NULL);
  g_autoptr(JsonNode) reply = NULL;

  g_assert_cmpuint (hub_test_request (session, "POST", url, NULL, env->api_key, body, &reply,
                                      NULL), ==, 201);
  return json_object_get_int_member (object_of (reply), "id");
}

static void
place_clear (Place *place)
{
  g_free (place->category);
}

/* Applies records into store as a client does, a page in a transaction. */
static void
apply_records (PctStore  *store,
               GPtrArray *records)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_store_begin (store, &error));
  for (guint i = 0; i < records->len; i++)
    {
      if (!pct_record_apply (store, object_of (g_ptr_array_index (records, i)), &error))
        {
          g_autoptr(JsonGenerator) generator = json_generator_new ();
          g_autofree char *text = NULL;

          json_generator_set_root (generator, g_ptr_array_index (records, i));
          text = json_generator_to_data (generator, NULL);
          g_error ("Record %u (%s) does not apply: %s", i, text, error->message);
        }
    }
  g_assert_true (pct_store_commit (store, &error));
}

static PctStore *
new_client_store (const char *name)
{
  g_autofree char *path = g_build_filename (env->dir, name, NULL);
  g_autoptr(GError) error = NULL;
  PctStore *store = pct_store_open (path, PCT_STORE_OPEN_CREATE, &error);

  g_assert_no_error (error);
  return store;
}

static char *
dump_hash (const char *db)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "dump-hash", "--db", db, NULL }, NULL,
                                     &out, NULL), ==, 0);
  return g_strdup (g_strstrip (out));
}

/* A mutation batch of one, answered with its one result. */
static JsonObject *
mutate (SoupSession   *session,
        HubTestServer *server,
        const char    *token,
        const char    *mutation,
        JsonNode     **reply)
{
  g_autofree char *body = g_strdup_printf ("{\"mutations\":[%s]}", mutation);
  JsonArray *results;

  g_assert_cmpuint (post (session, server, "api/v1/mutations", token, body, reply), ==, 200);
  results = json_object_get_array_member (object_of (*reply), "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 1);
  return json_array_get_object_element (results, 0);
}

static void
assert_status (JsonObject *result,
               const char *status)
{
  if (g_strcmp0 (json_object_get_string_member (result, "status"), status) != 0 &&
      json_object_has_member (result, "reason"))
    g_test_message ("Rejected: %s", json_object_get_string_member (result, "reason"));
  g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, status);
}

static void
assert_rejected (JsonObject *result,
                 const char *code)
{
  assert_status (result, "rejected");
  g_assert_cmpstr (json_object_get_string_member (result, "code"), ==, code);
  g_assert_true (strlen (json_object_get_string_member (result, "reason")) > 0);
}

/* The command line ----------------------------------------------------------- */

static void
test_cli (void)
{
  g_autofree char *db = hub_test_env_copy_hub (env);
  g_autofree char *fresh = g_build_filename (env->dir, "cli-seed.db", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *key = NULL;
  g_autofree char *hash = NULL;
  g_auto(GStrv) lines = NULL;

  /* seed prints counts; a second seed into the same store is refused. */
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "seed", "--db", fresh, "--district",
                                                        env->district, NULL },
                                     NULL, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "address "));
  g_assert_nonnull (strstr (out, "person "));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "seed", "--db", fresh, "--district",
                                                        env->district, NULL },
                                     NULL, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "precinct-hub: "));
  g_clear_pointer (&err, g_free);

  /* A district that does not exist leaves no store behind. */
  {
    g_autofree char *missing = g_build_filename (env->dir, "missing-seed.db", NULL);

    g_assert_cmpint (hub_test_run_hub ((const char *[]) { "seed", "--db", missing, "--district",
                                                          "/nonexistent/district.db", NULL },
                                       NULL, NULL, NULL), ==, 1);
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }

  /* channel add prints the key and nothing else. */
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "channel", "add", "hotline", "--db", db,
                                                        NULL }, NULL, &key, NULL), ==, 0);
  lines = g_strsplit (g_strstrip (key), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_cmpuint (strlen (lines[0]), ==, 43);

  /* Usage errors exit 2, failures 1. */
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "user", "add", "x", "--role", "chief",
                                                        "--db", db, NULL }, "pw\n", NULL, NULL),
                   ==, 2);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "user", "add", HUB_TEST_ADMIN, "--role",
                                                        "admin", "--db", db, NULL },
                                     "again\n", NULL, NULL), ==, 1);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "user", "add", "nopass", "--role", "clerk",
                                                        "--db", db, NULL }, "", NULL, NULL),
                   ==, 1);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "frobnicate", NULL }, NULL, NULL, NULL),
                   ==, 2);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "serve", "--db", db, NULL }, NULL, NULL,
                                     NULL), ==, 2);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "token", "revoke", "--db", db, "--user",
                                                        "nobody", NULL }, NULL, NULL, NULL),
                   ==, 1);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "dump-hash", "--db", env->district, NULL },
                                     NULL, NULL, NULL), ==, 1);

  hash = dump_hash (db);
  g_assert_cmpuint (strlen (hash), ==, 64);
}

/* Sessions ------------------------------------------------------------------- */

static void
test_status (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *status;

  g_assert_cmpuint (get (session, server, "api/v1/status", NULL, &reply), ==, 200);
  status = object_of (reply);
  g_assert_cmpint (json_object_get_int_member (status, "api"), ==, 1);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (status, "server"),
                                   "precinct-hub "));
  g_assert_cmpstr (json_object_get_string_member (status, "district"), ==, "江津区");
  g_assert_cmpint (ABS (json_object_get_int_member (status, "time") -
                        g_get_real_time () / G_USEC_PER_SEC), <, 60);
  hub_test_server_stop (server);
}

static void
test_sign_in (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autofree char *url = hub_test_server_url (server, "api/v1/session");
  g_autofree char *good = g_strdup_printf ("{\"user\":\"%s\",\"password\":\"%s%s\"}",
                                           HUB_TEST_CLERK, HUB_TEST_CLERK,
                                           HUB_TEST_PASSWORD_SUFFIX);
  const char *bad = "{\"user\":\"" HUB_TEST_CLERK "\",\"password\":\"wrong\"}";
  JsonObject *session_reply;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_cmpuint (post (session, server, "api/v1/session", NULL, good, &reply), ==, 200);
  session_reply = object_of (reply);
  g_assert_cmpuint (strlen (json_object_get_string_member (session_reply, "token")), ==, 43);
  g_assert_cmpuint (strlen (json_object_get_string_member (session_reply, "refresh_token")), ==,
                    43);
  g_assert_cmpint (json_object_get_int_member (session_reply, "expires_at") - now, >, 3500);
  g_assert_cmpint (json_object_get_int_member (session_reply, "expires_at") - now, <=, 3601);
  g_assert_cmpint (json_object_get_int_member (session_reply, "refresh_expires_at") - now, >,
                   6 * 24 * 3600);
  g_assert_cmpstr (json_object_get_string_member (session_reply, "user"), ==, HUB_TEST_CLERK);
  g_assert_cmpstr (json_object_get_string_member (session_reply, "role"), ==, "clerk");
  g_clear_pointer (&reply, json_node_unref);

  /* Wrong password and unknown user answer alike. */
  g_assert_cmpuint (post (session, server, "api/v1/session", NULL,
                          "{\"user\":\"nobody\",\"password\":\"x\"}", &reply), ==, 401);
  hub_test_assert_error (reply, "bad_credentials");
  g_clear_pointer (&reply, json_node_unref);

  /* Five failures in a minute lock the name out, right password or not. */
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpuint (post (session, server, "api/v1/session", NULL, bad, &reply), ==, 401);
      hub_test_assert_error (reply, "bad_credentials");
      g_clear_pointer (&reply, json_node_unref);
    }
  g_assert_cmpuint (hub_test_request (session, "POST", url, NULL, NULL, good, &reply, &headers),
                    ==, 429);
  hub_test_assert_error (reply, "rate_limited");
  g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
  g_assert_cmpint (g_ascii_strtoll (soup_message_headers_get_one (headers, "Retry-After"),
                                    NULL, 10), ==,
                   json_object_get_int_member (json_object_get_object_member (object_of (reply),
                                                                              "error"),
                                               "retry_after"));
  g_clear_pointer (&reply, json_node_unref);

  /* Another user is not locked out. */
  g_free (hub_test_sign_in (session, server, HUB_TEST_DISPATCHER));
  hub_test_server_stop (server);
}

static void
test_refresh_and_sign_out (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *body = g_strdup_printf ("{\"user\":\"%s\",\"password\":\"%s%s\"}",
                                           HUB_TEST_DISPATCHER, HUB_TEST_DISPATCHER,
                                           HUB_TEST_PASSWORD_SUFFIX);
  g_autofree char *url = hub_test_server_url (server, "api/v1/session");
  g_autofree char *token = NULL;
  g_autofree char *refresh = NULL;
  g_autofree char *refresh_body = NULL;
  g_autoptr(JsonNode) reply = NULL;
  const char *new_token;

  g_assert_cmpuint (post (session, server, "api/v1/session", NULL, body, &reply), ==, 200);
  token = g_strdup (json_object_get_string_member (object_of (reply), "token"));
  refresh = g_strdup (json_object_get_string_member (object_of (reply), "refresh_token"));
  g_clear_pointer (&reply, json_node_unref);

  /* The access token is no refresh token, nor the other way round. */
  refresh_body = g_strdup_printf ("{\"refresh_token\":\"%s\"}", token);
  g_assert_cmpuint (post (session, server, "api/v1/session/refresh", NULL, refresh_body, &reply),
                    ==, 401);
  hub_test_assert_error (reply, "token_invalid");
  g_clear_pointer (&reply, json_node_unref);
  g_assert_cmpuint (get (session, server, "api/v1/changes?limit=1", refresh, &reply), ==, 401);
  hub_test_assert_error (reply, "token_invalid");
  g_clear_pointer (&reply, json_node_unref);

  g_free (refresh_body);
  refresh_body = g_strdup_printf ("{\"refresh_token\":\"%s\"}", refresh);
  g_assert_cmpuint (post (session, server, "api/v1/session/refresh", NULL, refresh_body, &reply),
                    ==, 200);
  new_token = json_object_get_string_member (object_of (reply), "token");
  g_assert_cmpstr (new_token, !=, token);
  g_assert_cmpstr (json_object_get_string_member (object_of (reply), "role"), ==, "dispatcher");
  {
    g_autoptr(JsonNode) page = NULL;

    g_assert_cmpuint (get (session, server, "api/v1/changes?limit=1", new_token, &page), ==, 200);
  }

  /* The old pair stops working. */
  {
    g_autoptr(JsonNode) again = NULL;

    g_assert_cmpuint (post (session, server, "api/v1/session/refresh", NULL, refresh_body,
                            &again), ==, 401);
    hub_test_assert_error (again, "token_revoked");
    g_clear_pointer (&again, json_node_unref);
    g_assert_cmpuint (get (session, server, "api/v1/changes?limit=1", token, &again), ==, 401);
    hub_test_assert_error (again, "token_revoked");
  }

  /* Signing out revokes the access token and its refresh token. */
  {
    g_autoptr(JsonNode) out = NULL;
    g_autofree char *new_refresh = g_strdup (json_object_get_string_member (object_of (reply),
                                                                           "refresh_token"));
    g_autofree char *new_refresh_body = g_strdup_printf ("{\"refresh_token\":\"%s\"}",
                                                         new_refresh);

    g_assert_cmpuint (hub_test_request (session, "DELETE", url, new_token, NULL, NULL, &out,
                                        NULL), ==, 204);
    g_assert_null (out);
    g_assert_cmpuint (get (session, server, "api/v1/changes?limit=1", new_token, &out), ==, 401);
    hub_test_assert_error (out, "token_revoked");
    g_clear_pointer (&out, json_node_unref);
    g_assert_cmpuint (post (session, server, "api/v1/session/refresh", NULL, new_refresh_body,
                            &out), ==, 401);
    hub_test_assert_error (out, "token_revoked");
  }
  hub_test_server_stop (server);
}

static void
test_token_expiry (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server ((const char *[]) { "--token-ttl", "1", NULL });
  g_autofree char *body = g_strdup_printf ("{\"user\":\"%s\",\"password\":\"%s%s\"}",
                                           HUB_TEST_ADMIN, HUB_TEST_ADMIN,
                                           HUB_TEST_PASSWORD_SUFFIX);
  g_autofree char *refresh_body = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) page = NULL;
  const char *token;

  g_assert_cmpuint (post (session, server, "api/v1/session", NULL, body, &reply), ==, 200);
  token = json_object_get_string_member (object_of (reply), "token");
  g_usleep (2100 * 1000);
  g_assert_cmpuint (get (session, server, "api/v1/changes?limit=1", token, &page), ==, 401);
  hub_test_assert_error (page, "token_expired");
  g_clear_pointer (&page, json_node_unref);

  /* The refresh token lives on: a new pair. */
  refresh_body = g_strdup_printf ("{\"refresh_token\":\"%s\"}",
                                  json_object_get_string_member (object_of (reply),
                                                                 "refresh_token"));
  g_clear_pointer (&reply, json_node_unref);
  g_assert_cmpuint (post (session, server, "api/v1/session/refresh", NULL, refresh_body, &reply),
                    ==, 200);
  token = json_object_get_string_member (object_of (reply), "token");
  g_assert_cmpuint (get (session, server, "api/v1/changes?limit=1", token, &page), ==, 200);
  hub_test_server_stop (server);
}

static void
test_token_revoke (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *token = hub_test_sign_in (session, server, HUB_TEST_SUPERVISOR);
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) reply = NULL;

  g_assert_cmpuint (get (session, server, "api/v1/changes?limit=1", token, &reply), ==, 200);
  g_clear_pointer (&reply, json_node_unref);
  g_assert_cmpint (hub_test_run_hub ((const char *[]) { "token", "revoke", "--db", server->db,
                                                        "--user", HUB_TEST_SUPERVISOR, NULL },
                                     NULL, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "1"));
  g_assert_cmpuint (get (session, server, "api/v1/changes?limit=1", token, &reply), ==, 401);
  hub_test_assert_error (reply, "token_revoked");
  hub_test_server_stop (server);
}

/* Errors --------------------------------------------------------------------- */

static void
expect_error (SoupSession   *session,
              HubTestServer *server,
              const char    *method,
              const char    *path,
              const char    *token,
              const char    *api_key,
              const char    *body,
              guint          status,
              const char    *code,
              const char    *field)
{
  g_autofree char *url = hub_test_server_url (server, path);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;

  g_assert_cmpuint (hub_test_request (session, method, url, token, api_key, body, &reply,
                                      &headers), ==, status);
  hub_test_assert_error (reply, code);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/json");
  if (field != NULL)
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                       object_of (reply), "error"), "field"), ==, field);
}

static void
test_errors (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *token = hub_test_sign_in (session, server, HUB_TEST_DISPATCHER);
  g_autofree char *clerk = hub_test_sign_in (session, server, HUB_TEST_CLERK);
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) big = g_string_new ("{\"mutations\":[");
  g_autoptr(GString) many = g_string_new ("{\"mutations\":[");

  expect_error (session, server, "GET", "api/v1/changes", NULL, NULL, NULL, 401, "token_missing",
                NULL);
  expect_error (session, server, "GET", "api/v1/changes", "not-a-token", NULL, NULL, 401,
                "token_invalid", NULL);
  expect_error (session, server, "GET", "api/v1/nothing", token, NULL, NULL, 404, "not_found",
                NULL);
  expect_error (session, server, "PUT", "api/v1/changes", token, NULL, "{}", 405,
                "method_not_allowed", NULL);
  expect_error (session, server, "POST", "api/v1/live", token, NULL, "{}", 405,
                "method_not_allowed", NULL);

  /* Bodies refused before anything is done with them. */
  expect_error (session, server, "POST", "api/v1/session", NULL, NULL, "{\"user\":", 400,
                "invalid_json", NULL);
  expect_error (session, server, "POST", "api/v1/session", NULL, NULL,
                "{\"user\":\"a\",\"user\":\"b\",\"password\":\"c\"}", 400, "invalid_json", NULL);
  expect_error (session, server, "POST", "api/v1/session", NULL, NULL,
                "{\"user\":\"\xff\",\"password\":\"c\"}", 400, "invalid_json", NULL);
  expect_error (session, server, "POST", "api/v1/session", NULL, NULL, "{'user':1}", 400,
                "invalid_json", NULL);
  expect_error (session, server, "POST", "api/v1/session", NULL, NULL, "", 400, "invalid_json",
                NULL);
  for (guint i = 0; i < 17; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 17; i++)
    g_string_append_c (deep, ']');
  expect_error (session, server, "POST", "api/v1/mutations", token, NULL, deep->str, 400,
                "invalid_json", NULL);

  /* Members missing, of the wrong type, not listed. */
  expect_error (session, server, "POST", "api/v1/session", NULL, NULL, "{\"user\":\"a\"}", 400,
                "invalid_request", "password");
  expect_error (session, server, "POST", "api/v1/session", NULL, NULL,
                "{\"user\":\"a\",\"password\":3}", 400, "invalid_request", "password");
  expect_error (session, server, "POST", "api/v1/session", NULL, NULL,
                "{\"user\":\"a\",\"password\":\"b\",\"otp\":\"1\"}", 400, "invalid_request", "otp");
  expect_error (session, server, "POST", "api/v1/mutations", token, NULL, "[]", 400,
                "invalid_request", NULL);
  expect_error (session, server, "GET", "api/v1/changes?limit=0", token, NULL, NULL, 400,
                "invalid_request", "limit");
  expect_error (session, server, "GET", "api/v1/changes?limit=10001", token, NULL, NULL, 400,
                "invalid_request", "limit");
  expect_error (session, server, "GET", "api/v1/changes?wait=61", token, NULL, NULL, 400,
                "invalid_request", "wait");

  /* Too large: over 16 MiB, or over 500 mutations. */
  while (big->len <= 16 * 1024 * 1024)
    g_string_append (big, "{\"uuid\":\"00000000-0000-4000-8000-000000000000\",\"data\":{}},");
  g_string_append (big, "{}]}");
  expect_error (session, server, "POST", "api/v1/mutations", token, NULL, big->str, 413,
                "too_large", NULL);
  for (guint i = 0; i < 501; i++)
    g_string_append (many, i > 0 ? ",{}" : "{}");
  g_string_append (many, "]}");
  expect_error (session, server, "POST", "api/v1/mutations", token, NULL, many->str, 413,
                "too_large", NULL);

  /* Cursors. */
  expect_error (session, server, "GET", "api/v1/changes?cursor=garbage", token, NULL, NULL, 400,
                "invalid_cursor", NULL);
  expect_error (session, server, "GET", "api/v1/changes?cursor=abc.-5", token, NULL, NULL, 400,
                "invalid_cursor", NULL);
  expect_error (session, server, "GET", "api/v1/changes?cursor=otherdb123.5", token, NULL, NULL,
                409, "cursor_reset", NULL);
  {
    g_autofree char *end = feed_end (session, server, token);
    g_auto(GStrv) parts = g_strsplit (end, ".", 2);
    g_autofree char *beyond = g_strdup_printf ("%s.999999999", parts[0]);
    g_autofree char *path = changes_path (beyond, 10, 0);

    expect_error (session, server, "GET", path, token, NULL, NULL, 409, "cursor_reset", NULL);
  }

  /* Intake keys, roles. */
  expect_error (session, server, "POST", "api/v1/incidents", NULL, NULL, "{}", 401,
                "bad_api_key", NULL);
  expect_error (session, server, "POST", "api/v1/incidents", NULL, "wrong-key", "{}", 401,
                "bad_api_key", NULL);
  expect_error (session, server, "POST", "api/v1/unmask", clerk, NULL,
                "{\"entity\":\"person\",\"id\":1,\"field\":\"id_number\",\"reason\":\"核实身份\"}",
                403, "forbidden", NULL);
  hub_test_server_stop (server);
}

/* The changes feed ----------------------------------------------------------- */

static void
test_full_sync (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *token = hub_test_sign_in (session, server, HUB_TEST_ADMIN);
  g_autofree char *cursor = NULL;
  g_autofree char *client_hash = NULL;
  g_autofree char *hub_hash = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(PctStore) client = new_client_store ("client-full.db");
  g_autoptr(GError) error = NULL;
  Place place = { 0 };
  gint64 incident;

  records = read_feed (session, server, token, NULL, 700, &cursor);
  g_assert_cmpuint (records->len, >, 10000);

  /* Every row once; none masked for an administrator. */
  for (guint i = 0; i < records->len; i++)
    {
      JsonObject *record = object_of (g_ptr_array_index (records, i));
      JsonNode *id = json_object_get_member (record, "id");
      g_autofree char *key = NULL;

      key = JSON_NODE_HOLDS_VALUE (id) && json_node_get_value_type (id) == G_TYPE_STRING
            ? g_strdup_printf ("%s/%s", json_object_get_string_member (record, "entity"),
                               json_node_get_string (id))
            : g_strdup_printf ("%s/%" G_GINT64_FORMAT,
                               json_object_get_string_member (record, "entity"),
                               json_node_get_int (id));
      g_assert_true (g_hash_table_add (seen, g_steal_pointer (&key)));
      g_assert_false (json_object_has_member (record, "masked"));
      g_assert_false (json_object_has_member (record, "deleted"));
    }

  /* In an order whose references resolve: the whole feed applies, and
   * gives the hub's content. */
  apply_records (client, records);
  client_hash = pct_store_content_hash (client, &error);
  g_assert_no_error (error);
  hub_hash = dump_hash (server->db);
  g_assert_cmpstr (client_hash, ==, hub_hash);

  /* A delta from the end holds what changed since, and nothing else. */
  find_place (&place);
  incident = report_incident (session, server, &place);
  delta = read_feed (session, server, token, cursor, 2000, NULL);
  g_assert_cmpuint (delta->len, ==, 1);
  g_assert_nonnull (find_record (delta, "incident", incident));
  g_assert_cmpint (json_object_get_int_member (find_record (delta, "incident", incident),
                                               "version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
                     find_record (delta, "incident", incident), "data"), "address_id"), ==,
                   place.address_id);
  apply_records (client, delta);
  g_free (client_hash);
  g_free (hub_hash);
  client_hash = pct_store_content_hash (client, &error);
  hub_hash = dump_hash (server->db);
  g_assert_cmpstr (client_hash, ==, hub_hash);

  place_clear (&place);
  hub_test_server_stop (server);
}

static void
test_gzip (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *token = hub_test_sign_in (session, server, HUB_TEST_ADMIN);
  g_autofree char *url = hub_test_server_url (server, "api/v1/changes?limit=2000");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GConverter) decompressor = NULL;
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GInputStream) inflated = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) json = NULL;

  /* Read the bytes as sent, without libsoup's decoder. */
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                authorization);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept-Encoding",
                                "gzip");
  body = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                 "Content-Encoding"), ==, "gzip");

  decompressor = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
  raw = g_memory_input_stream_new_from_bytes (body);
  inflated = g_converter_input_stream_new (raw, decompressor);
  g_output_stream_splice (out, inflated, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);
  json = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  g_assert_cmpuint (g_bytes_get_size (json), >, 3 * g_bytes_get_size (body));
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (json, NULL),
                                             (gssize) g_bytes_get_size (json), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      object_of (json_parser_get_root (parser)), "records")), ==, 2000);

  /* A gzip request body is read too. */
  {
    g_autofree char *session_url = hub_test_server_url (server, "api/v1/session");
    g_autoptr(SoupMessage) sign_in = soup_message_new ("POST", session_url);
    g_autofree char *text = g_strdup_printf ("{\"user\":\"%s\",\"password\":\"%s%s\"}",
                                             HUB_TEST_CLERK, HUB_TEST_CLERK,
                                             HUB_TEST_PASSWORD_SUFFIX);
    g_autoptr(GConverter) compressor =
      G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6));
    g_autoptr(GInputStream) plain = g_memory_input_stream_new_from_data (text, strlen (text),
                                                                         NULL);
    g_autoptr(GInputStream) zipped = g_converter_input_stream_new (plain, compressor);
    g_autoptr(GOutputStream) collected = g_memory_output_stream_new_resizable ();
    g_autoptr(GBytes) compressed = NULL;
    g_autoptr(GBytes) answer = NULL;

    g_output_stream_splice (collected, zipped, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL,
                            &error);
    g_assert_no_error (error);
    compressed = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (collected));
    soup_message_set_request_body_from_bytes (sign_in, "application/json", compressed);
    soup_message_headers_replace (soup_message_get_request_headers (sign_in), "Content-Encoding",
                                  "gzip");
    answer = soup_session_send_and_read (session, sign_in, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (sign_in), ==, 200);
  }
  hub_test_server_stop (server);
}

static void
test_masking (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *dispatcher = hub_test_sign_in (session, server, HUB_TEST_DISPATCHER);
  g_autofree char *admin = hub_test_sign_in (session, server, HUB_TEST_ADMIN);
  g_autoptr(GPtrArray) masked = read_feed (session, server, dispatcher, NULL, 5000, NULL);
  g_autoptr(GPtrArray) clear = read_feed (session, server, admin, NULL, 5000, NULL);
  g_autoptr(PctStore) client = new_client_store ("client-dispatcher.db");
  guint people = 0;

  g_assert_cmpuint (masked->len, ==, clear->len);
  for (guint i = 0; i < masked->len; i++)
    {
      JsonObject *record = object_of (g_ptr_array_index (masked, i));
      JsonObject *data;
      const char *id_number;
      JsonArray *fields;
      gboolean listed = FALSE;

      if (!g_str_equal (json_object_get_string_member (record, "entity"), "person"))
        continue;
      people++;
      data = json_object_get_object_member (record, "data");
      id_number = json_object_get_string_member (data, "id_number");

      /* Never a number that passes its check: always the masked form. */
      g_assert_false (pct_validate_id_number (id_number, NULL, NULL));
      g_assert_true (pct_roles_is_masked_form ("person", "id_number", id_number));
      fields = json_object_get_array_member (record, "masked");
      g_assert_nonnull (fields);
      for (guint f = 0; f < json_array_get_length (fields); f++)
        listed = listed || g_str_equal (json_array_get_string_element (fields, f), "id_number");
      g_assert_true (listed);

      /* The administrator reads the same person in clear. */
      {
        JsonObject *plain = find_record (clear, "person", json_object_get_int_member (record,
                                                                                     "id"));
        const char *number;

        g_assert_nonnull (plain);
        g_assert_false (json_object_has_member (plain, "masked"));
        number = json_object_get_string_member (json_object_get_object_member (plain, "data"),
                                                "id_number");
        g_assert_cmpstr (number, !=, id_number);
        g_assert_true (strncmp (number, id_number, 6) == 0);
      }
      if (people >= 300)
        break;
    }
  g_assert_cmpuint (people, ==, 300);

  /* A client stores masked records as received. */
  apply_records (client, masked);
  hub_test_server_stop (server);
}

static JsonObject *
first_person (GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++)
    {
      JsonObject *record = object_of (g_ptr_array_index (records, i));

      if (g_str_equal (json_object_get_string_member (record, "entity"), "person"))
        return record;
    }
  g_assert_not_reached ();
}

static void
test_unmask (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *dispatcher = hub_test_sign_in (session, server, HUB_TEST_DISPATCHER);
  g_autofree char *admin = hub_test_sign_in (session, server, HUB_TEST_ADMIN);
  g_autoptr(GPtrArray) clear = read_feed (session, server, admin, NULL, 10000, NULL);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(PctStore) hub = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  JsonObject *person = first_person (clear);
  gint64 id = json_object_get_int_member (person, "id");
  const char *number = json_object_get_string_member (json_object_get_object_member (person,
                                                                                     "data"),
                                                      "id_number");
  sqlite3_stmt *stmt;

  body = g_strdup_printf ("{\"entity\":\"person\",\"id\":%" G_GINT64_FORMAT
                          ",\"field\":\"id_number\",\"reason\":\"核实报警人身份\"}", id);
  g_assert_cmpuint (post (session, server, "api/v1/unmask", dispatcher, body, &reply), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (object_of (reply), "value"), ==, number);
  g_clear_pointer (&reply, json_node_unref);

  /* Logged with who, which record, which field and why. */
  hub = pct_store_open (server->db, PCT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  stmt = pct_store_prepare (hub, "SELECT actor, entity, entity_id, field, reason, at "
                                 "FROM audit_log WHERE action = 'unmask'", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, HUB_TEST_DISPATCHER);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "person");
  g_assert_cmpint (sqlite3_column_int64 (stmt, 2), ==, id);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 3), ==, "id_number");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 4), ==, "核实报警人身份");
  g_assert_cmpint (ABS (sqlite3_column_int64 (stmt, 5) - g_get_real_time () / G_USEC_PER_SEC),
                   <, 60);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);

  /* A reason is required; the record must exist; the field be personal. */
  g_free (body);
  body = g_strdup_printf ("{\"entity\":\"person\",\"id\":%" G_GINT64_FORMAT
                          ",\"field\":\"id_number\",\"reason\":\"查\"}", id);
  g_assert_cmpuint (post (session, server, "api/v1/unmask", dispatcher, body, &reply), ==, 400);
  hub_test_assert_error (reply, "invalid_request");
  g_clear_pointer (&reply, json_node_unref);
  g_assert_cmpuint (post (session, server, "api/v1/unmask", dispatcher,
                          "{\"entity\":\"person\",\"id\":99999999,\"field\":\"id_number\","
                          "\"reason\":\"核实身份\"}", &reply), ==, 404);
  hub_test_assert_error (reply, "not_found");
  g_clear_pointer (&reply, json_node_unref);
  g_assert_cmpuint (post (session, server, "api/v1/unmask", dispatcher,
                          "{\"entity\":\"person\",\"id\":1,\"field\":\"category\","
                          "\"reason\":\"核实身份\"}", &reply), ==, 400);
  hub_test_assert_error (reply, "invalid_request");
  hub_test_server_stop (server);
}

/* Mutations ------------------------------------------------------------------ */

static char *
incident_create (const char  *mutation_uuid,
                 const char  *incident_uuid,
                 const Place *place,
                 const char  *category_id)
{
  char lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_dtostr (lat, sizeof lat, place->lat);
  g_ascii_dtostr (lon, sizeof lon, place->lon);
  return g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"incident\",\"op\":\"create\",\"id\":-3,"
                          "\"data\":{\"uuid\":\"%s\",\"category_id\":%s,\"source\":\"operator\","
                          "\"severity\":3,\"status\":\"reported\",\"description\":\"井盖移位\","
                          "\"lon\":%s,\"lat\":%s,\"reported_at\":%" G_GINT64_FORMAT "}}",
                          mutation_uuid, incident_uuid, category_id, lon, lat,
                          g_get_real_time () / G_USEC_PER_SEC);
}

static void
test_mutations (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *token = hub_test_sign_in (session, server, HUB_TEST_DISPATCHER);
  g_autofree char *clerk = hub_test_sign_in (session, server, HUB_TEST_CLERK);
  g_autofree char *admin = hub_test_sign_in (session, server, HUB_TEST_ADMIN);
  g_autofree char *cursor = feed_end (session, server, admin);
  g_autofree char *mutation_uuid = g_uuid_string_random ();
  g_autofree char *incident_uuid = g_uuid_string_random ();
  g_autofree char *create = NULL;
  g_autofree char *category = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) replay = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  JsonObject *result;
  JsonObject *record;
  Place place = { 0 };
  gint64 id;

  find_place (&place);
  category = g_strdup_printf ("%" G_GINT64_FORMAT, place.category_id);
  create = incident_create (mutation_uuid, incident_uuid, &place, category);

  /* Applied: a server key, version 1; the incident's uuid kept. */
  result = mutate (session, server, token, create, &reply);
  assert_status (result, "applied");
  g_assert_cmpstr (json_object_get_string_member (result, "uuid"), ==, mutation_uuid);
  id = json_object_get_int_member (result, "id");
  g_assert_cmpint (id, >, 0);
  g_assert_cmpint (json_object_get_int_member (result, "version"), ==, 1);
  g_assert_false (json_object_has_member (result, "replayed"));

  /* Replayed: not applied again, the same result. */
  result = mutate (session, server, token, create, &replay);
  assert_status (result, "applied");
  g_assert_cmpint (json_object_get_int_member (result, "id"), ==, id);
  g_assert_true (json_object_get_boolean_member (result, "replayed"));
  g_clear_pointer (&replay, json_node_unref);

  delta = read_feed (session, server, admin, cursor, 100, NULL);
  record = find_record (delta, "incident", id);
  g_assert_nonnull (record);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (record, "data"),
                                                  "uuid"), ==, incident_uuid);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (record, "data"),
                                               "address_id"), ==, place.address_id);
  g_assert_cmpuint (delta->len, ==, 1);

  /* Conflict: based on a version that is not the current one. */
  text = g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"incident\",\"op\":\"update\",\"id\":%"
                          G_GINT64_FORMAT ",\"base_version\":7,\"data\":{\"severity\":4}}",
                          new_uuid (), id);
  g_clear_pointer (&reply, json_node_unref);
  result = mutate (session, server, token, text, &reply);
  assert_status (result, "conflict");
  record = json_object_get_object_member (result, "current");
  g_assert_cmpint (json_object_get_int_member (record, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (record, "version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (record, "data"),
                                               "severity"), ==, 3);

  /* An update on the right version: version 2. */
  g_free (text);
  text = g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"incident\",\"op\":\"update\",\"id\":%"
                          G_GINT64_FORMAT ",\"base_version\":1,\"data\":{\"severity\":4,"
                          "\"description\":\"井盖移位，有行人受伤风险\"}}",
                          new_uuid (), id);
  g_clear_pointer (&reply, json_node_unref);
  result = mutate (session, server, token, text, &reply);
  assert_status (result, "applied");
  g_assert_cmpint (json_object_get_int_member (result, "version"), ==, 2);

  /* Rejections, each on its own: the batch goes on. */
  {
    g_autofree char *batch = NULL;
    g_autofree char *bad_reference = incident_create (new_uuid (),
                                                      new_uuid (), &place, "999999");
    g_autoptr(JsonNode) answer = NULL;
    g_autofree char *good_uuid = g_uuid_string_random ();
    g_autofree char *good = incident_create (good_uuid, new_uuid (), &place,
                                             category);
    JsonArray *results;

    batch = g_strdup_printf ("{\"mutations\":[%s,"
                             "{\"uuid\":\"%s\",\"entity\":\"incident\",\"op\":\"update\",\"id\":%"
                             G_GINT64_FORMAT ",\"base_version\":2,\"data\":{\"status\":\"closed\"}},"
                             "{\"uuid\":\"%s\",\"entity\":\"incident\",\"op\":\"update\",\"id\":"
                             "99999999,\"base_version\":1,\"data\":{\"severity\":1}},"
                             "{\"uuid\":\"%s\",\"entity\":\"road\",\"op\":\"create\",\"data\":{}},"
                             "{\"uuid\":\"%s\",\"entity\":\"incident\",\"op\":\"update\",\"id\":%"
                             G_GINT64_FORMAT ",\"base_version\":2,\"data\":{\"severity\":9}},"
                             "%s]}",
                             bad_reference, new_uuid (), id, new_uuid (),
                             new_uuid (), new_uuid (), id, good);
    g_assert_cmpuint (post (session, server, "api/v1/mutations", token, batch, &answer), ==, 200);
    results = json_object_get_array_member (object_of (answer), "results");
    g_assert_cmpuint (json_array_get_length (results), ==, 6);
    assert_rejected (json_array_get_object_element (results, 0), "invalid_reference");
    assert_rejected (json_array_get_object_element (results, 1), "invalid_value");
    assert_rejected (json_array_get_object_element (results, 2), "not_found");
    assert_rejected (json_array_get_object_element (results, 3), "invalid_request");
    assert_rejected (json_array_get_object_element (results, 4), "invalid_value");
    assert_status (json_array_get_object_element (results, 5), "applied");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (results, 5),
                                                    "uuid"), ==, good_uuid);
  }

  /* A clerk may not report incidents. */
  g_clear_pointer (&reply, json_node_unref);
  g_free (text);
  text = incident_create (new_uuid (), new_uuid (), &place, category);
  result = mutate (session, server, clerk, text, &reply);
  assert_rejected (result, "forbidden");

  /* A mutation without a UUID is rejected, and answered all the same. */
  g_clear_pointer (&reply, json_node_unref);
  result = mutate (session, server, token,
                   "{\"entity\":\"incident\",\"op\":\"create\",\"data\":{}}", &reply);
  assert_rejected (result, "invalid_request");

  /* The client's audit rows: the actor is who signed in. */
  {
    g_autoptr(PctStore) hub = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *audit = g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"audit\",\"op\":"
                                              "\"create\",\"id\":-1,\"data\":{\"uuid\":\"%s\","
                                              "\"at\":1767225600,\"action\":\"view\",\"entity\":"
                                              "\"person\",\"entity_id\":5,\"field\":\"phone\","
                                              "\"reason\":\"回访\"}}",
                                              new_uuid (), new_uuid ());
    sqlite3_stmt *stmt;

    g_clear_pointer (&reply, json_node_unref);
    result = mutate (session, server, clerk, audit, &reply);
    assert_status (result, "applied");
    hub = pct_store_open (server->db, PCT_STORE_OPEN_READ_ONLY, &error);
    g_assert_no_error (error);
    stmt = pct_store_prepare (hub, "SELECT actor FROM audit_log WHERE action = 'view'", &error);
    g_assert_no_error (error);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, HUB_TEST_CLERK);
    sqlite3_reset (stmt);
  }

  place_clear (&place);
  hub_test_server_stop (server);
}

static JsonObject *
action (SoupSession   *session,
        HubTestServer *server,
        const char    *token,
        gint64         order,
        gint64         base_version,
        const char    *data,
        JsonNode     **reply)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *text = g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"work_order\",\"op\":"
                                           "\"action\",\"id\":%" G_GINT64_FORMAT
                                           ",\"base_version\":%" G_GINT64_FORMAT ",\"data\":%s}",
                                           uuid, order, base_version, data);

  g_clear_pointer (reply, json_node_unref);
  return mutate (session, server, token, text, reply);
}

static void
test_work_orders (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *dispatcher = hub_test_sign_in (session, server, HUB_TEST_DISPATCHER);
  g_autofree char *supervisor = hub_test_sign_in (session, server, HUB_TEST_SUPERVISOR);
  g_autofree char *clerk = hub_test_sign_in (session, server, HUB_TEST_CLERK);
  g_autofree char *admin = hub_test_sign_in (session, server, HUB_TEST_ADMIN);
  g_autofree char *cursor = feed_end (session, server, admin);
  g_autofree char *file = NULL;
  g_autofree char *order_uuid = g_uuid_string_random ();
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GPtrArray) delta = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(PctStore) client = new_client_store ("client-orders.db");
  JsonObject *result;
  JsonObject *record;
  JsonObject *data;
  Place place = { 0 };
  gint64 incident, order, version, events = 0;
  const char * const steps[][2] = {
    { "{\"action\":\"dispatch\",\"department_id\":3,\"note\":\"请尽快处理\"}", "dispatched" },
    { "{\"action\":\"dispose\"}", "disposing" },
    { "{\"action\":\"extend\",\"deadline\":4102444800}", "disposing" },
    { "{\"action\":\"feedback\",\"note\":\"已清理\"}", "disposed" },
    { "{\"action\":\"verify\"}", "verifying" },
    { "{\"action\":\"rework\"}", "disposing" },
    { "{\"action\":\"feedback\"}", "disposed" },
    { "{\"action\":\"verify\"}", "verifying" },
    { "{\"action\":\"close\"}", "closed" },
  };

  find_place (&place);
  incident = report_incident (session, server, &place);

  /* A clerk has no work orders. */
  file = g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"work_order\",\"op\":\"create\",\"id\":-1,"
                          "\"data\":{\"uuid\":\"%s\",\"incident_id\":%" G_GINT64_FORMAT
                          ",\"note\":\"立案\"}}", new_uuid (), order_uuid, incident);
  result = mutate (session, server, clerk, file, &reply);
  assert_rejected (result, "forbidden");

  /* Filing: a number, a deadline, state filed; the incident is filed. */
  g_free (file);
  file = g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"work_order\",\"op\":\"create\",\"id\":-1,"
                          "\"data\":{\"uuid\":\"%s\",\"incident_id\":%" G_GINT64_FORMAT
                          ",\"note\":\"立案\"}}", new_uuid (), order_uuid, incident);
  g_clear_pointer (&reply, json_node_unref);
  result = mutate (session, server, dispatcher, file, &reply);
  assert_status (result, "applied");
  order = json_object_get_int_member (result, "id");
  version = json_object_get_int_member (result, "version");
  g_assert_cmpint (version, ==, 1);

  /* Filing the same incident again is not a transition it can make. */
  {
    g_autofree char *again = g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"work_order\",\"op\":"
                                              "\"create\",\"data\":{\"uuid\":\"%s\","
                                              "\"incident_id\":%" G_GINT64_FORMAT "}}",
                                              new_uuid (), new_uuid (),
                                              incident);
    g_autoptr(JsonNode) answer = NULL;

    assert_rejected (mutate (session, server, dispatcher, again, &answer), "invalid_transition");
  }

  delta = read_feed (session, server, admin, cursor, 1000, NULL);
  record = find_record (delta, "work_order", order);
  g_assert_nonnull (record);
  data = json_object_get_object_member (record, "data");
  g_assert_cmpstr (json_object_get_string_member (data, "state"), ==, "filed");
  g_assert_cmpstr (json_object_get_string_member (data, "uuid"), ==, order_uuid);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (data, "number"), "JJ"));
  g_assert_cmpint (json_object_get_int_member (data, "deadline"), >,
                   json_object_get_int_member (data, "filed_at"));
  g_assert_cmpint (json_object_get_int_member (data, "category_id"), ==, place.category_id);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     find_record (delta, "incident", incident), "data"), "status"), ==, "filed");

  /* Through its life. */
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      result = action (session, server, dispatcher, order, version, steps[i][0], &reply);
      assert_status (result, "applied");
      g_assert_cmpint (json_object_get_int_member (result, "version"), ==, version + 1);
      version++;
    }

  /* Not from closed; not by a dispatcher; not on an old version. */
  assert_rejected (action (session, server, dispatcher, order, version,
                           "{\"action\":\"dispatch\",\"department_id\":3}", &reply),
                   "invalid_transition");
  assert_rejected (action (session, server, dispatcher, order, version,
                           "{\"action\":\"evaluate\",\"evaluation\":5}", &reply), "forbidden");
  assert_status (action (session, server, supervisor, order, version - 1,
                         "{\"action\":\"evaluate\",\"evaluation\":5}", &reply), "conflict");
  assert_rejected (action (session, server, supervisor, order, version,
                           "{\"action\":\"evaluate\",\"evaluation\":9}", &reply), "invalid_value");
  assert_rejected (action (session, server, supervisor, order, version,
                           "{\"action\":\"evaluate\",\"evaluation\":5,\"department_id\":1}",
                           &reply), "invalid_request");
  assert_rejected (action (session, server, supervisor, order, version,
                           "{\"action\":\"teleport\"}", &reply), "invalid_request");
  result = action (session, server, supervisor, order, version,
                   "{\"action\":\"evaluate\",\"evaluation\":5}", &reply);
  assert_status (result, "applied");

  g_clear_pointer (&delta, g_ptr_array_unref);
  delta = read_feed (session, server, admin, cursor, 1000, NULL);
  data = json_object_get_object_member (find_record (delta, "work_order", order), "data");
  g_assert_cmpstr (json_object_get_string_member (data, "state"), ==, "evaluated");
  g_assert_cmpint (json_object_get_int_member (data, "rework_count"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (data, "evaluation"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (data, "department_id"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (data, "extended_deadline"), ==, 4102444800);
  g_assert_true (json_object_get_int_member (data, "closed_at") > 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     find_record (delta, "incident", incident), "data"), "status"), ==, "closed");
  for (guint i = 0; i < delta->len; i++)
    {
      JsonObject *event = object_of (g_ptr_array_index (delta, i));

      if (g_str_equal (json_object_get_string_member (event, "entity"), "work_order_event") &&
          json_object_get_int_member (json_object_get_object_member (event, "data"),
                                      "work_order_id") == order)
        {
          g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (event,
                                                                                          "data"),
                                                           "actor"));
          events++;
        }
    }
  /* Filing, nine steps, the evaluation. */
  g_assert_cmpint (events, ==, 11);

  /* However often rows changed, a full sync still applies in order. */
  all = read_feed (session, server, admin, NULL, 3000, NULL);
  apply_records (client, all);
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *client_hash = pct_store_content_hash (client, &error);
    g_autofree char *hub_hash = dump_hash (server->db);

    g_assert_cmpstr (client_hash, ==, hub_hash);
  }

  place_clear (&place);
  hub_test_server_stop (server);
}

static JsonObject *
plate_update (SoupSession   *session,
              HubTestServer *server,
              const char    *token,
              gint64         id,
              gint64         base_version,
              const char    *data,
              JsonNode     **reply)
{
  g_autofree char *text = g_strdup_printf ("{\"uuid\":\"%s\",\"entity\":\"plate\",\"op\":"
                                           "\"update\",\"id\":%" G_GINT64_FORMAT
                                           ",\"base_version\":%" G_GINT64_FORMAT ",\"data\":%s}",
                                           new_uuid (), id, base_version, data);

  g_clear_pointer (reply, json_node_unref);
  return mutate (session, server, token, text, reply);
}

static void
test_plates (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *clerk = hub_test_sign_in (session, server, HUB_TEST_CLERK);
  g_autofree char *dispatcher = hub_test_sign_in (session, server, HUB_TEST_DISPATCHER);
  g_autofree char *admin = hub_test_sign_in (session, server, HUB_TEST_ADMIN);
  g_autoptr(GPtrArray) records = read_feed (session, server, admin, NULL, 10000, NULL);
  g_autoptr(JsonNode) reply = NULL;
  JsonObject *plate = NULL;
  gint64 id, version;

  for (guint i = 0; i < records->len && plate == NULL; i++)
    {
      JsonObject *record = object_of (g_ptr_array_index (records, i));

      if (g_str_equal (json_object_get_string_member (record, "entity"), "plate") &&
          g_str_equal (json_object_get_string_member (json_object_get_object_member (record,
                                                                                     "data"),
                                                      "status"), "printed"))
        plate = record;
    }
  g_assert_nonnull (plate);
  id = json_object_get_int_member (plate, "id");
  version = json_object_get_int_member (plate, "version");

  assert_rejected (plate_update (session, server, dispatcher, id, version,
                                 "{\"status\":\"installed\"}", &reply), "forbidden");
  assert_rejected (plate_update (session, server, clerk, id, version,
                                 "{\"status\":\"damaged\"}", &reply), "invalid_transition");
  assert_rejected (plate_update (session, server, clerk, id, version,
                                 "{\"status\":\"melted\"}", &reply), "invalid_transition");
  assert_status (plate_update (session, server, clerk, id, version,
                               "{\"status\":\"installed\",\"installed_at\":1767225600}",
                               &reply), "applied");
  version++;
  assert_status (plate_update (session, server, clerk, id, version - 1,
                               "{\"status\":\"damaged\"}", &reply), "conflict");
  assert_rejected (plate_update (session, server, clerk, id, version,
                                 "{\"status\":\"damaged\",\"installed_at\":1}", &reply),
                   "invalid_request");
  assert_status (plate_update (session, server, clerk, id, version,
                               "{\"status\":\"damaged\"}", &reply), "applied");
  version++;
  assert_rejected (plate_update (session, server, clerk, id, version,
                                 "{\"status\":\"installed\"}", &reply), "invalid_transition");
  assert_status (plate_update (session, server, clerk, id, version,
                               "{\"status\":\"revoked\"}", &reply), "applied");
  version++;
  assert_rejected (plate_update (session, server, admin, id, version,
                                 "{\"status\":\"revoked\"}", &reply), "invalid_transition");

  g_clear_pointer (&records, g_ptr_array_unref);
  records = read_feed (session, server, admin, NULL, 10000, NULL);
  plate = find_record (records, "plate", id);
  g_assert_cmpint (json_object_get_int_member (plate, "version"), ==, version);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (plate, "data"),
                                                  "status"), ==, "revoked");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (plate, "data"),
                                               "installed_at"), ==, 1767225600);
  hub_test_server_stop (server);
}

/* Intake --------------------------------------------------------------------- */

static void
expect_intake_error (SoupSession   *session,
                     HubTestServer *server,
                     const char    *body,
                     const char    *field)
{
  expect_error (session, server, "POST", "api/v1/incidents", NULL, env->api_key, body, 400,
                "invalid_request", field);
}

static void
test_intake (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *url = hub_test_server_url (server, "api/v1/incidents");
  g_autofree char *body = NULL;
  g_autofree char *external = NULL;
  g_autofree char *when = rfc3339_now (-60);
  g_autofree char *future = rfc3339_now (600);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) again = NULL;
  Place place = { 0 };
  gint64 id;

  find_place (&place);
  body = intake_body (&place, "JG-0031-20261121-0930");
  g_assert_cmpuint (hub_test_request (session, "POST", url, NULL, env->api_key, body, &reply,
                                      NULL), ==, 201);
  id = json_object_get_int_member (object_of (reply), "id");
  g_assert_cmpint (id, >, 0);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (object_of (reply),
                                                                        "uuid")));

  /* The same external_id again: the first incident, 200. */
  g_assert_cmpuint (hub_test_request (session, "POST", url, NULL, env->api_key, body, &again,
                                      NULL), ==, 200);
  g_assert_cmpint (json_object_get_int_member (object_of (again), "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (object_of (again), "uuid"), ==,
                   json_object_get_string_member (object_of (reply), "uuid"));

  /* Bad bodies name the member at fault. */
#define REPORT(members) \
  (g_free (text), text = g_strdup_printf ("{" members "}", place.category, place.lat, place.lon, \
                                          when))
  expect_intake_error (session, server, REPORT ("\"category\":\"%s\",\"lat\":%f,\"lon\":%f,"
                                                "\"reported_at\":\"%s\""), "description");
  expect_intake_error (session, server,
                       REPORT ("\"category\":\"%sX\",\"lat\":%f,\"lon\":%f,\"description\":\"x\","
                               "\"reported_at\":\"%s\""), "category");
  expect_intake_error (session, server,
                       REPORT ("\"category\":\"%s\",\"lat\":1%f,\"lon\":%f,\"description\":\"x\","
                               "\"reported_at\":\"%s\""), "lat");
  expect_intake_error (session, server,
                       REPORT ("\"category\":\"%s\",\"lat\":%f,\"lon\":\"%f\",\"description\":"
                               "\"x\",\"reported_at\":\"%s\""), "lon");
  expect_intake_error (session, server,
                       REPORT ("\"category\":\"%s\",\"lat\":%f,\"lon\":%f,\"description\":\"x\","
                               "\"reported_at\":\"%s\",\"severity\":7"), "severity");
  expect_intake_error (session, server,
                       REPORT ("\"category\":\"%s\",\"lat\":%f,\"lon\":%f,\"description\":\"x\","
                               "\"reported_at\":\"%s\",\"source\":\"psychic\""), "source");
  expect_intake_error (session, server,
                       REPORT ("\"category\":\"%s\",\"lat\":%f,\"lon\":%f,\"description\":\"x\","
                               "\"reported_at\":\"%s\",\"priority\":1"), "priority");
  g_free (text);
  text = g_strdup_printf ("{\"category\":\"%s\",\"lat\":%f,\"lon\":%f,\"description\":\"x\","
                          "\"reported_at\":\"2026-11-21 09:30\"}", place.category, place.lat,
                          place.lon);
  expect_intake_error (session, server, text, "reported_at");
  g_free (text);
  text = g_strdup_printf ("{\"category\":\"%s\",\"lat\":%f,\"lon\":%f,\"description\":\"x\","
                          "\"reported_at\":\"2026-11-21T09:30:00\"}", place.category, place.lat,
                          place.lon);
  expect_intake_error (session, server, text, "reported_at");
  g_free (text);
  text = g_strdup_printf ("{\"category\":\"%s\",\"lat\":%f,\"lon\":%f,\"description\":\"x\","
                          "\"reported_at\":\"%s\"}", place.category, place.lat, place.lon, future);
  expect_intake_error (session, server, text, "reported_at");
  g_free (text);
  text = g_strdup_printf ("{\"category\":\"%s\",\"lat\":39.9,\"lon\":116.4,\"description\":\"x\","
                          "\"reported_at\":\"%s\"}", place.category, when);
  expect_intake_error (session, server, text, "lat");
#undef REPORT

  /* GLib's own offset form (+08) is read too. */
  g_free (text);
  text = g_strdup_printf ("{\"category\":\"%s\",\"lat\":%f,\"lon\":%f,\"description\":\"暴露垃圾\","
                          "\"reported_at\":\"2026-01-01T09:30:00.5+08\"}", place.category,
                          place.lat, place.lon);
  g_clear_pointer (&reply, json_node_unref);
  g_assert_cmpuint (hub_test_request (session, "POST", url, NULL, env->api_key, text, &reply,
                                      NULL), ==, 201);

  place_clear (&place);
  hub_test_server_stop (server);
}

/* Waiting for changes -------------------------------------------------------- */

typedef struct
{
  gboolean  done;
  guint     status;
  GBytes   *body;
} Pending;

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;

  pending->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  pending->status = soup_message_get_status (soup_session_get_async_result_message (
                                               SOUP_SESSION (source), result));
  pending->done = TRUE;
}

static JsonObject *
pending_page (Pending    *pending,
              JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (pending->body, NULL),
                                             (gssize) g_bytes_get_size (pending->body), &error));
  g_assert_no_error (error);
  return object_of (json_parser_get_root (parser));
}

static void
test_long_poll (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  g_autoptr(SoupSession) other = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *token = hub_test_sign_in (session, server, HUB_TEST_DISPATCHER);
  g_autofree char *cursor = feed_end (session, server, token);
  g_autofree char *path = changes_path (cursor, 100, 20);
  g_autofree char *url = hub_test_server_url (server, path);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(JsonParser) parser = json_parser_new ();
  Pending pending = { 0 };
  Place place = { 0 };
  JsonObject *page;
  gint64 incident;
  gint64 started;

  find_place (&place);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                authorization);
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, sent_cb,
                                    &pending);
  /* Held: nothing changed. */
  g_assert_false (hub_test_wait_until (&pending.done, 700));

  started = g_get_monotonic_time ();
  incident = report_incident (other, server, &place);
  g_assert_true (hub_test_wait_until (&pending.done, 10000));
  g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (pending.status, ==, 200);
  page = pending_page (&pending, parser);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page, "records")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
                     json_object_get_array_member (page, "records"), 0), "id"), ==, incident);
  g_assert_cmpstr (json_object_get_string_member (page, "cursor"), !=, cursor);

  /* With nothing to come, the wait ends with an empty page at the same
   * cursor. */
  {
    g_autofree char *next = g_strdup (json_object_get_string_member (page, "cursor"));
    g_autofree char *short_path = changes_path (next, 100, 1);
    g_autofree char *short_url = hub_test_server_url (server, short_path);
    g_autoptr(JsonNode) reply = NULL;
    gint64 before = g_get_monotonic_time ();

    g_assert_cmpuint (hub_test_request (session, "GET", short_url, token, NULL, NULL, &reply,
                                        NULL), ==, 200);
    g_assert_cmpint (g_get_monotonic_time () - before, >=, 900 * 1000);
    g_assert_cmpstr (json_object_get_string_member (object_of (reply), "cursor"), ==, next);
    g_assert_false (json_object_get_boolean_member (object_of (reply), "has_more"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object_of (reply),
                                                                           "records")), ==, 0);
  }

  g_clear_pointer (&pending.body, g_bytes_unref);
  place_clear (&place);
  hub_test_server_stop (server);
}

typedef struct
{
  SoupWebsocketConnection *connection;
  GError                  *error;
  GPtrArray               *messages;   /* char * */
  gboolean                 connected;
} Live;

static void
live_message_cb (SoupWebsocketConnection *connection,
                 int                      type,
                 GBytes                  *message,
                 gpointer                 user_data)
{
  Live *live = user_data;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_ptr_array_add (live->messages, g_strndup (g_bytes_get_data (message, NULL),
                                              g_bytes_get_size (message)));
}

static void
live_connected_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Live *live = user_data;

  live->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                            &live->error);
  if (live->connection != NULL)
    g_signal_connect (live->connection, "message", G_CALLBACK (live_message_cb), live);
  live->connected = TRUE;
}

static void
connect_live (SoupSession   *session,
              HubTestServer *server,
              const char    *token,
              Live          *live)
{
  g_autofree char *url = hub_test_server_url (server, "api/v1/live");
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);

  if (token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                    authorization);
    }
  live->messages = g_ptr_array_new_with_free_func (g_free);
  soup_session_websocket_connect_async (session, message, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        live_connected_cb, live);
  g_assert_true (hub_test_wait_until (&live->connected, 10000));
}

static gboolean
has_messages (Live  *live,
              guint  n)
{
  return live->messages->len >= n;
}

static void
test_live (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  g_autoptr(SoupSession) other = hub_test_session_new (env);
  HubTestServer *server = start_server (NULL);
  g_autofree char *token = hub_test_sign_in (session, server, HUB_TEST_DISPATCHER);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  Live live = { 0 };
  Live refused = { 0 };
  Place place = { 0 };
  JsonObject *message;
  JsonArray *records;
  gint64 incident;
  gint64 deadline;
  gboolean found = FALSE;

  find_place (&place);

  /* No token: refused before the upgrade, with a 401. */
  connect_live (session, server, NULL, &refused);
  g_assert_null (refused.connection);
  g_assert_nonnull (refused.error);
  g_clear_error (&refused.error);
  g_ptr_array_unref (refused.messages);

  connect_live (session, server, token, &live);
  g_assert_no_error (live.error);
  g_assert_nonnull (live.connection);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!has_messages (&live, 1) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (live.messages->len, >=, 1);
  g_assert_true (json_parser_load_from_data (parser, g_ptr_array_index (live.messages, 0), -1,
                                             &error));
  message = object_of (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "hello");
  g_assert_nonnull (json_object_get_string_member (message, "cursor"));

  incident = report_incident (other, server, &place);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!has_messages (&live, 2) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (live.messages->len, >=, 2);
  g_assert_true (json_parser_load_from_data (parser, g_ptr_array_index (live.messages, 1), -1,
                                             &error));
  message = object_of (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "changes");
  records = json_object_get_array_member (message, "records");
  for (guint i = 0; i < json_array_get_length (records); i++)
    found = found || (json_object_get_int_member (json_array_get_object_element (records, i),
                                                  "id") == incident);
  g_assert_true (found);

  soup_websocket_connection_close (live.connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&live.connection);
  g_ptr_array_unref (live.messages);
  place_clear (&place);
  hub_test_server_stop (server);
}

/* The simulator -------------------------------------------------------------- */

static void
test_simulate (void)
{
  g_autoptr(SoupSession) session = hub_test_session_new (env);
  HubTestServer *server = NULL;
  g_autofree char *token = NULL;
  g_autofree char *cursor = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GHashTable) sources = g_hash_table_new (g_str_hash, g_str_equal);
  guint incidents = 0;

  server = start_server ((const char *[]) { "--simulate", "1200", NULL });
  token = hub_test_sign_in (session, server, HUB_TEST_ADMIN);
  cursor = feed_end (session, server, token);
  g_usleep (3 * G_USEC_PER_SEC);
  records = read_feed (session, server, token, cursor, 10000, NULL);

  for (guint i = 0; i < records->len; i++)
    {
      JsonObject *record = object_of (g_ptr_array_index (records, i));
      JsonObject *data = json_object_get_object_member (record, "data");

      g_assert_cmpstr (json_object_get_string_member (record, "entity"), ==, "incident");
      g_assert_cmpstr (json_object_get_string_member (data, "status"), ==, "reported");
      g_assert_false (json_node_is_null (json_object_get_member (data, "category_id")));
      g_hash_table_add (sources, (gpointer) json_object_get_string_member (data, "source"));
      incidents++;
    }
  /* 1,200 a minute for three seconds: about 60. */
  g_assert_cmpuint (incidents, >=, 20);
  g_assert_true (g_hash_table_contains (sources, "sensor"));
  g_assert_true (g_hash_table_contains (sources, "hotline"));
  hub_test_server_stop (server);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The hub is on this machine; no proxy stands in between, and the
   * desktop's proxy settings are not looked up. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");
  g_unsetenv ("https_proxy");
  g_unsetenv ("all_proxy");
  g_unsetenv ("HTTP_PROXY");
  g_unsetenv ("HTTPS_PROXY");
  g_unsetenv ("ALL_PROXY");

  uuids = g_ptr_array_new_with_free_func (g_free);
  env = hub_test_env_new ();

  g_test_add_func ("/hub/cli", test_cli);
  g_test_add_func ("/hub/status", test_status);
  g_test_add_func ("/hub/session/sign-in", test_sign_in);
  g_test_add_func ("/hub/session/refresh-sign-out", test_refresh_and_sign_out);
  g_test_add_func ("/hub/session/expiry", test_token_expiry);
  g_test_add_func ("/hub/session/token-revoke", test_token_revoke);
  g_test_add_func ("/hub/errors", test_errors);
  g_test_add_func ("/hub/changes/full-sync", test_full_sync);
  g_test_add_func ("/hub/changes/gzip", test_gzip);
  g_test_add_func ("/hub/changes/masking", test_masking);
  g_test_add_func ("/hub/changes/long-poll", test_long_poll);
  g_test_add_func ("/hub/live", test_live);
  g_test_add_func ("/hub/unmask", test_unmask);
  g_test_add_func ("/hub/mutations", test_mutations);
  g_test_add_func ("/hub/work-orders", test_work_orders);
  g_test_add_func ("/hub/plates", test_plates);
  g_test_add_func ("/hub/intake", test_intake);
  g_test_add_func ("/hub/simulate", test_simulate);

  status = g_test_run ();
  hub_test_env_free (env);
  g_ptr_array_unref (uuids);
  return status;
}
