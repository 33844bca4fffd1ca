/* pct-map-view.c — the district map: basemap, feature layers and controls
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A ShumateMap with, bottom to top: the basemap (the built-in one drawn
 * from the store, or any ShumateMapSource such as an MBTiles file or a
 * tile server), one ShumateMapLayer per visible feature layer, the
 * overlays others add (the live incidents), and a marker layer holding the
 * one selection marker. The basemap is the viewport's reference source,
 * which sets the zoom range and the scale bar.
 *
 * One layer per feature layer rather than one combined source: toggling a
 * layer then costs no drawing at all (the layer is added or removed, the
 * others keep their tiles), and data that changed in one table redraws
 * only its own layer.
 *
 * libshumate 1.0 caches finished tiles per layer and cannot redraw them,
 * so whenever tiles must change (data edited, another screen density) the
 * layer is replaced. The new layer goes in above the old one, which stays
 * until the new tiles are drawn, so a refresh does not blink.
 *
 * The store is watched for changes by polling PRAGMA data_version (which
 * moves when another connection commits) and the main connection's own
 * change count once a second; both cost microseconds. When either moves,
 * a worker reads a fingerprint of each layer's tables and only layers
 * whose fingerprint changed are redrawn.
 *
 * Picking runs on the main-thread store: a few R*Tree lookups around one
 * point take well under a millisecond, less than handing them to a thread.
 */

#define G_LOG_DOMAIN "pct-map-view"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "pct-geo.h"
#include "pct-layers-popover.h"
#include "pct-map-view.h"
#include "pct-pick.h"
#include "pct-tile-source.h"

/* A layer on its way out: kept under its replacement until that one has
 * drawn its tiles. */
typedef struct
{
  ShumateLayer  *layer;    /* borrowed: the map holds it */
  PctTileSource *source;   /* owned */
  PctTileSource *successor; /* owned */
  gint64         deadline;
} RetiringLayer;

struct _PctMapView
{
  GtkWidget           parent_instance;

  /* Template widgets */
  GtkWidget          *overlay;
  ShumateMap         *map;
  ShumateScale       *scale;
  GtkLabel           *zoom_label;
  GtkSpinner         *spinner;
  GtkWidget          *attribution_box;
  GtkLabel           *attribution_label;
  GtkMenuButton      *layers_button;

  /* Owned references */
  PctStore           *store;
  GSettings          *settings;
  ShumateMapSource   *external_basemap;
  PctTileSource      *sources[PCT_N_TILE_LAYERS];
  GArray             *retiring;          /* RetiringLayer */
  GCancellable       *check_cancellable;
  char               *fingerprints[PCT_N_TILE_LAYERS];

  /* Borrowed references: the map holds the layers */
  ShumateLayer       *layers[PCT_N_TILE_LAYERS];
  GPtrArray          *overlays;
  GHashTable         *overlay_layers;    /* ShumateLayer → PctLayer + 1 */
  ShumateMarkerLayer *marker_layer;
  ShumateMarker      *marker;

  PctBBox             district;
  PctLayer            selected_layer;
  gint64              selected_id;
  PctStoreStamp       stamp;
  guint               fit_idle_id;
  guint               settle_idle_id;
  guint               spinner_timeout_id;
  guint               poll_id;
  guint               retire_id;
  gboolean            visible[PCT_N_LAYERS];
  guint               has_district : 1;
  guint               fit_pending : 1;
  guint               loading : 1;
  guint               positioned : 1;
  guint               checking : 1;
  guint               check_again : 1;
};

static gboolean spinner_timeout_cb (gpointer user_data);
static gboolean settle_idle_cb     (gpointer user_data);
static gboolean fit_idle_cb        (gpointer user_data);
static gboolean retire_timeout_cb  (gpointer user_data);

G_DEFINE_FINAL_TYPE (PctMapView, pct_map_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STORE,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  FEATURE_ACTIVATED,
  CONTEXT_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Feature layers bottom to top: areas under lines under points. The
 * addresses go on top: further out their count bubbles must stay readable
 * over the dots of units and facilities, and close in an address mark is
 * smaller than the symbol of a unit at the same door, which frames it. */
static const PctTileLayer feature_order[] = {
  PCT_TILE_LAYER_BUILDINGS,
  PCT_TILE_LAYER_GRIDS,
  PCT_TILE_LAYER_FACILITIES,
  PCT_TILE_LAYER_UNITS,
  PCT_TILE_LAYER_ADDRESSES,
};

/* What each tile layer draws, for the change fingerprint: a row count, the
 * highest id and the latest change of every table it reads. Table names
 * come from this constant list only. */
static const char * const fingerprint_sql[PCT_N_TILE_LAYERS] = {
  [PCT_TILE_LAYER_BASEMAP] =
    "SELECT (SELECT count(*) || '/' || coalesce (max (id), 0) FROM roads) || ';' || "
    "(SELECT count(*) || '/' || coalesce (max (id), 0) FROM areas) || ';' || "
    "(SELECT count(*) || '/' || coalesce (max (id), 0) || '/' || "
    " coalesce (max (updated_at), 0) FROM buildings)",
  [PCT_TILE_LAYER_ADDRESSES] =
    "SELECT count(*) || '/' || coalesce (max (id), 0) || '/' || coalesce (max (updated_at), 0) "
    "FROM addresses",
  [PCT_TILE_LAYER_BUILDINGS] =
    "SELECT (SELECT count(*) || '/' || coalesce (max (id), 0) || '/' || "
    " coalesce (max (updated_at), 0) FROM buildings) || ';' || "
    "(SELECT count(*) || '/' || coalesce (max (id), 0) || '/' || "
    " coalesce (max (updated_at), 0) FROM rooms)",
  [PCT_TILE_LAYER_UNITS] =
    "SELECT count(*) || '/' || coalesce (max (id), 0) || '/' || coalesce (max (updated_at), 0) "
    "FROM units",
  [PCT_TILE_LAYER_FACILITIES] =
    "SELECT count(*) || '/' || coalesce (max (id), 0) || '/' || coalesce (max (updated_at), 0) "
    "FROM facilities",
  [PCT_TILE_LAYER_GRIDS] =
    "SELECT count(*) || '/' || coalesce (max (id), 0) || '/' || coalesce (max (updated_at), 0) "
    "FROM grid_cells",
};

/* How much of the window the district fills when shown whole. */
#define DISTRICT_FILL 0.9

/* Drawing a screenful of tiles usually takes less than this; a spinner that
 * flashes for every pan would only distract. */
#define SPINNER_DELAY_MS 400

/* How far from a mark a click still picks it, in logical pixels: a
 * fingertip's width, larger than any mark. */
#define PICK_RADIUS_PX 8.0

/* The part of the view an arrow key moves it by. */
#define PAN_FRACTION 0.25

/* How often the store is asked whether anything changed. */
#define POLL_INTERVAL_MS 1000

/* The longest a replaced layer stays under its successor. */
#define RETIRE_MAX_MS 5000

static void
retiring_layer_clear (gpointer data)
{
  RetiringLayer *retiring = data;

  g_clear_object (&retiring->source);
  g_clear_object (&retiring->successor);
}

static PctTileLayer
feature_tile_layer (PctLayer layer)
{
  PctTileLayer tile_layer;

  if (!pct_tile_layer_from_layer (layer, &tile_layer))
    return PCT_TILE_LAYER_BASEMAP;
  return tile_layer;
}

static PctLayer
tile_layer_feature (PctTileLayer tile_layer)
{
  for (PctLayer l = 0; l < PCT_N_LAYERS; l++)
    if (feature_tile_layer (l) == tile_layer && tile_layer != PCT_TILE_LAYER_BASEMAP)
      return l;
  return PCT_N_LAYERS;
}

static gboolean
has_basemap (PctMapView *self)
{
  return self->external_basemap != NULL || self->sources[PCT_TILE_LAYER_BASEMAP] != NULL;
}

static void
pct_map_view_actions_update (PctMapView *self)
{
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);
  double zoom = shumate_viewport_get_zoom_level (viewport);
  gboolean ready = has_basemap (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.zoom-in",
                                 ready && zoom < shumate_viewport_get_max_zoom_level (viewport));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.zoom-out",
                                 ready && zoom > shumate_viewport_get_min_zoom_level (viewport));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.show-district",
                                 ready && self->has_district);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.home", ready && self->has_district);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.pan-left", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.pan-right", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.pan-up", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.pan-down", ready);
}

