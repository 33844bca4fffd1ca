/* test-json.c — the compact JSON document against json-glib's reading of
 * the same text, and the doubled members it refuses
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-json"

#include "config.h"

#include <string.h>

#include "pct-json.h"
#include "pct-record.h"

/* Walks node and the json-glib node of the same value side by side. */
static void
assert_same (const PctJsonNode *node,
             JsonNode          *expected)
{
  switch (json_node_get_node_type (expected))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (expected);
        const PctJsonNode *member = pct_json_node_first_child (node);

        g_assert_cmpint (node->type, ==, PCT_JSON_OBJECT);
        g_assert_cmpuint (node->n_children, ==, json_object_get_size (object));
        for (guint i = 0; i < node->n_children; i++, member = pct_json_node_next (member))
          {
            g_assert_cmpuint (member->name_len, ==, strlen (member->name));
            g_assert_true (pct_json_object_get_member (node, member->name) == member);
            assert_same (member, json_object_get_member (object, member->name));
          }
        g_assert_null (pct_json_object_get_member (node, "no such member"));
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (expected);
        const PctJsonNode *element = pct_json_node_first_child (node);

        g_assert_cmpint (node->type, ==, PCT_JSON_ARRAY);
        g_assert_cmpuint (node->n_children, ==, json_array_get_length (array));
        for (guint i = 0; i < node->n_children; i++, element = pct_json_node_next (element))
          assert_same (element, json_array_get_element (array, i));
      }
      break;

    case JSON_NODE_NULL:
      g_assert_cmpint (node->type, ==, PCT_JSON_NULL);
      break;

    case JSON_NODE_VALUE:
    default:
      if (json_node_get_value_type (expected) == G_TYPE_STRING)
        {
          g_assert_cmpint (node->type, ==, PCT_JSON_STRING);
          g_assert_cmpstr (node->v.string.str, ==, json_node_get_string (expected));
          g_assert_cmpuint (node->v.string.len, ==, strlen (json_node_get_string (expected)));
        }
      else if (json_node_get_value_type (expected) == G_TYPE_INT64)
        {
          g_assert_cmpint (node->type, ==, PCT_JSON_INTEGER);
          g_assert_cmpint (node->v.integer, ==, json_node_get_int (expected));
        }
      else if (json_node_get_value_type (expected) == G_TYPE_DOUBLE)
        {
          g_assert_cmpint (node->type, ==, PCT_JSON_DOUBLE);
          g_assert_cmpfloat (node->v.number, ==, json_node_get_double (expected));
        }
      else
        {
          g_assert_cmpint (node->type, ==, PCT_JSON_BOOLEAN);
          g_assert_cmpint (node->v.boolean, ==, json_node_get_boolean (expected));
        }
      break;
    }
}

static const char * const documents[] = {
  "{}",
  "[]",
  " \t\r\n{ \"a\" : [ 1 , -2 , 0 , -0 , 9223372036854775807 , -9223372036854775808 ] } \n",
  "{\"d\":[1.5,-0.25,1e3,2E-2,123456789012345678901234567890.5,0.1]}",
  "{\"s\":\"plain\",\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"u\":\"\\u00e9\\u4e2d\\ud83d\\ude00\","
  "\"raw\":\"重庆市江津区 😀\",\"empty\":\"\"}",
  "{\"t\":true,\"f\":false,\"n\":null,\"nested\":{\"a\":{\"b\":[{\"c\":[[]]},{}]}},\"z\":[null]}",
  "[{\"entity\":\"person\",\"id\":1,\"data\":{\"rooms\":[{\"room_code\":\"R-1\"}]}},"
  "{\"entity\":\"address\",\"id\":2.0,\"deleted\":true}]",
  "\"a lone string\"",
  "42",
};

