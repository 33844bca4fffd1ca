/* pct-search-popover.c — results of the header bar's search, while typing
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The entry waits until typing pauses (its search-delay), then the popover
 * runs the query in a worker thread on a read-only connection of its own:
 * first whether the text names a place by itself (pasted coordinates, an
 * address code), then pct_store_search() over addresses, organisations and
 * people, each hit resolved to what the map can show. Answers to text
 * that has changed since are dropped.
 *
 * Keyboard focus stays in the entry, so typing goes on while the results
 * show: Up and Down move the selection through the list, Enter takes the
 * selected result (or the first), Escape closes the list.
 */

#define G_LOG_DOMAIN "pct-search-popover"

#include "config.h"

#include <glib/gi18n.h>

#include "pct-reader.h"
#include "pct-search-popover.h"

struct _PctSearchPopover
{
  GtkPopover      parent_instance;

  /* Template widgets */
  GtkScrolledWindow *scroller;
  GtkListBox     *list;

  /* Borrowed references */
  GtkSearchEntry *entry;
  GtkEventController *key_controller;
  GtkEventController *focus_controller;

  /* Owned references */
  PctReader      *reader;
  GCancellable   *cancellable;

  char           *query_text;   /* what the results are, or will be, for */

  PctBBox         hint;
  guint           generation;
  guint           has_hint : 1;
  guint           busy : 1;
  guint           activate_when_done : 1;
};

/* One result: kind 0 is a place named by the text itself. */
typedef struct
{
  guint        kind;
  PctLocation *location;
  char        *title;
  char        *subtitle;
} Result;

typedef struct
{
  PctReader *reader;
  char      *text;
  PctBBox    hint;
  gboolean   has_hint;
} Query;

G_DEFINE_FINAL_TYPE (PctSearchPopover, pct_search_popover, GTK_TYPE_POPOVER)

enum {
  PROP_0,
  PROP_ENTRY,
  PROP_BUSY,
  N_PROPS
};

enum {
  LOCATION_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Hits per kind: a screenful, since typing more narrows them faster than
 * scrolling does. */
#define RESULTS_PER_KIND 8

static void
result_free (Result *result)
{
  g_clear_pointer (&result->location, pct_location_free);
  g_free (result->title);
  g_free (result->subtitle);
  g_free (result);
}

static void
query_free (Query *query)
{
  g_clear_pointer (&query->reader, pct_reader_unref);
  g_free (query->text);
  g_free (query);
}

static const char *
kind_icon_name (guint kind)
{
  switch (kind)
    {
    case PCT_SEARCH_ADDRESS:
      return "mark-location-symbolic";
    case PCT_SEARCH_UNIT:
      return "system-users-symbolic";
    case PCT_SEARCH_PERSON:
      return "avatar-default-symbolic";
    default:
      return "find-location-symbolic";
    }
}

static const char *
kind_heading (guint kind)
{
  switch (kind)
    {
    case PCT_SEARCH_ADDRESS:
      return C_("search results", "Addresses");
    case PCT_SEARCH_UNIT:
      return C_("search results", "Organisations");
    case PCT_SEARCH_PERSON:
      return C_("search results", "People");
    default:
      return NULL;
    }
}

static void
set_busy (PctSearchPopover *self,
          gboolean          busy)
{
  if (self->busy == !!busy)
    return;

  self->busy = !!busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
remove_rows (PctSearchPopover *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
}

static Result *
row_result (GtkListBoxRow *row)
{
  return g_object_get_data (G_OBJECT (row), "result");
}

static int
compare_results (gconstpointer a,
                 gconstpointer b)
{
  const Result *x = *(const Result * const *) a;
  const Result *y = *(const Result * const *) b;

  return (x->kind > y->kind) - (x->kind < y->kind);
}

static void
query_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Query *query = task_data;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) result_free);
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(PctLocation) place = NULL;
  g_autoptr(GError) error = NULL;
  PctStore *store;

  if (g_task_return_error_if_cancelled (task))
    return;

  store = pct_reader_lock (query->reader, &error);
  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  place = pct_locate (store, query->text, query->has_hint ? &query->hint : NULL, &error);
  if (error == NULL)
    hits = pct_store_search (store, query->text, RESULTS_PER_KIND, &error);

  if (place != NULL)
    {
      Result *result = g_new0 (Result, 1);

      result->title = g_strdup (place->title);
      result->subtitle = g_strdup (place->subtitle);
      result->location = g_steal_pointer (&place);
      g_ptr_array_add (results, result);
    }

  for (guint i = 0; hits != NULL && i < hits->len && error == NULL; i++)
    {
      PctSearchHit *hit = g_ptr_array_index (hits, i);
      Result *result = g_new0 (Result, 1);

      result->kind = hit->kind;
      result->title = g_strdup (hit->title);
      result->subtitle = g_strdup (hit->subtitle);
      result->location = pct_locate_search_hit (store, hit, &error);
      g_ptr_array_add (results, result);
    }
  pct_reader_unlock (query->reader);

  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Grouped by kind; the place the text names comes first. */
  g_ptr_array_sort (results, compare_results);
  g_task_return_pointer (task, g_steal_pointer (&results), (GDestroyNotify) g_ptr_array_unref);
}

