/* Fuzz target: the kiosk's and web wizard's whole "POST body -> wizard
 * step -> page" path, without HTTP.  Byte 0 picks the page language (en
 * pa ur ar so sq) and the channel; the rest is a sequence of
 * application/x-www-form-urlencoded bodies, one per line, each decoded
 * as kiosk_post_form does (soup_form_decode; a body with a NUL in it is
 * an empty form) and given to wizard_submit.  When a body has no "step"
 * field, the current step is added, so the fuzzer reaches every step.
 * After each post the page is rendered (views_wizard), and at the end
 * the report and receipt are built as the kiosk would.
 *
 * Invariants: the wizard never leaves its step range; every page is
 * valid UTF-8 and carries no markup from the input or the hostile
 * partner directory (kiosk-test-data.h) unescaped. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <libsoup/soup.h>
#include "lang.h"
#include "views.h"
#include "wizard.h"
#include "../kiosk-test-data.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static Conf *fuzz_form_conf;
static ViewsSite *fuzz_form_site;
static PartnerDirectory *fuzz_form_partners;

static void
fuzz_form_init (void)
{
  if (fuzz_form_conf)
    return;
  lang_allow_missing (TRUE);
  if (!lang_init (NULL, NULL))
    g_error ("fuzz-form: no catalogs");
  fuzz_form_conf = kiosk_test_load_conf ();
  fuzz_form_site = views_site_new ();
  g_assert_true (views_site_load (fuzz_form_site, fuzz_form_conf, "kiosk", NULL));
  fuzz_form_partners = partner_directory_load (fuzz_form_conf, NULL);
  g_assert_nonnull (fuzz_form_partners);
}

static void
fuzz_form_check_page (const char *html)
{
  g_assert_nonnull (html);
  g_assert_true (g_utf8_validate (html, -1, NULL));
  /* The hostile strings and any fuzzed markup must arrive escaped. */
  g_assert_null (strstr (html, "<script>"));
  g_assert_null (strstr (html, "<b onmouseover"));
}

static GHashTable *
fuzz_form_decode (const char *body, gsize length, const Wizard *w)
{
  GHashTable *form;

  if (memchr (body, '\0', length) != NULL)
    form = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  else
    {
      g_autofree char *copy = g_strndup (body, length);

      form = soup_form_decode (copy);
    }
  if (g_hash_table_lookup (form, "step") == NULL && w->step < WIZARD_STEP_DONE)
    g_hash_table_replace (form, g_strdup ("step"),
                          (gpointer) wizard_step_name (w->step));
  return form;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint n_langs = 0;
  const LangInfo *langs = lang_all (&n_langs);
  const char *lang;
  g_autoptr(Wizard) w = NULL;
  WizardContext context = { 0 };
  ViewsPage page = { 0 };
  const char *p, *end;
  guint posts = 0;

  if (size < 1)
    return 0;
  fuzz_form_init ();
  lang = langs[data[0] % n_langs].code;
  context.partners = fuzz_form_partners;
  context.channel = data[0] & 0x80 ? "web" : "kiosk";
  context.site = fuzz_form_site->site_name;
  context.area = data[0] & 0x40 ? "leeds" : NULL;
  page.site = fuzz_form_site;
  page.lang = lang;
  page.csrf = "csrf-token";
  page.path = "/report";
  page.idle_warning = 60;
  page.idle_timeout = 120;
  w = wizard_new (lang);

  p = (const char *) data + 1;
  end = (const char *) data + size;
  while (p <= end && posts++ < 64)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      gsize length = (nl ? nl : end) - p;
      GHashTable *form = fuzz_form_decode (p, length, w);
      g_autoptr(GError) error = NULL;
      g_autofree char *html = NULL;

      if (!wizard_submit (w, &context, form, &error))
        g_assert_nonnull (error);
      g_hash_table_unref (form);
      g_assert_cmpint (w->step, >=, WIZARD_STEP_CATEGORY);
      g_assert_cmpint (w->step, <=, WIZARD_STEP_DONE);
      if (w->step == WIZARD_STEP_DONE)
        break;
      html = views_wizard (&page, w, &context);
      fuzz_form_check_page (html);
      if (nl == NULL)
        break;
      p = nl + 1;
    }

  if (w->step == WIZARD_STEP_DONE || w->step == WIZARD_STEP_CHECK)
    {
      g_autoptr(GError) error = NULL;
      Report *report = wizard_build_report (w, &context, &error);

      if (report)
        {
          const Partner *partner = wizard_partner (w, &context);
          WizardReceipt *receipt = wizard_receipt_new (report, partner);
          g_autofree char *html = views_receipt (&page, receipt, partner);

          fuzz_form_check_page (html);
          wizard_receipt_free (receipt);
          wizard_report_wipe (report);
        }
    }
  return 0;
}
