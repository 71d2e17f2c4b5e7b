/* The SMS conversation engine: every path, keywords, BACK, timeouts,
 * invalid, empty and very long input, mixed scripts, STOP/START, DELETE,
 * discreet first replies, and every reply within its segment budget.
 *
 * Each step goes through convo_session_to_bytes/from_bytes, as the
 * gateway stores it, so serialisation is tested on every path.  Languages
 * are rows of langs[]: a language whose catalog has not landed yet runs
 * the same paths (in English text) and gets stricter once it has. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "convo.h"
#include "lang.h"
#include "route.h"
#include "sms.h"

#define FROM "+447700900123"
#define IDLE 600

typedef struct
{
  const char *code;
  guint       choice;      /* its number on the language list */
  const char *hello;       /* a first message in the language */
  /* Keyword words, as a person would type them. */
  const char *help, *stop, *start, *menu, *back, *del;
  const char *digit2;      /* "2" in the language's digits */
  /* "phone company" as the translation of the explainer puts it. */
  const char *phone_company;
} LangRow;

static const LangRow langs[] = {
  { "en", 1, "hi, can you help me please", "help", "Stop", "START", "menu",
    "Back.", "delete", "2", "phone company" },
  { "pa", 2, "ਸਤ ਸ੍ਰੀ ਅਕਾਲ, ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ ਹੈ", "ਮਦਦ", "ਬੰਦ", "ਸ਼ੁਰੂ", "ਮੀਨੂ",
    "ਪਿੱਛੇ", "ਮਿਟਾਓ", "੨", "ਫ਼ੋਨ ਕੰਪਨੀ" },
  { "ur", 3, "السلام علیکم، مجھے مدد چاہیے", "مدد", "بند", "شروع", "مینو",
    "واپس", "مٹائیں", "۲", "فون کمپنی" },
  { "ar", 4, "مرحبا، أحتاج إلى مساعدة", "مساعدة", "توقف", "ابدأ", "قائمة",
    "رجوع", "حذف", "٢", "شركة الهاتف" },
  { "so", 5, "Salaan, waxaan u baahanahay caawimaad", "caawi", "JOOJI",
    "bilow", "liis", "dib", "tirtir", "2",
    "hirkadda taleefan" },
  { "sq", 6, "Përshëndetje, kam nevojë për ndihmë", "ndihmë", "ndalo",
    "fillo", "meny", "mbrapa", "fshi", "2",
    "ompania e telefonit" },
};

/* Words that must not appear in the first reply to an unknown sender. */
static const char *const sensitive[] = {
  "abuse", "violence", "police", "report", "crime", "immigration",
  "home office", "trafficking", "slavery", "fgm", "victim", "marriage",
  "honour", "sexual", "danger", "support group", NULL,
};

typedef struct
{
  PartnerDirectory *dir;
  ConvoEngine      *engine;
  ConvoSession     *session;
  gint64            now;
  const char       *from;
} Fixture;

static Partner *
make_partner (const char *id, const char *name, const char *services,
              const char *languages, PartnerPolice police)
{
  Partner *p = partner_new ();

  p->id = g_strdup (id);
  p->name = g_strdup (name);
  p->kind = PARTNER_KIND_SUPPORT;
  g_strfreev (p->services);
  p->services = g_strsplit (services, ",", -1);
  g_strfreev (p->languages);
  p->languages = g_strsplit (languages, ",", -1);
  g_strfreev (p->areas);
  p->areas = g_strsplit ("*", ",", -1);
  p->interpreters = TRUE;
  p->delivery = PARTNER_DELIVERY_PULL;
  p->pull_token = g_strdup_printf ("token-%s", id);
  p->public_key[0] = 1;
  p->may_tell_police = police;
  return p;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  ConvoConfig config = { 0 };
  g_autoptr(GError) error = NULL;

  f->dir = partner_directory_new ();
  /* Nobody takes hate crime, so that path ends at "no-partner". */
  partner_directory_add (f->dir, make_partner ("safe-haven", "Safe Haven Women’s Aid",
                                               "domestic-abuse,honour-based-abuse,forced-marriage,fgm,sexual-violence,other",
                                               "en,ur,pa", PARTNER_POLICE_IF_YOU_AGREE),
                         &error);
  g_assert_no_error (error);
  partner_directory_add (f->dir, make_partner ("unseen", "Unseen Helpline",
                                               "modern-slavery,domestic-abuse",
                                               "en,ar,so,sq", PARTNER_POLICE_ONLY_DANGER),
                         &error);
  g_assert_no_error (error);
  config.partners = f->dir;
  config.public_url = "https://sms.example.org/";
  config.idle_timeout = IDLE;
  config.site = "test-gateway";
  f->engine = convo_engine_new (&config);
  f->session = convo_session_new ();
  f->now = 1800000000;
  f->from = FROM;
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  convo_session_free (f->session);
  convo_engine_free (f->engine);
  partner_directory_free (f->dir);
}

/* One step, through the stored form, with every reply checked. */
static ConvoResult *
step (Fixture *f, const char *text)
{
  ConvoResult *r;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  f->now += 10;
  r = convo_step (f->engine, f->session, f->from, text, f->now);
  g_assert_nonnull (r);
  for (guint i = 0; i < r->replies->len; i++)
    {
      const ConvoReply *reply = g_ptr_array_index (r->replies, i);
      guint segments = sms_segments (reply->text);

      if (segments > reply->budget)
        g_test_message ("over budget (%u > %u): %s", segments, reply->budget,
                        reply->text);
      g_assert_cmpuint (segments, <=, reply->budget);
      g_assert_true (g_utf8_validate (reply->text, -1, NULL));
      g_assert_cmpstr (reply->text, !=, "");
    }
  g_assert_cmpstr (lang_current (), ==, "en");  /* restored */
  bytes = convo_session_to_bytes (f->session);
  convo_session_free (f->session);
  f->session = convo_session_from_bytes (bytes, &error);
  g_assert_no_error (error);
  return r;
}

/* The replies' names, comma-separated. */
static char *
names (const ConvoResult *r)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < r->replies->len; i++)
    {
      const ConvoReply *reply = g_ptr_array_index (r->replies, i);
      g_string_append_printf (s, "%s%s", i ? "," : "", reply->name);
    }
  return g_string_free (s, FALSE);
}

