/* pct-tile-source.c — map tiles drawn from the local store in worker threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libshumate asks for each tile with fill_tile_async() on the main thread.
 * The tile is drawn in a GTask worker by a PctTileRenderer, and each worker
 * takes a renderer with its own read-only connection from a small pool: a
 * SQLite connection serves one thread at a time, and opening one per tile
 * would cost more than drawing it. The finished image goes back to the main
 * thread, which alone may touch the ShumateTile.
 */

#define G_LOG_DOMAIN "pct-tile-source"

#include "config.h"

#include <glib/gi18n.h>

#include "pct-tile-source.h"

struct _PctTileSource
{
  ShumateMapSource  parent_instance;

  char             *store_path;
  PctTileLayer      layer;
  int               scale_factor;
  guint             n_pending;
  guint             warned : 1;

  /* Shared by the renderers: the aggregated layers' points. */
  PctTileIndex     *index;

  /* The renderer pool, shared by the worker threads. */
  GMutex            pool_lock;
  GCond             pool_cond;
  GPtrArray        *idle_renderers;
  guint             n_renderers;
  guint             max_renderers;
};

typedef struct
{
  ShumateTile *tile;
  guint        zoom;
  guint        x;
  guint        y;
  int          scale_factor;
} TileRequest;

G_DEFINE_FINAL_TYPE (PctTileSource, pct_tile_source, SHUMATE_TYPE_MAP_SOURCE)

enum {
  PROP_0,
  PROP_STORE_PATH,
  PROP_LAYER,
  PROP_SCALE_FACTOR,
  PROP_N_PENDING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
tile_request_free (TileRequest *request)
{
  g_clear_object (&request->tile);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TileRequest, tile_request_free)

/* Takes an idle renderer, makes one while the pool is below its size, and
 * otherwise waits for one to come back. Runs in a worker thread. */
static PctTileRenderer *
acquire_renderer (PctTileSource  *self,
                  GError        **error)
{
  g_autoptr(PctStore) store = NULL;
  PctTileRenderer *renderer = NULL;

  g_mutex_lock (&self->pool_lock);
  while (self->idle_renderers->len == 0 && self->n_renderers >= self->max_renderers)
    g_cond_wait (&self->pool_cond, &self->pool_lock);
  if (self->idle_renderers->len > 0)
    renderer = g_ptr_array_steal_index_fast (self->idle_renderers,
                                             self->idle_renderers->len - 1);
  else
    self->n_renderers++;
  g_mutex_unlock (&self->pool_lock);

  if (renderer != NULL)
    return renderer;

  store = pct_store_open (self->store_path, PCT_STORE_OPEN_READ_ONLY, error);
  if (store == NULL)
    {
      g_mutex_lock (&self->pool_lock);
      self->n_renderers--;
      g_cond_signal (&self->pool_cond);
      g_mutex_unlock (&self->pool_lock);
      return NULL;
    }

  return pct_tile_renderer_new_with_index (store, self->index);
}

static void
release_renderer (PctTileSource   *self,
                  PctTileRenderer *renderer)
{
  g_mutex_lock (&self->pool_lock);
  g_ptr_array_add (self->idle_renderers, renderer);
  g_cond_signal (&self->pool_cond);
  g_mutex_unlock (&self->pool_lock);
}

/* Cairo's ARGB32 is premultiplied native-endian ARGB, which is exactly
 * GDK_MEMORY_DEFAULT: the pixels are handed over without a copy. */
static GdkTexture *
texture_new_for_surface (cairo_surface_t *surface)
{
  g_autoptr(GBytes) bytes = NULL;
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);

  bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                      (gsize) height * stride,
                                      (GDestroyNotify) cairo_surface_destroy,
                                      cairo_surface_reference (surface));

  return gdk_memory_texture_new (cairo_image_surface_get_width (surface), height,
                                 GDK_MEMORY_DEFAULT, bytes, stride);
}

