/* pct-details-panel.c — the sidebar's account of the selected map feature
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The panel asks core (pct_details_query) in a worker thread, on a
 * read-only connection of its own, and lays the answer out as boxed lists:
 * one group per group of rows, then the related features, each of which
 * can be shown in its turn. A click that arrives while an earlier one is
 * still being read wins: the earlier answer is dropped.
 */

#define G_LOG_DOMAIN "pct-details-panel"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "pct-details-panel.h"
#include "pct-reader.h"

struct _PctDetailsPanel
{
  GtkWidget     parent_instance;

  /* Template widgets */
  GtkWidget    *box;
  GtkLabel     *kind_label;
  GtkLabel     *title_label;
  GtkLabel     *subtitle_label;
  GtkStack     *stack;
  GtkBox       *groups_box;
  AdwStatusPage *error_page;
  GtkScrolledWindow *scroller;

  /* Owned references */
  char         *store_path;
  PctReader    *reader;
  GCancellable *cancellable;
  PctDetails   *details;

  guint         generation;
  guint         loading : 1;
};

/* Where a related row leads. */
typedef struct
{
  PctLayer layer;
  gint64   id;
  double   lat;
  double   lon;
} Target;

typedef struct
{
  PctReader *reader;
  PctLayer   layer;
  gint64     id;
  gint64     now;
} Query;

static void details_loaded_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data);

G_DEFINE_FINAL_TYPE (PctDetailsPanel, pct_details_panel, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_STORE_PATH,
  PROP_LOADING,
  N_PROPS
};

enum {
  CLOSE_REQUESTED,
  FEATURE_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Values up to this many characters sit beside their label; longer ones
 * (addresses, descriptions) get a line of their own below it. */
#define SHORT_VALUE_CHARS 14

static void
query_free (Query *query)
{
  g_clear_pointer (&query->reader, pct_reader_unref);
  g_free (query);
}

static const char *
layer_icon_name (PctLayer layer)
{
  switch (layer)
    {
    case PCT_LAYER_ADDRESSES:
      return "mark-location-symbolic";
    case PCT_LAYER_BUILDINGS:
      return "go-home-symbolic";
    case PCT_LAYER_UNITS:
      return "system-users-symbolic";
    case PCT_LAYER_FACILITIES:
      return "applications-engineering-symbolic";
    case PCT_LAYER_GRIDS:
      return "view-grid-symbolic";
    case PCT_LAYER_INCIDENTS:
      return "dialog-warning-symbolic";
    case PCT_LAYER_ROADS:
    case PCT_N_LAYERS:
    default:
      return "find-location-symbolic";
    }
}

static void
set_loading (PctDetailsPanel *self,
             gboolean         loading)
{
  if (self->loading == !!loading)
    return;

  self->loading = !!loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
remove_groups (PctDetailsPanel *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->groups_box))) != NULL)
    gtk_box_remove (self->groups_box, child);
}

static GtkWidget *
value_row_new (const PctDetailsRow *row)
{
  /* A preferences row, so that the group puts it in its boxed list. */
  GtkWidget *list_row = adw_preferences_row_new ();
  GtkWidget *box;
  GtkWidget *label = gtk_label_new (row->label);
  GtkWidget *value = gtk_label_new (row->value);
  gboolean is_short = g_utf8_strlen (row->value, -1) <= SHORT_VALUE_CHARS &&
                      g_utf8_strlen (row->label, -1) + g_utf8_strlen (row->value, -1) <= 34;

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (list_row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (list_row), row->label);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, "dim-label");

  gtk_label_set_wrap (GTK_LABEL (value), TRUE);
  /* Chinese has no spaces to break at. */
  gtk_label_set_wrap_mode (GTK_LABEL (value), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (value), TRUE);

  if (is_short)
    {
      box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_label_set_xalign (GTK_LABEL (value), 1);
      gtk_widget_add_css_class (value, "numeric");
    }
  else
    {
      box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
      gtk_label_set_xalign (GTK_LABEL (value), 0);
      gtk_widget_add_css_class (label, "caption");
    }

  gtk_widget_set_margin_top (box, 9);
  gtk_widget_set_margin_bottom (box, 9);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), value);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (list_row), box);

  /* Read as one: "Address code, 50011600…". */
  gtk_accessible_update_property (GTK_ACCESSIBLE (list_row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, row->label,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, row->value,
                                  -1);
  return list_row;
}

static void
related_activated_cb (AdwActionRow    *row,
                      PctDetailsPanel *self)
{
  const Target *target = g_object_get_data (G_OBJECT (row), "target");

  g_signal_emit (self, signals[FEATURE_ACTIVATED], 0,
                 (guint) target->layer, target->id, target->lat, target->lon);
}