static const char *
reply_text (const ConvoResult *r, guint i)
{
  g_assert_cmpuint (i, <, r->replies->len);
  return ((const ConvoReply *) g_ptr_array_index (r->replies, i))->text;
}

/* Sends TEXT, asserts the replies' names, returns the result. */
static ConvoResult *
expect (Fixture *f, const char *text, const char *want)
{
  ConvoResult *r = step (f, text);
  g_autofree char *got = names (r);

  if (g_strcmp0 (got, want) != 0)
    g_test_message ("sent \"%.40s\" in state %s: got %s, want %s", text,
                    convo_session_state (f->session), got, want);
  g_assert_cmpstr (got, ==, want);
  return r;
}

static void
expect_free (Fixture *f, const char *text, const char *want)
{
  convo_result_free (expect (f, text, want));
}

/* The translation of a msgid in CODE (English if no catalog yet). */
static char *
translated (const char *code, const char *msgid)
{
  const char *previous = lang_use (code);
  g_autofree char *t = sms_normalize (_(msgid));
  lang_use (previous);
  return g_steal_pointer (&t);
}

static const char *
msgid_of (const char *name)
{
  for (const ConvoText *t = convo_texts (); t->msgid; t++)
    if (g_str_equal (t->name, name))
      return t->msgid;
  g_assert_not_reached ();
}

static void
start_in (Fixture *f, const LangRow *row)
{
  g_autofree char *choice = g_strdup_printf ("%u", row->choice);

  expect_free (f, row->hello, "lang-prompt");
  expect_free (f, choice, "menu");
  g_assert_cmpstr (convo_session_language (f->session), ==, row->code);
}

/* ------------------------------------------------------------------ */

static void
test_first_contact (Fixture *f, gconstpointer data)
{
  const LangRow *row = data;
  g_autoptr(ConvoResult) r = step (f, row->hello);
  g_autofree char *prompt = translated (row->code, msgid_of ("lang-prompt"));
  g_autofree char *folded = NULL;

  /* Only the language question, in the language guessed, with every
   * language in its own script. */
  g_assert_cmpuint (r->replies->len, ==, 1);
  g_assert_true (g_str_has_prefix (reply_text (r, 0), prompt));
  g_assert_nonnull (strstr (reply_text (r, 0), "ਪੰਜਾਬੀ"));
  g_assert_nonnull (strstr (reply_text (r, 0), "اردو"));
  g_assert_nonnull (strstr (reply_text (r, 0), "العربية"));
  g_assert_nonnull (strstr (reply_text (r, 0), "Soomaali"));
  g_assert_nonnull (strstr (reply_text (r, 0), "Shqip"));
  g_assert_cmpint (r->effects, ==, CONVO_EFFECT_NONE);
  g_assert_null (convo_session_language (f->session));
  folded = g_utf8_casefold (reply_text (r, 0), -1);
  for (guint i = 0; sensitive[i]; i++)
    g_assert_null (strstr (folded, sensitive[i]));
}

/* Whatever a stranger's first text says, the first reply is discreet. */
static void
test_first_reply_discreet (Fixture *f, gconstpointer data)
{
  const char *firsts[] = {
    "I want to report abuse by my husband", "police", "2", "", "HELP",
    "menu", "back", "Help me please he hits me", "1", "START",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (firsts); i++)
    {
      g_autoptr(ConvoSession) fresh = convo_session_new ();
      g_autoptr(ConvoResult) r = NULL;

      convo_session_free (f->session);
      f->session = g_steal_pointer (&fresh);
      r = step (f, firsts[i]);
      g_assert_cmpuint (r->replies->len, >=, 1);
      for (guint j = 0; j < r->replies->len; j++)
        {
          g_autofree char *folded = g_utf8_casefold (reply_text (r, j), -1);
          for (guint k = 0; sensitive[k]; k++)
            if (strstr (folded, sensitive[k]) != NULL)
              g_error ("first reply to \"%s\" says \"%s\": %s", firsts[i],
                       sensitive[k], reply_text (r, j));
        }
    }
}

static void
test_choose_language (Fixture *f, gconstpointer data)
{
  /* By number in other digits, by name, by code: and junk re-asks. */
  expect_free (f, "hello", "lang-prompt");
  expect_free (f, "what?", "lang-prompt");
  expect_free (f, "9", "lang-prompt");
  expect_free (f, "", "lang-prompt");
  expect_free (f, "  Soomaali ", "menu");
  g_assert_cmpstr (convo_session_language (f->session), ==, "so");
  expect_free (f, "back", "lang-prompt");
  expect_free (f, "اردو", "menu");
  g_assert_cmpstr (convo_session_language (f->session), ==, "ur");
  expect_free (f, "menu", "menu");
  expect_free (f, "back", "lang-prompt");
  expect_free (f, "٤", "menu");
  g_assert_cmpstr (convo_session_language (f->session), ==, "ar");
  expect_free (f, "back", "lang-prompt");
  expect_free (f, "albanian", "menu");
  g_assert_cmpstr (convo_session_language (f->session), ==, "sq");
}

