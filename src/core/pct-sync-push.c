/* pct-sync-push.c — sending the outbox and recording its results
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Local changes wait in the outbox (pct-outbox.c) in the order they were
 * made. They go to POST /mutations in that order, at most 500 a request,
 * and the answers are written back in one transaction per batch:
 *
 *   applied   the row is marked applied; a record created here under a
 *             negative key takes the key the server gave it
 *             (pct_outbox_rekey), so later mutations naming it follow;
 *   conflict  the server's current record replaces the local row, and the
 *             outbox row stays, marked conflict with the server's answer,
 *             for people to see: it is never dropped;
 *   rejected  the row is marked rejected with the server's reason.
 *
 * Rows are marked sent (and their attempts counted) before a batch goes;
 * sent rows are sent again until their answer is written down.
 *
 * Every mutation carries its UUID, which the server remembers with its
 * answer, so a batch whose answer was lost (a timeout, a reset, the
 * client killed before it wrote the results) is simply sent again and
 * applied once. A batch ends before a mutation that names a record made
 * earlier in the same batch, so that the server sees that record's real
 * key, not the temporary one.
 */

#define G_LOG_DOMAIN "pct-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "pct-outbox.h"
#include "pct-record.h"
#include "pct-sync-private.h"

typedef struct
{
  gint64    row;           /* the outbox row */
  char     *uuid;
  char     *entity;
  char     *op;
  gboolean  has_id;
  gint64    id;
  gboolean  has_base_version;
  gint64    base_version;
  char     *payload;       /* the data object, as JSON text */
} Mutation;

/* Requests are refused over 16 MiB; a batch stays well below. */
#define MAX_BODY_BYTES (8 * 1024 * 1024)

static void
mutation_free (Mutation *mutation)
{
  g_free (mutation->uuid);
  g_free (mutation->entity);
  g_free (mutation->op);
  g_free (mutation->payload);
  g_free (mutation);
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return text != NULL ? text : "";
}

/* Whether the API has this operation; only those are sent. */
static gboolean
is_known_operation (const Mutation *mutation)
{
  return g_str_equal (mutation->op, "create") || g_str_equal (mutation->op, "update") ||
         g_str_equal (mutation->op, "action");
}

/* Checks what is about to be sent; a row that cannot be is refused here,
 * so that it does not hold back those after it. */
static gboolean
check_mutation (const Mutation  *mutation,
                GError         **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonNode) data = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!is_known_operation (mutation))
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_REFUSED,
                   _("The sync API has no operation “%s”"), mutation->op);
      return FALSE;
    }

  if (!g_str_equal (mutation->op, "create") && !mutation->has_base_version)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_REFUSED,
                   _("A change of kind “%s” needs the version of the record it was "
                     "made against"), mutation->op);
      return FALSE;
    }

  data = pct_record_parse (parser, mutation->payload, strlen (mutation->payload), &local_error);
  if (data == NULL)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_REFUSED,
                   _("The change’s data is not a valid JSON object: %s"), local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Whether the mutation names a negative key in keys: by its own id, or in
 * a field of its data (incident_id of a work order filed on an incident
 * made here, say). */
