/* test-export.c — GeoJSON, CSV and record export, and their round trips
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-export"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "pct-export.h"
#include "pct-generator.h"
#include "pct-import.h"
#include "pct-record.h"

/* Rows everything else references. Geometry is written here the way the
 * record mapping writes it (no spaces, shortest numbers), so that a store
 * rebuilt from an export hashes the same as this one. */
static const char base_sql[] =
  "INSERT INTO regions (code, parent_code, level, name) VALUES"
  " ('500000', NULL, 11, '重庆市'), ('500100', '500000', 12, '市辖区'),"
  " ('500116', '500100', 13, '江津区'), ('500116001001', '500116', 31, '鼎山社区');"
  "INSERT INTO departments (id, code, name, phone) VALUES"
  " (1, 'D01', '城市管理局', '023-47521234'), (2, 'D02', '应急管理局', NULL);"
  "INSERT INTO categories (id, code, kind, major, minor, time_limit, time_unit) VALUES"
  " (1, 'C0101', 'component', '公用设施', '上水井盖', NULL, NULL),"
  " (2, 'E0101', 'event', '市容环境', '暴露垃圾', 4, 'work_hours');";

/* The map layers. Address 1 has a parent with a larger id, so key order
 * is not an order in which the addresses can be imported. The strings
 * carry what JSON and CSV must escape: quotes, backslashes, commas, control
 * characters, U+2028, characters beyond the BMP, spreadsheet formulas. */
static const char layer_sql[] =
  "INSERT INTO roads (id, name, class, geometry) VALUES"
  " (1, '鼎山大道', 2, '[[106.25,29.285],[106.26,29.285]]'),"
  " (2, '圣泉路', 3, '[[106.251,29.28],[106.252,29.2812],[106.2533,29.29]]');"
  "INSERT INTO grid_cells (id, code, name, community_code, polygon, version, updated_at) VALUES"
  " (1, '50011600100101', '鼎山第一网格', '500116001001',"
  "  '[[106.25,29.28],[106.26,29.28],[106.26,29.29],[106.25,29.29]]', 3, 1767225600),"
  " (2, '50011600100102', '鼎山第二网格', NULL,"
  "  '[[106.26,29.28],[106.27,29.28],[106.27,29.29],[106.26,29.28]]', 1, 0);"
  "INSERT INTO addresses (id, code, kind, parent_id, region_code, road_id, door_number, compound,"
  " building_no, unit_no, display, lon, lat, grid_id, version, updated_at) VALUES"
  " (3, '500116001001000012', 'door', NULL, '500116001001', 1, '12号', NULL, NULL, NULL,"
  "  '重庆市江津区几江街道 鼎山大道 12号', 106.255, 29.285, 1, 2, 1767225600),"
  " (1, '500116001001000012003', 'building', 3, '500116001001', NULL, NULL, '鼎山小区', '3栋',"
  "  NULL, 'quote \" backslash \\ comma , 𠀀𪚥😀', 106.2551, 29.2851, 1, 1, 0),"
  " (2, '500116001001000012003002', 'unit', 1, '500116001001', NULL, '=SUM(A1)', '-5', '3栋',"
  "  '2单元', 'line' || char(10) || 'break' || char(9) || 'tab' || char(1) || 'soh'"
  "  || char(8232) || 'ls', 106.2552, 29.2852, NULL, 1, 0),"
  " (4, '500116001001000014', 'door', NULL, '500116001001', 1, '', NULL, NULL, NULL,"
  "  '鼎山大道 14号', 106.256, 29.2855, 2, 1, 0);"
  "INSERT INTO buildings (id, address_id, name, use, floors_above, floors_below, units, footprint,"
  " lon, lat, grid_id, version, updated_at) VALUES"
  " (1, 1, '3栋', 'residential', 18, 1, 2,"
  "  '[[106.255,29.285],[106.2552,29.285],[106.2552,29.2852],[106.255,29.2852]]',"
  "  106.2551, 29.2851, 1, 5, 1767225000);"
  "INSERT INTO units (id, name, uscc, type, legal_rep, phone, status, address_id, room_id, staff,"
  " lon, lat) VALUES"
  " (1, '江津鼎山超市', '91350100M000100Y43', 'enterprise', '赵强', '023-47520000', 'operating',"
  "  3, NULL, 12, 106.255, 29.285),"
  " (2, '老王修车铺', NULL, 'individual', NULL, NULL, 'suspended', NULL, NULL, NULL,"
  "  106.2561, 29.2856);"
  "INSERT INTO facilities (id, code, category_id, name, status, department_id, address_id,"
  " building_id, lon, lat) VALUES"
  " (1, '5001160101000001', 1, '上水井盖', 'damaged', 1, 3, 1, 106.2552, 29.2853);"
  "INSERT INTO incidents (id, uuid, category_id, source, severity, status, description, lon, lat,"
  " address_id, grid_id, reported_at, version, updated_at) VALUES"
  " (1, '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', 2, 'citizen', 3, 'reported',"
  "  '有人说:\"垃圾没人管\" =HYPERLINK()', 106.256, 29.286, 3, 1, 1767225600, 2, 1767225700),"
  " (2, '9f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', NULL, 'sensor', 1, 'closed', '井盖位移',"
  "  106.2571, 29.2861, NULL, NULL, 1767225601, 1, 0);";

