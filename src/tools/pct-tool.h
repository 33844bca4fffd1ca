/* pct-tool.h — precinct-tool's commands, callable from tests
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses shared by every command. */
enum
{
  PCT_TOOL_EXIT_OK      = 0,
  PCT_TOOL_EXIT_FAILURE = 1,   /* ran, but something was invalid or failed */
  PCT_TOOL_EXIT_USAGE   = 2,
};

int pct_tool_run (int    argc,
                  char **argv);

G_END_DECLS
