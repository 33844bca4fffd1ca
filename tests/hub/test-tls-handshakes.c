/* test-tls-handshakes.c — TLS connections kept clear of glib-networking's
 * handshake threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A server made with pct_tls_service_new() over real TLS on 127.0.0.1,
 * and libsoup clients whose sessions keep their connections with a
 * PctTlsKeeper: the keeper holds each connection until it is let go of,
 * the server answers over connections it made itself and keeps them open
 * for the next request, and many
 * connections closed by the server as soon as a request arrives (the case
 * where a handshake thread could hold the last reference) leave both
 * sides working.
 */

#include "config.h"

#include "pct-tls-handshakes.h"
#include "sync-test-common.h"

#define QUICK_CLOSES 200

static char *certs;

typedef struct
{
  GMainContext   *context;
  GMainLoop      *loop;
  GThread        *thread;
  SoupServer     *soup;
  GSocketService *service;
  char           *url;
  GMutex          mutex;
  GCond           cond;
  guint           requests;   /* under the mutex */
} Server;

static void
handle_cb (SoupServer        *soup,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Server *server = user_data;

  g_mutex_lock (&server->mutex);
  server->requests++;
  g_mutex_unlock (&server->mutex);

  if (g_str_equal (path, "/close"))
    {
      g_autoptr(GIOStream) stream = soup_server_message_steal_connection (message);

      g_io_stream_close (stream, NULL, NULL);
      return;
    }
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
}

static gboolean
quit_cb (gpointer user_data)
{
  Server *server = user_data;

  g_main_loop_quit (server->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer user_data)
{
  Server *server = user_data;
  g_autofree char *cert_file = sync_test_cert (certs, "server.pem");
  g_autofree char *key_file = sync_test_cert (certs, "server-key.pem");
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (server->context);

  certificate = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);
  server->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (server->soup, NULL, handle_cb, server, NULL);
  server->service = pct_tls_service_new (server->soup, certificate, address, &bound, &error);
  g_assert_no_error (error);

  g_mutex_lock (&server->mutex);
  /* The certificate is made out to localhost and 127.0.0.1. */
  server->url = g_strdup_printf ("https://localhost:%u",
                                 g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_cond_broadcast (&server->cond);
  g_mutex_unlock (&server->mutex);

  g_main_loop_run (server->loop);

  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_clear_object (&server->service);
  soup_server_disconnect (server->soup);
  while (g_main_context_iteration (server->context, FALSE))
    ;
  g_clear_object (&server->soup);
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

static Server *
server_start (void)
{
  Server *server = g_new0 (Server, 1);

  g_mutex_init (&server->mutex);
  g_cond_init (&server->cond);
  server->context = g_main_context_new ();
  server->loop = g_main_loop_new (server->context, FALSE);
  server->thread = g_thread_new ("tls-server", server_thread, server);

  g_mutex_lock (&server->mutex);
  while (server->url == NULL)
    g_cond_wait (&server->cond, &server->mutex);
  g_mutex_unlock (&server->mutex);
  return server;
}

static guint
server_count_requests (Server *server)
{
  guint requests;

  g_mutex_lock (&server->mutex);
  requests = server->requests;
  g_mutex_unlock (&server->mutex);
  return requests;
}

static void
server_stop (Server *server)
{
  g_main_context_invoke (server->context, quit_cb, server);
  g_thread_join (server->thread);
  g_main_loop_unref (server->loop);
  g_main_context_unref (server->context);
  g_mutex_clear (&server->mutex);
  g_cond_clear (&server->cond);
  g_free (server->url);
  g_free (server);
}

static SoupSession *
new_session (void)
{
  g_autofree char *ca_file = sync_test_cert (certs, "ca.pem");
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, &error);

  g_assert_no_error (error);
  return soup_session_new_with_options ("timeout", 10, "tls-database", database, NULL);
}

static void
remember_tls_cb (SoupMessage         *message,
                 GSocketClientEvent   event,
                 GIOStream           *connection,
                 GIOStream          **tls)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
    *tls = connection;
}

/* Sends GET path; the answer's body, or NULL with error set. tls, when
 * not NULL, receives the TLS connection it went over (not a reference). */