/* Everything that is not a layer. Plate 1 was replaced by plate 2, a
 * reference to a larger key again. */
static const char other_sql[] =
  "INSERT INTO workers (id, name, phone, role, department_id, grid_id) VALUES"
  " (1, '张伟', '13812345678', 'grid_worker', 1, 1), (2, '刘洋', NULL, 'supervisor', 1, NULL);"
  "INSERT INTO areas (id, kind, name, polygon) VALUES"
  " (1, 'water', '几江', '[[106.2,29.2],[106.21,29.2],[106.21,29.21]]');"
  "INSERT INTO rooms (id, building_id, code, unit_no, floor, room_no, use, occupancy, owner_name,"
  " area, resident_count, version, updated_at) VALUES"
  " (1, 1, 'R-1-2-1502', 2, 15, '1502', 'residential', 'rented', '李娜', 89.5, 2, 1, 0),"
  " (2, 1, 'R-1-1-B101', 1, -1, 'B101', 'storage', 'vacant', NULL, NULL, 0, 1, 0);"
  "INSERT INTO people (id, name, id_type, id_number, sex, ethnicity, birth_date, hukou_address,"
  " phone, category, household_status, version, updated_at) VALUES"
  " (1, '王芳', 'resident_id', '11010519491231002X', 'F', '汉族', '1949-12-31', '北京市朝阳区',"
  "  '13912345678', 'registered', 'match', 3, 1767225600),"
  " (2, 'John Smith', 'passport', 'E12345678', 'M', NULL, NULL, NULL, NULL, 'foreign',"
  "  'person_only', 1, 0);"
  "INSERT INTO person_rooms (person_id, room_code, room_id, relation, since) VALUES"
  " (1, 'R-1-2-1502', 1, 'owner', '2015-06-01'), (1, 'R-9-9-9999', NULL, 'tenant', NULL),"
  " (2, 'R-1-1-B101', 2, 'tenant', '2024-03-15');"
  "INSERT INTO work_orders (id, uuid, number, incident_id, category_id, state, department_id,"
  " worker_id, grid_id, filed_at, deadline, extended_deadline, disposed_at, closed_at,"
  " rework_count, escalated, evaluation, version, updated_at) VALUES"
  " (1, '7a1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', 'WO-2026-000001', 1, 2, 'dispatched', 1, 1, 1,"
  "  1767225700, 1767240100, NULL, NULL, NULL, 0, 1, NULL, 2, 1767225800);"
  "INSERT INTO work_order_events (id, work_order_id, action, from_state, to_state, actor,"
  " department_id, at, note) VALUES"
  " (1, 1, 'file', NULL, 'filed', 'operator', NULL, 1767225700, NULL),"
  " (2, 1, 'dispatch', 'filed', 'dispatched', 'operator', 1, 1767225800, '派往城管');"
  "INSERT INTO plate_batches (id, uuid, name, size, created_at, created_by, plate_count, status)"
  " VALUES (1, '8a1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', '第一批', 'medium', 1767225600, 'admin',"
  "  2, 'printed');"
  "INSERT INTO plates (id, address_id, token, status, size, issued_at, installed_at, replaced_by,"
  " version, updated_at, batch_id) VALUES"
  " (2, 3, 'tok-b', 'installed', 'medium', 1767225700, 1767312000, NULL, 1, 0, 1),"
  " (1, 3, 'tok-a', 'revoked', 'medium', 1767225600, NULL, 2, 2, 0, 1);"
  "INSERT INTO calendar (date, workday, name) VALUES"
  " ('2026-01-01', 0, '元旦'), ('2026-02-14', 1, '春节调休');"
  "INSERT INTO meta (key, value) VALUES ('district_name', '江津区');"
  "INSERT INTO audit_log (id, uuid, at, actor, action, entity, entity_id, field, reason) VALUES"
  " (1, '9a1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', 1767225900, 'wang.fang', 'unmask', 'person', 1,"
  "  'id_number', '核实报警人身份'),"
  " (2, 'aa1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f', 1767226000, 'admin', 'export', 'person', NULL,"
  "  NULL, NULL);";

