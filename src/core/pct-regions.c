/* pct-regions.c — the GB/T 2260 administrative division table
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pct-regions"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pct-core-resources.h"
#include "pct-regions.h"

#define REGIONS_RESOURCE_PATH "/org/precinct/Precinct/core/regions.tsv"
#define REGION_CODE_LENGTH    6

typedef struct
{
  /* PctRegion, sorted by code; never resized after loading, so pointers into
   * it stay valid for the life of the process. */
  GArray       *regions;
  /* code → PctRegion *, borrowed from regions */
  GHashTable   *by_code;
  /* Owns every string the regions point to. */
  GStringChunk *strings;
  /* Indexed by the two-digit province prefix. */
  gboolean      provinces[100];
} PctRegionTable;

/* GB/T 2260 groups the districts and counties of a municipality (and the
 * county-level divisions a province administers directly) under placeholder
 * entries that are not places; a display name must leave them out. */
static const char * const grouping_names[] = {
  "市辖区",
  "县",
  "省直辖县级行政区划",
  "自治区直辖县级行政区划",
};

static gboolean
is_region_code (const char *s)
{
  for (guint i = 0; i < REGION_CODE_LENGTH; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
    }

  return s[REGION_CODE_LENGTH] == '\0';
}

static int
compare_regions (gconstpointer a,
                 gconstpointer b)
{
  const PctRegion *ra = a;
  const PctRegion *rb = b;

  return strcmp (ra->code, rb->code);
}

/* Parses one non-comment line into region. Returns FALSE, with a reason,
 * when the line is malformed; the table is ours, so a bad line is a bug in
 * the data file, reported loudly but not allowed to take the others down. */
static gboolean
parse_line (PctRegionTable  *table,
            char            *line,
            PctRegion       *region,
            const char     **reason)
{
  g_auto(GStrv) fields = g_strsplit (line, "\t", 0);
  guint n_fields = g_strv_length (fields);

  for (guint i = 0; i < n_fields; i++)
    g_strstrip (fields[i]);

  /* An editor that trims trailing whitespace turns "code\tname\t" into
   * "code\tname", so a missing third column means no parent. */
  if (n_fields < 2 || n_fields > 3)
    {
      *reason = "expected two or three tab-separated columns";
      return FALSE;
    }

  if (!is_region_code (fields[0]))
    {
      *reason = "the code is not six digits";
      return FALSE;
    }

  if (fields[1][0] == '\0' || !g_utf8_validate (fields[1], -1, NULL))
    {
      *reason = "the name is empty or not UTF-8";
      return FALSE;
    }

  if (n_fields == 3 && fields[2][0] != '\0' && !is_region_code (fields[2]))
    {
      *reason = "the parent code is not six digits";
      return FALSE;
    }

  if (n_fields == 3 && strcmp (fields[0], fields[2]) == 0)
    {
      *reason = "the region is its own parent";
      return FALSE;
    }

  region->code = g_string_chunk_insert_const (table->strings, fields[0]);
  region->name = g_string_chunk_insert_const (table->strings, fields[1]);
  if (n_fields == 3 && fields[2][0] != '\0')
    region->parent_code = g_string_chunk_insert_const (table->strings, fields[2]);
  else
    region->parent_code = NULL;

  return TRUE;
}

static void
parse_table (PctRegionTable *table,
             const char     *data,
             gsize           size)
{
  const char *p = data;
  const char *end = data + size;
  guint line_number = 0;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  /* A UTF-8 byte order mark would otherwise glue itself to the first code. */
  if (size >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;

  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      g_autofree char *line = NULL;
      const char *reason = NULL;
      PctRegion region;

      if (eol == NULL)
        eol = end;

      line = g_strndup (p, eol - p);
      p = eol + 1;
      line_number++;

      /* This also drops the '\r' of CRLF line ends. */
      g_strstrip (line);
      if (line[0] == '\0' || line[0] == '#')
        continue;

      if (!parse_line (table, line, &region, &reason))
        {
          g_warning ("regions.tsv:%u: %s; line skipped", line_number, reason);
          continue;
        }

      /* The first entry wins, so appending a correction does not work:
       * edit the line instead. */
      if (!g_hash_table_add (seen, (gpointer) region.code))
        {
          g_warning ("regions.tsv:%u: code %s appears earlier; line skipped",
                     line_number, region.code);
          continue;
        }

      g_array_append_val (table->regions, region);
    }

  g_array_sort (table->regions, compare_regions);

  /* The hash table is filled only now because appending may have moved the
   * array's storage. */
  for (guint i = 0; i < table->regions->len; i++)
    {
      PctRegion *region = &g_array_index (table->regions, PctRegion, i);

      g_hash_table_insert (table->by_code, (gpointer) region->code, region);

      if (g_str_has_suffix (region->code, "0000"))
        table->provinces[(region->code[0] - '0') * 10 + (region->code[1] - '0')] = TRUE;
    }

  for (guint i = 0; i < table->regions->len; i++)
    {
      const PctRegion *region = &g_array_index (table->regions, PctRegion, i);

      if (region->parent_code != NULL
          && !g_hash_table_contains (table->by_code, region->parent_code))
        g_warning ("regions.tsv: parent %s of %s is not in the table",
                   region->parent_code, region->code);
    }
}

