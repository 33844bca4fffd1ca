/* test-import.c — importing JSON-lines records and GeoJSON, good and bad
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-import"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pct-import.h"
#include "pct-record.h"
#include "pct-validate.h"

/* Reference rows most records below point at, as record lines. */
static const char base_records[] =
  "{\"entity\":\"region\",\"id\":\"500000\",\"data\":{\"parent_code\":null,\"level\":11,\"name\":\"重庆市\"}}\n"
  "{\"entity\":\"region\",\"id\":\"500100\",\"data\":{\"parent_code\":\"500000\",\"level\":12,\"name\":\"市辖区\"}}\n"
  "{\"entity\":\"region\",\"id\":\"500116\",\"data\":{\"parent_code\":\"500100\",\"level\":13,\"name\":\"江津区\"}}\n"
  "{\"entity\":\"region\",\"id\":\"500116001001\",\"data\":{\"parent_code\":\"500116\",\"level\":31,\"name\":\"鼎山社区\"}}\n"
  "{\"entity\":\"department\",\"id\":1,\"data\":{\"code\":\"D01\",\"name\":\"城市管理局\",\"phone\":\"023-47521234\"}}\n"
  "{\"entity\":\"grid_cell\",\"id\":1,\"version\":3,\"updated_at\":1767225600,\"data\":{\"code\":\"50011600100101\",\"name\":\"鼎山第一网格\",\"community_code\":\"500116001001\",\"polygon\":[[106.25,29.28],[106.26,29.28],[106.26,29.29],[106.25,29.29]]}}\n"
  "{\"entity\":\"worker\",\"id\":1,\"data\":{\"name\":\"张伟\",\"phone\":\"13812345678\",\"department_id\":1,\"grid_id\":1}}\n"
  "{\"entity\":\"road\",\"id\":1,\"data\":{\"name\":\"鼎山大道\",\"class\":2,\"geometry\":[[106.25,29.285],[106.26,29.285]]}}\n"
  "{\"entity\":\"category\",\"id\":1,\"data\":{\"code\":\"C0101\",\"kind\":\"component\",\"major\":\"公用设施\",\"minor\":\"上水井盖\"}}\n"
  "{\"entity\":\"category\",\"id\":2,\"data\":{\"code\":\"E0101\",\"kind\":\"event\",\"major\":\"市容环境\",\"minor\":\"暴露垃圾\",\"time_limit\":4,\"time_unit\":\"work_hours\"}}\n";

/* One record of every other entity, in dependency order. */
static const char entity_records[] =
  "{\"entity\":\"area\",\"id\":1,\"data\":{\"kind\":\"water\",\"name\":\"几江\",\"polygon\":[[106.2,29.2],[106.21,29.2],[106.21,29.21]]}}\n"
  "{\"entity\":\"address\",\"id\":1,\"version\":2,\"data\":{\"code\":\"500116001001000012\",\"kind\":\"door\",\"region_code\":\"500116001001\",\"road_id\":1,\"door_number\":\"12号\",\"display\":\"重庆市江津区几江街道 鼎山大道 12号\",\"lon\":106.255,\"lat\":29.285,\"grid_id\":1}}\n"
  "{\"entity\":\"address\",\"id\":2,\"data\":{\"code\":\"500116001001000012001\",\"kind\":\"building\",\"parent_id\":1,\"region_code\":\"500116001001\",\"building_no\":\"3栋\",\"display\":\"重庆市江津区几江街道 鼎山大道 12号 3栋\",\"lon\":106.2551,\"lat\":29.2851}}\n"
  "{\"entity\":\"building\",\"id\":1,\"data\":{\"address_id\":2,\"name\":\"3栋\",\"use\":\"residential\",\"floors_above\":18,\"floors_below\":1,\"units\":2,\"footprint\":[[106.255,29.285],[106.2552,29.285],[106.2552,29.2852],[106.255,29.2852]],\"lon\":106.2551,\"lat\":29.2851,\"grid_id\":1}}\n"
  "{\"entity\":\"room\",\"id\":1,\"data\":{\"building_id\":1,\"code\":\"R-1-2-1502\",\"unit_no\":2,\"floor\":15,\"room_no\":\"1502\",\"use\":\"residential\",\"occupancy\":\"rented\",\"owner_name\":\"李娜\",\"area\":89.5,\"resident_count\":2}}\n"
  "{\"entity\":\"room\",\"id\":2,\"data\":{\"building_id\":1,\"code\":\"R-1-1-B101\",\"unit_no\":1,\"floor\":-1,\"room_no\":\"B101\",\"use\":\"storage\",\"occupancy\":\"vacant\"}}\n"
  "{\"entity\":\"person\",\"id\":1,\"data\":{\"name\":\"王芳\",\"id_number\":\"11010519491231002X\",\"sex\":\"F\",\"birth_date\":\"1949-12-31\",\"phone\":\"13912345678\",\"category\":\"registered\",\"household_status\":\"match\",\"rooms\":[{\"room_code\":\"R-1-2-1502\",\"relation\":\"owner\",\"since\":\"2015-06-01\"},{\"room_code\":\"R-9-9-9999\",\"room_id\":null,\"relation\":\"tenant\"}]}}\n"
  "{\"entity\":\"unit\",\"id\":1,\"data\":{\"name\":\"江津鼎山超市\",\"uscc\":\"91350100M000100Y43\",\"type\":\"enterprise\",\"legal_rep\":\"赵强\",\"phone\":\"023-47520000\",\"status\":\"operating\",\"address_id\":1,\"staff\":12,\"lon\":106.255,\"lat\":29.285}}\n"
  "{\"entity\":\"facility\",\"id\":1,\"data\":{\"code\":\"5001160101000001\",\"category_id\":1,\"name\":\"上水井盖\",\"status\":\"normal\",\"department_id\":1,\"address_id\":1,\"lon\":106.2552,\"lat\":29.2853}}\n"
  "{\"entity\":\"incident\",\"id\":1,\"data\":{\"uuid\":\"6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f\",\"category_id\":2,\"source\":\"grid_worker\",\"status\":\"filed\",\"description\":\"路边暴露垃圾\",\"lon\":106.256,\"lat\":29.286,\"grid_id\":1,\"reported_at\":1767225600}}\n"
  "{\"entity\":\"work_order\",\"id\":1,\"data\":{\"uuid\":\"7a1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f\",\"number\":\"WO-2026-000001\",\"incident_id\":1,\"category_id\":2,\"state\":\"dispatched\",\"department_id\":1,\"worker_id\":1,\"grid_id\":1,\"filed_at\":1767225700,\"deadline\":1767240100,\"escalated\":true}}\n"
  "{\"entity\":\"work_order_event\",\"id\":1,\"data\":{\"work_order_id\":1,\"action\":\"dispatch\",\"from_state\":\"filed\",\"to_state\":\"dispatched\",\"actor\":\"operator\",\"department_id\":1,\"at\":1767225800}}\n"
  "{\"entity\":\"plate_batch\",\"id\":1,\"data\":{\"uuid\":\"8a1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f\",\"name\":\"第一批\",\"size\":\"medium\",\"created_at\":1767225600}}\n"
  "{\"entity\":\"plate\",\"id\":1,\"data\":{\"address_id\":1,\"token\":\"tok-1\",\"status\":\"installed\",\"size\":\"medium\",\"issued_at\":1767225600,\"installed_at\":1767312000,\"batch_id\":1}}\n"
  "{\"entity\":\"calendar_day\",\"id\":\"2026-01-01\",\"data\":{\"workday\":false,\"name\":\"元旦\"}}\n"
  "{\"entity\":\"setting\",\"id\":\"district_name\",\"data\":{\"value\":\"江津区\"}}\n";