/* A stream that only counts what is written to it, to show that export
 * writes as it goes rather than once at the end. */
#define TEST_TYPE_COUNTING_STREAM (counting_stream_get_type ())
G_DECLARE_FINAL_TYPE (CountingStream, counting_stream, TEST, COUNTING_STREAM, GOutputStream)

struct _CountingStream
{
  GOutputStream parent_instance;
  guint         n_writes;
  gsize         max_write;
  gsize         total;
};

G_DEFINE_FINAL_TYPE (CountingStream, counting_stream, G_TYPE_OUTPUT_STREAM)

static gssize
counting_stream_write (GOutputStream  *stream,
                       const void     *buffer,
                       gsize           count,
                       GCancellable   *cancellable,
                       GError        **error)
{
  CountingStream *self = TEST_COUNTING_STREAM (stream);

  self->n_writes++;
  self->max_write = MAX (self->max_write, count);
  self->total += count;
  return (gssize) count;
}

static void
counting_stream_class_init (CountingStreamClass *klass)
{
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = counting_stream_write;
}

static void
counting_stream_init (CountingStream *self)
{
}

/* Helpers ----------------------------------------------------------------- */

static PctStore *
new_store (const char *name)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  PctStore *store;

  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  path = g_build_filename (g_get_user_data_dir (), name, NULL);
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
exec_ok (PctStore   *store,
         const char *sql)
{
  g_autoptr(GError) error = NULL;

  pct_store_exec (store, sql, &error);
  g_assert_no_error (error);
}

