/* pct-workflow.h — the work-order lifecycle of GB/T 30428.8 and plate life
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table of transitions, shared by the hub (which is authoritative) and
 * the client (which applies actions optimistically through its outbox).
 */

#pragma once

#include <glib.h>

#include "pct-roles.h"

G_BEGIN_DECLS

#define PCT_WORKFLOW_ERROR (pct_workflow_error_quark ())

typedef enum
{
  PCT_WORKFLOW_ERROR_UNKNOWN_ACTION,
  PCT_WORKFLOW_ERROR_INVALID_TRANSITION,
  PCT_WORKFLOW_ERROR_FORBIDDEN,
} PctWorkflowError;

GQuark       pct_workflow_error_quark      (void);

/* Every action name, NULL-terminated, in the order of docs/api.md. */
const char * const *pct_workflow_actions   (void);
/* Every work-order state, NULL-terminated ("reported" is an incident's
 * status, not a work order's). */
const char * const *pct_workflow_states    (void);
gboolean     pct_workflow_state_is_valid   (const char  *state);

/* Whether a work order in state is still open (neither closed, evaluated
 * nor voided). FALSE for anything that is not a state. */
gboolean     pct_workflow_state_is_open    (const char  *state);

/* Whether role may take action at all, whatever the state; FALSE for an
 * unknown action. For offering only the actions a user may take. */
gboolean     pct_workflow_role_may         (PctRole      role,
                                            const char  *action);

/* The state a work order in `state` reaches by `action` taken by `role`
 * (the same state for extend and escalate), or NULL with error set:
 * UNKNOWN_ACTION; INVALID_TRANSITION for a state that is not one, or one
 * the action does not start from ("A work order in state closed cannot be
 * dispatched."); FORBIDDEN when the role may not take the action in any
 * state (checked before the state). The returned string is static. */
const char  *pct_workflow_transition       (const char  *state,
                                            const char  *action,
                                            PctRole      role,
                                            GError     **error);

/* Every plate status, NULL-terminated. */
const char * const *pct_workflow_plate_statuses (void);
/* Whether a plate may go from one status to another: generated → printed
 * → installed → damaged or lost, printed → lost, and revoked from any
 * status but revoked. Otherwise INVALID_TRANSITION. */
gboolean     pct_workflow_plate_transition (const char  *from,
                                            const char  *to,
                                            GError     **error);

G_END_DECLS
