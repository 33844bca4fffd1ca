/* pct-incident-layer.c — every live incident on the map, drawn in one
 * snapshot
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libshumate 1.0's marker layer makes a widget per marker, which does not
 * survive thousands of incidents. This layer keeps the live incidents in a
 * flat array (pct-incidents.c), clusters those in view on a grid of screen
 * cells fixed to the world, and draws each cluster as one texture node: a
 * handful of small pre-drawn sprites per screen density, so a frame costs
 * a few node appends per incident in view, never a Cairo path.
 *
 * The look: the fill is the severity (1 blue #3584e4, 2 amber #f5c211,
 * 3 orange #ff7800, 4 red #e01b24); the status is the shape inside — a
 * ring with a white centre while the report waits to be filed, a solid dot
 * once filed, a white centre dot while in hand, faded while parked. An
 * overdue case gets a dark red outer ring and a clock badge. Incidents
 * reported in the last 30 seconds pulse. Nearby incidents at low zoom
 * become a disc with their count, coloured by the most severe.
 *
 * The store is watched by polling the main-thread connection's
 * PRAGMA data_version (which moves when another connection commits) and
 * its total_changes (which moves when this one does), once a second; what
 * changed is read on a worker thread with a read-only connection of its
 * own and applied here.
 */

#define G_LOG_DOMAIN "pct-incident-layer"

#include "config.h"

#include <math.h>

#include "pct-geo.h"
#include "pct-incident-layer.h"

struct _PctIncidentLayer
{
  ShumateLayer     parent_instance;

  /* Borrowed references */
  PctMapView      *view;              /* weak */

  /* Owned references */
  PctStore        *watched;           /* the view's store, as last seen */
  PctIncidentSet  *set;
  PctStore        *worker_store;      /* read-only; one refresh at a time */
  GCancellable    *cancellable;
  GArray          *clusters;          /* PctIncidentCluster, reused per frame */
  GHashTable      *sprites;           /* sprite key → GdkTexture */
  GHashTable      *labels;            /* count → PangoLayout */

  PctStoreStamp    stamp;
  gint64           last_pulse_frame;  /* frame clock time, µs */
  guint            generation;
  guint            poll_id;
  guint            tick_id;
  int              sprite_scale;
  guint            loading : 1;
  guint            refresh_again : 1;
  guint            drew_pulse : 1;    /* the last snapshot drew one */
};

typedef struct
{
  char              *path;
  PctStore          *store;
  PctIncidentCursor  cursor;
  guint              generation;
  gboolean           full;
} RefreshData;

G_DEFINE_FINAL_TYPE (PctIncidentLayer, pct_incident_layer, SHUMATE_TYPE_LAYER)

enum {
  PROP_0,
  PROP_VIEW,
  PROP_N_INCIDENTS,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define POLL_INTERVAL_MS 1000

/* Incidents reported this recently pulse. */
#define PULSE_SECONDS 30
#define PULSE_PERIOD  1.6
#define PULSE_GROWTH  18.0
/* The pulse is slow and soft: 25 frames a second are plenty, and leave
 * the machine to the tiles. */
#define PULSE_FRAME_US (G_USEC_PER_SEC / 25)

/* Cells of the cluster grid; from CLUSTER_MAX_ZOOM on, only markers that
 * would overlap are merged. */
#define CLUSTER_CELL      48.0
#define CLUSTER_MAX_ZOOM  16.5
#define MARKER_RADIUS     7.0

/* Sprites are drawn on a canvas this big (logical pixels), centred. */
#define MARKER_CANVAS     30.0

static const GdkRGBA severity_colours[5] = {
  { 0.60, 0.60, 0.60, 1 },
  { 0x35 / 255., 0x84 / 255., 0xe4 / 255., 1 },
  { 0xf5 / 255., 0xc2 / 255., 0x11 / 255., 1 },
  { 0xff / 255., 0x78 / 255., 0x00 / 255., 1 },
  { 0xe0 / 255., 0x1b / 255., 0x24 / 255., 1 },
};

static const GdkRGBA overdue_colour = { 0xa5 / 255., 0x1d / 255., 0x2d / 255., 1 };

/* Sprites: markers are keyed by severity, status and overdue; clusters by
 * size class, severity and overdue. */
#define SPRITE_KEY(cluster, a, b, overdue) \
  GUINT_TO_POINTER (((cluster) << 12) | ((a) << 8) | ((b) << 4) | (overdue) | 0x10000)

/* Drawing helpers ---------------------------------------------------------- */

static void
set_source (cairo_t       *cr,
            const GdkRGBA *colour,
            double         alpha)
{
  cairo_set_source_rgba (cr, colour->red, colour->green, colour->blue, colour->alpha * alpha);
}

static void
circle (cairo_t *cr,
        double   cx,
        double   cy,
        double   r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, cx, cy, r, 0, 2 * G_PI);
}

