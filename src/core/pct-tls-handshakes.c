/* pct-tls-handshakes.c — TLS connections that outlive their handshake
 * threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * glib-networking runs every TLS handshake, blocking or not, as a GTask
 * in a worker thread. The worker drops its reference to the task a
 * moment after the handshake has been reported, and the task holds the
 * connection. If the connection has been dropped by everyone else in
 * that moment (a server that closes at once, a refused certificate), the
 * connection is finalized in the worker while libsoup, in its own thread,
 * disposes the object that watches the connection's signals
 * (g_signal_connect_object). GLib's signal code does not survive those two
 * at once: the process aborts in invalid_closure_notify. On a loaded
 * machine it happens about once in a few thousand quick connections.
 *
 * The cure is that no worker ever holds the last reference while such a
 * watcher lives:
 *
 *   - a client session's keeper holds every TLS connection its messages
 *     use, from the handshake until the session has been disposed (or, for
 *     a long-lived session used by one thread, until the connection is
 *     far older than any handshake);
 *   - a server makes its TLS connections itself and hands them to
 *     SoupServer as plain streams; libsoup then watches nothing on them.
 *     SoupServer keeps a connection open after an answer only while it
 *     has listeners of its own, so it is given one that nobody can reach:
 *     a Unix socket whose name is removed as soon as it listens.
 */

#define G_LOG_DOMAIN "pct-tls"

#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "pct-tls-handshakes.h"

/* Far longer than a handshake takes, timeouts included. */
#define KEEP_USEC (10 * 60 * G_USEC_PER_SEC)

typedef struct
{
  GIOStream *connection;
  gint64     since;
} Held;

struct _PctTlsKeeper
{
  GMutex  mutex;
  GArray *held;
};

static void
held_clear (Held *held)
{
  g_clear_object (&held->connection);
}

PctTlsKeeper *
pct_tls_keeper_new (void)
{
  PctTlsKeeper *keeper = g_new0 (PctTlsKeeper, 1);

  g_mutex_init (&keeper->mutex);
  keeper->held = g_array_new (FALSE, FALSE, sizeof (Held));
  g_array_set_clear_func (keeper->held, (GDestroyNotify) held_clear);
  return keeper;
}

static void
network_event_cb (SoupMessage        *message,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  PctTlsKeeper       *keeper)
{
  Held held;

  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING || !G_IS_TLS_CONNECTION (connection))
    return;

  held.connection = g_object_ref (connection);
  held.since = g_get_monotonic_time ();
  g_mutex_lock (&keeper->mutex);
  g_array_append_val (keeper->held, held);
  g_mutex_unlock (&keeper->mutex);
}

void
pct_tls_keeper_watch (PctTlsKeeper *keeper,
                      SoupMessage  *message)
{
  g_return_if_fail (keeper != NULL);
  g_return_if_fail (SOUP_IS_MESSAGE (message));

  g_signal_connect (message, "network-event", G_CALLBACK (network_event_cb), keeper);
}

void
pct_tls_keeper_prune (PctTlsKeeper *keeper)
{
  gint64 now = g_get_monotonic_time ();
  guint kept = 0;

  g_return_if_fail (keeper != NULL);

  g_mutex_lock (&keeper->mutex);
  /* Oldest first: the ones to let go are a prefix. */
  while (kept < keeper->held->len &&
         now - g_array_index (keeper->held, Held, kept).since > KEEP_USEC)
    kept++;
  g_array_remove_range (keeper->held, 0, kept);
  g_mutex_unlock (&keeper->mutex);
}

void
pct_tls_keeper_free (PctTlsKeeper *keeper)
{
  if (keeper == NULL)
    return;
  g_array_unref (keeper->held);
  g_mutex_clear (&keeper->mutex);
  g_free (keeper);
}

/* Server ------------------------------------------------------------------ */

typedef struct
{
  SoupServer      *server;
  GTlsCertificate *certificate;
} Service;

static void
service_free (gpointer  data,
              GClosure *closure)
{
  Service *service = data;

  g_object_unref (service->server);
  g_object_unref (service->certificate);
  g_free (service);
}

static gboolean
incoming_cb (GSocketService    *socket_service,
             GSocketConnection *connection,
             GObject           *source,
             Service           *service)
{
  static const char * const protocols[] = { "http/1.1", "http/1.0", NULL };
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  if (local == NULL || remote == NULL)
    return TRUE;   /* gone before it could be served */

  /* As SoupServer does for the connections it accepts itself. */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                       TRUE, NULL);

  tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                        NULL, &error,
                        "base-io-stream", connection,
                        "certificate", service->certificate,
                        "require-close-notify", FALSE,
                        "advertised-protocols", protocols,
                        NULL);
  if (tls == NULL)
    {
      g_warning ("Cannot serve a connection over TLS: %s", error->message);
      return TRUE;
    }

  /* The handshake happens with the first read. */
  soup_server_accept_iostream (service->server, tls, local, remote, NULL);
  return TRUE;
}

static gboolean
add_unreachable_listener (SoupServer  *server,
                          GError     **error)
{
  g_autofree char *dir = g_dir_make_tmp ("precinct-listener-XXXXXX", error);
  g_autofree char *path = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  gboolean listening;

  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "listener", NULL);
  address = g_unix_socket_address_new (path);
  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                         error);
  listening = socket != NULL &&
              g_socket_bind (socket, address, FALSE, error) &&
              g_socket_listen (socket, error) &&
              soup_server_listen_socket (server, socket, 0, error);
  g_unlink (path);
  g_rmdir (dir);
  return listening;
}

GSocketService *
pct_tls_service_new (SoupServer       *server,
                     GTlsCertificate  *certificate,
                     GSocketAddress   *address,
                     GSocketAddress  **effective_address,
                     GError          **error)
{
  g_autoptr(GSocketService) socket_service = NULL;
  g_autoptr(GSList) listeners = NULL;
  Service *service;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), NULL);

  listeners = soup_server_get_listeners (server);
  if (listeners == NULL && !add_unreachable_listener (server, error))
    return NULL;

  socket_service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (socket_service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      effective_address, error))
    return NULL;

  service = g_new0 (Service, 1);
  service->server = g_object_ref (server);
  service->certificate = g_object_ref (certificate);
  g_signal_connect_data (socket_service, "incoming", G_CALLBACK (incoming_cb), service,
                         service_free, 0);
  return g_steal_pointer (&socket_service);
}

void
pct_tls_service_close (GSocketService *service)
{
  g_return_if_fail (G_IS_SOCKET_SERVICE (service));

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
}
