/* hub-test-common.c — a real precinct-hub over TLS on loopback, for tests
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "hub-test"

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "hub-test-common.h"
#include "pct-generator.h"

static const char * const users[][2] = {
  { HUB_TEST_DISPATCHER, "dispatcher" },
  { HUB_TEST_CLERK, "clerk" },
  { HUB_TEST_SUPERVISOR, "supervisor" },
  { HUB_TEST_ADMIN, "admin" },
};

static const char *
program (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set; run the test through meson", variable);
  return path;
}

/* A test program that stops (an assertion failed) takes its servers with
 * it instead of leaving them listening. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *
new_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

int
hub_test_run_hub (const char * const  *args,
                  const char          *input,
                  char               **out,
                  char               **err)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_ptr_array_add (argv, (gpointer) program ("PRECINCT_HUB"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = new_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                           G_SUBPROCESS_FLAGS_STDERR_PIPE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input ? input : "", NULL, &stdout_text, &stderr_text,
                                 &error);
  g_assert_no_error (error);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
run_ok (const char * const *args,
        const char         *input,
        char              **out)
{
  g_autofree char *err = NULL;
  int status = hub_test_run_hub (args, input, out, &err);

  if (status != 0)
    g_error ("precinct-hub %s failed (%d): %s", args[0], status, err);
}

HubTestEnv *
hub_test_env_new (void)
{
  g_autoptr(HubTestEnv) env = g_new0 (HubTestEnv, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *certs_out = NULL;
  g_autofree char *key = NULL;
  const char *make_certs[] = { program ("PRECINCT_MAKE_CERTS"), NULL, NULL };
  gint64 reference;

  env->dir = g_dir_make_tmp ("precinct-hub-test-XXXXXX", &error);
  g_assert_no_error (error);
  env->certs = g_build_filename (env->dir, "certs", NULL);
  env->ca_file = g_build_filename (env->certs, "ca.pem", NULL);
  env->district = g_build_filename (env->dir, "district.db", NULL);
  env->hub_db = g_build_filename (env->dir, "hub.db", NULL);

  make_certs[1] = env->certs;
  g_assert_true (g_spawn_sync (NULL, (char **) make_certs, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &certs_out, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (env->ca_file, G_FILE_TEST_EXISTS));

  /* Today, so that no one generated is born in the future. */
  reference = g_date_time_to_unix (now) - g_date_time_to_unix (now) % (24 * 3600);
  store = pct_store_open (env->district, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  g_assert_no_error (error);
  g_assert_true (pct_generate_district (store, PCT_DISTRICT_SMALL, 1, reference, NULL, NULL,
                                        &error));
  g_assert_no_error (error);
  g_assert_true (pct_store_exec (store, "PRAGMA wal_checkpoint(TRUNCATE)", &error));
  g_clear_object (&store);

  run_ok ((const char *[]) { "seed", "--db", env->hub_db, "--district", env->district, NULL },
          NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_autofree char *password = g_strconcat (users[i][0], HUB_TEST_PASSWORD_SUFFIX, "\n", NULL);

      run_ok ((const char *[]) { "user", "add", users[i][0], "--role", users[i][1],
                                 "--db", env->hub_db, NULL },
              password, NULL);
    }
  run_ok ((const char *[]) { "channel", "add", "test", "--db", env->hub_db, NULL }, NULL, &key);
  env->api_key = g_strdup (g_strstrip (key));
  return g_steal_pointer (&env);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

void
hub_test_env_free (HubTestEnv *env)
{
  if (env == NULL)
    return;
  if (env->dir != NULL)
    remove_tree (env->dir);
  g_free (env->dir);
  g_free (env->certs);
  g_free (env->ca_file);
  g_free (env->district);
  g_free (env->hub_db);
  g_free (env->api_key);
  g_free (env);
}

char *
hub_test_env_copy_hub (HubTestEnv *env)
{
  static guint serial;
  g_autofree char *name = g_strdup_printf ("hub-%u.db", ++serial);
  g_autofree char *path = g_build_filename (env->dir, name, NULL);
  g_autoptr(GFile) source = g_file_new_for_path (env->hub_db);
  g_autoptr(GFile) target = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;

  /* Every command closes the store, which folds the WAL into the file. */
  g_file_copy (source, target, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

HubTestServer *
hub_test_server_start (HubTestEnv         *env,
                       const char         *db,
                       const char * const *extra_args)
{
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  HubTestServer *server = g_new0 (HubTestServer, 1);

  g_ptr_array_add (argv, g_strdup (program ("PRECINCT_HUB")));
  g_ptr_array_add (argv, g_strdup ("serve"));
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (db));
  g_ptr_array_add (argv, g_strdup ("--listen"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1:0"));
  g_ptr_array_add (argv, g_strdup ("--tls-cert"));
  g_ptr_array_add (argv, g_build_filename (env->certs, "server.pem", NULL));
  g_ptr_array_add (argv, g_strdup ("--tls-key"));
  g_ptr_array_add (argv, g_build_filename (env->certs, "server-key.pem", NULL));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  server->db = g_strdup (db);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  while ((line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error)) != NULL)
    {
      if (g_str_has_prefix (line, "listening on "))
        break;
      g_clear_pointer (&line, g_free);
    }
  g_assert_no_error (error);
  g_assert_nonnull (line);
  server->url = g_strdup (line + strlen ("listening on "));
  g_assert_true (g_str_has_prefix (server->url, "https://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (server->url, "/"));
  return server;
}

static void
waited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

void
hub_test_server_stop (HubTestServer *server)
{
  gboolean done = FALSE;

  if (server == NULL)
    return;
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait_async (server->process, NULL, waited_cb, &done);
  if (!hub_test_wait_until (&done, 20000))
    {
      g_subprocess_force_exit (server->process);
      g_error ("precinct-hub did not stop within 20 s of SIGTERM");
    }
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_object_unref (server->process);
  g_free (server->db);
  g_free (server->url);
  g_free (server);
}

char *
hub_test_server_url (HubTestServer *server,
                     const char    *path)
{
  return g_strconcat (server->url, path[0] == '/' ? path + 1 : path, NULL);
}

SoupSession *
hub_test_session_new (HubTestEnv *env)
{
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;

  database = g_tls_file_database_new (env->ca_file, &error);
  g_assert_no_error (error);
  return g_object_new (SOUP_TYPE_SESSION, "tls-database", database, "timeout", 60, NULL);
}

guint
hub_test_request (SoupSession         *session,
                  const char          *method,
                  const char          *url,
                  const char          *token,
                  const char          *api_key,
                  const char          *body,
                  JsonNode           **reply,
                  SoupMessageHeaders **headers)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *request_headers;
  gsize size = 0;
  const char *data;

  g_assert_nonnull (message);
  request_headers = soup_message_get_request_headers (message);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (request_headers, "Authorization", value);
    }
  if (api_key != NULL)
    soup_message_headers_replace (request_headers, "X-Api-Key", api_key);

  answer = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  data = g_bytes_get_data (answer, &size);

  if (reply != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      *reply = NULL;
      if (size > 0 && json_parser_load_from_data (parser, data, (gssize) size, NULL))
        *reply = json_node_ref (json_parser_get_root (parser));
    }
  if (headers != NULL)
    *headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  return soup_message_get_status (message);
}

char *
hub_test_sign_in (SoupSession   *session,
                  HubTestServer *server,
                  const char    *user)
{
  g_autofree char *url = hub_test_server_url (server, "api/v1/session");
  g_autofree char *body = g_strdup_printf ("{\"user\":\"%s\",\"password\":\"%s%s\"}", user, user,
                                           HUB_TEST_PASSWORD_SUFFIX);
  g_autoptr(JsonNode) reply = NULL;
  guint status = hub_test_request (session, "POST", url, NULL, NULL, body, &reply, NULL);

  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (reply);
  return g_strdup (json_object_get_string_member (json_node_get_object (reply), "token"));
}

void
hub_test_assert_error (JsonNode   *reply,
                       const char *code)
{
  JsonObject *error;

  g_assert_nonnull (reply);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (reply)), ==, 1);
  error = json_object_get_object_member (json_node_get_object (reply), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_true (strlen (json_object_get_string_member (error, "message")) > 0);
}

static gboolean
timed_out_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
hub_test_wait_until (gboolean *done,
                     guint     timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, timed_out_cb, &timed_out);

  while (!*done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *done;
}
