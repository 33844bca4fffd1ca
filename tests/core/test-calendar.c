/* test-calendar.c — tests for the working calendar and deadline arithmetic
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-calendar"

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>

#include "pct-calendar.h"
#include "pct-store.h"

/* Unix time of a wall-clock moment in China (UTC+8 all year). */
static gint64
china (int year,
       int month,
       int day,
       int hour,
       int minute)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (8 * 60 * 60);
  g_autoptr(GDateTime) dt = g_date_time_new (tz, year, month, day, hour, minute, 0);

  return g_date_time_to_unix (dt);
}

/* The State Council's 2026 arrangement around 中秋 and 国庆: holidays
 * 25–27 September and 1–7 October, with Sunday 20 September and Saturday
 * 10 October worked in exchange. */
static PctCalendar *
new_calendar_2026 (void)
{
  static const char * const holidays[] = {
    "2026-09-25", "2026-09-26", "2026-09-27", "2026-10-01", "2026-10-02", "2026-10-03",
    "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07",
  };
  g_autoptr(GError) error = NULL;
  PctCalendar *calendar = pct_calendar_new (NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (calendar);

  for (guint i = 0; i < G_N_ELEMENTS (holidays); i++)
    {
      g_assert_true (pct_calendar_set_day (calendar, holidays[i], FALSE, &error));
      g_assert_no_error (error);
    }
  g_assert_true (pct_calendar_set_day (calendar, "2026-09-20", TRUE, &error));
  g_assert_true (pct_calendar_set_day (calendar, "2026-10-10", TRUE, &error));
  g_assert_no_error (error);

  return calendar;
}

static void
assert_added (PctCalendar *calendar,
              gint64       start,
              int          amount,
              PctTimeUnit  unit,
              gint64       expected)
{
  gint64 got = pct_calendar_add (calendar, start, amount, unit);

  if (got != expected)
    {
      g_autoptr(GDateTime) a = g_date_time_new_from_unix_utc (got + 8 * 3600);
      g_autoptr(GDateTime) b = g_date_time_new_from_unix_utc (expected + 8 * 3600);
      g_autofree char *sa = g_date_time_format (a, "%F %T");
      g_autofree char *sb = g_date_time_format (b, "%F %T");

      g_test_message ("got %s, expected %s", sa, sb);
    }
  g_assert_cmpint (got, ==, expected);
}

static void
test_work_hours_lunch (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();

  /* Monday 16 March 2026. */
  assert_added (calendar, china (2026, 3, 16, 11, 0), 2, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 16, 14, 30));
  /* Ending exactly at noon stays at noon. */
  assert_added (calendar, china (2026, 3, 16, 10, 0), 2, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 16, 12, 0));
  /* Filed during the lunch break: the clock starts at 13:30. */
  assert_added (calendar, china (2026, 3, 16, 12, 40), 1, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 16, 14, 30));
  assert_added (calendar, china (2026, 3, 16, 10, 0), 0, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 16, 10, 0));
}

static void
test_work_hours_evening (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();

  assert_added (calendar, china (2026, 3, 16, 16, 30), 2, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 17, 10, 0));
  assert_added (calendar, china (2026, 3, 16, 20, 0), 1, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 17, 10, 0));
  /* Before the day starts. */
  assert_added (calendar, china (2026, 3, 17, 6, 15), 1, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 17, 10, 0));
  /* 8 working hours = 7 in a day and one more. */
  assert_added (calendar, china (2026, 3, 16, 9, 0), 8, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 17, 10, 0));
}

static void
test_work_hours_weekend (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();

  /* Friday 20 March late afternoon to Monday 23 March. */
  assert_added (calendar, china (2026, 3, 20, 17, 0), 1, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 23, 9, 30));
  /* Reported on Saturday. */
  assert_added (calendar, china (2026, 3, 21, 10, 0), 2, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 23, 11, 0));
}

static void
test_work_hours_holiday (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();

  /* Wednesday 30 September, before the National Day week: work resumes on
   * Thursday 8 October. */
  assert_added (calendar, china (2026, 9, 30, 17, 0), 1, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 10, 8, 9, 30));
  /* Thursday 24 September, before the Mid-Autumn Friday: Monday 28th. */
  assert_added (calendar, china (2026, 9, 24, 17, 0), 2, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 9, 28, 10, 30));
}

