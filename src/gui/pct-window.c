/* pct-window.c — the main window: a district's map and its figures
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A window shows one store. Opening it (which may migrate the schema),
 * reading the district's name and extent and counting its records all touch
 * the disk, and counting 600k residents takes a noticeable moment, so that
 * happens in a worker thread on a connection the window then keeps.
 */

#define G_LOG_DOMAIN "pct-window"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "pct-regions.h"
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
  GtkLabel             *district_name_label;
  GtkLabel             *district_code_label;
  GtkLabel             *count_labels[N_COUNTED];
  PctMapView           *map_view;

  /* Owned references */
  GSettings            *settings;
  GCancellable         *cancellable;
  PctStore             *store;
  char                 *store_path;
};

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

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-district", loaded);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.toggle-sidebar", loaded);
  gtk_widget_set_visible (self->sidebar_button, loaded);
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

  for (guint i = 0; i < N_COUNTED; i++)
    {
      if (g_task_return_error_if_cancelled (task))
        return;

      if (!pct_store_count (district->store, counted[i].entity, &district->counts[i], &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

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

  for (guint i = 0; i < N_COUNTED; i++)
    {
      g_autofree char *text = format_count (district->counts[i]);

      gtk_label_set_text (self->count_labels[i], text);
    }

  self->store = g_steal_pointer (&district->store);

  pct_map_view_set_store (self->map_view, self->store);
  if (district->has_extent)
    {
      pct_map_view_set_district (self->map_view, &district->extent);
      if (!restore_map_position (self, &district->extent))
        pct_map_view_show_district (self->map_view);
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
toggle_sidebar_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PctWindow *self = PCT_WINDOW (widget);

  adw_flap_set_reveal_flap (self->flap, !adw_flap_get_reveal_flap (self->flap));
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

  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_WINDOW);

  g_clear_object (&self->store);
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

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PctWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, missing_command);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, district_name_label);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, district_code_label);
  gtk_widget_class_bind_template_child (widget_class, PctWindow, map_view);
  for (guint i = 0; i < N_COUNTED; i++)
    gtk_widget_class_bind_template_child_full (widget_class, counted[i].label_id, FALSE,
                                               G_STRUCT_OFFSET (PctWindow, count_labels) +
                                               i * sizeof (GtkLabel *));

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.show-district", NULL, show_district_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-sidebar", NULL, toggle_sidebar_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "win.toggle-sidebar", NULL);
}

static void
pct_window_init (PctWindow *self)
{
  int width, height;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
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
