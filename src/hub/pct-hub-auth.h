/* pct-hub-auth.h — passwords, tokens and API keys of precinct-hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsodium does the cryptography: Argon2id password hashes
 * (crypto_pwhash_str at the interactive limits) and the random bytes of
 * tokens and keys. The server keeps only SHA-256 digests of tokens and
 * keys, so that a copy of its file lets nobody sign in.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bytes of randomness in a token or API key: 256 bits. */
#define PCT_HUB_TOKEN_BYTES 32

/* Call once before anything below; FALSE when libsodium cannot start. */
gboolean  pct_hub_auth_init            (GError      **error);

/* The crypto_pwhash_str() form of password, or NULL (out of memory). */
char     *pct_hub_auth_hash_password   (const char   *password,
                                        GError      **error);
/* Whether password matches hash. Slow on purpose (tens of milliseconds
 * and 64 MiB): call it off the main thread. */
gboolean  pct_hub_auth_verify_password (const char   *hash,
                                        const char   *password);
/* A hash of a random password, for comparing against when the user does
 * not exist, so that the time taken does not tell. */
const char *pct_hub_auth_dummy_hash    (void);

/* PCT_HUB_TOKEN_BYTES random bytes, base64url without padding. */
char     *pct_hub_auth_new_token       (void);
/* Lower-case hexadecimal SHA-256 of text: what is stored of a token. */
char     *pct_hub_auth_digest          (const char   *text);

G_END_DECLS
