/* pct-hub-mutation.c — reading the mutations clients push
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "pct-hub-mutation.h"
#include "pct-record.h"
#include "pct-store.h"
#include "pct-workflow.h"

G_DEFINE_QUARK (pct-hub-rejection-quark, pct_hub_rejection)

static const char * const rejection_names[] = {
  [PCT_HUB_REJECTED_INVALID_REQUEST] = "invalid_request",
  [PCT_HUB_REJECTED_FORBIDDEN] = "forbidden",
  [PCT_HUB_REJECTED_NOT_FOUND] = "not_found",
  [PCT_HUB_REJECTED_INVALID_REFERENCE] = "invalid_reference",
  [PCT_HUB_REJECTED_INVALID_TRANSITION] = "invalid_transition",
  [PCT_HUB_REJECTED_INVALID_VALUE] = "invalid_value",
};

/* Which entity takes which operation, and which roles may make it. */
typedef struct
{
  const char *entity;
  PctHubOp    op;
  guint       roles;   /* bits 1 << PctRole */
} Allowed;

#define ROLE(r) (1u << (r))
#define ALL_ROLES (ROLE (PCT_ROLE_DISPATCHER) | ROLE (PCT_ROLE_CLERK) | \
                   ROLE (PCT_ROLE_SUPERVISOR) | ROLE (PCT_ROLE_ADMIN))

static const Allowed allowed_mutations[] = {
  { "incident", PCT_HUB_OP_CREATE,
    ROLE (PCT_ROLE_DISPATCHER) | ROLE (PCT_ROLE_SUPERVISOR) | ROLE (PCT_ROLE_ADMIN) },
  { "incident", PCT_HUB_OP_UPDATE,
    ROLE (PCT_ROLE_DISPATCHER) | ROLE (PCT_ROLE_SUPERVISOR) | ROLE (PCT_ROLE_ADMIN) },
  { "work_order", PCT_HUB_OP_CREATE, ROLE (PCT_ROLE_DISPATCHER) | ROLE (PCT_ROLE_ADMIN) },
  /* Each action has its own roles, in the core's workflow table. */
  { "work_order", PCT_HUB_OP_ACTION,
    ROLE (PCT_ROLE_DISPATCHER) | ROLE (PCT_ROLE_SUPERVISOR) | ROLE (PCT_ROLE_ADMIN) },
  { "plate", PCT_HUB_OP_UPDATE, ROLE (PCT_ROLE_CLERK) | ROLE (PCT_ROLE_ADMIN) },
  { "audit", PCT_HUB_OP_CREATE, ALL_ROLES },
};

static const char * const op_names[] = {
  [PCT_HUB_OP_CREATE] = "create",
  [PCT_HUB_OP_UPDATE] = "update",
  [PCT_HUB_OP_ACTION] = "action",
};

static const char * const mutation_members[] = {
  "uuid", "entity", "op", "id", "base_version", "data", NULL
};

const char *
pct_hub_rejection_to_string (PctHubRejection code)
{
  g_return_val_if_fail (code < G_N_ELEMENTS (rejection_names), "invalid_request");
  return rejection_names[code];
}

static gboolean
reject (GError          **error,
        PctHubRejection   code,
        const char       *format,
        ...) G_GNUC_PRINTF (3, 4);

static gboolean
reject (GError          **error,
        PctHubRejection   code,
        const char       *format,
        ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (PCT_HUB_REJECTION, code, format, args);
  va_end (args);
  return FALSE;
}

gboolean
pct_hub_json_check_members (JsonObject          *object,
                            const char * const  *allowed,
                            const char          *what,
                            GError             **error)
{
  JsonObjectIter iter;
  const char *name;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, NULL))
    {
      if (!g_strv_contains (allowed, name))
        return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST,
                       _("“%s” is not a member of %s"), name, what);
    }
  return TRUE;
}

