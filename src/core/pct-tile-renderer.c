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
 * The addresses layer must stay readable and fast with 250k addresses, so it
 * only draws one mark per address once the zoom spreads them out; further
 * out it counts addresses per cell of a grid fixed to the world (not to the
 * tile), so neighbouring tiles agree on every cell.
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
  PangoFontDescription *label_font;
  PangoFontDescription *count_font;
};

/* Where a tile sits in the world at its zoom level, in logical pixels. */
typedef struct
{
  guint  zoom;
  double world;      /* width of the whole world */
  double origin_x;   /* the tile's top-left corner */
  double origin_y;
} TileFrame;

/* One road read from the store, kept for the casing and fill passes. */
typedef struct
{
  int     road_class;
  GArray *points;    /* PctGeoPoint in tile pixels */
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
#define BUILDING_COLOR        0xdbd2c8
#define BUILDING_OUTLINE      0xc2b6a8
#define LABEL_COLOR           0x3d3833
#define HALO_COLOR            0xffffff

/* Density dots and count bubbles: cell sizes in logical pixels. Both
 * divide PCT_TILE_SIZE, so every cell belongs to exactly one tile. */
#define DENSITY_CELL 8
#define BUBBLE_CELL  64
/* How far a bubble moves from its cell's centre towards its addresses. */
#define BUBBLE_PULL  0.4
/* The count at which a density dot fills its cell at the zoom level just
 * below the bubbles; each level further out, a cell covers four times the
 * ground, so the count that fills it is four times higher. The dots then
 * show addresses per area, the same at every zoom. */
#define DENSITY_FULL 128

#define AREAS_SQL                                                             \
  "SELECT a.kind, a.polygon FROM area_rtree r JOIN areas a ON a.id = r.id "   \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 "                                                      \
  "AND (r.max_lon - r.min_lon >= ?5 OR r.max_lat - r.min_lat >= ?5) "         \
  "ORDER BY CASE a.kind WHEN 'block' THEN 0 WHEN 'compound' THEN 1 "          \
  "WHEN 'green' THEN 2 ELSE 3 END, a.id"

#define ROADS_SQL                                                             \
  "SELECT ro.class, ro.geometry FROM road_rtree r JOIN roads ro ON ro.id = r.id " \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 AND ro.class <= ?5 "                                   \
  "ORDER BY ro.class DESC, ro.id"

#define BUILDINGS_SQL                                                         \
  "SELECT b.footprint FROM building_rtree r JOIN buildings b ON b.id = r.id " \
  "WHERE r.min_lon <= ?3 AND r.max_lon >= ?1 AND r.min_lat <= ?4 "            \
  "AND r.max_lat >= ?2 ORDER BY b.id"

/* Counting needs no row of the table: the R*Tree holds the point. */
#define ADDRESS_POSITIONS_SQL                                                 \
  "SELECT min_lon, min_lat FROM address_rtree "                               \
  "WHERE min_lon <= ?3 AND max_lon >= ?1 AND min_lat <= ?4 AND max_lat >= ?2"

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

static gboolean
draw_roads (PctTileRenderer  *self,
            cairo_t          *cr,
            const TileFrame  *frame,
            GError          **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (self->store, ROADS_SQL, error);
  g_autoptr(GArray) roads = g_array_new (FALSE, TRUE, sizeof (Road));
  double metres_per_pixel = tile_frame_metres_per_pixel (frame);
  int max_class = 0;
  PctBBox bbox;
  int rc;

  if (stmt == NULL)
    return FALSE;

  g_array_set_clear_func (roads, road_clear);

  for (int c = 1; c < (int) G_N_ELEMENTS (road_min_zoom); c++)
    if (frame->zoom >= road_min_zoom[c])
      max_class = c;

  /* The widest casing decides how far outside the tile a road can reach
   * into it. */
  tile_frame_get_bbox (frame, casing_width (road_width (1, metres_per_pixel)), &bbox);
  bind_bbox (stmt, &bbox);
  sqlite3_bind_int (stmt, 5, max_class);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Road road = {
        .road_class = CLAMP (sqlite3_column_int (stmt, 0), 1, 4),
        .points = project_coordinates (frame, (const char *) sqlite3_column_text (stmt, 1)),
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
  for (guint pass = 0; pass < 2; pass++)
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
  return draw_roads (self, cr, frame, error);
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

/* Counts addresses of the tile in cells DENSITY_CELL pixels wide and draws
 * a dot in each cell that grows with the count, like a halftone. */
static gboolean
draw_address_density (PctTileRenderer  *self,
                      cairo_t          *cr,
                      const TileFrame  *frame,
                      GError          **error)
{
  enum { N = PCT_TILE_SIZE / DENSITY_CELL };
  sqlite3_stmt *stmt = pct_store_prepare (self->store, ADDRESS_POSITIONS_SQL, error);
  g_autofree guint *counts = g_new0 (guint, N * N);
  double full = DENSITY_FULL * exp2 (2.0 * ((int) PCT_TILE_ZOOM_ADDRESS_BUBBLES - 1 - (int) frame->zoom));
  PctBBox bbox;
  int rc;

  if (stmt == NULL)
    return FALSE;

  tile_frame_get_bbox (frame, 0, &bbox);
  bind_bbox (stmt, &bbox);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      double px, py;
      int cx, cy;

      tile_frame_project (frame, sqlite3_column_double (stmt, 0),
                          sqlite3_column_double (stmt, 1), &px, &py);
      cx = (int) floor (px / DENSITY_CELL);
      cy = (int) floor (py / DENSITY_CELL);
      if (cx >= 0 && cx < N && cy >= 0 && cy < N)
        counts[cy * N + cx]++;
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "address density");

  for (int cy = 0; cy < N; cy++)
    {
      for (int cx = 0; cx < N; cx++)
        {
          guint count = counts[cy * N + cx];
          double level;

          if (count == 0)
            continue;

          /* Logarithmic, so a lone farmhouse still shows next to a
           * block of towers. */
          level = MIN (1.0, log2 (1.0 + count) / log2 (1.0 + full));
          /* Full dots stop short of touching, so that the roads between
           * them still read. */
          cairo_arc (cr, (cx + 0.5) * DENSITY_CELL, (cy + 0.5) * DENSITY_CELL,
                     1.2 + (0.45 * DENSITY_CELL - 1.2) * level, 0, 2 * G_PI);
          set_source_rgba (cr, PCT_TILE_COLOR_ADDRESS, 0.85);
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

/* Counts addresses in cells BUBBLE_CELL pixels wide and draws a bubble with
 * the count at the centre of each cell's addresses. A bubble may overhang its
 * cell, so the ring of cells around the tile is counted too. */
static gboolean
draw_address_bubbles (PctTileRenderer  *self,
                      cairo_t          *cr,
                      const TileFrame  *frame,
                      GError          **error)
{
  enum { N = PCT_TILE_SIZE / BUBBLE_CELL + 2 };
  sqlite3_stmt *stmt = pct_store_prepare (self->store, ADDRESS_POSITIONS_SQL, error);
  g_autoptr(PangoLayout) layout = NULL;
  Cell cells[N * N] = { { 0, } };
  PctBBox bbox;
  int rc;

  if (stmt == NULL)
    return FALSE;

  tile_frame_get_bbox (frame, BUBBLE_CELL, &bbox);
  bind_bbox (stmt, &bbox);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      double px, py;
      int cx, cy;

      tile_frame_project (frame, sqlite3_column_double (stmt, 0),
                          sqlite3_column_double (stmt, 1), &px, &py);
      /* Cell (0, 0) is the one left of and above the tile. */
      cx = (int) floor (px / BUBBLE_CELL) + 1;
      cy = (int) floor (py / BUBBLE_CELL) + 1;
      if (cx >= 0 && cx < N && cy >= 0 && cy < N)
        {
          Cell *cell = &cells[cy * N + cx];

          cell->count++;
          cell->sum_x += px;
          cell->sum_y += py;
        }
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    return pct_store_set_sql_error (self->store, error, "address counts");

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
      set_source_rgba (cr, PCT_TILE_COLOR_ADDRESS, 0.9);
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
 * number, placed right or left of the mark where it hides no other mark or
 * label. Addresses are taken in id order, so tiles sharing an edge make the
 * same choices there. */
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
  tile_frame_get_bbox (frame, labels ? 96 : radius + 2, &bbox);
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
  if (frame->zoom < PCT_TILE_ZOOM_ADDRESS_BUBBLES)
    return draw_address_density (self, cr, frame, error);
  else if (frame->zoom < PCT_TILE_ZOOM_ADDRESS_POINTS)
    return draw_address_bubbles (self, cr, frame, error);
  else
    return draw_address_points (self, cr, frame, error);
}

static void
pct_tile_renderer_finalize (GObject *object)
{
  PctTileRenderer *self = (PctTileRenderer *) object;

  g_clear_object (&self->store);
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
  g_return_val_if_fail (PCT_IS_STORE (store), NULL);

  return g_object_new (PCT_TYPE_TILE_RENDERER,
                       "store", store,
                       NULL);
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
