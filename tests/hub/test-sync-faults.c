/* test-sync-faults.c — the sync client against a server that misbehaves
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A fault server (fault-server.c) speaks the sync API over real TLS on
 * 127.0.0.1 and answers on cue with errors, silence, broken connections
 * and pages that are not what docs/api.md describes. Transient faults
 * must be retried until the sync succeeds; the others must refuse the
 * page whole, apply nothing of it, keep the pages before it, and give up
 * after the configured attempts instead of looping.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fault-server.h"
#include "pct-outbox.h"
#include "pct-record.h"
#include "pct-store.h"
#include "pct-sync.h"
#include "pct-tls.h"
#include "sync-test-common.h"

#define N_RECORDS    35
#define PAGE_LIMIT   10
#define MAX_ATTEMPTS 3

static char *certs;

typedef struct
{
  FaultServer *server;
  PctSync     *sync;
  char        *db;
  char        *ca_file;
} Fixture;

static PctSync *
new_client (Fixture    *fixture,
            const char *url)
{
  PctSync *sync = pct_sync_new (fixture->db, url);

  pct_sync_set_ca_file (sync, fixture->ca_file);
  pct_sync_set_user (sync, "admin");
  pct_sync_set_password (sync, "secret");
  pct_sync_set_page_limit (sync, PAGE_LIMIT);
  pct_sync_set_timeout (sync, 2);
  pct_sync_set_max_attempts (sync, MAX_ATTEMPTS);
  pct_sync_set_backoff (sync, 20, 200);
  return sync;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *cert = sync_test_cert (certs, "server.pem");
  g_autofree char *key = sync_test_cert (certs, "server-key.pem");

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  fixture->db = g_build_filename (g_get_user_data_dir (), "client.db", NULL);
  fixture->ca_file = sync_test_cert (certs, "ca.pem");
  fixture->server = fault_server_new (cert, key, N_RECORDS);
  fixture->sync = new_client (fixture, fault_server_get_url (fixture->server));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->sync);
  g_clear_pointer (&fixture->server, fault_server_free);
  g_free (fixture->db);
  g_free (fixture->ca_file);
}

static gint64
count_departments (Fixture *fixture)
{
  return sync_test_query_int (fixture->db, "SELECT count(*) FROM departments");
}

static char *
dup_cursor (Fixture *fixture)
{
  return sync_test_query_text (fixture->db, "SELECT value FROM sync_state WHERE key = 'cursor'");
}

static void
assert_integrity (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = pct_store_open (fixture->db, PCT_STORE_OPEN_READ_ONLY, &error);

  g_assert_no_error (error);
  g_assert_true (pct_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

static void
assert_complete (Fixture *fixture)
{
  g_autofree char *cursor = dup_cursor (fixture);
  g_autofree char *expected = g_strdup_printf ("c%d", N_RECORDS);

  g_assert_cmpint (count_departments (fixture), ==, N_RECORDS);
  g_assert_cmpstr (cursor, ==, expected);
  assert_integrity (fixture);
}

static void
test_clean (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *encoding = NULL;
  PctSyncReport report;

  fault_server_set_total (fixture->server, TRUE);
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (report.full);
  g_assert_cmpuint (report.records_applied, ==, N_RECORDS);
  g_assert_cmpuint (report.pages, ==, (N_RECORDS + PAGE_LIMIT - 1) / PAGE_LIMIT);
  g_assert_cmpuint (report.retries, ==, 0);
  g_assert_cmpuint (report.records_removed, ==, 0);
  assert_complete (fixture);

  /* Status reaches the object at once on its own thread. */
  g_assert_cmpint (pct_sync_get_state (fixture->sync), ==, PCT_SYNC_STATE_ONLINE);
  g_assert_cmpuint (pct_sync_get_records_done (fixture->sync), ==, N_RECORDS);
  g_assert_cmpuint (pct_sync_get_records_total (fixture->sync), ==, N_RECORDS);
  g_assert_null (pct_sync_get_error_message (fixture->sync));
  g_assert_cmpint (pct_sync_get_last_synced (fixture->sync), >, 0);

  encoding = fault_server_dup_accept_encoding (fixture->server);
  g_assert_nonnull (strstr (encoding, "gzip"));

  /* Nothing new: one page, from the stored cursor. */
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (report.full);
  g_assert_cmpuint (report.records_applied, ==, 0);
  g_assert_cmpuint (report.pages, ==, 1);

  /* One new record: only it. */
  fault_server_append_record (fixture->server,
                              "{\"entity\":\"department\",\"id\":100,"
                              "\"data\":{\"code\":\"D0100\",\"name\":\"新部门\"}}");
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.records_applied, ==, 1);
  g_assert_cmpint (count_departments (fixture), ==, N_RECORDS + 1);
  /* Signed in once for all three. */
  g_assert_cmpuint (fault_server_count_sign_ins (fixture->server), ==, 1);
}

/* An empty store is filled (docs/sync.md) until a record comes again or
 * goes: the rest of the feed then goes the usual way, to the same end. */
