/* pct-roles.c — user roles, what each may read unmasked, and masking
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Personal Information Protection Law asks that personal data be
 * processed only as far as a duty needs it. Which role reads which
 * personal field in clear is this one table; the hub masks with it before
 * anything leaves the server, and the client checks with it that what came
 * marked as masked really is a masked form and not clear text it should
 * not hold. docs/roles.md is the same table for readers.
 */

#define G_LOG_DOMAIN "pct-roles"

#include "config.h"

#include <string.h>

#include "pct-roles.h"
#include "pct-validate.h"

typedef enum
{
  MASK_ID_NUMBER,   /* first 6, last 4: 500116********123X */
  MASK_PHONE,       /* first 3, last 4: 138****5678 */
  MASK_NAME,        /* first, and last from three on: 张*, 张*明 */
  MASK_ADDRESS,     /* up to the county-level division, then "****" */
  MASK_NULL,        /* nothing of it: null */
} MaskKind;

typedef struct
{
  MaskKind       mask;
  PctFieldAccess access[PCT_N_ROLES];
} FieldRule;

#define P PCT_FIELD_ACCESS_PLAIN
#define M PCT_FIELD_ACCESS_MASKED
#define H PCT_FIELD_ACCESS_HIDDEN

static const PctPersonalField personal_fields[] = {
  { "person", "name" },
  { "person", "id_number" },
  { "person", "phone" },
  { "person", "birth_date" },
  { "person", "hukou_address" },
  { "room", "owner_name" },
};

/* Parallel to personal_fields. */
static const FieldRule field_rules[] = {
  { MASK_NAME, {
      [PCT_ROLE_DISPATCHER] = P, [PCT_ROLE_CLERK] = H,
      [PCT_ROLE_SUPERVISOR] = P, [PCT_ROLE_ADMIN] = P } },
  { MASK_ID_NUMBER, {
      [PCT_ROLE_DISPATCHER] = M, [PCT_ROLE_CLERK] = H,
      [PCT_ROLE_SUPERVISOR] = M, [PCT_ROLE_ADMIN] = P } },
  { MASK_PHONE, {
      [PCT_ROLE_DISPATCHER] = P, [PCT_ROLE_CLERK] = H,
      [PCT_ROLE_SUPERVISOR] = M, [PCT_ROLE_ADMIN] = P } },
  { MASK_NULL, {
      [PCT_ROLE_DISPATCHER] = M, [PCT_ROLE_CLERK] = H,
      [PCT_ROLE_SUPERVISOR] = M, [PCT_ROLE_ADMIN] = P } },
  { MASK_ADDRESS, {
      [PCT_ROLE_DISPATCHER] = M, [PCT_ROLE_CLERK] = H,
      [PCT_ROLE_SUPERVISOR] = M, [PCT_ROLE_ADMIN] = P } },
  { MASK_NAME, {
      [PCT_ROLE_DISPATCHER] = P, [PCT_ROLE_CLERK] = H,
      [PCT_ROLE_SUPERVISOR] = P, [PCT_ROLE_ADMIN] = P } },
};

#undef P
#undef M
#undef H

G_STATIC_ASSERT (G_N_ELEMENTS (personal_fields) == G_N_ELEMENTS (field_rules));

static const char * const role_names[PCT_N_ROLES] = {
  [PCT_ROLE_DISPATCHER] = "dispatcher",
  [PCT_ROLE_CLERK] = "clerk",
  [PCT_ROLE_SUPERVISOR] = "supervisor",
  [PCT_ROLE_ADMIN] = "admin",
};

/* Addresses ---------------------------------------------------------------
 *
 * A household-registration address is kept down to its county-level
 * division (区, 县, county-level 市, 旗), which says where a person is
 * registered without saying where they live. Addresses are free text, so
 * the divisions are recognised by their shape: an optional province
 * (a municipality, or a name ending in 省, 自治区 or 特别行政区), an
 * optional prefecture (市, 州, 地区, 盟), then the county. Anything that
 * marks a smaller place (a street, community, road, door number, any
 * ASCII) ends the search, so that too little is kept rather than too much.
 * Without a county, the coarsest division found is kept; without any, the
 * first few characters of a longer text, nothing of a short one.
 * docs/roles.md has examples.
 */

