/* Fuzz target: the SMS conversation engine's input.
 *
 * Input byte 0 chooses the mode.  Bit 7 set: the rest is a stored session
 * (convo_session_from_bytes); if it loads, one step is taken on it with
 * byte 0's low bits as text.  Otherwise byte 0 mod 7 picks a language
 * (1..6 = the digit that chooses en pa ur ar so sq, 0 = none) and the
 * rest is a sequence of texts, one per line, fed to convo_step on one
 * session at a fixed clock (a text starting with a NUL-free tab advances
 * the clock by an hour, so expiry is reached too).
 *
 * Invariants: every reply fits its budget; SUBMIT carries a report;
 * after STOP nothing is sent until START; the session survives a round
 * trip through its bytes. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include "convo.h"
#include "lang.h"
#include "sms.h"
#include "../kiosk-test-data.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_CONVO_NOW  G_GINT64_CONSTANT (1800000000)
#define FUZZ_CONVO_FROM "+447700900123"

static ConvoEngine *fuzz_convo_engine;

static void
fuzz_convo_init (void)
{
  static Conf *conf;
  static PartnerDirectory *partners;
  ConvoConfig config = { 0 };

  if (fuzz_convo_engine)
    return;
  lang_allow_missing (TRUE);
  if (!lang_init (NULL, NULL))
    g_error ("fuzz-convo: no catalogs");
  conf = kiosk_test_load_conf ();
  partners = partner_directory_load (conf, NULL);
  g_assert_nonnull (partners);
  config.partners = partners;
  config.public_url = "https://sms.example.org/";
  config.site = "fuzz";
  fuzz_convo_engine = convo_engine_new (&config);
}

static void
fuzz_convo_check (const ConvoResult *r, gboolean was_stopped)
{
  g_assert_nonnull (r);
  for (guint i = 0; i < r->replies->len; i++)
    {
      const ConvoReply *reply = g_ptr_array_index (r->replies, i);

      g_assert_true (g_utf8_validate (reply->text, -1, NULL));
      g_assert_cmpuint (sms_segments (reply->text), <=, reply->budget);
    }
  g_assert_true (!(r->effects & CONVO_EFFECT_SUBMIT) || r->report != NULL);
  if (was_stopped && !(r->effects & CONVO_EFFECT_START))
    g_assert_cmpuint (r->replies->len, ==, 0);
}

static ConvoSession *
fuzz_convo_round_trip (ConvoSession *session)
{
  g_autoptr(GBytes) bytes = convo_session_to_bytes (session);
  g_autoptr(GError) error = NULL;
  ConvoSession *back = convo_session_from_bytes (bytes, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (convo_session_state (back), ==, convo_session_state (session));
  g_assert_cmpstr (convo_session_language (back), ==, convo_session_language (session));
  convo_session_free (session);
  return back;
}

static ConvoSession *
fuzz_convo_step (ConvoSession *session, const char *text, gint64 now)
{
  gboolean was_stopped = convo_session_stopped (session);
  g_autoptr(ConvoResult) r = convo_step (fuzz_convo_engine, session,
                                         FUZZ_CONVO_FROM, text, now);

  fuzz_convo_check (r, was_stopped);
  if (r->effects & CONVO_EFFECT_SUBMIT)
    {
      /* Every other submit fails, as a full store would. */
      if (text[0] != '\0' && (text[strlen (text) - 1] & 1))
        {
          g_autoptr(ConvoResult) again =
            convo_submit_failed (fuzz_convo_engine, session, r, now);

          fuzz_convo_check (again, FALSE);
        }
    }
  return fuzz_convo_round_trip (session);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gint64 now = FUZZ_CONVO_NOW;
  ConvoSession *session;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (size < 1)
    return 0;
  fuzz_convo_init ();
  if (data[0] & 0x80)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (data + 1, size - 1);
      char one[2] = { (char) ('0' + (data[0] & 7)), '\0' };

      session = convo_session_from_bytes (bytes, NULL);
      if (session)
        session = fuzz_convo_step (session, one, now);
      g_clear_pointer (&session, convo_session_free);
      return 0;
    }

  session = convo_session_new ();
  if (data[0] % 7 != 0)
    {
      char digit[2] = { (char) ('0' + data[0] % 7), '\0' };

      session = fuzz_convo_step (session, "hi", now);
      session = fuzz_convo_step (session, digit, now);
    }
  text = g_strndup ((const char *) data + 1, size - 1);
  lines = g_strsplit (text, "\n", 64);
  for (guint i = 0; lines[i]; i++)
    {
      if (lines[i][0] == '\t')
        now += 3600;
      session = fuzz_convo_step (session, lines[i], ++now);
    }
  convo_session_free (session);
  return 0;
}