static GtkWidget *
related_row_new (PctDetailsPanel         *self,
                 const PctDetailsRelated *related)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name (layer_icon_name (related->layer));
  GtkWidget *next = gtk_image_new_from_icon_name ("go-next-symbolic");
  g_autofree char *title = g_markup_escape_text (related->title ? related->title : "", -1);
  Target *target = g_new0 (Target, 1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  /* Its code, or else what it is: an address and the building at it
   * would otherwise read alike. */
  {
    const char *text = related->subtitle != NULL && *related->subtitle != '\0'
                       ? related->subtitle : pct_details_layer_label (related->layer);
    g_autofree char *subtitle = g_markup_escape_text (text, -1);

    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  }
  gtk_widget_set_tooltip_text (icon, pct_details_layer_label (related->layer));
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), next);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);

  /* A copy: the details change as soon as another feature is asked for,
   * while the rows stay until its answer arrives. */
  target->layer = related->layer;
  target->id = related->id;
  target->lat = related->lat;
  target->lon = related->lon;
  g_object_set_data_full (G_OBJECT (row), "target", target, g_free);
  g_signal_connect_object (row, "activated", G_CALLBACK (related_activated_cb), self, 0);
  return row;
}

static void
show_details (PctDetailsPanel *self)
{
  const PctDetails *details = self->details;
  GPtrArray *groups = g_ptr_array_new ();
  GtkWidget *related_group = NULL;

  remove_groups (self);

  gtk_label_set_text (self->kind_label, pct_details_layer_label (details->layer));
  gtk_label_set_text (self->title_label, details->title);
  gtk_label_set_text (self->subtitle_label, details->subtitle);

  /* One group per group name, in the order they first come up. */
  for (guint i = 0; i < details->rows->len; i++)
    {
      const PctDetailsRow *row = g_ptr_array_index (details->rows, i);
      GtkWidget *group = NULL;

      for (guint g = 0; g < groups->len && group == NULL; g++)
        {
          const char *name = g_object_get_data (g_ptr_array_index (groups, g), "group-name");

          if (g_strcmp0 (name, row->group) == 0)
            group = g_ptr_array_index (groups, g);
        }

      if (group == NULL)
        {
          group = adw_preferences_group_new ();
          if (row->group != NULL)
            {
              g_autofree char *escaped = g_markup_escape_text (row->group, -1);

              adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), escaped);
            }
          g_object_set_data_full (G_OBJECT (group), "group-name", g_strdup (row->group), g_free);
          gtk_box_append (self->groups_box, group);
          g_ptr_array_add (groups, group);
        }

      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), value_row_new (row));
    }

  for (guint i = 0; i < details->related->len; i++)
    {
      const PctDetailsRelated *related = g_ptr_array_index (details->related, i);

      if (related_group == NULL)
        {
          related_group = adw_preferences_group_new ();
          adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (related_group),
                                           C_("details group", "Related"));
          gtk_box_append (self->groups_box, related_group);
        }
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (related_group),
                                 related_row_new (self, related));
    }

  g_ptr_array_unref (groups);

  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
  gtk_stack_set_visible_child_name (self->stack, "details");
}

static void
query_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Query *query = task_data;
  g_autoptr(GError) error = NULL;
  PctDetails *details;
  PctStore *store;

  if (g_task_return_error_if_cancelled (task))
    return;

  store = pct_reader_lock (query->reader, &error);
  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  details = pct_details_query (store, query->layer, query->id, query->now, &error);
  pct_reader_unlock (query->reader);

  if (details == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, details, (GDestroyNotify) pct_details_free);
}

static void
details_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PctDetailsPanel *self = PCT_DETAILS_PANEL (object);
  g_autoptr(GError) error = NULL;
  PctDetails *details;
  guint generation = GPOINTER_TO_UINT (user_data);

  details = g_task_propagate_pointer (G_TASK (result), &error);

  if (generation != self->generation)
    {
      /* A later click is being answered. */
      g_clear_pointer (&details, pct_details_free);
      return;
    }

  set_loading (self, FALSE);

  if (details == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      g_clear_pointer (&self->details, pct_details_free);
      remove_groups (self);
      gtk_label_set_text (self->title_label, "");
      gtk_label_set_text (self->subtitle_label, "");
      {
        g_autofree char *escaped = g_markup_escape_text (error->message, -1);

        adw_status_page_set_description (self->error_page, escaped);
      }
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  g_clear_pointer (&self->details, pct_details_free);
  self->details = details;
  show_details (self);
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  g_signal_emit (widget, signals[CLOSE_REQUESTED], 0);
}

static void
pct_details_panel_dispose (GObject *object)
{
  PctDetailsPanel *self = (PctDetailsPanel *) object;

  g_cancellable_cancel (self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_DETAILS_PANEL);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->details, pct_details_free);
  g_clear_pointer (&self->reader, pct_reader_unref);

  G_OBJECT_CLASS (pct_details_panel_parent_class)->dispose (object);
}

static void
pct_details_panel_finalize (GObject *object)
{
  PctDetailsPanel *self = (PctDetailsPanel *) object;

  g_clear_pointer (&self->store_path, g_free);

  G_OBJECT_CLASS (pct_details_panel_parent_class)->finalize (object);
}