static gboolean
depends_on (const Mutation *mutation,
            GHashTable     *keys)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (g_hash_table_size (keys) == 0)
    return FALSE;

  if (mutation->has_id && mutation->id < 0 && !g_str_equal (mutation->op, "create") &&
      g_hash_table_contains (keys, &mutation->id))
    return TRUE;

  if (!json_parser_load_from_data (parser, mutation->payload, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;

  json_object_iter_init (&iter, json_node_get_object (json_parser_get_root (parser)));
  while (json_object_iter_next (&iter, &name, &value))
    {
      gint64 key;

      if (!g_str_has_suffix (name, "_id") || !JSON_NODE_HOLDS_VALUE (value) ||
          json_node_get_value_type (value) != G_TYPE_INT64)
        continue;
      key = json_node_get_int (value);
      if (key < 0 && g_hash_table_contains (keys, &key))
        return TRUE;
    }
  return FALSE;
}

static gboolean
mark_unsendable (PctStore        *store,
                 const Mutation  *mutation,
                 const char      *reason,
                 GError         **error)
{
  sqlite3_stmt *stmt =
    pct_store_prepare (store,
                       "UPDATE outbox SET state = 'rejected', last_error = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, mutation->row);
  return pct_store_step_done (store, stmt, error);
}

static Mutation *
read_mutation (sqlite3_stmt *stmt)
{
  Mutation *mutation = g_new0 (Mutation, 1);

  mutation->row = sqlite3_column_int64 (stmt, 0);
  mutation->uuid = g_strdup (column_text (stmt, 1));
  mutation->entity = g_strdup (column_text (stmt, 2));
  mutation->op = g_strdup (column_text (stmt, 3));
  mutation->has_id = sqlite3_column_type (stmt, 4) != SQLITE_NULL;
  mutation->id = sqlite3_column_int64 (stmt, 4);
  mutation->has_base_version = sqlite3_column_type (stmt, 5) != SQLITE_NULL;
  mutation->base_version = sqlite3_column_int64 (stmt, 5);
  mutation->payload = g_strdup (column_text (stmt, 6));
  return mutation;
}

/* The next batch of pending mutations, in order; marked receives
 * whether rows that cannot be sent were marked rejected on the way. */
static GPtrArray *
read_batch_once (PctStore  *store,
                 gboolean  *marked,
                 GError   **error)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) mutation_free);
  g_autoptr(GHashTable) created = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                         NULL);
  g_autoptr(GPtrArray) unsendable = g_ptr_array_new_with_free_func ((GDestroyNotify) mutation_free);
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  gsize size = 0;
  int rc;

  stmt = pct_store_prepare (store,
                            "SELECT id, uuid, entity, op, entity_id, base_version, payload "
                            "FROM outbox WHERE state IN ('pending', 'sent') ORDER BY id LIMIT ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int (stmt, 1, PCT_SYNC_MAX_BATCH);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Mutation *mutation = read_mutation (stmt);
      g_autoptr(GError) problem = NULL;

      if (!check_mutation (mutation, &problem))
        {
          /* Rows after one refused here still go in this batch. */
          g_ptr_array_add (reasons, g_strdup (problem->message));
          g_ptr_array_add (unsendable, mutation);
          continue;
        }

      size += strlen (mutation->payload) + strlen (mutation->uuid) + 128;
      if (depends_on (mutation, created) || (batch->len > 0 && size > MAX_BODY_BYTES))
        {
          mutation_free (mutation);
          break;
        }

      if (g_str_equal (mutation->op, "create") && mutation->has_id && mutation->id < 0)
        g_hash_table_add (created, g_memdup2 (&mutation->id, sizeof mutation->id));
      g_ptr_array_add (batch, mutation);
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      pct_store_set_sql_error (store, error, "outbox");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);

  *marked = unsendable->len > 0;
  if (unsendable->len > 0)
    {
      if (!pct_store_begin (store, error))
        return NULL;
      for (guint i = 0; i < unsendable->len; i++)
        {
          if (!mark_unsendable (store, g_ptr_array_index (unsendable, i),
                                g_ptr_array_index (reasons, i), error))
            {
              pct_store_rollback (store);
              return NULL;
            }
        }
      if (!pct_store_commit (store, error))
        {
          pct_store_rollback (store);
          return NULL;
        }
    }

  return g_steal_pointer (&batch);
}

static GPtrArray *
read_batch (PctStore  *store,
            GError   **error)
{
  for (;;)
    {
      gboolean marked = FALSE;
      GPtrArray *batch = read_batch_once (store, &marked, error);

      /* A window of rows none of which could be sent hides those after. */
      if (batch == NULL || batch->len > 0 || !marked)
        return batch;
      g_ptr_array_unref (batch);
    }
}

/* Marks the batch sent before it goes: whoever looks at the outbox sees
 * rows whose answer is awaited, and how often they were sent. */
static gboolean
mark_sent (PctStore   *store,
           GPtrArray  *batch,
           GError    **error)
{
  if (!pct_store_begin (store, error))
    return FALSE;

  for (guint i = 0; i < batch->len; i++)
    {
      Mutation *mutation = g_ptr_array_index (batch, i);
      sqlite3_stmt *stmt =
        pct_store_prepare (store,
                           "UPDATE outbox SET state = 'sent', attempts = attempts + 1 "
                           "WHERE id = ?", error);

      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, mutation->row);
      if (!pct_store_step_done (store, stmt, error))
        goto fail;
    }

  if (pct_store_commit (store, error))
    return TRUE;

