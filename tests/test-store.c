/* The store on real SQLite files in a temporary directory, including real
 * crashes: a child process claims or enqueues and is killed with SIGKILL,
 * then the parent reopens the file and checks what survived. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "store.h"

typedef struct
{
  char  *dir;
  char  *path;
  Store *store;
} Fixture;

/* One item to enqueue, owning everything its StoreItem points to. */
typedef struct
{
  Envelope    env;
  LedgerEntry ledger;
  char       *json;
  StoreItem   item;
} TestItem;

static void
test_item_init (TestItem *t, const char *id, const char *partner,
                const char *ref, gint64 created_at, DeliveryMethod method)
{
  memset (t, 0, sizeof *t);
  t->env.v = 1;
  t->env.id = g_strdup (id);
  t->env.partner = g_strdup (partner);
  t->env.ref = g_strdup (ref);
  t->env.created_at = created_at;
  t->ledger.channel = g_strdup ("kiosk");
  t->ledger.category = g_strdup ("theft");
  t->ledger.language = g_strdup ("ur");
  t->ledger.shared_fields = g_strdup ("category,message");
  t->json = g_strdup_printf ("{\"v\":1,\"id\":\"%s\",\"sealed\":\"AAAA\"}", id);
  t->item.envelope = &t->env;
  t->item.envelope_json = t->json;
  t->item.method = method;
  t->item.ledger = &t->ledger;
}

static void
test_item_clear (TestItem *t)
{
  g_free (t->env.id);
  g_free (t->env.partner);
  g_free (t->env.ref);
  g_free (t->ledger.channel);
  g_free (t->ledger.category);
  g_free (t->ledger.language);
  g_free (t->ledger.shared_fields);
  g_free (t->json);
}