static void
test_fill_stops (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *cursor = NULL;
  PctSyncReport report;

  fault_server_append_record (fixture->server,
                              "{\"entity\":\"department\",\"id\":3,"
                              "\"data\":{\"code\":\"D0003\",\"name\":\"改过名的部门\"}}");
  fault_server_append_record (fixture->server,
                              "{\"entity\":\"department\",\"id\":4,\"deleted\":true}");
  fault_server_append_record (fixture->server,
                              "{\"entity\":\"department\",\"id\":100,"
                              "\"data\":{\"code\":\"D0100\",\"name\":\"新部门\"}}");

  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (report.full);
  g_assert_cmpuint (report.records_applied, ==, N_RECORDS + 3);
  g_assert_cmpint (count_departments (fixture), ==, N_RECORDS);
  name = sync_test_query_text (fixture->db, "SELECT name FROM departments WHERE id = 3");
  g_assert_cmpstr (name, ==, "改过名的部门");
  g_assert_cmpint (sync_test_query_int (fixture->db,
                                        "SELECT count(*) FROM departments WHERE id = 4"), ==, 0);
  cursor = dup_cursor (fixture);
  g_assert_cmpstr (cursor, ==, "c38");
  assert_integrity (fixture);
}

/* Transient faults ------------------------------------------------------ */

typedef struct
{
  const char *name;
  FaultKind   kind;
  guint       status;
  const char *code;
  int         retry_after;
  int         times;
  const char *body;
  double      min_seconds;
} Transient;

static const Transient transients[] = {
  { "500", FAULT_STATUS, 500, "internal", -1, 2, NULL, 0 },
  { "502", FAULT_STATUS, 502, "bad_gateway", -1, 1, NULL, 0 },
  { "503-retry-after", FAULT_STATUS, 503, "unavailable", 1, 1, NULL, 1.0 },
  { "429-retry-after", FAULT_STATUS, 429, "rate_limited", 1, 1, NULL, 1.0 },
  { "stall", FAULT_STALL, 0, NULL, -1, 1, NULL, 2.0 },
  { "stall-mid-body", FAULT_STALL_BODY, 0, NULL, -1, 1, NULL, 2.0 },
  { "reset", FAULT_RESET, 0, NULL, -1, 2, NULL, 0 },
  { "reset-mid-body", FAULT_RESET_BODY, 0, NULL, -1, 2, NULL, 0 },
  { "malformed-once", FAULT_BODY, 0, NULL, -1, 1, "{\"cursor\":\"c20\",", 0 },
};

static void
test_transient (Fixture       *fixture,
                gconstpointer  data)
{
  const Transient *transient = data;
  g_autoptr(GError) error = NULL;
  PctSyncReport report;
  gint64 started = g_get_monotonic_time ();
  double seconds;

  /* On the second page, so that the first is applied before it. */
  fault_server_add_fault (fixture->server, "changes", transient->kind, 1, transient->times,
                          transient->status, transient->code, transient->retry_after,
                          transient->body);

  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;
  g_test_message ("%s: %.2f s, %u retries", transient->name, seconds, report.retries);

  /* libsoup itself sends a request again once when a kept-alive
   * connection turns out closed; the client's own retries do the rest. */
  g_assert_cmpuint (report.retries, >=, 1);
  g_assert_cmpuint (report.retries, <=, (guint) transient->times);
  g_assert_cmpuint (report.records_applied, ==, N_RECORDS);
  g_assert_cmpfloat (seconds, >=, transient->min_seconds);
  /* A stalled answer costs the timeout, not forever. */
  g_assert_cmpfloat (seconds, <, 20);
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "changes"), ==,
                    (N_RECORDS + PAGE_LIMIT - 1) / PAGE_LIMIT + (guint) transient->times);
  assert_complete (fixture);
}

/* Answers refused whole ------------------------------------------------- */

typedef struct
{
  const char *name;
  FaultKind   kind;
  const char *body;
  int         code;
  const char *message;
  guint       requests;   /* of the second page: every attempt, or once */
} Refused;

#define RECORD_11 "{\"entity\":\"department\",\"id\":11,\"data\":{\"code\":\"D0011\",\"name\":\"x\"}}"
#define DEEP "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]"

