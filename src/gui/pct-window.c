/* pct-window.c — the main window: a district's map and its figures
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A window shows one store. Opening it (which may migrate the schema),
 * reading the district's name and extent and counting its records all touch
 * the disk, and counting 600k residents takes a noticeable moment, so that
 * happens in a worker thread on a connection the window then keeps.
 *
 * The sidebar shows the district's figures while nothing is selected and
 * the details of the selected feature otherwise. A feature is selected by
 * clicking it on the map, by choosing a search result, or by following a
 * link in the details (a unit's address, say).
 *
 * For measuring, PRECINCT_REPORT_FIRST_FRAME=1 makes the window print
 * "first-frame MS" to stderr when it first paints and "map-ready MS" when
 * the district's first screenful of tiles is drawn (milliseconds since the
 * process started), and PRECINCT_EXIT_AFTER_FIRST_FRAME=1 quits then.
 * PRECINCT_TOUR=1 pans and zooms across the whole district, waiting for
 * the tiles of each step, then prints "tour-steps N" and "peak-rss-mb MB"
 * (VmHWM) and quits. See tests/bench/bench-start.c.
 */

#define G_LOG_DOMAIN "pct-window"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <locale.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pct-basemap.h"
#include "pct-details-panel.h"
#include "pct-incident-layer.h"
#include "pct-map-context-menu.h"
#include "pct-preferences-dialog.h"
#include "pct-regions.h"
#include "pct-search-popover.h"
#include "pct-sync-indicator.h"
#include "pct-window.h"

/* Records counted in the sidebar: the store's entity name and the label's
 * id in the template. */
static const struct
{
  const char *entity;
  const char *label_id;
} counted[] = {
  { "addresses", "addresses_count" },
  { "buildings", "buildings_count" },
  { "rooms", "rooms_count" },
  { "people", "people_count" },
  { "units", "units_count" },
  { "facilities", "facilities_count" },
  { "grids", "grids_count" },
  { "incidents", "incidents_count" },
  { "work_orders", "work_orders_count" },
};

#define N_COUNTED G_N_ELEMENTS (counted)

struct _PctWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwWindowTitle       *window_title;
  GtkWidget            *sidebar_button;
  GtkStack             *stack;
  GtkLabel             *missing_command;
  AdwStatusPage        *error_page;
  AdwFlap              *flap;
  GtkStack             *sidebar_stack;
  PctDetailsPanel      *details_panel;
  GtkSearchEntry       *search_entry;
  GtkLabel             *district_name_label;
  GtkLabel             *district_code_label;
  GtkLabel             *count_labels[N_COUNTED];
  PctMapView           *map_view;
  PctSyncIndicator     *sync_indicator;
  GtkRevealer          *sync_banner;
  GtkLabel             *sync_banner_title;
  GtkLabel             *sync_banner_detail;
  GtkProgressBar       *sync_banner_progress;

  /* Owned references */
  PctSearchPopover     *search_popover;
  GSettings            *settings;
  GCancellable         *cancellable;
  PctStore             *store;
  char                 *store_path;
  PctSync              *sync;
  PctSyncState          sync_state;
  gboolean              recounting;

  /* Measuring: see the top of this file */
  PctBBox               extent;
  GArray               *tour;          /* TourStep */
  guint                 tour_index;
  guint                 tour_quiet;
  guint                 tour_source_id;
  GdkFrameClock        *frame_clock;
  gulong                after_paint_id;
  gint64                tour_step_started;
  guint                 has_extent : 1;
  guint                 reported_first_frame : 1;
  guint                 reported_map_ready : 1;
  guint                 map_extras_attached : 1;
};

typedef struct
{
  double lat;
  double lon;
  double zoom;
} TourStep;

/* What the worker thread reads from the store. */
typedef struct
{
  PctStore *store;
  char     *name;
  char     *code;
  char     *region;   /* 重庆市江津区 */
  PctBBox   extent;
  gboolean  has_extent;
  gint64    counts[N_COUNTED];
} District;

static void district_loaded_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data);

