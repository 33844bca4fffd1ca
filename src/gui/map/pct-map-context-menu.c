/* pct-map-context-menu.c — the map's right-click menu: report an incident
 * here, copy the coordinates
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "New Incident Here…" asks for a category (the event categories of the
 * store), a description and a severity, then writes the incident and its
 * outbox mutation on a connection of its own in a worker thread. Nothing
 * else needs telling: the incident layer watches the store and shows the
 * new incident, pulsing, within a second.
 */

#define G_LOG_DOMAIN "pct-map-context-menu"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "pct-incidents.h"
#include "pct-map-context-menu.h"

struct _PctMapContextMenu
{
  GObject          parent_instance;

  /* Borrowed references */
  PctMapView      *view;               /* weak */

  /* Owned references */
  GtkWidget       *popover;            /* parented to the view */
  GSimpleActionGroup *actions;

  double           latitude;
  double           longitude;
};

/* One "new incident" dialog and what it needs. */
typedef struct
{
  PctMapContextMenu *menu;
  AdwMessageDialog  *dialog;
  GtkDropDown       *category;
  GtkEntry          *description;
  GtkDropDown       *severity;
  GtkStringList     *category_names;
  GPtrArray         *category_codes;
  char              *store_path;
  double             latitude;
  double             longitude;
} IncidentForm;

typedef struct
{
  char   *store_path;
  char   *category_code;
  char   *description;
  int     severity;
  double  latitude;
  double  longitude;
  gint64  id;
} CreateData;

typedef struct
{
  GPtrArray *codes;
  GPtrArray *names;
} Categories;

G_DEFINE_FINAL_TYPE (PctMapContextMenu, pct_map_context_menu, G_TYPE_OBJECT)

#define MENU_DATA_KEY "pct-map-context-menu"

/* Helpers ------------------------------------------------------------------ */

static void
incident_form_free (IncidentForm *form)
{
  g_clear_object (&form->menu);
  g_clear_object (&form->category);
  g_clear_object (&form->description);
  g_clear_object (&form->severity);
  g_clear_object (&form->category_names);
  g_clear_pointer (&form->category_codes, g_ptr_array_unref);
  g_free (form->store_path);
  g_free (form);
}

static void
create_data_free (CreateData *data)
{
  g_free (data->store_path);
  g_free (data->category_code);
  g_free (data->description);
  g_free (data);
}

static void
categories_free (Categories *categories)
{
  g_ptr_array_unref (categories->codes);
  g_ptr_array_unref (categories->names);
  g_free (categories);
}

static void
update_form (IncidentForm *form)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (form->description));
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  gboolean has_category = gtk_drop_down_get_selected (form->category) != GTK_INVALID_LIST_POSITION &&
                          form->category_codes->len > 0;

  adw_message_dialog_set_response_enabled (form->dialog, "report",
                                           has_category && *stripped != '\0');
}

static GtkWindow *
view_window (PctMapView *view)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (view));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
show_error (PctMapView *view,
            const char *heading,
            const char *message)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (view_window (view),
                                                                         heading, message));

  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Worker threads ----------------------------------------------------------- */

static void
load_categories_thread_cb (GTask        *task,
                           gpointer      source_object,
                           gpointer      task_data,
                           GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  Categories *categories;
  sqlite3_stmt *stmt;
  int rc;

  store = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  stmt = pct_store_prepare (store,
                            "SELECT code, major, minor FROM categories WHERE kind = 'event' "
                            "ORDER BY code",
                            &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  categories = g_new0 (Categories, 1);
  categories->codes = g_ptr_array_new_with_free_func (g_free);
  categories->names = g_ptr_array_new_with_free_func (g_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (categories->codes, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      /* The classes of GB/T 30428.2 as the district keeps them: data,
       * already in the users' language. */
      g_ptr_array_add (categories->names,
                       g_strdup_printf ("%s · %s",
                                        (const char *) sqlite3_column_text (stmt, 1),
                                        (const char *) sqlite3_column_text (stmt, 2)));
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      pct_store_set_sql_error (store, &error, "Cannot read the categories");
      categories_free (categories);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, categories, (GDestroyNotify) categories_free);
}

static void
create_thread_cb (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  CreateData *data = task_data;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;

  store = pct_store_open (data->store_path, PCT_STORE_OPEN_DEFAULT, &error);
  if (store == NULL ||
      !pct_incident_create_full (store, data->category_code, data->severity,
                                 data->longitude, data->latitude, data->description,
                                 "operator", g_get_real_time () / G_USEC_PER_SEC,
                                 &data->id, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Signal callbacks ---------------------------------------------------------- */

static void
categories_loaded_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  IncidentForm *form = user_data;
  g_autoptr(GError) error = NULL;
  Categories *categories = g_task_propagate_pointer (G_TASK (result), &error);

  if (categories == NULL)
    {
      g_warning ("Cannot read the categories of %s: %s", form->store_path, error->message);
      return;
    }

  for (guint i = 0; i < categories->codes->len; i++)
    {
      g_ptr_array_add (form->category_codes, g_strdup (g_ptr_array_index (categories->codes, i)));
      gtk_string_list_append (form->category_names, g_ptr_array_index (categories->names, i));
    }
  categories_free (categories);

  gtk_drop_down_set_selected (form->category, 0);
  update_form (form);
}

static void
incident_created_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  PctMapContextMenu *self = PCT_MAP_CONTEXT_MENU (object);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) && self->view != NULL)
    show_error (self->view, _("The Incident Was Not Reported"), error->message);
}

static void
form_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  IncidentForm     *form)
{
  g_autoptr(GTask) task = NULL;
  CreateData *data;
  guint selected;

  if (!g_str_equal (response, "report"))
    return;

  selected = gtk_drop_down_get_selected (form->category);
  if (selected == GTK_INVALID_LIST_POSITION || selected >= form->category_codes->len)
    return;

  data = g_new0 (CreateData, 1);
  data->store_path = g_strdup (form->store_path);
  data->category_code = g_strdup (g_ptr_array_index (form->category_codes, selected));
  data->description = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (form->description))));
  /* The list runs from the lowest severity, 1. */
  data->severity = (int) gtk_drop_down_get_selected (form->severity) + 1;
  data->latitude = form->latitude;
  data->longitude = form->longitude;

  task = g_task_new (form->menu, NULL, incident_created_cb, NULL);
  g_task_set_source_tag (task, form_response_cb);
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);
  g_task_run_in_thread (task, create_thread_cb);
}