static void
test_guess (Fixture *f, gconstpointer data)
{
  /* Mixed scripts: the script with most letters sets the question's
   * language; the person still chooses. */
  struct { const char *text, *lang; } cases[] = {
    { "hello مجھے مدد چاہیے ٹھیک ہے", "ur" },
    { "ok ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ", "pa" },
    { "مرحبا hi", "ar" },
    { "waxaan rabaa caawimaad", "so" },
    { "une jam ketu", "sq" },
    { "ç", "sq" },
    { "hello", "en" },
    { "😀", "en" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(ConvoResult) r = NULL;
      g_autofree char *prompt = translated (cases[i].lang,
                                            msgid_of ("lang-prompt"));

      convo_session_free (f->session);
      f->session = convo_session_new ();
      r = expect (f, cases[i].text, "lang-prompt");
      g_assert_true (g_str_has_prefix (reply_text (r, 0), prompt));
    }
}

static void
test_menu_paths (Fixture *f, gconstpointer data)
{
  const LangRow *row = data;
  g_autoptr(ConvoResult) support = NULL;
  g_autoptr(ConvoResult) emergency = NULL;
  g_autoptr(ConvoResult) info = NULL;

  start_in (f, row);
  info = expect (f, "1", "info1,info2,info-next");
  /* CONTENT.md: in every language, the phone company sees texts. */
  {
    g_autofree char *both = g_strjoin (" ", reply_text (info, 0),
                                       reply_text (info, 1), NULL);

    if (strstr (both, row->phone_company) == NULL)
      g_error ("the %s SMS explainer never says the phone company sees texts",
               row->code);
  }
  if (g_str_equal (row->code, "en"))
    {
      g_autofree char *all = g_strjoin (" ", reply_text (info, 0),
                                        reply_text (info, 1), NULL);
      /* CONTENT.md: only the chosen group, never the Home Office, you see
       * what is shared, police only if you agree, no name needed, the
       * phone company sees texts. */
      g_assert_nonnull (strstr (all, "only to the support group you choose"));
      g_assert_nonnull (strstr (all, "never send anything to the Home Office"));
      g_assert_nonnull (strstr (all, "what will be shared"));
      g_assert_nonnull (strstr (all, "police only if you agree"));
      g_assert_nonnull (strstr (all, "do not have to give your name"));
      g_assert_nonnull (strstr (all, "phone company can see text messages"));
    }
  support = expect (f, "3", "support");
  g_assert_nonnull (strstr (reply_text (support, 0), "0808 2000 247"));
  g_assert_nonnull (strstr (reply_text (support, 0), "08000 121 700"));
  emergency = expect (f, "4", "emergency");
  g_assert_nonnull (strstr (reply_text (emergency, 0), "999"));
  g_assert_nonnull (strstr (reply_text (emergency, 0), "55"));
  /* Still at the menu: 2 starts a report. */
  expect_free (f, row->digit2, "category");
}

/* The whole report path: returns the submitted report's result. */
static ConvoResult *
walk_report (Fixture *f, const char *contact, const char *message)
{
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  expect_free (f, "1", "contact");
  if (g_str_equal (contact, "1"))
    expect_free (f, "1", "police");
  else if (g_str_equal (contact, "2"))
    {
      expect_free (f, "2", "times");
      expect_free (f, "weekdays 10-12", "voicemail");
      expect_free (f, "2", "police");
    }
  else if (g_str_equal (contact, "3"))
    {
      expect_free (f, "3", "times");
      expect_free (f, "0", "police");
    }
  else
    {
      expect_free (f, "4", "trusted");
      expect_free (f, "My sister Amina 07700 900456", "police");
    }
  /* Only the phone path says no to the police. */
  expect_free (f, g_str_equal (contact, "2") ? "2" : "1", "message");
  expect_free (f, message, "check");
  return expect (f, "1", "sent");
}

static void
test_report_paths (Fixture *f, gconstpointer data)
{
  const LangRow *row = data;
  const char *contacts[] = { "1", "2", "3", "4" };

  start_in (f, row);
  for (gsize i = 0; i < G_N_ELEMENTS (contacts); i++)
    {
      g_autoptr(ConvoResult) r = walk_report (f, contacts[i],
                                              "He took my passport and will not give it back.");
      Report *report = r->report;
      g_autoptr(GError) error = NULL;
      g_autofree char *link = g_strdup_printf ("https://sms.example.org/%s/report",
                                               row->code);

      g_assert_cmpint (r->effects, ==, CONVO_EFFECT_SUBMIT);
      g_assert_nonnull (report);
      g_assert_true (report_validate (report, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (report->channel, ==, "sms");
      g_assert_cmpstr (report->language, ==, row->code);
      g_assert_cmpstr (report->category, ==, "domestic-abuse");
      g_assert_cmpstr (report->site, ==, "test-gateway");
      g_assert_true (report->share_with_partner);
      g_assert_cmpint (report->created_at, ==, f->now);
      g_assert_cmpstr (report->message, ==,
                       "He took my passport and will not give it back.");
      /* The reference and the web wizard's link, whole in any script. */
      g_assert_nonnull (strstr (reply_text (r, 0), report->ref));
      g_assert_nonnull (strstr (reply_text (r, 0), link));
      g_assert_true (route_allows (f->dir, partner_directory_lookup (f->dir, report->partner),
                                   report->category, report->language, NULL));
      switch (i)
        {
        case 0:
          g_assert_cmpstr (report->contact.method, ==, "none");
          g_assert_null (report->contact.phone);
          g_assert_true (report->partner_may_tell_police);
          break;
        case 1:
          g_assert_cmpstr (report->contact.method, ==, "phone");
          g_assert_cmpstr (report->contact.phone, ==, FROM);
          g_assert_cmpstr (report->contact.safe_times, ==, "weekdays 10-12");
          g_assert_false (report->contact.voicemail_ok);
          g_assert_false (report->partner_may_tell_police);
          break;
        case 2:
          g_assert_cmpstr (report->contact.method, ==, "sms");
          g_assert_cmpstr (report->contact.phone, ==, FROM);
          g_assert_true (report->contact.sms_ok);
          break;
        default:
          g_assert_cmpstr (report->contact.method, ==, "trusted-person");
          g_assert_null (report->contact.phone);
          g_assert_cmpstr (report->contact.trusted_person, ==,
                           "My sister Amina 07700 900456");
        }
      /* The draft is gone from the session once the report is out. */
      {
        g_autoptr(GBytes) bytes = convo_session_to_bytes (f->session);
        gsize size = 0;
        const char *data_ = g_bytes_get_data (bytes, &size);
        g_assert_null (g_strstr_len (data_, (gssize) size, "passport"));
        g_assert_cmpstr (convo_session_state (f->session), ==, "menu");
      }
    }
}

static void
test_check_message (Fixture *f, gconstpointer data)
{
  g_autoptr(ConvoResult) check = NULL;
  const char *text;

  start_in (f, &langs[0]);
  expect_free (f, "2", "category");
  expect_free (f, "5", "partners");   /* modern slavery: Unseen only */
  expect_free (f, "1", "contact");
  expect_free (f, "3", "times");
  expect_free (f, "evenings", "police");
  expect_free (f, "1", "message");
  check = expect (f, "They keep us in a house and take our wages, we work every day.",
                  "check");
  text = reply_text (check, 0);
  /* Exactly what goes, to whom. */
  g_assert_nonnull (strstr (text, "Only Unseen Helpline will get:"));
  g_assert_nonnull (strstr (text, "Forced work or trafficking"));
  g_assert_nonnull (strstr (text, "They keep us in a house and ta..."));
  g_assert_nonnull (strstr (text, "(62 characters)"));
  g_assert_nonnull (strstr (text, "text " FROM ", evenings"));
  g_assert_nonnull (strstr (text, "they may tell them"));
  g_assert_nonnull (strstr (text, "English"));
  g_assert_nonnull (strstr (text, "Home Office"));
  /* Add more, then send. */
  expect_free (f, "2", "more");
  expect_free (f, "", "empty");
  expect_free (f, "Also my friend.", "check");
  {
    g_autoptr(ConvoResult) sent = expect (f, "1", "sent");
    g_assert_cmpstr (sent->report->message, ==,
                     "They keep us in a house and take our wages, we work every day.\n"
                     "Also my friend.");
    g_assert_cmpstr (sent->report->partner, ==, "unseen");
    g_assert_true (sent->report->contact.sms_ok);
  }
}

static void
test_partner_cards (Fixture *f, gconstpointer data)
{
  g_autoptr(ConvoResult) r = NULL;
  const char *text;

  start_in (f, &langs[4]);   /* Somali: Unseen speaks it, Safe Haven not */
  expect_free (f, "2", "category");
  r = expect (f, "1", "partners");
  text = reply_text (r, 0);
  g_assert_nonnull (strstr (text, "1 Unseen Helpline"));
  g_assert_nonnull (strstr (text, "2 Safe Haven Women's Aid"));
  /* The curly apostrophe in the configured name did not cost UCS-2. */
  g_assert_cmpint (sms_encoding (text), ==, SMS_ENCODING_GSM7);
  expect_free (f, "3", "invalid");
  expect_free (f, "2", "contact");
}

static void
test_no_partner (Fixture *f, gconstpointer data)
{
  g_autoptr(ConvoResult) r = NULL;

  start_in (f, &langs[0]);
  expect_free (f, "2", "category");
  r = expect (f, "7", "no-partner");   /* hate crime: nobody here */
  g_assert_nonnull (strstr (reply_text (r, 0), "0808 2000 247"));
  g_assert_cmpstr (convo_session_state (f->session), ==, "menu");
  expect_free (f, "4", "emergency");
}

/* BACK from every question goes to the one before it. */
static void
test_back_everywhere (Fixture *f, gconstpointer data)
{
  const LangRow *row = data;

  g_autofree char *choice = g_strdup_printf ("%u", row->choice);

  start_in (f, row);
  expect_free (f, row->back, "lang-prompt");
  expect_free (f, choice, "menu");
  expect_free (f, "2", "category");
  expect_free (f, row->back, "menu");
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  expect_free (f, row->back, "category");
  expect_free (f, "1", "partners");
  expect_free (f, "1", "contact");
  expect_free (f, row->back, "partners");
  expect_free (f, "1", "contact");
  expect_free (f, "2", "times");
  expect_free (f, row->back, "contact");
  expect_free (f, "2", "times");
  expect_free (f, "mornings", "voicemail");
  expect_free (f, row->back, "times");
  expect_free (f, "mornings", "voicemail");
  expect_free (f, "1", "police");
  expect_free (f, row->back, "voicemail");
  expect_free (f, "1", "police");
  expect_free (f, "1", "message");
  expect_free (f, row->back, "police");
  expect_free (f, "2", "message");
  expect_free (f, "hello", "check");
  expect_free (f, row->back, "message");
  expect_free (f, "0", "check");
  expect_free (f, "2", "more");
  expect_free (f, row->back, "check");
  /* BACK from the police question follows the contact chosen. */
  expect_free (f, row->back, "message");
  expect_free (f, row->back, "police");
  expect_free (f, row->back, "voicemail");
  expect_free (f, row->back, "times");
  expect_free (f, row->back, "contact");
  expect_free (f, "4", "trusted");
  expect_free (f, row->back, "contact");
  expect_free (f, "4", "trusted");
  expect_free (f, "a friend", "police");
  expect_free (f, row->back, "trusted");
  expect_free (f, "a friend", "police");
  expect_free (f, "1", "message");
  expect_free (f, "hi", "check");
  expect_free (f, "1", "sent");
}

static void
test_keywords (Fixture *f, gconstpointer data)
{
  const LangRow *row = data;
  g_autoptr(ConvoResult) stop = NULL;
  g_autoptr(ConvoResult) start = NULL;
  g_autoptr(ConvoResult) del = NULL;
  g_autofree char *stop_loud = g_strdup_printf (" %s! ", row->stop);

  /* HELP before a language is chosen answers in the keyword's language
   * and then offers the languages. */
  expect_free (f, row->help, "help,lang-prompt");
  start_in (f, row);
  expect_free (f, "2", "category");
  expect_free (f, row->help, "help");
  g_assert_cmpstr (convo_session_state (f->session), ==, "category");
  expect_free (f, row->menu, "menu");
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  /* A keyword inside a sentence is just text (a report may say "help"). */
  expect_free (f, "1", "contact");
  expect_free (f, "1", "police");
  expect_free (f, "1", "message");
  {
    g_autofree char *sentence = g_strdup_printf ("please %s me", row->help);
    g_autoptr(ConvoResult) r = expect (f, sentence, "check");
  }
  /* DELETE: forget now. */
  del = expect (f, row->del, "deleted");
  g_assert_cmpint (del->effects, ==, CONVO_EFFECT_FORGET);
  g_assert_null (convo_session_language (f->session));
  g_assert_cmpstr (convo_session_state (f->session), ==, "new");
  expect_free (f, "2", "lang-prompt");  /* a stranger again */

  /* STOP: one confirmation, then silence whatever is sent, until START. */
  start_in (f, row);
  stop = expect (f, stop_loud, "stopped");
  g_assert_cmpint (stop->effects, ==, CONVO_EFFECT_STOP);
  g_assert_true (convo_session_stopped (f->session));
  expect_free (f, "hello", "");
  expect_free (f, row->help, "");
  expect_free (f, row->menu, "");
  expect_free (f, "2", "");
  expect_free (f, "", "");
  {
    g_autoptr(ConvoResult) d = expect (f, row->del, "");
    g_assert_cmpint (d->effects, ==, CONVO_EFFECT_FORGET);
    g_assert_true (convo_session_stopped (f->session));
  }
  /* Stopped outlives expiry. */
  f->now += 10 * IDLE;
  expect_free (f, "hello", "");
  start = expect (f, row->start, "lang-prompt");
  g_assert_cmpint (start->effects, ==, CONVO_EFFECT_START);
  g_assert_false (convo_session_stopped (f->session));
  /* START when not stopped is MENU. */
  start_in (f, row);
  expect_free (f, row->start, "menu");
}

static void
test_invalid_choices (Fixture *f, gconstpointer data)
{
  g_autoptr(ConvoResult) r = NULL;

  start_in (f, &langs[0]);
  r = expect (f, "9", "invalid");
  g_assert_nonnull (strstr (reply_text (r, 0), "1 to 4"));
  expect_free (f, "0", "invalid");
  expect_free (f, "two", "invalid");
  expect_free (f, "2 please", "invalid");
  expect_free (f, "12345", "invalid");
  expect_free (f, "", "invalid");
  expect_free (f, "   \n ", "invalid");
  expect_free (f, "2", "category");
  expect_free (f, "٩", "invalid");
  expect_free (f, "٨", "partners");   /* Arabic-Indic 8: other */
  expect_free (f, "۱", "contact");   /* Urdu 1 */
  expect_free (f, "5", "invalid");
  expect_free (f, "1", "police");
  expect_free (f, "3", "invalid");
  expect_free (f, "2", "message");
  expect_free (f, "", "empty");
  expect_free (f, "0", "check");
  expect_free (f, "7", "invalid");
  expect_free (f, "1", "sent");
}

static void
test_long_messages (Fixture *f, gconstpointer data)
{
  g_autofree char *long_text = g_strnfill (CONVO_TEXT_MAX + 1, 'a');
  g_autofree char *max_text = g_strnfill (CONVO_TEXT_MAX, 'b');
  g_autofree char *huge = g_strnfill (1 << 20, 'c');
  g_autoptr(ConvoResult) r = NULL;

  /* A stranger's huge first text: just the language question. */
  expect_free (f, huge, "lang-prompt");
  expect_free (f, "1", "menu");
  expect_free (f, huge, "too-long");
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  expect_free (f, "1", "contact");
  expect_free (f, "4", "trusted");
  {
    g_autofree char *who = g_strnfill (REPORT_SHORT_FIELD_MAX + 1, 'w');
    expect_free (f, who, "too-long");
    g_assert_cmpstr (convo_session_state (f->session), ==, "trusted");
  }
  expect_free (f, "my aunt", "police");
  expect_free (f, "1", "message");
  r = expect (f, long_text, "too-long");
  g_assert_nonnull (strstr (reply_text (r, 0), "2000"));
  g_assert_cmpstr (convo_session_state (f->session), ==, "message");
  expect_free (f, max_text, "check");
  /* Adding more than a report holds is refused, the draft kept. */
  for (int i = 0; i < 2; i++)
    {
      expect_free (f, "2", "more");
      expect_free (f, max_text, "check");
    }
  expect_free (f, "2", "more");
  expect_free (f, max_text, "too-long");
  {
    g_autoptr(ConvoResult) sent = expect (f, "1", "sent");
    g_assert_cmpuint (strlen (sent->report->message), ==, 3 * CONVO_TEXT_MAX + 2);
  }
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(ConvoResult) r = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize size = 0;
  const char *raw;

  start_in (f, &langs[2]);
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  expect_free (f, "1", "contact");
  expect_free (f, "4", "trusted");
  expect_free (f, "my cousin Bilal", "police");
  g_assert_false (convo_session_expired (f->engine, f->session, f->now + IDLE - 1));
  g_assert_true (convo_session_expired (f->engine, f->session, f->now + IDLE));
  f->now += IDLE;
  /* After the idle time: a stranger again, whatever is sent. */
  r = expect (f, "1", "lang-prompt");
  g_assert_null (convo_session_language (f->session));
  bytes = convo_session_to_bytes (f->session);
  raw = g_bytes_get_data (bytes, &size);
  g_assert_null (g_strstr_len (raw, (gssize) size, "Bilal"));
  g_assert_null (g_strstr_len (raw, (gssize) size, "trusted"));
  /* And walking on never shows the old answers. */
  expect_free (f, "1", "menu");
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  expect_free (f, "1", "contact");
  expect_free (f, "1", "police");
  expect_free (f, "1", "message");
  {
    g_autoptr(ConvoResult) check = expect (f, "0", "check");
    g_assert_null (strstr (reply_text (check, 0), "Bilal"));
  }
  /* Just inside the idle time, nothing is lost. */
  f->now += IDLE - 11;
  expect_free (f, "1", "sent");
}

static void
test_submit_failed (Fixture *f, gconstpointer data)
{
  g_autoptr(ConvoResult) sent = NULL;
  g_autoptr(ConvoResult) failed = NULL;
  g_autoptr(ConvoResult) again = NULL;

  start_in (f, &langs[0]);
  sent = walk_report (f, "3", "first try");
  failed = convo_submit_failed (f->engine, f->session, sent, f->now);
  g_assert_cmpuint (failed->replies->len, ==, 1);
  g_assert_cmpstr (((ConvoReply *) g_ptr_array_index (failed->replies, 0))->name,
                   ==, "not-sent");
  g_assert_cmpint (failed->effects, ==, CONVO_EFFECT_NONE);
  g_assert_cmpstr (convo_session_state (f->session), ==, "check");
  again = expect (f, "1", "sent");
  g_assert_cmpstr (again->report->message, ==, "first try");
  g_assert_cmpstr (again->report->contact.method, ==, "sms");
  g_assert_cmpstr (again->report->contact.safe_times, ==, "any time");
  /* A new reference: a different report as far as the partner knows. */
  g_assert_cmpstr (again->report->ref, !=, sent->report->ref);
}

/* The partner directory changes between two texts (a config reload):
 * the session carries on with what is there now. */
static void
test_directory_changed (Fixture *f, gconstpointer data)
{
  g_autoptr(PartnerDirectory) empty = partner_directory_new ();
  ConvoConfig config = { .partners = empty, .public_url = "https://x.example" };
  g_autoptr(ConvoEngine) other = convo_engine_new (&config);
  ConvoEngine *mine = f->engine;

  start_in (f, &langs[0]);
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  f->engine = other;
  expect_free (f, "1", "no-partner");
  g_assert_cmpstr (convo_session_state (f->session), ==, "menu");
  /* At the check, a partner that has gone is chosen again. */
  f->engine = mine;
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  expect_free (f, "1", "contact");
  expect_free (f, "1", "police");
  expect_free (f, "1", "message");
  expect_free (f, "0", "check");
  f->engine = other;
  expect_free (f, "1", "no-partner");
  g_assert_cmpstr (convo_session_state (f->session), ==, "menu");
  f->engine = mine;
}

static void
test_no_number (Fixture *f, gconstpointer data)
{
  /* A provider that hides the number: calling or texting cannot work. */
  f->from = NULL;
  start_in (f, &langs[0]);
  expect_free (f, "2", "category");
  expect_free (f, "1", "partners");
  expect_free (f, "1", "contact");
  expect_free (f, "2", "invalid");
  expect_free (f, "3", "invalid");
  expect_free (f, "1", "police");
}

/* A session of the right shape whose LANG or STATE is not ours. */
static void
assert_lying (const char *lang, const char *state)
{
  GVariantBuilder b;
  g_autoptr(GVariant) v = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{ss}"));
  v = g_variant_ref_sink (g_variant_new ("(ysssxba{ss})", 1, lang, "",
                                         state, (gint64) 1, FALSE, &b));
  bytes = g_variant_get_data_as_bytes (v);
  g_assert_null (convo_session_from_bytes (bytes, &error));
  g_assert_error (error, CONVO_ERROR, CONVO_ERROR_CORRUPT);
}

static void
test_serialise (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) junk = g_bytes_new_static ("\x01garbage", 8);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) newer = g_bytes_new_static ("\x09zzzz", 5);
  ConvoSession *s;

  s = convo_session_from_bytes (junk, &error);
  g_assert_null (s);
  g_assert_error (error, CONVO_ERROR, CONVO_ERROR_CORRUPT);
  g_clear_error (&error);
  s = convo_session_from_bytes (empty, &error);
  g_assert_null (s);
  g_assert_error (error, CONVO_ERROR, CONVO_ERROR_CORRUPT);
  g_clear_error (&error);
  s = convo_session_from_bytes (newer, &error);
  g_assert_null (s);
  g_assert_error (error, CONVO_ERROR, CONVO_ERROR_VERSION);
  g_clear_error (&error);
  /* Well-formed but lying: an unknown state or language. */
  assert_lying ("en", "flying");
  assert_lying ("xx", "menu");
  assert_lying ("en", "check");   /* a check with no answers before it */
}

/* Version 2 (NUL-terminated fields after the version byte): each way of
 * being malformed is refused as corrupt, and nothing reads past the end. */
static void
test_serialise_v2_corrupt (Fixture *f, gconstpointer data)
{
  static const struct { const char *bytes; gsize size; } bad[] = {
#define BAD(s) { s, sizeof s - 1 }
    BAD ("\x02"),                                   /* no fields */
    BAD ("\x02" "en\0\0menu\0" "5\0"),               /* no stopped */
    BAD ("\x02" "en\0\0menu\0" "5\0" "0"),            /* no final NUL */
    BAD ("\x02" "en\0\0menu\0" "5\0" "0\0category\0"),   /* odd pair */
    BAD ("\x02" "en\0\0menu\0" "5x\0" "0\0"),         /* not a number */
    BAD ("\x02" "en\0\0menu\0" "-9223372036854775808\0" "0\0"), /* before 1970 */
    BAD ("\x02" "en\0\0menu\0" "5\0" "2\0"),          /* stopped not 0/1 */
    BAD ("\x02" "en\0\0me\xffnu\0" "5\0" "0\0"),      /* not UTF-8 */
    BAD ("\x02" "xx\0\0menu\0" "5\0" "0\0"),          /* unknown language */
    BAD ("\x02" "en\0\0flying\0" "5\0" "0\0"),        /* unknown state */
    BAD ("\x02" "en\0\0check\0" "5\0" "0\0"),         /* holes before check */
#undef BAD
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      /* A copy of exactly SIZE bytes, so that ASan sees any overread. */
      g_autoptr(GBytes) bytes = g_bytes_new (bad[i].bytes, bad[i].size);
      g_autoptr(GError) error = NULL;

      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_null (convo_session_from_bytes (bytes, &error));
      g_assert_error (error, CONVO_ERROR, CONVO_ERROR_CORRUPT);
    }
}

static gboolean
bytes_contain (GBytes *bytes, const char *needle, gsize length)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  for (gsize i = 0; i + length <= size; i++)
    if (memcmp (data + i, needle, length) == 0)
      return TRUE;
  return FALSE;
}