static void
update_zoom_label (PctMapView *self)
{
  double zoom = shumate_viewport_get_zoom_level (shumate_map_get_viewport (self->map));
  char text[16];

  g_snprintf (text, sizeof text, "%d", (int) round (zoom));
  gtk_label_set_text (self->zoom_label, text);
}

static void
update_attribution (PctMapView *self)
{
  ShumateMapSource *source = self->external_basemap;
  const char *license;
  const char *uri;
  g_autofree char *markup = NULL;

  if (source == NULL)
    source = SHUMATE_MAP_SOURCE (self->sources[PCT_TILE_LAYER_BASEMAP]);

  license = source != NULL ? shumate_map_source_get_license (source) : NULL;
  uri = source != NULL ? shumate_map_source_get_license_uri (source) : NULL;

  if (license == NULL || *license == '\0')
    {
      gtk_widget_set_visible (self->attribution_box, FALSE);
      return;
    }

  if (uri != NULL && *uri != '\0')
    markup = g_markup_printf_escaped ("<a href=\"%s\">%s</a>", uri, license);
  else
    markup = g_markup_escape_text (license, -1);

  gtk_label_set_markup (self->attribution_label, markup);
  gtk_widget_set_visible (self->attribution_box, TRUE);
}

static void
set_loading (PctMapView *self,
             gboolean    loading)
{
  loading = !!loading;
  if (self->loading == loading)
    return;

  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);

  if (loading)
    return;

  /* The view is drawn: tiles out of view need no textures, and what the
   * tiles dropped since leave between live allocations would otherwise
   * stay resident in the allocator's arenas. */
  pct_tile_source_release_undrawn ();
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

static guint
count_pending (PctMapView *self)
{
  guint pending = 0;

  for (guint i = 0; i < PCT_N_TILE_LAYERS; i++)
    if (self->sources[i] != NULL && (i == PCT_TILE_LAYER_BASEMAP || self->layers[i] != NULL))
      pending += pct_tile_source_get_n_pending (self->sources[i]);

  return pending;
}

/* Loading covers the whole way from a change of view to the last tile:
 * the fit waiting for a size, the layers working out in an idle which
 * tiles they need, and the tiles being drawn. */
static void
update_loading (PctMapView *self)
{
  guint pending = count_pending (self);

  set_loading (self, has_basemap (self) &&
                     (pending > 0 || self->fit_pending || self->settle_idle_id != 0 ||
                      self->retiring->len > 0));

  /* The spinner follows the drawing only. Were it to wait for the settle
   * idle too, its own animation could starve that idle on a slow renderer
   * (frames outrank idles) and spin for ever. */
  if (pending > 0 && self->spinner_timeout_id == 0 &&
      !gtk_widget_get_visible (GTK_WIDGET (self->spinner)))
    self->spinner_timeout_id = g_timeout_add (SPINNER_DELAY_MS, spinner_timeout_cb, self);
  else if (pending == 0)
    {
      g_clear_handle_id (&self->spinner_timeout_id, g_source_remove);
      gtk_spinner_stop (self->spinner);
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
    }
}

/* The layers ask for tiles from an idle at the default priority after a
 * change; this one runs after theirs. */
static void
queue_settle (PctMapView *self)
{
  if (self->settle_idle_id == 0)
    {
      self->settle_idle_id = g_idle_add_full (G_PRIORITY_LOW, settle_idle_cb, self, NULL);
      update_loading (self);
    }
}

static void
source_pending_changed_cb (PctMapView    *self,
                           GParamSpec    *pspec,
                           PctTileSource *source)
{
  update_loading (self);
}

static PctTileSource *
create_source (PctMapView   *self,
               PctTileLayer  tile_layer)
{
  PctTileSource *source = pct_tile_source_new (pct_store_get_path (self->store), tile_layer);

  pct_tile_source_set_scale_factor (source, gtk_widget_get_scale_factor (GTK_WIDGET (self)));
  g_signal_connect_object (source, "notify::n-pending",
                           G_CALLBACK (source_pending_changed_cb), self,
                           G_CONNECT_SWAPPED);
  return source;
}

static void
clear_source (PctMapView    *self,
              PctTileSource **source)
{
  if (*source != NULL)
    g_signal_handlers_disconnect_by_func (*source, source_pending_changed_cb, self);
  g_clear_object (source);
}

/* The lowest layer above where a feature layer goes: the next feature
 * layer shown, else the first overlay, else the selection. */
