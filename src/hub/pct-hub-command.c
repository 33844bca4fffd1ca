/* pct-hub-command.c — precinct-hub's commands: seed, user, channel, token,
 * serve, dump-hash
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The command names, flags, output and exit statuses are a contract that
 * scripts, tests and external checks rely on (docs/hub.md); change them
 * only compatibly.
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pct-command.h"
#include "pct-hub-auth.h"
#include "pct-hub-command.h"
#include "pct-hub-server.h"
#include "pct-hub-simulator.h"
#include "pct-hub-sqlite.h"
#include "pct-record.h"

/* Seconds a stopping server waits for requests in progress. */
#define DRAIN_SECONDS 10
/* How long expired tokens are kept so that they still read as expired. */
#define TOKEN_MEMORY (7 * 24 * 3600)
/* Seconds between sweeps of tokens past TOKEN_MEMORY. */
#define PURGE_INTERVAL 3600

static int
fail (const GError *error)
{
  g_printerr ("precinct-hub: %s\n", error->message);
  return PCT_HUB_EXIT_FAILURE;
}

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static PctHubSqlite *
open_hub (const char             *path,
          PctHubSqliteOpenFlags   flags,
          GError                **error)
{
  if (!pct_hub_auth_init (error))
    return NULL;
  return pct_hub_sqlite_open (path, flags, error);
}

static void
remove_store (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

/* ── seed ────────────────────────────────────────────────────────────── */

static int
command_seed (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *db_path = NULL;
  g_autofree char *district = NULL;
  g_autoptr(PctHubSqlite) hub = NULL;
  g_autoptr(GError) error = NULL;
  const PctRecordEntity *entities;
  guint n_entities;
  gboolean existed;
  gint64 started;
  int status = PCT_HUB_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Hub store to fill (created if missing)"),
      "PATH" },
    { "district", 0, 0, G_OPTION_ARG_FILENAME, &district,
      N_("District store to load, as precinct-tool gen makes it"), "PATH" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Load a district into a new hub store: every content table, "
                                  "in dependency order, and the changes feed over it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return pct_command_usage_error (context, _("seed takes no positional arguments"));
  if (db_path == NULL || district == NULL)
    return pct_command_usage_error (context, _("--db and --district are required"));

  existed = g_file_test (db_path, G_FILE_TEST_EXISTS);
  started = g_get_monotonic_time ();
  hub = open_hub (db_path, PCT_HUB_SQLITE_OPEN_CREATE | PCT_HUB_SQLITE_OPEN_BULK, &error);
  if (hub == NULL ||
      !pct_hub_storage_seed (PCT_HUB_STORAGE (hub), district, NULL, NULL, &error))
    {
      g_clear_object (&hub);
      /* A store this command made is not left behind half made. */
      if (!existed)
        remove_store (db_path);
      return fail (error);
    }

  g_print (_("Seeded %s from %s in %.1f s\n"), db_path, district,
           (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
  entities = pct_record_entities (&n_entities);
  for (guint i = 0; i < n_entities; i++)
    {
      gint64 count = 0;

      if (g_str_equal (entities[i].name, "audit"))
        continue;
      if (!pct_hub_storage_count_records (PCT_HUB_STORAGE (hub), entities[i].name, &count,
                                          &error))
        return fail (error);
      g_print ("%-18s %10" G_GINT64_FORMAT "\n", entities[i].name, count);
    }
  return PCT_HUB_EXIT_OK;
}

/* ── user ────────────────────────────────────────────────────────────── */

static int
command_user_add (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));
  g_autofree char *db_path = NULL;
  g_autofree char *role_name = NULL;
  char *password;
  g_autofree char *hash = NULL;
  g_autoptr(PctHubSqlite) hub = NULL;
  g_autoptr(GError) error = NULL;
  PctRole role;
  int status = PCT_HUB_EXIT_OK;
  const GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_STRING, &role_name,
      N_("dispatcher, clerk, supervisor or admin"), "ROLE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Hub store (created if missing)"),
      "PATH" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Add a user. The password is read from standard input, one "
                                  "line; only its Argon2id hash is kept."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return pct_command_usage_error (context, _("Name exactly one user"));
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));
  if (role_name == NULL || !pct_role_from_string (role_name, &role))
    return pct_command_usage_error (context, _("--role must be dispatcher, clerk, supervisor or admin"));
  if (*argv[1] == '\0' || strlen (argv[1]) > 256 || !g_utf8_validate (argv[1], -1, NULL))
    return pct_command_usage_error (context, _("A user name is 1 to 256 bytes of text"));

  hub = open_hub (db_path, PCT_HUB_SQLITE_OPEN_CREATE, &error);
  if (hub == NULL)
    return fail (error);
  password = pct_command_read_password (argv[1], &error);
  if (password == NULL)
    return fail (error);
  hash = pct_hub_auth_hash_password (password, &error);
  pct_command_free_password (password);
  if (hash == NULL ||
      !pct_hub_storage_add_user (PCT_HUB_STORAGE (hub), argv[1], role, hash, now (), &error))
    return fail (error);
  g_printerr (_("Added %s (%s)\n"), argv[1], pct_role_to_string (role));
  return PCT_HUB_EXIT_OK;
}

