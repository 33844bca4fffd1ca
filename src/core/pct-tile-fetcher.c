/* pct-tile-fetcher.c — XYZ tiles from a tile server, with a disk cache
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Command centres often sit on networks where the tile server comes and
 * goes, so every tile fetched is kept on disk under
 * $XDG_CACHE_HOME/precinct/tiles/<hash of the URL template>/z/x/y, and a
 * tile the server cannot give is served from there, however old.
 *
 * A tile is asked for in three steps: the cache is read in a worker
 * thread; a fresh copy is returned at once; otherwise the server is asked,
 * on the thread that owns the fetcher. When the server cannot be reached
 * the fetcher remembers it for a while (the retry interval) and answers
 * from the cache alone meanwhile, so that a screenful of tiles does not
 * wait for a screenful of timeouts.
 *
 * TLS is always verified, by the rule of pct-tls.c: against the system's
 * authorities, and when a CA file is given also against it, for a
 * district's own authority; a wrong host name or an expired certificate
 * is refused whatever the file holds.
 *
 * The object belongs to the thread that made it: its async calls must be
 * made there and complete there.
 */

#define G_LOG_DOMAIN "pct-tile-fetcher"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "pct-tile-fetcher.h"
#include "pct-tls.h"
#include "pct-tls-handshakes.h"

struct _PctTileFetcher
{
  GObject              parent_instance;

  char                *url_template;
  char                *ca_file;
  char                *cache_dir;
  guint                max_connections;
  guint                timeout;
  guint                max_age;
  guint                retry_interval;
  guint64              cache_size_limit;

  PctTileFetcherState  state;
  char                *last_error;

  SoupSession         *session;
  PctTlsKeeper        *tls_keeper;          /* outlives the sessions */
  GTlsDatabase        *ca_database;
  gint64               offline_since;       /* monotonic µs; 0 when not */
  guint64              written_since_trim;  /* bytes */
  guint                trimming : 1;
  guint                trimmed_once : 1;
};

typedef struct
{
  guint    zoom;
  guint    x;
  guint    y;
  char    *path;
  GBytes  *cached;
  gint64   cached_mtime;   /* seconds since the epoch */
} Fetch;

typedef struct
{
  char    *cache_dir;
  guint64  limit;
} Trim;

typedef struct
{
  char   *path;
  GBytes *bytes;
} CacheWrite;

static void pct_tile_fetcher_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PctTileFetcher, pct_tile_fetcher, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      pct_tile_fetcher_initable_iface_init))

G_DEFINE_QUARK (pct-tile-fetcher-error-quark, pct_tile_fetcher_error)

