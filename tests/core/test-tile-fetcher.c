/* test-tile-fetcher.c — XYZ tiles from a local tile server, then without it
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A SoupServer on 127.0.0.1 serves PNG tiles of known colours (and, for
 * some paths, errors, HTML or nothing at all). The fetcher gets tiles from
 * it, keeps them on disk, and once the server is gone serves what it kept
 * and fails fast on what it did not. With openssl at hand the server also
 * speaks HTTPS under a certificate authority made for the test, trusted
 * only through the fetcher's CA file.
 *
 * Every wait is bounded: a hang fails the test rather than meson's timer.
 */

#define G_LOG_DOMAIN "test-tile-fetcher"

#include "config.h"

#include <cairo.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <utime.h>

#include "pct-tile-fetcher.h"
#include "pct-tls-handshakes.h"

/* No exchange with a server on the same machine takes this long. */
#define WAIT_SECONDS 20

typedef struct
{
  SoupServer     *server;
  GSocketService *service;       /* for HTTPS */
  char           *base;          /* http://127.0.0.1:PORT */
  GHashTable     *requests;      /* path → count */
  GPtrArray      *paused;        /* SoupServerMessage held unanswered */
  char           *user_agent;    /* of the last request */
  guint           in_flight;     /* paused and not yet answered */
  guint           max_in_flight;
} TileServer;

typedef struct
{
  GBytes   *bytes;
  GError   *error;
  gboolean  from_cache;
  gboolean  done;
} FetchResult;

static void
fetch_result_clear (FetchResult *result)
{
  g_clear_pointer (&result->bytes, g_bytes_unref);
  g_clear_error (&result->error);
  result->done = FALSE;
  result->from_cache = FALSE;
}

static cairo_status_t
png_write_cb (void                *closure,
              const unsigned char *data,
              unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static GBytes *
make_png (guint32 rgb)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 256, 256);
  cairo_t *cr = cairo_create (surface);
  GByteArray *array = g_byte_array_new ();

  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                        (rgb & 0xff) / 255.0);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_write_to_png_stream (surface, png_write_cb, array);
  cairo_surface_destroy (surface);

  return g_byte_array_free_to_bytes (array);
}

static guint32
tile_colour (guint zoom,
             guint x,
             guint y)
{
  return (zoom * 16) << 16 | (x & 0xff) << 8 | (y & 0xff);
}

static void
iterate_until (gboolean   *flag,
               const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!*flag)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not finish within %d s", what, WAIT_SECONDS);
      g_main_context_iteration (NULL, FALSE);
      if (!*flag)
        g_usleep (500);
    }
}

/* Paths: /tiles/Z/X/Y.png a tile; Z = 9 404; Z = 10 500; Z = 11 HTML;
 * Z = 12 held until released. */
static void
server_callback (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  TileServer *ts = user_data;
  guint zoom, x, y;
  const char *agent;

  g_hash_table_replace (ts->requests, g_strdup (path),
                        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (ts->requests,
                                                                                 path)) + 1));
  agent = soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                        "User-Agent");
  g_free (ts->user_agent);
  ts->user_agent = g_strdup (agent);

  if (sscanf (path, "/tiles/%u/%u/%u.png", &zoom, &x, &y) != 3)
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  switch (zoom)
    {
    case 9:
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      break;

    case 10:
      soup_server_message_set_status (message, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      break;

    case 11:
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (message, "text/html", SOUP_MEMORY_STATIC,
                                        "<html><body>Please log in</body></html>", 39);
      break;

    case 12:
      soup_server_message_pause (message);
      g_ptr_array_add (ts->paused, g_object_ref (message));
      ts->in_flight++;
      ts->max_in_flight = MAX (ts->max_in_flight, ts->in_flight);
      break;

    default:
      {
        g_autoptr(GBytes) png = make_png (tile_colour (zoom, x, y));
        gsize size;
        const char *data = g_bytes_get_data (png, &size);

        soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response (message, "image/png", SOUP_MEMORY_COPY, data, size);
      }
      break;
    }
}

static void
release_paused (TileServer *ts)
{
  for (guint i = 0; i < ts->paused->len; i++)
    {
      SoupServerMessage *message = g_ptr_array_index (ts->paused, i);
      g_autoptr(GBytes) png = make_png (0x123456);
      gsize size;
      const char *data = g_bytes_get_data (png, &size);

      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (message, "image/png", SOUP_MEMORY_COPY, data, size);
      soup_server_message_unpause (message);
    }
  ts->in_flight = 0;
  g_ptr_array_set_size (ts->paused, 0);
}

