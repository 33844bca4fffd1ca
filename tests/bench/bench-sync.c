/* bench-sync.c — syncing the benchmark district over loopback TLS
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real precinct-hub, seeded with the benchmark district, serves on
 * 127.0.0.1 with a certificate of a private CA; the client is a real
 * `precinct-tool sync`. Figures:
 *
 *   hub_seed_s                  seeding the hub (only when its file is made)
 *   hub_changes_page_p95_ms     one 2,000-record page of the changes feed,
 *                               from request to its last byte received
 *                               (gzip, TLS), over the whole feed
 *   download_only_s             the full feed fetched page by page and
 *                               discarded: the floor a sync cannot beat
 *   initial_sync_s              a full sync into an empty store
 *   initial_sync_records_per_s  records of the feed over initial_sync_s
 *   initial_sync_ratio          initial_sync_s / download_only_s (target ≤ 2)
 *   delta_sync_empty_ms         a sync with nothing to do: start, sign in,
 *                               ask, stop
 *   delta_sync_1k_ms            a sync after 1,000 incidents were reported
 *   live_latency_p95_ms         an incident POSTed to the hub until its row
 *                               is in the store of a client following the
 *                               live feed (target < 1,000 ms)
 */

#define G_LOG_DOMAIN "bench-sync"

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bench-common.h"

#define PAGE_LIMIT      2000
#define DELTA_INCIDENTS 1000
#define LIVE_SAMPLES    40
#define BENCH_USER      "bench"
#define BENCH_PASSWORD  "bench-password-2026"

typedef struct
{
  char         *data_dir;
  char         *certs;
  char         *ca_file;
  char         *hub_db;
  char         *base_url;
  char         *api_key;
  GSubprocess  *hub;
  SoupSession  *session;
  char         *token;
  PctBBox       extent;
} Bench;

static const char *
program (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set; run the benchmark through meson", variable);
  return path;
}

/* Runs argv to its end, stdin from input; returns its stdout. */
static char *
run (const char * const *argv,
     const char         *input)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                     G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  if (process == NULL ||
      !g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error))
    g_error ("Cannot run %s: %s", argv[0], error->message);
  if (!g_subprocess_get_successful (process))
    g_error ("%s %s failed: %s", argv[0], argv[1], err);
  return g_steal_pointer (&out);
}

static void
prepare_hub (Bench      *bench,
             const char *district)
{
  const char *hub = program ("PRECINCT_HUB");
  g_autofree char *partial = g_strconcat (bench->hub_db, ".partial", NULL);
  g_autofree char *key_file = g_strconcat (bench->hub_db, ".key", NULL);
  g_autoptr(GError) error = NULL;
  gint64 start;

  if (!g_file_test (bench->hub_db, G_FILE_TEST_EXISTS) ||
      !g_file_test (key_file, G_FILE_TEST_EXISTS))
    {
      g_autofree char *key = NULL;

      g_unlink (partial);
      start = g_get_monotonic_time ();
      g_free (run ((const char *[]) { hub, "seed", "--db", partial, "--district", district, NULL },
                   NULL));
      bench_report ("hub_seed_s", bench_ms_since (start) / 1000.0, "s");
      g_free (run ((const char *[]) { hub, "user", "add", BENCH_USER, "--role", "admin",
                                      "--db", partial, NULL },
                   BENCH_PASSWORD "\n"));
      key = run ((const char *[]) { hub, "channel", "add", "bench", "--db", partial, NULL }, NULL);
      if (!g_file_set_contents (key_file, g_strstrip (key), -1, &error))
        g_error ("%s", error->message);
      if (g_rename (partial, bench->hub_db) != 0)
        g_error ("Cannot rename %s: %s", partial, g_strerror (errno));
    }

  if (!g_file_get_contents (key_file, &bench->api_key, NULL, &error))
    g_error ("%s", error->message);
}