/* Helpers ----------------------------------------------------------------- */

static char *
temp_path (const char *name)
{
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  return g_build_filename (g_get_user_data_dir (), name, NULL);
}

static PctStore *
new_store (const char *name)
{
  g_autofree char *path = temp_path (name);
  g_autoptr(GError) error = NULL;
  PctStore *store;

  store = pct_store_open (path, PCT_STORE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static char *
write_file (const char *name,
            const char *data,
            gssize      length)
{
  g_autoptr(GError) error = NULL;
  char *path = temp_path (name);

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
  return path;
}

/* Imports text as a file; expects the file as a whole to be readable. */
static PctImportReport *
import_ok (PctStore   *store,
           const char *text,
           gssize      length)
{
  g_autofree char *path = write_file ("input.jsonl", text, length);
  g_autoptr(GError) error = NULL;
  PctImportReport *report = pct_import_report_new ();

  pct_import_file (store, path, report, NULL, NULL, &error);
  g_assert_no_error (error);
  return report;
}

static gint64
query_int (PctStore   *store,
           const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  return value;
}

static char *
query_text (PctStore   *store,
            const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static void
exec_ok (PctStore   *store,
         const char *sql)
{
  g_autoptr(GError) error = NULL;

  pct_store_exec (store, sql, &error);
  g_assert_no_error (error);
}

static PctStore *
new_base_store (const char *name)
{
  PctStore *store = new_store (name);
  g_autoptr(PctImportReport) report = import_ok (store, base_records, -1);

  g_assert_cmpuint (report->rejected, ==, 0);
  g_assert_cmpuint (report->accepted, ==, 10);
  return store;
}

static char *
address_line (guint       id,
              const char *display)
{
  return g_strdup_printf ("{\"entity\":\"address\",\"id\":%u,\"data\":{\"code\":\"A%06u\","
                          "\"kind\":\"door\",\"region_code\":\"500116001001\",\"road_id\":1,"
                          "\"display\":\"%s\",\"lon\":106.25%04u,\"lat\":29.28%04u}}",
                          id, id, display, id % 10000, id % 10000);
}

/* Tests ------------------------------------------------------------------- */

static void
test_every_entity (void)
{
  g_autoptr(PctStore) store = new_base_store ("every.db");
  g_autoptr(PctImportReport) report = import_ok (store, entity_records, -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autofree char *text = NULL;
  guint n_entities;

  for (guint i = 0; i < report->rejections->len; i++)
    {
      PctImportRejection *r = g_ptr_array_index (report->rejections, i);
      g_test_message ("line %" G_GUINT64_FORMAT ": %s", r->line, r->reason);
    }
  g_assert_cmpuint (report->rejected, ==, 0);
  g_assert_cmpuint (report->accepted, ==, 16);

  /* Every entity of the mapping has been through a record by now. */
  pct_record_entities (&n_entities);
  g_assert_cmpuint (n_entities, ==, 21);

  /* Versions are stored as given, defaults where none is given. */
  g_assert_cmpint (query_int (store, "SELECT version FROM addresses WHERE id = 1"), ==, 2);
  g_assert_cmpint (query_int (store, "SELECT version FROM addresses WHERE id = 2"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT version FROM grid_cells WHERE id = 1"), ==, 3);
  g_assert_cmpint (query_int (store, "SELECT updated_at FROM grid_cells WHERE id = 1"), ==,
                   1767225600);
  g_assert_cmpint (query_int (store, "SELECT severity FROM incidents WHERE id = 1"), ==, 2);
  g_assert_cmpint (query_int (store, "SELECT escalated FROM work_orders WHERE id = 1"), ==, 1);
  text = query_text (store, "SELECT role FROM workers WHERE id = 1");
  g_assert_cmpstr (text, ==, "grid_worker");
  g_clear_pointer (&text, g_free);
  text = query_text (store, "SELECT polygon FROM grid_cells WHERE id = 1");
  g_assert_cmpstr (text, ==, "[[106.25,29.28],[106.26,29.28],[106.26,29.29],[106.25,29.29]]");

  /* Room links: resolved by code, or kept unresolved when null is given. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM person_rooms WHERE person_id = 1"), ==, 2);
  g_assert_cmpint (query_int (store, "SELECT room_id FROM person_rooms "
                                     "WHERE room_code = 'R-1-2-1502'"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT room_id IS NULL FROM person_rooms "
                                     "WHERE room_code = 'R-9-9-9999'"), ==, 1);

  /* The store's triggers kept the indexes in step. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM address_rtree"), ==, 2);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM building_rtree"), ==, 1);
  hits = pct_store_search (store, "鼎山大道", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, >=, 2);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM calendar WHERE workday = 0"), ==, 1);
}

static void
test_upsert_and_delete (void)
{
  g_autoptr(PctStore) store = new_base_store ("upsert.db");
  g_autoptr(PctImportReport) report = NULL;
  g_autoptr(PctImportReport) again = NULL;
  g_autoptr(PctImportReport) deletions = NULL;
  g_autofree char *display = NULL;
  PctImportRejection *r;

  report = import_ok (store, entity_records, -1);
  g_assert_cmpuint (report->rejected, ==, 0);

  /* The same key again updates in place; the version is the record's. */
  again = import_ok (store,
                     "{\"entity\":\"address\",\"id\":1,\"version\":7,\"updated_at\":5,\"data\":{"
                     "\"code\":\"500116001001000012\",\"kind\":\"door\",\"region_code\":"
                     "\"500116001001\",\"road_id\":1,\"door_number\":\"12号\",\"display\":"
                     "\"鼎山大道 12号（新）\",\"lon\":106.2555,\"lat\":29.2855,\"grid_id\":1}}\n"
                     "{\"entity\":\"person\",\"id\":1,\"version\":4,\"data\":{\"name\":\"王芳\","
                     "\"id_number\":\"11010519491231002X\",\"category\":\"registered\","
                     "\"household_status\":\"person_only\",\"rooms\":[{\"room_code\":"
                     "\"R-1-1-B101\",\"relation\":\"tenant\"}]}}\n",
                     -1);
  g_assert_cmpuint (again->rejected, ==, 0);
  g_assert_cmpuint (again->accepted, ==, 2);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses"), ==, 2);
  g_assert_cmpint (query_int (store, "SELECT version FROM addresses WHERE id = 1"), ==, 7);
  g_assert_cmpint (query_int (store, "SELECT updated_at FROM addresses WHERE id = 1"), ==, 5);
  display = query_text (store, "SELECT display FROM addresses WHERE id = 1");
  g_assert_cmpstr (display, ==, "鼎山大道 12号（新）");
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM address_rtree "
                                     "WHERE id = 1 AND min_lon > 106.2554"), ==, 1);
  /* The rooms are replaced with the record's, not added to. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM person_rooms"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT room_id FROM person_rooms"), ==, 2);

  /* Twice in one chunk: the rooms are the later record's alone. */
  g_clear_pointer (&again, pct_import_report_free);
  again = import_ok (store,
                     "{\"entity\":\"person\",\"id\":1,\"version\":5,\"data\":{\"name\":\"王芳\","
                     "\"id_number\":\"11010519491231002X\",\"category\":\"registered\","
                     "\"household_status\":\"match\",\"rooms\":[{\"room_code\":"
                     "\"R-1-2-1502\",\"relation\":\"owner\"}]}}\n"
                     "{\"entity\":\"person\",\"id\":1,\"version\":6,\"data\":{\"name\":\"王芳\","
                     "\"id_number\":\"11010519491231002X\",\"category\":\"registered\","
                     "\"household_status\":\"match\",\"rooms\":[{\"room_code\":"
                     "\"R-1-1-B101\",\"relation\":\"tenant\"}]}}\n",
                     -1);
  g_assert_cmpuint (again->rejected, ==, 0);
  g_assert_cmpuint (again->accepted, ==, 2);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM person_rooms"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT room_id FROM person_rooms"), ==, 2);

  deletions = import_ok (store,
                         "{\"entity\":\"calendar_day\",\"id\":\"2026-01-01\",\"deleted\":true}\n"
                         "{\"entity\":\"address\",\"id\":1,\"deleted\":true}\n"
                         "{\"entity\":\"work_order_event\",\"id\":1,\"deleted\":true}\n"
                         "{\"entity\":\"incident\",\"id\":999,\"deleted\":true}\n",
                         -1);
  g_assert_cmpuint (deletions->accepted, ==, 3);
  g_assert_cmpuint (deletions->rejected, ==, 1);
  r = g_ptr_array_index (deletions->rejections, 0);
  g_assert_cmpuint (r->line, ==, 2);
  g_assert_cmpstr (r->entity, ==, "address");
  g_assert_cmpstr (r->key, ==, "1");
  g_assert_nonnull (strstr (r->reason, "still reference"));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM calendar"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM work_order_events"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses WHERE id = 1"), ==, 1);
}

typedef struct
{
  const char *line;
  const char *reason;   /* a part of the expected reason */
} BadLine;

static void
test_bad_input (void)
{
  static const BadLine bad[] = {
    /* truncated line */
    { "{\"entity\":\"address\",\"id\":900,\"data\":{\"code\":\"B900\",\"kind\":\"door\"",
      "ends before" },
    /* a string where a number belongs */
    { "{\"entity\":\"address\",\"id\":901,\"data\":{\"code\":\"B901\",\"kind\":\"door\","
      "\"region_code\":\"500116001001\",\"display\":\"x\",\"lon\":\"106.25\",\"lat\":29.28}}",
      "“lon”: must be a number" },
    /* a missing required field */
    { "{\"entity\":\"address\",\"id\":902,\"data\":{\"code\":\"B902\",\"kind\":\"door\","
      "\"region_code\":\"500116001001\",\"lon\":106.25,\"lat\":29.28}}",
      "“display” is required" },
    /* an ID number whose check character is wrong */
    { "{\"entity\":\"person\",\"id\":903,\"data\":{\"name\":\"李四\",\"id_number\":"
      "\"110105194912310021\",\"category\":\"registered\",\"household_status\":\"match\"}}",
      "“id_number”" },
    /* a credit code whose check character is wrong */
    { "{\"entity\":\"unit\",\"id\":904,\"data\":{\"name\":\"某公司\",\"uscc\":\"91350100M000100Y44\","
      "\"type\":\"enterprise\",\"status\":\"operating\",\"lon\":106.25,\"lat\":29.28}}",
      "“uscc”" },
    /* a mobile number one digit short */
    { "{\"entity\":\"person\",\"id\":905,\"data\":{\"name\":\"李四\",\"id_number\":"
      "\"11010519491231002X\",\"phone\":\"1381234567\",\"category\":\"registered\","
      "\"household_status\":\"match\"}}",
      "“phone”" },
    /* latitude out of range */
    { "{\"entity\":\"address\",\"id\":906,\"data\":{\"code\":\"B906\",\"kind\":\"door\","
      "\"region_code\":\"500116001001\",\"display\":\"x\",\"lon\":106.25,\"lat\":95}}",
      "Latitude" },
    /* NaN is not JSON */
    { "{\"entity\":\"address\",\"id\":907,\"data\":{\"code\":\"B907\",\"kind\":\"door\","
      "\"region_code\":\"500116001001\",\"display\":\"x\",\"lon\":NaN,\"lat\":29.28}}",
      "a value was expected" },
    /* a number JSON can write but a double cannot hold */
    { "{\"entity\":\"address\",\"id\":908,\"data\":{\"code\":\"B908\",\"kind\":\"door\","
      "\"region_code\":\"500116001001\",\"display\":\"x\",\"lon\":1e999,\"lat\":29.28}}",
      "finite" },
    { "{\"entity\":\"spaceship\",\"id\":909,\"data\":{}}", "Unknown entity “spaceship”" },
    { "{\"entity\":\"address\",\"id\":910,\"data\":{\"code\":\"B910\",\"code\":\"B911\"}}",
      "appears twice" },
    /* a reference to a row that is not there */
    { "{\"entity\":\"address\",\"id\":912,\"data\":{\"code\":\"B912\",\"kind\":\"door\","
      "\"region_code\":\"500116001001\",\"road_id\":99,\"display\":\"x\",\"lon\":106.25,"
      "\"lat\":29.28}}",
      "there is no road 99" },
    { "{\"entity\":\"address\",\"id\":913,\"data\":{\"code\":\"B913\",\"kind\":\"door\","
      "\"region_code\":\"500116001001\",\"display\":\"x\",\"colour\":\"blue\",\"lon\":106.25,"
      "\"lat\":29.28}}",
      "“colour” is not a field of address" },
    { "{\"entity\":\"address\",\"id\":914,\"data\":{\"code\":\"B\\u0000914\"}}", "NUL character" },
    { "{\"entity\":\"address\",\"id\":99999999999999999999,\"data\":{}}", "64 bits" },
    { "[1,2,3]", "must be a JSON object" },
    { "hello, world", "a value was expected" },
    { "{\"entity\":\"road\",\"id\":915,\"data\":{\"name\":\"x\",\"class\":2,"
      "\"geometry\":[[106.25,29.28],[200,29.28]]}}",
      "position 2" },
    { "{\"entity\":\"road\",\"id\":916,\"data\":{\"name\":\"x\",\"class\":5,"
      "\"geometry\":[[106.25,29.28],[106.26,29.28]]}}",
      "not between 1 and 4" },
    /* the code of an address already in the file */
    { "{\"entity\":\"address\",\"id\":917,\"data\":{\"code\":\"A000001\",\"kind\":\"door\","
      "\"region_code\":\"500116001001\",\"display\":\"x\",\"lon\":106.25,\"lat\":29.28}}",
      "already has this code" },
    { "{\"entity\":\"address\",\"id\":918,\"data\":{\"code\":\"B918\",\"kind\":\"palace\","
      "\"region_code\":\"500116001001\",\"display\":\"x\",\"lon\":106.25,\"lat\":29.28}}",
      "is not one of door, building, unit" },
    { "{\"entity\":\"room\",\"id\":919,\"data\":{\"building_id\":1,\"code\":\"R919\",\"unit_no\":1,"
      "\"floor\":0,\"room_no\":\"0\",\"use\":\"residential\",\"occupancy\":\"owner\"}}",
      "no floor 0" },
    { "{\"entity\":\"address\",\"id\":920,\"data\":{\"code\":'B920'}}", "a value was expected" },
    { "{\"entity\":\"address\",\"id\":921,\"data\":{\"code\":\"B921\"}} {\"x\":1}",
      "unexpected text after the value" },
  };
  g_autoptr(PctStore) store = new_base_store ("bad.db");
  g_autoptr(GString) file = g_string_new (NULL);
  g_autoptr(GArray) expected_lines = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GPtrArray) expected_reasons = g_ptr_array_new ();
  g_autoptr(PctImportReport) report = NULL;
  g_autofree char *long_text = NULL;
  g_autofree char *huge_line = NULL;
  g_autofree char *deep = NULL;
  guint64 line = 0;
  guint good = 0;
  gsize huge = 10 * 1024 * 1024;

  /* A good line before, between and after each bad one. */
#define ADD_GOOD()                                                  \
  G_STMT_START {                                                    \
    g_autofree char *good_line = address_line (++good, "鼎山大道"); \
    g_string_append_printf (file, "%s\n", good_line);               \
    line++;                                                         \
  } G_STMT_END
#define ADD_BAD(text, length, why)                                  \
  G_STMT_START {                                                    \
    guint64 at = ++line;                                            \
    g_string_append_len (file, text, length);                       \
    g_string_append_c (file, '\n');                                 \
    g_array_append_val (expected_lines, at);                        \
    g_ptr_array_add (expected_reasons, (gpointer) (why));           \
    ADD_GOOD ();                                                    \
  } G_STMT_END

  ADD_GOOD ();
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    ADD_BAD (bad[i].line, (gssize) strlen (bad[i].line), bad[i].reason);

  /* A field over the text limit, the line itself well under the line limit. */
  long_text = g_strnfill (PCT_RECORD_MAX_TEXT_BYTES + 1, 'x');
  {
    g_autofree char *l = address_line (950, long_text);
    ADD_BAD (l, (gssize) strlen (l), "longer than 4096 bytes");
  }

  /* A 10 MB string: the line is dropped unread, with a reason. */
  huge_line = g_malloc (huge + 64);
  memcpy (huge_line, "{\"entity\":\"address\",\"id\":951,\"data\":{\"display\":\"", 49);
  memset (huge_line + 49, 'y', huge);
  memcpy (huge_line + 49 + huge, "\"}}", 3);
  ADD_BAD (huge_line, (gssize) (huge + 52), "longer than 1048576 bytes");

  /* Bytes that must not be in a record: NUL, and text that is not UTF-8. */
  {
    static const char nul[] = "{\"entity\":\"address\",\"id\":952,\"data\":{\"display\":\"a\0b\"}}";
    static const char latin1[] = "{\"entity\":\"address\",\"id\":953,\"data\":{\"display\":\"caf\xe9\"}}";

    ADD_BAD (nul, (gssize) sizeof nul - 1, "NUL byte");
    ADD_BAD (latin1, (gssize) sizeof latin1 - 1, "not valid UTF-8");
  }

  /* Nesting deep enough to exhaust a recursive parser's stack. */
  deep = g_strnfill (200000, '[');
  ADD_BAD (deep, 200000, "nested deeper than 16");

#undef ADD_GOOD
#undef ADD_BAD

  report = import_ok (store, file->str, (gssize) file->len);

  g_assert_cmpuint (report->accepted, ==, good);
  g_assert_cmpuint (report->rejected, ==, expected_lines->len);
  g_assert_cmpuint (report->rejections->len, ==, expected_lines->len);
  for (guint i = 0; i < report->rejections->len; i++)
    {
      PctImportRejection *r = g_ptr_array_index (report->rejections, i);
      const char *why = g_ptr_array_index (expected_reasons, i);

      g_test_message ("line %" G_GUINT64_FORMAT ": %s", r->line, r->reason);
      g_assert_cmpuint (r->line, ==, g_array_index (expected_lines, guint64, i));
      if (strstr (r->reason, why) == NULL)
        g_error ("line %" G_GUINT64_FORMAT ": “%s” does not mention “%s”", r->line, r->reason,
                 why);
    }

  /* Rejected records left nothing; the good ones are all there. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses"), ==, good);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses WHERE id >= 900"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM people"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM units"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM roads"), ==, 1);
}

static void
test_rejections_reported_with_keys (void)
{
  g_autoptr(PctStore) store = new_base_store ("keys.db");
  g_autoptr(PctImportReport) report = NULL;
  PctImportRejection *r;

  report = import_ok (store,
                      "\n"
                      "{\"entity\":\"address\",\"id\":5,\"data\":{\"kind\":\"door\"}}\n"
                      "   \n"
                      "{\"entity\":\"region\",\"id\":\"99\",\"data\":{\"level\":11,\"name\":\"x\"}}\n",
                      -1);
  g_assert_cmpuint (report->accepted, ==, 0);
  g_assert_cmpuint (report->rejected, ==, 2);

  r = g_ptr_array_index (report->rejections, 0);
  g_assert_cmpuint (r->line, ==, 2);
  g_assert_cmpstr (r->entity, ==, "address");
  g_assert_cmpstr (r->key, ==, "5");
  g_assert_nonnull (strstr (r->reason, "“code” is required"));

  r = g_ptr_array_index (report->rejections, 1);
  g_assert_cmpuint (r->line, ==, 4);
  g_assert_cmpstr (r->entity, ==, "region");
  g_assert_cmpstr (r->key, ==, "99");
}

/* A person whose third room link fails leaves no person and no links. */
static void
test_record_is_atomic (void)
{
  static const char person_template[] =
    "{\"entity\":\"person\",\"id\":%d,\"data\":{\"name\":\"%s\",\"id_number\":"
    "\"11010519491231002X\",\"category\":\"temporary\",\"household_status\":\"match\","
    "\"rooms\":[{\"room_code\":\"R-1-2-1502\",\"relation\":\"tenant\"},"
    "{\"room_code\":\"R-1-1-B101\",\"relation\":\"tenant\"},"
    "{\"room_code\":\"%s\",%s\"relation\":\"tenant\"}]}}\n";
  g_autoptr(PctStore) store = new_base_store ("atomic.db");
  g_autoptr(PctImportReport) setup = import_ok (store, entity_records, -1);
  g_autoptr(PctImportReport) report = NULL;
  g_autofree char *unknown_room = g_strdup_printf (person_template, 2, "赵六", "R-NOWHERE", "");
  g_autofree char *duplicate_room = g_strdup_printf (person_template, 3, "钱七", "R-1-2-1502", "");
  g_autofree char *both = g_strconcat (unknown_room, duplicate_room, NULL);
  g_autofree char *unresolved_third = g_strdup_printf (person_template, 4, "孙八", "R-9-9-9999",
                                                       "\"room_id\":null,");
  g_autofree char *renamed = g_strdup_printf (person_template, 1, "王芳芳", "R-9-9-9999",
                                              "\"room_id\":null,");
  g_autofree char *name = NULL;
  PctImportRejection *r;

  g_assert_cmpuint (setup->rejected, ==, 0);

  report = import_ok (store, both, -1);
  g_assert_cmpuint (report->accepted, ==, 0);
  g_assert_cmpuint (report->rejected, ==, 2);
  r = g_ptr_array_index (report->rejections, 0);
  g_assert_nonnull (strstr (r->reason, "item 3"));
  g_assert_nonnull (strstr (r->reason, "R-NOWHERE"));
  r = g_ptr_array_index (report->rejections, 1);
  g_assert_nonnull (strstr (r->reason, "appears twice"));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM people WHERE id IN (2, 3)"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM person_rooms WHERE person_id IN (2, 3)"),
                   ==, 0);

  /* Now make the store itself refuse the third link, after the person and
   * two links have been written: the savepoint must take them all back,
   * and an update that fails so must leave the old record as it was. */
  exec_ok (store,
           "CREATE TEMP TRIGGER refuse_third AFTER INSERT ON person_rooms "
           "WHEN (SELECT count(*) FROM person_rooms WHERE person_id = new.person_id) >= 3 "
           "BEGIN SELECT RAISE (ABORT, 'third link refused'); END");

  g_clear_pointer (&report, pct_import_report_free);
  report = import_ok (store, unresolved_third, -1);
  g_assert_cmpuint (report->rejected, ==, 1);
  r = g_ptr_array_index (report->rejections, 0);
  g_assert_nonnull (strstr (r->reason, "third link refused"));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM people WHERE id = 4"), ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM person_rooms WHERE person_id = 4"), ==, 0);

  g_clear_pointer (&report, pct_import_report_free);
  report = import_ok (store, renamed, -1);
  g_assert_cmpuint (report->rejected, ==, 1);
  name = query_text (store, "SELECT name FROM people WHERE id = 1");
  g_assert_cmpstr (name, ==, "王芳");
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM person_rooms WHERE person_id = 1"), ==, 2);
}