static void
description_changed_cb (GtkEditable  *editable,
                        IncidentForm *form)
{
  update_form (form);
}

static void
category_selected_cb (GtkDropDown  *drop_down,
                      GParamSpec   *pspec,
                      IncidentForm *form)
{
  update_form (form);
}

static GtkWidget *
form_label (const char *text,
            GtkWidget  *mnemonic_widget)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), mnemonic_widget);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static void
new_incident_action_cb (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  PctMapContextMenu *self = user_data;
  PctStore *store = self->view != NULL ? pct_map_view_get_store (self->view) : NULL;
  g_autofree char *where = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GTask) task = NULL;
  IncidentForm *form;
  GtkWidget *grid;
  const char * const severities[] = {
    /* Translators: severities of an incident, 1 lowest to 4 highest */
    N_("1 — Low"), N_("2 — Normal"), N_("3 — High"), N_("4 — Critical"), NULL,
  };
  g_autoptr(GtkStringList) severity_names = gtk_string_list_new (NULL);

  if (store == NULL)
    return;

  for (guint i = 0; severities[i] != NULL; i++)
    gtk_string_list_append (severity_names, _(severities[i]));

  form = g_new0 (IncidentForm, 1);
  form->menu = g_object_ref (self);
  form->latitude = self->latitude;
  form->longitude = self->longitude;
  form->store_path = g_strdup (pct_store_get_path (store));
  form->category_codes = g_ptr_array_new_with_free_func (g_free);
  form->category_names = gtk_string_list_new (NULL);

  where = pct_map_context_menu_format_coordinates (self->latitude, self->longitude);
  /* Translators: %s is a position, "29.290000, 106.250000" */
  body = g_strdup_printf (_("Report an incident at %s. It is sent to the command center with the next synchronisation."),
                          where);
  form->dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (view_window (self->view),
                                                             _("New Incident"), body));
  gtk_widget_set_name (GTK_WIDGET (form->dialog), "new-incident-dialog");
  gtk_window_set_default_size (GTK_WINDOW (form->dialog), 440, -1);

  form->category = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (form->category_names)),
                                                     gtk_property_expression_new (GTK_TYPE_STRING_OBJECT,
                                                                                  NULL, "string")));
  gtk_drop_down_set_enable_search (form->category, TRUE);
  gtk_widget_set_name (GTK_WIDGET (form->category), "category");
  gtk_widget_set_hexpand (GTK_WIDGET (form->category), TRUE);

  form->description = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_placeholder_text (form->description, _("What was seen, and where exactly"));
  gtk_entry_set_activates_default (form->description, TRUE);
  gtk_entry_set_max_length (form->description, 1000);
  gtk_widget_set_name (GTK_WIDGET (form->description), "description");

  form->severity = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (severity_names)),
                                                     NULL));
  gtk_drop_down_set_selected (form->severity, PCT_INCIDENT_CREATE_DEFAULT_SEVERITY - 1);
  gtk_widget_set_name (GTK_WIDGET (form->severity), "severity");

  /* Held by the form too: the categories may arrive after the dialog
   * has gone. */
  g_object_ref_sink (form->category);
  g_object_ref_sink (form->description);
  g_object_ref_sink (form->severity);

  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_attach (GTK_GRID (grid), form_label (_("_Category"), GTK_WIDGET (form->category)), 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (form->category), 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), form_label (_("_Description"), GTK_WIDGET (form->description)), 0, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (form->description), 1, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), form_label (_("_Severity"), GTK_WIDGET (form->severity)), 0, 2, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (form->severity), 1, 2, 1, 1);
  adw_message_dialog_set_extra_child (form->dialog, grid);

  adw_message_dialog_add_responses (form->dialog,
                                    "cancel", _("_Cancel"),
                                    "report", _("_Report"),
                                    NULL);
  adw_message_dialog_set_response_appearance (form->dialog, "report", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (form->dialog, "report");
  adw_message_dialog_set_close_response (form->dialog, "cancel");

  g_signal_connect (form->description, "changed", G_CALLBACK (description_changed_cb), form);
  g_signal_connect (form->category, "notify::selected", G_CALLBACK (category_selected_cb), form);
  g_signal_connect (form->dialog, "response", G_CALLBACK (form_response_cb), form);
  /* The form lives as long as its dialog. */
  g_object_set_data_full (G_OBJECT (form->dialog), "pct-incident-form", form,
                          (GDestroyNotify) incident_form_free);
  update_form (form);

  task = g_task_new (form->dialog, NULL, categories_loaded_cb, form);
  g_task_set_source_tag (task, new_incident_action_cb);
  g_task_set_task_data (task, g_strdup (form->store_path), g_free);
  g_task_run_in_thread (task, load_categories_thread_cb);

  gtk_window_present (GTK_WINDOW (form->dialog));
  gtk_widget_grab_focus (GTK_WIDGET (form->description));
}

