/* bench-incidents.c — the incident layer with 5,000 live incidents
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A copy of the benchmark district is topped up to 5,000 live incidents
 * (the large district has about 4,100 of its own). Then:
 *
 *   incident_load_ms          reading every live incident (a full read, as
 *                             the layer does on a worker thread)
 *   incident_refresh_ms       reading what changed after one new incident
 *   incident_cluster_p95_ms   clustering what is in view (core only)
 *   incident_snapshot_p95_ms  the layer's snapshot vfunc plus
 *                             gtk_snapshot_free_to_node(): everything the
 *                             layer costs a frame, short of the GPU
 *
 * over a tour of views from the whole district down to street level. The
 * snapshot figure needs a display (run under xvfb-run); without one the
 * benchmark says so and reports the others.
 */

#define G_LOG_DOMAIN "bench-incidents"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>

#include "bench-common.h"
#include "pct-geo.h"
#include "pct-incident-layer.h"
#include "pct-incidents.h"
#include "pct-map-view.h"

#define TARGET_LIVE 5000
#define VIEW_WIDTH  1280
#define VIEW_HEIGHT 800
#define REPEATS     25

/* A fixed sequence, so that every run measures the same incidents. */
#define SEED 20260101

static gint64
count_live (PctStore *store)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT count(*) FROM incidents i "
                                          "WHERE i.status IN ('reported', 'filed') "
                                          "OR EXISTS (SELECT 1 FROM work_orders w "
                                          "WHERE w.incident_id = i.id AND w.state NOT IN "
                                          "('closed', 'evaluated', 'voided'))",
                                          &error);
  gint64 count;

  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    g_error ("Cannot count live incidents: %s", error ? error->message : "step failed");
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* A copy of the district with TARGET_LIVE live incidents, made once. */
static char *
prepare_store (const char *district_path,
               PctBBox    *extent)
{
  g_autofree char *dir = g_path_get_dirname (district_path);
  g_autofree char *base = g_path_get_basename (district_path);
  g_autofree char *name = g_strconcat ("incidents-", base, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GFile) source = g_file_new_for_path (district_path);
  g_autoptr(GFile) target = g_file_new_for_path (path);
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  gint64 live;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *partial = g_strconcat (path, ".partial", NULL);
      g_autoptr(GFile) partial_file = g_file_new_for_path (partial);

      if (!g_file_copy (source, partial_file, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
        g_error ("Cannot copy %s: %s", district_path, error->message);

      store = pct_store_open (partial, PCT_STORE_OPEN_DEFAULT, &error);
      if (store == NULL || !pct_store_get_extent (store, extent, &error))
        g_error ("Cannot open %s: %s", partial, error->message);

      live = count_live (store);
      if (!pct_store_begin (store, &error))
        g_error ("%s", error->message);
      for (gint64 i = live; i < TARGET_LIVE; i++)
        {
          double lon = g_rand_double_range (rand, extent->min_lon, extent->max_lon);
          double lat = g_rand_double_range (rand, extent->min_lat, extent->max_lat);
          int severity = 1 + (int) g_rand_int_range (rand, 0, 4);
          /* The last few reported just now: some pulse. */
          gint64 reported = i > TARGET_LIVE - 40 ? now : now - g_rand_int_range (rand, 60, 86400);

          if (!pct_incident_create_full (store, "E0102", severity, lon, lat, "基准测试事件",
                                         "grid_worker", reported, NULL, &error))
            g_error ("Cannot add an incident: %s", error->message);
        }
      if (!pct_store_commit (store, &error) ||
          !pct_store_exec (store, "PRAGMA wal_checkpoint(TRUNCATE)", &error))
        g_error ("%s", error->message);
      g_clear_object (&store);

      if (g_rename (partial, path) != 0)
        g_error ("Cannot rename %s: %s", partial, g_strerror (errno));
    }

  store = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL || !pct_store_get_extent (store, extent, &error))
    g_error ("Cannot open %s: %s", path, error->message);
  return g_steal_pointer (&path);
}

