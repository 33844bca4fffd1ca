/* test-details.c — feature details and pasted places, over a small district
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each expected figure is worked out here with its own query, so that a
 * wrong join in pct-details.c cannot agree with itself.
 */

#define G_LOG_DOMAIN "test-details"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pct-details.h"
#include "pct-generator.h"
#include "pct-locate.h"
#include "pct-validate.h"

/* A fixed "now", so the district is the same on every run. */
#define REFERENCE_TIME 1767196800  /* 2026-01-01 00:00 +08:00 */

static char *district_dir;
static char *district_path;
static PctStore *store;

static gint64
query_int (const char *sql,
           gint64      arg)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  gint64 value;

  g_assert_no_error (error);
  /* A query without a parameter ignores it. */
  if (sqlite3_bind_parameter_count (stmt) > 0)
    sqlite3_bind_int64 (stmt, 1, arg);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

static char *
query_text (const char *sql,
            gint64      arg)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  char *value;

  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, arg);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

static PctDetails *
details_of (PctLayer layer,
            gint64   id,
            gint64   now)
{
  g_autoptr(GError) error = NULL;
  PctDetails *details = pct_details_query (store, layer, id, now, &error);

  g_assert_no_error (error);
  g_assert_nonnull (details);
  g_assert_cmpint (details->layer, ==, layer);
  g_assert_cmpint (details->id, ==, id);
  g_assert_nonnull (details->title);
  g_assert_nonnull (details->subtitle);
  g_assert_cmpuint (details->rows->len, >, 0);

  /* Every row is complete: a key, a translated label and a value. */
  for (guint i = 0; i < details->rows->len; i++)
    {
      PctDetailsRow *row = g_ptr_array_index (details->rows, i);

      g_assert_nonnull (row->key);
      g_assert_nonnull (row->label);
      g_assert_nonnull (row->value);
      g_assert_cmpstr (row->value, !=, "");
    }
  return details;
}

static void
assert_value (const PctDetails *details,
              const char       *key,
              const char       *expected)
{
  g_assert_cmpstr (pct_details_get_value (details, key), ==, expected);
}

static void
assert_count (const PctDetails *details,
              const char       *key,
              gint64            expected)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, expected);

  assert_value (details, key, text);
}

static gboolean
has_related (const PctDetails *details,
             PctLayer          layer,
             gint64            id)
{
  for (guint i = 0; i < details->related->len; i++)
    {
      PctDetailsRelated *related = g_ptr_array_index (details->related, i);

      if (related->layer == layer && related->id == id)
        return TRUE;
    }
  return FALSE;
}

static void
test_address (void)
{
  g_autoptr(PctDetails) details = NULL;
  g_autofree char *token = NULL;
  g_autofree char *display = NULL;
  g_autofree char *code = NULL;
  g_autofree char *community = NULL;
  const char *shown;
  gint64 id;

  /* A compound gate whose current plate is installed. */
  id = query_int ("SELECT a.id FROM addresses a JOIN plates p ON p.address_id = a.id "
                  "WHERE a.kind = 'door' AND p.status = 'installed' AND p.replaced_by IS NULL "
                  "AND EXISTS (SELECT 1 FROM addresses c WHERE c.parent_id = a.id) "
                  "ORDER BY a.id LIMIT 1", 1);
  details = details_of (PCT_LAYER_ADDRESSES, id, REFERENCE_TIME);

  display = query_text ("SELECT display FROM addresses WHERE id = ?", id);
  code = query_text ("SELECT code FROM addresses WHERE id = ?", id);
  community = query_text ("SELECT r.name FROM addresses a JOIN regions r "
                          "ON r.code = a.region_code WHERE a.id = ?", id);
  g_assert_cmpstr (details->title, ==, display);
  assert_value (details, "code", code);
  assert_value (details, "kind", "Door");
  g_assert_true (g_str_has_prefix (pct_details_get_value (details, "community"), community));
  g_assert_nonnull (pct_details_get_value (details, "grid"));
  g_assert_nonnull (pct_details_get_value (details, "coordinates"));

  assert_value (details, "plate_status", "Installed");
  g_assert_nonnull (pct_details_get_value (details, "plate_size"));
  g_assert_nonnull (pct_details_get_value (details, "plate_installed"));

  /* The token shows its first six characters, never the whole. */
  token = query_text ("SELECT token FROM plates WHERE address_id = ? AND replaced_by IS NULL "
                      "ORDER BY issued_at DESC LIMIT 1", id);
  shown = pct_details_get_value (details, "plate_token");
  g_assert_nonnull (shown);
  g_assert_true (strncmp (shown, token, 6) == 0);
  g_assert_null (strstr (shown, token + 6));
  g_assert_null (strstr (shown, token));

  assert_count (details, "child_buildings",
                query_int ("SELECT count(*) FROM addresses WHERE parent_id = ? "
                           "AND kind = 'building'", id));
  assert_count (details, "child_units",
                query_int ("SELECT count(*) FROM addresses c JOIN addresses b "
                           "ON b.id = c.parent_id WHERE b.parent_id = ?1 AND c.kind = 'unit'",
                           id) +
                query_int ("SELECT count(*) FROM addresses WHERE parent_id = ? "
                           "AND kind = 'unit'", id));
  g_assert_cmpint (query_int ("SELECT count(*) FROM addresses WHERE parent_id = ? "
                              "AND kind = 'building'", id), >, 0);
}

