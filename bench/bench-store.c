/* bench-store: what the durable queue costs, next to its ceiling.
 *
 *  (a) store_enqueue, one report per transaction and 100 per transaction
 *      (group commit);
 *  (b) the ceiling: a bare SQLite INSERT of the same envelope bytes into a
 *      one-table file with the same durability (WAL, synchronous=FULL),
 *      one per transaction and 100 per transaction, in the same run;
 *  (c) store_claim_due for 10 rows with 1,000 and with 1,000,000 queued
 *      deliveries: the claim must stay flat (goal: ratio <= 1.5).
 *
 * The files go to a fresh directory under --dir (default: the current
 * directory, so that fsync hits a real disk rather than a tmpfs). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "store.h"
#include "bare-store.h"
#include "bench-util.h"

#define ENVELOPE_BYTES 1500
#define GROUP 100
#define CLAIM_LIMIT 10
#define CLAIM_ROUNDS 50

static char *payload;

static char *
make_json (const char *id)
{
  return g_strdup_printf ("{\"v\":1,\"id\":\"%s\",\"ref\":\"K7Q2-9XPA\","
                          "\"partner\":\"legal-aid\",\"created_at\":1700000000,"
                          "\"sealed\":\"%s\"}", id, payload);
}

/* Reports in the same shape as intake writes them: sealed envelope,
 * delivery, ledger row. */
typedef struct
{
  Envelope    env;
  LedgerEntry ledger;
  char       *json;
} BenchItem;

static void
bench_item_fill (BenchItem *b, StoreItem *item, guint64 serial, gint64 created_at)
{
  g_free (b->env.id);
  g_free (b->json);
  b->env.v = 1;
  b->env.id = g_strdup_printf ("%016" G_GINT64_MODIFIER "x", serial);
  b->env.ref = (char *) "K7Q2-9XPA";
  b->env.partner = (char *) "legal-aid";
  b->env.created_at = created_at;
  b->ledger.channel = (char *) "kiosk";
  b->ledger.category = (char *) "theft";
  b->ledger.language = (char *) "ur";
  b->ledger.shared_fields = (char *) "category,message";
  b->json = make_json (b->env.id);
  item->envelope = &b->env;
  item->envelope_json = b->json;
  item->method = DELIVERY_METHOD_WEBHOOK;
  item->ledger = &b->ledger;
}

static void
bench_items_free (BenchItem *items, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_free (items[i].env.id);
      g_free (items[i].json);
    }
  g_free (items);
}

/* One side of a throughput comparison: PER_TXN reports per transaction,
 * through the store or into the bare table. */
typedef struct
{
  Store     *store;
  BenchItem *items;
  StoreItem *batch;
  BareStore *bare;
  char      *body;
  guint      per_txn;
  guint64    serial;
} Side;

static guint
side_store_txn (gpointer data)
{
  Side *side = data;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < side->per_txn; i++)
    bench_item_fill (&side->items[i], &side->batch[i], side->serial++, 1700000000);
  if (!store_enqueue (side->store, side->batch, side->per_txn, NULL, &error))
    bench_die ("store_enqueue", error);
  return side->per_txn;
}

/* The ceiling: the same bytes, one INSERT, same durability. */
static guint
side_bare_txn (gpointer data)
{
  Side *side = data;

  bare_store_insert (side->bare, side->per_txn, side->body, strlen (side->body));
  return side->per_txn;
}

/* store_enqueue against the bare INSERT, PER_TXN reports per transaction,
 * in alternating slices so that both see the same disk. */
static void
bench_enqueue (const char *path, const char *bare, guint per_txn,
               double seconds, double *store_rate, double *bare_rate)
{
  g_autoptr(GError) error = NULL;
  Side s = { 0 }, b = { 0 };
  BenchSide store_side = { side_store_txn, &s, 0, 0 };
  BenchSide bare_side = { side_bare_txn, &b, 0, 0 };

  s.store = store_open (path, &error);
  if (s.store == NULL)
    bench_die (path, error);
  s.items = g_new0 (BenchItem, per_txn);
  s.batch = g_new0 (StoreItem, per_txn);
  s.per_txn = per_txn;
  b.bare = bare_store_open (bare);
  b.body = make_json ("0000000000000000");
  b.per_txn = per_txn;
  bench_alternate (&store_side, &bare_side, 2 * seconds, 0.1);
  *store_rate = bench_rate (&store_side);
  *bare_rate = bench_rate (&bare_side);
  store_close (s.store);
  bench_items_free (s.items, per_txn);
  g_free (s.batch);
  bare_store_close (b.bare);
  g_free (b.body);
}

/* Fills STORE up to N queued deliveries in big transactions.  Small
 * envelopes: the claim's cost is in the index, not in the payload. */
static void
fill (Store *store, guint64 *serial, guint64 n)
{
  const guint chunk = 10000;
  BenchItem *items = g_new0 (BenchItem, chunk);
  StoreItem *batch = g_new0 (StoreItem, chunk);
  g_autoptr(GError) error = NULL;
  char *saved = payload;

  payload = (char *) "AAAA";
  while (*serial < n)
    {
      guint k = (guint) MIN ((guint64) chunk, n - *serial);

      for (guint i = 0; i < k; i++)
        {
          /* Arrival order, 50 a second, all due long ago. */
          gint64 created = 1700000000 + (gint64) (*serial / 50);

          bench_item_fill (&items[i], &batch[i], (*serial)++, created);
        }
      if (!store_enqueue (store, batch, k, NULL, &error))
        bench_die ("fill", error);
    }
  payload = saved;
  bench_items_free (items, chunk);
  g_free (batch);
}