static gint64
query_int (PctStore   *store,
           const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

static char *
query_text (PctStore   *store,
            const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (pct_store_get_handle (store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static GBytes *
export_layer (PctStore        *store,
              PctLayer         layer,
              PctExportFormat  format)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  pct_export_layer (store, layer, format, out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

static GBytes *
export_records (PctStore *store)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  pct_export_records (store, out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

static void
import_bytes (PctStore *store,
              GBytes   *bytes)
{
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(PctImportReport) report = pct_import_report_new ();
  g_autoptr(GError) error = NULL;

  pct_import_stream (store, in, "export", g_bytes_get_size (bytes), report, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < report->rejections->len; i++)
    {
      PctImportRejection *r = g_ptr_array_index (report->rejections, i);
      g_test_message ("line %" G_GUINT64_FORMAT ": %s", r->line, r->reason);
    }
  g_assert_cmpuint (report->rejected, ==, 0);
}

static void
assert_bytes_equal (GBytes *a,
                    GBytes *b)
{
  gsize len_a, len_b;
  const char *data_a = g_bytes_get_data (a, &len_a);
  const char *data_b = g_bytes_get_data (b, &len_b);

  if (len_a != len_b || memcmp (data_a, data_b, len_a) != 0)
    {
      g_test_message ("first:\n%.*s", (int) len_a, data_a);
      g_test_message ("second:\n%.*s", (int) len_b, data_b);
    }
  g_assert_cmpmem (data_a, len_a, data_b, len_b);
}

static JsonObject *
find_feature (JsonArray *features,
              gint64     id)
{
  for (guint i = 0; i < json_array_get_length (features); i++)
    {
      JsonObject *feature = json_array_get_object_element (features, i);

      if (json_object_get_int_member (feature, "id") == id)
        return feature;
    }
  return NULL;
}

/* Parses a GeoJSON export with json-glib and checks its shape. */
static JsonNode *
parse_collection (GBytes *bytes,
                  guint   n_features)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonObject *root;
  JsonArray *features;

  g_assert_true (g_utf8_validate (data, (gssize) len, NULL));
  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);

  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "type"), ==, "FeatureCollection");
  features = json_object_get_array_member (root, "features");
  g_assert_cmpuint (json_array_get_length (features), ==, n_features);
  for (guint i = 0; i < n_features; i++)
    {
      JsonObject *feature = json_array_get_object_element (features, i);

      g_assert_cmpstr (json_object_get_string_member (feature, "type"), ==, "Feature");
      g_assert_true (json_object_has_member (feature, "geometry"));
      g_assert_nonnull (json_object_get_object_member (feature, "properties"));
    }

  return json_parser_steal_root (parser);
}

/* Splits RFC 4180 text into rows of cells; NULL cells stand for empty
 * unquoted ones. */
static GPtrArray *
parse_csv (const char *text)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
  const char *p = text;

  while (*p != '\0')
    {
      g_autoptr(GString) cell = g_string_new (NULL);
      gboolean quoted = *p == '"';

      if (quoted)
        {
          for (p++; *p != '\0'; p++)
            {
              if (*p == '"' && p[1] == '"')
                {
                  g_string_append_c (cell, '"');
                  p++;
                }
              else if (*p == '"')
                {
                  p++;
                  break;
                }
              else
                g_string_append_c (cell, *p);
            }
        }
      else
        {
          while (*p != '\0' && *p != ',' && *p != '\r')
            {
              g_assert_true (*p != '\n' && *p != '"');
              g_string_append_c (cell, *p++);
            }
        }

      g_ptr_array_add (row, quoted || cell->len > 0 ? g_string_free (g_steal_pointer (&cell), FALSE)
                                                    : NULL);
      if (*p == ',')
        p++;
      else
        {
          /* Records end with CRLF, nothing else. */
          g_assert_cmpint (p[0], ==, '\r');
          g_assert_cmpint (p[1], ==, '\n');
          p += 2;
          g_ptr_array_add (rows, row);
          row = g_ptr_array_new_with_free_func (g_free);
        }
    }

  g_ptr_array_unref (row);
  return rows;
}

static const char *
cell (GPtrArray *rows,
      guint      row,
      guint      column)
{
  return g_ptr_array_index ((GPtrArray *) g_ptr_array_index (rows, row), column);
}

static int
column_index (GPtrArray  *rows,
              const char *name)
{
  GPtrArray *header = g_ptr_array_index (rows, 0);

  for (guint i = 0; i < header->len; i++)
    {
      if (g_strcmp0 (g_ptr_array_index (header, i), name) == 0)
        return (int) i;
    }
  g_error ("no column %s", name);
  return -1;
}

/* Tests ------------------------------------------------------------------- */

static void
test_format_names (void)
{
  PctExportFormat format = PCT_EXPORT_CSV;

  g_assert_true (pct_export_format_from_string ("geojson", &format));
  g_assert_cmpint (format, ==, PCT_EXPORT_GEOJSON);
  g_assert_true (pct_export_format_from_string ("csv", &format));
  g_assert_cmpint (format, ==, PCT_EXPORT_CSV);
  g_assert_true (pct_export_format_from_string ("jsonl", &format));
  g_assert_cmpint (format, ==, PCT_EXPORT_RECORDS);
  g_assert_false (pct_export_format_from_string ("shapefile", &format));
  g_assert_false (pct_export_format_from_string (NULL, &format));
  g_assert_cmpstr (pct_export_format_to_string (PCT_EXPORT_GEOJSON), ==, "geojson");

  for (PctLayer layer = 0; layer < PCT_N_LAYERS; layer++)
    g_assert_nonnull (pct_record_entity_for_layer (layer));
}

/* Each layer: export, check with json-glib, import into a second store,
 * export again: the two exports are the same bytes. */
static void
test_geojson_round_trip (void)
{
  static const PctLayer order[] = {
    PCT_LAYER_ROADS, PCT_LAYER_GRIDS, PCT_LAYER_ADDRESSES, PCT_LAYER_BUILDINGS,
    PCT_LAYER_UNITS, PCT_LAYER_FACILITIES, PCT_LAYER_INCIDENTS,
  };
  static const guint counts[PCT_N_LAYERS] = {
    [PCT_LAYER_ADDRESSES] = 4, [PCT_LAYER_BUILDINGS] = 1, [PCT_LAYER_UNITS] = 2,
    [PCT_LAYER_FACILITIES] = 1, [PCT_LAYER_GRIDS] = 2, [PCT_LAYER_ROADS] = 2,
    [PCT_LAYER_INCIDENTS] = 2,
  };
  g_autoptr(PctStore) first = new_store ("geojson-a.db");
  g_autoptr(PctStore) second = new_store ("geojson-b.db");

  exec_ok (first, base_sql);
  exec_ok (first, layer_sql);
  exec_ok (second, base_sql);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autoptr(GBytes) a = export_layer (first, order[i], PCT_EXPORT_GEOJSON);
      g_autoptr(GBytes) b = NULL;
      g_autoptr(JsonNode) root = NULL;

      g_test_message ("layer %s", pct_layer_to_string (order[i]));
      root = parse_collection (a, counts[order[i]]);
      import_bytes (second, a);
      b = export_layer (second, order[i], PCT_EXPORT_GEOJSON);
      assert_bytes_equal (a, b);
    }

  /* What json-glib reads back is exactly what the store holds. */
  {
    g_autoptr(GBytes) bytes = export_layer (first, PCT_LAYER_ADDRESSES, PCT_EXPORT_GEOJSON);
    g_autoptr(JsonNode) root = parse_collection (bytes, 4);
    JsonArray *features = json_object_get_array_member (json_node_get_object (root), "features");
    JsonObject *tricky = find_feature (features, 2);
    JsonObject *properties = json_object_get_object_member (tricky, "properties");
    JsonObject *geometry = json_object_get_object_member (tricky, "geometry");
    JsonArray *coordinates = json_object_get_array_member (geometry, "coordinates");
    g_autofree char *display = query_text (first, "SELECT display FROM addresses WHERE id = 2");
    g_autofree char *quoted = query_text (first, "SELECT display FROM addresses WHERE id = 1");

    g_assert_cmpstr (json_object_get_string_member (properties, "display"), ==, display);
    g_assert_true (json_object_get_null_member (properties, "grid_id"));
    g_assert_false (json_object_has_member (properties, "lon"));
    g_assert_cmpstr (json_object_get_string_member (properties, "entity"), ==, "address");
    g_assert_nonnull (strstr (display, "\n"));
    g_assert_nonnull (strstr (display, "\xe2\x80\xa8"));
    properties = json_object_get_object_member (find_feature (features, 1), "properties");
    g_assert_cmpstr (json_object_get_string_member (properties, "display"), ==, quoted);
    g_assert_nonnull (strstr (quoted, "𠀀𪚥😀"));

    g_assert_cmpstr (json_object_get_string_member (geometry, "type"), ==, "Point");
    g_assert_cmpfloat (json_array_get_double_element (coordinates, 0), ==, 106.2552);
    g_assert_cmpfloat (json_array_get_double_element (coordinates, 1), ==, 29.2852);

    /* The parent (id 3) comes out before the address referencing it. */
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (features, 0),
                                                 "id"), ==, 3);
  }

  /* RFC 7946 rings are closed; the stored ring of grid 1 was not. */
  {
    g_autoptr(GBytes) bytes = export_layer (first, PCT_LAYER_GRIDS, PCT_EXPORT_GEOJSON);
    g_autoptr(JsonNode) root = parse_collection (bytes, 2);
    JsonArray *features = json_object_get_array_member (json_node_get_object (root), "features");
    JsonObject *geometry = json_object_get_object_member (find_feature (features, 1), "geometry");
    JsonArray *rings = json_object_get_array_member (geometry, "coordinates");
    JsonArray *ring = json_array_get_array_element (rings, 0);
    JsonArray *first_pos = json_array_get_array_element (ring, 0);
    JsonArray *last_pos = json_array_get_array_element (ring, json_array_get_length (ring) - 1);

    g_assert_cmpstr (json_object_get_string_member (geometry, "type"), ==, "Polygon");
    g_assert_cmpuint (json_array_get_length (rings), ==, 1);
    g_assert_cmpuint (json_array_get_length (ring), ==, 5);
    g_assert_cmpfloat (json_array_get_double_element (first_pos, 0), ==,
                       json_array_get_double_element (last_pos, 0));
    g_assert_cmpfloat (json_array_get_double_element (first_pos, 1), ==,
                       json_array_get_double_element (last_pos, 1));
  }
}

