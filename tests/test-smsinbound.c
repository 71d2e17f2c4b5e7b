/* test-smsinbound: the generic JSON SMS door's body (smsinbound.h),
 * without a server: what is accepted, what is refused and with which
 * message (the bad-input table checks the same messages over HTTP). */
#include "config.h"

#include <string.h>

#include "smsinbound.h"

static void
test_parse_full (void)
{
  const char body[] =
    "{\"from\":\"+447700900123\",\"to\":\"+447700900000\","
    "\"text\":\"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 help\",\"id\":\"SM1\","
    "\"extra\":{\"nested\":[1,2]}}";
  g_auto(SmsInbound) in = { NULL, NULL, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (sms_inbound_parse (body, strlen (body), &in, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (in.from, ==, "+447700900123");
  g_assert_cmpstr (in.text, ==, "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 help");
  g_assert_cmpstr (in.msg_id, ==, "SM1");
}

/* No "id": no de-duplication; an "id" that is not a string is none. */
static void
test_parse_optional_id (void)
{
  const char *bodies[] = {
    "{\"from\":\"+1\",\"text\":\"hi\"}",
    "{\"from\":\"+1\",\"text\":\"hi\",\"id\":42}",
    "{\"from\":\"+1\",\"text\":\"hi\",\"id\":null}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_auto(SmsInbound) in = { NULL, NULL, NULL };
      g_autoptr(GError) error = NULL;

      g_assert_true (sms_inbound_parse (bodies[i], strlen (bodies[i]), &in, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (in.text, ==, "hi");
      g_assert_null (in.msg_id);
    }
}

static void
test_parse_refused (void)
{
  struct { const char *body; gsize length; int code; const char *message; } cases[] = {
    { "{\"from\":\"+1\",\"text\":\"\xff\"}", 0, SMS_INBOUND_ERROR_ENCODING, "body is not UTF-8" },
    /* A raw NUL: json-glib would stop there and accept what came before. */
    { "{\"from\":\"+1\",\"text\":\"a\0b\"}", 26, SMS_INBOUND_ERROR_ENCODING, "body is not UTF-8" },
    { "{\"from\":\"+1\",\"text\":\"a\"}\0\xff", 26, SMS_INBOUND_ERROR_ENCODING, "body is not UTF-8" },
    /* Found by fuzz-inbound: json-glib decodes a lone surrogate escape
     * into bytes that are not UTF-8. */
    { "{\"from\":\"+1\",\"text\":\"\\ud800 x\"}", 0, SMS_INBOUND_ERROR_ENCODING, NULL },
    { "{\"from\":\"\\udfff x\",\"text\":\"x\"}", 0, SMS_INBOUND_ERROR_ENCODING, NULL },
    { "{\"from\":\"+1\",\"text\":\"x\",\"id\":\"\\ud83d x\"}", 0, SMS_INBOUND_ERROR_ENCODING, NULL },
    /* Found by fuzz-inbound: json-glib's syntax error quoted those bytes. */
    { "{\"from\":\"+1\",\"text\":\"\\ud800 x {\"d\":\"+1\",\\ude00\"}", 0, SMS_INBOUND_ERROR_SYNTAX, NULL },
    { "", 0, SMS_INBOUND_ERROR_SYNTAX, NULL },
    { "{\"from\":", 0, SMS_INBOUND_ERROR_SYNTAX, NULL },
    { "[\"+1\",\"hi\"]", 0, SMS_INBOUND_ERROR_SYNTAX, "body must be a JSON object" },
    { "\"text\"", 0, SMS_INBOUND_ERROR_SYNTAX, "body must be a JSON object" },
    { "{\"from\":\"+1\"}", 0, SMS_INBOUND_ERROR_MISSING, "\"from\" and \"text\" are required strings" },
    { "{\"text\":\"hi\"}", 0, SMS_INBOUND_ERROR_MISSING, NULL },
    { "{\"from\":1,\"text\":\"hi\"}", 0, SMS_INBOUND_ERROR_MISSING, NULL },
    { "{\"from\":\"+1\",\"text\":[\"hi\"]}", 0, SMS_INBOUND_ERROR_MISSING, NULL },
    { "{\"from\":\"+1\",\"text\":1e999999}", 0, SMS_INBOUND_ERROR_MISSING, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SmsInbound in = { NULL, NULL, NULL };
      g_autoptr(GError) error = NULL;
      gsize length = cases[i].length ? cases[i].length : strlen (cases[i].body);

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_false (sms_inbound_parse (cases[i].body, length, &in, &error));
      g_assert_error (error, SMS_INBOUND_ERROR, cases[i].code);
      if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
      /* It goes back in a text/plain; charset=utf-8 reply. */
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      /* Refused: nothing left to free. */
      g_assert_null (in.from);
      g_assert_null (in.text);
      g_assert_null (in.msg_id);
    }
}

/* An escaped NUL ends the string as json-glib reads it: the rest is
 * never seen (and never stored). */
static void
test_parse_escaped_nul (void)
{
  const char body[] = "{\"from\":\"+1\",\"text\":\"a\\u0000secret\"}";
  g_auto(SmsInbound) in = { NULL, NULL, NULL };

  g_assert_true (sms_inbound_parse (body, strlen (body), &in, NULL));
  g_assert_cmpstr (in.text, ==, "a");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/smsinbound/parse/full", test_parse_full);
  g_test_add_func ("/smsinbound/parse/optional-id", test_parse_optional_id);
  g_test_add_func ("/smsinbound/parse/refused", test_parse_refused);
  g_test_add_func ("/smsinbound/parse/escaped-nul", test_parse_escaped_nul);
  return g_test_run ();
}
