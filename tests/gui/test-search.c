/* test-search.c — search, picking and the details sidebar, under Xvfb
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the application on a small generated district and works it as an
 * operator would: types a road's name and takes a result with the
 * keyboard, pastes coordinates and an address code, clicks an address on
 * the map, and opens the details of each kind of feature. Keys reach the
 * entry as the signals they stand for (Down through the entry's key
 * controller, Enter as "activate", Escape as "stop-search"): a bare X
 * server has no input method to send real ones. Screenshots of the
 * results and of each kind of details go to the build directory.
 */

#define G_LOG_DOMAIN "test-search"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "gui-test-common.h"
#include "pct-application.h"
#include "pct-geo.h"
#include "pct-validate.h"
#include "pct-window.h"

static char *district_path;
/* A read-only connection for working out what the window should show. */
static PctStore *store;

typedef struct
{
  PctMapView *view;
  double      lat;
  double      lon;
  double      zoom;
} MapState;

/* No tile pending and no animation moving the view since the last look. */
static gboolean
map_still (gpointer data)
{
  MapState *state = data;
  ShumateViewport *viewport = pct_map_view_get_viewport (state->view);
  double lat = shumate_location_get_latitude (SHUMATE_LOCATION (viewport));
  double lon = shumate_location_get_longitude (SHUMATE_LOCATION (viewport));
  double zoom = shumate_viewport_get_zoom_level (viewport);
  gboolean still = !pct_map_view_get_loading (state->view) &&
                   gtk_widget_get_width (GTK_WIDGET (state->view)) > 0 &&
                   lat == state->lat && lon == state->lon && zoom == state->zoom;

  state->lat = lat;
  state->lon = lon;
  state->zoom = zoom;
  return still;
}

static void
wait_for_map (PctMapView *view)
{
  MapState state = { view, NAN, NAN, NAN };

  gui_test_wait_quiet (map_still, &state, "the map to settle");
}

static cairo_surface_t *
texture_to_surface (GdkTexture *texture)
{
  cairo_surface_t *surface;

  /* GDK_MEMORY_DEFAULT is cairo's ARGB32: premultiplied, native-endian. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                        gdk_texture_get_width (texture),
                                        gdk_texture_get_height (texture));
  cairo_surface_flush (surface);
  gdk_texture_download (texture, cairo_image_surface_get_data (surface),
                        cairo_image_surface_get_stride (surface));
  cairo_surface_mark_dirty (surface);
  return surface;
}

/* The window as a person sees it: with the search results' popover,
 * which is a surface of its own, drawn over it where it stands. */
static void
save_screenshot (PctWindow  *window,
                 const char *name)
{
  GtkWidget *popover = GTK_WIDGET (pct_window_get_search_popover (window));
  g_autoptr(GdkTexture) texture = NULL;
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (window));
  g_autofree char *scale_suffix = scale > 1 ? g_strdup_printf ("@%dx", scale) : g_strdup ("");
  g_autofree char *file = g_strdup_printf ("screenshot-%s-%s%s.png", name, gui_test_language (),
                                           scale_suffix);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);
  cairo_surface_t *surface;

  /* A popover just shown has not drawn its first frame yet. */
  gui_test_iterate_for (300);
  texture = gui_test_render_widget (GTK_WIDGET (window));
  surface = texture_to_surface (texture);

  if (gtk_widget_get_mapped (popover))
    {
      /* The popover's contents (frame and all): a native widget itself
       * does not draw into a paintable. */
      GtkWidget *contents = gtk_widget_get_first_child (popover);
      g_autoptr(GdkTexture) popover_texture = gui_test_render_widget (contents);
      cairo_surface_t *popover_surface = texture_to_surface (popover_texture);
      GdkSurface *popup = gtk_native_get_surface (GTK_NATIVE (popover));
      graphene_point_t origin;
      double wx, wy, px, py;
      cairo_t *cr = cairo_create (surface);

      g_assert_true (gtk_widget_compute_point (contents, popover, &GRAPHENE_POINT_INIT (0, 0),
                                               &origin));
      gtk_native_get_surface_transform (GTK_NATIVE (window), &wx, &wy);
      gtk_native_get_surface_transform (GTK_NATIVE (popover), &px, &py);
      cairo_set_source_surface (cr, popover_surface,
                                (gdk_popup_get_position_x (GDK_POPUP (popup)) + px + origin.x - wx) *
                                scale,
                                (gdk_popup_get_position_y (GDK_POPUP (popup)) + py + origin.y - wy) *
                                scale);
      cairo_paint (cr);
      cairo_destroy (cr);
      cairo_surface_destroy (popover_surface);
    }

  g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (surface);
  g_test_message ("Screenshot: %s", path);
}

