/* convo: the SMS conversation engine (a table-driven state machine).
 *
 * Owns the conversation: its states and their questions (states[]), the
 * keywords every language understands (keywords[]), every reply text with
 * its segment budget (texts[]), and the session's serialised form.  The
 * report flow mirrors the kiosk wizard: category, partner (route.h),
 * safe contact, police consent, message, a check of exactly what goes to
 * whom, confirm.
 *
 * Invariants: a session holds no phone number (the sender's number goes
 * only into a report that asks to be called or texted); an expired
 * session is wiped before its text is read, so earlier answers never
 * reach a reply; once stopped, a session yields no reply until START.
 * The first reply to an unknown sender names nothing sensitive.
 *
 * Pure: no I/O, no clock, no globals.  convo_engine_new() is the only
 * function that touches gettext: on the main loop's thread, it takes
 * every reply text and keyword word of every language from the catalogs
 * once (switching lang_use and restoring it), and composes and normalises
 * the fixed replies.  After that the engine is read-only, and a step
 * carries its own language (Step.lang) instead of switching the
 * process-wide one.  So convo_step(), convo_submit_failed() and
 * convo_notice() may run on any thread, several at once on one engine,
 * while another thread calls lang_use(): they never read or write
 * gettext's language (lang_current, LANGUAGE), only their own session
 * and result (one thread per session at a time).
 *
 * Failure: none at run time; bad stored bytes fail
 * convo_session_from_bytes with CONVO_ERROR. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gi18n.h>

#include "convo.h"
#include "lang.h"
#include "route.h"
#include "sms.h"

G_DEFINE_QUARK (saferoute-convo-error-quark, convo_error)

#define CONVO_SESSION_VERSION 2   /* see "Serialisation" below */
/* Characters of the person's message echoed in the check message. */
#define CONVO_ECHO_CHARS 30

/* ------------------------------------------------------------------ */
/* Reply texts.  Budgets are in SMS segments and hold for every language:
 * a UCS-2 segment is only 67 characters, so the English fits easily. */

typedef enum
{
  T_LANG_PROMPT, T_MENU, T_HELP, T_INFO1, T_INFO2, T_INFO_NEXT, T_SUPPORT,
  T_EMERGENCY, T_CATEGORY_ASK, T_CAT_DOMESTIC, T_CAT_HONOUR, T_CAT_FORCED,
  T_CAT_FGM, T_CAT_SLAVERY, T_CAT_SEXUAL, T_CAT_HATE, T_CAT_OTHER,
  T_PARTNER_ASK, T_PARTNER_LINE, T_RULE_AGREE, T_RULE_DANGER,
  T_INTERPRETER, T_NO_PARTNER, T_CONTACT_ASK, T_TIMES_ASK,
  T_VOICEMAIL_ASK, T_TRUSTED_ASK, T_POLICE_ASK, T_MESSAGE_ASK, T_MORE_ASK,
  T_CHECK_HEAD, T_CHECK_ABOUT, T_CHECK_MESSAGE, T_CHECK_NO_MESSAGE,
  T_CHECK_CONTACT, T_CONTACT_NONE, T_CONTACT_CALL, T_CONTACT_TEXT,
  T_CONTACT_TRUSTED, T_CONTACT_TIMES, T_CONTACT_VOICEMAIL, T_CHECK_POLICE,
  T_POLICE_YES, T_POLICE_NO, T_CHECK_LANGUAGE, T_CHECK_FOOT, T_SENT,
  T_NOT_SENT, T_INVALID, T_EMPTY, T_TOO_LONG, T_STOPPED, T_DELETED,
  T_ANY_TIME, T_RATE_LIMITED, T_BUSY, T_DELIVERED,
  N_TEXTS
} TextId;