enum {
  PROP_0,
  PROP_URL_TEMPLATE,
  PROP_CA_FILE,
  PROP_CACHE_DIR,
  PROP_MAX_CONNECTIONS,
  PROP_TIMEOUT,
  PROP_MAX_AGE,
  PROP_RETRY_INTERVAL,
  PROP_CACHE_SIZE_LIMIT,
  PROP_STATE,
  PROP_LAST_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_MAX_CONNECTIONS  4
#define DEFAULT_TIMEOUT          10                        /* seconds */
#define DEFAULT_MAX_AGE          (7 * 24 * 3600)           /* seconds */
#define DEFAULT_RETRY_INTERVAL   30                        /* seconds */
#define DEFAULT_CACHE_SIZE_LIMIT (G_GUINT64_CONSTANT (512) * 1024 * 1024)

/* Trimming walks the whole cache, so it waits until an eighth of the
 * limit has been written since the last time. */
#define TRIM_EVERY_FRACTION 8

/* A trimmed cache keeps this share of the limit, so that the next trim
 * does not follow the next tile. */
#define TRIM_TARGET 0.9

#define MAX_ZOOM 30

GType
pct_tile_fetcher_state_get_type (void)
{
  static gsize type_id = 0;
  static const GEnumValue values[] = {
    { PCT_TILE_FETCHER_STATE_UNKNOWN, "PCT_TILE_FETCHER_STATE_UNKNOWN", "unknown" },
    { PCT_TILE_FETCHER_STATE_ONLINE, "PCT_TILE_FETCHER_STATE_ONLINE", "online" },
    { PCT_TILE_FETCHER_STATE_OFFLINE, "PCT_TILE_FETCHER_STATE_OFFLINE", "offline" },
    { PCT_TILE_FETCHER_STATE_ERROR, "PCT_TILE_FETCHER_STATE_ERROR", "error" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&type_id))
    {
      GType id = g_enum_register_static (g_intern_static_string ("PctTileFetcherState"), values);

      g_once_init_leave (&type_id, id);
    }

  return type_id;
}

static void
fetch_free (Fetch *fetch)
{
  g_free (fetch->path);
  g_clear_pointer (&fetch->cached, g_bytes_unref);
  g_free (fetch);
}

static void
trim_free (Trim *trim)
{
  g_free (trim->cache_dir);
  g_free (trim);
}

static void
cache_write_free (CacheWrite *write)
{
  g_free (write->path);
  g_clear_pointer (&write->bytes, g_bytes_unref);
  g_free (write);
}

/* Replaces {z}, {x} and {y}; anything else in braces is left alone for
 * the validation to find. */
static char *
expand_template (const char *url_template,
                 guint       zoom,
                 guint       x,
                 guint       y)
{
  GString *url = g_string_new (NULL);

  for (const char *p = url_template; *p != '\0'; p++)
    {
      if (g_str_has_prefix (p, "{z}"))
        g_string_append_printf (url, "%u", zoom);
      else if (g_str_has_prefix (p, "{x}"))
        g_string_append_printf (url, "%u", x);
      else if (g_str_has_prefix (p, "{y}"))
        g_string_append_printf (url, "%u", y);
      else
        {
          g_string_append_c (url, *p);
          continue;
        }
      p += 2;
    }

  return g_string_free (url, FALSE);
}

static gboolean
is_image (GBytes *bytes)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff };
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  return (size >= sizeof png && memcmp (data, png, sizeof png) == 0) ||
         (size >= sizeof jpeg && memcmp (data, jpeg, sizeof jpeg) == 0);
}

static void
set_state (PctTileFetcher      *self,
           PctTileFetcherState  state,
           const char          *message)
{
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }

  if (g_strcmp0 (self->last_error, message) != 0)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
    }
}

static SoupSession *
ensure_session (PctTileFetcher *self)
{
  if (self->session == NULL)
    self->session = soup_session_new_with_options ("user-agent", "Precinct/" PACKAGE_VERSION,
                                                   "max-conns", self->max_connections,
                                                   "max-conns-per-host", self->max_connections,
                                                   "timeout", self->timeout,
                                                   NULL);
  return self->session;
}

static SoupMessage *
new_message (PctTileFetcher *self,
             guint           zoom,
             guint           x,
             guint           y)
{
  g_autofree char *url = expand_template (self->url_template, zoom, x, y);
  SoupMessage *message = soup_message_new (SOUP_METHOD_GET, url);

  /* The template was validated, and numbers keep a URL valid. */
  g_return_val_if_fail (message != NULL, NULL);

  soup_message_headers_append (soup_message_get_request_headers (message),
                               "Accept", "image/png, image/jpeg;q=0.9");
  pct_tls_verify_message (message, self->ca_database);
  pct_tls_keeper_prune (self->tls_keeper);
  pct_tls_keeper_watch (self->tls_keeper, message);

  return message;
}

/* Sorts out what a finished exchange means: the tile's bytes, or an error
 * with the fetcher's state updated. */