/* Records written many to a statement come out as if written one by one:
 * later wins on a repeated key, a row may reference one just before it,
 * and a row the store refuses in the middle of a chunk costs only itself. */
static void
test_batched_like_sequential (void)
{
  g_autoptr(PctStore) store = new_base_store ("batched.db");
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(PctImportReport) report = NULL;
  g_autofree char *display = NULL;
  guint64 line = 0;
  guint64 conflict_line = 0;
  guint64 forward_line = 0;
  guint64 truncated_line = 0;
  PctImportRejection *r;

  for (guint i = 1; i <= 600; i++)
    {
      g_autofree char *l = address_line (i, "鼎山大道");

      g_string_append_printf (text, "%s\n", l);
      line++;
      if (i == 100)
        {
          g_autofree char *again = address_line (5, "鼎山大道 5号（更正）");

          g_string_append_printf (text, "%s\n", again);
          line++;
        }
      if (i == 300)
        {
          /* The code of address 1, under a new key: refused by the store. */
          g_string_append (text, "{\"entity\":\"address\",\"id\":9001,\"data\":{\"code\":"
                                 "\"A000001\",\"kind\":\"door\",\"region_code\":"
                                 "\"500116001001\",\"display\":\"x\",\"lon\":106.25,"
                                 "\"lat\":29.28}}\n");
          conflict_line = ++line;
          /* Refused before it reaches the batch, yet reported after the
           * refusal above. */
          g_string_append (text, "{\"entity\":\"address\",\"id\":9004,\"data\":{\n");
          truncated_line = ++line;
          /* A child of the row just before it, in the same chunk. */
          g_string_append (text, "{\"entity\":\"address\",\"id\":9002,\"data\":{\"code\":"
                                 "\"C9002\",\"kind\":\"building\",\"parent_id\":300,"
                                 "\"region_code\":\"500116001001\",\"display\":\"x\","
                                 "\"lon\":106.25,\"lat\":29.28}}\n");
          line++;
          /* A child of a row that only comes later: refused. */
          g_string_append (text, "{\"entity\":\"address\",\"id\":9003,\"data\":{\"code\":"
                                 "\"C9003\",\"kind\":\"building\",\"parent_id\":301,"
                                 "\"region_code\":\"500116001001\",\"display\":\"x\","
                                 "\"lon\":106.25,\"lat\":29.28}}\n");
          forward_line = ++line;
        }
    }

  report = import_ok (store, text->str, (gssize) text->len);
  g_assert_cmpuint (report->accepted, ==, 602);
  g_assert_cmpuint (report->rejected, ==, 3);
  r = g_ptr_array_index (report->rejections, 0);
  g_assert_cmpuint (r->line, ==, conflict_line);
  g_assert_nonnull (strstr (r->reason, "already has this code"));
  r = g_ptr_array_index (report->rejections, 1);
  g_assert_cmpuint (r->line, ==, truncated_line);
  r = g_ptr_array_index (report->rejections, 2);
  g_assert_cmpuint (r->line, ==, forward_line);
  g_assert_nonnull (strstr (r->reason, "there is no address 301"));

  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses"), ==, 601);
  g_assert_cmpint (query_int (store, "SELECT parent_id FROM addresses WHERE id = 9002"), ==, 300);
  display = query_text (store, "SELECT display FROM addresses WHERE id = 5");
  g_assert_cmpstr (display, ==, "鼎山大道 5号（更正）");
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM address_fts "
                                     "WHERE address_fts MATCH '\"号（更正）\"'"), ==, 1);
}

