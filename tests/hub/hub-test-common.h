/* hub-test-common.h — a real precinct-hub over TLS on loopback, for tests
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Needs PRECINCT_HUB (the precinct-hub program) and PRECINCT_MAKE_CERTS
 * (build-aux/make-certs.sh) in the environment; tests/hub/meson.build
 * sets both.
 */

#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "pct-store.h"

G_BEGIN_DECLS

/* Users hub_test_env_new() adds, one per role; the password of each is
 * its name followed by HUB_TEST_PASSWORD_SUFFIX. */
#define HUB_TEST_DISPATCHER      "wang.fang"
#define HUB_TEST_CLERK           "li.na"
#define HUB_TEST_SUPERVISOR      "zhang.wei"
#define HUB_TEST_ADMIN           "admin"
#define HUB_TEST_PASSWORD_SUFFIX "-Pa55word"

typedef struct
{
  char *dir;        /* a temporary directory, removed with the environment */
  char *certs;      /* make-certs.sh output: ca.pem, server.pem, server-key.pem */
  char *ca_file;
  char *district;   /* a small generated district (seed 1, reference today) */
  char *hub_db;     /* a hub seeded from it, with the users and a channel */
  char *api_key;    /* of the channel "test" */
} HubTestEnv;

typedef struct
{
  GSubprocess *process;
  char        *db;      /* the hub store it serves */
  char        *url;     /* https://127.0.0.1:PORT/ */
} HubTestServer;

/* Makes the certificates, the district, the hub store (through the
 * precinct-hub commands), four users and a channel. Slow-ish (a second or
 * two): share one per test program. */
HubTestEnv    *hub_test_env_new          (void);
void           hub_test_env_free         (HubTestEnv          *env);
/* A fresh copy of the environment's hub store, for a test that changes
 * it; removed with the environment. */
char          *hub_test_env_copy_hub     (HubTestEnv          *env);

/* Runs precinct-hub with args (without the program), input on its
 * standard input; returns its exit status, out and err its output. */
int            hub_test_run_hub          (const char * const  *args,
                                          const char          *input,
                                          char               **out,
                                          char               **err);

/* Starts `precinct-hub serve` on db at 127.0.0.1, a free port, with the
 * environment's certificate and any extra arguments, and waits for it to
 * listen. The process dies with the test program. */
HubTestServer *hub_test_server_start     (HubTestEnv          *env,
                                          const char          *db,
                                          const char * const  *extra_args);
/* SIGTERM, then waits (at most 20 s) and checks it exited with 0. */
void           hub_test_server_stop      (HubTestServer       *server);
/* An absolute URL of the server: base + path (without the leading /). */
char          *hub_test_server_url       (HubTestServer       *server,
                                          const char          *path);

/* A session that trusts only the environment's CA. */
SoupSession   *hub_test_session_new      (HubTestEnv          *env);

/* Sends a request and waits for the answer. token (Bearer) and api_key
 * (X-Api-Key) may be NULL; body, when not NULL, is sent as JSON. Returns
 * the status; *reply (may be NULL) receives the parsed JSON body or NULL,
 * *headers (may be NULL) a reference to the response headers. */
guint          hub_test_request          (SoupSession         *session,
                                          const char          *method,
                                          const char          *url,
                                          const char          *token,
                                          const char          *api_key,
                                          const char          *body,
                                          JsonNode           **reply,
                                          SoupMessageHeaders **headers);
/* Signs user in with its test password; returns the access token. */
char          *hub_test_sign_in          (SoupSession         *session,
                                          HubTestServer       *server,
                                          const char          *user);
/* Asserts reply is the error body of docs/api.md with this code. */
void           hub_test_assert_error     (JsonNode            *reply,
                                          const char          *code);

/* Runs the default main context until *done is TRUE or timeout_ms pass;
 * returns *done. */
gboolean       hub_test_wait_until       (gboolean            *done,
                                          guint                timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HubTestEnv, hub_test_env_free)

G_END_DECLS
