/* pct-import.c — loading JSON-lines records and GeoJSON into the store
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input is read in fixed chunks and never held whole: a JSON-lines file is
 * cut into lines of at most PCT_RECORD_MAX_BYTES (a longer line is skipped
 * to its end and rejected), and a FeatureCollection is walked byte by byte
 * so that only one feature at a time is parsed. What a record means is
 * pct-record's business; this file only feeds it and keeps the report.
 */

#define G_LOG_DOMAIN "pct-import"

#include "config.h"

#include <inttypes.h>

#include <string.h>

#include <glib/gi18n-lib.h>

#include "pct-import.h"
#include "pct-record.h"

#define CHUNK_SIZE (64 * 1024)

/* Keys of a FeatureCollection's top level are short; a longer one is not
 * one we look for and is skipped unread. */
#define MAX_KEY_BYTES 64

typedef enum
{
  CAPTURE_OK,
  CAPTURE_END,      /* the input ended inside the value */
  CAPTURE_FAILED,   /* a read error, in error */
} CaptureResult;

typedef struct
{
  PctStore        *store;
  PctImportReport *report;
  PctRecordBatch  *batch;
  guint64          accepted_before;  /* in the report before this import */
  JsonParser      *parser;
  GInputStream    *in;
  const char      *name;

  guchar          *buf;
  gsize            len;
  gsize            pos;
  gboolean         eof;

  guint64          offset;    /* bytes consumed */
  guint64          size;      /* expected bytes, or 0 */
  guint64          line;      /* 1-based line of the next byte */
  guint64          parsed;    /* well-formed records: objects naming an entity, or features */
  guint            in_transaction;  /* records given since the last commit */
  gboolean         own_transaction;

  PctProgressFunc  progress;
  gpointer         progress_data;
} Importer;

G_DEFINE_QUARK (pct-import-error-quark, pct_import_error)

static void
rejection_free (PctImportRejection *rejection)
{
  g_free (rejection->entity);
  g_free (rejection->key);
  g_free (rejection->reason);
  g_free (rejection);
}

PctImportReport *
pct_import_report_new (void)
{
  PctImportReport *report = g_new0 (PctImportReport, 1);

  report->rejections = g_ptr_array_new_with_free_func ((GDestroyNotify) rejection_free);
  return report;
}

void
pct_import_report_free (PctImportReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->rejections);
  g_free (report);
}

static void
reject (Importer          *self,
        guint64            line,
        const PctJsonNode *record,
        const char        *reason)
{
  PctImportRejection *rejection;

  self->report->rejected++;
  if (self->report->rejections->len >= PCT_IMPORT_MAX_REJECTIONS)
    return;

  rejection = g_new0 (PctImportRejection, 1);
  rejection->line = line;
  rejection->reason = g_strdup (reason);
  if (record != NULL)
    pct_record_describe (record, &rejection->entity, &rejection->key);
  g_ptr_array_add (self->report->rejections, rejection);
}

/* A rejection found here rather than by the batch: the records queued
 * before it are written first, so that any of them refused is reported
 * before it, in the order of the file. */
static gboolean
reject_now (Importer    *self,
            guint64      line,
            JsonNode    *record,
            const char  *reason,
            GError     **error)
{
  g_autoptr(PctJson) json = record != NULL ? pct_json_new_from_node (record) : NULL;

  if (!pct_record_batch_flush (self->batch, error))
    return FALSE;
  reject (self, line, json != NULL ? pct_json_get_root (json) : NULL, reason);
  return TRUE;
}

static void
report_progress (Importer *self)
{
  if (self->progress != NULL)
    self->progress (_("Importing"), self->offset, self->size, self->progress_data);
}

static void
record_rejected_cb (guint64             line,
                    const PctJsonNode  *record,
                    const char         *reason,
                    gpointer            user_data)
{
  reject (user_data, line, record, reason);
}

