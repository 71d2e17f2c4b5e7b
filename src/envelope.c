/* envelope: envelope v1, what queues, relays and partners handle.
 *
 * Owns the envelope's JSON.  An envelope carries either the sealed report
 * (base64 of the crypto_box_seal output) or, for a partner configured for
 * plain delivery, the report itself as a JSON object; never both, never
 * neither.  Envelopes are in memory only: store.c makes them durable.
 *
 * Reading is strict about what routing depends on (id is a UUID, ref a
 * valid code, partner a partner id, created_at RFC 3339, base64 that
 * decodes) and ignores members it does not know, so that a later minor
 * writer can add some.  The embedded report is only checked to be an
 * object here; seal_open validates it as a report.  Errors name the
 * member, never its value. */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <json-glib/json-glib.h>

#include "envelope.h"
#include "jsondoc.h"

G_DEFINE_QUARK (saferoute-envelope-error-quark, envelope_error)

Envelope *
envelope_new (void)
{
  Envelope *envelope = g_new0 (Envelope, 1);

  envelope->v = 1;
  return envelope;
}

void
envelope_free (Envelope *envelope)
{
  if (envelope == NULL)
    return;
  g_free (envelope->id);
  g_free (envelope->ref);
  g_free (envelope->partner);
  g_clear_pointer (&envelope->sealed, g_bytes_unref);
  /* Plain delivery: this is the report in clear. */
  if (envelope->report_json != NULL)
    sodium_memzero (envelope->report_json, strlen (envelope->report_json));
  g_free (envelope->report_json);
  g_free (envelope);
}

static JsonNode *
envelope_report_node (const char *report_json)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonNode) root = NULL;

  if (!json_parser_load_from_data (parser, report_json, -1, NULL))
    return NULL;
  root = json_parser_steal_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return g_steal_pointer (&root);
}

char *
envelope_to_json (const Envelope *envelope, gsize *length)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *created_at = NULL;

  g_return_val_if_fail (envelope != NULL, NULL);
  g_return_val_if_fail (envelope->v == 1, NULL);
  g_return_val_if_fail (envelope->id != NULL && envelope->ref != NULL
                        && envelope->partner != NULL, NULL);
  g_return_val_if_fail ((envelope->sealed == NULL)
                        != (envelope->report_json == NULL), NULL);

  created_at = report_format_time (envelope->created_at);
  g_return_val_if_fail (created_at != NULL, NULL);

  builder = jsondoc_begin ();
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, envelope->id);
  json_builder_set_member_name (builder, "ref");
  json_builder_add_string_value (builder, envelope->ref);
  json_builder_set_member_name (builder, "partner");
  json_builder_add_string_value (builder, envelope->partner);
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_string_value (builder, created_at);
  if (envelope->sealed != NULL)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (envelope->sealed, &size);
      g_autofree char *base64 = g_base64_encode (data, size);

      json_builder_set_member_name (builder, "sealed");
      json_builder_add_string_value (builder, base64);
    }
  else
    {
      /* An object, not a string holding JSON: the partner's case system
       * reads it with any JSON library, without decoding twice. */
      JsonNode *report = envelope_report_node (envelope->report_json);

      if (report == NULL)
        {
          g_critical ("envelope_to_json: report_json is not a JSON object");
          return NULL;
        }
      json_builder_set_member_name (builder, "report");
      json_builder_add_value (builder, report);
    }
  return jsondoc_end (builder, length);
}

static gboolean
envelope_invalid (GError **error, const char *path, const char *why)
{
  g_set_error (error, ENVELOPE_ERROR, ENVELOPE_ERROR_INVALID,
               "%s: %s", path, why);
  return FALSE;
}

/* [a-z0-9][a-z0-9-]{0,39}, as partner.h defines partner ids. */
static gboolean
envelope_partner_valid (const char *id)
{
  static const char allowed[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
  gsize n = strlen (id);

  return n >= 1 && n <= 40 && id[0] != '-' && strspn (id, allowed) == n;
}

/* Reads the four routing members every envelope carries. */
static gboolean
envelope_read_head (Envelope *envelope, JsonObject *root,
                    const JsondocErrors *codes, GError **error)
{
  g_autofree char *created_at = NULL;

  if (!jsondoc_string (root, "id", "id", codes, &envelope->id, error)
      || !jsondoc_string (root, "ref", "ref", codes, &envelope->ref, error)
      || !jsondoc_string (root, "partner", "partner", codes,
                           &envelope->partner, error)
      || !jsondoc_string (root, "created_at", "created_at", codes,
                           &created_at, error))
    return FALSE;
  if (envelope->id == NULL || !g_uuid_string_is_valid (envelope->id))
    return envelope_invalid (error, "id", "missing or not a UUID");
  if (!report_ref_valid (envelope->ref))
    return envelope_invalid (error, "ref",
                             "missing or not a valid reference code");
  if (envelope->partner == NULL || !envelope_partner_valid (envelope->partner))
    return envelope_invalid (error, "partner",
                             "missing or not a partner id");
  if (created_at == NULL
      || !report_parse_time (created_at, &envelope->created_at))
    return envelope_invalid (error, "created_at",
                             "missing or not an RFC 3339 UTC time");
  return TRUE;
}

Envelope *
envelope_from_json (const char *data, gssize length, GError **error)
{
  const JsondocErrors codes = {
    ENVELOPE_ERROR, ENVELOPE_ERROR_PARSE, ENVELOPE_ERROR_INVALID,
    ENVELOPE_ERROR_VERSION, ENVELOPE_ERROR_TOO_LARGE,
  };
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(Envelope) envelope = NULL;
  JsonObject *report = NULL;

  g_return_val_if_fail (data != NULL, NULL);

  root = jsondoc_read (data, length, ENVELOPE_JSON_MAX, &codes, error);
  if (root == NULL)
    return NULL;
  envelope = envelope_new ();
  if (!envelope_read_head (envelope, root, &codes, error)
      || !jsondoc_base64 (root, "sealed", "sealed", &codes,
                           &envelope->sealed, error)
      || !jsondoc_object (root, "report", "report", &codes, &report, error))
    return NULL;
  if ((envelope->sealed == NULL) == (report == NULL))
    {
      envelope_invalid (error, "sealed",
                        "an envelope carries exactly one of sealed "
                        "and report");
      return NULL;
    }
  if (report != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (),
                                                        report);

      envelope->report_json = json_to_string (node, FALSE);
    }
  return g_steal_pointer (&envelope);
}
