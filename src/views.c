/* views: server-rendered pages for the kiosk and the phone web wizard.
 *
 * Owns the words people read and the markup around them.  Invariants:
 * every string that is not our own literal markup goes through h_text,
 * h_printf (g_markup_printf_escaped) or h_sentence, which escape it, so a
 * partner name, a config paragraph, a translation or an answer typed by
 * the person can never become markup; every number, code or name set in a
 * sentence is inside <bdi>; no page has an inline script, style or event
 * handler (the CSP forbids them and the pages must work without them).
 * Nothing is kept between calls: a page is rendered whole and returned.
 *
 * Failure: rendering cannot fail; unknown values (a category or field we
 * have no words for) are shown escaped as they are rather than dropped,
 * so the check screen never hides something that will be shared. */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gi18n.h>

#include "views.h"
#include "lang.h"
#include "report.h"

/* ---- the HTML builder: escaping by default ---- */

/* Our own markup, literal in this file. */
static void
h_raw (GString *h, const char *markup)
{
  g_string_append (h, markup);
}

/* Any text, escaped for element content and quoted attributes. */
static void
h_text (GString *h, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text ? text : "", -1);

  g_string_append (h, escaped);
}

/* FORMAT is our markup; every %s argument is escaped. */
static void G_GNUC_PRINTF (2, 3)
h_printf (GString *h, const char *format, ...)
{
  va_list args;
  g_autofree char *markup = NULL;

  va_start (args, format);
  markup = g_markup_vprintf_escaped (format, args);
  va_end (args);
  g_string_append (h, markup);
}

#define H_MAX_ARGS 4

/* A translated sentence with %s (or %1$s ...) places for values: the text
 * is escaped and each value is escaped and set in <bdi> (dir="ltr" for
 * numbers and codes, LTR set; auto for names).  Bidi isolation is what
 * keeps "+92 300 1234567" from reading "1234567 300 92+" in Urdu. */
static void
h_sentence_v (GString *h, gboolean ltr, const char *format, va_list args)
{
  const char *values[H_MAX_ARGS] = { NULL };
  guint n_values = 0, next = 0;
  const char *p, *run;

  /* Count the placeholders to know how many arguments to take. */
  for (p = format; *p; p++)
    if (p[0] == '%' && p[1] == '%')
      p++;
    else if (p[0] == '%')
      n_values++;
  n_values = MIN (n_values, H_MAX_ARGS);
  for (guint i = 0; i < n_values; i++)
    values[i] = va_arg (args, const char *);

  run = format;
  for (p = format; *p; p++)
    {
      const char *value;
      guint index;

      if (p[0] != '%')
        continue;
      {
        g_autofree char *text = g_strndup (run, p - run);
        h_text (h, text);
      }
      if (p[1] == '%')
        {
          h_raw (h, "%");
          run = p + 2;
          p++;
          continue;
        }
      index = next++;
      if (g_ascii_isdigit (p[1]) && p[2] == '$' && p[3] == 's')
        {
          index = (guint) (p[1] - '1');
          p += 3;
        }
      else if (p[1] == 's')
        p += 1;
      value = index < n_values ? values[index] : "";
      h_raw (h, ltr ? "<bdi dir=\"ltr\">" : "<bdi>");
      h_text (h, value);
      h_raw (h, "</bdi>");
      run = p + 1;
    }
  h_text (h, run);
}

/* <TAG>sentence</TAG>; TAG is our literal markup ("p class=\"hint\""). */
static void
h_para (GString *h, const char *tag, gboolean ltr, const char *format, ...)
{
  va_list args;
  const char *space = strchr (tag, ' ');

  g_string_append_printf (h, "<%s>", tag);
  va_start (args, format);
  h_sentence_v (h, ltr, format, args);
  va_end (args);
  g_string_append_printf (h, "</%.*s>\n",
                          (int) (space ? (gsize) (space - tag) : strlen (tag)),
                          tag);
}

static void
h_csrf (GString *h, const ViewsPage *page)
{
  h_printf (h, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
            page->csrf ? page->csrf : "");
}

/* ---- the site (configuration) ---- */

const char *const views_site_keys[] = {
  "site", "helpline_domestic_abuse", "helpline_modern_slavery",
  "neutral_title", "local_paragraph_en", "local_paragraph_pa",
  "local_paragraph_ur", "local_paragraph_ar", "local_paragraph_so",
  "local_paragraph_sq", NULL,
};

ViewsSite *
views_site_new (void)
{
  ViewsSite *site = g_new0 (ViewsSite, 1);

  /* UK defaults (CONTENT.md); a deployment can change or hide them. */
  site->domestic_abuse_helpline = g_strdup ("0808 2000 247");
  site->modern_slavery_helpline = g_strdup ("08000 121 700");
  site->neutral_title = g_strdup ("Welcome");
  site->local_paragraphs = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                  g_free, g_free);
  return site;
}

gboolean
views_site_load (ViewsSite *site, const Conf *conf, const char *group,
                 GError **error)
{
  struct { const char *key; char **slot; } keys[] = {
    { "site", &site->site_name },
    { "helpline_domestic_abuse", &site->domestic_abuse_helpline },
    { "helpline_modern_slavery", &site->modern_slavery_helpline },
    { "neutral_title", &site->neutral_title },
  };
  guint n_langs;
  const LangInfo *langs = lang_all (&n_langs);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      char *value;

      if (!conf_has_key (conf, group, keys[i].key))
        continue;
      value = conf_get_string (conf, group, keys[i].key, "", error);
      if (value == NULL)
        return FALSE;
      g_free (*keys[i].slot);
      *keys[i].slot = value;
    }
  for (guint i = 0; i < n_langs; i++)
    {
      g_autofree char *key = g_strconcat ("local_paragraph_", langs[i].code,
                                          NULL);
      char *value;

      if (!conf_has_key (conf, group, key))
        continue;
      value = conf_get_string (conf, group, key, "", error);
      if (value == NULL)
        return FALSE;
      g_hash_table_replace (site->local_paragraphs, g_strdup (langs[i].code),
                            value);
    }
  return TRUE;
}