static ShumateLayer *
layer_above (PctMapView   *self,
             PctTileLayer  tile_layer)
{
  gboolean after = tile_layer == PCT_TILE_LAYER_BASEMAP;

  for (guint i = 0; i < G_N_ELEMENTS (feature_order); i++)
    {
      if (after && self->layers[feature_order[i]] != NULL)
        return self->layers[feature_order[i]];
      if (feature_order[i] == tile_layer)
        after = TRUE;
    }

  if (self->overlays->len > 0)
    return g_ptr_array_index (self->overlays, 0);

  return SHUMATE_LAYER (self->marker_layer);
}

static ShumateLayer *
insert_layer (PctMapView       *self,
              PctTileLayer      tile_layer,
              ShumateMapSource *source)
{
  ShumateLayer *layer;

  layer = SHUMATE_LAYER (shumate_map_layer_new (source, shumate_map_get_viewport (self->map)));
  shumate_map_insert_layer_behind (self->map, layer, layer_above (self, tile_layer));
  return layer;
}

static void
remove_layer (PctMapView   *self,
              PctTileLayer  tile_layer)
{
  if (self->layers[tile_layer] != NULL)
    shumate_map_remove_layer (self->map, g_steal_pointer (&self->layers[tile_layer]));
}

static void
remove_retiring (PctMapView *self)
{
  for (guint i = 0; i < self->retiring->len; i++)
    {
      RetiringLayer *retiring = &g_array_index (self->retiring, RetiringLayer, i);

      shumate_map_remove_layer (self->map, retiring->layer);
    }
  g_array_set_size (self->retiring, 0);
  g_clear_handle_id (&self->retire_id, g_source_remove);
}

static gboolean
layer_shown (PctMapView   *self,
             PctTileLayer  tile_layer)
{
  PctLayer layer = tile_layer_feature (tile_layer);

  return layer < PCT_N_LAYERS && self->visible[layer];
}

/* Makes the map's layers match the sources and the visibility: a layer for
 * each visible feature source, none for the others. */
static void
sync_feature_layers (PctMapView *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (feature_order); i++)
    {
      PctTileLayer tile_layer = feature_order[i];
      gboolean want = self->sources[tile_layer] != NULL && layer_shown (self, tile_layer);

      if (want && self->layers[tile_layer] == NULL)
        self->layers[tile_layer] =
          insert_layer (self, tile_layer, SHUMATE_MAP_SOURCE (self->sources[tile_layer]));
      else if (!want)
        remove_layer (self, tile_layer);
    }

  for (guint i = 0; i < self->overlays->len; i++)
    {
      ShumateLayer *overlay = g_ptr_array_index (self->overlays, i);
      guint layer = GPOINTER_TO_UINT (g_hash_table_lookup (self->overlay_layers, overlay));

      if (layer > 0)
        gtk_widget_set_visible (GTK_WIDGET (overlay), self->visible[layer - 1]);
    }

  queue_settle (self);
}

/* Adding a source to the map takes both steps: the reference source alone
 * draws nothing, and layers alone leave the viewport without a zoom range. */
static void
rebuild_basemap (PctMapView *self)
{
  ShumateMapSource *source = self->external_basemap;

  remove_layer (self, PCT_TILE_LAYER_BASEMAP);

  if (source == NULL)
    source = SHUMATE_MAP_SOURCE (self->sources[PCT_TILE_LAYER_BASEMAP]);

  if (source != NULL)
    {
      shumate_map_set_map_source (self->map, source);
      self->layers[PCT_TILE_LAYER_BASEMAP] = insert_layer (self, PCT_TILE_LAYER_BASEMAP, source);
    }

  update_attribution (self);
  pct_map_view_actions_update (self);
  queue_settle (self);
}

/* Replaces every layer drawn from the store with a fresh one. */
static void
rebuild_all (PctMapView *self)
{
  remove_retiring (self);

  for (guint i = 0; i < PCT_N_TILE_LAYERS; i++)
    {
      remove_layer (self, i);
      clear_source (self, &self->sources[i]);
    }

  if (self->store != NULL)
    for (guint i = 0; i < PCT_N_TILE_LAYERS; i++)
      self->sources[i] = create_source (self, i);

  rebuild_basemap (self);
  sync_feature_layers (self);
}

/* Swaps in a new source for a layer; the old layer stays beneath the new
 * one until that has drawn what is in view. */
static void
replace_layer (PctMapView   *self,
               PctTileLayer  tile_layer)
{
  RetiringLayer retiring = { NULL, };
  ShumateLayer *old_layer;

  if (self->store == NULL)
    return;

  old_layer = g_steal_pointer (&self->layers[tile_layer]);
  retiring.source = g_steal_pointer (&self->sources[tile_layer]);
  self->sources[tile_layer] = create_source (self, tile_layer);

  if (tile_layer == PCT_TILE_LAYER_BASEMAP && self->external_basemap != NULL)
    old_layer = NULL;  /* the built-in basemap is not on the map */
  else if (tile_layer == PCT_TILE_LAYER_BASEMAP)
    {
      shumate_map_set_map_source (self->map, SHUMATE_MAP_SOURCE (self->sources[tile_layer]));
      self->layers[tile_layer] = insert_layer (self, tile_layer,
                                               SHUMATE_MAP_SOURCE (self->sources[tile_layer]));
    }
  else if (layer_shown (self, tile_layer))
    self->layers[tile_layer] = insert_layer (self, tile_layer,
                                             SHUMATE_MAP_SOURCE (self->sources[tile_layer]));

  if (old_layer == NULL || self->layers[tile_layer] == NULL)
    {
      if (old_layer != NULL)
        shumate_map_remove_layer (self->map, old_layer);
      if (retiring.source != NULL)
        g_signal_handlers_disconnect_by_func (retiring.source, source_pending_changed_cb, self);
      g_clear_object (&retiring.source);
      queue_settle (self);
      return;
    }

  /* The new layer went in above the old one's neighbour; the old one
   * must be under it, where it already is. */
  g_signal_handlers_disconnect_by_func (retiring.source, source_pending_changed_cb, self);
  retiring.layer = old_layer;
  retiring.successor = g_object_ref (self->sources[tile_layer]);
  retiring.deadline = g_get_monotonic_time () + RETIRE_MAX_MS * 1000;
  g_array_append_val (self->retiring, retiring);

  if (self->retire_id == 0)
    self->retire_id = g_timeout_add (100, retire_timeout_cb, self);
  queue_settle (self);
}

