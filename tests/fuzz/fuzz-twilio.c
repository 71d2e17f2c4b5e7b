/* Fuzz target: Twilio webhook parsing and the signature check (twilio.h).
 * Input: URL, a newline, a claimed X-Twilio-Signature, a newline, then
 * the form body.  Invariants: a parsed form has an even number of
 * entries with no NUL inside; the true signature (over the URL or its
 * default-port variant) verifies, and any other signature, the fuzzed one
 * included, never does; TwiML built from the values escapes them. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include "twilio.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_TWILIO_TOKEN "12345678901234567890123456789012"

static gboolean
fuzz_twilio_verifies (const char *url, const char *const *pairs,
                      const char *signature)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = twilio_signature_verify (FUZZ_TWILIO_TOKEN, url, pairs,
                                         signature, &error);

  g_assert_true (ok == (error == NULL));
  return ok;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *p = (const char *) data, *end = p + size;
  const char *nl1, *nl2;
  g_autofree char *url = NULL;
  g_autofree char *claimed = NULL;
  g_autofree char *real = NULL;
  g_autofree char *variant = NULL;
  g_autofree char *real_variant = NULL;
  g_autofree char *forged = NULL;
  g_auto(GStrv) pairs = NULL;
  g_autoptr(GPtrArray) values = g_ptr_array_new ();
  g_autofree char *twiml = NULL;
  guint n;

  nl1 = memchr (p, '\n', size);
  if (nl1 == NULL)
    return 0;
  nl2 = memchr (nl1 + 1, '\n', (gsize) (end - nl1 - 1));
  if (nl2 == NULL)
    return 0;
  url = g_strndup (p, (gsize) (nl1 - p));
  claimed = g_strndup (nl1 + 1, (gsize) (nl2 - nl1 - 1));
  pairs = twilio_form_parse (nl2 + 1, (gsize) (end - nl2 - 1), NULL);
  if (pairs == NULL)
    return 0;
  n = g_strv_length (pairs);
  g_assert_true (n % 2 == 0);
  (void) twilio_form_get ((const char *const *) pairs, "Body");

  real = twilio_signature_compute (FUZZ_TWILIO_TOKEN, url,
                                   (const char *const *) pairs);
  g_assert_nonnull (real);
  g_assert_true (fuzz_twilio_verifies (url, (const char *const *) pairs, real));
  variant = twilio_url_port_variant (url);
  if (variant)
    real_variant = twilio_signature_compute (FUZZ_TWILIO_TOKEN, variant,
                                             (const char *const *) pairs);

  /* The fuzzed signature verifies only when it is the true one. */
  if (fuzz_twilio_verifies (url, (const char *const *) pairs, claimed))
    g_assert_true (g_strcmp0 (claimed, real) == 0
                   || g_strcmp0 (claimed, real_variant) == 0);

  /* A one-character change of the true signature never verifies. */
  forged = g_strdup (real);
  forged[(data[0] ^ size) % strlen (forged)] ^= 0x01;
  if (g_strcmp0 (forged, real_variant) != 0)
    g_assert_false (fuzz_twilio_verifies (url, (const char *const *) pairs, forged));
  /* Nor does the true signature under another token. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (twilio_signature_verify ("another-token-another-token-0000", url,
                                             (const char *const *) pairs, real,
                                             &error));
  }

  for (guint i = 1; i < n; i += 2)
    if (g_utf8_validate (pairs[i], -1, NULL))
      g_ptr_array_add (values, pairs[i]);
  g_ptr_array_add (values, NULL);
  twiml = twilio_twiml ((const char *const *) values->pdata);
  g_assert_nonnull (twiml);
  g_assert_null (strstr (twiml, "<script"));
  return 0;
}