void
views_site_free (ViewsSite *site)
{
  if (site == NULL)
    return;
  g_free (site->site_name);
  g_free (site->domestic_abuse_helpline);
  g_free (site->modern_slavery_helpline);
  g_free (site->neutral_title);
  g_hash_table_unref (site->local_paragraphs);
  g_free (site);
}

gboolean
views_local_path (const char *path)
{
  if (path == NULL || path[0] != '/' || path[1] == '/')
    return FALSE;
  if (strstr (path, "..") || strchr (path, '\\') || strchr (path, ':'))
    return FALSE;
  for (const char *p = path; *p; p++)
    if ((guchar) *p < 0x20 || (guchar) *p == 0x7f)
      return FALSE;
  return strlen (path) < 200;
}

/* ---- the frame of every page ---- */

static const char *
views_size_class (const ViewsPage *page)
{
  if (g_strcmp0 (page->text_size, "large") == 0)
    return "size-large";
  if (g_strcmp0 (page->text_size, "larger") == 0)
    return "size-larger";
  return "size-normal";
}

static void
views_emergency (GString *h, const ViewsPage *page)
{
  const ViewsSite *site = page->site;

  h_raw (h, "<div class=\"emergency\">\n");
  /* TRANSLATORS: %s is the emergency number 999, shown in a box at the
   * top of every page.  Keep it short. */
  h_para (h, "p class=\"danger\"", TRUE, _("In danger now? Call %s."), "999");
  /* TRANSLATORS: the UK "Silent Solution": %1$s is 999 and %2$s is 55. */
  h_para (h, "p", TRUE,
          _("On a mobile phone, if you cannot speak: call %1$s, then press %2$s."),
          "999", "55");
  if (site && site->domestic_abuse_helpline && *site->domestic_abuse_helpline)
    /* TRANSLATORS: %s is a phone number (free, 24 hours). */
    h_para (h, "p", TRUE, _("Domestic abuse helpline: %s"),
            site->domestic_abuse_helpline);
  if (site && site->modern_slavery_helpline && *site->modern_slavery_helpline)
    /* TRANSLATORS: %s is a phone number. */
    h_para (h, "p", TRUE, _("Modern slavery helpline: %s"),
            site->modern_slavery_helpline);
  h_raw (h, "</div>\n");
}

static void
views_tools (GString *h, const ViewsPage *page)
{
  static const struct { const char *size; const char *label; } sizes[] = {
    { "normal", "A" }, { "large", "A+" }, { "larger", "A++" },
  };
  const char *current = page->text_size ? page->text_size : "normal";

  h_raw (h, "<div class=\"tools\">\n");
  h_raw (h, "<form method=\"post\" action=\"/exit\" class=\"quick-exit\">");
  h_csrf (h, page);
  /* TRANSLATORS: the big button that leaves at once and clears
   * everything.  Short: it must fit a button. */
  h_printf (h, "<button type=\"submit\" id=\"quick-exit\">%s</button>",
            _("Quick exit"));
  h_raw (h, "</form>\n");

  h_raw (h, "<form method=\"post\" action=\"/text-size\" class=\"text-size\">");
  h_csrf (h, page);
  h_printf (h, "<input type=\"hidden\" name=\"back\" value=\"%s\">",
            views_local_path (page->path) ? page->path : "/");
  h_printf (h, "<span id=\"text-size-label\">%s</span>", _("Text size"));
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      const char *names[] = {
        /* TRANSLATORS: the text-size buttons' names for screen readers. */
        _("Normal text"), _("Large text"), _("Larger text"),
      };

      h_printf (h, "<button type=\"submit\" name=\"size\" value=\"%s\" "
                "aria-pressed=\"%s\" aria-label=\"%s\" "
                "aria-describedby=\"text-size-label\" dir=\"ltr\">%s</button>",
                sizes[i].size,
                strcmp (current, sizes[i].size) == 0 ? "true" : "false",
                names[i], sizes[i].label);
    }
  h_raw (h, "</form>\n");
  if (page->lang)
    h_printf (h, "<a class=\"change-lang\" href=\"/\" lang=\"en\" dir=\"ltr\">"
              "%s</a>\n", "Language");
  h_raw (h, "</div>\n");
}

/* Opens the page up to the start of <main>.  TITLE is already translated. */
static GString *
views_begin (const ViewsPage *page, const char *title, gboolean frame,
             guint refresh_seconds, const char *refresh_url)
{
  GString *h = g_string_sized_new (8192);
  const char *lang = lang_current ();

  h_printf (h, "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\" class=\"%s\">\n"
            "<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            "<title>%s</title>\n"
            "<link rel=\"stylesheet\" href=\"/assets/kiosk.css\">\n",
            lang, lang_direction (), views_size_class (page), title);
  if (frame)
    h_raw (h, "<script src=\"/assets/kiosk.js\" defer></script>\n");
  if (refresh_url)
    h_printf (h, "<meta http-equiv=\"refresh\" content=\"%u;url=%s\">\n",
              refresh_seconds, refresh_url);
  else if (frame && page->idle_warning > 0)
    /* Without JavaScript the page itself moves on when left alone; with
     * it, kiosk.js counts down (and keeps typing from being lost). */
    h_printf (h, "<noscript><meta http-equiv=\"refresh\" "
              "content=\"%u;url=/%s/idle\"></noscript>\n",
              page->idle_warning, lang);
  h_raw (h, "</head>\n");
  if (frame)
    {
      h_printf (h, "<body data-idle-warning=\"%u\" data-idle-timeout=\"%u\" "
                "data-lang=\"%s\">\n", page->idle_warning, page->idle_timeout,
                lang);
      /* TRANSLATORS: a link for keyboard and screen-reader users. */
      h_printf (h, "<a class=\"skip\" href=\"#main\">%s</a>\n",
                _("Skip to main content"));
      h_raw (h, "<header class=\"top\">\n");
      views_emergency (h, page);
      views_tools (h, page);
      h_raw (h, "</header>\n");
      if (page->idle_warning > 0)
        /* Words for kiosk.js's idle countdown (it has none of its own). */
        h_printf (h, "<div id=\"idle-template\" hidden data-title=\"%s\" "
                  "data-stay=\"%s\"></div>\n", _("Are you still there?"),
                  _("Yes, I am still here"));
    }
  else
    h_raw (h, "<body class=\"neutral\">\n");
  h_raw (h, "<main id=\"main\" tabindex=\"-1\">\n");
  return h;
}

