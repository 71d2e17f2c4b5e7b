/* sms-twilio: POST /sms/twilio, Twilio's Messaging webhook.
 *
 *   form body (From, To, Body, MessageSid, ... and whatever Twilio adds)
 *   -> 200 text/xml TwiML <Response><Message>...</Message></Response>
 *
 * The signature is checked first, over the PUBLIC URL from [sms]
 * public_url (Twilio signs the URL it called; behind a TLS-terminating
 * proxy the local one is wrong) plus this request's path and query, and
 * every form parameter.  Refusals: 403 bad or missing signature, 400 a
 * body that is not a form or not UTF-8, 413 too large, 503 busy (Twilio
 * retries; MessageSid makes the retry safe).  Rate-limited senders get a
 * short TwiML reply saying so. */
#include "config.h"

#include <string.h>

#include "http.h"
#include "sms-http.h"
#include "twilio.h"

/* The URL Twilio signed: public base + the path and query it called. */
static char *
sms_twilio_signed_url (Gateway *gateway, SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);

  return g_strconcat (smsdesk_public_url (gateway->sms), g_uri_get_path (uri),
                      query ? "?" : "", query ? query : "", NULL);
}

static void
sms_twilio_reply (SoupServerMessage *msg, const SmsAnswer *answer)
{
  sms_http_reply (msg, "text/xml; charset=utf-8",
                  twilio_twiml ((const char *const *) answer->replies));
}

void
sms_twilio_post (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) pairs = NULL;
  g_autofree char *url = NULL;
  SmsIncoming incoming = { SMSDESK_TWILIO, NULL, NULL, NULL };
  const char *body;
  gsize length = 0;

  body = sms_http_body (gateway, msg, &length);
  if (body == NULL)
    return;
  if (smsdesk_twilio_token (gateway->sms) == NULL)
    {
      http_reply_text (msg, SOUP_STATUS_FORBIDDEN,
                       "[sms] twilio_auth_token is not configured");
      return;
    }
  pairs = twilio_form_parse (body, length, &error);
  if (pairs == NULL)
    {
      http_reply_text (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  url = sms_twilio_signed_url (gateway, msg);
  if (!twilio_signature_verify (smsdesk_twilio_token (gateway->sms), url,
                                (const char *const *) pairs,
                                soup_message_headers_get_one (headers, "X-Twilio-Signature"),
                                &error))
    {
      g_message ("refused a Twilio webhook: %s", error->message);
      http_reply_text (msg, SOUP_STATUS_FORBIDDEN, error->message);
      return;
    }

  incoming.from = twilio_form_get ((const char *const *) pairs, "From");
  incoming.text = twilio_form_get ((const char *const *) pairs, "Body");
  incoming.msg_id = twilio_form_get ((const char *const *) pairs, "MessageSid");
  if (incoming.msg_id == NULL)
    incoming.msg_id = twilio_form_get ((const char *const *) pairs, "SmsSid");
  if (incoming.text == NULL)
    incoming.text = "";
  sms_http_receive (gateway, msg, &incoming, sms_twilio_reply);
}
