/* pct-sync-sign-in.c — checking a user's credentials with the hub
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A sign-in dialog wants to know at once whether the hub takes the user
 * and password, not after the first full sync, which may take minutes:
 * this signs in and nothing more. The token it gets is kept, so the sync
 * that follows does not sign in again.
 */

#define G_LOG_DOMAIN "pct-sync"

#include "config.h"

#include "pct-sync-private.h"

static void
sign_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PctSync *self = source_object;
  PctSyncConfig config = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  PctSyncHttp *http;

  _pct_sync_dup_config (self, &config);
  /* Whoever types a wrong password wants to hear so now, not after the
   * backoff has tried a dozen times. */
  config.max_attempts = MIN (config.max_attempts == 0 ? 2 : config.max_attempts, 2);

  http = _pct_sync_http_new (&config, _pct_sync_get_auth (self), 0, &error);
  if (http != NULL)
    {
      token = _pct_sync_http_dup_token (http, cancellable, &error);
      _pct_sync_http_free (http);
    }
  _pct_sync_config_clear (&config);

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
