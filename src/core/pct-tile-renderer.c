/* pct-tile-renderer.c — draws map tiles of the local store with Cairo
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tiles follow the XYZ scheme over Web Mercator. Everything is drawn in
 * logical tile pixels, so one code path serves screens of any density and
 * print. Features near a tile's edge are queried with a margin, so marks and
 * labels that straddle an edge are drawn by both tiles and meet seamlessly.
 *
 * The point layers must stay readable and fast with 250k addresses, so they
 * only draw one mark per feature once the zoom spreads them out; further
 * out they count features per cell of a grid fixed to the world (not to the
 * tile), so neighbouring tiles agree on every cell. Those counts come from
 * a PctTileIndex, every point of the layer in memory sorted by the zoom-14
 * tile it falls in: a tile at zoom 10 covers a whole district, and reading
 * its 250k points through SQLite would take ten times longer than the
 * drawing.
 *
 * Feature layers are transparent and drawn one per map layer: addresses,
 * buildings (footprints by use, then by the occupancy of their rooms),
 * units and facilities (a symbol per kind), grid cells (outlines and
 * codes).
 */

#define G_LOG_DOMAIN "pct-tile-renderer"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <pango/pangocairo.h>

#include "pct-geo.h"
#include "pct-tile-renderer.h"

struct _PctTileRenderer
{
  GObject               parent_instance;

  /* Owned references */
  PctStore             *store;
  PctTileIndex         *index;
  PangoFontDescription *label_font;
  PangoFontDescription *count_font;
};

/* One feature of an aggregated layer: its normalised Mercator position,
 * the zoom-14 tile it falls in (row-major, the sort key) and its kind (the
 * use of a building, the type of a unit, the symbol of a facility). */
typedef struct
{
  double  x;
  double  y;
  guint32 key;
  guint8  kind;
} IndexPoint;

struct _PctTileIndex
{
  GObject  parent_instance;

  GMutex   lock;
  GArray  *points[PCT_N_TILE_LAYERS];   /* IndexPoint, NULL until loaded */
};

/* Kinds of the index and the symbols, in the order of the tables below. */
typedef enum
{
  USE_RESIDENTIAL,
  USE_COMMERCIAL,
  USE_MIXED,
  USE_OFFICE,
  USE_INDUSTRIAL,
  USE_PUBLIC,
  N_USES
} BuildingUse;

typedef enum
{
  UNIT_ENTERPRISE,
  UNIT_INDIVIDUAL,
  UNIT_GOVERNMENT,
  UNIT_SCHOOL,
  UNIT_HOSPITAL,
  UNIT_SOCIAL,
  UNIT_OTHER,
  N_UNIT_TYPES
} UnitType;

typedef enum
{
  FACILITY_OTHER,
  FACILITY_HYDRANT,
  FACILITY_WATER_COVER,
  FACILITY_SEWER_COVER,
  FACILITY_RAIN_COVER,
  FACILITY_CAMERA,
  FACILITY_EXTINGUISHER,
  FACILITY_EXIT,
  N_FACILITY_KINDS
} FacilityKind;

/* Where a tile sits in the world at its zoom level, in logical pixels. */
typedef struct
{
  guint  zoom;
  double world;      /* width of the whole world */
  double origin_x;   /* the tile's top-left corner */
  double origin_y;
} TileFrame;

/* One road read from the store, kept for the casing, fill and name
 * passes. */
typedef struct
{
  int     road_class;
  GArray *points;    /* PctGeoPoint in tile pixels */
  char   *name;
} Road;

/* Addresses counted in one cell of the world grid. */
typedef struct
{
  guint  count;
  double sum_x;
  double sum_y;
} Cell;

typedef struct
{
  double x1, y1, x2, y2;
} Box;

