/* pct-map-view.c — the district map: basemap, feature layers and controls
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A ShumateMap with one ShumateMapLayer per PctTileSource: the built-in
 * basemap at the bottom, then the addresses. The basemap is the viewport's
 * reference source, which sets the zoom range and the scale bar. libshumate
 * 1.0 caches finished tiles per layer and cannot redraw them, so whenever
 * tiles must change (another store, another screen density) the layers are
 * replaced rather than refreshed.
 */

#define G_LOG_DOMAIN "pct-map-view"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "pct-geo.h"
#include "pct-map-view.h"
#include "pct-tile-source.h"

struct _PctMapView
{
  GtkWidget        parent_instance;

  /* Template widgets */
  GtkWidget       *overlay;
  ShumateMap      *map;
  ShumateScale    *scale;
  GtkLabel        *zoom_label;
  GtkSpinner      *spinner;

  /* Owned references */
  PctStore        *store;
  PctTileSource   *basemap_source;
  PctTileSource   *address_source;

  /* Borrowed references: the map holds the layers */
  ShumateLayer    *basemap_layer;
  ShumateLayer    *address_layer;

  PctBBox          district;
  guint            fit_idle_id;
  guint            settle_idle_id;
  guint            spinner_timeout_id;
  guint            has_district : 1;
  guint            fit_pending : 1;
  guint            loading : 1;
};

static gboolean spinner_timeout_cb (gpointer user_data);
static gboolean settle_idle_cb     (gpointer user_data);
static gboolean fit_idle_cb        (gpointer user_data);

G_DEFINE_FINAL_TYPE (PctMapView, pct_map_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STORE,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* How much of the window the district fills when shown whole. */
#define DISTRICT_FILL 0.9

/* Drawing a screenful of tiles usually takes less than this; a spinner that
 * flashes for every pan would only distract. */
#define SPINNER_DELAY_MS 400

static void
pct_map_view_actions_update (PctMapView *self)
{
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);
  double zoom = shumate_viewport_get_zoom_level (viewport);
  gboolean has_source = self->basemap_source != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.zoom-in",
                                 has_source &&
                                 zoom < shumate_viewport_get_max_zoom_level (viewport));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.zoom-out",
                                 has_source &&
                                 zoom > shumate_viewport_get_min_zoom_level (viewport));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.show-district",
                                 has_source && self->has_district);
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
set_loading (PctMapView *self,
             gboolean    loading)
{
  loading = !!loading;
  if (self->loading == loading)
    return;

  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* Loading covers the whole way from a change of view to the last tile:
 * the fit waiting for a size, the layers working out in an idle which
 * tiles they need, and the tiles being drawn. */
static void
update_loading (PctMapView *self)
{
  guint pending = 0;

  if (self->basemap_source != NULL)
    pending += pct_tile_source_get_n_pending (self->basemap_source);
  if (self->address_source != NULL)
    pending += pct_tile_source_get_n_pending (self->address_source);

  set_loading (self, self->basemap_source != NULL &&
                     (pending > 0 || self->fit_pending || self->settle_idle_id != 0));

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
remove_layers (PctMapView *self)
{
  if (self->address_layer != NULL)
    shumate_map_remove_layer (self->map, g_steal_pointer (&self->address_layer));
  if (self->basemap_layer != NULL)
    shumate_map_remove_layer (self->map, g_steal_pointer (&self->basemap_layer));
}

/* Adding a source to the map takes both steps: the reference source alone
 * draws nothing, and layers alone leave the viewport without a zoom range. */
static void
add_layers (PctMapView *self)
{
  ShumateViewport *viewport = shumate_map_get_viewport (self->map);

  remove_layers (self);

  if (self->basemap_source == NULL)
    return;

  shumate_map_set_map_source (self->map, SHUMATE_MAP_SOURCE (self->basemap_source));

  self->basemap_layer =
    SHUMATE_LAYER (shumate_map_layer_new (SHUMATE_MAP_SOURCE (self->basemap_source), viewport));
  shumate_map_add_layer (self->map, self->basemap_layer);

  self->address_layer =
    SHUMATE_LAYER (shumate_map_layer_new (SHUMATE_MAP_SOURCE (self->address_source), viewport));
  shumate_map_add_layer (self->map, self->address_layer);
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
  shumate_map_stop_go_to (self->map);
  shumate_viewport_set_zoom_level (viewport, zoom);
  shumate_map_center_on (self->map, lat, lon);
  update_loading (self);
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
source_pending_changed_cb (PctMapView    *self,
                           GParamSpec    *pspec,
                           PctTileSource *source)
{
  update_loading (self);
}

static void
scale_factor_changed_cb (PctMapView *self,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  int scale_factor = gtk_widget_get_scale_factor (GTK_WIDGET (self));

  if (self->basemap_source == NULL ||
      pct_tile_source_get_scale_factor (self->basemap_source) == scale_factor)
    return;

  pct_tile_source_set_scale_factor (self->basemap_source, scale_factor);
  pct_tile_source_set_scale_factor (self->address_source, scale_factor);
  add_layers (self);
}

static void
zoom_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  PctMapView *self = PCT_MAP_VIEW (widget);

  shumate_map_zoom_in (self->map);
}

static void
zoom_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  PctMapView *self = PCT_MAP_VIEW (widget);

  shumate_map_zoom_out (self->map);
}

static void
show_district_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  pct_map_view_show_district (PCT_MAP_VIEW (widget));
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

  if (self->basemap_source != NULL)
    g_signal_handlers_disconnect_by_func (self->basemap_source, source_pending_changed_cb, self);
  if (self->address_source != NULL)
    g_signal_handlers_disconnect_by_func (self->address_source, source_pending_changed_cb, self);

  self->basemap_layer = NULL;
  self->address_layer = NULL;

  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_MAP_VIEW);

  g_clear_object (&self->basemap_source);
  g_clear_object (&self->address_source);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (pct_map_view_parent_class)->dispose (object);
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

  g_type_ensure (SHUMATE_TYPE_MAP);
  g_type_ensure (SHUMATE_TYPE_SCALE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-map-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PctMapView, overlay);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, map);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, scale);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, zoom_label);
  gtk_widget_class_bind_template_child (widget_class, PctMapView, spinner);

  gtk_widget_class_install_action (widget_class, "map.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "map.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "map.show-district", NULL, show_district_action);

  gtk_widget_class_set_css_name (widget_class, "districtmap");
}

