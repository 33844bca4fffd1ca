/* gui-test-common.c — what the display tests share
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tests run under Xvfb, so pointer input goes through the X server with
 * the XTest extension: a click made that way reaches GTK exactly as a
 * mouse's does, through GDK's event translation, the pick of the widget
 * under the pointer and its gestures.
 */

#define G_LOG_DOMAIN "gui-test"

#include "config.h"

#include <X11/extensions/XTest.h>
#include <gdk/x11/gdkx.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>

#include "gui-test-common.h"
#include "pct-application.h"
#include "pct-generator.h"

typedef struct
{
  GuiTestWindowFunc  func;
  PctWindow         *window;
  gboolean           ran;
} AppRun;

static char *system_data_dirs;
static gint64 last_click;

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 AppRun         *run)
{
  if (run->window == NULL && PCT_IS_WINDOW (window))
    run->window = g_object_ref (PCT_WINDOW (window));
}

static gboolean
run_test_cb (gpointer user_data)
{
  AppRun *run = user_data;

  if (run->window == NULL)
    return G_SOURCE_CONTINUE;

  run->func (run->window);
  run->ran = TRUE;

  /* With its last window gone the application returns from run(). A test
   * may have closed it already. */
  if (gtk_window_get_application (GTK_WINDOW (run->window)) != NULL)
    gtk_window_destroy (GTK_WINDOW (run->window));

  return G_SOURCE_REMOVE;
}

static gboolean
event_seen_cb (GtkEventControllerLegacy *controller,
               GdkEvent                 *event,
               guint                    *n_released)
{
  if (gdk_event_get_event_type (event) == GDK_BUTTON_RELEASE)
    (*n_released)++;

  return GDK_EVENT_PROPAGATE;
}

static gboolean
click_delivered (gpointer user_data)
{
  guint *n_released = user_data;

  return *n_released > 0;
}

static gboolean
map_settled (gpointer user_data)
{
  PctMapView *view = user_data;

  return !pct_map_view_get_loading (view) && gtk_widget_get_width (GTK_WIDGET (view)) > 0;
}

static gboolean
store_loaded (gpointer user_data)
{
  return pct_window_get_store (user_data) != NULL;
}

gboolean
gui_test_init (int    *argc,
               char ***argv)
{
  const char *localedir = g_getenv ("PRECINCT_LOCALEDIR");
  const char *data_dirs = g_getenv ("XDG_DATA_DIRS");

  system_data_dirs = g_strdup (data_dirs != NULL && *data_dirs != '\0'
                               ? data_dirs : "/usr/local/share/:/usr/share/");

  /* The build tree's translations, for screenshots in other languages. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  gui_test_restore_system_data_dirs ();

  /* No accessibility bus to talk to on a bare X server. */
  g_setenv ("GTK_A11Y", "none", TRUE);

  if (!gtk_init_check ())
    {
      /* Failing, not skipping: a display test that quietly does nothing
       * hides a broken setup. */
      g_print ("Bail out! No display\n");
      g_printerr ("No display: these tests need an X server. Run them with\n"
                  "  xvfb-run -a -s -noreset meson test --suite gui\n");
      return FALSE;
    }
  adw_init ();

  return TRUE;
}

void
gui_test_restore_system_data_dirs (void)
{
  if (system_data_dirs != NULL)
    g_setenv ("XDG_DATA_DIRS", system_data_dirs, TRUE);
}

void
gui_test_iterate_for (guint milliseconds)
{
  gint64 until = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_pending (NULL) && g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

void
gui_test_wait_until (GuiTestCondition  condition,
                     gpointer          user_data,
                     const char       *what)
{
  gint64 deadline = g_get_monotonic_time () + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Waited %d s for %s", GUI_TEST_WAIT_SECONDS, what);
      gui_test_iterate_for (10);
    }
}