static void
test_whole_file_failures (void)
{
  g_autoptr(PctStore) store = new_store ("files.db");
  static const struct
  {
    const char *name;
    const char *data;
    gssize      length;
    int         code;
  } cases[] = {
    { "empty.jsonl", "", 0, PCT_IMPORT_ERROR_EMPTY },
    { "blank.jsonl", "\n  \r\n\t\n", -1, PCT_IMPORT_ERROR_EMPTY },
    { "bom.jsonl", "\xef\xbb\xbf", -1, PCT_IMPORT_ERROR_EMPTY },
    { "text.txt", "district,addresses\n江津,250000\n", -1, PCT_IMPORT_ERROR_NOT_RECORDS },
    { "binary.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, PCT_IMPORT_ERROR_NOT_RECORDS },
    { "broken.json", "{ this is not\n json at all }\n", -1, PCT_IMPORT_ERROR_NOT_RECORDS },
    { "feature.json", "{\"type\":\"Feature\",\"geometry\":null,\"properties\":{}}", -1,
      PCT_IMPORT_ERROR_NOT_RECORDS },
    { "collection.json", "{\n  \"type\": \"GeometryCollection\",\n  \"geometries\": []\n}\n", -1,
      PCT_IMPORT_ERROR_NOT_RECORDS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_file (cases[i].name, cases[i].data, cases[i].length);
      g_autoptr(PctImportReport) report = pct_import_report_new ();
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].name);
      g_assert_false (pct_import_file (store, path, report, NULL, NULL, &error));
      g_assert_error (error, PCT_IMPORT_ERROR, cases[i].code);
      g_assert_cmpuint (report->accepted, ==, 0);
    }

  {
    g_autofree char *path = temp_path ("does-not-exist.jsonl");
    g_autoptr(PctImportReport) report = pct_import_report_new ();
    g_autoptr(GError) error = NULL;

    g_assert_false (pct_import_file (store, path, report, NULL, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  }

  /* The store is untouched and usable. */
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM regions"), ==, 0);
  g_assert_true (sqlite3_get_autocommit (pct_store_get_handle (store)));
}

static void
test_bom_and_crlf (void)
{
  g_autoptr(PctStore) store = new_store ("crlf.db");
  g_autoptr(GString) text = g_string_new ("\xef\xbb\xbf");
  g_autofree char *converted = NULL;
  g_auto(GStrv) lines = g_strsplit (base_records, "\n", -1);
  g_autoptr(PctImportReport) report = NULL;

  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    g_string_append_printf (text, "%s\r\n", lines[i]);
  /* The last line without an end of line at all. */
  g_string_append (text, "{\"entity\":\"region\",\"id\":\"500116001002\",\"data\":{"
                         "\"parent_code\":\"500116\",\"level\":31,\"name\":\"艾坪山社区\"}}");

  report = import_ok (store, text->str, (gssize) text->len);
  g_assert_cmpuint (report->rejected, ==, 0);
  g_assert_cmpuint (report->accepted, ==, 11);
  converted = query_text (store, "SELECT name FROM regions WHERE code = '500116001002'");
  g_assert_cmpstr (converted, ==, "艾坪山社区");
}

/* A first line longer than what is looked at to tell records from
 * GeoJSON, and mentioning features, is still a record line. */
static void
test_long_first_line (void)
{
  g_autoptr(PctStore) store = new_base_store ("long-first.db");
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(PctImportReport) report = NULL;
  g_autofree char *filler = g_strnfill (100000, 'z');
  g_autofree char *first = g_strdup_printf ("features %s", filler);
  g_autofree char *line1 = address_line (1, first);
  g_autofree char *line2 = address_line (2, "鼎山大道 2号");
  PctImportRejection *r;

  g_string_append_printf (text, "%s\n%s\n", line1, line2);
  report = import_ok (store, text->str, (gssize) text->len);
  g_assert_cmpuint (report->accepted, ==, 1);
  g_assert_cmpuint (report->rejected, ==, 1);
  r = g_ptr_array_index (report->rejections, 0);
  g_assert_cmpuint (r->line, ==, 1);
  g_assert_nonnull (strstr (r->reason, "longer than 4096 bytes"));
}

static void
test_geojson (void)
{
  static const char collection[] =
    "{\n"                                                                                  /* 1 */
    "  \"type\": \"FeatureCollection\",\n"                                                 /* 2 */
    "  \"name\": \"江津 doors\",\n"                                                        /* 3 */
    "  \"crs\": { \"type\": \"name\", \"properties\": { \"name\": \"urn:ogc:def:crs:OGC:1.3:CRS84\" } },\n"
    "  \"features\": [\n"                                                                  /* 5 */
    "    { \"type\": \"Feature\", \"id\": 10, \"geometry\": { \"type\": \"Point\", \"coordinates\": [106.251, 29.281] },\n"
    "      \"properties\": { \"code\": \"G10\", \"kind\": \"door\", \"region_code\": \"500116001001\", \"display\": \"一号\", \"fid\": 7 } },\n"
    "    { \"type\": \"Feature\", \"geometry\": { \"type\": \"Point\", \"coordinates\": [106.252, 29.282, 250.0] },\n"
    "      \"properties\": { \"entity\": \"address\", \"id\": 11, \"version\": 4, \"code\": \"G11\", \"kind\": \"door\", \"region_code\": \"500116001001\", \"display\": \"二号\" } },\n"
    "    { \"type\": \"Feature\", \"geometry\": { \"type\": \"Polygon\", \"coordinates\": [[[106.25, 29.28], [106.2502, 29.28], [106.2502, 29.2802], [106.25, 29.28]]] },\n"
    "      \"properties\": { \"entity\": \"building\", \"id\": 5, \"name\": \"5栋\", \"use\": \"office\", \"floors_above\": 6, \"lon\": 106.2501, \"lat\": 29.2801 } },\n"
    "    { \"type\": \"Feature\", \"geometry\": { \"type\": \"LineString\", \"coordinates\": [[106.25, 29.28], [106.26, 29.29]] },\n"
    "      \"properties\": { \"entity\": \"road\", \"id\": 2, \"name\": \"圣泉路\", \"class\": 3 } },\n"
    "    { \"type\": \"Feature\", \"geometry\": { \"type\": \"Point\", \"coordinates\": [106.25, 29.28] },\n"   /* 14 */
    "      \"properties\": { \"entity\": \"road\", \"id\": 3, \"name\": \"错路\", \"class\": 3 } },\n"
    "    { \"type\": \"Feature\", \"geometry\": { \"type\": \"Polygon\", \"coordinates\": [[[106.25, 29.28], [106.26, 29.28], [106.26, 29.29], [106.25, 29.28]], [[106.251, 29.281], [106.252, 29.281], [106.252, 29.282], [106.251, 29.281]]] },\n"
    "      \"properties\": { \"entity\": \"area\", \"id\": 4, \"kind\": \"block\" } },\n"     /* 17 */
    "    { \"type\": \"Feature\", \"geometry\": { \"type\": \"Polygon\", \"coordinates\": [[[106.25, 29.28], [106.26, 29.28], [106.26, 29.29], [106.25, 29.28]]] },\n"
    "      \"properties\": { \"kind\": \"block\" } },\n"                                  /* 19 */
    "    { \"type\": \"Feature\", \"geometry\": null, \"properties\": { \"entity\": \"unicorn\", \"id\": 1 } },\n"
    "    { \"type\": \"Feature\", \"id\": 12, \"geometry\": { \"type\": \"Point\", \"coordinates\": [106.253, 95.0] },\n"
    "      \"properties\": { \"code\": \"G12\", \"kind\": \"door\", \"region_code\": \"500116001001\", \"display\": \"三号\" } },\n"
    "    { \"type\": \"Feature\", \"id\": 13, \"geometry\": { \"type\": \"Point\", \"coordinates\": [106.254, 29.284] },\n"
    "      \"properties\": { \"code\": \"G13\", \"kind\": \"door\", \"region_code\": \"500116001001\", \"display\": \"四号\" } }\n"
    "  ]\n"
    "}\n";
  g_autoptr(PctStore) store = new_base_store ("geojson.db");
  g_autoptr(PctImportReport) report = NULL;
  g_autofree char *polygon = NULL;
  static const struct
  {
    guint64     line;
    const char *reason;
  } expected[] = {
    { 14, "of road records is a LineString, not Point" },
    { 16, "holes are not supported" },
    { 18, "names no entity" },
    { 20, "Unknown entity “unicorn”" },
    { 21, "Latitude" },
  };

  report = import_ok (store, collection, -1);
  for (guint i = 0; i < report->rejections->len; i++)
    {
      PctImportRejection *r = g_ptr_array_index (report->rejections, i);
      g_test_message ("line %" G_GUINT64_FORMAT ": %s", r->line, r->reason);
    }
  g_assert_cmpuint (report->accepted, ==, 5);
  g_assert_cmpuint (report->rejected, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      PctImportRejection *r = g_ptr_array_index (report->rejections, i);

      g_assert_cmpuint (r->line, ==, expected[i].line);
      g_assert_nonnull (strstr (r->reason, expected[i].reason));
    }

  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses"), ==, 3);
  g_assert_cmpint (query_int (store, "SELECT version FROM addresses WHERE id = 11"), ==, 4);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM buildings WHERE id = 5"), ==, 1);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM roads WHERE id = 2"), ==, 1);
  polygon = query_text (store, "SELECT footprint FROM buildings WHERE id = 5");
  g_assert_cmpstr (polygon, ==, "[[106.25,29.28],[106.2502,29.28],[106.2502,29.2802],[106.25,29.28]]");
}

