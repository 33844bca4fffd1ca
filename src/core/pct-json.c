/* pct-json.c — a compact, read-only JSON document
 *
 * Copyright 2026 The Precinct Authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The records of a page of the changes feed, millions of them in a first
 * sync, are read once each and thrown away. Held as json-glib trees, each
 * value would be a node, each object a hash table and each text a copy of
 * its own; building and freeing those cost more than converting the
 * records to rows. Here a whole document is one array of nodes and one
 * block of decoded texts, made in one walk of the text and freed at once.
 * Records that come as json-glib trees (imports, the hub's mutations) are
 * copied into the same form, so that pct_record has one way to read them.
 */

#define G_LOG_DOMAIN "pct-json"

#include "config.h"

#include <string.h>

#include "pct-json.h"

/* Objects with more members than this find doubled names with a hash
 * table rather than by comparing each pair. */
#define MAX_PAIRWISE_MEMBERS 16

struct _PctJson
{
  gatomicrefcount  ref_count;
  PctJsonNode     *nodes;
  guint            n_nodes;
  char            *texts;
};

/* Building from checked text. */
typedef struct
{
  const char  *p;
  const char  *end;
  GArray      *nodes;   /* PctJsonNode; indices, as it moves when it grows */
  char        *out;     /* where the next decoded text goes */
} TextBuilder;

/* Copying a json-glib tree. */
typedef struct
{
  PctJsonNode *nodes;
  guint        n_nodes;
  char        *out;
} NodeBuilder;

static PctJson *
json_new (PctJsonNode *nodes,
          guint        n_nodes,
          char        *texts)
{
  PctJson *json = g_new0 (PctJson, 1);

  g_atomic_ref_count_init (&json->ref_count);
  json->nodes = nodes;
  json->n_nodes = n_nodes;
  json->texts = texts;
  return json;
}

static gboolean
same_name (const PctJsonNode *a,
           const PctJsonNode *b)
{
  return a->name_len == b->name_len && memcmp (a->name, b->name, a->name_len) == 0;
}

static gboolean
has_doubled_member (const PctJsonNode *object)
{
  g_autoptr(GHashTable) names = NULL;
  const PctJsonNode *member = pct_json_node_first_child (object);

  if (object->n_children <= MAX_PAIRWISE_MEMBERS)
    {
      for (guint i = 0; i < object->n_children; i++, member = pct_json_node_next (member))
        {
          const PctJsonNode *other = pct_json_node_first_child (object);

          for (guint j = 0; j < i; j++, other = pct_json_node_next (other))
            {
              if (same_name (member, other))
                return TRUE;
            }
        }
      return FALSE;
    }

  names = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < object->n_children; i++, member = pct_json_node_next (member))
    {
      if (!g_hash_table_add (names, (gpointer) member->name))
        return TRUE;
    }
  return FALSE;
}

/* Text ------------------------------------------------------------------- */

static guint build_value (TextBuilder *builder,
                          const char  *name,
                          guint32      name_len);

static void
skip_space (TextBuilder *builder)
{
  while (builder->p < builder->end &&
         (*builder->p == ' ' || *builder->p == '\t' || *builder->p == '\n' ||
          *builder->p == '\r'))
    builder->p++;
}

static guint
hex4 (const char *p)
{
  guint value = 0;

  for (guint i = 0; i < 4; i++)
    value = value * 16 + (guint) g_ascii_xdigit_value (p[i]);
  return value;
}

/* Decodes the string at builder->p into the texts: never longer than the
 * string as written, quotes included, so the texts fit in the length of
 * the document. */
static gboolean
build_string (TextBuilder  *builder,
              const char  **str,
              gsize        *len)
{
  const char *p = builder->p + 1;
  char *start = builder->out;
  char *out = start;

  for (;;)
    {
      const char *run = p;
      gunichar code;

      while (p < builder->end && *p != '"' && *p != '\\')
        p++;
      memcpy (out, run, (gsize) (p - run));
      out += p - run;
      if (p >= builder->end)
        return FALSE;
      if (*p == '"')
        break;

      if (builder->end - p < 2)
        return FALSE;
      switch (p[1])
        {
        case 'b': *out++ = '\b'; p += 2; break;
        case 'f': *out++ = '\f'; p += 2; break;
        case 'n': *out++ = '\n'; p += 2; break;
        case 'r': *out++ = '\r'; p += 2; break;
        case 't': *out++ = '\t'; p += 2; break;
        case 'u':
          if (builder->end - p < 6)
            return FALSE;
          code = hex4 (p + 2);
          p += 6;
          if (code >= 0xD800 && code <= 0xDBFF)
            {
              if (builder->end - p < 6)
                return FALSE;
              code = 0x10000 + ((code - 0xD800) << 10) + (hex4 (p + 2) - 0xDC00);
              p += 6;
            }
          out += g_unichar_to_utf8 (code, out);
          break;
        default:
          /* '"', '\\' and '/' stand for themselves. */
          *out++ = p[1];
          p += 2;
          break;
        }
    }

  *out++ = '\0';
  *str = start;
  *len = (gsize) (out - start - 1);
  builder->out = out;
  builder->p = p + 1;
  return TRUE;
}

