/* pct-tile-source.c — map tiles drawn from the local store in worker threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libshumate asks for each tile with fill_tile_async() on the main thread.
 * The tile is drawn by a PctTileRenderer in one of a few worker threads
 * that every tile source of the process shares: as many as there are cores,
 * since more only make the drawing wait on itself. A worker borrows a
 * read-only connection from the pool of the source's store file, which the
 * sources of that file share too: a SQLite connection serves one thread at
 * a time, and opening one per tile would cost more than drawing it. The
 * finished image goes back to the main thread, which alone may touch the
 * ShumateTile.
 *
 * Memory is what the map holds most of. Each ShumateMapLayer keeps its last
 * hundred tiles, so every byte of a tile is held a few hundred times over,
 * and twice where GTK's GL renderer keeps a copy of each texture (as Mesa's
 * software renderer does in the process). So a tile of a feature layer
 * with nothing on it has no image at all, and one whose marks cover part
 * of it keeps that part only. Tiles are made and dropped by the thousand
 * as the map moves; their pixels come straight from the kernel rather than
 * from malloc, whose arenas (one per worker thread) would keep freed tiles
 * resident between the live ones. Once a view is drawn, the tiles out of
 * view let go of their textures and have their pixels deflated in a worker
 * (map tiles are mostly flat colour: 14 kB a tile on average); drawn
 * again, they are inflated on the spot, much faster than drawn anew.
 */

#define G_LOG_DOMAIN "pct-tile-source"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <sys/mman.h>

#include "pct-tile-source.h"

/* Read-only connections to one store file, lent to the workers. Shared by
 * every source drawing from that file, so that a layer replaced after a
 * change, or shown again, finds them open. */
typedef struct
{
  gatomicrefcount  ref_count;
  char            *path;
  GMutex           lock;
  GPtrArray       *idle;   /* PctStore */
} StorePool;

struct _PctTileSource
{
  ShumateMapSource  parent_instance;

  char             *store_path;
  PctTileLayer      layer;
  int               scale_factor;
  guint             n_pending;
  guint             warned : 1;

  /* Shared by the workers: the aggregated layers' points. */
  PctTileIndex     *index;
  StorePool        *stores;
};

typedef struct
{
  ShumateTile *tile;
  guint        zoom;
  guint        x;
  guint        y;
  int          scale_factor;
} TileRequest;

/* Pixels mapped from the kernel, unmapped with the last texture using
 * them: see the top of this file. */
typedef struct
{
  guchar *data;
  gsize   size;
} TilePixels;

/* A tile's image: its pixels, or the part of them that has marks on it,
 * placed where it goes. While the tile is not drawn its texture is let go
 * of and its pixels are packed: see pct_tile_source_release_undrawn(). */
#define PCT_TYPE_TILE_PAINTABLE (pct_tile_paintable_get_type ())
G_DECLARE_FINAL_TYPE (PctTilePaintable, pct_tile_paintable, PCT, TILE_PAINTABLE, GObject)

struct _PctTilePaintable
{
  GObject     parent_instance;

  GBytes     *pixels;  /* NULL while packed */
  GBytes     *packed;  /* the pixels deflated, while out of view */
  int         width;   /* of the pixels */
  int         height;
  int         stride;
  int         x;       /* their place in the tile */
  int         y;
  int         size;    /* the tile's side */

  GdkTexture *texture; /* while drawn */
  gint64      drawn_at;
};

/* Pixels of a tile out of view, on their way to being packed. */
typedef struct
{
  PctTilePaintable *paintable;
  GBytes           *pixels;
  GBytes           *packed;
} PackJob;

static void pct_tile_paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PctTilePaintable, pct_tile_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      pct_tile_paintable_iface_init))

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

/* The workers, and the store pools by path. */
static GThreadPool *workers;
static GHashTable *store_pools;
G_LOCK_DEFINE_STATIC (store_pools);

/* Main thread only: the tile images holding a texture, and when
 * pct_tile_source_release_undrawn() last ran. */
static GHashTable *textured_paintables;
static gint64 last_release;

/* A part of a tile worth a texture of its own: below this share of the
 * tile's area, copying it out costs less than the memory it saves. */
#define CROP_MAX_AREA 0.75

static void
tile_request_free (TileRequest *request)
{
  g_clear_object (&request->tile);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TileRequest, tile_request_free)

