/* test-population.c — checks of the generated people, units, staff and cases
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One small district is generated up front and every test reads it: the
 * identifiers must pass the same checks an import would apply, the counts
 * must agree with the links, the deliberate defects must sit at their
 * documented rates, and every work order's history must be a valid walk
 * through the GB/T 30428 workflow that ends before the reference time.
 */

#define G_LOG_DOMAIN "test-population"

#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "pct-calendar.h"
#include "pct-generator.h"
#include "pct-validate.h"

#define SEED 20260315

static PctStore *store;
static char *store_dir;
static gint64 reference_time;
static GDateTime *reference_now;

static gint64
query_int (const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  return value;
}

static sqlite3_stmt *
query (const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  return stmt;
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

static void
assert_rate (const char *what,
             double      numerator,
             double      denominator,
             double      lo,
             double      hi)
{
  double rate;

  g_assert_cmpfloat (denominator, >, 0);
  rate = numerator / denominator;
  g_test_message ("%s: %.0f / %.0f = %.4f", what, numerator, denominator, rate);
  g_assert_cmpfloat (rate, >=, lo);
  g_assert_cmpfloat (rate, <=, hi);
}

static gint64
defect_count (const char *name)
{
  g_autoptr(sqlite3_stmt) stmt = query ("SELECT json_extract (value, '$.' || ?) FROM meta "
                                        "WHERE key = 'defects'");

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_type (stmt, 0), ==, SQLITE_INTEGER);
  return sqlite3_column_int64 (stmt, 0);
}

/* People ------------------------------------------------------------------- */

static void
test_id_numbers (void)
{
  g_autoptr(sqlite3_stmt) stmt = query ("SELECT id_type, id_number, sex, birth_date, category "
                                        "FROM people ORDER BY id");
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = 0;
  guint local = 0;
  guint residents = 0;

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *id_type = column_text (stmt, 0);
      const char *number = column_text (stmt, 1);
      const char *sex = column_text (stmt, 2);
      const char *birth = column_text (stmt, 3);
      const char *category = column_text (stmt, 4);
      g_autoptr(GError) error = NULL;

      n++;
      g_assert_false (g_hash_table_contains (seen, number));
      g_hash_table_add (seen, g_strdup (number));

      if (g_str_equal (category, "foreign"))
        {
          g_assert_cmpstr (id_type, ==, "passport");
          g_assert_cmpint (strlen (number), >=, 8);
          continue;
        }

      residents++;
      g_assert_cmpstr (id_type, ==, "resident_id");
      if (!pct_validate_id_number (number, reference_now, &error))
        g_test_message ("%s: %s", number, error->message);
      g_assert_no_error (error);

      /* Odd sequence for men, even for women; the birth date is the one in
       * the number. */
      g_assert_cmpstr (sex, ==, (number[16] - '0') % 2 == 1 ? "M" : "F");
      g_assert_cmpint (strlen (birth), ==, 10);
      g_assert_true (strncmp (number + 6, birth, 4) == 0);
      g_assert_true (strncmp (number + 10, birth + 5, 2) == 0);
      g_assert_true (strncmp (number + 12, birth + 8, 2) == 0);

      if (g_str_has_prefix (number, "500116"))
        local++;
    }

  g_assert_cmpuint (n, >, 3000);
  assert_rate ("ID numbers with the district's prefix", local, residents, 0.68, 0.82);
}

