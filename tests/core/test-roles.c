/* test-roles.c — roles, the personal-data table, masked forms, and masked
 * records from the hub's reader to the client's store
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-roles"

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "pct-generator.h"
#include "pct-record.h"
#include "pct-roles.h"

#define REFERENCE_TIME 1767196800  /* 2026-01-01 00:00 +08:00 */

/* The small district, generated once and copied where a test writes. */
static char *template_path;

/* The table as docs/roles.md states it, written out again here rather
 * than read from the code under test. P plain, M masked, H hidden; columns
 * dispatcher, clerk, supervisor, admin. */
static const struct
{
  const char *entity;
  const char *field;
  const char *access;
} expected_table[] = {
  { "person", "name",          "PHPP" },
  { "person", "id_number",     "MHMP" },
  { "person", "phone",         "PHMP" },
  { "person", "birth_date",    "MHMP" },
  { "person", "hukou_address", "MHMP" },
  { "room",   "owner_name",    "PHPP" },
};

static const PctRole roles[] = {
  PCT_ROLE_DISPATCHER, PCT_ROLE_CLERK, PCT_ROLE_SUPERVISOR, PCT_ROLE_ADMIN,
};

/* Helpers ----------------------------------------------------------------- */

static PctFieldAccess
access_from_letter (char letter)
{
  switch (letter)
    {
    case 'P':
      return PCT_FIELD_ACCESS_PLAIN;
    case 'M':
      return PCT_FIELD_ACCESS_MASKED;
    case 'H':
    default:
      return PCT_FIELD_ACCESS_HIDDEN;
    }
}

static PctStore *
open_copy (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *path = NULL;
  gsize length;
  PctStore *store;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  path = g_build_filename (g_get_user_data_dir (), name, NULL);
  g_assert_true (g_file_get_contents (template_path, &contents, &length, &error));
  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_assert_no_error (error);

  store = pct_store_open (path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  return store;
}

static gint64
query_int (PctStore   *store,
           const char *sql)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  gint64 value;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

static char *
query_text (PctStore   *store,
            const char *sql)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  char *value;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = pct_record_parse (parser, text, strlen (text), &error);

  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (root));
}

static gboolean
apply_text (PctStore    *store,
            const char  *text,
            GError     **error)
{
  g_autoptr(JsonObject) record = parse_object (text);

  return pct_record_apply (store, record, error);
}

static void
assert_mask (const char *entity,
             const char *field,
             const char *value,
             const char *expected)
{
  g_autofree char *masked = pct_roles_mask_value (entity, field, value);

  g_assert_cmpstr (masked, ==, expected);
  g_assert_true (pct_roles_is_masked_form (entity, field, masked));
}

static void
assert_address (const char *value,
                const char *expected)
{
  assert_mask ("person", "hukou_address", value, expected);
}

/* The table ---------------------------------------------------------------- */

static void
test_role_names (void)
{
  PctRole role = PCT_N_ROLES;

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      const char *name = pct_role_to_string (roles[i]);

      g_assert_nonnull (name);
      g_assert_true (pct_role_from_string (name, &role));
      g_assert_cmpint (role, ==, roles[i]);
    }
  g_assert_cmpstr (pct_role_to_string (PCT_ROLE_DISPATCHER), ==, "dispatcher");
  g_assert_cmpstr (pct_role_to_string (PCT_ROLE_CLERK), ==, "clerk");
  g_assert_cmpstr (pct_role_to_string (PCT_ROLE_SUPERVISOR), ==, "supervisor");
  g_assert_cmpstr (pct_role_to_string (PCT_ROLE_ADMIN), ==, "admin");

  role = PCT_ROLE_ADMIN;
  g_assert_false (pct_role_from_string ("Admin", &role));
  g_assert_false (pct_role_from_string ("root", &role));
  g_assert_false (pct_role_from_string ("", &role));
  g_assert_false (pct_role_from_string (NULL, &role));
  g_assert_cmpint (role, ==, PCT_ROLE_ADMIN);
}

