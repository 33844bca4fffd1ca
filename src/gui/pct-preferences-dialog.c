/* pct-preferences-dialog.c — the preferences: where the basemap comes from
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here is a GSettings key, written as soon as it is chosen; the
 * map follows the keys by itself (pct_basemap_bind()), so a choice shows
 * on the map at once. The dialog checks what it can while the user looks:
 * it opens a chosen MBTiles file and says what it holds, and asks a tile
 * server for a tile to say whether it can be reached.
 */

#define G_LOG_DOMAIN "pct-preferences-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "pct-file-chooser.h"
#include "pct-mbtiles.h"
#include "pct-preferences-dialog.h"
#include "pct-tile-fetcher.h"

struct _PctPreferencesDialog
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  GtkCheckButton       *builtin_check;
  GtkCheckButton       *mbtiles_check;
  GtkCheckButton       *xyz_check;
  AdwPreferencesGroup  *mbtiles_group;
  AdwActionRow         *mbtiles_file_row;
  AdwActionRow         *mbtiles_info_row;
  GtkImage             *mbtiles_info_icon;
  AdwPreferencesGroup  *xyz_group;
  AdwEntryRow          *url_row;
  AdwActionRow         *ca_row;
  GtkWidget            *ca_clear_button;
  AdwActionRow         *status_row;
  GtkStack             *status_stack;
  GtkImage             *status_icon;
  GtkSpinner           *status_spinner;

  /* Owned references */
  GSettings            *settings;
  PctTileFetcher       *probe_fetcher;
  GCancellable         *probe_cancellable;
  char                 *probed_config;
};

G_DEFINE_FINAL_TYPE (PctPreferencesDialog, pct_preferences_dialog, ADW_TYPE_PREFERENCES_WINDOW)

#define DIALOG_KEY "pct-preferences-dialog"

/* A tile server on the same network answers in well under this; the
 * status row should not spin for the library's default of a minute. */
#define PROBE_TIMEOUT_SECONDS 8

static void
set_status (PctPreferencesDialog *self,
            const char           *icon_name,
            const char           *css_class,
            const char           *text)
{
  static const char * const classes[] = { "success", "warning", "error" };

  gtk_spinner_stop (self->status_spinner);
  gtk_stack_set_visible_child_name (self->status_stack, "icon");
  gtk_image_set_from_icon_name (self->status_icon, icon_name);
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon), classes[i]);
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), css_class);
  adw_action_row_set_subtitle (self->status_row, text);
}

static void
probed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PctPreferencesDialog) self = user_data;
  PctTileFetcher *fetcher = PCT_TILE_FETCHER (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *host = pct_tile_fetcher_dup_host (fetcher);
  g_autofree char *text = NULL;

  pct_tile_fetcher_probe_finish (fetcher, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || fetcher != self->probe_fetcher)
    return;

  switch (pct_tile_fetcher_get_state (fetcher))
    {
    case PCT_TILE_FETCHER_STATE_ONLINE:
      /* Translators: %s is the host name of the tile server. */
      text = g_strdup_printf (_("Online: %s answers"), host);
      set_status (self, "network-wired-symbolic", "success", text);
      break;

    case PCT_TILE_FETCHER_STATE_OFFLINE:
      /* Translators: %s says why the server cannot be reached. */
      text = g_strdup_printf (_("Offline: tiles downloaded earlier are still shown.\n%s"),
                              pct_tile_fetcher_get_last_error (fetcher));
      set_status (self, "network-offline-symbolic", "warning", text);
      break;

    case PCT_TILE_FETCHER_STATE_ERROR:
    case PCT_TILE_FETCHER_STATE_UNKNOWN:
    default:
      text = g_strdup_printf (_("Error: %s"), error != NULL ? error->message :
                              pct_tile_fetcher_get_last_error (fetcher));
      set_status (self, "dialog-warning-symbolic", "error", text);
      break;
    }
}

/* Asks the configured server for a tile, unless it was just asked with the
 * same settings (force: ask anyway). */