static void
test_categories (void)
{
  gint64 people = query_int ("SELECT count(*) FROM people");

  assert_rate ("registered", query_int ("SELECT count(*) FROM people "
                                        "WHERE category = 'registered'"),
               people, 0.74, 0.84);
  assert_rate ("temporary", query_int ("SELECT count(*) FROM people "
                                       "WHERE category = 'temporary'"),
               people, 0.16, 0.24);
  assert_rate ("foreign", query_int ("SELECT count(*) FROM people WHERE category = 'foreign'"),
               people, 0.0, 0.01);
  assert_rate ("with a phone", query_int ("SELECT count(*) FROM people WHERE phone IS NOT NULL"),
               people, 0.78, 0.92);
  assert_rate ("Han", query_int ("SELECT count(*) FROM people WHERE ethnicity = '汉族'"),
               query_int ("SELECT count(*) FROM people WHERE category <> 'foreign'"), 0.85, 0.98);

  /* Temporary residents are registered elsewhere; a foreigner has no 户籍. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM people WHERE category = 'temporary' "
                              "AND household_status <> 'person_only'"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM people WHERE category = 'foreign' "
                              "AND (hukou_address IS NOT NULL OR ethnicity IS NOT NULL)"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM people WHERE category <> 'foreign' "
                              "AND hukou_address IS NULL"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM people WHERE household_status = 'match'"),
                   >, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM people "
                              "WHERE household_status = 'household_only'"), >, 0);
}

static void
test_phones (void)
{
  const char * const sql[] = {
    "SELECT phone FROM people WHERE phone IS NOT NULL",
    "SELECT phone FROM workers",
    "SELECT phone FROM units WHERE phone NOT LIKE '023-%'",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      g_autoptr(sqlite3_stmt) stmt = query (sql[i]);
      guint n = 0;

      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_autoptr(GError) error = NULL;

          pct_validate_phone (column_text (stmt, 0), &error);
          g_assert_no_error (error);
          n++;
        }
      g_assert_cmpuint (n, >, 0);
    }

  /* Landlines: the Chongqing area code and eight digits. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM units WHERE phone LIKE '023-%' "
                              "AND (length (phone) <> 12 OR substr (phone, 5) GLOB '*[^0-9]*')"),
                   ==, 0);
}

static void
test_households (void)
{
  /* Every registered room has its householder or main tenant. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM rooms r WHERE r.resident_count > 0 "
                              "AND NOT EXISTS (SELECT 1 FROM person_rooms pr "
                              "  WHERE pr.room_id = r.id AND pr.relation IN ('户主', '租户'))"),
                   ==, 0);
  /* A child is younger than the householder of a family room. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM person_rooms c "
                              "JOIN person_rooms h ON h.room_id = c.room_id "
                              "  AND h.relation = '户主' "
                              "JOIN people pc ON pc.id = c.person_id "
                              "JOIN people ph ON ph.id = h.person_id "
                              "WHERE c.relation = '子女' AND pc.birth_date <= ph.birth_date"),
                   ==, 0);
  /* People live in residential rooms that are not vacant. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM person_rooms pr JOIN rooms r "
                              "ON r.id = pr.room_id WHERE r.use <> 'residential' "
                              "OR r.occupancy IN ('vacant', 'business')"), ==, 0);
  g_assert_cmpint (query_int ("SELECT max(resident_count) FROM rooms"), <=, 12);
  g_assert_cmpint (query_int ("SELECT min(resident_count) FROM rooms "
                              "WHERE occupancy = 'crowded' AND resident_count > 0"), >=, 4);
}

static void
test_resident_counts (void)
{
  g_assert_cmpint (query_int ("SELECT count(*) FROM rooms r WHERE r.resident_count <> "
                              "(SELECT count(*) FROM person_rooms pr WHERE pr.room_id = r.id)"),
                   ==, 0);
  g_assert_cmpint (query_int ("SELECT sum(resident_count) FROM rooms"), ==,
                   query_int ("SELECT count(*) FROM person_rooms WHERE room_id IS NOT NULL"));
}

static void
test_defects (void)
{
  gint64 occupied = query_int ("SELECT count(*) FROM rooms WHERE use = 'residential' "
                               "AND occupancy IN ('owner', 'rented', 'crowded')");
  gint64 empty = query_int ("SELECT count(*) FROM rooms WHERE use = 'residential' "
                            "AND occupancy IN ('owner', 'rented', 'crowded') "
                            "AND resident_count = 0");
  gint64 people = query_int ("SELECT count(*) FROM people");
  gint64 unresolved = query_int ("SELECT count(*) FROM person_rooms WHERE room_id IS NULL");

  g_assert_cmpint (defect_count ("occupied_rooms"), ==, occupied);
  g_assert_cmpint (defect_count ("occupied_rooms_without_residents"), ==, empty);
  g_assert_cmpint (defect_count ("people"), ==, people);
  g_assert_cmpint (defect_count ("people_linked_to_missing_rooms"), ==, unresolved);
  assert_rate ("occupied rooms without residents", empty, occupied, 0.007, 0.013);
  assert_rate ("people linked to missing rooms", unresolved, people, 0.0035, 0.0065);

  /* The bad codes really resolve to nothing, and everyone has one link. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM person_rooms pr WHERE room_id IS NULL "
                              "AND EXISTS (SELECT 1 FROM rooms r WHERE r.code = pr.room_code)"),
                   ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM person_rooms pr WHERE room_id IS NOT NULL "
                              "AND room_code <> (SELECT code FROM rooms r WHERE r.id = pr.room_id)"),
                   ==, 0);
  g_assert_cmpint (query_int ("SELECT count(DISTINCT person_id) FROM person_rooms"), ==, people);

  /* The geography's own defects are still there beside ours. */
  g_assert_cmpint (query_int ("SELECT json_type (value, '$.duplicate_addresses') IS NOT NULL "
                              "FROM meta WHERE key = 'defects'"), ==, 1);
}

