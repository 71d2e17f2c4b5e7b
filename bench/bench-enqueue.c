/* bench-enqueue: accepted reports per second through the whole front-door
 * path, next to its ceiling.
 *
 *  (a) intake_submit, one report per transaction: report_validate, the
 *      route check, seal_report, store_enqueue (envelope + delivery +
 *      ledger row, committed with synchronous=FULL);
 *  (b) the same steps for GROUP reports and one store_enqueue for all of
 *      them: the group commit a gateway does when concurrent requests wait
 *      on the same fsync (each is answered only after that commit);
 *  (c) the ceiling of each: a bare SQLite INSERT of the same number of
 *      envelope bytes per report, with the same durability (WAL,
 *      synchronous=FULL), in the same run, in alternating slices
 *      (bare-store.c, shared with bench-store).
 *
 * The database goes to a fresh directory under --dir (default: the current
 * directory, so that fsync hits a real disk rather than a tmpfs). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <glib/gstdio.h>

#include "intake.h"
#include "seal.h"
#include "store.h"
#include "bare-store.h"
#include "bench-util.h"


typedef struct
{
  Intake           *intake;
  Store            *store;
  PartnerDirectory *partners;
  Report           *report;
  BareStore        *bare;
  char             *body;        /* one envelope's JSON, for the bare side */
  gsize             body_length;
  guint             group;
} Bench;

/* A typical report: a few sentences, a phone number, safe times. */
static Report *
make_report (void)
{
  Report *report = report_new ();

  g_free (report->channel);
  report->channel = g_strdup ("web");
  g_free (report->language);
  report->language = g_strdup ("ur");
  report->category = g_strdup ("domestic-abuse");
  report->partner = g_strdup (BENCH_PARTNER_ID);
  g_free (report->contact.method);
  report->contact.method = g_strdup ("phone");
  report->contact.phone = g_strdup ("+447700900123");
  report->contact.safe_times = g_strdup ("weekdays 10-12");
  report->contact.sms_ok = TRUE;
  report->message = g_strnfill (600, 'm');
  return report;
}

static guint
step_intake (gpointer data)
{
  Bench *b = data;
  g_autoptr(GError) error = NULL;

  bench_report_renew (b->report);
  if (!intake_submit (b->intake, b->report, NULL, NULL, &error))
    bench_die ("intake_submit", error);
  return 1;
}

static guint
step_intake_group (gpointer data)
{
  Bench *b = data;
  g_autoptr(GError) error = NULL;

  if (!bench_submit_group (b->store, b->partners, b->report, b->group, &error))
    bench_die ("group", error);
  return b->group;
}

static guint
step_bare (gpointer data)
{
  Bench *b = data;

  bare_store_insert (b->bare, 1, b->body, b->body_length);
  return 1;
}

static guint
step_bare_group (gpointer data)
{
  Bench *b = data;

  bare_store_insert (b->bare, b->group, b->body, b->body_length);
  return b->group;
}

static void
print_pair (const char *what, const BenchSide *side, const BenchSide *ceiling)
{
  printf ("%-38s %7.0f reports/s   ceiling (bare INSERT, same bytes, same fsync): %7.0f/s (%3.0f%%)\n",
          what, bench_rate (side), bench_rate (ceiling),
          100.0 * bench_rate (side) / bench_rate (ceiling));
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_autofree char *parent = NULL;
  double seconds = 3.0;
  int group = 32;
  GOptionEntry entries[] = {
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &parent,
      "Where to put the database files (default: current directory)", "DIR" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds,
      "How long each figure and its ceiling run together (default 3)", "S" },
    { "group", 'g', 0, G_OPTION_ARG_INT, &group,
      "Reports per group commit (default 32)", "N" },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- enqueue benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *bare_path = NULL;
  guint8 public_key[SEAL_PUBLIC_KEY_BYTES], secret_key[SEAL_SECRET_KEY_BYTES];
  g_autoptr(Envelope) sample = NULL;
  Bench b = { 0 };
  BenchSide one = { step_intake, &b, 0, 0 };
  BenchSide bare_one = { step_bare, &b, 0, 0 };
  BenchSide many = { step_intake_group, &b, 0, 0 };
  BenchSide bare_many = { step_bare_group, &b, 0, 0 };

  g_set_prgname ("bench-enqueue");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)
      || group < 1 || seconds <= 0)
    {
      g_printerr ("bench-enqueue: %s\n", error != NULL ? error->message
                  : "--group and --seconds must be positive");
      return 2;
    }
  bench_quiet_logs ();
  if (!seal_init (&error))
    bench_die ("seal_init", error);
  crypto_box_keypair (public_key, secret_key);

  dir = bench_make_dir (parent, "bench-enqueue");
  path = g_build_filename (dir, "queue.db", NULL);
  bare_path = g_build_filename (dir, "bare.db", NULL);
  b.group = (guint) group;
  b.partners = partner_directory_new ();
  if (!partner_directory_add (b.partners,
                              bench_partner_new ("https://partner.example.org/hook",
                                                 public_key), &error))
    bench_die ("partner", error);
  b.store = store_open (path, &error);
  if (b.store == NULL)
    bench_die (path, error);
  b.intake = intake_new (b.store, b.partners, FALSE);
  b.report = make_report ();
  b.bare = bare_store_open (bare_path);
  sample = seal_report (b.report, partner_directory_lookup (b.partners, BENCH_PARTNER_ID),
                        &error);
  if (sample == NULL)
    bench_die ("seal_report", error);
  b.body = envelope_to_json (sample, &b.body_length);

  printf ("bench-enqueue: SQLite WAL, synchronous=FULL; validate + route + seal + "
          "enqueue, %" G_GSIZE_FORMAT "-byte envelopes, in %s\n",
          b.body_length, dir);
  fflush (stdout);

  bench_alternate (&one, &bare_one, 2 * seconds, 0.1);
  print_pair ("accepted, 1 report/transaction:", &one, &bare_one);
  bench_alternate (&many, &bare_many, 2 * seconds, 0.1);
  {
    g_autofree char *what = g_strdup_printf ("accepted, %u reports/transaction:", b.group);

    print_pair (what, &many, &bare_many);
  }
  printf ("group commit gain: %.1fx\n", bench_rate (&many) / bench_rate (&one));

  g_clear_pointer (&b.intake, intake_free);
  g_clear_pointer (&b.store, store_close);
  g_clear_pointer (&b.partners, partner_directory_free);
  g_clear_pointer (&b.report, report_free);
  g_clear_pointer (&b.bare, bare_store_close);
  g_free (b.body);
  bench_remove_db (path);
  bench_remove_db (bare_path);
  g_rmdir (dir);
  return 0;
}