static void
check_server (PctPreferencesDialog *self,
              gboolean              force)
{
  g_autofree char *url_template = g_settings_get_string (self->settings, "xyz-url-template");
  g_autofree char *ca_file = g_settings_get_string (self->settings, "xyz-ca-file");
  g_autofree char *config = g_strconcat (url_template, "\n", ca_file, NULL);
  g_autoptr(GError) error = NULL;

  if (!force && g_strcmp0 (config, self->probed_config) == 0)
    return;

  g_free (self->probed_config);
  self->probed_config = g_steal_pointer (&config);

  g_cancellable_cancel (self->probe_cancellable);
  g_clear_object (&self->probe_cancellable);
  g_clear_object (&self->probe_fetcher);

  self->probe_fetcher = pct_tile_fetcher_new (url_template, *ca_file != '\0' ? ca_file : NULL,
                                              NULL, &error);
  if (self->probe_fetcher == NULL)
    {
      if (*url_template == '\0')
        set_status (self, "network-server-symbolic", NULL, _("No server is set"));
      else
        set_status (self, "dialog-warning-symbolic", "error", error->message);
      return;
    }

  pct_tile_fetcher_set_timeout (self->probe_fetcher, PROBE_TIMEOUT_SECONDS);
  self->probe_cancellable = g_cancellable_new ();

  adw_action_row_set_subtitle (self->status_row, _("Checking…"));
  gtk_stack_set_visible_child_name (self->status_stack, "spinner");
  gtk_spinner_start (self->status_spinner);

  pct_tile_fetcher_probe_async (self->probe_fetcher, self->probe_cancellable,
                                probed_cb, g_object_ref (self));
}

static void
update_mbtiles (PctPreferencesDialog *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "mbtiles-path");
  g_autoptr(PctMbtiles) mbtiles = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *info = NULL;

  if (*path == '\0')
    {
      adw_action_row_set_subtitle (self->mbtiles_file_row, _("None chosen"));
      adw_action_row_set_subtitle (self->mbtiles_info_row,
                                   _("Choose a file; until then the built-in basemap is shown."));
      gtk_image_set_from_icon_name (self->mbtiles_info_icon, "dialog-information-symbolic");
      gtk_widget_remove_css_class (GTK_WIDGET (self->mbtiles_info_icon), "error");
      return;
    }

  adw_action_row_set_subtitle (self->mbtiles_file_row, path);

  /* Only the header and the metadata table are read: quick enough. */
  mbtiles = pct_mbtiles_open (path, &error);
  if (mbtiles == NULL)
    {
      adw_action_row_set_subtitle (self->mbtiles_info_row, error->message);
      gtk_image_set_from_icon_name (self->mbtiles_info_icon, "dialog-warning-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->mbtiles_info_icon), "error");
      return;
    }

  /* Translators: the name of a tile set, its image format and its zoom
   * levels, e.g. “Jiangjin 2025 · PNG · zoom 10 to 17”. */
  info = g_strdup_printf (_("%s · %s · zoom %u to %u"), pct_mbtiles_get_name (mbtiles),
                          g_str_equal (pct_mbtiles_get_format (mbtiles), "png") ? "PNG" : "JPEG",
                          pct_mbtiles_get_min_zoom (mbtiles), pct_mbtiles_get_max_zoom (mbtiles));
  if (pct_mbtiles_get_attribution (mbtiles) != NULL)
    {
      g_autofree char *with_attribution = g_strdup_printf ("%s\n%s", info,
                                                           pct_mbtiles_get_attribution (mbtiles));

      g_free (info);
      info = g_steal_pointer (&with_attribution);
    }

  adw_action_row_set_subtitle (self->mbtiles_info_row, info);
  gtk_image_set_from_icon_name (self->mbtiles_info_icon, "object-select-symbolic");
  gtk_widget_remove_css_class (GTK_WIDGET (self->mbtiles_info_icon), "error");
}

