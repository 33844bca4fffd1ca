/* pct-basemap.c — basemaps from an MBTiles file or a tile server
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A PctBasemap is a ShumateMapSource over either a PctMbtiles or a
 * PctTileFetcher. The image bytes are read (or downloaded) and decoded
 * into a GdkTexture off the main thread — decoding a screenful of PNGs
 * would otherwise stall panning — and the texture is handed to the tile
 * on the main thread, which alone may touch a ShumateTile.
 *
 * A tile that cannot be had is drawn as a light hatched square, so that a
 * gap in the basemap reads as missing rather than as empty land. It is
 * delivered as a success: libshumate 1.0 only tidies away the tiles of the
 * previous zoom level after a successful tile, and would otherwise leave
 * them showing over the gaps. The layer keeps the hatched tile, so when a
 * tile server that was unreachable answers again, pct_basemap_bind() puts
 * in a fresh layer, which asks for every tile anew. Where an MBTiles file stops short of
 * the zoom level asked for, its deepest tile is cut up and enlarged, so
 * that the feature layers can still be looked at closely.
 *
 * pct_basemap_bind() keeps a PctMapView's basemap in step with the
 * settings.
 */

#define G_LOG_DOMAIN "pct-basemap"

#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "pct-basemap.h"

struct _PctBasemap
{
  ShumateMapSource  parent_instance;

  PctMbtiles       *mbtiles;
  PctTileFetcher   *fetcher;
  guint             n_pending;
  guint             warned : 1;
};

typedef struct
{
  ShumateTile *tile;
  guint        zoom;
  guint        x;
  guint        y;
  GBytes      *bytes;   /* XYZ: downloaded, to be decoded */
} TileRequest;

/* What pct_basemap_bind() keeps on the view. */
typedef struct
{
  PctMapView          *view;       /* weak */
  GSettings           *settings;
  char                *config;     /* the settings the current basemap was made from */
  PctTileFetcher      *fetcher;    /* the current basemap's, if a tile server */
  PctTileFetcherState  state;      /* the fetcher's, as last seen */
  guint                idle_id;
} Binding;

G_DEFINE_FINAL_TYPE (PctBasemap, pct_basemap, SHUMATE_TYPE_MAP_SOURCE)

enum {
  PROP_0,
  PROP_MBTILES,
  PROP_FETCHER,
  PROP_N_PENDING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define BINDING_KEY "pct-basemap-binding"

/* Drawn at twice the tile size, so that the hatching stays crisp on
 * high-density screens. */
#define MISSING_SIZE 512
#define HATCH_SPACING 32.0
#define HATCH_WIDTH 3.0

/* The range the built-in basemap offers: the feature layers need close
 * zoom levels whatever the basemap. */
#define MIN_ZOOM_XYZ 0
#define MAX_ZOOM 20

static void
tile_request_free (TileRequest *request)
{
  g_clear_object (&request->tile);
  g_clear_pointer (&request->bytes, g_bytes_unref);
  g_free (request);
}

static void fetcher_state_changed_cb (PctTileFetcher *fetcher,
                                      GParamSpec     *pspec,
                                      Binding        *binding);

static void
binding_set_fetcher (Binding        *binding,
                     PctTileFetcher *fetcher)
{
  if (binding->fetcher != NULL)
    g_signal_handlers_disconnect_by_func (binding->fetcher, fetcher_state_changed_cb, binding);
  g_set_object (&binding->fetcher, fetcher);
  if (fetcher != NULL)
    {
      binding->state = pct_tile_fetcher_get_state (fetcher);
      g_signal_connect (fetcher, "notify::state", G_CALLBACK (fetcher_state_changed_cb), binding);
    }
}

static void
binding_free (Binding *binding)
{
  binding_set_fetcher (binding, NULL);
  g_clear_handle_id (&binding->idle_id, g_source_remove);
  g_clear_object (&binding->settings);
  g_free (binding->config);
  g_free (binding);
}

/* Cairo's ARGB32 is premultiplied native-endian ARGB, which is exactly
 * GDK_MEMORY_DEFAULT: the pixels go over without a copy. */
static GdkTexture *
texture_new_for_surface (cairo_surface_t *surface)
{
  g_autoptr(GBytes) bytes = NULL;
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);

