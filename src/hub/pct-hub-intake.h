/* pct-hub-intake.h — incidents reported by outside channels
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "pct-hub-storage.h"

G_BEGIN_DECLS

/* How far in the future a report's time may lie, for clocks that are a
 * little ahead. */
#define PCT_HUB_INTAKE_MAX_SKEW 300

/* Checks a report (the body of POST /api/v1/incidents, docs/api.md) and
 * files it for the channel. A bad report is a PCT_HUB_REJECTION error
 * (invalid_request) with *field naming the member; any other error is the
 * storage's. created is FALSE when the channel sent this external_id
 * before: id and uuid are then the first incident's. */
gboolean  pct_hub_intake_submit (PctHubStorage  *storage,
                                 gint64          channel_id,
                                 JsonObject     *report,
                                 gint64          now,
                                 gint64         *id,
                                 char          **uuid,
                                 gboolean       *created,
                                 char          **field,
                                 GError        **error);

/* Whether text is an RFC 3339 date and time with its offset from UTC
 * (Z, ±hh:mm, or ±hh as GLib writes it); *unix_time receives it. */
gboolean  pct_hub_parse_rfc3339 (const char     *text,
                                 gint64         *unix_time);

G_END_DECLS