static const Refused refusals[] = {
  { "malformed", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":[" RECORD_11 ",]}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "Not valid JSON", MAX_ATTEMPTS },
  { "truncated", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":[{\"entity\":\"department\",\"id\":11,",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "ends before", MAX_ATTEMPTS },
  { "cursor-type", FAULT_BODY,
    "{\"cursor\":20,\"has_more\":true,\"records\":[" RECORD_11 "]}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "“cursor” is not a string", MAX_ATTEMPTS },
  { "has-more-type", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":\"yes\",\"records\":[" RECORD_11 "]}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "“has_more” is not true or false", MAX_ATTEMPTS },
  { "records-type", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":{}}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "“records” is not an array", MAX_ATTEMPTS },
  { "record-type", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":[" RECORD_11 ",7]}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "record 2 is not a JSON object", MAX_ATTEMPTS },
  { "duplicate-member", FAULT_BODY,
    "{\"cursor\":\"c20\",\"cursor\":\"c30\",\"has_more\":true,\"records\":[" RECORD_11 "]}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "appears twice", MAX_ATTEMPTS },
  { "empty-with-more", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":[]}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "holds no record", MAX_ATTEMPTS },
  { "stuck-cursor", FAULT_STUCK_CURSOR, NULL,
    PCT_SYNC_ERROR_INVALID_RESPONSE, "cursor did not move", MAX_ATTEMPTS },
  { "deep", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":[{\"entity\":\"department\",\"id\":11,"
    "\"data\":{\"code\":\"D0011\",\"name\":" DEEP "}}]}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "nested deeper than 16", MAX_ATTEMPTS },
  { "invalid-utf8", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":[{\"entity\":\"department\",\"id\":11,"
    "\"data\":{\"code\":\"D\xff\xfe\",\"name\":\"x\"}}]}",
    PCT_SYNC_ERROR_INVALID_RESPONSE, "not valid UTF-8", MAX_ATTEMPTS },
  { "huge", FAULT_HUGE, NULL, PCT_SYNC_ERROR_TOO_LARGE, "longer than", MAX_ATTEMPTS },
  { "huge-announced", FAULT_HUGE_ANNOUNCED, NULL, PCT_SYNC_ERROR_TOO_LARGE, "bytes long",
    MAX_ATTEMPTS },
  /* Well-formed, but a record the store refuses: the same page would come
   * again, so it is not asked for again. */
  { "invalid-record", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":[" RECORD_11 ","
    "{\"entity\":\"department\",\"id\":12,\"data\":{\"code\":5,\"name\":\"x\"}}]}",
    PCT_SYNC_ERROR_INVALID_RECORD, "record 2 of the page (department 12)", 1 },
  { "unknown-entity", FAULT_BODY,
    "{\"cursor\":\"c20\",\"has_more\":true,\"records\":[{\"entity\":\"spaceship\",\"id\":1,"
    "\"data\":{}}]}",
    PCT_SYNC_ERROR_INVALID_RECORD, "spaceship", 1 },
};

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  const Refused *refused = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *cursor = NULL;
  PctSyncReport report;

  fault_server_add_fault (fixture->server, "changes", refused->kind, 1, -1, 0, NULL, -1,
                          refused->body);

  g_assert_false (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL,
                                     &error));
  g_assert_error (error, PCT_SYNC_ERROR, refused->code);
  g_test_message ("%s: %s", refused->name, error->message);
  g_assert_nonnull (strstr (error->message, refused->message));

  /* The first page stays, nothing of the second is there, and it was not
   * asked for without end. */
  g_assert_cmpint (count_departments (fixture), ==, PAGE_LIMIT);
  cursor = dup_cursor (fixture);
  g_assert_cmpstr (cursor, ==, "c10");
  g_assert_cmpuint (report.records_applied, ==, PAGE_LIMIT);
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "changes?cursor=c10"), ==,
                    refused->requests);
  assert_integrity (fixture);
  g_assert_cmpint (pct_sync_get_state (fixture->sync), ==, PCT_SYNC_STATE_ERROR);
  g_assert_cmpstr (pct_sync_get_error_message (fixture->sync), ==, error->message);

  /* Once the server mends its ways, the sync goes on from the first page. */
  fault_server_clear_faults (fixture->server);
  g_clear_error (&error);
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (report.full);
  g_assert_cmpuint (report.records_applied, ==, N_RECORDS - PAGE_LIMIT);
  assert_complete (fixture);
}

/* Final answers: not repeated. */
typedef struct
{
  guint       status;
  const char *code;
  int         error_code;
} Final;

static const Final finals[] = {
  { 400, "invalid_request", PCT_SYNC_ERROR_REFUSED },
  { 403, "forbidden", PCT_SYNC_ERROR_FORBIDDEN },
  { 404, "not_found", PCT_SYNC_ERROR_REFUSED },
  { 413, "too_large", PCT_SYNC_ERROR_REFUSED },
};

static void
test_final (Fixture       *fixture,
            gconstpointer  data)
{
  const Final *final = data;
  g_autoptr(GError) error = NULL;

  fault_server_add_fault (fixture->server, "changes", FAULT_STATUS, 0, -1, final->status,
                          final->code, -1, NULL);
  g_assert_false (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_error (error, PCT_SYNC_ERROR, final->error_code);
  g_assert_nonnull (strstr (error->message, final->code));
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "changes"), ==, 1);
  g_assert_cmpint (count_departments (fixture), ==, 0);
}

static void
test_unreachable (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup (fault_server_get_url (fixture->server));
  g_autoptr(PctSync) sync = NULL;

  /* Nobody listens on the port once the server has gone. */
  g_clear_pointer (&fixture->server, fault_server_free);
  sync = new_client (fixture, url);
  g_assert_false (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, "Gave up after 3 attempts"));
  g_assert_cmpint (pct_sync_get_state (sync), ==, PCT_SYNC_STATE_OFFLINE);
  g_assert_cmpint (pct_sync_get_offline_since (sync), >, 0);
}

static void
test_settings (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctSync) plain = NULL;
  g_autoptr(PctSync) missing_ca = NULL;
  g_autofree char *key = sync_test_cert (certs, "server-key.pem");

  plain = new_client (fixture, "http://127.0.0.1:1/");
  g_assert_false (pct_sync_run_sync (plain, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS);
  g_assert_nonnull (strstr (error->message, "https://"));
  g_clear_error (&error);

  /* A CA file that holds no certificate. */
  missing_ca = new_client (fixture, fault_server_get_url (fixture->server));
  pct_sync_set_ca_file (missing_ca, key);
  g_assert_false (pct_sync_run_sync (missing_ca, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_error (error, PCT_TLS_ERROR, PCT_TLS_ERROR_CA_FILE);
  g_assert_nonnull (strstr (error->message, key));
}

/* Sessions -------------------------------------------------------------- */

static void
add_outbox_rows (Fixture *fixture,
                 guint    n,
                 GPtrArray *uuids)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = pct_store_open (fixture->db, PCT_STORE_OPEN_CREATE, &error);

  g_assert_no_error (error);
  g_assert_true (pct_store_begin (store, &error));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *uuid = NULL;
      g_autofree char *data = g_strdup_printf ("{\"status\":\"installed\",\"installed_at\":%u}",
                                               1767225600 + i);

      g_assert_true (pct_outbox_add (store, "plate", "update", 9 + i, 1, data, &uuid, &error));
      g_assert_no_error (error);
      if (uuids != NULL)
        g_ptr_array_add (uuids, g_steal_pointer (&uuid));
    }
  g_assert_true (pct_store_commit (store, &error));
}

static gint64
count_outbox (Fixture    *fixture,
              const char *state)
{
  g_autofree char *sql =
    g_strdup_printf ("SELECT count(*) FROM outbox WHERE state = '%s'", state);

  return sync_test_query_int (fixture->db, sql);
}

static void
test_token_expired (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);

  add_outbox_rows (fixture, 3, NULL);
  fault_server_expire_token (fixture->server, "token_expired");
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (fault_server_count_refreshes (fixture->server), ==, 1);
  g_assert_cmpuint (fault_server_count_sign_ins (fixture->server), ==, 1);
  g_assert_cmpuint (report.push_applied, ==, 3);
  g_assert_cmpint (count_outbox (fixture, "applied"), ==, 3);
}

static void
test_token_revoked (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);

  add_outbox_rows (fixture, 2, NULL);
  fault_server_expire_token (fixture->server, "token_revoked");
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (fault_server_count_refreshes (fixture->server), ==, 0);
  g_assert_cmpuint (fault_server_count_sign_ins (fixture->server), ==, 2);
  g_assert_cmpuint (report.push_applied, ==, 2);
  g_assert_cmpint (count_outbox (fixture, "applied"), ==, 2);
}