  cairo_surface_flush (surface);
  bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                      (gsize) height * stride,
                                      (GDestroyNotify) cairo_surface_destroy,
                                      cairo_surface_reference (surface));

  return gdk_memory_texture_new (cairo_image_surface_get_width (surface), height,
                                 GDK_MEMORY_DEFAULT, bytes, stride);
}

static GdkTexture *
missing_texture (void)
{
  static GdkTexture *texture;

  if (g_once_init_enter (&texture))
    {
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                                             MISSING_SIZE, MISSING_SIZE);
      cairo_t *cr = cairo_create (surface);
      GdkTexture *made;

      cairo_set_source_rgb (cr, ((PCT_BASEMAP_MISSING_BACKGROUND >> 16) & 0xff) / 255.0,
                            ((PCT_BASEMAP_MISSING_BACKGROUND >> 8) & 0xff) / 255.0,
                            (PCT_BASEMAP_MISSING_BACKGROUND & 0xff) / 255.0);
      cairo_paint (cr);

      /* Diagonals that meet across tile edges: the spacing divides the
       * size. */
      cairo_set_source_rgb (cr, ((PCT_BASEMAP_MISSING_HATCH >> 16) & 0xff) / 255.0,
                            ((PCT_BASEMAP_MISSING_HATCH >> 8) & 0xff) / 255.0,
                            (PCT_BASEMAP_MISSING_HATCH & 0xff) / 255.0);
      cairo_set_line_width (cr, HATCH_WIDTH);
      for (double offset = -MISSING_SIZE; offset <= MISSING_SIZE; offset += HATCH_SPACING)
        {
          cairo_move_to (cr, offset, MISSING_SIZE);
          cairo_line_to (cr, offset + MISSING_SIZE, 0);
        }
      cairo_stroke (cr);
      cairo_destroy (cr);

      made = texture_new_for_surface (surface);
      cairo_surface_destroy (surface);
      g_once_init_leave (&texture, made);
    }

  return texture;
}

/* Cuts the part of a tile that covers a deeper one and enlarges it. */
static GdkTexture *
enlarge_part (GdkTexture *texture,
              guint       depth,
              guint       sub_x,
              guint       sub_y,
              guint       tile_size)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  int stride = cairo_format_stride_for_width (CAIRO_FORMAT_ARGB32, width);
  double parts = (double) (1u << depth);
  cairo_surface_t *source;
  cairo_surface_t *target;
  cairo_pattern_t *pattern;
  cairo_t *cr;
  GdkTexture *result;

  source = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  gdk_texture_download (texture, cairo_image_surface_get_data (source), stride);
  cairo_surface_mark_dirty (source);

  target = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, tile_size, tile_size);
  cr = cairo_create (target);
  cairo_scale (cr, tile_size * parts / width, tile_size * parts / height);
  cairo_translate (cr, -(width / parts) * sub_x, -(height / parts) * sub_y);
  cairo_set_source_surface (cr, source, 0, 0);
  pattern = cairo_get_source (cr);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_BILINEAR);
  /* Edge pixels are not blended with transparency. */
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_destroy (cr);

  result = texture_new_for_surface (target);
  cairo_surface_destroy (target);
  cairo_surface_destroy (source);

  return result;
}

static void
read_mbtiles_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  PctBasemap *self = source_object;
  TileRequest *request = task_data;
  guint max_zoom = pct_mbtiles_get_max_zoom (self->mbtiles);
  guint depth = request->zoom > max_zoom ? request->zoom - max_zoom : 0;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  bytes = pct_mbtiles_read_tile (self->mbtiles, request->zoom - depth,
                                 request->x >> depth, request->y >> depth, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  texture = gdk_texture_new_from_bytes (bytes, &error);
  if (texture == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (depth > 0)
    {
      guint mask = (1u << depth) - 1;
      guint size = shumate_map_source_get_tile_size (SHUMATE_MAP_SOURCE (self));
      GdkTexture *part = enlarge_part (texture, depth, request->x & mask, request->y & mask, size);

      g_task_return_pointer (task, part, g_object_unref);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&texture), g_object_unref);
}

