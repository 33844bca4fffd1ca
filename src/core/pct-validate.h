/* pct-validate.h — checks for identifiers and masking of personal data
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PCT_VALIDATE_ERROR (pct_validate_error_quark ())

typedef enum
{
  PCT_VALIDATE_ERROR_LENGTH,
  PCT_VALIDATE_ERROR_CHARSET,
  PCT_VALIDATE_ERROR_CHECKSUM,
  PCT_VALIDATE_ERROR_DATE,
  PCT_VALIDATE_ERROR_REGION,
  PCT_VALIDATE_ERROR_RANGE,
} PctValidateError;

/* Grid cell code lengths (GB/T 30428.1): 6 county + 3 street + 3 community
 * + 2 cell nationally; Beijing's scheme has one digit more. */
#define PCT_GRID_CODE_LENGTH_NATIONAL 14
#define PCT_GRID_CODE_LENGTH_BEIJING  15

GQuark   pct_validate_error_quark     (void);

gboolean pct_validate_id_number       (const char  *value,
                                       GDateTime   *now,
                                       GError     **error);
char     pct_id_number_check_char     (const char  *first17);

gboolean pct_validate_uscc            (const char  *value,
                                       GError     **error);
char     pct_uscc_check_char          (const char  *first17);

gboolean pct_validate_phone           (const char  *value,
                                       GError     **error);
gboolean pct_validate_region_code     (const char  *code,
                                       GError     **error);
gboolean pct_validate_coordinates     (double       lat,
                                       double       lon,
                                       GError     **error);
gboolean pct_validate_grid_code       (const char  *code,
                                       guint        expected_length,
                                       GError     **error);
gboolean pct_validate_component_code  (const char  *code,
                                       GError     **error);

char    *pct_mask_id_number           (const char  *value);
char    *pct_mask_phone               (const char  *value);
char    *pct_mask_name                (const char  *value);

G_END_DECLS
