/* pct-sync-indicator.c — the header bar's word on the link to the hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A button that says in a word or two how the link stands — up to date,
 * syncing and how far, offline since when, stopped and why — and opens a
 * popover with the rest: the hub and user, when the store was last brought
 * up to date, the changes waiting in the outbox, and every change the hub
 * answered with a conflict or a refusal, which are never dropped silently.
 */

#define G_LOG_DOMAIN "pct-sync-indicator"

#include "config.h"

#include <adwaita.h>
#include <inttypes.h>
#include <glib/gi18n.h>

#include "pct-outbox.h"
#include "pct-store.h"
#include "pct-sync-indicator.h"

/* An outbox row the hub answered with a conflict or a refusal. */
typedef struct
{
  gint64 id;
  char *entity;
  char *op;
  char *state;
  char *reason;
  char *code;      /* the hub's machine code for a refusal, or NULL */
  gint64 created_at;
} Problem;

/* At most this many problems are listed, the newest first. */
#define MAX_PROBLEMS_LISTED 50

typedef struct
{
  gint64     pending;
  gint64     n_problems;   /* all of them, listed or not */
  GPtrArray *problems;
} OutboxSummary;

struct _PctSyncIndicator
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkMenuButton  *button;
  GtkStack       *icon_stack;
  GtkImage       *icon;
  GtkSpinner     *spinner;
  GtkLabel       *label;
  GtkPopover     *popover;
  GtkLabel       *title_label;
  GtkLabel       *detail_label;
  GtkProgressBar *progress_bar;
  AdwActionRow   *server_row;
  AdwActionRow   *user_row;
  AdwActionRow   *last_row;
  AdwActionRow   *pending_row;
  GtkWidget      *problems_box;
  GtkListBox     *problems_list;
  GtkWidget      *dismiss_all_button;
  GtkLabel       *problems_more_label;
  GtkLabel       *problems_error_label;
  GtkWidget      *sign_in_button;

  PctSync        *sync;
  GCancellable   *cancellable;
  gint64          pending;
  GArray         *listed_ids;     /* the outbox ids of the problems listed */
  char           *dismiss_error;  /* why the last dismissal failed, if it did */
};

G_DEFINE_FINAL_TYPE (PctSyncIndicator, pct_sync_indicator, GTK_TYPE_WIDGET)

static void
problem_free (Problem *problem)
{
  g_free (problem->entity);
  g_free (problem->op);
  g_free (problem->state);
  g_free (problem->reason);
  g_free (problem->code);
  g_free (problem);
}

static void
outbox_summary_free (OutboxSummary *summary)
{
  g_clear_pointer (&summary->problems, g_ptr_array_unref);
  g_free (summary);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OutboxSummary, outbox_summary_free)

char *
pct_sync_format_eta (int eta_seconds)
{
  if (eta_seconds < 0)
    return NULL;
  if (eta_seconds < 60)
    return g_strdup (_("less than a minute left"));
  if (eta_seconds < 3600)
    {
      int minutes = (eta_seconds + 59) / 60;
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d minute left",
                                           "about %d minutes left", minutes), minutes);
    }
  else
    {
      int hours = (eta_seconds + 1799) / 3600;
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d hour left",
                                           "about %d hours left", hours), hours);
    }
}

/* "14:05" today, "11月21日 14:05" or "Nov 21 14:05" on another day. */
static char *
format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (unix_seconds);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (then == NULL)
    return g_strdup ("");
  if (g_date_time_get_year (then) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (then) == g_date_time_get_day_of_year (now))
    return g_date_time_format (then, "%H:%M");
  /* Translators: a date and time in the past, as strftime() formats it;
   * in Chinese "%-m月%-d日 %H:%M". */
  return g_date_time_format (then, _("%b %-d %H:%M"));
}

static const char *
entity_title (const char *entity)
{
  if (g_strcmp0 (entity, "incident") == 0)
    return _("Incident");
  if (g_strcmp0 (entity, "work_order") == 0)
    return _("Work order");
  if (g_strcmp0 (entity, "plate") == 0)
    return _("Door plate");
  if (g_strcmp0 (entity, "audit") == 0)
    return _("Audit record");
  return entity;
}

