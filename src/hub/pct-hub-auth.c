/* pct-hub-auth.c — passwords, tokens and API keys of precinct-hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#include "pct-hub-auth.h"

static char *dummy_hash;

gboolean
pct_hub_auth_init (GError **error)
{
  static gsize initialised = 0;

  if (sodium_init () < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("The cryptography library libsodium could not start"));
      return FALSE;
    }

  if (g_once_init_enter (&initialised))
    {
      char *password = pct_hub_auth_new_token ();

      dummy_hash = pct_hub_auth_hash_password (password, NULL);
      sodium_memzero (password, strlen (password));
      g_free (password);
      g_once_init_leave (&initialised, 1);
    }
  return dummy_hash != NULL;
}

char *
pct_hub_auth_hash_password (const char  *password,
                            GError     **error)
{
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);

  if (crypto_pwhash_str (hash, password, strlen (password),
                         crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Not enough memory to hash the password"));
      return NULL;
    }
  return g_strdup (hash);
}

gboolean
pct_hub_auth_verify_password (const char *hash,
                              const char *password)
{
  g_return_val_if_fail (hash != NULL && password != NULL, FALSE);

  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

const char *
pct_hub_auth_dummy_hash (void)
{
  return dummy_hash;
}

char *
pct_hub_auth_new_token (void)
{
  guchar bytes[PCT_HUB_TOKEN_BYTES];
  char text[sodium_base64_ENCODED_LEN (PCT_HUB_TOKEN_BYTES,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (text, sizeof text, bytes, sizeof bytes,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, sizeof bytes);
  return g_strdup (text);
}

char *
pct_hub_auth_digest (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}
