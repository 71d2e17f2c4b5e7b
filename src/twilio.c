/* twilio: signature verification, form parsing and TwiML for Twilio's
 * Messaging webhooks (see twilio.h for the rules).
 *
 * Owns no state.  Why each choice:
 * - HMAC-SHA1 is Twilio's, not ours; libsodium has no SHA-1 HMAC, so
 *   GLib's GHmac computes it, and the comparison of the decoded MAC goes
 *   through sodium_memcmp (constant time: a timing oracle would let a
 *   forger find a valid signature byte by byte).
 * - The form parser keeps order and repeats and decodes to bytes: the
 *   signature is over exactly what Twilio sent, and a value that is not
 *   UTF-8 is refused by the caller after the signature says who sent it.
 * - Parameters are sorted by (name, value) with strcmp: UTF-8 byte order is
 *   code point order, which is what the helper libraries sort by.
 * Fails closed: anything unparsable is "no match". */
#include "config.h"

#include <string.h>
#include <stdlib.h>
#include <sodium.h>

#include "twilio.h"

G_DEFINE_QUARK (saferoute-twilio-error-quark, twilio_error)

#define TWILIO_MAC_BYTES 20  /* SHA-1 */

static int
twilio_hex (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* One form component, '+' as space, %XX decoded; NULL on a bad escape or
 * an encoded NUL. */
static char *
twilio_form_decode (const char *text, gsize length)
{
  g_autoptr(GString) out = g_string_sized_new (length);

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (c == '+')
        c = ' ';
      else if (c == '%')
        {
          int hi, lo;

          if (i + 2 >= length)
            return NULL;
          hi = twilio_hex (text[i + 1]);
          lo = twilio_hex (text[i + 2]);
          if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return NULL;
          c = (char) (hi * 16 + lo);
          i += 2;
        }
      else if (c == '\0')
        return NULL;
      g_string_append_c (out, c);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char **
twilio_form_parse (const char *body, gsize length, GError **error)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  gsize start = 0;

  g_return_val_if_fail (body != NULL || length == 0, NULL);

  while (start < length)
    {
      const char *item = body + start;
      const char *amp = memchr (item, '&', length - start);
      gsize item_len = amp ? (gsize) (amp - item) : length - start;
      const char *eq = memchr (item, '=', item_len);
      gsize name_len = eq ? (gsize) (eq - item) : item_len;
      char *name, *value;

      start += item_len + 1;
      if (item_len == 0)
        continue;
      name = twilio_form_decode (item, name_len);
      value = eq ? twilio_form_decode (eq + 1, item_len - name_len - 1)
                 : g_strdup ("");
      if (name == NULL || value == NULL)
        {
          g_free (name);
          g_free (value);
          g_set_error (error, TWILIO_ERROR, TWILIO_ERROR_MALFORMED,
                       "form body: bad %%-escape or encoded NUL");
          return NULL;
        }
      g_ptr_array_add (pairs, name);
      g_ptr_array_add (pairs, value);
    }
  g_ptr_array_add (pairs, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&pairs), FALSE);
}

const char *
twilio_form_get (const char *const *pairs, const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; pairs != NULL && pairs[i] != NULL && pairs[i + 1] != NULL; i += 2)
    if (strcmp (pairs[i], name) == 0)
      return pairs[i + 1];
  return NULL;
}

typedef struct
{
  const char *name;
  const char *value;
} TwilioPair;

static int
twilio_pair_compare (const void *a, const void *b)
{
  const TwilioPair *x = a, *y = b;
  int c = strcmp (x->name, y->name);

  return c != 0 ? c : strcmp (x->value, y->value);
}

static void
twilio_mac (const char *auth_token, const char *url, const char *const *pairs,
            guint8 mac[TWILIO_MAC_BYTES])
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1,
                                      (const guchar *) auth_token,
                                      strlen (auth_token));
  g_autofree TwilioPair *sorted = NULL;
  guint n = 0;
  gsize mac_len = TWILIO_MAC_BYTES;

  while (pairs != NULL && pairs[2 * n] != NULL && pairs[2 * n + 1] != NULL)
    n++;
  sorted = g_new (TwilioPair, n + 1);
  for (guint i = 0; i < n; i++)
    {
      sorted[i].name = pairs[2 * i];
      sorted[i].value = pairs[2 * i + 1];
    }
  if (n > 1)
    qsort (sorted, n, sizeof *sorted, twilio_pair_compare);

  g_hmac_update (hmac, (const guchar *) url, -1);
  for (guint i = 0; i < n; i++)
    {
      g_hmac_update (hmac, (const guchar *) sorted[i].name, -1);
      g_hmac_update (hmac, (const guchar *) sorted[i].value, -1);
    }
  g_hmac_get_digest (hmac, mac, &mac_len);
  g_assert (mac_len == TWILIO_MAC_BYTES);
}