static TileServer *
tile_server_start (GTlsCertificate *certificate)
{
  TileServer *ts = g_new0 (TileServer, 1);
  g_autoptr(GError) error = NULL;
  guint port;

  ts->server = soup_server_new (NULL, NULL);
  ts->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ts->paused = g_ptr_array_new_with_free_func (g_object_unref);
  soup_server_add_handler (ts->server, "/tiles", server_callback, ts, NULL);

  if (certificate != NULL)
    {
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
      g_autoptr(GSocketAddress) bound = NULL;

      ts->service = pct_tls_service_new (ts->server, certificate, address, &bound, &error);
      g_assert_no_error (error);
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    }
  else
    {
      GSList *uris;

      soup_server_listen_local (ts->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
      g_assert_no_error (error);
      uris = soup_server_get_uris (ts->server);
      g_assert_nonnull (uris);
      port = g_uri_get_port (uris->data);
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
    }

  ts->base = g_strdup_printf ("%s://127.0.0.1:%u", certificate != NULL ? "https" : "http", port);
  return ts;
}

static guint
tile_server_count (TileServer *ts,
                   const char *path)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (ts->requests, path));
}

/* The server goes away: its port refuses connections from now on. */
static void
tile_server_stop (TileServer *ts)
{
  release_paused (ts);
  if (ts->service != NULL)
    {
      pct_tls_service_close (ts->service);
      g_clear_object (&ts->service);
    }
  soup_server_disconnect (ts->server);
  g_clear_object (&ts->server);
}

static void
tile_server_free (TileServer *ts)
{
  if (ts->server != NULL)
    tile_server_stop (ts);
  g_hash_table_unref (ts->requests);
  g_ptr_array_unref (ts->paused);
  g_free (ts->base);
  g_free (ts->user_agent);
  g_free (ts);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TileServer, tile_server_free)

static char *
template_for (TileServer *ts)
{
  return g_strconcat (ts->base, "/tiles/{z}/{x}/{y}.png", NULL);
}

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  FetchResult *fetch = user_data;

  fetch->bytes = pct_tile_fetcher_fetch_finish (PCT_TILE_FETCHER (object), result,
                                                &fetch->from_cache, &fetch->error);
  fetch->done = TRUE;
}

static void
fetch (PctTileFetcher *fetcher,
       guint           zoom,
       guint           x,
       guint           y,
       FetchResult    *result)
{
  fetch_result_clear (result);
  pct_tile_fetcher_fetch_async (fetcher, zoom, x, y, NULL, fetched_cb, result);
  iterate_until (&result->done, "A tile fetch");
}

/* Until the cache writes that follow a download have landed. */
static void
wait_for_file (const char *path)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s was not written within %d s", path, WAIT_SECONDS);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static char *
cache_path (PctTileFetcher *fetcher,
            guint           zoom,
            guint           x,
            guint           y)
{
  char zs[16], xs[16], ys[16];

  g_snprintf (zs, sizeof zs, "%u", zoom);
  g_snprintf (xs, sizeof xs, "%u", x);
  g_snprintf (ys, sizeof ys, "%u", y);
  return g_build_filename (pct_tile_fetcher_get_cache_dir (fetcher), zs, xs, ys, NULL);
}

static void
assert_png (GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  g_assert_cmpuint (size, >, 8);
  g_assert_cmpmem (data, 4, "\x89PNG", 4);
}

