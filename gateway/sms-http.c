/* sms-http: helpers shared by the SMS provider endpoints (see sms-http.h).
 * They reply and return FALSE/NULL on refusal, so each handler stays a
 * straight line: parse, check, call the desk, reply. */
#include "config.h"

#include <string.h>

#include "http.h"
#include "lang.h"
#include "signature.h"
#include "sms-http.h"

const char *
sms_http_body (Gateway *gateway, SoupServerMessage *msg, gsize *length)
{
  const char *body;

  if (gateway->sms == NULL)
    {
      http_reply_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "SMS is not enabled");
      return NULL;
    }
  body = http_body (msg, length);
  if (*length > SMS_HTTP_BODY_MAX)
    {
      http_reply_text (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                       "an SMS webhook body is at most 16384 bytes");
      return NULL;
    }
  return body;
}

void
sms_http_error (SoupServerMessage *msg, const GError *error)
{
  if (error->domain == SMSDESK_ERROR)
    {
      http_reply_text (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  if (smsdesk_error_retry (error))
    {
      /* Nothing was promised: the provider retries, and the message id
       * makes the retry safe. */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "5");
      http_reply_text (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                       "busy, try again");
      return;
    }
  http_reply_error (msg, error);
}

gboolean
sms_http_from_loopback (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  return G_IS_INET_SOCKET_ADDRESS (address)
         && g_inet_address_get_is_loopback (
              g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
}

gboolean
sms_http_authorize (SoupServerMessage *msg, const char *secret,
                    const char *given_param)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *given = signature_bearer_token (
    soup_message_headers_get_one (headers, "Authorization"));

  if (secret == NULL || *secret == '\0')
    {
      if (sms_http_from_loopback (msg))
        return TRUE;
      http_reply_text (msg, SOUP_STATUS_FORBIDDEN,
                       "no secret configured: only local peers may post");
      return FALSE;
    }
  if (given == NULL)
    given = given_param;
  if (given == NULL)
    {
      http_reply_text (msg, SOUP_STATUS_UNAUTHORIZED, "missing secret");
      return FALSE;
    }
  if (!signature_equal (given, secret))
    {
      http_reply_text (msg, SOUP_STATUS_FORBIDDEN, "wrong secret");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  SoupServerMessage *msg;
  SmsHttpReplyFunc   reply;
} SmsHttpPending;

static void
sms_http_done (SmsAnswer *answer, const GError *error, gpointer user_data)
{
  SmsHttpPending *pending = user_data;

  if (answer != NULL)
    pending->reply (pending->msg, answer);
  else
    sms_http_error (pending->msg, error);
  soup_server_message_unpause (pending->msg);
  g_object_unref (pending->msg);
  sms_answer_free (answer);
  g_free (pending);
}

void
sms_http_receive (Gateway *gateway, SoupServerMessage *msg,
                  const SmsIncoming *incoming, SmsHttpReplyFunc reply)
{
  SmsHttpPending *pending = g_new0 (SmsHttpPending, 1);

  pending->msg = g_object_ref (msg);
  pending->reply = reply;
  soup_server_message_pause (msg);
  smsdesk_receive_async (gateway->sms, incoming,
                         g_get_real_time () / G_USEC_PER_SEC, sms_http_done,
                         pending);
}

char *
sms_http_join (char **replies)
{
  return g_strjoinv ("\n\n", replies);
}

void
sms_http_reply (SoupServerMessage *msg, const char *content_type, char *body)
{
  gsize length = strlen (body);

  http_secure_headers (msg);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE,
                                    body, length);
}

#define SMS_HTTP_TICK_SECONDS 5

static guint sms_http_timer;

static gboolean
sms_http_tick (gpointer user_data)
{
  Gateway *gateway = user_data;

  smsdesk_tick (gateway->sms, g_get_real_time () / G_USEC_PER_SEC);
  return G_SOURCE_CONTINUE;
}

gboolean
sms_http_start (Gateway *gateway, GError **error)
{
  gboolean allow_missing = FALSE;

  g_return_val_if_fail (gateway->sms == NULL, FALSE);

  /* A gateway without an [sms] group does not speak SMS (the endpoints
   * answer 503); the demo always does. */
  if (!gateway->demo && !conf_has_group (gateway->conf, "sms"))
    return TRUE;
  /* The conversation speaks six languages: without their catalogs refuse
   * to start rather than text people in English, except in the demo or
   * where a developer said so. */
  if (!conf_get_bool (gateway->conf, "sms", "allow_missing_translations",
                      gateway->demo, &allow_missing, error))
    return FALSE;
  lang_allow_missing (allow_missing);
  if (!lang_init (NULL, error))
    return FALSE;
  gateway->sms = smsdesk_new (gateway->conf, gateway->state_dir,
                              gateway->partners, gateway->store,
                              gateway->intake, error);
  if (gateway->sms == NULL)
    return FALSE;
  sms_http_tick (gateway);
  sms_http_timer = g_timeout_add_seconds (SMS_HTTP_TICK_SECONDS, sms_http_tick,
                                          gateway);
  return TRUE;
}

void
sms_http_stop (Gateway *gateway)
{
  if (sms_http_timer != 0)
    g_source_remove (sms_http_timer);
  sms_http_timer = 0;
  g_clear_pointer (&gateway->sms, smsdesk_free);
}
