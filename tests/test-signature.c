/* Webhook signatures and bearer tokens. */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "signature.h"

static void
test_roundtrip (void)
{
  const char *body = "{\"v\":1}";
  g_autofree char *header = signature_header_new ("s3cret", 1700000000, body, strlen (body));
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (header, "t=1700000000,v1="));
  g_assert_cmpuint (strlen (header), ==, strlen ("t=1700000000,v1=") + 64);
  g_assert_true (signature_verify ("s3cret", header, body, strlen (body),
                                   1700000100, 300, &error));
  g_assert_no_error (error);
}

/* A known answer, computed independently:
 *   printf '1700000000.hello' | openssl dgst -sha256 -hmac key */
static void
test_known_answer (void)
{
  g_autofree char *header = signature_header_new ("key", 1700000000, "hello", 5);

  g_assert_cmpstr (header, ==, "t=1700000000,v1="
                   "4d583a269f4f276a3fa80ff31b5a01879a848096983222a17893d198418939aa");
}

static void
test_rejections (void)
{
  const char *body = "payload";
  g_autofree char *header = signature_header_new ("k", 1000, body, strlen (body));
  GError *error = NULL;

  g_assert_false (signature_verify ("k", NULL, body, 7, 1000, 300, &error));
  g_assert_error (error, SIGNATURE_ERROR, SIGNATURE_ERROR_MISSING);
  g_clear_error (&error);

  g_assert_false (signature_verify ("k", "t=abc,v1=00", body, 7, 1000, 300, &error));
  g_assert_error (error, SIGNATURE_ERROR, SIGNATURE_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Stale: 5 minutes and 1 second later. */
  g_assert_false (signature_verify ("k", header, body, 7, 1301, 300, &error));
  g_assert_error (error, SIGNATURE_ERROR, SIGNATURE_ERROR_STALE);
  g_clear_error (&error);

  /* From the future beyond the tolerance. */
  g_assert_false (signature_verify ("k", header, body, 7, 600, 300, &error));
  g_assert_error (error, SIGNATURE_ERROR, SIGNATURE_ERROR_STALE);
  g_clear_error (&error);

  /* Tampered body, wrong secret. */
  g_assert_false (signature_verify ("k", header, "payloaD", 7, 1000, 300, &error));
  g_assert_error (error, SIGNATURE_ERROR, SIGNATURE_ERROR_MISMATCH);
  g_clear_error (&error);
  g_assert_false (signature_verify ("K", header, body, 7, 1000, 300, &error));
  g_assert_error (error, SIGNATURE_ERROR, SIGNATURE_ERROR_MISMATCH);
  g_clear_error (&error);

  /* Upper-case hex is the same signature. */
  {
    g_autofree char *upper = g_ascii_strup (header, -1);
    char *t = strstr (upper, "T=");
    t[0] = 't';
    t = strstr (upper, "V1=");
    t[0] = 'v';
    g_assert_true (signature_verify ("k", upper, body, 7, 1000, 300, NULL));
  }
}

static void
test_tokens (void)
{
  g_autofree char *a = signature_random_secret ();
  g_autofree char *b = signature_random_secret ();

  g_assert_cmpuint (strlen (a), ==, 64);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (signature_equal (a, a));
  g_assert_false (signature_equal (a, b));
  g_assert_false (signature_equal (a, NULL));
  g_assert_false (signature_equal ("", ""));
  g_assert_false (signature_equal ("abc", "abcd"));
  g_assert_cmpstr (signature_bearer_token ("Bearer  tok"), ==, "tok");
  g_assert_cmpstr (signature_bearer_token ("bearer tok"), ==, "tok");
  g_assert_null (signature_bearer_token ("Basic dXNlcg=="));
  g_assert_null (signature_bearer_token ("Bearer "));
  g_assert_null (signature_bearer_token (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/signature/roundtrip", test_roundtrip);
  g_test_add_func ("/signature/known-answer", test_known_answer);
  g_test_add_func ("/signature/rejections", test_rejections);
  g_test_add_func ("/signature/tokens", test_tokens);
  return g_test_run ();
}
