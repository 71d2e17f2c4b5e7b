/* store: the durable queue and the sharing ledger, on SQLite.
 *
 * Owns every SQL statement of saferoute.  Three tables: envelopes (the
 * ciphertext, NULLed once purged), deliveries (one per envelope: state and
 * times), ledger (what went to whom, never the content).
 *
 * Invariants, true after a crash at any line of this file (WAL with
 * synchronous=FULL: a transaction is either fully on disk or absent):
 *  - an envelope, its delivery and its ledger row exist together or not at
 *    all: store_enqueue writes them in one BEGIN IMMEDIATE ... COMMIT, and
 *    for a batch every item or none;
 *  - a ledger row's state and delivered_at are its delivery's: they are
 *    not stored in the ledger but read through a join, so no code path
 *    (claim included) can leave them behind;
 *  - a delivery is never deleted; a held one keeps its envelope until an
 *    operator purges it, a delivered one until the retention has passed;
 *  - a delivery is 'active' only while a worker holds a lease; its
 *    next_attempt_at then equals lease_until, so one index finds both due
 *    and abandoned work.  A crash leaves actives behind: the first store_open
 *    after it (no other process has the file open: flock on PATH-lock) puts
 *    them back to 'deferred', due now (Postfix re-feeds its active queue),
 *    and a live process reclaims any whose lease expired.  Either way the
 *    partner may see an envelope twice; it de-duplicates by the envelope id;
 *  - the schema is at one version of store_migrations: each step and its
 *    user_version bump commit together.
 *
 * Failures: SQLITE_BUSY/LOCKED -> STORE_ERROR_BUSY and SQLITE_FULL ->
 * STORE_ERROR_FULL (the caller answers 503: both pass, and the
 * transaction was rolled back), anything else from SQLite ->
 * STORE_ERROR_IO naming the file, a schema
 * written by a newer saferoute -> STORE_ERROR_SCHEMA; bad transitions ->
 * STORE_ERROR_STATE, unknown ids -> STORE_ERROR_NOT_FOUND. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "store.h"

G_DEFINE_QUARK (saferoute-store-error-quark, store_error)

/* How long a writer waits for another before we give up with BUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* Schema migrations: entry N brings user_version from N to N + 1.  Append
 * new versions, never edit a released one. */
static const char *const store_migrations[] = {
  /* v1 */
  "CREATE TABLE envelopes ("
  "  id   TEXT PRIMARY KEY,"
  "  json TEXT CHECK (json IS NULL OR json_valid (json))"
  ") STRICT;"
  "CREATE TABLE deliveries ("
  "  id              TEXT PRIMARY KEY REFERENCES envelopes (id),"
  "  partner         TEXT NOT NULL,"
  "  ref             TEXT NOT NULL,"
  "  method          TEXT NOT NULL"
  "    CHECK (method IN ('webhook', 'email', 'pull', 'relay')),"
  "  state           TEXT NOT NULL"
  "    CHECK (state IN ('queued', 'active', 'deferred', 'delivered', 'held')),"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  created_at      INTEGER NOT NULL,"
  "  next_attempt_at INTEGER NOT NULL,"
  "  last_attempt_at INTEGER NOT NULL DEFAULT 0,"
  "  lease_until     INTEGER NOT NULL DEFAULT 0,"
  "  delivered_at    INTEGER NOT NULL DEFAULT 0,"
  "  last_error      TEXT"
  ") STRICT;"
  /* The claim index.  Partial, so that a pull partner who stops fetching
   * (its rows stay queued and due forever) cannot make every claim walk
   * past them: with a plain index that costs ~200 ms at 500k such rows. */
  "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)"
  "  WHERE method != 'pull';"
  /* counts, store_list by state, purge of delivered ones. */
  "CREATE INDEX deliveries_state ON deliveries (state, created_at);"
  "CREATE INDEX deliveries_pull ON deliveries (partner, created_at)"
  "  WHERE method = 'pull' AND state IN ('queued', 'deferred');"
  "CREATE TABLE ledger ("
  "  id            TEXT PRIMARY KEY REFERENCES envelopes (id),"
  "  ref           TEXT NOT NULL,"
  "  partner       TEXT NOT NULL,"
  "  channel       TEXT NOT NULL,"
  "  category      TEXT,"
  "  language      TEXT,"
  "  shared_fields TEXT,"
  "  created_at    INTEGER NOT NULL,"
  "  delivered_at  INTEGER NOT NULL DEFAULT 0,"
  "  state         TEXT NOT NULL"
  "    CHECK (state IN ('queued', 'active', 'deferred', 'delivered', 'held'))"
  ") STRICT;"
  "CREATE INDEX ledger_ref ON ledger (ref);"
  "CREATE TRIGGER deliveries_ledger AFTER UPDATE OF state, delivered_at"
  "  ON deliveries"
  "  WHEN OLD.state IS NOT NEW.state OR OLD.delivered_at IS NOT NEW.delivered_at"
  "  BEGIN"
  "    UPDATE ledger SET state = NEW.state, delivered_at = NEW.delivered_at"
  "      WHERE id = NEW.id;"
  "  END;",
  /* v2: the claim index holds only the rows a claim may take (queued,
   * deferred, active; pushed), keyed by due time alone.  v1's index on
   * (state, next_attempt_at) made "state IN (three) ORDER BY
   * next_attempt_at LIMIT n" collect and sort every due row on each
   * claim, so a claim cost grew with the backlog; this one is read in
   * order and stops after n.  Delivered and held rows leave it. */
  "DROP INDEX deliveries_due;"
  "CREATE INDEX deliveries_pending ON deliveries (next_attempt_at)"
  "  WHERE method != 'pull' AND state IN ('queued', 'deferred', 'active');",
  /* v3: the ledger reads its state and delivered_at from the delivery
   * (a join) instead of keeping a copy.  The copy cost a second row write
   * per transition, and its trigger made every single-row UPDATE open a
   * statement journal: about half the store's work per delivery. */
  "DROP TRIGGER deliveries_ledger;"
  "ALTER TABLE ledger DROP COLUMN delivered_at;"
  "ALTER TABLE ledger DROP COLUMN state;",
};