/* A session stored by version 1 (a GVariant) still loads, with its
 * draft, and is written back as version 2 with nothing lost. */
static void
test_serialise_v1 (Fixture *f, gconstpointer data)
{
  GVariantBuilder draft;
  g_autoptr(GVariant) v = NULL;
  g_autoptr(GBytes) v1 = NULL;
  g_autoptr(GBytes) v2 = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConvoSession) s = NULL;
  g_autoptr(ConvoSession) t = NULL;

  g_variant_builder_init (&draft, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&draft, "{ss}", "category", "domestic-abuse");
  g_variant_builder_add (&draft, "{ss}", "police", "1");
  g_variant_builder_add (&draft, "{ss}", "from-a-newer-writer", "ignored");
  v = g_variant_ref_sink (g_variant_new ("(ysssxba{ss})", 1, "ur", "ar",
                                         "partner", (gint64) 1234, TRUE, &draft));
  v1 = g_variant_get_data_as_bytes (v);
  s = convo_session_from_bytes (v1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (convo_session_language (s), ==, "ur");
  g_assert_true (convo_session_stopped (s));
  g_assert_cmpint (convo_session_last_activity (s), ==, 1234);
  v2 = convo_session_to_bytes (s);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (v2, NULL))[0], ==, 2);
  t = convo_session_from_bytes (v2, &error);
  g_assert_no_error (error);
  again = convo_session_to_bytes (t);
  g_assert_true (g_bytes_equal (v2, again));
  g_assert_true (bytes_contain (v2, "category\0domestic-abuse\0", 24));
  g_assert_true (bytes_contain (v2, "police\0" "1\0", 9));

  /* A version-1 time before 1970 is refused too (it would overflow the
   * idle arithmetic). */
  {
    GVariantBuilder empty;
    g_autoptr(GVariant) old = NULL;
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GError) local = NULL;

    g_variant_builder_init (&empty, G_VARIANT_TYPE ("a{ss}"));
    old = g_variant_ref_sink (g_variant_new ("(ysssxba{ss})", 1, "en", "", "menu",
                                             G_MININT64, FALSE, &empty));
    bytes = g_variant_get_data_as_bytes (old);
    g_assert_null (convo_session_from_bytes (bytes, &local));
    g_assert_error (local, CONVO_ERROR, CONVO_ERROR_CORRUPT);
  }
}