static StorePool *
store_pool_ref_for_path (const char *path)
{
  StorePool *pool;

  G_LOCK (store_pools);
  if (store_pools == NULL)
    store_pools = g_hash_table_new (g_str_hash, g_str_equal);

  pool = g_hash_table_lookup (store_pools, path);
  if (pool != NULL)
    g_atomic_ref_count_inc (&pool->ref_count);
  else
    {
      pool = g_new0 (StorePool, 1);
      g_atomic_ref_count_init (&pool->ref_count);
      pool->path = g_strdup (path);
      g_mutex_init (&pool->lock);
      pool->idle = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (store_pools, pool->path, pool);
    }
  G_UNLOCK (store_pools);

  return pool;
}

/* The last source of a file may go in a worker thread, when its last
 * tile's task does: hence the lock around the table. */
static void
store_pool_unref (StorePool *pool)
{
  G_LOCK (store_pools);
  if (!g_atomic_ref_count_dec (&pool->ref_count))
    {
      G_UNLOCK (store_pools);
      return;
    }
  g_hash_table_remove (store_pools, pool->path);
  G_UNLOCK (store_pools);

  g_ptr_array_unref (pool->idle);
  g_mutex_clear (&pool->lock);
  g_free (pool->path);
  g_free (pool);
}

/* An idle connection, or a new one: there are never more workers drawing
 * at once than the pool has threads, so neither are there connections. */
static PctStore *
store_pool_acquire (StorePool  *pool,
                    GError    **error)
{
  PctStore *store = NULL;

  g_mutex_lock (&pool->lock);
  if (pool->idle->len > 0)
    store = g_ptr_array_steal_index_fast (pool->idle, pool->idle->len - 1);
  g_mutex_unlock (&pool->lock);

  if (store == NULL)
    store = pct_store_open (pool->path, PCT_STORE_OPEN_READ_ONLY, error);

  return store;
}

static void
store_pool_release (StorePool *pool,
                    PctStore  *store)
{
  g_mutex_lock (&pool->lock);
  g_ptr_array_add (pool->idle, store);
  g_mutex_unlock (&pool->lock);
}

static TilePixels *
tile_pixels_new (gsize    size,
                 GError **error)
{
  TilePixels *pixels;
  void *data;

  data = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot map memory for a tile: %s", g_strerror (saved_errno));
      return NULL;
    }

  pixels = g_new (TilePixels, 1);
  pixels->data = data;
  pixels->size = size;
  return pixels;
}

static void
tile_pixels_free (gpointer data)
{
  TilePixels *pixels = data;

  munmap (pixels->data, pixels->size);
  g_free (pixels);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TilePixels, tile_pixels_free)

/* The quickest deflate: tiles are mostly runs of one colour, and pack
 * fifteen to one on average over a tour of the large district. */
static GBytes *
pack_pixels (GBytes  *pixels,
             GError **error)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, 1);
  g_autoptr(GByteArray) packed = g_byte_array_new ();
  gsize size;
  const guint8 *data = g_bytes_get_data (pixels, &size);
  gsize done = 0;

  for (;;)
    {
      const gsize chunk = 16 * 1024;
      guint start = packed->len;
      gsize bytes_read, bytes_written;
      GConverterResult result;

      g_byte_array_set_size (packed, start + chunk);
      result = g_converter_convert (G_CONVERTER (compressor), data + done, size - done,
                                    packed->data + start, chunk, G_CONVERTER_INPUT_AT_END,
                                    &bytes_read, &bytes_written, error);
      if (result == G_CONVERTER_ERROR)
        return NULL;

      done += bytes_read;
      g_byte_array_set_size (packed, start + bytes_written);
      if (result == G_CONVERTER_FINISHED)
        return g_byte_array_free_to_bytes (g_steal_pointer (&packed));
    }
}

/* Back into pixels of their own mapping, as they were drawn. */
static GBytes *
unpack_pixels (GBytes  *packed,
               gsize    size,
               GError **error)
{
  g_autoptr(GZlibDecompressor) decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW);
  g_autoptr(TilePixels) pixels = tile_pixels_new (size, error);
  gsize packed_size;
  const guint8 *data = g_bytes_get_data (packed, &packed_size);
  gsize read = 0;
  gsize written = 0;
  guchar *unpacked;

  if (pixels == NULL)
    return NULL;

  for (;;)
    {
      gsize bytes_read, bytes_written;
      GConverterResult result;

      result = g_converter_convert (G_CONVERTER (decompressor), data + read, packed_size - read,
                                    pixels->data + written, size - written,
                                    G_CONVERTER_INPUT_AT_END, &bytes_read, &bytes_written, error);
      if (result == G_CONVERTER_ERROR)
        return NULL;

      read += bytes_read;
      written += bytes_written;
      if (result == G_CONVERTER_FINISHED)
        break;
    }

  if (written != size)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "A packed tile unpacked to %" G_GSIZE_FORMAT " bytes of %" G_GSIZE_FORMAT,
                   written, size);
      return NULL;
    }

  unpacked = pixels->data;
  return g_bytes_new_with_free_func (unpacked, size, tile_pixels_free, g_steal_pointer (&pixels));
}