fail:
  pct_store_rollback (store);
  return FALSE;
}

static GBytes *
build_body (GPtrArray *batch)
{
  GString *body = g_string_new ("{\"mutations\":[");

  for (guint i = 0; i < batch->len; i++)
    {
      Mutation *mutation = g_ptr_array_index (batch, i);

      if (i > 0)
        g_string_append_c (body, ',');
      g_string_append (body, "{\"uuid\":");
      pct_record_append_json_string (body, mutation->uuid);
      g_string_append (body, ",\"entity\":");
      pct_record_append_json_string (body, mutation->entity);
      g_string_append (body, ",\"op\":");
      pct_record_append_json_string (body, mutation->op);
      if (mutation->has_id)
        g_string_append_printf (body, ",\"id\":%" G_GINT64_FORMAT, mutation->id);
      if (mutation->has_base_version && !g_str_equal (mutation->op, "create"))
        g_string_append_printf (body, ",\"base_version\":%" G_GINT64_FORMAT,
                                mutation->base_version);
      /* Checked to be one JSON object when the batch was read. */
      g_string_append (body, ",\"data\":");
      g_string_append (body, mutation->payload);
      g_string_append_c (body, '}');
    }
  g_string_append (body, "]}");
  return g_string_free_to_bytes (body);
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING ? json_node_get_string (node) : NULL;
}

static gboolean
int_member (JsonObject *object,
            const char *name,
            gint64     *value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
invalid_results (GError     **error,
                 guint        index,
                 const char  *what)
{
  g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
               _("The server’s answer to the outbox is not valid, and none of it was "
                 "recorded: result %u %s"), index + 1, what);
  return FALSE;
}

static gboolean
check_result (JsonObject      *result,
              const Mutation  *mutation,
              guint            index,
              GError         **error)
{
  const char *uuid = string_member (result, "uuid");
  const char *status = string_member (result, "status");
  JsonNode *current;
  gint64 value;

  if (uuid == NULL || g_ascii_strcasecmp (uuid, mutation->uuid) != 0)
    return invalid_results (error, index, _("does not answer the mutation sent in its place"));

  if (g_strcmp0 (status, "applied") == 0)
    {
      if (!int_member (result, "version", &value))
        return invalid_results (error, index, _("has no “version”"));
      if (g_str_equal (mutation->op, "create") && mutation->has_id && mutation->id < 0 &&
          (!int_member (result, "id", &value) || value <= 0))
        return invalid_results (error, index, _("gives the new record no key"));
      return TRUE;
    }

  if (g_strcmp0 (status, "conflict") == 0)
    {
      current = json_object_get_member (result, "current");
      if (current == NULL || !JSON_NODE_HOLDS_OBJECT (current))
        return invalid_results (error, index, _("has no “current” record"));
      return TRUE;
    }

  if (g_strcmp0 (status, "rejected") == 0)
    {
      if (string_member (result, "code") == NULL || string_member (result, "reason") == NULL)
        return invalid_results (error, index, _("gives no code or reason"));
      return TRUE;
    }

  return invalid_results (error, index, _("has no status applied, conflict or rejected"));
}

/* Checks the whole answer before anything of it is recorded. */
static gpointer
parse_results_cb (SoupMessage  *message,
                  GBytes       *body,
                  gpointer      user_data,
                  GError      **error)
{
  GPtrArray *batch = user_data;
  g_autoptr(JsonNode) root = _pct_sync_parse_answer (body, _("the outbox"), error);
  JsonNode *results;
  JsonArray *array;

  if (root == NULL)
    return NULL;
  results = JSON_NODE_HOLDS_OBJECT (root)
    ? json_object_get_member (json_node_get_object (root), "results") : NULL;
  if (results == NULL || !JSON_NODE_HOLDS_ARRAY (results))
    {
      g_set_error_literal (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                           _("The server’s answer to the outbox has no “results” array"));
      return NULL;
    }

  array = json_node_get_array (results);
  if (json_array_get_length (array) != batch->len)
    {
      g_set_error (error, PCT_SYNC_ERROR, PCT_SYNC_ERROR_INVALID_RESPONSE,
                   _("The server answered %u of the %u changes sent"),
                   json_array_get_length (array), batch->len);
      return NULL;
    }

  for (guint i = 0; i < batch->len; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return invalid_results (error, i, _("is not an object")), NULL;
      if (!check_result (json_node_get_object (element), g_ptr_array_index (batch, i), i, error))
        return NULL;
    }

  return g_steal_pointer (&root);
}

