/* pct-layers-popover.c — the map's layer switches
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One check button per layer, each with a swatch in the layer's colour so
 * that the popover doubles as the map's legend. The buttons edit the
 * visible-layers setting and follow it: the map view listens to the same
 * key, so a layer appears or goes the moment it is toggled, and the choice
 * is there again at the next start.
 */

#define G_LOG_DOMAIN "pct-layers-popover"

#include "config.h"

#include <glib/gi18n.h>

#include "pct-layers-popover.h"
#include "pct-tile-renderer.h"

typedef enum
{
  SWATCH_DOT,
  SWATCH_SQUARE,
  SWATCH_OUTLINE,
  SWATCH_DIAMOND,
} SwatchShape;

struct _PctLayersPopover
{
  GtkPopover      parent_instance;

  /* Template widgets */
  GtkBox         *rows;

  /* Owned references */
  GSettings      *settings;

  /* Borrowed references: the buttons belong to rows */
  GtkCheckButton *switches[PCT_N_LAYERS];
  gboolean        updating;
};

G_DEFINE_FINAL_TYPE (PctLayersPopover, pct_layers_popover, GTK_TYPE_POPOVER)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The incident colour is the live layer's "new" red. */
#define INCIDENT_COLOR 0xe01b24

static const struct
{
  PctLayer     layer;
  const char  *label;
  guint32      color;
  SwatchShape  shape;
} entries[] = {
  { PCT_LAYER_INCIDENTS, N_("Incidents"), INCIDENT_COLOR, SWATCH_DOT },
  { PCT_LAYER_FACILITIES, N_("Facilities"), PCT_TILE_COLOR_FACILITY, SWATCH_DIAMOND },
  { PCT_LAYER_UNITS, N_("Units"), PCT_TILE_COLOR_UNIT, SWATCH_SQUARE },
  { PCT_LAYER_ADDRESSES, N_("Standard Addresses"), PCT_TILE_COLOR_ADDRESS, SWATCH_DOT },
  { PCT_LAYER_BUILDINGS, N_("Buildings"), PCT_TILE_COLOR_RESIDENTIAL, SWATCH_SQUARE },
  { PCT_LAYER_GRIDS, N_("Grid Cells"), PCT_TILE_COLOR_GRID, SWATCH_OUTLINE },
};

static void
draw_swatch_cb (GtkDrawingArea *area,
                cairo_t        *cr,
                int             width,
                int             height,
                gpointer        user_data)
{
  guint index = GPOINTER_TO_UINT (user_data);
  guint32 rgb = entries[index].color;
  double s = MIN (width, height);
  double cx = width / 2.0, cy = height / 2.0;

  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0);

  switch (entries[index].shape)
    {
    case SWATCH_DOT:
      cairo_arc (cr, cx, cy, s * 0.32, 0, 2 * G_PI);
      cairo_fill (cr);
      break;

    case SWATCH_SQUARE:
      cairo_rectangle (cr, cx - s * 0.32, cy - s * 0.32, s * 0.64, s * 0.64);
      cairo_fill (cr);
      break;

    case SWATCH_OUTLINE:
      cairo_set_line_width (cr, 1.5);
      cairo_set_dash (cr, (double[]) { 3.0, 2.0 }, 2, 0);
      cairo_rectangle (cr, cx - s * 0.32, cy - s * 0.32, s * 0.64, s * 0.64);
      cairo_stroke (cr);
      break;

    case SWATCH_DIAMOND:
      cairo_move_to (cr, cx, cy - s * 0.38);
      cairo_line_to (cr, cx + s * 0.38, cy);
      cairo_line_to (cr, cx, cy + s * 0.38);
      cairo_line_to (cr, cx - s * 0.38, cy);
      cairo_close_path (cr);
      cairo_fill (cr);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
update_switches (PctLayersPopover *self)
{
  g_auto(GStrv) names = g_settings_get_strv (self->settings, "visible-layers");

  self->updating = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    gtk_check_button_set_active (self->switches[entries[i].layer],
                                 g_strv_contains ((const char * const *) names,
                                                  pct_layer_to_string (entries[i].layer)));
  self->updating = FALSE;
}

static void
visible_layers_changed_cb (PctLayersPopover *self,
                           const char       *key,
                           GSettings        *settings)
{
  update_switches (self);
}

/* Rewrites the whole list from the buttons, keeping names this build does
 * not know (a newer version may have written them). */
static void
switch_toggled_cb (PctLayersPopover *self,
                   GtkCheckButton   *button)
{
  g_auto(GStrv) old_names = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) names = NULL;

  if (self->updating)
    return;

  old_names = g_settings_get_strv (self->settings, "visible-layers");
  builder = g_strv_builder_new ();

  for (guint i = 0; old_names[i] != NULL; i++)
    {
      PctLayer layer;

      if (!pct_layer_from_string (old_names[i], &layer) || self->switches[layer] == NULL)
        g_strv_builder_add (builder, old_names[i]);
    }

  for (PctLayer l = 0; l < PCT_N_LAYERS; l++)
    if (self->switches[l] != NULL && gtk_check_button_get_active (self->switches[l]))
      g_strv_builder_add (builder, pct_layer_to_string (l));

  names = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "visible-layers", (const char * const *) names);
}

