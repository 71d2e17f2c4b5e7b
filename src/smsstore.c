/* smsstore: the SMS front door's SQLite file (see smsstore.h).
 *
 * Invariants, after a crash at any line:
 * - a conversation step is one transaction (session + seen record), so a
 *   provider's retry of the same message either finds the step done (and
 *   gets the same reply, no second side effect) or finds nothing;
 * - a report is written here as "pending" before intake commits it, and
 *   settled after; a crash in between leaves the pending report, which the
 *   retry re-submits under the same report id (intake is idempotent by
 *   envelope id), so nothing the person was told is "sent" is lost and
 *   nothing is sent twice;
 * - secure_delete overwrites what is deleted, so a wiped draft does not
 *   linger in free pages (the blobs are ciphertext anyway).
 * Durability: WAL with synchronous=NORMAL, which alone would NOT do
 * (NORMAL syncs the WAL only at checkpoints, so a power cut can take the
 * last commits): every commit is followed by an fdatasync of the WAL
 * (smsstore_sync), which is what FULL does inside COMMIT.  Doing it
 * ourselves lets a batch's sync run in another thread while the writer
 * goes on with the next batch (smsdesk answers a batch only after its
 * sync); everything else syncs before returning.  A failed sync stands:
 * the store then refuses every change until it is opened again.  Frames
 * reach the WAL in order and carry a running checksum, so after a crash
 * no later commit survives without the earlier ones; checkpoints sync
 * the WAL before and the database after, as under FULL, and run in a
 * thread of their own on a second connection.
 * Fails with STORE_ERROR_BUSY when another writer holds the lock too long,
 * STORE_ERROR_FULL when the disk is full, STORE_ERROR_IO otherwise. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "smsstore.h"
#include "store.h"

#define SMSSTORE_BUSY_TIMEOUT_MS 5000
/* WAL pages after which smsstore_sync checkpoints (SQLite's default
 * auto-checkpoint), and after which the writer itself does, should the
 * syncs' checkpoints never catch up with it. */
#define SMSSTORE_CHECKPOINT_PAGES 5000
#define SMSSTORE_CHECKPOINT_PAGES_WRITER 40000

/* Entry N brings user_version from N to N + 1; append only. */
static const char *const smsstore_migrations[] = {
  "CREATE TABLE sessions ("
  " sender TEXT PRIMARY KEY,"
  " data BLOB NOT NULL,"
  " stopped INTEGER NOT NULL DEFAULT 0,"
  " updated_at INTEGER NOT NULL) STRICT;"
  "CREATE INDEX sessions_updated ON sessions (updated_at);"
  "CREATE TABLE seen ("
  " provider TEXT NOT NULL,"
  " msg_id TEXT NOT NULL,"
  " sender TEXT NOT NULL,"
  " reply BLOB,"
  " pending BLOB,"
  " created_at INTEGER NOT NULL,"
  " PRIMARY KEY (provider, msg_id)) STRICT;"
  "CREATE INDEX seen_sender ON seen (sender);"
  "CREATE INDEX seen_created ON seen (created_at);"
  "CREATE TABLE outbox ("
  " envelope_id TEXT PRIMARY KEY,"
  " sender TEXT NOT NULL,"
  " provider TEXT NOT NULL,"
  " data BLOB NOT NULL,"
  " created_at INTEGER NOT NULL) STRICT;"
  "CREATE INDEX outbox_sender ON outbox (sender);",
};

struct _SmsStore
{
  sqlite3    *db;
  char       *path;
  GHashTable *stmts;   /* SQL literal -> prepared statement */
  gboolean    batch;   /* inside smsstore_batch_begin: steps are savepoints */
  int         wal_fd;  /* our own descriptor of the WAL, to fdatasync it */
  gint        sync_errno; /* of the first failed sync, or 0 (atomic) */
  sqlite3    *ckpt_db; /* a second connection, the checkpointer's */
  gint        wal_pages; /* in the WAL after the last commit (atomic) */
  GThread    *checkpointer;
  GMutex      ckpt_lock;
  GCond       ckpt_wake;
  gboolean    ckpt_wanted, ckpt_stop;  /* under ckpt_lock */
};

static gboolean
smsstore_fail (SmsStore *store, int rc, GError **error)
{
  g_set_error (error, STORE_ERROR, store_error_code (rc), "%s: %s", store->path,
               store->db ? sqlite3_errmsg (store->db) : sqlite3_errstr (rc));
  return FALSE;
}