G_DEFINE_FINAL_TYPE (PctTileRenderer, pct_tile_renderer, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE (PctTileIndex, pct_tile_index, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Label text is CJK: the font must carry Hanzi, whatever the locale. */
#define LABEL_FAMILY "Noto Sans CJK SC"

/* Nominal road widths in metres by class: 1 arterial … 4 lane (小巷). */
static const double road_widths_m[] = { 0, 26.0, 17.0, 10.0, 5.0 };
/* The smallest width in pixels of each class, so major roads stay legible
 * when zoomed out. */
static const double road_min_px[] = { 0, 2.4, 1.6, 1.0, 0.7 };
/* The zoom from which each class is drawn. */
static const guint road_min_zoom[] = { 0, 0, 10, 12, 14 };
static const guint32 road_fill[] = { 0, 0xf6c46b, 0xfbe3a0, 0xffffff, 0xffffff };
static const guint32 road_casing[] = { 0, 0xcf9a45, 0xc8ad78, 0xcfc7ba, 0xd9d2c6 };

#define BLOCK_COLOR           0xebe6dd
#define COMPOUND_COLOR        0xeee5d6
#define COMPOUND_OUTLINE      0xd8c9b2
#define BUILDING_COLOR        PCT_TILE_COLOR_BUILDING
#define BUILDING_OUTLINE      0xc2b6a8
#define LABEL_COLOR           0x3d3833
#define HALO_COLOR            0xffffff
#define ROAD_NAME_COLOR       0x5e5850
#define GRID_LABEL_COLOR      0x613583
/* From this zoom grid cells are drawn as their outlines, before as boxes. */
#define GRID_OUTLINE_ZOOM     13

/* Road names: how far from a road its name can reach, the room kept free
 * at a road's ends, the distance between repeats, and the slope from which
 * characters stand upright. */
#define ROAD_NAME_MARGIN      12.0
#define ROAD_NAME_PADDING     16.0
#define ROAD_NAME_SPACING     480.0
#define ROAD_NAME_STEEP       (G_PI * 55.0 / 180.0)

/* How far from a tile a door number drawn into it can start. */
#define ADDRESS_LABEL_MARGIN  96.0

/* Density dots and count bubbles: cell sizes in logical pixels. Both
 * divide PCT_TILE_SIZE, so every cell belongs to exactly one tile. */
#define DENSITY_CELL 8
#define BUBBLE_CELL  64
/* How far a bubble moves from its cell's centre towards its addresses. */
#define BUBBLE_PULL  0.4

/* The zoom of the index's buckets: a district is a few dozen of them. */
#define INDEX_ZOOM 14

static const char * const use_names[N_USES] = {
  "residential", "commercial", "mixed", "office", "industrial", "public",
};
static const guint32 use_colors[N_USES] = {
  PCT_TILE_COLOR_RESIDENTIAL, PCT_TILE_COLOR_COMMERCIAL, PCT_TILE_COLOR_MIXED,
  PCT_TILE_COLOR_OFFICE, PCT_TILE_COLOR_INDUSTRIAL, PCT_TILE_COLOR_PUBLIC,
};

/* Occupancy of rooms (自住, 出租, 群租, 空置, 经营, 待查), in the order the
 * strips of a building are drawn. */
static const char * const occupancy_names[] = {
  "owner", "rented", "crowded", "vacant", "business", "unverified",
};
static const guint32 occupancy_colors[] = {
  0x62a0ea, 0x57e389, 0xe01b24, 0xdeddda, 0xf6d32d, 0xc061cb,
};

static const char * const unit_names[N_UNIT_TYPES] = {
  "enterprise", "individual", "government", "school", "hospital", "social", "other",
};
static const guint32 unit_colors[N_UNIT_TYPES] = {
  PCT_TILE_COLOR_UNIT, 0x2190a4, 0xc01c28, 0xe66100, 0xffffff, 0x813d9c, 0x77767b,
};

/* GB/T 30428.2 component codes of the categories drawn with a symbol of
 * their own. */
static const struct
{
  const char   *code;
  FacilityKind  kind;
} facility_codes[] = {
  { "C0110", FACILITY_HYDRANT },
  { "C0101", FACILITY_WATER_COVER },
  { "C0102", FACILITY_SEWER_COVER },
  { "C0103", FACILITY_RAIN_COVER },
  { "C0117", FACILITY_CAMERA },
  { "C0601", FACILITY_EXTINGUISHER },
  { "C0602", FACILITY_EXIT },
};
static const guint32 facility_colors[N_FACILITY_KINDS] = {
  PCT_TILE_COLOR_FACILITY, 0xe01b24, 0x3584e4, 0x865e3c, 0x5e5c64, 0x1a5fb4,
  0xc01c28, 0x26a269,
};

/* How dense a layer must be for its density dot to fill a cell at the zoom
 * level just below the aggregation; each level further out a cell covers
 * four times the ground, so the count that fills it is four times higher.
 * The dots then show features per area, the same at every zoom. */
static const double density_full[PCT_N_TILE_LAYERS] = {
  [PCT_TILE_LAYER_ADDRESSES] = 128,
  [PCT_TILE_LAYER_BUILDINGS] = 24,
  [PCT_TILE_LAYER_UNITS] = 16,
  [PCT_TILE_LAYER_FACILITIES] = 10,
};

static const char * const index_sql[PCT_N_TILE_LAYERS] = {
  /* The R*Tree holds the point: no row of the table is read. */
  [PCT_TILE_LAYER_ADDRESSES] = "SELECT min_lon, min_lat, NULL FROM address_rtree",
  [PCT_TILE_LAYER_BUILDINGS] = "SELECT lon, lat, use FROM buildings",
  [PCT_TILE_LAYER_UNITS] = "SELECT lon, lat, type FROM units",
  [PCT_TILE_LAYER_FACILITIES] =
    "SELECT f.lon, f.lat, c.code FROM facilities f JOIN categories c ON c.id = f.category_id",
};

#define AREAS_SQL                                                             \
  "SELECT a.kind, a.polygon FROM area_rtree r JOIN areas a ON a.id = r.id "   \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 "                                                      \
  "AND (r.max_lon - r.min_lon >= ?5 OR r.max_lat - r.min_lat >= ?5) "         \
  "ORDER BY CASE a.kind WHEN 'block' THEN 0 WHEN 'compound' THEN 1 "          \
  "WHEN 'green' THEN 2 ELSE 3 END, a.id"

#define ROADS_SQL                                                             \
  "SELECT ro.class, ro.geometry, ro.name FROM road_rtree r JOIN roads ro ON ro.id = r.id " \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 AND ro.class <= ?5 "                                   \
  "ORDER BY ro.class DESC, ro.id"

#define BUILDINGS_SQL                                                         \
  "SELECT b.footprint FROM building_rtree r JOIN buildings b ON b.id = r.id " \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 ORDER BY b.id"

#define FEATURE_BUILDINGS_SQL                                                 \
  "SELECT b.id, b.footprint, b.use FROM building_rtree r "                    \
  "JOIN buildings b ON b.id = r.id "                                          \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 ORDER BY b.id"

/* Rooms per occupancy of the buildings of a box, through rooms_building. */
#define OCCUPANCY_SQL                                                         \
  "SELECT ro.building_id, ro.occupancy, count(*) FROM rooms ro "              \
  "WHERE ro.building_id IN (SELECT id FROM building_rtree "                   \
  "WHERE min_lon <= ?3 AND max_lon >= ?1 AND min_lat <= ?4 AND max_lat >= ?2) " \
  "GROUP BY ro.building_id, ro.occupancy"

#define UNITS_SQL                                                             \
  "SELECT u.lon, u.lat, u.type, u.status FROM unit_rtree r "                  \
  "JOIN units u ON u.id = r.id "                                              \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 ORDER BY u.id"

#define FACILITIES_SQL                                                        \
  "SELECT f.lon, f.lat, c.code, f.status FROM facility_rtree r "              \
  "JOIN facilities f ON f.id = r.id JOIN categories c ON c.id = f.category_id " \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 ORDER BY f.id"

#define GRID_BOXES_SQL                                                        \
  "SELECT min_lon, min_lat, max_lon, max_lat FROM grid_rtree "                \
  "WHERE min_lon <= ?3 AND max_lon >= ?1 AND min_lat <= ?4 AND max_lat >= ?2"

#define GRIDS_SQL                                                             \
  "SELECT g.code, g.name, g.polygon FROM grid_rtree r "                       \
  "JOIN grid_cells g ON g.id = r.id "                                         \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 ORDER BY g.id"

#define ADDRESS_DETAILS_SQL                                                   \
  "SELECT a.lon, a.lat, a.kind, a.door_number, a.building_no, a.unit_no "     \
  "FROM address_rtree r JOIN addresses a ON a.id = r.id "                     \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 ORDER BY a.id"

static void
tile_frame_init (TileFrame *frame,
                 guint      zoom,
                 guint      x,
                 guint      y)
{
  frame->zoom = zoom;
  frame->world = ldexp (PCT_TILE_SIZE, zoom);
  frame->origin_x = (double) x * PCT_TILE_SIZE;
  frame->origin_y = (double) y * PCT_TILE_SIZE;
}

static void
tile_frame_project (const TileFrame *frame,
                    double           lon,
                    double           lat,
                    double          *px,
                    double          *py)
{
  double x, y;

  pct_geo_mercator_project (lon, lat, &x, &y);
  *px = x * frame->world - frame->origin_x;
  *py = y * frame->world - frame->origin_y;
}

/* The geographic box of the tile grown by margin pixels on every side. */
static void
tile_frame_get_bbox (const TileFrame *frame,
                     double           margin,
                     PctBBox         *bbox)
{
  pct_geo_mercator_unproject ((frame->origin_x - margin) / frame->world,
                              (frame->origin_y - margin) / frame->world,
                              &bbox->min_lon, &bbox->max_lat);
  pct_geo_mercator_unproject ((frame->origin_x + PCT_TILE_SIZE + margin) / frame->world,
                              (frame->origin_y + PCT_TILE_SIZE + margin) / frame->world,
                              &bbox->max_lon, &bbox->min_lat);
}

/* Metres covered by one logical pixel at the tile's centre. */
static double
tile_frame_metres_per_pixel (const TileFrame *frame)
{
  double lon, lat;

  pct_geo_mercator_unproject (0, (frame->origin_y + PCT_TILE_SIZE / 2.0) / frame->world,
                              &lon, &lat);
  return 2 * G_PI * PCT_GEO_EARTH_RADIUS * cos (lat * G_PI / 180.0) / frame->world;
}

static void
set_source_rgb (cairo_t *cr,
                guint32  rgb)
{
  cairo_set_source_rgb (cr,
                        ((rgb >> 16) & 0xff) / 255.0,
                        ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0);
}

static void
set_source_rgba (cairo_t *cr,
                 guint32  rgb,
                 double   alpha)
{
  cairo_set_source_rgba (cr,
                         ((rgb >> 16) & 0xff) / 255.0,
                         ((rgb >> 8) & 0xff) / 255.0,
                         (rgb & 0xff) / 255.0,
                         alpha);
}

static void
bind_bbox (sqlite3_stmt  *stmt,
           const PctBBox *bbox)
{
  sqlite3_bind_double (stmt, 1, bbox->min_lon);
  sqlite3_bind_double (stmt, 2, bbox->min_lat);
  sqlite3_bind_double (stmt, 3, bbox->max_lon);
  sqlite3_bind_double (stmt, 4, bbox->max_lat);
}

/* Reads a geometry column, a list of [lon, lat] pairs, into tile pixels.
 * Returns NULL for text that is not such a list: one bad row must not cost
 * the whole tile. */
static GArray *
project_coordinates (const TileFrame *frame,
                     const char      *json)
{
  g_autoptr(GArray) points = NULL;

  if (json == NULL || (points = pct_geo_parse_coords (json, NULL)) == NULL)
    return NULL;

  for (guint i = 0; i < points->len; i++)
    {
      PctGeoPoint *pt = &g_array_index (points, PctGeoPoint, i);

      tile_frame_project (frame, pt->x, pt->y, &pt->x, &pt->y);
    }

  return g_steal_pointer (&points);
}

static void
append_path (cairo_t *cr,
             GArray  *points,
             gboolean close)
{
  const PctGeoPoint *pts = (const PctGeoPoint *) (gpointer) points->data;

  if (points->len == 0)
    return;

  cairo_move_to (cr, pts[0].x, pts[0].y);
  for (guint i = 1; i < points->len; i++)
    cairo_line_to (cr, pts[i].x, pts[i].y);
  if (close)
    cairo_close_path (cr);
}

static void
road_clear (gpointer data)
{
  Road *road = data;

  g_clear_pointer (&road->points, g_array_unref);
  g_clear_pointer (&road->name, g_free);
}

static double
road_width (int    road_class,
            double metres_per_pixel)
{
  return MAX (road_widths_m[road_class] / metres_per_pixel, road_min_px[road_class]);
}

static double
casing_width (double width)
{
  return width + 2.0 * MAX (0.6, width * 0.12);
}

static PangoLayout *
create_layout (cairo_t                    *cr,
               const PangoFontDescription *font)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  cairo_font_options_t *options = cairo_font_options_create ();

  /* Tiles end up scaled and moved by fractions of a pixel on screen:
   * subpixel colour fringes and strong hinting would show. */
  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_SLIGHT);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  pango_cairo_context_set_font_options (pango_layout_get_context (layout), options);
  pango_layout_context_changed (layout);
  cairo_font_options_destroy (options);

  pango_layout_set_font_description (layout, font);
  return layout;
}

/* Where a point at distance s along a polyline is, and the direction of
 * the segment it is on. */
static void
polyline_at (const PctGeoPoint *pts,
             guint              n,
             const double      *cumulative,
             double             s,
             double            *x,
             double            *y,
             double            *angle)
{
  guint i = 1;

  while (i < n - 1 && cumulative[i] < s)
    i++;

  {
    double len = cumulative[i] - cumulative[i - 1];
    double t = len > 0 ? (s - cumulative[i - 1]) / len : 0;

    t = CLAMP (t, 0.0, 1.0);
    *x = pts[i - 1].x + t * (pts[i].x - pts[i - 1].x);
    *y = pts[i - 1].y + t * (pts[i].y - pts[i - 1].y);
    *angle = atan2 (pts[i].y - pts[i - 1].y, pts[i].x - pts[i - 1].x);
  }
}

static double
angle_difference (double a,
                  double b)
{
  double d = fmod (fabs (a - b), 2 * G_PI);

  return d > G_PI ? 2 * G_PI - d : d;
}

