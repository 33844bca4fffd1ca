/* pct-export.c — writing layers and records as GeoJSON, CSV or JSON lines
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rows are read with a PctRecordReader and written through a small buffer,
 * so memory stays flat however large the layer. The JSON of a row comes
 * from pct-record, which owns the mapping; CSV is laid out here, from the
 * same field tables.
 */

#define G_LOG_DOMAIN "pct-export"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "pct-export.h"
#include "pct-record.h"

#define FLUSH_SIZE (64 * 1024)

/* Progress is reported every this many rows. */
#define PROGRESS_STEP 1000

typedef struct
{
  GOutputStream   *out;
  GString         *buf;
  guint64          done;
  guint64          total;
  PctProgressFunc  progress;
  gpointer         progress_data;
} Writer;

static const char * const format_names[] = {
  [PCT_EXPORT_GEOJSON] = "geojson",
  [PCT_EXPORT_CSV] = "csv",
  [PCT_EXPORT_RECORDS] = "jsonl",
};

gboolean
pct_export_format_from_string (const char      *name,
                               PctExportFormat *format)
{
  for (guint i = 0; i < G_N_ELEMENTS (format_names); i++)
    {
      if (g_strcmp0 (name, format_names[i]) == 0)
        {
          *format = (PctExportFormat) i;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
pct_export_format_to_string (PctExportFormat format)
{
  g_return_val_if_fail ((guint) format < G_N_ELEMENTS (format_names), NULL);
  return format_names[format];
}

static gboolean
writer_flush (Writer   *writer,
              gboolean  force,
              GError  **error)
{
  if (writer->buf->len == 0 || (!force && writer->buf->len < FLUSH_SIZE))
    return TRUE;

  if (!g_output_stream_write_all (writer->out, writer->buf->str, writer->buf->len, NULL, NULL,
                                  error))
    return FALSE;
  g_string_truncate (writer->buf, 0);
  return TRUE;
}

static void
writer_row_done (Writer *writer)
{
  writer->done++;
  if (writer->progress != NULL && writer->done % PROGRESS_STEP == 0)
    writer->progress (_("Exporting"), writer->done, writer->total, writer->progress_data);
}

/* CSV --------------------------------------------------------------------- */

/* Spreadsheets run a cell that starts with one of these as a formula; an
 * exported incident description must not become one when the file is
 * opened. A leading apostrophe makes it text, as spreadsheets do
 * themselves. */
static gboolean
looks_like_formula (const char *text)
{
  return text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@'
         || text[0] == '\t' || text[0] == '\r';
}

static void
csv_append (GString    *out,
            const char *text,
            gboolean    guard)
{
  g_autofree char *valid = NULL;
  gboolean quote;

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  /* An empty string is quoted so that it reads differently from NULL,
   * which is an empty cell. */
  quote = text[0] == '\0' || strpbrk (text, ",\"\r\n") != NULL;
  if (quote)
    g_string_append_c (out, '"');
  if (guard && looks_like_formula (text))
    g_string_append_c (out, '\'');

  if (quote)
    {
      for (const char *p = text; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, text);
}

static void
append_wkt_positions (GString  *out,
                      GArray   *positions,
                      gboolean  close_ring)
{
  g_string_append_c (out, '(');
  for (guint i = 0; i < positions->len; i++)
    {
      const PctPosition *pos = &g_array_index (positions, PctPosition, i);

      if (i > 0)
        g_string_append (out, ", ");
      pct_record_append_double (out, pos->lon);
      g_string_append_c (out, ' ');
      pct_record_append_double (out, pos->lat);
    }

  if (close_ring && positions->len > 0)
    {
      const PctPosition *first = &g_array_index (positions, PctPosition, 0);
      const PctPosition *last = &g_array_index (positions, PctPosition, positions->len - 1);

      if (first->lon != last->lon || first->lat != last->lat)
        {
          g_string_append (out, ", ");
          pct_record_append_double (out, first->lon);
          g_string_append_c (out, ' ');
          pct_record_append_double (out, first->lat);
        }
    }
  g_string_append_c (out, ')');
}

static void
csv_append_header (GString               *out,
                   const PctRecordEntity *entity)
{
  g_string_append (out, "\xef\xbb\xbf" "id");
  if (entity->synced)
    g_string_append (out, ",version,updated_at");
  for (guint i = 0; i < entity->n_fields; i++)
    {
      g_string_append_c (out, ',');
      csv_append (out, entity->fields[i].name, FALSE);
    }
  g_string_append (out, "\r\n");
}

static void
csv_append_row (GString         *out,
                PctRecordReader *reader)
{
  const PctRecordEntity *entity = pct_record_reader_get_entity (reader);
  g_autoptr(GString) cell = g_string_new (NULL);

  pct_record_reader_append_key_text (reader, cell);
  csv_append (out, cell->str, entity->key_type == PCT_FIELD_TEXT);
  if (entity->synced)
    g_string_append_printf (out, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
                            pct_record_reader_get_version (reader),
                            pct_record_reader_get_updated_at (reader));

  for (guint i = 0; i < entity->n_fields; i++)
    {
      const PctRecordField *field = &entity->fields[i];

      g_string_append_c (out, ',');
      if (field->type != PCT_FIELD_CHILDREN && pct_record_reader_is_null (reader, i))
        continue;

      switch (field->type)
        {
        case PCT_FIELD_TEXT:
          csv_append (out, pct_record_reader_get_text (reader, i), TRUE);
          break;

        case PCT_FIELD_INTEGER:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, pct_record_reader_get_int (reader, i));
          break;

        case PCT_FIELD_BOOLEAN:
          g_string_append (out, pct_record_reader_get_int (reader, i) ? "true" : "false");
          break;

        case PCT_FIELD_REAL:
        case PCT_FIELD_LONGITUDE:
        case PCT_FIELD_LATITUDE:
          pct_record_append_double (out, pct_record_reader_get_double (reader, i));
          break;

        case PCT_FIELD_LINE:
        case PCT_FIELD_POLYGON:
          {
            g_autoptr(GArray) positions = pct_record_reader_get_positions (reader, i);

            if (positions == NULL || positions->len == 0)
              break;
            g_string_truncate (cell, 0);
            if (field->type == PCT_FIELD_LINE)
              {
                g_string_append (cell, "LINESTRING ");
                append_wkt_positions (cell, positions, FALSE);
              }
            else
              {
                g_string_append (cell, "POLYGON (");
                append_wkt_positions (cell, positions, TRUE);
                g_string_append_c (cell, ')');
              }
            csv_append (out, cell->str, FALSE);
          }
          break;

        case PCT_FIELD_CHILDREN:
          g_string_truncate (cell, 0);
          pct_record_reader_append_field (reader, i, cell);
          csv_append (out, cell->str, FALSE);
          break;

        default:
          g_assert_not_reached ();
        }
    }
  g_string_append (out, "\r\n");
}

/* Streaming --------------------------------------------------------------- */

static gboolean
write_entity (PctStore               *store,
              const PctRecordEntity  *entity,
              PctExportFormat         format,
              Writer                 *writer,
              GError                **error)
{
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean first = TRUE;

  reader = pct_record_reader_new (store, entity, error);
  if (reader == NULL)
    return FALSE;

  switch (format)
    {
    case PCT_EXPORT_GEOJSON:
      g_string_append (writer->buf, "{\"type\":\"FeatureCollection\",\"features\":[\n");
      break;
    case PCT_EXPORT_CSV:
      csv_append_header (writer->buf, entity);
      break;
    case PCT_EXPORT_RECORDS:
    default:
      break;
    }

  while (pct_record_reader_next (reader, &local_error))
    {
      switch (format)
        {
        case PCT_EXPORT_GEOJSON:
          if (!first)
            g_string_append (writer->buf, ",\n");
          pct_record_reader_append_feature (reader, writer->buf);
          break;
        case PCT_EXPORT_CSV:
          csv_append_row (writer->buf, reader);
          break;
        case PCT_EXPORT_RECORDS:
        default:
          pct_record_reader_append_record (reader, writer->buf);
          g_string_append_c (writer->buf, '\n');
          break;
        }
      first = FALSE;
      writer_row_done (writer);
      if (!writer_flush (writer, FALSE, error))
        return FALSE;
    }

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (format == PCT_EXPORT_GEOJSON)
    g_string_append (writer->buf, first ? "]}\n" : "\n]}\n");
  return TRUE;
}

static gboolean
finish (Writer  *writer,
        GError **error)
{
  if (!writer_flush (writer, TRUE, error))
    return FALSE;
  if (writer->progress != NULL)
    writer->progress (_("Exporting"), writer->done, writer->total, writer->progress_data);
  return g_output_stream_flush (writer->out, NULL, error);
}

gboolean
pct_export_entity (PctStore         *store,
                   const char       *entity_name,
                   PctExportFormat   format,
                   GOutputStream    *out,
                   PctProgressFunc   progress,
                   gpointer          progress_data,
                   GError          **error)
{
  const PctRecordEntity *entity = pct_record_entity_lookup (entity_name);
  g_autoptr(GString) buf = g_string_sized_new (FLUSH_SIZE + 4096);
  Writer writer = {
    .out = out,
    .buf = buf,
    .progress = progress,
    .progress_data = progress_data,
  };
  gint64 total = 0;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);

  if (entity == NULL)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("Unknown entity “%s”"), entity_name);
      return FALSE;
    }

  if (progress != NULL && !pct_record_count (store, entity, &total, error))
    return FALSE;
  writer.total = (guint64) total;

  return write_entity (store, entity, format, &writer, error) && finish (&writer, error);
}