static void
test_table (void)
{
  const PctPersonalField *fields;
  guint n = 0;
  guint n_entities;
  const PctRecordEntity *entities = pct_record_entities (&n_entities);

  fields = pct_roles_personal_fields (&n);
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expected_table));

  for (guint i = 0; i < G_N_ELEMENTS (expected_table); i++)
    {
      const char *entity = expected_table[i].entity;
      const char *field = expected_table[i].field;
      gboolean listed = FALSE;

      for (guint j = 0; j < n; j++)
        listed |= g_str_equal (fields[j].entity, entity) && g_str_equal (fields[j].field, field);
      g_assert_true (listed);
      g_assert_true (pct_roles_is_personal (entity, field));
      /* Every personal field is a field of the record mapping. */
      g_assert_cmpint (pct_record_entity_find_field (pct_record_entity_lookup (entity), field),
                       >=, 0);

      for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
        {
          PctFieldAccess expected = access_from_letter (expected_table[i].access[r]);

          g_test_message ("%s.%s for %s", entity, field, pct_role_to_string (roles[r]));
          g_assert_cmpint (pct_role_field_access (roles[r], entity, field), ==, expected);
          g_assert_cmpint (pct_role_may_unmask (roles[r], entity, field), ==,
                           expected == PCT_FIELD_ACCESS_MASKED);
        }
    }

  /* Every other field of every entity is plain to every role, and nobody
   * unmasks what is not masked. */
  for (guint e = 0; e < n_entities; e++)
    for (guint f = 0; f < entities[e].n_fields; f++)
      {
        const char *entity = entities[e].name;
        const char *field = entities[e].fields[f].name;
        gboolean personal = FALSE;

        for (guint i = 0; i < G_N_ELEMENTS (expected_table); i++)
          personal |= g_str_equal (expected_table[i].entity, entity) &&
                      g_str_equal (expected_table[i].field, field);
        g_assert_cmpint (pct_roles_is_personal (entity, field), ==, personal);
        if (personal)
          continue;
        for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
          {
            g_assert_cmpint (pct_role_field_access (roles[r], entity, field), ==,
                             PCT_FIELD_ACCESS_PLAIN);
            g_assert_false (pct_role_may_unmask (roles[r], entity, field));
          }
      }

  /* Same names on other entities are not personal: a unit's phone is a
   * business contact. */
  g_assert_false (pct_roles_is_personal ("unit", "phone"));
  g_assert_false (pct_roles_is_personal ("worker", "name"));
  g_assert_false (pct_roles_is_personal ("person", "sex"));
  g_assert_false (pct_roles_is_personal (NULL, "name"));
  g_assert_false (pct_roles_is_personal ("person", NULL));
}

/* Masked forms ------------------------------------------------------------- */

static void
test_mask_id_number (void)
{
  assert_mask ("person", "id_number", "50011619900101123X", "500116********123X");
  assert_mask ("person", "id_number", "11010519491231002x", "110105********002x");
  /* An old 15-digit number: first 6, last 4, 5 stars. */
  assert_mask ("person", "id_number", "110105491231002", "110105*****1002");
  /* A passport or permit number of 10 characters or fewer has nothing
   * between 6 and 4 to hide: all of it is hidden. */
  assert_mask ("person", "id_number", "E12345678", "*********");
  assert_mask ("person", "id_number", "1234567890", "**********");
  assert_mask ("person", "id_number", "12345678901", "123456*8901");
  assert_mask ("person", "id_number", "X", "*");

  g_assert_true (pct_roles_is_masked_form ("person", "id_number", "500116********123X"));
  g_assert_true (pct_roles_is_masked_form ("person", "id_number", "*****"));
  g_assert_false (pct_roles_is_masked_form ("person", "id_number", "50011619900101123X"));
  g_assert_false (pct_roles_is_masked_form ("person", "id_number", "500116*******0123X"));
  g_assert_false (pct_roles_is_masked_form ("person", "id_number", "5001161*******123X"));
  g_assert_false (pct_roles_is_masked_form ("person", "id_number", "E12345678"));
  g_assert_false (pct_roles_is_masked_form ("person", "id_number", "**3**"));
  g_assert_false (pct_roles_is_masked_form ("person", "id_number", NULL));
}

static void
test_mask_phone (void)
{
  assert_mask ("person", "phone", "13812345678", "138****5678");
  /* Landlines and service numbers are masked the same way. */
  assert_mask ("person", "phone", "023-47521234", "023*****1234");
  assert_mask ("person", "phone", "12345678", "123*5678");
  assert_mask ("person", "phone", "1234567", "*******");
  assert_mask ("person", "phone", "110", "***");
  assert_mask ("person", "phone", "", "");

  g_assert_true (pct_roles_is_masked_form ("person", "phone", "138****5678"));
  g_assert_false (pct_roles_is_masked_form ("person", "phone", "13812345678"));
  g_assert_false (pct_roles_is_masked_form ("person", "phone", "138***45678"));
  g_assert_false (pct_roles_is_masked_form ("person", "phone", "12345"));
}