/* A small clock: the badge of an overdue case. */
static void
draw_clock_badge (cairo_t *cr,
                  double   cx,
                  double   cy,
                  double   r)
{
  circle (cr, cx, cy, r + 1);
  cairo_set_source_rgba (cr, 1, 1, 1, 1);
  cairo_fill (cr);
  circle (cr, cx, cy, r);
  set_source (cr, &overdue_colour, 1);
  cairo_fill (cr);

  cairo_set_source_rgba (cr, 1, 1, 1, 1);
  cairo_set_line_width (cr, 1.2);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_move_to (cr, cx, cy - r * 0.62);
  cairo_line_to (cr, cx, cy);
  cairo_line_to (cr, cx + r * 0.5, cy + r * 0.25);
  cairo_stroke (cr);
}

static double
cluster_radius (guint size_class)
{
  static const double radii[] = { 11, 13.5, 16, 19 };

  return radii[MIN (size_class, G_N_ELEMENTS (radii) - 1)];
}

static guint
cluster_size_class (guint count)
{
  return count < 10 ? 0 : count < 100 ? 1 : count < 1000 ? 2 : 3;
}

static double
canvas_size (gboolean is_cluster,
             guint    size_class)
{
  return is_cluster ? 2 * (cluster_radius (size_class) + 8) : MARKER_CANVAS;
}

static void
draw_marker (cairo_t           *cr,
             double             c,
             guint              severity,
             PctIncidentStatus  status,
             gboolean           overdue)
{
  const GdkRGBA *colour = &severity_colours[MIN (severity, 4)];
  double r = MARKER_RADIUS;

  if (overdue)
    {
      circle (cr, c, c, r + 4);
      set_source (cr, &overdue_colour, 1);
      cairo_fill (cr);
    }

  /* A dark hairline keeps light colours apart from a light basemap. */
  circle (cr, c, c, r + 0.5);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.45);
  cairo_fill (cr);

  switch (status)
    {
    case PCT_INCIDENT_REPORTED:
      circle (cr, c, c, r);
      set_source (cr, colour, 1);
      cairo_fill (cr);
      circle (cr, c, c, r - 3);
      cairo_set_source_rgba (cr, 1, 1, 1, 1);
      cairo_fill (cr);
      break;

    case PCT_INCIDENT_FILED:
    case PCT_INCIDENT_IN_HAND:
    case PCT_INCIDENT_PARKED:
    case PCT_INCIDENT_N_STATUSES:
    default:
      circle (cr, c, c, r);
      cairo_set_source_rgba (cr, 1, 1, 1, 1);
      cairo_fill (cr);
      circle (cr, c, c, r - 1.75);
      if (status == PCT_INCIDENT_PARKED)
        {
          /* Faded towards grey: its clock stands still. */
          cairo_set_source_rgba (cr, 0.6, 0.6, 0.6, 1);
          cairo_fill_preserve (cr);
          set_source (cr, colour, 0.55);
        }
      else
        set_source (cr, colour, 1);
      cairo_fill (cr);
      if (status == PCT_INCIDENT_IN_HAND)
        {
          circle (cr, c, c, 2.25);
          cairo_set_source_rgba (cr, 1, 1, 1, 1);
          cairo_fill (cr);
        }
      break;
    }

  if (overdue)
    draw_clock_badge (cr, c + r * 0.95, c - r * 0.95, 4.5);
}

static void
draw_cluster (cairo_t  *cr,
              double    c,
              guint     size_class,
              guint     severity,
              gboolean  overdue)
{
  const GdkRGBA *colour = &severity_colours[MIN (severity, 4)];
  double r = cluster_radius (size_class);

  /* A soft halo in the cluster's colour says "several here". */
  circle (cr, c, c, r + 5);
  set_source (cr, overdue ? &overdue_colour : colour, overdue ? 0.9 : 0.35);
  cairo_fill (cr);

  circle (cr, c, c, r + 0.5);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.45);
  cairo_fill (cr);
  circle (cr, c, c, r);
  cairo_set_source_rgba (cr, 1, 1, 1, 1);
  cairo_fill (cr);
  circle (cr, c, c, r - 2);
  set_source (cr, colour, 1);
  cairo_fill (cr);

  if (overdue)
    draw_clock_badge (cr, c + r * 0.8, c - r * 0.8, 5);
}

