/* Fuzz target: how /sms/kannel reads a request (gateway/sms-kannel.c):
 * its binary-safe query parser and its text decoding from the coding and
 * charset Kannel (or an attacker) names.  Those functions are static and
 * the handler needs a SoupServerMessage, so this file includes the
 * handler's source and stubs the few gateway functions it calls; the
 * stubs are never reached.  (A SoupServerMessage-free sms_kannel_parse()
 * in the gateway would let this link normally.)
 *
 * Input: byte 0 bit 0 = POST (the text is the body) else GET (the text
 * is the query's "text"); then the query, a newline, the coding, a
 * newline, the charset, a newline, and the body.  Invariants: a
 * parameter holding a NUL is never returned as a string; decoded text
 * is valid UTF-8. */
#include "../../gateway/sms-kannel.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

const char *
sms_http_body (Gateway *gateway, SoupServerMessage *msg, gsize *length)
{
  g_assert_not_reached ();
}

gboolean
sms_http_authorize (SoupServerMessage *msg, const char *secret, const char *given)
{
  g_assert_not_reached ();
}

const char *
smsdesk_endpoint_secret (const SmsDesk *desk, const char *provider)
{
  g_assert_not_reached ();
}

void
sms_http_receive (Gateway *gateway, SoupServerMessage *msg,
                  const SmsIncoming *incoming, SmsHttpReplyFunc reply)
{
  g_assert_not_reached ();
}

void
sms_http_reply (SoupServerMessage *msg, const char *content_type, char *body)
{
  g_assert_not_reached ();
}

char *
sms_http_join (char **replies)
{
  g_assert_not_reached ();
}

/* The next newline-terminated field of [*P, END), as a new string. */
static char *
fuzz_kannel_field (const char **p, const char *end)
{
  const char *nl = memchr (*p, '\n', (gsize) (end - *p));
  const char *stop = nl ? nl : end;
  char *field = g_strndup (*p, (gsize) (stop - *p));

  *p = nl ? nl + 1 : end;
  return field;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *p = (const char *) data + 1, *end = (const char *) data + size;
  g_autofree char *query_text = NULL, *coding_in = NULL, *charset_in = NULL;
  g_autoptr(GHashTable) query = NULL;
  g_autofree char *from = NULL, *coding = NULL, *charset = NULL, *text = NULL;
  static const char *const names[] = { "from", "id", "secret", "coding", "charset", "text" };

  if (size < 1)
    return 0;
  query_text = fuzz_kannel_field (&p, end);
  coding_in = fuzz_kannel_field (&p, end);
  charset_in = fuzz_kannel_field (&p, end);
  query = sms_kannel_params (query_text);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *value = sms_kannel_string (query, names[i]);
      GBytes *raw = g_hash_table_lookup (query, names[i]);

      if (value)
        g_assert_cmpuint (strlen (value), ==, g_bytes_get_size (raw));
    }
  from = sms_kannel_string (query, "from");
  coding = sms_kannel_string (query, "coding");
  charset = sms_kannel_string (query, "charset");
  if (coding == NULL)
    coding = g_strdup (coding_in);
  if (charset == NULL)
    charset = g_strdup (charset_in);
  if (data[0] & 1)
    text = sms_kannel_decode (p, (gsize) (end - p), coding, charset);
  else
    {
      GBytes *raw = g_hash_table_lookup (query, "text");
      gsize raw_length = 0;
      const char *bytes = raw ? g_bytes_get_data (raw, &raw_length) : "";

      text = sms_kannel_decode (bytes ? bytes : "", raw_length, coding, charset);
    }
  if (text)
    g_assert_true (g_utf8_validate (text, -1, NULL));
  return 0;
}
