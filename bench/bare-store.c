/* bare-store: a bare SQLite INSERT with the queue's durability; the
 * ceiling of bench-store and bench-enqueue (one copy of this SQL). */
#include "config.h"

#include <stdlib.h>
#include <sqlite3.h>

#include "bare-store.h"

struct _BareStore
{
  sqlite3      *db;
  sqlite3_stmt *insert;
  guint64       serial;
};

static void
bare_check (BareStore *bare, int rc, const char *what)
{
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      g_printerr ("%s: bare SQLite %s: %s\n", g_get_prgname (), what,
                  bare->db != NULL ? sqlite3_errmsg (bare->db) : sqlite3_errstr (rc));
      exit (1);
    }
}

BareStore *
bare_store_open (const char *path)
{
  BareStore *bare = g_new0 (BareStore, 1);

  bare_check (bare, sqlite3_open (path, &bare->db), path);
  bare_check (bare, sqlite3_exec (bare->db, "PRAGMA journal_mode = WAL;"
                                  "PRAGMA synchronous = FULL;"
                                  "CREATE TABLE t (id TEXT PRIMARY KEY,"
                                  " json TEXT) STRICT;", NULL, NULL, NULL),
              "schema");
  bare_check (bare, sqlite3_prepare_v2 (bare->db,
                                        "INSERT INTO t (id, json) VALUES (?, ?)",
                                        -1, &bare->insert, NULL), "prepare");
  return bare;
}

void
bare_store_insert (BareStore *bare, guint n, const char *body, gsize length)
{
  bare_check (bare, sqlite3_exec (bare->db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
              "begin");
  for (guint i = 0; i < n; i++)
    {
      char id[17];

      g_snprintf (id, sizeof id, "%016" G_GINT64_MODIFIER "x", bare->serial++);
      sqlite3_bind_text (bare->insert, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (bare->insert, 2, body, (int) length, SQLITE_STATIC);
      bare_check (bare, sqlite3_step (bare->insert), "insert");
      sqlite3_reset (bare->insert);
    }
  bare_check (bare, sqlite3_exec (bare->db, "COMMIT", NULL, NULL, NULL), "commit");
}

void
bare_store_close (BareStore *bare)
{
  if (bare == NULL)
    return;
  sqlite3_finalize (bare->insert);
  sqlite3_close (bare->db);
  g_free (bare);
}
