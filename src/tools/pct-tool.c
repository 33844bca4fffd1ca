/* pct-tool.c — precinct-tool's commands: gen, info, validate, search,
 * import, export, check, sync
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command names, flags, output formats and exit statuses are a contract
 * that scripts and external checks rely on; change them only compatibly and
 * keep README.md in step.
 */

#define G_LOG_DOMAIN "pct-tool"

#include "config.h"

#include <inttypes.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "pct-command.h"
#include "pct-export.h"
#include "pct-generator.h"
#include "pct-import.h"
#include "pct-progress-bar.h"
#include "pct-quality.h"
#include "pct-store.h"
#include "pct-sync.h"
#include "pct-tool.h"
#include "pct-validate.h"

static void
print_error (const GError *error)
{
  g_printerr ("precinct-tool: %s\n", error->message);
}

/* ── gen ─────────────────────────────────────────────────────────────── */

/* Midnight of `date` (YYYY-MM-DD) in China Standard Time, or of today. */
static gboolean
parse_reference_date (const char  *date,
                      gint64      *reference,
                      GError     **error)
{
  g_autoptr(GTimeZone) cst = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) day = NULL;

  if (date == NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now (cst);
      day = g_date_time_new (cst, g_date_time_get_year (now), g_date_time_get_month (now),
                             g_date_time_get_day_of_month (now), 0, 0, 0);
    }
  else
    {
      int y, m, d;
      char extra;

      if (sscanf (date, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3 &&
          g_date_valid_dmy (d, m, y))
        day = g_date_time_new (cst, y, m, d, 0, 0, 0);
    }

  if (day == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("“%s” is not a date of the form YYYY-MM-DD"), date);
      return FALSE;
    }

  *reference = g_date_time_to_unix (day);
  return TRUE;
}