static void
pct_map_view_init (PctMapView *self)
{
  ShumateViewport *viewport;

  gtk_widget_init_template (GTK_WIDGET (self));

  viewport = shumate_map_get_viewport (self->map);
  shumate_scale_set_viewport (self->scale, viewport);

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
  pct_map_view_actions_update (self);
}

GtkWidget *
pct_map_view_new (void)
{
  return g_object_new (PCT_TYPE_MAP_VIEW, NULL);
}

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
  int scale_factor;

  g_return_if_fail (PCT_IS_MAP_VIEW (self));
  g_return_if_fail (store == NULL || PCT_IS_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  remove_layers (self);
  if (self->basemap_source != NULL)
    g_signal_handlers_disconnect_by_func (self->basemap_source, source_pending_changed_cb, self);
  if (self->address_source != NULL)
    g_signal_handlers_disconnect_by_func (self->address_source, source_pending_changed_cb, self);
  g_clear_object (&self->basemap_source);
  g_clear_object (&self->address_source);

  if (store != NULL)
    {
      scale_factor = gtk_widget_get_scale_factor (GTK_WIDGET (self));

      self->basemap_source = pct_tile_source_new (pct_store_get_path (store),
                                                  PCT_TILE_LAYER_BASEMAP);
      self->address_source = pct_tile_source_new (pct_store_get_path (store),
                                                  PCT_TILE_LAYER_ADDRESSES);
      pct_tile_source_set_scale_factor (self->basemap_source, scale_factor);
      pct_tile_source_set_scale_factor (self->address_source, scale_factor);

      g_signal_connect_object (self->basemap_source, "notify::n-pending",
                               G_CALLBACK (source_pending_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->address_source, "notify::n-pending",
                               G_CALLBACK (source_pending_changed_cb), self,
                               G_CONNECT_SWAPPED);

      add_layers (self);
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

void
pct_map_view_go_to (PctMapView *self,
                    double      latitude,
                    double      longitude,
                    double      zoom_level)
{
  g_return_if_fail (PCT_IS_MAP_VIEW (self));

  self->fit_pending = FALSE;
  shumate_map_stop_go_to (self->map);
  shumate_viewport_set_zoom_level (shumate_map_get_viewport (self->map), zoom_level);
  shumate_map_center_on (self->map, latitude, longitude);
  update_loading (self);
}
