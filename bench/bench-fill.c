/* bench-fill: fills a store with sealed reports, fast, for the benchmarks
 * that need a long queue (bench-gateway-rss.sh): the intake steps for each
 * report, committed ten thousand at a time.
 *
 *   bench-fill --config FILE --db PATH --count N [--partner ID]
 *
 * FILE is the configuration the program under test reads (its partner
 * directory); the reports go to ID (default: its first partner). */
#include "config.h"

#include <stdio.h>

#include "conf.h"
#include "partner.h"
#include "seal.h"
#include "store.h"
#include "bench-util.h"

#define FILL_BATCH 10000

int
main (int argc, char **argv)
{
  g_autofree char *config = NULL;
  g_autofree char *db = NULL;
  g_autofree char *partner_id = NULL;
  int count = 100000;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
      "Configuration file with the partner directory", "FILE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The store to fill", "PATH" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count,
      "How many reports (default 100000)", "N" },
    { "partner", 'p', 0, G_OPTION_ARG_STRING, &partner_id,
      "Partner id (default: the first)", "ID" },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- fill a store");
  g_autoptr(GError) error = NULL;
  g_autoptr(Conf) conf = NULL;
  g_autoptr(PartnerDirectory) partners = NULL;
  g_autoptr(Store) store = NULL;
  g_autoptr(Report) report = report_new ();
  const Partner *partner;
  double start;

  g_set_prgname ("bench-fill");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)
      || config == NULL || db == NULL || count < 0)
    {
      g_printerr ("bench-fill: %s\n", error != NULL ? error->message
                  : "--config and --db are required, --count >= 0");
      return 2;
    }
  bench_quiet_logs ();
  conf = conf_load_file (config, &error);
  if (conf == NULL || !(partners = partner_directory_load (conf, &error)))
    {
      g_printerr ("bench-fill: %s\n", error->message);
      return 2;
    }
  partner = partner_id != NULL ? partner_directory_lookup (partners, partner_id)
    : partner_directory_size (partners) > 0 ? partner_directory_nth (partners, 0)
    : NULL;
  if (partner == NULL)
    {
      g_printerr ("bench-fill: %s: no such partner\n",
                  partner_id != NULL ? partner_id : "(first)");
      return 2;
    }
  if (!seal_init (&error))
    bench_die ("seal_init", error);
  store = store_open (db, &error);
  if (store == NULL)
    bench_die (db, error);

  report->category = g_strdup ("domestic-abuse");
  report->partner = g_strdup (partner->id);
  report->message = g_strnfill (600, 'm');
  start = bench_now ();
  for (int done = 0; done < count; done += FILL_BATCH)
    if (!bench_submit_group (store, partners, report,
                             (guint) MIN (FILL_BATCH, count - done), &error))
      bench_die ("fill", error);
  printf ("bench-fill: %d sealed reports for %s queued in %.1f s\n", count,
          partner->id, bench_now () - start);
  return 0;
}
