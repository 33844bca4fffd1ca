/* test-incidents.c — the incident layer and the map's context menu, under
 * Xvfb
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A map view on a small generated district with the incident layer and
 * the context menu attached, as the window attaches them. Checks the
 * pixels where incidents project, that a row written by another
 * connection shows without anyone asking, that clusters at low zoom carry
 * their count, and that the context menu copies coordinates and reports
 * an incident. Screenshots go to G_TEST_BUILDDIR for a person to look at.
 */

#define G_LOG_DOMAIN "test-incidents"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "gui-test-common.h"
#include "pct-geo.h"
#include "pct-incident-layer.h"
#include "pct-incidents.h"
#include "pct-map-context-menu.h"
#include "pct-map-view.h"

/* How soon a row written elsewhere must show: the layer polls each second. */
#define LIVE_SECONDS 5

/* The layer's palette by severity (pct-incident-layer.c). */
static const guint32 severity_rgb[5] = { 0, 0x3584e4, 0xf5c211, 0xff7800, 0xe01b24 };

static char *district_path;

/* The window under test, shared by the tests in order. */
static GtkWindow *window;
static PctMapView *view;
static PctIncidentLayer *layer;
static PctStore *store;

static gboolean
map_and_layer_settled (gpointer data)
{
  return !pct_map_view_get_loading (view) && !pct_incident_layer_get_loading (layer) &&
         gtk_widget_get_width (GTK_WIDGET (view)) > 0;
}

/* Until the tiles in view are drawn and the layer has read the store. */
static void
wait_for_map (void)
{
  gui_test_restore_system_data_dirs ();
  gui_test_wait_quiet (map_and_layer_settled, NULL, "the map and the incidents to settle");
}

static void
save_texture (GdkTexture *texture,
              const char *name)
{
  g_autofree char *file = g_strdup_printf ("screenshot-incidents-%s.png", name);

  gui_test_save_png (texture, file);
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autoptr(GdkTexture) texture = gui_test_render_widget (widget);

  save_texture (texture, name);
}

/* The 0xRRGGBB of a pixel of an opaque texture, in logical pixels. */
/* The colour at a point of the view in logical pixels. */
static guint32
texture_pixel (GdkTexture *texture,
               double      x,
               double      y)
{
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (view));

  return gui_test_texture_pixel (texture, (int) floor (x * scale), (int) floor (y * scale));
}

/* A live incident in one of the given statuses with no other within
 * radius metres, so that its marker stands alone. */
static const PctIncident *
find_lonely_incident (PctIncidentSet *set,
                      guint           status_a,
                      guint           status_b,
                      double          radius)
{
  guint n;
  const PctIncident *incidents = pct_incident_set_get_incidents (set, &n);

  for (guint i = 0; i < n; i++)
    {
      gboolean lonely = incidents[i].status == status_a || incidents[i].status == status_b;

      for (guint j = 0; j < n && lonely; j++)
        if (i != j && pct_geo_distance (incidents[i].lon, incidents[i].lat,
                                        incidents[j].lon, incidents[j].lat) < radius)
          lonely = FALSE;
      if (lonely)
        return &incidents[i];
    }
  return NULL;
}

static PctIncidentSet *
load_incidents (void)
{
  g_autoptr(GError) error = NULL;
  PctIncidentSet *set = pct_incident_set_new ();

  pct_incident_set_refresh (set, store, g_get_real_time () / G_USEC_PER_SEC, NULL, &error);
  g_assert_no_error (error);
  return set;
}

/* The layer loads every live incident, and each marker's colour sits
 * where its incident projects. */