/* Writes a road's name along it, one character at a time so that the
 * text follows bends: at the middle of the road, and every
 * ROAD_NAME_SPACING pixels along a long one. A place is used only where
 * the road bends little under the text. Where the road is steep the
 * characters stand upright, as Chinese maps write names down a road.
 * Positions depend on the whole road only, so tiles sharing an edge draw
 * the same characters there. With boxes, nothing is drawn: the space each
 * character and its halo take is added to boxes (Box), for door numbers
 * to keep clear of. */
static void
draw_road_name (cairo_t     *cr,
                PangoLayout *layout,
                GArray      *points,
                const char  *name,
                GArray      *boxes)
{
  g_autoptr(GArray) pts = g_array_copy (points);
  g_autofree double *cumulative = NULL;
  g_autoptr(GArray) advances = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) glyphs = g_ptr_array_new_with_free_func (g_free);
  PctGeoPoint *p;
  double length, text_length = 0, dx, dy;
  gboolean upright;
  int height = 0;
  guint n = pts->len;
  guint n_labels;

  if (n < 2)
    return;

  p = (PctGeoPoint *) (gpointer) pts->data;

  /* Read left to right, or top to bottom down a steep road, whose
   * characters stand upright: reverse a road drawn the other way. */
  dx = p[n - 1].x - p[0].x;
  dy = p[n - 1].y - p[0].y;
  upright = atan2 (fabs (dy), fabs (dx)) > ROAD_NAME_STEEP;
  if (upright ? dy < 0 : dx < 0)
    for (guint i = 0; i < n / 2; i++)
      {
        PctGeoPoint tmp = p[i];

        p[i] = p[n - 1 - i];
        p[n - 1 - i] = tmp;
      }

  cumulative = g_new (double, n);
  cumulative[0] = 0;
  for (guint i = 1; i < n; i++)
    cumulative[i] = cumulative[i - 1] + hypot (p[i].x - p[i - 1].x, p[i].y - p[i - 1].y);
  length = cumulative[n - 1];

  for (const char *c = name; *c != '\0'; c = g_utf8_next_char (c))
    {
      char *glyph = g_strndup (c, g_utf8_next_char (c) - c);
      int w, h;
      double advance;

      pango_layout_set_text (layout, glyph, -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      advance = w;
      g_array_append_val (advances, advance);
      g_ptr_array_add (glyphs, glyph);
      height = MAX (height, h);
      text_length += advance;
    }

  if (text_length + 2 * ROAD_NAME_PADDING > length)
    return;

  /* Upright characters take their height along the road. */
  if (upright)
    text_length = height * (double) glyphs->len;
  if (text_length + 2 * ROAD_NAME_PADDING > length)
    return;

  n_labels = MAX (1, (guint) floor (length / ROAD_NAME_SPACING));

  for (guint k = 0; k < n_labels; k++)
    {
      double centre = length * (k + 0.5) / n_labels;
      double start = centre - text_length / 2;
      double first_angle, last_angle, x, y, s;

      if (start < ROAD_NAME_PADDING || start + text_length > length - ROAD_NAME_PADDING)
        continue;

      polyline_at (p, n, cumulative, start, &x, &y, &first_angle);
      polyline_at (p, n, cumulative, start + text_length, &x, &y, &last_angle);
      if (angle_difference (first_angle, last_angle) > G_PI / 5)
        continue;

      /* Halo, then text, so no halo covers a neighbouring character. */
      for (guint pass = boxes != NULL ? 1 : 0; pass < 2; pass++)
        {
          s = start;
          for (guint g = 0; g < glyphs->len; g++)
            {
              double advance = upright ? height : g_array_index (advances, double, g);
              double angle;
              int w, h;

              polyline_at (p, n, cumulative, s + advance / 2, &x, &y, &angle);
              pango_layout_set_text (layout, g_ptr_array_index (glyphs, g), -1);
              pango_layout_get_pixel_size (layout, &w, &h);
              s += advance;

              if (boxes != NULL)
                {
                  /* Whichever way the character is turned. */
                  double r = MAX (w, h) / 2.0 + 1.5;
                  Box box = { x - r, y - r, x + r, y + r };

                  g_array_append_val (boxes, box);
                  continue;
                }

              cairo_save (cr);
              cairo_translate (cr, x, y);
              if (!upright)
                cairo_rotate (cr, angle);
              cairo_move_to (cr, -w / 2.0, -h / 2.0);
              pango_cairo_layout_path (cr, layout);
              cairo_restore (cr);
            }

          if (boxes != NULL)
            break;
          if (pass == 0)
            {
              set_source_rgba (cr, HALO_COLOR, 0.9);
              cairo_set_line_width (cr, 3.0);
              cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
              cairo_stroke (cr);
            }
          else
            {
              set_source_rgb (cr, ROAD_NAME_COLOR);
              cairo_fill (cr);
            }
        }
    }
}

static gboolean
draw_areas (PctTileRenderer  *self,
            cairo_t          *cr,
            const TileFrame  *frame,
            GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, AREAS_SQL, error);
  PctBBox bbox;
  int rc;

  if (stmt == NULL)
    return FALSE;

  tile_frame_get_bbox (frame, 1, &bbox);
  bind_bbox (stmt, &bbox);
  /* Areas smaller than a pixel would only add noise and time. */
  sqlite3_bind_double (stmt, 5, 360.0 / frame->world);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *kind = (const char *) sqlite3_column_text (stmt, 0);
      g_autoptr(GArray) points = project_coordinates (frame,
                                                      (const char *) sqlite3_column_text (stmt, 1));

      if (points == NULL)
        continue;

      append_path (cr, points, TRUE);
      if (g_strcmp0 (kind, "water") == 0)
        set_source_rgb (cr, PCT_TILE_COLOR_WATER);
      else if (g_strcmp0 (kind, "green") == 0)
        set_source_rgb (cr, PCT_TILE_COLOR_GREEN);
      else if (g_strcmp0 (kind, "compound") == 0)
        set_source_rgb (cr, COMPOUND_COLOR);
      else
        set_source_rgb (cr, BLOCK_COLOR);

      if (g_strcmp0 (kind, "compound") == 0 && frame->zoom >= 14)
        {
          cairo_fill_preserve (cr);
          set_source_rgb (cr, COMPOUND_OUTLINE);
          cairo_set_line_width (cr, 1.0);
          cairo_stroke (cr);
        }
      else
        cairo_fill (cr);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "areas");
  return TRUE;
}

/* The roads of the basemap with their names; or, with name_boxes, only
 * the space their names take, added to it, for roads up to margin pixels
 * out of the tile. Both read the same roads and place the names alike, so
 * that door numbers keep clear of the names drawn. */
static gboolean
draw_roads (PctTileRenderer  *self,
            cairo_t          *cr,
            const TileFrame  *frame,
            GArray           *name_boxes,
            double            margin,
            GError          **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GArray) roads = g_array_new (FALSE, TRUE, sizeof (Road));
  double metres_per_pixel = tile_frame_metres_per_pixel (frame);
  gboolean lines = name_boxes == NULL;
  gboolean names = frame->zoom >= PCT_TILE_ZOOM_ROAD_NAMES;
  int max_class = 0;
  PctBBox bbox;
  int rc;

  if (!lines && !names)
    return TRUE;

  stmt = pct_store_prepare (self->store, ROADS_SQL, error);
  if (stmt == NULL)
    return FALSE;

  g_array_set_clear_func (roads, road_clear);

  for (int c = 1; c < (int) G_N_ELEMENTS (road_min_zoom); c++)
    if (frame->zoom >= road_min_zoom[c])
      max_class = c;

  /* The widest casing decides how far outside the tile a road can reach
   * into it; a name beside a thin road reaches a little further. */
  tile_frame_get_bbox (frame, MAX (MAX (casing_width (road_width (1, metres_per_pixel)),
                                        names ? ROAD_NAME_MARGIN : 0),
                                   margin), &bbox);
  bind_bbox (stmt, &bbox);
  sqlite3_bind_int (stmt, 5, max_class);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Road road = {
        .road_class = CLAMP (sqlite3_column_int (stmt, 0), 1, 4),
        .points = project_coordinates (frame, (const char *) sqlite3_column_text (stmt, 1)),
        .name = names ? g_strdup ((const char *) sqlite3_column_text (stmt, 2)) : NULL,
      };

      if (road.points != NULL)
        g_array_append_val (roads, road);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "roads");

  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  /* All casings first, then all fills, minor roads before major ones: at a
   * junction the fills flow into each other instead of being cut by the
   * other road's casing. */
  for (guint pass = 0; lines && pass < 2; pass++)
    {
      for (guint i = 0; i < roads->len; i++)
        {
          const Road *road = &g_array_index (roads, Road, i);
          double width = road_width (road->road_class, metres_per_pixel);

          append_path (cr, road->points, FALSE);
          if (pass == 0)
            {
              set_source_rgb (cr, road_casing[road->road_class]);
              cairo_set_line_width (cr, casing_width (width));
            }
          else
            {
              set_source_rgb (cr, road_fill[road->road_class]);
              cairo_set_line_width (cr, width);
            }
          cairo_stroke (cr);
        }
    }

  if (names)
    {
      g_autoptr(PangoLayout) layout = create_layout (cr, self->label_font);

      /* Major roads last, so that their names are on top at a crossing. */
      for (guint i = 0; i < roads->len; i++)
        {
          const Road *road = &g_array_index (roads, Road, i);

          if (road->name != NULL && *road->name != '\0')
            draw_road_name (cr, layout, road->points, road->name, name_boxes);
        }
    }

  return TRUE;
}