static void
start_hub (Bench *bench)
{
  g_autofree char *cert = g_build_filename (bench->certs, "server.pem", NULL);
  g_autofree char *key = g_build_filename (bench->certs, "server-key.pem", NULL);
  const char *argv[] = {
    program ("PRECINCT_HUB"), "serve", "--db", bench->hub_db, "--listen", "127.0.0.1:0",
    "--tls-cert", cert, "--tls-key", key, NULL
  };
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *url;

  bench->hub = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  if (bench->hub == NULL)
    g_error ("Cannot start the hub: %s", error->message);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bench->hub));
  while ((line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error)) != NULL)
    {
      if (g_str_has_prefix (line, "listening on "))
        break;
      g_clear_pointer (&line, g_free);
    }
  if (line == NULL)
    g_error ("The hub stopped before listening: %s", error ? error->message : "no output");

  url = line + strlen ("listening on ");
  bench->base_url = g_strdup (url);
}

static void
stop_hub (Bench *bench)
{
  g_subprocess_send_signal (bench->hub, SIGTERM);
  g_subprocess_wait (bench->hub, NULL, NULL);
  g_clear_object (&bench->hub);
}

static JsonNode *
request (Bench      *bench,
         const char *method,
         const char *path,
         const char *api_key,
         const char *body,
         guint       expected_status,
         gsize      *body_size,
         double     *transfer_ms)
{
  g_autofree char *url = g_strconcat (bench->base_url, path[0] == '/' ? path + 1 : path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  gsize size;
  const char *data;
  gint64 start;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  if (api_key != NULL)
    soup_message_headers_replace (headers, "X-Api-Key", api_key);
  else if (bench->token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bench->token, NULL);
      soup_message_headers_replace (headers, "Authorization", value);
    }

  start = g_get_monotonic_time ();
  reply = soup_session_send_and_read (bench->session, message, NULL, &error);
  if (transfer_ms != NULL)
    *transfer_ms = bench_ms_since (start);
  if (reply == NULL)
    g_error ("%s %s: %s", method, path, error->message);
  data = g_bytes_get_data (reply, &size);
  if (soup_message_get_status (message) != expected_status)
    g_error ("%s %s answered %u: %.*s", method, path, soup_message_get_status (message),
             (int) MIN (size, 500), data);
  if (body_size != NULL)
    *body_size = size;
  if (!json_parser_load_from_data (parser, data, size, &error))
    g_error ("%s %s: %s", method, path, error->message);
  return json_node_ref (json_parser_get_root (parser));
}

static void
sign_in (Bench *bench)
{
  g_autoptr(JsonNode) reply = NULL;

  reply = request (bench, "POST", "api/v1/session", NULL,
                   "{\"user\":\"" BENCH_USER "\",\"password\":\"" BENCH_PASSWORD "\"}",
                   SOUP_STATUS_OK, NULL, NULL);
  g_free (bench->token);
  bench->token = g_strdup (json_object_get_string_member (json_node_get_object (reply), "token"));
}

/* Reads the whole feed page by page; returns the number of records. */
static gint64
measure_pages (Bench *bench)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *cursor = NULL;
  gint64 records = 0;
  gsize bytes = 0;
  gboolean more = TRUE;

  while (more)
    {
      g_autofree char *path = NULL;
      g_autofree char *escaped = cursor ? g_uri_escape_string (cursor, NULL, FALSE) : NULL;
      g_autoptr(JsonNode) page = NULL;
      JsonObject *object;
      double ms;
      gsize size;

      path = escaped ? g_strdup_printf ("api/v1/changes?limit=%d&cursor=%s", PAGE_LIMIT, escaped)
                     : g_strdup_printf ("api/v1/changes?limit=%d", PAGE_LIMIT);
      /* The request until its last byte is in; reading the JSON is the
       * client's business and not timed. */
      page = request (bench, "GET", path, NULL, NULL, SOUP_STATUS_OK, &size, &ms);
      g_array_append_val (times, ms);

      object = json_node_get_object (page);
      records += json_array_get_length (json_object_get_array_member (object, "records"));
      bytes += size;
      more = json_object_get_boolean_member (object, "has_more");
      g_free (cursor);
      cursor = g_strdup (json_object_get_string_member (object, "cursor"));
    }

  bench_report ("hub_changes_page_p95_ms", bench_percentile (times, 95), "ms");
  bench_report ("hub_changes_page_p50_ms", bench_percentile (times, 50), "ms");
  bench_report ("hub_feed_records", records, "records");
  bench_report ("hub_feed_bytes_per_record", (double) bytes / MAX (records, 1), "B");
  return records;
}