static int
command_gen (int    argc,
             char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *size_name = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *reference_date = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(PctProgressBar) bar = NULL;
  g_autoptr(GError) error = NULL;
  gint64 seed = 1;
  gint64 reference_time;
  gint64 started;
  gboolean existed;
  PctDistrictSize size;
  int status = PCT_TOOL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_STRING, &size_name,
      N_("District size: small (~2k addresses), medium (~25k) or large (250k)"), "SIZE" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Random seed (default 1)"), "N" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Store file to create"), "PATH" },
    { "reference-date", 0, 0, G_OPTION_ARG_STRING, &reference_date,
      N_("Day the case history runs up to (default today)"), "YYYY-MM-DD" },
    { NULL }
  };

  g_option_context_set_summary (context, _("Generate a synthetic district into a new store."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;

  if (argc > 1)
    return pct_command_usage_error (context, _("gen takes no positional arguments"));
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));
  if (size_name == NULL || !pct_district_size_from_string (size_name, &size))
    return pct_command_usage_error (context, _("--size must be small, medium or large"));
  if (seed < 0)
    return pct_command_usage_error (context, _("--seed must not be negative"));
  if (!parse_reference_date (reference_date, &reference_time, &error))
    return pct_command_usage_error (context, error->message);

  existed = g_file_test (db_path, G_FILE_TEST_EXISTS);
  if (!existed)
    {
      g_autofree char *dir = g_path_get_dirname (db_path);
      g_mkdir_with_parents (dir, 0755);
    }

  store = pct_store_open (db_path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  if (store == NULL)
    {
      print_error (error);
      return PCT_TOOL_EXIT_FAILURE;
    }

  bar = pct_progress_bar_new ();
  started = g_get_monotonic_time ();
  if (!pct_generate_district (store, size, (guint64) seed, reference_time,
                              pct_progress_bar_update, bar, &error) ||
      !pct_store_exec (store, "PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE)", &error))
    {
      pct_progress_bar_finish (bar);
      print_error (error);
      g_clear_object (&store);
      /* Generation runs in one transaction, so a failure leaves an empty
       * store; one this command created is removed again. */
      if (!existed)
        {
          g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
          g_autofree char *shm = g_strconcat (db_path, "-shm", NULL);
          g_unlink (db_path);
          g_unlink (wal);
          g_unlink (shm);
        }
      return PCT_TOOL_EXIT_FAILURE;
    }
  pct_progress_bar_finish (bar);

  g_print (_("Generated a %s district (seed %" PRId64 ") into %s in %.1f s\n"),
           size_name, seed, db_path, (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
  return PCT_TOOL_EXIT_OK;
}

/* ── info ────────────────────────────────────────────────────────────── */

static PctStore *
open_store_or_complain (const char        *path,
                        PctStoreOpenFlags  flags)
{
  g_autoptr(GError) error = NULL;
  PctStore *store = pct_store_open (path, flags, &error);

  if (store == NULL)
    print_error (error);
  return store;
}

static void
print_json (JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static int
command_info (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *db_path = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *district = NULL;
  gboolean as_json = FALSE;
  int status = PCT_TOOL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Store file"), "PATH" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print a JSON object"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context, _("Count the records of each kind in a store."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));
  if (argc > 1)
    return pct_command_usage_error (context, _("info takes no positional arguments"));

  store = open_store_or_complain (db_path, PCT_STORE_OPEN_READ_ONLY);
  if (store == NULL)
    return PCT_TOOL_EXIT_FAILURE;

  district = pct_store_get_meta (store, "district_name");
  if (!as_json && district != NULL)
    g_print ("%s\n", district);

  json_builder_begin_object (builder);
  for (const char * const *name = pct_store_entity_names (); *name; name++)
    {
      g_autoptr(GError) error = NULL;
      gint64 count = 0;

      if (!pct_store_count (store, *name, &count, &error))
        {
          print_error (error);
          return PCT_TOOL_EXIT_FAILURE;
        }
      json_builder_set_member_name (builder, *name);
      json_builder_add_int_value (builder, count);
      if (!as_json)
        g_print ("%-12s %10" G_GINT64_FORMAT "\n", *name, count);
    }
  json_builder_end_object (builder);

  if (as_json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);
      print_json (root);
    }
  return PCT_TOOL_EXIT_OK;
}

/* ── validate ────────────────────────────────────────────────────────── */

static gboolean
validate_id (const char *value, GError **error)
{
  return pct_validate_id_number (value, NULL, error);
}

static int
command_validate (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("id|uscc|phone VALUE…"));
  gboolean (*check) (const char *, GError **) = NULL;
  int status = PCT_TOOL_EXIT_OK;

  g_option_context_set_summary (context,
                                _("Check resident ID numbers (GB 11643), unified social credit "
                                  "codes (GB 32100) or mobile numbers. Prints one line per value: "
                                  "VALUE, a tab, “valid”, or “invalid”, a tab and the reason. "
                                  "Exits 0 when every value is valid, 1 when any is not."));
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc < 3)
    return pct_command_usage_error (context, _("Name a kind (id, uscc or phone) and at least one value"));

  if (g_str_equal (argv[1], "id"))
    check = validate_id;
  else if (g_str_equal (argv[1], "uscc"))
    check = pct_validate_uscc;
  else if (g_str_equal (argv[1], "phone"))
    check = pct_validate_phone;
  else
    return pct_command_usage_error (context, _("The kind must be id, uscc or phone"));

  for (int i = 2; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;

      if (check (argv[i], &error))
        g_print ("%s\tvalid\n", argv[i]);
      else
        {
          g_print ("%s\tinvalid\t%s\n", argv[i], error->message);
          status = PCT_TOOL_EXIT_FAILURE;
        }
    }
  return status;
}

/* ── search ──────────────────────────────────────────────────────────── */

static const char *
search_kind_name (PctSearchKind kind)
{
  switch (kind)
    {
    case PCT_SEARCH_ADDRESS:
      return "address";
    case PCT_SEARCH_UNIT:
      return "unit";
    case PCT_SEARCH_PERSON:
      return "person";
    default:
      return "unknown";
    }
}