static void
render_tile_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  PctTileSource *self = source_object;
  TileRequest *request = task_data;
  PctTileRenderer *renderer;
  cairo_surface_t *surface;
  GdkTexture *texture;
  GError *error = NULL;

  /* The map drops tiles that scrolled out of view before they were drawn. */
  if (g_task_return_error_if_cancelled (task))
    return;

  renderer = acquire_renderer (self, &error);
  if (renderer == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  surface = pct_tile_renderer_render (renderer, self->layer,
                                      request->zoom, request->x, request->y,
                                      request->scale_factor, &error);
  release_renderer (self, renderer);

  if (surface == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  texture = texture_new_for_surface (surface);
  cairo_surface_destroy (surface);

  g_task_return_pointer (task, texture, g_object_unref);
}

static void
tile_rendered_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PctTileSource *self = PCT_TILE_SOURCE (object);
  g_autoptr(GTask) task = user_data;
  TileRequest *request = g_task_get_task_data (task);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  self->n_pending--;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  if (texture == NULL)
    {
      /* NONE, so that the tile is asked for again when it comes back
       * into view. */
      shumate_tile_set_state (request->tile, SHUMATE_STATE_NONE);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !self->warned)
        {
          /* Once per source: the same cause would repeat for every tile. */
          g_warning ("Cannot draw map tiles from %s: %s", self->store_path, error->message);
          self->warned = TRUE;
        }

      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  shumate_tile_set_paintable (request->tile, GDK_PAINTABLE (texture));
  shumate_tile_set_state (request->tile, SHUMATE_STATE_DONE);

  g_task_return_boolean (task, TRUE);
}

static void
pct_tile_source_fill_tile_async (ShumateMapSource    *source,
                                 ShumateTile         *tile,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  PctTileSource *self = PCT_TILE_SOURCE (source);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) render = NULL;
  g_autoptr(TileRequest) request = NULL;

  request = g_new0 (TileRequest, 1);
  request->tile = g_object_ref (tile);
  request->zoom = shumate_tile_get_zoom_level (tile);
  request->x = shumate_tile_get_x (tile);
  request->y = shumate_tile_get_y (tile);
  request->scale_factor = self->scale_factor;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pct_tile_source_fill_tile_async);
  g_task_set_task_data (task, g_steal_pointer (&request), (GDestroyNotify) tile_request_free);

  shumate_tile_set_state (tile, SHUMATE_STATE_LOADING);
  self->n_pending++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);

  /* The worker's result comes back to tile_rendered_cb() on this thread,
   * which fills the tile and then completes the outer task. */
  render = g_task_new (self, cancellable, tile_rendered_cb, g_object_ref (task));
  g_task_set_source_tag (render, render_tile_thread);
  g_task_set_task_data (render, g_task_get_task_data (task), NULL);
  g_task_run_in_thread (render, render_tile_thread);
}