static void
pack_job_clear (gpointer data)
{
  PackJob *job = data;

  g_clear_object (&job->paintable);
  g_clear_pointer (&job->pixels, g_bytes_unref);
  g_clear_pointer (&job->packed, g_bytes_unref);
}

static void
pack_pixels_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GArray *jobs = task_data;

  for (guint i = 0; i < jobs->len; i++)
    {
      PackJob *job = &g_array_index (jobs, PackJob, i);
      g_autoptr(GError) error = NULL;

      job->packed = pack_pixels (job->pixels, &error);
      if (job->packed == NULL)
        g_warning ("Cannot pack a map tile: %s", error->message);
    }

  g_task_return_boolean (task, TRUE);
}

/* Cairo's ARGB32 is premultiplied native-endian ARGB, which is exactly
 * GDK_MEMORY_DEFAULT: the pixels become a texture without a copy. Takes
 * the pixels. */
static GdkPaintable *
tile_paintable_new (TilePixels *pixels,
                    int         width,
                    int         height,
                    int         stride,
                    int         x,
                    int         y,
                    int         size)
{
  PctTilePaintable *self = g_object_new (PCT_TYPE_TILE_PAINTABLE, NULL);

  self->pixels = g_bytes_new_with_free_func (pixels->data, (gsize) height * stride,
                                             tile_pixels_free, pixels);
  self->width = width;
  self->height = height;
  self->stride = stride;
  self->x = x;
  self->y = y;
  self->size = size;
  return GDK_PAINTABLE (self);
}

/* The smallest rectangle holding every pixel that is not fully
 * transparent, or FALSE when there is none. Premultiplied transparency is
 * all zeroes. */
static gboolean
find_marks (const guchar *data,
            int           size,
            int           stride,
            int          *x1,
            int          *y1,
            int          *x2,
            int          *y2)
{
  *x1 = size;
  *y1 = size;
  *x2 = -1;
  *y2 = -1;

  for (int y = 0; y < size; y++)
    {
      const guint32 *row = (const guint32 *) (gconstpointer) (data + (gsize) y * stride);
      int first = 0;
      int last = size - 1;

      while (first < size && row[first] == 0)
        first++;
      if (first == size)
        continue;
      while (row[last] == 0)
        last--;

      *x1 = MIN (*x1, first);
      *x2 = MAX (*x2, last);
      if (*y2 < 0)
        *y1 = y;
      *y2 = y;
    }

  return *y2 >= 0;
}

/* What a tile of a feature layer shows: nothing, the marked part, or the
 * whole image. Takes the pixels. */
static GdkPaintable *
paintable_new_for_feature_tile (TilePixels  *pixels,
                                int          size,
                                int          stride,
                                GError     **error)
{
  g_autoptr(TilePixels) part = NULL;
  int x1, y1, x2, y2, width, height;

  if (!find_marks (pixels->data, size, stride, &x1, &y1, &x2, &y2))
    {
      tile_pixels_free (pixels);
      return NULL;
    }

  width = x2 - x1 + 1;
  height = y2 - y1 + 1;
  if (width * (double) height >= CROP_MAX_AREA * size * size)
    return tile_paintable_new (pixels, size, size, stride, 0, 0, size);

  part = tile_pixels_new ((gsize) width * height * 4, error);
  if (part == NULL)
    {
      tile_pixels_free (pixels);
      return NULL;
    }
  for (int y = 0; y < height; y++)
    memcpy (part->data + (gsize) y * width * 4,
            pixels->data + (gsize) (y1 + y) * stride + x1 * 4,
            (gsize) width * 4);
  tile_pixels_free (pixels);

  return tile_paintable_new (g_steal_pointer (&part), width, height, width * 4, x1, y1, size);
}