/* The rows deliveries_pending holds, spelt as its WHERE is: SQLite uses a
 * partial index only for a query whose WHERE contains these very terms
 * (INDEXED BY then makes a mismatch an error at prepare, not a slow
 * scan). */
#define STORE_PENDING \
  "method != 'pull' AND state IN ('queued', 'deferred', 'active')"

/* Same order everywhere, so that one function reads a Delivery. */
#define DELIVERY_COLUMNS \
  "id, partner, ref, method, state, attempts, created_at, next_attempt_at," \
  " last_attempt_at, lease_until, delivered_at, last_error," \
  " (SELECT json FROM envelopes WHERE envelopes.id = deliveries.id)"
/* The ledger with its delivery's state (see the invariants above). */
#define LEDGER_FROM \
  " FROM ledger AS l JOIN deliveries AS d ON d.id = l.id"
#define LEDGER_COLUMNS \
  "l.id, l.ref, l.partner, l.channel, l.category, l.language," \
  " l.shared_fields, l.created_at, d.delivered_at, d.state"

typedef enum
{
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_INSERT_ENVELOPE,
  STMT_INSERT_DELIVERY,
  STMT_INSERT_LEDGER,
  STMT_CLAIM,
  STMT_NEXT_DUE,
  STMT_MARK_DELIVERED,
  STMT_MARK_DEFERRED,
  STMT_MARK_HELD,
  STMT_RETRY,
  STMT_HOLD,
  STMT_PURGE_STATE,
  STMT_PURGE_ENVELOPE,
  STMT_PURGE_DELIVERED,
  STMT_PULL_PENDING,
  STMT_ACK,
  STMT_COUNTS,
  STMT_LIST,
  STMT_LIST_STATE,
  STMT_GET,
  STMT_GET_STATE,
  STMT_LEDGER_FOR_REF,
  STMT_LEDGER_STATS,
  N_STMTS
} StmtId;

