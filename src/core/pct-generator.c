/* pct-generator.c — runs the synthetic district's phases; the shared RNG
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The district is Jiangjin (江津区, GB/T 2260 500116) in name and position
 * only: its streets, roads, compounds and people are invented. One run is
 * one transaction, so a failure leaves the store as empty as it was.
 */

#define G_LOG_DOMAIN "pct-generator"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "pct-generator-private.h"
#include "pct-geo.h"

#define DISTRICT_CODE   "500116"
#define DISTRICT_NAME   "江津区"
#define CENTRE_LON      106.25
#define CENTRE_LAT      29.29

/* The large district's size; smaller ones keep its shape and density, so
 * their sides shrink with the square root of the scale. */
#define LARGE_WIDTH_M   12000.0
#define LARGE_HEIGHT_M  10000.0

/* Where the QR codes on plates point; a deployment sets its own. */
#define PLATE_BASE_URL  "https://precinct.district.local/p"

typedef gboolean (*PhaseFunc) (PctStore *store, const PctGenParams *params, GError **error);

static const struct
{
  const char *name;
  PhaseFunc   func;
} phases[] = {
  { "reference data", _pct_gen_reference_data },
  { "geography", _pct_gen_geography },
  { "workers", _pct_gen_workers },
  { "population", _pct_gen_population },
  { "cases", _pct_gen_cases },
};

static const struct
{
  const char     *name;
  PctDistrictSize size;
  double          scale;
} sizes[] = {
  { "small", PCT_DISTRICT_SMALL, 0.008 },
  { "medium", PCT_DISTRICT_MEDIUM, 0.1 },
  { "large", PCT_DISTRICT_LARGE, 1.0 },
};

/* SplitMix64: turns any 64-bit value, even 0 or a small counter, into a
 * well-mixed one; the usual way to seed xoshiro. */
static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x,
      int     k)
{
  return (x << k) | (x >> (64 - k));
}

void
pct_rng_init (PctRng     *rng,
              guint64     seed,
              const char *stream)
{
  /* FNV-1a of the stream name, so that streams differ even for seed 0 and
   * a stream's draws do not depend on any other stream's. */
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  guint64 state;

  g_return_if_fail (rng != NULL);

  for (const char *p = stream ? stream : ""; *p; p++)
    {
      hash ^= (guchar) *p;
      hash *= G_GUINT64_CONSTANT (0x100000001b3);
    }

  state = seed;
  state = splitmix64 (&state) ^ hash;
  for (guint i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&state);
}

guint64
pct_rng_next (PctRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);

  return result;
}