static void
read_outbox_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(OutboxSummary) summary = g_new0 (OutboxSummary, 1);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;

  summary->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) problem_free);

  /* Before the first sync the store may not exist yet: nothing waits. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_task_return_pointer (task, g_steal_pointer (&summary),
                             (GDestroyNotify) outbox_summary_free);
      return;
    }

  store = pct_store_open (path, PCT_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!pct_store_query_int64 (store,
                              "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sent')",
                              &summary->pending, &error) ||
      !pct_store_query_int64 (store,
                              "SELECT count(*) FROM outbox "
                              "WHERE state IN ('conflict', 'rejected') AND dismissed_at IS NULL",
                              &summary->n_problems, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  stmt = pct_store_prepare (store,
                            "SELECT id, entity, op, state, "
                            "  coalesce (json_extract (result, '$.reason'), last_error, ''), "
                            "  created_at, json_extract (result, '$.code') "
                            "FROM outbox WHERE state IN ('conflict', 'rejected') "
                            "  AND dismissed_at IS NULL "
                            "ORDER BY id DESC LIMIT ?",
                            &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  sqlite3_bind_int (stmt, 1, MAX_PROBLEMS_LISTED);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      Problem *problem = g_new0 (Problem, 1);

      problem->id = sqlite3_column_int64 (stmt, 0);
      problem->entity = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      problem->op = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      problem->state = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      problem->reason = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      problem->created_at = sqlite3_column_int64 (stmt, 5);
      problem->code = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
      g_ptr_array_add (summary->problems, problem);
    }
  sqlite3_reset (stmt);

  g_task_return_pointer (task, g_steal_pointer (&summary), (GDestroyNotify) outbox_summary_free);
}

/* Dismissing ---------------------------------------------------------------- */

typedef struct
{
  char   *path;
  GArray *ids;    /* outbox ids, gint64 */
} Dismissal;

static void
dismissal_free (Dismissal *dismissal)
{
  g_free (dismissal->path);
  g_array_unref (dismissal->ids);
  g_free (dismissal);
}

/* In a thread of its own: a full sync may hold the store's write lock for
 * a second, which the window should not wait out. */
static void
dismiss_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Dismissal *dismissal = task_data;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;

  /* Only the rows the user saw listed: a problem recorded since, or one
   * beyond the listed ones, stays until it has been seen. One already
   * dismissed from another window is passed over. */
  store = pct_store_open (dismissal->path, PCT_STORE_OPEN_DEFAULT, &error);
  if (store == NULL ||
      !pct_outbox_dismiss_many (store, (const gint64 *) dismissal->ids->data,
                                dismissal->ids->len, NULL, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
dismissed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(PctSyncIndicator) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The list is read again either way, which makes the buttons of the
   * rows still there sensitive again; the reason stays in sight until the
   * next attempt. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_free (self->dismiss_error);
      /* Translators: %s is the store's own word on why, such as
       * "database is locked". */
      self->dismiss_error = g_strdup_printf (_("Could not dismiss; try again in a moment (%s)."),
                                             error->message);
    }
  pct_sync_indicator_refresh (self);
}

static void
dismiss (PctSyncIndicator *self,
         const gint64     *ids,
         guint             n_ids)
{
  g_autoptr(GTask) task = NULL;
  Dismissal *dismissal;

  if (self->sync == NULL || n_ids == 0)
    return;

  g_clear_pointer (&self->dismiss_error, g_free);
  gtk_widget_set_visible (GTK_WIDGET (self->problems_error_label), FALSE);

  dismissal = g_new0 (Dismissal, 1);
  dismissal->path = g_strdup (pct_sync_get_store_path (self->sync));
  dismissal->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_vals (dismissal->ids, ids, n_ids);
  task = g_task_new (NULL, NULL, dismissed_cb, g_object_ref (self));
  g_task_set_source_tag (task, dismiss);
  g_task_set_task_data (task, dismissal, (GDestroyNotify) dismissal_free);
  g_task_run_in_thread (task, dismiss_thread);
}

static void
dismiss_clicked_cb (GtkButton        *button,
                    PctSyncIndicator *self)
{
  gint64 *id = g_object_get_data (G_OBJECT (button), "outbox-id");

  /* Once is enough while the list is read again. */
  gtk_widget_set_sensitive (gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_LIST_BOX_ROW),
                            FALSE);
  dismiss (self, id, 1);
}

static void
dismiss_all_clicked_cb (PctSyncIndicator *self)
{
  gtk_widget_set_sensitive (self->dismiss_all_button, FALSE);
  dismiss (self, (const gint64 *) self->listed_ids->data, self->listed_ids->len);
}

/* What a refusal's code (docs/api.md, "Push") means, or NULL for a code
 * this version does not know. */
