/* test-views: the pages' safety properties, on every page and language:
 * hostile strings escaped wherever they can appear, lang/dir set, the
 * quick exit and the emergency line present, numbers and codes isolated,
 * no inline script or style, forms with CSRF and autocomplete off. */
#include "config.h"

#include <string.h>

#include "kiosk-test-data.h"
#include "views.h"
#include "wizard.h"

typedef struct
{
  Conf             *conf;
  ViewsSite        *site;
  PartnerDirectory *partners;
  WizardContext     context;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->conf = kiosk_test_load_conf ();
  f->site = views_site_new ();
  g_assert_true (views_site_load (f->site, f->conf, "kiosk", &error));
  g_assert_no_error (error);
  f->partners = partner_directory_load (f->conf, &error);
  g_assert_no_error (error);
  f->context.partners = f->partners;
  f->context.channel = "kiosk";
  f->context.site = f->site->site_name;
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  partner_directory_free (f->partners);
  views_site_free (f->site);
  conf_free (f->conf);
}

static void
page_init (ViewsPage *page, const Fixture *f, const char *lang)
{
  memset (page, 0, sizeof *page);
  page->site = f->site;
  page->lang = lang;
  page->csrf = "c0ffee";
  page->path = "/x";
  page->idle_warning = 60;
  page->idle_timeout = 90;
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* What every page must have, whatever it shows. */
static void
assert_page (const char *html, const char *lang)
{
  const LangInfo *info = lang_lookup (lang);
  g_autofree char *root = g_strdup_printf ("<html lang=\"%s\" dir=\"%s\"", lang,
                                           info->rtl ? "rtl" : "ltr");
  g_autoptr(GRegex) handlers = g_regex_new ("<[^>]*\\son[a-z]+\\s*=",
                                            G_REGEX_CASELESS, 0, NULL);

  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
  g_assert_nonnull (strstr (html, root));
  /* Escaping: the hostile strings never arrive as markup. */
  g_assert_null (strstr (html, "<script>"));
  g_assert_null (strstr (html, "<b onmouseover"));
  g_assert_false (g_regex_match (handlers, html, 0, NULL));
  /* Our own markup is never escaped into text by mistake. */
  g_assert_null (strstr (html, "&lt;br"));
  g_assert_null (strstr (html, "&lt;span"));
  g_assert_null (strstr (html, "&lt;bdi"));
  g_assert_null (strstr (html, "&lt;a "));
  g_assert_null (strstr (html, "&quot;error-"));
  g_assert_null (strstr (html, "aria-describedby=&quot;"));
  /* Strict CSP: no inline style or script. */
  g_assert_null (strstr (html, "style="));
  g_assert_null (strstr (html, "<style"));
  g_assert_cmpuint (count (html, "<script"), ==,
                    count (html, "<script src=\"/assets/kiosk.js\" defer></script>"));
  /* Quick exit, emergency line, skip link. */
  g_assert_nonnull (strstr (html, "<form method=\"post\" action=\"/exit\""));
  g_assert_nonnull (strstr (html, "id=\"quick-exit\""));
  g_assert_nonnull (strstr (html, "<bdi dir=\"ltr\">999</bdi>"));
  g_assert_nonnull (strstr (html, "<bdi dir=\"ltr\">55</bdi>"));
  g_assert_nonnull (strstr (html, "<bdi dir=\"ltr\">0808 2000 247</bdi>"));
  g_assert_nonnull (strstr (html, "href=\"#main\""));
  g_assert_nonnull (strstr (html, "<main id=\"main\""));
  /* Every form carries the token. */
  g_assert_cmpuint (count (html, "<form "), ==,
                    count (html, "name=\"csrf\" value=\"c0ffee\""));
  g_assert_cmpuint (count (html, "<form "), >=, 2);
  /* The idle fallback without JavaScript. */
  if (strstr (html, "data-idle-warning=\"60\""))
    {
      g_autofree char *refresh =
        g_strdup_printf ("<noscript><meta http-equiv=\"refresh\" "
                         "content=\"60;url=/%s/idle\"></noscript>", lang);
      g_assert_nonnull (strstr (html, refresh));
    }
}

static void
test_language_choice (Fixture *f, gconstpointer data)
{
  ViewsPage page;
  g_autofree char *html = NULL;
  guint n;
  const LangInfo *all = lang_all (&n);

  page_init (&page, f, "en");
  html = views_language_choice (&page);
  assert_page (html, "en");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *link =
        g_strdup_printf ("<a href=\"/%s/\" lang=\"%s\" hreflang=\"%s\" dir=\"%s\">%s</a>",
                         all[i].code, all[i].code, all[i].code,
                         all[i].rtl ? "rtl" : "ltr", all[i].native_name);
      g_assert_nonnull (strstr (html, link));
    }
  g_assert_nonnull (strstr (html, "اردو"));
  g_assert_nonnull (strstr (html, "ਪੰਜਾਬੀ"));
}