static void
test_draw (void)
{
  g_autoptr(PctIncidentSet) set = load_incidents ();
  g_autoptr(GdkTexture) texture = NULL;
  const PctIncident *incident;
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  double x, y, sx, sy;
  guint n;

  wait_for_map ();
  pct_incident_set_get_incidents (set, &n);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (pct_incident_layer_get_n_incidents (layer), ==, n);
  save_screenshot (GTK_WIDGET (view), "district");

  /* A filed or in-hand incident, alone at zoom 17. */
  incident = find_lonely_incident (set, PCT_INCIDENT_FILED, PCT_INCIDENT_IN_HAND, 40);
  if (incident == NULL)
    g_error ("No filed incident of the district stands 40 m away from all others");
  pct_map_view_go_to (view, incident->lat, incident->lon, 17);
  wait_for_map ();

  /* The layer projects as libshumate does. */
  pct_incident_layer_project (layer, incident->x, incident->y, &x, &y);
  shumate_viewport_location_to_widget_coords (viewport, GTK_WIDGET (layer),
                                              incident->lat, incident->lon, &sx, &sy);
  g_assert_cmpfloat_with_epsilon (x, sx, 0.01);
  g_assert_cmpfloat_with_epsilon (y, sy, 0.01);

  /* Four pixels right of the centre: the fill, between the centre dot of
   * an in-hand case and the white rim. */
  texture = gui_test_render_widget (GTK_WIDGET (view));
  gui_test_assert_colour_near (texture_pixel (texture, x + 4, y),
                               severity_rgb[incident->severity], 16, "Incident marker");
  save_texture (texture, "marker-z17");
}

static gint64
count_outbox (void)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT count(*) FROM outbox", &error);
  gint64 count;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* Waits until the layer holds incident id; returns the seconds it took. */
static double
wait_for_incident (gint64 id)
{
  gint64 start = g_get_monotonic_time ();

  while (pct_incident_layer_lookup (layer, id) == NULL)
    {
      if (g_get_monotonic_time () - start > GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC)
        g_error ("Incident %" G_GINT64_FORMAT " did not show within %d s", id,
                 GUI_TEST_WAIT_SECONDS);
      gui_test_iterate_for (20);
    }
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

/* Another connection (the sync engine, say) writes an incident: it shows
 * within seconds, with nobody asking, and pulses. */
static void
test_live (void)
{
  g_autoptr(PctStore) writer = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  const PctIncident *incident;
  double lat = shumate_location_get_latitude (SHUMATE_LOCATION (viewport));
  double lon = shumate_location_get_longitude (SHUMATE_LOCATION (viewport));
  double x, y, seconds;
  gint64 id = 0;

  /* 80 m east of the view's centre, clear of the marker there. */
  lon += 80 / pct_geo_metres_per_degree_lon (lat);

  writer = pct_store_open (district_path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);
  pct_incident_create_full (writer, "E0401", 4, lon, lat, "路面塌陷", "hotline",
                            g_get_real_time () / G_USEC_PER_SEC, &id, &error);
  g_assert_no_error (error);

  seconds = wait_for_incident (id);
  g_test_message ("A new incident showed after %.2f s", seconds);
  g_assert_cmpfloat (seconds, <, LIVE_SECONDS);

  incident = pct_incident_layer_lookup (layer, id);
  if (incident == NULL)
    g_error ("The layer lost incident %" G_GINT64_FORMAT, id);
  g_assert_cmpint (incident->status, ==, PCT_INCIDENT_REPORTED);
  g_assert_cmpint (incident->severity, ==, 4);

  gui_test_iterate_for (100);
  pct_incident_layer_project (layer, incident->x, incident->y, &x, &y);
  texture = gui_test_render_widget (GTK_WIDGET (view));
  /* A report waiting to be filed: a ring in its colour, white inside. */
  gui_test_assert_colour_near (texture_pixel (texture, x + 5.5, y), severity_rgb[4], 16,
                               "New incident ring");
  gui_test_assert_colour_near (texture_pixel (texture, x, y), 0xffffff, 16, "New incident centre");
  save_texture (texture, "live-pulse");
}

/* The clusters a 48-pixel grid makes of what is in view, worked out from
 * the store independently of the layer's own set. */
static void
test_clusters (void)
{
  g_autoptr(PctIncidentSet) set = load_incidents ();
  g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (PctIncidentCluster));
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  int width = gtk_widget_get_width (GTK_WIDGET (layer));
  int height = gtk_widget_get_height (GTK_WIDGET (layer));
  const PctIncidentCluster *biggest = NULL;
  PctIncidentView grid;
  PctBBox extent;
  double cx, cy, world, x, y;
  guint text_pixels = 0, fill_pixels = 0;
  guint32 text_rgb;

  g_assert_true (pct_store_get_extent (store, &extent, &error));
  g_assert_no_error (error);
  pct_map_view_go_to (view, (extent.min_lat + extent.max_lat) / 2,
                      (extent.min_lon + extent.max_lon) / 2, 13);
  wait_for_map ();

  pct_geo_mercator_project (shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                            shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                            &cx, &cy);
  world = 256 * exp2 (shumate_viewport_get_zoom_level (viewport));
  grid = (PctIncidentView) { cx - width / 2.0 / world, cy - height / 2.0 / world,
                             cx + width / 2.0 / world, cy + height / 2.0 / world,
                             shumate_viewport_get_zoom_level (viewport), 256, 48 };
  pct_incident_set_cluster (set, &grid, 0, clusters);
  for (guint i = 0; i < clusters->len; i++)
    {
      const PctIncidentCluster *cluster = &g_array_index (clusters, PctIncidentCluster, i);

      if (biggest == NULL || cluster->count > biggest->count)
        biggest = cluster;
    }
  g_assert_nonnull (biggest);
  g_assert_cmpuint (biggest->count, >, 1);

  pct_incident_layer_project (layer, biggest->x, biggest->y, &x, &y);
  texture = gui_test_render_widget (GTK_WIDGET (view));
  save_texture (texture, "clusters-z13");

  /* The disc is in the most severe member's colour, and its middle holds
   * the count: text pixels, white (dark on amber), among the fill. */
  text_rgb = biggest->max_severity == 2 ? 0x241f31 : 0xffffff;
  for (double dy = -4; dy <= 4; dy += 1)
    for (double dx = -7; dx <= 7; dx += 1)
      {
        guint32 rgb = texture_pixel (texture, x + dx, y + dy);

        if (gui_test_colour_near (rgb, text_rgb, 60))
          text_pixels++;
        else if (gui_test_colour_near (rgb, severity_rgb[biggest->max_severity], 24))
          fill_pixels++;
      }
  g_test_message ("Cluster of %u at %.0f, %.0f: %u text pixels, %u fill pixels",
                  biggest->count, x, y, text_pixels, fill_pixels);
  g_assert_cmpuint (text_pixels, >=, 6);
  g_assert_cmpuint (fill_pixels, >=, 20);
  gui_test_assert_colour_near (texture_pixel (texture, x - 9, y),
                               severity_rgb[biggest->max_severity], 24, "Cluster disc");
}

