/* pct-hub-simulator.c — a district's day of incidents, made up
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Demonstrations and load tests need incidents arriving as they do in a
 * command center: IoT manhole covers reporting a tilt, citizens calling the
 * 12345 hotline, grid workers reporting from the street. The reports are
 * drawn from the district's own categories, facilities and addresses and
 * go through pct_hub_intake_submit(), the intake outside channels use.
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "pct-hub-intake.h"
#include "pct-hub-simulator.h"

#define CHANNEL_NAME "simulator"
/* Places drawn from the district once, at the start. */
#define MAX_PLACES 2000
/* How far from an address a grid worker stands, in degrees (~20 m). */
#define JITTER_DEGREES 0.0002
/* A manhole cover counts as tilted past this angle. */
#define TILT_THRESHOLD 20

struct _PctHubSimulator
{
  GObject         parent_instance;

  PctHubStorage  *storage;
  double          per_minute;
  gint64          channel_id;
  GRand          *rand;
  PctBBox         extent;
  guint           timeout_id;
  guint64         count;
  guint           serial;

  GPtrArray      *manholes;           /* PctHubPlace: facilities with a 井盖 category */
  GPtrArray      *addresses;          /* PctHubPlace */
  GPtrArray      *categories;         /* PctHubCategory, all of them */
  GPtrArray      *hotline_categories; /* borrowed from categories */
  GPtrArray      *street_categories;  /* borrowed from categories */
};

G_DEFINE_FINAL_TYPE (PctHubSimulator, pct_hub_simulator, G_TYPE_OBJECT)

/* What citizens call 12345 about most (GB/T 30428.2 minor classes). */
static const char * const hotline_minors[] = {
  "暴露垃圾", "占道经营", "噪音", "乱堆物料", "道路不洁", "私搭乱建", "违章停车", "油烟",
  "积存垃圾渣土", "无照经营游商", "非法小广告", "绿地脏乱",
};

/* What a hotline operator or a grid worker writes down. */
static char *
hotline_description (GRand      *rand,
                     const char *place,
                     const char *minor)
{
  switch (g_rand_int_range (rand, 0, 3))
    {
    case 0:
      return g_strdup_printf ("12345热线：市民来电反映%s附近%s，请尽快处理", place, minor);
    case 1:
      return g_strdup_printf ("12345转办：%s一带%s问题突出，周边居民多次投诉", place, minor);
    default:
      return g_strdup_printf ("12345热线：群众反映%s门口%s，影响通行", place, minor);
    }
}

static char *
street_description (GRand      *rand,
                    const char *place,
                    const char *minor)
{
  switch (g_rand_int_range (rand, 0, 2))
    {
    case 0:
      return g_strdup_printf ("网格员巡查上报：%s，位置%s", minor, place);
    default:
      return g_strdup_printf ("网格员发现%s，地点%s，已拍照取证", minor, place);
    }
}

/* Catalogue ------------------------------------------------------------------ */