static gboolean
draw_buildings (PctTileRenderer  *self,
                cairo_t          *cr,
                const TileFrame  *frame,
                GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, BUILDINGS_SQL, error);
  gboolean outline = frame->zoom >= 16;
  PctBBox bbox;
  int rc;

  if (stmt == NULL)
    return FALSE;

  tile_frame_get_bbox (frame, 1, &bbox);
  bind_bbox (stmt, &bbox);

  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
  cairo_set_line_width (cr, 0.8);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(GArray) points = project_coordinates (frame,
                                                      (const char *) sqlite3_column_text (stmt, 0));

      if (points == NULL)
        continue;

      append_path (cr, points, TRUE);
      set_source_rgb (cr, BUILDING_COLOR);
      if (outline)
        {
          cairo_fill_preserve (cr);
          set_source_rgb (cr, BUILDING_OUTLINE);
          cairo_stroke (cr);
        }
      else
        cairo_fill (cr);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "buildings");
  return TRUE;
}

static gboolean
draw_basemap (PctTileRenderer  *self,
              cairo_t          *cr,
              const TileFrame  *frame,
              GError          **error)
{
  set_source_rgb (cr, PCT_TILE_COLOR_LAND);
  cairo_paint (cr);

  if (!draw_areas (self, cr, frame, error))
    return FALSE;
  if (frame->zoom >= 15 && !draw_buildings (self, cr, frame, error))
    return FALSE;
  return draw_roads (self, cr, frame, NULL, 0, error);
}


static int
index_point_compare (gconstpointer a,
                     gconstpointer b)
{
  const IndexPoint *pa = a, *pb = b;

  return pa->key < pb->key ? -1 : pa->key > pb->key;
}

static guint8
index_kind (PctTileLayer  layer,
            const char   *value)
{
  switch (layer)
    {
    case PCT_TILE_LAYER_BUILDINGS:
      for (guint i = 0; i < N_USES; i++)
        if (g_strcmp0 (value, use_names[i]) == 0)
          return i;
      return USE_RESIDENTIAL;

    case PCT_TILE_LAYER_UNITS:
      for (guint i = 0; i < N_UNIT_TYPES; i++)
        if (g_strcmp0 (value, unit_names[i]) == 0)
          return i;
      return UNIT_OTHER;

    case PCT_TILE_LAYER_FACILITIES:
      for (guint i = 0; i < G_N_ELEMENTS (facility_codes); i++)
        if (g_strcmp0 (value, facility_codes[i].code) == 0)
          return facility_codes[i].kind;
      return FACILITY_OTHER;

    case PCT_TILE_LAYER_BASEMAP:
    case PCT_TILE_LAYER_ADDRESSES:
    case PCT_TILE_LAYER_GRIDS:
    case PCT_N_TILE_LAYERS:
    default:
      return 0;
    }
}

static GArray *
index_load (PctStore      *store,
            PctTileLayer   layer,
            GError       **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, index_sql[layer], error);
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (IndexPoint));
  double buckets = ldexp (1.0, INDEX_ZOOM);
  int rc;

  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      IndexPoint pt;
      guint32 bx, by;

      pct_geo_mercator_project (sqlite3_column_double (stmt, 0),
                                sqlite3_column_double (stmt, 1), &pt.x, &pt.y);
      bx = (guint32) CLAMP (floor (pt.x * buckets), 0, buckets - 1);
      by = (guint32) CLAMP (floor (pt.y * buckets), 0, buckets - 1);
      pt.key = (by << INDEX_ZOOM) | bx;
      pt.kind = index_kind (layer, (const char *) sqlite3_column_text (stmt, 2));
      g_array_append_val (points, pt);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (store, error, "map index"), NULL;

  g_array_sort (points, index_point_compare);
  return g_steal_pointer (&points);
}

/* The layer's points, loaded on first use. The array never changes once
 * loaded, so it is read without the lock. */
static GArray *
index_get (PctTileIndex  *self,
           PctStore      *store,
           PctTileLayer   layer,
           GError       **error)
{
  GArray *points;

  g_mutex_lock (&self->lock);
  if (self->points[layer] == NULL)
    self->points[layer] = index_load (store, layer, error);
  points = self->points[layer];
  g_mutex_unlock (&self->lock);

  return points;
}

/* The first point whose key is at least key. */
static guint
index_lower_bound (GArray  *points,
                   guint32  key)
{
  guint lo = 0, hi = points->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (points, IndexPoint, mid).key < key)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

typedef void (*IndexVisitFunc) (const IndexPoint *pt,
                                double            px,
                                double            py,
                                gpointer          user_data);

/* Calls func for every point within margin pixels of the tile, with its
 * position in tile pixels: bucket row by bucket row, each row one
 * contiguous run of the sorted array. */
static void
index_visit (GArray          *points,
             const TileFrame *frame,
             double           margin,
             IndexVisitFunc   func,
             gpointer         user_data)
{
  double buckets = ldexp (1.0, INDEX_ZOOM);
  double x0 = (frame->origin_x - margin) / frame->world;
  double y0 = (frame->origin_y - margin) / frame->world;
  double x1 = (frame->origin_x + PCT_TILE_SIZE + margin) / frame->world;
  double y1 = (frame->origin_y + PCT_TILE_SIZE + margin) / frame->world;
  guint32 bx0 = (guint32) CLAMP (floor (x0 * buckets), 0, buckets - 1);
  guint32 bx1 = (guint32) CLAMP (floor (x1 * buckets), 0, buckets - 1);
  guint32 by0 = (guint32) CLAMP (floor (y0 * buckets), 0, buckets - 1);
  guint32 by1 = (guint32) CLAMP (floor (y1 * buckets), 0, buckets - 1);

  for (guint32 by = by0; by <= by1; by++)
    {
      guint start = index_lower_bound (points, (by << INDEX_ZOOM) | bx0);
      guint end = index_lower_bound (points, ((by << INDEX_ZOOM) | bx1) + 1);

      for (guint i = start; i < end; i++)
        {
          const IndexPoint *pt = &g_array_index (points, IndexPoint, i);

          if (pt->x < x0 || pt->x >= x1 || pt->y < y0 || pt->y >= y1)
            continue;
          func (pt, pt->x * frame->world - frame->origin_x,
                pt->y * frame->world - frame->origin_y, user_data);
        }
    }
}

/* Features per density cell, by kind. */
typedef struct
{
  guint *counts;     /* N × N × n_kinds */
  guint  n_kinds;
} DensityGrid;

enum { DENSITY_N = PCT_TILE_SIZE / DENSITY_CELL };

static void
density_count_cb (const IndexPoint *pt,
                  double            px,
                  double            py,
                  gpointer          user_data)
{
  DensityGrid *grid = user_data;
  int cx = (int) floor (px / DENSITY_CELL);
  int cy = (int) floor (py / DENSITY_CELL);

  if (cx >= 0 && cx < DENSITY_N && cy >= 0 && cy < DENSITY_N)
    grid->counts[(cy * DENSITY_N + cx) * grid->n_kinds + MIN (pt->kind, grid->n_kinds - 1)]++;
}

static guint32
layer_kind_color (PctTileLayer layer,
                  guint        kind)
{
  switch (layer)
    {
    case PCT_TILE_LAYER_BUILDINGS:
      return use_colors[MIN (kind, N_USES - 1)];
    case PCT_TILE_LAYER_UNITS:
      return PCT_TILE_COLOR_UNIT;
    case PCT_TILE_LAYER_FACILITIES:
      return PCT_TILE_COLOR_FACILITY;
    case PCT_TILE_LAYER_ADDRESSES:
    case PCT_TILE_LAYER_BASEMAP:
    case PCT_TILE_LAYER_GRIDS:
    case PCT_N_TILE_LAYERS:
    default:
      return PCT_TILE_COLOR_ADDRESS;
    }
}

/* Counts a layer's features in cells DENSITY_CELL pixels wide and draws a
 * mark in each cell that grows with the count, like a halftone: dots for
 * point layers, squares in the most common use for buildings. */
