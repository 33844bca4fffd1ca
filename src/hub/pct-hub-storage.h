/* pct-hub-storage.h — everything precinct-hub keeps, behind one interface
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server speaks to its storage only through PctHubStorage, so that a
 * district runs on PctHubSqlite (one SQLite file, the clients' schema) and
 * a city can put the same server in front of PostgreSQL. docs/hub.md
 * describes each operation and how a PostgreSQL backend carries it out.
 *
 * Threads: pct_hub_storage_read_changes() may be called from any thread,
 * as often at once as the server likes; everything else, and the
 * ::changed signal, belongs to the thread that opened the storage.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "pct-roles.h"
#include "pct-types.h"

G_BEGIN_DECLS

#define PCT_HUB_STORAGE_ERROR (pct_hub_storage_error_quark ())

typedef enum
{
  PCT_HUB_STORAGE_ERROR_NOT_FOUND,   /* no such user, channel, record */
  PCT_HUB_STORAGE_ERROR_EXISTS,      /* a user or channel of that name exists */
  PCT_HUB_STORAGE_ERROR_INVALID,     /* the request names something impossible */
  PCT_HUB_STORAGE_ERROR_FORBIDDEN,   /* the role may not do this */
  PCT_HUB_STORAGE_ERROR_NOT_EMPTY,   /* seeding a store that holds content */
  PCT_HUB_STORAGE_ERROR_FAILED,
} PctHubStorageError;

typedef struct
{
  char     *name;
  PctRole   role;
  char     *password_hash;   /* crypto_pwhash_str() form */
  gboolean  disabled;
} PctHubUser;

typedef enum
{
  PCT_HUB_TOKEN_ACCESS,
  PCT_HUB_TOKEN_REFRESH,
} PctHubTokenKind;

/* A token the server issued, found by the SHA-256 of its text. */
typedef struct
{
  gint64           session;
  PctHubTokenKind  kind;
  char            *user;
  PctRole          role;
  gint64           expires_at;
  gboolean         revoked;   /* the token, or its user disabled */
} PctHubToken;

/* The hashes of a new access and refresh token, issued together: one
 * session, which signing out or refreshing ends as a whole. */
typedef struct
{
  const char *access_hash;
  gint64      access_expires_at;
  const char *refresh_hash;
  gint64      refresh_expires_at;
} PctHubTokenPair;

typedef struct
{
  gint64    id;
  char     *name;
  gboolean  revoked;
} PctHubChannel;

/* Which changes to read: those with a sequence number above after (and
 * up to until, unless it is 0), at most limit, as records masked for
 * role; entities, when not NULL, keeps only changes of those entities.
 * count_total asks for the number of changes after `after` as well. */
typedef struct
{
  gint64               after;
  gint64               until;
  guint                limit;
  PctRole              role;
  const char * const  *entities;
  gboolean             count_total;
} PctHubChangesQuery;

/* records: the records, as JSON objects separated by commas;
 * last_seq: the sequence number the page reaches (after, for an empty
 * page); has_more: whether changes beyond it match the query. */
typedef struct
{
  GString   *records;
  guint      n_records;
  gint64     last_seq;
  gboolean   has_more;
  gint64     total;      /* with count_total, else -1 */
} PctHubChangesPage;

/* The signed-in user a change is made for. */
typedef struct
{
  const char *user;
  PctRole     role;
} PctHubActor;

/* An incident reported by an outside channel, already checked. */
typedef struct
{
  gint64       channel_id;
  const char  *external_id;   /* the channel's own identifier, or NULL */
  gint64       category_id;
  double       lon;
  double       lat;
  const char  *description;
  const char  *source;
  int          severity;
  gint64       reported_at;
} PctHubIntake;

typedef struct
{
  gint64  id;
  char   *code;
  char   *kind;    /* event or component */
  char   *major;
  char   *minor;
} PctHubCategory;

typedef enum
{
  PCT_HUB_PLACE_FACILITY,   /* label: the component code; with its category */
  PCT_HUB_PLACE_ADDRESS,    /* label: the address as displayed */
} PctHubPlaceKind;

/* A place the simulator reports incidents at. */
typedef struct
{
  double  lon;
  double  lat;
  char   *label;
  char   *category_code;   /* facilities only */
  char   *category_minor;
} PctHubPlace;

void            pct_hub_user_free       (PctHubUser     *user);
void            pct_hub_token_free      (PctHubToken    *token);
void            pct_hub_channel_free    (PctHubChannel  *channel);
void            pct_hub_category_free   (PctHubCategory *category);
void            pct_hub_place_free      (PctHubPlace    *place);
void            pct_hub_changes_page_clear (PctHubChangesPage *page);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctHubUser, pct_hub_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctHubToken, pct_hub_token_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctHubChannel, pct_hub_channel_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctHubCategory, pct_hub_category_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctHubPlace, pct_hub_place_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PctHubChangesPage, pct_hub_changes_page_clear)

