/* fault-server.h — a small sync API server over TLS that misbehaves on cue
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  FAULT_STATUS,          /* an error answer: status, code, Retry-After */
  FAULT_STALL,           /* no answer at all, until the server stops */
  FAULT_STALL_BODY,      /* headers and half a page, then nothing */
  FAULT_RESET,           /* the connection closed before any answer */
  FAULT_RESET_BODY,      /* half a page, then the connection closed */
  FAULT_RESET_AFTER,     /* the request is carried out, then the connection closed */
  FAULT_BODY,            /* 200 with the given body as application/json */
  FAULT_STUCK_CURSOR,    /* a page with a record, has_more and the request's cursor */
  FAULT_HUGE,            /* 100 MiB of body, chunked, made as it is sent */
  FAULT_HUGE_ANNOUNCED,  /* the same with Content-Length announced */
} FaultKind;

typedef struct _FaultServer FaultServer;

/* Decides the result of one new mutation (one not seen before): returns a
 * result object without "uuid" (added by the server). Runs in the
 * server's thread. */
typedef JsonObject *(*FaultMutationFunc) (JsonObject *mutation,
                                          gpointer    user_data);

/* Listens on 127.0.0.1 with the certificate and key; its own thread. The
 * feed holds n_records department records, ids 1…n_records. Users:
 * "admin" with password "secret". */
FaultServer *fault_server_new            (const char        *cert_file,
                                          const char        *key_file,
                                          guint              n_records);
void         fault_server_free           (FaultServer       *server);
/* https://127.0.0.1:PORT/ */
const char  *fault_server_get_url        (FaultServer       *server);
/* Adds a record line (JSON object) to the end of the feed, and tells
 * long polls and live sockets; returns when done. */
void         fault_server_append_record  (FaultServer       *server,
                                          const char        *record);
/* Keeps the first n_records of the feed, as a server reseeded would. */
void         fault_server_truncate_feed  (FaultServer       *server,
                                          guint              n_records);
/* Whether pages carry "total". */
void         fault_server_set_total      (FaultServer       *server,
                                          gboolean           total);
/* The next requests to path ("changes", "mutations", "session", …) after
 * skipping `skip` of them get the fault, `times` times (-1: always).
 * status, code and retry_after (seconds, -1 for none) are for
 * FAULT_STATUS; body for FAULT_BODY. */
void         fault_server_add_fault      (FaultServer       *server,
                                          const char        *path,
                                          FaultKind          kind,
                                          guint              skip,
                                          int                times,
                                          guint              status,
                                          const char        *code,
                                          int                retry_after,
                                          const char        *body);
void         fault_server_clear_faults   (FaultServer       *server);
void         fault_server_set_mutation_func (FaultServer    *server,
                                          FaultMutationFunc  func,
                                          gpointer           user_data);
/* Requests seen for path, faults included; "changes?cursor=c10" counts
 * those asking for one page. */
guint        fault_server_count_requests (FaultServer       *server,
                                          const char        *path);
/* How often the mutation with this UUID was carried out (not replayed). */
guint        fault_server_count_applied  (FaultServer       *server,
                                          const char        *uuid);
/* Sign-ins and refreshes that succeeded. */
guint        fault_server_count_sign_ins (FaultServer       *server);
guint        fault_server_count_refreshes (FaultServer      *server);
/* Makes the current token fail with token_expired or token_revoked on
 * its next use. */
void         fault_server_expire_token   (FaultServer       *server,
                                          const char        *code);
/* Sends message as it is, in a text frame, to every open live
 * WebSocket; returns to how many. */
guint        fault_server_send_live      (FaultServer       *server,
                                          const char        *message,
                                          gsize              length);
/* Answers the WebSocket upgrade with 404, as a proxy in the way would. */
void         fault_server_refuse_live    (FaultServer       *server,
                                          gboolean           refuse);
/* The Accept-Encoding header of the last request. */
char        *fault_server_dup_accept_encoding (FaultServer  *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FaultServer, fault_server_free)

G_END_DECLS
