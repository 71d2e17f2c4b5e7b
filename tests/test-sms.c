/* SMS text facts: encoding, exact segment counts, normalisation, splitting. */
#include "config.h"

#include <string.h>

#include "sms.h"

static char *
repeat (const char *unit, guint n)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
test_gsm_alphabet (void)
{
  const char *basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./"
                      "0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
                      "¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const char *ext = "^{}\\[~]|€\f";

  /* 127 characters of the default alphabet (0x1B is the escape). */
  g_assert_cmpint (g_utf8_strlen (basic, -1), ==, 127);
  g_assert_cmpint (sms_encoding (basic), ==, SMS_ENCODING_GSM7);
  g_assert_cmpuint (sms_units (basic), ==, 127);
  g_assert_cmpint (sms_encoding (ext), ==, SMS_ENCODING_GSM7);
  g_assert_cmpuint (sms_units (ext), ==, 20);
  for (const char *p = ext; *p; p = g_utf8_next_char (p))
    g_assert_cmpuint (sms_gsm7_cost (g_utf8_get_char (p)), ==, 2);

  /* Lookalikes that are not GSM-7. */
  g_assert_cmpuint (sms_gsm7_cost (0x00E7), ==, 0);   /* ç */
  g_assert_cmpuint (sms_gsm7_cost (0x00EB), ==, 0);   /* ë */
  g_assert_cmpuint (sms_gsm7_cost (0x2019), ==, 0);   /* ’ */
  g_assert_cmpuint (sms_gsm7_cost ('`'), ==, 0);
  g_assert_cmpuint (sms_gsm7_cost ('\t'), ==, 0);
  g_assert_cmpuint (sms_gsm7_cost (0x00E1), ==, 0);   /* á */
  g_assert_cmpuint (sms_gsm7_cost (0x00C7), ==, 1);   /* Ç */
}

static void
test_gsm_segments (void)
{
  g_autofree char *s153 = repeat ("a", 153);
  g_autofree char *s160 = repeat ("a", 160);
  g_autofree char *s161 = repeat ("a", 161);
  g_autofree char *s306 = repeat ("a", 306);
  g_autofree char *s307 = repeat ("a", 307);
  g_autofree char *s459 = repeat ("a", 459);
  g_autofree char *s460 = repeat ("a", 460);
  g_autofree char *e80 = repeat ("€", 80);
  g_autofree char *e81 = repeat ("€", 81);
  g_autofree char *s159 = repeat ("a", 159);
  g_autofree char *s159e = g_strconcat (s159, "[", NULL);
  g_autofree char *s152 = repeat ("a", 152);
  g_autofree char *straddle = NULL;

  g_assert_cmpuint (sms_segments (""), ==, 1);
  g_assert_cmpuint (sms_segments (s160), ==, 1);
  g_assert_cmpuint (sms_segments (s161), ==, 2);
  g_assert_cmpuint (sms_segments (s306), ==, 2);
  g_assert_cmpuint (sms_segments (s307), ==, 3);
  g_assert_cmpuint (sms_segments (s459), ==, 3);
  g_assert_cmpuint (sms_segments (s460), ==, 4);
  g_assert_cmpuint (sms_segments (s153), ==, 1);
  /* Extension characters cost two. */
  g_assert_cmpuint (sms_units (e80), ==, 160);
  g_assert_cmpuint (sms_segments (e80), ==, 1);
  g_assert_cmpuint (sms_segments (e81), ==, 2);
  g_assert_cmpuint (sms_units (s159e), ==, 161);
  g_assert_cmpuint (sms_segments (s159e), ==, 2);
  /* An escape pair never straddles parts: 152 + "[" fills part one exactly
   * (153); with 153 + "[" the pair moves to part two. */
  straddle = g_strconcat (s152, "[", s153, NULL);   /* 152+2+153 = 307 */
  g_assert_cmpuint (sms_units (straddle), ==, 307);
  g_assert_cmpuint (sms_segments (straddle), ==, 3);
  {
    g_autofree char *a = g_strconcat (s152, "a[", s152, NULL); /* 153|2+152 */
    g_assert_cmpuint (sms_units (a), ==, 307);
    g_assert_cmpuint (sms_segments (a), ==, 3);
    g_autofree char *b = g_strconcat (s152, "[", s152, NULL);  /* 154|152 */
    g_assert_cmpuint (sms_units (b), ==, 306);
    g_assert_cmpuint (sms_segments (b), ==, 3);
    g_autofree char *c = g_strconcat (s152, "a", s152, "a", NULL);
    g_assert_cmpuint (sms_segments (c), ==, 2);
  }
}