static gboolean
smsstore_exec (SmsStore *store, const char *sql, GError **error)
{
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);

  return rc == SQLITE_OK || smsstore_fail (store, rc, error);
}

static void
smsstore_rollback (SmsStore *store)
{
  if (!sqlite3_get_autocommit (store->db))
    sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
}

/* One change (step, settle, forget) is its own transaction, or, inside a
 * batch, a savepoint: one item's failure does not undo the others, and
 * the whole batch costs one durable commit (group commit). */
static sqlite3_stmt *smsstore_prepare (SmsStore *store, const char *sql,
                                       GError **error);
static gboolean smsstore_run (SmsStore *store, sqlite3_stmt *stmt,
                              GError **error);

/* SQL without values, prepared once: parsing SAVEPOINT and RELEASE for
 * every message showed in the profile. */
static gboolean
smsstore_exec_cached (SmsStore *store, const char *sql, GError **error)
{
  return smsstore_run (store, smsstore_prepare (store, sql, error), error);
}

/* FALSE once a sync has failed.  Linux reports a failed write-back once
 * per open file, and marks the lost pages clean: a second fdatasync
 * returns 0 with them still lost, so retrying would promise what the
 * disk does not hold.  The first failure stands for every later sync and
 * change, until the gateway restarts and SQLite reads back what the WAL
 * on disk really holds. */
static gboolean
smsstore_check_synced (SmsStore *store, GError **error)
{
  int failed = g_atomic_int_get (&store->sync_errno);

  if (failed == 0)
    return TRUE;
  g_set_error (error, STORE_ERROR, STORE_ERROR_IO,
               "%s-wal: a sync failed (%s): nothing more is stored until "
               "saferoute-gateway restarts", store->path, g_strerror (failed));
  return FALSE;
}

static gboolean
smsstore_tx_begin (SmsStore *store, GError **error)
{
  return smsstore_exec_cached (store, store->batch ? "SAVEPOINT item"
                                                   : "BEGIN IMMEDIATE", error);
}

static gboolean
smsstore_tx_commit (SmsStore *store, GError **error)
{
  if (store->batch)
    return smsstore_exec_cached (store, "RELEASE item", error);
  return smsstore_exec_cached (store, "COMMIT", error)
         && smsstore_sync (store, error);
}

static void
smsstore_tx_rollback (SmsStore *store)
{
  if (store->batch)
    {
      smsstore_exec_cached (store, "ROLLBACK TO item", NULL);
      smsstore_exec_cached (store, "RELEASE item", NULL);
    }
  else
    smsstore_rollback (store);
}

gboolean
smsstore_batch_begin (SmsStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL && !store->batch, FALSE);

  if (!smsstore_exec_cached (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  store->batch = TRUE;
  return TRUE;
}

gboolean
smsstore_batch_commit_unsynced (SmsStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL && store->batch, FALSE);

  store->batch = FALSE;
  if (smsstore_exec_cached (store, "COMMIT", error))
    return TRUE;
  smsstore_rollback (store);
  return FALSE;
}

gboolean
smsstore_batch_commit (SmsStore *store, GError **error)
{
  return smsstore_batch_commit_unsynced (store, error)
         && smsstore_sync (store, error);
}

gboolean
smsstore_sync (SmsStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  if (!smsstore_check_synced (store, error))
    return FALSE;
  if (fdatasync (store->wal_fd) != 0)
    {
      int failed = errno != 0 ? errno : EIO;

      if (g_atomic_int_compare_and_exchange (&store->sync_errno, 0, failed))
        g_warning ("%s-wal: a sync failed (%s): the SMS store refuses every "
                   "change until saferoute-gateway restarts", store->path,
                   g_strerror (failed));
      return smsstore_check_synced (store, error);
    }
  if (g_atomic_int_get (&store->wal_pages) >= SMSSTORE_CHECKPOINT_PAGES)
    {
      g_mutex_lock (&store->ckpt_lock);
      store->ckpt_wanted = TRUE;
      g_cond_signal (&store->ckpt_wake);
      g_mutex_unlock (&store->ckpt_lock);
    }
  return TRUE;
}

