/* pct-credentials.c — sign-in passwords kept in the Secret Service
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Passwords never touch a plain file: they live in the desktop's keyring
 * (GNOME Keyring, KWallet) through libsecret, one item per server and user.
 */

#define G_LOG_DOMAIN "pct-credentials"

#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "pct-credentials.h"

static const SecretSchema *
account_schema (void)
{
  static const SecretSchema schema = {
    BASE_APP_ID ".Account", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static void
lookup_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, password, (GDestroyNotify) secret_password_free);
}

void
pct_credentials_lookup (const char          *server,
                        const char          *user,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, pct_credentials_lookup);
  secret_password_lookup (account_schema (), cancellable, lookup_done, task,
                          "server", server, "user", user, NULL);
}

char *
pct_credentials_lookup_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
pct_credentials_lookup_sync (const char  *server,
                             const char  *user,
                             GError     **error)
{
  char *password;
  char *copy;

  password = secret_password_lookup_sync (account_schema (), NULL, error,
                                          "server", server, "user", user, NULL);
  if (password == NULL)
    return NULL;

  /* libsecret's copy lives in non-pageable memory; hand out a plain one. */
  copy = g_strdup (password);
  secret_password_free (password);
  return copy;
}

static void
boolean_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gboolean ok;

  if (g_task_get_source_tag (task) == pct_credentials_store)
    ok = secret_password_store_finish (result, &error);
  else
    {
      /* Nothing to forget is not a failure. */
      secret_password_clear_finish (result, &error);
      ok = error == NULL;
    }

  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
pct_credentials_store (const char          *server,
                       const char          *user,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  /* Translators: the name of a keyring item; %s is the user name, then
   * the server address. */
  g_autofree char *label = g_strdup_printf (_("Precinct sign-in for %s on %s"), user, server);

  g_task_set_source_tag (task, pct_credentials_store);
  secret_password_store (account_schema (), SECRET_COLLECTION_DEFAULT, label, password,
                         cancellable, boolean_done, task,
                         "server", server, "user", user, NULL);
}

gboolean
pct_credentials_store_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
pct_credentials_forget (const char          *server,
                        const char          *user,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, pct_credentials_forget);
  secret_password_clear (account_schema (), cancellable, boolean_done, task,
                         "server", server, "user", user, NULL);
}

gboolean
pct_credentials_forget_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