static char *
views_end (GString *h, gboolean frame)
{
  h_raw (h, "</main>\n");
  if (frame)
    {
      h_raw (h, "<footer>\n");
      h_para (h, "p", FALSE, _("saferoute sends your report only to the organisation you choose. It never sends anything to the Home Office or to Immigration Enforcement."));
      h_para (h, "p", FALSE, _("Press Quick exit at any time to leave and clear this screen."));
      h_raw (h, "</footer>\n");
    }
  h_raw (h, "</body>\n</html>\n");
  return g_string_free (h, FALSE);
}

/* ---- language choice ---- */

char *
views_language_choice (const ViewsPage *page)
{
  const char *previous = lang_use (page->lang ? page->lang : "en");
  guint n;
  const LangInfo *langs = lang_all (&n);
  GString *h;
  char *out;

  h = views_begin (page, _("Choose your language"), TRUE, 0, NULL);
  /* The question in every language, each in its own script. */
  h_raw (h, "<h1 class=\"choose\">");
  for (guint i = 0; i < n; i++)
    {
      lang_use (langs[i].code);
      /* One line each (CSS: display block), in its own language. */
      h_printf (h, "<span lang=\"%s\" dir=\"%s\">%s</span>", langs[i].code,
                lang_direction (), _("Choose your language"));
    }
  lang_use (page->lang ? page->lang : "en");
  h_raw (h, "</h1>\n<ul class=\"languages\">\n");
  for (guint i = 0; i < n; i++)
    h_printf (h, "<li><a href=\"/%s/\" lang=\"%s\" hreflang=\"%s\" dir=\"%s\">"
              "%s</a></li>\n", langs[i].code, langs[i].code, langs[i].code,
              langs[i].rtl ? "rtl" : "ltr", langs[i].native_name);
  h_raw (h, "</ul>\n");
  out = views_end (h, TRUE);
  lang_use (previous);
  return out;
}

/* ---- the explainer ---- */

static void
views_explain_body (GString *h, const ViewsPage *page, guint n)
{
  const char *local;

  switch (n)
    {
    case 1:
      h_para (h, "h1", FALSE, _("What is a support organisation?"));
      h_para (h, "p", FALSE, _("A support organisation helps people who have been hurt or treated badly."));
      h_para (h, "p", FALSE, _("They help you whatever your immigration status is."));
      h_para (h, "p", FALSE, _("They can give you advice. They can speak for you, also to the police, but only if you want them to."));
      h_para (h, "p", FALSE, _("You choose the organisation."));
      break;
    case 2:
      h_para (h, "h1", FALSE, _("Where your report goes"));
      h_para (h, "p", FALSE, _("saferoute sends your report only to the organisation you choose."));
      h_para (h, "p", FALSE, _("It never sends anything to the Home Office or to Immigration Enforcement. It cannot be set up to do that."));
      h_para (h, "p", FALSE, _("Before you send, you see exactly what will be shared and with whom."));
      h_para (h, "p", FALSE, _("You can report without giving your name or any way to contact you."));
      break;
    case 3:
      h_para (h, "h1", FALSE, _("When could the police be told?"));
      h_para (h, "p", FALSE, _("The organisation will only tell the police if you agree."));
      h_para (h, "p", FALSE, _("There is one exception. If someone, especially a child, is in danger right now, the organisation may have to tell the police to keep them safe."));
      h_para (h, "p", FALSE, _("Each organisation shows its own rule before you choose it."));
      break;
    case 4:
      h_para (h, "h1", FALSE, _("The police and immigration"));
      h_para (h, "p", FALSE, _("Police forces are different. Some police forces share information with Immigration Enforcement. Some do not."));
      h_para (h, "p", FALSE, _("We cannot promise what the police will do."));
      h_para (h, "p", FALSE, _("A support organisation can tell you what your local police do. It can give you advice and speak for you."));
      local = page->site ? g_hash_table_lookup (page->site->local_paragraphs,
                                                lang_current ())
                         : NULL;
      if (local && *local)
        {
          h_raw (h, "<div class=\"local\">\n");
          h_para (h, "h2", FALSE, _("About the police here"));
          h_raw (h, "<p>");
          h_text (h, local);
          h_raw (h, "</p>\n</div>\n");
        }
      break;
    default:
      h_para (h, "h1", FALSE, _("What you can ask for"));
      h_para (h, "p", FALSE, _("You can ask for:"));
      h_raw (h, "<ul>\n");
      h_para (h, "li", FALSE, _("an interpreter who speaks your language"));
      h_para (h, "li", FALSE, _("to stay anonymous: you do not have to give your name"));
      h_para (h, "li", FALSE, _("a woman support worker"));
      h_raw (h, "</ul>\n");
      h_para (h, "p", FALSE, _("On this screen, only the organisation can read what you write."));
      h_para (h, "p", FALSE, _("Text messages pass through a phone company, and the phone company can see them."));
      break;
    }
}

guint
views_explain_count (void)
{
  return 5;
}

char *
views_explain (const ViewsPage *page, guint n)
{
  const char *previous = lang_use (page->lang);
  const char *lang = page->lang;
  guint count = views_explain_count ();
  g_autofree char *title = NULL;
  g_autofree char *number = NULL;
  g_autofree char *total = NULL;
  GString *h;
  char *out;

  n = CLAMP (n, 1, count);
  number = g_strdup_printf ("%u", n);
  total = g_strdup_printf ("%u", count);
  title = g_strdup_printf ("%s (%u/%u)", _("How information sharing works"),
                           n, count);
  h = views_begin (page, title, TRUE, 0, NULL);
  /* TRANSLATORS: %1$s and %2$s are numbers: "page 2 of 5". */
  h_para (h, "p class=\"progress\"", TRUE, _("How information sharing works: page %1$s of %2$s"),
          number, total);
  h_raw (h, "<section class=\"explain\">\n");
  views_explain_body (h, page, n);
  h_raw (h, "</section>\n<nav class=\"steps\">\n");
  if (n < count)
    h_printf (h, "<a class=\"button primary\" href=\"/%s/explain/%u\">%s</a>\n",
              lang, n + 1, _("Next"));
  else
    h_printf (h, "<a class=\"button primary\" href=\"/%s/report\">%s</a>\n",
              lang, _("Start a report"));
  if (n > 1)
    h_printf (h, "<a class=\"button\" href=\"/%s/explain/%u\">%s</a>\n", lang,
              n - 1, _("Back"));
  if (n < count)
    h_printf (h, "<a class=\"button\" href=\"/%s/report\">%s</a>\n", lang,
              _("Skip this and start a report"));
  h_raw (h, "</nav>\n");
  out = views_end (h, TRUE);
  lang_use (previous);
  return out;
}

