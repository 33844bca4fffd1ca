/* pct-store-schema.c — the store's schema, one migration per version
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Migrations are append-only: a released step is never edited, a change is a
 * new step. Geometry is JSON ([lon, lat] pairs); triggers keep the R*Tree
 * indexes and the search index in step with the tables, so every writer
 * (generator, import, sync) gets them for free and cannot forget one.
 */

#define G_LOG_DOMAIN "pct-store"

#include "config.h"

#include "pct-store-private.h"

/* Bounds of a JSON coordinate list, for the R*Tree triggers. */
#define BOUNDS(col)                                                          \
  "(SELECT min(json_extract(value, '$[0]')) FROM json_each(new." col ")), " \
  "(SELECT max(json_extract(value, '$[0]')) FROM json_each(new." col ")), " \
  "(SELECT min(json_extract(value, '$[1]')) FROM json_each(new." col ")), " \
  "(SELECT max(json_extract(value, '$[1]')) FROM json_each(new." col "))"

/* R*Tree maintenance for a table whose rows are points (lon, lat). */
#define POINT_TRIGGERS(table, rtree)                                          \
  "CREATE TRIGGER " table "_rtree_ai AFTER INSERT ON " table " BEGIN\n"       \
  "  INSERT INTO " rtree " VALUES (new.id, new.lon, new.lon, new.lat, new.lat);\n" \
  "END;\n"                                                                    \
  "CREATE TRIGGER " table "_rtree_au AFTER UPDATE OF lon, lat ON " table " BEGIN\n" \
  "  UPDATE " rtree " SET min_lon = new.lon, max_lon = new.lon,\n"            \
  "    min_lat = new.lat, max_lat = new.lat WHERE id = new.id;\n"             \
  "END;\n"                                                                    \
  "CREATE TRIGGER " table "_rtree_ad AFTER DELETE ON " table " BEGIN\n"       \
  "  DELETE FROM " rtree " WHERE id = old.id;\n"                              \
  "END;\n"

/* R*Tree maintenance for a table whose rows carry a JSON coordinate list. */
#define SHAPE_TRIGGERS(table, rtree, col)                                     \
  "CREATE TRIGGER " table "_rtree_ai AFTER INSERT ON " table " BEGIN\n"       \
  "  INSERT INTO " rtree " VALUES (new.id, " BOUNDS (col) ");\n"               \
  "END;\n"                                                                    \
  "CREATE TRIGGER " table "_rtree_au AFTER UPDATE OF " col " ON " table " BEGIN\n" \
  "  DELETE FROM " rtree " WHERE id = old.id;\n"                              \
  "  INSERT INTO " rtree " VALUES (new.id, " BOUNDS (col) ");\n"               \
  "END;\n"                                                                    \
  "CREATE TRIGGER " table "_rtree_ad AFTER DELETE ON " table " BEGIN\n"       \
  "  DELETE FROM " rtree " WHERE id = old.id;\n"                              \
  "END;\n"

/* Search index maintenance: kind is the PctSearchKind number. */
#define SEARCH_TRIGGERS(table, kind, text, cols)                              \
  "CREATE TRIGGER " table "_fts_ai AFTER INSERT ON " table " BEGIN\n"         \
  "  INSERT INTO search_fts (rowid, text) VALUES (new.id * 4 + " kind ", " text ");\n" \
  "END;\n"                                                                    \
  "CREATE TRIGGER " table "_fts_au AFTER UPDATE OF " cols " ON " table " BEGIN\n" \
  "  UPDATE search_fts SET text = " text " WHERE rowid = new.id * 4 + " kind ";\n" \
  "END;\n"                                                                    \
  "CREATE TRIGGER " table "_fts_ad AFTER DELETE ON " table " BEGIN\n"         \
  "  DELETE FROM search_fts WHERE rowid = old.id * 4 + " kind ";\n"           \
  "END;\n"

#define RTREE(name) \
  "CREATE VIRTUAL TABLE " name " USING rtree (id, min_lon, max_lon, min_lat, max_lat);\n"

/* Columns every synchronised entity carries. */
#define SYNCED "version INTEGER NOT NULL DEFAULT 1, updated_at INTEGER NOT NULL DEFAULT 0"