static gpointer
load_table (gpointer data)
{
  PctRegionTable *table = g_new0 (PctRegionTable, 1);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const char *text;
  gsize size = 0;

  table->regions = g_array_new (FALSE, FALSE, sizeof (PctRegion));
  table->by_code = g_hash_table_new (g_str_hash, g_str_equal);
  table->strings = g_string_chunk_new (4096);

  /* Looked up in the library's own resource rather than the global
   * namespace: this references the resource object, so a static link keeps
   * it, and nothing else has to register it first. */
  bytes = g_resource_lookup_data (pct_core_get_resource (),
                                  REGIONS_RESOURCE_PATH,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE,
                                  &error);
  if (bytes == NULL)
    {
      g_critical ("Cannot read the region table: %s", error->message);
      return table;
    }

  text = g_bytes_get_data (bytes, &size);
  parse_table (table, text, size);

  g_debug ("Loaded %u regions", table->regions->len);

  return table;
}

/* Loaded on first use and kept for the life of the process: the table is
 * small, read-only once built, and shared by every thread. */
static PctRegionTable *
get_table (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, load_table, NULL);
}

/**
 * pct_regions_lookup:
 * @code: a six-digit GB/T 2260 code
 *
 * Returns: (nullable) (transfer none): the region, or %NULL if @code is not
 *   in the table
 */
const PctRegion *
pct_regions_lookup (const char *code)
{
  g_return_val_if_fail (code != NULL, NULL);

  if (!is_region_code (code))
    return NULL;

  return g_hash_table_lookup (get_table ()->by_code, code);
}

/**
 * pct_regions_province_known:
 * @two_digits: a string starting with a two-digit province code
 *
 * Only the first two characters are read, so a full region code or ID
 * number may be passed.
 *
 * Returns: %TRUE if the table has a province-level division with that prefix
 */
gboolean
pct_regions_province_known (const char *two_digits)
{
  g_return_val_if_fail (two_digits != NULL, FALSE);

  if (!g_ascii_isdigit (two_digits[0]) || !g_ascii_isdigit (two_digits[1]))
    return FALSE;

  return get_table ()->provinces[(two_digits[0] - '0') * 10 + (two_digits[1] - '0')];
}

/**
 * pct_regions_count:
 *
 * Returns: the number of regions in the table
 */
guint
pct_regions_count (void)
{
  return get_table ()->regions->len;
}

/**
 * pct_regions_get_nth:
 * @index: a position below pct_regions_count()
 *
 * Regions are ordered by code, so a province comes before its cities and a
 * city before its districts.
 *
 * Returns: (transfer none): the region at @index
 */
const PctRegion *
pct_regions_get_nth (guint index)
{
  PctRegionTable *table = get_table ();

  g_return_val_if_fail (index < table->regions->len, NULL);

  return &g_array_index (table->regions, PctRegion, index);
}

static gboolean
is_grouping_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (grouping_names); i++)
    {
      if (strcmp (name, grouping_names[i]) == 0)
        return TRUE;
    }

  return FALSE;
}

/**
 * pct_regions_dup_display_name:
 * @code: a six-digit GB/T 2260 code
 *
 * Builds the name as written in an address, coarse to fine, such as
 * "重庆市江津区" for 500116 or "四川省成都市" for 510100.
 *
 * Returns: (nullable) (transfer full): the name, or %NULL if @code is not in
 *   the table
 */
char *
pct_regions_dup_display_name (const char *code)
{
  const PctRegion *region;
  g_autoptr(GPtrArray) names = NULL;
  GString *out;

  g_return_val_if_fail (code != NULL, NULL);

  region = pct_regions_lookup (code);
  if (region == NULL)
    return NULL;

  names = g_ptr_array_new ();

  /* The depth guard stops a parent loop in a bad data file from hanging. */
  for (guint depth = 0; region != NULL && depth < 8; depth++)
    {
      if (!is_grouping_name (region->name) || names->len == 0)
        g_ptr_array_add (names, (gpointer) region->name);

      region = region->parent_code != NULL ? pct_regions_lookup (region->parent_code) : NULL;
    }

  out = g_string_new (NULL);
  for (guint i = names->len; i > 0; i--)
    g_string_append (out, g_ptr_array_index (names, i - 1));

  return g_string_free (out, FALSE);
}
