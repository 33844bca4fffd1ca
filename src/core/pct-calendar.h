/* pct-calendar.h — the working calendar that case deadlines are counted on
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "pct-store.h"

G_BEGIN_DECLS

#define PCT_CALENDAR_ERROR (pct_calendar_error_quark ())

typedef enum
{
  PCT_CALENDAR_ERROR_INVALID,
} PctCalendarError;

/* The units a GB/T 30428 time limit is given in. Working hours and days
 * count only the working periods of working days; hours and days are
 * elapsed time. */
typedef enum
{
  PCT_TIME_UNIT_WORK_HOURS,
  PCT_TIME_UNIT_WORK_DAYS,
  PCT_TIME_UNIT_HOURS,
  PCT_TIME_UNIT_DAYS,
} PctTimeUnit;

/* The work hours a store gets unless its meta table says otherwise. */
#define PCT_CALENDAR_DEFAULT_WORK_HOURS "09:00-12:00,13:30-17:30"

#define PCT_TYPE_CALENDAR (pct_calendar_get_type ())
G_DECLARE_FINAL_TYPE (PctCalendar, pct_calendar, PCT, CALENDAR, GObject)

GQuark       pct_calendar_error_quark        (void);

const char  *pct_time_unit_to_string         (PctTimeUnit   unit);
gboolean     pct_time_unit_from_string       (const char   *name,
                                              PctTimeUnit  *unit);

PctCalendar *pct_calendar_new                (const char   *work_hours,
                                              GError      **error);
PctCalendar *pct_calendar_new_from_store     (PctStore     *store,
                                              GError      **error);

/* Marks a civil date (YYYY-MM-DD, China time) as a working day or not,
 * overriding the Monday–Friday rule. */
gboolean     pct_calendar_set_day            (PctCalendar  *self,
                                              const char   *date,
                                              gboolean      workday,
                                              GError      **error);

/* The seconds of work in one working day. */
gint64       pct_calendar_get_day_seconds    (PctCalendar  *self);

gboolean     pct_calendar_is_work_day        (PctCalendar  *self,
                                              gint64        unix_time);
gboolean     pct_calendar_is_work_time       (PctCalendar  *self,
                                              gint64        unix_time);

/* The moment amount units after start. A working day is one day's worth of
 * working time, so a day counted from 10:00 ends at 10:00 on the next
 * working day, and one counted from outside work hours ends when that
 * working day does. */
gint64       pct_calendar_add                (PctCalendar  *self,
                                              gint64        start_unix,
                                              int           amount,
                                              PctTimeUnit   unit);

/* The moment when `seconds` of working time have passed after start. */
gint64       pct_calendar_add_work_seconds   (PctCalendar  *self,
                                              gint64        start_unix,
                                              gint64        seconds);

/* Working seconds in [from_unix, to_unix); 0 when to_unix <= from_unix. */
gint64       pct_calendar_work_seconds_between (PctCalendar *self,
                                                gint64       from_unix,
                                                gint64       to_unix);

G_END_DECLS
