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

/* Building from text. */
typedef struct
{
  const char   *p;
  const char   *end;
  PctJsonNode  *nodes;
  gsize         n_nodes;
  gsize         n_allocated;
  char         *out;         /* where the next decoded text goes */
  guint         max_depth;
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

/* One walk of the text checks it and builds the nodes: a page of the
 * changes feed is megabytes, and every further pass over it (a separate
 * UTF-8 check, a separate syntax check) cost as much as the building. */

static gboolean build_value (TextBuilder *builder,
                             const char  *name,
                             guint32      name_len,
                             guint        depth);

static void
skip_space (TextBuilder *builder)
{
  while (builder->p < builder->end &&
         (*builder->p == ' ' || *builder->p == '\t' || *builder->p == '\n' ||
          *builder->p == '\r'))
    builder->p++;
}

static gboolean
read_hex4 (const char *p,
           const char *end,
           guint      *value)
{
  *value = 0;
  if (end - p < 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return FALSE;
      *value = *value * 16 + (guint) digit;
    }
  return TRUE;
}

/* The length of the well-formed UTF-8 sequence (RFC 3629) that starts
 * at p with a byte of 0x80 or more, or 0: no overlong forms, surrogates
 * or code points past U+10FFFF. */
static guint
utf8_sequence_length (const guchar *p,
                      const guchar *end)
{
  gsize left = (gsize) (end - p);
  guchar lead = p[0];
  guchar low = 0x80;
  guchar high = 0xBF;
  guint length;

  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF)
    {
      length = 3;
      low = lead == 0xE0 ? 0xA0 : 0x80;
      high = lead == 0xED ? 0x9F : 0xBF;
    }
  else if (lead >= 0xF0 && lead <= 0xF4)
    {
      length = 4;
      low = lead == 0xF0 ? 0x90 : 0x80;
      high = lead == 0xF4 ? 0x8F : 0xBF;
    }
  else
    return 0;

  if (left < length || p[1] < low || p[1] > high)
    return 0;
  for (guint i = 2; i < length; i++)
    {
      if ((p[i] & 0xC0) != 0x80)
        return 0;
    }
  return length;
}

/* Decodes the \u escape at p, with the low half of a surrogate pair
 * after it, into code; the number of bytes read, or 0. */
static guint
read_unicode_escape (const char *p,
                     const char *end,
                     gunichar   *code)
{
  guint high;
  guint low;

  if (!read_hex4 (p + 2, end, &high) || high == 0 || (high >= 0xDC00 && high <= 0xDFFF))
    return 0;
  if (high < 0xD800 || high > 0xDBFF)
    {
      *code = high;
      return 6;
    }
  if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !read_hex4 (p + 8, end, &low) ||
      low < 0xDC00 || low > 0xDFFF)
    return 0;
  *code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
  return 12;
}

/* Decodes the string at builder->p into the texts: never longer than the
 * string as written, quotes included, so the texts fit in the length of
 * the document. */
static gboolean
build_string (TextBuilder  *builder,
              const char  **str,
              gsize        *len)
{
  const guchar *p = (const guchar *) builder->p + 1;
  const guchar *end = (const guchar *) builder->end;
  char *start = builder->out;
  char *out = start;

  for (;;)
    {
      const guchar *run = p;
      gunichar code;
      guint used;

      for (;;)
        {
          while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
          if (p >= end || *p < 0x80)
            break;
          used = utf8_sequence_length (p, end);
          if (used == 0)
            return FALSE;
          p += used;
        }
      memcpy (out, run, (gsize) (p - run));
      out += p - run;

      /* The end, or a control character, which must be escaped. */
      if (p >= end || (*p != '"' && *p != '\\'))
        return FALSE;
      if (*p == '"')
        break;

      if (end - p < 2)
        return FALSE;
      switch (p[1])
        {
        case '"':
        case '\\':
        case '/':
          *out++ = (char) p[1];
          p += 2;
          break;
        case 'b': *out++ = '\b'; p += 2; break;
        case 'f': *out++ = '\f'; p += 2; break;
        case 'n': *out++ = '\n'; p += 2; break;
        case 'r': *out++ = '\r'; p += 2; break;
        case 't': *out++ = '\t'; p += 2; break;
        case 'u':
          used = read_unicode_escape ((const char *) p, (const char *) end, &code);
          if (used == 0)
            return FALSE;
          out += g_unichar_to_utf8 (code, out);
          p += used;
          break;
        default:
          return FALSE;
        }
    }

  *out++ = '\0';
  *str = start;
  *len = (gsize) (out - start - 1);
  builder->out = out;
  builder->p = (const char *) p + 1;
  return TRUE;
}

static guint
add_node (TextBuilder *builder,
          PctJsonType  type,
          const char  *name,
          guint32      name_len)
{
  if (builder->n_nodes == builder->n_allocated)
    {
      builder->n_allocated *= 2;
      builder->nodes = g_renew (PctJsonNode, builder->nodes, builder->n_allocated);
    }

  builder->nodes[builder->n_nodes] = (PctJsonNode) {
    .type = type,
    .size = 1,
    .name = name,
    .name_len = name_len,
  };
  return (guint) builder->n_nodes++;
}

