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

      json = pct_json_new_from_text (documents[i], length);
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
      g_assert_null (pct_json_new_from_text (doubled[i], strlen (doubled[i])));
    }

  /* Past the members compared pairwise, a hash table finds them. */
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (many, "%s\"m%u\":%u", i > 0 ? "," : "", i, i);
  many_doubled = g_string_new (many->str);
  g_string_append (many, "}");
  g_string_append (many_doubled, ",\"m17\":0}");

  json = pct_json_new_from_text (many->str, many->len);
  g_assert_nonnull (json);
  g_assert_cmpuint (pct_json_get_root (json)->n_children, ==, 40);
  g_assert_cmpint (pct_json_object_get_member (pct_json_get_root (json), "m39")->v.integer, ==,
                   39);
  g_assert_null (pct_json_new_from_text (many_doubled->str, many_doubled->len));
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

  return g_test_run ();
}