/* Enqueues one webhook item and asserts it was new. */
static void
enqueue_one (Store *store, const char *id, const char *partner, gint64 created_at,
             DeliveryMethod method)
{
  TestItem t;
  guint dups = 99;
  g_autoptr(GError) error = NULL;

  test_item_init (&t, id, partner, "REF-1", created_at, method);
  g_assert_true (store_enqueue (store, &t.item, 1, &dups, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dups, ==, 0);
  test_item_clear (&t);
}

/* Enqueues PREFIX0 .. PREFIX(N-1), created one second apart from FIRST,
 * in one transaction (one fsync: the tests stay fast on slow disks). */
static void
enqueue_n (Store *store, const char *prefix, int n, const char *partner,
           gint64 first, DeliveryMethod method)
{
  g_autofree TestItem *items = g_new (TestItem, n);
  g_autofree StoreItem *batch = g_new (StoreItem, n);
  g_autoptr(GError) error = NULL;
  guint dups = 99;

  for (int i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("%s%d", prefix, i);

      test_item_init (&items[i], id, partner, "REF-1", first + i, method);
      batch[i] = items[i].item;
    }
  g_assert_true (store_enqueue (store, batch, (guint) n, &dups, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dups, ==, 0);
  for (int i = 0; i < n; i++)
    test_item_clear (&items[i]);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  (void) data;
  f->dir = g_dir_make_tmp ("test-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "queue.db", NULL);
  f->store = store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  (void) data;
  g_clear_pointer (&f->store, store_close);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (f->dir, name, NULL);
      g_unlink (file);
    }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static void
reopen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&f->store, store_close);
  f->store = store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static Delivery *
get (Store *store, const char *id)
{
  g_autoptr(GError) error = NULL;
  Delivery *d = store_get (store, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (d);
  return d;
}

static GPtrArray *
claim (Store *store, gint64 now, guint limit, gint64 lease)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *claimed = store_claim_due (store, now, limit, lease, &error);

  g_assert_no_error (error);
  g_assert_nonnull (claimed);
  return claimed;
}

static guint64
count_all (Store *store, guint64 counts[DELIVERY_N_STATES])
{
  g_autoptr(GError) error = NULL;
  guint64 total = 0;

  g_assert_true (store_counts (store, counts, &error));
  g_assert_no_error (error);
  for (int i = 0; i < DELIVERY_N_STATES; i++)
    total += counts[i];
  return total;
}

static DeliveryState
ledger_state (Store *store, const char *ref, const char *id,
              gint64 *delivered_at)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = store_ledger_for_ref (store, ref, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < rows->len; i++)
    {
      LedgerEntry *e = rows->pdata[i];

      if (g_strcmp0 (e->id, id) == 0)
        {
          if (delivered_at != NULL)
            *delivered_at = e->delivered_at;
          return e->state;
        }
    }
  g_assert_not_reached ();
}

static void
test_lifecycle (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Delivery) d = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  guint64 counts[DELIVERY_N_STATES];
  gint64 delivered_at = 0;

  (void) data;
  g_assert_cmpint (store_next_due (f->store, &error), ==, -1);
  enqueue_one (f->store, "e1", "p1", 1000, DELIVERY_METHOD_WEBHOOK);
  g_assert_true (g_str_has_suffix (store_path (f->store), "queue.db"));

  d = get (f->store, "e1");
  g_assert_cmpint (d->state, ==, DELIVERY_QUEUED);
  g_assert_cmpint (d->method, ==, DELIVERY_METHOD_WEBHOOK);
  g_assert_cmpstr (d->partner, ==, "p1");
  g_assert_cmpstr (d->ref, ==, "REF-1");
  g_assert_cmpuint (d->attempts, ==, 0);
  g_assert_cmpint (d->created_at, ==, 1000);
  g_assert_cmpint (d->last_attempt_at, ==, 0);
  g_assert_cmpstr (d->envelope_json, ==, "{\"v\":1,\"id\":\"e1\",\"sealed\":\"AAAA\"}");
  g_assert_cmpint (ledger_state (f->store, "REF-1", "e1", NULL), ==, DELIVERY_QUEUED);
  g_assert_cmpint (store_next_due (f->store, &error), ==, 1000);
  g_clear_pointer (&d, delivery_free);

  none = claim (f->store, 999, 10, 60);
  g_assert_cmpuint (none->len, ==, 0);

  first = claim (f->store, 1000, 10, 60);
  g_assert_cmpuint (first->len, ==, 1);
  d = g_ptr_array_steal_index (first, 0);
  g_assert_cmpstr (d->id, ==, "e1");
  g_assert_cmpint (d->state, ==, DELIVERY_ACTIVE);
  g_assert_cmpuint (d->attempts, ==, 1);
  g_assert_cmpint (d->lease_until, ==, 1060);
  g_assert_cmpint (d->last_attempt_at, ==, 1000);
  g_assert_nonnull (strstr (d->envelope_json, "\"sealed\""));
  g_assert_cmpint (ledger_state (f->store, "REF-1", "e1", NULL), ==, DELIVERY_ACTIVE);
  g_clear_pointer (&d, delivery_free);

  g_clear_pointer (&none, g_ptr_array_unref);
  none = claim (f->store, 1001, 10, 60);
  g_assert_cmpuint (none->len, ==, 0);

  g_assert_true (store_mark_deferred (f->store, "e1", 1005, 1100, "HTTP 503", &error));
  g_assert_no_error (error);
  d = get (f->store, "e1");
  g_assert_cmpint (d->state, ==, DELIVERY_DEFERRED);
  g_assert_cmpint (d->next_attempt_at, ==, 1100);
  g_assert_cmpint (d->lease_until, ==, 0);
  g_assert_cmpstr (d->last_error, ==, "HTTP 503");
  g_assert_cmpint (ledger_state (f->store, "REF-1", "e1", NULL), ==, DELIVERY_DEFERRED);
  g_clear_pointer (&d, delivery_free);

  g_clear_pointer (&none, g_ptr_array_unref);
  none = claim (f->store, 1099, 10, 60);
  g_assert_cmpuint (none->len, ==, 0);
  second = claim (f->store, 1100, 10, 60);
  g_assert_cmpuint (second->len, ==, 1);
  g_assert_cmpuint (((Delivery *) second->pdata[0])->attempts, ==, 2);

  g_assert_true (store_mark_delivered (f->store, "e1", 1101, &error));
  g_assert_no_error (error);
  d = get (f->store, "e1");
  g_assert_cmpint (d->state, ==, DELIVERY_DELIVERED);
  g_assert_cmpint (d->delivered_at, ==, 1101);
  g_assert_cmpint (ledger_state (f->store, "REF-1", "e1", &delivered_at), ==,
                   DELIVERY_DELIVERED);
  g_assert_cmpint (delivered_at, ==, 1101);
  g_assert_cmpint (store_next_due (f->store, &error), ==, -1);

  /* Success reported twice stays the first success. */
  g_assert_true (store_mark_delivered (f->store, "e1", 2000, &error));
  g_assert_no_error (error);
  g_clear_pointer (&d, delivery_free);
  d = get (f->store, "e1");
  g_assert_cmpint (d->delivered_at, ==, 1101);

  /* Delivered is final. */
  g_assert_false (store_mark_deferred (f->store, "e1", 2000, 3000, "x", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (store_mark_held (f->store, "e1", 2000, "x", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (store_mark_delivered (f->store, "nope", 2000, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_cmpuint (count_all (f->store, counts), ==, 1);
  g_assert_cmpuint (counts[DELIVERY_DELIVERED], ==, 1);
}

static void
test_idempotent (Fixture *f, gconstpointer data)
{
  TestItem items[3];
  g_autoptr(GError) error = NULL;
  g_autoptr(Delivery) b = NULL;
  g_autoptr(GPtrArray) ledger = NULL;
  guint64 counts[DELIVERY_N_STATES];
  guint dups = 99;
  const char *first[] = { "a", "b", "c" };
  const char *again[] = { "b", "d", "d" };

  (void) data;
  for (guint i = 0; i < 3; i++)
    test_item_init (&items[i], first[i], "p1", "REF-1", 100 + i,
                    DELIVERY_METHOD_WEBHOOK);
  {
    StoreItem batch[3] = { items[0].item, items[1].item, items[2].item };
    g_assert_true (store_enqueue (f->store, batch, 3, &dups, &error));
  }
  g_assert_no_error (error);
  g_assert_cmpuint (dups, ==, 0);
  for (guint i = 0; i < 3; i++)
    test_item_clear (&items[i]);

  /* "b" is stored already, "d" comes twice in the same batch. */
  for (guint i = 0; i < 3; i++)
    {
      test_item_init (&items[i], again[i], "p2", "REF-2", 200 + i,
                      DELIVERY_METHOD_EMAIL);
      g_free (items[i].json);
      items[i].json = g_strdup ("{\"second\":true}");
      items[i].item.envelope_json = items[i].json;
    }
  {
    StoreItem batch[3] = { items[0].item, items[1].item, items[2].item };
    g_assert_true (store_enqueue (f->store, batch, 3, &dups, &error));
  }
  g_assert_no_error (error);
  g_assert_cmpuint (dups, ==, 2);
  for (guint i = 0; i < 3; i++)
    test_item_clear (&items[i]);

  g_assert_cmpuint (count_all (f->store, counts), ==, 4);
  g_assert_cmpuint (counts[DELIVERY_QUEUED], ==, 4);
  /* The first copy wins, untouched. */
  b = get (f->store, "b");
  g_assert_cmpstr (b->partner, ==, "p1");
  g_assert_cmpint (b->method, ==, DELIVERY_METHOD_WEBHOOK);
  g_assert_nonnull (strstr (b->envelope_json, "\"b\""));
  ledger = store_ledger_for_ref (f->store, "REF-2", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ledger->len, ==, 1);
  g_assert_cmpstr (((LedgerEntry *) ledger->pdata[0])->id, ==, "d");
}

/* A batch whose item I is bad (invalid JSON or an unknown method) must
 * leave nothing behind, and the store must stay usable. */
static void
check_batch_fails (Fixture *f, gboolean bad_json)
{
  TestItem items[3];
  StoreItem batch[3];
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ledger = NULL;
  guint64 counts[DELIVERY_N_STATES];
  guint dups = 77;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("x%u", i);

      test_item_init (&items[i], id, "p1", "REF-X", 100, DELIVERY_METHOD_WEBHOOK);
      batch[i] = items[i].item;
    }
  if (bad_json)
    batch[1].envelope_json = "{\"v\":1, not json";
  else
    batch[2].method = (DeliveryMethod) 42;
  g_assert_false (store_enqueue (f->store, batch, 3, &dups, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, f->path));
  g_clear_error (&error);

  g_assert_cmpuint (count_all (f->store, counts), ==, 0);
  ledger = store_ledger_for_ref (f->store, "REF-X", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ledger->len, ==, 0);

  /* No transaction left open: the same ids go in fine now. */
  batch[1].envelope_json = items[1].json;
  batch[2].method = DELIVERY_METHOD_WEBHOOK;
  g_assert_true (store_enqueue (f->store, batch, 3, &dups, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dups, ==, 0);
  g_assert_cmpuint (count_all (f->store, counts), ==, 3);
  for (guint i = 0; i < 3; i++)
    test_item_clear (&items[i]);
}

static void
test_all_or_nothing_json (Fixture *f, gconstpointer data)
{
  (void) data;
  check_batch_fails (f, TRUE);
}

static void
test_all_or_nothing_method (Fixture *f, gconstpointer data)
{
  (void) data;
  check_batch_fails (f, FALSE);
}

static void
test_claim_rules (Fixture *f, gconstpointer data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                      g_free, NULL);
  g_autoptr(GPtrArray) email = NULL;
  g_autoptr(GPtrArray) late = NULL;
  gint64 last_created = 0;

  (void) data;
  enqueue_n (f->store, "w", 10, "p1", 10, DELIVERY_METHOD_WEBHOOK);
  enqueue_n (f->store, "pull", 5, "p1", 1, DELIVERY_METHOD_PULL);
  enqueue_n (f->store, "mail", 5, "p2", 150, DELIVERY_METHOD_EMAIL);
  enqueue_n (f->store, "relay", 3, "gw", 500, DELIVERY_METHOD_RELAY);

  /* Due at 100: the ten webhooks only (pull ones are older but never
   * pushed), in batches of at most 4, oldest first, never twice. */
  for (int round = 0; round < 5; round++)
    {
      g_autoptr(GPtrArray) batch = claim (f->store, 100, 4, 600);

      g_assert_cmpuint (batch->len, <=, 4);
      if (round < 2)
        g_assert_cmpuint (batch->len, ==, 4);
      for (guint i = 0; i < batch->len; i++)
        {
          Delivery *d = batch->pdata[i];

          g_assert_cmpint (d->method, ==, DELIVERY_METHOD_WEBHOOK);
          g_assert_cmpint (d->created_at, <=, 100);
          g_assert_cmpint (d->created_at, >, last_created);
          last_created = d->created_at;
          g_assert_false (g_hash_table_contains (seen, d->id));
          g_hash_table_add (seen, g_strdup (d->id));
        }
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 10);

  email = claim (f->store, 160, 100, 600);
  g_assert_cmpuint (email->len, ==, 5);
  for (guint i = 0; i < email->len; i++)
    g_assert_cmpint (((Delivery *) email->pdata[i])->method, ==,
                     DELIVERY_METHOD_EMAIL);

  late = claim (f->store, 650, 100, 10000);
  g_assert_cmpuint (late->len, ==, 3);
  for (guint i = 0; i < late->len; i++)
    g_assert_cmpint (((Delivery *) late->pdata[i])->method, ==,
                     DELIVERY_METHOD_RELAY);

  /* Pull deliveries stay queued for the partner, however old. */
  {
    g_autoptr(GPtrArray) never = claim (f->store, 699, 100, 10);
    guint64 counts[DELIVERY_N_STATES];

    g_assert_cmpuint (never->len, ==, 0);
    count_all (f->store, counts);
    g_assert_cmpuint (counts[DELIVERY_QUEUED], ==, 5);
    g_assert_cmpuint (counts[DELIVERY_ACTIVE], ==, 18);
  }
}

static void
test_lease_expiry (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) early = NULL;
  g_autoptr(GPtrArray) again = NULL;
  Delivery *d;

  (void) data;
  enqueue_one (f->store, "e1", "p1", 100, DELIVERY_METHOD_WEBHOOK);
  first = claim (f->store, 100, 10, 30);
  g_assert_cmpuint (first->len, ==, 1);
  /* A worker waits for the lease, not for a due time. */
  g_assert_cmpint (store_next_due (f->store, &error), ==, 130);

  early = claim (f->store, 129, 10, 30);
  g_assert_cmpuint (early->len, ==, 0);
  again = claim (f->store, 130, 10, 30);
  g_assert_cmpuint (again->len, ==, 1);
  d = again->pdata[0];
  g_assert_cmpstr (d->id, ==, "e1");
  g_assert_cmpint (d->state, ==, DELIVERY_ACTIVE);
  g_assert_cmpuint (d->attempts, ==, 2);
  g_assert_cmpint (d->lease_until, ==, 160);

  /* The first worker, late, still succeeds. */
  g_assert_true (store_mark_delivered (f->store, "e1", 140, &error));
  g_assert_no_error (error);
}

static void
wait_child (pid_t pid, int *status)
{
  pid_t got;

  do
    got = waitpid (pid, status, 0);
  while (got < 0 && errno == EINTR);
  g_assert_cmpint (got, ==, pid);
}

/* A real crash: another process claims three of five deliveries and is
 * killed before it reports on any of them. */
static void
test_crash_requeues_active (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) claimed = NULL;
  guint64 counts[DELIVERY_N_STATES];
  gint64 before, after;
  int status = 0;
  pid_t pid;

  (void) data;
  enqueue_n (f->store, "c", 5, "p1", 100, DELIVERY_METHOD_WEBHOOK);
  g_clear_pointer (&f->store, store_close);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      Store *child = store_open (f->path, NULL);
      GPtrArray *mine;

      if (child == NULL)
        _exit (3);
      mine = store_claim_due (child, 1000, 3, 3600, NULL);
      if (mine == NULL || mine->len != 3)
        _exit (4);
      kill (getpid (), SIGKILL);
      _exit (5);
    }
  wait_child (pid, &status);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  before = g_get_real_time () / G_USEC_PER_SEC;
  reopen (f);
  after = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_cmpuint (count_all (f->store, counts), ==, 5);
  g_assert_cmpuint (counts[DELIVERY_ACTIVE], ==, 0);
  g_assert_cmpuint (counts[DELIVERY_DEFERRED], ==, 3);
  g_assert_cmpuint (counts[DELIVERY_QUEUED], ==, 2);
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *id = g_strdup_printf ("c%d", i);
      g_autoptr(Delivery) d = get (f->store, id);

      g_assert_cmpint (d->state, ==, DELIVERY_DEFERRED);
      g_assert_cmpuint (d->attempts, ==, 1);
      g_assert_cmpint (d->lease_until, ==, 0);
      g_assert_cmpint (d->next_attempt_at, >=, before);
      g_assert_cmpint (d->next_attempt_at, <=, after);
      g_assert_cmpint (ledger_state (f->store, "REF-1", id, NULL), ==,
                       DELIVERY_DEFERRED);
    }
  /* Due now: the next worker picks all five up, without waiting an hour
   * for the dead worker's lease. */
  claimed = claim (f->store, after, 10, 60);
  g_assert_cmpuint (claimed->len, ==, 5);
}

/* The child's part of test_claim_concurrent: claims until nothing is due
 * and writes the ids it got to PATH-claimedK; the exit status.  Frees all
 * it holds before returning, so that the child's _exit leaks nothing
 * (check-valgrind runs this test and counts the forked child's leaks). */
static int
claim_all_into (const char *path, int k)
{
  g_autofree char *out = g_strdup_printf ("%s-claimed%d", path, k);
  g_autoptr(GString) ids = g_string_new (NULL);
  Store *mine = store_open (path, NULL);
  GPtrArray *batch;
  int status = 0;

  if (mine == NULL)
    return 3;
  while ((batch = store_claim_due (mine, 1000, 7, 3600, NULL)) != NULL
         && batch->len > 0)
    {
      for (guint i = 0; i < batch->len; i++)
        g_string_append_printf (ids, "%s\n", ((Delivery *) batch->pdata[i])->id);
      g_ptr_array_unref (batch);
    }
  if (batch == NULL)
    status = 4;
  else
    g_ptr_array_unref (batch);
  if (status == 0 && !g_file_set_contents (out, ids->str, -1, NULL))
    status = 5;
  store_close (mine);
  return status;
}

/* Two processes claim from the same file at once: every delivery is
 * claimed exactly once. */
static void
test_claim_concurrent (Fixture *f, gconstpointer data)
{
  const int n = 200;
  /* Made after the fork: the children inherit nothing of it to leak. */
  g_autoptr(GHashTable) seen = NULL;
  pid_t pids[2];

  (void) data;
  enqueue_n (f->store, "cc", n, "p1", 100, DELIVERY_METHOD_WEBHOOK);
  g_clear_pointer (&f->store, store_close);

  for (int k = 0; k < 2; k++)
    {
      pids[k] = fork ();
      g_assert_cmpint (pids[k], >=, 0);
      if (pids[k] == 0)
        _exit (claim_all_into (f->path, k));
    }
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int k = 0; k < 2; k++)
    {
      g_autofree char *out = g_strdup_printf ("%s-claimed%d", f->path, k);
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;
      int status = 0;

      wait_child (pids[k], &status);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
      g_assert_true (g_file_get_contents (out, &text, NULL, NULL));
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
        {
          g_assert_false (g_hash_table_contains (seen, lines[i]));
          g_hash_table_add (seen, g_strdup (lines[i]));
        }
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, n);
}