/* Neighbours overlap at their haloes: the more severe, then the bigger,
 * are drawn over the others, so that what matters most is whole. The
 * rest of the order is the clusters' place, so that it holds still. */
static int
compare_drawing_order (gconstpointer a,
                       gconstpointer b)
{
  const PctIncidentCluster *ca = a, *cb = b;

  if (ca->max_severity != cb->max_severity)
    return ca->max_severity < cb->max_severity ? -1 : 1;
  if (ca->count != cb->count)
    return ca->count < cb->count ? -1 : 1;
  if (ca->y != cb->y)
    return ca->y < cb->y ? -1 : 1;
  return (ca->x > cb->x) - (ca->x < cb->x);
}

/* Sprites are drawn at the screen's density so that they stay sharp. */
static GdkTexture *
get_sprite (PctIncidentLayer  *self,
            gboolean           is_cluster,
            guint              a,
            guint              b,
            gboolean           overdue)
{
  gpointer key = SPRITE_KEY (is_cluster ? 1u : 0u, a, b, overdue ? 1u : 0u);
  GdkTexture *texture = g_hash_table_lookup (self->sprites, key);
  cairo_surface_t *surface;
  g_autoptr(GBytes) bytes = NULL;
  double size;
  int pixels;
  cairo_t *cr;

  if (texture != NULL)
    return texture;

  size = canvas_size (is_cluster, a);
  pixels = (int) ceil (size * self->sprite_scale);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, pixels, pixels);
  cr = cairo_create (surface);
  cairo_scale (cr, self->sprite_scale, self->sprite_scale);
  if (is_cluster)
    draw_cluster (cr, size / 2, a, b, overdue);
  else
    draw_marker (cr, size / 2, a, (PctIncidentStatus) b, overdue);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  bytes = g_bytes_new (cairo_image_surface_get_data (surface),
                       (gsize) cairo_image_surface_get_stride (surface) * pixels);
  /* Cairo's ARGB32 is premultiplied native-endian ARGB: GDK's default. */
  texture = gdk_memory_texture_new (pixels, pixels, GDK_MEMORY_DEFAULT, bytes,
                                    cairo_image_surface_get_stride (surface));
  cairo_surface_destroy (surface);

  g_hash_table_insert (self->sprites, key, texture);
  return texture;
}

static PangoLayout *
get_label (PctIncidentLayer *self,
           guint             count)
{
  PangoLayout *layout = g_hash_table_lookup (self->labels, GUINT_TO_POINTER (count));

  if (layout == NULL)
    {
      g_autofree char *text = g_strdup_printf ("%u", count);
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_attr_list_insert (attrs, pango_attr_scale_new (count < 1000 ? 0.85 : 0.75));
      pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
      layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
      g_hash_table_insert (self->labels, GUINT_TO_POINTER (count), layout);
    }
  return layout;
}

static void
clear_caches (PctIncidentLayer *self)
{
  g_hash_table_remove_all (self->sprites);
  g_hash_table_remove_all (self->labels);
}

/* The viewport's projection, as libshumate computes it, in normalised
 * units: centre, world size in pixels, rotation. FALSE without a
 * reference map source (nothing to draw on yet). */
