/* pct-generator-geography.c — the synthetic district's land: regions, grid
 * cells, roads, areas, buildings, rooms, standard addresses, facilities
 * and door plates
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Geometry is worked out in a flat frame in metres around the district's
 * centre (x east, y north) and turned into degrees only when written.
 *
 * The street plan is a warped lattice: the lattice lines are gently
 * curving roads, so intersections are exactly the lattice nodes and the
 * blocks between roads are the lattice cells, with no polygon clipping.
 * Out in the fields the lanes and most branch streets along which nothing
 * was built are left out again.
 * Grid cells, communities and streets are rectangles of blocks, so their
 * boundaries run along road centrelines as real ones do and every point
 * off a road falls in exactly one of them.
 *
 * Address codes follow GB/T 39609's shape with fixed widths, 25 digits:
 *
 *   community (12) + road (4) + door serial (4) + building (3) + unit (2)
 *
 * The road field is the road's number in the district (0001…); the door
 * serial numbers the door records on that road within that community
 * (0001…), so a compound reached through its gate shares the gate's road
 * and serial. A door address has building 000 and unit 00, a building
 * address unit 00. Room codes append 4 digits: floor × 100 + room above
 * ground ("1502" → 1502), 9000 + level × 100 + room below ("B101" → 9101).
 *
 * Deliberate defects, so that data checks have something to find:
 *  - duplicate_addresses: 0.5 % of door addresses get a second record with
 *    another serial (so another code), the same display text and a point
 *    within 3 m of the first; the second record has no plate.
 * Their counts are written to the meta key "defects".
 */

#define G_LOG_DOMAIN "pct-generator"

#include "config.h"

#include <math.h>
#include <string.h>

#include "pct-generator-private.h"
#include "pct-geo.h"

typedef PctGeoPoint Pt;

/* Full-size district targets; everything scales linearly with params->scale. */
#define LARGE_ADDRESSES   250000.0
#define LARGE_BUILDINGS    30000.0
#define LARGE_ROOMS       300000.0
#define LARGE_FACILITIES   10000.0
#define LARGE_GRID_CELLS    1000.0

/* A city block is about this wide between road centrelines. */
#define BLOCK_SPACING 140.0
/* Between the outermost road and the district's edge, in spacings. */
#define EDGE_MARGIN 0.55

#define DUPLICATE_RATE 0.005
/* Doors closer together than this are not distinct shopfronts. */
#define MIN_DOOR_GAP 3.5
/* Doors keep this far from an intersection, beyond the crossing road. */
#define DOOR_CORNER_CLEARANCE 18.0

#define DAY  (24 * 3600)
#define YEAR (365 * DAY)

/* Half the carriageway of each road class; index 0 is "no road". */
static const double half_width[5] = { 0, 12, 9, 6, 3 };

static const char * const road_suffix[5] = { NULL, "大道", "路", "街", "巷" };

typedef enum
{
  KIND_HOUSE,    /* old-town and village houses, 2–4 floors */
  KIND_WALKUP,   /* 6–7 floor walk-ups */
  KIND_TOWER,    /* 11–33 floor high-rises */
  KIND_SHOP,     /* shops, offices, small public and industrial buildings */
  N_KINDS
} Kind;

/* The mix of buildings, chosen so that rooms come to about ten per
 * building once each kind's floors, units and rooms per floor are drawn. */
static const double kind_share[N_KINDS] = { 0.72, 0.13, 0.012, 0.138 };

/* Of the houses, the share in the dense old town; the rest are villages. */
#define OLD_TOWN_HOUSE_SHARE 0.55

typedef enum
{
  BLOCK_EMPTY,
  BLOCK_WATER,
  BLOCK_PARK,
  BLOCK_WALKUPS,
  BLOCK_TOWERS,
  BLOCK_OLD_TOWN,
  BLOCK_COMMERCIAL,
  BLOCK_VILLAGE,
  N_BLOCK_TYPES
} BlockType;

/* Doors per metre of frontage, relative: shopfronts are narrow, while a
 * compound opens onto the road through a gate and a few shops. */
static const double door_weight[N_BLOCK_TYPES] = {
  [BLOCK_WALKUPS] = 1.5,
  [BLOCK_TOWERS] = 1.5,
  [BLOCK_OLD_TOWN] = 5.0,
  [BLOCK_COMMERCIAL] = 6.0,
  [BLOCK_VILLAGE] = 0.4,
};

typedef enum
{
  USE_RESIDENTIAL,
  USE_MIXED,
  USE_COMMERCIAL,
  USE_OFFICE,
  USE_INDUSTRIAL,
  USE_PUBLIC,
} Use;

static const char * const use_names[] = {
  "residential", "mixed", "commercial", "office", "industrial", "public",
};

typedef enum
{
  FAC_WATER_COVER,
  FAC_SEWER_COVER,
  FAC_RAIN_COVER,
  FAC_HYDRANT,
  FAC_CAMERA,
  FAC_EXTINGUISHER,
  FAC_FIRE_EXIT,
  N_FACILITY_KINDS
} FacilityKind;

static const char * const facility_category[N_FACILITY_KINDS] = {
  PCT_GEN_CAT_WATER_COVER, PCT_GEN_CAT_SEWER_COVER, PCT_GEN_CAT_RAIN_COVER,
  PCT_GEN_CAT_HYDRANT, PCT_GEN_CAT_CAMERA, PCT_GEN_CAT_EXTINGUISHER, PCT_GEN_CAT_FIRE_EXIT,
};

/* Characters that read well in place names. Pairs of them make the names;
 * a pair that is a real place in Jiangjin is skipped (see real_bases). */
static const char * const syllables[] = {
  "锦", "绣", "翠", "华", "和", "安", "康", "泰", "宁", "祥", "瑞", "丰", "盛", "隆",
  "福", "嘉", "禾", "桂", "兰", "松", "梅", "竹", "青", "碧", "云", "霞", "星", "明",
  "光", "晨", "曦", "春", "秋", "湖", "岚", "峰", "岭", "湾", "滨", "园", "林", "阳",
  "新", "景", "悦", "润", "雅", "宏", "泓", "沁", "芳", "蔚", "澄", "晴", "望", "榕",
  "桐", "枫", "荷", "杏", "棠", "骏", "鸿", "文", "育", "善", "信", "乐", "欣", "怡",
  "馨", "金", "玉", "朝", "清", "源", "汇", "丹", "紫", "盈", "茂", "逸", "静", "韵",
};

static const char * const real_bases[] = {
  "几江", "德感", "鼎山", "双福", "圣泉", "珞璜", "支坪", "白沙", "油溪", "石门", "吴滩",
  "朱杨", "贾嗣", "杜市", "广兴", "李市", "慈云", "蔡家", "西湖", "龙华", "石蟆", "永兴",
  "嘉平", "柏林", "塘河", "先锋", "中山", "夏坝", "龙门", "滨江", "艾坪", "笋溪", "璧南",
  "綦江", "四面", "四屏", "江津", "鼎湖", "滨湖",
};

static const char * const ordinals[] = { "一", "二", "三", "四", "五", "六", "七", "八", "九" };

static const char * const compound_suffixes[] = {
  "花园", "小区", "苑", "雅居", "名都", "新城", "家园", "公寓", "华庭", "嘉园", "山庄", "丽景",
};

/* The big tables are written through TEMP staging tables with ids handed
 * out here, then copied over in chunks: every INSERT statement on a table
 * with triggers opens a statement savepoint, and FTS5 flushes its pending
 * index at each one, so row-by-row inserts into addresses run several
 * times slower than copies of a few thousand rows at a time. */
typedef enum
{
  STAGED_ADDRESSES,
  STAGED_BUILDINGS,
  STAGED_ROOMS,
  STAGED_PLATES,
  STAGED_FACILITIES,
  N_STAGED
} Staged;

#define ADDRESS_COLUMNS \
  "code, kind, parent_id, region_code, road_id, door_number, compound, building_no, unit_no, " \
  "display, lon, lat, grid_id, updated_at"
#define BUILDING_COLUMNS \
  "address_id, name, use, floors_above, floors_below, units, footprint, lon, lat, grid_id, " \
  "updated_at"
#define ROOM_COLUMNS \
  "building_id, code, unit_no, floor, room_no, use, occupancy, area, updated_at"
#define PLATE_COLUMNS \
  "address_id, token, status, size, issued_at, installed_at, replaced_by, updated_at"
#define FACILITY_COLUMNS \
  "code, category_id, name, status, department_id, address_id, building_id, lon, lat, updated_at"

#define STAGE(table, columns)                                                          \
  { "CREATE TEMP TABLE pct_gen_" table " (id INTEGER PRIMARY KEY, " columns ")",         \
    "SELECT coalesce (max (id), 0) FROM main." table,                                   \
    "INSERT INTO main." table " (id, " columns ") SELECT id, " columns                  \
    " FROM temp.pct_gen_" table " WHERE id > ?1 AND id <= ?2 ORDER BY id",              \
    "DROP TABLE temp.pct_gen_" table }

static const struct
{
  const char *create;
  const char *max_id;
  const char *copy;
  const char *drop;
} staged_sql[N_STAGED] = {
  [STAGED_ADDRESSES] = STAGE ("addresses", ADDRESS_COLUMNS),
  [STAGED_BUILDINGS] = STAGE ("buildings", BUILDING_COLUMNS),
  [STAGED_ROOMS] = STAGE ("rooms", ROOM_COLUMNS),
  [STAGED_PLATES] = STAGE ("plates", PLATE_COLUMNS),
  [STAGED_FACILITIES] = STAGE ("facilities", FACILITY_COLUMNS),
};

/* Progress counts a copied row as this many staged ones: copying, with
 * the indexes and triggers, is where the time goes. */
#define COPY_WEIGHT 4

typedef struct
{
  guint8 klass;   /* 0: no road along this lattice edge */
  int    road;    /* index into Geo.roads, -1 without */
} Edge;

typedef struct
{
  const char *name;
  int         klass;
  gboolean    vertical;
  int         line;
  int         first;   /* edges [first, last) of the line */
  int         last;
  gint64      id;
} Road;

typedef struct
{
  char       *code;    /* 9 digits */
  const char *name;
} Street;

typedef struct
{
  char       *code;    /* 12 digits */
  const char *name;
  int         street;
  char       *prefix;  /* display up to the street, e.g. 重庆市江津区…街道 */
} Community;

typedef struct
{
  int    community;
  int    serial;              /* within the community, 1… */
  int    bi0, bj0, bi1, bj1;  /* the blocks it covers, [bi0, bi1) × [bj0, bj1) */
  gint64 id;
} Cell;

typedef struct
{
  BlockType type;
  int       cell;
  double    cx, cy;
  double    priority;
  int       n_buildings;
  int       compound;
} Block;

typedef struct
{
  int      road;
  int      block;
  gboolean left;
  double   x, y;
  int      number;
  int      compound;
  int      n_buildings;
  gint64   id;
  char    *code;      /* community + road + serial: 20 digits */
  char    *display;
} Door;

typedef struct
{
  Kind     kind;
  Use      use;
  int      block;
  double   cx, cy;    /* centre */
  double   ux, uy;    /* along the front; the back is to the left of it */
  double   w, h;      /* along the front, and deep */
  int      units;
  int      floors_above;
  int      floors_below;
  int      rooms_per_floor;
  gboolean ground_shops;
  int      compound;
  int      door;
  int      number;    /* N of "N栋" behind its door */
  gint64   id;
  gint64   address_id;
} Building;

typedef struct
{
  const char *name;
  int         block;
  int         gate_side;
  int         gate_door;
} Compound;

typedef struct
{
  FacilityKind kind;
  double       x, y;
  int          building;   /* -1 on a road */
  int          road;       /* -1 inside a building */
  int          road2;      /* the crossing road of a camera */
} Facility;

typedef struct
{
  int     index;
  int     bi, bj;
  GArray *side[4];     /* Pt, counter-clockwise: bottom, right, top, left */
  double  len[4];
  int     klass[4];
  double  d[4];        /* building setback from each side's centreline */
  GArray *ring;
  GArray *placed;      /* int: indices into Geo.buildings */
} BlockCtx;

typedef struct
{
  PctStore           *store;
  const PctGenParams *params;
  PctGeoFrame         frame;
  double              W, H;

  /* The lattice: nx vertical lines and ny horizontal ones, the first and
   * last of each being the district's straight edge, not a road. */
  int     nx, ny;
  double *lx, *ly;
  double *va, *vl, *vp;   /* vertical line wiggle: amplitude, wavelength, phase */
  double *ha, *hl, *hp;
  guint8 *vclass, *hclass;
  Pt     *nodes;
  Edge   *vedges;         /* vertical line k, node l → l + 1 */
  Edge   *hedges;         /* horizontal line l, node k → k + 1 */
  int     nbx, nby;
  Block  *blocks;

  double  river_y0, river_a1, river_l1, river_p1, river_a2, river_l2, river_p2, river_w;
  double  core_x, core_y;

  GArray *streets;
  GArray *communities;
  GArray *cells;
  GArray *roads;
  GArray *doors;
  GArray *buildings;
  GArray *compounds;
  GArray *facilities;
  int    *block_door_start;
  int    *block_doors;

  gint64  quota[N_KINDS];
  gint64  overflow[N_KINDS];  /* how far past its quota a kind may go */
  int     main_kind;          /* of the block being built */
  gint64  n_units;
  gint64  n_rooms;

  GHashTable *names;
  GString    *json;
  GArray     *scratch;

  gint64  first_id[N_STAGED];   /* the last id in use before this run */
  gint64  last_id[N_STAGED];    /* the last id handed out */

  PctRng  plate_rng;
  guint64 done;
  guint64 total;
} Geo;