static GtkWidget *
result_row_new (Result *result)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *icon = gtk_image_new_from_icon_name (kind_icon_name (result->kind));
  GtkWidget *title = gtk_label_new (result->title);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);

  gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (icon, "dim-label");
  gtk_box_append (GTK_BOX (box), icon);

  gtk_widget_set_hexpand (labels, TRUE);
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (title), 2);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (title), 40);
  gtk_box_append (GTK_BOX (labels), title);

  if (result->subtitle != NULL && *result->subtitle != '\0')
    {
      GtkWidget *subtitle = gtk_label_new (result->subtitle);

      gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
      gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (subtitle), 40);
      gtk_widget_add_css_class (subtitle, "caption");
      gtk_widget_add_css_class (subtitle, "dim-label");
      gtk_box_append (GTK_BOX (labels), subtitle);
    }
  gtk_box_append (GTK_BOX (box), labels);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  /* A person registered nowhere on the map is listed, but leads nowhere. */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), result->location != NULL);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), result->location != NULL);
  /* Focus stays in the entry while the list is browsed. */
  gtk_widget_set_focusable (row, FALSE);
  g_object_set_data_full (G_OBJECT (row), "result", result, (GDestroyNotify) result_free);
  return row;
}

static GtkWidget *
message_row_new (const char *text)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 40);
  gtk_widget_set_margin_top (label, 18);
  gtk_widget_set_margin_bottom (label, 18);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  return row;
}

static void
update_header_cb (GtkListBoxRow *row,
                  GtkListBoxRow *before,
                  gpointer       user_data)
{
  Result *result = row_result (row);
  Result *previous = before != NULL ? row_result (before) : NULL;
  const char *heading;
  GtkWidget *label;

  heading = result != NULL ? kind_heading (result->kind) : NULL;
  if (heading == NULL || (previous != NULL && previous->kind == result->kind))
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }

  label = gtk_label_new (heading);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_margin_top (label, before != NULL ? 12 : 6);
  gtk_widget_set_margin_bottom (label, 3);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_list_box_row_set_header (row, label);
}

static void
show_results (PctSearchPopover *self,
              GPtrArray        *results)
{
  GtkListBoxRow *first = NULL;

  remove_rows (self);

  for (guint i = 0; i < results->len; i++)
    {
      Result *result = g_ptr_array_index (results, i);
      GtkWidget *row;

      /* The row owns the result from here on. */
      g_ptr_array_index (results, i) = NULL;
      row = result_row_new (result);
      gtk_list_box_append (self->list, row);
      if (first == NULL && gtk_list_box_row_get_selectable (GTK_LIST_BOX_ROW (row)))
        first = GTK_LIST_BOX_ROW (row);
    }

  if (results->len == 0)
    gtk_list_box_append (self->list, message_row_new (_("Nothing found")));

  /* Enter takes the first result; the highlight says which that is. */
  gtk_list_box_select_row (self->list, first);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);

  gtk_popover_popup (GTK_POPOVER (self));
}