static int
command_search (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("QUERY"));
  g_autofree char *db_path = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *query = NULL;
  gboolean as_json = FALSE;
  int limit = 20;
  int status = PCT_TOOL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Store file"), "PATH" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Most results of each kind (default 20)"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print a JSON array"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Search addresses, units and people. ID numbers are shown "
                                  "masked."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));
  if (argc < 2)
    return pct_command_usage_error (context, _("Give a query"));
  if (limit < 1 || limit > 10000)
    return pct_command_usage_error (context, _("--limit must be between 1 and 10000"));

  query = g_strjoinv (" ", argv + 1);
  store = open_store_or_complain (db_path, PCT_STORE_OPEN_READ_ONLY);
  if (store == NULL)
    return PCT_TOOL_EXIT_FAILURE;

  hits = pct_store_search (store, query, (guint) limit, &error);
  if (hits == NULL)
    {
      print_error (error);
      return PCT_TOOL_EXIT_FAILURE;
    }

  if (as_json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < hits->len; i++)
        {
          PctSearchHit *hit = g_ptr_array_index (hits, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "kind");
          json_builder_add_string_value (builder, search_kind_name (hit->kind));
          json_builder_set_member_name (builder, "id");
          json_builder_add_int_value (builder, hit->id);
          json_builder_set_member_name (builder, "title");
          json_builder_add_string_value (builder, hit->title);
          json_builder_set_member_name (builder, "subtitle");
          json_builder_add_string_value (builder, hit->subtitle);
          json_builder_set_member_name (builder, "lon");
          json_builder_add_double_value (builder, hit->lon);
          json_builder_set_member_name (builder, "lat");
          json_builder_add_double_value (builder, hit->lat);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      print_json (root);
    }
  else
    {
      for (guint i = 0; i < hits->len; i++)
        {
          PctSearchHit *hit = g_ptr_array_index (hits, i);
          g_print ("%s\t%" G_GINT64_FORMAT "\t%s\t%s\n", search_kind_name (hit->kind), hit->id,
                   hit->title, hit->subtitle ? hit->subtitle : "");
        }
    }
  return PCT_TOOL_EXIT_OK;
}

/* ── import ──────────────────────────────────────────────────────────── */

static int
command_import (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("FILE"));
  g_autofree char *db_path = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(PctImportReport) report = pct_import_report_new ();
  g_autoptr(PctProgressBar) bar = NULL;
  g_autoptr(GError) error = NULL;
  int status = PCT_TOOL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Store file (created if missing)"), "PATH" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Import records from a JSON-lines file (see docs/records.md) or "
                                  "a GeoJSON FeatureCollection. Each rejected record is reported "
                                  "with its line and reason; the valid ones are imported. Exits 1 "
                                  "when any record was rejected."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));
  if (argc != 2)
    return pct_command_usage_error (context, _("Give exactly one file to import"));

  store = open_store_or_complain (db_path, PCT_STORE_OPEN_CREATE);
  if (store == NULL)
    return PCT_TOOL_EXIT_FAILURE;

  bar = pct_progress_bar_new ();
  if (!pct_import_file (store, argv[1], report, pct_progress_bar_update, bar, &error))
    {
      pct_progress_bar_finish (bar);
      print_error (error);
      return PCT_TOOL_EXIT_FAILURE;
    }
  pct_progress_bar_finish (bar);

  for (guint i = 0; i < report->rejections->len; i++)
    {
      PctImportRejection *r = g_ptr_array_index (report->rejections, i);
      g_printerr ("%s:%" G_GUINT64_FORMAT ": %s%s%s: %s\n", argv[1], r->line,
                  r->entity ? r->entity : "?", r->key ? " " : "", r->key ? r->key : "",
                  r->reason);
    }
  if (report->rejected > report->rejections->len)
    g_printerr (_("… and %" PRIu64 " more rejected records\n"),
                report->rejected - report->rejections->len);

  g_print (_("Imported %" PRIu64 " records, rejected %" PRIu64 "\n"),
           report->accepted, report->rejected);
  return report->rejected > 0 ? PCT_TOOL_EXIT_FAILURE : PCT_TOOL_EXIT_OK;
}

/* ── export ──────────────────────────────────────────────────────────── */

