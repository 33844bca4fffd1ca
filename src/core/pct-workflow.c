/* pct-workflow.c — the work-order lifecycle of GB/T 30428.8 and plate life
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The transitions are data: one row per action with the states it starts
 * from, the state it reaches and the roles that may take it. The hub
 * decides with this table whether a mutation is applied; the client asks
 * the same table before it offers an action, so that the two never
 * disagree about what a case may do next. docs/api.md shows the table.
 */

#define G_LOG_DOMAIN "pct-workflow"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "pct-workflow.h"

#define ROLE(r) (1u << (r))
#define DISPATCHER ROLE (PCT_ROLE_DISPATCHER)
#define SUPERVISOR ROLE (PCT_ROLE_SUPERVISOR)
#define ADMIN      ROLE (PCT_ROLE_ADMIN)

typedef struct
{
  const char         *action;
  const char * const *from;        /* NULL: any open state */
  const char         *to;          /* NULL: the state stays as it is */
  guint               roles;       /* ROLE () bits */
  /* Whole sentences, for translators: the state, then the role. */
  const char         *invalid;
  const char         *forbidden;
} Transition;

static const char * const states[] = {
  "filed", "dispatched", "disposing", "disposed", "verifying", "closed", "evaluated",
  "voided", "returned", "parked", NULL
};

static const char * const closed_states[] = { "closed", "evaluated", "voided", NULL };

static const char * const from_filed_returned[] = { "filed", "returned", NULL };
static const char * const from_dispatched[] = { "dispatched", NULL };
static const char * const from_disposing[] = { "disposing", NULL };
static const char * const from_disposed[] = { "disposed", NULL };
static const char * const from_verifying[] = { "verifying", NULL };
static const char * const from_closed[] = { "closed", NULL };
static const char * const from_parked[] = { "parked", NULL };

/* In the order of docs/api.md. An admin may take every action, so the
 * article of "A %s may not …" never meets a vowel. */
static const Transition transitions[] = {
  { "dispatch", from_filed_returned, "dispatched", DISPATCHER | SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be dispatched."),
    N_("A %s may not dispatch a work order.") },
  { "return", from_dispatched, "returned", DISPATCHER | ADMIN,
    N_("A work order in state %s cannot be returned."),
    N_("A %s may not return a work order.") },
  { "dispose", from_dispatched, "disposing", DISPATCHER | ADMIN,
    N_("A work order in state %s cannot be taken in hand."),
    N_("A %s may not take a work order in hand.") },
  { "feedback", from_disposing, "disposed", DISPATCHER | ADMIN,
    N_("A work order in state %s cannot be reported as disposed."),
    N_("A %s may not report a work order as disposed.") },
  { "verify", from_disposed, "verifying", DISPATCHER | SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be verified."),
    N_("A %s may not verify a work order.") },
  { "rework", from_verifying, "disposing", DISPATCHER | SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be sent back for rework."),
    N_("A %s may not send a work order back for rework.") },
  { "close", from_verifying, "closed", DISPATCHER | SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be closed."),
    N_("A %s may not close a work order.") },
  { "evaluate", from_closed, "evaluated", SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be evaluated."),
    N_("A %s may not evaluate a work order.") },
  { "void", from_filed_returned, "voided", DISPATCHER | SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be voided."),
    N_("A %s may not void a work order.") },
  { "park", from_disposing, "parked", SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be parked."),
    N_("A %s may not park a work order.") },
  { "resume", from_parked, "disposing", SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be resumed."),
    N_("A %s may not resume a work order.") },
  { "extend", NULL, NULL, DISPATCHER | SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be extended."),
    N_("A %s may not extend a work order.") },
  { "escalate", NULL, NULL, SUPERVISOR | ADMIN,
    N_("A work order in state %s cannot be escalated."),
    N_("A %s may not escalate a work order.") },
};

static const char *action_names[G_N_ELEMENTS (transitions) + 1];

/* Plates: generated → printed → installed → damaged or lost; a printed
 * plate may be lost before it is installed; any plate but a revoked one
 * may be revoked. */
static const char * const plate_statuses[] = {
  "generated", "printed", "installed", "damaged", "lost", "revoked", NULL
};

static const struct
{
  const char *from;
  const char *to;
} plate_moves[] = {
  { "generated", "printed" },
  { "printed", "installed" },
  { "printed", "lost" },
  { "installed", "damaged" },
  { "installed", "lost" },
};