static GBytes *
interpret_response (PctTileFetcher  *self,
                    SoupMessage     *message,
                    GBytes          *body,
                    GError          *transport_error,
                    GError         **error)
{
  guint status = soup_message_get_status (message);
  g_autofree char *host = pct_tile_fetcher_dup_host (self);
  g_autoptr(GError) tls_error = NULL;

  if (transport_error != NULL)
    {
      if (g_error_matches (transport_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_error_copy (transport_error));
          return NULL;
        }

      tls_error = pct_tls_error_for_message (message, transport_error);
      if (tls_error != NULL)
        {
          set_state (self, PCT_TILE_FETCHER_STATE_ERROR, tls_error->message);
          g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_TLS,
                               tls_error->message);
        }
      else
        {
          g_autofree char *text =
            g_strdup_printf (_("Cannot reach the tile server %s: %s"),
                             host, transport_error->message);

          self->offline_since = g_get_monotonic_time ();
          set_state (self, PCT_TILE_FETCHER_STATE_OFFLINE, text);
          g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_OFFLINE, text);
        }
      return NULL;
    }

  self->offline_since = 0;

  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_NO_CONTENT)
    {
      /* A server that says it has no such tile is working. */
      set_state (self, PCT_TILE_FETCHER_STATE_ONLINE, NULL);
      g_set_error (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_NOT_FOUND,
                   _("The tile server %s has no such tile"), host);
      return NULL;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autofree char *text =
        g_strdup_printf (_("The tile server %s answered “%u %s”"), host, status,
                         soup_message_get_reason_phrase (message) != NULL ?
                         soup_message_get_reason_phrase (message) : "");

      set_state (self, PCT_TILE_FETCHER_STATE_ERROR, text);
      g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_SERVER, text);
      return NULL;
    }

  /* A login page in front of the server would otherwise fill the cache
   * with HTML. */
  if (body == NULL || !is_image (body))
    {
      g_autofree char *text =
        g_strdup_printf (_("The tile server %s answered with something other than a PNG or JPEG image"),
                         host);

      set_state (self, PCT_TILE_FETCHER_STATE_ERROR, text);
      g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_NOT_AN_IMAGE, text);
      return NULL;
    }

  set_state (self, PCT_TILE_FETCHER_STATE_ONLINE, NULL);
  return g_bytes_ref (body);
}

static guint64
trim_directory (const char *cache_dir,
                guint64     limit);

static void
trim_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Trim *trim = task_data;
  guint64 size = trim_directory (trim->cache_dir, trim->limit);

  g_task_return_pointer (task, g_memdup2 (&size, sizeof size), g_free);
}

static void
trimmed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  PctTileFetcher *self = PCT_TILE_FETCHER (object);
  g_autoptr(GError) error = NULL;

  if (!pct_tile_fetcher_trim_cache_finish (self, result, NULL, &error))
    g_debug ("Cannot trim the tile cache %s: %s", self->cache_dir, error->message);
}

static void
trim_completed_cb (PctTileFetcher *self,
                   GParamSpec     *pspec,
                   GTask          *task)
{
  self->trimming = FALSE;
}

static void
cache_write_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  CacheWrite *write = task_data;
  g_autofree char *dir = g_path_get_dirname (write->path);
  GError *error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (write->bytes, &size);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "%s: %s", dir, g_strerror (saved_errno));
      return;
    }

  /* Written beside and renamed over: a reader never sees half a tile. */
  if (!g_file_set_contents_full (write->path, data, size, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
cache_written_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PctTileFetcher *self = PCT_TILE_FETCHER (object);
  CacheWrite *write = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* A full disk costs the cache, not the map. */
      g_debug ("Cannot cache the tile %s: %s", write->path, error->message);
      return;
    }

  self->written_since_trim += g_bytes_get_size (write->bytes);

  /* Once a session, since an earlier one may have left the cache full;
   * then whenever enough has been written. */
  if (self->cache_size_limit > 0 && !self->trimming &&
      (!self->trimmed_once ||
       self->written_since_trim > self->cache_size_limit / TRIM_EVERY_FRACTION))
    pct_tile_fetcher_trim_cache_async (self, NULL, trimmed_cb, NULL);
}

static void
write_cache (PctTileFetcher *self,
             const char     *path,
             GBytes         *bytes)
{
  g_autoptr(GTask) task = NULL;
  CacheWrite *write = g_new0 (CacheWrite, 1);

  write->path = g_strdup (path);
  write->bytes = g_bytes_ref (bytes);

  task = g_task_new (self, NULL, cache_written_cb, NULL);
  g_task_set_source_tag (task, write_cache);
  g_task_set_task_data (task, write, (GDestroyNotify) cache_write_free);
  g_task_run_in_thread (task, cache_write_thread);
}

typedef struct
{
  char    *path;
  guint64  size;
  gint64   mtime;
} CacheEntry;

static void
cache_entry_clear (CacheEntry *entry)
{
  g_free (entry->path);
}

static int
compare_entries_by_age (gconstpointer a,
                        gconstpointer b)
{
  const CacheEntry *ea = a;
  const CacheEntry *eb = b;

  return (ea->mtime > eb->mtime) - (ea->mtime < eb->mtime);
}