/* One `precinct-tool sync` run into store; returns its milliseconds. */
static double
timed_sync (Bench      *bench,
            const char *store,
            gboolean    download_only)
{
  const char *argv[] = {
    program ("PRECINCT_TOOL"), "sync", "--db", store, "--server", bench->base_url,
    "--ca-file", bench->ca_file, "--user", BENCH_USER,
    download_only ? "--download-only" : NULL, NULL
  };
  gint64 start = g_get_monotonic_time ();

  g_free (run (argv, BENCH_PASSWORD "\n"));
  return bench_ms_since (start);
}

static char *
report_incident (Bench *bench,
                 GRand *rand)
{
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *when = g_date_time_format_iso8601 (now);
  double lat = g_rand_double_range (rand, bench->extent.min_lat, bench->extent.max_lat);
  double lon = g_rand_double_range (rand, bench->extent.min_lon, bench->extent.max_lon);
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE];
  char lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  body = g_strdup_printf ("{\"category\":\"C0101\",\"lat\":%s,\"lon\":%s,"
                          "\"description\":\"井盖倾斜 2%d°\",\"reported_at\":\"%s\","
                          "\"source\":\"sensor\",\"severity\":3}",
                          g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                          g_ascii_dtostr (lon_text, sizeof lon_text, lon),
                          g_rand_int_range (rand, 1, 10), when);
  reply = request (bench, "POST", "api/v1/incidents", bench->api_key, body,
                   SOUP_STATUS_CREATED, NULL, NULL);
  return g_strdup (json_object_get_string_member (json_node_get_object (reply), "uuid"));
}

static gboolean
store_has_incident (PctStore   *store,
                    const char *uuid)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT 1 FROM incidents WHERE uuid = ?", NULL);
  gboolean found;

  sqlite3_bind_text (stmt, 1, uuid, -1, SQLITE_STATIC);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return found;
}

static void
measure_live (Bench      *bench,
              const char *store_path,
              GRand      *rand)
{
  const char *argv[] = {
    program ("PRECINCT_TOOL"), "sync", "--db", store_path, "--server", bench->base_url,
    "--ca-file", bench->ca_file, "--user", BENCH_USER, "--follow", NULL
  };
  g_autoptr(GSubprocess) client = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) password = g_bytes_new_static (BENCH_PASSWORD "\n",
                                                   strlen (BENCH_PASSWORD "\n"));
  g_autofree char *warmup = NULL;
  gint64 deadline;

  client = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                    G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
  if (client == NULL)
    g_error ("Cannot start the following client: %s", error->message);
  if (!g_output_stream_write_bytes (g_subprocess_get_stdin_pipe (client), password, NULL, &error) ||
      !g_output_stream_close (g_subprocess_get_stdin_pipe (client), NULL, &error))
    g_error ("%s", error->message);

  store = pct_store_open (store_path, PCT_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL)
    g_error ("%s", error->message);

  /* The first incident waits for the client to sign in and go live. */
  warmup = report_incident (bench, rand);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!store_has_incident (store, warmup))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The following client did not receive an incident within 60 s");
      g_usleep (2000);
    }

  for (guint i = 0; i < LIVE_SAMPLES; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autofree char *uuid = report_incident (bench, rand);
      double ms;

      deadline = start + 30 * G_USEC_PER_SEC;
      while (!store_has_incident (store, uuid))
        {
          if (g_get_monotonic_time () > deadline)
            g_error ("Incident %s did not reach the client within 30 s", uuid);
          g_usleep (1000);
        }
      ms = bench_ms_since (start);
      g_array_append_val (times, ms);
      /* Incidents a few hundred milliseconds apart, as from a busy district. */
      g_usleep (g_rand_int_range (rand, 100000, 400000));
    }

  g_subprocess_send_signal (client, SIGTERM);
  g_subprocess_wait (client, NULL, NULL);

  bench_report ("live_latency_p50_ms", bench_percentile (times, 50), "ms");
  bench_report ("live_latency_p95_ms", bench_percentile (times, 95), "ms");
}