static void
test_template (void)
{
  static const struct { const char *url; gboolean valid; } cases[] = {
    { "https://tiles.example.org/{z}/{x}/{y}.png", TRUE },
    { "http://10.1.2.3:8080/osm/{z}/{x}/{y}", TRUE },
    { "https://tiles.example.org/tile?z={z}&x={x}&y={y}", TRUE },
    { "", FALSE },
    { "https://tiles.example.org/{z}/{x}.png", FALSE },
    { "https://{s}.tiles.example.org/{z}/{x}/{y}.png", FALSE },
    { "ftp://tiles.example.org/{z}/{x}/{y}.png", FALSE },
    { "tiles.example.org/{z}/{x}/{y}.png", FALSE },
    { "https:///{z}/{x}/{y}.png", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean valid = pct_tile_fetcher_validate_template (cases[i].url, &error);

      if (valid != cases[i].valid)
        g_error ("“%s” should be %s", cases[i].url, cases[i].valid ? "valid" : "invalid");
      if (!valid)
        {
          g_assert_error (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_INVALID_TEMPLATE);
          g_test_message ("%s: %s", cases[i].url, error->message);
        }
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(PctTileFetcher) fetcher = pct_tile_fetcher_new ("https://x/{z}", NULL, NULL, &error);

    g_assert_null (fetcher);
    g_assert_error (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_INVALID_TEMPLATE);
  }
}

static void
test_fetch_and_cache (void)
{
  g_autoptr(TileServer) ts = tile_server_start (NULL);
  g_autofree char *url_template = template_for (ts);
  g_autoptr(PctTileFetcher) fetcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected_dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *url = NULL;
  FetchResult result = { 0 };

  fetcher = pct_tile_fetcher_new (url_template, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_UNKNOWN);

  /* Under the user's cache, one folder per template. */
  expected_dir = g_build_filename (g_get_user_cache_dir (), "precinct", "tiles", NULL);
  g_assert_true (g_str_has_prefix (pct_tile_fetcher_get_cache_dir (fetcher), expected_dir));
  g_assert_cmpstr (pct_tile_fetcher_get_cache_dir (fetcher), !=, expected_dir);

  url = pct_tile_fetcher_dup_url (fetcher, 14, 13000, 6800);
  g_assert_true (g_str_has_suffix (url, "/tiles/14/13000/6800.png"));

  fetch (fetcher, 14, 13000, 6800, &result);
  g_assert_no_error (result.error);
  assert_png (result.bytes);
  g_assert_false (result.from_cache);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);
  g_assert_null (pct_tile_fetcher_get_last_error (fetcher));
  g_assert_cmpuint (tile_server_count (ts, "/tiles/14/13000/6800.png"), ==, 1);
  g_assert_cmpstr (ts->user_agent, ==, "Precinct/" PACKAGE_VERSION);

  /* Kept on disk as z/x/y, and served from there while fresh. */
  path = cache_path (fetcher, 14, 13000, 6800);
  wait_for_file (path);
  {
    g_autofree char *contents = NULL;
    gsize length;

    g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
    g_assert_cmpmem (contents, length, g_bytes_get_data (result.bytes, NULL),
                     g_bytes_get_size (result.bytes));
  }

  fetch (fetcher, 14, 13000, 6800, &result);
  g_assert_no_error (result.error);
  g_assert_true (result.from_cache);
  g_assert_cmpuint (tile_server_count (ts, "/tiles/14/13000/6800.png"), ==, 1);

  /* With no freshness the server is asked again. */
  pct_tile_fetcher_set_max_age (fetcher, 0);
  fetch (fetcher, 14, 13000, 6800, &result);
  g_assert_no_error (result.error);
  g_assert_false (result.from_cache);
  g_assert_cmpuint (tile_server_count (ts, "/tiles/14/13000/6800.png"), ==, 2);

  /* Outside the world. */
  fetch (fetcher, 2, 4, 0, &result);
  g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_NOT_FOUND);

  fetch_result_clear (&result);
}

static void
test_server_errors (void)
{
  g_autoptr(TileServer) ts = tile_server_start (NULL);
  g_autofree char *url_template = template_for (ts);
  g_autoptr(PctTileFetcher) fetcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *html_path = NULL;
  FetchResult result = { 0 };

  fetcher = pct_tile_fetcher_new (url_template, NULL, NULL, &error);
  g_assert_no_error (error);

  /* No such tile: the server works. */
  fetch (fetcher, 9, 1, 1, &result);
  g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_NOT_FOUND);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);

  fetch (fetcher, 10, 1, 1, &result);
  g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_SERVER);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ERROR);
  g_assert_nonnull (strstr (pct_tile_fetcher_get_last_error (fetcher), "500"));
  g_test_message ("%s", result.error->message);

  /* A login page is not a tile, and is not kept. */
  fetch (fetcher, 11, 1, 1, &result);
  g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_NOT_AN_IMAGE);
  g_test_message ("%s", result.error->message);
  html_path = cache_path (fetcher, 11, 1, 1);
  g_assert_false (g_file_test (html_path, G_FILE_TEST_EXISTS));

  /* Back to normal. */
  fetch (fetcher, 3, 1, 1, &result);
  g_assert_no_error (result.error);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);

  fetch_result_clear (&result);
}

static void
state_notified_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* The server goes away: what was fetched still comes back, from the
 * cache; what was not fails at once with a clear error. */
