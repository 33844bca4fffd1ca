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
 * Once checked, the text is built into a json-glib tree here rather than
 * by JsonParser, which spends most of its time in its scanner and signals
 * and would need a second walk of the tree to find doubled members: on
 * the fetcher thread, parsing is what keeps pace with applying.
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
  g_clear_pointer (&page->root, json_node_unref);
  g_free (page);
}

/* Building the tree ----------------------------------------------------- */

/* The text reaches the builder only once pct_record_check_json() has
 * found it strict JSON of bounded depth, so the builder need not say what
 * is wrong with malformed text, only refuse it; what it does check is
 * that no object names a member twice, which json-glib's parser would
 * let pass, keeping the last. Numbers are read as json-glib reads them:
 * integers without a fraction or exponent, doubles otherwise. */
typedef struct
{
  const char *p;
  const char *end;
  GString    *scratch;   /* the decoded text of the string last read */
  gboolean    duplicate;
} Builder;

static JsonNode *build_value (Builder *builder);

static void
skip_space (Builder *builder)
{
  while (builder->p < builder->end &&
         (*builder->p == ' ' || *builder->p == '\t' || *builder->p == '\n' ||
          *builder->p == '\r'))
    builder->p++;
}

static guint
hex4 (const char *p)
{
  guint value = 0;

  for (guint i = 0; i < 4; i++)
    value = value * 16 + (guint) g_ascii_xdigit_value (p[i]);
  return value;
}

/* Decodes the string at builder->p into builder->scratch. */
static gboolean
build_string (Builder *builder)
{
  const char *p = builder->p + 1;
  const char *run = p;

  g_string_truncate (builder->scratch, 0);
  while (p < builder->end && *p != '"')
    {
      gunichar code;
      char utf8[6];

      if (*p != '\\')
        {
          p++;
          continue;
        }

      g_string_append_len (builder->scratch, run, p - run);
      if (builder->end - p < 2)
        return FALSE;
      switch (p[1])
        {
        case 'b': g_string_append_c (builder->scratch, '\b'); p += 2; break;
        case 'f': g_string_append_c (builder->scratch, '\f'); p += 2; break;
        case 'n': g_string_append_c (builder->scratch, '\n'); p += 2; break;
        case 'r': g_string_append_c (builder->scratch, '\r'); p += 2; break;
        case 't': g_string_append_c (builder->scratch, '\t'); p += 2; break;
        case 'u':
          if (builder->end - p < 6)
            return FALSE;
          code = hex4 (p + 2);
          p += 6;
          if (code >= 0xD800 && code <= 0xDBFF)
            {
              if (builder->end - p < 6)
                return FALSE;
              code = 0x10000 + ((code - 0xD800) << 10) + (hex4 (p + 2) - 0xDC00);
              p += 6;
            }
          g_string_append_len (builder->scratch, utf8, g_unichar_to_utf8 (code, utf8));
          break;
        default:
          /* '"', '\\' and '/' stand for themselves. */
          g_string_append_c (builder->scratch, p[1]);
          p += 2;
          break;
        }
      run = p;
    }
  if (p >= builder->end)
    return FALSE;

  g_string_append_len (builder->scratch, run, p - run);
  builder->p = p + 1;
  return TRUE;
}

static JsonNode *
build_number (Builder *builder)
{
  const char *start = builder->p;
  const char *p = start;
  gboolean integral = TRUE;
  char buf[G_ASCII_DTOSTR_BUF_SIZE * 2];
  gsize len;

  while (p < builder->end &&
         (g_ascii_isdigit (*p) || *p == '-' || *p == '+' || *p == '.' || *p == 'e' ||
          *p == 'E'))
    {
      if (*p == '.' || *p == 'e' || *p == 'E')
        integral = FALSE;
      p++;
    }
  len = (gsize) (p - start);
  builder->p = p;

  if (len < sizeof buf)
    {
      memcpy (buf, start, len);
      buf[len] = '\0';
      if (integral)
        return json_node_init_int (json_node_alloc (), g_ascii_strtoll (buf, NULL, 10));
      return json_node_init_double (json_node_alloc (), g_ascii_strtod (buf, NULL));
    }
  else
    {
      g_autofree char *text = g_strndup (start, len);

      /* Integers this long were refused already. */
      return json_node_init_double (json_node_alloc (), g_ascii_strtod (text, NULL));
    }
}

static JsonNode *
build_object (Builder *builder)
{
  g_autoptr(JsonObject) object = json_object_new ();

  builder->p++;
  skip_space (builder);
  if (builder->p < builder->end && *builder->p == '}')
    {
      builder->p++;
      return json_node_init_object (json_node_alloc (), object);
    }

  for (;;)
    {
      char short_name[64];
      g_autofree char *long_name = NULL;
      const char *name;
      JsonNode *member;
      guint size;

      skip_space (builder);
      if (builder->p >= builder->end || *builder->p != '"' || !build_string (builder))
        return NULL;
      /* The value reuses the scratch text: the name is kept aside. */
      if (builder->scratch->len < sizeof short_name)
        name = memcpy (short_name, builder->scratch->str, builder->scratch->len + 1);
      else
        name = long_name = g_strndup (builder->scratch->str, builder->scratch->len);
      skip_space (builder);
      if (builder->p >= builder->end || *builder->p != ':')
        return NULL;
      builder->p++;

      member = build_value (builder);
      if (member == NULL)
        return NULL;
      /* A member of a name already there replaces the first. */
      size = json_object_get_size (object);
      json_object_set_member (object, name, member);
      if (json_object_get_size (object) == size)
        {
          builder->duplicate = TRUE;
          return NULL;
        }

      skip_space (builder);
      if (builder->p >= builder->end)
        return NULL;
      if (*builder->p == '}')
        {
          builder->p++;
          return json_node_init_object (json_node_alloc (), object);
        }
      if (*builder->p != ',')
        return NULL;
      builder->p++;
    }
}