static void
geo_clear (Geo *g)
{
  if (g->streets)
    for (guint i = 0; i < g->streets->len; i++)
      g_free (g_array_index (g->streets, Street, i).code);
  if (g->communities)
    for (guint i = 0; i < g->communities->len; i++)
      {
        g_free (g_array_index (g->communities, Community, i).code);
        g_free (g_array_index (g->communities, Community, i).prefix);
      }
  if (g->doors)
    for (guint i = 0; i < g->doors->len; i++)
      {
        g_free (g_array_index (g->doors, Door, i).code);
        g_free (g_array_index (g->doors, Door, i).display);
      }
  g_clear_pointer (&g->streets, g_array_unref);
  g_clear_pointer (&g->communities, g_array_unref);
  g_clear_pointer (&g->cells, g_array_unref);
  g_clear_pointer (&g->roads, g_array_unref);
  g_clear_pointer (&g->doors, g_array_unref);
  g_clear_pointer (&g->buildings, g_array_unref);
  g_clear_pointer (&g->compounds, g_array_unref);
  g_clear_pointer (&g->facilities, g_array_unref);
  g_clear_pointer (&g->names, g_hash_table_unref);
  g_clear_pointer (&g->scratch, g_array_unref);
  if (g->json)
    g_string_free (g_steal_pointer (&g->json), TRUE);
  g_clear_pointer (&g->lx, g_free);
  g_clear_pointer (&g->ly, g_free);
  g_clear_pointer (&g->va, g_free);
  g_clear_pointer (&g->vl, g_free);
  g_clear_pointer (&g->vp, g_free);
  g_clear_pointer (&g->ha, g_free);
  g_clear_pointer (&g->hl, g_free);
  g_clear_pointer (&g->hp, g_free);
  g_clear_pointer (&g->vclass, g_free);
  g_clear_pointer (&g->hclass, g_free);
  g_clear_pointer (&g->nodes, g_free);
  g_clear_pointer (&g->vedges, g_free);
  g_clear_pointer (&g->hedges, g_free);
  g_clear_pointer (&g->blocks, g_free);
  g_clear_pointer (&g->block_door_start, g_free);
  g_clear_pointer (&g->block_doors, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Geo, geo_clear)

#define NODE(g, k, l)   ((g)->nodes[(k) * (g)->ny + (l)])
#define VEDGE(g, k, l)  ((g)->vedges[(k) * ((g)->ny - 1) + (l)])
#define HEDGE(g, k, l)  ((g)->hedges[(l) * ((g)->nx - 1) + (k)])
#define BLOCK(g, i, j)  ((g)->blocks[(j) * (g)->nbx + (i)])

static double
uniform (PctRng *rng,
         double  lo,
         double  hi)
{
  return lo + (hi - lo) * pct_rng_double (rng);
}

/* Inclusive range. */
static int
pick_int (PctRng *rng,
          int     lo,
          int     hi)
{
  return (int) pct_rng_range (rng, lo, (gint64) hi + 1);
}

/* An integer in [lo, hi] pushed up (bias > 0) or down (bias < 0), used to
 * steer totals towards their targets without changing the kinds drawn. */
static int
pick_biased (PctRng *rng,
             int     lo,
             int     hi,
             double  bias)
{
  double u = pow (pct_rng_double (rng), pow (2.0, -2.0 * bias));
  int v = lo + (int) (u * (hi - lo + 1));

  return MIN (v, hi);
}

/* Progress: rows written out of rows planned, reported as the whole
 * percentage changes. */
static void
advance_by (Geo     *g,
            guint64  n)
{
  guint64 before = g->done;

  g->done = MIN (g->done + n, g->total);
  if (g->params->progress != NULL && g->total > 0 &&
      (before * 100 / g->total != g->done * 100 / g->total))
    g->params->progress ("geography", g->done, g->total, g->params->progress_data);
}

static void
advance (Geo *g)
{
  advance_by (g, 1);
}

/* Names */

static gboolean
is_real_base (const char *base)
{
  for (guint i = 0; i < G_N_ELEMENTS (real_bases); i++)
    if (strcmp (base, real_bases[i]) == 0)
      return TRUE;
  return FALSE;
}

/* A name from two invented syllables, unique among everything this run
 * names; after many collisions a third syllable widens the space. The
 * string belongs to g->names. */
static const char *
invent_name (Geo        *g,
             PctRng     *rng,
             const char *middle,
             const char *suffix)
{
  guint n = G_N_ELEMENTS (syllables);

  for (guint attempt = 0;; attempt++)
    {
      guint a = (guint) pct_rng_range (rng, 0, n);
      guint b = (guint) pct_rng_range (rng, 0, n);
      g_autofree char *base = NULL;
      char *name;

      if (a == b)
        continue;
      base = g_strconcat (syllables[a], syllables[b], NULL);
      if (is_real_base (base))
        continue;
      if (attempt > 64)
        {
          char *longer = g_strconcat (base, syllables[pct_rng_range (rng, 0, n)], NULL);
          g_free (base);
          base = longer;
        }

      name = g_strconcat (base, middle ? middle : "", suffix, NULL);
      if (!g_hash_table_contains (g->names, name))
        {
          g_hash_table_add (g->names, name);
          return name;
        }
      g_free (name);
    }
}

/* Geometry in the local frame */

static double
vline_x (Geo    *g,
         int     k,
         double  y)
{
  return g->lx[k] + g->va[k] * sin (2 * G_PI * y / g->vl[k] + g->vp[k]);
}

static double
hline_y (Geo    *g,
         int     l,
         double  x)
{
  return g->ly[l] + g->ha[l] * sin (2 * G_PI * x / g->hl[l] + g->hp[l]);
}

static double
river_y (Geo    *g,
         double  x)
{
  return g->river_y0 +
         g->river_a1 * sin (2 * G_PI * x / g->river_l1 + g->river_p1) +
         g->river_a2 * sin (2 * G_PI * x / g->river_l2 + g->river_p2);
}

static double
river_slope (Geo    *g,
             double  x)
{
  return g->river_a1 * 2 * G_PI / g->river_l1 * cos (2 * G_PI * x / g->river_l1 + g->river_p1) +
         g->river_a2 * 2 * G_PI / g->river_l2 * cos (2 * G_PI * x / g->river_l2 + g->river_p2);
}

/* Whether a point keeps margin metres from the river's water. The vertical
 * distance to the centreline overstates the true one by at most 1/cos of
 * the bank's slope, which stays under 0.6, hence the factor. */
static gboolean
river_clear (Geo    *g,
             double  x,
             double  y,
             double  margin)
{
  return fabs (y - river_y (g, x)) >= (g->river_w / 2 + margin) * 1.2;
}

/* Appends the points of a lattice edge, in the road's direction (north
 * for vertical lines, east for horizontal ones) unless reversed. */
static void
edge_points (Geo      *g,
             gboolean  vertical,
             int       line,
             int       index,
             gboolean  reverse,
             gboolean  skip_first,
             GArray   *out)
{
  Pt a, b;
  gboolean straight;
  int m;

  if (vertical)
    {
      a = NODE (g, line, index);
      b = NODE (g, line, index + 1);
      straight = g->va[line] == 0;
    }
  else
    {
      a = NODE (g, index, line);
      b = NODE (g, index + 1, line);
      straight = g->ha[line] == 0;
    }

  m = straight ? 0 : CLAMP ((int) (hypot (b.x - a.x, b.y - a.y) / 40), 1, 5);

  for (int i = 0; i <= m + 1; i++)
    {
      int j = reverse ? m + 1 - i : i;
      Pt p;

      if (i == 0 && skip_first)
        continue;

      if (j == 0)
        p = a;
      else if (j == m + 1)
        p = b;
      else
        {
          double t = (double) j / (m + 1);

          if (vertical)
            {
              p.y = a.y + t * (b.y - a.y);
              p.x = vline_x (g, line, p.y);
            }
          else
            {
              p.x = a.x + t * (b.x - a.x);
              p.y = hline_y (g, line, p.x);
            }
        }
      g_array_append_val (out, p);
    }
}

static double
polyline_length (const GArray *line)
{
  const Pt *p = (const Pt *) line->data;
  double len = 0;

  for (guint i = 0; i + 1 < line->len; i++)
    len += hypot (p[i + 1].x - p[i].x, p[i + 1].y - p[i].y);
  return len;
}

/* The point at arc length t along a polyline and the unit tangent there. */
static void
polyline_at (const GArray *line,
             double        t,
             Pt           *point,
             Pt           *tangent)
{
  const Pt *p = (const Pt *) line->data;

  for (guint i = 0; i + 1 < line->len; i++)
    {
      double dx = p[i + 1].x - p[i].x;
      double dy = p[i + 1].y - p[i].y;
      double seg = hypot (dx, dy);

      if (seg <= 0)
        continue;
      if (t <= seg || i + 2 == line->len)
        {
          double f = CLAMP (t / seg, 0.0, 1.0);

          point->x = p[i].x + f * dx;
          point->y = p[i].y + f * dy;
          tangent->x = dx / seg;
          tangent->y = dy / seg;
          return;
        }
      t -= seg;
    }

  *point = p[0];
  tangent->x = 1;
  tangent->y = 0;
}

/* A copy of a polyline moved d to its left, vertex by vertex. */
static void
offset_polyline (const GArray *line,
                 double        d,
                 GArray       *out)
{
  const Pt *p = (const Pt *) line->data;
  guint n = line->len;

  g_array_set_size (out, 0);
  for (guint i = 0; i < n; i++)
    {
      double nx = 0, ny = 0, sx = 0, sy = 0, len, dot;
      Pt q;

      if (i > 0)
        {
          double dx = p[i].x - p[i - 1].x, dy = p[i].y - p[i - 1].y;
          len = hypot (dx, dy);
          nx += -dy / len;
          ny += dx / len;
          sx = -dy / len;
          sy = dx / len;
        }
      if (i + 1 < n)
        {
          double dx = p[i + 1].x - p[i].x, dy = p[i + 1].y - p[i].y;
          len = hypot (dx, dy);
          nx += -dy / len;
          ny += dx / len;
          sx = -dy / len;
          sy = dx / len;
        }
      len = hypot (nx, ny);
      nx /= len;
      ny /= len;
      /* Mitre: at a bend the offset along the averaged normal is longer. */
      dot = MAX (nx * sx + ny * sy, 0.5);
      q.x = p[i].x + nx * d / dot;
      q.y = p[i].y + ny * d / dot;
      g_array_append_val (out, q);
    }
}

static Pt
line_intersection (Pt a1,
                   Pt a2,
                   Pt b1,
                   Pt b2)
{
  double rx = a2.x - a1.x, ry = a2.y - a1.y;
  double sx = b2.x - b1.x, sy = b2.y - b1.y;
  double den = rx * sy - ry * sx;
  double t;
  Pt p;

  if (fabs (den) < 1e-9)
    {
      p.x = (a2.x + b1.x) / 2;
      p.y = (a2.y + b1.y) / 2;
      return p;
    }
  t = ((b1.x - a1.x) * sy - (b1.y - a1.y) * sx) / den;
  p.x = a1.x + t * rx;
  p.y = a1.y + t * ry;
  return p;
}

/* Lattice edge behind side s of block (bi, bj). */
static Edge *
side_edge (Geo      *g,
           int       bi,
           int       bj,
           int       s,
           gboolean *vertical,
           int      *line,
           int      *index)
{
  switch (s)
    {
    case 0:
      *vertical = FALSE, *line = bj, *index = bi;
      return &HEDGE (g, bi, bj);
    case 1:
      *vertical = TRUE, *line = bi + 1, *index = bj;
      return &VEDGE (g, bi + 1, bj);
    case 2:
      *vertical = FALSE, *line = bj + 1, *index = bi;
      return &HEDGE (g, bi, bj + 1);
    case 3:
    default:
      *vertical = TRUE, *line = bi, *index = bj;
      return &VEDGE (g, bi, bj);
    }
}

static void
block_ctx_init (BlockCtx *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  for (int s = 0; s < 4; s++)
    ctx->side[s] = g_array_new (FALSE, FALSE, sizeof (Pt));
  ctx->ring = g_array_new (FALSE, FALSE, sizeof (Pt));
  ctx->placed = g_array_new (FALSE, FALSE, sizeof (int));
}

static void
block_ctx_clear (BlockCtx *ctx)
{
  for (int s = 0; s < 4; s++)
    g_clear_pointer (&ctx->side[s], g_array_unref);
  g_clear_pointer (&ctx->ring, g_array_unref);
  g_clear_pointer (&ctx->placed, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BlockCtx, block_ctx_clear)

/* Loads a block's sides counter-clockwise, so that its inside is always to
 * the left of each side. */
static void
block_ctx_load (Geo      *g,
                BlockCtx *ctx,
                int       bi,
                int       bj)
{
  ctx->bi = bi;
  ctx->bj = bj;
  ctx->index = bj * g->nbx + bi;
  g_array_set_size (ctx->ring, 0);
  g_array_set_size (ctx->placed, 0);

  for (int s = 0; s < 4; s++)
    {
      gboolean vertical;
      int line, index;
      Edge *e = side_edge (g, bi, bj, s, &vertical, &line, &index);

      g_array_set_size (ctx->side[s], 0);
      edge_points (g, vertical, line, index, s >= 2, FALSE, ctx->side[s]);
      ctx->len[s] = polyline_length (ctx->side[s]);
      ctx->klass[s] = e->klass;
      /* Building fronts stand back from the kerb; where no road runs
       * (the district's edge, a lane dropped at the river) a little less. */
      ctx->d[s] = e->klass == 0 ? 8.0 : e->klass == 1 ? 18.0 : 15.0;
      g_array_append_vals (ctx->ring, ctx->side[s]->data, ctx->side[s]->len - 1);
    }
}

/* The block shrunk by d[s] from each side, corners mitred. */
static void
block_inset (BlockCtx     *ctx,
             const double  d[4],
             GArray       *out)
{
  GArray *off[4];

  for (int s = 0; s < 4; s++)
    {
      off[s] = g_array_new (FALSE, FALSE, sizeof (Pt));
      offset_polyline (ctx->side[s], d[s], off[s]);
    }

  g_array_set_size (out, 0);
  for (int s = 0; s < 4; s++)
    {
      GArray *prev = off[(s + 3) % 4];
      GArray *cur = off[s];
      Pt corner = line_intersection (g_array_index (prev, Pt, prev->len - 2),
                                     g_array_index (prev, Pt, prev->len - 1),
                                     g_array_index (cur, Pt, 0),
                                     g_array_index (cur, Pt, 1));

      g_array_append_val (out, corner);
      for (guint i = 1; i + 1 < cur->len; i++)
        g_array_append_val (out, g_array_index (cur, Pt, i));
    }

  for (int s = 0; s < 4; s++)
    g_array_unref (off[s]);
}

static void
building_corners (const Building *b,
                  Pt              c[4])
{
  double nx = -b->uy, ny = b->ux;
  double hw = b->w / 2, hh = b->h / 2;

  c[0].x = b->cx - b->ux * hw - nx * hh;
  c[0].y = b->cy - b->uy * hw - ny * hh;
  c[1].x = b->cx + b->ux * hw - nx * hh;
  c[1].y = b->cy + b->uy * hw - ny * hh;
  c[2].x = b->cx + b->ux * hw + nx * hh;
  c[2].y = b->cy + b->uy * hw + ny * hh;
  c[3].x = b->cx - b->ux * hw + nx * hh;
  c[3].y = b->cy - b->uy * hw + ny * hh;
}

/* Separating-axis test of two rectangles, each grown by gap / 2. */
static gboolean
buildings_overlap (const Building *a,
                   const Building *b,
                   double          gap)
{
  double dx = b->cx - a->cx, dy = b->cy - a->cy;
  double ra = hypot (a->w, a->h) / 2, rb = hypot (b->w, b->h) / 2;
  const Building *owners[2] = { a, b };

  if (hypot (dx, dy) > ra + rb + gap)
    return FALSE;

  for (int i = 0; i < 2; i++)
    for (int axis = 0; axis < 2; axis++)
      {
        const Building *o = owners[i];
        double ax = axis == 0 ? o->ux : -o->uy;
        double ay = axis == 0 ? o->uy : o->ux;
        double pa = (a->w + gap) / 2 * fabs (a->ux * ax + a->uy * ay) +
                    (a->h + gap) / 2 * fabs (-a->uy * ax + a->ux * ay);
        double pb = (b->w + gap) / 2 * fabs (b->ux * ax + b->uy * ay) +
                    (b->h + gap) / 2 * fabs (-b->uy * ax + b->ux * ay);

        if (fabs (dx * ax + dy * ay) > pa + pb)
          return FALSE;
      }

  return TRUE;
}

/* Whether a building stands inside its block, back from every road by
 * the side's setback plus extra, out of the river and clear of gap metres
 * around the buildings already placed. */
static gboolean
building_fits (Geo            *g,
               BlockCtx       *ctx,
               const Building *b,
               double          extra,
               double          gap)
{
  const Pt *ring = (const Pt *) ctx->ring->data;
  Pt c[4];

  building_corners (b, c);
  for (int i = 0; i < 4; i++)
    {
      if (!pct_geo_point_in_polygon (ring, ctx->ring->len, c[i].x, c[i].y))
        return FALSE;
      if (!river_clear (g, c[i].x, c[i].y, 8))
        return FALSE;
      for (int s = 0; s < 4; s++)
        if (pct_geo_distance_to_polyline ((const Pt *) ctx->side[s]->data, ctx->side[s]->len,
                                          c[i].x, c[i].y) < ctx->d[s] + extra)
          return FALSE;
    }
  if (!river_clear (g, b->cx, b->cy, 8))
    return FALSE;

  for (guint i = 0; i < ctx->placed->len; i++)
    {
      const Building *o = &g_array_index (g->buildings, Building, g_array_index (ctx->placed, int, i));

      if (buildings_overlap (b, o, gap))
        return FALSE;
    }

  return TRUE;
}

static void
shape_building (PctRng   *rng,
                Building *b)
{
  switch (b->kind)
    {
    case KIND_HOUSE:
      b->units = 1;
      b->w = uniform (rng, 7, 12);
      b->h = uniform (rng, 7, 11);
      break;
    case KIND_WALKUP:
      b->units = pick_int (rng, 2, 3);
      b->w = b->units * uniform (rng, 12.5, 14.5);
      b->h = uniform (rng, 11, 13);
      break;
    case KIND_TOWER:
      b->units = pick_int (rng, 2, 4);
      b->w = 8 + b->units * uniform (rng, 6.5, 8);
      b->h = uniform (rng, 16, 21);
      break;
    case KIND_SHOP:
    case N_KINDS:
    default:
      b->units = 1;
      b->w = uniform (rng, 10, 22);
      b->h = uniform (rng, 10, 15);
      break;
    }
}

/* A block of a kind is finished a little past that kind's quota, so that
 * the last compound is not a lone building; other kinds stop at theirs. */
static gboolean
kind_wanted (Geo  *g,
             Kind  kind)
{
  return g->quota[kind] > 0 ||
         ((int) kind == g->main_kind && -g->quota[kind] < g->overflow[kind]);
}

static void
add_building (Geo      *g,
              BlockCtx *ctx,
              Building *b)
{
  int index = (int) g->buildings->len;

  b->block = ctx->index;
  b->compound = -1;
  b->door = -1;
  g_array_append_val (g->buildings, *b);
  g_array_append_val (ctx->placed, index);
  g->blocks[ctx->index].n_buildings++;
  g->quota[b->kind]--;
}

/* What stands along a road: in the old town houses with some shops, in
 * commercial blocks shops and walk-ups with shops below. */
static Kind
frontage_kind (PctRng    *rng,
               BlockType  type,
               int        klass)
{
  if (type == BLOCK_COMMERCIAL)
    {
      if (klass >= 1 && klass <= 3 && pct_rng_chance (rng, 0.35))
        return KIND_WALKUP;
      return KIND_SHOP;
    }
  if (klass >= 1 && klass <= 2)
    return pct_rng_chance (rng, 0.45) ? KIND_SHOP : KIND_HOUSE;
  return pct_rng_chance (rng, 0.12) ? KIND_SHOP : KIND_HOUSE;
}

static void
place_frontage (Geo       *g,
                BlockCtx  *ctx,
                PctRng    *rng,
                int        s,
                BlockType  type)
{
  double t = ctx->d[(s + 3) % 4] + 1;
  double end = ctx->len[s] - ctx->d[(s + 1) % 4] - 1;
  double gap = type == BLOCK_OLD_TOWN ? 0.5 : 2.0;

  while (t < end)
    {
      Building b = { 0 };
      Pt p, tan;
      double setback;

      b.kind = frontage_kind (rng, type, ctx->klass[s]);
      if (!kind_wanted (g, b.kind))
        {
          t += 8;
          continue;
        }
      shape_building (rng, &b);
      if (t + b.w > end)
        break;

      polyline_at (ctx->side[s], t + b.w / 2, &p, &tan);
      setback = ctx->d[s] + 0.5 + uniform (rng, 0, 2);
      b.ux = tan.x;
      b.uy = tan.y;
      b.cx = p.x - tan.y * (setback + b.h / 2);
      b.cy = p.y + tan.x * (setback + b.h / 2);
      b.ground_shops = ctx->klass[s] >= 1 && ctx->klass[s] <= 3 &&
                       (b.kind == KIND_SHOP || pct_rng_chance (rng, 0.4));

      if (building_fits (g, ctx, &b, 0, gap))
        {
          add_building (g, ctx, &b);
          t += b.w + gap + uniform (rng, 0, type == BLOCK_OLD_TOWN ? 1.5 : 6);
        }
      else
        t += 3;
    }
}

/* The side the block's buildings line up with: its biggest road, and the
 * longest of those. */
static int
main_side (BlockCtx *ctx)
{
  int best = -1;

  for (int s = 0; s < 4; s++)
    {
      if (ctx->klass[s] == 0)
        continue;
      if (best < 0 || ctx->klass[s] < ctx->klass[best] ||
          (ctx->klass[s] == ctx->klass[best] && ctx->len[s] > ctx->len[best]))
        best = s;
    }
  return best < 0 ? 0 : best;
}

/* Rows of buildings parallel to the block's main side, as compounds and
 * old-town back streets are laid out. */
static void
place_rows (Geo       *g,
            BlockCtx  *ctx,
            PctRng    *rng,
            BlockType  type,
            double     extra)
{
  int s = main_side (ctx);
  const GArray *side = ctx->side[s];
  Pt a = g_array_index (side, Pt, 0);
  Pt b = g_array_index (side, Pt, side->len - 1);
  double len = hypot (b.x - a.x, b.y - a.y);
  double tx = (b.x - a.x) / len, ty = (b.y - a.y) / len;
  double umin = G_MAXDOUBLE, umax = -G_MAXDOUBLE, vmax = 0, v;
  double row_gap, col_gap;

  for (guint i = 0; i < ctx->ring->len; i++)
    {
      Pt p = g_array_index (ctx->ring, Pt, i);
      double u = (p.x - a.x) * tx + (p.y - a.y) * ty;
      double w = -(p.x - a.x) * ty + (p.y - a.y) * tx;

      umin = MIN (umin, u);
      umax = MAX (umax, u);
      vmax = MAX (vmax, w);
    }

  switch (type)
    {
    case BLOCK_TOWERS:
      row_gap = uniform (rng, 28, 38);
      col_gap = uniform (rng, 14, 22);
      break;
    case BLOCK_WALKUPS:
      row_gap = uniform (rng, 14, 20);
      col_gap = uniform (rng, 6, 12);
      break;
    case BLOCK_COMMERCIAL:
      row_gap = uniform (rng, 10, 16);
      col_gap = uniform (rng, 6, 12);
      break;
    case BLOCK_OLD_TOWN:
    case BLOCK_EMPTY:
    case BLOCK_WATER:
    case BLOCK_PARK:
    case BLOCK_VILLAGE:
    case N_BLOCK_TYPES:
    default:
      row_gap = uniform (rng, 3, 6);
      col_gap = uniform (rng, 1.5, 4);
      break;
    }

  v = ctx->d[s] + extra;
  while (v < vmax)
    {
      Building proto = { 0 };
      double u;

      switch (type)
        {
        case BLOCK_TOWERS:
          proto.kind = KIND_TOWER;
          break;
        case BLOCK_WALKUPS:
          proto.kind = KIND_WALKUP;
          break;
        case BLOCK_COMMERCIAL:
          proto.kind = pct_rng_chance (rng, 0.3) ? KIND_WALKUP : KIND_SHOP;
          break;
        case BLOCK_OLD_TOWN:
        case BLOCK_EMPTY:
        case BLOCK_WATER:
        case BLOCK_PARK:
        case BLOCK_VILLAGE:
        case N_BLOCK_TYPES:
        default:
          proto.kind = KIND_HOUSE;
          break;
        }
      shape_building (rng, &proto);

      u = umin + uniform (rng, 0, col_gap);
      while (u + proto.w < umax)
        {
          Building bl = proto;
          double cu = u + bl.w / 2, cv = v + bl.h / 2;

          if (!kind_wanted (g, bl.kind))
            break;
          bl.ux = tx;
          bl.uy = ty;
          bl.cx = a.x + tx * cu - ty * cv;
          bl.cy = a.y + ty * cu + tx * cv;
          if (building_fits (g, ctx, &bl, extra, col_gap * 0.8))
            {
              add_building (g, ctx, &bl);
              u += bl.w + col_gap;
              /* Old-town houses differ from their neighbours. */
              if (type == BLOCK_OLD_TOWN)
                shape_building (rng, &proto);
            }
          else
            u += 4;
        }
      v += proto.h + row_gap;
    }
}

/* Village houses stand apart, each turned to the nearest road. */
static void
place_village (Geo      *g,
               BlockCtx *ctx,
               PctRng   *rng)
{
  const Pt *ring = (const Pt *) ctx->ring->data;
  double minx = G_MAXDOUBLE, maxx = -G_MAXDOUBLE, miny = G_MAXDOUBLE, maxy = -G_MAXDOUBLE;
  int want = pick_int (rng, 3, 10);
  int placed = 0;

  for (guint i = 0; i < ctx->ring->len; i++)
    {
      minx = MIN (minx, ring[i].x);
      maxx = MAX (maxx, ring[i].x);
      miny = MIN (miny, ring[i].y);
      maxy = MAX (maxy, ring[i].y);
    }

  for (int attempt = 0; attempt < 60 && placed < want && kind_wanted (g, KIND_HOUSE); attempt++)
    {
      Building b = { .kind = KIND_HOUSE };
      double x = uniform (rng, minx, maxx), y = uniform (rng, miny, maxy);
      double best = G_MAXDOUBLE;
      int near = 0;
      const GArray *side;
      Pt a, c;
      double len;

      if (!pct_geo_point_in_polygon (ring, ctx->ring->len, x, y))
        continue;
      for (int s = 0; s < 4; s++)
        {
          double d = pct_geo_distance_to_polyline ((const Pt *) ctx->side[s]->data,
                                                   ctx->side[s]->len, x, y);
          if (ctx->klass[s] > 0 && d < best)
            {
              best = d;
              near = s;
            }
        }

      side = ctx->side[near];
      a = g_array_index (side, Pt, 0);
      c = g_array_index (side, Pt, side->len - 1);
      len = hypot (c.x - a.x, c.y - a.y);
      shape_building (rng, &b);
      b.ux = (c.x - a.x) / len;
      b.uy = (c.y - a.y) / len;
      b.cx = x;
      b.cy = y;
      if (building_fits (g, ctx, &b, 0, 10))
        {
          add_building (g, ctx, &b);
          placed++;
        }
    }
}

static gboolean
block_has_road (BlockCtx *ctx)
{
  for (int s = 0; s < 4; s++)
    if (ctx->klass[s] > 0)
      return TRUE;
  return FALSE;
}

static void
develop_block (Geo       *g,
               BlockCtx  *ctx,
               PctRng    *rng,
               BlockType  type)
{
  g->blocks[ctx->index].type = type;
  switch (type)
    {
    case BLOCK_TOWERS:
      g->main_kind = KIND_TOWER;
      break;
    case BLOCK_WALKUPS:
      g->main_kind = KIND_WALKUP;
      break;
    case BLOCK_COMMERCIAL:
      g->main_kind = KIND_SHOP;
      break;
    case BLOCK_OLD_TOWN:
      g->main_kind = KIND_HOUSE;
      break;
    case BLOCK_VILLAGE:
    case BLOCK_EMPTY:
    case BLOCK_WATER:
    case BLOCK_PARK:
    case N_BLOCK_TYPES:
    default:
      g->main_kind = -1;
      break;
    }

  switch (type)
    {
    case BLOCK_WALKUPS:
    case BLOCK_TOWERS:
      /* Compound walls stand 3 m inside the setback; buildings 4 m more. */
      place_rows (g, ctx, rng, type, 4);
      break;
    case BLOCK_OLD_TOWN:
    case BLOCK_COMMERCIAL:
      for (int s = 0; s < 4; s++)
        if (ctx->klass[s] > 0)
          place_frontage (g, ctx, rng, s, type);
      place_rows (g, ctx, rng, type, type == BLOCK_OLD_TOWN ? 12 : 16);
      break;
    case BLOCK_VILLAGE:
      place_village (g, ctx, rng);
      break;
    case BLOCK_EMPTY:
    case BLOCK_WATER:
    case BLOCK_PARK:
    case N_BLOCK_TYPES:
    default:
      break;
    }

  if (g->blocks[ctx->index].n_buildings == 0 && type != BLOCK_PARK)
    g->blocks[ctx->index].type = BLOCK_EMPTY;
}

static int
compare_priority (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  const Block *blocks = user_data;
  double pa = blocks[*(const int *) a].priority;
  double pb = blocks[*(const int *) b].priority;

  return pa < pb ? -1 : pa > pb ? 1 : *(const int *) a - *(const int *) b;
}

/* Phase steps */

static gboolean
bind_exec (PctStore      *store,
           sqlite3_stmt  *stmt,
           gint64        *id,
           GError       **error)
{
  if (!pct_store_step_done (store, stmt, error))
    return FALSE;
  if (id != NULL)
    *id = sqlite3_last_insert_rowid (pct_store_get_handle (store));
  return TRUE;
}

/* The points, from metres to degrees, as the JSON the schema stores; the
 * returned string lives until the next call. */
static const char *
coords_json (Geo       *g,
             const Pt  *points,
             guint      n)
{
  g_array_set_size (g->scratch, n);
  for (guint i = 0; i < n; i++)
    {
      Pt *q = &g_array_index (g->scratch, Pt, i);
      pct_geo_frame_to_lonlat (&g->frame, points[i].x, points[i].y, &q->x, &q->y);
    }
  g_string_truncate (g->json, 0);
  pct_geo_append_coords (g->json, (const Pt *) g->scratch->data, n);
  return g->json->str;
}

static void
set_up_lattice (Geo    *g,
                PctRng *rng)
{
  int nvx = MAX (3, (int) round ((g->W - 2 * EDGE_MARGIN * BLOCK_SPACING) / BLOCK_SPACING) + 1);
  int nvy = MAX (3, (int) round ((g->H - 2 * EDGE_MARGIN * BLOCK_SPACING) / BLOCK_SPACING) + 1);
  double x0 = -g->W / 2 + EDGE_MARGIN * BLOCK_SPACING;
  double y0 = -g->H / 2 + EDGE_MARGIN * BLOCK_SPACING;
  double stepx = (g->W - 2 * EDGE_MARGIN * BLOCK_SPACING) / (nvx - 1);
  double stepy = (g->H - 2 * EDGE_MARGIN * BLOCK_SPACING) / (nvy - 1);

  g->nx = nvx + 2;
  g->ny = nvy + 2;
  g->nbx = g->nx - 1;
  g->nby = g->ny - 1;
  g->lx = g_new0 (double, g->nx);
  g->va = g_new0 (double, g->nx);
  g->vl = g_new0 (double, g->nx);
  g->vp = g_new0 (double, g->nx);
  g->vclass = g_new0 (guint8, g->nx);
  g->ly = g_new0 (double, g->ny);
  g->ha = g_new0 (double, g->ny);
  g->hl = g_new0 (double, g->ny);
  g->hp = g_new0 (double, g->ny);
  g->hclass = g_new0 (guint8, g->ny);

  for (int axis = 0; axis < 2; axis++)
    {
      int n = axis == 0 ? g->nx : g->ny;
      int centre = (n - 3) / 2;
      double *pos = axis == 0 ? g->lx : g->ly;
      double *amp = axis == 0 ? g->va : g->ha;
      double *wav = axis == 0 ? g->vl : g->hl;
      double *pha = axis == 0 ? g->vp : g->hp;
      guint8 *cls = axis == 0 ? g->vclass : g->hclass;
      double start = axis == 0 ? x0 : y0;
      double step = axis == 0 ? stepx : stepy;
      double half = (axis == 0 ? g->W : g->H) / 2;

      pos[0] = -half;
      pos[n - 1] = half;
      wav[0] = wav[n - 1] = 1;
      for (int k = 1; k < n - 1; k++)
        {
          /* The road hierarchy repeats every sixteen lines from the
           * middle: an arterial, then lanes, branches and main roads. */
          int d = ABS (k - 1 - centre);

          pos[k] = start + (k - 1) * step + uniform (rng, -0.12, 0.12) * step;
          amp[k] = uniform (rng, 0.03, 0.09) * step;
          wav[k] = uniform (rng, 5, 16) * step;
          pha[k] = uniform (rng, 0, 2 * G_PI);
          cls[k] = d % 16 == 0 ? 1 : d % 4 == 0 ? 2 : d % 2 == 0 ? 3 : 4;
        }
    }

  g->nodes = g_new (Pt, g->nx * g->ny);
  for (int k = 0; k < g->nx; k++)
    for (int l = 0; l < g->ny; l++)
      {
        double x = g->lx[k], y = g->ly[l];

        /* The crossing of two gently curving lines: a few fixed-point
         * steps converge since both slopes stay well under one. */
        for (int i = 0; i < 8; i++)
          {
            x = vline_x (g, k, y);
            y = hline_y (g, l, x);
          }
        NODE (g, k, l).x = x;
        NODE (g, k, l).y = y;
      }

  g->vedges = g_new0 (Edge, g->nx * (g->ny - 1));
  g->hedges = g_new0 (Edge, g->ny * (g->nx - 1));
  for (int i = 0; i < g->nx * (g->ny - 1); i++)
    g->vedges[i].road = -1;
  for (int i = 0; i < g->ny * (g->nx - 1); i++)
    g->hedges[i].road = -1;
}

static void
set_up_river (Geo    *g,
              PctRng *rng)
{
  g->river_w = 40 + 110 * sqrt (g->params->scale);
  g->river_a1 = g->H * uniform (rng, 0.03, 0.05);
  g->river_l1 = g->W * uniform (rng, 0.7, 1.1);
  g->river_p1 = uniform (rng, 0, 2 * G_PI);
  g->river_a2 = g->H * 0.008;
  g->river_l2 = g->W * uniform (rng, 0.22, 0.3);
  g->river_p2 = uniform (rng, 0, 2 * G_PI);
  g->river_y0 = g->H * uniform (rng, -0.2, 0.2);

  /* The old town grew on one bank, a little way along the river. */
  g->core_x = g->W * uniform (rng, -0.12, 0.12);
  g->core_y = river_y (g, g->core_x) +
              (pct_rng_chance (rng, 0.5) ? 1 : -1) * (g->river_w / 2 + 2 * BLOCK_SPACING);
}

static gboolean
edge_in_river (Geo      *g,
               gboolean  vertical,
               int       line,
               int       index)
{
  g_autoptr(GArray) pts = g_array_new (FALSE, FALSE, sizeof (Pt));

  edge_points (g, vertical, line, index, FALSE, FALSE, pts);
  for (guint i = 0; i < pts->len; i++)
    if (!river_clear (g, g_array_index (pts, Pt, i).x, g_array_index (pts, Pt, i).y, 5))
      return TRUE;
  return FALSE;
}

static void
add_road (Geo      *g,
          PctRng   *rng,
          gboolean  vertical,
          int       line,
          int       first,
          int       last,
          int       klass)
{
  Road road = { 0 };
  int index = (int) g->roads->len;

  road.klass = klass;
  road.vertical = vertical;
  road.line = line;
  road.first = first;
  road.last = last;
  if (klass == 4 && pct_rng_chance (rng, 0.5))
    road.name = invent_name (g, rng, ordinals[pct_rng_range (rng, 0, G_N_ELEMENTS (ordinals))],
                             road_suffix[klass]);
  else
    road.name = invent_name (g, rng, NULL, road_suffix[klass]);
  g_array_append_val (g->roads, road);

  for (int e = first; e < last; e++)
    {
      Edge *edge = vertical ? &VEDGE (g, line, e) : &HEDGE (g, e, line);
      edge->klass = klass;
      edge->road = index;
    }
}

/* Splits every lattice line into named roads: arterials and main roads run
 * the district's length, branch streets a few blocks, lanes one or two
 * blocks between bigger roads; a lane never crosses the river. */
static void
plan_roads (Geo    *g,
            PctRng *rng,
            PctRng *name_rng)
{
  for (int axis = 0; axis < 2; axis++)
    {
      gboolean vertical = axis == 0;
      int n_lines = vertical ? g->nx : g->ny;
      int n_edges = vertical ? g->ny - 1 : g->nx - 1;
      const guint8 *cls = vertical ? g->vclass : g->hclass;
      const guint8 *cross = vertical ? g->hclass : g->vclass;

      for (int k = 1; k < n_lines - 1; k++)
        {
          int klass = cls[k];

          if (klass <= 2)
            add_road (g, name_rng, vertical, k, 0, n_edges, klass);
          else if (klass == 3)
            {
              int e = 0;
              while (e < n_edges)
                {
                  int run = pick_int (rng, 3, 5);

                  run = MIN (run, n_edges - e);
                  add_road (g, name_rng, vertical, k, e, e + run, 3);
                  e += run;
                }
            }
          else
            {
              int e = 0;
              while (e < n_edges)
                {
                  int end = e + 1;
                  gboolean wet = FALSE;

                  /* Up to the next node where a bigger road (or the
                   * district's edge) crosses. */
                  while (end < n_edges && cross[end] == 4)
                    end++;
                  for (int i = e; i < end && !wet; i++)
                    wet = edge_in_river (g, vertical, k, i);
                  if (!wet)
                    add_road (g, name_rng, vertical, k, e, end, 4);
                  e = end;
                }
            }
        }
    }
}

static void
road_polyline (Geo    *g,
               Road   *road,
               GArray *out)
{
  g_array_set_size (out, 0);
  for (int e = road->first; e < road->last; e++)
    edge_points (g, road->vertical, road->line, e, FALSE, e > road->first, out);
}

typedef struct
{
  int x0, y0, x1, y1;
} Rect;

/* Splits a rectangle of cells into n rectangles of about equal area by
 * halving along the longer side; fewer when it runs out of cells. */
static void
partition (int     x0,
           int     y0,
           int     x1,
           int     y1,
           int     n,
           GArray *out)
{
  int n1 = n / 2;
  Rect rect = { x0, y0, x1, y1 };

  if (n <= 1 || ((x1 - x0) < 2 && (y1 - y0) < 2))
    {
      g_array_append_val (out, rect);
      return;
    }

  if ((x1 - x0) >= (y1 - y0))
    {
      int xm = CLAMP (x0 + (int) round ((double) (x1 - x0) * n1 / n), x0 + 1, x1 - 1);
      partition (x0, y0, xm, y1, n1, out);
      partition (xm, y0, x1, y1, n - n1, out);
    }
  else
    {
      int ym = CLAMP (y0 + (int) round ((double) (y1 - y0) * n1 / n), y0 + 1, y1 - 1);
      partition (x0, y0, x1, ym, n1, out);
      partition (x0, ym, x1, y1, n - n1, out);
    }
}

/* Streets, communities and grid cells, all rectangles of blocks. */
static gboolean
write_regions_and_grid (Geo     *g,
                        PctRng  *rng,
                        GError **error)
{
  const PctGenParams *params = g->params;
  static const char region_sql[] =
    "INSERT INTO regions (code, parent_code, level, name) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (code) DO NOTHING";
  static const char cell_sql[] =
    "INSERT INTO grid_cells (code, name, community_code, polygon, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
  int want_cells = MAX (4, (int) round (LARGE_GRID_CELLS * params->scale));
  int want_streets = CLAMP ((int) round (12 * pow (params->scale, 0.4)), 3, 12);
  double aspect = (double) g->nbx / g->nby;
  double best_score = G_MAXDOUBLE;
  int gx = 2, gy = 2;
  g_autoptr(GArray) street_rects = g_array_new (FALSE, FALSE, sizeof (Rect));
  g_autoptr(GArray) ring = g_array_new (FALSE, FALSE, sizeof (Pt));
  sqlite3_stmt *stmt;

  /* The cell array closest to the wanted count with the district's shape. */
  for (int x = 1; x <= g->nbx; x++)
    {
      int y = CLAMP ((int) round ((double) want_cells / x), 1, g->nby);
      double score = fabs ((double) x * y - want_cells) / want_cells +
                     0.3 * fabs (log (((double) x / y) / aspect));

      if (x * y >= 4 && score < best_score)
        {
          best_score = score;
          gx = x;
          gy = y;
        }
    }

  stmt = pct_store_prepare (g->store, region_sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, "500000", -1, SQLITE_STATIC);
  sqlite3_bind_null (stmt, 2);
  sqlite3_bind_int (stmt, 3, 11);
  sqlite3_bind_text (stmt, 4, "重庆市", -1, SQLITE_STATIC);
  if (!pct_store_step_done (g->store, stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, params->district_code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, "500000", -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, 13);
  sqlite3_bind_text (stmt, 4, "江津区", -1, SQLITE_STATIC);
  if (!pct_store_step_done (g->store, stmt, error))
    return FALSE;

  partition (0, 0, gx, gy, want_streets, street_rects);

  for (guint s = 0; s < street_rects->len; s++)
    {
      const Rect *sr = &g_array_index (street_rects, Rect, s);
      int n_cells = (sr->x1 - sr->x0) * (sr->y1 - sr->y0);
      int want_comm = MIN (n_cells, MAX (MAX (2, (n_cells + 98) / 99), (int) round (n_cells / 12.0)));
      g_autoptr(GArray) comm_rects = g_array_new (FALSE, FALSE, sizeof (Rect));
      Street street;

      street.code = g_strdup_printf ("%s%03u", params->district_code, s + 1);
      street.name = invent_name (g, rng, NULL, "街道");
      g_array_append_val (g->streets, street);

      sqlite3_bind_text (stmt, 1, street.code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, params->district_code, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 3, 23);
      sqlite3_bind_text (stmt, 4, street.name, -1, SQLITE_STATIC);
      if (!pct_store_step_done (g->store, stmt, error))
        return FALSE;

      partition (sr->x0, sr->y0, sr->x1, sr->y1, want_comm, comm_rects);
      for (guint c = 0; c < comm_rects->len; c++)
        {
          const Rect *cr = &g_array_index (comm_rects, Rect, c);
          Community comm;
          int community_index = (int) g->communities->len;
          int serial = 0;

          comm.code = g_strdup_printf ("%s%03u", street.code, c + 1);
          comm.name = invent_name (g, rng, NULL, "社区");
          comm.street = (int) s;
          comm.prefix = g_strdup_printf ("重庆市江津区%s", street.name);
          g_array_append_val (g->communities, comm);

          sqlite3_bind_text (stmt, 1, comm.code, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, street.code, -1, SQLITE_STATIC);
          sqlite3_bind_int (stmt, 3, 31);
          sqlite3_bind_text (stmt, 4, comm.name, -1, SQLITE_STATIC);
          if (!pct_store_step_done (g->store, stmt, error))
            return FALSE;

          /* Cells numbered as a map is read: north row first. */
          for (int cy = cr->y1 - 1; cy >= cr->y0; cy--)
            for (int cx = cr->x0; cx < cr->x1; cx++)
              {
                Cell cell = {
                  .community = community_index,
                  .serial = ++serial,
                  .bi0 = cx * g->nbx / gx,
                  .bi1 = (cx + 1) * g->nbx / gx,
                  .bj0 = cy * g->nby / gy,
                  .bj1 = (cy + 1) * g->nby / gy,
                };
                g_array_append_val (g->cells, cell);
              }
        }
    }

  /* Grid rows once the regions they reference exist. */
  for (guint i = 0; i < g->cells->len; i++)
    {
      Cell *cell = &g_array_index (g->cells, Cell, i);
      const Community *comm = &g_array_index (g->communities, Community, cell->community);
      char code[16];
      g_autofree char *name = NULL;

      g_snprintf (code, sizeof code, "%s%02d", comm->code, cell->serial);
      name = g_strdup_printf ("%s第%d网格", comm->name, cell->serial);

      g_array_set_size (ring, 0);
      for (int k = cell->bi0; k < cell->bi1; k++)
        edge_points (g, FALSE, cell->bj0, k, FALSE, k > cell->bi0, ring);
      for (int l = cell->bj0; l < cell->bj1; l++)
        edge_points (g, TRUE, cell->bi1, l, FALSE, TRUE, ring);
      for (int k = cell->bi1 - 1; k >= cell->bi0; k--)
        edge_points (g, FALSE, cell->bj1, k, TRUE, TRUE, ring);
      for (int l = cell->bj1 - 1; l >= cell->bj0; l--)
        edge_points (g, TRUE, cell->bi0, l, TRUE, TRUE, ring);
      /* The walk ends where it began. */
      g_array_set_size (ring, ring->len - 1);

      stmt = pct_store_prepare (g->store, cell_sql, error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, comm->code, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, coords_json (g, (const Pt *) ring->data, ring->len), -1,
                         SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 5, params->reference_time);
      if (!bind_exec (g->store, stmt, &cell->id, error))
        return FALSE;

      for (int bj = cell->bj0; bj < cell->bj1; bj++)
        for (int bi = cell->bi0; bi < cell->bi1; bi++)
          BLOCK (g, bi, bj).cell = (int) i;
    }

  return TRUE;
}

static gboolean
write_roads (Geo     *g,
             GError **error)
{
  static const char sql[] = "INSERT INTO roads (name, class, geometry) VALUES (?1, ?2, ?3)";
  g_autoptr(GArray) line = g_array_new (FALSE, FALSE, sizeof (Pt));

  if (g->roads->len > 9999)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_FAILED,
                   "%u roads do not fit the 4-digit road field of address codes",
                   g->roads->len);
      return FALSE;
    }

  for (guint i = 0; i < g->roads->len; i++)
    {
      Road *road = &g_array_index (g->roads, Road, i);
      sqlite3_stmt *stmt = pct_store_prepare (g->store, sql, error);

      if (stmt == NULL)
        return FALSE;
      road_polyline (g, road, line);
      sqlite3_bind_text (stmt, 1, road->name, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 2, road->klass);
      sqlite3_bind_text (stmt, 3, coords_json (g, (const Pt *) line->data, line->len), -1,
                         SQLITE_STATIC);
      if (!bind_exec (g->store, stmt, &road->id, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_area (Geo         *g,
            const char  *kind,
            const char  *name,
            const GArray *ring,
            GError     **error)
{
  static const char sql[] = "INSERT INTO areas (kind, name, polygon) VALUES (?1, ?2, ?3)";
  sqlite3_stmt *stmt = pct_store_prepare (g->store, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
  if (name != NULL)
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, coords_json (g, (const Pt *) ring->data, ring->len), -1,
                     SQLITE_STATIC);
  return bind_exec (g->store, stmt, NULL, error);
}

static gboolean
write_river (Geo     *g,
             PctRng  *rng,
             GError **error)
{
  g_autoptr(GArray) ring = g_array_new (FALSE, FALSE, sizeof (Pt));
  const char *name = invent_name (g, rng, NULL, "河");
  int n = 160;

  /* North bank west to east, then the south bank back. */
  for (int side = 0; side < 2; side++)
    for (int i = 0; i <= n; i++)
      {
        double x = -g->W / 2 + g->W * (side == 0 ? i : n - i) / n;
        double slope = river_slope (g, x);
        double norm = hypot (1, slope);
        double off = (side == 0 ? 1 : -1) * g->river_w / 2;
        Pt p = { x - slope / norm * off, river_y (g, x) + off / norm };

        p.x = CLAMP (p.x, -g->W / 2, g->W / 2);
        g_array_append_val (ring, p);
      }

  return write_area (g, "water", name, ring, error);
}

/* Decides what each block becomes and places its buildings: an urban pass
 * outward from the old town until the compound, shop and old-town quotas
 * are met, then villages scattered over what is left up to the total. */
static void
plan_blocks (Geo    *g,
             PctRng *rng)
{
  g_auto(BlockCtx) ctx;
  g_autofree int *order = g_new (int, g->nbx * g->nby);
  gint64 buildings = (gint64) round (LARGE_BUILDINGS * g->params->scale);
  int n = g->nbx * g->nby;

  block_ctx_init (&ctx);

  for (int k = 0; k < N_KINDS; k++)
    {
      g->quota[k] = (gint64) round (buildings * kind_share[k]);
      /* High-rises hold so many rooms that a few extra would show. */
      g->overflow[k] = k == KIND_TOWER ? 0 : g->quota[k] / 4;
    }
  g->quota[KIND_HOUSE] = (gint64) round (g->quota[KIND_HOUSE] * OLD_TOWN_HOUSE_SHARE);

  for (int bj = 0; bj < g->nby; bj++)
    for (int bi = 0; bi < g->nbx; bi++)
      {
        Block *b = &BLOCK (g, bi, bj);
        Pt c[4] = { NODE (g, bi, bj), NODE (g, bi + 1, bj), NODE (g, bi + 1, bj + 1),
                    NODE (g, bi, bj + 1) };
        double r;

        b->cx = (c[0].x + c[1].x + c[2].x + c[3].x) / 4;
        b->cy = (c[0].y + c[1].y + c[2].y + c[3].y) / 4;
        b->compound = -1;
        b->type = river_clear (g, b->cx, b->cy, 0) ? BLOCK_EMPTY : BLOCK_WATER;
        r = hypot ((b->cx - g->core_x) / (g->W / 2), (b->cy - g->core_y) / (g->H / 2));
        b->priority = r + uniform (rng, 0, 0.3);
        order[bj * g->nbx + bi] = bj * g->nbx + bi;
      }

  g_qsort_with_data (order, n, sizeof (int), compare_priority, g->blocks);

  for (int i = 0; i < n; i++)
    {
      Block *b = &g->blocks[order[i]];
      double r = hypot ((b->cx - g->core_x) / (g->W / 2), (b->cy - g->core_y) / (g->H / 2));
      double core = r < 0.15 ? 1.5 : r < 0.35 ? 1.0 : 0.4;
      double weights[5];
      static const BlockType types[5] = { BLOCK_TOWERS, BLOCK_WALKUPS, BLOCK_COMMERCIAL,
                                          BLOCK_OLD_TOWN, BLOCK_PARK };

      if (g->quota[KIND_TOWER] <= 0 && g->quota[KIND_WALKUP] <= 0 &&
          g->quota[KIND_SHOP] <= 0 && g->quota[KIND_HOUSE] <= 0)
        break;
      if (b->type == BLOCK_WATER)
        continue;

      block_ctx_load (g, &ctx, order[i] % g->nbx, order[i] / g->nbx);
      if (!block_has_road (&ctx))
        continue;

      /* Each kind is wanted in proportion to what is still missing of it
       * over what one block of it holds; high-rises crowd the centre. */
      weights[0] = MAX (g->quota[KIND_TOWER], 0) / 5.0 * core * core;
      weights[1] = MAX (g->quota[KIND_WALKUP], 0) / 14.0;
      weights[2] = MAX (g->quota[KIND_SHOP], 0) / 15.0 * core;
      weights[3] = MAX (g->quota[KIND_HOUSE], 0) / 45.0 / core;
      weights[4] = (weights[0] + weights[1] + weights[2] + weights[3]) *
                   (river_clear (g, b->cx, b->cy, 120) ? 0.04 : 0.5);

      develop_block (g, &ctx, rng, types[pct_rng_weighted (rng, weights, 5)]);
    }

  /* Villages make up the district's total, whatever the town overshot. */
  g->quota[KIND_HOUSE] = buildings - g->buildings->len;

  /* Villages: over the remaining land in a random order. */
  for (int i = 0; i < n; i++)
    g->blocks[i].priority = pct_rng_double (rng);
  g_qsort_with_data (order, n, sizeof (int), compare_priority, g->blocks);
  for (int i = 0; i < n && g->quota[KIND_HOUSE] > 0; i++)
    {
      Block *b = &g->blocks[order[i]];

      if (b->type != BLOCK_EMPTY)
        continue;
      block_ctx_load (g, &ctx, order[i] % g->nbx, order[i] / g->nbx);
      if (block_has_road (&ctx))
        develop_block (g, &ctx, rng, BLOCK_VILLAGE);
    }
}

static gboolean
write_blocks_and_compounds (Geo     *g,
                            PctRng  *rng,
                            GError **error)
{
  g_auto(BlockCtx) ctx;
  g_autoptr(GArray) ring = g_array_new (FALSE, FALSE, sizeof (Pt));

  block_ctx_init (&ctx);

  for (int bj = 0; bj < g->nby; bj++)
    for (int bi = 0; bi < g->nbx; bi++)
      {
        Block *b = &BLOCK (g, bi, bj);
        double d[4];

        /* Blocks the river covers are land too; the water is drawn over. */
        block_ctx_load (g, &ctx, bi, bj);

        for (int s = 0; s < 4; s++)
          d[s] = ctx.klass[s] > 0 ? half_width[ctx.klass[s]] + 1 : 0;
        block_inset (&ctx, d, ring);
        if (!write_area (g, "block", NULL, ring, error))
          return FALSE;

        if (b->type == BLOCK_PARK)
          {
            for (int s = 0; s < 4; s++)
              d[s] = ctx.d[s] - 4;
            block_inset (&ctx, d, ring);
            if (!write_area (g, "green", invent_name (g, rng, NULL, "公园"), ring, error))
              return FALSE;
          }
        else if (b->type == BLOCK_WALKUPS || b->type == BLOCK_TOWERS)
          {
            Compound compound = { 0 };
            const char *suffix = compound_suffixes[pct_rng_range (rng, 0,
                                                                  G_N_ELEMENTS (compound_suffixes))];

            compound.name = invent_name (g, rng, NULL, suffix);
            compound.block = ctx.index;
            compound.gate_side = main_side (&ctx);
            compound.gate_door = -1;
            b->compound = (int) g->compounds->len;
            g_array_append_val (g->compounds, compound);

            /* The wall runs 3 m inside the building line. */
            for (int s = 0; s < 4; s++)
              d[s] = ctx.d[s] + 3;
            block_inset (&ctx, d, ring);
            if (!write_area (g, "compound", compound.name, ring, error))
              return FALSE;
          }
      }

  return TRUE;
}

typedef struct
{
  int      road;
  int      edge;      /* index along the lattice line */
  int      block;
  gboolean left;
  double   t0, t1;
  double   weight;
  int      min;       /* doors it must have */
} Frontage;

static void
add_frontage (GArray         *out,
              const Frontage *proto,
              double          t0,
              double          t1)
{
  Frontage f = *proto;

  if (t1 - t0 < MIN_DOOR_GAP)
    return;
  f.t0 = t0;
  f.t1 = t1;
  f.weight *= t1 - t0;
  g_array_append_val (out, f);
}

/* Where doors go: both sides of every road edge beside land, clear of the
 * intersections and of the river, weighted by what the block holds. */
static GArray *
collect_frontage (Geo *g)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (Frontage));
  g_autoptr(GArray) pts = g_array_new (FALSE, FALSE, sizeof (Pt));

  for (guint r = 0; r < g->roads->len; r++)
    {
      const Road *road = &g_array_index (g->roads, Road, r);
      const guint8 *cross = road->vertical ? g->hclass : g->vclass;

      for (int e = road->first; e < road->last; e++)
        {
          double len, c0, c1;
          gboolean near_river = FALSE;

          g_array_set_size (pts, 0);
          edge_points (g, road->vertical, road->line, e, FALSE, FALSE, pts);
          len = polyline_length (pts);
          c0 = half_width[cross[e]] + DOOR_CORNER_CLEARANCE;
          c1 = half_width[cross[e + 1]] + DOOR_CORNER_CLEARANCE;
          for (guint i = 0; i < pts->len && !near_river; i++)
            near_river = !river_clear (g, g_array_index (pts, Pt, i).x,
                                       g_array_index (pts, Pt, i).y, 40);

          for (int side = 0; side < 2; side++)
            {
              gboolean left = side == 0;
              int bi, bj;
              const Block *b;
              Frontage f = { 0 };

              /* Left of a northbound road is west, of an eastbound north. */
              if (road->vertical)
                {
                  bi = left ? road->line - 1 : road->line;
                  bj = e;
                }
              else
                {
                  bi = e;
                  bj = left ? road->line : road->line - 1;
                }
              b = &BLOCK (g, bi, bj);
              if (b->type == BLOCK_WATER)
                continue;

              f.road = (int) r;
              f.edge = e;
              f.block = bj * g->nbx + bi;
              f.left = left;
              /* Land with nothing built on it gets a door only when the
               * built-up frontage cannot hold them all: a yard gate, a kiosk. */
              f.min = b->n_buildings > 0 ? 1 : 0;
              f.weight = b->n_buildings > 0 ? door_weight[b->type] : 0.02;

              if (!near_river)
                {
                  add_frontage (out, &f, c0, len - c1);
                  continue;
                }

              /* Near the river, only the dry stretches of the roadside. */
              {
                double start = -1, t;

                for (t = c0; t <= len - c1; t += 2)
                  {
                    Pt p, tan;
                    double sign = left ? 12.5 : -12.5;
                    gboolean dry;

                    polyline_at (pts, t, &p, &tan);
                    dry = river_clear (g, p.x - tan.y * sign, p.y + tan.x * sign, 4);
                    if (dry && start < 0)
                      start = t;
                    else if (!dry && start >= 0)
                      {
                        add_frontage (out, &f, start, t - 2);
                        start = -1;
                      }
                  }
                if (start >= 0)
                  add_frontage (out, &f, start, t - 2);
              }
            }
        }
    }

  return out;
}

/* Shares want doors over the frontages by weight, at least their minimum
 * and at most one every MIN_DOOR_GAP metres each; what a full frontage
 * cannot take goes round again to the others. */
static int *
share_doors (GArray *frontage,
             gint64  want)
{
  int *count = g_new0 (int, MAX (frontage->len, 1));
  gint64 assigned = 0;

  for (guint i = 0; i < frontage->len; i++)
    {
      count[i] = g_array_index (frontage, Frontage, i).min;
      assigned += count[i];
    }

  for (int pass = 0; pass < 8 && assigned < want; pass++)
    {
      double total = 0, acc = 0, unit;
      gint64 rest = want - assigned;

      for (guint i = 0; i < frontage->len; i++)
        {
          const Frontage *f = &g_array_index (frontage, Frontage, i);

          if (count[i] < (int) ((f->t1 - f->t0) / MIN_DOOR_GAP) + 1)
            total += f->weight;
        }
      if (total <= 0)
        break;
      unit = total / rest;

      for (guint i = 0; i < frontage->len; i++)
        {
          const Frontage *f = &g_array_index (frontage, Frontage, i);
          int cap = (int) ((f->t1 - f->t0) / MIN_DOOR_GAP) + 1;
          double before = floor (acc / unit + 1e-9);
          int extra;

          if (count[i] >= cap)
            continue;
          acc += f->weight;
          extra = MIN ((int) (floor (acc / unit + 1e-9) - before), cap - count[i]);
          count[i] += extra;
          assigned += extra;
        }
    }

  return count;
}

static void
plan_doors (Geo    *g,
            PctRng *rng,
            gint64  want)
{
  g_autoptr(GArray) frontage = collect_frontage (g);
  g_autoptr(GArray) pts = g_array_new (FALSE, FALSE, sizeof (Pt));
  g_autofree int *left_count = g_new0 (int, g->roads->len);
  g_autofree int *right_count = g_new0 (int, g->roads->len);
  g_autofree int *counts = share_doors (frontage, want);
  int nb = g->nbx * g->nby;

  for (guint i = 0; i < frontage->len; i++)
    {
      const Frontage *f = &g_array_index (frontage, Frontage, i);
      const Road *road = &g_array_index (g->roads, Road, f->road);
      int count = counts[i];
      double spacing, jitter;

      g_array_set_size (pts, 0);
      edge_points (g, road->vertical, road->line, f->edge, FALSE, FALSE, pts);

      spacing = (f->t1 - f->t0) / count;
      /* Jitter, but never so much that neighbours come closer than the gap. */
      jitter = CLAMP ((spacing - MIN_DOOR_GAP) / (2 * spacing), 0.0, 0.3);

      for (int j = 0; j < count; j++)
        {
          double t = f->t0 + (j + 0.5 + uniform (rng, -jitter, jitter)) * spacing;
          double offset = road->klass == 1 ? uniform (rng, 13, 15) : uniform (rng, 10, 13);
          double sign = f->left ? 1 : -1;
          Door door = { 0 };
          Pt p, tan;

          polyline_at (pts, t, &p, &tan);
          door.x = p.x - tan.y * offset * sign;
          door.y = p.y + tan.x * offset * sign;
          if (!river_clear (g, door.x, door.y, 3))
            continue;

          door.road = f->road;
          door.block = f->block;
          door.left = f->left;
          door.compound = -1;
          door.number = f->left ? 2 * ++left_count[f->road] - 1 : 2 * ++right_count[f->road];
          g_array_append_val (g->doors, door);
        }
    }

  /* Each block's doors, by counting sort. */
  g->block_door_start = g_new0 (int, nb + 1);
  g->block_doors = g_new (int, MAX (g->doors->len, 1));
  for (guint i = 0; i < g->doors->len; i++)
    g->block_door_start[g_array_index (g->doors, Door, i).block + 1]++;
  for (int b = 0; b < nb; b++)
    g->block_door_start[b + 1] += g->block_door_start[b];
  {
    g_autofree int *fill = g_memdup2 (g->block_door_start, sizeof (int) * nb);

    for (guint i = 0; i < g->doors->len; i++)
      g->block_doors[fill[g_array_index (g->doors, Door, i).block]++] = (int) i;
  }
}

static int
nearest_door (Geo    *g,
              int     block,
              double  x,
              double  y)
{
  int best = -1;
  double best_d = G_MAXDOUBLE;

  for (int i = g->block_door_start[block]; i < g->block_door_start[block + 1]; i++)
    {
      const Door *door = &g_array_index (g->doors, Door, g->block_doors[i]);
      double d = hypot (door->x - x, door->y - y);

      if (d < best_d)
        {
          best_d = d;
          best = g->block_doors[i];
        }
    }
  return best;
}

/* Compounds open through a gate on their main road; other buildings take
 * the door nearest their front. */
static void
assign_doors (Geo *g)
{
  g_auto(BlockCtx) ctx;

  block_ctx_init (&ctx);

  for (guint i = 0; i < g->compounds->len; i++)
    {
      Compound *compound = &g_array_index (g->compounds, Compound, i);
      Pt p, tan;

      block_ctx_load (g, &ctx, compound->block % g->nbx, compound->block / g->nbx);
      polyline_at (ctx.side[compound->gate_side], ctx.len[compound->gate_side] / 2, &p, &tan);
      compound->gate_door = nearest_door (g, compound->block, p.x, p.y);
      if (compound->gate_door >= 0)
        g_array_index (g->doors, Door, compound->gate_door).compound = (int) i;
    }

  for (guint i = 0; i < g->buildings->len; i++)
    {
      Building *b = &g_array_index (g->buildings, Building, i);
      const Block *block = &g->blocks[b->block];

      if (block->compound >= 0)
        {
          b->compound = block->compound;
          b->door = g_array_index (g->compounds, Compound, block->compound).gate_door;
        }
      else
        b->door = nearest_door (g, b->block, b->cx + b->uy * b->h / 2, b->cy - b->ux * b->h / 2);
    }
}

/* Floors, units and rooms, steered so the district's rooms come close to
 * their target whatever mix of kinds the blocks produced. Each high-rise
 * holds as many rooms as dozens of houses, so they come last and share
 * what the others left of the target, within their own ranges. */
static void
plan_floors (Geo    *g,
             PctRng *rng)
{
  guint n = g->buildings->len;
  g_autofree guint *order = g_new (guint, MAX (n, 1));
  double target = LARGE_ROOMS * g->params->scale;
  double per_building;
  guint n_towers = 0, towers_left, done = 0;
  gint64 rooms = 0;

  for (guint i = 0; i < n; i++)
    {
      order[i] = i;
      if (g_array_index (g->buildings, Building, i).kind == KIND_TOWER)
        n_towers++;
    }
  for (guint i = n; i > 1; i--)
    {
      guint j = (guint) pct_rng_range (rng, 0, i);
      guint tmp = order[i - 1];
      order[i - 1] = order[j];
      order[j] = tmp;
    }

  /* A high-rise averages 22 floors × 3 units × 3 rooms. */
  per_building = MAX (target - n_towers * 198.0, n) / MAX (n - n_towers, 1);
  towers_left = n_towers;
  g->n_units = 0;

  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      {
        Building *b = &g_array_index (g->buildings, Building, order[i]);
        double bias = CLAMP ((per_building * done - rooms) / (per_building * 5), -1.0, 1.0);
        double basement = 0;

        if ((b->kind == KIND_TOWER) != (pass == 1))
          continue;

        switch (b->kind)
          {
          case KIND_HOUSE:
            b->use = b->ground_shops ? USE_MIXED : USE_RESIDENTIAL;
            b->floors_above = pick_biased (rng, 2, 4, bias);
            b->rooms_per_floor = pick_biased (rng, 1, 2, bias);
            basement = 0.15;
            break;
          case KIND_WALKUP:
            b->use = b->ground_shops ? USE_MIXED : USE_RESIDENTIAL;
            b->floors_above = pick_biased (rng, 6, 7, bias);
            b->rooms_per_floor = 2;
            basement = 0.35;
            break;
          case KIND_TOWER:
            {
              double want = MAX (target - rooms, 0) / towers_left--;
              double floors;

              b->ground_shops = pct_rng_chance (rng, 0.15);
              b->use = b->ground_shops ? USE_MIXED : USE_RESIDENTIAL;
              b->rooms_per_floor = pick_int (rng, 2, 4);
              floors = round (want / (b->units * b->rooms_per_floor) * uniform (rng, 0.85, 1.15));
              b->floors_above = (int) CLAMP (floors, 11, 33);
              basement = 0.9;
            }
            break;
          case KIND_SHOP:
          case N_KINDS:
          default:
            {
              static const double use_weights[] = { 0.8, 0.1, 0.05, 0.05 };
              static const Use uses[] = { USE_COMMERCIAL, USE_OFFICE, USE_PUBLIC,
                                          USE_INDUSTRIAL };

              b->use = uses[pct_rng_weighted (rng, use_weights, G_N_ELEMENTS (use_weights))];
              b->ground_shops = b->use == USE_COMMERCIAL;
              b->floors_above = b->use == USE_OFFICE ? pick_biased (rng, 3, 6, bias)
                                                     : pick_biased (rng, 1, 3, bias);
              b->rooms_per_floor = pick_biased (rng, 1, 3, bias);
              basement = 0.3;
            }
            break;
          }

        b->floors_below = pct_rng_chance (rng, basement) ? pick_int (rng, 1, 2) : 0;
        rooms += (gint64) b->units * (b->floors_above * b->rooms_per_floor + b->floors_below);
        g->n_units += b->units;
        done++;
      }

  g->n_rooms = rooms;
}

/* Writing */

typedef struct
{
  const char *code;
  const char *kind;
  gint64      parent_id;
  const char *region_code;
  gint64      road_id;
  const char *door_number;
  const char *compound;
  const char *building_no;
  const char *unit_no;
  const char *display;
  double      x, y;
  gint64      grid_id;
} AddressRow;

static gboolean
insert_address (Geo               *g,
                const AddressRow  *row,
                gint64            *id,
                GError           **error)
{
  static const char sql[] =
    "INSERT INTO temp.pct_gen_addresses (id, " ADDRESS_COLUMNS ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
  sqlite3_stmt *stmt = pct_store_prepare (g->store, sql, error);
  gint64 new_id = ++g->last_id[STAGED_ADDRESSES];
  double lon, lat;

  if (stmt == NULL)
    return FALSE;

  pct_geo_frame_to_lonlat (&g->frame, row->x, row->y, &lon, &lat);
  sqlite3_bind_int64 (stmt, 1, new_id);
  sqlite3_bind_text (stmt, 2, row->code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, row->kind, -1, SQLITE_STATIC);
  if (row->parent_id > 0)
    sqlite3_bind_int64 (stmt, 4, row->parent_id);
  sqlite3_bind_text (stmt, 5, row->region_code, -1, SQLITE_STATIC);
  if (row->road_id > 0)
    sqlite3_bind_int64 (stmt, 6, row->road_id);
  sqlite3_bind_text (stmt, 7, row->door_number, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, row->compound, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, row->building_no, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, row->unit_no, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 11, row->display, -1, SQLITE_STATIC);
  sqlite3_bind_double (stmt, 12, lon);
  sqlite3_bind_double (stmt, 13, lat);
  sqlite3_bind_int64 (stmt, 14, row->grid_id);
  sqlite3_bind_int64 (stmt, 15, g->params->reference_time);

  if (!pct_store_step_done (g->store, stmt, error))
    return FALSE;
  if (id != NULL)
    *id = new_id;
  advance (g);
  return TRUE;
}

static void
plate_token (PctRng *rng,
             char    token[27])
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  guint64 bits = 0;
  int avail = 0;

  for (int i = 0; i < 26; i++)
    {
      if (avail < 5)
        {
          bits = pct_rng_next (rng);
          avail = 64;
        }
      token[i] = alphabet[bits & 31];
      bits >>= 5;
      avail -= 5;
    }
  token[26] = '\0';
}

static gboolean
insert_plate (Geo         *g,
              gint64       address_id,
              const char  *status,
              const char  *size,
              gint64       issued_at,
              gint64       installed_at,
              gint64       replaced_by,
              gint64      *id,
              GError     **error)
{
  static const char sql[] =
    "INSERT INTO temp.pct_gen_plates (id, " PLATE_COLUMNS ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
  sqlite3_stmt *stmt = pct_store_prepare (g->store, sql, error);
  gint64 new_id = ++g->last_id[STAGED_PLATES];
  char token[27];

  if (stmt == NULL)
    return FALSE;
  plate_token (&g->plate_rng, token);
  sqlite3_bind_int64 (stmt, 1, new_id);
  sqlite3_bind_int64 (stmt, 2, address_id);
  sqlite3_bind_text (stmt, 3, token, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, status, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, size, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, issued_at);
  if (installed_at > 0)
    sqlite3_bind_int64 (stmt, 7, installed_at);
  if (replaced_by > 0)
    sqlite3_bind_int64 (stmt, 8, replaced_by);
  sqlite3_bind_int64 (stmt, 9, installed_at > 0 ? installed_at : issued_at);
  if (!pct_store_step_done (g->store, stmt, error))
    return FALSE;
  if (id != NULL)
    *id = new_id;
  advance (g);
  return TRUE;
}

/* A plate's life: most are up, some never made it, some are damaged, and a
 * few were lost or revoked and replaced by a new one with a new token. */
static gboolean
write_plates (Geo         *g,
              gint64       address_id,
              const char  *size,
              GError     **error)
{
  PctRng *rng = &g->plate_rng;
  gint64 now = g->params->reference_time;
  double u = pct_rng_double (rng);
  gint64 issued, installed, new_id = 0;

  if (u < 0.10)
    return TRUE;

  issued = now - pct_rng_range (rng, 60 * DAY, 6 * YEAR);
  installed = issued + pct_rng_range (rng, 3 * DAY, 60 * DAY);
  installed = MIN (installed, now - DAY);

  if (u < 0.13)
    return insert_plate (g, address_id, "damaged", size, issued, installed, 0, NULL, error);
  if (u < 0.14)
    {
      gint64 old_issued = now - pct_rng_range (rng, 3 * YEAR, 7 * YEAR);
      gint64 old_installed = old_issued + pct_rng_range (rng, 3 * DAY, 60 * DAY);
      const char *old_status = pct_rng_chance (rng, 0.6) ? "lost" : "revoked";

      issued = now - pct_rng_range (rng, 30 * DAY, 2 * YEAR);
      installed = issued + pct_rng_range (rng, 3 * DAY, 30 * DAY);
      installed = MIN (installed, now - DAY);
      return insert_plate (g, address_id, "installed", size, issued, installed, 0, &new_id,
                           error) &&
             insert_plate (g, address_id, old_status, size, old_issued, old_installed, new_id,
                           NULL, error);
    }
  if (u < 0.15)
    return insert_plate (g, address_id, "printed", size, now - pct_rng_range (rng, DAY, 60 * DAY),
                         0, 0, NULL, error);
  return insert_plate (g, address_id, "installed", size, issued, installed, 0, NULL, error);
}

static const Cell *
block_cell (Geo *g,
            int  block)
{
  return &g_array_index (g->cells, Cell, g->blocks[block].cell);
}

static gboolean
write_doors (Geo     *g,
             PctRng  *rng,
             GError **error)
{
  g_autoptr(GHashTable) serials = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autofree int *chosen = NULL;
  gint64 n_dup = (gint64) round (g->doors->len * DUPLICATE_RATE);
  guint n = g->doors->len;

  for (guint i = 0; i < n; i++)
    {
      Door *door = &g_array_index (g->doors, Door, i);
      const Road *road = &g_array_index (g->roads, Road, door->road);
      const Cell *cell = block_cell (g, door->block);
      const Community *comm = &g_array_index (g->communities, Community, cell->community);
      gpointer key = GINT_TO_POINTER (cell->community * 10000 + door->road);
      int serial = GPOINTER_TO_INT (g_hash_table_lookup (serials, key)) + 1;
      char number[16];
      g_autofree char *code = NULL;
      AddressRow row = { 0 };

      g_hash_table_insert (serials, key, GINT_TO_POINTER (serial));
      door->code = g_strdup_printf ("%s%04d%04d", comm->code, door->road + 1, serial);
      g_snprintf (number, sizeof number, "%d号", door->number);
      door->display = g_strdup_printf ("%s %s %s", comm->prefix, road->name, number);
      code = g_strconcat (door->code, "00000", NULL);

      row.code = code;
      row.kind = "door";
      row.region_code = comm->code;
      row.road_id = road->id;
      row.door_number = number;
      row.compound = door->compound >= 0
                       ? g_array_index (g->compounds, Compound, door->compound).name : NULL;
      row.display = door->display;
      row.x = door->x;
      row.y = door->y;
      row.grid_id = cell->id;
      if (!insert_address (g, &row, &door->id, error))
        return FALSE;
      if (!write_plates (g, door->id, road->klass == 1 ? "large" : "medium", error))
        return FALSE;
    }

  /* The duplicate defect: a partial shuffle picks exactly n_dup doors. */
  chosen = g_new (int, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    chosen[i] = (int) i;
  for (gint64 i = 0; i < n_dup; i++)
    {
      guint j = (guint) pct_rng_range (rng, i, n);
      int tmp = chosen[i];
      chosen[i] = chosen[j];
      chosen[j] = tmp;
    }
  for (gint64 i = 0; i < n_dup; i++)
    {
      const Door *door = &g_array_index (g->doors, Door, chosen[i]);
      const Road *road = &g_array_index (g->roads, Road, door->road);
      const Cell *cell = block_cell (g, door->block);
      const Community *comm = &g_array_index (g->communities, Community, cell->community);
      gpointer key = GINT_TO_POINTER (cell->community * 10000 + door->road);
      int serial = GPOINTER_TO_INT (g_hash_table_lookup (serials, key)) + 1;
      double angle = uniform (rng, 0, 2 * G_PI), dist = uniform (rng, 0.5, 2.5);
      g_autofree char *code = g_strdup_printf ("%s%04d%04d00000", comm->code, door->road + 1,
                                               serial);
      g_autofree char *number = g_strdup_printf ("%d号", door->number);
      AddressRow row = { 0 };

      g_hash_table_insert (serials, key, GINT_TO_POINTER (serial));
      row.code = code;
      row.kind = "door";
      row.region_code = comm->code;
      row.road_id = road->id;
      row.door_number = number;
      row.compound = door->compound >= 0
                       ? g_array_index (g->compounds, Compound, door->compound).name : NULL;
      row.display = door->display;
      row.x = door->x + dist * cos (angle);
      row.y = door->y + dist * sin (angle);
      row.grid_id = cell->id;
      if (!insert_address (g, &row, NULL, error))
        return FALSE;
    }

  return _pct_gen_note_defect (g->store, "duplicate_addresses", n_dup, error);
}

static const char *
pick_occupancy (PctRng *rng,
                gboolean commercial)
{
  static const char * const names[] = { "owner", "rented", "crowded", "vacant", "business",
                                        "unverified" };
  static const double homes[] = { 0.57, 0.26, 0.03, 0.12, 0.0, 0.02 };
  static const double shops[] = { 0.05, 0.2, 0.0, 0.2, 0.55, 0.0 };

  return names[pct_rng_weighted (rng, commercial ? shops : homes, G_N_ELEMENTS (names))];
}

static gboolean
write_rooms (Geo            *g,
             PctRng         *rng,
             const Building *b,
             int             unit,
             const char     *unit_code,
             GError        **error)
{
  static const char sql[] =
    "INSERT INTO temp.pct_gen_rooms (id, " ROOM_COLUMNS ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
  gboolean upper_offices = b->use == USE_OFFICE || (b->kind == KIND_SHOP && (b->id % 2) == 0);

  for (int level = -b->floors_below; level <= b->floors_above; level++)
    {
      int per_floor = level < 0 ? 1 : b->rooms_per_floor;

      if (level == 0)
        continue;

      for (int r = 1; r <= per_floor; r++)
        {
          sqlite3_stmt *stmt = pct_store_prepare (g->store, sql, error);
          char code[40], room_no[16];
          const char *use, *occupancy;
          double area;

          if (stmt == NULL)
            return FALSE;

          if (level < 0)
            {
              g_snprintf (code, sizeof code, "%s%04d", unit_code, 9000 - level * 100 + r);
              g_snprintf (room_no, sizeof room_no, "B%d%02d", -level, r);
              use = b->kind == KIND_HOUSE ? "storage" : "parking";
              occupancy = pick_occupancy (rng, FALSE);
              if (g_str_equal (occupancy, "crowded") || g_str_equal (occupancy, "business"))
                occupancy = "owner";
            }
          else
            {
              g_snprintf (code, sizeof code, "%s%04d", unit_code, level * 100 + r);
              g_snprintf (room_no, sizeof room_no, "%d", level * 100 + r);
              if (b->use == USE_PUBLIC)
                {
                  use = "public";
                  occupancy = "owner";
                }
              else if (b->use == USE_INDUSTRIAL)
                {
                  use = level == 1 ? "storage" : "office";
                  occupancy = pct_rng_chance (rng, 0.8) ? "business" : "vacant";
                }
              else if (level == 1 && b->ground_shops)
                {
                  use = "commercial";
                  occupancy = pick_occupancy (rng, TRUE);
                }
              else if (upper_offices)
                {
                  use = "office";
                  occupancy = pick_occupancy (rng, TRUE);
                }
              else
                {
                  use = "residential";
                  occupancy = pick_occupancy (rng, FALSE);
                }
            }

          area = pct_rng_normal (rng, 90, 22);
          area = round (CLAMP (area, 40, 140) * 10) / 10;

          sqlite3_bind_int64 (stmt, 1, ++g->last_id[STAGED_ROOMS]);
          sqlite3_bind_int64 (stmt, 2, b->id);
          sqlite3_bind_text (stmt, 3, code, -1, SQLITE_STATIC);
          sqlite3_bind_int (stmt, 4, unit);
          sqlite3_bind_int (stmt, 5, level);
          sqlite3_bind_text (stmt, 6, room_no, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 7, use, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 8, occupancy, -1, SQLITE_STATIC);
          sqlite3_bind_double (stmt, 9, area);
          sqlite3_bind_int64 (stmt, 10, g->params->reference_time);
          if (!pct_store_step_done (g->store, stmt, error))
            return FALSE;
          advance (g);
        }
    }

  return TRUE;
}

static gboolean
write_buildings (Geo     *g,
                 PctRng  *rng,
                 GError **error)
{
  static const char sql[] =
    "INSERT INTO temp.pct_gen_buildings (id, " BUILDING_COLUMNS ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

  for (guint i = 0; i < g->buildings->len; i++)
    {
      Building *b = &g_array_index (g->buildings, Building, i);
      Door *door = &g_array_index (g->doors, Door, b->door);
      const Road *road = &g_array_index (g->roads, Road, door->road);
      const Cell *cell = block_cell (g, b->block);
      const Community *comm = &g_array_index (g->communities, Community, cell->community);
      const char *compound = b->compound >= 0
                               ? g_array_index (g->compounds, Compound, b->compound).name : NULL;
      g_autofree char *code = NULL, *name = NULL, *display = NULL, *number = NULL;
      AddressRow row = { 0 };
      sqlite3_stmt *stmt;
      Pt corners[4];
      double lon, lat;

      b->number = ++door->n_buildings;
      if (b->number > 999)
        {
          g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_FAILED,
                       "More than 999 buildings behind %s", door->display);
          return FALSE;
        }
      code = g_strdup_printf ("%s%03d00", door->code, b->number);
      name = g_strdup_printf ("%d栋", b->number);
      number = g_strdup_printf ("%d号", door->number);
      display = g_strdup_printf ("%s %s", door->display, name);

      row.code = code;
      row.kind = "building";
      row.parent_id = door->id;
      row.region_code = comm->code;
      row.road_id = road->id;
      row.door_number = number;
      row.compound = compound;
      row.building_no = name;
      row.display = display;
      row.x = b->cx;
      row.y = b->cy;
      row.grid_id = cell->id;
      if (!insert_address (g, &row, &b->address_id, error) ||
          !write_plates (g, b->address_id, "building", error))
        return FALSE;

      stmt = pct_store_prepare (g->store, sql, error);
      if (stmt == NULL)
        return FALSE;
      building_corners (b, corners);
      pct_geo_frame_to_lonlat (&g->frame, b->cx, b->cy, &lon, &lat);
      b->id = ++g->last_id[STAGED_BUILDINGS];
      sqlite3_bind_int64 (stmt, 1, b->id);
      sqlite3_bind_int64 (stmt, 2, b->address_id);
      sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, use_names[b->use], -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 5, b->floors_above);
      sqlite3_bind_int (stmt, 6, b->floors_below);
      sqlite3_bind_int (stmt, 7, b->units);
      sqlite3_bind_text (stmt, 8, coords_json (g, corners, 4), -1, SQLITE_STATIC);
      sqlite3_bind_double (stmt, 9, lon);
      sqlite3_bind_double (stmt, 10, lat);
      sqlite3_bind_int64 (stmt, 11, cell->id);
      sqlite3_bind_int64 (stmt, 12, g->params->reference_time);
      if (!pct_store_step_done (g->store, stmt, error))
        return FALSE;

      for (int u = 1; u <= b->units; u++)
        {
          g_autofree char *unit_code = g_strdup_printf ("%s%03d%02d", door->code, b->number, u);
          g_autofree char *unit_no = g_strdup_printf ("%d单元", u);
          g_autofree char *unit_display = g_strdup_printf ("%s %s", display, unit_no);
          /* The entrance: on the front face, half a metre in. */
          double along = -b->w / 2 + (u - 0.5) * b->w / b->units;
          double back = -(b->h / 2 - 0.5);
          AddressRow unit_row = row;
          gint64 unit_id = 0;

          unit_row.code = unit_code;
          unit_row.kind = "unit";
          unit_row.parent_id = b->address_id;
          unit_row.unit_no = unit_no;
          unit_row.display = unit_display;
          unit_row.x = b->cx + b->ux * along - b->uy * back;
          unit_row.y = b->cy + b->uy * along + b->ux * back;
          if (!insert_address (g, &unit_row, &unit_id, error) ||
              !write_plates (g, unit_id, "unit", error) ||
              !write_rooms (g, rng, b, u, unit_code, error))
            return FALSE;
        }
    }

  return TRUE;
}

static void
add_facility (Geo          *g,
              FacilityKind  kind,
              double        x,
              double        y,
              int           building,
              int           road,
              int           road2)
{
  Facility f = { kind, x, y, building, road, road2 };

  g_array_append_val (g->facilities, f);
}

static gboolean
edge_is_built_up (Geo      *g,
                  gboolean  vertical,
                  int       line,
                  int       e)
{
  const Block *a = vertical ? &BLOCK (g, line - 1, e) : &BLOCK (g, e, line);
  const Block *b = vertical ? &BLOCK (g, line, e) : &BLOCK (g, e, line - 1);

  return a->n_buildings > 0 || b->n_buildings > 0;
}

/* Out in the fields the lanes and most branch streets were never built:
 * a road with nothing along it goes, unless it is a main road. */
static void
prune_roads (Geo    *g,
             PctRng *rng)
{
  g_autofree int *map = g_new (int, MAX (g->roads->len, 1));
  GArray *kept = g_array_new (FALSE, FALSE, sizeof (Road));

  for (guint r = 0; r < g->roads->len; r++)
    {
      Road *road = &g_array_index (g->roads, Road, r);
      gboolean used = road->klass <= 2;

      for (int e = road->first; e < road->last && !used; e++)
        {
          const Block *a = road->vertical ? &BLOCK (g, road->line - 1, e) : &BLOCK (g, e, road->line);
          const Block *b = road->vertical ? &BLOCK (g, road->line, e) : &BLOCK (g, e, road->line - 1);

          used = a->n_buildings > 0 || b->n_buildings > 0 ||
                 a->type == BLOCK_PARK || b->type == BLOCK_PARK;
        }
      if (!used && road->klass == 3)
        used = pct_rng_chance (rng, 0.4);

      if (used)
        {
          map[r] = (int) kept->len;
          g_array_append_val (kept, *road);
        }
      else
        map[r] = -1;
    }

  for (int i = 0; i < g->nx * (g->ny - 1); i++)
    if (g->vedges[i].road >= 0 && (g->vedges[i].road = map[g->vedges[i].road]) < 0)
      g->vedges[i].klass = 0;
  for (int i = 0; i < g->ny * (g->nx - 1); i++)
    if (g->hedges[i].road >= 0 && (g->hedges[i].road = map[g->hedges[i].road]) < 0)
      g->hedges[i].klass = 0;

  g_array_unref (g->roads);
  g->roads = kept;
}

typedef struct
{
  int    k, l;
  double score;
} Crossing;

static int
compare_crossings (gconstpointer a,
                   gconstpointer b)
{
  const Crossing *ca = a, *cb = b;

  if (ca->score != cb->score)
    return ca->score < cb->score ? -1 : 1;
  if (ca->k != cb->k)
    return ca->k - cb->k;
  return ca->l - cb->l;
}

/* Covers and hydrants every 50–150 m along built-up streets, cameras at
 * the biggest crossings, extinguishers and exits in the larger buildings;
 * the building ones make up what the streets leave of the budget. */
static void
plan_facilities (Geo    *g,
                 PctRng *rng)
{
  gint64 budget = (gint64) round (LARGE_FACILITIES * g->params->scale);
  gint64 want_cameras = (gint64) round (0.08 * budget);
  gint64 want_covers = (gint64) round (0.45 * budget);
  gint64 want_hydrants = (gint64) round (0.15 * budget);
  g_autoptr(GArray) pts = g_array_new (FALSE, FALSE, sizeof (Pt));
  g_autoptr(GArray) crossings = g_array_new (FALSE, FALSE, sizeof (Crossing));
  double built_length = 0, cover_step, hydrant_step, total_weight = 0, acc;
  gint64 rest, want_extinguishers, want_exits;
  static const double cover_weights[] = { 0.35, 0.35, 0.30 };

  for (guint r = 0; r < g->roads->len; r++)
    {
      const Road *road = &g_array_index (g->roads, Road, r);

      if (road->klass > 3)
        continue;
      for (int e = road->first; e < road->last; e++)
        if (edge_is_built_up (g, road->vertical, road->line, e))
          {
            g_array_set_size (pts, 0);
            edge_points (g, road->vertical, road->line, e, FALSE, FALSE, pts);
            built_length += polyline_length (pts);
          }
    }
  cover_step = CLAMP (built_length / MAX (want_covers, 1), 50, 150);
  hydrant_step = CLAMP (built_length / MAX (want_hydrants, 1), 50, 150);

  for (guint r = 0; r < g->roads->len; r++)
    {
      const Road *road = &g_array_index (g->roads, Road, r);
      double hw = half_width[road->klass];

      if (road->klass > 3)
        continue;
      for (int e = road->first; e < road->last; e++)
        {
          double len;

          if (!edge_is_built_up (g, road->vertical, road->line, e))
            continue;
          g_array_set_size (pts, 0);
          edge_points (g, road->vertical, road->line, e, FALSE, FALSE, pts);
          len = polyline_length (pts);

          for (int pass = 0; pass < 2; pass++)
            {
              double step = pass == 0 ? cover_step : hydrant_step;
              double t = uniform (rng, 0, step);

              while (t < len - 5)
                {
                  Pt p, tan;
                  double off, here = t, stride = step * uniform (rng, 0.75, 1.25);
                  FacilityKind kind;

                  t += CLAMP (stride, 50, 150);
                  if (here < 5)
                    continue;
                  polyline_at (pts, here, &p, &tan);
                  if (pass == 0)
                    {
                      kind = FAC_WATER_COVER + pct_rng_weighted (rng, cover_weights, 3);
                      off = uniform (rng, -(hw - 1), hw - 1);
                    }
                  else
                    {
                      kind = FAC_HYDRANT;
                      off = (pct_rng_chance (rng, 0.5) ? 1 : -1) * (hw + 1.5);
                    }
                  p.x -= tan.y * off;
                  p.y += tan.x * off;
                  if (river_clear (g, p.x, p.y, 0))
                    add_facility (g, kind, p.x, p.y, -1, (int) r, -1);
                }
            }
        }
    }

  for (int k = 1; k < g->nx - 1; k++)
    for (int l = 1; l < g->ny - 1; l++)
      {
        Crossing c = { k, l, 0 };

        if (VEDGE (g, k, l).road < 0 || HEDGE (g, k, l).road < 0)
          continue;
        if (BLOCK (g, k - 1, l - 1).n_buildings == 0 && BLOCK (g, k, l - 1).n_buildings == 0 &&
            BLOCK (g, k - 1, l).n_buildings == 0 && BLOCK (g, k, l).n_buildings == 0)
          continue;
        c.score = g->vclass[k] + g->hclass[l] + uniform (rng, 0, 1.5);
        g_array_append_val (crossings, c);
      }
  g_array_sort (crossings, compare_crossings);
  for (guint i = 0; i < crossings->len && (gint64) i < want_cameras; i++)
    {
      const Crossing *c = &g_array_index (crossings, Crossing, i);
      Pt node = NODE (g, c->k, c->l);
      double dx = (pct_rng_chance (rng, 0.5) ? 1 : -1) * (half_width[g->vclass[c->k]] + 2);
      double dy = (pct_rng_chance (rng, 0.5) ? 1 : -1) * (half_width[g->hclass[c->l]] + 2);

      add_facility (g, FAC_CAMERA, node.x + dx, node.y + dy, -1, VEDGE (g, c->k, c->l).road,
                    HEDGE (g, c->k, c->l).road);
    }

  rest = MAX (0, budget - (gint64) g->facilities->len);
  want_extinguishers = (gint64) round (rest * 0.75);
  want_exits = rest - want_extinguishers;

  for (guint i = 0; i < g->buildings->len; i++)
    {
      const Building *b = &g_array_index (g->buildings, Building, i);

      if (b->kind != KIND_HOUSE)
        total_weight += b->units * b->floors_above;
    }

  for (int pass = 0; pass < 2; pass++)
    {
      gint64 want = pass == 0 ? want_extinguishers : want_exits;
      double unit = total_weight / MAX (want, 1);

      acc = 0;
      for (guint i = 0; i < g->buildings->len && want > 0; i++)
        {
          const Building *b = &g_array_index (g->buildings, Building, i);
          double before = floor (acc / unit);
          int count;

          if (b->kind == KIND_HOUSE)
            continue;
          acc += b->units * b->floors_above;
          count = (int) (floor (acc / unit) - before);
          for (int j = 0; j < count; j++)
            {
              double along = uniform (rng, -(b->w / 2 - 1), b->w / 2 - 1);
              /* Extinguishers anywhere inside, exits on the front wall. */
              double back = pass == 0 ? uniform (rng, -(b->h / 2 - 1), b->h / 2 - 1)
                                      : -(b->h / 2 - 0.5);

              add_facility (g, pass == 0 ? FAC_EXTINGUISHER : FAC_FIRE_EXIT,
                            b->cx + b->ux * along - b->uy * back,
                            b->cy + b->uy * along + b->ux * back, (int) i, -1, -1);
            }
        }
    }
}

static gboolean
lookup_department (Geo         *g,
                   const char  *sql,
                   const char  *pattern,
                   gint64      *id,
                   GError     **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (g->store, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, pattern, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  *id = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return pct_store_set_sql_error (g->store, error, "department");
  return TRUE;
}

static gboolean
write_facilities (Geo     *g,
                  PctRng  *rng,
                  GError **error)
{
  static const char category_sql[] = "SELECT id, minor FROM categories WHERE code = ?1";
  static const char like_sql[] =
    "SELECT id FROM departments WHERE name LIKE ?1 ORDER BY id LIMIT 1";
  static const char sql[] =
    "INSERT INTO temp.pct_gen_facilities (id, " FACILITY_COLUMNS ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
  static const char * const statuses[] = { "normal", "damaged", "missing", "maintenance" };
  static const double status_weights[] = { 0.90, 0.05, 0.02, 0.03 };
  static const double camera_weights[] = { 0.93, 0.03, 0.0, 0.04 };
  gint64 category_id[N_FACILITY_KINDS];
  g_autoptr(GPtrArray) minor = g_ptr_array_new_with_free_func (g_free);
  int serial[N_FACILITY_KINDS] = { 0, };
  gint64 municipal = 0, fire = 0, police = 0;

  for (int k = 0; k < N_FACILITY_KINDS; k++)
    {
      sqlite3_stmt *stmt = pct_store_prepare (g->store, category_sql, error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, facility_category[k], -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          category_id[k] = sqlite3_column_int64 (stmt, 0);
          g_ptr_array_add (minor, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW)
        {
          if (rc != SQLITE_DONE)
            return pct_store_set_sql_error (g->store, error, "categories");
          g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_FAILED,
                       "Category %s is missing from the reference data", facility_category[k]);
          return FALSE;
        }
    }

  /* Owners where the reference data has them; NULL otherwise. */
  if (!lookup_department (g, like_sql, "%市政设施管理处", &municipal, error) ||
      (municipal == 0 && !lookup_department (g, like_sql, "%市政%", &municipal, error)) ||
      !lookup_department (g, like_sql, "%消防%", &fire, error) ||
      !lookup_department (g, like_sql, "%公安%", &police, error))
    return FALSE;

  for (guint i = 0; i < g->facilities->len; i++)
    {
      const Facility *f = &g_array_index (g->facilities, Facility, i);
      const Building *b = f->building >= 0
                            ? &g_array_index (g->buildings, Building, f->building) : NULL;
      sqlite3_stmt *stmt = pct_store_prepare (g->store, sql, error);
      gint64 department;
      g_autofree char *code = NULL, *name = NULL;
      const char *status;
      double lon, lat;

      if (stmt == NULL)
        return FALSE;

      /* "500116" + the category's four class digits + a serial. */
      code = g_strdup_printf ("%s%s%06d", g->params->district_code, facility_category[f->kind] + 1,
                              ++serial[f->kind]);
      if (b != NULL)
        {
          const Door *door = &g_array_index (g->doors, Door, b->door);
          const Road *road = &g_array_index (g->roads, Road, door->road);

          name = g_strdup_printf ("%s %s%d号%d栋", (const char *) g_ptr_array_index (minor, f->kind), road->name, door->number,
                                  b->number);
        }
      else if (f->road2 >= 0)
        name = g_strdup_printf ("%s %s与%s交叉口", (const char *) g_ptr_array_index (minor, f->kind),
                                g_array_index (g->roads, Road, f->road).name,
                                g_array_index (g->roads, Road, f->road2).name);
      else
        name = g_strdup_printf ("%s %s", (const char *) g_ptr_array_index (minor, f->kind),
                                g_array_index (g->roads, Road, f->road).name);

      status = statuses[pct_rng_weighted (rng, f->kind == FAC_CAMERA ? camera_weights
                                                                      : status_weights, 4)];
      switch (f->kind)
        {
        case FAC_WATER_COVER:
        case FAC_SEWER_COVER:
        case FAC_RAIN_COVER:
          department = municipal;
          break;
        case FAC_HYDRANT:
          department = fire != 0 ? fire : municipal;
          break;
        case FAC_CAMERA:
          department = police;
          break;
        case FAC_EXTINGUISHER:
        case FAC_FIRE_EXIT:
        case N_FACILITY_KINDS:
        default:
          department = fire;
          break;
        }

      pct_geo_frame_to_lonlat (&g->frame, f->x, f->y, &lon, &lat);
      sqlite3_bind_int64 (stmt, 1, ++g->last_id[STAGED_FACILITIES]);
      sqlite3_bind_text (stmt, 2, code, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, category_id[f->kind]);
      sqlite3_bind_text (stmt, 4, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, status, -1, SQLITE_STATIC);
      if (department > 0)
        sqlite3_bind_int64 (stmt, 6, department);
      if (b != NULL)
        {
          sqlite3_bind_int64 (stmt, 7, b->address_id);
          sqlite3_bind_int64 (stmt, 8, b->id);
        }
      sqlite3_bind_double (stmt, 9, lon);
      sqlite3_bind_double (stmt, 10, lat);
      sqlite3_bind_int64 (stmt, 11, g->params->reference_time);
      if (!pct_store_step_done (g->store, stmt, error))
        return FALSE;
      advance (g);
    }

  return TRUE;
}

static gboolean
create_staging (Geo     *g,
                GError **error)
{
  for (int t = 0; t < N_STAGED; t++)
    {
      sqlite3_stmt *stmt;
      int rc;

      if (!pct_store_exec (g->store, staged_sql[t].create, error))
        return FALSE;
      stmt = pct_store_prepare (g->store, staged_sql[t].max_id, error);
      if (stmt == NULL)
        return FALSE;
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        g->first_id[t] = g->last_id[t] = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW)
        return pct_store_set_sql_error (g->store, error, "staging");
    }
  return TRUE;
}

/* Copies the staged rows in id order, parents before children, about a
 * hundredth of a table per statement. */
static gboolean
copy_staged (Geo     *g,
             GError **error)
{
  for (int t = 0; t < N_STAGED; t++)
    {
      gint64 rows = g->last_id[t] - g->first_id[t];
      gint64 chunk = MAX (rows / 100, 1000);

      for (gint64 from = g->first_id[t]; from < g->last_id[t]; from += chunk)
        {
          sqlite3_stmt *stmt = pct_store_prepare (g->store, staged_sql[t].copy, error);
          gint64 to = MIN (from + chunk, g->last_id[t]);

          if (stmt == NULL)
            return FALSE;
          sqlite3_bind_int64 (stmt, 1, from);
          sqlite3_bind_int64 (stmt, 2, to);
          if (!pct_store_step_done (g->store, stmt, error))
            return FALSE;
          advance_by (g, (to - from) * COPY_WEIGHT);
        }
      if (!pct_store_exec (g->store, staged_sql[t].drop, error))
        return FALSE;
    }
  return TRUE;
}

/* Buildings that ended up with no door to hang from (a block whose every
 * frontage fell in the river) are not built. */
static void
drop_doorless_buildings (Geo *g)
{
  guint kept = 0;

  for (guint i = 0; i < g->buildings->len; i++)
    {
      Building *b = &g_array_index (g->buildings, Building, i);

      if (b->door < 0)
        {
          g->blocks[b->block].n_buildings--;
          continue;
        }
      if (kept != i)
        g_array_index (g->buildings, Building, kept) = *b;
      kept++;
    }
  if (kept != g->buildings->len)
    g_debug ("%u buildings had no door", g->buildings->len - kept);
  g_array_set_size (g->buildings, kept);
}

gboolean
_pct_gen_geography (PctStore            *store,
                    const PctGenParams  *params,
                    GError             **error)
{
  g_auto(Geo) g = { 0 };
  PctRng lattice_rng, river_rng, name_rng, block_rng, door_rng, floor_rng, room_rng,
         facility_rng, defect_rng;
  PctBBox extent;
  double x0, y0, x1, y1;
  gint64 units = 0, want_doors, n_dup, started, staged;

  g.store = store;
  g.params = params;
  g.streets = g_array_new (FALSE, FALSE, sizeof (Street));
  g.communities = g_array_new (FALSE, FALSE, sizeof (Community));
  g.cells = g_array_new (FALSE, FALSE, sizeof (Cell));
  g.roads = g_array_new (FALSE, FALSE, sizeof (Road));
  g.doors = g_array_new (FALSE, FALSE, sizeof (Door));
  g.buildings = g_array_new (FALSE, FALSE, sizeof (Building));
  g.compounds = g_array_new (FALSE, FALSE, sizeof (Compound));
  g.facilities = g_array_new (FALSE, FALSE, sizeof (Facility));
  g.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g.json = g_string_sized_new (4096);
  g.scratch = g_array_new (FALSE, FALSE, sizeof (Pt));

  pct_rng_init (&lattice_rng, params->seed, "geography/lattice");
  pct_rng_init (&river_rng, params->seed, "geography/river");
  pct_rng_init (&name_rng, params->seed, "geography/names");
  pct_rng_init (&block_rng, params->seed, "geography/blocks");
  pct_rng_init (&door_rng, params->seed, "geography/doors");
  pct_rng_init (&floor_rng, params->seed, "geography/floors");
  pct_rng_init (&room_rng, params->seed, "geography/rooms");
  pct_rng_init (&facility_rng, params->seed, "geography/facilities");
  pct_rng_init (&defect_rng, params->seed, "geography/defects");
  pct_rng_init (&g.plate_rng, params->seed, "geography/plates");

  /* The same rectangle the driver records as the extent. */
  _pct_gen_district_extent (params, &extent);
  pct_geo_frame_init (&g.frame, params->centre_lon, params->centre_lat);
  pct_geo_frame_from_lonlat (&g.frame, extent.min_lon, extent.min_lat, &x0, &y0);
  pct_geo_frame_from_lonlat (&g.frame, extent.max_lon, extent.max_lat, &x1, &y1);
  g.W = x1 - x0;
  g.H = y1 - y0;

  set_up_lattice (&g, &lattice_rng);
  g.blocks = g_new0 (Block, g.nbx * g.nby);
  set_up_river (&g, &river_rng);
  plan_roads (&g, &lattice_rng, &name_rng);

  if (!write_regions_and_grid (&g, &name_rng, error) ||
      !write_river (&g, &name_rng, error))
    return FALSE;

  plan_blocks (&g, &block_rng);
  prune_roads (&g, &block_rng);
  if (!write_roads (&g, error) ||
      !write_blocks_and_compounds (&g, &name_rng, error))
    return FALSE;

  /* Doors make up the addresses that buildings and their units do not. */
  for (guint i = 0; i < g.buildings->len; i++)
    units += g_array_index (g.buildings, Building, i).units;
  want_doors = (gint64) round ((LARGE_ADDRESSES * params->scale - g.buildings->len - units) /
                               (1 + DUPLICATE_RATE));
  plan_doors (&g, &door_rng, MAX (want_doors, 1));
  assign_doors (&g);
  drop_doorless_buildings (&g);
  plan_floors (&g, &floor_rng);
  plan_facilities (&g, &facility_rng);

  n_dup = (gint64) round (g.doors->len * DUPLICATE_RATE);
  g.total = g.doors->len + n_dup + g.buildings->len + g.n_units + g.n_rooms + g.facilities->len;
  /* Plates are drawn as they are written; about 0.9 per address. */
  g.total += (guint64) (0.9 * (g.doors->len + g.buildings->len + g.n_units));
  g.total *= 1 + COPY_WEIGHT;
  g.done = 0;
  g_debug ("geography: %u roads, %u doors, %u buildings, %" G_GINT64_FORMAT " units, %"
           G_GINT64_FORMAT " rooms, %u facilities",
           g.roads->len, g.doors->len, g.buildings->len, g.n_units, g.n_rooms,
           g.facilities->len);

  started = g_get_monotonic_time ();
  if (!create_staging (&g, error) ||
      !write_doors (&g, &defect_rng, error) ||
      !write_buildings (&g, &room_rng, error) ||
      !write_facilities (&g, &facility_rng, error))
    return FALSE;
  staged = g_get_monotonic_time ();

  /* Now that the plates are drawn the copy's size is known exactly. */
  g.total = g.done;
  for (int t = 0; t < N_STAGED; t++)
    g.total += (guint64) (g.last_id[t] - g.first_id[t]) * COPY_WEIGHT;
  if (!copy_staged (&g, error))
    return FALSE;
  g_debug ("geography: staged in %.2f s, copied in %.2f s",
           (staged - started) / (double) G_USEC_PER_SEC,
           (g_get_monotonic_time () - staged) / (double) G_USEC_PER_SEC);

  advance_by (&g, g.total - g.done);
  return TRUE;
}
