/* pct-tls.c — verifying servers' certificates: the system's authorities
 * plus a district's own
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Command centres talk to servers whose certificates come from the
 * district's own authority, which the system does not know. Every HTTPS
 * client of the core (the sync client, the tile fetcher) goes through
 * this file so that the rule is written once: a certificate is accepted on
 * the CA file's word only when the system's sole complaint was an unknown
 * authority and the chain verifies, for the server's own name, against
 * the file. A wrong name or an expired certificate is refused whatever
 * the file holds, and there is no switch to skip the check.
 *
 * GLib does not promise to report every problem of a certificate it
 * refuses, so what is reported to people comes from the file's own
 * verification when the file vouches for the chain (then its flags are
 * the real problems), and from the system's otherwise.
 */

#define G_LOG_DOMAIN "pct-tls"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pct-tls.h"

typedef struct
{
  GTlsCertificateFlags  errors;
  GTlsCertificate      *certificate;
} Verdict;

G_DEFINE_QUARK (pct-tls-error-quark, pct_tls_error)

static GQuark
verdict_quark (void)
{
  return g_quark_from_static_string ("pct-tls-verdict");
}

static void
verdict_free (Verdict *verdict)
{
  g_clear_object (&verdict->certificate);
  g_free (verdict);
}

static void
remember_verdict (SoupMessage          *message,
                  GTlsCertificate      *certificate,
                  GTlsCertificateFlags  errors)
{
  Verdict *verdict = g_new0 (Verdict, 1);

  verdict->errors = errors;
  verdict->certificate = g_object_ref (certificate);
  g_object_set_qdata_full (G_OBJECT (message), verdict_quark (), verdict,
                           (GDestroyNotify) verdict_free);
}