static double
cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Returns the wall time of one claim; adds its CPU time to *CPU. */
static double
claim_once (Store *store, double *cpu)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) claimed = NULL;
  double start = bench_now ();
  double start_cpu = cpu_s ();

  claimed = store_claim_due (store, 1800000000, CLAIM_LIMIT, 600, &error);
  if (claimed == NULL)
    bench_die ("store_claim_due", error);
  if (claimed->len != CLAIM_LIMIT)
    {
      g_printerr ("bench-store: claimed %u, wanted %u\n", claimed->len,
                  CLAIM_LIMIT);
      exit (1);
    }
  *cpu += cpu_s () - start_cpu;
  return bench_now () - start;
}

/* Mean microseconds (wall, and CPU) of one claim of CLAIM_LIMIT due rows
 * in SMALL and in LARGE, alternating so that both see the same disk: each
 * claim is a commit, and its fsync is most of its wall time.  The CPU
 * time is what the index decides. */
static void
bench_claim (Store *small, Store *large, double us[2], double cpu_us[2])
{
  double wall[2] = { 0, 0 }, cpu[2] = { 0, 0 };

  for (int i = 0; i < CLAIM_ROUNDS; i++)
    {
      wall[0] += claim_once (small, &cpu[0]);
      wall[1] += claim_once (large, &cpu[1]);
    }
  for (int k = 0; k < 2; k++)
    {
      us[k] = wall[k] * 1e6 / CLAIM_ROUNDS;
      cpu_us[k] = cpu[k] * 1e6 / CLAIM_ROUNDS;
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *parent = NULL;
  double seconds = 2.0;
  gboolean quick = FALSE;
  GOptionEntry entries[] = {
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &parent,
      "Where to put the database files (default: current directory)", "DIR" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds,
      "How long each throughput figure runs (default 2)", "S" },
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick,
      "100,000 instead of 1,000,000 deliveries for the large claim", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- store benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *bare = NULL;
  double one, group, bare_one, bare_group, us[2], cpu_us[2];
  guint64 serial = 0;
  guint64 big;
  g_autoptr(Store) small_store = NULL;
  g_autoptr(Store) large_store = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-store: %s\n", error->message);
      return 2;
    }
  big = quick ? 100000 : 1000000;
  dir = bench_make_dir (parent, "bench-store");
  path = g_build_filename (dir, "queue.db", NULL);
  bare = g_build_filename (dir, "bare.db", NULL);
  payload = g_strnfill (ENVELOPE_BYTES, 'Q');

  printf ("bench-store: SQLite %s, WAL, synchronous=FULL, %d-byte envelopes, in %s\n",
          sqlite3_libversion (), ENVELOPE_BYTES, dir);
  fflush (stdout);

  bench_enqueue (path, bare, 1, seconds, &one, &bare_one);
  printf ("enqueue, 1 report/transaction:    %8.0f reports/s   ceiling (bare INSERT, same bytes, same fsync): %8.0f/s (%3.0f%%)\n",
          one, bare_one, 100.0 * one / bare_one);
  fflush (stdout);
  bench_remove_db (path);
  bench_remove_db (bare);

  bench_enqueue (path, bare, GROUP, seconds, &group, &bare_group);
  printf ("enqueue, %d reports/transaction: %8.0f reports/s   ceiling (bare INSERT, same bytes, same fsync): %8.0f/s (%3.0f%%)\n",
          GROUP, group, bare_group, 100.0 * group / bare_group);
  printf ("group commit gain:                 %8.1fx\n", group / one);
  fflush (stdout);
  bench_remove_db (path);
  bench_remove_db (bare);

  small_store = store_open (path, &error);
  if (small_store == NULL)
    bench_die (path, error);
  large_store = store_open (bare, &error);
  if (large_store == NULL)
    bench_die (bare, error);
  fill (small_store, &serial, 1000);
  serial = 0;
  {
    double t = bench_now ();

    fill (large_store, &serial, big);
    printf ("  (%" G_GUINT64_FORMAT " deliveries queued in %.1f s, batches of 10,000)\n",
            serial, bench_now () - t);
  }
  bench_claim (small_store, large_store, us, cpu_us);
  printf ("claim %d of %7u queued:          %8.1f us (mean of %d; CPU %.1f us)\n",
          CLAIM_LIMIT, 1000, us[0], CLAIM_ROUNDS, cpu_us[0]);
  printf ("claim %d of %7" G_GUINT64_FORMAT " queued:          %8.1f us (mean of %d; CPU %.1f us)   ratio %.2f, CPU %.2f (goal <= 1.50)%s\n",
          CLAIM_LIMIT, big, us[1], CLAIM_ROUNDS, cpu_us[1], us[1] / us[0],
          cpu_us[1] / cpu_us[0], us[1] / us[0] <= 1.5 ? "" : "  ABOVE GOAL");
  g_clear_pointer (&small_store, store_close);
  g_clear_pointer (&large_store, store_close);
  bench_remove_db (path);
  bench_remove_db (bare);
  g_rmdir (dir);
  g_free (payload);
  return 0;
}