static const char migration_1[] =
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;\n"

  /* GB/T 2260 and statistical codes, 省 down to 社区/村; level is the
   * GA/T 2000.32 element type (11 province … 31 community). */
  "CREATE TABLE regions (\n"
  "  code TEXT PRIMARY KEY,\n"
  "  parent_code TEXT REFERENCES regions (code),\n"
  "  level INTEGER NOT NULL,\n"
  "  name TEXT NOT NULL);\n"

  "CREATE TABLE departments (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  code TEXT NOT NULL UNIQUE,\n"
  "  name TEXT NOT NULL,\n"
  "  phone TEXT);\n"

  "CREATE TABLE grid_cells (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  code TEXT NOT NULL UNIQUE,\n"
  "  name TEXT NOT NULL,\n"
  "  community_code TEXT REFERENCES regions (code),\n"
  "  polygon TEXT NOT NULL,\n"
  "  " SYNCED ");\n"

  "CREATE TABLE workers (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  name TEXT NOT NULL,\n"
  "  phone TEXT,\n"
  "  role TEXT NOT NULL DEFAULT 'grid_worker',\n"
  "  department_id INTEGER REFERENCES departments (id),\n"
  "  grid_id INTEGER REFERENCES grid_cells (id));\n"

  /* class: 1 expressway/arterial … 4 lane (小巷). */
  "CREATE TABLE roads (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  name TEXT NOT NULL,\n"
  "  class INTEGER NOT NULL CHECK (class BETWEEN 1 AND 4),\n"
  "  geometry TEXT NOT NULL);\n"

  /* Basemap areas: blocks, water, green space. */
  "CREATE TABLE areas (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  kind TEXT NOT NULL CHECK (kind IN ('block', 'water', 'green', 'compound')),\n"
  "  name TEXT,\n"
  "  polygon TEXT NOT NULL);\n"

  /* Standard addresses: a door on a road (门牌), a building (楼栋) or a
   * unit entrance (单元) inside a compound. */
  "CREATE TABLE addresses (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  code TEXT NOT NULL UNIQUE,\n"
  "  kind TEXT NOT NULL CHECK (kind IN ('door', 'building', 'unit')),\n"
  "  parent_id INTEGER REFERENCES addresses (id),\n"
  "  region_code TEXT NOT NULL REFERENCES regions (code),\n"
  "  road_id INTEGER REFERENCES roads (id),\n"
  "  door_number TEXT,\n"
  "  compound TEXT,\n"
  "  building_no TEXT,\n"
  "  unit_no TEXT,\n"
  "  display TEXT NOT NULL,\n"
  "  lon REAL NOT NULL,\n"
  "  lat REAL NOT NULL,\n"
  "  grid_id INTEGER REFERENCES grid_cells (id),\n"
  "  " SYNCED ");\n"
  "CREATE INDEX addresses_parent ON addresses (parent_id);\n"
  "CREATE INDEX addresses_display ON addresses (display);\n"

  "CREATE TABLE buildings (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  address_id INTEGER REFERENCES addresses (id),\n"
  "  name TEXT NOT NULL,\n"
  "  use TEXT NOT NULL CHECK (use IN ('residential', 'commercial', 'mixed', 'office',\n"
  "                                   'industrial', 'public')),\n"
  "  floors_above INTEGER NOT NULL CHECK (floors_above >= 1),\n"
  "  floors_below INTEGER NOT NULL DEFAULT 0 CHECK (floors_below >= 0),\n"
  "  units INTEGER NOT NULL DEFAULT 1 CHECK (units >= 1),\n"
  "  footprint TEXT NOT NULL,\n"
  "  lon REAL NOT NULL,\n"
  "  lat REAL NOT NULL,\n"
  "  grid_id INTEGER REFERENCES grid_cells (id),\n"
  "  " SYNCED ");\n"
  "CREATE INDEX buildings_address ON buildings (address_id);\n"

  /* floor < 0 is a basement level. */
  "CREATE TABLE rooms (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  building_id INTEGER NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,\n"
  "  code TEXT NOT NULL UNIQUE,\n"
  "  unit_no INTEGER NOT NULL,\n"
  "  floor INTEGER NOT NULL CHECK (floor <> 0),\n"
  "  room_no TEXT NOT NULL,\n"
  "  use TEXT NOT NULL CHECK (use IN ('residential', 'commercial', 'office', 'storage',\n"
  "                                   'parking', 'public')),\n"
  "  occupancy TEXT NOT NULL CHECK (occupancy IN ('owner', 'rented', 'crowded', 'vacant',\n"
  "                                               'business', 'unverified')),\n"
  "  owner_name TEXT,\n"
  "  area REAL,\n"
  "  resident_count INTEGER NOT NULL DEFAULT 0,\n"
  "  " SYNCED ");\n"
  "CREATE INDEX rooms_building ON rooms (building_id, unit_no, floor);\n"

  "CREATE TABLE people (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  name TEXT NOT NULL,\n"
  "  id_type TEXT NOT NULL DEFAULT 'resident_id',\n"
  "  id_number TEXT NOT NULL,\n"
  "  sex TEXT CHECK (sex IN ('M', 'F')),\n"
  "  ethnicity TEXT,\n"
  "  birth_date TEXT,\n"
  "  hukou_address TEXT,\n"
  "  phone TEXT,\n"
  "  category TEXT NOT NULL CHECK (category IN ('registered', 'temporary', 'foreign')),\n"
  "  household_status TEXT NOT NULL CHECK (household_status IN ('match', 'person_only',\n"
  "                                                              'household_only')),\n"
  "  " SYNCED ");\n"
  "CREATE INDEX people_id_number ON people (id_number);\n"
  "CREATE INDEX people_name ON people (name);\n"

  /* room_code is the registration as recorded; room_id is NULL when that
   * code resolves to no room, a defect that data checks report. */
  "CREATE TABLE person_rooms (\n"
  "  person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,\n"
  "  room_code TEXT NOT NULL,\n"
  "  room_id INTEGER REFERENCES rooms (id) ON DELETE SET NULL,\n"
  "  relation TEXT NOT NULL,\n"
  "  since TEXT,\n"
  "  PRIMARY KEY (person_id, room_code)) WITHOUT ROWID;\n"
  "CREATE INDEX person_rooms_room ON person_rooms (room_id);\n"

  "CREATE TABLE units (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  name TEXT NOT NULL,\n"
  "  uscc TEXT,\n"
  "  type TEXT NOT NULL CHECK (type IN ('enterprise', 'individual', 'government', 'school',\n"
  "                                     'hospital', 'social', 'other')),\n"
  "  legal_rep TEXT,\n"
  "  phone TEXT,\n"
  "  status TEXT NOT NULL CHECK (status IN ('operating', 'suspended', 'closed')),\n"
  "  address_id INTEGER REFERENCES addresses (id),\n"
  "  room_id INTEGER REFERENCES rooms (id),\n"
  "  staff INTEGER,\n"
  "  lon REAL NOT NULL,\n"
  "  lat REAL NOT NULL,\n"
  "  " SYNCED ");\n"
  "CREATE INDEX units_name ON units (name);\n"
  "CREATE INDEX units_uscc ON units (uscc);\n"

  /* GB/T 30428.2 categories; time limits per minor class. */
  "CREATE TABLE categories (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  code TEXT NOT NULL UNIQUE,\n"
  "  kind TEXT NOT NULL CHECK (kind IN ('event', 'component')),\n"
  "  major TEXT NOT NULL,\n"
  "  minor TEXT NOT NULL,\n"
  "  time_limit INTEGER,\n"
  "  time_unit TEXT CHECK (time_unit IN ('work_hours', 'work_days', 'hours', 'days')));\n"

  "CREATE TABLE facilities (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  code TEXT NOT NULL UNIQUE CHECK (length (code) = 16),\n"
  "  category_id INTEGER NOT NULL REFERENCES categories (id),\n"
  "  name TEXT NOT NULL,\n"
  "  status TEXT NOT NULL CHECK (status IN ('normal', 'damaged', 'missing', 'maintenance')),\n"
  "  department_id INTEGER REFERENCES departments (id),\n"
  "  address_id INTEGER REFERENCES addresses (id),\n"
  "  building_id INTEGER REFERENCES buildings (id),\n"
  "  lon REAL NOT NULL,\n"
  "  lat REAL NOT NULL,\n"
  "  " SYNCED ");\n"
  "CREATE INDEX facilities_building ON facilities (building_id);\n"

  "CREATE TABLE incidents (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  uuid TEXT NOT NULL UNIQUE,\n"
  "  category_id INTEGER REFERENCES categories (id),\n"
  "  source TEXT NOT NULL CHECK (source IN ('sensor', 'hotline', 'grid_worker', 'citizen',\n"
  "                                         'inspector', 'operator')),\n"
  "  severity INTEGER NOT NULL DEFAULT 2 CHECK (severity BETWEEN 1 AND 4),\n"
  "  status TEXT NOT NULL CHECK (status IN ('reported', 'filed', 'voided', 'closed')),\n"
  "  description TEXT NOT NULL,\n"
  "  lon REAL NOT NULL,\n"
  "  lat REAL NOT NULL,\n"
  "  address_id INTEGER REFERENCES addresses (id),\n"
  "  grid_id INTEGER REFERENCES grid_cells (id),\n"
  "  reported_at INTEGER NOT NULL,\n"
  "  " SYNCED ");\n"
  "CREATE INDEX incidents_reported ON incidents (reported_at);\n"

  /* state follows the GB/T 30428.8 workflow. */
  "CREATE TABLE work_orders (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  uuid TEXT NOT NULL UNIQUE,\n"
  "  number TEXT NOT NULL UNIQUE,\n"
  "  incident_id INTEGER REFERENCES incidents (id),\n"
  "  category_id INTEGER REFERENCES categories (id),\n"
  "  state TEXT NOT NULL CHECK (state IN ('filed', 'dispatched', 'disposing', 'disposed',\n"
  "                                       'verifying', 'closed', 'evaluated', 'voided',\n"
  "                                       'returned', 'parked')),\n"
  "  department_id INTEGER REFERENCES departments (id),\n"
  "  worker_id INTEGER REFERENCES workers (id),\n"
  "  grid_id INTEGER REFERENCES grid_cells (id),\n"
  "  filed_at INTEGER NOT NULL,\n"
  "  deadline INTEGER,\n"
  "  extended_deadline INTEGER,\n"
  "  disposed_at INTEGER,\n"
  "  closed_at INTEGER,\n"
  "  rework_count INTEGER NOT NULL DEFAULT 0,\n"
  "  escalated INTEGER NOT NULL DEFAULT 0,\n"
  "  evaluation INTEGER,\n"
  "  " SYNCED ");\n"
  "CREATE INDEX work_orders_state ON work_orders (state, deadline);\n"
  "CREATE INDEX work_orders_incident ON work_orders (incident_id);\n"

  "CREATE TABLE work_order_events (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  work_order_id INTEGER NOT NULL REFERENCES work_orders (id) ON DELETE CASCADE,\n"
  "  action TEXT NOT NULL,\n"
  "  from_state TEXT,\n"
  "  to_state TEXT NOT NULL,\n"
  "  actor TEXT,\n"
  "  department_id INTEGER REFERENCES departments (id),\n"
  "  at INTEGER NOT NULL,\n"
  "  note TEXT);\n"
  "CREATE INDEX work_order_events_order ON work_order_events (work_order_id, at);\n"

  "CREATE TABLE plates (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  address_id INTEGER NOT NULL REFERENCES addresses (id),\n"
  "  token TEXT NOT NULL UNIQUE,\n"
  "  status TEXT NOT NULL CHECK (status IN ('generated', 'printed', 'installed', 'damaged',\n"
  "                                         'lost', 'revoked')),\n"
  "  size TEXT NOT NULL CHECK (size IN ('large', 'medium', 'small', 'building', 'unit',\n"
  "                                     'room')),\n"
  "  issued_at INTEGER NOT NULL,\n"
  "  installed_at INTEGER,\n"
  "  replaced_by INTEGER REFERENCES plates (id),\n"
  "  " SYNCED ");\n"
  "CREATE INDEX plates_address ON plates (address_id);\n"

  "CREATE TABLE audit_log (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  uuid TEXT NOT NULL UNIQUE,\n"
  "  at INTEGER NOT NULL,\n"
  "  actor TEXT NOT NULL,\n"
  "  action TEXT NOT NULL,\n"
  "  entity TEXT NOT NULL,\n"
  "  entity_id INTEGER,\n"
  "  field TEXT,\n"
  "  reason TEXT);\n"

  "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;\n"

  "CREATE TABLE outbox (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  uuid TEXT NOT NULL UNIQUE,\n"
  "  entity TEXT NOT NULL,\n"
  "  op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'action')),\n"
  "  entity_id INTEGER,\n"
  "  base_version INTEGER,\n"
  "  payload TEXT NOT NULL,\n"
  "  created_at INTEGER NOT NULL,\n"
  "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'applied',\n"
  "                                                          'conflict', 'rejected')),\n"
  "  attempts INTEGER NOT NULL DEFAULT 0,\n"
  "  last_error TEXT,\n"
  "  result TEXT);\n"
  "CREATE INDEX outbox_state ON outbox (state, id);\n"

  RTREE ("address_rtree")
  RTREE ("building_rtree")
  RTREE ("unit_rtree")
  RTREE ("facility_rtree")
  RTREE ("grid_rtree")
  RTREE ("road_rtree")
  RTREE ("area_rtree")
  RTREE ("incident_rtree")

  POINT_TRIGGERS ("addresses", "address_rtree")
  SHAPE_TRIGGERS ("buildings", "building_rtree", "footprint")
  POINT_TRIGGERS ("units", "unit_rtree")
  POINT_TRIGGERS ("facilities", "facility_rtree")
  SHAPE_TRIGGERS ("grid_cells", "grid_rtree", "polygon")
  SHAPE_TRIGGERS ("roads", "road_rtree", "geometry")
  SHAPE_TRIGGERS ("areas", "area_rtree", "polygon")
  POINT_TRIGGERS ("incidents", "incident_rtree")

  /* Trigram search: Chinese has no spaces between words. columnsize=0 since
   * ranking by length is not wanted; the rowid encodes kind and id. */
  "CREATE VIRTUAL TABLE search_fts USING fts5 (text, tokenize = 'trigram',\n"
  "                                            columnsize = 0);\n"
  SEARCH_TRIGGERS ("addresses", "1", "new.display", "display")
  SEARCH_TRIGGERS ("units", "2", "new.name || ' ' || coalesce (new.uscc, '')", "name, uscc")
  SEARCH_TRIGGERS ("people", "3", "new.name", "name");