/* The longest county-level prefix is well within this many characters. */
#define ADDRESS_SCAN_CHARS 48
#define PROVINCE_MAX_CHARS 10
#define PREFECTURE_MAX_CHARS 12
#define COUNTY_MAX_CHARS 16
/* Kept of an address in which no division is recognised. */
#define ADDRESS_FALLBACK_CHARS 6

typedef struct
{
  /* start[i] is where character i begins; start[n] where the scan ends. */
  const char *start[ADDRESS_SCAN_CHARS + 1];
  /* The bytes of character i (or of the one at start[n]) when it is
   * three bytes long, as every word's characters are, and it may begin
   * one of the words; 0 otherwise. */
  guint32     code[ADDRESS_SCAN_CHARS + 1];
  guint       n;
} AddressScan;

/* A word of an address, with its length in bytes and in characters. */
typedef struct
{
  const char *text;
  gsize       len;
  guint       n_chars;
  guint32     code;     /* the bytes of the first character */
} Word;

/* Every word below is made of characters of three bytes in UTF-8 (CJK,
 * full-width forms). */
#define CODE(p) (((guint32) (guchar) (p)[0] << 16) | ((guint32) (guchar) (p)[1] << 8) | \
                 (guint32) (guchar) (p)[2])
#define W(text) { text, sizeof (text) - 1, (sizeof (text) - 1) / 3, CODE (text) }
#define END     { NULL, 0, 0, 0 }

static const Word municipalities[] = {
  W ("北京市"), W ("天津市"), W ("上海市"), W ("重庆市"), END
};
static const Word province_suffixes[] = { W ("特别行政区"), W ("自治区"), W ("省"), END };
static const Word prefecture_suffixes[] = { W ("地区"), W ("市"), W ("州"), W ("盟"), END };
static const Word county_suffixes[] = { W ("区"), W ("县"), W ("市"), W ("旗"), END };
/* A province's name holds none of these; a prefecture's none of the
 * first three. */
static const Word province_stops[] = {
  W ("区"), W ("县"), W ("旗"), W ("市"), W ("州"), W ("盟"), END
};
static const Word prefecture_stops[] = { W ("区"), W ("县"), W ("旗"), END };
/* A division's name goes on after a suffix followed by one of these:
 * 通州区, 杭州市, 津市市. */
static const Word name_continuations[] = {
  W ("区"), W ("县"), W ("市"), W ("旗"), W ("州"), END
};
/* Marks of places below a county anywhere in a name. */
static const Word smaller_places[] = {
  W ("街"), W ("社区"), W ("小区"), W ("号"), W ("村"), W ("组"), W ("栋"), W ("单元"),
  W ("巷"), W ("弄"), W ("室"), W ("０"), W ("１"), W ("２"), W ("３"), W ("４"), W ("５"),
  W ("６"), W ("７"), W ("８"), W ("９"), W ("＊"), END
};
/* Marks of places below a county except as a name's first character:
 * 路南区 and 镇雄县 are counties, 鼎山路 and 白沙镇 are not. */
static const Word smaller_places_inside[] = { W ("路"), W ("镇"), W ("道"), END };

#undef W
#undef END

/* A bit for each value of the low 12 bits of the first character of some
 * word: most characters of an address begin none, and are passed over
 * without comparing them with every word. */
static guint8 word_starts[4096 / 8];

static void
word_starts_add (const Word *words)
{
  for (guint w = 0; words[w].text != NULL; w++)
    word_starts[(words[w].code & 0xfff) >> 3] |= (guint8) (1u << (words[w].code & 7));
}

static void
word_starts_init (void)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised))
    {
      const Word *lists[] = {
        municipalities, province_suffixes, prefecture_suffixes, county_suffixes,
        province_stops, prefecture_stops, name_continuations, smaller_places,
        smaller_places_inside,
      };

      for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
        word_starts_add (lists[i]);
      g_once_init_leave (&initialised, 1);
    }
}

static guint32
word_start_code (const char *p,
                 const char *next)
{
  guint32 code;

  if (next - p != 3)
    return 0;
  code = CODE (p);
  return (word_starts[(code & 0xfff) >> 3] & (1u << (code & 7))) != 0 ? code : 0;
}