static gint64
query_int (const char *sql)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  gint64 value;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return value;
}

static char *
query_text (const char *sql,
            gint64      id)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);
  char *value;

  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

static void
query_position (const char *sql,
                gint64      id,
                double     *lat,
                double     *lon)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store, sql, &error);

  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  *lon = sqlite3_column_double (stmt, 0);
  *lat = sqlite3_column_double (stmt, 1);
  sqlite3_reset (stmt);
}

static gboolean
search_settled (gpointer data)
{
  PctSearchPopover *popover = pct_window_get_search_popover (data);

  return !pct_search_popover_get_busy (popover) &&
         gtk_widget_get_mapped (GTK_WIDGET (popover)) &&
         gtk_list_box_get_row_at_index (pct_search_popover_get_list (popover), 0) != NULL;
}

/* Types text into the search entry as if pasted, and waits for results. */
static void
type_search (PctWindow  *window,
             const char *text)
{
  GtkSearchEntry *entry = GTK_SEARCH_ENTRY (gui_test_window_child (window, "search_entry"));

  /* Ctrl+F. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL));
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));

    g_assert_nonnull (focus);
    g_assert_true (focus == GTK_WIDGET (entry) || gtk_widget_is_ancestor (focus, GTK_WIDGET (entry)));
  }

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  gui_test_wait_until (search_settled, window, "search results");
}

static guint
n_rows (GtkListBox *list)
{
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;
  return n;
}

static guint
row_kind (PctSearchPopover *popover,
          guint             index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (pct_search_popover_get_list (popover),
                                                      index);
  guint kind = G_MAXUINT;

  g_assert_nonnull (row);
  g_assert_true (pct_search_popover_get_row_result (popover, row, &kind, NULL));
  return kind;
}

/* The text of the header above a row, or NULL. */
static const char *
row_heading (GtkListBox *list,
             guint       index)
{
  GtkWidget *header = gtk_list_box_row_get_header (gtk_list_box_get_row_at_index (list, index));

  return header != NULL && GTK_IS_LABEL (header) ? gtk_label_get_text (GTK_LABEL (header)) : NULL;
}

/* Presses a key in the entry: the key controller of the search sees it
 * first, in the capture phase. */
static void
press_key (PctWindow *window,
           guint      keyval)
{
  GtkWidget *entry = gui_test_window_child (window, "search_entry");
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (entry);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller) &&
          gtk_event_controller_get_propagation_phase (controller) == GTK_PHASE_CAPTURE)
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, (GdkModifierType) 0,
                               &handled);
    }
  g_assert_true (handled);
}

static gboolean
details_shown (gpointer data)
{
  PctWindow *window = data;
  GtkStack *sidebar = GTK_STACK (gui_test_window_child (window, "sidebar_stack"));

  return pct_details_panel_get_details (pct_window_get_details_panel (window)) != NULL &&
         g_strcmp0 (gtk_stack_get_visible_child_name (sidebar), "details") == 0 &&
         !gtk_stack_get_transition_running (sidebar);
}

static const PctDetails *
wait_for_details (PctWindow *window)
{
  gui_test_wait_until (details_shown, window, "the details panel");
  return pct_details_panel_get_details (pct_window_get_details_panel (window));
}

static void
assert_selected (PctWindow *window,
                 PctLayer   layer,
                 gint64     id)
{
  PctLayer selected_layer = PCT_N_LAYERS;
  gint64 selected_id = 0;

  g_assert_true (pct_map_view_get_selected (pct_window_get_map_view (window),
                                            &selected_layer, &selected_id));
  g_assert_cmpint (selected_layer, ==, layer);
  g_assert_cmpint (selected_id, ==, id);
}

static void
assert_centred_on (PctWindow *window,
                   double     lat,
                   double     lon,
                   double     zoom)
{
  ShumateViewport *viewport = pct_map_view_get_viewport (pct_window_get_map_view (window));

  g_assert_cmpfloat_with_epsilon (shumate_viewport_get_zoom_level (viewport), zoom, 1e-6);
  g_assert_cmpfloat_with_epsilon (shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                                  lat, 1e-6);
  g_assert_cmpfloat_with_epsilon (shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                                  lon, 1e-6);
}