static const char *const store_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_INSERT_ENVELOPE] =
    "INSERT INTO envelopes (id, json) VALUES (?1, ?2)"
    " ON CONFLICT (id) DO NOTHING",
  [STMT_INSERT_DELIVERY] =
    "INSERT INTO deliveries (id, partner, ref, method, state, created_at,"
    " next_attempt_at) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5)",
  [STMT_INSERT_LEDGER] =
    "INSERT INTO ledger (id, ref, partner, channel, category, language,"
    " shared_fields, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
  /* Due = queued/deferred whose time has come, or active whose lease ran
   * out (next_attempt_at = lease_until while active).  One statement, so
   * two workers can never claim the same row. */
  [STMT_CLAIM] =
    "UPDATE deliveries SET state = 'active', lease_until = ?1,"
    " next_attempt_at = ?1, attempts = attempts + 1, last_attempt_at = ?2"
    " WHERE rowid IN (SELECT rowid FROM deliveries INDEXED BY deliveries_pending"
    "   WHERE " STORE_PENDING " AND next_attempt_at <= ?2"
    "   ORDER BY next_attempt_at LIMIT ?3)"
    " RETURNING " DELIVERY_COLUMNS,
  [STMT_NEXT_DUE] =
    "SELECT MIN (next_attempt_at) FROM deliveries INDEXED BY deliveries_pending"
    " WHERE " STORE_PENDING,
  /* Delivered is final: a second report of success changes nothing. */
  [STMT_MARK_DELIVERED] =
    "UPDATE deliveries SET state = 'delivered', delivered_at = ?2,"
    " lease_until = 0, next_attempt_at = 0"
    " WHERE id = ?1 AND state != 'delivered'",
  /* Only an attempt in flight can fail: an operator's hold wins. */
  [STMT_MARK_DEFERRED] =
    "UPDATE deliveries SET state = 'deferred', last_attempt_at = ?2,"
    " next_attempt_at = ?3, last_error = ?4, lease_until = 0"
    " WHERE id = ?1 AND state IN ('active', 'queued', 'deferred')",
  [STMT_MARK_HELD] =
    "UPDATE deliveries SET state = 'held', last_attempt_at = ?2,"
    " last_error = ?3, lease_until = 0"
    " WHERE id = ?1 AND state != 'delivered'",
  /* Without its envelope a delivery has nothing left to send. */
  [STMT_RETRY] =
    "UPDATE deliveries SET state = 'queued', next_attempt_at = ?2,"
    " lease_until = 0"
    " WHERE id = ?1 AND state IN ('held', 'deferred')"
    " AND (SELECT json FROM envelopes WHERE envelopes.id = ?1) IS NOT NULL",
  [STMT_HOLD] =
    "UPDATE deliveries SET state = 'held', last_error = ?2, lease_until = 0"
    " WHERE id = ?1 AND state != 'delivered'",
  [STMT_PURGE_STATE] =
    "UPDATE deliveries SET last_error = 'purged by operator'"
    " WHERE id = ?1 AND state = 'held'",
  [STMT_PURGE_ENVELOPE] =
    "UPDATE envelopes SET json = NULL WHERE id = ?1",
  /* XXX walks every delivered row, purged or not: fine daily at 1M rows
   * (a few hundred ms); a purged flag would make it incremental. */
  [STMT_PURGE_DELIVERED] =
    "UPDATE envelopes SET json = NULL WHERE json IS NOT NULL AND id IN"
    " (SELECT id FROM deliveries WHERE state = 'delivered'"
    "  AND delivered_at < ?1)",
  [STMT_PULL_PENDING] =
    "SELECT " DELIVERY_COLUMNS " FROM deliveries"
    " WHERE partner = ?1 AND method = 'pull' AND state IN ('queued', 'deferred')"
    " ORDER BY created_at, id LIMIT ?2",
  [STMT_ACK] =
    "UPDATE deliveries SET state = 'delivered', delivered_at = ?3,"
    " next_attempt_at = 0"
    " WHERE id = ?1 AND partner = ?2 AND method = 'pull'"
    " AND state IN ('queued', 'deferred')",
  [STMT_COUNTS] =
    "SELECT state, COUNT (*) FROM deliveries GROUP BY state",
  /* XXX no index on created_at alone: listing all states sorts the whole
   * table.  Fine for saferoutectl; add one if something polls this. */
  [STMT_LIST] =
    "SELECT " DELIVERY_COLUMNS " FROM deliveries"
    " ORDER BY created_at DESC, id DESC LIMIT ?2",
  [STMT_LIST_STATE] =
    "SELECT " DELIVERY_COLUMNS " FROM deliveries WHERE state = ?1"
    " ORDER BY created_at DESC, id DESC LIMIT ?2",
  [STMT_GET] =
    "SELECT " DELIVERY_COLUMNS " FROM deliveries WHERE id = ?1",
  [STMT_GET_STATE] =
    "SELECT state, partner, method,"
    " (SELECT json IS NULL FROM envelopes WHERE envelopes.id = ?1)"
    " FROM deliveries WHERE id = ?1",
  [STMT_LEDGER_FOR_REF] =
    "SELECT " LEDGER_COLUMNS LEDGER_FROM " WHERE l.ref = ?1"
    " ORDER BY l.created_at, l.id",
  [STMT_LEDGER_STATS] =
    "SELECT IFNULL (l.category, ''), l.channel, IFNULL (l.language, ''),"
    " l.partner, d.state, COUNT (*)" LEDGER_FROM
    " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
};

struct _Store
{
  sqlite3      *db;
  char         *path;
  int           lock_fd;   /* PATH-lock, flock()ed shared while open */
  sqlite3_stmt *stmts[N_STMTS];
};

static const char *const state_names[DELIVERY_N_STATES] = {
  [DELIVERY_QUEUED] = "queued",
  [DELIVERY_ACTIVE] = "active",
  [DELIVERY_DEFERRED] = "deferred",
  [DELIVERY_DELIVERED] = "delivered",
  [DELIVERY_HELD] = "held",
};

static const char *const method_names[] = {
  [DELIVERY_METHOD_WEBHOOK] = "webhook",
  [DELIVERY_METHOD_EMAIL] = "email",
  [DELIVERY_METHOD_PULL] = "pull",
  [DELIVERY_METHOD_RELAY] = "relay",
};

const char *
delivery_state_to_string (DeliveryState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_names))
    return NULL;
  return state_names[state];
}

/* Index of TEXT in NAMES, or -1. */
static int
name_lookup (const char *const *names, guint n_names, const char *text)
{
  for (guint i = 0; text != NULL && i < n_names; i++)
    if (strcmp (text, names[i]) == 0)
      return (int) i;
  return -1;
}

gboolean
delivery_state_from_string (const char *text, DeliveryState *state)
{
  int i = name_lookup (state_names, G_N_ELEMENTS (state_names), text);

  g_return_val_if_fail (state != NULL, FALSE);
  if (i < 0)
    return FALSE;
  *state = (DeliveryState) i;
  return TRUE;
}