static gboolean
end_batch (Importer  *self,
           gboolean   more,
           GError   **error)
{
  if (!pct_record_batch_flush (self->batch, error))
    return FALSE;
  self->report->accepted = self->accepted_before + pct_record_batch_get_applied (self->batch);

  if (self->own_transaction)
    {
      if (!pct_store_commit (self->store, error))
        return FALSE;
      if (more && !pct_store_begin (self->store, error))
        return FALSE;
    }
  self->in_transaction = 0;
  report_progress (self);
  return TRUE;
}

/* FALSE only for a failure of the store; a bad record is reported. */
static gboolean
import_record (Importer           *self,
               PctJson            *json,
               const PctJsonNode  *record,
               guint64             line,
               GError            **error)
{
  if (!pct_record_batch_add_json (self->batch, json, record, line, error))
    return FALSE;

  if (++self->in_transaction >= PCT_IMPORT_BATCH_SIZE)
    return end_batch (self, TRUE, error);
  return TRUE;
}

static gboolean
import_feature (Importer    *self,
                const char  *text,
                gsize        length,
                guint64      line,
                GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) record = NULL;
  g_autoptr(PctJson) json = NULL;
  g_autoptr(GError) local_error = NULL;

  root = pct_record_parse (self->parser, text, length, &local_error);
  if (root == NULL)
    return reject_now (self, line, NULL, local_error->message, error);
  self->parsed++;

  record = pct_record_from_feature (json_node_get_object (root), &local_error);
  if (record == NULL)
    {
      JsonNode *properties = json_object_get_member (json_node_get_object (root), "properties");

      return reject_now (self, line,
                         properties != NULL && JSON_NODE_HOLDS_OBJECT (properties)
                         ? properties : NULL,
                         local_error->message, error);
    }
  json = pct_json_new_from_node (record);
  return import_record (self, json, pct_json_get_root (json), line, error);
}

/* Parses one record's text and imports it. */
static gboolean
import_text (Importer    *self,
             const char  *text,
             gsize        length,
             guint64      line,
             gboolean     feature,
             GError     **error)
{
  g_autoptr(PctJson) json = NULL;
  g_autoptr(GError) local_error = NULL;
  const PctJsonNode *root;

  if (feature)
    return import_feature (self, text, length, line, error);

  json = pct_record_parse_json (text, length, &local_error);
  if (json == NULL)
    return reject_now (self, line, NULL, local_error->message, error);

  /* A line that is JSON but names no entity does not make the file one of
   * records: a file of nothing else is refused as a whole. */
  root = pct_json_get_root (json);
  if (pct_json_object_get_member (root, "entity") != NULL)
    self->parsed++;

  return import_record (self, json, root, line, error);
}

/* Reading ----------------------------------------------------------------- */

static gboolean
fill (Importer  *self,
      GError   **error)
{
  gssize n;

  if (self->pos < self->len || self->eof)
    return TRUE;

  n = g_input_stream_read (self->in, self->buf, CHUNK_SIZE, NULL, error);
  if (n < 0)
    return FALSE;
  self->len = (gsize) n;
  self->pos = 0;
  self->eof = n == 0;
  return TRUE;
}

/* The next byte without consuming it: -1 at the end, -2 on error. */
static int
peek_byte (Importer  *self,
           GError   **error)
{
  if (!fill (self, error))
    return -2;
  return self->pos < self->len ? self->buf[self->pos] : -1;
}

static void
consume_byte (Importer *self)
{
  if (self->buf[self->pos] == '\n')
    self->line++;
  self->pos++;
  self->offset++;
}

static int
skip_space (Importer  *self,
            GError   **error)
{
  int c;

  while ((c = peek_byte (self, error)) == ' ' || c == '\t' || c == '\n' || c == '\r')
    consume_byte (self);
  return c;
}

/* Reads one line, without its end. A line longer than the record limit is
 * read to its end but not kept: *too_long is set instead. Returns FALSE at
 * the end of the input or on error. */
