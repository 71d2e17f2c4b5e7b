/* inbox-store: the partner inbox's SQLite database (the only file of
 * saferoute-inbox that knows SQL).
 *
 * Owns: the file STATE_DIR/inbox.sqlite, its schema (user_version
 * migrations) and every statement run on it.
 * Invariants: a row exists only once its transaction committed with
 * WAL + synchronous=FULL; an envelope id appears at most once (PRIMARY
 * KEY), so re-deliveries never create a second row.  A crash at any line
 * leaves either the whole row or nothing.
 * Failures: SQLITE_BUSY/LOCKED after the busy timeout -> BUSY (the caller
 * answers 503 so the sender retries); a user_version newer than ours ->
 * SCHEMA (refuse rather than guess); anything else -> IO. */
#include "config.h"

#include <sqlite3.h>

#include "inbox-store.h"

G_DEFINE_QUARK (inbox-store-error-quark, inbox_store_error)

#define INBOX_SCHEMA_VERSION 1
#define INBOX_BUSY_TIMEOUT_MS 5000

struct _InboxStore
{
  sqlite3 *db;
  char    *path;
};

static const char *const inbox_migrations[] = {
  /* 0 -> 1 */
  "CREATE TABLE report ("
  "  id             TEXT PRIMARY KEY NOT NULL,"
  "  ref            TEXT NOT NULL,"
  "  partner        TEXT NOT NULL,"
  "  created_at     INTEGER NOT NULL,"
  "  received_at    INTEGER NOT NULL,"
  "  source         TEXT NOT NULL,"
  "  category       TEXT NOT NULL,"
  "  language       TEXT NOT NULL,"
  "  contact_method TEXT NOT NULL,"
  "  report_json    TEXT NOT NULL"
  ") STRICT;"
  "CREATE INDEX report_received ON report (received_at);",
};

static gboolean
inbox_store_fail (InboxStore *store, int rc, const char *what, GError **error)
{
  int code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
               ? INBOX_STORE_ERROR_BUSY : INBOX_STORE_ERROR_IO;

  g_set_error (error, INBOX_STORE_ERROR, code, "%s: %s: %s", store->path,
               what, store->db ? sqlite3_errmsg (store->db)
                               : sqlite3_errstr (rc));
  return FALSE;
}

static gboolean
inbox_store_exec (InboxStore *store, const char *sql, GError **error)
{
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return inbox_store_fail (store, rc, "exec", error);
  return TRUE;
}

static gboolean
inbox_store_prepare (InboxStore *store, const char *sql, sqlite3_stmt **stmt,
                     GError **error)
{
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, stmt, NULL);

  if (rc != SQLITE_OK)
    return inbox_store_fail (store, rc, "prepare", error);
  return TRUE;
}

static gboolean
inbox_store_migrate (InboxStore *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int version;
  int rc;

  if (!inbox_store_exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!inbox_store_prepare (store, "PRAGMA user_version", &stmt, error))
    goto rollback;
  rc = sqlite3_step (stmt);
  version = rc == SQLITE_ROW ? sqlite3_column_int (stmt, 0) : -1;
  sqlite3_finalize (stmt);
  if (version < 0)
    {
      inbox_store_fail (store, rc, "user_version", error);
      goto rollback;
    }
  if (version > INBOX_SCHEMA_VERSION)
    {
      g_set_error (error, INBOX_STORE_ERROR, INBOX_STORE_ERROR_SCHEMA,
                   "%s: schema version %d is newer than this program's %d",
                   store->path, version, INBOX_SCHEMA_VERSION);
      goto rollback;
    }
  for (; version < INBOX_SCHEMA_VERSION; version++)
    {
      /* PRAGMA takes no bound parameters; the number is ours. */
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d",
                                               version + 1);

      if (!inbox_store_exec (store, inbox_migrations[version], error)
          || !inbox_store_exec (store, bump, error))
        goto rollback;
    }
  return inbox_store_exec (store, "COMMIT", error);

rollback:
  sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

InboxStore *
inbox_store_open (const char *path, GError **error)
{
  g_autoptr(InboxStore) store = g_new0 (InboxStore, 1);
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  store->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                        | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      inbox_store_fail (store, rc, "open", error);
      return NULL;
    }
  sqlite3_busy_timeout (store->db, INBOX_BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (store->db, 0);
  /* FULL: a partner's inbox must not lose a report it acknowledged. */
  if (!inbox_store_exec (store, "PRAGMA journal_mode = WAL", error)
      || !inbox_store_exec (store, "PRAGMA synchronous = FULL", error)
      || !inbox_store_exec (store, "PRAGMA foreign_keys = ON", error)
      || !inbox_store_migrate (store, error))
    return NULL;
  return g_steal_pointer (&store);
}