static void
skip_digits (const char **p,
             const char  *end)
{
  while (*p < end && g_ascii_isdigit (**p))
    (*p)++;
}

/* A number as RFC 8259 writes it; one without fraction or exponent must
 * fit in 64 bits. */
static gboolean
build_number (TextBuilder *builder,
              PctJsonNode *node)
{
  const char *start = builder->p;
  const char *p = start;
  const char *end = builder->end;
  gboolean negative = FALSE;
  gboolean integral = TRUE;
  gboolean overflow = FALSE;
  guint64 value = 0;
  char buf[G_ASCII_DTOSTR_BUF_SIZE * 2];
  gsize len;

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p < end && *p == '0')
    p++;
  else if (p < end && *p >= '1' && *p <= '9')
    {
      for (; p < end && g_ascii_isdigit (*p); p++)
        {
          guint digit = (guint) (*p - '0');

          if (value > (G_MAXUINT64 - digit) / 10)
            overflow = TRUE;
          else
            value = value * 10 + digit;
        }
    }
  else
    return FALSE;

  if (p < end && *p == '.')
    {
      integral = FALSE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return FALSE;
      skip_digits (&p, end);
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      integral = FALSE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return FALSE;
      skip_digits (&p, end);
    }
  builder->p = p;

  if (integral)
    {
      if (overflow || value > (guint64) G_MAXINT64 + (negative ? 1 : 0))
        return FALSE;
      node->type = PCT_JSON_INTEGER;
      node->v.integer = negative ? (gint64) (~value + 1) : (gint64) value;
      return TRUE;
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
  return TRUE;
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

/* After the opening bracket of the container node index, which lies
 * depth containers deep: its members or elements up to the closing one. */
static gboolean
build_children (TextBuilder *builder,
                guint        index,
                guint        depth,
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
      if (!build_value (builder, name, (guint32) name_len, depth))
        return FALSE;
      n++;

      skip_space (builder);
      if (builder->p >= builder->end)
        return FALSE;
      if (*builder->p == close)
        {
          builder->p++;
          builder->nodes[index].n_children = n;
          return TRUE;
        }
      if (*builder->p != ',')
        return FALSE;
      builder->p++;
    }
}

/* A value inside depth containers. */
static gboolean
build_value (TextBuilder *builder,
             const char  *name,
             guint32      name_len,
             guint        depth)
{
  guint index;
  PctJsonNode *node;

  skip_space (builder);
  if (builder->p >= builder->end)
    return FALSE;

  index = add_node (builder, PCT_JSON_NULL, name, name_len);
  node = &builder->nodes[index];
  switch (*builder->p)
    {
    case '{':
    case '[':
      {
        gboolean object = *builder->p == '{';

        if (depth == builder->max_depth)
          return FALSE;
        node->type = object ? PCT_JSON_OBJECT : PCT_JSON_ARRAY;
        builder->p++;
        if (!build_children (builder, index, depth + 1, object, object ? '}' : ']'))
          return FALSE;
        node = &builder->nodes[index];
        node->size = (guint32) (builder->n_nodes - index);
        return !object || !has_doubled_member (node);
      }
    case '"':
      node->type = PCT_JSON_STRING;
      return build_string (builder, &node->v.string.str, &node->v.string.len);
    case 't':
    case 'f':
      node->type = PCT_JSON_BOOLEAN;
      node->v.boolean = *builder->p == 't';
      return build_literal (builder, node->v.boolean ? "true" : "false");
    case 'n':
      return build_literal (builder, "null");
    default:
      if (*builder->p != '-' && !g_ascii_isdigit (*builder->p))
        return FALSE;
      return build_number (builder, node);
    }
}

PctJson *
pct_json_new_from_text (const char *text,
                        gsize       length,
                        guint       max_depth)
{
  g_autofree char *texts = NULL;
  TextBuilder builder;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  if (length > G_MAXUINT32)
    return NULL;

  texts = g_malloc (length + 1);
  builder = (TextBuilder) {
    .p = text,
    .end = text + length,
    /* Records of the feed hold about one value in every 16 to 20 bytes. */
    .n_allocated = length / 16 + 16,
    .out = texts,
    .max_depth = max_depth,
  };
  builder.nodes = g_new (PctJsonNode, builder.n_allocated);

  if (!build_value (&builder, NULL, 0, 0) || (skip_space (&builder), builder.p != builder.end))
    {
      g_free (builder.nodes);
      return NULL;
    }

  /* The array grew by doubling: what it holds is what stays. */
  return json_new (g_renew (PctJsonNode, builder.nodes, builder.n_nodes),
                   (guint) builder.n_nodes, g_steal_pointer (&texts));
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