static gboolean
get_projection (PctIncidentLayer *self,
                double           *cx,
                double           *cy,
                double           *world,
                double           *rotation,
                double           *tile_size,
                double           *zoom)
{
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  ShumateMapSource *source;

  if (viewport == NULL)
    return FALSE;
  source = shumate_viewport_get_reference_map_source (viewport);
  if (source == NULL)
    return FALSE;

  *zoom = shumate_viewport_get_zoom_level (viewport);
  *tile_size = shumate_map_source_get_tile_size (source);
  *world = *tile_size * exp2 (*zoom);
  *rotation = shumate_viewport_get_rotation (viewport);
  pct_geo_mercator_project (shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                            shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                            cx, cy);
  return TRUE;
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static gboolean
has_new_incidents (PctIncidentLayer *self)
{
  return pct_incident_set_get_newest (self->set) >= now_seconds () - PULSE_SECONDS;
}

static gboolean
pulse_tick_cb (GtkWidget     *widget,
               GdkFrameClock *frame_clock,
               gpointer       user_data)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (widget);
  gint64 frame_time = gdk_frame_clock_get_frame_time (frame_clock);

  if (!has_new_incidents (self))
    {
      /* Once more, without the last ring. */
      if (self->drew_pulse)
        gtk_widget_queue_draw (widget);
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  /* Only a pulse in view is worth a frame; one that comes into view
   * does so with a redraw of its own. */
  if (self->drew_pulse && frame_time - self->last_pulse_frame >= PULSE_FRAME_US)
    {
      self->last_pulse_frame = frame_time;
      gtk_widget_queue_draw (widget);
    }
  return G_SOURCE_CONTINUE;
}

/* Animates only while something pulses. */
static void
update_pulse (PctIncidentLayer *self)
{
  if (self->tick_id == 0 && gtk_widget_get_mapped (GTK_WIDGET (self)) &&
      has_new_incidents (self))
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), pulse_tick_cb, NULL, NULL);
}

static void
set_loading (PctIncidentLayer *self,
             gboolean          loading)
{
  if (self->loading == !!loading)
    return;
  self->loading = !!loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* Store watching ----------------------------------------------------------- */

static void
refresh_data_free (RefreshData *data)
{
  g_free (data->path);
  g_clear_object (&data->store);
  g_free (data);
}

static void
refresh_thread_cb (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  RefreshData *data = task_data;
  g_autoptr(GError) error = NULL;
  PctIncidentChanges *changes;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (data->store == NULL)
    {
      data->store = pct_store_open (data->path, PCT_STORE_OPEN_READ_ONLY, &error);
      if (data->store == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  changes = pct_incident_changes_read (data->store, data->full ? NULL : &data->cursor, &error);
  if (changes == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, changes, (GDestroyNotify) pct_incident_changes_free);
}

static void start_refresh (PctIncidentLayer *self);

static void
refresh_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (object);
  RefreshData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(PctIncidentChanges) changes = NULL;
  g_autoptr(GError) error = NULL;
  guint n_before;
  guint n_after;

  changes = g_task_propagate_pointer (G_TASK (result), &error);

  /* A result for another store, or for a layer that has moved on. */
  if (data->generation != self->generation)
    return;

  set_loading (self, FALSE);

  if (changes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read incidents from %s: %s", data->path, error->message);
      /* The next change of the store tries again from scratch. */
      g_clear_object (&self->worker_store);
      self->refresh_again = FALSE;
      return;
    }

  if (self->worker_store == NULL)
    self->worker_store = g_steal_pointer (&data->store);

  pct_incident_set_get_incidents (self->set, &n_before);
  if (pct_incident_set_apply (self->set, changes, now_seconds ()) > 0)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      update_pulse (self);
    }
  pct_incident_set_get_incidents (self->set, &n_after);
  if (n_before != n_after)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_INCIDENTS]);

  if (self->refresh_again)
    {
      self->refresh_again = FALSE;
      start_refresh (self);
    }
}

static void
start_refresh (PctIncidentLayer *self)
{
  g_autoptr(GTask) task = NULL;
  RefreshData *data;

  if (self->watched == NULL)
    return;
  if (self->loading)
    {
      self->refresh_again = TRUE;
      return;
    }

  data = g_new0 (RefreshData, 1);
  data->path = g_strdup (pct_store_get_path (self->watched));
  data->store = self->worker_store != NULL ? g_object_ref (self->worker_store) : NULL;
  data->generation = self->generation;
  pct_incident_set_get_cursor (self->set, &data->cursor);
  data->full = pct_incident_layer_get_n_incidents (self) == 0 &&
               data->cursor.max_incident_id == 0;

  task = g_task_new (self, self->cancellable, refresh_done_cb, NULL);
  g_task_set_source_tag (task, start_refresh);
  g_task_set_task_data (task, data, (GDestroyNotify) refresh_data_free);
  set_loading (self, TRUE);
  g_task_run_in_thread (task, refresh_thread_cb);
}

static gboolean
poll_cb (gpointer user_data)
{
  PctIncidentLayer *self = user_data;

  if (self->watched == NULL)
    return G_SOURCE_CONTINUE;

  if (pct_store_poll_changes (self->watched, &self->stamp))
    start_refresh (self);

  /* Deadlines pass while nothing is written. */
  if (pct_incident_set_update_overdue (self->set, now_seconds ()))
    gtk_widget_queue_draw (GTK_WIDGET (self));

  return G_SOURCE_CONTINUE;
}