static gboolean
read_line (Importer  *self,
           GString   *line,
           gboolean  *too_long,
           GError   **error)
{
  gboolean any = FALSE;

  g_string_truncate (line, 0);
  *too_long = FALSE;

  for (;;)
    {
      const guchar *start;
      const guchar *nl;
      gsize n;

      if (!fill (self, error))
        return FALSE;
      if (self->pos == self->len)
        {
          if (any)
            self->line++;
          return any;
        }

      any = TRUE;
      start = self->buf + self->pos;
      nl = memchr (start, '\n', self->len - self->pos);
      n = nl != NULL ? (gsize) (nl - start) : self->len - self->pos;

      if (!*too_long)
        {
          if (line->len + n > PCT_RECORD_MAX_BYTES)
            {
              *too_long = TRUE;
              g_string_truncate (line, 0);
            }
          else
            g_string_append_len (line, (const char *) start, n);
        }

      self->pos += n;
      self->offset += n;
      if (nl != NULL)
        {
          self->pos++;
          self->offset++;
          self->line++;
          return TRUE;
        }
    }
}

static gboolean
is_blank (const GString *line)
{
  for (gsize i = 0; i < line->len; i++)
    {
      char c = line->str[i];

      if (c != ' ' && c != '\t' && c != '\r')
        return FALSE;
    }
  return TRUE;
}

static gboolean
import_lines (Importer  *self,
              GError   **error)
{
  g_autoptr(GString) line = g_string_sized_new (4096);
  g_autoptr(GError) local_error = NULL;
  gboolean too_long;

  for (;;)
    {
      guint64 number = self->line;

      if (!read_line (self, line, &too_long, &local_error))
        {
          if (local_error != NULL)
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                          _("Cannot read %s: "), self->name);
              return FALSE;
            }
          break;
        }

      if (too_long)
        {
          g_autofree char *reason = g_strdup_printf (_("The line is longer than %d bytes"),
                                                     PCT_RECORD_MAX_BYTES);

          if (!reject_now (self, number, NULL, reason, error))
            return FALSE;
          continue;
        }

      if (line->len > 0 && line->str[line->len - 1] == '\r')
        g_string_truncate (line, line->len - 1);
      if (is_blank (line))
        continue;

      if (!import_text (self, line->str, line->len, number, FALSE, error))
        return FALSE;
    }

  if (self->parsed == 0)
    {
      if (self->report->rejected == 0)
        g_set_error (error, PCT_IMPORT_ERROR, PCT_IMPORT_ERROR_EMPTY,
                     _("%s holds no records"), self->name);
      else
        g_set_error (error, PCT_IMPORT_ERROR, PCT_IMPORT_ERROR_NOT_RECORDS,
                     _("%s is neither JSON lines nor GeoJSON: no line of it is a record"),
                     self->name);
      return FALSE;
    }

  return TRUE;
}

/* GeoJSON ----------------------------------------------------------------- */

/* Reads one JSON value's bytes, following only strings and brackets; the
 * strict check comes later, on the text kept. Up to cap bytes are kept in
 * out (when out is not NULL); past that *too_long is set and the rest is
 * read and dropped. */
static CaptureResult
capture_value (Importer  *self,
               GString   *out,
               gsize      cap,
               gboolean  *too_long,
               GError   **error)
{
  guint64 depth = 0;
  gboolean in_string = FALSE;
  gboolean escaped = FALSE;
  int c;

  *too_long = FALSE;
  if (out != NULL)
    g_string_truncate (out, 0);

  c = skip_space (self, error);
  while (c >= 0)
    {
      gboolean done = FALSE;

      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            {
              in_string = FALSE;
              done = depth == 0;
            }
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']' || c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
        {
          /* A delimiter ends a bare value without being part of it. */
          if (depth == 0)
            return CAPTURE_OK;
          if (c == '}' || c == ']')
            done = --depth == 0;
        }

      if (out != NULL && !*too_long)
        {
          if (out->len >= cap)
            {
              *too_long = TRUE;
              g_string_truncate (out, 0);
            }
          else
            g_string_append_c (out, (char) c);
        }
      consume_byte (self);
      if (done)
        return CAPTURE_OK;

      c = peek_byte (self, error);
    }

  if (c == -2)
    return CAPTURE_FAILED;
  /* A bare number or literal may end with the input. */
  return depth == 0 && !in_string && out != NULL && out->len > 0 ? CAPTURE_OK : CAPTURE_END;
}