static JsonNode *
get_member (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

gboolean
pct_hub_json_get_int (JsonObject  *object,
                      const char  *name,
                      gboolean     required,
                      gint64      *value,
                      gboolean    *present,
                      GError     **error)
{
  JsonNode *node = get_member (object, name);
  GType type;

  if (present != NULL)
    *present = node != NULL;
  if (node == NULL)
    {
      if (required)
        return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("“%s” is missing"), name);
      return TRUE;
    }

  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type == G_TYPE_INT64)
    {
      *value = json_node_get_int (node);
      return TRUE;
    }
  if (type == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (node);

      /* 12.0 is the integer 12, as in records. */
      if (isfinite (d) && d == floor (d) && fabs (d) < 9007199254740992.0)
        {
          *value = (gint64) d;
          return TRUE;
        }
    }
  return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("“%s” must be an integer"), name);
}

gboolean
pct_hub_json_get_double (JsonObject  *object,
                         const char  *name,
                         gboolean     required,
                         double      *value,
                         gboolean    *present,
                         GError     **error)
{
  JsonNode *node = get_member (object, name);
  GType type;

  if (present != NULL)
    *present = node != NULL;
  if (node == NULL)
    {
      if (required)
        return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("“%s” is missing"), name);
      return TRUE;
    }

  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
    {
      *value = json_node_get_double (node);
      if (isfinite (*value))
        return TRUE;
    }
  return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("“%s” must be a number"), name);
}

gboolean
pct_hub_json_get_string (JsonObject   *object,
                         const char   *name,
                         gboolean      required,
                         const char  **value,
                         GError      **error)
{
  JsonNode *node = get_member (object, name);

  *value = NULL;
  if (node == NULL)
    {
      if (required)
        return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("“%s” is missing"), name);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("“%s” must be a string"), name);

  *value = json_node_get_string (node);
  if (required && **value == '\0')
    return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("“%s” may not be empty"), name);
  return TRUE;
}

const char *
pct_hub_mutation_peek_uuid (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "uuid");
  const char *uuid;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  uuid = json_node_get_string (node);
  return g_uuid_string_is_valid (uuid) ? uuid : NULL;
}

static gboolean
parse_op (const char  *name,
          PctHubOp    *op)
{
  for (guint i = 0; i < G_N_ELEMENTS (op_names); i++)
    {
      if (g_strcmp0 (name, op_names[i]) == 0)
        {
          *op = i;
          return TRUE;
        }
    }
  return FALSE;
}

static const Allowed *
find_allowed (const char *entity,
              PctHubOp    op)
{
  for (guint i = 0; i < G_N_ELEMENTS (allowed_mutations); i++)
    {
      if (g_str_equal (allowed_mutations[i].entity, entity) && allowed_mutations[i].op == op)
        return &allowed_mutations[i];
    }
  return NULL;
}

gboolean
pct_hub_mutation_parse (JsonObject      *object,
                        PctHubMutation  *mutation,
                        GError         **error)
{
  const char *op_name = NULL;
  JsonNode *data;

  memset (mutation, 0, sizeof *mutation);
  mutation->base_version = -1;

  if (!pct_hub_json_check_members (object, mutation_members, _("a mutation"), error) ||
      !pct_hub_json_get_string (object, "uuid", TRUE, &mutation->uuid, error))
    return FALSE;
  if (!g_uuid_string_is_valid (mutation->uuid))
    return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST,
                   _("“%s” is not a UUID"), mutation->uuid);

  if (!pct_hub_json_get_string (object, "entity", TRUE, &mutation->entity, error) ||
      !pct_hub_json_get_string (object, "op", TRUE, &op_name, error))
    return FALSE;
  if (!parse_op (op_name, &mutation->op))
    return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST,
                   _("“%s” is not an operation (create, update or action)"), op_name);
  if (find_allowed (mutation->entity, mutation->op) == NULL)
    return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST,
                   _("Mutations of %s cannot %s"), mutation->entity, op_name);

  if (!pct_hub_json_get_int (object, "id", mutation->op != PCT_HUB_OP_CREATE, &mutation->id,
                             NULL, error) ||
      !pct_hub_json_get_int (object, "base_version", mutation->op != PCT_HUB_OP_CREATE,
                             &mutation->base_version, NULL, error))
    return FALSE;

  if (mutation->op == PCT_HUB_OP_CREATE)
    {
      /* The client's temporary key is only echoed, and a new record has
       * no version to be based on: the server gives both. */
      mutation->id = 0;
      mutation->base_version = -1;
    }
  else
    {
      if (mutation->id <= 0)
        return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST,
                       _("“id” must be the record’s key, a positive integer"));
      if (mutation->base_version < 0)
        return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST,
                       _("“base_version” may not be negative"));
    }

  data = json_object_get_member (object, "data");
  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data))
    return reject (error, PCT_HUB_REJECTED_INVALID_REQUEST, _("“data” must be an object"));
  mutation->data = json_node_get_object (data);
  return TRUE;
}