static void
fit_district (PctMapView *self)
{
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);
  int width = gtk_widget_get_width (GTK_WIDGET (self->map));
  int height = gtk_widget_get_height (GTK_WIDGET (self->map));
  double x1, y1, x2, y2;
  double lat, lon, zoom;

  pct_geo_mercator_project (self->district.min_lon, self->district.max_lat, &x1, &y1);
  pct_geo_mercator_project (self->district.max_lon, self->district.min_lat, &x2, &y2);

  /* The largest whole zoom level at which the district fits: tiles are
   * sharpest at whole levels. A district of one address gets the closest. */
  zoom = log2 (MIN (width * DISTRICT_FILL / (MAX (x2 - x1, 1e-12) * PCT_TILE_SIZE),
                    height * DISTRICT_FILL / (MAX (y2 - y1, 1e-12) * PCT_TILE_SIZE)));
  zoom = CLAMP (floor (zoom),
                shumate_viewport_get_min_zoom_level (viewport),
                shumate_viewport_get_max_zoom_level (viewport));

  pct_geo_mercator_unproject ((x1 + x2) / 2, (y1 + y2) / 2, &lon, &lat);

  self->fit_pending = FALSE;
  self->positioned = TRUE;
  shumate_map_stop_go_to (self->map);
  shumate_viewport_set_zoom_level (viewport, zoom);
  shumate_map_center_on (self->map, lat, lon);
  update_loading (self);
}

/* Moves the centre by (dx, dy) logical pixels. */
static void
pan_by (PctMapView *self,
        double      dx,
        double      dy)
{
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);
  ShumateLocation *location = SHUMATE_LOCATION (viewport);
  double world = PCT_TILE_SIZE * exp2 (shumate_viewport_get_zoom_level (viewport));
  double x, y, lat, lon;

  pct_geo_mercator_project (shumate_location_get_longitude (location),
                            shumate_location_get_latitude (location), &x, &y);
  x = CLAMP (x + dx / world, 0.0, 1.0);
  y = CLAMP (y + dy / world, 0.0, 1.0);
  pct_geo_mercator_unproject (x, y, &lon, &lat);

  self->fit_pending = FALSE;
  shumate_map_stop_go_to (self->map);
  shumate_map_center_on (self->map, lat, lon);
}

/* To the next whole level, where tiles are sharpest, keeping the centre. */
static void
zoom_by (PctMapView *self,
         int         step)
{
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);
  double zoom = shumate_viewport_get_zoom_level (viewport);

  zoom = step > 0 ? floor (zoom + 0.01) + step : ceil (zoom - 0.01) + step;
  zoom = CLAMP (zoom, shumate_viewport_get_min_zoom_level (viewport),
                shumate_viewport_get_max_zoom_level (viewport));

  self->fit_pending = FALSE;
  shumate_map_stop_go_to (self->map);
  shumate_viewport_set_zoom_level (viewport, zoom);
}

static void
collect_pick_layers (PctMapView *self,
                     double      zoom,
                     PctLayer   *layers,
                     guint      *n_layers)
{
  *n_layers = 0;

  for (PctLayer l = 0; l < PCT_N_LAYERS; l++)
    {
      if (!self->visible[l])
        continue;

      /* Aggregated layers show counts, not features, until their points
       * are drawn; a click there means the area beneath. */
      if ((l == PCT_LAYER_ADDRESSES || l == PCT_LAYER_UNITS || l == PCT_LAYER_FACILITIES) &&
          zoom < PCT_TILE_ZOOM_POINTS - 0.5)
        continue;
      if (l == PCT_LAYER_BUILDINGS && zoom < PCT_TILE_ZOOM_FOOTPRINTS - 0.5)
        continue;
      if (l == PCT_LAYER_ROADS)
        continue;
      if (l == PCT_LAYER_INCIDENTS)
        {
          gboolean shown = FALSE;

          /* Incidents are an overlay: pickable when one is shown. */
          for (guint i = 0; i < self->overlays->len; i++)
            {
              gpointer overlay = g_ptr_array_index (self->overlays, i);
              guint layer = GPOINTER_TO_UINT (g_hash_table_lookup (self->overlay_layers, overlay));

              if (layer == PCT_LAYER_INCIDENTS + 1 && gtk_widget_get_visible (overlay))
                shown = TRUE;
            }
          if (!shown)
            continue;
        }

      layers[(*n_layers)++] = l;
    }
}

static void
update_marker (PctMapView *self)
{
  if (self->marker != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->marker),
                            self->selected_layer < PCT_N_LAYERS);
}

static void
draw_selection_ring_cb (GtkDrawingArea *area,
                        cairo_t        *cr,
                        int             width,
                        int             height,
                        gpointer        user_data)
{
  double cx = width / 2.0;
  double cy = height / 2.0;
  double r = MIN (width, height) / 2.0 - 3.0;

  /* A dark halo, then a bright ring: readable on any basemap. */
  cairo_arc (cr, cx, cy, r, 0, 2 * G_PI);
  cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.18);
  cairo_fill_preserve (cr);
  cairo_set_line_width (cr, 6.0);
  cairo_set_source_rgba (cr, 1, 1, 1, 0.95);
  cairo_stroke_preserve (cr);
  cairo_set_line_width (cr, 3.0);
  cairo_set_source_rgb (cr, 0.21, 0.52, 0.89);
  cairo_stroke (cr);
}

static gboolean
spinner_timeout_cb (gpointer user_data)
{
  PctMapView *self = user_data;

  self->spinner_timeout_id = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_start (self->spinner);

  return G_SOURCE_REMOVE;
}

static gboolean
settle_idle_cb (gpointer user_data)
{
  PctMapView *self = user_data;

  self->settle_idle_id = 0;
  update_loading (self);

  return G_SOURCE_REMOVE;
}

static gboolean
fit_idle_cb (gpointer user_data)
{
  PctMapView *self = user_data;

  self->fit_idle_id = 0;

  if (self->fit_pending && self->has_district &&
      gtk_widget_get_width (GTK_WIDGET (self->map)) > 0 &&
      gtk_widget_get_height (GTK_WIDGET (self->map)) > 0)
    fit_district (self);

  return G_SOURCE_REMOVE;
}

/* Removes replaced layers whose successors have drawn their tiles, or
 * have taken too long. */