static void
query_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  PctSearchPopover *self = PCT_SEARCH_POPOVER (object);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = g_task_propagate_pointer (G_TASK (result), &error);

  /* The text changed while this ran: a newer query is on its way. */
  if (GPOINTER_TO_UINT (user_data) != self->generation)
    return;

  set_busy (self, FALSE);

  if (results == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      remove_rows (self);
      gtk_list_box_append (self->list, message_row_new (error->message));
      gtk_popover_popup (GTK_POPOVER (self));
      return;
    }

  g_ptr_array_set_free_func (results, NULL);
  show_results (self, results);

  if (self->activate_when_done)
    {
      self->activate_when_done = FALSE;
      pct_search_popover_activate (self);
    }
}

static void
start_query (PctSearchPopover *self,
             const char       *text)
{
  g_autoptr(GTask) task = NULL;
  Query *query;

  self->generation++;
  g_free (self->query_text);
  self->query_text = g_strdup (text);

  if (text == NULL || *text == '\0' || self->reader == NULL)
    {
      self->activate_when_done = FALSE;
      set_busy (self, FALSE);
      remove_rows (self);
      gtk_popover_popdown (GTK_POPOVER (self));
      return;
    }

  query = g_new0 (Query, 1);
  query->reader = pct_reader_ref (self->reader);
  query->text = g_strdup (text);
  query->hint = self->hint;
  query->has_hint = self->has_hint;

  set_busy (self, TRUE);

  task = g_task_new (self, self->cancellable, query_done_cb, GUINT_TO_POINTER (self->generation));
  g_task_set_source_tag (task, start_query);
  g_task_set_task_data (task, query, (GDestroyNotify) query_free);
  g_task_run_in_thread (task, query_thread);
}

/* The next (or previous) row that can be selected, from row on; NULL at
 * the end. */
static GtkListBoxRow *
selectable_row_from (PctSearchPopover *self,
                     int               index,
                     int               step)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (self->list, index)) != NULL)
    {
      if (gtk_list_box_row_get_selectable (row))
        return row;
      index += step;
      if (index < 0)
        return NULL;
    }
  return NULL;
}

static void
move_selection (PctSearchPopover *self,
                int               step)
{
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (self->list);
  GtkListBoxRow *next;
  int index = selected != NULL ? gtk_list_box_row_get_index (selected) + step : 0;

  if (index < 0)
    return;

  next = selectable_row_from (self, index, step);
  if (next == NULL)
    return;

  gtk_list_box_select_row (self->list, next);
  /* Keeps the row in view, without taking the focus from the entry. */
  {
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
    graphene_rect_t bounds;

    if (gtk_widget_compute_bounds (GTK_WIDGET (next), GTK_WIDGET (self->list), &bounds))
      gtk_adjustment_clamp_page (adjustment, bounds.origin.y,
                                 bounds.origin.y + bounds.size.height);
  }
}

static void
activate_row (PctSearchPopover *self,
              GtkListBoxRow    *row)
{
  Result *result = row_result (row);
  const PctLocation *location;

  if (result == NULL || result->location == NULL)
    return;

  location = result->location;
  gtk_popover_popdown (GTK_POPOVER (self));
  g_signal_emit (self, signals[LOCATION_ACTIVATED], 0,
                 (guint) location->layer, location->id, location->lat, location->lon);
}

static void
row_activated_cb (PctSearchPopover *self,
                  GtkListBoxRow    *row,
                  GtkListBox       *list)
{
  activate_row (self, row);
}

static void
search_changed_cb (PctSearchPopover *self,
                   GtkSearchEntry   *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  /* Enter may have started this search already. */
  if (g_strcmp0 (text, self->query_text) != 0)
    start_query (self, text);
}

static void
entry_activated_cb (PctSearchPopover *self,
                    GtkSearchEntry   *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  /* Enter pressed before the results are in (a pasted position, say):
   * search now if need be, and take the first result when it comes. */
  if (g_strcmp0 (text, self->query_text) != 0)
    {
      start_query (self, text);
      self->activate_when_done = self->busy;
      return;
    }
  if (self->busy)
    {
      self->activate_when_done = TRUE;
      return;
    }
  pct_search_popover_activate (self);
}

