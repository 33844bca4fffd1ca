/* pct-generator-population.c — people in the rooms and units at the doors
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * 实有人口 and 实有单位 for the generated district. Households are planned
 * room by room first, so that the deliberate defects can be drawn as exact
 * counts (selection sampling) rather than as rates that drift with the
 * district's size; then each household is filled with a family or with
 * tenants whose ages, sexes, ID numbers, ethnicities and household
 * registrations agree with each other.
 *
 * Defects, recorded in the meta key "defects":
 *  - 1% of occupied rooms (自住, 出租, 群租) have nobody registered in them;
 *  - 0.5% of people are registered against a room code that resolves to no
 *    room (person_rooms.room_id is NULL). Only members other than the
 *    householder get the bad code, so this defect never empties a room and
 *    the two stay separately countable.
 */

#define G_LOG_DOMAIN "pct-generator"

#include "config.h"

#include <math.h>
#include <string.h>

#include "pct-generator-private.h"
#include "pct-names.h"
#include "pct-regions.h"
#include "pct-validate.h"

#define PEOPLE_LARGE              600000
#define UNITS_LARGE               20000
#define EMPTY_ROOM_RATE           0.01
#define MISSING_ROOM_LINK_RATE    0.005
#define TEMPORARY_RATE            0.20
#define FOREIGN_RATE              0.003
#define HOME_PREFIX_REGISTERED    0.92
#define HOME_PREFIX_TEMPORARY     0.15
#define MAX_HOUSEHOLD             12
#define DAYS_PER_YEAR             365.2425
#define CHINA_UTC_OFFSET          (8 * 60 * 60)

typedef enum
{
  OCCUPANCY_OWNER,
  OCCUPANCY_RENTED,
  OCCUPANCY_CROWDED,
  OCCUPANCY_UNVERIFIED,
  N_OCCUPANCIES
} Occupancy;

typedef enum
{
  CATEGORY_REGISTERED,
  CATEGORY_TEMPORARY,
  CATEGORY_FOREIGN,
} Category;

typedef struct
{
  gint64      id;
  const char *code;
  const char *address;      /* the display of the building's address */
  const char *room_no;
  int         unit_no;
  gboolean    show_unit;
  Occupancy   occupancy;
  int         size;         /* planned household size */
} Room;

typedef struct
{
  gboolean    male;
  int         age;
  const char *relation;
  const char *surname;
  const char *ethnicity;
} Member;

/* A set of 64-bit keys (never 0) by open addressing: the 17 leading digits
 * of every ID number issued, so that no two people share one. */
typedef struct
{
  guint64 *slots;
  gsize    mask;
  gsize    used;
} KeySet;

/* Other places people come from, as GB/T 2260 codes that exist, with how
 * often: Chongqing's other districts and counties first, then the
 * neighbouring provinces. A NULL display is taken from the region table. */
typedef struct
{
  const char *code;
  const char *display;
  guint       weight;
} Origin;

static const Origin origins[] = {
  { "500101", NULL, 8 }, { "500102", NULL, 5 }, { "500103", NULL, 3 }, { "500106", NULL, 3 },
  { "500110", NULL, 6 }, { "500112", NULL, 3 }, { "500113", NULL, 4 }, { "500118", NULL, 6 },
  { "500119", NULL, 3 }, { "500120", NULL, 4 }, { "500151", NULL, 2 }, { "500153", NULL, 2 },
  { "500154", NULL, 4 }, { "500230", NULL, 2 }, { "500233", NULL, 2 }, { "500235", NULL, 3 },
  { "500236", NULL, 3 }, { "500240", NULL, 2 }, { "500241", NULL, 1 }, { "500242", NULL, 1 },
  { "500243", NULL, 1 },
  { "510104", NULL, 1 }, { "510107", NULL, 1 },
  { "510502", "四川省泸州市江阳区", 4 }, { "510521", "四川省泸州市泸县", 4 },
  { "511002", "四川省内江市市中区", 2 }, { "511302", "四川省南充市顺庆区", 3 },
  { "511502", "四川省宜宾市翠屏区", 2 }, { "511602", "四川省广安市广安区", 3 },
  { "511702", "四川省达州市通川区", 3 }, { "512002", "四川省资阳市雁江区", 2 },
  { "520102", "贵州省贵阳市南明区", 1 }, { "520103", "贵州省贵阳市云岩区", 1 },
  { "520302", "贵州省遵义市红花岗区", 3 }, { "520303", "贵州省遵义市汇川区", 2 },
  { "520502", "贵州省毕节市七星关区", 2 }, { "520602", "贵州省铜仁市碧江区", 1 },
  { "420106", "湖北省武汉市武昌区", 1 }, { "422801", "湖北省恩施土家族苗族自治州恩施市", 1 },
  { "430102", "湖南省长沙市芙蓉区", 1 }, { "530102", "云南省昆明市五华区", 1 },
  { "610113", "陕西省西安市雁塔区", 1 }, { "411302", "河南省南阳市宛城区", 1 },
};

/* Ethnicities by share; for people from the autonomous counties of south-
 * east Chongqing and Enshi the 土家族 and 苗族 shares are far higher. */
static const char * const ethnicities[] = {
  "汉族", "土家族", "苗族", "回族", "彝族", "藏族", "壮族", "布依族", "侗族", "满族",
  "蒙古族",
};
static const double ethnicity_weights[] = {
  92.6, 4.3, 1.9, 0.25, 0.2, 0.1, 0.15, 0.15, 0.15, 0.1, 0.1,
};
static const double ethnicity_weights_tujia[] = {
  45.0, 35.0, 18.0, 0.5, 0.3, 0.1, 0.2, 0.3, 0.4, 0.1, 0.1,
};

/* Household sizes 1–5 by occupancy; crowded rentals are 6–12. */
static const double sizes_owner[] = { 0.17, 0.30, 0.28, 0.15, 0.10 };
static const double sizes_rented[] = { 0.30, 0.32, 0.22, 0.11, 0.05 };
static const double sizes_unverified[] = { 0.40, 0.30, 0.20, 0.10 };

/* Ages of householders by bracket: [from, to) and weight. */
typedef struct
{
  int    from;
  int    to;
  double weight;
} AgeBracket;

static const AgeBracket head_ages_owner[] = {
  { 22, 30, 0.07 }, { 30, 40, 0.17 }, { 40, 50, 0.20 }, { 50, 60, 0.22 },
  { 60, 70, 0.19 }, { 70, 80, 0.11 }, { 80, 93, 0.04 },
};
static const AgeBracket head_ages_rented[] = {
  { 19, 30, 0.36 }, { 30, 40, 0.34 }, { 40, 50, 0.17 }, { 50, 66, 0.13 },
};

typedef struct
{
  PctStore           *store;
  const PctGenParams *params;
  PctRng              rng;
  GStringChunk       *strings;
  KeySet              id_numbers;
  GHashTable         *passports;

  guint32             reference_julian;
  char               *home_display;
  const char         *origin_displays[G_N_ELEMENTS (origins)];
  double              origin_weights[G_N_ELEMENTS (origins)];

  double              temporary_share[N_OCCUPANCIES];
  double              foreign_share[N_OCCUPANCIES];

  /* Selection sampling of the members who get a bad room code. */
  guint64             non_heads_left;
  guint64             bad_links_left;

  gint64              next_person_id;
  int                 temp_cache_size;
  guint64             n_people;
  guint64             n_bad_links;
  guint64             n_empty_rooms;
  guint64             n_occupied_rooms;

  GString            *name;
  GString            *hukou;
  GString            *room_address;
} PopContext;

static void
key_set_init (KeySet *set,
              gsize   expected)
{
  gsize size = 1024;

  while (size < expected * 2)
    size <<= 1;
  set->slots = g_new0 (guint64, size);
  set->mask = size - 1;
  set->used = 0;
}

static void
key_set_clear (KeySet *set)
{
  g_clear_pointer (&set->slots, g_free);
}