static gboolean
not_geojson (Importer    *self,
             const char  *why,
             GError     **error)
{
  g_set_error (error, PCT_IMPORT_ERROR, PCT_IMPORT_ERROR_NOT_RECORDS,
               _("%s is neither JSON lines nor GeoJSON: %s"), self->name, why);
  return FALSE;
}

static gboolean
read_failed (Importer  *self,
             GError   **error,
             GError    *local_error)
{
  g_propagate_prefixed_error (error, local_error, _("Cannot read %s: "), self->name);
  return FALSE;
}

/* Reads the features array, one feature at a time. Once features have
 * started, a break in the document is a rejection at its line, not a
 * failure of the whole file: what came before it has been imported. */
static gboolean
import_features (Importer  *self,
                 GError   **error)
{
  g_autoptr(GString) text = g_string_sized_new (4096);
  g_autoptr(GError) local_error = NULL;
  guint64 index = 0;
  gboolean too_long;
  int c;

  consume_byte (self);   /* the '[' */
  c = skip_space (self, &local_error);
  if (c == ']')
    {
      consume_byte (self);
      return TRUE;
    }

  for (;;)
    {
      guint64 start = self->line;
      CaptureResult result;

      if (c == -2)
        return read_failed (self, error, g_steal_pointer (&local_error));

      index++;
      result = capture_value (self, text, PCT_RECORD_MAX_BYTES, &too_long, &local_error);
      if (result == CAPTURE_FAILED)
        return read_failed (self, error, g_steal_pointer (&local_error));
      if (result == CAPTURE_END)
        {
          g_autofree char *reason = g_strdup_printf (_("The file ends inside feature %"
                                                       PRIu64), index);

          return reject_now (self, start, NULL, reason, error);
        }

      if (too_long)
        {
          g_autofree char *reason = g_strdup_printf (_("Feature %" PRIu64 " is longer "
                                                       "than %d bytes"),
                                                     index, PCT_RECORD_MAX_BYTES);

          if (!reject_now (self, start, NULL, reason, error))
            return FALSE;
        }
      else if (!import_text (self, text->str, text->len, start, TRUE, error))
        return FALSE;

      c = skip_space (self, &local_error);
      if (c == ',')
        {
          consume_byte (self);
          c = skip_space (self, &local_error);
          continue;
        }
      if (c == ']')
        {
          consume_byte (self);
          return TRUE;
        }
      if (c == -2)
        return read_failed (self, error, g_steal_pointer (&local_error));

      {
        g_autofree char *reason =
          c == -1 ? g_strdup (_("The file ends before the list of features does"))
                  : g_strdup_printf (_("“,” or “]” expected after feature %" PRIu64
                                       "; the rest of the file is skipped"), index);
        return reject_now (self, self->line, NULL, reason, error);
      }
    }
}