static const char *
refusal_text (const char *code)
{
  static const struct
  {
    const char *code;
    const char *text;
  } texts[] = {
    { "invalid_request", N_("the change was not well formed") },
    { "forbidden", N_("your role may not make this change") },
    { "not_found", N_("the record is no longer on the hub") },
    { "invalid_reference", N_("it refers to a record the hub does not have") },
    { "invalid_transition", N_("the record’s present state does not allow it") },
    { "invalid_value", N_("a value in it was not accepted") },
  };

  for (guint i = 0; code != NULL && i < G_N_ELEMENTS (texts); i++)
    if (g_strcmp0 (code, texts[i].code) == 0)
      return _(texts[i].text);
  return NULL;
}

static GtkWidget *
problem_row_new (PctSyncIndicator *self,
                 const Problem    *problem)
{
  GtkWidget *dismiss_button;
  gint64 *id;
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *when = format_time (problem->created_at);
  g_autofree char *title = NULL;
  const char *reason = problem->reason != NULL && *problem->reason != '\0'
                       ? problem->reason : NULL;
  g_autofree char *subtitle = NULL;

  if (g_strcmp0 (problem->state, "conflict") == 0)
    {
      /* Translators: %s is the kind of record, such as "Work order". */
      title = g_strdup_printf (_("%s changed on the hub meanwhile"), entity_title (problem->entity));
      subtitle = g_strdup_printf (_("Made at %s; the hub’s version is shown now."), when);
    }
  else
    {
      const char *why = refusal_text (problem->code);

      /* Translators: %s is the kind of record, such as "Incident". */
      title = g_strdup_printf (_("%s not accepted"), entity_title (problem->entity));

      /* The code's meaning in the user's language, and the hub's own
       * words, which may be in another. */
      if (why != NULL && reason != NULL)
        /* Translators: the time the change was made, why the hub refused
         * it, then the hub's own words. */
        subtitle = g_strdup_printf (_("Made at %s: %s\nThe hub says: %s"), when, why, reason);
      else if (why != NULL || reason != NULL)
        /* Translators: first the time the change was made, then the hub's reason. */
        subtitle = g_strdup_printf (_("Made at %s: %s"), when, why != NULL ? why : reason);
      else
        subtitle = g_strdup_printf (_("Made at %s"), when);
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name (g_strcmp0 (problem->state, "conflict") == 0
                                                           ? "dialog-warning-symbolic"
                                                           : "dialog-error-symbolic"));

  dismiss_button = gtk_button_new_with_mnemonic (_("_Dismiss"));
  gtk_widget_set_valign (dismiss_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (dismiss_button, "flat");
  gtk_widget_set_tooltip_text (dismiss_button,
                               _("Take this change out of the list; the outbox keeps it"));
  id = g_new (gint64, 1);
  *id = problem->id;
  g_object_set_data_full (G_OBJECT (dismiss_button), "outbox-id", id, g_free);
  g_signal_connect (dismiss_button, "clicked", G_CALLBACK (dismiss_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), dismiss_button);
  return row;
}

static void
outbox_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PctSyncIndicator) self = user_data;
  g_autoptr(OutboxSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pending = NULL;
  GtkWidget *child;

  summary = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (summary == NULL)
    {
      g_autofree char *message = NULL;

      /* The list stays as it was, and can be acted on again. */
      g_warning ("Cannot read the outbox: %s", error->message);
      /* Translators: %s is the store's own word on why, such as
       * "database is locked". */
      message = g_strdup_printf (_("Could not read the outbox (%s)."), error->message);
      gtk_label_set_text (self->problems_error_label, message);
      gtk_widget_set_visible (GTK_WIDGET (self->problems_error_label), TRUE);
      gtk_widget_set_sensitive (self->dismiss_all_button, TRUE);
      for (child = gtk_widget_get_first_child (GTK_WIDGET (self->problems_list));
           child != NULL;
           child = gtk_widget_get_next_sibling (child))
        gtk_widget_set_sensitive (child, TRUE);
      return;
    }

  self->pending = summary->pending;
  pending = summary->pending == 0 ? g_strdup (_("None"))
                                  : g_strdup_printf ("%" PRId64, summary->pending);
  adw_action_row_set_subtitle (self->pending_row, pending);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->problems_list))) != NULL)
    gtk_list_box_remove (self->problems_list, child);
  g_array_set_size (self->listed_ids, 0);
  for (guint i = 0; i < summary->problems->len; i++)
    {
      const Problem *problem = summary->problems->pdata[i];

      gtk_list_box_append (self->problems_list, problem_row_new (self, problem));
      g_array_append_val (self->listed_ids, problem->id);
    }
  if (summary->n_problems > summary->problems->len)
    {
      g_autofree char *more = NULL;

      /* Translators: the first number is how many are listed (50), the
       * second how many there are. */
      more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "The newest %u of %" PRId64 " is listed.",
                                           "The newest %u of %" PRId64 " are listed.",
                                           summary->problems->len),
                              summary->problems->len, summary->n_problems);
      gtk_label_set_text (self->problems_more_label, more);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->problems_more_label),
                          summary->n_problems > summary->problems->len);
  gtk_label_set_text (self->problems_error_label,
                      self->dismiss_error != NULL ? self->dismiss_error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problems_error_label), self->dismiss_error != NULL);
  gtk_widget_set_visible (self->problems_box,
                          summary->problems->len > 0 || self->dismiss_error != NULL);
  gtk_widget_set_visible (self->dismiss_all_button, summary->problems->len > 1);
  gtk_widget_set_sensitive (self->dismiss_all_button, TRUE);
}