static void
test_address_without_plate (void)
{
  g_autoptr(PctDetails) details = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  /* A unit entrance: no buildings behind it, and a plate taken away. */
  id = query_int ("SELECT id FROM addresses WHERE kind = 'unit' ORDER BY id DESC LIMIT 1",
                  1);
  {
    sqlite3_stmt *stmt = pct_store_prepare (store, "DELETE FROM plates WHERE address_id = ?",
                                            &error);

    g_assert_no_error (error);
    sqlite3_bind_int64 (stmt, 1, id);
    pct_store_step_done (store, stmt, &error);
    g_assert_no_error (error);
  }

  details = details_of (PCT_LAYER_ADDRESSES, id, REFERENCE_TIME);
  assert_value (details, "kind", "Unit entrance");
  assert_value (details, "plate_status", "No plate issued");
  g_assert_null (pct_details_get_value (details, "plate_token"));
  g_assert_null (pct_details_get_value (details, "child_buildings"));

  /* It leads back to the building's address it belongs to. */
  g_assert_true (has_related (details, PCT_LAYER_ADDRESSES,
                              query_int ("SELECT parent_id FROM addresses WHERE id = ?", id)));
}

static void
test_building (void)
{
  g_autoptr(PctDetails) details = NULL;
  g_autofree char *name = NULL;
  gint64 id, rooms, sum = 0;
  const char *occupancies[] = { "owner", "rented", "crowded", "vacant", "business", "unverified" };

  /* A building with organisations and facilities in it. */
  id = query_int ("SELECT b.id FROM buildings b WHERE "
                  "EXISTS (SELECT 1 FROM facilities f WHERE f.building_id = b.id) AND "
                  "EXISTS (SELECT 1 FROM units u JOIN rooms r ON r.id = u.room_id "
                  "        WHERE r.building_id = b.id) "
                  "ORDER BY b.id LIMIT 1", 1);
  details = details_of (PCT_LAYER_BUILDINGS, id, REFERENCE_TIME);

  name = query_text ("SELECT name FROM buildings WHERE id = ?", id);
  assert_value (details, "name", name);
  g_assert_nonnull (pct_details_get_value (details, "use"));
  assert_count (details, "floors_above",
                query_int ("SELECT floors_above FROM buildings WHERE id = ?", id));
  assert_count (details, "floors_below",
                query_int ("SELECT floors_below FROM buildings WHERE id = ?", id));
  assert_count (details, "building_units", query_int ("SELECT units FROM buildings WHERE id = ?", id));

  rooms = query_int ("SELECT count(*) FROM rooms WHERE building_id = ?", id);
  g_assert_cmpint (rooms, >, 0);
  assert_count (details, "rooms", rooms);
  for (guint i = 0; i < G_N_ELEMENTS (occupancies); i++)
    {
      g_autofree char *key = g_strconcat ("occupancy_", occupancies[i], NULL);
      g_autofree char *sql = NULL;
      const char *value = pct_details_get_value (details, key);
      gint64 expected;

      {
        g_autoptr(GError) error = NULL;
        sqlite3_stmt *stmt = pct_store_prepare (store,
                                                "SELECT count(*) FROM rooms "
                                                "WHERE building_id = ?1 AND occupancy = ?2",
                                                &error);

        g_assert_no_error (error);
        sqlite3_bind_int64 (stmt, 1, id);
        sqlite3_bind_text (stmt, 2, occupancies[i], -1, SQLITE_STATIC);
        g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
        expected = sqlite3_column_int64 (stmt, 0);
        sqlite3_reset (stmt);
      }

      if (expected == 0)
        g_assert_null (value);
      else
        assert_count (details, key, expected);
      sum += expected;
    }
  g_assert_cmpint (sum, ==, rooms);

  assert_count (details, "residents",
                query_int ("SELECT count(*) FROM (SELECT DISTINCT pr.person_id FROM person_rooms pr "
                           "JOIN rooms r ON r.id = pr.room_id WHERE r.building_id = ?)", id));
  assert_count (details, "facilities",
                query_int ("SELECT count(*) FROM facilities WHERE building_id = ?", id));
  /* Organisations in its rooms, at its address or at one of its unit
   * entrances, each once. */
  assert_count (details, "units",
                query_int ("SELECT count(*) FROM (SELECT u.id FROM units u JOIN rooms r "
                           "  ON r.id = u.room_id WHERE r.building_id = ?1 "
                           "UNION SELECT u.id FROM units u JOIN buildings b "
                           "  ON b.address_id = u.address_id WHERE b.id = ?1 "
                           "UNION SELECT u.id FROM units u JOIN addresses a "
                           "  ON a.id = u.address_id JOIN buildings b "
                           "  ON b.address_id = a.parent_id WHERE b.id = ?1)", id));

  g_assert_true (has_related (details, PCT_LAYER_FACILITIES,
                              query_int ("SELECT min(id) FROM facilities WHERE building_id = ?",
                                         id)));
  g_assert_true (has_related (details, PCT_LAYER_ADDRESSES,
                              query_int ("SELECT address_id FROM buildings WHERE id = ?", id)));
}