static void
test_notices (Fixture *f, gconstpointer data)
{
  g_autoptr(ConvoResult) busy = convo_notice (f->engine, NULL, CONVO_NOTICE_BUSY, NULL);
  g_autoptr(ConvoResult) fast = NULL;
  g_autoptr(ConvoResult) done = NULL;
  g_autoptr(ConvoResult) stopped = NULL;
  g_autoptr(ConvoResult) r = NULL;

  g_assert_cmpuint (busy->replies->len, ==, 1);
  start_in (f, &langs[0]);
  fast = convo_notice (f->engine, f->session, CONVO_NOTICE_RATE_LIMITED, NULL);
  g_assert_cmpstr (((ConvoReply *) g_ptr_array_index (fast->replies, 0))->name,
                   ==, "rate-limited");
  /* Both may reach a stranger: nothing sensitive. */
  for (guint i = 0; i < 2; i++)
    {
      const ConvoResult *n = i ? fast : busy;
      g_autofree char *folded = g_utf8_casefold (reply_text (n, 0), -1);
      for (guint k = 0; sensitive[k]; k++)
        g_assert_null (strstr (folded, sensitive[k]));
    }
  done = convo_notice (f->engine, f->session, CONVO_NOTICE_DELIVERED, "K7QM-4XPA");
  g_assert_nonnull (strstr (reply_text (done, 0), "K7QM-4XPA"));
  g_assert_cmpuint (sms_segments (reply_text (done, 0)), <=, 3);
  /* Nothing, ever, to a stopped sender. */
  r = expect (f, "STOP", "stopped");
  stopped = convo_notice (f->engine, f->session, CONVO_NOTICE_DELIVERED, "K7QM-4XPA");
  g_assert_cmpuint (stopped->replies->len, ==, 0);
}