typedef struct
{
  double lat;
  double lon;
  double zoom;
} View;

/* From the whole district down to streets, around incidents picked at
 * random. */
static GArray *
make_tour (PctIncidentSet *set,
           const PctBBox  *extent)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  GArray *tour = g_array_new (FALSE, FALSE, sizeof (View));
  double x1, y1, x2, y2, fit;
  guint n;
  const PctIncident *incidents = pct_incident_set_get_incidents (set, &n);

  pct_geo_mercator_project (extent->min_lon, extent->max_lat, &x1, &y1);
  pct_geo_mercator_project (extent->max_lon, extent->min_lat, &x2, &y2);
  fit = floor (log2 (MIN (VIEW_WIDTH / ((x2 - x1) * 256), VIEW_HEIGHT / ((y2 - y1) * 256))));

  for (double zoom = fit; zoom <= 18; zoom += 1)
    for (guint i = 0; i < 3; i++)
      {
        const PctIncident *at = &incidents[g_rand_int_range (rand, 0, (gint32) n)];
        View view = { at->lat, at->lon, zoom };

        if (zoom == fit)
          {
            view.lat = (extent->min_lat + extent->max_lat) / 2;
            view.lon = (extent->min_lon + extent->max_lon) / 2;
          }
        g_array_append_val (tour, view);
      }
  return tour;
}

static void
bench_core (PctStore       *store,
            PctIncidentSet *set,
            GArray         *tour)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (PctIncidentCluster));
  g_autoptr(PctIncidentChanges) changes = NULL;
  g_autoptr(GError) error = NULL;
  PctIncidentCursor cursor;
  gint64 start;

  for (guint r = 0; r < REPEATS; r++)
    for (guint i = 0; i < tour->len; i++)
      {
        const View *v = &g_array_index (tour, View, i);
        double world = 256 * exp2 (v->zoom);
        double cx, cy;
        PctIncidentView view;

        pct_geo_mercator_project (v->lon, v->lat, &cx, &cy);
        view = (PctIncidentView) { cx - VIEW_WIDTH / 2.0 / world, cy - VIEW_HEIGHT / 2.0 / world,
                                   cx + VIEW_WIDTH / 2.0 / world, cy + VIEW_HEIGHT / 2.0 / world,
                                   v->zoom, 256, 48 };
        start = g_get_monotonic_time ();
        pct_incident_set_cluster (set, &view, 0, clusters);
        g_array_append_val (times, (double) { bench_ms_since (start) });
      }
  bench_report ("incident_cluster_p95_ms", bench_percentile (times, 95), "ms");

  /* What the layer reads on each change of the store: nothing new here,
   * so this is the cost of finding that out on this district. */
  pct_incident_set_get_cursor (set, &cursor);
  start = g_get_monotonic_time ();
  changes = pct_incident_changes_read (store, &cursor, &error);
  if (changes == NULL)
    g_error ("%s", error->message);
  bench_report ("incident_refresh_ms", bench_ms_since (start), "ms");
}

