/* test-tls-handshakes.c — TLS connections kept clear of glib-networking's
 * handshake threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fault server (which serves with pct_tls_service_new()) over real
 * TLS on 127.0.0.1, and libsoup clients whose sessions keep their
 * connections with a PctTlsKeeper: the keeper holds each connection until
 * it is let go of, the server answers over connections it made itself and
 * keeps them open for the next request, and many connections closed by
 * the server as soon as a request arrives (the case where a handshake
 * thread could hold the last reference) leave both sides working.
 */

#include "config.h"

#include "fault-server.h"
#include "pct-tls-handshakes.h"
#include "sync-test-common.h"

#define QUICK_CLOSES 200

static char *certs;

/* A fault server whose "hello" answers 200 "ok" and whose "close"
 * closes the connection as the request arrives. */
static FaultServer *
server_start (void)
{
  g_autofree char *cert_file = sync_test_cert (certs, "server.pem");
  g_autofree char *key_file = sync_test_cert (certs, "server-key.pem");
  FaultServer *server = fault_server_new (cert_file, key_file, 0);

  fault_server_add_fault (server, "hello", FAULT_BODY, 0, -1, 0, NULL, -1, "ok");
  fault_server_add_fault (server, "close", FAULT_RESET, 0, -1, 0, NULL, -1, NULL);
  return server;
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

/* The handshakes a test's requests made. */
typedef struct
{
  guint      count;
  GIOStream *last;   /* not a reference */
} Handshakes;

static void
handshake_cb (SoupMessage        *message,
              GSocketClientEvent  event,
              GIOStream          *connection,
              Handshakes         *handshakes)
{
  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING)
    return;
  handshakes->count++;
  handshakes->last = connection;
}

/* Sends GET api/v1/path; the answer's body, or NULL with error set.
 * handshakes, when not NULL, counts the handshakes it made. */
static GBytes *
get (SoupSession   *session,
     PctTlsKeeper  *keeper,
     FaultServer   *server,
     const char    *path,
     Handshakes    *handshakes,
     GError       **error)
{
  g_autofree char *uri = g_strconcat (fault_server_get_url (server), "api/v1/", path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_GET, uri);
  GBytes *body;

  pct_tls_keeper_watch (keeper, message);
  if (handshakes != NULL)
    g_signal_connect (message, "network-event", G_CALLBACK (handshake_cb), handshakes);
  body = soup_session_send_and_read (session, message, NULL, error);
  if (body != NULL)
    g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_OK);
  return body;
}

/* The keeper holds a connection past its session, until it is freed. */
static void
test_keeper (void)
{
  FaultServer *server = server_start ();
  SoupSession *session = new_session ();
  PctTlsKeeper *keeper = pct_tls_keeper_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  Handshakes handshakes = { 0 };
  GIOStream *tls;

  body = get (session, keeper, server, "hello", &handshakes, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "ok", 2);
  tls = handshakes.last;
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

  fault_server_free (server);
}

/* Answers leave the connection open for the next request. */
static void
test_keep_alive (void)
{
  FaultServer *server = server_start ();
  SoupSession *session = new_session ();
  PctTlsKeeper *keeper = pct_tls_keeper_new ();
  Handshakes handshakes = { 0 };

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GError) error = NULL;

      body = get (session, keeper, server, "hello", &handshakes, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpuint (fault_server_count_requests (server, "hello"), ==, 3);
  g_assert_cmpuint (handshakes.count, ==, 1);

  g_object_unref (session);
  pct_tls_keeper_free (keeper);
  fault_server_free (server);
}

/* Connections the server closes as a request arrives: each request fails,
 * the next connection is served, and nothing aborts. */
static void
test_quick_closes (void)
{
  FaultServer *server = server_start ();
  SoupSession *session = new_session ();
  PctTlsKeeper *keeper = pct_tls_keeper_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < QUICK_CLOSES; i++)
    {
      g_autoptr(GBytes) closed = get (session, keeper, server, "close", NULL, &error);

      g_assert_null (closed);
      g_assert_nonnull (error);
      g_clear_error (&error);
    }
  g_assert_cmpuint (fault_server_count_requests (server, "close"), >=, QUICK_CLOSES);

  body = get (session, keeper, server, "hello", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 2);

  g_object_unref (session);
  pct_tls_keeper_free (keeper);
  fault_server_free (server);
}

/* A client that refuses the server's certificate leaves the server
 * serving others. */
static void
test_refused_certificate (void)
{
  FaultServer *server = server_start ();
  SoupSession *untrusting = soup_session_new_with_options ("timeout", 10, NULL);
  SoupSession *session = new_session ();
  PctTlsKeeper *keeper = pct_tls_keeper_new ();
  g_autoptr(GBytes) refused = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  refused = get (untrusting, keeper, server, "hello", NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  body = get (session, keeper, server, "hello", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fault_server_count_requests (server, "hello"), ==, 1);

  g_object_unref (untrusting);
  g_object_unref (session);
  pct_tls_keeper_free (keeper);
  fault_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  sync_test_avoid_proxies ();

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
