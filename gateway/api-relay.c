/* api-relay: POST /api/v1/envelopes, sealed envelopes relayed by kiosks.
 *
 *   Authorization: Bearer KIOSK-TOKEN
 *   body: envelope v1 JSON (sealed: the gateway cannot read it)
 *   -> 201 {"id","status":"queued"}      first time
 *   -> 200 {"id","status":"duplicate"}   already here (the kiosk retried
 *                                        after a lost answer)
 *   -> 401 no/unknown token, 400 not an envelope or unknown partner,
 *      413 over ENVELOPE_JSON_MAX, 503 store busy (the kiosk retries).
 *
 * Tokens: one [kiosk ID] group per kiosk in the gateway's configuration,
 * each with its own token (doc/saferoute.conf.example), so that one kiosk
 * can be revoked alone and logs name the kiosk, never the token.  Every
 * configured token is compared, in constant time, whatever matches. */
#include "config.h"

#include <string.h>

#include "envelope.h"
#include "http.h"
#include "signature.h"
#include "gateway.h"

#define API_RELAY_GROUP_PREFIX "kiosk "

/* The id of the kiosk whose token REQUEST carries, or NULL. */
static char *
api_relay_kiosk (Gateway *gateway, const char *token)
{
  g_auto(GStrv) groups = conf_groups (gateway->conf);
  char *found = NULL;

  for (guint i = 0; groups != NULL && groups[i] != NULL; i++)
    {
      g_autofree char *expected = NULL;

      if (!g_str_has_prefix (groups[i], API_RELAY_GROUP_PREFIX))
        continue;
      expected = conf_get_string (gateway->conf, groups[i], "token", "", NULL);
      if (expected != NULL && strlen (expected) >= 16
          && signature_equal (token, expected) && found == NULL)
        found = g_strdup (groups[i] + strlen (API_RELAY_GROUP_PREFIX));
    }
  return found;
}

void
api_relay_post (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  const char *token = signature_bearer_token (authorization);
  g_autofree char *kiosk = NULL;
  g_autoptr(Envelope) envelope = NULL;
  g_autoptr(GError) error = NULL;
  gboolean duplicate = FALSE;
  JsonObject *reply;
  const char *body;
  gsize length = 0;

  kiosk = token ? api_relay_kiosk (gateway, token) : NULL;
  if (kiosk == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"saferoute\"");
      http_reply_text (msg, SOUP_STATUS_UNAUTHORIZED,
                       token == NULL ? "missing bearer token" : "invalid bearer token");
      return;
    }
  body = http_body (msg, &length);
  if (length > ENVELOPE_JSON_MAX)
    {
      http_reply_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                       "an envelope is at most 65536 bytes");
      return;
    }
  envelope = envelope_from_json (body, (gssize) length, &error);
  if (envelope == NULL
      || !intake_submit_envelope (gateway->intake, envelope, "relay", &duplicate,
                                  &error))
    {
      g_message ("relay from kiosk %s refused: %s", kiosk, error->message);
      http_reply_error (msg, error);
      return;
    }
  g_message ("relay from kiosk %s: envelope %s %s", kiosk, envelope->id,
          duplicate ? "(duplicate)" : "queued");
  reply = json_object_new ();
  json_object_set_string_member (reply, "id", envelope->id);
  json_object_set_string_member (reply, "status", duplicate ? "duplicate" : "queued");
  http_reply_json (msg, duplicate ? SOUP_STATUS_OK : SOUP_STATUS_CREATED,
                   json_node_init_object (json_node_alloc (), reply));
  json_object_unref (reply);
}
