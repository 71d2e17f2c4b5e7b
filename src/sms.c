/* sms: SMS encoding, segment counting, normalisation and splitting.
 *
 * Owns the GSM 03.38 default alphabet and extension table, and the rule
 * for counting segments exactly: costs are summed per part, greedily, and
 * a two-unit item (an escape pair in GSM-7, a surrogate pair in UCS-2)
 * never straddles two parts, as the sending side does.  Pure functions
 * with no state: nothing to survive a crash; invalid UTF-8 is a
 * programming error (callers validate what comes off the wire). */
#include "config.h"

#include <string.h>

#include "sms.h"

/* The GSM 03.38 default alphabet, in table order (0x00..0x7F), except 0x1B
 * (the escape to the extension table).  Note 0x09 is capital Ç: lower-case
 * ç is not in GSM-7, which is why Albanian so often needs UCS-2. */
static const gunichar gsm7_basic[] = {
  0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
  0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
  0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
  0x03A3, 0x0398, 0x039E, /* 0x1B escape */ 0x00C6, 0x00E6, 0x00DF, 0x00C9,
  0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
  0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
  0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
  0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
  0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
  0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
  0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
  0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
  0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
  0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
  0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
  0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* The extension table (each sent as 0x1B + code): form feed ^ { } \ [ ~ ] | €. */
static const gunichar gsm7_extension[] = {
  0x000C, 0x005E, 0x007B, 0x007D, 0x005C, 0x005B, 0x007E, 0x005D,
  0x007C, 0x20AC,
};

guint
sms_gsm7_cost (gunichar ch)
{
  for (gsize i = 0; i < G_N_ELEMENTS (gsm7_basic); i++)
    if (gsm7_basic[i] == ch)
      return 1;
  for (gsize i = 0; i < G_N_ELEMENTS (gsm7_extension); i++)
    if (gsm7_extension[i] == ch)
      return 2;
  return 0;
}

static guint
utf16_cost (gunichar ch)
{
  return ch > 0xFFFF ? 2 : 1;
}

static gboolean
ucs4_is_gsm7 (const gunichar *s, gsize start, gsize end)
{
  for (gsize i = start; i < end; i++)
    if (sms_gsm7_cost (s[i]) == 0)
      return FALSE;
  return TRUE;
}

/* Segments for S[START..END), all in one encoding. */
static guint
ucs4_segments (const gunichar *s, gsize start, gsize end)
{
  gboolean gsm = ucs4_is_gsm7 (s, start, end);
  guint single = gsm ? SMS_GSM7_SINGLE : SMS_UCS2_SINGLE;
  guint part = gsm ? SMS_GSM7_PART : SMS_UCS2_PART;
  guint total = 0, parts = 1, used = 0;

  for (gsize i = start; i < end; i++)
    total += gsm ? sms_gsm7_cost (s[i]) : utf16_cost (s[i]);
  if (total <= single)
    return 1;
  /* Greedy packing is exact here: the order is fixed and only an item
   * that does not fit opens the next part. */
  for (gsize i = start; i < end; i++)
    {
      guint c = gsm ? sms_gsm7_cost (s[i]) : utf16_cost (s[i]);
      if (used + c > part)
        {
          parts++;
          used = 0;
        }
      used += c;
    }
  return parts;
}

SmsEncoding
sms_encoding (const char *text)
{
  g_return_val_if_fail (text != NULL, SMS_ENCODING_GSM7);
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (sms_gsm7_cost (g_utf8_get_char (p)) == 0)
      return SMS_ENCODING_UCS2;
  return SMS_ENCODING_GSM7;
}

guint
sms_units (const char *text)
{
  gboolean gsm = sms_encoding (text) == SMS_ENCODING_GSM7;
  guint total = 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);
      total += gsm ? sms_gsm7_cost (ch) : utf16_cost (ch);
    }
  return total;
}

guint
sms_segments (const char *text)
{
  glong n = 0;
  g_autofree gunichar *s = NULL;

  g_return_val_if_fail (text != NULL, 1);
  s = g_utf8_to_ucs4_fast (text, -1, &n);
  return ucs4_segments (s, 0, (gsize) n);
}

/* What one typographic character becomes; NULL = keep it. */
static const char *
normalize_char (gunichar ch)
{
  switch (ch)
    {
    case 0x2018: case 0x2019: case 0x201A: case 0x201B:
    case 0x2032: case 0x02BC: case 0x00B4: case 0x0060:
      return "'";
    case 0x201C: case 0x201D: case 0x201E: case 0x201F:
    case 0x2033: case 0x00AB: case 0x00BB:
      return "\"";
    case 0x2010: case 0x2011: case 0x2012: case 0x2013:
    case 0x2014: case 0x2015: case 0x2212:
      return "-";
    case 0x2026:
      return "...";
    case '\t': case 0x00A0: case 0x1680: case 0x2000: case 0x2001:
    case 0x2002: case 0x2003: case 0x2004: case 0x2005: case 0x2006:
    case 0x2007: case 0x2008: case 0x2009: case 0x200A: case 0x202F:
    case 0x205F: case 0x3000:
      return " ";
    /* Invisible: zero-width space, word joiner, BOM, soft hyphen.  ZWJ and
     * ZWNJ stay: Urdu, Punjabi and emoji need them. */
    case 0x200B: case 0x2060: case 0xFEFF: case 0x00AD:
      return "";
    default:
      return NULL;
    }
}