G_DEFINE_FINAL_TYPE (PctWindow, pct_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_STORE_PATH,
  PROP_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
district_free (District *district)
{
  g_clear_object (&district->store);
  g_free (district->name);
  g_free (district->code);
  g_free (district->region);
  g_free (district);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (District, district_free)

/* Groups digits by thousands, as both Chinese and English write counts.
 * The C locale has no separator, and a count of 600000 is hard to read
 * without one, so a comma stands in for it there. */
static char *
format_count (gint64 value)
{
  const char *separator = localeconv ()->thousands_sep;
  g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, ABS (value));
  GString *out = g_string_new (value < 0 ? "-" : NULL);
  gsize len = strlen (digits);

  if (separator == NULL || *separator == '\0')
    separator = ",";

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append (out, separator);
      g_string_append_c (out, digits[i]);
    }

  return g_string_free (out, FALSE);
}

static void
pct_window_actions_update (PctWindow *self)
{
  gboolean loaded = self->store != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sync-now", self->sync != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-district", loaded);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.toggle-sidebar", loaded);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", loaded);
  gtk_widget_set_visible (self->sidebar_button, loaded);
  gtk_widget_set_visible (GTK_WIDGET (self->search_entry), loaded);
}

/* Where the map flies for a search result or a link in the details: close
 * enough to tell one door from the next. */
#define GO_TO_ZOOM 18

/* Selects a feature: the map marks it and the sidebar tells about it. */
static void
select_feature (PctWindow *self,
                PctLayer   layer,
                gint64     id,
                double     lat,
                double     lon)
{
  pct_map_view_select (self->map_view, layer, id, lat, lon);
  pct_details_panel_show_feature (self->details_panel, layer, id);
  gtk_stack_set_visible_child_name (self->sidebar_stack, "details");
  adw_flap_set_reveal_flap (self->flap, TRUE);
}

static void
clear_selection (PctWindow *self)
{
  pct_map_view_select (self->map_view, PCT_N_LAYERS, 0, 0, 0);
  pct_details_panel_clear (self->details_panel);
  gtk_stack_set_visible_child_name (self->sidebar_stack, "district");
}

/* Milliseconds since this process started, from the kernel's record of
 * its start (clock ticks since boot) and the boot-time clock. */
static double
ms_since_process_start (void)
{
  g_autofree char *stat = NULL;
  const char *p;
  struct timespec now;
  unsigned long long start_ticks = 0;
  long ticks_per_second = sysconf (_SC_CLK_TCK);

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (p = strrchr (stat, ')')) == NULL)
    return -1;

  /* Field 22, starttime; the fields after the command name start at 3. */
  p++;
  for (int field = 3; field <= 22 && p != NULL; field++)
    {
      p = strchr (p + 1, ' ');
      if (field == 21 && p != NULL)
        start_ticks = g_ascii_strtoull (p + 1, NULL, 10);
    }
  if (start_ticks == 0 || ticks_per_second <= 0 || clock_gettime (CLOCK_BOOTTIME, &now) != 0)
    return -1;

  return (now.tv_sec + now.tv_nsec / 1e9 - (double) start_ticks / ticks_per_second) * 1000.0;
}

/* VmHWM: the most memory this process has had resident, in MB. */
static double
peak_rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmHWM:")) == NULL)
    return -1;

  return g_ascii_strtod (line + strlen ("VmHWM:"), NULL) / 1024.0;
}

static void
quit_measuring (PctWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  /* Quits without saving the window state: a measuring run is not a
   * place the user chose. */
  if (app != NULL)
    g_application_quit (G_APPLICATION (app));
}

/* The tour: the whole district at the zoom that fits it, then a grid of
 * views at each closer zoom, each grid covering the district (at the
 * closest zooms a sample of it: covering 250k addresses door by door
 * would take hours and measure nothing more). */
