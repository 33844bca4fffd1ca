/* test-quality.c — the data-quality checks find exactly the planted problems
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-quality"

#include "config.h"

#include <json-glib/json-glib.h>

#include "pct-generator.h"
#include "pct-quality.h"

static PctStore *
new_store (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  PctStore *store;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  path = g_build_filename (g_get_user_data_dir (), "quality.db", NULL);
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  return store;
}

static gboolean
has_example (PctQualityReport *report,
             PctQualityKind    kind,
             gint64            id)
{
  for (guint i = 0; i < report->examples->len; i++)
    {
      PctQualityIssue *issue = g_ptr_array_index (report->examples, i);
      if (issue->kind == kind && issue->id == id)
        return TRUE;
    }
  return FALSE;
}

static void
test_planted (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(PctQualityReport) report = NULL;
  g_autoptr(GError) error = NULL;

  pct_store_exec (store,
    "INSERT INTO regions VALUES ('500116', NULL, 13, '江津区');"
    "INSERT INTO addresses (id, code, kind, region_code, display, lon, lat) VALUES"
    " (1, 'A1', 'door', '500116', '鼎山大道 12号', 106.25, 29.29),"
    " (2, 'A2', 'door', '500116', '鼎山大道 14号', 106.25, 29.29),"
    " (3, 'A3', 'door', '500116', '鼎山大道 12号', 106.25001, 29.29);"
    "INSERT INTO buildings (id, name, use, floors_above, footprint, lon, lat) VALUES"
    " (1, '1栋', 'residential', 6, '[[106.25,29.29],[106.251,29.29],[106.251,29.291]]', 106.2505, 29.2905);"
    "INSERT INTO rooms (id, building_id, code, unit_no, floor, room_no, use, occupancy, resident_count) VALUES"
    " (1, 1, 'R101', 1, 1, '101', 'residential', 'owner', 1),"
    " (2, 1, 'R102', 1, 1, '102', 'residential', 'rented', 0),"
    " (3, 1, 'R201', 1, 2, '201', 'residential', 'vacant', 0),"
    " (4, 1, 'R202', 1, 2, '202', 'residential', 'owner', 3);"
    "INSERT INTO people (id, name, id_number, category, household_status) VALUES"
    " (1, '张三', '11010519491231002X', 'registered', 'match'),"
    " (2, '李四', '110105194912310021', 'registered', 'match'),"
    " (3, '王五', '500116199001011234', 'temporary', 'person_only');"
    "INSERT INTO person_rooms (person_id, room_code, room_id, relation) VALUES"
    " (1, 'R101', 1, 'householder'),"
    " (2, 'R202', 4, 'householder'),"
    " (3, 'R999', NULL, 'tenant');"
    "INSERT INTO units (id, name, uscc, type, status, lon, lat) VALUES"
    " (1, '好运商店', '91350100M000100Y43', 'individual', 'operating', 106.25, 29.29),"
    " (2, '坏账公司', '91350100M000100Y44', 'enterprise', 'operating', 106.25, 29.29);",
    &error);
  g_assert_no_error (error);

  report = pct_quality_check (store, 10, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (report->counts[PCT_QUALITY_DUPLICATE_ADDRESS], ==, 1);
  g_assert_true (has_example (report, PCT_QUALITY_DUPLICATE_ADDRESS, 3));

  /* Room 2 is rented with nobody in it; room 3 is vacant, which is fine. */
  g_assert_cmpuint (report->counts[PCT_QUALITY_OCCUPIED_WITHOUT_RESIDENTS], ==, 1);
  g_assert_true (has_example (report, PCT_QUALITY_OCCUPIED_WITHOUT_RESIDENTS, 2));

  g_assert_cmpuint (report->counts[PCT_QUALITY_MISSING_ROOM], ==, 1);
  g_assert_true (has_example (report, PCT_QUALITY_MISSING_ROOM, 3));

  /* Room 4 says three residents, one is registered. */
  g_assert_cmpuint (report->counts[PCT_QUALITY_RESIDENT_COUNT], ==, 1);
  g_assert_true (has_example (report, PCT_QUALITY_RESIDENT_COUNT, 4));

  /* 李四's check character is wrong; 王五's 500116199001011234 is checked too. */
  g_assert_true (has_example (report, PCT_QUALITY_INVALID_ID_NUMBER, 2));
  g_assert_false (has_example (report, PCT_QUALITY_INVALID_ID_NUMBER, 1));

  g_assert_cmpuint (report->counts[PCT_QUALITY_INVALID_CREDIT_CODE], ==, 1);
  g_assert_true (has_example (report, PCT_QUALITY_INVALID_CREDIT_CODE, 2));
}

static void
test_examples_capped (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(PctQualityReport) report = NULL;
  g_autoptr(GError) error = NULL;

  pct_store_exec (store,
    "INSERT INTO regions VALUES ('500116', NULL, 13, '江津区');"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)"
    " INSERT INTO addresses (id, code, kind, region_code, display, lon, lat)"
    " SELECT i, 'A' || i, 'door', '500116', '同一个门', 106.25, 29.29 FROM n;",
    &error);
  g_assert_no_error (error);

  report = pct_quality_check (store, 3, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->counts[PCT_QUALITY_DUPLICATE_ADDRESS], ==, 49);
  g_assert_cmpuint (report->examples->len, ==, 3);
}

/* The synthetic district records the defects it plants; the checks find
 * exactly those, and nothing else. */
static void
test_generated_district (void)
{
  g_autoptr(PctStore) store = new_store ();
  g_autoptr(PctQualityReport) report = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *defects = NULL;
  JsonObject *planted;

  pct_generate_district (store, PCT_DISTRICT_SMALL, 3, 1793462400, NULL, NULL, &error);
  g_assert_no_error (error);

  defects = pct_store_get_meta (store, "defects");
  g_assert_nonnull (defects);
  json_parser_load_from_data (parser, defects, -1, &error);
  g_assert_no_error (error);
  planted = json_node_get_object (json_parser_get_root (parser));

  report = pct_quality_check (store, 0, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (json_object_get_int_member (planted, "duplicate_addresses"), >, 0);
  g_assert_cmpuint (report->counts[PCT_QUALITY_DUPLICATE_ADDRESS], ==,
                    json_object_get_int_member (planted, "duplicate_addresses"));
  g_assert_cmpint (json_object_get_int_member (planted, "occupied_rooms_without_residents"), >, 0);
  g_assert_cmpuint (report->counts[PCT_QUALITY_OCCUPIED_WITHOUT_RESIDENTS], ==,
                    json_object_get_int_member (planted, "occupied_rooms_without_residents"));
  g_assert_cmpint (json_object_get_int_member (planted, "people_linked_to_missing_rooms"), >, 0);
  g_assert_cmpuint (report->counts[PCT_QUALITY_MISSING_ROOM], ==,
                    json_object_get_int_member (planted, "people_linked_to_missing_rooms"));
  g_assert_cmpuint (report->counts[PCT_QUALITY_RESIDENT_COUNT], ==, 0);
  g_assert_cmpuint (report->counts[PCT_QUALITY_INVALID_ID_NUMBER], ==, 0);
  g_assert_cmpuint (report->counts[PCT_QUALITY_INVALID_CREDIT_CODE], ==, 0);
  g_assert_cmpuint (report->examples->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/quality/planted", test_planted);
  g_test_add_func ("/quality/examples-capped", test_examples_capped);
  g_test_add_func ("/quality/generated-district", test_generated_district);

  return g_test_run ();
}