static void
test_bad_password (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  add_outbox_rows (fixture, 2, NULL);
  pct_sync_set_password (fixture->sync, "wrong");
  g_assert_false (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_AUTHENTICATION);
  g_assert_nonnull (strstr (error->message, "bad_credentials"));
  /* Not asked again and again, and the outbox is untouched. */
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "session"), ==, 1);
  g_assert_cmpint (count_outbox (fixture, "pending"), ==, 2);
}

/* The outbox ------------------------------------------------------------ */

#define CURRENT_WORK_ORDER \
  "{\"entity\":\"work_order\",\"id\":5120,\"version\":5,\"updated_at\":1767225700," \
  "\"data\":{\"uuid\":\"6d1c7f0e-0b7a-4c53-9a57-0f2f6a7c5120\",\"number\":\"JJ-2026-5120\"," \
  "\"state\":\"dispatched\",\"filed_at\":1767225000}}"

static JsonObject *
decide_cb (JsonObject *mutation,
           gpointer    user_data)
{
  const char *entity = json_object_get_string_member (mutation, "entity");
  JsonObject *result = json_object_new ();

  if (g_str_equal (entity, "incident"))
    {
      json_object_set_string_member (result, "status", "applied");
      json_object_set_int_member (result, "id", 501);
      json_object_set_int_member (result, "version", 1);
    }
  else if (g_str_equal (entity, "work_order"))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      g_assert_true (json_parser_load_from_data (parser, CURRENT_WORK_ORDER, -1, NULL));
      json_object_set_string_member (result, "status", "conflict");
      json_object_set_member (result, "current", json_node_copy (json_parser_get_root (parser)));
    }
  else
    {
      json_object_set_string_member (result, "status", "rejected");
      json_object_set_string_member (result, "code", "invalid_transition");
      json_object_set_string_member (result, "reason", "A revoked plate cannot be installed.");
    }
  return result;
}