static void
test_explain (Fixture *f, gconstpointer data)
{
  guint n;
  const LangInfo *all = lang_all (&n);

  g_assert_cmpuint (views_explain_count (), >=, 4);
  for (guint l = 0; l < n; l++)
    for (guint i = 1; i <= views_explain_count (); i++)
      {
        ViewsPage page;
        g_autofree char *html = NULL;

        page_init (&page, f, all[l].code);
        html = views_explain (&page, i);
        assert_page (html, all[l].code);
        g_assert_nonnull (strstr (html, "<h1>"));
      }
}

/* CONTENT.md: the explainer tells the person that the phone company can
 * see text messages, in every language (each row: the words for "phone
 * company" as the translation puts them). */
static const struct
{
  const char *lang;
  const char *phone_company;
} phone_company_words[] = {
  { "en", "phone company" },
  { "pa", "ਫ਼ੋਨ ਕੰਪਨੀ" },
  { "ur", "فون کمپنی" },
  { "ar", "شركة الهاتف" },
  { "so", "hirkadda taleefan" },
  { "sq", "ompania e telefonit" },
};

static void
test_explain_phone_company (Fixture *f, gconstpointer data)
{
  for (guint l = 0; l < G_N_ELEMENTS (phone_company_words); l++)
    {
      g_autoptr(GString) all = g_string_new (NULL);

      for (guint i = 1; i <= views_explain_count (); i++)
        {
          ViewsPage page;
          g_autofree char *html = NULL;

          page_init (&page, f, phone_company_words[l].lang);
          html = views_explain (&page, i);
          g_string_append (all, html);
        }
      if (strstr (all->str, phone_company_words[l].phone_company) == NULL)
        g_error ("the %s explainer never says the phone company sees texts",
                 phone_company_words[l].lang);
    }
}

static void
test_local_paragraph (Fixture *f, gconstpointer data)
{
  ViewsPage page;
  g_autofree char *en = NULL;
  g_autofree char *ur = NULL;
  g_autofree char *so = NULL;

  page_init (&page, f, "en");
  en = views_explain (&page, 4);
  g_assert_nonnull (strstr (en, "Our police force says: &lt;script&gt;"));
  page.lang = "ur";
  ur = views_explain (&page, 4);
  g_assert_nonnull (strstr (ur, "پولیس &lt;script&gt;"));
  page.lang = "so";
  so = views_explain (&page, 4);
  g_assert_null (strstr (so, "Our police force says"));
  g_assert_null (strstr (so, "class=\"local\""));
}

static GHashTable *
form (const char *step, ...)
{
  GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);
  va_list args;
  const char *key;

  g_hash_table_insert (table, (char *) "step", (char *) step);
  va_start (args, step);
  while ((key = va_arg (args, const char *)))
    g_hash_table_insert (table, (char *) key, va_arg (args, char *));
  va_end (args);
  return table;
}

static void
submit (Wizard *w, const WizardContext *c, GHashTable *table)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (wizard_submit (w, c, table, &error));
  g_assert_no_error (error);
  g_hash_table_unref (table);
}