static gboolean
retire_timeout_cb (gpointer user_data)
{
  PctMapView *self = user_data;
  gint64 now = g_get_monotonic_time ();

  for (guint i = self->retiring->len; i > 0; i--)
    {
      RetiringLayer *retiring = &g_array_index (self->retiring, RetiringLayer, i - 1);

      if (pct_tile_source_get_n_pending (retiring->successor) == 0 || now > retiring->deadline)
        {
          shumate_map_remove_layer (self->map, retiring->layer);
          g_array_remove_index (self->retiring, i - 1);
        }
    }

  update_loading (self);

  if (self->retiring->len > 0)
    return G_SOURCE_CONTINUE;

  self->retire_id = 0;
  return G_SOURCE_REMOVE;
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  char **result;

  store = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  result = g_new0 (char *, PCT_N_TILE_LAYERS + 1);
  for (guint i = 0; i < PCT_N_TILE_LAYERS; i++)
    {
      sqlite3_stmt *stmt = pct_store_prepare (store, fingerprint_sql[i], &error);

      if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
        {
          if (error == NULL)
            pct_store_set_sql_error (store, &error, "change check");
          g_strfreev (result);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      result[i] = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
    }

  g_task_return_pointer (task, result, (GDestroyNotify) g_strfreev);
}

static void start_check (PctMapView *self);

static void
check_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PctMapView) self = user_data;
  g_auto(GStrv) fingerprints = NULL;
  g_autoptr(GError) error = NULL;

  fingerprints = g_task_propagate_pointer (G_TASK (result), &error);
  /* Cancelled: the view moved to another store and reset its state. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (fingerprints == NULL)
    {
      g_warning ("Cannot check the store for changes: %s", error->message);
      self->checking = FALSE;
      return;
    }

  self->checking = FALSE;
  if (g_task_get_task_data (G_TASK (result)) == NULL ||
      self->store == NULL ||
      g_strcmp0 (g_task_get_task_data (G_TASK (result)), pct_store_get_path (self->store)) != 0)
    return;

  for (guint i = 0; i < PCT_N_TILE_LAYERS; i++)
    {
      gboolean known = self->fingerprints[i] != NULL;

      if (g_strcmp0 (self->fingerprints[i], fingerprints[i]) == 0)
        continue;

      g_free (self->fingerprints[i]);
      self->fingerprints[i] = g_strdup (fingerprints[i]);

      if (known)
        {
          g_debug ("Layer %u changed in the store; redrawing it", i);
          replace_layer (self, i);
        }
    }

  if (self->check_again)
    {
      self->check_again = FALSE;
      start_check (self);
    }
}

static void
start_check (PctMapView *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->store == NULL)
    return;
  if (self->checking)
    {
      self->check_again = TRUE;
      return;
    }

  self->checking = TRUE;
  task = g_task_new (NULL, self->check_cancellable, check_done_cb, g_object_ref (self));
  g_task_set_source_tag (task, start_check);
  g_task_set_task_data (task, g_strdup (pct_store_get_path (self->store)), g_free);
  g_task_run_in_thread (task, check_thread);
}

static gboolean
poll_cb (gpointer user_data)
{
  PctMapView *self = user_data;

  if (self->store != NULL && pct_store_poll_changes (self->store, &self->stamp))
    start_check (self);

  return G_SOURCE_CONTINUE;
}

static void
viewport_changed_cb (PctMapView      *self,
                     GParamSpec      *pspec,
                     ShumateViewport *viewport)
{
  queue_settle (self);
}

static void
viewport_zoom_changed_cb (PctMapView      *self,
                          GParamSpec      *pspec,
                          ShumateViewport *viewport)
{
  update_zoom_label (self);
  pct_map_view_actions_update (self);
}

static void
scale_factor_changed_cb (PctMapView *self,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  int scale_factor = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  PctTileSource *basemap = self->sources[PCT_TILE_LAYER_BASEMAP];

  if (basemap == NULL || pct_tile_source_get_scale_factor (basemap) == scale_factor)
    return;

  rebuild_all (self);
}

static void
visible_layers_changed_cb (PctMapView *self,
                           const char *key,
                           GSettings  *settings)
{
  g_auto(GStrv) names = g_settings_get_strv (settings, "visible-layers");

  for (PctLayer l = 0; l < PCT_N_LAYERS; l++)
    self->visible[l] = g_strv_contains ((const char * const *) names, pct_layer_to_string (l));

  sync_feature_layers (self);
}

/* (x, y) in the map's coordinates; the signal gives the view's. */
static void
request_context (PctMapView *self,
                 double      x,
                 double      y)
{
  graphene_point_t point;
  double lat, lon;

  shumate_viewport_widget_coords_to_location (shumate_map_get_viewport (self->map),
                                              GTK_WIDGET (self->map), x, y, &lat, &lon);
  if (!gtk_widget_compute_point (GTK_WIDGET (self->map), GTK_WIDGET (self),
                                 &GRAPHENE_POINT_INIT (x, y), &point))
    return;
  g_signal_emit (self, signals[CONTEXT_REQUESTED], 0, lat, lon, (double) point.x, (double) point.y);
}

static void
click_pressed_cb (PctMapView      *self,
                  int              n_press,
                  double           x,
                  double           y,
                  GtkGestureClick *gesture)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));

  /* Arrow keys and +/- act on the map once it has been clicked. */
  gtk_widget_grab_focus (GTK_WIDGET (self));

  if (button == GDK_BUTTON_SECONDARY && n_press == 1)
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
      request_context (self, x, y);
    }
}

static void
click_released_cb (PctMapView      *self,
                   int              n_press,
                   double           x,
                   double           y,
                   GtkGestureClick *gesture)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  graphene_point_t point;

  if (button == GDK_BUTTON_PRIMARY && n_press == 1 &&
      gtk_widget_compute_point (GTK_WIDGET (self->map), GTK_WIDGET (self),
                                &GRAPHENE_POINT_INIT (x, y), &point))
    pct_map_view_activate_at (self, point.x, point.y);
}

static void
long_pressed_cb (PctMapView          *self,
                 double               x,
                 double               y,
                 GtkGestureLongPress *gesture)
{
  request_context (self, x, y);
}

static void
zoom_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  zoom_by (PCT_MAP_VIEW (widget), 1);
}

static void
zoom_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  zoom_by (PCT_MAP_VIEW (widget), -1);
}

static void
show_district_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  pct_map_view_show_district (PCT_MAP_VIEW (widget));
}