static void
test_work_hours_swapped_day (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();

  /* Friday 9 October to Saturday 10 October, a working day. */
  assert_added (calendar, china (2026, 10, 9, 17, 0), 1, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 10, 10, 9, 30));
  /* Saturday 19 September is off, Sunday 20 September is worked. */
  assert_added (calendar, china (2026, 9, 19, 10, 0), 1, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 9, 20, 10, 0));

  g_assert_true (pct_calendar_is_work_day (calendar, china (2026, 10, 10, 12, 0)));
  g_assert_true (pct_calendar_is_work_day (calendar, china (2026, 9, 20, 12, 0)));
  g_assert_false (pct_calendar_is_work_day (calendar, china (2026, 9, 19, 12, 0)));
  g_assert_false (pct_calendar_is_work_day (calendar, china (2026, 10, 1, 12, 0)));
  g_assert_false (pct_calendar_is_work_day (calendar, china (2026, 10, 5, 12, 0)));
  g_assert_true (pct_calendar_is_work_day (calendar, china (2026, 10, 8, 12, 0)));
}

static void
test_work_days (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();

  g_assert_cmpint (pct_calendar_get_day_seconds (calendar), ==, 7 * 3600);

  /* A working day from 10:00 ends at 10:00 the next working day. */
  assert_added (calendar, china (2026, 3, 16, 10, 0), 1, PCT_TIME_UNIT_WORK_DAYS,
                china (2026, 3, 17, 10, 0));
  assert_added (calendar, china (2026, 3, 16, 10, 0), 5, PCT_TIME_UNIT_WORK_DAYS,
                china (2026, 3, 23, 10, 0));
  /* From a weekend: the whole of Monday. */
  assert_added (calendar, china (2026, 3, 21, 10, 0), 1, PCT_TIME_UNIT_WORK_DAYS,
                china (2026, 3, 23, 17, 30));
  /* 15 working days (违法搭建) across the National Day holiday and the
   * swapped Saturday: from Monday 28 September 10:00 they end on 29, 30
   * September, 8, 9, 10 (a Saturday), 12–16 and 19–23 October. */
  assert_added (calendar, china (2026, 9, 28, 10, 0), 15, PCT_TIME_UNIT_WORK_DAYS,
                china (2026, 10, 23, 10, 0));
  /* Across the Mid-Autumn Friday. */
  assert_added (calendar, china (2026, 9, 24, 10, 0), 1, PCT_TIME_UNIT_WORK_DAYS,
                china (2026, 9, 28, 10, 0));
}

static void
test_elapsed_units (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();
  gint64 start = china (2026, 10, 1, 23, 10);

  /* Elapsed time ignores holidays and the night. */
  assert_added (calendar, start, 4, PCT_TIME_UNIT_HOURS, start + 4 * 3600);
  assert_added (calendar, start, 3, PCT_TIME_UNIT_DAYS, start + 3 * 86400);
}

static void
test_is_work_time (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();

  g_assert_true (pct_calendar_is_work_time (calendar, china (2026, 3, 16, 9, 0)));
  g_assert_true (pct_calendar_is_work_time (calendar, china (2026, 3, 16, 12, 0) - 1));
  g_assert_false (pct_calendar_is_work_time (calendar, china (2026, 3, 16, 12, 0)));
  g_assert_false (pct_calendar_is_work_time (calendar, china (2026, 3, 16, 13, 29)));
  g_assert_true (pct_calendar_is_work_time (calendar, china (2026, 3, 16, 13, 30)));
  g_assert_false (pct_calendar_is_work_time (calendar, china (2026, 3, 16, 17, 30)));
  g_assert_false (pct_calendar_is_work_time (calendar, china (2026, 3, 16, 8, 59)));
  g_assert_false (pct_calendar_is_work_time (calendar, china (2026, 3, 21, 10, 0)));
  g_assert_true (pct_calendar_is_work_time (calendar, china (2026, 10, 10, 10, 0)));
  g_assert_false (pct_calendar_is_work_time (calendar, china (2026, 10, 2, 10, 0)));
}

static void
test_work_seconds_between (void)
{
  g_autoptr(PctCalendar) calendar = new_calendar_2026 ();
  gint64 start = china (2026, 9, 1, 0, 0);

  g_assert_cmpint (pct_calendar_work_seconds_between (calendar, china (2026, 3, 16, 11, 0),
                                                      china (2026, 3, 16, 14, 30)), ==, 7200);
  g_assert_cmpint (pct_calendar_work_seconds_between (calendar, china (2026, 3, 20, 17, 0),
                                                      china (2026, 3, 23, 9, 30)), ==, 3600);
  g_assert_cmpint (pct_calendar_work_seconds_between (calendar, china (2026, 3, 23, 9, 30),
                                                      china (2026, 3, 20, 17, 0)), ==, 0);

  /* Adding working time and measuring it again agree, from any moment,
   * across the holidays and the swapped days of the autumn. */
  for (int i = 0; i < 2000; i++)
    {
      gint64 from = start + g_test_rand_int_range (0, 60 * 86400);
      int hours = g_test_rand_int_range (0, 120);
      gint64 to = pct_calendar_add (calendar, from, hours, PCT_TIME_UNIT_WORK_HOURS);

      g_assert_cmpint (to, >=, from);
      g_assert_cmpint (pct_calendar_work_seconds_between (calendar, from, to), ==,
                       (gint64) hours * 3600);
      if (hours > 0)
        g_assert_true (pct_calendar_is_work_time (calendar, to - 1));
    }
}