static void
test_mask_name (void)
{
  const char * const fields[][2] = { { "person", "name" }, { "room", "owner_name" } };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *entity = fields[i][0];
      const char *field = fields[i][1];

      assert_mask (entity, field, "张", "*");
      assert_mask (entity, field, "张三", "张*");
      assert_mask (entity, field, "张小明", "张*明");
      assert_mask (entity, field, "欧阳娜娜", "欧**娜");
      assert_mask (entity, field, "阿卜杜拉·买买提", "阿******提");
      assert_mask (entity, field, "Li", "L*");
      assert_mask (entity, field, "John Smith", "J********h");

      g_assert_true (pct_roles_is_masked_form (entity, field, "王*"));
      g_assert_true (pct_roles_is_masked_form (entity, field, "*"));
      g_assert_false (pct_roles_is_masked_form (entity, field, "王芳"));
      g_assert_false (pct_roles_is_masked_form (entity, field, "王小芳"));
      g_assert_false (pct_roles_is_masked_form (entity, field, "张"));
      g_assert_false (pct_roles_is_masked_form (entity, field, "欧*娜娜"));
    }
}

static void
test_mask_address (void)
{
  /* Cut after the county-level division, whatever comes before it. */
  assert_address ("重庆市江津区几江街道 鼎山大道 12号 3栋 2单元 1502", "重庆市江津区****");
  assert_address ("重庆市江津区几江街道鼎山大道12号", "重庆市江津区****");
  assert_address ("北京市朝阳区建国路88号", "北京市朝阳区****");
  assert_address ("北京市通州区新华大街1号", "北京市通州区****");
  assert_address ("四川省成都市金牛区营门口街道", "四川省成都市金牛区****");
  assert_address ("四川省成都市都江堰市幸福街道", "四川省成都市都江堰市****");
  assert_address ("四川省都江堰市幸福街道灌口社区5组", "四川省都江堰市****");
  assert_address ("湖北省仙桃市干河街道", "湖北省仙桃市****");
  assert_address ("湖南省常德市津市市金鱼岭街道", "湖南省常德市津市市****");
  assert_address ("山东省济南市市中区大观园街道", "山东省济南市市中区****");
  assert_address ("浙江省杭州市西湖区文三路", "浙江省杭州市西湖区****");
  assert_address ("广东省东莞市长安镇乌沙村", "广东省东莞市****");
  assert_address ("广西壮族自治区南宁市青秀区民族大道", "广西壮族自治区南宁市青秀区****");
  assert_address ("新疆维吾尔自治区伊犁哈萨克自治州伊宁县吉里于孜镇",
                  "新疆维吾尔自治区伊犁哈萨克自治州伊宁县****");
  assert_address ("内蒙古自治区阿拉善盟阿拉善左旗巴彦浩特镇", "内蒙古自治区阿拉善盟阿拉善左旗****");
  assert_address ("西藏自治区阿里地区噶尔县狮泉河镇", "西藏自治区阿里地区噶尔县****");
  assert_address ("江苏省南京市鼓楼区中山路1号", "江苏省南京市鼓楼区****");
  assert_address ("河北省唐山市路南区学院路", "河北省唐山市路南区****");
  assert_address ("云南省昭通市镇雄县乌峰镇", "云南省昭通市镇雄县****");
  assert_address ("江津区几江街道", "江津区****");
  assert_address ("通州区新华大街", "通州区****");
  assert_address ("香港特别行政区中西区", "香港特别行政区中西区****");
  assert_address ("北京市", "北京市****");
  assert_address ("北京市建国路88号", "北京市****");
  assert_address ("四川省某某街道", "四川省****");

  /* No division recognised: the first six characters, or nothing of a
   * short text, which would otherwise come out whole. */
  assert_address ("几江街道鼎山大道12号", "几江街道鼎山****");
  assert_address ("Flat 3, 12 Baker Street", "Flat 3****");
  assert_address ("鼎山大道", "****");
  assert_address ("几江街道鼎山", "****");
  assert_address ("", "****");
  /* A district's name after a road is not the division of the address. */
  assert_address ("鼎山大道江津区政府旁", "鼎山大道江津****");

  g_assert_true (pct_roles_is_masked_form ("person", "hukou_address", "****"));
  g_assert_true (pct_roles_is_masked_form ("person", "hukou_address", "北京市朝阳区****"));
  g_assert_false (pct_roles_is_masked_form ("person", "hukou_address", "北京市朝阳区建国路88号"));
  g_assert_false (pct_roles_is_masked_form ("person", "hukou_address",
                                            "北京市朝阳区建国路88号****"));
  g_assert_false (pct_roles_is_masked_form ("person", "hukou_address", "北京市朝阳区***"));
  g_assert_false (pct_roles_is_masked_form ("person", "hukou_address", "重庆市江津区几江街道****"));
}