static int
command_export (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *db_path = NULL;
  g_autofree char *layer_name = NULL;
  g_autofree char *format_name = NULL;
  g_autofree char *out_path = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GFile) out_file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(PctProgressBar) bar = NULL;
  g_autoptr(GError) error = NULL;
  PctExportFormat format;
  PctLayer layer;
  int status = PCT_TOOL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Store file"), "PATH" },
    { "layer", 0, 0, G_OPTION_ARG_STRING, &layer_name,
      N_("addresses, buildings, units, facilities, grids, roads or incidents"), "NAME" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_name, N_("geojson, csv or jsonl (the import record format)"), "FORMAT" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out_path, N_("File to write"), "FILE" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Export a layer as GeoJSON, as CSV (UTF-8 with a byte order "
                                  "mark, so that spreadsheet programs read Chinese correctly) or "
                                  "as JSON-lines records that `import` reads back."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (db_path == NULL || out_path == NULL)
    return pct_command_usage_error (context, _("--db and --out are required"));
  if (layer_name == NULL || !pct_layer_from_string (layer_name, &layer))
    return pct_command_usage_error (context, _("--layer must name one of the layers listed"));
  if (format_name == NULL || !pct_export_format_from_string (format_name, &format))
    return pct_command_usage_error (context, _("--format must be geojson, csv or jsonl"));
  if (argc > 1)
    return pct_command_usage_error (context, _("export takes no positional arguments"));

  store = open_store_or_complain (db_path, PCT_STORE_OPEN_READ_ONLY);
  if (store == NULL)
    return PCT_TOOL_EXIT_FAILURE;

  /* Written beside the target and renamed over it on success, so a failed
   * export never leaves a truncated file behind. */
  out_file = g_file_new_for_commandline_arg (out_path);
  out = g_file_replace (out_file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, &error);
  if (out == NULL)
    {
      print_error (error);
      return PCT_TOOL_EXIT_FAILURE;
    }

  bar = pct_progress_bar_new ();
  if (!pct_export_layer (store, layer, format, G_OUTPUT_STREAM (out), pct_progress_bar_update,
                         bar, &error))
    {
      g_autoptr(GCancellable) cancelled = g_cancellable_new ();

      pct_progress_bar_finish (bar);
      print_error (error);
      /* Closing with a cancelled cancellable discards the temporary file. */
      g_cancellable_cancel (cancelled);
      g_output_stream_close (G_OUTPUT_STREAM (out), cancelled, NULL);
      return PCT_TOOL_EXIT_FAILURE;
    }
  pct_progress_bar_finish (bar);

  if (!g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error))
    {
      print_error (error);
      return PCT_TOOL_EXIT_FAILURE;
    }
  return PCT_TOOL_EXIT_OK;
}

/* ── check ───────────────────────────────────────────────────────────── */