char *
sms_normalize (const char *text)
{
  g_autofree char *nfc = NULL;
  g_autofree char *plain = NULL;
  GString *out;

  g_return_val_if_fail (text != NULL, NULL);
  nfc = g_utf8_normalize (text, -1, G_NORMALIZE_NFC);
  if (nfc == NULL)
    return g_strdup ("");
  out = g_string_sized_new (strlen (nfc));
  for (const char *p = nfc; *p; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);
      const char *repl = normalize_char (ch);

      /* A CR before the line feed, however many, is part of the line
       * end: dropping only the last would leave "\r\n" for next time. */
      if (ch == '\r' && p[strspn (p, "\r")] == '\n')
        continue;
      if (repl != NULL)
        g_string_append (out, repl);
      else
        g_string_append_unichar (out, ch);
    }
  /* Removing an invisible character can put a letter next to its
   * combining mark: compose again, so normalising twice changes nothing. */
  plain = g_string_free (out, FALSE);
  return g_utf8_normalize (plain, -1, G_NORMALIZE_NFC);
}

/* ------------------------------------------------------------------ */
/* Splitting                                                           */

typedef struct
{
  const gunichar *s;
  gsize           n;
  guint           max_segments;
  guint8         *level;    /* break quality before s[i]: 0 = none */
  gboolean       *isolated; /* a break before s[i] is inside an isolate */
} Splitter;

enum
{
  BREAK_NONE,
  BREAK_FORCED, /* a character boundary: only when nothing else fits */
  BREAK_SPACE,
  BREAK_SENTENCE,
  BREAK_LINE,
  BREAK_PARAGRAPH,
};

static gboolean
is_sentence_end (gunichar ch)
{
  /* Latin, Devanagari/Gurmukhi danda, Urdu full stop, Arabic question mark. */
  return ch == '.' || ch == '!' || ch == '?' || ch == 0x0964
         || ch == 0x06D4 || ch == 0x061F;
}

static gboolean
is_closing (gunichar ch)
{
  return ch == '"' || ch == '\'' || ch == ')';
}

/* Break levels at each position.  A break "at i" means the part ends
 * before s[i] (after dropping whitespace) and the next starts at the
 * first non-space from i on. */
static void
splitter_scan (Splitter *sp)
{
  int depth = 0;

  for (gsize i = 0; i < sp->n; i++)
    {
      gunichar ch = sp->s[i];
      gunichar prev = i > 0 ? sp->s[i - 1] : 0;
      guint8 level;

      /* depth is the isolate nesting before s[i]. */
      sp->isolated[i] = depth > 0;
      if (ch == 0x2066 || ch == 0x2067 || ch == 0x2068)
        depth++;
      else if (ch == 0x2069 && depth > 0)
        depth--;
      if (i == 0)
        continue;
      if (g_unichar_ismark (ch) || ch == 0x200D || prev == 0x200D
          || (ch >= 0xFE00 && ch <= 0xFE0F))
        level = BREAK_NONE;
      else if (ch == '\n' || ch == ' ')
        {
          gsize j = i;
          while (j > 0 && is_closing (sp->s[j - 1]))
            j--;
          if (ch == '\n' && prev == '\n')
            level = BREAK_PARAGRAPH;
          else if (ch == '\n')
            level = BREAK_LINE;
          else if (j > 0 && is_sentence_end (sp->s[j - 1]))
            level = BREAK_SENTENCE;
          else
            level = BREAK_SPACE;
        }
      else if (prev == ' ' || prev == '\n')
        level = BREAK_NONE; /* the break is at the whitespace itself */
      else
        level = BREAK_FORCED;
      /* Inside an isolate only a forced break is possible. */
      if (sp->isolated[i] && level > BREAK_FORCED)
        level = BREAK_FORCED;
      sp->level[i] = level;
    }
}

static gsize
trim_end (const Splitter *sp, gsize start, gsize end)
{
  while (end > start && g_unichar_isspace (sp->s[end - 1]))
    end--;
  return end;
}

static gsize
skip_space (const Splitter *sp, gsize i)
{
  while (i < sp->n && g_unichar_isspace (sp->s[i]))
    i++;
  return i;
}

