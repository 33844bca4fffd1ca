/* test-workflow.c — the work-order transitions and plate life, every
 * state × action × role against a table written out again here
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-workflow"

#include "config.h"

#include <string.h>

#include "pct-workflow.h"

/* docs/api.md, "The mutations": from-states ("*" any open state), the
 * state reached ("=" unchanged) and the roles, as letters: d dispatcher,
 * c clerk, s supervisor, a admin. */
static const struct
{
  const char *action;
  const char *from;
  const char *to;
  const char *roles;
} expected_actions[] = {
  { "dispatch", "filed returned", "dispatched", "dsa" },
  { "return", "dispatched", "returned", "da" },
  { "dispose", "dispatched", "disposing", "da" },
  { "feedback", "disposing", "disposed", "da" },
  { "verify", "disposed", "verifying", "dsa" },
  { "rework", "verifying", "disposing", "dsa" },
  { "close", "verifying", "closed", "dsa" },
  { "evaluate", "closed", "evaluated", "sa" },
  { "void", "filed returned", "voided", "dsa" },
  { "park", "disposing", "parked", "sa" },
  { "resume", "parked", "disposing", "sa" },
  { "extend", "*", "=", "dsa" },
  { "escalate", "*", "=", "sa" },
};

static const char * const expected_states[] = {
  "filed", "dispatched", "disposing", "disposed", "verifying", "closed", "evaluated", "voided",
  "returned", "parked",
};

static const char * const expected_open[] = {
  "filed", "dispatched", "disposing", "disposed", "verifying", "returned", "parked",
};

static const struct
{
  PctRole role;
  char    letter;
} role_letters[] = {
  { PCT_ROLE_DISPATCHER, 'd' },
  { PCT_ROLE_CLERK, 'c' },
  { PCT_ROLE_SUPERVISOR, 's' },
  { PCT_ROLE_ADMIN, 'a' },
};

/* Not states of a work order: an incident's status, a typo, nothing. */
static const char * const not_states[] = { "reported", "Filed", "closed ", "", "open" };
static const char * const not_actions[] = { "file", "Dispatch", "", "delete", "unmask" };

static gboolean
word_in (const char *word,
         const char *words)
{
  g_auto(GStrv) list = g_strsplit (words, " ", -1);

  return g_strv_contains ((const char * const *) list, word);
}

static gboolean
state_open (const char *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected_open); i++)
    {
      if (g_str_equal (expected_open[i], state))
        return TRUE;
    }
  return FALSE;
}

static void
test_lists (void)
{
  const char * const *actions = pct_workflow_actions ();
  const char * const *states = pct_workflow_states ();

  g_assert_cmpuint (g_strv_length ((char **) actions), ==, G_N_ELEMENTS (expected_actions));
  for (guint i = 0; i < G_N_ELEMENTS (expected_actions); i++)
    g_assert_cmpstr (actions[i], ==, expected_actions[i].action);

  g_assert_cmpuint (g_strv_length ((char **) states), ==, G_N_ELEMENTS (expected_states));
  for (guint i = 0; i < G_N_ELEMENTS (expected_states); i++)
    {
      g_assert_true (g_strv_contains (states, expected_states[i]));
      g_assert_true (pct_workflow_state_is_valid (expected_states[i]));
      g_assert_cmpint (pct_workflow_state_is_open (expected_states[i]), ==,
                       state_open (expected_states[i]));
    }

  for (guint i = 0; i < G_N_ELEMENTS (not_states); i++)
    {
      g_assert_false (pct_workflow_state_is_valid (not_states[i]));
      g_assert_false (pct_workflow_state_is_open (not_states[i]));
    }
  g_assert_false (pct_workflow_state_is_valid (NULL));
  g_assert_false (pct_workflow_state_is_open (NULL));
}

/* Every state (and some that are not) × every action (and some that are
 * not) × every role. */
static void
test_every_transition (void)
{
  g_autoptr(GPtrArray) states = g_ptr_array_new ();
  guint n_allowed = 0;

  for (guint i = 0; i < G_N_ELEMENTS (expected_states); i++)
    g_ptr_array_add (states, (gpointer) expected_states[i]);
  for (guint i = 0; i < G_N_ELEMENTS (not_states); i++)
    g_ptr_array_add (states, (gpointer) not_states[i]);

  for (guint s = 0; s < states->len; s++)
    for (guint r = 0; r < G_N_ELEMENTS (role_letters); r++)
      {
        const char *state = g_ptr_array_index (states, s);
        PctRole role = role_letters[r].role;

        for (guint a = 0; a < G_N_ELEMENTS (expected_actions); a++)
          {
            g_autoptr(GError) error = NULL;
            const char *action = expected_actions[a].action;
            gboolean valid_state = s < G_N_ELEMENTS (expected_states);
            gboolean role_ok = strchr (expected_actions[a].roles, role_letters[r].letter) != NULL;
            gboolean from_ok = g_str_equal (expected_actions[a].from, "*")
                               ? state_open (state) : word_in (state, expected_actions[a].from);
            /* The caller's copy: the answer must not point into it. */
            g_autofree char *copy = g_strdup (state);
            const char *to = pct_workflow_transition (copy, action, role, &error);

            g_test_message ("%s × %s × %s", state, action, pct_role_to_string (role));
            g_assert_cmpint (pct_workflow_role_may (role, action), ==, role_ok);

            if (!valid_state)
              {
                g_assert_null (to);
                g_assert_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_INVALID_TRANSITION);
                continue;
              }
            if (!role_ok)
              {
                g_assert_null (to);
                g_assert_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_FORBIDDEN);
                g_assert_nonnull (strstr (error->message, pct_role_to_string (role)));
                continue;
              }
            if (!from_ok)
              {
                g_autofree char *prefix = g_strdup_printf ("A work order in state %s cannot be ",
                                                           state);

                g_assert_null (to);
                g_assert_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_INVALID_TRANSITION);
                g_assert_true (g_str_has_prefix (error->message, prefix));
                g_assert_true (g_str_has_suffix (error->message, "."));
                continue;
              }

            g_assert_no_error (error);
            g_assert_nonnull (to);
            g_assert_true (to != copy);
            if (g_str_equal (expected_actions[a].to, "="))
              g_assert_cmpstr (to, ==, state);
            else
              g_assert_cmpstr (to, ==, expected_actions[a].to);
            g_assert_true (pct_workflow_state_is_valid (to));
            n_allowed++;
          }

        for (guint a = 0; a < G_N_ELEMENTS (not_actions); a++)
          {
            g_autoptr(GError) error = NULL;

            g_assert_null (pct_workflow_transition (state, not_actions[a], role, &error));
            g_assert_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_UNKNOWN_ACTION);
            g_assert_false (pct_workflow_role_may (role, not_actions[a]));
          }
      }

  /* Counted from the table by hand (7 open states): dispatcher 17,
   * supervisor 24, admin 27, clerk none. */
  g_assert_cmpuint (n_allowed, ==, 17 + 24 + 27);
}