/* Units -------------------------------------------------------------------- */

static void
test_credit_codes (void)
{
  g_autoptr(sqlite3_stmt) stmt = query ("SELECT uscc, type, name, lon, lat FROM units");
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = 0;
  guint individuals = 0;

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *uscc = column_text (stmt, 0);
      const char *type = column_text (stmt, 1);
      g_autoptr(GError) error = NULL;

      pct_validate_uscc (uscc, &error);
      g_assert_no_error (error);
      g_assert_true (strncmp (uscc + 2, "500116", 6) == 0);
      g_assert_false (g_hash_table_contains (seen, uscc));
      g_hash_table_add (seen, g_strdup (uscc));

      if (g_str_equal (type, "individual"))
        {
          /* 个体工商户: market regulation ('9'), category '2'. */
          g_assert_cmpint (uscc[0], ==, '9');
          g_assert_cmpint (uscc[1], ==, '2');
          individuals++;
        }
      if (g_str_equal (type, "enterprise"))
        g_assert_true (g_str_has_suffix (column_text (stmt, 2), "公司"));
      g_assert_cmpfloat (sqlite3_column_double (stmt, 3), !=, 0.0);
      n++;
    }

  g_assert_cmpuint (n, >=, 100);
  g_assert_cmpuint (individuals, >, 0);

  /* Units stand at a door or in a commercial room, at its address point. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM units WHERE address_id IS NULL"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM units u JOIN addresses a "
                              "ON a.id = u.address_id WHERE u.room_id IS NULL "
                              "AND (u.lon <> a.lon OR u.lat <> a.lat)"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM units u JOIN rooms r ON r.id = u.room_id "
                              "WHERE r.use = 'residential' AND r.occupancy <> 'business'"), ==, 0);
  /* Every community has its residents' committee. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM regions c WHERE c.level = 31 "
                              "AND NOT EXISTS (SELECT 1 FROM units u "
                              "  WHERE u.name = c.name || '居民委员会')"), ==, 0);
}

/* Reference data and staff -------------------------------------------------- */

