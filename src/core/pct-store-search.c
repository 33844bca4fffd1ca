/* pct-store-search.c — text search over addresses, units and people
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Chinese text has no spaces, so each kind has an FTS5 index with the
 * trigram tokenizer: any substring of three or more characters is an index
 * lookup. One- and two-character queries (a surname, a short road name)
 * cannot use trigrams: people are found by the start of their name, units by
 * name, addresses through the roads, compounds and regions they name, each
 * through an index or a small table. An 18-character ID number is an exact
 * lookup.
 */

#define G_LOG_DOMAIN "pct-store"

#include "config.h"

#include <string.h>

#include "pct-store-private.h"
#include "pct-validate.h"

/* U+10FFFF: appended to a prefix it bounds every string that starts with it. */
#define PREFIX_END "\xf4\x8f\xbf\xbf"

typedef struct
{
  PctSearchKind kind;
  const char   *fts;         /* trigram phrase match, 3+ characters */
  const char   *prefix;      /* indexed name prefix, NULL where not useful */
  const char   *short_scan;  /* what else a 1–2 character query may match */
  const char   *like;        /* the plain scan: the benchmark's baseline */
} KindQueries;

/* ?1 is the query (an FTS phrase or a LIKE pattern), ?2 the limit, ?3 the
 * end of the prefix range. */
static const KindQueries kind_queries[] = {
  { PCT_SEARCH_ADDRESS,
    "SELECT rowid FROM address_fts WHERE address_fts MATCH ?1 LIMIT ?2",
    NULL,
    /* A short query names a road, a compound, a street or a community, and
     * finds the addresses on it through their indexes. */
    "SELECT id FROM addresses WHERE road_id IN "
    "  (SELECT id FROM roads WHERE name LIKE ?1 ESCAPE '\\') "
    "UNION ALL SELECT id FROM addresses WHERE compound IN "
    "  (SELECT name FROM areas WHERE kind = 'compound' AND name LIKE ?1 ESCAPE '\\') "
    "UNION ALL SELECT id FROM addresses WHERE region_code IN "
    "  (SELECT code FROM regions WHERE name LIKE ?1 ESCAPE '\\' "
    "   UNION SELECT code FROM regions WHERE parent_code IN "
    "     (SELECT code FROM regions WHERE level >= 21 AND name LIKE ?1 ESCAPE '\\')) "
    "LIMIT ?2",
    "SELECT id FROM addresses WHERE display LIKE ?1 ESCAPE '\\' LIMIT ?2" },
  { PCT_SEARCH_UNIT,
    "SELECT rowid FROM unit_fts WHERE unit_fts MATCH ?1 LIMIT ?2",
    "SELECT id FROM units WHERE name >= ?1 AND name < ?3 LIMIT ?2",
    /* Units are few enough (tens of thousands) to scan. */
    "SELECT id FROM units WHERE name LIKE ?1 ESCAPE '\\' LIMIT ?2",
    "SELECT id FROM units WHERE (name LIKE ?1 ESCAPE '\\' OR uscc LIKE ?1 ESCAPE '\\') LIMIT ?2" },
  { PCT_SEARCH_PERSON,
    "SELECT rowid FROM person_fts WHERE person_fts MATCH ?1 LIMIT ?2",
    /* A short query finds people by the start of their name: a surname, or
     * a whole two-character name. */
    "SELECT id FROM people WHERE name >= ?1 AND name < ?3 LIMIT ?2",
    NULL,
    "SELECT id FROM people WHERE name LIKE ?1 ESCAPE '\\' LIMIT ?2" },
};

static gboolean
looks_like_id_number (const char *query)
{
  if (strlen (query) != 18)
    return FALSE;
  for (guint i = 0; i < 17; i++)
    if (!g_ascii_isdigit (query[i]))
      return FALSE;
  return g_ascii_isdigit (query[17]) || query[17] == 'X' || query[17] == 'x';
}