/* Draws a tile; NULL with no error for a feature tile with nothing on it. */
static GdkPaintable *
render_tile (PctTileSource    *self,
             PctTileRenderer  *renderer,
             TileRequest      *request,
             GError          **error)
{
  int size = PCT_TILE_SIZE * request->scale_factor;
  int stride = cairo_format_stride_for_width (CAIRO_FORMAT_ARGB32, size);
  g_autoptr(TilePixels) pixels = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  gboolean drawn;

  pixels = tile_pixels_new ((gsize) size * stride, error);
  if (pixels == NULL)
    return NULL;

  surface = cairo_image_surface_create_for_data (pixels->data, CAIRO_FORMAT_ARGB32,
                                                 size, size, stride);
  cr = cairo_create (surface);
  cairo_scale (cr, request->scale_factor, request->scale_factor);
  drawn = pct_tile_renderer_draw (renderer, cr, self->layer,
                                  request->zoom, request->x, request->y, error);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  cairo_surface_destroy (surface);

  if (!drawn)
    return NULL;

  /* The basemap is opaque: all of it is drawn on. */
  if (self->layer == PCT_TILE_LAYER_BASEMAP)
    return tile_paintable_new (g_steal_pointer (&pixels), size, size, stride, 0, 0, size);

  return paintable_new_for_feature_tile (g_steal_pointer (&pixels), size, stride, error);
}

static void
render_tile_worker (gpointer data,
                    gpointer user_data)
{
  g_autoptr(GTask) task = data;
  PctTileSource *self = g_task_get_source_object (task);
  TileRequest *request = g_task_get_task_data (task);
  g_autoptr(PctTileRenderer) renderer = NULL;
  g_autoptr(GError) error = NULL;
  GdkPaintable *paintable;
  PctStore *store;

  /* The map drops tiles that scrolled out of view before they were drawn. */
  if (g_task_return_error_if_cancelled (task))
    return;

  store = store_pool_acquire (self->stores, &error);
  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  renderer = pct_tile_renderer_new_with_index (store, self->index);
  paintable = render_tile (self, renderer, request, &error);
  g_clear_object (&renderer);
  store_pool_release (self->stores, store);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, paintable, g_object_unref);
}

static void
pct_tile_paintable_snapshot (GdkPaintable *paintable,
                             GdkSnapshot  *snapshot,
                             double        width,
                             double        height)
{
  PctTilePaintable *self = PCT_TILE_PAINTABLE (paintable);
  double scale_x = width / self->size;
  double scale_y = height / self->size;

  if (self->pixels == NULL)
    {
      g_autoptr(GError) error = NULL;

      self->pixels = unpack_pixels (self->packed, (gsize) self->height * self->stride, &error);
      if (self->pixels == NULL)
        {
          g_warning ("Cannot unpack a map tile: %s", error->message);
          return;
        }
      g_clear_pointer (&self->packed, g_bytes_unref);
    }

  if (self->texture == NULL)
    {
      self->texture = gdk_memory_texture_new (self->width, self->height, GDK_MEMORY_DEFAULT,
                                              self->pixels, self->stride);
      if (textured_paintables == NULL)
        textured_paintables = g_hash_table_new (NULL, NULL);
      g_hash_table_add (textured_paintables, self);
    }
  self->drawn_at = g_get_monotonic_time ();

  gtk_snapshot_append_texture (GTK_SNAPSHOT (snapshot), self->texture,
                               &GRAPHENE_RECT_INIT (self->x * scale_x, self->y * scale_y,
                                                    self->width * scale_x,
                                                    self->height * scale_y));
}

static GdkPaintableFlags
pct_tile_paintable_get_flags (GdkPaintable *paintable)
{
  return GDK_PAINTABLE_STATIC_SIZE | GDK_PAINTABLE_STATIC_CONTENTS;
}

static int
pct_tile_paintable_get_intrinsic_size (GdkPaintable *paintable)
{
  return PCT_TILE_PAINTABLE (paintable)->size;
}

static void
pct_tile_paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = pct_tile_paintable_snapshot;
  iface->get_flags = pct_tile_paintable_get_flags;
  iface->get_intrinsic_width = pct_tile_paintable_get_intrinsic_size;
  iface->get_intrinsic_height = pct_tile_paintable_get_intrinsic_size;
}

static void
pct_tile_paintable_finalize (GObject *object)
{
  PctTilePaintable *self = (PctTilePaintable *) object;

  /* A paintable with a texture was drawn, so it is on the main thread. */
  if (self->texture != NULL)
    {
      g_hash_table_remove (textured_paintables, self);
      g_clear_object (&self->texture);
    }
  g_clear_pointer (&self->pixels, g_bytes_unref);
  g_clear_pointer (&self->packed, g_bytes_unref);

  G_OBJECT_CLASS (pct_tile_paintable_parent_class)->finalize (object);
}