static void
test_unit (void)
{
  g_autoptr(PctDetails) details = NULL;
  g_autofree char *uscc = NULL;
  g_autofree char *legal_rep = NULL;
  g_autofree char *phone = NULL;
  g_autofree char *masked_rep = NULL;
  g_autofree char *masked_phone = NULL;
  gint64 id;

  id = query_int ("SELECT id FROM units WHERE legal_rep IS NOT NULL AND phone IS NOT NULL "
                  "AND address_id IS NOT NULL ORDER BY id LIMIT 1", 1);
  details = details_of (PCT_LAYER_UNITS, id, REFERENCE_TIME);

  uscc = query_text ("SELECT uscc FROM units WHERE id = ?", id);
  legal_rep = query_text ("SELECT legal_rep FROM units WHERE id = ?", id);
  phone = query_text ("SELECT phone FROM units WHERE id = ?", id);
  masked_rep = pct_mask_name (legal_rep);
  masked_phone = pct_mask_phone (phone);

  assert_value (details, "uscc", uscc);
  g_assert_nonnull (pct_details_get_value (details, "type"));
  g_assert_nonnull (pct_details_get_value (details, "status"));
  g_assert_nonnull (pct_details_get_value (details, "address"));

  /* Personal data only ever masked. */
  assert_value (details, "legal_rep", masked_rep);
  g_assert_cmpstr (masked_rep, !=, legal_rep);
  assert_value (details, "phone", masked_phone);
  g_assert_cmpstr (masked_phone, !=, phone);
  for (guint i = 0; i < details->rows->len; i++)
    {
      PctDetailsRow *row = g_ptr_array_index (details->rows, i);

      g_assert_null (strstr (row->value, legal_rep));
      g_assert_null (strstr (row->value, phone));
    }
  g_assert_null (strstr (details->title, legal_rep));

  g_assert_true (has_related (details, PCT_LAYER_ADDRESSES,
                              query_int ("SELECT address_id FROM units WHERE id = ?", id)));
}