static void
build_tour (PctWindow *self)
{
  static const struct { double zoom; guint steps; } levels[] = {
    { 12, 2 }, { 13, 3 }, { 14, 4 }, { 15, 5 }, { 16, 6 }, { 17, 6 }, { 18, 4 },
  };
  const PctBBox *e = &self->extent;

  self->tour = g_array_new (FALSE, FALSE, sizeof (TourStep));
  for (guint l = 0; l < G_N_ELEMENTS (levels); l++)
    {
      guint n = levels[l].steps;

      for (guint row = 0; row < n; row++)
        for (guint col = 0; col < n; col++)
          {
            /* Rows alternate direction, as one would pan by hand. */
            guint c = row % 2 == 0 ? col : n - 1 - col;
            TourStep step = {
              e->max_lat - (row + 0.5) * (e->max_lat - e->min_lat) / n,
              e->min_lon + (c + 0.5) * (e->max_lon - e->min_lon) / n,
              levels[l].zoom,
            };

            g_array_append_val (self->tour, step);
          }
    }
}

static gboolean
tour_tick_cb (gpointer user_data)
{
  PctWindow *self = user_data;
  gboolean settled = !pct_map_view_get_loading (self->map_view);

  /* Quiet for a few ticks in a row: a view just moved may not have asked
   * for its tiles yet. A step that never settles still moves on: the
   * figure is memory. */
  self->tour_quiet = settled ? self->tour_quiet + 1 : 0;
  if (self->tour_quiet < 3 &&
      g_get_monotonic_time () - self->tour_step_started < 30 * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  self->tour_quiet = 0;

  g_debug ("Tour step %u of %u: %s after %.1f s", self->tour_index, self->tour->len,
           settled ? "drawn" : "still drawing",
           (g_get_monotonic_time () - self->tour_step_started) / (double) G_USEC_PER_SEC);

  if (self->tour_index >= self->tour->len)
    {
      g_printerr ("tour-steps %u\n", self->tour->len);
      g_printerr ("peak-rss-mb %.1f\n", peak_rss_mb ());
      self->tour_source_id = 0;
      quit_measuring (self);
      return G_SOURCE_REMOVE;
    }

  {
    const TourStep *step = &g_array_index (self->tour, TourStep, self->tour_index++);
    ShumateMap *map = pct_map_view_get_map (self->map_view);

    /* Jumps rather than flies: the flight's frames are not what is
     * measured, and would make the tour last minutes longer. */
    shumate_map_stop_go_to (map);
    shumate_viewport_set_zoom_level (pct_map_view_get_viewport (self->map_view), step->zoom);
    shumate_map_center_on (map, step->lat, step->lon);
    self->tour_step_started = g_get_monotonic_time ();
  }
  return G_SOURCE_CONTINUE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                PctWindow     *self)
{
  if (!self->reported_first_frame)
    {
      self->reported_first_frame = TRUE;
      g_printerr ("first-frame %.1f\n", ms_since_process_start ());
    }

  if (self->reported_map_ready || self->store == NULL ||
      pct_map_view_get_loading (self->map_view) ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "district") != 0)
    return;

  self->reported_map_ready = TRUE;
  g_printerr ("map-ready %.1f\n", ms_since_process_start ());
  g_printerr ("map-ready-rss-mb %.1f\n", peak_rss_mb ());
  g_clear_signal_handler (&self->after_paint_id, clock);

  if (g_strcmp0 (g_getenv ("PRECINCT_TOUR"), "1") == 0 && self->has_extent)
    {
      build_tour (self);
      self->tour_step_started = g_get_monotonic_time ();
      self->tour_source_id = g_timeout_add (50, tour_tick_cb, self);
    }
  else if (g_strcmp0 (g_getenv ("PRECINCT_EXIT_AFTER_FIRST_FRAME"), "1") == 0)
    quit_measuring (self);
}

static gboolean
count_records (PctStore      *store,
               gint64         counts[N_COUNTED],
               GCancellable  *cancellable,
               GError       **error)
{
  for (guint i = 0; i < N_COUNTED; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          !pct_store_count (store, counted[i].entity, &counts[i], error))
        return FALSE;
    }
  return TRUE;
}

static void
show_counts (PctWindow    *self,
             const gint64  counts[N_COUNTED])
{
  for (guint i = 0; i < N_COUNTED; i++)
    {
      g_autofree char *text = format_count (counts[i]);

      gtk_label_set_text (self->count_labels[i], text);
    }
}