static void
pct_details_panel_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PctDetailsPanel *self = PCT_DETAILS_PANEL (object);

  switch (prop_id)
    {
    case PROP_STORE_PATH:
      g_value_set_string (value, self->store_path);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_details_panel_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PctDetailsPanel *self = PCT_DETAILS_PANEL (object);

  switch (prop_id)
    {
    case PROP_STORE_PATH:
      pct_details_panel_set_store_path (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_details_panel_class_init (PctDetailsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pct_details_panel_dispose;
  object_class->finalize = pct_details_panel_finalize;
  object_class->get_property = pct_details_panel_get_property;
  object_class->set_property = pct_details_panel_set_property;

  properties[PROP_STORE_PATH] =
    g_param_spec_string ("store-path", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PctDetailsPanel::close-requested:
   *
   * The close button was pressed: the selection should go.
   */
  signals[CLOSE_REQUESTED] =
    g_signal_new ("close-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /**
   * PctDetailsPanel::feature-activated:
   * @layer: the related feature's PctLayer
   * @id: its id
   * @latitude: where it is
   * @longitude:
   *
   * A related feature (the address of a unit, a unit in a building…) was
   * chosen, to be shown in its turn.
   */
  signals[FEATURE_ACTIVATED] =
    g_signal_new ("feature-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4,
                  G_TYPE_UINT, G_TYPE_INT64, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-details-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, PctDetailsPanel, box);
  gtk_widget_class_bind_template_child (widget_class, PctDetailsPanel, kind_label);
  gtk_widget_class_bind_template_child (widget_class, PctDetailsPanel, title_label);
  gtk_widget_class_bind_template_child (widget_class, PctDetailsPanel, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, PctDetailsPanel, stack);
  gtk_widget_class_bind_template_child (widget_class, PctDetailsPanel, groups_box);
  gtk_widget_class_bind_template_child (widget_class, PctDetailsPanel, error_page);
  gtk_widget_class_bind_template_child (widget_class, PctDetailsPanel, scroller);

  gtk_widget_class_install_action (widget_class, "details.close", NULL, close_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "details-panel");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
pct_details_panel_init (PctDetailsPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
}

GtkWidget *
pct_details_panel_new (void)
{
  return g_object_new (PCT_TYPE_DETAILS_PANEL, NULL);
}

const char *
pct_details_panel_get_store_path (PctDetailsPanel *self)
{
  g_return_val_if_fail (PCT_IS_DETAILS_PANEL (self), NULL);

  return self->store_path;
}

void
pct_details_panel_set_store_path (PctDetailsPanel *self,
                                  const char      *store_path)
{
  g_return_if_fail (PCT_IS_DETAILS_PANEL (self));

  if (g_strcmp0 (self->store_path, store_path) == 0)
    return;

  pct_details_panel_clear (self);
  g_clear_pointer (&self->reader, pct_reader_unref);
  g_free (self->store_path);
  self->store_path = g_strdup (store_path);
  if (store_path != NULL)
    self->reader = pct_reader_new (store_path);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE_PATH]);
}

void
pct_details_panel_show_feature (PctDetailsPanel *self,
                                PctLayer         layer,
                                gint64           id)
{
  g_autoptr(GTask) task = NULL;
  Query *query;

  g_return_if_fail (PCT_IS_DETAILS_PANEL (self));
  g_return_if_fail (layer < PCT_N_LAYERS);
  g_return_if_fail (self->reader != NULL);

  self->generation++;
  g_clear_pointer (&self->details, pct_details_free);

  /* What was shown stays while the next is read (usually a few
   * milliseconds), rather than flashing a spinner. */
  gtk_label_set_text (self->kind_label, pct_details_layer_label (layer));
  set_loading (self, TRUE);

  query = g_new0 (Query, 1);
  query->reader = pct_reader_ref (self->reader);
  query->layer = layer;
  query->id = id;
  query->now = g_get_real_time () / G_USEC_PER_SEC;

  task = g_task_new (self, self->cancellable, details_loaded_cb,
                     GUINT_TO_POINTER (self->generation));
  g_task_set_source_tag (task, pct_details_panel_show_feature);
  g_task_set_task_data (task, query, (GDestroyNotify) query_free);
  g_task_run_in_thread (task, query_thread);
}

void
pct_details_panel_clear (PctDetailsPanel *self)
{
  g_return_if_fail (PCT_IS_DETAILS_PANEL (self));

  self->generation++;
  set_loading (self, FALSE);
  g_clear_pointer (&self->details, pct_details_free);
  remove_groups (self);
  gtk_label_set_text (self->kind_label, "");
  gtk_label_set_text (self->title_label, "");
  gtk_label_set_text (self->subtitle_label, "");
  gtk_stack_set_visible_child_name (self->stack, "details");
}

const PctDetails *
pct_details_panel_get_details (PctDetailsPanel *self)
{
  g_return_val_if_fail (PCT_IS_DETAILS_PANEL (self), NULL);

  return self->loading ? NULL : self->details;
}

gboolean
pct_details_panel_get_loading (PctDetailsPanel *self)
{
  g_return_val_if_fail (PCT_IS_DETAILS_PANEL (self), FALSE);

  return self->loading;
}
