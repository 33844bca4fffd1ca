/* pct-command.c — the command lines of precinct-tool and precinct-hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>

#include "pct-command.h"

static void
print_usage (FILE             *out,
             const char       *program,
             const PctCommand *commands,
             guint             n_commands)
{
  g_autoptr(GString) text = g_string_new (NULL);

  /* Translators: %s is the program, precinct-tool or precinct-hub. */
  g_string_append_printf (text, _("Usage: %s COMMAND [OPTION…]"), program);
  g_string_append_printf (text, "\n\n%s\n", _("Commands:"));
  for (guint i = 0; i < n_commands; i++)
    g_string_append_printf (text, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  g_string_append_c (text, '\n');
  /* Translators: %s is the program, precinct-tool or precinct-hub. */
  g_string_append_printf (text, _("Run “%s COMMAND --help” for a command’s options."), program);
  g_string_append_c (text, '\n');
  fputs (text->str, out);
}

int
pct_command_dispatch (const char        *program,
                      const PctCommand  *commands,
                      guint              n_commands,
                      int                argc,
                      char             **argv)
{
  if (argc < 2)
    {
      print_usage (stderr, program, commands, n_commands);
      return PCT_COMMAND_EXIT_USAGE;
    }

  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      print_usage (stdout, program, commands, n_commands);
      return PCT_COMMAND_EXIT_OK;
    }

  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("%s %s\n", program, PACKAGE_VERSION);
      return PCT_COMMAND_EXIT_OK;
    }

  for (guint i = 0; i < n_commands; i++)
    {
      if (g_str_equal (argv[1], commands[i].name))
        {
          /* Option help then reads "precinct-tool gen [OPTION…]". */
          g_autofree char *prgname = g_strdup_printf ("%s %s", program, commands[i].name);

          g_set_prgname (prgname);
          return commands[i].func (argc - 1, argv + 1);
        }
    }

  /* Translators: first the program, then what was typed as its command. */
  g_printerr (_("%s: unknown command “%s”"), program, argv[1]);
  g_printerr ("\n\n");
  print_usage (stderr, program, commands, n_commands);
  return PCT_COMMAND_EXIT_USAGE;
}

int
pct_command_usage_error (GOptionContext *context,
                         const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("%s\n\n%s", message, help);
  return PCT_COMMAND_EXIT_USAGE;
}

gboolean
pct_command_parse_options (GOptionContext  *context,
                           int             *argc,
                           char          ***argv,
                           int             *status)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = pct_command_usage_error (context, error->message);
      return FALSE;
    }
  return TRUE;
}