/* Version 2: plate batches (printing runs) and the working calendar that
 * deadlines in working hours and days are counted on. */
static const char migration_2[] =
  "CREATE TABLE plate_batches (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  uuid TEXT NOT NULL UNIQUE,\n"
  "  name TEXT NOT NULL,\n"
  "  size TEXT NOT NULL,\n"
  "  created_at INTEGER NOT NULL,\n"
  "  created_by TEXT,\n"
  "  plate_count INTEGER NOT NULL DEFAULT 0,\n"
  "  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'printed', 'installed',\n"
  "                                                          'cancelled')));\n"
  "ALTER TABLE plates ADD COLUMN batch_id INTEGER REFERENCES plate_batches (id);\n"
  "CREATE INDEX plates_batch ON plates (batch_id);\n"
  /* One row per date that departs from the Monday–Friday rule: holidays
   * (workday = 0) and the weekend days worked in exchange (workday = 1). */
  "CREATE TABLE calendar (\n"
  "  date TEXT PRIMARY KEY,\n"
  "  workday INTEGER NOT NULL CHECK (workday IN (0, 1)),\n"
  "  name TEXT) WITHOUT ROWID;\n"
  "INSERT INTO meta (key, value) VALUES ('work_hours', '09:00-12:00,13:30-17:30')\n"
  "  ON CONFLICT (key) DO NOTHING;\n";