/* Starts over on the view's current store. */
static void
watch_store (PctIncidentLayer *self)
{
  PctStore *store = self->view != NULL ? pct_map_view_get_store (self->view) : NULL;
  guint n_before = pct_incident_layer_get_n_incidents (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->generation++;
  self->refresh_again = FALSE;
  set_loading (self, FALSE);
  g_clear_object (&self->worker_store);
  g_clear_pointer (&self->set, pct_incident_set_free);
  self->set = pct_incident_set_new ();
  g_set_object (&self->watched, store);

  if (n_before > 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_INCIDENTS]);
  gtk_widget_queue_draw (GTK_WIDGET (self));

  if (store != NULL)
    {
      pct_store_poll_changes (self->watched, &self->stamp);
      start_refresh (self);
    }
}

static void
view_store_changed_cb (PctIncidentLayer *self,
                       GParamSpec       *pspec,
                       PctMapView       *view)
{
  if (self->watched != pct_map_view_get_store (view))
    watch_store (self);
}

static void
viewport_changed_cb (PctIncidentLayer *self,
                     GParamSpec       *pspec,
                     ShumateViewport  *viewport)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
scale_factor_changed_cb (PctIncidentLayer *self,
                         GParamSpec       *pspec,
                         gpointer          user_data)
{
  clear_caches (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Overrides ---------------------------------------------------------------- */

static void
append_pulse (GtkSnapshot   *snapshot,
              double         x,
              double         y,
              double         radius,
              const GdkRGBA *colour,
              double         phase)
{
  GskRoundedRect ring;
  double r = radius + phase * PULSE_GROWTH;
  double width = 3.0;
  GdkRGBA c = *colour;
  float widths[4] = { width, width, width, width };
  GdkRGBA colours[4];

  c.alpha = 0.8 * (1 - phase);
  for (guint i = 0; i < 4; i++)
    colours[i] = c;

  gsk_rounded_rect_init_from_rect (&ring, &GRAPHENE_RECT_INIT (x - r, y - r, 2 * r, 2 * r), r);
  gtk_snapshot_append_border (snapshot, &ring, widths, colours);
}

static void
pct_incident_layer_snapshot (GtkWidget   *widget,
                             GtkSnapshot *snapshot)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  double cx, cy, world, rotation, tile_size, zoom;
  double half_w, half_h, margin, cos_r, sin_r;
  gint64 now_us = g_get_real_time ();
  double phase = fmod (now_us / (double) G_USEC_PER_SEC, PULSE_PERIOD) / PULSE_PERIOD;
  PctIncidentView view;
  guint n_incidents;

  self->drew_pulse = FALSE;
  pct_incident_set_get_incidents (self->set, &n_incidents);
  if (n_incidents == 0 || width <= 0 || height <= 0 ||
      !get_projection (self, &cx, &cy, &world, &rotation, &tile_size, &zoom))
    return;

  if (self->sprite_scale != scale)
    {
      clear_caches (self);
      self->sprite_scale = scale;
    }

  /* What is in view, rotation included, with room for a marker's pulse
   * that reaches in from outside. */
  margin = cluster_radius (3) + PULSE_GROWTH + 8;
  half_w = width / 2.0;
  half_h = height / 2.0;
  if (rotation != 0)
    half_w = half_h = sqrt (half_w * half_w + half_h * half_h);
  view.min_x = cx - (half_w + margin) / world;
  view.max_x = cx + (half_w + margin) / world;
  view.min_y = cy - (half_h + margin) / world;
  view.max_y = cy + (half_h + margin) / world;
  view.zoom = zoom;
  view.tile_size = tile_size;
  view.cell_size = zoom < CLUSTER_MAX_ZOOM ? CLUSTER_CELL : 2 * MARKER_RADIUS;

  pct_incident_set_cluster (self->set, &view, now_us / G_USEC_PER_SEC - PULSE_SECONDS,
                            self->clusters);
  g_array_sort (self->clusters, compare_drawing_order);

  cos_r = cos (rotation);
  sin_r = sin (rotation);

  for (guint i = 0; i < self->clusters->len; i++)
    {
      const PctIncidentCluster *cluster = &g_array_index (self->clusters, PctIncidentCluster, i);
      gboolean is_cluster = cluster->count > 1;
      guint size_class = cluster_size_class (cluster->count);
      double dx = (cluster->x - cx) * world;
      double dy = (cluster->y - cy) * world;
      double x = cos_r * dx - sin_r * dy + width / 2.0;
      double y = sin_r * dx + cos_r * dy + height / 2.0;
      double size = canvas_size (is_cluster, size_class);
      double radius = is_cluster ? cluster_radius (size_class) : MARKER_RADIUS;
      GdkTexture *sprite;

      if (x < -margin || x > width + margin || y < -margin || y > height + margin)
        continue;

      /* On whole device pixels, so that sprites stay sharp. */
      x = round (x * scale) / scale;
      y = round (y * scale) / scale;

      if (cluster->any_new)
        {
          append_pulse (snapshot, x, y, radius,
                        &severity_colours[MIN (cluster->max_severity, 4)], phase);
          self->drew_pulse = TRUE;
        }

      sprite = is_cluster
               ? get_sprite (self, TRUE, size_class, cluster->max_severity, cluster->any_overdue)
               : get_sprite (self, FALSE, cluster->max_severity, cluster->status,
                             cluster->any_overdue);
      gtk_snapshot_append_texture (snapshot, sprite,
                                   &GRAPHENE_RECT_INIT (x - size / 2, y - size / 2, size, size));

      if (is_cluster)
        {
          PangoLayout *layout = get_label (self, cluster->count);
          PangoRectangle ink, logical;
          /* Dark on amber reads better than white. */
          GdkRGBA text = cluster->max_severity == 2 ? (GdkRGBA) { 0.14, 0.12, 0.19, 1 }
                                                    : (GdkRGBA) { 1, 1, 1, 1 };

          pango_layout_get_pixel_extents (layout, &ink, &logical);
          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot,
                                  &GRAPHENE_POINT_INIT (round ((x - logical.width / 2.0) * scale) / scale,
                                                        round ((y - logical.height / 2.0) * scale) / scale));
          gtk_snapshot_append_layout (snapshot, layout, &text);
          gtk_snapshot_restore (snapshot);
        }
    }
}