static gboolean
import_geojson (Importer  *self,
                GError   **error)
{
  g_autoptr(GString) key = g_string_new (NULL);
  g_autoptr(GString) value = g_string_new (NULL);
  g_autoptr(GError) local_error = NULL;
  gboolean features_seen = FALSE;
  gboolean too_long;
  int c;

  c = skip_space (self, &local_error);
  if (c == -2)
    return read_failed (self, error, g_steal_pointer (&local_error));
  consume_byte (self);   /* the '{', as sniffed */

  for (;;)
    {
      gboolean is_features;
      CaptureResult result;

      c = skip_space (self, &local_error);
      if (c == -2)
        return read_failed (self, error, g_steal_pointer (&local_error));
      if (c == '}')
        break;
      if (c != '"')
        return not_geojson (self, _("a member name was expected"), error);

      result = capture_value (self, key, MAX_KEY_BYTES, &too_long, &local_error);
      if (result == CAPTURE_FAILED)
        return read_failed (self, error, g_steal_pointer (&local_error));
      if (result == CAPTURE_END)
        return not_geojson (self, _("the text ends early"), error);

      c = skip_space (self, &local_error);
      if (c != ':')
        return not_geojson (self, _("“:” expected after a member name"), error);
      consume_byte (self);

      is_features = !too_long && strcmp (key->str, "\"features\"") == 0;
      c = skip_space (self, &local_error);
      if (is_features)
        {
          if (c != '[')
            return not_geojson (self, _("“features” is not an array"), error);
          features_seen = TRUE;
          if (!import_features (self, error))
            return FALSE;
        }
      else
        {
          gboolean is_type = !too_long && strcmp (key->str, "\"type\"") == 0;

          result = capture_value (self, is_type ? value : NULL, MAX_KEY_BYTES, &too_long,
                                  &local_error);
          if (result == CAPTURE_FAILED)
            return read_failed (self, error, g_steal_pointer (&local_error));
          if (result == CAPTURE_END)
            {
              if (features_seen)
                break;
              return not_geojson (self, _("the text ends early"), error);
            }
          if (is_type && !features_seen && strcmp (value->str, "\"FeatureCollection\"") != 0)
            return not_geojson (self, _("GeoJSON other than a FeatureCollection"), error);
        }

      c = skip_space (self, &local_error);
      if (c == ',')
        {
          consume_byte (self);
          continue;
        }
      if (c == '}' || c == -1)
        break;
      if (c == -2)
        return read_failed (self, error, g_steal_pointer (&local_error));
      if (features_seen)
        break;
      return not_geojson (self, _("“,” or “}” expected"), error);
    }

  if (!features_seen)
    return not_geojson (self, _("a JSON object without “entity” or “features”"), error);
  return TRUE;
}

/* Recognising the input --------------------------------------------------- */

typedef enum
{
  KIND_EMPTY,
  KIND_LINES,
  KIND_GEOJSON,
  KIND_OTHER,
} InputKind;

/* Looks at the first chunk only: a record line starts with '{' and names
 * an entity; a FeatureCollection starts with '{' too, but its first line is
 * rarely a whole object (pretty-printed) and it says what it is early. */
static InputKind
sniff (Importer  *self,
       GError   **error)
{
  const guchar *p;
  const guchar *end;
  const guchar *nl;
  g_autoptr(JsonNode) root = NULL;

  if (!fill (self, error))
    return KIND_OTHER;

  if (self->len - self->pos >= 3 && memcmp (self->buf + self->pos, "\xef\xbb\xbf", 3) == 0)
    {
      self->pos += 3;
      self->offset += 3;
    }

  p = self->buf + self->pos;
  end = self->buf + self->len;
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  if (p == end)
    return self->len == 0 ? KIND_EMPTY : KIND_LINES;
  if (*p != '{')
    return KIND_OTHER;

  nl = memchr (p, '\n', end - p);
  if (nl != NULL || self->len < CHUNK_SIZE)
    {
      gsize n = (nl != NULL ? nl : end) - p;

      root = pct_record_parse (self->parser, (const char *) p, n, NULL);
    }
  if (root != NULL)
    {
      JsonObject *object = json_node_get_object (root);
      JsonNode *type = json_object_get_member (object, "type");

      if (!json_object_has_member (object, "entity") && type != NULL
          && JSON_NODE_HOLDS_VALUE (type) && json_node_get_value_type (type) == G_TYPE_STRING
          && strcmp (json_node_get_string (type), "FeatureCollection") == 0)
        return KIND_GEOJSON;
      return KIND_LINES;
    }

  /* A first line too long for the chunk, or a pretty-printed document:
   * whichever member name comes first decides. */
  {
    const char *head = (const char *) p;
    const char *entity = g_strstr_len (head, end - p, "\"entity\"");
    const char *features = g_strstr_len (head, end - p, "\"features\"");
    const char *collection = g_strstr_len (head, end - p, "\"FeatureCollection\"");
    const char *geojson = features == NULL ? collection
                          : collection == NULL ? features
                          : MIN (features, collection);

    if (geojson != NULL && (entity == NULL || geojson < entity))
      return KIND_GEOJSON;
  }
  return KIND_LINES;
}