void
inbox_store_close (InboxStore *store)
{
  if (store == NULL)
    return;
  if (store->db)
    sqlite3_close_v2 (store->db);
  g_free (store->path);
  g_free (store);
}

gboolean
inbox_store_add (InboxStore *store, const InboxEntry *entry, gint64 now,
                 gboolean *duplicate, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL && entry != NULL, FALSE);
  g_return_val_if_fail (entry->id && entry->ref && entry->partner, FALSE);
  g_return_val_if_fail (entry->source && entry->category, FALSE);
  g_return_val_if_fail (entry->language && entry->contact_method, FALSE);
  g_return_val_if_fail (entry->report_json, FALSE);

  if (!inbox_store_exec (store, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!inbox_store_prepare (store,
                            "INSERT INTO report (id, ref, partner, created_at,"
                            " received_at, source, category, language,"
                            " contact_method, report_json)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                            " ON CONFLICT (id) DO NOTHING",
                            &stmt, error))
    goto rollback;
  sqlite3_bind_text (stmt, 1, entry->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, entry->ref, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, entry->partner, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, entry->created_at);
  sqlite3_bind_int64 (stmt, 5, now);
  sqlite3_bind_text (stmt, 6, entry->source, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, entry->category, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, entry->language, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, entry->contact_method, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, entry->report_json, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      inbox_store_fail (store, rc, "insert", error);
      goto rollback;
    }
  if (duplicate)
    *duplicate = sqlite3_changes (store->db) == 0;
  /* The caller replies or acknowledges only after this returns TRUE. */
  if (!inbox_store_exec (store, "COMMIT", error))
    goto rollback;
  return TRUE;

rollback:
  sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static char *
inbox_column_text (sqlite3_stmt *stmt, int column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

#define INBOX_COLUMNS \
  "id, ref, partner, created_at, received_at, source, category, language," \
  " contact_method, report_json"

static InboxEntry *
inbox_entry_from_row (sqlite3_stmt *stmt)
{
  InboxEntry *entry = g_new0 (InboxEntry, 1);

  entry->id = inbox_column_text (stmt, 0);
  entry->ref = inbox_column_text (stmt, 1);
  entry->partner = inbox_column_text (stmt, 2);
  entry->created_at = sqlite3_column_int64 (stmt, 3);
  entry->received_at = sqlite3_column_int64 (stmt, 4);
  entry->source = inbox_column_text (stmt, 5);
  entry->category = inbox_column_text (stmt, 6);
  entry->language = inbox_column_text (stmt, 7);
  entry->contact_method = inbox_column_text (stmt, 8);
  entry->report_json = inbox_column_text (stmt, 9);
  return entry;
}

GPtrArray *
inbox_store_list (InboxStore *store, GError **error)
{
  g_autoptr(GPtrArray) entries =
    g_ptr_array_new_with_free_func ((GDestroyNotify) inbox_entry_free);
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);
  if (!inbox_store_prepare (store,
                            "SELECT " INBOX_COLUMNS " FROM report"
                            " ORDER BY received_at DESC, rowid DESC",
                            &stmt, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, inbox_entry_from_row (stmt));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      inbox_store_fail (store, rc, "list", error);
      return NULL;
    }
  return g_steal_pointer (&entries);
}

InboxEntry *
inbox_store_get (InboxStore *store, const char *id, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  InboxEntry *entry = NULL;
  int rc;

  g_return_val_if_fail (store != NULL && id != NULL, NULL);
  if (!inbox_store_prepare (store,
                            "SELECT " INBOX_COLUMNS " FROM report WHERE id = ?1",
                            &stmt, error))
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    entry = inbox_entry_from_row (stmt);
  sqlite3_finalize (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, INBOX_STORE_ERROR, INBOX_STORE_ERROR_NOT_FOUND,
                 "no report with id %s", id);
  else if (rc != SQLITE_ROW)
    inbox_store_fail (store, rc, "get", error);
  return entry;
}

gint64
inbox_store_count (InboxStore *store, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gint64 count = -1;
  int rc;

  g_return_val_if_fail (store != NULL, -1);
  if (!inbox_store_prepare (store, "SELECT count(*) FROM report", &stmt, error))
    return -1;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    count = sqlite3_column_int64 (stmt, 0);
  else
    inbox_store_fail (store, rc, "count", error);
  sqlite3_finalize (stmt);
  return count;
}

void
inbox_entry_free (InboxEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->ref);
  g_free (entry->partner);
  g_free (entry->source);
  g_free (entry->category);
  g_free (entry->language);
  g_free (entry->contact_method);
  g_free (entry->report_json);
  g_free (entry);
}
