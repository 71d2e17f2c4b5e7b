/* sms: facts about SMS text (GSM 03.38 / 3GPP TS 23.038), independent of
 * any provider.
 *
 * A message is GSM-7 when every character is in the GSM default alphabet
 * or its extension table (extension characters ^{}\[~]|€ and form feed
 * cost two septets); otherwise the whole message is UCS-2, counted in
 * UTF-16 code units (a character outside the BMP costs two).  One SMS holds
 * 160 septets or 70 units; a concatenated message holds 153 or 67 per part,
 * and neither an escape pair nor a surrogate pair is split across parts.
 * See L10N.md. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SMS_ENCODING_GSM7,
  SMS_ENCODING_UCS2,
} SmsEncoding;

#define SMS_GSM7_SINGLE   160
#define SMS_GSM7_PART     153
#define SMS_UCS2_SINGLE    70
#define SMS_UCS2_PART      67

/* Bidi isolates (L10N.md): LRI ... PDI around a number or code in RTL text. */
#define SMS_LRI "\xe2\x81\xa6"   /* U+2066 */
#define SMS_PDI "\xe2\x81\xa9"   /* U+2069 */

/* Septets CH costs in GSM-7: 1 (default alphabet), 2 (extension table), or
 * 0 when CH is not in GSM-7 at all. */
guint        sms_gsm7_cost   (gunichar    ch);
/* TEXT is valid UTF-8. */
SmsEncoding  sms_encoding    (const char *text);
/* Septets (GSM-7) or UTF-16 units (UCS-2) of TEXT in its encoding. */
guint        sms_units       (const char *text);
/* Segments TEXT takes when sent as one (possibly concatenated) message;
 * an empty text is one segment. */
guint        sms_segments    (const char *text);
/* A copy of TEXT in NFC with typographic quotes, dashes, ellipses,
 * no-break and other odd spaces turned into their plain GSM-7
 * equivalents, zero-width spaces and soft hyphens removed, CRLF and tabs
 * made plain.  Letters are never changed (Albanian ë stays ë). */
char        *sms_normalize   (const char *text);
/* Splits TEXT into at most MAX_PARTS messages of at most MAX_SEGMENTS
 * segments each, breaking at the best boundary that fits: a blank line,
 * then a line end, then a sentence end, then a space; never inside a word
 * unless one word is longer than a whole message, never inside a
 * surrogate pair or before a combining mark, and never inside a bidi
 * isolate (LRI/RLI/FSI ... PDI) that fits in one message.  Whitespace at
 * the breaks is dropped.  When MAX_PARTS are not enough, the last part is
 * cut at a word and ends with "..." and *TRUNCATED (if given) is set.
 * Returns a NULL-terminated vector (free with g_strfreev), never empty. */
char       **sms_split       (const char *text,
                              guint       max_segments,
                              guint       max_parts,
                              gboolean   *truncated);
/* TEXT wrapped in LRI ... PDI when RTL is set (so "+44 7700 900123" or
 * "K7QM-4XPA" keeps its order inside Urdu or Arabic); a plain copy
 * otherwise, since the isolates would force UCS-2 on a GSM-7 message. */
char        *sms_isolate     (const char *text,
                              gboolean    rtl);

G_END_DECLS
