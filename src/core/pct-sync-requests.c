/* pct-sync-requests.c — single requests to the hub beside the sync
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Signing in: a sign-in dialog wants to know at once whether the hub
 * takes the user and password, not after the first full sync, which may
 * take minutes. The token it gets is kept, so the sync that follows does
 * not sign in again.
 *
 * Unmasking: the store holds personal data only as the user's role may
 * read it, so a value in clear comes from the hub, which checks the role,
 * logs the reason and answers; the value is handed to the caller and
 * written nowhere.
 */

#define G_LOG_DOMAIN "pct-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pct-record.h"
#include "pct-roles.h"
#include "pct-sync-private.h"

/* Whoever types a wrong password, or waits with a reason typed, wants to
 * hear of a failure now, not after the backoff has tried a dozen times. */
#define INTERACTIVE_ATTEMPTS 2

static PctSyncHttp *
interactive_http (PctSync  *self,
                  GError  **error)
{
  PctSyncConfig config = { 0 };
  PctSyncHttp *http;

  _pct_sync_dup_config (self, &config);
  config.max_attempts = MIN (config.max_attempts == 0 ? INTERACTIVE_ATTEMPTS
                                                      : config.max_attempts,
                             INTERACTIVE_ATTEMPTS);
  http = _pct_sync_http_new (&config, _pct_sync_get_auth (self), 0, error);
  _pct_sync_config_clear (&config);
  return http;
}

/* Signing in ---------------------------------------------------------------- */

static void
sign_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  PctSyncHttp *http = interactive_http (source_object, &error);

  if (http != NULL)
    {
      token = _pct_sync_http_dup_token (http, cancellable, &error);
      _pct_sync_http_free (http);
    }

  if (token == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
pct_sync_sign_in_async (PctSync             *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PCT_IS_SYNC (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pct_sync_sign_in_async);
  g_task_run_in_thread (task, sign_in_thread);
}

gboolean
pct_sync_sign_in_finish (PctSync       *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Unmasking ----------------------------------------------------------------- */

typedef struct
{
  char   *entity;
  gint64  id;
  char   *field;
  char   *reason;
} Unmask;

static void
unmask_free (Unmask *unmask)
{
  g_free (unmask->entity);
  g_free (unmask->field);
  g_free (unmask->reason);
  g_free (unmask);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Unmask, unmask_free)

/* What the answer holds: the value, a string or null. */
typedef struct
{
  char *value;
} Unmasked;

static void
unmasked_free (Unmasked *unmasked)
{
  g_free (unmasked->value);
  g_free (unmasked);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Unmasked, unmasked_free)

static gpointer
parse_unmasked_cb (SoupMessage  *message,
                   GBytes       *body,
                   gpointer      user_data,
                   GError      **error)
{
  g_autoptr(JsonNode) root = _pct_sync_parse_answer (body, _("unmasking"), error);
  g_autoptr(Unmasked) unmasked = NULL;
  JsonNode *value = NULL;

  if (root == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_OBJECT (root))
    value = json_object_get_member (json_node_get_object (root), "value");
  if (value == NULL ||
      !(JSON_NODE_HOLDS_NULL (value) ||
        (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)))
    {
      g_set_error_literal (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                           _("The server’s answer to unmasking has no “value” string or null"));
      return NULL;
    }

  unmasked = g_new0 (Unmasked, 1);
  unmasked->value = g_strdup (json_node_get_string (value));
  return g_steal_pointer (&unmasked);
}

static GBytes *
unmask_body (const Unmask *unmask)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "entity");
  json_builder_add_string_value (builder, unmask->entity);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, unmask->id);
  json_builder_set_member_name (builder, "field");
  json_builder_add_string_value (builder, unmask->field);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, unmask->reason);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

static Unmasked *
unmask_blocking (PctSync       *self,
                 const Unmask  *unmask,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GBytes) body = unmask_body (unmask);
  PctSyncHttp *http = interactive_http (self, error);
  Unmasked *unmasked;

  if (http == NULL)
    return NULL;
  unmasked = _pct_sync_http_call (http, "POST", "unmask", NULL, body, FALSE,
                                  parse_unmasked_cb, NULL, cancellable, error);
  _pct_sync_http_free (http);
  return unmasked;
}

static Unmask *
unmask_new (const char *entity,
            gint64      id,
            const char *field,
            const char *reason)
{
  Unmask *unmask = g_new0 (Unmask, 1);

  unmask->entity = g_strdup (entity);
  unmask->id = id;
  unmask->field = g_strdup (field);
  unmask->reason = g_strstrip (g_strdup (reason));
  return unmask;
}

/* What the server would refuse anyway, refused before asking. */
static gboolean
check_unmask (const Unmask  *unmask,
              GError       **error)
{
  if (pct_record_entity_lookup (unmask->entity) == NULL)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS,
                   _("There is no kind of record called “%s”"), unmask->entity);
      return FALSE;
    }
  if (!pct_roles_is_personal (unmask->entity, unmask->field))
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS,
                   _("“%s” of a %s record is not personal data, and is never masked"),
                   unmask->field, unmask->entity);
      return FALSE;
    }
  if (g_utf8_strlen (unmask->reason, -1) < PCT_ROLES_UNMASK_MIN_REASON)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_SETTINGS,
                   _("Give a reason of at least %d characters for unmasking"),
                   PCT_ROLES_UNMASK_MIN_REASON);
      return FALSE;
    }
  return TRUE;
}

gboolean
pct_sync_unmask (PctSync       *self,
                 const char    *entity,
                 gint64         id,
                 const char    *field,
                 const char    *reason,
                 char         **value,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(Unmask) unmask = NULL;
  g_autoptr(Unmasked) unmasked = NULL;

  g_return_val_if_fail (PCT_IS_SYNC (self), FALSE);
  g_return_val_if_fail (entity != NULL && field != NULL && reason != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  unmask = unmask_new (entity, id, field, reason);
  if (!check_unmask (unmask, error))
    return FALSE;
  unmasked = unmask_blocking (self, unmask, cancellable, error);
  if (unmasked == NULL)
    return FALSE;
  *value = g_steal_pointer (&unmasked->value);
  return TRUE;
}

static void
unmask_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  Unmasked *unmasked = unmask_blocking (source_object, task_data, cancellable, &error);

  if (unmasked == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, unmasked, (GDestroyNotify) unmasked_free);
}

void
pct_sync_unmask_async (PctSync             *self,
                       const char          *entity,
                       gint64               id,
                       const char          *field,
                       const char          *reason,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  Unmask *unmask;

  g_return_if_fail (PCT_IS_SYNC (self));
  g_return_if_fail (entity != NULL && field != NULL && reason != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pct_sync_unmask_async);
  unmask = unmask_new (entity, id, field, reason);
  if (!check_unmask (unmask, &error))
    {
      unmask_free (unmask);
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, unmask, (GDestroyNotify) unmask_free);
  g_task_run_in_thread (task, unmask_thread);
}

gboolean
pct_sync_unmask_finish (PctSync       *self,
                        GAsyncResult  *result,
                        char         **value,
                        GError       **error)
{
  g_autoptr(Unmasked) unmasked = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  unmasked = g_task_propagate_pointer (G_TASK (result), error);
  if (unmasked == NULL)
    return FALSE;
  *value = g_steal_pointer (&unmasked->value);
  return TRUE;
}
