/* pct-json.h — a compact, read-only JSON document
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  PCT_JSON_NULL,
  PCT_JSON_BOOLEAN,
  PCT_JSON_INTEGER,   /* a number without fraction or exponent */
  PCT_JSON_DOUBLE,
  PCT_JSON_STRING,
  PCT_JSON_ARRAY,
  PCT_JSON_OBJECT,
} PctJsonType;

typedef struct _PctJson     PctJson;
typedef struct _PctJsonNode PctJsonNode;

/* One value. The nodes of a document lie in one array, each followed by
 * its members or elements in order, so that a node's first child is the
 * node after it and its next sibling the node size places on. Texts are
 * decoded, NUL-terminated and owned by the document. */
struct _PctJsonNode
{
  PctJsonType   type;
  guint32       n_children;   /* members of an object, elements of an array */
  guint32       size;         /* this node and all below it */
  guint32       name_len;
  const char   *name;         /* a member's name; NULL for other values */
  union
  {
    gboolean    boolean;
    gint64      integer;
    double      number;
    struct
    {
      const char *str;
      gsize       len;
    } string;
  } v;
};

/* Builds the document of text when it is strict JSON (RFC 8259) in
 * well-formed UTF-8, without NUL characters or unpaired surrogate
 * escapes, with containers nested at most max_depth deep, integers that
 * fit in 64 bits and no object naming a member twice; NULL otherwise.
 * It accepts what pct_record_check_json() does, which says why not,
 * except that text over 4 GiB is always refused (callers cap what they
 * read far below that). */
PctJson            *pct_json_new_from_text   (const char         *text,
                                              gsize               length,
                                              guint               max_depth);
/* The same document for a json-glib tree, whose texts are copied. */
PctJson            *pct_json_new_from_node   (JsonNode           *node);
PctJson            *pct_json_ref             (PctJson            *json);
void                pct_json_unref           (PctJson            *json);
const PctJsonNode  *pct_json_get_root        (PctJson            *json);

/* The member called name of object, or NULL. */
const PctJsonNode  *pct_json_object_get_member (const PctJsonNode *object,
                                              const char         *name);

static inline gboolean
pct_json_node_holds (const PctJsonNode *node,
                     PctJsonType        type)
{
  return node != NULL && node->type == type;
}

static inline const PctJsonNode *
pct_json_node_first_child (const PctJsonNode *node)
{
  return node + 1;
}

static inline const PctJsonNode *
pct_json_node_next (const PctJsonNode *node)
{
  return node + node->size;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PctJson, pct_json_unref)

G_END_DECLS