static int
command_check (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *db_path = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(PctQualityReport) report = NULL;
  g_autoptr(PctProgressBar) bar = NULL;
  g_autoptr(GError) error = NULL;
  gboolean as_json = FALSE;
  guint64 total = 0;
  int examples = 5;
  int status = PCT_TOOL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Store file"), "PATH" },
    { "examples", 0, 0, G_OPTION_ARG_INT, &examples,
      N_("Examples shown of each problem (default 5)"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, N_("Print a JSON object"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Find duplicate addresses, occupied rooms without residents, "
                                  "people registered to rooms that do not exist, wrong resident "
                                  "counts and identifiers that fail their check. Exits 1 when "
                                  "any problem is found."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));
  if (argc > 1)
    return pct_command_usage_error (context, _("check takes no positional arguments"));
  if (examples < 0 || examples > 100000)
    return pct_command_usage_error (context, _("--examples must be between 0 and 100000"));

  store = open_store_or_complain (db_path, PCT_STORE_OPEN_READ_ONLY);
  if (store == NULL)
    return PCT_TOOL_EXIT_FAILURE;

  bar = pct_progress_bar_new ();
  report = pct_quality_check (store, (guint) examples, pct_progress_bar_update, bar, &error);
  pct_progress_bar_finish (bar);
  if (report == NULL)
    {
      print_error (error);
      return PCT_TOOL_EXIT_FAILURE;
    }

  if (as_json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      for (guint k = 0; k < PCT_N_QUALITY_KINDS; k++)
        {
          json_builder_set_member_name (builder, pct_quality_kind_to_string (k));
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "count");
          json_builder_add_int_value (builder, (gint64) report->counts[k]);
          json_builder_set_member_name (builder, "examples");
          json_builder_begin_array (builder);
          for (guint i = 0; i < report->examples->len; i++)
            {
              PctQualityIssue *issue = g_ptr_array_index (report->examples, i);
              if (issue->kind != k)
                continue;
              json_builder_begin_object (builder);
              json_builder_set_member_name (builder, "id");
              json_builder_add_int_value (builder, issue->id);
              json_builder_set_member_name (builder, "detail");
              json_builder_add_string_value (builder, issue->detail);
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);
          json_builder_end_object (builder);
          total += report->counts[k];
        }
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      print_json (root);
    }
  else
    {
      for (guint k = 0; k < PCT_N_QUALITY_KINDS; k++)
        {
          g_print ("%-34s %8" G_GUINT64_FORMAT "  %s\n", pct_quality_kind_to_string (k),
                   report->counts[k], pct_quality_kind_describe (k));
          for (guint i = 0; i < report->examples->len; i++)
            {
              PctQualityIssue *issue = g_ptr_array_index (report->examples, i);
              if (issue->kind == k)
                g_print ("    #%" G_GINT64_FORMAT "  %s\n", issue->id, issue->detail);
            }
          total += report->counts[k];
        }
    }

  return total > 0 ? PCT_TOOL_EXIT_FAILURE : PCT_TOOL_EXIT_OK;
}

/* ── sync ────────────────────────────────────────────────────────────── */

/* A client of server for user, with the password from PRECINCT_PASSWORD
 * or standard input; NULL, having said why, without one. */
static PctSync *
new_signed_in_sync (const char *db_path,
                    const char *server,
                    const char *ca_file,
                    const char *user)
{
  g_autoptr(GError) error = NULL;
  char *password = g_strdup (g_getenv ("PRECINCT_PASSWORD"));
  PctSync *sync;

  if (password == NULL)
    password = pct_command_read_password (user, &error);
  if (password == NULL)
    {
      g_printerr (_("precinct-tool: no password: set PRECINCT_PASSWORD or give it on standard "
                    "input (%s)\n"), error->message);
      return NULL;
    }

  sync = pct_sync_new (db_path != NULL ? db_path : "", server);
  pct_sync_set_ca_file (sync, ca_file);
  pct_sync_set_user (sync, user);
  pct_sync_set_password (sync, password);
  pct_command_free_password (password);
  return sync;
}

static void
sync_progress_cb (PctSync        *sync,
                  GParamSpec     *pspec,
                  PctProgressBar *bar)
{
  g_autofree char *label = NULL;
  int eta = pct_sync_get_eta (sync);

  if (eta >= 0)
    label = g_strdup_printf (_("records, about %d s left"), eta);
  else
    label = g_strdup (_("records"));
  pct_progress_bar_update (label, pct_sync_get_records_done (sync),
                           pct_sync_get_records_total (sync), bar);
}

static void
print_sync_report (const char          *server,
                   const PctSyncReport *report,
                   gboolean             download_only)
{
  double megabytes = report->bytes / (1024.0 * 1024.0);
  double seconds = MAX (report->seconds, 1e-6);

  if (download_only)
    {
      g_print (_("Downloaded %" PRIu64 " pages (%.1f MiB) from %s in %.1f s, %.1f MiB/s; "
                 "nothing was stored\n"),
               report->pages, megabytes, server, report->seconds, megabytes / seconds);
      return;
    }

  g_print (_("Synced with %s in %.1f s: %" PRIu64 " records applied, %" PRIu64 " removed, "
             "%" PRIu64 " pages (%.1f MiB), %.0f records/s%s\n"),
           server, report->seconds, report->records_applied, report->records_removed,
           report->pages, megabytes, report->records_applied / seconds,
           report->full ? _(", a full sync") : "");
  g_print (_("Outbox: %u changes sent: %u applied, %u conflicts, %u rejected (%u answered "
             "from an earlier send)\n"),
           report->pushed, report->push_applied, report->push_conflicts, report->push_rejected,
           report->push_replayed);
  if (report->retries > 0)
    g_print (_("Requests repeated after a failure: %u\n"), report->retries);
}