static gsize
key_set_slot (guint64 key,
              gsize   mask)
{
  /* A multiplicative mix: consecutive sequence numbers must not cluster. */
  return (gsize) ((key * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)) >> 20) & mask;
}

static void
key_set_grow (KeySet *set)
{
  guint64 *old = set->slots;
  gsize old_size = set->mask + 1;

  set->slots = g_new0 (guint64, old_size * 2);
  set->mask = old_size * 2 - 1;
  for (gsize i = 0; i < old_size; i++)
    {
      gsize slot;

      if (old[i] == 0)
        continue;
      slot = key_set_slot (old[i], set->mask);
      while (set->slots[slot] != 0)
        slot = (slot + 1) & set->mask;
      set->slots[slot] = old[i];
    }
  g_free (old);
}

/* Adds key; FALSE if it was there already. */
static gboolean
key_set_add (KeySet  *set,
             guint64  key)
{
  gsize slot;

  if ((set->used + 1) * 2 > set->mask + 1)
    key_set_grow (set);

  slot = key_set_slot (key, set->mask);
  while (set->slots[slot] != 0)
    {
      if (set->slots[slot] == key)
        return FALSE;
      slot = (slot + 1) & set->mask;
    }
  set->slots[slot] = key;
  set->used++;
  return TRUE;
}

static void
report_progress (PopContext *ctx,
                 const char *what,
                 guint64     done,
                 guint64     total)
{
  _pct_gen_report (ctx->params, what, done, total);
}

static int
draw_age (PctRng           *rng,
          const AgeBracket *brackets,
          guint             n)
{
  double weights[8];
  guint i;

  g_return_val_if_fail (n <= G_N_ELEMENTS (weights), 40);
  for (i = 0; i < n; i++)
    weights[i] = brackets[i].weight;
  i = pct_rng_weighted (rng, weights, n);
  return (int) pct_rng_range (rng, brackets[i].from, brackets[i].to);
}

static const char *
draw_ethnicity (PopContext *ctx,
                const char *origin_code)
{
  gboolean tujia_area = origin_code != NULL
                        && (g_str_has_prefix (origin_code, "50024")
                            || g_str_has_prefix (origin_code, "4228"));
  const double *weights = tujia_area ? ethnicity_weights_tujia : ethnicity_weights;

  return ethnicities[pct_rng_weighted (&ctx->rng, weights, G_N_ELEMENTS (ethnicities))];
}

static guint
draw_origin (PopContext *ctx)
{
  return pct_rng_weighted (&ctx->rng, ctx->origin_weights, G_N_ELEMENTS (origins));
}

/* Turns an age at the reference date into a birth date no later than the
 * day before it, spreading birthdays over the year. */
static void
birth_date_for_age (PopContext *ctx,
                    int         age,
                    GDate      *birth)
{
  double years = age + pct_rng_double (&ctx->rng);
  guint32 days = (guint32) (years * DAYS_PER_YEAR) + 1;

  g_date_clear (birth, 1);
  g_date_set_julian (birth, ctx->reference_julian - days);
}

static gboolean
make_id_number (PopContext  *ctx,
                const char  *region,
                const GDate *birth,
                gboolean     male,
                char         out[19])
{
  guint64 date_part = (guint64) g_date_get_year (birth) * 10000
                      + (guint64) g_date_get_month (birth) * 100 + g_date_get_day (birth);
  guint64 region_part = g_ascii_strtoull (region, NULL, 10);

  for (int attempt = 0; attempt < 200; attempt++)
    {
      /* Odd sequence numbers for men, even for women (GB 11643). */
      guint64 sequence = (guint64) pct_rng_range (&ctx->rng, 0, 499) * 2 + (male ? 1 : 2);
      guint64 key = (region_part * G_GUINT64_CONSTANT (100000000) + date_part) * 1000 + sequence;

      if (!key_set_add (&ctx->id_numbers, key))
        continue;

      g_snprintf (out, 19, "%s%08" G_GUINT64_FORMAT "%03" G_GUINT64_FORMAT, region, date_part,
                  sequence);
      out[17] = pct_id_number_check_char (out);
      out[18] = '\0';
      return TRUE;
    }

  return FALSE;
}

static void
make_passport_number (PopContext *ctx,
                      char        out[12])
{
  static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";

  do
    {
      int n_letters = pct_rng_chance (&ctx->rng, 0.5) ? 1 : 2;
      int i;

      for (i = 0; i < n_letters; i++)
        out[i] = letters[pct_rng_range (&ctx->rng, 0, sizeof letters - 1)];
      for (; i < 9; i++)
        out[i] = (char) ('0' + pct_rng_range (&ctx->rng, 0, 10));
      out[9] = '\0';
    }
  while (g_hash_table_contains (ctx->passports, out));

  g_hash_table_add (ctx->passports, g_strdup (out));
}

/* A household registration elsewhere: a village group or a street door in
 * one of the origin counties (or the home district). */
static void
make_other_hukou (PopContext *ctx,
                  const char *region_display)
{
  g_string_assign (ctx->hukou, region_display);
  pct_names_append_place (ctx->hukou, &ctx->rng);
  if (pct_rng_chance (&ctx->rng, 0.6))
    {
      g_string_append (ctx->hukou, "镇");
      pct_names_append_place (ctx->hukou, &ctx->rng);
      g_string_append_printf (ctx->hukou, "村%d组", (int) pct_rng_range (&ctx->rng, 1, 13));
    }
  else
    {
      g_string_append (ctx->hukou, "街道");
      pct_names_append_place (ctx->hukou, &ctx->rng);
      g_string_append_printf (ctx->hukou, "路%d号", (int) pct_rng_range (&ctx->rng, 1, 300));
    }
}

static void
format_date (const GDate *date,
             char         out[11])
{
  g_snprintf (out, 11, "%04d-%02d-%02d", g_date_get_year (date), g_date_get_month (date),
              g_date_get_day (date));
}

/* A room code that the store does not have, as a mistyped or outdated
 * registration would carry: the room number changed, then two characters
 * swapped, then an extra digit. */
static char *
make_missing_room_code (PopContext  *ctx,
                        const char  *code,
                        GError     **error)
{
  sqlite3_stmt *stmt;
  gsize len = strlen (code);

  for (int attempt = 0; attempt < 12; attempt++)
    {
      g_autofree char *candidate = g_strdup (code);
      int rc;

      if (attempt < 9 && len > 0 && g_ascii_isdigit (code[len - 1]))
        candidate[len - 1] = (char) ('0' + (code[len - 1] - '0' + 1 + attempt) % 10);
      else if (attempt < 10 && len > 1)
        {
          candidate[len - 1] = code[len - 2];
          candidate[len - 2] = code[len - 1];
        }
      else
        {
          g_free (candidate);
          candidate = g_strdup_printf ("%s%d", code, attempt);
        }

      if (strcmp (candidate, code) == 0)
        continue;

      stmt = pct_store_prepare (ctx->store, "SELECT 1 FROM rooms WHERE code = ?", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, candidate, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc == SQLITE_DONE)
        return g_steal_pointer (&candidate);
      if (rc != SQLITE_ROW)
        {
          pct_store_set_sql_error (ctx->store, error, "room code");
          return NULL;
        }
    }

  return g_strdup_printf ("%s-X", code);
}

/* Households -------------------------------------------------------------- */

static int
child_age (PctRng *rng,
           int     mother_age)
{
  int age = mother_age - (int) pct_rng_range (rng, 22, 36);

  if (age < 0)
    age = (int) pct_rng_range (rng, 0, MAX (1, mother_age - 19));
  return age;
}

static void
add_member (Member     *members,
            int        *n,
            gboolean    male,
            int         age,
            const char *relation,
            const char *surname,
            const char *ethnicity)
{
  members[*n] = (Member) { male, MAX (age, 0), relation, surname, ethnicity };
  (*n)++;
}

/* Fills members[0..size) for one household; members[0] is the householder
 * (or, in a rental, the main tenant). */