/* Counting after a sync reads on a connection of its own, closed at once,
 * so that the pages it reads do not stay in the window's cache. */
static void
recount_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *counts = g_new0 (gint64, N_COUNTED);

  store = pct_store_open (task_data, PCT_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL || !count_records (store, counts, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&counts), g_free);
}

static void
recounted_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PctWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *counts = g_task_propagate_pointer (G_TASK (result), &error);

  self->recounting = FALSE;
  if (counts == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot count the district's records: %s", error->message);
      return;
    }
  show_counts (self, counts);
}

/* The sidebar's counts after a sync brought records; one count at a time,
 * as live incidents may arrive faster than a large district counts. */
static void
recount (PctWindow *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->recounting)
    return;
  self->recounting = TRUE;
  task = g_task_new (NULL, self->cancellable, recounted_cb, g_object_ref (self));
  g_task_set_source_tag (task, recount);
  g_task_set_task_data (task, g_strdup (self->store_path), g_free);
  g_task_run_in_thread (task, recount_thread);
}

static void
load_district_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(District) district = g_new0 (District, 1);
  g_autoptr(GError) error = NULL;

  /* Checked first: opening would create nothing (no CREATE flag), but the
   * window explains a missing store differently from a broken one. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("There is no district store at %s"), path);
      return;
    }

  district->store = pct_store_open (path, PCT_STORE_OPEN_DEFAULT, &error);
  if (district->store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  district->name = pct_store_get_meta (district->store, "district_name");
  district->code = pct_store_get_meta (district->store, "district_code");
  if (district->code != NULL)
    district->region = pct_regions_dup_display_name (district->code);
  if (district->name == NULL && district->region != NULL)
    district->name = g_strdup (district->region);

  /* An empty store has no extent; its map simply shows nothing yet. */
  district->has_extent = pct_store_get_extent (district->store, &district->extent, NULL);

  if (!count_records (district->store, district->counts, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Counting and the extent read whole tables through this connection's
   * page cache: 30 MB for a large district, of pages nothing asks for
   * again. The cache refills from what the window does read. */
  pct_store_exec (district->store, "PRAGMA shrink_memory", NULL);

  g_task_return_pointer (task, g_steal_pointer (&district), (GDestroyNotify) district_free);
}

static gboolean
restore_map_position (PctWindow     *self,
                      const PctBBox *extent)
{
  double zoom = g_settings_get_double (self->settings, "map-zoom");
  double lat = g_settings_get_double (self->settings, "map-center-lat");
  double lon = g_settings_get_double (self->settings, "map-center-lon");

  /* A place saved while looking at another district means nothing here. */
  if (zoom <= 0 ||
      lon < extent->min_lon || lon > extent->max_lon ||
      lat < extent->min_lat || lat > extent->max_lat)
    return FALSE;

  pct_map_view_go_to (self->map_view, lat, lon, zoom);
  return TRUE;
}

static void
save_window_state (PctWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  /* The size to come back to when unmaximized, not the maximized one. */
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }

  if (self->store != NULL)
    {
      ShumateViewport *viewport = pct_map_view_get_viewport (self->map_view);
      ShumateLocation *location = SHUMATE_LOCATION (viewport);

      g_settings_set_double (self->settings, "map-center-lat",
                             shumate_location_get_latitude (location));
      g_settings_set_double (self->settings, "map-center-lon",
                             shumate_location_get_longitude (location));
      g_settings_set_double (self->settings, "map-zoom",
                             shumate_viewport_get_zoom_level (viewport));
    }
  g_settings_apply (self->settings);
}

static void
load_district (PctWindow *self)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (NULL, self->cancellable, district_loaded_cb, g_object_ref (self));
  g_task_set_source_tag (task, load_district);
  g_task_set_task_data (task, g_strdup (self->store_path), g_free);
  g_task_run_in_thread (task, load_district_thread);
}

