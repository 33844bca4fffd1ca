/* pct-tile-fetcher.h — XYZ tiles from a tile server, with a disk cache
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PCT_TILE_FETCHER_ERROR (pct_tile_fetcher_error_quark ())

typedef enum
{
  PCT_TILE_FETCHER_ERROR_INVALID_TEMPLATE,
  PCT_TILE_FETCHER_ERROR_CA_FILE,       /* the CA file cannot be read */
  PCT_TILE_FETCHER_ERROR_OFFLINE,       /* unreachable, and not in the cache */
  PCT_TILE_FETCHER_ERROR_NOT_FOUND,     /* the server has no such tile */
  PCT_TILE_FETCHER_ERROR_SERVER,        /* an HTTP error other than 404 */
  PCT_TILE_FETCHER_ERROR_TLS,           /* the server's certificate is not trusted */
  PCT_TILE_FETCHER_ERROR_NOT_AN_IMAGE,  /* the answer is not a PNG or JPEG */
} PctTileFetcherError;

/* What the last exchange with the server showed. */
typedef enum
{
  PCT_TILE_FETCHER_STATE_UNKNOWN,   /* nothing asked of the server yet */
  PCT_TILE_FETCHER_STATE_ONLINE,    /* the server answered */
  PCT_TILE_FETCHER_STATE_OFFLINE,   /* the server could not be reached */
  PCT_TILE_FETCHER_STATE_ERROR,     /* reached, but an HTTP or TLS error */
} PctTileFetcherState;

#define PCT_TYPE_TILE_FETCHER_STATE (pct_tile_fetcher_state_get_type ())
GType pct_tile_fetcher_state_get_type (void) G_GNUC_CONST;

#define PCT_TYPE_TILE_FETCHER (pct_tile_fetcher_get_type ())
G_DECLARE_FINAL_TYPE (PctTileFetcher, pct_tile_fetcher, PCT, TILE_FETCHER, GObject)

GQuark               pct_tile_fetcher_error_quark          (void);

gboolean             pct_tile_fetcher_validate_template    (const char           *url_template,
                                                            GError              **error);
char                *pct_tile_fetcher_dup_default_cache_dir (const char          *url_template);

PctTileFetcher      *pct_tile_fetcher_new                  (const char           *url_template,
                                                            const char           *ca_file,
                                                            const char           *cache_dir,
                                                            GError              **error);
const char          *pct_tile_fetcher_get_url_template     (PctTileFetcher       *self);
const char          *pct_tile_fetcher_get_ca_file          (PctTileFetcher       *self);
const char          *pct_tile_fetcher_get_cache_dir        (PctTileFetcher       *self);
char                *pct_tile_fetcher_dup_host             (PctTileFetcher       *self);
char                *pct_tile_fetcher_dup_url              (PctTileFetcher       *self,
                                                            guint                 zoom,
                                                            guint                 x,
                                                            guint                 y);

guint                pct_tile_fetcher_get_max_connections  (PctTileFetcher       *self);
void                 pct_tile_fetcher_set_max_connections  (PctTileFetcher       *self,
                                                            guint                 max_connections);
guint                pct_tile_fetcher_get_timeout          (PctTileFetcher       *self);
void                 pct_tile_fetcher_set_timeout          (PctTileFetcher       *self,
                                                            guint                 seconds);
guint                pct_tile_fetcher_get_max_age          (PctTileFetcher       *self);
void                 pct_tile_fetcher_set_max_age          (PctTileFetcher       *self,
                                                            guint                 seconds);
guint                pct_tile_fetcher_get_retry_interval   (PctTileFetcher       *self);
void                 pct_tile_fetcher_set_retry_interval   (PctTileFetcher       *self,
                                                            guint                 seconds);
guint64              pct_tile_fetcher_get_cache_size_limit (PctTileFetcher       *self);
void                 pct_tile_fetcher_set_cache_size_limit (PctTileFetcher       *self,
                                                            guint64               bytes);

PctTileFetcherState  pct_tile_fetcher_get_state            (PctTileFetcher       *self);
const char          *pct_tile_fetcher_get_last_error       (PctTileFetcher       *self);

void                 pct_tile_fetcher_fetch_async          (PctTileFetcher       *self,
                                                            guint                 zoom,
                                                            guint                 x,
                                                            guint                 y,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
GBytes              *pct_tile_fetcher_fetch_finish         (PctTileFetcher       *self,
                                                            GAsyncResult         *result,
                                                            gboolean             *from_cache,
                                                            GError              **error);

void                 pct_tile_fetcher_probe_async          (PctTileFetcher       *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean             pct_tile_fetcher_probe_finish         (PctTileFetcher       *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

void                 pct_tile_fetcher_trim_cache_async     (PctTileFetcher       *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean             pct_tile_fetcher_trim_cache_finish    (PctTileFetcher       *self,
                                                            GAsyncResult         *result,
                                                            guint64              *cache_size,
                                                            GError              **error);

G_END_DECLS
