/* pct-roles.h — user roles, what each may read unmasked, and masking
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table, shared by the hub (which masks before it sends) and the
 * client (which checks that what it received masked is in a masked form).
 * docs/roles.md describes it.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PCT_ROLE_DISPATCHER,
  PCT_ROLE_CLERK,
  PCT_ROLE_SUPERVISOR,
  PCT_ROLE_ADMIN,
  PCT_N_ROLES
} PctRole;

/* How a role reads one personal field. */
typedef enum
{
  PCT_FIELD_ACCESS_PLAIN,      /* unmasked */
  PCT_FIELD_ACCESS_MASKED,     /* masked; may ask to unmask, with a reason */
  PCT_FIELD_ACCESS_HIDDEN,     /* masked; may not unmask */
} PctFieldAccess;

/* One personal field of one entity (record names, as in records.md). */
typedef struct
{
  const char *entity;
  const char *field;
} PctPersonalField;

/* The shortest reason, in characters, that unmasking a value takes. */
#define PCT_ROLES_UNMASK_MIN_REASON 2

/* The suffix that marks a masked household-registration address. */
#define PCT_ROLES_ADDRESS_MASK "****"

/* "dispatcher", "clerk", "supervisor", "admin". */
gboolean                 pct_role_from_string      (const char  *name,
                                                    PctRole     *role);
const char              *pct_role_to_string        (PctRole      role);

/* Every personal field, in a stable order; n receives the count. */
const PctPersonalField  *pct_roles_personal_fields (guint       *n);
gboolean                 pct_roles_is_personal     (const char  *entity,
                                                    const char  *field);
/* PLAIN for fields that are not personal. */
PctFieldAccess           pct_role_field_access     (PctRole      role,
                                                    const char  *entity,
                                                    const char  *field);
/* TRUE exactly when the role reads the field MASKED: it may ask for the
 * value with a reason. PLAIN needs no unmasking; HIDDEN may not have it. */
gboolean                 pct_role_may_unmask       (PctRole      role,
                                                    const char  *entity,
                                                    const char  *field);

/* The masked form of a personal value (ID number 500116********123X,
 * mobile 138****5678, name 张*明, an address cut after its county-level
 * division then "****"), or NULL when the field's masked form is null
 * (dates) or value is NULL. A field that is not personal comes back
 * unchanged. Bytes that are not UTF-8 are replaced first. */
char                    *pct_roles_mask_value      (const char  *entity,
                                                    const char  *field,
                                                    const char  *value);
/* Whether value is in the masked form pct_roles_mask_value() gives for
 * this personal field; records received masked are checked with it. A
 * NULL value is the masked form of fields masked to null only. FALSE for
 * fields that are not personal. */
gboolean                 pct_roles_is_masked_form  (const char  *entity,
                                                    const char  *field,
                                                    const char  *value);

G_END_DECLS