/* The checkpointer: checkpoints on its own connection and in its own
 * thread, so that a checkpoint's two syncs (WAL before, database after)
 * delay neither the writer nor the syncs that answer people.  PASSIVE:
 * it never waits for the writer, and copies only what is committed. */
static gpointer
smsstore_checkpointer (gpointer data)
{
  SmsStore *store = data;

  g_mutex_lock (&store->ckpt_lock);
  for (;;)
    {
      int rc;

      while (!store->ckpt_wanted && !store->ckpt_stop)
        g_cond_wait (&store->ckpt_wake, &store->ckpt_lock);
      if (store->ckpt_stop)
        break;
      store->ckpt_wanted = FALSE;
      g_mutex_unlock (&store->ckpt_lock);
      rc = sqlite3_wal_checkpoint_v2 (store->ckpt_db, NULL,
                                      SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
        g_warning ("%s: checkpoint: %s", store->path, sqlite3_errstr (rc));
      g_mutex_lock (&store->ckpt_lock);
    }
  g_mutex_unlock (&store->ckpt_lock);
  return NULL;
}

/* After every commit of the writer (in place of its auto-checkpoint). */
static int
smsstore_wal_hook (void *data, sqlite3 *db, const char *name, int pages)
{
  SmsStore *store = data;

  g_atomic_int_set (&store->wal_pages, pages);
  if (pages >= SMSSTORE_CHECKPOINT_PAGES_WRITER)
    sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return SQLITE_OK;
}

/* The statement for SQL (a string literal: cached by its address), reset
 * and ready to bind.  Parsing the same SQL for every text message cost a
 * fifth of the gateway's time under load; callers reset, never finalize. */
static sqlite3_stmt *
smsstore_prepare (SmsStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (store->stmts, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  rc = sqlite3_prepare_v3 (store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      smsstore_fail (store, rc, error);
      return NULL;
    }
  g_hash_table_insert (store->stmts, (gpointer) sql, stmt);
  return stmt;
}

static void
bind_bytes (sqlite3_stmt *stmt, int index, GBytes *bytes)
{
  gsize size = 0;
  const void *data;

  if (bytes == NULL)
    {
      sqlite3_bind_null (stmt, index);
      return;
    }
  data = g_bytes_get_data (bytes, &size);
  sqlite3_bind_blob64 (stmt, index, size ? data : "", size, SQLITE_TRANSIENT);
}

static GBytes *
column_bytes (sqlite3_stmt *stmt, int column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (stmt, column),
                      (gsize) sqlite3_column_bytes (stmt, column));
}

/* Steps STMT once and resets it. */
static gboolean
smsstore_run (SmsStore *store, sqlite3_stmt *stmt, GError **error)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  /* After a failed sync, whatever would start a change outside a
   * transaction is refused: a BEGIN (which SQLite counts as read-only),
   * or a lone write that would commit on its own. */
  if (sqlite3_get_autocommit (store->db)
      && (!sqlite3_stmt_readonly (stmt) || g_str_has_prefix (sqlite3_sql (stmt), "BEGIN"))
      && !smsstore_check_synced (store, error))
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return smsstore_fail (store, rc, error);
  /* A change outside any transaction committed on its own: durable now. */
  if (sqlite3_get_autocommit (store->db) && !sqlite3_stmt_readonly (stmt))
    return smsstore_sync (store, error);
  return TRUE;
}