static void
test_ucs2_segments (void)
{
  g_autofree char *u70 = repeat ("ب", 70);
  g_autofree char *u71 = repeat ("ب", 71);
  g_autofree char *u134 = repeat ("ب", 134);
  g_autofree char *u135 = repeat ("ب", 135);
  g_autofree char *emoji35 = repeat ("😀", 35);
  g_autofree char *emoji36 = repeat ("😀", 36);
  g_autofree char *u66 = repeat ("ب", 66);
  g_autofree char *pair = NULL;

  g_assert_cmpint (sms_encoding (u70), ==, SMS_ENCODING_UCS2);
  g_assert_cmpuint (sms_segments (u70), ==, 1);
  g_assert_cmpuint (sms_segments (u71), ==, 2);
  g_assert_cmpuint (sms_segments (u134), ==, 2);
  g_assert_cmpuint (sms_segments (u135), ==, 3);
  /* Outside the BMP: two UTF-16 units each. */
  g_assert_cmpuint (sms_units ("😀"), ==, 2);
  g_assert_cmpuint (sms_segments (emoji35), ==, 1);
  g_assert_cmpuint (sms_segments (emoji36), ==, 2);
  /* A surrogate pair is not split: 66 + 😀 would be 68 > 67, so the emoji
   * moves to part two: 66 | 2 + 66 = 68 > 67 -> three parts. */
  pair = g_strconcat (u66, "😀", u66, NULL);
  g_assert_cmpuint (sms_units (pair), ==, 134);
  g_assert_cmpuint (sms_segments (pair), ==, 3);
  /* One non-GSM character makes the whole message UCS-2. */
  {
    g_autofree char *a159 = repeat ("a", 159);
    g_autofree char *mixed = g_strconcat (a159, "😀", NULL);
    g_assert_cmpint (sms_encoding (mixed), ==, SMS_ENCODING_UCS2);
    g_assert_cmpuint (sms_units (mixed), ==, 161);
    g_assert_cmpuint (sms_segments (mixed), ==, 3);
  }
}