static GtkWidget *
find_child_of_type (GtkWidget *parent,
                    GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (parent); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
      return child;
  return NULL;
}

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
text_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
}

static AdwMessageDialog *
find_dialog (void)
{
  gint64 deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      GListModel *toplevels = gtk_window_get_toplevels ();

      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

          if (g_strcmp0 (gtk_widget_get_name (toplevel), "new-incident-dialog") == 0 &&
              gtk_widget_get_mapped (toplevel))
            return ADW_MESSAGE_DIALOG (toplevel);
        }
      gui_test_iterate_for (10);
    }
  return NULL;
}

/* Right click: the menu at the point; copy the coordinates; report an
 * incident there. */
static void
test_context_menu (void)
{
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  GtkWidget *popover;
  AdwMessageDialog *dialog;
  GtkDropDown *category;
  GtkDropDown *severity;
  GtkEditable *description;
  g_autofree char *copied = NULL;
  g_autofree char *expected = NULL;
  double lat, lon, seconds;
  gint64 outbox = count_outbox ();
  gint64 deadline;
  gint64 id;

  pct_map_view_go_to (view, 29.29, 106.25, 16);
  wait_for_map ();
  shumate_viewport_widget_coords_to_location (viewport, GTK_WIDGET (layer), 200, 150, &lat, &lon);

  g_signal_emit_by_name (view, "context-requested", lat, lon, 200.0, 150.0);
  popover = find_child_of_type (GTK_WIDGET (view), GTK_TYPE_POPOVER_MENU);
  g_assert_nonnull (popover);
  gui_test_iterate_for (300);
  g_assert_true (gtk_widget_get_mapped (popover));
  save_screenshot (popover, "context-menu");

  /* Copy Coordinates: latitude first, six decimals. */
  expected = pct_map_context_menu_format_coordinates (lat, lon);
  g_assert_true (gtk_widget_activate_action (popover, "context.copy-coordinates", NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (view)), NULL,
                                 text_read_cb, &copied);
  while (copied == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (copied, ==, expected);
  g_assert_true (g_regex_match_simple ("^-?[0-9]+\\.[0-9]{6}, -?[0-9]+\\.[0-9]{6}$", copied, 0, 0));
  {
    g_autofree char *fixed = pct_map_context_menu_format_coordinates (29.29, 106.25);

    g_assert_cmpstr (fixed, ==, "29.290000, 106.250000");
  }
  gtk_popover_popdown (GTK_POPOVER (popover));

  /* New Incident Here…: a dialog with the event categories. */
  g_assert_true (gtk_widget_activate_action (popover, "context.new-incident", NULL));
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  category = GTK_DROP_DOWN (find_named (GTK_WIDGET (dialog), "category"));
  severity = GTK_DROP_DOWN (find_named (GTK_WIDGET (dialog), "severity"));
  description = GTK_EDITABLE (find_named (GTK_WIDGET (dialog), "description"));
  g_assert_nonnull (category);
  g_assert_nonnull (severity);
  g_assert_nonnull (description);

  deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;
  while (g_list_model_get_n_items (gtk_drop_down_get_model (category)) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      gui_test_iterate_for (10);
    }
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (category)), ==, 46);
  /* Nothing to report yet without a description. */
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "report"));

  gtk_editable_set_text (description, "占道经营，堵塞人行道");
  gtk_drop_down_set_selected (severity, 2);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "report"));
  gui_test_iterate_for (300);
  save_screenshot (GTK_WIDGET (dialog), "new-incident-dialog");

  adw_message_dialog_response (dialog, "report");

  deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;
  while (count_outbox () == outbox)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      gui_test_iterate_for (20);
    }
  g_assert_cmpint (count_outbox (), ==, outbox + 1);

  {
    g_autoptr(GError) error = NULL;
    /* By its text: a report made here has a local key until the hub
     * gives it one, so it need not have the highest id. */
    sqlite3_stmt *stmt = pct_store_prepare (store,
                                            "SELECT i.id, i.severity, i.source, i.lon, i.lat, "
                                            "  i.description FROM incidents i "
                                            "WHERE i.description = ?1",
                                            &error);

    g_assert_no_error (error);
    sqlite3_bind_text (stmt, 1, "占道经营，堵塞人行道", -1, SQLITE_STATIC);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    id = sqlite3_column_int64 (stmt, 0);
    g_assert_cmpint (sqlite3_column_int (stmt, 1), ==, 3);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "operator");
    g_assert_cmpfloat_with_epsilon (sqlite3_column_double (stmt, 3), lon, 1e-9);
    g_assert_cmpfloat_with_epsilon (sqlite3_column_double (stmt, 4), lat, 1e-9);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 5), ==, "占道经营，堵塞人行道");
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
    sqlite3_reset (stmt);
  }

  /* Written from the main-thread store's own file by another connection:
   * the layer shows it on its own. */
  seconds = wait_for_incident (id);
  g_assert_cmpfloat (seconds, <, LIVE_SECONDS);
  gui_test_iterate_for (200);
  save_screenshot (GTK_WIDGET (view), "reported-here");
}

