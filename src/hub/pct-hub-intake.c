/* pct-hub-intake.c — incidents reported by outside channels: IoT sensors,
 * the 12345 hotline, grid workers' phones, and the hub's simulator
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "pct-hub-intake.h"
#include "pct-hub-mutation.h"
#include "pct-record.h"

#define MAX_EXTERNAL_ID_BYTES 1024

static const char * const report_members[] = {
  "category", "lat", "lon", "description", "reported_at", "source", "severity", "external_id",
  NULL
};

static const char * const sources[] = {
  "sensor", "hotline", "grid_worker", "citizen", "inspector", NULL
};

static gboolean
bad (char       **field,
     GError     **error,
     const char  *name,
     const char  *format,
     ...) G_GNUC_PRINTF (4, 5);

static gboolean
bad (char       **field,
     GError     **error,
     const char  *name,
     const char  *format,
     ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (PCT_HUB_REJECTION, PCT_HUB_REJECTED_INVALID_REQUEST, format,
                                 args);
  va_end (args);
  if (field != NULL)
    *field = g_strdup (name);
  return FALSE;
}

/* The member named in a typed getter's error is the field at fault. */
static gboolean
member_error (char       **field,
              const char  *name)
{
  if (field != NULL)
    *field = g_strdup (name);
  return FALSE;
}

static gboolean
digits (const char *text,
        guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
    }
  return TRUE;
}

gboolean
pct_hub_parse_rfc3339 (const char *text,
                       gint64     *unix_time)
{
  g_autoptr(GDateTime) time = NULL;
  const char *p = text;

  /* GLib reads ISO 8601 at large (week dates, ordinal days, no seconds);
   * RFC 3339 is the narrow form: YYYY-MM-DDTHH:MM:SS[.frac] and an offset. */
  if (strlen (text) < 20 || !digits (p, 4) || p[4] != '-' || !digits (p + 5, 2) || p[7] != '-' ||
      !digits (p + 8, 2) || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
      !digits (p + 11, 2) || p[13] != ':' || !digits (p + 14, 2) || p[16] != ':' ||
      !digits (p + 17, 2))
    return FALSE;
  p += 19;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'Z' || *p == 'z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      p++;
      if (!digits (p, 2))
        return FALSE;
      p += 2;
      if (*p == ':')
        {
          if (!digits (p + 1, 2))
            return FALSE;
          p += 3;
        }
    }
  else
    return FALSE;
  if (*p != '\0')
    return FALSE;

  /* No default zone: a text without an offset is refused. */
  time = g_date_time_new_from_iso8601 (text, NULL);
  if (time == NULL)
    return FALSE;
  *unix_time = g_date_time_to_unix (time);
  return TRUE;
}

static gboolean
check_position (PctHubStorage  *storage,
                double          lat,
                double          lon,
                char          **field,
                GError        **error)
{
  PctBBox extent;

  if (lat < -90 || lat > 90)
    return bad (field, error, "lat", _("“lat” must be a latitude, −90 to 90 degrees"));
  if (lon < -180 || lon > 180)
    return bad (field, error, "lon", _("“lon” must be a longitude, −180 to 180 degrees"));
  if (!pct_hub_storage_get_extent (storage, &extent, error))
    return FALSE;
  if (lat < extent.min_lat || lat > extent.max_lat)
    return bad (field, error, "lat",
                _("Latitude %.6f lies outside the district (%.6f to %.6f)"),
                lat, extent.min_lat, extent.max_lat);
  if (lon < extent.min_lon || lon > extent.max_lon)
    return bad (field, error, "lon",
                _("Longitude %.6f lies outside the district (%.6f to %.6f)"),
                lon, extent.min_lon, extent.max_lon);
  return TRUE;
}