static void
stop_search_cb (PctSearchPopover *self,
                GtkSearchEntry   *entry)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self)))
    gtk_popover_popdown (GTK_POPOVER (self));
  else
    gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static gboolean
key_pressed_cb (PctSearchPopover      *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  int step;

  switch (keyval)
    {
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      step = 1;
      break;

    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      step = -1;
      break;

    default:
      return GDK_EVENT_PROPAGATE;
    }

  if (gtk_list_box_get_row_at_index (self->list, 0) == NULL)
    return GDK_EVENT_PROPAGATE;

  /* Down on a closed list opens it again with the results it had. */
  if (!gtk_widget_get_visible (GTK_WIDGET (self)))
    {
      gtk_popover_popup (GTK_POPOVER (self));
      return GDK_EVENT_STOP;
    }

  move_selection (self, step);
  return GDK_EVENT_STOP;
}

static void
focus_left_cb (PctSearchPopover   *self,
               GtkEventController *controller)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self->entry));

  /* The window going to the background (to copy a code from another
   * program, say) keeps the results for when it comes back. */
  if (GTK_IS_WINDOW (root) && !gtk_window_is_active (GTK_WINDOW (root)))
    return;

  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
disconnect_entry (PctSearchPopover *self)
{
  if (self->entry == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->entry, self);
  gtk_widget_remove_controller (GTK_WIDGET (self->entry), self->key_controller);
  gtk_widget_remove_controller (GTK_WIDGET (self->entry), self->focus_controller);
  self->key_controller = NULL;
  self->focus_controller = NULL;
  gtk_widget_unparent (GTK_WIDGET (self));
  self->entry = NULL;
}

static void
pct_search_popover_dispose (GObject *object)
{
  PctSearchPopover *self = (PctSearchPopover *) object;

  g_cancellable_cancel (self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_SEARCH_POPOVER);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->reader, pct_reader_unref);
  g_clear_pointer (&self->query_text, g_free);

  G_OBJECT_CLASS (pct_search_popover_parent_class)->dispose (object);
}