static void
pct_incident_layer_map (GtkWidget *widget)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (widget);

  GTK_WIDGET_CLASS (pct_incident_layer_parent_class)->map (widget);

  if (self->poll_id == 0)
    self->poll_id = g_timeout_add (POLL_INTERVAL_MS, poll_cb, self);
  /* Whatever happened while hidden shows at once. */
  if (self->watched != NULL && pct_store_poll_changes (self->watched, &self->stamp))
    start_refresh (self);
  update_pulse (self);
}

static void
pct_incident_layer_unmap (GtkWidget *widget)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (widget);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->tick_id);
      self->tick_id = 0;
    }

  GTK_WIDGET_CLASS (pct_incident_layer_parent_class)->unmap (widget);
}

static void
pct_incident_layer_css_changed (GtkWidget         *widget,
                                GtkCssStyleChange *change)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (widget);

  GTK_WIDGET_CLASS (pct_incident_layer_parent_class)->css_changed (widget, change);

  /* The labels' font may have changed. */
  g_hash_table_remove_all (self->labels);
}

static void
pct_incident_layer_constructed (GObject *object)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (object);
  ShumateViewport *viewport;

  G_OBJECT_CLASS (pct_incident_layer_parent_class)->constructed (object);

  viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  if (viewport != NULL)
    g_signal_connect_object (viewport, "notify",
                             G_CALLBACK (viewport_changed_cb), self, G_CONNECT_SWAPPED);

  if (self->view != NULL)
    {
      g_signal_connect_object (self->view, "notify::store",
                               G_CALLBACK (view_store_changed_cb), self, G_CONNECT_SWAPPED);
      watch_store (self);
    }
}

static void
pct_incident_layer_dispose (GObject *object)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (object);

  /* A read still under way finds a layer that has moved on. */
  g_cancellable_cancel (self->cancellable);
  self->generation++;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->view != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->view), (gpointer *) &self->view);
      self->view = NULL;
    }
  g_clear_object (&self->watched);

  G_OBJECT_CLASS (pct_incident_layer_parent_class)->dispose (object);
}