static void
add_local_changes (Fixture   *fixture,
                   GPtrArray *uuids)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = pct_store_open (fixture->db, PCT_STORE_OPEN_CREATE, &error);
  sqlite3_stmt *stmt;
  char *uuid = NULL;

  g_assert_no_error (error);
  g_assert_true (pct_store_begin (store, &error));

  /* An incident reported here, under a local key. */
  stmt = pct_store_prepare (store,
                            "INSERT INTO incidents (id, uuid, source, status, description, lon, "
                            "lat, reported_at) VALUES (-1, '51f2a3c4-8d9e-4f01-a2b3-c4d5e6f7a8b9', "
                            "'operator', 'reported', '井盖移位', 106.25, 29.28, 1767225600)",
                            &error);
  g_assert_nonnull (stmt);
  g_assert_true (pct_store_step_done (store, stmt, &error));
  g_assert_true (pct_outbox_add (store, "incident", "create", -1, 0,
                                 "{\"uuid\":\"51f2a3c4-8d9e-4f01-a2b3-c4d5e6f7a8b9\","
                                 "\"source\":\"operator\",\"severity\":3,\"status\":\"reported\","
                                 "\"description\":\"井盖移位\",\"lon\":106.25,\"lat\":29.28,"
                                 "\"reported_at\":1767225600}", &uuid, &error));
  g_assert_no_error (error);
  g_ptr_array_add (uuids, uuid);

  g_assert_true (pct_outbox_add (store, "work_order", "action", 5120, 4,
                                 "{\"action\":\"dispatch\",\"department_id\":3}", &uuid, &error));
  g_assert_no_error (error);
  g_ptr_array_add (uuids, uuid);

  g_assert_true (pct_outbox_add (store, "plate", "update", 9, 2, "{\"status\":\"installed\"}",
                                 &uuid, &error));
  g_assert_no_error (error);
  g_ptr_array_add (uuids, uuid);

  g_assert_true (pct_store_commit (store, &error));
}

static void
test_push_results (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uuids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *conflict = NULL;
  g_autofree char *rejected = NULL;
  PctSyncReport report;

  fault_server_set_mutation_func (fixture->server, decide_cb, NULL);
  add_local_changes (fixture, uuids);

  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.pushed, ==, 3);
  g_assert_cmpuint (report.push_applied, ==, 1);
  g_assert_cmpuint (report.push_conflicts, ==, 1);
  g_assert_cmpuint (report.push_rejected, ==, 1);

  /* Applied: the local incident took the server's key. */
  g_assert_cmpint (sync_test_query_int (fixture->db, "SELECT count(*) FROM incidents WHERE id = -1"),
                   ==, 0);
  g_assert_cmpint (sync_test_query_int (fixture->db, "SELECT count(*) FROM incidents WHERE id = 501"),
                   ==, 1);

  /* Conflict: the server's record replaced the local row; the outbox row
   * stays, with the server's answer. */
  g_assert_cmpint (sync_test_query_int (fixture->db,
                                        "SELECT version FROM work_orders WHERE id = 5120"), ==, 5);
  conflict = sync_test_query_text (fixture->db,
                                   "SELECT result FROM outbox WHERE state = 'conflict'");
  g_assert_nonnull (conflict);
  g_assert_nonnull (strstr (conflict, "JJ-2026-5120"));

  rejected = sync_test_query_text (fixture->db,
                                   "SELECT last_error FROM outbox WHERE state = 'rejected'");
  g_assert_cmpstr (rejected, ==, "A revoked plate cannot be installed.");
  g_assert_cmpint (count_outbox (fixture, "applied"), ==, 1);
  g_assert_cmpint (count_outbox (fixture, "pending") + count_outbox (fixture, "sent"), ==, 0);

  for (guint i = 0; i < uuids->len; i++)
    g_assert_cmpuint (fault_server_count_applied (fixture->server, g_ptr_array_index (uuids, i)),
                      ==, 1);

  /* Nothing is sent again. */
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_cmpuint (report.pushed, ==, 0);
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "mutations"), ==, 1);
  assert_integrity (fixture);
}

/* The answer to a batch is lost after the server carried it out: the
 * batch goes again and the server replays its answers. */