gboolean
pct_export_layer (PctStore         *store,
                  PctLayer          layer,
                  PctExportFormat   format,
                  GOutputStream    *out,
                  PctProgressFunc   progress,
                  gpointer          progress_data,
                  GError          **error)
{
  const PctRecordEntity *entity;

  g_return_val_if_fail (layer < PCT_N_LAYERS, FALSE);

  entity = pct_record_entity_for_layer (layer);
  return pct_export_entity (store, entity->name, format, out, progress, progress_data, error);
}

gboolean
pct_export_records (PctStore         *store,
                    GOutputStream    *out,
                    PctProgressFunc   progress,
                    gpointer          progress_data,
                    GError          **error)
{
  g_autoptr(GString) buf = g_string_sized_new (FLUSH_SIZE + 4096);
  Writer writer = {
    .out = out,
    .buf = buf,
    .progress = progress,
    .progress_data = progress_data,
  };
  const PctRecordEntity *entities;
  gboolean own_transaction;
  guint n_entities;
  gboolean ok = TRUE;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);

  entities = pct_record_entities (&n_entities);

  /* One read transaction, so that a writer on another connection cannot
   * slip a row in between an entity and the ones referencing it. */
  own_transaction = sqlite3_get_autocommit (pct_store_get_handle (store)) != 0;
  if (own_transaction && !pct_store_exec (store, "BEGIN DEFERRED", error))
    return FALSE;

  for (guint i = 0; i < n_entities && ok && progress != NULL; i++)
    {
      gint64 count = 0;

      ok = pct_record_count (store, &entities[i], &count, error);
      writer.total += (guint64) count;
    }

  for (guint i = 0; i < n_entities && ok; i++)
    ok = write_entity (store, &entities[i], PCT_EXPORT_RECORDS, &writer, error);

  if (own_transaction)
    pct_store_rollback (store);

  return ok && finish (&writer, error);
}