gboolean
pct_hub_intake_submit (PctHubStorage  *storage,
                       gint64          channel_id,
                       JsonObject     *report,
                       gint64          now,
                       gint64         *id,
                       char          **uuid,
                       gboolean       *created,
                       char          **field,
                       GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  PctHubIntake intake = { .channel_id = channel_id, .source = "citizen", .severity = 2 };
  const char *category = NULL;
  const char *reported_at = NULL;
  gint64 severity = 2;
  gboolean has_severity = FALSE;

  g_return_val_if_fail (PCT_IS_HUB_STORAGE (storage), FALSE);
  g_return_val_if_fail (report != NULL, FALSE);

  if (field != NULL)
    *field = NULL;

  {
    JsonObjectIter iter;
    const char *name;

    json_object_iter_init (&iter, report);
    while (json_object_iter_next (&iter, &name, NULL))
      {
        if (!g_strv_contains (report_members, name))
          return bad (field, error, name, _("“%s” is not a member of an incident report"), name);
      }
  }

  if (!pct_hub_json_get_string (report, "category", TRUE, &category, error))
    return member_error (field, "category");
  if (!pct_hub_storage_find_category (storage, category, &intake.category_id, &local_error))
    {
      if (g_error_matches (local_error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_NOT_FOUND))
        return bad (field, error, "category", _("The district has no category with the code “%s”"),
                    category);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!pct_hub_json_get_double (report, "lat", TRUE, &intake.lat, NULL, error))
    return member_error (field, "lat");
  if (!pct_hub_json_get_double (report, "lon", TRUE, &intake.lon, NULL, error))
    return member_error (field, "lon");
  if (!check_position (storage, intake.lat, intake.lon, field, error))
    return FALSE;

  if (!pct_hub_json_get_string (report, "description", TRUE, &intake.description, error))
    return member_error (field, "description");
  if (strlen (intake.description) > PCT_RECORD_MAX_TEXT_BYTES)
    return bad (field, error, "description",
                _("“description” is longer than %d bytes"), PCT_RECORD_MAX_TEXT_BYTES);

  if (!pct_hub_json_get_string (report, "reported_at", TRUE, &reported_at, error))
    return member_error (field, "reported_at");
  if (!pct_hub_parse_rfc3339 (reported_at, &intake.reported_at))
    return bad (field, error, "reported_at",
                _("“%s” is not an RFC 3339 date and time with an offset, such as "
                  "2026-11-21T09:30:00+08:00"), reported_at);
  if (intake.reported_at > now + PCT_HUB_INTAKE_MAX_SKEW)
    return bad (field, error, "reported_at",
                _("“reported_at” lies more than five minutes in the future"));
  if (intake.reported_at < 0)
    return bad (field, error, "reported_at", _("“reported_at” lies before 1970"));

  if (!pct_hub_json_get_string (report, "source", FALSE, &intake.source, error))
    return member_error (field, "source");
  if (intake.source == NULL)
    intake.source = "citizen";
  else if (!g_strv_contains (sources, intake.source))
    return bad (field, error, "source",
                _("“%s” is not a source: sensor, hotline, grid_worker, citizen or inspector"),
                intake.source);

  if (!pct_hub_json_get_int (report, "severity", FALSE, &severity, &has_severity, error))
    return member_error (field, "severity");
  if (has_severity && (severity < 1 || severity > 4))
    return bad (field, error, "severity", _("“severity” must be 1 to 4"));
  intake.severity = (int) severity;

  if (!pct_hub_json_get_string (report, "external_id", FALSE, &intake.external_id, error))
    return member_error (field, "external_id");
  if (intake.external_id != NULL &&
      (*intake.external_id == '\0' || strlen (intake.external_id) > MAX_EXTERNAL_ID_BYTES))
    return bad (field, error, "external_id",
                _("“external_id” must be 1 to %d bytes"), MAX_EXTERNAL_ID_BYTES);

  if (!pct_hub_storage_intake_incident (storage, &intake, now, id, uuid, created, &local_error))
    {
      if (g_error_matches (local_error, PCT_HUB_STORAGE_ERROR, PCT_HUB_STORAGE_ERROR_INVALID))
        return bad (field, error, NULL, "%s", local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