/* Walks the wizard with hostile answers, checking every page. */
static void
test_wizard_pages (Fixture *f, gconstpointer data)
{
  const char *lang = data;
  g_autoptr(Wizard) w = wizard_new (lang);
  ViewsPage page;
  GHashTable *steps[] = {
    form ("category", "category", "domestic-abuse", NULL),
    form ("partner", "partner", "rights", NULL),
    form ("contact", "method", "phone", NULL),
    form ("details", "phone", "+44 7700 900123", "voicemail", "no", "sms", "yes",
          "safe_times", "after 6 " HOSTILE, NULL),
    form ("needs", "interpreter", "ur", "woman_worker", "yes", NULL),
    form ("police", "police", "no", NULL),
    form ("message", "message", "line one\n</textarea>" HOSTILE, NULL),
  };

  page_init (&page, f, lang);
  for (guint i = 0; i <= G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *html = views_wizard (&page, w, &f->context);

      assert_page (html, lang);
      g_assert_nonnull (strstr (html, "autocomplete=\"off\""));
      g_assert_nonnull (strstr (html, "<h1>"));
      if (w->step == WIZARD_STEP_PARTNER)
        {
          /* The disclosure card: name isolated, hostile text escaped,
           * languages in their own script, the police rule. */
          g_assert_nonnull (strstr (html, "<bdi>Rights &lt;script&gt;"));
          g_assert_nonnull (strstr (html, "Help at home &lt;script&gt;"));
          /* Written in the operator's language: its own direction. */
          g_assert_nonnull (strstr (html, "<span class=\"hint\" dir=\"auto\">Help at home"));
          g_assert_nonnull (strstr (html, "<bdi lang=\"ur\">اردو</bdi>"));
          g_assert_nonnull (strstr (html, "<bdi dir=\"ltr\">+44 113 496 0000</bdi>"));
          g_assert_nonnull (strstr (html, "class=\"hint police\""));
          /* Only eligible partners: the slavery helpline is not offered. */
          g_assert_null (strstr (html, "Freedom Helpline"));
        }
      if (w->step == WIZARD_STEP_CHECK)
        {
          g_assert_nonnull (strstr (html, "<bdi dir=\"ltr\">+44 7700 900123</bdi>"));
          g_assert_nonnull (strstr (html, "&lt;/textarea&gt;&lt;script&gt;"));
          /* Typed in any script: the message keeps its own direction. */
          g_assert_nonnull (strstr (html, "<span class=\"message\" dir=\"auto\">"));
          g_assert_nonnull (strstr (html, "after 6 &lt;script&gt;"));
          g_assert_nonnull (strstr (html, "class=\"not-shared\""));
          g_assert_nonnull (strstr (html, "name=\"confirm\" value=\"send\""));
        }
      if (i < G_N_ELEMENTS (steps))
        {
          /* Come back to a step: the answers are shown again, escaped. */
          submit (w, &f->context, steps[i]);
        }
    }
  g_assert_cmpint (w->step, ==, WIZARD_STEP_CHECK);
  /* The message step, shown again after Back, keeps the text as text. */
  g_assert_true (wizard_back (w));
  {
    g_autofree char *html = views_wizard (&page, w, &f->context);
    g_assert_nonnull (strstr (html, ">line one\n&lt;/textarea&gt;"));
    g_assert_cmpuint (count (html, "</textarea>"), ==, 1);
  }
}