static void
test_custom_hours (void)
{
  static const char * const invalid[] = {
    "", "9-12", "09:00", "12:00-09:00", "09:00-12:00,11:00-13:00", "09:00-25:00",
    "09:60-10:00", "09:00-12:00,",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PctCalendar) calendar = pct_calendar_new ("14:00-18:00, 08:30-12:00", &error);

  g_assert_no_error (error);
  g_assert_nonnull (calendar);
  g_assert_cmpint (pct_calendar_get_day_seconds (calendar), ==, 7 * 3600 + 1800);
  assert_added (calendar, china (2026, 3, 16, 11, 30), 1, PCT_TIME_UNIT_WORK_HOURS,
                china (2026, 3, 16, 14, 30));

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(PctCalendar) bad = pct_calendar_new (invalid[i], &local_error);

      g_assert_null (bad);
      g_assert_error (local_error, PCT_CALENDAR_ERROR, PCT_CALENDAR_ERROR_INVALID);
    }

  g_assert_false (pct_calendar_set_day (calendar, "2026-02-30", FALSE, &error));
  g_assert_error (error, PCT_CALENDAR_ERROR, PCT_CALENDAR_ERROR_INVALID);
}

static void
test_time_units (void)
{
  static const PctTimeUnit units[] = {
    PCT_TIME_UNIT_WORK_HOURS, PCT_TIME_UNIT_WORK_DAYS, PCT_TIME_UNIT_HOURS, PCT_TIME_UNIT_DAYS,
  };
  PctTimeUnit unit;

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      g_assert_true (pct_time_unit_from_string (pct_time_unit_to_string (units[i]), &unit));
      g_assert_cmpint (unit, ==, units[i]);
    }
  g_assert_cmpstr (pct_time_unit_to_string (PCT_TIME_UNIT_WORK_HOURS), ==, "work_hours");
  g_assert_false (pct_time_unit_from_string ("fortnights", &unit));
  g_assert_false (pct_time_unit_from_string (NULL, &unit));
}

static void
test_from_store (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-calendar-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(PctCalendar) calendar = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "store.db", NULL);
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE, &error);
  g_assert_no_error (error);

  /* The schema's default work hours and two exceptions. */
  g_assert_true (pct_store_exec (store,
                                 "INSERT INTO calendar (date, workday, name) VALUES "
                                 "('2026-10-01', 0, '国庆节'), ('2026-10-10', 1, '调休上班')",
                                 &error));
  g_assert_no_error (error);

  calendar = pct_calendar_new_from_store (store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pct_calendar_get_day_seconds (calendar), ==, 7 * 3600);
  g_assert_false (pct_calendar_is_work_day (calendar, china (2026, 10, 1, 10, 0)));
  g_assert_true (pct_calendar_is_work_day (calendar, china (2026, 10, 10, 10, 0)));
  g_assert_true (pct_calendar_is_work_day (calendar, china (2026, 10, 2, 10, 0)));
  g_clear_object (&calendar);

  /* Work hours are read from meta. */
  g_assert_true (pct_store_set_meta (store, "work_hours", "08:00-12:00,14:00-18:00", &error));
  g_assert_no_error (error);
  calendar = pct_calendar_new_from_store (store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pct_calendar_get_day_seconds (calendar), ==, 8 * 3600);
  g_clear_object (&calendar);

  g_assert_true (pct_store_set_meta (store, "work_hours", "all day", &error));
  calendar = pct_calendar_new_from_store (store, &error);
  g_assert_null (calendar);
  g_assert_error (error, PCT_CALENDAR_ERROR, PCT_CALENDAR_ERROR_INVALID);

  g_clear_object (&store);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/calendar/work-hours/lunch", test_work_hours_lunch);
  g_test_add_func ("/calendar/work-hours/evening", test_work_hours_evening);
  g_test_add_func ("/calendar/work-hours/weekend", test_work_hours_weekend);
  g_test_add_func ("/calendar/work-hours/holiday", test_work_hours_holiday);
  g_test_add_func ("/calendar/work-hours/swapped-day", test_work_hours_swapped_day);
  g_test_add_func ("/calendar/work-days", test_work_days);
  g_test_add_func ("/calendar/elapsed-units", test_elapsed_units);
  g_test_add_func ("/calendar/is-work-time", test_is_work_time);
  g_test_add_func ("/calendar/work-seconds-between", test_work_seconds_between);
  g_test_add_func ("/calendar/custom-hours", test_custom_hours);
  g_test_add_func ("/calendar/time-units", test_time_units);
  g_test_add_func ("/calendar/from-store", test_from_store);

  return g_test_run ();
}