static gboolean
draw_density (PctTileRenderer  *self,
              cairo_t          *cr,
              const TileFrame  *frame,
              PctTileLayer      layer,
              GError          **error)
{
  GArray *points = index_get (self->index, self->store, layer, error);
  guint n_kinds = layer == PCT_TILE_LAYER_BUILDINGS ? N_USES : 1;
  g_autofree guint *counts = g_new0 (guint, DENSITY_N * DENSITY_N * n_kinds);
  DensityGrid grid = { counts, n_kinds };
  int below = (int) PCT_TILE_ZOOM_AGGREGATE - 1 - (int) frame->zoom;
  double full = density_full[layer] * exp2 (2.0 * below);
  double alpha = layer == PCT_TILE_LAYER_BUILDINGS ? 0.9 : 0.85;

  if (points == NULL)
    return FALSE;

  index_visit (points, frame, 0, density_count_cb, &grid);

  for (int cy = 0; cy < DENSITY_N; cy++)
    {
      for (int cx = 0; cx < DENSITY_N; cx++)
        {
          const guint *cell = &counts[(cy * DENSITY_N + cx) * n_kinds];
          guint count = 0, top = 0;
          double level, r;

          for (guint k = 0; k < n_kinds; k++)
            {
              count += cell[k];
              if (cell[k] > cell[top])
                top = k;
            }
          if (count == 0)
            continue;

          /* Logarithmic, so a lone farmhouse still shows next to a
           * block of towers. Full marks stop short of touching, so that
           * the roads between them still read. */
          level = MIN (1.0, log2 (1.0 + count) / log2 (1.0 + full));
          r = 1.2 + (0.45 * DENSITY_CELL - 1.2) * level;

          if (layer == PCT_TILE_LAYER_BUILDINGS)
            cairo_rectangle (cr, (cx + 0.5) * DENSITY_CELL - r, (cy + 0.5) * DENSITY_CELL - r,
                             2 * r, 2 * r);
          else
            cairo_arc (cr, (cx + 0.5) * DENSITY_CELL, (cy + 0.5) * DENSITY_CELL, r, 0, 2 * G_PI);
          set_source_rgba (cr, layer_kind_color (layer, top), alpha);
          cairo_fill (cr);
        }
    }

  return TRUE;
}

static void
draw_address_point (cairo_t *cr,
                    double   x,
                    double   y,
                    double   radius)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, radius + 1.0, 0, 2 * G_PI);
  set_source_rgb (cr, 0xffffff);
  cairo_fill (cr);

  cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
  set_source_rgb (cr, PCT_TILE_COLOR_ADDRESS);
  cairo_fill (cr);
}

enum { BUBBLE_N = PCT_TILE_SIZE / BUBBLE_CELL + 2 };

static void
bubble_count_cb (const IndexPoint *pt,
                 double            px,
                 double            py,
                 gpointer          user_data)
{
  Cell *cells = user_data;
  /* Cell (0, 0) is the one left of and above the tile. */
  int cx = (int) floor (px / BUBBLE_CELL) + 1;
  int cy = (int) floor (py / BUBBLE_CELL) + 1;

  if (cx >= 0 && cx < BUBBLE_N && cy >= 0 && cy < BUBBLE_N)
    {
      Cell *cell = &cells[cy * BUBBLE_N + cx];

      cell->count++;
      cell->sum_x += px;
      cell->sum_y += py;
    }
}

/* Counts addresses in cells BUBBLE_CELL pixels wide and draws a bubble with
 * the count at the centre of each cell's addresses. A bubble may overhang its
 * cell, so the ring of cells around the tile is counted too. */
static gboolean
draw_address_bubbles (PctTileRenderer  *self,
                      cairo_t          *cr,
                      const TileFrame  *frame,
                      GError          **error)
{
  GArray *points = index_get (self->index, self->store, PCT_TILE_LAYER_ADDRESSES, error);
  g_autoptr(PangoLayout) layout = NULL;
  Cell cells[BUBBLE_N * BUBBLE_N] = { { 0, } };

  if (points == NULL)
    return FALSE;

  /* The ring of cells around the tile is exactly one cell wide: the
   * cells are aligned to the tile. */
  index_visit (points, frame, BUBBLE_CELL, bubble_count_cb, cells);

  layout = create_layout (cr, self->count_font);

  for (guint i = 0; i < G_N_ELEMENTS (cells); i++)
    {
      const Cell *cell = &cells[i];
      double x, y, cx, cy, radius;
      char text[24];
      int width, height;

      if (cell->count == 0)
        continue;

      x = cell->sum_x / cell->count;
      y = cell->sum_y / cell->count;

      if (cell->count == 1)
        {
          draw_address_point (cr, x, y, 3.0);
          continue;
        }

      /* Towards the addresses, but only part of the way from the cell's
       * centre: bubbles of neighbouring cells then stay at least 38 pixels
       * apart and never hide each other's counts. */
      cx = (floor (x / BUBBLE_CELL) + 0.5) * BUBBLE_CELL;
      cy = (floor (y / BUBBLE_CELL) + 0.5) * BUBBLE_CELL;
      x = cx + BUBBLE_PULL * (x - cx);
      y = cy + BUBBLE_PULL * (y - cy);

      g_snprintf (text, sizeof text, "%u", cell->count);
      pango_layout_set_text (layout, text, -1);
      pango_layout_get_pixel_size (layout, &width, &height);
      radius = MAX (10.0, width / 2.0 + 5.0);

      cairo_new_sub_path (cr);
      cairo_arc (cr, x, y, radius + 1.5, 0, 2 * G_PI);
      set_source_rgb (cr, 0xffffff);
      cairo_fill (cr);
      cairo_arc (cr, x, y, radius, 0, 2 * G_PI);
      set_source_rgba (cr, PCT_TILE_COLOR_ADDRESS_COUNT, 0.85);
      cairo_fill (cr);

      set_source_rgb (cr, 0xffffff);
      cairo_move_to (cr, x - width / 2.0, y - height / 2.0);
      pango_cairo_show_layout (cr, layout);
    }

  return TRUE;
}

static const char *
address_label (const char *kind,
               const char *door_number,
               const char *building_no,
               const char *unit_no)
{
  if (g_strcmp0 (kind, "unit") == 0 && unit_no != NULL && *unit_no != '\0')
    return unit_no;
  if (g_strcmp0 (kind, "building") == 0 && building_no != NULL && *building_no != '\0')
    return building_no;
  if (door_number != NULL && *door_number != '\0')
    return door_number;
  return NULL;
}

static gboolean
box_overlaps (const Box *a,
              const Box *b)
{
  return a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 && b->y1 < a->y2;
}

/* skip is the mark of the address being labelled, which its label may
 * touch. */
static gboolean
box_overlaps_any (const Box *box,
                  GArray    *boxes,
                  guint      skip)
{
  for (guint i = 0; i < boxes->len; i++)
    if (i != skip && box_overlaps (box, &g_array_index (boxes, Box, i)))
      return TRUE;
  return FALSE;
}

/* One mark per address; from PCT_TILE_ZOOM_ADDRESS_LABELS also its door
 * number, placed right or left of the mark where it hides no other mark,
 * label or road name (on the basemap below). Addresses are taken in id
 * order, and road names placed by their whole road, so tiles sharing an
 * edge make the same choices there. */
static gboolean
draw_address_points (PctTileRenderer  *self,
                     cairo_t          *cr,
                     const TileFrame  *frame,
                     GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, ADDRESS_DETAILS_SQL, error);
  gboolean labels = frame->zoom >= PCT_TILE_ZOOM_ADDRESS_LABELS;
  double radius = labels ? 4.5 : 3.0;
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) taken = g_array_new (FALSE, FALSE, sizeof (Box));
  g_autoptr(PangoLayout) layout = NULL;
  PctBBox bbox;
  int rc;

  if (stmt == NULL)
    return FALSE;

  /* Wide enough for a long door number beside a mark outside the tile. */
  tile_frame_get_bbox (frame, labels ? ADDRESS_LABEL_MARGIN : radius + 2, &bbox);
  bind_bbox (stmt, &bbox);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      double xy[2];

      tile_frame_project (frame, sqlite3_column_double (stmt, 0),
                          sqlite3_column_double (stmt, 1), &xy[0], &xy[1]);
      g_array_append_vals (positions, xy, 2);
      if (labels)
        g_ptr_array_add (texts,
                         g_strdup (address_label ((const char *) sqlite3_column_text (stmt, 2),
                                                  (const char *) sqlite3_column_text (stmt, 3),
                                                  (const char *) sqlite3_column_text (stmt, 4),
                                                  (const char *) sqlite3_column_text (stmt, 5))));
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "addresses");

  for (guint i = 0; i < positions->len / 2; i++)
    {
      double x = g_array_index (positions, double, 2 * i);
      double y = g_array_index (positions, double, 2 * i + 1);
      Box mark = { x - radius - 1, y - radius - 1, x + radius + 1, y + radius + 1 };

      draw_address_point (cr, x, y, radius);
      g_array_append_val (taken, mark);
    }

  if (!labels)
    return TRUE;

  /* After the marks, whose index each label skips. The names of roads
   * next to a label outside the tile count too. */
  if (!draw_roads (self, cr, frame, taken, 2 * ADDRESS_LABEL_MARGIN, error))
    return FALSE;

  layout = create_layout (cr, self->label_font);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  for (guint i = 0; i < texts->len; i++)
    {
      const char *text = g_ptr_array_index (texts, i);
      double x = g_array_index (positions, double, 2 * i);
      double y = g_array_index (positions, double, 2 * i + 1);
      int width, height;
      Box right, left;
      const Box *place = NULL;

      if (text == NULL)
        continue;

      pango_layout_set_text (layout, text, -1);
      pango_layout_get_pixel_size (layout, &width, &height);

      right = (Box) { x + radius + 3, y - height / 2.0,
                      x + radius + 3 + width, y + height / 2.0 };
      left = (Box) { x - radius - 3 - width, y - height / 2.0,
                     x - radius - 3, y + height / 2.0 };

      if (!box_overlaps_any (&right, taken, i))
        place = &right;
      else if (!box_overlaps_any (&left, taken, i))
        place = &left;

      if (place == NULL)
        continue;
      g_array_append_val (taken, *place);

      cairo_move_to (cr, place->x1, place->y1);
      pango_cairo_layout_path (cr, layout);
      set_source_rgba (cr, HALO_COLOR, 0.9);
      cairo_set_line_width (cr, 3.0);
      cairo_stroke_preserve (cr);
      set_source_rgb (cr, LABEL_COLOR);
      cairo_fill (cr);
    }

  return TRUE;
}