static void
test_offline (void)
{
  g_autoptr(TileServer) ts = tile_server_start (NULL);
  g_autofree char *url_template = template_for (ts);
  g_autoptr(PctTileFetcher) fetcher = NULL;
  g_autoptr(GError) error = NULL;
  FetchResult result = { 0 };
  g_autoptr(GBytes) first = NULL;
  guint notified = 0;
  gint64 start;

  fetcher = pct_tile_fetcher_new (url_template, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Ask the server every time, so that its absence shows. */
  pct_tile_fetcher_set_max_age (fetcher, 0);
  pct_tile_fetcher_set_timeout (fetcher, 10);
  g_signal_connect (fetcher, "notify::state", G_CALLBACK (state_notified_cb), &notified);

  for (guint x = 0; x < 4; x++)
    {
      g_autofree char *path = cache_path (fetcher, 5, x, 7);

      fetch (fetcher, 5, x, 7, &result);
      g_assert_no_error (result.error);
      wait_for_file (path);
      if (x == 0)
        first = g_bytes_ref (result.bytes);
    }
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);

  tile_server_stop (ts);

  start = g_get_monotonic_time ();
  fetch (fetcher, 5, 0, 7, &result);
  g_assert_no_error (result.error);
  g_assert_true (result.from_cache);
  g_assert_true (g_bytes_equal (result.bytes, first));
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_OFFLINE);
  g_assert_nonnull (pct_tile_fetcher_get_last_error (fetcher));
  g_test_message ("%s", pct_tile_fetcher_get_last_error (fetcher));
  g_assert_cmpuint (notified, ==, 2);

  for (guint x = 1; x < 4; x++)
    {
      fetch (fetcher, 5, x, 7, &result);
      g_assert_no_error (result.error);
      g_assert_true (result.from_cache);
    }

  fetch (fetcher, 5, 9, 7, &result);
  g_assert_null (result.bytes);
  g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_OFFLINE);
  g_test_message ("%s", result.error->message);
  g_assert_nonnull (strstr (result.error->message, "127.0.0.1"));

  /* Far below the 10 s timeout: nothing waited on the network. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  fetch_result_clear (&result);
}

/* A server that accepts and never answers costs one timeout, after which
 * the fetcher stops asking it for a while. */
static void
test_timeout (void)
{
  g_autoptr(TileServer) ts = tile_server_start (NULL);
  g_autofree char *url_template = template_for (ts);
  g_autoptr(PctTileFetcher) fetcher = NULL;
  g_autoptr(GError) error = NULL;
  FetchResult result = { 0 };
  gint64 start;

  fetcher = pct_tile_fetcher_new (url_template, NULL, NULL, &error);
  g_assert_no_error (error);
  pct_tile_fetcher_set_timeout (fetcher, 1);

  start = g_get_monotonic_time ();
  fetch (fetcher, 12, 0, 0, &result);
  g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_OFFLINE);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_OFFLINE);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_test_message ("%s", result.error->message);

  /* Within the retry interval: no new request. */
  fetch (fetcher, 12, 1, 0, &result);
  g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_OFFLINE);
  g_assert_cmpuint (tile_server_count (ts, "/tiles/12/1/0.png"), ==, 0);

  /* A probe asks regardless, and a server that answers is online again. */
  {
    pct_tile_fetcher_set_timeout (fetcher, 5);
    release_paused (ts);
    fetch (fetcher, 3, 0, 0, &result);
    g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_OFFLINE);

    pct_tile_fetcher_set_retry_interval (fetcher, 0);
    fetch (fetcher, 3, 0, 0, &result);
    g_assert_no_error (result.error);
    g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);
  }

  fetch_result_clear (&result);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError  *error;
} ProbeResult;

static void
probed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  ProbeResult *probe = user_data;

  probe->ok = pct_tile_fetcher_probe_finish (PCT_TILE_FETCHER (object), result, &probe->error);
  probe->done = TRUE;
}