static void
address_scan_init (AddressScan *scan,
                   const char  *text)
{
  const char *p = text;

  word_starts_init ();

  scan->n = 0;
  while (*p != '\0' && scan->n < ADDRESS_SCAN_CHARS)
    {
      const char *next = g_utf8_next_char (p);

      scan->start[scan->n] = p;
      scan->code[scan->n++] = word_start_code (p, next);
      p = next;
    }
  scan->start[scan->n] = p;
  scan->code[scan->n] = *p != '\0' ? word_start_code (p, g_utf8_next_char (p)) : 0;
}

/* The number of characters of the word in words found at character i, or 0. */
static guint
address_match (const AddressScan *scan,
               guint              i,
               const Word        *words)
{
  guint32 code = scan->code[i];

  if (code == 0)
    return 0;

  /* The first character, as a number, sorts out nearly every word; the
   * rest is compared only for words of several characters. */
  for (guint w = 0; words[w].text != NULL; w++)
    {
      if (words[w].code == code &&
          (words[w].len == 3 ||
           strncmp (scan->start[i] + 3, words[w].text + 3, words[w].len - 3) == 0))
        return words[w].n_chars;
    }
  return 0;
}

static gboolean
address_smaller_place_at (const AddressScan *scan,
                          guint              i,
                          guint              name_start)
{
  guchar c = (guchar) *scan->start[i];

  if (c < 0x80)
    return TRUE;
  if (address_match (scan, i, smaller_places) > 0)
    return TRUE;
  return i > name_start && address_match (scan, i, smaller_places_inside) > 0;
}

/* Where a division whose name starts at character from ends (the
 * character after its suffix), or 0 when none is found within max_chars:
 * the first suffix after at least one character of name that does not
 * continue into a longer name. */
static guint
address_find_division (const AddressScan *scan,
                       guint              from,
                       guint              max_chars,
                       const Word        *suffixes,
                       const Word        *stops)
{
  for (guint i = from; i < scan->n && i < from + max_chars; i++)
    {
      guint suffix;

      if (address_smaller_place_at (scan, i, from))
        return 0;

      suffix = i > from ? address_match (scan, i, suffixes) : 0;
      if (suffix > 0 && i + suffix <= scan->n &&
          address_match (scan, i + suffix, name_continuations) == 0)
        return i + suffix;

      if (stops != NULL && address_match (scan, i, stops) > 0)
        return 0;
    }
  return 0;
}

/* The number of characters up to and including the county-level
 * division, or of the coarsest division recognised when no county-level
 * one follows it; 0 when none is recognised. */
static guint
address_county_end (const char *text)
{
  AddressScan scan;
  guint municipality;
  guint province;
  guint prefecture;
  guint county;

  address_scan_init (&scan, text);

  /* A municipality is a province with counties directly below it. */
  municipality = scan.n > 0 ? address_match (&scan, 0, municipalities) : 0;
  if (municipality > 0)
    {
      county = address_find_division (&scan, municipality, COUNTY_MAX_CHARS, county_suffixes,
                                      NULL);
      return county > 0 ? county : municipality;
    }

  province = address_find_division (&scan, 0, PROVINCE_MAX_CHARS, province_suffixes,
                                    province_stops);
  prefecture = address_find_division (&scan, province, PREFECTURE_MAX_CHARS,
                                      prefecture_suffixes, prefecture_stops);
  if (prefecture == 0)
    {
      county = address_find_division (&scan, province, COUNTY_MAX_CHARS, county_suffixes, NULL);
      return county > 0 ? county : province;
    }

  county = address_find_division (&scan, prefecture, COUNTY_MAX_CHARS, county_suffixes, NULL);
  /* Nothing county-like after it: a county-level city (仙桃市), or a
   * prefecture without counties (东莞市); either is no finer than a county. */
  return county > 0 ? county : prefecture;
}