static void
test_push_twice (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uuids = g_ptr_array_new_with_free_func (g_free);
  PctSyncReport report;

  add_outbox_rows (fixture, 4, uuids);
  fault_server_add_fault (fixture->server, "mutations", FAULT_RESET_AFTER, 0, 1, 0, NULL, -1,
                          NULL);

  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "mutations"), ==, 2);
  g_assert_cmpuint (report.push_replayed, ==, 4);
  g_assert_cmpuint (report.push_applied, ==, 4);
  for (guint i = 0; i < uuids->len; i++)
    g_assert_cmpuint (fault_server_count_applied (fixture->server, g_ptr_array_index (uuids, i)),
                      ==, 1);
  g_assert_cmpint (count_outbox (fixture, "applied"), ==, 4);

  /* The client stopped after sending, before writing the answers down:
   * its rows are still marked sent, and go again, applied once. */
  {
    g_autoptr(PctStore) store = pct_store_open (fixture->db, PCT_STORE_OPEN_DEFAULT, &error);

    g_assert_no_error (error);
    g_assert_true (pct_store_exec (store, "UPDATE outbox SET state = 'sent', result = NULL",
                                   &error));
  }
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.push_replayed, ==, 4);
  for (guint i = 0; i < uuids->len; i++)
    g_assert_cmpuint (fault_server_count_applied (fixture->server, g_ptr_array_index (uuids, i)),
                      ==, 1);
  g_assert_cmpint (count_outbox (fixture, "applied"), ==, 4);
  g_assert_cmpint (sync_test_query_int (fixture->db, "SELECT min(attempts) FROM outbox"), ==, 2);
}

static void
test_push_batches (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  PctSyncReport report;

  /* More than one request's worth, in order. */
  add_outbox_rows (fixture, PCT_SYNC_MAX_BATCH + 20, NULL);
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.push_applied, ==, PCT_SYNC_MAX_BATCH + 20);
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "mutations"), ==, 2);
  g_assert_cmpint (count_outbox (fixture, "applied"), ==, PCT_SYNC_MAX_BATCH + 20);
}

/* Cursor reset ---------------------------------------------------------- */

static void
test_cursor_reset (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *resync = NULL;
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, NULL, NULL, &error));
  g_assert_no_error (error);

  /* The server is restored from an older backup: 20 of the 35 rows and
   * two new ones. */
  fault_server_truncate_feed (fixture->server, 20);
  fault_server_append_record (fixture->server,
                              "{\"entity\":\"department\",\"id\":200,"
                              "\"data\":{\"code\":\"D0200\",\"name\":\"甲\"}}");
  fault_server_append_record (fixture->server,
                              "{\"entity\":\"department\",\"id\":201,"
                              "\"data\":{\"code\":\"D0201\",\"name\":\"乙\"}}");
  fault_server_add_fault (fixture->server, "changes", FAULT_STATUS, 0, 1, 409, "cursor_reset",
                          -1, NULL);
  /* And the resync is interrupted on its second page. */
  fault_server_add_fault (fixture->server, "changes", FAULT_STATUS, 2, -1, 500, "internal",
                          -1, NULL);

  g_assert_false (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_SERVER);
  g_clear_error (&error);
  resync = sync_test_query_text (fixture->db,
                                 "SELECT value FROM sync_state WHERE key = 'resync'");
  g_assert_cmpstr (resync, ==, "1");
  /* Nothing was removed yet: the sweep belongs to the last page. */
  g_assert_cmpint (count_departments (fixture), ==, N_RECORDS);

  /* The interrupted resync starts again from the feed's start and ends
   * with the rows the server no longer has removed. */
  fault_server_clear_faults (fixture->server);
  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (report.full);
  g_assert_cmpuint (report.records_applied, ==, 22);
  g_assert_cmpuint (report.records_removed, ==, N_RECORDS - 20);
  g_assert_cmpint (count_departments (fixture), ==, 22);
  g_assert_cmpint (sync_test_query_int (fixture->db,
                                        "SELECT count(*) FROM departments WHERE id > 20 "
                                        "AND id < 200"), ==, 0);
  g_assert_cmpint (sync_test_query_int (fixture->db,
                                        "SELECT count(*) FROM sync_state WHERE key = 'resync'"),
                   ==, 0);
  assert_integrity (fixture);
}

/* Download only --------------------------------------------------------- */