static void
open_window (void)
{
  g_autoptr(GError) error = NULL;

  store = pct_store_open (district_path, PCT_STORE_OPEN_DEFAULT, &error);
  g_assert_no_error (error);

  window = gui_test_map_window_new (900, 640, &view);

  /* What the window does. */
  layer = pct_incident_layer_new (view);
  pct_map_view_add_layer_overlay (view, SHUMATE_LAYER (layer), PCT_LAYER_INCIDENTS);
  pct_map_context_menu_attach (view);

  gui_test_show_district (view, store);
  gtk_window_present (window);
}

int
main (int   argc,
      char *argv[])
{
  /* Today, so that open cases are judged against real deadlines. */
  gint64 today = g_get_real_time () / G_USEC_PER_SEC / 86400 * 86400;
  int status;

  if (!gui_test_init (&argc, &argv))
    return EXIT_FAILURE;

  district_path = gui_test_generate_district (1, today);
  open_window ();

  g_test_add_func ("/incident-layer/draw", test_draw);
  g_test_add_func ("/incident-layer/live", test_live);
  g_test_add_func ("/incident-layer/clusters", test_clusters);
  g_test_add_func ("/incident-layer/context-menu", test_context_menu);

  status = g_test_run ();

  gtk_window_destroy (window);
  g_clear_object (&store);
  gui_test_remove_district (district_path);
  g_free (district_path);
  return status;
}
