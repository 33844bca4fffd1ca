/* pct-tls-handshakes.h — TLS connections that outlive their handshake
 * threads
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Holds the TLS connections a client session makes, so that none is
 * finalized in glib-networking's handshake thread (see the file's
 * comment). */
typedef struct _PctTlsKeeper PctTlsKeeper;

PctTlsKeeper   *pct_tls_keeper_new     (void);

/* Holds every TLS connection message is sent over. Any thread. */
void            pct_tls_keeper_watch   (PctTlsKeeper     *keeper,
                                        SoupMessage      *message);

/* Lets go of the connections held for longer than any handshake lasts.
 * Only for a session that one thread uses, from that thread. */
void            pct_tls_keeper_prune   (PctTlsKeeper     *keeper);

/* Lets go of every connection. Call it after the session has been
 * disposed, from the thread that disposed it. */
void            pct_tls_keeper_free    (PctTlsKeeper     *keeper);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctTlsKeeper, pct_tls_keeper_free)

/* Serves HTTPS for server on address with certificate: the TLS
 * connections are made here and handed to server as plain streams (see
 * the file's comment). Connections are accepted in the thread-default
 * main context; pct_tls_service_close() stops. effective_address, when
 * not NULL, receives the address bound (with the port chosen when address
 * asked for 0). */
GSocketService *pct_tls_service_new    (SoupServer       *server,
                                        GTlsCertificate  *certificate,
                                        GSocketAddress   *address,
                                        GSocketAddress  **effective_address,
                                        GError          **error);
/* Stops accepting and closes the listening socket; the connections
 * accepted are the SoupServer's to close. */
void            pct_tls_service_close  (GSocketService   *service);

G_END_DECLS