static char *
mask_address (const char *value)
{
  guint keep = address_county_end (value);
  g_autoptr(GString) out = g_string_new (NULL);

  if (keep == 0 && (guint) g_utf8_strlen (value, -1) > ADDRESS_FALLBACK_CHARS)
    keep = ADDRESS_FALLBACK_CHARS;

  g_string_append_len (out, value, g_utf8_offset_to_pointer (value, keep) - value);
  g_string_append (out, PCT_ROLES_ADDRESS_MASK);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Every form mask_address() gives: "****" after nothing, after at most
 * ADDRESS_FALLBACK_CHARS characters, or after a prefix that ends exactly
 * at its county-level division. */
static gboolean
is_masked_address (const char *value)
{
  gsize len = strlen (value);
  gsize mask_len = strlen (PCT_ROLES_ADDRESS_MASK);
  g_autofree char *prefix = NULL;
  guint n_chars;

  if (len < mask_len || strcmp (value + len - mask_len, PCT_ROLES_ADDRESS_MASK) != 0)
    return FALSE;

  prefix = g_strndup (value, len - mask_len);
  n_chars = (guint) g_utf8_strlen (prefix, -1);
  return n_chars <= ADDRESS_FALLBACK_CHARS || address_county_end (prefix) == n_chars;
}

/* Helpers ----------------------------------------------------------------- */

static int
find_personal (const char *entity,
               const char *field)
{
  if (entity == NULL || field == NULL)
    return -1;

  for (guint i = 0; i < G_N_ELEMENTS (personal_fields); i++)
    {
      if (strcmp (personal_fields[i].entity, entity) == 0 &&
          strcmp (personal_fields[i].field, field) == 0)
        return (int) i;
    }
  return -1;
}

static char *
mask_with (MaskKind    kind,
           const char *value)
{
  switch (kind)
    {
    case MASK_ID_NUMBER:
      return pct_mask_id_number (value);
    case MASK_PHONE:
      return pct_mask_phone (value);
    case MASK_NAME:
      return pct_mask_name (value);
    case MASK_ADDRESS:
      return mask_address (value);
    case MASK_NULL:
    default:
      return NULL;
    }
}

/* Public API -------------------------------------------------------------- */

gboolean
pct_role_from_string (const char *name,
                      PctRole    *role)
{
  g_return_val_if_fail (role != NULL, FALSE);

  for (guint i = 0; i < PCT_N_ROLES; i++)
    {
      if (g_strcmp0 (name, role_names[i]) == 0)
        {
          *role = (PctRole) i;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
pct_role_to_string (PctRole role)
{
  g_return_val_if_fail ((guint) role < PCT_N_ROLES, NULL);

  return role_names[role];
}

const PctPersonalField *
pct_roles_personal_fields (guint *n)
{
  if (n != NULL)
    *n = G_N_ELEMENTS (personal_fields);
  return personal_fields;
}

gboolean
pct_roles_is_personal (const char *entity,
                       const char *field)
{
  return find_personal (entity, field) >= 0;
}

PctFieldAccess
pct_role_field_access (PctRole     role,
                       const char *entity,
                       const char *field)
{
  int index;

  /* An unknown role reads nothing in clear. */
  g_return_val_if_fail ((guint) role < PCT_N_ROLES, PCT_FIELD_ACCESS_HIDDEN);

  index = find_personal (entity, field);
  if (index < 0)
    return PCT_FIELD_ACCESS_PLAIN;
  return field_rules[index].access[role];
}

gboolean
pct_role_may_unmask (PctRole     role,
                     const char *entity,
                     const char *field)
{
  g_return_val_if_fail ((guint) role < PCT_N_ROLES, FALSE);

  return find_personal (entity, field) >= 0 &&
         pct_role_field_access (role, entity, field) == PCT_FIELD_ACCESS_MASKED;
}

char *
pct_roles_mask_value (const char *entity,
                      const char *field,
                      const char *value)
{
  g_autofree char *valid = NULL;
  int index = find_personal (entity, field);

  if (value == NULL)
    return NULL;
  if (index < 0)
    return g_strdup (value);

  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);

  return mask_with (field_rules[index].mask, value);
}

gboolean
pct_roles_is_masked_form (const char *entity,
                          const char *field,
                          const char *value)
{
  int index = find_personal (entity, field);
  g_autofree char *masked = NULL;

  if (index < 0)
    return FALSE;

  if (field_rules[index].mask == MASK_NULL || value == NULL)
    return field_rules[index].mask == MASK_NULL && value == NULL;

  if (!g_utf8_validate (value, -1, NULL))
    return FALSE;

  if (field_rules[index].mask == MASK_ADDRESS)
    return is_masked_address (value);

  /* Masking keeps the length and only ever puts stars where characters
   * were, so a masked value is exactly one that masking leaves as it is. */
  masked = mask_with (field_rules[index].mask, value);
  return g_strcmp0 (masked, value) == 0;
}