static void
copy_coordinates_action_cb (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  PctMapContextMenu *self = user_data;
  g_autofree char *text = NULL;

  if (self->view == NULL)
    return;

  text = pct_map_context_menu_format_coordinates (self->latitude, self->longitude);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self->view)), text);
}

static void
context_requested_cb (PctMapView        *view,
                      double             latitude,
                      double             longitude,
                      double             x,
                      double             y,
                      PctMapContextMenu *self)
{
  GAction *new_incident = g_action_map_lookup_action (G_ACTION_MAP (self->actions),
                                                      "new-incident");

  self->latitude = latitude;
  self->longitude = longitude;
  g_simple_action_set_enabled (G_SIMPLE_ACTION (new_incident),
                               pct_map_view_get_store (view) != NULL);

  gtk_popover_set_pointing_to (GTK_POPOVER (self->popover),
                               &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

/* A widget must not be finalized with children; the popover is one. */
static void
view_destroyed_cb (PctMapView        *view,
                   PctMapContextMenu *self)
{
  if (self->popover != NULL)
    g_clear_pointer (&self->popover, gtk_widget_unparent);
}

/* Overrides ---------------------------------------------------------------- */

static void
pct_map_context_menu_dispose (GObject *object)
{
  PctMapContextMenu *self = PCT_MAP_CONTEXT_MENU (object);

  if (self->popover != NULL)
    g_clear_pointer (&self->popover, gtk_widget_unparent);
  if (self->view != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->view), (gpointer *) &self->view);
      self->view = NULL;
    }
  g_clear_object (&self->actions);

  G_OBJECT_CLASS (pct_map_context_menu_parent_class)->dispose (object);
}

static void
pct_map_context_menu_class_init (PctMapContextMenuClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pct_map_context_menu_dispose;
}

static void
pct_map_context_menu_init (PctMapContextMenu *self)
{
  const GActionEntry entries[] = {
    { .name = "new-incident", .activate = new_incident_action_cb },
    { .name = "copy-coordinates", .activate = copy_coordinates_action_cb },
  };

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries,
                                   G_N_ELEMENTS (entries), self);
}

/* Public API ---------------------------------------------------------------- */

void
pct_map_context_menu_attach (PctMapView *view)
{
  g_autoptr(GMenu) model = NULL;
  PctMapContextMenu *self;

  g_return_if_fail (PCT_IS_MAP_VIEW (view));

  if (g_object_get_data (G_OBJECT (view), MENU_DATA_KEY) != NULL)
    return;

  self = g_object_new (PCT_TYPE_MAP_CONTEXT_MENU, NULL);
  self->view = view;
  g_object_add_weak_pointer (G_OBJECT (view), (gpointer *) &self->view);

  model = g_menu_new ();
  g_menu_append (model, _("_New Incident Here…"), "context.new-incident");
  g_menu_append (model, _("_Copy Coordinates"), "context.copy-coordinates");

  self->popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (model));
  gtk_popover_set_position (GTK_POPOVER (self->popover), GTK_POS_BOTTOM);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->popover), FALSE);
  gtk_widget_set_halign (self->popover, GTK_ALIGN_START);
  gtk_widget_insert_action_group (self->popover, "context", G_ACTION_GROUP (self->actions));
  gtk_widget_set_parent (self->popover, GTK_WIDGET (view));

  g_signal_connect_object (view, "context-requested",
                           G_CALLBACK (context_requested_cb), self, 0);
  g_signal_connect_object (view, "destroy", G_CALLBACK (view_destroyed_cb), self, 0);

  g_object_set_data_full (G_OBJECT (view), MENU_DATA_KEY, self, g_object_unref);
}

char *
pct_map_context_menu_format_coordinates (double latitude,
                                         double longitude)
{
  char lat[G_ASCII_DTOSTR_BUF_SIZE];
  char lon[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (lat, sizeof lat, "%.6f", latitude);
  g_ascii_formatd (lon, sizeof lon, "%.6f", longitude);
  return g_strdup_printf ("%s, %s", lat, lon);
}