double
gui_test_wait_quiet (GuiTestCondition  condition,
                     gpointer          user_data,
                     const char       *what)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + GUI_TEST_WAIT_SECONDS * G_USEC_PER_SEC;
  guint quiet = 0;

  while (quiet < 5)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Waited %d s for %s", GUI_TEST_WAIT_SECONDS, what);

      gui_test_iterate_for (20);
      quiet = condition (user_data) ? quiet + 1 : 0;
    }

  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

void
gui_test_wait_for_map (PctMapView *view)
{
  gui_test_wait_quiet (map_settled, view, "the map to draw its tiles");
}

void
gui_test_wait_for_store (PctWindow *window)
{
  gui_test_wait_until (store_loaded, window, "the window to open its district");
}

char *
gui_test_generate_district (guint32 seed,
                            gint64  reference_time)
{
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  char *path;

  dir = g_dir_make_tmp ("precinct-gui-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "district.db", NULL);

  store = pct_store_open (path, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  g_assert_true (pct_generate_district (store, PCT_DISTRICT_SMALL, seed, reference_time,
                                        NULL, NULL, &error));
  g_assert_no_error (error);

  return path;
}

void
gui_test_remove_district (const char *path)
{
  g_autofree char *dir_path = g_path_get_dirname (path);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir_path, name, NULL);

      g_unlink (file);
    }
  g_rmdir (dir_path);
}

GtkWindow *
gui_test_map_window_new (int          width,
                         int          height,
                         PctMapView **view)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());

  gtk_window_set_default_size (window, width, height);
  *view = PCT_MAP_VIEW (pct_map_view_new ());
  gtk_window_set_child (window, GTK_WIDGET (*view));

  return window;
}

void
gui_test_show_district (PctMapView *view,
                        PctStore   *store)
{
  g_autoptr(GError) error = NULL;
  PctBBox extent;

  g_assert_true (pct_store_get_extent (store, &extent, &error));
  g_assert_no_error (error);

  pct_map_view_set_store (view, store);
  pct_map_view_set_district (view, &extent);
  pct_map_view_show_district (view);
}

void
gui_test_run_app (const char        *db_path,
                  GuiTestWindowFunc  func)
{
  const char *args[] = { "--db", db_path, NULL };

  gui_test_run_app_with_args (db_path != NULL ? args : NULL, func);
}

void
gui_test_run_app_with_args (const char * const *args,
                            GuiTestWindowFunc   func)
{
  g_autoptr(PctApplication) app = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  AppRun run = { func, NULL, FALSE };
  guint source_id;
  int status;

  gui_test_restore_system_data_dirs ();

  g_ptr_array_add (argv, (char *) "precinct");
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  /* Not unique: a Precinct the developer has open must not take over. */
  app = pct_application_new ("org.precinct.Precinct.Test", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), &run);
  source_id = g_timeout_add (10, run_test_cb, &run);

  status = g_application_run (G_APPLICATION (app), (int) argv->len - 1, (char **) argv->pdata);

  if (!run.ran)
    g_source_remove (source_id);
  g_assert_cmpint (status, ==, EXIT_SUCCESS);
  g_assert_true (run.ran);
  g_clear_object (&run.window);
}

