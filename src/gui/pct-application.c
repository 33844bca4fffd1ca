/* pct-application.c — the desktop application: options, actions, windows
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One process serves every window: `precinct --db PATH` run again hands
 * its command line to the running instance, which opens PATH (or raises
 * the window already showing it).
 */

#define G_LOG_DOMAIN "pct-application"

#include "config.h"

#include <glib/gi18n.h>

#include "pct-application.h"
#include "pct-window.h"

struct _PctApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (PctApplication, pct_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "db", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Open the district store at PATH instead of the default one"), N_("PATH") },
  { NULL }
};

static PctWindow *
find_window (PctApplication *self,
             const char     *path)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      if (PCT_IS_WINDOW (l->data) &&
          g_strcmp0 (pct_window_get_store_path (l->data), path) == 0)
        return l->data;
    }
  return NULL;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  PctApplication *self = user_data;
  g_autoptr(GList) windows = NULL;

  /* Closing rather than quitting outright lets each window save its size
   * and map position; the application ends with its last window. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PctApplication *self = user_data;
  static const char *developers[] = { "The Precinct Authors", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                        "application-name", _("Precinct"),
                        "application-icon", APP_ID,
                        "developer-name", "The Precinct Authors",
                        "developers", developers,
                        "version", PACKAGE_VERSION,
                        "comments", _("Standard addresses, registrations and grid management "
                                      "for district command centres"),
                        "copyright", "© 2026 The Precinct Authors",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
};

static void
pct_application_activate (GApplication *application)
{
  PctApplication *self = PCT_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autofree char *path = NULL;

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  path = pct_application_dup_default_store ();
  pct_application_open_store (self, path);
}

static int
pct_application_command_line (GApplication            *application,
                              GApplicationCommandLine *command_line)
{
  PctApplication *self = PCT_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree char *db = NULL;

  if (g_variant_dict_lookup (options, "db", "^ay", &db))
    {
      /* Relative to where that command was run, which for a second
       * instance is not this process's directory. */
      g_autoptr(GFile) file = g_application_command_line_create_file_for_arg (command_line, db);
      g_autofree char *path = g_file_get_path (file);

      pct_application_open_store (self, path);
    }
  else
    g_application_activate (application);

  return EXIT_SUCCESS;
}

static void
pct_application_startup (GApplication *application)
{
  PctApplication *self = PCT_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (pct_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);

  gtk_window_set_default_icon_name (APP_ID);
}

static void
pct_application_class_init (PctApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = pct_application_activate;
  app_class->command_line = pct_application_command_line;
  app_class->startup = pct_application_startup;
}

static void
pct_application_init (PctApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Shows a district’s standard addresses and "
                                              "registrations on a map."));
}

/**
 * pct_application_new:
 * @application_id: APP_ID, or another id for tests
 * @flags: extra flags, such as %G_APPLICATION_NON_UNIQUE for tests
 */
PctApplication *
pct_application_new (const char        *application_id,
                     GApplicationFlags  flags)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  /* The resource path is fixed: a .Devel id must not move the style sheet
   * and templates. */
  return g_object_new (PCT_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags | G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/org/precinct/Precinct",
                       NULL);
}

/* $XDG_DATA_HOME/precinct/district.db, the store precinct-tool and the
 * sync create for the district the user works on. */
char *
pct_application_dup_default_store (void)
{
  return g_build_filename (g_get_user_data_dir (), "precinct", "district.db", NULL);
}

void
pct_application_open_store (PctApplication *self,
                            const char     *path)
{
  g_autofree char *canonical = NULL;
  PctWindow *window;

  g_return_if_fail (PCT_IS_APPLICATION (self));
  g_return_if_fail (path != NULL);

  /* So that one file reached by two spellings gets one window. */
  canonical = g_canonicalize_filename (path, NULL);
  window = find_window (self, canonical);
  if (window == NULL)
    window = pct_window_new (self, canonical);

  gtk_window_present (GTK_WINDOW (window));
}