static void
test_geojson_truncated (void)
{
  static const char truncated[] =
    "{\"type\":\"FeatureCollection\",\"features\":[\n"
    "{\"type\":\"Feature\",\"id\":20,\"geometry\":{\"type\":\"Point\",\"coordinates\":[106.25,29.28]},"
    "\"properties\":{\"code\":\"T20\",\"kind\":\"door\",\"region_code\":\"500116001001\",\"display\":\"x\"}},\n"
    "{\"type\":\"Feature\",\"id\":21,\"geometry\":{\"type\":\"Point\",\"coord";
  static const char broken[] =
    "{\"type\":\"FeatureCollection\",\"features\":[\n"
    "{\"type\":\"Feature\",\"id\":22,\"geometry\":{\"type\":\"Point\",\"coordinates\":[106.25,29.28]},"
    "\"properties\":{\"code\":\"T22\",\"kind\":\"door\",\"region_code\":\"500116001001\",\"display\":\"x\"}}\n"
    "{\"type\":\"Feature\"}]}\n";
  static const char empty[] = "{\"type\":\"FeatureCollection\",\"features\":[]}";
  g_autoptr(PctStore) store = new_base_store ("truncated.db");
  g_autoptr(PctImportReport) report = import_ok (store, truncated, -1);
  g_autoptr(PctImportReport) report2 = NULL;
  g_autoptr(PctImportReport) report3 = NULL;
  PctImportRejection *r;

  g_assert_cmpuint (report->accepted, ==, 1);
  g_assert_cmpuint (report->rejected, ==, 1);
  r = g_ptr_array_index (report->rejections, 0);
  g_assert_cmpuint (r->line, ==, 3);
  g_assert_nonnull (strstr (r->reason, "ends inside feature 2"));

  report2 = import_ok (store, broken, -1);
  g_assert_cmpuint (report2->accepted, ==, 1);
  g_assert_cmpuint (report2->rejected, ==, 1);
  r = g_ptr_array_index (report2->rejections, 0);
  g_assert_cmpuint (r->line, ==, 3);
  g_assert_nonnull (strstr (r->reason, "“,” or “]” expected"));

  report3 = import_ok (store, empty, -1);
  g_assert_cmpuint (report3->accepted, ==, 0);
  g_assert_cmpuint (report3->rejected, ==, 0);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses"), ==, 2);
}

