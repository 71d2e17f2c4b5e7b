/* webhook: POST /webhook, the partner end of a webhook delivery.
 *
 * Checks in the order that costs the sender least to get wrong: method,
 * content type, body size (http_limit_body, before the body is read),
 * signature with its time tolerance, Idempotency-Key, envelope, then
 * inbox_receive.  The reply ("stored" or "duplicate") is written only
 * after the store's COMMIT; a 4xx means "do not retry", so only errors
 * that a retry cannot fix get one (DESIGN.md: webhook contract). */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "inbox.h"
#include "http.h"
#include "signature.h"

static gboolean
webhook_is_json (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);

  return type != NULL && g_ascii_strcasecmp (type, "application/json") == 0;
}

static void
webhook_reply_status (SoupServerMessage *msg, const char *status)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status);
  json_builder_end_object (builder);
  http_reply_json (msg, SOUP_STATUS_OK, json_builder_get_root (builder));
}

static void
webhook_reply_error (SoupServerMessage *msg, const GError *error)
{
  guint status = inbox_status_for_error (error);

  if (status >= 500)
    {
      http_reply_error (msg, error);
      return;
    }
  http_reply_text (msg, status, error->message);
}

static void
webhook_handle (SoupServer *server, SoupServerMessage *msg, const char *path,
                GHashTable *query, gpointer user_data)
{
  Inbox *inbox = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *signature;
  const char *key;
  const char *body;
  gsize length = 0;
  gboolean duplicate = FALSE;
  g_autoptr(Envelope) envelope = NULL;
  g_autoptr(GError) error = NULL;

  /* The body limit may already have answered 413. */
  if (soup_server_message_get_status (msg) != 0)
    return;
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "POST");
      http_reply_text (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                       "method not allowed: use POST");
      return;
    }
  if (!webhook_is_json (msg))
    {
      http_reply_text (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                       "Content-Type must be application/json");
      return;
    }
  if (inbox->hmac_secret == NULL)
    {
      http_reply_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                       "webhook not configured (no hmac secret)");
      return;
    }
  body = http_body (msg, &length);
  signature = soup_message_headers_get_one (headers, "Saferoute-Signature");
  if (!signature_verify (inbox->hmac_secret, signature, body, length,
                         g_get_real_time () / G_USEC_PER_SEC,
                         SIGNATURE_TOLERANCE_SECONDS, &error))
    {
      g_message ("webhook refused: bad signature (%s)", error->message);
      http_reply_text (msg, SOUP_STATUS_UNAUTHORIZED, error->message);
      return;
    }
  key = soup_message_headers_get_one (headers, "Idempotency-Key");
  if (key == NULL || *key == '\0')
    {
      http_reply_text (msg, SOUP_STATUS_BAD_REQUEST,
                       "Idempotency-Key header required");
      return;
    }
  envelope = envelope_from_json (body, (gssize) length, &error);
  if (envelope == NULL)
    {
      webhook_reply_error (msg, error);
      return;
    }
  if (g_strcmp0 (key, envelope->id) != 0)
    {
      http_reply_text (msg, SOUP_STATUS_BAD_REQUEST,
                       "Idempotency-Key differs from the envelope id");
      return;
    }
  if (!inbox_receive (inbox, envelope, "webhook", &duplicate, &error))
    {
      /* The status, not the message: a validation message could quote
       * what the report says. */
      g_message ("webhook refused delivery %s ref %s: status %u",
                 envelope->id, envelope->ref, inbox_status_for_error (error));
      webhook_reply_error (msg, error);
      return;
    }
  webhook_reply_status (msg, duplicate ? "duplicate" : "stored");
}

void
inbox_webhook_register (Inbox *inbox, SoupServer *server)
{
  soup_server_add_handler (server, "/webhook", webhook_handle, inbox, NULL);
}