static void
pct_layers_popover_constructed (GObject *object)
{
  PctLayersPopover *self = (PctLayersPopover *) object;

  G_OBJECT_CLASS (pct_layers_popover_parent_class)->constructed (object);

  g_signal_connect_object (self->settings, "changed::visible-layers",
                           G_CALLBACK (visible_layers_changed_cb), self,
                           G_CONNECT_SWAPPED);
  update_switches (self);
}

static void
pct_layers_popover_dispose (GObject *object)
{
  PctLayersPopover *self = (PctLayersPopover *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_LAYERS_POPOVER);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (pct_layers_popover_parent_class)->dispose (object);
}

static void
pct_layers_popover_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PctLayersPopover *self = PCT_LAYERS_POPOVER (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_layers_popover_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  PctLayersPopover *self = PCT_LAYERS_POPOVER (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_layers_popover_class_init (PctLayersPopoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pct_layers_popover_constructed;
  object_class->dispose = pct_layers_popover_dispose;
  object_class->get_property = pct_layers_popover_get_property;
  object_class->set_property = pct_layers_popover_set_property;

  /* A settings object of the org.precinct.Precinct schema. */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-layers-popover.ui");
  gtk_widget_class_bind_template_child (widget_class, PctLayersPopover, rows);
}

static void
pct_layers_popover_init (PctLayersPopover *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      GtkWidget *button = gtk_check_button_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *swatch = gtk_drawing_area_new ();
      GtkWidget *label = gtk_label_new (_(entries[i].label));

      gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (swatch), 16);
      gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (swatch), 16);
      gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch_cb,
                                      GUINT_TO_POINTER (i), NULL);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_box_append (GTK_BOX (box), swatch);
      gtk_box_append (GTK_BOX (box), label);
      gtk_check_button_set_child (GTK_CHECK_BUTTON (button), box);
      gtk_widget_set_name (button, pct_layer_to_string (entries[i].layer));

      g_signal_connect_object (button, "toggled", G_CALLBACK (switch_toggled_cb), self,
                               G_CONNECT_SWAPPED);
      gtk_box_append (self->rows, button);
      self->switches[entries[i].layer] = GTK_CHECK_BUTTON (button);
    }
}

/**
 * pct_layers_popover_new:
 * @settings: settings of the org.precinct.Precinct schema
 */
GtkWidget *
pct_layers_popover_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (PCT_TYPE_LAYERS_POPOVER,
                       "settings", settings,
                       NULL);
}

/* Returns: (transfer none) (nullable): the button of a layer, %NULL for a
 * layer that cannot be switched (roads belong to the basemap) */
GtkCheckButton *
pct_layers_popover_get_switch (PctLayersPopover *self,
                               PctLayer          layer)
{
  g_return_val_if_fail (PCT_IS_LAYERS_POPOVER (self), NULL);
  g_return_val_if_fail (layer < PCT_N_LAYERS, NULL);

  return self->switches[layer];
}
