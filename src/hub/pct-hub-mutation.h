/* pct-hub-mutation.h — reading the mutations clients push, and what any
 * storage answers about them
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What does not depend on where the data lives: the envelope of a
 * mutation, which role may make which, typed access to JSON members, and
 * the result objects of docs/api.md. A storage backend reads and writes
 * the records; these rules stay the same for every backend.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "pct-roles.h"

G_BEGIN_DECLS

/* Why a mutation is rejected: the `code` of a rejected result. */
#define PCT_HUB_REJECTION (pct_hub_rejection_quark ())

typedef enum
{
  PCT_HUB_REJECTED_INVALID_REQUEST,
  PCT_HUB_REJECTED_FORBIDDEN,
  PCT_HUB_REJECTED_NOT_FOUND,
  PCT_HUB_REJECTED_INVALID_REFERENCE,
  PCT_HUB_REJECTED_INVALID_TRANSITION,
  PCT_HUB_REJECTED_INVALID_VALUE,
} PctHubRejection;

typedef enum
{
  PCT_HUB_OP_CREATE,
  PCT_HUB_OP_UPDATE,
  PCT_HUB_OP_ACTION,
} PctHubOp;

/* A mutation's envelope; the strings and data belong to the JSON object
 * it was read from. */
typedef struct
{
  const char  *uuid;
  const char  *entity;
  PctHubOp     op;
  gint64       id;             /* 0 for a create */
  gint64       base_version;   /* -1 for a create */
  JsonObject  *data;
} PctHubMutation;

GQuark       pct_hub_rejection_quark       (void);
const char  *pct_hub_rejection_to_string   (PctHubRejection   code);

/* The uuid member alone, for a result even when the rest is wrong; NULL
 * when there is none that is a UUID. */
const char  *pct_hub_mutation_peek_uuid    (JsonObject       *object);
/* Reads and checks the envelope: members, their types, an entity and op
 * that go together. Rejections come as PCT_HUB_REJECTION errors. */
gboolean     pct_hub_mutation_parse        (JsonObject       *object,
                                            PctHubMutation   *mutation,
                                            GError          **error);
/* Whether role may make such mutations at all (work-order actions are
 * checked action by action by pct_workflow_transition()). */
gboolean     pct_hub_mutation_check_role   (const PctHubMutation *mutation,
                                            PctRole           role,
                                            GError          **error);
/* The rejection an error of the core (records, workflow, store
 * constraints) amounts to; FALSE when it is a failure of the storage
 * itself, which rejects nothing but fails the whole request. */
gboolean     pct_hub_rejection_from_error  (const GError     *error,
                                            PctHubRejection  *code);

/* Rejects an object holding a member not listed in allowed (NULL-
 * terminated); what names the object in the message. */
gboolean     pct_hub_json_check_members    (JsonObject          *object,
                                            const char * const  *allowed,
                                            const char          *what,
                                            GError             **error);
/* An integer member (a number without a fraction); absent or null sets
 * *present FALSE, or fails when required. */
gboolean     pct_hub_json_get_int          (JsonObject       *object,
                                            const char       *name,
                                            gboolean          required,
                                            gint64           *value,
                                            gboolean         *present,
                                            GError          **error);
/* A string member; absent or null gives NULL, or fails when required.
 * Required strings may not be empty. */
gboolean     pct_hub_json_get_string       (JsonObject       *object,
                                            const char       *name,
                                            gboolean          required,
                                            const char      **value,
                                            GError          **error);
/* A number member, finite. */
gboolean     pct_hub_json_get_double       (JsonObject       *object,
                                            const char       *name,
                                            gboolean          required,
                                            double           *value,
                                            gboolean         *present,
                                            GError          **error);

/* Result objects of docs/api.md, appended to out. */
void         pct_hub_append_applied        (GString          *out,
                                            const char       *uuid,
                                            gint64            id,
                                            gint64            version);
void         pct_hub_append_conflict       (GString          *out,
                                            const char       *uuid,
                                            const char       *current_record);
void         pct_hub_append_rejected       (GString          *out,
                                            const char       *uuid,
                                            PctHubRejection   code,
                                            const char       *reason);

G_END_DECLS