static gboolean
accept_certificate_cb (SoupMessage          *message,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  GTlsDatabase *ca_database = user_data;
  g_autoptr(GSocketConnectable) identity = NULL;
  GUri *uri = soup_message_get_uri (message);
  GTlsCertificateFlags file_errors;

  if (ca_database == NULL)
    {
      remember_verdict (message, certificate, errors);
      return FALSE;
    }

  identity = g_network_address_new (g_uri_get_host (uri), (guint16) g_uri_get_port (uri));
  file_errors = g_tls_database_verify_chain (ca_database, certificate,
                                             G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                             identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                             NULL, NULL);

  if (errors == G_TLS_CERTIFICATE_UNKNOWN_CA && file_errors == 0)
    return TRUE;

  /* Whoever vouches for the chain, the system or the file, knows what is
   * really wrong with it; when neither does, both opinions are told. */
  if ((errors & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
    remember_verdict (message, certificate, errors);
  else if (file_errors != 0 && (file_errors & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
    remember_verdict (message, certificate, file_errors);
  else
    remember_verdict (message, certificate, errors | file_errors);
  return FALSE;
}

static char *
format_names (GTlsCertificate *certificate)
{
  g_autoptr(GPtrArray) dns_names = NULL;
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GString) names = g_string_new (NULL);

  if (certificate == NULL)
    return NULL;

  dns_names = g_tls_certificate_get_dns_names (certificate);
  addresses = g_tls_certificate_get_ip_addresses (certificate);

  for (guint i = 0; dns_names != NULL && i < dns_names->len; i++)
    {
      gsize size;
      const char *name = g_bytes_get_data (g_ptr_array_index (dns_names, i), &size);

      if (names->len > 0)
        g_string_append (names, ", ");
      /* Names are ASCII in a valid certificate; anything else is shown
       * escaped rather than trusted as text. */
      for (gsize j = 0; j < size; j++)
        {
          if (g_ascii_isprint (name[j]))
            g_string_append_c (names, name[j]);
          else
            g_string_append_printf (names, "\\x%02x", (guchar) name[j]);
        }
    }

  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    {
      g_autofree char *text = g_inet_address_to_string (g_ptr_array_index (addresses, i));

      if (names->len > 0)
        g_string_append (names, ", ");
      g_string_append (names, text);
    }

  return names->len > 0 ? g_string_free (g_steal_pointer (&names), FALSE) : NULL;
}

static char *
format_date (GDateTime *date)
{
  return date != NULL ? g_date_time_format (date, "%Y-%m-%d %H:%M UTC") : NULL;
}

static void
append_sentence (GString    *text,
                 const char *sentence)
{
  if (text->len > 0)
    g_string_append_c (text, ' ');
  g_string_append (text, sentence);
}

/* The description, with what the certificate itself says where it helps. */
static char *
describe (GTlsCertificateFlags  flags,
          const char           *host,
          GTlsCertificate      *certificate)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *names = format_names (certificate);

  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    {
      g_autofree char *s =
        g_strdup_printf (_("The certificate of %s is not trusted: it is self-signed or "
                           "signed by an authority that neither this computer nor the CA "
                           "file knows. If the district runs its own certificate authority, "
                           "give that authority’s certificate as the CA file."), host);
      append_sentence (text, s);
    }

  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    {
      g_autofree char *s = names != NULL
        ? g_strdup_printf (_("The certificate of %s is made out to other names (%s): the "
                             "server’s address does not match its certificate."), host, names)
        : g_strdup_printf (_("The certificate of %s is made out to other names: the "
                             "server’s address does not match its certificate."), host);
      append_sentence (text, s);
    }

  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    {
      g_autoptr(GDateTime) until = certificate != NULL
        ? g_tls_certificate_get_not_valid_after (certificate) : NULL;
      g_autofree char *date = format_date (until);
      g_autofree char *s = date != NULL
        ? g_strdup_printf (_("The certificate of %s has expired (on %s)."), host, date)
        : g_strdup_printf (_("The certificate of %s has expired."), host);
      append_sentence (text, s);
    }

  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    {
      g_autoptr(GDateTime) from = certificate != NULL
        ? g_tls_certificate_get_not_valid_before (certificate) : NULL;
      g_autofree char *date = format_date (from);
      g_autofree char *s = date != NULL
        ? g_strdup_printf (_("The certificate of %s is not valid yet (not before %s); check "
                             "this computer’s clock."), host, date)
        : g_strdup_printf (_("The certificate of %s is not valid yet; check this computer’s "
                             "clock."), host);
      append_sentence (text, s);
    }

  if (flags & G_TLS_CERTIFICATE_REVOKED)
    {
      g_autofree char *s = g_strdup_printf (_("The certificate of %s has been revoked."), host);
      append_sentence (text, s);
    }

  if (flags & G_TLS_CERTIFICATE_INSECURE)
    {
      g_autofree char *s =
        g_strdup_printf (_("The certificate of %s uses an insecure algorithm."), host);
      append_sentence (text, s);
    }

  if (text->len == 0)
    {
      g_autofree char *s =
        g_strdup_printf (_("The certificate of %s could not be verified."), host);
      append_sentence (text, s);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The error code for the problem that matters most: a certificate nobody
 * vouches for is untrusted whatever else is wrong with it. */
static PctTlsError
code_for_flags (GTlsCertificateFlags flags)
{
  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return PCT_TLS_ERROR_UNTRUSTED;
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return PCT_TLS_ERROR_BAD_IDENTITY;
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    return PCT_TLS_ERROR_EXPIRED;
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return PCT_TLS_ERROR_NOT_ACTIVATED;
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    return PCT_TLS_ERROR_REVOKED;
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    return PCT_TLS_ERROR_INSECURE;
  return PCT_TLS_ERROR_FAILED;
}

/**
 * pct_tls_database_new_for_ca_file:
 * @ca_file: a PEM file of one or more certificates of authorities
 */
GTlsDatabase *
pct_tls_database_new_for_ca_file (const char  *ca_file,
                                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *absolute = NULL;
  GTlsDatabase *database;

  g_return_val_if_fail (ca_file != NULL, NULL);

  /* GTlsFileDatabase wants an absolute name; people type relative ones. */
  absolute = g_canonicalize_filename (ca_file, NULL);
  database = g_tls_file_database_new (absolute, &local_error);
  if (database == NULL)
    {
      g_set_error (error, PCT_TLS_ERROR, PCT_TLS_ERROR_CA_FILE,
                   _("Cannot read the certificate authority file %s: %s"),
                   ca_file, local_error->message);
      return NULL;
    }

  return database;
}

void
pct_tls_verify_message (SoupMessage  *message,
                        GTlsDatabase *ca_database)
{
  g_return_if_fail (SOUP_IS_MESSAGE (message));
  g_return_if_fail (ca_database == NULL || G_IS_TLS_DATABASE (ca_database));

  if (ca_database != NULL)
    g_signal_connect_data (message, "accept-certificate", G_CALLBACK (accept_certificate_cb),
                           g_object_ref (ca_database), (GClosureNotify) g_object_unref, 0);
  else
    g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
}

GTlsCertificateFlags
pct_tls_get_message_errors (SoupMessage *message)
{
  Verdict *verdict;

  g_return_val_if_fail (SOUP_IS_MESSAGE (message), 0);

  verdict = g_object_get_qdata (G_OBJECT (message), verdict_quark ());
  return verdict != NULL ? verdict->errors : 0;
}

char *
pct_tls_describe_errors (GTlsCertificateFlags  flags,
                         const char           *host)
{
  g_return_val_if_fail (host != NULL, NULL);

  return describe (flags, host, NULL);
}

GError *
pct_tls_error_for_message (SoupMessage  *message,
                           const GError *transport_error)
{
  Verdict *verdict;
  const char *host;
  g_autofree char *text = NULL;

  g_return_val_if_fail (SOUP_IS_MESSAGE (message), NULL);

  if (transport_error == NULL || transport_error->domain != G_TLS_ERROR)
    return NULL;

  host = g_uri_get_host (soup_message_get_uri (message));
  verdict = g_object_get_qdata (G_OBJECT (message), verdict_quark ());

  if (verdict == NULL)
    return g_error_new (PCT_TLS_ERROR, PCT_TLS_ERROR_FAILED,
                        _("Cannot make a secure connection to %s: %s"),
                        host, transport_error->message);

  text = describe (verdict->errors, host, verdict->certificate);
  return g_error_new_literal (PCT_TLS_ERROR, code_for_flags (verdict->errors), text);
}