/* Every entity through JSON lines and back: the rebuilt store holds the
 * same content, byte for byte. */
static void
test_records_round_trip (void)
{
  g_autoptr(PctStore) first = new_store ("records-a.db");
  g_autoptr(PctStore) second = new_store ("records-b.db");
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash_a = NULL;
  g_autofree char *hash_b = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_entities;
  const PctRecordEntity *entities = pct_record_entities (&n_entities);

  exec_ok (first, base_sql);
  exec_ok (first, layer_sql);
  exec_ok (first, other_sql);

  a = export_records (first);
  import_bytes (second, a);
  b = export_records (second);
  assert_bytes_equal (a, b);

  hash_a = pct_store_content_hash (first, &error);
  g_assert_no_error (error);
  hash_b = pct_store_content_hash (second, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hash_a, ==, hash_b);

  /* Every line is a record json-glib reads, and every entity is there. */
  lines = g_strsplit (g_bytes_get_data (a, NULL), "\n", -1);
  for (guint e = 0; e < n_entities; e++)
    {
      gboolean seen = FALSE;

      for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0' && !seen; i++)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonObject *record;

          json_parser_load_from_data (parser, lines[i], -1, &error);
          g_assert_no_error (error);
          record = json_node_get_object (json_parser_get_root (parser));
          seen = g_strcmp0 (json_object_get_string_member (record, "entity"), entities[e].name) == 0;
        }
      if (!seen)
        g_error ("no %s record in the export", entities[e].name);
    }

  /* Plate 2 replaced plate 1, so it must come first. */
  {
    const char *data = g_bytes_get_data (a, NULL);
    const char *plate2 = strstr (data, "{\"entity\":\"plate\",\"id\":2,");
    const char *plate1 = strstr (data, "{\"entity\":\"plate\",\"id\":1,");

    g_assert_nonnull (plate1);
    g_assert_nonnull (plate2);
    g_assert_true (plate2 < plate1);
  }

  g_assert_cmpint (query_int (second, "SELECT count(*) FROM person_rooms WHERE room_id IS NULL"),
                   ==, 1);
}