/* A road with addresses on it, with a name of three characters or more. */
static char *
road_with_addresses (void)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT r.name FROM roads r WHERE length (r.name) >= 3 "
                                          "AND (SELECT count(*) FROM addresses a "
                                          "     WHERE a.road_id = r.id) >= 3 "
                                          "ORDER BY r.id LIMIT 1",
                                          &error);
  char *name;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return name;
}

static void
check_search (PctWindow *window)
{
  PctSearchPopover *popover = pct_window_get_search_popover (window);
  GtkListBox *list = pct_search_popover_get_list (popover);
  PctMapView *view = pct_window_get_map_view (window);
  g_autofree char *road = road_with_addresses ();
  const PctLocation *location = NULL;
  const PctDetails *details;
  GtkListBoxRow *second;
  guint previous_kind = 0;
  gint64 id;
  double lat, lon;

  gui_test_wait_for_store (window);
  wait_for_map (view);

  /* A road's name finds the addresses on it, under their heading. */
  type_search (window, road);
  g_assert_cmpuint (n_rows (list), >=, 3);
  g_assert_cmpuint (row_kind (popover, 0), ==, PCT_SEARCH_ADDRESS);
  g_assert_cmpstr (row_heading (list, 0), ==, C_("search results", "Addresses"));
  for (guint i = 0; i < n_rows (list); i++)
    {
      guint kind = row_kind (popover, i);

      /* Grouped: each kind in one run, with its heading on the first. */
      g_assert_cmpuint (kind, >=, previous_kind);
      if (kind != previous_kind)
        g_assert_nonnull (row_heading (list, i));
      else
        g_assert_null (row_heading (list, i));
      previous_kind = kind;
    }
  /* The first result is ready to take. */
  g_assert_true (gtk_list_box_get_selected_row (list) == gtk_list_box_get_row_at_index (list, 0));
  save_screenshot (window, "search-road");

  /* Down moves to the second result, Enter takes it. */
  press_key (window, GDK_KEY_Down);
  second = gtk_list_box_get_row_at_index (list, 1);
  g_assert_true (gtk_list_box_get_selected_row (list) == second);
  g_assert_true (pct_search_popover_get_row_result (popover, second, NULL, &location));
  g_assert_nonnull (location);
  g_assert_cmpint (location->layer, ==, PCT_LAYER_ADDRESSES);
  id = location->id;
  lat = location->lat;
  lon = location->lon;

  g_signal_emit_by_name (gui_test_window_child (window, "search_entry"), "activate");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (popover)));

  /* The map flies there, marks it and tells about it. */
  details = wait_for_details (window);
  wait_for_map (view);
  assert_centred_on (window, lat, lon, 18);
  assert_selected (window, PCT_LAYER_ADDRESSES, id);
  g_assert_cmpint (details->layer, ==, PCT_LAYER_ADDRESSES);
  g_assert_cmpint (details->id, ==, id);
  {
    g_autofree char *display = query_text ("SELECT display FROM addresses WHERE id = ?", id);
    GtkWidget *panel = GTK_WIDGET (pct_window_get_details_panel (window));
    GtkLabel *title = GTK_LABEL (gtk_widget_get_template_child (panel, PCT_TYPE_DETAILS_PANEL,
                                                                "title_label"));

    g_assert_cmpstr (gtk_label_get_text (title), ==, display);
  }

  /* Escape closes the results; a second Escape empties the entry. */
  type_search (window, road);
  g_signal_emit_by_name (gui_test_window_child (window, "search_entry"), "stop-search");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (popover)));
  g_signal_emit_by_name (gui_test_window_child (window, "search_entry"), "stop-search");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (gui_test_window_child (window,
                                                                               "search_entry"))),
                   ==, "");

  /* A person: their ID number masked, and Enter leads to their building. */
  {
    gint64 person = query_int ("SELECT pr.person_id FROM person_rooms pr "
                               "WHERE pr.room_id IS NOT NULL ORDER BY pr.person_id LIMIT 1");
    g_autofree char *name = query_text ("SELECT name FROM people WHERE id = ?", person);
    g_autofree char *id_number = query_text ("SELECT id_number FROM people WHERE id = ?", person);
    g_autofree char *masked = pct_mask_id_number (id_number);
    gboolean found = FALSE;

    type_search (window, name);
    for (guint i = 0; i < n_rows (list); i++)
      {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, i);
        GtkWidget *box = gtk_list_box_row_get_child (row);
        GtkWidget *labels = gtk_widget_get_last_child (box);
        GtkWidget *subtitle = gtk_widget_get_last_child (labels);
        const char *text = gtk_label_get_text (GTK_LABEL (subtitle));

        g_assert_null (strstr (text, id_number));
        if (row_kind (popover, i) == PCT_SEARCH_PERSON && g_str_has_prefix (text, masked))
          {
            g_assert_cmpstr (row_heading (list, i), ==, C_("search results", "People"));
            found = TRUE;
          }
      }
    g_assert_true (found);
    save_screenshot (window, "search-person");
    g_signal_emit_by_name (gui_test_window_child (window, "search_entry"), "stop-search");
  }
}