static void
test_probe (void)
{
  g_autoptr(TileServer) ts = tile_server_start (NULL);
  g_autofree char *url_template = template_for (ts);
  g_autoptr(PctTileFetcher) fetcher = NULL;
  g_autoptr(GError) error = NULL;
  ProbeResult probe = { 0 };

  fetcher = pct_tile_fetcher_new (url_template, NULL, NULL, &error);
  g_assert_no_error (error);

  pct_tile_fetcher_probe_async (fetcher, NULL, probed_cb, &probe);
  iterate_until (&probe.done, "A probe");
  g_assert_no_error (probe.error);
  g_assert_true (probe.ok);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_ONLINE);
  g_assert_cmpuint (tile_server_count (ts, "/tiles/0/0/0.png"), ==, 1);

  tile_server_stop (ts);

  probe = (ProbeResult) { 0 };
  pct_tile_fetcher_probe_async (fetcher, NULL, probed_cb, &probe);
  iterate_until (&probe.done, "A probe");
  g_assert_false (probe.ok);
  g_assert_error (probe.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_OFFLINE);
  g_assert_cmpint (pct_tile_fetcher_get_state (fetcher), ==, PCT_TILE_FETCHER_STATE_OFFLINE);
  g_clear_error (&probe.error);
}

/* No more connections to the server than allowed, however many tiles are
 * asked for at once. */
static void
test_max_connections (void)
{
  g_autoptr(TileServer) ts = tile_server_start (NULL);
  g_autofree char *url_template = template_for (ts);
  g_autoptr(PctTileFetcher) fetcher = NULL;
  g_autoptr(GError) error = NULL;
  FetchResult results[6] = { { 0 } };
  gint64 deadline;
  gboolean all_done = FALSE;

  fetcher = pct_tile_fetcher_new (url_template, NULL, NULL, &error);
  g_assert_no_error (error);
  pct_tile_fetcher_set_max_connections (fetcher, 2);
  g_assert_cmpuint (pct_tile_fetcher_get_max_connections (fetcher), ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    pct_tile_fetcher_fetch_async (fetcher, 12, i, 0, NULL, fetched_cb, &results[i]);

  /* Long enough for all six to arrive were they allowed to. */
  deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
  g_assert_cmpuint (ts->max_in_flight, ==, 2);

  deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  while (!all_done)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The queued fetches did not finish within %d s", WAIT_SECONDS);
      release_paused (ts);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
      all_done = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (results); i++)
        all_done = all_done && results[i].done;
    }

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_assert_no_error (results[i].error);
      fetch_result_clear (&results[i]);
    }
  g_assert_cmpuint (ts->max_in_flight, ==, 2);
}

typedef struct
{
  gboolean done;
  guint64  size;
} TrimResult;

static void
trimmed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  TrimResult *trim = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (pct_tile_fetcher_trim_cache_finish (PCT_TILE_FETCHER (object), result,
                                                     &trim->size, &error));
  g_assert_no_error (error);
  trim->done = TRUE;
}

/* Over the limit, the oldest tiles go first. */
static void
test_trim (void)
{
  g_autoptr(PctTileFetcher) fetcher = NULL;
  g_autoptr(GError) error = NULL;
  TrimResult trim = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char block[1000];

  fetcher = pct_tile_fetcher_new ("https://tiles.example.org/{z}/{x}/{y}.png", NULL, NULL, &error);
  g_assert_no_error (error);
  pct_tile_fetcher_set_cache_size_limit (fetcher, 10000);

  /* 20 tiles of 1,000 bytes, tile i downloaded i minutes ago. */
  memset (block, 'x', sizeof block);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *path = cache_path (fetcher, 15, 100 + i % 3, 200 + i);
      g_autofree char *dir = g_path_get_dirname (path);
      struct utimbuf times = { now - i * 60, now - i * 60 };

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_assert_true (g_file_set_contents (path, block, sizeof block, NULL));
      g_assert_cmpint (g_utime (path, &times), ==, 0);
    }

  pct_tile_fetcher_trim_cache_async (fetcher, NULL, trimmed_cb, &trim);
  iterate_until (&trim.done, "Trimming");

  /* Down to 90 % of the limit: the nine newest stay. */
  g_assert_cmpuint (trim.size, ==, 9000);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *path = cache_path (fetcher, 15, 100 + i % 3, 200 + i);

      g_assert_cmpint (g_file_test (path, G_FILE_TEST_EXISTS), ==, i < 9);
    }
}

/* A certificate authority and a server certificate for 127.0.0.1, made
 * with openssl in dir. */
static gboolean
make_certificates (const char *dir)
{
  g_autofree char *script = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "sh", "-c", NULL, NULL };

  script = g_strdup_printf (
    "set -e; cd '%s';"
    "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2"
    "  -subj '/CN=Precinct Test CA' -addext basicConstraints=critical,CA:TRUE"
    "  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null;"
    "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr"
    "  -subj '/CN=127.0.0.1' 2>/dev/null;"
    "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n"
    "extendedKeyUsage=serverAuth\\n' > ext.cnf;"
    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
    "  -out server.pem -days 2 -extfile ext.cnf 2>/dev/null",
    dir);
  argv[2] = script;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, &err,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_test_message ("openssl failed: %s %s", error->message, err != NULL ? err : "");
      return FALSE;
    }
  return TRUE;
}