GtkWidget *
gui_test_template_child (GtkWidget  *widget,
                         GType       template_type,
                         const char *name)
{
  GObject *child = gtk_widget_get_template_child (widget, template_type, name);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

GtkWidget *
gui_test_window_child (PctWindow  *window,
                       const char *name)
{
  return gui_test_template_child (GTK_WIDGET (window), PCT_TYPE_WINDOW, name);
}

void
gui_test_click (GtkWidget *widget,
                double     x,
                double     y,
                guint      button)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface = gtk_native_get_surface (native);
  GdkDisplay *display = gtk_widget_get_display (widget);
  int scale = gdk_surface_get_scale_factor (surface);
  Display *xdisplay;
  graphene_point_t point;
  double surface_x, surface_y;
  int root_x, root_y;
  Window child;
  int event_base, error_base, major, minor;
  GtkEventController *watch;
  guint n_released = 0;
  int double_click_ms;

  g_assert_true (GDK_IS_X11_DISPLAY (display));
  xdisplay = gdk_x11_display_get_xdisplay (display);
  g_assert_true (XTestQueryExtension (xdisplay, &event_base, &error_base, &major, &minor));

  /* Two clicks closer together than this are one double click. */
  g_object_get (gtk_widget_get_settings (widget), "gtk-double-click-time", &double_click_ms, NULL);
  while (g_get_monotonic_time () - last_click < (double_click_ms + 50) * G_TIME_SPAN_MILLISECOND)
    gui_test_iterate_for (10);

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native),
                                           &GRAPHENE_POINT_INIT (x, y), &point));
  gtk_native_get_surface_transform (native, &surface_x, &surface_y);

  /* X11 counts in device pixels, from the root window. */
  g_assert_true (XTranslateCoordinates (xdisplay, gdk_x11_surface_get_xid (surface),
                                        DefaultRootWindow (xdisplay),
                                        (int) round ((point.x + surface_x) * scale),
                                        (int) round ((point.y + surface_y) * scale),
                                        &root_x, &root_y, &child));

  /* Watches the release go by, first of all handlers and without taking
   * it: once it has, the widgets' own handlers have seen the click too. */
  watch = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (watch, GTK_PHASE_CAPTURE);
  g_signal_connect (watch, "event", G_CALLBACK (event_seen_cb), &n_released);
  gtk_widget_add_controller (GTK_WIDGET (native), watch);

  /* With no window manager on Xvfb, the window mapped last is on top; the
   * click must land on this one. */
  XRaiseWindow (xdisplay, gdk_x11_surface_get_xid (surface));
  XTestFakeMotionEvent (xdisplay, -1, root_x, root_y, CurrentTime);
  XTestFakeButtonEvent (xdisplay, button, True, CurrentTime);
  XTestFakeButtonEvent (xdisplay, button, False, CurrentTime);
  XFlush (xdisplay);

  gui_test_wait_until (click_delivered, &n_released,
                       "the click to reach the window (is another one over it?)");
  gtk_widget_remove_controller (GTK_WIDGET (native), watch);
  last_click = g_get_monotonic_time ();
}

GdkTexture *
gui_test_render_widget (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int scale = gtk_widget_get_scale_factor (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  gtk_snapshot_scale (snapshot, scale, scale);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  return gsk_renderer_render_texture (renderer, node,
                                      &GRAPHENE_RECT_INIT (0, 0, width * scale, height * scale));
}

guint32
gui_test_texture_pixel (GdkTexture *texture,
                        int         x,
                        int         y)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guint32 *pixels = g_malloc (stride * height);
  guint32 argb;

  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (x, <, width);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (y, <, height);

  /* GDK_MEMORY_DEFAULT: premultiplied ARGB in native-endian words, which
   * for an opaque pixel is plain ARGB. */
  gdk_texture_download (texture, (guchar *) pixels, stride);
  argb = pixels[y * width + x];
  g_assert_cmphex (argb >> 24, ==, 0xff);

  return argb & 0xffffff;
}

gboolean
gui_test_colour_near (guint32 actual,
                      guint32 expected,
                      int     tolerance)
{
  for (int shift = 0; shift <= 16; shift += 8)
    if (ABS ((int) ((actual >> shift) & 0xff) - (int) ((expected >> shift) & 0xff)) > tolerance)
      return FALSE;
  return TRUE;
}

void
gui_test_assert_colour_near (guint32     actual,
                             guint32     expected,
                             int         tolerance,
                             const char *what)
{
  if (!gui_test_colour_near (actual, expected, tolerance))
    g_error ("%s: pixel is #%06x, expected #%06x", what, actual, expected);
}

const char *
gui_test_language (void)
{
  const char *language = g_getenv ("LANGUAGE");

  return language != NULL && *language != '\0' ? language : "C";
}

void
gui_test_save_png (GdkTexture *texture,
                   const char *file)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);

  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
}