gboolean
pct_import_stream (PctStore          *store,
                   GInputStream      *stream,
                   const char        *name,
                   guint64            size,
                   PctImportReport   *report,
                   PctProgressFunc    progress,
                   gpointer           progress_data,
                   GError           **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(PctRecordBatch) batch = NULL;
  g_autofree guchar *buf = g_malloc (CHUNK_SIZE);
  g_autoptr(GError) local_error = NULL;
  Importer self = {
    .store = store,
    .report = report,
    .parser = parser,
    .in = stream,
    .name = name != NULL ? name : "-",
    .buf = buf,
    .size = size,
    .line = 1,
    .progress = progress,
    .progress_data = progress_data,
  };
  InputKind kind;
  gboolean ok;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (report != NULL, FALSE);

  kind = sniff (&self, &local_error);
  switch (kind)
    {
    case KIND_EMPTY:
      g_set_error (error, PCT_IMPORT_ERROR, PCT_IMPORT_ERROR_EMPTY,
                   _("%s is empty"), self.name);
      return FALSE;
    case KIND_OTHER:
      if (local_error != NULL)
        return read_failed (&self, error, g_steal_pointer (&local_error));
      g_set_error (error, PCT_IMPORT_ERROR, PCT_IMPORT_ERROR_NOT_RECORDS,
                   _("%s is neither JSON lines nor GeoJSON"), self.name);
      return FALSE;
    case KIND_LINES:
    case KIND_GEOJSON:
    default:
      break;
    }

  batch = pct_record_batch_new (store, record_rejected_cb, &self);
  self.batch = batch;
  self.accepted_before = report->accepted;

  /* Inside a caller's transaction the batches are the caller's too. */
  self.own_transaction = sqlite3_get_autocommit (pct_store_get_handle (store)) != 0;
  if (self.own_transaction && !pct_store_begin (store, error))
    return FALSE;

  report_progress (&self);
  if (kind == KIND_GEOJSON)
    ok = import_geojson (&self, &local_error);
  else
    ok = import_lines (&self, &local_error);

  if (!ok)
    {
      /* Keep the records of this batch that were fine: the file failed,
       * not they. After a failure of the store there is nothing to keep. */
      if (local_error->domain == PCT_STORE_ERROR)
        {
          if (self.own_transaction)
            pct_store_rollback (store);
        }
      else
        end_batch (&self, FALSE, NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return end_batch (&self, FALSE, error);
}

gboolean
pct_import_file (PctStore          *store,
                 const char        *path,
                 PctImportReport   *report,
                 PctProgressFunc    progress,
                 gpointer           progress_data,
                 GError           **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *name = NULL;
  guint64 size = 0;

  g_return_val_if_fail (path != NULL, FALSE);

  file = g_file_new_for_path (path);
  name = g_file_get_parse_name (file);
  in = g_file_read (file, NULL, error);
  if (in == NULL)
    return FALSE;

  info = g_file_input_stream_query_info (in, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
  if (info != NULL)
    size = (guint64) g_file_info_get_size (info);

  return pct_import_stream (store, G_INPUT_STREAM (in), name, size, report, progress,
                            progress_data, error);
}
