/* pct-hub-storage.c — the interface precinct-hub keeps its data through
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "pct-hub"

#include "config.h"

#include "pct-hub-storage.h"

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_INTERFACE (PctHubStorage, pct_hub_storage, G_TYPE_OBJECT)

G_DEFINE_QUARK (pct-hub-storage-error-quark, pct_hub_storage_error)

static void
pct_hub_storage_default_init (PctHubStorageInterface *iface)
{
  /**
   * PctHubStorage::changed:
   * @last_seq: the sequence number of the latest change
   *
   * Emitted on the storage's thread after a write that moved the
   * changes feed on has been committed.
   */
  signals[CHANGED] = g_signal_new ("changed",
                                   G_TYPE_FROM_INTERFACE (iface),
                                   G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 1, G_TYPE_INT64);
}

void
pct_hub_user_free (PctHubUser *user)
{
  if (user == NULL)
    return;
  g_free (user->name);
  g_free (user->password_hash);
  g_free (user);
}

void
pct_hub_token_free (PctHubToken *token)
{
  if (token == NULL)
    return;
  g_free (token->user);
  g_free (token);
}

void
pct_hub_channel_free (PctHubChannel *channel)
{
  if (channel == NULL)
    return;
  g_free (channel->name);
  g_free (channel);
}

void
pct_hub_category_free (PctHubCategory *category)
{
  if (category == NULL)
    return;
  g_free (category->code);
  g_free (category->kind);
  g_free (category->major);
  g_free (category->minor);
  g_free (category);
}

void
pct_hub_place_free (PctHubPlace *place)
{
  if (place == NULL)
    return;
  g_free (place->label);
  g_free (place->category_code);
  g_free (place->category_minor);
  g_free (place);
}

void
pct_hub_changes_page_clear (PctHubChangesPage *page)
{
  if (page->records != NULL)
    g_string_free (page->records, TRUE);
  page->records = NULL;
}

#define IFACE(self) PCT_HUB_STORAGE_GET_IFACE (self)

const char *
pct_hub_storage_get_database_id (PctHubStorage *self)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->get_database_id (self);
}

char *
pct_hub_storage_get_setting (PctHubStorage *self,
                             const char    *name)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->get_setting (self, name);
}

gboolean
pct_hub_storage_get_extent (PctHubStorage  *self,
                            PctBBox        *extent,
                            GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  return IFACE (self)->get_extent (self, extent, error);
}

gboolean
pct_hub_storage_seed (PctHubStorage    *self,
                      const char       *district_path,
                      PctProgressFunc   progress,
                      gpointer          user_data,
                      GError          **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  g_return_val_if_fail (district_path != NULL, FALSE);
  return IFACE (self)->seed (self, district_path, progress, user_data, error);
}

gboolean
pct_hub_storage_count_records (PctHubStorage  *self,
                               const char     *entity,
                               gint64         *count,
                               GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  return IFACE (self)->count_records (self, entity, count, error);
}

char *
pct_hub_storage_content_hash (PctHubStorage  *self,
                              GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->content_hash (self, error);
}

gboolean
pct_hub_storage_add_user (PctHubStorage  *self,
                          const char     *name,
                          PctRole         role,
                          const char     *password_hash,
                          gint64          now,
                          GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  g_return_val_if_fail (name != NULL && password_hash != NULL, FALSE);
  return IFACE (self)->add_user (self, name, role, password_hash, now, error);
}

PctHubUser *
pct_hub_storage_lookup_user (PctHubStorage  *self,
                             const char     *name,
                             GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->lookup_user (self, name, error);
}

gboolean
pct_hub_storage_issue_session (PctHubStorage          *self,
                               const char             *user,
                               gint64                  replaces,
                               const PctHubTokenPair  *pair,
                               gint64                  now,
                               GError                **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  g_return_val_if_fail (user != NULL && pair != NULL, FALSE);
  return IFACE (self)->issue_session (self, user, replaces, pair, now, error);
}

PctHubToken *
pct_hub_storage_lookup_token (PctHubStorage  *self,
                              const char     *token_hash,
                              GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->lookup_token (self, token_hash, error);
}