gboolean
pct_hub_mutation_check_role (const PctHubMutation  *mutation,
                             PctRole                role,
                             GError               **error)
{
  const Allowed *allowed = find_allowed (mutation->entity, mutation->op);

  if (allowed == NULL || (allowed->roles & ROLE (role)) == 0)
    return reject (error, PCT_HUB_REJECTED_FORBIDDEN,
                   _("A %s may not %s %s records"), pct_role_to_string (role),
                   op_names[mutation->op], mutation->entity);
  return TRUE;
}

gboolean
pct_hub_rejection_from_error (const GError     *error,
                              PctHubRejection  *code)
{
  if (error->domain == PCT_HUB_REJECTION)
    {
      *code = error->code;
      return TRUE;
    }

  if (error->domain == PCT_RECORD_ERROR)
    {
      *code = error->code == PCT_RECORD_ERROR_REFERENCE ? PCT_HUB_REJECTED_INVALID_REFERENCE
                                                        : PCT_HUB_REJECTED_INVALID_VALUE;
      return TRUE;
    }

  if (error->domain == PCT_WORKFLOW_ERROR)
    {
      switch ((PctWorkflowError) error->code)
        {
        case PCT_WORKFLOW_ERROR_UNKNOWN_ACTION:
          *code = PCT_HUB_REJECTED_INVALID_REQUEST;
          break;
        case PCT_WORKFLOW_ERROR_FORBIDDEN:
          *code = PCT_HUB_REJECTED_FORBIDDEN;
          break;
        case PCT_WORKFLOW_ERROR_INVALID_TRANSITION:
        default:
          *code = PCT_HUB_REJECTED_INVALID_TRANSITION;
          break;
        }
      return TRUE;
    }

  /* A CHECK or UNIQUE constraint of the schema is a value the record
   * may not have. */
  if (g_error_matches (error, PCT_STORE_ERROR, PCT_STORE_ERROR_INVALID))
    {
      *code = PCT_HUB_REJECTED_INVALID_VALUE;
      return TRUE;
    }
  return FALSE;
}

static void
append_uuid (GString    *out,
             const char *uuid)
{
  g_string_append (out, "{\"uuid\":");
  if (uuid != NULL)
    pct_record_append_json_string (out, uuid);
  else
    g_string_append (out, "null");
}

void
pct_hub_append_applied (GString    *out,
                        const char *uuid,
                        gint64      id,
                        gint64      version)
{
  append_uuid (out, uuid);
  g_string_append_printf (out, ",\"status\":\"applied\",\"id\":%" G_GINT64_FORMAT
                          ",\"version\":%" G_GINT64_FORMAT "}", id, version);
}

void
pct_hub_append_conflict (GString    *out,
                         const char *uuid,
                         const char *current_record)
{
  append_uuid (out, uuid);
  g_string_append (out, ",\"status\":\"conflict\",\"current\":");
  g_string_append (out, current_record);
  g_string_append_c (out, '}');
}

void
pct_hub_append_rejected (GString          *out,
                         const char       *uuid,
                         PctHubRejection   code,
                         const char       *reason)
{
  append_uuid (out, uuid);
  g_string_append (out, ",\"status\":\"rejected\",\"code\":");
  pct_record_append_json_string (out, pct_hub_rejection_to_string (code));
  g_string_append (out, ",\"reason\":");
  pct_record_append_json_string (out, reason);
  g_string_append_c (out, '}');
}
