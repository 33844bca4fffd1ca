/* pct-calendar.c — the working calendar that case deadlines are counted on
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Days are Chinese civil days. China has kept UTC+8 without daylight saving
 * since 1991, so a fixed offset gives the right day and hour without the
 * system's tz database, and every day has the same 86,400 seconds.
 */

#define G_LOG_DOMAIN "pct-calendar"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "pct-calendar.h"

#define CHINA_UTC_OFFSET   (8 * 60 * 60)
#define SECONDS_PER_DAY    (24 * 60 * 60)
#define MAX_WORK_PERIODS   8

typedef struct
{
  int start;   /* seconds after midnight */
  int end;
} WorkPeriod;

struct _PctCalendar
{
  GObject     parent_instance;

  WorkPeriod  periods[MAX_WORK_PERIODS];
  guint       n_periods;
  gint64      day_seconds;
  /* day number (days since 1970-01-01) → 1 holiday, 2 working day */
  GHashTable *exceptions;
};

G_DEFINE_FINAL_TYPE (PctCalendar, pct_calendar, G_TYPE_OBJECT)

G_DEFINE_QUARK (pct-calendar-error-quark, pct_calendar_error)

#define EXCEPTION_HOLIDAY 1
#define EXCEPTION_WORKDAY 2

static const char * const time_unit_names[] = {
  [PCT_TIME_UNIT_WORK_HOURS] = "work_hours",
  [PCT_TIME_UNIT_WORK_DAYS] = "work_days",
  [PCT_TIME_UNIT_HOURS] = "hours",
  [PCT_TIME_UNIT_DAYS] = "days",
};

const char *
pct_time_unit_to_string (PctTimeUnit unit)
{
  g_return_val_if_fail ((guint) unit < G_N_ELEMENTS (time_unit_names), NULL);

  return time_unit_names[unit];
}

gboolean
pct_time_unit_from_string (const char  *name,
                           PctTimeUnit *unit)
{
  for (guint i = 0; i < G_N_ELEMENTS (time_unit_names); i++)
    {
      if (g_strcmp0 (name, time_unit_names[i]) == 0)
        {
          *unit = (PctTimeUnit) i;
          return TRUE;
        }
    }

  return FALSE;
}

/* Floor division, so that moments before 1970 land on the right day. */
static gint64
day_of (gint64 unix_time)
{
  gint64 local = unix_time + CHINA_UTC_OFFSET;
  gint64 day = local / SECONDS_PER_DAY;

  if (local % SECONDS_PER_DAY < 0)
    day--;

  return day;
}

static gint64
day_start (gint64 day)
{
  return day * SECONDS_PER_DAY - CHINA_UTC_OFFSET;
}

static gboolean
is_work_day_number (PctCalendar *self,
                    gint64       day)
{
  gpointer value = g_hash_table_lookup (self->exceptions, GINT_TO_POINTER ((int) day));
  /* 1970-01-01 was a Thursday; 0 is Monday here. */
  gint64 weekday = ((day + 3) % 7 + 7) % 7;

  if (value != NULL)
    return GPOINTER_TO_INT (value) == EXCEPTION_WORKDAY;

  return weekday < 5;
}

static gboolean
parse_clock (const char *text,
             int        *seconds)
{
  int hours;
  int minutes;

  if (strlen (text) != 5 || !g_ascii_isdigit (text[0]) || !g_ascii_isdigit (text[1])
      || text[2] != ':' || !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return FALSE;

  hours = (text[0] - '0') * 10 + (text[1] - '0');
  minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0))
    return FALSE;

  *seconds = hours * 3600 + minutes * 60;
  return TRUE;
}

static int
compare_periods (gconstpointer a,
                 gconstpointer b)
{
  const WorkPeriod *pa = a;
  const WorkPeriod *pb = b;

  return (pa->start > pb->start) - (pa->start < pb->start);
}

static gboolean
parse_work_hours (PctCalendar  *self,
                  const char   *work_hours,
                  GError      **error)
{
  g_auto(GStrv) parts = g_strsplit (work_hours, ",", -1);

  self->n_periods = 0;
  self->day_seconds = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_auto(GStrv) ends = NULL;
      WorkPeriod period;

      g_strstrip (parts[i]);
      ends = g_strsplit (parts[i], "-", -1);

      if (g_strv_length (ends) != 2
          || !parse_clock (g_strstrip (ends[0]), &period.start)
          || !parse_clock (g_strstrip (ends[1]), &period.end)
          || period.end <= period.start)
        {
          g_set_error (error, PCT_CALENDAR_ERROR, PCT_CALENDAR_ERROR_INVALID,
                       _("“%s” is not a work period such as 09:00-12:00"), parts[i]);
          return FALSE;
        }

      if (self->n_periods == MAX_WORK_PERIODS)
        {
          g_set_error (error, PCT_CALENDAR_ERROR, PCT_CALENDAR_ERROR_INVALID,
                       _("Work hours may have at most %d periods"), MAX_WORK_PERIODS);
          return FALSE;
        }

      self->periods[self->n_periods++] = period;
    }

  if (self->n_periods == 0)
    {
      g_set_error_literal (error, PCT_CALENDAR_ERROR, PCT_CALENDAR_ERROR_INVALID,
                           _("Work hours must have at least one period"));
      return FALSE;
    }

  qsort (self->periods, self->n_periods, sizeof (WorkPeriod), compare_periods);

  for (guint i = 0; i < self->n_periods; i++)
    {
      if (i > 0 && self->periods[i].start < self->periods[i - 1].end)
        {
          g_set_error (error, PCT_CALENDAR_ERROR, PCT_CALENDAR_ERROR_INVALID,
                       _("Work periods overlap in “%s”"), work_hours);
          return FALSE;
        }
      self->day_seconds += self->periods[i].end - self->periods[i].start;
    }

  return TRUE;
}