/* An external-content trigram index over columns of a table: the text is
 * stored once, in the table; triggers hand FTS5 the old values to delete. */
#define FTS_V3(table, fts, cols, new_vals, old_vals)                          \
  "CREATE VIRTUAL TABLE " fts " USING fts5 (" cols ", content = '" table "',\n" \
  "  content_rowid = 'id', tokenize = 'trigram', columnsize = 0);\n"         \
  "INSERT INTO " fts " (" fts ") VALUES ('rebuild');\n"                      \
  "CREATE TRIGGER " table "_fts_ai AFTER INSERT ON " table " BEGIN\n"         \
  "  INSERT INTO " fts " (rowid, " cols ") VALUES (new.id, " new_vals ");\n"  \
  "END;\n"                                                                    \
  "CREATE TRIGGER " table "_fts_au AFTER UPDATE OF " cols " ON " table " BEGIN\n" \
  "  INSERT INTO " fts " (" fts ", rowid, " cols ") VALUES ('delete', old.id, " old_vals ");\n" \
  "  INSERT INTO " fts " (rowid, " cols ") VALUES (new.id, " new_vals ");\n"  \
  "END;\n"                                                                    \
  "CREATE TRIGGER " table "_fts_ad AFTER DELETE ON " table " BEGIN\n"         \
  "  INSERT INTO " fts " (" fts ", rowid, " cols ") VALUES ('delete', old.id, " old_vals ");\n" \
  "END;\n"