/* Pasted text that names a place by itself. */
static void
check_paste (PctWindow *window)
{
  PctSearchPopover *popover = pct_window_get_search_popover (window);
  GtkListBox *list = pct_search_popover_get_list (popover);
  PctMapView *view = pct_window_get_map_view (window);
  GtkWidget *entry = gui_test_window_child (window, "search_entry");
  g_autofree char *code = NULL;
  g_autofree char *pasted = NULL;
  const PctLocation *location = NULL;
  const PctDetails *details;
  double lat, lon;
  gint64 id;
  PctBBox extent;

  gui_test_wait_for_store (window);
  wait_for_map (view);

  /* Coordinates inside the district, longitude first, with the comma of
   * a Chinese input method. */
  g_assert_true (pct_store_get_extent (store, &extent, NULL));
  lat = round ((extent.min_lat + extent.max_lat) / 2 * 1e4) / 1e4;
  lon = round ((extent.min_lon + extent.max_lon) / 2 * 1e4) / 1e4;
  pasted = g_strdup_printf ("%.4f，%.4f", lon, lat);
  type_search (window, pasted);
  g_assert_cmpuint (row_kind (popover, 0), ==, 0);
  {
    g_autofree char *lat_text = g_strdup_printf ("%.6f", lat);
    g_autofree char *lon_text = g_strdup_printf ("%.6f", lon);
    g_autofree char *expected = g_strdup_printf (_("Go to %s, %s"), lat_text, lon_text);
    GtkWidget *box = gtk_list_box_row_get_child (gtk_list_box_get_row_at_index (list, 0));
    GtkWidget *labels = gtk_widget_get_last_child (box);

    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (labels))), ==,
                     expected);
  }
  save_screenshot (window, "search-coordinates");
  g_signal_emit_by_name (entry, "activate");
  wait_for_map (view);
  assert_centred_on (window, lat, lon, 18);

  /* An address code, pasted and entered at once: Enter does not wait for
   * the pause in typing, it takes the result when it comes. */
  id = query_int ("SELECT id FROM addresses WHERE kind = 'door' ORDER BY id DESC LIMIT 1");
  code = query_text ("SELECT code FROM addresses WHERE id = ?", id);
  query_position ("SELECT lon, lat FROM addresses WHERE id = ?", id, &lat, &lon);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), code);
  g_signal_emit_by_name (entry, "activate");

  details = wait_for_details (window);
  g_assert_cmpint (details->layer, ==, PCT_LAYER_ADDRESSES);
  g_assert_cmpint (details->id, ==, id);
  g_assert_cmpstr (pct_details_get_value (details, "code"), ==, code);
  wait_for_map (view);
  assert_centred_on (window, lat, lon, 18);
  assert_selected (window, PCT_LAYER_ADDRESSES, id);
  g_assert_true (pct_search_popover_get_row_result (popover, gtk_list_box_get_row_at_index (list, 0),
                                                    NULL, &location));
  g_assert_cmpint (location->id, ==, id);
}

/* An address with no other within radius metres, so that a click on it
 * finds it and not a neighbour. */