#define PCT_TYPE_HUB_STORAGE (pct_hub_storage_get_type ())
G_DECLARE_INTERFACE (PctHubStorage, pct_hub_storage, PCT, HUB_STORAGE, GObject)

struct _PctHubStorageInterface
{
  GTypeInterface parent_iface;

  /* The district. */
  const char     *(*get_database_id)  (PctHubStorage             *self);
  char           *(*get_setting)      (PctHubStorage             *self,
                                       const char                *name);
  gboolean        (*get_extent)       (PctHubStorage             *self,
                                       PctBBox                   *extent,
                                       GError                   **error);
  gboolean        (*seed)             (PctHubStorage             *self,
                                       const char                *district_path,
                                       PctProgressFunc            progress,
                                       gpointer                   user_data,
                                       GError                   **error);
  gboolean        (*count_records)    (PctHubStorage             *self,
                                       const char                *entity,
                                       gint64                    *count,
                                       GError                   **error);
  char           *(*content_hash)     (PctHubStorage             *self,
                                       GError                   **error);

  /* Users and sessions. */
  gboolean        (*add_user)         (PctHubStorage             *self,
                                       const char                *name,
                                       PctRole                    role,
                                       const char                *password_hash,
                                       gint64                     now,
                                       GError                   **error);
  PctHubUser     *(*lookup_user)      (PctHubStorage             *self,
                                       const char                *name,
                                       GError                   **error);
  gboolean        (*issue_session)    (PctHubStorage             *self,
                                       const char                *user,
                                       gint64                     replaces,
                                       const PctHubTokenPair     *pair,
                                       gint64                     now,
                                       GError                   **error);
  PctHubToken    *(*lookup_token)     (PctHubStorage             *self,
                                       const char                *token_hash,
                                       GError                   **error);
  gboolean        (*revoke_session)   (PctHubStorage             *self,
                                       gint64                     session,
                                       GError                   **error);
  gboolean        (*revoke_user)      (PctHubStorage             *self,
                                       const char                *user,
                                       guint                     *n_revoked,
                                       GError                   **error);
  gboolean        (*purge_tokens)     (PctHubStorage             *self,
                                       gint64                     expired_before,
                                       GError                   **error);

  /* Intake channels. */
  gboolean        (*add_channel)      (PctHubStorage             *self,
                                       const char                *name,
                                       const char                *key_hash,
                                       gint64                     now,
                                       GError                   **error);
  PctHubChannel  *(*lookup_channel)   (PctHubStorage             *self,
                                       const char                *key_hash,
                                       GError                   **error);
  PctHubChannel  *(*find_channel)     (PctHubStorage             *self,
                                       const char                *name,
                                       GError                   **error);
  gboolean        (*revoke_channel)   (PctHubStorage             *self,
                                       const char                *name,
                                       GError                   **error);

  /* The changes feed. */
  gint64          (*get_last_seq)     (PctHubStorage             *self);
  gboolean        (*read_changes)     (PctHubStorage             *self,
                                       const PctHubChangesQuery  *query,
                                       PctHubChangesPage         *page,
                                       GError                   **error);

  /* Writes. */
  char           *(*apply_mutations)  (PctHubStorage             *self,
                                       const PctHubActor         *actor,
                                       JsonArray                 *mutations,
                                       gint64                     now,
                                       GError                   **error);
  gboolean        (*find_category)    (PctHubStorage             *self,
                                       const char                *code,
                                       gint64                    *id,
                                       GError                   **error);
  gboolean        (*intake_incident)  (PctHubStorage             *self,
                                       const PctHubIntake        *intake,
                                       gint64                     now,
                                       gint64                    *id,
                                       char                     **uuid,
                                       gboolean                  *created,
                                       GError                   **error);
  char           *(*unmask)           (PctHubStorage             *self,
                                       const PctHubActor         *actor,
                                       const char                *entity,
                                       gint64                     id,
                                       const char                *field,
                                       const char                *reason,
                                       gint64                     now,
                                       GError                   **error);

  /* What the simulator draws from. */
  GPtrArray      *(*list_categories)  (PctHubStorage             *self,
                                       GError                   **error);
  GPtrArray      *(*sample_places)    (PctHubStorage             *self,
                                       PctHubPlaceKind            kind,
                                       guint                      max,
                                       GError                   **error);
};

GQuark          pct_hub_storage_error_quark    (void);

/* A random identifier of the database, made when it was created: cursors
 * carry it, so that one of another database is told apart. */
const char     *pct_hub_storage_get_database_id (PctHubStorage            *self);
/* A district setting (the `setting` records), or NULL. */
char           *pct_hub_storage_get_setting    (PctHubStorage             *self,
                                                const char                *name);
/* The box incidents may be reported in. */
gboolean        pct_hub_storage_get_extent     (PctHubStorage             *self,
                                                PctBBox                   *extent,
                                                GError                   **error);
/* Copies every content table of a generated district into a storage that
 * holds no content yet, in the order of pct_record_entities(). */