static void
test_download_only (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  PctSyncReport report;

  g_assert_true (pct_sync_run_sync (fixture->sync, PCT_SYNC_RUN_DOWNLOAD_ONLY, &report, NULL,
                                    &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.pages, ==, (N_RECORDS + PAGE_LIMIT - 1) / PAGE_LIMIT);
  g_assert_cmpuint (report.records_applied, ==, 0);
  g_assert_cmpuint (report.bytes, >, 0);
  /* Nothing stored, not even the file. */
  g_assert_false (g_file_test (fixture->db, G_FILE_TEST_EXISTS));
}

/* TLS ------------------------------------------------------------------- */

typedef struct
{
  const char *certificate;
  gboolean    with_ca_file;
  int         code;
  const char *words[3];
} TlsCase;

static const TlsCase tls_cases[] = {
  { "selfsigned", FALSE, PCT_TLS_ERROR_UNTRUSTED, { "not trusted", "self-signed", "CA file" } },
  { "selfsigned", TRUE, PCT_TLS_ERROR_UNTRUSTED, { "not trusted", "self-signed", NULL } },
  { "server", FALSE, PCT_TLS_ERROR_UNTRUSTED, { "not trusted", "CA file", NULL } },
  { "wronghost", TRUE, PCT_TLS_ERROR_BAD_IDENTITY,
    { "other names", "wrong.example.invalid", NULL } },
  { "expired", TRUE, PCT_TLS_ERROR_EXPIRED, { "has expired", "2020-12-31", NULL } },
};

static void
test_tls (Fixture       *fixture,
          gconstpointer  data)
{
  const TlsCase *tls = data;
  g_autofree char *file = g_strconcat (tls->certificate, ".pem", NULL);
  g_autofree char *key_file = g_strconcat (tls->certificate, "-key.pem", NULL);
  g_autofree char *cert = sync_test_cert (certs, file);
  g_autofree char *key = sync_test_cert (certs, key_file);
  g_autoptr(FaultServer) server = fault_server_new (cert, key, N_RECORDS);
  g_autoptr(PctSync) sync = new_client (fixture, fault_server_get_url (server));
  g_autoptr(GError) error = NULL;
  PctSyncReport report;

  pct_sync_set_ca_file (sync, tls->with_ca_file ? fixture->ca_file : NULL);
  g_assert_false (pct_sync_run_sync (sync, PCT_SYNC_RUN_DEFAULT, &report, NULL, &error));
  g_assert_error (error, PCT_TLS_ERROR, tls->code);
  g_test_message ("%s: %s", tls->certificate, error->message);
  for (guint i = 0; i < G_N_ELEMENTS (tls->words) && tls->words[i] != NULL; i++)
    g_assert_nonnull (strstr (error->message, tls->words[i]));

  /* Refused at once: a certificate does not get better by asking again. */
  g_assert_cmpuint (report.retries, ==, 0);
  g_assert_cmpuint (fault_server_count_requests (server, "session"), ==, 0);
  g_assert_cmpint (pct_sync_get_state (sync), ==, PCT_SYNC_STATE_ERROR);
}

static void
test_tls_describe (void)
{
  struct
  {
    GTlsCertificateFlags  flags;
    const char           *words;
  } cases[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "not trusted" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "other names" },
    { G_TLS_CERTIFICATE_EXPIRED, "has expired" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet" },
    { G_TLS_CERTIFICATE_REVOKED, "revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "insecure" },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "could not be verified" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = pct_tls_describe_errors (cases[i].flags, "hub.example.org");

      g_assert_nonnull (strstr (text, cases[i].words));
      g_assert_nonnull (strstr (text, "hub.example.org"));
    }

  /* Two problems, two sentences. */
  {
    g_autofree char *text =
      pct_tls_describe_errors (G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_BAD_IDENTITY, "h");

    g_assert_nonnull (strstr (text, "has expired"));
    g_assert_nonnull (strstr (text, "other names"));
  }
}

/* Live mode ------------------------------------------------------------- */

typedef struct
{
  Fixture *fixture;
  gint64   departments;
} LiveWait;

static gboolean
has_departments (gpointer data)
{
  LiveWait *wait = data;

  /* Online means a run has made the store. */
  return pct_sync_get_state (wait->fixture->sync) == PCT_SYNC_STATE_ONLINE &&
         pct_sync_get_live (wait->fixture->sync) &&
         count_departments (wait->fixture) == wait->departments;
}

static void
test_live (Fixture       *fixture,
           gconstpointer  data)
{
  gboolean long_polling = GPOINTER_TO_INT (data);
  LiveWait wait = { fixture, N_RECORDS };
  gint64 started;

  fault_server_refuse_live (fixture->server, long_polling);
  pct_sync_set_poll_wait (fixture->sync, 5);
  pct_sync_start (fixture->sync);

  g_assert_true (sync_test_wait_for (has_departments, &wait, 20));
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "live"), >=, 1);

  /* A change on the server reaches the store without anyone asking. */
  fault_server_append_record (fixture->server,
                              "{\"entity\":\"department\",\"id\":300,"
                              "\"data\":{\"code\":\"D0300\",\"name\":\"丙\"}}");
  wait.departments = N_RECORDS + 1;
  g_assert_true (sync_test_wait_for (has_departments, &wait, 20));

  /* A local change asks for a sync at once: the outbox goes out. */
  add_outbox_rows (fixture, 1, NULL);
  pct_sync_request (fixture->sync);
  started = g_get_monotonic_time ();
  while (count_outbox (fixture, "applied") < 1)
    {
      g_assert_cmpint (g_get_monotonic_time () - started, <, 20 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }

  /* Stopping does not wait for a long poll to run out. */
  started = g_get_monotonic_time ();
  pct_sync_stop (fixture->sync);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 3 * G_USEC_PER_SEC);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (pct_sync_get_live (fixture->sync));
  assert_integrity (fixture);
}

/* Messages on the live socket that are not what the API sends are
 * ignored: the client neither stops nor goes off line. */