static gboolean
quit_loop_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
follow_state_cb (PctSync    *sync,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  static const char * const names[] = {
    [PCT_SYNC_STATE_IDLE] = N_("starting"),
    [PCT_SYNC_STATE_SYNCING] = N_("syncing"),
    [PCT_SYNC_STATE_ONLINE] = N_("up to date"),
    [PCT_SYNC_STATE_OFFLINE] = N_("offline"),
    [PCT_SYNC_STATE_ERROR] = N_("stopped by an error"),
  };
  PctSyncState state = pct_sync_get_state (sync);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S");

  if (state == PCT_SYNC_STATE_ERROR && pct_sync_get_error_message (sync) != NULL)
    g_printerr ("%s %s: %s\n", time, _(names[state]), pct_sync_get_error_message (sync));
  else if (state < G_N_ELEMENTS (names))
    g_printerr ("%s %s%s\n", time, _(names[state]),
                state == PCT_SYNC_STATE_ONLINE && pct_sync_get_live (sync) ? _(", live") : "");
}

/* Keeps the store in step until SIGINT or SIGTERM: the live feed, with
 * long polling where no WebSocket can be opened, retrying by itself. */
static int
follow (PctSync *sync)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint sigint = g_unix_signal_add (SIGINT, quit_loop_cb, loop);
  guint sigterm = g_unix_signal_add (SIGTERM, quit_loop_cb, loop);

  g_signal_connect (sync, "notify::state", G_CALLBACK (follow_state_cb), NULL);
  g_signal_connect (sync, "notify::live", G_CALLBACK (follow_state_cb), NULL);
  pct_sync_start (sync);
  g_main_loop_run (loop);
  pct_sync_stop (sync);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  return PCT_TOOL_EXIT_OK;
}

