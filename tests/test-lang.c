/* test-lang: six languages served by one process, in any order, and a
 * server that refuses to start rather than fall back to English.
 *
 * The machinery is proved on catalogs the test writes itself (msgfmt), so
 * it holds whatever state po/ is in; the shipped catalogs are checked by
 * test_shipped, which reports "incomplete" until the translations land. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "lang.h"

/* msgfmt a catalog for CODE into DIR/CODE/LC_MESSAGES/PACKAGE.mo.  With
 * TRANSLATED the sentinel and the direction string are translated. */
static void
write_catalog (const char *dir, const char *code, gboolean rtl,
               gboolean translated)
{
  g_autofree char *lc = g_build_filename (dir, code, "LC_MESSAGES", NULL);
  g_autofree char *po = g_build_filename (dir, "tmp.po", NULL);
  g_autofree char *mo = g_strconcat (lc, "/" PACKAGE ".mo", NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "msgfmt", "-o", mo, po, NULL };
  int status = 0;

  g_assert_cmpint (g_mkdir_with_parents (lc, 0700), ==, 0);
  g_string_append_printf (text,
                          "msgid \"\"\nmsgstr \"\"\n"
                          "\"Content-Type: text/plain; charset=UTF-8\\n\"\n"
                          "\"Language: %s\\n\"\n\n", code);
  if (translated)
    g_string_append_printf (text,
                            "msgid \"default:LTR\"\nmsgstr \"default:%s\"\n\n"
                            "msgid \"Choose your language\"\n"
                            "msgstr \"[%s] Choose your language\"\n",
                            rtl ? "RTL" : "LTR", code);
  g_assert_true (g_file_set_contents (po, text->str, -1, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_unlink (po);
}

static char *
make_catalogs (gboolean translated)
{
  char *dir = g_dir_make_tmp ("lang-XXXXXX", NULL);
  const LangInfo *all;
  guint n;

  g_assert_nonnull (dir);
  all = lang_all (&n);
  for (guint i = 1; i < n; i++)
    write_catalog (dir, all[i].code, all[i].rtl, translated);
  return dir;
}

static void
test_table (void)
{
  guint n = 0;
  const LangInfo *all = lang_all (&n);

  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpstr (all[0].code, ==, "en");
  g_assert_true (lang_lookup ("ur")->rtl);
  g_assert_true (lang_lookup ("ar")->rtl);
  g_assert_false (lang_lookup ("pa")->rtl);
  g_assert_cmpstr (lang_lookup ("pa")->native_name, ==, "ਪੰਜਾਬੀ");
  g_assert_null (lang_lookup ("de"));
  g_assert_null (lang_lookup ("../en"));
  g_assert_null (lang_lookup (NULL));
}

static void
test_missing (void)
{
  g_autofree char *empty = g_dir_make_tmp ("lang-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;

  lang_allow_missing (FALSE);
  g_assert_false (lang_init (empty, &error));
  g_assert_error (error, LANG_ERROR, LANG_ERROR_MISSING);
  /* The message names the language and where we looked. */
  g_assert_nonnull (strstr (error->message, "Punjabi (pa)"));
  g_assert_nonnull (strstr (error->message, empty));
  g_rmdir (empty);
}

static void
test_untranslated (void)
{
  g_autofree char *dir = make_catalogs (FALSE);
  g_autoptr(GError) error = NULL;

  lang_allow_missing (FALSE);
  g_assert_false (lang_init (dir, &error));
  g_assert_error (error, LANG_ERROR, LANG_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "untranslated"));
}

static void
test_allow_missing (void)
{
  g_autofree char *empty = g_dir_make_tmp ("lang-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;

  lang_allow_missing (TRUE);
  g_test_expect_message ("saferoute", G_LOG_LEVEL_WARNING, "*Punjabi*");
  g_test_expect_message ("saferoute", G_LOG_LEVEL_WARNING, "*Urdu*");
  g_test_expect_message ("saferoute", G_LOG_LEVEL_WARNING, "*Arabic*");
  g_test_expect_message ("saferoute", G_LOG_LEVEL_WARNING, "*Somali*");
  g_test_expect_message ("saferoute", G_LOG_LEVEL_WARNING, "*Albanian*");
  g_assert_true (lang_init (empty, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  lang_allow_missing (FALSE);
  /* Direction follows the language even when the words cannot. */
  lang_use ("ur");
  g_assert_cmpstr (lang_direction (), ==, "rtl");
  g_assert_cmpstr (_("Choose your language"), ==, "Choose your language");
  lang_use ("en");
  g_assert_cmpstr (lang_direction (), ==, "ltr");
  g_rmdir (empty);
}

/* Every language, several times, in a shuffled order: each switch must
 * show that language's text, never the previous one's (the gettext cache
 * pitfall) and never English. */
static void
check_all_languages (gboolean fake)
{
  guint n = 0;
  const LangInfo *all = lang_all (&n);
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());

  for (guint round = 0; round < 4 * n; round++)
    {
      const LangInfo *info = &all[g_rand_int_range (rand, 0, (gint32) n)];
      const char *text;

      lang_use (info->code);
      g_assert_cmpstr (lang_current (), ==, info->code);
      g_assert_cmpstr (lang_direction (), ==, info->rtl ? "rtl" : "ltr");
      g_assert_cmpstr (_("default:LTR"), ==,
                       info->rtl ? "default:RTL" : "default:LTR");
      text = _("Choose your language");
      if (strcmp (info->code, "en") == 0)
        g_assert_cmpstr (text, ==, "Choose your language");
      else if (fake)
        {
          g_autofree char *want =
            g_strdup_printf ("[%s] Choose your language", info->code);
          g_assert_cmpstr (text, ==, want);
        }
      else
        g_assert_cmpstr (text, !=, "Choose your language");
    }
  lang_use ("en");
}

static void
test_six_languages (void)
{
  g_autofree char *dir = make_catalogs (TRUE);
  g_autoptr(GError) error = NULL;

  lang_allow_missing (FALSE);
  g_assert_true (lang_init (dir, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (lang_localedir (), ==, dir);
  check_all_languages (TRUE);
}

/* The catalogs the build made from po/ (SAFEROUTE_LOCALEDIR). */
static void
test_shipped (void)
{
  g_autoptr(GError) error = NULL;

  if (g_getenv ("SAFEROUTE_LOCALEDIR") == NULL)
    {
      g_test_skip ("SAFEROUTE_LOCALEDIR not set (run under make check)");
      return;
    }
  lang_allow_missing (FALSE);
  if (!lang_init (NULL, &error))
    {
      g_autofree char *why =
        g_strdup_printf ("shipped catalogs not complete yet: %s", error->message);
      g_test_incomplete (why);
      return;
    }
  check_all_languages (FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/lang/table", test_table);
  g_test_add_func ("/lang/missing", test_missing);
  g_test_add_func ("/lang/untranslated", test_untranslated);
  g_test_add_func ("/lang/allow-missing", test_allow_missing);
  g_test_add_func ("/lang/six-languages", test_six_languages);
  g_test_add_func ("/lang/shipped", test_shipped);
  return g_test_run ();
}