static gint64
lonely_address (double radius)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = pct_store_prepare (store,
                                          "SELECT a.id FROM addresses a WHERE NOT EXISTS "
                                          "(SELECT 1 FROM addresses b WHERE b.id <> a.id "
                                          " AND abs (b.lat - a.lat) < ?1 / 111000.0 "
                                          " AND abs (b.lon - a.lon) < ?1 / 97000.0) "
                                          "AND NOT EXISTS (SELECT 1 FROM facilities f "
                                          " WHERE abs (f.lat - a.lat) < ?1 / 111000.0 "
                                          " AND abs (f.lon - a.lon) < ?1 / 97000.0) "
                                          "AND NOT EXISTS (SELECT 1 FROM units u "
                                          " WHERE abs (u.lat - a.lat) < ?1 / 111000.0 "
                                          " AND abs (u.lon - a.lon) < ?1 / 97000.0) "
                                          "AND NOT EXISTS (SELECT 1 FROM incidents i "
                                          " WHERE abs (i.lat - a.lat) < ?1 / 111000.0 "
                                          " AND abs (i.lon - a.lon) < ?1 / 97000.0) "
                                          "ORDER BY a.id LIMIT 1",
                                          &error);
  gint64 id;

  g_assert_no_error (error);
  sqlite3_bind_double (stmt, 1, radius);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return id;
}

static void
show_feature (PctWindow  *window,
              PctLayer    layer,
              gint64      id,
              double      lat,
              double      lon,
              const char *screenshot)
{
  PctMapView *view = pct_window_get_map_view (window);
  const PctDetails *details;

  pct_map_view_go_to (view, lat, lon, 18);
  wait_for_map (view);
  g_signal_emit_by_name (view, "feature-activated", (guint) layer, id, lat, lon);
  details = wait_for_details (window);
  g_assert_cmpint (details->layer, ==, layer);
  g_assert_cmpint (details->id, ==, id);
  assert_selected (window, layer, id);
  gui_test_iterate_for (200);
  save_screenshot (window, screenshot);
}