/* Collects the files under dir, depth levels down (z/x/y is 3). */
static void
collect_entries (const char *dir,
                 guint       depth,
                 GArray     *entries,
                 guint64    *total)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  if (handle == NULL)
    return;

  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (g_lstat (path, &st) != 0)
        continue;

      if (S_ISDIR (st.st_mode) && depth > 1)
        collect_entries (path, depth - 1, entries, total);
      else if (S_ISREG (st.st_mode) && depth == 1)
        {
          CacheEntry entry = { g_steal_pointer (&path), (guint64) st.st_size, st.st_mtime };

          g_array_append_val (entries, entry);
          *total += entry.size;
        }
    }
}

/* Deletes the oldest tiles until the cache fits; returns its size. Runs in
 * a worker thread. */
static guint64
trim_directory (const char *cache_dir,
                guint64     limit)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CacheEntry));
  guint64 total = 0;
  guint64 target = (guint64) (limit * TRIM_TARGET);

  g_array_set_clear_func (entries, (GDestroyNotify) cache_entry_clear);
  collect_entries (cache_dir, 3, entries, &total);

  if (limit == 0 || total <= limit)
    return total;

  /* Oldest downloads first. A tile in use is downloaded again once it is
   * older than the maximum age, so what goes is what nobody looked at
   * for a long time. */
  g_array_sort (entries, compare_entries_by_age);

  for (guint i = 0; i < entries->len && total > target; i++)
    {
      CacheEntry *entry = &g_array_index (entries, CacheEntry, i);

      if (g_unlink (entry->path) == 0 || errno == ENOENT)
        total -= entry->size;
    }

  return total;
}

static void
read_cache_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Fetch *fetch = task_data;
  char *contents = NULL;
  gsize length = 0;
  GStatBuf st;

  if (g_stat (fetch->path, &st) == 0 && S_ISREG (st.st_mode) &&
      g_file_get_contents (fetch->path, &contents, &length, NULL))
    {
      fetch->cached = g_bytes_new_take (contents, length);
      fetch->cached_mtime = st.st_mtime;
      /* A damaged file is as good as none. */
      if (!is_image (fetch->cached))
        g_clear_pointer (&fetch->cached, g_bytes_unref);
    }

  g_task_return_boolean (task, TRUE);
}

static void
return_fallback (GTask  *task,
                 GError *error)
{
  Fetch *fetch = g_task_get_task_data (task);

  if (fetch->cached != NULL &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      g_task_return_pointer (task, g_bytes_ref (fetch->cached), (GDestroyNotify) g_bytes_unref);
    }
  else
    g_task_return_error (task, error);
}

static void
tile_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PctTileFetcher *self = g_task_get_source_object (task);
  Fetch *fetch = g_task_get_task_data (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) tile = NULL;
  g_autoptr(GError) transport_error = NULL;
  GError *error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &transport_error);
  tile = interpret_response (self, message, body, transport_error, &error);

  if (tile == NULL)
    {
      return_fallback (task, error);
      return;
    }

  write_cache (self, fetch->path, tile);
  g_task_return_pointer (task, g_steal_pointer (&tile), (GDestroyNotify) g_bytes_unref);
}

static void
cache_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  PctTileFetcher *self = PCT_TILE_FETCHER (object);
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *host = NULL;
  GCancellable *cancellable;
  gint64 age = g_get_real_time () / G_USEC_PER_SEC - fetch->cached_mtime;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (fetch->cached != NULL && age >= 0 && age < self->max_age)
    {
      g_task_return_pointer (task, g_bytes_ref (fetch->cached), (GDestroyNotify) g_bytes_unref);
      return;
    }

  if (self->offline_since != 0 &&
      g_get_monotonic_time () < self->offline_since +
                                (gint64) self->retry_interval * G_USEC_PER_SEC)
    {
      host = pct_tile_fetcher_dup_host (self);
      return_fallback (task, g_error_new (PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_OFFLINE,
                                          _("The tile server %s is unreachable and the tile "
                                            "%u/%u/%u is not in the cache"),
                                          host, fetch->zoom, fetch->x, fetch->y));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  message = new_message (self, fetch->zoom, fetch->x, fetch->y);
  soup_session_send_and_read_async (ensure_session (self), message, G_PRIORITY_DEFAULT,
                                    cancellable, tile_sent_cb, g_steal_pointer (&task));
}