/* ------------------------------------------------------------------ */
/* Threads: the gateway steps in a worker thread while the main thread
 * switches gettext's language for web pages. */

/* glibc's catalog generation counter: lang_use() bumps it on every
 * switch, so an unchanged value means gettext's language never moved. */
extern int _nl_msg_cat_cntr;

/* A conversation through most states, in ROW's language, on a session of
 * its own: every reply (name and text) and every notice, in order.  The
 * random reference code is masked so that runs compare equal.  No
 * assertion here: it runs in a worker thread too. */
static char *
transcript (ConvoEngine *engine, const LangRow *row)
{
  g_autofree char *choice = g_strdup_printf ("%u", row->choice);
  g_autofree char *huge = g_strnfill (CONVO_TEXT_MAX + 1, 'a');
  g_autofree char *too_long_times = g_strnfill (REPORT_SHORT_FIELD_MAX + 1, 'b');
  /* "@failed": convo_submit_failed on the last step's report. */
  const char *const script[] = {
    row->back, row->hello, choice, "1", "3", "4", huge, "2", "9", "1", "1",
    "2", too_long_times, "weekdays 10-12", "1", "1", "It happened at home",
    "2", "and more", "1", "@failed", "1", row->help, row->menu, "2", "7",
    row->back, "5", "1", "3", "0", "1", "0", "1", row->stop, "hello",
    row->start, row->del,
  };
  g_autoptr(ConvoSession) session = convo_session_new ();
  g_autoptr(ConvoResult) last = NULL;
  GString *out = g_string_new (NULL);
  gint64 now = 1800000000;

  for (gsize i = 0; i < G_N_ELEMENTS (script); i++)
    {
      g_autoptr(ConvoResult) r = NULL;
      ConvoResult *notices[3];

      now += 10;
      if (g_str_equal (script[i], "@failed"))
        r = last && last->report
            ? convo_submit_failed (engine, session, last, now) : NULL;
      else
        r = convo_step (engine, session, FROM, script[i], now);
      notices[0] = convo_notice (engine, session, CONVO_NOTICE_RATE_LIMITED, NULL);
      notices[1] = convo_notice (engine, session, CONVO_NOTICE_BUSY, NULL);
      notices[2] = convo_notice (engine, session, CONVO_NOTICE_DELIVERED, "K7QM-4XPA");
      g_string_append_printf (out, "> %.20s: %s\n", script[i],
                              r ? convo_session_state (session) : "(none)");
      for (guint n = 0; n < 4; n++)
        {
          const ConvoResult *res = n == 0 ? r : notices[n - 1];

          for (guint k = 0; res && k < res->replies->len; k++)
            {
              const ConvoReply *reply = g_ptr_array_index (res->replies, k);
              g_autoptr(GString) t = g_string_new (reply->text);

              if (res->report != NULL)
                g_string_replace (t, res->report->ref, "REF", 0);
              g_string_append_printf (out, "%s/%u: %s\n", reply->name,
                                      reply->budget, t->str);
            }
        }
      for (guint n = 0; n < 3; n++)
        convo_result_free (notices[n]);
      if (r != NULL)
        {
          g_clear_pointer (&last, convo_result_free);
          last = g_steal_pointer (&r);
        }
    }
  return g_string_free (out, FALSE);
}

