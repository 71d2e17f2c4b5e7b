/* signature: webhook signatures and bearer tokens.
 *
 * Owns the one format partners verify: t=UNIX,v1=HEX where HEX is
 * HMAC-SHA256 (secret, "UNIX.BODY").  Binding the time into the MAC makes a
 * captured request useless after the tolerance window; the window is
 * symmetric so a partner whose clock runs slow is not locked out.
 * Every comparison of secret material goes through sodium_memcmp. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "signature.h"

G_DEFINE_QUARK (saferoute-signature-error-quark, signature_error)

static char *
signature_hmac_hex (const char *secret, gint64 unix_time,
                    const char *body, gsize length)
{
  crypto_auth_hmacsha256_state state;
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char prefix[32];
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  int n;

  n = g_snprintf (prefix, sizeof prefix, "%" G_GINT64_FORMAT ".", unix_time);
  crypto_auth_hmacsha256_init (&state, (const guint8 *) secret, strlen (secret));
  crypto_auth_hmacsha256_update (&state, (const guint8 *) prefix, (gsize) n);
  if (length > 0)
    crypto_auth_hmacsha256_update (&state, (const guint8 *) body, length);
  crypto_auth_hmacsha256_final (&state, mac);
  sodium_bin2hex (hex, sizeof hex, mac, sizeof mac);
  sodium_memzero (&state, sizeof state);
  return g_strdup (hex);
}

char *
signature_header_new (const char *secret, gint64 unix_time,
                      const char *body, gsize length)
{
  g_autofree char *hex = NULL;

  g_return_val_if_fail (secret != NULL, NULL);
  hex = signature_hmac_hex (secret, unix_time, body, length);
  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", unix_time, hex);
}

/* Parses "t=123,v1=abc" (items in any order, unknown items ignored so that
 * a later v2 can be sent beside v1).  Only the first t and v1 count. */
static gboolean
signature_parse (const char *header, gint64 *t, char **v1)
{
  g_auto(GStrv) items = g_strsplit (header, ",", 8);
  gboolean have_t = FALSE;

  *v1 = NULL;
  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);

      if (!have_t && g_str_has_prefix (item, "t="))
        {
          guint64 value;

          if (!g_ascii_string_to_unsigned (item + 2, 10, 0, G_MAXINT64,
                                           &value, NULL))
            break;
          *t = (gint64) value;
          have_t = TRUE;
        }
      else if (*v1 == NULL && g_str_has_prefix (item, "v1="))
        *v1 = g_strdup (item + 3);
    }
  if (!have_t || *v1 == NULL
      || strlen (*v1) != crypto_auth_hmacsha256_BYTES * 2)
    {
      g_clear_pointer (v1, g_free);
      return FALSE;
    }
  return TRUE;
}

gboolean
signature_verify (const char *secret, const char *header,
                  const char *body, gsize length, gint64 now,
                  gint64 tolerance_seconds, GError **error)
{
  g_autofree char *given = NULL;
  g_autofree char *expected = NULL;
  gint64 t = 0;

  g_return_val_if_fail (secret != NULL, FALSE);

  if (header == NULL || *header == '\0')
    {
      g_set_error_literal (error, SIGNATURE_ERROR, SIGNATURE_ERROR_MISSING,
                           "missing Saferoute-Signature header");
      return FALSE;
    }
  if (!signature_parse (header, &t, &given))
    {
      g_set_error_literal (error, SIGNATURE_ERROR, SIGNATURE_ERROR_MALFORMED,
                           "malformed Saferoute-Signature header "
                           "(want t=UNIX,v1=64 hex digits)");
      return FALSE;
    }
  if (t < now - tolerance_seconds || t > now + tolerance_seconds)
    {
      g_set_error (error, SIGNATURE_ERROR, SIGNATURE_ERROR_STALE,
                   "signature timestamp is %" G_GINT64_FORMAT
                   " s away from now (tolerance %" G_GINT64_FORMAT " s)",
                   t > now ? t - now : now - t, tolerance_seconds);
      return FALSE;
    }
  expected = signature_hmac_hex (secret, t, body, length);
  /* Lower-case both: hex case must not matter, timing must not leak. */
  for (char *p = given; *p; p++)
    *p = g_ascii_tolower (*p);
  if (sodium_memcmp (given, expected, strlen (expected)) != 0)
    {
      g_set_error_literal (error, SIGNATURE_ERROR, SIGNATURE_ERROR_MISMATCH,
                           "signature does not match the body");
      return FALSE;
    }
  return TRUE;
}

gboolean
signature_equal (const char *a, const char *b)
{
  gsize la, lb;

  if (a == NULL || b == NULL)
    return FALSE;
  la = strlen (a);
  lb = strlen (b);
  /* The length of a token is not secret; its content is. */
  if (la != lb || la == 0)
    return FALSE;
  return sodium_memcmp (a, b, la) == 0;
}

const char *
signature_bearer_token (const char *authorization_header)
{
  const char *p;

  if (authorization_header == NULL
      || g_ascii_strncasecmp (authorization_header, "Bearer ", 7) != 0)
    return NULL;
  p = authorization_header + 7;
  while (*p == ' ')
    p++;
  return *p ? p : NULL;
}

char *
signature_random_secret (void)
{
  guint8 bytes[32];
  char hex[sizeof bytes * 2 + 1];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2hex (hex, sizeof hex, bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);
  return g_strdup (hex);
}