static gboolean
parse_date (const char *date,
            gint64     *day)
{
  static gsize epoch_julian = 0;
  int year;
  int month;
  int mday;
  GDate parsed;

  if (g_once_init_enter (&epoch_julian))
    {
      GDate epoch;

      g_date_clear (&epoch, 1);
      g_date_set_dmy (&epoch, 1, G_DATE_JANUARY, 1970);
      g_once_init_leave (&epoch_julian, g_date_get_julian (&epoch));
    }

  if (date == NULL || strlen (date) != 10 || date[4] != '-' || date[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    {
      if (i != 4 && i != 7 && !g_ascii_isdigit (date[i]))
        return FALSE;
    }

  year = atoi (date);
  month = atoi (date + 5);
  mday = atoi (date + 8);
  if (month < 1 || month > 12 || mday < 1
      || !g_date_valid_dmy ((GDateDay) mday, (GDateMonth) month, (GDateYear) year))
    return FALSE;

  g_date_clear (&parsed, 1);
  g_date_set_dmy (&parsed, (GDateDay) mday, (GDateMonth) month, (GDateYear) year);
  *day = (gint64) g_date_get_julian (&parsed) - (gint64) epoch_julian;
  return TRUE;
}

static void
pct_calendar_finalize (GObject *object)
{
  PctCalendar *self = (PctCalendar *) object;

  g_clear_pointer (&self->exceptions, g_hash_table_unref);

  G_OBJECT_CLASS (pct_calendar_parent_class)->finalize (object);
}

static void
pct_calendar_class_init (PctCalendarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pct_calendar_finalize;
}

static void
pct_calendar_init (PctCalendar *self)
{
  self->exceptions = g_hash_table_new (g_direct_hash, g_direct_equal);
}

/**
 * pct_calendar_new:
 * @work_hours: (nullable): periods such as "09:00-12:00,13:30-17:30", or
 *   %NULL for %PCT_CALENDAR_DEFAULT_WORK_HOURS
 * @error: return location for a #PctCalendarError
 *
 * Returns: (transfer full): a calendar of Monday–Friday working days with
 *   no holidays yet, or %NULL if @work_hours cannot be read
 */
PctCalendar *
pct_calendar_new (const char  *work_hours,
                  GError     **error)
{
  g_autoptr(PctCalendar) self = g_object_new (PCT_TYPE_CALENDAR, NULL);

  if (!parse_work_hours (self, work_hours != NULL ? work_hours : PCT_CALENDAR_DEFAULT_WORK_HOURS,
                         error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * pct_calendar_new_from_store:
 * @store: a store
 * @error: return location for an error
 *
 * Builds the calendar from the store's meta key "work_hours" and its
 * calendar table of holidays and swapped working days.
 *
 * Returns: (transfer full): the calendar, or %NULL on error
 */
PctCalendar *
pct_calendar_new_from_store (PctStore  *store,
                             GError   **error)
{
  g_autoptr(PctCalendar) self = NULL;
  g_autofree char *work_hours = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);

  work_hours = pct_store_get_meta (store, "work_hours");
  self = pct_calendar_new (work_hours, error);
  if (self == NULL)
    return NULL;

  stmt = pct_store_prepare (store, "SELECT date, workday FROM calendar ORDER BY date", error);
  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *date = (const char *) sqlite3_column_text (stmt, 0);
      gint64 day;

      /* One bad row should not cost every deadline its holidays. */
      if (!parse_date (date, &day))
        {
          g_warning ("Ignoring calendar row with a malformed date “%s”", date);
          continue;
        }
      g_hash_table_insert (self->exceptions, GINT_TO_POINTER ((int) day),
                           GINT_TO_POINTER (sqlite3_column_int (stmt, 1) ? EXCEPTION_WORKDAY
                                                                         : EXCEPTION_HOLIDAY));
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      pct_store_set_sql_error (store, error, "calendar");
      return NULL;
    }

  return g_steal_pointer (&self);
}

gboolean
pct_calendar_set_day (PctCalendar  *self,
                      const char   *date,
                      gboolean      workday,
                      GError      **error)
{
  gint64 day;

  g_return_val_if_fail (PCT_IS_CALENDAR (self), FALSE);

  if (!parse_date (date, &day))
    {
      g_set_error (error, PCT_CALENDAR_ERROR, PCT_CALENDAR_ERROR_INVALID,
                   _("“%s” is not a date such as 2026-10-01"), date != NULL ? date : "");
      return FALSE;
    }

  g_hash_table_insert (self->exceptions, GINT_TO_POINTER ((int) day),
                       GINT_TO_POINTER (workday ? EXCEPTION_WORKDAY : EXCEPTION_HOLIDAY));
  return TRUE;
}

gint64
pct_calendar_get_day_seconds (PctCalendar *self)
{
  g_return_val_if_fail (PCT_IS_CALENDAR (self), 0);

  return self->day_seconds;
}

gboolean
pct_calendar_is_work_day (PctCalendar *self,
                          gint64       unix_time)
{
  g_return_val_if_fail (PCT_IS_CALENDAR (self), FALSE);

  return is_work_day_number (self, day_of (unix_time));
}

gboolean
pct_calendar_is_work_time (PctCalendar *self,
                           gint64       unix_time)
{
  gint64 day;
  gint64 second;

  g_return_val_if_fail (PCT_IS_CALENDAR (self), FALSE);

  day = day_of (unix_time);
  if (!is_work_day_number (self, day))
    return FALSE;

  second = unix_time - day_start (day);
  for (guint i = 0; i < self->n_periods; i++)
    {
      if (second >= self->periods[i].start && second < self->periods[i].end)
        return TRUE;
    }

  return FALSE;
}

/* A deadline that falls exactly at the end of a period stays there rather
 * than moving on to the start of the next one: "two working hours from
 * 10:00" is 12:00, not 13:30. */
static gint64
add_work_seconds (PctCalendar *self,
                  gint64       start,
                  gint64       remaining)
{
  gint64 day = day_of (start);
  gint64 second = start - day_start (day);

  if (remaining <= 0)
    return start;

  for (;;)
    {
      if (is_work_day_number (self, day))
        {
          for (guint i = 0; i < self->n_periods; i++)
            {
              const WorkPeriod *period = &self->periods[i];
              gint64 begin;

              if (period->end <= second)
                continue;

              begin = MAX (period->start, second);
              if (remaining <= period->end - begin)
                return day_start (day) + begin + remaining;
              remaining -= period->end - begin;
            }
        }

      day++;
      second = 0;

      while (remaining > self->day_seconds && is_work_day_number (self, day))
        {
          remaining -= self->day_seconds;
          day++;
        }
    }
}

gint64
pct_calendar_add (PctCalendar *self,
                  gint64       start_unix,
                  int          amount,
                  PctTimeUnit  unit)
{
  g_return_val_if_fail (PCT_IS_CALENDAR (self), start_unix);
  g_return_val_if_fail (amount >= 0, start_unix);

  switch (unit)
    {
    case PCT_TIME_UNIT_WORK_HOURS:
      return add_work_seconds (self, start_unix, (gint64) amount * 3600);
    case PCT_TIME_UNIT_WORK_DAYS:
      return add_work_seconds (self, start_unix, (gint64) amount * self->day_seconds);
    case PCT_TIME_UNIT_HOURS:
      return start_unix + (gint64) amount * 3600;
    case PCT_TIME_UNIT_DAYS:
      return start_unix + (gint64) amount * SECONDS_PER_DAY;
    default:
      g_return_val_if_reached (start_unix);
    }
}

gint64
pct_calendar_add_work_seconds (PctCalendar *self,
                               gint64       start_unix,
                               gint64       seconds)
{
  g_return_val_if_fail (PCT_IS_CALENDAR (self), start_unix);
  g_return_val_if_fail (seconds >= 0, start_unix);

  return add_work_seconds (self, start_unix, seconds);
}

gint64
pct_calendar_work_seconds_between (PctCalendar *self,
                                   gint64       from_unix,
                                   gint64       to_unix)
{
  gint64 total = 0;
  gint64 last_day;

  g_return_val_if_fail (PCT_IS_CALENDAR (self), 0);

  if (to_unix <= from_unix)
    return 0;

  last_day = day_of (to_unix);
  for (gint64 day = day_of (from_unix); day <= last_day; day++)
    {
      gint64 base = day_start (day);

      if (!is_work_day_number (self, day))
        continue;

      for (guint i = 0; i < self->n_periods; i++)
        {
          gint64 begin = MAX (base + self->periods[i].start, from_unix);
          gint64 end = MIN (base + self->periods[i].end, to_unix);

          if (end > begin)
            total += end - begin;
        }
    }

  return total;
}