static void
test_like_json_glib (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(PctJson) json = NULL;
      g_autoptr(PctJson) copied = NULL;
      gsize length = strlen (documents[i]);

      g_test_message ("%s", documents[i]);
      g_assert_true (pct_record_check_json (documents[i], length, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (json_parser_load_from_data (parser, documents[i], (gssize) length, &error));
      g_assert_no_error (error);

      json = pct_json_new_from_text (documents[i], length, PCT_RECORD_MAX_DEPTH);
      g_assert_nonnull (json);
      assert_same (pct_json_get_root (json), json_parser_get_root (parser));
      g_assert_cmpuint (pct_json_get_root (json)->size, ==,
                        pct_json_node_next (pct_json_get_root (json)) - pct_json_get_root (json));

      /* The copy of a json-glib tree reads the same. */
      copied = pct_json_new_from_node (json_parser_get_root (parser));
      assert_same (pct_json_get_root (copied), json_parser_get_root (parser));
    }
}

static void
test_doubled_members (void)
{
  g_autoptr(GString) many = g_string_new ("{");
  g_autoptr(GString) many_doubled = NULL;
  g_autoptr(PctJson) json = NULL;
  static const char * const doubled[] = {
    "{\"a\":1,\"a\":2}",
    "{\"a\":1,\"b\":{\"c\":1,\"d\":2,\"c\":3}}",
    "[{\"x\":1},{\"y\":1,\"y\":1}]",
    "{\"\\u0061\":1,\"a\":2}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (doubled); i++)
    {
      g_assert_true (pct_record_check_json (doubled[i], strlen (doubled[i]), NULL, NULL));
      g_assert_null (pct_json_new_from_text (doubled[i], strlen (doubled[i]), PCT_RECORD_MAX_DEPTH));
    }

  /* Past the members compared pairwise, a hash table finds them. */
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (many, "%s\"m%u\":%u", i > 0 ? "," : "", i, i);
  many_doubled = g_string_new (many->str);
  g_string_append (many, "}");
  g_string_append (many_doubled, ",\"m17\":0}");

  json = pct_json_new_from_text (many->str, many->len, PCT_RECORD_MAX_DEPTH);
  g_assert_nonnull (json);
  g_assert_cmpuint (pct_json_get_root (json)->n_children, ==, 40);
  g_assert_cmpint (pct_json_object_get_member (pct_json_get_root (json), "m39")->v.integer, ==,
                   39);
  g_assert_null (pct_json_new_from_text (many_doubled->str, many_doubled->len,
                                          PCT_RECORD_MAX_DEPTH));
}

/* What the separate checks say of text: well-formed UTF-8 and strict
 * JSON of bounded depth. */
static gboolean
passes_checks (const char *text,
               gsize       length)
{
  return g_utf8_validate_len (text, length, NULL) &&
         pct_record_check_json (text, length, NULL, NULL);
}

static void
assert_refused (const char *text,
                gsize       length)
{
  g_autoptr(PctJson) json = pct_json_new_from_text (text, length, PCT_RECORD_MAX_DEPTH);
  g_autofree char *copy = g_strndup (text, length);
  g_autofree char *shown = g_strescape (copy, NULL);

  g_test_message ("refused: %s", shown);
  g_assert_null (json);
  g_assert_false (passes_checks (text, length));
}

/* The builder checks as it goes: everything the separate checks refuse,
 * it refuses. */
static void
test_strict (void)
{
  static const char * const refused[] = {
    "", " ", "{", "}", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}",
    "{'a':1}", "[01]", "[1.]", "[.5]", "[1e]", "[1e+]", "[-]", "[+1]", "[0x10]",
    "[9223372036854775808]", "[-9223372036854775809]", "[123456789012345678901]",
    "[tru]", "[nul]", "[True]", "[1] [2]", "[\"a\\x\"]", "[\"\\u12\"]", "[\"\\u0000\"]",
    "[\"\\udc00\"]", "[\"\\ud800\"]", "[\"\\ud800\\u0041\"]", "[\"a\tb\"]", "[\"a\nb\"]",
    "[\"open]", "[\"\\\"]", "\"\\",
    /* Ill-formed UTF-8: a lone continuation byte, a cut sequence, overlong
     * forms, an encoded surrogate, past U+10FFFF. */
    "[\"\x80\"]", "[\"\xe4\xb8\"]", "[\"\xc0\xaf\"]", "[\"\xe0\x80\xaf\"]", "[\"\xed\xa0\x80\"]",
    "[\"\xf4\x90\x80\x80\"]", "[\"\xff\"]", "[\xe4\xb8\xad]",
  };
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(PctJson) json = NULL;
  static const char nul_inside[] = "[\"a\0b\"]";

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    assert_refused (refused[i], strlen (refused[i]));
  assert_refused (nul_inside, sizeof nul_inside - 1);

  /* As deep as allowed, then one deeper. */
  for (guint i = 0; i < PCT_RECORD_MAX_DEPTH; i++)
    g_string_insert (deep, 0, "[");
  for (guint i = 0; i < PCT_RECORD_MAX_DEPTH; i++)
    g_string_append (deep, "]");
  json = pct_json_new_from_text (deep->str, deep->len, PCT_RECORD_MAX_DEPTH);
  g_assert_nonnull (json);
  g_assert_true (passes_checks (deep->str, deep->len));
  g_string_prepend (deep, "[");
  g_string_append (deep, "]");
  assert_refused (deep->str, deep->len);
}

/* Seeded damage to a page-like document: the builder accepts exactly what
 * the separate checks accept. Member names differ in length, so that no
 * one change makes two of them the same. */
static void
test_strict_like_checks (void)
{
  static const char original[] =
    "{\"cursor\":\"c-42\",\"has_more\":true,\"records\":[{\"entity\":\"person\",\"id\":17,"
    "\"data\":{\"name\":\"张伟\",\"note\":\"\\u4e2d\\ud83d\\ude00 \\\"q\\\" \\/\\t\","
    "\"lon\":106.2567,\"lat\":-29.25e-1,\"n\":[0,-0,12,null,false]}}]}";
  static const char replacements[] = "\"\\{}[],:0-.eEu\x80\xbf\xc3\xe4\xed\xf0\xf4\xff \t\n";
  g_autoptr(GRand) rand = g_rand_new_with_seed (1122);
  guint accepted = 0;

  g_assert_true (passes_checks (original, sizeof original - 1));

  for (guint round = 0; round < 20000; round++)
    {
      g_autofree char *text = g_memdup2 (original, sizeof original);
      gsize length = sizeof original - 1;
      guint n_changes = (guint) g_rand_int_range (rand, 1, 4);
      g_autoptr(PctJson) json = NULL;
      gboolean expected;

      for (guint c = 0; c < n_changes; c++)
        {
          gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) length);

          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0:   /* a byte replaced */
              text[at] = replacements[g_rand_int_range (rand, 0, sizeof replacements - 1)];
              break;
            case 1:   /* a byte removed */
              memmove (text + at, text + at + 1, length - at);
              length--;
              break;
            default:  /* cut short */
              length = at;
              break;
            }
          if (length == 0)
            break;
        }

      expected = passes_checks (text, length);
      json = pct_json_new_from_text (text, length, PCT_RECORD_MAX_DEPTH);
      if ((json != NULL) != expected)
        g_error ("round %u: the builder %s %.*s", round, json ? "accepts" : "refuses",
                 (int) length, text);
      accepted += expected;
    }

  /* The damage both spoils and spares. */
  g_test_message ("%u of 20000 damaged documents still strict JSON", accepted);
  g_assert_cmpuint (accepted, >, 100);
  g_assert_cmpuint (accepted, <, 19900);
}