static void
pct_incident_layer_finalize (GObject *object)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->worker_store);
  g_clear_pointer (&self->set, pct_incident_set_free);
  g_clear_pointer (&self->clusters, g_array_unref);
  g_clear_pointer (&self->sprites, g_hash_table_unref);
  g_clear_pointer (&self->labels, g_hash_table_unref);

  G_OBJECT_CLASS (pct_incident_layer_parent_class)->finalize (object);
}

static void
pct_incident_layer_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (object);

  switch (prop_id)
    {
    case PROP_VIEW:
      g_value_set_object (value, self->view);
      break;

    case PROP_N_INCIDENTS:
      g_value_set_uint (value, pct_incident_layer_get_n_incidents (self));
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_incident_layer_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  PctIncidentLayer *self = PCT_INCIDENT_LAYER (object);

  switch (prop_id)
    {
    case PROP_VIEW:
      self->view = g_value_get_object (value);
      if (self->view != NULL)
        g_object_add_weak_pointer (G_OBJECT (self->view), (gpointer *) &self->view);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_incident_layer_class_init (PctIncidentLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pct_incident_layer_constructed;
  object_class->dispose = pct_incident_layer_dispose;
  object_class->finalize = pct_incident_layer_finalize;
  object_class->get_property = pct_incident_layer_get_property;
  object_class->set_property = pct_incident_layer_set_property;

  widget_class->snapshot = pct_incident_layer_snapshot;
  widget_class->map = pct_incident_layer_map;
  widget_class->unmap = pct_incident_layer_unmap;
  widget_class->css_changed = pct_incident_layer_css_changed;

  /* The map view whose store the layer shows. */
  properties[PROP_VIEW] =
    g_param_spec_object ("view", NULL, NULL,
                         PCT_TYPE_MAP_VIEW,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_N_INCIDENTS] =
    g_param_spec_uint ("n-incidents", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "incidentlayer");
}

static void
pct_incident_layer_init (PctIncidentLayer *self)
{
  self->set = pct_incident_set_new ();
  self->cancellable = g_cancellable_new ();
  self->clusters = g_array_new (FALSE, FALSE, sizeof (PctIncidentCluster));
  self->sprites = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->labels = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->sprite_scale = 1;

  /* Clicks go to the map, which picks features itself. */
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);

  g_signal_connect (self, "notify::scale-factor", G_CALLBACK (scale_factor_changed_cb), NULL);
}

/* Public API ---------------------------------------------------------------- */

PctIncidentLayer *
pct_incident_layer_new (PctMapView *view)
{
  g_return_val_if_fail (PCT_IS_MAP_VIEW (view), NULL);

  return g_object_new (PCT_TYPE_INCIDENT_LAYER,
                       "viewport", pct_map_view_get_viewport (view),
                       "view", view,
                       NULL);
}

guint
pct_incident_layer_get_n_incidents (PctIncidentLayer *self)
{
  guint n = 0;

  g_return_val_if_fail (PCT_IS_INCIDENT_LAYER (self), 0);

  if (self->set != NULL)
    pct_incident_set_get_incidents (self->set, &n);
  return n;
}

gboolean
pct_incident_layer_get_loading (PctIncidentLayer *self)
{
  g_return_val_if_fail (PCT_IS_INCIDENT_LAYER (self), FALSE);

  return self->loading;
}

const PctIncident *
pct_incident_layer_lookup (PctIncidentLayer *self,
                           gint64            id)
{
  g_return_val_if_fail (PCT_IS_INCIDENT_LAYER (self), NULL);

  return pct_incident_set_lookup (self->set, id);
}

void
pct_incident_layer_project (PctIncidentLayer *self,
                            double            x,
                            double            y,
                            double           *widget_x,
                            double           *widget_y)
{
  double cx, cy, world, rotation, tile_size, zoom, dx, dy;
  double width, height;

  g_return_if_fail (PCT_IS_INCIDENT_LAYER (self));
  g_return_if_fail (widget_x != NULL && widget_y != NULL);

  if (!get_projection (self, &cx, &cy, &world, &rotation, &tile_size, &zoom))
    {
      *widget_x = *widget_y = NAN;
      return;
    }

  width = gtk_widget_get_width (GTK_WIDGET (self));
  height = gtk_widget_get_height (GTK_WIDGET (self));
  dx = (x - cx) * world;
  dy = (y - cy) * world;
  *widget_x = cos (rotation) * dx - sin (rotation) * dy + width / 2.0;
  *widget_y = sin (rotation) * dx + cos (rotation) * dy + height / 2.0;
}
