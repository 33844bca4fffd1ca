/* pct-details.h — what the details panel says about one map feature
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-store.h"

G_BEGIN_DECLS

/* One line of the details: a translated label and its value. key is a
 * stable, untranslated name for the line ("code", "plate_status", …);
 * group is the translated title of the group it belongs to, NULL for the
 * feature's own first group. */
typedef struct
{
  char *key;
  char *group;
  char *label;
  char *value;
} PctDetailsRow;

/* A feature the details mention that can be shown in its turn: the
 * address of a unit, the units in a building, … */
typedef struct
{
  PctLayer  layer;
  gint64    id;
  char     *title;
  char     *subtitle;
  double    lon;
  double    lat;
} PctDetailsRelated;

typedef struct
{
  PctLayer   layer;
  gint64     id;
  char      *title;
  char      *subtitle;
  double     lon;
  double     lat;
  GPtrArray *rows;      /* PctDetailsRow*, in display order */
  GPtrArray *related;   /* PctDetailsRelated* */
} PctDetails;

/* The details of one feature of a map layer (addresses, buildings, units,
 * facilities, incidents, grid cells). Personal data comes masked: names
 * of people, phone numbers and plate tokens. now (Unix seconds) decides
 * whether an open work order is overdue. NULL with PCT_STORE_ERROR_NOT_FOUND
 * when there is no such feature. */
PctDetails  *pct_details_query      (PctStore         *store,
                                     PctLayer          layer,
                                     gint64            id,
                                     gint64            now,
                                     GError          **error);
void         pct_details_free       (PctDetails       *details);
/* The value of the row with that key, or NULL. */
const char  *pct_details_get_value  (const PctDetails *details,
                                     const char       *key);

/* The label of a layer's kind of feature in the singular: "Address". */
const char  *pct_details_layer_label (PctLayer        layer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctDetails, pct_details_free)

G_END_DECLS