static void
test_invalid_shown (Fixture *f, gconstpointer data)
{
  g_autoptr(Wizard) w = wizard_new ("en");
  ViewsPage page;
  GHashTable *bad = form ("category", "category", "nonsense", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *html = NULL;

  g_assert_false (wizard_submit (w, &f->context, bad, &error));
  g_hash_table_unref (bad);
  page_init (&page, f, "en");
  html = views_wizard (&page, w, &f->context);
  assert_page (html, "en");
  g_assert_nonnull (strstr (html, "role=\"alert\""));
  g_assert_nonnull (strstr (html, "id=\"error-category\""));
  g_assert_nonnull (strstr (html, "aria-describedby=\"error-category\""));
}

static void
test_no_partner (Fixture *f, gconstpointer data)
{
  g_autoptr(Wizard) w = wizard_new ("pa");
  ViewsPage page;
  g_autofree char *html = NULL;

  /* Modern slavery in Punjabi: the helpline speaks en/sq/so but brings
   * interpreters, the legal clinic does not: one partner. */
  submit (w, &f->context, form ("category", "category", "modern-slavery", NULL));
  page_init (&page, f, "pa");
  html = views_wizard (&page, w, &f->context);
  assert_page (html, "pa");
  g_assert_nonnull (strstr (html, "Freedom Helpline"));
}

static void
test_receipt (Fixture *f, gconstpointer data)
{
  const char *lang = data;
  WizardReceipt receipt = { 0 };
  char *shared[] = { (char *) "category", (char *) "contact.phone",
                     (char *) "message", NULL };
  ViewsPage page;
  g_autofree char *html = NULL;

  receipt.ref = (char *) "K7QM-4XPA";
  receipt.language = (char *) lang;
  receipt.partner_id = (char *) "rights";
  receipt.partner_name = (char *) "Rights " HOSTILE;
  receipt.shared = shared;
  page_init (&page, f, lang);
  html = views_receipt (&page, &receipt,
                        partner_directory_lookup (f->partners, "rights"));
  assert_page (html, lang);
  g_assert_nonnull (strstr (html, "<bdi dir=\"ltr\">K7QM-4XPA</bdi>"));
  g_assert_nonnull (strstr (html, "<bdi>Rights &lt;script&gt;"));
  g_assert_nonnull (strstr (html, "action=\"/done\""));
}

static void
test_other_pages (Fixture *f, gconstpointer data)
{
  ViewsPage page;
  g_autofree char *idle = NULL;
  g_autofree char *idle_bad = NULL;
  g_autofree char *message = NULL;
  g_autofree char *neutral = NULL;

  page_init (&page, f, "ar");
  idle = views_idle (&page, "/ar/report", 30);
  assert_page (idle, "ar");
  g_assert_nonnull (strstr (idle, "<meta http-equiv=\"refresh\" content=\"30;url=/timeout\">"));
  g_assert_nonnull (strstr (idle, "href=\"/ar/report\""));
  /* Not its own idle refresh: it would loop. */
  g_assert_null (strstr (idle, "<noscript><meta"));
  idle_bad = views_idle (&page, "//evil.example/", 30);
  g_assert_null (strstr (idle_bad, "evil"));
  message = views_message (&page, "Page not found", "We could not find this page.");
  assert_page (message, "ar");

  /* The neutral page says nothing about saferoute, reporting or police. */
  neutral = views_neutral (&page);
  g_assert_null (strstr (neutral, "saferoute"));
  g_assert_null (strstr (neutral, "999"));
  g_assert_null (strstr (neutral, "report"));
  g_assert_nonnull (strstr (neutral, "http-equiv=\"refresh\""));
}

static void
test_text_size_and_path (Fixture *f, gconstpointer data)
{
  ViewsPage page;
  g_autofree char *html = NULL;
  g_autofree char *evil = NULL;

  page_init (&page, f, "so");
  page.text_size = "larger";
  html = views_explain (&page, 2);
  g_assert_nonnull (strstr (html, "class=\"size-larger\""));
  g_assert_nonnull (strstr (html, "value=\"larger\" aria-pressed=\"true\""));
  g_assert_nonnull (strstr (html, "name=\"back\" value=\"/x\""));
  page.path = "//evil.example/\"><script>";
  evil = views_explain (&page, 2);
  g_assert_null (strstr (evil, "evil.example"));
  g_assert_true (views_local_path ("/ur/report"));
  g_assert_false (views_local_path ("//x"));
  g_assert_false (views_local_path ("/../etc"));
  g_assert_false (views_local_path ("http://x/"));
  g_assert_false (views_local_path ("/a\nb"));
  g_assert_false (views_local_path (NULL));
}

int
main (int argc, char **argv)
{
  guint n;
  const LangInfo *all;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  kiosk_test_lang_init ();
  all = lang_all (&n);
#define ADD(path, fn, data) \
  g_test_add (path, Fixture, data, fixture_set_up, fn, fixture_tear_down)
  ADD ("/views/language-choice", test_language_choice, NULL);
  ADD ("/views/explain", test_explain, NULL);
  ADD ("/views/explain/phone-company", test_explain_phone_company, NULL);
  ADD ("/views/local-paragraph", test_local_paragraph, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *w = g_strdup_printf ("/views/wizard/%s", all[i].code);
      g_autofree char *r = g_strdup_printf ("/views/receipt/%s", all[i].code);

      ADD (w, test_wizard_pages, all[i].code);
      ADD (r, test_receipt, all[i].code);
    }
  ADD ("/views/invalid", test_invalid_shown, NULL);
  ADD ("/views/only-eligible", test_no_partner, NULL);
  ADD ("/views/other-pages", test_other_pages, NULL);
  ADD ("/views/text-size-and-path", test_text_size_and_path, NULL);
  return g_test_run ();
}