static void
probe_sent_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PctTileFetcher *self = g_task_get_source_object (task);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) tile = NULL;
  g_autoptr(GError) transport_error = NULL;
  GError *error = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &transport_error);
  tile = interpret_response (self, message, body, transport_error, &error);

  /* The server answering at all is what the probe asks. */
  if (tile == NULL && !g_error_matches (error, PCT_TILE_FETCHER_ERROR,
                                        PCT_TILE_FETCHER_ERROR_NOT_FOUND))
    g_task_return_error (task, error);
  else
    {
      g_clear_error (&error);
      g_task_return_boolean (task, TRUE);
    }
}

static gboolean
pct_tile_fetcher_initable_init (GInitable     *initable,
                                GCancellable  *cancellable,
                                GError       **error)
{
  PctTileFetcher *self = PCT_TILE_FETCHER (initable);

  if (!pct_tile_fetcher_validate_template (self->url_template, error))
    return FALSE;

  if (self->ca_file != NULL && *self->ca_file != '\0')
    {
      g_autoptr(GError) local_error = NULL;

      self->ca_database = pct_tls_database_new_for_ca_file (self->ca_file, &local_error);
      if (self->ca_database == NULL)
        {
          g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_CA_FILE,
                               local_error->message);
          return FALSE;
        }
    }

  if (self->cache_dir == NULL)
    self->cache_dir = pct_tile_fetcher_dup_default_cache_dir (self->url_template);

  return TRUE;
}

static void
pct_tile_fetcher_initable_iface_init (GInitableIface *iface)
{
  iface->init = pct_tile_fetcher_initable_init;
}

static void
pct_tile_fetcher_dispose (GObject *object)
{
  PctTileFetcher *self = (PctTileFetcher *) object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->ca_database);

  G_OBJECT_CLASS (pct_tile_fetcher_parent_class)->dispose (object);
}

static void
pct_tile_fetcher_finalize (GObject *object)
{
  PctTileFetcher *self = (PctTileFetcher *) object;

  g_clear_pointer (&self->url_template, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->cache_dir, g_free);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->tls_keeper, pct_tls_keeper_free);

  G_OBJECT_CLASS (pct_tile_fetcher_parent_class)->finalize (object);
}