static void
test_languages (void)
{
  /* Albanian: ë (and lower-case ç) force UCS-2. */
  const char *sq = "Përshëndetje. Si mund t'ju ndihmojmë?";
  const char *sq_plain = "Pershendetje. Si mund t'ju ndihmojme?";
  /* Somali fits GSM-7, apostrophes included once normalised. */
  const char *so = "Waxaad dooran kartaa ururka aad rabto. Warbixintaada waxaa "
                   "loo diraa oo kaliya ururkaas. Ma aha Xafiiska Arrimaha "
                   "Gudaha. Jawaab 1 si aad u sii wadato.";
  g_autofree char *so_curly = NULL;
  g_autofree char *so_fixed = NULL;

  g_assert_cmpint (sms_encoding (sq), ==, SMS_ENCODING_UCS2);
  g_assert_cmpint (sms_encoding (sq_plain), ==, SMS_ENCODING_GSM7);
  g_assert_cmpint (sms_encoding ("ç"), ==, SMS_ENCODING_UCS2);
  g_assert_cmpint (sms_encoding ("Ç"), ==, SMS_ENCODING_GSM7);
  g_assert_cmpint (sms_encoding (so), ==, SMS_ENCODING_GSM7);
  g_assert_cmpuint (sms_segments (so), ==, 1);
  g_assert_cmpint (sms_encoding ("ਮਦਦ"), ==, SMS_ENCODING_UCS2);
  g_assert_cmpint (sms_encoding ("مدد"), ==, SMS_ENCODING_UCS2);

  /* The L10N.md case: one curly apostrophe costs two more segments. */
  so_curly = g_strconcat ("Ururka ayaa ku la xiriiri doona marka aad rabto. ",
                          "Jawaab MENU si aad u aragto liiska, ama STOP. ",
                          "Waa bilaash, waana qarsoodi. Ha u sheegin qof kale. "
                          "Ku’ soo dir", NULL);
  g_assert_cmpuint (g_utf8_strlen (so_curly, -1), <=, 160);
  g_assert_cmpint (sms_encoding (so_curly), ==, SMS_ENCODING_UCS2);
  g_assert_cmpuint (sms_segments (so_curly), ==, 3);
  so_fixed = sms_normalize (so_curly);
  g_assert_cmpint (sms_encoding (so_fixed), ==, SMS_ENCODING_GSM7);
  g_assert_cmpuint (sms_segments (so_fixed), ==, 1);
}

static void
test_normalize (void)
{
  struct { const char *in, *out; } cases[] = {
    { "don’t", "don't" },
    { "‘a’ “b” „c“ «d»", "'a' \"b\" \"c\" \"d\"" },
    { "10–12 — now", "10-12 - now" },
    { "wait…", "wait..." },
    { "a\u00a0b\u202fc\u2009d\te", "a b c d e" },
    { "zero\u200bwidth\u00ad", "zerowidth" },
    { "line\r\nnext", "line\nnext" },
    { "Përshëndetje ç", "Përshëndetje ç" },          /* letters kept */
    { "e\u0301", "é" },                                /* NFC: GSM again */
    { "اردو\u200cمیں", "اردو\u200cمیں" },              /* ZWNJ kept */
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = sms_normalize (cases[i].in);
      g_assert_cmpstr (got, ==, cases[i].out);
    }
  {
    g_autofree char *e = sms_normalize ("e\u0301");
    g_assert_cmpint (sms_encoding (e), ==, SMS_ENCODING_GSM7);
  }
}

static void
assert_parts_fit (char **parts, guint max_segments)
{
  for (guint i = 0; parts[i]; i++)
    {
      g_assert_cmpuint (sms_segments (parts[i]), <=, max_segments);
      g_assert_true (g_utf8_validate (parts[i], -1, NULL));
      g_assert_false (g_str_has_prefix (parts[i], " "));
      g_assert_false (g_str_has_suffix (parts[i], " "));
    }
}