static void
test_rejections_capped (void)
{
  g_autoptr(PctStore) store = new_base_store ("cap.db");
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(PctImportReport) report = NULL;
  guint n = PCT_IMPORT_MAX_REJECTIONS + 50;
  PctImportRejection *last;

  for (guint i = 0; i < n; i++)
    g_string_append (text, "{\"entity\":\"nothing\",\"id\":1,\"data\":{}}\n");
  g_string_append (text, "{\"entity\":\"department\",\"id\":2,\"data\":{\"code\":\"D02\",\"name\":\"应急局\",\"phone\":\"12345\"}}\n");

  report = import_ok (store, text->str, (gssize) text->len);
  g_assert_cmpuint (report->rejected, ==, n);
  g_assert_cmpuint (report->rejections->len, ==, PCT_IMPORT_MAX_REJECTIONS);
  g_assert_cmpuint (report->accepted, ==, 1);
  last = g_ptr_array_index (report->rejections, report->rejections->len - 1);
  g_assert_cmpuint (last->line, ==, PCT_IMPORT_MAX_REJECTIONS);
}

/* Inside a transaction of the caller's, nothing is committed behind its
 * back. */
static void
test_inside_caller_transaction (void)
{
  g_autoptr(PctStore) store = new_base_store ("caller.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(PctImportReport) report = NULL;

  pct_store_begin (store, &error);
  g_assert_no_error (error);
  report = import_ok (store, entity_records, -1);
  g_assert_cmpuint (report->accepted, ==, 16);
  g_assert_false (sqlite3_get_autocommit (pct_store_get_handle (store)));
  pct_store_rollback (store);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses"), ==, 0);
}

static void
progress_cb (const char *what,
             guint64     done,
             guint64     total,
             gpointer    user_data)
{
  guint64 *last = user_data;

  g_assert_cmpuint (done, >=, *last);
  g_assert_cmpuint (done, <=, total);
  *last = done;
}

/* Imports many addresses and prints the rate; no threshold is asserted. */
static void
test_import_speed (void)
{
  g_autoptr(PctStore) store = new_base_store ("speed.db");
  guint n = g_test_slow () ? 100000 : 20000;
  g_autoptr(GString) text = g_string_sized_new (n * 260);
  g_autofree char *path = NULL;
  g_autoptr(PctImportReport) report = pct_import_report_new ();
  g_autoptr(GError) error = NULL;
  guint64 last = 0;
  gint64 start;
  double seconds;

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *display = g_strdup_printf ("重庆市江津区几江街道 鼎山大道 %u号", i);
      g_autofree char *line = address_line (i, display);

      g_string_append (text, line);
      g_string_append_c (text, '\n');
    }
  path = write_file ("speed.jsonl", text->str, (gssize) text->len);

  start = g_get_monotonic_time ();
  pct_import_file (store, path, report, progress_cb, &last, &error);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_assert_no_error (error);
  g_assert_cmpuint (report->rejected, ==, 0);
  g_assert_cmpuint (report->accepted, ==, n);
  g_assert_cmpuint (last, ==, text->len);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM addresses"), ==, n);
  g_test_message ("imported %u addresses (%.1f MB) in %.2f s: %.0f records/s", n,
                  text->len / 1e6, seconds, n / seconds);
}