static void
test_reference_data (void)
{
  static const char * const codes[] = {
    "C0101", "C0102", "C0103", "C0110", "C0117", "C0601", "C0602", "E0102", "E0104", "E0501",
  };
  g_autoptr(sqlite3_stmt) stmt = query ("SELECT time_limit, time_unit FROM categories "
                                        "WHERE code = ?");

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      sqlite3_bind_text (stmt, 1, codes[i], -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpint (sqlite3_column_int (stmt, 0), >, 0);
      sqlite3_reset (stmt);
    }

  g_assert_cmpint (query_int ("SELECT time_limit FROM categories WHERE minor = '暴露垃圾'"), ==, 2);
  g_assert_cmpint (query_int ("SELECT time_limit FROM categories WHERE minor = '违法搭建'"), ==,
                   15);
  g_assert_cmpint (query_int ("SELECT count(*) FROM categories "
                              "WHERE kind = 'event' AND code NOT GLOB 'E[0-9][0-9][0-9][0-9]'"),
                   ==, 0);
  g_assert_cmpint (query_int ("SELECT count(DISTINCT major) FROM categories "
                              "WHERE kind = 'component'"), ==, 6);

  /* The 2026 holidays and their swapped working days. */
  g_assert_cmpint (query_int ("SELECT workday FROM calendar WHERE date = '2026-10-01'"), ==, 0);
  g_assert_cmpint (query_int ("SELECT workday FROM calendar WHERE date = '2026-02-14'"), ==, 1);
  g_assert_cmpint (query_int ("SELECT count(*) FROM calendar WHERE date LIKE '2025-%'"), >, 20);

  /* A street office for every street. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM regions s WHERE s.level = 23 "
                              "AND NOT EXISTS (SELECT 1 FROM departments d "
                              "  WHERE d.name = s.name || '办事处')"), ==, 0);
}

static void
test_workers (void)
{
  /* One grid worker per cell, belonging to the office of the cell's street. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM grid_cells"), ==,
                   query_int ("SELECT count(*) FROM workers WHERE role = 'grid_worker'"));
  g_assert_cmpint (query_int ("SELECT count(*) FROM grid_cells g WHERE "
                              "(SELECT count(*) FROM workers w WHERE w.grid_id = g.id) <> 1"),
                   ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM workers w "
                              "JOIN grid_cells g ON g.id = w.grid_id "
                              "JOIN regions c ON c.code = g.community_code "
                              "JOIN regions s ON s.code = c.parent_code "
                              "JOIN departments d ON d.id = w.department_id "
                              "WHERE d.name <> s.name || '办事处'"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM workers WHERE role = 'dispatcher'"), >, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM workers WHERE role = 'inspector'"), >, 0);
}

/* Cases -------------------------------------------------------------------- */

static void
test_event_histories (void)
{
  g_autoptr(sqlite3_stmt) orders = query ("SELECT id, state, coalesce (closed_at, 0), "
                                          "coalesce (extended_deadline, 0), rework_count, "
                                          "escalated, filed_at FROM work_orders ORDER BY id");
  g_autoptr(sqlite3_stmt) events = query ("SELECT action, from_state, to_state, at "
                                          "FROM work_order_events WHERE work_order_id = ? "
                                          "ORDER BY at, id");
  guint n_orders = 0;

  while (sqlite3_step (orders) == SQLITE_ROW)
    {
      gint64 order_id = sqlite3_column_int64 (orders, 0);
      const char *state = column_text (orders, 1);
      gint64 closed_at = sqlite3_column_int64 (orders, 2);
      gint64 extended = sqlite3_column_int64 (orders, 3);
      int rework_count = sqlite3_column_int (orders, 4);
      int escalated = sqlite3_column_int (orders, 5);
      gint64 filed_at = sqlite3_column_int64 (orders, 6);
      g_autofree char *previous_state = NULL;
      gint64 previous_at = G_MININT64;
      gint64 close_event = 0;
      int reworks = 0;
      int escalations = 0;
      int extensions = 0;
      int parks = 0;
      guint n = 0;

      sqlite3_bind_int64 (events, 1, order_id);
      while (sqlite3_step (events) == SQLITE_ROW)
        {
          const char *action = column_text (events, 0);
          const char *from = column_text (events, 1);
          const char *to = column_text (events, 2);
          gint64 at = sqlite3_column_int64 (events, 3);

          /* Strictly increasing, never after the reference time, and each
           * event starts in the state the one before left. */
          g_assert_cmpint (at, >, previous_at);
          g_assert_cmpint (at, <=, reference_time);
          g_assert_cmpstr (from, ==, previous_state);
          if (n == 0)
            g_assert_cmpstr (action, ==, "report");
          if (n == 1)
            {
              g_assert_cmpstr (action, ==, "file");
              g_assert_cmpint (at, ==, filed_at);
            }

          if (g_str_equal (action, "close"))
            close_event = at;
          else if (g_str_equal (action, "rework"))
            reworks++;
          else if (g_str_equal (action, "escalate"))
            escalations++;
          else if (g_str_equal (action, "extend"))
            extensions++;
          else if (g_str_equal (action, "park"))
            parks++;

          previous_at = at;
          g_free (previous_state);
          previous_state = g_strdup (to);
          n++;
        }
      sqlite3_reset (events);

      g_assert_cmpuint (n, >=, 2);
      g_assert_cmpstr (state, ==, previous_state);
      g_assert_cmpint (rework_count, ==, reworks);
      g_assert_cmpint (escalated, ==, escalations > 0 ? 1 : 0);
      g_assert_cmpint (extended != 0, ==, extensions > 0);
      g_assert_cmpint (g_str_equal (state, "parked"), ==, parks > 0);
      if (g_str_equal (state, "closed") || g_str_equal (state, "evaluated"))
        g_assert_cmpint (closed_at, ==, close_event);
      else
        g_assert_cmpint (closed_at, ==, 0);
      n_orders++;
    }

  g_assert_cmpuint (n_orders, >=, 500);
}

static void
test_order_fields (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctCalendar) calendar = pct_calendar_new_from_store (store, &error);
  g_autoptr(sqlite3_stmt) stmt = query ("SELECT w.filed_at, w.deadline, c.time_limit, "
                                        "c.time_unit FROM work_orders w "
                                        "JOIN categories c ON c.id = w.category_id");
  g_autoptr(GRegex) number = g_regex_new ("^JJ20[0-9]{6}-[0-9]{5}$", 0, 0, NULL);
  g_autoptr(GRegex) uuid = g_regex_new ("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
                                        "-[0-9a-f]{12}$", 0, 0, NULL);
  g_autoptr(sqlite3_stmt) texts = query ("SELECT w.number, w.uuid, i.uuid FROM work_orders w "
                                         "JOIN incidents i ON i.id = w.incident_id");

  g_assert_no_error (error);

  /* Deadlines are the categories' limits on the district's calendar. */
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      PctTimeUnit unit;

      g_assert_true (pct_time_unit_from_string (column_text (stmt, 3), &unit));
      g_assert_cmpint (sqlite3_column_int64 (stmt, 1), ==,
                       pct_calendar_add (calendar, sqlite3_column_int64 (stmt, 0),
                                         sqlite3_column_int (stmt, 2), unit));
    }

  while (sqlite3_step (texts) == SQLITE_ROW)
    {
      g_assert_true (g_regex_match (number, column_text (texts, 0), 0, NULL));
      g_assert_true (g_regex_match (uuid, column_text (texts, 1), 0, NULL));
      g_assert_true (g_regex_match (uuid, column_text (texts, 2), 0, NULL));
    }

  /* Numbers count up within a day in filing order. */
  g_assert_cmpint (query_int ("SELECT count(*) FROM work_orders a JOIN work_orders b "
                              "ON substr (a.number, 1, 10) = substr (b.number, 1, 10) "
                              "AND a.number < b.number AND a.filed_at > b.filed_at"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM work_orders w JOIN incidents i "
                              "ON i.id = w.incident_id WHERE w.filed_at < i.reported_at"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM work_orders WHERE disposed_at IS NOT NULL "
                              "AND state IN ('filed', 'dispatched', 'disposing', 'returned', "
                              "'voided', 'parked')"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM work_orders WHERE evaluation IS NOT NULL "
                              "AND state <> 'evaluated'"), ==, 0);
}