static void
test_facility (void)
{
  g_autoptr(PctDetails) details = NULL;
  g_autofree char *code = NULL;
  g_autofree char *minor = NULL;
  g_autofree char *department = NULL;
  gint64 id;

  id = query_int ("SELECT id FROM facilities WHERE department_id IS NOT NULL AND "
                  "building_id IS NOT NULL ORDER BY id LIMIT 1", 1);
  details = details_of (PCT_LAYER_FACILITIES, id, REFERENCE_TIME);

  code = query_text ("SELECT code FROM facilities WHERE id = ?", id);
  minor = query_text ("SELECT c.minor FROM facilities f JOIN categories c "
                      "ON c.id = f.category_id WHERE f.id = ?", id);
  department = query_text ("SELECT d.name FROM facilities f JOIN departments d "
                           "ON d.id = f.department_id WHERE f.id = ?", id);
  assert_value (details, "code", code);
  g_assert_cmpuint (strlen (pct_details_get_value (details, "code")), ==, 16);
  assert_value (details, "minor", minor);
  g_assert_nonnull (pct_details_get_value (details, "major"));
  g_assert_nonnull (pct_details_get_value (details, "status"));
  assert_value (details, "department", department);
  g_assert_true (has_related (details, PCT_LAYER_BUILDINGS,
                              query_int ("SELECT building_id FROM facilities WHERE id = ?", id)));
}

static void
test_incident (void)
{
  g_autoptr(PctDetails) before = NULL;
  g_autoptr(PctDetails) after = NULL;
  g_autoptr(PctDetails) closed = NULL;
  g_autofree char *number = NULL;
  g_autofree char *description = NULL;
  gint64 id, deadline, closed_id;

  /* An incident whose case is open and has a deadline. */
  id = query_int ("SELECT i.id FROM incidents i JOIN work_orders w ON w.incident_id = i.id "
                  "WHERE w.state NOT IN ('closed', 'evaluated', 'voided', 'parked') "
                  "AND w.deadline IS NOT NULL ORDER BY i.id LIMIT 1", 1);
  deadline = query_int ("SELECT coalesce (extended_deadline, deadline) FROM work_orders "
                        "WHERE incident_id = ? ORDER BY filed_at DESC LIMIT 1", id);
  number = query_text ("SELECT number FROM work_orders WHERE incident_id = ? "
                       "ORDER BY filed_at DESC LIMIT 1", id);
  description = query_text ("SELECT description FROM incidents WHERE id = ?", id);

  before = details_of (PCT_LAYER_INCIDENTS, id, deadline - 60);
  after = details_of (PCT_LAYER_INCIDENTS, id, deadline + 60);

  assert_value (before, "description", description);
  g_assert_nonnull (pct_details_get_value (before, "category"));
  g_assert_nonnull (pct_details_get_value (before, "source"));
  g_assert_nonnull (pct_details_get_value (before, "severity"));
  g_assert_nonnull (pct_details_get_value (before, "status"));
  g_assert_nonnull (pct_details_get_value (before, "reported"));
  assert_value (before, "order_number", number);
  g_assert_nonnull (pct_details_get_value (before, "order_state"));
  g_assert_nonnull (pct_details_get_value (before, "order_department"));
  g_assert_nonnull (pct_details_get_value (before, "order_deadline"));
  assert_value (before, "order_overdue", "No");
  assert_value (after, "order_overdue", "Yes");

  /* A closed case says whether it closed in time. */
  closed_id = query_int ("SELECT i.id FROM incidents i JOIN work_orders w ON w.incident_id = i.id "
                         "WHERE w.state = 'closed' AND w.closed_at > "
                         "coalesce (w.extended_deadline, w.deadline) "
                         "ORDER BY i.id LIMIT 1", 1);
  closed = details_of (PCT_LAYER_INCIDENTS, closed_id, REFERENCE_TIME);
  assert_value (closed, "order_overdue", "Closed late");
  assert_value (closed, "status", "Closed");
}