static guint
add_node (TextBuilder *builder,
          PctJsonType  type,
          const char  *name,
          guint32      name_len)
{
  guint index = builder->nodes->len;
  PctJsonNode *node;

  g_array_set_size (builder->nodes, index + 1);
  node = &g_array_index (builder->nodes, PctJsonNode, index);
  node->type = type;
  node->size = 1;
  node->name = name;
  node->name_len = name_len;
  return index;
}

static PctJsonNode *
node_at (TextBuilder *builder,
         guint        index)
{
  return &g_array_index (builder->nodes, PctJsonNode, index);
}

/* Integers the checker let pass fit in 64 bits. */
static void
build_number (TextBuilder *builder,
              PctJsonNode *node)
{
  const char *start = builder->p;
  const char *p = start;
  gboolean integral = TRUE;
  char buf[G_ASCII_DTOSTR_BUF_SIZE * 2];
  gsize len;

  while (p < builder->end &&
         (g_ascii_isdigit (*p) || *p == '-' || *p == '+' || *p == '.' || *p == 'e' ||
          *p == 'E'))
    {
      if (*p == '.' || *p == 'e' || *p == 'E')
        integral = FALSE;
      p++;
    }
  builder->p = p;

  if (integral)
    {
      gboolean negative = *start == '-';
      guint64 value = 0;

      for (const char *d = start + negative; d < p; d++)
        value = value * 10 + (guint64) (*d - '0');
      node->type = PCT_JSON_INTEGER;
      node->v.integer = negative ? (gint64) (~value + 1) : (gint64) value;
      return;
    }

  node->type = PCT_JSON_DOUBLE;
  len = (gsize) (p - start);
  if (len < sizeof buf)
    {
      memcpy (buf, start, len);
      buf[len] = '\0';
      node->v.number = g_ascii_strtod (buf, NULL);
    }
  else
    {
      g_autofree char *text = g_strndup (start, len);

      node->v.number = g_ascii_strtod (text, NULL);
    }
}

static gboolean
build_literal (TextBuilder *builder,
               const char  *literal)
{
  gsize len = strlen (literal);

  if ((gsize) (builder->end - builder->p) < len || memcmp (builder->p, literal, len) != 0)
    return FALSE;
  builder->p += len;
  return TRUE;
}

/* After the opening bracket: the members or elements up to the closing
 * one. */
static gboolean
build_children (TextBuilder *builder,
                guint        index,
                gboolean     object,
                char         close)
{
  guint n = 0;

  skip_space (builder);
  if (builder->p < builder->end && *builder->p == close)
    {
      builder->p++;
      return TRUE;
    }

  for (;;)
    {
      const char *name = NULL;
      gsize name_len = 0;

      skip_space (builder);
      if (object)
        {
          if (builder->p >= builder->end || *builder->p != '"' ||
              !build_string (builder, &name, &name_len))
            return FALSE;
          skip_space (builder);
          if (builder->p >= builder->end || *builder->p != ':')
            return FALSE;
          builder->p++;
        }
      if (build_value (builder, name, (guint32) name_len) == G_MAXUINT)
        return FALSE;
      n++;

      skip_space (builder);
      if (builder->p >= builder->end)
        return FALSE;
      if (*builder->p == close)
        {
          builder->p++;
          node_at (builder, index)->n_children = n;
          return TRUE;
        }
      if (*builder->p != ',')
        return FALSE;
      builder->p++;
    }
}

/* The index of the node built, or G_MAXUINT. */
static guint
build_value (TextBuilder *builder,
             const char  *name,
             guint32      name_len)
{
  guint index;
  PctJsonNode *node;

  skip_space (builder);
  if (builder->p >= builder->end)
    return G_MAXUINT;

  index = add_node (builder, PCT_JSON_NULL, name, name_len);
  node = node_at (builder, index);
  switch (*builder->p)
    {
    case '{':
    case '[':
      {
        gboolean object = *builder->p == '{';

        node->type = object ? PCT_JSON_OBJECT : PCT_JSON_ARRAY;
        builder->p++;
        if (!build_children (builder, index, object, object ? '}' : ']'))
          return G_MAXUINT;
        node = node_at (builder, index);
        node->size = builder->nodes->len - index;
        if (object && has_doubled_member (node))
          return G_MAXUINT;
      }
      break;
    case '"':
      node->type = PCT_JSON_STRING;
      if (!build_string (builder, &node->v.string.str, &node->v.string.len))
        return G_MAXUINT;
      break;
    case 't':
    case 'f':
      node->type = PCT_JSON_BOOLEAN;
      node->v.boolean = *builder->p == 't';
      if (!build_literal (builder, node->v.boolean ? "true" : "false"))
        return G_MAXUINT;
      break;
    case 'n':
      if (!build_literal (builder, "null"))
        return G_MAXUINT;
      break;
    default:
      if (*builder->p != '-' && !g_ascii_isdigit (*builder->p))
        return G_MAXUINT;
      build_number (builder, node);
      break;
    }
  return index;
}