G_DEFINE_QUARK (pct-workflow-error-quark, pct_workflow_error)

/* Helpers ----------------------------------------------------------------- */

static gboolean
in_list (const char         *value,
         const char * const *list)
{
  return value != NULL && g_strv_contains (list, value);
}

static const Transition *
find_transition (const char *action)
{
  for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
    {
      if (g_strcmp0 (transitions[i].action, action) == 0)
        return &transitions[i];
    }
  return NULL;
}

/* The messages of the transitions table are formats with exactly one %s
 * (tests/core/test-workflow.c goes through them all); the compiler cannot
 * see that through the table. */
static void
set_error_one (GError           **error,
               PctWorkflowError   code,
               const char        *format,
               const char        *argument)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  g_set_error (error, PCT_WORKFLOW_ERROR, (gint) code, format, argument);
#pragma GCC diagnostic pop
}

/* Public API -------------------------------------------------------------- */

const char * const *
pct_workflow_actions (void)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised))
    {
      for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
        action_names[i] = transitions[i].action;
      action_names[G_N_ELEMENTS (transitions)] = NULL;
      g_once_init_leave (&initialised, 1);
    }
  return action_names;
}

const char * const *
pct_workflow_states (void)
{
  return states;
}

gboolean
pct_workflow_state_is_valid (const char *state)
{
  return in_list (state, states);
}

gboolean
pct_workflow_state_is_open (const char *state)
{
  return in_list (state, states) && !in_list (state, closed_states);
}

gboolean
pct_workflow_role_may (PctRole     role,
                       const char *action)
{
  const Transition *transition = find_transition (action);

  g_return_val_if_fail ((guint) role < PCT_N_ROLES, FALSE);

  return transition != NULL && (transition->roles & ROLE (role)) != 0;
}

const char *
pct_workflow_transition (const char  *state,
                         const char  *action,
                         PctRole      role,
                         GError     **error)
{
  const Transition *transition;
  gboolean from_ok;

  g_return_val_if_fail ((guint) role < PCT_N_ROLES, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  transition = find_transition (action);
  if (transition == NULL)
    {
      g_set_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_UNKNOWN_ACTION,
                   _("“%s” is not an action on a work order."), action ? action : "");
      return NULL;
    }

  if (!pct_workflow_state_is_valid (state))
    {
      g_set_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_INVALID_TRANSITION,
                   _("“%s” is not a state of a work order."), state ? state : "");
      return NULL;
    }

  /* Whether the role may take the action at all comes first: a clerk is
   * told that work orders are not theirs, not which state would do. */
  if ((transition->roles & ROLE (role)) == 0)
    {
      set_error_one (error, PCT_WORKFLOW_ERROR_FORBIDDEN, _(transition->forbidden),
                     pct_role_to_string (role));
      return NULL;
    }

  from_ok = transition->from != NULL ? in_list (state, transition->from)
                                     : pct_workflow_state_is_open (state);
  if (!from_ok)
    {
      set_error_one (error, PCT_WORKFLOW_ERROR_INVALID_TRANSITION, _(transition->invalid), state);
      return NULL;
    }

  if (transition->to == NULL)
    {
      /* The caller's string may not outlive it: hand back the table's. */
      for (guint i = 0; states[i] != NULL; i++)
        {
          if (strcmp (states[i], state) == 0)
            return states[i];
        }
      g_assert_not_reached ();
    }
  return transition->to;
}

const char * const *
pct_workflow_plate_statuses (void)
{
  return plate_statuses;
}

gboolean
pct_workflow_plate_transition (const char  *from,
                               const char  *to,
                               GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!in_list (from, plate_statuses) || !in_list (to, plate_statuses))
    {
      const char *bad = in_list (from, plate_statuses) ? to : from;

      g_set_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_INVALID_TRANSITION,
                   _("“%s” is not a status of a plate."), bad ? bad : "");
      return FALSE;
    }

  if (strcmp (to, "revoked") == 0 && strcmp (from, "revoked") != 0)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (plate_moves); i++)
    {
      if (strcmp (plate_moves[i].from, from) == 0 && strcmp (plate_moves[i].to, to) == 0)
        return TRUE;
    }

  if (strcmp (from, "revoked") == 0)
    g_set_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_INVALID_TRANSITION,
                 _("A revoked plate cannot become %s: a reissue is a new plate."), to);
  else
    g_set_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_INVALID_TRANSITION,
                 _("A plate that is %s cannot become %s."), from, to);
  return FALSE;
}
