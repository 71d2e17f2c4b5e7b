/* Fuzz target: SMS facts (sms.h) on arbitrary bytes made valid UTF-8.
 * The first byte chooses the split budget (1..8 segments, 1..4 parts) and
 * whether to isolate as RTL; the rest is the text.  Invariants checked:
 * segments are never 0; normalising is idempotent and keeps valid UTF-8;
 * every split part fits its budget; an untruncated split loses nothing
 * but whitespace, and a truncated one is a prefix that ends in "...". */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include "sms.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* TEXT without any whitespace, the only thing a split may drop. */
static char *
fuzz_sms_squeeze (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);

      if (!g_unichar_isspace (ch))
        g_string_append_unichar (out, ch);
    }
  return g_string_free (out, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint max_segments, max_parts;
  gboolean rtl, truncated = FALSE;
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;
  g_autofree char *norm = NULL;
  g_autofree char *again = NULL;
  g_autofree char *isolated = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *joined = NULL;
  g_auto(GStrv) parts = NULL;
  guint n;

  if (size < 1)
    return 0;
  max_segments = 1 + (data[0] & 7);
  max_parts = 1 + ((data[0] >> 3) & 3);
  rtl = (data[0] & 0x20) != 0;
  raw = g_strndup ((const char *) data + 1, size - 1);
  text = g_utf8_make_valid (raw, -1);

  g_assert_true (sms_segments (text) >= 1);
  g_assert_true (sms_segments ("") == 1);
  g_assert_true (*text == '\0' || sms_units (text) >= 1);

  norm = sms_normalize (text);
  g_assert_true (g_utf8_validate (norm, -1, NULL));
  again = sms_normalize (norm);
  g_assert_cmpstr (again, ==, norm);
  g_assert_true (sms_segments (norm) >= 1);

  isolated = sms_isolate (norm, rtl);
  g_assert_true (g_utf8_validate (isolated, -1, NULL));
  g_assert_true (strstr (isolated, norm) != NULL);

  parts = sms_split (norm, max_segments, max_parts, &truncated);
  g_assert_nonnull (parts);
  n = g_strv_length (parts);
  g_assert_cmpuint (n, >=, 1);
  g_assert_cmpuint (n, <=, max_parts);
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (g_utf8_validate (parts[i], -1, NULL));
      g_assert_cmpuint (sms_segments (parts[i]), <=, max_segments);
    }

  whole = fuzz_sms_squeeze (norm);
  if (truncated)
    {
      gsize len;

      g_assert_cmpuint (n, ==, max_parts);
      g_assert_true (g_str_has_suffix (parts[n - 1], "..."));
      /* Without the "...", the parts are a prefix of the text. */
      parts[n - 1][strlen (parts[n - 1]) - 3] = '\0';
      {
        g_autofree char *cat = g_strjoinv ("", parts);
        joined = fuzz_sms_squeeze (cat);
      }
      len = strlen (joined);
      g_assert_true (len <= strlen (whole));
      g_assert_true (memcmp (joined, whole, len) == 0);
    }
  else
    {
      g_autofree char *cat = g_strjoinv ("", parts);

      joined = fuzz_sms_squeeze (cat);
      g_assert_cmpstr (joined, ==, whole);
    }
  return 0;
}