static void
plan_household (PopContext *ctx,
                Occupancy   occupancy,
                int         size,
                const char *origin_code,
                Member     *members)
{
  PctRng *rng = &ctx->rng;
  const char *head_relation = occupancy == OCCUPANCY_OWNER || occupancy == OCCUPANCY_UNVERIFIED
                              ? "户主" : "租户";
  const char *ethnicity = draw_ethnicity (ctx, origin_code);
  int n = 0;
  int head_age;
  gboolean head_male;
  int mother_age;
  int father_age;
  const char *father_surname;
  const char *mother_surname;
  int eldest = -1;

  if (occupancy == OCCUPANCY_CROWDED
      || (occupancy == OCCUPANCY_RENTED && size >= 2 && pct_rng_chance (rng, 0.3)))
    {
      /* Workers sharing a flat: unrelated adults, mostly men. */
      for (int i = 0; i < size; i++)
        add_member (members, &n, pct_rng_chance (rng, 0.68), (int) pct_rng_range (rng, 18, 51),
                    "租户", pct_names_surname (rng),
                    i == 0 ? ethnicity : draw_ethnicity (ctx, origin_code));
      return;
    }

  head_age = occupancy == OCCUPANCY_RENTED
             ? draw_age (rng, head_ages_rented, G_N_ELEMENTS (head_ages_rented))
             : draw_age (rng, head_ages_owner, G_N_ELEMENTS (head_ages_owner));

  if (size == 1)
    {
      add_member (members, &n, pct_rng_chance (rng, 0.5), head_age, head_relation,
                  pct_names_surname (rng), ethnicity);
      return;
    }

  if (size == 2 && head_age > 50 && pct_rng_chance (rng, 0.25))
    {
      /* A widowed parent with a grown child. */
      head_male = pct_rng_chance (rng, 0.35);
      add_member (members, &n, head_male, head_age, head_relation, pct_names_surname (rng),
                  ethnicity);
      add_member (members, &n, pct_rng_chance (rng, 0.5), child_age (rng, head_age), "子女",
                  members[0].surname, ethnicity);
      return;
    }

  /* A couple: the husband is usually recorded as householder and usually
   * a little older. */
  head_male = pct_rng_chance (rng, 0.72);
  {
    int gap = (int) lround (fabs (pct_rng_normal (rng, 2.0, 2.5)));
    int spouse_age = head_male ? head_age - gap : head_age + gap;

    spouse_age = MAX (spouse_age, 20);
    father_age = head_male ? head_age : spouse_age;
    mother_age = head_male ? spouse_age : head_age;
    add_member (members, &n, head_male, head_age, head_relation, pct_names_surname (rng),
                ethnicity);
    add_member (members, &n, !head_male, spouse_age, "配偶", pct_names_surname (rng),
                pct_rng_chance (rng, 0.85) ? ethnicity : draw_ethnicity (ctx, origin_code));
  }
  father_surname = head_male ? members[0].surname : members[1].surname;
  mother_surname = head_male ? members[1].surname : members[0].surname;

  while (n < size)
    {
      int remaining = size - n;
      gboolean grandparents_fit = head_age < 55 && remaining >= 1 && n >= 3
                                  && pct_rng_chance (rng, 0.5);

      if (grandparents_fit)
        {
          /* A parent of the householder living with the family. */
          int age = head_age + (int) pct_rng_range (rng, 24, 33);

          age = MIN (age, 99);

          add_member (members, &n, pct_rng_chance (rng, 0.4), age, "父母",
                      pct_rng_chance (rng, 0.5) ? members[0].surname : pct_names_surname (rng),
                      ethnicity);
        }
      else if (head_age >= 55 && eldest >= 0 && members[eldest].age >= 24)
        {
          /* A grandchild, of the eldest child. */
          add_member (members, &n, pct_rng_chance (rng, 0.515),
                      child_age (rng, members[eldest].age), "其他", members[eldest].surname,
                      members[eldest].ethnicity);
        }
      else
        {
          const char *surname = pct_rng_chance (rng, 0.9) ? father_surname : mother_surname;
          const char *child_ethnicity = pct_rng_chance (rng, 0.5) ? members[0].ethnicity
                                                                  : members[1].ethnicity;

          add_member (members, &n, pct_rng_chance (rng, 0.515),
                      child_age (rng, MIN (mother_age, father_age + 3)), "子女", surname,
                      child_ethnicity);
          if (eldest < 0 || members[n - 1].age > members[eldest].age)
            eldest = n - 1;
        }
    }
}

static gboolean
has_phone (PctRng *rng,
           int     age)
{
  if (age < 12)
    return FALSE;
  if (age < 16)
    return pct_rng_chance (rng, 0.45);
  if (age >= 78)
    return pct_rng_chance (rng, 0.6);
  return pct_rng_chance (rng, 0.95);
}

static gboolean
insert_person (PopContext    *ctx,
               const Room    *room,
               const Member  *member,
               gboolean       is_head,
               Category       category,
               guint          origin,
               const GDate   *household_since,
               GError       **error)
{
  PctRng *rng = &ctx->rng;
  sqlite3_stmt *stmt;
  GDate birth;
  GDate since;
  char id_number[19];
  char passport[12];
  char birth_text[11];
  char since_text[11];
  char phone[PCT_NAMES_PHONE_SIZE];
  const char *region = NULL;
  const char *household_status = "person_only";
  const char *category_name = "registered";
  const char *hukou = NULL;
  gboolean phone_known = has_phone (rng, member->age);
  g_autofree char *bad_code = NULL;
  gint64 person_id;

  birth_date_for_age (ctx, member->age, &birth);
  format_date (&birth, birth_text);
  since = *household_since;
  if (g_date_compare (&since, &birth) < 0)
    since = birth;
  format_date (&since, since_text);

  g_string_assign (ctx->name, "");
  switch (category)
    {
    case CATEGORY_FOREIGN:
      category_name = "foreign";
      pct_names_append_foreign (ctx->name, rng, member->male);
      make_passport_number (ctx, passport);
      break;

    case CATEGORY_TEMPORARY:
    case CATEGORY_REGISTERED:
    default:
      g_string_append (ctx->name, member->surname);
      pct_names_append_given (ctx->name, rng, member->male, g_date_get_year (&birth));

      if (category == CATEGORY_REGISTERED)
        {
          double draw = pct_rng_double (rng);

          region = pct_rng_chance (rng, HOME_PREFIX_REGISTERED) ? ctx->params->district_code
                                                               : origins[origin].code;
          if (draw < 0.88)
            {
              household_status = "match";
              hukou = ctx->room_address->str;
            }
          else if (draw < 0.94)
            {
              /* 户在人不在: registered here, living elsewhere. */
              household_status = "household_only";
              hukou = ctx->room_address->str;
            }
          else
            {
              make_other_hukou (ctx, ctx->home_display);
              hukou = ctx->hukou->str;
            }
        }
      else
        {
          category_name = "temporary";
          region = pct_rng_chance (rng, HOME_PREFIX_TEMPORARY) ? ctx->params->district_code
                                                              : origins[origin].code;
          make_other_hukou (ctx, ctx->origin_displays[origin]);
          hukou = ctx->hukou->str;
        }

      if (!make_id_number (ctx, region, &birth, member->male, id_number))
        {
          g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_FAILED,
                       "No free ID number for %s %s", region, birth_text);
          return FALSE;
        }
      break;
    }

  if (phone_known)
    pct_names_mobile (rng, phone);

  person_id = ctx->next_person_id++;
  stmt = pct_store_prepare (ctx->store,
                            "INSERT INTO temp.pct_gen_people (name, id_type, id_number, sex, "
                            "ethnicity, birth_date, hukou_address, phone, category, "
                            "household_status, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, ctx->name->str, (int) ctx->name->len, SQLITE_STATIC);
  if (category == CATEGORY_FOREIGN)
    {
      sqlite3_bind_text (stmt, 2, "passport", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, passport, -1, SQLITE_STATIC);
    }
  else
    {
      sqlite3_bind_text (stmt, 2, "resident_id", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, id_number, 18, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, member->ethnicity, -1, SQLITE_STATIC);
    }
  sqlite3_bind_text (stmt, 4, member->male ? "M" : "F", 1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, birth_text, 10, SQLITE_STATIC);
  if (hukou != NULL)
    sqlite3_bind_text (stmt, 7, hukou, -1, SQLITE_STATIC);
  if (phone_known)
    sqlite3_bind_text (stmt, 8, phone, 11, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, category_name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, household_status, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 11, person_id);

  if (!pct_store_step_done (ctx->store, stmt, error))
    return FALSE;
  ctx->n_people++;

  if (!is_head)
    {
      if (ctx->bad_links_left > 0
          && (guint64) pct_rng_range (&ctx->rng, 0, (gint64) ctx->non_heads_left)
             < ctx->bad_links_left)
        {
          bad_code = make_missing_room_code (ctx, room->code, error);
          if (bad_code == NULL)
            return FALSE;
          ctx->bad_links_left--;
          ctx->n_bad_links++;
        }
      ctx->non_heads_left--;
    }

  stmt = pct_store_prepare (ctx->store,
                            "INSERT INTO temp.pct_gen_person_rooms (person_id, room_code, "
                            "room_id, relation, since) VALUES (?, ?, ?, ?, ?)",
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, person_id);
  sqlite3_bind_text (stmt, 2, bad_code != NULL ? bad_code : room->code, -1, SQLITE_STATIC);
  if (bad_code == NULL)
    sqlite3_bind_int64 (stmt, 3, room->id);
  sqlite3_bind_text (stmt, 4, member->relation, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, since_text, 10, SQLITE_STATIC);
  return pct_store_step_done (ctx->store, stmt, error);
}

