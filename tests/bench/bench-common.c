/* bench-common.c — shared pieces of the benchmarks
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "bench"

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>

#include "bench-common.h"

#define BENCH_SEED 1
/* A fixed day, so every run measures the same district. */
#define BENCH_REFERENCE_TIME G_GINT64_CONSTANT (1793462400)   /* 2026-10-31 16:00 UTC */

PctDistrictSize
bench_size (const char **name)
{
  const char *env = g_getenv ("PRECINCT_BENCH_SIZE");
  PctDistrictSize size;

  if (env == NULL || !pct_district_size_from_string (env, &size))
    {
      env = "large";
      size = PCT_DISTRICT_LARGE;
    }
  if (name != NULL)
    *name = env;
  return size;
}

char *
bench_district (gboolean  regenerate,
                double   *gen_seconds)
{
  const char *size_name;
  PctDistrictSize size = bench_size (&size_name);
  const char *dir = g_getenv ("MESON_BUILD_ROOT");
  g_autofree char *data_dir = g_build_filename (dir ? dir : g_get_tmp_dir (), "bench-data", NULL);
  g_autofree char *file = g_strdup_printf ("district-%s-v%d.db", size_name, PCT_STORE_SCHEMA_VERSION);
  g_autofree char *path = g_build_filename (data_dir, file, NULL);
  g_autofree char *partial = g_strconcat (path, ".partial", NULL);
  g_autoptr(PctStore) store = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  *gen_seconds = -1;
  if (!regenerate && g_file_test (path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&path);

  g_mkdir_with_parents (data_dir, 0755);
  g_unlink (partial);

  start = g_get_monotonic_time ();
  store = pct_store_open (partial, PCT_STORE_OPEN_CREATE | PCT_STORE_OPEN_BULK, &error);
  if (store == NULL ||
      !pct_generate_district (store, size, BENCH_SEED, BENCH_REFERENCE_TIME, NULL, NULL, &error) ||
      !pct_store_exec (store, "PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE)", &error))
    g_error ("Cannot generate the %s district: %s", size_name, error->message);
  g_clear_object (&store);
  *gen_seconds = bench_ms_since (start) / 1000.0;

  if (g_rename (partial, path) != 0)
    g_error ("Cannot rename %s: %s", partial, g_strerror (errno));
  return g_steal_pointer (&path);
}

void
bench_report (const char *name,
              double      value,
              const char *unit)
{
  printf ("bench: %s %.3f %s\n", name, value, unit);
  fflush (stdout);
}

double
bench_ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_percentile (GArray *values_ms,
                  double  p)
{
  guint index;

  g_return_val_if_fail (values_ms->len > 0, 0);

  g_array_sort (values_ms, compare_doubles);
  index = (guint) (p / 100.0 * (values_ms->len - 1) + 0.5);
  return g_array_index (values_ms, double, MIN (index, values_ms->len - 1));
}