static const ConvoText texts[N_TEXTS + 1] = {
  /* TRANSLATORS: SMS, budget 3 segments with the list of languages under
   * it.  The very first text a person gets: it can be seen over their
   * shoulder, so say nothing about crime, abuse, police or reporting. */
  [T_LANG_PROMPT] = { "lang-prompt", N_("Hello. Reply with a number to choose your language:"), 2 },
  /* TRANSLATORS: SMS, budget 4 segments.  The main menu.  Keep the
   * numbers; MENU and HELP are the keywords in your language. */
  [T_MENU] = { "menu", N_("Reply with a number:\n1 How sharing information works\n2 Send a report through a support group\n3 Find support\n4 Emergency help\nHELP for more"), 4 },
  /* TRANSLATORS: SMS, budget 3 segments.  Use the keywords of your
   * language (the same words as the "keywords:" entries). */
  [T_HELP] = { "help", N_("Reply MENU for the menu, BACK to go back, DELETE to erase this chat, STOP to get no more texts. Urgent? Call 999."), 3 },
  /* TRANSLATORS: SMS, budget 4 segments.  How information sharing works,
   * part 1 of 2.  Plain words; say exactly this, no new promises. */
  [T_INFO1] = { "info1", N_("We send what you write only to the support group you choose. We never send anything to the Home Office or Immigration Enforcement. Before you send, we show you what will be shared, and with whom."), 4 },
  /* TRANSLATORS: SMS, budget 5 segments.  Part 2 of 2. */
  [T_INFO2] = { "info2", N_("The group tells the police only if you agree, unless someone, especially a child, is in danger now. You do not have to give your name. Your phone company can see text messages; on our web form only the group can read what you write."), 5 },
  /* TRANSLATORS: SMS, budget 2 segments. */
  [T_INFO_NEXT] = { "info-next", N_("Reply 2 to send a report, 3 for support, or MENU."), 2 },
  /* TRANSLATORS: SMS, budget 5 segments.  The two %s are phone numbers
   * (about 13 characters each): keep both. */
  [T_SUPPORT] = { "support", N_("Support groups help you whatever your immigration status. Free helplines: domestic abuse %s (24 hours), modern slavery %s. Reply 2 to report through a group, or MENU."), 5 },
  /* TRANSLATORS: SMS, budget 3 segments.  999 and 55 are the UK numbers:
   * keep them. */
  [T_EMERGENCY] = { "emergency", N_("In danger now? Call 999. If you cannot speak, call 999 from a mobile, then press 55 when asked. Reply MENU for the menu."), 3 },
  /* TRANSLATORS: SMS, budget 5 segments with the eight choices under it. */
  [T_CATEGORY_ASK] = { "category", N_("What is it about? Reply with a number:"), 1 },
  /* TRANSLATORS: SMS choice, keep it short (about 25 characters). */
  [T_CAT_DOMESTIC] = { "cat-domestic", N_("Abuse by a partner or family"), 1 },
  /* TRANSLATORS: SMS choice, keep it short. */
  [T_CAT_HONOUR] = { "cat-honour", N_("Honour-based abuse"), 1 },
  /* TRANSLATORS: SMS choice, keep it short. */
  [T_CAT_FORCED] = { "cat-forced", N_("Forced marriage"), 1 },
  /* TRANSLATORS: SMS choice, keep it short.  FGM: female genital
   * mutilation; use the everyday word people know. */
  [T_CAT_FGM] = { "cat-fgm", N_("FGM (cutting)"), 1 },
  /* TRANSLATORS: SMS choice, keep it short.  Modern slavery. */
  [T_CAT_SLAVERY] = { "cat-slavery", N_("Forced work or trafficking"), 1 },
  /* TRANSLATORS: SMS choice, keep it short. */
  [T_CAT_SEXUAL] = { "cat-sexual", N_("Sexual violence"), 1 },
  /* TRANSLATORS: SMS choice, keep it short. */
  [T_CAT_HATE] = { "cat-hate", N_("Hate crime"), 1 },
  /* TRANSLATORS: SMS choice, keep it short. */
  [T_CAT_OTHER] = { "cat-other", N_("Something else"), 1 },
  /* TRANSLATORS: SMS, budget 6 segments with up to three groups listed
   * under it, one line each. */
  [T_PARTNER_ASK] = { "partners", N_("Which group should get it? Reply with a number:"), 1 },
  /* TRANSLATORS: one line of the list of groups: %u is the number to
   * reply, the first %s the group's name, the second %s its police rule
   * (next entries).  Keep the order unless your grammar needs another. */
  [T_PARTNER_LINE] = { "partner-line", N_("%u %s: %s"), 1 },
  /* TRANSLATORS: a group's police rule, about 30 characters. */
  [T_RULE_AGREE] = { "rule-agree", N_("tells police only if you agree"), 1 },
  /* TRANSLATORS: a group's police rule, about 30 characters. */
  [T_RULE_DANGER] = { "rule-danger", N_("tells police only if life is in danger"), 1 },
  /* TRANSLATORS: after a group's police rule: the group does not speak
   * the person's language and brings an interpreter.  Short. */
  [T_INTERPRETER] = { "interpreter", N_(", with an interpreter"), 1 },
  /* TRANSLATORS: SMS, budget 4 segments.  %s is a phone number. */
  [T_NO_PARTNER] = { "no-partner", N_("No group can take this by text just now. You can call %s, free, any time. In danger, call 999. Reply MENU for the menu."), 4 },
  /* TRANSLATORS: SMS, budget 4 segments.  "This phone": the one the
   * person is texting from. */
  [T_CONTACT_ASK] = { "contact", N_("How can the group reach you safely? Reply with a number:\n1 Do not contact me\n2 Call this phone\n3 Text this phone\n4 Through someone I trust"), 4 },
  /* TRANSLATORS: SMS, budget 3 segments. */
  [T_TIMES_ASK] = { "times", N_("When is it safe to contact you? Write days and times, for example: weekdays 10-12. Reply 0 for any time."), 3 },
  /* TRANSLATORS: SMS, budget 2 segments. */
  [T_VOICEMAIL_ASK] = { "voicemail", N_("Can they leave a voicemail? Reply 1 for yes, 2 for no."), 2 },
  /* TRANSLATORS: SMS, budget 3 segments. */
  [T_TRUSTED_ASK] = { "trusted", N_("Who should the group contact for you, and how? Write their name and phone number."), 3 },
  /* TRANSLATORS: SMS, budget 4 segments. */
  [T_POLICE_ASK] = { "police", N_("May the group tell the police about this for you? Reply 1 for yes, 2 for no. If someone is in danger now, they may have to act anyway."), 4 },
  /* TRANSLATORS: SMS, budget 3 segments. */
  [T_MESSAGE_ASK] = { "message", N_("Now write what happened, in your own words, in one text. Reply 0 to skip."), 3 },
  /* TRANSLATORS: SMS, budget 2 segments. */
  [T_MORE_ASK] = { "more", N_("Write more. It will be added to your message."), 2 },
  /* TRANSLATORS: SMS, the check message (budget 8 segments in all) lists
   * exactly what will be shared.  %s is the group's name. */
  [T_CHECK_HEAD] = { "check", N_("Please check. Only %s will get:"), 1 },
  /* TRANSLATORS: a line of the check message; %s is the category. */
  [T_CHECK_ABOUT] = { "check-about", N_("- what it is about: %s"), 1 },
  /* TRANSLATORS: a line of the check message; %s is the start of the
   * person's message, %u its length in characters. */
  [T_CHECK_MESSAGE] = { "check-message", N_("- your message: \"%s\" (%u characters)"), 1 },
  /* TRANSLATORS: a line of the check message. */
  [T_CHECK_NO_MESSAGE] = { "check-no-message", N_("- no message"), 1 },
  /* TRANSLATORS: a line of the check message; %s is one of the next
   * entries (how the group may contact the person). */
  [T_CHECK_CONTACT] = { "check-contact", N_("- contact: %s"), 1 },
  /* TRANSLATORS: how the group may contact the person: not at all. */
  [T_CONTACT_NONE] = { "contact-none", N_("none, no name"), 1 },
  /* TRANSLATORS: %s is the person's phone number. */
  [T_CONTACT_CALL] = { "contact-call", N_("call %s"), 1 },
  /* TRANSLATORS: %s is the person's phone number. */
  [T_CONTACT_TEXT] = { "contact-text", N_("text %s"), 1 },
  /* TRANSLATORS: %s is what the person wrote about someone they trust. */
  [T_CONTACT_TRUSTED] = { "contact-trusted", N_("through %s"), 1 },
  /* TRANSLATORS: added after "call ..." or "text ...": %s is when it is
   * safe, as the person wrote it. */
  [T_CONTACT_TIMES] = { "contact-times", N_(", %s"), 1 },
  /* TRANSLATORS: added after "call ...". */
  [T_CONTACT_VOICEMAIL] = { "contact-voicemail", N_(", voicemail ok"), 1 },
  /* TRANSLATORS: a line of the check message; %s is one of the next two
   * entries. */
  [T_CHECK_POLICE] = { "check-police", N_("- police: %s"), 1 },
  /* TRANSLATORS: the group may tell the police for the person. */
  [T_POLICE_YES] = { "police-yes", N_("they may tell them"), 1 },
  /* TRANSLATORS: the group may not tell the police. */
  [T_POLICE_NO] = { "police-no", N_("not unless life is in danger"), 1 },
  /* TRANSLATORS: a line of the check message; %s is the language's
   * name in its own script. */
  [T_CHECK_LANGUAGE] = { "check-language", N_("- your language (%s), and that you wrote by text"), 1 },
  /* TRANSLATORS: the end of the check message. */
  [T_CHECK_FOOT] = { "check-foot", N_("Nothing goes to the Home Office. Reply 1 to send, 2 to add more, BACK to change."), 3 },
  /* TRANSLATORS: SMS, budget 6 segments.  The first %s is the group's
   * name, the second the reference code (e.g. K7QM-4XPA), the third a
   * web address (about 35 characters). */
  [T_SENT] = { "sent", N_("Sent to %s. Your reference is %s: keep it to ask about your report. To send a longer report, use %s. Reply MENU for the menu."), 6 },
  /* TRANSLATORS: SMS, budget 3 segments. */
  [T_NOT_SENT] = { "not-sent", N_("Sorry, it could not be sent just now. Your answers are kept. Reply 1 to try again."), 3 },
  /* TRANSLATORS: SMS, budget 2 segments.  %u is the highest choice. */
  [T_INVALID] = { "invalid", N_("Sorry, please reply with a number from 1 to %u, or BACK."), 2 },
  /* TRANSLATORS: SMS, budget 2 segments. */
  [T_EMPTY] = { "empty", N_("Please write something, or reply BACK to go back."), 2 },
  /* TRANSLATORS: SMS, budget 4 segments.  %u is a number of characters,
   * %s a web address (about 35 characters). */
  [T_TOO_LONG] = { "too-long", N_("That is too long for a text. Please send up to %u characters, or use %s."), 4 },
  /* TRANSLATORS: SMS, budget 2 segments.  The reply to STOP: the last
   * text the person gets.  START is the keyword in your language. */
  [T_STOPPED] = { "stopped", N_("You will get no more texts from us. Text START to begin again."), 2 },
  /* TRANSLATORS: SMS, budget 4 segments.  The reply to DELETE.  Honest:
   * we erase our copy; the phone company's records are not ours. */
  [T_DELETED] = { "deleted", N_("Done: we have erased this chat. Your phone company may still keep a record. You may want to delete these texts on your phone too."), 4 },
  /* TRANSLATORS: what the person answered when asked when it is safe to
   * contact them, if they replied 0. */
  [T_ANY_TIME] = { "any-time", N_("any time"), 1 },
  /* TRANSLATORS: SMS, budget 3 segments.  Sent when someone texts too
   * often; it may be the first text a person gets, so nothing sensitive. */
  [T_RATE_LIMITED] = { "rate-limited", N_("You are sending texts very fast. Please wait a few minutes, then try again. Urgent? Call 999."), 3 },
  /* TRANSLATORS: SMS, budget 3 segments.  Sent when the service cannot
   * answer; it may be the first text a person gets. */
  [T_BUSY] = { "busy", N_("Sorry, we cannot answer just now. Please try again in a few minutes. Urgent? Call 999."), 3 },
  /* TRANSLATORS: SMS, budget 3 segments.  %s is the reference code
   * (e.g. K7QM-4XPA).  Sent only to a person who asked to be texted. */
  [T_DELIVERED] = { "delivered", N_("Your report %s has reached the group you chose. They can contact you in the way you asked."), 3 },
  [N_TEXTS] = { NULL, NULL, 0 },
};

/* A handler's next state with STAY set: the handler replied already, so
 * the state's question is not asked again. */
#define STAY 0x100

/* Budgets of replies composed of several texts. */
#define BUDGET_LANG_PROMPT 3
#define BUDGET_CATEGORY    5
#define BUDGET_PARTNERS    6
#define BUDGET_CHECK       8

const ConvoText *
convo_texts (void)
{
  return texts;
}

/* Categories in report_categories order, with their SMS label. */
static const struct
{
  const char *id;
  TextId      label;
} categories[] = {
  { "domestic-abuse", T_CAT_DOMESTIC },
  { "honour-based-abuse", T_CAT_HONOUR },
  { "forced-marriage", T_CAT_FORCED },
  { "fgm", T_CAT_FGM },
  { "modern-slavery", T_CAT_SLAVERY },
  { "sexual-violence", T_CAT_SEXUAL },
  { "hate-crime", T_CAT_HATE },
  { "other", T_CAT_OTHER },
};

/* Contact choices, in the order T_CONTACT_ASK lists them. */
static const char *const contact_methods[] = {
  "none", "phone", "sms", "trusted-person",
};

/* ------------------------------------------------------------------ */
/* Keywords.  One table for every language: a keyword works in any
 * language at any time, so a person who chose Urdu can still text STOP.
 * Each row has an English msgid (prefixed "keywords:" so it cannot clash
 * with another string) that translators may extend through the catalog,
 * and built-in words per language so the keywords work even before a
 * catalog is reviewed.  A message is a keyword only when it is nothing
 * but the word (case, accents of punctuation and spaces aside): a report
 * that says "help" in a sentence stays a report. */

typedef enum
{
  KW_NONE, KW_HELP, KW_STOP, KW_START, KW_MENU, KW_BACK, KW_DELETE,
} Keyword;

/* The languages of keywords[].words, in order. */
static const char *const keyword_langs[] = { "en", "pa", "ur", "ar", "so", "sq" };