const char *
delivery_method_to_string (DeliveryMethod method)
{
  if ((guint) method >= G_N_ELEMENTS (method_names))
    return NULL;
  return method_names[method];
}

static gboolean
delivery_method_from_string (const char *text, DeliveryMethod *method)
{
  int i = name_lookup (method_names, G_N_ELEMENTS (method_names), text);

  if (i < 0)
    return FALSE;
  *method = (DeliveryMethod) i;
  return TRUE;
}

void
delivery_free (Delivery *delivery)
{
  if (delivery == NULL)
    return;
  g_free (delivery->id);
  g_free (delivery->partner);
  g_free (delivery->ref);
  g_free (delivery->last_error);
  g_free (delivery->envelope_json);
  g_free (delivery);
}

void
ledger_entry_free (LedgerEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->ref);
  g_free (entry->partner);
  g_free (entry->channel);
  g_free (entry->category);
  g_free (entry->language);
  g_free (entry->shared_fields);
  g_free (entry);
}

static gint64
store_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Busy and full have codes of their own because the caller's answer
 * differs (503 and retry, not 500). */
StoreError
store_error_code (int sqlite_result)
{
  switch (sqlite_result & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return STORE_ERROR_BUSY;
    case SQLITE_FULL:
      return STORE_ERROR_FULL;
    default:
      return STORE_ERROR_IO;
    }
}

/* Turns the connection's last error into a GError. */
static gboolean
store_fail (Store *store, int rc, GError **error)
{
  StoreError code = store_error_code (rc);
  const char *message = store->db != NULL ? sqlite3_errmsg (store->db)
                                          : sqlite3_errstr (rc);

  if (code == STORE_ERROR_BUSY)
    g_set_error (error, STORE_ERROR, code,
                 _("%s: database is busy: %s"), store->path, message);
  else if (code == STORE_ERROR_FULL)
    g_set_error (error, STORE_ERROR, code,
                 _("%s: the disk is full: %s"), store->path, message);
  else
    g_set_error (error, STORE_ERROR, code, "%s: %s", store->path, message);
  return FALSE;
}

static sqlite3_stmt *
store_stmt (Store *store, StmtId id, GError **error)
{
  int rc;

  if (store->stmts[id] != NULL)
    return store->stmts[id];
  rc = sqlite3_prepare_v3 (store->db, store_sql[id], -1,
                           SQLITE_PREPARE_PERSISTENT, &store->stmts[id], NULL);
  if (rc != SQLITE_OK)
    {
      store_fail (store, rc, error);
      return NULL;
    }
  return store->stmts[id];
}

/* Leaves the statement reset and unbound, so a cached statement never
 * holds a read transaction open between calls. */