static void
update_xyz (PctPreferencesDialog *self)
{
  g_autofree char *url_template = g_settings_get_string (self->settings, "xyz-url-template");
  g_autofree char *ca_file = g_settings_get_string (self->settings, "xyz-ca-file");

  /* Not while the user is typing something else. */
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->url_row)), url_template) != 0 &&
      !(gtk_widget_get_state_flags (GTK_WIDGET (self->url_row)) & GTK_STATE_FLAG_FOCUS_WITHIN))
    gtk_editable_set_text (GTK_EDITABLE (self->url_row), url_template);

  adw_action_row_set_subtitle (self->ca_row, *ca_file != '\0' ? ca_file :
                               _("Only the system’s authorities are trusted"));
  gtk_widget_set_visible (self->ca_clear_button, *ca_file != '\0');

  check_server (self, FALSE);
}

static void
update (PctPreferencesDialog *self)
{
  g_autofree char *kind = g_settings_get_string (self->settings, "basemap");

  gtk_widget_set_visible (GTK_WIDGET (self->mbtiles_group), g_str_equal (kind, "mbtiles"));
  gtk_widget_set_visible (GTK_WIDGET (self->xyz_group), g_str_equal (kind, "xyz"));

  update_mbtiles (self);
  if (g_str_equal (kind, "xyz"))
    update_xyz (self);
  else
    {
      /* Leaving the server alone when it is not in use. */
      g_cancellable_cancel (self->probe_cancellable);
      g_clear_pointer (&self->probed_config, g_free);
    }
}

static void
settings_changed_cb (PctPreferencesDialog *self,
                     const char           *key,
                     GSettings            *settings)
{
  update (self);
}

static void
url_text_changed_cb (PctPreferencesDialog *self,
                     GParamSpec           *pspec,
                     AdwEntryRow          *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));
  g_autoptr(GError) error = NULL;

  if (*text == '\0' || pct_tile_fetcher_validate_template (text, &error))
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), NULL);
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), error->message);
    }
}

static void
url_applied_cb (PctPreferencesDialog *self,
                AdwEntryRow          *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));
  g_autoptr(GError) error = NULL;

  if (!pct_tile_fetcher_validate_template (text, &error))
    {
      set_status (self, "dialog-warning-symbolic", "error", error->message);
      gtk_widget_error_bell (GTK_WIDGET (row));
      return;
    }

  g_settings_set_string (self->settings, "xyz-url-template", text);
}