static void
test_grid (void)
{
  g_autoptr(PctDetails) details = NULL;
  g_autofree char *code = NULL;
  g_autofree char *worker = NULL;
  gint64 id;

  id = query_int ("SELECT grid_id FROM workers WHERE grid_id IS NOT NULL "
                  "ORDER BY id LIMIT 1", 1);
  details = details_of (PCT_LAYER_GRIDS, id, REFERENCE_TIME);

  code = query_text ("SELECT code FROM grid_cells WHERE id = ?", id);
  worker = query_text ("SELECT name FROM workers WHERE grid_id = ? ORDER BY id LIMIT 1", id);
  assert_value (details, "code", code);
  g_assert_nonnull (pct_details_get_value (details, "community"));
  g_assert_nonnull (strstr (pct_details_get_value (details, "worker"), worker));

  /* The centre lies within the district's cells' bounds. */
  g_assert_cmpfloat (details->lat, >, 29.0);
  g_assert_cmpfloat (details->lon, >, 106.0);
}

static void
test_missing (void)
{
  g_autoptr(GError) error = NULL;
  PctDetails *details;

  details = pct_details_query (store, PCT_LAYER_UNITS, 987654321, REFERENCE_TIME, &error);
  g_assert_null (details);
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  details = pct_details_query (store, PCT_LAYER_ROADS, 1, REFERENCE_TIME, &error);
  g_assert_null (details);
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
}