static void
test_live_bad_messages (Fixture       *fixture,
                        gconstpointer  data)
{
  static const char * const bad[] = {
    "{\"type\":",
    "[\"changes\"]",
    "{\"type\":7}",
    "{\"type\":\"changes\",\"type\":\"hello\"}",
    "{\"type\":\"\\ud800\"}",
    "{\"type\":\"changes\"} trailing",
  };
  LiveWait wait = { fixture, N_RECORDS };
  g_autoptr(GString) deep = g_string_new (NULL);

  pct_sync_start (fixture->sync);
  g_assert_true (sync_test_wait_for (has_departments, &wait, 20));

  /* Nested far deeper than any parser that recurses could follow. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_assert_cmpuint (fault_server_send_live (fixture->server, deep->str, deep->len), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_cmpuint (fault_server_send_live (fixture->server, bad[i], strlen (bad[i])), ==, 1);

  /* Then a real change, on the same socket after them. */
  fault_server_append_record (fixture->server,
                              "{\"entity\":\"department\",\"id\":300,"
                              "\"data\":{\"code\":\"D0300\",\"name\":\"丙\"}}");
  wait.departments = N_RECORDS + 1;
  g_assert_true (sync_test_wait_for (has_departments, &wait, 20));
  g_assert_cmpuint (fault_server_count_requests (fixture->server, "live"), ==, 1);

  pct_sync_stop (fixture->sync);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  assert_integrity (fixture);
}

static void
test_live_retries (Fixture       *fixture,
                   gconstpointer  data)
{
  LiveWait wait = { fixture, N_RECORDS };

  /* More failures than one run tries: the live mode tries runs again. */
  fault_server_add_fault (fixture->server, "changes", FAULT_STATUS, 0, MAX_ATTEMPTS * 2, 503,
                          "unavailable", 0, NULL);
  pct_sync_start (fixture->sync);
  g_assert_true (sync_test_wait_for (has_departments, &wait, 30));
  pct_sync_stop (fixture->sync);
}

static void
add_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (transients); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sync/transient/%s", transients[i].name);
      g_test_add (path, Fixture, &transients[i], fixture_set_up, test_transient,
                  fixture_tear_down);
    }

  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sync/refused/%s", refusals[i].name);
      g_test_add (path, Fixture, &refusals[i], fixture_set_up, test_refused, fixture_tear_down);
    }

  for (guint i = 0; i < G_N_ELEMENTS (finals); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sync/final/%u", finals[i].status);
      g_test_add (path, Fixture, &finals[i], fixture_set_up, test_final, fixture_tear_down);
    }

  for (guint i = 0; i < G_N_ELEMENTS (tls_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sync/tls/%s%s", tls_cases[i].certificate,
                                               tls_cases[i].with_ca_file ? "-with-ca-file" : "");
      g_test_add (path, Fixture, &tls_cases[i], fixture_set_up, test_tls, fixture_tear_down);
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  sync_test_avoid_proxies ();

  certs = sync_test_make_certs ();

  g_test_add ("/sync/clean", Fixture, NULL, fixture_set_up, test_clean, fixture_tear_down);
  g_test_add ("/sync/fill-stops", Fixture, NULL, fixture_set_up, test_fill_stops,
              fixture_tear_down);
  add_cases ();
  g_test_add ("/sync/unreachable", Fixture, NULL, fixture_set_up, test_unreachable,
              fixture_tear_down);
  g_test_add ("/sync/settings", Fixture, NULL, fixture_set_up, test_settings, fixture_tear_down);
  g_test_add ("/sync/session/token-expired", Fixture, NULL, fixture_set_up, test_token_expired,
              fixture_tear_down);
  g_test_add ("/sync/session/token-revoked", Fixture, NULL, fixture_set_up, test_token_revoked,
              fixture_tear_down);
  g_test_add ("/sync/session/bad-password", Fixture, NULL, fixture_set_up, test_bad_password,
              fixture_tear_down);
  g_test_add ("/sync/push/results", Fixture, NULL, fixture_set_up, test_push_results,
              fixture_tear_down);
  g_test_add ("/sync/push/twice", Fixture, NULL, fixture_set_up, test_push_twice,
              fixture_tear_down);
  g_test_add ("/sync/push/batches", Fixture, NULL, fixture_set_up, test_push_batches,
              fixture_tear_down);
  g_test_add ("/sync/cursor-reset", Fixture, NULL, fixture_set_up, test_cursor_reset,
              fixture_tear_down);
  g_test_add ("/sync/download-only", Fixture, NULL, fixture_set_up, test_download_only,
              fixture_tear_down);
  g_test_add_func ("/sync/tls/describe", test_tls_describe);
  g_test_add ("/sync/live/websocket", Fixture, GINT_TO_POINTER (FALSE), fixture_set_up,
              test_live, fixture_tear_down);
  g_test_add ("/sync/live/long-polling", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_live, fixture_tear_down);
  g_test_add ("/sync/live/bad-messages", Fixture, NULL, fixture_set_up, test_live_bad_messages,
              fixture_tear_down);
  g_test_add ("/sync/live/retries", Fixture, NULL, fixture_set_up, test_live_retries,
              fixture_tear_down);

  status = g_test_run ();
  sync_test_remove_tree (certs);
  g_free (certs);
  return status;
}