gboolean        pct_hub_storage_seed           (PctHubStorage             *self,
                                                const char                *district_path,
                                                PctProgressFunc            progress,
                                                gpointer                   user_data,
                                                GError                   **error);
gboolean        pct_hub_storage_count_records  (PctHubStorage             *self,
                                                const char                *entity,
                                                gint64                    *count,
                                                GError                   **error);
/* pct_store_content_hash() of the content, for comparing with a client. */
char           *pct_hub_storage_content_hash   (PctHubStorage             *self,
                                                GError                   **error);

gboolean        pct_hub_storage_add_user       (PctHubStorage             *self,
                                                const char                *name,
                                                PctRole                    role,
                                                const char                *password_hash,
                                                gint64                     now,
                                                GError                   **error);
PctHubUser     *pct_hub_storage_lookup_user    (PctHubStorage             *self,
                                                const char                *name,
                                                GError                   **error);
/* Stores a new session of user with its two tokens; replaces, when not 0,
 * is a session revoked in the same transaction (a refresh). */
gboolean        pct_hub_storage_issue_session  (PctHubStorage             *self,
                                                const char                *user,
                                                gint64                     replaces,
                                                const PctHubTokenPair     *pair,
                                                gint64                     now,
                                                GError                   **error);
PctHubToken    *pct_hub_storage_lookup_token   (PctHubStorage             *self,
                                                const char                *token_hash,
                                                GError                   **error);
gboolean        pct_hub_storage_revoke_session (PctHubStorage             *self,
                                                gint64                     session,
                                                GError                   **error);
/* Revokes every session of user; n_revoked receives how many were live. */
gboolean        pct_hub_storage_revoke_user    (PctHubStorage             *self,
                                                const char                *user,
                                                guint                     *n_revoked,
                                                GError                   **error);
/* Forgets tokens that expired before expired_before. */
gboolean        pct_hub_storage_purge_tokens   (PctHubStorage             *self,
                                                gint64                     expired_before,
                                                GError                   **error);

gboolean        pct_hub_storage_add_channel    (PctHubStorage             *self,
                                                const char                *name,
                                                const char                *key_hash,
                                                gint64                     now,
                                                GError                   **error);
PctHubChannel  *pct_hub_storage_lookup_channel (PctHubStorage             *self,
                                                const char                *key_hash,
                                                GError                   **error);
PctHubChannel  *pct_hub_storage_find_channel   (PctHubStorage             *self,
                                                const char                *name,
                                                GError                   **error);
gboolean        pct_hub_storage_revoke_channel (PctHubStorage             *self,
                                                const char                *name,
                                                GError                   **error);

/* The sequence number of the latest change ever made; cursors above it
 * were not made by this database. */
gint64          pct_hub_storage_get_last_seq   (PctHubStorage             *self);
/* Any thread. Fills page (whose records string it creates). */
gboolean        pct_hub_storage_read_changes   (PctHubStorage             *self,
                                                const PctHubChangesQuery  *query,
                                                PctHubChangesPage         *page,
                                                GError                   **error);

/* Applies a batch of mutations (docs/api.md), each on its own, and
 * returns the JSON array of their results. An error means nothing of the
 * batch was applied. */
char           *pct_hub_storage_apply_mutations (PctHubStorage            *self,
                                                const PctHubActor         *actor,
                                                JsonArray                 *mutations,
                                                gint64                     now,
                                                GError                   **error);
gboolean        pct_hub_storage_find_category  (PctHubStorage             *self,
                                                const char                *code,
                                                gint64                    *id,
                                                GError                   **error);
/* Makes the incident, or with an external_id the channel sent before
 * finds the first one (created FALSE). */
gboolean        pct_hub_storage_intake_incident (PctHubStorage            *self,
                                                const PctHubIntake        *intake,
                                                gint64                     now,
                                                gint64                    *id,
                                                char                     **uuid,
                                                gboolean                  *created,
                                                GError                   **error);
/* Writes the audit row, then returns the field's value as JSON.
 * NOT_FOUND: no such record; FORBIDDEN: the role may not unmask it;
 * INVALID: not a personal field. */
char           *pct_hub_storage_unmask         (PctHubStorage             *self,
                                                const PctHubActor         *actor,
                                                const char                *entity,
                                                gint64                     id,
                                                const char                *field,
                                                const char                *reason,
                                                gint64                     now,
                                                GError                   **error);

/* PctHubCategory, every category of the district. */
GPtrArray      *pct_hub_storage_list_categories (PctHubStorage            *self,
                                                GError                   **error);
/* PctHubPlace, at most max drawn at random. */
GPtrArray      *pct_hub_storage_sample_places  (PctHubStorage             *self,
                                                PctHubPlaceKind            kind,
                                                guint                      max,
                                                GError                   **error);

/* For implementations: tells the server that the feed moved on. */
void            pct_hub_storage_emit_changed   (PctHubStorage             *self,
                                                gint64                     last_seq);

G_END_DECLS