static const PctCommand user_commands[] = {
  { "add", command_user_add, N_("Add a user, the password read from standard input") },
};

static int
command_user (int    argc,
              char **argv)
{
  return pct_command_dispatch ("precinct-hub user", user_commands,
                               G_N_ELEMENTS (user_commands), argc, argv);
}

/* ── channel ─────────────────────────────────────────────────────────── */

static int
command_channel_add (int    argc,
                     char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));
  g_autofree char *db_path = NULL;
  g_autofree char *key = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(PctHubSqlite) hub = NULL;
  g_autoptr(GError) error = NULL;
  int status = PCT_HUB_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Hub store (created if missing)"),
      "PATH" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Add an intake channel (a sensor network, the 12345 hotline, "
                                  "an app) and print its new API key, the only line of output. "
                                  "Only a hash of the key is kept."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return pct_command_usage_error (context, _("Name exactly one channel"));
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));
  if (*argv[1] == '\0' || strlen (argv[1]) > 256 || !g_utf8_validate (argv[1], -1, NULL))
    return pct_command_usage_error (context, _("A channel name is 1 to 256 bytes of text"));

  hub = open_hub (db_path, PCT_HUB_SQLITE_OPEN_CREATE, &error);
  if (hub == NULL)
    return fail (error);
  key = pct_hub_auth_new_token ();
  hash = pct_hub_auth_digest (key);
  if (!pct_hub_storage_add_channel (PCT_HUB_STORAGE (hub), argv[1], hash, now (), &error))
    return fail (error);
  g_print ("%s\n", key);
  return PCT_HUB_EXIT_OK;
}

static int
command_channel_revoke (int    argc,
                        char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));
  g_autofree char *db_path = NULL;
  g_autoptr(PctHubSqlite) hub = NULL;
  g_autoptr(GError) error = NULL;
  int status = PCT_HUB_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Hub store"), "PATH" },
    { NULL }
  };

  g_option_context_set_summary (context, _("Revoke an intake channel’s API key."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return pct_command_usage_error (context, _("Name exactly one channel"));
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));

  hub = open_hub (db_path, PCT_HUB_SQLITE_OPEN_DEFAULT, &error);
  if (hub == NULL || !pct_hub_storage_revoke_channel (PCT_HUB_STORAGE (hub), argv[1], &error))
    return fail (error);
  return PCT_HUB_EXIT_OK;
}

static const PctCommand channel_commands[] = {
  { "add", command_channel_add, N_("Add a channel and print its API key") },
  { "revoke", command_channel_revoke, N_("Revoke a channel’s API key") },
};

static int
command_channel (int    argc,
                 char **argv)
{
  return pct_command_dispatch ("precinct-hub channel", channel_commands,
                               G_N_ELEMENTS (channel_commands), argc, argv);
}

/* ── token ───────────────────────────────────────────────────────────── */

static int
command_token_revoke (int    argc,
                      char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *db_path = NULL;
  g_autofree char *user = NULL;
  g_autoptr(PctHubSqlite) hub = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;
  int status = PCT_HUB_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Hub store"), "PATH" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user, N_("User whose sessions end"), "NAME" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Revoke every token of a user: each session ends at its next "
                                  "request."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return pct_command_usage_error (context, _("token revoke takes no positional arguments"));
  if (db_path == NULL || user == NULL)
    return pct_command_usage_error (context, _("--db and --user are required"));

  hub = open_hub (db_path, PCT_HUB_SQLITE_OPEN_DEFAULT, &error);
  if (hub == NULL || !pct_hub_storage_revoke_user (PCT_HUB_STORAGE (hub), user, &n, &error))
    return fail (error);
  g_print (g_dngettext (GETTEXT_PACKAGE, "Revoked %u session of %s\n",
                        "Revoked %u sessions of %s\n", n), n, user);
  return PCT_HUB_EXIT_OK;
}