/* A MATCH expression that means "this exact substring". */
static char *
fts_phrase (const char *query)
{
  GString *s = g_string_new ("\"");

  for (const char *p = query; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

static char *
like_pattern (const char *query)
{
  GString *s = g_string_new ("%");

  for (const char *p = query; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}

static PctSearchHit *
resolve_hit (PctStore      *self,
             PctSearchKind  kind,
             gint64         id)
{
  static const char *sql[] = {
    [PCT_SEARCH_ADDRESS] =
      "SELECT display, code, lon, lat FROM addresses WHERE id = ?",
    [PCT_SEARCH_UNIT] =
      "SELECT u.name, coalesce (u.uscc, '') || ' · ' || coalesce (a.display, ''), u.lon, u.lat "
      "FROM units u LEFT JOIN addresses a ON a.id = u.address_id WHERE u.id = ?",
    [PCT_SEARCH_PERSON] =
      "SELECT p.name, p.id_number, b.lon, b.lat, pr.room_code "
      "FROM people p "
      "LEFT JOIN person_rooms pr ON pr.person_id = p.id "
      "LEFT JOIN rooms r ON r.id = pr.room_id "
      "LEFT JOIN buildings b ON b.id = r.building_id "
      "WHERE p.id = ? ORDER BY pr.room_id IS NULL LIMIT 1",
  };
  sqlite3_stmt *stmt = pct_store_prepare (self, sql[kind], NULL);
  PctSearchHit *hit = NULL;

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      hit = g_new0 (PctSearchHit, 1);
      hit->kind = kind;
      hit->id = id;
      hit->title = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      hit->lon = sqlite3_column_double (stmt, 2);
      hit->lat = sqlite3_column_double (stmt, 3);

      if (kind == PCT_SEARCH_PERSON)
        {
          /* Search results never carry a full ID number: unmasking is an
           * audited action of its own. */
          g_autofree char *masked = pct_mask_id_number ((const char *) sqlite3_column_text (stmt, 1));
          const char *room = (const char *) sqlite3_column_text (stmt, 4);

          hit->subtitle = room ? g_strdup_printf ("%s · %s", masked, room) : g_steal_pointer (&masked);
        }
      else
        hit->subtitle = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);

  return hit;
}

/* Runs one id query and appends the resolved hits not yet present. */
static gboolean
collect (PctStore    *self,
         PctSearchKind kind,
         const char  *sql,
         const char  *arg1,
         const char  *arg3,
         guint        limit,
         GPtrArray   *hits,
         GHashTable  *seen,
         GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self, sql, error);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, arg1, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, limit);
  if (arg3 != NULL)
    sqlite3_bind_text (stmt, 3, arg3, -1, SQLITE_TRANSIENT);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self, error, "search");

  /* Resolved after the id query is reset: resolving uses other cached
   * statements and must not interleave with an active scan. */
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      gint64 key = PCT_SEARCH_ROWID (kind, id);
      PctSearchHit *hit;

      if (g_hash_table_contains (seen, &key))
        continue;
      hit = resolve_hit (self, kind, id);
      if (hit == NULL)
        continue;
      g_hash_table_add (seen, g_memdup2 (&key, sizeof key));
      g_ptr_array_add (hits, hit);
    }
  return TRUE;
}

static guint
count_kind (GPtrArray     *hits,
            PctSearchKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < hits->len; i++)
    if (((PctSearchHit *) g_ptr_array_index (hits, i))->kind == kind)
      n++;
  return n;
}

static GPtrArray *
search (PctStore    *self,
        const char  *query,
        guint        limit,
        gboolean     use_index,
        GError     **error)
{
  g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func ((GDestroyNotify) pct_search_hit_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree char *trimmed = g_strstrip (g_strdup (query ? query : ""));
  g_autofree char *phrase = NULL;
  g_autofree char *pattern = NULL;
  g_autofree char *prefix_end = NULL;
  glong n_chars;

  g_return_val_if_fail (PCT_IS_STORE (self), NULL);

  if (limit == 0)
    limit = 20;
  if (*trimmed == '\0' || !g_utf8_validate (trimmed, -1, NULL))
    return g_steal_pointer (&hits);

  if (looks_like_id_number (trimmed))
    {
      g_autofree char *upper = g_ascii_strup (trimmed, -1);

      if (!collect (self, PCT_SEARCH_PERSON,
                    "SELECT id FROM people WHERE id_number = ?1 LIMIT ?2",
                    upper, NULL, limit, hits, seen, error))
        return NULL;
    }

  n_chars = g_utf8_strlen (trimmed, -1);
  phrase = fts_phrase (trimmed);
  pattern = like_pattern (trimmed);
  prefix_end = g_strconcat (trimmed, PREFIX_END, NULL);

  /* Each kind gets its own share of the limit so that a query matching
   * thousands of addresses still shows the unit or person it names. */
  for (guint k = 0; k < G_N_ELEMENTS (kind_queries); k++)
    {
      const KindQueries *q = &kind_queries[k];
      guint have;

      if (!use_index)
        {
          if (!collect (self, q->kind, q->like, pattern, NULL, limit, hits, seen, error))
            return NULL;
          continue;
        }

      if (n_chars >= 3)
        {
          if (!collect (self, q->kind, q->fts, phrase, NULL, limit, hits, seen, error))
            return NULL;
          continue;
        }

      if (q->prefix != NULL &&
          !collect (self, q->kind, q->prefix, trimmed, prefix_end, limit, hits, seen, error))
        return NULL;

      have = count_kind (hits, q->kind);
      if (q->short_scan != NULL && have < limit &&
          !collect (self, q->kind, q->short_scan, pattern, NULL, limit - have, hits, seen, error))
        return NULL;
    }

  return g_steal_pointer (&hits);
}

GPtrArray *
pct_store_search (PctStore    *self,
                  const char  *query,
                  guint        limit,
                  GError     **error)
{
  return search (self, query, limit, TRUE, error);
}

GPtrArray *
pct_store_search_like_scan (PctStore    *self,
                            const char  *query,
                            guint        limit,
                            GError     **error)
{
  return search (self, query, limit, FALSE, error);
}