static gboolean
draw_addresses (PctTileRenderer  *self,
                cairo_t          *cr,
                const TileFrame  *frame,
                GError          **error)
{
  if (frame->zoom < PCT_TILE_ZOOM_AGGREGATE)
    return draw_density (self, cr, frame, PCT_TILE_LAYER_ADDRESSES, error);
  else if (frame->zoom < PCT_TILE_ZOOM_POINTS)
    return draw_address_bubbles (self, cr, frame, error);
  else
    return draw_address_points (self, cr, frame, error);
}

static guint32
darker (guint32 rgb,
        double  factor)
{
  guint r = ((rgb >> 16) & 0xff) * factor;
  guint g = ((rgb >> 8) & 0xff) * factor;
  guint b = (rgb & 0xff) * factor;

  return (r << 16) | (g << 8) | b;
}

/* Room counts per occupancy of one building. */
typedef struct
{
  guint counts[G_N_ELEMENTS (occupancy_names)];
  guint total;
} Occupancy;

static gboolean
read_occupancy (PctTileRenderer  *self,
                const PctBBox    *bbox,
                GHashTable       *by_building,
                GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, OCCUPANCY_SQL, error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  bind_bbox (stmt, bbox);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      const char *occupancy = (const char *) sqlite3_column_text (stmt, 1);
      Occupancy *o = g_hash_table_lookup (by_building, &id);

      if (o == NULL)
        {
          gint64 *key = g_new (gint64, 1);

          *key = id;
          o = g_new0 (Occupancy, 1);
          g_hash_table_insert (by_building, key, o);
        }

      for (guint i = 0; i < G_N_ELEMENTS (occupancy_names); i++)
        if (g_strcmp0 (occupancy, occupancy_names[i]) == 0)
          {
            o->counts[i] += sqlite3_column_int (stmt, 2);
            o->total += sqlite3_column_int (stmt, 2);
          }
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "occupancy");
  return TRUE;
}

/* Strips across the footprint, one per occupancy, as wide as its share of
 * the rooms: the mix of a building reads at a glance. */
static void
fill_occupancy (cairo_t         *cr,
                GArray          *points,
                const Occupancy *o)
{
  const PctGeoPoint *pts = (const PctGeoPoint *) (gpointer) points->data;
  double x0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y0 = G_MAXDOUBLE, y1 = -G_MAXDOUBLE;
  double x;

  for (guint i = 0; i < points->len; i++)
    {
      x0 = MIN (x0, pts[i].x);
      x1 = MAX (x1, pts[i].x);
      y0 = MIN (y0, pts[i].y);
      y1 = MAX (y1, pts[i].y);
    }

  cairo_save (cr);
  append_path (cr, points, TRUE);
  cairo_clip (cr);

  x = x0;
  for (guint i = 0; i < G_N_ELEMENTS (occupancy_names); i++)
    {
      double w = (x1 - x0) * o->counts[i] / o->total;

      if (o->counts[i] == 0)
        continue;
      cairo_rectangle (cr, x, y0, w, y1 - y0);
      set_source_rgb (cr, occupancy_colors[i]);
      cairo_fill (cr);
      x += w;
    }
  cairo_restore (cr);
}

/* Footprints filled by use; from PCT_TILE_ZOOM_OCCUPANCY by the occupancy
 * of their rooms, outlined in the colour of their use. */
static gboolean
draw_building_footprints (PctTileRenderer  *self,
                          cairo_t          *cr,
                          const TileFrame  *frame,
                          GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, FEATURE_BUILDINGS_SQL, error);
  gboolean occupancy = frame->zoom >= PCT_TILE_ZOOM_OCCUPANCY;
  g_autoptr(GHashTable) by_building = NULL;
  PctBBox bbox;
  int rc;

  if (stmt == NULL)
    return FALSE;

  tile_frame_get_bbox (frame, 2, &bbox);

  if (occupancy)
    {
      by_building = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
      if (!read_occupancy (self, &bbox, by_building, error))
        return FALSE;
    }

  bind_bbox (stmt, &bbox);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_autoptr(GArray) points = project_coordinates (frame,
                                                      (const char *) sqlite3_column_text (stmt, 1));
      guint32 color = use_colors[index_kind (PCT_TILE_LAYER_BUILDINGS,
                                             (const char *) sqlite3_column_text (stmt, 2))];
      const Occupancy *o = by_building != NULL ? g_hash_table_lookup (by_building, &id) : NULL;

      if (points == NULL || points->len < 3)
        continue;

      if (o != NULL && o->total > 0)
        fill_occupancy (cr, points, o);
      else
        {
          append_path (cr, points, TRUE);
          set_source_rgb (cr, color);
          cairo_fill (cr);
        }

      if (frame->zoom >= 16)
        {
          append_path (cr, points, TRUE);
          set_source_rgb (cr, o != NULL ? darker (color, 0.8) : darker (color, 0.75));
          cairo_set_line_width (cr, o != NULL ? 2.0 : 1.0);
          cairo_stroke (cr);
        }
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "buildings");
  return TRUE;
}

static gboolean
draw_buildings_layer (PctTileRenderer  *self,
                      cairo_t          *cr,
                      const TileFrame  *frame,
                      GError          **error)
{
  if (frame->zoom < PCT_TILE_ZOOM_FOOTPRINTS)
    return draw_density (self, cr, frame, PCT_TILE_LAYER_BUILDINGS, error);
  return draw_building_footprints (self, cr, frame, error);
}

static void
path_regular (cairo_t *cr,
              double   x,
              double   y,
              double   r,
              int      sides,
              double   rotation)
{
  for (int i = 0; i < sides; i++)
    {
      double a = rotation + 2 * G_PI * i / sides;

      if (i == 0)
        cairo_move_to (cr, x + r * cos (a), y + r * sin (a));
      else
        cairo_line_to (cr, x + r * cos (a), y + r * sin (a));
    }
  cairo_close_path (cr);
}