static void
test_split_boundaries (void)
{
  /* Short: one part, unchanged. */
  {
    g_auto(GStrv) p = sms_split ("  Hello there. ", 1, 3, NULL);
    g_assert_cmpuint (g_strv_length (p), ==, 1);
    g_assert_cmpstr (p[0], ==, "Hello there.");
  }
  /* Paragraph beats sentence beats word. */
  {
    g_autofree char *a = repeat ("word ", 20);      /* 100 chars */
    g_autofree char *text = g_strconcat (a, "end.\n\nSecond paragraph here. ",
                                         a, NULL);
    g_auto(GStrv) p = sms_split (text, 1, 5, NULL);
    assert_parts_fit (p, 1);
    g_assert_true (g_str_has_suffix (p[0], "end."));
    g_assert_true (g_str_has_prefix (p[1], "Second paragraph"));
  }
  {
    g_autofree char *a = repeat ("word ", 20);
    g_autofree char *text = g_strconcat (a, "stop. ", a, a, NULL);
    g_auto(GStrv) p = sms_split (text, 1, 5, NULL);
    assert_parts_fit (p, 1);
    g_assert_true (g_str_has_suffix (p[0], "stop."));
  }
  /* Words: no part ends or starts inside a word. */
  {
    g_autofree char *text = repeat ("abcdefg ", 60);
    g_auto(GStrv) p = sms_split (text, 1, 10, NULL);
    assert_parts_fit (p, 1);
    g_assert_cmpuint (g_strv_length (p), ==, 3);
    for (guint i = 0; p[i]; i++)
      {
        g_assert_true (g_str_has_prefix (p[i], "abcdefg"));
        g_assert_true (g_str_has_suffix (p[i], "abcdefg"));
      }
  }
  /* Multi-segment parts. */
  {
    g_autofree char *text = repeat ("abcdefg ", 60);   /* 480 */
    g_auto(GStrv) p = sms_split (text, 2, 10, NULL);
    assert_parts_fit (p, 2);
    g_assert_cmpuint (g_strv_length (p), ==, 2);
  }
  /* A word longer than a message is cut, at a character. */
  {
    g_autofree char *text = repeat ("x", 200);
    g_auto(GStrv) p = sms_split (text, 1, 3, NULL);
    g_assert_cmpuint (g_strv_length (p), ==, 2);
    g_assert_cmpuint (strlen (p[0]), ==, 160);
    g_assert_cmpuint (strlen (p[1]), ==, 40);
  }
  /* Urdu: breaks at the Urdu full stop, never splits a character. */
  {
    g_autofree char *a = repeat ("یہ ایک جملہ ہے ", 3);   /* 45 chars */
    g_autofree char *text = g_strconcat (a, "ختم۔ ", a, NULL);
    g_auto(GStrv) p = sms_split (text, 1, 4, NULL);
    assert_parts_fit (p, 1);
    g_assert_true (g_str_has_suffix (p[0], "ختم۔"));
  }
  /* Emoji (a surrogate pair in UTF-16) are never split. */
  {
    g_autofree char *text = repeat ("😀", 100);
    g_auto(GStrv) p = sms_split (text, 1, 5, NULL);
    g_autofree char *joined = g_strjoinv ("", p);
    assert_parts_fit (p, 1);
    g_assert_cmpuint (g_strv_length (p), ==, 3);
    g_assert_cmpuint (sms_units (p[0]), ==, 70);
    g_assert_cmpstr (joined, ==, text);
  }
  /* A combining mark stays with its letter. */
  {
    g_autofree char *text = repeat ("ਕਿ", 60);   /* letter + vowel sign */
    g_auto(GStrv) p = sms_split (text, 1, 5, NULL);
    for (guint i = 1; p[i]; i++)
      g_assert_false (g_unichar_ismark (g_utf8_get_char (p[i])));
  }
}

static void
test_split_isolates (void)
{
  /* A bidi-isolated code is never split between parts, even where a space
   * inside it would be the natural break. */
  g_autofree char *pre = repeat ("ب", 60);
  g_autofree char *text = g_strconcat (pre, " ", SMS_LRI, "+44 7700 900123",
                                       SMS_PDI, " ", pre, NULL);
  g_auto(GStrv) p = sms_split (text, 1, 5, NULL);

  assert_parts_fit (p, 1);
  for (guint i = 0; p[i]; i++)
    {
      const char *lri = strstr (p[i], SMS_LRI);
      const char *pdi = strstr (p[i], SMS_PDI);
      g_assert_true ((lri == NULL) == (pdi == NULL));
    }
}