static void
test_incidents (void)
{
  gint64 incidents = query_int ("SELECT count(*) FROM incidents");
  gint64 unfiled = query_int ("SELECT count(*) FROM incidents i WHERE NOT EXISTS "
                              "(SELECT 1 FROM work_orders w WHERE w.incident_id = i.id)");

  assert_rate ("reports never filed", unfiled, incidents, 0.01, 0.03);
  g_assert_cmpint (query_int ("SELECT count(*) FROM incidents i WHERE NOT EXISTS "
                              "(SELECT 1 FROM work_orders w WHERE w.incident_id = i.id) "
                              "AND status NOT IN ('reported', 'voided')"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM incidents WHERE status = 'reported'"), >, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM incidents i JOIN work_orders w "
                              "ON w.incident_id = i.id WHERE i.status <> CASE "
                              "  WHEN w.state = 'voided' THEN 'voided' "
                              "  WHEN w.state IN ('closed', 'evaluated') THEN 'closed' "
                              "  ELSE 'filed' END"), ==, 0);
  g_assert_cmpint (query_int ("SELECT count(*) FROM incidents "
                              "WHERE description = '' OR description LIKE '%{%'"), ==, 0);
  g_assert_cmpint (query_int ("SELECT max(reported_at) FROM incidents"), <=, reference_time);
  g_assert_cmpint (query_int ("SELECT min(reported_at) FROM incidents"), >=,
                   reference_time - 366 * 86400);
}