static void
pan_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  PctMapView *self = PCT_MAP_VIEW (widget);
  double dx = gtk_widget_get_width (GTK_WIDGET (self->map)) * PAN_FRACTION;
  double dy = gtk_widget_get_height (GTK_WIDGET (self->map)) * PAN_FRACTION;

  if (g_str_equal (action_name, "map.pan-left"))
    pan_by (self, -dx, 0);
  else if (g_str_equal (action_name, "map.pan-right"))
    pan_by (self, dx, 0);
  else if (g_str_equal (action_name, "map.pan-up"))
    pan_by (self, 0, -dy);
  else
    pan_by (self, 0, dy);
}

static void
pct_map_view_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  PctMapView *self = PCT_MAP_VIEW (widget);

  gtk_widget_measure (self->overlay, orientation, for_size,
                      minimum, natural, minimum_baseline, natural_baseline);
}

static void
pct_map_view_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  PctMapView *self = PCT_MAP_VIEW (widget);

  gtk_widget_allocate (self->overlay, width, height, baseline, NULL);
  queue_settle (self);

  /* Fitting needs the map's size, known only now; the viewport must not
   * change during allocation, so it happens right after. */
  if (self->fit_pending && self->fit_idle_id == 0 && width > 0 && height > 0)
    self->fit_idle_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, fit_idle_cb, self, NULL);
}

static void
pct_map_view_dispose (GObject *object)
{
  PctMapView *self = (PctMapView *) object;

  g_clear_handle_id (&self->fit_idle_id, g_source_remove);
  g_clear_handle_id (&self->settle_idle_id, g_source_remove);
  g_clear_handle_id (&self->spinner_timeout_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->retire_id, g_source_remove);
  g_cancellable_cancel (self->check_cancellable);

  for (guint i = 0; i < PCT_N_TILE_LAYERS; i++)
    {
      self->layers[i] = NULL;
      clear_source (self, &self->sources[i]);
      g_clear_pointer (&self->fingerprints[i], g_free);
    }
  if (self->retiring != NULL)
    g_array_set_size (self->retiring, 0);
  self->marker = NULL;
  self->marker_layer = NULL;
  if (self->overlays != NULL)
    g_ptr_array_set_size (self->overlays, 0);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_MAP_VIEW);

  g_clear_object (&self->external_basemap);
  g_clear_object (&self->settings);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (pct_map_view_parent_class)->dispose (object);
}

static void
pct_map_view_finalize (GObject *object)
{
  PctMapView *self = (PctMapView *) object;

  g_clear_pointer (&self->retiring, g_array_unref);
  g_clear_pointer (&self->overlays, g_ptr_array_unref);
  g_clear_pointer (&self->overlay_layers, g_hash_table_unref);
  g_clear_object (&self->check_cancellable);

  G_OBJECT_CLASS (pct_map_view_parent_class)->finalize (object);
}

static void
pct_map_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  PctMapView *self = PCT_MAP_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_map_view_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  PctMapView *self = PCT_MAP_VIEW (object);

  switch (prop_id)
    {
    case PROP_STORE:
      pct_map_view_set_store (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_map_view_class_init (PctMapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pct_map_view_dispose;
  object_class->finalize = pct_map_view_finalize;
  object_class->get_property = pct_map_view_get_property;
  object_class->set_property = pct_map_view_set_property;

  widget_class->measure = pct_map_view_measure;
  widget_class->size_allocate = pct_map_view_size_allocate;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         PCT_TYPE_STORE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* TRUE while tiles that were asked for are being drawn. */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PctMapView::feature-activated:
   * @layer: the feature's PctLayer
   * @id: its id in its table
   * @latitude: where it is
   * @longitude:
   *
   * A feature was clicked.
   */
  signals[FEATURE_ACTIVATED] =
    g_signal_new ("feature-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4,
                  G_TYPE_UINT, G_TYPE_INT64, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

  /**
   * PctMapView::context-requested:
   * @latitude: the point asked about
   * @longitude:
   * @x: the point in the view's coordinates, to point a popover at
   * @y:
   *
   * A secondary click or a long press asked for actions at a point.
   */
  signals[CONTEXT_REQUESTED] =
    g_signal_new ("context-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4,
                  G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

  g_type_ensure (SHUMATE_TYPE_MAP);
  g_type_ensure (SHUMATE_TYPE_SCALE);
  g_type_ensure (PCT_TYPE_LAYERS_POPOVER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-map-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PctMapView, overlay);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, map);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, scale);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, zoom_label);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, spinner);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, attribution_box);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, attribution_label);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, layers_button);

  gtk_widget_class_install_action (widget_class, "map.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "map.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "map.show-district", NULL, show_district_action);
  gtk_widget_class_install_action (widget_class, "map.home", NULL, show_district_action);
  gtk_widget_class_install_action (widget_class, "map.pan-left", NULL, pan_action);
  gtk_widget_class_install_action (widget_class, "map.pan-right", NULL, pan_action);
  gtk_widget_class_install_action (widget_class, "map.pan-up", NULL, pan_action);
  gtk_widget_class_install_action (widget_class, "map.pan-down", NULL, pan_action);

  gtk_widget_class_set_css_name (widget_class, "districtmap");
}