/* Version 3, for speed at district scale: one search index per kind, so
 * that a query for a person does not wade through every address that
 * matches, with the text kept once, in its table; indexes for resolving
 * short queries through road, compound and region names. */
static const char migration_3[] =
  "DROP TRIGGER addresses_fts_ai;\n"
  "DROP TRIGGER addresses_fts_au;\n"
  "DROP TRIGGER addresses_fts_ad;\n"
  "DROP TRIGGER units_fts_ai;\n"
  "DROP TRIGGER units_fts_au;\n"
  "DROP TRIGGER units_fts_ad;\n"
  "DROP TRIGGER people_fts_ai;\n"
  "DROP TRIGGER people_fts_au;\n"
  "DROP TRIGGER people_fts_ad;\n"
  "DROP TABLE search_fts;\n"
  FTS_V3 ("addresses", "address_fts", "display", "new.display", "old.display")
  FTS_V3 ("units", "unit_fts", "name, uscc", "new.name, new.uscc", "old.name, old.uscc")
  FTS_V3 ("people", "person_fts", "name", "new.name", "old.name")

  "CREATE INDEX addresses_road ON addresses (road_id);\n"
  "CREATE INDEX addresses_compound ON addresses (compound);\n"
  "CREATE INDEX addresses_region ON addresses (region_code);\n"
  "CREATE INDEX regions_name ON regions (name);\n"
  "CREATE INDEX roads_name ON roads (name);\n";

