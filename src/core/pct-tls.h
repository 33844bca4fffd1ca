/* pct-tls.h — verifying servers' certificates: the system's authorities
 * plus a district's own
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define PCT_TLS_ERROR (pct_tls_error_quark ())

typedef enum
{
  PCT_TLS_ERROR_CA_FILE,        /* the CA file cannot be read or holds no certificate */
  PCT_TLS_ERROR_UNTRUSTED,      /* self-signed, or signed by an authority nobody trusts */
  PCT_TLS_ERROR_BAD_IDENTITY,   /* made out to other names than the server's */
  PCT_TLS_ERROR_EXPIRED,
  PCT_TLS_ERROR_NOT_ACTIVATED,  /* not valid yet */
  PCT_TLS_ERROR_REVOKED,
  PCT_TLS_ERROR_INSECURE,       /* an algorithm considered insecure */
  PCT_TLS_ERROR_FAILED,         /* the secure connection failed otherwise */
} PctTlsError;

GQuark                pct_tls_error_quark              (void);

/* The authorities of a PEM file, trusted besides the system's. Fails with
 * PCT_TLS_ERROR_CA_FILE, naming the file, when it cannot be read or holds
 * no certificate. */
GTlsDatabase         *pct_tls_database_new_for_ca_file (const char           *ca_file,
                                                        GError              **error);

/* Makes message accept a certificate the system refuses when, and only
 * when, the system's sole complaint is an unknown authority and the chain
 * verifies for the server's name against ca_database (which may be NULL:
 * the system's authorities alone). Either way what was wrong with the
 * certificate is remembered on the message for pct_tls_error_for_message(). */
void                  pct_tls_verify_message           (SoupMessage          *message,
                                                        GTlsDatabase         *ca_database);

/* What was wrong with the certificate the message's server showed; 0 when
 * nothing was, or nothing is known. */
GTlsCertificateFlags  pct_tls_get_message_errors       (SoupMessage          *message);

/* A sentence or two for people saying which problem the flags stand for:
 * not trusted (self-signed or an unknown authority, with a word about the
 * CA file), made out to other names, expired, not valid yet, revoked,
 * insecure. */
char                 *pct_tls_describe_errors          (GTlsCertificateFlags  flags,
                                                        const char           *host);

/* When transport_error (as a send of message failed) is a TLS problem,
 * a new PCT_TLS_ERROR saying which one, with the names the certificate is
 * made out to or the date it expired where that helps; NULL otherwise. */
GError               *pct_tls_error_for_message        (SoupMessage          *message,
                                                        const GError         *transport_error);

G_END_DECLS