void
pct_sync_indicator_refresh (PctSyncIndicator *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PCT_IS_SYNC_INDICATOR (self));

  if (self->sync == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  task = g_task_new (NULL, self->cancellable, outbox_read_cb, g_object_ref (self));
  g_task_set_source_tag (task, pct_sync_indicator_refresh);
  g_task_set_task_data (task, g_strdup (pct_sync_get_store_path (self->sync)), g_free);
  g_task_run_in_thread (task, read_outbox_thread);
}

static void
set_look (PctSyncIndicator *self,
          const char       *icon_name,
          const char       *css_class,
          gboolean          busy,
          const char       *label,
          const char       *title,
          const char       *detail)
{
  static const char * const classes[] = { "success", "warning", "error" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->button), classes[i]);
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->button), css_class);

  if (icon_name != NULL)
    gtk_image_set_from_icon_name (self->icon, icon_name);
  gtk_stack_set_visible_child_name (self->icon_stack, busy ? "spinner" : "icon");
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_label_set_text (self->label, label);
  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->detail_label, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), detail != NULL && *detail != '\0');
}

static void
update (PctSyncIndicator *self)
{
  PctSyncState state;
  g_autofree char *label = NULL;
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *when = NULL;
  gint64 last;
  const char *error_message;

  if (self->sync == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->button), FALSE);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->button), TRUE);

  adw_action_row_set_subtitle (self->server_row, pct_sync_get_server_url (self->sync));
  adw_action_row_set_subtitle (self->user_row, pct_sync_get_user (self->sync) != NULL
                                               ? pct_sync_get_user (self->sync) : "");
  last = pct_sync_get_last_synced (self->sync);
  when = last > 0 ? format_time (last) : g_strdup (_("Not yet"));
  adw_action_row_set_subtitle (self->last_row, when);

  state = pct_sync_get_state (self->sync);
  error_message = pct_sync_get_error_message (self->sync);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), state == PCT_SYNC_STATE_SYNCING);
  gtk_widget_set_visible (self->sign_in_button, state == PCT_SYNC_STATE_ERROR);

  switch (state)
    {
    case PCT_SYNC_STATE_IDLE:
      set_look (self, NULL, NULL, TRUE, _("Connecting"), _("Connecting to the hub…"), NULL);
      break;

    case PCT_SYNC_STATE_SYNCING:
      {
        guint64 done = pct_sync_get_records_done (self->sync);
        guint64 total = pct_sync_get_records_total (self->sync);
        g_autofree char *eta = pct_sync_format_eta (pct_sync_get_eta (self->sync));

        if (total > 0)
          {
            double fraction = CLAMP ((double) done / total, 0.0, 1.0);

            label = g_strdup_printf (_("Syncing %d%%"), (int) (fraction * 100));
            gtk_progress_bar_set_fraction (self->progress_bar, fraction);
            /* Translators: records received so far, of how many. */
            detail = g_strdup_printf (_("%'" PRIu64 " of %'" PRIu64 " records"),
                                      done, total);
          }
        else
          {
            label = g_strdup (_("Syncing"));
            gtk_progress_bar_pulse (self->progress_bar);
            detail = done > 0 ? g_strdup_printf (_("%'" PRIu64 " records"), done) : NULL;
          }
        if (eta != NULL && detail != NULL)
          {
            g_autofree char *both = g_strdup_printf ("%s · %s", detail, eta);
            g_free (detail);
            detail = g_steal_pointer (&both);
          }
        set_look (self, NULL, NULL, TRUE, label, _("Bringing the store up to date"), detail);
      }
      break;

    case PCT_SYNC_STATE_ONLINE:
      title = g_strdup (pct_sync_get_live (self->sync)
                        ? _("Up to date; changes on the hub arrive as they happen")
                        : _("Up to date"));
      set_look (self, "emblem-ok-symbolic", NULL, FALSE, _("Online"), title,
                self->pending > 0 ? _("Changes made here are being sent.") : NULL);
      break;

    case PCT_SYNC_STATE_OFFLINE:
      {
        gint64 since = pct_sync_get_offline_since (self->sync);
        g_autofree char *time = format_time (since > 0 ? since : g_get_real_time () / G_USEC_PER_SEC);

        /* Translators: %s is a time, such as 14:05. */
        label = g_strdup_printf (_("Offline since %s"), time);
        set_look (self, "network-offline-symbolic", "warning", FALSE, label,
                  _("The hub cannot be reached"),
                  _("Precinct keeps working on what it has. Changes made here are kept and "
                    "sent when the hub can be reached again; it is tried again by itself."));
      }
      break;

    case PCT_SYNC_STATE_ERROR:
      set_look (self, "dialog-error-symbolic", "error", FALSE, _("Sync Stopped"),
                _("The hub answered, but syncing failed"),
                error_message != NULL ? error_message : _("No reason was given."));
      break;

    default:
      g_assert_not_reached ();
    }

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), gtk_label_get_text (self->title_label));
}