static gboolean
populate_room (PopContext  *ctx,
               const Room  *room,
               GError     **error)
{
  PctRng *rng = &ctx->rng;
  Member members[MAX_HOUSEHOLD];
  guint origin = draw_origin (ctx);
  Category category;
  GDate since;
  int years_ago;

  category = pct_rng_chance (rng, ctx->temporary_share[room->occupancy]) ? CATEGORY_TEMPORARY
                                                                         : CATEGORY_REGISTERED;
  if (pct_rng_chance (rng, ctx->foreign_share[room->occupancy]))
    category = CATEGORY_FOREIGN;

  plan_household (ctx, room->occupancy, room->size,
                  category == CATEGORY_REGISTERED ? ctx->params->district_code
                                                  : origins[origin].code,
                  members);

  g_string_assign (ctx->room_address, room->address);
  if (room->show_unit)
    g_string_append_printf (ctx->room_address, " %d单元", room->unit_no);
  g_string_append_c (ctx->room_address, ' ');
  g_string_append (ctx->room_address, room->room_no);

  /* Owners have lived here for years, tenants for a few. */
  years_ago = room->occupancy == OCCUPANCY_OWNER
              ? (int) pct_rng_range (rng, 0, MAX (1, MIN (25, members[0].age - 20)))
              : (int) pct_rng_range (rng, 0, 5);
  g_date_clear (&since, 1);
  g_date_set_julian (&since, ctx->reference_julian - (guint32) (years_ago * 365)
                             - (guint32) pct_rng_range (rng, 1, 366));

  for (int i = 0; i < room->size; i++)
    {
      Category member_category = category;

      /* In a crowded rental each tenant is registered on their own. */
      if (room->occupancy == OCCUPANCY_CROWDED && category != CATEGORY_FOREIGN)
        member_category = pct_rng_chance (rng, ctx->temporary_share[OCCUPANCY_CROWDED])
                          ? CATEGORY_TEMPORARY : CATEGORY_REGISTERED;
      if (room->occupancy == OCCUPANCY_CROWDED && i > 0)
        origin = draw_origin (ctx);

      if (!insert_person (ctx, room, &members[i], i == 0, member_category, origin, &since, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
parse_occupancy (const char *text,
                 Occupancy  *occupancy)
{
  static const char * const names[N_OCCUPANCIES] = {
    [OCCUPANCY_OWNER] = "owner",
    [OCCUPANCY_RENTED] = "rented",
    [OCCUPANCY_CROWDED] = "crowded",
    [OCCUPANCY_UNVERIFIED] = "unverified",
  };

  for (guint i = 0; i < N_OCCUPANCIES; i++)
    {
      if (g_strcmp0 (text, names[i]) == 0)
        {
          *occupancy = (Occupancy) i;
          return TRUE;
        }
    }

  return FALSE;
}

static gboolean
load_rooms (PopContext  *ctx,
            GArray      *rooms,
            GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = pct_store_prepare (ctx->store,
                            "SELECT r.id, r.code, r.occupancy, r.unit_no, r.room_no, "
                            "       coalesce (a.display, b.name), b.units "
                            "FROM rooms r JOIN buildings b ON b.id = r.building_id "
                            "LEFT JOIN addresses a ON a.id = b.address_id "
                            "WHERE r.use = 'residential' "
                            "  AND r.occupancy IN ('owner', 'rented', 'crowded', 'unverified') "
                            "ORDER BY r.id",
                            error);
  if (stmt == NULL)
    return FALSE;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Room room = { 0 };

      if (!parse_occupancy ((const char *) sqlite3_column_text (stmt, 2), &room.occupancy))
        continue;
      room.id = sqlite3_column_int64 (stmt, 0);
      room.code = g_string_chunk_insert (ctx->strings, (const char *) sqlite3_column_text (stmt, 1));
      room.unit_no = sqlite3_column_int (stmt, 3);
      room.room_no = g_string_chunk_insert (ctx->strings,
                                            (const char *) sqlite3_column_text (stmt, 4));
      room.address = g_string_chunk_insert_const (ctx->strings,
                                                  (const char *) sqlite3_column_text (stmt, 5));
      room.show_unit = sqlite3_column_int (stmt, 6) > 1;
      g_array_append_val (rooms, room);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (ctx->store, error, "rooms");

  return TRUE;
}

static int
draw_size (PctRng    *rng,
           Occupancy  occupancy)
{
  switch (occupancy)
    {
    case OCCUPANCY_OWNER:
      return 1 + (int) pct_rng_weighted (rng, sizes_owner, G_N_ELEMENTS (sizes_owner));
    case OCCUPANCY_RENTED:
      return 1 + (int) pct_rng_weighted (rng, sizes_rented, G_N_ELEMENTS (sizes_rented));
    case OCCUPANCY_CROWDED:
      return (int) pct_rng_range (rng, 6, 13);
    case OCCUPANCY_UNVERIFIED:
    case N_OCCUPANCIES:
    default:
      return (int) pct_rng_weighted (rng, sizes_unverified, G_N_ELEMENTS (sizes_unverified));
    }
}

static double
mean_size (Occupancy occupancy)
{
  const double *weights = sizes_unverified;
  guint n = G_N_ELEMENTS (sizes_unverified);
  int first = 0;
  double mean = 0;

  switch (occupancy)
    {
    case OCCUPANCY_OWNER:
      weights = sizes_owner;
      n = G_N_ELEMENTS (sizes_owner);
      first = 1;
      break;
    case OCCUPANCY_RENTED:
      weights = sizes_rented;
      n = G_N_ELEMENTS (sizes_rented);
      first = 1;
      break;
    case OCCUPANCY_CROWDED:
      return 9.0;
    case OCCUPANCY_UNVERIFIED:
    case N_OCCUPANCIES:
    default:
      break;
    }

  for (guint i = 0; i < n; i++)
    mean += weights[i] * (first + (int) i);
  return mean;
}

/* Draws every household's size, scaled so that the district holds about
 * the intended number of people whatever number of rooms the geography
 * built, and picks the rooms left empty. Also sets the shares of temporary
 * and foreign residents by occupancy so that the totals come out at the
 * documented rates. */
static void
plan_sizes (PopContext *ctx,
            GArray     *rooms)
{
  double expected = 0;
  double factor;
  guint64 people_by[N_OCCUPANCIES] = { 0 };
  guint64 occupied_left = 0;
  guint64 empty_left;
  guint64 total = 0;
  guint64 non_heads = 0;
  double temporary_fixed;
  double temporary_target;

  for (guint i = 0; i < rooms->len; i++)
    {
      Room *room = &g_array_index (rooms, Room, i);

      expected += mean_size (room->occupancy);
      if (room->occupancy != OCCUPANCY_UNVERIFIED)
        occupied_left++;
    }

  factor = expected > 0 ? CLAMP (PEOPLE_LARGE * ctx->params->scale / expected, 0.5, 2.0) : 1.0;
  ctx->n_occupied_rooms = occupied_left;
  empty_left = (guint64) llround (occupied_left * EMPTY_ROOM_RATE);

  for (guint i = 0; i < rooms->len; i++)
    {
      Room *room = &g_array_index (rooms, Room, i);
      double scaled = draw_size (&ctx->rng, room->occupancy) * factor;
      int size = (int) floor (scaled);

      if (pct_rng_double (&ctx->rng) < scaled - size)
        size++;

      switch (room->occupancy)
        {
        case OCCUPANCY_CROWDED:
          size = CLAMP (size, 6, MAX_HOUSEHOLD);
          break;
        case OCCUPANCY_UNVERIFIED:
          size = CLAMP (size, 0, 5);
          break;
        case OCCUPANCY_OWNER:
        case OCCUPANCY_RENTED:
        case N_OCCUPANCIES:
        default:
          size = CLAMP (size, 1, 5);
          break;
        }

      if (room->occupancy != OCCUPANCY_UNVERIFIED)
        {
          if ((guint64) pct_rng_range (&ctx->rng, 0, (gint64) occupied_left) < empty_left)
            {
              size = 0;
              empty_left--;
              ctx->n_empty_rooms++;
            }
          occupied_left--;
        }

      room->size = size;
      people_by[room->occupancy] += size;
      total += size;
      if (size > 1)
        non_heads += size - 1;
    }

  ctx->non_heads_left = non_heads;
  ctx->bad_links_left = MIN (non_heads, (guint64) llround (total * MISSING_ROOM_LINK_RATE));

  /* Tenants are mostly from elsewhere and owners mostly local; the owners'
   * share takes up the difference to the overall rate, and when tenants
   * alone would exceed it, every share shrinks alike. */
  ctx->temporary_share[OCCUPANCY_RENTED] = 0.5;
  ctx->temporary_share[OCCUPANCY_CROWDED] = 0.85;
  ctx->temporary_share[OCCUPANCY_UNVERIFIED] = 0.4;
  ctx->temporary_share[OCCUPANCY_OWNER] = 0.03;
  temporary_fixed = people_by[OCCUPANCY_RENTED] * ctx->temporary_share[OCCUPANCY_RENTED]
                    + people_by[OCCUPANCY_CROWDED] * ctx->temporary_share[OCCUPANCY_CROWDED]
                    + people_by[OCCUPANCY_UNVERIFIED] * ctx->temporary_share[OCCUPANCY_UNVERIFIED];
  temporary_target = TEMPORARY_RATE * total - people_by[OCCUPANCY_OWNER] * 0.03;
  if (temporary_fixed > temporary_target && temporary_fixed > 0)
    {
      double shrink = MAX (temporary_target, 0) / temporary_fixed;

      ctx->temporary_share[OCCUPANCY_RENTED] *= shrink;
      ctx->temporary_share[OCCUPANCY_CROWDED] *= shrink;
      ctx->temporary_share[OCCUPANCY_UNVERIFIED] *= shrink;
    }
  else if (people_by[OCCUPANCY_OWNER] > 0)
    {
      ctx->temporary_share[OCCUPANCY_OWNER] =
        MIN ((TEMPORARY_RATE * total - temporary_fixed) / people_by[OCCUPANCY_OWNER], 0.5);
    }

  /* Foreign residents rent. */
  if (people_by[OCCUPANCY_RENTED] > 0)
    ctx->foreign_share[OCCUPANCY_RENTED] =
      MIN (0.2, FOREIGN_RATE * total / people_by[OCCUPANCY_RENTED]);
  else if (people_by[OCCUPANCY_OWNER] > 0)
    ctx->foreign_share[OCCUPANCY_OWNER] =
      MIN (0.2, FOREIGN_RATE * total / people_by[OCCUPANCY_OWNER]);
}

/* People, their links and units are written to temporary tables first and
 * copied over with one statement each. The search index is an FTS5 table,
 * which writes out its pending terms at every statement's savepoint: a
 * statement per person would leave 600,000 one-row index segments to merge,
 * and takes eight times as long. */
static gboolean
create_staging (PopContext  *ctx,
                GError     **error)
{
  return _pct_gen_set_temp_cache_size (ctx->store, PCT_GEN_STAGING_CACHE_KIB, &ctx->temp_cache_size, error)
         && pct_store_exec (ctx->store,
                         "DROP TABLE IF EXISTS temp.pct_gen_people;"
                         "DROP TABLE IF EXISTS temp.pct_gen_person_rooms;"
                         "DROP TABLE IF EXISTS temp.pct_gen_units;"
                         "CREATE TEMP TABLE pct_gen_people (id INTEGER PRIMARY KEY, name TEXT, "
                         "  id_type TEXT, id_number TEXT, sex TEXT, ethnicity TEXT, "
                         "  birth_date TEXT, hukou_address TEXT, phone TEXT, category TEXT, "
                         "  household_status TEXT);"
                         "CREATE TEMP TABLE pct_gen_person_rooms (person_id INTEGER, "
                         "  room_code TEXT, room_id INTEGER, relation TEXT, since TEXT);"
                         "CREATE TEMP TABLE pct_gen_units (id INTEGER PRIMARY KEY, name TEXT, "
                         "  uscc TEXT, type TEXT, legal_rep TEXT, phone TEXT, status TEXT, "
                         "  address_id INTEGER, room_id INTEGER, staff INTEGER, lon REAL, "
                         "  lat REAL);",
                         error);
}

static gboolean
copy_staging (PopContext  *ctx,
              GError     **error)
{
  return pct_store_exec (ctx->store,
                         "INSERT INTO people (id, name, id_type, id_number, sex, ethnicity, "
                         "  birth_date, hukou_address, phone, category, household_status) "
                         "SELECT id, name, id_type, id_number, sex, ethnicity, birth_date, "
                         "  hukou_address, phone, category, household_status "
                         "FROM temp.pct_gen_people ORDER BY id;"
                         "INSERT INTO person_rooms (person_id, room_code, room_id, relation, "
                         "  since) "
                         "SELECT person_id, room_code, room_id, relation, since "
                         "FROM temp.pct_gen_person_rooms ORDER BY rowid;"
                         "INSERT INTO units (name, uscc, type, legal_rep, phone, status, "
                         "  address_id, room_id, staff, lon, lat) "
                         "SELECT name, uscc, type, legal_rep, phone, status, address_id, "
                         "  room_id, staff, lon, lat FROM temp.pct_gen_units ORDER BY id;"
                         "DROP TABLE temp.pct_gen_people;"
                         "DROP TABLE temp.pct_gen_person_rooms;"
                         "DROP TABLE temp.pct_gen_units;",
                         error)
         && _pct_gen_set_temp_cache_size (ctx->store, ctx->temp_cache_size, NULL, error);
}

static gboolean
update_resident_counts (PctStore  *store,
                        GError   **error)
{
  return pct_store_exec (store,
                         "UPDATE rooms SET resident_count = 0 WHERE resident_count <> 0;"
                         "UPDATE rooms SET resident_count = l.n "
                         "FROM (SELECT room_id, count(*) AS n FROM person_rooms "
                         "      WHERE room_id IS NOT NULL GROUP BY room_id) AS l "
                         "WHERE rooms.id = l.room_id",
                         error);
}

static gboolean
generate_people (PopContext  *ctx,
                 GError     **error)
{
  g_autoptr(GArray) rooms = g_array_new (FALSE, FALSE, sizeof (Room));

  if (!load_rooms (ctx, rooms, error))
    return FALSE;

  plan_sizes (ctx, rooms);
  key_set_init (&ctx->id_numbers, (gsize) (PEOPLE_LARGE * ctx->params->scale) + 1024);

  for (guint i = 0; i < rooms->len; i++)
    {
      const Room *room = &g_array_index (rooms, Room, i);

      if (room->size > 0 && !populate_room (ctx, room, error))
        return FALSE;
      report_progress (ctx, "people", i + 1, rooms->len);
    }

  return TRUE;
}

/* Units --------------------------------------------------------------------- */

typedef struct
{
  gint64      address_id;
  gint64      room_id;
  double      lon;
  double      lat;
  const char *region_code;
} Site;

typedef struct
{
  const char *code;
  const char *name;
  int         level;
} Division;

typedef struct
{
  PopContext *ctx;
  GArray     *doors;          /* Site */
  GArray     *business_rooms; /* Site */
  guint       next_door;
  guint       next_room;
  GHashTable *names;
  GHashTable *codes;
  char       *province_short;
  char       *district;
  guint64     n_units;
} UnitContext;

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* The nine characters of an organisation code: new registrations get
 * "MA" and seven more; older bodies keep their GB 11714 code of eight
 * digits and its check digit. */
static void
make_organisation_code (PctRng   *rng,
                        gboolean  recent,
                        char      out[9])
{
  static const int weights[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };
  int sum = 0;
  int check;

  if (recent)
    {
      out[0] = 'M';
      out[1] = 'A';
      for (int i = 2; i < 9; i++)
        out[i] = uscc_alphabet[pct_rng_range (rng, 0, sizeof uscc_alphabet - 1)];
      return;
    }

  for (int i = 0; i < 8; i++)
    {
      out[i] = (char) ('0' + pct_rng_range (rng, 0, 10));
      sum += (out[i] - '0') * weights[i];
    }
  check = 11 - sum % 11;
  out[8] = check == 10 ? 'X' : (char) ('0' + check % 11);
}

static void
make_uscc (UnitContext *uc,
           char         department,
           char         kind,
           gboolean     recent,
           char         out[19])
{
  do
    {
      out[0] = department;
      out[1] = kind;
      memcpy (out + 2, uc->ctx->params->district_code, 6);
      make_organisation_code (&uc->ctx->rng, recent, out + 8);
      out[17] = pct_uscc_check_char (out);
      out[18] = '\0';
    }
  while (g_hash_table_contains (uc->codes, out));

  g_hash_table_add (uc->codes, g_strdup (out));
}

static const Site *
next_site (UnitContext *uc,
           gboolean     prefer_room)
{
  PctRng *rng = &uc->ctx->rng;
  GArray *from = prefer_room && uc->next_room < uc->business_rooms->len
                 ? uc->business_rooms : uc->doors;
  guint *next = from == uc->business_rooms ? &uc->next_room : &uc->next_door;
  guint pick;

  if (from->len == 0)
    {
      from = uc->business_rooms;
      next = &uc->next_room;
      if (from->len == 0)
        return NULL;
    }

  /* A partial shuffle: each site hosts one unit until all have one. */
  if (*next >= from->len)
    *next = 0;
  pick = *next + (guint) pct_rng_range (rng, 0, from->len - *next);
  if (pick != *next)
    {
      Site tmp = g_array_index (from, Site, pick);

      g_array_index (from, Site, pick) = g_array_index (from, Site, *next);
      g_array_index (from, Site, *next) = tmp;
    }
  return &g_array_index (from, Site, (*next)++);
}

/* A door in a street or community. Addresses carry the code of their
 * community; a street's code is the first nine digits of its communities'
 * codes whether it is written with nine digits or twelve. */
static const Site *
site_in_region (UnitContext *uc,
                const char  *code,
                gboolean     is_street)
{
  guint n = 0;
  const Site *chosen = NULL;
  g_autofree char *region_code = g_strndup (code, is_street ? 9 : strlen (code));

  /* A reservoir draw: one pass, an even chance for each door of the
   * region, no index needed for the few hundred calls there are. */
  for (guint i = 0; i < uc->doors->len; i++)
    {
      const Site *site = &g_array_index (uc->doors, Site, i);

      if (site->region_code == NULL || !g_str_has_prefix (site->region_code, region_code))
        continue;
      n++;
      if (pct_rng_range (&uc->ctx->rng, 0, n) == 0)
        chosen = site;
    }

  return chosen != NULL ? chosen : next_site (uc, FALSE);
}

static gboolean
insert_unit (UnitContext  *uc,
             const char   *name,
             const char   *uscc,
             const char   *type,
             int           staff_min,
             int           staff_max,
             const Site   *site,
             GError      **error)
{
  PctRng *rng = &uc->ctx->rng;
  PctStore *store = uc->ctx->store;
  sqlite3_stmt *stmt;
  g_autofree char *legal_rep = NULL;
  char phone[PCT_NAMES_PHONE_SIZE + 8];
  double draw = pct_rng_double (rng);
  const char *status = draw < 0.88 ? "operating" : draw < 0.94 ? "suspended" : "closed";
  gboolean mobile = g_str_equal (type, "individual") || pct_rng_chance (rng, 0.4);
  int staff;

  if (site == NULL)
    return TRUE;

  /* Staff numbers are skewed: most firms are small, a few are large. */
  staff = staff_min + (int) ((staff_max - staff_min) * pow (pct_rng_double (rng), 3.0));
  legal_rep = pct_names_person (rng, pct_rng_chance (rng, 0.65),
                                (int) pct_rng_range (rng, 1955, 2000));
  if (mobile)
    pct_names_mobile (rng, phone);
  else
    g_snprintf (phone, sizeof phone, "023-%08d", (int) pct_rng_range (rng, 40000000, 90000000));

  stmt = pct_store_prepare (store,
                            "INSERT INTO temp.pct_gen_units (name, uscc, type, legal_rep, "
                            "phone, status, address_id, room_id, staff, lon, lat) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, uscc, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, legal_rep, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, phone, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, status, -1, SQLITE_STATIC);
  if (site->address_id > 0)
    sqlite3_bind_int64 (stmt, 7, site->address_id);
  if (site->room_id > 0)
    sqlite3_bind_int64 (stmt, 8, site->room_id);
  sqlite3_bind_int (stmt, 9, MAX (staff, 1));
  sqlite3_bind_double (stmt, 10, site->lon);
  sqlite3_bind_double (stmt, 11, site->lat);
  if (!pct_store_step_done (store, stmt, error))
    return FALSE;

  uc->n_units++;
  return TRUE;
}

/* Claims a name for one unit in the district. Callers draw again when a
 * name is taken, and after a few draws lengthen the trade name by a
 * character, which leaves room enough for any district. */
static gboolean
claim_name (UnitContext *uc,
            GString     *name)
{
  if (g_hash_table_contains (uc->names, name->str))
    return FALSE;
  g_hash_table_add (uc->names, g_strdup (name->str));
  return TRUE;
}

#define LONGER_NAME_AFTER 8

static gboolean
add_enterprise (UnitContext  *uc,
                GError      **error)
{
  PctRng *rng = &uc->ctx->rng;
  g_autoptr(GString) name = g_string_new (NULL);
  char uscc[19];

  for (int attempt = 0;; attempt++)
    {
      double form = pct_rng_double (rng);

      /* 重庆某某有限公司, or with the district: 重庆市江津区某某有限公司. */
      g_string_assign (name, form < 0.3 ? uc->ctx->home_display : uc->province_short);
      pct_names_append_trade_name (name, rng);
      if (attempt >= LONGER_NAME_AFTER)
        pct_names_append_place (name, rng);
      g_string_append (name, pct_names_industry (rng));
      g_string_append (name, form > 0.85 ? "有限责任公司" : "有限公司");
      if (claim_name (uc, name))
        break;
    }

  make_uscc (uc, '9', '1', pct_rng_chance (rng, 0.75), uscc);
  return insert_unit (uc, name->str, uscc, "enterprise", 2, 400,
                      next_site (uc, pct_rng_chance (rng, 0.6)), error);
}

static gboolean
add_individual (UnitContext  *uc,
                GError      **error)
{
  PctRng *rng = &uc->ctx->rng;
  g_autoptr(GString) name = g_string_new (NULL);
  char uscc[19];

  for (int attempt = 0;; attempt++)
    {
      g_string_assign (name, uc->district);
      if (pct_rng_chance (rng, 0.3))
        {
          g_string_append (name, pct_names_surname (rng));
          g_string_append (name, "记");
        }
      else
        pct_names_append_trade_name (name, rng);
      if (attempt >= LONGER_NAME_AFTER)
        pct_names_append_place (name, rng);
      g_string_append (name, pct_names_shop_kind (rng));
      if (claim_name (uc, name))
        break;
    }

  /* 个体工商户: registered by market regulation ('9'), category '2'. */
  make_uscc (uc, '9', '2', TRUE, uscc);
  return insert_unit (uc, name->str, uscc, "individual", 1, 8,
                      next_site (uc, pct_rng_chance (rng, 0.3)), error);
}

/* A unit whose name is given: the bodies every street and community has,
 * whose names the regions make unique already. */
static gboolean
add_named (UnitContext  *uc,
           const char   *name,
           char          department,
           char          kind,
           const char   *type,
           int           staff_min,
           int           staff_max,
           const Site   *site,
           GError      **error)
{
  char uscc[19];

  g_hash_table_add (uc->names, g_strdup (name));
  make_uscc (uc, department, kind, FALSE, uscc);
  return insert_unit (uc, name, uscc, type, staff_min, staff_max, site, error);
}

typedef enum
{
  INSTITUTION_SCHOOL,
  INSTITUTION_PRIVATE_SCHOOL,
  INSTITUTION_CLINIC,
  INSTITUTION_SERVICE_CENTRE,
  INSTITUTION_ASSOCIATION,
} InstitutionKind;

static void
append_institution_name (UnitContext     *uc,
                         GString         *name,
                         InstitutionKind  kind,
                         int              attempt)
{
  PctRng *rng = &uc->ctx->rng;

  g_string_assign (name, uc->district);
  switch (kind)
    {
    case INSTITUTION_SCHOOL:
      pct_names_append_place (name, rng);
      if (attempt >= LONGER_NAME_AFTER)
        pct_names_append_place (name, rng);
      g_string_append (name, pct_rng_chance (rng, 0.6) ? "小学" : "中学");
      break;
    case INSTITUTION_PRIVATE_SCHOOL:
      pct_names_append_trade_name (name, rng);
      if (attempt >= LONGER_NAME_AFTER)
        pct_names_append_place (name, rng);
      g_string_append (name, pct_rng_chance (rng, 0.6) ? "幼儿园" : "培训学校");
      break;
    case INSTITUTION_CLINIC:
      g_string_append (name, pct_names_surname (rng));
      if (attempt >= LONGER_NAME_AFTER)
        pct_names_append_given (name, rng, pct_rng_chance (rng, 0.5), 1975);
      g_string_append (name, pct_rng_chance (rng, 0.5) ? "诊所" : "口腔诊所");
      break;
    case INSTITUTION_SERVICE_CENTRE:
      pct_names_append_trade_name (name, rng);
      if (attempt >= LONGER_NAME_AFTER)
        pct_names_append_place (name, rng);
      g_string_append (name, pct_rng_chance (rng, 0.5) ? "社会工作服务中心" : "养老服务中心");
      break;
    case INSTITUTION_ASSOCIATION:
    default:
      if (attempt >= 1)
        pct_names_append_place (name, rng);
      g_string_append (name, pct_names_industry (rng));
      g_string_append (name, "协会");
      break;
    }
}

static gboolean
add_institution (UnitContext  *uc,
                 GError      **error)
{
  static const double weights[] = { 0.12, 0.25, 0.30, 0.18, 0.15 };
  PctRng *rng = &uc->ctx->rng;
  g_autoptr(GString) name = g_string_new (NULL);
  InstitutionKind kind = (InstitutionKind) pct_rng_weighted (rng, weights,
                                                             G_N_ELEMENTS (weights));
  char uscc[19];

  for (int attempt = 0;; attempt++)
    {
      append_institution_name (uc, name, kind, attempt);
      if (claim_name (uc, name))
        break;
    }

  /* Public schools are 事业单位 under the staffing office ('1' '2');
   * private kindergartens, training schools and service centres are
   * 民办非企业单位 ('5' '2'); associations 社会团体 ('5' '1'); clinics
   * are mostly run as 个体工商户 ('9' '2'). */
  switch (kind)
    {
    case INSTITUTION_SCHOOL:
      make_uscc (uc, '1', '2', FALSE, uscc);
      return insert_unit (uc, name->str, uscc, "school", 30, 180, next_site (uc, FALSE), error);
    case INSTITUTION_PRIVATE_SCHOOL:
      make_uscc (uc, '5', '2', TRUE, uscc);
      return insert_unit (uc, name->str, uscc, "school", 6, 60, next_site (uc, TRUE), error);
    case INSTITUTION_CLINIC:
      make_uscc (uc, '9', '2', TRUE, uscc);
      return insert_unit (uc, name->str, uscc, "hospital", 2, 12, next_site (uc, TRUE), error);
    case INSTITUTION_SERVICE_CENTRE:
      make_uscc (uc, '5', '2', TRUE, uscc);
      return insert_unit (uc, name->str, uscc, "social", 3, 40, next_site (uc, TRUE), error);
    case INSTITUTION_ASSOCIATION:
    default:
      make_uscc (uc, '5', '1', FALSE, uscc);
      return insert_unit (uc, name->str, uscc, "social", 2, 10, next_site (uc, TRUE), error);
    }
}

static gboolean
load_sites (UnitContext  *uc,
            GError      **error)
{
  PctStore *store = uc->ctx->store;
  sqlite3_stmt *stmt;
  int rc;

  stmt = pct_store_prepare (store,
                            "SELECT id, lon, lat, region_code FROM addresses "
                            "WHERE kind = 'door' ORDER BY id",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Site site = {
        .address_id = sqlite3_column_int64 (stmt, 0),
        .lon = sqlite3_column_double (stmt, 1),
        .lat = sqlite3_column_double (stmt, 2),
        .region_code = g_string_chunk_insert_const (uc->ctx->strings,
                                                    (const char *) sqlite3_column_text (stmt, 3)),
      };

      g_array_append_val (uc->doors, site);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "doors");

  stmt = pct_store_prepare (store,
                            "SELECT r.id, coalesce (b.address_id, 0), coalesce (a.lon, b.lon), "
                            "       coalesce (a.lat, b.lat) "
                            "FROM rooms r JOIN buildings b ON b.id = r.building_id "
                            "LEFT JOIN addresses a ON a.id = b.address_id "
                            "WHERE r.use IN ('commercial', 'office') OR r.occupancy = 'business' "
                            "ORDER BY r.id",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Site site = {
        .room_id = sqlite3_column_int64 (stmt, 0),
        .address_id = sqlite3_column_int64 (stmt, 1),
        .lon = sqlite3_column_double (stmt, 2),
        .lat = sqlite3_column_double (stmt, 3),
      };

      g_array_append_val (uc->business_rooms, site);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "business rooms");

  return TRUE;
}

static gboolean
load_divisions (PopContext  *ctx,
                GArray      *divisions,
                GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = pct_store_prepare (ctx->store,
                            "SELECT code, name, level FROM regions "
                            "WHERE level BETWEEN 21 AND 33 ORDER BY code",
                            error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Division division = {
        .code = g_string_chunk_insert (ctx->strings, (const char *) sqlite3_column_text (stmt, 0)),
        .name = g_string_chunk_insert (ctx->strings, (const char *) sqlite3_column_text (stmt, 1)),
        .level = sqlite3_column_int (stmt, 2),
      };

      g_array_append_val (divisions, division);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (ctx->store, error, "regions");

  return TRUE;
}

/* The province as a company name starts with it: 重庆, 四川. */
static char *
province_short_name (const char *district_code)
{
  const PctRegion *region = pct_regions_lookup (district_code);
  const char *name;

  for (int depth = 0; region != NULL && region->parent_code != NULL && depth < 4; depth++)
    region = pct_regions_lookup (region->parent_code);
  if (region == NULL)
    return g_strdup ("");

  name = region->name;
  if (g_str_has_suffix (name, "省") || g_str_has_suffix (name, "市"))
    return g_strndup (name, strlen (name) - strlen ("市"));
  return g_strdup (name);
}

static gboolean
generate_units (PopContext  *ctx,
                GError     **error)
{
  UnitContext uc = { .ctx = ctx };
  g_autoptr(GArray) divisions = g_array_new (FALSE, FALSE, sizeof (Division));
  const PctRegion *district = pct_regions_lookup (ctx->params->district_code);
  guint64 target = (guint64) MAX (30, llround (UNITS_LARGE * ctx->params->scale));
  gboolean ok = FALSE;

  uc.doors = g_array_new (FALSE, FALSE, sizeof (Site));
  uc.business_rooms = g_array_new (FALSE, FALSE, sizeof (Site));
  uc.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  uc.codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  uc.province_short = province_short_name (ctx->params->district_code);
  uc.district = g_strdup (district != NULL ? district->name : "");

  if (!load_sites (&uc, error) || !load_divisions (ctx, divisions, error))
    goto out;

  if (uc.doors->len == 0 && uc.business_rooms->len == 0)
    {
      ok = TRUE;
      goto out;
    }

  /* Every street has its office, police station and health centre, every
   * community its residents' committee, at a door of its own. */
  for (guint i = 0; i < divisions->len; i++)
    {
      const Division *division = &g_array_index (divisions, Division, i);
      gboolean is_street = division->level <= 23;
      const Site *site = site_in_region (&uc, division->code, is_street);
      g_autofree char *name = NULL;

      if (is_street)
        {
          g_autofree char *police = g_strconcat (division->name, "派出所", NULL);
          g_autofree char *health = g_strconcat (division->name, "社区卫生服务中心", NULL);

          name = g_strconcat (division->name, division->level == 23 ? "办事处" : "人民政府",
                              NULL);
          if (!add_named (&uc, name, '1', '1', "government", 30, 120, site, error)
              || !add_named (&uc, police, '1', '1', "government", 20, 80,
                             site_in_region (&uc, division->code, TRUE), error)
              || !add_named (&uc, health, '1', '2', "hospital", 15, 90,
                             site_in_region (&uc, division->code, TRUE), error))
            goto out;
        }
      else
        {
          /* 居委会 and 村委会 are neither organs of state nor registered
           * societies: GB 32100's 'Y' (other registering bodies). */
          name = g_strconcat (division->name,
                              division->level == 33 ? "村民委员会" : "居民委员会", NULL);
          if (!add_named (&uc, name, 'Y', '1', "other", 3, 12, site, error))
            goto out;
        }
    }

  {
    g_autofree char *hospital = g_strconcat (uc.district, "人民医院", NULL);
    g_autofree char *tcm = g_strconcat (uc.district, "中医院", NULL);

    if (!add_named (&uc, hospital, '1', '2', "hospital", 300, 1500, next_site (&uc, FALSE), error)
        || !add_named (&uc, tcm, '1', '2', "hospital", 150, 700, next_site (&uc, FALSE), error))
      goto out;
  }

  while (uc.n_units < target)
    {
      double draw = pct_rng_double (&ctx->rng);
      gboolean added;

      if (draw < 0.47)
        added = add_enterprise (&uc, error);
      else if (draw < 0.95)
        added = add_individual (&uc, error);
      else
        added = add_institution (&uc, error);
      if (!added)
        goto out;
      report_progress (ctx, "units", MIN (uc.n_units, target), target);
    }
  ok = TRUE;

out:
  g_array_unref (uc.doors);
  g_array_unref (uc.business_rooms);
  g_hash_table_unref (uc.names);
  g_hash_table_unref (uc.codes);
  g_free (uc.province_short);
  g_free (uc.district);
  return ok;
}

/* People get their ids here, so that their links can be written before the
 * people themselves reach the table. */
static gboolean
next_person_id (PopContext  *ctx,
                GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (ctx->store,
                                          "SELECT coalesce (max (id), 0) + 1 FROM people",
                                          error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      pct_store_set_sql_error (ctx->store, error, "people");
      sqlite3_reset (stmt);
      return FALSE;
    }
  ctx->next_person_id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

/* Adds this phase's counts to the meta key the phases share. */
static gboolean
record_defects (PopContext  *ctx,
                GError     **error)
{
  return _pct_gen_note_defect (ctx->store, "occupied_rooms", (gint64) ctx->n_occupied_rooms,
                               error)
         && _pct_gen_note_defect (ctx->store, "occupied_rooms_without_residents",
                                  (gint64) ctx->n_empty_rooms, error)
         && _pct_gen_note_defect (ctx->store, "people", (gint64) ctx->n_people, error)
         && _pct_gen_note_defect (ctx->store, "people_linked_to_missing_rooms",
                                  (gint64) ctx->n_bad_links, error);
}

gboolean
_pct_gen_population (PctStore            *store,
                     const PctGenParams  *params,
                     GError             **error)
{
  PopContext ctx = { .store = store, .params = params };
  g_autoptr(GDateTime) reference = NULL;
  GDate reference_date;
  gboolean ok;

  pct_rng_init (&ctx.rng, params->seed, "population");
  ctx.strings = g_string_chunk_new (1 << 20);
  ctx.passports = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ctx.name = g_string_new (NULL);
  ctx.hukou = g_string_new (NULL);
  ctx.room_address = g_string_new (NULL);

  reference = g_date_time_new_from_unix_utc (params->reference_time + CHINA_UTC_OFFSET);
  g_date_clear (&reference_date, 1);
  g_date_set_dmy (&reference_date, (GDateDay) g_date_time_get_day_of_month (reference),
                  (GDateMonth) g_date_time_get_month (reference),
                  (GDateYear) g_date_time_get_year (reference));
  ctx.reference_julian = g_date_get_julian (&reference_date);

  ctx.home_display = pct_regions_dup_display_name (params->district_code);
  if (ctx.home_display == NULL)
    ctx.home_display = g_strdup ("");
  for (guint i = 0; i < G_N_ELEMENTS (origins); i++)
    {
      char *display = origins[i].display != NULL
                      ? g_strdup (origins[i].display)
                      : pct_regions_dup_display_name (origins[i].code);

      ctx.origin_displays[i] = g_string_chunk_insert (ctx.strings, display != NULL ? display : "");
      ctx.origin_weights[i] = origins[i].weight;
      g_free (display);
    }

  ok = next_person_id (&ctx, error)
       && create_staging (&ctx, error)
       && generate_people (&ctx, error)
       && generate_units (&ctx, error)
       && copy_staging (&ctx, error)
       && update_resident_counts (store, error)
       && record_defects (&ctx, error);

  key_set_clear (&ctx.id_numbers);
  g_string_chunk_free (ctx.strings);
  g_hash_table_unref (ctx.passports);
  g_string_free (ctx.name, TRUE);
  g_string_free (ctx.hukou, TRUE);
  g_string_free (ctx.room_address, TRUE);
  g_free (ctx.home_display);
  return ok;
}
