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

#include <errno.h>
#include <glib/gi18n.h>

#include "pct-application.h"
#include "pct-credentials.h"
#include "pct-sign-in-dialog.h"
#include "pct-store.h"
#include "pct-sync.h"
#include "pct-window.h"

struct _PctApplication
{
  AdwApplication   parent_instance;

  /* The hub the application works with, if any, and its client. */
  PctSync         *sync;
  PctSignInDialog *sign_in_dialog;
  PctSync         *candidate;   /* the client a sign-in attempt tries */
  char            *candidate_password;
  gboolean         remember;
};

G_DEFINE_FINAL_TYPE (PctApplication, pct_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "db", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Open the district store at PATH instead of the default one"), N_("PATH") },
  { "server", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Work with the district hub at URL, keeping a local store in step with it"), N_("URL") },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Trust the certificate authority in FILE for the hub, besides the system’s"), N_("FILE") },
  { "user", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Sign in to the hub as NAME"), N_("NAME") },
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

  {
    g_autoptr(GSettings) settings = g_settings_new (BASE_APP_ID);
    g_autofree char *server = g_settings_get_string (settings, "server-url");
    g_autofree char *ca_file = g_settings_get_string (settings, "server-ca-file");
    g_autofree char *user = g_settings_get_string (settings, "server-user");

    if (*server != '\0')
      {
        pct_application_open_server (self, server, *ca_file != '\0' ? ca_file : NULL,
                                     *user != '\0' ? user : NULL);
        return;
      }
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
  g_autofree char *server = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *user = NULL;

  if (g_variant_dict_lookup (options, "server", "s", &server))
    {
      g_autofree char *ca_path = NULL;

      if (g_variant_dict_lookup (options, "ca-file", "^ay", &ca_file))
        {
          g_autoptr(GFile) file = g_application_command_line_create_file_for_arg (command_line,
                                                                                 ca_file);
          ca_path = g_file_get_path (file);
        }
      g_variant_dict_lookup (options, "user", "s", &user);
      pct_application_open_server (self, server, ca_path, user);
    }
  else if (g_variant_dict_lookup (options, "db", "^ay", &db))
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
pct_application_shutdown (GApplication *application)
{
  PctApplication *self = PCT_APPLICATION (application);

  if (self->sync != NULL)
    pct_sync_stop (self->sync);

  G_APPLICATION_CLASS (pct_application_parent_class)->shutdown (application);
}

static void
pct_application_finalize (GObject *object)
{
  PctApplication *self = PCT_APPLICATION (object);

  g_clear_object (&self->sync);
  g_clear_object (&self->candidate);
  g_free (self->candidate_password);

  G_OBJECT_CLASS (pct_application_parent_class)->finalize (object);
}

static void
pct_application_class_init (PctApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pct_application_finalize;
  app_class->shutdown = pct_application_shutdown;

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

/* $XDG_DATA_HOME/precinct/hubs/HOST_PORT.db: one store per hub, so that
 * records of two districts never mix. NULL for an address that is not an
 * https URL with a host. */
char *
pct_application_dup_server_store (const char *server_url)
{
  g_autoptr(GUri) uri = g_uri_parse (server_url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *name = NULL;
  int port;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;

  port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 443;
  name = g_strdup_printf ("%s_%d.db", g_uri_get_host (uri), port);
  /* A host is letters, digits, dots, hyphens and the colons of IPv6. */
  g_strcanon (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", '_');
  return g_build_filename (g_get_user_data_dir (), "precinct", "hubs", name, NULL);
}

/* Where a sync that was given no password asks for one, in its worker
 * thread: the environment first, for scripted starts such as the demo;
 * then the keyring. */
static char *
password_func (const char *user,
               gpointer    user_data)
{
  const char *server = user_data;
  const char *env = g_getenv ("PRECINCT_PASSWORD");
  g_autoptr(GError) error = NULL;
  char *password;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  password = pct_credentials_lookup_sync (server, user, &error);
  if (error != NULL)
    g_info ("No password from the keyring: %s", error->message);
  return password;
}

/* password: one just typed, or NULL to look for one when needed. */
static PctSync *
new_sync (const char *store_path,
          const char *server_url,
          const char *ca_file,
          const char *user,
          const char *password)
{
  PctSync *sync = pct_sync_new (store_path, server_url);

  pct_sync_set_ca_file (sync, ca_file);
  pct_sync_set_user (sync, user);
  if (password != NULL)
    pct_sync_set_password (sync, password);
  else
    pct_sync_set_password_func (sync, password_func, g_strdup (server_url), g_free);
  return sync;
}

static gboolean
ensure_store (const char  *path,
              GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(PctStore) store = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  store = pct_store_open (path, PCT_STORE_OPEN_CREATE, error);
  return store != NULL;
}

static void
show_error (PctApplication *self,
            const char     *heading,
            const char     *message)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
use_sync (PctApplication *self,
          PctSync        *sync)
{
  const char *path = pct_sync_get_store_path (sync);
  PctWindow *window;

  if (self->sync != NULL)
    {
      pct_sync_stop (self->sync);
      /* The window of the previous hub stays open, on its own store. */
      for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
        if (PCT_IS_WINDOW (l->data) && pct_window_get_sync (l->data) == self->sync)
          pct_window_set_sync (l->data, NULL);
    }
  g_set_object (&self->sync, sync);

  window = find_window (self, path);
  if (window == NULL)
    window = pct_window_new (self, path);
  pct_window_set_sync (window, sync);
  gtk_window_present (GTK_WINDOW (window));
  pct_sync_start (sync);
}

void
pct_application_open_server (PctApplication *self,
                             const char     *server_url,
                             const char     *ca_file,
                             const char     *user)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(PctSync) sync = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (PCT_IS_APPLICATION (self));
  g_return_if_fail (server_url != NULL);

  path = pct_application_dup_server_store (server_url);
  if (path == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not the address of a hub: it "
                                                    "must start with https:// and name a host."),
                                                  server_url);
      show_error (self, _("Cannot Connect"), message);
      return;
    }
  if (!ensure_store (path, &error))
    {
      show_error (self, _("Cannot Open the Local Store"), error->message);
      return;
    }

  settings = g_settings_new (BASE_APP_ID);
  g_settings_delay (settings);
  g_settings_set_string (settings, "server-url", server_url);
  g_settings_set_string (settings, "server-ca-file", ca_file != NULL ? ca_file : "");
  g_settings_set_string (settings, "server-user", user != NULL ? user : "");
  g_settings_apply (settings);

  sync = new_sync (path, server_url, ca_file, user, NULL);
  use_sync (self, sync);

  /* Without a user there is nobody to sign in as: ask. */
  if (user == NULL || *user == '\0')
    pct_application_sign_in (self, gtk_application_get_active_window (GTK_APPLICATION (self)));
}

static void
credentials_stored_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Not fatal: the password stays in memory for this run. */
  if (!pct_credentials_store_finish (result, &error))
    g_warning ("Cannot keep the password in the keyring: %s", error->message);
}

static void
sign_in_checked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(PctApplication) self = user_data;
  PctSync *candidate = PCT_SYNC (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;

  if (!pct_sync_sign_in_finish (candidate, result, &error))
    {
      if (self->sign_in_dialog != NULL && candidate == self->candidate)
        {
          pct_sign_in_dialog_set_busy (self->sign_in_dialog, FALSE);
          pct_sign_in_dialog_set_error (self->sign_in_dialog, error->message);
        }
      return;
    }
  if (candidate != self->candidate)
    return;

  if (self->remember)
    pct_credentials_store (pct_sync_get_server_url (candidate), pct_sync_get_user (candidate),
                           self->candidate_password, NULL, credentials_stored_cb, NULL);
  g_clear_pointer (&self->candidate_password, g_free);

  settings = g_settings_new (BASE_APP_ID);
  g_settings_delay (settings);
  g_settings_set_string (settings, "server-url", pct_sync_get_server_url (candidate));
  g_settings_set_string (settings, "server-ca-file",
                         pct_sync_get_ca_file (candidate) ? pct_sync_get_ca_file (candidate) : "");
  g_settings_set_string (settings, "server-user", pct_sync_get_user (candidate));
  g_settings_apply (settings);

  use_sync (self, candidate);
  g_clear_object (&self->candidate);
  if (self->sign_in_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->sign_in_dialog));
}