static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  TileRequest *request = task_data;
  GdkTexture *texture;
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  texture = gdk_texture_new_from_bytes (request->bytes, &error);
  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

static void
set_pending (PctBasemap *self,
             int         delta)
{
  self->n_pending += delta;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
}

static const char *
describe (PctBasemap *self)
{
  return self->mbtiles != NULL ? pct_mbtiles_get_path (self->mbtiles)
                               : pct_tile_fetcher_get_url_template (self->fetcher);
}

/* Finishes the outer task on the main thread with the texture, or with the
 * hatched tile and the error. */
static void
complete_tile (PctBasemap *self,
               GTask      *task,
               GdkTexture *texture,
               GError     *error)
{
  TileRequest *request = g_task_get_task_data (task);

  set_pending (self, -1);

  if (texture != NULL)
    {
      shumate_tile_set_paintable (request->tile, GDK_PAINTABLE (texture));
      shumate_tile_set_state (request->tile, SHUMATE_STATE_DONE);
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Scrolled away: asked for again if it comes back. */
      shumate_tile_set_state (request->tile, SHUMATE_STATE_NONE);
      g_task_return_error (task, error);
      return;
    }

  /* Missing tiles are expected where a file or a server has gaps; what
   * else goes wrong is said once per source, not once per tile. */
  if (!self->warned &&
      !g_error_matches (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NO_TILE) &&
      !g_error_matches (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_NOT_FOUND) &&
      !g_error_matches (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_OFFLINE))
    {
      g_warning ("Cannot show basemap tiles from %s: %s", describe (self), error->message);
      self->warned = TRUE;
    }

  g_debug ("Basemap tile %u/%u/%u missing: %s", request->zoom, request->x, request->y,
           error->message);
  g_error_free (error);

  shumate_tile_set_paintable (request->tile, GDK_PAINTABLE (missing_texture ()));
  shumate_tile_set_state (request->tile, SHUMATE_STATE_DONE);
  g_task_return_boolean (task, TRUE);
}

static void
tile_decoded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PctBasemap *self = PCT_BASEMAP (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  GError *error = NULL;

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  complete_tile (self, task, texture, error);
}

static void
tile_fetched_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PctBasemap *self = g_task_get_source_object (task);
  TileRequest *request = g_task_get_task_data (task);
  g_autoptr(GTask) decode = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  request->bytes = pct_tile_fetcher_fetch_finish (PCT_TILE_FETCHER (object), result, NULL, &error);
  if (request->bytes == NULL)
    {
      complete_tile (self, task, NULL, error);
      return;
    }

  decode = g_task_new (self, cancellable, tile_decoded_cb, g_steal_pointer (&task));
  g_task_set_source_tag (decode, decode_thread);
  g_task_set_task_data (decode, request, NULL);
  g_task_run_in_thread (decode, decode_thread);
}

static void
pct_basemap_fill_tile_async (ShumateMapSource    *source,
                             ShumateTile         *tile,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  PctBasemap *self = PCT_BASEMAP (source);
  g_autoptr(GTask) task = NULL;
  TileRequest *request;

  request = g_new0 (TileRequest, 1);
  request->tile = g_object_ref (tile);
  request->zoom = shumate_tile_get_zoom_level (tile);
  request->x = shumate_tile_get_x (tile);
  request->y = shumate_tile_get_y (tile);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pct_basemap_fill_tile_async);
  g_task_set_task_data (task, request, (GDestroyNotify) tile_request_free);

  if (self->mbtiles != NULL &&
      (request->zoom < pct_mbtiles_get_min_zoom (self->mbtiles) ||
       !pct_mbtiles_tile_in_bounds (self->mbtiles, request->zoom, request->x, request->y)))
    {
      /* Outside what the file covers by design: nothing, not a gap. */
      shumate_tile_set_paintable (tile, NULL);
      shumate_tile_set_state (tile, SHUMATE_STATE_DONE);
      g_task_return_boolean (task, TRUE);
      return;
    }

  shumate_tile_set_state (tile, SHUMATE_STATE_LOADING);
  set_pending (self, +1);

  if (self->mbtiles != NULL)
    {
      g_autoptr(GTask) read = g_task_new (self, cancellable, tile_decoded_cb,
                                          g_steal_pointer (&task));

      g_task_set_source_tag (read, read_mbtiles_thread);
      g_task_set_task_data (read, request, NULL);
      g_task_run_in_thread (read, read_mbtiles_thread);
    }
  else
    pct_tile_fetcher_fetch_async (self->fetcher, request->zoom, request->x, request->y,
                                  cancellable, tile_fetched_cb, g_steal_pointer (&task));
}

