/* pct-incidents.h — live incidents for the map: loading, refreshing,
 * clustering on a screen grid, and reporting a new one
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

/* Where a live incident stands, from its own status and its open case. */
typedef enum
{
  PCT_INCIDENT_REPORTED,   /* 信息收集: waiting to be filed */
  PCT_INCIDENT_FILED,      /* 立案: a case, not yet (or again not) dispatched */
  PCT_INCIDENT_IN_HAND,    /* dispatched, being disposed of, or being verified */
  PCT_INCIDENT_PARKED,     /* 挂账/缓办: its clock stands still */
  PCT_INCIDENT_N_STATUSES
} PctIncidentStatus;

/* One live incident, projected once to normalised Web Mercator. */
typedef struct
{
  gint64  id;
  gint64  reported_at;     /* Unix seconds */
  gint64  deadline;        /* of its open case, extensions included; 0 = none */
  double  lon;
  double  lat;
  double  x;               /* pct_geo_mercator_project() of lon, lat */
  double  y;
  guint8  severity;        /* 1 lowest … 4 highest */
  guint8  status;          /* PctIncidentStatus */
  guint8  overdue;         /* open case past its deadline at the last update */
} PctIncident;

/* Where a reader stopped: rows beyond it are what changed since. */
typedef struct
{
  gint64  max_incident_id;
  gint64  incident_updated_at;
  gint64  max_order_id;
  gint64  order_updated_at;
} PctIncidentCursor;

/* What a screen shows, for clustering: the normalised bounds of the
 * visible area, the zoom level, and sizes in screen pixels. */
typedef struct
{
  double  min_x;
  double  min_y;
  double  max_x;
  double  max_y;
  double  zoom;
  double  tile_size;
  double  cell_size;
} PctIncidentView;

/* Visible incidents that share a grid cell. */
typedef struct
{
  double  x;               /* mean position of the members, normalised */
  double  y;
  guint   count;
  gint64  id;              /* the member of highest severity (the newest of those) */
  gint64  newest_reported_at;
  guint8  max_severity;
  guint8  status;          /* the member id's status */
  guint8  any_overdue;
  guint8  any_new;         /* a member reported at or after new_since */
} PctIncidentCluster;

typedef struct _PctIncidentSet     PctIncidentSet;
typedef struct _PctIncidentChanges PctIncidentChanges;

#define PCT_INCIDENT_CREATE_DEFAULT_SEVERITY 2

/* Reads what changed in the store since cursor (NULL: every live
 * incident, replacing whatever a set holds). Reads only; safe on a worker
 * thread's own store while the set is used elsewhere. */
PctIncidentChanges *pct_incident_changes_read   (PctStore                 *store,
                                                 const PctIncidentCursor  *cursor,
                                                 GError                  **error);
void                pct_incident_changes_free   (PctIncidentChanges       *changes);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctIncidentChanges, pct_incident_changes_free)

PctIncidentSet     *pct_incident_set_new        (void);
void                pct_incident_set_free       (PctIncidentSet           *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctIncidentSet, pct_incident_set_free)

/* The incidents, in no particular order; valid until the set changes. */
const PctIncident  *pct_incident_set_get_incidents (PctIncidentSet        *set,
                                                 guint                    *n_incidents);
const PctIncident  *pct_incident_set_lookup     (PctIncidentSet           *set,
                                                 gint64                    id);
/* Where the next pct_incident_changes_read() starts. */
void                pct_incident_set_get_cursor (PctIncidentSet           *set,
                                                 PctIncidentCursor        *cursor);
/* The most recent reported_at of the set, or 0 when it is empty. */
gint64              pct_incident_set_get_newest (PctIncidentSet           *set);
/* Applies changes read after this set's cursor (or a full read) and judges
 * overdue at now (Unix seconds). Returns the number of incidents added,
 * changed or removed. */
guint               pct_incident_set_apply      (PctIncidentSet           *set,
                                                 const PctIncidentChanges *changes,
                                                 gint64                    now);
/* Reads and applies in one go on the caller's thread; a set never loaded
 * reads everything. */
gboolean            pct_incident_set_refresh    (PctIncidentSet           *set,
                                                 PctStore                 *store,
                                                 gint64                    now,
                                                 guint                    *n_changed,
                                                 GError                  **error);
/* Deadlines pass without any row changing: judges overdue again at now.
 * TRUE when some flag changed. */
gboolean            pct_incident_set_update_overdue (PctIncidentSet       *set,
                                                 gint64                    now);
/* Groups the incidents within view's bounds by cells of cell_size pixels
 * at the whole zoom level nearest view->zoom (so that clusters hold still
 * while panning and during a zoom animation's fractions), anchored to the
 * world rather than the screen. Fills clusters (emptied first) with
 * PctIncidentCluster and returns the number of incidents in them. */
guint               pct_incident_set_cluster    (PctIncidentSet           *set,
                                                 const PctIncidentView    *view,
                                                 gint64                    new_since,
                                                 GArray                   *clusters);

/* Whether a case in this state is still open (not closed, evaluated or
 * voided), and whether it is overdue at now with these deadlines. */
gboolean            pct_incident_order_is_open  (const char               *state);
gboolean            pct_incident_order_is_overdue (const char             *state,
                                                 gint64                    deadline,
                                                 gint64                    extended_deadline,
                                                 gint64                    now);

/* Reports an incident at lon, lat as the operator: the row (a local,
 * negative key until the hub gives it one — see pct_outbox_rekey() — a
 * new UUID, reported now, status reported, the grid cell it falls in, the
 * nearest standard address within 50 m) and its outbox mutation (entity
 * incident, op create, id the local key, the record's data as payload) in
 * one transaction, for the sync engine to send. category_code must name
 * an event or component category; source is one the incidents table
 * allows. id receives the local key. */
gboolean            pct_incident_create         (PctStore                 *store,
                                                 const char               *category_code,
                                                 double                    lon,
                                                 double                    lat,
                                                 const char               *description,
                                                 const char               *source,
                                                 gint64                   *id,
                                                 GError                  **error);
/* The same with a severity (1–4) and the time of the report. */
gboolean            pct_incident_create_full    (PctStore                 *store,
                                                 const char               *category_code,
                                                 int                       severity,
                                                 double                    lon,
                                                 double                    lat,
                                                 const char               *description,
                                                 const char               *source,
                                                 gint64                    reported_at,
                                                 gint64                   *id,
                                                 GError                  **error);

G_END_DECLS