static void
sign_in_requested_cb (PctApplication  *self,
                      PctSignInDialog *dialog)
{
  const char *server = pct_sign_in_dialog_get_server (dialog);
  g_autofree char *path = pct_application_dup_server_store (server);
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    {
      pct_sign_in_dialog_set_error (dialog, _("The server address must start with https:// "
                                              "and name a host."));
      return;
    }
  if (!ensure_store (path, &error))
    {
      pct_sign_in_dialog_set_error (dialog, error->message);
      return;
    }

  self->remember = pct_sign_in_dialog_get_remember (dialog);
  g_free (self->candidate_password);
  self->candidate_password = g_strdup (pct_sign_in_dialog_get_password (dialog));

  g_clear_object (&self->candidate);
  self->candidate = new_sync (path, server, pct_sign_in_dialog_get_ca_file (dialog),
                              pct_sign_in_dialog_get_user (dialog), self->candidate_password);
  pct_sign_in_dialog_set_busy (dialog, TRUE);
  pct_sync_sign_in_async (self->candidate, NULL, sign_in_checked_cb, g_object_ref (self));
}

static void
sign_in_dialog_destroyed_cb (PctApplication *self)
{
  self->sign_in_dialog = NULL;
  g_clear_object (&self->candidate);
  g_clear_pointer (&self->candidate_password, g_free);
}

void
pct_application_sign_in (PctApplication *self,
                         GtkWindow      *parent)
{
  const char *server = NULL, *ca_file = NULL, *user = NULL;

  g_return_if_fail (PCT_IS_APPLICATION (self));

  if (self->sign_in_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->sign_in_dialog));
      return;
    }

  if (self->sync != NULL)
    {
      server = pct_sync_get_server_url (self->sync);
      ca_file = pct_sync_get_ca_file (self->sync);
      user = pct_sync_get_user (self->sync);
    }

  self->sign_in_dialog = pct_sign_in_dialog_new (parent, server, ca_file, user);
  gtk_window_set_application (GTK_WINDOW (self->sign_in_dialog), GTK_APPLICATION (self));
  g_signal_connect_object (self->sign_in_dialog, "sign-in", G_CALLBACK (sign_in_requested_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sign_in_dialog, "destroy",
                           G_CALLBACK (sign_in_dialog_destroyed_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (self->sign_in_dialog));
}