/* ---- words for values ---- */

typedef struct
{
  const char *id;
  const char *label;
  const char *hint;
} ViewsChoice;

static const ViewsChoice views_categories[] = {
  { "domestic-abuse", N_("Domestic abuse"),
    N_("Someone in your family or your home hurts you, scares you, or controls you or your money.") },
  { "honour-based-abuse", N_("Honour-based abuse"),
    N_("Someone hurts or threatens you to protect the \"honour\" of a family or a community.") },
  { "forced-marriage", N_("Forced marriage"),
    N_("Someone is making you marry, or made you marry, when you did not want to.") },
  { "fgm", N_("Female genital mutilation (FGM)"),
    N_("Someone cut, or wants to cut, the private parts of a girl or a woman.") },
  { "modern-slavery", N_("Modern slavery"),
    N_("Someone makes you work or do things and you cannot leave. They may keep your passport or your pay, or say you owe them money.") },
  { "sexual-violence", N_("Sexual violence"),
    N_("Someone touched you in a sexual way, or made you do sexual things, when you did not agree.") },
  { "hate-crime", N_("Hate crime"),
    N_("Someone hurt, threatened or insulted you because of who you are, your religion, or where you come from.") },
  { "other", N_("Something else"),
    N_("Something else happened and you want help.") },
};

static const ViewsChoice views_methods[] = {
  { "none", N_("Do not contact me"),
    N_("You stay anonymous. The organisation cannot reply to you, but you will get a reference code.") },
  { "phone", N_("Phone call"), NULL },
  { "sms", N_("Text message only"),
    N_("Text messages pass through a phone company, and the phone company can see them.") },
  { "trusted-person", N_("Through someone I trust"),
    N_("The organisation contacts a person you trust, who passes on the message.") },
};

static const ViewsChoice *
views_choice (const ViewsChoice *choices, guint n, const char *id)
{
  for (guint i = 0; id && i < n; i++)
    if (strcmp (choices[i].id, id) == 0)
      return &choices[i];
  return NULL;
}

const char *
views_category_label (const char *category)
{
  const ViewsChoice *c = views_choice (views_categories,
                                       G_N_ELEMENTS (views_categories),
                                       category);

  return c ? _(c->label) : category;
}

static const char *
views_method_label (const char *method)
{
  const ViewsChoice *c = views_choice (views_methods,
                                       G_N_ELEMENTS (views_methods), method);

  return c ? _(c->label) : method;
}

static const char *
views_language_name (const char *code)
{
  const LangInfo *info = lang_lookup (code);

  return info ? info->native_name : code;
}

static const char *
views_police_rule (const Partner *partner)
{
  if (partner->may_tell_police == PARTNER_POLICE_ONLY_DANGER)
    return _("They will never tell the police, except if someone is in danger right now.");
  return _("They will only tell the police if you agree, except if someone is in danger right now.");
}

/* ---- the wizard ---- */

static void
views_error (GString *h, const Wizard *wizard, const char *field)
{
  if (wizard->invalid_field && strcmp (wizard->invalid_field, field) == 0
      && wizard->invalid_reason)
    h_printf (h, "<p class=\"error\" id=\"error-%s\">%s</p>\n", field,
              _(wizard->invalid_reason));
}

static gboolean
views_is_invalid (const Wizard *wizard, const char *field)
{
  return wizard->invalid_field && strcmp (wizard->invalid_field, field) == 0;
}

/* A fieldset's link to its error (aria-invalid is not for groups). */
static const char *
views_invalid_attrs (const Wizard *wizard, const char *field, char **buffer)
{
  if (views_is_invalid (wizard, field))
    *buffer = g_markup_printf_escaped (" aria-describedby=\"error-%s\"", field);
  else
    *buffer = g_strdup ("");
  return *buffer;
}

/* Opens a group of choices.  ATTRS is our own markup (views_invalid_attrs);
 * LEGEND is text. */
static void
h_fieldset (GString *h, const char *attrs, const char *legend)
{
  h_raw (h, "<fieldset class=\"choices\"");
  h_raw (h, attrs);
  h_printf (h, ">\n<legend>%s</legend>\n", legend);
}

/* A radio group: LEGEND is translated; CHOICES' labels and hints are
 * msgids.  CURRENT is checked. */
static void
views_radios (GString *h, const Wizard *wizard, const char *field,
              const char *legend, const ViewsChoice *choices, guint n,
              const char *current)
{
  g_autofree char *attrs = NULL;

  h_fieldset (h, views_invalid_attrs (wizard, field, &attrs), legend);
  views_error (h, wizard, field);
  for (guint i = 0; i < n; i++)
    {
      h_printf (h, "<div class=\"choice\"><input type=\"radio\" name=\"%s\" "
                "id=\"%s-%s\" value=\"%s\"%s>", field, field, choices[i].id,
                choices[i].id,
                g_strcmp0 (current, choices[i].id) == 0 ? " checked" : "");
      if (choices[i].hint)
        h_printf (h, "<label for=\"%s-%s\"><span class=\"label\">%s</span> "
                  "<span class=\"hint\">%s</span></label></div>\n", field,
                  choices[i].id, _(choices[i].label), _(choices[i].hint));
      else
        h_printf (h, "<label for=\"%s-%s\"><span class=\"label\">%s</span>"
                  "</label></div>\n", field, choices[i].id,
                  _(choices[i].label));
    }
  h_raw (h, "</fieldset>\n");
}