/* Version 4: the live views (incidents on the map, the dispatch list) read
 * what changed since their last look by updated_at. */
static const char migration_4[] =
  "CREATE INDEX incidents_updated ON incidents (updated_at);\n"
  "CREATE INDEX work_orders_updated ON work_orders (updated_at);\n";

/* Version 5, for speed: SQLite checks "x IN ('a', 'b', 'c')" by building a
 * temporary b-tree of the list for every row written, which cost a sixth
 * of the time of filling a store. The same constraints as comparisons
 * cost next to nothing. Only the text of the constraints changes, never
 * what they allow, so the documented writable_schema procedure applies;
 * connections already open keep the older, equivalent text until they
 * reopen. The texts replaced are those of the frozen steps above. */
#define CHECK_IN(table, old, new)                                             \
  "UPDATE sqlite_schema SET sql = replace (sql, '" old "', '" new "')\n"       \
  "  WHERE type = 'table' AND name = '" table "';\n"

static const char migration_5[] =
  "PRAGMA writable_schema = ON;\n"
  CHECK_IN ("areas",
            "kind IN (''block'', ''water'', ''green'', ''compound'')",
            "kind = ''block'' OR kind = ''water'' OR kind = ''green'' OR "
            "kind = ''compound''")
  CHECK_IN ("addresses",
            "kind IN (''door'', ''building'', ''unit'')",
            "kind = ''door'' OR kind = ''building'' OR kind = ''unit''")
  CHECK_IN ("buildings",
            "use IN (''residential'', ''commercial'', ''mixed'', ''office'',\n"
            "                                   ''industrial'', ''public'')",
            "use = ''residential'' OR use = ''commercial'' OR use = ''mixed'' OR "
            "use = ''office'' OR use = ''industrial'' OR use = ''public''")
  CHECK_IN ("rooms",
            "use IN (''residential'', ''commercial'', ''office'', ''storage'',\n"
            "                                   ''parking'', ''public'')",
            "use = ''residential'' OR use = ''commercial'' OR use = ''office'' OR "
            "use = ''storage'' OR use = ''parking'' OR use = ''public''")
  CHECK_IN ("rooms",
            "occupancy IN (''owner'', ''rented'', ''crowded'', ''vacant'',\n"
            "                                               ''business'', ''unverified'')",
            "occupancy = ''owner'' OR occupancy = ''rented'' OR "
            "occupancy = ''crowded'' OR occupancy = ''vacant'' OR "
            "occupancy = ''business'' OR occupancy = ''unverified''")
  CHECK_IN ("people",
            "category IN (''registered'', ''temporary'', ''foreign'')",
            "category = ''registered'' OR category = ''temporary'' OR "
            "category = ''foreign''")
  CHECK_IN ("people",
            "household_status IN (''match'', ''person_only'',\n"
            "                                                              ''household_only'')",
            "household_status = ''match'' OR household_status = ''person_only'' OR "
            "household_status = ''household_only''")
  CHECK_IN ("units",
            "type IN (''enterprise'', ''individual'', ''government'', ''school'',\n"
            "                                     ''hospital'', ''social'', ''other'')",
            "type = ''enterprise'' OR type = ''individual'' OR "
            "type = ''government'' OR type = ''school'' OR type = ''hospital'' OR "
            "type = ''social'' OR type = ''other''")
  CHECK_IN ("units",
            "status IN (''operating'', ''suspended'', ''closed'')",
            "status = ''operating'' OR status = ''suspended'' OR "
            "status = ''closed''")
  CHECK_IN ("categories",
            "time_unit IN (''work_hours'', ''work_days'', ''hours'', ''days'')",
            "time_unit = ''work_hours'' OR time_unit = ''work_days'' OR "
            "time_unit = ''hours'' OR time_unit = ''days''")
  CHECK_IN ("facilities",
            "status IN (''normal'', ''damaged'', ''missing'', ''maintenance'')",
            "status = ''normal'' OR status = ''damaged'' OR "
            "status = ''missing'' OR status = ''maintenance''")
  CHECK_IN ("incidents",
            "source IN (''sensor'', ''hotline'', ''grid_worker'', ''citizen'',\n"
            "                                         ''inspector'', ''operator'')",
            "source = ''sensor'' OR source = ''hotline'' OR "
            "source = ''grid_worker'' OR source = ''citizen'' OR "
            "source = ''inspector'' OR source = ''operator''")
  CHECK_IN ("incidents",
            "status IN (''reported'', ''filed'', ''voided'', ''closed'')",
            "status = ''reported'' OR status = ''filed'' OR status = ''voided'' OR "
            "status = ''closed''")
  CHECK_IN ("work_orders",
            "state IN (''filed'', ''dispatched'', ''disposing'', ''disposed'',\n"
            "                                       ''verifying'', ''closed'', ''evaluated'', ''voided'',\n"
            "                                       ''returned'', ''parked'')",
            "state = ''filed'' OR state = ''dispatched'' OR "
            "state = ''disposing'' OR state = ''disposed'' OR "
            "state = ''verifying'' OR state = ''closed'' OR "
            "state = ''evaluated'' OR state = ''voided'' OR "
            "state = ''returned'' OR state = ''parked''")
  CHECK_IN ("plates",
            "status IN (''generated'', ''printed'', ''installed'', ''damaged'',\n"
            "                                         ''lost'', ''revoked'')",
            "status = ''generated'' OR status = ''printed'' OR "
            "status = ''installed'' OR status = ''damaged'' OR "
            "status = ''lost'' OR status = ''revoked''")
  CHECK_IN ("plates",
            "size IN (''large'', ''medium'', ''small'', ''building'', ''unit'',\n"
            "                                     ''room'')",
            "size = ''large'' OR size = ''medium'' OR size = ''small'' OR "
            "size = ''building'' OR size = ''unit'' OR size = ''room''")
  CHECK_IN ("outbox",
            "op IN (''create'', ''update'', ''delete'', ''action'')",
            "op = ''create'' OR op = ''update'' OR op = ''delete'' OR "
            "op = ''action''")
  CHECK_IN ("outbox",
            "state IN (''pending'', ''sent'', ''applied'',\n"
            "                                                          ''conflict'', ''rejected'')",
            "state = ''pending'' OR state = ''sent'' OR state = ''applied'' OR "
            "state = ''conflict'' OR state = ''rejected''")
  CHECK_IN ("plate_batches",
            "status IN (''draft'', ''printed'', ''installed'',\n"
            "                                                          ''cancelled'')",
            "status = ''draft'' OR status = ''printed'' OR "
            "status = ''installed'' OR status = ''cancelled''")
  "PRAGMA writable_schema = RESET;\n";

/* Version 6: a change the hub did not take stays in the outbox for good,
 * but the user who has seen it can put it out of the list. */
static const char migration_6[] =
  "ALTER TABLE outbox ADD COLUMN dismissed_at INTEGER;\n";

const char * const _pct_store_migrations[] = {
  migration_1,
  migration_2,
  migration_3,
  migration_4,
  migration_5,
  migration_6,
};

const guint _pct_store_n_migrations = G_N_ELEMENTS (_pct_store_migrations);

G_STATIC_ASSERT (G_N_ELEMENTS (_pct_store_migrations) == PCT_STORE_SCHEMA_VERSION);
