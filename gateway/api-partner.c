/* api-partner: the pull API for partners configured with delivery = pull.
 *
 *   GET  /api/v1/partner/envelopes[?limit=N]  -> {"envelopes":[ENVELOPE...]}
 *   POST /api/v1/partner/envelopes/ID/ack     -> {"status":"delivered"}
 *
 * The bearer token names the partner (constant-time comparison in the
 * partner directory); a partner only ever sees and acknowledges its own
 * envelopes: another partner's id is "not found", so ids do not leak.
 * Delivery is at-least-once: an envelope stays in the list until acked. */
#include "config.h"

#include <string.h>

#include "gateway.h"
#include "http.h"

#define API_PARTNER_LIMIT_DEFAULT 50
#define API_PARTNER_LIMIT_MAX     500

/* The partner whose token the request carries, or NULL after replying 401. */
static const Partner *
api_partner_authenticate (Gateway *gateway, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  const Partner *partner = NULL;

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    {
      const char *token = authorization + 7;

      while (*token == ' ')
        token++;
      if (*token != '\0')
        partner = partner_directory_by_token (gateway->partners, token);
    }
  if (partner == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"saferoute\"");
      http_reply_text (msg, SOUP_STATUS_UNAUTHORIZED,
                       authorization == NULL ? "missing bearer token"
                                             : "invalid bearer token");
    }
  return partner;
}

void
api_partner_list (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  const Partner *partner = api_partner_authenticate (gateway, msg);
  g_autofree char *limit_text = NULL;
  guint64 limit = API_PARTNER_LIMIT_DEFAULT;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) envelopes = NULL;
  JsonObject *root;
  JsonNode *node;

  if (partner == NULL)
    return;
  limit_text = gateway_query_param (msg, "limit");
  if (limit_text != NULL
      && !g_ascii_string_to_unsigned (limit_text, 10, 1, API_PARTNER_LIMIT_MAX,
                                      &limit, NULL))
    {
      http_reply_text (msg, SOUP_STATUS_BAD_REQUEST,
                       "limit must be a number from 1 to 500");
      return;
    }
  pending = store_pull_pending (gateway->store, partner->id, (guint) limit, &error);
  if (pending == NULL)
    {
      http_reply_error (msg, error);
      return;
    }
  envelopes = json_array_new ();
  for (guint i = 0; i < pending->len; i++)
    {
      const Delivery *delivery = g_ptr_array_index (pending, i);
      g_autoptr(GError) parse_error = NULL;
      JsonNode *envelope;

      if (delivery->envelope_json == NULL)
        continue;
      envelope = json_from_string (delivery->envelope_json, &parse_error);
      if (envelope == NULL)
        {
          /* Never expected: intake stored it.  Keep it for a human. */
          g_warning ("delivery %s: stored envelope is not JSON: %s",
                     delivery->id, parse_error->message);
          continue;
        }
      json_array_add_element (envelopes, envelope);
    }
  root = json_object_new ();
  json_object_set_array_member (root, "envelopes", g_steal_pointer (&envelopes));
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, root);
  http_reply_json (msg, SOUP_STATUS_OK, node);
}

void
api_partner_ack (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  const Partner *partner = api_partner_authenticate (gateway, msg);
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonNode *node;

  if (partner == NULL)
    return;
  if (!store_ack (gateway->store, partner->id, params[0],
                  g_get_real_time () / G_USEC_PER_SEC, &error))
    {
      http_reply_error (msg, error);
      return;
    }
  g_message ("delivery %s: acknowledged by partner %s", params[0], partner->id);
  root = json_object_new ();
  json_object_set_string_member (root, "status", "delivered");
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, root);
  http_reply_json (msg, SOUP_STATUS_OK, node);
}