/* Does S[START..END) followed by SUFFIX fit in max_segments? */
static gboolean
splitter_fits (const Splitter *sp, gsize start, gsize end, const char *suffix)
{
  g_autofree gunichar *buf = NULL;
  glong suffix_len = 0;
  g_autofree gunichar *suf = NULL;

  if (suffix == NULL)
    return ucs4_segments (sp->s, start, end) <= sp->max_segments;
  suf = g_utf8_to_ucs4_fast (suffix, -1, &suffix_len);
  buf = g_new (gunichar, end - start + (gsize) suffix_len + 1);
  memcpy (buf, sp->s + start, (end - start) * sizeof (gunichar));
  memcpy (buf + (end - start), suf, (gsize) suffix_len * sizeof (gunichar));
  return ucs4_segments (buf, 0, end - start + (gsize) suffix_len)
         <= sp->max_segments;
}

/* The largest END such that S[START..END)+SUFFIX fits (cost only grows
 * with END, so a binary search is exact). */
static gsize
splitter_fit_end (const Splitter *sp, gsize start, const char *suffix)
{
  gsize lo = start, hi = sp->n;

  while (lo < hi)
    {
      gsize mid = lo + (hi - lo + 1) / 2;
      if (splitter_fits (sp, start, mid, suffix))
        lo = mid;
      else
        hi = mid - 1;
    }
  return lo;
}

/* Where to end a part that starts at START and may run to FIT (< n). */
static gsize
splitter_choose (const Splitter *sp, gsize start, gsize fit)
{
  gsize best[BREAK_PARAGRAPH + 1] = { 0 };
  gsize min_len = (fit - start) / 2;

  for (gsize i = start + 1; i <= fit && i < sp->n; i++)
    if (sp->level[i] != BREAK_NONE)
      best[sp->level[i]] = i;
  /* The best kind of boundary that still fills half the message; failing
   * that, the latest boundary of any kind. */
  for (int level = BREAK_PARAGRAPH; level >= BREAK_SPACE; level--)
    if (best[level] > start && best[level] - start >= min_len)
      return best[level];
  for (int level = BREAK_PARAGRAPH; level >= BREAK_SPACE; level--)
    if (best[level] > start)
      {
        gsize latest = best[level];
        for (int l = level - 1; l >= BREAK_SPACE; l--)
          latest = MAX (latest, best[l]);
        return latest;
      }
  if (best[BREAK_FORCED] > start)
    return best[BREAK_FORCED];
  /* A single character that does not fit cannot happen (max 2 units),
   * but never loop: take one character. */
  return start + 1;
}

char **
sms_split (const char *text,
           guint       max_segments,
           guint       max_parts,
           gboolean   *truncated)
{
  Splitter sp = { 0 };
  g_autofree gunichar *s = NULL;
  g_autofree guint8 *level = NULL;
  g_autofree gboolean *isolated = NULL;
  GPtrArray *parts = g_ptr_array_new ();
  glong n = 0;
  gsize pos;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (max_segments > 0 && max_parts > 0, NULL);
  if (truncated)
    *truncated = FALSE;
  s = g_utf8_to_ucs4_fast (text, -1, &n);
  level = g_new0 (guint8, (gsize) n + 1);
  isolated = g_new0 (gboolean, (gsize) n + 1);
  sp = (Splitter) { s, (gsize) n, max_segments, level, isolated };
  splitter_scan (&sp);

  pos = skip_space (&sp, 0);
  while (pos < sp.n)
    {
      gsize end = trim_end (&sp, pos, sp.n);
      gsize fit = splitter_fit_end (&sp, pos, NULL);

      if (fit >= end)
        {
          g_ptr_array_add (parts, g_ucs4_to_utf8 (s + pos, (glong) (end - pos),
                                                  NULL, NULL, NULL));
          break;
        }
      if (parts->len + 1 == max_parts)
        {
          /* The last allowed part: cut at a word and say so. */
          gsize cut = splitter_fit_end (&sp, pos, "...");
          gsize brk = splitter_choose (&sp, pos, cut);
          g_autofree char *head = NULL;

          brk = trim_end (&sp, pos, brk);
          head = g_ucs4_to_utf8 (s + pos, (glong) (brk - pos), NULL, NULL, NULL);
          g_ptr_array_add (parts, g_strconcat (head, "...", NULL));
          if (truncated)
            *truncated = TRUE;
          break;
        }
      {
        gsize brk = splitter_choose (&sp, pos, fit);
        gsize stop = trim_end (&sp, pos, brk);

        if (stop == pos)
          stop = brk;
        g_ptr_array_add (parts, g_ucs4_to_utf8 (s + pos, (glong) (stop - pos),
                                                NULL, NULL, NULL));
        pos = skip_space (&sp, brk);
      }
    }
  if (parts->len == 0)
    g_ptr_array_add (parts, g_strdup (""));
  g_ptr_array_add (parts, NULL);
  return (char **) g_ptr_array_free (parts, FALSE);
}

char *
sms_isolate (const char *text, gboolean rtl)
{
  g_return_val_if_fail (text != NULL, NULL);
  if (!rtl)
    return g_strdup (text);
  return g_strconcat (SMS_LRI, text, SMS_PDI, NULL);
}