static void
stmt_done (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

static void
bind_text (sqlite3_stmt *stmt, int index, const char *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

static char *
column_text (sqlite3_stmt *stmt, int column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs a statement that returns no rows; *CHANGES gets the rows touched. */
static gboolean
stmt_run (Store *store, sqlite3_stmt *stmt, int *changes, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (changes != NULL)
    *changes = sqlite3_changes (store->db);
  stmt_done (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return store_fail (store, rc, error);
  return TRUE;
}

static gboolean
store_exec (Store *store, StmtId id, GError **error)
{
  sqlite3_stmt *stmt = store_stmt (store, id, error);

  return stmt != NULL && stmt_run (store, stmt, NULL, error);
}

static void
store_rollback (Store *store)
{
  if (!sqlite3_get_autocommit (store->db))
    store_exec (store, STMT_ROLLBACK, NULL);
}

static Delivery *
delivery_from_row (sqlite3_stmt *stmt)
{
  Delivery *d = g_new0 (Delivery, 1);

  d->id = column_text (stmt, 0);
  d->partner = column_text (stmt, 1);
  d->ref = column_text (stmt, 2);
  if (!delivery_method_from_string ((const char *) sqlite3_column_text (stmt, 3),
                                    &d->method))
    g_warning ("delivery %s: unknown method", d->id);
  if (!delivery_state_from_string ((const char *) sqlite3_column_text (stmt, 4),
                                   &d->state))
    g_warning ("delivery %s: unknown state", d->id);
  d->attempts = (guint) sqlite3_column_int64 (stmt, 5);
  d->created_at = sqlite3_column_int64 (stmt, 6);
  d->next_attempt_at = sqlite3_column_int64 (stmt, 7);
  d->last_attempt_at = sqlite3_column_int64 (stmt, 8);
  d->lease_until = sqlite3_column_int64 (stmt, 9);
  d->delivered_at = sqlite3_column_int64 (stmt, 10);
  d->last_error = column_text (stmt, 11);
  d->envelope_json = column_text (stmt, 12);
  return d;
}

static LedgerEntry *
ledger_entry_from_row (sqlite3_stmt *stmt)
{
  LedgerEntry *e = g_new0 (LedgerEntry, 1);

  e->id = column_text (stmt, 0);
  e->ref = column_text (stmt, 1);
  e->partner = column_text (stmt, 2);
  e->channel = column_text (stmt, 3);
  e->category = column_text (stmt, 4);
  e->language = column_text (stmt, 5);
  e->shared_fields = column_text (stmt, 6);
  e->created_at = sqlite3_column_int64 (stmt, 7);
  e->delivered_at = sqlite3_column_int64 (stmt, 8);
  if (!delivery_state_from_string ((const char *) sqlite3_column_text (stmt, 9),
                                   &e->state))
    g_warning ("ledger %s: unknown state", e->id);
  return e;
}

typedef gpointer (*RowFunc) (sqlite3_stmt *stmt);

/* Steps a bound statement to the end, collecting one object per row. */
static GPtrArray *
stmt_collect (Store *store, sqlite3_stmt *stmt, RowFunc func,
              GDestroyNotify free_func, GError **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, func (stmt));
  stmt_done (stmt);
  if (rc != SQLITE_DONE)
    {
      store_fail (store, rc, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

static gboolean
store_exec_sql (Store *store, const char *sql, GError **error)
{
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);

  return rc == SQLITE_OK || store_fail (store, rc, error);
}

static gboolean
store_pragma_int (Store *store, const char *sql, gint64 *value, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *value = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  return rc == SQLITE_OK || store_fail (store, rc, error);
}

/* Each step runs in its own IMMEDIATE transaction and re-reads the version
 * inside it, so two processes opening a fresh file at once cannot both
 * migrate; a crash mid-migration leaves the previous version intact. */
static gboolean
store_migrate (Store *store, GError **error)
{
  const gint64 known = G_N_ELEMENTS (store_migrations);

  for (;;)
    {
      gint64 version = 0;
      g_autofree char *set_version = NULL;

      if (!store_exec_sql (store, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!store_pragma_int (store, "PRAGMA user_version", &version, error))
        goto fail;
      if (version > known)
        {
          /* Numbers formatted apart: xgettext cannot see through
           * G_GINT64_FORMAT. */
          g_autofree char *found = g_strdup_printf ("%" G_GINT64_FORMAT, version);
          g_autofree char *ours = g_strdup_printf ("%" G_GINT64_FORMAT, known);

          g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                       /* TRANSLATORS: %s are the database file, the version
                        * found in it and the newest this program knows. */
                       _("%s: schema version %s is newer than "
                         "this saferoute knows (%s)"),
                       store->path, found, ours);
          goto fail;
        }
      if (version == known)
        return store_exec_sql (store, "COMMIT", error);
      /* A PRAGMA takes no bound parameters; the value is our own integer. */
      set_version = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT,
                                     version + 1);
      if (!store_exec_sql (store, store_migrations[version], error)
          || !store_exec_sql (store, set_version, error)
          || !store_exec_sql (store, "COMMIT", error))
        goto fail;
      g_debug ("%s: schema migrated to v%" G_GINT64_FORMAT,
               store->path, version + 1);
    }

fail:
  store_rollback (store);
  return FALSE;
}

static gboolean
store_configure (Store *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean wal;
  int rc;

  sqlite3_busy_timeout (store->db, STORE_BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (store->db, 1);
  rc = sqlite3_prepare_v2 (store->db, "PRAGMA journal_mode = WAL", -1, &stmt,
                           NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  wal = rc == SQLITE_ROW
        && g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0),
                               "wal") == 0;
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return store_fail (store, rc, error);
  if (!wal)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_IO,
                   _("%s: cannot switch the database to WAL mode"), store->path);
      return FALSE;
    }
  return store_exec_sql (store, "PRAGMA synchronous = FULL;"
                                "PRAGMA foreign_keys = ON;", error);
}

/* Every open Store holds a shared flock on PATH-lock; the kernel drops it
 * when the process dies, however it dies.  Whoever gets it exclusively is
 * alone: any 'active' row was left by a crash.  Without this, running
 * saferoutectl beside a live forwarder would throw the forwarder's
 * in-flight deliveries back into the queue and send them twice. */
static gboolean
store_lock (Store *store, gboolean *alone, GError **error)
{
  g_autofree char *lock_path = g_strconcat (store->path, "-lock", NULL);

  store->lock_fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (store->lock_fd < 0)
    {
      int saved = errno;

      g_set_error (error, STORE_ERROR, STORE_ERROR_IO, "%s: %s", lock_path,
                   g_strerror (saved));
      return FALSE;
    }
  *alone = flock (store->lock_fd, LOCK_EX | LOCK_NB) == 0;
  return TRUE;
}

static gboolean
store_lock_shared (Store *store, GError **error)
{
  int rc;

  do
    rc = flock (store->lock_fd, LOCK_SH);
  while (rc != 0 && errno == EINTR);
  if (rc != 0)
    {
      int saved = errno;

      g_set_error (error, STORE_ERROR, STORE_ERROR_IO, "%s-lock: %s",
                   store->path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* What a crash left in flight goes back to the queue, due now. */
static gboolean
store_requeue_active (Store *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db,
                               "UPDATE deliveries SET state = 'deferred',"
                               " next_attempt_at = ?1, lease_until = 0"
                               " WHERE state = 'active'", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, store_now ());
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_OK)
    return store_fail (store, rc, error);
  if (sqlite3_changes (store->db) > 0)
    g_message ("%s: %d deliveries left active put back to deferred",
               store->path, sqlite3_changes (store->db));
  return TRUE;
}

Store *
store_open (const char *path, GError **error)
{
  g_autoptr(Store) store = NULL;
  gboolean alone = FALSE;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  store = g_new0 (Store, 1);
  store->path = g_strdup (path);
  store->lock_fd = -1;
  rc = sqlite3_open_v2 (path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      store_fail (store, rc, error);
      return NULL;
    }
  if (!store_configure (store, error)
      || !store_migrate (store, error)
      || !store_lock (store, &alone, error))
    return NULL;
  /* Not alone: a live process may hold leases; if a dead one left some
   * too, they come back when their lease runs out. */
  if (alone && !store_requeue_active (store, error))
    return NULL;
  if (!store_lock_shared (store, error))
    return NULL;
  return g_steal_pointer (&store);
}

void
store_close (Store *store)
{
  if (store == NULL)
    return;
  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (store->stmts[i]);
  if (store->db != NULL)
    sqlite3_close (store->db);
  if (store->lock_fd >= 0)
    close (store->lock_fd);
  g_free (store->path);
  g_free (store);
}

const char *
store_path (const Store *store)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->path;
}

/* Inserts one item inside the caller's transaction; *DUPLICATE is set when
 * the envelope id is already stored, and nothing is written then. */
static gboolean
store_insert_item (Store *store, const StoreItem *item, gboolean *duplicate,
                   GError **error)
{
  const Envelope *env = item->envelope;
  const LedgerEntry *ledger = item->ledger;
  sqlite3_stmt *stmt;
  int changes = 0;

  stmt = store_stmt (store, STMT_INSERT_ENVELOPE, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, env->id);
  bind_text (stmt, 2, item->envelope_json);
  if (!stmt_run (store, stmt, &changes, error))
    return FALSE;
  *duplicate = changes == 0;
  if (*duplicate)
    return TRUE;

  stmt = store_stmt (store, STMT_INSERT_DELIVERY, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, env->id);
  bind_text (stmt, 2, env->partner);
  bind_text (stmt, 3, env->ref);
  bind_text (stmt, 4, delivery_method_to_string (item->method));
  sqlite3_bind_int64 (stmt, 5, env->created_at);
  if (!stmt_run (store, stmt, NULL, error))
    return FALSE;

  stmt = store_stmt (store, STMT_INSERT_LEDGER, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, env->id);
  bind_text (stmt, 2, env->ref);
  bind_text (stmt, 3, env->partner);
  bind_text (stmt, 4, ledger->channel);
  bind_text (stmt, 5, ledger->category);
  bind_text (stmt, 6, ledger->language);
  bind_text (stmt, 7, ledger->shared_fields);
  sqlite3_bind_int64 (stmt, 8, ledger->created_at != 0 ? ledger->created_at
                                                       : env->created_at);
  return stmt_run (store, stmt, NULL, error);
}

gboolean
store_enqueue (Store *store, const StoreItem *items, guint n_items,
               guint *duplicates, GError **error)
{
  guint dups = 0;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (items != NULL || n_items == 0, FALSE);
  for (guint i = 0; i < n_items; i++)
    {
      g_return_val_if_fail (items[i].envelope != NULL, FALSE);
      g_return_val_if_fail (items[i].envelope->id != NULL, FALSE);
      g_return_val_if_fail (items[i].envelope->partner != NULL, FALSE);
      g_return_val_if_fail (items[i].envelope->ref != NULL, FALSE);
      g_return_val_if_fail (items[i].envelope_json != NULL, FALSE);
      g_return_val_if_fail (items[i].ledger != NULL, FALSE);
      g_return_val_if_fail (items[i].ledger->channel != NULL, FALSE);
    }

  if (duplicates != NULL)
    *duplicates = 0;
  if (!store_exec (store, STMT_BEGIN, error))
    return FALSE;
  for (guint i = 0; i < n_items; i++)
    {
      gboolean duplicate = FALSE;

      if (!store_insert_item (store, &items[i], &duplicate, error))
        {
          store_rollback (store);
          return FALSE;
        }
      dups += duplicate ? 1 : 0;
    }
  if (!store_exec (store, STMT_COMMIT, error))
    {
      store_rollback (store);
      return FALSE;
    }
  if (duplicates != NULL)
    *duplicates = dups;
  return TRUE;
}

gboolean
store_batch_begin (Store *store, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return store_exec (store, STMT_BEGIN, error);
}

gboolean
store_batch_commit (Store *store, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  if (store_exec (store, STMT_COMMIT, error))
    return TRUE;
  store_rollback (store);
  return FALSE;
}

static gint
delivery_compare_due (gconstpointer a, gconstpointer b)
{
  const Delivery *x = *(const Delivery *const *) a;
  const Delivery *y = *(const Delivery *const *) b;

  /* lease_until is the same for the whole batch; order by creation. */
  if (x->created_at != y->created_at)
    return x->created_at < y->created_at ? -1 : 1;
  return strcmp (x->id, y->id);
}

GPtrArray *
store_claim_due (Store *store, gint64 now, guint limit, gint64 lease_seconds,
                 GError **error)
{
  sqlite3_stmt *stmt;
  GPtrArray *claimed;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (lease_seconds > 0, NULL);

  stmt = store_stmt (store, STMT_CLAIM, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, now + lease_seconds);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_int64 (stmt, 3, limit);
  claimed = stmt_collect (store, stmt, (RowFunc) delivery_from_row,
                          (GDestroyNotify) delivery_free, error);
  /* RETURNING gives rows in no promised order. */
  if (claimed != NULL)
    g_ptr_array_sort (claimed, delivery_compare_due);
  return claimed;
}

gint64
store_next_due (Store *store, GError **error)
{
  sqlite3_stmt *stmt;
  gint64 due = -1;
  int rc;

  g_return_val_if_fail (store != NULL, -1);

  stmt = store_stmt (store, STMT_NEXT_DUE, error);
  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    due = sqlite3_column_int64 (stmt, 0);
  stmt_done (stmt);
  if (rc != SQLITE_ROW)
    store_fail (store, rc, error);
  return due;
}

/* Explains why an UPDATE guarded by a state condition touched nothing. */
static gboolean
store_explain_unchanged (Store *store, const char *id, const char *action,
                         GError **error)
{
  sqlite3_stmt *stmt = store_stmt (store, STMT_GET_STATE, error);
  g_autofree char *state = NULL;
  gboolean purged = FALSE;
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      state = column_text (stmt, 0);
      purged = sqlite3_column_int (stmt, 3) != 0;
    }
  stmt_done (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail (store, rc, error);
  if (state == NULL)
    g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                 _("no delivery %s"), id);
  else if (purged)
    /* TRANSLATORS: the first %s is an operator action as typed on the
     * command line (retry, hold, purge, defer, mark delivered), the
     * second a delivery id, the third a state (queued, held...). */
    g_set_error (error, STORE_ERROR, STORE_ERROR_STATE,
                 _("cannot %s delivery %s: it is %s and its envelope is purged"),
                 action, id, state);
  else
    /* TRANSLATORS: as above. */
    g_set_error (error, STORE_ERROR, STORE_ERROR_STATE,
                 _("cannot %s delivery %s: it is %s"), action, id, state);
  return FALSE;
}

/* Runs a guarded single-row UPDATE whose parameters are already bound from
 * index 2 on; ?1 is the id.  The ledger shows the new state through its
 * join: nothing else to write. */
static gboolean
store_transition (Store *store, sqlite3_stmt *stmt, const char *id,
                  const char *action, GError **error)
{
  int changes = 0;

  bind_text (stmt, 1, id);
  if (!stmt_run (store, stmt, &changes, error))
    return FALSE;
  if (changes == 0)
    return store_explain_unchanged (store, id, action, error);
  return TRUE;
}

gboolean
store_mark_delivered (Store *store, const char *id, gint64 now, GError **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  stmt = store_stmt (store, STMT_MARK_DELIVERED, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 2, now);
  if (store_transition (store, stmt, id, "mark delivered", &local_error))
    return TRUE;
  /* Delivered twice (a reclaimed lease that also succeeded) is still
   * delivered: the first time stands. */
  if (g_error_matches (local_error, STORE_ERROR, STORE_ERROR_STATE))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

gboolean
store_mark_deferred (Store *store, const char *id, gint64 now,
                     gint64 next_attempt_at, const char *last_error,
                     GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  stmt = store_stmt (store, STMT_MARK_DEFERRED, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_int64 (stmt, 3, next_attempt_at);
  bind_text (stmt, 4, last_error);
  return store_transition (store, stmt, id, "defer", error);
}

gboolean
store_mark_held (Store *store, const char *id, gint64 now, const char *reason,
                 GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  stmt = store_stmt (store, STMT_MARK_HELD, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 2, now);
  bind_text (stmt, 3, reason);
  return store_transition (store, stmt, id, "hold", error);
}

gboolean
store_retry (Store *store, const char *id, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  stmt = store_stmt (store, STMT_RETRY, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 2, store_now ());
  return store_transition (store, stmt, id, "retry", error);
}

gboolean
store_hold (Store *store, const char *id, const char *reason, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  stmt = store_stmt (store, STMT_HOLD, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 2, reason);
  return store_transition (store, stmt, id, "hold", error);
}

gboolean
store_purge (Store *store, const char *id, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!store_exec (store, STMT_BEGIN, error))
    return FALSE;
  stmt = store_stmt (store, STMT_PURGE_STATE, error);
  if (stmt == NULL || !store_transition (store, stmt, id, "purge", error))
    goto fail;
  stmt = store_stmt (store, STMT_PURGE_ENVELOPE, error);
  if (stmt == NULL)
    goto fail;
  bind_text (stmt, 1, id);
  if (!stmt_run (store, stmt, NULL, error)
      || !store_exec (store, STMT_COMMIT, error))
    goto fail;
  g_message ("delivery %s: envelope purged by operator", id);
  return TRUE;

fail:
  store_rollback (store);
  return FALSE;
}

gint64
store_purge_delivered (Store *store, gint64 now, gint64 retention_seconds,
                       GError **error)
{
  sqlite3_stmt *stmt;
  int changes = 0;

  g_return_val_if_fail (store != NULL, -1);
  g_return_val_if_fail (retention_seconds >= 0, -1);

  stmt = store_stmt (store, STMT_PURGE_DELIVERED, error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, now - retention_seconds);
  if (!stmt_run (store, stmt, &changes, error))
    return -1;
  return changes;
}

GPtrArray *
store_pull_pending (Store *store, const char *partner, guint limit,
                    GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (partner != NULL, NULL);

  stmt = store_stmt (store, STMT_PULL_PENDING, error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, partner);
  sqlite3_bind_int64 (stmt, 2, limit);
  return stmt_collect (store, stmt, (RowFunc) delivery_from_row,
                       (GDestroyNotify) delivery_free, error);
}

gboolean
store_ack (Store *store, const char *partner, const char *id, gint64 now,
           GError **error)
{
  sqlite3_stmt *stmt;
  int changes = 0;
  gboolean own_delivered = FALSE;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (partner != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  stmt = store_stmt (store, STMT_ACK, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, partner);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!stmt_run (store, stmt, &changes, error))
    return FALSE;
  if (changes > 0)
    return TRUE;

  stmt = store_stmt (store, STMT_GET_STATE, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    own_delivered =
      g_strcmp0 ((const char *) sqlite3_column_text (stmt, 1), partner) == 0
      && g_strcmp0 ((const char *) sqlite3_column_text (stmt, 2), "pull") == 0
      && g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "delivered") == 0;
  stmt_done (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail (store, rc, error);
  /* A repeated ack (the partner lost our answer) is fine.  Someone else's
   * delivery looks exactly like a missing one: no probing of ids. */
  if (own_delivered)
    return TRUE;
  g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
               _("no pending delivery %s for partner %s"), id, partner);
  return FALSE;
}

gboolean
store_counts (Store *store, guint64 counts[DELIVERY_N_STATES], GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (counts != NULL, FALSE);

  memset (counts, 0, sizeof (guint64) * DELIVERY_N_STATES);
  stmt = store_stmt (store, STMT_COUNTS, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DeliveryState state;

      if (delivery_state_from_string ((const char *) sqlite3_column_text (stmt, 0),
                                      &state))
        counts[state] = (guint64) sqlite3_column_int64 (stmt, 1);
    }
  stmt_done (stmt);
  return rc == SQLITE_DONE || store_fail (store, rc, error);
}

GPtrArray *
store_list (Store *store, int state, guint limit, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (state < (int) DELIVERY_N_STATES, NULL);

  stmt = store_stmt (store, state < 0 ? STMT_LIST : STMT_LIST_STATE, error);
  if (stmt == NULL)
    return NULL;
  if (state >= 0)
    bind_text (stmt, 1, delivery_state_to_string ((DeliveryState) state));
  sqlite3_bind_int64 (stmt, 2, limit);
  return stmt_collect (store, stmt, (RowFunc) delivery_from_row,
                       (GDestroyNotify) delivery_free, error);
}

Delivery *
store_get (Store *store, const char *id, GError **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  stmt = store_stmt (store, STMT_GET, error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  rows = stmt_collect (store, stmt, (RowFunc) delivery_from_row,
                       (GDestroyNotify) delivery_free, error);
  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                   _("no delivery %s"), id);
      return NULL;
    }
  return g_ptr_array_steal_index (rows, 0);
}

GPtrArray *
store_ledger_for_ref (Store *store, const char *ref, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (ref != NULL, NULL);

  stmt = store_stmt (store, STMT_LEDGER_FOR_REF, error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, ref);
  return stmt_collect (store, stmt, (RowFunc) ledger_entry_from_row,
                       (GDestroyNotify) ledger_entry_free, error);
}

GVariant *
store_ledger_stats (Store *store, GError **error)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(sssssu)"));
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = store_stmt (store, STMT_LEDGER_STATS, error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *text[5];

      for (int i = 0; i < 5; i++)
        {
          text[i] = (const char *) sqlite3_column_text (stmt, i);
          if (text[i] == NULL || !g_utf8_validate (text[i], -1, NULL))
            text[i] = "";
        }
      g_variant_builder_add (&builder, "(sssssu)", text[0], text[1], text[2],
                             text[3], text[4],
                             (guint32) sqlite3_column_int64 (stmt, 5));
    }
  stmt_done (stmt);
  if (rc != SQLITE_DONE)
    {
      store_fail (store, rc, error);
      return NULL;
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}