/* A white halo under every symbol, so that it reads over any fill. */
static void
fill_with_halo (cairo_t *cr,
                guint32  color)
{
  set_source_rgb (cr, 0xffffff);
  cairo_set_line_width (cr, 2.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_stroke_preserve (cr);
  set_source_rgb (cr, color);
  cairo_fill (cr);
}

/* Units by type: a square for an enterprise, a dot for a sole trader, a
 * diamond for a government office, a triangle for a school, a red cross
 * for a hospital, a hexagon for a social organisation. Closed units are
 * drawn hollow. */
static void
draw_unit_symbol (cairo_t  *cr,
                  double    x,
                  double    y,
                  UnitType  type,
                  gboolean  closed)
{
  const double r = 5.0;
  guint32 color = unit_colors[type];

  cairo_new_path (cr);
  switch (type)
    {
    case UNIT_ENTERPRISE:
      cairo_rectangle (cr, x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
      break;
    case UNIT_INDIVIDUAL:
      cairo_arc (cr, x, y, r * 0.8, 0, 2 * G_PI);
      break;
    case UNIT_GOVERNMENT:
      path_regular (cr, x, y, r * 1.15, 4, -G_PI / 2);
      break;
    case UNIT_SCHOOL:
      path_regular (cr, x, y + 1, r * 1.15, 3, -G_PI / 2);
      break;
    case UNIT_HOSPITAL:
      cairo_rectangle (cr, x - r, y - r, 2 * r, 2 * r);
      fill_with_halo (cr, 0xffffff);
      cairo_rectangle (cr, x - r, y - r, 2 * r, 2 * r);
      set_source_rgb (cr, 0xc01c28);
      cairo_set_line_width (cr, 1.0);
      cairo_stroke (cr);
      cairo_rectangle (cr, x - 1.2, y - r + 1.8, 2.4, 2 * r - 3.6);
      cairo_rectangle (cr, x - r + 1.8, y - 1.2, 2 * r - 3.6, 2.4);
      cairo_fill (cr);
      return;
    case UNIT_SOCIAL:
      path_regular (cr, x, y, r, 6, 0);
      break;
    case UNIT_OTHER:
    case N_UNIT_TYPES:
    default:
      cairo_arc (cr, x, y, r * 0.7, 0, 2 * G_PI);
      break;
    }

  if (closed)
    {
      set_source_rgb (cr, 0xffffff);
      cairo_fill_preserve (cr);
      set_source_rgb (cr, color);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
    }
  else
    fill_with_halo (cr, color);
}

/* Facilities by kind: a hydrant is a red dot with a white core, a manhole
 * cover a disc with a cross in the colour of its network, a camera a
 * blue body with a lens, an extinguisher a red upright bar, an exit a
 * green square with a white arrow. A ring marks a facility that needs
 * attention: orange damaged, red missing, yellow in maintenance. */
static void
draw_facility_symbol (cairo_t      *cr,
                      double        x,
                      double        y,
                      FacilityKind  kind,
                      const char   *status)
{
  const double r = 5.0;
  guint32 color = facility_colors[kind];

  if (g_strcmp0 (status, "normal") != 0 && status != NULL)
    {
      guint32 ring = g_strcmp0 (status, "missing") == 0 ? 0xe01b24 :
                     g_strcmp0 (status, "damaged") == 0 ? 0xff7800 : 0xe5a50a;

      cairo_new_path (cr);
      cairo_arc (cr, x, y, r + 3.0, 0, 2 * G_PI);
      set_source_rgb (cr, ring);
      cairo_set_line_width (cr, 2.0);
      if (g_strcmp0 (status, "missing") == 0)
        cairo_set_dash (cr, (double[]) { 2.0, 1.5 }, 2, 0);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }

  cairo_new_path (cr);
  switch (kind)
    {
    case FACILITY_HYDRANT:
      cairo_arc (cr, x, y, r, 0, 2 * G_PI);
      fill_with_halo (cr, color);
      cairo_arc (cr, x, y, r * 0.4, 0, 2 * G_PI);
      set_source_rgb (cr, 0xffffff);
      cairo_fill (cr);
      break;

    case FACILITY_WATER_COVER:
    case FACILITY_SEWER_COVER:
    case FACILITY_RAIN_COVER:
      cairo_arc (cr, x, y, r * 0.9, 0, 2 * G_PI);
      fill_with_halo (cr, color);
      cairo_move_to (cr, x - r * 0.6, y - r * 0.6);
      cairo_line_to (cr, x + r * 0.6, y + r * 0.6);
      cairo_move_to (cr, x + r * 0.6, y - r * 0.6);
      cairo_line_to (cr, x - r * 0.6, y + r * 0.6);
      set_source_rgb (cr, 0xffffff);
      cairo_set_line_width (cr, 1.0);
      cairo_stroke (cr);
      break;

    case FACILITY_CAMERA:
      cairo_rectangle (cr, x - r, y - r * 0.7, 2 * r, 1.4 * r);
      fill_with_halo (cr, color);
      cairo_arc (cr, x, y, r * 0.4, 0, 2 * G_PI);
      set_source_rgb (cr, 0xffffff);
      cairo_fill (cr);
      break;

    case FACILITY_EXTINGUISHER:
      cairo_rectangle (cr, x - r * 0.5, y - r, r, 2 * r);
      fill_with_halo (cr, color);
      break;

    case FACILITY_EXIT:
      cairo_rectangle (cr, x - r, y - r, 2 * r, 2 * r);
      fill_with_halo (cr, color);
      cairo_move_to (cr, x - r * 0.5, y);
      cairo_line_to (cr, x + r * 0.5, y);
      cairo_move_to (cr, x + r * 0.1, y - r * 0.4);
      cairo_line_to (cr, x + r * 0.5, y);
      cairo_line_to (cr, x + r * 0.1, y + r * 0.4);
      set_source_rgb (cr, 0xffffff);
      cairo_set_line_width (cr, 1.2);
      cairo_stroke (cr);
      break;

    case FACILITY_OTHER:
    case N_FACILITY_KINDS:
    default:
      path_regular (cr, x, y, r, 4, -G_PI / 2);
      fill_with_halo (cr, color);
      break;
    }
}

typedef struct
{
  cairo_t      *cr;
  PctTileLayer  layer;
} DotContext;

static void
draw_dot_cb (const IndexPoint *pt,
             double            px,
             double            py,
             gpointer          user_data)
{
  DotContext *context = user_data;
  guint32 color;

  if (context->layer == PCT_TILE_LAYER_UNITS)
    color = pt->kind == UNIT_HOSPITAL ? 0xc01c28 : unit_colors[MIN (pt->kind, N_UNIT_TYPES - 1)];
  else
    color = facility_colors[MIN (pt->kind, N_FACILITY_KINDS - 1)];

  cairo_new_path (context->cr);
  cairo_arc (context->cr, px, py, 2.2, 0, 2 * G_PI);
  fill_with_halo (context->cr, color);
}

/* Units and facilities: a density further out, then a small dot per
 * feature in the colour of its kind, then a symbol per feature. */
static gboolean
draw_symbols (PctTileRenderer  *self,
              cairo_t          *cr,
              const TileFrame  *frame,
              PctTileLayer      layer,
              GError          **error)
{
  gboolean units = layer == PCT_TILE_LAYER_UNITS;
  sqlite3_stmt *stmt;
  gboolean symbols = frame->zoom >= PCT_TILE_ZOOM_POINTS;
  PctBBox bbox;
  int rc;

  if (frame->zoom < PCT_TILE_ZOOM_AGGREGATE)
    return draw_density (self, cr, frame, layer, error);

  if (!symbols)
    {
      GArray *points = index_get (self->index, self->store, layer, error);
      DotContext context = { cr, layer };

      if (points == NULL)
        return FALSE;
      index_visit (points, frame, 4, draw_dot_cb, &context);
      return TRUE;
    }

  stmt = pct_store_prepare (self->store, units ? UNITS_SQL : FACILITIES_SQL, error);
  if (stmt == NULL)
    return FALSE;

  tile_frame_get_bbox (frame, 10, &bbox);
  bind_bbox (stmt, &bbox);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *kind_text = (const char *) sqlite3_column_text (stmt, 2);
      const char *status = (const char *) sqlite3_column_text (stmt, 3);
      guint8 kind = index_kind (layer, kind_text);
      double x, y;

      tile_frame_project (frame, sqlite3_column_double (stmt, 0),
                          sqlite3_column_double (stmt, 1), &x, &y);

      if (units)
        draw_unit_symbol (cr, x, y, kind, g_strcmp0 (status, "closed") == 0);
      else
        draw_facility_symbol (cr, x, y, kind, status);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, units ? "units" : "facilities");
  return TRUE;
}

typedef struct
{
  char   *text;
  double  x;
  double  y;
} GridLabel;

static void
grid_label_clear (gpointer data)
{
  g_free (((GridLabel *) data)->text);
}

/* Far out a cell is a few pixels wide and its bounding box, straight from
 * the R*Tree, looks the same as its outline; reading and parsing a
 * thousand polygons would cost most of the tile. */
static gboolean
draw_grid_boxes (PctTileRenderer  *self,
                 cairo_t          *cr,
                 const TileFrame  *frame,
                 GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, GRID_BOXES_SQL, error);
  PctBBox bbox;
  int rc;

  if (stmt == NULL)
    return FALSE;

  tile_frame_get_bbox (frame, 2, &bbox);
  bind_bbox (stmt, &bbox);
  cairo_set_line_width (cr, 0.7);
  set_source_rgba (cr, PCT_TILE_COLOR_GRID, 0.5);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      double x0, y0, x1, y1;

      tile_frame_project (frame, sqlite3_column_double (stmt, 0),
                          sqlite3_column_double (stmt, 3), &x0, &y0);
      tile_frame_project (frame, sqlite3_column_double (stmt, 2),
                          sqlite3_column_double (stmt, 1), &x1, &y1);
      cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
      cairo_stroke (cr);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "grid cells");
  return TRUE;
}

/* Grid cells: dashed outlines, and from PCT_TILE_ZOOM_GRID_LABELS the code
 * (and further in the name) at the cell's centre where the cell is wide
 * enough to hold it. A label lies inside its cell, and cells are fetched
 * by their own bounds, so a label across a tile edge is drawn by both
 * tiles. */
static gboolean
draw_grids_layer (PctTileRenderer  *self,
                  cairo_t          *cr,
                  const TileFrame  *frame,
                  GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, GRIDS_SQL, error);
  g_autoptr(PangoLayout) layout = NULL;
  gboolean labels = frame->zoom >= PCT_TILE_ZOOM_GRID_LABELS;
  gboolean names = frame->zoom >= PCT_TILE_ZOOM_GRID_LABELS + 2;
  g_autoptr(GArray) grid_labels = g_array_new (FALSE, FALSE, sizeof (GridLabel));
  PctBBox bbox;
  int rc;

  if (frame->zoom < GRID_OUTLINE_ZOOM)
    return draw_grid_boxes (self, cr, frame, error);

  if (stmt == NULL)
    return FALSE;

  g_array_set_clear_func (grid_labels, grid_label_clear);
  tile_frame_get_bbox (frame, 2, &bbox);
  bind_bbox (stmt, &bbox);

  layout = create_layout (cr, self->label_font);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);

  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  set_source_rgba (cr, PCT_TILE_COLOR_GRID, 0.85);
  cairo_set_line_width (cr, frame->zoom >= 15 ? 1.6 : 1.0);
  cairo_set_dash (cr, (double[]) { 5.0, 3.0 }, 2, 0);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *code = (const char *) sqlite3_column_text (stmt, 0);
      const char *name = (const char *) sqlite3_column_text (stmt, 1);
      g_autoptr(GArray) points = project_coordinates (frame,
                                                      (const char *) sqlite3_column_text (stmt, 2));
      const PctGeoPoint *pts;
      double x0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y0 = G_MAXDOUBLE, y1 = -G_MAXDOUBLE;
      GridLabel label;
      int w, h;

      if (points == NULL || points->len < 3)
        continue;

      append_path (cr, points, TRUE);
      cairo_stroke (cr);

      if (!labels || code == NULL)
        continue;

      pts = (const PctGeoPoint *) (gpointer) points->data;
      for (guint i = 0; i < points->len; i++)
        {
          x0 = MIN (x0, pts[i].x);
          x1 = MAX (x1, pts[i].x);
          y0 = MIN (y0, pts[i].y);
          y1 = MAX (y1, pts[i].y);
        }

      label.text = names && name != NULL ? g_strdup_printf ("%s\n%s", name, code) : g_strdup (code);
      pango_layout_set_text (layout, label.text, -1);
      pango_layout_get_pixel_size (layout, &w, &h);

      if (w + 12 > x1 - x0 || h + 12 > y1 - y0)
        {
          g_free (label.text);
          continue;
        }

      pct_geo_polygon_centroid (pts, points->len, &label.x, &label.y);
      label.x -= w / 2.0;
      label.y -= h / 2.0;
      g_array_append_val (grid_labels, label);
    }
  sqlite3_reset (stmt);

  cairo_set_dash (cr, NULL, 0, 0);

  for (guint i = 0; i < grid_labels->len; i++)
    {
      const GridLabel *label = &g_array_index (grid_labels, GridLabel, i);

      pango_layout_set_text (layout, label->text, -1);
      cairo_move_to (cr, label->x, label->y);
      pango_cairo_layout_path (cr, layout);
    }
  set_source_rgba (cr, HALO_COLOR, 0.85);
  cairo_set_line_width (cr, 3.0);
  cairo_stroke_preserve (cr);
  set_source_rgb (cr, GRID_LABEL_COLOR);
  cairo_fill (cr);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "grid cells");
  return TRUE;
}