static void
pct_tile_fetcher_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PctTileFetcher *self = PCT_TILE_FETCHER (object);

  switch (prop_id)
    {
    case PROP_URL_TEMPLATE:
      g_value_set_string (value, self->url_template);
      break;

    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;

    case PROP_CACHE_DIR:
      g_value_set_string (value, self->cache_dir);
      break;

    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, self->max_connections);
      break;

    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;

    case PROP_MAX_AGE:
      g_value_set_uint (value, self->max_age);
      break;

    case PROP_RETRY_INTERVAL:
      g_value_set_uint (value, self->retry_interval);
      break;

    case PROP_CACHE_SIZE_LIMIT:
      g_value_set_uint64 (value, self->cache_size_limit);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_tile_fetcher_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  PctTileFetcher *self = PCT_TILE_FETCHER (object);

  switch (prop_id)
    {
    case PROP_URL_TEMPLATE:
      self->url_template = g_value_dup_string (value);
      break;

    case PROP_CA_FILE:
      self->ca_file = g_value_dup_string (value);
      break;

    case PROP_CACHE_DIR:
      self->cache_dir = g_value_dup_string (value);
      break;

    case PROP_MAX_CONNECTIONS:
      pct_tile_fetcher_set_max_connections (self, g_value_get_uint (value));
      break;

    case PROP_TIMEOUT:
      pct_tile_fetcher_set_timeout (self, g_value_get_uint (value));
      break;

    case PROP_MAX_AGE:
      pct_tile_fetcher_set_max_age (self, g_value_get_uint (value));
      break;

    case PROP_RETRY_INTERVAL:
      pct_tile_fetcher_set_retry_interval (self, g_value_get_uint (value));
      break;

    case PROP_CACHE_SIZE_LIMIT:
      pct_tile_fetcher_set_cache_size_limit (self, g_value_get_uint64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pct_tile_fetcher_class_init (PctTileFetcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pct_tile_fetcher_dispose;
  object_class->finalize = pct_tile_fetcher_finalize;
  object_class->get_property = pct_tile_fetcher_get_property;
  object_class->set_property = pct_tile_fetcher_set_property;

  properties[PROP_URL_TEMPLATE] =
    g_param_spec_string ("url-template", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* A PEM file of authorities trusted besides the system's. */
  properties[PROP_CA_FILE] =
    g_param_spec_string ("ca-file", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* NULL for the default, under the user's cache directory. */
  properties[PROP_CACHE_DIR] =
    g_param_spec_string ("cache-dir", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Connections to the server at once; more queue. */
  properties[PROP_MAX_CONNECTIONS] =
    g_param_spec_uint ("max-connections", NULL, NULL,
                       1, 64, DEFAULT_MAX_CONNECTIONS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Seconds a connection may sit silent before the request fails. */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       1, 600, DEFAULT_TIMEOUT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Seconds a cached tile is served without asking the server; 0 asks
   * every time (and still falls back on the cache). */
  properties[PROP_MAX_AGE] =
    g_param_spec_uint ("max-age", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_MAX_AGE,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Seconds after failing to reach the server before trying again. */
  properties[PROP_RETRY_INTERVAL] =
    g_param_spec_uint ("retry-interval", NULL, NULL,
                       0, 3600, DEFAULT_RETRY_INTERVAL,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Bytes the disk cache may hold; 0 for no limit. */
  properties[PROP_CACHE_SIZE_LIMIT] =
    g_param_spec_uint64 ("cache-size-limit", NULL, NULL,
                         0, G_MAXUINT64, DEFAULT_CACHE_SIZE_LIMIT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       PCT_TYPE_TILE_FETCHER_STATE, PCT_TILE_FETCHER_STATE_UNKNOWN,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Why the state is offline or error, for people; NULL when online. */
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pct_tile_fetcher_init (PctTileFetcher *self)
{
  self->max_connections = DEFAULT_MAX_CONNECTIONS;
  self->timeout = DEFAULT_TIMEOUT;
  self->max_age = DEFAULT_MAX_AGE;
  self->retry_interval = DEFAULT_RETRY_INTERVAL;
  self->cache_size_limit = DEFAULT_CACHE_SIZE_LIMIT;
  self->tls_keeper = pct_tls_keeper_new ();
}

/**
 * pct_tile_fetcher_validate_template:
 * @url_template: an http or https URL with {z}, {x} and {y}
 *
 * Checks a URL template as typed by a person, with a message saying what
 * is wrong.
 */
gboolean
pct_tile_fetcher_validate_template (const char  *url_template,
                                    GError     **error)
{
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (url_template == NULL || *url_template == '\0')
    {
      g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_INVALID_TEMPLATE,
                           _("No tile server URL is set"));
      return FALSE;
    }

  if (strstr (url_template, "{z}") == NULL || strstr (url_template, "{x}") == NULL ||
      strstr (url_template, "{y}") == NULL)
    {
      g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_INVALID_TEMPLATE,
                           _("The URL must contain {z}, {x} and {y}"));
      return FALSE;
    }

  url = expand_template (url_template, 0, 0, 0);
  if (strchr (url, '{') != NULL || strchr (url, '}') != NULL)
    {
      g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_INVALID_TEMPLATE,
                           _("Only {z}, {x} and {y} can stand for parts of the URL"));
      return FALSE;
    }

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error_literal (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_INVALID_TEMPLATE,
                           _("The URL must start with https:// or http:// and name a server"));
      return FALSE;
    }

  return TRUE;
}

/* $XDG_CACHE_HOME/precinct/tiles/<hash>: each template its own folder, so
 * that two servers' tiles never mix. */
char *
pct_tile_fetcher_dup_default_cache_dir (const char *url_template)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (url_template != NULL, NULL);

  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, url_template, -1);
  hash[16] = '\0';

  return g_build_filename (g_get_user_cache_dir (), "precinct", "tiles", hash, NULL);
}

/**
 * pct_tile_fetcher_new:
 * @url_template: e.g. https://tiles.example.org/{z}/{x}/{y}.png
 * @ca_file: (nullable): a PEM file of authorities trusted besides the
 *   system's
 * @cache_dir: (nullable): where tiles are kept; NULL for the default
 *
 * Fails when the template is not a valid one or the CA file cannot be read.
 */
PctTileFetcher *
pct_tile_fetcher_new (const char  *url_template,
                      const char  *ca_file,
                      const char  *cache_dir,
                      GError     **error)
{
  return g_initable_new (PCT_TYPE_TILE_FETCHER, NULL, error,
                         "url-template", url_template,
                         "ca-file", ca_file,
                         "cache-dir", cache_dir,
                         NULL);
}

const char *
pct_tile_fetcher_get_url_template (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), NULL);

  return self->url_template;
}

const char *
pct_tile_fetcher_get_ca_file (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), NULL);

  return self->ca_file;
}