gboolean
pct_hub_storage_revoke_session (PctHubStorage  *self,
                                gint64          session,
                                GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  return IFACE (self)->revoke_session (self, session, error);
}

gboolean
pct_hub_storage_revoke_user (PctHubStorage  *self,
                             const char     *user,
                             guint          *n_revoked,
                             GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  return IFACE (self)->revoke_user (self, user, n_revoked, error);
}

gboolean
pct_hub_storage_purge_tokens (PctHubStorage  *self,
                              gint64          expired_before,
                              GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  return IFACE (self)->purge_tokens (self, expired_before, error);
}

gboolean
pct_hub_storage_add_channel (PctHubStorage  *self,
                             const char     *name,
                             const char     *key_hash,
                             gint64          now,
                             GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return IFACE (self)->add_channel (self, name, key_hash, now, error);
}

PctHubChannel *
pct_hub_storage_lookup_channel (PctHubStorage  *self,
                                const char     *key_hash,
                                GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->lookup_channel (self, key_hash, error);
}

PctHubChannel *
pct_hub_storage_find_channel (PctHubStorage  *self,
                              const char     *name,
                              GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->find_channel (self, name, error);
}

gboolean
pct_hub_storage_revoke_channel (PctHubStorage  *self,
                                const char     *name,
                                GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  return IFACE (self)->revoke_channel (self, name, error);
}

gint64
pct_hub_storage_get_last_seq (PctHubStorage *self)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), 0);
  return IFACE (self)->get_last_seq (self);
}

gboolean
pct_hub_storage_read_changes (PctHubStorage             *self,
                              const PctHubChangesQuery  *query,
                              PctHubChangesPage         *page,
                              GError                   **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  g_return_val_if_fail (query != NULL && page != NULL, FALSE);
  g_return_val_if_fail (query->limit > 0, FALSE);
  return IFACE (self)->read_changes (self, query, page, error);
}

char *
pct_hub_storage_apply_mutations (PctHubStorage      *self,
                                 const PctHubActor  *actor,
                                 JsonArray          *mutations,
                                 gint64              now,
                                 GError            **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  g_return_val_if_fail (actor != NULL && mutations != NULL, NULL);
  return IFACE (self)->apply_mutations (self, actor, mutations, now, error);
}

gboolean
pct_hub_storage_find_category (PctHubStorage  *self,
                               const char     *code,
                               gint64         *id,
                               GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  return IFACE (self)->find_category (self, code, id, error);
}

gboolean
pct_hub_storage_intake_incident (PctHubStorage       *self,
                                 const PctHubIntake  *intake,
                                 gint64               now,
                                 gint64              *id,
                                 char               **uuid,
                                 gboolean            *created,
                                 GError             **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), FALSE);
  g_return_val_if_fail (intake != NULL, FALSE);
  return IFACE (self)->intake_incident (self, intake, now, id, uuid, created, error);
}

char *
pct_hub_storage_unmask (PctHubStorage      *self,
                        const PctHubActor  *actor,
                        const char         *entity,
                        gint64              id,
                        const char         *field,
                        const char         *reason,
                        gint64              now,
                        GError            **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  g_return_val_if_fail (actor != NULL && entity != NULL && field != NULL && reason != NULL, NULL);
  return IFACE (self)->unmask (self, actor, entity, id, field, reason, now, error);
}

GPtrArray *
pct_hub_storage_list_categories (PctHubStorage  *self,
                                 GError        **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->list_categories (self, error);
}

GPtrArray *
pct_hub_storage_sample_places (PctHubStorage    *self,
                               PctHubPlaceKind   kind,
                               guint             max,
                               GError          **error)
{
  g_return_val_if_fail (PCT_IS_HUB_STORAGE (self), NULL);
  return IFACE (self)->sample_places (self, kind, max, error);
}

void
pct_hub_storage_emit_changed (PctHubStorage *self,
                              gint64         last_seq)
{
  g_return_if_fail (PCT_IS_HUB_STORAGE (self));
  g_signal_emit (self, signals[CHANGED], 0, last_seq);
}
