/* pct-outbox.h — the client's outbox of mutations, local keys, the audit log
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every change a client makes for the hub is written in the same
 * transaction as a row of the outbox table, which the sync engine sends in
 * order (docs/api.md, "Push"). Rows made locally get negative keys until
 * the hub's answer gives them their own.
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

/* An outbox row's payload is the mutation's "data" object as docs/api.md
 * gives it; the row's uuid, entity, op, entity_id and base_version are the
 * mutation's other members. New rows are in state "pending". */

/* Queues one mutation: entity "incident", "work_order", "plate" or
 * "audit" with an op docs/api.md allows for it ("create", "update",
 * "action"); entity_id is the record's key, negative for a create;
 * base_version the version the change was made against (0 = none, which
 * only a create may have, and a create must have); data_json one JSON
 * object. Must be called inside the transaction that makes the local
 * change, so that the two are written together or not at all: outside one
 * it fails. mutation_uuid, if not NULL, receives the mutation's UUID.
 * Bad arguments are PCT_STORE_ERROR_INVALID. */
gboolean  pct_outbox_add           (PctStore     *store,
                                    const char   *entity,
                                    const char   *op,
                                    gint64        entity_id,
                                    gint64        base_version,
                                    const char   *data_json,
                                    char        **mutation_uuid,
                                    GError      **error);

/* The key for a row created locally in table (the table of an entity with
 * integer keys, such as "incidents"): min(−1, min(id) − 1), so that it
 * never collides with a key the hub gives. 0 with error set on failure. */
gint64    pct_store_next_local_id  (PctStore     *store,
                                    const char   *table,
                                    GError      **error);

/* Gives a row created locally (entity "incident", "work_order" or
 * "audit"; local_id < 0) the key the hub answered with (server_id > 0),
 * and moves what refers to it along: work orders of an incident, events
 * of a work order, audit rows about it, the outbox rows of it, and the
 * "incident_id" and audit "entity_id" inside payloads still to be sent
 * (pending or sent). When a row with server_id exists already (the changes
 * feed brought it first), the references move to it and the local row is
 * deleted. Atomic (its own transaction, or a savepoint inside the
 * caller's). Done again after success, it changes nothing; when neither
 * row exists the error is PCT_STORE_ERROR_NOT_FOUND. */
gboolean  pct_outbox_rekey         (PctStore     *store,
                                    const char   *entity,
                                    gint64        local_id,
                                    gint64        server_id,
                                    GError      **error);

/* The same for the row of entity with this UUID, if it has a local key:
 * the sync engine calls it for each incident or work order of a changes
 * page before applying the page, so that a record the hub made from a
 * local row replaces that row instead of clashing with its UUID. rekeyed
 * (nullable) tells whether a local row was found. */
gboolean  pct_outbox_rekey_by_uuid (PctStore     *store,
                                    const char   *entity,
                                    const char   *uuid,
                                    gint64        server_id,
                                    gboolean     *rekeyed,
                                    GError      **error);

/* Takes the outbox row outbox_id, which the hub answered with a conflict
 * or a refusal, out of the list of changes the user is shown; the row
 * itself stays. PCT_STORE_ERROR_NOT_FOUND when there is no such row, or
 * it is not one of those, or it is already dismissed. */
gboolean  pct_outbox_dismiss       (PctStore     *store,
                                    gint64        outbox_id,
                                    GError      **error);

/* The same for each of the n_ids rows in outbox_ids, in one transaction:
 * the rows the user was shown, so that a problem recorded since is not
 * dismissed unseen. Rows that are not such problems, or are dismissed
 * already, are passed over; how many were dismissed in n_dismissed, which
 * may be NULL. */
gboolean  pct_outbox_dismiss_many  (PctStore     *store,
                                    const gint64 *outbox_ids,
                                    guint         n_ids,
                                    guint        *n_dismissed,
                                    GError      **error);

/* Writes a row of the audit log (a new UUID, now, the actor, what was done
 * to which field of which record and why) and its outbox mutation (entity
 * "audit", op "create", the row's local key) in one transaction. actor,
 * action and entity are required; entity_id 0, field NULL and reason NULL
 * mean none. */
gboolean  pct_audit_record         (PctStore     *store,
                                    const char   *actor,
                                    const char   *action,
                                    const char   *entity,
                                    gint64        entity_id,
                                    const char   *field,
                                    const char   *reason,
                                    GError      **error);

G_END_DECLS
