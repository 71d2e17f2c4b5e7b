/* smsinbound: the JSON body of the generic SMS door, parsed (see
 * smsinbound.h).
 *
 * Owns no state; a parse either fills the whole SmsInbound or leaves it
 * empty.  UTF-8 is checked over the whole body before json-glib sees it,
 * NULs included (json-glib would stop at the first one and accept the
 * rest unseen).  A NUL that JSON escapes ("\u0000") ends the string as
 * json-glib reads it: what follows is dropped, never stored.  A lone
 * surrogate escape ("\ud800") comes out of json-glib as bytes that are
 * not UTF-8 (found by fuzz-inbound), so every member is checked again. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "smsinbound.h"

G_DEFINE_QUARK (saferoute-sms-inbound-error-quark, sms_inbound_error)

/* The member NAME if it is a string; *VALID turns FALSE if it is one but
 * not UTF-8. */
static char *
sms_inbound_member (JsonObject *object, const char *name, gboolean *valid)
{
  JsonNode *node = json_object_get_member (object, name);
  const char *value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  value = json_node_get_string (node);
  if (!g_utf8_validate (value, -1, NULL))
    *valid = FALSE;
  return g_strdup (value);
}

gboolean
sms_inbound_parse (const char *body, gsize length, SmsInbound *out,
                   GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  JsonObject *object;
  JsonNode *root;
  gboolean valid = TRUE;

  g_return_val_if_fail (body != NULL || length == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (length > G_MAXSSIZE || !g_utf8_validate_len (body, length, NULL))
    {
      g_set_error_literal (error, SMS_INBOUND_ERROR, SMS_INBOUND_ERROR_ENCODING,
                           "body is not UTF-8");
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, body, (gssize) length, &local))
    {
      /* json-glib's message quotes the token it choked on, which may be
       * a lone surrogate's bytes, not UTF-8 (found by fuzz-inbound): the
       * reply says "charset=utf-8". */
      g_autofree char *message = g_utf8_make_valid (local->message, -1);

      g_set_error_literal (error, SMS_INBOUND_ERROR, SMS_INBOUND_ERROR_SYNTAX,
                           message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, SMS_INBOUND_ERROR, SMS_INBOUND_ERROR_SYNTAX,
                           "body must be a JSON object");
      return FALSE;
    }
  object = json_node_get_object (root);
  out->from = sms_inbound_member (object, "from", &valid);
  out->text = sms_inbound_member (object, "text", &valid);
  out->msg_id = sms_inbound_member (object, "id", &valid);
  if (!valid)
    {
      sms_inbound_clear (out);
      g_set_error_literal (error, SMS_INBOUND_ERROR, SMS_INBOUND_ERROR_ENCODING,
                           "a string is not Unicode (a lone surrogate escape?)");
      return FALSE;
    }
  if (out->from == NULL || out->text == NULL)
    {
      sms_inbound_clear (out);
      g_set_error_literal (error, SMS_INBOUND_ERROR, SMS_INBOUND_ERROR_MISSING,
                           "\"from\" and \"text\" are required strings");
      return FALSE;
    }
  return TRUE;
}

void
sms_inbound_clear (SmsInbound *message)
{
  g_clear_pointer (&message->from, g_free);
  g_clear_pointer (&message->text, g_free);
  g_clear_pointer (&message->msg_id, g_free);
}
