/* pct-hub-command.h — precinct-hub's commands, callable from tests
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses, as precinct-tool's. */
enum
{
  PCT_HUB_EXIT_OK      = 0,
  PCT_HUB_EXIT_FAILURE = 1,   /* ran, but something was invalid or failed */
  PCT_HUB_EXIT_USAGE   = 2,
};

int pct_hub_run (int    argc,
                 char **argv);

G_END_DECLS