static JsonNode *
build_array (Builder *builder)
{
  g_autoptr(JsonArray) array = json_array_new ();

  builder->p++;
  skip_space (builder);
  if (builder->p < builder->end && *builder->p == ']')
    {
      builder->p++;
      return json_node_init_array (json_node_alloc (), array);
    }

  for (;;)
    {
      JsonNode *element = build_value (builder);

      if (element == NULL)
        return NULL;
      json_array_add_element (array, element);

      skip_space (builder);
      if (builder->p >= builder->end)
        return NULL;
      if (*builder->p == ']')
        {
          builder->p++;
          return json_node_init_array (json_node_alloc (), array);
        }
      if (*builder->p != ',')
        return NULL;
      builder->p++;
    }
}

static gboolean
build_literal (Builder    *builder,
               const char *literal)
{
  gsize len = strlen (literal);

  if ((gsize) (builder->end - builder->p) < len || memcmp (builder->p, literal, len) != 0)
    return FALSE;
  builder->p += len;
  return TRUE;
}

static JsonNode *
build_value (Builder *builder)
{
  skip_space (builder);
  if (builder->p >= builder->end)
    return NULL;

  switch (*builder->p)
    {
    case '{':
      return build_object (builder);
    case '[':
      return build_array (builder);
    case '"':
      if (!build_string (builder))
        return NULL;
      return json_node_init_string (json_node_alloc (), builder->scratch->str);
    case 't':
      return build_literal (builder, "true") ? json_node_init_boolean (json_node_alloc (), TRUE)
                                             : NULL;
    case 'f':
      return build_literal (builder, "false") ? json_node_init_boolean (json_node_alloc (), FALSE)
                                              : NULL;
    case 'n':
      return build_literal (builder, "null") ? json_node_init_null (json_node_alloc ()) : NULL;
    default:
      if (*builder->p == '-' || g_ascii_isdigit (*builder->p))
        return build_number (builder);
      return NULL;
    }
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
is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
read_members (PctSyncPage  *page,
              JsonObject   *object,
              GError      **error)
{
  JsonNode *cursor = json_object_get_member (object, "cursor");
  JsonNode *has_more = json_object_get_member (object, "has_more");
  JsonNode *records = json_object_get_member (object, "records");
  JsonNode *total = json_object_get_member (object, "total");

  if (cursor == NULL)
    return invalid (error, _("it has no “cursor”"));
  if (!is_string (cursor))
    return invalid (error, _("its “cursor” is not a string"));
  if (*json_node_get_string (cursor) == '\0' ||
      strlen (json_node_get_string (cursor)) > MAX_CURSOR_BYTES)
    return invalid (error, _("its “cursor” is empty or longer than %d bytes"), MAX_CURSOR_BYTES);

  if (has_more == NULL)
    return invalid (error, _("it has no “has_more”"));
  if (!JSON_NODE_HOLDS_VALUE (has_more) || json_node_get_value_type (has_more) != G_TYPE_BOOLEAN)
    return invalid (error, _("its “has_more” is not true or false"));

  if (records == NULL)
    return invalid (error, _("it has no “records”"));
  if (!JSON_NODE_HOLDS_ARRAY (records))
    return invalid (error, _("its “records” is not an array"));

  if (total != NULL && !JSON_NODE_HOLDS_NULL (total))
    {
      if (!JSON_NODE_HOLDS_VALUE (total) || json_node_get_value_type (total) != G_TYPE_INT64 ||
          json_node_get_int (total) < 0)
        return invalid (error, _("its “total” is not a count"));
      page->total = json_node_get_int (total);
    }

  page->cursor = g_strdup (json_node_get_string (cursor));
  page->has_more = json_node_get_boolean (has_more);
  page->records = json_node_get_array (records);
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
  g_autoptr(GString) scratch = g_string_sized_new (256);
  Builder builder = { text, text + length, scratch, FALSE };
  const char *bad = NULL;
  guint n_records;

  page->total = -1;
  page->bytes = length;

  if (length == 0)
    return invalid (error, _("it is empty")), NULL;

  /* NUL bytes fail this too. */
  if (!g_utf8_validate_len (text, length, &bad))
    return invalid (error, _("it is not valid UTF-8 at byte %" PRIu64),
                    (guint64) (bad - text) + 1), NULL;

  if (!pct_record_check_json (text, length, NULL, &local_error))
    return invalid (error, "%s", local_error->message), NULL;

  /* A page saying two things at once under one name is refused. */
  page->root = build_value (&builder);
  if (page->root == NULL && builder.duplicate)
    return invalid (error, _("a member appears twice in one object")), NULL;
  if (page->root == NULL || !JSON_NODE_HOLDS_OBJECT (page->root))
    return invalid (error, _("it is not a JSON object")), NULL;

  if (!read_members (page, json_node_get_object (page->root), error))
    return NULL;

  n_records = json_array_get_length (page->records);
  for (guint i = 0; i < n_records; i++)
    {
      if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (page->records, i)))
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