static gboolean
in_list (const char         *value,
         const char * const *list,
         guint               n)
{
  for (guint i = 0; i < n; i++)
    {
      if (g_strcmp0 (value, list[i]) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
load_catalogue (PctHubSimulator  *self,
                GError          **error)
{
  g_autoptr(GPtrArray) facilities = NULL;

  self->categories = pct_hub_storage_list_categories (self->storage, error);
  if (self->categories == NULL)
    return FALSE;
  for (guint i = 0; i < self->categories->len; i++)
    {
      PctHubCategory *category = g_ptr_array_index (self->categories, i);

      if (g_strcmp0 (category->kind, "event") != 0)
        continue;
      g_ptr_array_add (self->street_categories, category);
      if (in_list (category->minor, hotline_minors, G_N_ELEMENTS (hotline_minors)))
        g_ptr_array_add (self->hotline_categories, category);
    }
  /* A district with categories of its own: any event will do. */
  if (self->hotline_categories->len == 0)
    {
      for (guint i = 0; i < self->street_categories->len; i++)
        g_ptr_array_add (self->hotline_categories, g_ptr_array_index (self->street_categories, i));
    }

  facilities = pct_hub_storage_sample_places (self->storage, PCT_HUB_PLACE_FACILITY, MAX_PLACES,
                                              error);
  if (facilities == NULL)
    return FALSE;
  for (guint i = 0; i < facilities->len; i++)
    {
      PctHubPlace *place = g_ptr_array_index (facilities, i);

      if (place->category_minor != NULL && strstr (place->category_minor, "井盖") != NULL)
        g_ptr_array_add (self->manholes, g_ptr_array_steal_index_fast (facilities, i--));
    }

  g_clear_pointer (&self->addresses, g_ptr_array_unref);
  self->addresses = pct_hub_storage_sample_places (self->storage, PCT_HUB_PLACE_ADDRESS,
                                                   MAX_PLACES, error);
  if (self->addresses == NULL)
    return FALSE;

  if (self->addresses->len == 0 && self->manholes->len == 0)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                   _("The district has no addresses or facilities to report incidents at"));
      return FALSE;
    }
  if (self->street_categories->len == 0 && self->manholes->len == 0)
    {
      g_set_error (error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND,
                   _("The district has no categories of incidents"));
      return FALSE;
    }
  return pct_hub_storage_get_extent (self->storage, &self->extent, error);
}

static gboolean
ensure_channel (PctHubSimulator  *self,
                GError          **error)
{
  g_autoptr(PctHubChannel) channel = NULL;
  g_autoptr(GError) local_error = NULL;

  channel = pct_hub_storage_find_channel (self->storage, CHANNEL_NAME, &local_error);
  if (channel == NULL)
    {
      if (!g_error_matches (local_error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* The simulator files its reports itself: its channel has no key. */
      if (!pct_hub_storage_add_channel (self->storage, CHANNEL_NAME, NULL,
                                        g_get_real_time () / G_USEC_PER_SEC, error))
        return FALSE;
      channel = pct_hub_storage_find_channel (self->storage, CHANNEL_NAME, error);
      if (channel == NULL)
        return FALSE;
    }
  self->channel_id = channel->id;
  return TRUE;
}

/* Reports ------------------------------------------------------------------- */

static gpointer
pick (PctHubSimulator *self,
      GPtrArray       *items)
{
  return g_ptr_array_index (items, g_rand_int_range (self->rand, 0, (gint32) items->len));
}

static void
set_position (PctHubSimulator *self,
              JsonObject      *report,
              double           lon,
              double           lat)
{
  json_object_set_double_member (report, "lat",
                                 CLAMP (lat, self->extent.min_lat, self->extent.max_lat));
  json_object_set_double_member (report, "lon",
                                 CLAMP (lon, self->extent.min_lon, self->extent.max_lon));
}

static void
sensor_report (PctHubSimulator *self,
               JsonObject      *report,
               GDateTime       *now)
{
  PctHubPlace *cover = pick (self, self->manholes);
  int angle = g_rand_int_range (self->rand, TILT_THRESHOLD + 1, 46);
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d%H%M%S");
  g_autofree char *description = g_strdup_printf ("井盖倾斜 %d°", angle);
  g_autofree char *external_id = g_strdup_printf ("JG-%s-%s-%u", cover->label, stamp,
                                                  ++self->serial);

  json_object_set_string_member (report, "category", cover->category_code);
  set_position (self, report, cover->lon, cover->lat);
  json_object_set_string_member (report, "description", description);
  json_object_set_string_member (report, "source", "sensor");
  json_object_set_int_member (report, "severity", angle >= 35 ? 4 : 3);
  json_object_set_string_member (report, "external_id", external_id);
}

static void
hotline_report (PctHubSimulator *self,
                JsonObject      *report,
                GDateTime       *now)
{
  PctHubCategory *category = pick (self, self->hotline_categories);
  PctHubPlace *address = pick (self, self->addresses);
  g_autofree char *date = g_date_time_format (now, "%Y%m%d");
  g_autofree char *external_id = g_strdup_printf ("12345-%s-%06u", date, ++self->serial);
  g_autofree char *description = NULL;

  description = hotline_description (self->rand, address->label, category->minor);
  json_object_set_string_member (report, "category", category->code);
  set_position (self, report, address->lon, address->lat);
  json_object_set_string_member (report, "description", description);
  json_object_set_string_member (report, "source", "hotline");
  json_object_set_int_member (report, "severity", g_rand_int_range (self->rand, 1, 4));
  json_object_set_string_member (report, "external_id", external_id);
}

static void
street_report (PctHubSimulator *self,
               JsonObject      *report)
{
  PctHubCategory *category = pick (self, self->street_categories);
  PctHubPlace *address = pick (self, self->addresses);
  g_autofree char *description = NULL;

  description = street_description (self->rand, address->label, category->minor);
  json_object_set_string_member (report, "category", category->code);
  set_position (self, report,
                address->lon + g_rand_double_range (self->rand, -JITTER_DEGREES, JITTER_DEGREES),
                address->lat + g_rand_double_range (self->rand, -JITTER_DEGREES, JITTER_DEGREES));
  json_object_set_string_member (report, "description", description);
  json_object_set_string_member (report, "source", "grid_worker");
  json_object_set_int_member (report, "severity", g_rand_int_range (self->rand, 1, 4));
}

gboolean
pct_hub_simulator_report (PctHubSimulator  *self,
                          GError          **error)
{
  g_autoptr(GTimeZone) china = g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) now = g_date_time_new_now (china);
  g_autoptr(JsonObject) report = json_object_new ();
  g_autofree char *uuid = NULL;
  g_autofree char *field = NULL;
  g_autofree char *reported_at = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S+08:00");
  gboolean have_addresses, have_categories, created = FALSE;
  double draw = g_rand_double (self->rand);
  gint64 id = 0;

  g_return_val_if_fail (PCT_IS_HUB_SIMULATOR (self), FALSE);

  have_addresses = self->addresses->len > 0;
  have_categories = self->street_categories->len > 0;
  /* About four in ten from sensors, four from the hotline, two from grid
   * workers, as far as the district has the means. */
  if (self->manholes->len > 0 && (draw < 0.4 || !have_addresses || !have_categories))
    sensor_report (self, report, now);
  else if (draw < 0.8)
    hotline_report (self, report, now);
  else
    street_report (self, report);
  json_object_set_string_member (report, "reported_at", reported_at);

  if (!pct_hub_intake_submit (self->storage, self->channel_id, report,
                              g_date_time_to_unix (now), &id, &uuid, &created, &field, error))
    return FALSE;
  self->count++;
  g_debug ("Simulated incident %" G_GINT64_FORMAT " (%s)", id,
           json_object_get_string_member (report, "description"));
  return TRUE;
}

/* Timing -------------------------------------------------------------------- */

static void schedule (PctHubSimulator *self);

static gboolean
fire_cb (gpointer user_data)
{
  PctHubSimulator *self = user_data;
  g_autoptr(GError) error = NULL;

  self->timeout_id = 0;
  if (!pct_hub_simulator_report (self, &error))
    g_warning ("The simulator’s report was refused: %s", error->message);
  schedule (self);
  return G_SOURCE_REMOVE;
}

/* Exponential gaps between reports make a Poisson process of rate
 * per_minute. */
static void
schedule (PctHubSimulator *self)
{
  double u = g_rand_double (self->rand);
  double seconds = -log (1.0 - u) * 60.0 / self->per_minute;
  guint ms = (guint) CLAMP (seconds * 1000.0, 1.0, 24.0 * 3600.0 * 1000.0);

  self->timeout_id = g_timeout_add (ms, fire_cb, self);
}

/* GObject ------------------------------------------------------------------- */

static void
pct_hub_simulator_finalize (GObject *object)
{
  PctHubSimulator *self = (PctHubSimulator *) object;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_pointer (&self->hotline_categories, g_ptr_array_unref);
  g_clear_pointer (&self->street_categories, g_ptr_array_unref);
  g_clear_pointer (&self->categories, g_ptr_array_unref);
  g_clear_pointer (&self->manholes, g_ptr_array_unref);
  g_clear_pointer (&self->addresses, g_ptr_array_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_object (&self->storage);

  G_OBJECT_CLASS (pct_hub_simulator_parent_class)->finalize (object);
}

static void
pct_hub_simulator_class_init (PctHubSimulatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pct_hub_simulator_finalize;
}

static void
pct_hub_simulator_init (PctHubSimulator *self)
{
  self->rand = g_rand_new ();
  self->manholes = g_ptr_array_new_with_free_func ((GDestroyNotify) pct_hub_place_free);
  self->addresses = g_ptr_array_new_with_free_func ((GDestroyNotify) pct_hub_place_free);
  self->hotline_categories = g_ptr_array_new ();
  self->street_categories = g_ptr_array_new ();
}

/* Public API ---------------------------------------------------------------- */

PctHubSimulator *
pct_hub_simulator_new (PctHubStorage  *storage,
                       double          per_minute,
                       GError        **error)
{
  g_autoptr(PctHubSimulator) self = NULL;

  g_return_val_if_fail (PCT_IS_HUB_STORAGE (storage), NULL);
  g_return_val_if_fail (per_minute > 0 && isfinite (per_minute), NULL);

  self = g_object_new (PCT_TYPE_HUB_SIMULATOR, NULL);
  self->storage = g_object_ref (storage);
  self->per_minute = per_minute;
  if (!ensure_channel (self, error) || !load_catalogue (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
pct_hub_simulator_start (PctHubSimulator *self)
{
  g_return_if_fail (PCT_IS_HUB_SIMULATOR (self));

  if (self->timeout_id == 0)
    schedule (self);
}

void
pct_hub_simulator_stop (PctHubSimulator *self)
{
  g_return_if_fail (PCT_IS_HUB_SIMULATOR (self));

  g_clear_handle_id (&self->timeout_id, g_source_remove);
}

guint64
pct_hub_simulator_get_count (PctHubSimulator *self)
{
  g_return_val_if_fail (PCT_IS_HUB_SIMULATOR (self), 0);
  return self->count;
}