static void
show_missing (PctWindow *self)
{
  g_autofree char *quoted = g_shell_quote (self->store_path);
  g_autofree char *command = NULL;

  /* The path is in the header bar already; the command carries it too. */
  command = g_strdup_printf ("precinct-tool gen --size medium --db %s", quoted);
  gtk_label_set_text (self->missing_command, command);
  gtk_stack_set_visible_child_name (self->stack, "missing");
}

static void
show_district (PctWindow *self,
               District  *district)
{
  const char *title = district->name;
  g_autofree char *basename = NULL;

  if (title == NULL)
    title = basename = g_path_get_basename (self->store_path);

  adw_window_title_set_title (self->window_title, title);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_label_set_text (self->district_name_label, title);
  /* Where the district sits, and its GB/T 2260 code. */
  if (district->region != NULL && district->code != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s · %s", district->region, district->code);

      gtk_label_set_text (self->district_code_label, text);
    }
  else
    gtk_label_set_text (self->district_code_label, district->code ? district->code : "");
  gtk_widget_set_visible (GTK_WIDGET (self->district_code_label), district->code != NULL);

  show_counts (self, district->counts);

  g_clear_object (&self->store);
  self->store = g_steal_pointer (&district->store);

  pct_map_view_set_store (self->map_view, self->store);
  if (district->has_extent)
    {
      self->extent = district->extent;
      self->has_extent = TRUE;
      pct_map_view_set_district (self->map_view, &district->extent);
      if (!restore_map_position (self, &district->extent))
        pct_map_view_show_district (self->map_view);
    }

  /* Search and details read on connections of their own, in workers. */
  pct_search_popover_set_store_path (self->search_popover, self->store_path);
  pct_search_popover_set_hint (self->search_popover,
                               district->has_extent ? &district->extent : NULL);
  pct_details_panel_set_store_path (self->details_panel, self->store_path);

  /* The map's further layers and menus attach once; they follow the view
   * when it is given another store. */
  if (!self->map_extras_attached)
    {
      pct_basemap_bind (self->map_view, self->settings);
      pct_map_view_add_layer_overlay (self->map_view,
                                      SHUMATE_LAYER (pct_incident_layer_new (self->map_view)),
                                      PCT_LAYER_INCIDENTS);
      pct_map_context_menu_attach (self->map_view);
      self->map_extras_attached = TRUE;
    }

  gtk_stack_set_visible_child_name (self->stack, "district");
  pct_window_actions_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

static void
district_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PctWindow) self = user_data;
  g_autoptr(District) district = NULL;
  g_autoptr(GError) error = NULL;

  district = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    show_missing (self);
  else if (error != NULL)
    {
      /* The description is markup, and messages quote paths. */
      g_autofree char *escaped = g_markup_escape_text (error->message, -1);

      adw_status_page_set_description (self->error_page, escaped);
      gtk_stack_set_visible_child_name (self->stack, "error");
    }
  else
    show_district (self, district);
}

static void
feature_activated_cb (PctWindow  *self,
                      guint       layer,
                      gint64      id,
                      double      lat,
                      double      lon,
                      PctMapView *view)
{
  gtk_popover_popdown (GTK_POPOVER (self->search_popover));
  select_feature (self, layer, id, lat, lon);
}

static void
search_location_activated_cb (PctWindow        *self,
                              guint             layer,
                              gint64            id,
                              double            lat,
                              double            lon,
                              PctSearchPopover *popover)
{
  pct_map_view_go_to (self->map_view, lat, lon, GO_TO_ZOOM);

  /* A bare position has nothing to tell about. */
  if (layer < PCT_N_LAYERS)
    select_feature (self, layer, id, lat, lon);
  else
    clear_selection (self);

  /* The arrow keys pan the map from here on. */
  gtk_widget_grab_focus (GTK_WIDGET (self->map_view));
}

static void
details_feature_activated_cb (PctWindow       *self,
                              guint            layer,
                              gint64           id,
                              double           lat,
                              double           lon,
                              PctDetailsPanel *panel)
{
  pct_map_view_go_to (self->map_view, lat, lon, GO_TO_ZOOM);
  select_feature (self, layer, id, lat, lon);
}

static void
details_close_requested_cb (PctWindow       *self,
                            PctDetailsPanel *panel)
{
  clear_selection (self);
}