char *
twilio_signature_compute (const char *auth_token, const char *url,
                          const char *const *pairs)
{
  guint8 mac[TWILIO_MAC_BYTES];

  g_return_val_if_fail (auth_token != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  twilio_mac (auth_token, url, pairs, mac);
  return g_base64_encode (mac, sizeof mac);
}

char *
twilio_url_port_variant (const char *url)
{
  const char *authority, *end, *colon = NULL, *default_port;
  gsize scheme_len;

  g_return_val_if_fail (url != NULL, NULL);

  if (g_ascii_strncasecmp (url, "https://", 8) == 0)
    default_port = "443", scheme_len = 8;
  else if (g_ascii_strncasecmp (url, "http://", 7) == 0)
    default_port = "80", scheme_len = 7;
  else
    return NULL;
  authority = url + scheme_len;
  end = authority + strcspn (authority, "/?#");
  if (end == authority)
    return NULL;
  /* The port follows the last ':' after any userinfo and IPv6 literal. */
  for (const char *p = authority; p < end; p++)
    {
      if (*p == '@' || *p == ']')
        colon = NULL;
      else if (*p == ':')
        colon = p;
    }
  if (colon == NULL)
    return g_strdup_printf ("%.*s:%s%s", (int) (end - url), url,
                            default_port, end);
  if ((gsize) (end - colon - 1) == strlen (default_port)
      && strncmp (colon + 1, default_port, strlen (default_port)) == 0)
    return g_strdup_printf ("%.*s%s", (int) (colon - url), url, end);
  return NULL;
}

gboolean
twilio_signature_verify (const char *auth_token, const char *url,
                         const char *const *pairs, const char *signature,
                         GError **error)
{
  g_autofree guint8 *given = NULL;
  g_autofree char *variant = NULL;
  g_autofree char *canonical = NULL;
  guint8 mac[TWILIO_MAC_BYTES];
  gsize given_len = 0;
  gboolean match;

  g_return_val_if_fail (auth_token != NULL, FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  if (signature == NULL || *signature == '\0')
    {
      g_set_error (error, TWILIO_ERROR, TWILIO_ERROR_MISSING,
                   "missing X-Twilio-Signature");
      return FALSE;
    }
  /* 20 bytes are 28 base64 characters; anything else cannot match, and
   * g_base64_decode does not reject garbage, so check the length first. */
  if (strlen (signature) != 28
      || strspn (signature, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != 28)
    {
      g_set_error (error, TWILIO_ERROR, TWILIO_ERROR_MALFORMED,
                   "X-Twilio-Signature is not a base64 SHA-1 MAC");
      return FALSE;
    }
  given = g_base64_decode (signature, &given_len);
  canonical = given_len == TWILIO_MAC_BYTES
              ? g_base64_encode (given, given_len) : NULL;
  /* Only the canonical spelling: the helpers compare strings, so "...9="
   * (same bytes, other padding bits) must not pass where they refuse it. */
  if (canonical == NULL || strcmp (canonical, signature) != 0)
    {
      g_set_error (error, TWILIO_ERROR, TWILIO_ERROR_MALFORMED,
                   "X-Twilio-Signature is not a base64 SHA-1 MAC");
      return FALSE;
    }

  twilio_mac (auth_token, url, pairs, mac);
  match = sodium_memcmp (mac, given, TWILIO_MAC_BYTES) == 0;
  variant = twilio_url_port_variant (url);
  if (variant != NULL)
    {
      twilio_mac (auth_token, variant, pairs, mac);
      /* Both compared always, so the time does not say which matched. */
      match = (sodium_memcmp (mac, given, TWILIO_MAC_BYTES) == 0) | match;
    }
  sodium_memzero (mac, sizeof mac);
  if (!match)
    {
      g_set_error (error, TWILIO_ERROR, TWILIO_ERROR_MISMATCH,
                   "X-Twilio-Signature does not match");
      return FALSE;
    }
  return TRUE;
}

char *
twilio_twiml (const char *const *messages)
{
  g_autoptr(GString) xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>");

  for (guint i = 0; messages != NULL && messages[i] != NULL; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (messages[i], -1);

      g_string_append_printf (xml, "<Message>%s</Message>", escaped);
    }
  g_string_append (xml, "</Response>\n");
  return g_string_free (g_steal_pointer (&xml), FALSE);
}