static void
test_parse_coordinates (void)
{
  static const PctBBox district = { 106.20, 29.25, 106.30, 29.35 };
  static const struct
  {
    const char *text;
    gboolean    hint;
    gboolean    valid;
    double      lat;
    double      lon;
  } cases[] = {
    { "29.29, 106.25", FALSE, TRUE, 29.29, 106.25 },
    { "29.29 106.25", FALSE, TRUE, 29.29, 106.25 },
    { "  29.29,106.25  ", FALSE, TRUE, 29.29, 106.25 },
    { "106.25,29.29", FALSE, TRUE, 29.29, 106.25 },
    { "106.25 29.29", FALSE, TRUE, 29.29, 106.25 },
    { "29.29，106.25", FALSE, TRUE, 29.29, 106.25 },       /* full-width comma */
    { "１０６.２５，　２９.２９", FALSE, TRUE, 29.29, 106.25 }, /* full-width digits */
    { "-33.86, 151.21", FALSE, TRUE, -33.86, 151.21 },
    { "+29.29; +106.25", FALSE, TRUE, 29.29, 106.25 },
    /* Both orders valid: latitude first, unless only the other order
     * lies in the district. */
    { "30, 40", FALSE, TRUE, 30, 40 },
    { "29.3, 29.3", TRUE, TRUE, 29.3, 29.3 },
    { "12.5, 29.3", FALSE, TRUE, 12.5, 29.3 },
    { "106.25, 29.29", TRUE, TRUE, 29.29, 106.25 },
    /* Not coordinates. */
    { "95, 200", FALSE, FALSE, 0, 0 },
    { "29.29", FALSE, FALSE, 0, 0 },
    { "29.29 106.25 3", FALSE, FALSE, 0, 0 },
    { "29.29106.25", FALSE, FALSE, 0, 0 },
    { "鼎山大道 12", FALSE, FALSE, 0, 0 },
    { "1e3, 5", FALSE, FALSE, 0, 0 },
    { "inf, 5", FALSE, FALSE, 0, 0 },
    { "29.29,, 106.25", FALSE, FALSE, 0, 0 },
    { "", FALSE, FALSE, 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double lat = -1, lon = -1;
      gboolean valid;

      valid = pct_locate_parse_coordinates (cases[i].text, cases[i].hint ? &district : NULL,
                                            &lat, &lon);
      g_test_message ("%s", cases[i].text);
      g_assert_cmpint (valid, ==, cases[i].valid);
      if (valid)
        {
          g_assert_cmpfloat_with_epsilon (lat, cases[i].lat, 1e-12);
          g_assert_cmpfloat_with_epsilon (lon, cases[i].lon, 1e-12);
        }
    }
}

static void
test_locate (void)
{
  g_autoptr(PctLocation) by_code = NULL;
  g_autoptr(PctLocation) by_position = NULL;
  g_autoptr(PctLocation) nothing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *display = NULL;
  g_autofree char *pasted = NULL;
  gint64 id = query_int ("SELECT id FROM addresses WHERE kind = 'building'"
                         "ORDER BY id LIMIT 1", 1);

  code = query_text ("SELECT code FROM addresses WHERE id = ?", id);
  display = query_text ("SELECT display FROM addresses WHERE id = ?", id);

  /* Pasted with the line break a spreadsheet cell brings along. */
  pasted = g_strconcat (code, "\n", NULL);
  by_code = pct_locate (store, pasted, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (by_code);
  g_assert_cmpint (by_code->layer, ==, PCT_LAYER_ADDRESSES);
  g_assert_cmpint (by_code->id, ==, id);
  g_assert_cmpstr (by_code->title, ==, display);
  g_assert_cmpfloat (by_code->lat, >, 29.0);

  by_position = pct_locate (store, "29.29，106.25", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (by_position);
  g_assert_cmpint (by_position->layer, ==, PCT_N_LAYERS);
  g_assert_cmpfloat (by_position->lat, ==, 29.29);
  g_assert_cmpfloat (by_position->lon, ==, 106.25);
  g_assert_cmpstr (by_position->title, ==, "Go to 29.290000, 106.250000");

  /* A code no address has, and plain words, name no place. */
  nothing = pct_locate (store, "5001160000000000000000000", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (nothing);
  nothing = pct_locate (store, "清信巷", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (nothing);
}

static void
test_locate_search_hit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autofree char *name = NULL;
  gint64 person, building;
  gboolean found = FALSE;

  /* A person registered in a room: the map shows their building. */
  person = query_int ("SELECT pr.person_id FROM person_rooms pr WHERE pr.room_id IS NOT NULL "
                      "ORDER BY pr.person_id LIMIT 1", 0);
  building = query_int ("SELECT r.building_id FROM person_rooms pr JOIN rooms r "
                        "ON r.id = pr.room_id WHERE pr.person_id = ? LIMIT 1", person);
  name = query_text ("SELECT name FROM people WHERE id = ?", person);

  hits = pct_store_search (store, name, 50, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < hits->len; i++)
    {
      PctSearchHit *hit = g_ptr_array_index (hits, i);
      g_autoptr(PctLocation) location = NULL;

      location = pct_locate_search_hit (store, hit, &error);
      g_assert_no_error (error);

      if (hit->kind == PCT_SEARCH_PERSON && hit->id == person)
        {
          g_assert_nonnull (location);
          g_assert_cmpint (location->layer, ==, PCT_LAYER_BUILDINGS);
          g_assert_cmpint (location->id, ==, building);
          found = TRUE;
        }
      else if (hit->kind == PCT_SEARCH_ADDRESS && location != NULL)
        g_assert_cmpint (location->layer, ==, PCT_LAYER_ADDRESSES);
    }
  g_assert_true (found);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* Times shown are local; the district's are China's. */
  g_setenv ("TZ", "Asia/Shanghai", TRUE);

  district_dir = g_dir_make_tmp ("precinct-details-XXXXXX", &error);
  g_assert_no_error (error);
  district_path = g_build_filename (district_dir, "district.db", NULL);
  store = pct_store_open (district_path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  pct_generate_district (store, PCT_DISTRICT_SMALL, 1, REFERENCE_TIME, NULL, NULL, &error);
  g_assert_no_error (error);

  g_test_add_func ("/details/address", test_address);
  g_test_add_func ("/details/address-without-plate", test_address_without_plate);
  g_test_add_func ("/details/building", test_building);
  g_test_add_func ("/details/unit", test_unit);
  g_test_add_func ("/details/facility", test_facility);
  g_test_add_func ("/details/incident", test_incident);
  g_test_add_func ("/details/grid", test_grid);
  g_test_add_func ("/details/missing", test_missing);
  g_test_add_func ("/locate/coordinates", test_parse_coordinates);
  g_test_add_func ("/locate/address-code", test_locate);
  g_test_add_func ("/locate/search-hit", test_locate_search_hit);

  status = g_test_run ();

  g_clear_object (&store);
  {
    g_autoptr(GDir) dir = g_dir_open (district_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (district_dir, name, NULL);

        g_unlink (path);
      }
  }
  g_rmdir (district_dir);
  g_free (district_dir);
  g_free (district_path);
  return status;
}