int
main (int    argc,
      char **argv)
{
  Bench bench = { 0 };
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261122);
  g_autofree char *district = NULL;
  g_autofree char *store = NULL;
  g_autofree char *floor_store = NULL;
  const char *size_name;
  double gen_seconds, download_ms, sync_ms;
  gint64 records;

  bench_size (&size_name);
  district = bench_district (FALSE, &gen_seconds);
  bench.data_dir = g_path_get_dirname (district);
  bench.certs = g_build_filename (bench.data_dir, "certs", NULL);
  bench.ca_file = g_build_filename (bench.certs, "ca.pem", NULL);
  {
    g_autofree char *name = g_strdup_printf ("hub-%s-v%d.db", size_name, PCT_STORE_SCHEMA_VERSION);
    bench.hub_db = g_build_filename (bench.data_dir, name, NULL);
  }
  {
    g_autoptr(PctStore) source = pct_store_open (district, PCT_STORE_OPEN_READ_ONLY, &error);
    if (source == NULL || !pct_store_get_extent (source, &bench.extent, &error))
      g_error ("%s", error->message);
  }

  g_free (run ((const char *[]) { program ("PRECINCT_MAKE_CERTS"), bench.certs, NULL }, NULL));
  prepare_hub (&bench, district);
  start_hub (&bench);

  database = g_tls_file_database_new (bench.ca_file, &error);
  if (database == NULL)
    g_error ("%s", error->message);
  bench.session = g_object_new (SOUP_TYPE_SESSION, "tls-database", database, "timeout", 120, NULL);
  sign_in (&bench);

  records = measure_pages (&bench);

  floor_store = g_build_filename (bench.data_dir, "sync-floor.db", NULL);
  store = g_build_filename (bench.data_dir, "sync-client.db", NULL);
  for (const char * const *suffix = (const char *[]) { "", "-wal", "-shm", NULL }; *suffix; suffix++)
    {
      g_autofree char *a = g_strconcat (floor_store, *suffix, NULL);
      g_autofree char *b = g_strconcat (store, *suffix, NULL);
      g_unlink (a);
      g_unlink (b);
    }

  download_ms = timed_sync (&bench, floor_store, TRUE);
  bench_report ("download_only_s", download_ms / 1000.0, "s");

  sync_ms = timed_sync (&bench, store, FALSE);
  bench_report ("initial_sync_s", sync_ms / 1000.0, "s");
  bench_report ("initial_sync_records_per_s", records / (sync_ms / 1000.0), "records/s");
  bench_report ("initial_sync_ratio", sync_ms / download_ms, "x");

  bench_report ("delta_sync_empty_ms", timed_sync (&bench, store, FALSE), "ms");
  for (guint i = 0; i < DELTA_INCIDENTS; i++)
    g_free (report_incident (&bench, rand));
  bench_report ("delta_sync_1k_ms", timed_sync (&bench, store, FALSE), "ms");

  measure_live (&bench, store, rand);

  stop_hub (&bench);
  g_object_unref (bench.session);
  g_free (bench.token);
  g_free (bench.api_key);
  g_free (bench.base_url);
  g_free (bench.hub_db);
  g_free (bench.ca_file);
  g_free (bench.certs);
  g_free (bench.data_dir);
  return 0;
}
