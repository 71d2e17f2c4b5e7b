/* sms-kannel: GET|POST /sms/kannel, Kannel's sms-service get-url/post-url.
 *
 * Kannel (doc/kannel.conf.example) calls
 *   /sms/kannel?id=%I&from=%p&to=%P&coding=%c&charset=%C&text=%b
 * (post-url: the same query, the text as the body).  %b, not %a: %a
 * splits the text into words at bytes that look like spaces, and in raw
 * UCS-2 every Gurmukhi letter's high byte is 0x0A (a line feed).  The reply is the
 * response body, which smsbox sends back as the SMS; an empty body sends
 * nothing (omit-empty).  So that Urdu, Arabic and Punjabi arrive intact
 * and not as "?????", a reply that needs UCS-2 carries X-Kannel-Coding: 2
 * and Content-Type charset UTF-8 (smsbox converts; the service needs
 * accept-x-kannel-headers = true).
 *
 * Incoming text may be UCS-2 (coding=2, charset UTF-16BE) when smsbox has
 * no mo-recode, or in another charset Kannel names: decoded to UTF-8 here.
 * %I, Kannel's message UUID, is stable across its retries and restarts:
 * the de-duplication key.  Refusals: 401/403 without the [sms]
 * kannel_secret (or from a non-local peer when none is set), 400 for text
 * that does not decode, 413 too large, 503 busy (Kannel retries with
 * http-request-retry). */
#include "config.h"

#include <string.h>

#include "http.h"
#include "sms.h"
#include "sms-http.h"

/* name -> GBytes, binary-safe (UTF-16 text holds %00), first value wins. */
static GHashTable *
sms_kannel_params (const char *query)
{
  GHashTable *params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_bytes_unref);
  g_auto(GStrv) items = NULL;

  if (query == NULL)
    return params;
  items = g_strsplit (query, "&", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      char *eq = strchr (items[i], '=');
      g_autofree char *name = NULL;
      GBytes *value;

      if (eq == NULL)
        continue;
      *eq = '\0';
      g_strdelimit (eq + 1, "+", ' ');
      name = g_uri_unescape_string (items[i], NULL);
      value = g_uri_unescape_bytes (eq + 1, -1, NULL, NULL);
      if (name == NULL || value == NULL || g_hash_table_contains (params, name))
        {
          g_clear_pointer (&value, g_bytes_unref);
          continue;
        }
      g_hash_table_insert (params, g_steal_pointer (&name), value);
    }
  return params;
}

/* A NUL-terminated copy of param NAME, or NULL (also if it holds a NUL). */
static char *
sms_kannel_string (GHashTable *params, const char *name)
{
  GBytes *value = g_hash_table_lookup (params, name);
  gsize length = 0;
  const char *data;

  if (value == NULL)
    return NULL;
  data = g_bytes_get_data (value, &length);
  if (length > 0 && memchr (data, '\0', length) != NULL)
    return NULL;
  return g_strndup (data, length);
}

/* TEXT (LENGTH bytes, as Kannel labelled it) as UTF-8, or NULL. */
static char *
sms_kannel_decode (const char *text, gsize length, const char *coding,
                   const char *charset)
{
  const char *from = NULL;

  if (charset != NULL && *charset != '\0')
    from = charset;
  else if (g_strcmp0 (coding, "2") == 0)
    from = "UTF-16BE";
  /* UCS-2 is UTF-16 without surrogates: iconv's UTF-16BE reads both. */
  if (from != NULL && (g_ascii_strcasecmp (from, "UCS-2") == 0
                       || g_ascii_strcasecmp (from, "UCS-2BE") == 0
                       || g_ascii_strcasecmp (from, "UTF16BE") == 0))
    from = "UTF-16BE";
  if (from == NULL || g_ascii_strcasecmp (from, "UTF-8") == 0)
    {
      if (memchr (text, '\0', length) != NULL
          || !g_utf8_validate (text, (gssize) length, NULL))
        return NULL;
      return g_strndup (text, length);
    }
  return g_convert (text, (gssize) length, "UTF-8", from, NULL, NULL, NULL);
}

static void
sms_kannel_reply (SoupServerMessage *msg, const SmsAnswer *answer)
{
  g_autofree char *text = sms_http_join (answer->replies);

  /* GSM-7 text goes as it is; anything else must be sent as UCS-2, or
   * smsbox squeezes it into GSM and the person reads "?????". */
  if (*text != '\0' && sms_encoding (text) == SMS_ENCODING_UCS2)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "X-Kannel-Coding", "2");
  sms_http_reply (msg, "text/plain; charset=UTF-8", g_steal_pointer (&text));
}

void
sms_kannel (Gateway *gateway, SoupServerMessage *msg, const char *const *params)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  gboolean post = g_str_equal (soup_server_message_get_method (msg), "POST");
  g_autoptr(GHashTable) query = NULL;
  g_autofree char *from = NULL, *msg_id = NULL, *coding = NULL, *charset = NULL;
  g_autofree char *text = NULL, *secret = NULL;
  SmsIncoming incoming = { SMSDESK_KANNEL, NULL, NULL, NULL };
  const char *body;
  gsize length = 0;

  body = sms_http_body (gateway, msg, &length);
  if (body == NULL)
    return;
  query = sms_kannel_params (g_uri_get_query (soup_server_message_get_uri (msg)));
  secret = sms_kannel_string (query, "secret");
  if (!sms_http_authorize (msg, smsdesk_endpoint_secret (gateway->sms, SMSDESK_KANNEL),
                           secret))
    return;
  from = sms_kannel_string (query, "from");
  msg_id = sms_kannel_string (query, "id");
  coding = sms_kannel_string (query, "coding");
  charset = sms_kannel_string (query, "charset");
  if (post)
    {
      g_autoptr(GHashTable) content_params = NULL;

      if (from == NULL)
        from = g_strdup (soup_message_headers_get_one (headers, "X-Kannel-From"));
      if (coding == NULL)
        coding = g_strdup (soup_message_headers_get_one (headers, "X-Kannel-Coding"));
      if (charset == NULL
          && soup_message_headers_get_content_type (headers, &content_params) != NULL
          && content_params != NULL)
        charset = g_strdup (g_hash_table_lookup (content_params, "charset"));
      text = sms_kannel_decode (body, length, coding, charset);
    }
  else
    {
      GBytes *raw = g_hash_table_lookup (query, "text");
      gsize raw_length = 0;
      const char *data = raw ? g_bytes_get_data (raw, &raw_length) : "";

      text = sms_kannel_decode (data ? data : "", raw_length, coding, charset);
    }
  if (text == NULL)
    {
      http_reply_text (msg, SOUP_STATUS_BAD_REQUEST,
                       "text does not decode from its coding/charset to UTF-8");
      return;
    }
  if (from == NULL || *from == '\0')
    {
      http_reply_text (msg, SOUP_STATUS_BAD_REQUEST, "from (%p) is required");
      return;
    }
  incoming.from = from;
  incoming.text = text;
  incoming.msg_id = msg_id && *msg_id ? msg_id : NULL;
  sms_http_receive (gateway, msg, &incoming, sms_kannel_reply);
}