/* A press on the map closes the search results: focus stays in the
 * entry, which would otherwise keep them over the map. */
static void
map_pressed_cb (PctWindow       *self,
                int              n_press,
                double           x,
                double           y,
                GtkGestureClick *gesture)
{
  gtk_popover_popdown (GTK_POPOVER (self->search_popover));
}

static void
map_loading_changed_cb (PctWindow  *self,
                        GParamSpec *pspec,
                        PctMapView *view)
{
  /* The frame that shows the last tile may have been painted before the
   * view noticed it was the last: one more frame says so. */
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
realized_cb (PctWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (self->after_paint_id == 0 && !self->reported_map_ready)
    {
      g_set_object (&self->frame_clock, clock);
      self->after_paint_id = g_signal_connect (clock, "after-paint",
                                               G_CALLBACK (after_paint_cb), self);
    }
}

static void
open_response_cb (PctWindow            *self,
                  int                   response,
                  GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

      if (path != NULL && app != NULL)
        {
          pct_application_open_store (PCT_APPLICATION (app), path);

          /* A window that only explained why it had nothing to show has
           * done its job. */
          if (self->store == NULL && g_strcmp0 (path, self->store_path) != 0)
            gtk_window_close (GTK_WINDOW (self));
        }
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  PctWindow *self = PCT_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) stores = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Open District"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  gtk_file_filter_set_name (stores, _("District Stores"));
  gtk_file_filter_add_mime_type (stores, "application/vnd.sqlite3");
  gtk_file_filter_add_mime_type (stores, "application/x-sqlite3");
  gtk_file_filter_add_suffix (stores, "db");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), stores);

  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);

  g_signal_connect_object (chooser, "response", G_CALLBACK (open_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
show_district_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  PctWindow *self = PCT_WINDOW (widget);

  pct_map_view_show_district (self->map_view);
}

static void
preferences_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  pct_preferences_dialog_present (GTK_WINDOW (widget));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  PctWindow *self = PCT_WINDOW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

static void
toggle_sidebar_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PctWindow *self = PCT_WINDOW (widget);

  adw_flap_set_reveal_flap (self->flap, !adw_flap_get_reveal_flap (self->flap));
}

static void
sync_now_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  PctWindow *self = PCT_WINDOW (widget);

  if (self->sync != NULL)
    pct_sync_request (self->sync);
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (widget));

  if (app != NULL)
    pct_application_sign_in (PCT_APPLICATION (app), GTK_WINDOW (widget));
}

/* The banner under the header bar follows a sync that fills a store with
 * no district in it yet: the first one, which may take minutes. */
static void
update_sync_banner (PctWindow *self)
{
  guint64 done = pct_sync_get_records_done (self->sync);
  guint64 total = pct_sync_get_records_total (self->sync);
  g_autofree char *eta = pct_sync_format_eta (pct_sync_get_eta (self->sync));
  g_autofree char *detail = NULL;
  gboolean show = self->sync_state == PCT_SYNC_STATE_SYNCING && !self->has_extent;

  gtk_revealer_set_reveal_child (self->sync_banner, show);
  if (!show)
    return;

  gtk_label_set_text (self->sync_banner_title, _("Downloading the district from the hub"));
  if (total > 0)
    {
      gtk_progress_bar_set_fraction (self->sync_banner_progress,
                                     CLAMP ((double) done / total, 0.0, 1.0));
      /* Translators: records received so far, of how many. */
      detail = g_strdup_printf (_("%'" PRIu64 " of %'" PRIu64 " records"), done, total);
    }
  else
    {
      gtk_progress_bar_pulse (self->sync_banner_progress);
      detail = g_strdup_printf (_("%'" PRIu64 " records"), done);
    }
  if (eta != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s · %s", detail, eta);
      gtk_label_set_text (self->sync_banner_detail, both);
    }
  else
    gtk_label_set_text (self->sync_banner_detail, detail);
}