static const struct
{
  Keyword     keyword;
  const char *msgid;
  /* Built-in words: en pa ur ar so sq, "|"-separated. */
  const char *words[6];
} keywords[] = {
  /* TRANSLATORS: SMS keyword words for HELP in your language, separated
   * by "|", after "keywords:".  One word each, as people would text it;
   * keep "keywords:" untranslated. */
  { KW_HELP, N_("keywords:HELP"),
    { "HELP|INFO", "ਮਦਦ", "مدد", "مساعدة|مساعده", "CAAWI|CAAWIMAAD", "NDIHMË|NDIHME" } },
  /* TRANSLATORS: SMS keyword words for STOP (no more texts, ever), as
   * for "keywords:HELP". */
  { KW_STOP, N_("keywords:STOP"),
    { "STOP|STOPALL|UNSUBSCRIBE|CANCEL|END|QUIT", "ਬੰਦ|ਰੋਕੋ", "روکیں|بند",
      "توقف|إيقاف|ايقاف", "JOOJI|JOOJ", "NDALO|STOP" } },
  /* TRANSLATORS: SMS keyword words for START (texts again after STOP),
   * as for "keywords:HELP". */
  { KW_START, N_("keywords:START"),
    { "START|UNSTOP", "ਸ਼ੁਰੂ", "شروع", "ابدأ|ابدا|بدء", "BILOW", "FILLO|NIS" } },
  /* TRANSLATORS: SMS keyword words for MENU, as for "keywords:HELP". */
  { KW_MENU, N_("keywords:MENU"),
    { "MENU", "ਮੀਨੂ|ਮੇਨੂ", "مینو|فہرست", "قائمة|القائمة", "LIIS|LIISKA", "MENY|MENU" } },
  /* TRANSLATORS: SMS keyword words for BACK (one step back), as for
   * "keywords:HELP". */
  { KW_BACK, N_("keywords:BACK"),
    { "BACK", "ਪਿੱਛੇ|ਵਾਪਸ", "واپس|پیچھے", "رجوع|عودة", "DIB|NOQO", "MBRAPA|PRAPA" } },
  /* TRANSLATORS: SMS keyword words for DELETE (forget this chat now), as
   * for "keywords:HELP". */
  { KW_DELETE, N_("keywords:DELETE"),
    { "DELETE|ERASE", "ਮਿਟਾਓ", "مٹائیں|مٹاؤ", "حذف|امسح", "TIRTIR", "FSHI|FSHIJ" } },
};

/* ------------------------------------------------------------------ */
/* Sessions */

typedef enum
{
  /* In the order of the questions: session_check_draft relies on it. */
  S_NEW, S_LANG, S_MENU, S_CATEGORY, S_PARTNER, S_CONTACT, S_TIMES,
  S_VOICEMAIL, S_TRUSTED, S_POLICE, S_MESSAGE, S_CHECK, S_MORE,
  N_STATES
} State;

struct _ConvoSession
{
  State    state;
  char    *lang;      /* chosen language, or NULL */
  char    *guess;     /* guessed at first contact, or NULL */
  gint64   last_activity;
  gboolean stopped;
  /* The draft. */
  char    *category;
  char    *partner;
  char    *contact;   /* contact_methods[] */
  char    *times;
  char    *trusted;
  char    *message;
  int      voicemail; /* -1 not asked, 0 no, 1 yes */
  int      police;    /* -1 not asked, 0 no, 1 yes */
};

typedef struct
{
  char  *text;      /* sms_normalize()d */
  guint  segments;
} CachedReply;

struct _ConvoEngine
{
  const PartnerDirectory *partners;
  char       *public_url;
  gint64      idle_timeout;
  char       *area;
  char       *site;
  char       *helpline_domestic;
  char       *helpline_slavery;
  GHashTable *keywords;   /* case-folded word -> GINT_TO_POINTER (Keyword) */
  GHashTable *keyword_lang; /* case-folded word -> language code */
  guint       n_langs;    /* lang_all()'s */
  /* msgstr[language * N_TEXTS + TextId]: texts[]'s translations, taken
   * from the catalogs once so that no step needs gettext's language. */
  char      **msgstr;
  /* CachedReply[language][TextId]: fixed texts (no answer of the
   * person's in them) normalised and counted once, not for every
   * message: that took a tenth of the gateway's time under load.  Filled
   * in convo_engine_new, so steps on several threads only read it. */
  CachedReply *fixed_replies;
};

/* A step in progress. */
typedef struct
{
  const ConvoEngine *engine;   /* read-only while steps run */
  ConvoSession   *session;     /* NULL only in convo_notice */
  const char     *from;
  gint64          now;
  ConvoResult    *result;
  /* The language replies are in: an index into lang_all() and its row.
   * The step's own, never gettext's (see the opening comment). */
  guint           lang;
  const LangInfo *info;
} Step;

static void
session_clear_draft (ConvoSession *s)
{
  g_clear_pointer (&s->category, g_free);
  g_clear_pointer (&s->partner, g_free);
  g_clear_pointer (&s->contact, g_free);
  g_clear_pointer (&s->times, g_free);
  g_clear_pointer (&s->trusted, g_free);
  g_clear_pointer (&s->message, g_free);
  s->voicemail = -1;
  s->police = -1;
}

/* Everything but the STOP flag: what expiry and DELETE leave behind. */
static void
session_reset (ConvoSession *s)
{
  session_clear_draft (s);
  g_clear_pointer (&s->lang, g_free);
  g_clear_pointer (&s->guess, g_free);
  s->state = S_NEW;
  s->last_activity = 0;
}

ConvoSession *
convo_session_new (void)
{
  ConvoSession *s = g_new0 (ConvoSession, 1);

  s->state = S_NEW;
  s->voicemail = -1;
  s->police = -1;
  return s;
}

void
convo_session_free (ConvoSession *session)
{
  if (session == NULL)
    return;
  session_reset (session);
  g_free (session);
}

const char *
convo_session_language (const ConvoSession *session)
{
  g_return_val_if_fail (session != NULL, NULL);
  return session->lang;
}

gboolean
convo_session_stopped (const ConvoSession *session)
{
  g_return_val_if_fail (session != NULL, FALSE);
  return session->stopped;
}

gint64
convo_session_last_activity (const ConvoSession *session)
{
  g_return_val_if_fail (session != NULL, 0);
  return session->last_activity;
}

gboolean
convo_session_expired (const ConvoEngine *engine, const ConvoSession *session,
                       gint64 now)
{
  g_return_val_if_fail (engine != NULL && session != NULL, FALSE);
  return session->last_activity != 0
         && now - session->last_activity >= engine->idle_timeout;
}

/* ------------------------------------------------------------------ */
/* Replies */

static const char *
engine_text (const ConvoEngine *engine, guint lang, TextId id)
{
  return engine->msgstr[lang * N_TEXTS + id];
}

/* ID's text in the step's language. */
static const char *
text (const Step *st, TextId id)
{
  return engine_text (st->engine, st->lang, id);
}

/* The formats are the literal msgids of texts[] and their translations,
 * whose conversions msgfmt -c checks against the msgid (c-format). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *
textf (const Step *st, TextId id, ...)
{
  va_list ap;
  char *out;

  va_start (ap, id);
  out = g_strdup_vprintf (text (st, id), ap);
  va_end (ap);
  return out;
}
#pragma GCC diagnostic pop

static gboolean
session_rtl (const Step *st)
{
  return st->info->rtl;
}

/* NUMBER or CODE inside a sentence, isolated in RTL languages. */
static char *
isolate (const Step *st, const char *value)
{
  return sms_isolate (value, session_rtl (st));
}

/* NORM is already normalised and takes SEGMENTS. */
static void
reply_add_normalized (Step *st, const char *name, guint budget,
                      const char *norm, guint segments)
{
  if (segments <= budget)
    {
      ConvoReply *r = g_new0 (ConvoReply, 1);
      r->text = g_strdup (norm);
      r->budget = budget;
      r->name = name;
      g_ptr_array_add (st->result->replies, r);
      return;
    }
  /* A translation over its budget (make check catches it): still say it
   * all, in several texts, each within the budget. */
  g_message ("convo: reply \"%s\" in %s takes %u segments, budget %u",
             name, st->info->code, segments, budget);
  {
    g_auto(GStrv) parts = sms_split (norm, budget, 4, NULL);
    for (guint i = 0; parts[i]; i++)
      {
        ConvoReply *r = g_new0 (ConvoReply, 1);
        r->text = g_strdup (parts[i]);
        r->budget = budget;
        r->name = name;
        g_ptr_array_add (st->result->replies, r);
      }
  }
}

static void
reply_add (Step *st, const char *name, guint budget, const char *body)
{
  g_autofree char *norm = sms_normalize (body);

  reply_add_normalized (st, name, budget, norm, sms_segments (norm));
}

/* A fixed reply (ID's text, never anything the person typed) in the
 * step's language, as convo_engine_new composed, normalised and counted
 * it (engine_compose_fixed). */
static void
reply_add_fixed (Step *st, TextId id, guint budget)
{
  const CachedReply *cached = &st->engine->fixed_replies[st->lang * N_TEXTS + id];

  reply_add_normalized (st, texts[id].name, budget, cached->text, cached->segments);
}

static void
reply_text (Step *st, TextId id)
{
  reply_add_fixed (st, id, texts[id].budget);
}

static void
reply_invalid (Step *st, guint max)
{
  g_autofree char *body = textf (st, T_INVALID, max);
  reply_add (st, texts[T_INVALID].name, texts[T_INVALID].budget, body);
}

/* Replies from now on are in the session's language, else the guessed
 * one, else English.  Sets the step's language only: gettext's stays. */
static void
step_use_lang (Step *st)
{
  const ConvoSession *s = st->session;
  const char *code = s == NULL ? "en" : s->lang ? s->lang
                     : s->guess ? s->guess : "en";
  const LangInfo *langs = lang_all (NULL);
  const LangInfo *info = lang_lookup (code);

  /* Stored sessions hold only languages of the table; a report in
   * another (convo_submit_failed) gets English rather than whatever
   * language the process happens to be in. */
  if (info == NULL)
    info = lang_lookup ("en");
  st->info = info;
  st->lang = (guint) (info - langs);
}