static void
test_messages (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (pct_workflow_transition ("closed", "dispatch", PCT_ROLE_DISPATCHER, &error));
  g_assert_cmpstr (error->message, ==, "A work order in state closed cannot be dispatched.");
  g_clear_error (&error);

  g_assert_null (pct_workflow_transition ("filed", "evaluate", PCT_ROLE_DISPATCHER, &error));
  g_assert_cmpstr (error->message, ==, "A dispatcher may not evaluate a work order.");
  g_clear_error (&error);

  g_assert_null (pct_workflow_transition ("filed", "dispatch", PCT_ROLE_CLERK, &error));
  g_assert_cmpstr (error->message, ==, "A clerk may not dispatch a work order.");
  g_clear_error (&error);

  g_assert_null (pct_workflow_transition ("evaluated", "extend", PCT_ROLE_ADMIN, &error));
  g_assert_cmpstr (error->message, ==, "A work order in state evaluated cannot be extended.");
  g_clear_error (&error);

  g_assert_null (pct_workflow_transition ("reported", "dispatch", PCT_ROLE_ADMIN, &error));
  g_assert_cmpstr (error->message, ==, "“reported” is not a state of a work order.");
  g_clear_error (&error);

  g_assert_null (pct_workflow_transition ("filed", "file", PCT_ROLE_ADMIN, &error));
  g_assert_cmpstr (error->message, ==, "“file” is not an action on a work order.");
  g_clear_error (&error);

  g_assert_null (pct_workflow_transition (NULL, NULL, PCT_ROLE_ADMIN, &error));
  g_assert_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_UNKNOWN_ACTION);
  g_clear_error (&error);

  /* A NULL error is allowed. */
  g_assert_null (pct_workflow_transition ("closed", "dispatch", PCT_ROLE_ADMIN, NULL));
}

/* A plate's life, every pair of statuses. */
static void
test_plates (void)
{
  static const char * const statuses[] = {
    "generated", "printed", "installed", "damaged", "lost", "revoked",
  };
  static const char * const allowed[] = {
    "generated>printed", "printed>installed", "printed>lost", "installed>damaged",
    "installed>lost", "generated>revoked", "printed>revoked", "installed>revoked",
    "damaged>revoked", "lost>revoked",
  };
  const char * const *listed = pct_workflow_plate_statuses ();
  guint n_allowed = 0;

  g_assert_cmpuint (g_strv_length ((char **) listed), ==, G_N_ELEMENTS (statuses));
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    g_assert_true (g_strv_contains (listed, statuses[i]));

  for (guint f = 0; f < G_N_ELEMENTS (statuses); f++)
    for (guint t = 0; t < G_N_ELEMENTS (statuses); t++)
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *pair = g_strdup_printf ("%s>%s", statuses[f], statuses[t]);
        gboolean expected = g_strv_contains (allowed, pair);
        gboolean ok = pct_workflow_plate_transition (statuses[f], statuses[t], &error);

        g_test_message ("%s", pair);
        g_assert_cmpint (ok, ==, expected);
        if (ok)
          {
            g_assert_no_error (error);
            n_allowed++;
          }
        else
          {
            g_assert_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_INVALID_TRANSITION);
            g_assert_nonnull (strstr (error->message, statuses[t]));
          }
      }
  g_assert_cmpuint (n_allowed, ==, G_N_ELEMENTS (allowed));

  {
    g_autoptr(GError) error = NULL;

    g_assert_false (pct_workflow_plate_transition ("installed", "printed", &error));
    g_assert_cmpstr (error->message, ==, "A plate that is installed cannot become printed.");
    g_clear_error (&error);
    g_assert_false (pct_workflow_plate_transition ("revoked", "installed", &error));
    g_assert_true (g_str_has_prefix (error->message, "A revoked plate cannot become installed"));
    g_clear_error (&error);
    g_assert_false (pct_workflow_plate_transition ("new", "printed", &error));
    g_assert_cmpstr (error->message, ==, "“new” is not a status of a plate.");
    g_clear_error (&error);
    g_assert_false (pct_workflow_plate_transition ("printed", NULL, &error));
    g_assert_error (error, PCT_WORKFLOW_ERROR, PCT_WORKFLOW_ERROR_INVALID_TRANSITION);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/workflow/lists", test_lists);
  g_test_add_func ("/workflow/every-transition", test_every_transition);
  g_test_add_func ("/workflow/messages", test_messages);
  g_test_add_func ("/workflow/plates", test_plates);

  return g_test_run ();
}