static gboolean
record_result (PctStore    *store,
               const char  *state,
               gint64       row,
               JsonObject  *result,
               const char  *last_error,
               GError     **error)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), result);
  g_autofree char *text = json_to_string (node, FALSE);
  sqlite3_stmt *stmt =
    pct_store_prepare (store,
                       "UPDATE outbox SET state = ?, result = ?, last_error = ? WHERE id = ?",
                       error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, state, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, last_error, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, row);
  return pct_store_step_done (store, stmt, error);
}

static gboolean
apply_result (PctSyncRun      *run,
              const Mutation  *mutation,
              JsonObject      *result,
              GError         **error)
{
  PctStore *store = run->store;
  PctSyncReport *report = run->report;
  const char *status = string_member (result, "status");
  JsonNode *replayed = json_object_get_member (result, "replayed");

  report->pushed++;
  if (replayed != NULL && JSON_NODE_HOLDS_VALUE (replayed) &&
      json_node_get_value_type (replayed) == G_TYPE_BOOLEAN && json_node_get_boolean (replayed))
    report->push_replayed++;

  if (g_str_equal (status, "applied"))
    {
      gint64 server_id = 0;

      report->push_applied++;
      if (!record_result (store, "applied", mutation->row, result, NULL, error))
        return FALSE;
      if (g_str_equal (mutation->op, "create") && mutation->has_id && mutation->id < 0 &&
          int_member (result, "id", &server_id))
        {
          g_autoptr(GError) local_error = NULL;

          /* A row made here and since deleted here has nothing to move. */
          if (!pct_outbox_rekey (store, mutation->entity, mutation->id, server_id, &local_error) &&
              !g_error_matches (local_error, PCT_STORE_ERROR, PCT_STORE_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
        }
      return TRUE;
    }

  if (g_str_equal (status, "conflict"))
    {
      JsonObject *current = json_object_get_object_member (result, "current");
      g_autoptr(GError) problem = NULL;

      report->push_conflicts++;
      /* The server's record wins locally; the conflict stays to be seen. */
      if (!pct_record_apply (store, current, &problem) && problem->domain != PCT_RECORD_ERROR)
        {
          g_propagate_error (error, g_steal_pointer (&problem));
          return FALSE;
        }
      return record_result (store, "conflict", mutation->row, result,
                            problem != NULL ? problem->message : NULL, error);
    }

  report->push_rejected++;
  return record_result (store, "rejected", mutation->row, result,
                        string_member (result, "reason"), error);
}

/* One transaction for the batch's answers. */
static gboolean
apply_results (PctSyncRun  *run,
               GPtrArray   *batch,
               JsonNode    *root,
               GError     **error)
{
  JsonArray *results = json_object_get_array_member (json_node_get_object (root), "results");
  PctSyncReport saved = *run->report;

  if (!pct_store_begin (run->store, error))
    return FALSE;

  for (guint i = 0; i < batch->len; i++)
    {
      if (!apply_result (run, g_ptr_array_index (batch, i),
                         json_array_get_object_element (results, i), error))
        {
          pct_store_rollback (run->store);
          *run->report = saved;
          return FALSE;
        }
    }

  if (!pct_store_commit (run->store, error))
    {
      pct_store_rollback (run->store);
      *run->report = saved;
      return FALSE;
    }
  return TRUE;
}

gboolean
_pct_sync_push (PctSyncRun    *run,
                GCancellable  *cancellable,
                GError       **error)
{
  for (;;)
    {
      g_autoptr(GPtrArray) batch = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autoptr(JsonNode) results = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      /* Read afresh each time: re-keying rewrites later rows. */
      batch = read_batch (run->store, error);
      if (batch == NULL)
        return FALSE;
      if (batch->len == 0)
        return TRUE;

      if (!mark_sent (run->store, batch, error))
        return FALSE;

      body = build_body (batch);
      results = _pct_sync_http_call (run->http, "POST", "mutations", NULL, body, FALSE,
                                     parse_results_cb, batch, cancellable, error);
      if (results == NULL)
        return FALSE;

      if (!apply_results (run, batch, results, error))
        return FALSE;
      g_debug ("Sent %u changes", batch->len);
    }
}
