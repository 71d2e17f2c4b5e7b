/* route: eligibility and ranking of partners for one report. */
#include "config.h"

#include <string.h>

#include "route.h"

typedef struct
{
  const char *id;
  const char *name;
  const char *services;
  const char *languages;
  const char *areas;
  gboolean    interpreters;
} Spec;

/* Deliberately not in name order, with ties only an id can break. */
static const Spec specs[] = {
  { "echo", "Echo", "domestic-abuse", "so", "Bradford", TRUE },
  { "alpha-2", "Alpha", "domestic-abuse", "en", "Leeds", FALSE },
  { "bravo", "Bravo", "*", "ur", "*", TRUE },
  { "charlie", "Charlie", "domestic-abuse,forced-marriage", "ur", "Leeds,Bradford", FALSE },
  { "delta", "delta", "hate-crime", "en", "*", FALSE },
  { "alpha-1", "Alpha", "domestic-abuse", "en", "Leeds", FALSE },
};

static Partner *
make_partner (const Spec *s)
{
  Partner *p = partner_new ();

  p->id = g_strdup (s->id);
  p->name = g_strdup (s->name);
  p->kind = PARTNER_KIND_SUPPORT;
  g_strfreev (p->services);
  p->services = g_strsplit (s->services, ",", -1);
  g_strfreev (p->languages);
  p->languages = g_strsplit (s->languages, ",", -1);
  g_strfreev (p->areas);
  p->areas = g_strsplit (s->areas, ",", -1);
  p->interpreters = s->interpreters;
  p->delivery = PARTNER_DELIVERY_PULL;
  p->pull_token = g_strdup_printf ("token-%s", s->id);
  p->public_key[0] = 1;
  return p;
}

static PartnerDirectory *
make_directory (gboolean reversed)
{
  PartnerDirectory *dir = partner_directory_new ();
  guint n = G_N_ELEMENTS (specs);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      partner_directory_add (dir, make_partner (&specs[reversed ? n - 1 - i : i]),
                             &error);
      g_assert_no_error (error);
    }
  return dir;
}

/* The eligible ids joined by spaces: one string is easy to compare. */
static char *
route_ids (const PartnerDirectory *dir, const char *category,
           const char *language, const char *area)
{
  g_autoptr(GPtrArray) list = route_eligible (dir, category, language, area);
  g_autoptr(GString) out = g_string_new (NULL);

  g_assert_nonnull (list);
  for (guint i = 0; i < list->len; i++)
    {
      const Partner *p = g_ptr_array_index (list, i);

      g_string_append_printf (out, "%s%s", i > 0 ? " " : "", p->id);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static const struct
{
  const char *category;
  const char *language;
  const char *area;
  const char *ids;
} queries[] = {
  /* speaks and local first, then speaks (anywhere), interpreters drop none */
  { "domestic-abuse", "ur", "Leeds", "charlie bravo" },
  /* same rank: by name, then by id, whatever the directory order */
  { "domestic-abuse", "en", "Leeds", "alpha-1 alpha-2 bravo" },
  { "domestic-abuse", "en", "LEEDS", "alpha-1 alpha-2 bravo" },
  /* speaking the language beats covering the area by name */
  { "domestic-abuse", "so", "Leeds", "bravo" },
  { "domestic-abuse", "so", "Bradford", "echo bravo" },
  /* an interpreter makes a partner eligible, after those who speak it */
  { "domestic-abuse", "ur", "Bradford", "charlie bravo echo" },
  { "forced-marriage", "ur", "Bradford", "charlie bravo" },
  /* an unknown area: covering anywhere first, then the rest */
  { "domestic-abuse", "ur", NULL, "bravo charlie echo" },
  { "domestic-abuse", "ur", "", "bravo charlie echo" },
  { "domestic-abuse", "en", NULL, "alpha-1 alpha-2 bravo echo" },
  /* names compare without regard to case: "delta" after "Bravo" only
   * because delta speaks the language */
  { "hate-crime", "en", "Leeds", "delta bravo" },
  { "hate-crime", "ur", "Leeds", "bravo" },
  { "fgm", "pa", "Manchester", "bravo" },
  { "fgm", NULL, "Manchester", "bravo" },
  /* "*" takes any category: checking the category is report.c's job */
  { "burglary", "en", "Leeds", "bravo" },
  { NULL, "en", "Leeds", "" },
};

static void
test_eligible (void)
{
  g_autoptr(PartnerDirectory) dir = make_directory (FALSE);
  g_autoptr(PartnerDirectory) rev = make_directory (TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *got = route_ids (dir, queries[i].category,
                                        queries[i].language, queries[i].area);
      g_autofree char *again = route_ids (dir, queries[i].category,
                                          queries[i].language, queries[i].area);
      g_autofree char *got_rev = route_ids (rev, queries[i].category,
                                            queries[i].language,
                                            queries[i].area);

      g_test_message ("query %u", i);
      g_assert_cmpstr (got, ==, queries[i].ids);
      /* Stable: the same answers, the same list, in any directory order. */
      g_assert_cmpstr (again, ==, got);
      g_assert_cmpstr (got_rev, ==, got);
    }
}

static void
test_pick (void)
{
  g_autoptr(PartnerDirectory) dir = make_directory (FALSE);
  g_autoptr(PartnerDirectory) empty = partner_directory_new ();
  g_autoptr(GPtrArray) none = route_eligible (empty, "other", "en", "Leeds");

  g_assert_cmpstr (route_pick (dir, "domestic-abuse", "ur", "Leeds")->id, ==,
                   "charlie");
  g_assert_cmpstr (route_pick (dir, "domestic-abuse", "so", "Bradford")->id, ==,
                   "echo");
  g_assert_null (route_pick (dir, NULL, "en", "Leeds"));
  /* Nobody speaks Somali for hate crime: the partner with interpreters. */
  g_assert_cmpstr (route_pick (dir, "hate-crime", "so", "Leeds")->id, ==,
                   "bravo");
  g_assert_null (route_pick (empty, "other", "en", "Leeds"));
  g_assert_nonnull (none);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_allows (void)
{
  g_autoptr(PartnerDirectory) dir = make_directory (FALSE);
  g_autoptr(PartnerDirectory) other = make_directory (FALSE);
  const Partner *charlie = partner_directory_lookup (dir, "charlie");
  const Partner *alpha = partner_directory_lookup (dir, "alpha-1");
  const Partner *echo = partner_directory_lookup (dir, "echo");

  g_assert_true (route_allows (dir, charlie, "domestic-abuse", "ur", "Leeds"));
  g_assert_true (route_allows (dir, echo, "domestic-abuse", "so", "Bradford"));
  /* Not offered for these answers: must not be sent to. */
  g_assert_false (route_allows (dir, alpha, "domestic-abuse", "ur", "Leeds"));
  g_assert_false (route_allows (dir, echo, "domestic-abuse", "so", "Leeds"));
  g_assert_false (route_allows (dir, charlie, "hate-crime", "ur", "Leeds"));
  g_assert_false (route_allows (dir, charlie, NULL, "ur", "Leeds"));
  /* A partner from another directory is not in this one. */
  g_assert_false (route_allows (dir, partner_directory_lookup (other, "charlie"),
                                "domestic-abuse", "ur", "Leeds"));
  g_assert_false (route_allows (dir, NULL, "domestic-abuse", "ur", "Leeds"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/route/eligible", test_eligible);
  g_test_add_func ("/route/pick", test_pick);
  g_test_add_func ("/route/allows", test_allows);
  return g_test_run ();
}