const char *
pct_tile_fetcher_get_cache_dir (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), NULL);

  return self->cache_dir;
}

/* The server's host name, as shown to people. */
char *
pct_tile_fetcher_dup_host (PctTileFetcher *self)
{
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), NULL);

  url = expand_template (self->url_template, 0, 0, 0);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

  return g_strdup (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : url);
}

char *
pct_tile_fetcher_dup_url (PctTileFetcher *self,
                          guint           zoom,
                          guint           x,
                          guint           y)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), NULL);

  return expand_template (self->url_template, zoom, x, y);
}

guint
pct_tile_fetcher_get_max_connections (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), 0);

  return self->max_connections;
}

/* Takes effect for requests made from now on. */
void
pct_tile_fetcher_set_max_connections (PctTileFetcher *self,
                                      guint           max_connections)
{
  g_return_if_fail (PCT_IS_TILE_FETCHER (self));
  g_return_if_fail (max_connections >= 1);

  if (self->max_connections == max_connections)
    return;

  self->max_connections = max_connections;
  /* The session's limits are fixed when it is made; requests under way
   * keep the old one alive until they finish. */
  g_clear_object (&self->session);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONNECTIONS]);
}

guint
pct_tile_fetcher_get_timeout (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), 0);

  return self->timeout;
}

void
pct_tile_fetcher_set_timeout (PctTileFetcher *self,
                              guint           seconds)
{
  g_return_if_fail (PCT_IS_TILE_FETCHER (self));
  g_return_if_fail (seconds >= 1);

  if (self->timeout == seconds)
    return;

  self->timeout = seconds;
  if (self->session != NULL)
    soup_session_set_timeout (self->session, seconds);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

guint
pct_tile_fetcher_get_max_age (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), 0);

  return self->max_age;
}

void
pct_tile_fetcher_set_max_age (PctTileFetcher *self,
                              guint           seconds)
{
  g_return_if_fail (PCT_IS_TILE_FETCHER (self));

  if (self->max_age == seconds)
    return;

  self->max_age = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_AGE]);
}

guint
pct_tile_fetcher_get_retry_interval (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), 0);

  return self->retry_interval;
}

void
pct_tile_fetcher_set_retry_interval (PctTileFetcher *self,
                                     guint           seconds)
{
  g_return_if_fail (PCT_IS_TILE_FETCHER (self));

  if (self->retry_interval == seconds)
    return;

  self->retry_interval = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRY_INTERVAL]);
}

guint64
pct_tile_fetcher_get_cache_size_limit (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), 0);

  return self->cache_size_limit;
}

void
pct_tile_fetcher_set_cache_size_limit (PctTileFetcher *self,
                                       guint64         bytes)
{
  g_return_if_fail (PCT_IS_TILE_FETCHER (self));

  if (self->cache_size_limit == bytes)
    return;

  self->cache_size_limit = bytes;
  self->trimmed_once = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CACHE_SIZE_LIMIT]);
}

PctTileFetcherState
pct_tile_fetcher_get_state (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), PCT_TILE_FETCHER_STATE_UNKNOWN);

  return self->state;
}

/* Why the server is offline or in error, for people; NULL otherwise. */
const char *
pct_tile_fetcher_get_last_error (PctTileFetcher *self)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), NULL);

  return self->last_error;
}

/**
 * pct_tile_fetcher_fetch_async:
 * @y: row, from the north
 *
 * Gets a tile's image bytes: from the cache when it is fresh there, else
 * from the server, else from the cache however old. A tile neither the
 * server nor the cache has fails with a %PCT_TILE_FETCHER_ERROR; while the
 * server is unreachable that happens without waiting for the network.
 */