static GBytes *
get (SoupSession   *session,
     PctTlsKeeper  *keeper,
     const char    *url,
     const char    *path,
     GIOStream    **tls,
     GError       **error)
{
  g_autofree char *uri = g_strconcat (url, path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_GET, uri);
  GBytes *body;

  pct_tls_keeper_watch (keeper, message);
  if (tls != NULL)
    g_signal_connect (message, "network-event", G_CALLBACK (remember_tls_cb), tls);
  body = soup_session_send_and_read (session, message, NULL, error);
  if (body != NULL)
    g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_OK);
  return body;
}

/* The keeper holds a connection past its session, until it is freed. */
static void
test_keeper (void)
{
  Server *server = server_start ();
  SoupSession *session = new_session ();
  PctTlsKeeper *keeper = pct_tls_keeper_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  GIOStream *tls = NULL;

  body = get (session, keeper, server->url, "/hello", &tls, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "ok", 2);
  g_assert_true (G_IS_TLS_CONNECTION (tls));
  g_object_add_weak_pointer (G_OBJECT (tls), (gpointer *) &tls);

  g_object_unref (session);
  /* Young connections stay through a prune. */
  pct_tls_keeper_prune (keeper);
  g_assert_nonnull (tls);

  pct_tls_keeper_free (keeper);
  /* The handshake thread may still hold it for a moment. */
  for (guint i = 0; i < 500 && tls != NULL; i++)
    g_usleep (10000);
  g_assert_null (tls);

  server_stop (server);
}

static void
count_handshakes_cb (SoupMessage        *message,
                     GSocketClientEvent  event,
                     GIOStream          *connection,
                     guint              *handshakes)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
    (*handshakes)++;
}

/* Answers leave the connection open for the next request. */
static void
test_keep_alive (void)
{
  Server *server = server_start ();
  SoupSession *session = new_session ();
  PctTlsKeeper *keeper = pct_tls_keeper_new ();
  guint handshakes = 0;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *uri = g_strconcat (server->url, "/again", NULL);
      g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_GET, uri);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;

      pct_tls_keeper_watch (keeper, message);
      g_signal_connect (message, "network-event", G_CALLBACK (count_handshakes_cb), &handshakes);
      body = soup_session_send_and_read (session, message, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_OK);
    }
  g_assert_cmpuint (server_count_requests (server), ==, 3);
  g_assert_cmpuint (handshakes, ==, 1);

  g_object_unref (session);
  pct_tls_keeper_free (keeper);
  server_stop (server);
}

/* Connections the server closes as a request arrives: each request fails,
 * the next connection is served, and nothing aborts. */
static void
test_quick_closes (void)
{
  Server *server = server_start ();
  SoupSession *session = new_session ();
  PctTlsKeeper *keeper = pct_tls_keeper_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < QUICK_CLOSES; i++)
    {
      g_autoptr(GBytes) closed = get (session, keeper, server->url, "/close", NULL, &error);

      g_assert_null (closed);
      g_assert_nonnull (error);
      g_clear_error (&error);
    }
  g_assert_cmpuint (server_count_requests (server), >=, QUICK_CLOSES);

  body = get (session, keeper, server->url, "/after", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 2);

  g_object_unref (session);
  pct_tls_keeper_free (keeper);
  server_stop (server);
}

/* A client that refuses the server's certificate leaves the server
 * serving others. */
static void
test_refused_certificate (void)
{
  Server *server = server_start ();
  SoupSession *untrusting = soup_session_new_with_options ("timeout", 10, NULL);
  SoupSession *session = new_session ();
  PctTlsKeeper *keeper = pct_tls_keeper_new ();
  g_autoptr(GBytes) refused = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  refused = get (untrusting, keeper, server->url, "/hello", NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  body = get (session, keeper, server->url, "/hello", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (server_count_requests (server), ==, 1);

  g_object_unref (untrusting);
  g_object_unref (session);
  pct_tls_keeper_free (keeper);
  server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The server is on this machine: no proxy between. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("https_proxy");
  g_unsetenv ("HTTPS_PROXY");
  g_unsetenv ("all_proxy");

  certs = sync_test_make_certs ();

  g_test_add_func ("/tls-handshakes/keeper", test_keeper);
  g_test_add_func ("/tls-handshakes/keep-alive", test_keep_alive);
  g_test_add_func ("/tls-handshakes/quick-closes", test_quick_closes);
  g_test_add_func ("/tls-handshakes/refused-certificate", test_refused_certificate);

  status = g_test_run ();
  sync_test_remove_tree (certs);
  g_free (certs);
  return status;
}
