/* Fuzz target: the body of POST /sms/inbound, the generic JSON SMS door
 * (smsinbound.h).  Input: the body, as sent.  Invariants: a parse fills
 * "from" and "text" (and maybe "id") with valid UTF-8 and succeeds only on
 * a body that is UTF-8 throughout; a refusal leaves nothing behind and
 * says why in SMS_INBOUND_ERROR; parsing is deterministic. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include "smsinbound.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *body = (const char *) data;
  g_auto(SmsInbound) in = { NULL, NULL, NULL };
  g_auto(SmsInbound) again = { NULL, NULL, NULL };
  g_autoptr(GError) error = NULL;
  gboolean ok = sms_inbound_parse (body, size, &in, &error);

  g_assert_true (ok == (error == NULL));
  g_assert_true (ok == sms_inbound_parse (body, size, &again, NULL));
  if (!ok)
    {
      g_assert_true (error->domain == SMS_INBOUND_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_null (in.from);
      g_assert_null (in.text);
      g_assert_null (in.msg_id);
      return 0;
    }
  g_assert_true (g_utf8_validate_len (body, size, NULL));
  g_assert_nonnull (in.from);
  g_assert_nonnull (in.text);
  g_assert_true (g_utf8_validate (in.from, -1, NULL));
  g_assert_true (g_utf8_validate (in.text, -1, NULL));
  g_assert_true (in.msg_id == NULL || g_utf8_validate (in.msg_id, -1, NULL));
  g_assert_cmpstr (in.from, ==, again.from);
  g_assert_cmpstr (in.text, ==, again.text);
  g_assert_cmpstr (in.msg_id, ==, again.msg_id);
  return 0;
}