static void
test_mask_null_and_other (void)
{
  g_autofree char *plain = NULL;

  /* A date has no masked text: it is null. */
  g_assert_null (pct_roles_mask_value ("person", "birth_date", "1949-12-31"));
  g_assert_true (pct_roles_is_masked_form ("person", "birth_date", NULL));
  g_assert_false (pct_roles_is_masked_form ("person", "birth_date", "1949-12-31"));
  g_assert_false (pct_roles_is_masked_form ("person", "birth_date", "****-**-**"));
  /* Text fields have no null form. */
  g_assert_false (pct_roles_is_masked_form ("person", "hukou_address", NULL));
  g_assert_null (pct_roles_mask_value ("person", "name", NULL));

  /* Fields that are not personal pass through and have no masked form. */
  plain = pct_roles_mask_value ("unit", "phone", "023-47520000");
  g_assert_cmpstr (plain, ==, "023-47520000");
  g_assert_false (pct_roles_is_masked_form ("unit", "phone", "023****0000"));
}

/* Whatever the value, its masked form is recognised, is valid UTF-8, and
 * says no more than it must. */
static void
test_mask_any_input (void)
{
  static const char * const pieces[] = {
    "1", "9", "X", "x", "*", "-", " ", "张", "欧阳", "区", "县", "市", "省", "州", "旗",
    "街道", "社区", "号", "北京市", "自治区", "路", "镇", "a", "\xff", "\xe5\xbc", "é",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  guint n_fields;
  const PctPersonalField *fields = pct_roles_personal_fields (&n_fields);

  for (guint round = 0; round < 4000; round++)
    {
      g_autoptr(GString) value = g_string_new (NULL);
      guint n = (guint) g_rand_int_range (rand, 0, 24);

      for (guint i = 0; i < n; i++)
        g_string_append (value, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);

      for (guint f = 0; f < n_fields; f++)
        {
          g_autofree char *masked = pct_roles_mask_value (fields[f].entity, fields[f].field,
                                                          value->str);

          if (g_str_equal (fields[f].field, "birth_date"))
            {
              g_assert_null (masked);
              continue;
            }
          g_assert_nonnull (masked);
          g_assert_true (g_utf8_validate (masked, -1, NULL));
          if (!pct_roles_is_masked_form (fields[f].entity, fields[f].field, masked))
            g_error ("%s.%s: “%s” masked as “%s” is not recognised", fields[f].entity,
                     fields[f].field, value->str, masked);
          /* Clear text is refused: for ID numbers, phones and names the
           * masked forms are exactly the values masking leaves alone; an
           * address is masked when it ends in the mark. */
          if (!g_utf8_validate (value->str, -1, NULL))
            continue;
          if (g_str_equal (fields[f].field, "hukou_address"))
            {
              if (!g_str_has_suffix (value->str, PCT_ROLES_ADDRESS_MASK))
                g_assert_false (pct_roles_is_masked_form (fields[f].entity, fields[f].field,
                                                          value->str));
            }
          else if (g_strcmp0 (masked, value->str) != 0)
            g_assert_false (pct_roles_is_masked_form (fields[f].entity, fields[f].field,
                                                      value->str));
        }
    }
}

/* Masked records ----------------------------------------------------------- */

#define PERSON_HEAD "{\"entity\":\"person\",\"id\":900001,\"version\":1,\"updated_at\":0,"
#define PERSON_DATA(name, id_number, birth, hukou, phone) \
  "\"data\":{\"name\":" name ",\"id_number\":" id_number ",\"birth_date\":" birth \
  ",\"hukou_address\":" hukou ",\"phone\":" phone ",\"category\":\"registered\"," \
  "\"household_status\":\"match\"}"

static void
test_masked_records (void)
{
  g_autoptr(PctStore) store = open_copy ("masked-records.db");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  static const struct
  {
    const char *record;
    const char *reason;   /* a word the rejection must contain */
  } rejected[] = {
    /* Masked without saying so: the ID number's own check applies. */
    { PERSON_HEAD PERSON_DATA ("\"王芳\"", "\"500116********123X\"", "null", "null", "null") "}",
      "id_number" },
    /* Listed, but clear text. */
    { PERSON_HEAD PERSON_DATA ("\"王芳\"", "\"11010519491231002X\"", "null", "null", "null")
      ",\"masked\":[\"id_number\"]}", "masked form" },
    /* A masked date is null. */
    { PERSON_HEAD PERSON_DATA ("\"王芳\"", "\"110105********002X\"", "\"1949-12-31\"", "null",
                               "null") ",\"masked\":[\"id_number\",\"birth_date\"]}",
      "masked form" },
    /* A required field keeps a masked text: null is no masked name. */
    { PERSON_HEAD PERSON_DATA ("null", "\"110105********002X\"", "null", "null", "null")
      ",\"masked\":[\"name\",\"id_number\"]}", "required" },
    { PERSON_HEAD PERSON_DATA ("\"王*\"", "\"110105********002X\"", "null", "null", "null")
      ",\"masked\":[\"name\",\"sex\"]}", "sex" },
    { PERSON_HEAD PERSON_DATA ("\"王*\"", "\"110105********002X\"", "null", "null", "null")
      ",\"masked\":[\"id_number\",\"id_number\"]}", "twice" },
    { PERSON_HEAD PERSON_DATA ("\"王*\"", "\"110105********002X\"", "null", "null", "null")
      ",\"masked\":[\"nickname\"]}", "nickname" },
    { PERSON_HEAD PERSON_DATA ("\"王*\"", "\"110105********002X\"", "null", "null", "null")
      ",\"masked\":\"id_number\"}", "masked" },
    { PERSON_HEAD PERSON_DATA ("\"王*\"", "\"110105********002X\"", "null", "null", "null")
      ",\"masked\":[1]}", "masked" },
    /* Other fields stay strict. */
    { PERSON_HEAD "\"data\":{\"name\":\"王*\",\"id_number\":\"110105********002X\","
      "\"category\":\"alien\",\"household_status\":\"match\"},\"masked\":[\"name\",\"id_number\"]}",
      "category" },
    { PERSON_HEAD PERSON_DATA ("\"王芳\"", "\"110105********002X\"", "null", "null",
                               "\"139****567\"") ",\"masked\":[\"id_number\"]}", "phone" },
    /* Masked forms of another field do not pass. */
    { PERSON_HEAD PERSON_DATA ("\"王芳\"", "\"110105********002X\"", "null", "\"北京市朝阳区\"",
                               "null") ",\"masked\":[\"id_number\",\"hukou_address\"]}",
      "masked form" },
    { "{\"entity\":\"unit\",\"id\":900001,\"data\":{},\"masked\":[\"phone\"]}", "phone" },
  };

  /* What a dispatcher receives: stored as received. */
  g_assert_true (apply_text (store,
                             PERSON_HEAD PERSON_DATA ("\"王芳\"", "\"110105********002X\"", "null",
                                                      "\"北京市朝阳区****\"", "\"13912345678\"")
                             ",\"masked\":[\"id_number\",\"birth_date\",\"hukou_address\"]}",
                             &error));
  g_assert_no_error (error);
  text = query_text (store, "SELECT id_number || '|' || hukou_address || '|' || "
                            "coalesce (birth_date, 'null') FROM people WHERE id = 900001");
  g_assert_cmpstr (text, ==, "110105********002X|北京市朝阳区****|null");
  g_clear_pointer (&text, g_free);

  /* What a clerk receives: everything personal masked, short values too. */
  g_assert_true (apply_text (store,
                             PERSON_HEAD PERSON_DATA ("\"*\"", "\"*********\"", "null", "\"****\"",
                                                      "\"139****5678\"")
                             ",\"masked\":[\"name\",\"id_number\",\"birth_date\","
                             "\"hukou_address\",\"phone\"]}",
                             &error));
  g_assert_no_error (error);
  text = query_text (store, "SELECT name || '|' || id_number || '|' || phone "
                            "FROM people WHERE id = 900001");
  g_assert_cmpstr (text, ==, "*|*********|139****5678");
  g_clear_pointer (&text, g_free);

  /* An empty list and null are no masking at all. */
  g_assert_true (apply_text (store,
                             PERSON_HEAD PERSON_DATA ("\"王芳\"", "\"11010519491231002X\"",
                                                      "\"1949-12-31\"", "null", "null")
                             ",\"masked\":[]}", &error));
  g_assert_no_error (error);
  g_assert_true (apply_text (store,
                             PERSON_HEAD PERSON_DATA ("\"王芳\"", "\"11010519491231002X\"", "null",
                                                      "null", "null") ",\"masked\":null}", &error));
  g_assert_no_error (error);

  /* A room's owner. */
  {
    g_autofree char *room = g_strdup_printf (
      "{\"entity\":\"room\",\"id\":900001,\"version\":1,\"updated_at\":0,\"data\":{"
      "\"building_id\":%" G_GINT64_FORMAT ",\"code\":\"R-TEST-1\",\"unit_no\":1,\"floor\":1,"
      "\"room_no\":\"101\",\"use\":\"residential\",\"occupancy\":\"owner\","
      "\"owner_name\":\"李*\"},\"masked\":[\"owner_name\"]}",
      query_int (store, "SELECT min(id) FROM buildings"));

    g_assert_true (apply_text (store, room, &error));
    g_assert_no_error (error);
  }

  for (guint i = 0; i < G_N_ELEMENTS (rejected); i++)
    {
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;

      before = pct_store_content_hash (store, &error);
      g_assert_no_error (error);
      g_assert_false (apply_text (store, rejected[i].record, &error));
      g_assert_nonnull (error);
      g_test_message ("rejected %u: %s", i, error->message);
      g_assert_true (error->domain == PCT_RECORD_ERROR);
      g_assert_nonnull (strstr (error->message, rejected[i].reason));
      g_clear_error (&error);
      after = pct_store_content_hash (store, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (before, ==, after);
    }
}

typedef struct
{
  GPtrArray *reasons;
} Rejections;

static void
rejected_cb (guint64             tag,
             const PctJsonNode  *record,
             const char         *reason,
             gpointer            user_data)
{
  Rejections *rejections = user_data;

  g_ptr_array_add (rejections->reasons, g_strdup_printf ("%" G_GUINT64_FORMAT ": %s", tag, reason));
}

static void
test_masked_batch (void)
{
  g_autoptr(PctStore) store = open_copy ("masked-batch.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(PctRecordBatch) batch = NULL;
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  Rejections rejections = { reasons };
  static const char * const lines[] = {
    "{\"entity\":\"person\",\"id\":900001,\"version\":1,\"updated_at\":0,"
    PERSON_DATA ("\"王芳\"", "\"110105********002X\"", "null", "null", "null")
    ",\"masked\":[\"id_number\"]}",
    "{\"entity\":\"person\",\"id\":900002,\"version\":1,\"updated_at\":0,"
    PERSON_DATA ("\"王芳\"", "\"110105********002X\"", "null", "null", "null") "}",
    "{\"entity\":\"person\",\"id\":900003,\"version\":1,\"updated_at\":0,"
    PERSON_DATA ("\"张*明\"", "\"500116********123X\"", "null", "\"重庆市江津区****\"", "null")
    ",\"masked\":[\"name\",\"id_number\",\"hukou_address\"]}",
  };

  g_assert_true (pct_store_begin (store, &error));
  batch = pct_record_batch_new (store, rejected_cb, &rejections);
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(JsonObject) record = parse_object (lines[i]);

      g_assert_true (pct_record_batch_add (batch, record, i + 1, &error));
      g_assert_no_error (error);
    }
  g_assert_true (pct_record_batch_flush (batch, &error));
  g_assert_true (pct_store_commit (store, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (pct_record_batch_get_applied (batch), ==, 2);
  g_assert_cmpuint (reasons->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (reasons, 0), "2: "));
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM people WHERE id IN (900001, 900003)"),
                   ==, 2);
}

/* Readers for keys, and masking as the hub sends ---------------------------- */

static GPtrArray *
read_keys (PctStore              *store,
           const PctRecordEntity *entity,
           const char * const    *keys,
           guint                  n_keys)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PctRecordReader) reader = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

  reader = pct_record_reader_new_for_keys (store, entity, keys, n_keys, &error);
  g_assert_no_error (error);
  while (pct_record_reader_next (reader, &error))
    {
      GString *key = g_string_new (NULL);

      pct_record_reader_append_key_text (reader, key);
      g_ptr_array_add (found, g_string_free (key, FALSE));
    }
  g_assert_no_error (error);
  return g_steal_pointer (&found);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Compares as sets: the reader promises no order. */
static void
assert_keys (GPtrArray  *found,
             const char *expected)
{
  g_auto(GStrv) wanted = g_strsplit (expected, " ", -1);
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  if (*expected == '\0')
    {
      g_assert_cmpuint (found->len, ==, 0);
      return;
    }
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (found, i));
  g_ptr_array_sort (sorted, compare_strings);
  qsort (wanted, g_strv_length (wanted), sizeof (char *), compare_strings);

  g_assert_cmpuint (sorted->len, ==, g_strv_length (wanted));
  for (guint i = 0; i < sorted->len; i++)
    g_assert_cmpstr (g_ptr_array_index (sorted, i), ==, wanted[i]);
}