static void
pct_tile_index_finalize (GObject *object)
{
  PctTileIndex *self = (PctTileIndex *) object;

  for (guint i = 0; i < PCT_N_TILE_LAYERS; i++)
    g_clear_pointer (&self->points[i], g_array_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (pct_tile_index_parent_class)->finalize (object);
}

static void
pct_tile_index_class_init (PctTileIndexClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pct_tile_index_finalize;
}

static void
pct_tile_index_init (PctTileIndex *self)
{
  g_mutex_init (&self->lock);
}

static void
pct_tile_renderer_finalize (GObject *object)
{
  PctTileRenderer *self = (PctTileRenderer *) object;

  g_clear_object (&self->store);
  g_clear_object (&self->index);
  g_clear_pointer (&self->label_font, pango_font_description_free);
  g_clear_pointer (&self->count_font, pango_font_description_free);

  G_OBJECT_CLASS (pct_tile_renderer_parent_class)->finalize (object);
}

static void
pct_tile_renderer_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PctTileRenderer *self = PCT_TILE_RENDERER (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_tile_renderer_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PctTileRenderer *self = PCT_TILE_RENDERER (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_tile_renderer_class_init (PctTileRendererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pct_tile_renderer_finalize;
  object_class->get_property = pct_tile_renderer_get_property;
  object_class->set_property = pct_tile_renderer_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         PCT_TYPE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pct_tile_renderer_init (PctTileRenderer *self)
{
  /* Absolute sizes: tile pixels, independent of the screen's DPI. */
  self->label_font = pango_font_description_from_string (LABEL_FAMILY);
  pango_font_description_set_absolute_size (self->label_font, 11 * PANGO_SCALE);

  self->count_font = pango_font_description_from_string (LABEL_FAMILY " Bold");
  pango_font_description_set_absolute_size (self->count_font, 10.5 * PANGO_SCALE);
}

/**
 * pct_tile_renderer_new:
 * @store: the store to draw from; the renderer uses its connection
 *
 * Returns: (transfer full): a new renderer
 */
PctTileRenderer *
pct_tile_renderer_new (PctStore *store)
{
  g_autoptr(PctTileIndex) index = pct_tile_index_new ();

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);

  return pct_tile_renderer_new_with_index (store, index);
}

/**
 * pct_tile_renderer_new_with_index:
 * @store: the store to draw from; the renderer uses its connection
 * @index: the index of aggregated points, shared with other renderers of
 *   the same data
 *
 * Returns: (transfer full): a new renderer
 */
PctTileRenderer *
pct_tile_renderer_new_with_index (PctStore     *store,
                                  PctTileIndex *index)
{
  PctTileRenderer *self;

  g_return_val_if_fail (PCT_IS_STORE (store), NULL);
  g_return_val_if_fail (PCT_IS_TILE_INDEX (index), NULL);

  self = g_object_new (PCT_TYPE_TILE_RENDERER,
                       "store", store,
                       NULL);
  self->index = g_object_ref (index);
  return self;
}

/**
 * pct_tile_index_new:
 *
 * Returns: (transfer full): an empty index, filled as tiles need it
 */
PctTileIndex *
pct_tile_index_new (void)
{
  return g_object_new (PCT_TYPE_TILE_INDEX, NULL);
}

gboolean
pct_tile_index_prepare (PctTileIndex  *self,
                        PctStore      *store,
                        PctTileLayer   layer,
                        GError       **error)
{
  g_return_val_if_fail (PCT_IS_TILE_INDEX (self), FALSE);
  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (layer < PCT_N_TILE_LAYERS, FALSE);

  if (index_sql[layer] == NULL)
    return TRUE;
  return index_get (self, store, layer, error) != NULL;
}

gboolean
pct_tile_layer_from_layer (PctLayer      layer,
                           PctTileLayer *tile_layer)
{
  static const PctTileLayer map[PCT_N_LAYERS] = {
    [PCT_LAYER_ADDRESSES] = PCT_TILE_LAYER_ADDRESSES,
    [PCT_LAYER_BUILDINGS] = PCT_TILE_LAYER_BUILDINGS,
    [PCT_LAYER_UNITS] = PCT_TILE_LAYER_UNITS,
    [PCT_LAYER_FACILITIES] = PCT_TILE_LAYER_FACILITIES,
    [PCT_LAYER_GRIDS] = PCT_TILE_LAYER_GRIDS,
    [PCT_LAYER_ROADS] = PCT_TILE_LAYER_BASEMAP,
    [PCT_LAYER_INCIDENTS] = PCT_TILE_LAYER_BASEMAP,
  };

  if (layer >= PCT_N_LAYERS || map[layer] == PCT_TILE_LAYER_BASEMAP)
    return FALSE;

  if (tile_layer != NULL)
    *tile_layer = map[layer];
  return TRUE;
}

PctStore *
pct_tile_renderer_get_store (PctTileRenderer *self)
{
  g_return_val_if_fail (PCT_IS_TILE_RENDERER (self), NULL);

  return self->store;
}

gboolean
pct_tile_renderer_draw (PctTileRenderer  *self,
                        cairo_t          *cr,
                        PctTileLayer      layer,
                        guint             zoom,
                        guint             x,
                        guint             y,
                        GError          **error)
{
  TileFrame frame;
  gboolean ret = FALSE;

  g_return_val_if_fail (PCT_IS_TILE_RENDERER (self), FALSE);
  g_return_val_if_fail (cr != NULL, FALSE);

  if (zoom > 24 || x >= (1u << zoom) || y >= (1u << zoom))
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("There is no tile %u/%u/%u"), zoom, x, y);
      return FALSE;
    }

  tile_frame_init (&frame, zoom, x, y);

  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, PCT_TILE_SIZE, PCT_TILE_SIZE);
  cairo_clip (cr);

  switch (layer)
    {
    case PCT_TILE_LAYER_BASEMAP:
      ret = draw_basemap (self, cr, &frame, error);
      break;

    case PCT_TILE_LAYER_ADDRESSES:
      ret = draw_addresses (self, cr, &frame, error);
      break;

    case PCT_TILE_LAYER_BUILDINGS:
      ret = draw_buildings_layer (self, cr, &frame, error);
      break;

    case PCT_TILE_LAYER_UNITS:
    case PCT_TILE_LAYER_FACILITIES:
      ret = draw_symbols (self, cr, &frame, layer, error);
      break;

    case PCT_TILE_LAYER_GRIDS:
      ret = draw_grids_layer (self, cr, &frame, error);
      break;

    case PCT_N_TILE_LAYERS:
    default:
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("Unknown tile layer %d"), (int) layer);
      break;
    }

  cairo_restore (cr);

  return ret;
}

/**
 * pct_tile_renderer_render:
 *
 * Returns: (transfer full) (nullable): an image surface, or %NULL and @error
 *   set
 */
cairo_surface_t *
pct_tile_renderer_render (PctTileRenderer  *self,
                          PctTileLayer      layer,
                          guint             zoom,
                          guint             x,
                          guint             y,
                          int               scale,
                          GError          **error)
{
  cairo_surface_t *surface;
  cairo_t *cr;
  gboolean ok;

  g_return_val_if_fail (PCT_IS_TILE_RENDERER (self), NULL);
  g_return_val_if_fail (scale >= 1 && scale <= 8, NULL);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                        PCT_TILE_SIZE * scale, PCT_TILE_SIZE * scale);
  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  ok = pct_tile_renderer_draw (self, cr, layer, zoom, x, y, error);
  cairo_destroy (cr);

  if (!ok)
    {
      cairo_surface_destroy (surface);
      return NULL;
    }

  cairo_surface_flush (surface);
  return surface;
}