static gboolean
pct_basemap_fill_tile_finish (ShumateMapSource  *source,
                              GAsyncResult      *result,
                              GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
pct_basemap_dispose (GObject *object)
{
  PctBasemap *self = (PctBasemap *) object;

  g_clear_object (&self->mbtiles);
  g_clear_object (&self->fetcher);

  G_OBJECT_CLASS (pct_basemap_parent_class)->dispose (object);
}

static void
pct_basemap_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  PctBasemap *self = PCT_BASEMAP (object);

  switch (prop_id)
    {
    case PROP_MBTILES:
      g_value_set_object (value, self->mbtiles);
      break;

    case PROP_FETCHER:
      g_value_set_object (value, self->fetcher);
      break;

    case PROP_N_PENDING:
      g_value_set_uint (value, self->n_pending);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_basemap_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  PctBasemap *self = PCT_BASEMAP (object);

  switch (prop_id)
    {
    case PROP_MBTILES:
      self->mbtiles = g_value_dup_object (value);
      break;

    case PROP_FETCHER:
      self->fetcher = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_basemap_class_init (PctBasemapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ShumateMapSourceClass *source_class = SHUMATE_MAP_SOURCE_CLASS (klass);

  object_class->dispose = pct_basemap_dispose;
  object_class->get_property = pct_basemap_get_property;
  object_class->set_property = pct_basemap_set_property;

  source_class->fill_tile_async = pct_basemap_fill_tile_async;
  source_class->fill_tile_finish = pct_basemap_fill_tile_finish;

  properties[PROP_MBTILES] =
    g_param_spec_object ("mbtiles", NULL, NULL,
                         PCT_TYPE_MBTILES,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_FETCHER] =
    g_param_spec_object ("fetcher", NULL, NULL,
                         PCT_TYPE_TILE_FETCHER,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Tiles asked for and not yet delivered. */
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pct_basemap_init (PctBasemap *self)
{
}

/**
 * pct_basemap_new_for_mbtiles:
 *
 * A basemap of @mbtiles' tiles, with its attribution as the license text.
 * Zoom levels deeper than the file's enlarge its deepest tiles.
 */
PctBasemap *
pct_basemap_new_for_mbtiles (PctMbtiles *mbtiles)
{
  g_autofree char *id = NULL;
  const char *attribution;

  g_return_val_if_fail (PCT_IS_MBTILES (mbtiles), NULL);

  /* The id keys libshumate's tile cache: one per file. */
  id = g_strdup_printf ("precinct-mbtiles:%s", pct_mbtiles_get_path (mbtiles));
  attribution = pct_mbtiles_get_attribution (mbtiles);

  return g_object_new (PCT_TYPE_BASEMAP,
                       "mbtiles", mbtiles,
                       "id", id,
                       "name", pct_mbtiles_get_name (mbtiles),
                       "license", attribution != NULL ? attribution : pct_mbtiles_get_name (mbtiles),
                       "license-uri", pct_mbtiles_get_attribution_uri (mbtiles),
                       "tile-size", 256u,
                       "projection", SHUMATE_MAP_PROJECTION_MERCATOR,
                       "min-zoom-level", pct_mbtiles_get_min_zoom (mbtiles),
                       "max-zoom-level", MAX (pct_mbtiles_get_max_zoom (mbtiles), (guint) MAX_ZOOM),
                       NULL);
}

/**
 * pct_basemap_new_for_fetcher:
 *
 * A basemap of the tiles @fetcher gets; the license text names the
 * server.
 */
PctBasemap *
pct_basemap_new_for_fetcher (PctTileFetcher *fetcher)
{
  g_autofree char *id = NULL;
  g_autofree char *host = NULL;
  g_autofree char *license = NULL;

  g_return_val_if_fail (PCT_IS_TILE_FETCHER (fetcher), NULL);

  id = g_strdup_printf ("precinct-xyz:%s", pct_tile_fetcher_get_url_template (fetcher));
  host = pct_tile_fetcher_dup_host (fetcher);
  /* Translators: %s is the host name of a tile server. */
  license = g_strdup_printf (_("Map tiles from %s"), host);

  return g_object_new (PCT_TYPE_BASEMAP,
                       "fetcher", fetcher,
                       "id", id,
                       "name", host,
                       "license", license,
                       "tile-size", 256u,
                       "projection", SHUMATE_MAP_PROJECTION_MERCATOR,
                       "min-zoom-level", (guint) MIN_ZOOM_XYZ,
                       "max-zoom-level", (guint) MAX_ZOOM,
                       NULL);
}

/**
 * pct_basemap_new_from_settings:
 * @settings: the application's settings
 *
 * Makes the basemap the settings choose: %NULL without an error for the
 * built-in one (drawn by the map view itself), %NULL with an error when
 * the chosen file or server settings cannot be used.
 *
 * Returns: (transfer full) (nullable): the basemap
 */
ShumateMapSource *
pct_basemap_new_from_settings (GSettings  *settings,
                               GError    **error)
{
  g_autofree char *kind = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  kind = g_settings_get_string (settings, "basemap");

  if (g_str_equal (kind, "mbtiles"))
    {
      g_autofree char *path = g_settings_get_string (settings, "mbtiles-path");
      g_autoptr(PctMbtiles) mbtiles = NULL;

      if (*path == '\0')
        {
          g_set_error_literal (error, PCT_MBTILES_ERROR, PCT_MBTILES_ERROR_NOT_FOUND,
                               _("No MBTiles file is chosen"));
          return NULL;
        }

      mbtiles = pct_mbtiles_open (path, error);
      if (mbtiles == NULL)
        return NULL;

      return SHUMATE_MAP_SOURCE (pct_basemap_new_for_mbtiles (mbtiles));
    }

  if (g_str_equal (kind, "xyz"))
    {
      g_autofree char *url_template = g_settings_get_string (settings, "xyz-url-template");
      g_autofree char *ca_file = g_settings_get_string (settings, "xyz-ca-file");
      g_autoptr(PctTileFetcher) fetcher = NULL;

      fetcher = pct_tile_fetcher_new (url_template, *ca_file != '\0' ? ca_file : NULL, NULL, error);
      if (fetcher == NULL)
        return NULL;

      return SHUMATE_MAP_SOURCE (pct_basemap_new_for_fetcher (fetcher));
    }

  return NULL;
}

static char *
dup_config (GSettings *settings)
{
  g_autofree char *kind = g_settings_get_string (settings, "basemap");
  g_autofree char *path = g_settings_get_string (settings, "mbtiles-path");
  g_autofree char *url_template = g_settings_get_string (settings, "xyz-url-template");
  g_autofree char *ca_file = g_settings_get_string (settings, "xyz-ca-file");

  if (g_str_equal (kind, "mbtiles"))
    return g_strconcat (kind, "\n", path, NULL);
  if (g_str_equal (kind, "xyz"))
    return g_strconcat (kind, "\n", url_template, "\n", ca_file, NULL);
  return g_strdup (kind);
}

static gboolean
apply_idle_cb (gpointer user_data)
{
  Binding *binding = user_data;
  g_autoptr(ShumateMapSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = dup_config (binding->settings);

  binding->idle_id = 0;

  /* Changing a key of a source not in use changes nothing on the map. */
  if (g_strcmp0 (config, binding->config) == 0)
    return G_SOURCE_REMOVE;

  g_free (binding->config);
  binding->config = g_steal_pointer (&config);

  source = pct_basemap_new_from_settings (binding->settings, &error);
  if (error != NULL)
    /* The preferences say what is wrong; the map stays usable. */
    g_warning ("Cannot use the chosen basemap, showing the built-in one: %s", error->message);

  pct_map_view_set_basemap (binding->view, source);
  binding_set_fetcher (binding, PCT_IS_BASEMAP (source) ?
                                pct_basemap_get_fetcher (PCT_BASEMAP (source)) : NULL);

  return G_SOURCE_REMOVE;
}

/* Back from offline: a new basemap over the same fetcher (and cache) in
 * place of the one whose layer holds hatched tiles. */
static void
fetcher_state_changed_cb (PctTileFetcher *fetcher,
                          GParamSpec     *pspec,
                          Binding        *binding)
{
  PctTileFetcherState state = pct_tile_fetcher_get_state (fetcher);
  gboolean recovered = state == PCT_TILE_FETCHER_STATE_ONLINE &&
                       (binding->state == PCT_TILE_FETCHER_STATE_OFFLINE ||
                        binding->state == PCT_TILE_FETCHER_STATE_ERROR);

  binding->state = state;

  if (recovered)
    {
      g_autoptr(PctBasemap) source = pct_basemap_new_for_fetcher (fetcher);

      pct_map_view_set_basemap (binding->view, SHUMATE_MAP_SOURCE (source));
    }
}

static void
settings_changed_cb (PctMapView *view,
                     const char *key,
                     GSettings  *settings)
{
  Binding *binding = g_object_get_data (G_OBJECT (view), BINDING_KEY);

  if (binding == NULL ||
      (g_strcmp0 (key, "basemap") != 0 && g_strcmp0 (key, "mbtiles-path") != 0 &&
       g_strcmp0 (key, "xyz-url-template") != 0 && g_strcmp0 (key, "xyz-ca-file") != 0))
    return;

  /* The preferences change several keys in a row: one new basemap. At
   * the default priority, so that a busy map does not starve it. */
  if (binding->idle_id == 0)
    binding->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, apply_idle_cb, binding, NULL);
}

static void
view_destroyed_cb (PctMapView *view,
                   gpointer    user_data)
{
  g_object_set_data (G_OBJECT (view), BINDING_KEY, NULL);
}

/**
 * pct_basemap_bind:
 * @view: the map
 * @settings: the application's settings
 *
 * Shows the basemap the settings choose on @view now, and a new one
 * whenever the keys basemap, mbtiles-path, xyz-url-template or
 * xyz-ca-file change, for as long as @view lives. A choice that cannot be
 * used leaves the built-in basemap. Binding the same settings again does
 * nothing.
 */
void
pct_basemap_bind (PctMapView *view,
                  GSettings  *settings)
{
  Binding *binding;

  g_return_if_fail (PCT_IS_MAP_VIEW (view));
  g_return_if_fail (G_IS_SETTINGS (settings));

  binding = g_object_get_data (G_OBJECT (view), BINDING_KEY);
  if (binding != NULL && binding->settings == settings)
    return;

  binding = g_new0 (Binding, 1);
  binding->view = view;
  binding->settings = g_object_ref (settings);
  g_object_set_data_full (G_OBJECT (view), BINDING_KEY, binding, (GDestroyNotify) binding_free);

  g_signal_connect_object (settings, "changed", G_CALLBACK (settings_changed_cb), view,
                           G_CONNECT_SWAPPED);
  /* Nothing more to apply to a view being taken down. */
  g_signal_connect (view, "destroy", G_CALLBACK (view_destroyed_cb), NULL);
  apply_idle_cb (binding);
}

/* Returns: (transfer none) (nullable): the file, for an MBTiles basemap */
PctMbtiles *
pct_basemap_get_mbtiles (PctBasemap *self)
{
  g_return_val_if_fail (PCT_IS_BASEMAP (self), NULL);

  return self->mbtiles;
}

/* Returns: (transfer none) (nullable): the fetcher, for a tile server */
PctTileFetcher *
pct_basemap_get_fetcher (PctBasemap *self)
{
  g_return_val_if_fail (PCT_IS_BASEMAP (self), NULL);

  return self->fetcher;
}

guint
pct_basemap_get_n_pending (PctBasemap *self)
{
  g_return_val_if_fail (PCT_IS_BASEMAP (self), 0);

  return self->n_pending;
}