/* Whatever gettext's language, a step answers in the session's, and
 * never switches gettext's, not even for a moment. */
static void
test_thread_global_language (Fixture *f, gconstpointer data)
{
  const LangRow *rows[] = { &langs[0], &langs[2] };   /* en, ur */

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *want = NULL;
      g_autofree char *got = NULL;
      int generation;

      lang_use ("en");
      want = transcript (f->engine, rows[i]);
      /* The walk reached the end of a report, in its language. */
      g_assert_nonnull (strstr (want, "\nsent/"));
      g_assert_nonnull (strstr (want, "\nnot-sent/"));
      g_assert_nonnull (strstr (want, "\ntoo-long/"));
      lang_use ("ar");
      generation = _nl_msg_cat_cntr;
      got = transcript (f->engine, rows[i]);
      g_assert_cmpstr (lang_current (), ==, "ar");
      g_assert_cmpint (_nl_msg_cat_cntr, ==, generation);
      g_assert_cmpstr (got, ==, want);
    }
  lang_use ("en");
}

typedef struct
{
  ConvoEngine *engine;
  char        *want[G_N_ELEMENTS (langs)];
  guint        rounds;
  gint         mismatches;
  gint         done;
} Stepper;

static gpointer
stepper_run (gpointer data)
{
  Stepper *sp = data;

  for (guint round = 0; round < sp->rounds; round++)
    for (gsize l = 0; l < G_N_ELEMENTS (langs); l++)
      {
        g_autofree char *got = transcript (sp->engine, &langs[l]);

        if (g_strcmp0 (got, sp->want[l]) != 0)
          g_atomic_int_inc (&sp->mismatches);
      }
  g_atomic_int_set (&sp->done, 1);
  return NULL;
}