static void
sync_notify_cb (PctWindow  *self,
                GParamSpec *pspec,
                PctSync    *sync)
{
  PctSyncState before = self->sync_state;

  self->sync_state = pct_sync_get_state (sync);
  update_sync_banner (self);

  /* The store had nothing to show when it was read: read it again once a
   * sync has brought the district. */
  if (before == PCT_SYNC_STATE_SYNCING && self->sync_state == PCT_SYNC_STATE_ONLINE)
    {
      if (!self->has_extent)
        load_district (self);
      else if (pct_sync_get_records_done (sync) > 0)
        recount (self);
    }
}

static void
pct_window_size_allocate (GtkWidget *widget,
                          int        width,
                          int        height,
                          int        baseline)
{
  PctWindow *self = PCT_WINDOW (widget);

  GTK_WIDGET_CLASS (pct_window_parent_class)->size_allocate (widget, width, height, baseline);

  /* The results stay under the entry as the window changes size. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->search_popover)))
    gtk_popover_present (GTK_POPOVER (self->search_popover));
}

static gboolean
pct_window_close_request (GtkWindow *window)
{
  save_window_state (PCT_WINDOW (window));

  return GTK_WINDOW_CLASS (pct_window_parent_class)->close_request (window);
}

static void
pct_window_constructed (GObject *object)
{
  PctWindow *self = (PctWindow *) object;

  G_OBJECT_CLASS (pct_window_parent_class)->constructed (object);

  g_return_if_fail (self->store_path != NULL);

  adw_window_title_set_subtitle (self->window_title, self->store_path);
  load_district (self);
}

static void
pct_window_dispose (GObject *object)
{
  PctWindow *self = (PctWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tour_source_id, g_source_remove);
  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  g_clear_object (&self->frame_clock);

  /* The entry is the popover's parent and goes with the template. */
  if (self->search_popover != NULL)
    pct_search_popover_set_entry (self->search_popover, NULL);
  g_clear_object (&self->search_popover);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_WINDOW);

  g_clear_pointer (&self->tour, g_array_unref);
  g_clear_object (&self->store);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (pct_window_parent_class)->dispose (object);
}

static void
pct_window_finalize (GObject *object)
{
  PctWindow *self = (PctWindow *) object;

  g_clear_pointer (&self->store_path, g_free);

  G_OBJECT_CLASS (pct_window_parent_class)->finalize (object);
}

static void
pct_window_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  PctWindow *self = PCT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_STORE_PATH:
      g_value_set_string (value, self->store_path);
      break;

    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_window_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  PctWindow *self = PCT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_STORE_PATH:
      self->store_path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_window_class_init (PctWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = pct_window_constructed;
  object_class->dispose = pct_window_dispose;
  object_class->finalize = pct_window_finalize;
  object_class->get_property = pct_window_get_property;
  object_class->set_property = pct_window_set_property;

  widget_class->size_allocate = pct_window_size_allocate;
  window_class->close_request = pct_window_close_request;

  properties[PROP_STORE_PATH] =
    g_param_spec_string ("store-path", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* NULL until the store has been opened and read. */
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL,
                         PCT_TYPE_STORE,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PCT_TYPE_MAP_VIEW);
  g_type_ensure (PCT_TYPE_DETAILS_PANEL);
  g_type_ensure (PCT_TYPE_SYNC_INDICATOR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PctWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, missing_command);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, details_panel);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, district_name_label);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, district_code_label);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, map_view);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, sync_indicator);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, sync_banner);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, sync_banner_title);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, sync_banner_detail);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, sync_banner_progress);
  for (guint i = 0; i < N_COUNTED; i++)
    gtk_widget_class_bind_template_child_full (widget_class, counted[i].label_id, FALSE,
                                               G_STRUCT_OFFSET (PctWindow, count_labels) +
                                               i * sizeof (GtkLabel *));

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.show-district", NULL, show_district_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-sidebar", NULL, toggle_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_install_action (widget_class, "win.sync-now", NULL, sync_now_action);
  gtk_widget_class_install_action (widget_class, "win.sign-in", NULL, sign_in_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-sidebar", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                       "win.preferences", NULL);
}

