/* pct-quality.c — data-quality checks: duplicates, orphans, bad identifiers
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each check is one query whose rows are the problems found; identifiers
 * are checked in C since their check characters are not SQL.
 */

#define G_LOG_DOMAIN "pct-quality"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pct-quality.h"
#include "pct-validate.h"

typedef struct
{
  const char *name;
  const char *description;
  /* Rows of (id, detail); for identifier checks, (id, value to check). */
  const char *sql;
  gboolean  (*validate) (const char *value, GError **error);
} Check;

static gboolean
validate_resident_id (const char  *value,
                      GError     **error)
{
  return pct_validate_id_number (value, NULL, error);
}

static const Check checks[PCT_N_QUALITY_KINDS] = {
  [PCT_QUALITY_DUPLICATE_ADDRESS] = {
    "duplicate_addresses",
    N_("Addresses whose text repeats another address’s"),
    /* Every address after the first of each group of equal texts. */
    "SELECT a.id, a.display || ' (' || a.code || ')' FROM addresses a "
    "WHERE EXISTS (SELECT 1 FROM addresses b WHERE b.display = a.display AND b.id < a.id) "
    "ORDER BY a.id",
    NULL },
  [PCT_QUALITY_OCCUPIED_WITHOUT_RESIDENTS] = {
    "occupied_rooms_without_residents",
    N_("Homes recorded as lived in that have no registered resident"),
    /* Only homes: an owned parking space or a rented shop has no residents. */
    "SELECT r.id, r.code || ' ' || r.occupancy FROM rooms r "
    "WHERE r.use = 'residential' AND r.occupancy IN ('owner', 'rented', 'crowded') "
    "AND NOT EXISTS (SELECT 1 FROM person_rooms pr WHERE pr.room_id = r.id) "
    "ORDER BY r.id",
    NULL },
  [PCT_QUALITY_MISSING_ROOM] = {
    "people_in_missing_rooms",
    N_("People registered to a room code that matches no room"),
    "SELECT pr.person_id, pr.room_code FROM person_rooms pr "
    "WHERE pr.room_id IS NULL ORDER BY pr.person_id",
    NULL },
  [PCT_QUALITY_RESIDENT_COUNT] = {
    "resident_count_mismatches",
    N_("Rooms whose resident count differs from the people registered there"),
    "SELECT r.id, r.code || ': ' || r.resident_count || ' ≠ ' || count (pr.person_id) "
    "FROM rooms r LEFT JOIN person_rooms pr ON pr.room_id = r.id "
    "GROUP BY r.id HAVING r.resident_count <> count (pr.person_id) ORDER BY r.id",
    NULL },
  [PCT_QUALITY_INVALID_ID_NUMBER] = {
    "invalid_id_numbers",
    N_("Resident ID numbers that fail their check"),
    "SELECT id, id_number FROM people WHERE id_type = 'resident_id' ORDER BY id",
    validate_resident_id },
  [PCT_QUALITY_INVALID_CREDIT_CODE] = {
    "invalid_credit_codes",
    N_("Unified social credit codes that fail their check"),
    "SELECT id, uscc FROM units WHERE uscc IS NOT NULL AND uscc <> '' ORDER BY id",
    pct_validate_uscc },
};

const char *
pct_quality_kind_to_string (PctQualityKind kind)
{
  g_return_val_if_fail (kind < PCT_N_QUALITY_KINDS, NULL);
  return checks[kind].name;
}

const char *
pct_quality_kind_describe (PctQualityKind kind)
{
  g_return_val_if_fail (kind < PCT_N_QUALITY_KINDS, NULL);
  return _(checks[kind].description);
}

static void
issue_free (PctQualityIssue *issue)
{
  g_free (issue->detail);
  g_free (issue);
}

void
pct_quality_report_free (PctQualityReport *report)
{
  if (report == NULL)
    return;
  g_clear_pointer (&report->examples, g_ptr_array_unref);
  g_free (report);
}

static void
add_example (PctQualityReport *report,
             PctQualityKind    kind,
             gint64            id,
             char             *detail)
{
  PctQualityIssue *issue = g_new0 (PctQualityIssue, 1);

  issue->kind = kind;
  issue->id = id;
  issue->detail = detail;
  g_ptr_array_add (report->examples, issue);
}

PctQualityReport *
pct_quality_check (PctStore         *store,
                   guint             max_examples,
                   PctProgressFunc   progress,
                   gpointer          progress_data,
                   GError          **error)
{
  g_autoptr(PctQualityReport) report = g_new0 (PctQualityReport, 1);

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);

  report->examples = g_ptr_array_new_with_free_func ((GDestroyNotify) issue_free);

  for (guint k = 0; k < PCT_N_QUALITY_KINDS; k++)
    {
      const Check *check = &checks[k];
      sqlite3_stmt *stmt = pct_store_prepare (store, check->sql, error);
      int rc;

      if (stmt == NULL)
        return NULL;
      if (progress != NULL)
        progress (check->name, k, PCT_N_QUALITY_KINDS, progress_data);

      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 id = sqlite3_column_int64 (stmt, 0);
          const char *text = (const char *) sqlite3_column_text (stmt, 1);
          g_autoptr(GError) invalid = NULL;
          char *detail;

          if (check->validate != NULL)
            {
              if (text != NULL && check->validate (text, &invalid))
                continue;
              detail = g_strdup_printf ("%s: %s", text ? text : "",
                                        invalid ? invalid->message : _("missing"));
            }
          else
            detail = g_strdup (text);

          if (report->counts[k]++ < max_examples)
            add_example (report, k, id, detail);
          else
            g_free (detail);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return pct_store_set_sql_error (store, error, check->name), NULL;
    }

  if (progress != NULL)
    progress (NULL, PCT_N_QUALITY_KINDS, PCT_N_QUALITY_KINDS, progress_data);

  return g_steal_pointer (&report);
}