static void
pct_map_view_init (PctMapView *self)
{
  ShumateViewport *viewport;
  GtkGesture *click;
  GtkGesture *long_press;
  GtkWidget *ring;

  self->retiring = g_array_new (FALSE, TRUE, sizeof (RetiringLayer));
  g_array_set_clear_func (self->retiring, retiring_layer_clear);
  self->overlays = g_ptr_array_new ();
  self->overlay_layers = g_hash_table_new (NULL, NULL);
  self->check_cancellable = g_cancellable_new ();
  self->selected_layer = PCT_N_LAYERS;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);

  viewport = shumate_map_get_viewport (self->map);
  shumate_scale_set_viewport (self->scale, viewport);

  /* The selection: one marker over everything, which lets clicks through
   * to the feature beneath. */
  self->marker_layer = shumate_marker_layer_new (viewport);
  shumate_map_add_layer (self->map, SHUMATE_LAYER (self->marker_layer));
  ring = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (ring), 34);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (ring), 34);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (ring), draw_selection_ring_cb, NULL, NULL);
  self->marker = shumate_marker_new ();
  shumate_marker_set_child (self->marker, ring);
  gtk_widget_set_can_target (GTK_WIDGET (self->marker), FALSE);
  gtk_widget_set_can_target (GTK_WIDGET (self->marker_layer), FALSE);
  shumate_marker_layer_add_marker (self->marker_layer, self->marker);
  update_marker (self);

  self->settings = g_settings_new (BASE_APP_ID);
  g_signal_connect_object (self->settings, "changed::visible-layers",
                           G_CALLBACK (visible_layers_changed_cb), self,
                           G_CONNECT_SWAPPED);
  visible_layers_changed_cb (self, "visible-layers", self->settings);
  gtk_menu_button_set_popover (self->layers_button, pct_layers_popover_new (self->settings));

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), 0);
  g_signal_connect_object (click, "pressed", G_CALLBACK (click_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (click, "released", G_CALLBACK (click_released_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->map), GTK_EVENT_CONTROLLER (click));

  long_press = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_signal_connect_object (long_press, "pressed", G_CALLBACK (long_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->map), GTK_EVENT_CONTROLLER (long_press));

  g_signal_connect_object (viewport, "notify",
                           G_CALLBACK (viewport_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (viewport, "notify::zoom-level",
                           G_CALLBACK (viewport_zoom_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (viewport, "notify::min-zoom-level",
                           G_CALLBACK (viewport_zoom_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (viewport, "notify::max-zoom-level",
                           G_CALLBACK (viewport_zoom_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::scale-factor",
                    G_CALLBACK (scale_factor_changed_cb), NULL);

  update_zoom_label (self);
  update_attribution (self);
  pct_map_view_actions_update (self);
}

GtkWidget *
pct_map_view_new (void)
{
  return g_object_new (PCT_TYPE_MAP_VIEW, NULL);
}

/* The main-thread store: for quick lookups on the main thread only. */
PctStore *
pct_map_view_get_store (PctMapView *self)
{
  g_return_val_if_fail (PCT_IS_MAP_VIEW (self), NULL);

  return self->store;
}

/**
 * pct_map_view_set_store:
 * @store: (nullable): the store to show
 *
 * Shows @store's district. Tiles are drawn from the store's file on
 * connections of their own, never on @store's.
 */
void
pct_map_view_set_store (PctMapView *self,
                        PctStore   *store)
{
  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (store == NULL || PCT_IS_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  self->check_cancellable = g_cancellable_new ();
  self->checking = FALSE;
  self->check_again = FALSE;
  for (guint i = 0; i < PCT_N_TILE_LAYERS; i++)
    g_clear_pointer (&self->fingerprints[i], g_free);
  g_clear_handle_id (&self->poll_id, g_source_remove);

  pct_map_view_select (self, PCT_N_LAYERS, 0, 0, 0);
  rebuild_all (self);

  if (store != NULL)
    {
      pct_store_poll_changes (self->store, &self->stamp);
      start_check (self);
      self->poll_id = g_timeout_add (POLL_INTERVAL_MS, poll_cb, self);
    }

  update_loading (self);
  pct_map_view_actions_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

ShumateMap *
pct_map_view_get_map (PctMapView *self)
{
  g_return_val_if_fail (PCT_IS_MAP_VIEW (self), NULL);

  return self->map;
}

ShumateViewport *
pct_map_view_get_viewport (PctMapView *self)
{
  g_return_val_if_fail (PCT_IS_MAP_VIEW (self), NULL);

  return shumate_map_get_viewport (self->map);
}

gboolean
pct_map_view_get_loading (PctMapView *self)
{
  g_return_val_if_fail (PCT_IS_MAP_VIEW (self), FALSE);

  return self->loading;
}

/**
 * pct_map_view_set_district:
 * @extent: the district's extent, from pct_store_get_extent()
 *
 * Sets what pct_map_view_show_district() shows.
 */
void
pct_map_view_set_district (PctMapView    *self,
                           const PctBBox *extent)
{
  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (extent != NULL);

  self->district = *extent;
  self->has_district = TRUE;
  pct_map_view_actions_update (self);
}

/* Shows the whole district, now or as soon as the map has a size. */
void
pct_map_view_show_district (PctMapView *self)
{
  g_return_if_fail (PCT_IS_MAP_VIEW (self));

  if (!self->has_district)
    return;

  self->fit_pending = TRUE;
  if (gtk_widget_get_width (GTK_WIDGET (self->map)) > 0 &&
      gtk_widget_get_height (GTK_WIDGET (self->map)) > 0)
    fit_district (self);
  else
    {
      update_loading (self);
      gtk_widget_queue_allocate (GTK_WIDGET (self));
    }
}

/**
 * pct_map_view_set_basemap:
 * @source: (nullable): the basemap's tiles, or %NULL for the built-in
 *   basemap drawn from the store
 *
 * Replaces the basemap at once; the feature layers stay. The source's
 * license text, with its link when it has one, is shown in a corner.
 */
void
pct_map_view_set_basemap (PctMapView       *self,
                          ShumateMapSource *source)
{
  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (source == NULL || SHUMATE_IS_MAP_SOURCE (source));

  if (!g_set_object (&self->external_basemap, source))
    return;

  rebuild_basemap (self);
  update_loading (self);
}

/* Returns: (transfer none) (nullable): the basemap set, %NULL for the
 * built-in one */
ShumateMapSource *
pct_map_view_get_basemap (PctMapView *self)
{
  g_return_val_if_fail (PCT_IS_MAP_VIEW (self), NULL);

  return self->external_basemap;
}

/**
 * pct_map_view_add_overlay:
 * @layer: a layer made for this view's viewport
 *
 * Adds a layer above the feature layers and below the selection marker.
 */
void
pct_map_view_add_overlay (PctMapView   *self,
                          ShumateLayer *layer)
{
  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (SHUMATE_IS_LAYER (layer));

  shumate_map_insert_layer_behind (self->map, layer, SHUMATE_LAYER (self->marker_layer));
  g_ptr_array_add (self->overlays, layer);
}

/**
 * pct_map_view_add_layer_overlay:
 * @feature_layer: the layer the overlay draws
 *
 * Adds an overlay as pct_map_view_add_overlay() does, shown while
 * @feature_layer is among the visible layers, and picked as that layer.
 */
void
pct_map_view_add_layer_overlay (PctMapView   *self,
                                ShumateLayer *layer,
                                PctLayer      feature_layer)
{
  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (feature_layer < PCT_N_LAYERS);

  pct_map_view_add_overlay (self, layer);
  g_hash_table_insert (self->overlay_layers, layer, GUINT_TO_POINTER (feature_layer + 1));
  gtk_widget_set_visible (GTK_WIDGET (layer), self->visible[feature_layer]);
}

/**
 * pct_map_view_go_to:
 * @zoom_level: the zoom to arrive at; 0 or less keeps the current one
 *
 * Flies to a place. The first placement of a new view jumps instead:
 * there is nothing yet to fly from.
 */
void
pct_map_view_go_to (PctMapView *self,
                    double      latitude,
                    double      longitude,
                    double      zoom_level)
{
  ShumateViewport *viewport;

  g_return_if_fail (PCT_IS_MAP_VIEW (self));

  viewport = shumate_map_get_viewport (self->map);
  if (zoom_level <= 0)
    zoom_level = shumate_viewport_get_zoom_level (viewport);

  self->fit_pending = FALSE;
  shumate_map_stop_go_to (self->map);

  if (!self->positioned || !gtk_widget_get_mapped (GTK_WIDGET (self->map)))
    {
      shumate_viewport_set_zoom_level (viewport, zoom_level);
      shumate_map_center_on (self->map, latitude, longitude);
    }
  else
    shumate_map_go_to_full (self->map, latitude, longitude, zoom_level);

  self->positioned = TRUE;
  update_loading (self);
}

/**
 * pct_map_view_select:
 * @layer: the feature's layer; %PCT_N_LAYERS clears the selection
 *
 * Marks one feature as selected, with a ring over everything else.
 */
void
pct_map_view_select (PctMapView *self,
                     PctLayer    layer,
                     gint64      id,
                     double      latitude,
                     double      longitude)
{
  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (layer <= PCT_N_LAYERS);

  self->selected_layer = layer;
  self->selected_id = layer < PCT_N_LAYERS ? id : 0;

  if (layer < PCT_N_LAYERS)
    shumate_location_set_location (SHUMATE_LOCATION (self->marker), latitude, longitude);
  update_marker (self);
}

/* Returns: whether a feature is selected, and which */
gboolean
pct_map_view_get_selected (PctMapView *self,
                           PctLayer   *layer,
                           gint64     *id)
{
  g_return_val_if_fail (PCT_IS_MAP_VIEW (self), FALSE);

  if (layer != NULL)
    *layer = self->selected_layer;
  if (id != NULL)
    *id = self->selected_id;

  return self->selected_layer < PCT_N_LAYERS;
}

/**
 * pct_map_view_refresh_layer:
 * @layer: the layer whose data changed; %PCT_LAYER_ROADS redraws the
 *   built-in basemap
 *
 * Redraws a layer's tiles. Changes in the store are noticed within a
 * second without this; it is for a caller that knows sooner.
 */
void
pct_map_view_refresh_layer (PctMapView *self,
                            PctLayer    layer)
{
  PctTileLayer tile_layer;

  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (layer < PCT_N_LAYERS);

  if (layer == PCT_LAYER_ROADS)
    replace_layer (self, PCT_TILE_LAYER_BASEMAP);
  else if (pct_tile_layer_from_layer (layer, &tile_layer))
    {
      replace_layer (self, tile_layer);
      /* The built-in basemap draws footprints too. */
      if (layer == PCT_LAYER_BUILDINGS)
        replace_layer (self, PCT_TILE_LAYER_BASEMAP);
    }
}

gboolean
pct_map_view_get_layer_visible (PctMapView *self,
                                PctLayer    layer)
{
  g_return_val_if_fail (PCT_IS_MAP_VIEW (self), FALSE);
  g_return_val_if_fail (layer < PCT_N_LAYERS, FALSE);

  return self->visible[layer];
}

/* Shows or hides a layer by changing the visible-layers setting, which the
 * layers popover shows and the next start restores. */
void
pct_map_view_set_layer_visible (PctMapView *self,
                                PctLayer    layer,
                                gboolean    visible)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) names = NULL;

  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (layer < PCT_N_LAYERS);

  if (self->visible[layer] == !!visible)
    return;

  builder = g_strv_builder_new ();
  for (PctLayer l = 0; l < PCT_N_LAYERS; l++)
    if (l == layer ? visible : self->visible[l])
      g_strv_builder_add (builder, pct_layer_to_string (l));
  names = g_strv_builder_end (builder);

  g_settings_set_strv (self->settings, "visible-layers", (const char * const *) names);
}

/**
 * pct_map_view_activate_at:
 * @x: a point in the view's coordinates
 * @y:
 *
 * Does what a primary click at (x, y) does: picks the feature there among
 * the visible layers and emits PctMapView::feature-activated for it.
 *
 * Returns: whether a feature was there
 */
gboolean
pct_map_view_activate_at (PctMapView *self,
                          double      x,
                          double      y)
{
  ShumateViewport *viewport;
  g_autoptr(GError) error = NULL;
  PctLayer layers[PCT_N_LAYERS];
  guint n_layers;
  PctLayer layer;
  gint64 id;
  double lat, lon, feature_lat, feature_lon, zoom, metres_per_pixel;
  graphene_point_t point;

  g_return_val_if_fail (PCT_IS_MAP_VIEW (self), FALSE);

  if (self->store == NULL)
    return FALSE;

  if (!gtk_widget_compute_point (GTK_WIDGET (self), GTK_WIDGET (self->map),
                                 &GRAPHENE_POINT_INIT (x, y), &point))
    return FALSE;

  viewport = shumate_map_get_viewport (self->map);
  zoom = shumate_viewport_get_zoom_level (viewport);
  shumate_viewport_widget_coords_to_location (viewport, GTK_WIDGET (self->map),
                                              point.x, point.y, &lat, &lon);

  collect_pick_layers (self, zoom, layers, &n_layers);
  metres_per_pixel = 2 * G_PI * PCT_GEO_EARTH_RADIUS * cos (lat * G_PI / 180.0) /
                     (PCT_TILE_SIZE * exp2 (zoom));

  if (!pct_pick_at (self->store, layers, n_layers, lon, lat,
                    PICK_RADIUS_PX * metres_per_pixel,
                    &layer, &id, &feature_lon, &feature_lat, &error))
    {
      if (error != NULL)
        g_warning ("Cannot look up what is on the map there: %s", error->message);
      return FALSE;
    }

  g_signal_emit (self, signals[FEATURE_ACTIVATED], 0, (guint) layer, id, feature_lat, feature_lon);
  return TRUE;
}
