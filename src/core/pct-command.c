/* pct-command.c — the command lines of precinct-tool and precinct-hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

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

void
pct_command_free_password (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

char *
pct_command_read_password (const char  *user,
                           GError     **error)
{
  g_autoptr(GString) line = g_string_new (NULL);
  struct termios saved;
  gboolean terminal = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0;
  gboolean valid;
  int c;

  if (terminal)
    {
      struct termios quiet = saved;

      g_printerr (_("Password for %s: "), user);
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }

  /* One byte past the limit is enough to refuse the line. */
  while ((c = getchar ()) != EOF && c != '\n')
    {
      if (line->len <= PCT_COMMAND_MAX_PASSWORD + 1)
        g_string_append_c (line, (char) c);
    }
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);

  if (terminal)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }

  if (c == EOF && line->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("No password on standard input"));
      return NULL;
    }

  valid = line->len > 0 && line->len <= PCT_COMMAND_MAX_PASSWORD &&
          g_utf8_validate_len (line->str, line->len, NULL);
  if (!valid)
    {
      explicit_bzero (line->str, line->len);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The password must be one line of 1 to %d bytes of UTF-8 text"),
                   PCT_COMMAND_MAX_PASSWORD);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}
