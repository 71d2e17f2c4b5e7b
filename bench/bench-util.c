/* bench-util: slices, timing and clean-up shared by the benchmarks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "bench-util.h"

double
bench_now (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

/* Returns FALSE once SIDE is out of work. */
static gboolean
bench_slice (BenchSide *side, double slice)
{
  double start = bench_now (), elapsed;
  gboolean more = TRUE;

  do
    {
      guint done = side->step (side->data);

      if (done == G_MAXUINT)
        more = FALSE;
      else
        side->done += done;
      elapsed = bench_now () - start;
    }
  while (more && elapsed < slice);
  side->seconds += elapsed;
  return more;
}

void
bench_alternate (BenchSide *a, BenchSide *b, double seconds, double slice)
{
  while (a->seconds + b->seconds < seconds)
    if (!bench_slice (a, slice) || !bench_slice (b, slice))
      break;
}

double
bench_rate (const BenchSide *side)
{
  return side->seconds > 0 ? (double) side->done / side->seconds : 0;
}

void
bench_die (const char *what, const GError *error)
{
  g_printerr ("%s: %s: %s\n", g_get_prgname (), what,
              error != NULL ? error->message : "failed");
  exit (1);
}

char *
bench_make_dir (const char *parent, const char *prefix)
{
  g_autofree char *name = g_strconcat (prefix, "-XXXXXX", NULL);
  g_autofree char *template = g_build_filename (parent != NULL ? parent : ".",
                                                name, NULL);
  char *dir = g_mkdtemp (g_strdup (template));

  if (dir == NULL)
    {
      g_printerr ("%s: cannot create a directory like %s\n", g_get_prgname (),
                  template);
      exit (1);
    }
  return dir;
}

void
bench_remove_db (const char *path)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-lock" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
}

Partner *
bench_partner_new (const char *url, const guint8 *public_key)
{
  Partner *partner = partner_new ();

  partner->id = g_strdup (BENCH_PARTNER_ID);
  partner->name = g_strdup ("Abuse Support");
  partner->description = g_strdup ("Helps in benchmarks.");
  partner->kind = PARTNER_KIND_SUPPORT;
  g_strfreev (partner->services);
  partner->services = g_strsplit ("domestic-abuse", ",", -1);
  g_strfreev (partner->languages);
  partner->languages = g_strsplit ("en,ur", ",", -1);
  g_strfreev (partner->areas);
  partner->areas = g_strsplit ("*", ",", -1);
  partner->delivery = PARTNER_DELIVERY_WEBHOOK;
  partner->url = g_strdup (url);
  partner->hmac_secret = g_strdup ("bench-secret");
  memcpy (partner->public_key, public_key, sizeof partner->public_key);
  return partner;
}

static void
bench_drop_log (const char *domain, GLogLevelFlags level, const char *message,
                gpointer data)
{
}

void
bench_quiet_logs (void)
{
  g_log_set_handler ("saferoute", G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE
                     | G_LOG_LEVEL_DEBUG, bench_drop_log, NULL);
}