static void
views_yes_no (GString *h, const Wizard *wizard, const char *field,
              const char *legend, const char *hint, gboolean answered,
              gboolean value)
{
  ViewsChoice choices[] = {
    { "yes", N_("Yes"), NULL },
    { "no", N_("No"), NULL },
  };

  if (hint)
    {
      /* The hint belongs to the question: put it in the legend. */
      g_autofree char *both = g_strdup_printf ("%s %s", legend, hint);
      views_radios (h, wizard, field, both, choices, 2,
                    answered ? (value ? "yes" : "no") : NULL);
    }
  else
    views_radios (h, wizard, field, legend, choices, 2,
                  answered ? (value ? "yes" : "no") : NULL);
}

static void
views_text_input (GString *h, const Wizard *wizard, const char *field,
                  const char *label, const char *hint, const char *value,
                  const char *type, gboolean ltr, guint maxlength)
{
  gboolean invalid = views_is_invalid (wizard, field);

  h_printf (h, "<div class=\"field\"><label for=\"%s\">%s</label>\n", field,
            label);
  if (hint)
    h_printf (h, "<p class=\"hint\" id=\"hint-%s\">%s</p>\n", field, hint);
  views_error (h, wizard, field);
  h_printf (h, "<input type=\"%s\" id=\"%s\" name=\"%s\" value=\"%s\" "
            "maxlength=\"%u\" autocomplete=\"off\" spellcheck=\"false\"%s%s",
            type, field, field, value ? value : "", maxlength,
            ltr ? " dir=\"ltr\"" : "",
            strcmp (type, "tel") == 0 ? " inputmode=\"tel\"" : "");
  if (invalid)
    h_raw (h, " aria-invalid=\"true\"");
  h_printf (h, " aria-describedby=\"%s%s%s%s\"></div>\n",
            hint ? "hint-" : "", hint ? field : "",
            invalid ? " error-" : "", invalid ? field : "");
}

static void
views_step_category (GString *h, const Wizard *w)
{
  views_radios (h, w, "category", _("What happened?"), views_categories,
                G_N_ELEMENTS (views_categories), w->category);
}

static void
views_partner_card (GString *h, const Partner *p, const char *current)
{
  g_autoptr(GString) langs = g_string_new (NULL);

  h_printf (h, "<div class=\"choice card\"><input type=\"radio\" "
            "name=\"partner\" id=\"partner-%s\" value=\"%s\"%s>"
            "<label for=\"partner-%s\"><span class=\"label\"><bdi>%s</bdi>"
            "</span>\n", p->id, p->id,
            g_strcmp0 (current, p->id) == 0 ? " checked" : "", p->id, p->name);
  /* The description is in whatever language the operator wrote it:
   * let the browser find its direction rather than inherit the page's. */
  h_raw (h, "<span class=\"hint\" dir=\"auto\">");
  h_text (h, p->description);
  h_raw (h, "</span>\n<span class=\"hint\">");
  h_text (h, _("Languages:"));
  for (guint i = 0; p->languages && p->languages[i]; i++)
    h_printf (h, "%s<bdi lang=\"%s\">%s</bdi>", i ? ", " : " ",
              p->languages[i], views_language_name (p->languages[i]));
  h_raw (h, "</span>\n");
  if (p->interpreters)
    h_para (h, "span class=\"hint\"", FALSE, _("They can bring an interpreter."));
  if (p->woman_worker)
    h_para (h, "span class=\"hint\"", FALSE, _("They can offer a woman support worker."));
  h_printf (h, "<span class=\"hint police\">%s</span>\n", views_police_rule (p));
  if (p->phone && *p->phone)
    /* TRANSLATORS: %s is the organisation's phone number. */
    h_para (h, "span class=\"hint\"", TRUE, _("Phone: %s"), p->phone);
  h_raw (h, "</label></div>\n");
}

static void
views_step_partner (GString *h, const Wizard *w, const WizardContext *c)
{
  g_autoptr(GPtrArray) eligible = wizard_partners (w, c);
  g_autofree char *attrs = NULL;

  if (eligible->len == 0)
    {
      h_para (h, "h2", FALSE, _("No organisation here can take this report"));
      h_para (h, "p", FALSE, _("Please call one of the helplines at the top of this page. They are free and can help you."));
      return;
    }
  h_fieldset (h, views_invalid_attrs (w, "partner", &attrs),
              _("Which organisation do you want to send your report to?"));
  views_error (h, w, "partner");
  for (guint i = 0; i < eligible->len; i++)
    views_partner_card (h, g_ptr_array_index (eligible, i), w->partner);
  h_raw (h, "</fieldset>\n");
}

static void
views_step_contact (GString *h, const Wizard *w)
{
  views_radios (h, w, "method", _("How can the organisation contact you safely?"),
                views_methods, G_N_ELEMENTS (views_methods),
                w->contact_method);
}

static void
views_step_details (GString *h, const Wizard *w)
{
  gboolean by_phone = g_strcmp0 (w->contact_method, "phone") == 0;

  if (by_phone || g_strcmp0 (w->contact_method, "sms") == 0)
    views_text_input (h, w, "phone", _("Your phone number"),
                      _("For example: 07700 900123"), w->phone, "tel", TRUE, 40);
  else
    views_text_input (h, w, "trusted_person",
                      _("How can they reach the person you trust?"),
                      _("For example: their name and phone number."),
                      w->trusted_person, "text", FALSE, REPORT_SHORT_FIELD_MAX);
  if (by_phone)
    {
      gboolean answered = w->phone != NULL;

      views_yes_no (h, w, "voicemail",
                    _("Is it safe to leave you a voicemail message?"), NULL,
                    answered, w->voicemail_ok);
      views_yes_no (h, w, "sms", _("Is it safe to send you a text message?"),
                    NULL, answered, w->sms_ok);
    }
  views_text_input (h, w, "safe_times",
                    _("When is it safe to contact you? (You do not have to answer.)"),
                    _("For example: weekdays from 10 to 12."), w->safe_times,
                    "text", FALSE, REPORT_SHORT_FIELD_MAX);
}