static char *
web_link (Step *st)
{
  g_autofree char *base = g_strdup (st->engine->public_url);
  g_autofree char *url = NULL;
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    base[--len] = '\0';
  url = g_strdup_printf ("%s/%s/report", base, st->info->code);
  return isolate (st, url);
}

/* ------------------------------------------------------------------ */
/* Reading what the person sent */

/* Case-folded, trimmed of spaces and of the punctuation people add to a
 * one-word answer ("Stop!", "2.", "؟"). */
static char *
input_fold (const char *text)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);
  g_autofree char *nfc = g_utf8_normalize (folded, -1, G_NORMALIZE_NFC);
  GString *out = g_string_new (NULL);
  const char *p = nfc ? nfc : "";
  const char *end = p + strlen (p);

  while (p < end)
    {
      gunichar ch = g_utf8_get_char (p);
      if (!g_unichar_isspace (ch) && !g_unichar_ispunct (ch))
        break;
      p = g_utf8_next_char (p);
    }
  while (end > p)
    {
      const char *prev = g_utf8_prev_char (end);
      gunichar ch = g_utf8_get_char (prev);
      if (!g_unichar_isspace (ch) && !g_unichar_ispunct (ch))
        break;
      end = prev;
    }
  g_string_append_len (out, p, end - p);
  return g_string_free (out, FALSE);
}

/* A choice number in any script's digits ("2", "٢", "۲", "੨"), or 0. */
static guint
input_number (const char *folded)
{
  guint value = 0, digits = 0;

  for (const char *p = folded; *p; p = g_utf8_next_char (p))
    {
      int d = g_unichar_digit_value (g_utf8_get_char (p));
      if (d < 0 || ++digits > 3)
        return 0;
      value = value * 10 + (guint) d;
    }
  return digits > 0 ? value : 0;
}

/* "0" is a valid answer (skip, any time) in a free-text question. */
static gboolean
input_is_zero (const char *folded)
{
  return g_utf8_strlen (folded, -1) == 1
         && g_unichar_digit_value (g_utf8_get_char (folded)) == 0;
}

static void
engine_add_words (ConvoEngine *engine, const char *words, Keyword kw,
                  const char *lang)
{
  g_auto(GStrv) list = NULL;

  if (g_str_has_prefix (words, "keywords:"))
    words += strlen ("keywords:");
  list = g_strsplit (words, "|", -1);
  for (guint i = 0; list[i]; i++)
    {
      g_autofree char *folded = input_fold (list[i]);
      if (folded[0] == '\0')
        continue;
      /* The first language to claim a word keeps it ("STOP" is English
       * and Albanian: English, whose row comes first). */
      if (!g_hash_table_contains (engine->keywords, folded))
        {
          g_hash_table_insert (engine->keyword_lang, g_strdup (folded),
                               g_strdup (lang));
          g_hash_table_insert (engine->keywords, g_steal_pointer (&folded),
                               GINT_TO_POINTER (kw));
        }
    }
}

/* The only place the engine reads gettext: every language's reply texts
 * and keyword words, once, on the thread that owns lang_use().  The
 * built-in keyword words go first: the first language to claim a word
 * keeps it. */
static void
engine_load_catalogs (ConvoEngine *engine)
{
  const LangInfo *langs = lang_all (NULL);
  const char *previous = lang_current ();

  for (gsize l = 0; l < G_N_ELEMENTS (keyword_langs); l++)
    for (gsize k = 0; k < G_N_ELEMENTS (keywords); k++)
      engine_add_words (engine, keywords[k].words[l], keywords[k].keyword,
                        keyword_langs[l]);
  engine->msgstr = g_new0 (char *, engine->n_langs * N_TEXTS);
  for (guint l = 0; l < engine->n_langs; l++)
    {
      lang_use (langs[l].code);
      for (guint id = 0; id < N_TEXTS; id++)
        engine->msgstr[l * N_TEXTS + id] = g_strdup (_(texts[id].msgid));
      /* Words translators added in the catalogs. */
      for (gsize k = 0; k < G_N_ELEMENTS (keywords); k++)
        engine_add_words (engine, _(keywords[k].msgid), keywords[k].keyword,
                          langs[l].code);
    }
  lang_use (previous);
}

static Keyword
input_keyword (const ConvoEngine *engine, const char *folded,
               const char **lang)
{
  gpointer kw = g_hash_table_lookup (engine->keywords, folded);

  if (kw != NULL && lang != NULL)
    *lang = g_hash_table_lookup (engine->keyword_lang, folded);
  return kw ? (Keyword) GPOINTER_TO_INT (kw) : KW_NONE;
}

/* Words that tell Somali, Albanian (and English) apart in Latin script. */
static const struct
{
  const char *lang;
  const char *words;
} guess_words[] = {
  { "so", "salaan|waxaan|waan|iska|warran|fadlan|mahadsanid|caawi|caawimaad|"
          "soomaali|maxaa|haa|maya|nabad|igu|waxa|aan|ahay|rabaa|ii" },
  { "sq", "përshëndetje|pershendetje|mirëdita|miredita|tungjatjeta|tung|"
          "ndihmë|ndihme|faleminderit|shqip|unë|une|jam|nuk|dua|më|me|një|"
          "ju|lutem|kam|nevojë|nevoje" },
  { "en", "hello|hi|help|please|i|need|want|the|is|am|my|can|you|hey" },
};

/* Whether WORD (LENGTH bytes) is one of the "|"-separated LIST. */
static gboolean
guess_word_listed (const char *list, const char *word, gsize length)
{
  for (const char *p = list; *p;)
    {
      const char *end = strchr (p, '|');
      gsize n = end ? (gsize) (end - p) : strlen (p);

      if (n == length && memcmp (p, word, length) == 0)
        return TRUE;
      if (end == NULL)
        break;
      p = end + 1;
    }
  return FALSE;
}

/* Letters only Urdu (among Urdu and Arabic) writes. */
static gboolean
is_urdu_letter (gunichar ch)
{
  return ch == 0x0679 || ch == 0x0688 || ch == 0x0691 || ch == 0x06BA
         || ch == 0x06C1 || ch == 0x06BE || ch == 0x06D2 || ch == 0x06D4
         || ch == 0x06A9 || ch == 0x06AF || ch == 0x06CC || ch == 0x067E
         || ch == 0x0686 || ch == 0x0698;
}

/* A guess at the language of a first message, from its script, then its
 * words.  The person still chooses: this only picks the language of the
 * question. */
static const char *
convo_guess_language (const char *text)
{
  guint gurmukhi = 0, arabic = 0, urdu = 0, latin = 0, albanian = 0;
  guint best_hits = 0;
  const char *best = "en";
  g_autofree char *folded = g_utf8_casefold (text, -1);
  guint hits[G_N_ELEMENTS (guess_words)] = { 0 };

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);
      GUnicodeScript script = g_unichar_get_script (ch);

      if (script == G_UNICODE_SCRIPT_GURMUKHI)
        gurmukhi++;
      else if (script == G_UNICODE_SCRIPT_ARABIC)
        {
          arabic++;
          if (is_urdu_letter (ch))
            urdu++;
        }
      else if (script == G_UNICODE_SCRIPT_LATIN)
        {
          latin++;
          if (ch == 0x00EB || ch == 0x00CB || ch == 0x00E7)
            albanian++;
        }
    }
  /* Mixed scripts: the script with most letters wins. */
  if (gurmukhi > 0 && gurmukhi >= arabic && gurmukhi >= latin)
    return "pa";
  if (arabic > 0 && arabic >= latin)
    return urdu > 0 ? "ur" : "ar";
  if (albanian > 0)
    return "sq";
  /* Words are runs of letters and apostrophes ([^\p{L}']+ separates
   * them), scanned in place: a regex and a split per message cost more
   * than the rest of a first step. */
  for (const char *p = folded; *p;)
    {
      const char *start = p;
      gunichar ch = g_utf8_get_char (p);

      if (!g_unichar_isalpha (ch) && ch != '\'')
        {
          p = g_utf8_next_char (p);
          continue;
        }
      while (*p && (g_unichar_isalpha (ch = g_utf8_get_char (p)) || ch == '\''))
        p = g_utf8_next_char (p);
      for (gsize g = 0; g < G_N_ELEMENTS (guess_words); g++)
        if (guess_word_listed (guess_words[g].words, start, (gsize) (p - start)))
          hits[g]++;
    }
  for (gsize g = 0; g < G_N_ELEMENTS (guess_words); g++)
    if (hits[g] > best_hits)
      {
        best_hits = hits[g];
        best = guess_words[g].lang;
      }
  return best;
}

/* ------------------------------------------------------------------ */
/* The questions */

/* The language menu: each language in its own script. */
static char *
compose_lang_prompt (const ConvoEngine *engine, guint lang, TextId id)
{
  guint n = 0;
  const LangInfo *langs = lang_all (&n);
  GString *body = g_string_new (engine_text (engine, lang, id));

  for (guint i = 0; i < n; i++)
    g_string_append_printf (body, "\n%u %s", i + 1, langs[i].native_name);
  return g_string_free (body, FALSE);
}

static char *
compose_text (const ConvoEngine *engine, guint lang, TextId id)
{
  return g_strdup (engine_text (engine, lang, id));
}

/* Every fixed reply of every language, composed, normalised and counted
 * before any step, so that steps on several threads only read them. */