void
pct_tile_fetcher_fetch_async (PctTileFetcher      *self,
                              guint                zoom,
                              guint                x,
                              guint                y,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) read = NULL;
  Fetch *fetch;
  char zs[16], xs[16], ys[16];

  g_return_if_fail (PCT_IS_TILE_FETCHER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pct_tile_fetcher_fetch_async);

  if (zoom > MAX_ZOOM || x >= (1u << zoom) || y >= (1u << zoom))
    {
      g_task_return_new_error (task, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_NOT_FOUND,
                               _("There is no tile %u/%u/%u"), zoom, x, y);
      return;
    }

  g_snprintf (zs, sizeof zs, "%u", zoom);
  g_snprintf (xs, sizeof xs, "%u", x);
  g_snprintf (ys, sizeof ys, "%u", y);

  fetch = g_new0 (Fetch, 1);
  fetch->zoom = zoom;
  fetch->x = x;
  fetch->y = y;
  fetch->path = g_build_filename (self->cache_dir, zs, xs, ys, NULL);
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);

  /* The outer task owns the Fetch; the read fills it in. */
  read = g_task_new (self, cancellable, cache_read_cb, g_steal_pointer (&task));
  g_task_set_source_tag (read, read_cache_thread);
  g_task_set_task_data (read, fetch, NULL);
  g_task_run_in_thread (read, read_cache_thread);
}

/**
 * pct_tile_fetcher_fetch_finish:
 * @from_cache: (out) (optional): set to whether the bytes came from the
 *   disk cache
 *
 * Returns: (transfer full): the PNG or JPEG bytes of the tile
 */
GBytes *
pct_tile_fetcher_fetch_finish (PctTileFetcher  *self,
                               GAsyncResult    *result,
                               gboolean        *from_cache,
                               GError         **error)
{
  Fetch *fetch;
  GBytes *bytes;

  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pct_tile_fetcher_fetch_async,
                        NULL);

  bytes = g_task_propagate_pointer (G_TASK (result), error);
  fetch = g_task_get_task_data (G_TASK (result));
  if (from_cache != NULL)
    *from_cache = bytes != NULL && fetch != NULL && bytes == fetch->cached;

  return bytes;
}

/**
 * pct_tile_fetcher_probe_async:
 *
 * Asks the server for its top tile, bypassing the cache and any pause
 * after a failure, to find out whether it can be reached. The answer also
 * updates #PctTileFetcher:state.
 */
void
pct_tile_fetcher_probe_async (PctTileFetcher      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;

  g_return_if_fail (PCT_IS_TILE_FETCHER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pct_tile_fetcher_probe_async);

  message = new_message (self, 0, 0, 0);
  soup_session_send_and_read_async (ensure_session (self), message, G_PRIORITY_DEFAULT,
                                    cancellable, probe_sent_cb, g_steal_pointer (&task));
}

/* TRUE when the server answered, even that it has no such tile. */
gboolean
pct_tile_fetcher_probe_finish (PctTileFetcher  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * pct_tile_fetcher_trim_cache_async:
 *
 * Deletes the oldest tiles from the disk cache until it holds less than
 * the size limit. Runs by itself as tiles are written; this call is for
 * doing it now.
 */
void
pct_tile_fetcher_trim_cache_async (PctTileFetcher      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Trim *trim;

  g_return_if_fail (PCT_IS_TILE_FETCHER (self));

  self->trimming = TRUE;
  self->trimmed_once = TRUE;
  self->written_since_trim = 0;

  trim = g_new0 (Trim, 1);
  trim->cache_dir = g_strdup (self->cache_dir);
  trim->limit = self->cache_size_limit;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pct_tile_fetcher_trim_cache_async);
  g_task_set_task_data (task, trim, (GDestroyNotify) trim_free);
  g_signal_connect_object (task, "notify::completed",
                           G_CALLBACK (trim_completed_cb), self, G_CONNECT_SWAPPED);
  g_task_run_in_thread (task, trim_thread);
}

gboolean
pct_tile_fetcher_trim_cache_finish (PctTileFetcher  *self,
                                    GAsyncResult    *result,
                                    guint64         *cache_size,
                                    GError         **error)
{
  g_autofree guint64 *size = NULL;

  g_return_val_if_fail (PCT_IS_TILE_FETCHER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  size = g_task_propagate_pointer (G_TASK (result), error);
  if (size == NULL)
    return FALSE;

  if (cache_size != NULL)
    *cache_size = *size;
  return TRUE;
}
