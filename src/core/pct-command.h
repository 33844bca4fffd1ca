/* pct-command.h — the command lines of precinct-tool and precinct-hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both programs take a command, then its options: `precinct-tool sync
 * --db …`, `precinct-hub serve --db …`. This is the part they share:
 * finding the command, the usage text, and how a wrong option is told.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses of both programs. */
enum
{
  PCT_COMMAND_EXIT_OK      = 0,
  PCT_COMMAND_EXIT_FAILURE = 1,   /* ran, but something was invalid or failed */
  PCT_COMMAND_EXIT_USAGE   = 2,
};

/* argv[0] is the command's name. */
typedef int (*PctCommandFunc) (int    argc,
                               char **argv);

typedef struct
{
  const char     *name;
  PctCommandFunc  func;
  const char     *summary;   /* N_() marked; translated when printed */
} PctCommand;

/* Runs the command argv[1] names, with the program's name and the
 * command's as the program name its option help shows; answers --help,
 * --version and unknown commands. */
int       pct_command_dispatch      (const char        *program,
                                     const PctCommand  *commands,
                                     guint              n_commands,
                                     int                argc,
                                     char             **argv);
/* Prints message and the command's help; returns PCT_COMMAND_EXIT_USAGE. */
int       pct_command_usage_error   (GOptionContext    *context,
                                     const char        *message);
/* Parses the options; on failure tells why, sets *status and returns
 * FALSE. */
gboolean  pct_command_parse_options (GOptionContext    *context,
                                     int               *argc,
                                     char            ***argv,
                                     int               *status);

/* One line of standard input, without its line end: a password of 1 to
 * PCT_COMMAND_MAX_PASSWORD bytes of UTF-8. On a terminal, "Password for
 * USER:" is asked on standard error and the typing is not echoed. Free
 * it with pct_command_free_password(). */
#define PCT_COMMAND_MAX_PASSWORD 1024

char     *pct_command_read_password (const char        *user,
                                     GError           **error);
/* Overwrites the password, then frees it. */
void      pct_command_free_password (char              *password);

G_END_DECLS