static int
command_sync (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *db_path = NULL;
  g_autofree char *server = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *user = NULL;
  g_autoptr(PctSync) sync = NULL;
  g_autoptr(PctProgressBar) bar = NULL;
  g_autoptr(GError) error = NULL;
  PctSyncReport report = { 0 };
  gboolean download_only = FALSE;
  gboolean follow_live = FALSE;
  int limit = 2000;
  int timeout = 30;
  int status = PCT_TOOL_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Store file (created if missing)"), "PATH" },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server,
      N_("The server, https://HOST:PORT/"), "URL" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
      N_("A PEM file of certificate authorities trusted besides the system’s"), "PEM" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, N_("The user to sign in as"), "NAME" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit,
      N_("Records per page of the feed, 1–10000 (default 2000)"), "N" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
      N_("Seconds a request may stay silent before it fails (default 30)"), "S" },
    { "download-only", 0, 0, G_OPTION_ARG_NONE, &download_only,
      N_("Download the whole feed without parsing or storing it, to measure the network"), NULL },
    { "follow", 0, 0, G_OPTION_ARG_NONE, &follow_live,
      N_("Keep the store in step with the server’s live feed until interrupted"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Sync a store with a Precinct server (docs/api.md): sign in, "
                                  "send the outbox, then apply the changes feed page by page. "
                                  "The password is read from PRECINCT_PASSWORD or from one line "
                                  "of standard input. Progress goes to standard error, a summary "
                                  "to standard output. Exits 1 when the sync fails."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return pct_command_usage_error (context, _("sync takes no positional arguments"));
  if (server == NULL || user == NULL || (db_path == NULL && !download_only))
    return pct_command_usage_error (context, _("--db, --server and --user are required"));
  if (limit < 1 || limit > 10000)
    return pct_command_usage_error (context, _("--limit must be between 1 and 10000"));
  if (timeout < 1 || timeout > 3600)
    return pct_command_usage_error (context, _("--timeout must be between 1 and 3600"));
  if (follow_live && download_only)
    return pct_command_usage_error (context, _("--follow and --download-only exclude each other"));

  if (db_path != NULL && !g_file_test (db_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *dir = g_path_get_dirname (db_path);
      g_mkdir_with_parents (dir, 0755);
    }

  sync = new_signed_in_sync (db_path, server, ca_file, user);
  if (sync == NULL)
    return PCT_TOOL_EXIT_USAGE;
  pct_sync_set_page_limit (sync, (guint) limit);
  pct_sync_set_timeout (sync, (guint) timeout);

  if (follow_live)
    return follow (sync);

  bar = pct_progress_bar_new ();
  g_signal_connect (sync, "notify::records-done", G_CALLBACK (sync_progress_cb), bar);

  if (!pct_sync_run_sync (sync, download_only ? PCT_SYNC_RUN_DOWNLOAD_ONLY : PCT_SYNC_RUN_DEFAULT,
                          &report, NULL, &error))
    {
      pct_progress_bar_finish (bar);
      print_error (error);
      return PCT_TOOL_EXIT_FAILURE;
    }
  pct_progress_bar_finish (bar);

  print_sync_report (server, &report, download_only);
  return PCT_TOOL_EXIT_OK;
}

/* ── unmask ──────────────────────────────────────────────────────────── */

static int
command_unmask (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("ENTITY ID FIELD"));
  g_autofree char *server = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *user = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *value = NULL;
  g_autoptr(PctSync) sync = NULL;
  g_autoptr(GError) error = NULL;
  int status = PCT_TOOL_EXIT_OK;
  gint64 id;
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server,
      N_("The server, https://HOST:PORT/"), "URL" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
      N_("A PEM file of certificate authorities trusted besides the system’s"), "PEM" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, N_("The user to sign in as"), "NAME" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason,
      N_("Why the value is needed; the server logs it"), "TEXT" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Ask the server for one personal value in clear, such as "
                                  "“person 88 id_number”. The server checks the user’s role and "
                                  "logs who asked, for which record and why; the value is printed "
                                  "and stored nowhere. The password is read as for sync."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc != 4)
    return pct_command_usage_error (context, _("unmask takes an entity, a record id and a field"));
  if (server == NULL || user == NULL || reason == NULL)
    return pct_command_usage_error (context, _("--server, --user and --reason are required"));
  if (!g_ascii_string_to_signed (argv[2], 10, 1, G_MAXINT64, &id, NULL))
    return pct_command_usage_error (context, _("the record id must be a positive whole number"));

  sync = new_signed_in_sync (NULL, server, ca_file, user);
  if (sync == NULL)
    return PCT_TOOL_EXIT_USAGE;

  if (!pct_sync_unmask (sync, argv[1], id, argv[3], reason, &value, NULL, &error))
    {
      print_error (error);
      return g_error_matches (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS)
        ? PCT_TOOL_EXIT_USAGE : PCT_TOOL_EXIT_FAILURE;
    }

  if (value != NULL)
    g_print ("%s\n", value);
  else
    g_printerr (_("The record has no value there\n"));
  return PCT_TOOL_EXIT_OK;
}

/* ── dispatch ────────────────────────────────────────────────────────── */

static const PctCommand commands[] = {
  { "gen", command_gen, N_("Generate a synthetic district into a new store") },
  { "info", command_info, N_("Count the records of each kind in a store") },
  { "validate", command_validate, N_("Check ID numbers, credit codes or mobile numbers") },
  { "search", command_search, N_("Search addresses, units and people") },
  { "import", command_import, N_("Import JSON-lines records or GeoJSON") },
  { "export", command_export, N_("Export a layer as GeoJSON or CSV") },
  { "check", command_check, N_("Find duplicate, orphaned and invalid records") },
  { "sync", command_sync, N_("Sync a store with a Precinct server") },
  { "unmask", command_unmask, N_("Ask a Precinct server for a personal value in clear") },
};

int
pct_tool_run (int    argc,
              char **argv)
{
  return pct_command_dispatch ("precinct-tool", commands, G_N_ELEMENTS (commands), argc, argv);
}