static void
pct_tile_paintable_class_init (PctTilePaintableClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pct_tile_paintable_finalize;
}

static void
pct_tile_paintable_init (PctTilePaintable *self)
{
}

/* Takes the packed pixels of the tiles that stayed out of view meanwhile. */
static void
pixels_packed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GArray *jobs = g_task_get_task_data (G_TASK (result));

  for (guint i = 0; i < jobs->len; i++)
    {
      PackJob *job = &g_array_index (jobs, PackJob, i);
      PctTilePaintable *paintable = job->paintable;

      if (job->packed != NULL && paintable->texture == NULL && paintable->pixels == job->pixels)
        {
          g_clear_pointer (&paintable->pixels, g_bytes_unref);
          paintable->packed = g_steal_pointer (&job->packed);
        }
    }

  /* Here, not wherever the task happens to be freed: a tile image's last
   * reference must go on the main thread. */
  g_array_set_size (jobs, 0);
}

static void
tile_rendered_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PctTileSource *self = PCT_TILE_SOURCE (object);
  g_autoptr(GTask) task = user_data;
  TileRequest *request = g_task_get_task_data (task);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GError) error = NULL;

  self->n_pending--;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);

  paintable = g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL)
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

  /* NULL for an empty tile: the layer draws nothing there. */
  shumate_tile_set_paintable (request->tile, paintable);
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
  g_task_set_source_tag (render, render_tile_worker);
  g_task_set_task_data (render, g_task_get_task_data (task), NULL);
  g_thread_pool_push (workers, g_steal_pointer (&render), NULL);
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
pct_tile_source_constructed (GObject *object)
{
  PctTileSource *self = (PctTileSource *) object;

  G_OBJECT_CLASS (pct_tile_source_parent_class)->constructed (object);

  g_return_if_fail (self->store_path != NULL);

  self->stores = store_pool_ref_for_path (self->store_path);
}

static void
pct_tile_source_finalize (GObject *object)
{
  PctTileSource *self = (PctTileSource *) object;

  g_clear_pointer (&self->stores, store_pool_unref);
  g_clear_object (&self->index);
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

  object_class->constructed = pct_tile_source_constructed;
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

  /* Not exclusive: idle threads go back to GLib, which ends them after a
   * while. The workers never wait on anything but the disk. */
  workers = g_thread_pool_new (render_tile_worker, NULL,
                               CLAMP (g_get_num_processors (), 2, 4), FALSE, NULL);
}

static void
pct_tile_source_init (PctTileSource *self)
{
  self->scale_factor = 1;
  self->index = pct_tile_index_new ();
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

/**
 * pct_tile_source_release_undrawn:
 *
 * Lets the tiles that were not drawn since the last call go of their
 * textures. libshumate keeps a hundred tiles per layer, most of them out
 * of view; a GL renderer keeps a copy of every texture it has drawn for as
 * long as the texture lives, and with a software renderer that copy is in
 * this process. Their pixels are packed in a worker, and unpacked into a
 * new texture when they are next drawn. Call it on the main thread once a
 * view is drawn.
 */
void
pct_tile_source_release_undrawn (void)
{
  g_autoptr(GArray) jobs = g_array_new (FALSE, TRUE, sizeof (PackJob));
  GHashTableIter iter;
  gpointer key;

  g_array_set_clear_func (jobs, pack_job_clear);

  if (textured_paintables != NULL)
    {
      g_hash_table_iter_init (&iter, textured_paintables);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          PctTilePaintable *paintable = key;
          PackJob job;

          if (paintable->drawn_at >= last_release)
            continue;

          g_clear_object (&paintable->texture);
          g_hash_table_iter_remove (&iter);

          job.paintable = g_object_ref (paintable);
          job.pixels = g_bytes_ref (paintable->pixels);
          job.packed = NULL;
          g_array_append_val (jobs, job);
        }
    }

  last_release = g_get_monotonic_time ();

  if (jobs->len > 0)
    {
      g_autoptr(GTask) task = g_task_new (NULL, NULL, pixels_packed_cb, NULL);

      g_task_set_source_tag (task, pct_tile_source_release_undrawn);
      g_task_set_task_data (task, g_steal_pointer (&jobs), (GDestroyNotify) g_array_unref);
      g_task_run_in_thread (task, pack_pixels_thread);
    }
}