/* Steps in a worker thread while the main thread switches gettext's
 * language for every one of the six, renders with it, and sends notices
 * through the same engine: every reply equals the single-threaded one. */
static void
test_thread_concurrent (Fixture *f, gconstpointer data)
{
  Stepper sp = { f->engine, { NULL }, 4, 0, 0 };
  g_autoptr(ConvoSession) session = convo_session_new ();
  g_autoptr(ConvoResult) busy_en = convo_notice (f->engine, NULL,
                                                 CONVO_NOTICE_BUSY, NULL);
  g_autofree char *prompt_ur = translated ("ur", msgid_of ("lang-prompt"));
  GThread *thread;
  guint switches = 0, bad_notices = 0, bad_gettext = 0;

  for (gsize l = 0; l < G_N_ELEMENTS (langs); l++)
    sp.want[l] = transcript (f->engine, &langs[l]);
  thread = g_thread_new ("stepper", stepper_run, &sp);
  while (!g_atomic_int_get (&sp.done))
    for (gsize l = 0; l < G_N_ELEMENTS (langs); l++)
      {
        g_autoptr(ConvoResult) busy = NULL;
        g_autofree char *page = NULL;

        lang_use (langs[l].code);
        switches++;
        /* What a web page does meanwhile: render in its language. */
        page = sms_normalize (_(msgid_of ("lang-prompt")));
        if (l == 2 && g_strcmp0 (page, prompt_ur) != 0)
          bad_gettext++;
        busy = convo_notice (f->engine, NULL, CONVO_NOTICE_BUSY, NULL);
        if (g_strcmp0 (reply_text (busy, 0), reply_text (busy_en, 0)) != 0)
          bad_notices++;
      }
  g_thread_join (thread);
  lang_use ("en");
  g_test_message ("%u language switches during the steps", switches);
  g_assert_cmpint (sp.mismatches, ==, 0);
  g_assert_cmpuint (bad_notices, ==, 0);
  g_assert_cmpuint (bad_gettext, ==, 0);
  g_assert_cmpuint (switches, >, 0);
  for (gsize l = 0; l < G_N_ELEMENTS (langs); l++)
    g_free (sp.want[l]);
}

/* Every fixed text, in every language, within its budget on its own. */
static void
test_text_budgets (void)
{
  for (gsize l = 0; l < G_N_ELEMENTS (langs); l++)
    for (const ConvoText *t = convo_texts (); t->msgid; t++)
      {
        g_autofree char *s = translated (langs[l].code, t->msgid);
        guint segments = sms_segments (s);

        if (segments > t->budget)
          g_test_message ("%s: \"%s\" takes %u segments, budget %u",
                          langs[l].code, t->name, segments, t->budget);
        g_assert_cmpuint (segments, <=, t->budget);
      }
}

static void
add_lang_tests (const char *name, void (*fn) (Fixture *, gconstpointer))
{
  for (gsize l = 0; l < G_N_ELEMENTS (langs); l++)
    {
      g_autofree char *path = g_strdup_printf ("/convo/%s/%s", name, langs[l].code);
      g_test_add (path, Fixture, &langs[l], fixture_set_up, fn, fixture_tear_down);
    }
}

#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  if (!lang_init (NULL, &error))
    g_test_message ("catalogs not ready (%s): other languages render in "
                    "English until they land", error->message);
  add_lang_tests ("first-contact", test_first_contact);
  add_lang_tests ("menu", test_menu_paths);
  add_lang_tests ("report", test_report_paths);
  add_lang_tests ("back", test_back_everywhere);
  add_lang_tests ("keywords", test_keywords);
  ADD ("/convo/first-reply-discreet", test_first_reply_discreet);
  ADD ("/convo/choose-language", test_choose_language);
  ADD ("/convo/guess", test_guess);
  ADD ("/convo/check-message", test_check_message);
  ADD ("/convo/partner-cards", test_partner_cards);
  ADD ("/convo/no-partner", test_no_partner);
  ADD ("/convo/invalid", test_invalid_choices);
  ADD ("/convo/long", test_long_messages);
  ADD ("/convo/timeout", test_timeout);
  ADD ("/convo/submit-failed", test_submit_failed);
  ADD ("/convo/no-number", test_no_number);
  ADD ("/convo/directory-changed", test_directory_changed);
  ADD ("/convo/serialise", test_serialise);
  ADD ("/convo/serialise/v2-corrupt", test_serialise_v2_corrupt);
  ADD ("/convo/serialise/v1", test_serialise_v1);
  ADD ("/convo/notices", test_notices);
  ADD ("/convo/thread/global-language", test_thread_global_language);
  ADD ("/convo/thread/concurrent", test_thread_concurrent);
  g_test_add_func ("/convo/text-budgets", test_text_budgets);
  return g_test_run ();
}