static void
pct_window_init (PctWindow *self)
{
  int width, height;

  GtkGesture *press;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();

  self->search_popover = g_object_ref_sink (PCT_SEARCH_POPOVER (pct_search_popover_new ()));
  pct_search_popover_set_entry (self->search_popover, self->search_entry);
  g_signal_connect_object (self->search_popover, "location-activated",
                           G_CALLBACK (search_location_activated_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->map_view, "feature-activated",
                           G_CALLBACK (feature_activated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->details_panel, "feature-activated",
                           G_CALLBACK (details_feature_activated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->details_panel, "close-requested",
                           G_CALLBACK (details_close_requested_cb), self, G_CONNECT_SWAPPED);

  /* Observes only: the map's own gestures still get the press. */
  press = gtk_gesture_click_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (press), GTK_PHASE_CAPTURE);
  g_signal_connect_object (press, "pressed", G_CALLBACK (map_pressed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->map_view), GTK_EVENT_CONTROLLER (press));

  if (g_strcmp0 (g_getenv ("PRECINCT_REPORT_FIRST_FRAME"), "1") == 0 ||
      g_strcmp0 (g_getenv ("PRECINCT_TOUR"), "1") == 0)
    {
      g_signal_connect (self, "realize", G_CALLBACK (realized_cb), NULL);
      g_signal_connect_object (self->map_view, "notify::loading",
                               G_CALLBACK (map_loading_changed_cb), self, G_CONNECT_SWAPPED);
    }
  /* The base id, so that development builds share the settings. */
  self->settings = g_settings_new (BASE_APP_ID);

  width = g_settings_get_int (self->settings, "window-width");
  height = g_settings_get_int (self->settings, "window-height");
  gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  pct_window_actions_update (self);
}

PctWindow *
pct_window_new (PctApplication *application,
                const char     *store_path)
{
  g_return_val_if_fail (PCT_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (store_path != NULL, NULL);

  return g_object_new (PCT_TYPE_WINDOW,
                       "application", application,
                       "store-path", store_path,
                       NULL);
}

const char *
pct_window_get_store_path (PctWindow *self)
{
  g_return_val_if_fail (PCT_IS_WINDOW (self), NULL);

  return self->store_path;
}

/* The window's own connection to its store, used on the main thread only;
 * NULL until loaded, and for a store that could not be opened. */
PctStore *
pct_window_get_store (PctWindow *self)
{
  g_return_val_if_fail (PCT_IS_WINDOW (self), NULL);

  return self->store;
}

PctMapView *
pct_window_get_map_view (PctWindow *self)
{
  g_return_val_if_fail (PCT_IS_WINDOW (self), NULL);

  return self->map_view;
}

PctSearchPopover *
pct_window_get_search_popover (PctWindow *self)
{
  g_return_val_if_fail (PCT_IS_WINDOW (self), NULL);

  return self->search_popover;
}

PctDetailsPanel *
pct_window_get_details_panel (PctWindow *self)
{
  g_return_val_if_fail (PCT_IS_WINDOW (self), NULL);

  return self->details_panel;
}

/* Shows how sync stands with the hub the store is kept in step with; the
 * caller starts and stops the sync. NULL for a store of its own. */
void
pct_window_set_sync (PctWindow *self,
                     PctSync   *sync)
{
  g_return_if_fail (PCT_IS_WINDOW (self));
  g_return_if_fail (sync == NULL || PCT_IS_SYNC (sync));

  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);

  pct_sync_indicator_set_sync (self->sync_indicator, sync);
  gtk_widget_set_visible (GTK_WIDGET (self->sync_indicator), sync != NULL);
  if (sync != NULL)
    {
      self->sync_state = pct_sync_get_state (sync);
      g_signal_connect_object (sync, "notify", G_CALLBACK (sync_notify_cb), self,
                               G_CONNECT_SWAPPED);
      update_sync_banner (self);
    }
  else
    gtk_revealer_set_reveal_child (self->sync_banner, FALSE);
  pct_window_actions_update (self);
}

PctSync *
pct_window_get_sync (PctWindow *self)
{
  g_return_val_if_fail (PCT_IS_WINDOW (self), NULL);

  return self->sync;
}