/* pct_record_parse_json() refuses what pct_record_parse() refuses, in the
 * same words. */
static void
test_record_parse (void)
{
  static const char * const refused[] = {
    "[1]",
    "{\"a\":1,\"a\":2}",
    "{\"a\":",
    "{\"a\":\"\\u0000\"}",
    "{\"a\":12345678901234567890}",
  };
  g_autoptr(PctJson) json = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) compact_error = NULL;
      g_autoptr(GError) tree_error = NULL;
      g_autoptr(JsonNode) root = NULL;

      g_assert_null (pct_record_parse_json (refused[i], strlen (refused[i]), &compact_error));
      root = pct_record_parse (parser, refused[i], strlen (refused[i]), &tree_error);
      g_assert_null (root);
      g_assert_error (compact_error, PCT_RECORD_ERROR, tree_error->code);
      g_assert_cmpstr (compact_error->message, ==, tree_error->message);
    }

  json = pct_record_parse_json (" {\"entity\":\"region\"} ", 21, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pct_json_get_root (json)->type, ==, PCT_JSON_OBJECT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/json/like-json-glib", test_like_json_glib);
  g_test_add_func ("/json/doubled-members", test_doubled_members);
  g_test_add_func ("/json/record-parse", test_record_parse);
  g_test_add_func ("/json/strict", test_strict);
  g_test_add_func ("/json/strict-like-checks", test_strict_like_checks);

  return g_test_run ();
}