static void
test_reader_for_keys (void)
{
  g_autoptr(PctStore) store = open_copy ("for-keys.db");
  const PctRecordEntity *person = pct_record_entity_lookup ("person");
  const PctRecordEntity *setting = pct_record_entity_lookup ("setting");
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;
  gint64 max_id = query_int (store, "SELECT max(id) FROM people");
  g_autofree char *last = g_strdup_printf ("%" G_GINT64_FORMAT, max_id);
  g_autofree char *beyond = g_strdup_printf ("%" G_GINT64_FORMAT, max_id + 1);
  const char *keys[] = {
    "3", "1", last, "3", beyond, "088", "+2", " 2", "2 ", "x", "", "-1",
    "99999999999999999999", NULL, "2",
  };
  g_autofree char *expected = NULL;

  g_assert_true (pct_store_exec (store, "INSERT INTO meta (key, value) VALUES "
                                        "('a.b', '1'), ('c', '2')", &error));
  g_assert_no_error (error);

  /* Each row once, keys that name none left out. */
  found = read_keys (store, person, keys, G_N_ELEMENTS (keys));
  expected = g_strdup_printf ("1 2 3 %s", last);
  assert_keys (found, expected);
  g_clear_pointer (&found, g_ptr_array_unref);

  found = read_keys (store, person, NULL, 0);
  assert_keys (found, "");
  g_clear_pointer (&found, g_ptr_array_unref);

  {
    const char *text_keys[] = { "c", "nope", "a.b", "C" };

    found = read_keys (store, setting, text_keys, G_N_ELEMENTS (text_keys));
    assert_keys (found, "a.b c");
    g_clear_pointer (&found, g_ptr_array_unref);
  }

  /* A line for a key is the line the full reader writes for it. */
  {
    g_autoptr(PctRecordReader) all = pct_record_reader_new (store, person, &error);
    g_autoptr(PctRecordReader) one = NULL;
    g_autoptr(GString) a = g_string_new (NULL);
    g_autoptr(GString) b = g_string_new (NULL);
    g_autoptr(GString) key = g_string_new (NULL);
    const char *keys_one[1];

    g_assert_no_error (error);
    g_assert_true (pct_record_reader_next (all, &error));
    pct_record_reader_append_record (all, a);
    pct_record_reader_append_key_text (all, key);
    g_clear_pointer (&all, pct_record_reader_free);

    keys_one[0] = key->str;
    one = pct_record_reader_new_for_keys (store, person, keys_one, 1, &error);
    g_assert_no_error (error);
    g_assert_true (pct_record_reader_next (one, &error));
    pct_record_reader_append_record (one, b);
    g_assert_false (pct_record_reader_next (one, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (a->str, ==, b->str);
  }
}

/* Every person and room of the district as each role would receive them,
 * applied the way a client applies the feed: every line must be accepted,
 * and hold nothing the role may not read. */
static void
test_masked_lines_apply (void)
{
  const char * const entity_names[] = { "person", "room" };

  for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
    {
      g_autofree char *name = g_strdup_printf ("masked-%s.db", pct_role_to_string (roles[r]));
      g_autofree char *hub_name = g_strdup_printf ("hub-%s.db", pct_role_to_string (roles[r]));
      g_autoptr(PctStore) hub = open_copy (hub_name);
      g_autoptr(PctStore) client = open_copy (name);
      gint64 n_people = query_int (hub, "SELECT count(*) FROM people WHERE id_number <> ''");
      guint n_masked = 0;
      guint n_lines = 0;

      for (guint e = 0; e < G_N_ELEMENTS (entity_names); e++)
        {
          const PctRecordEntity *entity = pct_record_entity_lookup (entity_names[e]);
          g_autoptr(PctRecordReader) reader = NULL;
          g_autoptr(GError) error = NULL;

          reader = pct_record_reader_new (hub, entity, &error);
          g_assert_no_error (error);
          g_assert_true (pct_store_begin (client, &error));
          while (pct_record_reader_next (reader, &error))
            {
              g_autoptr(GString) line = g_string_new (NULL);
              g_autoptr(GString) plain = g_string_new (NULL);
              g_autoptr(JsonObject) record = NULL;
              JsonObject *data;
              JsonArray *masked = NULL;

              pct_record_reader_append_record_masked (reader, roles[r], line);
              pct_record_reader_append_record (reader, plain);
              record = parse_object (line->str);
              data = json_object_get_object_member (record, "data");
              if (json_object_has_member (record, "masked"))
                masked = json_object_get_array_member (record, "masked");

              if (roles[r] == PCT_ROLE_ADMIN)
                g_assert_cmpstr (line->str, ==, plain->str);

              for (guint f = 0; f < entity->n_fields; f++)
                {
                  const char *field = entity->fields[f].name;
                  PctFieldAccess access = pct_role_field_access (roles[r], entity->name, field);
                  JsonNode *value = json_object_get_member (data, field);
                  gboolean listed = FALSE;

                  for (guint m = 0; masked != NULL && m < json_array_get_length (masked); m++)
                    listed |= g_str_equal (json_array_get_string_element (masked, m), field);

                  /* Listed exactly when a value the role may not read was there. */
                  g_assert_cmpint (listed, ==, access != PCT_FIELD_ACCESS_PLAIN &&
                                               !pct_record_reader_is_null (reader, f));
                  if (listed)
                    {
                      g_assert_true (pct_roles_is_masked_form (
                        entity->name, field,
                        JSON_NODE_HOLDS_NULL (value) ? NULL : json_node_get_string (value)));
                      n_masked++;
                    }
                }
              if (masked != NULL)
                g_assert_cmpuint (json_array_get_length (masked), >, 0);

              if (!pct_record_apply (client, record, &error))
                g_error ("%s refused for %s: %s", line->str, pct_role_to_string (roles[r]),
                         error->message);
              n_lines++;
            }
          g_assert_no_error (error);
          g_clear_pointer (&reader, pct_record_reader_free);
          g_assert_true (pct_store_commit (client, &error));
          g_assert_no_error (error);
        }

      g_test_message ("%s: %u lines, %u values masked", pct_role_to_string (roles[r]), n_lines,
                      n_masked);
      g_assert_cmpuint (n_lines, >, 100);
      /* Nobody but an admin reads ID numbers, and every person has one. */
      if (roles[r] == PCT_ROLE_ADMIN)
        g_assert_cmpuint (n_masked, ==, 0);
      else
        g_assert_cmpint (n_masked, >=, n_people);

      /* What the client now holds. */
      if (roles[r] == PCT_ROLE_CLERK)
        g_assert_cmpint (query_int (client, "SELECT count(*) FROM people WHERE name NOT LIKE '%*%'"),
                         ==, 0);
      if (roles[r] == PCT_ROLE_DISPATCHER || roles[r] == PCT_ROLE_SUPERVISOR)
        {
          g_assert_cmpint (query_int (client, "SELECT count(*) FROM people "
                                              "WHERE birth_date IS NOT NULL"), ==, 0);
          g_assert_cmpint (query_int (client, "SELECT count(*) FROM people "
                                              "WHERE id_number NOT LIKE '%*%'"), ==, 0);
          g_assert_cmpint (query_int (client, "SELECT count(*) FROM people "
                                              "WHERE hukou_address IS NOT NULL "
                                              "AND hukou_address NOT LIKE '%****'"), ==, 0);
        }
    }
}

/* What the hub does for a page of 2,000 people: read them by key and write
 * them masked. Reported, not asserted: timings belong to benchmarks. */
static void
test_masked_page_time (void)
{
  g_autoptr(PctStore) store = open_copy ("page.db");
  const PctRecordEntity *person = pct_record_entity_lookup ("person");
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  double best = G_MAXDOUBLE;
  gsize bytes = 0;
  guint n_rows = 0;

  stmt = pct_store_prepare (store, "SELECT id FROM people ORDER BY id DESC LIMIT 2000", &error);
  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (keys, g_strdup_printf ("%" G_GINT64_FORMAT,
                                            (gint64) sqlite3_column_int64 (stmt, 0)));
  sqlite3_reset (stmt);
  g_assert_cmpuint (keys->len, >, 0);

  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(PctRecordReader) reader = NULL;
      g_autoptr(GString) page = g_string_sized_new (1024 * 1024);
      gint64 start = g_get_monotonic_time ();

      n_rows = 0;
      reader = pct_record_reader_new_for_keys (store, person, (const char * const *) keys->pdata,
                                               keys->len, &error);
      g_assert_no_error (error);
      while (pct_record_reader_next (reader, &error))
        {
          pct_record_reader_append_record_masked (reader, PCT_ROLE_DISPATCHER, page);
          g_string_append_c (page, '\n');
          n_rows++;
        }
      g_assert_no_error (error);
      best = MIN (best, (g_get_monotonic_time () - start) / 1000.0);
      bytes = page->len;
    }

  g_assert_cmpuint (n_rows, ==, keys->len);
  g_test_message ("%u people by key, masked for a dispatcher: %.2f ms, %" G_GSIZE_FORMAT " bytes",
                  n_rows, best, bytes);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  dir = g_dir_make_tmp ("test-roles-XXXXXX", &error);
  g_assert_no_error (error);
  template_path = g_build_filename (dir, "district.db", NULL);
  store = pct_store_open (template_path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  pct_generate_district (store, PCT_DISTRICT_SMALL, 3, REFERENCE_TIME, NULL, NULL, &error);
  g_assert_no_error (error);
  pct_store_exec (store, "PRAGMA wal_checkpoint(TRUNCATE)", &error);
  g_assert_no_error (error);
  g_clear_object (&store);

  g_test_add_func ("/roles/names", test_role_names);
  g_test_add_func ("/roles/table", test_table);
  g_test_add_func ("/roles/mask/id-number", test_mask_id_number);
  g_test_add_func ("/roles/mask/phone", test_mask_phone);
  g_test_add_func ("/roles/mask/name", test_mask_name);
  g_test_add_func ("/roles/mask/address", test_mask_address);
  g_test_add_func ("/roles/mask/null-and-other", test_mask_null_and_other);
  g_test_add_func ("/roles/mask/any-input", test_mask_any_input);
  g_test_add_func ("/roles/records/masked", test_masked_records);
  g_test_add_func ("/roles/records/masked-batch", test_masked_batch);
  g_test_add_func ("/roles/records/for-keys", test_reader_for_keys);
  g_test_add_func ("/roles/records/masked-lines-apply", test_masked_lines_apply);
  g_test_add_func ("/roles/records/masked-page-time", test_masked_page_time);

  status = g_test_run ();

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *file = g_strconcat (template_path, (const char *[]) { "", "-wal", "-shm" }[i],
                                           NULL);
      g_unlink (file);
    }
  g_rmdir (dir);
  return status;
}
