/* bench-start.c — how fast the app shows its district, and how much memory
 * a tour of the whole district takes
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the built `precinct --db DISTRICT` under the current display, as a
 * user would start it:
 *
 *   app_start_to_first_frame_ms   from spawning the process to the
 *                                 window's first painted frame
 *   app_start_to_map_ready_ms     … to the first frame with every tile of
 *                                 the first view drawn
 *   rss_after_tour_mb             peak resident memory (VmHWM) after
 *                                 panning and zooming across the whole
 *                                 district, waiting for the tiles each time
 *   rss_after_tour_cairo_mb       the same with GTK's Cairo renderer
 *
 * The window reports its frames on stderr when PRECINCT_REPORT_FIRST_FRAME
 * is set (see pct-window.c); this program times the lines as they arrive.
 * Start-up is measured several times and the median reported, after one
 * run that only warms the page cache, which a user's second start also
 * finds warm. Nothing here asserts on time.
 */

#define G_LOG_DOMAIN "bench-start"

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-common.h"

#define START_RUNS 5
/* A run that takes longer is stuck; the figure would mean nothing. */
#define RUN_TIMEOUT_SECONDS 900

typedef struct
{
  GSubprocess *process;
  gint64       deadline;
  gboolean     done;
  GMutex       lock;
} Watchdog;

static gpointer
watchdog_thread (gpointer data)
{
  Watchdog *watchdog = data;

  for (;;)
    {
      gboolean done;

      g_mutex_lock (&watchdog->lock);
      done = watchdog->done;
      g_mutex_unlock (&watchdog->lock);
      if (done)
        return NULL;
      if (g_get_monotonic_time () > watchdog->deadline)
        {
          g_printerr ("The app did not finish within %d s; stopping it\n", RUN_TIMEOUT_SECONDS);
          g_subprocess_force_exit (watchdog->process);
          return NULL;
        }
      g_usleep (100 * 1000);
    }
}

/* Runs the app with extra environment and returns, for each stderr line
 * that starts with one of keys, the milliseconds from spawning to that
 * line (spawn_ms) and the number on it (value). */
static void
run_app (const char  *district,
         const char **env,
         const char **keys,
         double      *spawn_ms,
         double      *value)
{
  const char *root = g_getenv ("MESON_BUILD_ROOT");
  g_autofree char *exe = g_build_filename (root ? root : ".", "src", "precinct", NULL);
  g_autofree char *schemas = g_build_filename (root ? root : ".", "data", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GThread) thread = NULL;
  Watchdog watchdog = { 0 };
  char *line;
  gint64 start;
  guint n_keys = g_strv_length ((char **) keys);

  for (guint i = 0; i < n_keys; i++)
    spawn_ms[i] = value[i] = -1;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  /* The build tree's settings schema, in memory: no saved window state
   * or map position changes what is drawn first. */
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", schemas, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_setenv (launcher, "NO_AT_BRIDGE", "1", TRUE);
  for (guint i = 0; env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);

  start = g_get_monotonic_time ();
  process = g_subprocess_launcher_spawn (launcher, &error, exe, "--db", district, NULL);
  if (process == NULL)
    g_error ("Cannot start %s: %s", exe, error->message);

  g_mutex_init (&watchdog.lock);
  watchdog.process = process;
  watchdog.deadline = start + RUN_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  thread = g_thread_new ("watchdog", watchdog_thread, &watchdog);

  lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  while ((line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error)) != NULL)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < n_keys; i++)
        {
          if (g_str_has_prefix (line, keys[i]) && line[strlen (keys[i])] == ' ')
            {
              spawn_ms[i] = bench_ms_since (start);
              value[i] = g_ascii_strtod (line + strlen (keys[i]) + 1, NULL);
              known = TRUE;
            }
        }
      /* Warnings and the like: worth seeing next to the figures. */
      if (!known)
        g_printerr ("app: %s\n", line);
      g_free (line);
    }

  g_subprocess_wait (process, NULL, NULL);
  g_mutex_lock (&watchdog.lock);
  watchdog.done = TRUE;
  g_mutex_unlock (&watchdog.lock);
  g_thread_join (g_steal_pointer (&thread));
  g_mutex_clear (&watchdog.lock);

  if (!g_subprocess_get_successful (process))
    g_printerr ("The app exited with status %d\n", g_subprocess_get_status (process));
}

int
main (int   argc,
      char *argv[])
{
  const char *size_name;
  double gen_seconds;
  g_autofree char *district = NULL;
  g_autoptr(GArray) first_frame = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) map_ready = g_array_new (FALSE, FALSE, sizeof (double));
  const char *start_env[] = {
    "PRECINCT_REPORT_FIRST_FRAME", "1",
    "PRECINCT_EXIT_AFTER_FIRST_FRAME", "1",
    NULL,
  };
  const char *start_keys[] = { "first-frame", "map-ready", NULL };
  const char *tour_env[] = { "PRECINCT_TOUR", "1", NULL };
  /* The same with GTK's Cairo renderer. Under Xvfb the default GL
   * renderer is Mesa's software one, whose copies of every texture count
   * in the process's memory where a GPU's would not. */
  const char *tour_cairo_env[] = { "PRECINCT_TOUR", "1", "GSK_RENDERER", "cairo", NULL };
  const char *tour_keys[] = { "map-ready", "map-ready-rss-mb", "tour-steps", "peak-rss-mb", NULL };
  double spawn_ms[4], value[4];

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("No display: run the benchmarks under Xvfb, as build-aux/dev test does:\n"
                  "  xvfb-run -a meson test --benchmark\n");
      return EXIT_FAILURE;
    }

  bench_size (&size_name);
  district = bench_district (FALSE, &gen_seconds);
  g_print ("District: %s (%s)\n", district, size_name);

  /* One run to warm the page cache and the font cache. */
  run_app (district, start_env, start_keys, spawn_ms, value);
  for (guint i = 0; i < START_RUNS; i++)
    {
      run_app (district, start_env, start_keys, spawn_ms, value);
      if (spawn_ms[0] < 0 || spawn_ms[1] < 0)
        g_error ("The app did not report its first frames");
      g_print ("run %u: first frame %.0f ms (app: %.0f ms since exec), map ready %.0f ms\n",
               i + 1, spawn_ms[0], value[0], spawn_ms[1]);
      g_array_append_val (first_frame, spawn_ms[0]);
      g_array_append_val (map_ready, spawn_ms[1]);
    }
  bench_report ("app_start_to_first_frame_ms", bench_percentile (first_frame, 50), "ms");
  bench_report ("app_start_to_map_ready_ms", bench_percentile (map_ready, 50), "ms");

  run_app (district, tour_env, tour_keys, spawn_ms, value);
  if (value[3] < 0)
    g_error ("The app did not finish its tour");
  g_print ("tour: %.0f steps in %.1f s; %.0f MB when the first view was drawn\n",
           value[2], (spawn_ms[3] - spawn_ms[0]) / 1000.0, value[1]);
  bench_report ("rss_after_tour_mb", value[3], "MB");

  run_app (district, tour_cairo_env, tour_keys, spawn_ms, value);
  if (value[3] < 0)
    g_error ("The app did not finish its tour");
  g_print ("tour (Cairo renderer): %.0f steps in %.1f s; %.0f MB when the first view was drawn\n",
           value[2], (spawn_ms[3] - spawn_ms[0]) / 1000.0, value[1]);
  bench_report ("rss_after_tour_cairo_mb", value[3], "MB");

  return EXIT_SUCCESS;
}