static void
mbtiles_chosen_cb (PctPreferencesDialog *self,
                   int                   response,
                   GtkFileChooserNative *chooser)
{
  g_autofree char *path = pct_file_chooser_get_path (chooser, response);

  if (path != NULL)
    {
      g_settings_delay (self->settings);
      g_settings_set_string (self->settings, "mbtiles-path", path);
      g_settings_set_string (self->settings, "basemap", "mbtiles");
      g_settings_apply (self->settings);
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
ca_file_chosen_cb (PctPreferencesDialog *self,
                   int                   response,
                   GtkFileChooserNative *chooser)
{
  g_autofree char *path = pct_file_chooser_get_path (chooser, response);

  if (path != NULL)
    g_settings_set_string (self->settings, "xyz-ca-file", path);

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
choose_mbtiles_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PctPreferencesDialog *self = PCT_PREFERENCES_DIALOG (widget);
  static const char * const patterns[] = { "*.mbtiles", "*.MBTILES", NULL };
  g_autofree char *current = g_settings_get_string (self->settings, "mbtiles-path");
  GtkFileChooserNative *chooser;

  chooser = pct_file_chooser_new_open (GTK_WINDOW (self), _("Choose an MBTiles File"),
                                       _("MBTiles Files"), patterns, current);
  g_signal_connect_object (chooser, "response", G_CALLBACK (mbtiles_chosen_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
choose_ca_file_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  PctPreferencesDialog *self = PCT_PREFERENCES_DIALOG (widget);
  static const char * const patterns[] = { "*.pem", "*.crt", "*.cer", "*.PEM", "*.CRT", NULL };
  g_autofree char *current = g_settings_get_string (self->settings, "xyz-ca-file");
  GtkFileChooserNative *chooser;

  chooser = pct_file_chooser_new_open (GTK_WINDOW (self), _("Choose a Certificate Authority"),
                                       _("PEM Certificates"), patterns, current);
  g_signal_connect_object (chooser, "response", G_CALLBACK (ca_file_chosen_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
clear_ca_file_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  PctPreferencesDialog *self = PCT_PREFERENCES_DIALOG (widget);

  g_settings_set_string (self->settings, "xyz-ca-file", "");
}

static void
check_server_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  check_server (PCT_PREFERENCES_DIALOG (widget), TRUE);
}

/* Closing destroys the dialog; the next request makes a new one. */
static void
dialog_destroyed_cb (GtkWidget *dialog,
                     GtkWindow *parent)
{
  if (g_object_get_data (G_OBJECT (parent), DIALOG_KEY) == dialog)
    g_object_set_data (G_OBJECT (parent), DIALOG_KEY, NULL);
}

static void
pct_preferences_dialog_dispose (GObject *object)
{
  PctPreferencesDialog *self = (PctPreferencesDialog *) object;

  g_cancellable_cancel (self->probe_cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_PREFERENCES_DIALOG);

  g_clear_object (&self->probe_cancellable);
  g_clear_object (&self->probe_fetcher);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->probed_config, g_free);

  G_OBJECT_CLASS (pct_preferences_dialog_parent_class)->dispose (object);
}

static void
pct_preferences_dialog_class_init (PctPreferencesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pct_preferences_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-preferences-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, builtin_check);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, mbtiles_check);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, xyz_check);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, mbtiles_group);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, mbtiles_file_row);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, mbtiles_info_row);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, mbtiles_info_icon);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, xyz_group);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, ca_row);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, ca_clear_button);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, status_row);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, status_stack);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, status_icon);
  gtk_widget_class_bind_template_child (widget_class, PctPreferencesDialog, status_spinner);
  gtk_widget_class_bind_template_callback (widget_class, url_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, url_text_changed_cb);

  gtk_widget_class_install_action (widget_class, "prefs.choose-mbtiles", NULL,
                                   choose_mbtiles_action);
  gtk_widget_class_install_action (widget_class, "prefs.choose-ca-file", NULL,
                                   choose_ca_file_action);
  gtk_widget_class_install_action (widget_class, "prefs.clear-ca-file", NULL,
                                   clear_ca_file_action);
  gtk_widget_class_install_action (widget_class, "prefs.check-server", NULL,
                                   check_server_action);
}

static void
pct_preferences_dialog_init (PctPreferencesDialog *self)
{
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();
  g_autoptr(GAction) basemap = NULL;
  g_autofree char *url_template = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* The base id, so that development builds share the settings. */
  self->settings = g_settings_new (BASE_APP_ID);

  basemap = g_settings_create_action (self->settings, "basemap");
  g_action_map_add_action (G_ACTION_MAP (group), basemap);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "settings", G_ACTION_GROUP (group));

  url_template = g_settings_get_string (self->settings, "xyz-url-template");
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url_template);

  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self,
                           G_CONNECT_SWAPPED);
  update (self);
}

PctPreferencesDialog *
pct_preferences_dialog_new (GtkWindow *parent)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  return g_object_new (PCT_TYPE_PREFERENCES_DIALOG,
                       "transient-for", parent,
                       NULL);
}

/**
 * pct_preferences_dialog_present:
 * @parent: the window the preferences were asked for from
 *
 * Shows the preferences over @parent, raising the ones already open
 * there.
 */
void
pct_preferences_dialog_present (GtkWindow *parent)
{
  PctPreferencesDialog *dialog;

  g_return_if_fail (GTK_IS_WINDOW (parent));

  dialog = g_object_get_data (G_OBJECT (parent), DIALOG_KEY);
  if (dialog == NULL)
    {
      dialog = pct_preferences_dialog_new (parent);
      g_object_set_data (G_OBJECT (parent), DIALOG_KEY, dialog);
      g_signal_connect_object (dialog, "destroy", G_CALLBACK (dialog_destroyed_cb), parent, 0);
    }

  gtk_window_present (GTK_WINDOW (dialog));
}