static const PctCommand token_commands[] = {
  { "revoke", command_token_revoke, N_("Revoke every session of a user") },
};

static int
command_token (int    argc,
               char **argv)
{
  return pct_command_dispatch ("precinct-hub token", token_commands,
                               G_N_ELEMENTS (token_commands), argc, argv);
}

/* ── serve ───────────────────────────────────────────────────────────── */

typedef struct
{
  GMainLoop        *loop;
  PctHubStorage    *storage;
  PctHubServer     *server;
  PctHubSimulator  *simulator;
  gint64            deadline;
  guint             drain_id;
  gboolean          stopping;
} Serve;

static gboolean
drain_cb (gpointer user_data)
{
  Serve *serve = user_data;

  if (!pct_hub_server_is_idle (serve->server) && g_get_monotonic_time () < serve->deadline)
    return G_SOURCE_CONTINUE;
  serve->drain_id = 0;
  g_main_loop_quit (serve->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
purge_cb (gpointer user_data)
{
  Serve *serve = user_data;
  g_autoptr(GError) error = NULL;

  if (!pct_hub_storage_purge_tokens (serve->storage, now () - TOKEN_MEMORY, &error))
    g_warning ("Cannot forget expired tokens: %s", error->message);
  return G_SOURCE_CONTINUE;
}

/* The first signal stops taking requests and lets those in progress
 * finish; a second one quits at once. */
static gboolean
signal_cb (gpointer user_data)
{
  Serve *serve = user_data;

  if (serve->stopping)
    {
      g_main_loop_quit (serve->loop);
      return G_SOURCE_CONTINUE;
    }
  serve->stopping = TRUE;
  if (serve->simulator != NULL)
    pct_hub_simulator_stop (serve->simulator);
  pct_hub_server_stop (serve->server);
  serve->deadline = g_get_monotonic_time () + DRAIN_SECONDS * G_USEC_PER_SEC;
  /* Give answers just set a moment to be written. */
  serve->drain_id = g_timeout_add (100, drain_cb, serve);
  return G_SOURCE_CONTINUE;
}

/* HOST:PORT, [IPv6]:PORT or localhost:PORT. */
static GSocketAddress *
parse_listen (const char *text)
{
  const char *colon = strrchr (text, ':');
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  guint64 port = 0;

  if (colon == NULL || colon == text ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    return NULL;
  host = g_strndup (text, colon - text);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);

      g_free (host);
      host = inner;
    }
  if (g_str_equal (host, "localhost"))
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (host);
  if (address == NULL)
    return NULL;
  return g_inet_socket_address_new (address, (guint16) port);
}

static int
command_serve (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *db_path = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(PctHubSqlite) hub = NULL;
  g_autoptr(PctHubServer) server = NULL;
  g_autoptr(PctHubSimulator) simulator = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  double simulate = 0;
  gint64 token_ttl = PCT_HUB_SERVER_TOKEN_TTL;
  int gzip_level = 1;
  int status = PCT_HUB_EXIT_OK;
  Serve serve = { 0 };
  guint term_id, int_id, purge_id;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Hub store"), "PATH" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
      N_("Address and port (default 127.0.0.1:8443; port 0 picks a free one)"), "HOST:PORT" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_path, N_("Certificate (PEM)"), "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key_path, N_("Private key (PEM)"), "FILE" },
    { "simulate", 0, 0, G_OPTION_ARG_DOUBLE, &simulate,
      N_("Report made-up incidents, about RATE a minute"), "RATE" },
    { "token-ttl", 0, 0, G_OPTION_ARG_INT64, &token_ttl,
      N_("Seconds an access token lives (default 3600)"), "SECONDS" },
    { "gzip-level", 0, 0, G_OPTION_ARG_INT, &gzip_level,
      N_("Compression level of responses, 1 to 9 (default 1)"), "N" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Serve the sync API (docs/api.md) over HTTPS until SIGTERM or "
                                  "SIGINT. Prints “listening on URL” once ready."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return pct_command_usage_error (context, _("serve takes no positional arguments"));
  if (db_path == NULL || cert_path == NULL || key_path == NULL)
    return pct_command_usage_error (context, _("--db, --tls-cert and --tls-key are required"));
  address = parse_listen (listen != NULL ? listen : "127.0.0.1:8443");
  if (address == NULL)
    return pct_command_usage_error (context, _("--listen must be an IP address and a port, such as "
                                   "127.0.0.1:8443"));
  if (simulate < 0 || !isfinite (simulate) || simulate > 60000)
    return pct_command_usage_error (context, _("--simulate must be a rate from 0 to 60000 a minute"));
  if (token_ttl < 1 || token_ttl > PCT_HUB_SERVER_REFRESH_TTL)
    return pct_command_usage_error (context, _("--token-ttl must be from 1 second to 7 days"));
  if (gzip_level < 1 || gzip_level > 9)
    return pct_command_usage_error (context, _("--gzip-level must be from 1 to 9"));

  certificate = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  if (certificate == NULL)
    return fail (error);
  hub = open_hub (db_path, PCT_HUB_SQLITE_OPEN_DEFAULT, &error);
  if (hub == NULL ||
      !pct_hub_storage_purge_tokens (PCT_HUB_STORAGE (hub), now () - TOKEN_MEMORY, &error))
    return fail (error);

  server = pct_hub_server_new (PCT_HUB_STORAGE (hub));
  pct_hub_server_set_token_ttl (server, token_ttl);
  pct_hub_server_set_gzip_level (server, gzip_level);
  if (!pct_hub_server_listen (server, address, certificate, &error))
    return fail (error);

  if (simulate > 0)
    {
      simulator = pct_hub_simulator_new (PCT_HUB_STORAGE (hub), simulate, &error);
      if (simulator == NULL)
        return fail (error);
      pct_hub_simulator_start (simulator);
    }

  loop = g_main_loop_new (NULL, FALSE);
  serve.loop = loop;
  serve.storage = PCT_HUB_STORAGE (hub);
  serve.server = server;
  serve.simulator = simulator;
  term_id = g_unix_signal_add (SIGTERM, signal_cb, &serve);
  int_id = g_unix_signal_add (SIGINT, signal_cb, &serve);
  purge_id = g_timeout_add_seconds (PURGE_INTERVAL, purge_cb, &serve);

  /* Machine-read (tests, scripts): not translated. */
  url = pct_hub_server_get_url (server);
  g_print ("listening on %s\n", url);
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (term_id);
  g_source_remove (int_id);
  g_source_remove (purge_id);
  g_clear_handle_id (&serve.drain_id, g_source_remove);
  return PCT_HUB_EXIT_OK;
}

/* ── dump-hash ───────────────────────────────────────────────────────── */

static int
command_dump_hash (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autofree char *db_path = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(PctHubSqlite) hub = NULL;
  g_autoptr(GError) error = NULL;
  int status = PCT_HUB_EXIT_OK;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("Hub store"), "PATH" },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Print the SHA-256 of the hub’s content, as a client holding "
                                  "all of it computes it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!pct_command_parse_options (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return pct_command_usage_error (context, _("dump-hash takes no positional arguments"));
  if (db_path == NULL)
    return pct_command_usage_error (context, _("--db is required"));

  hub = open_hub (db_path, PCT_HUB_SQLITE_OPEN_DEFAULT, &error);
  if (hub == NULL)
    return fail (error);
  hash = pct_hub_storage_content_hash (PCT_HUB_STORAGE (hub), &error);
  if (hash == NULL)
    return fail (error);
  g_print ("%s\n", hash);
  return PCT_HUB_EXIT_OK;
}

/* ── dispatch ────────────────────────────────────────────────────────── */

static const PctCommand commands[] = {
  { "seed", command_seed, N_("Load a generated district into a new hub store") },
  { "user", command_user, N_("Add a user: user add NAME --role ROLE") },
  { "channel", command_channel, N_("Add or revoke an intake channel and its API key") },
  { "token", command_token, N_("Revoke a user’s tokens: token revoke --user NAME") },
  { "serve", command_serve, N_("Serve the sync API over HTTPS") },
  { "dump-hash", command_dump_hash, N_("Print the hash of the hub’s content") },
};

int
pct_hub_run (int    argc,
             char **argv)
{
  return pct_command_dispatch ("precinct-hub", commands, G_N_ELEMENTS (commands), argc, argv);
}