/* A generated district, every entity at realistic volume, through JSON
 * lines into an empty store and out again. */
static void
test_district_round_trip (void)
{
  g_autoptr(PctStore) first = new_store ("district-a.db");
  g_autoptr(PctStore) second = new_store ("district-b.db");
  g_autoptr(GBytes) a = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *names;

  pct_generate_district (first, PCT_DISTRICT_SMALL, 7, 1767225600, NULL, NULL, &error);
  g_assert_no_error (error);

  a = export_records (first);
  import_bytes (second, a);
  b = export_records (second);
  assert_bytes_equal (a, b);

  for (names = pct_store_entity_names (); *names != NULL; names++)
    {
      gint64 count_a = -1, count_b = -2;

      pct_store_count (first, *names, &count_a, &error);
      g_assert_no_error (error);
      pct_store_count (second, *names, &count_b, &error);
      g_assert_no_error (error);
      g_assert_cmpint (count_a, ==, count_b);
    }
  g_assert_cmpint (query_int (first, "SELECT count(*) FROM person_rooms"), ==,
                   query_int (second, "SELECT count(*) FROM person_rooms"));
  g_assert_cmpint (query_int (second, "SELECT count(*) FROM meta"), ==,
                   query_int (first, "SELECT count(*) FROM meta"));
}

