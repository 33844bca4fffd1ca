/* pct-hub-command.h — precinct-hub's commands, callable from tests
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "pct-command.h"

G_BEGIN_DECLS

/* Exit statuses: those of pct-command.h. */
enum
{
  PCT_HUB_EXIT_OK      = PCT_COMMAND_EXIT_OK,
  PCT_HUB_EXIT_FAILURE = PCT_COMMAND_EXIT_FAILURE,
  PCT_HUB_EXIT_USAGE   = PCT_COMMAND_EXIT_USAGE,
};

int pct_hub_run (int    argc,
                 char **argv);

G_END_DECLS
