/* pct-sync-page.c — checking and parsing one page of the changes feed
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A page is refused whole, before anything of it is applied, when it is
 * not what docs/api.md describes: text that is not UTF-8, not one strict
 * JSON value (the checker records use, so nesting deeper than 16 levels,
 * NUL escapes and numbers beyond 64 bits are refused too), a member twice
 * in one object, members of the wrong type, or a page that claims more is
 * to come without moving its cursor or without any record — a server
 * answering like that would otherwise keep the client asking forever.
 * Whether each record is a valid one is for pct_record to say when the
 * page is applied.
 *
 * Once checked, the text is built into a compact document (pct-json.c),
 * which finds doubled members as it goes: on the fetcher thread, parsing
 * is what keeps pace with applying, and the records are read straight
 * from that document when they are applied.
 */

#define G_LOG_DOMAIN "pct-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "pct-record.h"
#include "pct-sync-private.h"

/* A cursor is a short opaque text; a longer one is not a cursor. */
#define MAX_CURSOR_BYTES 4096

void
_pct_sync_page_free (PctSyncPage *page)
{
  if (page == NULL)
    return;
  g_free (page->cursor);
  g_clear_pointer (&page->converted, g_ptr_array_unref);
  g_clear_pointer (&page->json, pct_json_unref);
  g_free (page);
}

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;
  g_autofree char *reason = NULL;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
               _("The server sent a page of changes that is not valid, and none of it was "
                 "applied: %s"), reason);
  return FALSE;
}

static gboolean
read_members (PctSyncPage        *page,
              const PctJsonNode  *object,
              GError            **error)
{
  const PctJsonNode *cursor = pct_json_object_get_member (object, "cursor");
  const PctJsonNode *has_more = pct_json_object_get_member (object, "has_more");
  const PctJsonNode *records = pct_json_object_get_member (object, "records");
  const PctJsonNode *total = pct_json_object_get_member (object, "total");

  if (cursor == NULL)
    return invalid (error, _("it has no “cursor”"));
  if (cursor->type != PCT_JSON_STRING)
    return invalid (error, _("its “cursor” is not a string"));
  if (cursor->v.string.len == 0 || cursor->v.string.len > MAX_CURSOR_BYTES)
    return invalid (error, _("its “cursor” is empty or longer than %d bytes"), MAX_CURSOR_BYTES);

  if (has_more == NULL)
    return invalid (error, _("it has no “has_more”"));
  if (has_more->type != PCT_JSON_BOOLEAN)
    return invalid (error, _("its “has_more” is not true or false"));

  if (records == NULL)
    return invalid (error, _("it has no “records”"));
  if (records->type != PCT_JSON_ARRAY)
    return invalid (error, _("its “records” is not an array"));

  if (total != NULL && total->type != PCT_JSON_NULL)
    {
      if (total->type != PCT_JSON_INTEGER || total->v.integer < 0)
        return invalid (error, _("its “total” is not a count"));
      page->total = total->v.integer;
    }

  page->cursor = g_strdup (cursor->v.string.str);
  page->has_more = has_more->v.boolean;
  page->records = records;
  return TRUE;
}

PctSyncPage *
_pct_sync_page_parse (const char  *text,
                      gsize        length,
                      const char  *request_cursor,
                      const char  *header_cursor,
                      GError     **error)
{
  g_autoptr(PctSyncPage) page = g_new0 (PctSyncPage, 1);
  g_autoptr(GError) local_error = NULL;
  const PctJsonNode *root;
  const PctJsonNode *record;
  const char *bad = NULL;
  guint n_records;

  page->total = -1;
  page->bytes = length;

  if (length == 0)
    return invalid (error, _("it is empty")), NULL;

  page->json = pct_json_new_from_text (text, length, PCT_RECORD_MAX_DEPTH);
  if (page->json == NULL)
    {
      /* Refused: the slower checks say why. NUL bytes fail the first. */
      if (!g_utf8_validate_len (text, length, &bad))
        return invalid (error, _("it is not valid UTF-8 at byte %" PRIu64),
                        (guint64) (bad - text) + 1), NULL;
      if (!pct_record_check_json (text, length, NULL, &local_error))
        return invalid (error, "%s", local_error->message), NULL;
      /* A page saying two things at once under one name. */
      return invalid (error, _("a member appears twice in one object")), NULL;
    }
  root = pct_json_get_root (page->json);
  if (root->type != PCT_JSON_OBJECT)
    return invalid (error, _("it is not a JSON object")), NULL;

  if (!read_members (page, root, error))
    return NULL;

  n_records = page->records->n_children;
  record = pct_json_node_first_child (page->records);
  for (guint i = 0; i < n_records; i++, record = pct_json_node_next (record))
    {
      if (record->type != PCT_JSON_OBJECT)
        return invalid (error, _("record %u is not a JSON object"), i + 1), NULL;
    }

  if (page->has_more && n_records == 0)
    return invalid (error, _("it says more is to come but holds no record")), NULL;

  if (page->has_more && g_strcmp0 (page->cursor, request_cursor) == 0)
    return invalid (error, _("it says more is to come but its cursor did not move")), NULL;

  if (header_cursor != NULL && !g_str_equal (header_cursor, page->cursor))
    return invalid (error, _("its Precinct-Cursor header and its “cursor” differ")), NULL;

  return g_steal_pointer (&page);
}