static void
test_csv (void)
{
  g_autoptr(PctStore) store = new_store ("csv.db");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *display = NULL;
  const char *data;
  gsize len;
  int c_id, c_display, c_door, c_compound, c_lon, c_grid, c_unit_no;

  exec_ok (store, base_sql);
  exec_ok (store, layer_sql);

  bytes = export_layer (store, PCT_LAYER_ADDRESSES, PCT_EXPORT_CSV);
  data = g_bytes_get_data (bytes, &len);
  g_assert_true (g_utf8_validate (data, (gssize) len, NULL));
  g_assert_true (g_str_has_prefix (data, "\xef\xbb\xbf" "id,version,updated_at,code,kind,"));

  rows = parse_csv (data + 3);
  g_assert_cmpuint (rows->len, ==, 5);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpuint (((GPtrArray *) g_ptr_array_index (rows, i))->len, ==, 16);

  c_id = column_index (rows, "id");
  c_display = column_index (rows, "display");
  c_door = column_index (rows, "door_number");
  c_compound = column_index (rows, "compound");
  c_lon = column_index (rows, "lon");
  c_grid = column_index (rows, "grid_id");
  c_unit_no = column_index (rows, "unit_no");
  g_assert_cmpint (c_lon, ==, column_index (rows, "lat") - 1);

  /* Rows in export order: 3, 4 (no parents), then 1, then 2. */
  g_assert_cmpstr (cell (rows, 1, c_id), ==, "3");
  g_assert_cmpstr (cell (rows, 4, c_id), ==, "2");

  display = g_strdup_printf ("line\nbreak\ttab\001soh\xe2\x80\xa8ls");
  g_assert_cmpstr (cell (rows, 4, c_display), ==, display);
  g_assert_cmpstr (cell (rows, 3, c_display), ==, "quote \" backslash \\ comma , 𠀀𪚥😀");
  /* Formulas are defused; numbers in numeric columns are not. */
  g_assert_cmpstr (cell (rows, 4, c_door), ==, "'=SUM(A1)");
  g_assert_cmpstr (cell (rows, 4, c_compound), ==, "'-5");
  g_assert_cmpstr (cell (rows, 4, c_lon), ==, "106.2552");
  g_assert_cmpstr (cell (rows, 4, c_unit_no), ==, "2单元");
  /* NULL is an empty cell, an empty string a quoted one. */
  g_assert_null (cell (rows, 4, c_grid));
  g_assert_null (cell (rows, 1, c_compound));
  g_assert_cmpstr (cell (rows, 2, c_door), ==, "");
  g_assert_nonnull (strstr (data, ",\"\","));

  /* Lines and polygons as WKT, polygons closed. */
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = export_layer (store, PCT_LAYER_ROADS, PCT_EXPORT_CSV);
  rows = parse_csv ((const char *) g_bytes_get_data (bytes, NULL) + 3);
  g_assert_cmpstr (cell (rows, 1, column_index (rows, "geometry")), ==,
                   "LINESTRING (106.25 29.285, 106.26 29.285)");

  g_clear_pointer (&rows, g_ptr_array_unref);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = export_layer (store, PCT_LAYER_BUILDINGS, PCT_EXPORT_CSV);
  rows = parse_csv ((const char *) g_bytes_get_data (bytes, NULL) + 3);
  g_assert_cmpstr (cell (rows, 1, column_index (rows, "footprint")), ==,
                   "POLYGON ((106.255 29.285, 106.2552 29.285, 106.2552 29.2852, "
                   "106.255 29.2852, 106.255 29.285))");
  g_assert_cmpstr (cell (rows, 1, column_index (rows, "lon")), ==, "106.2551");

  g_clear_pointer (&rows, g_ptr_array_unref);
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = export_layer (store, PCT_LAYER_INCIDENTS, PCT_EXPORT_CSV);
  rows = parse_csv ((const char *) g_bytes_get_data (bytes, NULL) + 3);
  g_assert_cmpstr (cell (rows, 1, column_index (rows, "description")), ==,
                   "有人说:\"垃圾没人管\" =HYPERLINK()");
}