static void
engine_compose_fixed (ConvoEngine *engine)
{
  engine->fixed_replies = g_new0 (CachedReply, engine->n_langs * N_TEXTS);
  for (guint l = 0; l < engine->n_langs; l++)
    for (guint id = 0; id < N_TEXTS; id++)
      {
        CachedReply *cached = &engine->fixed_replies[l * N_TEXTS + id];
        g_autofree char *body = id == T_LANG_PROMPT
                                ? compose_lang_prompt (engine, l, id)
                                : compose_text (engine, l, id);

        cached->text = sms_normalize (body);
        cached->segments = sms_segments (cached->text);
      }
}

static void
ask_lang (Step *st)
{
  reply_add_fixed (st, T_LANG_PROMPT, BUDGET_LANG_PROMPT);
}

static void
ask_menu (Step *st)
{
  reply_text (st, T_MENU);
}

static void
ask_category (Step *st)
{
  GString *body = g_string_new (text (st, T_CATEGORY_ASK));

  for (gsize i = 0; i < G_N_ELEMENTS (categories); i++)
    g_string_append_printf (body, "\n%u %s", (guint) i + 1,
                            text (st, categories[i].label));
  reply_add (st, texts[T_CATEGORY_ASK].name, BUDGET_CATEGORY, body->str);
  g_string_free (body, TRUE);
}

static GPtrArray *
step_partners (Step *st)
{
  GPtrArray *all = route_eligible (st->engine->partners, st->session->category,
                                   st->session->lang, st->engine->area);
  if (all->len > CONVO_PARTNERS_MAX)
    g_ptr_array_set_size (all, CONVO_PARTNERS_MAX);
  return all;
}

static const char *
helpline_for (const Step *st)
{
  return g_strcmp0 (st->session->category, "modern-slavery") == 0
         ? st->engine->helpline_slavery : st->engine->helpline_domestic;
}

static void
ask_partner (Step *st)
{
  g_autoptr(GPtrArray) partners = step_partners (st);
  GString *body;

  if (partners->len == 0)
    {
      g_autofree char *number = isolate (st, helpline_for (st));
      g_autofree char *msg = textf (st, T_NO_PARTNER, number);
      reply_add (st, texts[T_NO_PARTNER].name, texts[T_NO_PARTNER].budget, msg);
      /* Nobody to choose: the menu is where the person can go on. */
      st->session->state = S_MENU;
      return;
    }
  body = g_string_new (text (st, T_PARTNER_ASK));
  for (guint i = 0; i < partners->len; i++)
    {
      const Partner *p = g_ptr_array_index (partners, i);
      TextId rule = p->may_tell_police == PARTNER_POLICE_ONLY_DANGER
                    ? T_RULE_DANGER : T_RULE_AGREE;
      g_autofree char *cut = g_utf8_substring (p->name, 0,
                                               MIN (g_utf8_strlen (p->name, -1), 40));
      g_autofree char *name = isolate (st, cut);
      g_autofree char *line = textf (st, T_PARTNER_LINE, i + 1, name, text (st, rule));
      g_string_append_c (body, '\n');
      g_string_append (body, line);
      if (!partner_speaks (p, st->session->lang))
        g_string_append (body, text (st, T_INTERPRETER));
    }
  reply_add (st, texts[T_PARTNER_ASK].name, BUDGET_PARTNERS, body->str);
  g_string_free (body, TRUE);
}

static void ask_contact (Step *st) { reply_text (st, T_CONTACT_ASK); }
static void ask_times (Step *st) { reply_text (st, T_TIMES_ASK); }
static void ask_voicemail (Step *st) { reply_text (st, T_VOICEMAIL_ASK); }
static void ask_trusted (Step *st) { reply_text (st, T_TRUSTED_ASK); }
static void ask_police (Step *st) { reply_text (st, T_POLICE_ASK); }
static void ask_message (Step *st) { reply_text (st, T_MESSAGE_ASK); }
static void ask_more (Step *st) { reply_text (st, T_MORE_ASK); }

static const char *
category_label (const Step *st, const char *id)
{
  for (gsize i = 0; i < G_N_ELEMENTS (categories); i++)
    if (g_strcmp0 (categories[i].id, id) == 0)
      return text (st, categories[i].label);
  return id;
}

static char *
contact_summary (Step *st)
{
  const ConvoSession *s = st->session;
  GString *out = g_string_new (NULL);

  if (g_strcmp0 (s->contact, "phone") == 0
      || g_strcmp0 (s->contact, "sms") == 0)
    {
      g_autofree char *number = isolate (st, st->from ? st->from : "");
      g_autofree char *how = textf (st, g_strcmp0 (s->contact, "phone") == 0
                                    ? T_CONTACT_CALL : T_CONTACT_TEXT, number);
      g_string_append (out, how);
      if (s->times)
        {
          g_autofree char *when = textf (st, T_CONTACT_TIMES, s->times);
          g_string_append (out, when);
        }
      if (s->voicemail == 1)
        g_string_append (out, text (st, T_CONTACT_VOICEMAIL));
    }
  else if (g_strcmp0 (s->contact, "trusted-person") == 0)
    {
      g_autofree char *how = textf (st, T_CONTACT_TRUSTED,
                                    s->trusted ? s->trusted : "");
      g_string_append (out, how);
    }
  else
    g_string_append (out, text (st, T_CONTACT_NONE));
  return g_string_free (out, FALSE);
}

static void
ask_check (Step *st)
{
  const ConvoSession *s = st->session;
  const Partner *partner = partner_directory_lookup (st->engine->partners,
                                                     s->partner);
  const LangInfo *lang = lang_lookup (s->lang);
  g_autofree char *name = isolate (st, partner ? partner->name : s->partner);
  g_autofree char *contact = contact_summary (st);
  g_autofree char *head = textf (st, T_CHECK_HEAD, name);
  g_autofree char *about = textf (st, T_CHECK_ABOUT, category_label (st, s->category));
  g_autofree char *message = NULL;
  g_autofree char *how = textf (st, T_CHECK_CONTACT, contact);
  g_autofree char *police = textf (st, T_CHECK_POLICE, text (st, s->police == 1
                                                         ? T_POLICE_YES
                                                         : T_POLICE_NO));
  g_autofree char *language = textf (st, T_CHECK_LANGUAGE,
                                     lang ? lang->native_name : s->lang);
  g_autofree char *body = NULL;

  if (s->message != NULL)
    {
      glong len = g_utf8_strlen (s->message, -1);
      g_autofree char *start = g_utf8_substring (s->message, 0,
                                                 MIN (len, CONVO_ECHO_CHARS));
      g_autofree char *echo = g_strconcat (start, len > CONVO_ECHO_CHARS
                                           ? "..." : "", NULL);
      g_strdelimit (echo, "\n", ' ');
      message = textf (st, T_CHECK_MESSAGE, echo, (guint) len);
    }
  else
    message = g_strdup (text (st, T_CHECK_NO_MESSAGE));
  body = g_strjoin ("\n", head, about, message, how, police, language,
                    text (st, T_CHECK_FOOT), NULL);
  /* The person's own words (who they trust, when it is safe) can make
   * this long: reply_add splits rather than cuts. */
  reply_add (st, texts[T_CHECK_HEAD].name, BUDGET_CHECK, body);
}

/* ------------------------------------------------------------------ */
/* The answers */

/* The sender's number as a report may carry it: an optional '+' and 7 to
 * 20 digits (report.c checks again). */
static gboolean
from_is_phone (const char *from)
{
  guint digits = 0;

  if (from == NULL)
    return FALSE;
  if (*from == '+')
    from++;
  for (; *from; from++)
    {
      if (g_ascii_isdigit (*from))
        digits++;
      else if (*from != ' ')
        return FALSE;
    }
  return digits >= 7 && digits <= 20;
}

static guint
n_langs (Step *st)
{
  guint n = 0;
  lang_all (&n);
  return n;
}

static guint n_menu (Step *st) { return 4; }
static guint n_categories (Step *st) { return G_N_ELEMENTS (categories); }
static guint n_contacts (Step *st) { return G_N_ELEMENTS (contact_methods); }
static guint n_yes_no (Step *st) { return 2; }

static guint
n_partners (Step *st)
{
  g_autoptr(GPtrArray) partners = step_partners (st);
  return partners->len;
}