static void
sync_notify_cb (PctSyncIndicator *self,
                GParamSpec       *pspec,
                PctSync          *sync)
{
  PctSyncState before = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "state"));
  PctSyncState now = pct_sync_get_state (sync);

  update (self);
  /* The outbox changes when a sync ends, not with each record. */
  if (now != before)
    {
      g_object_set_data (G_OBJECT (self), "state", GINT_TO_POINTER (now));
      pct_sync_indicator_refresh (self);
    }
}

void
pct_sync_indicator_set_sync (PctSyncIndicator *self,
                             PctSync          *sync)
{
  g_return_if_fail (PCT_IS_SYNC_INDICATOR (self));
  g_return_if_fail (sync == NULL || PCT_IS_SYNC (sync));

  if (self->sync == sync)
    return;

  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);
  if (sync != NULL)
    {
      g_signal_connect_object (sync, "notify", G_CALLBACK (sync_notify_cb), self,
                               G_CONNECT_SWAPPED);
      pct_sync_indicator_refresh (self);
    }
  update (self);
}

PctSync *
pct_sync_indicator_get_sync (PctSyncIndicator *self)
{
  g_return_val_if_fail (PCT_IS_SYNC_INDICATOR (self), NULL);
  return self->sync;
}

const char *
pct_sync_indicator_get_label (PctSyncIndicator *self)
{
  g_return_val_if_fail (PCT_IS_SYNC_INDICATOR (self), NULL);
  return gtk_label_get_text (self->label);
}

static void
pct_sync_indicator_dispose (GObject *object)
{
  PctSyncIndicator *self = PCT_SYNC_INDICATOR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  g_clear_pointer (&self->listed_ids, g_array_unref);
  g_clear_pointer (&self->dismiss_error, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), PCT_TYPE_SYNC_INDICATOR);

  G_OBJECT_CLASS (pct_sync_indicator_parent_class)->dispose (object);
}

static void
pct_sync_indicator_class_init (PctSyncIndicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pct_sync_indicator_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/precinct/Precinct/ui/pct-sync-indicator.ui");
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, button);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, icon_stack);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, icon);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, spinner);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, label);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, popover);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, title_label);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, detail_label);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, server_row);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, user_row);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, last_row);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, pending_row);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, problems_box);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, problems_list);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, dismiss_all_button);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, problems_more_label);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, problems_error_label);
  gtk_widget_class_bind_template_child (widget_class, PctSyncIndicator, sign_in_button);
  gtk_widget_class_bind_template_callback (widget_class, dismiss_all_clicked_cb);
}

static void
pct_sync_indicator_init (PctSyncIndicator *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->listed_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  update (self);
}

GtkWidget *
pct_sync_indicator_new (void)
{
  return g_object_new (PCT_TYPE_SYNC_INDICATOR, NULL);
}