static void
check_details (PctWindow *window)
{
  PctMapView *view = pct_window_get_map_view (window);
  GtkStack *sidebar = GTK_STACK (gui_test_window_child (window, "sidebar_stack"));
  ShumateViewport *viewport = pct_map_view_get_viewport (view);
  const PctDetails *details;
  g_autofree char *display = NULL;
  double lat, lon, x, y;
  graphene_point_t point;
  gint64 id;

  gui_test_wait_for_store (window);
  wait_for_map (view);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (sidebar), ==, "district");

  /* A click where an address projects opens its details. */
  id = lonely_address (15);
  display = query_text ("SELECT display FROM addresses WHERE id = ?", id);
  query_position ("SELECT lon, lat FROM addresses WHERE id = ?", id, &lat, &lon);
  pct_map_view_go_to (view, lat, lon, 18);
  wait_for_map (view);
  shumate_viewport_location_to_widget_coords (viewport, GTK_WIDGET (pct_map_view_get_map (view)),
                                              lat, lon, &x, &y);
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (pct_map_view_get_map (view)),
                                           GTK_WIDGET (view), &GRAPHENE_POINT_INIT (x, y), &point));
  /* A few pixels off: nobody clicks the exact centre. */
  g_assert_true (pct_map_view_activate_at (view, point.x + 3, point.y - 2));
  details = wait_for_details (window);
  g_assert_cmpint (details->layer, ==, PCT_LAYER_ADDRESSES);
  g_assert_cmpint (details->id, ==, id);
  {
    GtkWidget *panel = GTK_WIDGET (pct_window_get_details_panel (window));
    GtkLabel *title = GTK_LABEL (gtk_widget_get_template_child (panel, PCT_TYPE_DETAILS_PANEL,
                                                                "title_label"));

    g_assert_cmpstr (gtk_label_get_text (title), ==, display);
  }
  assert_selected (window, PCT_LAYER_ADDRESSES, id);
  gui_test_iterate_for (200);
  save_screenshot (window, "details-address");

  /* The close button clears the selection and brings the figures back. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (pct_window_get_details_panel (window)),
                                             "details.close", NULL));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (sidebar), ==, "district");
  g_assert_false (pct_map_view_get_selected (view, NULL, NULL));

  /* Each other kind, the fullest of its kind. */
  id = query_int ("SELECT b.id FROM buildings b ORDER BY "
                  "(SELECT count(*) FROM rooms r WHERE r.building_id = b.id) DESC, b.id LIMIT 1");
  query_position ("SELECT lon, lat FROM buildings WHERE id = ?", id, &lat, &lon);
  show_feature (window, PCT_LAYER_BUILDINGS, id, lat, lon, "details-building");

  id = query_int ("SELECT id FROM units WHERE legal_rep IS NOT NULL AND room_id IS NOT NULL "
                  "ORDER BY id LIMIT 1");
  query_position ("SELECT lon, lat FROM units WHERE id = ?", id, &lat, &lon);
  show_feature (window, PCT_LAYER_UNITS, id, lat, lon, "details-unit");
  {
    g_autofree char *legal_rep = query_text ("SELECT legal_rep FROM units WHERE id = ?", id);
    g_autofree char *masked = pct_mask_name (legal_rep);

    details = pct_details_panel_get_details (pct_window_get_details_panel (window));
    g_assert_cmpstr (pct_details_get_value (details, "legal_rep"), ==, masked);
  }

  id = query_int ("SELECT id FROM facilities WHERE building_id IS NOT NULL ORDER BY id LIMIT 1");
  query_position ("SELECT lon, lat FROM facilities WHERE id = ?", id, &lat, &lon);
  show_feature (window, PCT_LAYER_FACILITIES, id, lat, lon, "details-facility");

  id = query_int ("SELECT i.id FROM incidents i JOIN work_orders w ON w.incident_id = i.id "
                  "WHERE w.state IN ('dispatched', 'disposing') ORDER BY i.id LIMIT 1");
  query_position ("SELECT lon, lat FROM incidents WHERE id = ?", id, &lat, &lon);
  show_feature (window, PCT_LAYER_INCIDENTS, id, lat, lon, "details-incident");

  id = query_int ("SELECT grid_id FROM workers WHERE grid_id IS NOT NULL ORDER BY id LIMIT 1");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(PctDetails) grid = pct_details_query (store, PCT_LAYER_GRIDS, id,
                                                    GUI_TEST_REFERENCE_TIME, &error);

    g_assert_no_error (error);
    show_feature (window, PCT_LAYER_GRIDS, id, grid->lat, grid->lon, "details-grid");
  }

  /* A related feature leads on: a facility of a building. */
  id = query_int ("SELECT b.id FROM buildings b WHERE EXISTS "
                  "(SELECT 1 FROM facilities f WHERE f.building_id = b.id) ORDER BY b.id LIMIT 1");
  query_position ("SELECT lon, lat FROM buildings WHERE id = ?", id, &lat, &lon);
  show_feature (window, PCT_LAYER_BUILDINGS, id, lat, lon, "details-building-2");
  {
    const PctDetailsRelated *related = NULL;

    details = pct_details_panel_get_details (pct_window_get_details_panel (window));
    for (guint i = 0; i < details->related->len && related == NULL; i++)
      {
        const PctDetailsRelated *r = g_ptr_array_index (details->related, i);

        if (r->layer == PCT_LAYER_FACILITIES)
          related = r;
      }
    if (related == NULL)
      g_error ("The building's details link to none of its facilities");
    id = related->id;
    g_signal_emit_by_name (pct_window_get_details_panel (window), "feature-activated",
                           (guint) related->layer, related->id, related->lat, related->lon);
    details = wait_for_details (window);
    g_assert_cmpint (details->layer, ==, PCT_LAYER_FACILITIES);
    g_assert_cmpint (details->id, ==, id);
    assert_selected (window, PCT_LAYER_FACILITIES, id);
  }
}

static void
test_search_road (void)
{
  gui_test_run_app (district_path, check_search);
}

static void
test_paste (void)
{
  gui_test_run_app (district_path, check_paste);
}

static void
test_details (void)
{
  gui_test_run_app (district_path, check_details);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  /* Times in the details are the district's. */
  g_setenv ("TZ", "Asia/Shanghai", TRUE);

  if (!gui_test_init (&argc, &argv))
    return EXIT_FAILURE;

  district_path = gui_test_generate_district (1, GUI_TEST_REFERENCE_TIME);
  store = pct_store_open (district_path, PCT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);

  g_test_add_func ("/search/road-and-keyboard", test_search_road);
  g_test_add_func ("/search/paste", test_paste);
  g_test_add_func ("/search/details", test_details);

  status = g_test_run ();

  g_clear_object (&store);
  gui_test_remove_district (district_path);
  g_free (district_path);
  return status;
}