/* A second process (saferoutectl beside a live forwarder) opening the
 * file must not throw the forwarder's in-flight deliveries back. */
static void
test_open_beside_live (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) claimed = NULL;
  g_autoptr(Store) second = NULL;
  g_autoptr(Delivery) d = NULL;

  (void) data;
  enqueue_one (f->store, "live", "p1", 100, DELIVERY_METHOD_WEBHOOK);
  claimed = claim (f->store, 100, 10, 600);
  g_assert_cmpuint (claimed->len, ==, 1);

  second = store_open (f->path, &error);
  g_assert_no_error (error);
  d = get (second, "live");
  g_assert_cmpint (d->state, ==, DELIVERY_ACTIVE);
  g_assert_cmpint (d->lease_until, ==, 700);
  g_clear_pointer (&d, delivery_free);
  g_clear_pointer (&second, store_close);

  /* Once nobody has it open, the leftover is a crash's and goes back. */
  reopen (f);
  d = get (f->store, "live");
  g_assert_cmpint (d->state, ==, DELIVERY_DEFERRED);
}

static gint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : 0;
}

/* A child killed with SIGKILL while its big batch is being written: the
 * batch is all there or not there at all, and what was committed before
 * is intact. */
static void
test_crash_mid_batch (Fixture *f, gconstpointer data)
{
  const guint n = 20000;
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ledger = NULL;
  guint64 counts[DELIVERY_N_STATES];
  guint64 total;
  gint64 base_wal, deadline;
  int status = 0;
  pid_t pid;

  (void) data;
  enqueue_one (f->store, "before", "p1", 1, DELIVERY_METHOD_WEBHOOK);
  g_clear_pointer (&f->store, store_close);
  base_wal = file_size (wal);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      Store *child = store_open (f->path, NULL);
      TestItem *items = g_new (TestItem, n);
      StoreItem *batch = g_new (StoreItem, n);
      g_autofree char *padding = g_strnfill (1000, 'A');

      if (child == NULL)
        _exit (3);
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *id = g_strdup_printf ("big%05u", i);

          test_item_init (&items[i], id, "p1", "REF-BIG", 10, DELIVERY_METHOD_WEBHOOK);
          g_free (items[i].json);
          items[i].json = g_strdup_printf ("{\"id\":\"%s\",\"sealed\":\"%s\"}",
                                           id, padding);
          items[i].item.envelope_json = items[i].json;
          batch[i] = items[i].item;
        }
      /* Loops forever: the parent kills this process. */
      for (;;)
        store_enqueue (child, batch, n, NULL, NULL);
    }

  /* The uncommitted transaction spills to the WAL as it grows: kill the
   * writer once a few MB of it are on disk. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (file_size (wal) < base_wal + 4 * 1024 * 1024
         && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  kill (pid, SIGKILL);
  wait_child (pid, &status);
  g_assert_true (WIFSIGNALED (status));

  reopen (f);
  total = count_all (f->store, counts);
  g_test_message ("after the kill: %" G_GUINT64_FORMAT " deliveries", total);
  g_assert_true (total == 1 || total == 1 + n);
  ledger = store_ledger_for_ref (f->store, "REF-BIG", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ledger->len, ==, total - 1);
  {
    g_autoptr(Delivery) d = get (f->store, "before");
    g_assert_cmpint (d->state, ==, DELIVERY_QUEUED);
  }
}

static void
test_operator_rules (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(Delivery) d = NULL;
  gint64 now;

  (void) data;
  enqueue_one (f->store, "a", "p1", 100, DELIVERY_METHOD_WEBHOOK);
  enqueue_one (f->store, "b", "p1", 101, DELIVERY_METHOD_WEBHOOK);
  enqueue_one (f->store, "c", "p1", 102, DELIVERY_METHOD_WEBHOOK);
  enqueue_one (f->store, "d", "p1", 103, DELIVERY_METHOD_WEBHOOK);

  g_assert_false (store_retry (f->store, "a", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (store_retry (f->store, "zzz", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (store_hold (f->store, "zzz", "x", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (store_purge (f->store, "a", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);

  /* a: held by an operator, not claimed, retried, claimed. */
  g_assert_true (store_hold (f->store, "a", "partner asked to pause", &error));
  g_assert_no_error (error);
  d = get (f->store, "a");
  g_assert_cmpint (d->state, ==, DELIVERY_HELD);
  g_assert_cmpstr (d->last_error, ==, "partner asked to pause");
  g_assert_cmpint (ledger_state (f->store, "REF-1", "a", NULL), ==, DELIVERY_HELD);
  g_clear_pointer (&d, delivery_free);

  /* b: claimed then delivered; c: claimed; d: claimed then deferred. */
  batch = claim (f->store, 1000, 10, 60);
  g_assert_cmpuint (batch->len, ==, 3);
  g_assert_cmpstr (((Delivery *) batch->pdata[0])->id, ==, "b");
  g_assert_true (store_mark_delivered (f->store, "b", 1001, &error));
  g_assert_true (store_mark_deferred (f->store, "d", 1001, 5000, "timeout", &error));
  g_assert_no_error (error);

  now = g_get_real_time () / G_USEC_PER_SEC;
  g_assert_true (store_retry (f->store, "a", &error));
  g_assert_no_error (error);
  d = get (f->store, "a");
  g_assert_cmpint (d->state, ==, DELIVERY_QUEUED);
  g_assert_cmpint (d->next_attempt_at, >=, now);
  g_assert_cmpint (ledger_state (f->store, "REF-1", "a", NULL), ==, DELIVERY_QUEUED);
  g_clear_pointer (&d, delivery_free);

  g_assert_true (store_retry (f->store, "d", &error));
  g_assert_no_error (error);
  d = get (f->store, "d");
  g_assert_cmpint (d->state, ==, DELIVERY_QUEUED);
  g_assert_cmpint (d->next_attempt_at, <, 5000 + now);
  g_clear_pointer (&d, delivery_free);

  /* Delivered: nothing an operator can do. */
  g_assert_false (store_retry (f->store, "b", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "delivered"));
  g_clear_error (&error);
  g_assert_false (store_hold (f->store, "b", "x", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (store_purge (f->store, "b", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);

  /* c: active, held by the forwarder; a late failure cannot un-hold it. */
  g_assert_false (store_retry (f->store, "c", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_true (store_mark_held (f->store, "c", 1002, "HTTP 410", &error));
  g_assert_no_error (error);
  g_assert_false (store_mark_deferred (f->store, "c", 1003, 2000, "late", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_clear_error (&error);

  /* Purged: envelope gone, delivery and ledger row kept, held forever. */
  g_assert_true (store_purge (f->store, "c", &error));
  g_assert_no_error (error);
  d = get (f->store, "c");
  g_assert_cmpint (d->state, ==, DELIVERY_HELD);
  g_assert_null (d->envelope_json);
  g_assert_cmpstr (d->last_error, ==, "purged by operator");
  g_assert_cmpint (ledger_state (f->store, "REF-1", "c", NULL), ==, DELIVERY_HELD);
  g_clear_pointer (&d, delivery_free);
  g_assert_false (store_retry (f->store, "c", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_STATE);
  g_assert_nonnull (strstr (error->message, "purged"));
  g_clear_error (&error);

  /* Held deliveries survive the delivered-envelope purge. */
  g_assert_cmpint (store_purge_delivered (f->store, G_MAXINT32, 0, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_true (store_hold (f->store, "a", "again", &error));
  g_assert_cmpint (store_purge_delivered (f->store, G_MAXINT32, 0, &error), ==, 0);
  d = get (f->store, "a");
  g_assert_nonnull (d->envelope_json);
}

static void
test_purge_delivered (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) ledger = NULL;
  const char *ids[] = { "old", "new", "held", "queued" };

  (void) data;
  for (int i = 0; i < 4; i++)
    enqueue_one (f->store, ids[i], "p1", 100 + i, DELIVERY_METHOD_WEBHOOK);
  batch = claim (f->store, 102, 3, 60);
  g_assert_cmpuint (batch->len, ==, 3);
  g_assert_true (store_mark_delivered (f->store, "old", 1000, &error));
  g_assert_true (store_mark_delivered (f->store, "new", 2000, &error));
  g_assert_true (store_mark_held (f->store, "held", 1000, "HTTP 400", &error));
  g_assert_no_error (error);

  g_assert_cmpint (store_purge_delivered (f->store, 2500, 1000, &error), ==, 1);
  g_assert_no_error (error);
  for (int i = 0; i < 4; i++)
    {
      g_autoptr(Delivery) d = get (f->store, ids[i]);

      if (i == 0)
        g_assert_null (d->envelope_json);
      else
        g_assert_nonnull (d->envelope_json);
    }
  g_assert_cmpint (store_purge_delivered (f->store, 2500, 1000, &error), ==, 0);

  /* The ledger keeps all four, the purged one as delivered. */
  ledger = store_ledger_for_ref (f->store, "REF-1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ledger->len, ==, 4);
  {
    gint64 delivered_at = 0;
    g_assert_cmpint (ledger_state (f->store, "REF-1", "old", &delivered_at), ==,
                     DELIVERY_DELIVERED);
    g_assert_cmpint (delivered_at, ==, 1000);
  }

  g_assert_cmpint (store_purge_delivered (f->store, 3001, 1000, &error), ==, 1);
  /* Survives a reopen: the purge was committed. */
  reopen (f);
  {
    g_autoptr(Delivery) d = get (f->store, "new");
    g_assert_null (d->envelope_json);
  }
}

static void
test_pull (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) two = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GPtrArray) other = NULL;
  g_autoptr(Delivery) d = NULL;

  (void) data;
  enqueue_one (f->store, "p-3", "inbox", 30, DELIVERY_METHOD_PULL);
  enqueue_one (f->store, "p-1", "inbox", 10, DELIVERY_METHOD_PULL);
  enqueue_one (f->store, "p-2", "inbox", 20, DELIVERY_METHOD_PULL);
  enqueue_one (f->store, "q-1", "other", 5, DELIVERY_METHOD_PULL);
  enqueue_one (f->store, "w-1", "inbox", 1, DELIVERY_METHOD_WEBHOOK);

  all = store_pull_pending (f->store, "inbox", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_cmpstr (((Delivery *) all->pdata[0])->id, ==, "p-1");
  g_assert_cmpstr (((Delivery *) all->pdata[1])->id, ==, "p-2");
  g_assert_cmpstr (((Delivery *) all->pdata[2])->id, ==, "p-3");
  g_assert_nonnull (((Delivery *) all->pdata[0])->envelope_json);
  two = store_pull_pending (f->store, "inbox", 2, &error);
  g_assert_cmpuint (two->len, ==, 2);

  /* Another partner's delivery, or a pushed one, is not yours to ack. */
  g_assert_false (store_ack (f->store, "inbox", "q-1", 100, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (store_ack (f->store, "inbox", "w-1", 100, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (store_ack (f->store, "inbox", "nope", 100, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  d = get (f->store, "q-1");
  g_assert_cmpint (d->state, ==, DELIVERY_QUEUED);
  g_clear_pointer (&d, delivery_free);

  g_assert_true (store_ack (f->store, "inbox", "p-1", 100, &error));
  g_assert_no_error (error);
  /* The partner lost our answer and acks again. */
  g_assert_true (store_ack (f->store, "inbox", "p-1", 101, &error));
  g_assert_no_error (error);
  d = get (f->store, "p-1");
  g_assert_cmpint (d->state, ==, DELIVERY_DELIVERED);
  g_assert_cmpint (d->delivered_at, ==, 100);
  g_assert_cmpint (ledger_state (f->store, "REF-1", "p-1", NULL), ==,
                   DELIVERY_DELIVERED);
  /* "other" cannot ack inbox's delivered one either. */
  g_assert_false (store_ack (f->store, "other", "p-1", 102, &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  after = store_pull_pending (f->store, "inbox", 10, &error);
  g_assert_cmpuint (after->len, ==, 2);
  g_assert_cmpstr (((Delivery *) after->pdata[0])->id, ==, "p-2");
  other = store_pull_pending (f->store, "other", 10, &error);
  g_assert_cmpuint (other->len, ==, 1);
}

static void
test_counts_and_list (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) queued = NULL;
  g_autoptr(GPtrArray) limited = NULL;
  guint64 counts[DELIVERY_N_STATES];

  (void) data;
  enqueue_n (f->store, "n", 6, "p1", 100, DELIVERY_METHOD_WEBHOOK);
  batch = claim (f->store, 103, 4, 60);
  g_assert_true (store_mark_delivered (f->store, "n0", 200, &error));
  g_assert_true (store_mark_deferred (f->store, "n1", 200, 300, "x", &error));
  g_assert_true (store_mark_held (f->store, "n2", 200, "y", &error));
  g_assert_no_error (error);

  g_assert_cmpuint (count_all (f->store, counts), ==, 6);
  g_assert_cmpuint (counts[DELIVERY_DELIVERED], ==, 1);
  g_assert_cmpuint (counts[DELIVERY_DEFERRED], ==, 1);
  g_assert_cmpuint (counts[DELIVERY_HELD], ==, 1);
  g_assert_cmpuint (counts[DELIVERY_ACTIVE], ==, 1);
  g_assert_cmpuint (counts[DELIVERY_QUEUED], ==, 2);

  all = store_list (f->store, -1, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 6);
  g_assert_cmpstr (((Delivery *) all->pdata[0])->id, ==, "n5");
  g_assert_cmpstr (((Delivery *) all->pdata[5])->id, ==, "n0");
  queued = store_list (f->store, DELIVERY_QUEUED, 100, &error);
  g_assert_cmpuint (queued->len, ==, 2);
  g_assert_cmpstr (((Delivery *) queued->pdata[0])->id, ==, "n5");
  g_assert_cmpstr (((Delivery *) queued->pdata[1])->id, ==, "n4");
  limited = store_list (f->store, -1, 3, &error);
  g_assert_cmpuint (limited->len, ==, 3);

  g_assert_null (store_get (f->store, "missing", &error));
  g_assert_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
}

static void
test_ledger (Fixture *f, gconstpointer data)
{
  TestItem items[4];
  StoreItem batch[4];
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GVariant) stats = NULL;
  g_autofree char *printed = NULL;
  LedgerEntry *e;

  (void) data;
  /* One report to two partners, one relayed sealed, one from SMS. */
  test_item_init (&items[0], "r1-a", "legal-aid", "K7Q2", 50, DELIVERY_METHOD_WEBHOOK);
  test_item_init (&items[1], "r1-b", "shelter", "K7Q2", 50, DELIVERY_METHOD_EMAIL);
  test_item_init (&items[2], "r2", "gateway", "ZZ99", 60, DELIVERY_METHOD_RELAY);
  g_clear_pointer (&items[2].ledger.category, g_free);
  g_clear_pointer (&items[2].ledger.shared_fields, g_free);
  g_free (items[2].ledger.channel);
  items[2].ledger.channel = g_strdup ("relay");
  test_item_init (&items[3], "r3", "legal-aid", "AB12", 70, DELIVERY_METHOD_WEBHOOK);
  g_free (items[3].ledger.channel);
  items[3].ledger.channel = g_strdup ("sms");
  items[3].ledger.created_at = 71;
  for (int i = 0; i < 4; i++)
    batch[i] = items[i].item;
  g_assert_true (store_enqueue (f->store, batch, 4, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 4; i++)
    test_item_clear (&items[i]);

  rows = store_ledger_for_ref (f->store, "K7Q2", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  e = rows->pdata[0];
  g_assert_cmpstr (e->id, ==, "r1-a");
  g_assert_cmpstr (e->ref, ==, "K7Q2");
  g_assert_cmpstr (e->partner, ==, "legal-aid");
  g_assert_cmpstr (e->channel, ==, "kiosk");
  g_assert_cmpstr (e->category, ==, "theft");
  g_assert_cmpstr (e->language, ==, "ur");
  g_assert_cmpstr (e->shared_fields, ==, "category,message");
  g_assert_cmpint (e->created_at, ==, 50);
  g_assert_cmpint (e->delivered_at, ==, 0);
  g_assert_cmpint (e->state, ==, DELIVERY_QUEUED);
  g_assert_cmpstr (((LedgerEntry *) rows->pdata[1])->partner, ==, "shelter");
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = store_ledger_for_ref (f->store, "ZZ99", &error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_null (((LedgerEntry *) rows->pdata[0])->category);
  g_assert_null (((LedgerEntry *) rows->pdata[0])->shared_fields);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = store_ledger_for_ref (f->store, "AB12", &error);
  g_assert_cmpint (((LedgerEntry *) rows->pdata[0])->created_at, ==, 71);

  none = store_ledger_for_ref (f->store, "NOPE", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  g_assert_true (store_mark_held (f->store, "r3", 80, "HTTP 400", &error));
  stats = store_ledger_stats (f->store, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (stats, G_VARIANT_TYPE ("a(sssssu)")));
  printed = g_variant_print (stats, FALSE);
  g_assert_cmpstr (printed, ==,
                   "[('', 'relay', 'ur', 'gateway', 'queued', 1), "
                   "('theft', 'kiosk', 'ur', 'legal-aid', 'queued', 1), "
                   "('theft', 'kiosk', 'ur', 'shelter', 'queued', 1), "
                   "('theft', 'sms', 'ur', 'legal-aid', 'held', 1)]");
}

static void
test_reopen_keeps_data (Fixture *f, gconstpointer data)
{
  g_autoptr(Delivery) d = NULL;

  (void) data;
  enqueue_one (f->store, "keep", "p1", 100, DELIVERY_METHOD_EMAIL);
  reopen (f);
  reopen (f);
  d = get (f->store, "keep");
  g_assert_cmpint (d->state, ==, DELIVERY_QUEUED);
  g_assert_cmpint (d->method, ==, DELIVERY_METHOD_EMAIL);
}

static void
raw_exec (const char *path, const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_newer_schema (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  Store *store;

  (void) data;
  g_clear_pointer (&f->store, store_close);
  raw_exec (f->path, "PRAGMA user_version = 99");
  store = store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, STORE_ERROR, STORE_ERROR_SCHEMA);
  g_assert_nonnull (strstr (error->message, f->path));
  g_assert_nonnull (strstr (error->message, "99"));
}

/* 1 if the database at PATH has a TYPE (index, trigger) called NAME. */
static int
raw_has (const char *path, const char *type, const char *name)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int found;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT COUNT (*) FROM sqlite_master"
                                       " WHERE type = ?1 AND name = ?2",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, type, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  found = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return found;
}

/* A v1 file (claim index on state and due time; the ledger keeping a copy
 * of each delivery's state, through a trigger) is migrated: the claim
 * index holds pending rows only, the ledger reads the delivery's state,
 * and both give what they gave before.  The claim then takes, in due
 * order across states, an expired lease, a deferred retry and the queued
 * ones; never a delivered, held or pull row. */
static void
test_migrate_from_v1 (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  static const char *const order[] = { "a0", "d0", "q0", "q1" };
  gint64 delivered_at = 0;

  (void) data;
  enqueue_n (f->store, "q", 2, "p1", 60, DELIVERY_METHOD_WEBHOOK);
  enqueue_n (f->store, "old", 2, "p1", 5, DELIVERY_METHOD_WEBHOOK);
  first = claim (f->store, 6, 2, 20);
  g_assert_cmpuint (first->len, ==, 2);
  g_assert_true (store_mark_delivered (f->store, "old0", 7, &error));
  g_assert_true (store_mark_held (f->store, "old1", 7, "HTTP 410", &error));
  g_assert_no_error (error);
  g_clear_pointer (&f->store, store_close);
  raw_exec (f->path,
            "DROP INDEX deliveries_pending;"
            "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)"
            "  WHERE method != 'pull';"
            "ALTER TABLE ledger ADD COLUMN delivered_at INTEGER NOT NULL DEFAULT 0;"
            "ALTER TABLE ledger ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';"
            "UPDATE ledger SET"
            "  state = (SELECT state FROM deliveries WHERE deliveries.id = ledger.id),"
            "  delivered_at = (SELECT delivered_at FROM deliveries"
            "                  WHERE deliveries.id = ledger.id);"
            "CREATE TRIGGER deliveries_ledger AFTER UPDATE OF state, delivered_at"
            "  ON deliveries"
            "  WHEN OLD.state IS NOT NEW.state OR OLD.delivered_at IS NOT NEW.delivered_at"
            "  BEGIN"
            "    UPDATE ledger SET state = NEW.state, delivered_at = NEW.delivered_at"
            "      WHERE id = NEW.id;"
            "  END;"
            "PRAGMA user_version = 1;");
  g_assert_cmpint (raw_has (f->path, "index", "deliveries_pending"), ==, 0);
  reopen (f);
  g_assert_cmpint (raw_has (f->path, "index", "deliveries_pending"), ==, 1);
  g_assert_cmpint (raw_has (f->path, "index", "deliveries_due"), ==, 0);
  g_assert_cmpint (raw_has (f->path, "trigger", "deliveries_ledger"), ==, 0);
  g_assert_cmpint (ledger_state (f->store, "REF-1", "old0", &delivered_at), ==,
                   DELIVERY_DELIVERED);
  g_assert_cmpint (delivered_at, ==, 7);
  g_assert_cmpint (ledger_state (f->store, "REF-1", "old1", NULL), ==, DELIVERY_HELD);
  g_assert_cmpint (ledger_state (f->store, "REF-1", "q0", NULL), ==, DELIVERY_QUEUED);

  enqueue_n (f->store, "a", 1, "p1", 10, DELIVERY_METHOD_WEBHOOK);
  enqueue_n (f->store, "d", 1, "p1", 11, DELIVERY_METHOD_WEBHOOK);
  enqueue_n (f->store, "x", 2, "p1", 12, DELIVERY_METHOD_WEBHOOK);
  enqueue_n (f->store, "pull", 2, "p1", 1, DELIVERY_METHOD_PULL);
  /* a0 active until 40; d0 deferred to 50; x0 delivered; x1 held. */
  g_clear_pointer (&first, g_ptr_array_unref);
  first = claim (f->store, 20, 4, 20);
  g_assert_cmpuint (first->len, ==, 4);
  g_assert_true (store_mark_deferred (f->store, "d0", 20, 50, "HTTP 503", &error));
  g_assert_true (store_mark_delivered (f->store, "x0", 20, &error));
  g_assert_true (store_mark_held (f->store, "x1", 20, "HTTP 410", &error));
  g_assert_no_error (error);
  g_assert_cmpint (ledger_state (f->store, "REF-1", "a0", NULL), ==, DELIVERY_ACTIVE);
  g_assert_cmpint (ledger_state (f->store, "REF-1", "x0", &delivered_at), ==,
                   DELIVERY_DELIVERED);
  g_assert_cmpint (delivered_at, ==, 20);

  g_assert_cmpint (store_next_due (f->store, &error), ==, 40);
  batch = claim (f->store, 100, 10, 600);
  g_assert_cmpuint (batch->len, ==, G_N_ELEMENTS (order));
  /* A batch comes back in creation order, which is due order here. */
  for (guint i = 0; i < batch->len; i++)
    g_assert_cmpstr (((Delivery *) batch->pdata[i])->id, ==, order[i]);
  g_assert_cmpint (store_next_due (f->store, &error), ==, 700);
  g_assert_no_error (error);
}

static void
test_unreadable (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *garbage = g_build_filename (f->dir, "garbage.db", NULL);
  g_autofree char *missing = g_build_filename (f->dir, "no-such-dir", "q.db", NULL);
  g_autofree char *text = g_strnfill (4096, 'x');
  Store *store;

  (void) data;
  g_assert_true (g_file_set_contents (garbage, text, -1, &error));
  store = store_open (garbage, &error);
  g_assert_null (store);
  g_assert_error (error, STORE_ERROR, STORE_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, garbage));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  store = store_open (missing, &error);
  g_assert_null (store);
  g_assert_error (error, STORE_ERROR, STORE_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, missing));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* A directory where the file should be. */
  store = store_open (f->dir, &error);
  g_assert_null (store);
  g_assert_error (error, STORE_ERROR, STORE_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, f->dir));
}

static void
test_strings (void)
{
  DeliveryState state;

  for (int i = 0; i < DELIVERY_N_STATES; i++)
    {
      const char *name = delivery_state_to_string ((DeliveryState) i);

      g_assert_nonnull (name);
      g_assert_true (delivery_state_from_string (name, &state));
      g_assert_cmpint (state, ==, i);
    }
  g_assert_cmpstr (delivery_state_to_string (DELIVERY_DEFERRED), ==, "deferred");
  g_assert_null (delivery_state_to_string (DELIVERY_N_STATES));
  g_assert_false (delivery_state_from_string ("Queued", &state));
  g_assert_false (delivery_state_from_string (NULL, &state));
  g_assert_cmpstr (delivery_method_to_string (DELIVERY_METHOD_WEBHOOK), ==, "webhook");
  g_assert_cmpstr (delivery_method_to_string (DELIVERY_METHOD_EMAIL), ==, "email");
  g_assert_cmpstr (delivery_method_to_string (DELIVERY_METHOD_PULL), ==, "pull");
  g_assert_cmpstr (delivery_method_to_string (DELIVERY_METHOD_RELAY), ==, "relay");
  g_assert_null (delivery_method_to_string ((DeliveryMethod) 9));
  delivery_free (NULL);
  ledger_entry_free (NULL);
}

/* The forwarder's group commit: outcomes and a claim in one batch are
 * invisible to another connection until the commit, then all there. */
static void
test_batch (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) other = store_open (f->path, &error);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  guint64 counts[DELIVERY_N_STATES] = { 0 };

  (void) data;
  g_assert_no_error (error);
  enqueue_n (f->store, "b", 4, "p1", 10, DELIVERY_METHOD_WEBHOOK);
  first = claim (f->store, 100, 2, 600);
  g_assert_cmpuint (first->len, ==, 2);

  g_assert_true (store_batch_begin (f->store, &error));
  g_assert_no_error (error);
  g_assert_true (store_mark_delivered (f->store, "b0", 101, &error));
  g_assert_true (store_mark_deferred (f->store, "b1", 101, 5000, "HTTP 503", &error));
  g_assert_no_error (error);
  second = claim (f->store, 101, 8, 600);
  g_assert_cmpuint (second->len, ==, 2);
  count_all (other, counts);
  g_assert_cmpuint (counts[DELIVERY_ACTIVE], ==, 2);
  g_assert_cmpuint (counts[DELIVERY_QUEUED], ==, 2);
  g_assert_cmpuint (counts[DELIVERY_DELIVERED], ==, 0);
  g_assert_true (store_batch_commit (f->store, &error));
  g_assert_no_error (error);

  count_all (other, counts);
  g_assert_cmpuint (counts[DELIVERY_DELIVERED], ==, 1);
  g_assert_cmpuint (counts[DELIVERY_DEFERRED], ==, 1);
  g_assert_cmpuint (counts[DELIVERY_ACTIVE], ==, 2);
  g_assert_cmpuint (counts[DELIVERY_QUEUED], ==, 0);
  g_assert_cmpint (ledger_state (other, "REF-1", "b0", NULL), ==, DELIVERY_DELIVERED);
}

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  ADD ("/store/lifecycle", test_lifecycle);
  ADD ("/store/enqueue/idempotent", test_idempotent);
  ADD ("/store/enqueue/all-or-nothing-json", test_all_or_nothing_json);
  ADD ("/store/enqueue/all-or-nothing-method", test_all_or_nothing_method);
  ADD ("/store/claim/rules", test_claim_rules);
  ADD ("/store/claim/lease-expiry", test_lease_expiry);
  ADD ("/store/crash/requeues-active", test_crash_requeues_active);
  ADD ("/store/crash/mid-batch", test_crash_mid_batch);
  ADD ("/store/crash/open-beside-live", test_open_beside_live);
  ADD ("/store/claim/concurrent", test_claim_concurrent);
  ADD ("/store/batch", test_batch);
  ADD ("/store/operator", test_operator_rules);
  ADD ("/store/purge-delivered", test_purge_delivered);
  ADD ("/store/pull", test_pull);
  ADD ("/store/counts-and-list", test_counts_and_list);
  ADD ("/store/ledger", test_ledger);
  ADD ("/store/reopen", test_reopen_keeps_data);
  ADD ("/store/open/newer-schema", test_newer_schema);
  ADD ("/store/open/unreadable", test_unreadable);
  ADD ("/store/open/migrate-from-v1", test_migrate_from_v1);
  g_test_add_func ("/store/strings", test_strings);
  return g_test_run ();
}
