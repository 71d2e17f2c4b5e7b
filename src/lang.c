/* lang: which language a request is rendered in (approach 2 of L10N.md).
 *
 * Owns the process's gettext set-up: the built-in C.UTF-8 locale (present
 * on every glibc system, so nothing needs generating), our text domain
 * bound to one directory with UTF-8 output, and LANGUAGE switched per
 * request.  glibc caches translations per LANGUAGE only after the message
 * catalog counter changes, hence ++_nl_msg_cat_cntr after every switch:
 * without it the first cached translation comes back in every language.
 *
 * Invariants: after lang_init() succeeds, every language of lang_all() has
 * a catalog whose header names that language and that translates the
 * Urdu or the server never started.  Process-wide state: use only from the
 * main loop's thread.
 *
 * Failure: lang_init() returns LANG_ERROR_MISSING naming the language and
 * the directory searched, or LANG_ERROR_LOCALE when C.UTF-8 is absent.
 * With lang_allow_missing (TRUE) (a development escape hatch) a missing
 * catalog is a warning instead and that language renders in English. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>

#include "lang.h"

/* glibc's catalog generation counter; not in any header. */
extern int _nl_msg_cat_cntr;

G_DEFINE_QUARK (saferoute-lang-error-quark, lang_error)

static const LangInfo lang_table[] = {
  { "en", "English", "English", FALSE },
  { "pa", "ਪੰਜਾਬੀ", "Punjabi", FALSE },
  { "ur", "اردو", "Urdu", TRUE },
  { "ar", "العربية", "Arabic", TRUE },
  { "so", "Soomaali", "Somali", FALSE },
  { "sq", "Shqip", "Albanian", FALSE },
};

static char *lang_dir;
static const char *lang_now = "en";
static gboolean lang_missing_ok;

/* TRANSLATORS: the text direction of your language.  Translate as
 * "default:RTL" for a right-to-left language (Urdu, Arabic) and as
 * "default:LTR" otherwise.  Nothing else. */
#define LANG_DIRECTION_MSGID N_("default:LTR")
/* A string every catalog must translate: its absence means an empty or
 * wrong catalog even when the file itself is there. */
#define LANG_SENTINEL_MSGID N_("Choose your language")

const LangInfo *
lang_all (guint *n)
{
  if (n)
    *n = G_N_ELEMENTS (lang_table);
  return lang_table;
}

const LangInfo *
lang_lookup (const char *code)
{
  if (code == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (lang_table); i++)
    if (strcmp (lang_table[i].code, code) == 0)
      return &lang_table[i];
  return NULL;
}

void
lang_allow_missing (gboolean allow)
{
  lang_missing_ok = allow;
}

const char *
lang_use (const char *code)
{
  const char *previous = lang_now;
  const LangInfo *info = lang_lookup (code);

  g_return_val_if_fail (info != NULL, previous);
  if (info->code == lang_now)
    return previous;   /* no switch, so gettext's cache stays valid */
  /* "en" is the source language: a LANGUAGE naming a catalog that does
   * not exist gives the msgids, which is exactly English. */
  g_setenv ("LANGUAGE", info->code, TRUE);
  ++_nl_msg_cat_cntr;
  lang_now = info->code;
  return previous;
}

const char *
lang_current (void)
{
  return lang_now;
}

const char *
lang_localedir (void)
{
  return lang_dir;
}

const char *
lang_direction (void)
{
  const LangInfo *info = lang_lookup (lang_now);

  return info && info->rtl ? "rtl" : "ltr";
}

/* Checks the catalog of the language in use.  The header (msgid "") only
 * comes back when a catalog for this language was found and loaded. */
static gboolean
lang_check_one (const LangInfo *info, GError **error)
{
  /* Through a variable: xgettext must not extract the empty msgid. */
  static const char header_msgid[] = "";
  const char *header = gettext (header_msgid);
  g_autofree char *needle = g_strdup_printf ("Language: %s\n", info->code);
  const char *direction;

  if (header == NULL || strstr (header, needle) == NULL)
    {
      g_set_error (error, LANG_ERROR, LANG_ERROR_MISSING,
                   "no %s (%s) catalog %s.mo under %s/%s/LC_MESSAGES",
                   info->english_name, info->code, PACKAGE, lang_dir,
                   info->code);
      return FALSE;
    }
  if (strcmp (gettext (LANG_SENTINEL_MSGID), LANG_SENTINEL_MSGID) == 0)
    {
      g_set_error (error, LANG_ERROR, LANG_ERROR_MISSING,
                   "the %s (%s) catalog under %s does not translate "
                   "\"%s\": untranslated catalog", info->english_name,
                   info->code, lang_dir, LANG_SENTINEL_MSGID);
      return FALSE;
    }
  direction = gettext (LANG_DIRECTION_MSGID);
  if (strcmp (direction, info->rtl ? "default:RTL" : "default:LTR") != 0)
    {
      g_set_error (error, LANG_ERROR, LANG_ERROR_MISSING,
                   "the %s (%s) catalog under %s gives direction \"%s\", "
                   "expected %s", info->english_name, info->code, lang_dir,
                   direction, info->rtl ? "default:RTL" : "default:LTR");
      return FALSE;
    }
  return TRUE;
}

gboolean
lang_init (const char *localedir, GError **error)
{
  const char *dir = localedir;
  gboolean ok = TRUE;

  if (dir == NULL)
    dir = g_getenv ("SAFEROUTE_LOCALEDIR");
  if (dir == NULL || *dir == '\0')
    dir = LOCALEDIR;
  if (setlocale (LC_ALL, "C.UTF-8") == NULL)
    {
      g_set_error (error, LANG_ERROR, LANG_ERROR_LOCALE,
                   "the C.UTF-8 locale is not available (glibc 2.35+ has it "
                   "built in; otherwise install locales and generate it)");
      return FALSE;
    }
  g_free (lang_dir);
  lang_dir = g_strdup (dir);
  bindtextdomain (PACKAGE, lang_dir);
  bind_textdomain_codeset (PACKAGE, "UTF-8");
  textdomain (PACKAGE);

  for (guint i = 1; ok && i < G_N_ELEMENTS (lang_table); i++)
    {
      g_autoptr(GError) local = NULL;

      lang_use (lang_table[i].code);
      if (lang_check_one (&lang_table[i], &local))
        continue;
      if (lang_missing_ok)
        g_warning ("%s: %s will be shown in English", local->message,
                   lang_table[i].english_name);
      else
        {
          g_propagate_error (error, g_steal_pointer (&local));
          ok = FALSE;
        }
    }
  lang_use ("en");
  return ok;
}