static void
views_step_needs (GString *h, const Wizard *w)
{
  guint n;
  const LangInfo *langs = lang_all (&n);
  g_autofree char *attrs = NULL;
  const char *current = w->interpreter_language ? w->interpreter_language
                        : (w->step > WIZARD_STEP_NEEDS ? "none" : NULL);

  h_fieldset (h, views_invalid_attrs (w, "interpreter", &attrs),
              _("Do you need an interpreter?"));
  views_error (h, w, "interpreter");
  h_printf (h, "<div class=\"choice\"><input type=\"radio\" name=\"interpreter\" "
            "id=\"interpreter-none\" value=\"none\"%s><label "
            "for=\"interpreter-none\"><span class=\"label\">%s</span></label>"
            "</div>\n", g_strcmp0 (current, "none") == 0 ? " checked" : "",
            _("No, I do not need an interpreter"));
  for (guint i = 1; i < n; i++)
    h_printf (h, "<div class=\"choice\"><input type=\"radio\" name=\"interpreter\" "
              "id=\"interpreter-%s\" value=\"%s\"%s><label for=\"interpreter-%s\">"
              "<span class=\"label\" lang=\"%s\" dir=\"%s\">%s</span></label>"
              "</div>\n", langs[i].code, langs[i].code,
              g_strcmp0 (current, langs[i].code) == 0 ? " checked" : "",
              langs[i].code, langs[i].code, langs[i].rtl ? "rtl" : "ltr",
              langs[i].native_name);
  h_raw (h, "</fieldset>\n");
  views_yes_no (h, w, "woman_worker",
                _("Would you like a woman support worker?"), NULL,
                w->step > WIZARD_STEP_NEEDS || w->interpreter_language,
                w->woman_worker);
}

static void
views_step_police (GString *h, const Wizard *w, const WizardContext *c)
{
  const Partner *partner = wizard_partner (w, c);
  ViewsChoice choices[] = {
    { "yes", N_("Yes, they can tell the police"), NULL },
    { "no", N_("No, not without asking me first"), NULL },
  };

  if (partner)
    h_printf (h, "<p>%s</p>\n", views_police_rule (partner));
  views_radios (h, w, "police",
                _("Can the organisation tell the police what happened?"),
                choices, 2,
                w->step > WIZARD_STEP_POLICE ? (w->police_ok ? "yes" : "no")
                                             : NULL);
}

static void
views_step_message (GString *h, const Wizard *w)
{
  gboolean invalid = views_is_invalid (w, "message");

  h_printf (h, "<div class=\"field\"><label for=\"message\">%s</label>\n"
            "<p class=\"hint\" id=\"hint-message\">%s</p>\n",
            _("Tell the organisation what happened, if you want to. (You do not have to.)"),
            _("Only the organisation you chose can read this."));
  views_error (h, w, "message");
  h_printf (h, "<textarea id=\"message\" name=\"message\" rows=\"8\" "
            "dir=\"auto\" maxlength=\"%u\" autocomplete=\"off\" "
            "aria-describedby=\"hint-message%s\"%s>", REPORT_MESSAGE_MAX / 4,
            invalid ? " error-message" : "",
            invalid ? " aria-invalid=\"true\"" : "");
  /* The textarea's content is text: escaped like everything else, so a
   * "</textarea>" typed by someone stays text. */
  h_text (h, w->message);
  h_raw (h, "</textarea></div>\n");
}

/* Label of a shared field (report_shared_fields), as the check screen and
 * the receipt list it. */