PctJson *
pct_json_new_from_text (const char *text,
                        gsize       length)
{
  g_autofree char *texts = g_malloc (length + 1);
  g_autoptr(GArray) nodes = NULL;
  TextBuilder builder;
  guint n_nodes;

  /* Records of the feed hold about one value in every 16 to 20 bytes. */
  nodes = g_array_sized_new (FALSE, TRUE, sizeof (PctJsonNode), (guint) (length / 16) + 1);
  builder = (TextBuilder) { text, text + length, nodes, texts };
  if (build_value (&builder, NULL, 0) == G_MAXUINT)
    return NULL;
  skip_space (&builder);
  if (builder.p != builder.end)
    return NULL;

  /* The array grew by doubling: what it holds is what stays. */
  n_nodes = nodes->len;
  return json_new (g_renew (PctJsonNode, g_array_free (g_steal_pointer (&nodes), FALSE), n_nodes),
                   n_nodes, g_steal_pointer (&texts));
}

/* json-glib ----------------------------------------------------------------- */

/* Counts the nodes and the bytes of text a tree needs. */
static void
measure_node (JsonNode *node,
              guint    *n_nodes,
              gsize    *n_bytes)
{
  (*n_nodes)++;
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            *n_bytes += strlen (name) + 1;
            measure_node (member, n_nodes, n_bytes);
          }
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          measure_node (json_array_get_element (array, i), n_nodes, n_bytes);
      }
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        *n_bytes += strlen (json_node_get_string (node)) + 1;
      break;
    case JSON_NODE_NULL:
    default:
      break;
    }
}

static const char *
copy_text (NodeBuilder *builder,
           const char  *text,
           gsize       *len)
{
  char *copy = builder->out;

  *len = strlen (text);
  memcpy (copy, text, *len + 1);
  builder->out += *len + 1;
  return copy;
}

static void
copy_value (PctJsonNode *out,
            JsonNode    *node)
{
  GType type = json_node_get_value_type (node);

  if (type == G_TYPE_BOOLEAN)
    {
      out->type = PCT_JSON_BOOLEAN;
      out->v.boolean = json_node_get_boolean (node);
    }
  else if (type == G_TYPE_DOUBLE || type == G_TYPE_FLOAT)
    {
      out->type = PCT_JSON_DOUBLE;
      out->v.number = json_node_get_double (node);
    }
  else
    {
      out->type = PCT_JSON_INTEGER;
      out->v.integer = json_node_get_int (node);
    }
}

static void
copy_node (NodeBuilder *builder,
           JsonNode    *node,
           const char  *name)
{
  guint index = builder->n_nodes++;
  PctJsonNode *out = &builder->nodes[index];
  gsize len = 0;

  if (name != NULL)
    {
      out->name = copy_text (builder, name, &len);
      out->name_len = (guint32) len;
    }

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *member_name;
        JsonNode *member;

        out->type = PCT_JSON_OBJECT;
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &member_name, &member))
          {
            copy_node (builder, member, member_name);
            builder->nodes[index].n_children++;
          }
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        out->type = PCT_JSON_ARRAY;
        out->n_children = json_array_get_length (array);
        for (guint i = 0; i < out->n_children; i++)
          copy_node (builder, json_array_get_element (array, i), NULL);
      }
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          out->type = PCT_JSON_STRING;
          out->v.string.str = copy_text (builder, json_node_get_string (node),
                                         &out->v.string.len);
        }
      else
        copy_value (out, node);
      break;
    case JSON_NODE_NULL:
    default:
      out->type = PCT_JSON_NULL;
      break;
    }
  builder->nodes[index].size = builder->n_nodes - index;
}

PctJson *
pct_json_new_from_node (JsonNode *node)
{
  guint n_nodes = 0;
  gsize n_bytes = 0;
  NodeBuilder builder;
  char *texts;

  g_return_val_if_fail (node != NULL, NULL);

  measure_node (node, &n_nodes, &n_bytes);
  texts = g_malloc (MAX (n_bytes, 1));
  builder = (NodeBuilder) { g_new0 (PctJsonNode, n_nodes), 0, texts };
  copy_node (&builder, node, NULL);
  return json_new (builder.nodes, n_nodes, texts);
}

/* The document ------------------------------------------------------------ */

PctJson *
pct_json_ref (PctJson *json)
{
  g_atomic_ref_count_inc (&json->ref_count);
  return json;
}

void
pct_json_unref (PctJson *json)
{
  if (json == NULL || !g_atomic_ref_count_dec (&json->ref_count))
    return;
  g_free (json->nodes);
  g_free (json->texts);
  g_free (json);
}

const PctJsonNode *
pct_json_get_root (PctJson *json)
{
  return &json->nodes[0];
}

const PctJsonNode *
pct_json_object_get_member (const PctJsonNode *object,
                            const char        *name)
{
  const PctJsonNode *member = pct_json_node_first_child (object);

  for (guint i = 0; i < object->n_children; i++, member = pct_json_node_next (member))
    {
      if (strcmp (member->name, name) == 0)
        return member;
    }
  return NULL;
}