static void
iterate_for (guint milliseconds)
{
  gint64 until = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_pending (NULL) && g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
bench_snapshot (const char     *path,
                const PctBBox  *extent,
                GArray         *tour)
{
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  GtkWindow *window;
  PctMapView *view;
  PctIncidentLayer *layer;
  ShumateViewport *viewport;
  GtkWidgetClass *layer_class;
  gint64 deadline;
  guint max_nodes = 0;

  store = pct_store_open (path, PCT_STORE_OPEN_DEFAULT, &error);
  if (store == NULL)
    g_error ("%s", error->message);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, VIEW_WIDTH, VIEW_HEIGHT);
  view = PCT_MAP_VIEW (pct_map_view_new ());
  gtk_window_set_child (window, GTK_WIDGET (view));
  layer = pct_incident_layer_new (view);
  pct_map_view_add_layer_overlay (view, SHUMATE_LAYER (layer), PCT_LAYER_INCIDENTS);
  pct_map_view_set_store (view, store);
  pct_map_view_set_district (view, extent);
  pct_map_view_show_district (view);
  gtk_window_present (window);

  deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (pct_incident_layer_get_n_incidents (layer) < TARGET_LIVE ||
         gtk_widget_get_width (GTK_WIDGET (layer)) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The layer did not load its incidents");
      iterate_for (10);
    }

  viewport = pct_map_view_get_viewport (view);
  layer_class = GTK_WIDGET_GET_CLASS (layer);

  for (guint i = 0; i < tour->len; i++)
    {
      const View *v = &g_array_index (tour, View, i);

      shumate_viewport_set_zoom_level (viewport, v->zoom);
      shumate_location_set_location (SHUMATE_LOCATION (viewport), v->lat, v->lon);
      iterate_for (5);

      for (guint r = 0; r <= REPEATS; r++)
        {
          GtkSnapshot *snapshot = gtk_snapshot_new ();
          g_autoptr(GskRenderNode) node = NULL;
          gint64 start = g_get_monotonic_time ();
          double ms;

          layer_class->snapshot (GTK_WIDGET (layer), snapshot);
          node = gtk_snapshot_free_to_node (snapshot);
          ms = bench_ms_since (start);

          /* The first frame of a view draws the sprites it lacks. */
          if (r > 0)
            g_array_append_val (times, ms);
          if (node != NULL && gsk_render_node_get_node_type (node) == GSK_CONTAINER_NODE)
            max_nodes = MAX (max_nodes, gsk_container_node_get_n_children (node));
        }
    }

  bench_report ("incident_snapshot_p95_ms", bench_percentile (times, 95), "ms");
  bench_report ("incident_snapshot_median_ms", bench_percentile (times, 50), "ms");
  bench_report ("incident_snapshot_max_nodes", max_nodes, "nodes");

  gtk_window_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PctStore) store = NULL;
  g_autoptr(PctIncidentSet) set = pct_incident_set_new ();
  g_autoptr(PctIncidentChanges) changes = NULL;
  g_autoptr(GArray) tour = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *district = NULL;
  g_autofree char *path = NULL;
  const char *size_name;
  PctBBox extent;
  double gen_seconds;
  gint64 start;
  guint n;

  bench_size (&size_name);
  district = bench_district (FALSE, &gen_seconds);
  path = prepare_store (district, &extent);

  store = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL)
    g_error ("%s", error->message);

  start = g_get_monotonic_time ();
  changes = pct_incident_changes_read (store, NULL, &error);
  if (changes == NULL)
    g_error ("%s", error->message);
  bench_report ("incident_load_ms", bench_ms_since (start), "ms");
  pct_incident_set_apply (set, changes, g_get_real_time () / G_USEC_PER_SEC);
  pct_incident_set_get_incidents (set, &n);
  bench_report ("incident_live_count", n, "incidents");

  tour = make_tour (set, &extent);
  bench_core (store, set, tour);

  /* No accessibility bus on a bare X server; the map's settings schema is
   * the build tree's. */
  g_setenv ("GTK_A11Y", "none", TRUE);
  if (g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL && g_getenv ("MESON_BUILD_ROOT") != NULL)
    {
      g_autofree char *schemas = g_build_filename (g_getenv ("MESON_BUILD_ROOT"), "data", NULL);

      g_setenv ("GSETTINGS_SCHEMA_DIR", schemas, TRUE);
    }
  if (gtk_init_check ())
    {
      adw_init ();
      bench_snapshot (path, &extent, tour);
    }
  else
    g_printerr ("No display: incident_snapshot_p95_ms needs one (run under xvfb-run); "
                "the core figures above were measured without.\n");

  return EXIT_SUCCESS;
}
