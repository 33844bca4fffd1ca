/* test-tool.c — precinct-tool's command-line contract, run as a program
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-tool"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

typedef struct
{
  int   status;
  char *out;
  char *err;
} Result;

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

static void
run_tool (Result *r,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *tool = g_getenv ("PRECINCT_TOOL");
  const char *arg;
  va_list args;

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (char *) tool);
  va_start (args, r);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &r->out, &r->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  r->status = g_subprocess_get_exit_status (proc);
}

static char *
data_path (const char *name)
{
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  return g_build_filename (g_get_user_data_dir (), name, NULL);
}

static void
test_validate (void)
{
  g_auto(Result) r = { 0 };

  run_tool (&r, "validate", "id", "11010519491231002X", "11010519491231002x", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "11010519491231002X\tvalid\n11010519491231002x\tvalid\n");
  result_clear (&r);

  run_tool (&r, "validate", "id", "11010519491231002X", "110105194912310021", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.out, "11010519491231002X\tvalid\n110105194912310021\tinvalid\t"));
  /* The reason says something after the tab. */
  g_assert_cmpuint (strlen (strrchr (r.out, '\t')), >, 5);
  result_clear (&r);

  run_tool (&r, "validate", "uscc", "91350100M000100Y43", "91310110666007217T", NULL);
  g_assert_cmpint (r.status, ==, 0);
  result_clear (&r);
  run_tool (&r, "validate", "uscc", "91350100M000100Y44", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.out, "91350100M000100Y44\tinvalid\t"));
  result_clear (&r);

  run_tool (&r, "validate", "phone", "13812345678", "2381234567", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_true (g_str_has_prefix (r.out, "13812345678\tvalid\n2381234567\tinvalid\t"));
  result_clear (&r);

  /* Usage errors exit 2. */
  run_tool (&r, "validate", "passport", "E12345678", NULL);
  g_assert_cmpint (r.status, ==, 2);
  result_clear (&r);
  run_tool (&r, "validate", "id", NULL);
  g_assert_cmpint (r.status, ==, 2);
  result_clear (&r);
  run_tool (&r, "frobnicate", NULL);
  g_assert_cmpint (r.status, ==, 2);
  result_clear (&r);
  run_tool (&r, NULL);
  g_assert_cmpint (r.status, ==, 2);
  result_clear (&r);

  run_tool (&r, "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  for (const char *const *c = (const char *[]) { "gen", "info", "validate", "search", "import", "export", NULL }; *c; c++)
    g_assert_nonnull (strstr (r.out, *c));
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
test_gen_info_search (void)
{
  g_autofree char *db = data_path ("small.db");
  g_auto(Result) r = { 0 };
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(JsonNode) hits = NULL;
  JsonObject *counts;
  JsonArray *array;
  const char *keys[] = { "addresses", "buildings", "rooms", "people", "units", "facilities",
                         "grids", "incidents", "work_orders" };

  run_tool (&r, "gen", "--size", "small", "--seed", "7", "--db", db,
            "--reference-date", "2026-11-01", NULL);
  g_assert_cmpint (r.status, ==, 0);
  result_clear (&r);

  /* A second gen into a store with a district refuses, and keeps it. */
  run_tool (&r, "gen", "--size", "small", "--seed", "8", "--db", db, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpuint (strlen (r.err), >, 0);
  result_clear (&r);

  run_tool (&r, "info", "--db", db, "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  info = parse_json (r.out);
  counts = json_node_get_object (info);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_assert_true (json_object_has_member (counts, keys[i]));
      g_assert_cmpint (json_object_get_int_member (counts, keys[i]), >, 0);
    }
  g_assert_cmpint (json_object_get_int_member (counts, "addresses"), >=, 1500);
  g_assert_cmpint (json_object_get_int_member (counts, "addresses"), <=, 2500);
  result_clear (&r);

  run_tool (&r, "search", "--db", db, "--json", "--limit", "5", "街道", NULL);
  g_assert_cmpint (r.status, ==, 0);
  hits = parse_json (r.out);
  array = json_node_get_array (hits);
  g_assert_cmpuint (json_array_get_length (array), >, 0);
  g_assert_cmpuint (json_array_get_length (array), <=, 15);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *hit = json_array_get_object_element (array, i);
      g_assert_true (json_object_has_member (hit, "kind"));
      g_assert_true (json_object_has_member (hit, "title"));
    }
  result_clear (&r);

  run_tool (&r, "search", "--db", db, "--limit", "0", "x", NULL);
  g_assert_cmpint (r.status, ==, 2);
  result_clear (&r);

  /* A missing store is a clear error, not a new empty file. */
  run_tool (&r, "info", "--db", "/nonexistent/precinct.db", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "/nonexistent/precinct.db"));
}

static void
test_import_export (void)
{
  g_autofree char *db = data_path ("io.db");
  g_autofree char *records = data_path ("records.jsonl");
  g_autofree char *csv = data_path ("addresses.csv");
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Result) r = { 0 };
  const char *lines =
    "{\"entity\":\"region\",\"id\":\"500116\",\"data\":{\"level\":13,\"name\":\"江津区\"}}\n"
    "{\"entity\":\"address\",\"id\":1,\"version\":1,\"data\":{\"code\":\"500116001001000100010000\","
    "\"kind\":\"door\",\"region_code\":\"500116\",\"display\":\"重庆市江津区 鼎山大道 12号\","
    "\"lon\":106.25,\"lat\":29.29}}\n"
    "{\"entity\":\"address\",\"id\":2,\"version\":1,\"data\":{\"code\":\"500116001001000100020000\","
    "\"kind\":\"door\",\"region_code\":\"500116\",\"display\":\"重庆市江津区 鼎山大道 14号\","
    "\"lon\":106.25,\"lat\":95.0}}\n"
    "{\"entity\":\"address\",\"id\":3,\"data\":{\"code\":\n";

  g_file_set_contents (records, lines, -1, &error);
  g_assert_no_error (error);

  run_tool (&r, "import", "--db", db, records, NULL);
  /* Two records rejected (latitude out of range, truncated), two kept. */
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, ":3:"));
  g_assert_nonnull (strstr (r.err, ":4:"));
  result_clear (&r);

  run_tool (&r, "export", "--db", db, "--layer", "addresses", "--format", "csv", "--out", csv, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_file_get_contents (csv, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (contents, "\xef\xbb\xbf"));
  g_assert_nonnull (strstr (contents, "鼎山大道 12号"));
  g_assert_null (strstr (contents, "鼎山大道 14号"));
  result_clear (&r);

  run_tool (&r, "export", "--db", db, "--layer", "nothing", "--format", "csv", "--out", csv, NULL);
  g_assert_cmpint (r.status, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/tool/validate", test_validate);
  g_test_add_func ("/tool/gen-info-search", test_gen_info_search);
  g_test_add_func ("/tool/import-export", test_import_export);

  return g_test_run ();
}
