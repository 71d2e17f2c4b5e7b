/* Twilio webhook signatures (Twilio's published test vectors, from the
 * helper libraries' own tests: auth token 12345, the myapp.php URL), the
 * default-port variants, each kind of tampering, the form parser and
 * TwiML. */
#include "config.h"

#include <string.h>

#include "twilio.h"

#define TOKEN "12345"
#define URL   "https://mycompany.com/myapp.php?foo=1&bar=2"

/* The helper libraries' voice-call example, as a form body in an order
 * different from the sorted one. */
#define BODY "To=%2B18005551212&CallSid=CA1234567890ABCDE&From=%2B14158675309" \
             "&Digits=1234&Caller=%2B14158675309"

static char **
parse (const char *body)
{
  g_autoptr(GError) error = NULL;
  char **pairs = twilio_form_parse (body, strlen (body), &error);

  g_assert_no_error (error);
  g_assert_nonnull (pairs);
  return pairs;
}

static gboolean
verify (const char *url, const char *body, const char *signature,
        GError **error)
{
  g_auto(GStrv) pairs = parse (body);

  return twilio_signature_verify (TOKEN, url, (const char *const *) pairs,
                                  signature, error);
}

static void
test_vector (void)
{
  g_auto(GStrv) pairs = parse (BODY);
  g_autofree char *signature =
    twilio_signature_compute (TOKEN, URL, (const char *const *) pairs);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (signature, ==, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  g_assert_true (verify (URL, BODY, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", &error));
  g_assert_no_error (error);
}

/* Repeated keys: every value signed, values sorted (Digits 1234 before
 * 5678 though the body says 5678 first). */
static void
test_vector_repeated (void)
{
  const char *body = "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234";
  g_auto(GStrv) pairs = parse (body);
  g_autofree char *signature =
    twilio_signature_compute (TOKEN, URL, (const char *const *) pairs);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (signature, ==, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
  g_assert_true (verify (URL, body, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", &error));
  /* Only one of the two values: not the same request. */
  g_assert_false (verify (URL, "Sid=CA123&SidAccount=AC123&Digits=1234",
                          "IK+Dwps556ElfBT0I3Rgjkr1wJU=", NULL));
}

/* The published signatures of the same request at URLs with explicit
 * ports: a default port may be present or absent on either side. */
static void
test_default_ports (void)
{
  g_autoptr(GError) error = NULL;

  /* Signed over https://mycompany.com:443/..., configured without port. */
  g_assert_true (verify (URL, BODY, "kvajT1Ptam85bY51eRf/AJRuM3w=", &error));
  g_assert_no_error (error);
  /* Signed without the port, configured with :443. */
  g_assert_true (verify ("https://mycompany.com:443/myapp.php?foo=1&bar=2", BODY,
                         "RSOYDt4T1cUTdK1PDd93/VVr8B8=", &error));
  g_assert_no_error (error);
  /* http and :80 both ways. */
  g_assert_true (verify ("http://mycompany.com/myapp.php?foo=1&bar=2", BODY,
                         "0ZXoZLH/DfblKGATFgpif+LLRf4=", &error));
  g_assert_true (verify ("http://mycompany.com:80/myapp.php?foo=1&bar=2", BODY,
                         "0ZXoZLH/DfblKGATFgpif+LLRf4=", &error));
  g_assert_no_error (error);
  /* A non-default port as configured. */
  g_assert_true (verify ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", BODY,
                         "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", &error));
  g_assert_no_error (error);
}

/* A port other than the default is never dropped or swapped: the
 * configured URL must be the one Twilio was given. */
static void
test_other_ports_refused (void)
{
  GError *error = NULL;

  g_assert_false (verify ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", BODY,
                          "RSOYDt4T1cUTdK1PDd93/VVr8B8=", &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISMATCH);
  g_clear_error (&error);
  /* Signed at :1234, configured without a port. */
  g_assert_false (verify ("http://mycompany.com/myapp.php?foo=1&bar=2", BODY,
                          "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISMATCH);
  g_clear_error (&error);
  /* :443 on http is not a default port. */
  g_assert_false (verify ("http://mycompany.com:443/myapp.php?foo=1&bar=2", BODY,
                          "0ZXoZLH/DfblKGATFgpif+LLRf4=", &error));
  g_clear_error (&error);
  /* Nor is :80 on https. */
  g_assert_false (verify ("https://mycompany.com:80/myapp.php?foo=1&bar=2", BODY,
                          "RSOYDt4T1cUTdK1PDd93/VVr8B8=", &error));
  g_clear_error (&error);
}

static void
test_url_variants (void)
{
  struct { const char *in, *out; } cases[] = {
    { "https://h/p", "https://h:443/p" },
    { "https://h:443/p?q=1", "https://h/p?q=1" },
    { "http://h", "http://h:80" },
    { "http://h:80?x", "http://h?x" },
    { "https://[::1]/x", "https://[::1]:443/x" },
    { "https://[::1]:443/x", "https://[::1]/x" },
    { "https://u:pw@h/x", "https://u:pw@h:443/x" },
    { "https://h:8443/p", NULL },
    { "http://h:443/p", NULL },
    { "ftp://h/p", NULL },
    { "/sms/twilio", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = twilio_url_port_variant (cases[i].in);

      g_assert_cmpstr (out, ==, cases[i].out);
    }
}

/* Behind a TLS-terminating proxy the local URL is http://127.0.0.1:PORT;
 * Twilio signed the public one.  The caller passes the configured public
 * URL: the local one must not verify. */
static void
test_proxy (void)
{
  const char *public_url = "https://sms.example.org/sms/twilio";
  const char *local_url = "http://127.0.0.1:8081/sms/twilio";
  const char *body = "MessageSid=SM1&From=%2B447700900123&Body=hello";
  g_auto(GStrv) pairs = parse (body);
  g_autofree char *signature =
    twilio_signature_compute (TOKEN, public_url, (const char *const *) pairs);

  g_assert_true (verify (public_url, body, signature, NULL));
  g_assert_false (verify (local_url, body, signature, NULL));
  g_assert_false (verify ("http://sms.example.org/sms/twilio", body, signature, NULL));
}

static void
test_tampering (void)
{
  GError *error = NULL;
  const char *good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

  /* A changed value. */
  g_assert_false (verify (URL, "To=%2B18005551212&CallSid=CA1234567890ABCDE"
                          "&From=%2B14158675309&Digits=1235&Caller=%2B14158675309",
                          good, &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISMATCH);
  g_clear_error (&error);
  /* An added parameter (unknown ones are signed too). */
  g_assert_false (verify (URL, BODY "&Extra=1", good, &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISMATCH);
  g_clear_error (&error);
  /* A removed parameter. */
  g_assert_false (verify (URL, "To=%2B18005551212&CallSid=CA1234567890ABCDE"
                          "&From=%2B14158675309&Digits=1234", good, &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISMATCH);
  g_clear_error (&error);
  /* A value moved to another name. */
  g_assert_false (verify (URL, "To=%2B14158675309&CallSid=CA1234567890ABCDE"
                          "&From=%2B18005551212&Digits=1234&Caller=%2B14158675309",
                          good, &error));
  g_clear_error (&error);
  /* A wrong URL: path, query, host, scheme. */
  g_assert_false (verify ("https://mycompany.com/other.php?foo=1&bar=2", BODY, good, &error));
  g_clear_error (&error);
  g_assert_false (verify ("https://mycompany.com/myapp.php?foo=1&bar=3", BODY, good, &error));
  g_clear_error (&error);
  g_assert_false (verify ("https://mycompany.org/myapp.php?foo=1&bar=2", BODY, good, &error));
  g_clear_error (&error);
  g_assert_false (verify ("http://mycompany.com/myapp.php?foo=1&bar=2", BODY, good, &error));
  g_clear_error (&error);
  /* Another auth token. */
  {
    g_auto(GStrv) pairs = parse (BODY);

    g_assert_false (twilio_signature_verify ("54321", URL, (const char *const *) pairs,
                                             good, &error));
    g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISMATCH);
    g_clear_error (&error);
  }
  /* One bit of the signature. */
  g_assert_false (verify (URL, BODY, "RSOYDt4T1cUTdK1PDd93/VVr8B4=", &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISMATCH);
  g_clear_error (&error);
  /* The same bytes spelt with other padding bits: the helper libraries
   * compare strings and refuse it, so do we. */
  g_assert_false (verify (URL, BODY, "RSOYDt4T1cUTdK1PDd93/VVr8B9=", &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MALFORMED);
  g_clear_error (&error);
  /* Missing and malformed headers. */
  g_assert_false (verify (URL, BODY, NULL, &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISSING);
  g_clear_error (&error);
  g_assert_false (verify (URL, BODY, "", &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MISSING);
  g_clear_error (&error);
  g_assert_false (verify (URL, BODY, "RSOYDt4T1cUTdK1PDd93/VVr8B8", &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (verify (URL, BODY, "RSOYDt4T1cUTdK1PDd93/VVr8B8=RSOYDt4T1cUTdK1PDd93/VVr8B8=", &error));
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MALFORMED);
  g_clear_error (&error);
}

static void
test_form (void)
{
  g_auto(GStrv) pairs = parse ("Body=Salaam+%D8%B3%D9%84%D8%A7%D9%85&a=&b&Body=2&&c=%2B");
  g_autoptr(GError) error = NULL;
  char **bad;

  g_assert_cmpuint (g_strv_length (pairs), ==, 10);
  g_assert_cmpstr (twilio_form_get ((const char *const *) pairs, "Body"), ==,
                   "Salaam \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85");
  g_assert_cmpstr (twilio_form_get ((const char *const *) pairs, "a"), ==, "");
  g_assert_cmpstr (twilio_form_get ((const char *const *) pairs, "b"), ==, "");
  g_assert_cmpstr (twilio_form_get ((const char *const *) pairs, "c"), ==, "+");
  g_assert_null (twilio_form_get ((const char *const *) pairs, "d"));

  bad = twilio_form_parse ("a=%00", 5, &error);
  g_assert_null (bad);
  g_assert_error (error, TWILIO_ERROR, TWILIO_ERROR_MALFORMED);
  g_clear_error (&error);
  bad = twilio_form_parse ("a=%4", 4, &error);
  g_assert_null (bad);
  g_clear_error (&error);
  bad = twilio_form_parse ("a=%zz", 5, &error);
  g_assert_null (bad);
  g_clear_error (&error);
  /* Bytes that are not UTF-8 are kept (signature first, UTF-8 check after). */
  {
    g_auto(GStrv) latin = parse ("Body=%E9t%E9");

    g_assert_false (g_utf8_validate (latin[1], -1, NULL));
  }
  /* An empty body has no parameters. */
  {
    g_auto(GStrv) none = parse ("");

    g_assert_cmpuint (g_strv_length (none), ==, 0);
  }
}

static void
test_twiml (void)
{
  const char *messages[] = { "a <b> & \"c\" 'd'", "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85", NULL };
  g_autofree char *xml = twilio_twiml (messages);
  g_autofree char *empty = twilio_twiml (NULL);

  g_assert_cmpstr (xml, ==,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>"
                   "<Message>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</Message>"
                   "<Message>\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85</Message></Response>\n");
  g_assert_cmpstr (empty, ==,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response></Response>\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/twilio/vector", test_vector);
  g_test_add_func ("/twilio/vector-repeated", test_vector_repeated);
  g_test_add_func ("/twilio/default-ports", test_default_ports);
  g_test_add_func ("/twilio/other-ports-refused", test_other_ports_refused);
  g_test_add_func ("/twilio/url-variants", test_url_variants);
  g_test_add_func ("/twilio/proxy", test_proxy);
  g_test_add_func ("/twilio/tampering", test_tampering);
  g_test_add_func ("/twilio/form", test_form);
  g_test_add_func ("/twilio/twiml", test_twiml);
  return g_test_run ();
}
