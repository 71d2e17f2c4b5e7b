/* jsondoc: writing and strict reading of report and envelope JSON.
 *
 * Owns the "v" member and the checks every incoming document passes
 * before any of its members is looked at: a size bound (checked before
 * parsing, so a huge body costs nothing), no \u0000 escape, nothing after
 * the root value, a JSON object at the root, "v":1.  It holds no state.
 * Errors use the caller's domain and codes (JsondocErrors) and name the
 * member by its path, never by its value: values may be personal data and
 * error messages end up in logs. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "jsondoc.h"

/* Two things json-glib lets through that we refuse, found by one walk
 * over the text:
 * - \u0000: json-glib decodes it into the string and then hands the
 *   string out as a C string, silently dropping whatever followed;
 * - anything but white space after the root object: json-glib stops at
 *   the end of the first value and ignores a second object or array, so
 *   two readers could disagree on what a document says.
 * Only well-formed JSON matters here (the parser reports the rest), so
 * brackets inside strings are the only thing to skip.  Returns the
 * complaint, or NULL. */
static const char *
jsondoc_scan (const char *data, gsize length)
{
  gboolean in_string = FALSE;
  guint depth = 0;
  gsize i;

  for (i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '"')
            in_string = FALSE;
          else if (c == '\\' && i + 1 < length)
            {
              if (data[i + 1] == 'u' && i + 5 < length
                  && memcmp (data + i + 2, "0000", 4) == 0)
                return "document contains \\u0000";
              i++; /* the escaped character, so \\" is not the end */
            }
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        depth++;
      else if ((c == '}' || c == ']') && depth > 0 && --depth == 0)
        break;
    }
  for (i++; i < length; i++)
    if (data[i] == '\0' || !strchr (" \t\r\n", data[i]))
      return "more after the end of the document";
  return NULL;
}

static gboolean
jsondoc_version (JsonObject *root, const JsondocErrors *codes,
                  GError **error)
{
  JsonNode *node = json_object_get_member (root, "v");

  if (node == NULL)
    {
      g_set_error_literal (error, codes->domain, codes->parse,
                           "v: missing (not a saferoute document)");
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error_literal (error, codes->domain, codes->parse,
                           "v: must be an integer");
      return FALSE;
    }
  if (json_node_get_int (node) != 1)
    {
      g_set_error (error, codes->domain, codes->version,
                   "v: version %" G_GINT64_FORMAT " is not known here "
                   "(this reader knows version 1)", json_node_get_int (node));
      return FALSE;
    }
  return TRUE;
}

JsonObject *
jsondoc_read (const char *data, gssize length, gsize max,
                   const JsondocErrors *codes, GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *complaint;
  gsize size;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (codes != NULL, NULL);

  size = length < 0 ? strlen (data) : (gsize) length;
  if (size > max)
    {
      g_set_error (error, codes->domain, codes->too_large,
                   "document is %" G_GSIZE_FORMAT " bytes, more than the "
                   "%" G_GSIZE_FORMAT " allowed", size, max);
      return NULL;
    }
  complaint = jsondoc_scan (data, size);
  if (complaint != NULL)
    {
      g_set_error_literal (error, codes->domain, codes->parse, complaint);
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, &local_error))
    {
      g_set_error (error, codes->domain, codes->parse,
                   "not JSON: %s", local_error->message);
      return NULL;
    }
  root = json_parser_steal_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, codes->domain, codes->parse,
                           "not a JSON object");
      return NULL;
    }
  if (!jsondoc_version (json_node_get_object (root), codes, error))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* The member, or NULL when OBJECT is absent, the member is absent or it
 * is a JSON null: all three mean "no value". */
static JsonNode *
jsondoc_member (JsonObject *object, const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, name);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
jsondoc_wrong_type (const char *path, const char *want,
                     const JsondocErrors *codes, GError **error)
{
  g_set_error (error, codes->domain, codes->parse,
               "%s: must be %s", path, want);
  return FALSE;
}

gboolean
jsondoc_string (JsonObject *object, const char *name, const char *path,
                 const JsondocErrors *codes, char **value, GError **error)
{
  JsonNode *node = jsondoc_member (object, name);

  *value = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return jsondoc_wrong_type (path, "a string", codes, error);
  *value = json_node_dup_string (node);
  return TRUE;
}

gboolean
jsondoc_boolean (JsonObject *object, const char *name, const char *path,
                  const JsondocErrors *codes, gboolean *value,
                  GError **error)
{
  JsonNode *node = jsondoc_member (object, name);

  *value = FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return jsondoc_wrong_type (path, "true or false", codes, error);
  *value = json_node_get_boolean (node);
  return TRUE;
}

gboolean
jsondoc_object (JsonObject *object, const char *name, const char *path,
                 const JsondocErrors *codes, JsonObject **value,
                 GError **error)
{
  JsonNode *node = jsondoc_member (object, name);

  *value = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return jsondoc_wrong_type (path, "an object", codes, error);
  *value = json_node_get_object (node);
  return TRUE;
}

gboolean
jsondoc_base64 (JsonObject *object, const char *name, const char *path,
                 const JsondocErrors *codes, GBytes **value, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree guint8 *bytes = NULL;
  const char *end = NULL;
  gsize length, decoded = 0;

  *value = NULL;
  if (!jsondoc_string (object, name, path, codes, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  /* g_base64_decode skips whatever is not base64; libsodium's decoder
   * refuses it, and we also insist that it consumed everything. */
  length = strlen (text);
  bytes = g_malloc (length / 4 * 3 + 1);
  if (length == 0
      || sodium_base642bin (bytes, length / 4 * 3 + 1, text, length, NULL,
                            &decoded, &end, sodium_base64_VARIANT_ORIGINAL) != 0
      || end != text + length || decoded == 0)
    {
      g_set_error (error, codes->domain, codes->invalid,
                   "%s: not valid base64", path);
      return FALSE;
    }
  *value = g_bytes_new_take (g_steal_pointer (&bytes), decoded);
  return TRUE;
}

JsonBuilder *
jsondoc_begin (void)
{
  JsonBuilder *builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "v");
  json_builder_add_int_value (builder, 1);
  return builder;
}

char *
jsondoc_end (JsonBuilder *builder, gsize *length)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, length);
}