static gboolean
pct_tile_source_fill_tile_finish (ShumateMapSource  *source,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
pct_tile_source_finalize (GObject *object)
{
  PctTileSource *self = (PctTileSource *) object;

  g_clear_pointer (&self->idle_renderers, g_ptr_array_unref);
  g_clear_object (&self->index);
  g_mutex_clear (&self->pool_lock);
  g_cond_clear (&self->pool_cond);
  g_clear_pointer (&self->store_path, g_free);

  G_OBJECT_CLASS (pct_tile_source_parent_class)->finalize (object);
}

static void
pct_tile_source_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PctTileSource *self = PCT_TILE_SOURCE (object);

  switch (prop_id)
    {
    case PROP_STORE_PATH:
      g_value_set_string (value, self->store_path);
      break;

    case PROP_LAYER:
      g_value_set_int (value, self->layer);
      break;

    case PROP_SCALE_FACTOR:
      g_value_set_int (value, self->scale_factor);
      break;

    case PROP_N_PENDING:
      g_value_set_uint (value, self->n_pending);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_tile_source_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PctTileSource *self = PCT_TILE_SOURCE (object);

  switch (prop_id)
    {
    case PROP_STORE_PATH:
      self->store_path = g_value_dup_string (value);
      break;

    case PROP_LAYER:
      self->layer = g_value_get_int (value);
      break;

    case PROP_SCALE_FACTOR:
      pct_tile_source_set_scale_factor (self, g_value_get_int (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_tile_source_class_init (PctTileSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ShumateMapSourceClass *source_class = SHUMATE_MAP_SOURCE_CLASS (klass);

  object_class->finalize = pct_tile_source_finalize;
  object_class->get_property = pct_tile_source_get_property;
  object_class->set_property = pct_tile_source_set_property;

  source_class->fill_tile_async = pct_tile_source_fill_tile_async;
  source_class->fill_tile_finish = pct_tile_source_fill_tile_finish;

  properties[PROP_STORE_PATH] =
    g_param_spec_string ("store-path", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* A PctTileLayer. */
  properties[PROP_LAYER] =
    g_param_spec_int ("layer", NULL, NULL,
                      PCT_TILE_LAYER_BASEMAP, PCT_N_TILE_LAYERS - 1,
                      PCT_TILE_LAYER_BASEMAP,
                      (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SCALE_FACTOR] =
    g_param_spec_int ("scale-factor", NULL, NULL,
                      1, 8, 1,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pct_tile_source_init (PctTileSource *self)
{
  self->scale_factor = 1;
  self->idle_renderers = g_ptr_array_new_with_free_func (g_object_unref);
  self->index = pct_tile_index_new ();
  /* More connections than cores only make the workers wait on each other. */
  self->max_renderers = CLAMP (g_get_num_processors (), 2, 4);
  g_mutex_init (&self->pool_lock);
  g_cond_init (&self->pool_cond);
}

PctTileSource *
pct_tile_source_new (const char   *store_path,
                     PctTileLayer  layer)
{
  const char *id = NULL;
  const char *name = NULL;
  const char *license = NULL;

  g_return_val_if_fail (store_path != NULL, NULL);

  /* The id keys libshumate's tile cache; the name is shown to users. */
  switch (layer)
    {
    case PCT_TILE_LAYER_BASEMAP:
      id = "precinct-basemap";
      name = _("District Basemap");
      license = _("Basemap drawn from the district’s own records");
      break;

    case PCT_TILE_LAYER_ADDRESSES:
      id = "precinct-addresses";
      name = _("Standard Addresses");
      break;

    case PCT_TILE_LAYER_BUILDINGS:
      id = "precinct-buildings";
      name = _("Buildings");
      break;

    case PCT_TILE_LAYER_UNITS:
      id = "precinct-units";
      name = _("Units");
      break;

    case PCT_TILE_LAYER_FACILITIES:
      id = "precinct-facilities";
      name = _("Facilities");
      break;

    case PCT_TILE_LAYER_GRIDS:
      id = "precinct-grids";
      name = _("Grid Cells");
      break;

    case PCT_N_TILE_LAYERS:
    default:
      g_return_val_if_reached (NULL);
    }

  /* ShumateMapSource's own properties are construct properties, which
   * would overwrite anything set in init. A district spans tens of
   * kilometres: further out than 8 it is a dot, and beyond 20 the store's
   * coordinates are finer than anything drawn. */
  return g_object_new (PCT_TYPE_TILE_SOURCE,
                       "store-path", store_path,
                       "layer", layer,
                       "id", id,
                       "name", name,
                       "license", license,
                       "tile-size", (guint) PCT_TILE_SIZE,
                       "projection", SHUMATE_MAP_PROJECTION_MERCATOR,
                       "min-zoom-level", (guint) 8,
                       "max-zoom-level", (guint) 20,
                       NULL);
}

const char *
pct_tile_source_get_store_path (PctTileSource *self)
{
  g_return_val_if_fail (PCT_IS_TILE_SOURCE (self), NULL);

  return self->store_path;
}

PctTileLayer
pct_tile_source_get_layer (PctTileSource *self)
{
  g_return_val_if_fail (PCT_IS_TILE_SOURCE (self), PCT_TILE_LAYER_BASEMAP);

  return self->layer;
}

int
pct_tile_source_get_scale_factor (PctTileSource *self)
{
  g_return_val_if_fail (PCT_IS_TILE_SOURCE (self), 1);

  return self->scale_factor;
}

/**
 * pct_tile_source_set_scale_factor:
 *
 * Sets the density of the screen the tiles are for. Tiles drawn from now on
 * have scale_factor × 256 pixels a side; tiles already drawn are not redone,
 * so a map showing this source should replace its layer.
 */
void
pct_tile_source_set_scale_factor (PctTileSource *self,
                                  int            scale_factor)
{
  g_return_if_fail (PCT_IS_TILE_SOURCE (self));
  g_return_if_fail (scale_factor >= 1 && scale_factor <= 8);

  if (self->scale_factor == scale_factor)
    return;

  self->scale_factor = scale_factor;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALE_FACTOR]);
}

/* Tiles asked for and not yet drawn (or failed). */
guint
pct_tile_source_get_n_pending (PctTileSource *self)
{
  g_return_val_if_fail (PCT_IS_TILE_SOURCE (self), 0);

  return self->n_pending;
}