static gboolean
smsstore_migrate (SmsStore *store, GError **error)
{
  const gint64 known = G_N_ELEMENTS (smsstore_migrations);

  for (;;)
    {
      sqlite3_stmt *stmt;
      gint64 version = 0;
      g_autofree char *set_version = NULL;

      if (!smsstore_exec (store, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (sqlite3_prepare_v2 (store->db, "PRAGMA user_version", -1, &stmt,
                              NULL) != SQLITE_OK)
        {
          smsstore_fail (store, sqlite3_errcode (store->db), error);
          goto fail;
        }
      if (sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
      if (version > known)
        {
          g_set_error (error, STORE_ERROR, STORE_ERROR_SCHEMA,
                       "%s: schema version %" G_GINT64_FORMAT " is newer than "
                       "this saferoute knows", store->path, version);
          goto fail;
        }
      if (version == known)
        return smsstore_exec (store, "COMMIT", error);
      /* A PRAGMA takes no bound parameter; the value is our own integer. */
      set_version = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT,
                                     version + 1);
      if (!smsstore_exec (store, smsstore_migrations[version], error)
          || !smsstore_exec (store, set_version, error)
          || !smsstore_exec (store, "COMMIT", error))
        goto fail;
    }

fail:
  smsstore_rollback (store);
  return FALSE;
}

SmsStore *
smsstore_open (const char *path, GError **error)
{
  g_autoptr(SmsStore) store = NULL;
  g_autofree char *wal_path = NULL;
  g_autofree char *dir = NULL;
  int rc, dir_fd;

  g_return_val_if_fail (path != NULL, NULL);

  store = g_new0 (SmsStore, 1);
  store->wal_fd = -1;
  g_mutex_init (&store->ckpt_lock);
  g_cond_init (&store->ckpt_wake);
  store->path = g_strdup (path);
  store->stmts = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                        (GDestroyNotify) sqlite3_finalize);
  /* The file holds ciphertext and hashes only, but nobody else needs to
   * read it: create it private. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      int fd = g_open (path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);

      if (fd < 0)
        {
          int saved_errno = errno;

          g_set_error (error, STORE_ERROR, STORE_ERROR_IO, "%s: %s", path,
                       g_strerror (saved_errno));
          return NULL;
        }
      g_close (fd, NULL);
    }
  rc = sqlite3_open_v2 (path, &store->db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK)
    {
      smsstore_fail (store, rc, error);
      return NULL;
    }
  sqlite3_busy_timeout (store->db, SMSSTORE_BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (store->db, 1);
  /* NORMAL plus our own sync after every commit: see the top.  A new
   * file gets 1 KiB pages (an existing one keeps its own): each message
   * dirties a page at a random place in two indexes (hashed senders), so
   * the page size is most of the bytes written and synced per message;
   * 1 KiB pages halved the sync time under bench/sms. */
  if (!smsstore_exec (store, "PRAGMA page_size = 1024;"
                             "PRAGMA journal_mode = WAL;"
                             "PRAGMA synchronous = NORMAL;"
                             "PRAGMA secure_delete = ON;", error)
      || !smsstore_migrate (store, error))
    return NULL;
  rc = sqlite3_open_v2 (path, &store->ckpt_db, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK
      || sqlite3_exec (store->ckpt_db, "PRAGMA synchronous = NORMAL", NULL, NULL,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, STORE_ERROR, STORE_ERROR_IO, "%s: %s", path,
                   sqlite3_errmsg (store->ckpt_db));
      return NULL;
    }
  sqlite3_wal_hook (store->db, smsstore_wal_hook, store);
  store->checkpointer = g_thread_new ("smsstore-ckpt", smsstore_checkpointer, store);
  /* The WAL exists now (the migration wrote to it) and stays while this
   * connection is open. */
  wal_path = g_strconcat (path, "-wal", NULL);
  store->wal_fd = g_open (wal_path, O_RDWR | O_CLOEXEC, 0);
  if (store->wal_fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, STORE_ERROR, STORE_ERROR_IO, "%s: %s", wal_path,
                   g_strerror (saved_errno));
      return NULL;
    }
  /* The files may be new: their directory entries must last too. */
  dir = g_path_get_dirname (path);
  dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      g_close (dir_fd, NULL);
    }
  if (!smsstore_sync (store, error))
    return NULL;
  return g_steal_pointer (&store);
}

void
smsstore_close (SmsStore *store)
{
  if (store == NULL)
    return;
  if (store->checkpointer != NULL)
    {
      g_mutex_lock (&store->ckpt_lock);
      store->ckpt_stop = TRUE;
      g_cond_signal (&store->ckpt_wake);
      g_mutex_unlock (&store->ckpt_lock);
      g_thread_join (g_steal_pointer (&store->checkpointer));
    }
  g_mutex_clear (&store->ckpt_lock);
  g_cond_clear (&store->ckpt_wake);
  g_clear_pointer (&store->stmts, g_hash_table_unref);
  if (store->ckpt_db != NULL)
    sqlite3_close (store->ckpt_db);
  if (store->db != NULL)
    sqlite3_close (store->db);
  if (store->wal_fd >= 0)
    g_close (store->wal_fd, NULL);
  g_free (store->path);
  g_free (store);
}