static void
test_https (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "tls", NULL);
  g_autofree char *ca_file = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *cert_file = g_build_filename (dir, "server.pem", NULL);
  g_autofree char *key_file = g_build_filename (dir, "server.key", NULL);
  g_autofree char *url_template = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(TileServer) ts = NULL;
  g_autoptr(PctTileFetcher) untrusting = NULL;
  g_autoptr(PctTileFetcher) trusting = NULL;
  g_autoptr(PctTileFetcher) bad_ca = NULL;
  g_autoptr(GError) error = NULL;
  FetchResult result = { 0 };

  if (g_find_program_in_path ("openssl") == NULL)
    {
      g_test_skip ("openssl is needed to make the test's certificates");
      return;
    }

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (make_certificates (dir));

  certificate = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);
  ts = tile_server_start (certificate);
  url_template = template_for (ts);
  g_assert_true (g_str_has_prefix (url_template, "https://"));

  /* The system does not know the test's authority. */
  untrusting = pct_tile_fetcher_new (url_template, NULL, NULL, &error);
  g_assert_no_error (error);
  fetch (untrusting, 4, 1, 1, &result);
  g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_TLS);
  g_assert_cmpint (pct_tile_fetcher_get_state (untrusting), ==, PCT_TILE_FETCHER_STATE_ERROR);
  g_test_message ("%s", result.error->message);

  /* The CA file does. */
  trusting = pct_tile_fetcher_new (url_template, ca_file, NULL, &error);
  g_assert_no_error (error);
  fetch (trusting, 4, 1, 1, &result);
  g_assert_no_error (result.error);
  assert_png (result.bytes);
  g_assert_cmpint (pct_tile_fetcher_get_state (trusting), ==, PCT_TILE_FETCHER_STATE_ONLINE);

  /* The CA file vouches for the authority, not for a certificate made
   * out to another name. */
  {
    g_autofree char *by_name = g_strdup (url_template);
    g_autofree char *other_name = NULL;
    g_autoptr(PctTileFetcher) wrong_host = NULL;
    char *host = strstr (by_name, "127.0.0.1");

    g_assert_nonnull (host);
    *host = '\0';
    other_name = g_strconcat (by_name, "localhost", host + strlen ("127.0.0.1"), NULL);
    wrong_host = pct_tile_fetcher_new (other_name, ca_file, NULL, &error);
    g_assert_no_error (error);
    fetch (wrong_host, 4, 1, 1, &result);
    g_assert_error (result.error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_TLS);
  }

  /* A CA file that holds no certificate is refused at once. */
  bad_ca = pct_tile_fetcher_new (url_template, key_file, NULL, &error);
  g_assert_null (bad_ca);
  g_assert_error (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_CA_FILE);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  bad_ca = pct_tile_fetcher_new (url_template, "/nonexistent/ca.pem", NULL, &error);
  g_assert_null (bad_ca);
  g_assert_error (error, PCT_TILE_FETCHER_ERROR, PCT_TILE_FETCHER_ERROR_CA_FILE);

  fetch_result_clear (&result);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The server is on this machine; no proxy stands in between, and the
   * desktop's proxy settings are not looked up. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");
  g_unsetenv ("https_proxy");
  g_unsetenv ("all_proxy");
  g_unsetenv ("HTTP_PROXY");
  g_unsetenv ("HTTPS_PROXY");
  g_unsetenv ("ALL_PROXY");

  g_test_add_func ("/tile-fetcher/template", test_template);
  g_test_add_func ("/tile-fetcher/fetch-and-cache", test_fetch_and_cache);
  g_test_add_func ("/tile-fetcher/server-errors", test_server_errors);
  g_test_add_func ("/tile-fetcher/offline", test_offline);
  g_test_add_func ("/tile-fetcher/timeout", test_timeout);
  g_test_add_func ("/tile-fetcher/probe", test_probe);
  g_test_add_func ("/tile-fetcher/max-connections", test_max_connections);
  g_test_add_func ("/tile-fetcher/trim", test_trim);
  g_test_add_func ("/tile-fetcher/https", test_https);

  return g_test_run ();
}