/* Sanity of the test data itself: the ID number and the credit codes used
 * above as valid must pass the validators the import uses. */
static void
test_fixtures_valid (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_validate_id_number ("11010519491231002X", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (pct_validate_uscc ("91350100M000100Y43", &error));
  g_assert_no_error (error);
  g_assert_false (pct_validate_id_number ("110105194912310021", NULL, NULL));
  g_assert_false (pct_validate_uscc ("91350100M000100Y44", NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/import/fixtures", test_fixtures_valid);
  g_test_add_func ("/import/every-entity", test_every_entity);
  g_test_add_func ("/import/upsert-and-delete", test_upsert_and_delete);
  g_test_add_func ("/import/bad-input", test_bad_input);
  g_test_add_func ("/import/rejection-keys", test_rejections_reported_with_keys);
  g_test_add_func ("/import/atomic", test_record_is_atomic);
  g_test_add_func ("/import/batched", test_batched_like_sequential);
  g_test_add_func ("/import/whole-file-failures", test_whole_file_failures);
  g_test_add_func ("/import/bom-and-crlf", test_bom_and_crlf);
  g_test_add_func ("/import/long-first-line", test_long_first_line);
  g_test_add_func ("/import/geojson", test_geojson);
  g_test_add_func ("/import/geojson-truncated", test_geojson_truncated);
  g_test_add_func ("/import/rejections-capped", test_rejections_capped);
  g_test_add_func ("/import/caller-transaction", test_inside_caller_transaction);
  g_test_add_func ("/import/speed", test_import_speed);

  return g_test_run ();
}
