/* pct-progress-bar.c — a progress bar on a terminal's stderr
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pct-tool"

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "pct-progress-bar.h"

#define BAR_WIDTH 30
#define FIRST_DRAW_USEC G_USEC_PER_SEC
#define REDRAW_USEC (G_USEC_PER_SEC / 10)

struct _PctProgressBar
{
  gint64   started;
  gint64   last_draw;
  gboolean is_tty;
  gboolean drawn;
};

PctProgressBar *
pct_progress_bar_new (void)
{
  PctProgressBar *bar = g_new0 (PctProgressBar, 1);

  bar->started = g_get_monotonic_time ();
  bar->is_tty = isatty (STDERR_FILENO);
  return bar;
}

void
pct_progress_bar_update (const char *what,
                         guint64     done,
                         guint64     total,
                         gpointer    user_data)
{
  PctProgressBar *bar = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autofree char *label = NULL;
  char cells[BAR_WIDTH + 1];
  guint filled;

  if (bar == NULL || !bar->is_tty)
    return;
  if (now - bar->started < FIRST_DRAW_USEC || now - bar->last_draw < REDRAW_USEC)
    return;
  bar->last_draw = now;
  bar->drawn = TRUE;

  filled = total > 0 ? (guint) (BAR_WIDTH * MIN (done, total) / total) : 0;
  for (guint i = 0; i < BAR_WIDTH; i++)
    cells[i] = i < filled ? '#' : '-';
  cells[BAR_WIDTH] = '\0';

  label = g_strdup (what ? what : "");
  if (total > 0)
    fprintf (stderr, "\r\033[K[%s] %3u%% %s (%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT ")",
             cells, (guint) (100 * MIN (done, total) / total), label, done, total);
  else
    fprintf (stderr, "\r\033[K%s %" G_GUINT64_FORMAT, label, done);
  fflush (stderr);
}

void
pct_progress_bar_finish (PctProgressBar *bar)
{
  if (bar != NULL && bar->drawn)
    {
      fprintf (stderr, "\r\033[K");
      fflush (stderr);
      bar->drawn = FALSE;
    }
}

void
pct_progress_bar_free (PctProgressBar *bar)
{
  if (bar == NULL)
    return;
  pct_progress_bar_finish (bar);
  g_free (bar);
}