gboolean
smsstore_session_get (SmsStore *store, const char *sender, GBytes **data,
                      GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && sender != NULL && data != NULL, FALSE);

  *data = NULL;
  stmt = smsstore_prepare (store, "SELECT data FROM sessions WHERE sender = ?1",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, sender, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *data = column_bytes (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return smsstore_fail (store, rc, error);
  return TRUE;
}

static gboolean
smsstore_put_session (SmsStore *store, const char *sender, GBytes *session,
                      gboolean stopped, gint64 now, GError **error)
{
  sqlite3_stmt *stmt;

  if (session == NULL)
    {
      stmt = smsstore_prepare (store, "DELETE FROM sessions WHERE sender = ?1",
                               error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, sender, -1, SQLITE_TRANSIENT);
      return smsstore_run (store, stmt, error);
    }
  stmt = smsstore_prepare (store,
                           "INSERT INTO sessions (sender, data, stopped, updated_at)"
                           " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sender) DO UPDATE"
                           " SET data = ?2, stopped = ?3, updated_at = ?4", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, sender, -1, SQLITE_TRANSIENT);
  bind_bytes (stmt, 2, session);
  sqlite3_bind_int (stmt, 3, stopped ? 1 : 0);
  sqlite3_bind_int64 (stmt, 4, now);
  return smsstore_run (store, stmt, error);
}

gboolean
smsstore_step (SmsStore *store, const char *sender, GBytes *session,
               gboolean stopped, const char *provider, const char *msg_id,
               GBytes *reply, GBytes *pending, gint64 now, GError **error)
{
  g_return_val_if_fail (store != NULL && sender != NULL, FALSE);
  g_return_val_if_fail (msg_id == NULL || provider != NULL, FALSE);

  if (!smsstore_tx_begin (store, error))
    return FALSE;
  if (!smsstore_put_session (store, sender, session, stopped, now, error))
    goto fail;
  if (msg_id != NULL)
    {
      sqlite3_stmt *stmt =
        smsstore_prepare (store,
                          "INSERT INTO seen (provider, msg_id, sender, reply,"
                          " pending, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                          error);
      int rc;

      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, provider, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, msg_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, sender, -1, SQLITE_TRANSIENT);
      bind_bytes (stmt, 4, reply);
      bind_bytes (stmt, 5, pending);
      sqlite3_bind_int64 (stmt, 6, now);
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if ((rc & 0xff) == SQLITE_CONSTRAINT)
        {
          g_set_error (error, STORE_ERROR, STORE_ERROR_STATE,
                       "message %s from %s was already handled", msg_id, provider);
          goto fail;
        }
      if (rc != SQLITE_DONE)
        {
          smsstore_fail (store, rc, error);
          goto fail;
        }
    }
  if (smsstore_tx_commit (store, error))
    return TRUE;

fail:
  smsstore_tx_rollback (store);
  return FALSE;
}

gboolean
smsstore_settle (SmsStore *store, const char *provider, const char *msg_id,
                 GBytes *reply, const char *sender, GBytes *session,
                 const SmsOutbox *outbox, gint64 now, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL && sender != NULL, FALSE);

  if (!smsstore_tx_begin (store, error))
    return FALSE;
  if (msg_id != NULL)
    {
      stmt = smsstore_prepare (store, "UPDATE seen SET reply = ?3, pending = NULL"
                                      " WHERE provider = ?1 AND msg_id = ?2", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, provider, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, msg_id, -1, SQLITE_TRANSIENT);
      bind_bytes (stmt, 3, reply);
      if (!smsstore_run (store, stmt, error))
        goto fail;
    }
  if (session != NULL
      && !smsstore_put_session (store, sender, session, FALSE, now, error))
    goto fail;
  if (outbox != NULL)
    {
      stmt = smsstore_prepare (store,
                               "INSERT OR IGNORE INTO outbox (envelope_id, sender,"
                               " provider, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                               error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, outbox->envelope_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, sender, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, outbox->provider, -1, SQLITE_TRANSIENT);
      bind_bytes (stmt, 4, outbox->data);
      sqlite3_bind_int64 (stmt, 5, now);
      if (!smsstore_run (store, stmt, error))
        goto fail;
    }
  if (smsstore_tx_commit (store, error))
    return TRUE;

fail:
  smsstore_tx_rollback (store);
  return FALSE;
}

gboolean
smsstore_wipe_replies (SmsStore *store, const char *sender, const char *provider,
                       const char *keep_id, GError **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL && sender != NULL, FALSE);

  stmt = smsstore_prepare (store, "UPDATE seen SET reply = NULL WHERE sender = ?1"
                                  " AND pending IS NULL"
                                  " AND NOT (provider IS ?2 AND msg_id IS ?3)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, sender, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, provider, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, keep_id, -1, SQLITE_TRANSIENT);
  return smsstore_run (store, stmt, error);
}

SmsSeen *
smsstore_seen_get (SmsStore *store, const char *provider, const char *msg_id,
                   GError **error)
{
  sqlite3_stmt *stmt;
  SmsSeen *seen = NULL;
  int rc;

  g_return_val_if_fail (store != NULL && provider != NULL && msg_id != NULL, NULL);

  stmt = smsstore_prepare (store, "SELECT sender, reply, pending FROM seen"
                                  " WHERE provider = ?1 AND msg_id = ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, provider, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, msg_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      seen = g_new0 (SmsSeen, 1);
      seen->sender = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      seen->reply = column_bytes (stmt, 1);
      seen->pending = column_bytes (stmt, 2);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    smsstore_fail (store, rc, error);
  return seen;
}

static gboolean
smsstore_delete_by (SmsStore *store, const char *sql, const char *key,
                    GError **error)
{
  sqlite3_stmt *stmt = smsstore_prepare (store, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  return smsstore_run (store, stmt, error);
}

gboolean
smsstore_forget (SmsStore *store, const char *sender, GError **error)
{
  g_return_val_if_fail (store != NULL && sender != NULL, FALSE);

  if (!smsstore_tx_begin (store, error))
    return FALSE;
  if (smsstore_delete_by (store, "DELETE FROM sessions WHERE sender = ?1", sender, error)
      && smsstore_delete_by (store, "DELETE FROM seen WHERE sender = ?1", sender, error)
      && smsstore_delete_by (store, "DELETE FROM outbox WHERE sender = ?1", sender, error)
      && smsstore_tx_commit (store, error))
    return TRUE;
  smsstore_tx_rollback (store);
  return FALSE;
}

gint64
smsstore_sweep (SmsStore *store, gint64 session_before, gint64 seen_before,
                GError **error)
{
  sqlite3_stmt *stmt;
  gint64 removed = 0;

  g_return_val_if_fail (store != NULL, -1);

  stmt = smsstore_prepare (store, "DELETE FROM sessions WHERE updated_at < ?1"
                                  " AND stopped = 0", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, session_before);
  if (!smsstore_run (store, stmt, error))
    return -1;
  removed += sqlite3_changes (store->db);
  stmt = smsstore_prepare (store, "DELETE FROM seen WHERE created_at < ?1"
                                  " AND pending IS NULL", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, seen_before);
  if (!smsstore_run (store, stmt, error))
    return -1;
  removed += sqlite3_changes (store->db);
  return removed;
}

GPtrArray *
smsstore_outbox_list (SmsStore *store, guint limit, GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) sms_outbox_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = smsstore_prepare (store, "SELECT envelope_id, sender, provider, data"
                                  " FROM outbox ORDER BY created_at LIMIT ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SmsOutbox *item = g_new0 (SmsOutbox, 1);

      item->envelope_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      item->sender = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      item->provider = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      item->data = column_bytes (stmt, 3);
      g_ptr_array_add (items, item);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      smsstore_fail (store, rc, error);
      return NULL;
    }
  return g_steal_pointer (&items);
}

gboolean
smsstore_outbox_delete (SmsStore *store, const char *envelope_id, GError **error)
{
  g_return_val_if_fail (store != NULL && envelope_id != NULL, FALSE);
  return smsstore_delete_by (store, "DELETE FROM outbox WHERE envelope_id = ?1",
                             envelope_id, error);
}

void
sms_seen_free (SmsSeen *seen)
{
  if (seen == NULL)
    return;
  g_free (seen->sender);
  g_clear_pointer (&seen->reply, g_bytes_unref);
  g_clear_pointer (&seen->pending, g_bytes_unref);
  g_free (seen);
}

void
sms_outbox_free (SmsOutbox *outbox)
{
  if (outbox == NULL)
    return;
  g_free (outbox->envelope_id);
  g_free (outbox->sender);
  g_free (outbox->provider);
  g_clear_pointer (&outbox->data, g_bytes_unref);
  g_free (outbox);
}