static void
test_case_rates (void)
{
  gint64 orders = query_int ("SELECT count(*) FROM work_orders");
  gint64 closed = query_int ("SELECT count(*) FROM work_orders WHERE closed_at IS NOT NULL");
  gint64 closed_late = query_int ("SELECT count(*) FROM work_orders WHERE closed_at > "
                                  "coalesce (extended_deadline, deadline)");
  g_autoptr(sqlite3_stmt) overdue = query ("SELECT count(*) FROM work_orders "
                                           "WHERE closed_at IS NULL "
                                           "AND state NOT IN ('voided', 'parked') "
                                           "AND coalesce (extended_deadline, deadline) < ?");
  g_autoptr(sqlite3_stmt) recent = query ("SELECT count(DISTINCT state) FROM work_orders "
                                          "WHERE closed_at IS NULL AND filed_at > ?");

  assert_rate ("closed", closed, orders, 0.85, 0.97);
  assert_rate ("closed late", closed_late, closed, 0.08, 0.22);
  assert_rate ("voided", query_int ("SELECT count(*) FROM work_orders WHERE state = 'voided'"),
               orders, 0.01, 0.06);
  assert_rate ("parked", query_int ("SELECT count(*) FROM work_orders WHERE state = 'parked'"),
               orders, 0.005, 0.04);
  assert_rate ("reworked", query_int ("SELECT count(*) FROM work_orders WHERE rework_count > 0"),
               orders, 0.015, 0.07);
  assert_rate ("extended", query_int ("SELECT count(*) FROM work_orders "
                                      "WHERE extended_deadline IS NOT NULL"),
               orders, 0.02, 0.08);
  assert_rate ("escalated", query_int ("SELECT count(*) FROM work_orders WHERE escalated"),
               orders, 0.01, 0.07);
  assert_rate ("returned", query_int ("SELECT count(DISTINCT work_order_id) "
                                      "FROM work_order_events WHERE action = 'return'"),
               orders, 0.02, 0.10);

  sqlite3_bind_int64 (overdue, 1, reference_time);
  g_assert_cmpint (sqlite3_step (overdue), ==, SQLITE_ROW);
  g_test_message ("overdue open orders: %" G_GINT64_FORMAT,
                  (gint64) sqlite3_column_int64 (overdue, 0));
  g_assert_cmpint (sqlite3_column_int64 (overdue, 0), >, 0);

  sqlite3_bind_int64 (recent, 1, reference_time - 30 * 86400);
  g_assert_cmpint (sqlite3_step (recent), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (recent, 0), >=, 1);
}

static void
test_deterministic (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (store_dir, "again.db", NULL);
  g_autoptr(PctStore) again = pct_store_open (path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK,
                                              &error);
  g_autofree char *hash = NULL;
  g_autofree char *hash_again = NULL;

  g_assert_no_error (error);
  g_assert_true (pct_generate_district (again, PCT_DISTRICT_SMALL, SEED, reference_time, NULL,
                                        NULL, &error));
  g_assert_no_error (error);

  hash = pct_store_content_hash (store, &error);
  g_assert_no_error (error);
  hash_again = pct_store_content_hash (again, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hash, ==, hash_again);
}

static void
remove_store_files (void)
{
  const char * const names[] = { "store.db", "store.db-wal", "store.db-shm", "again.db",
                                 "again.db-wal", "again.db-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (store_dir, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (store_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) china = NULL;
  g_autofree char *path = NULL;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  china = g_time_zone_new_offset (8 * 60 * 60);
  reference_now = g_date_time_new (china, 2026, 3, 15, 10, 0, 0);
  reference_time = g_date_time_to_unix (reference_now);

  store_dir = g_dir_make_tmp ("test-population-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (store_dir, "store.db", NULL);
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  pct_generate_district (store, PCT_DISTRICT_SMALL, SEED, reference_time, NULL, NULL, &error);
  g_assert_no_error (error);

  g_test_add_func ("/population/id-numbers", test_id_numbers);
  g_test_add_func ("/population/categories", test_categories);
  g_test_add_func ("/population/phones", test_phones);
  g_test_add_func ("/population/households", test_households);
  g_test_add_func ("/population/resident-counts", test_resident_counts);
  g_test_add_func ("/population/defects", test_defects);
  g_test_add_func ("/population/credit-codes", test_credit_codes);
  g_test_add_func ("/population/reference-data", test_reference_data);
  g_test_add_func ("/population/workers", test_workers);
  g_test_add_func ("/cases/event-histories", test_event_histories);
  g_test_add_func ("/cases/order-fields", test_order_fields);
  g_test_add_func ("/cases/incidents", test_incidents);
  g_test_add_func ("/cases/rates", test_case_rates);
  g_test_add_func ("/cases/deterministic", test_deterministic);

  status = g_test_run ();

  g_clear_object (&store);
  g_date_time_unref (reference_now);
  remove_store_files ();
  g_free (store_dir);
  return status;
}