static const char *
views_field_label (const char *field)
{
  static const struct { const char *field; const char *label; } labels[] = {
    { "id", N_("A random number that identifies your report") },
    { "ref", N_("Your reference code") },
    { "channel", N_("How you sent it") },
    { "language", N_("Your language") },
    { "created_at", N_("The date and time you sent it") },
    { "category", N_("What happened") },
    { "partner", N_("The organisation") },
    { "contact.method", N_("How they can contact you") },
    { "contact.phone", N_("Your phone number") },
    { "contact.safe_times", N_("When it is safe to contact you") },
    { "contact.voicemail_ok", N_("Whether they can leave a voicemail") },
    { "contact.sms_ok", N_("Whether they can send a text message") },
    { "contact.interpreter_language", N_("The interpreter you need") },
    { "contact.woman_worker", N_("Whether you would like a woman support worker") },
    { "contact.trusted_person", N_("How to reach the person you trust") },
    { "consent.share_with_partner", N_("That you agree to share this with the organisation") },
    { "consent.partner_may_tell_police", N_("Whether they can tell the police") },
    { "message", N_("Your message") },
    { "site", N_("The name of this place") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (strcmp (labels[i].field, field) == 0)
      return _(labels[i].label);
  return field;
}

static void
views_yes_no_value (GString *h, gboolean value)
{
  h_text (h, value ? _("Yes") : _("No"));
}

/* The value of FIELD in REPORT, as the person will recognise it. */
static void
views_field_value (GString *h, const char *field, const Report *r,
                   const Partner *partner)
{
  if (strcmp (field, "category") == 0)
    h_text (h, views_category_label (r->category));
  else if (strcmp (field, "partner") == 0)
    h_printf (h, "<bdi>%s</bdi>", partner ? partner->name : r->partner);
  else if (strcmp (field, "language") == 0)
    h_printf (h, "<bdi>%s</bdi>", views_language_name (r->language));
  else if (strcmp (field, "contact.interpreter_language") == 0)
    h_printf (h, "<bdi>%s</bdi>",
              views_language_name (r->contact.interpreter_language));
  else if (strcmp (field, "contact.method") == 0)
    h_text (h, views_method_label (r->contact.method));
  else if (strcmp (field, "contact.phone") == 0)
    h_printf (h, "<bdi dir=\"ltr\">%s</bdi>", r->contact.phone);
  else if (strcmp (field, "contact.safe_times") == 0)
    h_printf (h, "<bdi>%s</bdi>", r->contact.safe_times);
  else if (strcmp (field, "contact.trusted_person") == 0)
    h_printf (h, "<bdi>%s</bdi>", r->contact.trusted_person);
  else if (strcmp (field, "contact.voicemail_ok") == 0)
    views_yes_no_value (h, r->contact.voicemail_ok);
  else if (strcmp (field, "contact.sms_ok") == 0)
    views_yes_no_value (h, r->contact.sms_ok);
  else if (strcmp (field, "contact.woman_worker") == 0)
    views_yes_no_value (h, r->contact.woman_worker);
  else if (strcmp (field, "consent.share_with_partner") == 0)
    views_yes_no_value (h, r->share_with_partner);
  else if (strcmp (field, "consent.partner_may_tell_police") == 0)
    views_yes_no_value (h, r->partner_may_tell_police);
  else if (strcmp (field, "message") == 0)
    /* Typed in any script: its own direction, not the page's. */
    h_printf (h, "<span class=\"message\" dir=\"auto\">%s</span>", r->message);
  else if (strcmp (field, "site") == 0)
    h_printf (h, "<bdi>%s</bdi>", r->site);
  else if (strcmp (field, "channel") == 0)
    h_text (h, strcmp (r->channel, "kiosk") == 0 ? _("This screen")
                                                 : _("A web form"));
  else if (strcmp (field, "ref") == 0)
    h_text (h, _("You will see it after you send."));
  else if (strcmp (field, "created_at") == 0 || strcmp (field, "id") == 0)
    ;
  else
    h_text (h, field);
}

static void
views_step_check (GString *h, const Wizard *w, const WizardContext *c)
{
  g_autoptr(GError) error = NULL;
  const Partner *partner = wizard_partner (w, c);
  Report *report = wizard_build_report (w, c, &error);
  g_auto(GStrv) shared = NULL;

  if (report == NULL || partner == NULL)
    {
      h_para (h, "p class=\"error\"", FALSE, _("Something in your answers is not complete. Please go back and check them."));
      return;
    }
  shared = report_shared_fields (report);
  h_para (h, "p class=\"to\"", FALSE, _("Your report will go to: %s"),
          partner->name);
  h_para (h, "h2", FALSE, _("What will be shared with them"));
  h_raw (h, "<dl class=\"shared\">\n");
  for (guint i = 0; shared[i]; i++)
    {
      h_raw (h, "<div><dt>");
      h_text (h, views_field_label (shared[i]));
      h_raw (h, "</dt><dd>");
      views_field_value (h, shared[i], report, partner);
      h_raw (h, "</dd></div>\n");
    }
  h_raw (h, "</dl>\n");
  h_para (h, "h2", FALSE, _("What will not be shared"));
  h_raw (h, "<ul class=\"not-shared\">\n");
  h_para (h, "li", FALSE, _("Nothing goes to the Home Office or to Immigration Enforcement."));
  if (w->police_ok)
    h_para (h, "li", FALSE, _("saferoute sends nothing to the police. You said the organisation can tell the police."));
  else
    h_para (h, "li", FALSE, _("saferoute sends nothing to the police. The organisation will not tell the police, except if someone is in danger right now."));
  h_para (h, "li", FALSE, _("Your name, unless you wrote it yourself."));
  if (report->contact.phone == NULL)
    h_para (h, "li", FALSE, _("No phone number: you did not give one."));
  h_para (h, "li", FALSE, _("Nothing else from this screen."));
  h_raw (h, "</ul>\n");
  h_para (h, "p", FALSE, _("When you press Send, you agree to share this with %s."),
          partner->name);
  wizard_report_wipe (report);
}

static const char *
views_step_title (WizardStep step)
{
  switch (step)
    {
    case WIZARD_STEP_CATEGORY: return _("What happened");
    case WIZARD_STEP_PARTNER: return _("Choose an organisation");
    case WIZARD_STEP_CONTACT: return _("How to contact you");
    case WIZARD_STEP_DETAILS: return _("Contact details");
    case WIZARD_STEP_NEEDS: return _("What you need");
    case WIZARD_STEP_POLICE: return _("The police");
    case WIZARD_STEP_MESSAGE: return _("Your message");
    case WIZARD_STEP_CHECK: return _("Check before you send");
    default: return _("Your report");
    }
}

char *
views_wizard (const ViewsPage *page, const Wizard *w, const WizardContext *c)
{
  const char *previous = lang_use (page->lang);
  guint n_steps = 0;
  guint number = wizard_step_number (w, &n_steps);
  g_autofree char *num = g_strdup_printf ("%u", number);
  g_autofree char *total = g_strdup_printf ("%u", n_steps);
  g_autofree char *title = NULL;
  gboolean can_go_on = TRUE;
  GString *h;
  char *out;

  /* TRANSLATORS: the browser tab title: %s is the step's name. */
  title = g_strdup_printf ("%s: %s", _("Report"), views_step_title (w->step));
  h = views_begin (page, title, TRUE, 0, NULL);
  /* TRANSLATORS: %1$s and %2$s are numbers: "Step 2 of 8". */
  h_para (h, "p class=\"progress\"", TRUE, _("Step %1$s of %2$s"), num, total);
  h_printf (h, "<h1>%s</h1>\n", views_step_title (w->step));
  if (w->invalid_reason)
    h_printf (h, "<div class=\"error-summary\" role=\"alert\"><p>%s</p></div>\n",
              _(w->invalid_reason));
  h_printf (h, "<form method=\"post\" action=\"/%s/report\" autocomplete=\"off\" "
            "class=\"wizard\" novalidate>", page->lang);
  h_csrf (h, page);
  h_printf (h, "<input type=\"hidden\" name=\"step\" value=\"%s\">\n",
            wizard_step_name (w->step));
  switch (w->step)
    {
    case WIZARD_STEP_CATEGORY: views_step_category (h, w); break;
    case WIZARD_STEP_PARTNER:
      {
        g_autoptr(GPtrArray) eligible = wizard_partners (w, c);
        can_go_on = eligible->len > 0;
        views_step_partner (h, w, c);
      }
      break;
    case WIZARD_STEP_CONTACT: views_step_contact (h, w); break;
    case WIZARD_STEP_DETAILS: views_step_details (h, w); break;
    case WIZARD_STEP_NEEDS: views_step_needs (h, w); break;
    case WIZARD_STEP_POLICE: views_step_police (h, w, c); break;
    case WIZARD_STEP_MESSAGE: views_step_message (h, w); break;
    case WIZARD_STEP_CHECK: views_step_check (h, w, c); break;
    default: break;
    }
  h_raw (h, "<div class=\"steps\">\n");
  if (w->step == WIZARD_STEP_CHECK)
    {
      h_raw (h, "<input type=\"hidden\" name=\"confirm\" value=\"send\">");
      h_printf (h, "<button type=\"submit\" name=\"action\" value=\"next\" "
                "class=\"button primary\">%s</button>\n", _("Send my report"));
    }
  else if (can_go_on)
    h_printf (h, "<button type=\"submit\" name=\"action\" value=\"next\" "
              "class=\"button primary\">%s</button>\n", _("Next"));
  if (w->step > WIZARD_STEP_CATEGORY)
    h_printf (h, "<button type=\"submit\" name=\"action\" value=\"back\" "
              "class=\"button\">%s</button>\n", _("Back"));
  else
    h_printf (h, "<a class=\"button\" href=\"/%s/explain/1\">%s</a>\n",
              page->lang, _("How information sharing works"));
  h_raw (h, "</div>\n</form>\n");
  out = views_end (h, TRUE);
  lang_use (previous);
  return out;
}

/* ---- receipt ---- */

char *
views_receipt (const ViewsPage *page, const WizardReceipt *receipt,
               const Partner *partner)
{
  const char *previous = lang_use (page->lang);
  gboolean reachable = FALSE;
  GString *h;
  char *out;

  for (guint i = 0; receipt->shared && receipt->shared[i]; i++)
    if (strcmp (receipt->shared[i], "contact.phone") == 0
        || strcmp (receipt->shared[i], "contact.trusted_person") == 0)
      reachable = TRUE;
  h = views_begin (page, _("Your report is on its way"), TRUE, 0, NULL);
  h_para (h, "h1", FALSE, _("Your report is on its way"));
  h_para (h, "p", FALSE, _("It is saved and will be sent to %s, even if the internet is down right now."),
          receipt->partner_name);
  h_raw (h, "<div class=\"ref\">\n");
  h_para (h, "p", FALSE, _("Your reference code:"));
  h_printf (h, "<p class=\"code\"><bdi dir=\"ltr\">%s</bdi></p>\n", receipt->ref);
  h_para (h, "p", FALSE, _("Write it down or remember it. If you give it to the organisation, they will know which report is yours."));
  h_raw (h, "</div>\n");
  h_para (h, "h2", FALSE, _("What happens next"));
  if (reachable)
    h_para (h, "p", FALSE, _("The organisation can contact you in the way you chose."));
  else
    h_para (h, "p", FALSE, _("The organisation cannot contact you. You can contact them and give your reference code."));
  if (partner && partner->phone && *partner->phone)
    h_para (h, "p", TRUE, _("Phone: %s"), partner->phone);
  h_para (h, "h2", FALSE, _("What was shared with them"));
  h_raw (h, "<ul class=\"shared\">\n");
  for (guint i = 0; receipt->shared && receipt->shared[i]; i++)
    {
      h_raw (h, "<li>");
      h_text (h, views_field_label (receipt->shared[i]));
      h_raw (h, "</li>\n");
    }
  h_raw (h, "</ul>\n");
  h_para (h, "p", FALSE, _("Nothing went to the Home Office or to Immigration Enforcement."));
  h_raw (h, "<form method=\"post\" action=\"/done\" class=\"steps\">");
  h_csrf (h, page);
  h_printf (h, "<button type=\"submit\" class=\"button primary\">%s</button>"
            "</form>\n", _("Finish and clear the screen"));
  out = views_end (h, TRUE);
  lang_use (previous);
  return out;
}

/* ---- neutral, idle and message pages ---- */

char *
views_neutral (const ViewsPage *page)
{
  const char *title = page->site && page->site->neutral_title
                      ? page->site->neutral_title : "Welcome";
  const char *previous = lang_use ("en");
  GString *h = views_begin (page, title, FALSE, 10, "/");
  char *out;

  /* Nothing here says saferoute: someone looking over a shoulder sees a
   * welcome page, and after a few seconds the start screen returns. */
  h_printf (h, "<h1>%s</h1>\n<p><a href=\"/\">%s</a></p>\n", title, "Start");
  out = views_end (h, FALSE);
  lang_use (previous);
  return out;
}

char *
views_idle (const ViewsPage *page, const char *continue_path,
            guint seconds_left)
{
  const char *previous = lang_use (page->lang);
  g_autofree char *seconds = g_strdup_printf ("%u", seconds_left);
  ViewsPage quiet = *page;
  GString *h;
  char *out;

  /* This page must not restart its own idle refresh. */
  quiet.idle_warning = 0;
  /* Even with JavaScript on, this page moves on to the wipe by itself. */
  h = views_begin (&quiet, _("Are you still there?"), TRUE, seconds_left,
                   "/timeout");
  h_printf (h, "<h1>%s</h1>\n", _("Are you still there?"));
  /* TRANSLATORS: %s is a number of seconds. */
  h_para (h, "p", TRUE, ngettext ("To keep your answers safe, they will be cleared in %s second.",
                                  "To keep your answers safe, they will be cleared in %s seconds.",
                                  seconds_left), seconds);
  h_printf (h, "<p class=\"countdown\" aria-live=\"polite\" data-seconds=\"%u\"></p>\n",
            seconds_left);
  h_printf (h, "<nav class=\"steps\"><a class=\"button primary\" href=\"%s\">%s</a>"
            "</nav>\n", views_local_path (continue_path) ? continue_path : "/",
            _("Yes, I am still here"));
  out = views_end (h, TRUE);
  lang_use (previous);
  return out;
}

char *
views_message (const ViewsPage *page, const char *title, const char *text)
{
  const char *previous = lang_use (page->lang ? page->lang : "en");
  GString *h = views_begin (page, _(title), TRUE, 0, NULL);
  char *out;

  h_printf (h, "<h1>%s</h1>\n<p>%s</p>\n", _(title), _(text));
  h_printf (h, "<nav class=\"steps\"><a class=\"button primary\" href=\"/\">%s</a>"
            "</nav>\n", _("Start again"));
  out = views_end (h, TRUE);
  lang_use (previous);
  return out;
}