static void
test_split_truncates (void)
{
  g_autofree char *text = repeat ("abcdefg ", 100);
  gboolean truncated = FALSE;
  g_auto(GStrv) p = sms_split (text, 1, 2, &truncated);

  g_assert_true (truncated);
  g_assert_cmpuint (g_strv_length (p), ==, 2);
  assert_parts_fit (p, 1);
  g_assert_true (g_str_has_suffix (p[1], "abcdefg..."));
  {
    g_auto(GStrv) q = sms_split ("short", 1, 1, &truncated);
    g_assert_false (truncated);
    g_assert_cmpstr (q[0], ==, "short");
  }
  {
    g_auto(GStrv) q = sms_split ("   ", 1, 1, &truncated);
    g_assert_cmpuint (g_strv_length (q), ==, 1);
    g_assert_cmpstr (q[0], ==, "");
  }
}

static void
test_isolate (void)
{
  g_autofree char *rtl = sms_isolate ("K7QM-4XPA", TRUE);
  g_autofree char *ltr = sms_isolate ("K7QM-4XPA", FALSE);

  g_assert_cmpstr (rtl, ==, "\u2066K7QM-4XPA\u2069");
  g_assert_cmpstr (ltr, ==, "K7QM-4XPA");
  g_assert_cmpint (sms_encoding (ltr), ==, SMS_ENCODING_GSM7);
  g_assert_cmpint (sms_encoding (rtl), ==, SMS_ENCODING_UCS2);
}

/* Random texts from a mix of scripts: every part fits, no text is lost
 * (but the whitespace at breaks), and normalising twice changes nothing. */
static void
test_split_random (void)
{
  static const char *const pieces[] = {
    "word", "a", "sentence.", "ਪੰਜਾਬੀ", "اردو", "ë", "€", "😀", "[x]",
    " ", " ", " ", "\n", "\n\n", "’", "…", SMS_LRI "+44 7700 900123" SMS_PDI,
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
  };

  for (int round = 0; round < 300; round++)
    {
      GString *text = g_string_new (NULL);
      guint n = (guint) g_test_rand_int_range (1, 200);
      guint max_segments = (guint) g_test_rand_int_range (1, 4);
      g_autofree char *norm = NULL;
      g_autofree char *again = NULL;
      g_autofree char *want = NULL;
      g_autofree char *got = NULL;
      g_auto(GStrv) parts = NULL;
      gboolean truncated = TRUE;

      for (guint i = 0; i < n; i++)
        g_string_append (text, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
      norm = sms_normalize (text->str);
      again = sms_normalize (norm);
      g_assert_cmpstr (norm, ==, again);
      parts = sms_split (norm, max_segments, 1000, &truncated);
      g_assert_false (truncated);
      for (guint i = 0; parts[i]; i++)
        {
          g_assert_cmpuint (sms_segments (parts[i]), <=, max_segments);
          g_assert_true (g_utf8_validate (parts[i], -1, NULL));
        }
      /* Nothing lost: the texts agree once whitespace is taken out. */
      {
        g_autoptr(GRegex) space = g_regex_new ("\\s+", 0, 0, NULL);
        g_autofree char *joined = g_strjoinv ("", parts);
        want = g_regex_replace_literal (space, norm, -1, 0, "", 0, NULL);
        got = g_regex_replace_literal (space, joined, -1, 0, "", 0, NULL);
      }
      g_assert_cmpstr (got, ==, want);
      g_string_free (text, TRUE);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/sms/gsm-alphabet", test_gsm_alphabet);
  g_test_add_func ("/sms/gsm-segments", test_gsm_segments);
  g_test_add_func ("/sms/ucs2-segments", test_ucs2_segments);
  g_test_add_func ("/sms/languages", test_languages);
  g_test_add_func ("/sms/normalize", test_normalize);
  g_test_add_func ("/sms/split-boundaries", test_split_boundaries);
  g_test_add_func ("/sms/split-isolates", test_split_isolates);
  g_test_add_func ("/sms/split-truncates", test_split_truncates);
  g_test_add_func ("/sms/isolate", test_isolate);
  g_test_add_func ("/sms/split-random", test_split_random);
  return g_test_run ();
}
