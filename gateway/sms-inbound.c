/* sms-inbound: POST /sms/inbound, the generic JSON door for any other
 * SMS provider (through a small adapter) and for tools/sms-sim.
 *
 *   {"from":"+447700900123","to":"...","text":"...","id":"provider-id"}
 *   -> 200 {"reply":"...","replies":["..."]}   ("id" optional: without it
 *      no de-duplication)
 *   -> 429 {"reply":"...","error":"rate limited"} with Retry-After
 *
 * A sender's number selects a conversation that may hold a draft, so the
 * endpoint is not open: the [sms] inbound_secret as a bearer token, or,
 * when none is set, local peers only.  400 for a body that is not UTF-8
 * JSON of that shape, 413 too large, 503 busy. */
#include "config.h"

#include "http.h"
#include "sms-http.h"
#include "smsinbound.h"

static void
sms_inbound_reply (SoupServerMessage *msg, const SmsAnswer *answer)
{
  g_autofree char *joined = sms_http_join (answer->replies);
  JsonObject *reply = json_object_new ();
  JsonArray *replies = json_array_new ();

  json_object_set_string_member (reply, "reply", joined);
  for (guint i = 0; answer->replies[i] != NULL; i++)
    json_array_add_string_element (replies, answer->replies[i]);
  json_object_set_array_member (reply, "replies", replies);
  if (answer->duplicate)
    json_object_set_boolean_member (reply, "duplicate", TRUE);
  if (answer->limited)
    {
      json_object_set_string_member (reply, "error", "rate limited");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "60");
    }
  http_reply_json (msg, answer->limited ? 429 : SOUP_STATUS_OK,
                   json_node_init_object (json_node_alloc (), reply));
  json_object_unref (reply);
}

void
sms_inbound_post (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  g_auto(SmsInbound) parsed = { NULL, NULL, NULL };
  g_autoptr(GError) error = NULL;
  SmsIncoming incoming = { SMSDESK_INBOUND, NULL, NULL, NULL };
  const char *body;
  gsize length = 0;

  body = sms_http_body (gateway, msg, &length);
  if (body == NULL)
    return;
  if (!sms_http_authorize (msg, smsdesk_endpoint_secret (gateway->sms, SMSDESK_INBOUND),
                           NULL))
    return;
  if (!sms_inbound_parse (body, length, &parsed, &error))
    {
      http_reply_text (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  incoming.from = parsed.from;
  incoming.text = parsed.text;
  incoming.msg_id = parsed.msg_id;
  sms_http_receive (gateway, msg, &incoming, sms_inbound_reply);
}