static void
pct_search_popover_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  PctSearchPopover *self = PCT_SEARCH_POPOVER (object);

  switch (prop_id)
    {
    case PROP_ENTRY:
      g_value_set_object (value, self->entry);
      break;

    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_search_popover_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  PctSearchPopover *self = PCT_SEARCH_POPOVER (object);

  switch (prop_id)
    {
    case PROP_ENTRY:
      pct_search_popover_set_entry (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_search_popover_class_init (PctSearchPopoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pct_search_popover_dispose;
  object_class->get_property = pct_search_popover_get_property;
  object_class->set_property = pct_search_popover_set_property;

  /* The entry holds the popover: it is the popover's parent. */
  properties[PROP_ENTRY] =
    g_param_spec_object ("entry", NULL, NULL,
                         GTK_TYPE_SEARCH_ENTRY,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PctSearchPopover::location-activated:
   * @layer: the PctLayer of the feature found, or PCT_N_LAYERS for a bare
   *   position
   * @id: its id
   * @latitude: where it is
   * @longitude:
   *
   * A result was chosen.
   */
  signals[LOCATION_ACTIVATED] =
    g_signal_new ("location-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4,
                  G_TYPE_UINT, G_TYPE_INT64, G_TYPE_DOUBLE, G_TYPE_DOUBLE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-search-popover.ui");
  gtk_widget_class_bind_template_child (widget_class, PctSearchPopover, scroller);
  gtk_widget_class_bind_template_child (widget_class, PctSearchPopover, list);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
}

static void
pct_search_popover_init (PctSearchPopover *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  gtk_list_box_set_header_func (self->list, update_header_cb, NULL, NULL);
}

GtkWidget *
pct_search_popover_new (void)
{
  return g_object_new (PCT_TYPE_SEARCH_POPOVER, NULL);
}

GtkSearchEntry *
pct_search_popover_get_entry (PctSearchPopover *self)
{
  g_return_val_if_fail (PCT_IS_SEARCH_POPOVER (self), NULL);

  return self->entry;
}

void
pct_search_popover_set_entry (PctSearchPopover *self,
                              GtkSearchEntry   *entry)
{
  g_return_if_fail (PCT_IS_SEARCH_POPOVER (self));
  g_return_if_fail (entry == NULL || GTK_IS_SEARCH_ENTRY (entry));

  if (self->entry == entry)
    return;

  /* Unparenting may drop the last reference but one. */
  g_object_ref (self);
  disconnect_entry (self);

  if (entry != NULL)
    {
      self->entry = entry;
      gtk_widget_set_parent (GTK_WIDGET (self), GTK_WIDGET (entry));

      g_signal_connect_object (entry, "search-changed", G_CALLBACK (search_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (entry, "activate", G_CALLBACK (entry_activated_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (entry, "stop-search", G_CALLBACK (stop_search_cb), self,
                               G_CONNECT_SWAPPED);

      /* Before the text field, which would move the cursor instead. */
      self->key_controller = gtk_event_controller_key_new ();
      gtk_event_controller_set_propagation_phase (self->key_controller, GTK_PHASE_CAPTURE);
      g_signal_connect_object (self->key_controller, "key-pressed",
                               G_CALLBACK (key_pressed_cb), self, G_CONNECT_SWAPPED);
      gtk_widget_add_controller (GTK_WIDGET (entry), self->key_controller);

      self->focus_controller = gtk_event_controller_focus_new ();
      g_signal_connect_object (self->focus_controller, "leave",
                               G_CALLBACK (focus_left_cb), self, G_CONNECT_SWAPPED);
      gtk_widget_add_controller (GTK_WIDGET (entry), self->focus_controller);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENTRY]);
  g_object_unref (self);
}

void
pct_search_popover_set_store_path (PctSearchPopover *self,
                                   const char       *store_path)
{
  g_return_if_fail (PCT_IS_SEARCH_POPOVER (self));

  g_clear_pointer (&self->reader, pct_reader_unref);
  if (store_path != NULL)
    self->reader = pct_reader_new (store_path);

  /* Results from another store lead nowhere. */
  start_query (self, NULL);
}

void
pct_search_popover_set_hint (PctSearchPopover *self,
                             const PctBBox    *extent)
{
  g_return_if_fail (PCT_IS_SEARCH_POPOVER (self));

  self->has_hint = extent != NULL;
  if (extent != NULL)
    self->hint = *extent;
}

gboolean
pct_search_popover_get_busy (PctSearchPopover *self)
{
  g_return_val_if_fail (PCT_IS_SEARCH_POPOVER (self), FALSE);

  return self->busy;
}

GtkListBox *
pct_search_popover_get_list (PctSearchPopover *self)
{
  g_return_val_if_fail (PCT_IS_SEARCH_POPOVER (self), NULL);

  return self->list;
}

gboolean
pct_search_popover_get_row_result (PctSearchPopover   *self,
                                   GtkListBoxRow      *row,
                                   guint              *kind,
                                   const PctLocation **location)
{
  Result *result;

  g_return_val_if_fail (PCT_IS_SEARCH_POPOVER (self), FALSE);
  g_return_val_if_fail (GTK_IS_LIST_BOX_ROW (row), FALSE);

  result = row_result (row);
  if (result == NULL)
    return FALSE;

  if (kind != NULL)
    *kind = result->kind;
  if (location != NULL)
    *location = result->location;
  return TRUE;
}

gboolean
pct_search_popover_activate (PctSearchPopover *self)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (PCT_IS_SEARCH_POPOVER (self), FALSE);

  row = gtk_list_box_get_selected_row (self->list);
  if (row == NULL)
    row = selectable_row_from (self, 0, 1);
  if (row == NULL || row_result (row) == NULL || row_result (row)->location == NULL)
    return FALSE;

  activate_row (self, row);
  return TRUE;
}