static void
set_string (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static State
choose_lang (Step *st, guint n)
{
  const LangInfo *langs = lang_all (NULL);

  set_string (&st->session->lang, langs[n - 1].code);
  step_use_lang (st);
  return S_MENU;
}

static State
choose_menu (Step *st, guint n)
{
  switch (n)
    {
    case 1:
      reply_text (st, T_INFO1);
      reply_text (st, T_INFO2);
      reply_text (st, T_INFO_NEXT);
      return S_MENU | STAY; /* stay, without asking again */
    case 2:
      session_clear_draft (st->session);
      return S_CATEGORY;
    case 3:
      {
        g_autofree char *a = isolate (st, st->engine->helpline_domestic);
        g_autofree char *b = isolate (st, st->engine->helpline_slavery);
        g_autofree char *body = textf (st, T_SUPPORT, a, b);
        reply_add (st, texts[T_SUPPORT].name, texts[T_SUPPORT].budget, body);
        return S_MENU | STAY;
      }
    default:
      reply_text (st, T_EMERGENCY);
      return S_MENU | STAY;
    }
}

static State
choose_category (Step *st, guint n)
{
  set_string (&st->session->category, categories[n - 1].id);
  g_clear_pointer (&st->session->partner, g_free);
  return S_PARTNER;
}

static State
choose_partner (Step *st, guint n)
{
  g_autoptr(GPtrArray) partners = step_partners (st);
  const Partner *p = g_ptr_array_index (partners, n - 1);

  set_string (&st->session->partner, p->id);
  return S_CONTACT;
}

static State
choose_contact (Step *st, guint n)
{
  const char *method = contact_methods[n - 1];

  if ((g_str_equal (method, "phone") || g_str_equal (method, "sms"))
      && !from_is_phone (st->from))
    {
      /* No usable number (a provider that hides it): these two choices
       * cannot work. */
      reply_invalid (st, n_contacts (st));
      return S_CONTACT | STAY;
    }
  set_string (&st->session->contact, method);
  g_clear_pointer (&st->session->times, g_free);
  g_clear_pointer (&st->session->trusted, g_free);
  st->session->voicemail = -1;
  if (g_str_equal (method, "none"))
    return S_POLICE;
  if (g_str_equal (method, "trusted-person"))
    return S_TRUSTED;
  return S_TIMES;
}

/* A short answer (when, who) as a report field takes it: one line, no
 * control characters, at most REPORT_SHORT_FIELD_MAX bytes.  NULL (and a
 * reply) when it is too long. */
static char *
short_answer (Step *st, const char *answer)
{
  g_autofree char *line = g_strdup (answer);

  if (strlen (line) > REPORT_SHORT_FIELD_MAX)
    {
      g_autofree char *link = web_link (st);
      /* Four bytes per character at most: a limit true in every script. */
      g_autofree char *body = textf (st, T_TOO_LONG,
                                     (guint) (REPORT_SHORT_FIELD_MAX / 4), link);
      reply_add (st, texts[T_TOO_LONG].name, texts[T_TOO_LONG].budget, body);
      return NULL;
    }
  for (char *p = line; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return g_steal_pointer (&line);
}

static State
write_times (Step *st, const char *answer)
{
  g_autofree char *line = short_answer (st, answer);

  if (line == NULL)
    return st->session->state | STAY;
  set_string (&st->session->times, line);
  return g_strcmp0 (st->session->contact, "phone") == 0 ? S_VOICEMAIL : S_POLICE;
}

static State
zero_times (Step *st)
{
  return write_times (st, text (st, T_ANY_TIME));
}

static State
choose_voicemail (Step *st, guint n)
{
  st->session->voicemail = n == 1;
  return S_POLICE;
}

static State
write_trusted (Step *st, const char *answer)
{
  g_autofree char *line = short_answer (st, answer);

  if (line == NULL)
    return st->session->state | STAY;
  set_string (&st->session->trusted, line);
  return S_POLICE;
}

static State
choose_police (Step *st, guint n)
{
  st->session->police = n == 1;
  return S_MESSAGE;
}

static State
write_message (Step *st, const char *answer)
{
  set_string (&st->session->message, answer);
  return S_CHECK;
}

static State
zero_message (Step *st)
{
  g_clear_pointer (&st->session->message, g_free);
  return S_CHECK;
}

static State
write_more (Step *st, const char *answer)
{
  ConvoSession *s = st->session;
  g_autofree char *joined = s->message
                            ? g_strconcat (s->message, "\n", answer, NULL)
                            : g_strdup (answer);

  if (strlen (joined) > REPORT_MESSAGE_MAX)
    {
      g_autofree char *link = web_link (st);
      g_autofree char *body = textf (st, T_TOO_LONG,
                                     (guint) (REPORT_MESSAGE_MAX / 4), link);
      reply_add (st, texts[T_TOO_LONG].name, texts[T_TOO_LONG].budget, body);
      return S_CHECK | STAY;
    }
  set_string (&s->message, joined);
  return S_CHECK;
}

static Report *
step_build_report (Step *st)
{
  ConvoSession *s = st->session;
  const Partner *partner = partner_directory_lookup (st->engine->partners,
                                                     s->partner);
  Report *r = report_new ();
  gboolean by_phone = g_strcmp0 (s->contact, "phone") == 0
                      || g_strcmp0 (s->contact, "sms") == 0;

  /* report_new () may fill defaults: replace, never leak them. */
  r->created_at = st->now;
  set_string (&r->channel, "sms");
  set_string (&r->language, s->lang);
  set_string (&r->category, s->category);
  set_string (&r->partner, s->partner);
  set_string (&r->contact.method, s->contact ? s->contact : "none");
  if (by_phone)
    {
      r->contact.phone = g_strdup (st->from);
      r->contact.safe_times = g_strdup (s->times);
    }
  r->contact.voicemail_ok = s->voicemail == 1;
  r->contact.sms_ok = g_strcmp0 (s->contact, "sms") == 0;
  if (partner != NULL && !partner_speaks (partner, s->lang))
    r->contact.interpreter_language = g_strdup (s->lang);
  if (g_strcmp0 (s->contact, "trusted-person") == 0)
    r->contact.trusted_person = g_strdup (s->trusted);
  r->share_with_partner = TRUE;
  r->partner_may_tell_police = s->police == 1;
  r->message = g_strdup (s->message);
  r->site = g_strdup (st->engine->site);
  return r;
}

static State
choose_check (Step *st, guint n)
{
  ConvoSession *s = st->session;
  const Partner *partner = partner_directory_lookup (st->engine->partners,
                                                     s->partner);
  g_autoptr(Report) report = NULL;
  g_autoptr(GError) error = NULL;

  if (n == 2)
    return S_MORE;
  if (partner == NULL
      || !route_allows (st->engine->partners, partner, s->category, s->lang,
                        st->engine->area))
    return S_PARTNER; /* the directory changed under us: choose again */
  report = step_build_report (st);
  if (!report_validate (report, &error))
    {
      g_message ("convo: draft for %s not valid: %s", report->ref,
                 error->message);
      reply_text (st, T_NOT_SENT);
      return S_CHECK | STAY;
    }
  {
    g_autofree char *name = isolate (st, partner->name);
    g_autofree char *ref = isolate (st, report->ref);
    g_autofree char *link = web_link (st);
    g_autofree char *body = textf (st, T_SENT, name, ref, link);
    reply_add (st, texts[T_SENT].name, texts[T_SENT].budget, body);
  }
  st->result->effects |= CONVO_EFFECT_SUBMIT;
  st->result->report = g_steal_pointer (&report);
  /* The draft now lives only in the report the caller seals. */
  session_clear_draft (s);
  return S_MENU | STAY;
}

/* ------------------------------------------------------------------ */
/* The state table: for each state, its question, how many numbered
 * choices it takes (or free text), what a choice or a text does, and
 * where BACK goes.  A handler returns the next state (with STAY: already
 * answered, do not ask). */

#define BACK_BY_CONTACT N_STATES

typedef struct
{
  const char *name;
  void      (*ask)    (Step *st);
  guint     (*count)  (Step *st);                    /* NULL: free text */
  State     (*choose) (Step *st, guint n);
  State     (*write)  (Step *st, const char *text);
  State     (*zero)   (Step *st);                    /* "0" in a text state */
  State       back;
} StateRow;

static const StateRow states[N_STATES] = {
  [S_NEW]       = { "new", ask_lang, n_langs, choose_lang, NULL, NULL, S_LANG },
  [S_LANG]      = { "lang", ask_lang, n_langs, choose_lang, NULL, NULL, S_LANG },
  [S_MENU]      = { "menu", ask_menu, n_menu, choose_menu, NULL, NULL, S_LANG },
  [S_CATEGORY]  = { "category", ask_category, n_categories, choose_category, NULL, NULL, S_MENU },
  [S_PARTNER]   = { "partner", ask_partner, n_partners, choose_partner, NULL, NULL, S_CATEGORY },
  [S_CONTACT]   = { "contact", ask_contact, n_contacts, choose_contact, NULL, NULL, S_PARTNER },
  [S_TIMES]     = { "times", ask_times, NULL, NULL, write_times, zero_times, S_CONTACT },
  [S_VOICEMAIL] = { "voicemail", ask_voicemail, n_yes_no, choose_voicemail, NULL, NULL, S_TIMES },
  [S_TRUSTED]   = { "trusted", ask_trusted, NULL, NULL, write_trusted, NULL, S_CONTACT },
  [S_POLICE]    = { "police", ask_police, n_yes_no, choose_police, NULL, NULL, BACK_BY_CONTACT },
  [S_MESSAGE]   = { "message", ask_message, NULL, NULL, write_message, zero_message, S_POLICE },
  [S_CHECK]     = { "check", ask_check, n_yes_no, choose_check, NULL, NULL, S_MESSAGE },
  [S_MORE]      = { "more", ask_more, NULL, NULL, write_more, NULL, S_CHECK },
};

const char *
convo_session_state (const ConvoSession *session)
{
  g_return_val_if_fail (session != NULL, NULL);
  return states[session->state].name;
}

/* BACK from the police question depends on how contact was chosen. */
static State
state_back (const ConvoSession *s)
{
  State back = states[s->state].back;

  if (back != BACK_BY_CONTACT)
    return back;
  if (g_strcmp0 (s->contact, "phone") == 0)
    return S_VOICEMAIL;
  if (g_strcmp0 (s->contact, "sms") == 0)
    return S_TIMES;
  if (g_strcmp0 (s->contact, "trusted-person") == 0)
    return S_TRUSTED;
  return S_CONTACT;
}

static void
step_goto (Step *st, State next)
{
  gboolean quiet = (next & STAY) != 0;

  st->session->state = next & ~STAY;
  if (!quiet)
    states[st->session->state].ask (st);
}

/* ------------------------------------------------------------------ */
/* Keywords: the same in every state */

static void
keyword_do (Step *st, Keyword kw, const char *kw_lang)
{
  ConvoSession *s = st->session;

  /* Before a language is chosen, answer in the keyword's language. */
  if (s->lang == NULL && kw_lang != NULL)
    {
      set_string (&s->guess, kw_lang);
      step_use_lang (st);
    }
  switch (kw)
    {
    case KW_HELP:
      reply_text (st, T_HELP);
      if (s->lang == NULL)
        step_goto (st, S_LANG);
      return;
    case KW_STOP:
      reply_text (st, T_STOPPED);
      session_reset (s);
      s->stopped = TRUE;
      st->result->effects |= CONVO_EFFECT_STOP;
      return;
    case KW_DELETE:
      reply_text (st, T_DELETED);
      session_reset (s);
      st->result->effects |= CONVO_EFFECT_FORGET;
      return;
    case KW_BACK:
      step_goto (st, s->lang == NULL ? S_LANG : state_back (s));
      return;
    case KW_START:
    case KW_MENU:
      step_goto (st, s->lang == NULL ? S_LANG : S_MENU);
      return;
    case KW_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------ */
/* One step */

static void
step_input (Step *st, const char *raw)
{
  ConvoSession *s = st->session;
  const StateRow *row;
  g_autofree char *norm = NULL;
  g_autofree char *trimmed = NULL;
  g_autofree char *folded = NULL;
  const char *kw_lang = NULL;
  Keyword kw;
  guint number;

  /* Not even normalised: a huge text is refused unread. */
  if (strlen (raw) > 4 * (gsize) CONVO_TEXT_MAX)
    goto too_long;
  norm = sms_normalize (raw);
  /* Control characters (but line ends) have no place in a report. */
  for (char *p = norm; *p; p++)
    if (((guchar) *p < 0x20 && *p != '\n') || *p == 0x7f)
      *p = ' ';
  trimmed = g_strstrip (g_strdup (norm));
  if (g_utf8_strlen (trimmed, -1) > CONVO_TEXT_MAX)
    goto too_long;
  folded = input_fold (trimmed);
  kw = input_keyword (st->engine, folded, &kw_lang);

  if (s->stopped)
    {
      if (kw == KW_START)
        {
          s->stopped = FALSE;
          st->result->effects |= CONVO_EFFECT_START;
          keyword_do (st, kw, kw_lang);
        }
      else if (kw == KW_DELETE)
        {
          session_reset (s);
          st->result->effects |= CONVO_EFFECT_FORGET;
        }
      return;
    }
  if (kw != KW_NONE)
    {
      keyword_do (st, kw, kw_lang);
      return;
    }
  if (s->state == S_NEW)
    {
      /* First contact: guess, then let the person choose. */
      set_string (&s->guess, convo_guess_language (trimmed));
      step_use_lang (st);
      step_goto (st, S_LANG);
      return;
    }

  row = &states[s->state];
  number = input_number (folded);
  if (row->count != NULL)
    {
      guint max = row->count (st);

      if (max == 0)
        {
          /* Nothing left to choose from (the directory changed): the
           * question itself says what to do instead. */
          step_goto (st, st->session->state);
          return;
        }
      if (number >= 1 && number <= max)
        {
          step_goto (st, row->choose (st, number));
          return;
        }
      if (s->state == S_LANG)
        {
          /* A language's name works too; anything else re-asks, in the
           * language the new text looks like. */
          guint n = 0;
          const LangInfo *langs = lang_all (&n);
          for (guint i = 0; i < n; i++)
            {
              g_autofree char *native = input_fold (langs[i].native_name);
              g_autofree char *english = input_fold (langs[i].english_name);
              if (g_str_equal (folded, native) || g_str_equal (folded, english)
                  || g_str_equal (folded, langs[i].code))
                {
                  step_goto (st, choose_lang (st, i + 1));
                  return;
                }
            }
          if (trimmed[0] != '\0')
            set_string (&s->guess, convo_guess_language (trimmed));
          step_use_lang (st);
          ask_lang (st);
          return;
        }
      reply_invalid (st, max);
      return;
    }
  /* A free-text question. */
  if (trimmed[0] == '\0')
    {
      reply_text (st, T_EMPTY);
      return;
    }
  if (row->zero != NULL && input_is_zero (folded))
    {
      step_goto (st, row->zero (st));
      return;
    }
  step_goto (st, row->write (st, trimmed));
  return;

too_long:
  if (s->stopped)
    return;
  if (s->lang == NULL)
    {
      /* Nothing to say to a stranger about limits: offer languages. */
      step_goto (st, S_LANG);
      return;
    }
  {
    g_autofree char *link = web_link (st);
    g_autofree char *body = textf (st, T_TOO_LONG, (guint) CONVO_TEXT_MAX, link);
    reply_add (st, texts[T_TOO_LONG].name, texts[T_TOO_LONG].budget, body);
  }
}

static void
reply_free (gpointer data)
{
  ConvoReply *r = data;
  g_free (r->text);
  g_free (r);
}

static ConvoResult *
result_new (void)
{
  ConvoResult *result = g_new0 (ConvoResult, 1);
  result->replies = g_ptr_array_new_with_free_func (reply_free);
  return result;
}

void
convo_result_free (ConvoResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->replies);
  g_clear_pointer (&result->report, report_free);
  g_free (result);
}

ConvoResult *
convo_step (ConvoEngine *engine, ConvoSession *session, const char *from,
            const char *text_in, gint64 now)
{
  Step st = { engine, session, from, now, result_new (), 0, NULL };
  g_autofree char *valid = NULL;

  g_return_val_if_fail (engine != NULL && session != NULL, st.result);
  /* An expired session is wiped before anything reads it. */
  if (convo_session_expired (engine, session, now))
    session_reset (session);
  valid = g_utf8_make_valid (text_in ? text_in : "", -1);
  step_use_lang (&st);
  step_input (&st, valid);
  session->last_activity = now;
  return st.result;
}

ConvoResult *
convo_submit_failed (ConvoEngine *engine, ConvoSession *session,
                     const ConvoResult *sent, gint64 now)
{
  Step st = { engine, session, NULL, now, result_new (), 0, NULL };
  const Report *r;

  g_return_val_if_fail (engine && session && sent && sent->report, st.result);
  r = sent->report;
  session_clear_draft (session);
  set_string (&session->lang, r->language);
  session->category = g_strdup (r->category);
  session->partner = g_strdup (r->partner);
  session->contact = g_strdup (r->contact.method);
  session->times = g_strdup (r->contact.safe_times);
  session->trusted = g_strdup (r->contact.trusted_person);
  session->message = g_strdup (r->message);
  session->voicemail = r->contact.voicemail_ok ? 1 : 0;
  session->police = r->partner_may_tell_police ? 1 : 0;
  session->state = S_CHECK;
  session->last_activity = now;
  step_use_lang (&st);
  reply_text (&st, T_NOT_SENT);
  return st.result;
}

ConvoResult *
convo_notice (ConvoEngine *engine, const ConvoSession *session,
              ConvoNotice notice, const char *ref)
{
  ConvoSession *s = (ConvoSession *) session;
  Step st = { engine, s, NULL, 0, result_new (), 0, NULL };

  g_return_val_if_fail (engine != NULL, st.result);
  if (session != NULL && session->stopped)
    return st.result;
  step_use_lang (&st);
  switch (notice)
    {
    case CONVO_NOTICE_RATE_LIMITED:
      reply_text (&st, T_RATE_LIMITED);
      break;
    case CONVO_NOTICE_BUSY:
      reply_text (&st, T_BUSY);
      break;
    case CONVO_NOTICE_DELIVERED:
    default:
      {
        g_autofree char *code = isolate (&st, ref ? ref : "");
        g_autofree char *body = textf (&st, T_DELIVERED, code);
        reply_add (&st, texts[T_DELIVERED].name, texts[T_DELIVERED].budget,
                   body);
      }
      break;
    }
  return st.result;
}

/* ------------------------------------------------------------------ */
/* Engine */

ConvoEngine *
convo_engine_new (const ConvoConfig *config)
{
  ConvoEngine *engine;

  g_return_val_if_fail (config != NULL && config->partners != NULL, NULL);
  engine = g_new0 (ConvoEngine, 1);
  engine->partners = config->partners;
  engine->public_url = g_strdup (config->public_url ? config->public_url
                                 : "http://127.0.0.1:8081");
  engine->idle_timeout = config->idle_timeout > 0 ? config->idle_timeout
                         : CONVO_IDLE_DEFAULT;
  engine->area = g_strdup (config->area);
  engine->site = g_strdup (config->site);
  engine->helpline_domestic = g_strdup (config->helpline_domestic
                                        ? config->helpline_domestic
                                        : "0808 2000 247");
  engine->helpline_slavery = g_strdup (config->helpline_slavery
                                       ? config->helpline_slavery
                                       : "08000 121 700");
  engine->keywords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  engine->keyword_lang = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                g_free, g_free);
  lang_all (&engine->n_langs);
  engine_load_catalogs (engine);
  engine_compose_fixed (engine);
  return engine;
}

void
convo_engine_free (ConvoEngine *engine)
{
  if (engine == NULL)
    return;
  g_free (engine->public_url);
  g_free (engine->area);
  g_free (engine->site);
  g_free (engine->helpline_domestic);
  g_free (engine->helpline_slavery);
  g_hash_table_unref (engine->keywords);
  g_hash_table_unref (engine->keyword_lang);
  for (guint i = 0; i < engine->n_langs * N_TEXTS; i++)
    {
      g_free (engine->msgstr[i]);
      g_free (engine->fixed_replies[i].text);
    }
  g_free (engine->msgstr);
  g_free (engine->fixed_replies);
  g_free (engine);
}

/* ------------------------------------------------------------------ */
/* Serialisation.
 *
 * Version 2, written since 0.1.0: the version byte, then NUL-terminated
 * UTF-8 strings: language, guessed language, state, last activity (in
 * decimal), stopped ("0" or "1"), and the draft as key, value pairs to
 * the end, so a field can be added without a new version.  Building the
 * same in a GVariant (version 1) was a twentieth of the gateway's
 * instructions per message under load; version 1 is still read. */

#define CONVO_SESSION_V1 1
#define CONVO_SESSION_V1_TYPE "(ysssxba{ss})"

static void
bytes_put (GByteArray *out, const char *value)
{
  g_byte_array_append (out, (const guint8 *) value, strlen (value) + 1);
}

/* The draft's answers under their stored names, for the writer and for
 * both readers: text answers (NULL: not given) and yes/no answers (-1:
 * not asked; stored "1" or "0"). */
static const struct { const char *key; gsize offset; } draft_texts[] = {
  { "category", G_STRUCT_OFFSET (ConvoSession, category) },
  { "partner",  G_STRUCT_OFFSET (ConvoSession, partner) },
  { "contact",  G_STRUCT_OFFSET (ConvoSession, contact) },
  { "times",    G_STRUCT_OFFSET (ConvoSession, times) },
  { "trusted",  G_STRUCT_OFFSET (ConvoSession, trusted) },
  { "message",  G_STRUCT_OFFSET (ConvoSession, message) },
}, draft_flags[] = {
  { "voicemail", G_STRUCT_OFFSET (ConvoSession, voicemail) },
  { "police",    G_STRUCT_OFFSET (ConvoSession, police) },
};

GBytes *
convo_session_to_bytes (const ConvoSession *s)
{
  GByteArray *out;
  guint8 version = CONVO_SESSION_VERSION;
  char last[24];   /* a gint64 in decimal */

  g_return_val_if_fail (s != NULL, NULL);
  out = g_byte_array_sized_new (64);
  g_byte_array_append (out, &version, 1);
  bytes_put (out, s->lang ? s->lang : "");
  bytes_put (out, s->guess ? s->guess : "");
  bytes_put (out, states[s->state].name);
  g_snprintf (last, sizeof last, "%" G_GINT64_FORMAT, s->last_activity);
  bytes_put (out, last);
  bytes_put (out, s->stopped ? "1" : "0");
  for (gsize i = 0; i < G_N_ELEMENTS (draft_texts); i++)
    {
      const char *value = G_STRUCT_MEMBER (char *, s, draft_texts[i].offset);

      if (value != NULL)
        {
          bytes_put (out, draft_texts[i].key);
          bytes_put (out, value);
        }
    }
  for (gsize i = 0; i < G_N_ELEMENTS (draft_flags); i++)
    {
      int value = G_STRUCT_MEMBER (int, s, draft_flags[i].offset);

      if (value >= 0)
        {
          bytes_put (out, draft_flags[i].key);
          bytes_put (out, value ? "1" : "0");
        }
    }
  return g_byte_array_free_to_bytes (out);
}

static gboolean
session_corrupt (GError **error, const char *why)
{
  g_set_error (error, CONVO_ERROR, CONVO_ERROR_CORRUPT,
               "stored SMS session: %s", why);
  return FALSE;
}

static gboolean
session_set_lang (char **field, const char *value, GError **error)
{
  if (value[0] == '\0')
    return TRUE;
  if (lang_lookup (value) == NULL)
    return session_corrupt (error, "unknown language");
  *field = g_strdup (value);
  return TRUE;
}

/* What both versions share: the fixed fields, then the draft. */
static gboolean
session_set_head (ConvoSession *s, const char *lang, const char *guess,
                  const char *state, GError **error)
{
  if (!session_set_lang (&s->lang, lang, error)
      || !session_set_lang (&s->guess, guess, error))
    return FALSE;
  for (int i = 0; i < N_STATES; i++)
    if (g_str_equal (states[i].name, state))
      {
        s->state = (State) i;
        return TRUE;
      }
  return session_corrupt (error, "unknown state");
}

/* Unknown keys: a newer writer's; ignored. */
static void
session_set_draft (ConvoSession *s, const char *key, const char *value)
{
  for (gsize i = 0; i < G_N_ELEMENTS (draft_texts); i++)
    if (g_str_equal (key, draft_texts[i].key))
      set_string (&G_STRUCT_MEMBER (char *, s, draft_texts[i].offset), value);
  for (gsize i = 0; i < G_N_ELEMENTS (draft_flags); i++)
    if (g_str_equal (key, draft_flags[i].key))
      G_STRUCT_MEMBER (int, s, draft_flags[i].offset) = g_str_equal (value, "1");
}

/* Each question needs the answers before it: a stored session that skips
 * one would build a report from holes. */
static gboolean
session_check_draft (const ConvoSession *s, GError **error)
{
  gboolean contact_known = FALSE;

  for (gsize i = 0; s->contact && i < G_N_ELEMENTS (contact_methods); i++)
    contact_known |= g_str_equal (s->contact, contact_methods[i]);
  if (s->state > S_LANG && s->lang == NULL)
    return session_corrupt (error, "no language");
  if (s->category != NULL && !report_is_category (s->category))
    return session_corrupt (error, "unknown category");
  if (s->contact != NULL && !contact_known)
    return session_corrupt (error, "unknown contact method");
  if (s->state > S_CATEGORY && s->category == NULL)
    return session_corrupt (error, "no category");
  if (s->state > S_PARTNER && s->partner == NULL)
    return session_corrupt (error, "no partner");
  if (s->state > S_CONTACT && s->contact == NULL)
    return session_corrupt (error, "no contact method");
  return TRUE;
}

static gboolean
session_parse_v1 (ConvoSession *s, GBytes *bytes, GError **error)
{
  g_autoptr(GVariant) v = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  guchar version = 0;
  const char *lang, *guess, *state, *key, *value;

  v = g_variant_ref_sink (g_variant_new_from_bytes
                          (G_VARIANT_TYPE (CONVO_SESSION_V1_TYPE), bytes, FALSE));
  if (!g_variant_is_normal_form (v))
    return session_corrupt (error, "not a session");
  g_variant_get (v, "(y&s&s&sxba{ss})", &version, &lang, &guess, &state,
                 &s->last_activity, &s->stopped, &iter);
  /* A UNIX time: a negative one would overflow the idle arithmetic. */
  if (s->last_activity < 0)
    return session_corrupt (error, "not a session");
  if (!session_set_head (s, lang, guess, state, error))
    return FALSE;
  while (g_variant_iter_next (iter, "{&s&s}", &key, &value))
    session_set_draft (s, key, value);
  return TRUE;
}

/* The field at *AT of DATA (SIZE bytes), or NULL past the end; moves
 * *AT to the next.  The caller has checked that DATA ends in a NUL. */
static const char *
field_take (const char *data, gsize size, gsize *at)
{
  const char *field = *at < size ? data + *at : NULL;

  if (field != NULL)
    *at += strlen (field) + 1;
  return field;
}

/* DATA, SIZE: what follows the version byte. */
static gboolean
session_parse_v2 (ConvoSession *s, const char *data, gsize size, GError **error)
{
  const char *lang, *guess, *state, *last, *stopped, *key, *value;
  guint64 flag = 0;
  gsize at = 0;

  /* Every string ends in a NUL, the last one too. */
  if (size == 0 || data[size - 1] != '\0')
    return session_corrupt (error, "not a session");
  for (const char *field; (field = field_take (data, size, &at)) != NULL;)
    if (!g_utf8_validate (field, -1, NULL))
      return session_corrupt (error, "not UTF-8");
  at = 0;
  lang = field_take (data, size, &at);
  guess = field_take (data, size, &at);
  state = field_take (data, size, &at);
  last = field_take (data, size, &at);
  stopped = field_take (data, size, &at);
  if (stopped == NULL
      || !g_ascii_string_to_signed (last, 10, 0, G_MAXINT64, &s->last_activity, NULL)
      || !g_ascii_string_to_unsigned (stopped, 10, 0, 1, &flag, NULL))
    return session_corrupt (error, "not a session");
  s->stopped = flag == 1;
  if (!session_set_head (s, lang, guess, state, error))
    return FALSE;
  while ((key = field_take (data, size, &at)) != NULL)
    {
      if ((value = field_take (data, size, &at)) == NULL)
        return session_corrupt (error, "not a session");
      session_set_draft (s, key, value);
    }
  return TRUE;
}

ConvoSession *
convo_session_from_bytes (GBytes *bytes, GError **error)
{
  g_autoptr(ConvoSession) s = convo_session_new ();
  gsize size = 0;
  const char *data;

  g_return_val_if_fail (bytes != NULL, NULL);
  data = g_bytes_get_data (bytes, &size);
  if (size == 0)
    {
      session_corrupt (error, "empty");
      return NULL;
    }
  switch ((guchar) data[0])
    {
    case CONVO_SESSION_V1:
      if (!session_parse_v1 (s, bytes, error))
        return NULL;
      break;
    case CONVO_SESSION_VERSION:
      if (!session_parse_v2 (s, data + 1, size - 1, error))
        return NULL;
      break;
    default:
      if ((guchar) data[0] > CONVO_SESSION_VERSION)
        g_set_error (error, CONVO_ERROR, CONVO_ERROR_VERSION,
                     "stored SMS session: version %u is newer than %u",
                     (guchar) data[0], CONVO_SESSION_VERSION);
      else
        session_corrupt (error, "not a session");
      return NULL;
    }
  if (!session_check_draft (s, error))
    return NULL;
  return g_steal_pointer (&s);
}