double
pct_rng_double (PctRng *rng)
{
  /* The top 53 bits fill a double's mantissa exactly. */
  return (pct_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

gint64
pct_rng_range (PctRng *rng,
               gint64  lo,
               gint64  hi)
{
  guint64 span, threshold, r;

  if (hi <= lo)
    return lo;

  span = (guint64) hi - (guint64) lo;
  /* Rejecting the low (2^64 mod span) values removes modulo bias. */
  threshold = (0 - span) % span;
  do
    r = pct_rng_next (rng);
  while (r < threshold);

  return (gint64) ((guint64) lo + r % span);
}

gboolean
pct_rng_chance (PctRng *rng,
                double  p)
{
  return pct_rng_double (rng) < p;
}

double
pct_rng_normal (PctRng *rng,
                double  mean,
                double  stddev)
{
  /* Box–Muller; 1 - u keeps the logarithm away from zero. Only one of the
   * pair is used so that the generator holds no hidden state. */
  double u = 1.0 - pct_rng_double (rng);
  double v = pct_rng_double (rng);

  return mean + stddev * sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

guint
pct_rng_weighted (PctRng       *rng,
                  const double *weights,
                  guint         n)
{
  double total = 0, r;

  g_return_val_if_fail (n > 0, 0);

  for (guint i = 0; i < n; i++)
    total += MAX (weights[i], 0.0);
  if (total <= 0)
    return 0;

  r = pct_rng_double (rng) * total;
  for (guint i = 0; i < n; i++)
    {
      double w = MAX (weights[i], 0.0);

      if (r < w)
        return i;
      r -= w;
    }

  /* Rounding can leave r a hair above the last weight. */
  for (guint i = n; i > 0; i--)
    if (weights[i - 1] > 0)
      return i - 1;
  return 0;
}

gboolean
pct_district_size_from_string (const char      *name,
                               PctDistrictSize *size)
{
  g_return_val_if_fail (size != NULL, FALSE);

  if (name == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      if (g_ascii_strcasecmp (name, sizes[i].name) == 0)
        {
          *size = sizes[i].size;
          return TRUE;
        }
    }
  return FALSE;
}

static const char *
size_name (PctDistrictSize size)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (sizes[i].size == size)
      return sizes[i].name;
  return NULL;
}

static double
size_scale (PctDistrictSize size)
{
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (sizes[i].size == size)
      return sizes[i].scale;
  return 0;
}

void
_pct_gen_district_extent (const PctGenParams *params,
                          PctBBox            *extent)
{
  PctGeoFrame frame;
  double half_w = LARGE_WIDTH_M * sqrt (params->scale) / 2;
  double half_h = LARGE_HEIGHT_M * sqrt (params->scale) / 2;

  pct_geo_frame_init (&frame, params->centre_lon, params->centre_lat);
  pct_geo_frame_to_lonlat (&frame, -half_w, -half_h, &extent->min_lon, &extent->min_lat);
  pct_geo_frame_to_lonlat (&frame, half_w, half_h, &extent->max_lon, &extent->max_lat);
}

void
_pct_gen_report (const PctGenParams *params,
                 const char         *what,
                 guint64             done,
                 guint64             total)
{
  if (params->progress == NULL)
    return;

  /* Stateless throttling: report when this item crosses a percent. */
  if (total == 0 || done == 0 || done >= total ||
      done * 100 / total != (done - 1) * 100 / total)
    params->progress (what, done, total, params->progress_data);
}

gboolean
_pct_gen_note_defect (PctStore    *store,
                      const char  *name,
                      gint64       count,
                      GError     **error)
{
  g_autofree char *current = pct_store_get_meta (store, "defects");
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;

  if (current != NULL)
    {
      root = json_from_string (current, NULL);
      if (root != NULL && !JSON_NODE_HOLDS_OBJECT (root))
        g_clear_pointer (&root, json_node_unref);
    }
  if (root == NULL)
    {
      root = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (root, json_object_new ());
    }

  object = json_node_get_object (root);
  json_object_set_int_member (object, name, count);

  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  return pct_store_set_meta (store, "defects", text, error);
}

static gboolean
store_is_empty (PctStore  *store,
                gboolean  *empty,
                GError   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "SELECT EXISTS (SELECT 1 FROM addresses)", error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      pct_store_set_sql_error (store, error, "checking for an existing district");
      sqlite3_reset (stmt);
      return FALSE;
    }
  *empty = sqlite3_column_int (stmt, 0) == 0;
  sqlite3_reset (stmt);
  return TRUE;
}

static char *
format_double (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
}

static char *
format_fixed7 (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.7f", v));
}

static gboolean
write_meta (PctStore            *store,
            const PctGenParams  *params,
            GError             **error)
{
  PctBBox extent;
  g_autofree char *min_lon = NULL, *min_lat = NULL, *max_lon = NULL, *max_lat = NULL;
  g_autofree char *extent_text = NULL;
  g_autofree char *centre_lon = format_double (params->centre_lon);
  g_autofree char *centre_lat = format_double (params->centre_lat);
  g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, params->seed);
  g_autofree char *reference_time = g_strdup_printf ("%" G_GINT64_FORMAT, params->reference_time);
  g_autofree char *grid_code_length = g_strdup_printf ("%u", 14u);

  _pct_gen_district_extent (params, &extent);
  min_lon = format_fixed7 (extent.min_lon);
  min_lat = format_fixed7 (extent.min_lat);
  max_lon = format_fixed7 (extent.max_lon);
  max_lat = format_fixed7 (extent.max_lat);
  extent_text = g_strjoin (",", min_lon, min_lat, max_lon, max_lat, NULL);

  return pct_store_set_meta (store, "district_name", DISTRICT_NAME, error) &&
         pct_store_set_meta (store, "district_code", params->district_code, error) &&
         pct_store_set_meta (store, "centre_lon", centre_lon, error) &&
         pct_store_set_meta (store, "centre_lat", centre_lat, error) &&
         pct_store_set_meta (store, "extent", extent_text, error) &&
         pct_store_set_meta (store, "grid_code_length", grid_code_length, error) &&
         pct_store_set_meta (store, "seed", seed, error) &&
         pct_store_set_meta (store, "size", size_name (params->size), error) &&
         pct_store_set_meta (store, "reference_time", reference_time, error) &&
         pct_store_set_meta (store, "plate_base_url", PLATE_BASE_URL, error);
}

gboolean
pct_generate_district (PctStore         *store,
                       PctDistrictSize   size,
                       guint64           seed,
                       gint64            reference_time,
                       PctProgressFunc   progress,
                       gpointer          progress_data,
                       GError          **error)
{
  PctGenParams params = {
    .size = size,
    .seed = seed,
    .reference_time = reference_time,
    .scale = size_scale (size),
    .district_code = DISTRICT_CODE,
    .centre_lon = CENTRE_LON,
    .centre_lat = CENTRE_LAT,
    .progress = progress,
    .progress_data = progress_data,
  };
  gboolean empty = FALSE;

  g_return_val_if_fail (PCT_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (params.scale <= 0)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("Unknown district size %d"), (int) size);
      return FALSE;
    }

  if (!pct_store_begin (store, error))
    return FALSE;

  /* Checked inside the transaction so that a concurrent writer cannot slip
   * a district in between the check and the first insert. */
  if (!store_is_empty (store, &empty, error))
    goto fail;
  if (!empty)
    {
      g_set_error (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID,
                   _("%s already holds a district; generate into an empty store"),
                   pct_store_get_path (store));
      goto fail;
    }

  for (guint i = 0; i < G_N_ELEMENTS (phases); i++)
    {
      gint64 started = g_get_monotonic_time ();

      _pct_gen_report (&params, phases[i].name, 0, 1);
      if (!phases[i].func (store, &params, error))
        {
          g_prefix_error (error, "%s: ", phases[i].name);
          goto fail;
        }
      _pct_gen_report (&params, phases[i].name, 1, 1);
      g_debug ("phase %s took %.2f s", phases[i].name,
               (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
    }

  if (!write_meta (store, &params, error) ||
      !pct_store_commit (store, error))
    goto fail;

  return TRUE;

fail:
  pct_store_rollback (store);
  return FALSE;
}

gboolean
_pct_gen_set_temp_cache_size (PctStore  *store,
                              int        size,
                              int       *previous,
                              GError   **error)
{
  sqlite3_stmt *stmt = pct_store_prepare (store, "PRAGMA temp.cache_size", error);
  g_autofree char *sql = NULL;

  if (stmt == NULL)
    return FALSE;
  if (previous != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    *previous = sqlite3_column_int (stmt, 0);
  sqlite3_reset (stmt);

  /* An integer, never outside data: formatting it into the pragma is safe. */
  sql = g_strdup_printf ("PRAGMA temp.cache_size = %d", size);
  return pct_store_exec (store, sql, error);
}