static void
test_entity_export (void)
{
  g_autoptr(PctStore) store = new_store ("entity.db");
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *features;
  JsonObject *properties;
  JsonArray *rooms;

  exec_ok (store, base_sql);
  exec_ok (store, layer_sql);
  exec_ok (store, other_sql);

  pct_export_entity (store, "person", PCT_EXPORT_GEOJSON, out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  root = parse_collection (bytes, 2);
  features = json_object_get_array_member (json_node_get_object (root), "features");
  g_assert_true (json_object_get_null_member (find_feature (features, 1), "geometry"));
  properties = json_object_get_object_member (find_feature (features, 1), "properties");
  rooms = json_object_get_array_member (properties, "rooms");
  g_assert_cmpuint (json_array_get_length (rooms), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rooms, 0),
                                                  "room_code"), ==, "R-1-2-1502");
  g_assert_true (json_object_get_null_member (json_array_get_object_element (rooms, 1),
                                              "room_id"));

  g_clear_object (&out);
  out = g_memory_output_stream_new_resizable ();
  g_assert_false (pct_export_entity (store, "ghost", PCT_EXPORT_CSV, out, NULL, NULL, &error));
  g_assert_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID);
}

static void
progress_cb (const char *what,
             guint64     done,
             guint64     total,
             gpointer    user_data)
{
  guint64 *last = user_data;

  g_assert_cmpuint (done, >=, *last);
  g_assert_cmpuint (done, <=, total);
  *last = done;
}

/* A large layer goes out in many bounded writes. */
static void
test_streaming (void)
{
  g_autoptr(PctStore) store = new_store ("stream.db");
  g_autoptr(CountingStream) out = g_object_new (TEST_TYPE_COUNTING_STREAM, NULL);
  g_autoptr(GError) error = NULL;
  guint64 last = 0;
  guint n = 20000;

  exec_ok (store, base_sql);
  exec_ok (store,
           "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
           "INSERT INTO addresses (id, code, kind, region_code, display, lon, lat) "
           "SELECT i, printf ('S%06d', i), 'door', '500116001001', "
           "printf ('重庆市江津区几江街道 鼎山大道 %d号', i), 106.25 + i * 1e-6, 29.28 + i * 1e-6 "
           "FROM n");

  pct_export_layer (store, PCT_LAYER_ADDRESSES, PCT_EXPORT_GEOJSON, G_OUTPUT_STREAM (out),
                    progress_cb, &last, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (last, ==, n);
  g_test_message ("%u features: %zu bytes in %u writes, the largest %zu bytes", n, out->total,
                  out->n_writes, out->max_write);
  g_assert_cmpuint (out->n_writes, >, 10);
  g_assert_cmpuint (out->max_write, <, 128 * 1024);
  g_assert_cmpuint (out->total, >, 20 * out->max_write);
}

/* docs/records.md documents every entity and every field of the mapping. */
static void
test_documentation_complete (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "docs", "records.md", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  const PctRecordEntity *entities;
  guint n_entities;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);

  entities = pct_record_entities (&n_entities);
  for (guint e = 0; e < n_entities; e++)
    {
      const PctRecordEntity *entity = &entities[e];
      g_autofree char *heading = g_strdup_printf ("\n### `%s`", entity->name);
      const char *section = strstr (text, heading);
      const char *next;
      g_autofree char *body = NULL;

      if (section == NULL)
        g_error ("docs/records.md has no section for %s", entity->name);
      next = strstr (section + 1, "\n### ");
      body = next != NULL ? g_strndup (section, next - section) : g_strdup (section);

      for (guint i = 0; i < entity->n_fields; i++)
        {
          const PctRecordField *field = &entity->fields[i];
          g_autofree char *row = g_strdup_printf ("| `%s` |", field->name);

          if (strstr (body, row) == NULL)
            g_error ("docs/records.md does not describe %s.%s", entity->name, field->name);

          for (guint c = 0; field->children != NULL && c < field->children->n_fields; c++)
            {
              g_autofree char *child_row = g_strdup_printf ("| `%s.%s` |", field->name,
                                                            field->children->fields[c].name);

              if (strstr (body, child_row) == NULL)
                g_error ("docs/records.md does not describe %s.%s.%s", entity->name,
                         field->name, field->children->fields[c].name);
            }
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/export/format-names", test_format_names);
  g_test_add_func ("/export/geojson-round-trip", test_geojson_round_trip);
  g_test_add_func ("/export/records-round-trip", test_records_round_trip);
  g_test_add_func ("/export/district-round-trip", test_district_round_trip);
  g_test_add_func ("/export/csv", test_csv);
  g_test_add_func ("/export/entity", test_entity_export);
  g_test_add_func ("/export/streaming", test_streaming);
  g_test_add_func ("/export/documentation", test_documentation_complete);

  return g_test_run ();
}
